// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The reference for test_index_compact: radius-module/index.c as it was
 * before the compact index (commit 1d9ae81), verbatim below, its symbols renamed
 * ref_index_*. Its maps of strings and pointers decide by the simplest
 * means; the compact index must answer every query as it does.
 */
#define rad_index ref_index
#define rad_index_open ref_index_open
#define rad_index_free ref_index_free
#define rad_index_refresh ref_index_refresh
#define rad_index_wait ref_index_wait
#define rad_index_decide ref_index_decide
#define rad_index_remember ref_index_remember
#define rad_index_serial_for_mac ref_index_serial_for_mac
#define rad_index_stats ref_index_stats

/*
 * The in-memory index behind rlm_byod: devices by id and by MAC,
 * certificates by serial, owners by id, every school's compiled running
 * policy (its own, or the département's default: core/policies.c) and the
 * teachers' unlocks live now (whose end bounds the Session-Timeout of a
 * decision made through one).
 * Loaded whole at start, then kept current by reading the registry's change
 * feed: each event names one object, which is read again and swapped in
 * under the write lock (a certificate's event also reads how long its
 * device holds one). Decisions read under the read lock and do no I/O.
 */
#include "index.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "byod.h"
#include "byod_conf.h"
#include "byod_util.h"
#include "byod_vec.h"
#include "hmap.h"
#include "mem.h"
#include "policy.h"
#include "registry.h"

struct person {
	int64_t id;
	int role;              /* enum byod_role */
	int disabled;          /* the account is disabled: its devices are refused */
	time_t leaves_at;      /* 0, or from when its devices are refused (it left) */
	char school[REG_UAI_MAX];
	char groups[REG_GROUPS_MAX];
};

struct device {
	char id[REG_ID_MAX];
	int64_t owner;
	int kind;  /* enum byod_kind */
	int state; /* enum byod_device_state */
	char mac[REG_MAC_MAX];
	/* the latest end among its unrevoked certificates (0: none), which
	 * bounds its MAC authentication (pol_facts.device_cert_until); kept
	 * from the certificates, not from the device's own row */
	time_t cert_until;
};

struct cert {
	char device[REG_ID_MAX];
	time_t not_before, not_after;
	int revoked;
	int seen;                      /* first seen at RADIUS already */
	char replaces[REG_SERIAL_MAX]; /* a renewal's predecessor, "" none */
};

struct rad_index {
	pthread_rwlock_t lock;
	struct reg *reg;  /* used by refresh only (one thread at a time); NULL
			   * while the registry is unreachable, opened again by refresh */
	char *home;
	pthread_mutex_t refresh_lock;
	int registration_vlan;
	int unreachable_reject;
	struct byod_hmap *devices; /* id -> struct device */
	struct byod_hmap *by_mac;  /* mac -> struct device (not owned) */
	struct byod_hmap *certs;   /* serial -> struct cert */
	struct byod_hmap *people;  /* id as text -> struct person */
	struct byod_policies *policies; /* each school's running policy */
	int64_t policy_version;    /* the default's (0: none) */
	struct reg_unlock *live;   /* the teachers' unlocks live at the last look */
	size_t nlive;
	int64_t seq;
	struct reg_event last; /* the last event applied (seq 0: none); its tag
				* says after a reconnection whether the server
				* still holds it */
	unsigned long full_loads, resumes;
	char reload_why[160];
	pthread_mutex_t recent_lock;
	struct byod_hmap *recent;  /* mac -> serial of its last EAP-TLS accept */
	int loaded;   /* a full load succeeded once */
	unsigned long epoch; /* reg_connection_epoch() of the last full load */
	int degraded; /* the last read of the registry failed */
};

/* ---- converting registry rows ---- */

static void person_from(struct person *p, const struct reg_person *r)
{
	memset(p, 0, sizeof(*p));
	p->id = r->id;
	p->role = r->role;
	p->disabled = r->state == REG_PERSON_DISABLED;
	p->leaves_at = r->leaves_at;
	snprintf(p->school, sizeof(p->school), "%s", r->school);
	snprintf(p->groups, sizeof(p->groups), "%s", r->groups);
}

static void device_from(struct device *d, const struct reg_device *r)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->id, sizeof(d->id), "%s", r->id);
	d->owner = r->owner;
	d->kind = r->kind;
	d->state = r->state;
	snprintf(d->mac, sizeof(d->mac), "%s", r->mac);
}

