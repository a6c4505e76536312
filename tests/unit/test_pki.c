// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for pki/: the CA files and their checks, device certificates
 * (server-made key and PKCS#12, or a CSR) checked by OpenSSL's own chain
 * verification with the TLS client purpose, server certificates, CRLs that
 * make a revoked certificate fail verification, and passphrases.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "byod_util.h"
#include "pki.h"

#define CRL_URL	      "http://portal.byod.lan/crl.der"
#define PASS_ALPHABET "023456789abcdefghjkmnpqrstuvwxyz"

static char tmpdir[512];
static char cadir[600];
static struct pki_ca *ca;
static X509 *ca_cert;

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int ca_params_make(const char *dir)
{
	struct pki_ca_params p = {
		.common_name = "Collège Jean Moulin BYOD CA",
		.organisation = "Collège Jean Moulin",
		.uai = "0750654D",
		.years = 10,
	};

	if (mkdir(dir, 0700) < 0)
		return -1;
	return pki_ca_create(dir, &p, NULL);
}

static X509 *cert_parse(const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);

	BIO_free(bio);
	return x;
}

static int group_setup(void **state)
{
	const char *base = getenv("BYOD_TEST_TMP");

	snprintf(tmpdir, sizeof(tmpdir), "%s/pki.XXXXXX", base ? base : "/tmp");
	mkdir(base ? base : "/tmp", 0755); /* the build's tmp may not exist yet */
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(cadir, sizeof(cadir), "%s/ca", tmpdir);
	if (ca_params_make(cadir) || pki_ca_load(cadir, &ca, NULL))
		return -1;
	ca_cert = cert_parse(pki_ca_pem(ca));
	return ca_cert ? 0 : -1;
}

static int group_teardown(void **state)
{
	X509_free(ca_cert);
	pki_ca_free(ca);
	return nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static time_t asn1_time(const ASN1_TIME *t)
{
	struct tm tm;

	assert_non_null(t);
	assert_true(ASN1_TIME_to_tm(t, &tm));
	return timegm(&tm);
}

/* X509_V_OK or the verification error, with the given purpose and CRL. */
static int verify(X509 *leaf, int purpose, X509_CRL *crl)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int ok, e;

	assert_non_null(store);
	assert_non_null(ctx);
	assert_true(X509_STORE_add_cert(store, ca_cert));
	if (crl) {
		assert_true(X509_STORE_add_crl(store, crl));
		X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
	}
	assert_true(X509_STORE_CTX_init(ctx, store, leaf, NULL));
	assert_true(X509_STORE_CTX_set_purpose(ctx, purpose));
	ok = X509_verify_cert(ctx);
	e = X509_STORE_CTX_get_error(ctx);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	ERR_clear_error();
	if (ok == 1) {
		assert_int_equal(e, X509_V_OK);
		return X509_V_OK;
	}
	assert_int_not_equal(e, X509_V_OK);
	return e;
}

static void assert_critical(X509 *x, int nid, int want)
{
	int pos = X509_get_ext_by_NID(x, nid, -1);

	assert_true(pos >= 0);
	assert_int_equal(X509_EXTENSION_get_critical(X509_get_ext(x, pos)), want);
	/* and only once */
	assert_int_equal(X509_get_ext_by_NID(x, nid, pos), -1);
}

/* The certificate's single SAN, of the given type, as text. */
static void assert_one_san(X509 *x, int type, const char *want)
{
	GENERAL_NAMES *names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	GENERAL_NAME *gen;
	int t;
	ASN1_IA5STRING *s;

	assert_non_null(names);
	assert_int_equal(sk_GENERAL_NAME_num(names), 1);
	gen = sk_GENERAL_NAME_value(names, 0);
	s = GENERAL_NAME_get0_value(gen, &t);
	assert_int_equal(t, type);
	assert_int_equal(ASN1_STRING_length(s), strlen(want));
	assert_memory_equal(ASN1_STRING_get0_data(s), want, strlen(want));
	GENERAL_NAMES_free(names);
}

/* Subject is exactly CN=cn. */
static void assert_subject_cn_only(X509 *x, const char *cn)
{
	X509_NAME *n = X509_get_subject_name(x);
	char buf[256];

	assert_int_equal(X509_NAME_entry_count(n), 1);
	assert_int_equal(X509_NAME_get_text_by_NID(n, NID_commonName, buf, sizeof(buf)),
			 strlen(cn));
	assert_string_equal(buf, cn);
}

static void assert_ee_common(X509 *x, const struct pki_issued *out, int xku)
{
	BASIC_CONSTRAINTS *bc = X509_get_ext_d2i(x, NID_basic_constraints, NULL, NULL);
	const ASN1_OCTET_STRING *aki = X509_get0_authority_key_id(x);
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex;
	size_t i;

	assert_non_null(bc);
	assert_false(bc->ca);
	BASIC_CONSTRAINTS_free(bc);
	assert_critical(x, NID_basic_constraints, 1);
	assert_critical(x, NID_key_usage, 1);
	assert_int_equal(X509_get_key_usage(x), KU_DIGITAL_SIGNATURE);
	assert_int_equal(X509_get_extended_key_usage(x), xku);
	assert_non_null(X509_get0_subject_key_id(x));
	assert_non_null(aki);
	assert_int_equal(ASN1_OCTET_STRING_cmp(aki, X509_get0_subject_key_id(ca_cert)), 0);
	assert_int_equal(X509_get_signature_nid(x), NID_ecdsa_with_SHA256);
	assert_int_equal(X509_check_issued(ca_cert, x), X509_V_OK);

	/* at least 64 random bits, positive, 16 bytes, and as reported */
	assert_non_null(bn);
	assert_false(BN_is_negative(bn));
	assert_true(BN_num_bits(bn) >= 64);
	assert_int_equal(BN_num_bytes(bn), 16);
	/* DER: tag, length, 16 bytes and no leading zero */
	assert_int_equal(i2d_ASN1_INTEGER(X509_get0_serialNumber(x), NULL), 18);
	hex = BN_bn2hex(bn);
	for (i = 0; hex[i]; i++)
		hex[i] = (char)tolower((unsigned char)hex[i]);
	/* BN_bn2hex writes whole bytes: "0c60..." is reported as "c60..." */
	assert_string_equal(hex + (hex[0] == '0'), out->serial);
	assert_int_not_equal(out->serial[0], '0');
	OPENSSL_free(hex);
	BN_free(bn);

	assert_int_equal(asn1_time(X509_get0_notBefore(x)), out->not_before);
	assert_true(llabs((long long)(out->not_before - (time(NULL) - 300))) <= 5);
	assert_int_equal(asn1_time(X509_get0_notAfter(x)), out->not_after);
}

