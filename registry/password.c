// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Password hashes for the accounts of the registry: yescrypt through
 * libxcrypt, a fresh 32-byte salt from the kernel for every hash, and a
 * verification that compares in constant time and fails closed (an empty,
 * locked or unreadable hash matches no password). Hashes imported from an
 * older directory ($6$, $2b$) are checked at the price of a yescrypt one,
 * so that timing does not single them out, and replaced by yescrypt at the
 * next login that proves the password.
 *
 * A $y$ hash of libxcrypt's own flavour is verified by yescrypt.c, in a
 * region each thread keeps (libxcrypt maps and unmaps it on every call);
 * anything it does not compute (another flavour or parameters, another
 * prefix) goes to crypt_r as before.
 */
#define _GNU_SOURCE
#include "registry.h"

#include <crypt.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "byod_util.h"
#include "yescrypt.h"

/*
 * struct crypt_data is about 32 KiB: too big for a thread's stack. Each
 * thread keeps one (made at its first hash, freed at its exit) instead of
 * a calloc and a free per hash. It holds what the hash was computed from,
 * so it is wiped after every use. What it cannot keep is yescrypt's own
 * memory: libxcrypt 4.4 (Debian 12) exports no yescrypt_* function, and
 * its crypt_yescrypt_rn maps the region (16 MiB at cost 5) with
 * yescrypt_init_local and unmaps it with yescrypt_free_local inside every
 * call, whatever scratch it is given: 4,103 minor page faults a hash at
 * cost 5, with or without a kept crypt_data (getrusage, measured), and a
 * third of the hash's CPU in the kernel, until libxcrypt keeps the region:
 * hence yescrypt.c for verifying.
 */
static pthread_key_t crypt_key;
static pthread_once_t crypt_once = PTHREAD_ONCE_INIT;
static int crypt_key_ok;

static void crypt_data_free(void *cd)
{
	explicit_bzero(cd, sizeof(struct crypt_data));
	free(cd);
}

static void crypt_key_make(void)
{
	crypt_key_ok = !pthread_key_create(&crypt_key, crypt_data_free);
}

/* The calling thread's crypt_data (zeroed), or NULL without memory. */
static struct crypt_data *crypt_data_get(void)
{
	struct crypt_data *cd;

	pthread_once(&crypt_once, crypt_key_make);
	if (!crypt_key_ok)
		return NULL;
	cd = pthread_getspecific(crypt_key);
	if (cd)
		return cd;
	cd = calloc(1, sizeof(*cd));
	if (cd && pthread_setspecific(crypt_key, cd)) {
		free(cd);
		cd = NULL;
	}
	return cd;
}

/* Wipes what a hash left in the thread's crypt_data (the password's
 * hash, the setting, yescrypt's scratch). */
static void crypt_data_wipe(struct crypt_data **cd)
{
	if (*cd)
		explicit_bzero(*cd, sizeof(**cd));
}

#define cleanup_crypt __attribute__((cleanup(crypt_data_wipe)))

/* Writes the hash of password into out (len bytes); 0 or a negative errno. */
int reg_password_hash(const char *password, int cost, char *out, size_t len, struct byod_err *err)
{
	cleanup_crypt struct crypt_data *cd = NULL;
	unsigned char rbytes[32];
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	const char *h;
	size_t n;
	int rc = 0;

	if (!password || !password[0])
		return byod_err_set(err, EINVAL, "an empty password cannot be set");
	if (cost < 1 || cost > 11)
		return byod_err_set(err, EINVAL, "yescrypt cost %d is not within 1..11", cost);
	rc = byod_random(rbytes, sizeof(rbytes));
	if (rc)
		return byod_err_set(err, rc, "no randomness for a password salt");
	if (!crypt_gensalt_rn("$y$", (unsigned long)cost, (const char *)rbytes, sizeof(rbytes),
			      salt, sizeof(salt))) {
		int e = errno ? errno : EINVAL;

		rc = byod_err_set(err, e, "cannot make a yescrypt salt: %s", strerror(e));
		goto out;
	}
	cd = crypt_data_get();
	if (!cd) {
		rc = byod_err_set(err, ENOMEM, "out of memory");
		goto out;
	}
	h = crypt_r(password, salt, cd);
	if (!h || h[0] == '*') {
		rc = byod_err_set(err, EINVAL, "yescrypt failed to hash the password");
		goto out;
	}
	n = strlen(h);
	if (n >= len) {
		rc = byod_err_set(err, ENAMETOOLONG,
				  "the password hash (%zu characters) does not fit in %zu bytes", n,
				  len);
		goto out;
	}
	memcpy(out, h, n + 1);
out:
	explicit_bzero(rbytes, sizeof(rbytes));
	explicit_bzero(salt, sizeof(salt));
	return rc;
}

/* 0 when password matches hash, -EACCES otherwise (also for any error). */
int reg_password_verify(const char *password, const char *hash)
{
	cleanup_crypt struct crypt_data *cd = NULL;
	const char *h;
	size_t n;

	if (!password || !hash || !hash[0] || hash[0] == '*' || hash[0] == '!')
		return -EACCES;
	n = strlen(password);
	/* crypt_r refuses a passphrase of CRYPT_MAX_PASSPHRASE_SIZE or more:
	 * so does this path, by leaving it to crypt_r. */
	if (!strncmp(hash, "$y$", 3) && n < CRYPT_MAX_PASSPHRASE_SIZE) {
		int rc = reg_yescrypt_verify(password, n, hash);

		if (rc == 0 || rc == -EACCES)
			return rc;
		/* -ENOTSUP (not the flavour it computes), -ENOMEM...: crypt_r */
	}
	cd = crypt_data_get();
	if (!cd)
		return -EACCES;
	h = crypt_r(password, hash, cd);
	if (!h || h[0] == '*')
		return -EACCES;
	/* The length of a hash is no secret; its content is compared in
	 * constant time. */
	if (!reg_yescrypt_hash_equal(h, strlen(h), hash))
		return -EACCES;
	return 0;
}

int reg_password_is_legacy(const char *hash)
{
	return hash && hash[0] == '$' && strncmp(hash, "$y$", 3) != 0;
}

/* Dummy yescrypt computations made by reg_password_check (for the tests:
 * the time a legacy hash takes is asserted by count, not by a clock). */
static unsigned long dummy_runs;

unsigned long reg_password_dummy_runs(void)
{
	return __atomic_load_n(&dummy_runs, __ATOMIC_RELAXED);
}

int reg_password_check(const char *password, const char *hash, const char *dummy)
{
	int rc = reg_password_verify(password, hash);

	/* Anything but yescrypt (SHA-512 crypt takes a quarter of its time, a
	 * locked or empty hash none) spends one yescrypt computation as well,
	 * whatever its outcome, so that every account answers in yescrypt time. */
	if ((!hash || strncmp(hash, "$y$", 3)) && dummy && !strncmp(dummy, "$y$", 3)) {
		__atomic_add_fetch(&dummy_runs, 1, __ATOMIC_RELAXED);
		reg_password_verify(password ? password : "", dummy);
	}
	return rc;
}
