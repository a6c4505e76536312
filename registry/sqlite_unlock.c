// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The SQLite backend's teacher unlocks (the unlocks table of schema
 * version 8): insert, read, end, and the list of those live at an instant,
 * which the RADIUS module's and the gateway's policy facts come from.
 * Inputs are checked by registry/reg_unlock.c.
 */
#include <errno.h>
#include <string.h>

#include "sqlite_int.h"

#define UNLOCK_COLS                                                                                \
	"u.id, u.school, u.group_name, u.teacher, p.login, u.starts, u.ends, u.ended, "            \
	"u.created FROM unlocks u JOIN people p ON p.id = u.teacher"

static void read_unlock(sqlite3_stmt *st, struct reg_unlock *u)
{
	memset(u, 0, sizeof(*u));
	u->id = sqlite3_column_int64(st, 0);
	col_text(st, 1, u->school, sizeof(u->school));
	col_text(st, 2, u->group, sizeof(u->group));
	u->teacher = sqlite3_column_int64(st, 3);
	col_text(st, 4, u->teacher_login, sizeof(u->teacher_login));
	u->starts = (time_t)sqlite3_column_int64(st, 5);
	u->ends = (time_t)sqlite3_column_int64(st, 6);
	u->ended = (time_t)sqlite3_column_int64(st, 7);
	u->created = (time_t)sqlite3_column_int64(st, 8);
}

int sq_unlock_insert(struct reg_db *be, struct reg_unlock *u, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err,
			"INSERT INTO unlocks (school, group_name, teacher, starts, ends, ended, "
			"created) VALUES (?, ?, ?, ?, ?, ?, ?)",
			"ttiiiii", u->school, u->group, u->teacher, (int64_t)u->starts,
			(int64_t)u->ends, (int64_t)u->ended, (int64_t)u->created);
	if (!rc)
		rc = sq_run(s, st, NULL, "storing an unlock", err);
	if (!rc)
		u->id = sqlite3_last_insert_rowid(s->db);
	return rc;
}

int sq_unlock_get(struct reg_db *be, int64_t id, struct reg_unlock *out, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err, "SELECT " UNLOCK_COLS " WHERE u.id = ?", "i", id);
	if (!rc)
		rc = sq_one(s, st, "reading an unlock", err);
	if (!rc)
		read_unlock(st, out);
	return rc;
}

int sq_unlock_set_ended(struct reg_db *be, int64_t id, time_t ended, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc, changes = 0;

	rc = sq_prepare(s, &st, err, "UPDATE unlocks SET ended = ? WHERE id = ?", "ii",
			(int64_t)ended, id);
	if (!rc)
		rc = sq_run(s, st, &changes, "ending an unlock", err);
	if (!rc && !changes)
		rc = byod_err_set(err, ENOENT, "no unlock %lld", (long long)id);
	return rc;
}

struct unlock_visit {
	int (*cb)(const struct reg_unlock *, void *);
	void *ctx;
};

static int visit_unlock(sqlite3_stmt *st, void *arg)
{
	struct unlock_visit *v = arg;
	struct reg_unlock u;

	read_unlock(st, &u);
	return v->cb(&u, v->ctx);
}

int sq_unlock_list_active(struct reg_db *be, const char *school, time_t now,
			  int (*cb)(const struct reg_unlock *, void *), void *ctx,
			  struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct unlock_visit v = {cb, ctx};
	struct sq *s = sq_of(be);
	int rc;

	if (school)
		rc = sq_prepare(s, &st, err,
				"SELECT " UNLOCK_COLS " WHERE u.ended = 0 AND u.starts <= ? AND "
				"u.ends > ? AND u.school = ? ORDER BY u.school, u.group_name, u.id",
				"iit", (int64_t)now, (int64_t)now, school);
	else
		rc = sq_prepare(s, &st, err,
				"SELECT " UNLOCK_COLS " WHERE u.ended = 0 AND u.starts <= ? AND "
				"u.ends > ? ORDER BY u.school, u.group_name, u.id",
				"ii", (int64_t)now, (int64_t)now);
	return rc ? rc : sq_each(s, st, visit_unlock, &v, "listing unlocks", err);
}
