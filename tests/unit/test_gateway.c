// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for byod-gatewayd's engine (gateway/gateway.c) in its dry-run
 * mode (no nftables, no NAS): what it admits and quarantines as accounting
 * sessions start and stop, devices are revoked, suspended and resumed,
 * accounts disabled, a revoked phone's MAC enrolled again, a schedule
 * closes (re-evaluation at a later instant) and a policy is applied; which
 * sessions it would disconnect. Each school's policy (its own, or the
 * département's default) deciding its devices; a teacher's unlock moving
 * exactly its group's sessions at its start and back at its end (the clock
 * past it, no event); the heartbeat. The real nftables and hostapd are
 * tests/firewall/revoke.sh's.
 */
#define _GNU_SOURCE /* nftw (rmtree.h) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gateway.h"
#include "rmtree.h"

#define UAI "0131234W"
#define MAC_LEA "02:00:00:00:aa:01"
#define MAC_DUR "02:00:00:00:dd:01"
#define MAC_UNK "02:00:00:00:ff:01"

static const char policy[] =
	"segments:\n"
	"  registration: { vlan: 10, subnet: 10.10.0.0/22, allow: [portal] }\n"
	"  pupils: { vlan: 20, subnet: 10.20.0.0/16, allow: [portal] }\n"
	"  teachers: { vlan: 30, subnet: 10.30.0.0/20, allow: [portal] }\n"
	"services:\n"
	"  portal: { to: [10.0.0.2], ports: [tcp/80] }\n"
	"schedules:\n"
	"  day: { days: [mon, tue, wed, thu, fri, sat, sun], from: \"08:00\", to: \"18:00\","
	" timezone: UTC }\n"
	"rules:\n"
	"  - name: unknown\n    match: { state: unknown }\n    segment: registration\n"
	"  - name: teachers\n    match: { role: teacher }\n    segment: teachers\n"
	"  - name: pupils by day\n    match: { role: student, schedule: day }\n    segment: pupils\n"
	"  - name: pupils otherwise\n    match: { role: student }\n    action: reject\n"
	"default: registration\n";

struct fx {
	char dir[512];
	char home[600];
	struct byod_ctx *ctx;
	struct gw *gw;
	time_t now;
	int would_disconnect;
	char dev_lea[REG_ID_MAX], dev_dur[REG_ID_MAX];
	char last_disconnect_fields[1024]; /* the journal fields of the last such line */
	char started_fields[4096];	   /* those of every "session N started" line */
};

static time_t fx_clock(void *arg)
{
	return ((struct fx *)arg)->now;
}

static void fx_log(int level, const char *const fields[], const char *msg, void *arg)
{
	struct fx *fx = arg;

	char *to = NULL;
	size_t cap = 0;

	(void)level;
	if (strstr(msg, "would be disconnected")) {
		fx->would_disconnect++;
		fx->last_disconnect_fields[0] = '\0';
		to = fx->last_disconnect_fields;
		cap = sizeof(fx->last_disconnect_fields);
	} else if (strstr(msg, " started: ")) {
		to = fx->started_fields;
		cap = sizeof(fx->started_fields);
	}
	for (size_t i = 0; to && fields && fields[i]; i++) {
		size_t len = strlen(to);

		snprintf(to + len, cap - len, "%s\n", fields[i]);
	}
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	fclose(f);
}

static void apply_policy(struct fx *fx, const char *text)
{
	char path[700];
	struct pol_errors errs;
	struct byod_err err;
	int64_t version;

	snprintf(path, sizeof(path), "%s/policy.yaml", fx->dir);
	write_file(path, text);
	memset(&errs, 0, sizeof(errs));
	assert_int_equal(byod_policy_apply(fx->ctx, path, NULL, &version, &errs, &err), 0);
	pol_errors_free(&errs);
}

static void add_device_at(struct fx *fx, const char *uai, const char *login, enum byod_role role,
			  const char *mac, char *id);

static void add_device(struct fx *fx, const char *login, enum byod_role role, const char *mac,
		       char *id)
{
	add_device_at(fx, UAI, login, role, mac, id);
}

static void add_device_at(struct fx *fx, const char *uai, const char *login, enum byod_role role,
			  const char *mac, char *id)
{
	struct reg_person p = { .role = role };
	struct reg_device d = { .kind = BYOD_KIND_PHONE };
	struct byod_err err;

	snprintf(p.login, sizeof(p.login), "%s", login);
	snprintf(p.display_name, sizeof(p.display_name), "%s", login);
	snprintf(p.school, sizeof(p.school), "%s", uai);
	assert_int_equal(reg_person_add(fx->ctx->reg, &p, &err), 0);
	d.owner = p.id;
	snprintf(d.name, sizeof(d.name), "phone of %s", login);
	snprintf(d.mac, sizeof(d.mac), "%s", mac);
	assert_int_equal(reg_device_add(fx->ctx->reg, &d, &err), 0);
	snprintf(id, REG_ID_MAX, "%s", d.id);
}

