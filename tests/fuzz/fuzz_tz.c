// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for policy/tz.c: TZif bytes from anywhere go through
 * pol_tz_parse, and a zone that parses is then used at instants spread over
 * all of time_t (including its ends) and for wall-clock times in and out of
 * range, so that both the parser and the conversions see hostile tables and
 * footers. Seed it with files from /usr/share/zoneinfo.
 *
 *   clang -g -fsanitize=fuzzer,address -Icommon -Ipolicy common/err.c \
 *	common/util.c policy/tz.c tests/fuzz/fuzz_tz.c -o fuzz_tz
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "tz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* the ends of time_t, 1900, 1970, the 2027 Paris changes, 2038, 2045, 9999 */
	static const time_t instants[] = {INT64_MIN,	  -2208988800LL, -1,	     0,
					  1806195600,	  1824944400,	 2147483647, 2374102800,
					  253402300799LL, INT64_MAX};
	struct pol_tz *tz = NULL;
	struct byod_err err;
	struct tm tm;
	int64_t extra = 0;
	int year;
	volatile uint32_t sink = 0; /* keeps the calls; wraps harmlessly */
	size_t i;

	if (pol_tz_parse("fuzz", data, size, &tz, &err) != 0)
		return 0;
	/* one more instant chosen by the input: its last eight bytes */
	if (size >= 8)
		memcpy(&extra, data + size - 8, 8);
	sink += (uint32_t)pol_tz_offset(tz, (time_t)extra);
	pol_tz_local(tz, (time_t)extra, &tm);
	year = tm.tm_year > INT32_MAX - 1900 ? INT32_MAX : tm.tm_year + 1900;
	sink += (uint32_t)pol_tz_mktime(tz, year, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
					tm.tm_sec);
	for (i = 0; i < sizeof(instants) / sizeof(instants[0]); i++) {
		sink += (uint32_t)pol_tz_offset(tz, instants[i]);
		pol_tz_local(tz, instants[i], &tm);
		sink += (uint32_t)tm.tm_hour + (uint32_t)strlen(tm.tm_zone);
	}
	sink += (uint32_t)pol_tz_mktime(tz, 2027, 3, 28, 2, 30, 0);
	sink += (uint32_t)pol_tz_mktime(tz, 2027, 10, 31, 2, 30, 0);
	sink += (uint32_t)pol_tz_mktime(tz, 2100, 1, 1, 0, 0, 0);
	sink += (uint32_t)pol_tz_mktime(tz, 1900, 12, 31, 23, 59, 59);
	sink += (uint32_t)pol_tz_mktime(tz, INT32_MAX, INT32_MAX, INT32_MAX, INT32_MAX, INT32_MAX,
					INT32_MAX);
	sink += (uint32_t)pol_tz_mktime(tz, INT32_MIN, INT32_MIN, INT32_MIN, INT32_MIN, INT32_MIN,
					INT32_MIN);
	(void)sink;
	pol_tz_free(tz);
	return 0;
}
