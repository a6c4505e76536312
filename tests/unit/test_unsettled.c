// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Enrolments, renewals and revocations whose commit outcome is unknown
 * (core/unsettled.c), on SQLite and PostgreSQL (test_unsettled_pg). SQLite
 * never loses a commit's answer, so entries are put in HOME/unsettled
 * through byod_unsettled_add as byod_device_enrol would; on PostgreSQL the
 * real thing goes through tests/lib/pgproxy.py: the COMMIT's answer lost
 * (the row is there, revoked by the settlement) or the COMMIT itself (no
 * row, nothing to do), and a revocation checked and run again.
 */
#define _GNU_SOURCE /* nftw (rmtree.h), mkdtemp */
#include "registry_fixture.h"

#include "byod.h"
#include "enrol_int.h"
#include "pgproxy.h"
#include "rmtree.h"

struct ufx {
	struct fx *f;
	char dir[512];
	char home[600];
	struct byod_conf conf;
	struct byod_ctx *ctx;
	struct byod_ctx *pctx; /* through the proxy (PostgreSQL) */
	struct pgproxy proxy;
};

static int usetup(void **state)
{
	const char *base = getenv("BYOD_TEST_TMP");
	struct byod_init_params p = {.uai = "0131234W", .name = "Home", .yescrypt_cost = 1};
	struct byod_err err;
	struct ufx *u = calloc(1, sizeof(*u));
	struct reg_person person;
	time_t end = time(NULL) + 100 * 86400;
	char md[16];
	struct tm tm;
	void *fs = NULL;
	int rc;

	if (!u || setup(&fs))
		return -1;
	u->f = fs;
	snprintf(u->dir, sizeof(u->dir), "%s/unsettled.XXXXXX", base ? base : "/tmp");
	if (!mkdtemp(u->dir))
		return -1;
	snprintf(u->home, sizeof(u->home), "%s/home", u->dir);
	if (byod_home_init(u->home, &p, &err) || byod_conf_load_home(&u->conf, u->home, &err)) {
		fprintf(stderr, "init: %s\n", err.msg);
		return -1;
	}
	rc = on_postgres() ? byod_conf_set(&u->conf, "registry.url", u->f->path, &err)
			   : byod_conf_set(&u->conf, "registry.path", u->f->path, &err);
	/* a school year ending in 100 days, renewal open 180 days before */
	gmtime_r(&end, &tm);
	if (tm.tm_mon == 1 && tm.tm_mday == 29)
		tm.tm_mday = 28;
	snprintf(md, sizeof(md), "%02d-%02d", tm.tm_mon + 1, tm.tm_mday);
	if (!rc)
		rc = byod_conf_set(&u->conf, "pki.school-year-end", md, &err);
	if (!rc)
		rc = byod_conf_set(&u->conf, "pki.renew-days", "180", &err);
	if (!rc)
		rc = byod_open_conf(&u->conf, "test", &u->ctx, &err);
	if (rc) {
		fprintf(stderr, "open: %s\n", err.msg);
		return -1;
	}
	add_school(u->f, UAI_A, "Lycée A");
	fill_person(&person, "lea", UAI_A);
	if (reg_person_add(u->ctx->reg, &person, &err))
		return -1;
	*state = u;
	return 0;
}

static int uteardown(void **state)
{
	struct ufx *u = *state;
	void *fs = u->f;
	int rc;

	byod_close(u->ctx);
	byod_close(u->pctx);
	pgproxy_stop(&u->proxy);
	byod_conf_free(&u->conf);
	rc = test_rmtree(u->dir);
	teardown(&fs);
	free(u);
	return rc ? -1 : 0;
}

