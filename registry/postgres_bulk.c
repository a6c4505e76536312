// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The whole registry, few columns, fast, from PostgreSQL (reg_bulk.h,
 * priv/pg_bulk.h): one COPY (SELECT ...) TO STDOUT in binary per table
 * (the format: pg_copy.h), read with PQgetCopyData and parsed in place into
 * one struct reused for every row. Through reg_*_list (a cursor, FETCH
 * 10,000 at a time, every column as text, the device's owner joined for
 * its login) the same rows cost round trips, a PGresult of strings per
 * batch and strtoll per number.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byod_types.h"
#include "pg_bulk.h"
#include "pg_copy.h"
#include "pg_int.h"

/* ---- the binary COPY format --------------------------------------------------- */

static const uint8_t signature[11] = { 'P', 'G', 'C', 'O', 'P', 'Y', '\n', 0xff, '\r', '\n', 0 };

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

void pg_copy_init(struct pg_copy *c, int ncols)
{
	memset(c, 0, sizeof(*c));
	c->ncols = ncols;
}

/* The header at buf: its length, 0 when not all there yet, -EPROTO. */
static long header(const uint8_t *buf, size_t len)
{
	uint32_t flags, ext;

	if (len < sizeof(signature) + 8)
		return memcmp(buf, signature, len < sizeof(signature) ? len : sizeof(signature))
			       ? -EPROTO
			       : 0;
	if (memcmp(buf, signature, sizeof(signature)))
		return -EPROTO;
	flags = be32(buf + 11);
	ext = be32(buf + 15);
	/* bits 16-31 are critical (16: OIDs follow the field count): none is
	 * asked for, so any is a stream not understood */
	if (flags & 0xffff0000u || ext > (uint32_t)INT32_MAX)
		return -EPROTO;
	if (len - 19 < ext)
		return 0;
	return (long)(19 + ext);
}

int pg_copy_parse(struct pg_copy *c, const uint8_t *buf, size_t len, size_t *used,
		  int (*row)(const struct pg_copy_field *f, int n, void *arg), void *arg)
{
	struct pg_copy_field f[PG_COPY_MAX_FIELDS];
	size_t at = 0;

	*used = 0;
	if (c->ncols < 1 || c->ncols > PG_COPY_MAX_FIELDS)
		return -EINVAL;
	if (!c->started) {
		long h = header(buf, len);

		if (h <= 0)
			return (int)h;
		at = (size_t)h;
		c->started = 1;
		*used = at;
	}
	while (at < len) {
		size_t p = at;
		int i, n, rc;

		if (c->done)
			return -EPROTO;
		if (len - p < 2)
			return 0;
		n = (int16_t)be16(buf + p);
		p += 2;
		if (n == -1) {
			c->done = 1;
			*used = at = p;
			continue;
		}
		if (n != c->ncols)
			return -EPROTO;
		for (i = 0; i < n; i++) {
			int32_t flen;

			if (len - p < 4)
				return 0;
			flen = (int32_t)be32(buf + p);
			p += 4;
			if (flen == -1) {
				f[i].p = NULL;
				f[i].len = -1;
				continue;
			}
			if (flen < 0)
				return -EPROTO;
			if (len - p < (size_t)flen)
				return 0;
			f[i].p = buf + p;
			f[i].len = flen;
			p += (size_t)flen;
		}
		*used = at = p;
		c->rows++;
		rc = row(f, n, arg);
		if (rc)
			return rc;
	}
	return 0;
}

int pg_copy_i64(const struct pg_copy_field *f, int64_t *out)
{
	uint64_t v;

	if (f->len == -1) {
		*out = 0;
		return 0;
	}
	if (f->len != 8)
		return -EPROTO;
	v = (uint64_t)be32(f->p) << 32 | be32(f->p + 4);
	*out = (int64_t)v;
	return 0;
}

void pg_copy_text(const struct pg_copy_field *f, char *out, size_t size)
{
	size_t n = f->len > 0 ? (size_t)f->len : 0;
	const void *nul;

	if (!size)
		return;
	if (n && (nul = memchr(f->p, 0, n)))
		n = (size_t)((const uint8_t *)nul - f->p);
	if (n >= size)
		n = size - 1;
	if (n)
		memcpy(out, f->p, n);
	out[n] = '\0';
}

