// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The PostgreSQL backend's operations on the registry's own rows: schools,
 * people, devices, certificates, counters, the audit log and the segment
 * policy's versions, each one parameterised statement through pg_exec
 * (postgres.c), the lists the RADIUS index loads whole through its cursor
 * (pg_each). Validation, audit rows and events are registry.c's business.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_int.h"

/* ---- schools and people ------------------------------------------------------ */

int pg_school_insert(struct reg_db *be, const struct reg_school *sc, struct byod_err *err)
{
	const char *p[] = {sc->uai, sc->name};

	return pg_command(PG(be), NULL, err, "adding a school",
			  "INSERT INTO schools (uai, name) VALUES ($1, $2)", 2, p);
}

struct school_visit {
	reg_school_cb cb;
	void *ctx;
};

static int visit_school(const PGresult *r, int i, void *arg)
{
	struct school_visit *v = arg;
	struct reg_school s;

	memset(&s, 0, sizeof(s));
	pg_get_text(r, i, 0, s.uai, sizeof(s.uai));
	pg_get_text(r, i, 1, s.name, sizeof(s.name));
	return v->cb(&s, v->ctx);
}

int pg_school_list(struct reg_db *be, reg_school_cb cb, void *ctx, struct byod_err *err)
{
	struct school_visit v = {cb, ctx};

	return pg_rows(PG(be), "listing the schools", "SELECT uai, name FROM schools ORDER BY uai",
		       0, NULL, visit_school, &v, err);
}

int pg_school_get(struct reg_db *be, const char *uai, struct reg_school *out, struct byod_err *err)
{
	cleanup_pgres PGresult *r = NULL;
	const char *p[] = {uai};
	int rc;

	rc = pg_one(PG(be), &r, err, "reading a school",
		    "SELECT uai, name FROM schools WHERE uai = $1", 1, p);
	if (rc)
		return rc;
	memset(out, 0, sizeof(*out));
	pg_get_text(r, 0, 0, out->uai, sizeof(out->uai));
	pg_get_text(r, 0, 1, out->name, sizeof(out->name));
	return 0;
}

#define PERSON_COLUMNS PG_PERSON_COLUMNS

static int read_person(const PGresult *r, int i, struct reg_person *p)
{
	char role[16], state[16];
	int rv;

	memset(p, 0, sizeof(*p));
	p->id = pg_get_i64(r, i, 0);
	pg_get_text(r, i, 1, p->login, sizeof(p->login));
	pg_get_text(r, i, 2, p->display_name, sizeof(p->display_name));
	pg_get_text(r, i, 3, role, sizeof(role));
	pg_get_text(r, i, 4, p->school, sizeof(p->school));
	pg_get_text(r, i, 5, p->groups, sizeof(p->groups));
	pg_get_text(r, i, 6, p->password_hash, sizeof(p->password_hash));
	pg_get_text(r, i, 7, state, sizeof(state));
	p->created = (time_t)pg_get_i64(r, i, 8);
	p->leaves_at = (time_t)pg_get_i64(r, i, 9);
	p->disabled_at = (time_t)pg_get_i64(r, i, 10);
	pg_get_text(r, i, 11, p->source, sizeof(p->source));
	rv = byod_role_parse(role);
	if (rv < 0 || reg_person_state_parse(state, &p->state))
		return -EIO;
	p->role = (enum byod_role)rv;
	return 0;
}

int pg_person_insert(struct reg_db *be, struct reg_person *p, struct byod_err *err)
{
	cleanup_pgres PGresult *r = NULL;
	char created[24], leaves[24], disabled[24];
	const char *v[] = {p->login,
			   p->display_name,
			   byod_role_name(p->role),
			   p->school[0] ? p->school : NULL,
			   p->groups,
			   p->password_hash,
			   reg_person_state_name(p->state),
			   created,
			   leaves,
			   disabled,
			   p->source};
	int rc;

	pg_i64(created, (int64_t)p->created);
	pg_i64(leaves, (int64_t)p->leaves_at);
	pg_i64(disabled, (int64_t)p->disabled_at);
	rc = pg_one(PG(be), &r, err, "adding a person",
		    "INSERT INTO people (login, display_name, role, school, \"groups\", "
		    "password_hash, state, created, leaves_at, disabled_at, source) "
		    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
		    11, v);
	if (!rc)
		p->id = pg_get_i64(r, 0, 0);
	return rc;
}

