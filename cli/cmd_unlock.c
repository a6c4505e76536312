// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * byodctl unlock ...: a teacher's opening of the network to one of their
 * classes, from the box (the portal's "Ouvrir le Wi-Fi pour ma classe"
 * does the same through core/unlock.c): open for N minutes (at most 120),
 * close early, list the live ones. The audit log names the teacher.
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

static json_t *unlock_json(const struct reg_unlock *u)
{
	char starts[32], ends[32];

	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s}", "id", (json_int_t)u->id, "school",
			 u->school, "group", u->group, "teacher", u->teacher_login, "starts",
			 byod_time_iso(u->starts, starts, sizeof(starts)), "ends",
			 byod_time_iso(u->ends, ends, sizeof(ends)));
}

static int teacher_get(struct byod_ctx *ctx, const char *login, struct reg_person *out,
		       struct byod_err *err)
{
	if (!login)
		return byod_err_set(err, EINVAL, "say which teacher: --teacher LOGIN");
	return reg_person_get(ctx->reg, login, out, err);
}

static int cmd_open(struct byod_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{"teacher", required_argument, NULL, 't'},
		{"group", required_argument, NULL, 'g'},
		{"minutes", required_argument, NULL, 'm'},
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	const char *login = NULL, *group = NULL;
	struct reg_person teacher;
	struct reg_unlock u;
	struct byod_err err;
	char *end, until[32];
	long minutes = -1;
	int c, json = 0;

	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 't') {
			login = optarg;
		} else if (c == 'g') {
			group = optarg;
		} else if (c == 'j') {
			json = 1;
		} else if (c == 'm') {
			minutes = strtol(optarg, &end, 10);
			if (!optarg[0] || *end)
				return cli_fail("'%s' is not a number of minutes", optarg);
		} else {
			return cli_usage(NULL);
		}
	}
	if (optind != argc || !login || !group || minutes < 0)
		return cli_usage("unlock open needs --teacher LOGIN --group G --minutes N");
	if (minutes > 1000)
		minutes = 1000; /* refused below, in the same words */
	if (teacher_get(ctx, login, &teacher, &err) ||
	    byod_unlock_open(ctx, &teacher, group, (int)minutes, &u, &err))
		return cli_fail_err(&err);
	if (json)
		return cli_json(unlock_json(&u));
	printf("unlock %lld: the class %s of %s is open until %s (opened by %s)\n", (long long)u.id,
	       u.group, u.school, byod_time_iso(u.ends, until, sizeof(until)), u.teacher_login);
	return 0;
}

static int cmd_close(struct byod_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{"teacher", required_argument, NULL, 't'},
		{NULL, 0, NULL, 0},
	};
	const char *login = NULL;
	struct reg_person teacher;
	struct byod_err err;
	char *end;
	long long id;
	int c;

	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 't')
			login = optarg;
		else
			return cli_usage(NULL);
	}
	if (optind != argc - 1 || !login)
		return cli_usage("unlock close needs ID --teacher LOGIN");
	id = strtoll(argv[optind], &end, 10);
	if (!argv[optind][0] || *end || id <= 0)
		return cli_fail("'%s' is not an unlock id", argv[optind]);
	if (teacher_get(ctx, login, &teacher, &err) || byod_unlock_close(ctx, &teacher, id, &err))
		return cli_fail_err(&err);
	printf("unlock %lld closed\n", id);
	return 0;
}

static int print_unlock(const struct reg_unlock *u, void *arg)
{
	char starts[32], ends[32];

	if (arg)
		return json_array_append_new(arg, unlock_json(u));
	printf("%-6lld %-9s %-12s %-20s %s -> %s\n", (long long)u->id, u->school, u->group,
	       u->teacher_login, byod_time_iso(u->starts, starts, sizeof(starts)),
	       byod_time_iso(u->ends, ends, sizeof(ends)));
	return 0;
}

static int cmd_list(struct byod_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{"school", required_argument, NULL, 's'},
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	const char *school = NULL;
	struct byod_err err;
	json_t *list = NULL;
	int c;

	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 's')
			school = optarg;
		else if (c == 'j' && !list)
			list = json_array();
		else
			goto usage;
	}
	if (optind != argc)
		goto usage;
	if (reg_unlock_list_active(ctx->reg, school, time(NULL), print_unlock, list, &err)) {
		json_decref(list);
		return cli_fail_err(&err);
	}
	return list ? cli_json(list) : 0;
usage:
	json_decref(list);
	return cli_usage("unlock list takes only --school UAI and --json");
}

int cli_unlock(const char *home, int argc, char **argv)
{
	struct byod_ctx *ctx;
	int rc;

	if (argc < 2)
		return cli_usage("unlock takes: open, close, list");
	if (strcmp(argv[1], "open") && strcmp(argv[1], "close") && strcmp(argv[1], "list"))
		return cli_usage("unlock takes: open, close, list");
	rc = cli_open(home, &ctx);
	if (rc)
		return rc;
	if (!strcmp(argv[1], "open"))
		rc = cmd_open(ctx, argc, argv);
	else if (!strcmp(argv[1], "close"))
		rc = cmd_close(ctx, argc, argv);
	else
		rc = cmd_list(ctx, argc, argv);
	byod_close(ctx);
	return rc;
}
