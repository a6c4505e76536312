// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * byodctl registry copy --to URL [--school UAI] [--no-policies] [--json]:
 * copies the school from the configured registry into another one (a
 * school on SQLite joining the département's PostgreSQL), all or nothing,
 * and prints per table the rows copied and their checksum, the same read
 * back from the destination. The work is registry/copy.c's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "byod_util.h"
#include "byodctl.h"

static json_t *report_json(const struct reg_copy_report *r, const char *to)
{
	json_t *tables = json_object(), *o;
	int i;

	for (i = 0; tables && i < REG_COPY_TABLES; i++)
		json_object_set_new(tables, r->t[i].table,
				    json_pack("{s:I, s:s, s:I, s:s}", "rows",
					      (json_int_t)r->t[i].rows, "sha256", r->t[i].sha256,
					      "destination-rows", (json_int_t)r->t[i].dst_rows,
					      "destination-sha256", r->t[i].dst_sha256));
	o = json_pack("{s:s, s:s, s:s, s:b, s:o*, s:I, s:i}", "school", r->uai, "name", r->name,
		      "to", to, "whole-registry", r->whole_registry, "tables", tables, "events",
		      (json_int_t)r->events, "counters", r->counters);
	return o;
}

static void report_print(const struct reg_copy_report *r, const char *to)
{
	int i;

	printf("copied %s (%s) to %s\n", r->uai, r->name, to);
	printf("%-13s %8s  %s\n", "TABLE", "ROWS", "SHA-256 (source = destination)");
	for (i = 0; i < REG_COPY_TABLES; i++)
		printf("%-13s %8zu  %s\n", r->t[i].table, r->t[i].rows, r->t[i].sha256);
	printf("%lld change-feed events written; %s\n", (long long)r->events,
	       r->whole_registry ? "the source held this school only: every row was copied"
				 : "the source holds other schools: their rows stayed");
	printf("not copied (transient): portal sessions, form tokens, downloads, login "
	       "throttling, enrolment codes, portal keys\n");
	printf("the school's CA is not in the registry: its pki/ca.pem and CRL go to the RADIUS "
	       "nodes of the destination\n");
}

int cli_registry_copy(const char *home, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "to", required_argument, NULL, 't' },
		{ "school", required_argument, NULL, 's' },
		{ "no-policies", no_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct reg_copy_opts o = { 0 };
	struct reg_copy_report rep;
	struct byod_ctx *ctx = NULL;
	struct reg *dst = NULL;
	struct byod_err err;
	struct reg_url url;
	const char *to = NULL;
	char actor[64], source[4200];
	int c, rc, json = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 't')
			to = optarg;
		else if (c == 's')
			o.uai = optarg;
		else if (c == 'p')
			o.skip_policies = 1;
		else if (c == 'j')
			json = 1;
		else
			return cli_usage(NULL);
	}
	if (!to || optind != argc)
		return cli_usage("registry copy needs --to URL");
	if (reg_url_parse(to, &url, &err))
		return cli_fail_err(&err);
	rc = cli_open(home, &ctx);
	if (rc)
		return rc;
	if (!o.uai)
		o.uai = ctx->conf.school_uai;
	if (!o.uai || !o.uai[0]) {
		rc = cli_fail("no school to copy: byod.conf has no school.uai; name one with "
			      "--school UAI");
		goto out;
	}
	if (ctx->conf.registry_backend == BYOD_REGISTRY_SQLITE) {
		if (byod_conf_path(&ctx->conf, ctx->conf.registry_path, source, sizeof(source)))
			snprintf(source, sizeof(source), "%s", ctx->conf.registry_path);
	} else {
		snprintf(source, sizeof(source), "the PostgreSQL registry of %s", home);
	}
	o.source = source;
	cli_actor(actor, sizeof(actor));
	if (reg_open_url(to, actor, ctx->conf.registry_busy_timeout_ms, &dst, &err)) {
		rc = cli_fail_err(&err);
		goto out;
	}
	if (reg_copy_school(ctx->reg, dst, &o, &rep, &err)) {
		rc = cli_fail_err(&err);
		goto out;
	}
	if (json)
		rc = cli_json(report_json(&rep, url.shown));
	else
		report_print(&rep, url.shown);
out:
	reg_close(dst);
	byod_close(ctx);
	return rc;
}
