// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The school CA itself: making it once (a P-256 key and a self-signed
 * certificate written as DIR/ca.key and DIR/ca.pem, never over existing
 * files), loading it back with the checks that the two files belong
 * together, and the OpenSSL helpers issue.c and crl.c share.
 */
#define _GNU_SOURCE
#include "pki.h"
#include "pki_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "byod_util.h"

/* Files larger than this are not a CA certificate or key. */
#define PKI_FILE_MAX (1024 * 1024)

/* X.520 upper bound of commonName, organizationName, organizationalUnitName. */
#define PKI_NAME_CHARS 64

int pki_ossl_err(struct byod_err *err, int code, const char *fmt, ...)
{
	char what[512], ossl[256];
	unsigned long e = ERR_get_error();
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (e)
		ERR_error_string_n(e, ossl, sizeof(ossl));
	ERR_clear_error();
	if (!e)
		return byod_err_set(err, code, "%s", what);
	return byod_err_set(err, code, "%s: %s", what, ossl);
}

int pki_key_p256(EVP_PKEY **out, struct byod_err *err)
{
	*out = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (!*out)
		return pki_ossl_err(err, EIO, "cannot make a P-256 key");
	return 0;
}

int pki_serial_set(X509 *x, char *hex, size_t hex_len, struct byod_err *err)
{
	unsigned char b[PKI_SERIAL_BYTES];
	char h[2 * PKI_SERIAL_BYTES + 1];
	BIGNUM *bn = NULL;
	int rc;

	/*
	 * 0x01..0x7f first: the INTEGER is positive and its DER needs no
	 * leading zero byte, so every serial is exactly 16 bytes long. A
	 * zero first byte is drawn again rather than mapped, to stay unbiased.
	 */
	do {
		rc = byod_random(b, sizeof(b));
		if (rc)
			return byod_err_set(err, rc, "no randomness for a serial: %s",
					    strerror(-rc));
		b[0] &= 0x7f;
	} while (!b[0]);
	bn = BN_bin2bn(b, sizeof(b), NULL);
	if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x))) {
		rc = pki_ossl_err(err, ENOMEM, "cannot set the serial number");
		goto out;
	}
	if (hex) {
		byod_hex(b, sizeof(b), h);
		rc = byod_serial_normalise(h, hex, hex_len);
		if (rc)
			rc = byod_err_set(err, rc, "serial %s does not fit", h);
	}
out:
	BN_free(bn);
	return rc;
}

int pki_validity_set(X509 *x, time_t not_before, time_t not_after, struct byod_err *err)
{
	if (!ASN1_TIME_set(X509_getm_notBefore(x), not_before) ||
	    !ASN1_TIME_set(X509_getm_notAfter(x), not_after))
		return pki_ossl_err(err, EINVAL, "cannot set the validity period");
	return 0;
}

int pki_asn1_time(const ASN1_TIME *t, time_t *out)
{
	struct tm tm;

	if (!t || !ASN1_TIME_to_tm(t, &tm))
		return -EINVAL;
	*out = timegm(&tm);
	return 0;
}

int pki_ext_add(X509 *x, X509V3_CTX *ctx, int nid, const char *value, struct byod_err *err)
{
	X509_EXTENSION *ext;
	int rc = 0;

	ext = X509V3_EXT_nconf_nid(NULL, ctx, nid, value);
	if (!ext)
		return pki_ossl_err(err, EINVAL, "cannot make %s = %s", OBJ_nid2ln(nid), value);
	if (!X509_add_ext(x, ext, -1))
		rc = pki_ossl_err(err, ENOMEM, "cannot add %s", OBJ_nid2ln(nid));
	X509_EXTENSION_free(ext);
	return rc;
}

