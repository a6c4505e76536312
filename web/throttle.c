// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The arithmetic of login throttling: exponential delays after a few free
 * failures, a lock after many, and forgetting after a quiet hour. Pure
 * functions of (rule, state, now) so that every boundary can be tested to
 * the second; times are compared without overflow whatever the state holds.
 */
#include "throttle.h"

#include <limits.h>
#include <string.h>

#define TIME_MAX ((time_t)(~0ULL >> (65 - 8 * sizeof(time_t))))

const struct web_throttle_rule web_throttle_default = {
	.free_failures = 3,
	.base_delay_s = 1,
	.max_delay_s = 60,
	.lock_after = 10,
	.lock_s = 15 * 60,
	.forget_s = 60 * 60,
};

static int pos(int v)
{
	return v > 0 ? v : 0;
}

/* now - then, 0 when the clock went backwards, saturated at LLONG_MAX. */
static long long since(time_t now, time_t then)
{
	long long d;

	if (now <= then)
		return 0;
	if (__builtin_sub_overflow((long long)now, (long long)then, &d))
		return LLONG_MAX;
	return d;
}

/* The delay after the given number of failures, in seconds. */
static int delay(const struct web_throttle_rule *r, int failures)
{
	int extra = failures - pos(r->free_failures);
	long long d;

	if (extra <= 0 || pos(r->base_delay_s) == 0)
		return 0;
	if (extra > 31)
		return pos(r->max_delay_s);
	d = (long long)pos(r->base_delay_s) << (extra - 1);
	return d > pos(r->max_delay_s) ? pos(r->max_delay_s) : (int)d;
}

/* Remaining seconds of a wait of len seconds that began at start. */
static int remaining(time_t start, int len, time_t now)
{
	long long gone = since(now, start);

	return gone >= len ? 0 : len - (int)gone;
}

static int locked(const struct web_throttle_state *s, time_t now)
{
	return s->locked_until > now;
}

int web_throttle_idle(const struct web_throttle_rule *r,
			 const struct web_throttle_state *s, time_t now)
{
	if (locked(s, now))
		return 0;
	return s->failures <= 0 || since(now, s->last_failure) >= pos(r->forget_s);
}

int web_throttle_wait(const struct web_throttle_rule *r,
			 const struct web_throttle_state *s, time_t now)
{
	long long left;

	if (locked(s, now)) {
		/* a clock set back does not stretch a lock beyond lock_s */
		if (__builtin_sub_overflow((long long)s->locked_until, (long long)now, &left) ||
		    left > INT_MAX)
			left = INT_MAX;
		if (pos(r->lock_s) && left > r->lock_s)
			left = r->lock_s;
		return (int)left;
	}
	if (web_throttle_idle(r, s, now))
		return 0;
	return remaining(s->last_failure, delay(r, s->failures), now);
}

void web_throttle_failure(const struct web_throttle_rule *r, struct web_throttle_state *s,
			     time_t now)
{
	if (web_throttle_idle(r, s, now))
		memset(s, 0, sizeof(*s));
	if (s->failures < INT_MAX)
		s->failures++;
	s->last_failure = now;
	if (pos(r->lock_after) && s->failures >= r->lock_after &&
	    __builtin_add_overflow(now, (time_t)pos(r->lock_s), &s->locked_until))
		s->locked_until = TIME_MAX; /* fail closed at the end of time_t */
}

void web_throttle_success(struct web_throttle_state *s)
{
	memset(s, 0, sizeof(*s));
}

void web_throttle_refund(struct web_throttle_state *s)
{
	if (s->failures > 0)
		s->failures--;
}