/* Opens u->pctx through a fresh proxy. */
static void proxy_ctx(struct ufx *u)
{
	struct byod_conf conf;
	struct byod_err err;
	char url[1024];

	assert_int_equal(pgproxy_start(&u->proxy), 0);
	pgproxy_url(&u->proxy, u->f->schema, url, sizeof(url));
	assert_int_equal(byod_conf_copy(&conf, &u->conf), 0);
	assert_int_equal(byod_conf_set(&conf, "registry.url", url, &err), 0);
	if (byod_open_conf(&conf, "test", &u->pctx, &err))
		fail_msg("open through the proxy: %s", err.msg);
	byod_conf_free(&conf);
}

static void enrol(struct byod_ctx *ctx, const char *name, const char *mac, struct byod_enrolment *e)
{
	struct byod_enrol_params p = {
		.login = "lea", .name = name, .kind = BYOD_KIND_PHONE, .mac = mac};
	struct byod_err err;

	if (byod_device_enrol(ctx, &p, e, &err))
		fail_msg("enrol: %s", err.msg);
}

static int live_devices(struct ufx *u)
{
	struct reg_person p;
	struct byod_err err;
	int n = -1;

	assert_int_equal(reg_person_get(u->ctx->reg, "lea", &p, &err), 0);
	assert_int_equal(reg_device_count_live(u->ctx->reg, p.id, &n, &err), 0);
	return n;
}

struct audit_find {
	const char *action;
	char actor[64], after[512];
	int n;
};

static int find_audit(const struct reg_audit *a, void *arg)
{
	struct audit_find *af = arg;

	if (strcmp(a->action, af->action))
		return 0;
	af->n++;
	snprintf(af->actor, sizeof(af->actor), "%s", a->actor);
	snprintf(af->after, sizeof(af->after), "%s", a->after ? a->after : "");
	return 0;
}

static int64_t crl_number(struct ufx *u)
{
	raw_db *db = raw_open(u->f->path);
	int64_t n = raw_int(db, "SELECT coalesce(max(value), 0) FROM counters WHERE name = 'crl'");

	raw_close(db);
	return n;
}

static void note(struct ufx *u, const char *device, const char *serial, const char *replaces,
		 int created)
{
	struct byod_unsettled e;
	struct byod_err err;

	memset(&e, 0, sizeof(e));
	snprintf(e.device, sizeof(e.device), "%s", device);
	snprintf(e.serial, sizeof(e.serial), "%s", serial);
	snprintf(e.replaces, sizeof(e.replaces), "%s", replaces ? replaces : "");
	e.created = created;
	e.when = time(NULL);
	assert_int_equal(byod_unsettled_add(u->ctx, &e, &err), 0);
}

/* The row was written after all: the certificate is revoked, the device the
 * enrolment created retired; the same MAC enrols again, one device counted. */
static void test_settle_enrolment_written(void **state)
{
	struct ufx *u = *state;
	struct byod_enrolment e, again;
	struct audit_find af = {.action = "enrol.unsettled"};
	struct reg_device d;
	struct reg_cert c;
	struct byod_err err;
	char path[700];
	struct stat st;
	int64_t crl;

	enrol(u->ctx, "phone", "02:00:00:00:00:01", &e);
	note(u, e.device.id, e.cert.serial, NULL, 1);
	snprintf(path, sizeof(path), "%s/unsettled", u->home);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(byod_unsettled_count(u->ctx), 1);
	assert_int_equal(live_devices(u), 1);
	crl = crl_number(u);

	if (byod_unsettled_settle(u->ctx, &err))
		fail_msg("settle: %s", err.msg);
	assert_int_equal(byod_unsettled_count(u->ctx), 0);
	assert_int_equal(reg_cert_get(u->ctx->reg, e.cert.serial, &c, &err), 0);
	assert_int_equal(c.state, REG_CERT_REVOKED);
	assert_int_equal(c.reason, REG_REASON_CESSATION);
	assert_int_equal(reg_device_get(u->ctx->reg, e.device.id, &d, &err), 0);
	assert_int_equal(d.state, BYOD_DEVICE_RETIRED);
	assert_int_equal(live_devices(u), 0);
	assert_true(crl_number(u) > crl);
	assert_int_equal(reg_audit_list(u->ctx->reg, 50, find_audit, &af, &err), 0);
	assert_int_equal(af.n, 1);
	assert_string_equal(af.actor, "system");
	assert_non_null(strstr(af.after, e.cert.serial));
	assert_string_equal(reg_actor(u->ctx->reg), "test");

	/* settled twice: nothing more */
	assert_int_equal(byod_unsettled_settle(u->ctx, &err), 0);
	enrol(u->ctx, "phone", "02:00:00:00:00:01", &again);
	assert_int_equal(live_devices(u), 1);
	byod_enrolment_clear(&e);
	byod_enrolment_clear(&again);
}

