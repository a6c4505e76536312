// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The SQLite backend of the registry: one database file in WAL mode (so
 * that the RADIUS module reads while byodctl writes), foreign keys on,
 * versioned migrations, and a prepared statement with bound values for
 * every query. A lock held by another process past the busy timeout becomes
 * -EBUSY with a sentence naming the file. This file opens and closes the
 * connection, runs its transactions, prepares and binds the statements
 * (sq_prepare, sq_run, sq_one, sq_each, sq_fail), keeps the change feed
 * and holds the operations table; the schema is sqlite_schema.c's, the
 * registry's own rows sqlite_tables.c's, sessions and the portal's state
 * sqlite_session.c's, the other tables the files named after them.
 * Validation, audit rows and change-feed events are registry.c's business,
 * not this file's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "sqlite_int.h"
#include "sqlite_tables.h"



/* ---- errors and statements ---------------------------------------------- */

/* Maps an SQLite result code to a negative errno and a sentence in err. */
int sq_fail(struct sq *s, int src, const char *doing, struct byod_err *err)
{
	const char *msg = s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(src);
	int code;

	switch (src & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return byod_err_set(err, EBUSY,
				    "the registry %s is locked by another process (waited %d ms)",
				    s->path, s->busy_ms);
	case SQLITE_CONSTRAINT:
		/* the index devices_live_mac (SQLite names its column) */
		if (src == SQLITE_CONSTRAINT_UNIQUE && strstr(msg, "devices.mac"))
			return byod_err_set(err, EEXIST,
					    "registry %s: %s: another live device already has "
					    "this MAC address",
					    s->path, doing);
		if (src == SQLITE_CONSTRAINT_UNIQUE || src == SQLITE_CONSTRAINT_PRIMARYKEY)
			code = EEXIST;
		else if (src == SQLITE_CONSTRAINT_FOREIGNKEY)
			code = ENOENT;
		else
			code = EINVAL;
		break;
	case SQLITE_NOMEM:
		code = ENOMEM;
		break;
	case SQLITE_READONLY:
		code = EROFS;
		break;
	case SQLITE_FULL:
		return byod_err_set(err, ENOSPC,
				    "the disk holding the registry %s is full (%s): nothing was "
				    "changed",
				    s->path, doing);
	case SQLITE_IOERR:
		/* a write the disk had no room for */
		if (s->db && sqlite3_system_errno(s->db) == ENOSPC)
			return byod_err_set(err, ENOSPC,
					    "the disk holding the registry %s is full (%s): "
					    "nothing was changed",
					    s->path, doing);
		code = EIO;
		break;
	case SQLITE_PERM:
	case SQLITE_AUTH:
	case SQLITE_CANTOPEN:
		code = EACCES;
		break;
	default:
		code = EIO;
		break;
	}
	return byod_err_set(err, code, "registry %s: %s: %s", s->path, doing, msg);
}

void stmt_freep(sqlite3_stmt **st)
{
	sqlite3_finalize(*st);
}


/*
 * Prepares sql and binds the arguments that follow, one per letter of
 * types: 't' text (NULL binds NULL), 'n' text bound as NULL when empty,
 * 'i' an int64_t, 'p' an int64_t bound as NULL when 0, 'b' a blob (two
 * arguments: const void * and size_t), '0' a NULL that takes no argument. *st is finalised by
 * the caller (cleanup_stmt), also on failure.
 */
int sq_prepare(struct sq *s, sqlite3_stmt **st, struct byod_err *err, const char *sql,
		      const char *types, ...)
{
	va_list ap;
	int src, i;

	*st = NULL;
	src = sqlite3_prepare_v2(s->db, sql, -1, st, NULL);
	if (src != SQLITE_OK)
		return sq_fail(s, src, "preparing a query", err);
	va_start(ap, types);
	for (i = 0; types[i] && src == SQLITE_OK; i++) {
		const char *t;

		switch (types[i]) {
		case 't':
			t = va_arg(ap, const char *);
			src = sqlite3_bind_text(*st, i + 1, t, -1, SQLITE_TRANSIENT);
			break;
		case 'n':
			t = va_arg(ap, const char *);
			src = t && t[0] ? sqlite3_bind_text(*st, i + 1, t, -1, SQLITE_TRANSIENT)
					: sqlite3_bind_null(*st, i + 1);
			break;
		case 'i':
			src = sqlite3_bind_int64(*st, i + 1, va_arg(ap, int64_t));
			break;
		case 'p': {
			int64_t v = va_arg(ap, int64_t);

			src = v ? sqlite3_bind_int64(*st, i + 1, v) : sqlite3_bind_null(*st, i + 1);
			break;
		}
		case 'b': {
			const void *b = va_arg(ap, const void *);
			size_t n = va_arg(ap, size_t);

			src = sqlite3_bind_blob64(*st, i + 1, b, n, SQLITE_TRANSIENT);
			break;
		}
		default:
			src = sqlite3_bind_null(*st, i + 1);
			break;
		}
	}
	va_end(ap);
	if (src != SQLITE_OK)
		return sq_fail(s, src, "binding a value", err);
	return 0;
}

