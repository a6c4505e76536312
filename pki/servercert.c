// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A TLS server certificate as an administrator provides it, and the check a
 * phone makes of it. The files are what certbot, uacme or a département's
 * PKI write: a PEM certificate file that may carry the chain after the
 * certificate (certbot's fullchain.pem), an optional chain file (its
 * chain.pem, or a PKI's intermediates), and an unencrypted PEM key.
 *
 * The check is the one a new phone makes before it shows a page without a
 * warning: the certificate chains to a root of a trust store (the system's,
 * /etc/ssl/certs, standing for the phone's), its subjectAltName names the
 * host the phone asked for (dNSName, wildcards as browsers take them; the
 * subject's CN is not looked at, as phones no longer do), and it is valid
 * now. An administrator is also told when it ends within a given number of
 * days, before a renewal that did not happen turns into warnings.
 */
#define _GNU_SOURCE
#include "pki.h"
#include "pki_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "byod_util.h"

/* Larger than this is not a certificate chain (certbot's is ~6 KB). */
#define SC_FILE_MAX (1024 * 1024)
/* More certificates than this in a chain is a mistake (a whole bundle). */
#define SC_CHAIN_MAX 10

/* Every certificate of a PEM file appended to sk (the first also to *first
 * when first is not NULL and still empty). Other PEM blocks (a key put in
 * the same file) are skipped. Returns how many were read, or a negative
 * errno with err. */
static int certs_read(const char *path, X509 **first, STACK_OF(X509) *sk, struct byod_err *err)
{
	char *text = NULL;
	size_t n = 0;
	BIO *bio = NULL;
	X509 *x;
	int rc = 0, count = 0;

	rc = byod_file_read(path, &text, &n, err);
	if (rc)
		return rc;
	if (n > SC_FILE_MAX) {
		rc = byod_err_set(err, EFBIG, "%s: too large for a certificate chain", path);
		goto out;
	}
	bio = BIO_new_mem_buf(text, (int)n);
	if (!bio) {
		rc = pki_ossl_err(err, ENOMEM, "out of memory");
		goto out;
	}
	while ((x = PEM_read_bio_X509(bio, NULL, pki_no_passphrase, NULL))) {
		if (first && !*first) {
			*first = x;
		} else if (sk_X509_num(sk) >= SC_CHAIN_MAX) {
			X509_free(x);
			rc = byod_err_set(err, E2BIG, "%s: more than %d certificates in the chain",
					  path, SC_CHAIN_MAX);
			goto out;
		} else if (!sk_X509_push(sk, x)) {
			X509_free(x);
			rc = pki_ossl_err(err, ENOMEM, "out of memory");
			goto out;
		}
		count++;
	}
	/* the end of the file, or something that is not PEM at all */
	if (ERR_GET_REASON(ERR_peek_last_error()) != PEM_R_NO_START_LINE || !count)
		rc = pki_ossl_err(err, EINVAL, "%s: %s", path,
				  count ? "a certificate in it cannot be read"
					: "no PEM certificate in it");
	ERR_clear_error();
out:
	BIO_free(bio);
	free(text);
	return rc ? rc : count;
}

static int chain_pem_add(BIO *bio, X509 *x, struct byod_err *err)
{
	if (!PEM_write_bio_X509(bio, x))
		return pki_ossl_err(err, EIO, "cannot encode the certificate");
	return 0;
}

int pki_server_cert_load(const char *cert_path, const char *chain_path, const char *key_path,
			 struct pki_server_cert **out, struct byod_err *err)
{
	struct pki_server_cert *sc;
	BIO *bio = NULL;
	int rc, i;

	*out = NULL;
	ERR_clear_error();
	sc = calloc(1, sizeof(*sc));
	if (!sc)
		return byod_err_set(err, ENOMEM, "out of memory");
	sc->chain = sk_X509_new_null();
	if (!sc->chain) {
		rc = byod_err_set(err, ENOMEM, "out of memory");
		goto out;
	}
	rc = certs_read(cert_path, &sc->cert, sc->chain, err);
	if (rc >= 0 && chain_path && chain_path[0])
		rc = certs_read(chain_path, NULL, sc->chain, err);
	if (rc < 0)
		goto out;
	rc = 0;
	if (key_path) {
		rc = pki_key_read(key_path, &sc->key, err);
		if (rc)
			goto out;
		if (X509_check_private_key(sc->cert, sc->key) != 1) {
			rc = pki_ossl_err(err, EINVAL,
					  "%s: the key does not belong to the certificate %s",
					  key_path, cert_path);
			goto out;
		}
		rc = pki_key_pem(sc->key, &sc->key_pem, err);
		if (rc)
			goto out;
	}
	/* what a server sends: the certificate, then the chain */
	bio = BIO_new(BIO_s_mem());
	if (!bio) {
		rc = pki_ossl_err(err, ENOMEM, "out of memory");
		goto out;
	}
	rc = chain_pem_add(bio, sc->cert, err);
	for (i = 0; !rc && i < sk_X509_num(sc->chain); i++)
		rc = chain_pem_add(bio, sk_X509_value(sc->chain, i), err);
	if (!rc)
		rc = pki_bio_string(bio, &sc->chain_pem, err);
out:
	BIO_free(bio);
	ERR_clear_error();
	if (rc) {
		pki_server_cert_free(sc);
		return rc;
	}
	*out = sc;
	return 0;
}

void pki_server_cert_free(struct pki_server_cert *sc)
{
	if (!sc)
		return;
	X509_free(sc->cert);
	sk_X509_pop_free(sc->chain, X509_free);
	EVP_PKEY_free(sc->key); /* OpenSSL wipes the key material */
	pki_secret_free(sc->key_pem);
	free(sc->chain_pem);
	free(sc);
}

/* A name as people read it (RFC 2253 order reversed: CN first), UTF-8. */
static void name_str(const X509_NAME *name, char *out, size_t len)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *p;
	long n;

	snprintf(out, len, "?");
	if (!bio)
		return;
	if (X509_NAME_print_ex(bio, name, 0,
			       (XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) | XN_FLAG_DN_REV) >= 0) {
		n = BIO_get_mem_data(bio, &p);
		if (n > 0)
			snprintf(out, len, "%.*s", (int)n, p);
	}
	BIO_free(bio);
}

/* The dNSName and iPAddress entries of x's subjectAltName, comma-separated;
 * "none" without any. */
static void san_list(X509 *x, char *out, size_t len)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	size_t used = 0;
	int i;

	out[0] = '\0';
	for (i = 0; gens && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		char ip[INET6_ADDRSTRLEN] = "";
		const char *v = NULL;
		int n;

		if (g->type == GEN_DNS) {
			v = (const char *)ASN1_STRING_get0_data(g->d.dNSName);
		} else if (g->type == GEN_IPADD &&
			   (g->d.iPAddress->length == 4 || g->d.iPAddress->length == 16)) {
			inet_ntop(g->d.iPAddress->length == 4 ? AF_INET : AF_INET6,
				  g->d.iPAddress->data, ip, sizeof(ip));
			v = ip;
		}
		if (!v)
			continue;
		n = snprintf(out + used, len - used, "%s%s", used ? ", " : "", v);
		if (n < 0 || (size_t)n >= len - used) {
			out[used] = '\0';
			break;
		}
		used += (size_t)n;
	}
	GENERAL_NAMES_free(gens);
	if (!out[0])
		snprintf(out, len, "none");
}

static void report_add(struct pki_cert_report *r, unsigned problem, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void report_add(struct pki_cert_report *r, unsigned problem, const char *fmt, ...)
{
	va_list ap;

	r->problems |= problem;
	if (r->nwhy >= PKI_CERT_SENTENCES)
		return;
	va_start(ap, fmt);
	vsnprintf(r->why[r->nwhy++], sizeof(r->why[0]), fmt, ap);
	va_end(ap);
}

/* What the chain verification found, beside the time of the certificate
 * itself (reported apart: an expired certificate is not an unknown one). */
struct verify_state {
	int error;    /* the first X509_V_ERR_* that is not the leaf's time */
	char at[256]; /* the subject of the certificate it was found at */
	char by[256]; /* and its issuer */
};

static int verify_cb(int ok, X509_STORE_CTX *ctx)
{
	struct verify_state *st = X509_STORE_CTX_get_app_data(ctx);
	int e = X509_STORE_CTX_get_error(ctx);
	X509 *x;

	if (ok)
		return 1;
	if (X509_STORE_CTX_get_error_depth(ctx) == 0 &&
	    (e == X509_V_ERR_CERT_HAS_EXPIRED || e == X509_V_ERR_CERT_NOT_YET_VALID))
		return 1;
	if (!st->error) {
		st->error = e;
		x = X509_STORE_CTX_get_current_cert(ctx);
		if (x) {
			name_str(X509_get_subject_name(x), st->at, sizeof(st->at));
			name_str(X509_get_issuer_name(x), st->by, sizeof(st->by));
		}
	}
	return 0;
}

/* The trust store: a directory of hashed certificates (c_rehash, openssl
 * rehash; what /etc/ssl/certs is) or one PEM bundle. NULL with a sentence
 * in why when it cannot be read. */
static X509_STORE *store_open(const char *path, char *why, size_t len)
{
	X509_STORE *store;
	struct stat st;
	int ok;

	if (stat(path, &st)) {
		snprintf(why, len, "%s", strerror(errno));
		return NULL;
	}
	store = X509_STORE_new();
	if (!store) {
		snprintf(why, len, "out of memory");
		return NULL;
	}
	ok = S_ISDIR(st.st_mode) ? X509_STORE_load_path(store, path)
				 : X509_STORE_load_file(store, path);
	if (!ok) {
		snprintf(why, len, "%s",
			 S_ISDIR(st.st_mode) ? "not a directory of certificates"
					     : "not a PEM file of certificates");
		X509_STORE_free(store);
		store = NULL;
	}
	ERR_clear_error();
	return store;
}

static int chain_check(const struct pki_server_cert *sc, const struct pki_check_params *cp,
		       time_t now, struct pki_cert_report *rep, struct byod_err *err)
{
	struct verify_state st = {0};
	X509_STORE_CTX *ctx = NULL;
	X509_STORE *store;
	STACK_OF(X509) *chain;
	char why[256];
	int rc = 0;

	store = store_open(cp->trust_store, why, sizeof(why));
	if (!store) {
		report_add(rep, PKI_CERT_UNTRUSTED,
			   "The trust store %s cannot be read (%s): no root can be found for the "
			   "certificate.",
			   cp->trust_store, why);
		return 0;
	}
	ctx = X509_STORE_CTX_new();
	if (!ctx || !X509_STORE_CTX_init(ctx, store, sc->cert, sc->chain)) {
		rc = pki_ossl_err(err, ENOMEM, "out of memory");
		goto out;
	}
	X509_STORE_CTX_set_app_data(ctx, &st);
	X509_STORE_CTX_set_verify_cb(ctx, verify_cb);
	/* EKU serverAuth, as a browser wants it */
	X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), now);
	if (X509_verify_cert(ctx) == 1) {
		chain = X509_STORE_CTX_get0_chain(ctx);
		name_str(X509_get_subject_name(sk_X509_value(chain, sk_X509_num(chain) - 1)),
			 rep->root, sizeof(rep->root));
	} else {
		if (!st.error)
			st.error = X509_STORE_CTX_get_error(ctx);
		report_add(rep, PKI_CERT_UNTRUSTED,
			   "The certificate does not chain to a root of the trust store %s "
			   "(%s%s%s%s%s): "
			   "a phone shows a certificate warning.",
			   cp->trust_store, X509_verify_cert_error_string(st.error),
			   st.at[0] ? ", at " : "", st.at, st.at[0] ? " issued by " : "", st.by);
	}
out:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	ERR_clear_error();
	return rc;
}