static int person_get_where(struct pg_db *db, const char *sql, const char *key,
			    struct reg_person *out, struct byod_err *err)
{
	cleanup_pgres PGresult *r = NULL;
	const char *p[] = {key};
	int rc;

	rc = pg_one(db, &r, err, "reading a person", sql, 1, p);
	if (!rc && read_person(r, 0, out))
		rc = byod_err_set(err, EIO, "registry %s: a person's row is corrupt", db->where);
	return rc;
}

int pg_person_get(struct reg_db *be, const char *login, struct reg_person *out,
		  struct byod_err *err)
{
	return person_get_where(PG(be), "SELECT " PERSON_COLUMNS " FROM people WHERE login = $1",
				login, out, err);
}

int pg_person_get_by_id(struct reg_db *be, int64_t id, struct reg_person *out, struct byod_err *err)
{
	char key[24];

	pg_i64(key, id);
	return person_get_where(PG(be), "SELECT " PERSON_COLUMNS " FROM people WHERE id = $1", key,
				out, err);
}

int pg_person_update(struct reg_db *be, const struct reg_person *p, struct byod_err *err)
{
	struct pg_db *db = PG(be);
	char id[24], leaves[24], disabled[24];
	const char *v[] = {p->display_name,
			   byod_role_name(p->role),
			   p->school[0] ? p->school : NULL,
			   p->groups,
			   p->password_hash,
			   reg_person_state_name(p->state),
			   leaves,
			   disabled,
			   id,
			   p->source};
	int rc, n = 0;

	pg_i64(id, p->id);
	pg_i64(leaves, (int64_t)p->leaves_at);
	pg_i64(disabled, (int64_t)p->disabled_at);
	rc = pg_command(db, &n, err, "updating a person",
			"UPDATE people SET display_name = $1, role = $2, school = $3, "
			"\"groups\" = $4, password_hash = $5, state = $6, leaves_at = $7, "
			"disabled_at = $8, source = $10 WHERE id = $9",
			10, v);
	if (!rc && n != 1)
		rc = byod_err_set(err, ENOENT, "registry %s: no person with id %lld", db->where,
				  (long long)p->id);
	return rc;
}

struct person_visit {
	reg_person_cb cb;
	void *ctx;
};

static int visit_person(const PGresult *r, int i, void *arg)
{
	struct person_visit *v = arg;
	struct reg_person p;
	int rc;

	rc = read_person(r, i, &p);
	if (!rc)
		rc = v->cb(&p, v->ctx);
	explicit_bzero(&p, sizeof(p));
	return rc;
}

int pg_person_list(struct reg_db *be, reg_person_cb cb, void *ctx, struct byod_err *err)
{
	struct person_visit v = {cb, ctx};

	return pg_each(PG(be), "listing people",
		       "SELECT " PERSON_COLUMNS " FROM people ORDER BY login", 0, NULL,
		       visit_person, &v, err);
}

int pg_person_list_school(struct reg_db *be, const char *school, reg_person_cb cb, void *ctx,
			  struct byod_err *err)
{
	struct person_visit v = {cb, ctx};
	const char *p[1] = {school};

	return pg_each(PG(be), "listing a school's people",
		       "SELECT " PERSON_COLUMNS " FROM people WHERE school = $1 ORDER BY login", 1,
		       p, visit_person, &v, err);
}

int pg_person_list_source(struct reg_db *be, const char *source, const char *school,
			  reg_person_cb cb, void *ctx, struct byod_err *err)
{
	struct person_visit v = {cb, ctx};
	const char *p[2] = {source, school};

	return pg_each(PG(be), "listing a source's people",
		       "SELECT " PERSON_COLUMNS " FROM people WHERE source = $1 "
		       "AND ($2::text IS NULL OR school = $2) ORDER BY login",
		       2, p, visit_person, &v, err);
}

/* ---- devices ----------------------------------------------------------------- */

#define DEVICE_SELECT PG_DEVICE_SELECT

