/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The RADIUS module's memory: every device, certificate and owner of the
 * registry, and the running policy, kept current by following the
 * registry's change feed, so that deciding a request needs no database
 * round trip. Decisions take a read lock; refreshes a write lock for the
 * moment they swap entries in.
 *
 * No FreeRADIUS here: rlm_byod.c is the glue, and the unit tests drive this
 * file directly.
 */
#ifndef BYOD_RAD_INDEX_H
#define BYOD_RAD_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "byod_err.h"

struct rad_index;

struct rad_index_options {
	const char *home;      /* the gateway's state directory (byod.conf) */
	int registration_vlan; /* when no policy can be had */
	int unreachable_reject; /* refuse, rather than register, while the
				 * registry has never been read */
};

/*
 * Opens HOME's registry and loads everything. When the registry cannot be
 * read, the index still opens (empty, *degraded set, err filled) so that the
 * server starts and unknown devices get the registration VLAN; refresh keeps
 * trying (opening the registry again when the open itself failed). Returns 0 or a negative errno (bad configuration, no memory).
 */
int rad_index_open(const struct rad_index_options *opt, struct rad_index **out, int *degraded,
		   struct byod_err *err);
void rad_index_free(struct rad_index *ix);

/*
 * Applies what the change feed says happened since the last call, batch
 * after batch (50 of 1,000 events at most: rad_index_more). *changed
 * (may be NULL) gets the number of events applied. On failure the index
 * keeps its last state (known devices keep their decisions) and err says why.
 */
int rad_index_refresh(struct rad_index *ix, int *changed, struct byod_err *err);

/* 1 when the last refresh stopped with batches of the feed left (it reads
 * 50,000 events at most): the follower refreshes again without waiting,
 * as no wait would announce them again. Refresh's thread only. */
int rad_index_more(const struct rad_index *ix);

/*
 * Waits up to timeout_ms for the registry's change feed (reg_feed_wait):
 * returns 1 when an event may have arrived (the caller then calls
 * rad_index_refresh), 0 at the timeout with nothing committed (a refresh
 * would read nothing: the caller may skip it), a negative errno when the
 * wait failed. Sleeps, then returns 1, when the registry is not open (the
 * refresh opens it again). Not to be called by two threads at once with
 * refresh (it holds the registry connection while it waits).
 *
 * Nothing the index holds goes stale with time alone: certificates' ends,
 * the owners' leaving dates and the unlocks' starts and ends are compared
 * with the request's time (rad_query.now) at each decision (an unlock
 * still to start when it is read is held: at its event, and at a load when
 * it starts within five minutes), so that an index that reads the registry
 * only when the feed moved decides as one that reads it all the time.
 */
int rad_index_wait(struct rad_index *ix, int timeout_ms, struct byod_err *err);

enum rad_method { RAD_METHOD_MAC, RAD_METHOD_TLS };

struct rad_query {
	enum rad_method method;
	const char *mac;    /* Calling-Station-Id, any common form, or NULL */
	const char *serial; /* TLS-Client-Cert-Serial, or NULL */
	time_t now;
	/* fill rule, reason and device of an accept too (debugging, a
	 * Reply-Message on accepts); a refusal always says why */
	bool explain;
};

struct rad_answer {
	int accept;             /* 1: accept in vlan; 0: reject */
	int vlan;
	long session_timeout;   /* seconds, 0: none */
	int known;              /* the device is in the registry */
	char device[37];        /* its id, when known */
	char rule[128];         /* the policy rule that decided, or what did */
	char reason[256];       /* one sentence for the log and Reply-Message */
	/* what the decision counts (counts.h) file it under */
	char school[16];        /* the owner's school, "" for an unknown device */
	char segment[64];       /* the segment, "" when refused */
	const char *counted;    /* one of reg_decision_reasons (static) */
	/* an accepted renewal's certificate that was never seen while the one
	 * it replaces is still valid: the caller queues serial (seen.h) */
	int first_sighting;
	char serial[41];        /* its serial, normalised, when first_sighting */
};

/* Decides one request from memory. Thread-safe; never blocks on I/O. */
void rad_index_decide(struct rad_index *ix, const struct rad_query *rq, struct rad_answer *out);

/*
 * Remembers which certificate last authenticated from a MAC, so that the
 * accounting of an EAP-TLS session (which carries no certificate) finds its
 * device. rad_index_serial_for_mac fills out (REG_SERIAL_MAX bytes) and
 * returns 0, or -ENOENT.
 */
void rad_index_remember(struct rad_index *ix, const char *mac, const char *serial);
int rad_index_serial_for_mac(struct rad_index *ix, const char *mac, char *out, size_t len);

struct rad_index_stats {
	size_t devices, certs, people;
	size_t bytes;           /* what the maps hold */
	double load_s;          /* how long the last full load took (registry read, maps filled) */
	int64_t seq;            /* the last change-feed event applied */
	int64_t policy_version; /* 0: none */
	int degraded;           /* the last refresh failed */
	/* after a reconnection: the whole registry read again, or the feed
	 * followed on from the last event applied (its number and tag still
	 * the server's); full_loads counts the first load too */
	unsigned long full_loads, resumes;
	unsigned long feed_reads; /* refreshes that read the registry (the feed, or all) */
	char reload_why[160];   /* why the last full load after the first, "" none */
};
void rad_index_stats(struct rad_index *ix, struct rad_index_stats *out);

#endif /* BYOD_RAD_INDEX_H */