static void cert_from(struct cert *c, const struct reg_cert *r)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->device, sizeof(c->device), "%s", r->device);
	c->not_before = r->not_before;
	c->not_after = r->not_after;
	c->revoked = r->state != REG_CERT_VALID;
	c->seen = r->first_seen != 0;
	snprintf(c->replaces, sizeof(c->replaces), "%s", r->replaces);
}

static int live(const struct device *d)
{
	return pol_state_holds_mac(d->state);
}

/* ---- maps, under the write lock (or before the index is shared) ---- */

static int put_person(struct rad_index *ix, const struct reg_person *r)
{
	struct person *p = byod_mem_alloc(sizeof(*p));
	char key[24];

	if (!p)
		return -ENOMEM;
	person_from(p, r);
	snprintf(key, sizeof(key), "%lld", (long long)r->id);
	if (byod_hmap_put(ix->people, key, p)) {
		byod_mem_free(p, sizeof(*p));
		return -ENOMEM;
	}
	return 0;
}

/* A MAC may have been carried by several devices (a retired phone's MAC
 * re-enrolled): the live one wins, else the newest seen. */
static int put_device(struct rad_index *ix, const struct reg_device *r)
{
	struct device *d = byod_mem_alloc(sizeof(*d)), *old, *holder;

	if (!d)
		return -ENOMEM;
	device_from(d, r);
	old = byod_hmap_get(ix->devices, d->id);
	if (old)
		d->cert_until = old->cert_until;
	if (old && old->mac[0] && byod_hmap_get(ix->by_mac, old->mac) == old)
		byod_hmap_del(ix->by_mac, old->mac);
	if (byod_hmap_put(ix->devices, d->id, d)) {
		byod_mem_free(d, sizeof(*d));
		return -ENOMEM;
	}
	if (d->mac[0]) {
		holder = byod_hmap_get(ix->by_mac, d->mac);
		if (!holder || live(d) || !live(holder))
			return byod_hmap_put(ix->by_mac, d->mac, d);
	}
	return 0;
}

static int put_cert(struct rad_index *ix, const struct reg_cert *r)
{
	struct cert *c = byod_mem_alloc(sizeof(*c));
	struct device *d;

	if (!c)
		return -ENOMEM;
	cert_from(c, r);
	if (byod_hmap_put(ix->certs, r->serial, c)) {
		byod_mem_free(c, sizeof(*c));
		return -ENOMEM;
	}
	/* loading: every certificate passes here once, after the devices */
	d = byod_hmap_get(ix->devices, c->device);
	if (d && !c->revoked && c->not_after > d->cert_until)
		d->cert_until = c->not_after;
	return 0;
}

/* ---- loading ---- */

static int load_person(const struct reg_person *r, void *arg)
{
	return put_person(arg, r);
}

static int load_device(const struct reg_device *r, void *arg)
{
	return put_device(arg, r);
}

static int load_cert(const struct reg_cert *r, void *arg)
{
	return put_cert(arg, r);
}

/* Every school's running policy, compiled (in the caller's snapshot, or
 * one of its own); *set empty when none was applied. */
