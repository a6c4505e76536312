// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * How long one policy decision takes with 200 rules, against baselines
 * measured in the same run on the same machine, alternated 21 times: the
 * same evaluation with a one-rule policy, and the linear walk of every rule
 * (pol_eval_linear, the reference the compiled pol_eval replaces); the
 * compiled evaluator also with the device's groups interned beforehand
 * (pol_groups_intern), and for a device a schedule rule decides (its
 * window's end computed in its time zone). Prints the median nanoseconds per decision of each,
 * its range (_min, _max) and the ratios, as lines "name=value" that the
 * smoke test in make test checks.
 *
 *   bench_policy [--iterations N] [--only compiled|interned|linear|one-rule]
 *
 * --only runs N decisions of one configuration and prints nothing: run it
 * under callgrind with two values of N, and the difference of the counts
 * over the difference of N is instructions per decision, which the load of
 * a shared machine does not move.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy.h"

/* A département-sized policy: 200 rules over schools, groups, roles, kinds
 * and schedules, none of which matches the device below, so every rule is
 * tried before the default decides (the slowest path). */
static char *make_policy(int nrules)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int i;

	if (!f)
		return NULL;
	fputs("segments:\n"
	      "  reg: { vlan: 10, subnet: 10.10.0.0/22, allow: [dns, dhcp] }\n"
	      "  pupils: { vlan: 20, subnet: 10.20.0.0/16, allow: [dns] }\n"
	      "  teachers: { vlan: 30, subnet: 10.30.0.0/20, allow: [dns] }\n"
	      "schedules:\n"
	      "  hours: { days: [mon-fri], from: \"07:30\", to: \"18:00\", timezone: Europe/Paris }\n"
	      "rules:\n",
	      f);
	for (i = 0; i < nrules; i++) {
		fprintf(f, "  - name: rule %d\n    match: { ", i);
		switch (i % 4) {
		case 0:
			fprintf(f, "group: [G%d, H%d], role: student", i, i);
			break;
		case 1:
			fprintf(f, "school: [%07dA], role: [student, guest]", 1000000 + i);
			break;
		case 2:
			fprintf(f, "group: X%d, schedule: hours, kind: [phone, tablet]", i);
			break;
		default:
			fprintf(f, "group: Y%d, cert-age-days: { max: %d }", i, 30 + i);
			break;
		}
		fprintf(f, " }\n    segment: %s\n", i % 2 ? "pupils" : "teachers");
	}
	fputs("default: reg\n", f);
	fclose(f);
	return buf;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

typedef void (*eval_fn)(const struct pol_policy *, const struct pol_facts *, time_t,
			struct pol_decision *);

/* The device: a pupil's phone, in two groups no rule names, so every rule
 * is tried (linear) or every rule set is looked at (compiled). */
static const struct pol_facts device = {
	.role = BYOD_ROLE_STUDENT, .school = "0131234W", .groups = "4B latin",
	.kind = BYOD_KIND_PHONE, .state = BYOD_DEVICE_ACTIVE, .method = POL_METHOD_CERTIFICATE,
	.cert_not_before = 1788000000, .cert_not_after = 1819000000
};

/* The same pupil in class X198, which rule 198 (a schedule, school hours)
 * lets in at 09:30: the decision computes when the window closes. */
static const struct pol_facts scheduled = {
	.role = BYOD_ROLE_STUDENT, .school = "0131234W", .groups = "4B X198",
	.kind = BYOD_KIND_PHONE, .state = BYOD_DEVICE_ACTIVE, .method = POL_METHOD_CERTIFICATE,
	.cert_not_before = 1788000000, .cert_not_after = 1819000000
};

/* ns per decision over n evaluations; the decisions are summed so the
 * compiler cannot drop the calls. */
static double measure(eval_fn eval, const struct pol_policy *pol, const struct pol_facts *f,
		      long n, long *sink)
{
	struct pol_decision d;
	time_t t = 1796113800; /* Tuesday 1 December 2026, 09:30 in Paris */
	double start = now_ns();
	long i;

	for (i = 0; i < n; i++) {
		eval(pol, f, t + (i & 1023), &d);
		*sink += d.vlan + d.rule;
	}
	return (now_ns() - start) / (double)n;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* median, min and max of v[0..n) (sorts v) */
static void summary(const char *name, double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	printf("%s=%.1f\n", name, v[n / 2]);
	printf("%s_min=%.1f\n%s_max=%.1f\n", name, v[0], name, v[n - 1]);
}

static struct pol_policy *load(const char *text)
{
	struct pol_policy *pol;
	struct pol_errors errs;

	if (pol_load("bench.yaml", text, strlen(text), &pol, &errs)) {
		fprintf(stderr, "bench_policy: the generated policy does not load: %s (line %d)\n",
			errs.n ? errs.v[0].msg : "?", errs.n ? errs.v[0].line : 0);
		pol_errors_free(&errs);
		return NULL;
	}
	return pol;
}

#define REPS 21

int main(int argc, char **argv)
{
	struct pol_policy *big = NULL, *small = NULL;
	char *big_text, *small_text;
	long n = 2000000, sink = 0;
	double comp[REPS], interned[REPS], linear[REPS], one[REPS], ratio[REPS], sched[REPS];
	struct pol_facts pre = device;
	struct pol_decision a, b;
	const char *only = NULL;
	uint32_t ids[8];
	int rc = 1, k;

	for (k = 1; k + 1 < argc; k += 2) {
		if (!strcmp(argv[k], "--iterations"))
			n = atol(argv[k + 1]);
		else if (!strcmp(argv[k], "--only"))
			only = argv[k + 1];
		else
			break;
	}
	if (n <= 0 || k != argc) {
		fprintf(stderr, "usage: bench_policy [--iterations N] "
				"[--only compiled|interned|linear|one-rule]\n");
		return 2;
	}
	big_text = make_policy(200);
	small_text = make_policy(1);
	if (!big_text || !small_text)
		goto out;
	big = load(big_text);
	small = load(small_text);
	if (!big || !small)
		goto out;
	/* the device's groups interned once, as a caller that keeps them does */
	pre.ngroup_ids = pol_groups_intern(big, device.groups, ids, 8);
	pre.group_ids = ids;
	pre.groups_serial = big->serial;
	/* what is measured decides as the reference does */
	pol_eval_linear(big, &device, 1796113800, &a);
	pol_eval(big, &pre, 1796113800, &b);
	if (a.rule != b.rule || a.vlan != b.vlan || a.valid_until != b.valid_until)
		a.rule = -3;
	pol_eval_linear(big, &scheduled, 1796113800, &b);
	if (b.rule != 198 || !b.valid_until)
		a.rule = -3;
	pol_eval(big, &scheduled, 1796113800, &a);
	if (a.rule != b.rule || a.valid_until != b.valid_until) {
		fprintf(stderr, "bench_policy: compiled and linear disagree\n");
		goto out;
	}
	if (only) {
		/* one configuration, N decisions, nothing printed: for counting
		 * instructions (valgrind --tool=callgrind, two values of N) */
		if (!strcmp(only, "compiled"))
			measure(pol_eval, big, &device, n, &sink);
		else if (!strcmp(only, "interned"))
			measure(pol_eval, big, &pre, n, &sink);
		else if (!strcmp(only, "linear"))
			measure(pol_eval_linear, big, &device, n, &sink);
		else if (!strcmp(only, "one-rule"))
			measure(pol_eval, small, &device, n, &sink);
		else
			goto out;
		rc = 0;
		goto out;
	}
	/* warm up, then the configurations alternated REPS times (the order
	 * turned at each) so that the machine's noise falls on all of them;
	 * the linear walk is ~50 times slower, so it runs n / 20 decisions */
	measure(pol_eval, big, &device, n / 10 + 1, &sink);
	measure(pol_eval_linear, big, &device, n / 200 + 1, &sink);
	for (k = 0; k < REPS; k++) {
		if (k & 1) {
			linear[k] = measure(pol_eval_linear, big, &device, n / 20 + 1, &sink);
			one[k] = measure(pol_eval, small, &device, n, &sink);
			interned[k] = measure(pol_eval, big, &pre, n, &sink);
			comp[k] = measure(pol_eval, big, &device, n, &sink);
			sched[k] = measure(pol_eval, big, &scheduled, n / 20 + 1, &sink);
		} else {
			sched[k] = measure(pol_eval, big, &scheduled, n / 20 + 1, &sink);
			comp[k] = measure(pol_eval, big, &device, n, &sink);
			interned[k] = measure(pol_eval, big, &pre, n, &sink);
			one[k] = measure(pol_eval, small, &device, n, &sink);
			linear[k] = measure(pol_eval_linear, big, &device, n / 20 + 1, &sink);
		}
		ratio[k] = linear[k] / comp[k];
	}
	printf("policy_rules=%zu\n", big->nrules);
	printf("repetitions=%d\n", REPS);
	/* pol_eval, the compiled evaluator every program uses */
	summary("policy_decision_ns", comp, REPS);
	summary("policy_decision_interned_ns", interned, REPS);
	summary("policy_linear_ns", linear, REPS);
	summary("baseline_one_rule_ns", one, REPS);
	/* decided by a rule with a schedule: its window's end is computed */
	summary("policy_decision_schedule_ns", sched, REPS);
	qsort(comp, REPS, sizeof(*comp), cmp_double);
	qsort(one, REPS, sizeof(*one), cmp_double);
	printf("ratio=%.1f\n", comp[REPS / 2] / one[REPS / 2]);
	summary("linear_over_compiled", ratio, REPS);
	printf("decisions_per_second_per_core=%.0f\n", 1e9 / comp[REPS / 2]);
	fprintf(stderr, "(checksum %ld)\n", sink);
	rc = 0;
out:
	pol_free(big);
	pol_free(small);
	free(big_text);
	free(small_text);
	return rc;
}
