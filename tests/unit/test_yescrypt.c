// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for registry/yescrypt.c, the registry's own yescrypt for $y$
 * hashes, against libxcrypt's crypt_rn as the reference:
 *   - random passwords (empty, long, 8-bit bytes) with random salts of
 *     crypt_gensalt_rn("$y$", cost 1..7) give byte-identical strings, as
 *     settings and as stored hashes, and wrong passwords are refused, by
 *     reg_yescrypt_verify and reg_password_verify alike;
 *   - what it does not compute (other flavours, t, scrypt, malformed salts)
 *     is -ENOTSUP, and reg_password_verify still answers through crypt_r;
 *   - the region is kept: minor page faults per hash, 20 hashes in one
 *     thread, far below libxcrypt's 4,000 at cost 5; it is freed at the
 *     thread's exit (valgrind's and LeakSanitizer's leak checks);
 *   - the final comparison never branches on the computed hash (under
 *     valgrind its bytes are marked undefined: a branch on them is an error).
 * BYOD_YESCRYPT_SEED=n replays a run (the seed is printed); BYOD_YESCRYPT_SCALE=k
 * runs k times the cases. Under valgrind the random cases are fewer.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <crypt.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#else
#define RUNNING_ON_VALGRIND		  0
#define VALGRIND_MAKE_MEM_UNDEFINED(a, n) ((void)(a), (void)(n))
#define VALGRIND_MAKE_MEM_DEFINED(a, n)	  ((void)(a), (void)(n))
#endif

#include "registry.h"
#include "yescrypt.h"

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static size_t rnd_below(size_t n)
{
	return (size_t)(rnd() % n);
}

/* A random password: empty, short, medium or long (up to 511 bytes, crypt's
 * limit less one), of bytes 1..255 (8-bit ones included). */
static size_t random_password(char *pw)
{
	size_t len, i, kind = rnd_below(20);

	if (kind == 0)
		len = 0;
	else if (kind < 12)
		len = 1 + rnd_below(16);
	else if (kind < 18)
		len = 17 + rnd_below(100);
	else
		len = 117 + rnd_below(CRYPT_MAX_PASSPHRASE_SIZE - 117);
	for (i = 0; i < len; i++)
		pw[i] = (char)(1 + rnd_below(255));
	pw[len] = '\0';
	return len;
}

/* A wrong password near pw: one byte changed, one added or one removed. */
static void near_password(const char *pw, size_t len, char *out)
{
	size_t k = rnd_below(3), at;

	memcpy(out, pw, len + 1);
	if (len && k == 0) {
		at = rnd_below(len);
		out[at] = (char)(((unsigned char)out[at] % 255) + 1);
	} else if (len && k == 1) {
		out[len - 1] = '\0';
	} else if (len + 1 < CRYPT_MAX_PASSPHRASE_SIZE) {
		out[len] = (char)(1 + rnd_below(255));
		out[len + 1] = '\0';
	} else {
		out[0] = out[0] == 'x' ? 'y' : 'x';
	}
}

static struct crypt_data cd;

/* crypt_rn's answer, or NULL when it refuses. */
static const char *reference(const char *pw, const char *setting)
{
	const char *h;

	memset(&cd, 0, sizeof(cd));
	h = crypt_rn(pw, setting, &cd, sizeof(cd));
	return h && h[0] != '*' ? h : NULL;
}

/* A setting of libxcrypt's flavour: crypt_gensalt_rn's at cost 1..7, or
 * (cost 0) one of small N and r with crypt_gensalt_rn's salt, which takes
 * both implementations through every step but the prehash in a fraction of
 * a millisecond: thousands of them in a test that runs in seconds. */
static void random_setting(int cost, char *setting, size_t size)
{
	static const char itoa64[] =
		"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	char rbytes[64], gen[CRYPT_GENSALT_OUTPUT_SIZE];
	size_t nr = 16 + rnd_below(49), i;

	for (i = 0; i < nr; i++)
		rbytes[i] = (char)rnd();
	assert_non_null(crypt_gensalt_rn("$y$", cost ? (unsigned long)cost : 1, rbytes, (int)nr,
					 gen, sizeof(gen)));
	if (cost) {
		snprintf(setting, size, "%s", gen);
		return;
	}
	/* "$y$j" N_log2 - 1, r - 1, then the salt of gen ("$y$j75$salt") */
	snprintf(setting, size, "$y$j%c%c%s", itoa64[1 + rnd_below(7)], itoa64[rnd_below(16)],
		 gen + 6);
}

