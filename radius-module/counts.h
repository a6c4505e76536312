/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The RADIUS module's decision counts: each decision is counted in memory
 * on the request path (per minute, school, segment and reason; no I/O, a
 * lock per shard that no two threads share in practice), and the counts
 * are flushed to the registry once a minute, every row in one transaction
 * with the node's heartbeat. A flush that fails keeps its rows, which the
 * next one adds, up to a bound; past it, decisions are counted as dropped.
 *
 * No FreeRADIUS here: rlm_byod.c is the glue, and the unit tests drive this
 * file directly.
 */
#ifndef BYOD_RAD_COUNTS_H
#define BYOD_RAD_COUNTS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "byod_err.h"

struct reg;
struct reg_heartbeat;
struct rad_counts;

#define RAD_COUNTS_MAX_ROWS 100000 /* rows kept for the next flush, by default */

struct rad_counts_options {
	const char *node; /* the server's name in every row (at most 63 bytes) */
	size_t max_rows;  /* rows kept for the next flush; 0: RAD_COUNTS_MAX_ROWS */
};

/* 0 and *out (free with rad_counts_free), or -EINVAL (no node, too long)
 * or -ENOMEM with err filled. */
int rad_counts_new(const struct rad_counts_options *opt, struct rad_counts **out,
		   struct byod_err *err);
/* Frees everything, counts not flushed included. NULL: nothing. */
void rad_counts_free(struct rad_counts *c);

/*
 * Counts one decision made at now: school "" or NULL for a device of no
 * known owner, segment "" or NULL for a refusal, reason one of
 * reg_decision_reasons (anything else is counted as dropped). Thread-safe;
 * no I/O; allocates only for a key not seen since the last flush. A shard
 * holds at most max_rows keys between two flushes (past that, dropped).
 */
void rad_counts_add(struct rad_counts *c, time_t now, const char *school, const char *segment,
		    const char *reason);

/*
 * Writes every count made since the last successful flush to reg in one
 * transaction: one reg_decision_add of all the rows, and hb (may be NULL)
 * through reg_heartbeat_put. Returns 0 (*rows, may be NULL, gets how many
 * rows were written), or the registry's error with err filled: the rows
 * are then kept and added at the next flush (past max_rows, the counts of
 * new rows are dropped and counted). Called by one thread at a time.
 */
int rad_counts_flush(struct rad_counts *c, struct reg *reg, const struct reg_heartbeat *hb,
		     size_t *rows, struct byod_err *err);

struct rad_counts_stats {
	uint64_t counted;    /* decisions counted since the start */
	uint64_t flushed;    /* decisions written to the registry */
	uint64_t dropped;    /* decisions lost: past max_rows, no memory, bad reason */
	size_t pending_rows; /* rows kept from failed flushes */
	uint64_t pending;    /* decisions in them */
	unsigned long flushes, failures;
};
/* Approximate while requests run (the shards are not locked together). */
void rad_counts_stats(struct rad_counts *c, struct rad_counts_stats *out);

/*
 * The decisions counted since the start, by segment ("" for a refusal)
 * and reason, never flushed (the stats socket's counters): fn is called
 * once per pair that has been counted, outside any lock. 0, or -ENOMEM.
 * Each shard holds at most 4096 pairs; past that a pair is not totalled.
 */
typedef void (*rad_counts_total_fn)(const char *segment, const char *reason, uint64_t n,
				    void *arg);
int rad_counts_totals(struct rad_counts *c, rad_counts_total_fn fn, void *arg);

/*
 * The flush schedule, on CLOCK_MONOTONIC (the rows keep wall time): a step
 * of the wall clock, back an hour at NTP's first sync, neither stops the
 * flushes until it catches up nor hurries them. *next is the schedule's
 * state (nanoseconds of the monotonic clock).
 */
void rad_flush_schedule(int64_t *next, uint32_t interval_s);
/* 1 when the flush is due (and the next one scheduled interval_s on), 0 not yet. */
int rad_flush_due(int64_t *next, uint32_t interval_s);

#endif /* BYOD_RAD_COUNTS_H */
