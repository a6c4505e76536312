// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Portal tokens: 32 bytes of getrandom(2) encoded as base64url (RFC 4648
 * section 5) without padding, 43 characters, and their constant-time
 * comparison. Validity is checked before comparing, which leaks only the
 * shape of the presented token, something its sender already knows.
 */
#include "token.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "byod_util.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int web_token_new(char out[44])
{
	uint8_t b[33] = {0}; /* 32 random bytes and one zero to finish the last group */
	size_t i, o = 0;
	uint32_t v;
	int rc;

	out[0] = '\0';
	rc = byod_random(b, 32);
	if (rc)
		return rc;
	for (i = 0; i < 33; i += 3) {
		v = (uint32_t)b[i] << 16 | (uint32_t)b[i + 1] << 8 | b[i + 2];
		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = alphabet[v >> 6 & 63];
		if (o < WEB_TOKEN_LEN)
			out[o++] = alphabet[v & 63];
	}
	out[WEB_TOKEN_LEN] = '\0';
	return 0;
}

static int b64url(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

int web_token_valid(const char *s)
{
	size_t i;

	if (!s)
		return 0;
	for (i = 0; i < WEB_TOKEN_LEN; i++)
		if (!b64url(s[i]))
			return 0; /* also the end of a short string */
	return s[WEB_TOKEN_LEN] == '\0';
}

int web_token_equal(const char *a, const char *b)
{
	volatile unsigned char d = 0;
	size_t i;

	if (!web_token_valid(a) || !web_token_valid(b))
		return 0;
	for (i = 0; i < WEB_TOKEN_LEN; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

int web_token_hash(const char *token, char out[65])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	out[0] = '\0';
	if (!web_token_valid(token))
		return -EINVAL;
	SHA256((const unsigned char *)token, strlen(token), md);
	byod_hex(md, sizeof(md), out);
	return 0;
}

/* HMAC-SHA256(token, prefix label) into md. */
static int derive(const char *token, const char *prefix, const char *label,
		  unsigned char md[SHA256_DIGEST_LENGTH])
{
	unsigned char *in;
	unsigned int mdlen = 0;
	size_t pl, ll;
	int ok;

	if (!web_token_valid(token) || !label)
		return -EINVAL;
	pl = strlen(prefix);
	ll = strlen(label);
	in = malloc(pl + ll + 1);
	if (!in)
		return -ENOMEM;
	memcpy(in, prefix, pl);
	memcpy(in + pl, label, ll + 1);
	ok = HMAC(EVP_sha256(), token, WEB_TOKEN_LEN, in, pl + ll, md, &mdlen) &&
	     mdlen == SHA256_DIGEST_LENGTH;
	free(in);
	return ok ? 0 : -EIO;
}

int web_token_derive(const char *token, const char *label, char out[65])
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	int rc;

	out[0] = '\0';
	rc = derive(token, "id:", label, md);
	if (!rc)
		byod_hex(md, sizeof(md), out);
	OPENSSL_cleanse(md, sizeof(md));
	return rc;
}

#define SEAL_NONCE 12
#define SEAL_TAG   16

/* One AES-256-GCM pass: seal (enc 1) or open (enc 0) n bytes of in into
 * out, with the tag written (enc) or checked (open). Returns 0, -EBADMSG
 * (open: the tag does not match) or -EIO. */
static int gcm(int enc, const unsigned char key[32], const unsigned char *nonce, const char *aad,
	       const unsigned char *in, size_t n, unsigned char *out, unsigned char *tag)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int len = 0, rc = -EIO;

	if (!ctx || n > INT32_MAX)
		goto out;
	if (EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, SEAL_NONCE, NULL) != 1 ||
	    EVP_CipherInit_ex(ctx, NULL, NULL, key, nonce, enc) != 1)
		goto out;
	if (aad && *aad &&
	    EVP_CipherUpdate(ctx, NULL, &len, (const unsigned char *)aad, (int)strlen(aad)) != 1)
		goto out;
	if (n && EVP_CipherUpdate(ctx, out, &len, in, (int)n) != 1)
		goto out;
	if (!enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, SEAL_TAG, tag) != 1)
		goto out;
	if (EVP_CipherFinal_ex(ctx, out + len, &len) != 1) {
		rc = enc ? -EIO : -EBADMSG;
		goto out;
	}
	if (enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, SEAL_TAG, tag) != 1)
		goto out;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

int web_token_seal(const char *token, const char *label, const char *aad, const void *in,
		   size_t len, unsigned char **out, size_t *outlen)
{
	unsigned char key[SHA256_DIGEST_LENGTH], *b = NULL;
	int rc;

	*out = NULL;
	*outlen = 0;
	rc = derive(token, "seal:", label, key);
	if (rc)
		goto out;
	b = malloc(len + SEAL_NONCE + SEAL_TAG);
	if (!b) {
		rc = -ENOMEM;
		goto out;
	}
	rc = byod_random(b, SEAL_NONCE);
	if (!rc)
		rc = gcm(1, key, b, aad, in, len, b + SEAL_NONCE, b + SEAL_NONCE + len);
	if (rc)
		goto out;
	*out = b;
	*outlen = len + SEAL_NONCE + SEAL_TAG;
	b = NULL;
out:
	OPENSSL_cleanse(key, sizeof(key));
	free(b);
	return rc;
}

