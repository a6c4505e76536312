// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for policy/tz.c, the time zones that schedules are evaluated
 * in: offsets and exact DST transitions in Paris, New York, Sydney and
 * Kolkata, the footer rules that govern years after the table, wall-clock
 * times in gaps and overlaps, agreement with glibc's localtime_r (TZ is set
 * here, in the test only) over 1970-2060, refused names, and TZif bytes
 * that are truncated or corrupted.
 */
#define _GNU_SOURCE /* nftw */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "byod_util.h"
#include "tz.h"
#include "rmtree.h"

/* 1970-01-01 .. 2060-01-01 */
#define T_1970 0LL
#define T_2060 2840140800LL

static time_t utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm = {
		.tm_year = y - 1900,
		.tm_mon = mo - 1,
		.tm_mday = d,
		.tm_hour = h,
		.tm_min = mi,
		.tm_sec = s,
	};

	return timegm(&tm);
}

static struct pol_tz *load(const char *name)
{
	struct pol_tz *tz = NULL;
	struct byod_err err = {0};
	int rc = pol_tz_load(name, &tz, &err);

	if (rc)
		print_error("pol_tz_load(%s): %d %s\n", name, rc, err.msg);
	assert_int_equal(rc, 0);
	assert_non_null(tz);
	assert_string_equal(pol_tz_name(tz), name);
	return tz;
}

static char *read_zone(const char *name, size_t *len)
{
	const char *dir = getenv("TZDIR");
	char path[1024];
	char *data = NULL;

	snprintf(path, sizeof(path), "%s/%s", dir && dir[0] ? dir : "/usr/share/zoneinfo", name);
	assert_int_equal(byod_file_read(path, &data, len, NULL), 0);
	return data;
}

/* ---- building TZif bytes ---- */

struct tzbuf {
	uint8_t b[8192];
	size_t n;
};

static void put8(struct tzbuf *b, uint8_t v)
{
	assert_true(b->n < sizeof(b->b));
	b->b[b->n++] = v;
}

static void put32(struct tzbuf *b, uint32_t v)
{
	for (int i = 3; i >= 0; i--)
		put8(b, (uint8_t)(v >> (8 * i)));
}

static void put64(struct tzbuf *b, uint64_t v)
{
	put32(b, (uint32_t)(v >> 32));
	put32(b, (uint32_t)v);
}

struct ttype {
	int32_t utoff;
	uint8_t isdst, abbr;
};

struct zone_spec {
	char version; /* 0, '2', '3' */
	const int64_t *trans;
	const uint8_t *idx;
	size_t ntrans;
	const struct ttype *types;
	size_t ntypes;
	const char *chars; /* abbreviations, each NUL-terminated */
	size_t nchars;
	const char *footer; /* version 2+ */
};

static void put_block(struct tzbuf *b, const struct zone_spec *z, int wide)
{
	size_t i;

	put32(b, (uint32_t)z->ntypes); /* isutcnt */
	put32(b, (uint32_t)z->ntypes); /* isstdcnt */
	put32(b, 0);		       /* leapcnt */
	put32(b, (uint32_t)z->ntrans);
	put32(b, (uint32_t)z->ntypes);
	put32(b, (uint32_t)z->nchars);
	for (i = 0; i < z->ntrans; i++) {
		if (wide)
			put64(b, (uint64_t)z->trans[i]);
		else
			put32(b, (uint32_t)(int32_t)z->trans[i]);
	}
	for (i = 0; i < z->ntrans; i++)
		put8(b, z->idx[i]);
	for (i = 0; i < z->ntypes; i++) {
		put32(b, (uint32_t)z->types[i].utoff);
		put8(b, z->types[i].isdst);
		put8(b, z->types[i].abbr);
	}
	for (i = 0; i < z->nchars; i++)
		put8(b, (uint8_t)z->chars[i]);
	for (i = 0; i < 2 * z->ntypes; i++)
		put8(b, 0);
}

static void put_header(struct tzbuf *b, char version)
{
	static const uint8_t magic[4] = {'T', 'Z', 'i', 'f'};

	for (int i = 0; i < 4; i++)
		put8(b, magic[i]);
	put8(b, (uint8_t)version);
	for (int i = 0; i < 15; i++)
		put8(b, 0);
}

static void make_zone(struct tzbuf *b, const struct zone_spec *z)
{
	b->n = 0;
	put_header(b, z->version);
	put_block(b, z, 0);
	if (!z->version)
		return;
	put_header(b, z->version);
	put_block(b, z, 1);
	put8(b, '\n');
	for (const char *s = z->footer; *s; s++)
		put8(b, (uint8_t)*s);
	put8(b, '\n');
}

/* A version 3 file with no transitions: the footer decides everything. */
static struct pol_tz *footer_zone(const char *footer)
{
	static const struct ttype t0 = {0, 0, 0};
	struct zone_spec z = {
		.version = '3',
		.types = &t0,
		.ntypes = 1,
		.chars = "XXX",
		.nchars = 4,
		.footer = footer,
	};
	struct tzbuf b;
	struct pol_tz *tz = NULL;
	struct byod_err err = {0};
	int rc;

	make_zone(&b, &z);
	rc = pol_tz_parse(footer, b.b, b.n, &tz, &err);
	if (rc)
		print_error("footer '%s': %s\n", footer, err.msg);
	assert_int_equal(rc, 0);
	return tz;
}

/* ---- comparing with glibc ---- */

static void set_tz(const char *value)
{
	assert_int_equal(setenv("TZ", value, 1), 0);
	tzset();
}

static void unset_tz(void)
{
	unsetenv("TZ");
	tzset();
}

