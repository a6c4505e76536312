// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the dashboard's figures (core/dashboard.c) against a
 * registry the test fills with a scripted morning at a collège: pupils
 * and a teacher enrol devices over the last days and this morning, one
 * device is suspended and one owner disabled, certificates come close to
 * their end, two access points send accounting and one of them stops.
 * Every figure is checked against what the script did: devices by
 * segment under the school's policy and by state, enrolments per local
 * day, certificates ending, the silent access point flagged, the CRL's
 * age (and its absence flagged), and the département's table. The
 * folding of RADIUS decision counts and daemon heartbeats is checked on
 * its own. SQLite, or PostgreSQL with BYOD_TEST_REGISTRY.
 */
#define _GNU_SOURCE /* nftw (rmtree.h) */
#include "registry_fixture.h"

#include "byod.h"
#include "byod_dashboard.h"
#include "rmtree.h"

/* Wednesday 3 December 2025, 11:00 in Paris (10:00 UTC) */
#define AT	  1764756000
#define TODAY	  1764716400 /* 00:00 in Paris, 3 December */
#define YESTERDAY 1764630000 /* 00:00 in Paris, 2 December */
#define DAY	  86400

struct dfx {
	struct fx *f; /* the registry fixture: a fresh SQLite file or PostgreSQL schema */
	char dir[512], home[600];
	struct byod_ctx *ctx;
};

static const char policy_yaml[] =
	"segments:\n"
	"  registration: { vlan: 10, subnet: 10.10.0.0/22, allow: [portal, dns, dhcp] }\n"
	"  eleves: { vlan: 20, subnet: 10.20.0.0/16, allow: [dns, dhcp] }\n"
	"  profs: { vlan: 30, subnet: 10.30.0.0/16, allow: [dns, dhcp] }\n"
	"services:\n"
	"  portal: { to: [10.0.0.2], ports: [tcp/80, tcp/443] }\n"
	"rules:\n"
	"  - name: teachers\n"
	"    match: { role: teacher }\n"
	"    segment: profs\n"
	"  - name: pupils\n"
	"    match: { role: student }\n"
	"    segment: eleves\n"
	"default: registration\n";

/* A state directory (its byod.conf and CA), with the registry pointed at
 * the fixture's database. */
static int dsetup(void **state)
{
	const char *base = getenv("BYOD_TEST_TMP");
	struct byod_init_params p = {.uai = "0131234W", .name = "Home", .yescrypt_cost = 1};
	struct byod_conf conf;
	struct byod_err err;
	struct dfx *d = calloc(1, sizeof(*d));
	void *fs = NULL;
	int rc;

	if (!d)
		return -1;
	setenv("TZ", "Europe/Paris", 1);
	tzset();
	if (setup(&fs))
		return -1;
	d->f = fs;
	snprintf(d->dir, sizeof(d->dir), "%s/dash.XXXXXX", base ? base : "/tmp");
	if (!mkdtemp(d->dir))
		return -1;
	snprintf(d->home, sizeof(d->home), "%s/home", d->dir);
	if (byod_home_init(d->home, &p, &err) || byod_conf_load_home(&conf, d->home, &err)) {
		fprintf(stderr, "init: %s\n", err.msg);
		return -1;
	}
	rc = on_postgres() ? byod_conf_set(&conf, "registry.url", d->f->path, &err)
			   : byod_conf_set(&conf, "registry.path", d->f->path, &err);
	if (!rc)
		rc = byod_open_conf(&conf, "test", &d->ctx, &err);
	byod_conf_free(&conf);
	if (rc) {
		fprintf(stderr, "open: %s\n", err.msg);
		return -1;
	}
	*state = d;
	return 0;
}

static int dteardown(void **state)
{
	struct dfx *d = *state;
	void *fs = d->f;
	int rc;

	byod_close(d->ctx);
	rc = test_rmtree(d->dir);
	teardown(&fs);
	free(d);
	return rc ? -1 : 0;
}

static struct reg *R(struct dfx *d)
{
	return d->ctx->reg;
}