/* ---- COPY through libpq ---------------------------------------------------------- */

/* What is left of a message that ended inside a tuple, with what follows. */
struct carry {
	uint8_t *buf;
	size_t len, cap;
};

static int carry_add(struct carry *k, const uint8_t *p, size_t n)
{
	if (k->len + n > k->cap) {
		size_t cap = k->cap ? k->cap : 4096;
		uint8_t *b;

		while (cap < k->len + n)
			cap *= 2;
		b = realloc(k->buf, cap);
		if (!b)
			return -ENOMEM;
		k->buf = b;
		k->cap = cap;
	}
	memcpy(k->buf + k->len, p, n);
	k->len += n;
	return 0;
}

/* A failed COPY's error as the backend's other statements map theirs. */
static int copy_fail(struct pg_db *db, const PGresult *r, const char *what, struct byod_err *err)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	char line[400];

	if (!msg) {
		msg = PQerrorMessage(db->conn);
		if (!strncmp(msg, "ERROR:  ", 8) || !strncmp(msg, "FATAL:  ", 8))
			msg += 8;
	}
	snprintf(line, sizeof(line), "%.*s", (int)strcspn(msg, "\n"), msg);
	snprintf(db->last_state, sizeof(db->last_state), "%s", state ? state : "");
	if (PQstatus(db->conn) == CONNECTION_BAD || (state && !strncmp(state, "08", 2)) ||
	    (state && !strncmp(state, "57P0", 4)))
		return byod_err_set(err, ENOTCONN, "the registry database %s is unreachable (%s): %s",
				    db->where, what, line[0] ? line : "the connection was lost");
	if (state && !strcmp(state, "42501"))
		return byod_err_set(err, EACCES,
				    "the PostgreSQL role %s may not do this (%s) in the registry "
				    "database %s: %s",
				    PQuser(db->conn), what, db->where, line);
	if (state &&
	    (!strcmp(state, "40001") || !strcmp(state, "40P01") || !strcmp(state, "55P03")))
		return byod_err_set(err, EBUSY, "the registry database %s is busy (%s): %s",
				    db->where, what, line);
	return byod_err_set(err, EIO, "registry %s: %s: %s", db->where, what, line);
}

/* The results that end a COPY: COMMAND_OK, then none. */
static int copy_end(struct pg_db *db, const char *what, struct byod_err *err)
{
	PGresult *r;
	int rc = 0;

	while ((r = PQgetResult(db->conn))) {
		if (!rc && PQresultStatus(r) != PGRES_COMMAND_OK)
			rc = copy_fail(db, r, what, err);
		PQclear(r);
	}
	return rc;
}

/*
 * Runs sql (a COPY ... TO STDOUT (FORMAT binary) of ncols columns) and calls
 * row for each tuple. A row's non-zero return stops the calls; the rest of
 * the stream is still read (the only way to end a COPY OUT and keep the
 * transaction) and that return is returned, err untouched.
 */
static int copy_rows(struct pg_db *db, const char *what, const char *sql, int ncols,
		     int (*row)(const struct pg_copy_field *, int, void *), void *arg,
		     struct byod_err *err)
{
	struct carry k = { 0 };
	struct pg_copy c;
	PGresult *r;
	char *msg;
	int n, rc = 0, stop = 0;

