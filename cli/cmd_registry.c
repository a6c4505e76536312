// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * byodctl registry SUBCOMMAND: the registry as a whole (copy: the school
 * into another registry, cmd_registry_copy.c; roles: the PostgreSQL roles
 * of each program, cmd_registry_roles.c; migrate: its schema brought to
 * this program's, which byodctl doctor says to run when it finds it behind).
 */
#include <stdio.h>
#include <string.h>

#include "byod_conf.h"
#include "byodctl.h"
#include "registry.h"

/* Every program migrates the registry it opens; this says so in words,
 * from which version to which, for the administrator doctor sent here. */
static int registry_migrate(const char *home, int argc)
{
	struct byod_conf conf;
	struct byod_err err = {0};
	struct reg *reg = NULL;
	char actor[64];
	int before = -1, after = -1, rc;

	if (argc != 2)
		return cli_usage("registry migrate takes no argument");
	cli_actor(actor, sizeof(actor));
	rc = byod_conf_load_home(&conf, home, &err);
	if (!rc && !reg_open_conf_look(&conf, actor, &reg, &err) &&
	    reg_schema_version(reg, &before, &err))
		before = -1;
	reg_close(reg);
	reg = NULL;
	if (!rc)
		rc = reg_open_conf(&conf, actor, 0, &reg, &err);
	if (!rc)
		rc = reg_schema_version(reg, &after, &err);
	reg_close(reg);
	byod_conf_free(&conf);
	if (rc)
		return cli_fail_err(&err);
	if (before == after)
		printf("the registry's schema is version %d, this program's: nothing to do\n",
		       after);
	else if (before >= 0)
		printf("the registry's schema migrated from version %d to %d\n", before, after);
	else
		printf("the registry's schema is now version %d\n", after);
	return 0;
}

int cli_registry(const char *home, int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "copy"))
		return cli_registry_copy(home, argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "roles"))
		return cli_registry_roles(home, argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "migrate"))
		return registry_migrate(home, argc);
	return cli_usage("registry takes: copy, roles, migrate");
}
