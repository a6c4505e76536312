// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The SQLite backend of the registry: one database file in WAL mode (so
 * that the RADIUS module reads while byodctl writes), foreign keys on,
 * versioned migrations, and a prepared statement with bound values for
 * every query. A lock held by another process past the busy timeout becomes
 * -EBUSY with a sentence naming the file. Validation, audit rows and
 * change-feed events are registry.c's business, not this file's.
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

/* ---- schools and people -------------------------------------------------- */

static int sq_school_insert(struct reg_db *be, const struct reg_school *sc, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err, "INSERT INTO schools (uai, name) VALUES (?, ?)", "tt", sc->uai,
			sc->name);
	return rc ? rc : sq_run(s, st, NULL, "adding a school", err);
}

static int sq_school_get(struct reg_db *be, const char *uai, struct reg_school *out,
			 struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err, "SELECT uai, name FROM schools WHERE uai = ?", "t", uai);
	if (!rc)
		rc = sq_one(s, st, "reading a school", err);
	if (rc)
		return rc;
	memset(out, 0, sizeof(*out));
	col_text(st, 0, out->uai, sizeof(out->uai));
	col_text(st, 1, out->name, sizeof(out->name));
	return 0;
}

struct school_visit {
	reg_school_cb cb;
	void *ctx;
};

static int visit_school(sqlite3_stmt *st, void *arg)
{
	struct school_visit *v = arg;
	struct reg_school sc;

	memset(&sc, 0, sizeof(sc));
	col_text(st, 0, sc.uai, sizeof(sc.uai));
	col_text(st, 1, sc.name, sizeof(sc.name));
	return v->cb(&sc, v->ctx);
}

static int sq_school_list(struct reg_db *be, reg_school_cb cb, void *ctx, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct school_visit v = {cb, ctx};
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err, "SELECT uai, name FROM schools ORDER BY uai", "");
	return rc ? rc : sq_each(s, st, visit_school, &v, "listing schools", err);
}

#define PERSON_COLUMNS SQ_PERSON_COLUMNS

static int read_person(sqlite3_stmt *st, struct reg_person *p)
{
	char role[16], state[16];
	int rv;

	memset(p, 0, sizeof(*p));
	p->id = sqlite3_column_int64(st, 0);
	col_text(st, 1, p->login, sizeof(p->login));
	col_text(st, 2, p->display_name, sizeof(p->display_name));
	col_text(st, 3, role, sizeof(role));
	col_text(st, 4, p->school, sizeof(p->school));
	col_text(st, 5, p->groups, sizeof(p->groups));
	col_text(st, 6, p->password_hash, sizeof(p->password_hash));
	col_text(st, 7, state, sizeof(state));
	p->created = (time_t)sqlite3_column_int64(st, 8);
	p->leaves_at = (time_t)sqlite3_column_int64(st, 9);
	p->disabled_at = (time_t)sqlite3_column_int64(st, 10);
	col_text(st, 11, p->source, sizeof(p->source));
	rv = byod_role_parse(role);
	if (rv < 0 || reg_person_state_parse(state, &p->state))
		return -EIO;
	p->role = (enum byod_role)rv;
	return 0;
}

static int sq_person_insert(struct reg_db *be, struct reg_person *p, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err,
			"INSERT INTO people (login, display_name, role, school, \"groups\", "
			"password_hash, state, created, leaves_at, disabled_at, source) "
			"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			"ttttttti" "iit", p->login, p->display_name, byod_role_name(p->role),
			p->school[0] ? p->school : NULL, p->groups, p->password_hash,
			reg_person_state_name(p->state), (int64_t)p->created,
			(int64_t)p->leaves_at, (int64_t)p->disabled_at, p->source);
	if (!rc)
		rc = sq_run(s, st, NULL, "adding a person", err);
	if (!rc)
		p->id = sqlite3_last_insert_rowid(s->db);
	return rc;
}

static int person_get_where(struct sq *s, const char *sql, const char *types, const char *login,
			    int64_t id, struct reg_person *out, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	int rc;

	rc = login ? sq_prepare(s, &st, err, sql, types, login)
		   : sq_prepare(s, &st, err, sql, types, id);
	if (!rc)
		rc = sq_one(s, st, "reading a person", err);
	if (!rc && read_person(st, out))
		rc = byod_err_set(err, EIO, "registry %s: a person's row is corrupt", s->path);
	return rc;
}

