/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Named time zones without global state. A schedule such as "mon-fri
 * 07:30-18:00 Europe/Paris" is evaluated on every RADIUS request from many
 * threads, so it cannot go through TZ, tzset() and localtime(), which share
 * one process-wide zone. Instead a zone is read once, when the policy is
 * compiled, from its TZif file (RFC 8536, versions 1 to 3, with the POSIX TZ
 * footer that governs times after the last transition), and every
 * conversion after that is a pure function of an immutable struct pol_tz
 * that any number of threads may share.
 */
#ifndef BYOD_POL_TZ_H
#define BYOD_POL_TZ_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "byod_err.h"

struct pol_tz;

/*
 * Loads NAME (e.g. "Europe/Paris", "UTC") from $TZDIR or /usr/share/zoneinfo.
 * Refuses names with "..", a leading '/', or characters outside [A-Za-z0-9_+/-]
 * (-EINVAL, message says it is not a time zone name); a missing file -> -ENOENT
 * with "unknown time zone 'X'". A file that is not valid TZif is -EINVAL
 * ("malformed time zone file ..."); other read failures return the errno.
 * Returns 0 and *out, which the caller frees with pol_tz_free().
 */
int pol_tz_load(const char *name, struct pol_tz **out, struct byod_err *err);

/*
 * Same from TZif bytes in memory (for tests and fuzzing). data need not
 * outlive the call; name (NULL reads as "") is copied. Returns 0 and *out
 * (free with pol_tz_free()), -EINVAL with "malformed time zone file" for
 * bad input, or -ENOMEM.
 */
int pol_tz_parse(const char *name, const void *data, size_t len, struct pol_tz **out,
		 struct byod_err *err);

/* Frees a zone and everything it owns. NULL is a no-op. */
void pol_tz_free(struct pol_tz *tz);

/* The name the zone was loaded under; owned by tz. */
const char *pol_tz_name(const struct pol_tz *tz);

/* UTC offset in seconds east of Greenwich in force at instant t. */
int32_t pol_tz_offset(const struct pol_tz *tz, time_t t);

/*
 * Broken-down local time at t (like localtime_r in that zone; tm_isdst and
 * tm_gmtoff set). tm_zone points at the abbreviation ("CEST") inside tz and
 * lives as long as tz does. A year beyond the range of int is clamped.
 */
void pol_tz_local(const struct pol_tz *tz, time_t t, struct tm *out);

/*
 * The instant at which local wall-clock time (year, mon 1-12, mday, hour,
 * min, sec) occurs. Fields out of range are carried over as mktime() does
 * (mday 32 of January is 1 February).
 * In a gap (spring forward, e.g. 02:30 on the last Sunday of March in Paris)
 * returns the instant the wall clock jumps past it (the first instant whose
 * local time is >= the asked time); in an overlap (autumn) returns the FIRST
 * occurrence. In general: the smallest t whose local time is >= the asked one.
 */
time_t pol_tz_mktime(const struct pol_tz *tz, int year, int mon, int mday, int hour, int min,
		     int sec);

#endif /* BYOD_POL_TZ_H */