static int read_device(const PGresult *r, int i, struct reg_device *d)
{
	char kind[16], state[16];
	int kv, sv;

	memset(d, 0, sizeof(*d));
	pg_get_text(r, i, 0, d->id, sizeof(d->id));
	d->owner = pg_get_i64(r, i, 1);
	pg_get_text(r, i, 2, d->owner_login, sizeof(d->owner_login));
	pg_get_text(r, i, 3, d->name, sizeof(d->name));
	pg_get_text(r, i, 4, kind, sizeof(kind));
	pg_get_text(r, i, 5, d->mac, sizeof(d->mac));
	pg_get_text(r, i, 6, state, sizeof(state));
	pg_get_text(r, i, 7, d->charter, sizeof(d->charter));
	d->created = (time_t)pg_get_i64(r, i, 8);
	d->expires = (time_t)pg_get_i64(r, i, 9);
	pg_get_text(r, i, 10, d->school, sizeof(d->school));
	kv = byod_kind_parse(kind);
	sv = byod_device_state_parse(state);
	if (kv < 0 || sv < 0 || sv == BYOD_DEVICE_UNKNOWN)
		return -EIO;
	d->kind = (enum byod_kind)kv;
	d->state = (enum byod_device_state)sv;
	return 0;
}

static int device_one(struct pg_db *db, const char *sql, int n, const char *const *p,
		      struct reg_device *out, struct byod_err *err)
{
	cleanup_pgres PGresult *r = NULL;
	int rc;

	rc = pg_one(db, &r, err, "reading a device", sql, n, p);
	if (!rc && read_device(r, 0, out))
		rc = byod_err_set(err, EIO, "registry %s: a device's row is corrupt", db->where);
	return rc;
}

int pg_device_insert(struct reg_db *be, const struct reg_device *d, struct byod_err *err)
{
	char owner[24], created[24], expires[24];
	const char *v[] = {d->id,
			   owner,
			   d->name,
			   byod_kind_name(d->kind),
			   d->mac[0] ? d->mac : NULL,
			   byod_device_state_name(d->state),
			   d->charter,
			   created,
			   expires};

	pg_i64(owner, d->owner);
	pg_i64(created, (int64_t)d->created);
	pg_i64(expires, (int64_t)d->expires);
	return pg_command(
		PG(be), NULL, err, "adding a device",
		"INSERT INTO devices (id, owner, name, kind, mac, state, charter, created, "
		"expires) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
		9, v);
}

int pg_device_get(struct reg_db *be, const char *id, struct reg_device *out, struct byod_err *err)
{
	const char *p[] = {id};

	return device_one(PG(be), DEVICE_SELECT "WHERE d.id = $1", 1, p, out, err);
}

int pg_device_update(struct reg_db *be, const struct reg_device *d, struct byod_err *err)
{
	struct pg_db *db = PG(be);
	char expires[24];
	const char *v[] = {d->name,
			   byod_kind_name(d->kind),
			   d->mac[0] ? d->mac : NULL,
			   byod_device_state_name(d->state),
			   d->charter,
			   expires,
			   d->id};
	int rc, n = 0;

	pg_i64(expires, (int64_t)d->expires);
	rc = pg_command(db, &n, err, "updating a device",
			"UPDATE devices SET name = $1, kind = $2, mac = $3, state = $4, "
			"charter = $5, expires = $6 WHERE id = $7",
			7, v);
	if (!rc && n != 1)
		rc = byod_err_set(err, ENOENT, "registry %s: no device %s", db->where, d->id);
	return rc;
}

struct device_visit {
	reg_device_cb cb;
	void *ctx;
};

static int visit_device(const PGresult *r, int i, void *arg)
{
	struct device_visit *v = arg;
	struct reg_device d;

	return read_device(r, i, &d) ? -EIO : v->cb(&d, v->ctx);
}

int pg_device_list(struct reg_db *be, const struct reg_device_filter *filter, reg_device_cb cb,
		   void *ctx, struct byod_err *err)
{
	struct device_visit v = {cb, ctx};
	const char *p[] = {
		filter ? filter->owner_login : NULL,
		filter && filter->state != -1
			? byod_device_state_name((enum byod_device_state)filter->state)
			: NULL,
		filter ? filter->school : NULL,
	};

	/* (the parameters' values are known when the statement is planned:
	 * "$3 IS NULL OR" folds away and people_school serves a school) */
	return pg_each(PG(be), "listing devices",
		       DEVICE_SELECT "WHERE ($1::text IS NULL OR p.login = $1) "
				     "AND ($2::text IS NULL OR d.state = $2) "
				     "AND ($3::text IS NULL OR p.school = $3) "
				     "ORDER BY d.created, d.rowid",
		       3, p, visit_device, &v, err);
}