static void assert_passphrase_form(const char *p)
{
	int i;

	assert_int_equal(strlen(p), 19);
	for (i = 0; i < 19; i++) {
		if (i % 5 == 4)
			assert_int_equal(p[i], '-');
		else
			assert_non_null(strchr(PASS_ALPHABET, p[i]));
	}
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[800];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_ca_create(void **state)
{
	struct pki_ca_params p = {"Collège Test BYOD CA", "Collège Test", "0750654D", 2};
	char dir[700], path[800], *text, buf[256];
	struct byod_err err = {0};
	BASIC_CONSTRAINTS *bc;
	struct pki_ca *c = NULL;
	time_t now = time(NULL);
	struct stat st;
	X509_NAME *n;
	BIGNUM *bn;
	X509 *x;

	snprintf(dir, sizeof(dir), "%s/create", tmpdir);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(pki_ca_create(dir, &p, &err), 0);
	snprintf(path, sizeof(path), "%s/ca.key", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	snprintf(path, sizeof(path), "%s/ca.pem", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);

	/* never twice; with the certificate gone, still never over the key */
	assert_int_equal(pki_ca_create(dir, &p, &err), -EEXIST);
	assert_non_null(strstr(err.msg, "ca.key"));
	assert_int_equal(byod_file_read(path, &text, NULL, &err), 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(pki_ca_create(dir, &p, &err), -EEXIST);
	assert_non_null(strstr(err.msg, "ca.key"));
	write_file(dir, "ca.pem", text);
	free(text);

	assert_int_equal(pki_ca_load(dir, &c, &err), 0);
	assert_int_equal(byod_file_read(path, &text, NULL, &err), 0);
	assert_string_equal(text, pki_ca_pem(c));
	free(text);
	x = cert_parse(pki_ca_pem(c));
	assert_non_null(x);

	bc = X509_get_ext_d2i(x, NID_basic_constraints, NULL, NULL);
	assert_non_null(bc);
	assert_true(bc->ca);
	assert_non_null(bc->pathlen);
	assert_int_equal(ASN1_INTEGER_get(bc->pathlen), 0);
	BASIC_CONSTRAINTS_free(bc);
	assert_critical(x, NID_basic_constraints, 1);
	assert_critical(x, NID_key_usage, 1);
	assert_int_equal(X509_get_key_usage(x), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
	assert_non_null(X509_get0_subject_key_id(x));
	assert_int_equal(X509_check_ca(x), 1);
	assert_int_equal(X509_verify(x, X509_get0_pubkey(x)), 1);
	assert_true(EVP_PKEY_is_a(X509_get0_pubkey(x), "EC"));
	assert_int_equal(EVP_PKEY_get_bits(X509_get0_pubkey(x)), 256);
	assert_int_equal(X509_get_signature_nid(x), NID_ecdsa_with_SHA256);

	n = X509_get_subject_name(x);
	assert_int_equal(X509_NAME_cmp(n, X509_get_issuer_name(x)), 0);
	assert_int_equal(X509_NAME_entry_count(n), 4);
	X509_NAME_get_text_by_NID(n, NID_commonName, buf, sizeof(buf));
	assert_string_equal(buf, "Collège Test BYOD CA");
	X509_NAME_get_text_by_NID(n, NID_organizationName, buf, sizeof(buf));
	assert_string_equal(buf, "Collège Test");
	X509_NAME_get_text_by_NID(n, NID_organizationalUnitName, buf, sizeof(buf));
	assert_string_equal(buf, "0750654D");
	X509_NAME_get_text_by_NID(n, NID_countryName, buf, sizeof(buf));
	assert_string_equal(buf, "FR");

	bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	assert_false(BN_is_negative(bn));
	assert_int_equal(BN_num_bytes(bn), 16);
	BN_free(bn);
	assert_true(llabs((long long)(asn1_time(X509_get0_notBefore(x)) - (now - 300))) <= 5);
	assert_true(asn1_time(X509_get0_notAfter(x)) - now >= 2LL * 365 * 86400);
	assert_true(asn1_time(X509_get0_notAfter(x)) - now <= 2LL * 366 * 86400);
	X509_free(x);
	pki_ca_free(c);
	pki_ca_free(NULL);
	assert_int_equal(ERR_peek_error(), 0);
}

static void test_ca_create_refused(void **state)
{
	struct pki_ca_params p = {"Test CA", "Test", NULL, 1};
	char dir[700], path[800], cn[300], buf[300];
	struct byod_err err = {0};
	struct pki_ca *c;
	X509 *x;
	int i;

	/* a certificate alone is enough to refuse, and no key is left behind */
	snprintf(dir, sizeof(dir), "%s/refused", tmpdir);
	assert_int_equal(mkdir(dir, 0700), 0);
	write_file(dir, "ca.pem", "not mine\n");
	assert_int_equal(pki_ca_create(dir, &p, &err), -EEXIST);
	assert_non_null(strstr(err.msg, "ca.pem"));
	snprintf(path, sizeof(path), "%s/ca.key", dir);
	assert_int_equal(access(path, F_OK), -1);

	/* a directory that is not there */
	snprintf(dir, sizeof(dir), "%s/missing/dir", tmpdir);
	assert_true(pki_ca_create(dir, &p, &err) < 0);
	assert_non_null(strstr(err.msg, "ca.key"));

	/* bad parameters */
	snprintf(dir, sizeof(dir), "%s/params", tmpdir);
	assert_int_equal(mkdir(dir, 0700), 0);
	p.years = 0;
	assert_int_equal(pki_ca_create(dir, &p, &err), -EINVAL);
	p.years = 1;
	p.common_name = "";
	assert_int_equal(pki_ca_create(dir, &p, &err), -EINVAL);

	/* a name longer than X.520 allows is cut at 64 characters, not bytes */
	for (i = 0; i < 70; i++)
		memcpy(cn + 2 * i, "é", 2);
	cn[140] = '\0';
	p.common_name = cn;
	assert_int_equal(pki_ca_create(dir, &p, &err), 0);
	assert_int_equal(pki_ca_load(dir, &c, &err), 0);
	x = cert_parse(pki_ca_pem(c));
	assert_int_equal(X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, buf,
						   sizeof(buf)),
			 128);
	assert_memory_equal(buf, cn, 128);
	X509_free(x);
	pki_ca_free(c);
}

static void copy_file(const char *from_dir, const char *to_dir, const char *name)
{
	char path[800], *text;

	snprintf(path, sizeof(path), "%s/%s", from_dir, name);
	assert_int_equal(byod_file_read(path, &text, NULL, NULL), 0);
	write_file(to_dir, name, text);
	free(text);
}

static void test_ca_load_errors(void **state)
{
	char dir[700], other[700], path[800];
	struct byod_err err = {0};
	struct pki_ca *c = (struct pki_ca *)1;
	struct pki_issued srv;
	EVP_PKEY *key;
	BIO *bio;
	char *pem;
	long n;

	snprintf(dir, sizeof(dir), "%s/load", tmpdir);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/ca.key", dir);

	/* nothing there */
	assert_true(pki_ca_load(dir, &c, &err) < 0);
	assert_null(c);
	assert_non_null(strstr(err.msg, "ca.pem"));

	/* a garbage key */
	copy_file(cadir, dir, "ca.pem");
	write_file(dir, "ca.key", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
	assert_true(pki_ca_load(dir, &c, &err) < 0);
	assert_non_null(strstr(err.msg, path));
	write_file(dir, "ca.key", "garbage\n");
	assert_true(pki_ca_load(dir, &c, &err) < 0);
	assert_non_null(strstr(err.msg, path));
	assert_int_equal(ERR_peek_error(), 0);

	/* the key of another CA */
	snprintf(other, sizeof(other), "%s/other", tmpdir);
	assert_int_equal(ca_params_make(other), 0);
	copy_file(other, dir, "ca.key");
	assert_int_equal(pki_ca_load(dir, &c, &err), -EINVAL);
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, "does not belong"));

	/* an encrypted key fails at once: no prompt on a terminal */
	snprintf(path, sizeof(path), "%s/ca.key", cadir);
	assert_int_equal(byod_file_read(path, &pem, NULL, NULL), 0);
	bio = BIO_new_mem_buf(pem, -1);
	key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	assert_non_null(key);
	BIO_free(bio);
	free(pem);
	bio = BIO_new(BIO_s_mem());
	assert_true(PEM_write_bio_PrivateKey(bio, key, EVP_aes_256_cbc(), (unsigned char *)"secret",
					     6, NULL, NULL));
	n = BIO_get_mem_data(bio, &pem);
	pem[n - 1] = '\0'; /* the last newline, to make it a C string */
	copy_file(cadir, dir, "ca.pem");
	write_file(dir, "ca.key", pem);
	BIO_free(bio);
	EVP_PKEY_free(key);
	assert_int_equal(pki_ca_load(dir, &c, &err), -EINVAL);
	snprintf(path, sizeof(path), "%s/ca.key", dir);
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, "encrypted"));

	/* a certificate that is not a CA, with its own key */
	assert_int_equal(pki_server_issue(ca, "www.example.org", 10, &srv, &err), 0);
	write_file(dir, "ca.pem", srv.cert_pem);
	write_file(dir, "ca.key", srv.key_pem);
	pki_issued_clear(&srv);
	assert_int_equal(pki_ca_load(dir, &c, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "not a CA"));
	assert_null(c);
	assert_int_equal(ERR_peek_error(), 0);
}

