// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The SQLite backend's part of renewal: a certificate's first sighting at
 * RADIUS (the first_seen column of the certificates table), written once.
 * What it means (the certificate it replaces revoked) is registry/reg_renew.c's.
 */
#include <errno.h>
#include <string.h>

#include "sqlite_int.h"

int sq_cert_set_seen(struct reg_db *be, const char *serial, time_t when, int *set,
		     struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc, n = 0;

	rc = sq_prepare(
		s, &st, err,
		"UPDATE certificates SET first_seen = ? WHERE serial = ? AND first_seen = 0", "it",
		(int64_t)when, serial);
	if (!rc)
		rc = sq_run(s, st, &n, "recording a certificate's first sighting", err);
	if (!rc)
		*set = n == 1;
	return rc;
}
