// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the dashboard's figures in the registry (reg_dashboard.c and
 * each backend's *_dashboard.c): two schools filled by the test, and every
 * count checked against what the test put there: people, devices by
 * state, open sessions, enrolments per hour in a period, certificates
 * ending (a renewed device left out), the last accounting of each access
 * point; bad input refused.
 */
#include "registry_fixture.h"

#define T0 1764748800 /* 2025-12-03 08:00:00 UTC */

struct world {
	int64_t lea, tom, ana, zoe;
	struct reg_device d[6];
};

static int64_t add_person_at(struct fx *f, const char *login, const char *school,
			     enum reg_person_state st)
{
	struct reg_person p;

	fill_person(&p, login, school);
	p.state = st;
	assert_int_equal(reg_person_add(f->reg, &p, &f->err), 0);
	return p.id;
}

/* created is set by reg_device_add to now: the test moves it where it
 * wants it through raw SQL. */
static void device_at(struct fx *f, int64_t owner, const char *name, const char *mac,
		      time_t created, enum byod_device_state st, struct reg_device *out)
{
	char sql[256];
	raw_db *db;

	add_device(f, owner, name, mac, out);
	db = raw_open(f->path);
	snprintf(sql, sizeof(sql), "UPDATE devices SET created = %lld WHERE id = '%.36s'",
		 (long long)created, out->id);
	raw_exec(db, sql);
	raw_close(db);
	if (st != BYOD_DEVICE_ACTIVE)
		assert_int_equal(reg_device_set_state(f->reg, out->id, st, &f->err), 0);
}

static void cert_for(struct fx *f, const char *serial, const char *device, time_t not_after)
{
	struct reg_cert c;

	fill_cert(&c, serial, device);
	c.not_after = not_after;
	assert_int_equal(reg_cert_add(f->reg, &c, &f->err), 0);
}

static void record(struct fx *f, enum reg_acct_type type, const char *sid, const char *nas_ip,
		   const char *nas_id, const char *mac, time_t when)
{
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
	assert_int_equal(reg_session_record(f->reg, type, &s, &f->err), 0);
}

/*
 * School A: lea (active) with 3 devices (active, active, suspended), tom
 * (disabled) with 1 revoked device; school B: ana with 1 active and 1
 * retired device; zoe without a school. Enrolments at T0 - 2 days, T0,
 * T0 + 30 min, T0 + 1 h. Sessions: two APs of A (one silent since
 * T0 + 10 min), one AP of B.
 */
static void fill(struct fx *f, struct world *w)
{
	add_school(f, UAI_A, "Collège A");
	add_school(f, UAI_B, "Collège B");
	w->lea = add_person_at(f, "lea", UAI_A, REG_PERSON_ACTIVE);
	w->tom = add_person_at(f, "tom", UAI_A, REG_PERSON_DISABLED);
	w->ana = add_person_at(f, "ana", UAI_B, REG_PERSON_ACTIVE);
	w->zoe = add_person_at(f, "zoe", NULL, REG_PERSON_ACTIVE);
	device_at(f, w->lea, "lea-1", "aa:00:00:00:00:01", T0 - 2 * 86400, BYOD_DEVICE_ACTIVE,
		  &w->d[0]);
	device_at(f, w->lea, "lea-2", "aa:00:00:00:00:02", T0, BYOD_DEVICE_ACTIVE, &w->d[1]);
	device_at(f, w->lea, "lea-3", "aa:00:00:00:00:03", T0 + 1800, BYOD_DEVICE_SUSPENDED,
		  &w->d[2]);
	device_at(f, w->tom, "tom-1", "aa:00:00:00:00:04", T0 + 3600, BYOD_DEVICE_REVOKED,
		  &w->d[3]);
	device_at(f, w->ana, "ana-1", "bb:00:00:00:00:01", T0 + 60, BYOD_DEVICE_ACTIVE, &w->d[4]);
	device_at(f, w->ana, "ana-2", "bb:00:00:00:00:02", T0 + 120, BYOD_DEVICE_RETIRED, &w->d[5]);

	/* certificates: lea-1 ends in 5 days, lea-2 in 40 days, lea-3
	 * (suspended) in 10 days, tom-1 (revoked device) in 3 days; ana-1
	 * ends in 2 days but was renewed until a year from now */
	cert_for(f, "a1", w->d[0].id, T0 + 5 * 86400);
	cert_for(f, "a2", w->d[1].id, T0 + 40 * 86400);
	cert_for(f, "a3", w->d[2].id, T0 + 10 * 86400);
	cert_for(f, "a4", w->d[3].id, T0 + 3 * 86400);
	cert_for(f, "b1", w->d[4].id, T0 + 2 * 86400);
	cert_for(f, "b2", w->d[4].id, T0 + 365 * 86400);

	/* accounting: ap-1 of A keeps talking; ap-2 of A fell silent at
	 * T0 + 600 (its session still open); ap-b of B */
	record(f, REG_ACCT_START, "s1", "10.0.0.1", "ap-1", "aa:00:00:00:00:01", T0 + 100);
	record(f, REG_ACCT_INTERIM, "s1", "10.0.0.1", "ap-1", "aa:00:00:00:00:01", T0 + 4000);
	record(f, REG_ACCT_START, "s2", "10.0.0.2", "ap-2", "aa:00:00:00:00:02", T0 + 200);
	record(f, REG_ACCT_INTERIM, "s2", "10.0.0.2", "ap-2", "aa:00:00:00:00:02", T0 + 600);
	record(f, REG_ACCT_START, "s3", "10.0.0.1", "ap-1", "aa:00:00:00:00:03", T0 + 300);
	record(f, REG_ACCT_STOP, "s3", "10.0.0.1", "ap-1", "aa:00:00:00:00:03", T0 + 5000);
	/* an unknown device on ap-1: counts for the AP's last packet */
	record(f, REG_ACCT_START, "s4", "10.0.0.1", "ap-1", "cc:00:00:00:00:01", T0 + 6000);
	record(f, REG_ACCT_START, "s5", "10.0.1.1", "ap-b", "bb:00:00:00:00:01", T0 + 400);
}

