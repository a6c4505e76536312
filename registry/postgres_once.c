// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The PostgreSQL backend's single-use keys (the table once_keys of schema
 * version 11), as sqlite_once.c: each use is one statement. Under READ
 * COMMITTED the second of two concurrent statements on one key waits for
 * the first's row lock, then re-reads the row: a second INSERT ... ON
 * CONFLICT finds the live row the first wrote and its WHERE refuses the
 * update; a second DELETE ... RETURNING finds no row left. Either way
 * exactly one of them changes the row.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pg_int.h"

int pg_once_put(struct reg_db *be, const char *key, const char *data, time_t now, time_t expires,
		int *changes, struct byod_err *err)
{
	char e[24], n[24];
	const char *p[] = {key, data, e, n};

	pg_i64(e, (int64_t)expires);
	pg_i64(n, (int64_t)now);
	return pg_command(PG(be), changes, err, "storing a single-use key",
			  "INSERT INTO once_keys (key, data, expires) VALUES ($1, $2, $3::bigint) "
			  "ON CONFLICT (key) DO UPDATE SET data = excluded.data, "
			  "expires = excluded.expires WHERE once_keys.expires <= $4::bigint",
			  4, p);
}

int pg_once_take(struct reg_db *be, const char *key, time_t now, char **data,
		 struct byod_err *err)
{
	cleanup_pgres PGresult *r = NULL;
	char n[24];
	const char *p[] = {key, n};
	int rc;

	pg_i64(n, (int64_t)now);
	rc = pg_one(PG(be), &r, err, "taking a single-use key",
		    "DELETE FROM once_keys WHERE key = $1 AND expires > $2::bigint RETURNING data",
		    2, p);
	if (rc)
		return rc;
	*data = strdup(PQgetvalue(r, 0, 0));
	return *data ? 0 : byod_err_set(err, ENOMEM, "out of memory");
}

int pg_once_purge(struct reg_db *be, time_t now, int *deleted, struct byod_err *err)
{
	char n[24];
	const char *p[] = {n};

	pg_i64(n, (int64_t)now);
	return pg_command(PG(be), deleted, err, "purging single-use keys",
			  "DELETE FROM once_keys WHERE expires <= $1::bigint", 1, p);
}
