// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * byod-gatewayd's engine on PostgreSQL when its connection is cut: with
 * nothing lost, it follows the change feed on from the last event it
 * handled (the server still holds it, same tag: reg_feed_resumable) and
 * misses none of the changes made while it was away; when a commit it had
 * seen was lost and its number given to another change, it reads the whole
 * state again (gw_sync). The loss is made by hand as in
 * test_index_failover.c. PostgreSQL only (ctest test_gateway_failover_pg).
 */
#define _GNU_SOURCE /* nftw (rmtree.h) */
#include <ftw.h>
#include <poll.h>

#include "registry_fixture.h"

#include "byod.h"
#include "gateway.h"
#include "rmtree.h"

#define UAI "0131234W"
#define MAC_LEA "02:00:00:00:aa:01"

static const char policy[] =
	"segments:\n"
	"  registration: { vlan: 10, subnet: 10.10.0.0/22, allow: [portal] }\n"
	"  pupils: { vlan: 20, subnet: 10.20.0.0/16, allow: [portal] }\n"
	"services:\n"
	"  portal: { to: [10.0.0.2], ports: [tcp/80] }\n"
	"rules:\n"
	"  - name: unknown\n    match: { state: unknown }\n    segment: registration\n"
	"  - name: pupils\n    match: { role: student }\n    segment: pupils\n"
	"default: registration\n";

struct gfx {
	void *reg_fx; /* registry_fixture's: a fresh schema and its URL */
	char dir[512], home[600], url[1200], app[64];
	struct byod_ctx *ctx;
	struct gw *gw;
	char lea[REG_ID_MAX];
};

/* byod.conf's commented "# url" line made the test schema's URL. */
static void point_conf(struct gfx *x)
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
	struct byod_init_params p = { .uai = UAI, .name = "Test", .yescrypt_cost = 1 };
	struct reg_person lea = { .login = "lea", .role = BYOD_ROLE_STUDENT, .school = UAI };
	struct reg_school school = { .uai = UAI, .name = "Test" };
	struct reg_device d = { .kind = BYOD_KIND_PHONE, .name = "phone", .mac = MAC_LEA };
	struct pol_errors errs;
	struct byod_err err;
	struct gfx *x = calloc(1, sizeof(*x));
	struct fx *f;
	char path[700];
	FILE *fp;

	if (!x || setup(&x->reg_fx))
		return -1;
	f = x->reg_fx;
	snprintf(x->app, sizeof(x->app), "gwf_%ld", (long)getpid());
	snprintf(x->url, sizeof(x->url), "%s&application_name=%s", f->path, x->app);
	snprintf(x->dir, sizeof(x->dir), "%s/gwf.XXXXXX", base && base[0] ? base : "/tmp");
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
	memset(&errs, 0, sizeof(errs));
	if (byod_open(x->home, "test", &x->ctx, &err) ||
	    reg_school_add(x->ctx->reg, &school, &err) ||
	    reg_person_add(x->ctx->reg, &lea, &err)) {
		fprintf(stderr, "setup: %s\n", err.msg);
		return -1;
	}
	d.owner = lea.id;
	if (reg_device_add(x->ctx->reg, &d, &err) ||
	    byod_policy_apply(x->ctx, path, NULL, NULL, &errs, &err)) {
		fprintf(stderr, "setup: %s\n", err.msg);
		return -1;
	}
	pol_errors_free(&errs);
	snprintf(x->lea, sizeof(x->lea), "%s", d.id);
	*state = x;
	return 0;
}

static int teardown_pg(void **state)
{
	struct gfx *x = *state;
	int rc;

	gw_close(x->gw);
	byod_close(x->ctx);
	rc = test_rmtree(x->dir);
	teardown(&x->reg_fx);
	free(x);
	return rc ? -1 : 0;
}

