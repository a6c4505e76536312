// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * byod-portal: the captive enrolment portal. Thin: reads the gateway's
 * configuration and the message catalogues, starts the server, and stops
 * it gracefully on SIGTERM or SIGINT.
 *
 *   byod-portal --home DIR [--locale-dir DIR]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "byod_util.h"
#include "i18n.h"
#include "portal.h"

/* The catalogues beside the program (build/bin -> build/share/byod/locale),
 * else the installed place. */
static void default_locale_dir(char *out, size_t len)
{
	char self[PATH_MAX], dir[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n > 0) {
		self[n] = '\0';
		snprintf(dir, sizeof(dir), "%s/../share/byod/locale", dirname(self));
		if (realpath(dir, self)) {
			snprintf(out, len, "%s", self);
			return;
		}
	}
	snprintf(out, len, "/usr/share/byod/locale");
}

static int setup(struct portal *p, const char *home, const char *locale_dir, struct byod_err *err)
{
	int rc;

	rc = byod_conf_load_home(&p->conf, home, err);
	if (rc)
		return rc;
	if (byod_conf_path(&p->conf, p->conf.pki_dir, p->pki_dir, sizeof(p->pki_dir)))
		return byod_err_set(err, ENAMETOOLONG, "pki.dir too long");
	if (p->conf.portal_public_url[0])
		snprintf(p->public_url, sizeof(p->public_url), "%s", p->conf.portal_public_url);
	else if (p->conf.portal_https_port == 443)
		snprintf(p->public_url, sizeof(p->public_url), "https://%s",
			 p->conf.portal_hostname);
	else if (p->conf.portal_https_port)
		snprintf(p->public_url, sizeof(p->public_url), "https://%s:%d",
			 p->conf.portal_hostname, p->conf.portal_https_port);
	else
		snprintf(p->public_url, sizeof(p->public_url), "http://%s:%d",
			 p->conf.portal_hostname, p->conf.portal_http_port);
	/* no trailing slash: paths are appended */
	while (p->public_url[0] && p->public_url[strlen(p->public_url) - 1] == '/')
		p->public_url[strlen(p->public_url) - 1] = '\0';
	return portal_i18n_load(locale_dir, &p->i18n, err);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'h' },
		{ "locale-dir", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	struct portal p;
	struct portal_server *srv = NULL;
	struct byod_err err;
	char locale_dir[PATH_MAX];
	const char *home = getenv("BYOD_HOME");
	sigset_t stop;
	int c, sig, rc = 1;

	default_locale_dir(locale_dir, sizeof(locale_dir));
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'h')
			home = optarg;
		else if (c == 'l')
			snprintf(locale_dir, sizeof(locale_dir), "%s", optarg);
		else
			goto usage;
	}
	if (optind != argc)
		goto usage;
	if (!home || !home[0])
		home = "/var/lib/byod";

	/* SIGTERM and SIGINT are waited for here, not handled in a thread */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	memset(&p, 0, sizeof(p));
	if (setup(&p, home, locale_dir, &err) || portal_start(&p, &srv, &err)) {
		char buf[1200];

		fprintf(stderr, "byod-portal: %s\n", byod_err_str(&err, buf, sizeof(buf)));
		goto out;
	}
	portal_log("serving %s on %s: http %d, https %d; devices are sent to %s",
		   p.conf.school_name, p.conf.portal_listen, p.conf.portal_http_port,
		   p.conf.portal_https_port, p.public_url);
	sigwait(&stop, &sig);
	portal_log("stopping (%s)", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	rc = 0;
out:
	portal_stop(srv);
	portal_i18n_free(p.i18n);
	byod_conf_free(&p.conf);
	return rc;
usage:
	fprintf(stderr, "usage: byod-portal [--home DIR] [--locale-dir DIR]\n");
	return 2;
}