static int sq_person_get(struct reg_db *be, const char *login, struct reg_person *out,
			 struct byod_err *err)
{
	return person_get_where(sq_of(be), "SELECT " PERSON_COLUMNS " FROM people WHERE login = ?",
				"t", login, 0, out, err);
}

static int sq_person_get_by_id(struct reg_db *be, int64_t id, struct reg_person *out,
			       struct byod_err *err)
{
	return person_get_where(sq_of(be), "SELECT " PERSON_COLUMNS " FROM people WHERE id = ?",
				"i", NULL, id, out, err);
}

static int sq_person_update(struct reg_db *be, const struct reg_person *p, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc, n = 0;

	rc = sq_prepare(s, &st, err,
			"UPDATE people SET display_name = ?, role = ?, school = ?, \"groups\" = ?, "
			"password_hash = ?, state = ?, leaves_at = ?, disabled_at = ?, source = ? "
			"WHERE id = ?",
			"ttttttiiti", p->display_name, byod_role_name(p->role),
			p->school[0] ? p->school : NULL, p->groups, p->password_hash,
			reg_person_state_name(p->state), (int64_t)p->leaves_at,
			(int64_t)p->disabled_at, p->source, p->id);
	if (!rc)
		rc = sq_run(s, st, &n, "updating a person", err);
	if (!rc && n != 1)
		rc = byod_err_set(err, ENOENT, "registry %s: no person with id %lld", s->path,
				  (long long)p->id);
	return rc;
}

struct person_visit {
	reg_person_cb cb;
	void *ctx;
};

static int visit_person(sqlite3_stmt *st, void *arg)
{
	struct person_visit *v = arg;
	struct reg_person p;
	int rc;

	rc = read_person(st, &p);
	if (!rc)
		rc = v->cb(&p, v->ctx);
	explicit_bzero(&p, sizeof(p));
	return rc;
}

static int sq_person_list(struct reg_db *be, reg_person_cb cb, void *ctx, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct person_visit v = {cb, ctx};
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err, "SELECT " PERSON_COLUMNS " FROM people ORDER BY login", "");
	return rc ? rc : sq_each(s, st, visit_person, &v, "listing people", err);
}

/* (through the index people_school) */
static int sq_person_list_school(struct reg_db *be, const char *school, reg_person_cb cb, void *ctx,
				 struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct person_visit v = {cb, ctx};
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err,
			"SELECT " PERSON_COLUMNS " FROM people WHERE school = ? ORDER BY login",
			"t", school);
	return rc ? rc : sq_each(s, st, visit_person, &v, "listing a school's people", err);
}

/* (through the index people_source for a source's name) */
static int sq_person_list_source(struct reg_db *be, const char *source, const char *school,
				 reg_person_cb cb, void *ctx, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct person_visit v = {cb, ctx};
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err,
			"SELECT " PERSON_COLUMNS " FROM people WHERE source = ?1 "
			"AND (?2 IS NULL OR school = ?2) ORDER BY login",
			"tn", source, school);
	return rc ? rc : sq_each(s, st, visit_person, &v, "listing a source's people", err);
}

/* ---- devices -------------------------------------------------------------- */

#define DEVICE_SELECT SQ_DEVICE_SELECT

static int read_device(sqlite3_stmt *st, struct reg_device *d)
{
	char kind[16], state[16];
	int kv, sv;

	memset(d, 0, sizeof(*d));
	col_text(st, 0, d->id, sizeof(d->id));
	d->owner = sqlite3_column_int64(st, 1);
	col_text(st, 2, d->owner_login, sizeof(d->owner_login));
	col_text(st, 3, d->name, sizeof(d->name));
	col_text(st, 4, kind, sizeof(kind));
	col_text(st, 5, d->mac, sizeof(d->mac));
	col_text(st, 6, state, sizeof(state));
	col_text(st, 7, d->charter, sizeof(d->charter));
	d->created = (time_t)sqlite3_column_int64(st, 8);
	d->expires = (time_t)sqlite3_column_int64(st, 9);
	col_text(st, 10, d->school, sizeof(d->school));
	kv = byod_kind_parse(kind);
	sv = byod_device_state_parse(state);
	if (kv < 0 || sv < 0 || sv == BYOD_DEVICE_UNKNOWN)
		return -EIO;
	d->kind = (enum byod_kind)kv;
	d->state = (enum byod_device_state)sv;
	return 0;
}

/* Runs a prepared device query expecting one row into out. */
static int device_one(struct sq *s, sqlite3_stmt *st, struct reg_device *out, struct byod_err *err)
{
	int rc = sq_one(s, st, "reading a device", err);

	if (!rc && read_device(st, out))
		rc = byod_err_set(err, EIO, "registry %s: a device's row is corrupt", s->path);
	return rc;
}

