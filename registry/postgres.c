// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The PostgreSQL backend of the registry, through libpq: one connection per
 * handle, versioned migrations run under an advisory lock, every value sent
 * as a parameter, the server's errors mapped to the registry's errno values
 * (a lost server is -ENOTCONN, a refused right -EACCES), and the change
 * feed's order made the commit order: an event takes its number from a
 * one-row head table whose row lock holds every other writer until this
 * one commits, and wakes followers with NOTIFY byod_feed. The lists the
 * RADIUS index loads whole (a million devices) are read through a cursor,
 * a batch at a time. The schema is postgres_schema.c's, the registry's own
 * rows postgres_tables.c's, sessions and the portal's state
 * postgres_session.c's and postgres_web.c's, the roles postgres_roles.c's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "pg_int.h"

/* The key of the advisory lock migrations hold ('byod', then the
 * registry's schema: registries in other schemas of one database do not
 * wait for each other). */
#define MIGRATION_LOCK "1652129636, hashtext(current_schema())"
/* Rows a list fetches per round trip. */
#define FETCH_ROWS 10000

#define NEWEST_VERSION PG_NEWEST_VERSION

/* ---- values ---------------------------------------------------------------- */

void pg_i64(char buf[24], int64_t v)
{
	snprintf(buf, 24, "%" PRId64, v);
}

int64_t pg_get_i64(const PGresult *r, int row, int col)
{
	if (PQgetisnull(r, row, col))
		return 0;
	return (int64_t)strtoll(PQgetvalue(r, row, col), NULL, 10);
}

void pg_get_text(const PGresult *r, int row, int col, char *out, size_t size)
{
	const char *v = PQgetisnull(r, row, col) ? "" : PQgetvalue(r, row, col);

	snprintf(out, size, "%s", v);
}

void pg_res_freep(PGresult **r)
{
	PQclear(*r);
	*r = NULL;
}

/* ---- errors --------------------------------------------------------------- */

/* The first line of libpq's message, without "ERROR:  " or "FATAL:  ". */
static void first_line(const char *msg, char *out, size_t size)
{
	size_t n;

	if (!msg)
		msg = "";
	if (!strncmp(msg, "ERROR:  ", 8) || !strncmp(msg, "FATAL:  ", 8))
		msg += 8;
	n = strcspn(msg, "\n");
	snprintf(out, size, "%.*s", (int)n, msg);
}

static int unreachable(struct pg_db *db, const char *detail, struct byod_err *err)
{
	char line[400];

	first_line(detail, line, sizeof(line));
	return byod_err_set(err, ENOTCONN, "the registry database %s is unreachable: %s", db->where,
			    line[0] ? line : "the connection was lost");
}

/* Reads what the server sent while nothing was asked: a server that was
 * stopped or crashed sent a last notice and closed the connection, and
 * libpq sets CONNECTION_BAD only once it reads that end. Notifications
 * read here wait in libpq for take_notifications. */
static void read_pending(struct pg_db *db)
{
	struct pollfd pfd = {.events = POLLIN};
	int i;

	for (i = 0; i < 4 && PQstatus(db->conn) == CONNECTION_OK; i++) {
		pfd.fd = PQsocket(db->conn);
		if (pfd.fd < 0 || poll(&pfd, 1, 0) != 1 || !PQconsumeInput(db->conn))
			return;
	}
}

/* Maps a failed result to a negative errno and a sentence in err. */
static int pg_fail(struct pg_db *db, const PGresult *res, const char *what, struct byod_err *err)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	char msg[400];
	int code;

	if (!primary)
		first_line(res ? PQresultErrorMessage(res) : PQerrorMessage(db->conn), msg,
			   sizeof(msg));
	else
		snprintf(msg, sizeof(msg), "%s", primary);
	snprintf(db->last_state, sizeof(db->last_state), "%s", state ? state : "");
	/* A write refused because the server is read-only: a primary demoted
	 * under this connection (a failover), or a standby. For a writer it
	 * is a server lost: connect again, and libpq's host list with
	 * target_session_attrs=read-write finds the new primary. */
	/* (a write inside a READ ONLY transaction is the caller's mistake,
	 * not a demotion) */
	if (state && !strcmp(state, "25006") && !db->read_only &&
	    !(db->in_tx && db->tx_read_only)) {
		db->reset_wanted = 1;
		return byod_err_set(err, ENOTCONN,
				    "the registry database %s is read-only now (%s): %s; it is "
				    "no longer the primary%s",
				    db->where, what, msg,
				    db->in_tx ? "; nothing of the transaction was written" : "");
	}
	/* An error of libpq's own (no SQLSTATE) after a server that crashed
	 * or was stopped -m immediate ("server closed the connection
	 * unexpectedly") can leave the status CONNECTION_OK until libpq
	 * reads the end of the connection: read it, so that a lost server is
	 * -ENOTCONN and not -EIO. */
	if (!state)
		read_pending(db);
	if ((!state && PQstatus(db->conn) == CONNECTION_BAD) ||
	    (state && !strncmp(state, "08", 2)) ||
	    (state &&
	     (!strcmp(state, "57P01") || !strcmp(state, "57P02") || !strcmp(state, "57P03")))) {
		return byod_err_set(err, ENOTCONN,
				    "the registry database %s is unreachable (%s): %s%s", db->where,
				    what, msg,
				    db->in_tx ? "; nothing of the transaction was written" : "");
	}
	if (!state)
		code = EIO;
	else if (!strcmp(state, "23505"))
		code = EEXIST;
	else if (!strcmp(state, "23503"))
		code = ENOENT;
	else if (!strcmp(state, "23514") || !strcmp(state, "23502") || !strncmp(state, "22", 2))
		code = EINVAL;
	else if (!strcmp(state, "25P02"))
		code = ECANCELED;
	else
		code = EIO;
	if (code == EEXIST && PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) &&
	    !strcmp(PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME), "devices_live_mac"))
		return byod_err_set(err, EEXIST,
				    "registry %s: %s: another live device already has this MAC "
				    "address",
				    db->where, what);
	if (state && !strcmp(state, "42501"))
		return byod_err_set(err, EACCES,
				    "the PostgreSQL role %s may not do this (%s) in the registry "
				    "database %s: %s",
				    PQuser(db->conn), what, db->where, msg);
	if (state &&
	    (!strcmp(state, "40001") || !strcmp(state, "40P01") || !strcmp(state, "55P03")))
		return byod_err_set(err, EBUSY,
				    "the registry database %s is busy (%s): %s; nothing was "
				    "changed, try again",
				    db->where, what, msg);
	return byod_err_set(err, code, "registry %s: %s: %s", db->where, what, msg);
}

