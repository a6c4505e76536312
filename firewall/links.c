// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The segments' interfaces through rtnetlink with libnl-route: which one
 * each segment uses and its gateway address (the same rule as render.c),
 * the messages that create a vlan sub-interface, bring a link up and add
 * an address (built apart from sending, for the unit tests), the apply
 * that checks everything before changing anything, and the state reader
 * (flags, operstate, MAC, IPv4 addresses, counters) for byodctl.
 */
#define _GNU_SOURCE
#include "links.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/vlan.h>

/* libnl's error codes back to errno for the caller's return value; the
 * text for a person is nl_geterror()'s. */
static int nl_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case NLE_NOMEM:
		return ENOMEM;
	case NLE_EXIST:
		return EEXIST;
	case NLE_OPNOTSUPP:
		return EOPNOTSUPP;
	case NLE_PERM:
	case NLE_NOACCESS:
		return EPERM;
	case NLE_NODEV:
	case NLE_OBJ_NOTFOUND:
		return ENODEV;
	case NLE_INVAL:
		return EINVAL;
	case NLE_RANGE:
		return ERANGE;
	case NLE_BUSY:
		return EBUSY;
	case NLE_AGAIN:
		return EAGAIN;
	case NLE_NOADDR:
		return EADDRNOTAVAIL;
	default:
		return EIO;
	}
}

int fw_segment_gateway(const struct pol_net *subnet, uint8_t out[4])
{
	uint32_t net, mask;

	if (subnet->family != AF_INET || subnet->prefix > 30)
		return -EINVAL;
	memcpy(&net, subnet->addr, 4);
	mask = subnet->prefix ? 0xffffffffu << (32 - subnet->prefix) : 0;
	net = htonl((ntohl(net) & mask) + 1);
	memcpy(out, &net, 4);
	return 0;
}

int fw_link_spec_of(const struct pol_segment *s, const struct fw_config *cfg,
		    struct fw_link_spec *out, struct byod_err *err)
{
	const char *named = NULL;
	char a[INET_ADDRSTRLEN];
	size_t i;
	int n;

	memset(out, 0, sizeof(*out));
	out->segment = s->name;
	out->vlan = s->vlan;
	for (i = 0; i < cfg->nlinks; i++)
		if (!strcmp(cfg->links[i].segment, s->name))
			named = cfg->links[i].ifname;
	if (named) {
		out->existing = 1;
		n = snprintf(out->ifname, sizeof(out->ifname), "%s", named);
	} else if (cfg->uplink && cfg->uplink[0]) {
		n = snprintf(out->ifname, sizeof(out->ifname), "%s.%d", cfg->uplink, s->vlan);
		if (n >= (int)sizeof(out->ifname))
			return byod_err_set(
				err, EINVAL,
				"segment %s: %s.%d is longer than 15 characters, the "
				"kernel's limit for an interface name (shorten firewall.uplink)",
				s->name, cfg->uplink, s->vlan);
	} else {
		return byod_err_set(err, EINVAL, "no interface for segment %s (and no uplink)",
				    s->name);
	}
	if (n >= (int)sizeof(out->ifname))
		return byod_err_set(err, EINVAL,
				    "segment %s: interface name %s is longer than 15 characters",
				    s->name, named);
	if (!fw_ifname_ok(out->ifname))
		return byod_err_set(err, EINVAL, "segment %s: '%s' is not an interface name",
				    s->name, out->ifname);

	if (fw_segment_gateway(&s->subnet, out->gateway))
		return byod_err_set(err, EINVAL, "segment %s: its subnet has no host for a gateway",
				    s->name);
	out->prefixlen = s->subnet.prefix;
	inet_ntop(AF_INET, out->gateway, a, sizeof(a));
	n = snprintf(out->gateway_text, sizeof(out->gateway_text), "%s/%d", a, out->prefixlen);
	if (n >= (int)sizeof(out->gateway_text))
		return byod_err_set(err, EINVAL, "segment %s: bad gateway address", s->name);
	return 0;
}

/* ---- the messages ---- */

int fw_links_vlan_msg(int uplink_ifindex, const char *name, int vid, struct nl_msg **out,
		      struct byod_err *err)
{
	struct rtnl_link *link = NULL;
	int rc;

