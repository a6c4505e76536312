// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the login throttle's policy (core/login_throttle.c) on a
 * real registry with the clock passed in: the pair (login, address) waits
 * then locks, and the lock holds for that pair only; the login's and the
 * address's own delays are capped and never lock, a lock an older rule left
 * on them included; a success forgets the pair and the login and gives back
 * only its own reservation on the address; an attempt released (a source
 * down) leaves every key as before; IPv6 counts per /64; the
 * administrator's unlock.
 */
#include "registry_fixture.h"

#include "login_throttle.h"

static const time_t T0 = 1800000000;

static void gate(struct fx *f, const char *login, const char *client, time_t now,
		 struct byod_login_gate *g)
{
	assert_int_equal(byod_login_gate(f->reg, login, client, now, g, &f->err), 0);
}

static int failures(struct fx *f, const char *key)
{
	struct reg_throttle t;
	int rc = reg_throttle_get(f->reg, key, &t, &f->err);

	if (rc == -ENOENT)
		return 0;
	assert_int_equal(rc, 0);
	return t.failures;
}

static void plant(struct fx *f, const char *key, int n, time_t last, time_t locked_until)
{
	struct reg_throttle t;

	memset(&t, 0, sizeof(t));
	snprintf(t.key, sizeof(t.key), "%s", key);
	t.failures = n;
	t.last_failure = last;
	t.locked_until = locked_until;
	assert_int_equal(reg_throttle_put(f->reg, &t, &f->err), 0);
}

static void test_address(void **state)
{
	char out[80];

	(void)state;
	assert_int_equal(byod_login_address("192.0.2.7", out, sizeof(out)), 0);
	assert_string_equal(out, "192.0.2.7");
	assert_int_equal(byod_login_address("2001:db8:1:2:3:4:5:6", out, sizeof(out)), 0);
	assert_string_equal(out, "2001:db8:1:2::/64");
	assert_int_equal(byod_login_address("2001:DB8:1:2::99", out, sizeof(out)), 0);
	assert_string_equal(out, "2001:db8:1:2::/64");
	assert_int_equal(byod_login_address("::ffff:192.0.2.7", out, sizeof(out)), 0);
	assert_string_equal(out, "192.0.2.7");
	assert_int_equal(byod_login_address("", out, sizeof(out)), -EINVAL);
	assert_int_equal(byod_login_address(NULL, out, sizeof(out)), -EINVAL);
	assert_int_equal(byod_login_address("192.0.2.7", out, 9), -EINVAL);
}

/* 3 free failures, then 1, 2, 4 ... s; the 10th failure locks the pair for
 * 15 minutes, and nobody else: not the login elsewhere, not the address for
 * another login. */
static void test_pair(void **state)
{
	struct fx *f = *state;
	struct byod_login_gate g;
	time_t t = T0;
	int i;

	add_school(f, UAI_A, "Collège");
	add_person(f, "m.durand");
	for (i = 0; i < 4; i++) {
		gate(f, "m.durand", "192.0.2.7", t, &g);
		assert_int_equal(g.verdict, BYOD_LOGIN_GO);
		assert_false(g.locks);
	}
	gate(f, "m.durand", "192.0.2.7", t, &g);
	assert_int_equal(g.verdict, BYOD_LOGIN_WAIT);
	assert_int_equal(g.by, BYOD_LOGIN_KEY_PAIR);
	assert_int_equal(g.wait, 1);
	assert_int_equal(failures(f, "pair:m.durand 192.0.2.7"), 4); /* refusals count nothing */
	/* failures 5 to 10, each at the end of its delay: 1, 2, 4, 8, 16, 32 s */
	for (i = 0; i < 6; i++) {
		t += 1 << i;
		gate(f, "m.durand", "192.0.2.7", t - 1, &g);
		assert_int_equal(g.verdict, BYOD_LOGIN_WAIT);
		assert_int_equal(g.wait, 1);
		gate(f, "m.durand", "192.0.2.7", t, &g);
		assert_int_equal(g.verdict, BYOD_LOGIN_GO);
		assert_int_equal(g.locks, i == 5);
	}
	gate(f, "m.durand", "192.0.2.7", t, &g);
	assert_int_equal(g.verdict, BYOD_LOGIN_LOCKED);
	assert_int_equal(g.by, BYOD_LOGIN_KEY_PAIR);
	assert_int_equal(g.wait, 900);
	gate(f, "m.durand", "192.0.2.7", t + 899, &g);
	assert_int_equal(g.verdict, BYOD_LOGIN_LOCKED);
	assert_int_equal(g.wait, 1);
	/* the login from elsewhere: its 10 free failures are used up by the
	 * pair, so it may try now (the 11th) and must then wait 1 s */
	gate(f, "m.durand", "198.51.100.1", t, &g);
	assert_int_equal(g.verdict, BYOD_LOGIN_GO);
	byod_login_settle(f->reg, &g, t, &f->err);
	assert_int_equal(failures(f, "login:m.durand"), 0); /* the success forgot it */
	/* the locked address, another login */
	gate(f, "tom", "192.0.2.7", t, &g);
	assert_int_equal(g.verdict, BYOD_LOGIN_GO);
	/* the lock is still there for the pair */
	gate(f, "m.durand", "192.0.2.7", t + 10, &g);
	assert_int_equal(g.verdict, BYOD_LOGIN_LOCKED);
	/* over: one more failure locks it again (the pupil's own pair) */
	gate(f, "m.durand", "192.0.2.7", t + 900, &g);
	assert_int_equal(g.verdict, BYOD_LOGIN_GO);
	assert_true(g.locks);
}

