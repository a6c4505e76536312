// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for registry/ on either backend: migrations, every
 * operation and its errors, nested transactions and rollback, the change
 * feed, the audit log (JSON, no password hash) and a database locked by
 * another connection. Each test opens its own database file under
 * $BYOD_TEST_TMP (default /tmp) and removes it, with its -wal and -shm; run
 * with BYOD_TEST_REGISTRY=postgresql://... (ctest's test_registry_pg), each
 * test gets its own schema on that server instead, and the few tests of
 * what only SQLite has are skipped.
 */
#include "registry_fixture.h"

#include <pthread.h>

/* ---- migrations ---------------------------------------------------------- */

static void test_migrate_fresh(void **state)
{
	static const char *const tables[] = {"schools",	 "people", "devices",  "certificates",
					     "sessions", "audit",  "events",   "counters",
					     "policies"};
	struct fx *f = *state;
	struct stat st;
	raw_db *db;
	int version = -1;
	size_t i;

	assert_int_equal(reg_schema_version(f->reg, &version, &f->err), 0);
	assert_true(version >= 1);
	db = raw_open(f->path);
	if (on_postgres()) {
		assert_int_equal(version, reg_postgres_ops.newest_version);
		assert_int_equal(raw_int(db, "SELECT version FROM schema_version"), version);
		for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
			char sql[128];

			snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM %s", tables[i]);
			assert_int_equal(raw_int(db, sql), 0);
		}
		raw_close(db);
		return;
	}
	assert_int_equal(version, reg_sqlite_ops.newest_version);
	assert_int_equal(raw_int(db, "PRAGMA user_version"), version);
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		char sql[128];

		snprintf(sql, sizeof(sql),
			 "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '%s'",
			 tables[i]);
		assert_int_equal(raw_int(db, sql), 1);
	}
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM pragma_journal_mode "
				     "WHERE journal_mode = 'wal'"),
			 1);
	raw_close(db);

	/* Password hashes live here: the file is its owner's only. */
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
}

static void test_migrate_reopen(void **state)
{
	struct fx *f = *state;
	struct reg_school s;
	int v1 = 0, v2 = 0, audits;

	add_school(f, UAI_A, "Lycée A");
	add_person(f, "alice");
	assert_int_equal(reg_schema_version(f->reg, &v1, &f->err), 0);
	audits = audit_count(f);
	reg_close(f->reg);
	f->reg = NULL;

	/* Migration 1 has no IF NOT EXISTS: running it again would fail. */
	assert_int_equal(open_reg(f->path, 2000, &f->reg, &f->err), 0);
	assert_int_equal(reg_schema_version(f->reg, &v2, &f->err), 0);
	assert_int_equal(v1, v2);
	assert_int_equal(reg_school_get(f->reg, UAI_A, &s, &f->err), 0);
	assert_string_equal(s.name, "Lycée A");
	assert_int_equal(audit_count(f), audits);
}

static void test_migrate_too_new(void **state)
{
	struct fx *f = *state;
	struct reg *reg = (struct reg *)&reg;
	char sql[64];
	raw_db *db;

	reg_close(f->reg);
	f->reg = NULL;
	db = raw_open(f->path);
	if (on_postgres())
		snprintf(sql, sizeof(sql), "UPDATE schema_version SET version = %d",
			 reg_postgres_ops.newest_version + 1);
	else
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
			 reg_sqlite_ops.newest_version + 1);
	raw_exec(db, sql);

	assert_int_equal(open_reg(f->path, 2000, &reg, &f->err), -EPROTO);
	assert_null(reg);
	assert_non_null(strstr(f->err.msg, "newer"));
	if (on_postgres()) {
		/* names the server and both versions; nothing was changed */
		assert_non_null(strstr(f->err.msg, "/byod"));
		snprintf(sql, sizeof(sql), "(%d)", reg_postgres_ops.newest_version);
		assert_non_null(strstr(f->err.msg, sql));
		assert_int_equal(raw_int(db, "SELECT version FROM schema_version"),
				 reg_postgres_ops.newest_version + 1);
		assert_null(strchr(f->err.msg, '\n'));
	} else {
		assert_non_null(strstr(f->err.msg, f->path));
	}
	raw_close(db);
}

static void test_open_errors(void **state)
{
	struct fx *f = *state;
	struct reg_options opt;
	struct reg *reg = NULL;
	char path[1100];
	FILE *fp;

	/* A PostgreSQL URL that does not parse: one sentence, before any
	 * connection, without the password it holds. */
	memset(&opt, 0, sizeof(opt));
	opt.backend = REG_BACKEND_POSTGRES;
	opt.conninfo = "postgresql://byod:s3cr3t-pw@127.0.0.1:notaport/byod";
	assert_int_equal(reg_open(&opt, &reg, &f->err), -EINVAL);
	assert_null(reg);
	assert_non_null(strstr(f->err.msg, "does not parse"));
	assert_non_null(strstr(f->err.msg, "notaport"));
	assert_null(strstr(f->err.msg, "s3cr3t-pw"));
	opt.conninfo = "postgresql://byod@/byod?sslmode=sometimes&password=s3cr3t-pw";
	assert_int_equal(reg_open(&opt, &reg, &f->err), -EINVAL);
	assert_null(strstr(f->err.msg, "s3cr3t-pw"));
	opt.conninfo = "";
	assert_int_equal(reg_open(&opt, &reg, &f->err), -EINVAL);
	opt.backend = REG_BACKEND_SQLITE;
	opt.path = NULL;
	assert_int_equal(reg_open(&opt, &reg, &f->err), -EINVAL);
	assert_null(reg);

	if (on_postgres())
		return;
	/* A file that is not a database is refused, not overwritten. */
	snprintf(path, sizeof(path), "%s.junk", f->path);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("this is not a database, but it is long enough to have a header.....\n", fp);
	fclose(fp);
	assert_true(open_reg(path, 100, &reg, &f->err) < 0);
	assert_null(reg);
	remove_db(path);
}

/* The registry byod.conf names: registry.path resolved against HOME. */
static void test_open_conf(void **state)
{
	struct fx *f = *state;
	struct byod_conf conf;
	struct reg_school s;
	struct reg *reg = NULL;
	char dir[1100], *slash, longname[5000];

	SQLITE_ONLY();
	add_school(f, UAI_A, "Lycée A");
	reg_close(f->reg);
	f->reg = NULL;
	snprintf(dir, sizeof(dir), "%s", f->path);
	slash = strrchr(dir, '/');
	assert_non_null(slash);
	*slash = '\0';
	assert_int_equal(byod_conf_defaults(&conf, dir), 0);
	assert_int_equal(byod_conf_set(&conf, "registry.path", slash + 1, &f->err), 0);
	assert_int_equal(reg_open_conf(&conf, "test", 0, &f->reg, &f->err), 0);
	assert_int_equal(reg_school_get(f->reg, UAI_A, &s, &f->err), 0); /* the same file */
	assert_string_equal(s.name, "Lycée A");

	/* a path that does not fit is refused before anything is opened */
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(byod_conf_set(&conf, "registry.path", longname, &f->err), 0);
	assert_int_equal(reg_open_conf(&conf, "test", 100, &reg, &f->err), -ENAMETOOLONG);
	assert_null(reg);
	byod_conf_free(&conf);

	/* a HOME without byod.conf: the error names the file */
	assert_true(reg_open_home(dir, "test", 0, &reg, &f->err) < 0);
	assert_null(reg);
	assert_non_null(strstr(f->err.msg, "byod.conf"));
}

/* ---- text forms ---------------------------------------------------------- */

