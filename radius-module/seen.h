/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The first sightings of renewed certificates, queued by the RADIUS module
 * on the request path (memory only, bounded, duplicates folded) and written
 * by its follower thread with reg_cert_seen at each flush of the decision
 * counts; the registry then revokes each replaced certificate, and every
 * node's index drops it through the change feed. A flush that fails keeps
 * its serials for the next one.
 *
 * No FreeRADIUS here: rlm_byod.c is the glue, and the unit tests drive this
 * file directly.
 */
#ifndef BYOD_RAD_SEEN_H
#define BYOD_RAD_SEEN_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "byod_err.h"

struct reg;
struct rad_seen;

#define RAD_SEEN_MAX 4096 /* serials kept between two flushes, by default */

/* 0 and *out (free with rad_seen_free), or -ENOMEM with err filled;
 * max 0: RAD_SEEN_MAX. */
int rad_seen_new(size_t max, struct rad_seen **out, struct byod_err *err);
void rad_seen_free(struct rad_seen *q);

/*
 * Queues one serial (normalised lowercase hex, as rad_answer.serial):
 * thread-safe, no I/O, no allocation; a serial already queued is not
 * queued twice; past the bound it is dropped (and counted): a later accept
 * of the same certificate queues it again.
 */
void rad_seen_add(struct rad_seen *q, const char *serial);

/*
 * Writes every queued serial with reg_cert_seen(reg, ..., now) in one
 * transaction. Returns 0 (*written and *revoked, may be NULL, get how many
 * serials were written and how many certificates that revoked), or the
 * registry's error with err filled: the serials are then kept for the next
 * flush. reg NULL: nothing is written (-ENOTCONN), everything is kept.
 * Called by one thread at a time.
 */
int rad_seen_flush(struct rad_seen *q, struct reg *reg, time_t now, size_t *written, int *revoked,
		   struct byod_err *err);

struct rad_seen_stats {
	size_t queued;	  /* serials waiting */
	uint64_t written; /* serials written since the start */
	uint64_t dropped; /* serials dropped past the bound */
	unsigned long failures;
};
void rad_seen_stats(struct rad_seen *q, struct rad_seen_stats *out);

#endif /* BYOD_RAD_SEEN_H */
