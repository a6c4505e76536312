// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The ruleset as nft text, built line by line from the compiled policy.
 * Values that reach the text are only interface names (checked against
 * [A-Za-z0-9._-]), addresses and ports formatted here, and segment names
 * (the policy reader allows [a-z0-9-]), so nothing outside can change its
 * structure.
 */
#define _GNU_SOURCE
#include "firewall.h"
#include "fw_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int fw_ifname_ok(const char *s)
{
	size_t i, n = s ? strlen(s) : 0;

	if (n < 1 || n > 15)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

/* The interfaces of segment s as nft reads them, into out: "eth0.20" (vlan
 * mode, or one link), or { "o-pup", "o-tea" } when firewall.links gives
 * the segment several. */
static int seg_ifset(const struct pol_segment *s, const struct fw_config *cfg, char *out,
		     size_t len, struct byod_err *err)
{
	char one[32];
	size_t i, n = 0, used = 0;

	for (i = 0; i < cfg->nlinks; i++) {
		if (strcmp(cfg->links[i].segment, s->name))
			continue;
		if (!fw_ifname_ok(cfg->links[i].ifname))
			return byod_err_set(err, EINVAL, "'%s' is not an interface name",
					    cfg->links[i].ifname);
		used += (size_t)snprintf(out + used, len > used ? len - used : 0, "%s\"%s\"",
					 n++ ? ", " : "", cfg->links[i].ifname);
	}
	if (n > 1) {
		char list[1024];

		snprintf(list, sizeof(list), "%s", out);
		used = (size_t)snprintf(out, len, "{ %s }", list);
	}
	if (n && used >= len)
		return byod_err_set(err, EINVAL, "segment %s has too many interfaces", s->name);
	if (n)
		return 0;
	if (!cfg->uplink)
		return byod_err_set(err, EINVAL, "no interface for segment %s (and no uplink)",
				    s->name);
	if (snprintf(one, sizeof(one), "%s.%d", cfg->uplink, s->vlan) >= 16 || !fw_ifname_ok(one))
		return byod_err_set(err, EINVAL, "'%s.%d' is not an interface name", cfg->uplink,
				    s->vlan);
	snprintf(out, len, "\"%s\"", one);
	return 0;
}

/* The verdict-map elements "IF" : jump PREFIXSEG for every interface. */
static void ifmap(struct fw_out *o, const struct pol_policy *pol, const struct fw_config *cfg,
		  const char *prefix)
{
	size_t i, k, n = 0;

	for (i = 0; i < pol->nsegments; i++) {
		int found = 0;

		for (k = 0; k < cfg->nlinks; k++) {
			if (strcmp(cfg->links[k].segment, pol->segments[i].name))
				continue;
			fw_put(o, "%s \"%s\" : jump %s%s", n++ ? "," : "", cfg->links[k].ifname,
			       prefix, pol->segments[i].name);
			found = 1;
		}
		if (!found)
			fw_put(o, "%s \"%s.%d\" : jump %s%s", n++ ? "," : "", cfg->uplink,
			       pol->segments[i].vlan, prefix, pol->segments[i].name);
	}
}

/* An interface given to two segments, or to a segment the policy lacks. */
int fw_links_check(const struct pol_policy *pol, const struct fw_config *cfg,
		   struct byod_err *err)
{
	size_t i, k;

	for (i = 0; i < cfg->nlinks; i++) {
		if (pol_segment_find(pol, cfg->links[i].segment) < 0)
			return byod_err_set(err, EINVAL,
					    "firewall.links names %s, which the policy has no segment for",
					    cfg->links[i].segment);
		for (k = 0; k < i; k++)
			if (!strcmp(cfg->links[k].ifname, cfg->links[i].ifname))
				return byod_err_set(err, EINVAL,
						    "interface %s is given to segments %s and %s",
						    cfg->links[i].ifname, cfg->links[k].segment,
						    cfg->links[i].segment);
	}
	return 0;
}

/* The segment's gateway address as text ("" when it has none). */
static void gateway_of(const struct pol_net *n, char *out, size_t len)
{
	uint8_t a[4];

	if (fw_segment_gateway(n, a) || !inet_ntop(AF_INET, a, out, (socklen_t)len))
		out[0] = '\0';
}

/* "tcp dport { 80, 443 }" for the ports of one protocol; "" when none. */
static int ports_of(const struct pol_service *sv, int proto, char *out, size_t len)
{
	size_t i, n = 0, used = 0;
	int any = 0;

	out[0] = '\0';
	for (i = 0; i < sv->nports; i++) {
		const struct pol_port *p = &sv->ports[i];
		char one[24];

		if (p->proto != proto)
			continue;
		if (p->lo == 0 && p->hi == 0) /* the whole protocol */
			any = 1;
		else if (p->lo == p->hi)
			snprintf(one, sizeof(one), "%u", p->lo);
		else
			snprintf(one, sizeof(one), "%u-%u", p->lo, p->hi);
		if (!any)
			used += (size_t)snprintf(out + used, len > used ? len - used : 0, "%s%s",
						 n++ ? ", " : "", one);
	}
	if (used >= len)
		return -1;
	if (any) {
		snprintf(out, len, "meta l4proto %s", proto == IPPROTO_TCP ? "tcp" : "udp");
		return 1;
	}
	if (!n)
		return 0;
	{
		char list[1024];

		snprintf(list, sizeof(list), "%s", out);
		if (snprintf(out, len, "%s dport { %s }", proto == IPPROTO_TCP ? "tcp" : "udp",
			     list) >= (int)len)
			return -1;
	}
	return 1;
}

/* The accept rules of one service for a segment: in pass 1 those to named
 * destinations (and the gateway), in pass 2 those to a catch-all (::/0,
 * 0.0.0.0/0), which come after the drop of the claimed destinations. */
static void service_rules(struct fw_out *o, const struct pol_service *sv, const char *gw, int pass)
{
	static const int protos[] = { IPPROTO_TCP, IPPROTO_UDP };
	char ports[1100], net[64];
	size_t t, k;
	int icmp = 0;

	for (k = 0; k < sv->nports; k++)
		icmp |= sv->ports[k].proto == IPPROTO_ICMP;
	for (k = 0; k < 2; k++) {
		if (ports_of(sv, protos[k], ports, sizeof(ports)) <= 0)
			continue;
		if (sv->to_gateway) {
			if (pass == 1)
				fw_put(o, "\t\tip daddr %s %s accept comment \"%s\"\n", gw, ports,
				       sv->name);
			continue;
		}
		for (t = 0; t < sv->nto; t++) {
			if ((sv->to[t].prefix == 0) != (pass == 2))
				continue;
			pol_net_format(&sv->to[t], net, sizeof(net));
			fw_put(o, "\t\t%s daddr %s %s accept comment \"%s\"\n",
			    sv->to[t].family == AF_INET6 ? "ip6" : "ip", net, ports, sv->name);
		}
	}
	for (t = 0; icmp && t < sv->nto; t++) {
		if ((sv->to[t].prefix == 0) != (pass == 2))
			continue;
		pol_net_format(&sv->to[t], net, sizeof(net));
		fw_put(o, "\t\t%s daddr %s meta l4proto %s accept comment \"%s\"\n",
		    sv->to[t].family == AF_INET6 ? "ip6" : "ip", net,
		    sv->to[t].family == AF_INET6 ? "ipv6-icmp" : "icmp", sv->name);
	}
}

/* "elements = { a, b }" of a set, nothing when empty. */
static void elements(struct fw_out *o, const char *const *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fw_put(o, "%s%s", i ? ", " : "\t\telements = { ", v[i]);
	if (n)
		fw_put(o, " }\n");
}

/* { "a", "b" } of the admit links. */
static void admit_set(const struct fw_config *cfg, char *out, size_t len)
{
	size_t i, used = 0;

	used += (size_t)snprintf(out, len, "{");
	for (i = 0; i < cfg->nadmit_links && used < len; i++)
		used += (size_t)snprintf(out + used, len - used, "%s \"%s\"", i ? "," : "",
					 cfg->admit_links[i]);
	if (used < len)
		snprintf(out + used, len - used, " }");
}

/* Everything of the per-device state that reaches the text. */
static int check_state(const struct pol_policy *pol, const struct fw_config *cfg,
		       struct byod_err *err)
{
	struct in_addr a;
	size_t i;

	if (cfg->nadmit_links > 16)
		return byod_err_set(err, EINVAL, "more than 16 admit links");
	for (i = 0; i < cfg->nadmit_links; i++)
		if (!fw_ifname_ok(cfg->admit_links[i]))
			return byod_err_set(err, EINVAL, "'%s' is not an interface name",
					    cfg->admit_links[i]);
	for (i = 0; i < cfg->nadmitted; i++) {
		if (!fw_mac_ok(cfg->admitted[i].mac))
			return byod_err_set(err, EINVAL, "'%s' is not a MAC address",
					    cfg->admitted[i].mac);
		if (pol_segment_find(pol, cfg->admitted[i].segment) < 0)
			return byod_err_set(err, EINVAL, "the policy has no segment '%s'",
					    cfg->admitted[i].segment);
	}
	for (i = 0; i < cfg->nquarantine_macs; i++)
		if (!fw_mac_ok(cfg->quarantine_macs[i]))
			return byod_err_set(err, EINVAL, "'%s' is not a MAC address",
					    cfg->quarantine_macs[i]);
	for (i = 0; i < cfg->nquarantine_ips; i++)
		if (inet_pton(AF_INET, cfg->quarantine_ips[i], &a) != 1)
			return byod_err_set(err, EINVAL, "'%s' is not an IPv4 address",
					    cfg->quarantine_ips[i]);
	return 0;
}

/* One family's claimed destinations for segment seg: the other segments'
 * subnets and every destination a service names (not a catch-all), less
 * those inside another of them; as "ip daddr { ... } drop". */
static void claimed_drop(struct fw_out *o, const struct pol_policy *pol, size_t seg, int family)
{
	const struct pol_net **v;
	size_t n = 0, i, k, t, max = pol->nsegments * 2;
	char net[64];

	for (i = 0; i < pol->nservices; i++)
		max += pol->services[i].nto;
	v = calloc(max ? max : 1, sizeof(*v));
	if (!v) {
		o->oom = 1;
		return;
	}
	for (k = 0; k < pol->nsegments; k++) {
		if (k == seg)
			continue;
		if (pol->segments[k].subnet.family == family)
			v[n++] = &pol->segments[k].subnet;
		if (pol->segments[k].subnet6.family == family)
			v[n++] = &pol->segments[k].subnet6;
	}
	for (i = 0; i < pol->nservices; i++)
		for (t = 0; t < pol->services[i].nto; t++)
			if (pol->services[i].to[t].family == family &&
			    pol->services[i].to[t].prefix > 0 &&
			    !pol_net_contains(&pol->segments[seg].subnet, &pol->services[i].to[t]) &&
			    !(pol->segments[seg].subnet6.family &&
			      pol_net_contains(&pol->segments[seg].subnet6, &pol->services[i].to[t])))
				v[n++] = &pol->services[i].to[t];
	for (i = 0, k = 0; i < n; i++) {
		size_t j;
		int inside = 0;

		/* an anonymous interval set refuses overlaps: keep the outer ones */
		for (j = 0; j < n && !inside; j++)
			inside = j != i && pol_net_contains(v[j], v[i]) &&
				 (!pol_net_contains(v[i], v[j]) || j < i);
		if (inside)
			continue;
		pol_net_format(v[i], net, sizeof(net));
		fw_put(o, "%s%s", k++ ? ", " : family == AF_INET6 ? "\t\tip6 daddr { " :
								      "\t\tip daddr { ", net);
	}
	if (k)
		fw_put(o, " } drop comment \"claimed: other segments, named services\"\n");
	free(v);
}

/* The walled garden's sets: empty here, filled by dnsmasq as it resolves
 * the policy's names; an address is forgotten an hour after it came. */
static void walled_garden_sets(struct fw_out *o)
{
	/* set walled_garden_ip4 { type ipv4_addr; flags timeout; timeout 1h; } */
	fw_put(o, "\t# the walled garden: addresses the gateway's dnsmasq resolved for the\n"
		"\t# policy's walled-garden names (nftset=), each kept an hour\n"
		"\tset " FW_WALLED_GARDEN_SET4 " {\n\t\ttype ipv4_addr\n\t\tflags timeout\n"
		"\t\ttimeout 1h\n\t}\n"
		"\tset " FW_WALLED_GARDEN_SET6 " {\n\t\ttype ipv6_addr\n\t\tflags timeout\n"
		"\t\ttimeout 1h\n\t}\n");
}

/* The registration segment's way to the walled garden: HTTPS and HTTP. */
static void walled_garden_rules(struct fw_out *o, int ipv6)
{
	/* ip daddr @walled_garden_ip4 tcp dport { 80, 443 } accept */
	fw_put(o, "\t\tip daddr @" FW_WALLED_GARDEN_SET4 " tcp dport { 80, 443 } accept "
		"comment \"walled-garden\"\n");
	/* ip6 daddr @walled_garden_ip6 tcp dport { 80, 443 } accept */
	if (ipv6)
		fw_put(o, "\t\tip6 daddr @" FW_WALLED_GARDEN_SET6 " tcp dport { 80, 443 } "
			"accept comment \"walled-garden\"\n");
}

/* Whether segment s allows a service naming the portal's address (not
 * through a catch-all such as 0.0.0.0/0: the portal is named on purpose). */
static int reaches_portal(const struct pol_policy *pol, const struct pol_segment *s,
			  const struct in_addr *portal)
{
	struct pol_net host = { .family = AF_INET, .prefix = 32 };
	size_t k, t;

	memcpy(host.addr, &portal->s_addr, 4);
	for (k = 0; k < s->nallow; k++) {
		const struct pol_service *sv = &pol->services[s->allow[k]];

		for (t = 0; t < sv->nto; t++)
			if (sv->to[t].prefix > 0 && pol_net_contains(&sv->to[t], &host))
				return 1;
	}
	return 0;
}

static int allows(const struct pol_policy *pol, const struct pol_segment *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nallow; i++)
		if (!strcmp(pol->services[s->allow[i]].name, name))
			return 1;
	return 0;
}