static int sq_device_insert(struct reg_db *be, const struct reg_device *d, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err,
			"INSERT INTO devices (id, owner, name, kind, mac, state, charter, created, "
			"expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
			"tittnttii", d->id, d->owner, d->name, byod_kind_name(d->kind),
			d->mac, byod_device_state_name(d->state), d->charter, (int64_t)d->created,
			(int64_t)d->expires);
	return rc ? rc : sq_run(s, st, NULL, "adding a device", err);
}

static int sq_device_get(struct reg_db *be, const char *id, struct reg_device *out,
			 struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err, DEVICE_SELECT "WHERE d.id = ?", "t", id);
	return rc ? rc : device_one(s, st, out, err);
}

static int sq_device_update(struct reg_db *be, const struct reg_device *d, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc, n = 0;

	rc = sq_prepare(s, &st, err,
			"UPDATE devices SET name = ?, kind = ?, mac = ?, state = ?, charter = ?, "
			"expires = ? WHERE id = ?",
			"ttnttit", d->name, byod_kind_name(d->kind), d->mac,
			byod_device_state_name(d->state), d->charter, (int64_t)d->expires, d->id);
	if (!rc)
		rc = sq_run(s, st, &n, "updating a device", err);
	if (!rc && n != 1)
		rc = byod_err_set(err, ENOENT, "registry %s: no device %s", s->path, d->id);
	return rc;
}

struct device_visit {
	reg_device_cb cb;
	void *ctx;
};

static int visit_device(sqlite3_stmt *st, void *arg)
{
	struct device_visit *v = arg;
	struct reg_device d;

	return read_device(st, &d) ? -EIO : v->cb(&d, v->ctx);
}

static int sq_device_list(struct reg_db *be, const struct reg_device_filter *filter,
			  reg_device_cb cb, void *ctx, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct device_visit v = {cb, ctx};
	struct sq *s = sq_of(be);
	const char *login = filter ? filter->owner_login : NULL;
	const char *state = filter && filter->state != -1
				    ? byod_device_state_name((enum byod_device_state)filter->state)
				    : NULL;
	const char *school = filter ? filter->school : NULL;
	int rc;

	/* a school's devices: its people through the index people_school,
	 * then theirs through devices_owner (an "?3 IS NULL OR" would read
	 * every device of the registry) */
	if (school)
		rc = sq_prepare(s, &st, err,
				DEVICE_SELECT
				"WHERE p.school = ?3 AND (?1 IS NULL OR p.login = ?1) "
				"AND (?2 IS NULL OR d.state = ?2) "
				"ORDER BY d.created, d.rowid",
				"ttt", login, state, school);
	else
		rc = sq_prepare(s, &st, err,
				DEVICE_SELECT "WHERE (?1 IS NULL OR p.login = ?1) "
					      "AND (?2 IS NULL OR d.state = ?2) "
					      "ORDER BY d.created, d.rowid",
				"tt", login, state);
	return rc ? rc : sq_each(s, st, visit_device, &v, "listing devices", err);
}

static int sq_device_count_since(struct reg_db *be, int64_t owner, time_t since, int *count,
				 struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err, "SELECT COUNT(*) FROM devices WHERE owner = ? AND created >= ?",
			"ii", owner, (int64_t)since);
	if (!rc)
		rc = sq_one(s, st, "counting recent enrolments", err);
	if (!rc)
		*count = sqlite3_column_int(st, 0);
	return rc;
}

static int sq_device_count_live(struct reg_db *be, int64_t owner, int *count, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err,
			"SELECT COUNT(*) FROM devices WHERE owner = ? "
			"AND state IN ('active', 'suspended')",
			"i", owner);
	if (!rc)
		rc = sq_one(s, st, "counting devices", err);
	if (!rc)
		*count = sqlite3_column_int(st, 0);
	return rc;
}

static int sq_device_find_by_serial(struct reg_db *be, const char *serial, struct reg_device *out,
				    struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err,
			DEVICE_SELECT "JOIN certificates c ON c.device = d.id WHERE c.serial = ?",
			"t", serial);
	return rc ? rc : device_one(s, st, out, err);
}

