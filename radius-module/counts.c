// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The RADIUS module's decision counts (counts.h). A request adds 1 to the
 * row of its minute, school, segment and reason in one of a few shards,
 * each a small open-addressing table under its own mutex; a thread keeps
 * to one shard (given round robin at its first request), so that two
 * server threads almost never take the same lock and the request path
 * costs a hash and an uncontended lock (bench/bench_counts.c measures
 * it). The flush takes each shard's table whole, leaving an empty one, and
 * merges it into the rows kept for the registry, which it writes in one
 * transaction; rows it could not write stay for the next flush.
 */
#include "counts.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"

#define SHARDS	  16
#define TABLE_MIN 64
/* segments times reasons a shard's totals hold at most: a policy has a
 * handful of segments */
#define TOTALS_MAX 4096

struct key {
	time_t minute;
	int reason; /* index into reg_decision_reasons */
	char school[REG_UAI_MAX];
	char segment[64];
};

struct entry {
	uint32_t hash;
	int used;
	struct key k;
	int64_t n;
};

/* Open addressing, linear probing, at most half full. */
struct table {
	struct entry *v;
	size_t cap, n;
};

struct shard {
	pthread_mutex_t lock;
	struct table t;
	struct table totals; /* since the start, by segment and reason only
			      * (minute 0, no school): never flushed */
	uint64_t counted, dropped;
} __attribute__((aligned(64))); /* a cache line each: no false sharing */

struct rad_counts {
	struct shard shards[SHARDS];
	char node[64];
	size_t max_rows;
	/* the flusher's own */
	pthread_mutex_t flush_lock;
	struct table pending; /* rows not yet in the registry */
	uint64_t pending_n;
	uint64_t flushed, dropped;
	unsigned long flushes, failures;
};

static atomic_uint next_shard;
static __thread unsigned my_shard = UINT_MAX;

/* FNV-1a over the key's fields. */
static uint32_t fnv(uint32_t h, const void *p, size_t len)
{
	const unsigned char *s = p;

	while (len--)
		h = (h ^ *s++) * 16777619u;
	return h;
}

static uint32_t key_hash(const struct key *k)
{
	uint32_t h = 2166136261u;
	int64_t m = (int64_t)k->minute;

	h = fnv(h, &m, sizeof(m));
	h = fnv(h, &k->reason, sizeof(k->reason));
	h = fnv(h, k->school, strlen(k->school));
	h = fnv(h, "|", 1);
	return fnv(h, k->segment, strlen(k->segment));
}

static int key_equal(const struct key *a, const struct key *b)
{
	return a->minute == b->minute && a->reason == b->reason && !strcmp(a->school, b->school) &&
	       !strcmp(a->segment, b->segment);
}

static struct entry *slot(struct entry *v, size_t cap, const struct key *k, uint32_t h)
{
	size_t i = h & (cap - 1);

	while (v[i].used && !(v[i].hash == h && key_equal(&v[i].k, k)))
		i = (i + 1) & (cap - 1);
	return &v[i];
}

