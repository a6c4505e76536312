// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The PostgreSQL backend's part of departures at a date: the active
 * people whose leaving date (people.leaves_at) has come, which the daily
 * job disables. Validation and audit are registry.c's; the date itself is
 * written with the rest of the person's row (postgres_tables.c).
 */
#include <errno.h>
#include <string.h>

#include <libpq-fe.h>

#include "pg_int.h"

struct leaving_visit {
	reg_person_cb cb;
	void *ctx;
};

static int visit_leaving(const PGresult *r, int i, void *arg)
{
	struct leaving_visit *v = arg;
	struct reg_person p;
	int rc;

	rc = pg_read_person(r, i, &p) ? -EIO : v->cb(&p, v->ctx);
	explicit_bzero(&p, sizeof(p));
	return rc;
}

int pg_person_list_leaving(struct reg_db *be, time_t now, reg_person_cb cb, void *ctx,
			   struct byod_err *err)
{
	struct leaving_visit v = {cb, ctx};
	char at[24];
	const char *p[1] = {at};

	pg_i64(at, (int64_t)now);
	return pg_each(PG(be), "listing people leaving",
		       "SELECT " PG_PERSON_COLUMNS " FROM people WHERE state = 'active' "
		       "AND leaves_at > 0 AND leaves_at <= $1 ORDER BY login",
		       1, p, visit_leaving, &v, err);
}
