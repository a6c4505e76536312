// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The registry beside a PostgreSQL standby, without Patroni: a primary and
 * a streaming standby of its own (scripts/pg-test-cluster start, standby,
 * promote, each on a Unix socket in a directory of this test). It shows
 * that a multi-host URL is described whole and its target_session_attrs
 * checked; that a writer listing the standby first still reaches the
 * primary; that reg_open_home_read through registry.read-url
 * (prefer-standby) reaches the standby and follows the feed there although
 * a standby takes no LISTEN; that reg_ha_status tells both sides; that a
 * read handle refuses a schema older or newer than this program's; that a
 * write refused as read-only is -ENOTCONN; and that after the primary is
 * lost and the standby promoted, the writer's handle reaches the new
 * primary by itself. PostgreSQL only (ctest test_registry_standby_pg).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "byod_conf.h"
#include "pg_int.h"
#include "reg_internal.h"
#include "registry.h"

struct sb {
	char dir[512], p[600], s[600];
	char home[600];
};

static struct sb sb;

static int cluster(const char *cmd, const char *dir, const char *arg)
{
	char line[2048];
	const char *src = getenv("BYOD_SRC");

	snprintf(line, sizeof(line), "sh '%s/scripts/pg-test-cluster' %s '%s' %s%s%s >&2",
		 src ? src : ".", cmd, dir, arg ? "'" : "", arg ? arg : "", arg ? "'" : "");
	return system(line);
}

/* A URL of the two servers in the order given, with attrs ("" none) and
 * an extra query part (may be ""). */
static void url2(char *out, size_t len, const char *first, const char *second, const char *attrs,
		 const char *extra)
{
	const char *fp = !strcmp(first, sb.p) ? "5432" : "5433";
	const char *sp = !strcmp(second, sb.p) ? "5432" : "5433";

	snprintf(out, len, "postgresql://byod@/byod?host=%s,%s&port=%s,%s%s%s%s", first, second, fp,
		 sp, attrs[0] ? "&target_session_attrs=" : "", attrs, extra);
}

static void raw_exec_at(const char *dir, const char *port, const char *sql)
{
	char ci[800];
	PGconn *c;
	PGresult *r;

	snprintf(ci, sizeof(ci), "host=%s port=%s user=byod dbname=byod", dir, port);
	c = PQconnectdb(ci);
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
}

/* The first column of the first row of sql on the standby, as a number
 * (-1 when it fails: not replayed yet). */
static long standby_int(const char *sql)
{
	char ci[800];
	PGconn *c;
	PGresult *r;
	long v = -1;

	snprintf(ci, sizeof(ci), "host=%s port=5433 user=byod dbname=byod", sb.s);
	c = PQconnectdb(ci);
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	r = PQexec(c, sql);
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		v = atol(PQgetvalue(r, 0, 0));
	PQclear(r);
	PQfinish(c);
	return v;
}

static int setup_group(void **state)
{
	const char *base = getenv("BYOD_TEST_TMP");
	struct byod_conf conf;
	struct byod_err err;
	char url[1400], path[700];
	struct reg *w = NULL;

	(void)state;
	snprintf(sb.dir, sizeof(sb.dir), "%s/sb.XXXXXX", base && base[0] ? base : "/tmp");
	if (!mkdtemp(sb.dir) || chmod(sb.dir, 0755)) /* the servers' user goes through it */
		return -1;
	snprintf(sb.p, sizeof(sb.p), "%s/p", sb.dir);
	snprintf(sb.s, sizeof(sb.s), "%s/s", sb.dir);
	snprintf(sb.home, sizeof(sb.home), "%s/home", sb.dir);
	if (cluster("start", sb.p, NULL))
		return -1;
	/* the registry's schema, then the standby copies it */
	url2(url, sizeof(url), sb.p, sb.p, "", "");
	if (reg_open_url(url, "test", 1000, &w, &err)) {
		fprintf(stderr, "setup: %s\n", err.msg);
		return -1;
	}
	reg_close(w);
	if (cluster("standby", sb.s, sb.p))
		return -1;
	/* home/byod.conf: the writers on the primary, the readers wherever
	 * libpq finds a standby (the primary listed first) */
	if (mkdir(sb.home, 0755) || byod_conf_defaults(&conf, sb.home))
		return -1;
	url2(url, sizeof(url), sb.p, sb.s, "read-write", "");
	if (byod_conf_set(&conf, "registry.url", url, &err))
		return -1;
	url2(url, sizeof(url), sb.p, sb.s, "prefer-standby", "");
	if (byod_conf_set(&conf, "registry.read-url", url, &err))
		return -1;
	snprintf(path, sizeof(path), "%s/byod.conf", sb.home);
	if (byod_conf_write(&conf, path, &err)) {
		fprintf(stderr, "setup: %s\n", err.msg);
		byod_conf_free(&conf);
		return -1;
	}
	byod_conf_free(&conf);
	return 0;
}

