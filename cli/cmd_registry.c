// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * byodctl registry SUBCOMMAND: the registry as a whole (copy: the school
 * into another registry, cmd_registry_copy.c; roles: the PostgreSQL roles
 * of each program, cmd_registry_roles.c; migrate: the schema brought to this
 * program's newest, which opening the registry read-write does, and which
 * the package's upgrade runs).
 */
#include <stdio.h>
#include <string.h>

#include "byodctl.h"

static int registry_migrate(const char *home)
{
	struct byod_ctx *ctx;
	struct byod_err err;
	int rc, version;

	rc = cli_open(home, &ctx);
	if (rc)
		return rc;
	if (reg_schema_version(ctx->reg, &version, &err))
		rc = cli_fail_err(&err);
	else
		printf("registry at schema version %d (the newest: %d)\n", version,
		       reg_schema_newest(ctx->reg));
	byod_close(ctx);
	return rc;
}

int cli_registry(const char *home, int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "copy"))
		return cli_registry_copy(home, argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "roles"))
		return cli_registry_roles(home, argc - 1, argv + 1);
	if (argc == 2 && !strcmp(argv[1], "migrate"))
		return registry_migrate(home);
	return cli_usage("registry takes: copy, migrate, roles");
}
