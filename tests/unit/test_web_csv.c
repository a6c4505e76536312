// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the CSV writer (web/csvout.c): the BOM, CRLF rows, RFC 4180
 * quoting (separator, quotes doubled, line breaks inside a field), either
 * separator, the formula guard on = + - @ tab CR (and not on numbers
 * written as numbers, nor on a sign later in the cell), empty and NULL
 * fields.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "csvout.h"

#define BOM "\xEF\xBB\xBF"

static void check_row(char sep, const char *const *fields, size_t n, const char *want)
{
	struct web_csv c;
	size_t i, len = 0;
	char *out;

	web_csv_init(&c, sep);
	for (i = 0; i < n; i++)
		web_csv_field(&c, fields[i]);
	web_csv_row_end(&c);
	out = web_csv_take(&c, &len);
	assert_non_null(out);
	assert_string_equal(out, want);
	assert_int_equal(len, strlen(want));
	free(out);
}

static void test_plain(void **state)
{
	const char *f[] = {"a", "b c", "é", "", NULL};

	(void)state;
	check_row(',', f, 5, BOM "a,b c,é,,\r\n");
	check_row(';', f, 3, BOM "a;b c;é\r\n");
}

static void test_quoting(void **state)
{
	const char *f[] = {"x,y", "say \"hi\"", "two\nlines", "cr\rhere", "semi;colon"};

	(void)state;
	check_row(',', f, 5,
		  BOM "\"x,y\",\"say \"\"hi\"\"\",\"two\nlines\",\"cr\rhere\",semi;colon\r\n");
	/* with ';' the comma needs nothing, the semicolon is quoted */
	check_row(';', f + 4, 1, BOM "\"semi;colon\"\r\n");
	check_row(';', f, 1, BOM "x,y\r\n");
}

static void test_guard(void **state)
{
	const char *f[] = {"=1+2", "+33 6", "-5", "@SUM(A1)", "\tx", "a=b", "'q"};
	const char *g[] = {"=HYPERLINK(\"http://x\",\"y\")"};

	(void)state;
	check_row(',', f, 7, BOM "'=1+2,'+33 6,'-5,'@SUM(A1),'\tx,a=b,'q\r\n");
	/* the guard inside the quotes */
	check_row(',', g, 1, BOM "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"\r\n");
}

static void test_rows_and_ints(void **state)
{
	struct web_csv c;
	char *out;

	(void)state;
	web_csv_init(&c, ',');
	web_csv_field(&c, "id");
	web_csv_field(&c, "n");
	web_csv_row_end(&c);
	web_csv_int(&c, 42);
	web_csv_int(&c, -7);
	web_csv_row_end(&c);
	out = web_csv_take(&c, NULL);
	assert_non_null(out);
	assert_string_equal(out, BOM "id,n\r\n42,-7\r\n");
	free(out);
	/* the writer is empty after take, and free on it is harmless */
	assert_null(c.buf);
	web_csv_free(&c);
}

static void test_big(void **state)
{
	struct web_csv c;
	size_t len = 0;
	char *out;
	int i;

	(void)state;
	web_csv_init(&c, ',');
	for (i = 0; i < 10000; i++) {
		web_csv_int(&c, i);
		web_csv_field(&c, "a \"quoted\" value, with a comma");
		web_csv_row_end(&c);
	}
	out = web_csv_take(&c, &len);
	assert_non_null(out);
	assert_int_equal(strlen(out), len);
	assert_non_null(strstr(out, "\r\n9999,\"a \"\"quoted\"\" value, with a comma\"\r\n"));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain), cmocka_unit_test(test_quoting),
		cmocka_unit_test(test_guard), cmocka_unit_test(test_rows_and_ints),
		cmocka_unit_test(test_big),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
