/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The gateway's dnsmasq configuration, from the segment policy and the
 * firewall's view of the links: DHCP on each segment's interface (a range
 * of its subnet, the segment's gateway as router and DNS server), the
 * RFC 8910 captive-portal option (114, the RFC 8908 API's URL) on the
 * registration segment only, the portal's host names answered with its
 * address, and DNS that puts the addresses of the policy's walled-garden
 * names into the firewall's walled_garden sets (nftset=), which the
 * registration segment reaches.
 */
#ifndef BYOD_DNSMASQ_CONF_H
#define BYOD_DNSMASQ_CONF_H

#include <stddef.h>

#include "byod_err.h"
#include "firewall.h"
#include "policy.h"

struct fw_dnsmasq {
	/* the segments' interfaces, the registration segment and the portal's
	 * address, exactly as the ruleset takes them */
	const struct fw_config *fw;
	/* RFC 8908 API URL announced in option 114 on the registration
	 * segment ("http://portal.byod.lan:8080/api/captive"); NULL or "":
	 * no option 114 */
	const char *api_url;
	/* host names answered with fw->portal_addr ("portal.byod.lan") */
	const char *const *portal_names;
	size_t nportal_names;
};

/*
 * Writes the configuration into *conf (malloc'd, the caller frees it).
 * Every value reaching the file is a number or address formatted here, a
 * segment or interface name, a host name checked by pol_host_parse, or the
 * API URL checked against the characters of RFC 3986 (no quote, backslash,
 * comma or space), so nothing can end a line or an option early. -EINVAL
 * with err for an interface name, a portal name or address, or an API URL
 * that cannot be written, or a walled garden the registration segment
 * cannot use (its DNS is not the gateway's); -ENOMEM.
 */
int fw_dnsmasq_config(const struct pol_policy *pol, const struct fw_dnsmasq *d, char **conf,
		      struct byod_err *err);

#endif /* BYOD_DNSMASQ_CONF_H */