static void device_params(struct pki_device_params *p, char id[37], time_t not_after)
{
	assert_int_equal(byod_uuid4(id), 0);
	memset(p, 0, sizeof(*p));
	p->device_id = id;
	p->not_after = not_after;
	p->crl_url = CRL_URL;
}

static void assert_crl_dp(X509 *x, const char *url)
{
	CRL_DIST_POINTS *dps = X509_get_ext_d2i(x, NID_crl_distribution_points, NULL, NULL);
	GENERAL_NAMES *names;
	ASN1_IA5STRING *s;
	DIST_POINT *dp;
	int type;

	if (!url) {
		assert_null(dps);
		return;
	}
	assert_non_null(dps);
	assert_int_equal(sk_DIST_POINT_num(dps), 1);
	dp = sk_DIST_POINT_value(dps, 0);
	assert_non_null(dp->distpoint);
	assert_int_equal(dp->distpoint->type, 0);
	names = dp->distpoint->name.fullname;
	assert_int_equal(sk_GENERAL_NAME_num(names), 1);
	s = GENERAL_NAME_get0_value(sk_GENERAL_NAME_value(names, 0), &type);
	assert_int_equal(type, GEN_URI);
	assert_string_equal((const char *)ASN1_STRING_get0_data(s), url);
	CRL_DIST_POINTS_free(dps);
}

static void test_device_issue(void **state)
{
	struct pki_issued out, zero, other;
	struct pki_device_params p;
	struct byod_err err = {0};
	STACK_OF(X509) *chain = NULL;
	const unsigned char *der;
	size_t der_len = 0;
	int f;
	char id[37], uri[64];
	EVP_PKEY *pkey = NULL;
	X509 *x, *px = NULL;
	unsigned char *alias;
	PKCS12 *p12;
	BIO *bio;
	int len;

	device_params(&p, id, time(NULL) + 200 * 86400);
	assert_int_equal(pki_device_issue(ca, &p, &out, &err), 0);
	assert_non_null(out.cert_pem);
	assert_non_null(out.key_pem);
	/* no PKCS#12 is encoded until one is asked for */
	for (f = 0; f < PKI_P12_FORM_N; f++)
		assert_null(out.p12[f].der);
	assert_int_equal(pki_issued_p12(&out, PKI_P12_MODERN, &der, &der_len, &err), 0);
	assert_non_null(der);
	assert_true(der_len > 0);
	assert_passphrase_form(out.passphrase);
	assert_int_equal(ERR_peek_error(), 0);

	x = cert_parse(out.cert_pem);
	assert_non_null(x);
	assert_int_equal(verify(x, X509_PURPOSE_SSL_CLIENT, NULL), X509_V_OK);
	assert_int_equal(verify(x, X509_PURPOSE_SSL_SERVER, NULL), X509_V_ERR_INVALID_PURPOSE);
	assert_subject_cn_only(x, id);
	snprintf(uri, sizeof(uri), "urn:uuid:%s", id);
	assert_one_san(x, GEN_URI, uri);
	assert_ee_common(x, &out, XKU_SSL_CLIENT);
	assert_int_equal(out.not_after, p.not_after);
	assert_crl_dp(x, CRL_URL);

	/* the key PEM is the certificate's key */
	bio = BIO_new_mem_buf(out.key_pem, -1);
	pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	assert_non_null(pkey);
	assert_int_equal(X509_check_private_key(x, pkey), 1);
	EVP_PKEY_free(pkey);
	pkey = NULL;

	/* the PKCS#12 opens with the passphrase only, and holds key, cert, CA */
	p12 = d2i_PKCS12(NULL, &der, (long)der_len);
	assert_non_null(p12);
	assert_int_equal(PKCS12_parse(p12, "wrong-pass-word-xxxx", &pkey, &px, &chain), 0);
	assert_null(pkey);
	ERR_clear_error();
	assert_int_equal(PKCS12_verify_mac(p12, out.passphrase, -1), 1);
	assert_int_equal(PKCS12_parse(p12, out.passphrase, &pkey, &px, &chain), 1);
	assert_int_equal(X509_cmp(px, x), 0);
	assert_int_equal(X509_check_private_key(px, pkey), 1);
	assert_int_equal(sk_X509_num(chain), 1);
	assert_int_equal(X509_cmp(sk_X509_value(chain, 0), ca_cert), 0);
	alias = X509_alias_get0(px, &len);
	assert_non_null(alias);
	assert_int_equal(len, 36);
	assert_memory_equal(alias, id, 36);
	PKCS12_free(p12);
	sk_X509_pop_free(chain, X509_free);
	X509_free(px);
	EVP_PKEY_free(pkey);
	X509_free(x);

	/* a second device: another serial, another passphrase; no CRL URL */
	p.crl_url = "";
	assert_int_equal(pki_device_issue(ca, &p, &other, &err), 0);
	assert_string_not_equal(other.serial, out.serial);
	assert_string_not_equal(other.passphrase, out.passphrase);
	x = cert_parse(other.cert_pem);
	assert_crl_dp(x, NULL);
	X509_free(x);
	pki_issued_clear(&other);

	pki_issued_clear(&out);
	memset(&zero, 0, sizeof(zero));
	assert_memory_equal(&out, &zero, sizeof(out));
	pki_issued_clear(NULL);
}

/* What a PKCS#12 is made of, read back with OpenSSL's own parser: the
 * algorithm of the encrypted bag holding the certificates (NID_undef when
 * they are in plain data), of the shrouded key bag (NID_undef for a plain
 * keyBag), and of the MAC. */
struct p12_shape {
	int cert_alg, key_alg, mac_md, bags;
};

