// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The SQLite backend's operations on the registry's own rows: schools,
 * people, devices, certificates, counters, the audit log and the segment
 * policy's versions, each one prepared statement with bound values through
 * sq_prepare, sq_run, sq_one and sq_each (sqlite.c). Validation, audit rows
 * and events are registry.c's business.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "sqlite_int.h"
#include "sqlite_tables.h"

/* ---- schools and people -------------------------------------------------- */

int sq_school_insert(struct reg_db *be, const struct reg_school *sc, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err, "INSERT INTO schools (uai, name) VALUES (?, ?)", "tt", sc->uai,
			sc->name);
	return rc ? rc : sq_run(s, st, NULL, "adding a school", err);
}

int sq_school_get(struct reg_db *be, const char *uai, struct reg_school *out,
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

int sq_school_list(struct reg_db *be, reg_school_cb cb, void *ctx, struct byod_err *err)
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

int sq_person_insert(struct reg_db *be, struct reg_person *p, struct byod_err *err)
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

int sq_person_get(struct reg_db *be, const char *login, struct reg_person *out,
		  struct byod_err *err)
{
	return person_get_where(sq_of(be), "SELECT " PERSON_COLUMNS " FROM people WHERE login = ?",
				"t", login, 0, out, err);
}

int sq_person_get_by_id(struct reg_db *be, int64_t id, struct reg_person *out,
			struct byod_err *err)
{
	return person_get_where(sq_of(be), "SELECT " PERSON_COLUMNS " FROM people WHERE id = ?",
				"i", NULL, id, out, err);
}

int sq_person_update(struct reg_db *be, const struct reg_person *p, struct byod_err *err)
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

int sq_person_list(struct reg_db *be, reg_person_cb cb, void *ctx, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct person_visit v = {cb, ctx};
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err, "SELECT " PERSON_COLUMNS " FROM people ORDER BY login", "");
	return rc ? rc : sq_each(s, st, visit_person, &v, "listing people", err);
}

/* (through the index people_school) */
int sq_person_list_school(struct reg_db *be, const char *school, reg_person_cb cb, void *ctx,
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
int sq_person_list_source(struct reg_db *be, const char *source, const char *school,
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

int sq_device_insert(struct reg_db *be, const struct reg_device *d, struct byod_err *err)
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

int sq_device_get(struct reg_db *be, const char *id, struct reg_device *out,
		  struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err, DEVICE_SELECT "WHERE d.id = ?", "t", id);
	return rc ? rc : device_one(s, st, out, err);
}

int sq_device_update(struct reg_db *be, const struct reg_device *d, struct byod_err *err)
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

int sq_device_list(struct reg_db *be, const struct reg_device_filter *filter,
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

int sq_device_count_since(struct reg_db *be, int64_t owner, time_t since, int *count,
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

int sq_device_count_live(struct reg_db *be, int64_t owner, int *count, struct byod_err *err)
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

int sq_device_find_by_serial(struct reg_db *be, const char *serial, struct reg_device *out,
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

int sq_device_find_by_mac(struct reg_db *be, const char *mac, struct reg_device *out,
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

int sq_cert_insert(struct reg_db *be, const struct reg_cert *c, struct byod_err *err)
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

int sq_cert_get(struct reg_db *be, const char *serial, struct reg_cert *out,
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

int sq_cert_update(struct reg_db *be, const struct reg_cert *c, struct byod_err *err)
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

int sq_cert_list_for_device(struct reg_db *be, const char *device, reg_cert_cb cb, void *ctx,
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

int sq_cert_list(struct reg_db *be, reg_cert_cb cb, void *ctx, struct byod_err *err)
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

int sq_cert_list_revoked(struct reg_db *be, reg_cert_cb cb, void *ctx, struct byod_err *err)
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

/* ---- counters ------------------------------------------------------------ */

int sq_counter_next(struct reg_db *be, const char *name, int64_t *value,
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

int sq_counter_list(struct reg_db *be, reg_counter_cb cb, void *ctx, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct counter_visit v = {cb, ctx};
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err, "SELECT name, value FROM counters ORDER BY name", "");
	return rc ? rc : sq_each(s, st, visit_counter, &v, "listing counters", err);
}

int sq_counter_raise(struct reg_db *be, const char *name, int64_t value,
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

/* ---- the audit log ------------------------------------------------------- */

int sq_audit_insert(struct reg_db *be, struct reg_audit *a, struct byod_err *err)
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

int sq_audit_list(struct reg_db *be, int limit, reg_audit_cb cb, void *ctx,
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

int sq_audit_list_after(struct reg_db *be, int64_t after, reg_audit_cb cb, void *ctx,
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

int sq_policy_insert(struct reg_db *be, struct reg_policy *p, struct byod_err *err)
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

int sq_policy_get(struct reg_db *be, int64_t version, struct reg_policy *out,
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

int sq_policy_newest(struct reg_db *be, const char *school, struct reg_policy *out,
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

int sq_policy_list(struct reg_db *be, reg_policy_cb cb, void *ctx, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct policy_visit v = {cb, ctx};
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err, "SELECT " POLICY_COLS " FROM policies ORDER BY version", "");
	return rc ? rc : sq_each(s, st, visit_policy, &v, "listing policies", err);
}

int sq_policy_lock(struct reg_db *be, struct byod_err *err)
{
	(void)be;
	(void)err;
	return 0; /* BEGIN IMMEDIATE holds the write lock */
}

int sq_policy_list_school(struct reg_db *be, const char *school, reg_policy_cb cb,
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

