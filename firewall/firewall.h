/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The gateway's nftables ruleset, rendered from the compiled segment
 * policy: one table owned by the gateway (inet byod), a chain per segment
 * allowing exactly its services, everything else between segments dropped,
 * the registration segment reaching only DNS, DHCP and the portal with its
 * plain HTTP redirected (DNAT) to the portal, source-address checks against
 * each segment's subnet, a counter per segment, and the per-device state in
 * sets (quarantine) rather than rules. The text is nft's own syntax, so
 * every rule the renderer writes is the nft line an administrator reads
 * with `byodctl firewall show`; it is applied as one transaction through
 * libnftables (never by running the nft program).
 */
#ifndef BYOD_FIREWALL_H
#define BYOD_FIREWALL_H

#include <stddef.h>

#include "byod_err.h"
#include "policy.h"

/* Where a segment's devices arrive: an interface of the gateway. */
struct fw_link {
	const char *segment;
	const char *ifname;
};

struct fw_config {
	/* "existing" mode: the interface of each segment, named here; a
	 * segment without one gets "<uplink>.<vlan>" ("vlan" mode). */
	const struct fw_link *links;
	size_t nlinks;
	const char *uplink;          /* e.g. "eth0" */
	const char *registration;    /* the walled-garden segment; NULL: "registration" */
	const char *portal_addr;     /* IPv4 address of the portal */
	int portal_http_port;        /* registration HTTP is redirected there */
};

/*
 * Renders the whole ruleset (replacing any earlier inet byod table in the
 * same transaction) into *text (malloc'd). -EINVAL with err for a
 * configuration that cannot be rendered (an interface name too long or
 * with odd characters, a portal address that is not IPv4, no registration
 * segment in the policy), -ENOMEM.
 */
int fw_render(const struct pol_policy *pol, const struct fw_config *cfg, char **text,
	      struct byod_err *err);

/*
 * Runs text through libnftables: dry_run 1 only checks it (parse and
 * evaluation), 0 applies it to the current network namespace as one
 * transaction. -EINVAL with nft's own messages in err when refused.
 */
int fw_nft_run(const char *text, int dry_run, struct byod_err *err);

#endif /* BYOD_FIREWALL_H */
