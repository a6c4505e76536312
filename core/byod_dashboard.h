/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The dashboard's figures (core/dashboard.c): what byod-admin shows of one
 * school at an instant, and the département's table of one line per
 * school with the same headline figures and the same flags. Everything is
 * read from the registry (reg_stats_*, the decision counts rlm_byod
 * flushes, the daemons' heartbeats, the change feed) and the CRL file;
 * nothing here draws (web/svgchart.c does, for the pages).
 */
#ifndef BYOD_DASHBOARD_H
#define BYOD_DASHBOARD_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "byod.h"

#define BYOD_DASH_HOURS	       24	   /* authentications: the last 24 hours */
#define BYOD_DASH_DAYS	       30	   /* enrolments: the last 30 days, today included */
#define BYOD_DASH_CERT_DAYS    30	   /* certificates ending within */
#define BYOD_DASH_SILENT_S     3600	   /* an access point silent this long is flagged */
#define BYOD_DASH_NAS_SINCE_S  (7 * 86400) /* access points seen with a session since */
#define BYOD_DASH_HEARTBEAT_S  180	   /* a daemon not heard from this long is flagged */
#define BYOD_DASH_LAG_S	       60	   /* a daemon this far behind the change feed is flagged */
#define BYOD_DASH_SEGMENTS_MAX 32
#define BYOD_DASH_CERTS_MAX    20 /* certificates listed (all are counted) */
#define BYOD_DASH_NAS_MAX      64
#define BYOD_DASH_GATEWAYS_MAX 32

/* Why authentications were refused: reg_decision_count.reason values. */
enum byod_dash_reason {
	BYOD_DASH_UNKNOWN,	  /* "unknown": no such device */
	BYOD_DASH_CERT_REVOKED,	  /* "cert-revoked" */
	BYOD_DASH_CERT_EXPIRED,	  /* "cert-expired" */
	BYOD_DASH_DEVICE_STATE,	  /* "device-state" */
	BYOD_DASH_OWNER_DISABLED, /* "owner-disabled" */
	BYOD_DASH_RULE,		  /* "rule" */
	BYOD_DASH_NO_POLICY,	  /* "no-policy" */
	BYOD_DASH_OTHER,	  /* anything else a newer module sends */
	BYOD_DASH_REASON_N,
};
/* The reason's registry name ("unknown", ..., "other"). */
const char *byod_dash_reason_name(enum byod_dash_reason r);

struct byod_dash_segment {
	char name[64]; /* the policy's segment; "" for the devices refused now */
	int64_t devices;
};

struct byod_dash_nas {
	char nas_ip[64], nas_id[64];
	time_t last; /* its newest accounting packet */
	int64_t sessions_open;
	int silent; /* at - last >= BYOD_DASH_SILENT_S */
};

struct byod_dash_gateway {
	char component[32], node[64], school[REG_UAI_MAX];
	char detail[128];
	time_t seen;	  /* its last heartbeat */
	int64_t feed_seq; /* the last change it applied; <= 0: it does not follow the feed */
	int64_t lag;	  /* changes it has not applied yet */
	long lag_s;	  /* how old the oldest of them is, seconds; 0: none */
	int stale;	  /* at - seen > BYOD_DASH_HEARTBEAT_S */
	int late;	  /* lag_s > BYOD_DASH_LAG_S */
};

/* One school at an instant. */
struct byod_dashboard {
	char school[REG_UAI_MAX];
	char name[REG_NAME_MAX];
	time_t at;

	int64_t people;
	int64_t devices[BYOD_DEVICE_UNKNOWN]; /* by state */
	int64_t sessions_open;

	/* the live (active or suspended) devices by the segment the school's
	 * policy gives them at at; segments[i].name "" holds the refused */
	struct byod_dash_segment segments[BYOD_DASH_SEGMENTS_MAX];
	size_t nsegments;
	int no_policy; /* the school has no running policy: nothing decided */

	/* authentications: hour[i] starts at hour0 + i * 3600 */
	time_t hour0;
	int64_t accepted[BYOD_DASH_HOURS], refused[BYOD_DASH_HOURS];
	int64_t refused_by[BYOD_DASH_REASON_N]; /* over the 24 hours */
	int64_t accepted_total, refused_total;

	/* enrolments per local day: day[i] starts at day_start[i], the last is today */
	time_t day_start[BYOD_DASH_DAYS];
	int64_t enrolments[BYOD_DASH_DAYS];
	int64_t enrolments_total;

	/* certificates ending within BYOD_DASH_CERT_DAYS (all counted, the soonest listed) */
	int64_t certs_ending;
	struct reg_cert_expiry certs[BYOD_DASH_CERTS_MAX];
	size_t ncerts;

	struct byod_dash_nas nas[BYOD_DASH_NAS_MAX];
	size_t nnas;
	int nas_silent;

	/* the CRL the RADIUS server checks (one for the registry's CA) */
	int crl_missing; /* not there or not readable */
	time_t crl_this_update, crl_next_update;
	int crl_late; /* missing, or past its nextUpdate */

	int64_t feed_last; /* the change feed's newest event */
	struct byod_dash_gateway gateways[BYOD_DASH_GATEWAYS_MAX];
	size_t ngateways;
	int gateways_flagged;

	int flags; /* how many things are flagged (silent APs, daemons, CRL) */
};

/*
 * The dashboard of school at at (0: now), as scope (NULL: every school)
 * may see it: -ENOENT when there is no such school or the scope does not
 * hold it. Devices are decided by the school's running policy (its own,
 * else the département's default); the daemons shown are the school's and
 * those of every school.
 */
int byod_dashboard_school(struct byod_ctx *ctx, const struct reg_scope *scope, const char *school,
			  time_t at, struct byod_dashboard *out, struct byod_err *err);

/* The pure steps of byod_dashboard_school, for its tests and for the
 * pages' live updates: the period set up (hours, days) from d->at, one
 * decision count (a row of rlm_byod's, one minute) folded in, one
 * heartbeat folded in (oldest_unapplied: the time of the first change
 * after feed_seq, 0 when none), and the flags counted. */
void byod_dashboard_period(struct byod_dashboard *d, time_t at);
void byod_dashboard_add_decision(struct byod_dashboard *d, time_t minute, const char *segment,
				 const char *reason, int64_t count);
void byod_dashboard_add_heartbeat(struct byod_dashboard *d, const char *component, const char *node,
				  const char *school, time_t seen, int64_t feed_seq,
				  const char *detail, time_t oldest_unapplied);
void byod_dashboard_flag(struct byod_dashboard *d);

/* One school's line in the département's table. */
struct byod_dash_line {
	char school[REG_UAI_MAX];
	char name[REG_NAME_MAX];
	int64_t people;
	int64_t devices[BYOD_DEVICE_UNKNOWN];
	int64_t sessions_open;
	int64_t accepted, refused; /* the last 24 hours */
	int64_t enrolments;	   /* the last 30 days */
	int64_t certs_ending;	   /* within 30 days */
	int nas, nas_silent;
	int gateways, gateways_flagged;
	int crl_late; /* the registry's CRL: the same on every line */
	int flags;
};

/*
 * The département's table at at (0: now): one line per school of scope
 * (NULL: every school in the registry), by UAI. A daemon of every school
 * counts on every line. *lines is malloc'd (free()), *n lines. unknown
 * (may be NULL) gets the authentications of the last 24 hours of devices
 * of no school (unknown to the registry: refused), which only a scope of
 * every school sees; 0 for the others.
 */
int byod_dashboard_lines(struct byod_ctx *ctx, const struct reg_scope *scope, time_t at,
			 struct byod_dash_line **lines, size_t *n, int64_t *unknown,
			 struct byod_err *err);

#endif /* BYOD_DASHBOARD_H */
