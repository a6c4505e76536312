/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Random tokens for the portal (CSRF tokens, session cookies, one-time
 * enrolment links): 256 bits from the kernel in base64url without padding,
 * so they go into a URL, a cookie or a form field unescaped, and a check
 * of a presented token against the expected one that takes the same time
 * wherever the two differ.
 */
#ifndef WEB_TOKEN_H
#define WEB_TOKEN_H

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

#endif /* WEB_TOKEN_H */