static void assert_same_tm(const struct pol_tz *tz, time_t t)
{
	struct tm mine, ref;

	pol_tz_local(tz, t, &mine);
	assert_non_null(localtime_r(&t, &ref));
	if (mine.tm_year != ref.tm_year || mine.tm_mon != ref.tm_mon ||
	    mine.tm_mday != ref.tm_mday || mine.tm_hour != ref.tm_hour ||
	    mine.tm_min != ref.tm_min || mine.tm_sec != ref.tm_sec || mine.tm_wday != ref.tm_wday ||
	    mine.tm_yday != ref.tm_yday || mine.tm_isdst != ref.tm_isdst ||
	    mine.tm_gmtoff != ref.tm_gmtoff || strcmp(mine.tm_zone, ref.tm_zone) != 0)
		fail_msg("%s at %lld: mine %04d-%02d-%02d %02d:%02d:%02d wd%d yd%d dst%d %ld %s, "
			 "glibc %04d-%02d-%02d %02d:%02d:%02d wd%d yd%d dst%d %ld %s",
			 pol_tz_name(tz), (long long)t, mine.tm_year + 1900, mine.tm_mon + 1,
			 mine.tm_mday, mine.tm_hour, mine.tm_min, mine.tm_sec, mine.tm_wday,
			 mine.tm_yday, mine.tm_isdst, mine.tm_gmtoff, mine.tm_zone,
			 ref.tm_year + 1900, ref.tm_mon + 1, ref.tm_mday, ref.tm_hour, ref.tm_min,
			 ref.tm_sec, ref.tm_wday, ref.tm_yday, ref.tm_isdst, ref.tm_gmtoff,
			 ref.tm_zone);
	assert_int_equal(pol_tz_offset(tz, t), ref.tm_gmtoff);
}

static long glibc_off(time_t t)
{
	struct tm tm;

	assert_non_null(localtime_r(&t, &tm));
	return tm.tm_gmtoff;
}

/*
 * Compares tz with glibc (TZ already set) on 2000 instants spread over
 * 1970-2060 at odd times of day, and one second either side of every change
 * of offset glibc knows in that span (found day by day, then bisected).
 * Returns the number of changes seen, so callers can check there were some.
 */
static int compare_with_glibc(const struct pol_tz *tz)
{
	const long long step = (T_2060 - T_1970) / 2000;
	int changes = 0;

	for (long long i = 0; i < 2000; i++)
		assert_same_tm(tz, (time_t)(T_1970 + i * step + (i * 7919) % 86400));

	for (long long t = T_1970; t < T_2060; t += 86400) {
		time_t lo = (time_t)t, hi = (time_t)(t + 86400);

		if (glibc_off(lo) == glibc_off(hi))
			continue;
		/* glibc_off(lo) != glibc_off(hi): the change is in (lo, hi] */
		while (hi - lo > 1) {
			time_t mid = lo + (hi - lo) / 2;

			if (glibc_off(mid) == glibc_off(lo))
				lo = mid;
			else
				hi = mid;
		}
		assert_same_tm(tz, hi - 1);
		assert_same_tm(tz, hi);
		changes++;
	}
	return changes;
}

/* ---- tests ---- */

static void test_utc(void **state)
{
	struct pol_tz *tz = load("UTC");
	struct tm tm;

	assert_int_equal(pol_tz_offset(tz, 0), 0);
	assert_int_equal(pol_tz_offset(tz, utc(2027, 7, 1, 12, 0, 0)), 0);
	assert_int_equal(pol_tz_offset(tz, utc(2099, 1, 1, 0, 0, 0)), 0);
	pol_tz_local(tz, utc(2027, 3, 28, 2, 30, 0), &tm);
	assert_int_equal(tm.tm_year, 127);
	assert_int_equal(tm.tm_mon, 2);
	assert_int_equal(tm.tm_mday, 28);
	assert_int_equal(tm.tm_hour, 2);
	assert_int_equal(tm.tm_min, 30);
	assert_int_equal(tm.tm_wday, 0);
	assert_int_equal(tm.tm_yday, 31 + 28 + 27);
	assert_int_equal(tm.tm_isdst, 0);
	assert_int_equal(tm.tm_gmtoff, 0);
	assert_string_equal(tm.tm_zone, "UTC");
	assert_int_equal(pol_tz_mktime(tz, 2027, 3, 28, 2, 30, 0), utc(2027, 3, 28, 2, 30, 0));
	pol_tz_free(tz);
	pol_tz_free(NULL);
}

static void test_paris_offsets(void **state)
{
	struct pol_tz *tz = load("Europe/Paris");
	/* last Sundays of March and October 2027, 01:00 UTC */
	time_t spring = utc(2027, 3, 28, 1, 0, 0), autumn = utc(2027, 10, 31, 1, 0, 0);
	struct tm tm;

	assert_int_equal(spring, 1806195600);
	assert_int_equal(autumn, 1824944400);
	assert_int_equal(pol_tz_offset(tz, utc(2027, 1, 15, 12, 0, 0)), 3600);
	assert_int_equal(pol_tz_offset(tz, utc(2027, 7, 15, 12, 0, 0)), 7200);
	assert_int_equal(pol_tz_offset(tz, spring - 1), 3600);
	assert_int_equal(pol_tz_offset(tz, spring), 7200);
	assert_int_equal(pol_tz_offset(tz, autumn - 1), 7200);
	assert_int_equal(pol_tz_offset(tz, autumn), 3600);

	pol_tz_local(tz, spring - 1, &tm);
	assert_int_equal(tm.tm_hour, 1);
	assert_int_equal(tm.tm_min, 59);
	assert_int_equal(tm.tm_sec, 59);
	assert_int_equal(tm.tm_isdst, 0);
	assert_string_equal(tm.tm_zone, "CET");
	pol_tz_local(tz, spring, &tm);
	assert_int_equal(tm.tm_hour, 3);
	assert_int_equal(tm.tm_min, 0);
	assert_int_equal(tm.tm_isdst, 1);
	assert_int_equal(tm.tm_gmtoff, 7200);
	assert_string_equal(tm.tm_zone, "CEST");
	pol_tz_local(tz, autumn, &tm);
	assert_int_equal(tm.tm_hour, 2);
	assert_int_equal(tm.tm_isdst, 0);
	pol_tz_free(tz);
}

