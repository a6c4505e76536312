/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * byod-gatewayd's engine: follows the registry's change feed and keeps the
 * network in line with it. On a revoked, suspended or lost device (or a
 * disabled owner) it quarantines the MAC and the session addresses in
 * nftables, takes the MAC out of the admitted map and sends a Disconnect
 * (or CoA) to the NAS of every open session; on accounting Start/Stop it
 * admits and evicts stations on the admit links; on a policy apply it
 * re-renders the whole ruleset with the state in one transaction and
 * disconnects (or moves) the sessions whose segment changed; when a
 * decision's time comes (a schedule window, a certificate near its end,
 * an unlock's start or end), and every re-evaluation interval besides, it
 * does the same for decisions that changed with the time.
 */
#ifndef BYOD_GATEWAY_H
#define BYOD_GATEWAY_H

#include <stdint.h>
#include <time.h>

#include "byod.h"

struct gw;

struct gw_options {
	const char *home;
	int apply;          /* 0: compute and log only, touch neither nftables nor NAS */
	/* level: 0 error, 1 info, 2 debug; fields: the journal's structured
	 * fields of the line ("KEY=value", NULL-terminated: BYOD_SESSION,
	 * BYOD_MAC, BYOD_NAS, BYOD_DEVICE, BYOD_SCHOOL), or NULL */
	void (*log)(int level, const char *const fields[], const char *msg, void *ctx);
	void *log_ctx;
	time_t (*clock)(void *ctx); /* the time decisions are made at; NULL: time(NULL) */
	void *clock_ctx;
	const char *school; /* a UAI: follow that school's devices only; NULL: gateway.school */
	const char *node;   /* the heartbeat's node name; NULL: the host name */
};

struct gw_stats {
	int64_t seq;          /* the last change-feed event handled */
	size_t admitted;      /* MACs in the admitted map */
	size_t quarantined;   /* MACs in quarantine */
	size_t sessions;      /* open sessions followed */
	size_t das_pending;   /* Disconnect/CoA requests not answered yet */
	unsigned long disconnects, coas, nas_failures, renders, batches;
	unsigned long skipped; /* events about another school's objects */
	/* gw_sync's whole reads of the registry (the first too), and the times
	 * the feed was followed on after a reconnection (the server still held
	 * the last event handled: reg_feed_resumable) */
	unsigned long full_loads, resumes;
	/* the Disconnect/CoA requests' ends: ACKed, NAKed, no answer after
	 * the retries, not sent (a fault) */
	unsigned long das_ack, das_nak, das_timeout, das_error;
	unsigned long events; /* change-feed events handled since the start */
	unsigned long feed_reads; /* gw_step's reads of the change feed */
};

/* Opens HOME (byod.conf and the registry, wherever registry.url says);
 * gw_sync then applies the running policy's ruleset with the state
 * computed from the registry. With a school (opt->school, else
 * gateway.school) only its devices are followed; -ENOENT with one sentence
 * when the registry does not know that UAI. */
int gw_open(const struct gw_options *opt, struct gw **out, struct byod_err *err);
void gw_close(struct gw *gw);

/* Rebuilds everything from the registry and renders the ruleset again
 * (after a flush, SIGHUP, a policy apply). */
int gw_sync(struct gw *gw, struct byod_err *err);

/* The whole ruleset with the state gw_sync computed, rendered again (and
 * applied unless opened for a dry run) into *text (malloc'd). */
int gw_ruleset(struct gw *gw, char **text, struct byod_err *err);

/* Handles the change-feed events that arrived since the last call (one
 * read of the feed, 1,000 events at most, counted in gw_stats.feed_reads)
 * and the unlocks whose start or end has come; *handled (may be NULL) gets
 * the events' number. The
 * Disconnects it decides are sent before it returns, their answers read by
 * the next calls. A follower calls it when gw_wait returned 1, when
 * gw_next_wake's time has come, and now and then as a safety net. */
int gw_step(struct gw *gw, int *handled, struct byod_err *err);

/* 1 when the last gw_step read a full batch of the feed (1,000 events):
 * more may wait behind it, which no wait would announce again (a burst
 * woke it once), so the follower steps again at once. */
int gw_more(const struct gw *gw);

/* Waits up to timeout_ms for the change feed (reg_feed_wait): returns 1
 * when an event may have arrived, 0 at the timeout with nothing committed,
 * a negative errno on failure; gw_step then reads it. */
int gw_wait(struct gw *gw, int timeout_ms, struct byod_err *err);

/* Reads the access points' answers, resends, gives up: waits up to wait_ms
 * (0: not at all; -1: until every request has its end). Returns how many
 * requests are still pending. */
size_t gw_das_run(struct gw *gw, int wait_ms);

/* The end of the nearest unlock live at the last look, or the start of an
 * unlock read from its event before its start by this host's clock (0:
 * none): the daemon wakes then, so that gw_step moves the group's sessions
 * within a second of it without any event. */
time_t gw_next_wake(const struct gw *gw);

/* The nearest time a decision made may change by itself (a schedule
 * window or a certificate age limit crossed: pol_decision.valid_until),
 * 0 when none: the daemon calls gw_reevaluate_due then, so that the
 * session moves within a second of it, not at the next periodic
 * evaluation. */
time_t gw_eval_due(const struct gw *gw);

/* Writes the gateway's heartbeat (component "gatewayd", node, the school
 * followed or "", the last change-feed event handled, sessions and sets in
 * words): 0, or the registry's error. */
int gw_heartbeat(struct gw *gw, struct byod_err *err);

/* The daily retention purge (byod_purge at now) when gateway.purge is yes:
 * 1 and the counts in *r when it ran, 0 when gateway.purge is no, or a
 * negative errno with err filled. */
int gw_purge(struct gw *gw, time_t now, struct byod_purge_report *r, struct byod_err *err);

/* Evaluates every open session again at now and acts on those whose
 * decision changed by itself (a schedule window closed). */
int gw_reevaluate(struct gw *gw, time_t now, struct byod_err *err);
/* The same for the sessions whose decision's time has come (gw_eval_due)
 * alone; after a failure those are tried again 30 s later, not at once. */
int gw_reevaluate_due(struct gw *gw, time_t now, struct byod_err *err);

void gw_stats(const struct gw *gw, struct gw_stats *out);
/* The change feed's last event number on the registry (for the lag):
 * 0, or the registry's error. */
int gw_feed_head(struct gw *gw, int64_t *head, struct byod_err *err);
/* What the kernel's sets hold for mac: the segment it is admitted into
 * (NULL when not admitted), and whether it is quarantined. */
const char *gw_admitted(const struct gw *gw, const char *mac);
int gw_quarantined(const struct gw *gw, const char *mac);
int gw_poll_ms(const struct gw *gw);
/* Whether the sets the gateway believes the kernel holds are exactly what
 * the state says should be (every entry compared): 0, -EPROTO, -ENOMEM.
 * The batches are computed from what changed; this checks them whole. */
int gw_verify(const struct gw *gw);

#endif /* BYOD_GATEWAY_H */