	*out = NULL;
	if (uplink_ifindex <= 0)
		return byod_err_set(err, EINVAL, "no uplink interface index for %s",
				    name ? name : "");
	if (!fw_ifname_ok(name))
		return byod_err_set(err, EINVAL,
				    "'%s' is not an interface name (1 to 15 of [A-Za-z0-9._-])",
				    name ? name : "");
	if (vid < 1 || vid > 4094)
		return byod_err_set(err, EINVAL, "%s: VLAN %d is not in 1..4094", name, vid);
	link = rtnl_link_vlan_alloc();
	if (!link)
		return byod_err_set(err, ENOMEM, "out of memory");
	rtnl_link_set_name(link, name);
	rtnl_link_set_link(link, uplink_ifindex);
	rc = rtnl_link_vlan_set_id(link, (uint16_t)vid);
	if (!rc)
		rc = rtnl_link_build_add_request(link, NLM_F_CREATE | NLM_F_EXCL, out);
	if (rc)
		rc = byod_err_set(err, nl_errno(rc), "building the request for %s: %s", name,
				  nl_geterror(rc));
	rtnl_link_put(link);
	return rc;
}

int fw_links_up_msg(int ifindex, struct nl_msg **out, struct byod_err *err)
{
	struct rtnl_link *link;
	int rc;

	*out = NULL;
	if (ifindex <= 0)
		return byod_err_set(err, EINVAL, "no interface index %d", ifindex);
	link = rtnl_link_alloc();
	if (!link)
		return byod_err_set(err, ENOMEM, "out of memory");
	rtnl_link_set_ifindex(link, ifindex);
	rtnl_link_set_flags(link, IFF_UP); /* ifi_flags and ifi_change: IFF_UP only */
	rc = rtnl_link_build_add_request(link, 0, out);
	if (rc)
		rc = byod_err_set(err, nl_errno(rc), "building the request for interface %d: %s",
				  ifindex, nl_geterror(rc));
	rtnl_link_put(link);
	return rc;
}

int fw_links_addr_msg(int ifindex, const uint8_t addr[4], int prefixlen, struct nl_msg **out,
		      struct byod_err *err)
{
	struct rtnl_addr *a = NULL;
	struct nl_addr *local = NULL;
	int rc;

	*out = NULL;
	if (ifindex <= 0)
		return byod_err_set(err, EINVAL, "no interface index %d", ifindex);
	if (prefixlen < 1 || prefixlen > 32)
		return byod_err_set(err, EINVAL, "prefix length %d is not in 1..32", prefixlen);
	a = rtnl_addr_alloc();
	local = nl_addr_build(AF_INET, addr, 4);
	if (!a || !local) {
		rc = byod_err_set(err, ENOMEM, "out of memory");
		goto out;
	}
	nl_addr_set_prefixlen(local, prefixlen);
	rtnl_addr_set_ifindex(a, ifindex);
	rc = rtnl_addr_set_local(a, local);
	if (!rc) {
		rtnl_addr_set_prefixlen(a, prefixlen);
		rc = rtnl_addr_build_add_request(a, NLM_F_CREATE | NLM_F_EXCL, out);
	}
	if (rc)
		rc = byod_err_set(err, nl_errno(rc), "building the address request: %s",
				  nl_geterror(rc));
out:
	nl_addr_put(local);
	rtnl_addr_put(a);
	return rc;
}

/* ---- talking to the kernel ---- */

static int sock_open(struct nl_sock **out, struct byod_err *err)
{
	struct nl_sock *sk = nl_socket_alloc();
	int rc;

	*out = NULL;
	if (!sk)
		return byod_err_set(err, ENOMEM, "out of memory");
	rc = nl_connect(sk, NETLINK_ROUTE);
	if (rc) {
		nl_socket_free(sk);
		return byod_err_set(err, nl_errno(rc), "rtnetlink: %s", nl_geterror(rc));
	}
	*out = sk;
	return 0;
}

/* The link named name (a reference the caller puts), or NULL when there is
 * none; a negative libnl error when the question failed. */
static int link_get(struct nl_sock *sk, const char *name, struct rtnl_link **out)
{
	int rc = rtnl_link_get_kernel(sk, 0, name, out);

	if (rc == -NLE_OBJ_NOTFOUND || rc == -NLE_NODEV) {
		*out = NULL;
		return 0;
	}
	return rc;
}

