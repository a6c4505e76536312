// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of departures at a date in the registry, on either backend
 * (test_registry_leaving_pg runs them on PostgreSQL): leaves_at written,
 * read and audited as "person.leave"; disabled_at kept by the registry on
 * every change of state, whatever the caller passes; the list of active
 * people whose date has come; the migration's backfill of disabled_at for
 * people already disabled.
 */
#include "registry_fixture.h"

static void test_leaves_at(void **state)
{
	struct fx *f = *state;
	struct reg_person p, got;
	struct audits a;
	json_t *after;
	time_t t = 1788220800; /* 2026-09-01 */

	fill_person(&p, "zoe", NULL);
	p.leaves_at = t;
	p.disabled_at = 12345; /* not the caller's to set */
	assert_int_equal(reg_person_add(f->reg, &p, &f->err), 0);
	assert_int_equal(reg_person_get(f->reg, "zoe", &got, &f->err), 0);
	assert_int_equal(got.leaves_at, t);
	assert_int_equal(got.disabled_at, 0);

	assert_int_equal(reg_person_set_leaves_at(f->reg, "zoe", t + 86400, &f->err), 0);
	assert_int_equal(reg_person_get(f->reg, "zoe", &got, &f->err), 0);
	assert_int_equal(got.leaves_at, t + 86400);
	/* the same date again writes nothing */
	assert_int_equal(reg_person_set_leaves_at(f->reg, "zoe", t + 86400, &f->err), 0);
	assert_int_equal(reg_person_set_leaves_at(f->reg, "zoe", -5, &f->err), -EINVAL);
	assert_int_equal(reg_person_set_leaves_at(f->reg, "nobody", t, &f->err), -ENOENT);

	memset(&a, 0, sizeof(a));
	assert_int_equal(reg_audit_list(f->reg, 0, collect_audit, &a, &f->err), 0);
	assert_int_equal(a.n, 2);
	assert_string_equal(a.v[0].action, "person.leave");
	assert_string_equal(a.v[0].object, "zoe");
	after = json_loads(a.v[0].after, 0, NULL);
	assert_non_null(after);
	assert_string_equal(json_string_value(json_object_get(after, "leaves_at")),
			    "2026-09-02T00:00:00Z");
	json_decref(after);
	audits_free(&a);

	/* reg_person_update keeps the date */
	got.role = BYOD_ROLE_TEACHER;
	assert_int_equal(reg_person_update(f->reg, &got, &f->err), 0);
	assert_int_equal(reg_person_get(f->reg, "zoe", &got, &f->err), 0);
	assert_int_equal(got.leaves_at, t + 86400);
	assert_int_equal(reg_person_set_leaves_at(f->reg, "zoe", 0, &f->err), 0);
	assert_int_equal(reg_person_get(f->reg, "zoe", &got, &f->err), 0);
	assert_int_equal(got.leaves_at, 0);
}

static void test_disabled_at(void **state)
{
	struct fx *f = *state;
	struct reg_person p, got;
	time_t before, after;

	fill_person(&p, "max", NULL);
	p.state = REG_PERSON_DISABLED;
	p.created = 1000;
	assert_int_equal(reg_person_add(f->reg, &p, &f->err), 0);
	assert_int_equal(reg_person_get(f->reg, "max", &got, &f->err), 0);
	assert_int_equal(got.disabled_at, 1000);

	fill_person(&p, "ana", NULL);
	p.leaves_at = 100; /* long past */
	assert_int_equal(reg_person_add(f->reg, &p, &f->err), 0);
	before = time(NULL);
	assert_int_equal(reg_person_set_state(f->reg, "ana", REG_PERSON_DISABLED, &f->err), 0);
	after = time(NULL);
	assert_int_equal(reg_person_get(f->reg, "ana", &got, &f->err), 0);
	assert_true(got.disabled_at >= before && got.disabled_at <= after);
	/* other writes keep it */
	assert_int_equal(reg_person_set_password(f->reg, "ana", "", &f->err), 0);
	got.role = BYOD_ROLE_STAFF;
	assert_int_equal(reg_person_update(f->reg, &got, &f->err), 0);
	assert_int_equal(reg_person_get(f->reg, "ana", &p, &f->err), 0);
	assert_int_equal(p.disabled_at, got.disabled_at);
	/* enabled again: 0, and the date already past forgotten */
	assert_int_equal(reg_person_set_state(f->reg, "ana", REG_PERSON_ACTIVE, &f->err), 0);
	assert_int_equal(reg_person_get(f->reg, "ana", &got, &f->err), 0);
	assert_int_equal(got.disabled_at, 0);
	assert_int_equal(got.leaves_at, 0);
}