struct schools {
	int n;
	struct reg_school_stats v[8];
};

static int collect_school(const struct reg_school_stats *s, void *arg)
{
	struct schools *c = arg;

	assert_true(c->n < 8);
	c->v[c->n++] = *s;
	return 0;
}

static void test_stats_schools(void **state)
{
	struct fx *f = *state;
	struct schools c = {0};
	struct world w;

	fill(f, &w);
	assert_int_equal(reg_stats_schools(f->reg, NULL, NULL, collect_school, &c, &f->err), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.v[0].school, UAI_A);
	assert_string_equal(c.v[0].name, "Collège A");
	assert_int_equal(c.v[0].people, 1); /* tom is disabled */
	assert_int_equal(c.v[0].devices[BYOD_DEVICE_ACTIVE], 2);
	assert_int_equal(c.v[0].devices[BYOD_DEVICE_SUSPENDED], 1);
	assert_int_equal(c.v[0].devices[BYOD_DEVICE_REVOKED], 1);
	assert_int_equal(c.v[0].devices[BYOD_DEVICE_RETIRED], 0);
	assert_int_equal(c.v[0].sessions_open, 2); /* s1, s2; s3 stopped; s4 of no device */
	assert_string_equal(c.v[1].school, UAI_B);
	assert_int_equal(c.v[1].people, 1);
	assert_int_equal(c.v[1].devices[BYOD_DEVICE_ACTIVE], 1);
	assert_int_equal(c.v[1].devices[BYOD_DEVICE_RETIRED], 1);
	assert_int_equal(c.v[1].sessions_open, 1);

	/* one school */
	memset(&c, 0, sizeof(c));
	assert_int_equal(reg_stats_schools(f->reg, NULL, UAI_B, collect_school, &c, &f->err), 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.v[0].school, UAI_B);

	/* the figures follow a change */
	assert_int_equal(reg_device_set_state(f->reg, w.d[4].id, BYOD_DEVICE_SUSPENDED, &f->err),
			 0);
	memset(&c, 0, sizeof(c));
	assert_int_equal(reg_stats_schools(f->reg, NULL, UAI_B, collect_school, &c, &f->err), 0);
	assert_int_equal(c.v[0].devices[BYOD_DEVICE_ACTIVE], 0);
	assert_int_equal(c.v[0].devices[BYOD_DEVICE_SUSPENDED], 1);
}

struct hours {
	int n;
	struct reg_stats_hour v[16];
};

static int collect_hour(const struct reg_stats_hour *h, void *arg)
{
	struct hours *c = arg;

	assert_true(c->n < 16);
	c->v[c->n++] = *h;
	return 0;
}