static int64_t person(struct dfx *d, const char *login, const char *school, enum byod_role role)
{
	struct reg_person p;
	struct byod_err err;

	fill_person(&p, login, school);
	p.role = role;
	assert_int_equal(reg_person_add(R(d), &p, &err), 0);
	return p.id;
}

/* A device enrolled at created, with a certificate valid until not_after. */
static void device(struct dfx *d, int64_t owner, const char *name, const char *mac, time_t created,
		   time_t not_after, struct reg_device *out)
{
	struct byod_err err;
	struct reg_cert c;
	char sql[256];
	raw_db *db;

	fill_device(out, owner, name, mac);
	out->expires = AT + 365 * DAY;
	assert_int_equal(reg_device_add(R(d), out, &err), 0);
	db = raw_open(d->f->path);
	snprintf(sql, sizeof(sql), "UPDATE devices SET created = %lld WHERE id = '%s'",
		 (long long)created, out->id);
	raw_exec(db, sql);
	raw_close(db);
	memset(&c, 0, sizeof(c));
	snprintf(c.serial, sizeof(c.serial), "%x", (unsigned)(created & 0xffffff) + 0x1000000);
	snprintf(c.device, sizeof(c.device), "%s", out->id);
	c.not_before = created;
	c.not_after = not_after;
	c.state = REG_CERT_VALID;
	assert_int_equal(reg_cert_add(R(d), &c, &err), 0);
}

static void record(struct dfx *d, enum reg_acct_type type, const char *sid, const char *nas_ip,
		   const char *nas_id, const char *mac, time_t when)
{
	struct byod_err err;
	struct reg_session s;

	memset(&s, 0, sizeof(s));
	snprintf(s.session_id, sizeof(s.session_id), "%s", sid);
	snprintf(s.nas_ip, sizeof(s.nas_ip), "%s", nas_ip);
	snprintf(s.nas_id, sizeof(s.nas_id), "%s", nas_id);
	snprintf(s.mac, sizeof(s.mac), "%s", mac);
	if (type == REG_ACCT_START)
		s.started = when;
	else if (type == REG_ACCT_STOP)
		s.stopped = when;
	else
		s.updated = when;
	assert_int_equal(reg_session_record(R(d), type, &s, &err), 0);
}

static void decision(struct dfx *d, const char *school, time_t minute, const char *segment,
		     const char *reason, int64_t count)
{
	struct reg_decision_count c;
	struct byod_err err;

	memset(&c, 0, sizeof(c));
	snprintf(c.school, sizeof(c.school), "%s", school);
	c.minute = minute - minute % 60;
	snprintf(c.node, sizeof(c.node), "rad-1");
	snprintf(c.segment, sizeof(c.segment), "%s", segment);
	snprintf(c.reason, sizeof(c.reason), "%s", reason);
	c.count = count;
	assert_int_equal(reg_decision_add(R(d), &c, 1, &err), 0);
}

static void heartbeat(struct dfx *d, const char *component, const char *node, const char *school,
		      time_t seen, int64_t feed_seq)
{
	struct reg_heartbeat hb;
	struct byod_err err;

	memset(&hb, 0, sizeof(hb));
	snprintf(hb.component, sizeof(hb.component), "%s", component);
	snprintf(hb.node, sizeof(hb.node), "%s", node);
	snprintf(hb.school, sizeof(hb.school), "%s", school);
	hb.seen = seen;
	hb.feed_seq = feed_seq;
	snprintf(hb.detail, sizeof(hb.detail), "running");
	assert_int_equal(reg_heartbeat_put(R(d), &hb, &err), 0);
}

/* The change feed as the script's morning had it: every change made 10
 * minutes before AT (they were written at the real clock's time). */