/* The algorithm an AlgorithmIdentifier names; for PBES2, its cipher. */
static int alg_nid(const X509_ALGOR *alg)
{
	const ASN1_OBJECT *obj;
	const void *param;
	int ptype, nid;
	PBE2PARAM *pbe2;

	X509_ALGOR_get0(&obj, &ptype, &param, alg);
	nid = OBJ_obj2nid(obj);
	if (nid != NID_pbes2 || ptype != V_ASN1_SEQUENCE)
		return nid;
	pbe2 = ASN1_TYPE_unpack_sequence(
		ASN1_ITEM_rptr(PBE2PARAM),
		&(ASN1_TYPE){.type = V_ASN1_SEQUENCE, .value.sequence = (ASN1_STRING *)param});
	assert_non_null(pbe2);
	X509_ALGOR_get0(&obj, NULL, NULL, pbe2->encryption);
	nid = OBJ_obj2nid(obj);
	PBE2PARAM_free(pbe2);
	return nid;
}

static void p12_shape(const unsigned char *der, size_t len, const char *pass, struct p12_shape *sh)
{
	const X509_ALGOR *macalg = NULL, *alg;
	const ASN1_OBJECT *obj = NULL;
	STACK_OF(PKCS12_SAFEBAG) * bags;
	STACK_OF(PKCS7) * safes;
	PKCS12 *p12;
	int i, j;

	memset(sh, 0, sizeof(*sh));
	sh->cert_alg = sh->key_alg = NID_undef;
	p12 = d2i_PKCS12(NULL, &der, (long)len);
	assert_non_null(p12);
	PKCS12_get0_mac(NULL, &macalg, NULL, NULL, p12);
	assert_non_null(macalg);
	X509_ALGOR_get0(&obj, NULL, NULL, macalg);
	sh->mac_md = OBJ_obj2nid(obj);
	safes = PKCS12_unpack_authsafes(p12);
	assert_non_null(safes);
	for (i = 0; i < sk_PKCS7_num(safes); i++) {
		PKCS7 *p7 = sk_PKCS7_value(safes, i);

		if (PKCS7_type_is_encrypted(p7)) {
			sh->cert_alg = alg_nid(p7->d.encrypted->enc_data->algorithm);
			bags = PKCS12_unpack_p7encdata(p7, pass, -1);
		} else {
			bags = PKCS12_unpack_p7data(p7);
		}
		assert_non_null(bags);
		for (j = 0; j < sk_PKCS12_SAFEBAG_num(bags); j++) {
			PKCS12_SAFEBAG *bag = sk_PKCS12_SAFEBAG_value(bags, j);

			sh->bags++;
			if (PKCS12_SAFEBAG_get_nid(bag) == NID_pkcs8ShroudedKeyBag) {
				X509_SIG_get0(PKCS12_SAFEBAG_get0_pkcs8(bag), &alg, NULL);
				sh->key_alg = alg_nid(alg);
			}
		}
		sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
	}
	sk_PKCS7_pop_free(safes, PKCS7_free);
	PKCS12_free(p12);
}

/* Opens der with pass: its key is key, its certificate cert, and the chain
 * holds ncas certificates (the school CA when 1). */
static void p12_opens(const unsigned char *der, size_t len, const char *pass, X509 *cert, int ncas)
{
	STACK_OF(X509) *cas = NULL;
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	PKCS12 *p12;

	p12 = d2i_PKCS12(NULL, &der, (long)len);
	assert_non_null(p12);
	assert_int_equal(PKCS12_parse(p12, pass, &key, &x, &cas), 1);
	assert_non_null(key);
	assert_int_equal(X509_cmp(x, cert), 0);
	assert_int_equal(X509_check_private_key(x, key), 1);
	assert_int_equal(cas ? sk_X509_num(cas) : 0, ncas);
	if (ncas)
		assert_int_equal(X509_cmp(sk_X509_value(cas, 0), ca_cert), 0);
	EVP_PKEY_free(key);
	X509_free(x);
	sk_X509_pop_free(cas, X509_free);
	PKCS12_free(p12);
}

/* The one encoder, each form as its readers need it, each encoded once
 * however often it is asked for; pki_p12_encode_count counts it. */
static void test_p12_forms(void **state)
{
	unsigned long before[PKI_P12_FORM_N];
	const unsigned char *der[PKI_P12_FORM_N], *again;
	size_t len[PKI_P12_FORM_N], again_len;
	struct pki_device_params p;
	struct byod_err err = {0};
	struct pki_issued out;
	struct p12_shape sh;
	unsigned char *raw;
	size_t raw_len;
	char id[37];
	int f;

	device_params(&p, id, time(NULL) + 30 * 86400);
	assert_int_equal(pki_device_issue(ca, &p, &out, &err), 0);
	for (f = 0; f < PKI_P12_FORM_N; f++)
		before[f] = pki_p12_encode_count(f);
	for (f = 0; f < PKI_P12_FORM_N; f++) {
		assert_int_equal(pki_issued_p12(&out, f, &der[f], &len[f], &err), 0);
		assert_int_equal(pki_p12_encode_count(f), before[f] + 1);
		assert_int_equal(pki_issued_p12(&out, f, &again, &again_len, &err), 0);
		assert_ptr_equal(again, der[f]);
		assert_int_equal(again_len, len[f]);
		assert_int_equal(pki_p12_encode_count(f), before[f] + 1);
	}
	assert_int_equal(pki_issued_p12(&out, PKI_P12_FORM_N, &again, &again_len, &err), -EINVAL);

	/* modern: AES-256 under PBES2 for certificates and key, a SHA-256 MAC */
	p12_shape(der[PKI_P12_MODERN], len[PKI_P12_MODERN], out.passphrase, &sh);
	assert_int_equal(sh.cert_alg, NID_aes_256_cbc);
	assert_int_equal(sh.key_alg, NID_aes_256_cbc);
	assert_int_equal(sh.mac_md, NID_sha256);
	p12_opens(der[PKI_P12_MODERN], len[PKI_P12_MODERN], out.passphrase, out.cert, 1);

	/* legacy: 3DES for certificates and key, a SHA-1 MAC */
	p12_shape(der[PKI_P12_LEGACY], len[PKI_P12_LEGACY], out.passphrase, &sh);
	assert_int_equal(sh.cert_alg, NID_pbe_WithSHA1And3_Key_TripleDES_CBC);
	assert_int_equal(sh.key_alg, NID_pbe_WithSHA1And3_Key_TripleDES_CBC);
	assert_int_equal(sh.mac_md, NID_sha1);
	p12_opens(der[PKI_P12_LEGACY], len[PKI_P12_LEGACY], out.passphrase, out.cert, 1);

	/* clear (Passpoint): nothing encrypted, one key and one certificate,
	 * no CA, opened with the empty password */
	p12_shape(der[PKI_P12_CLEAR], len[PKI_P12_CLEAR], "", &sh);
	assert_int_equal(sh.cert_alg, NID_undef);
	assert_int_equal(sh.key_alg, NID_undef);
	assert_int_equal(sh.bags, 2);
	p12_opens(der[PKI_P12_CLEAR], len[PKI_P12_CLEAR], "", out.cert, 0);

	/* the encoder itself, with what a locked form needs missing */
	{
		struct pki_p12_in in = {
			.key = out.key, .cert = out.cert, .ca = out.ca, .passphrase = ""};

		assert_int_equal(pki_p12_encode(&in, PKI_P12_LEGACY, &raw, &raw_len, &err),
				 -EINVAL);
		assert_null(raw);
		in.passphrase = out.passphrase;
		in.ca = NULL;
		assert_int_equal(pki_p12_encode(&in, PKI_P12_MODERN, &raw, &raw_len, &err),
				 -EINVAL);
		in.key = NULL;
		assert_int_equal(pki_p12_encode(&in, PKI_P12_CLEAR, &raw, &raw_len, &err), -EINVAL);
		for (f = 0; f < PKI_P12_FORM_N; f++)
			assert_int_equal(pki_p12_encode_count(f), before[f] + 1);
	}
	assert_int_equal(ERR_peek_error(), 0);
	pki_issued_clear(&out);
}

