// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rlm_byod: the FreeRADIUS 3.2 glue between a RADIUS request and the
 * gateway. Thin: the decision is index.c's (devices, certificates and the
 * policy in memory), accounting goes to the registry.
 *
 *  - authorize, outer server, no EAP: MAC authentication (MAB) on
 *    Calling-Station-Id; an accepted device gets its segment's VLAN and
 *    Auth-Type := Accept.
 *  - authorize in the certificate-check virtual server that eap { tls {
 *    virtual_server = ... } } calls: TLS-Client-Cert-Serial decides, and a
 *    reject there ends the EAP conversation with an EAP-Failure.
 *  - accounting: Start / Interim-Update / Stop into the registry; while
 *    the registry is unavailable, into the spool's journal (spool.c),
 *    fsynced before the NAS is answered, and every later packet behind
 *    them until the journal is replayed, so that the order holds.
 *
 * A thread follows the registry's change feed, so that a revocation reaches
 * the decisions as soon as it is committed (PostgreSQL's NOTIFY, SQLite's
 * data_version); it reads the registry only then (and every FEED_SAFETY_S),
 * not at every poll interval of an idle registry; the same thread
 * replays the journal once the registry answers again and keeps a status
 * file (SPOOL_DIR/status, JSON) that `byodctl radius status` reads: since
 * when the registry is unreachable, how many accounting records wait.
 *
 * Every decision is counted in memory (counts.c: per minute, school,
 * segment and reason, no I/O on the request path); the same thread writes
 * the counts every counts_interval seconds in one transaction with the
 * node's heartbeat (component "radius", the feed position applied), and
 * keeps them for the next time while the registry cannot take them.
 *
 * A renewed certificate accepted for the first time while the one it
 * replaces still works is queued (seen.c, memory only); at the same flush
 * the queue is written with reg_cert_seen, which revokes the old
 * certificate, and the change feed takes that to every node.
 */
#include <freeradius/radiusd.h>
#include <freeradius/modules.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "byod_util.h"
#include "byod_expo.h"
#include "counts.h"
#include "index.h"
#include "seen.h"
#include "registry.h"
#include "reg_journal.h"
#include "stats.h"

typedef struct rlm_byod_t {
	char const *name;
	char const *home;
	uint32_t registration_vlan;
	uint32_t poll_interval; /* milliseconds */
	char const *registry_down; /* "registration" or "reject" */
	char const *spool_dir;     /* "": HOME/radius-spool */
	uint32_t acct_wait;        /* milliseconds an accounting write waits for a lock */
	char const *node;          /* this server's name in the counts; "": the host name */
	uint32_t counts_interval;  /* seconds between two flushes of the decision counts */
	char const *tls_cache_dir; /* the eap module's persist_dir, "": not looked after */
	uint32_t tls_cache_lifetime; /* hours a TLS session is kept there */
	bool reply_message;        /* Reply-Message on accepts too */

	DICT_ATTR const *serial_da;
	struct rad_index *index;
	struct rad_counts *counts;
	struct rad_seen *seen;  /* renewed certificates seen for the first time */
	int seen_failing;       /* the last write of them failed (said once) */
	char node_name[64];
	int64_t counts_next;   /* the follower's: the next flush, not before (monotonic) */
	int counts_failing;    /* the last flush failed (said once) */
	char spool_path[PATH_MAX - 16];
	/* acct_lock: one live accounting packet at a time, and its registry
	 * handle; spool_lock: the journal, never held while the registry
	 * works, so that a registry slow to fail holds no packet up */
	struct reg *acct;
	pthread_mutex_t acct_lock;
	struct reg_journal *spool;
	int spooling;          /* the journal is in use since the last replay ended */
	uint64_t corrupt_told; /* damaged journal records already logged */
	pthread_mutex_t spool_lock;
	/* the follower's own: the replay's registry handle (it waits less) */
	struct reg *replay;
	time_t replay_after;   /* no replay attempt before */
	int replay_failing;    /* its last attempt failed for another reason */
	/* the follower's own */
	time_t down_since;     /* the registry unreachable since, 0: reachable */
	unsigned long loads_told, resumes_told; /* the index's, as last logged */
	char status_last[512]; /* what the status file says (less its time) */
	time_t status_written;
	pthread_t follower;
	pthread_mutex_t stop_lock;
	pthread_cond_t stop_cond;
	bool stop;
	bool follower_started;
	/* the stats socket (SPOOL_DIR/stats.sock) and what only it shows */
	struct rad_stats *stats;
	time_t started;
	int64_t feed_head;     /* the registry's last event, read by the follower
			        * at most once a second (atomic); -1: not yet */
	time_t head_read;      /* the follower's own */
	bool head_due;         /* the follower's own: the index read the feed since */
	time_t cache_swept;    /* the follower's own: the TLS cache's last sweep */
	bool tls_cache_ready;  /* tls_cache_dir is there, this user's, 0700 */
	bool tls_cache_owner;  /* this server holds its lock: it sweeps and removes */
	int tls_cache_fd;      /* the directory, locked (flock) while this server runs */
	/* EAP-TLS decisions the index made, and post-auth's reuses of the
	 * certificate check's decision in the same request (atomics) */
	uint64_t tls_decided, tls_reused;
	/* the follower's turns (atomic): its wake-ups, what an idle server pays */
	uint64_t follower_turns;
} rlm_byod_t;

static const CONF_PARSER module_config[] = {
	{ "home", FR_CONF_OFFSET(PW_TYPE_STRING, rlm_byod_t, home), "/var/lib/byod" },
	{ "registration_vlan", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_byod_t, registration_vlan),
	  "10" },
	{ "poll_interval", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_byod_t, poll_interval), "200" },
	{ "registry_down", FR_CONF_OFFSET(PW_TYPE_STRING, rlm_byod_t, registry_down),
	  "registration" },
	{ "spool_dir", FR_CONF_OFFSET(PW_TYPE_STRING, rlm_byod_t, spool_dir), "" },
	{ "acct_wait", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_byod_t, acct_wait), "1000" },
	{ "node", FR_CONF_OFFSET(PW_TYPE_STRING, rlm_byod_t, node), "" },
	{ "counts_interval", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_byod_t, counts_interval), "60" },
	{ "tls_cache_dir", FR_CONF_OFFSET(PW_TYPE_STRING, rlm_byod_t, tls_cache_dir), "" },
	{ "tls_cache_lifetime", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_byod_t, tls_cache_lifetime),
	  "24" },
	{ "reply_message", FR_CONF_OFFSET(PW_TYPE_BOOLEAN, rlm_byod_t, reply_message), "no" },
	CONF_PARSER_TERMINATOR
};

/* ---- accounting into the registry, or into the journal ---- */

/* What every program treats as "the registry is unavailable" (a server
 * gone, a lock held past the wait, an I/O error): the packet is kept. */
static int unavailable(int rc)
{
	return rc == -ENOTCONN || rc == -EBUSY || rc == -EIO;
}

static int open_accounting(rlm_byod_t *inst, struct reg **reg, int wait_ms, struct byod_err *err)
{
	return *reg ? 0 : reg_open_home(inst->home, "rlm_byod", wait_ms, reg, err);
}

/* A handle whose server went away is opened again at its next use. */
static void drop_if_gone(struct reg **reg, int rc)
{
	if (rc == -ENOTCONN || rc == -EIO) {
		reg_close(*reg);
		*reg = NULL;
	}
}

