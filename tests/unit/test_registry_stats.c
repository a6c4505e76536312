// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for what the daemons report to the console through the
 * registry: decision counts (added to, never replaced; per school, minute,
 * node, segment and reason; listed by period, school and scope) and
 * heartbeats (one row per component, node and school, replaced). Bad rows
 * are refused whole; nothing here is audited or put on the change feed; a
 * rolled-back transaction leaves no count; two connections adding to the
 * same counts lose nothing. Runs on both backends (test_registry_stats_pg).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "registry_fixture.h"

#define T0 1790000040 /* a minute's first second */

static struct reg_decision_count row(const char *school, time_t minute, const char *node,
				     const char *segment, const char *reason, int64_t count)
{
	struct reg_decision_count r;

	memset(&r, 0, sizeof(r));
	snprintf(r.school, sizeof(r.school), "%s", school);
	r.minute = minute;
	snprintf(r.node, sizeof(r.node), "%s", node);
	snprintf(r.segment, sizeof(r.segment), "%s", segment);
	snprintf(r.reason, sizeof(r.reason), "%s", reason);
	r.count = count;
	return r;
}

struct counts {
	int n;
	struct reg_decision_count v[MAXN];
};

static int collect_count(const struct reg_decision_count *r, void *arg)
{
	struct counts *c = arg;

	assert_true(c->n < MAXN);
	c->v[c->n++] = *r;
	return 0;
}

static struct counts list(struct fx *f, const struct reg_scope *scope, const char *school,
			  time_t from, time_t to)
{
	struct counts c;

	memset(&c, 0, sizeof(c));
	assert_int_equal(
		reg_decision_list(f->reg, scope, school, from, to, collect_count, &c, &f->err), 0);
	return c;
}

/* The count of one key, 0 when absent. */
static int64_t count_of(const struct counts *c, const char *school, time_t minute, const char *node,
			const char *segment, const char *reason)
{
	int i;

	for (i = 0; i < c->n; i++)
		if (!strcmp(c->v[i].school, school) && c->v[i].minute == minute &&
		    !strcmp(c->v[i].node, node) && !strcmp(c->v[i].segment, segment) &&
		    !strcmp(c->v[i].reason, reason))
			return c->v[i].count;
	return 0;
}

static struct reg_scope scope_of(const char *schools)
{
	struct reg_scope s;

	memset(&s, 0, sizeof(s));
	if (!schools)
		s.all = 1;
	else
		snprintf(s.schools, sizeof(s.schools), "%s", schools);
	return s;
}

/* Counts add up: a second flush of the same keys adds, new keys are new
 * rows, and each key is its own row. */
static void test_decision_add_adds(void **state)
{
	struct fx *f = *state;
	struct reg_decision_count a[] = {
		row(UAI_A, T0, "radius1", "pupils", "accept", 5),
		row(UAI_A, T0, "radius1", "", "device-state", 2),
		row("", T0, "radius1", "registration", "accept", 1),
	};
	struct reg_decision_count b[] = {
		row(UAI_A, T0, "radius1", "pupils", "accept", 3),
		row(UAI_A, T0, "radius2", "pupils", "accept", 4),
		row(UAI_A, T0 + 60, "radius1", "pupils", "accept", 7),
		row(UAI_B, T0, "radius1", "", "rule", 1),
	};
	struct counts c;
	int audits = audit_count(f);
	int64_t seq;

	assert_int_equal(reg_events_last(f->reg, &seq, &f->err), 0);
	assert_int_equal(reg_decision_add(f->reg, a, 3, &f->err), 0);
	assert_int_equal(reg_decision_add(f->reg, b, 4, &f->err), 0);
	c = list(f, NULL, NULL, 0, 0);
	assert_int_equal(c.n, 6);
	assert_int_equal(count_of(&c, UAI_A, T0, "radius1", "pupils", "accept"), 8);
	assert_int_equal(count_of(&c, UAI_A, T0, "radius2", "pupils", "accept"), 4);
	assert_int_equal(count_of(&c, UAI_A, T0 + 60, "radius1", "pupils", "accept"), 7);
	assert_int_equal(count_of(&c, UAI_A, T0, "radius1", "", "device-state"), 2);
	assert_int_equal(count_of(&c, "", T0, "radius1", "registration", "accept"), 1);
	assert_int_equal(count_of(&c, UAI_B, T0, "radius1", "", "rule"), 1);
	/* by minute first */
	assert_int_equal(c.v[c.n - 1].minute, T0 + 60);
	/* not an administrative change */
	assert_int_equal(audit_count(f), audits);
	assert_int_equal(events_since(f, seq, 0).n, 0);
	/* nothing to add is nothing written */
	assert_int_equal(reg_decision_add(f->reg, NULL, 0, &f->err), 0);
}

