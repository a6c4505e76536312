// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Host names as devices check them: the syntax of a DNS name, and the
 * Passpoint (Hotspot 2.0) names derived from byod.conf. Android installs a
 * Passpoint profile with the HomeSP FQDN as wpa_supplicant's
 * domain_suffix_match (AOSP PasspointProvider.getWifiConfig), which accepts
 * the RADIUS server only when one of its certificate's DNS names is the FQDN
 * or ends in "." FQDN, label by label. So the FQDN is not configured on its
 * own: it is derived from radius.server-name, the name byodctl init puts in
 * the RADIUS certificate, and cannot disagree with it.
 */
#include "byod_util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int byod_dns_name_check(const char *name)
{
	size_t label = 0, n = name ? strlen(name) : 0;
	const char *p;

	if (n == 0 || n > BYOD_DNS_MAX - 1)
		return -EINVAL;
	for (p = name; *p; p++) {
		char c = *p;

		if (c == '.') {
			/* no empty label, none ending in a hyphen */
			if (label == 0 || p[-1] == '-')
				return -EINVAL;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			   (c >= '0' && c <= '9') || (c == '-' && label > 0)) {
			if (++label > 63)
				return -EINVAL;
		} else {
			return -EINVAL;
		}
	}
	return label > 0 && p[-1] != '-' ? 0 : -EINVAL;
}

int byod_passpoint_names(const char *server_name, const char *realm_key, char fqdn[BYOD_DNS_MAX],
			 char realm[BYOD_DNS_MAX], struct byod_err *err)
{
	const char *dot, *parent;

	fqdn[0] = realm[0] = '\0';
	if (byod_dns_name_check(server_name))
		return byod_err_set(err, EINVAL,
				    "radius.server-name '%s' is not a DNS name: devices check the "
				    "RADIUS server's certificate against it",
				    server_name ? server_name : "");
	/* the domain above the server when it still has two labels
	 * (radius.byod.lan -> byod.lan): it names the school's network and
	 * matches every RADIUS node named under it; never a bare top-level
	 * label, which would name no one (radius.lan stays radius.lan) */
	dot = strchr(server_name, '.');
	parent = dot && strchr(dot + 1, '.') ? dot + 1 : server_name;
	snprintf(fqdn, BYOD_DNS_MAX, "%s", parent);
	if (!realm_key || !realm_key[0]) {
		snprintf(realm, BYOD_DNS_MAX, "%s", fqdn);
		return 0;
	}
	if (byod_dns_name_check(realm_key))
		return byod_err_set(err, EINVAL,
				    "wifi.passpoint-realm '%s' is not a realm: it must be a domain "
				    "name such as %s (or empty, for %s)",
				    realm_key, fqdn, fqdn);
	snprintf(realm, BYOD_DNS_MAX, "%s", realm_key);
	return 0;
}