static void add_leaving(struct fx *f, const char *login, time_t leaves_at, enum reg_person_state st)
{
	struct reg_person p;

	fill_person(&p, login, NULL);
	p.leaves_at = leaves_at;
	p.state = st;
	assert_int_equal(reg_person_add(f->reg, &p, &f->err), 0);
}

static void test_list_leaving(void **state)
{
	struct fx *f = *state;
	struct names c;

	add_leaving(f, "d-past", 500, REG_PERSON_ACTIVE);
	add_leaving(f, "a-now", 1000, REG_PERSON_ACTIVE);
	add_leaving(f, "b-later", 1001, REG_PERSON_ACTIVE);
	add_leaving(f, "c-none", 0, REG_PERSON_ACTIVE);
	add_leaving(f, "e-gone", 10, REG_PERSON_DISABLED);

	memset(&c, 0, sizeof(c));
	assert_int_equal(reg_person_list_leaving(f->reg, 1000, collect_person, &c, &f->err), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.v[0], "a-now");
	assert_string_equal(c.v[1], "d-past");

	memset(&c, 0, sizeof(c));
	assert_int_equal(reg_person_list_leaving(f->reg, 999, collect_person, &c, &f->err), 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.v[0], "d-past");

	/* a callback's non-zero return stops and is returned */
	memset(&c, 0, sizeof(c));
	c.stop_after = 1;
	assert_int_equal(reg_person_list_leaving(f->reg, 5000, collect_person, &c, &f->err), 7);
	assert_int_equal(c.n, 1);
}

/* A registry of the schema before: people disabled then get the
 * migration's time as disabled_at, active ones 0. */
static void test_migrate_backfill(void **state)
{
	struct fx *f = *state;
	struct reg_person p;
	char sql[1024];
	time_t before;
	raw_db *db;

	add_leaving(f, "on", 0, REG_PERSON_ACTIVE);
	add_leaving(f, "off", 0, REG_PERSON_DISABLED);
	reg_close(f->reg);
	f->reg = NULL;
	db = raw_open(f->path);
	snprintf(sql, sizeof(sql),
		 "DROP INDEX people_leaving; ALTER TABLE people DROP COLUMN leaves_at; "
		 "ALTER TABLE people DROP COLUMN disabled_at; "
		 "DROP TABLE crl_kept; DROP INDEX sessions_ip; DROP INDEX sessions_mac; "
		 "DROP INDEX audit_time; "
		 "DROP TABLE oauth_tokens; DROP TABLE oauth_codes; DROP TABLE oauth_grants; "
		 "DROP TABLE oauth_requests; "
		 "DROP TABLE once_keys; DROP INDEX people_source; "
		 "ALTER TABLE people DROP COLUMN source; ALTER TABLE admins DROP COLUMN source; "
		 "%s%s%d",
		 on_postgres() ? "ALTER TABLE events DROP COLUMN tag; " : "",
		 on_postgres() ? "UPDATE schema_version SET version = " : "PRAGMA user_version = ",
		 /* before the leaving dates' migration, and the retention's,
		  * OAuth's and the identity sources' that follow it (and on
		  * PostgreSQL the event tags') */
		 on_postgres() ? reg_postgres_ops.newest_version - 5
			       : reg_sqlite_ops.newest_version - 4);
	raw_exec(db, sql);
	raw_close(db);
	before = time(NULL);
	assert_int_equal(open_reg(f->path, 2000, &f->reg, &f->err), 0);
	assert_int_equal(reg_person_get(f->reg, "on", &p, &f->err), 0);
	assert_int_equal(p.disabled_at, 0);
	assert_int_equal(p.leaves_at, 0);
	assert_int_equal(reg_person_get(f->reg, "off", &p, &f->err), 0);
	assert_true(p.disabled_at >= before - 1 && p.disabled_at <= time(NULL) + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_leaves_at, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disabled_at, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_leaving, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_backfill, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
