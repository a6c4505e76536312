/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A web program's registry connections (byod-portal, byod-admin): one
 * gateway context (configuration, registry connection, CA) per request
 * thread, opened at start-up and lent to one request at a time, because a
 * registry connection is not shared between threads. A request that finds
 * every context lent waits for one.
 */
#ifndef BYOD_CTX_POOL_H
#define BYOD_CTX_POOL_H

#include "byod.h"

struct byod_pool;

/* Opens n contexts with the configuration conf (kept by the caller while
 * the pool lives; each context keeps its own copy) for the program who
 * ("portal", "admin"): its default audit actor.
 * Returns 0 and *out, or a negative errno with err. */
int byod_pool_open(const struct byod_conf *conf, const char *who, int n, struct byod_pool **out,
		   struct byod_err *err);
void byod_pool_close(struct byod_pool *db);

/* Borrows a context (waiting while all are lent); the audit log names actor
 * for what it changes. Never NULL. */
struct byod_ctx *byod_pool_get(struct byod_pool *db, const char *actor);

/* For a borrowed context whose registry server went away (-ENOTCONN):
 * replaces it in the pool by a freshly opened one and returns that one,
 * still lent; when no connection can be made, returns ctx as it is. */
struct byod_ctx *byod_pool_renew(struct byod_pool *db, struct byod_ctx *ctx);

/* After the caller's configuration changed (a reload): every context is
 * opened again from it, each as soon as it is given back. Returns how many
 * could not be (they keep the configuration they had). */
int byod_pool_renew_all(struct byod_pool *db);

/* Gives it back (with no transaction open). */
void byod_pool_put(struct byod_pool *db, struct byod_ctx *ctx);

#endif /* BYOD_CTX_POOL_H */
