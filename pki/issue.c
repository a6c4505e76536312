// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Issuing certificates with the school CA: device certificates for EAP-TLS
 * (a key made here and delivered as PKCS#12 under a typed passphrase, see
 * p12.c, or the key of a CSR the device made itself), server certificates
 * for the RADIUS server and the portal, and the passphrase generator.
 *
 * The subject and extensions are always the CA's choice: a device is named
 * by its pseudonymous id only, whatever a CSR asks for.
 */
#define _GNU_SOURCE
#include "pki.h"
#include "pki_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "byod_util.h"

/* A CSR larger than this is not one. */
#define PKI_CSR_MAX (64 * 1024)
#define PKI_URL_MAX 1024

enum cert_kind { CERT_DEVICE, CERT_SERVER };

struct cert_spec {
	enum cert_kind kind;
	const char *name; /* subject CN: the device id or the DNS name */
	time_t not_after;
	const char *crl_url; /* NULL or "" for none */
	EVP_PKEY *key;	     /* the subject's (public) key */
};

/* Adds subjectAltName with one name of the given type (GEN_URI, GEN_DNS). */
static int san_add(X509 *x, int type, const char *value, struct byod_err *err)
{
	GENERAL_NAMES *names = NULL;
	GENERAL_NAME *gen = NULL;
	ASN1_IA5STRING *s = NULL;
	int rc = 0;

	/*
	 * Built as a structure, not from "URI:%s" text, so that nothing in the
	 * value can be read as a second name.
	 */
	names = GENERAL_NAMES_new();
	gen = GENERAL_NAME_new();
	s = ASN1_IA5STRING_new();
	if (!names || !gen || !s || !ASN1_STRING_set(s, value, -1)) {
		rc = pki_ossl_err(err, ENOMEM, "out of memory");
		goto out;
	}
	GENERAL_NAME_set0_value(gen, type, s);
	s = NULL;
	if (!sk_GENERAL_NAME_push(names, gen)) {
		rc = pki_ossl_err(err, ENOMEM, "out of memory");
		goto out;
	}
	gen = NULL;
	if (X509_add1_ext_i2d(x, NID_subject_alt_name, names, 0, X509V3_ADD_DEFAULT) != 1)
		rc = pki_ossl_err(err, EINVAL, "cannot add subjectAltName %s", value);
out:
	ASN1_IA5STRING_free(s);
	GENERAL_NAME_free(gen);
	GENERAL_NAMES_free(names);
	return rc;
}

/* crlDistributionPoints = URI:<url>, one distribution point, full name. */
static int crl_dp_add(X509 *x, const char *url, struct byod_err *err)
{
	CRL_DIST_POINTS *dps = NULL;
	DIST_POINT *dp = NULL;
	GENERAL_NAME *gen = NULL;
	ASN1_IA5STRING *s = NULL;
	int rc = 0;

	dps = CRL_DIST_POINTS_new();
	dp = DIST_POINT_new();
	gen = GENERAL_NAME_new();
	s = ASN1_IA5STRING_new();
	if (!dps || !dp || !gen || !s || !ASN1_STRING_set(s, url, -1))
		goto nomem;
	GENERAL_NAME_set0_value(gen, GEN_URI, s);
	s = NULL;
	dp->distpoint = DIST_POINT_NAME_new();
	if (!dp->distpoint)
		goto nomem;
	dp->distpoint->type = 0; /* fullName */
	dp->distpoint->name.fullname = GENERAL_NAMES_new();
	if (!dp->distpoint->name.fullname ||
	    !sk_GENERAL_NAME_push(dp->distpoint->name.fullname, gen))
		goto nomem;
	gen = NULL;
	if (!sk_DIST_POINT_push(dps, dp))
		goto nomem;
	dp = NULL;
	if (X509_add1_ext_i2d(x, NID_crl_distribution_points, dps, 0, X509V3_ADD_DEFAULT) != 1)
		rc = pki_ossl_err(err, EINVAL, "cannot add crlDistributionPoints %s", url);
	goto out;
nomem:
	rc = pki_ossl_err(err, ENOMEM, "out of memory");
out:
	ASN1_IA5STRING_free(s);
	GENERAL_NAME_free(gen);
	DIST_POINT_free(dp);
	CRL_DIST_POINTS_free(dps);
	return rc;
}

