/* SPDX-License-Identifier: GPL-2.0-or-later */
/* TEMPORARY: registry.h's reg_once_* until the registry has them. */
#ifndef SAML_ONCE_SHIM_H
#define SAML_ONCE_SHIM_H
#include <time.h>
#include "registry.h"
int reg_once_put(struct reg *reg, const char *key, const char *data, time_t now, time_t expires,
		 struct byod_err *err);
int reg_once_take(struct reg *reg, const char *key, time_t now, char **data,
		  struct byod_err *err);
int reg_once_claim(struct reg *reg, const char *key, time_t now, time_t expires,
		   struct byod_err *err);
#endif
