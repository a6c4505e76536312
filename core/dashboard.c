// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The dashboard's figures (byod_dashboard.h): one school at an instant,
 * and the département's table. The counts come from the registry's
 * aggregates (reg_stats_*), the decision counts rlm_byod flushes per
 * minute, the daemons' heartbeats and the change feed; the segments from
 * each live device's admission under its school's policy; the CRL's age
 * from the file the RADIUS server reads. The folding of rows into the
 * figures is pure (byod_dashboard_add_*), so that the tests check it
 * alone and the registry's part apart.
 */
#define _GNU_SOURCE
#include "byod_dashboard.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byod_util.h"

static const char *const reason_names[BYOD_DASH_REASON_N] = {
	[BYOD_DASH_UNKNOWN] = "unknown",
	[BYOD_DASH_CERT_REVOKED] = "cert-revoked",
	[BYOD_DASH_CERT_EXPIRED] = "cert-expired",
	[BYOD_DASH_DEVICE_STATE] = "device-state",
	[BYOD_DASH_OWNER_DISABLED] = "owner-disabled",
	[BYOD_DASH_RULE] = "rule",
	[BYOD_DASH_NO_POLICY] = "no-policy",
	[BYOD_DASH_OTHER] = "other",
};

const char *byod_dash_reason_name(enum byod_dash_reason r)
{
	return (unsigned)r < BYOD_DASH_REASON_N ? reason_names[r] : NULL;
}

static enum byod_dash_reason reason_of(const char *s)
{
	int i;

	for (i = 0; i < BYOD_DASH_OTHER; i++)
		if (s && !strcmp(s, reason_names[i]))
			return (enum byod_dash_reason)i;
	return BYOD_DASH_OTHER;
}

