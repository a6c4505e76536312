// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The PostgreSQL backend's part of renewal: a certificate's first sighting
 * at RADIUS (the first_seen column of the certificates table), written
 * once. What it means (the certificate it replaces revoked) is
 * registry/reg_renew.c's.
 */
#include <errno.h>
#include <string.h>

#include "pg_int.h"

int pg_cert_set_seen(struct reg_db *be, const char *serial, time_t when, int *set,
		     struct byod_err *err)
{
	char w[24];
	const char *v[] = {w, serial};
	int rc, n = 0;

	pg_i64(w, (int64_t)when);
	rc = pg_command(
		PG(be), &n, err, "recording a certificate's first sighting",
		"UPDATE certificates SET first_seen = $1 WHERE serial = $2 AND first_seen = 0", 2,
		v);
	if (!rc)
		*set = n == 1;
	return rc;
}

/* Through cert_supersede() (registry/postgres_schema.c, migration 6): a
 * RADIUS node may write first_seen and nothing else of a certificate. */
int pg_cert_supersede(struct reg_db *be, const char *old, const char *by, time_t when, int *done,
		      struct byod_err *err)
{
	cleanup_pgres PGresult *r = NULL;
	char w[24];
	const char *v[] = {old, by, w};
	int rc;

	pg_i64(w, (int64_t)when);
	rc = pg_one(PG(be), &r, err, "revoking a superseded certificate",
		    "SELECT cert_supersede($1, $2, $3)", 3, v);
	if (!rc)
		*done = pg_get_i64(r, 0, 0) == 1;
	return rc;
}

/* The device's row locked until the transaction ends: two renewals of one
 * device (READ COMMITTED) run one after the other, the second seeing the
 * first's certificate. */
int pg_device_lock(struct reg_db *be, const char *id, struct byod_err *err)
{
	cleanup_pgres PGresult *r = NULL;
	const char *v[] = {id};

	return pg_one(PG(be), &r, err, "locking a device",
		      "SELECT 1 FROM devices WHERE id = $1 FOR UPDATE", 1, v);
}