static void test_stats_enrolments(void **state)
{
	struct fx *f = *state;
	struct hours c = {0};
	struct world w;

	fill(f, &w);
	/* A, from T0 - 1 day: T0 (lea-2), T0 + 30 min (lea-3) in hour T0;
	 * T0 + 1 h (tom-1, revoked since: still an enrolment) */
	assert_int_equal(reg_stats_enrolments(f->reg, NULL, UAI_A, T0 - 86400, T0 + 86400,
					      collect_hour, &c, &f->err),
			 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.v[0].school, UAI_A);
	assert_int_equal(c.v[0].at, T0);
	assert_int_equal(c.v[0].count, 2);
	assert_int_equal(c.v[1].at, T0 + 3600);
	assert_int_equal(c.v[1].count, 1);

	/* the period's end is excluded, its start included */
	memset(&c, 0, sizeof(c));
	assert_int_equal(reg_stats_enrolments(f->reg, NULL, UAI_A, T0 - 2 * 86400, T0 + 3600,
					      collect_hour, &c, &f->err),
			 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.v[0].at, T0 - 2 * 86400);
	assert_int_equal(c.v[0].count, 1);
	assert_int_equal(c.v[1].at, T0);
	assert_int_equal(c.v[1].count, 2);

	/* every school: A's two hours, then B's (two in hour T0) */
	memset(&c, 0, sizeof(c));
	assert_int_equal(
		reg_stats_enrolments(f->reg, NULL, NULL, T0, T0 + 86400, collect_hour, &c, &f->err),
		0);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.v[2].school, UAI_B);
	assert_int_equal(c.v[2].at, T0);
	assert_int_equal(c.v[2].count, 2);
}

struct expiries {
	int n;
	struct reg_cert_expiry v[8];
};

static int collect_expiry(const struct reg_cert_expiry *e, void *arg)
{
	struct expiries *c = arg;

	assert_true(c->n < 8);
	c->v[c->n++] = *e;
	return 0;
}

static void test_stats_certs_expiring(void **state)
{
	struct fx *f = *state;
	struct expiries c = {0};
	struct world w;

	fill(f, &w);
	/* within 30 days: a1 (5 days), a3 (suspended device, 10 days); not
	 * a4 (revoked device), not a2 (40 days), not b1 (renewed by b2) */
	assert_int_equal(reg_stats_certs_expiring(f->reg, NULL, NULL, T0, T0 + 30 * 86400,
						  collect_expiry, &c, &f->err),
			 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.v[0].serial, "a1");
	assert_string_equal(c.v[0].school, UAI_A);
	assert_string_equal(c.v[0].device, w.d[0].id);
	assert_string_equal(c.v[0].device_name, "lea-1");
	assert_string_equal(c.v[0].owner_login, "lea");
	assert_int_equal(c.v[0].not_after, T0 + 5 * 86400);
	assert_string_equal(c.v[1].serial, "a3");

	/* the renewal revoked: b1 is the one that ends now */
	assert_int_equal(reg_cert_revoke(f->reg, "b2", REG_REASON_SUPERSEDED, T0, &f->err), 0);
	memset(&c, 0, sizeof(c));
	assert_int_equal(reg_stats_certs_expiring(f->reg, NULL, UAI_B, T0, T0 + 30 * 86400,
						  collect_expiry, &c, &f->err),
			 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.v[0].serial, "b1");

	/* one already ended is not "ending" */
	memset(&c, 0, sizeof(c));
	assert_int_equal(reg_stats_certs_expiring(f->reg, NULL, UAI_A, T0 + 6 * 86400,
						  T0 + 30 * 86400, collect_expiry, &c, &f->err),
			 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.v[0].serial, "a3");
}

struct nases {
	int n;
	struct reg_nas_seen v[8];
};

static int collect_nas(const struct reg_nas_seen *n, void *arg)
{
	struct nases *c = arg;

	assert_true(c->n < 8);
	c->v[c->n++] = *n;
	return 0;
}

static void test_stats_nas(void **state)
{
	struct fx *f = *state;
	struct nases c = {0};
	struct world w;

	fill(f, &w);
	assert_int_equal(reg_stats_nas(f->reg, NULL, UAI_A, T0 - 86400, collect_nas, &c, &f->err),
			 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.v[0].school, UAI_A);
	assert_string_equal(c.v[0].nas_ip, "10.0.0.1");
	assert_string_equal(c.v[0].nas_id, "ap-1");
	/* the unknown device's Start at T0 + 6000 is ap-1's newest packet */
	assert_int_equal(c.v[0].last, T0 + 6000);
	assert_int_equal(c.v[0].sessions_open, 2); /* s1, s4 */
	assert_string_equal(c.v[1].nas_ip, "10.0.0.2");
	assert_int_equal(c.v[1].last, T0 + 600);
	assert_int_equal(c.v[1].sessions_open, 1);

	/* ap-2 speaks again */
	record(f, REG_ACCT_STOP, "s2", "10.0.0.2", "ap-2", "aa:00:00:00:00:02", T0 + 7000);
	memset(&c, 0, sizeof(c));
	assert_int_equal(reg_stats_nas(f->reg, NULL, UAI_A, T0 - 86400, collect_nas, &c, &f->err),
			 0);
	assert_int_equal(c.v[1].last, T0 + 7000);
	assert_int_equal(c.v[1].sessions_open, 0);

	/* every school: B's AP after A's */
	memset(&c, 0, sizeof(c));
	assert_int_equal(reg_stats_nas(f->reg, NULL, NULL, T0 - 86400, collect_nas, &c, &f->err),
			 0);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.v[2].school, UAI_B);
	assert_string_equal(c.v[2].nas_id, "ap-b");
	assert_int_equal(c.v[2].last, T0 + 400);

	/* APs whose school sessions all started before since are left out */
	memset(&c, 0, sizeof(c));
	assert_int_equal(reg_stats_nas(f->reg, NULL, UAI_A, T0 + 250, collect_nas, &c, &f->err), 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.v[0].nas_id, "ap-1");
}

