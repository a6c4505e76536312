// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A fixed pool of gateway contexts, each with its own registry connection,
 * lent to one request at a time under a mutex and a condition variable.
 * A context whose registry server went away (-ENOTCONN) is replaced by a
 * fresh one once a connection can be made again.
 */
#include "ctx_pool.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct byod_pool {
	const struct byod_conf *conf; /* the caller's, for renewals */
	char who[32];
	pthread_mutex_t lock;
	pthread_cond_t freed;
	struct byod_ctx **ctx;
	int *lent;
	int n;
};

int byod_pool_open(const struct byod_conf *conf, const char *who, int n, struct byod_pool **out,
		   struct byod_err *err)
{
	struct byod_pool *db = calloc(1, sizeof(*db));
	int i, rc;

	if (!db || n < 1)
		goto oom;
	db->ctx = calloc((size_t)n, sizeof(*db->ctx));
	db->lent = calloc((size_t)n, sizeof(*db->lent));
	if (!db->ctx || !db->lent)
		goto oom;
	pthread_mutex_init(&db->lock, NULL);
	pthread_cond_init(&db->freed, NULL);
	db->conf = conf;
	snprintf(db->who, sizeof(db->who), "%s", who);
	for (i = 0; i < n; i++) {
		rc = byod_open_conf(conf, db->who, &db->ctx[i], err);
		if (rc) {
			db->n = i;
			byod_pool_close(db);
			return rc;
		}
	}
	db->n = n;
	*out = db;
	return 0;
oom:
	if (db) {
		free(db->ctx);
		free(db->lent);
		free(db);
	}
	return byod_err_set(err, ENOMEM, "out of memory");
}

void byod_pool_close(struct byod_pool *db)
{
	int i;

	if (!db)
		return;
	for (i = 0; i < db->n; i++)
		byod_close(db->ctx[i]);
	pthread_cond_destroy(&db->freed);
	pthread_mutex_destroy(&db->lock);
	free(db->ctx);
	free(db->lent);
	free(db);
}

struct byod_ctx *byod_pool_get(struct byod_pool *db, const char *actor)
{
	struct byod_ctx *ctx = NULL;
	int i;

	pthread_mutex_lock(&db->lock);
	while (!ctx) {
		for (i = 0; i < db->n; i++) {
			if (!db->lent[i]) {
				db->lent[i] = 1;
				ctx = db->ctx[i];
				break;
			}
		}
		if (!ctx)
			pthread_cond_wait(&db->freed, &db->lock);
	}
	pthread_mutex_unlock(&db->lock);
	reg_set_actor(ctx->reg, actor);
	return ctx;
}

struct byod_ctx *byod_pool_renew(struct byod_pool *db, struct byod_ctx *ctx)
{
	struct byod_ctx *fresh = NULL;
	struct byod_err err;
	int i;

	/* the borrower holds the slot: the connection is made outside the lock */
	if (!ctx || byod_open_conf(db->conf, db->who, &fresh, &err))
		return ctx;
	pthread_mutex_lock(&db->lock);
	for (i = 0; i < db->n; i++) {
		if (db->ctx[i] == ctx) {
			db->ctx[i] = fresh;
			break;
		}
	}
	pthread_mutex_unlock(&db->lock);
	if (i == db->n) {
		byod_close(fresh);
		return ctx;
	}
	byod_close(ctx);
	return fresh;
}

int byod_pool_renew_all(struct byod_pool *db)
{
	int i, failed = 0;

	if (!db)
		return 0;
	/* one slot at a time, each once: the pages go on with the others while
	 * a connection is made (a registry slow to answer stalls one slot, not
	 * the whole pool) */
	for (i = 0; i < db->n; i++) {
		struct byod_ctx *old, *fresh;

		pthread_mutex_lock(&db->lock);
		while (db->lent[i])
			pthread_cond_wait(&db->freed, &db->lock);
		db->lent[i] = 1;
		old = db->ctx[i];
		pthread_mutex_unlock(&db->lock);
		fresh = byod_pool_renew(db, old);
		failed += fresh == old;
		byod_pool_put(db, fresh);
	}
	return failed;
}

void byod_pool_put(struct byod_pool *db, struct byod_ctx *ctx)
{
	int i;

	if (!ctx)
		return;
	pthread_mutex_lock(&db->lock);
	for (i = 0; i < db->n; i++) {
		if (db->ctx[i] == ctx) {
			db->lent[i] = 0;
			break;
		}
	}
	/* broadcast: a renewal waits for one slot in particular, and must not
	 * take the wake-up a page waiting for any slot needed */
	pthread_cond_broadcast(&db->freed);
	pthread_mutex_unlock(&db->lock);
}
