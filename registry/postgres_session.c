// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The PostgreSQL backend's RADIUS accounting sessions (kept for the legal
 * retention): the same rows and the same answers as sqlite_session.c's,
 * through libpq. The table comes from postgres.c's migrations; every value
 * travels as a text parameter (pg_int.h), an empty text as SQL NULL.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_int.h"

#define SESSION_SELECT                                                                             \
	"SELECT id, session_id, nas_ip, nas_id, device, mac, ip, serial, started, updated, "       \
	"stopped, in_octets, out_octets, state FROM sessions "

/* Every text but session_id is stored as NULL when "" (device is a
 * foreign key), and read back as "". */
static const char *null_if_empty(const char *s)
{
	return s && s[0] ? s : NULL;
}

static int read_session(const PGresult *r, int row, struct reg_session *ss)
{
	char state[16];

	memset(ss, 0, sizeof(*ss));
	ss->id = pg_get_i64(r, row, 0);
	pg_get_text(r, row, 1, ss->session_id, sizeof(ss->session_id));
	pg_get_text(r, row, 2, ss->nas_ip, sizeof(ss->nas_ip));
	pg_get_text(r, row, 3, ss->nas_id, sizeof(ss->nas_id));
	pg_get_text(r, row, 4, ss->device, sizeof(ss->device));
	pg_get_text(r, row, 5, ss->mac, sizeof(ss->mac));
	pg_get_text(r, row, 6, ss->ip, sizeof(ss->ip));
	pg_get_text(r, row, 7, ss->serial, sizeof(ss->serial));
	ss->started = (time_t)pg_get_i64(r, row, 8);
	ss->updated = (time_t)pg_get_i64(r, row, 9);
	ss->stopped = (time_t)pg_get_i64(r, row, 10);
	ss->in_octets = pg_get_i64(r, row, 11);
	ss->out_octets = pg_get_i64(r, row, 12);
	pg_get_text(r, row, 13, state, sizeof(state));
	return reg_session_state_parse(state, &ss->state) ? -EIO : 0;
}

/* The first row of r into out: -ENOENT when r has none. */
static int session_one(struct pg_db *db, const PGresult *r, struct reg_session *out,
		       struct byod_err *err)
{
	if (PQntuples(r) < 1)
		return byod_err_set(err, ENOENT, "no such session");
	if (read_session(r, 0, out))
		return byod_err_set(err, EIO, "registry %s: a session's row is corrupt", db->where);
	return 0;
}

/* IS NOT DISTINCT FROM, not =: an absent NAS-IP-Address or NAS-Identifier
 * is a NULL that must match the NULL stored for it. */
int pg_session_find(struct reg_db *be, const char *session_id, const char *nas_ip,
		    const char *nas_id, struct reg_session *out, struct byod_err *err)
{
	const char *p[3] = {session_id, null_if_empty(nas_ip), null_if_empty(nas_id)};
	cleanup_pgres PGresult *r = NULL;
	struct pg_db *db = PG(be);
	int rc;

	rc = pg_exec(db, &r, err, "reading a session",
		     SESSION_SELECT "WHERE session_id = $1 AND nas_ip IS NOT DISTINCT FROM $2 "
				    "AND nas_id IS NOT DISTINCT FROM $3 ORDER BY id DESC LIMIT 1",
		     3, p);
	return rc ? rc : session_one(db, r, out, err);
}

/* stopped is NULL while the session is open. */
int pg_session_insert(struct reg_db *be, struct reg_session *ss, struct byod_err *err)
{
	char started[24], updated[24], stopped[24], in[24], out[24];
	const char *p[13] = {
		ss->session_id,
		null_if_empty(ss->nas_ip),
		null_if_empty(ss->nas_id),
		null_if_empty(ss->device),
		null_if_empty(ss->mac),
		null_if_empty(ss->ip),
		null_if_empty(ss->serial),
		started,
		updated,
		stopped,
		in,
		out,
		reg_session_state_name(ss->state),
	};
	cleanup_pgres PGresult *r = NULL;
	int rc;

	pg_i64(started, (int64_t)ss->started);
	pg_i64(updated, (int64_t)ss->updated);
	pg_i64(stopped, (int64_t)ss->stopped);
	pg_i64(in, ss->in_octets);
	pg_i64(out, ss->out_octets);
	rc = pg_exec(PG(be), &r, err, "adding a session",
		     "INSERT INTO sessions (session_id, nas_ip, nas_id, device, mac, ip, serial, "
		     "started, updated, stopped, in_octets, out_octets, state) "
		     "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULLIF($10::bigint, 0), $11, "
		     "$12, $13) RETURNING id",
		     13, p);
	if (!rc && PQntuples(r) != 1)
		rc = byod_err_set(err, EIO, "registry %s: adding a session returned no id",
				  PG(be)->where);
	if (!rc)
		ss->id = pg_get_i64(r, 0, 0);
	return rc;
}

