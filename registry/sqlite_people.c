// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The SQLite backend's part of the console's People pages: the login
 * throttle's rows of one login (its locks on each address), read by
 * prefix. Validation is web.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "sqlite_int.h"

struct throttle_visit {
	int (*cb)(const struct reg_throttle *, void *);
	void *ctx;
};

static int visit_throttle(sqlite3_stmt *st, void *arg)
{
	struct throttle_visit *v = arg;
	struct reg_throttle t;

	memset(&t, 0, sizeof(t));
	snprintf(t.key, sizeof(t.key), "%s", (const char *)sqlite3_column_text(st, 0));
	t.failures = sqlite3_column_int(st, 1);
	t.last_failure = (time_t)sqlite3_column_int64(st, 2);
	t.locked_until = (time_t)sqlite3_column_int64(st, 3);
	return v->cb(&t, v->ctx);
}

int sq_throttle_list_prefix(struct reg_db *be, const char *prefix,
			    int (*cb)(const struct reg_throttle *, void *), void *ctx,
			    struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct throttle_visit v = {cb, ctx};
	struct sq *s = sq_of(be);
	int rc;

	/* substr, not LIKE: a prefix holding '%' or '_' means itself */
	rc = sq_prepare(s, &st, err,
			"SELECT key, failures, last_failure, locked_until FROM web_throttle "
			"WHERE substr(key, 1, length(?1)) = ?1 ORDER BY key",
			"t", prefix);
	return rc ? rc : sq_each(s, st, visit_throttle, &v, "listing throttles", err);
}
