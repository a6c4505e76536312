// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What the daemons report to the console through the registry: the RADIUS
 * module's decision counts (one row per school, minute, node, segment and
 * reason, added to at each flush) and every daemon's heartbeat (one row per
 * component, node and school, replaced at each beat). Validation and the
 * scope are here; the backends store. These rows are not administrative
 * changes: no audit row and no change-feed event (a heartbeat every 10 s
 * would flood both).
 */
#include "registry.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "reg_internal.h"

const char *const reg_decision_reasons[] = {
	"accept",	  "unknown", "cert-revoked", "cert-expired", "device-state",
	"owner-disabled", "rule",    "no-policy",    NULL,
};

int reg_decision_reason_valid(const char *reason)
{
	size_t i;

	for (i = 0; reason && reg_decision_reasons[i]; i++)
		if (!strcmp(reason, reg_decision_reasons[i]))
			return 1;
	return 0;
}

/* What the scope lets through as the backends' schools filter: NULL for
 * every school, else the scope's list. */
static const char *scope_schools(const struct reg_scope *scope)
{
	return !scope || scope->all ? NULL : scope->schools;
}

/* Whether a UAI is one of the space-separated list (NULL: all). */
static int in_list(const char *list, const char *uai)
{
	size_t n = strlen(uai);
	const char *p;

	if (!list)
		return 1;
	for (p = list; (p = strstr(p, uai)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return 1;
	return 0;
}

static int check_row(const struct reg_decision_count *r, size_t i, struct byod_err *err)
{
	char what[48];
	int rc;

	snprintf(what, sizeof(what), "school of count %zu", i);
	rc = reg_check_text(r->school, sizeof(r->school), 1, what, err);
	if (!rc) {
		snprintf(what, sizeof(what), "node of count %zu", i);
		rc = reg_check_text(r->node, sizeof(r->node), 0, what, err);
	}
	if (!rc) {
		snprintf(what, sizeof(what), "segment of count %zu", i);
		rc = reg_check_text(r->segment, sizeof(r->segment), 1, what, err);
	}
	if (rc)
		return rc;
	if (!memchr(r->reason, '\0', sizeof(r->reason)) || !reg_decision_reason_valid(r->reason))
		return byod_err_set(err, EINVAL, "count %zu: '%.*s' is not a decision reason", i,
				    (int)sizeof(r->reason) - 1, r->reason);
	if (r->minute < 0 || r->minute % 60)
		return byod_err_set(err, EINVAL, "count %zu: %lld is not the start of a minute", i,
				    (long long)r->minute);
	if (r->count < 0)
		return byod_err_set(err, EINVAL, "count %zu: a negative count", i);
	return 0;
}

int reg_decision_add(struct reg *reg, const struct reg_decision_count *rows, size_t n,
		     struct byod_err *err)
{
	size_t i;
	int rc = 0;

	if (!n)
		return 0;
	if (!rows || n > REG_DECISION_ROWS_MAX)
		return byod_err_set(err, EINVAL, "%zu decision counts at once (at most %d)", n,
				    REG_DECISION_ROWS_MAX);
	for (i = 0; i < n && !rc; i++)
		rc = check_row(&rows[i], i, err);
	if (rc)
		return rc;
	rc = reg_begin(reg, err);
	if (rc)
		return rc;
	for (i = 0; i < n && !rc; i++)
		if (rows[i].count)
			rc = OPS(reg)->decision_add(reg->be, &rows[i], err);
	return reg_tx_end(reg, rc, 1, err);
}

int reg_decision_list(struct reg *reg, const struct reg_scope *scope, const char *school,
		      time_t from, time_t to, int (*cb)(const struct reg_decision_count *, void *),
		      void *ctx, struct byod_err *err)
{
	const char *schools = scope_schools(scope);
	int rc;

	if (school) {
		rc = reg_check_text(school, REG_UAI_MAX, 1, "school", err);
		if (rc)
			return rc;
		/* another school's counts are not there for this scope */
		if (schools && (!school[0] || !in_list(schools, school)))
			return 0;
	}
	if (from < 0 || to < 0)
		return byod_err_set(err, EINVAL, "a negative time");
	return OPS(reg)->decision_list(reg->be, schools, school, from, to, cb, ctx, err);
}

int reg_decision_purge(struct reg *reg, time_t before, int *deleted, struct byod_err *err)
{
	int rc, n = 0;

	if (deleted)
		*deleted = 0;
	if (before < 0)
		return byod_err_set(err, EINVAL, "a negative time");
	rc = reg_begin(reg, err);
	if (rc)
		return rc;
	rc = OPS(reg)->decision_purge(reg->be, before, &n, err);
	rc = reg_tx_end(reg, rc, 1, err);
	if (!rc && deleted)
		*deleted = n;
	return rc;
}

int reg_heartbeat_put(struct reg *reg, const struct reg_heartbeat *hb, struct byod_err *err)
{
	struct reg_heartbeat h;
	int rc;

	rc = reg_check_text(hb->component, sizeof(hb->component), 0, "component", err);
	if (!rc)
		rc = reg_check_text(hb->node, sizeof(hb->node), 0, "node", err);
	if (!rc)
		rc = reg_check_text(hb->school, sizeof(hb->school), 1, "school", err);
	if (!rc)
		rc = reg_check_text(hb->detail, sizeof(hb->detail), 1, "detail", err);
	if (rc)
		return rc;
	if (hb->seen < 0 || hb->feed_seq < 0)
		return byod_err_set(err, EINVAL, "a negative time or feed position");
	h = *hb;
	if (!h.seen)
		h.seen = time(NULL);
	rc = reg_begin(reg, err);
	if (rc)
		return rc;
	rc = OPS(reg)->heartbeat_put(reg->be, &h, err);
	return reg_tx_end(reg, rc, 1, err);
}

int reg_heartbeat_list(struct reg *reg, const struct reg_scope *scope,
		       int (*cb)(const struct reg_heartbeat *, void *), void *ctx,
		       struct byod_err *err)
{
	return OPS(reg)->heartbeat_list(reg->be, scope_schools(scope), cb, ctx, err);
}
