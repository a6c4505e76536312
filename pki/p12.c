// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The one PKCS#12 encoder: a device's key, its certificate and (but for the
 * Passpoint form) the school CA, in the form a reader needs. Each enrolment
 * asks pki_issued_p12() for the forms it hands out; a form is encoded the
 * first time it is asked for and kept in the pki_issued, so no form is
 * built twice and none that nobody asked for.
 *
 *   PKI_P12_MODERN  OpenSSL 3's defaults: PBES2 (PBKDF2 hmacWithSHA256,
 *                   AES-256-CBC) for key and certificates, a SHA-256 MAC.
 *   PKI_P12_LEGACY  pbeWithSHA1And3-KeyTripleDES-CBC for key and
 *                   certificates, a SHA-1 MAC. Android up to 13 refuses the
 *                   AES form with "wrong password" (strongswan-docs#5,
 *                   clip_share_server#48), so do the macOS keychain and iOS
 *                   (see profiles/profile_apple.c) and Windows Server 2016;
 *                   every platform reads this one.
 *   PKI_P12_CLEAR   Passpoint R1 (source.android.com, "Passpoint R1"): the
 *                   container, the key and the certificate "in clear text
 *                   with no password", one entry (no CA), the MAC over the
 *                   empty password, which Android's char[0] matches.
 */
#include "pki.h"
#include "pki_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pkcs12.h>

/* Encodes performed, per form, since the process started. */
static unsigned long encodes[PKI_P12_FORM_N];

unsigned long pki_p12_encode_count(enum pki_p12_form form)
{
	if ((unsigned)form >= PKI_P12_FORM_N)
		return 0;
	return __atomic_load_n(&encodes[form], __ATOMIC_RELAXED);
}

const char *pki_p12_form_name(enum pki_p12_form form)
{
	static const char *const names[PKI_P12_FORM_N] = {
		[PKI_P12_MODERN] = "modern",
		[PKI_P12_LEGACY] = "legacy",
		[PKI_P12_CLEAR] = "clear",
	};

	return (unsigned)form < PKI_P12_FORM_N ? names[form] : NULL;
}

static PKCS12 *p12_create(const struct pki_p12_in *in, enum pki_p12_form form,
			  STACK_OF(X509) * chain)
{
	const int pbe = NID_pbe_WithSHA1And3_Key_TripleDES_CBC;
	PKCS12 *p12;

	switch (form) {
	case PKI_P12_MODERN:
		/* nid 0, iterations 0: OpenSSL 3's defaults, the MAC in SHA-256 */
		return PKCS12_create_ex(in->passphrase, in->name, in->key, in->cert, chain, 0, 0, 0,
					0, 0, NULL, NULL);
	case PKI_P12_LEGACY:
		p12 = PKCS12_create_ex(in->passphrase, in->name, in->key, in->cert, chain, pbe, pbe,
				       PKCS12_DEFAULT_ITER, PKCS12_DEFAULT_ITER, 0, NULL, NULL);
		/* the MAC in SHA-1 too (OpenSSL 3 would use SHA-256) */
		if (p12 && PKCS12_set_mac(p12, in->passphrase, -1, NULL, 0, PKCS12_DEFAULT_ITER,
					  EVP_sha1()) != 1) {
			PKCS12_free(p12);
			p12 = NULL;
		}
		return p12;
	case PKI_P12_CLEAR:
		/* nid -1: neither the key nor the certificate encrypted */
		return PKCS12_create(NULL, in->name, in->key, in->cert, NULL, -1, -1,
				     PKCS12_DEFAULT_ITER, PKCS12_DEFAULT_ITER, 0);
	default:
		return NULL;
	}
}

int pki_p12_encode(const struct pki_p12_in *in, enum pki_p12_form form, unsigned char **der,
		   size_t *len, struct byod_err *err)
{
	STACK_OF(X509) *chain = NULL;
	unsigned char *buf = NULL;
	PKCS12 *p12 = NULL;
	int rc = 0, n = 0;

	*der = NULL;
	*len = 0;
	if ((unsigned)form >= PKI_P12_FORM_N)
		return byod_err_set(err, EINVAL, "unknown PKCS#12 form %d", (int)form);
	if (!in->key || !in->cert)
		return byod_err_set(err, EINVAL,
				    "a PKCS#12 needs the device's key and certificate (none for a "
				    "certificate issued from a CSR)");
	if (form != PKI_P12_CLEAR && (!in->passphrase || !in->passphrase[0] || !in->ca))
		return byod_err_set(err, EINVAL, "a %s PKCS#12 needs a passphrase and the CA",
				    pki_p12_form_name(form));
	ERR_clear_error();
	if (form != PKI_P12_CLEAR) {
		chain = sk_X509_new_null();
		if (!chain || !sk_X509_push(chain, in->ca)) {
			rc = pki_ossl_err(err, ENOMEM, "out of memory");
			goto out;
		}
	}
	__atomic_add_fetch(&encodes[form], 1, __ATOMIC_RELAXED);
	p12 = p12_create(in, form, chain);
	if (!p12) {
		rc = pki_ossl_err(err, EIO, "cannot make the %s PKCS#12", pki_p12_form_name(form));
		goto out;
	}
	n = i2d_PKCS12(p12, &buf);
	if (n <= 0) {
		rc = pki_ossl_err(err, EIO, "cannot encode the PKCS#12");
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
		OPENSSL_cleanse(buf, (size_t)n);
		OPENSSL_free(buf);
	}
	PKCS12_free(p12);
	sk_X509_free(chain); /* the CA certificate stays the caller's */
	ERR_clear_error();
	return rc;
}

int pki_issued_p12(struct pki_issued *is, enum pki_p12_form form, const unsigned char **der,
		   size_t *len, struct byod_err *err)
{
	struct pki_p12_in in;
	char cn[64] = "";
	int rc;

	*der = NULL;
	*len = 0;
	if ((unsigned)form >= PKI_P12_FORM_N)
		return byod_err_set(err, EINVAL, "unknown PKCS#12 form %d", (int)form);
	if (!is->p12[form].der) {
		/* friendlyName: the device id (its CN), but "Wi-Fi" for the
		 * legacy form the device's own installer names the identity by */
		if (is->cert)
			X509_NAME_get_text_by_NID(X509_get_subject_name(is->cert), NID_commonName,
						  cn, sizeof(cn));
		memset(&in, 0, sizeof(in));
		in.key = is->key;
		in.cert = is->cert;
		in.ca = is->ca;
		in.passphrase = is->passphrase;
		in.name = form == PKI_P12_LEGACY ? "Wi-Fi" : cn;
		rc = pki_p12_encode(&in, form, &is->p12[form].der, &is->p12[form].len, err);
		if (rc)
			return rc;
	}
	*der = is->p12[form].der;
	*len = is->p12[form].len;
	return 0;
}
