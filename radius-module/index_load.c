// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The index's full load (index_int.h): the whole registry read in one
 * snapshot into a store, by two threads; each school's running policy and
 * the teachers' unlocks, which the change feed reads again too.
 */
#include "index_int.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "byod.h"
#include "byod_util.h"
#include "policy.h"
#include "reg_bulk.h"

/* ---- loading ---- */

/*
 * Two threads share the load (on two cores it takes the longer of the two
 * halves, not their sum): the caller reads the rows (the database's
 * stepping, the text parsed into struct *_in), and a filler thread puts
 * them into the store (hashing, probing, the first touch of its pages).
 * Rows go across in batches through a ring of NBATCH; the filler takes
 * them in the order read, as one thread would. The filler prefetches the
 * table entries of PREFETCH rows before putting them, so that their cache
 * misses overlap (a million devices probe about five million entries).
 * Without a thread (pthread_create failed) the reader fills in place.
 */
#define BATCH 512
#define NBATCH 8
#define PREFETCH 32
#define BATCH_TEXT (BATCH * 40) /* a person's school and groups, mostly short */

enum { B_PEOPLE, B_DEVICES, B_CERTS, B_END };

struct batch {
	int kind;
	size_t n, text_used;
	union {
		struct person_in p[BATCH];
		struct device_in d[BATCH];
		struct cert_in c[BATCH];
	} u;
	char text[BATCH_TEXT]; /* the people's strings, which person_in points to */
};

struct loader {
	struct store *st;
	pthread_t filler;
	int threaded;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned head, tail, full; /* ring positions: next taken, next filled; batches queued */
	int rc;                    /* the filler's first error: the rest is skipped */
	/* why, in the filler's words: written by the filler before it sets
	 * rc, read by the reader once the filler has ended (loader_end) */
	struct byod_err err;
	struct batch b[NBATCH];
};

static void prefetch(const struct table *t, enum tkind k, const void *key)
{
	if (t->cap)
		__builtin_prefetch(&t->v[home_of(key_hash(k, key), t->cap)]);
}

static int fill_people(struct store *st, const struct batch *b)
{
	size_t i, j, end;
	int rc = 0;

	for (i = 0; i < b->n && !rc; i = end) {
		end = i + PREFETCH < b->n ? i + PREFETCH : b->n;
		for (j = i; j < end; j++)
			prefetch(&st->by_person, T_PERSON, &b->u.p[j].id);
		for (j = i; j < end && !rc; j++)
			rc = ix_put_person_in(st, &b->u.p[j]);
	}
	return rc;
}

static int fill_devices(struct store *st, const struct batch *b)
{
	size_t i, j, end;
	int rc = 0;

	for (i = 0; i < b->n && !rc; i = end) {
		end = i + PREFETCH < b->n ? i + PREFETCH : b->n;
		for (j = i; j < end; j++) {
			const struct device_in *d = &b->u.d[j];

			prefetch(&st->by_person, T_PERSON, &d->owner);
			prefetch(&st->by_id, T_ID, d->id);
			if (d->has_mac)
				prefetch(&st->by_mac, T_MAC, &d->mac);
		}
		for (j = i; j < end && !rc; j++)
			rc = ix_put_device_in(st, &b->u.d[j], NULL);
	}
	return rc;
}

static int fill_certs(struct store *st, const struct batch *b)
{
	size_t i, j, end;
	int rc = 0;

	for (i = 0; i < b->n && !rc; i = end) {
		end = i + PREFETCH < b->n ? i + PREFETCH : b->n;
		for (j = i; j < end; j++) {
			const struct cert_in *c = &b->u.c[j];

			if (c->has_dev)
				prefetch(&st->by_id, T_ID, c->dev);
			prefetch(&st->by_serial, T_SERIAL, &c->sn);
		}
		for (j = i; j < end && !rc; j++)
			rc = ix_put_cert_in(st, &b->u.c[j]);
	}
	return rc;
}

