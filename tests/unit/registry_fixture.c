// SPDX-License-Identifier: GPL-2.0-or-later
/* The registry tests' shared fixture and helpers (registry_fixture.h). */
#include "registry_fixture.h"
static int db_counter;

void remove_db(const char *path)
{
	static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
	char p[600];
	size_t i;

	for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", path, suffix[i]);
		unlink(p);
	}
}

int open_reg(const char *path, int busy_ms, struct reg **reg, struct byod_err *err)
{
	struct reg_options opt;

	memset(&opt, 0, sizeof(opt));
	opt.backend = REG_BACKEND_SQLITE;
	opt.path = path;
	opt.busy_timeout_ms = busy_ms;
	opt.actor = "test:unit";
	return reg_open(&opt, reg, err);
}

int setup(void **state)
{
	const char *base = getenv("BYOD_TEST_TMP");
	struct fx *f;

	if (!base || !base[0])
		base = "/tmp";
	mkdir(base, 0755);
	f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/test_registry.%ld.%d.db", base, (long)getpid(),
		 ++db_counter);
	remove_db(f->path);
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

	reg_close(f->reg);
	remove_db(f->path);
	free(f);
	return 0;
}

/* A second, raw connection to the same file, as another process has. */
sqlite3 *raw_open(const char *path)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	return db;
}

void raw_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK)
		fprintf(stderr, "%s: %s\n", sql, msg ? msg : "?");
	sqlite3_free(msg);
	assert_int_equal(rc, SQLITE_OK);
}

int64_t raw_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t v;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
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