static void test_device_issue_refused(void **state)
{
	struct pki_issued out, zero;
	struct pki_device_params p;
	struct byod_err err = {0};
	char id[37];

	memset(&zero, 0, sizeof(zero));
	device_params(&p, id, time(NULL));
	assert_int_equal(pki_device_issue(ca, &p, &out, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "expire"));
	assert_memory_equal(&out, &zero, sizeof(out));

	/* past the end of the CA */
	p.not_after = time(NULL) + 20LL * 366 * 86400;
	assert_int_equal(pki_device_issue(ca, &p, &out, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "after the CA"));
	assert_memory_equal(&out, &zero, sizeof(out));

	p.not_after = time(NULL) + 86400;
	p.device_id = "Alice Dupont";
	assert_int_equal(pki_device_issue(ca, &p, &out, &err), -EINVAL);
	p.device_id = id;
	p.crl_url = "http://x/crl.der, URI:http://evil/";
	assert_int_equal(pki_device_issue(ca, &p, &out, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "CRL URL"));
	assert_memory_equal(&out, &zero, sizeof(out));
	assert_int_equal(ERR_peek_error(), 0);
}

/* A CSR asking for a person's name, an e-mail SAN and CA:TRUE. */
static X509_REQ *csr_make(EVP_PKEY *key)
{
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	X509_REQ *req = X509_REQ_new();
	X509V3_CTX ctx;

	assert_non_null(req);
	assert_true(X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN", MBSTRING_UTF8,
					       (const unsigned char *)"Alice Dupont", -1, -1, 0));
	assert_true(X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "O", MBSTRING_UTF8,
					       (const unsigned char *)"Evil", -1, -1, 0));
	assert_true(X509_REQ_set_pubkey(req, key));
	X509V3_set_ctx(&ctx, NULL, NULL, req, NULL, 0);
	assert_true(sk_X509_EXTENSION_push(exts,
					   X509V3_EXT_nconf_nid(NULL, &ctx, NID_subject_alt_name,
								"email:alice.dupont@example.org")));
	assert_true(sk_X509_EXTENSION_push(
		exts, X509V3_EXT_nconf_nid(NULL, &ctx, NID_basic_constraints, "critical,CA:TRUE")));
	assert_true(X509_REQ_add_extensions(req, exts));
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	assert_true(X509_REQ_sign(req, key, EVP_PKEY_is_a(key, "ED25519") ? NULL : EVP_sha256()));
	return req;
}

static char *csr_pem(X509_REQ *req)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *s;
	long n;

	assert_true(PEM_write_bio_X509_REQ(bio, req));
	n = BIO_get_mem_data(bio, &data);
	s = strndup(data, (size_t)n);
	BIO_free(bio);
	return s;
}

static unsigned char *csr_der(X509_REQ *req, size_t *len)
{
	unsigned char *der = NULL;
	int n = i2d_X509_REQ(req, &der);

	assert_true(n > 0);
	*len = (size_t)n;
	return der;
}

/* Issues from a CSR for key, in PEM or DER; returns rc, fills out/err. */
static int csr_issue(EVP_PKEY *key, int der, struct pki_issued *out, struct byod_err *err)
{
	struct pki_device_params p;
	X509_REQ *req = csr_make(key);
	char id[37];
	void *csr;
	size_t len;
	int rc;

	device_params(&p, id, time(NULL) + 30 * 86400);
	if (der) {
		csr = csr_der(req, &len);
	} else {
		csr = csr_pem(req);
		len = strlen(csr);
	}
	rc = pki_device_issue_csr(ca, &p, csr, len, out, err);
	if (der)
		OPENSSL_free(csr);
	else
		free(csr);
	X509_REQ_free(req);
	return rc;
}

static void test_csr_accepted(void **state)
{
	const char *keys[][2] = {{"EC", "P-256"}, {"EC", "P-384"}, {"RSA", NULL}};
	struct pki_issued out;
	struct byod_err err = {0};
	const unsigned char *der;
	size_t der_len;
	char id[37], uri[64];
	unsigned i;

	for (i = 0; i < 6; i++) {
		EVP_PKEY *key;
		X509 *x;

		if (keys[i / 2][1])
			key = EVP_PKEY_Q_keygen(NULL, NULL, keys[i / 2][0], keys[i / 2][1]);
		else
			key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
		assert_non_null(key);
		assert_int_equal(csr_issue(key, i % 2, &out, &err), 0);
		assert_null(out.key_pem);
		assert_null(out.key);
		assert_int_equal(pki_issued_p12(&out, PKI_P12_MODERN, &der, &der_len, &err),
				 -EINVAL);
		assert_null(der);
		assert_int_equal(der_len, 0);
		assert_string_equal(out.passphrase, "");
		x = cert_parse(out.cert_pem);
		assert_non_null(x);
		assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(x), key), 1);
		assert_int_equal(verify(x, X509_PURPOSE_SSL_CLIENT, NULL), X509_V_OK);

		/* the CA's subject and extensions, not the CSR's */
		X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, id, sizeof(id));
		assert_true(byod_is_uuid(id));
		assert_subject_cn_only(x, id);
		snprintf(uri, sizeof(uri), "urn:uuid:%s", id);
		assert_one_san(x, GEN_URI, uri);
		assert_ee_common(x, &out, XKU_SSL_CLIENT);
		assert_crl_dp(x, CRL_URL);
		assert_int_equal(X509_check_ca(x), 0);
		assert_int_equal(X509_get_ext_count(x), 7);
		X509_free(x);
		pki_issued_clear(&out);
		EVP_PKEY_free(key);
	}
	assert_int_equal(ERR_peek_error(), 0);
}

static void assert_csr_refused(const void *csr, size_t len, const char *msg)
{
	struct pki_device_params p;
	struct pki_issued out, zero;
	struct byod_err err = {0};
	char id[37];

	memset(&zero, 0, sizeof(zero));
	device_params(&p, id, time(NULL) + 86400);
	assert_int_equal(pki_device_issue_csr(ca, &p, csr, len, &out, &err), -EINVAL);
	if (!strstr(err.msg, msg))
		fail_msg("'%s' does not say '%s'", err.msg, msg);
	assert_memory_equal(&out, &zero, sizeof(out));
	assert_int_equal(ERR_peek_error(), 0);
}

static void assert_key_refused(EVP_PKEY *key, const char *msg)
{
	X509_REQ *req = csr_make(key);
	char *pem = csr_pem(req);

	assert_csr_refused(pem, strlen(pem), msg);
	free(pem);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
}

