// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The RADIUS index on PostgreSQL when its server crashed or a replica took
 * over: commits whose change-feed numbers the index had seen are lost, and
 * the next change is given one of those numbers again. An index that went
 * on reading "after the last number I saw" would skip that change for
 * good; one that connects again reads everything again (index.c,
 * reg_connection_epoch), unless the server still holds the last event it
 * applied with the same tag (reg_event_get): then it follows on from there,
 * which a connection cut without loss shows. The loss is made by hand on the test cluster: the
 * committed change is undone in SQL, its event deleted, the feed's head
 * set back, and the index's connection ended by the server. PostgreSQL
 * only (ctest test_index_failover_pg).
 */
#define _GNU_SOURCE /* nftw (rmtree.h) */
#include <ftw.h>
#include <poll.h>

#include "registry_fixture.h"

#include "byod.h"
#include "index.h"
#include "rmtree.h"

struct ifx {
	void *reg_fx; /* registry_fixture's: a fresh schema and its URL */
	char dir[512], home[600], url[1200], app[64];
	struct byod_ctx *ctx;
	char phone[REG_ID_MAX];
};

static const char policy[] = "segments:\n"
			     "  reg: { vlan: 10, subnet: 10.10.0.0/22 }\n"
			     "  pupils: { vlan: 20, subnet: 10.20.0.0/16 }\n"
			     "rules:\n"
			     "  - name: pupils\n    match: { role: student }\n    segment: pupils\n"
			     "default: reg\nmab-segment: pupils\n";

/* byod.conf's commented "# url" line made the test schema's URL. */
static void point_conf(struct ifx *x)
{
	char path[700], *text;
	const char *at;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/byod.conf", x->home);
	f = fopen(path, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)n + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	at = strstr(text, "  # url: \"\"\n");
	assert_non_null(at);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%.*s  url: \"%s\"\n%s", (int)(at - text), text, x->url,
		at + strlen("  # url: \"\"\n"));
	fclose(f);
	free(text);
}

static int setup_pg(void **state)
{
	const char *base = getenv("BYOD_TEST_TMP");
	struct byod_init_params p = { .uai = "0131234W", .name = "Test", .yescrypt_cost = 1 };
	struct reg_person lea = { .login = "lea", .role = BYOD_ROLE_STUDENT, .school = "0131234W" };
	struct reg_school school = { .uai = "0131234W", .name = "Test" };
	struct byod_enrol_params ep = { .login = "lea", .name = "phone", .kind = BYOD_KIND_PHONE,
					.mac = "02:00:00:00:aa:01" };
	struct pol_errors errs;
	struct byod_enrolment e;
	struct byod_err err;
	struct ifx *x = calloc(1, sizeof(*x));
	struct fx *f;
	char path[700];
	FILE *fp;

	if (!x || setup(&x->reg_fx))
		return -1;
	f = x->reg_fx;
	snprintf(x->app, sizeof(x->app), "ixf_%ld", (long)getpid());
	snprintf(x->url, sizeof(x->url), "%s&application_name=%s", f->path, x->app);
	snprintf(x->dir, sizeof(x->dir), "%s/ixf.XXXXXX", base && base[0] ? base : "/tmp");
	if (!mkdtemp(x->dir))
		return -1;
	snprintf(x->home, sizeof(x->home), "%s/home", x->dir);
	if (byod_home_init(x->home, &p, &err)) {
		fprintf(stderr, "setup: %s\n", err.msg);
		return -1;
	}
	point_conf(x);
	snprintf(path, sizeof(path), "%s/p.yaml", x->dir);
	fp = fopen(path, "w");
	if (!fp)
		return -1;
	fputs(policy, fp);
	fclose(fp);
	if (byod_open(x->home, "test", &x->ctx, &err) ||
	    reg_school_add(x->ctx->reg, &school, &err) ||
	    byod_user_add(x->ctx, &lea, NULL, &err) || byod_device_enrol(x->ctx, &ep, &e, &err) ||
	    byod_policy_apply(x->ctx, path, NULL, NULL, &errs, &err)) {
		fprintf(stderr, "setup: %s\n", err.msg);
		return -1;
	}
	snprintf(x->phone, sizeof(x->phone), "%s", e.device.id);
	byod_enrolment_clear(&e);
	*state = x;
	return 0;
}

static int teardown_pg(void **state)
{
	struct ifx *x = *state;
	int rc;

	byod_close(x->ctx);
	rc = test_rmtree(x->dir);
	teardown(&x->reg_fx);
	free(x);
	return rc ? -1 : 0;
}

static int mab_vlan(struct rad_index *ix)
{
	struct rad_query q = { .method = RAD_METHOD_MAC, .mac = "02:00:00:00:aa:01",
			       .now = time(NULL) };
	struct rad_answer a;

	rad_index_decide(ix, &q, &a);
	return a.accept ? a.vlan : -1;
}

static void refresh(struct rad_index *ix)
{
	struct byod_err err;
	int changed;

	if (rad_index_refresh(ix, &changed, &err))
		fail_msg("refresh: %s", err.msg);
}

