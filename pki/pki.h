/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The school CA on OpenSSL 3: creating it, issuing device certificates (key
 * made here and delivered as PKCS#12, or from a CSR), server certificates
 * for the RADIUS server and the portal, and CRLs.
 *
 * Pure: no registry, no network. Issuing returns the certificate in memory;
 * the caller records it in the registry and only then hands it out. The
 * certificate and key are kept parsed beside their PEM, so that whatever is
 * made from them (PKCS#12 forms, device profiles) parses nothing again.
 * Functions return 0 or a negative errno and fill err (may be NULL).
 */
#ifndef BYOD_PKI_H
#define BYOD_PKI_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/types.h>

#include "byod_err.h"

#define PKI_CA_CERT "ca.pem"
#define PKI_CA_KEY "ca.key"
#define PKI_SERIAL_MAX 41
#define PKI_PASSPHRASE_MAX 32

struct pki_ca; /* the CA certificate and its private key */

struct pki_ca_params {
	const char *common_name;  /* e.g. "Collège Jean Moulin BYOD CA" */
	const char *organisation; /* the school's name */
	const char *uai;          /* optional: in organizationalUnitName */
	int years;                /* validity */
};

/* Creates DIR/ca.pem and DIR/ca.key (0600); refuses to overwrite either. */
int pki_ca_create(const char *dir, const struct pki_ca_params *p, struct byod_err *err);

/* Loads DIR/ca.pem and DIR/ca.key and checks that they belong together. */
int pki_ca_load(const char *dir, struct pki_ca **out, struct byod_err *err);
void pki_ca_free(struct pki_ca *ca);

/* The CA certificate as PEM (owned by ca). */
const char *pki_ca_pem(const struct pki_ca *ca);

struct pki_device_params {
	const char *device_id; /* UUID: subject CN and SAN URI:urn:uuid:<id> */
	time_t not_after;      /* end of the school year */
	const char *crl_url;   /* CRL distribution point, or NULL/"" for none */
};

/* The PKCS#12 forms a device's identity is handed out in (p12.c). */
enum pki_p12_form {
	PKI_P12_MODERN, /* PBES2 AES-256-CBC, PBKDF2 SHA-256, SHA-256 MAC (OpenSSL 3) */
	PKI_P12_LEGACY, /* 3DES, SHA-1 MAC: Android <= 13, Apple, Windows Server 2016 */
	PKI_P12_CLEAR,	/* no password, key in clear, no CA: Passpoint R1 */
	PKI_P12_FORM_N,
};

/* One encoded form: malloc'd DER, wiped when freed. */
struct pki_p12 {
	unsigned char *der;
	size_t len;
};

struct pki_issued {
	char serial[PKI_SERIAL_MAX]; /* lowercase hex, no leading zeros */
	time_t not_before;
	time_t not_after;
	char *cert_pem;          /* malloc'd */
	char *key_pem;           /* malloc'd; NULL when issued from a CSR */
	X509 *cert;		 /* the certificate, parsed */
	EVP_PKEY *key;		 /* its private key; NULL when issued from a CSR */
	X509 *ca;		 /* the issuing CA's certificate (a reference of its own) */
	char passphrase[PKI_PASSPHRASE_MAX]; /* locks the PKCS#12 forms; "" without a key */
	struct pki_p12 p12[PKI_P12_FORM_N];  /* each form once asked for: pki_issued_p12 */
};

/* Issues a device certificate with a P-256 key made here, and a fresh
 * random passphrase for its PKCS#12 forms (none is encoded yet). */
int pki_device_issue(struct pki_ca *ca, const struct pki_device_params *p,
		     struct pki_issued *out, struct byod_err *err);

/* Issues a device certificate for the key in a CSR (PEM or DER). The CSR's
 * signature must verify and its key must be P-256/P-384 or RSA of at least
 * 2048 bits; subject and extensions are the CA's choice, not the CSR's. */
int pki_device_issue_csr(struct pki_ca *ca, const struct pki_device_params *p,
			 const void *csr, size_t csr_len, struct pki_issued *out,
			 struct byod_err *err);

/* The checks pki_device_issue_csr makes of a CSR, without issuing: so that
 * a bad CSR is said before anything else is decided. */
int pki_csr_check(const void *csr, size_t csr_len, struct byod_err *err);

/* Issues a server certificate (EKU serverAuth, SAN DNS:name) with a P-256
 * key made here; out->key_pem holds the key, no PKCS#12. */
int pki_server_issue(struct pki_ca *ca, const char *dns_name, int days, struct pki_issued *out,
		     struct byod_err *err);

/* Frees what pki_*_issue allocated and wipes the key, the passphrase and
 * every PKCS#12 form. */
void pki_issued_clear(struct pki_issued *out);

/* What pki_p12_encode makes a PKCS#12 of; nothing is taken over. */
struct pki_p12_in {
	EVP_PKEY *key;
	X509 *cert;
	X509 *ca;		/* in the chain; not needed by PKI_P12_CLEAR */
	const char *passphrase; /* not used by PKI_P12_CLEAR */
	const char *name;	/* friendlyName, or NULL */
};

/*
 * The one PKCS#12 encoder: in's key and certificate (and CA, but in the
 * clear form) in the given form. *der is malloc'd; the caller wipes
 * (OPENSSL_cleanse) and frees it. -EINVAL without a key, or without a
 * passphrase or CA for a locked form.
 */
int pki_p12_encode(const struct pki_p12_in *in, enum pki_p12_form form, unsigned char **der,
		   size_t *len, struct byod_err *err);

/*
 * The device's PKCS#12 in the given form, encoded on the first call for
 * that form and kept in is (owned by it, freed by pki_issued_clear), so one
 * enrolment encodes each form at most once. friendlyName is the device id,
 * "Wi-Fi" in the legacy form. -EINVAL for a certificate issued from a CSR
 * (no key) or a server certificate (no passphrase, but for the clear form).
 */
int pki_issued_p12(struct pki_issued *is, enum pki_p12_form form, const unsigned char **der,
		   size_t *len, struct byod_err *err);

/* How many PKCS#12 of a form pki_p12_encode has encoded in this process:
 * what a test counts to show that a form is built once. */
unsigned long pki_p12_encode_count(enum pki_p12_form form);

/* "modern", "legacy", "clear"; NULL out of range. */
const char *pki_p12_form_name(enum pki_p12_form form);

/*
 * Reads a certificate and its private key from PEM files (the portal's,
 * which signs Apple profiles). They are not checked against each other
 * here: the profile that signs with them says when they do not belong
 * together. *cert and *key are the caller's (X509_free, EVP_PKEY_free).
 */
int pki_keypair_load(const char *cert_path, const char *key_path, X509 **cert, EVP_PKEY **key,
		     struct byod_err *err);

/*
 * A TLS server certificate as an administrator provides it (servercert.c):
 * certbot's fullchain.pem (the chain after the certificate) or cert.pem
 * with chain.pem, uacme's or a PKI's files; PEM, key unencrypted.
 */
struct pki_server_cert {
	X509 *cert;		 /* the server's certificate: the first of the file */
	struct stack_st_X509 *chain; /* STACK_OF(X509): what followed it, then the chain file's */
	EVP_PKEY *key;		 /* NULL when loaded without a key */
	char *chain_pem;	 /* the certificate then the chain, as a server sends them */
	char *key_pem;		 /* PKCS#8 PEM (NULL without a key); wiped when freed */
};

/* Reads cert_path (and chain_path when not NULL or ""), and key_path when
 * not NULL, checking that the key belongs to the certificate. *out is
 * freed with pki_server_cert_free. */
int pki_server_cert_load(const char *cert_path, const char *chain_path, const char *key_path,
			 struct pki_server_cert **out, struct byod_err *err);
void pki_server_cert_free(struct pki_server_cert *sc);

/* What keeps a phone from trusting a server certificate (bits). */
enum pki_cert_problem {
	PKI_CERT_UNTRUSTED = 1 << 0,   /* no chain to a root of the trust store */
	PKI_CERT_WRONG_NAME = 1 << 1,  /* its subjectAltName does not name the host */
	PKI_CERT_OUT_OF_DATE = 1 << 2, /* expired, or not valid yet */
	PKI_CERT_EXPIRING = 1 << 3,    /* valid, but ends within the days asked */
};

#define PKI_CERT_SENTENCES 4

struct pki_check_params {
	const char *host;	 /* the name phones connect to (an IP address works too) */
	const char *trust_store; /* a directory of hashed roots (/etc/ssl/certs), or a PEM file */
	int days;		 /* ending within this many days is a problem */
	time_t now;		 /* 0: the current time */
};

struct pki_cert_report {
	unsigned problems;	/* enum pki_cert_problem bits; 0: a phone trusts it */
	time_t not_after;
	char subject[256];	/* the certificate's subject, CN first */
	char root[256];		/* the root it chains to; "" when it does not */
	int nwhy;
	char why[PKI_CERT_SENTENCES][600]; /* one sentence per problem */
};

/*
 * Checks sc as a phone would before showing a page without a warning: a
 * chain to a root of cp->trust_store (EKU serverAuth), cp->host in its
 * subjectAltName (wildcards as browsers take them, never the subject's
 * CN), valid now; and whether it ends within cp->days. Every problem found
 * is in rep, one sentence each. Returns 0 when the check ran (whatever it
 * found; an unreadable trust store is a problem, not a failure), or a
 * negative errno (out of memory).
 */
int pki_server_cert_check(const struct pki_server_cert *sc, const struct pki_check_params *cp,
			  struct pki_cert_report *rep, struct byod_err *err);

/* Whether a phone trusts the certificate now: every problem but
 * PKI_CERT_EXPIRING (a certificate that ends soon is still trusted). */
int pki_cert_report_trusted(const struct pki_cert_report *rep);

struct pki_revoked {
	const char *serial; /* hex, any case, leading zeros or not */
	time_t when;
	int reason;         /* RFC 5280 CRLReason */
};

/* A CRL signed by the CA, thisUpdate now, nextUpdate now + days, with the
 * given CRL number. *pem and *der are malloc'd. */
int pki_crl_make(struct pki_ca *ca, const struct pki_revoked *revoked, size_t n,
		 int64_t number, int days, char **pem, unsigned char **der, size_t *der_len,
		 struct byod_err *err);

/* The thisUpdate and nextUpdate (0 when absent) of the CRL in PEM at
 * path: how old the CRL the RADIUS server checks is (the dashboard).
 * -ENOENT when the file is not there, -EINVAL when it is not a CRL. */
int pki_crl_times(const char *path, time_t *this_update, time_t *next_update,
		  struct byod_err *err);

/* A random passphrase of 4 groups of 4 characters from an alphabet without
 * look-alike characters (80 bits), easy to type on a phone. */
int pki_passphrase(char out[PKI_PASSPHRASE_MAX]);

#endif /* BYOD_PKI_H */