static int count(struct pg_db *db, const char *what, const char *sql, int n, const char *const *p,
		 int *out, struct byod_err *err)
{
	cleanup_pgres PGresult *r = NULL;
	int rc = pg_one(db, &r, err, what, sql, n, p);

	if (!rc)
		*out = (int)pg_get_i64(r, 0, 0);
	return rc;
}

int pg_device_count_since(struct reg_db *be, int64_t owner, time_t since, int *n,
			  struct byod_err *err)
{
	char o[24], s[24];
	const char *p[] = {o, s};

	pg_i64(o, owner);
	pg_i64(s, (int64_t)since);
	return count(PG(be), "counting recent enrolments",
		     "SELECT COUNT(*) FROM devices WHERE owner = $1 AND created >= $2", 2, p, n,
		     err);
}

int pg_device_count_live(struct reg_db *be, int64_t owner, int *n, struct byod_err *err)
{
	char o[24];
	const char *p[] = {o};

	pg_i64(o, owner);
	return count(PG(be), "counting devices",
		     "SELECT COUNT(*) FROM devices WHERE owner = $1 "
		     "AND state IN ('active', 'suspended')",
		     1, p, n, err);
}

int pg_device_find_by_serial(struct reg_db *be, const char *serial, struct reg_device *out,
			     struct byod_err *err)
{
	const char *p[] = {serial};

	return device_one(
		PG(be), DEVICE_SELECT "JOIN certificates c ON c.device = d.id WHERE c.serial = $1",
		1, p, out, err);
}

int pg_device_find_by_mac(struct reg_db *be, const char *mac, struct reg_device *out,
			  struct byod_err *err)
{
	const char *p[] = {mac};

	return device_one(PG(be),
			  DEVICE_SELECT "WHERE d.mac = $1 "
					"ORDER BY d.state IN ('active', 'suspended') DESC, "
					"d.created DESC, d.rowid DESC LIMIT 1",
			  1, p, out, err);
}

/* ---- certificates ------------------------------------------------------------ */

#define CERT_SELECT                                                                                \
	"SELECT serial, device, not_before, not_after, state, revoked_at, reason, replaces, "      \
	"first_seen FROM certificates "

static int read_cert(const PGresult *r, int i, struct reg_cert *c)
{
	char state[16];

	memset(c, 0, sizeof(*c));
	pg_get_text(r, i, 0, c->serial, sizeof(c->serial));
	pg_get_text(r, i, 1, c->device, sizeof(c->device));
	c->not_before = (time_t)pg_get_i64(r, i, 2);
	c->not_after = (time_t)pg_get_i64(r, i, 3);
	pg_get_text(r, i, 4, state, sizeof(state));
	c->revoked_at = (time_t)pg_get_i64(r, i, 5);
	c->reason = (int)pg_get_i64(r, i, 6);
	pg_get_text(r, i, 7, c->replaces, sizeof(c->replaces));
	c->first_seen = (time_t)pg_get_i64(r, i, 8);
	return reg_cert_state_parse(state, &c->state) ? -EIO : 0;
}

int pg_cert_insert(struct reg_db *be, const struct reg_cert *c, struct byod_err *err)
{
	char nb[24], na[24], ra[24], reason[24], fs[24];
	int revoked = c->state == REG_CERT_REVOKED;
	const char *v[] = {c->serial,
			   c->device,
			   nb,
			   na,
			   reg_cert_state_name(c->state),
			   revoked ? ra : NULL,
			   revoked ? reason : NULL,
			   c->replaces,
			   fs};

	pg_i64(nb, (int64_t)c->not_before);
	pg_i64(na, (int64_t)c->not_after);
	pg_i64(ra, (int64_t)c->revoked_at);
	pg_i64(reason, c->reason);
	pg_i64(fs, (int64_t)c->first_seen);
	return pg_command(PG(be), NULL, err, "adding a certificate",
			  "INSERT INTO certificates (serial, device, not_before, not_after, state, "
			  "revoked_at, reason, replaces, first_seen) "
			  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
			  9, v);
}

