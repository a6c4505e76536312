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
#include <string.h>

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
