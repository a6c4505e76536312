// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The SQLite backend's decision counts and heartbeats (reg_stats.c): the
 * tables of migration 8, an upsert that adds to a count, and the lists
 * the console reads, filtered by a scope's schools in SQL.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sqlite_int.h"

/* A UAI in a space-separated list: ' ' || list || ' ' holds ' ' || uai || ' '.
 * ?1 NULL: every school, rows of no school included. */
#define IN_SCHOOLS                                                                                 \
	"(?1 IS NULL OR (school <> '' AND instr(' ' || ?1 || ' ', ' ' || school || ' ') > 0))"

int sq_decision_add(struct reg_db *be, const struct reg_decision_count *r, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(
		s, &st, err,
		"INSERT INTO decision_counts (school, minute, node, segment, reason, count) "
		"VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (school, minute, node, segment, "
		"reason) DO UPDATE SET count = count + excluded.count",
		"tittti", r->school, (int64_t)r->minute, r->node, r->segment, r->reason, r->count);
	return rc ? rc : sq_run(s, st, NULL, "adding decision counts", err);
}

struct decision_visit {
	int (*cb)(const struct reg_decision_count *, void *);
	void *ctx;
};

static int visit_decision(sqlite3_stmt *st, void *arg)
{
	struct decision_visit *v = arg;
	struct reg_decision_count r;

	memset(&r, 0, sizeof(r));
	col_text(st, 0, r.school, sizeof(r.school));
	r.minute = (time_t)sqlite3_column_int64(st, 1);
	col_text(st, 2, r.node, sizeof(r.node));
	col_text(st, 3, r.segment, sizeof(r.segment));
	col_text(st, 4, r.reason, sizeof(r.reason));
	r.count = sqlite3_column_int64(st, 5);
	return v->cb(&r, v->ctx);
}

int sq_decision_list(struct reg_db *be, const char *schools, const char *school, time_t from,
		     time_t to, int (*cb)(const struct reg_decision_count *, void *), void *ctx,
		     struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct decision_visit v = {cb, ctx};
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err,
			"SELECT school, minute, node, segment, reason, count FROM decision_counts "
			"WHERE " IN_SCHOOLS " AND (?2 IS NULL OR school = ?2) AND minute >= ?3 "
			"AND (?4 = 0 OR minute < ?4) "
			"ORDER BY minute, school, node, segment, reason",
			"ttii", schools, school, (int64_t)from, (int64_t)to);
	return rc ? rc : sq_each(s, st, visit_decision, &v, "listing decision counts", err);
}

int sq_decision_purge(struct reg_db *be, time_t before, int *changes, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err, "DELETE FROM decision_counts WHERE minute < ?", "i",
			(int64_t)before);
	return rc ? rc : sq_run(s, st, changes, "deleting decision counts", err);
}

int sq_heartbeat_put(struct reg_db *be, const struct reg_heartbeat *hb, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err,
			"INSERT INTO heartbeats (component, node, school, seen, feed_seq, detail) "
			"VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (component, node, school) DO UPDATE "
			"SET seen = excluded.seen, feed_seq = excluded.feed_seq, "
			"detail = excluded.detail",
			"tttiit", hb->component, hb->node, hb->school, (int64_t)hb->seen,
			hb->feed_seq, hb->detail);
	return rc ? rc : sq_run(s, st, NULL, "writing a heartbeat", err);
}

struct heartbeat_visit {
	int (*cb)(const struct reg_heartbeat *, void *);
	void *ctx;
};

static int visit_heartbeat(sqlite3_stmt *st, void *arg)
{
	struct heartbeat_visit *v = arg;
	struct reg_heartbeat h;

	memset(&h, 0, sizeof(h));
	col_text(st, 0, h.component, sizeof(h.component));
	col_text(st, 1, h.node, sizeof(h.node));
	col_text(st, 2, h.school, sizeof(h.school));
	h.seen = (time_t)sqlite3_column_int64(st, 3);
	h.feed_seq = sqlite3_column_int64(st, 4);
	col_text(st, 5, h.detail, sizeof(h.detail));
	return v->cb(&h, v->ctx);
}

int sq_heartbeat_list(struct reg_db *be, const char *schools,
		      int (*cb)(const struct reg_heartbeat *, void *), void *ctx,
		      struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct heartbeat_visit v = {cb, ctx};
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err,
			"SELECT component, node, school, seen, feed_seq, detail FROM heartbeats "
			"WHERE " IN_SCHOOLS " ORDER BY component, node, school",
			"t", schools);
	return rc ? rc : sq_each(s, st, visit_heartbeat, &v, "listing heartbeats", err);
}