static void daemons(struct dfx *d)
{
	struct byod_err err;
	int64_t last;
	raw_db *db;
	char sql[128];

	assert_int_equal(reg_events_last(R(d), &last, &err), 0);
	assert_true(last > 3);
	db = raw_open(d->f->path);
	snprintf(sql, sizeof(sql), "UPDATE events SET time = %lld", (long long)(AT - 600));
	raw_exec(db, sql);
	raw_close(db);
	heartbeat(d, "gatewayd", "gw-a", UAI_A, AT - 20, last);
	heartbeat(d, "gatewayd", "gw-a2", UAI_A, AT - 30, last - 3);
	heartbeat(d, "radius", "rad-1", "", AT - 900, last);
	heartbeat(d, "gatewayd", "gw-b", UAI_B, AT - 10, last);
}

static void apply_policy(struct dfx *d)
{
	struct pol_errors errs;
	struct byod_err err;
	char path[700];
	int64_t v;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/policy.yaml", d->dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(policy_yaml, fp);
	fclose(fp);
	memset(&errs, 0, sizeof(errs));
	if (byod_policy_apply(d->ctx, path, "test", &v, &errs, &err))
		fail_msg("policy: %s", err.msg);
	pol_errors_free(&errs);
}

/*
 * The morning. School A: pupils lea, tom, ana, teacher mme-roux, pupil
 * max (disabled since); school B: pupil zoe.
 *   d1 lea     3 days ago          certificate for 200 days
 *   d2 tom     yesterday 11:00     certificate ends in 10 days
 *   d3 ana     today 08:10         certificate for 300 days
 *   d4 roux    today 09:30         certificate ends in 25 days
 *   d5 ana     today 10:05         suspended since
 *   d6 max     40 days ago         owner disabled
 *   e1 zoe (B) today 09:00
 * Accounting: ap-hall (10.1.0.1) carries d1 (interim 10 min ago) and d3
 * (stopped at 10:43); ap-cdi (10.1.0.2) carries d2 and fell silent at
 * 09:36 (5000 s ago) with its session open.
 * RADIUS, in A: 30 accepted at 08:05, 12 accepted at 10:50, 4 unknown
 * devices and 2 revoked certificates refused at 10:40; in B 5 accepted at
 * 10:59; 100 accepted in A yesterday at 09:00, out of the 24 hours.
 * Daemons: A's gateway gw-a up to date; A's gw-a2 three changes behind,
 * the oldest 10 minutes old; the RADIUS server of every school silent for
 * 15 minutes; B's gateway up to date.
 */
