// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A policy per school beside the département's default, and teachers'
 * unlocks, in the registry, on both backends: a school without its own
 * version runs the default, its own replaces it, a version that follows
 * the default hands it back; the default's functions of before see only the
 * default. Unlocks are checked (a span after its start, at most two hours,
 * a group name, a known school and teacher), listed while live only, ended
 * once, and every change is audited and on the change feed.
 */
#include "registry_fixture.h"

#define TEXT_D "default: d\n"
#define TEXT_A "default: a\n"

struct versions {
	int n;
	struct reg_policy v[MAXN];
};

static int collect_policy(const struct reg_policy *p, void *arg)
{
	struct versions *vs = arg;

	if (vs->n < MAXN)
		vs->v[vs->n++] = *p;
	return 0;
}

struct unlocks {
	int n;
	struct reg_unlock v[MAXN];
};

static int collect_unlock(const struct reg_unlock *u, void *arg)
{
	struct unlocks *us = arg;

	if (us->n < MAXN)
		us->v[us->n++] = *u;
	return 0;
}

static int64_t add_teacher(struct fx *f, const char *login, const char *school)
{
	struct reg_person p;

	fill_person(&p, login, school);
	p.role = BYOD_ROLE_TEACHER;
	assert_int_equal(reg_person_add(f->reg, &p, &f->err), 0);
	return p.id;
}

static int count_row(const struct reg_audit *a, void *arg)
{
	(void)a;
	(*(int *)arg)++;
	return 0;
}

/* The audit rows of action (a prefix) that a scope of school alone reads. */
static int audit_in_school(struct fx *f, const char *school, const char *action)
{
	struct reg_audit_filter af = {.action = action, .limit = 1000};
	struct reg_scope sc;
	int n = 0;

	assert_int_equal(reg_scope_set(&sc, school, &f->err), 0);
	assert_int_equal(reg_audit_search(f->reg, &sc, &af, count_row, &n, &f->err), 0);
	return n;
}

static void get_school(struct fx *f, const char *school, int64_t version, const char *whose,
		       const char *text)
{
	struct reg_policy p;

	assert_int_equal(reg_policy_get_school(f->reg, school, &p, &f->err), 0);
	assert_int_equal(p.version, version);
	assert_string_equal(p.school, whose);
	assert_int_equal(p.follows_default, 0);
	assert_string_equal(p.source, text);
	free(p.source);
}

