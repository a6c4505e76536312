// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hostapd.conf, key=value lines. hostapd reads a value to the end of its
 * line, so every value is checked for what could end it early or add a
 * key: no control character anywhere, interface names from a short set,
 * the SSID written in hex (ssid2=) so any UTF-8 name goes through.
 */
#define _GNU_SOURCE
#include "hostapd_conf.h"
#include "firewall.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byod_buf.h"
#include "byod_util.h"

static int printable(const char *s)
{
	for (; s && *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return s != NULL;
}

/* hostapd's ssid2= form: the bytes in hex, so any UTF-8 name goes through. */
static void ssid_hex(const char *ssid, const char *suffix, char out[2 * 32 + 1])
{
	char both[64];
	size_t i;

	snprintf(both, sizeof(both), "%s%s", ssid, suffix);
	for (i = 0; both[i] && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", (unsigned char)both[i]);
	out[2 * i] = '\0';
}

/*
 * The onboarding network, one BSS (open) or two (OWE transition mode) on
 * the same radio, hostapd.conf's bss= sections. hostapd gives a bss= section
 * the defaults, not the first BSS's values, so each one says everything it
 * needs. No 802.1X there: a device that joins is unknown, and the gateway
 * treats the BSS's interface as the registration segment's link.
 */
static void onboarding(struct byod_buf *c, int *rc, const struct fw_hostapd *h, const char *ctrl)
{
	char hex[2 * 32 + 1];

	ssid_hex(h->onboarding_ssid, "", hex);
	byod_buf_putf(c, rc,
	    "\n# the onboarding network: no password, new devices reach the portal;\n"
	    "# its stations are on %s" FW_ONB_SUFFIX "%s%s%s: links of the registration segment\n"
	    "bss=%s" FW_ONB_SUFFIX "\nctrl_interface=%s\nssid2=%s\nutf8_ssid=1\n"
	    "# unknown devices do not talk to each other\nap_isolate=1\n",
	    h->interface, h->onboarding_owe ? " and " : "", h->onboarding_owe ? h->interface : "",
	    h->onboarding_owe ? FW_OWE_SUFFIX : "", h->interface, ctrl, hex);
	if (!h->onboarding_owe)
		return;
	/* hostapd.conf(5): owe_transition_ifname names a BSS of this process,
	 * whose BSSID and SSID go in the OWE Transition Mode element */
	byod_buf_putf(c, rc, "owe_transition_ifname=%s" FW_OWE_SUFFIX "\n", h->interface);
	ssid_hex(h->onboarding_ssid, FW_OWE_SSID_SUFFIX, hex);
	byod_buf_putf(c, rc,
	    "\n# Enhanced Open (OWE, RFC 8110) in transition mode: hidden, announced\n"
	    "# by the open BSS above; phones that can join it encrypted, no password\n"
	    "bss=%s" FW_OWE_SUFFIX "\nctrl_interface=%s\nssid2=%s\nutf8_ssid=1\n"
	    "ignore_broadcast_ssid=1\nwpa=2\nwpa_key_mgmt=OWE\nrsn_pairwise=CCMP\n"
	    "ieee80211w=2\nowe_transition_ifname=%s" FW_ONB_SUFFIX "\nap_isolate=1\n",
	    h->interface, ctrl, hex, h->interface);
}

static int ipv4_ok(const char *s)
{
	struct in_addr a;

	return s && inet_pton(AF_INET, s, &a) == 1;
}

int fw_hostapd_config(const struct pol_policy *pol, const struct fw_hostapd *h, char **conf,
		      char **vlans, struct byod_err *err)
{
	/* the file holds the RADIUS secret: no copy of it is left behind */
	struct byod_buf c = BYOD_BUF_SECRET_INIT, v = BYOD_BUF_INIT;
	char hex[2 * 32 + 1];
	size_t i;
	int isolate = 0, onb, rc = 0;

	*conf = NULL;
	*vlans = NULL;
	if (!fw_ifname_ok(h->interface))
		return byod_err_set(err, EINVAL, "'%s' is not an interface name",
				    h->interface ? h->interface : "");
	if (!h->secret || strlen(h->secret) < 16 || !printable(h->secret))
		return byod_err_set(err, EINVAL,
				    "the RADIUS secret needs 16 or more printable characters");
	if (!ipv4_ok(h->radius_addr) || !ipv4_ok(h->own_ip) ||
	    (h->das_port && !ipv4_ok(h->das_client)))
		return byod_err_set(err, EINVAL, "the RADIUS, NAS and DAS addresses must be IPv4");
	if (!printable(h->nas_id) || !printable(h->ctrl_dir))
		return byod_err_set(err, EINVAL,
				    "a NAS identifier or control directory with a "
				    "control character");
	if (!h->wired) {
		size_t n = h->ssid ? strlen(h->ssid) : 0;

		if (n < 1 || n > 32)
			return byod_err_set(err, EINVAL,
					    "wifi.ssid must be 1 to 32 bytes for an access point");
		ssid_hex(h->ssid, "", hex);
		if (!fw_ifname_ok(h->uplink) || !printable(h->vlan_file) || !h->vlan_file[0])
			return byod_err_set(err, EINVAL, "an uplink and a vlan_file are needed");
	}
	onb = !h->wired && h->onboarding_ssid && h->onboarding_ssid[0];
	if (onb) {
		size_t n = strlen(h->onboarding_ssid);
		size_t max = 32 - (h->onboarding_owe ? strlen(FW_OWE_SSID_SUFFIX) : 0);

		if (n > max)
			return byod_err_set(err, EINVAL,
					    "wifi.onboarding-ssid must be 1 to %zu bytes%s", max,
					    h->onboarding_owe ? " with wifi.onboarding-security "
								"owe-transition (the hidden OWE "
								"network adds '" FW_OWE_SSID_SUFFIX
								"')" : "");
		if (!strcmp(h->onboarding_ssid, h->ssid))
			return byod_err_set(err, EINVAL,
					    "wifi.onboarding-ssid must differ from wifi.ssid: "
					    "the school network asks for a certificate");
		if (strlen(h->interface) + strlen(FW_ONB_SUFFIX) > 15)
			return byod_err_set(err, EINVAL,
					    "'%s' is too long to name the onboarding network's "
					    "interfaces (%s" FW_ONB_SUFFIX "): 11 characters at most",
					    h->interface, h->interface);
	}
	if (!h->wired && h->passpoint_domain && h->passpoint_domain[0] &&
	    (byod_dns_name_check(h->passpoint_domain) || !h->passpoint_realm ||
	     byod_dns_name_check(h->passpoint_realm)))
		return byod_err_set(err, EINVAL,
				    "the Passpoint domain and realm must be DNS names "
				    "(radius.server-name, wifi.passpoint-realm)");
	byod_buf_putf(&c, &rc,
	    "# hostapd.conf written by byodctl hostapd config: 802.1X against the\n"
	    "# gateway's FreeRADIUS, DAS for Disconnect/CoA, VLANs from RADIUS.\n"
	    "interface=%s\ndriver=%s\n",
	    h->interface, h->wired ? "wired" : "nl80211");
	byod_buf_putf(&c, &rc, "ctrl_interface=%s\nlogger_stdout=-1\nlogger_stdout_level=2\n",
	    h->ctrl_dir && h->ctrl_dir[0] ? h->ctrl_dir : "/run/hostapd");
	byod_buf_putf(&c, &rc, "\n# IEEE 802.1X\nieee8021x=1\neapol_version=2\neap_reauth_period=0\n");
	if (h->wired)
		byod_buf_putf(&c, &rc, "use_pae_group_addr=1\n");
	byod_buf_putf(&c, &rc, "own_ip_addr=%s\nnas_identifier=%s\n", h->own_ip,
	    h->nas_id && h->nas_id[0] ? h->nas_id : "byod-ap");
	byod_buf_putf(&c, &rc,
	    "\n# RADIUS\nauth_server_addr=%s\nauth_server_port=%d\n"
	    "auth_server_shared_secret=%s\n",
	    h->radius_addr, h->auth_port, h->secret);
	byod_buf_putf(&c, &rc,
	    "acct_server_addr=%s\nacct_server_port=%d\nacct_server_shared_secret=%s\n"
	    "radius_acct_interim_interval=600\n",
	    h->radius_addr, h->acct_port, h->secret);
	if (h->das_port)
		byod_buf_putf(&c, &rc,
		    "\n# RFC 5176: Disconnect (and CoA) from the gateway\n"
		    "radius_das_port=%d\nradius_das_client=%s %s\n"
		    "radius_das_require_event_timestamp=1\n"
		    "radius_das_require_message_authenticator=1\n",
		    h->das_port, h->das_client, h->secret);
	if (!h->wired) {
		for (i = 0; i < pol->nsegments; i++)
			isolate |= pol->segments[i].isolate_clients;
		byod_buf_putf(&c, &rc,
		    "\n# the school network\nssid2=%s\nutf8_ssid=1\nhw_mode=g\nchannel=acs_survey\n"
		    "wpa=2\nwpa_key_mgmt=%s\nrsn_pairwise=CCMP\nieee80211w=%d\n",
		    hex, h->wpa3 ? "WPA-EAP-SHA256" : "WPA-EAP WPA-EAP-SHA256", h->wpa3 ? 2 : 1);
		byod_buf_putf(&c, &rc,
		    "\n# per-station VLAN from the RADIUS answer (RFC 3580)\n"
		    "dynamic_vlan=1\nvlan_file=%s\n",
		    h->vlan_file);
		if (isolate)
			byod_buf_putf(&c, &rc,
			    "# a segment asks isolate-clients: stations of this BSS do not\n"
			    "# talk to each other directly (the firewall drops it "
			    "between them too)\n"
			    "ap_isolate=1\n");
		if (h->passpoint_domain && h->passpoint_domain[0])
			byod_buf_putf(&c, &rc,
			    "\n# Passpoint (Hotspot 2.0): a phone with the school's Passpoint\n"
			    "# profile finds this network by its domain (the profile's HomeSP\n"
			    "# FQDN) and joins with EAP-TLS, its certificate, anonymous@realm\n"
			    "interworking=1\naccess_network_type=0\ninternet=1\n"
			    "# an educational venue: a secondary school\n"
			    "venue_group=2\nvenue_type=2\n"
			    "hs20=1\ndisable_dgaf=1\n"
			    "domain_name=%s\nnai_realm=0,%s,13[5:6]\n",
			    h->passpoint_domain, h->passpoint_realm);
		byod_buf_putf(&v, &rc, "# VLAN ID and the interface of each segment (hostapd vlan_file)\n");
		for (i = 0; i < pol->nsegments; i++)
			byod_buf_putf(&v, &rc, "%d %s.%d\n", pol->segments[i].vlan, h->uplink,
			    pol->segments[i].vlan);
		if (onb)
			onboarding(&c, &rc, h,
				   h->ctrl_dir && h->ctrl_dir[0] ? h->ctrl_dir : "/run/hostapd");
	}
	if (rc) {
		byod_buf_free(&c);
		byod_buf_free(&v);
		return byod_err_set(err, -rc, "out of memory");
	}
	/* neither is empty, so neither take can fail */
	*conf = byod_buf_take(&c, NULL);
	*vlans = h->wired ? NULL : byod_buf_take(&v, NULL);
	return 0;
}
