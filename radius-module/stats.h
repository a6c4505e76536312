/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The RADIUS module's stats socket (SPOOL_DIR/stats.sock): a Unix stream
 * socket, mode 0660, on which a thread accepts a connection, writes the
 * module's counters in Prometheus's text format (byod_expo.h) and closes
 * it; `byodctl metrics` reads it and appends what it said. Nothing is
 * read from the client. No FreeRADIUS here: rlm_byod.c starts and stops
 * it with the instance, the unit tests drive it directly.
 */
#ifndef BYOD_RAD_STATS_H
#define BYOD_RAD_STATS_H

#include "byod_err.h"

struct byod_expo;
struct rad_stats;

/* Writes the counters of arg to e, in the stats thread. */
typedef void (*rad_stats_fn)(void *arg, struct byod_expo *e);

/* Binds path (a stale socket there is replaced, anything else refused),
 * chmod 0660, starts the thread. 0 and *out, or a negative errno with err. */
int rad_stats_start(const char *path, rad_stats_fn write, void *arg, struct rad_stats **out,
		    struct byod_err *err);
/* Stops the thread, removes the socket, frees; NULL is a no-op. */
void rad_stats_stop(struct rad_stats *s);

#endif /* BYOD_RAD_STATS_H */
