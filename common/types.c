// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The names of the shared enums (byod_types.h): one table each.
 */
#include "byod_types.h"

#include <errno.h>
#include <stddef.h>
#include <strings.h>

static const char *const role_names[BYOD_ROLE_N] = { "student", "teacher", "staff", "guest" };
static const char *const kind_names[BYOD_KIND_N] = { "phone", "tablet", "laptop", "other" };
static const char *const state_names[BYOD_DEVICE_STATE_N] = { "active", "suspended", "revoked",
							      "retired", "unknown" };

static const char *name(const char *const *names, int n, int v)
{
	return v >= 0 && v < n ? names[v] : NULL;
}

static int parse(const char *const *names, int n, const char *s)
{
	int i;

	for (i = 0; s && i < n; i++)
		if (!strcasecmp(s, names[i]))
			return i;
	return -EINVAL;
}

const char *byod_role_name(int role)
{
	return name(role_names, BYOD_ROLE_N, role);
}

const char *byod_kind_name(int kind)
{
	return name(kind_names, BYOD_KIND_N, kind);
}

const char *byod_device_state_name(int state)
{
	return name(state_names, BYOD_DEVICE_STATE_N, state);
}

int byod_role_parse(const char *s)
{
	return parse(role_names, BYOD_ROLE_N, s);
}

int byod_kind_parse(const char *s)
{
	return parse(kind_names, BYOD_KIND_N, s);
}

int byod_device_state_parse(const char *s)
{
	return parse(state_names, BYOD_DEVICE_STATE_N, s);
}
