// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Renewal in the registry, on SQLite and PostgreSQL (test_registry_renew_pg):
 * a certificate records the one it replaces (the same device's only), reads
 * give back replaces and first_seen, and reg_cert_seen marks the first
 * sighting once and revokes the replaced certificate (superseded) in the
 * same transaction, with its audit row (actor) and its change-feed events.
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_replaces_recorded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seen_revokes_replaced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seen_without_predecessor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seen_predecessor_already_revoked, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
