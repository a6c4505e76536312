/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The registry's own yescrypt, for the $y$ hashes libxcrypt writes (its
 * default flavour: read-write, pwxform with 12 KiB S-boxes, 6 rounds, 4
 * gathers of 2 lanes; p = 1, t = 0, no ROM), computed in a region each
 * thread keeps from one hash to the next instead of a 16 MiB map and unmap
 * per call. Anything else (another flavour, p, t, g or a ROM, a region
 * beyond REG_YESCRYPT_MAX_REGION, a malformed string) is refused with
 * -ENOTSUP, for the caller to hand it to crypt(3) as it is.
 */
#ifndef BYOD_REG_YESCRYPT_H
#define BYOD_REG_YESCRYPT_H

#include <stddef.h>
#include <stdint.h>

/* The largest region a thread keeps: 64 MiB is cost 7 of crypt_gensalt. */
#define REG_YESCRYPT_MAX_REGION ((size_t)64 << 20)

/* What a $y$ string holds that this implementation computes. */
struct reg_yescrypt_setting {
	uint64_t N;	   /* blocks */
	uint32_t r;	   /* 128-byte units per block */
	size_t prefix_len; /* "$y$j9T$salt" up to the salt's end */
	size_t salt_len;
	uint8_t salt[64]; /* decoded */
};

/* Parses setting (a $y$ setting or hash); 0, or -ENOTSUP for anything this
 * implementation does not compute exactly as libxcrypt would. */
int reg_yescrypt_parse(const char *setting, struct reg_yescrypt_setting *out);

/* crypt(3) of password (len bytes) with setting into out (size bytes):
 * the same string libxcrypt's crypt_rn gives. 0, -ENOTSUP (see above),
 * -ERANGE (out too small) or -ENOMEM. */
int reg_yescrypt_crypt(const char *password, size_t len, const char *setting, char *out,
		       size_t size);

/* As reg_yescrypt_crypt, and the result compared in constant time with
 * hash: 0 when password matches, -EACCES when not, or the errors above
 * (-ENOTSUP: hand it to crypt(3)). */
int reg_yescrypt_verify(const char *password, size_t len, const char *hash);

/* 1 when stored is exactly the len bytes of computed, 0 otherwise; the
 * bytes are compared in constant time (only the lengths, which are no
 * secret, decide a branch). */
int reg_yescrypt_hash_equal(const char *computed, size_t len, const char *stored);

/* The calling thread's region (bytes kept; 0 before its first hash), and
 * its release before the thread's end (which releases it anyway). */
size_t reg_yescrypt_region_size(void);
void reg_yescrypt_release(void);

#endif