static int fill(struct store *st, const struct batch *b)
{
	switch (b->kind) {
	case B_PEOPLE:
		return fill_people(st, b);
	case B_DEVICES:
		return fill_devices(st, b);
	case B_CERTS:
		return fill_certs(st, b);
	}
	return 0;
}

/* The first failure to fill a batch, said in l->err (the reader's err is
 * the reader's: the two threads never write one struct). */
static void fill_failed(struct loader *l, const struct batch *b, int rc)
{
	static const char *const what[] = { [B_PEOPLE] = "people", [B_DEVICES] = "devices",
					    [B_CERTS] = "certificates" };
	const struct store *st = l->st;
	size_t held = b->kind == B_PEOPLE    ? st->people.n
		      : b->kind == B_DEVICES ? st->devices.n
					     : st->certs.n;
	const char *name = (unsigned)b->kind < B_END ? what[b->kind] : "rows";

	if (rc == -ENOMEM && held >= SLOT_MAX)
		byod_err_set(&l->err, ENOMEM,
			     "the registry has more %s than the index can hold (%lu at most)", name,
			     (unsigned long)SLOT_MAX);
	else if (rc == -ENOMEM)
		byod_err_set(&l->err, ENOMEM,
			     "out of memory putting the registry's %s into the index (%zu in it)",
			     name, held);
	else
		byod_err_set(&l->err, -rc, "putting the registry's %s into the index: %s", name,
			     strerror(-rc));
}

/* The filler thread: the batches in order until B_END; after an error it
 * only frees them, so that the reader never waits for good. */
static void *filler(void *arg)
{
	struct loader *l = arg;
	struct batch *b;
	int end, rc;

	pthread_mutex_lock(&l->mu);
	for (;;) {
		while (!l->full)
			pthread_cond_wait(&l->cv, &l->mu);
		b = &l->b[l->head % NBATCH];
		rc = l->rc;
		pthread_mutex_unlock(&l->mu);
		end = b->kind == B_END;
		if (!end && !rc) {
			rc = fill(l->st, b);
			if (rc)
				fill_failed(l, b, rc);
		}
		pthread_mutex_lock(&l->mu);
		if (rc && !l->rc)
			l->rc = rc;
		l->head++;
		l->full--;
		pthread_cond_broadcast(&l->cv);
		if (end)
			break;
	}
	pthread_mutex_unlock(&l->mu);
	return NULL;
}

/* The batch the reader fills now. */
static struct batch *cur(struct loader *l)
{
	return &l->b[l->tail % NBATCH];
}

/* Hands the current batch over (when it holds rows, or is B_END) and
 * waits for a free one; the filler's error, if any. */
static int push(struct loader *l, int kind)
{
	struct batch *b = cur(l);
	int rc;

	if (kind != B_END && !b->n)
		return 0;
	b->kind = kind;
	if (!l->threaded) {
		rc = kind == B_END || l->rc ? l->rc : fill(l->st, b);
		if (rc && !l->rc) {
			fill_failed(l, b, rc);
			l->rc = rc;
		}
		b->n = b->text_used = 0;
		return rc;
	}
	pthread_mutex_lock(&l->mu);
	l->tail++;
	l->full++;
	pthread_cond_broadcast(&l->cv);
	while (l->full == NBATCH)
		pthread_cond_wait(&l->cv, &l->mu);
	rc = l->rc;
	pthread_mutex_unlock(&l->mu);
	b = cur(l);
	b->n = b->text_used = 0;
	return rc;
}

static int loader_start(struct loader *l, struct store *st)
{
	sigset_t all, old;

	memset(l, 0, offsetof(struct loader, b));
	l->st = st;
	l->b[0].n = l->b[0].text_used = 0;
	if (pthread_mutex_init(&l->mu, NULL))
		return 0;
	if (pthread_cond_init(&l->cv, NULL)) {
		pthread_mutex_destroy(&l->mu);
		return 0;
	}
	/* the server's signals stay with its own threads */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	l->threaded = !pthread_create(&l->filler, NULL, filler, l);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!l->threaded) {
		pthread_cond_destroy(&l->cv);
		pthread_mutex_destroy(&l->mu);
	}
	return 0;
}

