// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The console's import (core/import.c) on both backends: every problem of
 * a file listed with its line and column (not only the first), bounded;
 * the plan of what a file changes (accounts added, changed, left) within
 * an administrator's scope, rows of another school and logins of another
 * school's accounts refused as problems; the commit of the plan, all or
 * nothing, refused when the registry changed since the plan was made;
 * reg_person_update, which the commit uses; and reg_throttle_list_prefix,
 * which a person's page reads their login locks with.
 */
#include "registry_fixture.h"

#include "byod.h"

/* The problem i of plan: its line, column and key. */
static void expect_problem(const struct byod_import_plan *pl, size_t i, int line, int col,
			   const char *key)
{
	if (i >= pl->nproblems)
		fail_msg("problem %zu expected (%s at %d:%d), %zu found", i, key, line, col,
			 pl->nproblems);
	if (pl->problems[i].line != line || pl->problems[i].col != col ||
	    strcmp(pl->problems[i].key, key))
		fail_msg("problem %zu: %d:%d %s (%s), expected %d:%d %s", i, pl->problems[i].line,
			 pl->problems[i].col, pl->problems[i].key, pl->problems[i].msg, line, col,
			 key);
}

static struct byod_import_plan *plan_of(struct fx *f, const struct reg_scope *scope,
					const char *csv)
{
	struct byod_import_plan *pl = NULL;

	if (byod_import_plan(f->reg, scope, "t.csv", csv, strlen(csv), &pl, &f->err))
		fail_msg("plan: %s", f->err.msg);
	assert_non_null(pl);
	return pl;
}

static int people_count(struct fx *f)
{
	struct names n = {0};

	assert_int_equal(reg_person_list(f->reg, collect_person, &n, &f->err), 0);
	return n.n;
}

/* Three bad rows: three problems, each at its line and column, and the
 * good rows between them still become items. */
static void test_every_problem(void **state)
{
	struct fx *f = *state;
	struct byod_import_plan *pl;
	static const char csv[] = "login,display_name,role,school,groups\n"
				  "a.ok,A,student," UAI_A ",4B\n"
				  "b bad,B,student," UAI_A ",4B\n"
				  "c.ok,C,student," UAI_A ",4B\n"
				  "d.x,D,wizard," UAI_A ",4B\n"
				  "e.x,E,student,12345,4B\n"
				  "f.ok,F,student," UAI_A ",4B\n";

	add_school(f, UAI_A, "Collège A");
	pl = plan_of(f, NULL, csv);
	assert_int_equal(pl->nproblems, 3);
	assert_int_equal(pl->more, 0);
	expect_problem(pl, 0, 3, 1, "import.login.bad");
	assert_string_equal(pl->problems[0].value, "b bad");
	expect_problem(pl, 1, 5, 3, "import.role");
	assert_string_equal(pl->problems[1].value, "wizard");
	expect_problem(pl, 2, 6, 4, "import.school.uai");
	assert_non_null(strstr(pl->problems[2].msg, "not a UAI"));
	assert_int_equal(pl->rows, 6);
	assert_int_equal(pl->nitems, 3);
	assert_int_equal(pl->adds, 3);
	byod_import_plan_free(pl);
	/* the check byodctl makes still stops at the first */
	assert_int_equal(byod_users_csv_check("t.csv", csv, strlen(csv), NULL, &f->err), -EINVAL);
	assert_int_equal(f->err.line, 3);
	/* and the commit of such a file writes nothing */
	assert_int_equal(
		byod_import_commit(f->reg, NULL, 1, "t.csv", csv, strlen(csv), NULL, NULL, &f->err),
		-EINVAL);
	assert_int_equal(f->err.line, 3);
	assert_int_equal(people_count(f), 0);
}