/* The login alone and the address alone: capped delays, never a lock. */
static void test_caps(void **state)
{
	struct fx *f = *state;
	struct byod_login_gate g;
	int i;

	plant(f, "login:m.durand", 500, T0, T0 + 86400); /* a lock an older rule left */
	gate(f, "m.durand", "192.0.2.7", T0, &g);
	assert_int_equal(g.verdict, BYOD_LOGIN_WAIT);
	assert_int_equal(g.by, BYOD_LOGIN_KEY_LOGIN);
	assert_int_equal(g.wait, 30);
	gate(f, "m.durand", "192.0.2.8", T0 + 30, &g);
	assert_int_equal(g.verdict, BYOD_LOGIN_GO);

	plant(f, "addr:192.0.2.9", 300, T0, T0 + 86400);
	gate(f, "tom", "192.0.2.9", T0, &g);
	assert_int_equal(g.verdict, BYOD_LOGIN_WAIT);
	assert_int_equal(g.by, BYOD_LOGIN_KEY_ADDRESS);
	assert_int_equal(g.wait, 10);
	gate(f, NULL, "192.0.2.9", T0 + 3, &g); /* a login that cannot exist */
	assert_int_equal(g.verdict, BYOD_LOGIN_WAIT);
	assert_int_equal(g.wait, 7);
	gate(f, "tom", "192.0.2.9", T0 + 10, &g);
	assert_int_equal(g.verdict, BYOD_LOGIN_GO);

	/* spraying: 21 logins free from one address, then 1 s */
	for (i = 0; i < 21; i++) {
		char login[16];

		snprintf(login, sizeof(login), "l%d", i);
		gate(f, login, "203.0.113.5", T0, &g);
		assert_int_equal(g.verdict, BYOD_LOGIN_GO);
	}
	gate(f, "l99", "203.0.113.5", T0, &g);
	assert_int_equal(g.verdict, BYOD_LOGIN_WAIT);
	assert_int_equal(g.by, BYOD_LOGIN_KEY_ADDRESS);
	assert_int_equal(g.wait, 1);
	/* the longest wait decides, and names its key */
	plant(f, "pair:l99 203.0.113.5", 7, T0, 0); /* 8 s */
	gate(f, "l99", "203.0.113.5", T0, &g);
	assert_int_equal(g.by, BYOD_LOGIN_KEY_PAIR);
	assert_int_equal(g.wait, 8);
}

/* A success: the pair and the login forgotten, one failure given back to
 * the address. */
