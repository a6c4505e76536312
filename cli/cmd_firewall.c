// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * byodctl firewall show | check | apply: the nftables ruleset rendered
 * from the running segment policy and the firewall.* configuration;
 * printed, checked by libnftables without touching the kernel's ruleset,
 * or applied to the current network namespace as one transaction.
 * byodctl firewall links [--json] | links apply: each segment's interface
 * (firewall/links.c) read back from the kernel, or made ready: vlan
 * sub-interfaces created and addressed, existing ones checked and brought
 * up.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byodctl.h"
#include "firewall.h"
#include "links.h"

#define USAGE "firewall show|check|apply | firewall links [--json] | firewall links apply"

static int print_link(void *arg, const struct fw_link_state *st)
{
	const char *state = !st->exists ? "absent" : !st->admin_up ? "down" : st->operstate;
	char addrs[FW_LINK_ADDRS_MAX * 20 + 8] = "";
	size_t i, used = 0;

	if (arg) {
		json_t *o = json_pack("{s:s, s:s, s:i, s:s, s:b, s:i, s:s, s:b, s:b, s:s, s:s, "
				      "s:b, s:I, s:I, s:I, s:I, s:I, s:I}",
				      "segment", st->spec.segment, "interface", st->spec.ifname,
				      "vlan", st->spec.vlan, "mode",
				      st->spec.existing ? "existing" : "vlan", "exists", st->exists,
				      "ifindex", st->ifindex, "state", state, "admin-up",
				      st->admin_up, "oper-up", st->oper_up, "mac", st->mac,
				      "gateway", st->spec.gateway_text, "has-gateway",
				      st->has_gateway, "rx-packets", (json_int_t)st->rx_packets,
				      "rx-bytes", (json_int_t)st->rx_bytes, "rx-dropped",
				      (json_int_t)st->rx_dropped, "tx-packets",
				      (json_int_t)st->tx_packets, "tx-bytes", (json_int_t)st->tx_bytes,
				      "tx-dropped", (json_int_t)st->tx_dropped);
		json_t *a = json_array();

		for (i = 0; o && a && i < st->naddrs; i++)
			if (json_array_append_new(a, json_string(st->addrs[i])))
				break;
		if (!o || !a || i < st->naddrs || json_object_set_new(o, "addresses", a)) {
			json_decref(o);
			return -ENOMEM;
		}
		return json_array_append_new(arg, o) ? -ENOMEM : 0;
	}
	for (i = 0; i < st->naddrs && used < sizeof(addrs); i++)
		used += (size_t)snprintf(addrs + used, sizeof(addrs) - used, "%s%s", i ? "," : "",
					 st->addrs[i]);
	printf("%-14s %-15s %-14s %-20s %10llu %12llu %10llu %12llu %8llu\n", st->spec.segment,
	       st->spec.ifname, state, addrs[0] ? addrs : "-", (unsigned long long)st->rx_packets,
	       (unsigned long long)st->rx_bytes, (unsigned long long)st->tx_packets,
	       (unsigned long long)st->tx_bytes,
	       (unsigned long long)(st->rx_dropped + st->tx_dropped));
	return 0;
}

/* What links apply did: changes and checks on stdout, warnings on stderr. */
static void print_note(void *arg, enum fw_links_note_kind kind, const char *segment,
		       const char *text)
{
	(void)arg;
	if (kind == FW_LINKS_WARN)
		fprintf(stderr, "byodctl: warning: %s%s%s%s\n", segment ? "segment " : "",
			segment ? segment : "", segment ? ": " : "", text);
	else
		printf("%s: %s\n", segment ? segment : "uplink", text);
}