static void morning(struct dfx *d, struct reg_device *dv)
{
	struct byod_err err;
	struct reg_school s;
	int64_t lea, tom, ana, roux, max, zoe;

	memset(&s, 0, sizeof(s));
	snprintf(s.uai, sizeof(s.uai), UAI_A);
	snprintf(s.name, sizeof(s.name), "Collège Jean-Moulin");
	assert_int_equal(reg_school_add(R(d), &s, &err), 0);
	snprintf(s.uai, sizeof(s.uai), UAI_B);
	snprintf(s.name, sizeof(s.name), "Collège Louise-Michel");
	assert_int_equal(reg_school_add(R(d), &s, &err), 0);
	apply_policy(d);

	lea = person(d, "lea", UAI_A, BYOD_ROLE_STUDENT);
	tom = person(d, "tom", UAI_A, BYOD_ROLE_STUDENT);
	ana = person(d, "ana", UAI_A, BYOD_ROLE_STUDENT);
	roux = person(d, "mme-roux", UAI_A, BYOD_ROLE_TEACHER);
	max = person(d, "max", UAI_A, BYOD_ROLE_STUDENT);
	zoe = person(d, "zoe", UAI_B, BYOD_ROLE_STUDENT);

	device(d, lea, "lea", "aa:00:00:00:00:01", AT - 3 * DAY, AT + 200 * DAY, &dv[0]);
	device(d, tom, "tom", "aa:00:00:00:00:02", AT - DAY, AT + 10 * DAY, &dv[1]);
	device(d, ana, "ana", "aa:00:00:00:00:03", AT - 2 * 3600 - 50 * 60, AT + 300 * DAY, &dv[2]);
	device(d, roux, "roux", "aa:00:00:00:00:04", AT - 5400, AT + 25 * DAY, &dv[3]);
	device(d, ana, "ana-2", "aa:00:00:00:00:05", AT - 3300, AT + 300 * DAY, &dv[4]);
	device(d, max, "max", "aa:00:00:00:00:06", AT - 40 * DAY, AT + 300 * DAY, &dv[5]);
	device(d, zoe, "zoe", "bb:00:00:00:00:01", AT - 2 * 3600, AT + 300 * DAY, &dv[6]);
	assert_int_equal(reg_device_set_state(R(d), dv[4].id, BYOD_DEVICE_SUSPENDED, &err), 0);
	assert_int_equal(reg_person_set_state(R(d), "max", REG_PERSON_DISABLED, &err), 0);

	record(d, REG_ACCT_START, "h1", "10.1.0.1", "ap-hall", "aa:00:00:00:00:01", AT - 7200);
	record(d, REG_ACCT_INTERIM, "h1", "10.1.0.1", "ap-hall", "aa:00:00:00:00:01", AT - 600);
	record(d, REG_ACCT_START, "h2", "10.1.0.1", "ap-hall", "aa:00:00:00:00:03", AT - 3000);
	record(d, REG_ACCT_STOP, "h2", "10.1.0.1", "ap-hall", "aa:00:00:00:00:03", AT - 1000);
	record(d, REG_ACCT_START, "c1", "10.1.0.2", "ap-cdi", "aa:00:00:00:00:02", AT - 9000);
	record(d, REG_ACCT_INTERIM, "c1", "10.1.0.2", "ap-cdi", "aa:00:00:00:00:02", AT - 5000);

	decision(d, UAI_A, AT - 3 * 3600 + 300, "eleves", "accept", 30);
	decision(d, UAI_A, AT - 600, "eleves", "accept", 10);
	decision(d, UAI_A, AT - 600, "profs", "accept", 2);
	decision(d, UAI_A, AT - 1200, "", "unknown", 4);
	decision(d, UAI_A, AT - 1200, "", "cert-revoked", 2);
	decision(d, UAI_B, AT - 60, "eleves", "accept", 5);
	decision(d, UAI_A, AT - 25 * 3600, "eleves", "accept", 100);
	decision(d, "", AT - 300, "", "unknown", 9);
	daemons(d);
}

static int64_t segment(const struct byod_dashboard *db, const char *name)
{
	size_t i;

	for (i = 0; i < db->nsegments; i++)
		if (!strcmp(db->segments[i].name, name))
			return db->segments[i].devices;
	return 0;
}