int fw_render(const struct pol_policy *pol, const struct fw_config *cfg, char **text,
	      struct byod_err *err)
{
	const char *reg_name = cfg->registration ? cfg->registration : "registration";
	char (*ifn)[512] = calloc(pol->nsegments ? pol->nsegments : 1, sizeof(*ifn));
	struct in_addr portal;
	struct fw_out o = { 0 };
	size_t i, k, reg = pol->nsegments;
	int rc = 0;

	*text = NULL;
	if (!ifn)
		return byod_err_set(err, ENOMEM, "out of memory");
	rc = fw_links_check(pol, cfg, err);
	for (i = 0; !rc && i < pol->nsegments; i++) {
		rc = seg_ifset(&pol->segments[i], cfg, ifn[i], sizeof(ifn[i]), err);
		if (!strcmp(pol->segments[i].name, reg_name))
			reg = i;
	}
	if (rc)
		goto out;
	if (reg == pol->nsegments) {
		rc = byod_err_set(err, EINVAL, "the policy has no '%s' segment", reg_name);
		goto out;
	}
	if (!cfg->portal_addr || !cfg->portal_addr[0]) {
		rc = byod_err_set(err, EINVAL,
				  "no portal address: set firewall.portal-address, or give the "
				  "policy a portal service with an IPv4 address");
		goto out;
	}
	if (inet_pton(AF_INET, cfg->portal_addr, &portal) != 1) {
		rc = byod_err_set(err, EINVAL, "the portal address '%s' is not IPv4",
				  cfg->portal_addr ? cfg->portal_addr : "");
		goto out;
	}

