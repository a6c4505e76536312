// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The gateway's dnsmasq configuration from byod.conf and the running
 * policy: the links and portal address the ruleset uses (fw_setup.c), the
 * URL devices are sent to, its RFC 8908 API for option 114, and the
 * portal's host names answered with its address. The file itself is
 * written by firewall/dnsmasq_conf.c.
 */
#define _GNU_SOURCE
#include "byod.h"
#include "dnsmasq_conf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

void byod_portal_url(const struct byod_conf *conf, char *out, size_t len)
{
	if (conf->portal_public_url[0])
		snprintf(out, len, "%s", conf->portal_public_url);
	else if (conf->portal_https_port == 443)
		snprintf(out, len, "https://%s", conf->portal_hostname);
	else if (conf->portal_https_port)
		snprintf(out, len, "https://%s:%d", conf->portal_hostname, conf->portal_https_port);
	else
		snprintf(out, len, "http://%s:%d", conf->portal_hostname, conf->portal_http_port);
	/* no trailing slash: paths are appended */
	while (out[0] && out[strlen(out) - 1] == '/')
		out[strlen(out) - 1] = '\0';
}

/* The host of url ("http://portal.byod.lan:8080/x" -> "portal.byod.lan")
 * into out; "" for an address ("10.0.0.2", "[fd00::2]"), which needs no
 * DNS. */
static void url_host_name(const char *url, char *out, size_t len)
{
	const char *p = strstr(url, "://");
	struct in_addr a;
	size_t n;

	out[0] = '\0';
	if (!p || p[3] == '[')
		return;
	p += 3;
	n = strcspn(p, ":/?#");
	if (n >= len)
		return;
	memcpy(out, p, n);
	out[n] = '\0';
	if (inet_pton(AF_INET, out, &a) == 1)
		out[0] = '\0';
}

int byod_dnsmasq_config(struct byod_ctx *ctx, const struct pol_policy *pol, char **conf,
			struct byod_err *err)
{
	struct byod_fw_setup fw;
	struct fw_dnsmasq d = { 0 };
	const char *names[2];
	char url[600], api[700], host[256];
	int rc;

	*conf = NULL;
	rc = byod_fw_setup(ctx, pol, &fw, err);
	if (rc)
		return rc;
	byod_portal_url(&ctx->conf, url, sizeof(url));
	snprintf(api, sizeof(api), "%s/api/captive", url);
	url_host_name(url, host, sizeof(host));
	if (ctx->conf.portal_hostname[0])
		names[d.nportal_names++] = ctx->conf.portal_hostname;
	if (host[0] && strcasecmp(host, ctx->conf.portal_hostname))
		names[d.nportal_names++] = host;
	d.fw = &fw.cfg;
	d.api_url = api;
	d.portal_names = names;
	if (!fw.portal[0] && d.nportal_names)
		rc = byod_err_set(err, EINVAL,
				  "no portal address for the portal's name: set "
				  "firewall.portal-address, or give the policy a portal service "
				  "with an IPv4 address");
	else
		rc = fw_dnsmasq_config(pol, &d, conf, err);
	byod_fw_setup_free(&fw);
	return rc;
}
