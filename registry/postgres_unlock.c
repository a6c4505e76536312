// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The PostgreSQL backend's teacher unlocks (the unlocks table of its
 * schema version 2), as sqlite_unlock.c: insert, read, end, and the list
 * of those live at an instant. The database also checks the time span
 * (CHECK), which registry/reg_unlock.c checks first for a readable
 * sentence.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pg_int.h"

#define UNLOCK_COLS                                                                                \
	"u.id, u.school, u.group_name, u.teacher, p.login, u.starts, u.ends, u.ended, "            \
	"u.created FROM unlocks u JOIN people p ON p.id = u.teacher"

static void read_unlock(const PGresult *r, int i, struct reg_unlock *u)
{
	memset(u, 0, sizeof(*u));
	u->id = pg_get_i64(r, i, 0);
	pg_get_text(r, i, 1, u->school, sizeof(u->school));
	pg_get_text(r, i, 2, u->group, sizeof(u->group));
	u->teacher = pg_get_i64(r, i, 3);
	pg_get_text(r, i, 4, u->teacher_login, sizeof(u->teacher_login));
	u->starts = (time_t)pg_get_i64(r, i, 5);
	u->ends = (time_t)pg_get_i64(r, i, 6);
	u->ended = (time_t)pg_get_i64(r, i, 7);
	u->created = (time_t)pg_get_i64(r, i, 8);
}

int pg_unlock_insert(struct reg_db *be, struct reg_unlock *u, struct byod_err *err)
{
	cleanup_pgres PGresult *r = NULL;
	char teacher[24], starts[24], ends[24], ended[24], created[24];
	const char *v[] = {u->school, u->group, teacher, starts, ends, ended, created};
	int rc;

	pg_i64(teacher, u->teacher);
	pg_i64(starts, (int64_t)u->starts);
	pg_i64(ends, (int64_t)u->ends);
	pg_i64(ended, (int64_t)u->ended);
	pg_i64(created, (int64_t)u->created);
	rc = pg_one(PG(be), &r, err, "storing an unlock",
		    "INSERT INTO unlocks (school, group_name, teacher, starts, ends, ended, "
		    "created) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
		    7, v);
	if (!rc)
		u->id = pg_get_i64(r, 0, 0);
	return rc;
}

int pg_unlock_get(struct reg_db *be, int64_t id, struct reg_unlock *out, struct byod_err *err)
{
	cleanup_pgres PGresult *r = NULL;
	char a[24];
	const char *p[] = {a};
	int rc;

	pg_i64(a, id);
	rc = pg_one(PG(be), &r, err, "reading an unlock",
		    "SELECT " UNLOCK_COLS " WHERE u.id = $1::bigint", 1, p);
	if (!rc)
		read_unlock(r, 0, out);
	return rc;
}

int pg_unlock_set_ended(struct reg_db *be, int64_t id, time_t ended, struct byod_err *err)
{
	char a[24], b[24];
	const char *p[] = {a, b};
	int rc, changes = 0;

	pg_i64(a, (int64_t)ended);
	pg_i64(b, id);
	rc = pg_command(PG(be), &changes, err, "ending an unlock",
			"UPDATE unlocks SET ended = $1::bigint WHERE id = $2::bigint", 2, p);
	if (!rc && !changes)
		rc = byod_err_set(err, ENOENT, "no unlock %lld", (long long)id);
	return rc;
}

struct unlock_visit {
	int (*cb)(const struct reg_unlock *, void *);
	void *ctx;
};

static int visit_unlock(const PGresult *r, int i, void *arg)
{
	struct unlock_visit *v = arg;
	struct reg_unlock u;

	read_unlock(r, i, &u);
	return v->cb(&u, v->ctx);
}

int pg_unlock_list_active(struct reg_db *be, const char *school, time_t now,
			  int (*cb)(const struct reg_unlock *, void *), void *ctx,
			  struct byod_err *err)
{
	struct unlock_visit v = {cb, ctx};
	char t[24];
	const char *p[] = {t, school};

	pg_i64(t, (int64_t)now);
	/* school NULL binds SQL NULL: every school */
	return pg_rows(PG(be), "listing unlocks",
		       "SELECT " UNLOCK_COLS " WHERE u.ended = 0 AND u.starts <= $1::bigint AND "
		       "u.ends > $1::bigint AND ($2::text IS NULL OR u.school = $2::text) "
		       "ORDER BY u.school COLLATE \"C\", u.group_name COLLATE \"C\", u.id",
		       2, p, visit_unlock, &v, err);
}