	/* outside a transaction, a statement through pg_exec first: it
	 * connects again to a server that went away (ensure_conn) */
	if (!db->in_tx) {
		rc = pg_command(db, NULL, err, what, "SELECT 1", 0, NULL);
		if (rc)
			return rc;
	}
	r = PQexec(db->conn, sql);
	if (PQresultStatus(r) != PGRES_COPY_OUT) {
		rc = copy_fail(db, r, what, err);
		PQclear(r);
		return rc;
	}
	PQclear(r);
	pg_copy_init(&c, ncols);
	while ((n = PQgetCopyData(db->conn, &msg, 0)) > 0) {
		const uint8_t *p = (const uint8_t *)msg;
		size_t len = (size_t)n, used = 0;

		if (!stop && k.len) {
			rc = carry_add(&k, p, len);
			if (!rc)
				rc = pg_copy_parse(&c, k.buf, k.len, &used, row, arg);
			memmove(k.buf, k.buf + used, k.len - used);
			k.len -= used;
		} else if (!stop) {
			rc = pg_copy_parse(&c, p, len, &used, row, arg);
			if (!rc && used < len)
				rc = carry_add(&k, p + used, len - used);
		}
		PQfreemem(msg);
		if (rc)
			stop = 1;
	}
	if (n == -2) {
		struct byod_err after = { 0 }; /* the sentence is the loss's */
		int lost = copy_fail(db, NULL, what, err);

		copy_end(db, what, &after);
		free(k.buf);
		return lost;
	}
	/* the server's own end: an error there (a cancel, a lost standby's
	 * conflict) comes before anything the rows said */
	n = copy_end(db, what, err);
	if (n)
		rc = n;
	else if (!rc && (!c.done || k.len))
		rc = -EPROTO; /* the stream ended inside a tuple or without its trailer */
	free(k.buf);
	if (rc == -EPROTO)
		return byod_err_set(err, EIO, "registry %s: %s: the server's COPY stream is malformed",
				    db->where, what);
	if (rc == -ENOMEM)
		return byod_err_set(err, ENOMEM, "out of memory (%s)", what);
	return rc;
}

/* ---- the three tables ---------------------------------------------------------------- */

int pg_bulk_counts(struct reg_db *be, size_t *people, size_t *devices, size_t *certs,
		   struct byod_err *err)
{
	cleanup_pgres PGresult *r = NULL;
	int rc;

	*people = *devices = *certs = 0;
	rc = pg_one(PG(be), &r, err, "counting the registry's rows",
		    "SELECT (SELECT count(*) FROM people), (SELECT count(*) FROM devices), "
		    "(SELECT count(*) FROM certificates)",
		    0, NULL);
	if (!rc) {
		*people = (size_t)pg_get_i64(r, 0, 0);
		*devices = (size_t)pg_get_i64(r, 0, 1);
		*certs = (size_t)pg_get_i64(r, 0, 2);
	}
	return rc;
}

/* What a row tells copy_rows: the reader's callback stopped (its return
 * kept in visit.stopped, handed back as is), or the row is corrupt. Both
 * positive, so that none is taken for copy_rows' own errors. */
#define STOPPED 1
#define CORRUPT 2

struct visit {
	reg_person_cb person;
	reg_device_cb device;
	reg_cert_cb cert;
	void *arg;
	int stopped;
	union {
		struct reg_person p;
		struct reg_device d;
		struct reg_cert c;
	} u;
};

static int person_row(const struct pg_copy_field *f, int n, void *arg)
{
	struct visit *v = arg;
	struct reg_person *p = &v->u.p;
	char role[16], state[16];
	int64_t leaves;
	int rv;

	(void)n;
	if (pg_copy_i64(&f[0], &p->id) || pg_copy_i64(&f[5], &leaves))
		return CORRUPT;
	pg_copy_text(&f[1], role, sizeof(role));
	pg_copy_text(&f[2], p->school, sizeof(p->school));
	pg_copy_text(&f[3], p->groups, sizeof(p->groups));
	pg_copy_text(&f[4], state, sizeof(state));
	p->leaves_at = (time_t)leaves;
	rv = byod_role_parse(role);
	if (rv < 0 || reg_person_state_parse(state, &p->state))
		return CORRUPT;
	p->role = (enum byod_role)rv;
	v->stopped = v->person(p, v->arg);
	return v->stopped ? STOPPED : 0;
}

/* Ends a bulk read: the reader's own return, or a corrupt row's sentence. */
static int ended(struct pg_db *db, int rc, const struct visit *v, const char *whose,
		 struct byod_err *err)
{
	if (rc == STOPPED)
		return v->stopped;
	if (rc == CORRUPT)
		return byod_err_set(err, EIO, "registry %s: a %s row is corrupt", db->where, whose);
	return rc;
}

