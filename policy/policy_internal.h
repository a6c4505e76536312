/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared between the files of policy/, not part of its interface.
 */
#ifndef BYOD_POLICY_INTERNAL_H
#define BYOD_POLICY_INTERNAL_H

#include "policy.h"

/* Appends one error (at most 100 are kept). */
void pol_err_add(struct pol_errors *errs, const char *file, int line, int col, const char *fmt,
		 ...) __attribute__((format(printf, 5, 6)));

/* The checks that need the whole policy: duplicate VLANs, overlapping
 * subnets, rules that can never match. Adds to errs, and what is legal
 * but probably a mistake to pol->warnings. */
void pol_check(struct pol_policy *pol, struct pol_errors *errs);

/* The device's groups: at most this many space-separated names are read
 * (REG_GROUPS_MAX bytes hold at most 128 names), by every evaluator. */
#define POL_MAX_GROUPS 128

/* Each schedule's window at one instant, computed once per decision
 * (schedules 0 to 63; the others are computed each time). Zero done. */
struct pol_sched_memo {
	uint64_t done, inside;
	time_t change[64];
};

/* The conditions of r that depend on the instant (certificate age and
 * expiry, unlock, schedule), for a rule whose other conditions hold: 1
 * when they all hold. *change: when one of them will flip, 0 for never.
 * why (may be NULL) the first that fails, or for unlock how it matched.
 * memo may be NULL. (eval.c) */
int pol_rule_time_match(const struct pol_policy *pol, const struct pol_rule *r,
			const struct pol_facts *f, time_t now, char *why, size_t len,
			time_t *change, struct pol_sched_memo *memo);

/* Whether a rule has a condition pol_rule_time_match decides. */
static inline int pol_rule_timed(const struct pol_rule *r)
{
	return r->age_min >= 0 || r->age_max >= 0 || r->expires_within >= 0 || r->unlock ||
	       r->schedule >= 0;
}

/* Compiles the rules of a checked policy into pol->compiled (compile.c):
 * 0 or -ENOMEM. Freed by pol_compiled_free (NULL is a no-op). */
int pol_compile(struct pol_policy *pol);
void pol_compiled_free(struct pol_compiled *c);

#endif /* BYOD_POLICY_INTERNAL_H */
