// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The compiled evaluator (pol_eval, policy/compile.c) decides as the linear
 * walk (pol_eval_linear, the reference) does: the same rule, segment, VLAN
 * and valid_until, on a million random cases (BYOD_POLICY_CASES, default
 * 1000000) over random policies that use every condition the parser knows
 * (role, school, group, kind, state, method, schedule in several zones,
 * cert-age-days, expires-within-days, unlock), random devices (unknown
 * values, no school, odd spacing in the groups, more than 128 of them) and
 * random instants, many on an edge: a schedule's from and to in its zone
 * (daylight-saving days included), a certificate's age or expiry limit, the
 * end of a teacher's unlock. Each case is decided three ways: linear, compiled
 * from the groups' text, compiled from groups interned by pol_groups_intern.
 * BYOD_POLICY_SEED picks another sequence (the seed is printed on failure).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "tz.h"

static uint64_t rng_state;

/* splitmix64: reproducible from the seed alone */
static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* 0..n-1 */
static int below(int n)
{
	return (int)(rnd() % (uint64_t)n);
}

/* true with probability p percent */
static int chance(int p)
{
	return below(100) < p;
}

static const char *const roles[] = { "student", "teacher", "staff", "guest" };
static const char *const kinds[] = { "phone", "tablet", "laptop", "other" };
static const char *const states[] = { "active", "suspended", "revoked", "retired", "unknown" };
static const char *const methods[] = { "mac", "certificate" };
static const char *const schools[] = { "0131234W", "0130001A", "0750654D",
				       "0131111K", "0132222B", "0920003C" };
static const char *const groups[] = { "4B", "3A", "latin", "5C", "profs", "G1",
				      "G2",  "sport", "4B-bis", "printers", "x", "6E" };
static const char *const days[] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };
static const char *const zones[] = { "Europe/Paris", "America/New_York", "UTC",
				     "Australia/Lord_Howe", "Asia/Kolkata" };
static const char *const segs[] = { "reg", "pupils", "teachers", "printers" };

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define NSCHED 4
#define MAXRULES 400
#define DAY 86400

/* "[a, b]" of 1..most distinct names of v */
static void pick_list(FILE *f, const char *const *v, int n, int most)
{
	int k = 1 + below(most), used = 0, i, first = 1;

	fputc('[', f);
	for (i = 0; i < k; i++) {
		int j = below(n);

		if (used >> j & 1)
			continue;
		used |= 1 << j;
		fprintf(f, "%s%s", first ? "" : ", ", v[j]);
		first = 0;
	}
	fputc(']', f);
}

static void hhmm(FILE *f, int m)
{
	fprintf(f, "\"%02d:%02d\"", m / 60, m % 60);
}

/* One rule, on one line (so that an error's line names it). A narrow rule
 * names most of who and what (as a département's rules for one school or
 * class do), so that few earlier rules cover it and few devices match it:
 * large policies are decided deep in their rules. */