int pg_cert_get(struct reg_db *be, const char *serial, struct reg_cert *out, struct byod_err *err)
{
	struct pg_db *db = PG(be);
	cleanup_pgres PGresult *r = NULL;
	const char *p[] = {serial};
	int rc;

	rc = pg_one(db, &r, err, "reading a certificate", CERT_SELECT "WHERE serial = $1", 1, p);
	if (!rc && read_cert(r, 0, out))
		rc = byod_err_set(err, EIO, "registry %s: a certificate's row is corrupt",
				  db->where);
	return rc;
}

int pg_cert_update(struct reg_db *be, const struct reg_cert *c, struct byod_err *err)
{
	struct pg_db *db = PG(be);
	char ra[24], reason[24];
	int revoked = c->state == REG_CERT_REVOKED;
	const char *v[] = {reg_cert_state_name(c->state), revoked ? ra : NULL,
			   revoked ? reason : NULL, c->serial};
	int rc, n = 0;

	pg_i64(ra, (int64_t)c->revoked_at);
	pg_i64(reason, c->reason);
	rc = pg_command(db, &n, err, "updating a certificate",
			"UPDATE certificates SET state = $1, revoked_at = $2, reason = $3 "
			"WHERE serial = $4",
			4, v);
	if (!rc && n != 1)
		rc = byod_err_set(err, ENOENT, "registry %s: no certificate %s", db->where,
				  c->serial);
	return rc;
}

struct cert_visit {
	reg_cert_cb cb;
	void *ctx;
};

static int visit_cert(const PGresult *r, int i, void *arg)
{
	struct cert_visit *v = arg;
	struct reg_cert c;

	return read_cert(r, i, &c) ? -EIO : v->cb(&c, v->ctx);
}

int pg_cert_list_for_device(struct reg_db *be, const char *device, reg_cert_cb cb, void *ctx,
			    struct byod_err *err)
{
	struct cert_visit v = {cb, ctx};
	const char *p[] = {device};

	return pg_rows(PG(be), "listing certificates",
		       CERT_SELECT "WHERE device = $1 ORDER BY not_before, serial", 1, p,
		       visit_cert, &v, err);
}

int pg_cert_list(struct reg_db *be, reg_cert_cb cb, void *ctx, struct byod_err *err)
{
	struct cert_visit v = {cb, ctx};

	return pg_each(PG(be), "listing certificates", CERT_SELECT "ORDER BY serial", 0, NULL,
		       visit_cert, &v, err);
}

/* The revoked certificates of erased devices, kept until their end for the
 * CRL (reg_person_remove): as rows of no device, replacing none, never seen. */
#define CRL_KEPT_UNION                                                                             \
	"UNION ALL SELECT serial, '', not_before, not_after, 'revoked', revoked_at, reason, "      \
	"'', 0 FROM crl_kept "

int pg_cert_list_revoked(struct reg_db *be, reg_cert_cb cb, void *ctx, struct byod_err *err)
{
	struct cert_visit v = {cb, ctx};

	return pg_each(PG(be), "listing revoked certificates",
		       CERT_SELECT "WHERE state = 'revoked' " CRL_KEPT_UNION
				   "ORDER BY revoked_at, serial",
		       0, NULL,
		       visit_cert, &v, err);
}

/* ---- counters and the audit log ------------------------------------------------ */

int pg_counter_next(struct reg_db *be, const char *name, int64_t *value, struct byod_err *err)
{
	cleanup_pgres PGresult *r = NULL;
	const char *p[] = {name};
	int rc;

	rc = pg_one(PG(be), &r, err, "advancing a counter",
		    "INSERT INTO counters (name, value) VALUES ($1, 1) "
		    "ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value",
		    1, p);
	if (!rc)
		*value = pg_get_i64(r, 0, 0);
	return rc;
}

struct counter_visit {
	reg_counter_cb cb;
	void *ctx;
};

static int visit_counter(const PGresult *r, int i, void *arg)
{
	struct counter_visit *v = arg;
	char name[64];

	pg_get_text(r, i, 0, name, sizeof(name));
	return v->cb(name, pg_get_i64(r, i, 1), v->ctx);
}