	rc = check_state(pol, cfg, err);
	if (rc)
		goto out;

	/* one transaction: whatever was there (or flushed) is replaced whole */
	fw_put(&o, "# BYOD Gateway ruleset, rendered from the segment policy.\n"
		"add table inet byod\n"
		"delete table inet byod\n"
		"table inet byod {\n");
	fw_put(&o, "\t# revoked or suspended devices, blocked even when the access point\n"
		"\t# ignores a Disconnect\n"
		"\tset quarantine_mac {\n\t\ttype ether_addr\n");
	elements(&o, cfg->quarantine_macs, cfg->nquarantine_macs);
	fw_put(&o, "\t}\n\tset quarantine_ip4 {\n\t\ttype ipv4_addr\n");
	elements(&o, cfg->quarantine_ips, cfg->nquarantine_ips);
	fw_put(&o, "\t}\n");
	/* map admitted { type ether_addr : verdict; elements = { MAC : jump seg_X } } */
	fw_put(&o, "\t# stations admitted on links that cannot enforce a VLAN per station:\n"
		"\t# device MAC -> its segment, kept by byod-gatewayd\n"
		"\tmap admitted {\n\t\ttype ether_addr : verdict\n");
	for (i = 0; i < cfg->nadmitted; i++)
		fw_put(&o, "%s%s : jump seg_%s", i ? ", " : "\t\telements = { ",
		       cfg->admitted[i].mac, cfg->admitted[i].segment);
	fw_put(&o, "%s\t}\n", cfg->nadmitted ? " }\n" : "");
	if (pol->nwalled_garden)
		walled_garden_sets(&o);
	for (i = 0; i < pol->nsegments; i++)
		fw_put(&o, "\tcounter seg_%s {\n\t}\n", pol->segments[i].name);

