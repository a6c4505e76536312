// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * byod-gatewayd: the gateway daemon. Applies the ruleset with the device
 * state at start, then follows the registry's change feed, woken by a
 * commit (PostgreSQL's NOTIFY, SQLite's data_version) and at the latest
 * every gateway.poll-ms (100 ms by default) and at the start or end of the
 * nearest teacher's unlock (its group's sessions move then, without any
 * event); it reads the feed only when the wait says something may have
 * been committed, at once again after a full batch of 1,000 events, at an
 * unlock's start or end, and every FEED_SAFETY_S whatever the wait said (a
 * wake-up lost is caught up on by number then), evaluates again the
 * sessions whose decision's time has come (gw_eval_due: a schedule window)
 * within a second of it and every open session every 30 seconds, writes
 * its heartbeat to the registry every 10 seconds (component "gatewayd", the
 * school followed, the feed position handled), runs the retention purge
 * (byod_purge) five minutes after it starts and then every 24 hours unless
 * gateway.purge is no (one node of a shared registry runs it; a PostgreSQL
 * registry's byod_gateway role needs the registry owner's rights for it, so
 * such a node connects as the owner or leaves it to a daily `byodctl purge`
 * from cron), and renders everything again
 * on SIGHUP
 * or when a batch is refused (someone flushed the ruleset). While the
 * registry is unavailable it keeps its ruleset as it is and says so once;
 * once it is back, it reads the state again (one snapshot with the seq)
 * and says so once. Logs one line
 * per action on standard error (to the journal under systemd: Type=notify,
 * ready once the ruleset is applied, the watchdog fed every turn; SIGHUP
 * also reads byod.conf again). SIGTERM or SIGINT stop it. The access
 * points' answers to Disconnects are read between two reads of the feed.
 *
 *   byod-gatewayd [--home DIR] [--school UAI] [--dry-run] [--once] [--verbose]
 *
 * --school (or gateway.school) follows only the devices of that school's
 * people, on a registry shared by several schools (registry.url);
 * --dry-run computes and logs without touching nftables or any NAS;
 * --once applies the state and exits. gateway.metrics-listen (ADDR:PORT)
 * answers Prometheus's scrape of /metrics: events handled, Disconnects by
 * result, rulesets applied, the feed's position and lag.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "byod_conf.h"
#include "byod_expo.h"
#include "byod_service.h"
#include "gateway.h"
#include "httpd.h"

static int verbose;

static void log_line(int level, const char *const fields[], const char *msg, void *ctx)
{
	static const char *const names[] = { "error", "info", "debug" };
	struct timespec ts;
	struct tm tm;
	char when[32];

	(void)ctx;
	if (level > 1 && !verbose)
		return;
	if (byod_log_journal()) {
		int prio = level <= 0 ? LOG_ERR : level == 1 ? LOG_INFO : LOG_DEBUG;

		byod_log(prio, fields, "%s", msg);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ldZ byod-gatewayd %s: %s\n", when, ts.tv_nsec / 1000000L,
		names[level < 0 ? 0 : level > 2 ? 2 : level], msg);
	fflush(stderr);
}

static void fail(const char *what, const struct byod_err *err)
{
	char buf[1200];
	char msg[1400];

	snprintf(msg, sizeof(msg), "%s: %s", what, byod_err_str(err, buf, sizeof(buf)));
	log_line(0, NULL, msg, NULL);
}

/*
 * What /metrics shows (gateway.metrics-listen): the main loop copies the
 * engine's statistics here after each step (gw is not shared between
 * threads), the scrape reads them in libmicrohttpd's thread; every field
 * is read and written with relaxed atomics.
 */
static struct {
	time_t started;
	uint64_t events, renders, batches, full_loads, resumes, feed_reads;
	uint64_t das_ack, das_nak, das_timeout, das_error;
	uint64_t admitted, quarantined, sessions, das_pending;
	int64_t seq, head; /* head -1: never read */
	int registry_up;
} gm = {.head = -1};

#define GM_SET(field, v) __atomic_store_n(&gm.field, (v), __ATOMIC_RELAXED)
#define GM_GET(field)	 __atomic_load_n(&gm.field, __ATOMIC_RELAXED)

/* The counters of the engines a reload closed: added to the running one's,
 * so that a _total never goes back while the process lives. */
static struct gw_stats carried;

