// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What every profile format shares: the check that refuses inputs no
 * profile may be built from, and freeing an output.
 */
#include "profile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

static X509 *pem_cert(const char *pem)
{
	BIO *b = pem ? BIO_new_mem_buf(pem, -1) : NULL;
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;

	BIO_free(b);
	return x;
}

int profile_check(const struct profile_in *in, struct byod_err *err)
{
	const unsigned char *p;
	X509 *ca = NULL, *cert = NULL, *mine = NULL;
	EVP_PKEY *key = NULL;
	PKCS12 *p12 = NULL;
	int rc = 0;

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
	ca = pem_cert(in->ca_pem);
	if (!ca)
		return byod_err_set(err, EINVAL,
				    "the school CA is missing or unreadable (pki.dir/ca.pem): the "
				    "administrator must restore it");
	p = in->p12;
	if (in->p12 && in->p12_len < 1024 * 1024)
		p12 = d2i_PKCS12(NULL, &p, (long)in->p12_len);
	if (!p12 || !in->passphrase ||
	    PKCS12_parse(p12, in->passphrase, &key, &cert, NULL) != 1 || !key || !cert) {
		rc = byod_err_set(err, EINVAL,
				  "the device's PKCS#12 does not open with its passphrase");
		goto out;
	}
	mine = pem_cert(in->cert_pem);
	if (!mine || X509_cmp(mine, cert) || !in->key_pem || !in->key_pem[0])
		rc = byod_err_set(err, EINVAL,
				  "the device's certificate or key does not match its PKCS#12");
	else if (X509_check_issued(ca, cert) != X509_V_OK)
		rc = byod_err_set(err, EINVAL, "the device's certificate is not from the school CA");
out:
	X509_free(ca);
	X509_free(cert);
	X509_free(mine);
	EVP_PKEY_free(key);
	PKCS12_free(p12);
	return rc;
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