/* The prefix length of addr on ifindex in the address cache, or -1. */
static int addr_prefix(struct nl_cache *addrs, int ifindex, const uint8_t addr[4])
{
	struct nl_object *o;

	for (o = nl_cache_get_first(addrs); o; o = nl_cache_get_next(o)) {
		struct rtnl_addr *a = (struct rtnl_addr *)o;
		struct nl_addr *l = rtnl_addr_get_local(a);

		if (rtnl_addr_get_ifindex(a) == ifindex && rtnl_addr_get_family(a) == AF_INET &&
		    l && nl_addr_get_len(l) == 4 && !memcmp(nl_addr_get_binary_addr(l), addr, 4))
			return rtnl_addr_get_prefixlen(a);
	}
	return -1;
}

struct run {
	struct nl_sock *sk;
	fw_links_note_cb note;
	void *arg;
};

static void notef(struct run *r, enum fw_links_note_kind kind, const char *segment, const char *fmt,
		  ...) __attribute__((format(printf, 4, 5)));
static void notef(struct run *r, enum fw_links_note_kind kind, const char *segment, const char *fmt,
		  ...)
{
	char text[256];
	va_list ap;

	if (!r->note)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	r->note(r->arg, kind, segment, text);
}

/* Sends msg (freed here) and waits for the kernel's answer. */
static int send_msg(struct run *r, struct nl_msg *msg)
{
	return nl_send_sync(r->sk, msg);
}

/* Appends "; what" (or "what") to buf, keeping it terminated. */
static void append(char *buf, size_t len, const char *what)
{
	size_t used = strlen(buf);

	if (used < len)
		snprintf(buf + used, len - used, "%s%s", used ? "; " : "", what);
}

/* One segment, after the checks: create (vlan), bring up, address. */
static int apply_one(struct run *r, const struct fw_link_spec *sp, struct rtnl_link **linkp,
		     int uplink_ifindex, const char *uplink, struct nl_cache *addrs,
		     struct byod_err *err)
{
	struct nl_msg *msg = NULL;
	int rc, ifindex, have;

	if (!*linkp) {
		/* vlan mode, not there yet (the checks refused a missing existing one) */
		rc = fw_links_vlan_msg(uplink_ifindex, sp->ifname, sp->vlan, &msg, err);
		if (rc)
			return rc;
		rc = send_msg(r, msg);
		if (rc == -NLE_OPNOTSUPP)
			return byod_err_set(
				err, EOPNOTSUPP,
				"cannot create %s (vlan %d on %s): %s; this kernel has no "
				"VLAN support (802.1Q), use firewall.mode existing",
				sp->ifname, sp->vlan, uplink, nl_geterror(rc));
		if (rc)
			return byod_err_set(err, nl_errno(rc),
					    "cannot create %s (vlan %d on %s): %s", sp->ifname,
					    sp->vlan, uplink, nl_geterror(rc));
		notef(r, FW_LINKS_DID, sp->segment, "created %s (vlan %d on %s)", sp->ifname,
		      sp->vlan, uplink);
		rc = link_get(r->sk, sp->ifname, linkp);
		if (!rc && !*linkp)
			rc = -NLE_OBJ_NOTFOUND;
		if (rc)
			return byod_err_set(err, nl_errno(rc), "reading %s back: %s", sp->ifname,
					    nl_geterror(rc));
	}
	ifindex = rtnl_link_get_ifindex(*linkp);
	if (rtnl_link_get_flags(*linkp) & IFF_UP) {
		notef(r, FW_LINKS_OK, sp->segment, "%s is up", sp->ifname);
	} else {
		rc = fw_links_up_msg(ifindex, &msg, err);
		if (rc)
			return rc;
		rc = send_msg(r, msg);
		if (rc)
			return byod_err_set(err, nl_errno(rc), "segment %s: cannot bring %s up: %s",
					    sp->segment, sp->ifname, nl_geterror(rc));
		notef(r, FW_LINKS_DID, sp->segment, "brought %s up", sp->ifname);
	}