static void metrics_carry(const struct gw *gw)
{
	struct gw_stats st;

	gw_stats(gw, &st);
	carried.events += st.events;
	carried.renders += st.renders;
	carried.batches += st.batches;
	carried.full_loads += st.full_loads;
	carried.resumes += st.resumes;
	carried.feed_reads += st.feed_reads;
	carried.das_ack += st.das_ack;
	carried.das_nak += st.das_nak;
	carried.das_timeout += st.das_timeout;
	carried.das_error += st.das_error;
}

static void metrics_note(struct gw *gw, int up)
{
	struct gw_stats st;

	gw_stats(gw, &st);
	GM_SET(events, carried.events + st.events);
	GM_SET(renders, carried.renders + st.renders);
	GM_SET(batches, carried.batches + st.batches);
	GM_SET(full_loads, carried.full_loads + st.full_loads);
	GM_SET(resumes, carried.resumes + st.resumes);
	GM_SET(feed_reads, carried.feed_reads + st.feed_reads);
	GM_SET(das_ack, carried.das_ack + st.das_ack);
	GM_SET(das_nak, carried.das_nak + st.das_nak);
	GM_SET(das_timeout, carried.das_timeout + st.das_timeout);
	GM_SET(das_error, carried.das_error + st.das_error);
	GM_SET(admitted, st.admitted);
	GM_SET(quarantined, st.quarantined);
	GM_SET(sessions, st.sessions);
	GM_SET(das_pending, st.das_pending);
	GM_SET(seq, st.seq);
	GM_SET(registry_up, up);
}

/* The feed's head, for the lag: read at most once a second (one cheap
 * query), only while the registry answers. */
static void metrics_head(struct gw *gw, struct timespec *last)
{
	struct byod_err err;
	struct timespec now;
	int64_t head;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (last->tv_sec && now.tv_sec == last->tv_sec)
		return;
	*last = now;
	if (!gw_feed_head(gw, &head, &err))
		GM_SET(head, head);
}

static void metrics_write(void *app, struct byod_expo *e)
{
	int64_t seq = GM_GET(seq), head = GM_GET(head);

	(void)app;
	byod_expo_process(e, "byod-gatewayd", GM_GET(started));
	byod_expo_one(e, "byod_registry_up", "gauge",
		      "1 while the gateway follows the registry, 0 while it cannot read it.",
		      GM_GET(registry_up));
	byod_expo_one(e, "byod_gateway_events_total", "counter",
		      "Change-feed events the gateway has handled.", (double)GM_GET(events));
	byod_expo_one(e, "byod_gateway_feed_reads_total", "counter",
		      "Reads of the change feed (when a commit may have come, at once again after "
		      "a full batch, at an unlock's start or end, and every 30 s whatever the wait "
		      "said).",
		      (double)GM_GET(feed_reads));
	byod_expo_one(e, "byod_gateway_feed_position", "gauge",
		      "The last change-feed event the gateway has handled.", (double)seq);
	if (head >= 0) {
		byod_expo_one(e, "byod_gateway_feed_head", "gauge",
			      "The registry's last change-feed event, read at most a second ago.",
			      (double)head);
		byod_expo_one(e, "byod_gateway_feed_lag_events", "gauge",
			      "Events the gateway has still to handle (the head minus its position).",
			      head > seq ? (double)(head - seq) : 0);
	}
	byod_expo_family(e, "byod_gateway_das_requests_total", "counter",
			 "Disconnect and CoA requests to the access points, by how they ended: ack, "
			 "nak, timeout (no answer after the retries), error (not sent).");
	byod_expo_sample(e, (double)GM_GET(das_ack), "result", "ack", NULL);
	byod_expo_sample(e, (double)GM_GET(das_nak), "result", "nak", NULL);
	byod_expo_sample(e, (double)GM_GET(das_timeout), "result", "timeout", NULL);
	byod_expo_sample(e, (double)GM_GET(das_error), "result", "error", NULL);
	byod_expo_one(e, "byod_gateway_das_pending", "gauge",
		      "Disconnect and CoA requests awaiting an answer.", (double)GM_GET(das_pending));
	byod_expo_one(e, "byod_gateway_ruleset_renders_total", "counter",
		      "Whole rulesets applied (the start, a policy, SIGHUP, a repair).",
		      (double)GM_GET(renders));
	byod_expo_one(e, "byod_gateway_set_batches_total", "counter",
		      "Batches of set changes applied to nftables.", (double)GM_GET(batches));
	byod_expo_one(e, "byod_gateway_registry_full_loads_total", "counter",
		      "Whole reads of the registry's state (the start, after an outage).",
		      (double)GM_GET(full_loads));
	byod_expo_one(e, "byod_gateway_admitted", "gauge",
		      "MACs in the admitted map.", (double)GM_GET(admitted));
	byod_expo_one(e, "byod_gateway_quarantined", "gauge",
		      "MACs in quarantine.", (double)GM_GET(quarantined));
	byod_expo_one(e, "byod_gateway_sessions", "gauge",
		      "Open accounting sessions the gateway follows.", (double)GM_GET(sessions));
}