int web_token_open(const char *token, const char *label, const char *aad, const void *in,
		   size_t len, char **out, size_t *outlen)
{
	const unsigned char *p = in;
	unsigned char key[SHA256_DIGEST_LENGTH], tag[SEAL_TAG];
	char *b = NULL;
	size_t n;
	int rc;

	*out = NULL;
	*outlen = 0;
	rc = derive(token, "seal:", label, key);
	if (rc)
		goto out;
	if (!in || len < SEAL_NONCE + SEAL_TAG) {
		rc = -EBADMSG;
		goto out;
	}
	n = len - SEAL_NONCE - SEAL_TAG;
	b = malloc(n + 1);
	if (!b) {
		rc = -ENOMEM;
		goto out;
	}
	memcpy(tag, p + SEAL_NONCE + n, SEAL_TAG);
	rc = gcm(0, key, p, aad, p + SEAL_NONCE, n, (unsigned char *)b, tag);
	if (rc) {
		OPENSSL_cleanse(b, n);
		goto out;
	}
	b[n] = '\0';
	*out = b;
	*outlen = n;
	b = NULL;
out:
	OPENSSL_cleanse(key, sizeof(key));
	free(b);
	return rc;
}

/* ---- stateless form tokens ------------------------------------------------ */

#define FORM_VERSION 1
#define FORM_BODY    25 /* version, expires, nonce: what the MAC covers */
#define FORM_BYTES   (FORM_BODY + SHA256_DIGEST_LENGTH)
#define FORM_LABEL   "byod-form:"

/* base64url of n bytes, n a multiple of 3, into out (4n/3 + 1 bytes). */
static void b64url_encode(const uint8_t *in, size_t n, char *out)
{
	size_t i, o = 0;
	uint32_t v;

	for (i = 0; i + 3 <= n; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = alphabet[v >> 6 & 63];
		out[o++] = alphabet[v & 63];
	}
	out[o] = '\0';
}

static int b64url_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/* The n bytes of exactly 4n/3 base64url characters (n a multiple of 3).
 * Returns 0, or -EINVAL for another length or another character. */
static int b64url_decode(const char *s, uint8_t *out, size_t n)
{
	size_t i, o = 0, len = n / 3 * 4;
	uint32_t v;
	int d[4], k;

	if (strnlen(s, len + 1) != len)
		return -EINVAL;
	for (i = 0; i < len; i += 4) {
		for (k = 0; k < 4; k++) {
			d[k] = b64url_value(s[i + k]);
			if (d[k] < 0)
				return -EINVAL;
		}
		v = (uint32_t)d[0] << 18 | (uint32_t)d[1] << 12 | (uint32_t)d[2] << 6 | d[3];
		out[o++] = v >> 16 & 0xff;
		out[o++] = v >> 8 & 0xff;
		out[o++] = v & 0xff;
	}
	return 0;
}

/* HMAC-SHA256(key, FORM_LABEL body binding) into md. */
static int form_mac(const void *key, size_t keylen, const uint8_t body[FORM_BODY],
		    const char *binding, unsigned char md[SHA256_DIGEST_LENGTH])
{
	uint8_t in[sizeof(FORM_LABEL) - 1 + FORM_BODY + WEB_TOKEN_LEN];
	unsigned int mdlen = 0;
	size_t l = sizeof(FORM_LABEL) - 1;

	memcpy(in, FORM_LABEL, l);
	memcpy(in + l, body, FORM_BODY);
	memcpy(in + l + FORM_BODY, binding, WEB_TOKEN_LEN);
	if (!HMAC(EVP_sha256(), key, (int)keylen, in, sizeof(in), md, &mdlen) ||
	    mdlen != SHA256_DIGEST_LENGTH)
		return -EIO;
	return 0;
}

int web_form_token_new(const void *key, size_t keylen, const char *binding, long long expires,
		       char out[WEB_FORM_TOKEN_LEN + 1])
{
	uint8_t b[FORM_BYTES];
	int i, rc;

	out[0] = '\0';
	if (!key || keylen < WEB_FORM_KEY_MIN || keylen > INT32_MAX || !web_token_valid(binding) ||
	    expires <= 0)
		return -EINVAL;
	b[0] = FORM_VERSION;
	for (i = 0; i < 8; i++)
		b[1 + i] = (uint64_t)expires >> (56 - 8 * i) & 0xff;
	rc = byod_random(b + 9, 16);
	if (!rc)
		rc = form_mac(key, keylen, b, binding, b + FORM_BODY);
	if (!rc)
		b64url_encode(b, sizeof(b), out);
	OPENSSL_cleanse(b, sizeof(b));
	return rc;
}

int web_form_token_check(const void *key, size_t keylen, const char *binding, const char *token,
			 long long now)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	uint8_t b[FORM_BYTES];
	uint64_t expires = 0;
	int i, rc;

	if (!key || keylen < WEB_FORM_KEY_MIN || keylen > INT32_MAX)
		return -EINVAL;
	if (!token || !web_token_valid(binding) || b64url_decode(token, b, sizeof(b)) ||
	    b[0] != FORM_VERSION)
		return -EACCES;
	rc = form_mac(key, keylen, b, binding, md);
	if (rc)
		goto out;
	if (CRYPTO_memcmp(md, b + FORM_BODY, sizeof(md))) {
		rc = -EACCES;
		goto out;
	}
	/* the expiry is read only once the MAC says the server wrote it */
	for (i = 0; i < 8; i++)
		expires = expires << 8 | b[1 + i];
	rc = expires > (uint64_t)INT64_MAX || (long long)expires <= now ? -EKEYEXPIRED : 0;
out:
	OPENSSL_cleanse(md, sizeof(md));
	return rc;
}
