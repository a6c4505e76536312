// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the RADIUS module's in-memory index (radius-module/
 * index.c) without FreeRADIUS: decisions for MAC authentication and EAP-TLS
 * from a real registry and policy, the change feed bringing a revocation and
 * a new policy in, and the behaviour while the registry cannot be read;
 * each school's policy or the default, the teachers' unlocks (and the
 * Session-Timeout they bound), and what each decision is counted under;
 * a renewal's first accept queued (seen.c) and written, which revokes the
 * certificate it replaces.
 */
#define _GNU_SOURCE /* nftw (rmtree.h) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <sqlite3.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "byod.h"
#include "byod_util.h"
#include "index.h"
#include "rmtree.h"
#include "seen.h"

struct fx {
	char dir[512], home[600];
	struct byod_ctx *ctx;
	char phone[REG_ID_MAX], serial[REG_SERIAL_MAX];
};

static void apply_policy(struct fx *fx, const char *text)
{
	struct pol_errors errs;
	struct byod_err err;
	char path[700];
	FILE *f;

	snprintf(path, sizeof(path), "%s/p.yaml", fx->dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	if (byod_policy_apply(fx->ctx, path, NULL, NULL, &errs, &err))
		fail_msg("policy: %s", err.msg);
}

static const char policy1[] = "segments:\n"
			      "  reg: { vlan: 10, subnet: 10.10.0.0/22 }\n"
			      "  pupils: { vlan: 20, subnet: 10.20.0.0/16 }\n"
			      "rules:\n"
			      "  - name: unknown\n    match: { state: unknown }\n    segment: reg\n"
			      "  - name: pupils\n    match: { role: student }\n    segment: pupils\n"
			      "default: reg\nmab-segment: reg\n";

static int setup(void **state)
{
	const char *base = getenv("BYOD_TEST_TMP");
	struct byod_init_params p = { .uai = "0131234W", .name = "Test", .yescrypt_cost = 1 };
	struct reg_person lea = { .login = "lea", .role = BYOD_ROLE_STUDENT, .school = "0131234W" };
	struct byod_enrol_params ep = { .login = "lea", .name = "phone", .kind = BYOD_KIND_PHONE,
					.mac = "02:00:00:00:aa:01" };
	struct byod_enrolment e;
	struct byod_err err;
	struct fx *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	mkdir(base ? base : "/tmp", 0755);
	snprintf(fx->dir, sizeof(fx->dir), "%s/index.XXXXXX", base ? base : "/tmp");
	if (!mkdtemp(fx->dir))
		return -1;
	snprintf(fx->home, sizeof(fx->home), "%s/home", fx->dir);
	if (byod_home_init(fx->home, &p, &err) || byod_open(fx->home, "test", &fx->ctx, &err) ||
	    byod_user_add(fx->ctx, &lea, NULL, &err) || byod_device_enrol(fx->ctx, &ep, &e, &err)) {
		fprintf(stderr, "setup: %s\n", err.msg);
		return -1;
	}
	snprintf(fx->phone, sizeof(fx->phone), "%s", e.device.id);
	snprintf(fx->serial, sizeof(fx->serial), "%s", e.cert.serial);
	byod_enrolment_clear(&e);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	int rc;

	byod_close(fx->ctx);
	rc = test_rmtree(fx->dir);
	free(fx);
	return rc ? -1 : 0;
}

static struct rad_index *open_index(struct fx *fx)
{
	struct rad_index_options o = { .home = fx->home, .registration_vlan = 99 };
	struct rad_index *ix;
	struct byod_err err;
	int degraded;

	if (rad_index_open(&o, &ix, &degraded, &err))
		fail_msg("rad_index_open: %s", err.msg);
	assert_false(degraded);
	return ix;
}

static void mab(struct rad_index *ix, const char *mac, struct rad_answer *a)
{
	struct rad_query q = { .method = RAD_METHOD_MAC, .mac = mac, .now = time(NULL),
				 .explain = true };

	rad_index_decide(ix, &q, a);
}

static void tls(struct rad_index *ix, const char *serial, struct rad_answer *a)
{
	struct rad_query q = { .method = RAD_METHOD_TLS, .serial = serial, .now = time(NULL),
				 .explain = true };

	rad_index_decide(ix, &q, a);
}

static void test_decisions(void **state)
{
	struct fx *fx = *state;
	struct rad_index *ix;
	struct rad_index_stats st;
	struct rad_answer a;
	char upper[64];
	size_t i;

	apply_policy(fx, policy1);
	ix = open_index(fx);
	rad_index_stats(ix, &st);
	assert_int_equal(st.devices, 1);
	assert_int_equal(st.certs, 1);
	assert_int_equal(st.people, 1);
	assert_int_equal(st.policy_version, 1);
	assert_true(st.bytes > 0);

	/* every common MAC form finds the phone; it holds a certificate, so
	 * by MAC it lands in mab-segment, not with the pupils */
	mab(ix, "02-00-00-00-AA-01", &a);
	assert_true(a.accept);
	assert_int_equal(a.vlan, 10);
	assert_true(a.known);
	assert_string_equal(a.device, fx->phone);
	assert_string_equal(a.rule, "mab-segment");
	mab(ix, "0200.0000.aa01", &a);
	assert_true(a.known);
	assert_int_equal(a.vlan, 10);
	mab(ix, "02000000AA01", &a);
	assert_true(a.known);
	assert_int_equal(a.vlan, 10);
	/* unknown: the policy's unknown rule */
	mab(ix, "02:00:00:00:cc:99", &a);
	assert_true(a.accept);
	assert_int_equal(a.vlan, 10);
	assert_false(a.known);
	assert_string_equal(a.rule, "unknown");
	/* not a MAC */
	mab(ix, "not-a-mac", &a);
	assert_false(a.accept);

	/* EAP-TLS by serial, as FreeRADIUS or openssl print it */
	tls(ix, fx->serial, &a);
	assert_true(a.accept);
	assert_int_equal(a.vlan, 20);
	assert_true(a.session_timeout > 0); /* the certificate's end */
	snprintf(upper, sizeof(upper), "00%s", fx->serial);
	for (i = 0; upper[i]; i++)
		upper[i] = (char)toupper((unsigned char)upper[i]);
	tls(ix, upper, &a);
	assert_true(a.accept);
	tls(ix, "abcdef0123", &a);
	assert_false(a.accept);
	assert_non_null(strstr(a.reason, "not in the registry"));

	/* the MAC an EAP-TLS accept came from leads accounting to its certificate */
	assert_int_equal(rad_index_serial_for_mac(ix, "02:00:00:00:dd:01", upper, sizeof(upper)),
			 -ENOENT);
	rad_index_remember(ix, "02-00-00-00-DD-01", fx->serial);
	assert_int_equal(rad_index_serial_for_mac(ix, "0200.0000.dd01", upper, sizeof(upper)), 0);
	assert_string_equal(upper, fx->serial);

	/* suspension refuses, whatever the policy says; resuming lets it in */
	assert_int_equal(reg_device_set_state(fx->ctx->reg, fx->phone, BYOD_DEVICE_SUSPENDED, NULL),
			 0);
	assert_int_equal(rad_index_refresh(ix, NULL, NULL), 0);
	mab(ix, "02:00:00:00:aa:01", &a);
	assert_false(a.accept);
	assert_non_null(strstr(a.reason, "suspended"));
	tls(ix, fx->serial, &a);
	assert_false(a.accept);
	assert_int_equal(reg_device_set_state(fx->ctx->reg, fx->phone, BYOD_DEVICE_ACTIVE, NULL), 0);
	assert_int_equal(rad_index_refresh(ix, NULL, NULL), 0);
	tls(ix, fx->serial, &a);
	assert_true(a.accept);

	/* a disabled account: its devices are refused until it is enabled again */
	assert_int_equal(reg_person_set_state(fx->ctx->reg, "lea", REG_PERSON_DISABLED, NULL), 0);
	assert_int_equal(rad_index_refresh(ix, NULL, NULL), 0);
	tls(ix, fx->serial, &a);
	assert_false(a.accept);
	assert_non_null(strstr(a.reason, "disabled"));
	mab(ix, "02:00:00:00:aa:01", &a);
	assert_false(a.accept);
	assert_int_equal(reg_person_set_state(fx->ctx->reg, "lea", REG_PERSON_ACTIVE, NULL), 0);
	assert_int_equal(rad_index_refresh(ix, NULL, NULL), 0);
	tls(ix, fx->serial, &a);
	assert_true(a.accept);
	rad_index_free(ix);
}

static void test_change_feed(void **state)
{
	struct fx *fx = *state;
	struct rad_index *ix;
	struct rad_answer a;
	struct byod_err err;
	struct timespec t0, t1;
	int changed;

	apply_policy(fx, policy1);
	ix = open_index(fx);
	assert_int_equal(rad_index_refresh(ix, &changed, &err), 0);
	assert_int_equal(changed, 0);

	/* a new policy: pupils to VLAN 30 */
	apply_policy(fx, "segments:\n"
			 "  reg: { vlan: 10, subnet: 10.10.0.0/22 }\n"
			 "  pupils: { vlan: 30, subnet: 10.30.0.0/16 }\n"
			 "rules:\n"
			 "  - name: pupils\n    match: { role: student }\n    segment: pupils\n"
			 "default: reg\n");
	tls(ix, fx->serial, &a);
	assert_int_equal(a.vlan, 20); /* memory until the feed is read */
	assert_int_equal(rad_index_refresh(ix, &changed, &err), 0);
	assert_int_equal(changed, 1);
	tls(ix, fx->serial, &a);
	assert_int_equal(a.vlan, 30);

	/* the first wait says "may have changed" (it cannot know what came
	 * before it); then nothing: 0 at the timeout, no read wanted */
	assert_int_equal(rad_index_wait(ix, 10, &err), 1);
	assert_int_equal(rad_index_wait(ix, 50, &err), 0);
	/* a revocation, which ends the follower's wait on the feed early */
	assert_int_equal(byod_device_revoke(fx->ctx, fx->phone, REG_REASON_KEY_COMPROMISE,
					    BYOD_DEVICE_REVOKED, NULL, &err),
			 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(rad_index_wait(ix, 20000, &err), 1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 10);
	assert_int_equal(rad_index_refresh(ix, &changed, &err), 0);
	assert_true(changed >= 2); /* the device and its certificate */
	assert_false(rad_index_more(ix)); /* three batches, not the fifty it may read */
	tls(ix, fx->serial, &a);
	assert_false(a.accept);
	assert_non_null(strstr(a.reason, "revoked"));
	mab(ix, "02:00:00:00:aa:01", &a);
	assert_false(a.accept); /* revoked devices never pass, whatever the policy */

	rad_index_free(ix);
}

/* More than a batch (1,000) of events the index keeps nothing of (the
 * accounting's session.start and stop, audit rows) in a row: the index's
 * place in the feed moves past them, and a revocation after them is seen
 * by the next refresh. */
static void test_feed_past_unrelated_events(void **state)
{
	struct fx *fx = *state;
	struct rad_index *ix;
	struct rad_answer a;
	struct byod_err err;
	int64_t before = 0, after = 0;
	int changed = 0;

	apply_policy(fx, policy1);
	ix = open_index(fx);
	assert_int_equal(rad_index_refresh(ix, NULL, &err), 0);
	tls(ix, fx->serial, &a);
	assert_true(a.accept);
	assert_int_equal(reg_events_last(fx->ctx->reg, &before, &err), 0);
	assert_int_equal(reg_begin(fx->ctx->reg, &err), 0);
	for (int i = 0; i < 1250; i++) { /* a pupil's Wi-Fi off and on: Start, Stop */
		struct reg_session sess;

		memset(&sess, 0, sizeof(sess));
		snprintf(sess.session_id, sizeof(sess.session_id), "s-%d", i);
		snprintf(sess.nas_ip, sizeof(sess.nas_ip), "10.0.0.1");
		snprintf(sess.mac, sizeof(sess.mac), "02:00:00:00:aa:01");
		sess.started = time(NULL) - 3600 + i;
		assert_int_equal(reg_session_record(fx->ctx->reg, REG_ACCT_START, &sess, &err), 0);
		sess.stopped = sess.started + 1;
		assert_int_equal(reg_session_record(fx->ctx->reg, REG_ACCT_STOP, &sess, &err), 0);
	}
	assert_int_equal(reg_commit(fx->ctx->reg, &err), 0);
	assert_int_equal(reg_events_last(fx->ctx->reg, &after, &err), 0);
	assert_true(after - before >= 2500); /* each is an event of the feed */
	assert_int_equal(byod_device_revoke(fx->ctx, fx->phone, REG_REASON_KEY_COMPROMISE,
					    BYOD_DEVICE_REVOKED, NULL, &err),
			 0);
	/* one refresh reads batch after batch: the follower's wait, woken
	 * once for the whole burst, would not wake again for what the first
	 * batch left behind */
	assert_int_equal(rad_index_refresh(ix, &changed, &err), 0);
	assert_true(changed >= 2); /* the device and its certificate */
	assert_false(rad_index_more(ix)); /* three batches, not the fifty it may read */
	tls(ix, fx->serial, &a);
	assert_false(a.accept);
	assert_non_null(strstr(a.reason, "revoked"));
	rad_index_free(ix);
}

/* The certificate a device holds comes and goes with the change feed:
 * once the phone's only certificate is revoked
 * (the device itself still active), the rules decide its MAB alone, and a
 * new certificate brings mab-segment back. */
static void test_mab_follows_certificates(void **state)
{
	struct fx *fx = *state;
	struct reg_cert c = { .state = REG_CERT_VALID };
	struct rad_index *ix;
	struct rad_answer a;
	struct byod_err err;
	time_t now = time(NULL);

	apply_policy(fx, "segments:\n"
			 "  registration: { vlan: 10, subnet: 10.10.0.0/22 }\n"
			 "  pupils: { vlan: 20, subnet: 10.20.0.0/16 }\n"
			 "rules:\n"
			 "  - name: pupils\n    match: { role: student }\n    segment: pupils\n"
			 "default: registration\n");
	ix = open_index(fx);
	mab(ix, "02:00:00:00:aa:01", &a);
	assert_int_equal(a.vlan, 10); /* the registration segment by default */
	assert_string_equal(a.rule, "mab-segment");
	tls(ix, fx->serial, &a);
	assert_int_equal(a.vlan, 20);

	assert_int_equal(
		reg_cert_revoke(fx->ctx->reg, fx->serial, REG_REASON_SUPERSEDED, now, &err), 0);
	assert_int_equal(rad_index_refresh(ix, NULL, &err), 0);
	mab(ix, "02:00:00:00:aa:01", &a);
	assert_true(a.accept);
	assert_int_equal(a.vlan, 20);
	assert_string_equal(a.rule, "pupils");

	snprintf(c.serial, sizeof(c.serial), "%s", "c0ffee0123456789");
	snprintf(c.device, sizeof(c.device), "%s", fx->phone);
	c.not_before = now - 60;
	c.not_after = now + 30 * 86400;
	assert_int_equal(reg_cert_add(fx->ctx->reg, &c, &err), 0);
	assert_int_equal(rad_index_refresh(ix, NULL, &err), 0);
	mab(ix, "02:00:00:00:aa:01", &a);
	assert_int_equal(a.vlan, 10);
	assert_string_equal(a.rule, "mab-segment");

	/* a device event (a rename) keeps what the device holds */
	assert_int_equal(reg_device_rename(fx->ctx->reg, fx->phone, "phone 2", &err), 0);
	assert_int_equal(rad_index_refresh(ix, NULL, &err), 0);
	mab(ix, "02:00:00:00:aa:01", &a);
	assert_int_equal(a.vlan, 10);
	rad_index_free(ix);
}

/* A certificate deleted from the registry (not revoked: a removal by hand,
 * an erasure), its event on the feed: the device no longer holds its end,
 * so that MAB is decided by the rules again and not by a certificate that
 * is gone until the date it would have expired. */
static void test_mab_after_cert_deleted(void **state)
{
	struct fx *fx = *state;
	struct rad_index *ix;
	struct rad_answer a;
	struct byod_err err;
	char db[700], sql[512];
	sqlite3 *h = NULL;

	apply_policy(fx, "segments:\n"
			 "  registration: { vlan: 10, subnet: 10.10.0.0/22 }\n"
			 "  pupils: { vlan: 20, subnet: 10.20.0.0/16 }\n"
			 "rules:\n"
			 "  - name: pupils\n    match: { role: student }\n    segment: pupils\n"
			 "default: registration\n");
	ix = open_index(fx);
	mab(ix, "02:00:00:00:aa:01", &a);
	assert_string_equal(a.rule, "mab-segment"); /* it holds a certificate */

	snprintf(db, sizeof(db), "%s/registry.db", fx->home);
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	sqlite3_busy_timeout(h, 5000);
	snprintf(sql, sizeof(sql),
		 "BEGIN IMMEDIATE; DELETE FROM certificates WHERE serial = '%s'; "
		 "INSERT INTO events (time, kind, object) VALUES (%lld, 'cert.erase', '%s'); "
		 "COMMIT;",
		 fx->serial, (long long)time(NULL), fx->serial);
	assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);

	assert_int_equal(rad_index_refresh(ix, NULL, &err), 0);
	tls(ix, fx->serial, &a);
	assert_false(a.accept);
	assert_non_null(strstr(a.reason, "not in the registry"));
	mab(ix, "02:00:00:00:aa:01", &a);
	assert_true(a.accept);
	assert_string_equal(a.rule, "pupils");
	assert_int_equal(a.vlan, 20);
	rad_index_free(ix);
}

/* ---- each school's policy, the teachers' unlocks, the counts' names ---- */

static const char policy_unlock[] =
	"segments:\n"
	"  reg: { vlan: 10, subnet: 10.10.0.0/22 }\n"
	"  pupils: { vlan: 20, subnet: 10.20.0.0/16 }\n"
	"rules:\n"
	"  - name: unknown\n    match: { state: unknown }\n    segment: reg\n"
	"  - name: class opened\n    match: { role: student, unlock: teacher }\n"
	"    segment: pupils\n"
	"  - name: no pupils\n    match: { role: student }\n    action: reject\n"
	"default: reg\nmab-segment: reg\n";

/* Adds a pupil of uai in groups with an enrolled phone; its serial. */
static void pupil(struct fx *fx, const char *login, const char *uai, const char *groups,
		  const char *mac, char *serial)
{
	struct reg_person p = { .role = BYOD_ROLE_STUDENT };
	struct byod_enrol_params ep = { .login = login, .name = "phone", .kind = BYOD_KIND_PHONE,
					.mac = mac };
	struct byod_enrolment e;
	struct byod_err err;

	snprintf(p.login, sizeof(p.login), "%s", login);
	snprintf(p.school, sizeof(p.school), "%s", uai);
	snprintf(p.groups, sizeof(p.groups), "%s", groups);
	if (byod_user_add(fx->ctx, &p, NULL, &err) || byod_device_enrol(fx->ctx, &ep, &e, &err))
		fail_msg("%s: %s", login, err.msg);
	snprintf(serial, REG_SERIAL_MAX, "%s", e.cert.serial);
	byod_enrolment_clear(&e);
}

/* An unlock whose start is still to come when the index reads it (another
 * host's clock a little ahead): held, and opened by the request's time at
 * its start, with no read of the registry then; at a load as well. */
static void test_unlock_starting_later(void **state)
{
	struct fx *fx = *state;
	struct reg_person durand = { .login = "durand", .role = BYOD_ROLE_TEACHER,
				     .school = "0131234W", .groups = "4B" };
	struct reg_unlock u = { 0 };
	struct rad_index *ix, *ix2;
	struct rad_answer a;
	struct rad_query q = { .method = RAD_METHOD_TLS, .explain = true };
	struct byod_err err;
	char tom[REG_SERIAL_MAX];
	time_t now = time(NULL);
	int64_t v;

	apply_policy(fx, policy1);
	assert_int_equal(reg_policy_add_school(fx->ctx->reg, "0131234W", policy_unlock, "a.yaml",
					       NULL, &v, &err),
			 0);
	pupil(fx, "tom", "0131234W", "4B", "02:00:00:00:aa:02", tom);
	assert_int_equal(byod_user_add(fx->ctx, &durand, NULL, &err), 0);
	ix = open_index(fx);
	q.serial = tom;

	snprintf(u.school, sizeof(u.school), "0131234W");
	snprintf(u.group, sizeof(u.group), "4B");
	u.teacher = durand.id;
	u.starts = now + 60;
	u.ends = now + 660;
	assert_int_equal(reg_unlock_add(fx->ctx->reg, &u, &err), 0);
	assert_int_equal(rad_index_refresh(ix, NULL, &err), 0);
	q.now = now;
	rad_index_decide(ix, &q, &a);
	assert_false(a.accept); /* not yet */
	q.now = now + 61;
	rad_index_decide(ix, &q, &a);
	assert_true(a.accept); /* opened at its start, nothing read since */
	assert_string_equal(a.rule, "class opened");
	/* another event of the feed keeps it */
	assert_int_equal(reg_device_rename(fx->ctx->reg, fx->phone, "phone 2", &err), 0);
	assert_int_equal(rad_index_refresh(ix, NULL, &err), 0);
	rad_index_decide(ix, &q, &a);
	assert_true(a.accept);

	/* an index loaded before its start holds it too */
	ix2 = open_index(fx);
	rad_index_decide(ix2, &q, &a);
	assert_true(a.accept);
	q.now = now + 661;
	rad_index_decide(ix2, &q, &a);
	assert_false(a.accept); /* over by its end */
	rad_index_free(ix2);

	/* closed before its start: gone */
	assert_int_equal(reg_unlock_end(fx->ctx->reg, u.id, now, &err), 0);
	assert_int_equal(rad_index_refresh(ix, NULL, &err), 0);
	q.now = now + 61;
	rad_index_decide(ix, &q, &a);
	assert_false(a.accept);
	rad_index_free(ix);
}

/* A school's own policy decides its pupils, the default another school's;
 * a teacher's unlock opens exactly its group at its school, with a
 * Session-Timeout no later than its end, until it is closed; each answer
 * says what the counts file it under. */
static void test_school_policies_and_unlocks(void **state)
{
	struct fx *fx = *state;
	struct reg_school b = { .uai = "0930001B", .name = "B" };
	struct reg_person durand = { .login = "durand", .role = BYOD_ROLE_TEACHER,
				     .school = "0131234W", .groups = "4B" };
	struct reg_unlock u = { 0 };
	char tom[REG_SERIAL_MAX], zoe[REG_SERIAL_MAX], bea[REG_SERIAL_MAX];
	struct rad_index *ix;
	struct rad_answer a;
	struct byod_err err;
	time_t now = time(NULL);
	int64_t v;

	apply_policy(fx, policy1); /* the default: pupils in pupils */
	assert_int_equal(reg_school_add(fx->ctx->reg, &b, &err), 0);
	assert_int_equal(reg_policy_add_school(fx->ctx->reg, "0131234W", policy_unlock, "a.yaml",
					       NULL, &v, &err),
			 0);
	pupil(fx, "tom", "0131234W", "4B latin", "02:00:00:00:aa:02", tom);
	pupil(fx, "zoe", "0131234W", "5C", "02:00:00:00:aa:03", zoe);
	pupil(fx, "bea", "0930001B", "4B", "02:00:00:00:aa:04", bea);
	assert_int_equal(byod_user_add(fx->ctx, &durand, NULL, &err), 0);
	ix = open_index(fx);

	tls(ix, tom, &a);
	assert_false(a.accept); /* school A: no pupil without a teacher */
	assert_string_equal(a.rule, "no pupils");
	assert_string_equal(a.counted, "rule");
	assert_string_equal(a.school, "0131234W");
	assert_string_equal(a.segment, "");
	tls(ix, bea, &a);
	assert_true(a.accept); /* school B: the default */
	assert_int_equal(a.vlan, 20);
	assert_string_equal(a.counted, "accept");
	assert_string_equal(a.school, "0930001B");
	assert_string_equal(a.segment, "pupils");

	/* durand opens 4B for 10 minutes */
	snprintf(u.school, sizeof(u.school), "0131234W");
	snprintf(u.group, sizeof(u.group), "4B");
	u.teacher = durand.id;
	u.starts = now;
	u.ends = now + 600;
	assert_int_equal(reg_unlock_add(fx->ctx->reg, &u, &err), 0);
	tls(ix, tom, &a);
	assert_false(a.accept); /* memory until the feed is read */
	assert_int_equal(rad_index_refresh(ix, NULL, &err), 0);
	tls(ix, tom, &a);
	assert_true(a.accept);
	assert_int_equal(a.vlan, 20);
	assert_string_equal(a.rule, "class opened");
	assert_true(a.session_timeout > 0 && a.session_timeout <= 600);
	mab(ix, "02:00:00:00:aa:02", &a);
	assert_int_equal(a.vlan, 10); /* by MAC: mab-segment, as ever */
	tls(ix, zoe, &a);
	assert_false(a.accept); /* 5C is not opened */
	tls(ix, bea, &a);
	assert_true(a.accept);
	assert_int_equal(a.session_timeout > 600 || a.session_timeout == 0, 1);

	/* closed early */
	assert_int_equal(reg_unlock_end(fx->ctx->reg, u.id, time(NULL), &err), 0);
	assert_int_equal(rad_index_refresh(ix, NULL, &err), 0);
	tls(ix, tom, &a);
	assert_false(a.accept);

	/* one already over by its time, whose end came without an event */
	u.id = 0;
	u.starts = now - 120;
	u.ends = now - 60;
	assert_int_equal(reg_unlock_add(fx->ctx->reg, &u, &err), 0);
	assert_int_equal(rad_index_refresh(ix, NULL, &err), 0);
	tls(ix, tom, &a);
	assert_false(a.accept);

	/* school B gets its own policy: bea follows it */
	assert_int_equal(reg_policy_add_school(fx->ctx->reg, "0930001B", policy_unlock, "b.yaml",
					       NULL, &v, &err),
			 0);
	assert_int_equal(rad_index_refresh(ix, NULL, &err), 0);
	tls(ix, bea, &a);
	assert_false(a.accept);
	assert_string_equal(a.counted, "rule");
	/* and school A goes back to the default */
	assert_int_equal(reg_policy_add_school(fx->ctx->reg, "0131234W", NULL, NULL, NULL, &v, &err),
			 0);
	assert_int_equal(rad_index_refresh(ix, NULL, &err), 0);
	tls(ix, tom, &a);
	assert_true(a.accept);
	assert_int_equal(a.vlan, 20);
	rad_index_free(ix);
}

/* What each refusal is counted under. */
static void test_counted_reasons(void **state)
{
	struct fx *fx = *state;
	struct reg_person p;
	struct rad_index *ix;
	struct rad_answer a;
	struct byod_err err;

	apply_policy(fx, policy1);
	ix = open_index(fx);
	mab(ix, "02:00:00:00:cc:01", &a);
	assert_true(a.accept);
	assert_string_equal(a.counted, "accept");
	assert_string_equal(a.school, "");
	assert_string_equal(a.segment, "reg");
	tls(ix, "abcdef0123", &a);
	assert_false(a.accept);
	assert_string_equal(a.counted, "unknown");
	mab(ix, "not a mac", &a);
	assert_string_equal(a.counted, "unknown");
	tls(ix, fx->serial, &a);
	assert_string_equal(a.counted, "accept");
	assert_string_equal(a.school, "0131234W");

	assert_int_equal(reg_person_set_state(fx->ctx->reg, "lea", REG_PERSON_DISABLED, &err), 0);
	assert_int_equal(rad_index_refresh(ix, NULL, &err), 0);
	tls(ix, fx->serial, &a);
	assert_string_equal(a.counted, "owner-disabled");
	assert_string_equal(a.school, "0131234W");
	assert_string_equal(a.segment, "");
	assert_int_equal(reg_person_set_state(fx->ctx->reg, "lea", REG_PERSON_ACTIVE, &err), 0);
	assert_int_equal(reg_device_set_state(fx->ctx->reg, fx->phone, BYOD_DEVICE_SUSPENDED, &err),
			 0);
	assert_int_equal(rad_index_refresh(ix, NULL, &err), 0);
	mab(ix, "02:00:00:00:aa:01", &a);
	assert_string_equal(a.counted, "device-state");
	assert_int_equal(reg_device_set_state(fx->ctx->reg, fx->phone, BYOD_DEVICE_ACTIVE, &err), 0);
	assert_int_equal(
		reg_cert_revoke(fx->ctx->reg, fx->serial, REG_REASON_SUPERSEDED, time(NULL), &err), 0);
	assert_int_equal(rad_index_refresh(ix, NULL, &err), 0);
	tls(ix, fx->serial, &a);
	assert_string_equal(a.counted, "cert-revoked");
	(void)p;
	rad_index_free(ix);
}

/* An owner whose leaving date has come is refused (counted as a disabled
 * owner, its own reason), the day before accepted; through the change feed. */
static void test_owner_left(void **state)
{
	struct fx *fx = *state;
	struct rad_index *ix;
	struct rad_answer a;
	struct byod_err err;
	time_t at = time(NULL) + 3600;
	struct rad_query q = { .method = RAD_METHOD_TLS, .serial = fx->serial, .explain = true };
	char when[32], want[64];

	apply_policy(fx, policy1);
	ix = open_index(fx);
	assert_int_equal(reg_person_set_leaves_at(fx->ctx->reg, "lea", at, &err), 0);
	assert_int_equal(rad_index_refresh(ix, NULL, &err), 0);
	q.now = at - 1;
	rad_index_decide(ix, &q, &a);
	assert_true(a.accept);
	q.now = at;
	rad_index_decide(ix, &q, &a);
	assert_false(a.accept);
	assert_string_equal(a.counted, "owner-disabled");
	snprintf(want, sizeof(want), "left on %s", byod_time_iso(at, when, sizeof(when)));
	assert_non_null(strstr(a.reason, want));
	/* MAC authentication of the same device, refused too */
	memset(&q, 0, sizeof(q));
	q.method = RAD_METHOD_MAC;
	q.mac = "02:00:00:00:aa:01";
	q.now = at + 60;
	rad_index_decide(ix, &q, &a);
	assert_false(a.accept);
	/* the date taken back: accepted again */
	assert_int_equal(reg_person_set_leaves_at(fx->ctx->reg, "lea", 0, &err), 0);
	assert_int_equal(rad_index_refresh(ix, NULL, &err), 0);
	q.method = RAD_METHOD_TLS;
	q.mac = NULL;
	q.serial = fx->serial;
	rad_index_decide(ix, &q, &a);
	assert_true(a.accept);
	rad_index_free(ix);
}

static void test_counted_no_policy(void **state)
{
	struct fx *fx = *state;
	struct rad_index *ix = open_index(fx);
	struct rad_answer a;

	tls(ix, fx->serial, &a);
	assert_true(a.accept);
	assert_string_equal(a.counted, "no-policy");
	assert_string_equal(a.segment, "registration");
	rad_index_free(ix);
}

static void test_no_policy(void **state)
{
	struct fx *fx = *state;
	struct rad_index *ix = open_index(fx);
	struct rad_answer a;

	mab(ix, "02:00:00:00:aa:01", &a);
	assert_true(a.accept);
	assert_int_equal(a.vlan, 99); /* the configured registration VLAN */
	assert_non_null(strstr(a.reason, "no policy"));
	rad_index_free(ix);
}

static void test_registry_unreadable(void **state)
{
	struct fx *fx = *state;
	struct rad_index_options o = { .home = fx->home, .registration_vlan = 99 };
	struct rad_index *ix;
	struct rad_answer a;
	struct byod_err err;
	char db[700], away[700];
	int degraded, changed;

	apply_policy(fx, policy1);
	byod_close(fx->ctx);
	fx->ctx = NULL;
	/* the registry's place holds something SQLite cannot open */
	snprintf(db, sizeof(db), "%s/registry.db", fx->home);
	snprintf(away, sizeof(away), "%s/registry.away", fx->home);
	assert_int_equal(rename(db, away), 0);
	assert_int_equal(mkdir(db, 0700), 0);
	assert_int_equal(rad_index_open(&o, &ix, &degraded, &err), 0);
	assert_true(degraded);
	mab(ix, "02:00:00:00:aa:01", &a);
	assert_true(a.accept);
	assert_int_equal(a.vlan, 99);
	tls(ix, fx->serial, &a);
	assert_true(a.accept);
	assert_int_equal(a.vlan, 99);
	assert_non_null(strstr(a.reason, "unreachable"));
	rad_index_free(ix);
	/* configured to refuse instead */
	o.unreachable_reject = 1;
	assert_int_equal(rad_index_open(&o, &ix, &degraded, &err), 0);
	assert_true(degraded);
	mab(ix, "02:00:00:00:aa:01", &a);
	assert_false(a.accept);
	tls(ix, fx->serial, &a);
	assert_false(a.accept);
	/* the registry comes back: the index opens it and loads by itself
	 * (without a registry, the wait always asks for a refresh) */
	assert_int_equal(rad_index_wait(ix, 10, &err), 1);
	assert_int_equal(rmdir(db), 0);
	assert_int_equal(rename(away, db), 0);
	assert_int_equal(rad_index_refresh(ix, &changed, &err), 0);
	assert_int_equal(changed, 1);
	tls(ix, fx->serial, &a);
	assert_true(a.accept);
	assert_int_equal(a.vlan, 20);
	rad_index_free(ix);

	/* with the registry readable at start, then lost: memory decides */
	ix = open_index(fx);
	assert_int_equal(rename(db, away), 0);
	tls(ix, fx->serial, &a);
	assert_true(a.accept);
	assert_int_equal(a.vlan, 20);
	assert_int_equal(rename(away, db), 0);
	assert_int_equal(rad_index_refresh(ix, &changed, &err), 0);
	rad_index_free(ix);
	assert_int_equal(byod_open(fx->home, "test", &fx->ctx, &err), 0);
}

/* A renewed certificate's first accept is flagged while the old one still
 * works, queued once (bounded), kept while the registry is away, and
 * written with reg_cert_seen: after the feed, the old one is refused and
 * the new one no longer flagged. A certificate that replaces nothing is
 * never flagged. */
static void test_renewal_first_sighting(void **state)
{
	struct fx *fx = *state;
	struct byod_renew_params rp = { .device = fx->phone, .force = 1 };
	struct rad_seen_stats st;
	struct byod_enrolment e;
	struct rad_seen *q;
	struct rad_index *ix;
	struct rad_answer a;
	struct byod_err err;
	char s2[REG_SERIAL_MAX];
	size_t written = 9;
	int changed, revoked = -1;

	apply_policy(fx, policy1);
	ix = open_index(fx);
	tls(ix, fx->serial, &a);
	assert_true(a.accept);
	assert_false(a.first_sighting); /* replaces nothing */
	if (byod_device_renew(fx->ctx, &rp, &e, &err))
		fail_msg("renew: %s", err.msg);
	snprintf(s2, sizeof(s2), "%s", e.cert.serial);
	assert_string_equal(e.replaces, fx->serial);
	assert_string_equal(e.device.id, fx->phone);
	byod_enrolment_clear(&e);
	assert_int_equal(rad_index_refresh(ix, &changed, &err), 0);

	tls(ix, fx->serial, &a);
	assert_true(a.accept); /* the old one works until the new one is seen */
	assert_false(a.first_sighting);
	tls(ix, s2, &a);
	assert_true(a.accept);
	assert_true(a.first_sighting);
	assert_string_equal(a.serial, s2);

	assert_int_equal(rad_seen_new(2, &q, &err), 0);
	rad_seen_add(q, a.serial);
	rad_seen_add(q, a.serial); /* accepted twice before the flush: once */
	rad_seen_add(q, "abcdef01");
	rad_seen_add(q, "abcdef02"); /* past the bound */
	rad_seen_stats(q, &st);
	assert_int_equal(st.queued, 2);
	assert_int_equal(st.dropped, 1);
	/* the registry away: kept */
	assert_int_equal(rad_seen_flush(q, NULL, time(NULL), &written, &revoked, &err), -ENOTCONN);
	assert_int_equal(written, 0);
	rad_seen_stats(q, &st);
	assert_int_equal(st.queued, 2);
	assert_int_equal(st.failures, 1);
	tls(ix, fx->serial, &a);
	assert_true(a.accept);
	/* written: the unknown serial is skipped, the old certificate revoked */
	assert_int_equal(rad_seen_flush(q, fx->ctx->reg, time(NULL), &written, &revoked, &err), 0);
	assert_int_equal(written, 2);
	assert_int_equal(revoked, 1);
	rad_seen_stats(q, &st);
	assert_int_equal(st.queued, 0);
	assert_int_equal(st.written, 2);
	assert_int_equal(rad_seen_flush(q, fx->ctx->reg, time(NULL), &written, &revoked, &err), 0);
	assert_int_equal(written, 0);
	rad_seen_free(q);

	assert_int_equal(rad_index_refresh(ix, &changed, &err), 0);
	assert_true(changed >= 2); /* the sighting and the supersession */
	tls(ix, fx->serial, &a);
	assert_false(a.accept);
	assert_non_null(strstr(a.reason, "revoked"));
	tls(ix, s2, &a);
	assert_true(a.accept);
	assert_false(a.first_sighting);
	rad_index_free(ix);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_decisions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_change_feed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_feed_past_unrelated_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mab_after_cert_deleted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unlock_starting_later, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mab_follows_certificates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_policy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_school_policies_and_unlocks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counted_reasons, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counted_no_policy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_owner_left, setup, teardown),
		cmocka_unit_test_setup_teardown(test_registry_unreadable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_renewal_first_sighting, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
