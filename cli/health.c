// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Reads the registry's health once for `byodctl doctor` and `byodctl
 * metrics`: how long the registry takes to open and whether its schema is
 * this program's, what the server the writers land on says of replication
 * (reg_ha_status), where registry.read-url lands and how far behind it
 * replays, the change feed's head, and each follower's heartbeat. Every
 * failure becomes a recorded fact (its errno and sentence) so that the
 * callers can report it; the handles are closed before returning.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "byod_conf.h"
#include "byodctl.h"
#include "health.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void record(char *out, size_t len, const struct byod_err *err)
{
	byod_err_str(err, out, len);
}

struct hb_list {
	struct reg_heartbeat *v;
	size_t n, cap;
};

static int hb_add(const struct reg_heartbeat *hb, void *arg)
{
	struct hb_list *l = arg;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct reg_heartbeat *v = reallocarray(l->v, cap, sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *hb;
	return 0;
}

/* What the handle's server says of replication, into hd->status. */
static void read_status(struct reg *reg, struct cli_health_handle *hd)
{
	struct byod_err err = {0};

	hd->status_rc = reg_ha_status(reg, &hd->status, &err);
	if (hd->status_rc)
		record(hd->status_error, sizeof(hd->status_error), &err);
}

/* The writers' handle: open, schema, replication, feed head, heartbeats. */
static int collect_write(const struct byod_conf *conf, const char *actor, struct cli_health *h)
{
	struct hb_list list = {0};
	struct byod_err err = {0};
	struct reg *reg = NULL;
	double t0 = now_ms();
	int rc;

	double t1;

	/* as it is: looking never migrates (that is byodctl registry migrate's) */
	h->write.rc = reg_open_conf_look(conf, actor, &reg, &err);
	h->write.open_ms = now_ms() - t0;
	if (h->write.rc) {
		record(h->write.error, sizeof(h->write.error), &err);
		return 0;
	}
	h->schema_newest = reg_schema_newest(reg);
	if (reg_schema_version(reg, &h->schema_version, &err)) {
		h->schema_version = -1;
		record(h->write.error, sizeof(h->write.error), &err);
	}
	t0 = now_ms();
	{
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		h->status_at = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	}
	read_status(reg, &h->write);
	t1 = now_ms();
	/* the server answered somewhere in the round trip: its middle, give or take half */
	h->status_at += (t1 - t0) / 2e3;
	h->status_rtt_s = (t1 - t0) / 1e3;
	if (h->schema_version >= 0 && h->schema_version < h->schema_newest) {
		/* an older schema's tables are not this program's: the schema check says
		 * what to do, nothing more is read */
		reg_close(reg);
		return 0;
	}
	if (reg_events_last(reg, &h->feed_head, &err)) {
		h->feed_head = -1;
		record(h->feed_error, sizeof(h->feed_error), &err);
	}
	rc = reg_heartbeat_list(reg, NULL, hb_add, &list, &err);
	if (rc == -ENOMEM) {
		free(list.v);
		reg_close(reg);
		return rc;
	}
	h->heartbeats_rc = rc;
	if (rc)
		record(h->heartbeats_error, sizeof(h->heartbeats_error), &err);
	h->heartbeats = list.v;
	h->nheartbeats = list.n;
	reg_close(reg);
	return 0;
}

/* registry.read-url: where it lands. */
static void collect_read(const struct byod_conf *conf, const char *actor, struct cli_health *h)
{
	struct byod_err err = {0};
	struct reg *reg = NULL;
	double t0 = now_ms();

	h->read.rc = reg_open_conf_read(conf, actor, 0, &reg, &err);
	h->read.open_ms = now_ms() - t0;
	if (h->read.rc) {
		record(h->read.error, sizeof(h->read.error), &err);
		return;
	}
	read_status(reg, &h->read);
	reg_close(reg);
}

int cli_health_collect(const char *home, struct cli_health *h)
{
	struct byod_conf conf;
	struct byod_err err = {0};
	char actor[64];
	int rc = 0;

	memset(h, 0, sizeof(*h));
	h->now = time(NULL);
	h->schema_version = -1;
	h->schema_newest = -1;
	h->feed_head = -1;
	h->write.status_rc = -ENODATA;
	h->read.status_rc = -ENODATA;
	h->heartbeats_rc = -ENODATA;
	cli_actor(actor, sizeof(actor));
	h->write.rc = byod_conf_load_home(&conf, home, &err);
	if (h->write.rc) {
		/* nothing opened: the registry check says why */
		record(h->write.error, sizeof(h->write.error), &err);
		goto out;
	}
	/* as reg_open_conf chooses: registry.url wins over registry.backend */
	h->postgres = (conf.registry_url && conf.registry_url[0]) ||
		      conf.registry_backend == BYOD_REGISTRY_POSTGRES;
	h->read_set = conf.registry_read_url && conf.registry_read_url[0];
	rc = collect_write(&conf, actor, h);
	if (!rc && h->read_set)
		collect_read(&conf, actor, h);
out:
	byod_conf_free(&conf);
	return rc;
}

void cli_health_free(struct cli_health *h)
{
	if (!h)
		return;
	free(h->heartbeats);
	h->heartbeats = NULL;
	h->nheartbeats = 0;
}
