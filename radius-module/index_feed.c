// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The index kept current (index_int.h): each event of the registry's
 * change feed names one object, which is read again outside the lock and
 * swapped in under the write lock (a certificate's event also reads how
 * long its device holds one); after a reconnection, the feed followed on
 * from the last event applied, or everything read again.
 */
#include "index_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "byod.h"
#include "byod_vec.h"
#include "policy.h"

/* ---- following the change feed ---- */

enum change_kind { CH_DEVICE, CH_CERT, CH_PERSON, CH_POLICY, CH_UNLOCK };

struct change {
	enum change_kind kind;
	int gone; /* the object no longer exists */
	union {
		struct reg_device device;
		struct reg_cert cert;
		struct reg_person person;
		struct reg_unlock unlock; /* CH_UNLOCK: as it is now */
	} u;
	char key[64];
	/* CH_DEVICE, CH_CERT: the device, and how long it holds a
	 * certificate now (a revocation may leave it another, or none), read
	 * with the event so that the order of events does not matter */
	char device[REG_ID_MAX];
	time_t cert_until;
};

/* The latest end among a device's unrevoked certificates. */
static int cert_until_of(const struct reg_cert *c, void *arg)
{
	time_t *until = arg;

	if (c->state == REG_CERT_VALID && c->not_after > *until)
		*until = c->not_after;
	return 0;
}

struct changes {
	struct byod_vec v; /* struct change */
	size_t read;       /* events read, kept or not */
	int64_t last;
	struct reg_event last_ev;
	struct reg *reg;
	const struct store *st; /* read only: refresh, which alone writes it, runs this */
	struct byod_err *err;
};

/* The device a certificate the index holds belongs to, for one that is no
 * longer in the registry: out "" when none. */
static void device_of_cert(const struct store *s, const char *serial, char out[REG_ID_MAX])
{
	struct bserial sn;
	const struct cert *c;

	out[0] = 0;
	if (ix_serial_parse_any(serial, &sn))
		return;
	c = cert_get(s, &sn);
	if (c && c->device != NONE)
		ix_uuid_format(DEV(s, c->device)->id, out);
}

static int prefix(const char *s, const char *p)
{
	return !strncmp(s, p, strlen(p));
}

/* Reads the object an event names (outside the lock). */
static int collect(const struct reg_event *ev, void *arg)
{
	struct changes *cs = arg;
	struct change *c;
	int rc;

	cs->read++;
	cs->last = ev->seq;
	cs->last_ev = *ev;
	if (!prefix(ev->kind, "device.") && !prefix(ev->kind, "cert.") &&
	    !prefix(ev->kind, "person.") && strcmp(ev->kind, "policy.apply") &&
	    !prefix(ev->kind, "unlock."))
		return 0;
	c = byod_vec_push(&cs->v);
	if (!c)
		return -ENOMEM;
	snprintf(c->key, sizeof(c->key), "%s", ev->object);
	if (prefix(ev->kind, "device.")) {
		c->kind = CH_DEVICE;
		rc = reg_device_get(cs->reg, ev->object, &c->u.device, cs->err);
		if (!rc) {
			snprintf(c->device, sizeof(c->device), "%s", c->u.device.id);
			rc = reg_cert_list_for_device(cs->reg, c->device, cert_until_of,
						      &c->cert_until, cs->err);
		}
	} else if (prefix(ev->kind, "cert.")) {
		c->kind = CH_CERT;
		rc = reg_cert_get(cs->reg, ev->object, &c->u.cert, cs->err);
		if (!rc) {
			snprintf(c->device, sizeof(c->device), "%s", c->u.cert.device);
			rc = reg_cert_list_for_device(cs->reg, c->device, cert_until_of,
						      &c->cert_until, cs->err);
		}
	} else if (prefix(ev->kind, "person.")) {
		c->kind = CH_PERSON;
		rc = reg_person_get(cs->reg, ev->object, &c->u.person, cs->err);
	} else if (prefix(ev->kind, "unlock.")) {
		char *end;
		long long id;

		c->kind = CH_UNLOCK;
		errno = 0;
		id = strtoll(ev->object, &end, 10);
		rc = errno || end == ev->object || *end ? -ENOENT
							: reg_unlock_get(cs->reg, id, &c->u.unlock, cs->err);
	} else {
		c->kind = CH_POLICY;
		rc = 0;
	}
	if (rc == -ENOENT) {
		c->gone = 1;
		rc = 0;
	}
	if (!rc && c->gone && c->kind == CH_CERT) {
		/* a certificate deleted (not revoked): its device holds what
		 * its other certificates give it, or nothing, not its end */
		device_of_cert(cs->st, ev->object, c->device);
		c->cert_until = 0;
		if (c->device[0]) {
			rc = reg_cert_list_for_device(cs->reg, c->device, cert_until_of,
						      &c->cert_until, cs->err);
			if (rc == -ENOENT)
				rc = 0;
		}
	}
	if (rc)
		byod_vec_del(&cs->v, cs->v.n - 1);
	return rc;
}