/* Ends the filler after what was handed over: its first error (its
 * reason in l->err), or 0. */
static int loader_end(struct loader *l)
{
	int rc;

	if (!l->threaded)
		return l->rc;
	push(l, B_END);
	pthread_join(l->filler, NULL);
	rc = l->rc;
	pthread_cond_destroy(&l->cv);
	pthread_mutex_destroy(&l->mu);
	return rc;
}

/* Copies s into the batch's text; NULL when it is full. */
static const char *keep_text(struct batch *b, const char *s)
{
	size_t n = strlen(s) + 1;
	char *t;

	if (n > BATCH_TEXT - b->text_used)
		return NULL;
	t = b->text + b->text_used;
	memcpy(t, s, n);
	b->text_used += n;
	return t;
}

static int load_person(const struct reg_person *r, void *arg)
{
	struct loader *l = arg;
	struct batch *b = cur(l);
	struct person_in *p = &b->u.p[b->n];
	int rc;

	ix_person_in_of(r, p);
	p->school = keep_text(b, r->school);
	p->groups = p->school ? keep_text(b, r->groups) : NULL;
	if (!p->groups) { /* the text is full: this row goes in the next batch */
		rc = push(l, B_PEOPLE);
		if (rc)
			return rc;
		b = cur(l);
		p = &b->u.p[0];
		ix_person_in_of(r, p);
		p->school = keep_text(b, r->school);
		p->groups = keep_text(b, r->groups); /* fits: 2 × 256 < BATCH_TEXT */
	}
	b->n++;
	return b->n == BATCH ? push(l, B_PEOPLE) : 0;
}

static int load_device(const struct reg_device *r, void *arg)
{
	struct loader *l = arg;
	struct batch *b = cur(l);

	if (ix_device_in_of(r, &b->u.d[b->n]))
		return 0; /* as put_device: no request could name it */
	b->n++;
	return b->n == BATCH ? push(l, B_DEVICES) : 0;
}

static int load_cert(const struct reg_cert *r, void *arg)
{
	struct loader *l = arg;
	struct batch *b = cur(l);

	if (ix_cert_in_of(r, &b->u.c[b->n]))
		return 0; /* as put_cert */
	b->n++;
	return b->n == BATCH ? push(l, B_CERTS) : 0;
}

/* Every school's running policy, compiled (in the caller's snapshot, or
 * one of its own); *set empty when none was applied. */
int ix_load_policies(struct reg *reg, struct byod_policies **set, int64_t *version,
			 struct byod_err *err)
{
	struct byod_ctx ctx;
	int rc;

	memset(&ctx, 0, sizeof(ctx));
	ctx.reg = reg; /* core/policies.c reads the registry only */
	*set = NULL;
	*version = 0;
	rc = byod_policies_load(&ctx, set, err);
	if (!rc)
		*version = byod_policies_version(*set, NULL);
	return rc;
}


int ix_add_live(const struct reg_unlock *u, void *arg)
{
	struct live *l = arg;
	struct reg_unlock *e = BYOD_ARRAY_PUSH(l->v, l->n, l->cap);

	if (!e)
		return -ENOMEM;
	*e = *u;
	return 0;
}

/* Unlocks starting within this many seconds are held before their start:
 * another host's clock (the teacher's portal) a little ahead of this one's
 * puts an unlock's start a little after this host's now. */
#define UNLOCK_AHEAD_S 300

static int add_upcoming(const struct reg_unlock *u, void *arg)
{
	struct live *l = arg;
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->v[i].id == u->id)
			return 0;
	return ix_add_live(u, arg);
}

/* The unlocks live at now, of every school, and those about to start that
 * are still live UNLOCK_AHEAD_S from now (decisions compare their start with
 * each request's time). */
