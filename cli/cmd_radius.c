// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * byodctl radius config: writes the private raddb that `freeradius -f -d
 * DIR` starts with rlm_byod loaded, from the templates shipped with the
 * module (radius-module/raddb, installed as share/byod/raddb).
 * byodctl radius status: what the module's status file says (the
 * registry reachable or not since when, accounting records waiting in its
 * journal), written by rlm_byod under its spool directory.
 * byodctl radius enable|disable: in the stock configuration instead
 * (cmd_radius_stock.c).
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "byod_util.h"
#include "byodctl.h"

/* A path relative to this program's directory that exists, resolved into
 * out; -1 when there is none. */
static int beside_self(const char *rel, char *out, size_t len)
{
	char self[PATH_MAX], path[PATH_MAX + 64], real[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0)
		return -1;
	self[n] = '\0';
	snprintf(path, sizeof(path), "%s/%s", dirname(self), rel);
	if (!realpath(path, real) || access(real, R_OK))
		return -1;
	snprintf(out, len, "%s", real);
	return 0;
}

/* rlm_byod.so beside this program (build/bin -> build/lib), then the
 * server's own modules. */
static void default_libdir(char *out, size_t len)
{
	char lib[PATH_MAX];

	if (beside_self("../lib", lib, sizeof(lib)))
		snprintf(out, len, "/usr/lib/freeradius");
	else
		snprintf(out, len, "%s:/usr/lib/freeradius", lib);
}

/* The raddb templates beside this program (build/bin ->
 * build/share/byod/raddb, where the build copies radius-module/raddb; the
 * same from an installed bin/), else where they were installed. */
static void default_templates(char *out, size_t len)
{
	if (beside_self("../share/byod/raddb", out, len))
		snprintf(out, len, "%s", BYOD_RADDB_TEMPLATES);
}

/* SPOOL/status as rlm_byod wrote it: a sentence per fact, or the JSON. */
static int radius_status(const char *home, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "spool", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	char dir[PATH_MAX], path[PATH_MAX + 16];
	const char *spool = NULL;
	json_error_t jerr;
	json_t *st;
	int c, as_json = 0;

	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 's')
			spool = optarg;
		else if (c == 'j')
			as_json = 1;
		else
			return cli_usage("radius status takes [--spool DIR] [--json]");
	}
	if (!spool && byod_path_join(dir, sizeof(dir), home, "radius-spool"))
		return cli_fail("the state directory's path is too long");
	snprintf(path, sizeof(path), "%s/status", spool ? spool : dir);
	st = json_load_file(path, 0, &jerr);
	if (!st)
		return cli_fail("no status from rlm_byod in %s (has the RADIUS server started?): %s",
				path, jerr.text);
	if (as_json)
		return cli_json(st);
	printf("registry: %s%s%s\n", json_string_value(json_object_get(st, "registry")),
	       json_object_get(st, "unreachable-since") ? " since " : "",
	       json_object_get(st, "unreachable-since")
		       ? json_string_value(json_object_get(st, "unreachable-since"))
		       : "");
	printf("index: %lld devices, %lld certificates, change feed at %lld\n",
	       (long long)json_integer_value(json_object_get(st, "devices")),
	       (long long)json_integer_value(json_object_get(st, "certificates")),
	       (long long)json_integer_value(json_object_get(st, "feed-seq")));
	printf("accounting: %lld records spooled%s%s, %lld replayed, %lld damaged skipped\n",
	       (long long)json_integer_value(json_object_get(st, "accounting-spooled")),
	       json_object_get(st, "accounting-oldest") ? " since " : "",
	       json_object_get(st, "accounting-oldest")
		       ? json_string_value(json_object_get(st, "accounting-oldest"))
		       : "",
	       (long long)json_integer_value(json_object_get(st, "accounting-replayed")),
	       (long long)json_integer_value(json_object_get(st, "journal-damaged")));
	if (json_object_get(st, "decisions-pending"))
		printf("decision counts: %lld decisions waiting for the registry, %lld dropped\n",
		       (long long)json_integer_value(json_object_get(st, "decisions-pending")),
		       (long long)json_integer_value(json_object_get(st, "decisions-dropped")));
	printf("written: %s by process %lld\n",
	       json_string_value(json_object_get(st, "updated")),
	       (long long)json_integer_value(json_object_get(st, "pid")));
	json_decref(st);
	return 0;
}

int cli_radius(const char *home, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "auth-port", required_argument, NULL, 'a' },
		{ "acct-port", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'l' },
		{ "client", required_argument, NULL, 'n' },
		{ "libdir", required_argument, NULL, 'L' },
		{ "templates", required_argument, NULL, 't' },
		{ "registration-vlan", required_argument, NULL, 'r' },
		{ "secret-stdin", no_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	struct byod_radius_params p = { .listen = "127.0.0.1", .client = "127.0.0.1",
					.auth_port = 1812, .acct_port = 1813,
					.registration_vlan = 10 };
	char libdir[PATH_MAX + 32], templates[PATH_MAX], secret[256];
	struct byod_ctx *ctx;
	struct byod_err err;
	int c, rc;

	if (argc >= 2 && !strcmp(argv[1], "status"))
		return radius_status(home, argc, argv);
	if (argc >= 2 && (!strcmp(argv[1], "enable") || !strcmp(argv[1], "disable")))
		return cli_radius_stock(home, argc, argv);
	if (argc < 2 || strcmp(argv[1], "config"))
		return cli_usage("radius takes: config --out DIR, status, enable or disable");
	default_libdir(libdir, sizeof(libdir));
	p.libdir = libdir;
	default_templates(templates, sizeof(templates));
	p.templates = templates;
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			p.out = optarg;
			break;
		case 'a':
			if (byod_port_parse(optarg, 0, &p.auth_port))
				return cli_fail("'%s' is not a port", optarg);
			break;
		case 'c':
			if (byod_port_parse(optarg, 0, &p.acct_port))
				return cli_fail("'%s' is not a port", optarg);
			break;
		case 'l':
			p.listen = optarg;
			break;
		case 'n':
			p.client = optarg;
			break;
		case 'L':
			p.libdir = optarg;
			break;
		case 't':
			p.templates = optarg;
			break;
		case 'r':
			p.registration_vlan = atoi(optarg);
			break;
		case 's':
			if (!fgets(secret, sizeof(secret), stdin))
				return cli_fail("no secret on standard input");
			secret[strcspn(secret, "\r\n")] = '\0';
			p.secret = secret;
			break;
		default:
			return cli_usage(NULL);
		}
	}
	if (!p.out || optind != argc)
		return cli_usage("radius config needs --out DIR");
	rc = cli_open(home, &ctx);
	if (rc)
		return rc;
	if (byod_radius_config(ctx, &p, &err))
		rc = cli_fail_err(&err);
	else
		printf("wrote %s: start it with freeradius -f -d %s\n", p.out, p.out);
	byod_close(ctx);
	return rc;
}
