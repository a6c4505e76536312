/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hostapd.conf for the school's access points (or the lab's wired port):
 * 802.1X against the gateway's FreeRADIUS, accounting, the RFC 5176 DAS
 * (Disconnect/CoA) the gateway uses to act at once, and per-station VLANs
 * from the RADIUS answers (dynamic_vlan with a vlan_file listing the
 * policy's segments); beside it, the onboarding SSID where a new device
 * reaches the portal, open or in OWE transition mode (an open BSS and a
 * hidden Enhanced Open one pointing at each other, so that a phone that can
 * joins encrypted, without a password, and the others still get on).
 */
#ifndef BYOD_HOSTAPD_H
#define BYOD_HOSTAPD_H

#include "byod_err.h"
#include "policy.h"

struct fw_hostapd {
	const char *interface;   /* "wlan0", or the wired port */
	int wired;               /* driver=wired: no SSID, no WPA, no dynamic VLAN */
	const char *ssid;        /* wifi.ssid (wireless) */
	int wpa3;                /* wifi.security wpa3 */
	const char *radius_addr; /* the RADIUS server (IPv4) */
	int auth_port, acct_port;
	const char *secret;      /* RADIUS and DAS shared secret */
	const char *own_ip;      /* NAS-IP-Address */
	const char *nas_id;      /* NAS-Identifier */
	int das_port;            /* 0: no DAS */
	const char *das_client;  /* the gateway's address, allowed to send DAS requests */
	const char *ctrl_dir;    /* ctrl_interface directory */
	const char *vlan_file;   /* path the configuration names (wireless) */
	const char *uplink;      /* the VLAN sub-interfaces' parent (wireless) */
	const char *onboarding_ssid; /* wifi.onboarding-ssid (wireless): NULL or "" for none */
	int onboarding_owe;      /* wifi.onboarding-security owe-transition */
	/* Passpoint (Hotspot 2.0) on the school network (wireless), so that a
	 * phone with the school's Passpoint profile finds it by itself: the
	 * profile's HomeSP FQDN (ANQP domain name) and the realm of its
	 * anonymous outer identity (NAI realm, EAP-TLS with a certificate);
	 * NULL or "": not announced. byod_passpoint_names gives both. */
	const char *passpoint_domain;
	const char *passpoint_realm;
};

/* The onboarding BSSes' interfaces: "<interface>-onb" (open) and
 * "<interface>-owe" (hidden OWE); their stations are the registration
 * segment's (firewall.links). The hidden OWE SSID is the onboarding SSID
 * followed by FW_OWE_SSID_SUFFIX. */
#define FW_ONB_SUFFIX	   "-onb"
#define FW_OWE_SUFFIX	   "-owe"
#define FW_OWE_SSID_SUFFIX "-OWE"

/*
 * Writes the configuration into *conf and, for a wireless configuration,
 * the vlan_file ("<vid> <uplink>.<vid>" per segment) into *vlans (NULL for
 * wired); both malloc'd. -EINVAL with err for a value hostapd would misread
 * (an interface name, an SSID over 32 bytes, a secret with a control
 * character, an address that is not IPv4), an onboarding SSID that is the
 * school network's or does not fit with its suffix, a Passpoint domain or
 * realm that is not a DNS name, -ENOMEM.
 */
int fw_hostapd_config(const struct pol_policy *pol, const struct fw_hostapd *h, char **conf,
		      char **vlans, struct byod_err *err);

#endif /* BYOD_HOSTAPD_H */
