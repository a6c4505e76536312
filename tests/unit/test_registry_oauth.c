// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for geteduroam's OAuth rows in the registry (reg_oauth.c and
 * both backends): a code exchanged once gives a grant and its tokens, a
 * second exchange is refused and revokes that grant's tokens; an expired
 * code is refused; refresh tokens rotate, and the reuse of an old one
 * revokes the grant; another client's refresh token is refused; a grant
 * binds one device once, and revoking or retiring that device deletes its
 * tokens; bad inputs are refused; the purge forgets expired rows; nothing
 * of it goes on the change feed. Runs on SQLite and PostgreSQL (_pg).
 */
#include "registry_fixture.h"

#define CLIENT	  "app.geteduroam.sh"
#define CHALLENGE "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

/* A distinct 64-digit lowercase hex "hash" for n. */
static const char *hx(char buf[REG_HASH_HEX], unsigned n)
{
	snprintf(buf, REG_HASH_HEX, "%064x", n);
	return buf;
}

static void add_code(struct fx *f, int64_t person, unsigned n, time_t now, time_t ttl)
{
	struct reg_oauth_code c;

	memset(&c, 0, sizeof(c));
	hx(c.code_hash, n);
	hx(c.redirect_hash, 1000 + n);
	snprintf(c.client, sizeof(c.client), CLIENT);
	snprintf(c.challenge, sizeof(c.challenge), CHALLENGE);
	snprintf(c.charter, sizeof(c.charter), "2025-1");
	c.person = person;
	c.created = now;
	c.expires = now + ttl;
	assert_int_equal(reg_oauth_code_add(f->reg, &c, &f->err), 0);
}

static void tokens(struct reg_oauth_token *a, struct reg_oauth_token *r, unsigned n, time_t now)
{
	memset(a, 0, sizeof(*a));
	memset(r, 0, sizeof(*r));
	hx(a->token_hash, 2000 + n);
	hx(r->token_hash, 3000 + n);
	a->expires = now + 3600;
	r->expires = now + 86400 * 30;
}

static int live(struct fx *f, unsigned n, time_t now)
{
	struct reg_oauth_token t;
	struct reg_oauth_grant g;
	char h[REG_HASH_HEX];

	return reg_oauth_token_find(f->reg, hx(h, n), now, &t, &g, &f->err);
}

static void test_code_once(void **state)
{
	struct fx *f = *state;
	struct reg_oauth_token a, r, t;
	struct reg_oauth_grant g, g2;
	struct reg_oauth_code c;
	int64_t lea = add_person(f, "lea");
	time_t now = 1800000000;
	char h[REG_HASH_HEX];
	int64_t seq0 = 0;

	assert_int_equal(reg_events_last(f->reg, &seq0, &f->err), 0);
	add_code(f, lea, 1, now, 60);
	assert_int_equal(reg_oauth_code_get(f->reg, hx(h, 1), &c, &f->err), 0);
	assert_string_equal(c.client, CLIENT);
	assert_string_equal(c.challenge, CHALLENGE);
	assert_string_equal(c.redirect_hash, hx(h, 1001));
	assert_int_equal(c.person, lea);
	assert_int_equal(c.used, 0);
	tokens(&a, &r, 1, now);
	assert_int_equal(reg_oauth_code_redeem(f->reg, hx(h, 1), now + 5, &a, &r, &g, &f->err), 0);
	assert_true(g.id > 0);
	assert_int_equal(g.person, lea);
	assert_string_equal(g.charter, "2025-1");
	assert_string_equal(g.client, CLIENT);
	assert_int_equal(reg_oauth_token_find(f->reg, hx(h, 2001), now + 6, &t, &g2, &f->err), 0);
	assert_int_equal(t.kind, REG_OAUTH_ACCESS);
	assert_int_equal(t.refreshed, 0);
	assert_int_equal(g2.id, g.id);
	assert_int_equal(live(f, 3001, now + 6), 0);
	/* the access token dies at its expiry */
	assert_int_equal(live(f, 2001, now + 5 + 3600 + 1), -ENOENT);
	/* a replay: refused, and the grant's tokens are gone */
	tokens(&a, &r, 2, now);
	assert_int_equal(reg_oauth_code_redeem(f->reg, hx(h, 1), now + 7, &a, &r, &g2, &f->err),
			 -EALREADY);
	assert_int_equal(live(f, 2001, now + 8), -ENOENT);
	assert_int_equal(live(f, 3001, now + 8), -ENOENT);
	assert_int_equal(live(f, 2002, now + 8), -ENOENT);
	assert_int_equal(reg_oauth_grant_get(f->reg, g.id, &g2, &f->err), 0);
	assert_int_equal(g2.revoked, now + 7);
	/* unknown code */
	assert_int_equal(reg_oauth_code_redeem(f->reg, hx(h, 77), now, &a, &r, &g2, &f->err),
			 -ENOENT);
	/* none of it on the change feed */
	assert_int_equal(events_since(f, seq0, 10).n, 0);
}

