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

int sq_cert_supersede(struct reg_db *be, const char *old, const char *by, time_t when, int *done,
		      struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc, n = 0;

	rc = sq_prepare(s, &st, err,
			"UPDATE certificates SET state = 'revoked', revoked_at = ?, reason = ? "
			"WHERE serial = ? AND state = 'valid' AND EXISTS (SELECT 1 FROM "
			"certificates n WHERE n.serial = ? AND n.replaces = ? AND "
			"n.first_seen <> 0)",
			"iittt", (int64_t)when, (int64_t)REG_REASON_SUPERSEDED, old, by, old);
	if (!rc)
		rc = sq_run(s, st, &n, "revoking a superseded certificate", err);
	if (!rc)
		*done = n == 1;
	return rc;
}

/* The transaction (BEGIN IMMEDIATE) already holds the database's write
 * lock: only say whether the device is there. */
int sq_device_lock(struct reg_db *be, const char *id, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err, "SELECT 1 FROM devices WHERE id = ?", "t", id);
	if (!rc)
		rc = sq_one(s, st, "locking a device", err);
	return rc;
}
