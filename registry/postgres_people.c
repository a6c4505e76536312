// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The PostgreSQL backend's part of the console's People pages: the login
 * throttle's rows of one login (its locks on each address), read by
 * prefix; the placeholders pg_throttle_lock leaves inside a transaction
 * (last_failure < 0) are no state and are not returned. Validation is
 * web.c's.
 */
#include <errno.h>
#include <string.h>

#include <libpq-fe.h>

#include "pg_int.h"

struct throttle_visit {
	int (*cb)(const struct reg_throttle *, void *);
	void *ctx;
};

static int visit_throttle(const PGresult *r, int i, void *arg)
{
	struct throttle_visit *v = arg;
	struct reg_throttle t;

	memset(&t, 0, sizeof(t));
	pg_get_text(r, i, 0, t.key, sizeof(t.key));
	t.failures = (int)pg_get_i64(r, i, 1);
	t.last_failure = (time_t)pg_get_i64(r, i, 2);
	t.locked_until = (time_t)pg_get_i64(r, i, 3);
	return v->cb(&t, v->ctx);
}

/* left(), not LIKE: a prefix holding '%', '_' or '\' means itself */
int pg_throttle_list_prefix(struct reg_db *be, const char *prefix,
			    int (*cb)(const struct reg_throttle *, void *), void *ctx,
			    struct byod_err *err)
{
	struct throttle_visit v = {cb, ctx};
	const char *p[1] = {prefix};

	return pg_rows(PG(be), "listing throttles",
		       "SELECT key, failures, last_failure, locked_until FROM web_throttle "
		       "WHERE left(key, char_length($1::text)) = $1::text AND last_failure >= 0 "
		       "ORDER BY key COLLATE \"C\"",
		       1, p, visit_throttle, &v, err);
}
