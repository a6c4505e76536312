/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The gateway's links, through rtnetlink (libnl-route): the interface of
 * each segment of the policy and its gateway address, made ready
 * ("apply") and read back ("state"). In vlan mode the gateway owns the
 * sub-interfaces <uplink>.<vlan>: it creates them, brings them up and
 * gives them the segment's gateway address. In existing mode (a segment
 * named in fw_config.links) the administrator owns the interface: it is
 * only checked and brought up, never created, deleted or addressed.
 *
 * The netlink messages are built by functions of their own, apart from
 * sending them, so that they can be checked without a kernel.
 */
#ifndef BYOD_FW_LINKS_H
#define BYOD_FW_LINKS_H

#include <stddef.h>
#include <stdint.h>

#include "byod_err.h"
#include "firewall.h"
#include "policy.h"

struct nl_msg; /* libnl's; callers that read one include <netlink/msg.h> */

/* One segment's interface and gateway, as the ruleset names them. */
struct fw_link_spec {
	const char *segment; /* points into the policy */
	int vlan;
	int existing;	       /* named in fw_config.links: the administrator's */
	char ifname[16];       /* at most 15 characters (IFNAMSIZ - 1) */
	uint8_t gateway[4];    /* the first host of the segment's subnet */
	int prefixlen;	       /* the subnet's */
	char gateway_text[20]; /* "10.20.0.1/16" */
};

/*
 * The interface of segment s (the fw_config.links entry naming it, else
 * "<uplink>.<vlan>", the rule render.c follows) and its gateway address.
 * -EINVAL with err when there is no interface for it, the name is longer
 * than 15 characters or not an interface name, or the subnet has no host
 * for a gateway.
 */
int fw_link_spec_of(const struct pol_segment *s, const struct fw_config *cfg,
		    struct fw_link_spec *out, struct byod_err *err);

/*
 * The RTM_NEWLINK request creating vlan sub-interface name (vid on
 * uplink_ifindex), NLM_F_CREATE | NLM_F_EXCL. 0 and *out (the caller
 * frees it with nlmsg_free), -EINVAL with err for a bad name, vid or
 * ifindex, -ENOMEM.
 */
int fw_links_vlan_msg(int uplink_ifindex, const char *name, int vid, struct nl_msg **out,
		      struct byod_err *err);

/* The RTM_NEWLINK request setting IFF_UP on ifindex (no CREATE: it only
 * changes an existing link). *out as above. */
int fw_links_up_msg(int ifindex, struct nl_msg **out, struct byod_err *err);

/* The RTM_NEWADDR request adding addr/prefixlen (IPv4) to ifindex,
 * NLM_F_CREATE | NLM_F_EXCL. *out as above. */
int fw_links_addr_msg(int ifindex, const uint8_t addr[4], int prefixlen, struct nl_msg **out,
		      struct byod_err *err);

enum fw_links_note_kind {
	FW_LINKS_DID,  /* a change made: "created eth0.20 (vlan 20 on eth0)" */
	FW_LINKS_OK,   /* found as it should be */
	FW_LINKS_WARN, /* left alone but worth reading: "veth-pup has no 10.20.0.1/16" */
};
/* One line of what fw_links_apply did, for segment (NULL: the uplink). */
typedef void (*fw_links_note_cb)(void *arg, enum fw_links_note_kind kind, const char *segment,
				 const char *text);

/*
 * Makes every segment's interface ready in the current network namespace.
 * Everything is checked before anything changes: an existing-mode
 * interface that does not exist (every missing one is named in err:
 * "segment pupils: interface veth-pup does not exist"), a missing uplink,
 * a link named <uplink>.<vlan> that is not that vlan, all give -ENODEV or
 * -EEXIST without a change. Then vlan sub-interfaces are created, brought
 * up and given their gateway address; existing ones are brought up when
 * down, and a missing gateway address is only a warning. note (may be
 * NULL) hears each step. A negative errno with err (libnl's own text in
 * it) on failure; a kernel without 802.1Q support gives -EOPNOTSUPP and
 * says so.
 */
int fw_links_apply(const struct pol_policy *pol, const struct fw_config *cfg, fw_links_note_cb note,
		   void *arg, struct byod_err *err);

#define FW_LINK_ADDRS_MAX 8

/* What the kernel says of one segment's interface. */
struct fw_link_state {
	struct fw_link_spec spec;
	int exists;
	int ifindex;			   /* 0 when it does not exist */
	int admin_up;			   /* IFF_UP */
	int oper_up;			   /* operstate up (or unknown with a carrier) */
	char operstate[20];		   /* "up", "down", "lowerlayerdown", ... */
	char mac[18];			   /* "" when none */
	char addrs[FW_LINK_ADDRS_MAX][20]; /* IPv4, "10.20.0.1/16" */
	size_t naddrs;
	int has_gateway; /* the segment's gateway address is among them */
	uint64_t rx_packets, rx_bytes, rx_dropped;
	uint64_t tx_packets, tx_bytes, tx_dropped;
};
/* Called once per segment, in policy order; a non-zero return stops the
 * walk and is returned by fw_links_state. */
typedef int (*fw_link_state_cb)(void *arg, const struct fw_link_state *st);

/*
 * Reads the state of every segment's interface from the current network
 * namespace (one dump of links and one of addresses). 0, the callback's
 * non-zero return, or a negative errno with err.
 */
int fw_links_state(const struct pol_policy *pol, const struct fw_config *cfg, fw_link_state_cb cb,
		   void *arg, struct byod_err *err);

#endif /* BYOD_FW_LINKS_H */
