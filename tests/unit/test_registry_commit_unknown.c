// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A commit whose answer is lost: reg_commit_outcome_unknown() says 1 and the
 * sentence says the outcome is not known, whether the server wrote the
 * transaction (the answer lost after COMMIT, tests/lib/pgproxy.py's
 * arm-commit) or not (the COMMIT never reached it, arm-commit-before); an
 * ordinary failure, and the next transaction, say 0. SQLite is never unknown.
 */
#define _GNU_SOURCE /* nftw (rmtree.h), mkdtemp */
#include "registry_fixture.h"
#include "pgproxy.h"

struct pfx {
	struct fx *f;
	struct pgproxy proxy;
	struct reg *reg; /* through the proxy */
};

static int psetup(void **state)
{
	struct pfx *p = calloc(1, sizeof(*p));
	void *fs = NULL;

	assert_non_null(p);
	assert_int_equal(setup(&fs), 0);
	p->f = fs;
	*state = p;
	return 0;
}

static int pteardown(void **state)
{
	struct pfx *p = *state;
	void *fs = p->f;

	reg_close(p->reg);
	pgproxy_stop(&p->proxy);
	teardown(&fs);
	free(p);
	return 0;
}

/* Opens p->reg through a fresh proxy. */
static void proxy_open(struct pfx *p)
{
	char url[1024];

	assert_int_equal(pgproxy_start(&p->proxy), 0);
	pgproxy_url(&p->proxy, p->f->schema, url, sizeof(url));
	assert_int_equal(open_reg(url, 2000, &p->reg, &p->f->err), 0);
}

static int school_rows(struct fx *f, const char *uai)
{
	char sql[128];
	raw_db *db = raw_open(f->path);
	int n;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM schools WHERE uai = '%s'", uai);
	n = (int)raw_int(db, sql);
	raw_close(db);
	return n;
}

static int school_add(struct reg *reg, const char *uai, struct byod_err *err)
{
	struct reg_school s;

	memset(&s, 0, sizeof(s));
	snprintf(s.uai, sizeof(s.uai), "%s", uai);
	snprintf(s.name, sizeof(s.name), "School %s", uai);
	return reg_school_add(reg, &s, err);
}

/* The server committed; its answer was lost: unknown, and the row is there. */
static void test_lost_after_commit(void **state)
{
	struct pfx *p = *state;
	struct byod_err err = {0};
	char fired[64];

	if (!on_postgres())
		skip();
	proxy_open(p);
	pgproxy_arm(&p->proxy, "arm-commit", "INSERT INTO schools");
	assert_int_equal(school_add(p->reg, "0750001A", &err), -ENOTCONN);
	assert_int_equal(reg_commit_outcome_unknown(p->reg), 1);
	assert_non_null(strstr(err.msg, "whether the change was written is not known"));
	assert_null(strstr(err.msg, "nothing of the transaction was written"));
	pgproxy_fired(&p->proxy, fired, sizeof(fired));
	assert_string_equal(fired, "after\n");
	assert_int_equal(school_rows(p->f, "0750001A"), 1);

	/* the handle reconnects; the next transaction clears the flag */
	assert_int_equal(school_add(p->reg, "0750002B", &err), 0);
	assert_int_equal(reg_commit_outcome_unknown(p->reg), 0);
	assert_int_equal(school_rows(p->f, "0750002B"), 1);
}

/* COMMIT never reached the server: the client cannot tell, the row is not there. */
static void test_lost_before_commit(void **state)
{
	struct pfx *p = *state;
	struct byod_err err = {0};
	char fired[64];

	if (!on_postgres())
		skip();
	proxy_open(p);
	pgproxy_arm(&p->proxy, "arm-commit-before", "INSERT INTO schools");
	assert_int_equal(school_add(p->reg, "0750003C", &err), -ENOTCONN);
	assert_int_equal(reg_commit_outcome_unknown(p->reg), 1);
	assert_non_null(strstr(err.msg, "whether the change was written is not known"));
	pgproxy_fired(&p->proxy, fired, sizeof(fired));
	assert_string_equal(fired, "before\n");
	assert_int_equal(school_rows(p->f, "0750003C"), 0);
}

/* A connection lost before COMMIT is sent: known not written, flag 0. */
static void test_lost_before_commit_sent(void **state)
{
	struct pfx *p = *state;
	struct byod_err err = {0};
	struct reg_school s;

	if (!on_postgres())
		skip();
	proxy_open(p);
	assert_int_equal(reg_begin(p->reg, &err), 0);
	memset(&s, 0, sizeof(s));
	snprintf(s.uai, sizeof(s.uai), "0750005E");
	snprintf(s.name, sizeof(s.name), "School E");
	assert_int_equal(reg_school_add(p->reg, &s, &err), 0);
	/* the proxy drops every connection: the next statement finds it lost */
	pgproxy_stop(&p->proxy);
	assert_int_equal(reg_school_get(p->reg, "0750005E", &s, &err), -ENOTCONN);
	assert_int_not_equal(reg_commit(p->reg, &err), 0);
	assert_int_equal(reg_commit_outcome_unknown(p->reg), 0);
	reg_rollback(p->reg);
	assert_int_equal(school_rows(p->f, "0750005E"), 0);
}

/* An ordinary failure is not "unknown", on either backend. */
static void test_ordinary_failure(void **state)
{
	struct pfx *p = *state;
	struct byod_err err = {0};

	assert_int_equal(school_add(p->f->reg, "0750004D", &err), 0);
	assert_int_equal(school_add(p->f->reg, "0750004D", &err), -EEXIST);
	assert_int_equal(reg_commit_outcome_unknown(p->f->reg), 0);
	assert_int_equal(reg_begin(p->f->reg, &err), 0);
	assert_int_equal(reg_commit(p->f->reg, &err), 0);
	assert_int_equal(reg_commit_outcome_unknown(p->f->reg), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lost_after_commit, psetup, pteardown),
		cmocka_unit_test_setup_teardown(test_lost_before_commit, psetup, pteardown),
		cmocka_unit_test_setup_teardown(test_lost_before_commit_sent, psetup, pteardown),
		cmocka_unit_test_setup_teardown(test_ordinary_failure, psetup, pteardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
