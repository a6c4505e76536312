// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The CRL the RADIUS server checks device certificates against: a v2 CRL
 * signed by the school CA, with a CRL number and the CA's key id, one entry
 * per revoked serial with its date and reason. The caller decides what is
 * revoked (the registry) and where the CRL is published.
 */
#include "pki.h"
#include "pki_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "byod_util.h"

/*
 * RFC 5280 CRLReason values a full CRL may carry: 7 is unassigned and
 * removeFromCRL (8) belongs to delta CRLs only.
 */
static int reason_ok(int reason)
{
	return (reason >= 0 && reason <= 6) || reason == 9 || reason == 10;
}

/* The serial in any hex form ("0A1b", "0x0a:1b") as an INTEGER. */
static int serial_parse(const char *text, ASN1_INTEGER **out, struct byod_err *err)
{
	char hex[PKI_SERIAL_MAX];
	BIGNUM *bn = NULL;
	int rc = 0;

	if (!text || byod_serial_normalise(text, hex, sizeof(hex)))
		return byod_err_set(err, EINVAL,
				    "'%s' is not a certificate serial (at most 20 "
				    "bytes of hex)",
				    text ? text : "(null)");
	if (!BN_hex2bn(&bn, hex) || !(*out = BN_to_ASN1_INTEGER(bn, NULL)))
		rc = pki_ossl_err(err, ENOMEM, "cannot read serial %s", hex);
	BN_free(bn);
	return rc;
}

static int entry_add(X509_CRL *crl, const struct pki_revoked *r, struct byod_err *err)
{
	X509_REVOKED *rev = NULL;
	ASN1_INTEGER *serial = NULL;
	ASN1_TIME *when = NULL;
	ASN1_ENUMERATED *reason = NULL;
	int rc;

	if (!reason_ok(r->reason))
		return byod_err_set(err, EINVAL, "serial %s: %d is not a CRL reason code",
				    r->serial ? r->serial : "(null)", r->reason);
	rc = serial_parse(r->serial, &serial, err);
	if (rc)
		return rc;
	rev = X509_REVOKED_new();
	when = ASN1_TIME_set(NULL, r->when);
	if (!rev || !when || !X509_REVOKED_set_serialNumber(rev, serial) ||
	    !X509_REVOKED_set_revocationDate(rev, when)) {
		rc = pki_ossl_err(err, EINVAL, "cannot make the CRL entry for %s", r->serial);
		goto out;
	}
	/*
	 * crlEntryExtensions: CRLReason = <reason>, left out for unspecified (0)
	 * as RFC 5280 section 5.3.1 recommends.
	 */
	if (r->reason) {
		reason = ASN1_ENUMERATED_new();
		if (!reason || !ASN1_ENUMERATED_set(reason, r->reason) ||
		    X509_REVOKED_add1_ext_i2d(rev, NID_crl_reason, reason, 0, 0) != 1) {
			rc = pki_ossl_err(err, ENOMEM, "cannot set the reason of %s", r->serial);
			goto out;
		}
	}
	if (!X509_CRL_add0_revoked(crl, rev)) {
		rc = pki_ossl_err(err, ENOMEM, "out of memory");
		goto out;
	}
	rev = NULL;
out:
	ASN1_ENUMERATED_free(reason);
	ASN1_TIME_free(when);
	ASN1_INTEGER_free(serial);
	X509_REVOKED_free(rev);
	return rc;
}

static int crl_extensions(struct pki_ca *ca, X509_CRL *crl, int64_t number, struct byod_err *err)
{
	ASN1_INTEGER *num = NULL;
	X509_EXTENSION *ext = NULL;
	X509V3_CTX ctx;
	int rc = 0;

	/* crlNumber = <number> (what "openssl ca -gencrl" keeps in crlnumber) */
	num = ASN1_INTEGER_new();
	if (!num || !ASN1_INTEGER_set_int64(num, number) ||
	    X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) != 1) {
		rc = pki_ossl_err(err, ENOMEM, "cannot set the CRL number");
		goto out;
	}
	/* authorityKeyIdentifier = keyid:always */
	X509V3_set_ctx(&ctx, ca->cert, NULL, NULL, crl, 0);
	ext = X509V3_EXT_nconf_nid(NULL, &ctx, NID_authority_key_identifier, "keyid:always");
	if (!ext || !X509_CRL_add_ext(crl, ext, -1))
		rc = pki_ossl_err(err, EINVAL, "cannot set the CRL's authorityKeyIdentifier");