static void test_school_morning(void **state)
{
	struct dfx *d = *state;
	struct reg_device dv[7];
	struct byod_dashboard *db = calloc(1, sizeof(*db));
	struct byod_err err;
	char path[800];
	int i;

	assert_non_null(db);
	morning(d, dv);
	assert_int_equal(byod_dashboard_school(d->ctx, NULL, UAI_A, AT, db, &err), 0);
	assert_string_equal(db->school, UAI_A);
	assert_string_equal(db->name, "Collège Jean-Moulin");
	assert_int_equal(db->people, 4);
	assert_int_equal(db->devices[BYOD_DEVICE_ACTIVE], 5);
	assert_int_equal(db->devices[BYOD_DEVICE_SUSPENDED], 1);
	assert_int_equal(db->sessions_open, 2);

	/* by segment: the pupils, the teacher, and the two refused (the
	 * suspended device, the disabled owner's) listed last */
	assert_int_equal(db->no_policy, 0);
	assert_int_equal(segment(db, "eleves"), 3);
	assert_int_equal(segment(db, "profs"), 1);
	assert_int_equal(segment(db, ""), 2);
	assert_int_equal(db->nsegments, 3);
	assert_string_equal(db->segments[0].name, "eleves");
	assert_string_equal(db->segments[2].name, "");

	/* enrolments per local day: today 3, yesterday 1, 3 days ago 1; the
	 * one 40 days ago is out of the 30 days */
	assert_int_equal(db->day_start[BYOD_DASH_DAYS - 1], TODAY);
	assert_int_equal(db->day_start[BYOD_DASH_DAYS - 2], YESTERDAY);
	assert_int_equal(db->enrolments[BYOD_DASH_DAYS - 1], 3);
	assert_int_equal(db->enrolments[BYOD_DASH_DAYS - 2], 1);
	assert_int_equal(db->enrolments[BYOD_DASH_DAYS - 4], 1);
	assert_int_equal(db->enrolments_total, 5);
	for (i = 0; i < BYOD_DASH_DAYS - 4; i++)
		assert_int_equal(db->enrolments[i], 0);

	/* certificates ending within 30 days, soonest first */
	assert_int_equal(db->certs_ending, 2);
	assert_string_equal(db->certs[0].device, dv[1].id);
	assert_string_equal(db->certs[0].owner_login, "tom");
	assert_string_equal(db->certs[1].device, dv[3].id);

	/* the access points: ap-cdi silent for 5000 s, flagged */
	assert_int_equal(db->nnas, 2);
	assert_string_equal(db->nas[0].nas_id, "ap-hall");
	assert_int_equal(db->nas[0].last, AT - 600);
	assert_int_equal(db->nas[0].silent, 0);
	assert_string_equal(db->nas[1].nas_id, "ap-cdi");
	assert_int_equal(db->nas[1].last, AT - 5000);
	assert_int_equal(db->nas[1].silent, 1);
	assert_int_equal(db->nas_silent, 1);

	/* authentications over the 24 hours, by hour and reason */
	assert_int_equal(db->hour0, AT - 23 * 3600);
	assert_int_equal(db->accepted[20], 30);
	assert_int_equal(db->accepted[22], 12);
	assert_int_equal(db->refused[22], 6);
	assert_int_equal(db->accepted_total, 42);
	assert_int_equal(db->refused_total, 6);
	assert_int_equal(db->refused_by[BYOD_DASH_UNKNOWN], 4);
	assert_int_equal(db->refused_by[BYOD_DASH_CERT_REVOKED], 2);
	for (i = 0; i < BYOD_DASH_HOURS; i++)
		if (i != 20 && i != 22)
			assert_int_equal(db->accepted[i] + db->refused[i], 0);

	/* the daemons A sees: its two gateways and the RADIUS server of
	 * every school, not B's gateway; gw-a2 lags, rad-1 is silent */
	assert_int_equal(db->ngateways, 3);
	for (i = 0; i < (int)db->ngateways; i++) {
		const struct byod_dash_gateway *g = &db->gateways[i];

		assert_string_not_equal(g->node, "gw-b");
		if (!strcmp(g->node, "gw-a")) {
			assert_int_equal(g->lag, 0);
			assert_int_equal(g->stale + g->late, 0);
		} else if (!strcmp(g->node, "gw-a2")) {
			assert_int_equal(g->lag, 3);
			assert_int_equal(g->lag_s, 600);
			assert_int_equal(g->late, 1);
			assert_int_equal(g->stale, 0);
		} else {
			assert_string_equal(g->node, "rad-1");
			assert_int_equal(g->stale, 1);
		}
	}
	assert_int_equal(db->gateways_flagged, 2);

	/* the CRL byod_home_init issued, read from its file */
	assert_int_equal(db->crl_missing, 0);
	assert_true(db->crl_this_update > AT);
	assert_true(db->crl_next_update > db->crl_this_update);
	assert_int_equal(db->crl_late, 0);
	assert_int_equal(db->flags, 3);

	/* ap-cdi speaks again, gw-a2 catches up: no longer flagged */
	record(d, REG_ACCT_INTERIM, "c1", "10.1.0.2", "ap-cdi", "aa:00:00:00:00:02", AT - 60);
	heartbeat(d, "gatewayd", "gw-a2", UAI_A, AT - 5, db->feed_last);
	assert_int_equal(byod_dashboard_school(d->ctx, NULL, UAI_A, AT, db, &err), 0);
	assert_int_equal(db->nas_silent, 0);
	assert_int_equal(db->gateways_flagged, 1);
	assert_int_equal(db->flags, 1);

	/* without the CRL: flagged */
	snprintf(path, sizeof(path), "%s/pki/crl.pem", d->home);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(byod_dashboard_school(d->ctx, NULL, UAI_A, AT, db, &err), 0);
	assert_int_equal(db->crl_missing, 1);
	assert_int_equal(db->crl_late, 1);
	assert_int_equal(db->flags, 2);

	/* school B: its own figures only */
	assert_int_equal(byod_dashboard_school(d->ctx, NULL, UAI_B, AT, db, &err), 0);
	assert_int_equal(db->accepted_total, 5);
	assert_int_equal(db->refused_total, 0);
	assert_int_equal(db->ngateways, 2); /* gw-b, rad-1 */
	assert_int_equal(db->people, 1);
	assert_int_equal(db->devices[BYOD_DEVICE_ACTIVE], 1);
	assert_int_equal(segment(db, "eleves"), 1);
	assert_int_equal(db->enrolments_total, 1);
	assert_int_equal(db->nnas, 0);
	assert_int_equal(db->certs_ending, 0);

	/* a scope without A: A is not there, as a school that is not */
	{
		struct reg_scope only_b = {0, UAI_B};

		assert_int_equal(byod_dashboard_school(d->ctx, &only_b, UAI_A, AT, db, &err),
				 -ENOENT);
		assert_int_equal(byod_dashboard_school(d->ctx, &only_b, UAI_B, AT, db, &err), 0);
	}

	/* no such school */
	assert_int_equal(byod_dashboard_school(d->ctx, NULL, "0000001X", AT, db, &err), -ENOENT);
	assert_int_equal(byod_dashboard_school(d->ctx, NULL, "nope", AT, db, &err), -EINVAL);
	free(db);
}

