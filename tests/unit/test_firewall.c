// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the ruleset renderer (firewall/render.c), without the
 * kernel: what each segment may reach, the walled garden's DNAT, source
 * checks, isolation, IPv6 only where a subnet6 is given, ports and ranges,
 * and the refusals (an interface name nft would misread, no registration
 * segment, a portal address that is not IPv4). libnftables itself is
 * exercised by tests/firewall/firewall.sh in a namespace.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "firewall.h"

static const char policy[] =
	"segments:\n"
	"  registration: { vlan: 10, subnet: 10.10.0.0/22, allow: [portal, dns, dhcp] }\n"
	"  pupils: { vlan: 20, subnet: 10.20.0.0/16, allow: [web, dns], isolate-clients: true }\n"
	"  staff: { vlan: 40, subnet: 10.40.0.0/24, subnet6: fd00:40::/64, allow: [intra, ping] }\n"
	"services:\n"
	"  portal: { to: [10.0.0.2], ports: [tcp/80, tcp/443] }\n"
	"  web: { to: [0.0.0.0/0], ports: [tcp/80, tcp/443] }\n"
	"  intra: { to: [10.0.7.0/24, fd00:7::/64], ports: [tcp/8000-8010, udp/514] }\n"
	"  ping: { to: [10.0.0.0/8], ports: [icmp] }\n"
	"rules:\n"
	"  - name: pupils\n"
	"    match: { role: student }\n"
	"    segment: pupils\n"
	"default: registration\n";

static struct pol_policy *load(const char *text)
{
	struct pol_policy *pol = NULL;
	struct pol_errors errs;

	memset(&errs, 0, sizeof(errs));
	if (pol_load("test.yaml", text, strlen(text), &pol, &errs)) {
		pol_errors_free(&errs);
		fail_msg("the test policy does not load");
	}
	pol_errors_free(&errs);
	return pol;
}

/* The lines of chain name in text, into out. */
static void chain_of(const char *text, const char *name, char *out, size_t len)
{
	char head[64];
	const char *a, *b;

	snprintf(head, sizeof(head), "\tchain %s {\n", name);
	a = strstr(text, head);
	assert_non_null(a);
	b = strstr(a, "\n\t}\n");
	assert_non_null(b);
	snprintf(out, len, "%.*s", (int)(b - a), a);
}