int pg_session_update(struct reg_db *be, const struct reg_session *ss, struct byod_err *err)
{
	char started[24], updated[24], stopped[24], in[24], out[24], id[24];
	const char *p[11] = {
		null_if_empty(ss->device),
		null_if_empty(ss->mac),
		null_if_empty(ss->ip),
		null_if_empty(ss->serial),
		started,
		updated,
		stopped,
		in,
		out,
		reg_session_state_name(ss->state),
		id,
	};
	int rc, n = 0;

	pg_i64(started, (int64_t)ss->started);
	pg_i64(updated, (int64_t)ss->updated);
	pg_i64(stopped, (int64_t)ss->stopped);
	pg_i64(in, ss->in_octets);
	pg_i64(out, ss->out_octets);
	pg_i64(id, ss->id);
	rc = pg_command(PG(be), &n, err, "updating a session",
			"UPDATE sessions SET device = $1, mac = $2, ip = $3, serial = $4, "
			"started = $5, updated = $6, stopped = NULLIF($7::bigint, 0), "
			"in_octets = $8, out_octets = $9, state = $10 WHERE id = $11",
			11, p);
	if (!rc && n != 1)
		rc = byod_err_set(err, ENOENT, "registry %s: no session with id %lld",
				  PG(be)->where, (long long)ss->id);
	return rc;
}

int pg_session_get(struct reg_db *be, int64_t id, struct reg_session *out, struct byod_err *err)
{
	cleanup_pgres PGresult *r = NULL;
	struct pg_db *db = PG(be);
	char sid[24];
	const char *p[1] = {sid};
	int rc;

	pg_i64(sid, id);
	rc = pg_exec(db, &r, err, "reading a session", SESSION_SELECT "WHERE id = $1", 1, p);
	return rc ? rc : session_one(db, r, out, err);
}

struct session_visit {
	int (*cb)(const struct reg_session *, void *);
	void *ctx;
	struct pg_db *db;
	struct byod_err *err;
};

static int visit_session(const PGresult *r, int i, void *arg)
{
	struct session_visit *v = arg;
	struct reg_session ss;

	if (read_session(r, i, &ss))
		return byod_err_set(v->err, EIO, "registry %s: a session's row is corrupt",
				    v->db->where);
	return v->cb(&ss, v->ctx);
}

/* One query text per filter, each naming its conditions literally so that
 * the planner can use the index sessions_device or the partial index
 * sessions_open. Read through a cursor a batch at a time (pg_each): a
 * year of accounting is millions of rows, never held in memory at once. A
 * callback may read the registry, as pg_each allows. */
int pg_session_list(struct reg_db *be, int open_only, const char *device,
		    int (*cb)(const struct reg_session *, void *), void *ctx, struct byod_err *err)
{
	static const char *const sql[2][2] = {
		{SESSION_SELECT "ORDER BY started DESC, id DESC",
		 SESSION_SELECT "WHERE device = $1 ORDER BY started DESC, id DESC"},
		{SESSION_SELECT "WHERE state = 'open' ORDER BY started DESC, id DESC",
		 SESSION_SELECT "WHERE state = 'open' AND device = $1 "
				"ORDER BY started DESC, id DESC"},
	};
	struct session_visit v = {cb, ctx, PG(be), err};
	const char *p[1] = {device};

	return pg_each(PG(be), "listing sessions", sql[!!open_only][device != NULL], device ? 1 : 0,
		       device ? p : NULL, visit_session, &v, err);
}

/* The sessions of a school's devices, joined through their owners. */
#define SCHOOL_SESSION_SELECT                                                                      \
	"SELECT s.id, s.session_id, s.nas_ip, s.nas_id, s.device, s.mac, s.ip, s.serial, "         \
	"s.started, s.updated, s.stopped, s.in_octets, s.out_octets, s.state FROM sessions s "     \
	"JOIN devices d ON d.id = s.device JOIN people p ON p.id = d.owner WHERE p.school = $1 "

int pg_session_list_school(struct reg_db *be, int open_only, const char *school,
			   int (*cb)(const struct reg_session *, void *), void *ctx,
			   struct byod_err *err)
{
	static const char *const sql[2] = {
		SCHOOL_SESSION_SELECT "ORDER BY s.started DESC, s.id DESC",
		SCHOOL_SESSION_SELECT "AND s.state = 'open' ORDER BY s.started DESC, s.id DESC",
	};
	struct session_visit v = {cb, ctx, PG(be), err};
	const char *p[1] = {school};

	return pg_each(PG(be), "listing a school's sessions", sql[!!open_only], 1, p, visit_session,
		       &v, err);
}

int pg_session_purge(struct reg_db *be, time_t before, int *deleted, struct byod_err *err)
{
	char b[24], m[24];
	const char *p[2] = {b, m};

	pg_i64(b, (int64_t)before);
	pg_i64(m, (int64_t)REG_SESSION_OPEN_MARGIN);
	return pg_command(PG(be), deleted, err, "purging sessions",
			  "DELETE FROM sessions WHERE COALESCE(stopped, updated, started) < $1 AND "
			  "(state = 'closed' OR COALESCE(updated, started) + $2 < $1)",
			  2, p);
}