static int teardown_group(void **state)
{
	char line[700];

	(void)state;
	cluster("remove", sb.s, NULL);
	cluster("remove", sb.p, NULL);
	snprintf(line, sizeof(line), "rm -rf '%s'", sb.dir);
	return system(line) ? -1 : 0;
}

/* pg_conninfo_check: every host named, the attrs and the ports checked,
 * no password repeated. */
static void test_conninfo(void **state)
{
	struct byod_err err;
	char where[256];

	(void)state;
	assert_int_equal(pg_conninfo_check("postgresql://u:secret@127.0.0.1:5432,127.0.0.1:5433/"
					   "byod?target_session_attrs=read-write",
					   where, sizeof(where), &err),
			 0);
	assert_string_equal(where, "127.0.0.1:5432,127.0.0.1:5433/byod");
	assert_int_equal(pg_conninfo_check("host=a,b port=1,2 dbname=x user=u password=secret",
					   where, sizeof(where), &err),
			 0);
	assert_string_equal(where, "a:1,b:2/x");
	assert_int_equal(pg_conninfo_check("host=a,b port=7 dbname=x", where, sizeof(where), &err),
			 0);
	assert_string_equal(where, "a:7,b:7/x");
	if (pg_conninfo_check("postgresql://u:secret@h1,h2/db?target_session_attrs=prefer-standby",
			      where, sizeof(where), &err))
		fail_msg("%s", err.msg);
	assert_string_equal(where, "h1,h2/db");

	assert_int_equal(pg_conninfo_check("postgresql://u:secret@h1,h2/db?target_session_attrs="
					   "primaryy",
					   where, sizeof(where), &err),
			 -EINVAL);
	assert_non_null(strstr(err.msg, "target_session_attrs \"primaryy\" is not one of"));
	assert_null(strstr(err.msg, "secret"));
	assert_int_equal(pg_conninfo_check("host=a,b,c port=1,2 password=secret", where,
					   sizeof(where), &err),
			 -EINVAL);
	assert_non_null(strstr(err.msg, "2 ports are given for 3 hosts"));
	/* libpq's own parse error quotes the bad token: the password */
	assert_true(pg_conninfo_check("postgresql://u:s%zzcret@h1:5432,h2:5433/db", where,
				      sizeof(where), &err) < 0);
	assert_null(strstr(err.msg, "zzcret"));
}

static void ha(struct reg *reg, struct reg_ha_status *st)
{
	struct byod_err err;

	if (reg_ha_status(reg, st, &err))
		fail_msg("reg_ha_status: %s", err.msg);
	assert_string_equal(st->backend, "postgresql");
}

/* A writer whose URL lists the standby first reaches the primary, with
 * target_session_attrs=read-write and without it (the writers' default). */
static void test_writer_on_primary(void **state)
{
	struct reg_ha_status st;
	struct byod_err err;
	struct reg *w = NULL;
	char url[1400];
	int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		url2(url, sizeof(url), sb.s, sb.p, i ? "" : "read-write", "");
		if (reg_open_url(url, "test", 1000, &w, &err))
			fail_msg("open %s: %s", url, err.msg);
		ha(w, &st);
		assert_int_equal(st.in_recovery, 0);
		assert_non_null(strstr(st.server, sb.p));
		assert_null(strstr(st.server, sb.s));
		reg_close(w);
		w = NULL;
	}
}

struct seen {
	int64_t seq, tag;
};

static int last_event(const struct reg_event *ev, void *arg)
{
	struct seen *s = arg;

	s->seq = ev->seq;
	s->tag = ev->tag;
	return 0;
}

static long long ms_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* registry.read-url reaches the standby; what the primary commits is read
 * there by number within a second, with the tag the primary gave; both
 * sides' reg_ha_status say so. */
