// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the RADIUS module's decision counts (radius-module/
 * counts.c): the table per minute, school, segment and reason; threads
 * counting at once lose nothing; a flush writes every row and the
 * heartbeat in one transaction, and writes nothing twice; with the
 * registry unavailable (locked past the wait, or not open) the counts are
 * kept and added at the next flush, within the bound, past which they are
 * counted as dropped. Runs on both backends (test_counts_pg).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counts.h"
#include "registry_fixture.h"

#define T0 1790000040 /* a minute's first second */

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

static struct counts stored(struct fx *f)
{
	struct counts c;

	memset(&c, 0, sizeof(c));
	assert_int_equal(reg_decision_list(f->reg, NULL, NULL, 0, 0, collect_count, &c, &f->err),
			 0);
	return c;
}

static int64_t count_of(const struct counts *c, const char *school, time_t minute,
			const char *segment, const char *reason)
{
	int i;

	for (i = 0; i < c->n; i++)
		if (!strcmp(c->v[i].school, school) && c->v[i].minute == minute &&
		    !strcmp(c->v[i].segment, segment) && !strcmp(c->v[i].reason, reason))
			return c->v[i].count;
	return 0;
}

static int64_t total(const struct counts *c)
{
	int64_t n = 0;
	int i;

	for (i = 0; i < c->n; i++)
		n += c->v[i].count;
	return n;
}

static struct rad_counts *counts_new(size_t max_rows)
{
	struct rad_counts_options o = {.node = "radius1", .max_rows = max_rows};
	struct rad_counts *c = NULL;
	struct byod_err err;

	assert_int_equal(rad_counts_new(&o, &c, &err), 0);
	return c;
}

/* Each decision lands in the row of its minute, school, segment and
 * reason, named after the node; a second flush writes nothing again. */
static void test_rows(void **state)
{
	struct fx *f = *state;
	struct rad_counts *c = counts_new(0);
	struct rad_counts_stats st;
	struct counts s;
	size_t rows;
	int i;

	for (i = 0; i < 5; i++)
		rad_counts_add(c, T0 + i, UAI_A, "pupils", "accept");
	rad_counts_add(c, T0 + 59, UAI_A, "", "rule");
	rad_counts_add(c, T0 + 60, UAI_A, "pupils", "accept");
	rad_counts_add(c, T0 + 61, UAI_B, "pupils", "accept");
	rad_counts_add(c, T0 + 2, NULL, NULL, "unknown");
	rad_counts_add(c, T0 + 3, "", "registration", "accept");
	rad_counts_add(c, T0 + 4, UAI_A, "", "cert-revoked");
	rad_counts_add(c, T0 + 4, UAI_A, "", "not-a-reason");
	assert_int_equal(rad_counts_flush(c, f->reg, NULL, &rows, &f->err), 0);
	assert_int_equal(rows, 7);
	s = stored(f);
	assert_int_equal(s.n, 7);
	assert_int_equal(count_of(&s, UAI_A, T0, "pupils", "accept"), 5);
	assert_int_equal(count_of(&s, UAI_A, T0, "", "rule"), 1);
	assert_int_equal(count_of(&s, UAI_A, T0 + 60, "pupils", "accept"), 1);
	assert_int_equal(count_of(&s, UAI_B, T0 + 60, "pupils", "accept"), 1);
	assert_int_equal(count_of(&s, "", T0, "", "unknown"), 1);
	assert_int_equal(count_of(&s, "", T0, "registration", "accept"), 1);
	assert_int_equal(count_of(&s, UAI_A, T0, "", "cert-revoked"), 1);
	for (i = 0; i < s.n; i++)
		assert_string_equal(s.v[i].node, "radius1");
	rad_counts_stats(c, &st);
	assert_int_equal(st.counted, 12);
	assert_int_equal(st.flushed, 11);
	assert_int_equal(st.dropped, 1);
	assert_int_equal(st.pending_rows, 0);
	/* nothing new: nothing written, nothing added twice */
	assert_int_equal(rad_counts_flush(c, f->reg, NULL, &rows, &f->err), 0);
	assert_int_equal(rows, 0);
	s = stored(f);
	assert_int_equal(total(&s), 11);
	/* more of the same key adds to the stored row */
	rad_counts_add(c, T0 + 10, UAI_A, "pupils", "accept");
	assert_int_equal(rad_counts_flush(c, f->reg, NULL, &rows, &f->err), 0);
	assert_int_equal(rows, 1);
	s = stored(f);
	assert_int_equal(count_of(&s, UAI_A, T0, "pupils", "accept"), 6);
	rad_counts_free(c);
}