static void open_gw(struct gfx *x)
{
	struct gw_options opt = { .home = x->home, .apply = 0 };
	struct byod_err err;
	struct reg_session s;

	if (gw_open(&opt, &x->gw, &err) || gw_sync(x->gw, &err))
		fail_msg("%s", err.msg);
	/* her session: admitted, the gateway's last event has a tag */
	memset(&s, 0, sizeof(s));
	snprintf(s.session_id, sizeof(s.session_id), "s-lea");
	snprintf(s.nas_ip, sizeof(s.nas_ip), "10.0.0.5");
	snprintf(s.mac, sizeof(s.mac), "%s", MAC_LEA);
	snprintf(s.ip, sizeof(s.ip), "10.20.0.10");
	if (reg_session_record(x->ctx->reg, REG_ACCT_START, &s, &err))
		fail_msg("%s", err.msg);
	if (gw_step(x->gw, NULL, &err))
		fail_msg("%s", err.msg);
	assert_string_equal(gw_admitted(x->gw, MAC_LEA), "pupils");
}

/* Ends the gateway's connection (and the test's own handle, which has the
 * same name: closed first, opened again after). */
static void cut(struct gfx *x, raw_db *db)
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

/* Steps until quarantined is what gw_quarantined says of her MAC. */
static void step_until(struct gfx *x, int quarantined)
{
	struct byod_err err;
	int i;

	for (i = 0; i < 50 && gw_quarantined(x->gw, MAC_LEA) != quarantined; i++) {
		(void)gw_step(x->gw, NULL, &err);
		poll(NULL, 0, 20);
	}
	assert_int_equal(gw_quarantined(x->gw, MAC_LEA), quarantined);
	assert_int_equal(gw_verify(x->gw), 0);
}

/* Cut without loss: followed on from where it was, the revocation made
 * while it was away handled. */
static void test_cut_resumes(void **state)
{
	struct gfx *x = *state;
	struct fx *f = x->reg_fx;
	struct gw_stats st;
	struct byod_err err;
	raw_db *db;

	open_gw(x);
	db = raw_open(f->path);
	cut(x, db);
	assert_int_equal(reg_device_set_state(x->ctx->reg, x->lea, BYOD_DEVICE_REVOKED, &err), 0);
	step_until(x, 1);
	assert_null(gw_admitted(x->gw, MAC_LEA));
	if (gw_step(x->gw, NULL, &err))
		fail_msg("%s", err.msg);
	gw_stats(x->gw, &st);
	assert_int_equal(st.full_loads, 1);
	assert_int_equal(st.resumes, 1);
	assert_int_equal(st.seq, raw_int(db, "SELECT max(seq) FROM events"));
	raw_close(db);
}

/* A revocation the gateway handled, lost with the server, its number given
 * to a rename: the whole state read again, the device admitted again. */
static void test_lost_commit_reread(void **state)
{
	struct gfx *x = *state;
	struct fx *f = x->reg_fx;
	struct gw_stats st;
	struct byod_err err;
	int64_t seen;
	char sql[512];
	raw_db *db;

	open_gw(x);
	assert_int_equal(reg_device_set_state(x->ctx->reg, x->lea, BYOD_DEVICE_REVOKED, &err), 0);
	step_until(x, 1);
	db = raw_open(f->path);
	seen = raw_int(db, "SELECT max(seq) FROM events");
	snprintf(sql, sizeof(sql),
		 "UPDATE devices SET state = 'active' WHERE id = '%s'; "
		 "DELETE FROM events WHERE seq = %lld; UPDATE events_head SET seq = %lld",
		 x->lea, (long long)seen, (long long)seen - 1);
	raw_exec(db, sql);
	cut(x, db);
	assert_int_equal(reg_device_rename(x->ctx->reg, x->lea, "phone 2", &err), 0);
	assert_int_equal(raw_int(db, "SELECT max(seq) FROM events"), seen);
	step_until(x, 0);
	assert_string_equal(gw_admitted(x->gw, MAC_LEA), "pupils");
	gw_stats(x->gw, &st);
	assert_int_equal(st.full_loads, 2);
	assert_int_equal(st.resumes, 0);
	raw_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cut_resumes, setup_pg, teardown_pg),
		cmocka_unit_test_setup_teardown(test_lost_commit_reread, setup_pg, teardown_pg),
	};
	const char *url = getenv("BYOD_TEST_REGISTRY");

	if (!url || !url[0]) {
		fprintf(stderr, "test_gateway_failover: PostgreSQL only (BYOD_TEST_REGISTRY)\n");
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