/* One case: the setting and the stored hash give libxcrypt's string; a near
 * password does not verify; every tenth case through reg_password_verify
 * too (right and wrong). */
static void check_case(int cost, const char *pw, size_t len, int full)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE + 8], mine[256], stored[256],
		wrong[CRYPT_MAX_PASSPHRASE_SIZE + 2];
	const char *ref;

	random_setting(cost, setting, sizeof(setting));
	ref = reference(pw, setting);
	if (!ref)
		fail_msg("crypt_rn refuses %s", setting);
	snprintf(stored, sizeof(stored), "%s", ref);

	assert_int_equal(reg_yescrypt_crypt(pw, len, setting, mine, sizeof(mine)), 0);
	if (strcmp(mine, stored))
		fail_msg("setting %s, password of %zu bytes:\n libxcrypt %s\n own       %s",
			 setting, len, stored, mine);
	near_password(pw, len, wrong);
	assert_int_equal(reg_yescrypt_verify(wrong, strlen(wrong), stored), -EACCES);
	if (!full)
		return;
	/* the stored hash as the setting (a login's verification) */
	assert_int_equal(reg_yescrypt_verify(pw, len, stored), 0);
	assert_int_equal(reg_password_verify(pw, stored), 0);
	assert_int_equal(reg_password_verify(wrong, stored), -EACCES);
	/* and crypt_rn agrees that it is wrong */
	ref = reference(wrong, stored);
	assert_true(!ref || strcmp(ref, stored));
}

/* Cases per cost (0: small N and r), many where a hash is cheap, one where
 * it is 64 MiB. */
static const int cases[8] = {3000, 150, 40, 12, 6, 4, 2, 1};

static void test_agree_random(void **state)
{
	const char *seed = getenv("BYOD_YESCRYPT_SEED"), *scale_s = getenv("BYOD_YESCRYPT_SCALE");
	int scale = scale_s ? atoi(scale_s) : 1, cost, i, total = 0;
	char pw[CRYPT_MAX_PASSPHRASE_SIZE];

	rng_state = seed ? strtoull(seed, NULL, 0) : (uint64_t)time(NULL) ^ (uint64_t)getpid();
	printf("# BYOD_YESCRYPT_SEED=%llu\n", (unsigned long long)rng_state);
	if (scale < 1)
		scale = 1;
	for (cost = 0; cost <= 7; cost++) {
		int n = cases[cost] * scale;

		if (RUNNING_ON_VALGRIND)
			n = cost == 0 ? 40 : cost <= 2 ? 2 : cost == 5 ? 1 : 0;
		for (i = 0; i < n; i++) {
			size_t len = random_password(pw);

			check_case(cost, pw, len, i % 10 == 0);
			total++;
		}
		printf("# cost %d: %d random cases agree with crypt_rn\n", cost, n);
	}
	/* the edges every run has: empty, one byte, 255s, 511 bytes */
	memset(pw, 0xff, sizeof(pw));
	pw[CRYPT_MAX_PASSPHRASE_SIZE - 1] = '\0';
	check_case(1, "", 0, 1);
	check_case(0, "", 0, 1);
	check_case(1, "a", 1, 1);
	check_case(0, pw, CRYPT_MAX_PASSPHRASE_SIZE - 1, 1);
	check_case(2, pw, CRYPT_MAX_PASSPHRASE_SIZE - 1, 1);
	check_case(5, "correct horse", 13, 1);
	reg_yescrypt_release();
}

