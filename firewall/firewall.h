/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The gateway's nftables ruleset, rendered from the compiled segment
 * policy: one table owned by the gateway (inet byod), a chain per segment
 * allowing exactly its services, everything else between segments dropped,
 * the registration segment reaching only DNS, DHCP, the portal (its plain
 * HTTP redirected there by DNAT) and the walled garden's addresses,
 * source-address checks against each segment's subnet, a counter per
 * segment, and the per-device state in sets (quarantine) rather than rules. The text is nft's own syntax, so
 * every rule the renderer writes is the nft line an administrator reads
 * with `byodctl firewall show`; it is applied as one transaction through
 * libnftables (never by running the nft program).
 */
#ifndef BYOD_FIREWALL_H
#define BYOD_FIREWALL_H

#include <stddef.h>
#include <stdint.h>

#include "byod_err.h"
#include "policy.h"

/* The table the gateway owns, and the walled garden's sets in it: the
 * gateway's dnsmasq fills them (nftset=, firewall/dnsmasq_conf.c) with the
 * addresses it resolves for the policy's walled-garden names, and the
 * registration segment reaches those on tcp/80 and tcp/443. */
#define FW_TABLE_FAMILY "inet"
#define FW_TABLE_NAME "byod"
#define FW_WALLED_GARDEN_SET4 "walled_garden_ip4"
#define FW_WALLED_GARDEN_SET6 "walled_garden_ip6"

/* Where a segment's devices arrive: an interface of the gateway. */
struct fw_link {
	const char *segment;
	const char *ifname;
};

/* A device admitted on an admit-link: its MAC and the segment it is in. */
struct fw_admitted {
	const char *mac;     /* "aa:bb:cc:dd:ee:ff" */
	const char *segment; /* a segment of the policy */
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
	int portal_https_port;       /* where the portal's redirects send devices; 0: none */
	/* links whose authenticator cannot put a station in a VLAN (hostapd's
	 * wired driver): only MACs of the admitted map pass there, each into
	 * its own segment's chain */
	const char *const *admit_links;
	size_t nadmit_links;
	/* the per-device state, written with the ruleset so that a re-render
	 * keeps it in the same transaction */
	const struct fw_admitted *admitted;
	size_t nadmitted;
	const char *const *quarantine_macs;
	size_t nquarantine_macs;
	const char *const *quarantine_ips;
	size_t nquarantine_ips;
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

/* A MAC as the registry writes it ("aa:bb:cc:dd:ee:ff"); an interface
 * name nft reads as one (1 to 15 of [A-Za-z0-9._-]); a segment name. */
int fw_mac_ok(const char *mac);
int fw_ifname_ok(const char *s);
int fw_segment_name_ok(const char *s);
/* A segment's gateway address: the first host of its IPv4 subnet (host
 * bits of the subnet ignored); -EINVAL when it has none (IPv6, or /31, /32). */
int fw_segment_gateway(const struct pol_net *subnet, uint8_t out[4]);

/*
 * Changes to the per-device state between two renders, applied as one
 * transaction (sets.c). The caller knows what the sets hold (deleting an
 * element that is not there fails the whole batch). The add/delete
 * functions return -EINVAL for a malformed MAC, address or segment name.
 */
struct fw_batch;
struct fw_batch *fw_batch_new(void);
void fw_batch_free(struct fw_batch *b);
int fw_batch_admit(struct fw_batch *b, const char *mac, const char *segment);
int fw_batch_evict(struct fw_batch *b, const char *mac);
int fw_batch_quarantine(struct fw_batch *b, const char *mac, int on);
int fw_batch_quarantine_ip(struct fw_batch *b, const char *ip, int on);
/* The commands so far (NULL when out of memory), and how many. */
const char *fw_batch_text(const struct fw_batch *b);
size_t fw_batch_size(const struct fw_batch *b);
/* Runs them through libnftables (nothing to do: 0). */
int fw_batch_apply(struct fw_batch *b, struct byod_err *err);

#endif /* BYOD_FIREWALL_H */
