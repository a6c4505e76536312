// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the ruleset renderer (firewall/render.c), without the
 * kernel: what each segment may reach, the walled garden's DNAT, source
 * checks, isolation, IPv6 only where a subnet6 is given, ports and ranges,
 * and the refusals (an interface name nft would misread, no registration
 * segment, a portal address that is not IPv4). libnftables itself is
 * exercised by tests/firewall/firewall.sh in a namespace. Also the access
 * point's hostapd.conf with its onboarding SSID, open or in OWE transition
 * mode (read by the real hostapd in tests/firewall/hostapd.sh).
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

#include "dnsmasq_conf.h"
#include "firewall.h"
#include "hostapd_conf.h"

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

static void ap(struct fw_hostapd *h)
{
	memset(h, 0, sizeof(*h));
	h->interface = "wlan0";
	h->ssid = "Collège-BYOD";
	h->wpa3 = 1;
	h->radius_addr = h->own_ip = h->das_client = "127.0.0.1";
	h->auth_port = 1812;
	h->acct_port = 1813;
	h->das_port = 3799;
	h->secret = "abcd-efgh-ijkl-mnop";
	h->nas_id = "byod-ap";
	h->ctrl_dir = "/run/hostapd";
	h->vlan_file = "/etc/hostapd/byod.vlan";
	h->uplink = "eth0";
	h->onboarding_ssid = "Invités";
	h->onboarding_owe = 1;
}

/* The text of section "bss=name" (up to the next bss= or the end). */
static void bss_of(const char *conf, const char *name, char *out, size_t len)
{
	char head[64];
	const char *a, *b;

	snprintf(head, sizeof(head), "\nbss=%s\n", name);
	a = strstr(conf, head);
	assert_non_null(a);
	b = strstr(a + 1, "\nbss=");
	snprintf(out, len, "%.*s", b ? (int)(b - a) : (int)strlen(a), a);
}

/* OWE transition mode: the school network first, then the open onboarding
 * BSS and the hidden OWE BSS, each naming the other; nothing of 802.1X or
 * the secret in either. */
static void test_hostapd_owe(void **state)
{
	struct pol_policy *pol = load(policy);
	char *conf = NULL, *vlans = NULL, onb[2048], owe[2048];
	struct fw_hostapd h;
	struct byod_err err;

	(void)state;
	ap(&h);
	if (fw_hostapd_config(pol, &h, &conf, &vlans, &err))
		fail_msg("%s", err.msg);
	/* the school network's lines come before any bss= */
	assert_true(strstr(conf, "wpa_key_mgmt=WPA-EAP-SHA256\n") < strstr(conf, "\nbss="));
	bss_of(conf, "wlan0-onb", onb, sizeof(onb));
	bss_of(conf, "wlan0-owe", owe, sizeof(owe));
	/* "Invités" and "Invités-OWE" in hex */
	assert_non_null(strstr(onb, "\nssid2=496e766974c3a973\n"));
	assert_non_null(strstr(onb, "\nowe_transition_ifname=wlan0-owe\n"));
	assert_non_null(strstr(onb, "\nap_isolate=1\n"));
	assert_null(strstr(onb, "wpa"));
	assert_null(strstr(onb, "ieee8021x"));
	assert_non_null(strstr(owe, "\nssid2=496e766974c3a9732d4f5745\n"));
	assert_non_null(strstr(owe, "\nignore_broadcast_ssid=1\n"));
	assert_non_null(strstr(owe, "\nwpa=2\nwpa_key_mgmt=OWE\nrsn_pairwise=CCMP\nieee80211w=2\n"));
	assert_non_null(strstr(owe, "\nowe_transition_ifname=wlan0-onb\n"));
	assert_null(strstr(onb, h.secret));
	assert_null(strstr(owe, h.secret));
	free(conf);
	free(vlans);

	/* open: one onboarding BSS, no OWE anywhere */
	h.onboarding_owe = 0;
	if (fw_hostapd_config(pol, &h, &conf, &vlans, &err))
		fail_msg("%s", err.msg);
	assert_non_null(strstr(conf, "\nbss=wlan0-onb\n"));
	assert_null(strstr(conf, "bss=wlan0-owe"));
	assert_null(strstr(conf, "owe_"));
	assert_null(strstr(conf, "OWE"));
	free(conf);
	free(vlans);

	/* no onboarding SSID, or a wired port: no bss= at all */
	h.onboarding_owe = 1;
	h.onboarding_ssid = "";
	assert_int_equal(fw_hostapd_config(pol, &h, &conf, &vlans, &err), 0);
	assert_null(strstr(conf, "bss="));
	free(conf);
	free(vlans);
	ap(&h);
	h.wired = 1;
	assert_int_equal(fw_hostapd_config(pol, &h, &conf, &vlans, &err), 0);
	assert_null(strstr(conf, "bss="));
	assert_null(strstr(conf, "OWE"));
	free(conf);
	pol_free(pol);
}

