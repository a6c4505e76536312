// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the certificate requests a device brings
 * (byodctl device enrol --csr): the input goes through pki_csr_check and
 * pki_device_issue_csr, signed by a throwaway CA made once in a temporary
 * folder (removed at once: the CA stays in memory). Both must agree; an
 * issued certificate must carry the CSR's own key and the CA's subject
 * (CN = the device id), never the CSR's; a refused CSR carries a sentence.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "pki.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define DEVICE_ID "3044b37d-a7bf-4ab4-8d77-dfe97c69973b"

static struct pki_ca *ca;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct pki_ca_params p = {
		.common_name = "Fuzz BYOD CA",
		.organisation = "Collège des Calanques",
		.uai = "0131234W",
		.years = 10,
	};
	char dir[64], path[128];
	const char *tmp = getenv("TMPDIR");
	int rc;

	snprintf(dir, sizeof(dir), "%s/fuzz_csr.XXXXXX", tmp && strlen(tmp) < 40 ? tmp : "/tmp");
	if (!mkdtemp(dir))
		abort();
	rc = pki_ca_create(dir, &p, NULL) || pki_ca_load(dir, &ca, NULL);
	snprintf(path, sizeof(path), "%s/%s", dir, PKI_CA_CERT);
	unlink(path);
	snprintf(path, sizeof(path), "%s/%s", dir, PKI_CA_KEY);
	unlink(path);
	rmdir(dir);
	if (rc)
		abort();
	return 0;
}

/* The CSR's key, read here by OpenSSL directly: PEM after blank space, else DER. */
static EVP_PKEY *csr_key(const uint8_t *data, size_t size)
{
	const unsigned char *p = data;
	X509_REQ *req = NULL;
	EVP_PKEY *key = NULL;
	size_t i = 0;
	BIO *bio;

	while (i < size &&
	       (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
		i++;
	if (size - i >= 10 && !memcmp(data + i, "-----BEGIN", 10)) {
		bio = BIO_new_mem_buf(data, (int)size);
		if (bio)
			req = PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL);
		BIO_free(bio);
	} else {
		req = d2i_X509_REQ(NULL, &p, (long)size);
	}
	if (req)
		key = X509_REQ_get_pubkey(req);
	X509_REQ_free(req);
	return key;
}

static void check_issued(const struct pki_issued *out, const uint8_t *data, size_t size)
{
	X509_NAME *subject;
	EVP_PKEY *key;
	char cn[64];

	if (!out->cert || !out->cert_pem || out->key_pem || out->key || out->passphrase[0])
		abort();
	key = csr_key(data, size);
	if (!key || EVP_PKEY_eq(key, X509_get0_pubkey(out->cert)) != 1)
		abort();
	EVP_PKEY_free(key);
	subject = X509_get_subject_name(out->cert);
	if (X509_NAME_get_text_by_NID(subject, NID_commonName, cn, sizeof(cn)) < 0 ||
	    strcmp(cn, DEVICE_ID) || X509_NAME_entry_count(subject) != 1)
		abort();
	ERR_clear_error();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pki_device_params p = {
		.device_id = DEVICE_ID,
		.not_after = time(NULL) + 300L * 86400,
		.crl_url = "http://portal.byod.lan/crl.der",
	};
	struct pki_issued out;
	struct byod_err err;
	int checked, issued;

	memset(&err, 0, sizeof(err));
	checked = pki_csr_check(data, size, &err);
	if (checked && (checked != -EINVAL && checked != -ENOMEM))
		abort();
	if (checked && !err.msg[0])
		abort();
	issued = pki_device_issue_csr(ca, &p, data, size, &out, NULL);
	if ((checked == 0) != (issued == 0))
		abort(); /* the check and the issue disagree */
	if (issued == 0) {
		check_issued(&out, data, size);
		pki_issued_clear(&out);
	}
	return 0;
}
