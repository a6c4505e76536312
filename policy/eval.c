// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Evaluating a compiled policy: the first rule whose every condition holds
 * decides, else the default. Pure and allocation-free, so the RADIUS module
 * calls it on every request from any thread. The same walk, with a callback,
 * explains a decision rule by rule, and computes when the decision will
 * change by itself (a schedule window closing, a certificate ageing), which
 * becomes the session's Session-Timeout.
 */
#include "policy.h"
#include "policy_internal.h"
#include "tz.h"

#include <stdio.h>
#include <string.h>

static const char *const method_names[POL_METHOD_N] = { "mac", "certificate" };
static const char *const day_names[7] = { "Monday", "Tuesday",	"Wednesday", "Thursday",
					  "Friday", "Saturday", "Sunday" };

static int lookup(const char *const *names, int n, const char *s)
{
	int i;

	for (i = 0; i < n; i++)
		if (s && !strcmp(names[i], s))
			return i;
	return -1;
}

int pol_method_parse(const char *s)
{
	return lookup(method_names, POL_METHOD_N, s);
}

/* The names explain prints: "unknown" for a fact that is not known. */
static const char *role_text(int i)
{
	return byod_role_name(i) ? byod_role_name(i) : "unknown";
}

static const char *kind_text(int i)
{
	return byod_kind_name(i) ? byod_kind_name(i) : "unknown";
}

static const char *state_text(int i)
{
	return byod_device_state_name(i) ? byod_device_state_name(i) : "unknown";
}

const char *pol_method_name(int i)
{
	return i >= 0 && i < POL_METHOD_N ? method_names[i] : "unknown";
}

/* ---- schedules ---- */

static int in_window(const struct pol_schedule *s, time_t t)
{
	struct tm tm;
	int day, prev, m;

	pol_tz_local(s->tz, t, &tm);
	day = (tm.tm_wday + 6) % 7;
	prev = (day + 6) % 7;
	m = tm.tm_hour * 60 + tm.tm_min;
	if (s->from < s->to)
		return (s->days >> day & 1) && m >= s->from && m < s->to;
	/* spans midnight: the evening of a listed day and the morning after it */
	return ((s->days >> day & 1) && m >= s->from) || ((s->days >> prev & 1) && m < s->to);
}

/* The instant at local date (y, mo, d) + minutes, minutes possibly >= 1440. */
static time_t local_instant(const struct pol_schedule *s, int y, int mo, int d, int minutes)
{
	struct tm tm = { 0 };
	time_t day;

	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	day = timegm(&tm) + (time_t)(minutes / 1440) * 86400;
	gmtime_r(&day, &tm);
	return pol_tz_mktime(s->tz, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			     (minutes % 1440) / 60, minutes % 60, 0);
}

/*
 * The first instant after now when in_window changes, or 0 within 9 days.
 * The days are tried in order and the first that holds a change ends the
 * search: every edge of a later day is a later local time, and the instant
 * of a local time (pol_tz_mktime: the smallest instant at or past it) never
 * decreases as the local time grows, daylight saving included, so no later
 * day holds an earlier change. A pupil's decision inside school hours looks
 * at two days instead of ten.
 */