/* byodctl firewall links [--json] | links apply */
static int firewall_links(const char *home, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct byod_fw_setup fw = { 0 };
	struct pol_policy *pol = NULL;
	struct byod_ctx *ctx = NULL;
	struct byod_err err;
	json_t *list = NULL;
	int c, rc, apply = 0;

	memset(&err, 0, sizeof(err));
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'j')
			return json_decref(list), cli_usage(USAGE);
		list = list ? list : json_array();
	}
	if (optind < argc && !strcmp(argv[optind], "apply") && !list) {
		apply = 1;
		optind++;
	}
	if (optind != argc)
		return json_decref(list), cli_usage(USAGE);
	rc = cli_open(home, &ctx);
	if (rc)
		return json_decref(list), rc;
	rc = byod_policy_load(ctx, 0, &pol, NULL, &err);
	if (!rc)
		rc = byod_fw_setup(ctx, pol, &fw, &err);
	if (rc) {
		rc = cli_fail_err(&err);
		goto out;
	}
	if (apply) {
		rc = fw_links_apply(pol, &fw.cfg, print_note, NULL, &err);
		if (!rc)
			printf("links ready (%zu segments)\n", pol->nsegments);
	} else {
		if (!list)
			printf("%-14s %-15s %-14s %-20s %10s %12s %10s %12s %8s\n", "SEGMENT",
			       "INTERFACE", "STATE", "ADDRESSES", "RX-PKTS", "RX-BYTES", "TX-PKTS",
			       "TX-BYTES", "DROPS");
		rc = fw_links_state(pol, &fw.cfg, print_link, list, &err);
		if (rc == -ENOMEM && !err.msg[0])
			byod_err_set(&err, ENOMEM, "out of memory");
	}
	if (rc) {
		rc = cli_fail_err(&err);
		goto out;
	}
	if (list) {
		rc = cli_json(list);
		list = NULL;
	}
out:
	json_decref(list);
	byod_fw_setup_free(&fw);
	pol_free(pol);
	byod_close(ctx);
	return rc;
}

/* show | check | apply: the ruleset with the devices' state as the
 * registry has it (admitted stations, quarantine; of gateway.school's
 * devices when it is set), as byod-gatewayd would apply it -- an apply
 * while the daemon runs keeps every station where it is. */
int cli_firewall(const char *home, int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	struct byod_fw_state st;
	struct pol_policy *pol = NULL;
	struct byod_ctx *ctx = NULL;
	struct byod_err err;
	char *text = NULL;
	int rc;

	if (argc >= 2 && !strcmp(what, "links"))
		return firewall_links(home, argc - 1, argv + 1);
	if (argc != 2 || (strcmp(what, "show") && strcmp(what, "check") && strcmp(what, "apply")))
		return cli_usage(USAGE);
	rc = cli_open(home, &ctx);
	if (rc)
		return rc;
	byod_fw_state_init(&st);
	/* the devices of gateway.school only, as the daemon on this box */
	snprintf(st.school, sizeof(st.school), "%s",
		 ctx->conf.gateway_school ? ctx->conf.gateway_school : "");
	rc = 0;
	if (st.school[0]) {
		struct reg_school school;

		rc = reg_school_get(ctx->reg, st.school, &school, &err);
		if (rc == -ENOENT)
			rc = byod_err_set(&err, ENOENT, "school %s (gateway.school) is not in the registry",
					  st.school);
	}
	if (!rc)
		rc = byod_policy_load(ctx, 0, &pol, NULL, &err);
	if (!rc)
		rc = byod_fw_state_load(ctx, pol, time(NULL), &st, &err);
	if (!rc)
		rc = byod_fw_state_render(ctx, pol, &st, &text, &err);
	if (!rc && strcmp(what, "show"))
		rc = fw_nft_run(text, !strcmp(what, "check"), &err);
	if (rc) {
		rc = cli_fail_err(&err);
		goto out;
	}
	if (!strcmp(what, "show"))
		fputs(text, stdout);
	else if (!strcmp(what, "apply"))
		printf("ruleset applied (table inet byod)\n");
	else
		printf("ruleset accepted by nftables\n");
out:
	free(text);
	byod_fw_state_free(&st);
	pol_free(pol);
	byod_close(ctx);
	return rc;
}
