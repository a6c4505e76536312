// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * byodctl doctor [--json]: the checks an administrator makes when something
 * is wrong, each on one line: "OK  <check>: <fact>", "WARN <check>: ..." (not
 * fatal) or "FAIL <check>: <what to do>". Exit 0 when nothing FAILs, 1 when
 * something does. The checks are one table of functions over the state
 * directory and the registry's health (health.c, read once); a new kind of
 * check is one more function and one more row. --json prints one object:
 * the overall status and each check's name, status, detail and numbers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "byodctl.h"
#include "health.h"

enum doctor_status { DOCTOR_OK, DOCTOR_WARN, DOCTOR_FAIL };

static const char *const status_names[] = {"OK", "WARN", "FAIL"};

struct doctor {
	const char *home;
	const struct cli_health *h;
	json_t *checks; /* --json: the array of results; NULL: text lines */
	enum doctor_status worst;
	const char *check; /* the name of the check running */
};

/* One result of the running check: its status, its sentence, and (nums, taken, may be
 * NULL) the numbers behind it for --json. */
static void __attribute__((format(printf, 4, 5)))
report(struct doctor *d, enum doctor_status st, json_t *nums, const char *fmt, ...)
{
	char detail[2048];
	json_t *o;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (st > d->worst)
		d->worst = st;
	if (!d->checks) {
		printf("%-4s %s: %s\n", status_names[st], d->check, detail);
		json_decref(nums);
		return;
	}
	o = json_pack("{s:s, s:s, s:s}", "name", d->check, "status", status_names[st], "detail",
		      detail);
	if (nums)
		json_object_update(o, nums);
	json_decref(nums);
	json_array_append_new(d->checks, o);
}

static int is_postgres(const struct cli_health *h)
{
	return !h->write.status_rc && !strcmp(h->write.status.backend, "postgresql");
}

/* The status of a lag of s seconds (-1 unknown: OK, said so by the caller). */
static enum doctor_status lag_status(double s)
{
	if (s > CLI_HEALTH_REPLAY_FAIL_S)
		return DOCTOR_FAIL;
	if (s > CLI_HEALTH_REPLAY_WARN_S)
		return DOCTOR_WARN;
	return DOCTOR_OK;
}

/* ---- the checks ---- */

static void check_registry(struct doctor *d)
{
	const struct cli_health *h = d->h;
	json_t *n = json_pack("{s:f}", "open_ms", h->write.open_ms);

	if (h->write.rc == -EPROTO) {
		/* reached, and refused for its schema: said by the next check */
		report(d, DOCTOR_OK, n, "reached in %.0f ms", h->write.open_ms);
	} else if (h->write.rc && h->postgres) {
		report(d, DOCTOR_FAIL, n,
		       "%s: check registry.url in %s/byod.conf and that a primary runs (patronictl "
		       "list)",
		       h->write.error, d->home);
	} else if (h->write.rc) {
		report(d, DOCTOR_FAIL, n, "%s: check registry.path in %s/byod.conf", h->write.error,
		       d->home);
	} else {
		report(d, DOCTOR_OK, n, "opened %s in %.0f ms",
		       h->write.status_rc ? "the registry" : h->write.status.server,
		       h->write.open_ms);
	}
}

static void check_schema(struct doctor *d)
{
	const struct cli_health *h = d->h;
	json_t *n;

	if (h->write.rc == -EPROTO) {
		report(d, DOCTOR_FAIL, NULL,
		       "this byodctl is older than the registry: install the byod release that "
		       "migrated it on this machine (%s)",
		       h->write.error);
		return;
	}
	if (h->write.rc)
		return;
	if (h->schema_version < 0) {
		report(d, DOCTOR_FAIL, NULL,
		       "the schema version cannot be read (%s): check the registry's permissions",
		       h->write.error);
		return;
	}
	n = json_pack("{s:i, s:i}", "schema_version", h->schema_version, "schema_newest",
		      h->schema_newest);
	if (h->schema_version == h->schema_newest)
		report(d, DOCTOR_OK, n,
		       "migrated: schema version %d, the newest this byodctl knows",
		       h->schema_version);
	else
		report(d, DOCTOR_FAIL, n,
		       "schema version %d is not this byodctl's newest (%d): run byodctl with the "
		       "rights to migrate it",
		       h->schema_version, h->schema_newest);
}