/* Debian's Paris table stops in 2037: 2045 is the footer's alone. */
static void test_paris_footer_2045(void **state)
{
	struct pol_tz *tz = load("Europe/Paris");
	time_t spring = utc(2045, 3, 26, 1, 0, 0), autumn = utc(2045, 10, 29, 1, 0, 0);

	assert_int_equal(pol_tz_offset(tz, utc(2045, 1, 10, 8, 0, 0)), 3600);
	assert_int_equal(pol_tz_offset(tz, utc(2045, 6, 10, 8, 0, 0)), 7200);
	assert_int_equal(pol_tz_offset(tz, spring - 1), 3600);
	assert_int_equal(pol_tz_offset(tz, spring), 7200);
	assert_int_equal(pol_tz_offset(tz, autumn - 1), 7200);
	assert_int_equal(pol_tz_offset(tz, autumn), 3600);
	/* far away the rule still holds (2400 and 9999 are ordinary years for it) */
	assert_int_equal(pol_tz_offset(tz, utc(2400, 7, 1, 0, 0, 0)), 7200);
	assert_int_equal(pol_tz_offset(tz, utc(9999, 12, 31, 0, 0, 0)), 3600);
	assert_int_equal(pol_tz_mktime(tz, 2045, 7, 14, 10, 0, 0), utc(2045, 7, 14, 8, 0, 0));
	pol_tz_free(tz);
}

static void test_paris_mktime(void **state)
{
	struct pol_tz *tz = load("Europe/Paris");

	assert_int_equal(pol_tz_mktime(tz, 2027, 1, 15, 12, 0, 0), utc(2027, 1, 15, 11, 0, 0));
	assert_int_equal(pol_tz_mktime(tz, 2027, 7, 15, 7, 30, 0), utc(2027, 7, 15, 5, 30, 0));
	/* spring gap: 02:00-03:00 does not exist; the clock jumps at 01:00Z */
	assert_int_equal(pol_tz_mktime(tz, 2027, 3, 28, 2, 30, 0), utc(2027, 3, 28, 1, 0, 0));
	assert_int_equal(pol_tz_mktime(tz, 2027, 3, 28, 2, 0, 0), utc(2027, 3, 28, 1, 0, 0));
	assert_int_equal(pol_tz_mktime(tz, 2027, 3, 28, 1, 59, 59), utc(2027, 3, 28, 0, 59, 59));
	assert_int_equal(pol_tz_mktime(tz, 2027, 3, 28, 3, 0, 0), utc(2027, 3, 28, 1, 0, 0));
	assert_int_equal(pol_tz_mktime(tz, 2027, 3, 28, 3, 0, 1), utc(2027, 3, 28, 1, 0, 1));
	/* autumn overlap: 02:00-03:00 happens twice; the first is in CEST */
	assert_int_equal(pol_tz_mktime(tz, 2027, 10, 31, 2, 30, 0), utc(2027, 10, 31, 0, 30, 0));
	assert_int_equal(pol_tz_mktime(tz, 2027, 10, 31, 2, 0, 0), utc(2027, 10, 31, 0, 0, 0));
	assert_int_equal(pol_tz_mktime(tz, 2027, 10, 31, 3, 0, 0), utc(2027, 10, 31, 2, 0, 0));
	assert_int_equal(pol_tz_mktime(tz, 2027, 10, 31, 1, 59, 59), utc(2027, 10, 30, 23, 59, 59));
	/* fields out of range carry over: 2027-13-01 is 2028-01-01 */
	assert_int_equal(pol_tz_mktime(tz, 2027, 13, 1, 0, 0, 0), utc(2027, 12, 31, 23, 0, 0));
	assert_int_equal(pol_tz_mktime(tz, 2027, 2, 29, 0, 0, 0), utc(2027, 2, 28, 23, 0, 0));
	pol_tz_free(tz);
}

/* For every instant, mktime of its local time is that instant or, in an
 * overlap, the first occurrence of the same wall-clock time. */
static void test_mktime_round_trip(void **state)
{
	static const char *zones[] = {"Europe/Paris", "America/Santiago", "Pacific/Chatham",
				      "Australia/Sydney"};

	for (size_t z = 0; z < sizeof(zones) / sizeof(zones[0]); z++) {
		struct pol_tz *tz = load(zones[z]);

		for (long long t = T_1970; t < T_2060; t += 3 * 3600 + 1753) {
			struct tm a, b;
			time_t m;

			pol_tz_local(tz, (time_t)t, &a);
			m = pol_tz_mktime(tz, a.tm_year + 1900, a.tm_mon + 1, a.tm_mday, a.tm_hour,
					  a.tm_min, a.tm_sec);
			assert_true(m <= t);
			assert_true(t - m <= 3 * 3600);
			pol_tz_local(tz, m, &b);
			assert_int_equal(a.tm_year, b.tm_year);
			assert_int_equal(a.tm_yday, b.tm_yday);
			assert_int_equal(a.tm_hour, b.tm_hour);
			assert_int_equal(a.tm_min, b.tm_min);
			assert_int_equal(a.tm_sec, b.tm_sec);
			if (m != t) /* only in an overlap, after an offset decrease */
				assert_true(b.tm_gmtoff > a.tm_gmtoff);
		}
		pol_tz_free(tz);
	}
}

