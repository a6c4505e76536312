// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dnsmasq.conf, one option a line. dnsmasq reads an option to the end of
 * its line, splits it at commas and strips double quotes, and a '#' after
 * a blank starts a comment: so every value written here is either made
 * here (numbers, addresses from inet_ntop), a name from a short set
 * (segments, interfaces, host names checked by pol_host_parse), or the
 * captive API's URL, checked against RFC 3986's characters less the comma
 * and written in double quotes. Nothing outside can add an option.
 */
#define _GNU_SOURCE
#include "dnsmasq_conf.h"
#include "firewall.h"
#include "fw_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byod_buf.h"

/* Leases: short on the registration segment, which a device leaves for its
 * own segment once enrolled; a school day elsewhere. */
#define LEASE_REGISTRATION "1h"
#define LEASE_SEGMENT	   "12h"

/* An http(s) URL of RFC 3986's characters, no comma (dnsmasq would split
 * the option there), at most 255 bytes (a DHCP option's length). */
static int url_ok(const char *u)
{
	static const char extra[] = "-._~:/?#[]@!$&'()*+;=%";
	size_t n = strlen(u), i;

	if (n > 255 || (strncmp(u, "http://", 7) && strncmp(u, "https://", 8)))
		return 0;
	for (i = 0; i < n; i++)
		if (!((u[i] >= 'a' && u[i] <= 'z') || (u[i] >= 'A' && u[i] <= 'Z') ||
		      (u[i] >= '0' && u[i] <= '9') || strchr(extra, u[i])))
			return 0;
	return 1;
}

static void ip4_text(uint32_t host_order, char out[INET_ADDRSTRLEN])
{
	uint32_t a = htonl(host_order);

	inet_ntop(AF_INET, &a, out, INET_ADDRSTRLEN);
}

static const struct pol_service *allowed(const struct pol_policy *pol, const struct pol_segment *s,
					 const char *name)
{
	size_t i;

	for (i = 0; i < s->nallow; i++)
		if (!strcmp(pol->services[s->allow[i]].name, name))
			return &pol->services[s->allow[i]];
	return NULL;
}

/* The DNS servers a segment's devices are given: its gateway when its dns
 * service is the gateway's, and the IPv4 hosts a redefined one names;
 * "" when the segment has no dns. */
static void dns_servers(const struct pol_policy *pol, const struct pol_segment *s, const char *gw,
			char *out, size_t len)
{
	const struct pol_service *dns = allowed(pol, s, "dns");
	size_t t, used = 0;

	out[0] = '\0';
	if (!dns)
		return;
	if (dns->to_gateway)
		used += (size_t)snprintf(out, len, "%s", gw);
	for (t = 0; t < dns->nto && used < len; t++) {
		char a[INET_ADDRSTRLEN];

		if (dns->to[t].family != AF_INET || dns->to[t].prefix != 32 ||
		    !inet_ntop(AF_INET, dns->to[t].addr, a, sizeof(a)))
			continue;
		used += (size_t)snprintf(out + used, len - used, "%s%s", used ? "," : "", a);
	}
	if (used >= len)
		out[0] = '\0';
}

/* interface=IF for each interface of segment s (its firewall.links, else
 * <uplink>.<vlan>), as the ruleset names them. */
static int interfaces(struct byod_buf *b, int *rc, const struct pol_segment *s,
		      const struct fw_config *cfg, struct byod_err *err)
{
	char one[32];
	size_t i, n = 0;

	for (i = 0; i < cfg->nlinks; i++) {
		if (strcmp(cfg->links[i].segment, s->name))
			continue;
		if (!fw_ifname_ok(cfg->links[i].ifname))
			return byod_err_set(err, EINVAL, "'%s' is not an interface name",
					    cfg->links[i].ifname);
		byod_buf_putf(b, rc, "interface=%s\n", cfg->links[i].ifname);
		n++;
	}
	if (n)
		return 0;
	if (!cfg->uplink)
		return byod_err_set(err, EINVAL, "no interface for segment %s (and no uplink)",
				    s->name);
	if (snprintf(one, sizeof(one), "%s.%d", cfg->uplink, s->vlan) >= 16 || !fw_ifname_ok(one))
		return byod_err_set(err, EINVAL, "'%s.%d' is not an interface name", cfg->uplink,
				    s->vlan);
	byod_buf_putf(b, rc, "interface=%s\n", one);
	return 0;
}