static int sq_device_find_by_mac(struct reg_db *be, const char *mac, struct reg_device *out,
				 struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err,
			DEVICE_SELECT "WHERE d.mac = ? "
				      "ORDER BY d.state IN ('active', 'suspended') DESC, "
				      "d.created DESC, d.rowid DESC LIMIT 1",
			"t", mac);
	return rc ? rc : device_one(s, st, out, err);
}

/* ---- certificates --------------------------------------------------------- */

#define CERT_SELECT                                                                                \
	"SELECT serial, device, not_before, not_after, state, revoked_at, reason, replaces, "      \
	"first_seen FROM certificates "

static int read_cert(sqlite3_stmt *st, struct reg_cert *c)
{
	char state[16];

	memset(c, 0, sizeof(*c));
	col_text(st, 0, c->serial, sizeof(c->serial));
	col_text(st, 1, c->device, sizeof(c->device));
	c->not_before = (time_t)sqlite3_column_int64(st, 2);
	c->not_after = (time_t)sqlite3_column_int64(st, 3);
	col_text(st, 4, state, sizeof(state));
	c->revoked_at = (time_t)sqlite3_column_int64(st, 5);
	c->reason = sqlite3_column_int(st, 6);
	col_text(st, 7, c->replaces, sizeof(c->replaces));
	c->first_seen = (time_t)sqlite3_column_int64(st, 8);
	return reg_cert_state_parse(state, &c->state) ? -EIO : 0;
}

static int sq_cert_insert(struct reg_db *be, const struct reg_cert *c, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	const char *sql = "INSERT INTO certificates (serial, device, not_before, not_after, state, "
			  "revoked_at, reason, replaces, first_seen) "
			  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
	int rc;

	if (c->state == REG_CERT_REVOKED)
		rc = sq_prepare(s, &st, err, sql, "ttiitiiti", c->serial, c->device,
				(int64_t)c->not_before, (int64_t)c->not_after,
				reg_cert_state_name(c->state), (int64_t)c->revoked_at,
				(int64_t)c->reason, c->replaces, (int64_t)c->first_seen);
	else
		rc = sq_prepare(s, &st, err, sql, "ttiit00ti", c->serial, c->device,
				(int64_t)c->not_before, (int64_t)c->not_after,
				reg_cert_state_name(c->state), c->replaces,
				(int64_t)c->first_seen);
	return rc ? rc : sq_run(s, st, NULL, "adding a certificate", err);
}

static int sq_cert_get(struct reg_db *be, const char *serial, struct reg_cert *out,
		       struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err, CERT_SELECT "WHERE serial = ?", "t", serial);
	if (!rc)
		rc = sq_one(s, st, "reading a certificate", err);
	if (!rc && read_cert(st, out))
		rc = byod_err_set(err, EIO, "registry %s: a certificate's row is corrupt", s->path);
	return rc;
}

static int sq_cert_update(struct reg_db *be, const struct reg_cert *c, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	const char *sql = "UPDATE certificates SET state = ?, revoked_at = ?, reason = ? "
			  "WHERE serial = ?";
	int rc, n = 0;

	if (c->state == REG_CERT_REVOKED)
		rc = sq_prepare(s, &st, err, sql, "tiit", reg_cert_state_name(c->state),
				(int64_t)c->revoked_at, (int64_t)c->reason, c->serial);
	else
		rc = sq_prepare(s, &st, err, sql, "t00t", reg_cert_state_name(c->state), c->serial);
	if (!rc)
		rc = sq_run(s, st, &n, "updating a certificate", err);
	if (!rc && n != 1)
		rc = byod_err_set(err, ENOENT, "registry %s: no certificate %s", s->path,
				  c->serial);
	return rc;
}

struct cert_visit {
	reg_cert_cb cb;
	void *ctx;
};

static int visit_cert(sqlite3_stmt *st, void *arg)
{
	struct cert_visit *v = arg;
	struct reg_cert c;

	return read_cert(st, &c) ? -EIO : v->cb(&c, v->ctx);
}

static int sq_cert_list_for_device(struct reg_db *be, const char *device, reg_cert_cb cb, void *ctx,
				   struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct cert_visit v = {cb, ctx};
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err, CERT_SELECT "WHERE device = ? ORDER BY not_before, serial",
			"t", device);
	return rc ? rc : sq_each(s, st, visit_cert, &v, "listing certificates", err);
}

static int sq_cert_list(struct reg_db *be, reg_cert_cb cb, void *ctx, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct cert_visit v = {cb, ctx};
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err, CERT_SELECT "ORDER BY serial", "");
	return rc ? rc : sq_each(s, st, visit_cert, &v, "listing certificates", err);
}