/* ---- connection ----------------------------------------------------------- */

static void ignore_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* What every new connection is told: no notices on stderr, UTF-8, how long
 * to wait for a row lock. */
static int session_setup(struct pg_db *db, struct byod_err *err)
{
	char sql[64];
	PGresult *r;
	int ok;

	PQsetNoticeProcessor(db->conn, ignore_notice, NULL);
	if (PQsetClientEncoding(db->conn, "UTF8"))
		return unreachable(db, PQerrorMessage(db->conn), err);
	/* 0 would be "wait for ever"; SQLite's 0 is "do not wait" */
	snprintf(sql, sizeof(sql), "SET lock_timeout = %d", db->busy_ms > 0 ? db->busy_ms : 1);
	r = PQexec(db->conn, sql);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok) {
		int rc = pg_fail(db, r, "setting the lock timeout", err);

		PQclear(r);
		return rc;
	}
	PQclear(r);
	db->listening = 0;
	db->polling = 0; /* perhaps a primary now: LISTEN is tried again */
	db->reset_wanted = 0;
	db->connections++;
	return 0;
}

static unsigned long pg_connection_epoch(struct reg_db *be)
{
	return PG(be)->connections;
}

/* Outside a transaction, a connection found broken is reset once: nothing
 * was sent on it yet, so nothing can be applied twice. What the server
 * sent since the last statement is read first: a server that went away
 * and came back (restarted, crashed) closed this connection, and libpq
 * sees that only when it reads; unread, the next statement would fail
 * although the server answers again. */
static int ensure_conn(struct pg_db *db, struct byod_err *err)
{
	if (!db->in_tx)
		read_pending(db);
	if (PQstatus(db->conn) == CONNECTION_OK && (!db->reset_wanted || db->in_tx))
		return 0;
	if (db->in_tx)
		return unreachable(db, "the connection was lost in the middle of a transaction",
				   err);
	db->listening = 0; /* a new connection listens to nothing */
	PQreset(db->conn);
	if (PQstatus(db->conn) != CONNECTION_OK)
		return unreachable(db, PQerrorMessage(db->conn), err);
	return session_setup(db, err);
}

int pg_exec(struct pg_db *db, PGresult **res, struct byod_err *err, const char *what,
	    const char *sql, int nparams, const char *const *params)
{
	PGresult *r;
	int rc;

	*res = NULL;
	rc = ensure_conn(db, err);
	if (rc)
		return rc;
	r = PQexecParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0);
	switch (PQresultStatus(r)) {
	case PGRES_TUPLES_OK:
	case PGRES_COMMAND_OK:
		*res = r;
		return 0;
	default:
		rc = pg_fail(db, r, what, err);
		PQclear(r);
		return rc;
	}
}

int pg_command(struct pg_db *db, int *changes, struct byod_err *err, const char *what,
	       const char *sql, int nparams, const char *const *params)
{
	cleanup_pgres PGresult *r = NULL;
	int rc = pg_exec(db, &r, err, what, sql, nparams, params);

	if (!rc && changes)
		*changes = atoi(PQcmdTuples(r));
	return rc;
}

/* Exactly one row expected: -ENOENT with a sentence when there is none. */
int pg_one(struct pg_db *db, PGresult **res, struct byod_err *err, const char *what,
	   const char *sql, int nparams, const char *const *params)
{
	int rc = pg_exec(db, res, err, what, sql, nparams, params);

	if (!rc && PQntuples(*res) < 1) {
		PQclear(*res);
		*res = NULL;
		rc = byod_err_set(err, ENOENT, "registry %s: %s: not found", db->where, what);
	}
	return rc;
}

/* The n-th element (from 0) of a comma-separated list into out; the only
 * element when the list has one (libpq uses one port for every host). */
static void list_item(const char *list, int n, char *out, size_t size)
{
	const char *p = list;
	size_t len;
	int i;

	if (!strchr(list, ','))
		n = 0;
	for (i = 0; i < n && p; i++) {
		p = strchr(p, ',');
		if (p)
			p++;
	}
	len = p ? strcspn(p, ",") : 0;
	snprintf(out, size, "%.*s", (int)len, p ? p : "");
}

static int list_len(const char *list)
{
	int n = 1;

	for (; *list; list++)
		n += *list == ',';
	return n;
}

/* "host:port[,host:port...]/dbname" of the parsed options, for messages
 * (no user, no password): every host a multi-host URL lists. */
static void describe(const PQconninfoOption *opts, char *out, size_t size)
{
	const char *host = NULL, *port = NULL, *dbname = NULL;
	const PQconninfoOption *o;
	char h[128], pt[16];
	size_t used = 0;
	int i, n;

	for (o = opts; o && o->keyword; o++) {
		if (!o->val || !o->val[0])
			continue;
		if (!strcmp(o->keyword, "host"))
			host = o->val;
		else if (!strcmp(o->keyword, "hostaddr") && !host)
			host = o->val;
		else if (!strcmp(o->keyword, "port"))
			port = o->val;
		else if (!strcmp(o->keyword, "dbname"))
			dbname = o->val;
	}
	if (!host)
		host = "localhost";
	n = list_len(host);
	out[0] = '\0';
	for (i = 0; i < n && used + 1 < size; i++) {
		list_item(host, i, h, sizeof(h));
		pt[0] = '\0';
		if (port)
			list_item(port, i, pt, sizeof(pt));
		used += (size_t)snprintf(out + used, size - used, "%s%s%s%s", i ? "," : "",
					 h[0] ? h : "localhost", pt[0] ? ":" : "", pt);
	}
	if (used + 1 < size)
		snprintf(out + used, size - used, "/%.40s", dbname ? dbname : "(default)");
}