static void gen_rule(FILE *f, int i, int narrow)
{
	int any = 0, w = narrow ? 35 : 0;

	fprintf(f, "  - { name: r%d, match: { ", i);
#define COND(p, ...)                                          \
	do {                                                  \
		if (chance(p)) {                              \
			fprintf(f, "%s", any ? ", " : "");    \
			fprintf(f, __VA_ARGS__);              \
			any = 1;                              \
		}                                             \
	} while (0)
	if (chance(45 + w)) {
		fprintf(f, "%srole: ", any ? ", " : "");
		pick_list(f, roles, N(roles), 2);
		any = 1;
	}
	if (chance(45 + w)) {
		fprintf(f, "%sschool: ", any ? ", " : "");
		pick_list(f, schools, N(schools), 3);
		any = 1;
	}
	if (chance(55 + w)) {
		fprintf(f, "%sgroup: ", any ? ", " : "");
		pick_list(f, groups, N(groups), 3);
		any = 1;
	}
	if (chance(45 + w)) {
		fprintf(f, "%skind: ", any ? ", " : "");
		pick_list(f, kinds, N(kinds), 2);
		any = 1;
	}
	if (chance(30)) {
		fprintf(f, "%sstate: ", any ? ", " : "");
		pick_list(f, states, N(states), 2);
		any = 1;
	}
	if (chance(30)) {
		fprintf(f, "%smethod: ", any ? ", " : "");
		pick_list(f, methods, N(methods), 2);
		any = 1;
	}
	COND(30, "schedule: s%d", below(NSCHED));
	if (chance(12)) {
		int lo = below(200), hi = lo + below(200);

		switch (below(3)) {
		case 0:
			COND(100, "cert-age-days: { min: %d }", lo);
			break;
		case 1:
			COND(100, "cert-age-days: { max: %d }", hi);
			break;
		default:
			COND(100, "cert-age-days: { min: %d, max: %d }", lo, hi);
		}
	}
	COND(10, "expires-within-days: %d", below(120));
	COND(12, "unlock: teacher");
#undef COND
	fprintf(f, " }, ");
	if (chance(20))
		fprintf(f, "action: reject }\n");
	else
		fprintf(f, "segment: %s }\n", segs[below(N(segs))]);
}

/* The text of a policy whose rules are those of keep[] (indexes into the
 * lines of rules[]). */
static char *policy_text(char **rules, const int *keep, int n, const char *head)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int i;

	assert_non_null(f);
	fputs(head, f);
	fputs(n ? "rules:\n" : "", f);
	for (i = 0; i < n; i++)
		fputs(rules[keep[i]], f);
	fclose(f);
	return buf;
}

struct gen {
	char *head;            /* segments, schedules, default, mab-segment */
	int head_lines;
	char *rules[MAXRULES]; /* one line each */
	int keep[MAXRULES];
	int n;
};

static void gen_head(struct gen *g)
{
	size_t len = 0;
	FILE *f = open_memstream(&g->head, &len);
	int i, j;

	assert_non_null(f);
	fputs("segments:\n"
	      "  reg: { vlan: 10, subnet: 10.10.0.0/22, allow: [dns] }\n"
	      "  pupils: { vlan: 20, subnet: 10.20.0.0/16 }\n"
	      "  teachers: { vlan: 30, subnet: 10.30.0.0/20 }\n"
	      "  printers: { vlan: 40, subnet: 10.40.0.0/24 }\n"
	      "schedules:\n",
	      f);
	for (i = 0; i < NSCHED; i++) {
		int from = below(1440), to;

		if (chance(10))
			from = 0;
		do
			to = chance(10) ? 1440 : below(1440);
		while (to == from);
		fprintf(f, "  s%d: { ", i);
		if (chance(70)) {
			int k = 1 + below(3), first = 1;

			fputs("days: [", f);
			for (j = 0; j < k; j++) {
				int a = below(7), b = a + below(7 - a);

				if (a == b)
					fprintf(f, "%s%s", first ? "" : ", ", days[a]);
				else
					fprintf(f, "%s%s-%s", first ? "" : ", ", days[a], days[b]);
				first = 0;
			}
			fputs("], ", f);
		}
		fputs("from: ", f);
		hhmm(f, from);
		fputs(", to: ", f);
		hhmm(f, to);
		if (chance(80))
			fprintf(f, ", timezone: %s", zones[below(N(zones))]);
		fputs(" }\n", f);
	}
	if (chance(20))
		fputs("default: reject\n", f);
	else
		fprintf(f, "default: %s\n", segs[below(N(segs))]);
	if (chance(30))
		fprintf(f, "mab-segment: %s\n", chance(25) ? "reject" : segs[below(N(segs))]);
	fclose(f);
	g->head_lines = 0;
	for (i = 0; g->head[i]; i++)
		g->head_lines += g->head[i] == '\n';
}

/* A random policy that loads: rules that can never match (an earlier one
 * covers them) are dropped as the checker names them. */
