// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * byodctl user sync FILE [--apply] [--leave-date DATE] [--school UAI]: the
 * rentrée from the year's export (core/sync.c). Without --apply it prints
 * what would change, one line per arrival, departure and class change;
 * with it, writes that in one transaction. A leaving date given as
 * YYYY-MM-DD is 00:00 UTC that day: from then the departures' devices are
 * refused at RADIUS, and the daily job disables them (a date not in the
 * future disables them at once). Also byodctl user leave LOGIN DATE|none
 * (one person's leaving date) and user departures (apply those due now,
 * as the daily job does).
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

static int parse_date(const char *s, time_t *out)
{
	if (byod_time_parse(s, out) || *out <= 0)
		return cli_fail("'%s' is not a date (YYYY-MM-DD, 00:00 UTC that day)", s);
	return 0;
}

static const char *plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static void print_plan(const char *file, const struct byod_sync_plan *sp)
{
	const struct byod_import_plan *ip = sp->import;
	size_t i;

	printf("%s: %zu %s, %zu %s, %zu class %s, %zu other %s", file, sp->arrivals,
	       plural(sp->arrivals, "arrival", "arrivals"), sp->ndepartures,
	       plural(sp->ndepartures, "departure", "departures"), sp->class_changes,
	       plural(sp->class_changes, "change", "changes"), sp->other_changes,
	       plural(sp->other_changes, "change", "changes"));
	if (sp->returns)
		printf(", %zu leaving %s cancelled", sp->returns,
		       plural(sp->returns, "date", "dates"));
	printf(" (schools %s)\n", sp->schools[0] ? sp->schools : "none");
	for (i = 0; i < ip->nitems; i++) {
		const struct byod_import_item *it = &ip->items[i];

		if (it->kind == BYOD_IMPORT_ADD)
			printf("arrival    %-24s %-8s %-9s %s\n", it->after.login,
			       byod_role_name(it->after.role), it->after.school,
			       it->after.groups[0] ? it->after.groups : "-");
	}
	for (i = 0; i < sp->ndepartures; i++) {
		const struct reg_person *p = &sp->departures[i];

		printf("departure  %-24s %-8s %-9s %s\n", p->login, byod_role_name(p->role),
		       p->school, p->groups[0] ? p->groups : "-");
	}
	for (i = 0; i < ip->nitems; i++) {
		const struct byod_import_item *it = &ip->items[i];

		if (it->kind != BYOD_IMPORT_UPDATE)
			continue;
		if (it->changes & BYOD_IMPORT_GROUPS)
			printf("class      %-24s %s -> %s\n", it->after.login,
			       it->before.groups[0] ? it->before.groups : "-",
			       it->after.groups[0] ? it->after.groups : "-");
		if (it->changes & ~BYOD_IMPORT_GROUPS)
			printf("change     %-24s%s%s%s\n", it->after.login,
			       it->changes & BYOD_IMPORT_NAME ? " name" : "",
			       it->changes & BYOD_IMPORT_ROLE ? " role" : "",
			       it->changes & BYOD_IMPORT_SCHOOL ? " school" : "");
	}
	for (i = 0; i < ip->nitems; i++) {
		const struct byod_import_item *it = &ip->items[i];

		if (it->kind != BYOD_IMPORT_ADD && it->before.leaves_at)
			printf("return     %-24s (its leaving date is cancelled)\n",
			       it->after.login);
	}
}

/* Every problem on stdout, one a line; the failure in one line on stderr. */
static int print_problems(const char *file, const struct byod_import_plan *ip)
{
	size_t i;

	for (i = 0; i < ip->nproblems; i++) {
		const struct byod_import_problem *pb = &ip->problems[i];

		if (pb->col)
			printf("%s:%d:%d: %s\n", file, pb->line, pb->col, pb->msg);
		else
			printf("%s:%d: %s\n", file, pb->line, pb->msg);
	}
	if (ip->more)
		printf("%s: and %zu more problems\n", file, ip->more);
	return cli_fail("%s: %zu %s, nothing written", file, ip->nproblems + ip->more,
			plural(ip->nproblems + ip->more, "problem", "problems"));
}

