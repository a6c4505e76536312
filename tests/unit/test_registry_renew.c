// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Renewal in the registry, on SQLite and PostgreSQL (test_registry_renew_pg):
 * a certificate records the one it replaces (the same device's only), reads
 * give back replaces and first_seen, and reg_cert_seen marks the first
 * sighting once and revokes the replaced certificate (superseded) in the
 * same transaction, with its audit row (actor) and its change-feed events;
 * one renewal per certificate (unique replaces); on PostgreSQL a RADIUS
 * node supersedes through cert_supersede() and cannot un-revoke.
 */
#include "registry_fixture.h"

#define NOW 1800000000

struct two {
	struct reg_device d, other;
};

/* A device with certificate a1, a renewal b2 replacing it; another
 * device with c3. */
static void two_devices(struct fx *f, struct two *t)
{
	struct reg_cert c;
	int64_t owner;

	add_school(f, UAI_A, "Lycée A");
	owner = add_person(f, "lea.martin");
	add_device(f, owner, "phone", NULL, &t->d);
	add_device(f, owner, "laptop", NULL, &t->other);
	fill_cert(&c, "a1", t->d.id);
	assert_int_equal(reg_cert_add(f->reg, &c, &f->err), 0);
	fill_cert(&c, "c3", t->other.id);
	assert_int_equal(reg_cert_add(f->reg, &c, &f->err), 0);
	fill_cert(&c, "B2", t->d.id);
	snprintf(c.replaces, sizeof(c.replaces), "A1");
	c.not_before += 10;
	assert_int_equal(reg_cert_add(f->reg, &c, &f->err), 0);
}

static int find_replaces(const struct reg_cert *c, void *arg)
{
	if (!strcmp(c->serial, "b2"))
		snprintf(arg, REG_SERIAL_MAX, "%s", c->replaces);
	return 0;
}

static void test_replaces_recorded(void **state)
{
	struct fx *f = *state;
	struct reg_cert c;
	struct two t;
	char seen[REG_SERIAL_MAX] = "";

	two_devices(f, &t);
	assert_int_equal(reg_cert_get(f->reg, "b2", &c, &f->err), 0);
	assert_string_equal(c.replaces, "a1"); /* normalised */
	assert_int_equal(c.first_seen, 0);
	assert_int_equal(reg_cert_get(f->reg, "a1", &c, &f->err), 0);
	assert_string_equal(c.replaces, "");
	assert_int_equal(reg_cert_list_for_device(f->reg, t.d.id, find_replaces, seen, &f->err), 0);
	assert_string_equal(seen, "a1");
	seen[0] = '\0';
	assert_int_equal(reg_cert_list(f->reg, find_replaces, seen, &f->err), 0);
	assert_string_equal(seen, "a1");

	/* another device's certificate, or none, is not replaced */
	fill_cert(&c, "d4", t.d.id);
	snprintf(c.replaces, sizeof(c.replaces), "c3");
	assert_int_equal(reg_cert_add(f->reg, &c, &f->err), -EINVAL);
	assert_non_null(strstr(f->err.msg, "not a certificate of device"));
	snprintf(c.replaces, sizeof(c.replaces), "ffff");
	assert_int_equal(reg_cert_add(f->reg, &c, &f->err), -EINVAL);
	snprintf(c.replaces, sizeof(c.replaces), "zz");
	assert_int_equal(reg_cert_add(f->reg, &c, &f->err), -EINVAL);
	assert_int_equal(reg_cert_get(f->reg, "d4", &c, &f->err), -ENOENT);
}

static int64_t last_seq(struct fx *f)
{
	int64_t seq = 0;

	assert_int_equal(reg_events_last(f->reg, &seq, &f->err), 0);
	return seq;
}

static void test_seen_revokes_replaced(void **state)
{
	struct fx *f = *state;
	const char *serials[] = {"B2"};
	struct audits a;
	struct events ev;
	struct reg_cert c;
	struct two t;
	int64_t seq;
	int revoked = -1, i, found = 0;

	two_devices(f, &t);
	seq = last_seq(f);
	assert_int_equal(reg_cert_seen(f->reg, serials, 1, NOW, &revoked, &f->err), 0);
	assert_int_equal(revoked, 1);
	assert_int_equal(reg_cert_get(f->reg, "b2", &c, &f->err), 0);
	assert_int_equal(c.first_seen, NOW);
	assert_int_equal(c.state, REG_CERT_VALID);
	assert_int_equal(reg_cert_get(f->reg, "a1", &c, &f->err), 0);
	assert_int_equal(c.state, REG_CERT_REVOKED);
	assert_int_equal(c.reason, REG_REASON_SUPERSEDED);
	assert_int_equal(c.revoked_at, NOW);
	assert_int_equal(c.first_seen, 0);
	/* the other device's certificate is untouched */
	assert_int_equal(reg_cert_get(f->reg, "c3", &c, &f->err), 0);
	assert_int_equal(c.state, REG_CERT_VALID);

	/* on the feed: the sighting and the supersession, nothing else */
	ev = events_since(f, seq, 0);
	assert_int_equal(ev.n, 2);
	assert_string_equal(ev.v[0].kind, "cert.seen");
	assert_string_equal(ev.v[0].object, "b2");
	assert_string_equal(ev.v[1].kind, "cert.supersede");
	assert_string_equal(ev.v[1].object, "a1");
	/* audited with the actor and what replaced it */
	memset(&a, 0, sizeof(a));
	assert_int_equal(reg_audit_list(f->reg, 0, collect_audit, &a, &f->err), 0);
	for (i = 0; i < a.n; i++) {
		if (strcmp(a.v[i].action, "cert.supersede"))
			continue;
		found++;
		assert_string_equal(a.v[i].object, "a1");
		assert_string_equal(a.v[i].actor, "test:unit");
		assert_non_null(strstr(a.v[i].after, "\"replaced_by\":\"b2\""));
		assert_non_null(strstr(a.v[i].after, "\"superseded\""));
		assert_non_null(strstr(a.v[i].before, "\"valid\""));
	}
	audits_free(&a);
	assert_int_equal(found, 1);

	/* seen again (another node, a retry): nothing changes */
	seq = last_seq(f);
	assert_int_equal(reg_cert_seen(f->reg, serials, 1, NOW + 60, &revoked, &f->err), 0);
	assert_int_equal(revoked, 0);
	assert_int_equal(reg_cert_get(f->reg, "b2", &c, &f->err), 0);
	assert_int_equal(c.first_seen, NOW);
	assert_int_equal(events_since(f, seq, 0).n, 0);
}

static void test_seen_without_predecessor(void **state)
{
	struct fx *f = *state;
	const char *plain[] = {"c3", "abcdef"}; /* abcdef: not in the registry */
	const char *bad[] = {"a1", "not-hex"};
	struct reg_cert c;
	struct two t;
	int revoked = -1;

	two_devices(f, &t);
	assert_int_equal(reg_cert_seen(f->reg, plain, 2, NOW, &revoked, &f->err), 0);
	assert_int_equal(revoked, 0);
	assert_int_equal(reg_cert_get(f->reg, "c3", &c, &f->err), 0);
	assert_int_equal(c.first_seen, NOW);
	assert_int_equal(c.state, REG_CERT_VALID);

	/* one bad serial: nothing of the batch is written */
	assert_int_equal(reg_cert_seen(f->reg, bad, 2, NOW, &revoked, &f->err), -EINVAL);
	assert_int_equal(reg_cert_get(f->reg, "a1", &c, &f->err), 0);
	assert_int_equal(c.first_seen, 0);
	assert_int_equal(reg_cert_seen(f->reg, NULL, 0, NOW, NULL, &f->err), 0);
	assert_int_equal(reg_cert_seen(f->reg, plain, 1, 0, NULL, &f->err), -EINVAL);
}

static void test_seen_predecessor_already_revoked(void **state)
{
	struct fx *f = *state;
	const char *serials[] = {"b2"};
	struct reg_cert c;
	struct two t;
	int revoked = -1;

	two_devices(f, &t);
	assert_int_equal(reg_cert_revoke(f->reg, "a1", REG_REASON_KEY_COMPROMISE, NOW - 5, &f->err),
			 0);
	assert_int_equal(reg_cert_seen(f->reg, serials, 1, NOW, &revoked, &f->err), 0);
	assert_int_equal(revoked, 0);
	assert_int_equal(reg_cert_get(f->reg, "a1", &c, &f->err), 0);
	assert_int_equal(c.reason, REG_REASON_KEY_COMPROMISE);
	assert_int_equal(c.revoked_at, NOW - 5);
	assert_int_equal(reg_cert_get(f->reg, "b2", &c, &f->err), 0);
	assert_int_equal(c.first_seen, NOW);
}

/* One renewal per certificate: a second one naming the same predecessor is
 * refused by the database (the unique index on replaces), and the device
 * lock renewal takes is one inside a transaction only. */
static void test_one_renewal_per_certificate(void **state)
{
	struct fx *f = *state;
	struct reg_cert c;
	struct two t;

	two_devices(f, &t);
	fill_cert(&c, "e5", t.d.id);
	snprintf(c.replaces, sizeof(c.replaces), "a1");
	assert_int_equal(reg_cert_add(f->reg, &c, &f->err), -EEXIST);
	assert_int_equal(reg_cert_get(f->reg, "e5", &c, &f->err), -ENOENT);
	/* the chain goes on: the renewal of the renewal */
	fill_cert(&c, "e5", t.d.id);
	snprintf(c.replaces, sizeof(c.replaces), "b2");
	assert_int_equal(reg_cert_add(f->reg, &c, &f->err), 0);

	assert_int_equal(reg_device_lock(f->reg, t.d.id, &f->err), -EINVAL);
	assert_int_equal(reg_begin(f->reg, &f->err), 0);
	assert_int_equal(reg_device_lock(f->reg, t.d.id, &f->err), 0);
	assert_int_equal(reg_device_lock(f->reg, "0b7c1e3a-9d8f-4a2b-8c6d-5e4f3a2b1c0d", &f->err),
			 -ENOENT);
	assert_int_equal(reg_device_lock(f->reg, "nope", &f->err), -EINVAL);
	assert_int_equal(reg_commit(f->reg, &f->err), 0);
}

/* PostgreSQL: a RADIUS node (a login in byod_radius) records a sighting and
 * so revokes the replaced certificate, through cert_supersede(); it cannot
 * write a certificate's state itself (un-revoke one), nor revoke through
 * the function a certificate that no seen one replaces. */
static void test_radius_role_supersedes_only(void **state)
{
	struct fx *f = *state;
	const char *serials[] = {"b2"};
	char login[64], url[1200], stmt[256];
	struct reg *radius = NULL;
	struct reg_cert c;
	struct two t;
	raw_db *db, *as_radius;
	int revoked = -1;

	if (!on_postgres())
		skip();
	two_devices(f, &t);
	assert_int_equal(reg_roles_sql(f->reg, 1, NULL, &f->err), 0);
	snprintf(login, sizeof(login), "t_rrenew_%ld", (long)getpid());
	db = raw_open(f->path);
	snprintf(stmt, sizeof(stmt),
		 "DROP ROLE IF EXISTS %s; CREATE ROLE %s LOGIN IN ROLE byod_radius", login, login);
	raw_exec(db, stmt);
	snprintf(url, sizeof(url), "postgresql://%s%s", login, strchr(f->path, '@'));
	assert_int_equal(open_reg(url, 1000, &radius, &f->err), 0);

	assert_int_equal(reg_cert_seen(radius, serials, 1, NOW, &revoked, &f->err), 0);
	assert_int_equal(revoked, 1);
	assert_int_equal(reg_cert_get(f->reg, "a1", &c, &f->err), 0);
	assert_int_equal(c.state, REG_CERT_REVOKED);
	assert_int_equal(c.reason, REG_REASON_SUPERSEDED);
	reg_close(radius);

	as_radius = raw_open(url);
	assert_int_equal(raw_try(as_radius, "UPDATE certificates SET state = 'valid', "
					    "revoked_at = NULL, reason = NULL WHERE serial = 'a1'"),
			 -1);
	assert_int_equal(raw_try(as_radius, "UPDATE certificates SET state = 'revoked', "
					    "revoked_at = 1, reason = 1 WHERE serial = 'c3'"),
			 -1);
	/* c3 is replaced by nothing: the function does nothing to it */
	assert_int_equal(raw_int(as_radius, "SELECT cert_supersede('c3', 'b2', 1)"), 0);
	/* nor to a1 again, already revoked */
	assert_int_equal(raw_int(as_radius, "SELECT cert_supersede('a1', 'b2', 1)"), 0);
	raw_close(as_radius);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM certificates WHERE state = 'valid'"), 2);
	assert_int_equal(raw_int(db, "SELECT revoked_at FROM certificates WHERE serial = 'a1'"),
			 NOW);
	raw_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_replaces_recorded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seen_revokes_replaced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seen_without_predecessor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seen_predecessor_already_revoked, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_one_renewal_per_certificate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_radius_role_supersedes_only, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