static void test_names(void **state)
{
	enum reg_person_state ps;
	enum reg_cert_state cs;
	int reason, i;

	for (i = BYOD_ROLE_STUDENT; i <= BYOD_ROLE_GUEST; i++)
		assert_int_equal(byod_role_parse(byod_role_name(i)), i);
	assert_string_equal(byod_role_name(BYOD_ROLE_TEACHER), "teacher");
	assert_int_equal(byod_role_parse("Staff"), BYOD_ROLE_STAFF);
	assert_int_equal(byod_role_parse("admin"), -EINVAL);
	assert_null(byod_role_name(9));

	for (i = BYOD_DEVICE_ACTIVE; i <= BYOD_DEVICE_RETIRED; i++)
		assert_int_equal(byod_device_state_parse(byod_device_state_name(i)), i);
	assert_string_equal(byod_device_state_name(BYOD_DEVICE_SUSPENDED), "suspended");
	assert_int_equal(byod_device_state_parse("gone"), -EINVAL);

	for (i = BYOD_KIND_PHONE; i <= BYOD_KIND_OTHER; i++)
		assert_int_equal(byod_kind_parse(byod_kind_name(i)), i);
	assert_string_equal(byod_kind_name(BYOD_KIND_LAPTOP), "laptop");
	assert_int_equal(byod_kind_parse("watch"), -EINVAL);

	assert_int_equal(reg_person_state_parse("disabled", &ps), 0);
	assert_int_equal(ps, REG_PERSON_DISABLED);
	assert_int_equal(reg_cert_state_parse("revoked", &cs), 0);
	assert_int_equal(cs, REG_CERT_REVOKED);

	assert_string_equal(reg_reason_name(REG_REASON_UNSPECIFIED), "unspecified");
	assert_string_equal(reg_reason_name(REG_REASON_KEY_COMPROMISE), "key-compromise");
	assert_string_equal(reg_reason_name(REG_REASON_AFFILIATION_CHANGED), "affiliation-changed");
	assert_string_equal(reg_reason_name(REG_REASON_SUPERSEDED), "superseded");
	assert_string_equal(reg_reason_name(REG_REASON_CESSATION), "cessation-of-operation");
	assert_string_equal(reg_reason_name(REG_REASON_HOLD), "certificate-hold");
	assert_string_equal(reg_reason_name(REG_REASON_PRIVILEGE_WITHDRAWN), "privilege-withdrawn");
	assert_null(reg_reason_name(2));
	assert_null(reg_reason_name(-1));
	assert_int_equal(reg_reason_parse("lost", &reason), 0);
	assert_int_equal(reason, REG_REASON_KEY_COMPROMISE);
	assert_int_equal(reg_reason_parse("retired", &reason), 0);
	assert_int_equal(reason, REG_REASON_CESSATION);
	assert_int_equal(reg_reason_parse("privilege-withdrawn", &reason), 0);
	assert_int_equal(reason, 9);
	assert_int_equal(reg_reason_parse("stolen", &reason), -EINVAL);
}

/* ---- schools and people -------------------------------------------------- */

static void test_schools(void **state)
{
	struct fx *f = *state;
	struct reg_school s, got;

	add_school(f, UAI_A, "Lycée A");
	assert_int_equal(reg_school_get(f->reg, UAI_A, &got, &f->err), 0);
	assert_string_equal(got.uai, UAI_A);
	assert_string_equal(got.name, "Lycée A");

	memset(&s, 0, sizeof(s));
	snprintf(s.uai, sizeof(s.uai), "%s", UAI_A);
	snprintf(s.name, sizeof(s.name), "Again");
	assert_int_equal(reg_school_add(f->reg, &s, &f->err), -EEXIST);
	assert_non_null(strstr(f->err.msg, UAI_A));

	snprintf(s.uai, sizeof(s.uai), "12345");
	assert_int_equal(reg_school_add(f->reg, &s, &f->err), -EINVAL);
	snprintf(s.uai, sizeof(s.uai), "0751234a");
	assert_int_equal(reg_school_add(f->reg, &s, &f->err), -EINVAL);
	snprintf(s.uai, sizeof(s.uai), "%s", UAI_B);
	s.name[0] = '\0';
	assert_int_equal(reg_school_add(f->reg, &s, &f->err), -EINVAL);
	memset(s.name, 'x', sizeof(s.name)); /* no NUL at all */
	assert_int_equal(reg_school_add(f->reg, &s, &f->err), -EINVAL);

	assert_int_equal(reg_school_get(f->reg, UAI_B, &got, &f->err), -ENOENT);
	assert_non_null(strstr(f->err.msg, UAI_B));
}

static void test_people(void **state)
{
	struct fx *f = *state;
	struct reg_person p, got;
	struct names c;

	add_school(f, UAI_A, "Lycée A");
	fill_person(&p, "zoe", UAI_A);
	p.role = BYOD_ROLE_TEACHER;
	assert_int_equal(reg_person_add(f->reg, &p, &f->err), 0);
	assert_true(p.id > 0);
	assert_true(p.created > 0);

	assert_int_equal(reg_person_get(f->reg, "zoe", &got, &f->err), 0);
	assert_int_equal(got.id, p.id);
	assert_string_equal(got.login, "zoe");
	assert_string_equal(got.display_name, "Person zoe");
	assert_int_equal(got.role, BYOD_ROLE_TEACHER);
	assert_string_equal(got.school, UAI_A);
	assert_string_equal(got.groups, "4B latin");
	assert_string_equal(got.password_hash, "");
	assert_int_equal(got.state, REG_PERSON_ACTIVE);
	assert_int_equal(got.created, p.created);
	memset(&got, 0, sizeof(got));
	assert_int_equal(reg_person_get_by_id(f->reg, p.id, &got, &f->err), 0);
	assert_string_equal(got.login, "zoe");
	assert_int_equal(reg_person_get_by_id(f->reg, p.id + 100, &got, &f->err), -ENOENT);
	assert_int_equal(reg_person_get(f->reg, "nobody", &got, &f->err), -ENOENT);
	assert_non_null(strstr(f->err.msg, "nobody"));

	/* Errors: duplicate login, unknown school, values out of range. */
	fill_person(&p, "zoe", NULL);
	assert_int_equal(reg_person_add(f->reg, &p, &f->err), -EEXIST);
	assert_non_null(strstr(f->err.msg, "'zoe'"));
	fill_person(&p, "yann", UAI_B);
	assert_int_equal(reg_person_add(f->reg, &p, &f->err), -ENOENT);
	assert_non_null(strstr(f->err.msg, UAI_B));
	fill_person(&p, "yann", NULL);
	p.role = (enum byod_role)17;
	assert_int_equal(reg_person_add(f->reg, &p, &f->err), -EINVAL);
	fill_person(&p, "yann", NULL);
	p.state = (enum reg_person_state)5;
	assert_int_equal(reg_person_add(f->reg, &p, &f->err), -EINVAL);
	fill_person(&p, "yann", NULL);
	snprintf(p.password_hash, sizeof(p.password_hash), "hunter2");
	assert_int_equal(reg_person_add(f->reg, &p, &f->err), -EINVAL);
	fill_person(&p, "", NULL);
	assert_int_equal(reg_person_add(f->reg, &p, &f->err), -EINVAL);
	fill_person(&p, "x", NULL);
	memset(p.login, 'a', sizeof(p.login)); /* no NUL */
	assert_int_equal(reg_person_add(f->reg, &p, &f->err), -EINVAL);
	fill_person(&p, "bad\nlogin", NULL);
	assert_int_equal(reg_person_add(f->reg, &p, &f->err), -EINVAL);

	/* Password and state. */
	assert_int_equal(reg_person_set_password(f->reg, "zoe", "$y$j9T$salt$hash", &f->err), 0);
	assert_int_equal(reg_person_get(f->reg, "zoe", &got, &f->err), 0);
	assert_string_equal(got.password_hash, "$y$j9T$salt$hash");
	assert_int_equal(reg_person_set_password(f->reg, "zoe", "plain", &f->err), -EINVAL);
	assert_int_equal(reg_person_set_password(f->reg, "zoe", "", &f->err), 0);
	assert_int_equal(reg_person_get(f->reg, "zoe", &got, &f->err), 0);
	assert_string_equal(got.password_hash, "");
	assert_int_equal(reg_person_set_password(f->reg, "nobody", "$y$x", &f->err), -ENOENT);

	assert_int_equal(reg_person_set_state(f->reg, "zoe", REG_PERSON_DISABLED, &f->err), 0);
	assert_int_equal(reg_person_get(f->reg, "zoe", &got, &f->err), 0);
	assert_int_equal(got.state, REG_PERSON_DISABLED);
	assert_int_equal(reg_person_set_state(f->reg, "zoe", (enum reg_person_state)3, &f->err),
			 -EINVAL);
	assert_int_equal(reg_person_set_state(f->reg, "nobody", REG_PERSON_ACTIVE, &f->err),
			 -ENOENT);

	/* Listing is by login; a non-zero return from the callback stops it. */
	add_person(f, "adam");
	add_person(f, "marc");
	memset(&c, 0, sizeof(c));
	assert_int_equal(reg_person_list(f->reg, collect_person, &c, &f->err), 0);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.v[0], "adam");
	assert_string_equal(c.v[1], "marc");
	assert_string_equal(c.v[2], "zoe");
	memset(&c, 0, sizeof(c));
	c.stop_after = 2;
	assert_int_equal(reg_person_list(f->reg, collect_person, &c, &f->err), 7);
	assert_int_equal(c.n, 2);
}

