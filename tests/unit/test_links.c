// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the segments' interfaces (firewall/links.c) without the
 * kernel: each segment's interface name and gateway address, the refusal
 * of a name longer than the kernel's 15 characters, and the rtnetlink
 * messages (vlan creation, link up, gateway address) parsed back with
 * libnl's attribute parser, as the kernel would read them. Sending them is
 * exercised by tests/firewall/links.sh in a namespace.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include "links.h"

static const char policy[] =
	"segments:\n"
	"  registration: { vlan: 10, subnet: 10.10.4.0/22, allow: [portal, dns, dhcp] }\n"
	"  pupils: { vlan: 20, subnet: 10.20.0.0/16, allow: [dns] }\n"
	"  staff: { vlan: 4094, subnet: 172.16.128.0/30, allow: [dns] }\n"
	"services:\n"
	"  portal: { to: [10.0.0.2], ports: [tcp/80] }\n"
	"rules:\n"
	"  - name: pupils\n"
	"    match: { role: student }\n"
	"    segment: pupils\n"
	"default: registration\n";

static struct pol_policy *load(void)
{
	struct pol_policy *pol = NULL;
	struct pol_errors errs;

	memset(&errs, 0, sizeof(errs));
	if (pol_load("test.yaml", policy, strlen(policy), &pol, &errs)) {
		pol_errors_free(&errs);
		fail_msg("the test policy does not load");
	}
	pol_errors_free(&errs);
	return pol;
}

static const struct pol_segment *seg(const struct pol_policy *pol, const char *name)
{
	int i = pol_segment_find(pol, name);

	assert_true(i >= 0);
	return &pol->segments[i];
}

static void assert_gateway(const struct fw_link_spec *sp, const char *addr, int prefixlen)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, addr, &a), 1);
	assert_memory_equal(sp->gateway, &a, 4);
	assert_int_equal(sp->prefixlen, prefixlen);
}

/* vlan mode: <uplink>.<vlan> and the first host of each subnet */
static void test_spec_vlan(void **state)
{
	struct pol_policy *pol = load();
	struct fw_config cfg = {.uplink = "eth0"};
	struct fw_link_spec sp;
	struct byod_err err;

	(void)state;
	if (fw_link_spec_of(seg(pol, "registration"), &cfg, &sp, &err))
		fail_msg("%s", err.msg);
	assert_string_equal(sp.segment, "registration");
	assert_string_equal(sp.ifname, "eth0.10");
	assert_int_equal(sp.vlan, 10);
	assert_false(sp.existing);
	assert_gateway(&sp, "10.10.4.1", 22);
	assert_string_equal(sp.gateway_text, "10.10.4.1/22");

	if (fw_link_spec_of(seg(pol, "pupils"), &cfg, &sp, &err))
		fail_msg("%s", err.msg);
	assert_string_equal(sp.ifname, "eth0.20");
	assert_gateway(&sp, "10.20.0.1", 16);
	assert_string_equal(sp.gateway_text, "10.20.0.1/16");

	if (fw_link_spec_of(seg(pol, "staff"), &cfg, &sp, &err))
		fail_msg("%s", err.msg);
	assert_string_equal(sp.ifname, "eth0.4094");
	assert_gateway(&sp, "172.16.128.1", 30);
	pol_free(pol);
}

/* existing mode: the named interface; a segment without one and no uplink
 * is refused, with an uplink it falls back to the vlan name */
static void test_spec_existing(void **state)
{
	static const struct fw_link links[] = {{"pupils", "veth-pup"}};
	struct pol_policy *pol = load();
	struct fw_config cfg = {.links = links, .nlinks = 1};
	struct fw_link_spec sp;
	struct byod_err err;

	(void)state;
	if (fw_link_spec_of(seg(pol, "pupils"), &cfg, &sp, &err))
		fail_msg("%s", err.msg);
	assert_string_equal(sp.ifname, "veth-pup");
	assert_true(sp.existing);
	assert_gateway(&sp, "10.20.0.1", 16);

	assert_int_equal(fw_link_spec_of(seg(pol, "registration"), &cfg, &sp, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "no interface for segment registration"));

	cfg.uplink = "bond0";
	if (fw_link_spec_of(seg(pol, "registration"), &cfg, &sp, &err))
		fail_msg("%s", err.msg);
	assert_string_equal(sp.ifname, "bond0.10");
	assert_false(sp.existing);
	pol_free(pol);
}