/* SQLite ends a transaction by itself after some errors (disk full, out of
 * memory); a write after that would commit on its own, so refuse it. */
static int sq_check_tx(struct sq *s, struct byod_err *err)
{
	if (s->in_tx && sqlite3_get_autocommit(s->db))
		return byod_err_set(err, ECANCELED,
				    "registry %s: the transaction was rolled back after an "
				    "earlier error",
				    s->path);
	return 0;
}

/* Runs a prepared write to its end; *changes (may be NULL) gets the number
 * of rows it changed. */
int sq_run(struct sq *s, sqlite3_stmt *st, int *changes, const char *doing,
		  struct byod_err *err)
{
	int src, rc;

	rc = sq_check_tx(s, err);
	if (rc)
		return rc;
	src = sqlite3_step(st);
	if (src != SQLITE_DONE)
		return sq_fail(s, src, doing, err);
	if (changes)
		*changes = sqlite3_changes(s->db);
	return 0;
}

/* A statement without values (BEGIN, COMMIT, PRAGMA ...) run to its end. */
static int sq_simple(struct sq *s, const char *sql, const char *doing, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	int rc, src;

	rc = sq_prepare(s, &st, err, sql, "");
	if (rc)
		return rc;
	while ((src = sqlite3_step(st)) == SQLITE_ROW)
		;
	return src == SQLITE_DONE ? 0 : sq_fail(s, src, doing, err);
}

/* One row expected: 0 with the row current, -ENOENT when there is none. */
int sq_one(struct sq *s, sqlite3_stmt *st, const char *doing, struct byod_err *err)
{
	int src = sqlite3_step(st);

	if (src == SQLITE_ROW)
		return 0;
	if (src == SQLITE_DONE)
		return byod_err_set(err, ENOENT, "registry %s: %s: not found", s->path, doing);
	return sq_fail(s, src, doing, err);
}

/* Calls row(st, arg) for each row; its non-zero return stops and is
 * returned as is. */
int sq_each(struct sq *s, sqlite3_stmt *st, int (*row)(sqlite3_stmt *, void *), void *arg,
		   const char *doing, struct byod_err *err)
{
	int src, rc;

	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		rc = row(st, arg);
		if (rc)
			return rc;
	}
	return src == SQLITE_DONE ? 0 : sq_fail(s, src, doing, err);
}

void col_text(sqlite3_stmt *st, int i, char *out, size_t len)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	snprintf(out, len, "%s", t ? (const char *)t : "");
}

/* ---- opening, migrations, transactions ---------------------------------- */

static void sq_close(struct reg_db *be)
{
	struct sq *s;

	if (!be)
		return;
	s = sq_of(be);
	/* Every statement is finalised by the function that prepared it (the
	 * feed wait's kept one here), so nothing keeps the connection open past
	 * this. */
	sqlite3_finalize(s->feed_st);
	sq_feed_close(s);
	sqlite3_close_v2(s->db);
	free(s->path);
	free(s);
}