struct worker {
	struct rad_counts *c;
	int n;
	const char *school;
};

static void *count_many(void *arg)
{
	struct worker *w = arg;
	int i;

	for (i = 0; i < w->n; i++)
		rad_counts_add(w->c, T0 + (i % 3) * 60, w->school, i % 2 ? "pupils" : "",
			       i % 2 ? "accept" : "rule");
	return NULL;
}

/* Eight threads counting while flushes run: every decision is in the
 * registry once. */
static void test_threads(void **state)
{
	struct fx *f = *state;
	struct rad_counts *c = counts_new(0);
	struct worker w[8];
	pthread_t t[8];
	struct rad_counts_stats st;
	struct counts s;
	int i, k;

	for (i = 0; i < 8; i++) {
		w[i].c = c;
		w[i].n = 30000;
		w[i].school = i % 2 ? UAI_A : UAI_B;
		assert_int_equal(pthread_create(&t[i], NULL, count_many, &w[i]), 0);
	}
	for (k = 0; k < 5; k++)
		assert_int_equal(rad_counts_flush(c, f->reg, NULL, NULL, &f->err), 0);
	for (i = 0; i < 8; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(rad_counts_flush(c, f->reg, NULL, NULL, &f->err), 0);
	s = stored(f);
	assert_int_equal(s.n, 12); /* 2 schools x 3 minutes x 2 kinds */
	assert_int_equal(total(&s), 8 * 30000);
	assert_int_equal(count_of(&s, UAI_A, T0 + 60, "pupils", "accept"), 4 * 5000);
	rad_counts_stats(c, &st);
	assert_int_equal(st.counted, 8 * 30000);
	assert_int_equal(st.flushed, 8 * 30000);
	assert_int_equal(st.dropped, 0);
	rad_counts_free(c);
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

/* The registry locked past the wait: the flush fails, nothing is written
 * (not even the heartbeat), the counts are kept; counted meanwhile, they
 * are all there at the next flush once it is free. Then not open at all:
 * kept the same. */
static void test_unavailable_then_back(void **state)
{
	struct fx *f = *state;
	struct rad_counts *c = counts_new(0);
	struct reg_heartbeat hb = {.component = "radius", .node = "radius1", .feed_seq = 42};
	struct rad_counts_stats st;
	struct reg *reg = NULL;
	struct beats b;
	struct counts s;
	raw_db *db;
	size_t rows;
	int i, rc;

	/* a handle that waits 100 ms for a lock, as the module's */
	assert_int_equal(open_reg(f->path, 100, &reg, &f->err), 0);
	for (i = 0; i < 3; i++)
		rad_counts_add(c, T0, UAI_A, "pupils", "accept");
	db = raw_open(f->path);
	if (on_postgres())
		raw_exec(db,
			 "BEGIN; LOCK TABLE decision_counts, heartbeats IN ACCESS EXCLUSIVE MODE");
	else
		raw_exec(db, "BEGIN EXCLUSIVE");
	rc = rad_counts_flush(c, reg, &hb, &rows, &f->err);
	assert_int_equal(rc, -EBUSY);
	assert_int_equal(rows, 0);
	rad_counts_stats(c, &st);
	assert_int_equal(st.pending_rows, 1);
	assert_int_equal(st.pending, 3);
	assert_int_equal(st.failures, 1);
	rad_counts_add(c, T0 + 5, UAI_A, "pupils", "accept");
	rad_counts_add(c, T0 + 65, UAI_A, "", "owner-disabled");
	assert_int_equal(rad_counts_flush(c, reg, &hb, NULL, &f->err), -EBUSY);
	raw_exec(db, "ROLLBACK");
	raw_close(db);
	assert_int_equal(stored(f).n, 0);
	memset(&b, 0, sizeof(b));
	assert_int_equal(reg_heartbeat_list(f->reg, NULL, collect_beat, &b, &f->err), 0);
	assert_int_equal(b.n, 0);

	/* no registry at all: kept too */
	rad_counts_add(c, T0 + 6, UAI_A, "pupils", "accept");
	assert_int_equal(rad_counts_flush(c, NULL, &hb, NULL, &f->err), -ENOTCONN);

	/* back */
	assert_int_equal(rad_counts_flush(c, reg, &hb, &rows, &f->err), 0);
	assert_int_equal(rows, 2);
	s = stored(f);
	assert_int_equal(count_of(&s, UAI_A, T0, "pupils", "accept"), 5);
	assert_int_equal(count_of(&s, UAI_A, T0 + 60, "", "owner-disabled"), 1);
	assert_int_equal(total(&s), 6);
	memset(&b, 0, sizeof(b));
	assert_int_equal(reg_heartbeat_list(f->reg, NULL, collect_beat, &b, &f->err), 0);
	assert_int_equal(b.n, 1);
	assert_string_equal(b.v[0].component, "radius");
	assert_int_equal(b.v[0].feed_seq, 42);
	rad_counts_stats(c, &st);
	assert_int_equal(st.pending_rows, 0);
	assert_int_equal(st.flushed, 6);
	assert_int_equal(st.dropped, 0);
	reg_close(reg);
	rad_counts_free(c);
}

/* The rows kept are bounded: past max_rows a new row's counts are
 * dropped (and counted), a row already kept still grows. */
static void test_bounded(void **state)
{
	struct fx *f = *state;
	struct rad_counts *c = counts_new(3);
	struct rad_counts_stats st;
	struct counts s;
	int i;

	for (i = 0; i < 3; i++)
		rad_counts_add(c, T0 + i * 60, UAI_A, "pupils", "accept");
	assert_int_equal(rad_counts_flush(c, NULL, NULL, NULL, &f->err), -ENOTCONN);
	rad_counts_add(c, T0, UAI_A, "pupils", "accept");
	rad_counts_add(c, T0 + 1, UAI_A, "pupils", "accept");
	for (i = 3; i < 6; i++)
		rad_counts_add(c, T0 + i * 60, UAI_A, "pupils", "accept");
	assert_int_equal(rad_counts_flush(c, NULL, NULL, NULL, &f->err), -ENOTCONN);
	rad_counts_stats(c, &st);
	assert_int_equal(st.pending_rows, 3);
	assert_int_equal(st.pending, 5);
	assert_int_equal(st.dropped, 3);
	assert_int_equal(rad_counts_flush(c, f->reg, NULL, NULL, &f->err), 0);
	s = stored(f);
	assert_int_equal(s.n, 3);
	assert_int_equal(count_of(&s, UAI_A, T0, "pupils", "accept"), 3);
	assert_int_equal(total(&s), 5);
	rad_counts_free(c);
}

static void test_options(void **state)
{
	struct rad_counts_options o = {.node = ""};
	struct rad_counts *c = NULL;
	struct byod_err err;
	char node[80];

	(void)state;
	assert_int_equal(rad_counts_new(&o, &c, &err), -EINVAL);
	assert_null(c);
	memset(node, 'n', sizeof(node) - 1);
	node[sizeof(node) - 1] = '\0';
	o.node = node;
	assert_int_equal(rad_counts_new(&o, &c, &err), -EINVAL);
	rad_counts_free(NULL);
}

/* The wall clock as this program sees it, moved by wall_shift: time() is
 * this one for every caller linked into the test (the counts' own code
 * included). */
static time_t wall_shift;

time_t time(time_t *t)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += wall_shift;
	if (t)
		*t = ts.tv_sec;
	return ts.tv_sec;
}

/* The flush schedule follows the monotonic clock: the wall clock stepping
 * back an hour (NTP's first sync) does not hold the next flush back until
 * it catches up, nor does a step forward hurry it. */
static void test_flush_schedule(void **state)
{
	struct timespec nap = {.tv_sec = 1, .tv_nsec = 100000000};
	int64_t next;

	(void)state;
	rad_flush_schedule(&next, 1);
	assert_false(rad_flush_due(&next, 1));
	wall_shift = -3600;
	nanosleep(&nap, NULL);
	assert_true(rad_flush_due(&next, 1));
	assert_false(rad_flush_due(&next, 1)); /* the next one, a second on */
	wall_shift = 3600;
	assert_false(rad_flush_due(&next, 1));
	wall_shift = 0;
	nanosleep(&nap, NULL);
	assert_true(rad_flush_due(&next, 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unavailable_then_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bounded, setup, teardown),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_flush_schedule),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