/* The row is not there: nothing to do, and the entry is gone. */
static void test_settle_enrolment_absent(void **state)
{
	struct ufx *u = *state;
	struct byod_enrolment e;
	struct audit_find af = {.action = "enrol.unsettled"};
	struct byod_err err;
	int64_t crl;

	enrol(u->ctx, "laptop", NULL, &e);
	note(u, "6f1c2a4e-0b1d-4c8e-9a57-0d3a4b5c6d7e", "7ab3cd", NULL, 1);
	crl = crl_number(u);
	assert_int_equal(byod_unsettled_settle(u->ctx, &err), 0);
	assert_int_equal(byod_unsettled_count(u->ctx), 0);
	assert_int_equal(live_devices(u), 1);
	assert_int_equal(crl_number(u), crl);
	assert_int_equal(reg_audit_list(u->ctx->reg, 50, find_audit, &af, &err), 0);
	assert_int_equal(af.n, 0);
	byod_enrolment_clear(&e);
}

/* A renewal written after all: the new certificate is revoked (superseded),
 * the old one stays valid, and so does the device, with the old end. */
static void test_settle_renewal(void **state)
{
	struct ufx *u = *state;
	struct byod_renew_params rp = {.login = "lea"};
	struct byod_enrolment e, r;
	struct reg_cert c;
	struct reg_device d;
	struct byod_err err;

	enrol(u->ctx, "phone", NULL, &e);
	rp.device = e.device.id;
	if (byod_device_renew(u->ctx, &rp, &r, &err))
		fail_msg("renew: %s", err.msg);
	assert_string_equal(r.replaces, e.cert.serial);
	note(u, e.device.id, r.cert.serial, e.cert.serial, 0);
	assert_int_equal(byod_unsettled_settle(u->ctx, &err), 0);
	assert_int_equal(reg_cert_get(u->ctx->reg, r.cert.serial, &c, &err), 0);
	assert_int_equal(c.state, REG_CERT_REVOKED);
	assert_int_equal(c.reason, REG_REASON_SUPERSEDED);
	assert_int_equal(reg_cert_get(u->ctx->reg, e.cert.serial, &c, &err), 0);
	assert_int_equal(c.state, REG_CERT_VALID);
	assert_int_equal(reg_device_get(u->ctx->reg, e.device.id, &d, &err), 0);
	assert_int_equal(d.state, BYOD_DEVICE_ACTIVE);
	assert_int_equal(d.expires, c.not_after);
	byod_enrolment_clear(&e);
	byod_enrolment_clear(&r);
}

/* A revocation left unknown is run again; a line that cannot be read is
 * dropped; an enrolment of a device with another valid certificate only
 * loses that certificate. */