/* libpq's parse error without the password a URL may carry. */
static void redact(const char *conninfo, char *msg)
{
	const char *at = strchr(conninfo, '@');
	const char *scheme = strstr(conninfo, "://");
	const char *colon;
	char pw[256];
	char *hit;
	size_t n;

	if (!at || !scheme || scheme > at)
		goto keyword;
	colon = memchr(scheme + 3, ':', (size_t)(at - scheme - 3));
	if (!colon || at - colon - 1 <= 0)
		goto keyword;
	n = (size_t)(at - colon - 1);
	if (n >= sizeof(pw))
		n = sizeof(pw) - 1;
	memcpy(pw, colon + 1, n);
	pw[n] = '\0';
	while ((hit = strstr(msg, pw)))
		memset(hit, '*', n);
keyword:
	/* password=... in the keyword form */
	if ((hit = strstr(conninfo, "password="))) {
		n = strcspn(hit + 9, " ");
		if (n && n < sizeof(pw)) {
			memcpy(pw, hit + 9, n);
			pw[n] = '\0';
			while ((hit = strstr(msg, pw)))
				memset(hit, '*', n);
		}
	}
}

/* A list of ports ("5432" or "5432,5433"): each 1..65535, or empty (the
 * default port: "h1,h2" without ports parses as port ","). */
static int ports_ok(const char *v)
{
	char *end;
	long p;

	do {
		if (*v == ',') {
			v++;
			continue;
		}
		p = strtol(v, &end, 10);
		if (end == v || p < 1 || p > 65535 || (*end && *end != ','))
			return 0;
		v = *end ? end + 1 : end;
	} while (*v);
	return 1;
}

/* 1 when v is one of the n words of list. */
static int one_of(const char *v, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(v, list[i]))
			return 1;
	return 0;
}

/* What PQconninfoParse leaves to the connection attempt, checked here so
 * that a typing error never becomes a connection to somewhere else. */
static int values_ok(const PQconninfoOption *opts, char *msg, size_t size)
{
	static const char *const sslmodes[] = {"disable", "allow",     "prefer",
					       "require", "verify-ca", "verify-full"};
	static const char *const attrs[] = {"any",     "read-write", "read-only",
					    "primary", "standby",    "prefer-standby"};
	const PQconninfoOption *o;
	const char *host = NULL, *port = NULL;

	for (o = opts; o && o->keyword; o++) {
		if (!o->val)
			continue;
		if (!strcmp(o->keyword, "host") && o->val[0])
			host = o->val;
		if (!strcmp(o->keyword, "port") && o->val[0])
			port = o->val;
		if (!strcmp(o->keyword, "target_session_attrs") &&
		    !one_of(o->val, attrs, sizeof(attrs) / sizeof(attrs[0]))) {
			snprintf(msg, size,
				 "target_session_attrs \"%.32s\" is not one of any, read-write, "
				 "read-only, primary, standby, prefer-standby",
				 o->val);
			return 0;
		}
		if (!strcmp(o->keyword, "port") && o->val[0] && !ports_ok(o->val)) {
			snprintf(msg, size, "the port \"%.32s\" is not a number from 1 to 65535",
				 o->val);
			return 0;
		}
		if (!strcmp(o->keyword, "sslmode") &&
		    !one_of(o->val, sslmodes, sizeof(sslmodes) / sizeof(sslmodes[0]))) {
			snprintf(msg, size,
				 "sslmode \"%.32s\" is not one of disable, allow, prefer, require, "
				 "verify-ca, verify-full",
				 o->val);
			return 0;
		}
	}
	if (host && port && list_len(port) > 1 && list_len(port) != list_len(host)) {
		snprintf(msg, size, "%d ports are given for %d hosts: give one port, or one per host",
			 list_len(port), list_len(host));
		return 0;
	}
	return 1;
}

int pg_conninfo_check(const char *conninfo, char *where, size_t size, struct byod_err *err)
{
	PQconninfoOption *opts;
	char *perr = NULL;
	char msg[400];

	if (!conninfo || !conninfo[0])
		return byod_err_set(err, EINVAL, "no PostgreSQL registry URL given");
	opts = PQconninfoParse(conninfo, &perr);
	if (!opts) {
		first_line(perr ? perr : "out of memory", msg, sizeof(msg));
		redact(conninfo, msg);
		PQfreemem(perr);
		return byod_err_set(err, EINVAL, "the PostgreSQL registry URL does not parse: %s",
				    msg);
	}
	if (!values_ok(opts, msg, sizeof(msg))) {
		PQconninfoFree(opts);
		redact(conninfo, msg);
		return byod_err_set(err, EINVAL, "the PostgreSQL registry URL does not parse: %s",
				    msg);
	}
	if (where)
		describe(opts, where, size);
	PQconninfoFree(opts);
	return 0;
}

static int read_version(struct pg_db *db, int *version, struct byod_err *err)
{
	cleanup_pgres PGresult *r = NULL;
	int rc;

	rc = pg_exec(db, &r, err, "reading the schema version",
		     "SELECT to_regclass('schema_version') IS NOT NULL", 0, NULL);
	if (rc)
		return rc;
	if (strcmp(PQgetvalue(r, 0, 0), "t")) {
		*version = 0;
		return 0;
	}
	PQclear(r);
	r = NULL;
	rc = pg_one(db, &r, err, "reading the schema version", "SELECT version FROM schema_version",
		    0, NULL);
	if (!rc)
		*version = (int)pg_get_i64(r, 0, 0);
	return rc;
}