static time_t window_change(const struct pol_schedule *s, time_t now)
{
	int inside = in_window(s, now), d, k;
	time_t best = 0;
	struct tm tm;

	pol_tz_local(s->tz, now, &tm);
#ifdef POL_WINDOW_FULL_SCAN
	for (d = -1; d <= 8; d++) {
#else
	for (d = -1; d <= 8 && !best; d++) {
#endif
		int edges[2] = { s->from, s->to };

		for (k = 0; k < 2; k++) {
			time_t t = local_instant(s, tm.tm_year + 1900, tm.tm_mon + 1,
						 tm.tm_mday + d, edges[k]);

			if (t > now && (!best || t < best) && in_window(s, t) != inside)
				best = t;
		}
	}
	return best;
}

/* ---- conditions ---- */

/* The device's groups, split once per decision rather than once per rule. */
#define MAX_GROUPS POL_MAX_GROUPS

struct groups {
	const char *p[MAX_GROUPS];
	size_t len[MAX_GROUPS];
	int n;
};

static void split_groups(const char *s, struct groups *g)
{
	g->n = 0;
	while (s && *s && g->n < MAX_GROUPS) {
		size_t w = strcspn(s, " ");

		if (w) {
			g->p[g->n] = s;
			g->len[g->n++] = w;
		}
		s += w;
		while (*s == ' ')
			s++;
	}
}

static int has_group(const struct groups *g, const char *name)
{
	size_t n = strlen(name);
	int i;

	for (i = 0; i < g->n; i++)
		if (g->len[i] == n && !memcmp(g->p[i], name, n))
			return 1;
	return 0;
}

static void list_str(char **v, size_t n, char *out, size_t len)
{
	size_t i, used = 0;

	out[0] = '\0';
	for (i = 0; i < n && used < len; i++) {
		snprintf(out + used, len - used, "%s%s", i ? ", " : "", v[i]);
		used = strlen(out);
	}
}

static void mask_str(unsigned mask, const char *(*name)(int), char *out, size_t len)
{
	size_t used = 0;
	int i;

	out[0] = '\0';
	for (i = 0; i < 32 && used < len; i++) {
		if (mask >> i & 1) {
			snprintf(out + used, len - used, "%s%s", used ? " or " : "", name(i));
			used = strlen(out);
		}
	}
}

static int mask_match(unsigned mask, int v)
{
	return mask == 0 || (v >= 0 && v < 32 && (mask >> v & 1));
}

/* "the class 4B is opened by a teacher until 10:10" (open), or why not. */
static void unlock_text(const struct pol_policy *pol, const struct pol_facts *f, char *out,
			size_t len, int open)
{
	const char *g = f->unlocked_group && f->unlocked_group[0] ? f->unlocked_group : NULL;
	char at[16] = "";
	struct tm tm;

	if (f->unlocked_until) {
		if (pol->local_tz)
			pol_tz_local(pol->local_tz, f->unlocked_until, &tm);
		else
			gmtime_r(&f->unlocked_until, &tm);
		snprintf(at, sizeof(at), "%02d:%02d%s", tm.tm_hour, tm.tm_min,
			 pol->local_tz ? "" : " UTC");
	}
	if (open)
		snprintf(out, len, "matches: the class %s%sis opened by a teacher until %s",
			 g ? g : "", g ? " " : "", at);
	else if (f->unlocked_until)
		snprintf(out, len, "no teacher has opened the class (the opening ended at %s)", at);
	else
		snprintf(out, len, "no teacher has opened the class");
}

/*
 * The conditions of r that depend on the instant: certificate age and
 * expiry, unlock: teacher, schedule. Called for a rule whose other
 * conditions hold (by the linear walk and by the compiled evaluator, so
 * that both compute the same decision and the same valid_until). Returns
 * whether they all hold; why as rule_match; *change as rule_match. memo,
 * when not NULL, keeps each schedule's window for this instant across the
 * rules of one decision (the same pure function of the schedule and now).
 */
int pol_rule_time_match(const struct pol_policy *pol, const struct pol_rule *r,
			const struct pol_facts *f, time_t now, char *why, size_t len,
			time_t *change, struct pol_sched_memo *memo)
{
	long age, left;
	int ok;

	*change = 0;
#define FAIL(...)                                           \
	do {                                                \
		if (why)                                    \
			snprintf(why, len, __VA_ARGS__);    \
		return 0;                                   \
	} while (0)

	/* Time conditions: each may flip later; remember the soonest. */
	ok = 1;
	if (r->age_min >= 0 || r->age_max >= 0) {
		if (!f->cert_not_before)
			FAIL("no certificate, the rule looks at certificate age");
		age = (long)((now - f->cert_not_before) / 86400);
		if (r->age_min >= 0 && age < r->age_min) {
			*change = f->cert_not_before + (time_t)r->age_min * 86400;
			if (why)
				snprintf(why, len, "certificate is %ld days old, the rule wants at "
						   "least %d",
					 age, r->age_min);
			ok = 0;
		} else if (r->age_max >= 0 && age > r->age_max) {
			if (why)
				snprintf(why, len, "certificate is %ld days old, the rule wants at "
						   "most %d",
					 age, r->age_max);
			return 0; /* it only grows older */
		} else if (r->age_max >= 0) {
			*change = f->cert_not_before + (time_t)(r->age_max + 1) * 86400;
		}
	}
	if (ok && r->expires_within >= 0) {
		time_t from;

		if (!f->cert_not_after)
			FAIL("no certificate, the rule looks at its expiry");
		from = f->cert_not_after - (time_t)r->expires_within * 86400;
		if (now < from) {
			left = (long)((f->cert_not_after - now) / 86400);
			if (!*change || from < *change)
				*change = from;
			if (why)
				snprintf(why, len,
					 "certificate expires in %ld days, the rule wants at most %d",
					 left, r->expires_within);
			ok = 0;
		}
	}
	if (ok && r->unlock) {
		if (f->unlocked_until <= now) {
			if (why)
				unlock_text(pol, f, why, len, 0);
			ok = 0;
		} else {
			/* the decision ends with the opening: Session-Timeout */
			if (!*change || f->unlocked_until < *change)
				*change = f->unlocked_until;
			if (why)
				unlock_text(pol, f, why, len, 1);
		}
	}
	if (ok && r->schedule >= 0) {
		const struct pol_schedule *s = &pol->schedules[r->schedule];
		int inside;
		time_t t;

		if (memo && r->schedule < 64 && (memo->done >> r->schedule & 1)) {
			t = memo->change[r->schedule];
			inside = (int)(memo->inside >> r->schedule & 1);
		} else {
			t = window_change(s, now);
			inside = in_window(s, now);
			if (memo && r->schedule < 64) {
				memo->change[r->schedule] = t;
				memo->done |= 1ull << r->schedule;
				memo->inside |= (uint64_t)inside << r->schedule;
			}
		}
		if (t && (!*change || t < *change))
			*change = t;
		if (!inside) {
			if (why) {
				struct tm tm;

				pol_tz_local(s->tz, now, &tm);
				snprintf(why, len, "outside schedule '%s' (%s %02d:%02d in %s)",
					 s->name, day_names[(tm.tm_wday + 6) % 7], tm.tm_hour,
					 tm.tm_min, pol_tz_name(s->tz));
			}
			ok = 0;
		}
	}
#undef FAIL
	return ok;
}

/*
 * Whether r matches; when why is not NULL, the first failed condition in
 * words (and for a rule that matches through unlock: teacher, until when).
 * *change receives when a time condition of a rule whose other conditions
 * hold would flip (0: never).
 */
static int rule_match(const struct pol_policy *pol, const struct pol_rule *r,
		      const struct pol_facts *f, const struct groups *groups, time_t now, char *why,
		      size_t len, time_t *change)
{
	char want[256];
	size_t i;

	*change = 0;
	if (why)
		why[0] = '\0';
#define FAIL(...)                                           \
	do {                                                \
		if (why)                                    \
			snprintf(why, len, __VA_ARGS__);    \
		return 0;                                   \
	} while (0)

	if (!mask_match(r->roles, f->role)) {
		if (why)
			mask_str(r->roles, byod_role_name, want, sizeof(want));
		FAIL("role is %s, the rule wants %s", role_text(f->role), want);
	}
	if (!mask_match(r->states, f->state)) {
		if (why)
			mask_str(r->states, byod_device_state_name, want, sizeof(want));
		FAIL("device state is %s, the rule wants %s", state_text(f->state), want);
	}
	if (!mask_match(r->kinds, f->kind)) {
		if (why)
			mask_str(r->kinds, byod_kind_name, want, sizeof(want));
		FAIL("device kind is %s, the rule wants %s", kind_text(f->kind), want);
	}
	if (!mask_match(r->methods, f->method)) {
		if (why)
			mask_str(r->methods, pol_method_name, want, sizeof(want));
		FAIL("method is %s, the rule wants %s", pol_method_name(f->method), want);
	}
	if (r->nschools) {
		for (i = 0; i < r->nschools && !(f->school && !strcmp(f->school, r->schools[i]));
		     i++)
			;
		if (i == r->nschools) {
			if (why)
				list_str(r->schools, r->nschools, want, sizeof(want));
			FAIL("school is %s, the rule wants %s", f->school ? f->school : "unknown",
			     want);
		}
	}
	if (r->ngroups) {
		for (i = 0; i < r->ngroups && !has_group(groups, r->groups[i]); i++)
			;
		if (i == r->ngroups) {
			if (why)
				list_str(r->groups, r->ngroups, want, sizeof(want));
			FAIL("groups (%s) include none of %s",
			     f->groups && f->groups[0] ? f->groups : "none", want);
		}
	}
#undef FAIL
	return pol_rule_time_match(pol, r, f, now, why, len, change, NULL);
}

static void decide(const struct pol_policy *pol, const struct pol_facts *f, time_t now,
		   struct pol_decision *out, pol_explain_cb cb, void *ctx)
{
	struct groups groups;
	char why[512];
	time_t until = 0, change;
	size_t i;

	memset(out, 0, sizeof(*out));
	split_groups(f->groups, &groups);
	for (i = 0; i < pol->nrules; i++) {
		const struct pol_rule *r = &pol->rules[i];
		int m = rule_match(pol, r, f, &groups, now, cb ? why : NULL, sizeof(why), &change);

		if (change && (!until || change < until))
			until = change;
		if (cb)
			cb(ctx, r, m, m ? (why[0] ? why : "matches") : why);
		if (!m)
			continue;
		out->action = r->action;
		out->segment = r->action == POL_ACTION_SEGMENT ? r->segment : -1;
		out->rule = (int)i;
		out->rule_name = r->name;
		out->rule_line = r->line;
		goto done;
	}
	out->action = pol->default_action;
	out->segment = pol->default_action == POL_ACTION_SEGMENT ? pol->default_segment : -1;
	out->rule = -1;
	out->rule_name = "default";
	out->rule_line = pol->default_line;
done:
	if (out->segment >= 0) {
		out->segment_name = pol->segments[out->segment].name;
		out->vlan = pol->segments[out->segment].vlan;
	}
	out->valid_until = until;
}

/* The reference: every rule in order, as pol_explain walks them. pol_eval
 * (compile.c) must decide the same; tests/unit/test_policy_compiled.c checks it. */
void pol_eval_linear(const struct pol_policy *pol, const struct pol_facts *facts, time_t now,
		     struct pol_decision *out)
{
	decide(pol, facts, now, out, NULL, NULL);
}

void pol_explain(const struct pol_policy *pol, const struct pol_facts *facts, time_t now,
		 struct pol_decision *out, pol_explain_cb cb, void *ctx)
{
	decide(pol, facts, now, out, cb, ctx);
}
