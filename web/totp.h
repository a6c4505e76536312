/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The console's second factor: time-based one-time passwords (RFC 6238
 * over RFC 4226's HOTP with HMAC-SHA1, 30-second steps, 6 digits by
 * default, 6 to 8 supported), the RFC 4648 base32 their secrets are
 * written in, a new random secret, and the otpauth:// URI an authenticator
 * application reads from a QR code (web_qr_svg draws it). Pure: the step
 * a code matched is returned so that the caller records it
 * (reg_admin_totp_step) and a replayed code is refused.
 */
#ifndef WEB_TOTP_H
#define WEB_TOTP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define WEB_TOTP_PERIOD	      30 /* seconds per step */
#define WEB_TOTP_DIGITS	      6
#define WEB_TOTP_SECRET_BYTES 20 /* 160 bits, RFC 4226's recommendation */
#define WEB_TOTP_SECRET_LEN   32 /* its base32 characters, without the NUL */
#define WEB_TOTP_WINDOW	      1	 /* steps accepted either side of now (clock drift) */

/*
 * RFC 4648 base32 of in[0..len) into out (size bytes, NUL included), with
 * '=' padding when pad. Returns 0, or -ENOSPC when out is too small (out
 * is then "").
 */
int web_base32_encode(const void *in, size_t len, int pad, char *out, size_t size);

/*
 * Decodes base32 text (either case; '=' padding optional but only at the
 * end; spaces ignored, as people copy secrets in groups of four) into out
 * (size bytes): 0 with *outlen, -EINVAL for any other character, padding
 * in the middle or trailing bits that are not zero, -ENOSPC when out is
 * too small.
 */
int web_base32_decode(const char *in, unsigned char *out, size_t size, size_t *outlen);

/* RFC 4226 HOTP of counter under key: digits (6 to 8) decimal digits in
 * *code. Returns 0, -EINVAL (digits out of range, no key) or -EIO. */
int web_hotp(const void *key, size_t keylen, uint64_t counter, int digits, uint32_t *code);

/* The RFC 6238 step of t: floor(t / 30) (0 before the epoch). */
int64_t web_totp_step(time_t t);

/* The code of a base32 secret at step, as digits text (zero-padded) into
 * out. Returns 0, -EINVAL (a bad secret or digits) or -EIO. */
int web_totp_code(const char *secret, int64_t step, int digits, char out[9]);

/*
 * Checks code (digits digits; spaces ignored) against a base32 secret at
 * now, within window steps either side (WEB_TOTP_WINDOW). Returns 0 with
 * *step (may be NULL) the newest step whose code it is, -EACCES when it is
 * the code of none, -EINVAL for a code that is not digits digits, a bad
 * secret or window < 0. Every step of the window is computed and compared
 * in constant time, whichever matches.
 */
int web_totp_verify(const char *secret, const char *code, int digits, time_t now, int window,
		    int64_t *step);

/* A new random secret (WEB_TOTP_SECRET_BYTES from RAND_bytes) in base32
 * without padding. Returns 0 or -EIO (out is then ""). */
int web_totp_secret_new(char out[WEB_TOTP_SECRET_LEN + 1]);

/*
 * The otpauth:// URI of a secret for an authenticator application:
 * otpauth://totp/ISSUER:ACCOUNT?secret=S&issuer=ISSUER&algorithm=SHA1&
 * digits=6&period=30, the issuer being "BYOD <where>" (where: the school's
 * or the département's name; NULL or "": "BYOD"), issuer and account
 * percent-encoded (UTF-8 kept as bytes). *out is malloc'd (the caller
 * frees it). Returns 0, -EINVAL (no account, a bad secret, a control
 * character) or -ENOMEM.
 */
int web_totp_uri(const char *where, const char *account, const char *secret, char **out);

#endif /* WEB_TOTP_H */