/* One journal record into the registry, with the time it arrived. */
static int replay_record(const struct reg_journal_rec *r, void *arg, struct byod_err *err)
{
	rlm_byod_t *inst = arg;
	int rc;

	rc = reg_journal_record(inst->replay, r, err);
	if (!rc || unavailable(rc))
		return rc;
	/* a record the registry refuses for good is not retried forever */
	ERROR("rlm_byod (%s): accounting record %llu of session %s refused by the registry, "
	      "skipped: %s",
	      inst->name, (unsigned long long)r->seq, r->s.session_id, err->msg);
	return 0;
}

/* Replays the journal, a bounded batch per call so that the follower
 * stays responsive. The record is applied outside the spool lock: live
 * packets meanwhile go on into the journal, behind it, since it stays
 * pending until reg_journal_done. */
static void replay(rlm_byod_t *inst)
{
	struct reg_journal_stats st;
	struct reg_journal_rec r;
	struct byod_err err;
	int rc = 0, n = 0;

	while (time(NULL) >= inst->replay_after) {
		pthread_mutex_lock(&inst->spool_lock);
		rc = reg_journal_pending(inst->spool) ? reg_journal_peek(inst->spool, &r, &err) : 0;
		pthread_mutex_unlock(&inst->spool_lock);
		if (rc == 1) {
			rc = open_accounting(inst, &inst->replay, 200, &err);
			if (!rc)
				rc = replay_record(&r, inst, &err);
			pthread_mutex_lock(&inst->spool_lock);
			if (!rc)
				rc = reg_journal_done(inst->spool, &r, &err);
			rc = rc ? rc : 1;
		} else {
			pthread_mutex_lock(&inst->spool_lock);
		}
		if (rc < 0) {
			drop_if_gone(&inst->replay, rc);
			inst->replay_after = time(NULL) + 1;
		}
		reg_journal_stats(inst->spool, &st);
		if (st.corrupt > inst->corrupt_told) {
			ERROR("rlm_byod (%s): %llu damaged accounting journal records skipped in %s",
			      inst->name, (unsigned long long)(st.corrupt - inst->corrupt_told),
			      inst->spool_path);
			inst->corrupt_told = st.corrupt;
		}
		if (rc >= 0 && !st.pending && inst->spooling) {
			INFO("rlm_byod (%s): accounting journal replayed into the registry "
			     "(%llu records in all)",
			     inst->name, (unsigned long long)st.replayed);
			inst->spooling = 0;
		}
		pthread_mutex_unlock(&inst->spool_lock);
		if (rc <= 0 || ++n >= 1000)
			break;
	}
	/* another fault (the journal's disk, a registry that refuses to
	 * open): said once, retried every second, said again once it went */
	if (rc < 0 && !unavailable(rc) && !inst->replay_failing)
		ERROR("rlm_byod (%s): the accounting journal cannot be replayed yet: %s",
		      inst->name, err.msg);
	inst->replay_failing = rc < 0 && !unavailable(rc);
}

/* ---- the status file ---- */

static void iso(time_t t, char *out, size_t len)
{
	struct tm tm;

	if (!t || !gmtime_r(&t, &tm) || !strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, len, "%s", "");
}

/*
 * SPOOL_DIR/status, JSON, replaced whole (written aside, then renamed):
 * rewritten when something in it changes, and every 10 s so that a reader
 * can tell a stopped server (its "updated" gets old).
 */
static void write_status(rlm_byod_t *inst)
{
	struct rad_index_stats ix;
	struct reg_journal_stats sp = { 0 };
	char since[32], oldest[32], now_s[32], path[PATH_MAX], tmp[PATH_MAX], *text = NULL;
	json_t *o;
	time_t now = time(NULL);
	FILE *f = NULL;
	int fd;

	rad_index_stats(inst->index, &ix);
	pthread_mutex_lock(&inst->spool_lock);
	if (inst->spool)
		reg_journal_stats(inst->spool, &sp);
	pthread_mutex_unlock(&inst->spool_lock);
	iso(inst->down_since, since, sizeof(since));
	iso(sp.oldest, oldest, sizeof(oldest));
	o = json_pack("{s:s, s:s, s:s?, s:I, s:I, s:I, s:I, s:s?, s:I, s:I, s:i}", "module",
		      inst->name, "registry", inst->down_since ? "unreachable" : "reachable",
		      "unreachable-since", inst->down_since ? since : NULL, "devices",
		      (json_int_t)ix.devices, "certificates", (json_int_t)ix.certs, "feed-seq",
		      (json_int_t)ix.seq, "accounting-spooled", (json_int_t)sp.pending,
		      "accounting-oldest", sp.oldest ? oldest : NULL, "accounting-replayed",
		      (json_int_t)sp.replayed, "journal-damaged", (json_int_t)sp.corrupt, "pid",
		      (int)getpid());
	if (o) {
		/* the index's whole reads of the registry and its resumes of the
		 * feed after a reconnection (a failover says which it was) */
		json_object_set_new(o, "index-full-loads", json_integer((json_int_t)ix.full_loads));
		json_object_set_new(o, "index-resumes", json_integer((json_int_t)ix.resumes));
	}
	if (o && inst->counts) {
		struct rad_counts_stats cs;

		rad_counts_stats(inst->counts, &cs);
		json_object_set_new(o, "decisions-pending", json_integer((json_int_t)cs.pending));
		json_object_set_new(o, "decisions-dropped", json_integer((json_int_t)cs.dropped));
	}
	if (o)
		text = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
	if (!text)
		goto out;
	if (!strcmp(text, inst->status_last) && now < inst->status_written + 10)
		goto out;
	snprintf(inst->status_last, sizeof(inst->status_last), "%s", text);
	iso(now, now_s, sizeof(now_s));
	json_object_set_new(o, "updated", json_string(now_s));
	free(text);
	text = json_dumps(o, JSON_SORT_KEYS | JSON_INDENT(2));
	snprintf(path, sizeof(path), "%s/status", inst->spool_path);
	snprintf(tmp, sizeof(tmp), "%s/.status.%d", inst->spool_path, (int)getpid());
	/* 0640 whatever FreeRADIUS's umask: byodctl radius status reads it as
	 * the group (the spool's, byod, when HOME is setgid) */
	fd = text ? open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640) : -1;
	if (fd >= 0 && fchmod(fd, 0640) == 0)
		f = fdopen(fd, "w");
	if (!f) {
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		goto out;
	}
	fprintf(f, "%s\n", text);
	if (fclose(f) || rename(tmp, path))
		unlink(tmp);
	else
		inst->status_written = now;
out:
	free(text);
	json_decref(o);
}

/* ---- the decision counts and the heartbeat ---- */

/*
 * Writes the counts made since the last flush and the heartbeat, in one
 * transaction, through the follower's registry handle (the one the replay
 * uses: the follower's own). A failure keeps the counts for the next
 * flush; said once, and once when it works again.
 */
