// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * byodctl registry roles [--apply]: on a PostgreSQL registry (registry.url),
 * the SQL creating one role per program (byod_radius, byod_gateway,
 * byod_portal, byod_admin) with only the rights it needs, printed for a
 * database administrator to read and run, or run at once with --apply as
 * the role byod.conf connects with (the registry's owner).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byodctl.h"

static int registry_roles(const char *home, int apply)
{
	struct byod_ctx *ctx;
	struct byod_err err;
	char *sql = NULL;
	int rc;

	rc = cli_open(home, &ctx);
	if (rc)
		return rc;
	rc = reg_roles_sql(ctx->reg, apply, &sql, &err) ? cli_fail_err(&err) : 0;
	if (!rc && apply)
		printf("created the roles byod_radius, byod_gateway, byod_portal and byod_admin "
		       "with their rights\n");
	else if (!rc)
		fputs(sql, stdout);
	free(sql);
	byod_close(ctx);
	return rc;
}

int cli_registry(const char *home, int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "roles")) {
		if (argc == 2)
			return registry_roles(home, 0);
		if (argc == 3 && !strcmp(argv[2], "--apply"))
			return registry_roles(home, 1);
		return cli_usage("registry roles takes only --apply");
	}
	return cli_usage("registry takes: roles [--apply]");
}
