/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The portal's registry connections: one gateway context (configuration,
 * registry connection, CA) per request thread, opened at start-up and lent
 * to one request at a time, because a registry connection is not shared
 * between threads. A request that finds every context lent waits for one.
 */
#ifndef PORTAL_DB_H
#define PORTAL_DB_H

#include "byod.h"

struct portal_db;

/* Opens n contexts with the configuration conf (each keeps its own copy).
 * Returns 0 and *out, or a negative errno with err. */
int portal_db_open(const struct byod_conf *conf, int n, struct portal_db **out,
		   struct byod_err *err);
void portal_db_close(struct portal_db *db);

/* Borrows a context (waiting while all are lent); the audit log names actor
 * for what it changes. Never NULL. */
struct byod_ctx *portal_db_get(struct portal_db *db, const char *actor);

/* For a borrowed context whose registry server went away (-ENOTCONN):
 * replaces it in the pool by a freshly opened one and returns that one,
 * still lent; when no connection can be made, returns ctx as it is. */
struct byod_ctx *portal_db_renew(struct portal_db *db, struct byod_ctx *ctx);

/* Gives it back (with no transaction open). */
void portal_db_put(struct portal_db *db, struct byod_ctx *ctx);

#endif /* PORTAL_DB_H */
