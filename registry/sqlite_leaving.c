// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The SQLite backend's part of departures at a date: the active people
 * whose leaving date (people.leaves_at) has come, which the daily job
 * disables. Validation and audit are registry.c's; the date itself is
 * written with the rest of the person's row (sqlite.c).
 */
#include <errno.h>
#include <string.h>

#include <sqlite3.h>

#include "sqlite_int.h"

struct leaving_visit {
	reg_person_cb cb;
	void *ctx;
};

static int visit_leaving(sqlite3_stmt *st, void *arg)
{
	struct leaving_visit *v = arg;
	struct reg_person p;
	int rc;

	rc = sq_read_person(st, &p) ? -EIO : v->cb(&p, v->ctx);
	explicit_bzero(&p, sizeof(p));
	return rc;
}

int sq_person_list_leaving(struct reg_db *be, time_t now, reg_person_cb cb, void *ctx,
			   struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct leaving_visit v = {cb, ctx};
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err,
			"SELECT " SQ_PERSON_COLUMNS " FROM people WHERE state = 'active' "
			"AND leaves_at > 0 AND leaves_at <= ? ORDER BY login",
			"i", (int64_t)now);
	return rc ? rc : sq_each(s, st, visit_leaving, &v, "listing people leaving", err);
}