/* Several problems in one row, a row of the wrong width, a login twice. */
static void test_row_problems(void **state)
{
	struct fx *f = *state;
	struct byod_import_plan *pl;
	static const char csv[] = "role;login;school\r\n"
				  "wizard;Bad Login;nope\r\n"
				  "student;a.b\r\n"
				  "student;a.c;" UAI_A "\r\n"
				  "student;A.C;" UAI_A "\r\n";

	add_school(f, UAI_A, "Collège A");
	pl = plan_of(f, NULL, csv);
	assert_int_equal(pl->nproblems, 5);
	expect_problem(pl, 0, 2, 1, "import.role");
	expect_problem(pl, 1, 2, 2, "import.login.bad");
	expect_problem(pl, 2, 2, 3, "import.school.uai");
	expect_problem(pl, 3, 3, 2, "import.fields");
	assert_string_equal(pl->problems[3].value, "2/3");
	expect_problem(pl, 4, 5, 2, "import.login.twice");
	assert_string_equal(pl->problems[4].value, "4");
	byod_import_plan_free(pl);
}

/* The header's problems are all listed; the rows are not read then. */
static void test_header_problems(void **state)
{
	struct fx *f = *state;
	struct byod_import_plan *pl;

	pl = plan_of(f, NULL, "login,colour,login,name\nx,y,z,w\n");
	assert_int_equal(pl->nproblems, 5);
	expect_problem(pl, 0, 1, 1, "import.header.missing");
	assert_string_equal(pl->problems[0].value, "role");
	expect_problem(pl, 1, 1, 1, "import.header.missing");
	assert_string_equal(pl->problems[1].value, "school");
	expect_problem(pl, 2, 1, 2, "import.header.unknown");
	expect_problem(pl, 3, 1, 3, "import.header.twice");
	expect_problem(pl, 4, 1, 4, "import.header.unknown");
	assert_int_equal(pl->nitems, 0);
	byod_import_plan_free(pl);

	pl = plan_of(f, NULL, "login,role,school\n\"a,student\n");
	assert_int_equal(pl->nproblems, 1);
	expect_problem(pl, 0, 2, 0, "import.quote");
	byod_import_plan_free(pl);
	pl = plan_of(f, NULL, "login,role,school\na\xff,student," UAI_A "\n");
	assert_int_equal(pl->nproblems, 1);
	expect_problem(pl, 0, 2, 2, "import.encoding");
	byod_import_plan_free(pl);
	pl = plan_of(f, NULL, "");
	expect_problem(pl, 0, 1, 0, "import.empty");
	byod_import_plan_free(pl);
}

/* Problems are listed up to the bound, and counted beyond it. */
static void test_bound(void **state)
{
	struct fx *f = *state;
	struct byod_import_plan *pl;
	size_t n = 260, i, off;
	char *csv = malloc(64 * (n + 1));

	assert_non_null(csv);
	off = (size_t)sprintf(csv, "login,role,school\n");
	for (i = 0; i < n; i++)
		off += (size_t)sprintf(csv + off, "u%zu,wizard," UAI_A "\n", i);
	add_school(f, UAI_A, "Collège A");
	pl = plan_of(f, NULL, csv);
	assert_int_equal(pl->nproblems, BYOD_IMPORT_PROBLEMS_MAX);
	assert_int_equal(pl->more, n - BYOD_IMPORT_PROBLEMS_MAX);
	expect_problem(pl, BYOD_IMPORT_PROBLEMS_MAX - 1, BYOD_IMPORT_PROBLEMS_MAX + 1, 2,
		       "import.role");
	byod_import_plan_free(pl);
	free(csv);
}

static void person_in(struct fx *f, const char *login, const char *school, const char *groups)
{
	struct reg_person p;

	fill_person(&p, login, school);
	snprintf(p.groups, sizeof(p.groups), "%s", groups);
	assert_int_equal(reg_person_add(f->reg, &p, &f->err), 0);
}

