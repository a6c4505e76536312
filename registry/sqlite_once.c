// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The SQLite backend's single-use keys (the table once_keys of schema
 * version 16): each use decided by one statement, so that of two
 * connections using one key exactly one changes its row. A put is an
 * upsert that replaces only an expired row; a take is a DELETE ...
 * RETURNING of a live one (SQLite 3.35 and later). Validation is
 * reg_once.c's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "sqlite_int.h"

int sq_once_put(struct reg_db *be, const char *key, const char *data, time_t now, time_t expires,
		int *changes, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err,
			"INSERT INTO once_keys (key, data, expires) VALUES (?1, ?2, ?3) "
			"ON CONFLICT (key) DO UPDATE SET data = excluded.data, "
			"expires = excluded.expires WHERE once_keys.expires <= ?4",
			"ttii", key, data, (int64_t)expires, (int64_t)now);
	return rc ? rc : sq_run(s, st, changes, "storing a single-use key", err);
}

int sq_once_take(struct reg_db *be, const char *key, time_t now, char **data,
		 struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	const unsigned char *t;
	int rc;

	rc = sq_prepare(s, &st, err,
			"DELETE FROM once_keys WHERE key = ? AND expires > ? RETURNING data", "ti",
			key, (int64_t)now);
	if (!rc)
		rc = sq_one(s, st, "taking a single-use key", err);
	if (rc)
		return rc;
	t = sqlite3_column_text(st, 0);
	*data = strdup(t ? (const char *)t : "");
	return *data ? 0 : byod_err_set(err, ENOMEM, "out of memory");
}

int sq_once_purge(struct reg_db *be, time_t now, int *deleted, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err, "DELETE FROM once_keys WHERE expires <= ?", "i",
			(int64_t)now);
	return rc ? rc : sq_run(s, st, deleted, "purging single-use keys", err);
}