static int table_grow(struct table *t)
{
	size_t cap = t->cap ? t->cap * 2 : TABLE_MIN, i;
	struct entry *v = calloc(cap, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (i = 0; i < t->cap; i++)
		if (t->v[i].used)
			*slot(v, cap, &t->v[i].k, t->v[i].hash) = t->v[i];
	free(t->v);
	t->v = v;
	t->cap = cap;
	return 0;
}

/* The key's entry, added at 0 when absent and the table holds fewer than
 * limit; NULL when full or out of memory. */
static struct entry *table_get(struct table *t, const struct key *k, uint32_t h, size_t limit)
{
	struct entry *e;

	if (t->cap) {
		e = slot(t->v, t->cap, k, h);
		if (e->used)
			return e;
	}
	if (t->n >= limit || ((t->n + 1) * 2 > t->cap && table_grow(t)))
		return NULL;
	e = slot(t->v, t->cap, k, h);
	e->used = 1;
	e->hash = h;
	e->k = *k;
	e->n = 0;
	t->n++;
	return e;
}

static void table_free(struct table *t)
{
	free(t->v);
	memset(t, 0, sizeof(*t));
}

int rad_counts_new(const struct rad_counts_options *opt, struct rad_counts **out,
		   struct byod_err *err)
{
	struct rad_counts *c;
	int i;

	*out = NULL;
	if (!opt->node || !opt->node[0] || strlen(opt->node) >= sizeof(c->node))
		return byod_err_set(err, EINVAL,
				    "the node name for the decision counts must be 1 "
				    "to 63 bytes");
	c = calloc(1, sizeof(*c));
	if (!c)
		return byod_err_set(err, ENOMEM, "out of memory");
	snprintf(c->node, sizeof(c->node), "%s", opt->node);
	c->max_rows = opt->max_rows ? opt->max_rows : RAD_COUNTS_MAX_ROWS;
	if (c->max_rows > REG_DECISION_ROWS_MAX)
		c->max_rows = REG_DECISION_ROWS_MAX;
	for (i = 0; i < SHARDS; i++)
		pthread_mutex_init(&c->shards[i].lock, NULL);
	pthread_mutex_init(&c->flush_lock, NULL);
	*out = c;
	return 0;
}

void rad_counts_free(struct rad_counts *c)
{
	int i;

	if (!c)
		return;
	for (i = 0; i < SHARDS; i++) {
		table_free(&c->shards[i].t);
		table_free(&c->shards[i].totals);
		pthread_mutex_destroy(&c->shards[i].lock);
	}
	table_free(&c->pending);
	pthread_mutex_destroy(&c->flush_lock);
	free(c);
}

/* The reason's index in reg_decision_reasons, -1 for none; the first
 * letter rules out most before a comparison. */
static int reason_index(const char *reason)
{
	int i;

	for (i = 0; reason && reg_decision_reasons[i]; i++)
		if (reason[0] == reg_decision_reasons[i][0] &&
		    !strcmp(reason, reg_decision_reasons[i]))
			return i;
	return -1;
}

/* src into dst (size bytes), cut to fit: no printf on the request path. */
static void copy_text(char *dst, size_t size, const char *src)
{
	size_t n = src ? strnlen(src, size - 1) : 0;

	memcpy(dst, src ? src : "", n);
	dst[n] = '\0';
}

void rad_counts_add(struct rad_counts *c, time_t now, const char *school, const char *segment,
		    const char *reason)
{
	struct shard *sh;
	struct entry *e;
	struct key k, tk;
	uint32_t h, th = 0;

	if (my_shard == UINT_MAX)
		my_shard = atomic_fetch_add(&next_shard, 1) % SHARDS;
	sh = &c->shards[my_shard];
	k.minute = now - now % 60;
	k.reason = reason_index(reason);
	/* the fields are compared as strings: what follows the NUL is never
	 * read */
	copy_text(k.school, sizeof(k.school), school);
	copy_text(k.segment, sizeof(k.segment), segment);
	h = key_hash(&k);
	if (k.reason >= 0) {
		tk.minute = 0;
		tk.reason = k.reason;
		tk.school[0] = '\0';
		copy_text(tk.segment, sizeof(tk.segment), k.segment);
		th = key_hash(&tk);
	}
	pthread_mutex_lock(&sh->lock);
	sh->counted++;
	e = k.reason < 0 || now < 0 ? NULL : table_get(&sh->t, &k, h, c->max_rows);
	if (e)
		e->n++;
	else
		sh->dropped++;
	e = k.reason < 0 ? NULL : table_get(&sh->totals, &tk, th, TOTALS_MAX);
	if (e)
		e->n++;
	pthread_mutex_unlock(&sh->lock);
}

/* Moves every shard's counts into the pending rows (the flush lock held). */
static void gather(struct rad_counts *c)
{
	struct table t;
	struct entry *p;
	size_t i;
	int s;

	for (s = 0; s < SHARDS; s++) {
		pthread_mutex_lock(&c->shards[s].lock);
		t = c->shards[s].t;
		memset(&c->shards[s].t, 0, sizeof(c->shards[s].t));
		pthread_mutex_unlock(&c->shards[s].lock);
		for (i = 0; i < t.cap; i++) {
			if (!t.v[i].used || !t.v[i].n)
				continue;
			p = table_get(&c->pending, &t.v[i].k, t.v[i].hash, c->max_rows);
			if (p) {
				p->n += t.v[i].n;
				c->pending_n += (uint64_t)t.v[i].n;
			} else {
				c->dropped += (uint64_t)t.v[i].n;
			}
		}
		table_free(&t);
	}
}

int rad_counts_flush(struct rad_counts *c, struct reg *reg, const struct reg_heartbeat *hb,
		     size_t *rows, struct byod_err *err)
{
	struct reg_decision_count *v = NULL;
	size_t i, n = 0;
	int rc;

	if (rows)
		*rows = 0;
	pthread_mutex_lock(&c->flush_lock);
	gather(c);
	if (!reg) {
		rc = byod_err_set(err, ENOTCONN, "the registry is not open");
		goto out;
	}
	if (c->pending.n) {
		v = calloc(c->pending.n, sizeof(*v));
		if (!v) {
			rc = byod_err_set(err, ENOMEM, "out of memory");
			goto out;
		}
	}
	for (i = 0; i < c->pending.cap; i++) {
		const struct entry *e = &c->pending.v[i];

		if (!e->used)
			continue;
		snprintf(v[n].school, sizeof(v[n].school), "%s", e->k.school);
		v[n].minute = e->k.minute;
		snprintf(v[n].node, sizeof(v[n].node), "%s", c->node);
		snprintf(v[n].segment, sizeof(v[n].segment), "%s", e->k.segment);
		snprintf(v[n].reason, sizeof(v[n].reason), "%s", reg_decision_reasons[e->k.reason]);
		v[n].count = e->n;
		n++;
	}
	rc = reg_begin(reg, err);
	if (rc)
		goto out;
	rc = reg_decision_add(reg, v, n, err);
	if (!rc && hb)
		rc = reg_heartbeat_put(reg, hb, err);
	if (!rc)
		rc = reg_commit(reg, err);
	if (rc) {
		reg_rollback(reg);
		goto out;
	}
	c->flushed += c->pending_n;
	c->pending_n = 0;
	table_free(&c->pending);
	if (rows)
		*rows = n;
out:
	c->flushes++;
	if (rc)
		c->failures++;
	pthread_mutex_unlock(&c->flush_lock);
	free(v);
	return rc;
}

void rad_counts_stats(struct rad_counts *c, struct rad_counts_stats *out)
{
	int s;

	memset(out, 0, sizeof(*out));
	for (s = 0; s < SHARDS; s++) {
		pthread_mutex_lock(&c->shards[s].lock);
		out->counted += c->shards[s].counted;
		out->dropped += c->shards[s].dropped;
		pthread_mutex_unlock(&c->shards[s].lock);
	}
	pthread_mutex_lock(&c->flush_lock);
	out->flushed = c->flushed;
	out->dropped += c->dropped;
	out->pending_rows = c->pending.n;
	out->pending = c->pending_n;
	out->flushes = c->flushes;
	out->failures = c->failures;
	pthread_mutex_unlock(&c->flush_lock);
}

int rad_counts_totals(struct rad_counts *c, rad_counts_total_fn fn, void *arg)
{
	struct table all = {0};
	struct entry *p;
	size_t i;
	int s, rc = 0;

	for (s = 0; s < SHARDS && !rc; s++) {
		struct table *t = &c->shards[s].totals;

		pthread_mutex_lock(&c->shards[s].lock);
		for (i = 0; i < t->cap && !rc; i++) {
			if (!t->v[i].used)
				continue;
			p = table_get(&all, &t->v[i].k, t->v[i].hash, SIZE_MAX);
			if (p)
				p->n += t->v[i].n;
			else
				rc = -ENOMEM;
		}
		pthread_mutex_unlock(&c->shards[s].lock);
	}
	for (i = 0; i < all.cap && !rc; i++)
		if (all.v[i].used)
			fn(all.v[i].k.segment, reg_decision_reasons[all.v[i].k.reason],
			   (uint64_t)all.v[i].n, arg);
	table_free(&all);
	return rc;
}

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void rad_flush_schedule(int64_t *next, uint32_t interval_s)
{
	*next = mono_ns() + (int64_t)interval_s * 1000000000;
}

int rad_flush_due(int64_t *next, uint32_t interval_s)
{
	int64_t now = mono_ns();

	if (now < *next)
		return 0;
	*next = now + (int64_t)interval_s * 1000000000;
	return 1;
}