static void test_csr_refused(void **state)
{
	static const char pem_garbage[] =
		"-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n";
	EVP_PKEY *key;
	unsigned char *der, *longer;
	X509_REQ *req;
	size_t len;

	assert_key_refused(EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024), "RSA-1024");
	assert_key_refused(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp256k1"), "secp256k1");
	assert_key_refused(EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"), "ED25519");

	/* a signature that does not verify */
	key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	req = csr_make(key);
	der = csr_der(req, &len);
	der[len - 1] ^= 0x01;
	assert_csr_refused(der, len, "signature");

	/* trailing bytes after a good DER CSR */
	der[len - 1] ^= 0x01;
	longer = malloc(len + 4);
	memcpy(longer, der, len);
	memset(longer + len, 0, 4);
	assert_csr_refused(longer, len + 4, "trailing");
	free(longer);
	OPENSSL_free(der);
	X509_REQ_free(req);
	EVP_PKEY_free(key);

	assert_csr_refused("garbage", 7, "neither PEM nor");
	assert_csr_refused(pem_garbage, strlen(pem_garbage), "PEM");
	assert_csr_refused("", 0, "empty");
	assert_csr_refused(NULL, 0, "empty");
}

static void test_server_issue(void **state)
{
	struct pki_issued out;
	struct byod_err err = {0};
	const unsigned char *der;
	size_t der_len;
	time_t now = time(NULL);
	EVP_PKEY *key;
	X509 *x;
	BIO *bio;

	assert_int_equal(pki_server_issue(ca, "radius.byod.lan", 825, &out, &err), 0);
	assert_non_null(out.key_pem);
	assert_int_equal(pki_issued_p12(&out, PKI_P12_MODERN, &der, &der_len, &err), -EINVAL);
	assert_null(der);
	assert_string_equal(out.passphrase, "");
	x = cert_parse(out.cert_pem);
	assert_non_null(x);
	assert_int_equal(verify(x, X509_PURPOSE_SSL_SERVER, NULL), X509_V_OK);
	assert_int_equal(verify(x, X509_PURPOSE_SSL_CLIENT, NULL), X509_V_ERR_INVALID_PURPOSE);
	assert_int_equal(X509_check_host(x, "radius.byod.lan", 0, 0, NULL), 1);
	assert_subject_cn_only(x, "radius.byod.lan");
	assert_one_san(x, GEN_DNS, "radius.byod.lan");
	assert_ee_common(x, &out, XKU_SSL_SERVER);
	assert_true(llabs((long long)(out.not_after - (now + 825LL * 86400))) <= 5);
	assert_crl_dp(x, NULL);
	bio = BIO_new_mem_buf(out.key_pem, -1);
	key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	assert_non_null(key);
	assert_int_equal(X509_check_private_key(x, key), 1);
	EVP_PKEY_free(key);
	BIO_free(bio);
	X509_free(x);
	pki_issued_clear(&out);

	assert_int_equal(pki_server_issue(ca, "bad name", 10, &out, &err), -EINVAL);
	assert_int_equal(pki_server_issue(ca, "a..b", 10, &out, &err), -EINVAL);
	assert_int_equal(pki_server_issue(ca, "-a.b", 10, &out, &err), -EINVAL);
	assert_int_equal(pki_server_issue(ca, "", 10, &out, &err), -EINVAL);
	assert_int_equal(pki_server_issue(ca, "portal.lan", 0, &out, &err), -EINVAL);
	assert_int_equal(pki_server_issue(ca, "portal.lan", 20 * 366, &out, &err), -EINVAL);
	assert_null(out.cert_pem);
	assert_int_equal(ERR_peek_error(), 0);
}

/* path = text */
static void file_put(const char *path, const char *a, const char *b)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(a, f);
	if (b)
		fputs(b, f);
	assert_int_equal(fclose(f), 0);
}

/* Whether one of rep's sentences holds needle. */
static int report_says(const struct pki_cert_report *rep, const char *needle)
{
	int i;

	for (i = 0; i < rep->nwhy; i++)
		if (strstr(rep->why[i], needle))
			return 1;
	return 0;
}

/* A server certificate as an administrator provides it, checked as a phone
 * would: the school CA stands for a public root in a trust store. */