	/* the walled garden: plain HTTP to anywhere lands on the portal, but
	 * for the addresses of the walled-garden names */
	fw_put(&o, "\tchain prerouting {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n");
	/* iifname "eth0.10" ip daddr @walled_garden_ip4 tcp dport 80 accept */
	if (pol->nwalled_garden)
		fw_put(&o, "\t\tiifname %s ip daddr @" FW_WALLED_GARDEN_SET4 " tcp dport 80 accept "
			"comment \"walled-garden\"\n", ifn[reg]);
	fw_put(&o, "\t\tiifname %s tcp dport 80 ip daddr != %s dnat ip to %s:%d\n\t}\n",
	    ifn[reg], cfg->portal_addr, cfg->portal_addr, cfg->portal_http_port);

	fw_put(&o, "\tchain forward {\n\t\ttype filter hook forward priority filter; policy drop;\n"
		"\t\tether saddr @quarantine_mac counter drop\n"
		"\t\tip saddr @quarantine_ip4 counter drop\n"
		"\t\tct state invalid drop\n");
	if (cfg->nadmit_links) {
		char set[600];

		admit_set(cfg, set, sizeof(set));
		/* iifname { "port1" } ether saddr vmap @admitted */
		fw_put(&o, "\t\tiifname %s ether saddr vmap @admitted\n"
			"\t\tiifname %s counter drop comment \"not admitted\"\n", set, set);
	}
	fw_put(&o, "\t\tct state established,related accept\n"
		"\t\tiifname vmap {");
	ifmap(&o, pol, cfg, "seg_");
	fw_put(&o, " }\n\t}\n");