static void test_new_york(void **state)
{
	struct pol_tz *tz = load("America/New_York");
	time_t spring = utc(2027, 3, 14, 7, 0, 0), autumn = utc(2027, 11, 7, 6, 0, 0);
	struct tm tm;

	assert_int_equal(pol_tz_offset(tz, utc(2027, 1, 15, 12, 0, 0)), -18000);
	assert_int_equal(pol_tz_offset(tz, utc(2027, 7, 15, 12, 0, 0)), -14400);
	assert_int_equal(pol_tz_offset(tz, spring - 1), -18000);
	assert_int_equal(pol_tz_offset(tz, spring), -14400);
	assert_int_equal(pol_tz_offset(tz, autumn - 1), -14400);
	assert_int_equal(pol_tz_offset(tz, autumn), -18000);
	pol_tz_local(tz, utc(2027, 1, 1, 3, 0, 0), &tm); /* still 2026 there */
	assert_int_equal(tm.tm_year, 126);
	assert_int_equal(tm.tm_mon, 11);
	assert_int_equal(tm.tm_mday, 31);
	assert_int_equal(tm.tm_hour, 22);
	assert_string_equal(tm.tm_zone, "EST");
	assert_int_equal(pol_tz_mktime(tz, 2027, 3, 14, 2, 30, 0), spring);
	assert_int_equal(pol_tz_mktime(tz, 2027, 11, 7, 1, 30, 0), utc(2027, 11, 7, 5, 30, 0));
	pol_tz_free(tz);
}

/* Southern hemisphere: summer time spans the new year. */
static void test_sydney(void **state)
{
	struct pol_tz *tz = load("Australia/Sydney");
	time_t end = utc(2027, 4, 3, 16, 0, 0), start = utc(2027, 10, 2, 16, 0, 0);
	struct tm tm;

	assert_int_equal(pol_tz_offset(tz, utc(2027, 1, 15, 0, 0, 0)), 39600);
	assert_int_equal(pol_tz_offset(tz, utc(2027, 7, 15, 0, 0, 0)), 36000);
	assert_int_equal(pol_tz_offset(tz, utc(2045, 1, 15, 0, 0, 0)), 39600);
	assert_int_equal(pol_tz_offset(tz, utc(2045, 7, 15, 0, 0, 0)), 36000);
	assert_int_equal(pol_tz_offset(tz, end - 1), 39600);
	assert_int_equal(pol_tz_offset(tz, end), 36000);
	assert_int_equal(pol_tz_offset(tz, start - 1), 36000);
	assert_int_equal(pol_tz_offset(tz, start), 39600);
	pol_tz_local(tz, utc(2026, 12, 31, 13, 0, 0), &tm);
	assert_int_equal(tm.tm_year, 127);
	assert_int_equal(tm.tm_yday, 0);
	assert_int_equal(tm.tm_hour, 0);
	assert_int_equal(tm.tm_isdst, 1);
	assert_string_equal(tm.tm_zone, "AEDT");
	pol_tz_free(tz);
}

static void test_kolkata(void **state)
{
	struct pol_tz *tz = load("Asia/Kolkata");
	struct tm tm;

	assert_int_equal(pol_tz_offset(tz, utc(2027, 1, 15, 0, 0, 0)), 19800);
	assert_int_equal(pol_tz_offset(tz, utc(2027, 7, 15, 0, 0, 0)), 19800);
	assert_int_equal(pol_tz_offset(tz, utc(2050, 7, 15, 0, 0, 0)), 19800);
	pol_tz_local(tz, utc(2027, 7, 15, 18, 45, 0), &tm);
	assert_int_equal(tm.tm_mday, 16);
	assert_int_equal(tm.tm_hour, 0);
	assert_int_equal(tm.tm_min, 15);
	assert_int_equal(tm.tm_isdst, 0);
	assert_string_equal(tm.tm_zone, "IST");
	assert_int_equal(pol_tz_mktime(tz, 2027, 7, 16, 0, 15, 0), utc(2027, 7, 15, 18, 45, 0));
	pol_tz_free(tz);
}

static void test_glibc_agreement(void **state)
{
	static const char *zones[] = {"Europe/Paris", "America/Santiago", "Pacific/Chatham"};

	for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
		struct pol_tz *tz = load(zones[i]);

		set_tz(zones[i]);
		/* all three change their clocks twice a year for decades */
		assert_true(compare_with_glibc(tz) > 60);
		pol_tz_free(tz);
	}
	unset_tz();
}

/* Every footer form, alone in a file, against glibc reading the same TZ string. */
static void test_footer_forms(void **state)
{
	static const char *footers[] = {
		"UTC0",
		"<+03>-3",
		"<-0930>9:30",
		"CET-1CEST,M3.5.0,M10.5.0/3",
		"EST5EDT,M3.2.0,M11.1.0",
		"AEST-10AEDT,M10.1.0,M4.1.0/3",
		"<-04>4<-03>,M9.1.6/24,M4.1.6/24",
		"<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45",
		"<+1030>-10:30<+11>-11,M10.1.0,M4.1.0",
		"IST-1GMT0,M10.5.0,M3.5.0/1",
		"<-02>2<-01>,M3.5.0/-1,M10.5.0/0",
		"<-03>3<-02>,M3.5.0/-2,M10.5.0/-1",
		"XXX3YYY,J60/2,J300/2",
		"XXX3YYY,59/2,299/30",
		"AAA-2BBB,M3.5.0/-100,M10.5.6/150",
	};

	for (size_t i = 0; i < sizeof(footers) / sizeof(footers[0]); i++) {
		struct pol_tz *tz = footer_zone(footers[i]);

		set_tz(footers[i]);
		compare_with_glibc(tz);
		pol_tz_free(tz);
	}
	unset_tz();
}