/* gateway.metrics-listen from byod.conf (gw_open reads the rest): the
 * listener, or NULL when the key is empty; -1 when it cannot start. */
static int metrics_start(const char *home, struct httpd_metrics **out)
{
	struct byod_conf conf;
	struct byod_err err;
	char buf[1200], msg[1400];
	int rc = 0;

	*out = NULL;
	if (byod_conf_load_home(&conf, home, &err)) {
		byod_conf_free(&conf);
		return 0; /* gw_open says what is wrong with it */
	}
	if (conf.gateway_metrics_listen[0]) {
		rc = httpd_metrics_start("gateway.metrics-listen", conf.gateway_metrics_listen,
					 metrics_write, NULL, out, &err);
		if (rc) {
			snprintf(msg, sizeof(msg), "cannot start: %s",
				 byod_err_str(&err, buf, sizeof(buf)));
			log_line(0, NULL, msg, NULL);
		} else {
			snprintf(msg, sizeof(msg), "metrics on http://%s/metrics",
				 conf.gateway_metrics_listen);
			log_line(1, NULL, msg, NULL);
		}
	}
	byod_conf_free(&conf);
	return rc ? -1 : 0;
}

/* How long the feed is waited on at a time, so that a signal is taken
 * within this. */
#define SLICE_MS 100

static long ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(((now.tv_sec - t0->tv_sec) * 1000000000LL + (now.tv_nsec - t0->tv_nsec)) /
		      1000000LL);
}

/*
 * The feed is read when the wait says something may have been committed,
 * and besides at least every FEED_SAFETY_S whatever the wait said: a safety
 * net for a wake-up lost (a NOTIFY the server dropped, a commit SQLite's
 * data_version missed), which gw_step's place in the feed then catches up
 * on by number. As rlm_byod's follower does (radius-module/rlm_byod.c).
 */
#define FEED_SAFETY_S 30

/*
 * Waits up to ms for the change feed, in slices so that a signal is taken
 * at once; it ends early when the feed may have moved (*moved set). When
 * the wait itself fails (the registry is unreachable) the slice is slept
 * and *moved set too: the step that follows says why. Returns the signal
 * taken, or 0.
 */
static int wait_feed(struct gw *gw, const sigset_t *sigs, int ms, int *moved)
{
	static const struct timespec zero;
	struct timespec start, nap;
	struct byod_err err;
	long left, slice;
	int sig, rc;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		sig = sigtimedwait(sigs, NULL, &zero);
		if (sig > 0)
			return sig;
		left = ms - ms_since(&start);
		if (left <= 0)
			return 0;
		slice = left < SLICE_MS ? left : SLICE_MS;
		rc = gw_wait(gw, (int)slice, &err);
		if (rc != 0)
			*moved = 1;
		if (rc < 0) {
			nap.tv_sec = 0;
			nap.tv_nsec = slice * 1000000L;
			sig = sigtimedwait(sigs, NULL, &nap);
			if (sig > 0)
				return sig;
			continue;
		}
		if (rc > 0)
			return 0;
	}
}

/* How long to wait for the feed: poll_ms, or less when an unlock starts or
 * ends sooner, or a decision may change by itself (the second, rounded up
 * so that it has come). */
static int wait_ms(const struct gw *gw)
{
	time_t end = gw_next_wake(gw), due = gw_eval_due(gw);
	struct timespec now;
	long long ms;

	if (due && (!end || due < end))
		end = due;
	if (!end)
		return gw_poll_ms(gw);
	clock_gettime(CLOCK_REALTIME, &now);
	ms = ((long long)end - now.tv_sec) * 1000LL - now.tv_nsec / 1000000L;
	if (ms < 0)
		ms = 0;
	return ms < gw_poll_ms(gw) ? (int)ms : gw_poll_ms(gw);
}

/* The heartbeat every HEARTBEAT_S seconds; a failure is said once. */
#define HEARTBEAT_S 10

