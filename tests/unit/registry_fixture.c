// SPDX-License-Identifier: GPL-2.0-or-later
/* The registry tests' shared fixture and helpers (registry_fixture.h). */
#include "registry_fixture.h"
static int db_counter;

struct raw_db {
	sqlite3 *sq;
	PGconn *pg;
};

static int is_pg_url(const char *s)
{
	return s && (!strncmp(s, "postgresql://", 13) || !strncmp(s, "postgres://", 11));
}

const char *pg_base_url(void)
{
	const char *url = getenv("BYOD_TEST_REGISTRY");

	return is_pg_url(url) ? url : NULL;
}

int on_postgres(void)
{
	return pg_base_url() != NULL;
}

void remove_db(const char *path)
{
	static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
	char p[1100];
	size_t i;

	if (is_pg_url(path))
		return;
	for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", path, suffix[i]);
		unlink(p);
	}
}

int open_reg(const char *path, int busy_ms, struct reg **reg, struct byod_err *err)
{
	struct reg_options opt;

	memset(&opt, 0, sizeof(opt));
	if (is_pg_url(path)) {
		opt.backend = REG_BACKEND_POSTGRES;
		opt.conninfo = path;
	} else {
		opt.backend = REG_BACKEND_SQLITE;
		opt.path = path;
	}
	opt.busy_timeout_ms = busy_ms;
	opt.actor = "test:unit";
	return reg_open(&opt, reg, err);
}

/* Runs one statement on the test cluster as its owner; 0 or -1. */
static int pg_admin(const char *sql)
{
	PGconn *c = PQconnectdb(pg_base_url());
	PGresult *r;
	int ok;

	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "test cluster: %s", PQerrorMessage(c));
		PQfinish(c);
		return -1;
	}
	PQclear(PQexec(c, "SET client_min_messages = warning"));
	r = PQexec(c, sql);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
	if (!ok)
		fprintf(stderr, "%s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	return ok ? 0 : -1;
}

