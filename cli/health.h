/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The registry's health as one snapshot of facts, read once and shown two
 * ways: `byodctl doctor` judges them (cmd_doctor.c), `byodctl metrics`
 * prints them for Prometheus (cmd_metrics.c). Nothing here decides what is
 * healthy; it only reads.
 */
#ifndef BYODCTL_HEALTH_H
#define BYODCTL_HEALTH_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "registry.h"

/* One way of reaching the registry: the writers' (registry.url or .path)
 * or the RADIUS index's (registry.read-url). */
struct cli_health_handle {
	int rc;		  /* 0 opened; else the negative errno of the opening */
	char error[1024]; /* the opening's sentence when rc != 0 */
	double open_ms;	  /* how long the opening took */
	int status_rc;	  /* 0: status below is filled */
	char status_error[1024];
	struct reg_ha_status status;
};

struct cli_health {
	time_t now;
	int postgres; /* the configuration names a PostgreSQL registry */
	/* the writers' handle */
	struct cli_health_handle write;
	int schema_version; /* -1 unknown */
	int schema_newest;  /* what this program's migrations reach, -1 unknown */
	int64_t feed_head;  /* -1 unknown */
	/* when write.status was asked for (our clock, the round trip's middle) and how long
	 * the round trip took: write.status.server_time against it is the servers' skew */
	double status_at;
	double status_rtt_s;
	char feed_error[1024];
	/* registry.read-url: read_set 0 when it is empty (the index reads the writers') */
	int read_set;
	struct cli_health_handle read;
	/* the followers' heartbeats */
	int heartbeats_rc;
	char heartbeats_error[1024];
	struct reg_heartbeat *heartbeats;
	size_t nheartbeats;
};

/* Opens the registry of home/byod.conf as it is (never migrated: an older
 * schema is recorded, and nothing else read from it) and, when
 * registry.read-url is set, the read handle too;
 * reads what they say into h and closes them. Each failure is recorded in h
 * (its rc and sentence), never returned: only -ENOMEM is. cli_health_free
 * frees h's allocations. */
int cli_health_collect(const char *home, struct cli_health *h);
void cli_health_free(struct cli_health *h);

/* Standard thresholds, shared so that doctor's WARN/FAIL and an alert rule
 * written from the metrics' help text agree. */
#define CLI_HEALTH_REPLAY_WARN_S    5.0
#define CLI_HEALTH_REPLAY_FAIL_S    60.0
#define CLI_HEALTH_HEARTBEAT_WARN_S 120
#define CLI_HEALTH_HEARTBEAT_FAIL_S 900

#endif /* BYODCTL_HEALTH_H */
