// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * byodctl hostapd config: a hostapd.conf for the access points, or with
 * --wired for a lab's wired port, pointing at the gateway's FreeRADIUS and
 * letting the gateway send Disconnect/CoA (RFC 5176). An access point's
 * file also carries the onboarding SSID of byod.conf (wifi.onboarding-ssid),
 * open or in OWE transition mode (wifi.onboarding-security).
 *
 *   byodctl hostapd config [--out FILE] [--vlan-file FILE] [--interface IF]
 *       [--wired] [--radius ADDR] [--auth-port N] [--acct-port N]
 *       [--das-port N] [--das-client ADDR] [--own-ip ADDR] [--nas-id ID]
 *       (--secret-file FILE | --secret-stdin)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byod_util.h"
#include "byodctl.h"
#include "hostapd_conf.h"

int cli_hostapd(const char *home, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "vlan-file", required_argument, NULL, 'v' },
		{ "interface", required_argument, NULL, 'i' },
		{ "wired", no_argument, NULL, 'w' },
		{ "radius", required_argument, NULL, 'r' },
		{ "auth-port", required_argument, NULL, 'a' },
		{ "acct-port", required_argument, NULL, 'c' },
		{ "das-port", required_argument, NULL, 'd' },
		{ "das-client", required_argument, NULL, 'D' },
		{ "own-ip", required_argument, NULL, 'I' },
		{ "nas-id", required_argument, NULL, 'n' },
		{ "secret-file", required_argument, NULL, 'f' },
		{ "secret-stdin", no_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	struct fw_hostapd h = {
		.interface = "wlan0", .radius_addr = "127.0.0.1", .auth_port = 1812,
		.acct_port = 1813, .das_port = 3799, .das_client = "127.0.0.1",
		.own_ip = "127.0.0.1", .nas_id = "byod-ap", .ctrl_dir = "/run/hostapd",
	};
	const char *out = NULL, *vlan_out = NULL, *secret_file = NULL;
	char secret[256] = "", *file = NULL, *conf = NULL, *vlans = NULL;
	char fqdn[BYOD_DNS_MAX], realm[BYOD_DNS_MAX];
	struct pol_policy *pol = NULL;
	struct byod_ctx *ctx;
	struct byod_err err;
	int c, rc, from_stdin = 0;

	if (argc < 2 || strcmp(argv[1], "config"))
		return cli_usage("hostapd takes: config");
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'o')
			out = optarg;
		else if (c == 'v')
			vlan_out = optarg;
		else if (c == 'i')
			h.interface = optarg;
		else if (c == 'w')
			h.wired = 1;
		else if (c == 'r')
			h.radius_addr = optarg;
		else if (c == 'D')
			h.das_client = optarg;
		else if (c == 'I')
			h.own_ip = optarg;
		else if (c == 'n')
			h.nas_id = optarg;
		else if (c == 'f')
			secret_file = optarg;
		else if (c == 's')
			from_stdin = 1;
		else if ((c == 'a' && byod_port_parse(optarg, 1, &h.auth_port)) ||
			 (c == 'c' && byod_port_parse(optarg, 1, &h.acct_port)) ||
			 (c == 'd' && byod_port_parse(optarg, 1, &h.das_port)))
			return cli_fail("'%s' is not a port", optarg);
		else if (c != 'a' && c != 'c' && c != 'd')
			return cli_usage(NULL);
	}
	if (optind != argc || !!secret_file == from_stdin)
		return cli_usage("hostapd config needs --secret-file FILE or --secret-stdin");
	if (from_stdin) {
		if (!fgets(secret, sizeof(secret), stdin))
			return cli_fail("no secret on standard input");
	} else {
		if (byod_file_read(secret_file, &file, NULL, &err))
			return cli_fail_err(&err);
		snprintf(secret, sizeof(secret), "%s", file);
		explicit_bzero(file, strlen(file));
		free(file);
	}
	secret[strcspn(secret, "\r\n")] = '\0';
	h.secret = secret;
	rc = cli_open(home, &ctx);
	if (rc)
		goto wipe;
	rc = byod_policy_load(ctx, 0, &pol, NULL, &err);
	if (!rc) {
		h.ssid = ctx->conf.wifi_ssid;
		h.wpa3 = ctx->conf.wifi_security == 1;
		h.uplink = ctx->conf.firewall_uplink;
		h.vlan_file = vlan_out ? vlan_out : "/etc/hostapd/byod.vlan";
		h.onboarding_ssid = ctx->conf.wifi_onboarding_ssid;
		h.onboarding_owe = ctx->conf.wifi_onboarding_security == 1;
		rc = byod_passpoint_names(ctx->conf.radius_server_name, ctx->conf.wifi_passpoint_realm,
					  fqdn, realm, &err);
	}
	if (!rc) {
		h.passpoint_domain = fqdn;
		h.passpoint_realm = realm;
		rc = fw_hostapd_config(pol, &h, &conf, &vlans, &err);
	}
	if (!rc && out)
		rc = byod_file_write(out, conf, strlen(conf), 0600, 0, &err);
	else if (!rc)
		fputs(conf, stdout);
	if (!rc && vlans && vlan_out)
		rc = byod_file_write(vlan_out, vlans, strlen(vlans), 0644, 0, &err);
	if (rc)
		rc = cli_fail_err(&err);
	if (conf)
		explicit_bzero(conf, strlen(conf));
	free(conf);
	free(vlans);
	pol_free(pol);
	byod_close(ctx);
wipe:
	explicit_bzero(secret, sizeof(secret));
	return rc;
}
