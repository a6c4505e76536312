// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for registry/password.c: yescrypt hashes with a fresh salt,
 * verification that accepts the right password only, and hashes that must
 * never match (empty, locked, malformed); imported $6$ and $2b$ hashes
 * checked at the price of one yescrypt computation (counted, not timed)
 * and replaced by yescrypt once the password is proved. Costs stay at
 * 1..3 so that the suite is quick under valgrind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "registry_fixture.h"
#include "registry.h"

/* "legacy pw", as an older directory exported it */
#define SHA512_HASH                                                                                \
	"$6$saltsalt$yRVN7lRXYpHeWNyfqL8cCSmOp605kj5cM7eIV/.nKzkVwEhBDzxkHNfib9FeawEXI908R0ypmHRZBKhA" \
	"zL17.1"
#define BCRYPT_HASH "$2b$04$abcdefghijklmnopqrstuu/cXzbDVDyeKjLatlC5OH4WLYZn1U8xy"

/* "Calanques-2026!" hashed by libxcrypt's crypt_r at cost 1 before each
 * thread kept its crypt_data: a stored hash still verifies */
#define STORED_HASH "$y$j75$k2XAnEHBqQ1Ct2aMXFKNa/$aDYCRe038HwCHWgdFo3ZB7F2AyuSQEHNe1mF8TsBam6"

static void test_hash_form(void **state)
{
	char h[REG_HASH_MAX];
	struct byod_err err;

	assert_int_equal(reg_password_hash("correct horse", 1, h, sizeof(h), &err), 0);
	assert_memory_equal(h, "$y$", 3);
	assert_true(strlen(h) > 20);
	assert_null(strstr(h, "correct horse"));
}

static void test_verify(void **state)
{
	char h[REG_HASH_MAX];
	struct byod_err err;

	assert_int_equal(reg_password_hash("correct horse", 2, h, sizeof(h), &err), 0);
	assert_int_equal(reg_password_verify("correct horse", h), 0);
	assert_int_equal(reg_password_verify("correct horsE", h), -EACCES);
	assert_int_equal(reg_password_verify("correct hors", h), -EACCES);
	assert_int_equal(reg_password_verify("", h), -EACCES);
	assert_int_equal(reg_password_verify(NULL, h), -EACCES);
}

static void test_never_matches(void **state)
{
	char h[REG_HASH_MAX], locked[REG_HASH_MAX + 1];
	struct byod_err err;

	assert_int_equal(reg_password_verify("", ""), -EACCES);
	assert_int_equal(reg_password_verify("x", ""), -EACCES);
	assert_int_equal(reg_password_verify("x", NULL), -EACCES);
	assert_int_equal(reg_password_verify("x", "*"), -EACCES);
	assert_int_equal(reg_password_verify("x", "*0"), -EACCES);
	assert_int_equal(reg_password_verify("x", "$y$garbage"), -EACCES);
	assert_int_equal(reg_password_verify("x", "x"), -EACCES);

	/* A locked account ("!" + a real hash) does not open with its password. */
	assert_int_equal(reg_password_hash("secret", 1, h, sizeof(h), &err), 0);
	locked[0] = '!';
	memcpy(locked + 1, h, strlen(h) + 1);
	assert_int_equal(reg_password_verify("secret", locked), -EACCES);
	assert_int_equal(reg_password_verify("secret", h), 0);
}

static void test_salted(void **state)
{
	char a[REG_HASH_MAX], b[REG_HASH_MAX];
	struct byod_err err;

	assert_int_equal(reg_password_hash("same", 1, a, sizeof(a), &err), 0);
	assert_int_equal(reg_password_hash("same", 1, b, sizeof(b), &err), 0);
	assert_string_not_equal(a, b);
	assert_int_equal(reg_password_verify("same", a), 0);
	assert_int_equal(reg_password_verify("same", b), 0);
}

static void test_cost(void **state)
{
	char a[REG_HASH_MAX], b[REG_HASH_MAX];
	struct byod_err err;

	assert_int_equal(reg_password_hash("pw", 1, a, sizeof(a), &err), 0);
	assert_int_equal(reg_password_hash("pw", 3, b, sizeof(b), &err), 0);
	/* The cost is written in the parameters after "$y$". */
	assert_memory_not_equal(a, b, 6);
	assert_int_equal(reg_password_verify("pw", b), 0);
}