/* One segment: its interfaces, its DHCP range (the subnet but the network,
 * the gateway and the broadcast address), router and DNS server. */
static int segment(struct byod_buf *b, int *rc, const struct pol_policy *pol,
		   const struct pol_segment *s, int registration, const struct fw_dnsmasq *d,
		   struct byod_err *err)
{
	const struct pol_service *dhcp = allowed(pol, s, "dhcp");
	char net[64], gw[INET_ADDRSTRLEN], lo[INET_ADDRSTRLEN], hi[INET_ADDRSTRLEN];
	char mask[INET_ADDRSTRLEN], dns[512];
	uint8_t g[4];
	uint32_t n, m;
	int r;

	if (fw_segment_gateway(&s->subnet, g))
		return byod_err_set(err, EINVAL, "segment %s: its subnet has no host for a gateway",
				    s->name);
	inet_ntop(AF_INET, g, gw, sizeof(gw));
	pol_net_format(&s->subnet, net, sizeof(net));
	memcpy(&n, s->subnet.addr, 4);
	m = s->subnet.prefix ? 0xffffffffu << (32 - s->subnet.prefix) : 0;
	n = ntohl(n) & m;
	ip4_text(n + 2, lo);
	ip4_text((n | ~m) - 1, hi);
	ip4_text(m, mask);
	dns_servers(pol, s, gw, dns, sizeof(dns));

	byod_buf_putf(b, rc, "\n# segment %s (VLAN %d): %s, the gateway %s\n", s->name, s->vlan,
		      net, gw);
	if (!dhcp && !dns[0]) {
		byod_buf_putf(b, rc, "# (neither dhcp nor dns in its allow list: not served)\n");
		return 0;
	}
	r = interfaces(b, rc, s, d->fw, err);
	if (r)
		return r;
	if (!dhcp || !dhcp->to_gateway) {
		byod_buf_putf(b, rc, "# (no dhcp from the gateway in its allow list: no DHCP)\n");
		return 0;
	}
	/* dhcp-range=set:pupils,10.20.0.2,10.20.255.254,255.255.0.0,12h */
	byod_buf_putf(b, rc, "dhcp-range=set:%s,%s,%s,%s,%s\n", s->name, lo, hi, mask,
		      registration ? LEASE_REGISTRATION : LEASE_SEGMENT);
	byod_buf_putf(b, rc, "dhcp-option=tag:%s,option:router,%s\n", s->name, gw);
	/* an empty dns-server option: dnsmasq sends none rather than itself */
	byod_buf_putf(b, rc, "dhcp-option=tag:%s,option:dns-server%s%s\n", s->name,
		      dns[0] ? "," : "", dns);
	if (registration && d->api_url && d->api_url[0])
		byod_buf_putf(b, rc,
			      "# RFC 8910: where the captive portal's API (RFC 8908) is\n"
			      "dhcp-option=tag:%s,114,\"%s\"\n",
			      s->name, d->api_url);
	return 0;
}

int fw_dnsmasq_config(const struct pol_policy *pol, const struct fw_dnsmasq *d, char **conf,
		      struct byod_err *err)
{
	const struct fw_config *cfg = d->fw;
	const char *reg_name = cfg->registration ? cfg->registration : "registration";
	struct byod_buf b = BYOD_BUF_INIT;
	struct in_addr portal;
	char name[256], why[256];
	size_t i;
	int reg, rc = 0, r;

