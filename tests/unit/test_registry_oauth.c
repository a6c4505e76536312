// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for geteduroam's OAuth rows in the registry (reg_oauth.c and
 * both backends): a code exchanged once gives a grant and its tokens, a
 * second exchange is refused and revokes that grant's tokens; an expired
 * code is refused; refresh tokens rotate, and the reuse of an old one
 * revokes the grant; another client's refresh token is refused; a grant
 * binds one device once, and revoking or retiring that device deletes its
 * tokens; bad inputs are refused; the purge forgets expired rows; nothing
 * of it goes on the change feed. A stolen refresh token used first by the
 * thief: when the real app comes back, the certificates renewed since are
 * revoked, the one they replaced is not. Two exchanges of one code at once
 * (PostgreSQL): the loser revokes the winner's grant. Runs on SQLite and PostgreSQL (_pg).
 */
#include "registry_fixture.h"

#include <pthread.h>

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

static int find_cert(const struct reg_cert *c, void *arg)
{
	struct reg_cert *want = arg;

	if (!strcmp(c->serial, want->serial))
		*want = *c;
	return 0;
}

static struct reg_cert cert_of(struct fx *f, const char *device, const char *serial)
{
	struct reg_cert c;

	memset(&c, 0, sizeof(c));
	snprintf(c.serial, sizeof(c.serial), "%s", serial);
	assert_int_equal(reg_cert_list_for_device(f->reg, device, find_cert, &c, &f->err), 0);
	assert_int_not_equal(c.not_after, 0);
	return c;
}

/* The thief refreshes first and renews the device; the app's refresh
 * then finds the token used: the renewal's certificate dies with the
 * grant, the pupil's original stays, other devices are untouched. */
static void test_refresh_theft(void **state)
{
	struct fx *f = *state;
	struct reg_oauth_token a, r;
	struct reg_oauth_grant g, g2;
	struct reg_device d, other;
	struct reg_cert c;
	struct audits au;
	int64_t lea = add_person(f, "lea");
	time_t now = 1800000000;
	char h[REG_HASH_HEX];
	int i, revokes = 0;

	add_device(f, lea, "geteduroam (Android)", NULL, &d);
	add_device(f, lea, "laptop", NULL, &other);
	fill_cert(&c, "a1", d.id); /* enrolled through the grant last year */
	c.not_before = now - 86400 * 300;
	assert_int_equal(reg_cert_add(f->reg, &c, &f->err), 0);
	fill_cert(&c, "c3", other.id);
	assert_int_equal(reg_cert_add(f->reg, &c, &f->err), 0);
	fill_cert(&c, "d4", other.id); /* the laptop renewed at the portal, same day */
	snprintf(c.replaces, sizeof(c.replaces), "c3");
	c.not_before = now + 20 - 300;
	assert_int_equal(reg_cert_add(f->reg, &c, &f->err), 0);
	add_code(f, lea, 1, now - 86400 * 300, 60);
	tokens(&a, &r, 1, now - 86400 * 300);
	r.expires = now + 86400 * 30;
	assert_int_equal(
		reg_oauth_code_redeem(f->reg, hx(h, 1), now - 86400 * 300, &a, &r, &g, &f->err), 0);
	assert_int_equal(reg_oauth_grant_set_device(f->reg, g.id, d.id, &f->err), 0);
	/* the thief refreshes first, then renews (certificate backdated) */
	tokens(&a, &r, 2, now);
	assert_int_equal(
		reg_oauth_refresh(f->reg, hx(h, 3001), CLIENT, now + 10, &a, &r, &g2, &f->err), 0);
	assert_int_equal(reg_oauth_token_spend(f->reg, hx(h, 2002), now + 20, &f->err), 0);
	fill_cert(&c, "b2", d.id);
	snprintf(c.replaces, sizeof(c.replaces), "a1");
	c.not_before = now + 20 - 300;
	assert_int_equal(reg_cert_add(f->reg, &c, &f->err), 0);
	/* the app comes back with the same refresh token */
	tokens(&a, &r, 3, now + 3600);
	assert_int_equal(
		reg_oauth_refresh(f->reg, hx(h, 3001), CLIENT, now + 3600, &a, &r, &g2, &f->err),
		-EALREADY);
	assert_int_equal(reg_oauth_grant_get(f->reg, g.id, &g2, &f->err), 0);
	assert_int_equal(g2.revoked, now + 3600);
	c = cert_of(f, d.id, "b2");
	assert_int_equal(c.state, REG_CERT_REVOKED);
	assert_int_equal(c.reason, REG_REASON_KEY_COMPROMISE);
	assert_int_equal(c.revoked_at, now + 3600);
	assert_int_equal(cert_of(f, d.id, "a1").state, REG_CERT_VALID);
	assert_int_equal(cert_of(f, other.id, "c3").state, REG_CERT_VALID);
	assert_int_equal(cert_of(f, other.id, "d4").state, REG_CERT_VALID);
	/* the device itself stays active */
	assert_int_equal(reg_device_get(f->reg, d.id, &d, &f->err), 0);
	assert_int_equal(d.state, BYOD_DEVICE_ACTIVE);
	/* audited */
	memset(&au, 0, sizeof(au));
	assert_int_equal(reg_audit_list(f->reg, 0, collect_audit, &au, &f->err), 0);
	for (i = 0; i < au.n; i++)
		if (!strcmp(au.v[i].action, "cert.revoke") && !strcmp(au.v[i].object, "b2"))
			revokes++;
	audits_free(&au);
	assert_int_equal(revokes, 1);
}