static void flush_counts(rlm_byod_t *inst, int wait_ms)
{
	struct rad_index_stats ix;
	struct reg_heartbeat hb;
	struct byod_err err;
	size_t rows = 0;
	int rc, spooling;

	rad_index_stats(inst->index, &ix);
	pthread_mutex_lock(&inst->spool_lock);
	spooling = inst->spooling;
	pthread_mutex_unlock(&inst->spool_lock);
	memset(&hb, 0, sizeof(hb));
	snprintf(hb.component, sizeof(hb.component), "radius");
	snprintf(hb.node, sizeof(hb.node), "%s", inst->node_name);
	hb.feed_seq = ix.seq;
	snprintf(hb.detail, sizeof(hb.detail), "%zu devices, policy version %lld%s", ix.devices,
		 (long long)ix.policy_version, spooling ? ", accounting spooled" : "");
	rc = open_accounting(inst, &inst->replay, wait_ms, &err);
	if (!rc)
		rc = rad_counts_flush(inst->counts, inst->replay, &hb, &rows, &err);
	else
		rad_counts_flush(inst->counts, NULL, NULL, NULL, NULL); /* kept */
	if (rc) {
		drop_if_gone(&inst->replay, rc);
		if (!inst->counts_failing)
			ERROR("rlm_byod (%s): the decision counts could not be written, they are "
			      "kept for the next time: %s",
			      inst->name, err.msg);
		inst->counts_failing = 1;
		return;
	}
	if (inst->counts_failing)
		INFO("rlm_byod (%s): the decision counts are written again", inst->name);
	inst->counts_failing = 0;
	DEBUG2("rlm_byod (%s): %zu decision count rows written", inst->name, rows);
}

/*
 * Writes the first sightings of renewed certificates (reg_cert_seen, which
 * revokes what they replace) through the same handle. A failure keeps
 * them for the next flush; said once, and once when it works again.
 */
static void flush_seen(rlm_byod_t *inst, int wait_ms)
{
	struct byod_err err;
	size_t written = 0;
	int rc, revoked = 0;

	rc = open_accounting(inst, &inst->replay, wait_ms, &err);
	if (!rc)
		rc = rad_seen_flush(inst->seen, inst->replay, time(NULL), &written, &revoked, &err);
	if (rc) {
		drop_if_gone(&inst->replay, rc);
		if (!inst->seen_failing)
			ERROR("rlm_byod (%s): the first sightings of renewed certificates could "
			      "not be written, they are kept for the next time: %s",
			      inst->name, err.msg);
		inst->seen_failing = 1;
		return;
	}
	if (inst->seen_failing)
		INFO("rlm_byod (%s): the first sightings of renewed certificates are written "
		     "again",
		     inst->name);
	inst->seen_failing = 0;
	if (written)
		INFO("rlm_byod (%s): %zu renewed certificate(s) seen for the first time, %d "
		     "replaced certificate(s) revoked",
		     inst->name, written, revoked);
}

/* At the follower's turn: a flush when its time has come. While the
 * registry cannot even be read, no write is tried (it would only wait);
 * the shards are still emptied into the rows kept, which are bounded. */
static void maybe_flush_counts(rlm_byod_t *inst)
{
	if (!rad_flush_due(&inst->counts_next, inst->counts_interval))
		return;
	if (inst->down_since) {
		rad_counts_flush(inst->counts, NULL, NULL, NULL, NULL);
	} else {
		flush_counts(inst, 200);
		flush_seen(inst, 200);
	}
}

/* ---- the change-feed follower ---- */

/* How long the follower waits on the feed at a time, so that detach never
 * waits longer than this for it. */
#define FOLLOW_SLICE_MS 250

static bool stopping(rlm_byod_t *inst)
{
	bool stop;

	pthread_mutex_lock(&inst->stop_lock);
	stop = inst->stop;
	pthread_mutex_unlock(&inst->stop_lock);
	return stop;
}

static long ms_since(struct timespec const *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(((now.tv_sec - t0->tv_sec) * 1000000000LL + (now.tv_nsec - t0->tv_nsec)) /
		      1000000LL);
}

/* Sleeps ms unless detach stops the follower first. */
static void nap(rlm_byod_t *inst, long ms)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += (ms % 1000) * 1000000L;
	until.tv_sec += ms / 1000 + until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&inst->stop_lock);
	if (!inst->stop)
		pthread_cond_timedwait(&inst->stop_cond, &inst->stop_lock, &until);
	pthread_mutex_unlock(&inst->stop_lock);
}

/*
 * The index reads the change feed when the wait says something may have
 * changed, and besides at least every FEED_SAFETY_S whatever the wait said:
 * a safety net for a wake-up lost (a NOTIFY the server dropped, a commit
 * SQLite's data_version missed), which the index's place in the feed then
 * catches up on by number. Nothing the index decides with ages with time
 * alone (certificates' ends, unlocks' starts and ends, leaving dates are
 * compared with each request's time: index.h), so this read is not what
 * keeps decisions current.
 */
#define FEED_SAFETY_S 30

/*
 * How long an idle follower waits at most: a commit ends the wait at once
 * (PostgreSQL's NOTIFY, SQLite's watch of its WAL file) and a standby's
 * wait returns every 100 ms by itself, so this bounds only the rest of the
 * follower's turn (the status file, the counts, the TLS cache), which needs
 * no more; each wake-up was CPU charged to the requests of a quiet server.
 * While the registry cannot be read, or accounting waits in the journal,
 * the follower wakes every poll_interval instead (to retry, to replay).
 */
#define IDLE_WAIT_MS 1000

static long wait_span(rlm_byod_t *inst)
{
	struct timespec now;
	int64_t to_flush;
	int spooling;

	pthread_mutex_lock(&inst->spool_lock);
	spooling = inst->spooling;
	pthread_mutex_unlock(&inst->spool_lock);
	if (inst->down_since || spooling || inst->poll_interval >= IDLE_WAIT_MS)
		return (long)inst->poll_interval;
	/* never past the next flush of the counts (and of the renewed
	 * certificates seen, whose old ones it revokes) */
	clock_gettime(CLOCK_MONOTONIC, &now);
	to_flush = (inst->counts_next - ((int64_t)now.tv_sec * 1000000000 + now.tv_nsec)) / 1000000;
	if (to_flush < (int64_t)inst->poll_interval)
		return (long)inst->poll_interval;
	return to_flush < IDLE_WAIT_MS ? (long)to_flush : IDLE_WAIT_MS;
}

/*
 * Waits up to wait_span for the change feed: a commit elsewhere ends the
 * wait at once on PostgreSQL (NOTIFY) and on SQLite (an inotify watch of
 * its WAL file). The wait is cut in slices so that detach is not kept waiting.
 * Returns true when the index should read the registry: the feed may have
 * moved, or the wait itself failed (the registry is unreachable: it sleeps
 * the interval, then the refresh tries again); false when the interval
 * passed with nothing committed.
 */
static bool wait_feed(rlm_byod_t *inst)
{
	struct timespec start;
	struct byod_err err;
	long left, slice, span = wait_span(inst);
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (!stopping(inst) && (left = span - ms_since(&start)) > 0) {
		slice = left < FOLLOW_SLICE_MS ? left : FOLLOW_SLICE_MS;
		rc = rad_index_wait(inst->index, (int)slice, &err);
		if (rc < 0) {
			/* the registry went away: the refresh tries again
			 * after poll_interval, not after the idle span */
			nap(inst, left < (long)inst->poll_interval ? left : (long)inst->poll_interval);
			return true;
		}
		if (rc > 0)
			return true;
	}
	return false;
}

/* After a reconnection the index followed on from where it was, or read
 * everything again: said once each time, with why. */
static void tell_reload(rlm_byod_t *inst)
{
	struct rad_index_stats st;

	rad_index_stats(inst->index, &st);
	if (!inst->loads_told) {
		inst->loads_told = st.full_loads;
		inst->resumes_told = st.resumes;
		return;
	}
	if (st.full_loads != inst->loads_told)
		INFO("rlm_byod (%s): the index read the whole registry again: %s", inst->name,
		     st.reload_why);
	else if (st.resumes != inst->resumes_told)
		INFO("rlm_byod (%s): connected again, the index follows the change feed on from "
		     "event %lld",
		     inst->name, (long long)st.seq);
	inst->loads_told = st.full_loads;
	inst->resumes_told = st.resumes;
}

