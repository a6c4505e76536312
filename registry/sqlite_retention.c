// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The SQLite backend's part of retention, the requisition and a person's
 * rights: one write statement and one read turned into JSON, both with the
 * SQL reg_retention.c writes for both dialects ($1, $2, ... bound by name,
 * as text: SQLite's column affinities compare them as the columns' type),
 * and the requisition's lookup of the sessions that held an address at an
 * instant (index sessions_ip or sessions_mac).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "sqlite_int.h"

/* Prepares sql and binds params[i] to the parameter named "$<i+1>" (a
 * NULL element as SQL NULL); a parameter the statement does not use is
 * skipped. */
static int prepare_named(struct sq *s, sqlite3_stmt **st, const char *sql, int nparams,
			 const char *const *params, struct byod_err *err)
{
	int src, i;

	*st = NULL;
	src = sqlite3_prepare_v2(s->db, sql, -1, st, NULL);
	if (src != SQLITE_OK)
		return sq_fail(s, src, "preparing a query", err);
	for (i = 0; i < nparams; i++) {
		char name[16];
		int idx;

		snprintf(name, sizeof(name), "$%d", i + 1);
		idx = sqlite3_bind_parameter_index(*st, name);
		if (!idx)
			continue;
		src = params[i] ? sqlite3_bind_text(*st, idx, params[i], -1, SQLITE_TRANSIENT)
				: sqlite3_bind_null(*st, idx);
		if (src != SQLITE_OK)
			return sq_fail(s, src, "binding a value", err);
	}
	return 0;
}

int sq_exec_write(struct reg_db *be, const char *what, const char *sql, int nparams,
		  const char *const *params, int *changes, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = prepare_named(s, &st, sql, nparams, params, err);
	return rc ? rc : sq_run(s, st, changes, what, err);
}

static int row_json(sqlite3_stmt *st, void *arg)
{
	json_t *array = arg, *o = json_object();
	int i, n = sqlite3_column_count(st);

	if (!o)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		const char *name = sqlite3_column_name(st, i);
		json_t *v;

		switch (sqlite3_column_type(st, i)) {
		case SQLITE_INTEGER:
			v = json_integer(sqlite3_column_int64(st, i));
			break;
		case SQLITE_NULL:
			v = json_null();
			break;
		case SQLITE_BLOB:
			v = json_integer(sqlite3_column_bytes(st, i));
			break;
		default:
			v = json_string((const char *)sqlite3_column_text(st, i));
			break;
		}
		if (!v || json_object_set_new(o, name, v)) {
			json_decref(o);
			return -ENOMEM;
		}
	}
	return json_array_append_new(array, o) ? -ENOMEM : 0;
}

int sq_rows_json(struct reg_db *be, const char *what, const char *sql, int nparams,
		 const char *const *params, json_t *array, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = prepare_named(s, &st, sql, nparams, params, err);
	if (!rc)
		rc = sq_each(s, st, row_json, array, what, err);
	if (rc == -ENOMEM)
		byod_err_set(err, ENOMEM, "out of memory %s", what);
	return rc;
}

/* an open session holds its address until updated + the margin */
#define STR_(x)	    #x
#define STR(x)	    STR_(x)
#define OPEN_MARGIN STR(REG_SESSION_OPEN_MARGIN)
#define CONNECTION_SELECT                                                                          \
	"SELECT s.id, s.session_id, s.nas_ip, s.nas_id, s.device, s.mac, s.ip, s.serial, "         \
	"s.started, s.updated, s.stopped, s.in_octets, s.out_octets, s.state, d.name, p.login, "   \
	"p.display_name, p.school FROM sessions s LEFT JOIN devices d ON d.id = s.device "         \
	"LEFT JOIN people p ON p.id = d.owner "
#define CONNECTION_AT                                                                              \
	"AND s.started <= ?2 AND CASE WHEN s.state = 'open' THEN COALESCE(s.updated, s.started) "  \
	"+ " OPEN_MARGIN " "                                                                       \
	"ELSE s.stopped END >= ?2 ORDER BY s.started, s.id"

struct connection_visit {
	int (*cb)(const struct reg_connection *, void *);
	void *ctx;
};

static int visit_connection(sqlite3_stmt *st, void *arg)
{
	struct connection_visit *v = arg;
	struct reg_connection c;
	struct reg_session *ss = &c.session;
	char state[16];

	memset(&c, 0, sizeof(c));
	ss->id = sqlite3_column_int64(st, 0);
	col_text(st, 1, ss->session_id, sizeof(ss->session_id));
	col_text(st, 2, ss->nas_ip, sizeof(ss->nas_ip));
	col_text(st, 3, ss->nas_id, sizeof(ss->nas_id));
	col_text(st, 4, ss->device, sizeof(ss->device));
	col_text(st, 5, ss->mac, sizeof(ss->mac));
	col_text(st, 6, ss->ip, sizeof(ss->ip));
	col_text(st, 7, ss->serial, sizeof(ss->serial));
	ss->started = (time_t)sqlite3_column_int64(st, 8);
	ss->updated = (time_t)sqlite3_column_int64(st, 9);
	ss->stopped = (time_t)sqlite3_column_int64(st, 10);
	ss->in_octets = sqlite3_column_int64(st, 11);
	ss->out_octets = sqlite3_column_int64(st, 12);
	col_text(st, 13, state, sizeof(state));
	if (reg_session_state_parse(state, &ss->state))
		return -EIO;
	col_text(st, 14, c.device_name, sizeof(c.device_name));
	col_text(st, 15, c.owner_login, sizeof(c.owner_login));
	col_text(st, 16, c.owner_name, sizeof(c.owner_name));
	col_text(st, 17, c.school, sizeof(c.school));
	return v->cb(&c, v->ctx);
}

int sq_connection_find(struct reg_db *be, const char *ip, const char *mac, time_t at,
		       int (*cb)(const struct reg_connection *, void *), void *ctx,
		       struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct connection_visit v = {cb, ctx};
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err,
			ip ? CONNECTION_SELECT "WHERE s.ip = ?1 " CONNECTION_AT
			   : CONNECTION_SELECT "WHERE s.mac = ?1 " CONNECTION_AT,
			"ti", ip ? ip : mac, (int64_t)at);
	if (!rc)
		rc = sq_each(s, st, visit_connection, &v, "looking an address up", err);
	if (rc == -EIO)
		byod_err_set(err, EIO, "registry %s: a session's row is corrupt", s->path);
	return rc;
}