static int load_policies(struct reg *reg, struct byod_policies **set, int64_t *version,
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

struct live {
	struct reg_unlock *v;
	size_t n, cap;
};

static int add_live(const struct reg_unlock *u, void *arg)
{
	struct live *l = arg;
	struct reg_unlock *e = BYOD_ARRAY_PUSH(l->v, l->n, l->cap);

	if (!e)
		return -ENOMEM;
	*e = *u;
	return 0;
}

/* The unlocks live at now, of every school. */
static int load_unlocks(struct reg *reg, time_t now, struct reg_unlock **out, size_t *n,
			struct byod_err *err)
{
	struct live l = { 0 };
	int rc;

	rc = reg_unlock_list_active(reg, NULL, now, add_live, &l, err);
	if (rc) {
		free(l.v);
		return rc;
	}
	*out = l.v;
	*n = l.n;
	return 0;
}

static void free_device(void *d)
{
	byod_mem_free(d, sizeof(struct device));
}

static void free_cert(void *c)
{
	byod_mem_free(c, sizeof(struct cert));
}

static void free_person(void *p)
{
	byod_mem_free(p, sizeof(struct person));
}

static int new_maps(struct rad_index *ix)
{
	ix->devices = byod_hmap_new(free_device);
	ix->by_mac = byod_hmap_new(NULL);
	ix->certs = byod_hmap_new(free_cert);
	ix->people = byod_hmap_new(free_person);
	return ix->devices && ix->by_mac && ix->certs && ix->people ? 0 : -ENOMEM;
}

static void free_maps(struct rad_index *ix)
{
	byod_hmap_free(ix->by_mac);
	byod_hmap_free(ix->devices);
	byod_hmap_free(ix->certs);
	byod_hmap_free(ix->people);
	ix->devices = ix->by_mac = ix->certs = ix->people = NULL;
}

/*
 * Everything and the last event's seq, read in one snapshot: an event
 * committed during the load is either in what was read and at or below
 * the seq, or after both, so the feed neither skips nor repeats it.
 */
static int load_all(struct rad_index *ix, struct byod_err *err)
{
	int rc;

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
	if (!rc)
		rc = reg_person_list(ix->reg, load_person, ix, err);
	if (!rc)
		rc = reg_device_list(ix->reg, NULL, load_device, ix, err);
	if (!rc)
		rc = reg_cert_list(ix->reg, load_cert, ix, err);
	if (!rc)
		rc = load_unlocks(ix->reg, time(NULL), &ix->live, &ix->nlive, err);
	if (!rc)
		rc = load_policies(ix->reg, &ix->policies, &ix->policy_version, err);
	if (rc == -ENOMEM)
		byod_err_set(err, ENOMEM, "out of memory loading the registry");
	if (!rc)
		rc = reg_commit(ix->reg, err);
	if (rc)
		reg_rollback(ix->reg);
	return rc;
}

/* The index only reads: through registry.read-url when it is set (a
 * standby), registry.url otherwise. */
static int open_registry(struct rad_index *ix, const char *home, struct byod_err *err)
{
	/* the RADIUS path waits 200 ms for a lock, not seconds */
	return reg_open_home_read(home, "rlm_byod", 200, &ix->reg, err);
}

int rad_index_open(const struct rad_index_options *opt, struct rad_index **out, int *degraded,
		   struct byod_err *err)
{
	struct rad_index *ix = calloc(1, sizeof(*ix));
	int rc;

	*out = NULL;
	*degraded = 0;
	if (!ix)
		return byod_err_set(err, ENOMEM, "out of memory");
	pthread_rwlock_init(&ix->lock, NULL);
	pthread_mutex_init(&ix->refresh_lock, NULL);
	pthread_mutex_init(&ix->recent_lock, NULL);
	ix->recent = byod_hmap_new(free);
	ix->registration_vlan = opt->registration_vlan;
	ix->unreachable_reject = opt->unreachable_reject;
	ix->home = strdup(opt->home ? opt->home : ".");
	if (!ix->home || !ix->recent || new_maps(ix)) {
		rad_index_free(ix);
		return byod_err_set(err, ENOMEM, "out of memory");
	}
	rc = open_registry(ix, ix->home, err);
	if (rc == -EINVAL || rc == -ERANGE || rc == -EEXIST || rc == -ENOMEM) {
		/* a configuration mistake is the admin's to fix: refuse to start */
		rad_index_free(ix);
		return rc;
	}
	if (!rc)
		rc = load_all(ix, err);
	if (rc) {
		/* start anyway, empty: refresh will retry the full load */
		free_maps(ix);
		byod_policies_free(ix->policies);
		ix->policies = NULL;
		ix->policy_version = 0;
		free(ix->live);
		ix->live = NULL;
		ix->nlive = 0;
		if (new_maps(ix)) {
			rad_index_free(ix);
			return byod_err_set(err, ENOMEM, "out of memory");
		}
		ix->degraded = 1;
		*degraded = 1;
	} else {
		ix->loaded = 1;
		ix->full_loads = 1;
		ix->epoch = reg_connection_epoch(ix->reg);
	}
	*out = ix;
	return 0;
}

void rad_index_free(struct rad_index *ix)
{
	if (!ix)
		return;
	free_maps(ix);
	byod_hmap_free(ix->recent);
	byod_policies_free(ix->policies);
	free(ix->live);
	reg_close(ix->reg);
	free(ix->home);
	pthread_mutex_destroy(&ix->recent_lock);
	pthread_rwlock_destroy(&ix->lock);
	pthread_mutex_destroy(&ix->refresh_lock);
	free(ix);
}

/* ---- following the change feed ---- */

enum change_kind { CH_DEVICE, CH_CERT, CH_PERSON, CH_POLICY, CH_UNLOCK };

struct change {
	enum change_kind kind;
	int gone; /* the object no longer exists */
	union {
		struct reg_device device;
		struct reg_cert cert;
		struct reg_person person;
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
	int64_t last;
	struct reg_event last_ev;
	struct reg *reg;
	struct byod_err *err;
};

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
		c->kind = CH_UNLOCK;
		rc = 0;
	} else {
		c->kind = CH_POLICY;
		rc = 0;
	}
	if (rc == -ENOENT) {
		c->gone = 1;
		rc = 0;
	}
	if (rc)
		byod_vec_del(&cs->v, cs->v.n - 1);
	return rc;
}

