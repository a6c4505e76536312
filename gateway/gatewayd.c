// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * byod-gatewayd: the gateway daemon. Applies the ruleset with the device
 * state at start, then follows the registry's change feed every
 * gateway.poll-ms (100 ms by default), evaluates the open sessions again
 * every 30 seconds (schedules end), and renders everything again on SIGHUP
 * or when a batch is refused (someone flushed the ruleset). Logs one line
 * per action on standard error. SIGTERM or SIGINT stop it.
 *
 *   byod-gatewayd [--home DIR] [--dry-run] [--once] [--verbose]
 *
 * --dry-run computes and logs without touching nftables or any NAS;
 * --once applies the state and exits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway.h"

static int verbose;

static void log_line(int level, const char *msg, void *ctx)
{
	static const char *const names[] = { "error", "info", "debug" };
	struct timespec ts;
	struct tm tm;
	char when[32];

	(void)ctx;
	if (level > 1 && !verbose)
		return;
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
	log_line(0, msg, NULL);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'h' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "once", no_argument, NULL, '1' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	struct gw_options opt = { .apply = 1, .log = log_line };
	const char *home = getenv("BYOD_HOME");
	struct byod_err err;
	struct gw *gw = NULL;
	struct timespec last_eval;
	sigset_t sigs;
	int c, once = 0, synced, rc = 1;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'h')
			home = optarg;
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

	if (gw_open(&opt, &gw, &err)) {
		fail("cannot start", &err);
		goto out;
	}
	synced = !gw_sync(gw, &err);
	if (!synced)
		fail("the ruleset is not applied yet", &err);
	if (once) {
		rc = synced ? 0 : 1;
		goto out;
	}
	log_line(1, "following the change feed", NULL);
	clock_gettime(CLOCK_MONOTONIC, &last_eval);
	for (;;) {
		int ms = gw_poll_ms(gw);
		struct timespec wait = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
		struct timespec now;
		int sig = sigtimedwait(&sigs, NULL, &wait);

		if (sig == SIGTERM || sig == SIGINT) {
			log_line(1, sig == SIGTERM ? "stopping (SIGTERM)" : "stopping (SIGINT)", NULL);
			break;
		}
		if (sig == SIGHUP || !synced) {
			int was = synced;

			/* while the registry is unavailable the ruleset stays as
			 * it is (nothing is rendered before the registry was
			 * read), quietly: the failure was said once */
			synced = !gw_sync(gw, &err);
			if (!synced && sig == SIGHUP)
				fail("SIGHUP: the ruleset could not be applied", &err);
			if (!synced)
				continue;
			if (!was)
				log_line(1, "the registry answers again: the ruleset is in line with it",
					 NULL);
		}
		if (gw_step(gw, NULL, &err)) {
			fail("following the change feed", &err);
			synced = 0; /* start again from the registry */
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - last_eval.tv_sec >= 30) {
			last_eval = now;
			if (gw_reevaluate(gw, time(NULL), &err))
				fail("evaluating the sessions again", &err);
		}
	}
	rc = 0;
out:
	gw_close(gw);
	return rc;
usage:
	fprintf(stderr, "usage: byod-gatewayd [--home DIR] [--dry-run] [--once] [--verbose]\n");
	return 2;
}