/* A scope sees its schools only: their rows, by UAI whatever the order it
 * lists them in; a school outside it is not there. */
static void test_stats_scope(void **state)
{
	struct reg_scope one = {0, UAI_B}, both = {0, UAI_B " " UAI_A}, all = {1, ""};
	struct fx *f = *state;
	struct schools c = {0};
	struct hours h = {0};
	struct expiries e = {0};
	struct nases n = {0};
	struct world w;

	fill(f, &w);
	assert_int_equal(reg_stats_schools(f->reg, &one, NULL, collect_school, &c, &f->err), 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.v[0].school, UAI_B);
	memset(&c, 0, sizeof(c));
	assert_int_equal(reg_stats_schools(f->reg, &one, UAI_A, collect_school, &c, &f->err),
			 -ENOENT);
	assert_int_equal(c.n, 0);
	assert_int_equal(reg_stats_schools(f->reg, &both, NULL, collect_school, &c, &f->err), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.v[0].school, UAI_A);
	assert_string_equal(c.v[1].school, UAI_B);
	memset(&c, 0, sizeof(c));
	assert_int_equal(reg_stats_schools(f->reg, &all, UAI_A, collect_school, &c, &f->err), 0);
	assert_int_equal(c.n, 1);

	/* the lists: another school's rows never come */
	assert_int_equal(reg_stats_enrolments(f->reg, &one, NULL, T0 - 3 * 86400, T0 + 86400,
					      collect_hour, &h, &f->err),
			 0);
	assert_int_equal(h.n, 1);
	assert_string_equal(h.v[0].school, UAI_B);
	memset(&h, 0, sizeof(h));
	assert_int_equal(reg_stats_enrolments(f->reg, &one, UAI_A, T0 - 3 * 86400, T0 + 86400,
					      collect_hour, &h, &f->err),
			 0);
	assert_int_equal(h.n, 0);
	assert_int_equal(reg_stats_certs_expiring(f->reg, &one, NULL, T0, T0 + 30 * 86400,
						  collect_expiry, &e, &f->err),
			 0);
	assert_int_equal(e.n, 0); /* A's two, not B's (renewed) */
	assert_int_equal(reg_stats_certs_expiring(f->reg, &both, NULL, T0, T0 + 30 * 86400,
						  collect_expiry, &e, &f->err),
			 0);
	assert_int_equal(e.n, 2);
	assert_int_equal(reg_stats_nas(f->reg, &one, NULL, T0 - 86400, collect_nas, &n, &f->err),
			 0);
	assert_int_equal(n.n, 1);
	assert_string_equal(n.v[0].nas_id, "ap-b");
}

static int stop_at_first(const struct reg_school_stats *s, void *arg)
{
	(void)s;
	++*(int *)arg;
	return 7;
}

static void test_stats_bad_input(void **state)
{
	struct fx *f = *state;
	struct schools c = {0};
	struct hours h = {0};
	int calls = 0;

	add_school(f, UAI_A, "Collège A");
	add_school(f, UAI_B, "Collège B");
	assert_int_equal(reg_stats_schools(f->reg, NULL, "nope", collect_school, &c, &f->err),
			 -EINVAL);
	assert_int_equal(reg_stats_schools(f->reg, NULL, "0000001X", collect_school, &c, &f->err),
			 -ENOENT);
	assert_int_equal(reg_stats_schools(f->reg, NULL, NULL, NULL, NULL, &f->err), -EINVAL);
	assert_int_equal(
		reg_stats_enrolments(f->reg, NULL, NULL, T0, T0 - 1, collect_hour, &h, &f->err),
		-EINVAL);
	assert_int_equal(reg_stats_nas(f->reg, NULL, NULL, -1, collect_nas, NULL, &f->err),
			 -EINVAL);
	assert_int_equal(
		reg_stats_certs_expiring(f->reg, NULL, "x", T0, T0, collect_expiry, NULL, &f->err),
		-EINVAL);
	/* a callback's non-zero return stops the list and comes back */
	assert_int_equal(reg_stats_schools(f->reg, NULL, NULL, stop_at_first, &calls, &f->err), 7);
	assert_int_equal(calls, 1);
	assert_int_equal(c.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stats_schools, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats_enrolments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats_certs_expiring, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats_nas, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats_scope, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats_bad_input, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