static void test_school_falls_back_to_default(void **state)
{
	struct fx *f = *state;
	struct reg_policy p;
	struct versions vs = {0};
	struct events e;
	struct audits a = {0};
	int64_t v1, v2, v3, v4, last;

	add_school(f, UAI_A, "A");
	add_school(f, UAI_B, "B");
	assert_int_equal(reg_policy_get_school(f->reg, UAI_A, &p, &f->err), -ENOENT);
	assert_non_null(strstr(f->err.msg, "no policy has been applied yet"));
	assert_int_equal(reg_events_last(f->reg, &last, &f->err), 0);

	assert_int_equal(reg_policy_add_school(f->reg, "", TEXT_D, "d.yaml", "dept", &v1, &f->err),
			 0);
	get_school(f, UAI_A, v1, "", TEXT_D);
	get_school(f, "", v1, "", TEXT_D);

	/* A's own replaces the default for A only */
	assert_int_equal(
		reg_policy_add_school(f->reg, UAI_A, TEXT_A, "a.yaml", "own", &v2, &f->err), 0);
	assert_true(v2 > v1);
	get_school(f, UAI_A, v2, UAI_A, TEXT_A);
	get_school(f, UAI_B, v1, "", TEXT_D);
	/* the default's functions of before see the default only */
	assert_int_equal(reg_policy_get(f->reg, 0, &p, &f->err), 0);
	assert_int_equal(p.version, v1);
	free(p.source);
	assert_int_equal(reg_policy_list(f->reg, collect_policy, &vs, &f->err), 0);
	assert_int_equal(vs.n, 1);
	assert_int_equal(vs.v[0].version, v1);
	/* a version is found by its number whoever it belongs to */
	assert_int_equal(reg_policy_get(f->reg, v2, &p, &f->err), 0);
	assert_string_equal(p.school, UAI_A);
	free(p.source);

	/* a new default does not touch A */
	assert_int_equal(reg_policy_add(f->reg, "default: d2\n", "d.yaml", "", &v3, &f->err), 0);
	get_school(f, UAI_A, v2, UAI_A, TEXT_A);
	get_school(f, UAI_B, v3, "", "default: d2\n");

	/* back to the default */
	assert_int_equal(reg_policy_add_school(f->reg, UAI_A, NULL, "", "back", &v4, &f->err), 0);
	get_school(f, UAI_A, v3, "", "default: d2\n");
	memset(&vs, 0, sizeof(vs));
	assert_int_equal(reg_policy_list_school(f->reg, UAI_A, collect_policy, &vs, &f->err), 0);
	assert_int_equal(vs.n, 2);
	assert_int_equal(vs.v[0].version, v2);
	assert_int_equal(vs.v[0].follows_default, 0);
	assert_int_equal(vs.v[1].version, v4);
	assert_int_equal(vs.v[1].follows_default, 1);
	assert_string_equal(vs.v[1].comment, "back");
	assert_null(vs.v[1].source);
	memset(&vs, 0, sizeof(vs));
	assert_int_equal(reg_policy_list_school(f->reg, UAI_B, collect_policy, &vs, &f->err), 0);
	assert_int_equal(vs.n, 0);

	/* the newest of each: the default and A (following it) */
	memset(&vs, 0, sizeof(vs));
	assert_int_equal(reg_policy_list_newest(f->reg, collect_policy, &vs, &f->err), 0);
	assert_int_equal(vs.n, 2);
	assert_string_equal(vs.v[0].school, "");
	assert_int_equal(vs.v[0].version, v3);
	assert_string_equal(vs.v[1].school, UAI_A);
	assert_int_equal(vs.v[1].version, v4);
	assert_int_equal(vs.v[1].follows_default, 1);

	/* every apply is audited and fed, the school's included */
	e = events_since(f, last, 0);
	assert_int_equal(e.n, 4);
	assert_string_equal(e.v[1].kind, "policy.apply");
	assert_int_equal(strtoll(e.v[1].object, NULL, 10), v2);
	assert_int_equal(strtoll(e.v[3].object, NULL, 10), v4);
	assert_int_equal(reg_audit_list(f->reg, 1, collect_audit, &a, &f->err), 0);
	assert_string_equal(a.v[0].action, "policy.apply");
	assert_non_null(strstr(a.v[0].after, "\"school\":\"" UAI_A "\""));
	assert_non_null(strstr(a.v[0].after, "\"follows_default\":true"));
	audits_free(&a);
	/* the school's rows are its own: a scope of that school reads them, and
	 * the default's are no school's */
	assert_int_equal(audit_in_school(f, UAI_A, "policy.apply"), 2);
	assert_int_equal(audit_in_school(f, UAI_B, "policy.apply"), 0);
}

static void test_school_policy_refused(void **state)
{
	struct fx *f = *state;
	struct reg_policy p;
	struct versions vs = {0};
	int64_t v;
	int n;

	add_school(f, UAI_A, "A");
	n = audit_count(f);
	/* the default cannot follow itself */
	assert_int_equal(reg_policy_add_school(f->reg, "", NULL, "", "", &v, &f->err), -EINVAL);
	assert_int_equal(reg_policy_add_school(f->reg, UAI_A, "", "", "", &v, &f->err), -EINVAL);
	assert_int_equal(reg_policy_add_school(f->reg, UAI_B, TEXT_A, "", "", &v, &f->err),
			 -ENOENT);
	assert_non_null(strstr(f->err.msg, "no school " UAI_B));
	assert_int_equal(reg_policy_add_school(f->reg, "nope", TEXT_A, "", "", &v, &f->err),
			 -EINVAL);
	assert_int_equal(reg_policy_add_school(f->reg, NULL, TEXT_A, "", "", &v, &f->err), -EINVAL);
	assert_int_equal(audit_count(f), n);
	assert_int_equal(reg_policy_get_school(f->reg, UAI_B, &p, &f->err), -ENOENT);
	assert_int_equal(reg_policy_get_school(f->reg, "0751234", &p, &f->err), -EINVAL);
	assert_int_equal(reg_policy_list_school(f->reg, UAI_B, collect_policy, &vs, &f->err),
			 -ENOENT);
	/* A's own with no default at all is A's */
	assert_int_equal(reg_policy_add_school(f->reg, UAI_A, TEXT_A, "", "", &v, &f->err), 0);
	get_school(f, UAI_A, v, UAI_A, TEXT_A);
	assert_int_equal(reg_policy_get(f->reg, 0, &p, &f->err), -ENOENT);
	/* A back to a default that does not exist: none */
	assert_int_equal(reg_policy_add_school(f->reg, UAI_A, NULL, "", "", &v, &f->err), 0);
	assert_int_equal(reg_policy_get_school(f->reg, UAI_A, &p, &f->err), -ENOENT);
}