static const char plan_csv[] = "login,display_name,role,school,groups,password\n"
			       "new.one,New One,student," UAI_A ",4B,Secret-123\n"
			       "kept.a,,student," UAI_A ",4B latin,ignored\n"
			       "moved.a,Moved,teacher," UAI_A ",4B,\n";

/* What a file would do: an account added, one changed, one left alone. */
static void test_plan(void **state)
{
	struct fx *f = *state;
	struct byod_import_plan *pl;
	const struct byod_import_item *it;

	add_school(f, UAI_A, "Collège A");
	person_in(f, "kept.a", UAI_A, "4B latin");
	person_in(f, "moved.a", UAI_A, "4A");
	pl = plan_of(f, NULL, plan_csv);
	assert_int_equal(pl->nproblems, 0);
	assert_int_equal(pl->nitems, 3);
	assert_int_equal(pl->adds, 1);
	assert_int_equal(pl->updates, 1);
	assert_int_equal(pl->same, 1);
	it = &pl->items[0];
	assert_int_equal(it->kind, BYOD_IMPORT_ADD);
	assert_int_equal(it->line, 2);
	assert_true(it->password);
	assert_string_equal(it->after.login, "new.one");
	assert_string_equal(it->after.password_hash, "");
	it = &pl->items[1];
	assert_int_equal(it->kind, BYOD_IMPORT_SAME);
	/* an empty name keeps the account's */
	assert_string_equal(it->after.display_name, "Person kept.a");
	it = &pl->items[2];
	assert_int_equal(it->kind, BYOD_IMPORT_UPDATE);
	assert_int_equal(it->changes, BYOD_IMPORT_NAME | BYOD_IMPORT_ROLE | BYOD_IMPORT_GROUPS);
	assert_string_equal(it->before.groups, "4A");
	assert_string_equal(it->after.groups, "4B");
	byod_import_plan_free(pl);
}

/* A school administrator's import: another school's rows and another
 * school's logins are problems; their existence is not looked up. */
static void test_scope(void **state)
{
	struct fx *f = *state;
	struct byod_import_plan *pl;
	struct reg_scope a;
	static const char csv[] = "login,role,school\n"
				  "mine,student," UAI_A "\n"
				  "theirs,student," UAI_B "\n"
				  "b.pupil,student," UAI_A "\n"
				  "ghost,student,0350001X\n";

	add_school(f, UAI_A, "Collège A");
	add_school(f, UAI_B, "Collège B");
	person_in(f, "b.pupil", UAI_B, "3C");
	assert_int_equal(reg_scope_set(&a, UAI_A, &f->err), 0);
	pl = plan_of(f, &a, csv);
	assert_int_equal(pl->nproblems, 3);
	expect_problem(pl, 0, 3, 3, "import.school.scope");
	expect_problem(pl, 1, 4, 1, "import.login.taken");
	expect_problem(pl, 2, 5, 3, "import.school.scope");
	assert_int_equal(pl->nitems, 1);
	byod_import_plan_free(pl);
	assert_int_equal(
		byod_import_commit(f->reg, &a, 1, "t.csv", csv, strlen(csv), NULL, NULL, &f->err),
		-EINVAL);
	assert_int_equal(people_count(f), 1);
	/* the département's scope takes b.pupil (moved) but not the unknown school */
	pl = plan_of(f, NULL, csv);
	assert_int_equal(pl->nproblems, 1);
	expect_problem(pl, 0, 5, 3, "import.school.unknown");
	assert_int_equal(pl->updates, 1);
	assert_int_equal(pl->items[2].changes, BYOD_IMPORT_SCHOOL);
	byod_import_plan_free(pl);
}

/* The commit writes the plan, all of it; a registry changed since the
 * plan (its digest) is refused with nothing written. */