static void test_hostapd_onboarding_refusals(void **state)
{
	struct pol_policy *pol = load(policy);
	char *conf = NULL, *vlans = NULL;
	struct fw_hostapd h;
	struct byod_err err;

	(void)state;
	ap(&h);
	h.onboarding_ssid = "Collège-BYOD";
	assert_int_equal(fw_hostapd_config(pol, &h, &conf, &vlans, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "must differ from wifi.ssid"));
	assert_null(conf);

	/* 29 bytes: room for "-OWE" only when open */
	ap(&h);
	h.onboarding_ssid = "abcdefghijklmnopqrstuvwxyz012";
	assert_int_equal(fw_hostapd_config(pol, &h, &conf, &vlans, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "wifi.onboarding-ssid must be 1 to 28 bytes"));
	h.onboarding_owe = 0;
	assert_int_equal(fw_hostapd_config(pol, &h, &conf, &vlans, &err), 0);
	free(conf);
	free(vlans);
	h.onboarding_ssid = "abcdefghijklmnopqrstuvwxyz0123456";
	assert_int_equal(fw_hostapd_config(pol, &h, &conf, &vlans, &err), -EINVAL);

	ap(&h);
	h.interface = "wlan-ecole-0";
	assert_int_equal(fw_hostapd_config(pol, &h, &conf, &vlans, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "too long to name the onboarding"));
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

/* dnsmasq.conf: a DHCP range per segment from its subnet with the
 * segment's gateway, option 114 on the registration segment only, the
 * portal's name, the walled garden into the firewall's sets; every value
 * that could add an option refused. */
static void test_dnsmasq(void **state)
{
	static const char text[] =
		"segments:\n"
		"  registration: { vlan: 10, subnet: 10.10.0.0/22, allow: [portal, dns, dhcp] }\n"
		"  pupils: { vlan: 20, subnet: 10.20.0.0/16, allow: [web, dns, dhcp] }\n"
		"  staff: { vlan: 40, subnet: 10.40.0.0/30, allow: [web] }\n"
		"services:\n"
		"  portal: { to: [10.0.0.2], ports: [tcp/80, tcp/443] }\n"
		"  web: { to: [0.0.0.0/0], ports: [tcp/80, tcp/443] }\n"
		"walled-garden: [play.google.com, \"*.gvt1.com\"]\n"
		"default: registration\n";
	static const struct fw_link links[] = {
		{ "registration", "o-pupil" }, { "pupils", "s-pupil" }, { "registration", "o-visitor" },
	};
	static const char *const names[] = { "Portal.Byod.LAN" };
	struct pol_policy *pol = load(text), *nodns;
	struct fw_config cfg = { .links = links, .nlinks = 3, .uplink = "eth0",
				 .portal_addr = "10.0.0.2", .portal_http_port = 8080 };
	struct fw_dnsmasq d = { .fw = &cfg, .api_url = "http://portal.byod.lan:8080/api/captive",
				.portal_names = names, .nportal_names = 1 };
	struct byod_err err;
	char *conf = NULL;
	const char *reg, *pupils, *staff;

	(void)state;
	if (fw_dnsmasq_config(pol, &d, &conf, &err))
		fail_msg("%s", err.msg);
	assert_non_null(strstr(conf, "\nbind-dynamic\nexcept-interface=lo\n"));
	reg = strstr(conf, "# segment registration (VLAN 10): 10.10.0.0/22, the gateway 10.10.0.1\n"
			   "interface=o-pupil\ninterface=o-visitor\n"
			   "dhcp-range=set:registration,10.10.0.2,10.10.3.254,255.255.252.0,1h\n"
			   "dhcp-option=tag:registration,option:router,10.10.0.1\n"
			   "dhcp-option=tag:registration,option:dns-server,10.10.0.1\n");
	assert_non_null(reg);
	assert_non_null(strstr(conf, "dhcp-option=tag:registration,114,"
				     "\"http://portal.byod.lan:8080/api/captive\"\n"));
	/* option 114 on the registration segment only */
	assert_null(strstr(strstr(conf, "114,") + 4, "114,"));
	pupils = strstr(conf, "interface=s-pupil\n"
			      "dhcp-range=set:pupils,10.20.0.2,10.20.255.254,255.255.0.0,12h\n"
			      "dhcp-option=tag:pupils,option:router,10.20.0.1\n"
			      "dhcp-option=tag:pupils,option:dns-server,10.20.0.1\n");
	assert_non_null(pupils);
	/* neither dhcp nor dns: not served, its uplink interface not listened on */
	staff = strstr(conf, "# segment staff (VLAN 40): 10.40.0.0/30, the gateway 10.40.0.1\n"
			     "# (neither");
	assert_non_null(staff);
	assert_null(strstr(conf, "eth0.40"));
	assert_non_null(strstr(conf, "\nhost-record=portal.byod.lan,10.0.0.2\n"));
	assert_non_null(strstr(conf, "\nnftset=/play.google.com/4#inet#byod#walled_garden_ip4,"
				     "6#inet#byod#walled_garden_ip6\n"));
	assert_non_null(strstr(conf, "\nnftset=/gvt1.com/4#inet#byod#walled_garden_ip4,"
				     "6#inet#byod#walled_garden_ip6\n"));
	free(conf);

	/* a /30: the one host after the gateway; vlan mode: <uplink>.<vlan> */
	cfg.nlinks = 0;
	d.api_url = NULL;
	d.nportal_names = 0;
	nodns = load("segments:\n"
		     "  registration: { vlan: 10, subnet: 10.10.0.0/30, allow: [dns, dhcp] }\n"
		     "default: registration\n");
	if (fw_dnsmasq_config(nodns, &d, &conf, &err))
		fail_msg("%s", err.msg);
	assert_non_null(strstr(conf, "interface=eth0.10\n"
				     "dhcp-range=set:registration,10.10.0.2,10.10.0.2,255.255.255.252,1h\n"));
	assert_null(strstr(conf, ",114,"));
	assert_null(strstr(conf, "host-record"));
	assert_null(strstr(conf, "nftset"));
	free(conf);
	pol_free(nodns);

	/* refusals: nothing that could end a line or an option reaches the file */
	cfg.nlinks = 3;
	d.api_url = "http://portal.byod.lan/api/captive\ndhcp-option=3,6.6.6.6";
	assert_int_equal(fw_dnsmasq_config(pol, &d, &conf, &err), -EINVAL);
	assert_null(conf);
	assert_non_null(strstr(err.msg, "option 114"));
	d.api_url = "http://portal.byod.lan/a\"b";
	assert_int_equal(fw_dnsmasq_config(pol, &d, &conf, &err), -EINVAL);
	d.api_url = "http://portal.byod.lan/a,b";
	assert_int_equal(fw_dnsmasq_config(pol, &d, &conf, &err), -EINVAL);
	d.api_url = "ftp://portal.byod.lan/";
	assert_int_equal(fw_dnsmasq_config(pol, &d, &conf, &err), -EINVAL);
	d.api_url = "http://portal.byod.lan/api/captive";
	d.portal_names = (const char *const[]){ "portal.byod.lan\nserver=6.6.6.6" };
	d.nportal_names = 1;
	assert_int_equal(fw_dnsmasq_config(pol, &d, &conf, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "the portal's name"));
	d.portal_names = names;
	cfg.portal_addr = "portal";
	assert_int_equal(fw_dnsmasq_config(pol, &d, &conf, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "not IPv4"));
	cfg.portal_addr = "10.0.0.2";
	cfg.links = (const struct fw_link[]){ { "registration", "o0\ninterface=eth1" } };
	cfg.nlinks = 1;
	assert_int_equal(fw_dnsmasq_config(pol, &d, &conf, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "not an interface name"));
	cfg.links = links;
	cfg.nlinks = 3;
	cfg.registration = "guests";
	assert_int_equal(fw_dnsmasq_config(pol, &d, &conf, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "no 'guests' segment"));
	cfg.registration = NULL;
	pol_free(pol);

	/* a walled garden its segment cannot fill: no DNS from the gateway */
	pol = load("segments:\n"
		   "  registration: { vlan: 10, subnet: 10.10.0.0/22, allow: [dhcp] }\n"
		   "walled-garden: [play.google.com]\n"
		   "default: registration\n");
	cfg.nlinks = 0;
	assert_int_equal(fw_dnsmasq_config(pol, &d, &conf, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "add dns to its allow list"));
	pol_free(pol);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_state),
		cmocka_unit_test(test_hostapd_owe),
		cmocka_unit_test(test_hostapd_onboarding_refusals),
		cmocka_unit_test(test_walled_garden),
		cmocka_unit_test(test_dnsmasq),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