static int setup(void **state)
{
	const char *base = getenv("BYOD_TEST_TMP");
	struct byod_init_params p = { .uai = UAI, .name = "Collège des Calanques",
				      .yescrypt_cost = 1 };
	struct byod_err err;
	struct fx *fx = calloc(1, sizeof(*fx));
	struct tm tm = { .tm_year = 126, .tm_mon = 10, .tm_mday = 25, .tm_hour = 10 };

	if (!fx)
		return -1;
	mkdir(base ? base : "/tmp", 0755);
	snprintf(fx->dir, sizeof(fx->dir), "%s/gw.XXXXXX", base ? base : "/tmp");
	if (!mkdtemp(fx->dir))
		return -1;
	snprintf(fx->home, sizeof(fx->home), "%s/home", fx->dir);
	if (byod_home_init(fx->home, &p, &err) || byod_open(fx->home, "test", &fx->ctx, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	fx->now = timegm(&tm); /* a Wednesday, 10:00 UTC: pupils are in */
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	int rc;

	gw_close(fx->gw);
	byod_close(fx->ctx);
	rc = test_rmtree(fx->dir);
	free(fx);
	return rc == 0 ? 0 : -1;
}

static int64_t session(struct fx *fx, enum reg_acct_type type, const char *id, const char *mac,
		       const char *ip)
{
	struct reg_session s;
	struct byod_err err;

	memset(&s, 0, sizeof(s));
	snprintf(s.session_id, sizeof(s.session_id), "%s", id);
	snprintf(s.nas_ip, sizeof(s.nas_ip), "10.0.0.5");
	snprintf(s.mac, sizeof(s.mac), "%s", mac);
	if (ip)
		snprintf(s.ip, sizeof(s.ip), "%s", ip);
	if (reg_session_record(fx->ctx->reg, type, &s, &err))
		fail_msg("%s", err.msg);
	return s.id;
}

static void step(struct fx *fx, int want_events)
{
	struct byod_err err;
	int handled = -1;

	if (gw_step(fx->gw, &handled, &err))
		fail_msg("%s", err.msg);
	/* the batches come from what changed: the whole sets agree */
	assert_int_equal(gw_verify(fx->gw), 0);
	if (want_events >= 0)
		assert_int_equal(handled, want_events);
}

static void open_gw(struct fx *fx)
{
	struct gw_options opt = { .home = fx->home, .apply = 0, .log = fx_log, .log_ctx = fx,
				  .clock = fx_clock, .clock_ctx = fx };
	struct byod_err err;

	if (gw_open(&opt, &fx->gw, &err) || gw_sync(fx->gw, &err))
		fail_msg("%s", err.msg);
}

static void test_sessions_and_devices(void **state)
{
	struct fx *fx = *state;
	struct gw_stats st;
	struct timespec t0, t1;
	char again[REG_ID_MAX];
	int64_t lea_sess;

	apply_policy(fx, policy);
	add_device(fx, "lea", BYOD_ROLE_STUDENT, MAC_LEA, fx->dev_lea);
	add_device(fx, "durand", BYOD_ROLE_TEACHER, MAC_DUR, fx->dev_dur);
	open_gw(fx);
	gw_stats(fx->gw, &st);
	assert_int_equal(st.sessions, 0);
	assert_int_equal(st.renders, 1); /* rendered once (not applied: a dry run) */

	/* accounting Start: each MAC admitted into its segment */
	lea_sess = session(fx, REG_ACCT_START, "s-lea", MAC_LEA, "10.20.0.10");
	session(fx, REG_ACCT_START, "s-dur", MAC_DUR, "10.30.0.10");
	session(fx, REG_ACCT_START, "s-unk", MAC_UNK, NULL);
	step(fx, 3);
	assert_string_equal(gw_admitted(fx->gw, MAC_LEA), "pupils");
	assert_string_equal(gw_admitted(fx->gw, MAC_DUR), "teachers");
	assert_string_equal(gw_admitted(fx->gw, MAC_UNK), "registration");
	assert_false(gw_quarantined(fx->gw, MAC_LEA));
	step(fx, 0); /* nothing new */
	/* the pupils' window closes at 18:00: the daemon evaluates then the
	 * sessions whose time it is, not a second before */
	assert_int_equal(gw_eval_due(fx->gw), fx->now + 8 * 3600);
	fx->now += 8 * 3600 - 1;
	assert_int_equal(gw_reevaluate_due(fx->gw, fx->now, NULL), 0);
	assert_string_equal(gw_admitted(fx->gw, MAC_LEA), "pupils");
	assert_int_equal(fx->would_disconnect, 0);
	fx->now += 1;
	assert_int_equal(gw_reevaluate_due(fx->gw, fx->now, NULL), 0);
	assert_int_equal(gw_verify(fx->gw), 0);
	assert_null(gw_admitted(fx->gw, MAC_LEA));
	assert_string_equal(gw_admitted(fx->gw, MAC_DUR), "teachers");
	assert_int_equal(fx->would_disconnect, 1);
	assert_int_equal(gw_eval_due(fx->gw), fx->now + 14 * 3600); /* it opens at 08:00 */
	fx->now -= 8 * 3600; /* 10:00 again */
	assert_int_equal(gw_reevaluate(fx->gw, fx->now, NULL), 0);
	assert_string_equal(gw_admitted(fx->gw, MAC_LEA), "pupils");
	fx->would_disconnect = 0;

	/* 20:00: the pupils' window closed; her session is refused and would be
	 * disconnected, the others stay */
	fx->now += 10 * 3600;
	assert_int_equal(gw_reevaluate(fx->gw, fx->now, NULL), 0);
	assert_int_equal(gw_verify(fx->gw), 0);
	assert_int_equal(gw_eval_due(fx->gw), fx->now + 12 * 3600); /* it opens at 08:00 */
	assert_null(gw_admitted(fx->gw, MAC_LEA));
	assert_false(gw_quarantined(fx->gw, MAC_LEA)); /* refused, not quarantined */
	assert_string_equal(gw_admitted(fx->gw, MAC_DUR), "teachers");
	assert_int_equal(fx->would_disconnect, 1);
	fx->now -= 10 * 3600;
	assert_int_equal(gw_reevaluate(fx->gw, fx->now, NULL), 0);
	assert_int_equal(gw_verify(fx->gw), 0);
	assert_string_equal(gw_admitted(fx->gw, MAC_LEA), "pupils");

	/* revoked: quarantined at once, out of the admitted map, disconnected;
	 * the commit ends the daemon's wait on the feed early */
	fx->would_disconnect = 0;
	assert_true(gw_wait(fx->gw, 10, NULL) >= 0);
	assert_int_equal(reg_device_set_state(fx->ctx->reg, fx->dev_dur, BYOD_DEVICE_REVOKED, NULL), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(gw_wait(fx->gw, 20000, NULL), 1); /* 1: something may have changed */
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 10);
	step(fx, 1);
	assert_true(gw_quarantined(fx->gw, MAC_DUR));
	assert_null(gw_admitted(fx->gw, MAC_DUR));
	assert_int_equal(fx->would_disconnect, 1);
	/* the line goes to the journal with the device, its MAC, its access
	 * point and the session as fields of their own */
	{
		char want[128];

		snprintf(want, sizeof(want), "BYOD_DEVICE=%s\n", fx->dev_dur);
		assert_non_null(strstr(fx->last_disconnect_fields, want));
		assert_non_null(strstr(fx->last_disconnect_fields, "BYOD_MAC=" MAC_DUR "\n"));
		assert_non_null(strstr(fx->last_disconnect_fields, "BYOD_NAS="));
		assert_non_null(strstr(fx->last_disconnect_fields, "BYOD_SESSION="));
		snprintf(want, sizeof(want), "BYOD_DEVICE=%s\n", fx->dev_lea);
		assert_non_null(strstr(fx->started_fields, want));
		assert_non_null(strstr(fx->started_fields, "BYOD_MAC=" MAC_UNK "\n"));
	}

	/* Stop: evicted; a stop of a session not followed changes nothing */
	session(fx, REG_ACCT_STOP, "s-lea", MAC_LEA, NULL);
	step(fx, 1);
	assert_null(gw_admitted(fx->gw, MAC_LEA));
	gw_stats(fx->gw, &st);
	assert_int_equal(st.sessions, 2);
	(void)lea_sess;

	/* a disabled account: every device of it is quarantined, even offline */
	assert_int_equal(reg_person_set_state(fx->ctx->reg, "lea", REG_PERSON_DISABLED, NULL), 0);
	step(fx, 1);
	assert_true(gw_quarantined(fx->gw, MAC_LEA));
	assert_int_equal(reg_person_set_state(fx->ctx->reg, "lea", REG_PERSON_ACTIVE, NULL), 0);
	step(fx, 1);
	assert_false(gw_quarantined(fx->gw, MAC_LEA));

	/* the revoked phone enrolled again (same MAC, a new active device of
	 * an active owner): not quarantined; a full sync agrees */
	add_device(fx, "durand2", BYOD_ROLE_TEACHER, MAC_DUR, again);
	assert_int_equal(reg_device_set_state(fx->ctx->reg, fx->dev_dur, BYOD_DEVICE_REVOKED, NULL),
			 0); /* no change of state: no event */
	/* (a suspended one may not share the MAC: the registry refuses a
	 * second live device with it; an event of the revoked one instead) */
	assert_int_equal(
		reg_device_set_state(fx->ctx->reg, fx->dev_dur, BYOD_DEVICE_SUSPENDED, NULL),
		-EEXIST);
	assert_int_equal(reg_device_rename(fx->ctx->reg, fx->dev_dur, "old phone", NULL), 0);
	step(fx, -1);
	assert_false(gw_quarantined(fx->gw, MAC_DUR));
	assert_int_equal(gw_sync(fx->gw, NULL), 0);
	assert_false(gw_quarantined(fx->gw, MAC_DUR));
	assert_string_equal(gw_admitted(fx->gw, MAC_UNK), "registration");

	/* the suspended device's session ends: its address leaves the
	 * quarantine (step checks the whole sets against the batches) */
	assert_int_equal(reg_device_set_state(fx->ctx->reg, again, BYOD_DEVICE_SUSPENDED, NULL), 0);
	step(fx, 1);
	assert_true(gw_quarantined(fx->gw, MAC_DUR));
	session(fx, REG_ACCT_STOP, "s-dur", MAC_DUR, NULL);
	step(fx, 1);
	gw_stats(fx->gw, &st);
	assert_int_equal(st.sessions, 1);
}

static void test_policy_apply_moves(void **state)
{
	struct fx *fx = *state;
	char moved[sizeof(policy) + 64], *at;

	apply_policy(fx, policy);
	add_device(fx, "lea", BYOD_ROLE_STUDENT, MAC_LEA, fx->dev_lea);
	add_device(fx, "durand", BYOD_ROLE_TEACHER, MAC_DUR, fx->dev_dur);
	session(fx, REG_ACCT_START, "s-lea", MAC_LEA, NULL);
	session(fx, REG_ACCT_START, "s-dur", MAC_DUR, NULL);
	open_gw(fx);
	/* the sessions open before the daemon started are followed */
	assert_string_equal(gw_admitted(fx->gw, MAC_LEA), "pupils");
	assert_string_equal(gw_admitted(fx->gw, MAC_DUR), "teachers");

	/* teachers move to registration: only durand's session is touched */
	snprintf(moved, sizeof(moved), "%s", policy);
	at = strstr(moved, "segment: teachers");
	assert_non_null(at);
	memcpy(at, "segment: registration\n", 22);
	memmove(at + 22, strstr(policy, "segment: teachers") + 18,
		strlen(strstr(policy, "segment: teachers") + 18) + 1);
	apply_policy(fx, moved);
	step(fx, 1);
	assert_string_equal(gw_admitted(fx->gw, MAC_DUR), "registration");
	assert_string_equal(gw_admitted(fx->gw, MAC_LEA), "pupils");
	assert_int_equal(fx->would_disconnect, 1);
}

/* Two schools on one registry: a gateway for the first follows its
 * devices only; the other school's sessions, revocations and people are
 * read and skipped, neither in the sets nor disconnected. */
#define UAI_B "0131234B"
#define MAC_BOB "02:00:00:00:00:b0"

static void test_one_school(void **state)
{
	struct fx *fx = *state;
	struct gw_options opt = { .home = fx->home, .apply = 0, .log = fx_log, .log_ctx = fx,
				  .clock = fx_clock, .clock_ctx = fx, .school = UAI };
	struct reg_school b = { .uai = UAI_B, .name = "Collège de l'Étoile" };
	struct gw_stats st;
	struct byod_err err;
	struct gw *other = NULL;
	char bob[REG_ID_MAX], bob2[REG_ID_MAX], zoe[REG_ID_MAX], yan[REG_ID_MAX];

	apply_policy(fx, policy);
	assert_int_equal(reg_school_add(fx->ctx->reg, &b, &err), 0);
	add_device(fx, "lea", BYOD_ROLE_STUDENT, MAC_LEA, fx->dev_lea);
	add_device(fx, "durand", BYOD_ROLE_TEACHER, MAC_DUR, fx->dev_dur);
	add_device_at(fx, UAI_B, "bob", BYOD_ROLE_TEACHER, MAC_BOB, bob);
	session(fx, REG_ACCT_START, "s-lea", MAC_LEA, NULL);
	session(fx, REG_ACCT_START, "s-bob", MAC_BOB, "10.30.0.66");
	if (gw_open(&opt, &fx->gw, &err) || gw_sync(fx->gw, &err))
		fail_msg("%s", err.msg);
	/* loaded: the school's session only */
	gw_stats(fx->gw, &st);
	assert_int_equal(st.sessions, 1);
	assert_string_equal(gw_admitted(fx->gw, MAC_LEA), "pupils");
	assert_null(gw_admitted(fx->gw, MAC_BOB));

	/* followed: a session of the other school starts, its device is
	 * revoked, its owner disabled: read, skipped, nothing changes */
	session(fx, REG_ACCT_START, "s-bob-2", MAC_BOB, "10.30.0.67");
	assert_int_equal(reg_device_set_state(fx->ctx->reg, bob, BYOD_DEVICE_REVOKED, NULL), 0);
	assert_int_equal(reg_person_set_state(fx->ctx->reg, "bob", REG_PERSON_DISABLED, NULL), 0);
	step(fx, 3);
	gw_stats(fx->gw, &st);
	assert_int_equal(st.skipped, 3);
	assert_int_equal(st.sessions, 1);
	assert_null(gw_admitted(fx->gw, MAC_BOB));
	assert_false(gw_quarantined(fx->gw, MAC_BOB));
	assert_int_equal(fx->would_disconnect, 0);
	/* and a full sync agrees */
	assert_int_equal(gw_sync(fx->gw, NULL), 0);
	assert_false(gw_quarantined(fx->gw, MAC_BOB));
	gw_stats(fx->gw, &st);
	assert_int_equal(st.sessions, 1);

	/* the school's own: followed as ever */
	session(fx, REG_ACCT_START, "s-dur", MAC_DUR, NULL);
	step(fx, 1);
	assert_string_equal(gw_admitted(fx->gw, MAC_DUR), "teachers");
	assert_int_equal(reg_device_set_state(fx->ctx->reg, fx->dev_dur, BYOD_DEVICE_REVOKED, NULL),
			 0);
	step(fx, 1);
	assert_true(gw_quarantined(fx->gw, MAC_DUR));
	assert_int_equal(fx->would_disconnect, 1);

	/* the gateway of the other school sees it the other way round */
	add_device_at(fx, UAI_B, "bob2", BYOD_ROLE_TEACHER, "02:00:00:00:00:b2", bob2);
	opt.school = UAI_B;
	if (gw_open(&opt, &other, &err) || gw_sync(other, &err))
		fail_msg("%s", err.msg);
	gw_stats(other, &st);
	assert_int_equal(st.sessions, 2);
	assert_true(gw_quarantined(other, MAC_BOB));
	assert_false(gw_quarantined(other, MAC_DUR));
	assert_null(gw_admitted(other, MAC_LEA));
	gw_close(other);
	other = NULL;

	/* a revoked device of the school whose MAC another school's active
	 * device now holds (the phone sold to a pupil there): not
	 * quarantined, though the gateway reads only its school's devices;
	 * once that one is revoked too, it is */
	add_device(fx, "zoe", BYOD_ROLE_STUDENT, "02:00:00:00:00:c1", zoe);
	assert_int_equal(reg_device_set_state(fx->ctx->reg, zoe, BYOD_DEVICE_REVOKED, NULL), 0);
	add_device_at(fx, UAI_B, "yan", BYOD_ROLE_STUDENT, "02:00:00:00:00:c1", yan);
	assert_int_equal(gw_sync(fx->gw, NULL), 0);
	assert_false(gw_quarantined(fx->gw, "02:00:00:00:00:c1"));
	assert_int_equal(reg_device_set_state(fx->ctx->reg, yan, BYOD_DEVICE_REVOKED, NULL), 0);
	assert_int_equal(gw_sync(fx->gw, NULL), 0);
	assert_true(gw_quarantined(fx->gw, "02:00:00:00:00:c1"));

	/* a UAI the registry does not know: refused in one sentence */
	opt.school = "0139999Z";
	assert_int_equal(gw_open(&opt, &other, &err), -ENOENT);
	assert_null(other);
	assert_string_equal(err.msg, "school 0139999Z is not in the registry");
}

/* ---- each school's policy, the teachers' unlocks ---- */

static const char policy_unlock[] =
	"segments:\n"
	"  registration: { vlan: 10, subnet: 10.10.0.0/22, allow: [portal] }\n"
	"  pupils: { vlan: 20, subnet: 10.20.0.0/16, allow: [portal] }\n"
	"  teachers: { vlan: 30, subnet: 10.30.0.0/20, allow: [portal] }\n"
	"services:\n"
	"  portal: { to: [10.0.0.2], ports: [tcp/80] }\n"
	"rules:\n"
	"  - name: unknown\n    match: { state: unknown }\n    segment: registration\n"
	"  - name: teachers\n    match: { role: teacher }\n    segment: teachers\n"
	"  - name: class opened\n    match: { role: student, unlock: teacher }\n"
	"    segment: pupils\n"
	"  - name: no pupils\n    match: { role: student }\n    action: reject\n"
	"default: registration\n";

/* A person of uai in groups, with one phone; its id in id (may be NULL),
 * the person's in *person (may be NULL). */
static void add_member(struct fx *fx, const char *uai, const char *login, enum byod_role role,
		       const char *groups, const char *mac, char *id, int64_t *person)
{
	struct reg_person p = { .role = role };
	struct reg_device d = { .kind = BYOD_KIND_PHONE };
	struct byod_err err;

	snprintf(p.login, sizeof(p.login), "%s", login);
	snprintf(p.school, sizeof(p.school), "%s", uai);
	snprintf(p.groups, sizeof(p.groups), "%s", groups);
	if (reg_person_add(fx->ctx->reg, &p, &err))
		fail_msg("%s", err.msg);
	d.owner = p.id;
	snprintf(d.name, sizeof(d.name), "phone of %s", login);
	snprintf(d.mac, sizeof(d.mac), "%s", mac);
	if (reg_device_add(fx->ctx->reg, &d, &err))
		fail_msg("%s", err.msg);
	if (id)
		snprintf(id, REG_ID_MAX, "%s", d.id);
	if (person)
		*person = p.id;
}

static int64_t unlock(struct fx *fx, const char *uai, const char *group, int64_t teacher,
		      int seconds)
{
	struct reg_unlock u = { .teacher = teacher, .starts = fx->now,
				.ends = fx->now + seconds };
	struct byod_err err;

	snprintf(u.school, sizeof(u.school), "%s", uai);
	snprintf(u.group, sizeof(u.group), "%s", group);
	if (reg_unlock_add(fx->ctx->reg, &u, &err))
		fail_msg("%s", err.msg);
	return u.id;
}

#define MAC_TOM "02:00:00:00:aa:02"
#define MAC_ZOE "02:00:00:00:aa:03"
#define MAC_B4B "02:00:00:00:aa:04"

/* A teacher opens 4B: exactly the sessions of 4B's pupils of that school
 * move (not 5C's, not another school's 4B, not the teacher's), at once;
 * at the unlock's end, with the clock past it and no event at all, they
 * move back; an unlock closed early (unlock.end) moves them back too; one
 * read before its start by the gateway's clock moves them at its start. */
static void test_unlock_moves_the_group(void **state)
{
	struct fx *fx = *state;
	struct reg_school b = { .uai = UAI_B, .name = "Collège de l'Étoile" };
	struct byod_err err;
	int64_t durand, id;
	time_t start;

	apply_policy(fx, policy_unlock);
	assert_int_equal(reg_school_add(fx->ctx->reg, &b, &err), 0);
	add_member(fx, UAI, "lea", BYOD_ROLE_STUDENT, "4B latin", MAC_LEA, fx->dev_lea, NULL);
	add_member(fx, UAI, "tom", BYOD_ROLE_STUDENT, "4B", MAC_TOM, NULL, NULL);
	add_member(fx, UAI, "zoe", BYOD_ROLE_STUDENT, "5C 4Bis", MAC_ZOE, NULL, NULL);
	add_member(fx, UAI_B, "bea", BYOD_ROLE_STUDENT, "4B", MAC_B4B, NULL, NULL);
	add_member(fx, UAI, "durand", BYOD_ROLE_TEACHER, "4B 5C", MAC_DUR, fx->dev_dur, &durand);
	session(fx, REG_ACCT_START, "s-lea", MAC_LEA, NULL);
	session(fx, REG_ACCT_START, "s-tom", MAC_TOM, NULL);
	session(fx, REG_ACCT_START, "s-zoe", MAC_ZOE, NULL);
	session(fx, REG_ACCT_START, "s-bea", MAC_B4B, NULL);
	session(fx, REG_ACCT_START, "s-dur", MAC_DUR, NULL);
	open_gw(fx);
	assert_null(gw_admitted(fx->gw, MAC_LEA));
	assert_null(gw_admitted(fx->gw, MAC_TOM));
	assert_string_equal(gw_admitted(fx->gw, MAC_DUR), "teachers");
	assert_int_equal(gw_next_wake(fx->gw), 0);

	start = fx->now;
	id = unlock(fx, UAI, "4B", durand, 600);
	step(fx, 1);
	assert_string_equal(gw_admitted(fx->gw, MAC_LEA), "pupils");
	assert_string_equal(gw_admitted(fx->gw, MAC_TOM), "pupils");
	assert_null(gw_admitted(fx->gw, MAC_ZOE));
	assert_null(gw_admitted(fx->gw, MAC_B4B));
	assert_string_equal(gw_admitted(fx->gw, MAC_DUR), "teachers");
	assert_int_equal(fx->would_disconnect, 2);
	/* the daemon wakes at its end */
	assert_int_equal(gw_next_wake(fx->gw), start + 600);

	/* a second before the end: nothing moves */
	fx->now = start + 599;
	step(fx, 0);
	assert_string_equal(gw_admitted(fx->gw, MAC_LEA), "pupils");
	assert_int_equal(fx->would_disconnect, 2);
	/* the end: no event, the time alone */
	fx->now = start + 600;
	step(fx, 0);
	assert_null(gw_admitted(fx->gw, MAC_LEA));
	assert_null(gw_admitted(fx->gw, MAC_TOM));
	assert_string_equal(gw_admitted(fx->gw, MAC_DUR), "teachers");
	assert_int_equal(fx->would_disconnect, 4);
	assert_int_equal(gw_next_wake(fx->gw), 0);
	(void)id;

	/* 5C opened, then closed early by the teacher */
	id = unlock(fx, UAI, "5C", durand, 3600);
	step(fx, 1);
	assert_string_equal(gw_admitted(fx->gw, MAC_ZOE), "pupils");
	assert_null(gw_admitted(fx->gw, MAC_LEA));
	assert_int_equal(fx->would_disconnect, 5);
	fx->now += 60;
	assert_int_equal(reg_unlock_end(fx->ctx->reg, id, fx->now, &err), 0);
	step(fx, 1);
	assert_null(gw_admitted(fx->gw, MAC_ZOE));
	assert_int_equal(fx->would_disconnect, 6);
	assert_int_equal(gw_next_wake(fx->gw), 0);

	/* opened on a host whose clock is 3 s ahead of the gateway's: read
	 * before its start, held, and the daemon woken at its start, when
	 * the group moves without any event */
	fx->now += 60;
	start = fx->now;
	id = unlock(fx, UAI, "4B", durand, 600); /* its start by the writer's clock */
	fx->now = start - 3;
	step(fx, 1);
	assert_null(gw_admitted(fx->gw, MAC_LEA)); /* not yet */
	assert_int_equal(fx->would_disconnect, 6);
	assert_int_equal(gw_next_wake(fx->gw), start);
	/* a whole read of the registry meanwhile (SIGHUP, a reconnection)
	 * holds it too */
	if (gw_sync(fx->gw, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(gw_next_wake(fx->gw), start);
	fx->now = start - 1;
	step(fx, 0);
	assert_null(gw_admitted(fx->gw, MAC_LEA));
	fx->now = start;
	step(fx, 0);
	assert_string_equal(gw_admitted(fx->gw, MAC_LEA), "pupils");
	assert_string_equal(gw_admitted(fx->gw, MAC_TOM), "pupils");
	assert_int_equal(fx->would_disconnect, 8);
	assert_int_equal(gw_next_wake(fx->gw), start + 600);
	/* its end */
	fx->now = start + 600;
	step(fx, 0);
	assert_null(gw_admitted(fx->gw, MAC_LEA));
	assert_int_equal(fx->would_disconnect, 10);
	/* closed by the teacher before a start still to come: never opens */
	fx->now += 10;
	id = unlock(fx, UAI, "5C", durand, 600);
	fx->now -= 5; /* the gateway's clock 5 s behind */
	step(fx, 1);
	assert_int_equal(gw_next_wake(fx->gw), fx->now + 5);
	assert_int_equal(reg_unlock_end(fx->ctx->reg, id, fx->now, &err), 0);
	step(fx, 1);
	assert_int_equal(gw_next_wake(fx->gw), 0);
	fx->now += 5;
	step(fx, 0);
	assert_null(gw_admitted(fx->gw, MAC_ZOE));
	assert_int_equal(fx->would_disconnect, 10);

	/* another school's unlock: read and skipped by a school's gateway */
	gw_close(fx->gw);
	{
		struct gw_options opt = { .home = fx->home, .apply = 0, .log = fx_log,
					  .log_ctx = fx, .clock = fx_clock, .clock_ctx = fx,
					  .school = UAI };
		struct gw_stats st;
		int64_t teacher_b;

		add_member(fx, UAI_B, "petit", BYOD_ROLE_TEACHER, "4B", "02:00:00:00:bb:0b", NULL,
			   &teacher_b);
		if (gw_open(&opt, &fx->gw, &err) || gw_sync(fx->gw, &err))
			fail_msg("%s", err.msg);
		unlock(fx, UAI_B, "4B", teacher_b, 600);
		step(fx, 1);
		gw_stats(fx->gw, &st);
		assert_int_equal(st.skipped, 1);
		assert_null(gw_admitted(fx->gw, MAC_LEA));
		assert_int_equal(gw_next_wake(fx->gw), 0);
		assert_int_equal(fx->would_disconnect, 10);
	}
}

static const char policy_school[] =
	"segments:\n"
	"  registration: { vlan: 10, subnet: 10.10.0.0/22, allow: [portal] }\n"
	"  pupils: { vlan: 20, subnet: 10.20.0.0/16, allow: [portal] }\n"
	"  teachers: { vlan: 30, subnet: 10.30.0.0/20, allow: [portal] }\n"
	"services:\n"
	"  portal: { to: [10.0.0.2], ports: [tcp/80] }\n"
	"rules:\n"
	"  - name: unknown\n    match: { state: unknown }\n    segment: registration\n"
	"  - name: pupils in the teachers' segment here\n    match: { role: student }\n"
	"    segment: teachers\n"
	"default: registration\n";

/* A school's own policy decides its devices; the département's default
 * decides another school's; a policy applied for the other school moves
 * its session only; the school back to the default moves it back. */
static void test_school_policy(void **state)
{
	struct fx *fx = *state;
	struct reg_school b = { .uai = UAI_B, .name = "Collège de l'Étoile" };
	struct byod_err err;
	int64_t v;

	apply_policy(fx, policy); /* the default: pupils by day in pupils */
	assert_int_equal(reg_school_add(fx->ctx->reg, &b, &err), 0);
	assert_int_equal(reg_policy_add_school(fx->ctx->reg, UAI, policy_school, "a.yaml", "own",
					       &v, &err),
			 0);
	add_member(fx, UAI, "lea", BYOD_ROLE_STUDENT, "4B", MAC_LEA, NULL, NULL);
	add_member(fx, UAI_B, "bea", BYOD_ROLE_STUDENT, "4B", MAC_B4B, NULL, NULL);
	session(fx, REG_ACCT_START, "s-lea", MAC_LEA, NULL);
	session(fx, REG_ACCT_START, "s-bea", MAC_B4B, NULL);
	open_gw(fx);
	assert_string_equal(gw_admitted(fx->gw, MAC_LEA), "teachers");
	assert_string_equal(gw_admitted(fx->gw, MAC_B4B), "pupils");

	/* school B gets its own: B's pupil moves, A's does not */
	assert_int_equal(reg_policy_add_school(fx->ctx->reg, UAI_B, policy_school, "b.yaml", "own",
					       &v, &err),
			 0);
	step(fx, 1);
	assert_string_equal(gw_admitted(fx->gw, MAC_B4B), "teachers");
	assert_string_equal(gw_admitted(fx->gw, MAC_LEA), "teachers");
	assert_int_equal(fx->would_disconnect, 1);

	/* school A back to the default */
	assert_int_equal(reg_policy_add_school(fx->ctx->reg, UAI, NULL, NULL, "back", &v, &err), 0);
	step(fx, 1);
	assert_string_equal(gw_admitted(fx->gw, MAC_LEA), "pupils");
	assert_string_equal(gw_admitted(fx->gw, MAC_B4B), "teachers");
	assert_int_equal(fx->would_disconnect, 2);

	/* a school's gateway renders its school's policy and decides with it */
	gw_close(fx->gw);
	{
		struct gw_options opt = { .home = fx->home, .apply = 0, .log = fx_log,
					  .log_ctx = fx, .clock = fx_clock, .clock_ctx = fx,
					  .school = UAI_B };
		char *text = NULL;

		if (gw_open(&opt, &fx->gw, &err) || gw_sync(fx->gw, &err))
			fail_msg("%s", err.msg);
		assert_string_equal(gw_admitted(fx->gw, MAC_B4B), "teachers");
		assert_null(gw_admitted(fx->gw, MAC_LEA));
		assert_int_equal(gw_ruleset(fx->gw, &text, &err), 0);
		assert_non_null(strstr(text, "seg_teachers"));
		free(text);
	}
}

/* The heartbeat: the gateway's node, school and feed position. */
static int collect_beat(const struct reg_heartbeat *h, void *arg)
{
	*(struct reg_heartbeat *)arg = *h;
	return 0;
}

static void test_heartbeat(void **state)
{
	struct fx *fx = *state;
	struct gw_options opt = { .home = fx->home, .apply = 0, .log = fx_log, .log_ctx = fx,
				  .clock = fx_clock, .clock_ctx = fx, .school = UAI,
				  .node = "gw-test" };
	struct reg_heartbeat hb;
	struct gw_stats st;
	struct byod_err err;

	apply_policy(fx, policy);
	add_device(fx, "lea", BYOD_ROLE_STUDENT, MAC_LEA, fx->dev_lea);
	session(fx, REG_ACCT_START, "s-lea", MAC_LEA, NULL);
	if (gw_open(&opt, &fx->gw, &err) || gw_sync(fx->gw, &err))
		fail_msg("%s", err.msg);
	session(fx, REG_ACCT_START, "s-lea-2", MAC_LEA, NULL);
	step(fx, 1);
	assert_int_equal(gw_heartbeat(fx->gw, &err), 0);
	memset(&hb, 0, sizeof(hb));
	assert_int_equal(reg_heartbeat_list(fx->ctx->reg, NULL, collect_beat, &hb, &err), 0);
	gw_stats(fx->gw, &st);
	assert_string_equal(hb.component, "gatewayd");
	assert_string_equal(hb.node, "gw-test");
	assert_string_equal(hb.school, UAI);
	assert_int_equal(hb.feed_seq, st.seq);
	assert_true(st.seq > 0);
	assert_int_equal(hb.seen, fx->now);
	assert_non_null(strstr(hb.detail, "2 sessions"));
}

/* The daily purge: gateway.purge yes runs byod_purge (a session past its
 * retention goes, one still inside stays); no leaves everything. */
static void test_purge(void **state)
{
	struct fx *fx = *state;
	struct byod_purge_report r;
	struct reg_session s;
	struct byod_err err;
	char path[sizeof(fx->home) + 16], *text = NULL, *at;
	size_t len = 0;
	FILE *f;
	int i;

	apply_policy(fx, policy);
	for (i = 0; i < 2; i++) {
		memset(&s, 0, sizeof(s));
		snprintf(s.session_id, sizeof(s.session_id), "old-%d", i);
		snprintf(s.nas_ip, sizeof(s.nas_ip), "10.0.0.5");
		s.started = fx->now - 400 * 86400;
		/* 365 days and a minute ago; 365 days less a minute */
		s.stopped = fx->now - 365 * 86400 + (i ? 60 : -60);
		assert_int_equal(reg_session_record(fx->ctx->reg, REG_ACCT_STOP, &s, &err), 0);
	}
	open_gw(fx);
	assert_int_equal(gw_purge(fx->gw, fx->now, &r, &err), 1);
	assert_int_equal(r.sessions, 1);
	assert_int_equal(reg_session_get(fx->ctx->reg, s.id, &s, &err), 0);
	gw_close(fx->gw);
	fx->gw = NULL;

	snprintf(path, sizeof(path), "%s/byod.conf", fx->home);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_true(getdelim(&text, &len, '\0', f) > 0);
	fclose(f);
	at = strstr(text, "  purge: yes\n");
	assert_non_null(at);
	memcpy(at, "  purge: no \n", 13);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(text);
	open_gw(fx);
	assert_int_equal(gw_purge(fx->gw, fx->now + 365 * 86400, &r, &err), 0);
	assert_int_equal(reg_session_get(fx->ctx->reg, s.id, &s, &err), 0);
}

/* The state at a scale where a scan per lookup would be 10^10 string
 * comparisons: 100,000 sessions on 50,000 MACs and 25,000 devices, each
 * found by id, MAC and device, the newest session of a MAC deciding, the
 * sets computed, half of the sessions dropped; and the keyed sets with
 * 100,000 entries. Correctness at that size, no clock. */
#define N_SESSIONS 100000

static void scale_mac(int i, char *out, size_t len)
{
	snprintf(out, len, "02:%02x:%02x:%02x:00:01", (i >> 16) & 255, (i >> 8) & 255, i & 255);
}

/* A burst of more than a batch (1,000) of events, then a revocation: the
 * step reads one batch and says more waits (the daemon steps again at
 * once, no wait would announce the rest); the next one reaches the
 * revocation. */
static void test_burst_past_a_batch(void **state)
{
	struct fx *fx = *state;
	struct byod_err err;
	char id[32];
	int i;

	apply_policy(fx, policy);
	add_device(fx, "lea", BYOD_ROLE_STUDENT, MAC_LEA, fx->dev_lea);
	add_device(fx, "durand", BYOD_ROLE_TEACHER, MAC_DUR, fx->dev_dur);
	open_gw(fx);
	session(fx, REG_ACCT_START, "s-dur", MAC_DUR, "10.30.0.10");
	step(fx, 1);
	assert_false(gw_more(fx->gw));
	assert_string_equal(gw_admitted(fx->gw, MAC_DUR), "teachers");
	/* a pupil's Wi-Fi off and on, 600 times: Start, Stop */
	assert_int_equal(reg_begin(fx->ctx->reg, &err), 0);
	for (i = 0; i < 600; i++) {
		snprintf(id, sizeof(id), "s-lea-%d", i);
		session(fx, REG_ACCT_START, id, MAC_LEA, NULL);
		session(fx, REG_ACCT_STOP, id, MAC_LEA, NULL);
	}
	assert_int_equal(reg_commit(fx->ctx->reg, &err), 0);
	assert_int_equal(reg_device_set_state(fx->ctx->reg, fx->dev_dur, BYOD_DEVICE_REVOKED, NULL), 0);
	step(fx, 1000);
	assert_true(gw_more(fx->gw));
	assert_false(gw_quarantined(fx->gw, MAC_DUR)); /* behind the first batch */
	step(fx, 201);
	assert_false(gw_more(fx->gw));
	assert_true(gw_quarantined(fx->gw, MAC_DUR));
	assert_null(gw_admitted(fx->gw, MAC_DUR));
	assert_null(gw_admitted(fx->gw, MAC_LEA));
}

static void test_state_at_scale(void **state)
{
	struct byod_fw_state st;
	struct byod_fw_sets sets;
	struct byod_fw_set set;
	struct byod_fw_session *s;
	char mac[32], dev[32];
	size_t n;
	int i;

	(void)state;
	byod_fw_state_init(&st);
	for (i = 1; i <= N_SESSIONS; i++) {
		struct reg_session row = { .id = i };

		scale_mac(i % (N_SESSIONS / 2), row.mac, sizeof(row.mac));
		snprintf(row.device, sizeof(row.device), "dev-%d", i % (N_SESSIONS / 4));
		s = byod_fw_state_add(&st, &row);
		assert_non_null(s);
		/* the older session of a MAC in "old", the newer in "new" */
		snprintf(s->segment, sizeof(s->segment), "%s", i <= N_SESSIONS / 2 ? "old" : "new");
	}
	assert_int_equal(st.nsessions, N_SESSIONS);
	for (i = 1; i <= N_SESSIONS; i += 997) {
		s = byod_fw_state_session(&st, i);
		assert_non_null(s);
		assert_int_equal(s->id, i);
	}
	assert_null(byod_fw_state_session(&st, N_SESSIONS + 1));
	for (i = 0; i < N_SESSIONS / 2; i++) {
		scale_mac(i, mac, sizeof(mac));
		assert_string_equal(byod_fw_state_segment(&st, mac), "new");
	}
	for (i = 0; i < N_SESSIONS / 4; i += 101) {
		snprintf(dev, sizeof(dev), "dev-%d", i);
		for (n = 0, s = byod_fw_state_device_sessions(&st, dev); s; s = s->dev_next, n++)
			assert_string_equal(s->row.device, dev);
		assert_int_equal(n, 4);
	}
	assert_int_equal(byod_fw_state_sets(&st, &sets), 0);
	assert_int_equal(sets.admitted.v.n, N_SESSIONS / 2);
	scale_mac(7, mac, sizeof(mac));
	assert_string_equal(byod_fw_entry_find(&sets.admitted, mac)->val, "new");
	byod_fw_sets_free(&sets);

	/* the newer half ends: the older sessions decide again */
	for (i = N_SESSIONS / 2 + 1; i <= N_SESSIONS; i++)
		assert_int_equal(byod_fw_state_drop(&st, i), 0);
	assert_int_equal(byod_fw_state_drop(&st, N_SESSIONS), -ENOENT);
	assert_int_equal(st.nsessions, N_SESSIONS / 2);
	for (i = 0; i < N_SESSIONS / 2; i += 7) {
		scale_mac(i, mac, sizeof(mac));
		assert_string_equal(byod_fw_state_segment(&st, mac), "old");
	}
	for (n = 0, s = st.first; s; s = s->next, n++)
		assert_true(s->id <= N_SESSIONS / 2);
	assert_int_equal(n, N_SESSIONS / 2);

	/* quarantined MACs, moved between devices */
	for (i = 0; i < N_SESSIONS; i++) {
		scale_mac(i, mac, sizeof(mac));
		snprintf(dev, sizeof(dev), "dev-%d", i % 1000);
		assert_int_equal(byod_fw_state_quarantine(&st, mac, dev), 0);
	}
	scale_mac(5, mac, sizeof(mac));
	assert_int_equal(byod_fw_state_quarantine(&st, mac, "dev-other"), 0);
	assert_string_equal(byod_fw_entry_find(&st.quarantine, mac)->val, "dev-other");
	assert_int_equal(st.quarantine.v.n, N_SESSIONS);
	assert_null(byod_fw_state_segment(&st, mac)); /* never a quarantined MAC */
	byod_fw_state_free(&st);

	/* a keyed set: put, find, delete from the middle */
	byod_fw_set_init(&set);
	for (i = 0; i < N_SESSIONS; i++) {
		scale_mac(i, mac, sizeof(mac));
		assert_int_equal(byod_fw_entry_put(&set, mac, i % 2 ? "odd" : "even"), 0);
	}
	for (n = set.v.n; n-- > 0;)
		if (!strcmp(BYOD_FW_SET_AT(&set, n)->val, "odd"))
			byod_fw_set_del_at(&set, n);
	assert_int_equal(set.v.n, N_SESSIONS / 2);
	for (i = 0; i < N_SESSIONS; i++) {
		struct byod_fw_entry *e;

		scale_mac(i, mac, sizeof(mac));
		e = byod_fw_entry_find(&set, mac);
		if (i % 2)
			assert_null(e);
		else
			assert_true(e && !strcmp(e->mac, mac));
	}
	assert_int_equal(byod_fw_entry_del(&set, "nope"), -ENOENT);
	byod_fw_set_free(&set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sessions_and_devices, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy_apply_moves, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_school, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unlock_moves_the_group, setup, teardown),
		cmocka_unit_test_setup_teardown(test_school_policy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_heartbeat, setup, teardown),
		cmocka_unit_test_setup_teardown(test_purge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_burst_past_a_batch, setup, teardown),
		cmocka_unit_test(test_state_at_scale),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