static int sq_open(const struct reg_options *opt, struct reg_db **out, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	const char *mode;
	struct sq *s;
	int rc = 0, src, fd;

	*out = NULL;
	if (!opt->path || !opt->path[0])
		return byod_err_set(err, EINVAL, "no registry database file given");
	if (opt->busy_timeout_ms < 0)
		return byod_err_set(err, EINVAL, "negative registry busy timeout %d",
				    opt->busy_timeout_ms);
	s = calloc(1, sizeof(*s));
	if (!s)
		return byod_err_set(err, ENOMEM, "out of memory");
	s->base.ops = &reg_sqlite_ops;
	s->busy_ms = opt->busy_timeout_ms;
	s->path = strdup(opt->path);
	if (!s->path) {
		rc = byod_err_set(err, ENOMEM, "out of memory");
		goto out;
	}
	/* The registry holds password hashes: a new file is for its owner
	 * only (SQLite gives the -wal and -shm files the same mode). Only a
	 * file that does not exist yet is opened here: closing any descriptor
	 * of a file drops every POSIX lock this process holds on it, those of
	 * the other registry connections included, and another process would
	 * then take the WAL for unused and delete it. */
	if (opt->no_migrate) {
		/* to look at a registry, never to make one */
		if (access(s->path, F_OK)) {
			rc = byod_err_set(err, errno, "cannot open the registry %s: %s", s->path,
					  strerror(errno));
			goto out;
		}
		fd = -1;
		errno = EEXIST;
	} else {
		fd = open(s->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	}
	if (fd >= 0) {
		close(fd);
	} else if (errno != EEXIST) {
		rc = byod_err_set(err, errno, "cannot open the registry %s: %s", s->path,
				  strerror(errno));
		goto out;
	}
	src = sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (src != SQLITE_OK) {
		rc = sq_fail(s, src, "opening", err);
		goto out;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, s->busy_ms);
	/* The WAL and its index stay when the last connection closes: a
	 * process that opens the registry on a full disk can still read it
	 * (recreating them would need the space that is missing). */
	{
		int persist = 1;

		sqlite3_file_control(s->db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
	}
	rc = sq_simple(s, "PRAGMA foreign_keys = ON", "enabling foreign keys", err);
	if (rc)
		goto out;
	rc = sq_prepare(s, &st, err, "PRAGMA journal_mode = WAL", "");
	if (!rc)
		rc = sq_one(s, st, "switching to WAL mode", err);
	if (rc)
		goto out;
	mode = (const char *)sqlite3_column_text(st, 0);
	if (!mode || strcmp(mode, "wal")) {
		rc = byod_err_set(err, EIO, "registry %s: cannot switch to WAL mode (still %s)",
				  s->path, mode ? mode : "unknown");
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	rc = opt->no_migrate ? sq_check_version(s, err) : sq_migrate(s, err);
out:
	if (rc) {
		sq_close(&s->base);
		return rc;
	}
	*out = &s->base;
	return 0;
}

static int sq_schema_version(struct reg_db *be, int *version, struct byod_err *err)
{
	return sq_read_version(sq_of(be), version, err);
}

/* IMMEDIATE: take the write lock now, so that a transaction that has read
 * never fails later for want of it, and the busy timeout applies here. */
int sq_begin(struct reg_db *be, struct byod_err *err)
{
	struct sq *s = sq_of(be);
	int rc = sq_simple(s, "BEGIN IMMEDIATE", "starting a transaction", err);

	if (!rc)
		s->in_tx = 1;
	return rc;
}

/* DEFERRED: no lock until the first read, which fixes the snapshot (WAL)
 * that every later read of the transaction sees; writers go on. */
static int sq_begin_read(struct reg_db *be, struct byod_err *err)
{
	struct sq *s = sq_of(be);
	int rc = sq_simple(s, "BEGIN DEFERRED", "starting a read transaction", err);

	if (!rc)
		s->in_tx = 1;
	return rc;
}

/* A failed COMMIT leaves the transaction open for the caller's rollback. */
int sq_commit(struct reg_db *be, struct byod_err *err)
{
	struct sq *s = sq_of(be);
	int rc = sq_check_tx(s, err);

	if (!rc)
		rc = sq_simple(s, "COMMIT", "committing", err);
	if (!rc)
		s->in_tx = 0;
	return rc;
}

void sq_rollback(struct reg_db *be)
{
	struct sq *s = sq_of(be);

	if (!sqlite3_get_autocommit(s->db))
		sq_simple(s, "ROLLBACK", "rolling back", NULL);
	s->in_tx = 0;
}

/* ---- the change feed ----------------------------------------------------- */

static int sq_event_insert(struct reg_db *be, struct reg_event *ev, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err, "INSERT INTO events (time, kind, object) VALUES (?, ?, ?)",
			"itt", (int64_t)ev->time, ev->kind, ev->object);
	if (!rc)
		rc = sq_run(s, st, NULL, "adding an event", err);
	if (!rc)
		ev->seq = sqlite3_last_insert_rowid(s->db);
	return rc;
}

struct event_visit {
	reg_event_cb cb;
	void *ctx;
};

static int visit_event(sqlite3_stmt *st, void *arg)
{
	struct event_visit *v = arg;
	struct reg_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.seq = sqlite3_column_int64(st, 0);
	ev.time = (time_t)sqlite3_column_int64(st, 1);
	col_text(st, 2, ev.kind, sizeof(ev.kind));
	col_text(st, 3, ev.object, sizeof(ev.object));
	return v->cb(&ev, v->ctx);
}

static int sq_events_since(struct reg_db *be, int64_t after, int limit, reg_event_cb cb, void *ctx,
			   struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct event_visit v = {cb, ctx};
	struct sq *s = sq_of(be);
	int rc;

	/* LIMIT -1 is SQLite's "no limit". */
	rc = sq_prepare(s, &st, err,
			"SELECT seq, time, kind, object FROM events WHERE seq > ? "
			"ORDER BY seq LIMIT ?",
			"ii", after, (int64_t)(limit > 0 ? limit : -1));
	return rc ? rc : sq_each(s, st, visit_event, &v, "reading the change feed", err);
}

static int sq_events_last(struct reg_db *be, int64_t *seq, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err, "SELECT COALESCE(MAX(seq), 0) FROM events", "");
	if (!rc)
		rc = sq_one(s, st, "reading the change feed", err);
	if (!rc)
		*seq = sqlite3_column_int64(st, 0);
	return rc;
}

/* SQLite keeps no tag (0): one file has no failover that could give a
 * number twice, and its handles never connect again. */
static int sq_event_get(struct reg_db *be, int64_t seq, struct reg_event *out,
			struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err, "SELECT seq, time, kind, object FROM events WHERE seq = ?",
			"i", seq);
	if (!rc)
		rc = sq_one(s, st, "reading a change-feed event", err);
	if (rc)
		return rc;
	out->seq = sqlite3_column_int64(st, 0);
	out->time = (time_t)sqlite3_column_int64(st, 1);
	col_text(st, 2, out->kind, sizeof(out->kind));
	col_text(st, 3, out->object, sizeof(out->object));
	out->tag = 0;
	return 0;
}