static void heartbeat(struct gw *gw, struct timespec *last, int *failing)
{
	struct byod_err err;
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (last->tv_sec && now.tv_sec - last->tv_sec < HEARTBEAT_S)
		return;
	*last = now;
	if (gw_heartbeat(gw, &err)) {
		if (!*failing)
			fail("the heartbeat could not be written", &err);
		*failing = 1;
	} else {
		*failing = 0;
	}
}

/*
 * The retention purge (gateway.purge): PURGE_FIRST_S after the start, then
 * every 24 hours, by the wall clock (a clock moved forward, as libfaketime
 * does in the tests, runs it when its day has come). A purge that fails is
 * tried again an hour later.
 */
#define PURGE_FIRST_S 300
#define PURGE_EVERY_S 86400
#define PURGE_RETRY_S 3600

static void purge(struct gw *gw, time_t *next)
{
	struct byod_purge_report r;
	struct byod_err err;
	time_t now = time(NULL);
	char msg[512];
	int rc;

	if (now < *next)
		return;
	rc = gw_purge(gw, now, &r, &err);
	if (rc < 0) {
		fail("the retention purge failed (tried again in an hour)", &err);
		*next = now + PURGE_RETRY_S;
		return;
	}
	*next = now + PURGE_EVERY_S;
	if (!rc)
		return;
	snprintf(msg, sizeof(msg),
		 "retention purge: %d accounting sessions, %d audit rows, %d portal rows, %d "
		 "console rows, %d enrolment codes, %d decision counts, %d people with %d devices, "
		 "%d departures",
		 r.sessions, r.audit, r.web, r.admin_web, r.enrol_codes, r.decisions, r.people,
		 r.devices, r.departed_people);
	log_line(1, NULL, msg, NULL);
}

/*
 * SIGHUP: byod.conf read again, by opening the daemon afresh with it; the
 * caller then renders everything again. A configuration that does not
 * load is refused in one sentence and the daemon running stays as it is.
 */
/* How long a reload waits for the old engine's Disconnects and CoAs. */
#define RELOAD_DAS_WAIT_MS 10000

static void reload(struct gw **gw, const struct gw_options *opt)
{
	struct byod_err err;
	struct gw *fresh = NULL;

	byod_service_reloading();
	if (gw_open(opt, &fresh, &err)) {
		fail("reload refused, the configuration running is kept", &err);
		return;
	}
	/* the Disconnects and CoAs on their way end first (ACK, NAK or their
	 * retries out: a few seconds at most, bounded): a device revoked just
	 * before the reload is still put off the access point */
	if (gw_das_run(*gw, RELOAD_DAS_WAIT_MS))
		log_line(0, NULL, "reload: Disconnect/CoA requests still unanswered are cancelled",
			 NULL);
	metrics_carry(*gw);
	gw_close(*gw);
	*gw = fresh;
	log_line(1, NULL, "reloaded the configuration", NULL);
}

/* The STATUS while the ruleset cannot be applied. */
#define NOT_APPLIED "the ruleset is not applied (see the log); trying again"