static void fill_unlock(struct reg_unlock *u, const char *school, const char *group,
			int64_t teacher, time_t starts, time_t ends)
{
	memset(u, 0, sizeof(*u));
	snprintf(u->school, sizeof(u->school), "%s", school);
	snprintf(u->group, sizeof(u->group), "%s", group);
	u->teacher = teacher;
	u->starts = starts;
	u->ends = ends;
}

static void test_unlock_checks(void **state)
{
	struct fx *f = *state;
	struct reg_unlock u;
	struct unlocks us = {0};
	time_t t = 1800000000;
	int64_t teacher;
	int n;

	add_school(f, UAI_A, "A");
	teacher = add_teacher(f, "prof", UAI_A);
	n = audit_count(f);
	fill_unlock(&u, UAI_A, "4B", teacher, t, t);
	assert_int_equal(reg_unlock_add(f->reg, &u, &f->err), -EINVAL);
	assert_non_null(strstr(f->err.msg, "end after it starts"));
	fill_unlock(&u, UAI_A, "4B", teacher, t, t - 60);
	assert_int_equal(reg_unlock_add(f->reg, &u, &f->err), -EINVAL);
	fill_unlock(&u, UAI_A, "4B", teacher, t, t + 7201);
	assert_int_equal(reg_unlock_add(f->reg, &u, &f->err), -EINVAL);
	assert_non_null(strstr(f->err.msg, "at most 120 minutes"));
	fill_unlock(&u, UAI_A, "", teacher, t, t + 600);
	assert_int_equal(reg_unlock_add(f->reg, &u, &f->err), -EINVAL);
	fill_unlock(&u, UAI_A, "4B latin", teacher, t, t + 600);
	assert_int_equal(reg_unlock_add(f->reg, &u, &f->err), -EINVAL);
	assert_non_null(strstr(f->err.msg, "not a group name"));
	fill_unlock(&u, UAI_A, "4B,5A", teacher, t, t + 600);
	assert_int_equal(reg_unlock_add(f->reg, &u, &f->err), -EINVAL);
	fill_unlock(&u, UAI_A, "4\n", teacher, t, t + 600);
	assert_int_equal(reg_unlock_add(f->reg, &u, &f->err), -EINVAL);
	fill_unlock(&u, UAI_B, "4B", teacher, t, t + 600);
	assert_int_equal(reg_unlock_add(f->reg, &u, &f->err), -ENOENT);
	assert_non_null(strstr(f->err.msg, "no school " UAI_B));
	fill_unlock(&u, "x", "4B", teacher, t, t + 600);
	assert_int_equal(reg_unlock_add(f->reg, &u, &f->err), -EINVAL);
	fill_unlock(&u, UAI_A, "4B", teacher + 100, t, t + 600);
	assert_int_equal(reg_unlock_add(f->reg, &u, &f->err), -ENOENT);
	fill_unlock(&u, UAI_A, "4B", teacher, t, t + 600);
	u.ended = t;
	assert_int_equal(reg_unlock_add(f->reg, &u, &f->err), -EINVAL);
	/* nothing was written */
	assert_int_equal(audit_count(f), n);
	assert_int_equal(reg_unlock_list_active(f->reg, NULL, t, collect_unlock, &us, &f->err), 0);
	assert_int_equal(us.n, 0);
	/* two hours exactly is allowed */
	fill_unlock(&u, UAI_A, "4B", teacher, t, t + 7200);
	assert_int_equal(reg_unlock_add(f->reg, &u, &f->err), 0);
	assert_int_equal(audit_count(f), n + 1);
	assert_int_equal(reg_unlock_list_active(f->reg, "bad", t, collect_unlock, &us, &f->err),
			 -EINVAL);
}