int pki_bio_string(BIO *bio, char **out, struct byod_err *err)
{
	char *data, *s;
	long n;

	n = BIO_get_mem_data(bio, &data);
	if (n < 0)
		return pki_ossl_err(err, EIO, "cannot read a memory buffer");
	s = malloc((size_t)n + 1);
	if (!s)
		return byod_err_set(err, ENOMEM, "out of memory");
	memcpy(s, data, (size_t)n);
	s[n] = '\0';
	*out = s;
	return 0;
}

int pki_key_pem(EVP_PKEY *key, char **out, struct byod_err *err)
{
	/* A secure-heap buffer: OpenSSL wipes it when the BIO goes. */
	BIO *bio = BIO_new(BIO_s_secmem());
	int rc;

	if (!bio)
		return pki_ossl_err(err, ENOMEM, "out of memory");
	if (!PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL))
		rc = pki_ossl_err(err, EIO, "cannot encode the private key");
	else
		rc = pki_bio_string(bio, out, err);
	BIO_free(bio);
	return rc;
}

int pki_cert_pem(X509 *x, char **out, struct byod_err *err)
{
	BIO *bio = BIO_new(BIO_s_mem());
	int rc;

	if (!bio)
		return pki_ossl_err(err, ENOMEM, "out of memory");
	if (!PEM_write_bio_X509(bio, x))
		rc = pki_ossl_err(err, EIO, "cannot encode the certificate");
	else
		rc = pki_bio_string(bio, out, err);
	BIO_free(bio);
	return rc;
}

void pki_secret_free(char *s)
{
	if (!s)
		return;
	OPENSSL_cleanse(s, strlen(s));
	free(s);
}

/*
 * Adds nid=value to a name, cut to 64 characters (not bytes: UTF-8 is
 * counted by code point, as X.520 counts) so that a long school name still
 * makes a CA rather than an error.
 */
static int name_add(X509_NAME *name, int nid, const char *value, struct byod_err *err)
{
	char buf[4 * PKI_NAME_CHARS + 1];
	size_t i, chars = 0;

	for (i = 0; value[i] && i < sizeof(buf) - 1; i++) {
		if (((unsigned char)value[i] & 0xc0) != 0x80 && ++chars > PKI_NAME_CHARS)
			break;
		buf[i] = value[i];
	}
	/* do not leave half a character at the end of the buffer */
	while (i > 0 && value[i] && ((unsigned char)value[i] & 0xc0) == 0x80)
		i--;
	buf[i] = '\0';
	if (!X509_NAME_add_entry_by_NID(name, nid, MBSTRING_UTF8, (const unsigned char *)buf, -1,
					-1, 0))
		return pki_ossl_err(err, EINVAL, "cannot use '%s' as %s (is it UTF-8 text?)", value,
				    OBJ_nid2ln(nid));
	return 0;
}

/* now + years, by the calendar (29 February becomes 1 March). */
static time_t years_later(time_t now, int years)
{
	struct tm tm;

	gmtime_r(&now, &tm);
	tm.tm_year += years;
	return timegm(&tm);
}

static int ca_paths(const char *dir, char *cert, char *key, size_t len, struct byod_err *err)
{
	if (byod_path_join(cert, len, dir, PKI_CA_CERT) ||
	    byod_path_join(key, len, dir, PKI_CA_KEY))
		return byod_err_set(err, ENAMETOOLONG, "directory name too long: %s", dir);
	return 0;
}