static void test_server_cert_check(void **state)
{
	char cert[700], key[700], chain[700], full[700], both[700], store[700], empty[700];
	struct pki_check_params cp = { .host = "portal.byod.lan", .days = 30 };
	struct pki_server_cert *sc = NULL;
	struct pki_cert_report rep;
	struct pki_issued srv, other;
	struct byod_err err = {0};
	X509 *x;

	assert_int_equal(pki_server_issue(ca, "portal.byod.lan", 90, &srv, &err), 0);
	assert_int_equal(pki_server_issue(ca, "radius.byod.lan", 90, &other, &err), 0);
	snprintf(cert, sizeof(cert), "%s/srv.pem", tmpdir);
	snprintf(key, sizeof(key), "%s/srv.key", tmpdir);
	snprintf(chain, sizeof(chain), "%s/chain.pem", tmpdir);
	snprintf(full, sizeof(full), "%s/fullchain.pem", tmpdir);
	snprintf(both, sizeof(both), "%s/both.pem", tmpdir);
	snprintf(store, sizeof(store), "%s/store", tmpdir);
	snprintf(empty, sizeof(empty), "%s/empty.pem", tmpdir);
	file_put(cert, srv.cert_pem, NULL);
	file_put(key, srv.key_pem, NULL);
	file_put(chain, pki_ca_pem(ca), NULL);
	file_put(full, srv.cert_pem, pki_ca_pem(ca));
	file_put(both, srv.key_pem, srv.cert_pem); /* key and certificate in one file */
	file_put(empty, "not a certificate\n", NULL);
	assert_int_equal(mkdir(store, 0700), 0);

	/* certbot's fullchain.pem: the chain after the certificate */
	assert_int_equal(pki_server_cert_load(full, NULL, key, &sc, &err), 0);
	x = cert_parse(srv.cert_pem);
	assert_int_equal(X509_cmp(sc->cert, x), 0);
	X509_free(x);
	assert_int_equal(sk_X509_num(sc->chain), 1);
	assert_non_null(strstr(sc->chain_pem, "BEGIN CERTIFICATE"));
	assert_non_null(strstr(strstr(sc->chain_pem, "END CERTIFICATE"), "BEGIN CERTIFICATE"));
	assert_non_null(strstr(sc->key_pem, "PRIVATE KEY"));
	/* a trust store that is one PEM file with the root */
	cp.trust_store = chain;
	assert_int_equal(pki_server_cert_check(sc, &cp, &rep, &err), 0);
	assert_int_equal(rep.problems, 0);
	assert_int_equal(rep.nwhy, 0);
	assert_true(pki_cert_report_trusted(&rep));
	assert_non_null(strstr(rep.root, "Collège Jean Moulin BYOD CA"));
	assert_string_equal(rep.subject, "CN=portal.byod.lan");
	assert_true(llabs((long long)(rep.not_after - srv.not_after)) <= 1);

	/* another name; an IP address the certificate does not carry */
	cp.host = "wifi.byod.lan";
	assert_int_equal(pki_server_cert_check(sc, &cp, &rep, &err), 0);
	assert_int_equal(rep.problems, PKI_CERT_WRONG_NAME);
	assert_false(pki_cert_report_trusted(&rep));
	assert_true(report_says(&rep, "does not name wifi.byod.lan"));
	assert_true(report_says(&rep, "names: portal.byod.lan"));
	cp.host = "10.0.0.2";
	assert_int_equal(pki_server_cert_check(sc, &cp, &rep, &err), 0);
	assert_int_equal(rep.problems, PKI_CERT_WRONG_NAME);
	cp.host = "PORTAL.byod.lan"; /* names compare without case */
	assert_int_equal(pki_server_cert_check(sc, &cp, &rep, &err), 0);
	assert_int_equal(rep.problems, 0);
	cp.host = "portal.byod.lan";

	/* time: ending within the days asked, expired, not yet valid */
	cp.now = srv.not_after - 10 * 86400;
	assert_int_equal(pki_server_cert_check(sc, &cp, &rep, &err), 0);
	assert_int_equal(rep.problems, PKI_CERT_EXPIRING);
	assert_true(pki_cert_report_trusted(&rep)); /* still trusted meanwhile */
	assert_true(report_says(&rep, "in 10 days: renew it"));
	cp.now = srv.not_after + 60;
	assert_int_equal(pki_server_cert_check(sc, &cp, &rep, &err), 0);
	assert_int_equal(rep.problems, PKI_CERT_OUT_OF_DATE);
	assert_true(report_says(&rep, "expired on"));
	cp.now = srv.not_before - 86400;
	assert_int_equal(pki_server_cert_check(sc, &cp, &rep, &err), 0);
	assert_true(rep.problems & PKI_CERT_OUT_OF_DATE);
	assert_true(report_says(&rep, "not valid before"));
	cp.now = 0;

	/* a store without the root; a store that is not there */
	cp.trust_store = store;
	assert_int_equal(pki_server_cert_check(sc, &cp, &rep, &err), 0);
	assert_int_equal(rep.problems, PKI_CERT_UNTRUSTED);
	assert_string_equal(rep.root, "");
	assert_true(report_says(&rep, "does not chain to a root of the trust store"));
	cp.trust_store = "/nonexistent/store";
	assert_int_equal(pki_server_cert_check(sc, &cp, &rep, &err), 0);
	assert_int_equal(rep.problems, PKI_CERT_UNTRUSTED);
	assert_true(report_says(&rep, "cannot be read"));
	pki_server_cert_free(sc);

	/* every problem at once, one sentence each */
	cp.trust_store = store;
	cp.host = "wifi.byod.lan";
	cp.now = srv.not_after - 86400;
	assert_int_equal(pki_server_cert_load(cert, "", NULL, &sc, &err), 0);
	assert_null(sc->key);
	assert_null(sc->key_pem);
	assert_int_equal(pki_server_cert_check(sc, &cp, &rep, &err), 0);
	assert_int_equal(rep.problems, PKI_CERT_UNTRUSTED | PKI_CERT_WRONG_NAME | PKI_CERT_EXPIRING);
	assert_int_equal(rep.nwhy, 3);
	pki_server_cert_free(sc);
	cp.host = "portal.byod.lan";
	cp.now = 0;

	/* cert.pem with chain.pem; a key in the certificate's file */
	assert_int_equal(pki_server_cert_load(cert, chain, both, &sc, &err), 0);
	assert_int_equal(sk_X509_num(sc->chain), 1);
	cp.trust_store = chain;
	assert_int_equal(pki_server_cert_check(sc, &cp, &rep, &err), 0);
	assert_int_equal(rep.problems, 0);
	pki_server_cert_free(sc);
	assert_int_equal(pki_server_cert_load(both, NULL, both, &sc, &err), 0);
	pki_server_cert_free(sc);

	/* files that cannot be used: the old certificate stays (the caller's) */
	file_put(key, other.key_pem, NULL);
	assert_int_equal(pki_server_cert_load(full, NULL, key, &sc, &err), -EINVAL);
	assert_null(sc);
	assert_non_null(strstr(err.msg, "the key does not belong to the certificate"));
	assert_int_equal(pki_server_cert_load(empty, NULL, NULL, &sc, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "no PEM certificate in it"));
	assert_int_equal(pki_server_cert_load("/nonexistent.pem", NULL, NULL, &sc, &err), -ENOENT);
	assert_int_equal(pki_server_cert_load(cert, empty, NULL, &sc, &err), -EINVAL);
	assert_null(sc);
	pki_server_cert_free(NULL);
	assert_int_equal(ERR_peek_error(), 0);
	pki_issued_clear(&srv);
	pki_issued_clear(&other);
}

static X509_CRL *crl_parse(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);

	assert_non_null(crl);
	assert_ptr_equal(p, der + len);
	return crl;
}

/* The reason code of serial in crl; -1 without the extension; -2 absent. */
static int crl_reason(X509_CRL *crl, const char *serial_hex, time_t *when)
{
	ASN1_INTEGER *serial;
	ASN1_ENUMERATED *e;
	X509_REVOKED *rev;
	BIGNUM *bn = NULL;
	int crit = -1, reason;

	assert_true(BN_hex2bn(&bn, serial_hex));
	serial = BN_to_ASN1_INTEGER(bn, NULL);
	BN_free(bn);
	if (X509_CRL_get0_by_serial(crl, &rev, serial) != 1) {
		ASN1_INTEGER_free(serial);
		return -2;
	}
	ASN1_INTEGER_free(serial);
	*when = asn1_time(X509_REVOKED_get0_revocationDate(rev));
	e = X509_REVOKED_get_ext_d2i(rev, NID_crl_reason, &crit, NULL);
	if (!e)
		return -1;
	assert_int_equal(crit, 0);
	reason = (int)ASN1_ENUMERATED_get(e);
	ASN1_ENUMERATED_free(e);
	return reason;
}

