// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * byodctl purge [--dry-run] [--json]: deletes what is past its retention
 * (byod_purge) and prints the counts; byodctl connections (--ip ADDR |
 * --mac MAC) --at TIME [--json]: the answer to a judicial requisition,
 * from the accounting sessions alone: which device, owner and access
 * point held the address at that instant.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "byod_util.h"
#include "byodctl.h"

static int purge_run(const char *home, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct byod_purge_report r;
	struct byod_ctx *ctx;
	struct byod_err err;
	int c, rc, dry = 0, json = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'n')
			dry = 1;
		else if (c == 'j')
			json = 1;
		else
			return cli_usage(NULL);
	}
	if (optind != argc)
		return cli_usage("purge takes no argument");
	rc = cli_open(home, &ctx);
	if (rc)
		return rc;
	rc = byod_purge(ctx, time(NULL), dry, &r, &err);
	byod_close(ctx);
	if (rc)
		return cli_fail_err(&err);
	if (json)
		return cli_json(json_pack(
			"{s:b, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i}", "dry-run",
			dry, "departed-people", r.departed_people, "departed-devices",
			r.departed_devices, "sessions-closed", r.sessions_closed, "sessions", r.sessions, "audit", r.audit, "portal", r.web,
			"console", r.admin_web, "enrolment-codes", r.enrol_codes, "oauth", r.oauth,
			"decisions",
			r.decisions, "people", r.people, "devices", r.devices, "crl-kept",
			r.crl_kept));
	printf("%s\n", dry ? "would delete (dry run):" : "deleted:");
	printf("  %-44s %d people, %d devices\n", "departures applied", r.departed_people,
	       r.departed_devices);
	printf("  %-44s %d\n", "open sessions silent, closed at last update", r.sessions_closed);
	printf("  %-44s %d\n", "accounting sessions (retention.sessions)", r.sessions);
	printf("  %-44s %d\n", "audit rows (retention.audit)", r.audit);
	printf("  %-44s %d\n", "portal sessions, tokens, links, throttle", r.web);
	printf("  %-44s %d\n", "console sessions and API tokens", r.admin_web);
	printf("  %-44s %d\n", "enrolment codes", r.enrol_codes);
	printf("  %-44s %d\n", "geteduroam requests, codes, tokens, grants", r.oauth);
	printf("  %-44s %d\n", "decision counts (retention.decisions)", r.decisions);
	printf("  %-44s %d people, %d devices\n", "disabled accounts (retention.people)", r.people,
	       r.devices);
	printf("  %-44s %d\n", "ended certificates of erased devices", r.crl_kept);
	return 0;
}

/*
 * An instant in ISO 8601 with its offset: "2026-12-03T09:15:00Z",
 * "2026-12-03T10:15:00+01:00" or "+0100" (seconds may be left out). An
 * instant without an offset is refused: a requisition names one instant,
 * and a local time is two of them once a year.
 */
static int parse_instant(const char *s, time_t *out)
{
	struct tm tm;
	const char *end;
	int sign, hh, mm, n = 0;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M", &tm);
	if (!end)
		return -EINVAL;
	if (*end == ':') {
		const char *e = strptime(end + 1, "%S", &tm);

		if (!e)
			return -EINVAL;
		end = e;
	}
	*out = timegm(&tm);
	if (!strcmp(end, "Z"))
		return 0;
	if (*end != '+' && *end != '-')
		return -EINVAL;
	sign = *end == '-' ? -1 : 1;
	if ((sscanf(end + 1, "%2d:%2d%n", &hh, &mm, &n) != 2 || end[1 + n]) &&
	    (sscanf(end + 1, "%2d%2d%n", &hh, &mm, &n) != 2 || end[1 + n] || n != 4))
		return -EINVAL;
	if (hh > 18 || mm > 59)
		return -EINVAL;
	*out -= sign * (hh * 3600 + mm * 60);
	return 0;
}

struct conn_out {
	json_t *list;
	int n;
};

