// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * RFC 6238 time-based one-time passwords for the console's second factor:
 * HOTP (RFC 4226, HMAC-SHA1 through OpenSSL, dynamic truncation), the
 * 30-second step, a window of steps either side of now for clocks that
 * drift, RFC 4648 base32 for the secrets, a new secret from RAND_bytes,
 * and the otpauth:// URI authenticator applications read. Nothing here
 * remembers a step: the caller records the one returned, so that a code is
 * used once.
 */
#define _GNU_SOURCE
#include "totp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

static const char b32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/* ---- base32 (RFC 4648, section 6) ------------------------------------- */

int web_base32_encode(const void *in, size_t len, int pad, char *out, size_t size)
{
	const unsigned char *p = in;
	size_t need = (len + 4) / 5 * 8, i, o = 0;
	unsigned buf = 0;
	int bits = 0;

	if (!pad)
		need = (len * 8 + 4) / 5;
	if (!out || size < need + 1) {
		if (out && size)
			out[0] = '\0';
		return -ENOSPC;
	}
	for (i = 0; i < len; i++) {
		buf = (buf << 8) | p[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = b32_alphabet[(buf >> (bits - 5)) & 31];
			bits -= 5;
		}
		buf &= (1u << bits) - 1;
	}
	if (bits > 0)
		out[o++] = b32_alphabet[(buf << (5 - bits)) & 31];
	while (pad && o % 8)
		out[o++] = '=';
	out[o] = '\0';
	return 0;
}

static int b32_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

int web_base32_decode(const char *in, unsigned char *out, size_t size, size_t *outlen)
{
	size_t o = 0, chars = 0, pads = 0, i;
	unsigned buf = 0;
	int bits = 0, v;

	if (!in || !outlen)
		return -EINVAL;
	*outlen = 0;
	for (i = 0; in[i]; i++) {
		if (in[i] == ' ')
			continue;
		if (in[i] == '=') {
			pads++;
			continue;
		}
		v = b32_value(in[i]);
		if (v < 0 || pads)
			return -EINVAL; /* a stranger, or text after the padding */
		chars++;
		buf = (buf << 5) | (unsigned)v;
		bits += 5;
		if (bits >= 8) {
			if (o >= size)
				return -ENOSPC;
			out[o++] = (unsigned char)(buf >> (bits - 8));
			bits -= 8;
			buf &= (1u << bits) - 1;
		}
	}
	/* a group of 8 ends with 0, 2, 4, 5 or 7 data characters; the left
	 * bits must be zero (an encoder never sets them) */
	switch (chars % 8) {
	case 1:
	case 3:
	case 6:
		return -EINVAL;
	}
	if (buf)
		return -EINVAL;
	if (pads && (chars + pads) % 8)
		return -EINVAL;
	*outlen = o;
	return 0;
}

/* ---- HOTP and TOTP ---------------------------------------------------- */

static const uint32_t pow10_table[] = {1,      10,	100,	  1000,	    10000,
				       100000, 1000000, 10000000, 100000000};

int web_hotp(const void *key, size_t keylen, uint64_t counter, int digits, uint32_t *code)
{
	unsigned char msg[8], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	uint32_t bin;
	int i, off;

	if (!key || !keylen || digits < 6 || digits > 8 || keylen > 1024)
		return -EINVAL;
	for (i = 7; i >= 0; i--) {
		msg[i] = (unsigned char)(counter & 0xff);
		counter >>= 8;
	}
	if (!HMAC(EVP_sha1(), key, (int)keylen, msg, sizeof(msg), md, &mdlen) || mdlen != 20)
		return -EIO;
	/* RFC 4226 5.3: dynamic truncation */
	off = md[19] & 0x0f;
	bin = ((uint32_t)(md[off] & 0x7f) << 24) | ((uint32_t)md[off + 1] << 16) |
	      ((uint32_t)md[off + 2] << 8) | md[off + 3];
	*code = bin % pow10_table[digits];
	OPENSSL_cleanse(md, sizeof(md));
	return 0;
}

int64_t web_totp_step(time_t t)
{
	return t > 0 ? (int64_t)t / WEB_TOTP_PERIOD : 0;
}

/* The secret's bytes into key; 0 or -EINVAL. */
static int secret_key(const char *secret, unsigned char key[64], size_t *keylen)
{
	if (!secret || !secret[0])
		return -EINVAL;
	if (web_base32_decode(secret, key, 64, keylen) || *keylen < 10)
		return -EINVAL; /* RFC 4226 asks for 128 bits at least; 80 is the floor */
	return 0;
}

