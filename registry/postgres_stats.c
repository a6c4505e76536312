// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The PostgreSQL backend's decision counts and heartbeats (reg_stats.c):
 * the same rows and answers as sqlite_stats.c's, through libpq. Two RADIUS
 * nodes never write the same count (the node is part of its key), so
 * their flushes do not wait for each other.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pg_int.h"

/* $1 NULL: every school, rows of no school included; else the
 * space-separated list's. */
#define IN_SCHOOLS "($1::text IS NULL OR school = ANY (string_to_array($1::text, ' ')))"

int pg_decision_add(struct reg_db *be, const struct reg_decision_count *r, struct byod_err *err)
{
	char minute[24], count[24];
	const char *p[6] = {r->school, minute, r->node, r->segment, r->reason, count};

	pg_i64(minute, (int64_t)r->minute);
	pg_i64(count, r->count);
	return pg_command(PG(be), NULL, err, "adding decision counts",
			  "INSERT INTO decision_counts (school, minute, node, segment, reason, "
			  "count) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (school, minute, "
			  "node, segment, reason) DO UPDATE SET count = decision_counts.count + "
			  "EXCLUDED.count",
			  6, p);
}

struct decision_visit {
	int (*cb)(const struct reg_decision_count *, void *);
	void *ctx;
};

static int visit_decision(const PGresult *res, int row, void *arg)
{
	struct decision_visit *v = arg;
	struct reg_decision_count r;

	memset(&r, 0, sizeof(r));
	pg_get_text(res, row, 0, r.school, sizeof(r.school));
	r.minute = (time_t)pg_get_i64(res, row, 1);
	pg_get_text(res, row, 2, r.node, sizeof(r.node));
	pg_get_text(res, row, 3, r.segment, sizeof(r.segment));
	pg_get_text(res, row, 4, r.reason, sizeof(r.reason));
	r.count = pg_get_i64(res, row, 5);
	return v->cb(&r, v->ctx);
}

int pg_decision_list(struct reg_db *be, const char *schools, const char *school, time_t from,
		     time_t to, int (*cb)(const struct reg_decision_count *, void *), void *ctx,
		     struct byod_err *err)
{
	char f[24], t[24];
	const char *p[4] = {schools, school, f, t};
	struct decision_visit v = {cb, ctx};

	pg_i64(f, (int64_t)from);
	pg_i64(t, (int64_t)to);
	return pg_each(PG(be), "listing decision counts",
		       "SELECT school, minute, node, segment, reason, count FROM decision_counts "
		       "WHERE " IN_SCHOOLS " AND ($2::text IS NULL OR school = $2::text) "
		       "AND minute >= $3::bigint AND ($4::bigint = 0 OR minute < $4::bigint) "
		       "ORDER BY minute, school, node, segment, reason",
		       4, p, visit_decision, &v, err);
}

int pg_decision_purge(struct reg_db *be, time_t before, int *changes, struct byod_err *err)
{
	char b[24];
	const char *p[1] = {b};

	pg_i64(b, (int64_t)before);
	return pg_command(PG(be), changes, err, "deleting decision counts",
			  "DELETE FROM decision_counts WHERE minute < $1", 1, p);
}

int pg_heartbeat_put(struct reg_db *be, const struct reg_heartbeat *hb, struct byod_err *err)
{
	char seen[24], seq[24];
	const char *p[6] = {hb->component, hb->node, hb->school, seen, seq, hb->detail};

	pg_i64(seen, (int64_t)hb->seen);
	pg_i64(seq, hb->feed_seq);
	return pg_command(
		PG(be), NULL, err, "writing a heartbeat",
		"INSERT INTO heartbeats (component, node, school, seen, feed_seq, detail) "
		"VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (component, node, school) "
		"DO UPDATE SET seen = EXCLUDED.seen, feed_seq = EXCLUDED.feed_seq, "
		"detail = EXCLUDED.detail",
		6, p);
}

struct heartbeat_visit {
	int (*cb)(const struct reg_heartbeat *, void *);
	void *ctx;
};

static int visit_heartbeat(const PGresult *res, int row, void *arg)
{
	struct heartbeat_visit *v = arg;
	struct reg_heartbeat h;

	memset(&h, 0, sizeof(h));
	pg_get_text(res, row, 0, h.component, sizeof(h.component));
	pg_get_text(res, row, 1, h.node, sizeof(h.node));
	pg_get_text(res, row, 2, h.school, sizeof(h.school));
	h.seen = (time_t)pg_get_i64(res, row, 3);
	h.feed_seq = pg_get_i64(res, row, 4);
	pg_get_text(res, row, 5, h.detail, sizeof(h.detail));
	return v->cb(&h, v->ctx);
}

int pg_heartbeat_list(struct reg_db *be, const char *schools,
		      int (*cb)(const struct reg_heartbeat *, void *), void *ctx,
		      struct byod_err *err)
{
	const char *p[1] = {schools};
	struct heartbeat_visit v = {cb, ctx};

	return pg_rows(PG(be), "listing heartbeats",
		       "SELECT component, node, school, seen, feed_seq, detail FROM heartbeats "
		       "WHERE " IN_SCHOOLS " ORDER BY component, node, school",
		       1, p, visit_heartbeat, &v, err);
}
