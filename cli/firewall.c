// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * byodctl firewall show | check | apply: the nftables ruleset rendered
 * from the running segment policy and the firewall.* configuration;
 * printed, checked by libnftables without touching the kernel's ruleset,
 * or applied to the current network namespace as one transaction.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byodctl.h"
#include "firewall.h"

#define LINKS_MAX 64

/* "registration=veth-reg,pupils=veth-pup" into links (pointing into buf). */
static int parse_links(char *buf, struct fw_link *links, size_t *n)
{
	char *save = NULL, *pair;

	*n = 0;
	for (pair = strtok_r(buf, ",", &save); pair; pair = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(pair, '=');

		while (*pair == ' ')
			pair++;
		if (!eq || eq == pair || !eq[1] || *n == LINKS_MAX)
			return -1;
		*eq = '\0';
		links[*n].segment = pair;
		links[(*n)++].ifname = eq + 1;
	}
	return 0;
}

/* The portal's address: the configuration's, else the policy's portal
 * service's first IPv4 destination. */
static int portal_address(const struct byod_ctx *ctx, const struct pol_policy *pol, char *out,
			  size_t len)
{
	size_t i, t;

	if (ctx->conf.firewall_portal_address[0]) {
		snprintf(out, len, "%s", ctx->conf.firewall_portal_address);
		return 0;
	}
	for (i = 0; i < pol->nservices; i++) {
		if (strcmp(pol->services[i].name, "portal"))
			continue;
		for (t = 0; t < pol->services[i].nto; t++) {
			if (pol->services[i].to[t].family == AF_INET &&
			    inet_ntop(AF_INET, pol->services[i].to[t].addr, out, (socklen_t)len))
				return 0;
		}
	}
	return -1;
}

int cli_firewall(const char *home, int argc, char **argv)
{
	struct fw_link links[LINKS_MAX];
	struct fw_config cfg;
	struct pol_policy *pol = NULL;
	struct byod_ctx *ctx;
	struct byod_err err;
	char *text = NULL, *buf = NULL, portal[64];
	const char *what = argc > 1 ? argv[1] : "";
	int rc;

	if (argc != 2 || (strcmp(what, "show") && strcmp(what, "check") && strcmp(what, "apply")))
		return cli_usage("firewall show|check|apply");
	rc = cli_open(home, &ctx);
	if (rc)
		return rc;
	memset(&cfg, 0, sizeof(cfg));
	rc = byod_policy_load(ctx, 0, &pol, NULL, &err);
	if (rc) {
		rc = cli_fail_err(&err);
		goto out;
	}
	buf = strdup(ctx->conf.firewall_links);
	if (!buf) {
		rc = cli_fail("out of memory");
		goto out;
	}
	if (ctx->conf.firewall_mode == 1 && parse_links(buf, links, &cfg.nlinks)) {
		rc = cli_fail("firewall.links must be segment=interface pairs, comma-separated");
		goto out;
	}
	cfg.links = links;
	cfg.uplink = ctx->conf.firewall_mode == 1 ? NULL : ctx->conf.firewall_uplink;
	if (portal_address(ctx, pol, portal, sizeof(portal))) {
		rc = cli_fail("no portal address: set firewall.portal-address, or give the policy a "
			      "portal service with an IPv4 address");
		goto out;
	}
	cfg.portal_addr = portal;
	cfg.portal_http_port = ctx->conf.portal_http_port;
	rc = fw_render(pol, &cfg, &text, &err);
	if (!rc && !strcmp(what, "show"))
		fputs(text, stdout);
	else if (!rc)
		rc = fw_nft_run(text, !strcmp(what, "check"), &err);
	if (rc) {
		rc = cli_fail_err(&err);
		goto out;
	}
	if (!strcmp(what, "apply"))
		printf("ruleset applied (table inet byod)\n");
	else if (!strcmp(what, "check"))
		printf("ruleset accepted by nftables\n");
out:
	free(text);
	free(buf);
	pol_free(pol);
	byod_close(ctx);
	return rc;
}