static void test_render(void **state)
{
	struct pol_policy *pol = load(policy);
	struct fw_config cfg = { .uplink = "eth0", .portal_addr = "10.0.0.2", .portal_http_port = 8080 };
	struct byod_err err;
	char *text = NULL, c[4096];

	(void)state;
	if (fw_render(pol, &cfg, &text, &err))
		fail_msg("%s", err.msg);
	assert_non_null(strstr(text, "add table inet byod\ndelete table inet byod\ntable inet byod {\n"));
	assert_non_null(strstr(text, "iifname \"eth0.10\" tcp dport 80 ip daddr != 10.0.0.2 dnat ip to 10.0.0.2:8080"));
	assert_non_null(strstr(text, "\"eth0.10\" : jump seg_registration, \"eth0.20\" : jump seg_pupils, \"eth0.40\" : jump seg_staff }"));

	chain_of(text, "seg_pupils", c, sizeof(c));
	assert_non_null(strstr(c, "ip saddr != 10.20.0.0/16 counter drop"));
	/* the catch-all comes after the drop of what the policy claims: the
	 * other segments and every address a service names */
	{
		/* (the other segments, 10.0.0.2 and 10.0.7.0/24 are all inside the
		 * 10.0.0.0/8 that "ping" names: an interval set takes no overlap) */
		const char *claimed = strstr(c, "ip daddr { 10.0.0.0/8 } drop");
		const char *web = strstr(c, "ip daddr 0.0.0.0/0 tcp dport { 80, 443 } accept");

		assert_non_null(claimed);
		assert_non_null(web);
		assert_true(claimed < web);
	}
	assert_non_null(strstr(c, "meta nfproto ipv6 drop"));
	assert_non_null(strstr(c, "oifname \"eth0.20\" drop"));
	assert_non_null(strstr(c, "ip daddr 0.0.0.0/0 tcp dport { 80, 443 } accept"));
	assert_null(strstr(c, "10.0.0.2")); /* not the portal's rule */
	assert_non_null(strstr(c, "\t\tdrop"));

	chain_of(text, "seg_staff", c, sizeof(c));
	assert_non_null(strstr(c, "ip6 saddr != fd00:40::/64 counter drop"));
	assert_non_null(strstr(c, "ip daddr 10.0.7.0/24 tcp dport { 8000-8010 } accept"));
	assert_non_null(strstr(c, "ip daddr 10.0.7.0/24 udp dport { 514 } accept"));
	assert_non_null(strstr(c, "ip6 daddr fd00:7::/64 tcp dport { 8000-8010 } accept"));
	assert_non_null(strstr(c, "ip daddr 10.0.0.0/8 meta l4proto icmp accept"));
	assert_null(strstr(c, "oifname")); /* no isolation asked */

	chain_of(text, "in_registration", c, sizeof(c));
	assert_non_null(strstr(c, "udp dport 67 accept"));
	assert_non_null(strstr(c, "th dport 53 accept"));
	assert_non_null(strstr(c, "ip daddr 10.0.0.2 tcp dport 8080 accept"));
	chain_of(text, "in_staff", c, sizeof(c));
	assert_null(strstr(c, "dport 53")); /* staff has no dns in this policy */
	assert_null(strstr(c, "dport 67"));
	free(text);

	/* existing mode */
	{
		static const struct fw_link links[] = {
			{ "registration", "veth-reg" }, { "pupils", "veth-pup" }, { "staff", "st_1" },
		};
		struct fw_config ex = { .links = links, .nlinks = 3, .portal_addr = "10.0.0.2",
					.portal_http_port = 80 };

		if (fw_render(pol, &ex, &text, &err))
			fail_msg("%s", err.msg);
		assert_non_null(strstr(text, "\"veth-pup\" : jump seg_pupils"));
		assert_non_null(strstr(text, "dnat ip to 10.0.0.2:80"));
		free(text);
	}
	/* several links for one segment (an onboarding port per lab client) */
	{
		static const struct fw_link links[] = {
			{ "registration", "o-pup" }, { "pupils", "p-pup" }, { "registration", "o-tea" },
			{ "staff", "st_1" }, { "pupils", "p-tea" },
		};
		static const struct fw_link twice[] = {
			{ "registration", "o-pup" }, { "pupils", "o-pup" }, { "staff", "st_1" },
		};
		static const struct fw_link unknown[] = {
			{ "registration", "o-pup" }, { "pupils", "p-pup" }, { "staff", "st_1" },
			{ "guests", "g-1" },
		};
		struct fw_config ex = { .links = links, .nlinks = 5, .portal_addr = "10.0.0.2",
					.portal_http_port = 80 };

		if (fw_render(pol, &ex, &text, &err))
			fail_msg("%s", err.msg);
		assert_non_null(strstr(text, "iifname vmap { \"o-pup\" : jump seg_registration, "
					     "\"o-tea\" : jump seg_registration, \"p-pup\" : jump "
					     "seg_pupils, \"p-tea\" : jump seg_pupils, \"st_1\" : jump "
					     "seg_staff }"));
		assert_non_null(strstr(text, "iifname { \"o-pup\", \"o-tea\" } tcp dport 80 "
					     "ip daddr != 10.0.0.2 dnat"));
		chain_of(text, "seg_pupils", c, sizeof(c));
		assert_non_null(strstr(c, "oifname { \"p-pup\", \"p-tea\" } drop comment "
					  "\"isolate-clients\""));
		free(text);
		ex.links = twice;
		ex.nlinks = 3;
		assert_int_equal(fw_render(pol, &ex, &text, &err), -EINVAL);
		assert_non_null(strstr(err.msg, "o-pup is given to segments registration and pupils"));
		ex.links = unknown;
		ex.nlinks = 4;
		assert_int_equal(fw_render(pol, &ex, &text, &err), -EINVAL);
		assert_non_null(strstr(err.msg, "guests"));
	}
	pol_free(pol);
}

static void test_refusals(void **state)
{
	struct pol_policy *pol = load(policy);
	struct fw_config cfg = { .uplink = "eth0", .portal_addr = "10.0.0.2", .portal_http_port = 8080 };
	static const struct fw_link bad[] = { { "pupils", "a b" } };
	static const struct fw_link longname[] = { { "pupils", "abcdefghijklmnop" } };
	struct byod_err err;
	char *text = (char *)"untouched";

	(void)state;
	cfg.portal_addr = "fd00::2";
	assert_int_equal(fw_render(pol, &cfg, &text, &err), -EINVAL);
	assert_null(text);
	assert_non_null(strstr(err.msg, "not IPv4"));
	cfg.portal_addr = NULL;
	assert_int_equal(fw_render(pol, &cfg, &text, &err), -EINVAL);
	cfg.portal_addr = "10.0.0.2";

	cfg.links = bad;
	cfg.nlinks = 1;
	assert_int_equal(fw_render(pol, &cfg, &text, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "not an interface name"));
	cfg.links = longname;
	assert_int_equal(fw_render(pol, &cfg, &text, &err), -EINVAL);
	cfg.links = NULL;
	cfg.nlinks = 0;
	cfg.uplink = "eth0\"; flush ruleset; \"";
	assert_int_equal(fw_render(pol, &cfg, &text, &err), -EINVAL);
	cfg.uplink = NULL;
	assert_int_equal(fw_render(pol, &cfg, &text, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "no interface"));
	cfg.uplink = "eth0";
	cfg.registration = "walled-garden";
	assert_int_equal(fw_render(pol, &cfg, &text, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "no 'walled-garden' segment"));
	pol_free(pol);
}

