// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The RADIUS module's queue of renewed certificates seen for the first
 * time (seen.h). Such sightings are rare (one per renewal, and the feed
 * marks the certificate seen in every node's index right after the
 * write), so one mutex and a flat array with a linear check for
 * duplicates are all the request path needs: no allocation, no I/O. The
 * flush copies the array out under the lock, writes it unlocked, and on
 * failure puts back what fits beside what arrived meanwhile.
 */
#include "seen.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"

struct serial {
	char s[REG_SERIAL_MAX];
};

struct rad_seen {
	pthread_mutex_t lock;
	struct serial *v;
	size_t n, max;
	uint64_t written, dropped;
	unsigned long failures;
	pthread_mutex_t flush_lock;
};

int rad_seen_new(size_t max, struct rad_seen **out, struct byod_err *err)
{
	struct rad_seen *q;

	*out = NULL;
	q = calloc(1, sizeof(*q));
	if (q)
		q->max = max ? max : RAD_SEEN_MAX;
	if (q)
		q->v = calloc(q->max, sizeof(*q->v));
	if (!q || !q->v) {
		if (q)
			free(q->v);
		free(q);
		return byod_err_set(err, ENOMEM, "out of memory");
	}
	pthread_mutex_init(&q->lock, NULL);
	pthread_mutex_init(&q->flush_lock, NULL);
	*out = q;
	return 0;
}

void rad_seen_free(struct rad_seen *q)
{
	if (!q)
		return;
	pthread_mutex_destroy(&q->lock);
	pthread_mutex_destroy(&q->flush_lock);
	free(q->v);
	free(q);
}

/* Adds s unless present; the lock held. */
static void add_locked(struct rad_seen *q, const char *s)
{
	size_t i, len = strnlen(s, REG_SERIAL_MAX - 1);

	for (i = 0; i < q->n; i++)
		if (!strcmp(q->v[i].s, s))
			return;
	if (q->n == q->max) {
		q->dropped++;
		return;
	}
	memcpy(q->v[q->n].s, s, len);
	q->v[q->n].s[len] = '\0';
	q->n++;
}

void rad_seen_add(struct rad_seen *q, const char *serial)
{
	if (!q || !serial || !serial[0])
		return;
	pthread_mutex_lock(&q->lock);
	add_locked(q, serial);
	pthread_mutex_unlock(&q->lock);
}

int rad_seen_flush(struct rad_seen *q, struct reg *reg, time_t now, size_t *written, int *revoked,
		   struct byod_err *err)
{
	struct serial *batch = NULL;
	const char **ptrs = NULL;
	size_t i, n;
	int rc = 0;

	if (written)
		*written = 0;
	if (revoked)
		*revoked = 0;
	pthread_mutex_lock(&q->flush_lock);
	if (!reg) {
		rc = byod_err_set(err, ENOTCONN, "the registry is not open");
		goto out;
	}
	pthread_mutex_lock(&q->lock);
	n = q->n;
	if (n) {
		batch = malloc(n * sizeof(*batch));
		ptrs = malloc(n * sizeof(*ptrs));
		if (batch && ptrs) {
			memcpy(batch, q->v, n * sizeof(*batch));
			q->n = 0;
		}
	}
	pthread_mutex_unlock(&q->lock);
	if (!n)
		goto out;
	if (!batch || !ptrs) {
		rc = byod_err_set(err, ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++)
		ptrs[i] = batch[i].s;
	rc = reg_cert_seen(reg, ptrs, n, now, revoked, err);
	if (rc) {
		/* kept for the next flush, beside what came meanwhile */
		pthread_mutex_lock(&q->lock);
		for (i = 0; i < n; i++)
			add_locked(q, batch[i].s);
		pthread_mutex_unlock(&q->lock);
		goto out;
	}
	q->written += n;
	if (written)
		*written = n;
out:
	if (rc)
		q->failures++;
	pthread_mutex_unlock(&q->flush_lock);
	free(batch);
	free(ptrs);
	return rc;
}

void rad_seen_stats(struct rad_seen *q, struct rad_seen_stats *out)
{
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&q->flush_lock);
	pthread_mutex_lock(&q->lock);
	out->queued = q->n;
	out->written = q->written;
	out->dropped = q->dropped;
	out->failures = q->failures;
	pthread_mutex_unlock(&q->lock);
	pthread_mutex_unlock(&q->flush_lock);
}