/* the kernel's IFNAMSIZ: 15 characters pass, 16 do not */
static void test_spec_too_long(void **state)
{
	static const struct fw_link bad[] = {{"pupils", "veth-pupils-0001"}};
	struct pol_policy *pol = load();
	struct fw_config cfg = {.uplink = "averyveryverylongname"};
	struct fw_link_spec sp;
	struct byod_err err;

	(void)state;
	assert_int_equal(fw_link_spec_of(seg(pol, "pupils"), &cfg, &sp, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "averyveryverylongname.20"));
	assert_non_null(strstr(err.msg, "15 characters"));

	cfg.uplink = "abcdefghijkl"; /* + ".20": 15 */
	if (fw_link_spec_of(seg(pol, "pupils"), &cfg, &sp, &err))
		fail_msg("%s", err.msg);
	assert_string_equal(sp.ifname, "abcdefghijkl.20");
	cfg.uplink = "abcdefghijklm"; /* 16 */
	assert_int_equal(fw_link_spec_of(seg(pol, "pupils"), &cfg, &sp, &err), -EINVAL);

	cfg.links = bad;
	cfg.nlinks = 1;
	assert_int_equal(fw_link_spec_of(seg(pol, "pupils"), &cfg, &sp, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "veth-pupils-0001"));
	pol_free(pol);
}

/* RTM_NEWLINK, CREATE|EXCL, kind vlan with its id, on the uplink */
static void test_vlan_msg(void **state)
{
	struct nlattr *tb[IFLA_MAX + 1], *info[IFLA_INFO_MAX + 1], *vlan[IFLA_VLAN_MAX + 1];
	struct nl_msg *msg = NULL;
	struct nlmsghdr *h;
	struct ifinfomsg *ifi;
	struct byod_err err;

	(void)state;
	if (fw_links_vlan_msg(7, "eth0.20", 20, &msg, &err))
		fail_msg("%s", err.msg);
	h = nlmsg_hdr(msg);
	assert_int_equal(h->nlmsg_type, RTM_NEWLINK);
	assert_int_equal(h->nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL | NLM_F_REPLACE),
			 NLM_F_CREATE | NLM_F_EXCL);
	ifi = nlmsg_data(h);
	assert_int_equal(ifi->ifi_index, 0);
	assert_int_equal(nlmsg_parse(h, sizeof(*ifi), tb, IFLA_MAX, NULL), 0);
	assert_non_null(tb[IFLA_IFNAME]);
	assert_string_equal(nla_get_string(tb[IFLA_IFNAME]), "eth0.20");
	assert_non_null(tb[IFLA_LINK]);
	assert_int_equal(nla_get_u32(tb[IFLA_LINK]), 7);
	assert_non_null(tb[IFLA_LINKINFO]);
	assert_int_equal(nla_parse_nested(info, IFLA_INFO_MAX, tb[IFLA_LINKINFO], NULL), 0);
	assert_non_null(info[IFLA_INFO_KIND]);
	assert_string_equal(nla_get_string(info[IFLA_INFO_KIND]), "vlan");
	assert_non_null(info[IFLA_INFO_DATA]);
	assert_int_equal(nla_parse_nested(vlan, IFLA_VLAN_MAX, info[IFLA_INFO_DATA], NULL), 0);
	assert_non_null(vlan[IFLA_VLAN_ID]);
	assert_int_equal(nla_get_u16(vlan[IFLA_VLAN_ID]), 20);
	/* nla_find over the top level finds the same name */
	assert_string_equal(nla_data(nla_find(nlmsg_attrdata(h, sizeof(*ifi)),
					      nlmsg_attrlen(h, sizeof(*ifi)), IFLA_IFNAME)),
			    "eth0.20");
	nlmsg_free(msg);

	/* another id and uplink reach the message too */
	if (fw_links_vlan_msg(42, "bond0.4094", 4094, &msg, &err))
		fail_msg("%s", err.msg);
	h = nlmsg_hdr(msg);
	assert_int_equal(nlmsg_parse(h, sizeof(*ifi), tb, IFLA_MAX, NULL), 0);
	assert_int_equal(nla_get_u32(tb[IFLA_LINK]), 42);
	assert_int_equal(nla_parse_nested(info, IFLA_INFO_MAX, tb[IFLA_LINKINFO], NULL), 0);
	assert_int_equal(nla_parse_nested(vlan, IFLA_VLAN_MAX, info[IFLA_INFO_DATA], NULL), 0);
	assert_int_equal(nla_get_u16(vlan[IFLA_VLAN_ID]), 4094);
	nlmsg_free(msg);
}