static void test_code_expired(void **state)
{
	struct fx *f = *state;
	struct reg_oauth_token a, r;
	struct reg_oauth_grant g;
	int64_t lea = add_person(f, "lea");
	time_t now = 1800000000;
	char h[REG_HASH_HEX];

	add_code(f, lea, 1, now, 60);
	tokens(&a, &r, 1, now + 60);
	assert_int_equal(reg_oauth_code_redeem(f->reg, hx(h, 1), now + 60, &a, &r, &g, &f->err),
			 -ETIMEDOUT);
	assert_int_equal(live(f, 2001, now + 61), -ENOENT);
	/* one second earlier it was good */
	add_code(f, lea, 2, now, 60);
	tokens(&a, &r, 2, now + 59);
	assert_int_equal(reg_oauth_code_redeem(f->reg, hx(h, 2), now + 59, &a, &r, &g, &f->err), 0);
}

static void test_refresh_rotation(void **state)
{
	struct fx *f = *state;
	struct reg_oauth_token a, r, t;
	struct reg_oauth_grant g, g2;
	int64_t lea = add_person(f, "lea");
	time_t now = 1800000000;
	char h[REG_HASH_HEX];

	add_code(f, lea, 1, now, 60);
	tokens(&a, &r, 1, now);
	assert_int_equal(reg_oauth_code_redeem(f->reg, hx(h, 1), now, &a, &r, &g, &f->err), 0);
	/* an access token is not a refresh token */
	tokens(&a, &r, 2, now);
	assert_int_equal(
		reg_oauth_refresh(f->reg, hx(h, 2001), CLIENT, now + 1, &a, &r, &g2, &f->err),
		-ENOENT);
	/* another client */
	assert_int_equal(reg_oauth_refresh(f->reg, hx(h, 3001), "app.geteduroam.win", now + 1, &a,
					   &r, &g2, &f->err),
			 -EPERM);
	/* rotation */
	assert_int_equal(
		reg_oauth_refresh(f->reg, hx(h, 3001), CLIENT, now + 2, &a, &r, &g2, &f->err), 0);
	assert_int_equal(g2.id, g.id);
	assert_int_equal(reg_oauth_token_find(f->reg, hx(h, 2002), now + 3, &t, &g2, &f->err), 0);
	assert_int_equal(t.refreshed, 1);
	assert_int_equal(live(f, 3002, now + 3), 0);
	/* an access token spent (a renewal) is spent once, and found no more */
	assert_int_equal(reg_oauth_token_spend(f->reg, hx(h, 2002), now + 3, &f->err), 0);
	assert_int_equal(reg_oauth_token_spend(f->reg, hx(h, 2002), now + 3, &f->err), -EALREADY);
	assert_int_equal(live(f, 2002, now + 3), -EALREADY);
	assert_int_equal(reg_oauth_token_spend(f->reg, hx(h, 3002), now + 3, &f->err), -EINVAL);
	assert_int_equal(reg_oauth_token_spend(f->reg, hx(h, 4444), now + 3, &f->err), -ENOENT);
	/* the old refresh token again: the grant dies */
	tokens(&a, &r, 3, now);
	assert_int_equal(
		reg_oauth_refresh(f->reg, hx(h, 3001), CLIENT, now + 4, &a, &r, &g2, &f->err),
		-EALREADY);
	assert_int_equal(live(f, 3002, now + 5), -ENOENT);
	assert_int_equal(live(f, 2001, now + 5), -ENOENT);
	assert_int_equal(
		reg_oauth_refresh(f->reg, hx(h, 3002), CLIENT, now + 6, &a, &r, &g2, &f->err),
		-ENOENT);
	assert_int_equal(reg_oauth_grant_get(f->reg, g.id, &g2, &f->err), 0);
	assert_true(g2.revoked != 0);
}