/* The database itself refuses a span of more than two hours. */
static void test_unlock_span_in_database(void **state)
{
	struct fx *f = *state;
	char sql[256];
	int64_t teacher;
	raw_db *db;

	add_school(f, UAI_A, "A");
	teacher = add_teacher(f, "prof", UAI_A);
	db = raw_open(f->path);
	snprintf(sql, sizeof(sql),
		 "INSERT INTO unlocks (school, group_name, teacher, starts, ends, created) "
		 "VALUES ('%s', '4B', %lld, 100, 7301, 1)",
		 UAI_A, (long long)teacher);
	assert_int_equal(raw_try(db, sql), -1);
	snprintf(sql, sizeof(sql),
		 "INSERT INTO unlocks (school, group_name, teacher, starts, ends, created) "
		 "VALUES ('%s', '4B', %lld, 100, 7300, 1)",
		 UAI_A, (long long)teacher);
	assert_int_equal(raw_try(db, sql), 0);
	raw_close(db);
}

static void test_unlock_lifecycle(void **state)
{
	struct fx *f = *state;
	struct reg_unlock u, v, got;
	struct unlocks us = {0};
	struct audits a = {0};
	struct events e;
	time_t t = 1800000000;
	int64_t teacher, other, last;
	char id[32];

	add_school(f, UAI_A, "A");
	add_school(f, UAI_B, "B");
	teacher = add_teacher(f, "prof", UAI_A);
	other = add_teacher(f, "prof-b", UAI_B);
	assert_int_equal(reg_events_last(f->reg, &last, &f->err), 0);

	fill_unlock(&u, UAI_A, "4B", teacher, t, t + 600);
	assert_int_equal(reg_unlock_add(f->reg, &u, &f->err), 0);
	assert_true(u.id > 0);
	assert_string_equal(u.teacher_login, "prof");
	assert_true(u.created > 0);
	fill_unlock(&v, UAI_B, "3C", other, t + 300, t + 900);
	assert_int_equal(reg_unlock_add(f->reg, &v, &f->err), 0);
	assert_true(v.id > u.id);

	assert_int_equal(reg_unlock_get(f->reg, u.id, &got, &f->err), 0);
	assert_string_equal(got.school, UAI_A);
	assert_string_equal(got.group, "4B");
	assert_int_equal(got.teacher, teacher);
	assert_string_equal(got.teacher_login, "prof");
	assert_int_equal(got.starts, t);
	assert_int_equal(got.ends, t + 600);
	assert_int_equal(got.ended, 0);
	assert_int_equal(reg_unlock_get(f->reg, v.id + 10, &got, &f->err), -ENOENT);

	/* live only between its start and its end */
	assert_int_equal(reg_unlock_list_active(f->reg, NULL, t - 1, collect_unlock, &us, &f->err),
			 0);
	assert_int_equal(us.n, 0);
	assert_int_equal(reg_unlock_list_active(f->reg, NULL, t, collect_unlock, &us, &f->err), 0);
	assert_int_equal(us.n, 1);
	assert_int_equal(us.v[0].id, u.id);
	memset(&us, 0, sizeof(us));
	assert_int_equal(
		reg_unlock_list_active(f->reg, NULL, t + 599, collect_unlock, &us, &f->err), 0);
	assert_int_equal(us.n, 2);
	assert_string_equal(us.v[0].school, UAI_A);
	assert_string_equal(us.v[1].school, UAI_B);
	assert_string_equal(us.v[1].teacher_login, "prof-b");
	memset(&us, 0, sizeof(us));
	assert_int_equal(
		reg_unlock_list_active(f->reg, UAI_B, t + 599, collect_unlock, &us, &f->err), 0);
	assert_int_equal(us.n, 1);
	assert_int_equal(us.v[0].id, v.id);
	memset(&us, 0, sizeof(us));
	assert_int_equal(
		reg_unlock_list_active(f->reg, UAI_A, t + 600, collect_unlock, &us, &f->err), 0);
	assert_int_equal(us.n, 0);

	/* closed early: no longer live, once */
	assert_int_equal(reg_unlock_end(f->reg, v.id, t + 400, &f->err), 0);
	assert_int_equal(reg_unlock_get(f->reg, v.id, &got, &f->err), 0);
	assert_int_equal(got.ended, t + 400);
	memset(&us, 0, sizeof(us));
	assert_int_equal(
		reg_unlock_list_active(f->reg, NULL, t + 450, collect_unlock, &us, &f->err), 0);
	assert_int_equal(us.n, 1);
	assert_int_equal(us.v[0].id, u.id);
	assert_int_equal(reg_unlock_end(f->reg, v.id, t + 500, &f->err), -EALREADY);
	/* an unlock over by its time is not ended again */
	assert_int_equal(reg_unlock_end(f->reg, u.id, t + 600, &f->err), -EALREADY);
	assert_int_equal(reg_unlock_end(f->reg, 99999, t, &f->err), -ENOENT);

	/* audited and fed: start, start, end; object the id */
	e = events_since(f, last, 0);
	assert_int_equal(e.n, 3);
	assert_string_equal(e.v[0].kind, "unlock.start");
	snprintf(id, sizeof(id), "%lld", (long long)u.id);
	assert_string_equal(e.v[0].object, id);
	assert_string_equal(e.v[2].kind, "unlock.end");
	snprintf(id, sizeof(id), "%lld", (long long)v.id);
	assert_string_equal(e.v[2].object, id);
	assert_int_equal(reg_audit_list(f->reg, 1, collect_audit, &a, &f->err), 0);
	assert_string_equal(a.v[0].action, "unlock.end");
	assert_string_equal(a.v[0].object, id);
	assert_non_null(strstr(a.v[0].before, "\"ended\":0"));
	assert_non_null(strstr(a.v[0].after, "\"group\":\"3C\""));
	assert_non_null(strstr(a.v[0].after, "\"teacher\":\"prof-b\""));
	audits_free(&a);
	/* each school reads its own unlocks' rows */
	assert_int_equal(audit_in_school(f, UAI_A, "unlock."), 1);
	assert_int_equal(audit_in_school(f, UAI_B, "unlock."), 2);
}

