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
#include <openssl/crypto.h>
#include <openssl/evp.h>
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

static EVP_PKEY *pem_key(const char *pem)
{
	BIO *b = pem ? BIO_new_mem_buf(pem, -1) : NULL;
	EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;

	BIO_free(b);
	return k;
}

int profile_p12_legacy(const struct profile_in *in, unsigned char **der, size_t *len,
		       struct byod_err *err)
{
	const int pbe = NID_pbe_WithSHA1And3_Key_TripleDES_CBC;
	STACK_OF(X509) *chain = sk_X509_new_null();
	X509 *cert = pem_cert(in->cert_pem), *ca = pem_cert(in->ca_pem);
	EVP_PKEY *key = pem_key(in->key_pem);
	PKCS12 *p12 = NULL;
	unsigned char *buf = NULL;
	int n = 0, rc = 0;

	*der = NULL;
	*len = 0;
	if (!chain || !cert || !ca || !key || !sk_X509_push(chain, ca)) {
		rc = byod_err_set(err, EINVAL, "the device's certificate, key or CA does not parse");
		goto out;
	}
	ca = NULL; /* owned by chain now */
	p12 = PKCS12_create_ex(in->passphrase, "Wi-Fi", key, cert, chain, pbe, pbe,
			       PKCS12_DEFAULT_ITER, PKCS12_DEFAULT_ITER, 0, NULL, NULL);
	/* the MAC in SHA-1 too (OpenSSL 3 would use SHA-256) */
	if (!p12 || PKCS12_set_mac(p12, in->passphrase, -1, NULL, 0, PKCS12_DEFAULT_ITER,
				   EVP_sha1()) != 1) {
		rc = byod_err_set(err, EINVAL, "cannot make the PKCS#12 (3DES, SHA-1 MAC)");
		goto out;
	}
	n = i2d_PKCS12(p12, &buf);
	if (n <= 0) {
		rc = byod_err_set(err, ENOMEM, "out of memory");
		goto out;
	}
	*der = malloc((size_t)n);
	if (!*der) {
		rc = byod_err_set(err, ENOMEM, "out of memory");
		goto out;
	}
	memcpy(*der, buf, (size_t)n);
	*len = (size_t)n;
out:
	if (buf) {
		OPENSSL_cleanse(buf, n > 0 ? (size_t)n : 0);
		OPENSSL_free(buf);
	}
	PKCS12_free(p12);
	EVP_PKEY_free(key);
	X509_free(cert);
	X509_free(ca);
	sk_X509_pop_free(chain, X509_free);
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

void profile_buf_add(struct profile_buf *b, const void *data, size_t n)
{
	unsigned char *np;
	size_t cap;

	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		np = malloc(cap);
		if (!np) {
			b->oom = 1;
			return;
		}
		if (b->p) {
			memcpy(np, b->p, b->len);
			explicit_bzero(b->p, b->cap);
			free(b->p);
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void profile_buf_str(struct profile_buf *b, const char *s)
{
	profile_buf_add(b, s, strlen(s));
}

void profile_buf_wipe(struct profile_buf *b)
{
	if (b->p) {
		explicit_bzero(b->p, b->cap);
		free(b->p);
	}
	memset(b, 0, sizeof(*b));
}