/*
 * Rules whose changes cross a new year, where glibc only looks at the rules
 * of the current UTC year and so is wrong for a few hours each year: RFC
 * 8536 3.3.1 reads "EST5EDT,0/0,J365/25" as daylight time all year.
 */
static void test_footer_across_new_year(void **state)
{
	struct pol_tz *tz = footer_zone("EST5EDT,0/0,J365/25");
	struct tm tm;

	for (long long t = T_1970; t < T_2060; t += 3 * 3600 + 7)
		assert_int_equal(pol_tz_offset(tz, (time_t)t), -4 * 3600);
	for (int y = 1970; y < 2060; y++) {
		time_t jan1 = utc(y, 1, 1, 0, 0, 0);

		assert_int_equal(pol_tz_offset(tz, jan1 - 1), -4 * 3600);
		assert_int_equal(pol_tz_offset(tz, jan1 + 5 * 3600 - 1), -4 * 3600);
		assert_int_equal(pol_tz_offset(tz, jan1 + 5 * 3600), -4 * 3600);
	}
	pol_tz_local(tz, utc(2027, 1, 1, 2, 0, 0), &tm);
	assert_int_equal(tm.tm_isdst, 1);
	assert_string_equal(tm.tm_zone, "EDT");
	assert_int_equal(tm.tm_hour, 22);
	assert_int_equal(pol_tz_mktime(tz, 2027, 1, 1, 0, 30, 0), utc(2027, 1, 1, 4, 30, 0));
	pol_tz_free(tz);

	/* daylight time ends at 23:59:59 on 31 December, local daylight time
	 * (01:59:59Z), and starts again at midnight standard time (03:00Z) */
	tz = footer_zone("XXX3YYY,J1/0,J365/23:59:59");
	for (int y = 1970; y < 2060; y++) {
		time_t jan1 = utc(y, 1, 1, 0, 0, 0);

		assert_int_equal(pol_tz_offset(tz, jan1), -2 * 3600);
		assert_int_equal(pol_tz_offset(tz, jan1 + 7198), -2 * 3600);
		assert_int_equal(pol_tz_offset(tz, jan1 + 7199), -3 * 3600);
		assert_int_equal(pol_tz_offset(tz, jan1 + 3 * 3600 - 1), -3 * 3600);
		assert_int_equal(pol_tz_offset(tz, jan1 + 3 * 3600), -2 * 3600);
		assert_int_equal(pol_tz_offset(tz, utc(y, 7, 1, 0, 0, 0)), -2 * 3600);
	}
	/* local 00:30 on 1 January is in the gap at 03:00Z */
	assert_int_equal(pol_tz_mktime(tz, 2027, 1, 1, 0, 30, 0), utc(2027, 1, 1, 3, 0, 0));
	/* local 22:59:59 on 31 December comes twice; the first is in YYY */
	assert_int_equal(pol_tz_mktime(tz, 2026, 12, 31, 22, 59, 59), utc(2027, 1, 1, 0, 59, 59));
	pol_tz_free(tz);
}

static void test_bad_footers(void **state)
{
	static const char *bad[] = {
		"CE-1",				/* name too short */
		"CET",				/* no offset */
		"CET-1CEST",			/* DST without rules */
		"CET-1CEST,M3.5.0",		/* one rule */
		"CET-1CEST,M13.5.0,M10.5.0",	/* month 13 */
		"CET-1CEST,M3.6.0,M10.5.0",	/* week 6 */
		"CET-1CEST,M3.5.7,M10.5.0",	/* weekday 7 */
		"CET-1CEST,J0,J100",		/* J is 1-based */
		"CET-1CEST,366,100",		/* past the end of a year */
		"CET-1CEST,M3.5.0/168,M10.5.0", /* more than 167 hours */
		"CET-25",			/* offset beyond 24 hours */
		"CET-1CEST,M3.5.0,M10.5.0/3x",	/* trailing garbage */
		"<+03-3",			/* unclosed quote */
		"CET-1:60",			/* 60 minutes */
	};
	static const struct ttype t0 = {0, 0, 0};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct zone_spec z = {
			.version = '2',
			.types = &t0,
			.ntypes = 1,
			.chars = "XXX",
			.nchars = 4,
			.footer = bad[i],
		};
		struct tzbuf b;
		struct pol_tz *tz = NULL;
		struct byod_err err = {0};

		make_zone(&b, &z);
		if (pol_tz_parse("bad", b.b, b.n, &tz, &err) != -EINVAL)
			fail_msg("footer '%s' was accepted", bad[i]);
		assert_null(tz);
		assert_non_null(strstr(err.msg, "malformed time zone file"));
	}
}