static void check_backend(struct doctor *d)
{
	const struct cli_health *h = d->h;
	const struct reg_ha_status *s = &h->write.status;

	if (h->write.rc)
		return;
	if (h->write.status_rc) {
		report(d, DOCTOR_FAIL, NULL,
		       "the server's replication state cannot be read (%s): grant the registry's "
		       "login pg_monitor",
		       h->write.status_error);
		return;
	}
	report(d, DOCTOR_OK, json_pack("{s:s, s:s}", "backend", s->backend, "server", s->server),
	       is_postgres(h) ? "PostgreSQL server %s" : "SQLite file %s", s->server);
}

static void check_primary(struct doctor *d)
{
	const struct cli_health *h = d->h;
	const struct reg_ha_status *s = &h->write.status;
	json_t *n;

	if (h->write.rc || !is_postgres(h))
		return;
	n = json_pack("{s:s, s:b}", "server", s->server, "in_recovery", s->in_recovery);
	if (s->in_recovery)
		report(d, DOCTOR_FAIL, n,
		       "the writers' URL landed on %s, a standby in recovery: list every node in "
		       "registry.url with target_session_attrs=read-write",
		       s->server);
	else
		report(d, DOCTOR_OK, n, "%s is the primary (not in recovery)", s->server);
}

static void check_read_url(struct doctor *d)
{
	const struct cli_health *h = d->h;
	const struct reg_ha_status *s = &h->read.status;
	enum doctor_status st;
	json_t *n;

	if (h->write.rc)
		return;
	if (!h->read_set) {
		report(d, DOCTOR_OK, NULL,
		       "registry.read-url is not set: the RADIUS index reads where the writers do");
		return;
	}
	if (h->read.rc || h->read.status_rc) {
		report(d, DOCTOR_FAIL, json_pack("{s:f}", "open_ms", h->read.open_ms),
		       "%s: check registry.read-url in %s/byod.conf, or empty it to read from "
		       "registry.url",
		       h->read.rc ? h->read.error : h->read.status_error, d->home);
		return;
	}
	n = json_pack("{s:s, s:b, s:f, s:I, s:f}", "server", s->server, "in_recovery",
		      s->in_recovery, "replay_delay_s", s->replay_delay_s, "feed_head",
		      (json_int_t)s->feed_head, "open_ms", h->read.open_ms);
	if (!s->in_recovery) {
		report(d, DOCTOR_OK, n, "lands on %s, the primary (%.0f ms)", s->server,
		       h->read.open_ms);
		return;
	}
	st = lag_status(s->replay_delay_s);
	if (st == DOCTOR_OK && s->replay_delay_s < 0)
		report(d, st, n,
		       "lands on %s, a standby, no commit replayed since it started, feed at %lld "
		       "(%.0f ms)",
		       s->server, (long long)s->feed_head, h->read.open_ms);
	else if (st == DOCTOR_OK)
		report(d, st, n,
		       "lands on %s, a standby, replaying %.1f s behind, feed at %lld (%.0f ms)",
		       s->server, s->replay_delay_s, (long long)s->feed_head, h->read.open_ms);
	else
		report(d, st, n,
		       "the standby %s that the RADIUS index reads replays %.0f s behind the "
		       "primary: check its replication (patronictl list) and its disk",
		       s->server, s->replay_delay_s);
}