static void test_hash_errors(void **state)
{
	char h[REG_HASH_MAX], small[16];
	struct byod_err err;

	assert_int_equal(reg_password_hash("", 1, h, sizeof(h), &err), -EINVAL);
	assert_int_equal(reg_password_hash(NULL, 1, h, sizeof(h), &err), -EINVAL);
	assert_int_equal(reg_password_hash("pw", 0, h, sizeof(h), &err), -EINVAL);
	assert_int_equal(reg_password_hash("pw", 12, h, sizeof(h), &err), -EINVAL);
	assert_non_null(strstr(err.msg, "12"));
	assert_int_equal(reg_password_hash("pw", 1, small, sizeof(small), &err), -ENAMETOOLONG);
	assert_int_equal(reg_password_hash("pw", 1, h, sizeof(h), NULL), 0);
}

static void test_legacy_forms(void **state)
{
	assert_int_equal(reg_password_is_legacy(SHA512_HASH), 1);
	assert_int_equal(reg_password_is_legacy(BCRYPT_HASH), 1);
	assert_int_equal(reg_password_is_legacy("$y$j9T$abc$def"), 0);
	assert_int_equal(reg_password_is_legacy(""), 0);
	assert_int_equal(reg_password_is_legacy(NULL), 0);
	assert_int_equal(reg_password_is_legacy("!" SHA512_HASH), 0);
	/* they still verify as they are */
	assert_int_equal(reg_password_verify("legacy pw", SHA512_HASH), 0);
	assert_int_equal(reg_password_verify("legacy pw", BCRYPT_HASH), 0);
}

/* Every hash that is not yescrypt costs one dummy yescrypt computation,
 * right or wrong password alike; a yescrypt hash none besides its own. */
static void test_check_spends_yescrypt(void **state)
{
	char dummy[REG_HASH_MAX], y[REG_HASH_MAX];
	struct byod_err err;
	unsigned long n;

	assert_int_equal(reg_password_hash("dummy", 1, dummy, sizeof(dummy), &err), 0);
	assert_int_equal(reg_password_hash("legacy pw", 1, y, sizeof(y), &err), 0);
	n = reg_password_dummy_runs();
	assert_int_equal(reg_password_check("legacy pw", SHA512_HASH, dummy), 0);
	assert_int_equal(reg_password_dummy_runs(), n + 1);
	assert_int_equal(reg_password_check("wrong", SHA512_HASH, dummy), -EACCES);
	assert_int_equal(reg_password_dummy_runs(), n + 2);
	assert_int_equal(reg_password_check("legacy pw", BCRYPT_HASH, dummy), 0);
	assert_int_equal(reg_password_check("wrong", BCRYPT_HASH, dummy), -EACCES);
	assert_int_equal(reg_password_dummy_runs(), n + 4);
	/* locked and empty hashes too: they would answer at once otherwise */
	assert_int_equal(reg_password_check("legacy pw", "!" SHA512_HASH, dummy), -EACCES);
	assert_int_equal(reg_password_check("legacy pw", "", dummy), -EACCES);
	assert_int_equal(reg_password_dummy_runs(), n + 6);
	/* yescrypt (and the dummy itself, for an unknown login): no extra */
	assert_int_equal(reg_password_check("legacy pw", y, dummy), 0);
	assert_int_equal(reg_password_check("wrong", y, dummy), -EACCES);
	assert_int_equal(reg_password_check("x", dummy, dummy), -EACCES);
	assert_int_equal(reg_password_dummy_runs(), n + 6);
	/* the dummy never makes a wrong password right */
	assert_int_equal(reg_password_check("dummy", SHA512_HASH, dummy), -EACCES);
}

/* The login's upgrade: the stored $6$ hash becomes a yescrypt hash of the
 * same password, audited; a hash changed meanwhile is left alone. */
