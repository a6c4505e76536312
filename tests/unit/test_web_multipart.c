// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * web/multipart.c: what browsers and curl send for a form with a file
 * (fields and a file, quoted and bare boundaries), a file's bytes kept (a
 * NUL as 0xFF), and every malformed body refused with its offset.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "multipart.h"

#define CT "multipart/form-data; boundary=----WebKitFormBoundaryX3"
#define D  "------WebKitFormBoundaryX3"

static void test_browser(void **state)
{
	static const char body[] =
		D "\r\n"
		  "Content-Disposition: form-data; name=\"csrf\"\r\n\r\n"
		  "tok-123\r\n" D "\r\n"
		  "Content-Disposition: form-data; name=\"file\"; filename=\"élèves 4B.csv\"\r\n"
		  "Content-Type: text/csv\r\n\r\n"
		  "login;role\r\na\0b;student\r\n\r\n" D "\r\n"
		  "Content-Disposition: form-data; name=\"text\"\r\n\r\n"
		  "line one\r\nline two\r\n" D "--\r\n";
	struct web_form f;
	struct byod_err err;

	(void)state;
	if (web_multipart_parse(CT, body, sizeof(body) - 1, 8, 4096, &f, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(f.n, 3);
	assert_string_equal(web_form_get(&f, "csrf"), "tok-123");
	/* the file as sent, its CR LF kept, its NUL a byte that is not UTF-8 */
#define FILE_AS_READ                                                                               \
	"login;role\r\na\xff"                                                                      \
	"b;student\r\n"
	assert_int_equal(strlen(web_form_get(&f, "file")), sizeof(FILE_AS_READ) - 1);
	assert_memory_equal(web_form_get(&f, "file"), FILE_AS_READ, sizeof(FILE_AS_READ) - 1);
	/* a field's line ends become LF, as web_form_parse makes them */
	assert_string_equal(web_form_get(&f, "text"), "line one\nline two");
	web_form_free(&f);
}

static void test_quoted_boundary(void **state)
{
	static const char body[] = "--a:b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n"
				   "1\r\n--a:b--";
	struct web_form f;
	struct byod_err err;

	(void)state;
	assert_int_equal(web_multipart_parse("multipart/form-data; charset=utf-8; boundary=\"a:b\"",
					     body, sizeof(body) - 1, 8, 10, &f, &err),
			 0);
	assert_string_equal(web_form_get(&f, "x"), "1");
	web_form_free(&f);
}

static void expect_refused(const char *ct, const char *body, size_t len, size_t max_value,
			   const char *why)
{
	struct web_form f;
	struct byod_err err;

	assert_int_equal(web_multipart_parse(ct, body, len, 2, max_value, &f, &err), -EINVAL);
	if (!strstr(err.msg, why))
		fail_msg("'%s' does not say '%s'", err.msg, why);
	assert_null(f.f);
	assert_int_equal(f.n, 0);
}

#define PART(name, v) D "\r\nContent-Disposition: form-data; name=\"" name "\"\r\n\r\n" v "\r\n"

static void test_refused(void **state)
{
#define OK PART("a", "1") D "--"
	static const char ok[] = OK;

	(void)state;
	expect_refused("application/x-www-form-urlencoded", ok, sizeof(ok) - 1, 9, "boundary");
	expect_refused("multipart/form-data", ok, sizeof(ok) - 1, 9, "boundary");
	expect_refused(CT, "x" OK, sizeof(ok), 9, "byte 0");
	expect_refused(CT, PART("a", "1"), sizeof(PART("a", "1")) - 1, 9, "does not end");
	expect_refused(CT, PART("a", "1") PART("a", "2") D "--",
		       sizeof(PART("a", "1") PART("a", "2") D "--") - 1, 9, "twice");
	expect_refused(CT, PART("A", "1") D "--", sizeof(PART("A", "1") D "--") - 1, 9,
		       "field name");
	expect_refused(CT, PART("a", "12345") D "--", sizeof(PART("a", "12345") D "--") - 1, 4,
		       "longer than 4");
	expect_refused(CT, PART("a", "\x01") D "--", sizeof(PART("a", "\x01") D "--") - 1, 9,
		       "control");
	expect_refused(CT, PART("a", "\xc3") D "--", sizeof(PART("a", "\xc3") D "--") - 1, 9,
		       "UTF-8");
	expect_refused(CT, PART("a", "1") PART("b", "2") PART("c", "3") D "--",
		       sizeof(PART("a", "1") PART("b", "2") PART("c", "3") D "--") - 1, 9,
		       "more than 2 parts");
	expect_refused(CT, OK "junk", sizeof(ok) + 3, 9, "after the last part");
#undef OK
	expect_refused(
		CT, D "\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\n1\r\n" D "--",
		sizeof(D "\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\n1\r\n" D "--") - 1,
		9, "form-data");
	expect_refused(CT, D "\r\nContent-Type: text/plain\r\n\r\n1\r\n" D "--",
		       sizeof(D "\r\nContent-Type: text/plain\r\n\r\n1\r\n" D "--") - 1, 9,
		       "field name");
	expect_refused(
		CT, D "\r\nContent-Disposition: form-data; filename=\"n\"\r\n\r\n1\r\n" D "--",
		sizeof(D "\r\nContent-Disposition: form-data; filename=\"n\"\r\n\r\n1\r\n" D "--") -
			1,
		9, "name");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_browser),
		cmocka_unit_test(test_quoted_boundary),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