out:
	X509_EXTENSION_free(ext);
	ASN1_INTEGER_free(num);
	return rc;
}

static int crl_encode(X509_CRL *crl, char **pem, unsigned char **der, size_t *der_len,
		      struct byod_err *err)
{
	BIO *bio = BIO_new(BIO_s_mem());
	unsigned char *p;
	int rc, len;

	if (!bio)
		return pki_ossl_err(err, ENOMEM, "out of memory");
	if (!PEM_write_bio_X509_CRL(bio, crl)) {
		rc = pki_ossl_err(err, EIO, "cannot encode the CRL");
		goto out;
	}
	rc = pki_bio_string(bio, pem, err);
	if (rc)
		goto out;
	len = i2d_X509_CRL(crl, NULL);
	if (len <= 0) {
		rc = pki_ossl_err(err, EIO, "cannot encode the CRL");
		goto out;
	}
	*der = malloc((size_t)len);
	if (!*der) {
		rc = byod_err_set(err, ENOMEM, "out of memory");
		goto out;
	}
	p = *der;
	if (i2d_X509_CRL(crl, &p) != len) {
		rc = pki_ossl_err(err, EIO, "cannot encode the CRL");
		goto out;
	}
	*der_len = (size_t)len;
out:
	if (rc) {
		free(*pem);
		*pem = NULL;
		free(*der);
		*der = NULL;
	}
	BIO_free(bio);
	return rc;
}

int pki_crl_make(struct pki_ca *ca, const struct pki_revoked *revoked, size_t n, int64_t number,
		 int days, char **pem, unsigned char **der, size_t *der_len, struct byod_err *err)
{
	time_t now = time(NULL);
	ASN1_TIME *t = NULL;
	X509_CRL *crl = NULL;
	size_t i;
	int rc = 0;

	*pem = NULL;
	*der = NULL;
	*der_len = 0;
	ERR_clear_error();
	if (days < 1 || days > 3650)
		return byod_err_set(err, EINVAL, "CRL validity of %d days is out of range", days);
	if (number < 0)
		return byod_err_set(err, EINVAL, "CRL number %lld is negative", (long long)number);
	if (n && !revoked)
		return byod_err_set(err, EINVAL, "no revoked list");

	crl = X509_CRL_new();
	if (!crl || !X509_CRL_set_version(crl, X509_CRL_VERSION_2) ||
	    !X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca->cert))) {
		rc = pki_ossl_err(err, ENOMEM, "out of memory");
		goto out;
	}
	t = ASN1_TIME_set(NULL, now);
	if (!t || !X509_CRL_set1_lastUpdate(crl, t) ||
	    !ASN1_TIME_set(t, now + (time_t)days * 86400) || !X509_CRL_set1_nextUpdate(crl, t)) {
		rc = pki_ossl_err(err, EINVAL, "cannot set the CRL's update times");
		goto out;
	}
	for (i = 0; i < n && !rc; i++)
		rc = entry_add(crl, &revoked[i], err);
	if (!rc)
		rc = crl_extensions(ca, crl, number, err);
	if (rc)
		goto out;
	if (!X509_CRL_sort(crl) || !X509_CRL_sign(crl, ca->key, EVP_sha256())) {
		rc = pki_ossl_err(err, EIO, "cannot sign the CRL");
		goto out;
	}
	rc = crl_encode(crl, pem, der, der_len, err);
out:
	ASN1_TIME_free(t);
	X509_CRL_free(crl);
	ERR_clear_error();
	return rc;
}

int pki_crl_times(const char *path, time_t *this_update, time_t *next_update,
		  struct byod_err *err)
{
	X509_CRL *crl = NULL;
	FILE *f;
	int rc = 0;

	f = fopen(path, "re");
	if (!f)
		return byod_err_set(err, errno, "cannot open the CRL %s: %s", path, strerror(errno));
	crl = PEM_read_X509_CRL(f, NULL, NULL, NULL);
	fclose(f);
	if (!crl) {
		ERR_clear_error();
		return byod_err_set(err, EINVAL, "%s is not a CRL in PEM", path);
	}
	*next_update = 0;
	if (pki_asn1_time(X509_CRL_get0_lastUpdate(crl), this_update))
		rc = byod_err_set(err, EINVAL, "the CRL %s has no readable thisUpdate", path);
	else if (X509_CRL_get0_nextUpdate(crl))
		pki_asn1_time(X509_CRL_get0_nextUpdate(crl), next_update);
	X509_CRL_free(crl);
	return rc;
}
