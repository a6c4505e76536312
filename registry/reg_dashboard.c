// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The dashboard's figures: the registry's side of byod-admin's dashboard
 * (core/dashboard.c). Each function checks what it is given and asks the
 * backend for counts the database computes (sqlite_dashboard.c,
 * postgres_dashboard.c), so that a school of a thousand devices costs one
 * query, not a thousand rows. Reads only: nothing is audited.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byod_util.h"
#include "reg_internal.h"

/* The schools a call covers: one (school given and in the scope), every
 * one (NULL scope or scope->all, school NULL: the backend's NULL), or the
 * scope's, sorted so that rows come by UAI as for every school. */
struct covered {
	int all;
	size_t n;
	char uai[REG_GROUPS_MAX / 9 + 1][REG_UAI_MAX];
};

static int cmp_uai(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* NULL stands for every school here, as in reg_decision_list. */
static int in_scope(const struct reg_scope *scope, const char *uai)
{
	return !scope || reg_scope_has(scope, uai);
}

static void cover(const struct reg_scope *scope, const char *school, struct covered *c)
{
	char list[REG_GROUPS_MAX], *tok, *save = NULL;

	memset(c, 0, sizeof(*c));
	if (school) {
		if (in_scope(scope, school))
			snprintf(c->uai[c->n++], REG_UAI_MAX, "%s", school);
		return;
	}
	if (!scope || scope->all) {
		c->all = 1;
		return;
	}
	snprintf(list, sizeof(list), "%s", scope->schools);
	for (tok = strtok_r(list, " ", &save); tok && c->n < sizeof(c->uai) / sizeof(c->uai[0]);
	     tok = strtok_r(NULL, " ", &save))
		if (!byod_uai_check(tok, NULL))
			snprintf(c->uai[c->n++], REG_UAI_MAX, "%s", tok);
	qsort(c->uai, c->n, sizeof(c->uai[0]), cmp_uai);
}

/* Runs one backend call per school covered (the backend's NULL for all). */
#define EACH_COVERED(c, rc, call_with_school)                                                      \
	do {                                                                                       \
		size_t i_;                                                                         \
		if ((c).all) {                                                                     \
			const char *school_ = NULL;                                                \
			(rc) = (call_with_school);                                                 \
			break;                                                                     \
		}                                                                                  \
		for (i_ = 0; !(rc) && i_ < (c).n; i_++) {                                          \
			const char *school_ = (c).uai[i_];                                         \
			(rc) = (call_with_school);                                                 \
		}                                                                                  \
	} while (0)

/* NULL (every school) or a well-formed UAI. */
static int check_school(const char *school, struct byod_err *err)
{
	if (school && byod_uai_check(school, NULL))
		return byod_err_set(err, EINVAL, "'%.16s' is not a UAI (7 digits and a letter)",
				    school);
	return 0;
}

static int check_period(time_t from, time_t to, struct byod_err *err)
{
	if (from < 0 || to < from)
		return byod_err_set(err, EINVAL, "a period that ends before it starts");
	return 0;
}

int reg_stats_schools(struct reg *reg, const struct reg_scope *scope, const char *school,
		      int (*cb)(const struct reg_school_stats *, void *), void *ctx,
		      struct byod_err *err)
{
	struct reg_school sc;
	struct covered c;
	int rc;

	if (!cb)
		return byod_err_set(err, EINVAL, "no callback for the school figures");
	rc = check_school(school, err);
	if (rc)
		return rc;
	/* a school outside the scope is not there, as a school that is not */
	if (school && !in_scope(scope, school))
		return byod_err_set(err, ENOENT, "no school %s", school);
	if (school) {
		rc = OPS(reg)->school_get(reg->be, school, &sc, err);
		if (rc)
			return rc;
	}
	cover(scope, school, &c);
	EACH_COVERED(c, rc, OPS(reg)->stats_schools(reg->be, school_, cb, ctx, err));
	return rc;
}

int reg_stats_enrolments(struct reg *reg, const struct reg_scope *scope, const char *school,
			 time_t from, time_t to, int (*cb)(const struct reg_stats_hour *, void *),
			 void *ctx, struct byod_err *err)
{
	struct covered c;
	int rc;

	if (!cb)
		return byod_err_set(err, EINVAL, "no callback for the enrolment counts");
	rc = check_school(school, err);
	if (!rc)
		rc = check_period(from, to, err);
	if (rc)
		return rc;
	cover(scope, school, &c);
	EACH_COVERED(c, rc, OPS(reg)->stats_enrolments(reg->be, school_, from, to, cb, ctx, err));
	return rc;
}

int reg_stats_certs_expiring(struct reg *reg, const struct reg_scope *scope, const char *school,
			     time_t from, time_t to,
			     int (*cb)(const struct reg_cert_expiry *, void *), void *ctx,
			     struct byod_err *err)
{
	struct covered c;
	int rc;

	if (!cb)
		return byod_err_set(err, EINVAL, "no callback for the certificates ending");
	rc = check_school(school, err);
	if (!rc)
		rc = check_period(from, to, err);
	if (rc)
		return rc;
	cover(scope, school, &c);
	EACH_COVERED(c, rc,
		     OPS(reg)->stats_certs_expiring(reg->be, school_, from, to, cb, ctx, err));
	return rc;
}

int reg_stats_nas(struct reg *reg, const struct reg_scope *scope, const char *school, time_t since,
		  int (*cb)(const struct reg_nas_seen *, void *), void *ctx, struct byod_err *err)
{
	struct covered c;
	int rc;

	if (!cb)
		return byod_err_set(err, EINVAL, "no callback for the access points");
	rc = check_school(school, err);
	if (!rc && since < 0)
		rc = byod_err_set(err, EINVAL, "a negative time for the access points");
	if (rc)
		return rc;
	cover(scope, school, &c);
	EACH_COVERED(c, rc, OPS(reg)->stats_nas(reg->be, school_, since, cb, ctx, err));
	return rc;
}