/* The per-device state: written with the ruleset, checked before it reaches the text. */
static void test_state(void **state)
{
	struct pol_policy *pol = load(policy);
	static const char *const admit[] = { "veth-ap" };
	static const char *const qmac[] = { "02:00:00:00:aa:01", "02:00:00:00:aa:02" };
	static const char *const qip[] = { "10.20.0.66" };
	struct fw_admitted adm[] = { { "02:00:00:00:bb:01", "pupils" },
				     { "02:00:00:00:bb:02", "staff" } };
	struct fw_config cfg = { .uplink = "eth0", .portal_addr = "10.0.0.2", .portal_http_port = 8080,
				 .admit_links = admit, .nadmit_links = 1, .admitted = adm,
				 .nadmitted = 2, .quarantine_macs = qmac, .nquarantine_macs = 2,
				 .quarantine_ips = qip, .nquarantine_ips = 1 };
	struct byod_err err;
	struct fw_batch *b;
	char *text = NULL, c[4096];
	const char *fwd;

	(void)state;
	if (fw_render(pol, &cfg, &text, &err))
		fail_msg("%s", err.msg);
	assert_non_null(strstr(text, "\tset quarantine_mac {\n\t\ttype ether_addr\n"
				     "\t\telements = { 02:00:00:00:aa:01, 02:00:00:00:aa:02 }\n\t}\n"));
	assert_non_null(strstr(text, "elements = { 10.20.0.66 }"));
	assert_non_null(strstr(text, "\tmap admitted {\n\t\ttype ether_addr : verdict\n"
				     "\t\telements = { 02:00:00:00:bb:01 : jump seg_pupils, "
				     "02:00:00:00:bb:02 : jump seg_staff }\n"));
	chain_of(text, "forward", c, sizeof(c));
	/* quarantine first, then admission, and only then established flows */
	fwd = strstr(c, "iifname { \"veth-ap\" } ether saddr vmap @admitted\n"
			"\t\tiifname { \"veth-ap\" } counter drop comment \"not admitted\"");
	assert_non_null(fwd);
	assert_true(strstr(c, "@quarantine_mac") < fwd);
	assert_true(strstr(c, "ct state established,related accept") > fwd);
	free(text);

	/* without admit links no admission rule, and an empty map */
	cfg.nadmit_links = 0;
	cfg.nadmitted = 0;
	if (fw_render(pol, &cfg, &text, &err))
		fail_msg("%s", err.msg);
	assert_null(strstr(text, "@admitted"));
	assert_non_null(strstr(text, "\tmap admitted {\n\t\ttype ether_addr : verdict\n\t}\n"));
	free(text);

	/* refusals */
	adm[1].segment = "nowhere";
	cfg.nadmitted = 2;
	assert_int_equal(fw_render(pol, &cfg, &text, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "no segment 'nowhere'"));
	adm[1].segment = "staff";
	adm[0].mac = "02:00:00:00:BB:01"; /* the registry writes lowercase */
	assert_int_equal(fw_render(pol, &cfg, &text, &err), -EINVAL);
	adm[0].mac = "02:00:00:00:bb:01 } ; flush ruleset";
	assert_int_equal(fw_render(pol, &cfg, &text, &err), -EINVAL);
	adm[0].mac = "02:00:00:00:bb:01";
	cfg.quarantine_ips = (const char *const[]){ "10.20.0.666" };
	assert_int_equal(fw_render(pol, &cfg, &text, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "10.20.0.666"));
	assert_null(text);

	/* batches between renders */
	b = fw_batch_new();
	assert_non_null(b);
	assert_int_equal(fw_batch_size(b), 0);
	assert_int_equal(fw_batch_apply(b, &err), 0); /* nothing to do */
	assert_int_equal(fw_batch_quarantine(b, "02:00:00:00:aa:03", 1), 0);
	assert_int_equal(fw_batch_evict(b, "02:00:00:00:bb:01"), 0);
	assert_int_equal(fw_batch_admit(b, "02:00:00:00:bb:04", "teachers"), 0);
	assert_int_equal(fw_batch_quarantine_ip(b, "10.20.0.7", 0), 0);
	assert_int_equal(fw_batch_admit(b, "02:00:00:00:bb:05", "seg x"), -EINVAL);
	assert_int_equal(fw_batch_quarantine(b, "02-00-00-00-aa-03", 1), -EINVAL);
	assert_int_equal(fw_batch_quarantine_ip(b, "fd00::1", 1), -EINVAL);
	assert_int_equal(fw_batch_size(b), 4);
	assert_string_equal(fw_batch_text(b),
			    "add element inet byod quarantine_mac { 02:00:00:00:aa:03 }\n"
			    "delete element inet byod admitted { 02:00:00:00:bb:01 }\n"
			    "add element inet byod admitted { 02:00:00:00:bb:04 : jump seg_teachers }\n"
			    "delete element inet byod quarantine_ip4 { 10.20.0.7 }\n");
	fw_batch_free(b);
	fw_batch_free(NULL);
	pol_free(pol);
}