/* The start of the local day that holds t, days later (negative: before). */
static time_t local_day(time_t t, int days)
{
	struct tm tm;

	localtime_r(&t, &tm);
	tm.tm_mday += days;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

void byod_dashboard_period(struct byod_dashboard *d, time_t at)
{
	int i;

	d->at = at;
	/* hours aligned on UTC hours: local hours too wherever the offset is
	 * whole hours, as in France */
	d->hour0 = (at / 3600) * 3600 - (BYOD_DASH_HOURS - 1) * 3600;
	for (i = 0; i < BYOD_DASH_DAYS; i++)
		d->day_start[i] = local_day(at, i - (BYOD_DASH_DAYS - 1));
}

void byod_dashboard_add_decision(struct byod_dashboard *d, time_t minute, const char *segment,
				 const char *reason, int64_t count)
{
	long i;

	(void)segment;
	if (count <= 0 || minute < d->hour0)
		return;
	i = (long)((minute - d->hour0) / 3600);
	if (i >= BYOD_DASH_HOURS)
		return;
	if (reason && !strcmp(reason, "accept")) {
		d->accepted[i] += count;
		d->accepted_total += count;
	} else {
		d->refused[i] += count;
		d->refused_total += count;
		d->refused_by[reason_of(reason)] += count;
	}
}

void byod_dashboard_add_heartbeat(struct byod_dashboard *d, const char *component, const char *node,
				  const char *school, time_t seen, int64_t feed_seq,
				  const char *detail, time_t oldest_unapplied)
{
	struct byod_dash_gateway *g;

	if (d->ngateways >= BYOD_DASH_GATEWAYS_MAX)
		return;
	g = &d->gateways[d->ngateways++];
	memset(g, 0, sizeof(*g));
	snprintf(g->component, sizeof(g->component), "%s", component ? component : "");
	snprintf(g->node, sizeof(g->node), "%s", node ? node : "");
	snprintf(g->school, sizeof(g->school), "%s", school ? school : "");
	snprintf(g->detail, sizeof(g->detail), "%s", detail ? detail : "");
	g->seen = seen;
	g->feed_seq = feed_seq;
	if (feed_seq > 0 && d->feed_last > feed_seq) {
		g->lag = d->feed_last - feed_seq;
		if (oldest_unapplied > 0 && oldest_unapplied < d->at)
			g->lag_s = (long)(d->at - oldest_unapplied);
	}
	g->stale = d->at - seen > BYOD_DASH_HEARTBEAT_S;
	g->late = g->lag_s > BYOD_DASH_LAG_S;
}

void byod_dashboard_flag(struct byod_dashboard *d)
{
	size_t i;

	d->nas_silent = 0;
	for (i = 0; i < d->nnas; i++) {
		d->nas[i].silent = d->at - d->nas[i].last >= BYOD_DASH_SILENT_S;
		d->nas_silent += d->nas[i].silent;
	}
	d->gateways_flagged = 0;
	for (i = 0; i < d->ngateways; i++)
		d->gateways_flagged += d->gateways[i].stale || d->gateways[i].late;
	d->crl_late = d->crl_missing || (d->crl_next_update && d->at >= d->crl_next_update);
	d->flags = d->nas_silent + d->gateways_flagged + d->crl_late;
}

/* ---- reading the registry ------------------------------------------------ */

static int got_school(const struct reg_school_stats *s, void *arg)
{
	struct byod_dashboard *d = arg;

	snprintf(d->name, sizeof(d->name), "%s", s->name);
	d->people = s->people;
	memcpy(d->devices, s->devices, sizeof(d->devices));
	d->sessions_open = s->sessions_open;
	return 0;
}

struct segment_walk {
	struct byod_ctx *ctx;
	struct byod_dashboard *d;
	const struct pol_policy *pol;
	struct byod_err *err;
};

static void count_segment(struct byod_dashboard *d, const char *name)
{
	size_t i;

	for (i = 0; i < d->nsegments; i++)
		if (!strcmp(d->segments[i].name, name)) {
			d->segments[i].devices++;
			return;
		}
	if (d->nsegments >= BYOD_DASH_SEGMENTS_MAX)
		return;
	snprintf(d->segments[d->nsegments].name, sizeof(d->segments[0].name), "%s", name);
	d->segments[d->nsegments++].devices = 1;
}

static int walk_device(const struct reg_device *dev, void *arg)
{
	struct segment_walk *w = arg;
	struct pol_admission adm;
	struct byod_facts facts;
	int rc;

	if (dev->state != BYOD_DEVICE_ACTIVE && dev->state != BYOD_DEVICE_SUSPENDED)
		return 0;
	rc = byod_device_admission(w->ctx, w->pol, dev, -1, w->d->at, &facts, &adm, NULL, NULL,
				   w->err);
	if (rc)
		return rc;
	count_segment(w->d, adm.admit && adm.dec.segment_name ? adm.dec.segment_name : "");
	return 0;
}

static int cmp_segment(const void *a, const void *b)
{
	const struct byod_dash_segment *x = a, *y = b;

	/* the refused last, the others by size, then name */
	if (!x->name[0] != !y->name[0])
		return !x->name[0] ? 1 : -1;
	if (x->devices != y->devices)
		return x->devices > y->devices ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int segments(struct byod_ctx *ctx, const struct byod_policies *pols,
		    struct byod_dashboard *d, struct byod_err *err)
{
	struct reg_device_filter filter = {.owner_login = NULL, .state = -1, .school = d->school};
	struct segment_walk w = {ctx, d, NULL, err};
	int rc;

	/* the school's own policy, or the département's default */
	w.pol = byod_policies_for(pols, d->school);
	d->no_policy = !w.pol;
	rc = reg_device_list(ctx->reg, &filter, walk_device, &w, err);
	if (!rc)
		qsort(d->segments, d->nsegments, sizeof(d->segments[0]), cmp_segment);
	return rc;
}

/* The day index of t (day_start is in order), -1 before the first. */
static int day_of(const struct byod_dashboard *d, time_t t)
{
	int i;

	for (i = BYOD_DASH_DAYS - 1; i >= 0; i--)
		if (t >= d->day_start[i])
			return i;
	return -1;
}

static int got_enrolments(const struct reg_stats_hour *h, void *arg)
{
	struct byod_dashboard *d = arg;
	int i = day_of(d, h->at);

	/* an hour that began before the first day (a half-hour offset)
	 * counts in the first day */
	d->enrolments[i < 0 ? 0 : i] += h->count;
	d->enrolments_total += h->count;
	return 0;
}

static int got_cert(const struct reg_cert_expiry *e, void *arg)
{
	struct byod_dashboard *d = arg;

	if (d->ncerts < BYOD_DASH_CERTS_MAX)
		d->certs[d->ncerts++] = *e;
	d->certs_ending++;
	return 0;
}

static int got_nas(const struct reg_nas_seen *n, void *arg)
{
	struct byod_dashboard *d = arg;
	struct byod_dash_nas *x;

	if (d->nnas >= BYOD_DASH_NAS_MAX)
		return 0;
	x = &d->nas[d->nnas++];
	snprintf(x->nas_ip, sizeof(x->nas_ip), "%s", n->nas_ip);
	snprintf(x->nas_id, sizeof(x->nas_id), "%s", n->nas_id);
	x->last = n->last;
	x->sessions_open = n->sessions_open;
	return 0;
}

static void crl(struct byod_ctx *ctx, struct byod_dashboard *d)
{
	char dir[4096], path[4096];
	struct byod_err ignored;

	if (byod_conf_path(&ctx->conf, ctx->conf.pki_dir, dir, sizeof(dir)) ||
	    byod_path_join(path, sizeof(path), dir, "crl.pem") ||
	    pki_crl_times(path, &d->crl_this_update, &d->crl_next_update, &ignored))
		d->crl_missing = 1;
}

static int got_decision(const struct reg_decision_count *c, void *arg)
{
	byod_dashboard_add_decision(arg, c->minute, c->segment, c->reason, c->count);
	return 0;
}

struct beats {
	struct byod_ctx *ctx;
	struct byod_dashboard *d;
	struct byod_err *err;
};

static int first_event(const struct reg_event *ev, void *arg)
{
	*(time_t *)arg = ev->time;
	return 0;
}

/* A daemon of this school, or of every school (school ""). */
static int got_heartbeat(const struct reg_heartbeat *hb, void *arg)
{
	struct beats *b = arg;
	time_t oldest = 0;
	int rc;

	if (hb->school[0] && strcmp(hb->school, b->d->school))
		return 0;
	if (hb->feed_seq > 0 && hb->feed_seq < b->d->feed_last) {
		rc = reg_events_since(b->ctx->reg, hb->feed_seq, 1, first_event, &oldest, b->err);
		if (rc)
			return rc;
	}
	byod_dashboard_add_heartbeat(b->d, hb->component, hb->node, hb->school, hb->seen,
				     hb->feed_seq, hb->detail, oldest);
	return 0;
}

/* Every figure of a page from one snapshot of the registry, so that they
 * agree with each other (the feed's newest number with the heartbeats, the
 * devices with their states); inside a caller's transaction, that one's. */
static int snapshot_begin(struct byod_ctx *ctx, int *own, struct byod_err *err)
{
	int rc = reg_begin_read(ctx->reg, err);

	*own = !rc;
	return rc == -EINVAL ? 0 : rc;
}

static int snapshot_end(struct byod_ctx *ctx, int own, int rc, struct byod_err *err)
{
	if (!own)
		return rc;
	if (rc) {
		reg_rollback(ctx->reg);
		return rc;
	}
	return reg_commit(ctx->reg, err);
}

static int school_figures(struct byod_ctx *ctx, const struct reg_scope *scope, const char *school,
			  const struct byod_policies *pols, struct byod_dashboard *d,
			  struct byod_err *err)
{
	int rc;

	rc = reg_stats_schools(ctx->reg, scope, school, got_school, d, err);
	if (!rc)
		rc = segments(ctx, pols, d, err);
	if (!rc)
		rc = reg_stats_enrolments(ctx->reg, scope, school, d->day_start[0], d->at + 1,
					  got_enrolments, d, err);
	if (!rc)
		rc = reg_stats_certs_expiring(ctx->reg, scope, school, d->at,
					      d->at + BYOD_DASH_CERT_DAYS * 86400, got_cert, d,
					      err);
	if (!rc)
		rc = reg_stats_nas(ctx->reg, scope, school,
				   d->at > BYOD_DASH_NAS_SINCE_S ? d->at - BYOD_DASH_NAS_SINCE_S
								 : 0,
				   got_nas, d, err);
	if (!rc)
		rc = reg_decision_list(ctx->reg, scope, school, d->hour0,
				       d->hour0 + BYOD_DASH_HOURS * 3600, got_decision, d, err);
	if (!rc)
		rc = reg_events_last(ctx->reg, &d->feed_last, err);
	if (!rc) {
		struct beats b = {ctx, d, err};

		rc = reg_heartbeat_list(ctx->reg, scope, got_heartbeat, &b, err);
	}
	return rc;
}

int byod_dashboard_school(struct byod_ctx *ctx, const struct reg_scope *scope, const char *school,
			  time_t at, struct byod_dashboard *out, struct byod_err *err)
{
	struct byod_dashboard *d = out;
	struct byod_policies *pols = NULL;
	int rc, own;

	memset(d, 0, sizeof(*d));
	if (!school || byod_uai_check(school, NULL))
		return byod_err_set(err, EINVAL, "'%.16s' is not a UAI (7 digits and a letter)",
				    school ? school : "");
	snprintf(d->school, sizeof(d->school), "%s", school);
	byod_dashboard_period(d, at ? at : time(NULL));
	/* the policies first: they are read in a snapshot of their own */
	rc = byod_policies_load(ctx, &pols, err);
	if (!rc)
		rc = snapshot_begin(ctx, &own, err);
	if (!rc)
		rc = snapshot_end(ctx, own, school_figures(ctx, scope, school, pols, d, err), err);
	byod_policies_free(pols);
	if (rc)
		return rc;
	crl(ctx, d);
	byod_dashboard_flag(d);
	return 0;
}

/* ---- the département's table ---------------------------------------------- */

struct lines {
	struct byod_vec v; /* struct byod_dash_line */
	int64_t unknown;   /* decisions about devices of no school */
	time_t at;
	int64_t feed_last;
	struct reg *reg;
	struct byod_err *err;
};

static struct byod_dash_line *line_of(struct lines *l, const char *school)
{
	size_t i;

	for (i = 0; i < l->v.n; i++) {
		struct byod_dash_line *x = BYOD_VEC_AT(&l->v, struct byod_dash_line, i);

		if (!strcmp(x->school, school))
			return x;
	}
	return NULL;
}

static int line_school(const struct reg_school_stats *s, void *arg)
{
	struct lines *l = arg;
	struct byod_dash_line *x;

	x = byod_vec_push(&l->v);
	if (!x)
		return -ENOMEM;
	snprintf(x->school, sizeof(x->school), "%s", s->school);
	snprintf(x->name, sizeof(x->name), "%s", s->name);
	x->people = s->people;
	memcpy(x->devices, s->devices, sizeof(x->devices));
	x->sessions_open = s->sessions_open;
	return 0;
}

static int line_enrolments(const struct reg_stats_hour *h, void *arg)
{
	struct byod_dash_line *x = line_of(arg, h->school);

	if (x)
		x->enrolments += h->count;
	return 0;
}

static int line_cert(const struct reg_cert_expiry *e, void *arg)
{
	struct byod_dash_line *x = line_of(arg, e->school);

	if (x)
		x->certs_ending++;
	return 0;
}

static int line_nas(const struct reg_nas_seen *n, void *arg)
{
	struct lines *l = arg;
	struct byod_dash_line *x = line_of(l, n->school);

	if (x) {
		x->nas++;
		x->nas_silent += l->at - n->last >= BYOD_DASH_SILENT_S;
	}
	return 0;
}

static int line_decision(const struct reg_decision_count *c, void *arg)
{
	struct lines *l = arg;
	struct byod_dash_line *x = line_of(l, c->school);

	if (!c->school[0])
		l->unknown += c->count;
	else if (x && !strcmp(c->reason, "accept"))
		x->accepted += c->count;
	else if (x)
		x->refused += c->count;
	return 0;
}

/* A daemon of one school flags that school's line; a daemon of every
 * school (school "") flags every line. */
static int line_heartbeat(const struct reg_heartbeat *hb, void *arg)
{
	struct lines *l = arg;
	struct byod_dashboard one;
	time_t oldest = 0;
	size_t i;
	int rc;

	if (hb->feed_seq > 0 && hb->feed_seq < l->feed_last) {
		rc = reg_events_since(l->reg, hb->feed_seq, 1, first_event, &oldest, l->err);
		if (rc)
			return rc;
	}
	/* the same judgement as a school's page: one gateway folded in */
	one.ngateways = 0;
	one.at = l->at;
	one.feed_last = l->feed_last;
	byod_dashboard_add_heartbeat(&one, hb->component, hb->node, hb->school, hb->seen,
				     hb->feed_seq, hb->detail, oldest);
	for (i = 0; i < l->v.n; i++) {
		struct byod_dash_line *x = BYOD_VEC_AT(&l->v, struct byod_dash_line, i);

		if (hb->school[0] && strcmp(hb->school, x->school))
			continue;
		x->gateways++;
		x->gateways_flagged += one.gateways[0].stale || one.gateways[0].late;
	}
	return 0;
}

int byod_dashboard_lines(struct byod_ctx *ctx, const struct reg_scope *scope, time_t at,
			 struct byod_dash_line **lines, size_t *n, int64_t *unknown,
			 struct byod_err *err)
{
	struct lines l = {BYOD_VEC_INIT(struct byod_dash_line), 0, 0, 0, ctx->reg, err};
	struct byod_dashboard *crl_d = NULL;
	time_t hour0;
	size_t i;
	int rc, own;

	*lines = NULL;
	*n = 0;
	if (unknown)
		*unknown = 0;
	if (!at)
		at = time(NULL);
	l.at = at;
	hour0 = (at / 3600) * 3600 - (BYOD_DASH_HOURS - 1) * 3600;
	rc = snapshot_begin(ctx, &own, err);
	if (rc)
		return rc;
	rc = reg_stats_schools(ctx->reg, scope, NULL, line_school, &l, err);
	if (rc == -ENOMEM)
		byod_err_set(err, ENOMEM, "out of memory");
	if (!rc)
		rc = reg_stats_enrolments(ctx->reg, scope, NULL, local_day(at, 1 - BYOD_DASH_DAYS),
					  at + 1, line_enrolments, &l, err);
	if (!rc)
		rc = reg_stats_certs_expiring(ctx->reg, scope, NULL, at,
					      at + BYOD_DASH_CERT_DAYS * 86400, line_cert, &l, err);
	if (!rc)
		rc = reg_stats_nas(ctx->reg, scope, NULL,
				   at > BYOD_DASH_NAS_SINCE_S ? at - BYOD_DASH_NAS_SINCE_S : 0,
				   line_nas, &l, err);
	if (!rc)
		rc = reg_decision_list(ctx->reg, scope, NULL, hour0, hour0 + BYOD_DASH_HOURS * 3600,
				       line_decision, &l, err);
	if (!rc)
		rc = reg_events_last(ctx->reg, &l.feed_last, err);
	if (!rc)
		rc = reg_heartbeat_list(ctx->reg, scope, line_heartbeat, &l, err);
	rc = snapshot_end(ctx, own, rc, err);
	if (rc)
		goto out;
	crl_d = calloc(1, sizeof(*crl_d));
	if (!crl_d) {
		rc = byod_err_set(err, ENOMEM, "out of memory");
		goto out;
	}
	crl_d->at = at;
	crl(ctx, crl_d);
	byod_dashboard_flag(crl_d);
	for (i = 0; i < l.v.n; i++) {
		struct byod_dash_line *x = BYOD_VEC_AT(&l.v, struct byod_dash_line, i);

		x->crl_late = crl_d->crl_late;
		x->flags = x->nas_silent + x->gateways_flagged + x->crl_late;
	}
	*lines = byod_vec_take(&l.v, n);
	if (unknown)
		*unknown = l.unknown;
out:
	free(crl_d);
	byod_vec_free(&l.v);
	return rc;
}