struct racer {
	const char *path;
	int rc;
	struct reg_oauth_grant g;
};

static void *race_redeem(void *arg)
{
	struct racer *r = arg;
	struct reg_oauth_token a, t;
	struct byod_err err;
	struct reg *reg = NULL;
	char h[REG_HASH_HEX];

	r->rc = open_reg(r->path, 5000, &reg, &err);
	if (r->rc)
		return NULL;
	tokens(&a, &t, 2, 1800000000);
	r->rc = reg_oauth_code_redeem(reg, hx(h, 1), 1800000001, &a, &t, &r->g, &err);
	reg_close(reg);
	return NULL;
}

/* Two exchanges of one code at once: the second reads the code unused,
 * then waits on the first's row lock and finds it used. It must answer as
 * a replay does, revoking what the first got (PostgreSQL only: SQLite's
 * BEGIN IMMEDIATE serialises the two). */
static void test_code_race(void **state)
{
	struct fx *f = *state;
	struct reg_oauth_token a, r;
	struct reg_oauth_grant g, g2;
	struct racer racer = {.path = f->path};
	int64_t lea = add_person(f, "lea");
	time_t now = 1800000000;
	char h[REG_HASH_HEX];
	pthread_t th;

	if (!on_postgres())
		skip();
	add_code(f, lea, 1, now, 60);
	tokens(&a, &r, 1, now);
	assert_int_equal(reg_begin(f->reg, &f->err), 0);
	assert_int_equal(reg_oauth_code_redeem(f->reg, hx(h, 1), now, &a, &r, &g, &f->err), 0);
	assert_int_equal(pthread_create(&th, NULL, race_redeem, &racer), 0);
	usleep(700 * 1000); /* the other reads the code unused, then waits on its row */
	assert_int_equal(reg_commit(f->reg, &f->err), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(racer.rc, -EALREADY);
	assert_int_equal(reg_oauth_grant_get(f->reg, g.id, &g2, &f->err), 0);
	assert_true(g2.revoked != 0);
	assert_int_equal(live(f, 2001, now + 2), -ENOENT);
	assert_int_equal(live(f, 3001, now + 2), -ENOENT);
	assert_int_equal(live(f, 2002, now + 2), -ENOENT);
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
		cmocka_unit_test_setup_teardown(test_refresh_theft, setup, teardown),
		cmocka_unit_test_setup_teardown(test_code_race, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