static void test_device_drop(void **state)
{
	struct fx *f = *state;
	struct reg_oauth_token a, r;
	struct reg_oauth_grant g, g2;
	struct reg_device d, other;
	int64_t lea = add_person(f, "lea"), bob = add_person(f, "bob");
	time_t now = time(NULL);
	char h[REG_HASH_HEX];

	add_device(f, lea, "geteduroam (Linux)", NULL, &d);
	add_device(f, bob, "Phone", NULL, &other);
	add_code(f, lea, 1, now, 60);
	tokens(&a, &r, 1, now);
	assert_int_equal(reg_oauth_code_redeem(f->reg, hx(h, 1), now, &a, &r, &g, &f->err), 0);
	/* not lea's device */
	assert_int_equal(reg_oauth_grant_set_device(f->reg, g.id, other.id, &f->err), -EPERM);
	assert_int_equal(reg_oauth_grant_set_device(f->reg, g.id, d.id, &f->err), 0);
	assert_int_equal(reg_oauth_grant_set_device(f->reg, g.id, d.id, &f->err), -EEXIST);
	assert_int_equal(reg_oauth_grant_get(f->reg, g.id, &g2, &f->err), 0);
	assert_string_equal(g2.device, d.id);
	/* a suspension keeps them */
	assert_int_equal(reg_device_set_state(f->reg, d.id, BYOD_DEVICE_SUSPENDED, &f->err), 0);
	assert_int_equal(live(f, 2001, now + 1), 0);
	assert_int_equal(reg_device_set_state(f->reg, d.id, BYOD_DEVICE_ACTIVE, &f->err), 0);
	/* the revocation takes them */
	assert_int_equal(reg_device_set_state(f->reg, d.id, BYOD_DEVICE_REVOKED, &f->err), 0);
	assert_int_equal(live(f, 2001, now + 1), -ENOENT);
	assert_int_equal(live(f, 3001, now + 1), -ENOENT);
	assert_int_equal(reg_oauth_grant_get(f->reg, g.id, &g2, &f->err), 0);
	assert_true(g2.revoked != 0);
	/* a revoked grant binds nothing */
	assert_int_equal(reg_oauth_grant_set_device(f->reg, g.id, d.id, &f->err), -ENOENT);
	/* retiring a second device does the same; no grant at all is fine */
	add_device(f, lea, "geteduroam (Windows)", NULL, &d);
	add_code(f, lea, 2, now, 60);
	tokens(&a, &r, 2, now);
	assert_int_equal(reg_oauth_code_redeem(f->reg, hx(h, 2), now, &a, &r, &g, &f->err), 0);
	assert_int_equal(reg_oauth_grant_set_device(f->reg, g.id, d.id, &f->err), 0);
	assert_int_equal(reg_device_set_state(f->reg, d.id, BYOD_DEVICE_RETIRED, &f->err), 0);
	assert_int_equal(live(f, 2002, now + 1), -ENOENT);
	assert_int_equal(reg_oauth_device_drop(f->reg, other.id, &f->err), 0);
	assert_int_equal(reg_oauth_device_drop(f->reg, "", &f->err), -EINVAL);
}

/* The device's revocation rolled back: its tokens are back too. */
static void test_drop_in_transaction(void **state)
{
	struct fx *f = *state;
	struct reg_oauth_token a, r;
	struct reg_oauth_grant g;
	struct reg_device d;
	int64_t lea = add_person(f, "lea");
	time_t now = time(NULL);
	char h[REG_HASH_HEX];

	add_device(f, lea, "geteduroam (Linux)", NULL, &d);
	add_code(f, lea, 1, now, 60);
	tokens(&a, &r, 1, now);
	assert_int_equal(reg_oauth_code_redeem(f->reg, hx(h, 1), now, &a, &r, &g, &f->err), 0);
	assert_int_equal(reg_oauth_grant_set_device(f->reg, g.id, d.id, &f->err), 0);
	assert_int_equal(reg_begin(f->reg, &f->err), 0);
	assert_int_equal(reg_device_set_state(f->reg, d.id, BYOD_DEVICE_REVOKED, &f->err), 0);
	reg_rollback(f->reg);
	assert_int_equal(live(f, 2001, now + 1), 0);
}

