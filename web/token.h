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

/*
 * Stateless form tokens, for a form shown to someone without a session
 * (the login page): nothing is stored, the token carries what is checked.
 * 57 bytes in base64url without padding (WEB_FORM_TOKEN_LEN characters):
 *
 *   version (1, = 1) | expires (8, big-endian Unix seconds) | nonce (16,
 *   random) | HMAC-SHA256(key, "byod-form:" version expires nonce binding)
 *
 * binding is the value of a random cookie (a web_token_new token) the
 * page set in the same browser, so a token is worth nothing without that
 * browser's cookie, and another site can neither read nor send it
 * (SameSite=Strict). key is a secret shared by every portal process.
 */
#define WEB_FORM_TOKEN_LEN 76
#define WEB_FORM_KEY_MIN   32 /* bytes */

/* Makes a token bound to binding (a valid token) that lives until expires
 * into out. Returns 0, -EINVAL (key shorter than WEB_FORM_KEY_MIN, invalid
 * binding, expires <= 0) or the negative errno of getrandom(2) or -EIO
 * (out is then ""). */
int web_form_token_new(const void *key, size_t keylen, const char *binding, long long expires,
		       char out[WEB_FORM_TOKEN_LEN + 1]);

/* Checks token against key, binding and now: 0 when it was made with this
 * key for this binding and expires > now; -EACCES when it is malformed,
 * made with another key, for another binding, or changed in any byte
 * (NULL token or binding too); -EKEYEXPIRED when it was genuine but has
 * expired; -EINVAL for a key that is too short. The MAC comparison takes
 * the same time wherever the two differ. */
int web_form_token_check(const void *key, size_t keylen, const char *binding, const char *token,
			 long long now);

#endif /* WEB_TOKEN_H */