static int apply(struct rad_index *ix, const struct change *c)
{
	struct store *s = &ix->st;
	struct device *d;
	int rc;

	switch (c->kind) {
	case CH_DEVICE:
		if (!c->gone) {
			rc = ix_put_device(s, &c->u.device, NULL);
			d = (struct device *)ix_device_get(s, c->key);
			if (!rc && d)
				d->cert_until = c->cert_until;
			return rc;
		}
		ix_del_device(s, c->key);
		return 0;
	case CH_CERT:
		if (c->gone) {
			ix_del_cert(s, c->key);
			d = c->device[0] ? (struct device *)ix_device_get(s, c->device) : NULL;
			if (d)
				d->cert_until = c->cert_until;
			return 0;
		}
		d = (struct device *)ix_device_get(s, c->device);
		if (d)
			d->cert_until = c->cert_until;
		return ix_put_cert(s, &c->u.cert);
	case CH_PERSON:
		return c->gone ? 0 : ix_put_person(s, &c->u.person);
	case CH_POLICY:
	case CH_UNLOCK:
		return 0; /* loaded apart, outside the lock */
	}
	return 0;
}

static int has_unlock(const struct reg_unlock *v, size_t n, int64_t id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].id == id)
			return 1;
	return 0;
}

static int push_unlock(struct live *l, const struct reg_unlock *u)
{
	return has_unlock(l->v, l->n, u->id) ? 0 : ix_add_live(u, l);
}

/*
 * Adds to the unlocks live now those still to start (another host's clock a
 * little ahead of this one's, or a start set later): each decision compares
 * the request's time with their start, so that they open at it without a
 * read of the registry then. Those this batch of the feed named are taken as
 * they are now; those held before and not named, kept. Runs in refresh,
 * which alone writes ix->live.
 */
static int keep_upcoming(const struct rad_index *ix, const struct changes *cs, time_t now,
			 struct reg_unlock **live, size_t *nlive)
{
	struct live l = { .v = *live, .n = *nlive, .cap = *nlive };
	const struct change *c;
	size_t i;
	int rc = 0;

	for (i = 0; i < cs->v.n && !rc; i++) {
		c = BYOD_VEC_AT(&cs->v, struct change, i);
		if (c->kind == CH_UNLOCK && !c->gone && !c->u.unlock.ended &&
		    c->u.unlock.starts > now && c->u.unlock.ends > now)
			rc = push_unlock(&l, &c->u.unlock);
	}
	for (i = 0; i < ix->nlive && !rc; i++) {
		const struct reg_unlock *u = &ix->live[i];
		int64_t id;
		size_t j;
		int named = 0;

		if (u->ended || u->starts <= now || u->ends <= now)
			continue;
		for (j = 0; j < cs->v.n && !named; j++) {
			c = BYOD_VEC_AT(&cs->v, struct change, j);
			named = c->kind == CH_UNLOCK && sscanf(c->key, "%" SCNd64, &id) == 1 &&
				id == u->id;
		}
		if (!named)
			rc = push_unlock(&l, u);
	}
	*live = l.v;
	*nlive = l.n;
	return rc;
}

/* The change feed is read this many events at a time. */
#define FEED_BATCH 1000

/* One read of the feed (FEED_BATCH events at most) applied; *more is set
 * when the batch was full and the index's place in the feed moved past it
 * (more may wait behind it). */