	have = addr_prefix(addrs, ifindex, sp->gateway);
	if (have == sp->prefixlen) {
		notef(r, FW_LINKS_OK, sp->segment, "%s has %s", sp->ifname, sp->gateway_text);
	} else if (have >= 0) {
		/* someone chose another prefix: theirs to fix, not ours to replace */
		notef(r, FW_LINKS_WARN, sp->segment,
		      "%s has the gateway address with /%d, the "
		      "segment's subnet is /%d",
		      sp->ifname, have, sp->prefixlen);
	} else if (sp->existing) {
		notef(r, FW_LINKS_WARN, sp->segment,
		      "%s has no gateway address %s (existing mode: "
		      "the administrator adds it)",
		      sp->ifname, sp->gateway_text);
	} else {
		rc = fw_links_addr_msg(ifindex, sp->gateway, sp->prefixlen, &msg, err);
		if (rc)
			return rc;
		rc = send_msg(r, msg);
		if (rc)
			return byod_err_set(err, nl_errno(rc),
					    "segment %s: cannot add %s to %s: %s", sp->segment,
					    sp->gateway_text, sp->ifname, nl_geterror(rc));
		notef(r, FW_LINKS_DID, sp->segment, "added %s to %s", sp->gateway_text, sp->ifname);
	}
	return 0;
}