static int ca_build(const struct pki_ca_params *p, EVP_PKEY *key, X509 **out, struct byod_err *err)
{
	X509V3_CTX ctx;
	X509_NAME *name;
	time_t now = time(NULL);
	X509 *x;
	int rc;

	x = X509_new();
	if (!x || !X509_set_version(x, X509_VERSION_3)) {
		rc = pki_ossl_err(err, ENOMEM, "out of memory");
		goto out;
	}
	rc = pki_serial_set(x, NULL, 0, err);
	if (!rc)
		rc = pki_validity_set(x, now - PKI_BACKDATE, years_later(now, p->years), err);
	if (rc)
		goto out;

	name = X509_get_subject_name(x);
	if (!X509_NAME_add_entry_by_NID(name, NID_countryName, MBSTRING_ASC,
					(const unsigned char *)"FR", -1, -1, 0)) {
		rc = pki_ossl_err(err, ENOMEM, "cannot set the CA's country");
		goto out;
	}
	rc = name_add(name, NID_organizationName, p->organisation, err);
	if (!rc && p->uai && p->uai[0])
		rc = name_add(name, NID_organizationalUnitName, p->uai, err);
	if (!rc)
		rc = name_add(name, NID_commonName, p->common_name, err);
	if (rc)
		goto out;
	if (!X509_set_issuer_name(x, name) || !X509_set_pubkey(x, key)) {
		rc = pki_ossl_err(err, ENOMEM, "out of memory");
		goto out;
	}

	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	/* basicConstraints = critical, CA:TRUE, pathlen:0 */
	rc = pki_ext_add(x, &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0", err);
	/* keyUsage = critical, keyCertSign, cRLSign */
	if (!rc)
		rc = pki_ext_add(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign", err);
	/* subjectKeyIdentifier = hash */
	if (!rc)
		rc = pki_ext_add(x, &ctx, NID_subject_key_identifier, "hash", err);
	if (rc)
		goto out;

	if (!X509_sign(x, key, EVP_sha256()))
		rc = pki_ossl_err(err, EIO, "cannot sign the CA certificate");
out:
	if (rc)
		X509_free(x);
	else
		*out = x;
	return rc;
}

int pki_ca_create(const char *dir, const struct pki_ca_params *p, struct byod_err *err)
{
	char cert_path[4096], key_path[4096], *key_pem = NULL, *cert_pem = NULL;
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	int rc;

	ERR_clear_error();
	if (!dir || !p || !p->common_name || !p->common_name[0] || !p->organisation ||
	    !p->organisation[0])
		return byod_err_set(err, EINVAL, "the CA needs a common name and an organisation");
	if (p->years < 1 || p->years > 100)
		return byod_err_set(err, EINVAL, "CA validity of %d years is out of range (1-100)",
				    p->years);
	rc = ca_paths(dir, cert_path, key_path, sizeof(cert_path), err);
	if (rc)
		return rc;
	if (access(key_path, F_OK) == 0)
		return byod_err_set(err, EEXIST,
				    "%s already exists: refusing to replace the CA key", key_path);
	if (access(cert_path, F_OK) == 0)
		return byod_err_set(err, EEXIST,
				    "%s already exists: refusing to replace the CA certificate",
				    cert_path);

	rc = pki_key_p256(&key, err);
	if (!rc)
		rc = ca_build(p, key, &x, err);
	if (!rc)
		rc = pki_key_pem(key, &key_pem, err);
	if (!rc)
		rc = pki_cert_pem(x, &cert_pem, err);
	if (rc)
		goto out;

	/* excl: an existing key is never overwritten, even if it appeared just now */
	rc = byod_file_write(key_path, key_pem, strlen(key_pem), 0600, 1, err);
	if (rc)
		goto out;
	rc = byod_file_write(cert_path, cert_pem, strlen(cert_pem), 0644, 1, err);
	if (rc) {
		/* a key without its certificate would block the next attempt */
		unlink(key_path);
		goto out;
	}
out:
	pki_secret_free(key_pem);
	free(cert_pem);
	X509_free(x);
	EVP_PKEY_free(key);
	ERR_clear_error();
	return rc;
}

int pki_no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

int pki_cert_read(const char *path, X509 **out, struct byod_err *err)
{
	char *text = NULL;
	size_t n;
	BIO *bio = NULL;
	int rc;

	rc = byod_file_read(path, &text, &n, err);
	if (rc)
		return rc;
	if (n > PKI_FILE_MAX) {
		rc = byod_err_set(err, EFBIG, "%s: too large for a certificate", path);
		goto out;
	}
	bio = BIO_new_mem_buf(text, (int)n);
	if (!bio) {
		rc = pki_ossl_err(err, ENOMEM, "out of memory");
		goto out;
	}
	*out = PEM_read_bio_X509(bio, NULL, pki_no_passphrase, NULL);
	if (!*out)
		rc = pki_ossl_err(err, EINVAL, "%s: not a PEM certificate", path);
out:
	BIO_free(bio);
	free(text);
	return rc;
}

int pki_key_read(const char *path, EVP_PKEY **out, struct byod_err *err)
{
	char *text = NULL;
	size_t n = 0;
	BIO *bio = NULL;
	int rc;

	rc = byod_file_read(path, &text, &n, err);
	if (rc)
		return rc;
	if (n > PKI_FILE_MAX) {
		rc = byod_err_set(err, EFBIG, "%s: too large for a private key", path);
		goto out;
	}
	bio = BIO_new_mem_buf(text, (int)n);
	if (!bio) {
		rc = pki_ossl_err(err, ENOMEM, "out of memory");
		goto out;
	}
	*out = PEM_read_bio_PrivateKey(bio, NULL, pki_no_passphrase, NULL);
	if (!*out && strstr(text, "ENCRYPTED"))
		rc = pki_ossl_err(err, EINVAL,
				  "%s: the key is encrypted; keys are kept unencrypted, "
				  "readable by their owner only",
				  path);
	else if (!*out)
		rc = pki_ossl_err(err, EINVAL, "%s: not an unencrypted PEM private key", path);
out:
	BIO_free(bio);
	if (text) {
		OPENSSL_cleanse(text, n);
		free(text);
	}
	return rc;
}

int pki_ca_load(const char *dir, struct pki_ca **out, struct byod_err *err)
{
	char cert_path[4096], key_path[4096];
	struct pki_ca *ca = NULL;
	int rc;

	ERR_clear_error();
	*out = NULL;
	rc = ca_paths(dir, cert_path, key_path, sizeof(cert_path), err);
	if (rc)
		return rc;
	ca = calloc(1, sizeof(*ca));
	if (!ca)
		return byod_err_set(err, ENOMEM, "out of memory");
	rc = pki_cert_read(cert_path, &ca->cert, err);
	if (!rc)
		rc = pki_key_read(key_path, &ca->key, err);
	if (rc)
		goto out;
	/* 1: basicConstraints CA:TRUE, and keyCertSign if keyUsage is there */
	if (X509_check_ca(ca->cert) != 1) {
		rc = byod_err_set(err, EINVAL,
				  "%s: not a CA certificate (no CA:TRUE or keyCertSign)",
				  cert_path);
		goto out;
	}
	if (X509_check_private_key(ca->cert, ca->key) != 1) {
		rc = pki_ossl_err(err, EINVAL, "%s: the key does not belong to the certificate %s",
				  key_path, cert_path);
		goto out;
	}
	rc = pki_cert_pem(ca->cert, &ca->pem, err);
out:
	if (rc)
		pki_ca_free(ca);
	else
		*out = ca;
	ERR_clear_error();
	return rc;
}

int pki_keypair_load(const char *cert_path, const char *key_path, X509 **cert, EVP_PKEY **key,
		     struct byod_err *err)
{
	int rc;

	*cert = NULL;
	*key = NULL;
	ERR_clear_error();
	rc = pki_cert_read(cert_path, cert, err);
	if (!rc)
		rc = pki_key_read(key_path, key, err);
	if (rc) {
		X509_free(*cert);
		EVP_PKEY_free(*key);
		*cert = NULL;
		*key = NULL;
	}
	ERR_clear_error();
	return rc;
}

void pki_ca_free(struct pki_ca *ca)
{
	if (!ca)
		return;
	X509_free(ca->cert);
	EVP_PKEY_free(ca->key);
	free(ca->pem);
	free(ca);
}

const char *pki_ca_pem(const struct pki_ca *ca)
{
	return ca->pem;
}