static void test_settle_revocation_and_bad_lines(void **state)
{
	struct ufx *u = *state;
	struct byod_enrolment e;
	struct byod_unsettled x;
	struct reg_device d;
	struct byod_err err;
	char path[700];
	struct stat st;
	FILE *f;

	enrol(u->ctx, "tablet", NULL, &e);
	snprintf(path, sizeof(path), "%s/unsettled", u->home);
	f = fopen(path, "a");
	assert_non_null(f);
	fputs("not a line\n../../etc/passwd x - 1 0\n", f);
	fclose(f);
	memset(&x, 0, sizeof(x));
	snprintf(x.device, sizeof(x.device), "%s", e.device.id);
	x.revoke_reason = REG_REASON_KEY_COMPROMISE;
	x.revoke_state = BYOD_DEVICE_REVOKED;
	assert_int_equal(byod_unsettled_add(u->ctx, &x, &err), 0);
	x.revoke_state = BYOD_DEVICE_ACTIVE; /* not a revocation's state */
	assert_int_equal(byod_unsettled_add(u->ctx, &x, &err), -EINVAL);
	assert_int_equal(byod_unsettled_count(u->ctx), 1);
	assert_int_equal(byod_unsettled_settle(u->ctx, &err), 0);
	assert_int_equal(reg_device_get(u->ctx->reg, e.device.id, &d, &err), 0);
	assert_int_equal(d.state, BYOD_DEVICE_REVOKED);
	assert_int_equal(byod_unsettled_count(u->ctx), 0);
	/* the unreadable lines are gone too */
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 0);
	byod_enrolment_clear(&e);
}

/* The next enrolment settles first: the unsettled device's MAC is free. */
static void test_enrol_settles_first(void **state)
{
	struct ufx *u = *state;
	struct byod_enrolment e, again;

	enrol(u->ctx, "phone", "02:00:00:00:00:02", &e);
	note(u, e.device.id, e.cert.serial, NULL, 1);
	enrol(u->ctx, "phone", "02:00:00:00:00:02", &again);
	assert_int_equal(live_devices(u), 1);
	assert_int_equal(byod_unsettled_count(u->ctx), 0);
	byod_enrolment_clear(&e);
	byod_enrolment_clear(&again);
}

static int cert_rows(struct ufx *u)
{
	raw_db *db = raw_open(u->f->path);
	int n = (int)raw_int(db, "SELECT count(*) FROM certificates");

	raw_close(db);
	return n;
}

/* The serial of HOME/unsettled's first line. */
static void noted_serial(struct ufx *u, char *out, size_t size)
{
	char path[700], device[64], serial[64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/unsettled", u->home);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%63s %63s", device, serial), 2);
	fclose(f);
	assert_true(strlen(serial) < size);
	memcpy(out, serial, strlen(serial) + 1);
}

/* PostgreSQL: the enrolment's COMMIT answer lost: refused, noted, then
 * settled (the row revoked); the COMMIT itself lost: refused, noted,
 * nothing there. */
