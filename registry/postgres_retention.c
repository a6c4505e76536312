// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The PostgreSQL backend's part of retention, the requisition and a
 * person's rights: one write statement and one read turned into JSON, both
 * with the SQL reg_retention.c writes for both dialects (text parameters
 * the server types from their use), and the requisition's lookup of the
 * sessions that held an address at an instant (index sessions_ip or
 * sessions_mac).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "pg_int.h"

/* The type OIDs of pg_type.h read as numbers or booleans. */
#define PG_OID_BOOL 16
#define PG_OID_INT8 20
#define PG_OID_INT2 21
#define PG_OID_INT4 23

int pg_exec_write(struct reg_db *be, const char *what, const char *sql, int nparams,
		  const char *const *params, int *changes, struct byod_err *err)
{
	return pg_command(PG(be), changes, err, what, sql, nparams, params);
}

struct json_visit {
	json_t *array;
};

static int row_json(const PGresult *r, int i, void *arg)
{
	struct json_visit *v = arg;
	json_t *o = json_object();
	int c, n = PQnfields(r);

	if (!o)
		return -ENOMEM;
	for (c = 0; c < n; c++) {
		const char *t = PQgetvalue(r, i, c);
		json_t *val;

		if (PQgetisnull(r, i, c))
			val = json_null();
		else if (PQftype(r, c) == PG_OID_INT8 || PQftype(r, c) == PG_OID_INT4 ||
			 PQftype(r, c) == PG_OID_INT2)
			val = json_integer(strtoll(t, NULL, 10));
		else if (PQftype(r, c) == PG_OID_BOOL)
			val = json_boolean(t[0] == 't');
		else
			val = json_string(t);
		if (!val || json_object_set_new(o, PQfname(r, c), val)) {
			json_decref(o);
			return -ENOMEM;
		}
	}
	return json_array_append_new(v->array, o) ? -ENOMEM : 0;
}

int pg_rows_json(struct reg_db *be, const char *what, const char *sql, int nparams,
		 const char *const *params, json_t *array, struct byod_err *err)
{
	struct json_visit v = {array};
	int rc;

	rc = pg_rows(PG(be), what, sql, nparams, params, row_json, &v, err);
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
	"AND s.started <= $2 AND CASE WHEN s.state = 'open' THEN COALESCE(s.updated, s.started) "  \
	"+ " OPEN_MARGIN " "                                                                       \
	"ELSE s.stopped END >= $2 ORDER BY s.started, s.id"

struct connection_visit {
	int (*cb)(const struct reg_connection *, void *);
	void *ctx;
};

static int visit_connection(const PGresult *r, int row, void *arg)
{
	struct connection_visit *v = arg;
	struct reg_connection c;
	struct reg_session *ss = &c.session;
	char state[16];

	memset(&c, 0, sizeof(c));
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
	if (reg_session_state_parse(state, &ss->state))
		return -EIO;
	pg_get_text(r, row, 14, c.device_name, sizeof(c.device_name));
	pg_get_text(r, row, 15, c.owner_login, sizeof(c.owner_login));
	pg_get_text(r, row, 16, c.owner_name, sizeof(c.owner_name));
	pg_get_text(r, row, 17, c.school, sizeof(c.school));
	return v->cb(&c, v->ctx);
}

int pg_connection_find(struct reg_db *be, const char *ip, const char *mac, time_t at,
		       int (*cb)(const struct reg_connection *, void *), void *ctx,
		       struct byod_err *err)
{
	struct connection_visit v = {cb, ctx};
	char when[24];
	const char *p[2] = {ip ? ip : mac, when};
	int rc;

	pg_i64(when, (int64_t)at);
	rc = pg_each(PG(be), "looking an address up",
		     ip ? CONNECTION_SELECT "WHERE s.ip = $1 " CONNECTION_AT
			: CONNECTION_SELECT "WHERE s.mac = $1 " CONNECTION_AT,
		     2, p, visit_connection, &v, err);
	if (rc == -EIO)
		byod_err_set(err, EIO, "registry %s: a session's row is corrupt", PG(be)->where);
	return rc;
}
