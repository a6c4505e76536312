// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * byodctl doctor [--json]: the checks an administrator makes when something
 * is wrong, each on one line: "OK  <check>: <fact>", "WARN <check>: ..." (not
 * fatal) or "FAIL <check>: <what to do>". Exit 0 when nothing FAILs, 1 when
 * something does. The checks are one table of functions over the state
 * directory and the registry's health (health.c, read once); a new kind of
 * check is one more function and one more row. --json prints one object:
 * the overall status and each check's name, status, detail and numbers.
 *
 * Beyond the registry, what an administrator checks on the gateway's
 * machine: the CA key's mode, the CRL's freshness, whether phones trust
 * the portal's certificate, FreeRADIUS's configuration and rlm_byod's
 * status file, the ruleset byod-gatewayd applied against the running
 * policy's, the access points' accounting, the clocks. The registry is
 * opened as it is, never migrated: an older schema is said, with the
 * command that migrates it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <jansson.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

#include "byod.h"
#include "byod_conf.h"
#include "byod_util.h"
#include "byodctl.h"
#include "health.h"
#include "pki.h"

/* rlm_byod rewrites its status file every 10 s: three missed writes is a stopped module */
#define DOCTOR_STATUS_STALE_S 30
/* an access point sends an interim update every few minutes while it carries a session */
#define DOCTOR_AP_SILENT_MIN  60
/* the access points doctor knows: those that sent accounting in this many days */
#define DOCTOR_AP_KNOWN_DAYS  7
#define DOCTOR_SKEW_WARN_S    2.0
#define DOCTOR_SKEW_FAIL_S    60.0

enum doctor_status { DOCTOR_OK, DOCTOR_WARN, DOCTOR_FAIL };

static const char *const status_names[] = {"OK", "WARN", "FAIL"};

