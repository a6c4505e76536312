// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The dashboard's figures: the registry's side of byod-admin's dashboard
 * (core/dashboard.c). Each function checks what it is given and asks the
 * backend for counts the database computes (sqlite_dashboard.c,
 * postgres_dashboard.c), so that a school of a thousand devices costs one
 * query, not a thousand rows. Reads only: nothing is audited.
 */
#include <errno.h>

#include "byod_util.h"
#include "reg_internal.h"

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

int reg_stats_schools(struct reg *reg, const char *school,
		      int (*cb)(const struct reg_school_stats *, void *), void *ctx,
		      struct byod_err *err)
{
	struct reg_school sc;
	int rc;

	if (!cb)
		return byod_err_set(err, EINVAL, "no callback for the school figures");
	rc = check_school(school, err);
	if (!rc && school)
		rc = OPS(reg)->school_get(reg->be, school, &sc, err);
	return rc ? rc : OPS(reg)->stats_schools(reg->be, school, cb, ctx, err);
}

int reg_stats_enrolments(struct reg *reg, const char *school, time_t from, time_t to,
			 int (*cb)(const struct reg_stats_hour *, void *), void *ctx,
			 struct byod_err *err)
{
	int rc;

	if (!cb)
		return byod_err_set(err, EINVAL, "no callback for the enrolment counts");
	rc = check_school(school, err);
	if (!rc)
		rc = check_period(from, to, err);
	return rc ? rc : OPS(reg)->stats_enrolments(reg->be, school, from, to, cb, ctx, err);
}

int reg_stats_certs_expiring(struct reg *reg, const char *school, time_t from, time_t to,
			     int (*cb)(const struct reg_cert_expiry *, void *), void *ctx,
			     struct byod_err *err)
{
	int rc;

	if (!cb)
		return byod_err_set(err, EINVAL, "no callback for the certificates ending");
	rc = check_school(school, err);
	if (!rc)
		rc = check_period(from, to, err);
	return rc ? rc : OPS(reg)->stats_certs_expiring(reg->be, school, from, to, cb, ctx, err);
}

int reg_stats_nas(struct reg *reg, const char *school, time_t since,
		  int (*cb)(const struct reg_nas_seen *, void *), void *ctx, struct byod_err *err)
{
	int rc;

	if (!cb)
		return byod_err_set(err, EINVAL, "no callback for the access points");
	rc = check_school(school, err);
	if (!rc && since < 0)
		rc = byod_err_set(err, EINVAL, "a negative time for the access points");
	return rc ? rc : OPS(reg)->stats_nas(reg->be, school, since, cb, ctx, err);
}