static void test_invalid(void **state)
{
	struct fx *f = *state;
	struct reg_oauth_code c;
	struct reg_oauth_token a, r;
	struct reg_oauth_grant g;
	int64_t lea = add_person(f, "lea");
	time_t now = 1800000000;
	char h[REG_HASH_HEX];

	memset(&c, 0, sizeof(c));
	hx(c.code_hash, 1);
	hx(c.redirect_hash, 2);
	snprintf(c.client, sizeof(c.client), CLIENT);
	snprintf(c.challenge, sizeof(c.challenge), CHALLENGE);
	c.person = lea;
	c.created = now;
	c.expires = now + 60;
	c.code_hash[3] = 'A';
	assert_int_equal(reg_oauth_code_add(f->reg, &c, &f->err), -EINVAL);
	hx(c.code_hash, 1);
	snprintf(c.challenge, sizeof(c.challenge), "short");
	assert_int_equal(reg_oauth_code_add(f->reg, &c, &f->err), -EINVAL);
	snprintf(c.challenge, sizeof(c.challenge), "%s", CHALLENGE);
	c.challenge[5] = '+';
	assert_int_equal(reg_oauth_code_add(f->reg, &c, &f->err), -EINVAL);
	snprintf(c.challenge, sizeof(c.challenge), "%s", CHALLENGE);
	snprintf(c.client, sizeof(c.client), "App Id");
	assert_int_equal(reg_oauth_code_add(f->reg, &c, &f->err), -EINVAL);
	snprintf(c.client, sizeof(c.client), CLIENT);
	c.expires = now;
	assert_int_equal(reg_oauth_code_add(f->reg, &c, &f->err), -EINVAL);
	c.expires = now + 60;
	c.person = 999999;
	assert_int_equal(reg_oauth_code_add(f->reg, &c, &f->err), -ENOENT);
	c.person = lea;
	assert_int_equal(reg_oauth_code_add(f->reg, &c, &f->err), 0);
	assert_int_equal(reg_oauth_code_add(f->reg, &c, &f->err), -EEXIST);
	/* tokens already expired */
	tokens(&a, &r, 1, now - 7200);
	assert_int_equal(reg_oauth_code_redeem(f->reg, hx(h, 1), now, &a, &r, &g, &f->err),
			 -EINVAL);
	assert_int_equal(reg_oauth_code_get(f->reg, "nothex", &c, &f->err), -EINVAL);
	assert_int_equal(reg_oauth_grant_get(f->reg, 0, &g, &f->err), -ENOENT);
}

static void test_purge(void **state)
{
	struct fx *f = *state;
	struct reg_oauth_token a, r;
	struct reg_oauth_grant g;
	struct reg_oauth_code c;
	int64_t lea = add_person(f, "lea");
	time_t now = 1800000000;
	char h[REG_HASH_HEX];
	int n = -1;

	add_code(f, lea, 1, now, 60);
	add_code(f, lea, 2, now, 600);
	tokens(&a, &r, 2, now);
	assert_int_equal(reg_oauth_code_redeem(f->reg, hx(h, 2), now, &a, &r, &g, &f->err), 0);
	/* code 1 expired, code 2 not yet; tokens live */
	assert_int_equal(reg_oauth_purge(f->reg, now + 61, &n, &f->err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(reg_oauth_code_get(f->reg, hx(h, 1), &c, &f->err), -ENOENT);
	assert_int_equal(reg_oauth_code_get(f->reg, hx(h, 2), &c, &f->err), 0);
	assert_int_equal(live(f, 2002, now + 61), 0);
	/* everything else once the refresh token has expired and the grant revoked */
	assert_int_equal(reg_oauth_grant_revoke(f->reg, g.id, now + 100, &f->err), 0);
	assert_int_equal(reg_oauth_purge(f->reg, now + 86400 * 31, &n, &f->err), 0);
	assert_int_equal(n, 2); /* code 2 and the grant (its tokens went with the revocation) */
	assert_int_equal(reg_oauth_grant_get(f->reg, g.id, &g, &f->err), -ENOENT);
}

static void test_requests(void **state)
{
	struct fx *f = *state;
	time_t now = 1800000000;
	char h[REG_HASH_HEX], *data = NULL;
	int n = -1;

	assert_int_equal(
		reg_oauth_request_put(f->reg, hx(h, 5), "sealed-1", now, now + 600, &f->err), 0);
	assert_int_equal(
		reg_oauth_request_put(f->reg, hx(h, 5), "sealed-2", now, now + 600, &f->err), 0);
	assert_int_equal(reg_oauth_request_get(f->reg, hx(h, 5), now + 1, &data, &f->err), 0);
	assert_string_equal(data, "sealed-2");
	free(data);
	assert_int_equal(reg_oauth_request_get(f->reg, hx(h, 5), now + 600, &data, &f->err),
			 -ENOENT);
	assert_null(data);
	assert_int_equal(reg_oauth_request_put(f->reg, hx(h, 5), "", now, now + 600, &f->err),
			 -EINVAL);
	assert_int_equal(reg_oauth_request_put(f->reg, hx(h, 5), "x", now, now, &f->err), -EINVAL);
	assert_int_equal(reg_oauth_request_put(f->reg, hx(h, 6), "x", now, now + 10, &f->err), 0);
	assert_int_equal(reg_oauth_request_delete(f->reg, hx(h, 6), &f->err), 0);
	assert_int_equal(reg_oauth_request_delete(f->reg, hx(h, 6), &f->err), 0);
	assert_int_equal(reg_oauth_request_get(f->reg, hx(h, 6), now, &data, &f->err), -ENOENT);
	assert_int_equal(reg_oauth_purge(f->reg, now + 601, &n, &f->err), 0);
	assert_int_equal(n, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_code_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_code_expired, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refresh_rotation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_drop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drop_in_transaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_purge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_requests, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