static void check_replication(struct doctor *d)
{
	const struct cli_health *h = d->h;
	const struct reg_ha_status *s = &h->write.status;
	int i;

	if (h->write.rc || h->write.status_rc)
		return;
	if (!is_postgres(h)) {
		report(d, DOCTOR_OK, json_pack("{s:i}", "standbys", 0),
		       "SQLite is a single file: no replication, no failover");
		return;
	}
	if (s->nstandbys == 0) {
		report(d, DOCTOR_WARN, json_pack("{s:i}", "standbys", 0),
		       "no standby streams: the registry has no failover");
		return;
	}
	for (i = 0; i < s->nstandbys && i < REG_HA_STANDBYS_MAX; i++) {
		const struct reg_ha_standby *sb = &s->standbys[i];
		enum doctor_status st = lag_status(sb->replay_lag_s);
		char lag[64], replay[64];
		json_t *n = json_pack("{s:s, s:s, s:s, s:s, s:I, s:f, s:i}", "standby", sb->name,
				      "addr", sb->addr, "state", sb->state, "sync_state",
				      sb->sync_state, "lag_bytes", (json_int_t)sb->lag_bytes,
				      "replay_lag_s", sb->replay_lag_s, "standbys", s->nstandbys);

		if (sb->lag_bytes < 0)
			snprintf(lag, sizeof(lag), "unknown lag (grant pg_monitor)");
		else
			snprintf(lag, sizeof(lag), "%lld bytes behind", (long long)sb->lag_bytes);
		if (sb->replay_lag_s < 0)
			snprintf(replay, sizeof(replay), "no replay lag measured");
		else
			snprintf(replay, sizeof(replay), "replaying %.3f s behind",
				 sb->replay_lag_s);
		if (strcmp(sb->state, "streaming") && st == DOCTOR_OK)
			st = DOCTOR_WARN;
		if (st == DOCTOR_OK)
			report(d, st, n, "standby %s%s%s%s is %s, %s, %s, %s", sb->name,
			       sb->addr[0] ? " (" : "", sb->addr, sb->addr[0] ? ")" : "", sb->state,
			       sb->sync_state, lag, replay);
		else if (strcmp(sb->state, "streaming"))
			report(d, st, n,
			       "standby %s is %s, not streaming (%s, %s): wait for it to catch up, "
			       "or look at its log",
			       sb->name, sb->state, lag, replay);
		else
			report(d, st, n,
			       "standby %s replays %.0f s behind the primary (%s): check its disk "
			       "and network",
			       sb->name, sb->replay_lag_s, lag);
	}
}

static void check_synchronous(struct doctor *d)
{
	const struct cli_health *h = d->h;
	const struct reg_ha_status *s = &h->write.status;
	int i, nsync = 0;
	json_t *n;

	if (h->write.rc || !is_postgres(h))
		return;
	for (i = 0; i < s->nstandbys && i < REG_HA_STANDBYS_MAX; i++)
		if (!strcmp(s->standbys[i].sync_state, "sync") ||
		    !strcmp(s->standbys[i].sync_state, "quorum"))
			nsync++;
	n = json_pack("{s:s, s:b, s:i}", "sync_names", s->sync_names, "synchronous",
		      s->sync_names[0] != '\0', "sync_standbys", nsync);
	if (!s->sync_names[0])
		report(d, DOCTOR_OK, n,
		       "off: a commit does not wait for a standby (the last second may be lost "
		       "with the primary)");
	else if (!nsync)
		report(d, DOCTOR_FAIL, n,
		       "synchronous_standby_names is '%s' but no standby is synchronous: commits "
		       "wait; start a standby or turn synchronous_mode off in Patroni",
		       s->sync_names);
	else
		report(d, DOCTOR_OK, n,
		       "on (synchronous_standby_names '%s'): a commit waits for %d standby%s",
		       s->sync_names, nsync, nsync == 1 ? "" : "s");
}

static void check_feed(struct doctor *d)
{
	const struct cli_health *h = d->h;

	if (h->write.rc)
		return;
	if (h->feed_head < 0)
		report(d, DOCTOR_FAIL, NULL,
		       "the change feed cannot be read (%s): check the registry's permissions",
		       h->feed_error);
	else
		report(d, DOCTOR_OK, json_pack("{s:I}", "feed_head", (json_int_t)h->feed_head),
		       "the change feed's head is event %lld", (long long)h->feed_head);
}

/* The program a component's heartbeat comes from, as an administrator
 * knows it. */
