// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The login throttle's policy over the registry: which keys an attempt
 * counts against, with which rule, and the decision and reservation made
 * in one registry transaction (reg_throttle_update), so that parallel
 * requests and several portal processes cannot check more passwords than
 * the rules allow. The administrator's unlock lives here too, so that the
 * key formats are written once.
 */
#include "login_throttle.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "byod.h"

/*
 * The pair (login, address): 3 failures free, then 1, 2, 4 ... 60 s, and a
 * 15-minute lock at the 10th; forgotten after a quiet hour. One address
 * gets about 10 guesses at one login, then 4 an hour.
 */
const struct web_throttle_rule byod_login_rule_pair = {
	.free_failures = 3,
	.base_delay_s = 1,
	.max_delay_s = 60,
	.lock_after = 10,
	.lock_s = 15 * 60,
	.forget_s = 60 * 60,
};

/*
 * The login from anywhere: 10 failures free (one address is locked out of
 * the login before it uses them up), then 1, 2, 4 ... capped at 30 s, never
 * a lock. Guessing from many addresses gets at most one try every 30 s,
 * and the owner waits at most 30 s.
 */
const struct web_throttle_rule byod_login_rule_login = {
	.free_failures = 10,
	.base_delay_s = 1,
	.max_delay_s = 30,
	.lock_after = 0,
	.lock_s = 0,
	.forget_s = 60 * 60,
};

/*
 * The address, whatever the login: 20 failures free (a class behind one
 * NAT mistyping), then 1, 2, 4, 8, 10 s at most, never a lock. Spraying
 * many logins from one address gets one try every 10 s; the others behind
 * that address wait 10 s at most.
 */
const struct web_throttle_rule byod_login_rule_address = {
	.free_failures = 20,
	.base_delay_s = 1,
	.max_delay_s = 10,
	.lock_after = 0,
	.lock_s = 0,
	.forget_s = 60 * 60,
};

static const struct web_throttle_rule *rule_of(enum byod_login_key k)
{
	switch (k) {
	case BYOD_LOGIN_KEY_PAIR:
		return &byod_login_rule_pair;
	case BYOD_LOGIN_KEY_LOGIN:
		return &byod_login_rule_login;
	default:
		return &byod_login_rule_address;
	}
}

const char *byod_login_key_name(enum byod_login_key k)
{
	switch (k) {
	case BYOD_LOGIN_KEY_PAIR:
		return "pair";
	case BYOD_LOGIN_KEY_LOGIN:
		return "login";
	default:
		return "address";
	}
}

/* Which key a row is, from the prefix this file gave it (after the realm
 * and its ':', for a realm of its own such as byod-admin's "admin:"). */
static enum byod_login_key kind_of(const struct reg_throttle *t)
{
	const char *k = t->key;

	if (strncmp(k, "pair:", 5) && strncmp(k, "login:", 6) && strncmp(k, "addr:", 5) &&
	    strchr(k, ':'))
		k = strchr(k, ':') + 1;
	if (!strncmp(k, "pair:", 5))
		return BYOD_LOGIN_KEY_PAIR;
	if (!strncmp(k, "login:", 6))
		return BYOD_LOGIN_KEY_LOGIN;
	return BYOD_LOGIN_KEY_ADDRESS;
}

int byod_login_address(const char *client, char *out, size_t len)
{
	unsigned char a[16];
	char text[INET6_ADDRSTRLEN];
	int n;

	if (!client || !client[0])
		return -EINVAL;
	if (strchr(client, ':') && inet_pton(AF_INET6, client, a) == 1) {
		if (IN6_IS_ADDR_V4MAPPED((struct in6_addr *)a)) {
			if (!inet_ntop(AF_INET, a + 12, text, sizeof(text)))
				return -EINVAL;
			n = snprintf(out, len, "%s", text);
		} else {
			memset(a + 8, 0, 8);
			if (!inet_ntop(AF_INET6, a, text, sizeof(text)))
				return -EINVAL;
			n = snprintf(out, len, "%s/64", text);
		}
	} else {
		n = snprintf(out, len, "%s", client);
	}
	return n < 0 || (size_t)n >= len ? -EINVAL : 0;
}

static void to_state(const struct reg_throttle *t, const struct web_throttle_rule *r,
		     struct web_throttle_state *s)
{
	s->failures = t->failures;
	s->last_failure = t->last_failure;
	/* a rule that never locks ignores a lock an older policy left */
	s->locked_until = r->lock_after > 0 ? t->locked_until : 0;
}

static void from_state(const struct web_throttle_state *s, struct reg_throttle *t)
{
	t->failures = s->failures;
	t->last_failure = s->last_failure;
	t->locked_until = s->locked_until;
}

