// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The whole registry, few columns, fast (reg_bulk.h): what rlm_byod's index
 * reads at start. Through reg_*_list a million devices took seconds, most
 * of it filling every column of a kilobyte struct per row and joining each
 * device's owner for its login; here SQLite is asked for the columns kept
 * only, read in place into one struct reused for every row; PostgreSQL is
 * asked for the same columns by COPY (postgres_bulk.c). Another backend
 * would go through its reg_*_list.
 */
#include "reg_bulk.h"

#include <errno.h>
#include <string.h>

#include <sqlite3.h>

#include "byod_types.h"
#include "pg_bulk.h"
#include "reg_internal.h"
#include "sqlite_int.h"

static int is_sqlite(struct reg *reg)
{
	return !strcmp(OPS(reg)->name, "sqlite");
}

static int is_postgres(struct reg *reg)
{
	return !strcmp(OPS(reg)->name, "postgresql");
}

/* col_text's copy (truncated as snprintf would) without its formatting */
static void text(sqlite3_stmt *st, int i, char *out, size_t len)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	size_t n = t ? (size_t)sqlite3_column_bytes(st, i) : 0;

	if (n >= len)
		n = len - 1;
	if (n)
		memcpy(out, t, n);
	out[n] = '\0';
}

/*
 * Steps st to its end calling row for each; a row's non-zero return stops.
 * The connection's mutex (recursive, taken by every sqlite3_step and
 * sqlite3_column_* call of a connection in serialized mode) is held
 * across the loop, so that each of those calls re-enters it without an
 * atomic operation: with a second thread in the process (the index's
 * loader fills its maps in one) the lock and unlock pairs were a fifth of
 * the reading thread's time at a million devices. The rows' callbacks
 * use no other connection. A failure is said (its message read) before
 * the mutex is left.
 */
static int each(struct sq *s, sqlite3_stmt *st, int (*row)(sqlite3_stmt *, void *), void *arg,
		const char *doing, struct byod_err *err)
{
	sqlite3_mutex *mu = sqlite3_db_mutex(s->db); /* NULL when the library has no mutexes */
	int rc, r = 0;

	sqlite3_mutex_enter(mu);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r = row(st, arg);
		if (r)
			break;
	}
	/* a failed step's message is the connection's last error, which
	 * another thread's call on the connection replaces once the mutex is
	 * left: read (sq_fail: sqlite3_errmsg) before leaving it */
	if (!r && rc != SQLITE_DONE)
		r = sq_fail(s, rc, doing, err);
	sqlite3_mutex_leave(mu);
	return r;
}

struct visit {
	int (*person)(const struct reg_person *, void *);
	int (*device)(const struct reg_device *, void *);
	int (*cert)(const struct reg_cert *, void *);
	void *arg;
	union {
		struct reg_person p;
		struct reg_device d;
		struct reg_cert c;
	} u;
};

int reg_bulk_counts(struct reg *reg, size_t *people, size_t *devices, size_t *certs,
		    struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s;
	int rc;

	*people = *devices = *certs = 0;
	if (is_postgres(reg))
		return pg_bulk_counts(reg->be, people, devices, certs, err);
	if (!is_sqlite(reg))
		return 0;
	s = sq_of(reg->be);
	rc = sq_prepare(s, &st, err,
			"SELECT (SELECT count(*) FROM people), (SELECT count(*) FROM devices), "
			"(SELECT count(*) FROM certificates)",
			"");
	if (!rc)
		rc = sq_one(s, st, "counting the registry's rows", err);
	if (!rc) {
		*people = (size_t)sqlite3_column_int64(st, 0);
		*devices = (size_t)sqlite3_column_int64(st, 1);
		*certs = (size_t)sqlite3_column_int64(st, 2);
	}
	return rc;
}

static int person_row(sqlite3_stmt *st, void *arg)
{
	struct visit *v = arg;
	struct reg_person *p = &v->u.p;
	char role[16], state[16];
	int rv;

	p->id = sqlite3_column_int64(st, 0);
	text(st, 1, role, sizeof(role));
	text(st, 2, p->school, sizeof(p->school));
	text(st, 3, p->groups, sizeof(p->groups));
	text(st, 4, state, sizeof(state));
	p->leaves_at = (time_t)sqlite3_column_int64(st, 5);
	rv = byod_role_parse(role);
	if (rv < 0 || reg_person_state_parse(state, &p->state))
		return -EIO;
	p->role = (enum byod_role)rv;
	return v->person(p, v->arg);
}

