// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Named time zones without global state (see tz.h). A TZif file (RFC 8536)
 * is parsed once into an immutable struct pol_tz: the transition table of
 * the 64-bit data block (or the 32-bit one of a version 1 file), the local
 * time types, and the POSIX TZ string of the footer, which governs every
 * instant on or after the last transition. Debian may ship "slim" files
 * whose table stops early and leaves the rest to the footer, so the footer
 * rules (Mm.w.d, Jn and n, with the RFC 8536 extended hours) are evaluated
 * here rather than trusted to any table.
 *
 * The parser reads untrusted bytes (a fuzz target drives it): every count is
 * checked against the buffer before anything is read, and all arithmetic on
 * instants is done so that it cannot overflow for any time_t.
 */
#include "tz.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "byod_util.h"

#define TZ_DEFAULT_DIR "/usr/share/zoneinfo"
#define TZ_NAME_MAX    255
#define TZ_FILE_MAX    (1024 * 1024) /* real files are a few kB */
#define TZ_HDR_LEN     44
#define TZ_MAX_TIMES   65536 /* zic writes at most a few thousand */
#define TZ_MAX_TYPES   256   /* transition types are one byte */
#define TZ_MAX_CHARS   4096
#define TZ_ABBR_MAX    31
/* RFC 8536: a UT offset SHOULD be more than -25 hours and less than 26. */
#define TZ_OFF_MIN (-89999)
#define TZ_OFF_MAX 93599
#define DAY	   86400
/* The Gregorian calendar (and so every POSIX rule) repeats every 400 years. */
#define CYCLE_SECS (146097LL * DAY)

struct tz_type {
	int32_t utoff;
	int isdst;
	const char *abbr; /* into pol_tz.chars */
};

enum rule_kind { RULE_JULIAN, RULE_DAY, RULE_MONTH };

struct tz_rule {
	enum rule_kind kind;
	int n;		     /* J: 1..365; day: 0..365 */
	int mon, week, wday; /* M: 1..12, 1..5, 0..6 */
	int32_t time;	     /* seconds after local midnight, -167h..167h */
};

/* The footer: "CET-1CEST,M3.5.0,M10.5.0/3". */
struct tz_posix {
	int present; /* a non-empty footer was given */
	int has_dst;
	int32_t std_off, dst_off; /* east of Greenwich */
	char std_abbr[TZ_ABBR_MAX + 1];
	char dst_abbr[TZ_ABBR_MAX + 1];
	struct tz_rule start, end;
};

struct pol_tz {
	char *name;
	int64_t *trans; /* strictly ascending */
	uint8_t *idx;	/* type of each transition */
	size_t ntrans;
	struct tz_type *types;
	size_t ntypes;
	char *chars; /* abbreviations, NUL-terminated at the end */
	struct tz_posix posix;
};

/* What is in force at an instant. */
struct tz_info {
	int32_t utoff;
	int isdst;
	const char *abbr;
};