static struct pol_policy *gen_policy(struct gen *g, char **text)
{
	int nrules, narrow, i;

	memset(g, 0, sizeof(*g));
	gen_head(g);
	nrules = chance(60) ? below(41) : chance(75) ? 40 + below(91) : 130 + below(271);
	narrow = nrules > 40 ? 90 : 30;
	for (i = 0; i < nrules; i++) {
		size_t len = 0;
		FILE *f = open_memstream(&g->rules[i], &len);

		assert_non_null(f);
		gen_rule(f, i, chance(narrow));
		fclose(f);
		g->keep[i] = i;
	}
	g->n = nrules;
	for (;;) {
		struct pol_policy *pol;
		struct pol_errors errs;
		int drop[MAXRULES] = { 0 }, n = 0;
		size_t e;

		*text = policy_text(g->rules, g->keep, g->n, g->head);
		if (!pol_load("random.yaml", *text, strlen(*text), &pol, &errs))
			return pol;
		for (e = 0; e < errs.n; e++) {
			int k = errs.v[e].line - g->head_lines - 2; /* "rules:" line */

			if (!strstr(errs.v[e].msg, "can never match") || k < 0 || k >= g->n)
				fail_msg("the generated policy is refused at %d: %s\n%s",
					 errs.v[e].line, errs.v[e].msg, *text);
			drop[k] = 1;
		}
		pol_errors_free(&errs);
		free(*text);
		for (i = 0; i < g->n; i++)
			if (!drop[i])
				g->keep[n++] = g->keep[i];
		g->n = n;
	}
}

static void gen_free(struct gen *g)
{
	int i;

	free(g->head);
	for (i = 0; i < MAXRULES; i++)
		free(g->rules[i]);
}

#define NDEV 48

struct device {
	struct pol_facts f;
	char groups[1024];
	uint32_t ids[128];
};

static const time_t T0 = 1767225600; /* 2026-01-01T00:00:00Z */

static void gen_device(struct device *d, const struct pol_policy *pol)
{
	struct pol_facts *f = &d->f;
	size_t used = 0;
	int i, k;

	memset(d, 0, sizeof(*d));
	f->role = chance(10) ? (chance(50) ? -1 : 9) : below(4);
	f->kind = chance(10) ? (chance(50) ? -1 : 5) : below(4);
	f->state = chance(3) ? (chance(50) ? -1 : 7) : below(5);
	f->method = chance(2) ? 2 : below(2);
	f->school = chance(10) ? NULL : chance(10) ? "0999999Z" : schools[below(N(schools))];
	if (chance(10)) {
		f->groups = NULL;
	} else {
		/* sometimes the owner's groups go past the 128 names read, with
		 * a group the rules name at the 127th to 130th */
		int past = chance(4) ? 126 + below(4) : -1;

		k = past >= 0 ? past + 1 + below(2) : below(5);
		for (i = 0; i < k; i++) {
			const char *name = i < past ? "n" : chance(25) ? "nobody"
								     : groups[below(N(groups))];

			used += (size_t)snprintf(d->groups + used, sizeof(d->groups) - used,
						 "%s%s", chance(10) ? "  " : i ? " " : "", name);
			if (used >= sizeof(d->groups) - 16)
				break;
		}
		if (chance(10))
			used += (size_t)snprintf(d->groups + used, sizeof(d->groups) - used, " ");
		f->groups = d->groups;
	}
	if (!chance(20)) {
		f->cert_not_before = T0 + (time_t)(rnd() % (2 * 365 * (uint64_t)DAY));
		f->cert_not_after = f->cert_not_before + 365 * DAY + below(DAY);
		if (chance(3))
			f->cert_not_after = 0;
		else if (chance(3))
			f->cert_not_before = 0;
	}
	f->device_cert_until = f->cert_not_after;
	if (chance(50))
		f->unlocked_until = T0 + (time_t)(rnd() % (2 * 365 * (uint64_t)DAY));
	/* the groups interned once, as the RADIUS module's index may keep them */
	f->ngroup_ids = pol_groups_intern(pol, f->groups, d->ids, N(d->ids));
	assert_true(f->ngroup_ids <= N(d->ids));
	f->group_ids = d->ids;
	f->groups_serial = pol->serial;
}