static void test_read_on_standby(void **state)
{
	struct reg_school school = {.uai = "0131234W", .name = "Standby"};
	struct reg_ha_status st, pst;
	struct reg_event ev;
	struct seen got = {0, 0};
	struct byod_err err;
	struct reg *w = NULL, *r = NULL;
	int64_t before, head;
	long long t0;
	int rc;

	(void)state;
	assert_int_equal(reg_open_home(sb.home, "test", 1000, &w, &err), 0);
	if (reg_open_home_read(sb.home, "test", 1000, &r, &err))
		fail_msg("reg_open_home_read: %s", err.msg);
	ha(r, &st);
	assert_int_equal(st.in_recovery, 1);
	assert_non_null(strstr(st.server, sb.s));
	ha(w, &pst);
	assert_int_equal(pst.in_recovery, 0);

	/* nothing new: the standby's wait polls, it does not fail, and says
	 * "may have changed" (1) at each poll: it cannot know */
	t0 = ms_now();
	assert_int_equal(reg_feed_wait(r, 1000, &err), 1);
	assert_true(ms_now() - t0 < 900);
	assert_int_equal(PG(r->be)->polling, 1);

	assert_int_equal(reg_events_last(r, &before, &err), 0);
	assert_int_equal(reg_school_add(w, &school, &err), 0);
	assert_int_equal(reg_events_last(w, &head, &err), 0);
	assert_true(head > before);
	t0 = ms_now();
	while (got.seq < head && ms_now() - t0 < 1000) {
		rc = reg_feed_wait(r, 200, &err);
		assert_int_equal(rc, 1);
		assert_int_equal(reg_events_since(r, before, 0, last_event, &got, &err), 0);
	}
	assert_int_equal(got.seq, head);
	assert_int_equal(reg_event_get(w, head, &ev, &err), 0);
	assert_true(ev.tag != 0);
	assert_true(got.tag == ev.tag);
	assert_int_equal(reg_event_get(r, head, &ev, &err), 0);
	assert_true(ev.tag == got.tag);
	assert_int_equal(reg_event_get(r, head + 1000, &ev, &err), -ENOENT);

	ha(r, &st);
	assert_true(st.feed_head >= head);
	assert_true(st.replay_delay_s >= 0);
	assert_int_equal(st.nstandbys, 0);
	ha(w, &pst);
	assert_int_equal(pst.in_recovery, 0);
	assert_true(pst.replay_delay_s < 0);
	assert_true(pst.feed_head >= head);
	assert_int_equal(pst.nstandbys, 1);
	assert_string_equal(pst.standbys[0].name, "standby");
	assert_string_equal(pst.standbys[0].state, "streaming");
	assert_string_equal(pst.standbys[0].sync_state, "async");
	assert_true(pst.standbys[0].lag_bytes >= 0);
	assert_string_equal(pst.standbys[0].addr, ""); /* a Unix socket */
	reg_close(r);
	reg_close(w);
}

/* A read handle runs no migration: a schema older than this program's, or
 * newer, is -EPROTO with one sentence (a scratch schema set back by hand
 * on the primary, read on the standby). */
static void test_read_refuses_other_schema(void **state)
{
	struct reg_options o = {.backend = REG_BACKEND_POSTGRES,
				.busy_timeout_ms = 1000,
				.actor = "test",
				.read_only = 1};
	const char *extra = "&options=-csearch_path%3Dsb_old";
	struct byod_err err;
	struct reg *w = NULL, *r = NULL;
	char url[1400], rurl[1400], sql[200];
	int i, rc = 0, v;

	(void)state;
	raw_exec_at(sb.p, "5432", "CREATE SCHEMA sb_old");
	url2(url, sizeof(url), sb.p, sb.s, "read-write", extra);
	if (reg_open_url(url, "test", 1000, &w, &err))
		fail_msg("open: %s", err.msg);
	reg_close(w);
	url2(rurl, sizeof(rurl), sb.p, sb.s, "standby", extra);
	o.conninfo = rurl;
	for (v = PG_NEWEST_VERSION - 1; v <= PG_NEWEST_VERSION + 1; v += 2) {
		snprintf(sql, sizeof(sql), "UPDATE sb_old.schema_version SET version = %d", v);
		raw_exec_at(sb.p, "5432", sql);
		/* once the standby replayed it */
		for (i = 0; i < 50 && standby_int("SELECT version FROM sb_old.schema_version") != v;
		     i++)
			poll(NULL, 0, 100);
		rc = reg_open(&o, &r, &err);
		assert_int_equal(rc, -EPROTO);
		if (!strstr(err.msg, v < PG_NEWEST_VERSION ? "older" : "newer"))
			fail_msg("%d: %s", v, err.msg);
		assert_non_null(strstr(err.msg, sb.s));
	}
	/* the version this program knows: it opens */
	snprintf(sql, sizeof(sql), "UPDATE sb_old.schema_version SET version = %d",
		 PG_NEWEST_VERSION);
	raw_exec_at(sb.p, "5432", sql);
	for (i = 0; i < 50 &&
		    standby_int("SELECT version FROM sb_old.schema_version") != PG_NEWEST_VERSION;
	     i++)
		poll(NULL, 0, 100);
	if (reg_open(&o, &r, &err))
		fail_msg("open: %s", err.msg);
	reg_close(r);
	raw_exec_at(sb.p, "5432", "DROP SCHEMA sb_old CASCADE");
}