static void test_enrol_commit_lost(void **state)
{
	struct ufx *u = *state;
	struct byod_enrol_params p = {.login = "lea",
				      .name = "phone",
				      .kind = BYOD_KIND_PHONE,
				      .mac = "02:00:00:00:00:03"};
	struct byod_enrolment e;
	struct reg_device d;
	struct reg_cert c;
	struct byod_err err;
	char serial[REG_SERIAL_MAX], device[REG_ID_MAX];

	if (!on_postgres())
		skip();
	proxy_ctx(u);
	pgproxy_arm(&u->proxy, "arm-commit", "INSERT INTO certificates");
	assert_int_equal(byod_device_enrol(u->pctx, &p, &e, &err), -ENOTCONN);
	assert_int_equal(e.refusal, BYOD_ENROL_OK);
	assert_non_null(strstr(err.msg, "will be revoked if it was written"));
	assert_int_equal(byod_unsettled_count(u->ctx), 1);
	assert_int_equal(cert_rows(u), 1); /* written after all */
	assert_int_equal(live_devices(u), 1);
	/* the noted serial is the row's */
	noted_serial(u, serial, sizeof(serial));
	{
		raw_db *db = raw_open(u->f->path);
		char sql[200];

		snprintf(
			sql, sizeof(sql),
			"SELECT count(*) FROM certificates WHERE serial = '%s' AND state = 'valid'",
			serial);
		assert_int_equal(raw_int(db, sql), 1);
		raw_close(db);
	}
	assert_int_equal(byod_unsettled_settle(u->pctx, &err), 0);
	assert_int_equal(byod_unsettled_count(u->ctx), 0);
	assert_int_equal(live_devices(u), 0);
	{
		raw_db *db = raw_open(u->f->path);

		assert_int_equal(
			raw_int(db, "SELECT count(*) FROM certificates WHERE state = 'valid'"), 0);
		raw_close(db);
	}

	pgproxy_arm(&u->proxy, "arm-commit-before", "INSERT INTO certificates");
	assert_int_equal(byod_device_enrol(u->pctx, &p, &e, &err), -ENOTCONN);
	assert_int_equal(byod_unsettled_count(u->ctx), 1);
	assert_int_equal(cert_rows(u), 1); /* only the first one */
	assert_int_equal(byod_unsettled_settle(u->pctx, &err), 0);
	assert_int_equal(byod_unsettled_count(u->ctx), 0);

	/* and the pupil's next try works, one device */
	if (byod_device_enrol(u->pctx, &p, &e, &err))
		fail_msg("enrol again: %s", err.msg);
	snprintf(serial, sizeof(serial), "%s", e.cert.serial);
	snprintf(device, sizeof(device), "%s", e.device.id);
	byod_enrolment_clear(&e);
	assert_int_equal(live_devices(u), 1);
	assert_int_equal(reg_cert_get(u->ctx->reg, serial, &c, &err), 0);
	assert_int_equal(c.state, REG_CERT_VALID);
	assert_int_equal(reg_device_get(u->ctx->reg, device, &d, &err), 0);
	assert_int_equal(d.state, BYOD_DEVICE_ACTIVE);
}

/* PostgreSQL: a renewal whose COMMIT answer is lost: refused, noted with
 * the certificate it would have replaced, settled: the new one revoked
 * (superseded), the old one valid, the device's end the old one's. */
static void test_renew_commit_lost(void **state)
{
	struct ufx *u = *state;
	struct byod_renew_params rp = {.login = "lea"};
	struct byod_enrolment e, r;
	struct reg_device d;
	struct reg_cert c;
	struct byod_err err;
	char serial[REG_SERIAL_MAX];

	if (!on_postgres())
		skip();
	enrol(u->ctx, "phone", NULL, &e);
	proxy_ctx(u);
	rp.device = e.device.id;
	pgproxy_arm(&u->proxy, "arm-commit", "INSERT INTO certificates");
	assert_int_equal(byod_device_renew(u->pctx, &rp, &r, &err), -ENOTCONN);
	assert_non_null(strstr(err.msg, "renewal of device"));
	assert_int_equal(byod_unsettled_count(u->ctx), 1);
	noted_serial(u, serial, sizeof(serial));
	assert_int_equal(reg_cert_get(u->ctx->reg, serial, &c, &err), 0);
	assert_string_equal(c.replaces, e.cert.serial);
	assert_int_equal(c.state, REG_CERT_VALID);

	assert_int_equal(byod_unsettled_settle(u->pctx, &err), 0);
	assert_int_equal(reg_cert_get(u->ctx->reg, serial, &c, &err), 0);
	assert_int_equal(c.state, REG_CERT_REVOKED);
	assert_int_equal(c.reason, REG_REASON_SUPERSEDED);
	assert_int_equal(reg_cert_get(u->ctx->reg, e.cert.serial, &c, &err), 0);
	assert_int_equal(c.state, REG_CERT_VALID);
	assert_int_equal(reg_device_get(u->ctx->reg, e.device.id, &d, &err), 0);
	assert_int_equal(d.state, BYOD_DEVICE_ACTIVE);
	assert_int_equal(d.expires, c.not_after);
	byod_enrolment_clear(&e);
}