/* The registry cannot be reached or is locked: worth waiting for. */
static int unavailable(int rc)
{
	return rc == -ENOTCONN || rc == -EBUSY || rc == -EIO;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'h' },
		{ "school", required_argument, NULL, 's' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "once", no_argument, NULL, '1' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	struct gw_options opt = { .apply = 1, .log = log_line };
	const char *home = getenv("BYOD_HOME");
	struct byod_err err;
	struct gw *gw = NULL;
	struct httpd_metrics *metrics = NULL;
	struct timespec last_head = { 0 };
	struct timespec last_eval, last_beat = { 0 }, last_read = { 0 };
	sigset_t sigs;
	time_t next_purge, wake;
	int c, once = 0, synced, down = 0, step, rc = 1, beat_failing = 0;
	int read = 1; /* the feed may have moved: gw_step reads it */

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'h')
			home = optarg;
		else if (c == 's')
			opt.school = optarg;
		else if (c == 'n')
			opt.apply = 0;
		else if (c == '1')
			once = 1;
		else if (c == 'v')
			verbose = 1;
		else
			goto usage;
	}
	if (optind != argc)
		goto usage;
	opt.home = home && home[0] ? home : BYOD_DEFAULT_HOME;

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	byod_log_ident("byod-gatewayd");
	GM_SET(started, time(NULL));
	if (gw_open(&opt, &gw, &err)) {
		fail("cannot start", &err);
		goto out;
	}
	step = gw_sync(gw, &err);
	synced = !step;
	down = unavailable(step);
	if (!synced)
		fail("the ruleset is not applied yet", &err);
	if (once) {
		gw_das_run(gw, -1);
		rc = synced ? 0 : 1;
		goto out;
	}
	if (metrics_start(opt.home, &metrics))
		goto out;
	metrics_note(gw, !down);
	log_line(1, NULL, "following the change feed", NULL);
	/* ready once the ruleset is applied, or once it is known that it
	 * cannot be yet (the registry unavailable, no policy: said in STATUS
	 * and the log) */
	byod_service_ready(synced ? "following the change feed" : NOT_APPLIED);
	next_purge = time(NULL) + PURGE_FIRST_S;
	clock_gettime(CLOCK_MONOTONIC, &last_eval);
	for (;;) {
		struct timespec now;
		/* no wait when the feed is to be read now (a full batch read
		 * last: more waits behind it) */
		int sig = wait_feed(gw, &sigs,
				    !synced ? gw_poll_ms(gw) : read ? 0 : wait_ms(gw), &read);

		byod_service_watchdog(); /* a turn takes gateway.poll-ms at most */
		if (sig == SIGHUP) {
			reload(&gw, &opt);
			read = 1; /* a new engine, a new handle */
		}
		if (sig == SIGTERM || sig == SIGINT) {
			byod_service_stopping();
			log_line(1, NULL,
				 sig == SIGTERM ? "stopping (SIGTERM)" : "stopping (SIGINT)", NULL);
			break;
		}
		if (sig == SIGHUP || !synced) {
			/* while the registry is unavailable the ruleset stays as
			 * it is (nothing is rendered before the registry was
			 * read), quietly: the failure was said once */
			step = gw_sync(gw, &err);
			synced = !step;
			if (!synced && sig == SIGHUP)
				fail("SIGHUP: the ruleset could not be applied", &err);
			if (sig == SIGHUP)
				byod_service_ready(synced ? "following the change feed" : NOT_APPLIED);
			if (!synced) {
				metrics_note(gw, !unavailable(step));
				continue;
			}
			if (down)
				log_line(1, NULL,
					 "the registry answers again: the ruleset is in line with it",
					 NULL);
			down = 0;
			read = 1; /* what was committed since the sync's snapshot */
		}
		/* the feed read when the wait said it may have moved or a full
		 * batch was read, at an unlock's start or end (gw_step moves
		 * its group's sessions), and every FEED_SAFETY_S; otherwise
		 * nothing was committed and a read would find nothing */
		clock_gettime(CLOCK_MONOTONIC, &now);
		wake = gw_next_wake(gw);
		if (read || (wake && wake <= time(NULL)) ||
		    now.tv_sec - last_read.tv_sec >= FEED_SAFETY_S) {
			last_read = now;
			step = gw_step(gw, NULL, &err);
			read = !step && gw_more(gw);
			if (read)
				log_line(1, NULL,
					 "a full batch of the change feed read: reading on at once",
					 NULL);
		} else {
			step = 0;
		}
		if (step) {
			/*
			 * Start again from one snapshot of the registry (state
			 * and seq together) once it can be read: a step cut
			 * short has changed part of the state, so its events
			 * cannot simply be read again. Until then the ruleset
			 * stays as it is.
			 */
			if (!unavailable(step))
				fail("following the change feed", &err);
			else if (!down)
				fail("the registry cannot be read, the ruleset stays as it is", &err);
			down |= unavailable(step);
			synced = 0;
			metrics_note(gw, !unavailable(step));
			continue;
		}
		gw_das_run(gw, 0);
		metrics_head(gw, &last_head);
		metrics_note(gw, 1);
		heartbeat(gw, &last_beat, &beat_failing);
		purge(gw, &next_purge);
		clock_gettime(CLOCK_MONOTONIC, &now);
		/* every session every 30 s; within a second of a decision's
		 * time (a schedule window, a certificate's age), the sessions
		 * whose time it is */
		if (now.tv_sec - last_eval.tv_sec >= 30) {
			last_eval = now;
			if (gw_reevaluate(gw, time(NULL), &err))
				fail("evaluating the sessions again", &err);
		} else if (gw_eval_due(gw) && gw_eval_due(gw) <= time(NULL)) {
			if (gw_reevaluate_due(gw, time(NULL), &err))
				fail("evaluating the sessions whose time has come", &err);
		}
	}
	rc = 0;
out:
	httpd_metrics_stop(metrics);
	gw_close(gw);
	return rc;
usage:
	fprintf(stderr, "usage: byod-gatewayd [--home DIR] [--school UAI] [--dry-run] [--once] "
			"[--verbose]\n");
	return 2;
}
