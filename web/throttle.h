/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Brute-force protection for the portal's login form, as pure arithmetic on
 * a small per-key state: the caller keeps one state per login and one per
 * client address, holds its own lock around these calls, and passes the
 * time in (so tests need no clock and no sleeping).
 *
 * How a caller uses it, for each attempt, with every key's state read and
 * written in one transaction that no parallel attempt can interleave with
 * (core/login_throttle.c over reg_throttle_update):
 *   1. wait = the largest web_throttle_wait() of the keys; if wait > 0,
 *      answer "try again in <wait> s" WITHOUT checking the password;
 *   2. else web_throttle_failure() on every key before the password is
 *      checked: the attempt is reserved, so parallel attempts see it;
 *   3. check the password; on success, web_throttle_success() on the keys
 *      of this login and web_throttle_refund() on the address.
 *
 * Never reveal whether a login exists: record failures for a login that
 * does not exist exactly as for one that does (key on the login as typed,
 * normalised), give the same message and spend the same time checking a
 * password, so that neither the answer nor the throttling differs. A
 * success should not clear the address key: one valid account would
 * otherwise let an address reset its count between guesses at others.
 */
#ifndef WEB_THROTTLE_H
#define WEB_THROTTLE_H

#include <time.h>

/*
 * free_failures: failures allowed without delay; after that the n-th extra
 * failure costs base_delay_s * 2^(n-1) seconds, capped at max_delay_s.
 * lock_after failures (0: never) lock the key for lock_s seconds, and every
 * further failure locks it again. A key is forgotten forget_s seconds after
 * its last failure (and once no lock is running). Negative values count as 0.
 */
struct web_throttle_rule {
	int free_failures;
	int base_delay_s;
	int max_delay_s;
	int lock_after;
	int lock_s;
	int forget_s;
};

/* 3 failures free, then delays 1, 2, 4, 8... capped at 60 s; 10 failures
 * lock for 15 minutes; a key is forgotten after 1 hour without failures. */
extern const struct web_throttle_rule web_throttle_default;

/* Zeroed is a key that never failed. */
struct web_throttle_state {
	int failures;
	time_t last_failure;
	time_t locked_until;
};

/*
 * Seconds the key must wait before another attempt is even checked (0: go
 * now), never more than the delay or lock that applies. A clock that went
 * backwards does not shorten a wait.
 */
int web_throttle_wait(const struct web_throttle_rule *r,
			 const struct web_throttle_state *s, time_t now);

/* Records a failed attempt at now (restarting the count when the key was
 * forgotten), locking the key when the count reaches r->lock_after. */
void web_throttle_failure(const struct web_throttle_rule *r, struct web_throttle_state *s,
			     time_t now);

/* Clears the state after a successful login. */
void web_throttle_success(struct web_throttle_state *s);

/* Takes back one failure recorded in advance for an attempt that turned
 * out to succeed (a caller that reserves attempts before checking them);
 * the count never goes below 0, a running lock stays. */
void web_throttle_refund(struct web_throttle_state *s);

/* 1 when the state carries nothing any more at now (never failed, or
 * forgotten), so the caller may drop the key from its table; else 0. */
int web_throttle_idle(const struct web_throttle_rule *r,
			 const struct web_throttle_state *s, time_t now);

#endif /* WEB_THROTTLE_H */