struct doctor {
	const char *home;
	const struct cli_health *h;
	int conf_ok;		  /* conf below is loaded */
	struct byod_conf conf;
	struct byod_ctx look;	  /* look.reg: the registry as it is, NULL when not current */
	char pki[PATH_MAX];	  /* pki.dir resolved */
	const char *raddb;	  /* --raddb, NULL: looked for */
	int ap_silent_min;	  /* --ap-silent MINUTES */
	char only[512];		  /* --check NAME,...: "" every check */
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
		       "schema %d, this program wants %d: run byodctl registry migrate (as the "
		       "registry's owner), then restart the services",
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

/* The registry opened and its schema is this program's: what is read from
 * it means something (an older one's FAIL says what to do first). */
static int registry_current(const struct doctor *d)
{
	return !d->h->write.rc && d->h->schema_version == d->h->schema_newest;
}

static void check_feed(struct doctor *d)
{
	const struct cli_health *h = d->h;

	if (!registry_current(d))
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

	if (!registry_current(d))
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

/* ---- the gateway's machine ---- */

static const char *user_name(uid_t uid, char *buf, size_t len)
{
	struct passwd *pw = getpwuid(uid);

	if (pw)
		snprintf(buf, len, "%s", pw->pw_name);
	else
		snprintf(buf, len, "%u", (unsigned)uid);
	return buf;
}

/* The school CA's key: whoever reads it signs certificates the RADIUS
 * server accepts. Its owner is BYOD_HOME's (the byod user), no one else
 * reads it. */
static void check_ca_key(struct doctor *d)
{
	char path[PATH_MAX + 16], owner[64], want[64];
	struct stat st, hs;

	if (!d->conf_ok)
		return;
	snprintf(path, sizeof(path), "%s/ca.key", d->pki);
	if (stat(path, &st)) {
		report(d, DOCTOR_WARN, NULL,
		       "%s: %s: this machine cannot sign enrolments or CRLs (the CA is elsewhere?)",
		       path, strerror(errno));
		return;
	}
	if (stat(d->home, &hs))
		hs.st_uid = st.st_uid;
	user_name(st.st_uid, owner, sizeof(owner));
	user_name(hs.st_uid, want, sizeof(want));
	if (st.st_mode & 077)
		report(d, DOCTOR_FAIL,
		       json_pack("{s:s, s:s, s:i}", "path", path, "owner", owner, "mode",
				 (int)(st.st_mode & 07777)),
		       "%s is mode %04o, readable by others than its owner: run chmod 600 %s", path,
		       (unsigned)(st.st_mode & 07777), path);
	else if (st.st_uid != hs.st_uid)
		report(d, DOCTOR_FAIL,
		       json_pack("{s:s, s:s, s:i}", "path", path, "owner", owner, "mode",
				 (int)(st.st_mode & 07777)),
		       "%s is owned by %s, not by %s who owns %s: run chown %s %s", path, owner,
		       want, d->home, want, path);
	else
		report(d, DOCTOR_OK,
		       json_pack("{s:s, s:s, s:i}", "path", path, "owner", owner, "mode",
				 (int)(st.st_mode & 07777)),
		       "%s is mode %04o, owned by %s", path, (unsigned)(st.st_mode & 07777), owner);
}

static int newest_revoked(const struct reg_cert *c, void *arg)
{
	time_t *newest = arg;

	if (c->revoked_at > *newest)
		*newest = c->revoked_at;
	return 0;
}

/* The CRL FreeRADIUS checks: not past its nextUpdate (it would refuse every
 * certificate), and made after the newest revocation (or that device still
 * connects). */
static void check_crl(struct doctor *d)
{
	char path[PATH_MAX + 16], t1[32], t2[32];
	struct byod_err err = {0};
	time_t this_update = 0, next_update = 0, newest = 0, now = d->h->now;
	int rc;

	if (!d->conf_ok)
		return;
	snprintf(path, sizeof(path), "%s/crl.pem", d->pki);
	rc = pki_crl_times(path, &this_update, &next_update, &err);
	if (rc) {
		report(d, DOCTOR_FAIL, NULL, "%s: run byodctl ca crl --out %s", err.msg, path);
		return;
	}
	if (d->look.reg && reg_cert_list_revoked(d->look.reg, newest_revoked, &newest, &err))
		newest = 0;
	json_t *n = json_pack("{s:s, s:I, s:I, s:I}", "path", path, "this_update",
			      (json_int_t)this_update, "next_update", (json_int_t)next_update,
			      "newest_revocation", (json_int_t)newest);
	if (next_update && next_update < now)
		report(d, DOCTOR_FAIL, n,
		       "%s expired at %s: FreeRADIUS refuses every certificate; run byodctl ca crl "
		       "--out %s",
		       path, byod_time_iso(next_update, t1, sizeof(t1)), path);
	else if (newest > this_update)
		report(d, DOCTOR_FAIL, n,
		       "%s was made at %s, before the revocation of %s: the revoked device still "
		       "connects; run byodctl ca crl --out %s",
		       path, byod_time_iso(this_update, t1, sizeof(t1)),
		       byod_time_iso(newest, t2, sizeof(t2)), path);
	else
		report(d, DOCTOR_OK, n, "%s made %s, valid until %s, after every revocation", path,
		       byod_time_iso(this_update, t1, sizeof(t1)),
		       next_update ? byod_time_iso(next_update, t2, sizeof(t2)) : "no end");
}

/* As `byodctl portal check`: does a new phone trust the portal without a
 * warning (a public root of portal.trust-store, its name, its dates)? */
static void check_portal_cert(struct doctor *d)
{
	struct pki_check_params cp = {.days = BYOD_PORTAL_CERT_DAYS};
	struct pki_server_cert *sc = NULL;
	struct pki_cert_report rep, own;
	struct byod_portal_tls w;
	struct byod_err err = {0};
	char when[32], ca[PATH_MAX + 16];
	json_t *n;

	if (!d->conf_ok)
		return;
	if (byod_portal_tls_where(&d->conf, &w, &err)) {
		report(d, DOCTOR_FAIL, NULL, "%s: correct it in %s/byod.conf", err.msg, d->home);
		return;
	}
	if (!w.url_https[0]) {
		report(d, DOCTOR_WARN, NULL,
		       "portal.https-port is 0: devices are sent to %s/ in plain HTTP; give the "
		       "portal a certificate from a public CA",
		       w.url_http);
		return;
	}
	if (byod_portal_tls_check(&w, &sc, &rep, &err)) {
		report(d, DOCTOR_FAIL, NULL,
		       "%s: install the portal's certificate and key (portal.tls-cert, "
		       "portal.tls-key)",
		       err.msg);
		return;
	}
	n = json_pack("{s:s, s:s, s:s, s:s, s:I, s:i}", "cert", w.cert, "host", w.host, "root",
		      rep.root, "trust_store", w.trust_store, "not_after",
		      (json_int_t)rep.not_after, "problems", (int)rep.problems);
	byod_time_iso(rep.not_after, when, sizeof(when));
	/* chained to the school's own CA: a private root no phone has */
	cp.host = w.host;
	cp.trust_store = ca;
	snprintf(ca, sizeof(ca), "%s/ca.pem", d->pki);
	if (rep.problems == PKI_CERT_UNTRUSTED &&
	    !pki_server_cert_check(sc, &cp, &own, NULL) && !(own.problems & PKI_CERT_UNTRUSTED)) {
		report(d, DOCTOR_WARN, n,
		       "%s is signed by the school's private CA, which phones do not trust: "
		       "they warn, and devices are sent to %s/ in plain HTTP; install a "
		       "certificate from a public CA (portal.tls-cert)",
		       w.cert, w.url_http);
	} else if (rep.problems & PKI_CERT_OUT_OF_DATE) {
		report(d, DOCTOR_FAIL, n,
		       "%s is out of date (valid until %s): phones refuse it; renew it and reload "
		       "byod-portal",
		       w.cert, when);
	} else if (!pki_cert_report_trusted(&rep)) {
		report(d, DOCTOR_FAIL, n,
		       "%s: phones warn; install a certificate for %s from a CA of %s and reload "
		       "byod-portal",
		       rep.why[0], w.host, w.trust_store);
	} else if (rep.problems) {
		report(d, DOCTOR_WARN, n, "%s: renew it before %s", rep.why[0], when);
	} else {
		report(d, DOCTOR_OK, n, "%s is trusted for %s: chains to %s, valid until %s",
		       w.cert, w.host, rep.root, when);
	}
	pki_server_cert_free(sc);
}

/* The raddb the school's FreeRADIUS reads: --raddb, else the private one
 * `byodctl radius config --out HOME/raddb` writes, else the system's when
 * the module is installed there (enabled or not: the check says which).
 * "" none found. */
static void find_raddb(const struct doctor *d, char *out, size_t len)
{
	char p[PATH_MAX + 32];

	out[0] = '\0';
	if (d->raddb) {
		snprintf(out, len, "%s", d->raddb);
		return;
	}
	snprintf(p, sizeof(p), "%s/raddb/radiusd.conf", d->home);
	if (!access(p, F_OK)) {
		snprintf(out, len, "%s/raddb", d->home);
		return;
	}
	if (!access("/etc/freeradius/3.0/mods-enabled/byod", F_OK) ||
	    !access("/etc/freeradius/3.0/mods-available/byod", F_OK))
		snprintf(out, len, "/etc/freeradius/3.0");
}

/* The value of a setting `name = "value"` of a FreeRADIUS file (not
 * commented out), into out; "" when absent. */
static void raddb_setting(const char *path, const char *name, char *out, size_t len)
{
	char line[PATH_MAX + 64], *p, *q;
	size_t n = strlen(name);
	FILE *f = fopen(path, "re");

	out[0] = '\0';
	while (f && fgets(line, sizeof(line), f)) {
		for (p = line; *p == ' ' || *p == '\t'; p++)
			;
		if (strncmp(p, name, n) || (p[n] != ' ' && p[n] != '\t' && p[n] != '='))
			continue;
		p = strchr(p + n, '"');
		q = p ? strchr(p + 1, '"') : NULL;
		if (q) {
			snprintf(out, len, "%.*s", (int)(q - p - 1), p + 1);
			break;
		}
	}
	if (f)
		fclose(f);
}

static void check_freeradius(struct doctor *d)
{
	char raddb[PATH_MAX], path[PATH_MAX + 64], home[PATH_MAX], real_a[PATH_MAX],
		real_b[PATH_MAX];

	find_raddb(d, raddb, sizeof(raddb));
	if (!raddb[0]) {
		report(d, DOCTOR_FAIL, NULL,
		       "no FreeRADIUS configuration with rlm_byod: run byodctl radius config --out "
		       "%s/raddb, or enable the module in /etc/freeradius/3.0",
		       d->home);
		return;
	}
	snprintf(path, sizeof(path), "%s/mods-enabled/byod", raddb);
	if (access(path, R_OK)) {
		report(d, DOCTOR_FAIL, json_pack("{s:s}", "raddb", raddb),
		       "%s is missing: FreeRADIUS does not load rlm_byod; link it (ln -s "
		       "../mods-available/byod %s) and restart FreeRADIUS",
		       path, path);
		return;
	}
	/* the private raddb names its state directory in byod-vars.conf */
	snprintf(path, sizeof(path), "%s/byod-vars.conf", raddb);
	raddb_setting(path, "byod_home", home, sizeof(home));
	if (home[0] && realpath(home, real_a) && realpath(d->home, real_b) &&
	    strcmp(real_a, real_b)) {
		report(d, DOCTOR_FAIL, json_pack("{s:s, s:s}", "raddb", raddb, "home", home),
		       "%s serves %s, not %s: run byodctl radius config --out %s again", raddb,
		       home, d->home, raddb);
		return;
	}
	report(d, DOCTOR_OK, json_pack("{s:s}", "raddb", raddb),
	       "%s has rlm_byod in mods-enabled", raddb);
}

/* rlm_byod's status file, rewritten every 10 s while the module runs. */
static void check_radius_module(struct doctor *d)
{
	char raddb[PATH_MAX], mod[PATH_MAX + 32], spool[PATH_MAX], path[PATH_MAX + 16];
	json_error_t jerr;
	struct stat st;
	json_t *s, *n;
	long long age;
	const char *reg;

	find_raddb(d, raddb, sizeof(raddb));
	spool[0] = '\0';
	if (raddb[0]) {
		snprintf(mod, sizeof(mod), "%s/mods-enabled/byod", raddb);
		raddb_setting(mod, "spool_dir", spool, sizeof(spool));
	}
	if (!spool[0])
		snprintf(spool, sizeof(spool), "%s/radius-spool", d->home);
	snprintf(path, sizeof(path), "%s/status", spool);
	if (stat(path, &st)) {
		report(d, DOCTOR_FAIL, json_pack("{s:s}", "status_file", path),
		       "no status file %s: FreeRADIUS has not loaded rlm_byod; start FreeRADIUS "
		       "and look at its log",
		       path);
		return;
	}
	age = (long long)(d->h->now - st.st_mtime);
	if (age < 0)
		age = 0;
	s = json_load_file(path, 0, &jerr);
	reg = s ? json_string_value(json_object_get(s, "registry")) : NULL;
	n = json_pack("{s:s, s:I, s:I, s:s?}", "status_file", path, "age_s", (json_int_t)age,
		      "pid", (json_int_t)(s ? json_integer_value(json_object_get(s, "pid")) : 0),
		      "registry", reg);
	if (age > DOCTOR_STATUS_STALE_S)
		report(d, DOCTOR_FAIL, n,
		       "%s was last written %lld s ago: FreeRADIUS or rlm_byod has stopped; "
		       "restart FreeRADIUS and look at its log",
		       path, age);
	else if (reg && strcmp(reg, "reachable"))
		report(d, DOCTOR_WARN, n,
		       "rlm_byod says the registry is %s: it decides from memory and spools "
		       "accounting; check registry.url on the RADIUS server",
		       reg);
	else
		report(d, DOCTOR_OK, n,
		       "rlm_byod (process %lld) wrote %s %lld s ago: registry %s, %lld devices",
		       s ? (long long)json_integer_value(json_object_get(s, "pid")) : 0LL, path,
		       age, reg ? reg : "unknown",
		       s ? (long long)json_integer_value(json_object_get(s, "devices")) : 0LL);
	json_decref(s);
}

/* byod-gatewayd names the ruleset it applied in its heartbeat ("ruleset
 * DIGEST, ..."); the running policy of the school it follows renders
 * another one when a policy or firewall.* changed and it did not apply it. */
static void check_gateway(struct doctor *d)
{
	const struct cli_health *h = d->h;
	size_t i, ngw = 0;

	if (!registry_current(d) || !d->look.reg || h->heartbeats_rc)
		return;
	for (i = 0; i < h->nheartbeats; i++) {
		const struct reg_heartbeat *hb = &h->heartbeats[i];
		char applied[BYOD_FW_DIGEST_LEN] = "", want[BYOD_FW_DIGEST_LEN] = "";
		char where[160];
		struct pol_policy *pol = NULL;
		struct byod_err err = {0};
		int rc;
		json_t *n;

		if (strcmp(hb->component, "gatewayd"))
			continue;
		ngw++;
		snprintf(where, sizeof(where), "byod-gatewayd on node %s%s%s", hb->node,
			 hb->school[0] ? " for " : "", hb->school);
		if (!strncmp(hb->detail, "ruleset ", 8))
			snprintf(applied, sizeof(applied), "%.16s", hb->detail + 8);
		if (hb->school[0])
			rc = byod_policy_load_school(&d->look, hb->school, &pol, NULL, &err);
		else
			rc = byod_policy_load(&d->look, 0, &pol, NULL, &err);
		if (!rc)
			rc = byod_fw_ruleset_digest(&d->look, pol, want, &err);
		pol_free(pol);
		n = json_pack("{s:s, s:s, s:s, s:s}", "node", hb->node, "school", hb->school,
			      "applied", applied, "policy", want);
		if (rc)
			report(d, DOCTOR_FAIL, n,
			       "the running policy's ruleset cannot be rendered (%s): see byodctl "
			       "firewall check",
			       err.msg);
		else if (!applied[0])
			report(d, DOCTOR_WARN, n,
			       "%s does not say which ruleset it applied: it has applied none yet, "
			       "or is older than this byodctl",
			       where);
		else if (strcmp(applied, want))
			report(d, DOCTOR_FAIL, n,
			       "%s applied ruleset %s, the running policy renders %s: restart "
			       "it (systemctl restart byod-gatewayd), which reads byod.conf "
			       "again, and look at its log",
			       where, applied, want);
		else
			report(d, DOCTOR_OK, n, "%s applied ruleset %s, the running policy's",
			       where, applied);
	}
	if (!ngw)
		report(d, DOCTOR_WARN, NULL,
		       "no byod-gatewayd has reported to this registry: start it (systemctl start "
		       "byod-gatewayd) where the school's network is");
}

struct ap_list {
	time_t now, silent_s;
	size_t known, silent;
	char names[1024];
	json_t *arr;
};

static int ap_seen(const struct reg_nas_seen *nas, void *arg)
{
	struct ap_list *l = arg;
	char name[160];
	size_t used = strlen(l->names);
	long long age = (long long)(l->now - nas->last);

	l->known++;
	snprintf(name, sizeof(name), "%s%s%s%s", nas->nas_id[0] ? nas->nas_id : nas->nas_ip,
		 nas->nas_id[0] && nas->nas_ip[0] ? " (" : "", nas->nas_id[0] ? nas->nas_ip : "",
		 nas->nas_id[0] && nas->nas_ip[0] ? ")" : "");
	json_array_append_new(l->arr, json_pack("{s:s, s:s, s:s, s:I}", "school", nas->school,
						"nas_ip", nas->nas_ip, "nas_id", nas->nas_id,
						"age_s", (json_int_t)age));
	if (age <= (long long)l->silent_s)
		return 0;
	l->silent++;
	if (used + strlen(name) + 3 < sizeof(l->names))
		snprintf(l->names + used, sizeof(l->names) - used, "%s%s", used ? ", " : "", name);
	return 0;
}

/* Each access point that sent accounting in the last days: silent for
 * longer than --ap-silent minutes, it is off or its RADIUS goes elsewhere. */
static void check_access_points(struct doctor *d)
{
	struct ap_list l = {.now = d->h->now, .silent_s = (time_t)d->ap_silent_min * 60};
	struct byod_err err = {0};
	json_t *n;

	if (!registry_current(d) || !d->look.reg)
		return;
	l.arr = json_array();
	if (reg_stats_nas(d->look.reg, NULL, NULL, d->h->now - DOCTOR_AP_KNOWN_DAYS * 86400,
			  ap_seen, &l, &err)) {
		json_decref(l.arr);
		report(d, DOCTOR_FAIL, NULL,
		       "the access points' accounting cannot be read (%s): check the registry's "
		       "permissions",
		       err.msg);
		return;
	}
	n = json_pack("{s:o, s:i}", "access_points", l.arr, "silent_after_min", d->ap_silent_min);
	if (!l.known)
		report(d, DOCTOR_WARN, n,
		       "no access point has sent accounting in %d days: point the access points' "
		       "RADIUS accounting at this server",
		       DOCTOR_AP_KNOWN_DAYS);
	else if (l.silent)
		report(d, DOCTOR_WARN, n,
		       "%zu of %zu access points silent for more than %d minutes: %s; check that "
		       "they are on and send accounting here",
		       l.silent, l.known, d->ap_silent_min, l.names);
	else
		report(d, DOCTOR_OK, n, "%zu access point%s heard within %d minutes", l.known,
		       l.known == 1 ? "" : "s", d->ap_silent_min);
}

/* Certificates, CRLs and sessions carry times: this machine's clock
 * synchronised (the kernel's STA_UNSYNC, set while no NTP daemon
 * disciplines it), and, on PostgreSQL, the server's clock against ours. */
static void check_clock(struct doctor *d)
{
	const struct cli_health *h = d->h;
	struct timex tx = {0};
	int state = adjtimex(&tx);
	int unsync = state < 0 || state == TIME_ERROR || (tx.status & STA_UNSYNC);
	double skew = 0;
	int have_skew = !h->write.rc && !h->write.status_rc && h->write.status.server_time > 0;
	enum doctor_status st = unsync ? DOCTOR_WARN : DOCTOR_OK;
	char server[200] = "";
	json_t *n;

	if (have_skew) {
		skew = h->write.status.server_time - h->status_at;
		/* within the round trip's half, the clocks may agree */
		if (skew > -h->status_rtt_s / 2 && skew < h->status_rtt_s / 2)
			skew = 0;
		if (skew > DOCTOR_SKEW_FAIL_S || skew < -DOCTOR_SKEW_FAIL_S)
			st = DOCTOR_FAIL;
		else if (skew > DOCTOR_SKEW_WARN_S || skew < -DOCTOR_SKEW_WARN_S)
			st = DOCTOR_WARN;
		snprintf(server, sizeof(server), "; the registry server %s is %.1f s %s",
			 h->write.status.server, skew < 0 ? -skew : skew,
			 skew < 0 ? "behind" : "ahead");
	}
	n = json_pack("{s:b, s:I, s:I}", "synchronised", !unsync, "maxerror_us",
		      (json_int_t)tx.maxerror, "esterror_us", (json_int_t)tx.esterror);
	if (have_skew)
		json_object_set_new(n, "registry_skew_s", json_real(skew));
	if (st == DOCTOR_OK)
		report(d, st, n, "synchronised (max error %.0f ms)%s", (double)tx.maxerror / 1e3,
		       server);
	else if (unsync)
		report(d, st, n,
		       "this machine's clock is not synchronised (adjtimex STA_UNSYNC)%s: enable "
		       "NTP (timedatectl set-ntp true, or chrony)",
		       server);
	else
		report(d, st, n,
		       "this machine's clock and the registry server's differ by %.1f s: "
		       "synchronise both with NTP",
		       skew < 0 ? -skew : skew);
}

/* The checks, in the order they print. */
static const struct doctor_check {
	const char *name;
	void (*run)(struct doctor *d);
} doctor_checks[] = {
	{"registry", check_registry},	    {"schema", check_schema},
	{"backend", check_backend},	    {"primary", check_primary},
	{"read-url", check_read_url},	    {"replication", check_replication},
	{"synchronous", check_synchronous}, {"feed", check_feed},
	{"followers", check_followers},	    {"ca-key", check_ca_key},
	{"crl", check_crl},		    {"portal-cert", check_portal_cert},
	{"freeradius", check_freeradius},   {"radius-module", check_radius_module},
	{"gateway", check_gateway},	    {"access-points", check_access_points},
	{"clock", check_clock},
};

/* Whether --check names it ("" every check). */
static int wanted(const struct doctor *d, const char *name)
{
	const char *p = d->only;
	size_t n = strlen(name);

	if (!p[0])
		return 1;
	while ((p = strstr(p, name))) {
		if ((p == d->only || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return 1;
		p += n;
	}
	return 0;
}

/* What the checks beyond the registry's health need: byod.conf, pki.dir,
 * and the registry opened as it is when its schema is this program's. */
static void doctor_open(struct doctor *d)
{
	struct byod_err err = {0};
	char actor[64];

	if (byod_conf_load_home(&d->conf, d->home, &err))
		return;
	d->conf_ok = 1;
	d->look.conf = d->conf;
	if (byod_conf_path(&d->conf, d->conf.pki_dir, d->pki, sizeof(d->pki)))
		snprintf(d->pki, sizeof(d->pki), "%s/pki", d->home);
	if (!registry_current(d))
		return;
	cli_actor(actor, sizeof(actor));
	if (reg_open_conf_look(&d->conf, actor, &d->look.reg, &err))
		d->look.reg = NULL;
}

static void doctor_close(struct doctor *d)
{
	reg_close(d->look.reg);
	d->look.reg = NULL;
	if (d->conf_ok)
		byod_conf_free(&d->conf);
}

int cli_doctor(const char *home, int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"raddb", required_argument, NULL, 'r'},
		{"ap-silent", required_argument, NULL, 'a'},
		{"check", required_argument, NULL, 'c'},
		{NULL, 0, NULL, 0},
	};
	struct cli_health h;
	struct doctor d = {.home = home, .ap_silent_min = DOCTOR_AP_SILENT_MIN};
	size_t i;
	int c, json = 0, rc;
	char *end;
	long v;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'r':
			d.raddb = optarg;
			break;
		case 'a':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || v < 1 || v > 100000)
				return cli_usage("--ap-silent takes minutes, from 1");
			d.ap_silent_min = (int)v;
			break;
		case 'c':
			if (snprintf(d.only, sizeof(d.only), "%s", optarg) >= (int)sizeof(d.only))
				return cli_usage("--check: too long");
			break;
		default:
			return cli_usage(NULL);
		}
	}
	if (optind != argc)
		return cli_usage("doctor takes [--json] [--raddb DIR] [--ap-silent MINUTES] "
				 "[--check NAME,...]");
	if (cli_health_collect(home, &h)) {
		cli_health_free(&h);
		return cli_fail("out of memory");
	}
	d.h = &h;
	doctor_open(&d);
	if (json)
		d.checks = json_array();
	for (i = 0; i < sizeof(doctor_checks) / sizeof(doctor_checks[0]); i++) {
		if (!wanted(&d, doctor_checks[i].name))
			continue;
		d.check = doctor_checks[i].name;
		doctor_checks[i].run(&d);
	}
	doctor_close(&d);
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