const struct reg_backend_ops reg_sqlite_ops = {
	.name = "sqlite",
	.newest_version = SQ_NEWEST_VERSION,
	.open = sq_open,
	.close = sq_close,
	.schema_version = sq_schema_version,
	.begin = sq_begin,
	.begin_read = sq_begin_read,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.school_insert = sq_school_insert,
	.school_get = sq_school_get,
	.school_list = sq_school_list,
	.person_insert = sq_person_insert,
	.person_get = sq_person_get,
	.person_get_by_id = sq_person_get_by_id,
	.person_update = sq_person_update,
	.person_list = sq_person_list,
	.person_list_school = sq_person_list_school,
	.person_list_source = sq_person_list_source,
	.person_list_leaving = sq_person_list_leaving,
	.device_insert = sq_device_insert,
	.device_get = sq_device_get,
	.device_update = sq_device_update,
	.device_list = sq_device_list,
	.device_count_live = sq_device_count_live,
	.device_count_since = sq_device_count_since,
	.device_find_by_serial = sq_device_find_by_serial,
	.device_find_by_mac = sq_device_find_by_mac,
	.cert_insert = sq_cert_insert,
	.cert_get = sq_cert_get,
	.cert_update = sq_cert_update,
	.cert_list_for_device = sq_cert_list_for_device,
	.cert_list = sq_cert_list,
	.cert_list_revoked = sq_cert_list_revoked,
	.cert_set_seen = sq_cert_set_seen,
	.cert_supersede = sq_cert_supersede,
	.device_lock = sq_device_lock,
	.counter_next = sq_counter_next,
	.counter_list = sq_counter_list,
	.counter_raise = sq_counter_raise,
	.event_insert = sq_event_insert,
	.events_since = sq_events_since,
	.events_last = sq_events_last,
	.event_get = sq_event_get,
	.ha_status = sq_ha_status,
	.feed_wait = sq_feed_wait,
	.audit_insert = sq_audit_insert,
	.audit_list = sq_audit_list,
	.audit_list_after = sq_audit_list_after,
	.policy_insert = sq_policy_insert,
	.policy_get = sq_policy_get,
	.policy_list = sq_policy_list,
	.policy_newest = sq_policy_newest,
	.policy_lock = sq_policy_lock,
	.policy_list_school = sq_policy_list_school,
	.unlock_insert = sq_unlock_insert,
	.unlock_get = sq_unlock_get,
	.unlock_set_ended = sq_unlock_set_ended,
	.unlock_list_active = sq_unlock_list_active,
	.oauth_code_insert = sq_oauth_code_insert,
	.oauth_code_get = sq_oauth_code_get,
	.oauth_code_use = sq_oauth_code_use,
	.oauth_grant_insert = sq_oauth_grant_insert,
	.oauth_grant_get = sq_oauth_grant_get,
	.oauth_grant_set_device = sq_oauth_grant_set_device,
	.oauth_grant_revoke = sq_oauth_grant_revoke,
	.oauth_device_drop = sq_oauth_device_drop,
	.oauth_token_insert = sq_oauth_token_insert,
	.oauth_token_get = sq_oauth_token_get,
	.oauth_token_use = sq_oauth_token_use,
	.oauth_purge = sq_oauth_purge,
	.once_put = sq_once_put,
	.once_take = sq_once_take,
	.once_purge = sq_once_purge,
	.oauth_request_put = sq_oauth_request_put,
	.oauth_request_get = sq_oauth_request_get,
	.oauth_request_delete = sq_oauth_request_delete,
	.session_find = sq_session_find,
	.session_insert = sq_session_insert,
	.session_update = sq_session_update,
	.session_get = sq_session_get,
	.session_list = sq_session_list,
	.session_list_school = sq_session_list_school,
	.session_purge = sq_session_purge,
	.web_session_insert = sq_web_session_insert,
	.web_session_get = sq_web_session_get,
	.web_session_touch = sq_web_session_touch,
	.web_session_delete = sq_web_session_delete,
	.web_session_delete_person = sq_web_session_delete_person,
	.web_session_mark_enrolled = sq_web_session_mark_enrolled,
	.web_key_get = sq_web_key_get,
	.web_form_insert = sq_web_form_insert,
	.web_form_use = sq_web_form_use,
	.download_insert = sq_download_insert,
	.download_get = sq_download_get,
	.download_delete = sq_download_delete,
	.throttle_get = sq_throttle_get,
	.throttle_lock = sq_throttle_get, /* BEGIN IMMEDIATE holds the write lock */
	.throttle_put = sq_throttle_put,
	.throttle_delete = sq_throttle_delete,
	.throttle_list_prefix = sq_throttle_list_prefix,
	.throttle_delete_prefix = sq_throttle_delete_prefix,
	.web_purge = sq_web_purge,
	.enrol_code_insert = sq_enrol_code_insert,
	.enrol_code_use = sq_enrol_code_use,
	.enrol_code_get = sq_enrol_code_get,
	.decision_add = sq_decision_add,
	.decision_list = sq_decision_list,
	.decision_purge = sq_decision_purge,
	.heartbeat_put = sq_heartbeat_put,
	.heartbeat_list = sq_heartbeat_list,

	.stats_schools = sq_stats_schools,
	.stats_enrolments = sq_stats_enrolments,
	.stats_certs_expiring = sq_stats_certs_expiring,
	.stats_nas = sq_stats_nas,

	.admin_insert = sq_admin_insert,
	.admin_get = sq_admin_get,
	.admin_get_by_id = sq_admin_get_by_id,
	.admin_update = sq_admin_update,
	.admin_list = sq_admin_list,
	.admin_totp_step = sq_admin_totp_step,
	.admin_session_insert = sq_admin_session_insert,
	.admin_session_get = sq_admin_session_get,
	.admin_session_touch = sq_admin_session_touch,
	.admin_session_set_mfa = sq_admin_session_set_mfa,
	.admin_session_delete = sq_admin_session_delete,
	.admin_session_delete_admin = sq_admin_session_delete_admin,
	.admin_session_purge = sq_admin_session_purge,
	.admin_token_insert = sq_admin_token_insert,
	.admin_token_get = sq_admin_token_get,
	.admin_token_list = sq_admin_token_list,
	.admin_token_delete = sq_admin_token_delete,
	.admin_token_touch = sq_admin_token_touch,
	.school_list_scoped = sq_school_list_scoped,
	.device_search = sq_device_search,
	.device_get_scoped = sq_device_get_scoped,
	.person_search = sq_person_search,
	.person_get_scoped = sq_person_get_scoped,
	.audit_search = sq_audit_search,
	.exec_write = sq_exec_write,
	.rows_json = sq_rows_json,
	.connection_find = sq_connection_find,
};