/* The revoked certificates of erased devices, kept until their end for the
 * CRL (reg_person_remove): as rows of no device, replacing none, never seen. */
#define CRL_KEPT_UNION                                                                             \
	"UNION ALL SELECT serial, '', not_before, not_after, 'revoked', revoked_at, reason, "      \
	"'', 0 FROM crl_kept "

static int sq_cert_list_revoked(struct reg_db *be, reg_cert_cb cb, void *ctx, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct cert_visit v = {cb, ctx};
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err,
			CERT_SELECT "WHERE state = 'revoked' " CRL_KEPT_UNION
				    "ORDER BY revoked_at, serial",
			"");
	return rc ? rc : sq_each(s, st, visit_cert, &v, "listing revoked certificates", err);
}

/* ---- counters, events, audit ---------------------------------------------- */

static int sq_counter_next(struct reg_db *be, const char *name, int64_t *value,
			   struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *up = NULL;
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &up, err,
			"INSERT INTO counters (name, value) VALUES (?, 1) "
			"ON CONFLICT (name) DO UPDATE SET value = value + 1",
			"t", name);
	if (!rc)
		rc = sq_run(s, up, NULL, "advancing a counter", err);
	if (!rc)
		rc = sq_prepare(s, &st, err, "SELECT value FROM counters WHERE name = ?", "t",
				name);
	if (!rc)
		rc = sq_one(s, st, "reading a counter", err);
	if (!rc)
		*value = sqlite3_column_int64(st, 0);
	return rc;
}

struct counter_visit {
	reg_counter_cb cb;
	void *ctx;
};

static int visit_counter(sqlite3_stmt *st, void *arg)
{
	struct counter_visit *v = arg;

	return v->cb((const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1),
		     v->ctx);
}

static int sq_counter_list(struct reg_db *be, reg_counter_cb cb, void *ctx, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct counter_visit v = {cb, ctx};
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err, "SELECT name, value FROM counters ORDER BY name", "");
	return rc ? rc : sq_each(s, st, visit_counter, &v, "listing counters", err);
}

static int sq_counter_raise(struct reg_db *be, const char *name, int64_t value,
			    struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err,
			"INSERT INTO counters (name, value) VALUES (?, ?) "
			"ON CONFLICT (name) DO UPDATE SET value = MAX(value, excluded.value)",
			"ti", name, value);
	return rc ? rc : sq_run(s, st, NULL, "raising a counter", err);
}

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

static int sq_audit_insert(struct reg_db *be, struct reg_audit *a, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err,
			"INSERT INTO audit (time, actor, action, object, before_json, after_json, "
			"school) VALUES (?, ?, ?, ?, ?, ?, ?)",
			"itttttt", (int64_t)a->time, a->actor, a->action, a->object, a->before,
			a->after, a->school);
	if (!rc)
		rc = sq_run(s, st, NULL, "writing the audit log", err);
	if (!rc)
		a->id = sqlite3_last_insert_rowid(s->db);
	return rc;
}

struct audit_visit {
	reg_audit_cb cb;
	void *ctx;
};

static int visit_audit(sqlite3_stmt *st, void *arg)
{
	struct audit_visit *v = arg;
	struct reg_audit a;

	memset(&a, 0, sizeof(a));
	a.id = sqlite3_column_int64(st, 0);
	a.time = (time_t)sqlite3_column_int64(st, 1);
	col_text(st, 2, a.actor, sizeof(a.actor));
	col_text(st, 3, a.action, sizeof(a.action));
	col_text(st, 4, a.object, sizeof(a.object));
	a.before = (const char *)sqlite3_column_text(st, 5);
	a.after = (const char *)sqlite3_column_text(st, 6);
	col_text(st, 7, a.school, sizeof(a.school));
	return v->cb(&a, v->ctx);
}

static int sq_audit_list(struct reg_db *be, int limit, reg_audit_cb cb, void *ctx,
			 struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct audit_visit v = {cb, ctx};
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err,
			"SELECT " SQ_AUDIT_COLUMNS " "
			"FROM audit ORDER BY id DESC LIMIT ?",
			"i", (int64_t)(limit > 0 ? limit : -1));
	return rc ? rc : sq_each(s, st, visit_audit, &v, "reading the audit log", err);
}