/* A write the server refuses as read-only (what a primary demoted under a
 * long-lived connection answers) is -ENOTCONN, and the next statement
 * connects again. */
static void test_read_only_is_enotconn(void **state)
{
	struct reg_school school = {.uai = "0131235X", .name = "RO"};
	struct byod_err err;
	struct reg *w = NULL;
	unsigned long epoch;
	char url[1400];
	int64_t head;

	(void)state;
	url2(url, sizeof(url), sb.p, sb.p, "any", "&options=-cdefault_transaction_read_only%3Don");
	if (reg_open_url(url, "test", 1000, &w, &err))
		fail_msg("open: %s", err.msg);
	epoch = reg_connection_epoch(w);
	assert_int_equal(reg_school_add(w, &school, &err), -ENOTCONN);
	assert_non_null(strstr(err.msg, "read-only"));
	assert_int_equal(reg_events_last(w, &head, &err), 0);
	assert_true(reg_connection_epoch(w) != epoch);
	reg_close(w);
}

/* A writer's URL that asks for a standby is refused before any
 * connection: everything it wrote would fail. */
static void test_writer_refuses_standby(void **state)
{
	static const char *const attrs[] = {"prefer-standby", "standby", "read-only"};
	struct byod_err err;
	struct reg *w = NULL;
	char url[1400];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		url2(url, sizeof(url), sb.p, sb.s, attrs[i], "");
		assert_int_equal(reg_open_url(url, "test", 1000, &w, &err), -EINVAL);
		assert_null(w);
		assert_non_null(strstr(err.msg, "registry.read-url"));
		assert_non_null(strstr(err.msg, attrs[i]));
	}
}

/* The primary is lost, the standby promoted: the writer's handle reaches
 * it by itself (the URL's next host, read-write), the reader on it sees
 * it is a primary now and listens again. */
static void test_failover(void **state)
{
	struct reg_school school = {.uai = "0131236Y", .name = "After"};
	struct reg_ha_status st;
	struct byod_err err;
	struct reg *w = NULL, *r = NULL;
	int i, rc = -1;

	(void)state;
	assert_int_equal(reg_open_home(sb.home, "test", 1000, &w, &err), 0);
	assert_int_equal(reg_open_home_read(sb.home, "test", 1000, &r, &err), 0);
	ha(w, &st);
	assert_non_null(strstr(st.server, sb.p));
	assert_int_equal(reg_feed_wait(r, 10, &err), 1);
	assert_int_equal(PG(r->be)->polling, 1);

	assert_int_equal(cluster("stop", sb.p, "--immediate"), 0);
	assert_int_equal(cluster("promote", sb.s, NULL), 0);
	for (i = 0; i < 50 && rc; i++) {
		rc = reg_school_add(w, &school, &err);
		if (rc) {
			assert_int_equal(rc, -ENOTCONN);
			poll(NULL, 0, 100);
		}
	}
	assert_int_equal(rc, 0);
	ha(w, &st);
	assert_int_equal(st.in_recovery, 0);
	assert_non_null(strstr(st.server, sb.s));

	/* the reader's connection was never cut: a primary now */
	ha(r, &st);
	assert_int_equal(st.in_recovery, 0);
	poll(NULL, 0, 1100); /* LISTEN is tried again once a second */
	assert_int_equal(reg_feed_wait(r, 10, &err), 1); /* LISTEN again: 1 */
	assert_int_equal(PG(r->be)->polling, 0);
	assert_int_equal(PG(r->be)->listening, 1);
	reg_close(r);
	reg_close(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conninfo),
		cmocka_unit_test(test_writer_on_primary),
		cmocka_unit_test(test_read_on_standby),
		cmocka_unit_test(test_read_refuses_other_schema),
		cmocka_unit_test(test_read_only_is_enotconn),
		cmocka_unit_test(test_writer_refuses_standby),
		cmocka_unit_test(test_failover),
	};

	return cmocka_run_group_tests(tests, setup_group, teardown_group);
}
