// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for registry/password.c: yescrypt hashes with a fresh salt,
 * verification that accepts the right password only, and hashes that must
 * never match (empty, locked, malformed). Costs stay at 1..3 so that the
 * suite is quick under valgrind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "registry.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_form),     cmocka_unit_test(test_verify),
		cmocka_unit_test(test_never_matches), cmocka_unit_test(test_salted),
		cmocka_unit_test(test_cost),	      cmocka_unit_test(test_hash_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