static int refresh_batch(struct rad_index *ix, int *changed, int *more, struct byod_err *err)
{
	char why[160] = "";
	int reconnected = 0;
	struct changes cs = { .v = BYOD_VEC_INIT(struct change) };
	struct byod_policies *pol = NULL;
	struct reg_unlock *live = NULL;
	size_t nlive = 0;
	int64_t version = 0;
	struct reg_event mark = { 0 };
	int rc, want_policy = 0, want_unlocks = 0, full = 0;
	time_t now = time(NULL);
	size_t i;

	if (changed)
		*changed = 0;
	pthread_mutex_lock(&ix->refresh_lock);
	__atomic_add_fetch(&ix->feed_reads, 1, __ATOMIC_RELAXED);
	/*
	 * A server that went away (-ENOTCONN) is connected to again here. A
	 * server that crashed or a replica that took over may have lost
	 * commits whose feed numbers this index saw, and given those numbers
	 * to later changes, which "after the last number I saw" would skip:
	 * unless the server still holds the last event applied, same number
	 * and same tag (reg_feed_resumable), everything is read again, from one
	 * snapshot. Until the new load is whole, the index answers from what
	 * it holds.
	 */
	if (!ix->reg) {
		rc = ix_open_registry(ix, ix->home, err);
		if (rc)
			goto out;
		reconnected = 1;
	}
	if (ix->loaded && reg_connection_epoch(ix->reg) != ix->epoch)
		reconnected = 1; /* the handle connected again by itself */
	if (ix->loaded && reconnected) {
		rc = reg_feed_resumable(ix->reg, &ix->last, why, sizeof(why), err);
		if (rc < 0)
			goto out;
		full = !rc;
		rc = 0;
		if (!full) {
			/* the server holds what this index followed: on from there */
			ix->epoch = reg_connection_epoch(ix->reg);
			pthread_rwlock_wrlock(&ix->lock);
			ix->resumes++;
			pthread_rwlock_unlock(&ix->lock);
		}
	}
	if (!ix->loaded || full) {
		/* the start found no registry, or a new connection to a
		 * server that lost what this index followed: the whole load
		 * again */
		struct rad_index fresh = { 0 };

		fresh.reg = ix->reg;
		rc = ix_new_maps(&fresh);
		if (!rc)
			rc = ix_load_all(&fresh, err);
		if (rc) {
			ix_free_maps(&fresh);
			byod_policies_free(fresh.policies);
			free(fresh.live);
			goto out;
		}
		pthread_rwlock_wrlock(&ix->lock);
		ix_free_maps(ix);
		byod_policies_free(ix->policies);
		free(ix->live);
		ix->st = fresh.st;
		ix->policies = fresh.policies;
		ix->policy_version = fresh.policy_version;
		ix->live = fresh.live;
		ix->nlive = fresh.nlive;
		ix->seq = fresh.seq;
		ix->last = fresh.last;
		ix->loaded = 1;
		ix->full_loads++;
		snprintf(ix->reload_why, sizeof(ix->reload_why), "%s",
			 why[0] ? why : "the registry was read for the first time");
		ix->epoch = reg_connection_epoch(ix->reg);
		ix->degraded = 0;
		pthread_rwlock_unlock(&ix->lock);
		if (changed)
			*changed = 1;
		goto out;
	}
	cs.reg = ix->reg;
	cs.st = &ix->st;
	cs.err = err;
	cs.last = ix->seq;
	rc = reg_events_since(ix->reg, ix->seq, FEED_BATCH, collect, &cs, err);
	if (rc == -ENOMEM)
		byod_err_set(err, ENOMEM, "out of memory following the change feed");
	if (rc)
		goto out;
	for (i = 0; i < cs.v.n; i++) {
		if (BYOD_VEC_AT(&cs.v, struct change, i)->kind == CH_POLICY)
			want_policy = 1;
		if (BYOD_VEC_AT(&cs.v, struct change, i)->kind == CH_UNLOCK)
			want_unlocks = 1;
	}
	/* an unlock over by its time is dropped (read again) */
	for (i = 0; i < ix->nlive; i++)
		if (ix->live[i].ends <= now)
			want_unlocks = 1;
	if (want_policy) {
		rc = ix_load_policies(ix->reg, &pol, &version, err);
		if (rc)
			goto out; /* the running policies stay */
	}
	if (want_unlocks) {
		rc = ix_load_unlocks(ix->reg, now, &live, &nlive, err);
		if (!rc)
			rc = keep_upcoming(ix, &cs, now, &live, &nlive);
		if (rc == -ENOMEM)
			byod_err_set(err, ENOMEM, "out of memory reading the unlocks");
		if (rc)
			goto out;
	}
	if (cs.v.n == 0 && !ix->degraded && !want_unlocks) {
		/* nothing the index keeps (sessions, audit rows…): no request
		 * waits for it, but its place in the feed moves on all the
		 * same, or a full batch of such events would be read again at
		 * every refresh, for ever, and no revocation after it seen */
		if (cs.last > ix->seq && reg_connection_epoch(ix->reg) == ix->epoch) {
			pthread_rwlock_wrlock(&ix->lock);
			ix->seq = cs.last;
			ix->last = cs.last_ev;
			pthread_rwlock_unlock(&ix->lock);
			*more = cs.read >= FEED_BATCH;
		}
		goto out;
	}
	/* the rows read above may show any commit up to the feed's head
	 * now: that head is the mark a reconnection is checked against */
	if (cs.v.n || want_policy || want_unlocks)
		rc = reg_feed_mark(ix->reg, &mark, err);
	if (rc)
		goto out;
	if (reg_connection_epoch(ix->reg) != ix->epoch) {
		/* the handle connected again during this read: what was
		 * read may come from two servers, and is dropped. The next
		 * refresh goes on from the mark of the last one if this
		 * server holds it, else reads everything again. */
		ix->epoch = 0;
		goto out;
	}
	pthread_rwlock_wrlock(&ix->lock);
	for (i = 0; i < cs.v.n && !rc; i++)
		rc = apply(ix, BYOD_VEC_AT(&cs.v, struct change, i));
	if (!rc) {
		if (want_policy) {
			byod_policies_free(ix->policies);
			ix->policies = pol;
			ix->policy_version = version;
			pol = NULL;
		}
		if (want_unlocks) {
			free(ix->live);
			ix->live = live;
			ix->nlive = nlive;
			live = NULL;
		}
		ix->seq = cs.last;
		if (mark.seq)
			ix->last = mark;
		ix->degraded = 0;
		*more = cs.read >= FEED_BATCH;
	}
	pthread_rwlock_unlock(&ix->lock);
	if (rc)
		byod_err_set(err, rc, "out of memory applying the change feed");
	else if (changed)
		*changed = (int)cs.v.n;
out:
	if (rc == -ENOTCONN) {
		reg_close(ix->reg);
		ix->reg = NULL;
	}
	if (rc) {
		pthread_rwlock_wrlock(&ix->lock);
		ix->degraded = 1;
		pthread_rwlock_unlock(&ix->lock);
	}
	pthread_mutex_unlock(&ix->refresh_lock);
	byod_policies_free(pol);
	free(live);
	byod_vec_free(&cs.v);
	return rc;
}