struct decision {
	struct byod_login_gate *g;
	time_t now;
};

/* Under the registry's write lock: allowed now, or how long and why not;
 * when allowed, the attempt is counted on every key before anyone else
 * reads them. */
static int decide_gate(struct reg_throttle *rows, size_t n, void *arg)
{
	struct decision *d = arg;
	struct byod_login_gate *g = d->g;
	struct web_throttle_state s[3];
	int best = 0, locked = 0;
	size_t i;

	g->verdict = BYOD_LOGIN_GO;
	g->wait = 0;
	g->locks = 0;
	for (i = 0; i < n; i++) {
		enum byod_login_key k = kind_of(&rows[i]);
		const struct web_throttle_rule *r = rule_of(k);
		int w;

		to_state(&rows[i], r, &s[i]);
		w = web_throttle_wait(r, &s[i], d->now);
		if (k == BYOD_LOGIN_KEY_PAIR && w > 0 && s[i].locked_until > d->now) {
			locked = 1;
			g->verdict = BYOD_LOGIN_LOCKED;
			g->by = k;
			g->wait = w;
		}
		if (!locked && w > best) {
			best = w;
			g->verdict = BYOD_LOGIN_WAIT;
			g->by = k;
			g->wait = w;
		}
	}
	if (g->verdict != BYOD_LOGIN_GO)
		return 0; /* refused: nothing counted, nothing written */
	g->at = d->now;
	for (i = 0; i < n; i++) {
		enum byod_login_key k = kind_of(&rows[i]);

		g->before[i] = s[i];
		web_throttle_failure(rule_of(k), &s[i], d->now);
		from_state(&s[i], &rows[i]);
		if (k == BYOD_LOGIN_KEY_PAIR && s[i].locked_until > d->now)
			g->locks = 1;
	}
	return 0;
}

/* After a success: the pair and the login forgotten, the reservation on
 * the address taken back (a success is not a failure, but it must not
 * wipe the address's count either: one valid account would then let an
 * address reset its count between guesses at others). */
static int decide_settle(struct reg_throttle *rows, size_t n, void *arg)
{
	struct web_throttle_state s;
	size_t i;

	(void)arg;
	for (i = 0; i < n; i++) {
		enum byod_login_key k = kind_of(&rows[i]);

		to_state(&rows[i], rule_of(k), &s);
		if (k == BYOD_LOGIN_KEY_ADDRESS)
			web_throttle_refund(&s);
		else
			web_throttle_success(&s);
		from_state(&s, &rows[i]);
	}
	return 0;
}

/* An attempt that failed through no fault of the person's: its reserved
 * failure taken back from every key. When no failure came after it
 * (last_failure still the reservation's), the key is put back as it was
 * before, so the delay runs from the failure before it again; otherwise
 * one failure less, and no lock that the remaining count does not earn. */
static int decide_release(struct reg_throttle *rows, size_t n, void *arg)
{
	const struct byod_login_gate *g = arg;
	struct web_throttle_state s;
	size_t i;

	for (i = 0; i < n; i++) {
		enum byod_login_key k = kind_of(&rows[i]);
		const struct web_throttle_rule *r = rule_of(k);

		to_state(&rows[i], r, &s);
		if (s.failures <= 0)
			continue; /* forgotten or settled meanwhile: nothing of ours left */
		if (s.last_failure == g->at && s.failures == g->before[i].failures + 1) {
			s = g->before[i];
		} else {
			web_throttle_refund(&s);
			if (r->lock_after > 0 && s.failures < r->lock_after)
				s.locked_until = g->before[i].locked_until;
		}
		from_state(&s, &rows[i]);
	}
	return 0;
}

static int __attribute__((format(printf, 3, 4)))
key_set(struct reg_throttle *t, struct byod_err *err, const char *fmt, ...)
{
	va_list ap;
	int n;

	memset(t, 0, sizeof(*t));
	va_start(ap, fmt);
	n = vsnprintf(t->key, sizeof(t->key), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(t->key))
		return byod_err_set(err, EINVAL, "a throttle key too long");
	return 0;
}

int byod_login_gate(struct reg *reg, const char *login, const char *client, time_t now,
		    struct byod_login_gate *g, struct byod_err *err)
{
	return byod_login_gate_in(reg, NULL, login, client, now, g, err);
}

