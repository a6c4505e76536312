// SPDX-License-Identifier: GPL-2.0-or-later
/* TEMPORARY: registry.h's reg_once_* in memory until the registry has them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "saml_once_shim.h"

static struct once { char *key, *data; time_t expires; int taken; } once[1024];
static int n;

static struct once *find(const char *key, time_t now)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(once[i].key, key) && !once[i].taken && now < once[i].expires)
			return &once[i];
	return NULL;
}

int reg_once_put(struct reg *reg, const char *key, const char *data, time_t now, time_t expires,
		 struct byod_err *err)
{
	(void)reg; (void)err;
	if (find(key, now))
		return -EEXIST;
	once[n].key = strdup(key);
	once[n].data = strdup(data ? data : "");
	once[n].expires = expires;
	once[n++].taken = 0;
	return 0;
}

int reg_once_take(struct reg *reg, const char *key, time_t now, char **data, struct byod_err *err)
{
	struct once *o = find(key, now);

	(void)reg; (void)err;
	if (!o)
		return -ENOENT;
	o->taken = 1;
	*data = strdup(o->data);
	return 0;
}

int reg_once_claim(struct reg *reg, const char *key, time_t now, time_t expires,
		   struct byod_err *err)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(once[i].key, key) && now < once[i].expires)
			return -EEXIST;
	return reg_once_put(reg, key, "", now, expires, err);
}