/* The feed's head on the writers' server (registry.url), through the
 * follower's own handle, for the stats socket's lag: once a second at most,
 * and only after the index read the feed (head_due): the head of an idle
 * registry does not move. */
static void read_head(rlm_byod_t *inst)
{
	struct byod_err err;
	time_t now = time(NULL);
	int64_t head;
	int rc;

	if (!inst->head_due || now == inst->head_read)
		return;
	inst->head_read = now;
	inst->head_due = false;
	rc = open_accounting(inst, &inst->replay, 200, &err);
	if (!rc)
		rc = reg_events_last(inst->replay, &head, &err);
	if (!rc)
		__atomic_store_n(&inst->feed_head, head, __ATOMIC_RELAXED);
	else
		drop_if_gone(&inst->replay, rc);
}

/* ---- the stats socket ---- */

static void stats_decision(const char *segment, const char *reason, uint64_t n, void *arg)
{
	byod_expo_sample(arg, (double)n, "segment", segment, "reason", reason, NULL);
}

/* What SPOOL_DIR/stats.sock answers, in its thread: only what is safe to
 * read from there (the index and the counts under their locks, the
 * journal under the spool lock, the follower's atomics). */
static void stats_write(void *arg, struct byod_expo *e)
{
	rlm_byod_t *inst = arg;
	struct rad_index_stats ix;
	struct rad_counts_stats cs;
	struct reg_journal_stats sp = { 0 };
	time_t down = __atomic_load_n(&inst->down_since, __ATOMIC_RELAXED);
	int64_t head = __atomic_load_n(&inst->feed_head, __ATOMIC_RELAXED);

	rad_index_stats(inst->index, &ix);
	rad_counts_stats(inst->counts, &cs);
	pthread_mutex_lock(&inst->spool_lock);
	if (inst->spool)
		reg_journal_stats(inst->spool, &sp);
	pthread_mutex_unlock(&inst->spool_lock);

	byod_expo_family(e, "byod_radius_info", "gauge",
			 "Always 1; the module instance, its node name and version as labels.");
	byod_expo_sample(e, 1, "instance", inst->name, "node", inst->node_name, "version",
			 byod_version, NULL);
	byod_expo_one(e, "byod_radius_start_time_seconds", "gauge",
		      "When the module instance started, in seconds since the epoch.",
		      (double)inst->started);
	byod_expo_one(e, "byod_radius_registry_up", "gauge",
		      "1 while the module's index can read the registry, 0 while it answers "
		      "from what it last read.",
		      down ? 0 : 1);
	if (down)
		byod_expo_one(e, "byod_radius_registry_down_since_seconds", "gauge",
			      "Since when the registry cannot be read, in seconds since the epoch.",
			      (double)down);
	byod_expo_family(e, "byod_radius_decisions_total", "counter",
			 "Decisions the module made since it started, by segment (\"\" for a "
			 "refusal) and reason.");
	rad_counts_totals(inst->counts, stats_decision, e);
	byod_expo_one(e, "byod_radius_decisions_dropped_total", "counter",
		      "Decisions not kept for the registry's per-minute counts (past the bound).",
		      (double)cs.dropped);
	byod_expo_one(e, "byod_radius_index_devices", "gauge", "Devices in the in-memory index.",
		      (double)ix.devices);
	byod_expo_one(e, "byod_radius_index_certificates", "gauge",
		      "Certificates in the in-memory index.", (double)ix.certs);
	byod_expo_one(e, "byod_radius_index_people", "gauge", "People in the in-memory index.",
		      (double)ix.people);
	byod_expo_one(e, "byod_radius_index_bytes", "gauge",
		      "Memory the index's maps hold, approximately.", (double)ix.bytes);
	byod_expo_one(e, "byod_radius_index_full_loads_total", "counter",
		      "Whole reads of the registry by the index (the first one included).",
		      (double)ix.full_loads);
	byod_expo_one(e, "byod_radius_feed_position", "gauge",
		      "The last change-feed event the index has applied.", (double)ix.seq);
	if (head >= 0) {
		byod_expo_one(e, "byod_radius_feed_head", "gauge",
			      "The writers' server's last change-feed event, read at most a second "
			      "ago.",
			      (double)head);
		byod_expo_one(e, "byod_radius_follower_lag_events", "gauge",
			      "Events the index has still to apply (the head minus its position).",
			      head > ix.seq ? (double)(head - ix.seq) : 0);
	}
	byod_expo_one(e, "byod_radius_feed_reads_total", "counter",
		      "Reads of the registry by the index's follower: when the change feed may "
		      "have moved, and every 30 s besides; flat while the registry is idle.",
		      (double)ix.feed_reads);
	byod_expo_one(e, "byod_radius_follower_turns_total", "counter",
		      "Turns of the index's follower: one per commit it was woken by, and one "
		      "a second at most while the registry is idle.",
		      (double)__atomic_load_n(&inst->follower_turns, __ATOMIC_RELAXED));
	byod_expo_one(e, "byod_radius_policy_version", "gauge",
		      "The policy version the index decides with (0: none).",
		      (double)ix.policy_version);
	byod_expo_one(e, "byod_radius_journal_backlog", "gauge",
		      "Accounting records in the spool's journal waiting for the registry.",
		      (double)sp.pending);
	byod_expo_one(e, "byod_radius_journal_replayed_total", "counter",
		      "Accounting records replayed from the journal into the registry.",
		      (double)sp.replayed);
	byod_expo_one(e, "byod_radius_journal_damaged_total", "counter",
		      "Damaged journal records skipped.", (double)sp.corrupt);
	byod_expo_one(e, "byod_radius_eap_tls_decided_total", "counter",
		      "EAP-TLS decisions the index made (one per authentication).",
		      (double)__atomic_load_n(&inst->tls_decided, __ATOMIC_RELAXED));
	byod_expo_one(e, "byod_radius_eap_tls_reused_total", "counter",
		      "Final accepts that took the certificate check's decision of the same "
		      "request instead of deciding again.",
		      (double)__atomic_load_n(&inst->tls_reused, __ATOMIC_RELAXED));
}

/*
 * The eap module's TLS session cache: FreeRADIUS 3.2 writes two files per
 * session (NAME.asn1, NAME.vps) and deletes them only when it finds them
 * expired at a resumption, so that the sessions never resumed would stay
 * for ever. Once a minute, the files older than the cache's lifetime go.
 */
#define CACHE_SWEEP_S 60

/* Removes the sessions (NAME.asn1, NAME.vps) last written before limit. */
static void remove_sessions(rlm_byod_t *inst, time_t limit)
{
	struct dirent *de;
	struct stat st;
	size_t n;
	DIR *d;
	int fd;

	fd = open(inst->tls_cache_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d))) {
		n = strlen(de->d_name);
		if (!((n > 5 && !strcmp(de->d_name + n - 5, ".asn1")) ||
		      (n > 4 && !strcmp(de->d_name + n - 4, ".vps"))))
			continue;
		if (!fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) && S_ISREG(st.st_mode) &&
		    st.st_mtime < limit)
			unlinkat(fd, de->d_name, 0);
	}
	closedir(d);
}

static void sweep_tls_cache(rlm_byod_t *inst)
{
	time_t now = time(NULL);

	if (!inst->tls_cache_owner || now - inst->cache_swept < CACHE_SWEEP_S)
		return;
	inst->cache_swept = now;
	remove_sessions(inst, now - (time_t)inst->tls_cache_lifetime * 3600);
}

