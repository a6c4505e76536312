// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * byodctl dnsmasq config: the gateway's dnsmasq.conf from the running
 * segment policy and byod.conf (core/dnsmasq.c): DHCP per segment, the
 * captive portal's API in option 114 on the registration segment, the
 * portal's name, and the walled garden's names resolved into the
 * firewall's sets.
 *
 *   byodctl dnsmasq config [--out FILE]
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byod_util.h"
#include "byodctl.h"

int cli_dnsmasq(const char *home, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	struct pol_policy *pol = NULL;
	struct byod_ctx *ctx;
	struct byod_err err;
	const char *out = NULL;
	char *conf = NULL;
	int c, rc;

	if (argc < 2 || strcmp(argv[1], "config"))
		return cli_usage("dnsmasq takes: config");
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'o')
			out = optarg;
		else
			return cli_usage(NULL);
	}
	if (optind != argc)
		return cli_usage("dnsmasq config takes only --out FILE");
	rc = cli_open(home, &ctx);
	if (rc)
		return rc;
	rc = byod_policy_load(ctx, 0, &pol, NULL, &err);
	if (!rc)
		rc = byod_dnsmasq_config(ctx, pol, &conf, &err);
	if (!rc && out)
		rc = byod_file_write(out, conf, strlen(conf), 0644, 0, &err);
	else if (!rc)
		fputs(conf, stdout);
	if (rc)
		rc = cli_fail_err(&err);
	free(conf);
	pol_free(pol);
	byod_close(ctx);
	return rc;
}