/* walled-garden: two sets dnsmasq fills, reached from the registration
 * segment on tcp/80 and 443 after the drop of what the policy claims, and
 * not redirected to the portal; nothing of it without walled-garden names. */
static void test_walled_garden(void **state)
{
	static const char with[] =
		"segments:\n"
		"  registration: { vlan: 10, subnet: 10.10.0.0/22, allow: [portal, dns, dhcp] }\n"
		"  guests: { vlan: 50, subnet: 10.50.0.0/24, subnet6: fd00:50::/64, allow: [dns] }\n"
		"services:\n"
		"  portal: { to: [10.0.0.2], ports: [tcp/80, tcp/443] }\n"
		"walled-garden: [play.google.com, \"*.gvt1.com\"]\n"
		"default: registration\n";
	struct pol_policy *pol = load(with), *plain = load(policy);
	struct fw_config cfg = { .uplink = "eth0", .portal_addr = "10.0.0.2", .portal_http_port = 8080 };
	struct byod_err err;
	char *text = NULL, c[4096];
	const char *claimed, *wg;

	(void)state;
	if (fw_render(pol, &cfg, &text, &err))
		fail_msg("%s", err.msg);
	assert_non_null(strstr(text, "\tset walled_garden_ip4 {\n\t\ttype ipv4_addr\n"
				     "\t\tflags timeout\n\t\ttimeout 1h\n\t}\n"));
	assert_non_null(strstr(text, "\tset walled_garden_ip6 {\n\t\ttype ipv6_addr\n"
				     "\t\tflags timeout\n\t\ttimeout 1h\n\t}\n"));
	chain_of(text, "prerouting", c, sizeof(c));
	wg = strstr(c, "\t\tiifname \"eth0.10\" ip daddr @walled_garden_ip4 tcp dport 80 accept "
		       "comment \"walled-garden\"\n");
	assert_non_null(wg);
	assert_true(wg < strstr(c, "dnat ip to 10.0.0.2:8080"));

	chain_of(text, "seg_registration", c, sizeof(c));
	claimed = strstr(c, "ip daddr { 10.50.0.0/24, 10.0.0.2 } drop comment \"claimed");
	wg = strstr(c, "\t\tip daddr @walled_garden_ip4 tcp dport { 80, 443 } accept comment "
		       "\"walled-garden\"\n");
	assert_non_null(claimed);
	assert_non_null(wg);
	assert_true(claimed < wg);
	assert_true(wg < strstr(c, "\t\tdrop"));
	assert_null(strstr(c, "@walled_garden_ip6")); /* no subnet6: IPv6 is dropped */
	/* only the registration segment */
	chain_of(text, "seg_guests", c, sizeof(c));
	assert_null(strstr(c, "walled_garden"));
	free(text);

	/* a registration segment with IPv6 reaches the IPv6 addresses too */
	cfg.registration = "guests";
	if (fw_render(pol, &cfg, &text, &err))
		fail_msg("%s", err.msg);
	chain_of(text, "seg_guests", c, sizeof(c));
	claimed = strstr(c, "ip6 daddr { fd00:50::/64 }");
	assert_null(claimed); /* its own subnet6 is not claimed */
	assert_non_null(strstr(c, "\t\tip6 daddr @walled_garden_ip6 tcp dport { 80, 443 } accept "
				  "comment \"walled-garden\"\n"));
	free(text);

	/* a policy without walled-garden renders as before */
	cfg.registration = NULL;
	if (fw_render(plain, &cfg, &text, &err))
		fail_msg("%s", err.msg);
	assert_null(strstr(text, "walled_garden"));
	free(text);
	pol_free(pol);
	pol_free(plain);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_state),
		cmocka_unit_test(test_walled_garden),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