/* A version 1 file: 32-bit times, no footer; the last type holds forever. */
static void test_version1(void **state)
{
	static const int64_t trans[] = {-100000, 1000000000};
	static const uint8_t idx[] = {1, 2};
	static const struct ttype types[] = {{600, 0, 0}, {3600, 0, 4}, {7200, 1, 8}};
	struct zone_spec z = {
		.version = 0,
		.trans = trans,
		.idx = idx,
		.ntrans = 2,
		.types = types,
		.ntypes = 3,
		.chars = "LMT\0AAA\0BBB",
		.nchars = 12,
	};
	struct tzbuf b;
	struct pol_tz *tz = NULL;
	struct byod_err err = {0};
	struct tm tm;

	make_zone(&b, &z);
	assert_int_equal(pol_tz_parse("v1", b.b, b.n, &tz, &err), 0);
	assert_int_equal(pol_tz_offset(tz, -100001), 600);
	assert_int_equal(pol_tz_offset(tz, -100000), 3600);
	assert_int_equal(pol_tz_offset(tz, 999999999), 3600);
	assert_int_equal(pol_tz_offset(tz, 1000000000), 7200);
	assert_int_equal(pol_tz_offset(tz, (time_t)4000000000LL), 7200);
	pol_tz_local(tz, 1000000000, &tm);
	assert_string_equal(tm.tm_zone, "BBB");
	assert_int_equal(tm.tm_isdst, 1);
	pol_tz_local(tz, -200000, &tm);
	assert_string_equal(tm.tm_zone, "LMT");
	pol_tz_free(tz);

	/* the same as version 2 with an empty footer behaves the same */
	z.version = '2';
	z.footer = "";
	make_zone(&b, &z);
	assert_int_equal(pol_tz_parse("v2", b.b, b.n, &tz, &err), 0);
	assert_int_equal(pol_tz_offset(tz, (time_t)4000000000LL), 7200);
	pol_tz_free(tz);
}

static void assert_refused(const struct zone_spec *z, const char *what)
{
	struct tzbuf b;
	struct pol_tz *tz = NULL;
	struct byod_err err = {0};

	make_zone(&b, z);
	if (pol_tz_parse("bad", b.b, b.n, &tz, &err) != -EINVAL)
		fail_msg("%s was accepted", what);
	assert_null(tz);
	assert_non_null(strstr(err.msg, "malformed time zone file"));
}

/* Tables that the lookups could not trust are refused whole. */
static void test_bad_tables(void **state)
{
	static const int64_t trans[] = {1000, 2000};
	static const int64_t unordered[] = {2000, 1000};
	static const uint8_t idx[] = {1, 0};
	static const uint8_t bad_idx[] = {1, 2};
	static const struct ttype types[] = {{0, 0, 0}, {3600, 1, 4}};
	static const struct ttype bad_dst[] = {{0, 0, 0}, {3600, 2, 4}};
	static const struct ttype bad_abbr[] = {{0, 0, 0}, {3600, 1, 8}};
	static const struct ttype bad_off[] = {{0, 0, 0}, {26 * 3600, 1, 4}};
	struct zone_spec good = {
		.version = '2',
		.trans = trans,
		.idx = idx,
		.ntrans = 2,
		.types = types,
		.ntypes = 2,
		.chars = "AAA\0BBB",
		.nchars = 8,
		.footer = "AAA0",
	};
	struct zone_spec z;
	struct tzbuf b;
	struct pol_tz *tz = NULL;
	struct byod_err err = {0};
	size_t h2, leap;

	make_zone(&b, &good);
	assert_int_equal(pol_tz_parse("good", b.b, b.n, &tz, NULL), 0);
	assert_int_equal(pol_tz_offset(tz, 1500), 3600);
	pol_tz_free(tz);

	z = good;
	z.trans = unordered;
	assert_refused(&z, "transitions out of order");
	z = good;
	z.idx = bad_idx;
	assert_refused(&z, "a transition to type 2 of 2");
	z = good;
	z.types = bad_dst;
	assert_refused(&z, "isdst 2");
	z = good;
	z.types = bad_abbr;
	assert_refused(&z, "an abbreviation index past the end");
	z = good;
	z.types = bad_off;
	assert_refused(&z, "a 26-hour offset");
	z = good;
	z.ntypes = 0;
	z.ntrans = 0;
	assert_refused(&z, "no types");
	z = good;
	z.footer = "AAA0\nBBB";
	assert_refused(&z, "a footer with a newline inside");

	/* a leap-second table (the "right/" zones): leapcnt 1 in the second
	 * header, and its 12 bytes after the abbreviations */
	make_zone(&b, &good);
	h2 = 44 + good.ntrans * 5 + good.ntypes * 8 + good.nchars;
	leap = h2 + 44 + good.ntrans * 9 + good.ntypes * 6 + good.nchars;
	b.b[h2 + 31] = 1;
	memmove(b.b + leap + 12, b.b + leap, b.n - leap);
	memset(b.b + leap, 0, 12);
	b.n += 12;
	assert_int_equal(pol_tz_parse("right", b.b, b.n, &tz, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "leap seconds"));
	/* version 2 whose second header says version 1 */
	make_zone(&b, &good);
	b.b[h2 + 4] = 0;
	assert_int_equal(pol_tz_parse("v2v1", b.b, b.n, &tz, &err), -EINVAL);
	/* and with a second header that is fine, the same bytes parse */
	b.b[h2 + 4] = '2';
	assert_int_equal(pol_tz_parse("v2", b.b, b.n, &tz, &err), 0);
	pol_tz_free(tz);
}