static int pg_begin(struct reg_db *be, struct byod_err *err);
static int pg_commit(struct reg_db *be, struct byod_err *err);
static void pg_rollback(struct reg_db *be);

int pg_script(struct pg_db *db, struct byod_err *err, const char *what, const char *sql)
{
	PGresult *r;
	int rc;

	rc = ensure_conn(db, err);
	if (rc)
		return rc;
	r = PQexec(db->conn, sql);
	rc = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK
		     ? 0
		     : pg_fail(db, r, what, err);
	PQclear(r);
	return rc;
}

static int run_migration(struct pg_db *db, int version, struct byod_err *err)
{
	char what[64];

	snprintf(what, sizeof(what), "migrating to schema version %d", version + 1);
	return pg_script(db, err, what, pg_migrations[version]);
}

/*
 * Brings the schema to NEWEST_VERSION under an advisory lock (two programs
 * opening a new registry at once do not both migrate), one migration per
 * transaction. A schema newer than this program is refused before anything
 * is changed.
 */
static int migrate(struct pg_db *db, struct byod_err *err)
{
	int version = 0, rc;

	/* another program migrating the same registry takes seconds, not
	 * the lock timeout a RADIUS node keeps for its requests */
	rc = pg_command(db, NULL, err, "taking the migration lock",
			"SET lock_timeout = '30s'", 0, NULL);
	if (!rc)
		rc = pg_command(db, NULL, err, "taking the migration lock",
				"SELECT pg_advisory_lock(" MIGRATION_LOCK ")", 0, NULL);
	if (!rc) {
		char sql[64];

		snprintf(sql, sizeof(sql), "SET lock_timeout = %d",
			 db->busy_ms > 0 ? db->busy_ms : 1);
		rc = pg_command(db, NULL, err, "setting the lock timeout", sql, 0, NULL);
	}
	if (rc)
		return rc;
	rc = read_version(db, &version, err);
	if (!rc && version > NEWEST_VERSION)
		rc = byod_err_set(err, EPROTO,
				  "the registry database %s has schema version %d, newer than "
				  "this program knows (%d): use a newer byod",
				  db->where, version, NEWEST_VERSION);
	while (!rc && version < NEWEST_VERSION) {
		rc = pg_begin(&db->base, err);
		if (rc)
			break;
		rc = run_migration(db, version, err);
		if (!rc)
			rc = pg_commit(&db->base, err);
		if (rc)
			pg_rollback(&db->base);
		else
			rc = read_version(db, &version, err);
	}
	if (PQstatus(db->conn) == CONNECTION_OK)
		PQclear(PQexec(db->conn, "SELECT pg_advisory_unlock(" MIGRATION_LOCK ")"));
	return rc;
}

/*
 * A read-only handle (registry.read-url, perhaps a standby, which refuses
 * every write) runs no migration: the schema must be this program's
 * already, or what it reads would lack what it expects.
 */
static int check_version(struct pg_db *db, struct byod_err *err)
{
	int version = 0, rc;

	rc = read_version(db, &version, err);
	if (!rc && version > NEWEST_VERSION)
		rc = byod_err_set(err, EPROTO,
				  "the registry database %s has schema version %d, newer than "
				  "this program knows (%d): use a newer byod",
				  db->where, version, NEWEST_VERSION);
	else if (!rc && version < NEWEST_VERSION)
		rc = byod_err_set(err, EPROTO,
				  "the registry database %s has schema version %d, older than "
				  "this program's (%d): open it once through registry.url (which "
				  "migrates it) before reading it through registry.read-url",
				  db->where, version, NEWEST_VERSION);
	return rc;
}

/* To look without migrating: only a newer schema is refused. */
static int check_not_newer(struct pg_db *db, struct byod_err *err)
{
	int version = 0, rc;

	rc = read_version(db, &version, err);
	if (!rc && version > NEWEST_VERSION)
		rc = byod_err_set(err, EPROTO,
				  "the registry database %s has schema version %d, newer than "
				  "this program knows (%d): use a newer byod",
				  db->where, version, NEWEST_VERSION);
	return rc;
}

/* The schema the registry's tables are in: the feed's notifications name it. */
static int read_schema(struct pg_db *db, struct byod_err *err)
{
	cleanup_pgres PGresult *r = NULL;
	int rc;

	rc = pg_one(db, &r, err, "reading the registry's schema", "SELECT current_schema()", 0,
		    NULL);
	if (!rc)
		pg_get_text(r, 0, 0, db->schema, sizeof(db->schema));
	return rc;
}

static void pg_close(struct reg_db *be)
{
	struct pg_db *db;

	if (!be)
		return;
	db = PG(be);
	PQfinish(db->conn);
	if (db->conninfo)
		explicit_bzero(db->conninfo, strlen(db->conninfo));
	free(db->conninfo);
	free(db);
}

/*
 * Given before the URL, which overrides any of them: a server that does not
 * answer is given up after 5 s, and a connection whose network was cut is
 * found dead within about 15 s (keepalives, TCP_USER_TIMEOUT) instead of the
 * kernel's two hours, so that a call returns -ENOTCONN and fail-static
 * callers move on.
 */
static const char *const defaults_kw[] = {
	"connect_timeout",     "keepalives",	   "keepalives_idle",
	"keepalives_interval", "keepalives_count", "tcp_user_timeout",
	"application_name",    "target_session_attrs", "dbname", NULL,
};
#define DEFAULT_VALUES "5", "1", "10", "5", "2", "15000", "byod"

/* A writer's URL may not ask for a standby: its writes would all be
 * refused. (Parsed already by pg_conninfo_check.) */