int fw_links_apply(const struct pol_policy *pol, const struct fw_config *cfg, fw_links_note_cb note,
		   void *arg, struct byod_err *err)
{
	size_t n = pol->nsegments, i;
	struct fw_link_spec *sp = calloc(n ? n : 1, sizeof(*sp));
	struct rtnl_link **links = calloc(n ? n : 1, sizeof(*links));
	struct rtnl_link *up = NULL;
	struct nl_cache *addrs = NULL;
	struct run r = {.note = note, .arg = arg};
	char missing[sizeof(err->msg)] = "", one[160];
	int rc = 0, uplink_ifindex = 0, need_uplink = 0;

	if (!sp || !links) {
		rc = byod_err_set(err, ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; !rc && i < n; i++) {
		rc = fw_link_spec_of(&pol->segments[i], cfg, &sp[i], err);
		need_uplink |= !sp[i].existing;
	}
	if (rc)
		goto out;
	rc = sock_open(&r.sk, err);
	if (rc)
		goto out;

	/* every check first: a failure changes nothing */
	if (need_uplink) {
		rc = link_get(r.sk, cfg->uplink, &up);
		if (rc) {
			rc = byod_err_set(err, nl_errno(rc), "reading %s: %s", cfg->uplink,
					  nl_geterror(rc));
			goto out;
		}
		if (!up) {
			snprintf(one, sizeof(one), "uplink %s does not exist (firewall.uplink)",
				 cfg->uplink);
			append(missing, sizeof(missing), one);
		} else {
			uplink_ifindex = rtnl_link_get_ifindex(up);
			if (!(rtnl_link_get_flags(up) & IFF_UP))
				notef(&r, FW_LINKS_WARN, NULL, "uplink %s is down", cfg->uplink);
		}
	}
	for (i = 0; i < n; i++) {
		rc = link_get(r.sk, sp[i].ifname, &links[i]);
		if (rc) {
			rc = byod_err_set(err, nl_errno(rc), "segment %s: reading %s: %s",
					  sp[i].segment, sp[i].ifname, nl_geterror(rc));
			goto out;
		}
		if (!links[i] && sp[i].existing) {
			snprintf(one, sizeof(one), "segment %s: interface %s does not exist",
				 sp[i].segment, sp[i].ifname);
			append(missing, sizeof(missing), one);
		} else if (links[i] && !sp[i].existing &&
			   (!rtnl_link_is_vlan(links[i]) ||
			    rtnl_link_vlan_get_id(links[i]) != sp[i].vlan ||
			    rtnl_link_get_link(links[i]) != uplink_ifindex)) {
			rc = byod_err_set(err, EEXIST,
					  "segment %s: %s exists but is not vlan %d on %s",
					  sp[i].segment, sp[i].ifname, sp[i].vlan, cfg->uplink);
			goto out;
		}
	}
	if (missing[0]) {
		rc = byod_err_set(err, ENODEV, "%s", missing);
		goto out;
	}
	rc = rtnl_addr_alloc_cache(r.sk, &addrs);
	if (rc) {
		rc = byod_err_set(err, nl_errno(rc), "reading the addresses: %s", nl_geterror(rc));
		goto out;
	}
	for (i = 0; !rc && i < n; i++)
		rc = apply_one(&r, &sp[i], &links[i], uplink_ifindex, cfg->uplink, addrs, err);
out:
	for (i = 0; links && i < n; i++)
		if (links[i])
			rtnl_link_put(links[i]);
	if (up)
		rtnl_link_put(up);
	if (addrs)
		nl_cache_free(addrs);
	if (r.sk)
		nl_socket_free(r.sk);
	free(links);
	free(sp);
	return rc;
}

/* ---- the state ---- */

static void state_of(struct fw_link_state *st, struct rtnl_link *link, struct nl_cache *addrs)
{
	struct nl_addr *ll = rtnl_link_get_addr(link);
	unsigned int flags = rtnl_link_get_flags(link);
	uint8_t op = rtnl_link_get_operstate(link);
	struct nl_object *o;

	st->exists = 1;
	st->ifindex = rtnl_link_get_ifindex(link);
	st->admin_up = !!(flags & IFF_UP);
	st->oper_up = op == IF_OPER_UP || (op == IF_OPER_UNKNOWN && (flags & IFF_LOWER_UP));
	rtnl_link_operstate2str(op, st->operstate, sizeof(st->operstate));
	if (ll && nl_addr_get_len(ll) == 6) {
		const uint8_t *m = nl_addr_get_binary_addr(ll);

		snprintf(st->mac, sizeof(st->mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1],
			 m[2], m[3], m[4], m[5]);
	}
	st->rx_packets = rtnl_link_get_stat(link, RTNL_LINK_RX_PACKETS);
	st->rx_bytes = rtnl_link_get_stat(link, RTNL_LINK_RX_BYTES);
	st->rx_dropped = rtnl_link_get_stat(link, RTNL_LINK_RX_DROPPED);
	st->tx_packets = rtnl_link_get_stat(link, RTNL_LINK_TX_PACKETS);
	st->tx_bytes = rtnl_link_get_stat(link, RTNL_LINK_TX_BYTES);
	st->tx_dropped = rtnl_link_get_stat(link, RTNL_LINK_TX_DROPPED);

	for (o = nl_cache_get_first(addrs); o && st->naddrs < FW_LINK_ADDRS_MAX;
	     o = nl_cache_get_next(o)) {
		struct rtnl_addr *a = (struct rtnl_addr *)o;
		struct nl_addr *l = rtnl_addr_get_local(a);
		char text[INET_ADDRSTRLEN];

		if (rtnl_addr_get_ifindex(a) != st->ifindex || rtnl_addr_get_family(a) != AF_INET ||
		    !l || nl_addr_get_len(l) != 4)
			continue;
		inet_ntop(AF_INET, nl_addr_get_binary_addr(l), text, sizeof(text));
		snprintf(st->addrs[st->naddrs++], sizeof(st->addrs[0]), "%s/%d", text,
			 rtnl_addr_get_prefixlen(a));
		if (!memcmp(nl_addr_get_binary_addr(l), st->spec.gateway, 4) &&
		    rtnl_addr_get_prefixlen(a) == st->spec.prefixlen)
			st->has_gateway = 1;
	}
}

int fw_links_state(const struct pol_policy *pol, const struct fw_config *cfg, fw_link_state_cb cb,
		   void *arg, struct byod_err *err)
{
	struct nl_cache *links = NULL, *addrs = NULL;
	struct nl_sock *sk = NULL;
	struct fw_link_state st;
	size_t i;
	int rc;

	rc = sock_open(&sk, err);
	if (rc)
		goto out;
	rc = rtnl_link_alloc_cache(sk, AF_UNSPEC, &links);
	if (!rc)
		rc = rtnl_addr_alloc_cache(sk, &addrs);
	if (rc) {
		rc = byod_err_set(err, nl_errno(rc), "reading the links: %s", nl_geterror(rc));
		goto out;
	}
	for (i = 0; !rc && i < pol->nsegments; i++) {
		struct rtnl_link *link;

		memset(&st, 0, sizeof(st));
		rc = fw_link_spec_of(&pol->segments[i], cfg, &st.spec, err);
		if (rc)
			break;
		link = rtnl_link_get_by_name(links, st.spec.ifname);
		if (link) {
			state_of(&st, link, addrs);
			rtnl_link_put(link);
		} else {
			snprintf(st.operstate, sizeof(st.operstate), "absent");
		}
		rc = cb(arg, &st);
	}
out:
	if (addrs)
		nl_cache_free(addrs);
	if (links)
		nl_cache_free(links);
	if (sk)
		nl_socket_free(sk);
	return rc;
}