/* A known vector: libxcrypt's hash of a stored account (test_password's). */
static void test_known(void **state)
{
	static const char h[] =
		"$y$j75$k2XAnEHBqQ1Ct2aMXFKNa/$aDYCRe038HwCHWgdFo3ZB7F2AyuSQEHNe1mF8TsBam6";
	struct reg_yescrypt_setting st;
	char out[256];

	assert_int_equal(reg_yescrypt_parse(h, &st), 0);
	assert_int_equal(st.N, 1024);
	assert_int_equal(st.r, 8);
	assert_int_equal(st.prefix_len, strlen("$y$j75$k2XAnEHBqQ1Ct2aMXFKNa/"));
	assert_int_equal(st.salt_len, 16);
	assert_int_equal(reg_yescrypt_crypt("Calanques-2026!", 15, h, out, sizeof(out)), 0);
	assert_string_equal(out, h);
	assert_int_equal(reg_yescrypt_verify("Calanques-2026!", 15, h), 0);
	assert_int_equal(reg_yescrypt_verify("Calanques-2026?", 15, h), -EACCES);
	/* too small an output: refused, not cut */
	assert_int_equal(reg_yescrypt_crypt("x", 1, h, out, 40), -ERANGE);
	assert_int_equal(reg_yescrypt_parse("$y$j9T$abcdefgh", &st), 0);
	assert_int_equal(st.N, 4096);
	assert_int_equal(st.r, 32);
	reg_yescrypt_release();
}

/* What it leaves to crypt_r: refused here, still verified by the registry. */
static void test_fallback(void **state)
{
	static const char *const other[] = {
		"$y$j75/.$k2XAnEHBqQ1Ct2aMXFKNa/", /* t = 1 */
		"$y$.75$k2XAnEHBqQ1Ct2aMXFKNa/",   /* classic scrypt */
		"$y$/75$k2XAnEHBqQ1Ct2aMXFKNa/",   /* WORM */
		"$7$C6..../....SodiumChloride",	   /* scrypt's own prefix */
		"$6$saltsalt$",			   /* another algorithm */
	};
	static const char *const refused[] = {
		"$y$j75$",			 /* empty salt */
		"$y$j75$a",			 /* a one-character group */
		"$y$j75$az",			 /* bits beyond the byte set */
		"$y$j75$k2XA nEHB",		 /* a space */
		"$y$i75$k2XAnEHBqQ1Ct2aMXFKNa/", /* ROUNDS_3: not a flavour libxcrypt computes */
		"$y$j75",			 /* no salt */
		"$y$j$",			 /* no N */
		"$y$j.T$abcd",			 /* N = 2 */
		"$y$jVT$abcd",			 /* N = 2^33 */
		"$y$j75$k2XAnEHBqQ1Ct2aMXFKNa/$a$b", /* a '$' in the tail */
		"$x$j75$abcd",
		"",
	};
	char out[256], pw[CRYPT_MAX_PASSPHRASE_SIZE + 8];
	const char *h;
	size_t i;

	for (i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		char stored[256];

		assert_int_equal(reg_yescrypt_crypt("pw", 2, other[i], out, sizeof(out)), -ENOTSUP);
		h = reference("pw", other[i]);
		if (!h)
			fail_msg("crypt_rn refuses %s", other[i]);
		snprintf(stored, sizeof(stored), "%s", h);
		assert_int_equal(reg_yescrypt_verify("pw", 2, stored), -ENOTSUP);
		assert_int_equal(reg_password_verify("pw", stored), 0);
		assert_int_equal(reg_password_verify("pW", stored), -EACCES);
	}
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		char stored[256];

		assert_int_equal(reg_yescrypt_crypt("pw", 2, refused[i], out, sizeof(out)),
				 -ENOTSUP);
		/* whatever crypt_rn makes of it, the registry answers the same */
		h = reference("pw", refused[i]);
		if (!h || strncmp(refused[i], "$y$", 3)) {
			assert_int_equal(reg_password_verify("pw", refused[i]), -EACCES);
			continue;
		}
		snprintf(stored, sizeof(stored), "%s", h);
		assert_int_equal(reg_password_verify("pw", stored), 0);
		assert_int_equal(reg_password_verify("pW", stored), -EACCES);
	}
	/* 128 MiB, beyond the bound of a kept region: crypt_r's */
	assert_int_equal(reg_yescrypt_crypt("pw", 2, "$y$jCT$abcd", out, sizeof(out)), -ENOTSUP);
	/* crypt's length limit holds on this path as well */
	memset(pw, 'a', sizeof(pw));
	pw[CRYPT_MAX_PASSPHRASE_SIZE] = '\0';
	h = reference("x", "$y$j75$k2XAnEHBqQ1Ct2aMXFKNa/");
	assert_non_null(h);
	assert_null(reference(pw, h));
	assert_int_equal(reg_password_verify(pw, h), -EACCES);
	reg_yescrypt_release();
}