/* A slim file ends its table early: after it, the footer, not the last type. */
static void test_slim_table_then_footer(void **state)
{
	/* CEST from 2020-03-29 01:00Z, then the footer */
	static const int64_t trans[] = {1585443600};
	static const uint8_t idx[] = {1};
	static const struct ttype types[] = {{3600, 0, 0}, {7200, 1, 4}};
	struct zone_spec z = {
		.version = '2',
		.trans = trans,
		.idx = idx,
		.ntrans = 1,
		.types = types,
		.ntypes = 2,
		.chars = "CET\0CEST",
		.nchars = 9,
		.footer = "CET-1CEST,M3.5.0,M10.5.0/3",
	};
	struct tzbuf b;
	struct pol_tz *tz = NULL, *paris = load("Europe/Paris");

	make_zone(&b, &z);
	assert_int_equal(pol_tz_parse("slim", b.b, b.n, &tz, NULL), 0);
	assert_int_equal(pol_tz_offset(tz, 1585443599), 3600);
	for (long long t = 1585443600; t < T_2060; t += 86400 / 3 + 11)
		assert_int_equal(pol_tz_offset(tz, (time_t)t), pol_tz_offset(paris, (time_t)t));
	assert_int_equal(pol_tz_mktime(tz, 2027, 10, 31, 2, 30, 0), utc(2027, 10, 31, 0, 30, 0));
	pol_tz_free(tz);
	pol_tz_free(paris);
}

/* Instants at the ends of time_t neither crash nor trip the sanitizers. */
static void test_extreme_instants(void **state)
{
	static const time_t ts[] = {INT64_MIN, INT64_MIN + 1, -1, 0, INT64_MAX - 1, INT64_MAX};
	struct pol_tz *tz = load("Europe/Paris");
	struct tm tm;

	for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
		int32_t off = pol_tz_offset(tz, ts[i]);

		assert_true(off > -86400 && off < 86400);
		pol_tz_local(tz, ts[i], &tm);
		assert_int_equal(tm.tm_gmtoff, off);
	}
	pol_tz_local(tz, 0, &tm);
	assert_int_equal(tm.tm_year, 70);
	assert_int_equal(tm.tm_hour, 1);
	pol_tz_mktime(tz, INT32_MIN, INT32_MIN, INT32_MIN, INT32_MIN, INT32_MIN, INT32_MIN);
	pol_tz_mktime(tz, INT32_MAX, INT32_MAX, INT32_MAX, INT32_MAX, INT32_MAX, INT32_MAX);
	pol_tz_free(tz);
}

static void test_bad_names(void **state)
{
	static const char *invalid[] = {"../etc/passwd",
					"/etc/x",
					"Europe/../../etc/passwd",
					"",
					"Europe/Paris;id",
					"Europe/Paris ",
					"a\\b",
					"./UTC"};
	struct pol_tz *tz = NULL;
	struct byod_err err = {0};

	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		assert_int_equal(pol_tz_load(invalid[i], &tz, &err), -EINVAL);
		assert_null(tz);
		assert_non_null(strstr(err.msg, "not a time zone name"));
	}
	assert_int_equal(pol_tz_load(NULL, &tz, &err), -EINVAL);

	assert_int_equal(pol_tz_load("Nowhere/City", &tz, &err), -ENOENT);
	assert_string_equal(err.msg, "unknown time zone 'Nowhere/City'");
	assert_null(tz);
	/* a directory is not a zone */
	assert_int_equal(pol_tz_load("Europe", &tz, &err), -ENOENT);
	assert_string_equal(err.msg, "unknown time zone 'Europe'");
	/* names that look odd but are real */
	tz = load("Etc/GMT+5");
	assert_int_equal(pol_tz_offset(tz, 0), -5 * 3600);
	pol_tz_free(tz);
	tz = load("America/Port-au-Prince");
	pol_tz_free(tz);
}

/* $TZDIR is where zones are looked up when it is set. */
static void test_tzdir(void **state)
{
	const char *base = getenv("BYOD_TEST_TMP");
	char dir[512], path[600];
	const char *old = getenv("TZDIR");
	char *saved = old ? strdup(old) : NULL;
	size_t len;
	char *paris = read_zone("Europe/Paris", &len);
	struct pol_tz *tz = NULL;
	struct byod_err err = {0};

	snprintf(dir, sizeof(dir), "%s/tz.XXXXXX", base ? base : "/tmp");
	mkdir(base ? base : "/tmp", 0755);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/School", dir);
	assert_int_equal(byod_mkdir_p(path, 0755, NULL), 0);
	snprintf(path, sizeof(path), "%s/School/Time", dir);
	assert_int_equal(byod_file_write(path, paris, len, 0644, 0, NULL), 0);
	snprintf(path, sizeof(path), "%s/Broken", dir);
	assert_int_equal(byod_file_write(path, "TZif2 nothing", 13, 0644, 0, NULL), 0);
	assert_int_equal(setenv("TZDIR", dir, 1), 0);

	tz = load("School/Time");
	assert_int_equal(pol_tz_offset(tz, utc(2027, 7, 1, 0, 0, 0)), 7200);
	pol_tz_free(tz);
	tz = NULL;
	assert_int_equal(pol_tz_load("Europe/Paris", &tz, &err), -ENOENT);
	assert_int_equal(pol_tz_load("Broken", &tz, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "malformed time zone file"));
	assert_null(tz);

	if (saved)
		setenv("TZDIR", saved, 1);
	else
		unsetenv("TZDIR");
	free(saved);
	free(paris);
	assert_int_equal(test_rmtree(dir), 0);
}

static int zones_seen, zones_parsed;

static int parse_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	char *data = NULL;
	size_t len = 0;
	struct pol_tz *tz = NULL;
	struct byod_err err = {0};

	if (flag != FTW_F || strstr(path, "/right/"))
		return 0;
	if (byod_file_read(path, &data, &len, NULL) != 0)
		return 0;
	if (len >= 4 && memcmp(data, "TZif", 4) == 0) {
		zones_seen++;
		if (pol_tz_parse(path, data, len, &tz, &err) != 0)
			fail_msg("%s: %s", path, err.msg);
		zones_parsed++;
		pol_tz_free(tz);
	}
	free(data);
	return 0;
}

