// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The dates of renewal (core/renew.c): the end a certificate issued on a
 * given day gets (the school-year end, pki.min-validity-days before it the
 * next one, then pki.grace-until after it), and the day its renewal opens
 * (pki.renew-days before the school-year end it covers), in July, in
 * September before the grace date, with and without grace, across leap
 * years.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "byod.h"

/* y-m-d h:mi:s UTC */
static time_t at(int y, int m, int d, int h, int mi, int s)
{
	struct tm tm = {0};

	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	return timegm(&tm);
}

#define DAY_END(y, m, d) at(y, m, d, 23, 59, 59)

static void conf_with(struct byod_conf *c, const char *year_end, const char *grace, int renew)
{
	assert_int_equal(byod_conf_defaults(c, "/nonexistent"), 0);
	free(c->pki_school_year_end);
	c->pki_school_year_end = strdup(year_end);
	free(c->pki_grace_until);
	c->pki_grace_until = strdup(grace);
	c->pki_renew_days = renew;
	assert_non_null(c->pki_school_year_end);
	assert_non_null(c->pki_grace_until);
}

static void test_end_in_july(void **state)
{
	struct byod_conf c;

	(void)state;
	conf_with(&c, "08-31", "", 60);
	assert_int_equal(byod_cert_end(&c, at(2027, 7, 10, 12, 0, 0)), DAY_END(2027, 8, 31));
	/* closer than pki.min-validity-days (14): the next year */
	assert_int_equal(byod_cert_end(&c, at(2027, 8, 20, 12, 0, 0)), DAY_END(2028, 8, 31));
	byod_conf_free(&c);
	conf_with(&c, "08-31", "10-31", 60);
	assert_int_equal(byod_cert_end(&c, at(2027, 7, 10, 12, 0, 0)), DAY_END(2027, 10, 31));
	assert_int_equal(byod_cert_end(&c, at(2027, 8, 20, 12, 0, 0)), DAY_END(2028, 10, 31));
	byod_conf_free(&c);
}

static void test_end_in_september(void **state)
{
	struct byod_conf c;

	(void)state;
	/* after the year's end, before the grace date: the new school year */
	conf_with(&c, "08-31", "", 60);
	assert_int_equal(byod_cert_end(&c, at(2027, 9, 15, 8, 0, 0)), DAY_END(2028, 8, 31));
	byod_conf_free(&c);
	conf_with(&c, "08-31", "10-31", 60);
	assert_int_equal(byod_cert_end(&c, at(2027, 9, 15, 8, 0, 0)), DAY_END(2028, 10, 31));
	assert_int_equal(byod_cert_end(&c, at(2027, 11, 2, 8, 0, 0)), DAY_END(2028, 10, 31));
	byod_conf_free(&c);
	/* a grace date that falls in the next calendar year */
	conf_with(&c, "08-31", "01-15", 60);
	assert_int_equal(byod_cert_end(&c, at(2027, 3, 1, 8, 0, 0)), DAY_END(2028, 1, 15));
	byod_conf_free(&c);
	/* a malformed value (the configuration check would refuse it) */
	conf_with(&c, "08-31", "1031", 60);
	assert_int_equal(byod_cert_end(&c, at(2027, 3, 1, 8, 0, 0)), (time_t)-1);
	byod_conf_free(&c);
}

static void test_renew_opens(void **state)
{
	struct byod_conf c;

	(void)state;
	conf_with(&c, "08-31", "", 60);
	/* 60 days before 31 August: 2 July, from its start */
	assert_int_equal(byod_renew_opens(&c, DAY_END(2027, 8, 31)), at(2027, 7, 2, 0, 0, 0));
	byod_conf_free(&c);
	/* with grace: the school year it covers is the same */
	conf_with(&c, "08-31", "10-31", 60);
	assert_int_equal(byod_renew_opens(&c, DAY_END(2027, 10, 31)), at(2027, 7, 2, 0, 0, 0));
	byod_conf_free(&c);
	conf_with(&c, "08-31", "10-31", 180);
	assert_int_equal(byod_renew_opens(&c, DAY_END(2027, 10, 31)), at(2027, 3, 4, 0, 0, 0));
	byod_conf_free(&c);
}

static void test_leap_years(void **state)
{
	struct byod_conf c;

	(void)state;
	/* 60 days before 1 March: 1 January in a leap year, 31 December
	 * before a common one */
	conf_with(&c, "03-01", "", 60);
	assert_int_equal(byod_renew_opens(&c, DAY_END(2028, 3, 1)), at(2028, 1, 1, 0, 0, 0));
	assert_int_equal(byod_renew_opens(&c, DAY_END(2027, 3, 1)), at(2026, 12, 31, 0, 0, 0));
	byod_conf_free(&c);
	/* a year ending 28 February: 29 February 2028 is already past it */
	conf_with(&c, "02-28", "03-31", 60);
	assert_int_equal(byod_cert_end(&c, at(2028, 2, 29, 12, 0, 0)), DAY_END(2029, 3, 31));
	assert_int_equal(byod_cert_end(&c, at(2028, 1, 10, 12, 0, 0)), DAY_END(2028, 3, 31));
	byod_conf_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_end_in_july),
		cmocka_unit_test(test_end_in_september),
		cmocka_unit_test(test_renew_opens),
		cmocka_unit_test(test_leap_years),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