/* A refresh reads this many batches at most; the follower calls it again
 * at once when more are left (rad_index_more), its other work between. */
#define REFRESH_BATCHES 50

/*
 * Batch after batch until one is not full: a wait after a burst (a year's
 * import, a purge, mass revocations) says nothing of the events the first
 * batch left behind, which would otherwise wait for an unrelated commit or
 * the follower's safety read, each next thousand as long again.
 */
int rad_index_refresh(struct rad_index *ix, int *changed, struct byod_err *err)
{
	int n, total = 0, more = 0, batches = 0, rc;

	do {
		more = 0;
		n = 0;
		rc = refresh_batch(ix, &n, &more, err);
		total += n;
	} while (!rc && more && ++batches < REFRESH_BATCHES);
	ix->more = !rc && more;
	if (changed)
		*changed = total;
	return rc;
}

int rad_index_more(const struct rad_index *ix)
{
	return ix->more;
}

int rad_index_wait(struct rad_index *ix, int timeout_ms, struct byod_err *err)
{
	struct timespec t = { .tv_sec = timeout_ms / 1000,
			      .tv_nsec = (timeout_ms % 1000) * 1000000L };
	int rc;

	pthread_mutex_lock(&ix->refresh_lock);
	if (ix->reg) {
		rc = reg_feed_wait(ix->reg, timeout_ms, err);
	} else {
		nanosleep(&t, NULL);
		rc = 1; /* the refresh opens the registry again */
	}
	pthread_mutex_unlock(&ix->refresh_lock);
	return rc;
}