/* The period, the school and the scope select; rows of no school are for
 * every-school scopes only, and a school outside the scope has nothing. */
static void test_decision_list_filters(void **state)
{
	struct fx *f = *state;
	struct reg_decision_count a[] = {
		row(UAI_A, T0, "r", "pupils", "accept", 1),
		row(UAI_A, T0 + 60, "r", "pupils", "accept", 2),
		row(UAI_A, T0 + 120, "r", "pupils", "accept", 3),
		row(UAI_B, T0 + 60, "r", "staff", "accept", 4),
		row("", T0 + 60, "r", "", "unknown", 5),
	};
	struct reg_scope all = scope_of(NULL), sa = scope_of(UAI_A),
			 sab = scope_of(UAI_B " " UAI_A), none = scope_of("0000000X");
	struct counts c;

	assert_int_equal(reg_decision_add(f->reg, a, 5, &f->err), 0);
	c = list(f, &all, NULL, T0 + 60, T0 + 120);
	assert_int_equal(c.n, 3);
	assert_int_equal(count_of(&c, "", T0 + 60, "r", "", "unknown"), 5);
	c = list(f, &all, NULL, T0 + 60, 0);
	assert_int_equal(c.n, 4);
	c = list(f, &all, UAI_A, 0, 0);
	assert_int_equal(c.n, 3);
	c = list(f, &all, "", 0, 0);
	assert_int_equal(c.n, 1);
	c = list(f, &sa, NULL, 0, 0);
	assert_int_equal(c.n, 3);
	assert_int_equal(count_of(&c, UAI_A, T0 + 120, "r", "pupils", "accept"), 3);
	c = list(f, &sab, NULL, 0, 0);
	assert_int_equal(c.n, 4);
	assert_int_equal(count_of(&c, UAI_B, T0 + 60, "r", "staff", "accept"), 4);
	c = list(f, &sa, UAI_B, 0, 0);
	assert_int_equal(c.n, 0);
	c = list(f, &sa, "", 0, 0);
	assert_int_equal(c.n, 0);
	c = list(f, &none, NULL, 0, 0);
	assert_int_equal(c.n, 0);
	/* a UAI that is a prefix of another is not that one */
	{
		struct reg_scope part = scope_of("0751234");

		c = list(f, &part, NULL, 0, 0);
		assert_int_equal(c.n, 0);
	}
	assert_int_equal(reg_decision_list(f->reg, NULL, NULL, -1, 0, collect_count, &c, &f->err),
			 -EINVAL);
}

/* One bad row refuses the whole call: nothing is written, and err names
 * the row. */
static void test_decision_bad_rows(void **state)
{
	struct fx *f = *state;
	struct reg_decision_count good = row(UAI_A, T0, "r", "pupils", "accept", 1);
	struct reg_decision_count bad[] = {
		row(UAI_A, T0, "r", "pupils", "acept", 1),
		row(UAI_A, T0 + 1, "r", "pupils", "accept", 1),
		row(UAI_A, -60, "r", "pupils", "accept", 1),
		row(UAI_A, T0, "", "pupils", "accept", 1),
		row(UAI_A, T0, "r", "pupils", "accept", -1),
		row(UAI_A, T0, "r", "pu\npils", "accept", 1),
	};
	struct reg_decision_count pair[2];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pair[0] = good;
		pair[1] = bad[i];
		assert_int_equal(reg_decision_add(f->reg, pair, 2, &f->err), -EINVAL);
		assert_non_null(strstr(f->err.msg, "1"));
	}
	/* a reason without its NUL */
	pair[1] = good;
	memset(pair[1].reason, 'a', sizeof(pair[1].reason));
	assert_int_equal(reg_decision_add(f->reg, pair, 2, &f->err), -EINVAL);
	assert_int_equal(reg_decision_add(f->reg, NULL, 1, &f->err), -EINVAL);
	assert_int_equal(reg_decision_add(f->reg, pair, REG_DECISION_ROWS_MAX + 1, &f->err),
			 -EINVAL);
	assert_int_equal(list(f, NULL, NULL, 0, 0).n, 0);
	assert_true(reg_decision_reason_valid("no-policy"));
	assert_false(reg_decision_reason_valid("Accept"));
	assert_false(reg_decision_reason_valid(NULL));
}