static int print_connection(const struct reg_connection *c, void *arg)
{
	const struct reg_session *s = &c->session;
	struct conn_out *o = arg;
	char started[32], stopped[32] = "", updated[32];

	byod_time_iso(s->started, started, sizeof(started));
	byod_time_iso(s->updated, updated, sizeof(updated));
	if (s->stopped)
		byod_time_iso(s->stopped, stopped, sizeof(stopped));
	o->n++;
	if (o->list) {
		json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, "
				      "s:s, s:s, s:s?}",
				      "ip", s->ip, "mac", s->mac, "device", s->device,
				      "device-name", c->device_name, "owner", c->owner_login,
				      "owner-name", c->owner_name, "school", c->school, "nas",
				      s->nas_ip, "nas-id", s->nas_id, "session-id", s->session_id,
				      "serial", s->serial, "started", started, "last-update",
				      updated, "stopped", s->stopped ? stopped : NULL);

		return j ? json_array_append_new(o->list, j) : -ENOMEM;
	}
	printf("address %s  MAC %s\n", s->ip[0] ? s->ip : "-", s->mac[0] ? s->mac : "-");
	printf("  device   %s%s%s%s\n", s->device[0] ? s->device : "(unknown or erased)",
	       c->device_name[0] ? " \"" : "", c->device_name, c->device_name[0] ? "\"" : "");
	printf("  owner    %s%s%s%s\n", c->owner_login[0] ? c->owner_login : "-",
	       c->owner_name[0] ? " (" : "", c->owner_name, c->owner_name[0] ? ")" : "");
	printf("  school   %s\n", c->school[0] ? c->school : "-");
	printf("  NAS      %s%s%s\n", s->nas_ip[0] ? s->nas_ip : "-", s->nas_id[0] ? " " : "",
	       s->nas_id);
	printf("  session  %s, from %s to %s\n", s->session_id, started,
	       s->stopped ? stopped : "(still open)");
	/* an open session is taken to hold its address only until its last
	 * update plus REG_SESSION_OPEN_MARGIN: the requisition reads when it
	 * was last heard of */
	printf("  last update %s%s\n", updated,
	       s->stopped ? "" : " (open: held until this plus the margin, unless stopped)");
	return 0;
}

static int connections_run(const char *home, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ip", required_argument, NULL, 'i' },
		{ "mac", required_argument, NULL, 'm' },
		{ "at", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const char *ip = NULL, *mac = NULL, *at_text = NULL;
	struct conn_out o = { NULL, 0 };
	struct byod_ctx *ctx;
	struct byod_err err;
	char object[64], iso[32];
	time_t at;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'i')
			ip = optarg;
		else if (c == 'm')
			mac = optarg;
		else if (c == 'a')
			at_text = optarg;
		else if (c == 'j')
			o.list = o.list ? o.list : json_array();
		else
			return json_decref(o.list), cli_usage(NULL);
	}
	if (optind != argc || !at_text || !ip == !mac)
		return json_decref(o.list),
		       cli_usage("connections (--ip ADDR | --mac MAC) --at TIME [--json]");
	if (parse_instant(at_text, &at))
		return json_decref(o.list),
		       cli_fail("'%s' is not an instant with its offset, such as "
				"2026-12-03T10:15:00+01:00 or 2026-12-03T09:15:00Z",
				at_text);
	rc = cli_open(home, &ctx);
	if (rc)
		return json_decref(o.list), rc;
	rc = reg_connection_find(ctx->reg, ip, mac, at, print_connection, &o, &err);
	if (!rc) {
		/* who looked the legal log up, for what: the audit trail of
		 * requisitions */
		snprintf(object, sizeof(object), "%s@%s", ip ? ip : mac,
			 byod_time_iso(at, iso, sizeof(iso)));
		rc = reg_audit_add(ctx->reg, "connections.lookup", object, NULL, NULL, &err);
	}
	byod_close(ctx);
	if (rc)
		return json_decref(o.list), cli_fail_err(&err);
	if (o.list)
		return cli_json(o.list);
	if (!o.n)
		printf("no accounting session held %s at %s\n", ip ? ip : mac, iso);
	return 0;
}

int cli_purge(const char *home, int argc, char **argv)
{
	return purge_run(home, argc, argv);
}

int cli_connections(const char *home, int argc, char **argv)
{
	return connections_run(home, argc, argv);
}