int web_totp_code(const char *secret, int64_t step, int digits, char out[9])
{
	unsigned char key[64];
	size_t keylen = 0;
	uint32_t code;
	int rc;

	out[0] = '\0';
	if (step < 0)
		return -EINVAL;
	rc = secret_key(secret, key, &keylen);
	if (!rc)
		rc = web_hotp(key, keylen, (uint64_t)step, digits, &code);
	if (!rc)
		snprintf(out, 9, "%0*u", digits, code);
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}

int web_totp_verify(const char *secret, const char *code, int digits, time_t now, int window,
		    int64_t *step)
{
	unsigned char key[64];
	char want[9], got[9];
	size_t keylen = 0, n = 0, i;
	int64_t s, base, found = -1;
	uint32_t c;
	int rc;

	if (!code || digits < 6 || digits > 8 || window < 0 || window > 10)
		return -EINVAL;
	for (i = 0; code[i]; i++) {
		if (code[i] == ' ')
			continue;
		if (code[i] < '0' || code[i] > '9' || n == (size_t)digits)
			return -EINVAL;
		got[n++] = code[i];
	}
	if (n != (size_t)digits)
		return -EINVAL;
	got[n] = '\0';
	rc = secret_key(secret, key, &keylen);
	if (rc)
		goto out;
	base = web_totp_step(now);
	for (s = base - window; s <= base + window; s++) {
		if (s < 0)
			continue;
		rc = web_hotp(key, keylen, (uint64_t)s, digits, &c);
		if (rc)
			goto out;
		snprintf(want, sizeof(want), "%0*u", digits, c);
		/* every step compared, in constant time: no answer sooner */
		if (!CRYPTO_memcmp(want, got, (size_t)digits))
			found = s;
	}
	rc = found >= 0 ? 0 : -EACCES;
	if (!rc && step)
		*step = found;
out:
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(want, sizeof(want));
	return rc;
}

int web_totp_secret_new(char out[WEB_TOTP_SECRET_LEN + 1])
{
	unsigned char key[WEB_TOTP_SECRET_BYTES];
	int rc = 0;

	out[0] = '\0';
	if (RAND_bytes(key, sizeof(key)) != 1)
		rc = -EIO;
	if (!rc)
		rc = web_base32_encode(key, sizeof(key), 0, out, WEB_TOTP_SECRET_LEN + 1);
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}

/* ---- the otpauth:// URI ----------------------------------------------- */

/* Appends s percent-encoded (all but RFC 3986's unreserved characters) to
 * f; -EINVAL for a control character. */
static int put_escaped(FILE *f, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return -EINVAL;
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' || *p == '~')
			fputc(*p, f);
		else
			fprintf(f, "%%%c%c", hex[*p >> 4], hex[*p & 15]);
	}
	return 0;
}

int web_totp_uri(const char *where, const char *account, const char *secret, char **out)
{
	unsigned char key[64];
	char issuer[320], canon[104];
	size_t keylen = 0, len = 0;
	char *buf = NULL;
	FILE *f;
	int rc;

	*out = NULL;
	if (!account || !account[0] || strchr(account, ':'))
		return -EINVAL; /* ':' separates the issuer from the account in the label */
	/* the secret as applications expect it: uppercase, no padding, no space */
	rc = secret_key(secret, key, &keylen);
	if (!rc)
		rc = web_base32_encode(key, keylen, 0, canon, sizeof(canon));
	OPENSSL_cleanse(key, sizeof(key));
	if (rc)
		return -EINVAL;
	if (snprintf(issuer, sizeof(issuer), "BYOD%s%s", where && where[0] ? " " : "",
		     where ? where : "") >= (int)sizeof(issuer))
		return -EINVAL;
	if (strchr(issuer, ':'))
		return -EINVAL;
	f = open_memstream(&buf, &len);
	if (!f)
		return -ENOMEM;
	fputs("otpauth://totp/", f);
	rc = put_escaped(f, issuer);
	if (!rc) {
		fputc(':', f);
		rc = put_escaped(f, account);
	}
	if (!rc) {
		fputs("?secret=", f);
		rc = put_escaped(f, canon);
	}
	if (!rc) {
		fputs("&issuer=", f);
		rc = put_escaped(f, issuer);
	}
	if (!rc)
		fprintf(f, "&algorithm=SHA1&digits=%d&period=%d", WEB_TOTP_DIGITS, WEB_TOTP_PERIOD);
	if (fclose(f) && !rc)
		rc = -ENOMEM;
	OPENSSL_cleanse(canon, sizeof(canon));
	if (rc) {
		free(buf);
		return rc;
	}
	*out = buf;
	return 0;
}