static void test_settle(void **state)
{
	struct fx *f = *state;
	struct byod_login_gate g, none;

	plant(f, "addr:192.0.2.7", 5, T0, 0);
	plant(f, "login:lea", 2, T0, 0);
	gate(f, "lea", "192.0.2.7", T0, &g);
	assert_int_equal(g.verdict, BYOD_LOGIN_GO);
	assert_int_equal(failures(f, "addr:192.0.2.7"), 6);
	assert_int_equal(failures(f, "pair:lea 192.0.2.7"), 1);
	assert_int_equal(byod_login_settle(f->reg, &g, T0, &f->err), 0);
	assert_int_equal(failures(f, "addr:192.0.2.7"), 5);
	assert_int_equal(failures(f, "pair:lea 192.0.2.7"), 0);
	assert_int_equal(failures(f, "login:lea"), 0);
	memset(&none, 0, sizeof(none));
	none.verdict = BYOD_LOGIN_WAIT;
	assert_int_equal(byod_login_settle(f->reg, &none, T0, &f->err), -EINVAL);
	assert_int_equal(byod_login_gate(f->reg, "lea", "", T0, &g, &f->err), -EINVAL);
	assert_int_equal(g.verdict, BYOD_LOGIN_WAIT); /* fails closed */
}

/* An attempt that failed through no fault of the person's (a directory
 * down): released, it leaves every key as before, so that twenty sign-ins
 * during an outage neither delay nor lock anyone; a failure counted by
 * another attempt meanwhile stays. */
static void test_release(void **state)
{
	struct fx *f = *state;
	struct byod_login_gate g, h, none;
	struct reg_throttle t;
	int i;

	plant(f, "pair:lea 192.0.2.7", 9, T0 - 100, 0); /* one more failure locks */
	plant(f, "addr:192.0.2.7", 5, T0 - 100, 0);
	for (i = 0; i < 20; i++) {
		gate(f, "lea", "192.0.2.7", T0 + 40 * i, &g);
		assert_int_equal(g.verdict, BYOD_LOGIN_GO);
		assert_true(g.locks); /* the reservation armed the lock... */
		assert_int_equal(byod_login_release(f->reg, &g, &f->err), 0);
		/* ...and the release took it back */
		assert_int_equal(reg_throttle_get(f->reg, "pair:lea 192.0.2.7", &t, &f->err), 0);
		assert_int_equal(t.failures, 9);
		assert_true(t.locked_until <= T0 + 40 * i);
		assert_true(t.last_failure == T0 - 100);
		assert_int_equal(failures(f, "addr:192.0.2.7"), 5);
		assert_int_equal(failures(f, "login:lea"), 0);
	}
	/* the person's own next try goes as it would have without the outage */
	gate(f, "lea", "192.0.2.7", T0 + 40 * 20, &g);
	assert_int_equal(g.verdict, BYOD_LOGIN_GO);
	assert_int_equal(failures(f, "pair:lea 192.0.2.7"), 10);
	assert_int_equal(byod_login_release(f->reg, &g, &f->err), 0);

	/* another attempt's failure meanwhile stays counted */
	gate(f, "tom", "192.0.2.8", T0, &g);
	gate(f, "tom", "192.0.2.8", T0 + 1, &h);
	assert_int_equal(failures(f, "pair:tom 192.0.2.8"), 2);
	assert_int_equal(byod_login_release(f->reg, &g, &f->err), 0);
	assert_int_equal(failures(f, "pair:tom 192.0.2.8"), 1);
	assert_int_equal(failures(f, "login:tom"), 1);
	assert_int_equal(byod_login_release(f->reg, &h, &f->err), 0);
	assert_int_equal(failures(f, "pair:tom 192.0.2.8"), 0);
	assert_int_equal(failures(f, "addr:192.0.2.8"), 0);
	/* twice, or after a settle, never below zero */
	assert_int_equal(byod_login_release(f->reg, &h, &f->err), 0);
	assert_int_equal(failures(f, "pair:tom 192.0.2.8"), 0);
	memset(&none, 0, sizeof(none));
	none.verdict = BYOD_LOGIN_WAIT;
	assert_int_equal(byod_login_release(f->reg, &none, &f->err), -EINVAL);
}

/* IPv6: one /64 is one address for the throttle. */
static void test_ipv6(void **state)
{
	struct fx *f = *state;
	struct byod_login_gate g;

	plant(f, "pair:lea 2001:db8:1:2::/64", 10, T0, T0 + 900);
	gate(f, "lea", "2001:db8:1:2:aaaa::1", T0, &g);
	assert_int_equal(g.verdict, BYOD_LOGIN_LOCKED);
	gate(f, "lea", "2001:db8:1:2:bbbb::2", T0, &g);
	assert_int_equal(g.verdict, BYOD_LOGIN_LOCKED);
	gate(f, "lea", "2001:db8:1:3::1", T0, &g);
	assert_int_equal(g.verdict, BYOD_LOGIN_GO);
}