/* ---- devices ------------------------------------------------------------- */

static void test_devices(void **state)
{
	struct fx *f = *state;
	struct reg_device d1, d2, d3, d4, got;
	struct reg_device_filter flt = {.owner_login = NULL, .state = -1};
	struct names c;
	int64_t alice, bob;
	int n = -1;

	alice = add_person(f, "alice");
	bob = add_person(f, "bob");

	add_device(f, alice, "Phone", "AA-BB-CC-DD-EE-01", &d1);
	assert_true(byod_is_uuid(d1.id));
	assert_true(d1.created > 0);
	assert_string_equal(d1.mac, "aa:bb:cc:dd:ee:01");
	assert_string_equal(d1.owner_login, "alice");
	add_device(f, alice, "Laptop", NULL, &d2);
	add_device(f, bob, "Tablet", "aabbccddee03", &d3);
	assert_string_not_equal(d1.id, d2.id);

	/* An id given in uppercase is kept in lowercase. */
	fill_device(&d4, bob, "Spare", NULL);
	snprintf(d4.id, sizeof(d4.id), "0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D");
	assert_int_equal(reg_device_add(f->reg, &d4, &f->err), 0);
	assert_string_equal(d4.id, "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d");
	assert_int_equal(
		reg_device_get(f->reg, "0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D", &got, &f->err), 0);
	assert_string_equal(got.name, "Spare");

	/* Errors. */
	assert_int_equal(reg_device_add(f->reg, &d4, &f->err), -EEXIST);
	fill_device(&got, bob + 100, "Ghost", NULL);
	assert_int_equal(reg_device_add(f->reg, &got, &f->err), -ENOENT);
	fill_device(&got, bob, "Bad MAC", "aa:bb:cc");
	assert_int_equal(reg_device_add(f->reg, &got, &f->err), -EINVAL);
	fill_device(&got, bob, "", NULL);
	assert_int_equal(reg_device_add(f->reg, &got, &f->err), -EINVAL);
	fill_device(&got, bob, "Bad kind", NULL);
	got.kind = (enum byod_kind)8;
	assert_int_equal(reg_device_add(f->reg, &got, &f->err), -EINVAL);
	fill_device(&got, bob, "Bad id", NULL);
	snprintf(got.id, sizeof(got.id), "not-a-uuid");
	assert_int_equal(reg_device_add(f->reg, &got, &f->err), -EINVAL);

	/* Reads fill owner_login. */
	assert_int_equal(reg_device_get(f->reg, d1.id, &got, &f->err), 0);
	assert_string_equal(got.id, d1.id);
	assert_int_equal(got.owner, alice);
	assert_string_equal(got.owner_login, "alice");
	assert_string_equal(got.name, "Phone");
	assert_int_equal(got.kind, BYOD_KIND_PHONE);
	assert_string_equal(got.mac, "aa:bb:cc:dd:ee:01");
	assert_int_equal(got.state, BYOD_DEVICE_ACTIVE);
	assert_string_equal(got.charter, "2025-1");
	assert_int_equal(got.created, d1.created);
	assert_int_equal(got.expires, 1900000000);
	assert_int_equal(
		reg_device_get(f->reg, "11111111-2222-4333-8444-555555555555", &got, &f->err),
		-ENOENT);
	assert_int_equal(reg_device_get(f->reg, "phone", &got, &f->err), -EINVAL);

	/* Changes. */
	assert_int_equal(reg_device_rename(f->reg, d1.id, "Alice's phone", &f->err), 0);
	assert_int_equal(reg_device_get(f->reg, d1.id, &got, &f->err), 0);
	assert_string_equal(got.name, "Alice's phone");
	assert_int_equal(reg_device_rename(f->reg, d1.id, "", &f->err), -EINVAL);
	assert_int_equal(reg_device_set_state(f->reg, d2.id, BYOD_DEVICE_SUSPENDED, &f->err), 0);
	assert_int_equal(reg_device_set_state(f->reg, d2.id, (enum byod_device_state)42, &f->err),
			 -EINVAL);
	assert_int_equal(reg_device_set_mac(f->reg, d2.id, "AABB.CCDD.EE02", &f->err), 0);
	assert_int_equal(reg_device_get(f->reg, d2.id, &got, &f->err), 0);
	assert_int_equal(got.state, BYOD_DEVICE_SUSPENDED);
	assert_string_equal(got.mac, "aa:bb:cc:dd:ee:02");
	assert_int_equal(reg_device_set_mac(f->reg, d2.id, "zz", &f->err), -EINVAL);
	assert_int_equal(reg_device_set_state(f->reg, "11111111-2222-4333-8444-555555555555",
					      BYOD_DEVICE_ACTIVE, &f->err),
			 -ENOENT);

	/* Lists, oldest first, with filters. */
	memset(&c, 0, sizeof(c));
	assert_int_equal(reg_device_list(f->reg, NULL, collect_device, &c, &f->err), 0);
	assert_int_equal(c.n, 4);
	assert_string_equal(c.v[0], "Alice's phone");
	assert_string_equal(c.v[1], "Laptop");
	assert_string_equal(c.v[2], "Tablet");
	assert_string_equal(c.v[3], "Spare");
	memset(&c, 0, sizeof(c));
	flt.owner_login = "alice";
	flt.state = -1;
	assert_int_equal(reg_device_list(f->reg, &flt, collect_device, &c, &f->err), 0);
	assert_int_equal(c.n, 2);
	memset(&c, 0, sizeof(c));
	flt.state = BYOD_DEVICE_SUSPENDED;
	assert_int_equal(reg_device_list(f->reg, &flt, collect_device, &c, &f->err), 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.v[0], "Laptop");
	memset(&c, 0, sizeof(c));
	flt.owner_login = NULL;
	flt.state = BYOD_DEVICE_ACTIVE;
	assert_int_equal(reg_device_list(f->reg, &flt, collect_device, &c, &f->err), 0);
	assert_int_equal(c.n, 3);
	memset(&c, 0, sizeof(c));
	flt.owner_login = "nobody";
	flt.state = -1;
	assert_int_equal(reg_device_list(f->reg, &flt, collect_device, &c, &f->err), 0);
	assert_int_equal(c.n, 0);
	flt.state = 12;
	assert_int_equal(reg_device_list(f->reg, &flt, collect_device, &c, &f->err), -EINVAL);

	/* Live devices: active and suspended count, revoked does not. */
	assert_int_equal(reg_device_count_live(f->reg, alice, &n, &f->err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(reg_device_set_state(f->reg, d1.id, BYOD_DEVICE_REVOKED, &f->err), 0);
	assert_int_equal(reg_device_count_live(f->reg, alice, &n, &f->err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(reg_device_count_live(f->reg, bob + 100, &n, &f->err), 0);
	assert_int_equal(n, 0);

	/* By MAC, in any form. */
	assert_int_equal(reg_device_find_by_mac(f->reg, "AA:BB:CC:DD:EE:02", &got, &f->err), 0);
	assert_string_equal(got.id, d2.id);
	assert_string_equal(got.owner_login, "alice");
	memset(&got, 0, sizeof(got));
	assert_int_equal(reg_device_find_by_mac(f->reg, "aabbccddee02", &got, &f->err), 0);
	assert_string_equal(got.id, d2.id);
	assert_int_equal(reg_device_find_by_mac(f->reg, "aa-bb-cc-dd-ee-02", &got, &f->err), 0);
	assert_string_equal(got.id, d2.id);
	assert_int_equal(reg_device_find_by_mac(f->reg, "aabb.ccdd.ee02", &got, &f->err), 0);
	assert_string_equal(got.id, d2.id);
	assert_int_equal(reg_device_find_by_mac(f->reg, "AABBCCDDEE03", &got, &f->err), 0);
	assert_string_equal(got.id, d3.id);
	assert_string_equal(got.owner_login, "bob");
	assert_int_equal(reg_device_find_by_mac(f->reg, "aa:bb:cc:dd:ee:99", &got, &f->err),
			 -ENOENT);
	assert_int_equal(reg_device_find_by_mac(f->reg, "not a mac", &got, &f->err), -EINVAL);
	assert_int_equal(reg_device_find_by_mac(f->reg, "", &got, &f->err), -EINVAL);

	/* A MAC moved to another device is found there; a cleared one is gone. */
	assert_int_equal(reg_device_set_mac(f->reg, d2.id, NULL, &f->err), 0);
	assert_int_equal(reg_device_find_by_mac(f->reg, "aa:bb:cc:dd:ee:02", &got, &f->err),
			 -ENOENT);
	assert_int_equal(reg_device_set_mac(f->reg, d4.id, "aa:bb:cc:dd:ee:02", &f->err), 0);
	assert_int_equal(reg_device_find_by_mac(f->reg, "aa:bb:cc:dd:ee:02", &got, &f->err), 0);
	assert_string_equal(got.id, d4.id);
}

/* ---- certificates -------------------------------------------------------- */

static void test_certs(void **state)
{
	struct fx *f = *state;
	struct reg_device d, other, got;
	struct reg_cert c, gc;
	struct names names;
	int64_t alice;

	alice = add_person(f, "alice");
	add_device(f, alice, "Phone", NULL, &d);
	add_device(f, alice, "Other", NULL, &other);

	fill_cert(&c, "1a2b3c", d.id);
	assert_int_equal(reg_cert_add(f->reg, &c, &f->err), 0);
	fill_cert(&c, "00:1A:2B:3D", d.id);
	c.not_before = 1700000100;
	assert_int_equal(reg_cert_add(f->reg, &c, &f->err), 0);
	fill_cert(&c, "FF", other.id);
	assert_int_equal(reg_cert_add(f->reg, &c, &f->err), 0);

	/* Serials in any form find the same row. */
	assert_int_equal(reg_cert_get(f->reg, "001A2B3C", &gc, &f->err), 0);
	assert_string_equal(gc.serial, "1a2b3c");
	assert_string_equal(gc.device, d.id);
	assert_int_equal(gc.not_before, 1700000000);
	assert_int_equal(gc.not_after, 1900000000);
	assert_int_equal(gc.state, REG_CERT_VALID);
	assert_int_equal(gc.revoked_at, 0);
	assert_int_equal(reg_cert_get(f->reg, "0x1A2B3D", &gc, &f->err), 0);
	assert_string_equal(gc.serial, "1a2b3d");
	assert_int_equal(reg_cert_get(f->reg, "abcdef", &gc, &f->err), -ENOENT);
	assert_int_equal(reg_cert_get(f->reg, "xyz", &gc, &f->err), -EINVAL);

	assert_int_equal(reg_device_find_by_serial(f->reg, "1A2B3C", &got, &f->err), 0);
	assert_string_equal(got.id, d.id);
	assert_string_equal(got.owner_login, "alice");
	memset(&got, 0, sizeof(got));
	assert_int_equal(reg_device_find_by_serial(f->reg, "00001a2b3c", &got, &f->err), 0);
	assert_string_equal(got.id, d.id);
	assert_int_equal(reg_device_find_by_serial(f->reg, "00ff", &got, &f->err), 0);
	assert_string_equal(got.id, other.id);
	assert_int_equal(reg_device_find_by_serial(f->reg, "abcdef", &got, &f->err), -ENOENT);
	assert_int_equal(reg_device_find_by_serial(f->reg, "serial?", &got, &f->err), -EINVAL);

	/* Errors on add. */
	fill_cert(&c, "001A2B3C", d.id);
	assert_int_equal(reg_cert_add(f->reg, &c, &f->err), -EEXIST);
	assert_non_null(strstr(f->err.msg, "1a2b3c"));
	fill_cert(&c, "99", "11111111-2222-4333-8444-555555555555");
	assert_int_equal(reg_cert_add(f->reg, &c, &f->err), -ENOENT);
	fill_cert(&c, "99", d.id);
	c.not_after = c.not_before - 1;
	assert_int_equal(reg_cert_add(f->reg, &c, &f->err), -EINVAL);

	memset(&names, 0, sizeof(names));
	assert_int_equal(reg_cert_list_for_device(f->reg, d.id, collect_cert, &names, &f->err), 0);
	assert_int_equal(names.n, 2);
	assert_string_equal(names.v[0], "1a2b3c");
	assert_string_equal(names.v[1], "1a2b3d");

	/* Revocation, once. */
	assert_int_equal(
		reg_cert_revoke(f->reg, "1A2B3C", REG_REASON_KEY_COMPROMISE, 1800000000, &f->err),
		0);
	assert_int_equal(reg_cert_get(f->reg, "1a2b3c", &gc, &f->err), 0);
	assert_int_equal(gc.state, REG_CERT_REVOKED);
	assert_int_equal(gc.revoked_at, 1800000000);
	assert_int_equal(gc.reason, REG_REASON_KEY_COMPROMISE);
	assert_int_equal(reg_cert_revoke(f->reg, "1a2b3c", REG_REASON_SUPERSEDED, 0, &f->err),
			 -EALREADY);
	assert_non_null(strstr(f->err.msg, "1a2b3c"));
	assert_int_equal(reg_cert_revoke(f->reg, "1a2b3d", 2, 0, &f->err), -EINVAL);
	assert_int_equal(reg_cert_revoke(f->reg, "abcdef", REG_REASON_UNSPECIFIED, 0, &f->err),
			 -ENOENT);
	/* when 0 is now; unspecified (0) is a reason like the others. */
	assert_int_equal(reg_cert_revoke(f->reg, "ff", REG_REASON_UNSPECIFIED, 0, &f->err), 0);
	assert_int_equal(reg_cert_get(f->reg, "ff", &gc, &f->err), 0);
	assert_int_equal(gc.reason, REG_REASON_UNSPECIFIED);
	assert_in_range(gc.revoked_at, time(NULL) - 60, time(NULL) + 1);

	memset(&names, 0, sizeof(names));
	assert_int_equal(reg_cert_list_revoked(f->reg, collect_cert, &names, &f->err), 0);
	assert_int_equal(names.n, 2); /* by revocation time: 1a2b3c's is in 2027 */
	assert_string_equal(names.v[0], "ff");
	assert_string_equal(names.v[1], "1a2b3c");
}

static void test_counter(void **state)
{
	struct fx *f = *state;
	int64_t v = 0;

	assert_int_equal(reg_counter_next(f->reg, "crl", &v, &f->err), 0);
	assert_int_equal(v, 1);
	assert_int_equal(reg_counter_next(f->reg, "crl", &v, &f->err), 0);
	assert_int_equal(v, 2);
	assert_int_equal(reg_counter_next(f->reg, "other", &v, &f->err), 0);
	assert_int_equal(v, 1);
	assert_int_equal(reg_counter_next(f->reg, "crl", &v, &f->err), 0);
	assert_int_equal(v, 3);
	assert_int_equal(reg_counter_next(f->reg, "", &v, &f->err), -EINVAL);
}

/* ---- transactions --------------------------------------------------------- */

static void test_tx_rollback(void **state)
{
	struct fx *f = *state;
	struct reg_school s;
	struct reg_person p;
	int64_t last0 = -1, last = -1;
	int audits0;

	add_school(f, UAI_A, "Lycée A");
	assert_int_equal(reg_events_last(f->reg, &last0, &f->err), 0);
	assert_true(last0 > 0);
	audits0 = audit_count(f);

	assert_int_equal(reg_begin(f->reg, &f->err), 0);
	add_school(f, UAI_B, "Collège B");
	add_person(f, "alice");
	reg_rollback(f->reg);

	assert_int_equal(reg_school_get(f->reg, UAI_B, &s, &f->err), -ENOENT);
	assert_int_equal(reg_person_get(f->reg, "alice", &p, &f->err), -ENOENT);
	assert_int_equal(reg_events_last(f->reg, &last, &f->err), 0);
	assert_int_equal(last, last0);
	assert_int_equal(audit_count(f), audits0);

	/* Afterwards, changes commit on their own again. */
	add_person(f, "alice");
	assert_int_equal(reg_person_get(f->reg, "alice", &p, &f->err), 0);

	/* A transaction left open at close is rolled back. */
	assert_int_equal(reg_begin(f->reg, &f->err), 0);
	add_school(f, UAI_B, "Collège B");
	reg_close(f->reg);
	assert_int_equal(open_reg(f->path, 2000, &f->reg, &f->err), 0);
	assert_int_equal(reg_school_get(f->reg, UAI_B, &s, &f->err), -ENOENT);
}

static void test_tx_nested(void **state)
{
	struct fx *f = *state;
	struct reg_school s;
	raw_db *db;
	int64_t last0 = 0, last = 0;

	db = raw_open(f->path);

	/* Only the outermost commit commits. */
	assert_int_equal(reg_begin(f->reg, &f->err), 0);
	assert_int_equal(reg_begin(f->reg, &f->err), 0);
	add_school(f, UAI_A, "Lycée A");
	assert_int_equal(reg_commit(f->reg, &f->err), 0);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM schools"), 0);
	assert_int_equal(reg_commit(f->reg, &f->err), 0);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM schools"), 1);
	assert_int_equal(reg_commit(f->reg, &f->err), -EINVAL);

	/* An inner rollback cancels everything, and the outer commit says so. */
	assert_int_equal(reg_events_last(f->reg, &last0, &f->err), 0);
	assert_int_equal(reg_begin(f->reg, &f->err), 0);
	add_school(f, UAI_B, "Collège B");
	assert_int_equal(reg_begin(f->reg, &f->err), 0);
	add_person(f, "alice");
	reg_rollback(f->reg);
	memset(&s, 0, sizeof(s));
	snprintf(s.uai, sizeof(s.uai), "0000001C");
	snprintf(s.name, sizeof(s.name), "C");
	assert_int_equal(reg_school_add(f->reg, &s, &f->err), -ECANCELED);
	assert_int_equal(reg_begin(f->reg, &f->err), -ECANCELED);
	assert_int_equal(reg_commit(f->reg, &f->err), -ECANCELED);
	reg_rollback(f->reg);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM schools"), 1);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM people"), 0);
	assert_int_equal(reg_events_last(f->reg, &last, &f->err), 0);
	assert_int_equal(last, last0);
	assert_int_equal(reg_school_get(f->reg, "0000001C", &s, &f->err), -ENOENT);

	/* Back at depth 0: changes work again. */
	add_school(f, "0000001C", "C");
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM schools"), 2);

	/* A check that says no (nothing written) does not cancel the caller. */
	assert_int_equal(reg_begin(f->reg, &f->err), 0);
	memset(&s, 0, sizeof(s));
	snprintf(s.uai, sizeof(s.uai), "%s", UAI_A);
	snprintf(s.name, sizeof(s.name), "dup");
	assert_int_equal(reg_school_add(f->reg, &s, &f->err), -EEXIST);
	add_school(f, "0000002D", "D");
	assert_int_equal(reg_commit(f->reg, &f->err), 0);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM schools"), 3);

	raw_close(db);
}

/* A read-only snapshot: what another connection commits meanwhile is not
 * seen until it ends; the feed's wait returns by its timeout at the latest. */
static void test_begin_read(void **state)
{
	struct fx *f = *state;
	struct reg_school s = {.uai = UAI_B, .name = "B"};
	struct reg *second = NULL;
	struct timespec t0, t1;
	double ms;

	add_school(f, UAI_A, "A");
	assert_int_equal(open_reg(f->path, 2000, &second, &f->err), 0);
	assert_int_equal(reg_begin_read(f->reg, &f->err), 0);
	assert_int_equal(reg_school_get(f->reg, UAI_A, &s, &f->err), 0);
	snprintf(s.uai, sizeof(s.uai), "%s", UAI_B);
	assert_int_equal(reg_school_add(second, &s, &f->err), 0);
	assert_int_equal(reg_school_get(f->reg, UAI_B, &s, &f->err), -ENOENT);
	/* nested levels count as usual */
	assert_int_equal(reg_begin(f->reg, &f->err), 0);
	assert_int_equal(reg_commit(f->reg, &f->err), 0);
	assert_int_equal(reg_commit(f->reg, &f->err), 0);
	assert_int_equal(reg_school_get(f->reg, UAI_B, &s, &f->err), 0);
	reg_close(second);

	assert_int_equal(reg_feed_wait(f->reg, 0, &f->err), 1); /* the first: "may have" */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(reg_feed_wait(f->reg, 100, &f->err), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1000.0 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	assert_true(ms >= 90.0);
	assert_true(ms < 5000.0);
}

/* Another thread commits through the same handle while the wait sleeps: the
 * wait sees it at its next look (own changes), not one wait late. SQLite
 * only: a PostgreSQL connection is not shared between threads. */
struct same_handle {
	struct reg *reg;
	int rc;
};

static void *commit_later(void *arg)
{
	struct same_handle *h = arg;
	struct reg_school s = {.uai = UAI_B, .name = "B"};
	struct byod_err err = {0};
	struct timespec pause = {.tv_sec = 0, .tv_nsec = 200 * 1000000L};

	nanosleep(&pause, NULL);
	h->rc = reg_school_add(h->reg, &s, &err);
	return NULL;
}

static void test_feed_wait_same_handle(void **state)
{
	struct fx *f = *state;
	struct same_handle h = {.reg = f->reg, .rc = -1};
	struct timespec t0, t1;
	pthread_t t;
	double ms;

	if (on_postgres())
		skip();
	add_school(f, UAI_A, "A");
	assert_int_equal(reg_feed_wait(f->reg, 0, &f->err), 1); /* the first: "may have" */
	assert_int_equal(pthread_create(&t, NULL, commit_later, &h), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(reg_feed_wait(f->reg, 3000, &f->err), 1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pthread_join(t, NULL);
	assert_int_equal(h.rc, 0);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1000.0 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	assert_true(ms < 2500.0);
	/* and the commit is not reported again */
	assert_int_equal(reg_feed_wait(f->reg, 100, &f->err), 0);
}

/* ---- the change feed ----------------------------------------------------- */

static void test_events(void **state)
{
	static const char *const kinds[] = {
		"school.add", "person.add", "device.add",  "device.rename",   "device.state",
		"device.mac", "cert.add",   "cert.revoke", "person.password", "person.state"};
	struct fx *f = *state;
	struct reg_device d;
	struct reg_cert c;
	struct events e;
	int64_t alice, last = 0, deleted;
	raw_db *db;
	char sql[128];
	size_t i;

	add_school(f, UAI_A, "Lycée A");
	alice = add_person(f, "alice");
	add_device(f, alice, "Phone", NULL, &d);
	assert_int_equal(reg_device_rename(f->reg, d.id, "Phone 2", &f->err), 0);
	assert_int_equal(reg_device_set_state(f->reg, d.id, BYOD_DEVICE_SUSPENDED, &f->err), 0);
	assert_int_equal(reg_device_set_mac(f->reg, d.id, "aabbccddeeff", &f->err), 0);
	fill_cert(&c, "abc", d.id);
	assert_int_equal(reg_cert_add(f->reg, &c, &f->err), 0);
	assert_int_equal(reg_cert_revoke(f->reg, "abc", REG_REASON_SUPERSEDED, 0, &f->err), 0);
	assert_int_equal(reg_person_set_password(f->reg, "alice", "$y$x$y$z", &f->err), 0);
	assert_int_equal(reg_person_set_state(f->reg, "alice", REG_PERSON_DISABLED, &f->err), 0);
	/* Changes that change nothing are not events. */
	assert_int_equal(reg_person_set_state(f->reg, "alice", REG_PERSON_DISABLED, &f->err), 0);
	assert_int_equal(reg_device_rename(f->reg, d.id, "Phone 2", &f->err), 0);

	e = events_since(f, 0, 0);
	assert_int_equal(e.n, (int)(sizeof(kinds) / sizeof(kinds[0])));
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		assert_string_equal(e.v[i].kind, kinds[i]);
		assert_true(e.v[i].time > 0);
		if (i)
			assert_true(e.v[i].seq > e.v[i - 1].seq);
	}
	assert_string_equal(e.v[0].object, UAI_A);
	assert_string_equal(e.v[1].object, "alice");
	assert_string_equal(e.v[2].object, d.id);
	assert_string_equal(e.v[6].object, "abc");

	assert_int_equal(reg_events_last(f->reg, &last, &f->err), 0);
	assert_int_equal(last, e.v[e.n - 1].seq);

	/* Only newer ones, in order, with a limit. */
	{
		struct events all = e;

		e = events_since(f, all.v[6].seq, 0);
		assert_int_equal(e.n, all.n - 7);
		assert_int_equal(e.v[0].seq, all.v[7].seq);
		assert_string_equal(e.v[0].kind, "cert.revoke");
		e = events_since(f, all.v[1].seq, 2);
		assert_int_equal(e.n, 2);
		assert_int_equal(e.v[0].seq, all.v[2].seq);
		assert_int_equal(e.v[1].seq, all.v[3].seq);
		e = events_since(f, last, 0);
		assert_int_equal(e.n, 0);
	}
	assert_int_equal(reg_events_since(f->reg, 0, -1, collect_event, &e, &f->err), -EINVAL);

	/* A seq is never handed out twice, even after the newest is deleted. */
	deleted = last;
	db = raw_open(f->path);
	snprintf(sql, sizeof(sql), "DELETE FROM events WHERE seq = %lld", (long long)deleted);
	raw_exec(db, sql);
	raw_close(db);
	add_school(f, UAI_B, "Collège B");
	assert_int_equal(reg_events_last(f->reg, &last, &f->err), 0);
	assert_true(last > deleted);
}

/* ---- the audit log ------------------------------------------------------- */

static json_t *parse(const char *s)
{
	json_error_t jerr;
	json_t *j;

	assert_non_null(s);
	j = json_loads(s, 0, &jerr);
	if (!j)
		fprintf(stderr, "bad JSON %s: %s\n", s, jerr.text);
	assert_non_null(j);
	assert_true(json_is_object(j));
	return j;
}

static void test_audit(void **state)
{
	struct fx *f = *state;
	struct reg_person p;
	struct reg_device d;
	struct audits a;
	char hash1[REG_HASH_MAX], hash2[REG_HASH_MAX];
	json_t *before, *after;
	int i;

	assert_int_equal(reg_set_actor(f->reg, "byodctl:jo"), 0);
	assert_int_equal(reg_set_actor(f->reg, ""), -EINVAL);
	assert_int_equal(reg_password_hash("first secret", 1, hash1, sizeof(hash1), &f->err), 0);
	assert_int_equal(reg_password_hash("second secret", 1, hash2, sizeof(hash2), &f->err), 0);

	fill_person(&p, "alice", NULL);
	snprintf(p.password_hash, sizeof(p.password_hash), "%s", hash1);
	assert_int_equal(reg_person_add(f->reg, &p, &f->err), 0);
	assert_int_equal(reg_person_set_password(f->reg, "alice", hash2, &f->err), 0);
	add_device(f, p.id, "Phone", NULL, &d);
	assert_int_equal(reg_device_set_state(f->reg, d.id, BYOD_DEVICE_SUSPENDED, &f->err), 0);

	memset(&a, 0, sizeof(a));
	assert_int_equal(reg_audit_list(f->reg, 0, collect_audit, &a, &f->err), 0);
	assert_int_equal(a.n, 4);
	for (i = 0; i < a.n; i++) {
		assert_string_equal(a.v[i].actor, "byodctl:jo");
		if (i)
			assert_true(a.v[i].id < a.v[i - 1].id); /* newest first */
		/* No hash, in any row, under any name. */
		assert_null(a.v[i].after ? strstr(a.v[i].after, "$y$") : NULL);
		assert_null(a.v[i].before ? strstr(a.v[i].before, "$y$") : NULL);
		assert_null(a.v[i].after ? strstr(a.v[i].after, "password_hash") : NULL);
	}
	assert_string_equal(a.v[0].action, "device.state");
	assert_string_equal(a.v[0].object, d.id);
	before = parse(a.v[0].before);
	after = parse(a.v[0].after);
	assert_string_equal(json_string_value(json_object_get(before, "state")), "active");
	assert_string_equal(json_string_value(json_object_get(after, "state")), "suspended");
	assert_string_equal(json_string_value(json_object_get(after, "owner_login")), "alice");
	json_decref(before);
	json_decref(after);

	assert_string_equal(a.v[1].action, "device.add");
	assert_null(a.v[1].before);
	after = parse(a.v[1].after);
	assert_string_equal(json_string_value(json_object_get(after, "id")), d.id);
	assert_string_equal(json_string_value(json_object_get(after, "kind")), "phone");
	json_decref(after);

	assert_string_equal(a.v[2].action, "person.password");
	assert_string_equal(a.v[2].object, "alice");
	before = parse(a.v[2].before);
	after = parse(a.v[2].after);
	assert_true(json_is_true(json_object_get(before, "password_set")));
	assert_true(json_is_true(json_object_get(after, "password_set")));
	json_decref(before);
	json_decref(after);

	assert_string_equal(a.v[3].action, "person.add");
	assert_null(a.v[3].before);
	after = parse(a.v[3].after);
	assert_string_equal(json_string_value(json_object_get(after, "login")), "alice");
	assert_string_equal(json_string_value(json_object_get(after, "role")), "student");
	assert_true(json_is_true(json_object_get(after, "password_set")));
	assert_null(json_object_get(after, "password_hash"));
	json_decref(after);
	audits_free(&a);

	/* Clearing a password is recorded as such. */
	assert_int_equal(reg_person_set_password(f->reg, "alice", NULL, &f->err), 0);
	memset(&a, 0, sizeof(a));
	assert_int_equal(reg_audit_list(f->reg, 1, collect_audit, &a, &f->err), 0);
	assert_int_equal(a.n, 1);
	after = parse(a.v[0].after);
	assert_true(json_is_false(json_object_get(after, "password_set")));
	json_decref(after);
	audits_free(&a);

	/* Rows that are not registry changes. */
	assert_int_equal(reg_audit_add(f->reg, "portal.login", "alice", NULL,
				       "{\"ip\":\"10.0.0.2\"}", &f->err),
			 0);
	assert_int_equal(reg_audit_add(f->reg, "export", NULL, NULL, NULL, &f->err), 0);
	assert_int_equal(reg_audit_add(f->reg, "bad", "x", "{not json", NULL, &f->err), -EINVAL);
	assert_int_equal(reg_audit_add(f->reg, "", "x", NULL, NULL, &f->err), -EINVAL);
	memset(&a, 0, sizeof(a));
	assert_int_equal(reg_audit_list(f->reg, 2, collect_audit, &a, &f->err), 0);
	assert_int_equal(a.n, 2);
	assert_string_equal(a.v[0].action, "export");
	assert_string_equal(a.v[0].object, "");
	assert_string_equal(a.v[1].action, "portal.login");
	assert_string_equal(a.v[1].after, "{\"ip\":\"10.0.0.2\"}");
	audits_free(&a);
	assert_int_equal(reg_audit_list(f->reg, -1, collect_audit, &a, &f->err), -EINVAL);
}

/* ---- locking --------------------------------------------------------------- */

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void test_locked(void **state)
{
	struct fx *f = *state;
	struct reg_school s;
	double t0, waited;
	raw_db *db;
	int rc, version = 0;

	SQLITE_ONLY(); /* PostgreSQL's lock timeout: test_registry_pg */
	add_school(f, UAI_A, "Lycée A");
	reg_close(f->reg);
	f->reg = NULL;
	assert_int_equal(open_reg(f->path, 100, &f->reg, &f->err), 0);

	db = raw_open(f->path);
	raw_exec(db, "BEGIN EXCLUSIVE");

	memset(&s, 0, sizeof(s));
	snprintf(s.uai, sizeof(s.uai), "%s", UAI_B);
	snprintf(s.name, sizeof(s.name), "Collège B");
	t0 = now_ms();
	rc = reg_school_add(f->reg, &s, &f->err);
	waited = now_ms() - t0;
	assert_int_equal(rc, -EBUSY);
	assert_non_null(strstr(f->err.msg, "locked"));
	assert_non_null(strstr(f->err.msg, f->path));
	assert_true(waited >= 90.0);
	assert_true(waited < 5000.0);

	/* Readers are not blocked in WAL mode. */
	assert_int_equal(reg_school_get(f->reg, UAI_A, &s, &f->err), 0);
	assert_int_equal(reg_schema_version(f->reg, &version, &f->err), 0);

	/* Explicit transactions too. */
	assert_int_equal(reg_begin(f->reg, &f->err), -EBUSY);
	assert_int_equal(reg_commit(f->reg, &f->err), -EINVAL);

	raw_exec(db, "ROLLBACK");
	raw_close(db);
	memset(&s, 0, sizeof(s));
	snprintf(s.uai, sizeof(s.uai), "%s", UAI_B);
	snprintf(s.name, sizeof(s.name), "Collège B");
	assert_int_equal(reg_school_add(f->reg, &s, &f->err), 0);
}

/* ---- policy versions ------------------------------------------------------ */

struct versions {
	int n;
	int64_t v[8];
	char comment[8][256];
};

static int collect_version(const struct reg_policy *p, void *arg)
{
	struct versions *c = arg;

	assert_true(c->n < 8);
	assert_null(p->source);
	c->v[c->n] = p->version;
	snprintf(c->comment[c->n++], 256, "%s", p->comment);
	return 0;
}

static void test_policy_versions(void **state)
{
	struct fx *f = *state;
	struct reg_policy p;
	struct versions vs = { 0 };
	struct audits a;
	struct events e;
	int64_t v1, v2, last;

	assert_int_equal(reg_policy_get(f->reg, 0, &p, &f->err), -ENOENT);
	assert_non_null(strstr(f->err.msg, "no policy"));
	assert_int_equal(reg_events_last(f->reg, &last, &f->err), 0);
	assert_int_equal(reg_policy_add(f->reg, "default: a\n", "/etc/p.yaml", "first", &v1,
					&f->err),
			 0);
	assert_int_equal(reg_policy_add(f->reg, "default: b\n", "/etc/p.yaml", "", &v2, &f->err),
			 0);
	assert_true(v2 > v1);
	assert_int_equal(reg_policy_add(f->reg, "", "x", "", NULL, &f->err), -EINVAL);

	/* the newest runs; every version stays */
	assert_int_equal(reg_policy_get(f->reg, 0, &p, &f->err), 0);
	assert_int_equal(p.version, v2);
	assert_string_equal(p.source, "default: b\n");
	assert_string_equal(p.author, "test:unit");
	assert_true(p.created > 0);
	free(p.source);
	assert_int_equal(reg_policy_get(f->reg, v1, &p, &f->err), 0);
	assert_string_equal(p.source, "default: a\n");
	assert_string_equal(p.file, "/etc/p.yaml");
	assert_string_equal(p.comment, "first");
	free(p.source);
	assert_int_equal(reg_policy_get(f->reg, 99, &p, &f->err), -ENOENT);
	assert_int_equal(reg_policy_list(f->reg, collect_version, &vs, &f->err), 0);
	assert_int_equal(vs.n, 2);
	assert_int_equal(vs.v[0], v1);
	assert_string_equal(vs.comment[0], "first");

	/* each apply is audited and on the change feed */
	e = events_since(f, last, 0);
	assert_int_equal(e.n, 2);
	assert_string_equal(e.v[0].kind, "policy.apply");
	memset(&a, 0, sizeof(a));
	assert_int_equal(reg_audit_list(f->reg, 1, collect_audit, &a, &f->err), 0);
	assert_string_equal(a.v[0].action, "policy.apply");
	assert_null(a.v[0].before);
	assert_non_null(strstr(a.v[0].after, "\"version\""));
	audits_free(&a);

	/* inside a rolled-back transaction, nothing is stored */
	assert_int_equal(reg_begin(f->reg, &f->err), 0);
	assert_int_equal(reg_policy_add(f->reg, "default: c\n", "x", "", NULL, &f->err), 0);
	reg_rollback(f->reg);
	assert_int_equal(reg_policy_get(f->reg, 0, &p, &f->err), 0);
	assert_int_equal(p.version, v2);
	free(p.source);
}

/* A database at schema version 1 (before policy versions and the session
 * indexes) is migrated on open, keeping its rows. */
static void test_migrate_from_1(void **state)
{
	struct fx *f = *state;
	struct reg_school s;
	struct reg_policy p;
	int version;
	raw_db *db;

	SQLITE_ONLY();
	add_school(f, UAI_A, "Kept");
	reg_close(f->reg);
	f->reg = NULL;
	db = raw_open(f->path);
	raw_exec(db, "DROP TABLE policies; DROP INDEX sessions_closed; DROP INDEX sessions_open; "
		     "DROP TABLE web_forms; DROP TABLE web_downloads; DROP TABLE web_throttle; "
		     "DROP TABLE web_sessions; DROP TABLE enrol_codes; DROP TABLE web_keys; "
		     "DROP INDEX devices_owner_created; DROP INDEX devices_live_mac; "
		     "DROP TABLE decision_counts; DROP TABLE heartbeats; "
		     "DROP INDEX devices_created; DROP INDEX certificates_not_after; "
		     "DROP INDEX sessions_nas; DROP INDEX sessions_started; "
		     "DROP TABLE unlocks; "
		     "DROP TABLE oauth_tokens; DROP TABLE oauth_codes; DROP TABLE oauth_grants; "
		     "DROP TABLE oauth_requests; "
		     "DROP TABLE admin_tokens; DROP TABLE admin_sessions; DROP TABLE admins; "
		     "DROP TABLE crl_kept; DROP INDEX sessions_ip; DROP INDEX sessions_mac; "
		     "DROP INDEX audit_time; "
		     "DROP INDEX audit_school; ALTER TABLE audit DROP COLUMN school; "
		     "DROP INDEX certificates_replaces; ALTER TABLE certificates DROP COLUMN replaces; "
		     "ALTER TABLE certificates DROP COLUMN first_seen; "
		     "DROP INDEX people_leaving; ALTER TABLE people DROP COLUMN leaves_at; "
		     "ALTER TABLE people DROP COLUMN disabled_at; "
		     "DROP TABLE once_keys; DROP INDEX people_source; "
		     "ALTER TABLE people DROP COLUMN source; "
		     "PRAGMA user_version = 1;");
	raw_close(db);
	assert_int_equal(open_reg(f->path, 2000, &f->reg, &f->err), 0);
	assert_int_equal(reg_schema_version(f->reg, &version, &f->err), 0);
	assert_int_equal(version, reg_sqlite_ops.newest_version);
	assert_int_equal(reg_school_get(f->reg, UAI_A, &s, &f->err), 0);
	assert_string_equal(s.name, "Kept");
	assert_int_equal(reg_policy_add(f->reg, "default: a\n", "f", "", NULL, &f->err), 0);
	assert_int_equal(reg_policy_get(f->reg, 0, &p, &f->err), 0);
	free(p.source);
}

/* A second live (active or suspended) device with one MAC is impossible
 * in the database itself, on both backends: a raw INSERT or UPDATE that
 * bypasses registry.c is refused; a retired or revoked device keeps its
 * MAC (the history); through the registry, -EEXIST in one sentence and
 * nothing written. */
static void test_live_mac_unique(void **state)
{
	struct fx *f = *state;
	struct reg_device d, d2, none1, none2;
	char sql[512];
	int64_t owner;
	raw_db *db;

	owner = add_person(f, "alice");
	add_device(f, owner, "Phone", "aa:bb:cc:dd:ee:01", &d);
	/* devices without a MAC are as many as one likes */
	add_device(f, owner, "Laptop", NULL, &none1);
	add_device(f, owner, "Tablet", NULL, &none2);

	db = raw_open(f->path);
	snprintf(sql, sizeof(sql),
		 "INSERT INTO devices (id, owner, name, kind, mac, state, created) VALUES "
		 "('00000000-0000-4000-8000-000000000001', %lld, 'x', 'phone', "
		 "'aa:bb:cc:dd:ee:01', 'active', 1)",
		 (long long)owner);
	assert_int_equal(raw_try(db, sql), -1);
	snprintf(sql, sizeof(sql),
		 "INSERT INTO devices (id, owner, name, kind, mac, state, created) VALUES "
		 "('00000000-0000-4000-8000-000000000002', %lld, 'x', 'phone', "
		 "'aa:bb:cc:dd:ee:01', 'suspended', 1)",
		 (long long)owner);
	assert_int_equal(raw_try(db, sql), -1);
	/* a retired and a revoked one may keep it */
	snprintf(sql, sizeof(sql),
		 "INSERT INTO devices (id, owner, name, kind, mac, state, created) VALUES "
		 "('00000000-0000-4000-8000-000000000003', %lld, 'x', 'phone', "
		 "'aa:bb:cc:dd:ee:01', 'retired', 1), "
		 "('00000000-0000-4000-8000-000000000004', %lld, 'x', 'phone', "
		 "'aa:bb:cc:dd:ee:01', 'revoked', 1)",
		 (long long)owner, (long long)owner);
	assert_int_equal(raw_try(db, sql), 0);
	/* ...but does not come back to life with it */
	assert_int_equal(raw_try(db, "UPDATE devices SET state = 'active' "
				     "WHERE id = '00000000-0000-4000-8000-000000000003'"),
			 -1);
	/* nor does another live device take it */
	snprintf(sql, sizeof(sql), "UPDATE devices SET mac = 'aa:bb:cc:dd:ee:01' WHERE id = '%s'",
		 none1.id);
	assert_int_equal(raw_try(db, sql), -1);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM devices WHERE mac = 'aa:bb:cc:dd:ee:01' "
				     "AND state IN ('active', 'suspended')"),
			 1);
	raw_close(db);

	/* through the registry: -EEXIST, said in words, nothing written */
	fill_device(&d2, owner, "Phone 2", "AA-BB-CC-DD-EE-01");
	assert_int_equal(reg_device_add(f->reg, &d2, &f->err), -EEXIST);
	assert_non_null(strstr(f->err.msg, "another live device already has this MAC address"));
	assert_null(strchr(f->err.msg, '\n'));
	assert_int_equal(reg_device_get(f->reg, d2.id, &d2, &f->err), -ENOENT);
	assert_int_equal(reg_device_set_mac(f->reg, none2.id, "aa:bb:cc:dd:ee:01", &f->err),
			 -EEXIST);
	assert_non_null(strstr(f->err.msg, "another live device already has this MAC address"));
	assert_int_equal(reg_device_get(f->reg, none2.id, &d2, &f->err), 0);
	assert_string_equal(d2.mac, "");
	/* once the first is retired, the MAC is free */
	assert_int_equal(reg_device_set_state(f->reg, d.id, BYOD_DEVICE_RETIRED, &f->err), 0);
	fill_device(&d2, owner, "Phone 2", "aa:bb:cc:dd:ee:01");
	assert_int_equal(reg_device_add(f->reg, &d2, &f->err), 0);
}

/* An SQLite registry of version 6 that already holds two live devices
 * with one MAC cannot take the index of version 7: opening it says so in
 * one sentence naming the MAC, the devices and their owners, and changes
 * nothing (still version 6, no index, an empty MAC still empty); once one
 * of them is retired, it opens and migrates. */
static void test_migrate_live_mac_twins(void **state)
{
	struct fx *f = *state;
	struct reg_device d1, d2, d3, bare;
	char sql[256];
	int64_t alice, bob;
	int version;
	raw_db *db;

	SQLITE_ONLY();
	alice = add_person(f, "alice");
	bob = add_person(f, "bob");
	add_device(f, alice, "Phone", "aa:bb:cc:dd:ee:01", &d1);
	add_device(f, bob, "Laptop", "aa:bb:cc:dd:ee:02", &d3);
	add_device(f, bob, "Tablet", NULL, &bare);
	reg_close(f->reg);
	f->reg = NULL;
	db = raw_open(f->path);
	raw_exec(db, "DROP INDEX devices_live_mac; DROP TABLE decision_counts; "
		     "DROP TABLE heartbeats; "
		     "DROP INDEX devices_created; DROP INDEX certificates_not_after; "
		     "DROP INDEX sessions_nas; DROP INDEX sessions_started; "
		     "DROP TABLE unlocks; DROP INDEX policies_school; "
		     "ALTER TABLE policies DROP COLUMN school; "
		     "ALTER TABLE policies DROP COLUMN follows_default; "
		     "DROP TABLE oauth_tokens; DROP TABLE oauth_codes; DROP TABLE oauth_grants; "
		     "DROP TABLE oauth_requests; "
		     "DROP TABLE admin_tokens; DROP TABLE admin_sessions; DROP TABLE admins; "
		     "DROP TABLE crl_kept; DROP INDEX sessions_ip; DROP INDEX sessions_mac; "
		     "DROP INDEX audit_time; "
		     "DROP INDEX audit_school; ALTER TABLE audit DROP COLUMN school; "
		     "DROP INDEX certificates_replaces; ALTER TABLE certificates DROP COLUMN replaces; "
		     "ALTER TABLE certificates DROP COLUMN first_seen; "
		     "DROP INDEX people_leaving; ALTER TABLE people DROP COLUMN leaves_at; "
		     "ALTER TABLE people DROP COLUMN disabled_at; "
		     "DROP TABLE once_keys; DROP INDEX people_source; "
		     "ALTER TABLE people DROP COLUMN source; "
		     "PRAGMA user_version = 6;");
	/* what version 6 let by: bob's phone with alice's MAC, two empty MACs */
	memset(&d2, 0, sizeof(d2));
	snprintf(d2.id, sizeof(d2.id), "00000000-0000-4000-8000-0000000000b2");
	snprintf(sql, sizeof(sql),
		 "INSERT INTO devices (id, owner, name, kind, mac, state, created) VALUES "
		 "('%s', %lld, 'Phone', 'phone', 'aa:bb:cc:dd:ee:01', 'suspended', 2000000000)",
		 d2.id, (long long)bob);
	raw_exec(db, sql);
	snprintf(sql, sizeof(sql), "UPDATE devices SET mac = '' WHERE id = '%s'", bare.id);
	raw_exec(db, sql);
	snprintf(sql, sizeof(sql),
		 "INSERT INTO devices (id, owner, name, kind, mac, state, created) VALUES "
		 "('00000000-0000-4000-8000-0000000000b3', %lld, 'x', 'other', '', 'active', 1)",
		 (long long)bob);
	raw_exec(db, sql);

	assert_int_equal(open_reg(f->path, 2000, &f->reg, &f->err), -EEXIST);
	assert_null(f->reg);
	assert_non_null(strstr(f->err.msg, f->path));
	assert_non_null(strstr(f->err.msg, "MAC aa:bb:cc:dd:ee:01 is on 2 live devices"));
	snprintf(sql, sizeof(sql), "%s (alice, active), %s (bob, suspended)", d1.id, d2.id);
	assert_non_null(strstr(f->err.msg, sql));
	assert_non_null(strstr(f->err.msg, "nothing was changed"));
	assert_null(strstr(f->err.msg, "ee:02"));
	assert_null(strstr(f->err.msg, "UNIQUE constraint"));
	assert_null(strchr(f->err.msg, '\n'));
	assert_int_equal(raw_int(db, "PRAGMA user_version"), 6);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM sqlite_master WHERE name = "
				     "'devices_live_mac'"),
			 0);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM devices WHERE mac = ''"), 2);

	/* what the sentence says to do */
	snprintf(sql, sizeof(sql), "UPDATE devices SET state = 'retired' WHERE id IN ('%s')",
		 d2.id);
	assert_non_null(strstr(f->err.msg, sql));
	raw_exec(db, sql);
	assert_int_equal(open_reg(f->path, 2000, &f->reg, &f->err), 0);
	assert_int_equal(reg_schema_version(f->reg, &version, &f->err), 0);
	assert_int_equal(version, reg_sqlite_ops.newest_version); /* 7 and those after */
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM devices WHERE mac = ''"), 0);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM devices WHERE mac IS NULL"), 2);
	assert_int_equal(reg_device_get(f->reg, bare.id, &bare, &f->err), 0);
	assert_string_equal(bare.mac, "");
	raw_close(db);
	/* and the index holds from now on */
	fill_device(&d2, bob, "Phone 3", "aa:bb:cc:dd:ee:02");
	assert_int_equal(reg_device_add(f->reg, &d2, &f->err), -EEXIST);
}