static int cmd_user_sync(struct byod_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{"apply", no_argument, NULL, 'a'},
		{"leave-date", required_argument, NULL, 'd'},
		{"school", required_argument, NULL, 's'},
		{NULL, 0, NULL, 0},
	};
	struct byod_sync_plan *sp = NULL;
	struct byod_sync_result res;
	struct reg_scope one, *scope = NULL;
	struct byod_err err;
	const char *file;
	char *data = NULL, when[32];
	size_t len = 0;
	time_t leave_at = 0, now = time(NULL);
	int c, apply = 0, rc;

	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			apply = 1;
			break;
		case 'd':
			if (parse_date(optarg, &leave_at))
				return 1;
			break;
		case 's':
			if (reg_scope_set(&one, optarg, &err) || strchr(optarg, ' '))
				return cli_fail("'%s' is not a UAI", optarg);
			scope = &one;
			break;
		default:
			return cli_usage(NULL);
		}
	}
	if (optind != argc - 1)
		return cli_usage("user sync needs FILE.csv [--apply] [--leave-date DATE] "
				 "[--school UAI]");
	file = argv[optind];
	if (byod_file_read(file, &data, &len, &err))
		return cli_fail_err(&err);
	rc = byod_sync_plan(ctx->reg, scope, file, data, len, &sp, &err);
	if (rc) {
		rc = cli_fail_err(&err);
		goto out;
	}
	if (sp->import->nproblems || sp->import->more) {
		rc = print_problems(file, sp->import);
		goto out;
	}
	print_plan(file, sp);
	if (!apply) {
		printf("nothing written (--apply writes it)\n");
		goto out;
	}
	if (sp->ndepartures && !leave_at) {
		rc = cli_fail("%zu %s: --leave-date YYYY-MM-DD is needed, nothing written",
			      sp->ndepartures, plural(sp->ndepartures, "departure", "departures"));
		goto out;
	}
	if (byod_sync_commit(ctx, scope, file, data, len, sp->digest, leave_at, now, &res, &err)) {
		rc = cli_fail_err(&err);
		goto out;
	}
	printf("synced: %d added, %d changed", res.added, res.updated);
	if (res.leaving)
		printf(", %d leaving on %s", res.leaving,
		       byod_time_iso(leave_at, when, sizeof(when)));
	if (res.left)
		printf(", %d disabled now (%d %s revoked)", res.left, res.devices,
		       plural((size_t)res.devices, "device", "devices"));
	printf("\n");
out:
	byod_sync_plan_free(sp);
	if (data) {
		explicit_bzero(data, len);
		free(data);
	}
	return rc;
}

static int cmd_user_leave(struct byod_ctx *ctx, int argc, char **argv)
{
	struct byod_err err;
	time_t at = 0;

	if (argc != 4)
		return cli_usage("user leave needs LOGIN DATE|none");
	if (strcmp(argv[3], "none") && parse_date(argv[3], &at))
		return 1;
	if (reg_person_set_leaves_at(ctx->reg, argv[2], at, &err))
		return cli_fail_err(&err);
	return 0;
}

static int cmd_user_departures(struct byod_ctx *ctx, int argc, char **argv)
{
	struct byod_err err;
	int people = 0, devices = 0, rc;

	if (argc != 2)
		return cli_usage("user departures takes nothing");
	rc = byod_departures_apply(ctx, time(NULL), &people, &devices, &err);
	printf("%d %s disabled, %d %s revoked\n", people,
	       plural((size_t)people, "person", "people"), devices,
	       plural((size_t)devices, "device", "devices"));
	return rc ? cli_fail_err(&err) : 0;
}

int cli_user_leaving(struct byod_ctx *ctx, int argc, char **argv)
{
	if (!strcmp(argv[1], "sync"))
		return cmd_user_sync(ctx, argc, argv);
	if (!strcmp(argv[1], "leave"))
		return cmd_user_leave(ctx, argc, argv);
	return cmd_user_departures(ctx, argc, argv);
}