/* An instant, often on an edge where a decision flips. */
static time_t gen_time(const struct pol_policy *pol, const struct pol_facts *f)
{
	static const int jitter[] = { -60, -1, 0, 1, 59 };
	time_t base = T0 + (time_t)(rnd() % (2 * 365 * (uint64_t)DAY));
	int r = below(100);

	if (r < 35 && pol->nschedules) {
		const struct pol_schedule *s = &pol->schedules[below((int)pol->nschedules)];
		int mon = chance(40) ? (chance(50) ? 3 : 10) : 1 + below(12);
		int edge = chance(50) ? s->from : s->to;
		int mday = chance(40) ? 24 + below(8) : 1 + below(28);

		if (chance(15))
			mon = 4, mday = 1 + below(7); /* Lord Howe, New York */
		if (chance(10))
			mon = 11, mday = 1 + below(7);
		return pol_tz_mktime(s->tz, 2026 + below(2), mon, mday, edge / 60, edge % 60, 0) +
		       jitter[below(N(jitter))];
	}
	if (r < 55 && f->cert_not_before)
		return f->cert_not_before + (time_t)below(400) * DAY + jitter[below(N(jitter))];
	if (r < 70 && f->cert_not_after)
		return f->cert_not_after - (time_t)below(130) * DAY + jitter[below(N(jitter))];
	if (r < 85 && f->unlocked_until)
		return f->unlocked_until + jitter[below(N(jitter))];
	return base;
}

static void print_facts(const struct pol_facts *f, time_t now)
{
	fprintf(stderr,
		"role %d school %s groups '%s' kind %d state %d method %d not_before %lld "
		"not_after %lld unlocked_until %lld now %lld\n",
		f->role, f->school ? f->school : "(null)", f->groups ? f->groups : "(null)", f->kind,
		f->state, f->method, (long long)f->cert_not_before, (long long)f->cert_not_after,
		(long long)f->unlocked_until, (long long)now);
}

static int same(const struct pol_decision *a, const struct pol_decision *b)
{
	return a->action == b->action && a->segment == b->segment &&
	       a->segment_name == b->segment_name && a->vlan == b->vlan && a->rule == b->rule &&
	       !strcmp(a->rule_name, b->rule_name) && a->rule_line == b->rule_line &&
	       a->valid_until == b->valid_until;
}

static void show(const char *what, const struct pol_decision *d)
{
	fprintf(stderr, "%s: rule %d '%s' line %d action %d segment %d vlan %d until %lld\n",
		what, d->rule, d->rule_name, d->rule_line, d->action, d->segment, d->vlan,
		(long long)d->valid_until);
}

static long env_long(const char *name, long dflt)
{
	const char *s = getenv(name);

	return s && *s ? strtol(s, NULL, 0) : dflt;
}