static int count_in_child(const char *path)
{
	char buf[32] = "";
	int fds[2], status;
	ssize_t n;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		if (on_postgres())
			execlp("psql", "psql", "-XAtq", "-c", "SELECT COUNT(*) FROM schools", path,
			       (char *)NULL);
		else
			execlp("sqlite3", "sqlite3", path, "SELECT COUNT(*) FROM schools",
			       (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	n = read(fds[0], buf, sizeof(buf) - 1);
	close(fds[0]);
	waitpid(pid, &status, 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return n > 0 ? atoi(buf) : -1;
}

/* Two connections in one process (the RADIUS module has two), and other
 * processes coming and going: every write stays visible to them. Opening
 * the second connection once closed a descriptor of the file, which drops
 * all of the process's POSIX locks; another process then deleted the WAL
 * the first connection was still writing to. */
static void test_two_connections_and_other_processes(void **state)
{
	struct fx *f = *state;
	struct reg_school s = { .uai = UAI_A, .name = "First" };
	struct reg *second;

	assert_int_equal(reg_events_last(f->reg, &(int64_t){ 0 }, &f->err), 0);
	assert_int_equal(open_reg(f->path, 2000, &second, &f->err), 0);
	assert_int_equal(reg_school_add(second, &s, &f->err), 0);
	assert_int_equal(count_in_child(f->path), 1);
	snprintf(s.uai, sizeof(s.uai), "%s", UAI_B);
	assert_int_equal(reg_school_add(second, &s, &f->err), 0);
	assert_int_equal(count_in_child(f->path), 2);
	add_school(f, "0750654D", "Third");
	assert_int_equal(count_in_child(f->path), 3);
	reg_close(second);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_migrate_fresh, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_too_new, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_conf, setup, teardown),
		cmocka_unit_test(test_names),
		cmocka_unit_test_setup_teardown(test_schools, setup, teardown),
		cmocka_unit_test_setup_teardown(test_people, setup, teardown),
		cmocka_unit_test_setup_teardown(test_devices, setup, teardown),
		cmocka_unit_test_setup_teardown(test_certs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_rollback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_nested, setup, teardown),
		cmocka_unit_test_setup_teardown(test_begin_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_feed_wait_same_handle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_locked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy_versions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_connections_and_other_processes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_migrate_from_1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_live_mac_unique, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_live_mac_twins, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