static void test_crl(void **state)
{
	struct pki_issued a, b, c;
	struct pki_device_params p;
	struct byod_err err = {0};
	struct pki_revoked rev[2];
	char id[37], upper[PKI_SERIAL_MAX + 2], *pem = NULL;
	time_t now = time(NULL), when;
	unsigned char *der = NULL, *der2 = NULL;
	size_t der_len = 0, i;
	const STACK_OF(X509_REVOKED) * entries;
	ASN1_INTEGER *num;
	X509 *xa, *xc;
	X509_CRL *crl, *crl2;
	BIO *bio;
	int len;

	device_params(&p, id, now + 100 * 86400);
	assert_int_equal(pki_device_issue(ca, &p, &a, &err), 0);
	device_params(&p, id, now + 100 * 86400);
	assert_int_equal(pki_device_issue(ca, &p, &b, &err), 0);
	device_params(&p, id, now + 100 * 86400);
	assert_int_equal(pki_device_issue(ca, &p, &c, &err), 0);

	/* a as "00ABC...", b as it was reported */
	snprintf(upper, sizeof(upper), "00%s", a.serial);
	for (i = 0; upper[i]; i++)
		upper[i] = (char)toupper((unsigned char)upper[i]);
	rev[0].serial = upper;
	rev[0].when = now - 3600;
	rev[0].reason = 1; /* keyCompromise */
	rev[1].serial = b.serial;
	rev[1].when = now - 60;
	rev[1].reason = 0; /* unspecified */
	assert_int_equal(pki_crl_make(ca, rev, 2, 42, 7, &pem, &der, &der_len, &err), 0);
	assert_non_null(pem);
	assert_non_null(der);
	assert_int_equal(ERR_peek_error(), 0);

	crl = crl_parse(der, der_len);
	assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(ca_cert)), 1);
	assert_int_equal(X509_CRL_get_version(crl), X509_CRL_VERSION_2);
	assert_int_equal(X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(ca_cert)),
			 0);
	assert_int_equal(X509_CRL_get_signature_nid(crl), NID_ecdsa_with_SHA256);
	assert_true(llabs((long long)(asn1_time(X509_CRL_get0_lastUpdate(crl)) - now)) <= 5);
	assert_true(llabs((long long)(asn1_time(X509_CRL_get0_nextUpdate(crl)) -
				      (now + 7 * 86400))) <= 5);
	num = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
	assert_non_null(num);
	assert_int_equal(ASN1_INTEGER_get(num), 42);
	ASN1_INTEGER_free(num);
	assert_non_null(X509_CRL_get0_extensions(crl));
	{
		AUTHORITY_KEYID *akid =
			X509_CRL_get_ext_d2i(crl, NID_authority_key_identifier, NULL, NULL);

		assert_non_null(akid);
		assert_int_equal(
			ASN1_OCTET_STRING_cmp(akid->keyid, X509_get0_subject_key_id(ca_cert)), 0);
		AUTHORITY_KEYID_free(akid);
	}

	entries = X509_CRL_get_REVOKED(crl);
	assert_int_equal(sk_X509_REVOKED_num(entries), 2);
	assert_true(ASN1_INTEGER_cmp(
			    X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(entries, 0)),
			    X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(entries, 1))) < 0);
	assert_int_equal(crl_reason(crl, a.serial, &when), 1);
	assert_int_equal(when, now - 3600);
	assert_int_equal(crl_reason(crl, b.serial, &when), -1);
	assert_int_equal(when, now - 60);
	assert_int_equal(crl_reason(crl, c.serial, &when), -2);

	/* the PEM is the same CRL */
	bio = BIO_new_mem_buf(pem, -1);
	crl2 = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL);
	assert_non_null(crl2);
	len = i2d_X509_CRL(crl2, &der2);
	assert_int_equal(len, der_len);
	assert_memory_equal(der2, der, der_len);
	OPENSSL_free(der2);
	X509_CRL_free(crl2);
	BIO_free(bio);

	/* with the CRL, a revoked certificate fails and the other one passes */
	xa = cert_parse(a.cert_pem);
	xc = cert_parse(c.cert_pem);
	assert_int_equal(verify(xa, X509_PURPOSE_SSL_CLIENT, NULL), X509_V_OK);
	assert_int_equal(verify(xa, X509_PURPOSE_SSL_CLIENT, crl), X509_V_ERR_CERT_REVOKED);
	assert_int_equal(verify(xc, X509_PURPOSE_SSL_CLIENT, crl), X509_V_OK);
	X509_free(xa);
	X509_free(xc);
	X509_CRL_free(crl);
	free(pem);
	free(der);

	/* an empty CRL */
	assert_int_equal(pki_crl_make(ca, NULL, 0, 0, 1, &pem, &der, &der_len, &err), 0);
	crl = crl_parse(der, der_len);
	assert_null(X509_CRL_get_REVOKED(crl));
	assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(ca_cert)), 1);
	X509_CRL_free(crl);
	free(pem);
	free(der);

	/* bad entries */
	rev[1].serial = "xyz";
	assert_int_equal(pki_crl_make(ca, rev, 2, 43, 7, &pem, &der, &der_len, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "xyz"));
	assert_null(pem);
	assert_null(der);
	rev[1].serial = "01234567890123456789012345678901234567890a";
	assert_int_equal(pki_crl_make(ca, rev, 2, 43, 7, &pem, &der, &der_len, &err), -EINVAL);
	rev[1].serial = b.serial;
	rev[1].reason = 7;
	assert_int_equal(pki_crl_make(ca, rev, 2, 43, 7, &pem, &der, &der_len, &err), -EINVAL);
	rev[1].reason = 0;
	assert_int_equal(pki_crl_make(ca, rev, 2, 43, 0, &pem, &der, &der_len, &err), -EINVAL);
	assert_int_equal(pki_crl_make(ca, rev, 2, -1, 7, &pem, &der, &der_len, &err), -EINVAL);
	assert_int_equal(ERR_peek_error(), 0);

	pki_issued_clear(&a);
	pki_issued_clear(&b);
	pki_issued_clear(&c);
}

static void test_passphrase(void **state)
{
	static int count[256];
	char p[PKI_PASSPHRASE_MAX], first[PKI_PASSPHRASE_MAX];
	const char *c;
	int i;

	memset(count, 0, sizeof(count));
	assert_int_equal(pki_passphrase(first), 0);
	for (i = 0; i < 2000; i++) {
		assert_int_equal(pki_passphrase(p), 0);
		assert_passphrase_form(p);
		assert_string_not_equal(p, first);
		for (c = p; *c; c++)
			count[(unsigned char)*c]++;
	}
	/* 32 symbols, 32000 draws: each near 1000, none missing, none extra */
	for (c = PASS_ALPHABET; *c; c++) {
		if (count[(unsigned char)*c] < 800 || count[(unsigned char)*c] > 1200)
			fail_msg("'%c' drawn %d times in 32000", *c, count[(unsigned char)*c]);
	}
	for (c = "1ilo"; *c; c++)
		assert_int_equal(count[(unsigned char)*c], 0);
}

struct thread_arg {
	char serials[8][PKI_SERIAL_MAX];
	int rc;
};

static void *issue_thread(void *data)
{
	struct thread_arg *t = data;
	struct pki_device_params p;
	struct pki_issued out;
	char id[37];
	int i;

	for (i = 0; i < 8 && !t->rc; i++) {
		byod_uuid4(id);
		memset(&p, 0, sizeof(p));
		p.device_id = id;
		p.not_after = time(NULL) + 86400;
		t->rc = pki_device_issue(ca, &p, &out, NULL);
		if (!t->rc)
			memcpy(t->serials[i], out.serial, PKI_SERIAL_MAX);
		pki_issued_clear(&out);
	}
	return NULL;
}

/* One CA, several threads issuing at once (as the portal does). */
static void test_threads(void **state)
{
	struct thread_arg args[4];
	pthread_t th[4];
	int i, j;

	memset(args, 0, sizeof(args));
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, issue_thread, &args[i]), 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(args[i].rc, 0);
	}
	for (i = 0; i < 32; i++)
		for (j = i + 1; j < 32; j++)
			assert_string_not_equal(args[i / 8].serials[i % 8],
						args[j / 8].serials[j % 8]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ca_create),
		cmocka_unit_test(test_ca_create_refused),
		cmocka_unit_test(test_ca_load_errors),
		cmocka_unit_test(test_device_issue),
		cmocka_unit_test(test_device_issue_refused),
		cmocka_unit_test(test_p12_forms),
		cmocka_unit_test(test_csr_accepted),
		cmocka_unit_test(test_csr_refused),
		cmocka_unit_test(test_server_issue),
		cmocka_unit_test(test_server_cert_check),
		cmocka_unit_test(test_crl),
		cmocka_unit_test(test_passphrase),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