int byod_login_gate_in(struct reg *reg, const char *realm, const char *login, const char *client,
		       time_t now, struct byod_login_gate *g, struct byod_err *err)
{
	struct decision d = {.g = g, .now = now};
	char addr[80], pre[24] = "";
	int rc;

	memset(g, 0, sizeof(*g));
	g->verdict = BYOD_LOGIN_WAIT; /* fail closed until decided */
	if (realm && realm[0]) {
		if (strchr(realm, ':') || strlen(realm) > 16)
			return byod_err_set(err, EINVAL, "'%s' is not a throttle realm", realm);
		snprintf(pre, sizeof(pre), "%s:", realm);
	}
	if (byod_login_address(client, addr, sizeof(addr)))
		return byod_err_set(err, EINVAL, "no client address to throttle");
	rc = 0;
	if (login) {
		rc = key_set(&g->keys[g->n++], err, "%spair:%s %s", pre, login, addr);
		if (!rc)
			rc = key_set(&g->keys[g->n++], err, "%slogin:%s", pre, login);
	}
	if (!rc)
		rc = key_set(&g->keys[g->n++], err, "%saddr:%s", pre, addr);
	if (!rc)
		rc = reg_throttle_update(reg, g->keys, g->n, decide_gate, &d, err);
	if (rc)
		g->verdict = BYOD_LOGIN_WAIT;
	return rc;
}

int byod_login_settle(struct reg *reg, const struct byod_login_gate *g, time_t now,
		      struct byod_err *err)
{
	struct reg_throttle rows[3];
	size_t i;

	(void)now;
	if (g->verdict != BYOD_LOGIN_GO || g->n == 0 || g->n > 3)
		return byod_err_set(err, EINVAL, "no login attempt to settle");
	for (i = 0; i < g->n; i++) {
		memset(&rows[i], 0, sizeof(rows[i]));
		memcpy(rows[i].key, g->keys[i].key, sizeof(rows[i].key));
	}
	return reg_throttle_update(reg, rows, g->n, decide_settle, NULL, err);
}

int byod_login_release(struct reg *reg, const struct byod_login_gate *g, struct byod_err *err)
{
	struct reg_throttle rows[3];
	size_t i;

	if (g->verdict != BYOD_LOGIN_GO || g->n == 0 || g->n > 3)
		return byod_err_set(err, EINVAL, "no login attempt to release");
	for (i = 0; i < g->n; i++) {
		memset(&rows[i], 0, sizeof(rows[i]));
		memcpy(rows[i].key, g->keys[i].key, sizeof(rows[i].key));
	}
	return reg_throttle_update(reg, rows, g->n, decide_release, (void *)g, err);
}

/* Deletes one key, counting it when it was there. */
static int forget_key(struct reg *reg, const char *key, int *count, struct byod_err *err)
{
	struct reg_throttle t;
	int rc = reg_throttle_get(reg, key, &t, err);

	if (rc == -ENOENT)
		return 0;
	if (!rc)
		rc = reg_throttle_delete(reg, key, err);
	if (!rc)
		(*count)++;
	return rc;
}

int byod_login_unlock(struct reg *reg, const char *login, const char *client, int *cleared,
		      struct byod_err *err)
{
	char norm[REG_LOGIN_MAX], addr[80], key[sizeof(((struct reg_throttle *)0)->key)];
	struct reg_person p;
	json_t *o = NULL;
	char *after = NULL;
	int rc, n = 0, m = 0;

	if (!login || byod_login_normalise(login, norm, sizeof(norm)))
		return byod_err_set(err, EINVAL, "'%s' is not a login", login ? login : "");
	if (client && byod_login_address(client, addr, sizeof(addr)))
		return byod_err_set(err, EINVAL, "'%s' is not an address", client);
	rc = reg_person_get(reg, norm, &p, err);
	if (rc == -ENOENT)
		return byod_err_set(err, ENOENT, "no account '%s'", norm);
	if (rc)
		return rc;
	rc = reg_begin(reg, err);
	if (rc)
		return rc;
	if (client) {
		snprintf(key, sizeof(key), "pair:%s %s", norm, addr);
		rc = forget_key(reg, key, &n, err);
	} else {
		/* the space ends the login: "lea " is not "lea.martin" */
		snprintf(key, sizeof(key), "pair:%s ", norm);
		rc = reg_throttle_delete_prefix(reg, key, &m, err);
		n += m;
	}
	if (!rc) {
		snprintf(key, sizeof(key), "login:%s", norm);
		rc = forget_key(reg, key, &n, err);
	}
	if (!rc) {
		o = json_pack("{s:s?,s:i}", "address", client ? addr : NULL, "cleared", n);
		after = o ? json_dumps(o, JSON_COMPACT) : NULL;
		rc = after ? reg_audit_add(reg, "user.unlock", norm, NULL, after, err)
			   : byod_err_set(err, ENOMEM, "out of memory");
	}
	if (!rc)
		rc = reg_commit(reg, err);
	if (rc)
		reg_rollback(reg);
	else if (cleared)
		*cleared = n;
	free(after);
	json_decref(o);
	return rc;
}
