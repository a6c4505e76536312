// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * byodctl registry SUBCOMMAND: the registry as a whole (copy: the school
 * into another registry, cmd_registry_copy.c; roles: the PostgreSQL roles
 * of each program, cmd_registry_roles.c).
 */
#include <string.h>

#include "byodctl.h"

int cli_registry(const char *home, int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "copy"))
		return cli_registry_copy(home, argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "roles"))
		return cli_registry_roles(home, argc - 1, argv + 1);
	return cli_usage("registry takes: copy, roles");
}