/* The extensions every end-entity certificate of the school carries. */
static int ee_extensions(struct pki_ca *ca, X509 *x, const struct cert_spec *s,
			 struct byod_err *err)
{
	char uri[64];
	X509V3_CTX ctx;
	int rc;

	X509V3_set_ctx(&ctx, ca->cert, x, NULL, NULL, 0);
	/* basicConstraints = critical, CA:FALSE */
	rc = pki_ext_add(x, &ctx, NID_basic_constraints, "critical,CA:FALSE", err);
	/* keyUsage = critical, digitalSignature */
	if (!rc)
		rc = pki_ext_add(x, &ctx, NID_key_usage, "critical,digitalSignature", err);
	/* extendedKeyUsage = clientAuth (devices) or serverAuth (servers) */
	if (!rc)
		rc = pki_ext_add(x, &ctx, NID_ext_key_usage,
				 s->kind == CERT_DEVICE ? "clientAuth" : "serverAuth", err);
	/* subjectKeyIdentifier = hash */
	if (!rc)
		rc = pki_ext_add(x, &ctx, NID_subject_key_identifier, "hash", err);
	/* authorityKeyIdentifier = keyid:always */
	if (!rc)
		rc = pki_ext_add(x, &ctx, NID_authority_key_identifier, "keyid:always", err);
	if (rc)
		return rc;
	if (s->kind == CERT_DEVICE) {
		/* subjectAltName = URI:urn:uuid:<device id> */
		snprintf(uri, sizeof(uri), "urn:uuid:%s", s->name);
		rc = san_add(x, GEN_URI, uri, err);
	} else {
		/* subjectAltName = DNS:<name> */
		rc = san_add(x, GEN_DNS, s->name, err);
	}
	/* crlDistributionPoints = URI:<crl_url> */
	if (!rc && s->crl_url && s->crl_url[0])
		rc = crl_dp_add(x, s->crl_url, err);
	return rc;
}

/*
 * Builds and signs the certificate s describes. Fills out->serial,
 * not_before, not_after and cert_pem; *cert is the caller's to free.
 */
static int cert_make(struct pki_ca *ca, const struct cert_spec *s, X509 **cert,
		     struct pki_issued *out, struct byod_err *err)
{
	char when[32], ca_when[32];
	time_t now = time(NULL), ca_end;
	X509_NAME *name;
	X509 *x = NULL;
	int rc;

	if (s->not_after <= now)
		return byod_err_set(err, EINVAL,
				    "the certificate would expire (%s) before it begins",
				    byod_time_iso(s->not_after, when, sizeof(when)));
	if (pki_asn1_time(X509_get0_notAfter(ca->cert), &ca_end))
		return byod_err_set(err, EINVAL, "the CA certificate has an unreadable notAfter");
	if (s->not_after > ca_end)
		return byod_err_set(err, EINVAL,
				    "the certificate would end (%s) after the CA does (%s)",
				    byod_time_iso(s->not_after, when, sizeof(when)),
				    byod_time_iso(ca_end, ca_when, sizeof(ca_when)));