static int apply(struct rad_index *ix, const struct change *c)
{
	struct device *d;

	int rc;

	switch (c->kind) {
	case CH_DEVICE:
		if (!c->gone) {
			rc = put_device(ix, &c->u.device);
			d = byod_hmap_get(ix->devices, c->key);
			if (!rc && d)
				d->cert_until = c->cert_until;
			return rc;
		}
		d = byod_hmap_get(ix->devices, c->key);
		if (d && d->mac[0] && byod_hmap_get(ix->by_mac, d->mac) == d)
			byod_hmap_del(ix->by_mac, d->mac);
		byod_hmap_del(ix->devices, c->key);
		return 0;
	case CH_CERT:
		if (c->gone) {
			byod_hmap_del(ix->certs, c->key);
			return 0;
		}
		d = byod_hmap_get(ix->devices, c->device);
		if (d)
			d->cert_until = c->cert_until;
		return put_cert(ix, &c->u.cert);
	case CH_PERSON:
		return c->gone ? 0 : put_person(ix, &c->u.person);
	case CH_POLICY:
	case CH_UNLOCK:
		return 0; /* loaded apart, outside the lock */
	}
	return 0;
}

int rad_index_refresh(struct rad_index *ix, int *changed, struct byod_err *err)
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
		rc = open_registry(ix, ix->home, err);
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
		rc = new_maps(&fresh);
		if (!rc)
			rc = load_all(&fresh, err);
		if (rc) {
			free_maps(&fresh);
			byod_policies_free(fresh.policies);
			free(fresh.live);
			goto out;
		}
		pthread_rwlock_wrlock(&ix->lock);
		free_maps(ix);
		byod_policies_free(ix->policies);
		free(ix->live);
		ix->devices = fresh.devices;
		ix->by_mac = fresh.by_mac;
		ix->certs = fresh.certs;
		ix->people = fresh.people;
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
	cs.err = err;
	cs.last = ix->seq;
	rc = reg_events_since(ix->reg, ix->seq, 1000, collect, &cs, err);
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
		rc = load_policies(ix->reg, &pol, &version, err);
		if (rc)
			goto out; /* the running policies stay */
	}
	if (want_unlocks) {
		rc = load_unlocks(ix->reg, now, &live, &nlive, err);
		if (rc)
			goto out;
	}
	if (cs.v.n == 0 && !ix->degraded && !want_unlocks)
		goto out; /* nothing new: no write lock, no request waits for it */
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
		rc = 0;
	}
	pthread_mutex_unlock(&ix->refresh_lock);
	return rc;
}

/* ---- deciding ---- */