static void test_compiled_agrees_with_linear(void **state)
{
	uint64_t seed = (uint64_t)env_long("BYOD_POLICY_SEED", 23);
	long cases = env_long("BYOD_POLICY_CASES", 1000000), done = 0, matched = 0, timed = 0;
	long deep = 0;
	/* 250 policies whatever the number of cases (4,000 cases each for a million) */
	long per_policy = cases / 250 < 200 ? 200 : cases / 250 > 4000 ? 4000 : cases / 250;
	long policies = 0;
	static struct device dev[NDEV];

	(void)state;
	rng_state = seed;
	while (done < cases) {
		struct pol_policy *pol;
		struct gen g;
		char *text;
		long k;
		int i;

		pol = gen_policy(&g, &text);
		policies++;
		if (getenv("BYOD_POLICY_DEBUG"))
			fprintf(stderr, "policy %ld: %zu rules\n", policies, pol->nrules);
		for (i = 0; i < NDEV; i++)
			gen_device(&dev[i], pol);
		for (k = 0; k < per_policy && done < cases; k++, done++) {
			struct device *d = &dev[below(NDEV)];
			struct pol_facts text_only = d->f;
			struct pol_decision lin, comp, pre;
			time_t now = gen_time(pol, &d->f);

			text_only.groups_serial = 0;
			pol_eval_linear(pol, &d->f, now, &lin);
			pol_eval(pol, &text_only, now, &comp);
			pol_eval(pol, &d->f, now, &pre);
			if (!same(&lin, &comp) || !same(&lin, &pre)) {
				fprintf(stderr, "seed %llu, case %ld:\n%s\n",
					(unsigned long long)seed, done, text);
				print_facts(&d->f, now);
				show("linear", &lin);
				show("compiled", &comp);
				show("interned", &pre);
				fail_msg("the compiled evaluator disagrees with the linear one");
			}
			matched += lin.rule >= 0;
			deep += lin.rule >= 64;
			timed += lin.valid_until != 0;
		}
		free(text);
		pol_free(pol);
		gen_free(&g);
	}
	fprintf(stderr, "%ld cases over %ld policies: %ld decided by a rule (%ld by rule 64 or "
			"later), %ld with a valid_until (seed %llu)\n",
		done, policies, matched, deep, timed, (unsigned long long)seed);
	/* the cases exercise both outcomes, not only the default */
	assert_true(matched > cases / 10 && matched < cases - cases / 10);
	assert_true(timed > cases / 20);
	assert_true(deep > cases / 100); /* rule sets of more than one word */
}

/* Groups interned for one policy are not read under another (its serial
 * differs), and pol_groups_intern says when max was too small. */
static void test_interned_groups(void **state)
{
	static const char text[] =
		"segments:\n"
		"  reg: { vlan: 10, subnet: 10.10.0.0/22 }\n"
		"  pupils: { vlan: 20, subnet: 10.20.0.0/16 }\n"
		"rules:\n"
		"  - { name: latin, match: { group: [latin, 4B] }, segment: pupils }\n"
		"default: reg\n";
	struct pol_policy *a, *b;
	struct pol_errors errs;
	struct pol_facts f = { .role = 0, .state = 0, .kind = 0, .method = 1 };
	struct pol_decision d;
	uint32_t ids[4];

	(void)state;
	assert_int_equal(pol_load("a.yaml", text, strlen(text), &a, &errs), 0);
	assert_int_equal(pol_load("b.yaml", text, strlen(text), &b, &errs), 0);
	assert_true(a->serial && b->serial && a->serial != b->serial);
	assert_int_equal(pol_groups_intern(a, "x  latin 4B 4A", ids, 4), 2);
	assert_int_equal(pol_groups_intern(a, "latin 4B", ids, 1), 2); /* too small */
	assert_int_equal(pol_groups_intern(a, "4A sport", ids, 4), 0);
	assert_int_equal(pol_groups_intern(a, NULL, ids, 4), 0);

	/* interned: the text is not read */
	f.groups = "sport";
	f.ngroup_ids = pol_groups_intern(a, "latin", ids, 4);
	f.group_ids = ids;
	f.groups_serial = a->serial;
	pol_eval(a, &f, 1796113800, &d);
	assert_string_equal(d.rule_name, "latin");
	/* another policy reads the text */
	pol_eval(b, &f, 1796113800, &d);
	assert_string_equal(d.rule_name, "default");
	/* an id no rule set exists for is ignored */
	ids[0] = 1000;
	pol_eval(a, &f, 1796113800, &d);
	assert_string_equal(d.rule_name, "default");
	pol_free(a);
	pol_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interned_groups),
		cmocka_unit_test(test_compiled_agrees_with_linear),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
