// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The firewall's configuration from byod.conf and the running policy: the
 * interface of each segment (firewall.mode / links / uplink), the admit
 * links, the portal address (firewall.portal-address, else the policy's
 * portal service). byodctl and byod-gatewayd render the same ruleset from
 * it.
 */
#define _GNU_SOURCE
#include "byod.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "registration=veth-reg,pupils=veth-pup" into links (pointing into buf). */
static int parse_links(char *buf, struct fw_link *links, size_t max, size_t *n)
{
	char *save = NULL, *pair;

	*n = 0;
	for (pair = strtok_r(buf, ",", &save); pair; pair = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(pair, '=');

		while (*pair == ' ')
			pair++;
		if (!eq || eq == pair || !eq[1] || *n == max)
			return -1;
		*eq = '\0';
		links[*n].segment = pair;
		links[(*n)++].ifname = eq + 1;
	}
	return 0;
}

/* "veth-ap,veth-ap2" into names (pointing into buf). */
static int parse_names(char *buf, const char **names, size_t max, size_t *n)
{
	char *save = NULL, *name;

	*n = 0;
	for (name = strtok_r(buf, ", ", &save); name; name = strtok_r(NULL, ", ", &save)) {
		if (*n == max)
			return -1;
		names[(*n)++] = name;
	}
	return 0;
}

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

int byod_fw_setup(struct byod_ctx *ctx, const struct pol_policy *pol, struct byod_fw_setup *s,
		  struct byod_err *err)
{
	memset(s, 0, sizeof(*s));
	s->links_buf = strdup(ctx->conf.firewall_links ? ctx->conf.firewall_links : "");
	s->admit_buf = strdup(ctx->conf.firewall_admit_links ? ctx->conf.firewall_admit_links : "");
	if (!s->links_buf || !s->admit_buf) {
		byod_fw_setup_free(s);
		return byod_err_set(err, ENOMEM, "out of memory");
	}
	if (ctx->conf.firewall_mode == 1 &&
	    parse_links(s->links_buf, s->links, BYOD_FW_LINKS_MAX, &s->cfg.nlinks)) {
		byod_fw_setup_free(s);
		return byod_err_set(err, EINVAL,
				    "firewall.links must be segment=interface pairs, comma-separated");
	}
	if (parse_names(s->admit_buf, s->admit, BYOD_FW_ADMIT_MAX, &s->cfg.nadmit_links)) {
		byod_fw_setup_free(s);
		return byod_err_set(err, EINVAL, "firewall.admit-links names more than %d interfaces",
				    BYOD_FW_ADMIT_MAX);
	}
	if (portal_address(ctx, pol, s->portal, sizeof(s->portal)))
		s->portal[0] = '\0'; /* fw_render says what to do; links need none */
	s->cfg.links = s->links;
	s->cfg.admit_links = s->admit;
	s->cfg.uplink = ctx->conf.firewall_mode == 1 ? NULL : ctx->conf.firewall_uplink;
	s->cfg.portal_addr = s->portal;
	s->cfg.portal_http_port = ctx->conf.portal_http_port;
	s->cfg.portal_https_port = ctx->conf.portal_https_port;
	return 0;
}

void byod_fw_setup_free(struct byod_fw_setup *s)
{
	free(s->links_buf);
	free(s->admit_buf);
	s->links_buf = s->admit_buf = NULL;
}
