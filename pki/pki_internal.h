/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What ca.c, issue.c and crl.c share and nobody else sees: the CA object
 * and the small OpenSSL helpers (error text, serials, times, extensions,
 * memory BIOs) every certificate or CRL builder needs.
 */
#ifndef BYOD_PKI_INTERNAL_H
#define BYOD_PKI_INTERNAL_H

#include <stddef.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "byod_err.h"

/* Read-only once loaded, so several threads may issue with one CA. */
struct pki_ca {
	X509 *cert;
	EVP_PKEY *key;
	char *pem;
};

/* Certificates are valid from a little before "now" so that a client whose
 * clock is slightly behind accepts them at once. */
#define PKI_BACKDATE 300

/* Bytes of a serial: 16, the first one 0x01..0x7f (positive, no padding). */
#define PKI_SERIAL_BYTES 16

/*
 * Sets err to "<fmt>: <first OpenSSL error>" (or just fmt when the queue is
 * empty), clears the calling thread's OpenSSL error queue, returns -code.
 */
int pki_ossl_err(struct byod_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A new P-256 key in *out (freed with EVP_PKEY_free). */
int pki_key_p256(EVP_PKEY **out, struct byod_err *err);

/* Sets a fresh random serial on x; its normalised hex goes to hex (if not NULL). */
int pki_serial_set(X509 *x, char *hex, size_t hex_len, struct byod_err *err);

/* Sets notBefore and notAfter of x. */
int pki_validity_set(X509 *x, time_t not_before, time_t not_after, struct byod_err *err);

/* The time an ASN1_TIME holds, as time_t; 0 on success. */
int pki_asn1_time(const ASN1_TIME *t, time_t *out);

/* Adds the extension the openssl config syntax "value" describes for nid. */
int pki_ext_add(X509 *x, X509V3_CTX *ctx, int nid, const char *value, struct byod_err *err);

/* The contents of a memory BIO as a malloc'd, NUL-terminated string. */
int pki_bio_string(BIO *bio, char **out, struct byod_err *err);

/* The private key as PEM (PKCS#8, unencrypted); wipe it before freeing. */
int pki_key_pem(EVP_PKEY *key, char **out, struct byod_err *err);

/* The certificate as PEM. */
int pki_cert_pem(X509 *x, char **out, struct byod_err *err);

/* Keys are stored unencrypted: the pem_password_cb that never falls back
 * to asking on a terminal. */
int pki_no_passphrase(char *buf, int size, int rwflag, void *u);

/* The first certificate of a PEM file in *out (X509_free). */
int pki_cert_read(const char *path, X509 **out, struct byod_err *err);

/* An unencrypted PEM private key (any type OpenSSL reads) in *out
 * (EVP_PKEY_free); the file's text is wiped after reading. */
int pki_key_read(const char *path, EVP_PKEY **out, struct byod_err *err);

/* Wipes and frees a string holding a secret (NULL is a no-op). */
void pki_secret_free(char *s);

#endif /* BYOD_PKI_INTERNAL_H */