static void name_check(const struct pki_server_cert *sc, const char *host,
		       struct pki_cert_report *rep)
{
	unsigned char ip[16];
	char names[400];
	int ok;

	if (inet_pton(AF_INET, host, ip) == 1 || inet_pton(AF_INET6, host, ip) == 1)
		ok = X509_check_ip_asc(sc->cert, host, 0) == 1;
	else
		ok = X509_check_host(sc->cert, host, 0,
				     X509_CHECK_FLAG_NEVER_CHECK_SUBJECT |
					     X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS,
				     NULL) == 1;
	ERR_clear_error();
	if (ok)
		return;
	san_list(sc->cert, names, sizeof(names));
	report_add(rep, PKI_CERT_WRONG_NAME,
		   "The certificate does not name %s, the portal's host name (its "
		   "subjectAltName names: %s).",
		   host, names);
}

static void time_check(const struct pki_server_cert *sc, int days, time_t now,
		       struct pki_cert_report *rep)
{
	time_t not_before = 0;
	char when[32];
	long left;

	if (pki_asn1_time(X509_get0_notAfter(sc->cert), &rep->not_after) ||
	    pki_asn1_time(X509_get0_notBefore(sc->cert), &not_before)) {
		report_add(rep, PKI_CERT_OUT_OF_DATE, "The certificate's validity cannot be read.");
		return;
	}
	if (now < not_before) {
		report_add(rep, PKI_CERT_OUT_OF_DATE, "The certificate is not valid before %s.",
			   byod_time_iso(not_before, when, sizeof(when)));
		return;
	}
	if (now > rep->not_after) {
		report_add(rep, PKI_CERT_OUT_OF_DATE, "The certificate expired on %s.",
			   byod_time_iso(rep->not_after, when, sizeof(when)));
		return;
	}
	left = (long)((rep->not_after - now) / 86400);
	if (rep->not_after - now < (time_t)days * 86400)
		report_add(rep, PKI_CERT_EXPIRING,
			   "The certificate expires on %s, in %ld day%s: renew it (less than %d "
			   "days left).",
			   byod_time_iso(rep->not_after, when, sizeof(when)), left,
			   left == 1 ? "" : "s", days);
}

int pki_server_cert_check(const struct pki_server_cert *sc, const struct pki_check_params *cp,
			  struct pki_cert_report *rep, struct byod_err *err)
{
	time_t now = cp->now ? cp->now : time(NULL);
	int rc;

	memset(rep, 0, sizeof(*rep));
	name_str(X509_get_subject_name(sc->cert), rep->subject, sizeof(rep->subject));
	rc = chain_check(sc, cp, now, rep, err);
	if (rc)
		return rc;
	name_check(sc, cp->host, rep);
	time_check(sc, cp->days, now, rep);
	return 0;
}

int pki_cert_report_trusted(const struct pki_cert_report *rep)
{
	return !(rep->problems & ~(unsigned)PKI_CERT_EXPIRING);
}