	x = X509_new();
	if (!x || !X509_set_version(x, X509_VERSION_3)) {
		rc = pki_ossl_err(err, ENOMEM, "out of memory");
		goto out;
	}
	rc = pki_serial_set(x, out->serial, sizeof(out->serial), err);
	if (!rc)
		rc = pki_validity_set(x, now - PKI_BACKDATE, s->not_after, err);
	if (rc)
		goto out;
	name = X509_get_subject_name(x);
	if (!X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
					(const unsigned char *)s->name, -1, -1, 0)) {
		rc = pki_ossl_err(err, EINVAL, "cannot use '%s' as the common name", s->name);
		goto out;
	}
	if (!X509_set_issuer_name(x, X509_get_subject_name(ca->cert)) ||
	    !X509_set_pubkey(x, s->key)) {
		rc = pki_ossl_err(err, ENOMEM, "out of memory");
		goto out;
	}
	rc = ee_extensions(ca, x, s, err);
	if (rc)
		goto out;
	if (!X509_sign(x, ca->key, EVP_sha256())) {
		rc = pki_ossl_err(err, EIO, "cannot sign the certificate");
		goto out;
	}
	rc = pki_cert_pem(x, &out->cert_pem, err);
	if (rc)
		goto out;
	out->not_before = now - PKI_BACKDATE;
	out->not_after = s->not_after;
out:
	if (rc)
		X509_free(x);
	else
		*cert = x;
	return rc;
}

static int device_params_check(const struct pki_device_params *p, struct byod_err *err)
{
	const char *c;

	if (!p || !p->device_id || !byod_is_uuid(p->device_id))
		return byod_err_set(err, EINVAL, "the device id must be a UUID");
	if (!p->crl_url)
		return 0;
	if (strlen(p->crl_url) > PKI_URL_MAX)
		return byod_err_set(err, EINVAL, "the CRL URL is too long");
	/* an IA5String URI: printable ASCII, no spaces */
	for (c = p->crl_url; *c; c++)
		if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f)
			return byod_err_set(err, EINVAL,
					    "the CRL URL '%s' has a character a URI cannot hold",
					    p->crl_url);
	return 0;
}

/* Hands the parsed certificate and key over to out (*x and *key become
 * NULL), with a reference of its own to the CA certificate. */
static void issued_keep(struct pki_ca *ca, struct pki_issued *out, X509 **x, EVP_PKEY **key)
{
	out->cert = *x;
	*x = NULL;
	if (key) {
		out->key = *key;
		*key = NULL;
	}
	if (X509_up_ref(ca->cert))
		out->ca = ca->cert;
}

int pki_device_issue(struct pki_ca *ca, const struct pki_device_params *p, struct pki_issued *out,
		     struct byod_err *err)
{
	struct cert_spec s;
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	ERR_clear_error();
	rc = device_params_check(p, err);
	if (rc)
		return rc;
	rc = pki_key_p256(&key, err);
	if (rc)
		goto out;
	memset(&s, 0, sizeof(s));
	s.kind = CERT_DEVICE;
	s.name = p->device_id;
	s.not_after = p->not_after;
	s.crl_url = p->crl_url;
	s.key = key;
	rc = cert_make(ca, &s, &x, out, err);
	if (!rc)
		rc = pki_key_pem(key, &out->key_pem, err);
	if (rc)
		goto out;
	rc = pki_passphrase(out->passphrase);
	if (rc) {
		rc = byod_err_set(err, rc, "no randomness for the passphrase: %s", strerror(-rc));
		goto out;
	}
	/* the PKCS#12 forms are encoded when asked for (p12.c) */
	issued_keep(ca, out, &x, &key);
out:
	if (rc)
		pki_issued_clear(out);
	X509_free(x);
	EVP_PKEY_free(key);
	ERR_clear_error();
	return rc;
}