static int count_beat(const struct reg_heartbeat *h, void *arg)
{
	(void)h;
	(*(int *)arg)++;
	return 0;
}

static int beats(struct fx *f)
{
	int n = 0;

	assert_int_equal(reg_heartbeat_list(f->reg, NULL, count_beat, &n, &f->err), 0);
	return n;
}

/* Inside the caller's transaction: rolled back with it. */
static void test_decision_rollback(void **state)
{
	struct fx *f = *state;
	struct reg_decision_count r = row(UAI_A, T0, "r", "pupils", "accept", 9);
	struct reg_heartbeat hb = {.component = "radius", .node = "r", .feed_seq = 3};

	assert_int_equal(reg_begin(f->reg, &f->err), 0);
	assert_int_equal(reg_decision_add(f->reg, &r, 1, &f->err), 0);
	assert_int_equal(reg_heartbeat_put(f->reg, &hb, &f->err), 0);
	reg_rollback(f->reg);
	assert_int_equal(list(f, NULL, NULL, 0, 0).n, 0);
	assert_int_equal(beats(f), 0);
	assert_int_equal(reg_begin(f->reg, &f->err), 0);
	assert_int_equal(reg_decision_add(f->reg, &r, 1, &f->err), 0);
	assert_int_equal(reg_heartbeat_put(f->reg, &hb, &f->err), 0);
	assert_int_equal(reg_commit(f->reg, &f->err), 0);
	{
		struct counts c = list(f, NULL, NULL, 0, 0);

		assert_int_equal(count_of(&c, UAI_A, T0, "r", "pupils", "accept"), 9);
	}
	assert_int_equal(beats(f), 1);
}

/* Old minutes go, newer ones stay. */
static void test_decision_purge(void **state)
{
	struct fx *f = *state;
	struct reg_decision_count a[] = {
		row(UAI_A, T0, "r", "pupils", "accept", 1),
		row(UAI_B, T0, "r", "pupils", "accept", 1),
		row(UAI_A, T0 + 60, "r", "pupils", "accept", 1),
	};
	int deleted = -1;

	assert_int_equal(reg_decision_add(f->reg, a, 3, &f->err), 0);
	assert_int_equal(reg_decision_purge(f->reg, T0 + 60, &deleted, &f->err), 0);
	assert_int_equal(deleted, 2);
	assert_int_equal(list(f, NULL, NULL, 0, 0).n, 1);
	assert_int_equal(reg_decision_purge(f->reg, -1, NULL, &f->err), -EINVAL);
}

/* Several processes flushing into the same keys at once (nodes sharing a
 * name by mistake, or one node's retries): every count arrives. */