int ix_load_unlocks(struct reg *reg, time_t now, struct reg_unlock **out, size_t *n,
			struct byod_err *err)
{
	struct live l = { 0 };
	int rc;

	rc = reg_unlock_list_active(reg, NULL, now, ix_add_live, &l, err);
	if (!rc)
		rc = reg_unlock_list_active(reg, NULL, now + UNLOCK_AHEAD_S, add_upcoming, &l, err);
	if (rc) {
		free(l.v);
		return rc;
	}
	*out = l.v;
	*n = l.n;
	return 0;
}

int ix_new_maps(struct rad_index *ix)
{
	return ix_store_init(&ix->st);
}

void ix_free_maps(struct rad_index *ix)
{
	ix_store_free(&ix->st);
}

/*
 * Everything and the last event's seq, read in one snapshot: an event
 * committed during the load is either in what was read and at or below
 * the seq, or after both, so the feed neither skips nor repeats it.
 */
int ix_load_all(struct rad_index *ix, struct byod_err *err)
{
	struct loader *l = NULL;
	struct timespec t0, t1;
	size_t np, nd, nc;
	int rc, frc, told = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = reg_begin_read(ix->reg, err);
	if (rc)
		return rc;
	rc = reg_events_last(ix->reg, &ix->seq, err);
	memset(&ix->last, 0, sizeof(ix->last));
	if (!rc && ix->seq > 0) {
		rc = reg_event_get(ix->reg, ix->seq, &ix->last, err);
		if (rc == -ENOENT) /* not in this snapshot: cannot be; no resume then */
			rc = 0;
	}
	/* the columns kept only, straight into the store (reg_bulk.h) */
	if (!rc)
		rc = reg_bulk_counts(ix->reg, &np, &nd, &nc, err);
	if (!rc)
		rc = ix_store_reserve(&ix->st, np, nd, nc);
	if (!rc) {
		l = malloc(sizeof(*l)); /* its batches are left unwritten until used */
		rc = l ? loader_start(l, &ix->st) : -ENOMEM;
	}
	if (!rc)
		rc = reg_bulk_people(ix->reg, load_person, l, err);
	if (!rc)
		rc = push(l, B_PEOPLE);
	if (!rc)
		rc = reg_bulk_devices(ix->reg, load_device, l, err);
	if (!rc)
		rc = push(l, B_DEVICES);
	if (!rc)
		rc = reg_bulk_certs(ix->reg, load_cert, l, err);
	if (!rc)
		rc = push(l, B_CERTS);
	if (l) {
		frc = loader_end(l); /* the filler's error is the first one */
		if (frc) {
			/* the reader stopped for it, or finished first: either
			 * way the caller learns why from the filler */
			rc = frc;
			if (err)
				*err = l->err;
			told = 1;
		}
		free(l);
	}
	if (!rc)
		rc = ix_store_fit(&ix->st);
	if (!rc)
		rc = ix_load_unlocks(ix->reg, time(NULL), &ix->live, &ix->nlive, err);
	if (!rc)
		rc = ix_load_policies(ix->reg, &ix->policies, &ix->policy_version, err);
	if (rc == -ENOMEM && !told)
		byod_err_set(err, ENOMEM, "out of memory loading the registry");
	if (!rc)
		rc = reg_commit(ix->reg, err);
	if (rc)
		reg_rollback(ix->reg);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!rc)
		ix->st.load_us = (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000000 +
				 (uint64_t)((t1.tv_nsec - t0.tv_nsec) / 1000);
	return rc;
}

/* The index only reads: through registry.read-url when it is set (a
 * standby), registry.url otherwise. */
int ix_open_registry(struct rad_index *ix, const char *home, struct byod_err *err)
{
	/* the RADIUS path waits 200 ms for a lock, not seconds */
	return reg_open_home_read(home, "rlm_byod", 200, &ix->reg, err);
}
