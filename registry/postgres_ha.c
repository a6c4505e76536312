// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What a PostgreSQL server says of replication, for reg_ha_status (byodctl
 * doctor, the metrics, the tests of a standby): which server this handle
 * reached (libpq may have chosen it among several hosts), whether it is a
 * standby and how far behind it replays, the feed's head it holds, and on a
 * primary each standby of pg_stat_replication with its lag. The lag columns
 * are NULL for a role without pg_monitor: read as -1, "unknown".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "pg_int.h"

static double get_double(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? -1 : strtod(PQgetvalue(r, row, col), NULL);
}

static int64_t get_i64_or(const PGresult *r, int row, int col, int64_t none)
{
	return PQgetisnull(r, row, col) ? none : pg_get_i64(r, row, col);
}

static int put_standby(const PGresult *r, int i, void *arg)
{
	struct reg_ha_status *out = arg;
	struct reg_ha_standby *s;

	if (out->nstandbys >= REG_HA_STANDBYS_MAX)
		return 0;
	s = &out->standbys[out->nstandbys++];
	pg_get_text(r, i, 0, s->name, sizeof(s->name));
	pg_get_text(r, i, 1, s->addr, sizeof(s->addr));
	pg_get_text(r, i, 2, s->state, sizeof(s->state));
	pg_get_text(r, i, 3, s->sync_state, sizeof(s->sync_state));
	s->lag_bytes = get_i64_or(r, i, 4, -1);
	s->replay_lag_s = get_double(r, i, 5);
	return 0;
}

int pg_ha_status(struct reg_db *be, struct reg_ha_status *out, struct byod_err *err)
{
	struct pg_db *db = PG(be);
	cleanup_pgres PGresult *r = NULL;
	const char *host, *port;
	int rc;

	rc = pg_one(db, &r, err, "reading the replication status",
		    "SELECT pg_is_in_recovery(), (SELECT COALESCE(max(seq), 0) FROM events), "
		    /* a standby that streams and has replayed all it received is
		     * not behind, however long ago the last commit was (a quiet
		     * night); one whose replication stopped is as old as its last
		     * replayed commit (its receive LSN stays where it stopped;
		     * pg_monitor sees the receiver's status) */
		    "CASE WHEN NOT pg_is_in_recovery() THEN NULL "
		    "WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() AND EXISTS "
		    "(SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming') THEN 0 "
		    "ELSE extract(epoch from now() - pg_last_xact_replay_timestamp()) END, "
		    "current_setting('synchronous_standby_names'), "
		    "extract(epoch from clock_timestamp())",
		    0, NULL);
	if (rc)
		return rc;
	/* the server the connection reached, once it answered */
	host = PQhost(db->conn);
	port = PQport(db->conn);
	snprintf(out->server, sizeof(out->server), "%.120s%s%.8s", host ? host : "",
		 port && port[0] ? ":" : "", port ? port : "");
	out->in_recovery = !strcmp(PQgetvalue(r, 0, 0), "t");
	out->feed_head = pg_get_i64(r, 0, 1);
	out->replay_delay_s = get_double(r, 0, 2);
	pg_get_text(r, 0, 3, out->sync_names, sizeof(out->sync_names));
	out->server_time = get_double(r, 0, 4);
	if (out->in_recovery)
		return 0; /* pg_current_wal_lsn() is refused during recovery */
	return pg_rows(db, "reading the standbys",
		       "SELECT application_name, COALESCE(host(client_addr), ''), state, "
		       "sync_state, pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint, "
		       "extract(epoch from replay_lag) FROM pg_stat_replication "
		       "ORDER BY application_name",
		       0, NULL, put_standby, out, err);
}
