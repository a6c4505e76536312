// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * byodctl session list [--all] [--device ID] [--json]: the accounting
 * sessions (open ones by default), the fleet's live view;
 * byodctl session disconnect ID: a Disconnect-Request (RFC 5176) to the NAS
 * holding session ID, its answer printed and written to the audit log.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byod_util.h"
#include "byodctl.h"

static int print_session(const struct reg_session *s, void *arg)
{
	char started[32], stopped[32] = "";

	byod_time_iso(s->started, started, sizeof(started));
	if (s->stopped)
		byod_time_iso(s->stopped, stopped, sizeof(stopped));
	if (arg) {
		json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I}",
				      "id", (json_int_t)s->id, "state",
				      reg_session_state_name(s->state), "session-id", s->session_id,
				      "nas", s->nas_ip, "nas-id", s->nas_id, "device", s->device,
				      "mac", s->mac, "ip", s->ip, "serial", s->serial, "started",
				      started, "in-octets", (json_int_t)s->in_octets, "out-octets",
				      (json_int_t)s->out_octets);

		if (o && s->stopped)
			json_object_set_new(o, "stopped", json_string(stopped));
		return o ? json_array_append_new(arg, o) : -ENOMEM;
	}
	printf("%-6lld %-6s %-17s %-15s %-15s %-36s %s%s%s\n", (long long)s->id,
	       reg_session_state_name(s->state), s->mac[0] ? s->mac : "-",
	       s->ip[0] ? s->ip : "-", s->nas_ip, s->device[0] ? s->device : "(unknown device)",
	       started, s->stopped ? " -> " : "", stopped);
	return 0;
}

static int session_list(struct byod_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "device", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const char *device = NULL;
	struct byod_err err;
	json_t *list = NULL;
	int c, rc, all = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'a')
			all = 1;
		else if (c == 'd')
			device = optarg;
		else if (c == 'j')
			list = list ? list : json_array();
		else
			return json_decref(list), cli_usage(NULL);
	}
	if (optind != argc)
		return json_decref(list), cli_usage("session list takes no argument");
	if (!list)
		printf("%-6s %-6s %-17s %-15s %-15s %-36s %s\n", "ID", "STATE", "MAC", "IP", "NAS",
		       "DEVICE", "STARTED");
	rc = reg_session_list(ctx->reg, !all, device, print_session, list, &err);
	if (rc) {
		json_decref(list);
		return cli_fail_err(&err);
	}
	return list ? cli_json(list) : 0;
}

static int session_disconnect(struct byod_ctx *ctx, int argc, char **argv)
{
	struct reg_session s;
	struct das_answer ans;
	struct byod_err err;
	char *end;
	long long id;
	int rc;

	if (argc != 2)
		return cli_usage("session disconnect takes one session ID (byodctl session list)");
	id = strtoll(argv[1], &end, 10);
	if (*end || id <= 0)
		return cli_fail("'%s' is not a session ID (byodctl session list)", argv[1]);
	rc = reg_session_get(ctx->reg, id, &s, &err);
	if (rc == -ENOENT)
		return cli_fail("no session %lld", id);
	if (rc)
		return cli_fail_err(&err);
	if (s.state != REG_SESSION_OPEN)
		return cli_fail("session %lld is already closed", id);
	rc = byod_session_disconnect(ctx, &s, 0, &ans, &err);
	if (rc)
		return cli_fail_err(&err);
	if (ans.code != DAS_DISCONNECT_ACK) {
		const char *cause = das_error_cause_name(ans.error_cause);

		return cli_fail("%s from %s: %d %s", das_code_name(ans.code), s.nas_ip,
				ans.error_cause, cause ? cause : "");
	}
	printf("%s from %s in %ld ms (%d %s)\n", das_code_name(ans.code), s.nas_ip, ans.ms,
	       ans.tries, ans.tries == 1 ? "try" : "tries");
	return 0;
}

int cli_session(const char *home, int argc, char **argv)
{
	struct byod_ctx *ctx;
	int rc;

	if (argc < 2 || (strcmp(argv[1], "list") && strcmp(argv[1], "disconnect")))
		return cli_usage("session list [--all] [--device ID] [--json] | session disconnect ID");
	rc = cli_open(home, &ctx);
	if (rc)
		return rc;
	rc = !strcmp(argv[1], "list") ? session_list(ctx, argc - 1, argv + 1)
				      : session_disconnect(ctx, argc - 1, argv + 1);
	byod_close(ctx);
	return rc;
}