static int writer_attrs_ok(const char *conninfo, struct byod_err *err)
{
	static const char *const readers[] = {"standby", "read-only", "prefer-standby"};
	PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);
	const PQconninfoOption *o;
	int rc = 0;

	for (o = opts; o && o->keyword && !rc; o++)
		if (o->val && !strcmp(o->keyword, "target_session_attrs") &&
		    one_of(o->val, readers, sizeof(readers) / sizeof(readers[0])))
			rc = byod_err_set(err, EINVAL,
					  "the registry URL asks for a standby "
					  "(target_session_attrs=%s), where nothing can be written: "
					  "that is registry.read-url's; registry.url needs read-write",
					  o->val);
	PQconninfoFree(opts);
	return rc;
}

static int pg_open(const struct reg_options *opt, struct reg_db **out, struct byod_err *err)
{
	struct pg_db *db;
	int rc;

	*out = NULL;
	if (opt->busy_timeout_ms < 0)
		return byod_err_set(err, EINVAL, "negative registry busy timeout %d",
				    opt->busy_timeout_ms);
	db = calloc(1, sizeof(*db));
	if (!db)
		return byod_err_set(err, ENOMEM, "out of memory");
	db->base.ops = &reg_postgres_ops;
	db->busy_ms = opt->busy_timeout_ms;
	/* Parsed before anything is sent: a typing error is one sentence,
	 * not a connection attempt to somewhere unexpected. */
	rc = pg_conninfo_check(opt->conninfo, db->where, sizeof(db->where), err);
	if (rc)
		goto out;
	db->conninfo = strdup(opt->conninfo);
	if (!db->conninfo) {
		rc = byod_err_set(err, ENOMEM, "out of memory");
		goto out;
	}
	db->read_only = opt->read_only;
	if (!opt->read_only) {
		rc = writer_attrs_ok(opt->conninfo, err);
		if (rc)
			goto out;
	}
	/* A writer whose URL lists several hosts (a Patroni pair) reaches
	 * the primary, never a standby, unless the URL says otherwise; a
	 * reader takes any (its URL says prefer-standby when it wants one). */
	db->conn = PQconnectdbParams(defaults_kw,
				     (const char *const[]){DEFAULT_VALUES,
							   opt->read_only ? "any" : "read-write",
							   db->conninfo, NULL},
				     1);
	if (!db->conn) {
		rc = byod_err_set(err, ENOMEM, "out of memory");
		goto out;
	}
	if (PQstatus(db->conn) != CONNECTION_OK) {
		rc = unreachable(db, PQerrorMessage(db->conn), err);
		goto out;
	}
	rc = session_setup(db, err);
	if (!rc)
		rc = opt->read_only ? check_version(db, err) :
		     opt->no_migrate ? check_not_newer(db, err) : migrate(db, err);
	if (!rc)
		rc = read_schema(db, err);
out:
	if (rc) {
		pg_close(&db->base);
		return rc;
	}
	*out = &db->base;
	return 0;
}

static int pg_schema_version(struct reg_db *be, int *version, struct byod_err *err)
{
	return read_version(PG(be), version, err);
}

/* ---- transactions ----------------------------------------------------------- */

static int begin_with(struct pg_db *db, const char *sql, struct byod_err *err)
{
	int rc;

	/* A transaction cut by a lost connection left in_tx set; the caller
	 * has rolled it back, so this begin may reconnect. */
	db->in_tx = 0;
	db->tx_read_only = strstr(sql, "READ ONLY") != NULL;
	rc = pg_command(db, NULL, err, "starting a transaction", sql, 0, NULL);
	if (!rc)
		db->in_tx = 1;
	return rc;
}

/* READ COMMITTED: writers wait for each other's row locks (events_head
 * first of all) instead of failing with a serialization error. */
static int pg_begin(struct reg_db *be, struct byod_err *err)
{
	return begin_with(PG(be), "BEGIN ISOLATION LEVEL READ COMMITTED", err);
}