int reg_bulk_people(struct reg *reg, int (*cb)(const struct reg_person *, void *), void *arg,
		    struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct visit v = { .person = cb, .arg = arg };
	struct sq *s;
	int rc;

	if (is_postgres(reg))
		return pg_bulk_people(reg->be, cb, arg, err);
	if (!is_sqlite(reg))
		return reg_person_list(reg, cb, arg, err);
	s = sq_of(reg->be);
	rc = sq_prepare(s, &st, err,
			"SELECT id, role, school, \"groups\", state, leaves_at FROM people", "");
	if (!rc)
		rc = each(s, st, person_row, &v, "reading the people", err);
	if (rc == -EIO)
		byod_err_set(err, EIO, "registry %s: a person's row is corrupt", s->path);
	return rc;
}

static int device_row(sqlite3_stmt *st, void *arg)
{
	struct visit *v = arg;
	struct reg_device *d = &v->u.d;
	char kind[16], state[16];
	int kv, sv;

	text(st, 0, d->id, sizeof(d->id));
	d->owner = sqlite3_column_int64(st, 1);
	text(st, 2, kind, sizeof(kind));
	text(st, 3, d->mac, sizeof(d->mac));
	text(st, 4, state, sizeof(state));
	kv = byod_kind_parse(kind);
	sv = byod_device_state_parse(state);
	if (kv < 0 || sv < 0)
		return -EIO;
	d->kind = (enum byod_kind)kv;
	d->state = (enum byod_device_state)sv;
	return v->device(d, v->arg);
}

int reg_bulk_devices(struct reg *reg, int (*cb)(const struct reg_device *, void *), void *arg,
		     struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct visit v = { .device = cb, .arg = arg };
	struct sq *s;
	int rc;

	if (is_postgres(reg))
		return pg_bulk_devices(reg->be, cb, arg, err);
	if (!is_sqlite(reg))
		return reg_device_list(reg, NULL, cb, arg, err);
	s = sq_of(reg->be);
	/* reg_device_list's rows in its order: the order decides which of two
	 * devices that carried one MAC a reader keeps */
	rc = sq_prepare(s, &st, err,
			"SELECT d.id, d.owner, d.kind, d.mac, d.state FROM devices d "
			"JOIN people p ON p.id = d.owner ORDER BY d.created, d.rowid",
			"");
	if (!rc)
		rc = each(s, st, device_row, &v, "reading the devices", err);
	if (rc == -EIO)
		byod_err_set(err, EIO, "registry %s: a device's row is corrupt", s->path);
	return rc;
}

static int cert_row(sqlite3_stmt *st, void *arg)
{
	struct visit *v = arg;
	struct reg_cert *c = &v->u.c;
	char state[16];

	text(st, 0, c->serial, sizeof(c->serial));
	text(st, 1, c->device, sizeof(c->device));
	c->not_before = (time_t)sqlite3_column_int64(st, 2);
	c->not_after = (time_t)sqlite3_column_int64(st, 3);
	text(st, 4, state, sizeof(state));
	text(st, 5, c->replaces, sizeof(c->replaces));
	c->first_seen = (time_t)sqlite3_column_int64(st, 6);
	if (reg_cert_state_parse(state, &c->state))
		return -EIO;
	return v->cert(c, v->arg);
}

int reg_bulk_certs(struct reg *reg, int (*cb)(const struct reg_cert *, void *), void *arg,
		   struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct visit v = { .cert = cb, .arg = arg };
	struct sq *s;
	int rc;

	if (is_postgres(reg))
		return pg_bulk_certs(reg->be, cb, arg, err);
	if (!is_sqlite(reg))
		return reg_cert_list(reg, cb, arg, err);
	s = sq_of(reg->be);
	rc = sq_prepare(s, &st, err,
			"SELECT serial, device, not_before, not_after, state, replaces, first_seen "
			"FROM certificates",
			"");
	if (!rc)
		rc = each(s, st, cert_row, &v, "reading the certificates", err);
	if (rc == -EIO)
		byod_err_set(err, EIO, "registry %s: a certificate's row is corrupt", s->path);
	return rc;
}
