// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * How long one policy decision takes with 200 rules, against a baseline
 * measured in the same run on the same machine: the same evaluation with a
 * one-rule policy. Prints nanoseconds per decision and the ratio, as lines
 * "name=value" that the smoke test in make test checks.
 *
 *   bench_policy [--iterations N]
 */
#include <errno.h>
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

/* ns per decision over n evaluations; the decisions are summed so the
 * compiler cannot drop the calls. */
static double measure(const struct pol_policy *pol, long n, long *sink)
{
	struct pol_facts f = { .role = BYOD_ROLE_STUDENT, .school = "0131234W",
			       .groups = "4B latin", .kind = BYOD_KIND_PHONE,
			       .state = BYOD_DEVICE_ACTIVE, .method = POL_METHOD_CERTIFICATE,
			       .cert_not_before = 1788000000, .cert_not_after = 1819000000 };
	struct pol_decision d;
	time_t t = 1796113800; /* Tuesday 1 December 2026, 09:30 in Paris */
	double start = now_ns();
	long i;

	for (i = 0; i < n; i++) {
		pol_eval(pol, &f, t + (i & 1023), &d);
		*sink += d.vlan + d.rule;
	}
	return (now_ns() - start) / (double)n;
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

int main(int argc, char **argv)
{
	struct pol_policy *big = NULL, *small = NULL;
	char *big_text, *small_text;
	long n = 2000000, sink = 0;
	double t_big, t_small;
	int rc = 1;

	if (argc == 3 && !strcmp(argv[1], "--iterations"))
		n = atol(argv[2]);
	if (n <= 0) {
		fprintf(stderr, "usage: bench_policy [--iterations N]\n");
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
	/* warm up both, then alternate to share the machine's noise */
	measure(big, n / 10 + 1, &sink);
	measure(small, n / 10 + 1, &sink);
	t_big = measure(big, n, &sink);
	t_small = measure(small, n * 20, &sink);
	printf("policy_rules=%zu\n", big->nrules);
	printf("policy_decision_ns=%.1f\n", t_big);
	printf("baseline_one_rule_ns=%.1f\n", t_small);
	printf("ratio=%.1f\n", t_big / t_small);
	printf("decisions_per_second_per_core=%.0f\n", 1e9 / t_big);
	fprintf(stderr, "(checksum %ld)\n", sink);
	rc = 0;
out:
	pol_free(big);
	pol_free(small);
	free(big_text);
	free(small_text);
	return rc;
}