/* The CSR, PEM ("-----BEGIN", after any blank space) or DER. */
static int csr_parse(const void *csr, size_t len, X509_REQ **out, struct byod_err *err)
{
	const unsigned char *der = csr, *end;
	const char *text = csr;
	size_t i = 0;
	BIO *bio;

	if (!csr || !len)
		return byod_err_set(err, EINVAL, "the CSR is empty");
	if (len > PKI_CSR_MAX)
		return byod_err_set(err, EINVAL, "the CSR is too large (%zu bytes)", len);
	while (i < len && text[i] && strchr(" \t\r\n", text[i]))
		i++;
	if (len - i >= 10 && !memcmp(text + i, "-----BEGIN", 10)) {
		bio = BIO_new_mem_buf(text, (int)len);
		if (!bio)
			return pki_ossl_err(err, ENOMEM, "out of memory");
		*out = PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL);
		BIO_free(bio);
		if (!*out)
			return pki_ossl_err(err, EINVAL,
					    "the CSR is not a PEM certificate request");
		return 0;
	}
	end = der;
	*out = d2i_X509_REQ(NULL, &end, (long)len);
	if (!*out)
		return pki_ossl_err(err, EINVAL,
				    "the CSR is neither PEM nor a DER certificate request");
	if (end != der + len) {
		X509_REQ_free(*out);
		*out = NULL;
		return byod_err_set(err, EINVAL, "the CSR has %zu bytes of trailing data",
				    (size_t)(der + len - end));
	}
	return 0;
}

/* P-256, P-384 or RSA of at least 2048 bits, and a sound public key. */
static int csr_key_check(EVP_PKEY *key, struct byod_err *err)
{
	const char *type = EVP_PKEY_get0_type_name(key);
	EVP_PKEY_CTX *ctx = NULL;
	char group[80];
	int rc = 0, nid;

	if (!type)
		type = "unknown";
	if (EVP_PKEY_is_a(key, "EC")) {
		if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group,
						    sizeof(group), NULL))
			return pki_ossl_err(err, EINVAL,
					    "the CSR's EC key is not on a named curve");
		nid = OBJ_sn2nid(group);
		if (nid == NID_undef)
			nid = OBJ_txt2nid(group);
		if (nid != NID_X9_62_prime256v1 && nid != NID_secp384r1)
			return byod_err_set(err, EINVAL,
					    "the CSR's key is EC on curve %s; only P-256 and P-384 "
					    "are accepted",
					    group);
	} else if (EVP_PKEY_is_a(key, "RSA")) {
		if (EVP_PKEY_get_bits(key) < 2048)
			return byod_err_set(
				err, EINVAL,
				"the CSR's key is RSA-%d; at least RSA-2048 is required",
				EVP_PKEY_get_bits(key));
	} else {
		return byod_err_set(err, EINVAL,
				    "the CSR's key is %s; only EC P-256, P-384 or RSA of at "
				    "least 2048 bits are accepted",
				    type);
	}
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	if (!ctx)
		return pki_ossl_err(err, ENOMEM, "out of memory");
	if (EVP_PKEY_public_check(ctx) != 1)
		rc = pki_ossl_err(err, EINVAL, "the CSR's %s public key is invalid", type);
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

/* The CSR parsed, its key accepted and its signature verified (proof of
 * possession of the key; the rest of the CSR is ignored). *req is the
 * caller's; *key points into it. */
static int csr_accept(const void *csr, size_t csr_len, X509_REQ **req, EVP_PKEY **key,
		      struct byod_err *err)
{
	int rc;

	*req = NULL;
	rc = csr_parse(csr, csr_len, req, err);
	if (rc)
		return rc;
	*key = X509_REQ_get0_pubkey(*req);
	if (!*key)
		rc = pki_ossl_err(err, EINVAL, "the CSR's public key cannot be read");
	if (!rc)
		rc = csr_key_check(*key, err);
	if (!rc && X509_REQ_verify(*req, *key) != 1)
		rc = pki_ossl_err(err, EINVAL, "the CSR's signature does not verify");
	if (rc) {
		X509_REQ_free(*req);
		*req = NULL;
	}
	return rc;
}

int pki_csr_check(const void *csr, size_t csr_len, struct byod_err *err)
{
	X509_REQ *req;
	EVP_PKEY *key;
	int rc;

	ERR_clear_error();
	rc = csr_accept(csr, csr_len, &req, &key, err);
	X509_REQ_free(req);
	ERR_clear_error();
	return rc;
}