static void test_lost_commits_reread(void **state)
{
	struct ifx *x = *state;
	struct fx *f = x->reg_fx;
	struct rad_index_options o = { .home = x->home, .registration_vlan = 99 };
	struct rad_index *ix = NULL;
	struct rad_index_stats st;
	struct byod_err err;
	int64_t seen, head;
	char sql[512];
	raw_db *db;
	int degraded, i;

	assert_int_equal(rad_index_open(&o, &ix, &degraded, &err), 0);
	assert_false(degraded);
	assert_int_equal(mab_vlan(ix), 20);

	/* a suspension the index sees, then lost with the server */
	assert_int_equal(reg_device_set_state(x->ctx->reg, x->phone, BYOD_DEVICE_SUSPENDED, &err),
			 0);
	refresh(ix);
	assert_int_equal(mab_vlan(ix), -1);
	db = raw_open(f->path);
	seen = raw_int(db, "SELECT max(seq) FROM events");
	snprintf(sql, sizeof(sql),
		 "UPDATE devices SET state = 'active' WHERE id = '%s'; "
		 "DELETE FROM events WHERE seq = %lld; UPDATE events_head SET seq = %lld",
		 x->phone, (long long)seen, (long long)seen - 1);
	raw_exec(db, sql);
	/* (the test's own handle has the same name: closed first, opened
	 * again after) */
	byod_close(x->ctx);
	x->ctx = NULL;
	snprintf(sql, sizeof(sql),
		 "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
		 "WHERE application_name = '%s'",
		 x->app);
	assert_true(raw_int(db, sql) >= 1);
	assert_int_equal(byod_open(x->home, "test", &x->ctx, &err), 0);

	/* the next change takes the number the index saw: a rename, so that
	 * its event names the device the index still holds as suspended */
	assert_int_equal(reg_device_rename(x->ctx->reg, x->phone, "phone 2", &err), 0);
	head = raw_int(db, "SELECT max(seq) FROM events");
	assert_int_equal(head, seen);
	raw_close(db);

	/* the server ended the index's connection: the next reads connect
	 * again and read everything, so the device is active again */
	for (i = 0; i < 50 && mab_vlan(ix) != 20; i++) {
		(void)rad_index_refresh(ix, NULL, &err);
		poll(NULL, 0, 20);
	}
	assert_int_equal(mab_vlan(ix), 20);
	rad_index_stats(ix, &st);
	assert_int_equal(st.full_loads, 2);
	assert_int_equal(st.resumes, 0);
	assert_non_null(strstr(st.reload_why, "is not the one applied"));
	rad_index_free(ix);
}

/* Ends the index's connection (and the test's own handle, which has the
 * same name: closed first, opened again after). */
static void cut(struct ifx *x, raw_db *db)
{
	struct byod_err err;
	char sql[512];

	byod_close(x->ctx);
	x->ctx = NULL;
	snprintf(sql, sizeof(sql),
		 "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
		 "WHERE application_name = '%s'",
		 x->app);
	assert_true(raw_int(db, sql) >= 1);
	assert_int_equal(byod_open(x->home, "test", &x->ctx, &err), 0);
}

/*
 * The connection cut, nothing lost: the index follows the feed on from the
 * last event it applied (same number, same tag on the server) instead of
 * reading everything again, and misses none of the changes made while it
 * was disconnected, once and twice in a row.
 */
static void test_cut_resumes(void **state)
{
	struct ifx *x = *state;
	struct fx *f = x->reg_fx;
	struct rad_index_options o = { .home = x->home, .registration_vlan = 99 };
	struct rad_index_stats st;
	struct rad_index *ix = NULL;
	struct byod_err err;
	raw_db *db;
	int degraded, i;

	assert_int_equal(rad_index_open(&o, &ix, &degraded, &err), 0);
	assert_false(degraded);
	assert_int_equal(mab_vlan(ix), 20);
	/* a change the index applies: its last event has a tag */
	assert_int_equal(reg_device_rename(x->ctx->reg, x->phone, "phone 2", &err), 0);
	refresh(ix);

	db = raw_open(f->path);
	cut(x, db);
	/* made while the index is disconnected */
	assert_int_equal(reg_device_set_state(x->ctx->reg, x->phone, BYOD_DEVICE_SUSPENDED, &err),
			 0);
	for (i = 0; i < 50 && mab_vlan(ix) != -1; i++) {
		(void)rad_index_refresh(ix, NULL, &err);
		poll(NULL, 0, 20);
	}
	assert_int_equal(mab_vlan(ix), -1);
	refresh(ix);
	rad_index_stats(ix, &st);
	assert_int_equal(st.full_loads, 1);
	assert_int_equal(st.resumes, 1);
	assert_int_equal(st.seq, raw_int(db, "SELECT max(seq) FROM events"));

	/* twice in a row, two changes while away */
	cut(x, db);
	assert_int_equal(reg_device_set_state(x->ctx->reg, x->phone, BYOD_DEVICE_ACTIVE, &err), 0);
	assert_int_equal(reg_device_rename(x->ctx->reg, x->phone, "phone 3", &err), 0);
	for (i = 0; i < 50 && mab_vlan(ix) != 20; i++) {
		(void)rad_index_refresh(ix, NULL, &err);
		poll(NULL, 0, 20);
	}
	assert_int_equal(mab_vlan(ix), 20);
	refresh(ix);
	rad_index_stats(ix, &st);
	assert_int_equal(st.full_loads, 1);
	assert_int_equal(st.resumes, 2);
	assert_int_equal(st.seq, raw_int(db, "SELECT max(seq) FROM events"));
	raw_close(db);
	rad_index_free(ix);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lost_commits_reread, setup_pg, teardown_pg),
		cmocka_unit_test_setup_teardown(test_cut_resumes, setup_pg, teardown_pg),
	};
	const char *url = getenv("BYOD_TEST_REGISTRY");

	if (!url || !url[0]) {
		fprintf(stderr, "test_index_failover: PostgreSQL only (BYOD_TEST_REGISTRY)\n");
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