/* Every zone the system ships (but the leap-second ones) parses. */
static void test_all_system_zones(void **state)
{
	const char *dir = getenv("TZDIR");

	assert_int_equal(nftw(dir && dir[0] ? dir : "/usr/share/zoneinfo", parse_one, 16, FTW_PHYS),
			 0);
	assert_true(zones_seen > 300);
	assert_int_equal(zones_parsed, zones_seen);
}

/* Uses a zone that parsed from damaged bytes: nothing may crash. */
static void exercise(const struct pol_tz *tz)
{
	static const time_t ts[] = {INT64_MIN, -2000000000, 0, 1806195600, 2374102800, INT64_MAX};
	struct tm tm;

	for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
		int32_t off = pol_tz_offset(tz, ts[i]);

		pol_tz_local(tz, ts[i], &tm);
		assert_int_equal(tm.tm_gmtoff, off);
		assert_non_null(tm.tm_zone);
	}
	pol_tz_mktime(tz, 2027, 3, 28, 2, 30, 0);
	pol_tz_mktime(tz, 2045, 10, 29, 2, 30, 0);
}

/* Every prefix of a real file is refused: the footer ends it, so a cut shows. */
static void test_truncated(void **state)
{
	size_t len;
	char *data = read_zone("Europe/Paris", &len);
	struct pol_tz *tz = NULL;
	struct byod_err err;

	for (size_t n = 0; n < len; n++) {
		void *copy = malloc(n ? n : 1); /* exactly n bytes, so ASan sees overreads */

		memcpy(copy, data, n);
		memset(&err, 0, sizeof(err));
		if (pol_tz_parse("Europe/Paris", copy, n, &tz, &err) != -EINVAL)
			fail_msg("a cut at %zu of %zu bytes was accepted", n, len);
		assert_null(tz);
		assert_non_null(strstr(err.msg, "malformed time zone file"));
		free(copy);
	}
	assert_int_equal(pol_tz_parse("Europe/Paris", data, len, &tz, &err), 0);
	exercise(tz);
	pol_tz_free(tz);
	assert_int_equal(pol_tz_parse("null", NULL, 0, &tz, &err), -EINVAL);
	free(data);
}

static void parse_damaged(const uint8_t *data, size_t len, int *ok, int *refused)
{
	struct pol_tz *tz = NULL;
	struct byod_err err = {0};
	int rc = pol_tz_parse("damaged", data, len, &tz, &err);

	if (rc == 0) {
		assert_non_null(tz);
		exercise(tz);
		pol_tz_free(tz);
		(*ok)++;
	} else {
		assert_int_equal(rc, -EINVAL);
		assert_null(tz);
		assert_non_null(strstr(err.msg, "malformed time zone file"));
		(*refused)++;
	}
}

static void test_corrupted(void **state)
{
	static const uint8_t flips[] = {0xff, 0x80, 0x01, 0x7f};
	size_t len;
	char *data = read_zone("Europe/Paris", &len);
	uint8_t *copy = malloc(len);
	unsigned seed = 12345;
	int ok = 0, refused = 0;

	/* one byte at a time, four ways */
	for (size_t i = 0; i < len; i++) {
		for (size_t f = 0; f < sizeof(flips); f++) {
			memcpy(copy, data, len);
			copy[i] ^= flips[f];
			parse_damaged(copy, len, &ok, &refused);
		}
	}
	/* several bytes at once, anywhere */
	for (int round = 0; round < 5000; round++) {
		memcpy(copy, data, len);
		for (int k = 0; k < 1 + round % 8; k++)
			copy[rand_r(&seed) % len] = (uint8_t)rand_r(&seed);
		parse_damaged(copy, len, &ok, &refused);
	}
	/* flips in transition times and abbreviations parse; in counts they do not */
	assert_true(ok > 0);
	assert_true(refused > 0);

	/* counts that promise more than the file holds */
	memcpy(copy, data, len);
	memset(copy + 32, 0xff, 4); /* v1 timecnt */
	parse_damaged(copy, len, &ok, &refused);
	memcpy(copy, data, len);
	copy[4] = 'x'; /* version */
	assert_int_equal(pol_tz_parse("x", copy, len, &(struct pol_tz *){NULL}, NULL), -EINVAL);
	memcpy(copy, data, len);
	copy[0] = 't'; /* magic */
	assert_int_equal(pol_tz_parse("x", copy, len, &(struct pol_tz *){NULL}, NULL), -EINVAL);
	free(copy);
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utc),
		cmocka_unit_test(test_paris_offsets),
		cmocka_unit_test(test_paris_footer_2045),
		cmocka_unit_test(test_paris_mktime),
		cmocka_unit_test(test_mktime_round_trip),
		cmocka_unit_test(test_new_york),
		cmocka_unit_test(test_sydney),
		cmocka_unit_test(test_kolkata),
		cmocka_unit_test(test_glibc_agreement),
		cmocka_unit_test(test_footer_forms),
		cmocka_unit_test(test_footer_across_new_year),
		cmocka_unit_test(test_bad_footers),
		cmocka_unit_test(test_version1),
		cmocka_unit_test(test_bad_tables),
		cmocka_unit_test(test_slim_table_then_footer),
		cmocka_unit_test(test_extreme_instants),
		cmocka_unit_test(test_all_system_zones),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_tzdir),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_corrupted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