int setup(void **state)
{
	const char *base = getenv("BYOD_TEST_TMP");
	const char *url = pg_base_url();
	char sql[256];
	struct fx *f;

	if (!base || !base[0])
		base = "/tmp";
	mkdir(base, 0755);
	f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	++db_counter;
	if (url) {
		snprintf(f->schema, sizeof(f->schema), "t_%ld_%d", (long)getpid(), db_counter);
		snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s",
			 f->schema, f->schema);
		if (pg_admin(sql)) {
			free(f);
			return -1;
		}
		snprintf(f->path, sizeof(f->path), "%s%coptions=-csearch_path%%3D%s", url,
			 strchr(url, '?') ? '&' : '?', f->schema);
	} else {
		snprintf(f->path, sizeof(f->path), "%s/test_registry.%ld.%d.db", base,
			 (long)getpid(), db_counter);
		remove_db(f->path);
	}
	if (open_reg(f->path, 2000, &f->reg, &f->err)) {
		fprintf(stderr, "reg_open: %s\n", f->err.msg);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

int teardown(void **state)
{
	struct fx *f = *state;
	char sql[256];

	reg_close(f->reg);
	if (f->schema[0]) {
		snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS %s CASCADE", f->schema);
		pg_admin(sql);
	} else {
		remove_db(f->path);
	}
	free(f);
	return 0;
}

/* A second, raw connection to the same database, as another process has. */
raw_db *raw_open(const char *path)
{
	raw_db *db = calloc(1, sizeof(*db));

	assert_non_null(db);
	if (is_pg_url(path)) {
		db->pg = PQconnectdb(path);
		if (PQstatus(db->pg) != CONNECTION_OK)
			fprintf(stderr, "raw_open: %s", PQerrorMessage(db->pg));
		assert_int_equal(PQstatus(db->pg), CONNECTION_OK);
		PQclear(PQexec(db->pg, "SET client_min_messages = error"));
	} else {
		assert_int_equal(sqlite3_open(path, &db->sq), SQLITE_OK);
	}
	return db;
}

void raw_close(raw_db *db)
{
	if (!db)
		return;
	if (db->pg)
		PQfinish(db->pg);
	else
		sqlite3_close(db->sq);
	free(db);
}

int raw_try(raw_db *db, const char *sql)
{
	char *msg = NULL;
	PGresult *r;
	int rc;

	if (db->pg) {
		r = PQexec(db->pg, sql);
		rc = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK
			     ? 0
			     : -1;
		PQclear(r);
		return rc;
	}
	rc = sqlite3_exec(db->sq, sql, NULL, NULL, &msg);
	sqlite3_free(msg);
	return rc == SQLITE_OK ? 0 : -1;
}

void raw_exec(raw_db *db, const char *sql)
{
	char *msg = NULL;
	PGresult *r;
	int rc;

	if (db->pg) {
		r = PQexec(db->pg, sql);
		rc = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
		if (!rc)
			fprintf(stderr, "%s: %s", sql, PQerrorMessage(db->pg));
		PQclear(r);
		assert_true(rc);
		return;
	}
	rc = sqlite3_exec(db->sq, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		fprintf(stderr, "%s: %s\n", sql, msg ? msg : "?");
	sqlite3_free(msg);
	assert_int_equal(rc, SQLITE_OK);
}

int64_t raw_int(raw_db *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	PGresult *r;
	int64_t v;

	if (db->pg) {
		r = PQexec(db->pg, sql);
		if (PQresultStatus(r) != PGRES_TUPLES_OK)
			fprintf(stderr, "%s: %s", sql, PQerrorMessage(db->pg));
		assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
		assert_true(PQntuples(r) >= 1);
		v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		PQclear(r);
		return v;
	}
	assert_int_equal(sqlite3_prepare_v2(db->sq, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

void add_school(struct fx *f, const char *uai, const char *name)
{
	struct reg_school s;

	memset(&s, 0, sizeof(s));
	snprintf(s.uai, sizeof(s.uai), "%s", uai);
	snprintf(s.name, sizeof(s.name), "%s", name);
	assert_int_equal(reg_school_add(f->reg, &s, &f->err), 0);
}

void fill_person(struct reg_person *p, const char *login, const char *school)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->login, sizeof(p->login), "%s", login);
	snprintf(p->display_name, sizeof(p->display_name), "Person %s", login);
	p->role = BYOD_ROLE_STUDENT;
	snprintf(p->school, sizeof(p->school), "%s", school ? school : "");
	snprintf(p->groups, sizeof(p->groups), "4B latin");
	p->state = REG_PERSON_ACTIVE;
}

int64_t add_person(struct fx *f, const char *login)
{
	struct reg_person p;

	fill_person(&p, login, NULL);
	assert_int_equal(reg_person_add(f->reg, &p, &f->err), 0);
	assert_true(p.id > 0);
	return p.id;
}

void fill_device(struct reg_device *d, int64_t owner, const char *name, const char *mac)
{
	memset(d, 0, sizeof(*d));
	d->owner = owner;
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->kind = BYOD_KIND_PHONE;
	snprintf(d->mac, sizeof(d->mac), "%s", mac ? mac : "");
	d->state = BYOD_DEVICE_ACTIVE;
	snprintf(d->charter, sizeof(d->charter), "2025-1");
	d->expires = 1900000000;
}

void add_device(struct fx *f, int64_t owner, const char *name, const char *mac,
		struct reg_device *out)
{
	fill_device(out, owner, name, mac);
	assert_int_equal(reg_device_add(f->reg, out, &f->err), 0);
}

void fill_cert(struct reg_cert *c, const char *serial, const char *device)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->serial, sizeof(c->serial), "%s", serial);
	snprintf(c->device, sizeof(c->device), "%s", device);
	c->not_before = 1700000000;
	c->not_after = 1900000000;
	c->state = REG_CERT_VALID;
}

/* ---- collectors ---------------------------------------------------------- */

int collect_person(const struct reg_person *p, void *arg)
{
	struct names *c = arg;

	snprintf(c->v[c->n++], sizeof(c->v[0]), "%s", p->login);
	return c->stop_after && c->n == c->stop_after ? 7 : 0;
}

int collect_device(const struct reg_device *d, void *arg)
{
	struct names *c = arg;

	assert_true(c->n < MAXN);
	snprintf(c->v[c->n++], sizeof(c->v[0]), "%s", d->name);
	return 0;
}

int collect_cert(const struct reg_cert *crt, void *arg)
{
	struct names *c = arg;

	assert_true(c->n < MAXN);
	snprintf(c->v[c->n++], sizeof(c->v[0]), "%s", crt->serial);
	return 0;
}

int collect_event(const struct reg_event *ev, void *arg)
{
	struct events *c = arg;

	assert_true(c->n < MAXN);
	c->v[c->n++] = *ev;
	return 0;
}

struct events events_since(struct fx *f, int64_t after, int limit)
{
	struct events e;

	memset(&e, 0, sizeof(e));
	assert_int_equal(reg_events_since(f->reg, after, limit, collect_event, &e, &f->err), 0);
	return e;
}

int collect_audit(const struct reg_audit *a, void *arg)
{
	struct audits *c = arg;

	assert_true(c->n < MAXN);
	c->v[c->n].id = a->id;
	snprintf(c->v[c->n].actor, sizeof(c->v[0].actor), "%s", a->actor);
	snprintf(c->v[c->n].action, sizeof(c->v[0].action), "%s", a->action);
	snprintf(c->v[c->n].object, sizeof(c->v[0].object), "%s", a->object);
	c->v[c->n].before = a->before ? strdup(a->before) : NULL;
	c->v[c->n].after = a->after ? strdup(a->after) : NULL;
	c->n++;
	return 0;
}

void audits_free(struct audits *a)
{
	int i;

	for (i = 0; i < a->n; i++) {
		free(a->v[i].before);
		free(a->v[i].after);
	}
	a->n = 0;
}

int audit_count(struct fx *f)
{
	struct audits a;
	int n;

	memset(&a, 0, sizeof(a));
	assert_int_equal(reg_audit_list(f->reg, 0, collect_audit, &a, &f->err), 0);
	n = a.n;
	audits_free(&a);
	return n;
}