int pki_device_issue_csr(struct pki_ca *ca, const struct pki_device_params *p, const void *csr,
			 size_t csr_len, struct pki_issued *out, struct byod_err *err)
{
	struct cert_spec s;
	X509_REQ *req = NULL;
	EVP_PKEY *key;
	X509 *x = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	ERR_clear_error();
	rc = device_params_check(p, err);
	if (rc)
		return rc;
	rc = csr_accept(csr, csr_len, &req, &key, err);
	if (rc)
		goto out;
	memset(&s, 0, sizeof(s));
	s.kind = CERT_DEVICE;
	s.name = p->device_id;
	s.not_after = p->not_after;
	s.crl_url = p->crl_url;
	s.key = key;
	rc = cert_make(ca, &s, &x, out, err);
	if (!rc)
		issued_keep(ca, out, &x, NULL);
out:
	if (rc)
		pki_issued_clear(out);
	X509_free(x);
	X509_REQ_free(req);
	ERR_clear_error();
	return rc;
}

/* A host name (byod_dns_name_check); 64 at most, as it is the subject CN too. */
static int dns_name_check(const char *name, struct byod_err *err)
{
	if (!name || !name[0] || strlen(name) > 64)
		return byod_err_set(err, EINVAL, "a server name of 1 to 64 characters is required");
	if (byod_dns_name_check(name))
		return byod_err_set(err, EINVAL, "'%s' is not a valid DNS name", name);
	return 0;
}

int pki_server_issue(struct pki_ca *ca, const char *dns_name, int days, struct pki_issued *out,
		     struct byod_err *err)
{
	struct cert_spec s;
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	ERR_clear_error();
	rc = dns_name_check(dns_name, err);
	if (rc)
		return rc;
	if (days < 1 || days > 36500)
		return byod_err_set(err, EINVAL,
				    "server certificate validity of %d days is out of "
				    "range",
				    days);
	rc = pki_key_p256(&key, err);
	if (rc)
		goto out;
	memset(&s, 0, sizeof(s));
	s.kind = CERT_SERVER;
	s.name = dns_name;
	s.not_after = time(NULL) + (time_t)days * 86400;
	s.key = key;
	rc = cert_make(ca, &s, &x, out, err);
	if (!rc)
		rc = pki_key_pem(key, &out->key_pem, err);
	if (!rc)
		issued_keep(ca, out, &x, &key);
out:
	if (rc)
		pki_issued_clear(out);
	X509_free(x);
	EVP_PKEY_free(key);
	ERR_clear_error();
	return rc;
}

void pki_issued_clear(struct pki_issued *out)
{
	int f;

	if (!out)
		return;
	pki_secret_free(out->key_pem);
	for (f = 0; f < PKI_P12_FORM_N; f++) {
		if (out->p12[f].der) {
			OPENSSL_cleanse(out->p12[f].der, out->p12[f].len);
			free(out->p12[f].der);
		}
	}
	EVP_PKEY_free(out->key); /* OpenSSL wipes the key material */
	X509_free(out->cert);
	X509_free(out->ca);
	free(out->cert_pem);
	OPENSSL_cleanse(out, sizeof(*out));
}

int pki_passphrase(char out[PKI_PASSPHRASE_MAX])
{
	/*
	 * 32 characters, so 5 bits each with no modulo bias: lowercase (phones
	 * type it easily), without 1, i, l, o which read alike. '0' stays: it
	 * is taller than 'o', and 'o' is not in the set to be confused with it.
	 */
	static const char alphabet[] = "023456789abcdefghjkmnpqrstuvwxyz";
	unsigned char r[16];
	int rc, i, n = 0;

	_Static_assert(sizeof(alphabet) - 1 == 32, "the alphabet must have 32 characters");
	rc = byod_random(r, sizeof(r));
	if (rc) {
		out[0] = '\0';
		return rc;
	}
	for (i = 0; i < 16; i++) {
		if (i && i % 4 == 0)
			out[n++] = '-';
		out[n++] = alphabet[r[i] & 31];
	}
	out[n] = '\0';
	OPENSSL_cleanse(r, sizeof(r));
	return 0;
}