	*conf = NULL;
	r = fw_links_check(pol, cfg, err);
	if (r)
		return r;
	reg = pol_segment_find(pol, reg_name);
	if (reg < 0)
		return byod_err_set(err, EINVAL, "the policy has no '%s' segment", reg_name);
	if (d->api_url && d->api_url[0] && !url_ok(d->api_url))
		return byod_err_set(err, EINVAL,
				    "the captive API's URL '%.300s' cannot go in option 114 (an "
				    "http or https URL of at most 255 characters, without commas "
				    "or spaces)",
				    d->api_url);
	if (d->nportal_names &&
	    (!cfg->portal_addr || inet_pton(AF_INET, cfg->portal_addr, &portal) != 1))
		return byod_err_set(err, EINVAL, "the portal address '%s' is not IPv4",
				    cfg->portal_addr ? cfg->portal_addr : "");
	for (i = 0; i < d->nportal_names; i++)
		if (pol_host_parse(d->portal_names[i], 0, name, sizeof(name), why, sizeof(why)))
			return byod_err_set(err, EINVAL, "the portal's name: %s", why);
	if (pol->nwalled_garden) {
		const struct pol_service *dns = allowed(pol, &pol->segments[reg], "dns");

		/* its devices must ask the gateway, or nothing fills the sets */
		if (!dns || !dns->to_gateway)
			return byod_err_set(err, EINVAL,
					    "the walled garden needs the %s segment to ask the "
					    "gateway's DNS: add dns to its allow list",
					    reg_name);
	}
	for (i = 0; i < pol->nwalled_garden; i++)
		if (pol_host_parse(pol->walled_garden[i].name, 0, name, sizeof(name), why,
				   sizeof(why)))
			return byod_err_set(err, EINVAL, "the walled garden: %s", why);

	byod_buf_putf(&b, &rc,
		      "# dnsmasq.conf written by byodctl dnsmasq config from the segment policy:\n"
		      "# DHCP on each segment's interface, the captive portal's API (RFC 8910\n"
		      "# option 114) on the %s segment, the walled garden's names\n"
		      "# resolved into the firewall's sets. Upstream servers come from\n"
		      "# /etc/resolv.conf. Run: dnsmasq -C FILE\n\n",
		      reg_name);
	byod_buf_putf(&b, &rc,
		      "# on the segments' interfaces only, never the uplink nor loopback\n"
		      "bind-dynamic\nexcept-interface=lo\n"
		      "domain-needed\nbogus-priv\ndhcp-authoritative\n"
		      "# the firewall forgets a walled-garden address an hour after dnsmasq\n"
		      "# added it, and dnsmasq adds addresses only as it asks upstream: its\n"
		      "# cache keeps answers 5 minutes at most, so they come back soon\n"
		      "max-cache-ttl=300\n"
		      "# nothing of what a device looks up is written down: never log-queries\n"
		      "# nor log-dhcp, and DHCP's routine lines (with a device's own name,\n"
		      "# such as \"iPhone-de-Lea\") kept out of syslog; the connection log\n"
		      "# the law asks for is RADIUS accounting's (docs/privacy.md)\n"
		      "quiet-dhcp\nquiet-dhcp6\nquiet-ra\n");
	for (i = 0; i < pol->nsegments; i++) {
		r = segment(&b, &rc, pol, &pol->segments[i], (int)i == reg, d, err);
		if (r)
			goto out;
	}
	if (d->nportal_names)
		byod_buf_putf(&b, &rc, "\n# the portal\n");
	for (i = 0; i < d->nportal_names; i++) {
		pol_host_parse(d->portal_names[i], 0, name, sizeof(name), why, sizeof(why));
		byod_buf_putf(&b, &rc, "host-record=%s,%s\n", name, cfg->portal_addr);
	}
	if (pol->nwalled_garden)
		byod_buf_putf(
			&b, &rc,
			"\n# the walled garden: the addresses of each name, and of every name\n"
			"# under it, go into the firewall's sets, which the %s\n"
			"# segment reaches on tcp/80 and tcp/443\n",
			reg_name);
	/* nftset=/play.google.com/4#inet#byod#walled_garden_ip4,6#inet#byod#walled_garden_ip6 */
	for (i = 0; i < pol->nwalled_garden; i++)
		byod_buf_putf(&b, &rc, "nftset=/%s/4#%s#%s#%s,6#%s#%s#%s\n",
			      pol->walled_garden[i].name, FW_TABLE_FAMILY, FW_TABLE_NAME,
			      FW_WALLED_GARDEN_SET4, FW_TABLE_FAMILY, FW_TABLE_NAME,
			      FW_WALLED_GARDEN_SET6);
	if (rc) {
		r = byod_err_set(err, -rc, "out of memory");
		goto out;
	}
	*conf = byod_buf_take(&b, NULL);
	r = *conf ? 0 : byod_err_set(err, ENOMEM, "out of memory");
out:
	byod_buf_free(&b);
	return r;
}