static int answer(struct rad_answer *out, int accept, int vlan, const char *rule,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Fills out; returns 0 so that a decision can end with "return answer(...)". */
static int answer(struct rad_answer *out, int accept, int vlan, const char *rule,
		  const char *fmt, ...)
{
	va_list ap;

	out->accept = accept;
	out->vlan = vlan;
	snprintf(out->rule, sizeof(out->rule), "%s", rule);
	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
	return 0;
}

/* The decision counts' name of the registration VLAN given without a
 * policy to name it. */
#define REGISTRATION "registration"

/* The registry could not be read since the start: nothing is known, no
 * policy either. */
static int unreachable(struct rad_index *ix, struct rad_answer *out)
{
	out->counted = "no-policy";
	if (ix->unreachable_reject)
		return answer(out, 0, 0, "registry unreachable",
			      "the registry is unreachable: refused");
	snprintf(out->segment, sizeof(out->segment), "%s", REGISTRATION);
	return answer(out, 1, ix->registration_vlan, "registry unreachable",
		      "the registry is unreachable: registration segment");
}

/* The name a refusal is counted under: a device the registry does not
 * know is "unknown" whatever refused it. */
static const char *counted_as(const struct pol_admission *adm, int known)
{
	static const char *const by_refusal[] = {
		[POL_ADMITTED] = "accept",
		[POL_REFUSED_CERT_REVOKED] = "cert-revoked",
		[POL_REFUSED_CERT_EXPIRED] = "cert-expired",
		[POL_REFUSED_DEVICE_STATE] = "device-state",
		[POL_REFUSED_OWNER_DISABLED] = "owner-disabled",
		[POL_REFUSED_BY_RULE] = "rule",
		[POL_NO_POLICY] = "no-policy",
	};

	if (adm->admit)
		return "accept";
	if (!known)
		return "unknown";
	return (size_t)adm->refusal < sizeof(by_refusal) / sizeof(by_refusal[0]) &&
			       by_refusal[adm->refusal]
		       ? by_refusal[adm->refusal]
		       : "rule";
}

static int decide_locked(struct rad_index *ix, const struct rad_query *rq,
			 struct rad_answer *out)
{
	char mac[REG_MAC_MAX], serial[REG_SERIAL_MAX];
	const struct device *d = NULL;
	const struct cert *c = NULL;
	const struct person *p = NULL;
	const struct reg_unlock *u;
	struct pol_facts f;
	struct pol_admission adm;
	char key[24], when[32];
	int left = 0;

	if (rq->method == RAD_METHOD_TLS) {
		if (!rq->serial || byod_serial_normalise(rq->serial, serial, sizeof(serial)))
			return answer(out, 0, 0, "certificate", "no usable certificate serial");
		c = byod_hmap_get(ix->certs, serial);
		if (!c && !ix->loaded)
			return unreachable(ix, out);
		if (!c)
			return answer(out, 0, 0, "certificate",
				      "certificate %s is not in the registry", serial);
		d = byod_hmap_get(ix->devices, c->device);
		if (!d)
			return answer(out, 0, 0, "certificate",
				      "certificate %s belongs to no device", serial);
	} else {
		if (!rq->mac || byod_mac_normalise(rq->mac, mac))
			return answer(out, 0, 0, "mac", "'%s' is not a MAC address",
				      rq->mac ? rq->mac : "");
		d = byod_hmap_get(ix->by_mac, mac);
	}
	memset(&f, 0, sizeof(f));
	f.role = -1;
	f.kind = -1;
	f.state = BYOD_DEVICE_UNKNOWN;
	f.method = rq->method == RAD_METHOD_TLS ? POL_METHOD_CERTIFICATE : POL_METHOD_MAC;
	if (d) {
		out->known = 1;
		snprintf(out->device, sizeof(out->device), "%s", d->id);
		snprintf(key, sizeof(key), "%lld", (long long)d->owner);
		p = byod_hmap_get(ix->people, key);
		f.device = d->id;
		f.kind = d->kind;
		f.state = d->state;
		f.device_cert_until = d->cert_until;
	}
	if (p) {
		snprintf(out->school, sizeof(out->school), "%s", p->school);
		f.role = p->role;
		f.school = p->school;
		f.groups = p->groups;
		/* an owner whose leaving date has come is refused as a disabled
		 * one, before the daily job disables the account */
		left = !p->disabled && p->leaves_at && p->leaves_at <= rq->now;
		f.owner_disabled = p->disabled || left;
		/* a teacher opened one of the owner's groups */
		u = byod_unlock_find(ix->live, ix->nlive, p->school, p->groups, rq->now);
		if (u) {
			f.unlocked_until = u->ends;
			f.unlocked_group = u->group;
		}
	}
	if (c && !c->seen && c->replaces[0]) {
		/* a renewal never seen before, whose predecessor still works:
		 * its first accept revokes that one (reg_cert_seen) */
		const struct cert *old = byod_hmap_get(ix->certs, c->replaces);

		if (old && !old->revoked && old->not_after > rq->now) {
			out->first_sighting = 1;
			snprintf(out->serial, sizeof(out->serial), "%s", serial);
		}
	}
	if (c) {
		f.serial = serial;
		f.cert_not_before = c->not_before;
		f.cert_not_after = c->not_after;
		f.cert_revoked = c->revoked;
	}
	pol_admit(byod_policies_for(ix->policies, p ? p->school : NULL), &f, rq->now, &adm, NULL,
		  NULL);
	if (adm.refusal == POL_NO_POLICY) {
		out->first_sighting = 0; /* the registration segment proves nothing */
		if (!ix->loaded)
			return unreachable(ix, out);
		out->counted = "no-policy";
		snprintf(out->segment, sizeof(out->segment), "%s", REGISTRATION);
		return answer(out, 1, ix->registration_vlan, "no policy",
			      "no policy is loaded: registration segment");
	}
	out->counted = counted_as(&adm, out->known);
	if (adm.admit)
		snprintf(out->segment, sizeof(out->segment), "%s", adm.dec.segment_name);
	if (!adm.admit)
		out->first_sighting = 0;
	out->accept = adm.admit;
	out->vlan = adm.admit ? adm.dec.vlan : 0;
	out->session_timeout = adm.session_timeout;
	snprintf(out->rule, sizeof(out->rule), "%s", adm.what);
	snprintf(out->reason, sizeof(out->reason), "%s", adm.reason);
	if (!adm.admit && adm.refusal == POL_REFUSED_OWNER_DISABLED && left)
		snprintf(out->reason, sizeof(out->reason), "the owner of device %s left on %s",
			 d->id, byod_time_iso(p->leaves_at, when, sizeof(when)));
	return 0;
}

void rad_index_decide(struct rad_index *ix, const struct rad_query *rq, struct rad_answer *out)
{
	memset(out, 0, sizeof(*out));
	pthread_rwlock_rdlock(&ix->lock);
	decide_locked(ix, rq, out);
	pthread_rwlock_unlock(&ix->lock);
	/* the answers before the policy: a serial, a certificate or a MAC
	 * the registry does not know */
	if (!out->counted)
		out->counted = out->accept ? "accept" : "unknown";
}

void rad_index_remember(struct rad_index *ix, const char *mac, const char *serial)
{
	char m[REG_MAC_MAX], sn[REG_SERIAL_MAX];
	char *copy;

	if (!mac || !serial || byod_mac_normalise(mac, m) ||
	    byod_serial_normalise(serial, sn, sizeof(sn)))
		return;
	copy = strdup(sn);
	if (!copy)
		return;
	pthread_mutex_lock(&ix->recent_lock);
	if (byod_hmap_put(ix->recent, m, copy))
		free(copy);
	pthread_mutex_unlock(&ix->recent_lock);
}

int rad_index_serial_for_mac(struct rad_index *ix, const char *mac, char *out, size_t len)
{
	char m[REG_MAC_MAX];
	const char *sn;
	int rc = -ENOENT;

	if (!mac || byod_mac_normalise(mac, m))
		return -EINVAL;
	pthread_mutex_lock(&ix->recent_lock);
	sn = byod_hmap_get(ix->recent, m);
	if (sn) {
		snprintf(out, len, "%s", sn);
		rc = 0;
	}
	pthread_mutex_unlock(&ix->recent_lock);
	return rc;
}

void rad_index_stats(struct rad_index *ix, struct rad_index_stats *out)
{
	memset(out, 0, sizeof(*out));
	pthread_rwlock_rdlock(&ix->lock);
	out->devices = byod_hmap_count(ix->devices);
	out->certs = byod_hmap_count(ix->certs);
	out->people = byod_hmap_count(ix->people);
	out->bytes = byod_hmap_bytes(ix->devices) + byod_hmap_bytes(ix->by_mac) +
		     byod_hmap_bytes(ix->certs) + byod_hmap_bytes(ix->people) +
		     out->devices * sizeof(struct device) + out->certs * sizeof(struct cert) +
		     out->people * sizeof(struct person);
	out->seq = ix->seq;
	out->policy_version = ix->policy_version;
	out->degraded = ix->degraded;
	out->full_loads = ix->full_loads;
	out->resumes = ix->resumes;
	snprintf(out->reload_why, sizeof(out->reload_why), "%s", ix->reload_why);
	pthread_rwlock_unlock(&ix->lock);
}