static void test_rehash(void **state)
{
	struct fx *f = *state;
	struct reg_person p;
	char y[REG_HASH_MAX], other[REG_HASH_MAX];
	int audits;

	fill_person(&p, "lea", NULL);
	snprintf(p.password_hash, sizeof(p.password_hash), "%s", SHA512_HASH);
	assert_int_equal(reg_person_add(f->reg, &p, &f->err), 0);
	audits = audit_count(f);
	assert_int_equal(reg_password_hash("legacy pw", 1, y, sizeof(y), &f->err), 0);
	assert_int_equal(reg_person_rehash_password(f->reg, "lea", SHA512_HASH, y, &f->err), 0);
	assert_int_equal(reg_person_get(f->reg, "lea", &p, &f->err), 0);
	assert_memory_equal(p.password_hash, "$y$", 3);
	assert_int_equal(reg_password_is_legacy(p.password_hash), 0);
	assert_int_equal(reg_password_verify("legacy pw", p.password_hash), 0);
	assert_int_equal(audit_count(f), audits + 1);

	/* a second upgrade from the old hash changes nothing */
	assert_int_equal(reg_password_hash("other", 1, other, sizeof(other), &f->err), 0);
	assert_int_equal(reg_person_rehash_password(f->reg, "lea", SHA512_HASH, other, &f->err), 0);
	assert_int_equal(reg_person_get(f->reg, "lea", &p, &f->err), 0);
	assert_string_equal(p.password_hash, y);
	assert_int_equal(audit_count(f), audits + 1);
	assert_int_equal(reg_person_rehash_password(f->reg, "lea", y, "plain", &f->err), -EINVAL);
	assert_int_equal(reg_person_rehash_password(f->reg, "nobody", y, other, &f->err), -ENOENT);
}

static void test_stored_hash(void **state)
{
	assert_int_equal(reg_password_verify("Calanques-2026!", STORED_HASH), 0);
	assert_int_equal(reg_password_verify("Calanques-2026?", STORED_HASH), -EACCES);
	/* twice in the same thread: its kept crypt_data gives the same answer */
	assert_int_equal(reg_password_verify("Calanques-2026!", STORED_HASH), 0);
}

/* Each thread hashes and verifies with its own crypt_data, at once. */
#define THREADS 4
#define ROUNDS	3

struct worker {
	int id, failures;
	char hash[ROUNDS][REG_HASH_MAX];
};

static void *work(void *arg)
{
	struct worker *w = arg;
	struct byod_err err;
	char pw[32];
	int i;

	for (i = 0; i < ROUNDS; i++) {
		snprintf(pw, sizeof(pw), "pw-%d-%d", w->id, i);
		if (reg_password_hash(pw, 1, w->hash[i], sizeof(w->hash[i]), &err) ||
		    reg_password_verify(pw, w->hash[i]) ||
		    reg_password_verify(pw, STORED_HASH) != -EACCES ||
		    reg_password_verify("Calanques-2026!", STORED_HASH))
			w->failures++;
	}
	return NULL;
}

static void test_threads(void **state)
{
	struct worker w[THREADS];
	pthread_t t[THREADS];
	char pw[32];
	int i, j;

	memset(w, 0, sizeof(w));
	for (i = 0; i < THREADS; i++) {
		w[i].id = i;
		assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	for (i = 0; i < THREADS; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	for (i = 0; i < THREADS; i++) {
		assert_int_equal(w[i].failures, 0);
		/* another thread's hash, checked here: the same hash */
		for (j = 0; j < ROUNDS; j++) {
			snprintf(pw, sizeof(pw), "pw-%d-%d", i, j);
			assert_int_equal(reg_password_verify(pw, w[i].hash[j]), 0);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_form),     cmocka_unit_test(test_verify),
		cmocka_unit_test(test_never_matches), cmocka_unit_test(test_salted),
		cmocka_unit_test(test_cost),	      cmocka_unit_test(test_hash_errors),
		cmocka_unit_test(test_legacy_forms),  cmocka_unit_test(test_check_spends_yescrypt),
		cmocka_unit_test_setup_teardown(test_rehash, setup, teardown),
		cmocka_unit_test(test_stored_hash),   cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