static void test_vlan_msg_refused(void **state)
{
	struct nl_msg *msg = (struct nl_msg *)&msg;
	struct byod_err err;

	(void)state;
	assert_int_equal(fw_links_vlan_msg(7, "eth0.0", 0, &msg, &err), -EINVAL);
	assert_null(msg);
	assert_int_equal(fw_links_vlan_msg(7, "eth0.4095", 4095, &msg, &err), -EINVAL);
	assert_int_equal(fw_links_vlan_msg(0, "eth0.20", 20, &msg, &err), -EINVAL);
	assert_int_equal(fw_links_vlan_msg(7, "averyveryverylongname.20", 20, &msg, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "averyveryverylongname.20"));
	assert_int_equal(fw_links_vlan_msg(7, "eth0;20", 20, &msg, &err), -EINVAL);
	assert_int_equal(fw_links_vlan_msg(7, NULL, 20, &msg, &err), -EINVAL);
	assert_null(msg);
}

/* RTM_NEWLINK on an ifindex, changing IFF_UP and nothing else, no CREATE */
static void test_up_msg(void **state)
{
	struct nl_msg *msg = NULL;
	struct nlmsghdr *h;
	struct ifinfomsg *ifi;
	struct byod_err err;

	(void)state;
	if (fw_links_up_msg(13, &msg, &err))
		fail_msg("%s", err.msg);
	h = nlmsg_hdr(msg);
	assert_int_equal(h->nlmsg_type, RTM_NEWLINK);
	assert_int_equal(h->nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL), 0);
	ifi = nlmsg_data(h);
	assert_int_equal(ifi->ifi_index, 13);
	assert_int_equal(ifi->ifi_flags & IFF_UP, IFF_UP);
	assert_int_equal(ifi->ifi_change, IFF_UP);
	nlmsg_free(msg);
	assert_int_equal(fw_links_up_msg(0, &msg, &err), -EINVAL);
}

/* RTM_NEWADDR: family, prefix length, interface and IFA_LOCAL */
static void test_addr_msg(void **state)
{
	static const uint8_t gw[4] = {10, 20, 0, 1};
	struct nlattr *tb[IFA_MAX + 1];
	struct nl_msg *msg = NULL;
	struct nlmsghdr *h;
	struct ifaddrmsg *ifa;
	struct byod_err err;
	struct in_addr want;

	(void)state;
	if (fw_links_addr_msg(9, gw, 16, &msg, &err))
		fail_msg("%s", err.msg);
	h = nlmsg_hdr(msg);
	assert_int_equal(h->nlmsg_type, RTM_NEWADDR);
	assert_int_equal(h->nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL), NLM_F_CREATE | NLM_F_EXCL);
	ifa = nlmsg_data(h);
	assert_int_equal(ifa->ifa_family, AF_INET);
	assert_int_equal(ifa->ifa_prefixlen, 16);
	assert_int_equal(ifa->ifa_index, 9);
	assert_int_equal(nlmsg_parse(h, sizeof(*ifa), tb, IFA_MAX, NULL), 0);
	assert_non_null(tb[IFA_LOCAL]);
	assert_int_equal(nla_len(tb[IFA_LOCAL]), 4);
	assert_int_equal(inet_pton(AF_INET, "10.20.0.1", &want), 1);
	assert_memory_equal(nla_data(tb[IFA_LOCAL]), &want, 4);
	nlmsg_free(msg);

	assert_int_equal(fw_links_addr_msg(0, gw, 16, &msg, &err), -EINVAL);
	assert_int_equal(fw_links_addr_msg(9, gw, 33, &msg, &err), -EINVAL);
	assert_null(msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_vlan),	 cmocka_unit_test(test_spec_existing),
		cmocka_unit_test(test_spec_too_long),	 cmocka_unit_test(test_vlan_msg),
		cmocka_unit_test(test_vlan_msg_refused), cmocka_unit_test(test_up_msg),
		cmocka_unit_test(test_addr_msg),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
