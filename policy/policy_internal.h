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

#endif /* BYOD_POLICY_INTERNAL_H */
