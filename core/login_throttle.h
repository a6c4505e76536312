/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Who may try a password now: the login throttle's policy, shared by the
 * portal (which asks before every password check) and byodctl (which
 * clears a lock for an administrator). Three keys per attempt, each with
 * its own rule (web/throttle.h for the arithmetic):
 *
 *  - the pair (login, address): growing delays, then a hard lock. Only a
 *    pair is ever locked, so a pupil who hammers a teacher's login from
 *    one address locks that login on that address and nowhere else;
 *  - the login alone: capped growing delays and never a lock, against
 *    guessing from many addresses: the login slows down for everyone but
 *    is never closed to everyone;
 *  - the address alone: capped growing delays and never a lock, against
 *    one address spraying many logins, without shutting out the other
 *    people behind the same NAT.
 *
 * An IPv6 client counts as its /64 (one subscriber's prefix), so rotating
 * addresses inside it changes nothing.
 *
 * The check and the reservation are one registry transaction
 * (reg_throttle_update): an attempt allowed is counted as a failure of
 * every key *before* its password is checked, and a success takes that
 * back. However many requests, threads or portal processes run at once,
 * no more passwords are checked than the rules allow.
 */
#ifndef BYOD_LOGIN_THROTTLE_H
#define BYOD_LOGIN_THROTTLE_H

#include <stddef.h>
#include <time.h>

#include "registry.h"
#include "throttle.h"

/* The rules of the three keys (numbers in login_throttle.c). */
extern const struct web_throttle_rule byod_login_rule_pair;
extern const struct web_throttle_rule byod_login_rule_login;
extern const struct web_throttle_rule byod_login_rule_address;

enum byod_login_verdict {
	BYOD_LOGIN_GO,	   /* check the password now: the attempt is reserved */
	BYOD_LOGIN_WAIT,   /* wait seconds; the password must not be checked */
	BYOD_LOGIN_LOCKED, /* this login is locked on this address for wait seconds */
};

/* Which key decided a WAIT or LOCKED (the longest wait wins, a lock first). */
enum byod_login_key {
	BYOD_LOGIN_KEY_PAIR,
	BYOD_LOGIN_KEY_LOGIN,
	BYOD_LOGIN_KEY_ADDRESS,
};

struct byod_login_gate {
	enum byod_login_verdict verdict;
	enum byod_login_key by;
	int wait;  /* seconds, for WAIT and LOCKED */
	int locks; /* GO: the pair's lock is armed, so a wrong password
		    * locks it (audit it once, after the failure) */
	size_t n;  /* the keys, as reserved: settle and release read them */
	struct reg_throttle keys[3];
	time_t at; /* GO: when the attempt was reserved */
	struct web_throttle_state before[3]; /* GO: each key as it was before */
};

/* "pair", "login" or "address": for logs and audit rows. */
const char *byod_login_key_name(enum byod_login_key k);

/* The address as throttled: IPv4 as is, an IPv4-mapped IPv6 address as its
 * IPv4 form, IPv6 as its /64 ("2001:db8:1:2::/64"), anything else as
 * given. 0, or -EINVAL when it does not fit in len or is empty. */
int byod_login_address(const char *client, char *out, size_t len);

/*
 * Decides on one attempt at now, atomically: login is the normalised login
 * (NULL for a login that cannot exist, throttled by its address only),
 * client the client's address. Fills *g; on BYOD_LOGIN_GO the attempt is
 * already counted as a failure, so after a successful password check call
 * byod_login_settle(). Returns 0 or a negative errno (a registry fault:
 * then the caller must not check the password).
 */
int byod_login_gate(struct reg *reg, const char *login, const char *client, time_t now,
		    struct byod_login_gate *g, struct byod_err *err);

/* The same for the logins of another realm (byod-admin's "admin"), whose
 * keys are apart ("admin:pair:...", "admin:login:...", "admin:addr:..."):
 * a pupil's failures never slow an administrator of the same login down,
 * nor the other way round. realm NULL or "": byod_login_gate. */
int byod_login_gate_in(struct reg *reg, const char *realm, const char *login, const char *client,
		       time_t now, struct byod_login_gate *g, struct byod_err *err);

/* After a successful login through g (verdict GO): forgets the pair and
 * the login, and takes the reserved failure back from the address. */
int byod_login_settle(struct reg *reg, const struct byod_login_gate *g, time_t now,
		      struct byod_err *err);

/*
 * After an attempt through g (verdict GO) that failed through no fault of
 * the person's: an identity source that cannot be reached or does not
 * answer in time, an answer the mapping or the registry refuses (the
 * password was right), a registry fault. Takes back the one failure the
 * attempt reserved on every key, and the delay or lock that reservation
 * armed, so that a directory's outage never slows down nor locks out the
 * people who sign in meanwhile. Failures counted by other attempts since
 * stay. 0 or a negative errno; the caller has nothing to undo when it
 * fails (the attempt then simply counts as a failure).
 */
int byod_login_release(struct reg *reg, const struct byod_login_gate *g, struct byod_err *err);

/*
 * An administrator's unlock: forgets the throttle state of the account
 * login (normalised) on the address client (its pairs on every address
 * when client is NULL) and the login's own delays, in one transaction with
 * an audit row "user.unlock" (object the login; after: the address, or
 * null, and the number of rows cleared). *cleared (may be NULL) gets that
 * number. -ENOENT for an account that does not exist.
 */
int byod_login_unlock(struct reg *reg, const char *login, const char *client, int *cleared,
		      struct byod_err *err);

#endif /* BYOD_LOGIN_THROTTLE_H */