static void test_commit(void **state)
{
	struct fx *f = *state;
	struct byod_import_plan *pl;
	struct byod_import_result res;
	struct reg_person p;
	unsigned char digest[32];
	int audits;

	add_school(f, UAI_A, "Collège A");
	person_in(f, "kept.a", UAI_A, "4B latin");
	person_in(f, "moved.a", UAI_A, "4A");
	pl = plan_of(f, NULL, plan_csv);
	memcpy(digest, pl->digest, sizeof(digest));
	byod_import_plan_free(pl);

	/* someone changes moved.a meanwhile */
	assert_int_equal(reg_person_get(f->reg, "moved.a", &p, &f->err), 0);
	snprintf(p.groups, sizeof(p.groups), "4C");
	assert_int_equal(reg_person_update(f->reg, &p, &f->err), 0);
	audits = audit_count(f);
	assert_int_equal(byod_import_commit(f->reg, NULL, 1, "t.csv", plan_csv, strlen(plan_csv),
					    digest, &res, &f->err),
			 -ESTALE);
	assert_int_equal(people_count(f), 2);
	assert_int_equal(audit_count(f), audits);
	assert_int_equal(res.rows, 0);

	/* the plan made again, then committed */
	pl = plan_of(f, NULL, plan_csv);
	assert_memory_not_equal(pl->digest, digest, sizeof(digest));
	memcpy(digest, pl->digest, sizeof(digest));
	byod_import_plan_free(pl);
	if (byod_import_commit(f->reg, NULL, 1, "t.csv", plan_csv, strlen(plan_csv), digest, &res,
			       &f->err))
		fail_msg("commit: %s", f->err.msg);
	assert_int_equal(res.added, 1);
	assert_int_equal(res.updated, 1);
	assert_int_equal(people_count(f), 3);
	assert_int_equal(reg_person_get(f->reg, "new.one", &p, &f->err), 0);
	assert_int_equal(reg_password_verify("Secret-123", p.password_hash), 0);
	assert_int_equal(reg_person_get(f->reg, "moved.a", &p, &f->err), 0);
	assert_string_equal(p.groups, "4B");
	assert_string_equal(p.display_name, "Moved");
	assert_int_equal(p.role, BYOD_ROLE_TEACHER);
	/* an existing account keeps its password */
	assert_int_equal(reg_person_get(f->reg, "kept.a", &p, &f->err), 0);
	assert_int_not_equal(reg_password_verify("ignored", p.password_hash), 0);
	/* one audit row each: person.add, person.update */
	assert_int_equal(audit_count(f), audits + 2);
	/* the same file again: everything is as it says, nothing to write */
	assert_int_equal(byod_import_commit(f->reg, NULL, 1, "t.csv", plan_csv, strlen(plan_csv),
					    NULL, &res, &f->err),
			 0);
	assert_int_equal(res.rows, 0);
	assert_int_equal(audit_count(f), audits + 2);
}

static void test_person_update(void **state)
{
	struct fx *f = *state;
	struct reg_person p;
	struct events ev;
	int64_t last;
	int audits;

	add_school(f, UAI_A, "Collège A");
	person_in(f, "zoe", UAI_A, "4B");
	assert_int_equal(reg_person_set_password(f->reg, "zoe", "$y$j9T$abc$def", &f->err), 0);
	assert_int_equal(reg_events_last(f->reg, &last, &f->err), 0);
	audits = audit_count(f);
	assert_int_equal(reg_person_get(f->reg, "zoe", &p, &f->err), 0);
	assert_int_equal(reg_person_update(f->reg, &p, &f->err), 0);
	assert_int_equal(audit_count(f), audits); /* nothing differs: nothing written */
	snprintf(p.groups, sizeof(p.groups), "3A");
	p.role = BYOD_ROLE_TEACHER;
	snprintf(p.password_hash, sizeof(p.password_hash), "ignored");
	assert_int_equal(reg_person_update(f->reg, &p, &f->err), 0);
	assert_int_equal(reg_person_get(f->reg, "zoe", &p, &f->err), 0);
	assert_string_equal(p.groups, "3A");
	assert_int_equal(p.role, BYOD_ROLE_TEACHER);
	assert_string_equal(p.password_hash, "$y$j9T$abc$def");
	assert_int_equal(audit_count(f), audits + 1);
	ev = events_since(f, last, 10);
	assert_int_equal(ev.n, 1);
	assert_string_equal(ev.v[0].kind, "person.update");
	snprintf(p.school, sizeof(p.school), UAI_B);
	assert_int_equal(reg_person_update(f->reg, &p, &f->err), -ENOENT);
	snprintf(p.school, sizeof(p.school), UAI_A);
	snprintf(p.login, sizeof(p.login), "nobody");
	assert_int_equal(reg_person_update(f->reg, &p, &f->err), -ENOENT);
}