	/* the gateway itself: DHCP, DNS, and the portal from the walled garden */
	fw_put(&o, "\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n"
		"\t\tiifname vmap {");
	ifmap(&o, pol, cfg, "in_");
	fw_put(&o, " }\n\t}\n");

	for (i = 0; i < pol->nsegments; i++) {
		const struct pol_segment *s = &pol->segments[i];
		char net[64], net6[64] = "", gw[32];

		pol_net_format(&s->subnet, net, sizeof(net));
		if (s->subnet6.family)
			pol_net_format(&s->subnet6, net6, sizeof(net6));
		gateway_of(&s->subnet, gw, sizeof(gw));

		fw_put(&o, "\tchain in_%s {\n\t\tct state established,related accept\n", s->name);
		fw_put(&o, "\t\tether saddr @quarantine_mac drop\n");
		if (allows(pol, s, "dhcp"))
			fw_put(&o, "\t\tudp dport 67 accept comment \"dhcp\"\n");
		if (allows(pol, s, "dns"))
			fw_put(&o, "\t\tmeta l4proto { tcp, udp } th dport 53 accept comment \"dns\"\n");
		/* the portal on the gateway: from the walled garden, and from
		 * every segment whose services name its address */
		if (i == reg || reaches_portal(pol, s, &portal)) {
			if (cfg->portal_https_port > 0)
				fw_put(&o, "\t\tip daddr %s tcp dport { %d, %d } accept comment "
					   "\"portal\"\n",
				       cfg->portal_addr, cfg->portal_http_port,
				       cfg->portal_https_port);
			else
				fw_put(&o, "\t\tip daddr %s tcp dport %d accept comment \"portal\"\n",
				       cfg->portal_addr, cfg->portal_http_port);
		}
		fw_put(&o, "\t\tdrop\n\t}\n");

		fw_put(&o, "\tchain seg_%s {\n", s->name);
		fw_put(&o, "\t\tmeta nfproto ipv4 ip saddr != %s counter drop comment \"spoofed\"\n",
		    net);
		if (net6[0])
			fw_put(&o, "\t\tmeta nfproto ipv6 ip6 saddr != %s counter drop comment "
				"\"spoofed\"\n",
			    net6);
		else
			fw_put(&o, "\t\tmeta nfproto ipv6 drop\n");
		fw_put(&o, "\t\tcounter name seg_%s\n", s->name);
		if (s->isolate_clients)
			fw_put(&o, "\t\toifname %s drop comment \"isolate-clients\"\n", ifn[i]);
		/* the destinations named on purpose first; then everything the
		 * policy claims (the other segments, every address a service
		 * names) is dropped; then the catch-alls: a "web" to 0.0.0.0/0
		 * reaches the internet, not the printers nor another segment */
		for (k = 0; k < s->nallow; k++) {
			const struct pol_service *sv = &pol->services[s->allow[k]];

			if (!sv->builtin)
				service_rules(&o, sv, gw, 1);
		}
		claimed_drop(&o, pol, i, AF_INET);
		if (net6[0])
			claimed_drop(&o, pol, i, AF_INET6);
		/* after the claimed drop: a name that resolves to the printer
		 * opens nothing */
		if (i == reg && pol->nwalled_garden)
			walled_garden_rules(&o, net6[0] != '\0');
		for (k = 0; k < s->nallow; k++) {
			const struct pol_service *sv = &pol->services[s->allow[k]];

			if (!sv->builtin)
				service_rules(&o, sv, gw, 2);
		}
		fw_put(&o, "\t\tdrop\n\t}\n");
	}
	fw_put(&o, "}\n");
	if (o.oom) {
		rc = byod_err_set(err, ENOMEM, "out of memory");
		goto out;
	}
	*text = byod_buf_take(&o.b, NULL);
	if (!*text)
		rc = byod_err_set(err, ENOMEM, "out of memory");
out:
	byod_buf_free(&o.b);
	free(ifn);
	return rc;
}