/* The TLS cache's directory: made 0700 if missing; one another user owns,
 * or others may enter, would hand them the sessions (their master secrets):
 * refused (-1). One that cannot be made (its parent missing: /run/freeradius
 * outside the systemd unit) only costs the resumptions: 1, said. 0: ready.
 * The reason in msg. */
static int tls_cache_check(char const *dir, char *msg, size_t len)
{
	struct stat st;

	if (mkdir(dir, 0700) && errno != EEXIST) {
		snprintf(msg, len, "cannot create %s (%s): no TLS session will be resumed", dir,
			 strerror(errno));
		return 1;
	}
	if (lstat(dir, &st) || !S_ISDIR(st.st_mode)) {
		snprintf(msg, len, "%s is not a directory", dir);
		return -1;
	}
	if (st.st_uid != geteuid() || (st.st_mode & 0077)) {
		snprintf(msg, len, "%s must belong to the server's user and be closed to others "
				   "(0700)%s", dir,
			 st.st_uid != geteuid() && !strncmp(dir, "/dev/shm/", 9)
				 ? "; another user made it: `byodctl radius config` again "
				   "names a new one"
				 : "");
		return -1;
	}
	return 0;
}

static void *follow(void *arg)
{
	rlm_byod_t *inst = arg;
	struct byod_err err;
	struct timespec last_read = { 0 }, now;
	bool read = true;
	int changed, rc = 0;

	while (!stopping(inst)) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		/* a failed refresh is tried again at every interval */
		if (read || rc || now.tv_sec - last_read.tv_sec >= FEED_SAFETY_S) {
			last_read = now;
			inst->head_due = true;
			rc = rad_index_refresh(inst->index, &changed, &err);
		}
		if (rc) {
			/* loud once, then quiet until it recovers; the index keeps
			 * its state and its place in the feed */
			if (!inst->down_since)
				ERROR("rlm_byod (%s): the registry cannot be read, known devices keep "
				      "their last decision, accounting is kept in %s: %s",
				      inst->name, inst->spool_path, err.msg);
			if (!inst->down_since)
				__atomic_store_n(&inst->down_since, time(NULL), __ATOMIC_RELAXED);
		} else if (inst->down_since) {
			INFO("rlm_byod (%s): the registry is readable again after %lld s",
			     inst->name, (long long)(time(NULL) - inst->down_since));
			__atomic_store_n(&inst->down_since, 0, __ATOMIC_RELAXED);
		}
		if (!inst->down_since)
			read_head(inst);
		tell_reload(inst);
		/* no replay while the registry cannot even be read: an attempt
		 * against a server that is gone may take long, and live packets
		 * wait for it on the accounting lock */
		if (!inst->down_since)
			replay(inst);
		maybe_flush_counts(inst);
		write_status(inst);
		sweep_tls_cache(inst);
		/* batches of the feed left after the last refresh: read on
		 * without waiting (no wait would announce them again) */
		read = !rc && rad_index_more(inst->index) ? true : wait_feed(inst);
		__atomic_add_fetch(&inst->follower_turns, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* ---- instance ---- */

/* A name that may go into the registry and the console as it is. */
static bool printable(char const *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static int mod_detach(void *instance)
{
	rlm_byod_t *inst = instance;

	/* first: its thread reads the index, the counts and the journal */
	rad_stats_stop(inst->stats);
	inst->stats = NULL;
	if (inst->follower_started) {
		pthread_mutex_lock(&inst->stop_lock);
		inst->stop = true;
		pthread_cond_signal(&inst->stop_cond);
		pthread_mutex_unlock(&inst->stop_lock);
		pthread_join(inst->follower, NULL);
		inst->follower_started = false;
		/* what was counted since the last flush, unless the registry
		 * is away (no wait for it at a stop) */
		if (inst->counts && !inst->down_since)
			flush_counts(inst, 200);
		if (inst->seen && !inst->down_since)
			flush_seen(inst, 200);
	}
	/* the TLS sessions go with the server that made them, as an in-memory
	 * cache's would (the clients make a full handshake once), and tmpfs
	 * keeps no directory of a raddb gone; never from a configuration check
	 * (freeradius -C) beside a running server */
	if (inst->tls_cache_owner && !check_config) {
		remove_sessions(inst, time(NULL) + 1);
		rmdir(inst->tls_cache_dir); /* when nothing else is in it */
	}
	if (inst->tls_cache_fd >= 0)
		close(inst->tls_cache_fd);
	inst->tls_cache_fd = -1;
	rad_counts_free(inst->counts);
	inst->counts = NULL;
	rad_seen_free(inst->seen);
	inst->seen = NULL;
	rad_index_free(inst->index);
	inst->index = NULL;
	reg_close(inst->acct);
	inst->acct = NULL;
	reg_close(inst->replay);
	inst->replay = NULL;
	reg_journal_free(inst->spool);
	inst->spool = NULL;
	pthread_mutex_destroy(&inst->acct_lock);
	pthread_mutex_destroy(&inst->spool_lock);
	pthread_mutex_destroy(&inst->stop_lock);
	pthread_cond_destroy(&inst->stop_cond);
	return 0;
}

static int mod_instantiate(CONF_SECTION *conf, void *instance)
{
	rlm_byod_t *inst = instance;
	struct rad_index_options opt;
	struct rad_index_stats st;
	struct reg_journal_stats sp;
	struct byod_err err;
	int degraded;

	inst->started = time(NULL);
	inst->feed_head = -1;
	inst->tls_cache_fd = -1;
	inst->name = cf_section_name2(conf);
	if (!inst->name)
		inst->name = cf_section_name1(conf);
	pthread_mutex_init(&inst->acct_lock, NULL);
	pthread_mutex_init(&inst->spool_lock, NULL);
	pthread_mutex_init(&inst->stop_lock, NULL);
	pthread_cond_init(&inst->stop_cond, NULL);
	if (inst->registration_vlan < 1 || inst->registration_vlan > 4094) {
		cf_log_err_cs(conf, "registration_vlan must be between 1 and 4094");
		return -1;
	}
	if (inst->poll_interval < 10 || inst->poll_interval > 60000) {
		cf_log_err_cs(conf, "poll_interval must be between 10 and 60000 (milliseconds)");
		return -1;
	}
	if (strcmp(inst->registry_down, "registration") && strcmp(inst->registry_down, "reject")) {
		cf_log_err_cs(conf, "registry_down must be registration or reject, not '%s'",
			      inst->registry_down);
		return -1;
	}
	if (inst->acct_wait < 10 || inst->acct_wait > 60000) {
		cf_log_err_cs(conf, "acct_wait must be between 10 and 60000 (milliseconds)");
		return -1;
	}
	if (inst->counts_interval < 1 || inst->counts_interval > 3600) {
		cf_log_err_cs(conf, "counts_interval must be between 1 and 3600 (seconds)");
		return -1;
	}
	if (inst->tls_cache_lifetime < 1 || inst->tls_cache_lifetime > 24 * 365) {
		cf_log_err_cs(conf, "tls_cache_lifetime must be between 1 and 8760 (hours)");
		return -1;
	}
	if (inst->tls_cache_dir[0]) {
		char msg[PATH_MAX + 128];

		int crc = tls_cache_check(inst->tls_cache_dir, msg, sizeof(msg));

		if (crc < 0) {
			cf_log_err_cs(conf, "tls_cache_dir: %s", msg);
			return -1;
		}
		if (crc > 0)
			WARN("rlm_byod (%s): tls_cache_dir: %s", inst->name, msg);
		inst->tls_cache_ready = crc == 0;
		/* one server looks after the directory: a second one started
		 * beside it (freeradius -X on a busy port, -C) neither sweeps
		 * nor empties the sessions of the one running */
		if (inst->tls_cache_ready) {
			inst->tls_cache_fd = open(inst->tls_cache_dir,
						  O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			inst->tls_cache_owner = inst->tls_cache_fd >= 0 &&
						!flock(inst->tls_cache_fd, LOCK_EX | LOCK_NB);
			if (!inst->tls_cache_owner)
				INFO("rlm_byod (%s): %s is looked after by another server", inst->name,
				     inst->tls_cache_dir);
		}
	}
	if (inst->node[0])
		snprintf(inst->node_name, sizeof(inst->node_name), "%s", inst->node);
	else if (gethostname(inst->node_name, sizeof(inst->node_name)))
		snprintf(inst->node_name, sizeof(inst->node_name), "radius");
	inst->node_name[sizeof(inst->node_name) - 1] = '\0';
	if (strlen(inst->node) >= sizeof(inst->node_name) || !printable(inst->node_name)) {
		cf_log_err_cs(conf, "node must be 1 to 63 printable characters");
		return -1;
	}
	{
		struct rad_counts_options co = { .node = inst->node_name };

		if (rad_counts_new(&co, &inst->counts, &err) ||
		    rad_seen_new(0, &inst->seen, &err)) {
			cf_log_err_cs(conf, "%s", err.msg);
			return -1;
		}
	}
	rad_flush_schedule(&inst->counts_next, inst->counts_interval);
	if ((size_t)snprintf(inst->spool_path, sizeof(inst->spool_path), "%s",
			     inst->spool_dir[0] ? inst->spool_dir : inst->home) >=
		    sizeof(inst->spool_path) - 16 ||
	    (!inst->spool_dir[0] && byod_path_join(inst->spool_path, sizeof(inst->spool_path),
						   inst->home, "radius-spool"))) {
		cf_log_err_cs(conf, "spool_dir is too long");
		return -1;
	}
	/* accounting is answered only once stored: no journal, no start */
	if (reg_journal_open(inst->spool_path, &inst->spool, &err)) {
		cf_log_err_cs(conf, "cannot open the accounting journal: %s", err.msg);
		return -1;
	}
	reg_journal_stats(inst->spool, &sp);
	if (sp.torn_bytes)
		ERROR("rlm_byod (%s): the accounting journal in %s ended in a record cut short "
		      "(%llu bytes, never acknowledged): cut off",
		      inst->name, inst->spool_path, (unsigned long long)sp.torn_bytes);
	if (sp.corrupt)
		ERROR("rlm_byod (%s): %llu damaged accounting journal records in %s will be skipped",
		      inst->name, (unsigned long long)sp.corrupt, inst->spool_path);
	inst->corrupt_told = sp.corrupt;
	if (sp.pending) {
		inst->spooling = 1;
		INFO("rlm_byod (%s): %zu accounting records wait in %s for the registry",
		     inst->name, sp.pending, inst->spool_path);
	}
	inst->serial_da = dict_attrbyname("TLS-Client-Cert-Serial");
	if (!inst->serial_da) {
		cf_log_err_cs(conf, "the dictionary has no TLS-Client-Cert-Serial");
		return -1;
	}
	memset(&opt, 0, sizeof(opt));
	opt.home = inst->home;
	opt.registration_vlan = (int)inst->registration_vlan;
	opt.unreachable_reject = !strcmp(inst->registry_down, "reject");
	if (rad_index_open(&opt, &inst->index, &degraded, &err)) {
		cf_log_err_cs(conf, "cannot start: %s", err.msg);
		return -1;
	}
	if (degraded)
		ERROR("rlm_byod (%s): starting without the registry (%s): devices are %s until "
		      "it can be read",
		      inst->name, err.msg,
		      opt.unreachable_reject ? "refused" : "put in the registration VLAN");
	if (open_accounting(inst, &inst->acct, (int)inst->acct_wait, &err))
		ERROR("rlm_byod (%s): accounting is kept in %s until the registry opens: %s",
		      inst->name, inst->spool_path, err.msg);
	if (degraded)
		inst->down_since = time(NULL);
	write_status(inst);
	rad_index_stats(inst->index, &st);
	INFO("rlm_byod (%s): %zu devices, %zu certificates, %zu people, policy version %lld, "
	     "read in %.2f s",
	     inst->name, st.devices, st.certs, st.people, (long long)st.policy_version, st.load_s);
	if (pthread_create(&inst->follower, NULL, follow, inst)) {
		cf_log_err_cs(conf, "cannot start the change-feed thread");
		return -1;
	}
	inst->follower_started = true;
	{
		char path[PATH_MAX];
		struct stat sst;
		int src;

		/* the spool is made 0700; the group (byod: byodctl metrics from a
		 * timer) may pass through it to the socket (0660), never list it
		 * or read the journal (0600) */
		/* the setgid bit kept: in a HOME that `byodctl radius enable`
		 * made setgid, the socket and the status file stay byod's */
		if (!stat(inst->spool_path, &sst) && (sst.st_mode & 0777) == 0700 &&
		    sst.st_uid == geteuid())
			chmod(inst->spool_path, 0710 | (sst.st_mode & S_ISGID));
		/* without it the server still answers: said, not fatal */
		snprintf(path, sizeof(path), "%s/stats.sock", inst->spool_path);
		src = rad_stats_start(path, stats_write, inst, &inst->stats, &err);
		if (src) {
			if (src == -EADDRINUSE)
				INFO("rlm_byod (%s): no stats socket of its own: %s", inst->name,
				     err.msg);
			else
				ERROR("rlm_byod (%s): no stats socket: %s", inst->name, err.msg);
		}
	}
	return 0;
}

/* ---- replies ---- */

static void reply_int(REQUEST *request, unsigned int attr, uint32_t value)
{
	VALUE_PAIR *vp = fr_pair_afrom_num(request->reply, attr, 0);

	if (!vp)
		return;
	vp->vp_integer = value;
	vp->tag = 0;
	fr_pair_replace(&request->reply->vps, vp);
}

static void reply_str(REQUEST *request, unsigned int attr, char const *value, bool tagged)
{
	VALUE_PAIR *vp = fr_pair_afrom_num(request->reply, attr, 0);

	if (!vp)
		return;
	fr_pair_value_strcpy(vp, value);
	if (tagged)
		vp->tag = 0;
	fr_pair_replace(&request->reply->vps, vp);
}

/* RFC 3580: Tunnel-Type VLAN (13), Tunnel-Medium-Type IEEE-802 (6),
 * Tunnel-Private-Group-Id the VLAN id as text. */
static void reply_accept(rlm_byod_t const *inst, REQUEST *request, struct rad_answer const *a)
{
	char vlan[16];

	snprintf(vlan, sizeof(vlan), "%d", a->vlan);
	reply_int(request, PW_TUNNEL_TYPE, 13);
	reply_int(request, PW_TUNNEL_MEDIUM_TYPE, 6);
	reply_str(request, PW_TUNNEL_PRIVATE_GROUP_ID, vlan, true);
	if (a->session_timeout > 0)
		reply_int(request, PW_SESSION_TIMEOUT, (uint32_t)a->session_timeout);
	/* the reason of an accept is in the debug log; the access point has no
	 * use for it, and it costs a formatted attribute on every accept */
	if (inst->reply_message)
		reply_str(request, PW_REPLY_MESSAGE, a->reason, false);
}

static rlm_rcode_t answer(rlm_byod_t const *inst, REQUEST *request, struct rad_answer const *a,
			  char const *what)
{
	if (!a->accept) {
		REDEBUG("%s: reject: %s", what, a->reason);
		reply_str(request, PW_REPLY_MESSAGE, a->reason, false);
		return RLM_MODULE_REJECT;
	}
	RDEBUG2("%s: VLAN %d, %s%s%s", what, a->vlan, a->reason, a->known ? ", device " : "",
		a->known ? a->device : "");
	reply_accept(inst, request, a);
	return RLM_MODULE_OK;
}

/* ---- authorize ---- */

/* One decision into the counts: memory only. */
static void count(rlm_byod_t *inst, struct rad_query const *rq, struct rad_answer const *a)
{
	rad_counts_add(inst->counts, rq->now, a->school, a->segment, a->counted);
}

/*
 * The certificate check's decision, kept on the outer request that runs
 * the check-eap-tls virtual server (its parent), for post-auth of that same
 * request to take instead of deciding again a few microseconds later: one
 * decision per authentication. A resumed session runs no check, and
 * post-auth decides then.
 */
struct tls_decision {
	struct rad_answer a;
	char serial[REG_SERIAL_MAX];
};

static void keep_decision(rlm_byod_t *inst, REQUEST *request, struct rad_answer const *a,
			  char const *serial)
{
	struct tls_decision *k;

	if (!request->parent || strlen(serial) >= sizeof(k->serial))
		return;
	k = talloc_zero(request->parent, struct tls_decision);
	if (!k)
		return;
	k->a = *a;
	strcpy(k->serial, serial);
	if (request_data_add(request->parent, inst, 0, k, true))
		talloc_free(k);
}

/* The check's decision for this request and certificate, or NULL; the
 * caller talloc_frees it. */
static struct tls_decision *kept_decision(rlm_byod_t *inst, REQUEST *request, char const *serial)
{
	struct tls_decision *k = request_data_get(request, inst, 0);

	if (k && strcmp(k->serial, serial)) {
		talloc_free(k);
		k = NULL;
	}
	return k;
}

static rlm_rcode_t CC_HINT(nonnull) mod_authorize(void *instance, REQUEST *request)
{
	rlm_byod_t *inst = instance;
	struct rad_query rq;
	struct rad_answer a;
	VALUE_PAIR *serial, *mac;
	rlm_rcode_t rcode;

	memset(&rq, 0, sizeof(rq));
	rq.now = time(NULL);
	/* an accept's texts only for its Reply-Message or the debug log */
	rq.explain = inst->reply_message || RDEBUG_ENABLED2;
	mac = fr_pair_find_by_num(request->packet->vps, PW_CALLING_STATION_ID, 0, TAG_ANY);
	rq.mac = mac ? mac->vp_strvalue : NULL;

	/* The certificate-check virtual server: the certificate decides. */
	serial = fr_pair_find_by_da(request->packet->vps, inst->serial_da, TAG_ANY);
	if (serial) {
		rq.method = RAD_METHOD_TLS;
		rq.serial = serial->vp_strvalue;
		rad_index_decide(inst->index, &rq, &a);
		__atomic_add_fetch(&inst->tls_decided, 1, __ATOMIC_RELAXED);
		/* an accept is counted once, by post-auth's last decision */
		if (!a.accept)
			count(inst, &rq, &a);
		else
			keep_decision(inst, request, &a, rq.serial);
		rcode = answer(inst, request, &a, "EAP-TLS");
	} else if (fr_pair_find_by_num(request->packet->vps, PW_EAP_MESSAGE, 0, TAG_ANY)) {
		/* EAP under way: the eap module and the virtual server decide. */
		return RLM_MODULE_NOOP;
	} else if (!mac) {
		REDEBUG("MAC authentication without Calling-Station-Id");
		rad_counts_add(inst->counts, rq.now, NULL, NULL, "unknown");
		return RLM_MODULE_REJECT;
	} else {
		rq.method = RAD_METHOD_MAC;
		rad_index_decide(inst->index, &rq, &a);
		count(inst, &rq, &a);
		rcode = answer(inst, request, &a, "MAC authentication");
	}
	/* The decision is made: nothing is left to authenticate here (the
	 * certificate was verified by the eap module before this). By number,
	 * not by name: no dictionary look-up per request. */
	if (rcode == RLM_MODULE_OK) {
		VALUE_PAIR *vp = fr_pair_afrom_num(request, PW_AUTH_TYPE, 0);

		if (!vp) {
			RERROR("cannot set Auth-Type");
			return RLM_MODULE_FAIL;
		}
		vp->vp_integer = PW_AUTH_TYPE_ACCEPT;
		fr_pair_replace(&request->config, vp);
	}
	return rcode;
}

/* ---- post-auth: the final Access-Accept of an EAP-TLS conversation ---- */

/*
 * Turns an Access-Accept that carries EAP-Success into an Access-Reject
 * that carries EAP-Failure, without the MPPE keys: a reject that still said
 * EAP-Success would make the supplicant believe it is connected.
 */
static void accept_to_reject(REQUEST *request, char const *why)
{
	VALUE_PAIR *eap = fr_pair_find_by_num(request->reply->vps, PW_EAP_MESSAGE, 0, TAG_ANY);
	uint8_t failure[4];

	if (eap && eap->vp_length == 4 && eap->vp_octets[0] == 3) {
		memcpy(failure, eap->vp_octets, sizeof(failure));
		failure[0] = 4; /* EAP-Failure, same identifier */
		eap = fr_pair_copy(request->reply, eap);
	} else {
		eap = NULL;
	}
	fr_pair_list_free(&request->reply->vps);
	if (eap) {
		fr_pair_value_memcpy(eap, failure, sizeof(failure));
		fr_pair_add(&request->reply->vps, eap);
		pair_make_reply("Message-Authenticator", "0x00", T_OP_EQ);
	}
	reply_str(request, PW_REPLY_MESSAGE, why, false);
	request->reply->code = PW_CODE_ACCESS_REJECT;
}

static rlm_rcode_t CC_HINT(nonnull) mod_post_auth(void *instance, REQUEST *request)
{
	rlm_byod_t *inst = instance;
	struct rad_query rq;
	struct rad_answer a;
	struct tls_decision *k;
	VALUE_PAIR *serial, *mac;

	if (request->reply->code != PW_CODE_ACCESS_ACCEPT ||
	    !fr_pair_find_by_num(request->packet->vps, PW_EAP_MESSAGE, 0, TAG_ANY))
		return RLM_MODULE_NOOP;
	serial = fr_pair_find_by_da(request->packet->vps, inst->serial_da, TAG_ANY);
	if (!serial) {
		/* EAP without a client certificate to decide on: fail closed. */
		REDEBUG("EAP accept without TLS-Client-Cert-Serial: refused");
		accept_to_reject(request, "no client certificate");
		return RLM_MODULE_REJECT;
	}
	memset(&rq, 0, sizeof(rq));
	rq.now = time(NULL);
	/* an accept's texts only for its Reply-Message or the debug log */
	rq.explain = inst->reply_message || RDEBUG_ENABLED2;
	rq.method = RAD_METHOD_TLS;
	rq.serial = serial->vp_strvalue;
	mac = fr_pair_find_by_num(request->packet->vps, PW_CALLING_STATION_ID, 0, TAG_ANY);
	rq.mac = mac ? mac->vp_strvalue : NULL;
	/* the certificate check's decision in this same request (a full
	 * handshake), or decided here: a resumed session skips the check */
	k = kept_decision(inst, request, rq.serial);
	if (k) {
		a = k->a;
		talloc_free(k);
		__atomic_add_fetch(&inst->tls_reused, 1, __ATOMIC_RELAXED);
		RDEBUG3("EAP-TLS: the certificate check's decision of this request");
	} else {
		rad_index_decide(inst->index, &rq, &a);
		__atomic_add_fetch(&inst->tls_decided, 1, __ATOMIC_RELAXED);
	}
	count(inst, &rq, &a);
	if (!a.accept) {
		REDEBUG("EAP-TLS: reject at the last step: %s", a.reason);
		accept_to_reject(request, a.reason);
		return RLM_MODULE_REJECT;
	}
	RDEBUG2("EAP-TLS: VLAN %d, %s, device %s", a.vlan, a.reason, a.device);
	reply_accept(inst, request, &a);
	/* its accounting will carry the MAC, not the certificate */
	rad_index_remember(inst->index, rq.mac, rq.serial);
	/* a renewal's first accept: the follower writes it (memory only here) */
	if (a.first_sighting) {
		RDEBUG2("EAP-TLS: certificate %s renews one still valid: first sighting queued",
			a.serial);
		rad_seen_add(inst->seen, a.serial);
	}
	return RLM_MODULE_UPDATED;
}

/* ---- accounting ---- */

static void text_of(VALUE_PAIR *vp, char *out, size_t len)
{
	out[0] = '\0';
	if (vp)
		vp_prints_value(out, len, vp, 0);
}

static rlm_rcode_t CC_HINT(nonnull) mod_accounting(void *instance, REQUEST *request)
{
	rlm_byod_t *inst = instance;
	struct reg_session s;
	struct reg_journal_rec rec;
	struct byod_err err;
	VALUE_PAIR *vp, *vps = request->packet->vps;
	char mac[64];
	uint64_t in = 0, out = 0;
	int type, rc;

	vp = fr_pair_find_by_num(vps, PW_ACCT_STATUS_TYPE, 0, TAG_ANY);
	if (!vp)
		return RLM_MODULE_NOOP;
	type = (int)vp->vp_integer;
	if (type != REG_ACCT_START && type != REG_ACCT_STOP && type != REG_ACCT_INTERIM)
		return RLM_MODULE_NOOP;
	memset(&s, 0, sizeof(s));
	text_of(fr_pair_find_by_num(vps, PW_ACCT_SESSION_ID, 0, TAG_ANY), s.session_id,
		sizeof(s.session_id));
	if (!s.session_id[0]) {
		REDEBUG("accounting without Acct-Session-Id");
		return RLM_MODULE_INVALID;
	}
	text_of(fr_pair_find_by_num(vps, PW_NAS_IP_ADDRESS, 0, TAG_ANY), s.nas_ip,
		sizeof(s.nas_ip));
	if (!s.nas_ip[0])
		text_of(fr_pair_find_by_num(vps, PW_NAS_IPV6_ADDRESS, 0, TAG_ANY), s.nas_ip,
			sizeof(s.nas_ip));
	text_of(fr_pair_find_by_num(vps, PW_NAS_IDENTIFIER, 0, TAG_ANY), s.nas_id,
		sizeof(s.nas_id));
	text_of(fr_pair_find_by_num(vps, PW_FRAMED_IP_ADDRESS, 0, TAG_ANY), s.ip, sizeof(s.ip));
	text_of(fr_pair_find_by_num(vps, PW_CALLING_STATION_ID, 0, TAG_ANY), mac, sizeof(mac));
	if (mac[0] && byod_mac_normalise(mac, s.mac))
		RWDEBUG("Calling-Station-Id '%s' is not a MAC address; recorded without it", mac);
	if (s.mac[0])
		rad_index_serial_for_mac(inst->index, s.mac, s.serial, sizeof(s.serial));
	if ((vp = fr_pair_find_by_num(vps, PW_ACCT_INPUT_OCTETS, 0, TAG_ANY)))
		in = vp->vp_integer;
	if ((vp = fr_pair_find_by_num(vps, PW_ACCT_INPUT_GIGAWORDS, 0, TAG_ANY)))
		in += (uint64_t)vp->vp_integer << 32;
	if ((vp = fr_pair_find_by_num(vps, PW_ACCT_OUTPUT_OCTETS, 0, TAG_ANY)))
		out = vp->vp_integer;
	if ((vp = fr_pair_find_by_num(vps, PW_ACCT_OUTPUT_GIGAWORDS, 0, TAG_ANY)))
		out += (uint64_t)vp->vp_integer << 32;
	s.in_octets = (int64_t)in;
	s.out_octets = (int64_t)out;

	memset(&rec, 0, sizeof(rec));
	rec.type = (enum reg_acct_type)type;
	rec.time = time(NULL);
	rec.s = s;

	pthread_mutex_lock(&inst->acct_lock);
	/* behind records already in the journal, the packet goes there too */
	pthread_mutex_lock(&inst->spool_lock);
	rc = reg_journal_pending(inst->spool) ? -EAGAIN : 0;
	pthread_mutex_unlock(&inst->spool_lock);
	if (!rc) {
		rc = open_accounting(inst, &inst->acct, (int)inst->acct_wait, &err);
		if (!rc)
			rc = reg_session_record(inst->acct, (enum reg_acct_type)type, &s, &err);
		if (!rc) {
			pthread_mutex_unlock(&inst->acct_lock);
			RDEBUG2("session %s recorded (row %lld, device %s)", s.session_id,
				(long long)s.id, s.device[0] ? s.device : "unknown");
			return RLM_MODULE_OK;
		}
		if (!unavailable(rc) && inst->acct) {
			pthread_mutex_unlock(&inst->acct_lock);
			RERROR("accounting not recorded: %s", err.msg);
			return RLM_MODULE_FAIL;
		}
		drop_if_gone(&inst->acct, rc);
	}
	pthread_mutex_lock(&inst->spool_lock);
	if (rc != -EAGAIN && !inst->spooling)
		ERROR("rlm_byod (%s): the registry cannot record accounting, packets are kept in %s "
		      "until it can: %s",
		      inst->name, inst->spool_path, err.msg);
	inst->spooling = 1;
	rc = reg_journal_append(inst->spool, &rec, &err);
	pthread_mutex_unlock(&inst->spool_lock);
	pthread_mutex_unlock(&inst->acct_lock);
	if (rc) {
		/* not stored anywhere: no answer, the NAS sends it again */
		RERROR("accounting neither recorded nor kept: %s", err.msg);
		return RLM_MODULE_FAIL;
	}
	RDEBUG2("session %s kept in the accounting journal (record %llu)", rec.s.session_id,
		(unsigned long long)rec.seq);
	return RLM_MODULE_OK;
}

extern module_t rlm_byod;
module_t rlm_byod = {
	.magic = RLM_MODULE_INIT,
	.name = "byod",
	.type = RLM_TYPE_THREAD_SAFE,
	.inst_size = sizeof(rlm_byod_t),
	.config = module_config,
	.instantiate = mod_instantiate,
	.detach = mod_detach,
	.methods = {
		[MOD_AUTHORIZE] = mod_authorize,
		[MOD_ACCOUNTING] = mod_accounting,
		[MOD_POST_AUTH] = mod_post_auth,
	},
};