static void test_decision_concurrent(void **state)
{
	struct fx *f = *state;
	const int procs = 4, rounds = 25;
	pid_t pids[4];
	int i, st;

	for (i = 0; i < procs; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (!pids[i]) {
			struct byod_err err;
			struct reg *reg = NULL;
			struct reg_decision_count r[2] = {
				row(UAI_A, T0, "r", "pupils", "accept", 1),
				row(UAI_B, T0, "r", "", "rule", 2),
			};
			int k, ok = 0, tries;

			if (open_reg(f->path, 5000, &reg, &err))
				_exit(2);
			for (k = 0; k < rounds; k++)
				for (tries = 0; tries < 50; tries++)
					if (!reg_decision_add(reg, r, 2, &err)) {
						ok++;
						break;
					}
			reg_close(reg);
			_exit(ok == rounds ? 0 : 1);
		}
	}
	for (i = 0; i < procs; i++) {
		assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	{
		struct counts c = list(f, NULL, NULL, 0, 0);

		assert_int_equal(count_of(&c, UAI_A, T0, "r", "pupils", "accept"), procs * rounds);
		assert_int_equal(count_of(&c, UAI_B, T0, "r", "", "rule"), 2 * procs * rounds);
	}
}

struct beats {
	int n;
	struct reg_heartbeat v[MAXN];
};

static int collect_beat(const struct reg_heartbeat *h, void *arg)
{
	struct beats *b = arg;

	assert_true(b->n < MAXN);
	b->v[b->n++] = *h;
	return 0;
}

/* One row per component, node and school, replaced at each beat; the
 * scope sees its schools' rows and not those of no school. */
static void test_heartbeats(void **state)
{
	struct fx *f = *state;
	struct reg_heartbeat r = {.component = "radius", .node = "n1", .seen = T0, .feed_seq = 10};
	struct reg_heartbeat g = {.component = "gatewayd",
				  .node = "gw",
				  .school = UAI_A,
				  .seen = T0,
				  .feed_seq = 12,
				  .detail = "42 sessions"};
	struct reg_heartbeat g2 = g;
	struct reg_scope all = scope_of(NULL), sa = scope_of(UAI_A), sb = scope_of(UAI_B);
	struct beats b;
	int audits = audit_count(f);
	int64_t seq;
	time_t before = time(NULL);

	assert_int_equal(reg_events_last(f->reg, &seq, &f->err), 0);
	assert_int_equal(reg_heartbeat_put(f->reg, &r, &f->err), 0);
	assert_int_equal(reg_heartbeat_put(f->reg, &g, &f->err), 0);
	snprintf(g2.school, sizeof(g2.school), "%s", UAI_B);
	assert_int_equal(reg_heartbeat_put(f->reg, &g2, &f->err), 0);
	/* a beat replaces the last one */
	r.seen = T0 + 10;
	r.feed_seq = 11;
	snprintf(r.detail, sizeof(r.detail), "%s", "registry unreachable");
	assert_int_equal(reg_heartbeat_put(f->reg, &r, &f->err), 0);
	memset(&b, 0, sizeof(b));
	assert_int_equal(reg_heartbeat_list(f->reg, &all, collect_beat, &b, &f->err), 0);
	assert_int_equal(b.n, 3);
	assert_string_equal(b.v[0].component, "gatewayd");
	assert_string_equal(b.v[0].school, UAI_A);
	assert_string_equal(b.v[0].detail, "42 sessions");
	assert_int_equal(b.v[0].feed_seq, 12);
	assert_string_equal(b.v[1].school, UAI_B);
	assert_string_equal(b.v[2].component, "radius");
	assert_int_equal(b.v[2].seen, T0 + 10);
	assert_int_equal(b.v[2].feed_seq, 11);
	assert_string_equal(b.v[2].detail, "registry unreachable");
	memset(&b, 0, sizeof(b));
	assert_int_equal(reg_heartbeat_list(f->reg, &sa, collect_beat, &b, &f->err), 0);
	assert_int_equal(b.n, 1);
	assert_string_equal(b.v[0].school, UAI_A);
	memset(&b, 0, sizeof(b));
	assert_int_equal(reg_heartbeat_list(f->reg, &sb, collect_beat, &b, &f->err), 0);
	assert_int_equal(b.n, 1);
	assert_string_equal(b.v[0].school, UAI_B);
	/* seen 0 is now */
	r.seen = 0;
	assert_int_equal(reg_heartbeat_put(f->reg, &r, &f->err), 0);
	memset(&b, 0, sizeof(b));
	assert_int_equal(reg_heartbeat_list(f->reg, NULL, collect_beat, &b, &f->err), 0);
	assert_true(b.v[2].seen >= before && b.v[2].seen <= time(NULL));
	assert_int_equal(audit_count(f), audits);
	assert_int_equal(events_since(f, seq, 0).n, 0);
	/* bad input */
	r.component[0] = '\0';
	assert_int_equal(reg_heartbeat_put(f->reg, &r, &f->err), -EINVAL);
	snprintf(r.component, sizeof(r.component), "radius");
	r.node[0] = '\0';
	assert_int_equal(reg_heartbeat_put(f->reg, &r, &f->err), -EINVAL);
	snprintf(r.node, sizeof(r.node), "n\t1");
	assert_int_equal(reg_heartbeat_put(f->reg, &r, &f->err), -EINVAL);
	snprintf(r.node, sizeof(r.node), "n1");
	r.feed_seq = -1;
	assert_int_equal(reg_heartbeat_put(f->reg, &r, &f->err), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_decision_add_adds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decision_list_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decision_bad_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decision_rollback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decision_purge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decision_concurrent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_heartbeats, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