static void test_unlock(void **state)
{
	struct fx *f = *state;
	int n = -1, audits;

	add_school(f, UAI_A, "Collège");
	add_person(f, "lea");
	plant(f, "pair:lea 192.0.2.7", 10, T0, T0 + 900);
	plant(f, "pair:lea 2001:db8:1:2::/64", 10, T0, T0 + 900);
	plant(f, "pair:lea.martin 192.0.2.7", 10, T0, T0 + 900);
	plant(f, "login:lea", 12, T0, 0);
	audits = audit_count(f);
	assert_int_equal(byod_login_unlock(f->reg, "LEA", "2001:db8:1:2::77", &n, &f->err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(failures(f, "pair:lea 2001:db8:1:2::/64"), 0);
	assert_int_equal(failures(f, "pair:lea 192.0.2.7"), 10);
	assert_int_equal(audit_count(f), audits + 1);
	assert_int_equal(byod_login_unlock(f->reg, "lea", NULL, &n, &f->err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(failures(f, "pair:lea.martin 192.0.2.7"), 10);
	assert_int_equal(audit_count(f), audits + 2);
	assert_int_equal(byod_login_unlock(f->reg, "nobody", NULL, &n, &f->err), -ENOENT);
	assert_int_equal(byod_login_unlock(f->reg, "a b", NULL, &n, &f->err), -EINVAL);
	assert_int_equal(byod_login_unlock(f->reg, "lea", "", &n, &f->err), -EINVAL);
	assert_int_equal(audit_count(f), audits + 2);
}

/* byod-admin's realm: its keys are apart, locked on their own rule, and a
 * pupil's lock on the same login and address leaves the administrator's
 * logins alone (and the other way round). */
static void test_realm(void **state)
{
	struct fx *f = *state;
	struct byod_login_gate g;
	time_t t = T0;
	int i;

	add_school(f, UAI_A, "Collège");
	add_person(f, "m.durand");
	plant(f, "pair:m.durand 192.0.2.7", 10, t, t + 900);
	gate(f, "m.durand", "192.0.2.7", t, &g);
	assert_int_equal(g.verdict, BYOD_LOGIN_LOCKED);
	assert_int_equal(byod_login_gate_in(f->reg, "admin", "m.durand", "192.0.2.7", t, &g,
					    &f->err), 0);
	assert_int_equal(g.verdict, BYOD_LOGIN_GO);
	assert_int_equal(failures(f, "admin:pair:m.durand 192.0.2.7"), 1);
	assert_int_equal(failures(f, "admin:login:m.durand"), 1);
	assert_int_equal(failures(f, "admin:addr:192.0.2.7"), 1);
	for (i = 1; i < 4; i++)
		assert_int_equal(byod_login_gate_in(f->reg, "admin", "m.durand", "192.0.2.7", t,
						    &g, &f->err), 0);
	/* the pair's rule holds in the realm: 4 failures, then a wait */
	assert_int_equal(byod_login_gate_in(f->reg, "admin", "m.durand", "192.0.2.7", t, &g,
					    &f->err), 0);
	assert_int_equal(g.verdict, BYOD_LOGIN_WAIT);
	assert_int_equal(g.by, BYOD_LOGIN_KEY_PAIR);
	/* a success settles the realm's own keys */
	t += 1;
	assert_int_equal(byod_login_gate_in(f->reg, "admin", "m.durand", "192.0.2.7", t, &g,
					    &f->err), 0);
	assert_int_equal(g.verdict, BYOD_LOGIN_GO);
	assert_int_equal(byod_login_settle(f->reg, &g, t, &f->err), 0);
	assert_int_equal(failures(f, "admin:pair:m.durand 192.0.2.7"), 0);
	assert_int_equal(failures(f, "admin:login:m.durand"), 0);
	assert_int_equal(failures(f, "pair:m.durand 192.0.2.7"), 10);
	assert_int_equal(byod_login_gate_in(f->reg, "a:b", "m.durand", "192.0.2.7", t, &g,
					    &f->err), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_address),
		cmocka_unit_test_setup_teardown(test_pair, setup, teardown),
		cmocka_unit_test_setup_teardown(test_caps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_settle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipv6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_release, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unlock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_realm, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