static long thread_minflt(void)
{
	struct rusage ru;

	assert_int_equal(getrusage(RUSAGE_THREAD, &ru), 0);
	return ru.ru_minflt;
}

struct faults {
	long own, xcrypt;
	size_t region;
	int mismatches;
};

#define REUSE_HASHES 20

/* One thread: a first hash (the region's pages come in), then 20 more. */
static void *count_faults(void *arg)
{
	struct faults *f = arg;
	char setting[CRYPT_GENSALT_OUTPUT_SIZE], out[256], stored[256];
	const char *ref;
	long before;
	int i;

	crypt_gensalt_rn("$y$", 5, "0123456789abcdef", 16, setting, sizeof(setting));
	ref = reference("correct horse", setting);
	if (!ref)
		return NULL;
	snprintf(stored, sizeof(stored), "%s", ref);
	if (reg_yescrypt_verify("correct horse", 13, stored))
		f->mismatches++;
	before = thread_minflt();
	for (i = 0; i < REUSE_HASHES; i++)
		if (reg_yescrypt_crypt("correct horse", 13, setting, out, sizeof(out)) ||
		    strcmp(out, stored))
			f->mismatches++;
	f->own = thread_minflt() - before;
	f->region = reg_yescrypt_region_size();
	before = thread_minflt();
	for (i = 0; i < 3; i++)
		reference("correct horse", setting);
	f->xcrypt = (thread_minflt() - before) / 3;
	return NULL;
}

static void test_region_reused(void **state)
{
	struct faults f = {0};
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, count_faults, &f), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	printf("# cost 5: %ld minor faults in %d hashes (%.1f each); libxcrypt %ld each\n", f.own,
	       REUSE_HASHES, (double)f.own / REUSE_HASHES, f.xcrypt);
	assert_int_equal(f.mismatches, 0);
	assert_true(f.region >= (size_t)16 << 20);
	/* 16 MiB is 4,096 pages: a region mapped anew would fault them all */
	assert_true(f.own < 200L * REUSE_HASHES);
}

/* A thread's region is released at its exit: the leak checks of valgrind
 * (build-valgrind) and LeakSanitizer (the ASan build) see it otherwise. */
static void *hash_and_leave(void *arg)
{
	size_t *region = arg;
	char out[256];

	if (!reg_yescrypt_crypt("pw", 2, "$y$j75$k2XAnEHBqQ1Ct2aMXFKNa/", out, sizeof(out)))
		*region = reg_yescrypt_region_size();
	return NULL;
}

static void test_region_freed_at_exit(void **state)
{
	size_t region[4] = {0};
	pthread_t t[4];
	int i;

	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, hash_and_leave, &region[i]), 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_true(region[i] >= (size_t)1 << 20);
	}
	/* this thread's own: none until it hashes, none after its release */
	reg_yescrypt_release();
	assert_int_equal(reg_yescrypt_region_size(), 0);
	hash_and_leave(&region[0]);
	assert_true(reg_yescrypt_region_size() >= (size_t)1 << 20);
	reg_yescrypt_release();
	assert_int_equal(reg_yescrypt_region_size(), 0);
}

/*
 * The final comparison in constant time: under valgrind the computed hash's
 * bytes are undefined, so that memcheck reports any branch (an early exit
 * of memcmp or strcmp) or address taken from them, and the run fails.
 * Outside valgrind it checks the answers only.
 */
