/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Random tokens for the portal (CSRF tokens, session cookies, one-time
 * enrolment links): 256 bits from the kernel in base64url without padding,
 * so they go into a URL, a cookie or a form field unescaped, and a check
 * of a presented token against the expected one that takes the same time
 * wherever the two differ; and what only a token's holder can make or
 * read: an id derived from it, data sealed under it.
 */
#ifndef WEB_TOKEN_H
#define WEB_TOKEN_H

#include <stddef.h>

#define WEB_TOKEN_LEN 43 /* characters, without the NUL */

/* Fills out with a new token (43 characters + NUL). Returns 0, or the
 * negative errno of getrandom(2) (out is then ""). */
int web_token_new(char out[44]);

/* 1 when s is exactly 43 characters of [A-Za-z0-9_-], else 0 (NULL too). */
int web_token_valid(const char *s);

/* 1 when a and b are both valid tokens and equal, else 0. The comparison
 * of two valid tokens takes the same time wherever they differ. */
int web_token_equal(const char *a, const char *b);

/* The lowercase hex SHA-256 of a token, as the registry stores it (a
 * stolen copy of the registry then holds no usable session or link).
 * Returns 0, or -EINVAL for an invalid token (out is then ""). */
int web_token_hash(const char *token, char out[65]);

/*
 * What a token's holder alone can make: a lowercase hex HMAC-SHA256 of
 * label under the token (an id for something kept for that holder, which
 * neither the registry nor anyone else can link to the token or recompute).
 * Returns 0, or -EINVAL for an invalid token or a NULL label.
 */
int web_token_derive(const char *token, const char *label, char out[65]);

/*
 * Seals in[0..len) for the holder of token: AES-256-GCM under
 * HMAC-SHA256(token, "seal:" label), a random 96-bit nonce, aad (a string,
 * may be NULL) bound to it but not hidden. *out is malloc'd, *outlen =
 * len + 28 (nonce, ciphertext, tag); the caller frees it. Returns 0,
 * -EINVAL (invalid token, NULL label), -ENOMEM or -EIO.
 */
int web_token_seal(const char *token, const char *label, const char *aad, const void *in,
		   size_t len, unsigned char **out, size_t *outlen);

/*
 * Opens what web_token_seal made with the same token, label and aad: 0
 * with *out (malloc'd, *outlen bytes and a NUL after them; the caller
 * wipes and frees it), -EBADMSG when anything differs (a byte of in, the
 * token, the label, the aad) or in is too short, -EINVAL or -ENOMEM.
 */
int web_token_open(const char *token, const char *label, const char *aad, const void *in,
		   size_t len, char **out, size_t *outlen);

#endif /* WEB_TOKEN_H */