int pg_bulk_people(struct reg_db *be, reg_person_cb cb, void *arg, struct byod_err *err)
{
	struct visit v = { .person = cb, .arg = arg };
	int rc;

	memset(&v.u, 0, sizeof(v.u));
	rc = copy_rows(PG(be), "reading the people",
		       "COPY (SELECT id, role, school, \"groups\", state, leaves_at FROM people) "
		       "TO STDOUT (FORMAT binary)",
		       6, person_row, &v, err);
	explicit_bzero(&v.u, sizeof(v.u));
	return ended(PG(be), rc, &v, "person's", err);
}

static int device_row(const struct pg_copy_field *f, int n, void *arg)
{
	struct visit *v = arg;
	struct reg_device *d = &v->u.d;
	char kind[16], state[16];
	int kv, sv;

	(void)n;
	pg_copy_text(&f[0], d->id, sizeof(d->id));
	if (pg_copy_i64(&f[1], &d->owner))
		return CORRUPT;
	pg_copy_text(&f[2], kind, sizeof(kind));
	pg_copy_text(&f[3], d->mac, sizeof(d->mac));
	pg_copy_text(&f[4], state, sizeof(state));
	kv = byod_kind_parse(kind);
	sv = byod_device_state_parse(state);
	/* as reg_device_list's reading (postgres_tables.c) */
	if (kv < 0 || sv < 0 || sv == BYOD_DEVICE_UNKNOWN)
		return CORRUPT;
	d->kind = (enum byod_kind)kv;
	d->state = (enum byod_device_state)sv;
	v->stopped = v->device(d, v->arg);
	return v->stopped ? STOPPED : 0;
}

int pg_bulk_devices(struct reg_db *be, reg_device_cb cb, void *arg, struct byod_err *err)
{
	struct visit v = { .device = cb, .arg = arg };
	int rc;

	memset(&v.u, 0, sizeof(v.u));
	/* reg_device_list's rows in its order: the order decides which of two
	 * devices that carried one MAC a reader keeps */
	rc = copy_rows(PG(be), "reading the devices",
		       "COPY (SELECT d.id, d.owner, d.kind, d.mac, d.state FROM devices d "
		       "JOIN people p ON p.id = d.owner ORDER BY d.created, d.rowid) "
		       "TO STDOUT (FORMAT binary)",
		       5, device_row, &v, err);
	return ended(PG(be), rc, &v, "device's", err);
}

static int cert_row(const struct pg_copy_field *f, int n, void *arg)
{
	struct visit *v = arg;
	struct reg_cert *c = &v->u.c;
	int64_t nb, na, fs;
	char state[16];

	(void)n;
	pg_copy_text(&f[0], c->serial, sizeof(c->serial));
	pg_copy_text(&f[1], c->device, sizeof(c->device));
	if (pg_copy_i64(&f[2], &nb) || pg_copy_i64(&f[3], &na) || pg_copy_i64(&f[6], &fs))
		return CORRUPT;
	pg_copy_text(&f[4], state, sizeof(state));
	pg_copy_text(&f[5], c->replaces, sizeof(c->replaces));
	c->not_before = (time_t)nb;
	c->not_after = (time_t)na;
	c->first_seen = (time_t)fs;
	if (reg_cert_state_parse(state, &c->state))
		return CORRUPT;
	v->stopped = v->cert(c, v->arg);
	return v->stopped ? STOPPED : 0;
}

int pg_bulk_certs(struct reg_db *be, reg_cert_cb cb, void *arg, struct byod_err *err)
{
	struct visit v = { .cert = cb, .arg = arg };
	int rc;

	memset(&v.u, 0, sizeof(v.u));
	rc = copy_rows(PG(be), "reading the certificates",
		       "COPY (SELECT serial, device, not_before, not_after, state, replaces, "
		       "first_seen FROM certificates) TO STDOUT (FORMAT binary)",
		       7, cert_row, &v, err);
	return ended(PG(be), rc, &v, "certificate's", err);
}
