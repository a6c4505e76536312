// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The desired firewall state from the registry: what nftables should hold
 * for the open accounting sessions and the devices' states. byod-gatewayd
 * keeps it current from the change feed and turns its differences into
 * batches; byodctl firewall show|check|apply renders it once. Every
 * session is decided by pol_admit, like the RADIUS module's requests:
 *   - a session admitted by the policy puts its MAC in the admitted map,
 *     in the segment it was given (the newest session of a MAC wins); a
 *     session without a certificate serial is a MAC authentication, and a
 *     device that holds a certificate gets mab-segment there as in RADIUS;
 *   - a device refused in a quarantined state (revoked, suspended) or
 *     owned by a disabled account has its MACs quarantined: the one it
 *     was registered with and those its sessions were seen with, unless
 *     an active device of an active owner uses the same MAC (the same
 *     phone enrolled again); its sessions' IPv4 addresses too.
 * A school runs one gateway per 10,000 devices or so: every lookup (a
 * session by id, by MAC, by device; a quarantined MAC; a device's MACs) is
 * a hash map, never a scan of the whole state.
 */
#include "byod.h"
#include "hmap.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ENTRY(set, i) BYOD_FW_SET_AT((set), (i))

/* ---- keyed sets ---- */

void byod_fw_set_init(struct byod_fw_set *s)
{
	byod_vec_init(&s->v, sizeof(struct byod_fw_entry));
	s->idx = NULL;
}

void byod_fw_set_free(struct byod_fw_set *s)
{
	if (!s)
		return;
	byod_vec_free(&s->v);
	byod_hmap_free(s->idx);
	s->idx = NULL;
}

static size_t set_index(const struct byod_fw_set *s, const char *key)
{
	return s->idx ? (size_t)(uintptr_t)byod_hmap_get(s->idx, key) : 0;
}

struct byod_fw_entry *byod_fw_entry_find(const struct byod_fw_set *s, const char *key)
{
	size_t at = set_index(s, key);

	return at ? ENTRY(s, at - 1) : NULL;
}

int byod_fw_entry_put(struct byod_fw_set *s, const char *key, const char *val)
{
	struct byod_fw_entry *e = byod_fw_entry_find(s, key);

	if (!e) {
		if (!s->idx && !(s->idx = byod_hmap_new(NULL)))
			return -ENOMEM;
		e = byod_vec_push(&s->v);
		if (!e)
			return -ENOMEM;
		snprintf(e->mac, sizeof(e->mac), "%s", key);
		if (byod_hmap_put(s->idx, e->mac, (void *)(uintptr_t)s->v.n)) {
			s->v.n--;
			return -ENOMEM;
		}
	}
	snprintf(e->val, sizeof(e->val), "%s", val);
	return 0;
}

void byod_fw_set_del_at(struct byod_fw_set *s, size_t i)
{
	size_t last = s->v.n - 1;

	if (i >= s->v.n)
		return;
	byod_hmap_del(s->idx, ENTRY(s, i)->mac);
	if (i != last) {
		*ENTRY(s, i) = *ENTRY(s, last);
		/* a replacement of an existing key: cannot fail */
		byod_hmap_put(s->idx, ENTRY(s, i)->mac, (void *)(uintptr_t)(i + 1));
	}
	s->v.n--;
}

int byod_fw_entry_del(struct byod_fw_set *s, const char *key)
{
	size_t at = set_index(s, key);

	if (!at)
		return -ENOENT;
	byod_fw_set_del_at(s, at - 1);
	return 0;
}

/* ---- the sessions followed, by id, MAC and device ---- */

/* The sessions of one MAC or one device, oldest first. */
struct chain {
	struct byod_fw_session *first, *last;
};

enum link { BY_MAC, BY_DEVICE, BY_IP };

static struct byod_fw_session **link_prev(struct byod_fw_session *s, enum link l)
{
	return l == BY_MAC ? &s->mac_prev : l == BY_DEVICE ? &s->dev_prev : &s->ip_prev;
}

static struct byod_fw_session **link_next(struct byod_fw_session *s, enum link l)
{
	return l == BY_MAC ? &s->mac_next : l == BY_DEVICE ? &s->dev_next : &s->ip_next;
}

static const char *link_key(const struct byod_fw_session *s, enum link l)
{
	return l == BY_MAC ? s->row.mac : l == BY_DEVICE ? s->row.device : s->row.ip;
}

static struct byod_hmap **link_map(struct byod_fw_state *st, enum link l)
{
	return l == BY_MAC ? &st->by_mac : l == BY_DEVICE ? &st->by_device : &st->by_ip;
}

/* ---- what changed since the kernel was last in line ---- */

static void dirty(struct byod_fw_state *st, struct byod_fw_set *set, const char *key)
{
	if (key[0] && !byod_fw_entry_find(set, key) && byod_fw_entry_put(set, key, ""))
		st->dirty_oom = 1;
}

void byod_fw_state_touch(struct byod_fw_state *st, const struct byod_fw_session *s)
{
	dirty(st, &st->dirty_macs, s->row.mac);
	dirty(st, &st->dirty_ips, s->row.ip);
}

void byod_fw_state_clean(struct byod_fw_state *st)
{
	byod_fw_set_free(&st->dirty_macs);
	byod_fw_set_free(&st->dirty_ips);
	st->dirty_oom = 0;
}

int byod_fw_state_ip_quarantined(const struct byod_fw_state *st, const char *ip)
{
	const struct chain *c;
	const struct byod_fw_session *s;

	/* nftables' quarantine set of addresses is IPv4 */
	if (!ip[0] || !strchr(ip, '.') || !st->by_ip || !(c = byod_hmap_get(st->by_ip, ip)))
		return 0;
	for (s = c->first; s; s = s->ip_next)
		if (s->blocked)
			return 1;
	return 0;
}

/* Appends s to the chain of its key (none for an empty key). */
static int chain_add(struct byod_fw_state *st, struct byod_fw_session *s, enum link l)
{
	struct byod_hmap **m = link_map(st, l);
	const char *key = link_key(s, l);
	struct chain *c;

	*link_prev(s, l) = *link_next(s, l) = NULL;
	if (!key[0])
		return 0;
	if (!*m && !(*m = byod_hmap_new(free)))
		return -ENOMEM;
	c = byod_hmap_get(*m, key);
	if (!c) {
		c = calloc(1, sizeof(*c));
		if (!c || byod_hmap_put(*m, key, c)) {
			free(c);
			return -ENOMEM;
		}
	}
	if (c->last) {
		*link_next(c->last, l) = s;
		*link_prev(s, l) = c->last;
	} else {
		c->first = s;
	}
	c->last = s;
	return 0;
}

static void chain_del(struct byod_fw_state *st, struct byod_fw_session *s, enum link l)
{
	struct byod_hmap *m = *link_map(st, l);
	const char *key = link_key(s, l);
	struct byod_fw_session *p = *link_prev(s, l), *n = *link_next(s, l);
	struct chain *c = key[0] && m ? byod_hmap_get(m, key) : NULL;

	if (!c)
		return;
	if (p)
		*link_next(p, l) = n;
	else
		c->first = n;
	if (n)
		*link_prev(n, l) = p;
	else
		c->last = p;
	if (!c->first)
		byod_hmap_del(m, key);
	*link_prev(s, l) = *link_next(s, l) = NULL;
}

static void id_key(int64_t id, char *out, size_t len)
{
	snprintf(out, len, "%lld", (long long)id);
}

struct byod_fw_session *byod_fw_state_session(const struct byod_fw_state *st, int64_t id)
{
	char key[24];

	if (!st->sessions)
		return NULL;
	id_key(id, key, sizeof(key));
	return byod_hmap_get(st->sessions, key);
}

struct byod_fw_session *byod_fw_state_add(struct byod_fw_state *st, const struct reg_session *row)
{
	struct byod_fw_session *s = byod_fw_state_session(st, row->id);
	char key[24];

	if (s) {
		byod_fw_state_touch(st, s); /* the MAC and address it had */
		chain_del(st, s, BY_MAC);
		chain_del(st, s, BY_DEVICE);
		chain_del(st, s, BY_IP);
		s->row = *row;
		goto link;
	}
	if (!st->sessions && !(st->sessions = byod_hmap_new(free)))
		return NULL;
	s = calloc(1, sizeof(*s));
	id_key(row->id, key, sizeof(key));
	if (!s || byod_hmap_put(st->sessions, key, s)) {
		free(s);
		return NULL;
	}
	s->id = row->id;
	s->row = *row;
	s->prev = st->last;
	if (st->last)
		st->last->next = s;
	else
		st->first = s;
	st->last = s;
	st->nsessions++;
link:
	byod_fw_state_touch(st, s);
	if (chain_add(st, s, BY_MAC) || chain_add(st, s, BY_DEVICE) || chain_add(st, s, BY_IP)) {
		byod_fw_state_drop(st, row->id);
		return NULL;
	}
	return s;
}

int byod_fw_state_drop(struct byod_fw_state *st, int64_t id)
{
	struct byod_fw_session *s = byod_fw_state_session(st, id);
	char key[24];

	if (!s)
		return -ENOENT;
	byod_fw_state_touch(st, s);
	chain_del(st, s, BY_MAC);
	chain_del(st, s, BY_DEVICE);
	chain_del(st, s, BY_IP);
	if (s->prev)
		s->prev->next = s->next;
	else
		st->first = s->next;
	if (s->next)
		s->next->prev = s->prev;
	else
		st->last = s->prev;
	st->nsessions--;
	id_key(id, key, sizeof(key));
	byod_hmap_del(st->sessions, key); /* frees s */
	return 0;
}

struct byod_fw_session *byod_fw_state_device_sessions(const struct byod_fw_state *st,
						      const char *id)
{
	struct chain *c = st->by_device && id[0] ? byod_hmap_get(st->by_device, id) : NULL;

	return c ? c->first : NULL;
}

/* ---- the quarantine, with the MACs of each device ---- */

static void macs_free(void *p)
{
	byod_fw_set_free(p);
	free(p);
}

int byod_fw_state_quarantine(struct byod_fw_state *st, const char *mac, const char *device)
{
	struct byod_fw_entry *e = byod_fw_entry_find(&st->quarantine, mac);
	struct byod_fw_set *macs;

	if (e && strcmp(e->val, device)) {
		macs = byod_hmap_get(st->q_by_device, e->val);
		if (macs)
			byod_fw_entry_del(macs, mac);
	}
	if (!st->q_by_device && !(st->q_by_device = byod_hmap_new(macs_free)))
		return -ENOMEM;
	macs = byod_hmap_get(st->q_by_device, device);
	if (!macs) {
		macs = calloc(1, sizeof(*macs));
		if (!macs)
			return -ENOMEM;
		byod_fw_set_init(macs);
		if (byod_hmap_put(st->q_by_device, device, macs)) {
			macs_free(macs);
			return -ENOMEM;
		}
	}
	if (byod_fw_entry_put(macs, mac, ""))
		return -ENOMEM;
	dirty(st, &st->dirty_macs, mac);
	return byod_fw_entry_put(&st->quarantine, mac, device);
}

/* Takes every quarantined MAC of device out. */
static void quarantine_drop_device(struct byod_fw_state *st, const char *device)
{
	struct byod_fw_set *macs = st->q_by_device ? byod_hmap_get(st->q_by_device, device) : NULL;
	size_t i;

	if (!macs)
		return;
	for (i = 0; i < macs->v.n; i++) {
		const char *mac = ENTRY(macs, i)->mac;
		struct byod_fw_entry *e = byod_fw_entry_find(&st->quarantine, mac);

		if (e && !strcmp(e->val, device)) {
			dirty(st, &st->dirty_macs, mac);
			byod_fw_entry_del(&st->quarantine, mac);
		}
	}
	byod_hmap_del(st->q_by_device, device);
}

void byod_fw_state_init(struct byod_fw_state *st)
{
	memset(st, 0, sizeof(*st));
	byod_fw_set_init(&st->quarantine);
	byod_fw_set_init(&st->dirty_macs);
	byod_fw_set_init(&st->dirty_ips);
}

void byod_fw_state_free(struct byod_fw_state *st)
{
	if (!st)
		return;
	byod_hmap_free(st->by_mac);
	byod_hmap_free(st->by_device);
	byod_hmap_free(st->by_ip);
	byod_hmap_free(st->sessions); /* the sessions themselves */
	byod_fw_set_free(&st->quarantine);
	byod_hmap_free(st->q_by_device);
	byod_fw_state_clean(st);
	st->by_mac = st->by_device = st->by_ip = st->sessions = st->q_by_device = NULL;
	st->first = st->last = NULL;
	st->nsessions = 0;
}

/* ---- one session ---- */

/* The facts of the certificate the session authenticated with, when the
 * registry has it: its own dates and revocation, not the device's newest. */
static int session_cert(struct byod_ctx *ctx, const struct reg_session *row,
			struct byod_facts *facts, struct byod_err *err)
{
	struct reg_cert c;
	int rc;

	if (!row->serial[0])
		return 0;
	rc = reg_cert_get(ctx->reg, row->serial, &c, err);
	if (rc == -ENOENT)
		return 0;
	if (rc)
		return rc;
	snprintf(facts->serial, sizeof(facts->serial), "%s", c.serial);
	facts->f.serial = facts->serial;
	facts->f.cert_not_before = c.not_before;
	facts->f.cert_not_after = c.not_after;
	facts->f.cert_revoked = c.state != REG_CERT_VALID;
	return 0;
}

int byod_fw_session_decide(struct byod_ctx *ctx, const struct pol_policy *pol,
			   struct byod_fw_session *s, time_t now, struct byod_err *err)
{
	struct byod_fw_decider d = { .pol = pol };

	return byod_fw_session_decide_by(ctx, &d, s, now, err);
}

int byod_fw_session_decide_by(struct byod_ctx *ctx, const struct byod_fw_decider *by,
			      struct byod_fw_session *s, time_t now, struct byod_err *err)
{
	const struct pol_policy *pol = by->pol;
	struct byod_facts facts;
	struct reg_device d;
	int rc = -ENOENT;

	s->segment[0] = '\0';
	s->vlan = 0;
	s->blocked = 0;
	if (s->row.device[0])
		rc = reg_device_get(ctx->reg, s->row.device, &d, err);
	if (rc && rc != -ENOENT)
		return rc;
	if (!rc) {
		rc = byod_device_facts(ctx, &d, &facts, err);
		if (!rc && !s->row.serial[0])
			byod_facts_by_mac(&facts); /* MAB: no certificate presented */
		else if (!rc)
			rc = session_cert(ctx, &s->row, &facts, err);
		if (rc)
			return rc;
		/* the owner's school's policy, and its teachers' openings */
		if (by->policies)
			pol = byod_policies_for(by->policies, facts.owner.school);
		if (by->nlive)
			byod_facts_set_unlock(&facts, by->live, by->nlive, now);
	} else {
		memset(&facts, 0, sizeof(facts));
		facts.f.role = -1;
		facts.f.kind = -1;
		facts.f.state = BYOD_DEVICE_UNKNOWN;
		if (by->policies)
			pol = byod_policies_for(by->policies, NULL);
	}
	facts.f.method = s->row.serial[0] ? POL_METHOD_CERTIFICATE : POL_METHOD_MAC;
	pol_admit(pol, &facts.f, now, &s->adm, NULL, NULL);
	s->blocked = s->adm.quarantine;
	if (s->adm.admit) {
		snprintf(s->segment, sizeof(s->segment), "%s", s->adm.dec.segment_name);
		s->vlan = s->adm.dec.vlan;
	}
	return 0;
}

/* ---- the school followed ---- */

int byod_fw_state_follows(struct byod_ctx *ctx, const struct byod_fw_state *st,
			  const struct reg_device *d, struct byod_err *err)
{
	struct reg_person owner;
	int rc;

	if (!st->school[0])
		return 1;
	rc = reg_person_get_by_id(ctx->reg, d->owner, &owner, err);
	if (rc == -ENOENT)
		return 0;
	if (rc)
		return rc;
	return !strcmp(owner.school, st->school);
}

/* ---- the quarantine ---- */

struct qwalk {
	struct byod_vec *blocked;        /* entry: val = id of a quarantined device */
	struct byod_fw_set *active;      /* MACs of active devices of active owners */
	const struct byod_hmap *disabled; /* logins of disabled accounts */
	struct byod_fw_set *found;       /* MAC -> device, before the active ones are taken out */
};

/* Whether the device's MACs are quarantined: the admission's rule, on the
 * device alone (no certificate, no policy). */
static int device_quarantined(const struct reg_device *d, int owner_disabled)
{
	struct pol_facts f = { .role = -1, .kind = (int)d->kind, .state = (int)d->state };
	struct pol_admission adm;

	f.owner_disabled = owner_disabled;
	pol_admit(NULL, &f, 0, &adm, NULL, NULL);
	return adm.quarantine;
}

static int collect_device(const struct reg_device *d, void *arg)
{
	struct qwalk *w = arg;
	int off = byod_hmap_get(w->disabled, d->owner_login) != NULL;
	struct byod_fw_entry *e;

	if (!device_quarantined(d, off)) {
		/* a MAC an admitted device holds is never quarantined (whatever
		 * its school: the same phone enrolled again elsewhere; with a
		 * school, the others' are asked by MAC, mac_in_use) */
		if (d->state == BYOD_DEVICE_ACTIVE && !off && d->mac[0])
			return byod_fw_entry_put(w->active, d->mac, d->id);
		return 0;
	}
	e = byod_vec_push(w->blocked);
	if (!e)
		return -ENOMEM;
	snprintf(e->val, sizeof(e->val), "%s", d->id);
	return d->mac[0] ? byod_fw_entry_put(w->found, d->mac, d->id) : 0;
}

/* Logins of disabled accounts: login -> (void *)1. */
static int collect_person(const struct reg_person *p, void *arg)
{
	struct byod_hmap *disabled = arg;

	if (p->state == REG_PERSON_DISABLED && byod_hmap_put(disabled, p->login, (void *)1))
		return -ENOMEM;
	return 0;
}

static int mac_in_use(struct byod_ctx *ctx, const char *mac, const char *device);

struct macs {
	struct byod_fw_set *found;
	const char *device;
};

static int collect_mac(const struct reg_session *s, void *arg)
{
	struct macs *m = arg;

	return s->mac[0] ? byod_fw_entry_put(m->found, s->mac, m->device) : 0;
}

/* The quarantine from the registry, in one pass over the devices (of the
 * school followed, selected by the database): the MACs of quarantined
 * devices, and those their sessions used (EAP-TLS devices have no
 * registered MAC; closed sessions count too); less the MACs an active
 * device of an active owner uses (another school's: asked by MAC, for the
 * few MACs in question, rather than reading the département's devices). */
static int build_quarantine(struct byod_ctx *ctx, struct byod_fw_state *st,
			    const struct byod_hmap *disabled, struct byod_err *err)
{
	struct byod_fw_set found, active;
	struct byod_vec blocked = BYOD_VEC_INIT(struct byod_fw_entry);
	struct qwalk w = {&blocked, &active, disabled, &found};
	struct reg_device_filter f = {NULL, -1, st->school[0] ? st->school : NULL};
	struct byod_fw_session *s;
	size_t i;
	int rc;

	byod_fw_set_init(&found);
	byod_fw_set_init(&active);
	rc = reg_device_list(ctx->reg, &f, collect_device, &w, err);
	for (i = 0; !rc && i < blocked.n; i++) {
		struct macs m = { &found, BYOD_VEC_AT(&blocked, struct byod_fw_entry, i)->val };

		rc = reg_session_list(ctx->reg, 0, m.device, collect_mac, &m, err);
	}
	for (s = st->first; !rc && s; s = s->next)
		if (s->blocked && s->row.mac[0])
			rc = byod_fw_entry_put(&found, s->row.mac, s->row.device);
	for (i = 0; !rc && i < found.v.n; i++)
		if (!byod_fw_entry_find(&active, ENTRY(&found, i)->mac) &&
		    !(f.school && mac_in_use(ctx, ENTRY(&found, i)->mac, ENTRY(&found, i)->val)))
			rc = byod_fw_state_quarantine(st, ENTRY(&found, i)->mac,
						      ENTRY(&found, i)->val);
	if (rc == -ENOMEM)
		byod_err_set(err, ENOMEM, "out of memory");
	byod_fw_set_free(&found);
	byod_fw_set_free(&active);
	byod_vec_free(&blocked);
	return rc;
}

/* A MAC another active device of an active owner uses is never quarantined. */
static int mac_in_use(struct byod_ctx *ctx, const char *mac, const char *device)
{
	struct reg_device other;
	struct reg_person owner;

	if (reg_device_find_by_mac(ctx->reg, mac, &other, NULL) || !strcmp(other.id, device) ||
	    other.state != BYOD_DEVICE_ACTIVE)
		return 0;
	if (reg_person_get_by_id(ctx->reg, other.owner, &owner, NULL))
		return 0;
	return owner.state != REG_PERSON_DISABLED;
}

int byod_fw_state_device(struct byod_ctx *ctx, struct byod_fw_state *st, const char *id,
			 struct byod_err *err)
{
	struct byod_fw_set found;
	struct macs m = { &found, id };
	struct reg_device d;
	struct reg_person owner;
	size_t i;
	int rc;

	quarantine_drop_device(st, id);
	rc = reg_device_get(ctx->reg, id, &d, err);
	if (rc == -ENOENT)
		return 0;
	if (!rc)
		rc = reg_person_get_by_id(ctx->reg, d.owner, &owner, err);
	if (rc)
		return rc;
	if (st->school[0] && strcmp(owner.school, st->school))
		return 0; /* another school's device */
	if (!device_quarantined(&d, owner.state == REG_PERSON_DISABLED))
		return 0;
	byod_fw_set_init(&found);
	if (d.mac[0])
		rc = byod_fw_entry_put(&found, d.mac, id);
	if (!rc)
		rc = reg_session_list(ctx->reg, 0, id, collect_mac, &m, err);
	for (i = 0; !rc && i < found.v.n; i++) {
		const char *mac = ENTRY(&found, i)->mac;

		if (!mac_in_use(ctx, mac, id))
			rc = byod_fw_state_quarantine(st, mac, id);
	}
	byod_fw_set_free(&found);
	return rc == -ENOMEM ? byod_err_set(err, ENOMEM, "out of memory") : rc;
}

/* ---- the whole state ---- */

static int collect_session(const struct reg_session *row, void *arg)
{
	struct reg_session *s = byod_vec_push(arg);

	if (!s)
		return -ENOMEM;
	*s = *row;
	return 0;
}

int byod_fw_state_load(struct byod_ctx *ctx, const struct pol_policy *pol, time_t now,
		       struct byod_fw_state *st, struct byod_err *err)
{
	struct byod_fw_decider d = { .pol = pol };

	return byod_fw_state_load_by(ctx, &d, now, st, err);
}

int byod_fw_state_load_by(struct byod_ctx *ctx, const struct byod_fw_decider *by, time_t now,
			  struct byod_fw_state *st, struct byod_err *err)
{
	struct byod_vec rows = BYOD_VEC_INIT(struct reg_session);
	struct byod_hmap *disabled;
	struct byod_fw_state fresh;
	size_t i;
	int rc;

	byod_fw_state_init(&fresh);
	snprintf(fresh.school, sizeof(fresh.school), "%s", st->school);
	disabled = byod_hmap_new(NULL);
	if (!disabled) {
		rc = byod_err_set(err, ENOMEM, "out of memory");
		goto out;
	}
	/* with a school, the database selects its people and the sessions of
	 * their devices: a gateway of one collège does not read a whole
	 * département's registry */
	if (st->school[0]) {
		rc = reg_person_list_school(ctx->reg, st->school, collect_person, disabled, err);
		if (!rc)
			rc = reg_session_list_school(ctx->reg, 1, st->school, collect_session,
						     &rows, err);
	} else {
		rc = reg_person_list(ctx->reg, collect_person, disabled, err);
		if (!rc)
			rc = reg_session_list(ctx->reg, 1, NULL, collect_session, &rows, err);
	}
	if (rc == -ENOMEM)
		byod_err_set(err, ENOMEM, "out of memory");
	/* the list is newest first; followed oldest first */
	for (i = rows.n; !rc && i-- > 0;) {
		const struct reg_session *row = BYOD_VEC_AT(&rows, struct reg_session, i);
		struct byod_fw_session *s;

		s = byod_fw_state_add(&fresh, row);
		rc = s ? byod_fw_session_decide_by(ctx, by, s, now, err) :
			 byod_err_set(err, ENOMEM, "out of memory");
	}
	if (!rc)
		rc = build_quarantine(ctx, &fresh, disabled, err);
	if (!rc) {
		byod_fw_state_free(st);
		*st = fresh;
		byod_fw_state_init(&fresh);
	}
out:
	byod_fw_state_free(&fresh);
	byod_hmap_free(disabled);
	byod_vec_free(&rows);
	return rc;
}

/* Admitted: the MAC's newest session with a segment decides; never a
 * quarantined MAC. */
const char *byod_fw_state_segment(const struct byod_fw_state *st, const char *mac)
{
	struct chain *c;

	if (byod_fw_entry_find(&st->quarantine, mac) || !st->by_mac || !mac[0])
		return NULL;
	c = byod_hmap_get(st->by_mac, mac);
	return c && c->last->segment[0] ? c->last->segment : NULL;
}

int byod_fw_state_sets(const struct byod_fw_state *st, struct byod_fw_sets *out)
{
	const struct byod_fw_session *s;
	size_t i;
	int rc = 0;

	byod_fw_set_init(&out->admitted);
	byod_fw_set_init(&out->quarantine);
	byod_fw_set_init(&out->quarantine_ips);
	for (i = 0; !rc && i < st->quarantine.v.n; i++)
		rc = byod_fw_entry_put(&out->quarantine, ENTRY(&st->quarantine, i)->mac, "");
	for (s = st->first; !rc && s; s = s->next) {
		const char *seg;

		/* nftables' quarantine set of addresses is IPv4 */
		if (s->blocked && s->row.ip[0] && strchr(s->row.ip, '.'))
			rc = byod_fw_entry_put(&out->quarantine_ips, s->row.ip, "");
		seg = s->row.mac[0] ? byod_fw_state_segment(st, s->row.mac) : NULL;
		if (!rc && seg)
			rc = byod_fw_entry_put(&out->admitted, s->row.mac, seg);
	}
	if (rc)
		byod_fw_sets_free(out);
	return rc;
}

void byod_fw_sets_free(struct byod_fw_sets *s)
{
	if (!s)
		return;
	byod_fw_set_free(&s->admitted);
	byod_fw_set_free(&s->quarantine);
	byod_fw_set_free(&s->quarantine_ips);
}

int byod_fw_sets_render(struct byod_ctx *ctx, const struct pol_policy *pol,
			const struct byod_fw_sets *sets, char **text, struct byod_err *err)
{
	struct byod_fw_setup fw;
	struct fw_admitted *adm = NULL;
	const char **qm = NULL, **qi = NULL;
	size_t i;
	int rc;

	*text = NULL;
	if (!pol)
		return byod_err_set(err, ENOENT, "no policy has been applied yet");
	rc = byod_fw_setup(ctx, pol, &fw, err);
	if (rc)
		return rc;
	adm = calloc(sets->admitted.v.n + 1, sizeof(*adm));
	qm = calloc(sets->quarantine.v.n + 1, sizeof(*qm));
	qi = calloc(sets->quarantine_ips.v.n + 1, sizeof(*qi));
	if (!adm || !qm || !qi) {
		rc = byod_err_set(err, ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < sets->admitted.v.n; i++) {
		adm[i].mac = ENTRY(&sets->admitted, i)->mac;
		adm[i].segment = ENTRY(&sets->admitted, i)->val;
	}
	for (i = 0; i < sets->quarantine.v.n; i++)
		qm[i] = ENTRY(&sets->quarantine, i)->mac;
	for (i = 0; i < sets->quarantine_ips.v.n; i++)
		qi[i] = ENTRY(&sets->quarantine_ips, i)->mac;
	fw.cfg.admitted = adm;
	fw.cfg.nadmitted = sets->admitted.v.n;
	fw.cfg.quarantine_macs = qm;
	fw.cfg.nquarantine_macs = sets->quarantine.v.n;
	fw.cfg.quarantine_ips = qi;
	fw.cfg.nquarantine_ips = sets->quarantine_ips.v.n;
	rc = fw_render(pol, &fw.cfg, text, err);
out:
	free(adm);
	free(qm);
	free(qi);
	byod_fw_setup_free(&fw);
	return rc;
}

int byod_fw_state_render(struct byod_ctx *ctx, const struct pol_policy *pol,
			 const struct byod_fw_state *st, char **text, struct byod_err *err)
{
	struct byod_fw_sets sets;
	int rc;

	*text = NULL;
	if (byod_fw_state_sets(st, &sets))
		return byod_err_set(err, ENOMEM, "out of memory");
	rc = byod_fw_sets_render(ctx, pol, &sets, text, err);
	byod_fw_sets_free(&sets);
	return rc;
}

int byod_fw_ruleset_digest(struct byod_ctx *ctx, const struct pol_policy *pol,
			   char out[BYOD_FW_DIGEST_LEN], struct byod_err *err)
{
	struct byod_fw_sets none;
	uint64_t h = 14695981039346656037ULL;
	char *text = NULL;
	const char *c;
	int rc;

	out[0] = '\0';
	byod_fw_set_init(&none.admitted);
	byod_fw_set_init(&none.quarantine);
	byod_fw_set_init(&none.quarantine_ips);
	rc = byod_fw_sets_render(ctx, pol, &none, &text, err);
	byod_fw_sets_free(&none);
	if (rc)
		return rc;
	for (c = text; *c; c++)
		h = (h ^ (unsigned char)*c) * 1099511628211ULL;
	free(text);
	snprintf(out, BYOD_FW_DIGEST_LEN, "%016llx", (unsigned long long)h);
	return 0;
}
