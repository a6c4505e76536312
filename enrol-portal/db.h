/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The portal's registry connections: core's pool of gateway contexts
 * (ctx_pool.h), one per request thread, under the names the portal's
 * pages use.
 */
#ifndef PORTAL_DB_H
#define PORTAL_DB_H

#include "byod.h"
#include "ctx_pool.h"

#define portal_db byod_pool

static inline int portal_db_open(const struct byod_conf *conf, int n, struct portal_db **out,
				 struct byod_err *err)
{
	return byod_pool_open(conf, "portal", n, out, err);
}

#define portal_db_close byod_pool_close
#define portal_db_get	byod_pool_get
#define portal_db_renew byod_pool_renew
#define portal_db_put	byod_pool_put

#endif /* PORTAL_DB_H */