int pg_counter_list(struct reg_db *be, reg_counter_cb cb, void *ctx, struct byod_err *err)
{
	struct counter_visit v = {cb, ctx};

	return pg_rows(PG(be), "listing the counters",
		       "SELECT name, value FROM counters ORDER BY name", 0, NULL, visit_counter, &v,
		       err);
}

int pg_counter_raise(struct reg_db *be, const char *name, int64_t value, struct byod_err *err)
{
	char v[24];
	const char *p[] = {name, v};

	pg_i64(v, value);
	return pg_command(PG(be), NULL, err, "raising a counter",
			  "INSERT INTO counters (name, value) VALUES ($1, $2) ON CONFLICT (name) "
			  "DO UPDATE SET value = GREATEST(counters.value, EXCLUDED.value)",
			  2, p);
}

int pg_audit_insert(struct reg_db *be, struct reg_audit *a, struct byod_err *err)
{
	cleanup_pgres PGresult *r = NULL;
	char t[24];
	const char *p[] = {t, a->actor, a->action, a->object, a->before, a->after, a->school};
	int rc;

	pg_i64(t, (int64_t)a->time);
	rc = pg_one(PG(be), &r, err, "writing the audit log",
		    "INSERT INTO audit (time, actor, action, object, before_json, after_json, "
		    "school) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
		    7, p);
	if (!rc)
		a->id = pg_get_i64(r, 0, 0);
	return rc;
}

struct audit_visit {
	reg_audit_cb cb;
	void *ctx;
};

static int visit_audit(const PGresult *r, int i, void *arg)
{
	struct audit_visit *v = arg;
	struct reg_audit a;

	memset(&a, 0, sizeof(a));
	a.id = pg_get_i64(r, i, 0);
	a.time = (time_t)pg_get_i64(r, i, 1);
	pg_get_text(r, i, 2, a.actor, sizeof(a.actor));
	pg_get_text(r, i, 3, a.action, sizeof(a.action));
	pg_get_text(r, i, 4, a.object, sizeof(a.object));
	a.before = PQgetisnull(r, i, 5) ? NULL : PQgetvalue(r, i, 5);
	a.after = PQgetisnull(r, i, 6) ? NULL : PQgetvalue(r, i, 6);
	pg_get_text(r, i, 7, a.school, sizeof(a.school));
	return v->cb(&a, v->ctx);
}

int pg_audit_list(struct reg_db *be, int limit, reg_audit_cb cb, void *ctx, struct byod_err *err)
{
	struct audit_visit v = {cb, ctx};
	char l[24];
	const char *p[] = {limit > 0 ? l : NULL};

	pg_i64(l, limit);
	return pg_each(PG(be), "reading the audit log",
		       "SELECT " PG_AUDIT_COLUMNS " "
		       "FROM audit ORDER BY id DESC LIMIT $1::bigint",
		       1, p, visit_audit, &v, err);
}

int pg_audit_list_after(struct reg_db *be, int64_t after, reg_audit_cb cb, void *ctx,
		       struct byod_err *err)
{
	struct audit_visit v = {cb, ctx};
	char a[24];
	const char *p[] = {a};

	pg_i64(a, after);
	return pg_each(PG(be), "reading the audit log",
		       "SELECT " PG_AUDIT_COLUMNS " "
		       "FROM audit WHERE id > $1::bigint ORDER BY id",
		       1, p, visit_audit, &v, err);
}

/* For the other files of the backend (postgres_admin.c). */
int pg_read_person(const PGresult *r, int i, struct reg_person *p)
{
	return read_person(r, i, p);
}

int pg_read_device(const PGresult *r, int i, struct reg_device *d)
{
	return read_device(r, i, d);
}

int pg_visit_audit(const PGresult *r, int i, reg_audit_cb cb, void *ctx)
{
	struct audit_visit v = {cb, ctx};

	return visit_audit(r, i, &v);
}

/* ---- policy versions ---------------------------------------------------------- */

#define POLICY_COLS "version, created, author, file, comment, school, follows_default"

