// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What every profile format shares: the check that refuses inputs no
 * profile may be built from, a certificate as DER, freeing an output and
 * the growing buffer.
 */
#include "profile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

int profile_check(const struct profile_in *in, struct byod_err *err)
{
	const struct pki_issued *c = in->cred;

	if (!in->ssid || !in->ssid[0])
		return byod_err_set(err, EINVAL,
				    "wifi.ssid is not set: the administrator must name the school "
				    "network in byod.conf");
	if (strlen(in->ssid) > 32)
		return byod_err_set(err, EINVAL, "wifi.ssid is longer than 32 bytes");
	if (!in->server_name || !in->server_name[0])
		return byod_err_set(err, EINVAL,
				    "radius.server-name is not set: the administrator must give the "
				    "RADIUS server certificate's name in byod.conf");
	if (!in->identity || !in->identity[0] || !in->device_id || !in->device_id[0] ||
	    !in->school || !in->domain || !in->domain[0])
		return byod_err_set(err, EINVAL, "a profile needs an identity, a device and a school");
	if (!in->ca)
		return byod_err_set(err, EINVAL,
				    "the school CA is missing or unreadable (pki.dir/ca.pem): the "
				    "administrator must restore it");
	if (!c || !c->passphrase[0])
		return byod_err_set(err, EINVAL,
				    "the device's PKCS#12 has no passphrase to open it with");
	if (!c->cert || !c->key || X509_check_private_key(c->cert, c->key) != 1) {
		ERR_clear_error();
		return byod_err_set(
			err, EINVAL,
			"the device's certificate or key does not match: its key is not "
			"the certificate's");
	}
	if (X509_check_issued(in->ca, c->cert) != X509_V_OK)
		return byod_err_set(err, EINVAL,
				    "the device's certificate is not from the school CA");
	return 0;
}

int profile_cert_der(X509 *x, unsigned char **der, size_t *len)
{
	unsigned char *buf = NULL;
	int n = x ? i2d_X509(x, &buf) : -1;

	*der = NULL;
	*len = 0;
	if (n <= 0)
		return -EINVAL;
	*der = malloc((size_t)n);
	if (*der) {
		memcpy(*der, buf, (size_t)n);
		*len = (size_t)n;
	}
	OPENSSL_free(buf);
	return *der ? 0 : -ENOMEM;
}

void profile_out_free(struct profile_out *out)
{
	if (!out)
		return;
	if (out->data) {
		explicit_bzero(out->data, out->len);
		free(out->data);
	}
	memset(out, 0, sizeof(*out));
}

void profile_buf_add(struct profile_buf *b, const void *data, size_t n)
{
	b->buf.wipe = 1; /* before the first block: every block is wiped */
	if (!b->oom && byod_buf_append(&b->buf, data, n))
		b->oom = 1;
}

void profile_buf_str(struct profile_buf *b, const char *s)
{
	profile_buf_add(b, s, strlen(s));
}

void profile_buf_wipe(struct profile_buf *b)
{
	b->buf.wipe = 1;
	byod_buf_free(&b->buf);
	b->oom = 0;
}

unsigned char *profile_buf_take(struct profile_buf *b, size_t *len)
{
	unsigned char *p = b->oom ? NULL : (unsigned char *)byod_buf_take(&b->buf, len);

	profile_buf_wipe(b);
	return p;
}
