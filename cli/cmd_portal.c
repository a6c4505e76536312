// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * byodctl portal check: whether a new phone trusts the portal's
 * certificate (it chains to a root of portal.trust-store, names the
 * portal's host name, is valid and not ending within 30 days), and so
 * whether captive redirects go to HTTPS or stay on HTTP. Exit 0 when
 * trusted; otherwise one sentence per problem on standard error and 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "byod_util.h"
#include "byodctl.h"

static int portal_check(const char *home)
{
	struct byod_portal_tls w;
	struct pki_cert_report rep;
	struct byod_conf conf;
	struct byod_err err;
	char when[32];
	int rc, i;

	rc = byod_conf_load_home(&conf, home, &err);
	if (!rc)
		rc = byod_portal_tls_where(&conf, &w, &err);
	if (rc) {
		rc = cli_fail_err(&err);
		goto out;
	}
	if (!w.url_https[0]) {
		rc = cli_fail(
			"portal.https-port is 0: the portal serves no HTTPS, devices are sent "
			"to %s/",
			w.url_http);
		goto out;
	}
	if (byod_portal_tls_check(&w, NULL, &rep, &err)) {
		rc = cli_fail_err(&err);
		fprintf(stderr,
			"byodctl: warning: devices are sent to %s/ (plain HTTP) until "
			"the portal has a certificate phones trust.\n",
			w.url_http);
		goto out;
	}
	if (!rep.problems) {
		printf("%s: trusted for %s: chains to %s (%s), expires %s.\n", w.cert, w.host,
		       rep.root, w.trust_store, byod_time_iso(rep.not_after, when, sizeof(when)));
		printf("devices are sent to %s/\n", w.url_https);
		rc = 0;
		goto out;
	}
	for (i = 0; i < rep.nwhy; i++)
		fprintf(stderr, "byodctl: %s: %s\n", w.cert, rep.why[i]);
	if (pki_cert_report_trusted(&rep))
		fprintf(stderr,
			"byodctl: warning: devices are still sent to %s/ while it is "
			"valid.\n",
			w.url_https);
	else
		fprintf(stderr,
			"byodctl: warning: devices are sent to %s/ (plain HTTP) until "
			"phones trust the certificate.\n",
			w.url_http);
	rc = EXIT_FAILURE;
out:
	byod_conf_free(&conf);
	return rc;
}

int cli_portal(const char *home, int argc, char **argv)
{
	if (argc != 2 || strcmp(argv[1], "check"))
		return cli_usage("portal takes: check");
	return portal_check(home);
}