int pg_policy_insert(struct reg_db *be, struct reg_policy *p, struct byod_err *err)
{
	cleanup_pgres PGresult *r = NULL;
	char t[24];
	const char *v[] = {t, p->author, p->file, p->comment, p->source, p->school,
			   p->follows_default ? "true" : "false"};
	int rc;

	pg_i64(t, (int64_t)p->created);
	rc = pg_one(PG(be), &r, err, "storing a policy",
		    "INSERT INTO policies (created, author, file, comment, source, school, "
		    "follows_default) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING version",
		    7, v);
	if (!rc)
		p->version = pg_get_i64(r, 0, 0);
	return rc;
}

static void read_policy(const PGresult *r, int i, struct reg_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->version = pg_get_i64(r, i, 0);
	p->created = (time_t)pg_get_i64(r, i, 1);
	pg_get_text(r, i, 2, p->author, sizeof(p->author));
	pg_get_text(r, i, 3, p->file, sizeof(p->file));
	pg_get_text(r, i, 4, p->comment, sizeof(p->comment));
	pg_get_text(r, i, 5, p->school, sizeof(p->school));
	p->follows_default = PQgetvalue(r, i, 6)[0] == 't';
}

static int read_policy_source(const PGresult *r, struct reg_policy *out, struct byod_err *err)
{
	read_policy(r, 0, out);
	out->source = strdup(PQgetvalue(r, 0, 7));
	if (!out->source)
		return byod_err_set(err, ENOMEM, "out of memory");
	return 0;
}

int pg_policy_get(struct reg_db *be, int64_t version, struct reg_policy *out, struct byod_err *err)
{
	cleanup_pgres PGresult *r = NULL;
	char ver[24];
	const char *p[] = {ver};
	int rc;

	pg_i64(ver, version);
	if (version)
		rc = pg_one(PG(be), &r, err, "reading a policy",
			    "SELECT " POLICY_COLS ", source FROM policies WHERE version = $1", 1,
			    p);
	else
		rc = pg_one(PG(be), &r, err, "reading a policy",
			    "SELECT " POLICY_COLS ", source FROM policies "
			    "ORDER BY version DESC LIMIT 1",
			    0, NULL);
	return rc ? rc : read_policy_source(r, out, err);
}

int pg_policy_newest(struct reg_db *be, const char *school, struct reg_policy *out,
		     struct byod_err *err)
{
	cleanup_pgres PGresult *r = NULL;
	const char *p[] = {school};
	int rc;

	rc = pg_one(PG(be), &r, err, "reading a policy",
		    "SELECT " POLICY_COLS ", source FROM policies WHERE school = $1 "
		    "ORDER BY version DESC LIMIT 1",
		    1, p);
	return rc ? rc : read_policy_source(r, out, err);
}

struct policy_visit {
	reg_policy_cb cb;
	void *ctx;
};

static int visit_policy(const PGresult *r, int i, void *arg)
{
	struct policy_visit *v = arg;
	struct reg_policy p;

	read_policy(r, i, &p);
	return v->cb(&p, v->ctx);
}

int pg_policy_list(struct reg_db *be, reg_policy_cb cb, void *ctx, struct byod_err *err)
{
	struct policy_visit v = {cb, ctx};

	return pg_rows(PG(be), "listing policies",
		       "SELECT " POLICY_COLS " FROM policies ORDER BY version", 0, NULL,
		       visit_policy, &v, err);
}

/* Writers run side by side under READ COMMITTED: two editors applying at
 * once would each read the version they expect and both store. A lock
 * held to the transaction's end ('poli', then the registry's schema)
 * makes the second read the first's version. */
int pg_policy_lock(struct reg_db *be, struct byod_err *err)
{
	return pg_command(PG(be), NULL, err, "taking the policy lock",
			  "SELECT pg_advisory_xact_lock(1886350441, hashtext(current_schema()))", 0,
			  NULL);
}

int pg_policy_list_school(struct reg_db *be, const char *school, reg_policy_cb cb, void *ctx,
			  struct byod_err *err)
{
	struct policy_visit v = {cb, ctx};
	const char *p[] = {school};

	return pg_rows(PG(be), "listing policies",
		       "SELECT " POLICY_COLS " FROM policies WHERE school = $1 ORDER BY version",
		       1, p, visit_policy, &v, err);
}