static void test_equal_constant_time(void **state)
{
	static const char h[] =
		"$y$j75$k2XAnEHBqQ1Ct2aMXFKNa/$aDYCRe038HwCHWgdFo3ZB7F2AyuSQEHNe1mF8TsBam6";
	char c[sizeof(h)];
	size_t n = sizeof(h) - 1, at;
	int eq;

	for (at = 0; at <= n; at++) {
		memcpy(c, h, sizeof(h));
		if (at < n)
			c[at] ^= 1; /* differs at one place, the first to the last */
		VALGRIND_MAKE_MEM_UNDEFINED(c, n);
		eq = reg_yescrypt_hash_equal(c, n, h);
		VALGRIND_MAKE_MEM_DEFINED(&eq, sizeof(eq));
		VALGRIND_MAKE_MEM_DEFINED(c, sizeof(c));
		assert_int_equal(eq, at == n);
	}
	/* lengths differ: no match (the lengths are public) */
	assert_int_equal(reg_yescrypt_hash_equal(h, n - 1, h), 0);
	assert_int_equal(reg_yescrypt_hash_equal(h, n, "$y$"), 0);
	/* and through the whole verification, its hash undefined inside */
	assert_int_equal(reg_yescrypt_verify("Calanques-2026!", 15, h), 0);
	reg_yescrypt_release();
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/*
 * BYOD_YESCRYPT_BENCH=n: n verifications at cost 5 by libxcrypt (crypt_rn,
 * compared as password.c did) and by reg_yescrypt_verify, alternated in this
 * thread (the order swapped every other round), timed by the thread's CPU
 * clock (the kernel's page-fault work included, other processes' load not)
 * and by the wall clock; medians and the 10th-90th percentiles printed.
 * Skipped without the variable.
 */
static void test_bench_ab(void **state)
{
	const char *env = getenv("BYOD_YESCRYPT_BENCH");
	int n = env ? atoi(env) : 0, i, k;
	char setting[CRYPT_GENSALT_OUTPUT_SIZE], stored[256];
	double *t[2][2], zero_ms;
	static const char *const name[2] = {"libxcrypt crypt_rn", "own reg_yescrypt_verify"};
	static const char *const clk[2] = {"thread CPU", "wall"};
	uint8_t *buf;

	if (n < 1)
		skip();
	crypt_gensalt_rn("$y$", 5, "0123456789abcdef", 16, setting, sizeof(setting));
	snprintf(stored, sizeof(stored), "%s", reference("correct horse", setting));
	assert_int_equal(reg_yescrypt_verify("correct horse", 13, stored), 0);
	for (i = 0; i < 2; i++)
		for (k = 0; k < 2; k++)
			assert_non_null(t[i][k] = calloc((size_t)n, sizeof(double)));
	for (i = 0; i < n; i++) {
		int j;

		for (j = 0; j < 2; j++) {
			int which = (i & 1) ? 1 - j : j;
			double c0 = clock_ms(CLOCK_THREAD_CPUTIME_ID),
			       w0 = clock_ms(CLOCK_MONOTONIC);
			const char *h;

			if (which == 0) {
				memset(&cd, 0, sizeof(cd));
				h = crypt_rn("correct horse", stored, &cd, sizeof(cd));
				assert_true(h && reg_yescrypt_hash_equal(h, strlen(h), stored));
			} else {
				assert_int_equal(reg_yescrypt_verify("correct horse", 13, stored),
						 0);
			}
			t[which][0][i] = clock_ms(CLOCK_THREAD_CPUTIME_ID) - c0;
			t[which][1][i] = clock_ms(CLOCK_MONOTONIC) - w0;
		}
	}
	for (k = 0; k < 2; k++) {
		for (i = 0; i < 2; i++) {
			qsort(t[i][k], (size_t)n, sizeof(double), cmp_double);
			printf("# cost 5, %s, %s: median %.2f ms (p10 %.2f, p90 %.2f), n=%d\n",
			       clk[k], name[i], t[i][k][n / 2], t[i][k][n / 10],
			       t[i][k][n * 9 / 10], n);
		}
		printf("# cost 5, %s: libxcrypt / own = %.2f\n", clk[k],
		       t[0][k][n / 2] / t[1][k][n / 2]);
	}
	/* what the wipe of the kept region costs within the own figure */
	buf = malloc((size_t)16 << 20);
	assert_non_null(buf);
	memset(buf, 1, (size_t)16 << 20);
	zero_ms = clock_ms(CLOCK_THREAD_CPUTIME_ID);
	for (i = 0; i < 20; i++)
		explicit_bzero(buf, (size_t)16 << 20);
	printf("# wiping 16 MiB: %.2f ms (thread CPU)\n",
	       (clock_ms(CLOCK_THREAD_CPUTIME_ID) - zero_ms) / 20);
	free(buf);
	for (i = 0; i < 2; i++)
		for (k = 0; k < 2; k++)
			free(t[i][k]);
	reg_yescrypt_release();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known),
		cmocka_unit_test(test_equal_constant_time),
		cmocka_unit_test(test_fallback),
		cmocka_unit_test(test_region_reused),
		cmocka_unit_test(test_region_freed_at_exit),
		cmocka_unit_test(test_agree_random),
		cmocka_unit_test(test_bench_ab),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
