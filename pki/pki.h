/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The school CA on OpenSSL 3: creating it, issuing device certificates (key
 * made here and delivered as PKCS#12, or from a CSR), server certificates
 * for the RADIUS server and the portal, and CRLs.
 *
 * Pure: no registry, no network. Issuing returns the certificate in memory;
 * the caller records it in the registry and only then hands it out.
 * Functions return 0 or a negative errno and fill err (may be NULL).
 */
#ifndef BYOD_PKI_H
#define BYOD_PKI_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

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

struct pki_issued {
	char serial[PKI_SERIAL_MAX]; /* lowercase hex, no leading zeros */
	time_t not_before;
	time_t not_after;
	char *cert_pem;          /* malloc'd */
	char *key_pem;           /* malloc'd; NULL when issued from a CSR */
	unsigned char *p12;      /* malloc'd; NULL when issued from a CSR */
	size_t p12_len;
	char passphrase[PKI_PASSPHRASE_MAX]; /* opens p12; "" without one */
};

/* Issues a device certificate with a P-256 key made here, and a PKCS#12
 * (key, certificate and CA) under a fresh random passphrase. */
int pki_device_issue(struct pki_ca *ca, const struct pki_device_params *p,
		     struct pki_issued *out, struct byod_err *err);

/* Issues a device certificate for the key in a CSR (PEM or DER). The CSR's
 * signature must verify and its key must be P-256/P-384 or RSA of at least
 * 2048 bits; subject and extensions are the CA's choice, not the CSR's. */
int pki_device_issue_csr(struct pki_ca *ca, const struct pki_device_params *p,
			 const void *csr, size_t csr_len, struct pki_issued *out,
			 struct byod_err *err);

/* Issues a server certificate (EKU serverAuth, SAN DNS:name) with a P-256
 * key made here; out->key_pem holds the key, no PKCS#12. */
int pki_server_issue(struct pki_ca *ca, const char *dns_name, int days, struct pki_issued *out,
		     struct byod_err *err);

/* Frees what pki_*_issue allocated and wipes the key and passphrase. */
void pki_issued_clear(struct pki_issued *out);

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

/* A random passphrase of 4 groups of 4 characters from an alphabet without
 * look-alike characters (80 bits), easy to type on a phone. */
int pki_passphrase(char out[PKI_PASSPHRASE_MAX]);

#endif /* BYOD_PKI_H */