static int sq_audit_list_after(struct reg_db *be, int64_t after, reg_audit_cb cb, void *ctx,
			       struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct audit_visit v = {cb, ctx};
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err,
			"SELECT " SQ_AUDIT_COLUMNS " "
			"FROM audit WHERE id > ? ORDER BY id",
			"i", after);
	return rc ? rc : sq_each(s, st, visit_audit, &v, "reading the audit log", err);
}

/* For the other files of the backend (sqlite_admin.c). */
int sq_read_person(sqlite3_stmt *st, struct reg_person *p)
{
	return read_person(st, p);
}

int sq_read_device(sqlite3_stmt *st, struct reg_device *d)
{
	return read_device(st, d);
}

int sq_visit_audit(sqlite3_stmt *st, reg_audit_cb cb, void *ctx)
{
	struct audit_visit v = {cb, ctx};

	return visit_audit(st, &v);
}

/* ---- policy versions ------------------------------------------------------ */

#define POLICY_COLS "version, created, author, file, comment, school, follows_default"

static int sq_policy_insert(struct reg_db *be, struct reg_policy *p, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err,
			"INSERT INTO policies (created, author, file, comment, source, school, "
			"follows_default) VALUES (?, ?, ?, ?, ?, ?, ?)",
			"ittttti", (int64_t)p->created, p->author, p->file, p->comment, p->source,
			p->school, (int64_t)(p->follows_default != 0));
	if (!rc)
		rc = sq_run(s, st, NULL, "storing a policy", err);
	if (!rc)
		p->version = sqlite3_last_insert_rowid(s->db);
	return rc;
}

static void read_policy(sqlite3_stmt *st, struct reg_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->version = sqlite3_column_int64(st, 0);
	p->created = (time_t)sqlite3_column_int64(st, 1);
	col_text(st, 2, p->author, sizeof(p->author));
	col_text(st, 3, p->file, sizeof(p->file));
	col_text(st, 4, p->comment, sizeof(p->comment));
	col_text(st, 5, p->school, sizeof(p->school));
	p->follows_default = sqlite3_column_int(st, 6) != 0;
}

/* The row st is on, with its text (column 7). */
static int read_policy_source(sqlite3_stmt *st, struct reg_policy *out, struct byod_err *err)
{
	const unsigned char *text;

	read_policy(st, out);
	text = sqlite3_column_text(st, 7);
	out->source = strdup(text ? (const char *)text : "");
	if (!out->source)
		return byod_err_set(err, ENOMEM, "out of memory");
	return 0;
}

static int sq_policy_get(struct reg_db *be, int64_t version, struct reg_policy *out,
			 struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	if (version)
		rc = sq_prepare(s, &st, err,
				"SELECT " POLICY_COLS ", source FROM policies WHERE version = ?",
				"i", version);
	else
		rc = sq_prepare(s, &st, err,
				"SELECT " POLICY_COLS ", source FROM policies "
				"ORDER BY version DESC LIMIT 1",
				"");
	if (!rc)
		rc = sq_one(s, st, "reading a policy", err);
	return rc ? rc : read_policy_source(st, out, err);
}

static int sq_policy_newest(struct reg_db *be, const char *school, struct reg_policy *out,
			    struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err,
			"SELECT " POLICY_COLS ", source FROM policies WHERE school = ? "
			"ORDER BY version DESC LIMIT 1",
			"t", school);
	if (!rc)
		rc = sq_one(s, st, "reading a policy", err);
	return rc ? rc : read_policy_source(st, out, err);
}

struct policy_visit {
	reg_policy_cb cb;
	void *ctx;
};

static int visit_policy(sqlite3_stmt *st, void *arg)
{
	struct policy_visit *v = arg;
	struct reg_policy p;

	read_policy(st, &p);
	return v->cb(&p, v->ctx);
}

static int sq_policy_list(struct reg_db *be, reg_policy_cb cb, void *ctx, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct policy_visit v = {cb, ctx};
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err, "SELECT " POLICY_COLS " FROM policies ORDER BY version", "");
	return rc ? rc : sq_each(s, st, visit_policy, &v, "listing policies", err);
}

static int sq_policy_lock(struct reg_db *be, struct byod_err *err)
{
	(void)be;
	(void)err;
	return 0; /* BEGIN IMMEDIATE holds the write lock */
}

static int sq_policy_list_school(struct reg_db *be, const char *school, reg_policy_cb cb,
				 void *ctx, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct policy_visit v = {cb, ctx};
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err,
			"SELECT " POLICY_COLS " FROM policies WHERE school = ? ORDER BY version",
			"t", school);
	return rc ? rc : sq_each(s, st, visit_policy, &v, "listing policies", err);
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
