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