/* In a transaction rolled back, an unlock leaves nothing. */
static void test_unlock_rollback(void **state)
{
	struct fx *f = *state;
	struct reg_unlock u, got;
	time_t t = 1800000000;
	int64_t teacher, last, after;

	add_school(f, UAI_A, "A");
	teacher = add_teacher(f, "prof", UAI_A);
	assert_int_equal(reg_events_last(f->reg, &last, &f->err), 0);
	assert_int_equal(reg_begin(f->reg, &f->err), 0);
	fill_unlock(&u, UAI_A, "4B", teacher, t, t + 60);
	assert_int_equal(reg_unlock_add(f->reg, &u, &f->err), 0);
	reg_rollback(f->reg);
	assert_int_equal(reg_unlock_get(f->reg, u.id, &got, &f->err), -ENOENT);
	assert_int_equal(reg_events_last(f->reg, &after, &f->err), 0);
	assert_int_equal(after, last);
}

/* Reading the running version and storing the next is one step: while a
 * transaction holds the policy lock, another writer waits (and gives up
 * at its lock timeout), on both backends. */
static void test_policy_lock(void **state)
{
	struct fx *f = *state;
	struct reg *r2 = NULL;
	struct byod_err err2;
	int rc;

	assert_int_equal(reg_policy_lock(f->reg, &f->err), -EINVAL);
	assert_int_equal(open_reg(f->path, 300, &r2, &err2), 0);
	assert_int_equal(reg_begin(f->reg, &f->err), 0);
	assert_int_equal(reg_policy_lock(f->reg, &f->err), 0);
	rc = reg_begin(r2, &err2);
	if (!rc) {
		rc = reg_policy_lock(r2, &err2);
		reg_rollback(r2);
	}
	assert_int_equal(rc, -EBUSY);
	reg_rollback(f->reg);
	/* once the first is over, the second takes it */
	assert_int_equal(reg_begin(r2, &err2), 0);
	assert_int_equal(reg_policy_lock(r2, &err2), 0);
	assert_int_equal(reg_policy_add_school(r2, "", TEXT_D, "", "", NULL, &err2), 0);
	assert_int_equal(reg_commit(r2, &err2), 0);
	reg_close(r2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_school_falls_back_to_default, setup, teardown),
		cmocka_unit_test_setup_teardown(test_school_policy_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unlock_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unlock_span_in_database, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unlock_lifecycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unlock_rollback, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