/* PostgreSQL: a revocation whose COMMIT answer is lost is checked and
 * reported done; one whose COMMIT is lost is run again. */
static void test_revoke_commit_lost(void **state)
{
	struct ufx *u = *state;
	struct byod_enrolment a, b;
	struct reg_device d;
	struct byod_err err;
	char fired[64];

	if (!on_postgres())
		skip();
	enrol(u->ctx, "phone", NULL, &a);
	enrol(u->ctx, "laptop", NULL, &b);
	proxy_ctx(u);
	pgproxy_arm(&u->proxy, "arm-commit", "UPDATE certificates");
	if (byod_device_revoke(u->pctx, a.device.id, REG_REASON_KEY_COMPROMISE, BYOD_DEVICE_REVOKED,
			       &d, &err))
		fail_msg("revoke (answer lost): %s", err.msg);
	assert_int_equal(d.state, BYOD_DEVICE_REVOKED);
	pgproxy_arm(&u->proxy, "arm-commit-before", "UPDATE certificates");
	if (byod_device_revoke(u->pctx, b.device.id, REG_REASON_KEY_COMPROMISE, BYOD_DEVICE_REVOKED,
			       &d, &err))
		fail_msg("revoke (commit lost): %s", err.msg);
	assert_int_equal(reg_device_get(u->ctx->reg, b.device.id, &d, &err), 0);
	assert_int_equal(d.state, BYOD_DEVICE_REVOKED);
	pgproxy_fired(&u->proxy, fired, sizeof(fired));
	assert_string_equal(fired, "after\nbefore\n");
	byod_enrolment_clear(&a);
	byod_enrolment_clear(&b);
}

/* PostgreSQL: the registry stays away: -ENOTCONN, the sentence says it
 * will be retried, and the next settlement does it. */
static void test_revoke_stays_unknown(void **state)
{
	struct ufx *u = *state;
	struct byod_enrolment a;
	struct reg_device d;
	struct byod_err err;
	char path[1100];
	FILE *f;

	if (!on_postgres())
		skip();
	enrol(u->ctx, "phone", NULL, &a);
	proxy_ctx(u);
	pgproxy_arm(&u->proxy, "arm-commit-before", "UPDATE certificates");
	/* the proxy refuses every new connection once this one is cut */
	snprintf(path, sizeof(path), "%s/down", u->proxy.dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(byod_device_revoke(u->pctx, a.device.id, REG_REASON_KEY_COMPROMISE,
					    BYOD_DEVICE_REVOKED, NULL, &err),
			 -ENOTCONN);
	assert_non_null(strstr(err.msg, "may not be recorded yet; it will be retried"));
	assert_int_equal(byod_unsettled_count(u->ctx), 1);
	pgproxy_disarm(&u->proxy, "down");
	assert_int_equal(byod_unsettled_settle(u->pctx, &err), 0);
	assert_int_equal(reg_device_get(u->ctx->reg, a.device.id, &d, &err), 0);
	assert_int_equal(d.state, BYOD_DEVICE_REVOKED);
	byod_enrolment_clear(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_settle_enrolment_written, usetup, uteardown),
		cmocka_unit_test_setup_teardown(test_settle_enrolment_absent, usetup, uteardown),
		cmocka_unit_test_setup_teardown(test_settle_renewal, usetup, uteardown),
		cmocka_unit_test_setup_teardown(test_settle_revocation_and_bad_lines, usetup,
						uteardown),
		cmocka_unit_test_setup_teardown(test_enrol_settles_first, usetup, uteardown),
		cmocka_unit_test_setup_teardown(test_enrol_commit_lost, usetup, uteardown),
		cmocka_unit_test_setup_teardown(test_renew_commit_lost, usetup, uteardown),
		cmocka_unit_test_setup_teardown(test_revoke_commit_lost, usetup, uteardown),
		cmocka_unit_test_setup_teardown(test_revoke_stays_unknown, usetup, uteardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
