/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The accounting journal a RADIUS node keeps on its own disk (rlm_byod's
 * spool directory): while the registry is unavailable,
 * every accounting packet is appended here and made durable (fsync) before
 * the NAS gets its Accounting-Response, then replayed into the registry in
 * the order it arrived once the registry answers again.
 *
 * Two files in the spool directory (created 0700):
 *  - "journal": records appended one after another, each
 *      magic "BYJ1" | u32 payload length | u64 sequence | payload | u32 CRC-32C
 *    (little-endian, the CRC over everything before it). A power cut in the
 *    middle of an append leaves a torn tail, which the next open cuts off
 *    (it was never acknowledged); a damaged record elsewhere is skipped,
 *    the reader finding the next record by its magic and CRC.
 *  - "cursor": the sequence of the last record the registry committed, in
 *    two alternating slots (magic, sequence, CRC), so that a torn write of
 *    one slot leaves the other; the highest valid slot counts.
 *
 * Nothing lost, nothing twice: a record's cursor is written after the
 * registry committed it, and the journal is emptied only when every record
 * is at or below the cursor. A crash between a commit and its cursor write
 * replays that one record again: the registry's session semantics make it
 * a no-op on the stored row (reg_session_record: a repeated Interim-Update
 * or Stop changes nothing; a repeated Start of the still-open session
 * rewrites the same values and adds one more "session.start" event).
 * A crash between the last cursor write and the truncation only leaves
 * records the next open skips.
 *
 * One process writes a journal: the first that opens it holds its lock
 * (flock); another reads it only, and reg_journal_append or
 * reg_journal_peek there fail with -EBUSY until the lock is free.
 *
 * Not thread-safe: the caller serialises every call (rlm_byod's spool
 * lock), but need not hold its lock while a peeked record is applied.
 */
#ifndef BYOD_REG_JOURNAL_H
#define BYOD_REG_JOURNAL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "byod_err.h"
#include "registry.h"

/* One accounting packet as the journal keeps it. */
struct reg_journal_rec {
	uint64_t seq; /* given by reg_journal_append */
	enum reg_acct_type type;
	time_t time;	      /* when the packet arrived */
	struct reg_session s; /* session_id, nas_ip, nas_id, mac, ip, serial, octets */
};

struct reg_journal;

struct reg_journal_stats {
	size_t pending;	     /* records not yet in the registry */
	uint64_t appended;   /* since the open */
	uint64_t replayed;   /* committed by the registry since the open */
	uint64_t corrupt;    /* damaged records skipped since the open */
	uint64_t torn_bytes; /* a torn tail cut off at the open */
	time_t oldest;	     /* arrival of the oldest pending record, 0: none */
};

/*
 * Opens (creating it 0700 when absent) the spool directory dir and reads
 * its journal: records already replayed are skipped, a torn tail is cut
 * off, damaged records are counted (reg_journal_stats). Returns 0 or a
 * negative errno with err filled; *out is the caller's (reg_journal_free).
 */
int reg_journal_open(const char *dir, struct reg_journal **out, struct byod_err *err);
void reg_journal_free(struct reg_journal *sp);

/* Appends r (its seq is set here) and waits until it is on disk. */
int reg_journal_append(struct reg_journal *sp, struct reg_journal_rec *r, struct byod_err *err);

/*
 * What the replay calls for one record: 0 when the record is done with
 * (committed, or refused for good and reported by the callee), a negative
 * errno to stop and try the same record again later.
 */
typedef int (*reg_journal_apply_fn)(const struct reg_journal_rec *r, void *arg,
				    struct byod_err *err);

/*
 * Hands the oldest pending record to apply and, when it is done with,
 * records that durably. Returns 1 when a record was done with, 0 when
 * nothing was pending (the journal is then emptied), or apply's negative
 * errno (nothing changed). I/O errors of the journal are negative errnos
 * with err filled.
 */
int reg_journal_replay_one(struct reg_journal *sp, reg_journal_apply_fn apply, void *arg,
			   struct byod_err *err);

/*
 * The same in two steps, so that the caller's lock need not be held while
 * the registry applies the record: reg_journal_peek fills r with the oldest
 * pending record and returns 1, or 0 when nothing is pending (the journal
 * is then emptied); reg_journal_done records that this record is committed
 * (it must be the one peeked last) and empties the journal after the last.
 * Records appended in between stay behind it.
 */
int reg_journal_peek(struct reg_journal *sp, struct reg_journal_rec *r, struct byod_err *err);
int reg_journal_done(struct reg_journal *sp, const struct reg_journal_rec *r, struct byod_err *err);

/*
 * Records r in the registry as reg_session_record would have when it
 * arrived: the packet's time is r->time, not now. What a replay's apply
 * callback calls. Returns reg_session_record's result.
 */
int reg_journal_record(struct reg *reg, const struct reg_journal_rec *r, struct byod_err *err);

size_t reg_journal_pending(const struct reg_journal *sp);
void reg_journal_stats(const struct reg_journal *sp, struct reg_journal_stats *out);

/*
 * The journal's reader on a buffer, for the fuzz target and the tests:
 * calls cb for every valid record of buf[0..len) in order, and returns
 * the offset just after the last valid record; *corrupt (may be NULL)
 * gets the number of damaged stretches skipped before it.
 */
size_t reg_journal_parse(const uint8_t *buf, size_t len,
			 int (*cb)(const struct reg_journal_rec *r, void *arg), void *arg,
			 uint64_t *corrupt);

/* One record's bytes, for the tests: writes at most cap bytes of r's
 * encoding into out and returns its full length. */
size_t reg_journal_encode(const struct reg_journal_rec *r, uint8_t *out, size_t cap);

#endif /* BYOD_REG_JOURNAL_H */