struct tz_hdr {
	int version; /* 1, 2, 3 or 4 */
	uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

/* ---- calendar arithmetic (proleptic Gregorian, int64 throughout) ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if ((a % b) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

static int is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int64_t y, int m)
{
	static const int len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return len[m - 1] + (m == 2 && is_leap(y));
}

/* Days from 1970-01-01 to y-m-d, m in 1..12 (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = floor_div(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = floor_div(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int64_t add_sat(int64_t a, int64_t b)
{
	int64_t r;

	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return r;
}

/* ---- the POSIX TZ string of the footer ---- */

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_alpha(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* A decimal number of at most max; returns the end or NULL. */
static const char *parse_num(const char *s, int max, int *out)
{
	int v = 0;

	if (!is_digit(*s))
		return NULL;
	while (is_digit(*s)) {
		v = v * 10 + (*s++ - '0');
		if (v > max)
			return NULL;
	}
	*out = v;
	return s;
}

/* "CET" or "<+0330>"; at least 3 characters as POSIX asks. */
static const char *parse_abbr(const char *s, char *out)
{
	size_t n = 0;

	if (*s == '<') {
		for (s++; is_alpha(*s) || is_digit(*s) || *s == '+' || *s == '-'; s++) {
			if (n >= TZ_ABBR_MAX)
				return NULL;
			out[n++] = *s;
		}
		if (*s++ != '>')
			return NULL;
	} else {
		for (; is_alpha(*s); s++) {
			if (n >= TZ_ABBR_MAX)
				return NULL;
			out[n++] = *s;
		}
	}
	if (n < 3)
		return NULL;
	out[n] = '\0';
	return s;
}

/* [+-]hh[:mm[:ss]] in seconds, hours at most max_h. */
static const char *parse_hms(const char *s, int max_h, int32_t *out)
{
	int sign = 1, h, m = 0, sec = 0;

	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	s = parse_num(s, max_h, &h);
	if (s && *s == ':') {
		s = parse_num(s + 1, 59, &m);
		if (s && *s == ':')
			s = parse_num(s + 1, 59, &sec);
	}
	if (s)
		*out = sign * (h * 3600 + m * 60 + sec);
	return s;
}

/* "M3.5.0", "J60", "59", each with an optional "/time" (default 02:00). */
static const char *parse_rule(const char *s, struct tz_rule *r)
{
	if (*s == 'M') {
		r->kind = RULE_MONTH;
		s = parse_num(s + 1, 12, &r->mon);
		if (!s || r->mon < 1 || *s != '.')
			return NULL;
		s = parse_num(s + 1, 5, &r->week);
		if (!s || r->week < 1 || *s != '.')
			return NULL;
		s = parse_num(s + 1, 6, &r->wday);
	} else if (*s == 'J') {
		r->kind = RULE_JULIAN;
		s = parse_num(s + 1, 365, &r->n);
		if (s && r->n < 1)
			return NULL;
	} else {
		r->kind = RULE_DAY;
		s = parse_num(s, 365, &r->n);
	}
	if (!s)
		return NULL;
	r->time = 2 * 3600;
	/* RFC 8536 3.3.1: the hours of a rule time may be -167 to 167. */
	if (*s == '/')
		s = parse_hms(s + 1, 167, &r->time);
	return s;
}

static int offset_ok(int32_t off)
{
	return off >= TZ_OFF_MIN && off <= TZ_OFF_MAX;
}

/* Parses the footer string s (NUL-terminated). Returns 0 or -1. */
static int posix_parse(const char *s, struct tz_posix *p)
{
	int32_t off;

	memset(p, 0, sizeof(*p));
	if (!*s)
		return 0;
	p->present = 1;
	s = parse_abbr(s, p->std_abbr);
	if (!s)
		return -1;
	/* POSIX offsets are west of Greenwich: "CET-1" is one hour east. */
	s = parse_hms(s, 24, &off);
	if (!s)
		return -1;
	p->std_off = -off;
	p->dst_off = p->std_off;
	if (!offset_ok(p->std_off))
		return -1;
	if (!*s)
		return 0;
	p->has_dst = 1;
	s = parse_abbr(s, p->dst_abbr);
	if (!s)
		return -1;
	p->dst_off = p->std_off + 3600;
	if (*s && *s != ',') {
		s = parse_hms(s, 24, &off);
		if (!s)
			return -1;
		p->dst_off = -off;
	}
	if (!offset_ok(p->dst_off))
		return -1;
	/* Without rules POSIX leaves the dates to the implementation; a TZif
	 * footer always spells them out, so anything else is malformed. */
	if (*s++ != ',')
		return -1;
	s = parse_rule(s, &p->start);
	if (!s || *s++ != ',')
		return -1;
	s = parse_rule(s, &p->end);
	if (!s || *s)
		return -1;
	return 0;
}

/* Day (from the epoch) on which rule r falls in year y. */
static int64_t rule_day(const struct tz_rule *r, int64_t y)
{
	int64_t jan1 = days_from_civil(y, 1, 1), first, day;
	int wday;

	switch (r->kind) {
	case RULE_JULIAN:
		/* 1..365, 29 February never counted */
		return jan1 + r->n - 1 + (is_leap(y) && r->n >= 60);
	case RULE_DAY:
		return jan1 + r->n;
	case RULE_MONTH:
	default:
		first = days_from_civil(y, r->mon, 1);
		wday = (int)(((first + 4) % 7 + 7) % 7); /* 1970-01-01 was a Thursday */
		day = first + (r->wday - wday + 7) % 7 + 7 * (r->week - 1);
		/* week 5 means the last one */
		while (day >= first + month_days(y, r->mon))
			day -= 7;
		return day;
	}
}

struct tz_event {
	int64_t at;
	int64_t seq; /* orders events at the same instant: later years, ends after starts */
	int isdst;
};

/*
 * What the footer puts in force at t, and the next instant after t at which
 * that may change (INT64_MAX when never). The rules repeat every 400 years,
 * so t is first brought into 1970..2370 and the answer carried back; this
 * keeps every instant computed small whatever t is. Events of the years
 * around t are gathered and sorted; the rule times may push a change a week
 * into the next or previous year, which two years either side cover.
 */
static void posix_find(const struct tz_posix *p, int64_t t, struct tz_info *info, int64_t *next)
{
	struct tz_event ev[10], tmp;
	int64_t r, y, nx = INT64_MAX;
	int dst = -1, d, mo;
	size_t n = 0, i, j;

	if (!p->has_dst) {
		info->utoff = p->std_off;
		info->isdst = 0;
		info->abbr = p->std_abbr;
		*next = INT64_MAX;
		return;
	}
	r = t % CYCLE_SECS;
	if (r < 0)
		r += CYCLE_SECS;
	civil_from_days(floor_div(r, DAY), &y, &mo, &d);
	for (int64_t yy = y - 2; yy <= y + 2; yy++) {
		/* the start is given in standard time, the end in daylight time */
		ev[n].at = rule_day(&p->start, yy) * DAY + p->start.time - p->std_off;
		ev[n].seq = yy * 2;
		ev[n++].isdst = 1;
		ev[n].at = rule_day(&p->end, yy) * DAY + p->end.time - p->dst_off;
		ev[n].seq = yy * 2 + 1;
		ev[n++].isdst = 0;
	}
	for (i = 1; i < n; i++) {
		tmp = ev[i];
		for (j = i; j > 0 && (ev[j - 1].at > tmp.at ||
				      (ev[j - 1].at == tmp.at && ev[j - 1].seq > tmp.seq));
		     j--)
			ev[j] = ev[j - 1];
		ev[j] = tmp;
	}
	for (i = 0; i < n; i++) {
		if (ev[i].at <= r) {
			dst = ev[i].isdst;
		} else {
			nx = ev[i].at;
			break;
		}
	}
	/* Two years back always holds an event before r; be safe anyway. */
	if (dst < 0)
		dst = !ev[0].isdst;
	info->isdst = dst;
	info->utoff = dst ? p->dst_off : p->std_off;
	info->abbr = dst ? p->dst_abbr : p->std_abbr;
	*next = nx == INT64_MAX ? INT64_MAX : add_sat(t, nx - r);
}

/* ---- lookups ---- */

static void type_info(const struct pol_tz *tz, size_t type, struct tz_info *info)
{
	info->utoff = tz->types[type].utoff;
	info->isdst = tz->types[type].isdst;
	info->abbr = tz->types[type].abbr;
}

/*
 * RFC 8536 3.2: time type 0 before the first transition; the footer on and
 * after the last one (for all times when there are none), else the type of
 * the last transition.
 */
static void tz_find(const struct pol_tz *tz, int64_t t, struct tz_info *info, int64_t *next)
{
	size_t lo, hi;

	if (tz->ntrans == 0 || t >= tz->trans[tz->ntrans - 1]) {
		if (tz->posix.present) {
			posix_find(&tz->posix, t, info, next);
			return;
		}
		type_info(tz, tz->ntrans ? tz->idx[tz->ntrans - 1] : 0, info);
		*next = INT64_MAX;
		return;
	}
	if (t < tz->trans[0]) {
		type_info(tz, 0, info);
		*next = tz->trans[0];
		return;
	}
	/* the last transition <= t: trans[lo] <= t < trans[hi] */
	lo = 0;
	hi = tz->ntrans - 1;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (tz->trans[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	type_info(tz, tz->idx[lo], info);
	*next = tz->trans[hi];
}

const char *pol_tz_name(const struct pol_tz *tz)
{
	return tz->name;
}

int32_t pol_tz_offset(const struct pol_tz *tz, time_t t)
{
	struct tz_info info;
	int64_t next;

	tz_find(tz, t, &info, &next);
	return info.utoff;
}

void pol_tz_local(const struct pol_tz *tz, time_t t, struct tm *out)
{
	struct tz_info info;
	int64_t next, days, secs, y;
	int m, d;

	tz_find(tz, t, &info, &next);
	/* split before adding the offset so that nothing can overflow */
	days = t / DAY;
	secs = t % DAY;
	if (secs < 0) {
		secs += DAY;
		days--;
	}
	secs += info.utoff;
	days += floor_div(secs, DAY);
	secs -= floor_div(secs, DAY) * DAY;
	civil_from_days(days, &y, &m, &d);

	memset(out, 0, sizeof(*out));
	out->tm_sec = (int)(secs % 60);
	out->tm_min = (int)(secs / 60 % 60);
	out->tm_hour = (int)(secs / 3600);
	out->tm_mday = d;
	out->tm_mon = m - 1;
	if (y - 1900 > INT_MAX)
		out->tm_year = INT_MAX;
	else if (y - 1900 < INT_MIN)
		out->tm_year = INT_MIN;
	else
		out->tm_year = (int)(y - 1900);
	out->tm_wday = (int)(((days + 4) % 7 + 7) % 7);
	out->tm_yday = (int)(days - days_from_civil(y, 1, 1));
	out->tm_isdst = info.isdst;
	out->tm_gmtoff = info.utoff;
	out->tm_zone = info.abbr;
}

time_t pol_tz_mktime(const struct pol_tz *tz, int year, int mon, int mday, int hour, int min,
		     int sec)
{
	int64_t y = year, m0 = (int64_t)mon - 1, want, t;

	/* The wall-clock time as if it were UTC; int inputs keep it far from
	 * the limits of int64. */
	y += floor_div(m0, 12);
	m0 -= floor_div(m0, 12) * 12;
	want = (days_from_civil(y, (int)m0 + 1, 1) + (int64_t)mday - 1) * DAY +
	       (int64_t)hour * 3600 + (int64_t)min * 60 + sec;

	/*
	 * Walk the stretches of constant offset from the earliest instant that
	 * could show this wall-clock time; the first stretch holding an
	 * instant whose local time is >= want gives the answer. Local time
	 * jumps forward past want in a gap (the answer is the jump) and
	 * reaches want first in its earlier stretch in an overlap. Offsets are
	 * below 26 hours, so at most two days of transitions are walked.
	 */
	t = want - TZ_OFF_MAX - 1;
	for (;;) {
		struct tz_info info;
		int64_t next, cand;

		tz_find(tz, t, &info, &next);
		cand = want - info.utoff;
		if (cand < t)
			cand = t;
		if (cand < next)
			return cand;
		t = next;
	}
}

/* ---- the TZif file ---- */

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const uint8_t *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* The header at p (len bytes available); NULL on success, else why not. */
static const char *parse_header(const uint8_t *p, size_t len, struct tz_hdr *h)
{
	if (len < TZ_HDR_LEN)
		return "truncated header";
	if (memcmp(p, "TZif", 4) != 0)
		return "no TZif magic";
	switch (p[4]) {
	case 0:
		h->version = 1;
		break;
	case '2':
	case '3':
	case '4':
		h->version = p[4] - '0';
		break;
	default:
		return "unknown version";
	}
	h->isutcnt = be32(p + 20);
	h->isstdcnt = be32(p + 24);
	h->leapcnt = be32(p + 28);
	h->timecnt = be32(p + 32);
	h->typecnt = be32(p + 36);
	h->charcnt = be32(p + 40);
	return NULL;
}

/* Bytes of the data block after a header; tsize is 4 (v1) or 8. */
static uint64_t block_size(const struct tz_hdr *h, unsigned tsize)
{
	return (uint64_t)h->timecnt * tsize + h->timecnt + (uint64_t)h->typecnt * 6 + h->charcnt +
	       (uint64_t)h->leapcnt * (tsize + 4) + h->isstdcnt + h->isutcnt;
}

/*
 * Reads the data block at p (its size already checked against the buffer)
 * into tz. Returns 0, -ENOMEM, or -EINVAL with *why saying what is wrong.
 */
static int parse_block(struct pol_tz *tz, const struct tz_hdr *h, const uint8_t *p, unsigned tsize,
		       const char **why)
{
	const uint8_t *idx, *tt, *chars;
	size_t i;

	*why = NULL;
	if (h->typecnt == 0 || h->typecnt > TZ_MAX_TYPES)
		*why = "bad number of local time types";
	else if (h->charcnt == 0 || h->charcnt > TZ_MAX_CHARS)
		*why = "bad size of abbreviations";
	else if (h->timecnt > TZ_MAX_TIMES)
		*why = "too many transitions";
	else if ((h->isutcnt && h->isutcnt != h->typecnt) ||
		 (h->isstdcnt && h->isstdcnt != h->typecnt))
		*why = "bad number of indicators";
	/* leap-second ("right/") zones count time differently than time_t */
	else if (h->leapcnt)
		*why = "leap seconds are not supported";
	if (*why)
		return -EINVAL;

	idx = p + (size_t)h->timecnt * tsize;
	tt = idx + h->timecnt;
	chars = tt + (size_t)h->typecnt * 6;

	tz->ntrans = h->timecnt;
	tz->ntypes = h->typecnt;
	tz->trans = calloc(h->timecnt ? h->timecnt : 1, sizeof(*tz->trans));
	tz->idx = calloc(h->timecnt ? h->timecnt : 1, 1);
	tz->types = calloc(h->typecnt, sizeof(*tz->types));
	tz->chars = malloc((size_t)h->charcnt + 1);
	if (!tz->trans || !tz->idx || !tz->types || !tz->chars)
		return -ENOMEM;

	for (i = 0; i < h->timecnt; i++) {
		if (tsize == 8)
			tz->trans[i] = be64(p + i * 8);
		else
			tz->trans[i] = (int32_t)be32(p + i * 4);
		if (i && tz->trans[i] <= tz->trans[i - 1])
			*why = "transitions out of order";
		else if (idx[i] >= h->typecnt)
			*why = "transition to an unknown type";
		if (*why)
			return -EINVAL;
		tz->idx[i] = idx[i];
	}
	memcpy(tz->chars, chars, h->charcnt);
	tz->chars[h->charcnt] = '\0';
	for (i = 0; i < h->typecnt; i++) {
		const uint8_t *e = tt + i * 6;

		tz->types[i].utoff = (int32_t)be32(e);
		tz->types[i].isdst = e[4];
		tz->types[i].abbr = tz->chars + e[5];
		if (!offset_ok(tz->types[i].utoff))
			*why = "UT offset out of range";
		else if (e[4] > 1)
			*why = "bad DST flag";
		else if (e[5] >= h->charcnt)
			*why = "abbreviation out of range";
		if (*why)
			return -EINVAL;
	}
	return 0;
}

void pol_tz_free(struct pol_tz *tz)
{
	if (!tz)
		return;
	free(tz->name);
	free(tz->trans);
	free(tz->idx);
	free(tz->types);
	free(tz->chars);
	free(tz);
}

int pol_tz_parse(const char *name, const void *data, size_t len, struct pol_tz **out,
		 struct byod_err *err)
{
	const uint8_t *p = data;
	struct pol_tz *tz;
	struct tz_hdr h;
	const char *why = NULL;
	char footer[256];
	size_t pos = 0, end;
	uint64_t size;
	unsigned tsize = 4;
	int rc = 0;

	if (!name)
		name = "";
	tz = calloc(1, sizeof(*tz));
	if (!tz || !(tz->name = strdup(name))) {
		rc = byod_err_set(err, ENOMEM, "out of memory loading time zone '%s'", name);
		goto out;
	}
	if (!p)
		len = 0;
	why = parse_header(p, len, &h);
	if (why)
		goto out;
	pos = TZ_HDR_LEN;
	if (h.version >= 2) {
		/* skip the 32-bit block: readers of version 2+ use the 64-bit one */
		size = block_size(&h, 4);
		if (size > len - pos) {
			why = "truncated data";
			goto out;
		}
		pos += size;
		why = parse_header(p + pos, len - pos, &h);
		if (why)
			goto out;
		if (h.version < 2) {
			why = "second header is not version 2 or later";
			goto out;
		}
		pos += TZ_HDR_LEN;
		tsize = 8;
	}
	size = block_size(&h, tsize);
	if (size > len - pos) {
		why = "truncated data";
		goto out;
	}
	rc = parse_block(tz, &h, p + pos, tsize, &why);
	if (rc == -ENOMEM)
		rc = byod_err_set(err, ENOMEM, "out of memory loading time zone '%s'", name);
	if (rc)
		goto out;
	pos += size;
	if (h.version < 2)
		goto out;

	/* the footer: "\nCET-1CEST,M3.5.0,M10.5.0/3\n" */
	if (pos >= len || p[pos] != '\n') {
		why = "missing footer";
		goto out;
	}
	pos++;
	for (end = pos; end < len && p[end] != '\n'; end++) {
		if (p[end] == '\0' || end - pos >= sizeof(footer) - 1) {
			why = "bad footer";
			goto out;
		}
	}
	if (end >= len) {
		why = "truncated footer";
		goto out;
	}
	/* the footer ends the file: anything after it is damage */
	if (end + 1 != len) {
		why = "data after the footer";
		goto out;
	}
	memcpy(footer, p + pos, end - pos);
	footer[end - pos] = '\0';
	if (posix_parse(footer, &tz->posix) < 0)
		why = "bad TZ string in footer";
out:
	if (why)
		rc = byod_err_set(err, EINVAL, "malformed time zone file for '%s': %s", name, why);
	if (rc) {
		pol_tz_free(tz);
		return rc;
	}
	*out = tz;
	return 0;
}

/* [A-Za-z0-9_+/-], no "..", not absolute: a name cannot leave the zone directory. */
static int name_ok(const char *name)
{
	const char *s;

	if (!name[0] || name[0] == '/' || strlen(name) > TZ_NAME_MAX || strstr(name, ".."))
		return 0;
	for (s = name; *s; s++) {
		if (!is_alpha(*s) && !is_digit(*s) && *s != '_' && *s != '+' && *s != '/' &&
		    *s != '-')
			return 0;
	}
	return 1;
}

int pol_tz_load(const char *name, struct pol_tz **out, struct byod_err *err)
{
	const char *dir = getenv("TZDIR");
	char path[4096];
	char *data = NULL;
	size_t len = 0;
	struct stat st;
	int rc;

	if (!name || !name_ok(name))
		return byod_err_set(err, EINVAL, "'%.64s' is not a time zone name",
				    name ? name : "(null)");
	if (!dir || !dir[0])
		dir = TZ_DEFAULT_DIR;
	rc = byod_path_join(path, sizeof(path), dir, name);
	if (rc) {
		rc = byod_err_set(err, rc, "time zone path for '%s' is too long", name);
		goto out;
	}
	/* a directory ("Europe") or a device is not a zone either */
	if (stat(path, &st) < 0) {
		if (errno == EACCES)
			rc = byod_err_set(err, EACCES, "cannot read time zone '%s' (%s)", name,
					  path);
		else
			rc = byod_err_set(err, ENOENT, "unknown time zone '%s'", name);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = byod_err_set(err, ENOENT, "unknown time zone '%s'", name);
		goto out;
	}
	if (st.st_size > TZ_FILE_MAX) {
		rc = byod_err_set(err, EINVAL, "malformed time zone file for '%s': too large",
				  name);
		goto out;
	}
	rc = byod_file_read(path, &data, &len, err);
	if (rc == -ENOENT)
		rc = byod_err_set(err, ENOENT, "unknown time zone '%s'", name);
	if (rc)
		goto out;
	rc = pol_tz_parse(name, data, len, out, err);
out:
	free(data);
	return rc;
}