struct keys {
	int n;
	char v[8][160];
	int failures[8];
	time_t until[8];
};

static int collect_key(const struct reg_throttle *t, void *arg)
{
	struct keys *k = arg;

	if (k->n == 8)
		return 7;
	snprintf(k->v[k->n], sizeof(k->v[0]), "%s", t->key);
	k->failures[k->n] = t->failures;
	k->until[k->n] = t->locked_until;
	k->n++;
	return 0;
}

static void put_key(struct fx *f, const char *key, int failures, time_t until)
{
	struct reg_throttle t;

	memset(&t, 0, sizeof(t));
	snprintf(t.key, sizeof(t.key), "%s", key);
	t.failures = failures;
	t.last_failure = 1800000000;
	t.locked_until = until;
	assert_int_equal(reg_throttle_put(f->reg, &t, &f->err), 0);
}

static void test_throttle_list(void **state)
{
	struct fx *f = *state;
	struct keys k;

	put_key(f, "pair:lea 192.0.2.9", 10, 1800003600);
	put_key(f, "pair:lea 192.0.2.1", 3, 0);
	put_key(f, "pair:lea.martin 192.0.2.1", 10, 1800003600);
	put_key(f, "pair:le%_ 192.0.2.1", 1, 0);
	put_key(f, "login:lea", 4, 0);
	memset(&k, 0, sizeof(k));
	assert_int_equal(reg_throttle_list_prefix(f->reg, "pair:lea ", collect_key, &k, &f->err),
			 0);
	assert_int_equal(k.n, 2);
	assert_string_equal(k.v[0], "pair:lea 192.0.2.1");
	assert_int_equal(k.failures[0], 3);
	assert_string_equal(k.v[1], "pair:lea 192.0.2.9");
	assert_int_equal(k.until[1], 1800003600);
	/* the prefix means itself: '%' and '_' are no wildcards */
	memset(&k, 0, sizeof(k));
	assert_int_equal(reg_throttle_list_prefix(f->reg, "pair:le%", collect_key, &k, &f->err), 0);
	assert_int_equal(k.n, 1);
	assert_string_equal(k.v[0], "pair:le%_ 192.0.2.1");
	memset(&k, 0, sizeof(k));
	assert_int_equal(reg_throttle_list_prefix(f->reg, "pair:nobody ", collect_key, &k, &f->err),
			 0);
	assert_int_equal(k.n, 0);
	/* the callback stops the walk */
	memset(&k, 0, sizeof(k));
	k.n = 8;
	assert_int_equal(reg_throttle_list_prefix(f->reg, "pair:", collect_key, &k, &f->err), 7);
	assert_int_equal(reg_throttle_list_prefix(f->reg, "", collect_key, &k, &f->err), -EINVAL);
	assert_int_equal(reg_throttle_list_prefix(f->reg, "pair:", NULL, &k, &f->err), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_every_problem, setup, teardown),
		cmocka_unit_test_setup_teardown(test_row_problems, setup, teardown),
		cmocka_unit_test_setup_teardown(test_header_problems, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scope, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_person_update, setup, teardown),
		cmocka_unit_test_setup_teardown(test_throttle_list, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