static void test_departement_lines(void **state)
{
	struct reg_scope only_b = {0, UAI_B};
	struct dfx *d = *state;
	int64_t unknown = -1;
	struct reg_device dv[7];
	struct byod_dash_line *l = NULL;
	struct byod_err err;
	size_t n = 0;

	morning(d, dv);
	assert_int_equal(byod_dashboard_lines(d->ctx, NULL, AT, &l, &n, &unknown, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(l[0].school, UAI_A);
	assert_string_equal(l[0].name, "Collège Jean-Moulin");
	assert_int_equal(l[0].people, 4);
	assert_int_equal(l[0].devices[BYOD_DEVICE_ACTIVE], 5);
	assert_int_equal(l[0].sessions_open, 2);
	assert_int_equal(l[0].enrolments, 5);
	assert_int_equal(l[0].certs_ending, 2);
	assert_int_equal(l[0].nas, 2);
	assert_int_equal(l[0].nas_silent, 1);
	assert_int_equal(l[0].accepted, 42);
	assert_int_equal(l[0].refused, 6);
	assert_int_equal(l[0].gateways, 3);
	assert_int_equal(l[0].gateways_flagged, 2);
	assert_int_equal(l[0].flags, 3);
	assert_string_equal(l[1].school, UAI_B);
	assert_int_equal(l[1].enrolments, 1);
	assert_int_equal(l[1].nas, 0);
	assert_int_equal(l[1].accepted, 5);
	assert_int_equal(l[1].gateways, 2);
	assert_int_equal(l[1].gateways_flagged, 1); /* rad-1, silent */
	assert_int_equal(l[1].flags, 1);
	/* the unknown devices refused, of no school: on no school's line */
	assert_int_equal(unknown, 9);
	free(l);

	/* a scope of one school: that one only, and no device of no school */
	assert_int_equal(byod_dashboard_lines(d->ctx, &only_b, AT, &l, &n, &unknown, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(l[0].school, UAI_B);
	assert_int_equal(unknown, 0);
	free(l);
}

/* RADIUS decision counts (one row per school and minute) fold into the
 * last 24 hours: accepted and refused per hour, refusals by reason; a
 * row before the period or after the instant is left out. */
static void test_fold_decisions(void **state)
{
	struct byod_dashboard *db = calloc(1, sizeof(*db));

	(void)state;
	assert_non_null(db);
	byod_dashboard_period(db, AT + 1800); /* 11:30 */
	assert_int_equal(db->hour0, AT - 23 * 3600);
	byod_dashboard_add_decision(db, AT + 60, "eleves", "accept", 40);
	byod_dashboard_add_decision(db, AT + 1200, "profs", "accept", 2);
	byod_dashboard_add_decision(db, AT + 120, "", "cert-revoked", 3);
	byod_dashboard_add_decision(db, AT - 3600, "", "unknown", 7);
	byod_dashboard_add_decision(db, AT - 3600 + 59 * 60, "", "rule", 1);
	byod_dashboard_add_decision(db, AT - 23 * 3600, "eleves", "accept", 5); /* the first hour */
	byod_dashboard_add_decision(db, AT - 23 * 3600 - 60, "eleves", "accept", 100); /* before */
	byod_dashboard_add_decision(db, AT + 3600, "eleves", "accept", 100);	       /* after */
	byod_dashboard_add_decision(db, AT, "", "something-new", 2);
	assert_int_equal(db->accepted[23], 42);
	assert_int_equal(db->refused[23], 5);
	assert_int_equal(db->refused[22], 8);
	assert_int_equal(db->accepted[0], 5);
	assert_int_equal(db->accepted_total, 47);
	assert_int_equal(db->refused_total, 13);
	assert_int_equal(db->refused_by[BYOD_DASH_CERT_REVOKED], 3);
	assert_int_equal(db->refused_by[BYOD_DASH_UNKNOWN], 7);
	assert_int_equal(db->refused_by[BYOD_DASH_RULE], 1);
	assert_int_equal(db->refused_by[BYOD_DASH_OTHER], 2);
	assert_string_equal(byod_dash_reason_name(BYOD_DASH_OWNER_DISABLED), "owner-disabled");
	free(db);
}

/* A daemon's heartbeat: stale when not heard for 3 minutes, late when
 * the oldest change it has not applied is over a minute old. */
static void test_fold_heartbeats(void **state)
{
	struct byod_dashboard *db = calloc(1, sizeof(*db));

	(void)state;
	assert_non_null(db);
	byod_dashboard_period(db, AT);
	db->feed_last = 120;
	byod_dashboard_add_heartbeat(db, "byod-gatewayd", "gw-1", UAI_A, AT - 10, 120, "ok", 0);
	byod_dashboard_add_heartbeat(db, "byod-gatewayd", "gw-2", UAI_A, AT - 5, 100, "", AT - 300);
	byod_dashboard_add_heartbeat(db, "rlm_byod", "rad-1", "", AT - 600, 120, "", 0);
	byod_dashboard_add_heartbeat(db, "byod-gatewayd", "gw-3", UAI_A, AT - 5, 119, "", AT - 20);
	byod_dashboard_flag(db);
	assert_int_equal(db->ngateways, 4);
	assert_int_equal(db->gateways[0].lag, 0);
	assert_int_equal(db->gateways[0].late + db->gateways[0].stale, 0);
	assert_int_equal(db->gateways[1].lag, 20);
	assert_int_equal(db->gateways[1].lag_s, 300);
	assert_int_equal(db->gateways[1].late, 1);
	assert_int_equal(db->gateways[2].stale, 1);
	assert_int_equal(db->gateways[3].lag, 1);
	assert_int_equal(db->gateways[3].late, 0);
	assert_int_equal(db->gateways_flagged, 2);
	assert_int_equal(db->flags, 2 + db->crl_late);
	free(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_school_morning, dsetup, dteardown),
		cmocka_unit_test_setup_teardown(test_departement_lines, dsetup, dteardown),
		cmocka_unit_test(test_fold_decisions),
		cmocka_unit_test(test_fold_heartbeats),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
