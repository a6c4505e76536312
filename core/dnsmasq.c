// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The gateway's dnsmasq configuration from byod.conf and the running
 * policy: the links and portal address the ruleset uses (fw_setup.c), the
 * URL devices are sent to (byod_portal_url, portal_tls.c), its RFC 8908 API
 * for option 114, and the
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
	/* where devices are sent now: HTTPS only behind a certificate they
	 * trust (core/portal_tls.c), so option 114 follows the portal */
	rc = byod_portal_url(&ctx->conf, url, sizeof(url), err);
	if (rc)
		return rc;
	rc = byod_fw_setup(ctx, pol, &fw, err);
	if (rc)
		return rc;
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