static const char *program_of(const char *component)
{
	if (!strcmp(component, "radius"))
		return "FreeRADIUS";
	if (!strcmp(component, "gatewayd"))
		return "byod-gatewayd";
	if (!strcmp(component, "portal"))
		return "byod-portal";
	return component;
}

static void check_followers(struct doctor *d)
{
	const struct cli_health *h = d->h;
	size_t i;

	if (h->write.rc)
		return;
	if (h->heartbeats_rc) {
		report(d, DOCTOR_FAIL, NULL,
		       "the heartbeats cannot be read (%s): check the registry's permissions",
		       h->heartbeats_error);
		return;
	}
	if (!h->nheartbeats) {
		report(d, DOCTOR_WARN, NULL,
		       "no RADIUS module or gateway has reported to this registry: check that "
		       "they run and use it");
		return;
	}
	for (i = 0; i < h->nheartbeats; i++) {
		const struct reg_heartbeat *hb = &h->heartbeats[i];
		long long age = (long long)(h->now - hb->seen);
		long long behind = h->feed_head >= 0 ? (long long)(h->feed_head - hb->feed_seq) : 0;
		char where[160];
		json_t *n;

		if (age < 0)
			age = 0;
		snprintf(where, sizeof(where), "%s on node %s%s%s", hb->component, hb->node,
			 hb->school[0] ? " for " : "", hb->school);
		n = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I}", "component", hb->component,
			      "node", hb->node, "school", hb->school, "feed_seq",
			      (json_int_t)hb->feed_seq, "feed_head", (json_int_t)h->feed_head,
			      "behind", (json_int_t)behind, "age_s", (json_int_t)age);
		if (age > CLI_HEALTH_HEARTBEAT_WARN_S)
			report(d, age > CLI_HEALTH_HEARTBEAT_FAIL_S ? DOCTOR_FAIL : DOCTOR_WARN, n,
			       "%s has not reported for %lld minutes: check that %s runs there",
			       where, age / 60, program_of(hb->component));
		else if (behind < 0)
			report(d, DOCTOR_WARN, n,
			       "%s has applied event %lld, past the head %lld: it follows another "
			       "registry, or this one lost events (a failover without synchronous "
			       "replication, a restore): restart %s there",
			       where, (long long)hb->feed_seq, (long long)h->feed_head,
			       program_of(hb->component));
		else
			report(d, DOCTOR_OK, n,
			       "%s at event %lld of %lld (%lld behind), reported %lld s ago", where,
			       (long long)hb->feed_seq, (long long)h->feed_head, behind, age);
	}
}

/* The checks, in the order they print; issue #22 adds the non-registry
 * ones (certificates, FreeRADIUS, the firewall) as more rows. */
static const struct doctor_check {
	const char *name;
	void (*run)(struct doctor *d);
} doctor_checks[] = {
	{"registry", check_registry},	    {"schema", check_schema},
	{"backend", check_backend},	    {"primary", check_primary},
	{"read-url", check_read_url},	    {"replication", check_replication},
	{"synchronous", check_synchronous}, {"feed", check_feed},
	{"followers", check_followers},
};

int cli_doctor(const char *home, int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	struct cli_health h;
	struct doctor d = {.home = home};
	size_t i;
	int c, json = 0, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'j')
			return cli_usage(NULL);
		json = 1;
	}
	if (optind != argc)
		return cli_usage("doctor takes only --json");
	if (cli_health_collect(home, &h)) {
		cli_health_free(&h);
		return cli_fail("out of memory");
	}
	d.h = &h;
	if (json)
		d.checks = json_array();
	for (i = 0; i < sizeof(doctor_checks) / sizeof(doctor_checks[0]); i++) {
		d.check = doctor_checks[i].name;
		doctor_checks[i].run(&d);
	}
	cli_health_free(&h);
	if (json) {
		rc = cli_json(json_pack("{s:s, s:o}", "status", status_names[d.worst], "checks",
					d.checks));
		if (rc)
			return rc;
	} else if (fflush(stdout)) {
		return cli_fail("cannot write the report");
	}
	return d.worst == DOCTOR_FAIL ? 1 : 0;
}