static int pg_begin_read(struct reg_db *be, struct byod_err *err)
{
	return begin_with(PG(be), "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err);
}

/* COMMIT of a transaction an error aborted answers ROLLBACK, not an error:
 * that is a failure here. A connection lost once COMMIT was sent leaves the
 * outcome unknown (the server may have committed before its answer was
 * lost, or not): the sentence says so instead of "nothing was written",
 * and pg_commit_outcome_unknown answers 1 until the next commit. */
static int pg_commit(struct reg_db *be, struct byod_err *err)
{
	struct pg_db *db = PG(be);
	cleanup_pgres PGresult *r = NULL;
	int rc, sent;

	db->commit_unknown = 0;
	/* in a transaction, pg_exec sends nothing on a connection already
	 * known lost: then the server has dropped the transaction */
	sent = PQstatus(db->conn) == CONNECTION_OK;
	rc = pg_exec(db, &r, err, "committing", "COMMIT", 0, NULL);
	if (rc) {
		if (rc == -ENOTCONN && sent) {
			db->commit_unknown = 1;
			rc = byod_err_set(err, ENOTCONN,
					  "the registry database %s was lost while committing: "
					  "whether the change was written is not known",
					  db->where);
		}
		if (PQstatus(db->conn) != CONNECTION_OK)
			db->in_tx = 0;
		return rc;
	}
	db->in_tx = 0;
	if (strcmp(PQcmdStatus(r), "COMMIT"))
		return byod_err_set(err, ECANCELED,
				    "registry %s: the transaction was rolled back after an "
				    "earlier error; nothing of it was written",
				    db->where);
	return 0;
}

static int pg_commit_outcome_unknown(const struct reg_db *be)
{
	const struct pg_db *db = (const struct pg_db *)(const void *)((const char *)be -
								      offsetof(struct pg_db, base));

	return db->commit_unknown;
}

static void pg_rollback(struct reg_db *be)
{
	struct pg_db *db = PG(be);

	if (db->in_tx && PQstatus(db->conn) == CONNECTION_OK)
		PQclear(PQexec(db->conn, "ROLLBACK"));
	db->in_tx = 0;
}

/* ---- lists read through a cursor ------------------------------------------ */

/* Calls row(res, i, arg) for each row of sql, FETCH_ROWS at a time, so that
 * no result holds a million rows; outside a transaction it opens one for
 * the cursor. A non-zero return from row stops and is returned as is. */
int pg_each(struct pg_db *db, const char *what, const char *sql, int nparams,
	    const char *const *params, int (*row)(const PGresult *, int, void *), void *arg,
	    struct byod_err *err)
{
	char name[32], cmd[512];
	char *declare = NULL;
	int own_tx = !db->in_tx, rc, i, n;

	snprintf(name, sizeof(name), "byod_list_%u", ++db->cursors);
	if (asprintf(&declare, "DECLARE %s NO SCROLL CURSOR FOR %s", name, sql) < 0)
		return byod_err_set(err, ENOMEM, "out of memory");
	if (own_tx) {
		rc = begin_with(db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err);
		if (rc)
			goto out;
	}
	rc = pg_command(db, NULL, err, what, declare, nparams, params);
	snprintf(cmd, sizeof(cmd), "FETCH %d FROM %s", FETCH_ROWS, name);
	do {
		cleanup_pgres PGresult *r = NULL;

		if (rc)
			break;
		rc = pg_exec(db, &r, err, what, cmd, 0, NULL);
		if (rc)
			break;
		n = PQntuples(r);
		for (i = 0; i < n && !rc; i++)
			rc = row(r, i, arg);
		if (rc || n < FETCH_ROWS)
			break;
	} while (1);
	if (PQstatus(db->conn) == CONNECTION_OK &&
	    PQtransactionStatus(db->conn) == PQTRANS_INTRANS) {
		snprintf(cmd, sizeof(cmd), "CLOSE %s", name);
		PQclear(PQexec(db->conn, cmd));
	}
	if (own_tx) {
		if (!rc)
			rc = pg_commit(&db->base, err);
		else
			pg_rollback(&db->base);
	}
out:
	free(declare);
	return rc;
}

/* A small list in one result. */
int pg_rows(struct pg_db *db, const char *what, const char *sql, int nparams,
	    const char *const *params, int (*row)(const PGresult *, int, void *), void *arg,
	    struct byod_err *err)
{
	cleanup_pgres PGresult *r = NULL;
	int rc, i, n;

	rc = pg_exec(db, &r, err, what, sql, nparams, params);
	if (rc)
		return rc;
	n = PQntuples(r);
	for (i = 0; i < n && !rc; i++)
		rc = row(r, i, arg);
	return rc;
}

/* ---- the change feed ---------------------------------------------------------- */

/*
 * The next number comes from events_head: the UPDATE locks its one row
 * until this transaction ends, so a second writer waits here until the
 * first has committed and then reads the number after it. Numbers are
 * therefore visible in the order they were handed out, and registry.c
 * inserts a transaction's events right before its commit, so the lock is
 * held for one round trip. The NOTIFY is delivered at commit, not before.
 */
static int pg_event_insert(struct reg_db *be, struct reg_event *ev, struct byod_err *err)
{
	cleanup_pgres PGresult *r = NULL;
	char t[24];
	const char *p[] = {t, ev->kind, ev->object};
	int rc;

	pg_i64(t, (int64_t)ev->time);
	rc = pg_one(PG(be), &r, err, "adding an event",
		    "WITH h AS (UPDATE events_head SET seq = seq + 1 RETURNING seq), "
		    "e AS (INSERT INTO events (seq, time, kind, object) "
		    "SELECT h.seq, $1, $2, $3 FROM h RETURNING seq, tag) "
		    "SELECT seq, pg_notify('byod_feed', current_schema() || ' ' || seq), tag "
		    "FROM e",
		    3, p);
	if (!rc) {
		ev->seq = pg_get_i64(r, 0, 0);
		ev->tag = pg_get_i64(r, 0, 2);
	}
	return rc;
}

struct event_visit {
	reg_event_cb cb;
	void *ctx;
};

static int visit_event(const PGresult *r, int i, void *arg)
{
	struct event_visit *v = arg;
	struct reg_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.seq = pg_get_i64(r, i, 0);
	ev.time = (time_t)pg_get_i64(r, i, 1);
	pg_get_text(r, i, 2, ev.kind, sizeof(ev.kind));
	pg_get_text(r, i, 3, ev.object, sizeof(ev.object));
	ev.tag = pg_get_i64(r, i, 4); /* NULL (a row older than tags): 0 */
	return v->cb(&ev, v->ctx);
}

static int pg_events_since(struct reg_db *be, int64_t after, int limit, reg_event_cb cb, void *ctx,
			   struct byod_err *err)
{
	struct event_visit v = {cb, ctx};
	char a[24], l[24];
	const char *p[] = {a, limit > 0 ? l : NULL};

	pg_i64(a, after);
	pg_i64(l, limit);
	/* LIMIT NULL is "no limit". */
	if (limit > 0)
		return pg_rows(PG(be), "reading the change feed",
			       "SELECT seq, time, kind, object, tag FROM events WHERE seq > $1 "
			       "ORDER BY seq LIMIT $2",
			       2, p, visit_event, &v, err);
	return pg_each(PG(be), "reading the change feed",
		       "SELECT seq, time, kind, object, tag FROM events WHERE seq > $1 "
		       "ORDER BY seq",
		       1,
		       p, visit_event, &v, err);
}

static int pg_events_last(struct reg_db *be, int64_t *seq, struct byod_err *err)
{
	cleanup_pgres PGresult *r = NULL;
	int rc;

	rc = pg_one(PG(be), &r, err, "reading the change feed",
		    "SELECT COALESCE(MAX(seq), 0) FROM events", 0, NULL);
	if (!rc)
		*seq = pg_get_i64(r, 0, 0);
	return rc;
}

static int pg_event_get(struct reg_db *be, int64_t seq, struct reg_event *out,
			struct byod_err *err)
{
	cleanup_pgres PGresult *r = NULL;
	char s[24];
	const char *p[] = {s};
	int rc;

	pg_i64(s, seq);
	rc = pg_one(PG(be), &r, err, "reading a change-feed event",
		    "SELECT seq, time, kind, object, tag FROM events WHERE seq = $1", 1, p);
	if (rc)
		return rc;
	out->seq = pg_get_i64(r, 0, 0);
	out->time = (time_t)pg_get_i64(r, 0, 1);
	pg_get_text(r, 0, 2, out->kind, sizeof(out->kind));
	pg_get_text(r, 0, 3, out->object, sizeof(out->object));
	out->tag = pg_get_i64(r, 0, 4);
	return 0;
}

/* Takes in what arrived; 1 when one of the notifications is this
 * registry's (its payload begins with our schema), 0 when none, -1 when the
 * connection is lost. */
static int take_notifications(struct pg_db *db)
{
	size_t len = strlen(db->schema);
	PGnotify *n;
	int ours = 0;

	if (!PQconsumeInput(db->conn))
		return -1;
	while ((n = PQnotifies(db->conn))) {
		if (!n->extra || !n->extra[0] ||
		    (!strncmp(n->extra, db->schema, len) && n->extra[len] == ' '))
			ours = 1;
		PQfreemem(n);
	}
	return ours;
}

/*
 * Waits for a NOTIFY byod_feed (1) or timeout_ms (0). LISTEN is issued once
 * per connection, so after a reconnection it is issued again (and that wait
 * returns 1 at once: what came before it was not heard); a notification
 * sent while the connection was down is lost, which is why followers catch
 * up by sequence number and treat a wake-up only as a hint. The payload is
 * "<schema> <seq>": one database may hold several registries (a test and a
 * production one, the tests' schemas), and a wait ends only for its own.
 */
static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* LISTEN refused because the server is a standby (SQLSTATE 25006,
 * "cannot execute LISTEN during recovery"; 0A000 from servers that call it
 * not supported). */
static int listen_refused(const struct pg_db *db)
{
	return !strcmp(db->last_state, "25006") || !strcmp(db->last_state, "0A000");
}

/*
 * A standby takes no LISTEN, and sends no NOTIFY: the wait sleeps up to
 * POLL_MS and returns 1 (it cannot know whether replication brought
 * anything), so that the caller reads by number what replication brought (a standby replays commits in their order, so the
 * feed there has no hole either). LISTEN is tried again once a second: a
 * standby promoted under this connection notifies again.
 */
#define POLL_MS 100
static int poll_standby(struct pg_db *db, int timeout_ms)
{
	poll(NULL, 0, timeout_ms < POLL_MS ? timeout_ms : POLL_MS);
	read_pending(db);
	return PQstatus(db->conn) == CONNECTION_OK ? 0 : -1;
}

static int pg_feed_wait(struct reg_db *be, int timeout_ms, struct byod_err *err)
{
	struct pg_db *db = PG(be);
	struct timespec start, now;
	struct pollfd pfd;
	long left;
	int rc;

	if (db->polling && !db->in_tx && now_ms() - db->listen_tried_ms < 1000) {
		if (poll_standby(db, timeout_ms))
			goto lost;
		return 1;
	}
	if (!db->listening) {
		rc = pg_command(db, NULL, err, "listening to the change feed", "LISTEN byod_feed",
				0, NULL);
		if (rc && listen_refused(db)) {
			db->polling = 1;
			db->listen_tried_ms = now_ms();
			if (poll_standby(db, timeout_ms))
				goto lost;
			return 1;
		}
		if (rc) {
			if (rc == -ENOTCONN && timeout_ms > 0)
				poll(NULL, 0, timeout_ms); /* no busy loop while it is down */
			return rc;
		}
		db->listening = 1;
		db->polling = 0;
		/* a NOTIFY sent before the LISTEN is lost: what the caller read
		 * before this first wait may be behind already */
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		rc = take_notifications(db);
		if (rc < 0)
			goto lost;
		if (rc > 0)
			return 1;
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = timeout_ms - (long)((now.tv_sec - start.tv_sec) * 1000L +
					   (now.tv_nsec - start.tv_nsec) / 1000000L);
		if (left <= 0)
			return 0;
		pfd.fd = PQsocket(db->conn);
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (pfd.fd < 0)
			goto lost;
		rc = poll(&pfd, 1, (int)left);
		if (rc < 0 && errno != EINTR)
			return byod_err_set(err, errno, "waiting for the change feed: %s",
					    strerror(errno));
	}
lost:
	db->listening = 0;
	if (!db->in_tx) {
		PQreset(db->conn);
		if (PQstatus(db->conn) == CONNECTION_OK && !session_setup(db, NULL))
			return 1; /* the caller catches up by sequence */
	}
	if (timeout_ms > 0)
		poll(NULL, 0, timeout_ms); /* no busy loop while it is down */
	return unreachable(db, PQerrorMessage(db->conn), err);
}

const struct reg_backend_ops reg_postgres_ops = {
	.name = "postgresql",
	.newest_version = NEWEST_VERSION,
	.open = pg_open,
	.close = pg_close,
	.schema_version = pg_schema_version,
	.begin = pg_begin,
	.begin_read = pg_begin_read,
	.commit = pg_commit,
	.commit_outcome_unknown = pg_commit_outcome_unknown,
	.rollback = pg_rollback,
	.feed_wait = pg_feed_wait,
	.connection_epoch = pg_connection_epoch,
	.school_insert = pg_school_insert,
	.school_get = pg_school_get,
	.school_list = pg_school_list,
	.person_insert = pg_person_insert,
	.person_get = pg_person_get,
	.person_get_by_id = pg_person_get_by_id,
	.person_update = pg_person_update,
	.person_list = pg_person_list,
	.person_list_school = pg_person_list_school,
	.person_list_source = pg_person_list_source,
	.person_list_leaving = pg_person_list_leaving,
	.device_insert = pg_device_insert,
	.device_get = pg_device_get,
	.device_update = pg_device_update,
	.device_list = pg_device_list,
	.device_count_live = pg_device_count_live,
	.device_count_since = pg_device_count_since,
	.device_find_by_serial = pg_device_find_by_serial,
	.device_find_by_mac = pg_device_find_by_mac,
	.cert_insert = pg_cert_insert,
	.cert_get = pg_cert_get,
	.cert_update = pg_cert_update,
	.cert_list_for_device = pg_cert_list_for_device,
	.cert_list = pg_cert_list,
	.cert_list_revoked = pg_cert_list_revoked,
	.cert_set_seen = pg_cert_set_seen,
	.cert_supersede = pg_cert_supersede,
	.device_lock = pg_device_lock,
	.counter_next = pg_counter_next,
	.counter_list = pg_counter_list,
	.counter_raise = pg_counter_raise,
	.event_insert = pg_event_insert,
	.events_since = pg_events_since,
	.events_last = pg_events_last,
	.event_get = pg_event_get,
	.ha_status = pg_ha_status,
	.audit_insert = pg_audit_insert,
	.audit_list = pg_audit_list,
	.audit_list_after = pg_audit_list_after,
	.policy_insert = pg_policy_insert,
	.policy_get = pg_policy_get,
	.policy_list = pg_policy_list,
	.policy_newest = pg_policy_newest,
	.policy_lock = pg_policy_lock,
	.policy_list_school = pg_policy_list_school,
	.unlock_insert = pg_unlock_insert,
	.unlock_get = pg_unlock_get,
	.unlock_set_ended = pg_unlock_set_ended,
	.unlock_list_active = pg_unlock_list_active,
	.oauth_code_insert = pg_oauth_code_insert,
	.oauth_code_get = pg_oauth_code_get,
	.oauth_code_use = pg_oauth_code_use,
	.oauth_grant_insert = pg_oauth_grant_insert,
	.oauth_grant_get = pg_oauth_grant_get,
	.oauth_grant_set_device = pg_oauth_grant_set_device,
	.oauth_grant_revoke = pg_oauth_grant_revoke,
	.oauth_device_drop = pg_oauth_device_drop,
	.oauth_token_insert = pg_oauth_token_insert,
	.oauth_token_get = pg_oauth_token_get,
	.oauth_token_use = pg_oauth_token_use,
	.oauth_purge = pg_oauth_purge,
	.once_put = pg_once_put,
	.once_take = pg_once_take,
	.once_purge = pg_once_purge,
	.oauth_request_put = pg_oauth_request_put,
	.oauth_request_get = pg_oauth_request_get,
	.oauth_request_delete = pg_oauth_request_delete,
	.session_find = pg_session_find,
	.session_insert = pg_session_insert,
	.session_update = pg_session_update,
	.session_get = pg_session_get,
	.session_list = pg_session_list,
	.session_list_school = pg_session_list_school,
	.session_purge = pg_session_purge,
	.web_session_insert = pg_web_session_insert,
	.web_session_get = pg_web_session_get,
	.web_session_touch = pg_web_session_touch,
	.web_session_delete = pg_web_session_delete,
	.web_session_delete_person = pg_web_session_delete_person,
	.web_session_mark_enrolled = pg_web_session_mark_enrolled,
	.web_key_get = pg_web_key_get,
	.web_form_insert = pg_web_form_insert,
	.web_form_use = pg_web_form_use,
	.download_insert = pg_download_insert,
	.download_get = pg_download_get,
	.download_delete = pg_download_delete,
	.throttle_get = pg_throttle_get,
	.throttle_lock = pg_throttle_lock,
	.throttle_put = pg_throttle_put,
	.throttle_delete = pg_throttle_delete,
	.throttle_list_prefix = pg_throttle_list_prefix,
	.throttle_delete_prefix = pg_throttle_delete_prefix,
	.web_purge = pg_web_purge,
	.enrol_code_insert = pg_enrol_code_insert,
	.enrol_code_use = pg_enrol_code_use,
	.enrol_code_get = pg_enrol_code_get,
	.decision_add = pg_decision_add,
	.decision_list = pg_decision_list,
	.decision_purge = pg_decision_purge,
	.heartbeat_put = pg_heartbeat_put,
	.heartbeat_list = pg_heartbeat_list,

	.stats_schools = pg_stats_schools,
	.stats_enrolments = pg_stats_enrolments,
	.stats_certs_expiring = pg_stats_certs_expiring,
	.stats_nas = pg_stats_nas,

	.admin_insert = pg_admin_insert,
	.admin_get = pg_admin_get,
	.admin_get_by_id = pg_admin_get_by_id,
	.admin_update = pg_admin_update,
	.admin_list = pg_admin_list,
	.admin_totp_step = pg_admin_totp_step,
	.admin_session_insert = pg_admin_session_insert,
	.admin_session_get = pg_admin_session_get,
	.admin_session_touch = pg_admin_session_touch,
	.admin_session_set_mfa = pg_admin_session_set_mfa,
	.admin_session_delete = pg_admin_session_delete,
	.admin_session_delete_admin = pg_admin_session_delete_admin,
	.admin_session_purge = pg_admin_session_purge,
	.admin_token_insert = pg_admin_token_insert,
	.admin_token_get = pg_admin_token_get,
	.admin_token_list = pg_admin_token_list,
	.admin_token_delete = pg_admin_token_delete,
	.admin_token_touch = pg_admin_token_touch,
	.school_list_scoped = pg_school_list_scoped,
	.device_search = pg_device_search,
	.device_get_scoped = pg_device_get_scoped,
	.person_search = pg_person_search,
	.person_get_scoped = pg_person_get_scoped,
	.audit_search = pg_audit_search,
	.exec_write = pg_exec_write,
	.rows_json = pg_rows_json,
	.connection_find = pg_connection_find,
};
