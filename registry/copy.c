// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * registry copy: one school moved from one registry into another (a school
 * that started alone on SQLite joining the département's PostgreSQL). Both
 * sides are reached only through their backend ops, so the copy is the
 * same whatever the backends.
 *
 * What "the school's" rows are. When the source holds this school only (a
 * school's own box, the case this is for), every row of the source is the
 * school's: every person (those without a school too), device, certificate,
 * accounting session (those of unknown devices too), audit row and policy
 * version, and the counters. When the source holds other schools as well,
 * only what can be attributed is copied: the people of the school, their
 * devices, those devices' certificates and sessions, and the audit rows
 * whose object is the school, one of those logins, devices or serials;
 * policy versions and counters belong to the whole source and stay.
 *
 * What is kept and what is renumbered. Natural keys and times are kept as
 * they are (UAI, logins, device UUIDs, certificate serials, MACs, every
 * created/started/revoked time, audit times and actors). Surrogate ids are
 * the destination's: people ids (devices follow through the map), session
 * ids, audit ids and policy versions (in the source's order, so the
 * newest stays the newest). Audit rows are copied verbatim, being
 * evidence: an id inside their JSON is the source's, and the audit row of
 * the copy ("registry.copy") holds the maps from the source's people ids
 * and policy versions to the destination's.
 *
 * Policy versions are the registry's as a whole: the département's default
 * and each school's own (their school and follows_default copied as they
 * are), and the newest default is the running one: copied after the
 * destination's own, they would become the running policy of every school
 * there. So they are copied into a destination that has none (the first
 * school to join), and a destination that has some is refused unless the
 * caller leaves them out (skip_policies).
 *
 * Counters (the CRL number) only grow: each is raised in the destination
 * to at least the source's value, so the school's next CRL still has a
 * higher number than its last.
 *
 * Not copied: the portal's state (web sessions, form tokens, downloads,
 * login throttling, enrolment codes, portal keys, the identity sources'
 * single-use keys) is transient and made again at the next login or
 * sheet, and so are teachers' unlocks (two
 * hours at most); the source's change feed is its own
 * history: the destination gets new events instead (below).
 *
 * The destination's change feed gets an event per object, as if each had
 * just been added (school.add, person.add, device.add, cert.add,
 * policy.apply for the newest version, session.start for each open
 * session), so followers (the RADIUS index, the gateway) pick the school up
 * without a restart.
 *
 * Verification. Each table's rows are rendered canonically (natural keys
 * and values, no surrogate id; each field as its length and bytes), each
 * rendering hashed with SHA-256, the digests sorted, and the table's
 * checksum is the SHA-256 of the sorted digests. The source's rows are
 * hashed as they are read, the destination's after they are read back
 * through its ops inside the same transaction; any difference of count or
 * checksum rolls everything back.
 */
#define _GNU_SOURCE
#include "registry.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "byod_util.h"
#include "byod_vec.h"
#include "reg_internal.h"

#define DIGEST 32

struct digest {
	unsigned char d[DIGEST];
};

/* One side's rows of one table: a digest per row. */
struct sums {
	struct byod_vec v; /* struct digest */
};

struct key {
	char s[64];
};

struct id_map {
	int64_t from, to;
};

struct copy {
	struct reg *src, *dst;
	const struct reg_copy_opts *opts;
	struct reg_copy_report *rep;
	struct byod_err *err;
	EVP_MD_CTX *md;
	int md_failed;
	int whole;

	struct reg_school school;
	struct byod_vec people;	       /* struct reg_person, by source id */
	struct byod_vec people_to;     /* int64_t: people[i]'s id in the destination */
	struct byod_vec devices;       /* struct reg_device, oldest first */
	struct byod_vec certs;	       /* struct reg_cert */
	struct byod_vec policies;      /* struct reg_policy (no source text), oldest first */
	struct byod_vec counters;      /* struct counter */
	struct byod_vec session_ids;   /* struct id_map: source id -> destination id */
	struct byod_vec audit_ids;     /* int64_t: destination ids, ascending */
	struct byod_vec open_sessions; /* int64_t: destination ids of open sessions */
	struct byod_vec policy_map;    /* struct id_map */
	struct byod_vec keys;	       /* struct key: device ids, serials (sorted) */
	struct byod_vec objects;       /* struct key: what an attributable audit row names */
	struct sums src_sums[REG_COPY_TABLES], dst_sums[REG_COPY_TABLES];
};

struct counter {
	char name[64];
	int64_t value;
};

static const char *const table_names[REG_COPY_TABLES] = {
	[REG_COPY_SCHOOLS] = "schools",	  [REG_COPY_PEOPLE] = "people",
	[REG_COPY_DEVICES] = "devices",	  [REG_COPY_CERTS] = "certificates",
	[REG_COPY_SESSIONS] = "sessions", [REG_COPY_AUDIT] = "audit",
	[REG_COPY_POLICIES] = "policies",
};

/* A callback's way to end an iteration early without an error. */
#define STOP 1

static int oom(struct copy *c)
{
	return byod_err_set(c->err, ENOMEM, "out of memory copying the registry");
}

/* ---- canonical rows and checksums ---------------------------------------- */

static void row_begin(struct copy *c)
{
	if (EVP_DigestInit_ex(c->md, EVP_sha256(), NULL) != 1)
		c->md_failed = 1;
}

static void put_bytes(struct copy *c, const void *p, size_t n)
{
	if (n && EVP_DigestUpdate(c->md, p, n) != 1)
		c->md_failed = 1;
}

/* "T<length>:<bytes>", or "N" for no text: unambiguous whatever the bytes. */
static void put_text(struct copy *c, const char *s)
{
	char head[32];

	if (!s) {
		put_bytes(c, "N", 1);
		return;
	}
	put_bytes(c, head, (size_t)snprintf(head, sizeof(head), "T%zu:", strlen(s)));
	put_bytes(c, s, strlen(s));
}

static void put_int(struct copy *c, int64_t v)
{
	char buf[32];

	put_bytes(c, buf, (size_t)snprintf(buf, sizeof(buf), "I%" PRId64 ";", v));
}

static int row_end(struct copy *c, struct sums *s)
{
	struct digest *d = byod_vec_push(&s->v);
	unsigned int n = 0;

	if (!d)
		return oom(c);
	if (EVP_DigestFinal_ex(c->md, d->d, &n) != 1 || n != DIGEST)
		c->md_failed = 1;
	if (c->md_failed)
		return byod_err_set(c->err, EIO, "SHA-256 failed while checking the copy");
	return 0;
}

static int cmp_digest(const void *a, const void *b)
{
	return memcmp(a, b, DIGEST);
}

static void hex(const unsigned char *d, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[2 * n] = '\0';
}

/* The table's checksum: SHA-256 over its rows' digests in ascending order. */
static int sums_final(struct copy *c, struct sums *s, size_t *rows, char out[65])
{
	unsigned char d[DIGEST];
	unsigned int n = 0;

	if (s->v.n)
		qsort(s->v.v, s->v.n, sizeof(struct digest), cmp_digest);
	if (EVP_Digest(s->v.v ? s->v.v : "", s->v.n * sizeof(struct digest), d, &n, EVP_sha256(),
		       NULL) != 1)
		return byod_err_set(c->err, EIO, "SHA-256 failed while checking the copy");
	hex(d, DIGEST, out);
	*rows = s->v.n;
	return 0;
}

static int sum_school(struct copy *c, struct sums *s, const struct reg_school *r)
{
	row_begin(c);
	put_text(c, r->uai);
	put_text(c, r->name);
	return row_end(c, s);
}

static int sum_person(struct copy *c, struct sums *s, const struct reg_person *p)
{
	row_begin(c);
	put_text(c, p->login);
	put_text(c, p->display_name);
	put_text(c, byod_role_name(p->role));
	put_text(c, p->school);
	put_text(c, p->groups);
	put_text(c, p->password_hash);
	put_text(c, reg_person_state_name(p->state));
	put_int(c, p->created);
	put_text(c, p->source);
	return row_end(c, s);
}

static int sum_device(struct copy *c, struct sums *s, const struct reg_device *d)
{
	row_begin(c);
	put_text(c, d->id);
	put_text(c, d->owner_login);
	put_text(c, d->name);
	put_text(c, byod_kind_name(d->kind));
	put_text(c, d->mac);
	put_text(c, byod_device_state_name(d->state));
	put_text(c, d->charter);
	put_int(c, d->created);
	put_int(c, d->expires);
	return row_end(c, s);
}

static int sum_cert(struct copy *c, struct sums *s, const struct reg_cert *r)
{
	row_begin(c);
	put_text(c, r->serial);
	put_text(c, r->device);
	put_int(c, r->not_before);
	put_int(c, r->not_after);
	put_text(c, reg_cert_state_name(r->state));
	put_int(c, r->state == REG_CERT_REVOKED ? r->revoked_at : 0);
	put_int(c, r->state == REG_CERT_REVOKED ? r->reason : 0);
	put_text(c, r->replaces);
	put_int(c, r->first_seen);
	return row_end(c, s);
}

static int sum_session(struct copy *c, struct sums *s, const struct reg_session *r)
{
	row_begin(c);
	put_text(c, r->session_id);
	put_text(c, r->nas_ip);
	put_text(c, r->nas_id);
	put_text(c, r->device);
	put_text(c, r->mac);
	put_text(c, r->ip);
	put_text(c, r->serial);
	put_int(c, r->started);
	put_int(c, r->updated);
	put_int(c, r->stopped);
	put_int(c, r->in_octets);
	put_int(c, r->out_octets);
	put_text(c, reg_session_state_name(r->state));
	return row_end(c, s);
}

static int sum_audit(struct copy *c, struct sums *s, const struct reg_audit *a)
{
	row_begin(c);
	put_int(c, a->time);
	put_text(c, a->actor);
	put_text(c, a->action);
	put_text(c, a->object);
	put_text(c, a->before);
	put_text(c, a->after);
	return row_end(c, s);
}

/* rank: the version's place among the copied ones (1: the oldest), which
 * the renumbering keeps. */
static int sum_policy(struct copy *c, struct sums *s, int64_t rank, const struct reg_policy *p)
{
	row_begin(c);
	put_int(c, rank);
	put_int(c, p->created);
	put_text(c, p->author);
	put_text(c, p->file);
	put_text(c, p->comment);
	put_text(c, p->source);
	put_text(c, p->school);
	put_int(c, p->follows_default);
	return row_end(c, s);
}

/* ---- sets ------------------------------------------------------------------ */

static int cmp_key(const void *a, const void *b)
{
	return strcmp(((const struct key *)a)->s, ((const struct key *)b)->s);
}

static int key_add(struct copy *c, struct byod_vec *v, const char *s)
{
	struct key *k = byod_vec_push(v);

	if (!k)
		return oom(c);
	snprintf(k->s, sizeof(k->s), "%s", s);
	return 0;
}

static void keys_sort(struct byod_vec *v)
{
	if (v->n)
		qsort(v->v, v->n, sizeof(struct key), cmp_key);
}

static int key_has(const struct byod_vec *v, const char *s)
{
	struct key k;

	if (!v->n)
		return 0;
	snprintf(k.s, sizeof(k.s), "%s", s);
	return bsearch(&k, v->v, v->n, sizeof(struct key), cmp_key) != NULL;
}

static int cmp_person_id(const void *a, const void *b)
{
	int64_t x = ((const struct reg_person *)a)->id, y = ((const struct reg_person *)b)->id;

	return x < y ? -1 : x > y;
}

/* The copied person whose source id is id, or NULL. */
static struct reg_person *person_of(struct copy *c, int64_t id)
{
	struct reg_person k;

	if (!c->people.n)
		return NULL;
	k.id = id;
	return bsearch(&k, c->people.v, c->people.n, sizeof(k), cmp_person_id);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* ---- reading the source ---------------------------------------------------- */

static int on_school(const struct reg_school *s, void *arg)
{
	struct copy *c = arg;

	if (strcmp(s->uai, c->school.uai))
		c->whole = 0;
	return 0;
}

static int on_person(const struct reg_person *p, void *arg)
{
	struct copy *c = arg;
	struct reg_person *q;

	if (strcmp(p->school, c->school.uai) && (p->school[0] || !c->whole))
		return 0;
	q = byod_vec_push(&c->people);
	if (!q)
		return oom(c);
	*q = *p;
	return key_add(c, &c->objects, p->login);
}

static int on_device(const struct reg_device *d, void *arg)
{
	struct copy *c = arg;
	struct reg_device *q;

	if (!person_of(c, d->owner))
		return 0;
	q = byod_vec_push(&c->devices);
	if (!q)
		return oom(c);
	*q = *d;
	if (key_add(c, &c->keys, d->id) || key_add(c, &c->objects, d->id))
		return -ENOMEM;
	return 0;
}

static int on_cert(const struct reg_cert *r, void *arg)
{
	struct copy *c = arg;
	struct reg_cert *q;

	if (!key_has(&c->keys, r->device))
		return 0;
	q = byod_vec_push(&c->certs);
	if (!q)
		return oom(c);
	*q = *r;
	return key_add(c, &c->objects, r->serial);
}

static int on_policy(const struct reg_policy *p, void *arg)
{
	struct copy *c = arg;
	struct reg_policy *q = byod_vec_push(&c->policies);

	if (!q)
		return oom(c);
	*q = *p;
	q->source = NULL;
	return 0;
}

static int on_counter(const char *name, int64_t value, void *arg)
{
	struct copy *c = arg;
	struct counter *q = byod_vec_push(&c->counters);

	if (!q)
		return oom(c);
	snprintf(q->name, sizeof(q->name), "%s", name);
	q->value = value;
	return 0;
}

static int on_session_id(const struct reg_session *s, void *arg)
{
	struct copy *c = arg;
	struct id_map *m;

	if (!c->whole && !key_has(&c->keys, s->device))
		return 0;
	m = byod_vec_push(&c->session_ids);
	if (!m)
		return oom(c);
	m->from = s->id;
	return 0;
}

static int cmp_map_from(const void *a, const void *b)
{
	return cmp_i64(&((const struct id_map *)a)->from, &((const struct id_map *)b)->from);
}

/* Everything of the school but the sessions' and audit rows' contents,
 * which are streamed while writing. */
static int read_source(struct copy *c)
{
	struct reg *src = c->src;
	int rc;

	rc = OPS(src)->school_get(src->be, c->opts->uai, &c->school, c->err);
	if (rc == -ENOENT)
		return byod_err_set(c->err, ENOENT, "the source registry has no school %s",
				    c->opts->uai);
	if (rc)
		return rc;
	c->whole = 1;
	rc = OPS(src)->school_list(src->be, on_school, c, c->err);
	if (!rc)
		rc = key_add(c, &c->objects, c->school.uai);
	if (!rc)
		rc = OPS(src)->person_list(src->be, on_person, c, c->err);
	if (rc)
		return rc;
	if (c->people.n)
		qsort(c->people.v, c->people.n, sizeof(struct reg_person), cmp_person_id);
	rc = OPS(src)->device_list(src->be, NULL, on_device, c, c->err);
	if (rc)
		return rc;
	keys_sort(&c->keys);
	rc = OPS(src)->cert_list(src->be, on_cert, c, c->err);
	if (!rc)
		rc = OPS(src)->session_list(src->be, 0, NULL, on_session_id, c, c->err);
	if (!rc && c->whole && !c->opts->skip_policies)
		rc = OPS(src)->policy_list(src->be, on_policy, c, c->err);
	if (!rc && c->whole)
		rc = OPS(src)->counter_list(src->be, on_counter, c, c->err);
	if (rc)
		return rc;
	/* Oldest first, so that "the newest row of a session key" stays so. */
	if (c->session_ids.n)
		qsort(c->session_ids.v, c->session_ids.n, sizeof(struct id_map), cmp_map_from);
	keys_sort(&c->objects);
	return 0;
}

/* ---- refusing what is in the way -------------------------------------------- */

static int live(const struct reg_device *d)
{
	return d->state == BYOD_DEVICE_ACTIVE || d->state == BYOD_DEVICE_SUSPENDED;
}

static int cmp_mac(const void *a, const void *b)
{
	const struct reg_device *x = *(const struct reg_device *const *)a;
	const struct reg_device *y = *(const struct reg_device *const *)b;

	return strcmp(x->mac, y->mac);
}

/* Two live devices of the source with one MAC, which SQLite lets by and
 * PostgreSQL's unique index refuses: said before anything is written. */
static int live_mac_twins(struct copy *c)
{
	const struct reg_device **v;
	size_t i, n = 0;
	int rc = 0;

	v = calloc(c->devices.n ? c->devices.n : 1, sizeof(*v));
	if (!v)
		return oom(c);
	for (i = 0; i < c->devices.n; i++) {
		const struct reg_device *d = BYOD_VEC_AT(&c->devices, struct reg_device, i);

		if (d->mac[0] && live(d))
			v[n++] = d;
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_mac);
	for (i = 1; i < n && !rc; i++)
		if (!strcmp(v[i - 1]->mac, v[i]->mac))
			rc = byod_err_set(
				c->err, EEXIST,
				"the devices %s and %s of the source are both live with "
				"the MAC address %s, which the destination does not allow: "
				"retire one first; nothing was copied",
				v[i - 1]->id, v[i]->id, v[i]->mac);
	free(v);
	return rc;
}

static int conflicts(struct copy *c)
{
	struct reg *dst = c->dst;
	union {
		struct reg_school school;
		struct reg_person person;
		struct reg_device device;
		struct reg_cert cert;
		struct reg_policy policy;
	} u;
	size_t i;
	int rc;

	rc = live_mac_twins(c);
	if (rc)
		return rc;
	rc = OPS(dst)->school_get(dst->be, c->school.uai, &u.school, c->err);
	if (!rc)
		return byod_err_set(c->err, EEXIST,
				    "the destination registry already has a school %s (%s): "
				    "nothing was copied",
				    c->school.uai, u.school.name);
	if (rc != -ENOENT)
		return rc;
	for (i = 0; i < c->people.n; i++) {
		const struct reg_person *p = BYOD_VEC_AT(&c->people, struct reg_person, i);

		rc = OPS(dst)->person_get(dst->be, p->login, &u.person, c->err);
		explicit_bzero(&u.person, sizeof(u.person));
		if (!rc)
			return byod_err_set(c->err, EEXIST,
					    "the login %s already exists in the destination "
					    "registry: nothing was copied",
					    p->login);
		if (rc != -ENOENT)
			return rc;
	}
	for (i = 0; i < c->devices.n; i++) {
		const struct reg_device *d = BYOD_VEC_AT(&c->devices, struct reg_device, i);

		rc = OPS(dst)->device_get(dst->be, d->id, &u.device, c->err);
		if (!rc)
			return byod_err_set(c->err, EEXIST,
					    "the device %s already exists in the destination "
					    "registry: nothing was copied",
					    d->id);
		if (rc != -ENOENT)
			return rc;
		if (!d->mac[0] || !live(d))
			continue;
		rc = OPS(dst)->device_find_by_mac(dst->be, d->mac, &u.device, c->err);
		if (!rc && live(&u.device))
			return byod_err_set(c->err, EEXIST,
					    "the MAC address %s of device %s is already a live "
					    "device's in the destination registry (%s): nothing "
					    "was copied",
					    d->mac, d->id, u.device.id);
		if (rc && rc != -ENOENT)
			return rc;
	}
	for (i = 0; i < c->certs.n; i++) {
		const struct reg_cert *r = BYOD_VEC_AT(&c->certs, struct reg_cert, i);

		rc = OPS(dst)->cert_get(dst->be, r->serial, &u.cert, c->err);
		if (!rc)
			return byod_err_set(c->err, EEXIST,
					    "a certificate with serial %s already exists in the "
					    "destination registry: nothing was copied",
					    r->serial);
		if (rc != -ENOENT)
			return rc;
	}
	if (c->policies.n) {
		rc = OPS(dst)->policy_get(dst->be, 0, &u.policy, c->err);
		if (!rc) {
			free(u.policy.source);
			return byod_err_set(c->err, EEXIST,
					    "the destination registry already runs policy version "
					    "%lld: this school's %zu policy versions would replace "
					    "it for every school there; copy without them "
					    "(--no-policies): nothing was copied",
					    (long long)u.policy.version, c->policies.n);
		}
		if (rc != -ENOENT)
			return rc;
	}
	return 0;
}

/* ---- writing ------------------------------------------------------------------ */

static int write_people(struct copy *c)
{
	struct reg *dst = c->dst;
	struct reg_person q;
	int64_t *to;
	size_t i;
	int rc = 0;

	for (i = 0; i < c->people.n && !rc; i++) {
		const struct reg_person *p = BYOD_VEC_AT(&c->people, struct reg_person, i);

		rc = sum_person(c, &c->src_sums[REG_COPY_PEOPLE], p);
		if (rc)
			break;
		q = *p;
		rc = OPS(dst)->person_insert(dst->be, &q, c->err);
		if (rc)
			break;
		to = byod_vec_push(&c->people_to);
		if (!to)
			rc = oom(c);
		else
			*to = q.id;
	}
	explicit_bzero(&q, sizeof(q));
	return rc;
}

static int write_devices(struct copy *c)
{
	struct reg *dst = c->dst;
	struct reg_device d;
	size_t i, at;
	int rc = 0;

	for (i = 0; i < c->devices.n && !rc; i++) {
		d = *BYOD_VEC_AT(&c->devices, struct reg_device, i);
		rc = sum_device(c, &c->src_sums[REG_COPY_DEVICES], &d);
		if (rc)
			break;
		at = (size_t)(person_of(c, d.owner) - (struct reg_person *)c->people.v);
		d.owner = *BYOD_VEC_AT(&c->people_to, int64_t, at);
		rc = OPS(dst)->device_insert(dst->be, &d, c->err);
	}
	return rc;
}

static int write_certs(struct copy *c)
{
	struct reg *dst = c->dst;
	size_t i;
	int rc = 0;

	for (i = 0; i < c->certs.n && !rc; i++) {
		const struct reg_cert *r = BYOD_VEC_AT(&c->certs, struct reg_cert, i);

		rc = sum_cert(c, &c->src_sums[REG_COPY_CERTS], r);
		if (!rc)
			rc = OPS(dst)->cert_insert(dst->be, r, c->err);
	}
	return rc;
}

/* Oldest first: a NAS that reused an Acct-Session-Id still finds its
 * newest row as the newest. */
static int write_sessions(struct copy *c)
{
	struct reg *src = c->src, *dst = c->dst;
	struct reg_session s;
	struct id_map *m;
	int64_t *open;
	size_t i;
	int rc = 0;

	for (i = 0; i < c->session_ids.n && !rc; i++) {
		m = BYOD_VEC_AT(&c->session_ids, struct id_map, i);
		rc = OPS(src)->session_get(src->be, m->from, &s, c->err);
		if (!rc)
			rc = sum_session(c, &c->src_sums[REG_COPY_SESSIONS], &s);
		if (!rc)
			rc = OPS(dst)->session_insert(dst->be, &s, c->err);
		if (rc)
			break;
		m->to = s.id;
		if (s.state == REG_SESSION_OPEN) {
			open = byod_vec_push(&c->open_sessions);
			if (!open)
				rc = oom(c);
			else
				*open = s.id;
		}
	}
	return rc;
}

/* Streamed from the source, oldest first, into the destination. */
static int copy_audit_row(const struct reg_audit *a, void *arg)
{
	struct copy *c = arg;
	struct reg_audit q;
	int64_t *id;
	int rc;

	if (!c->whole && !key_has(&c->objects, a->object))
		return 0;
	rc = sum_audit(c, &c->src_sums[REG_COPY_AUDIT], a);
	if (rc)
		return rc;
	q = *a;
	rc = OPS(c->dst)->audit_insert(c->dst->be, &q, c->err);
	if (rc)
		return rc;
	id = byod_vec_push(&c->audit_ids);
	if (!id)
		return oom(c);
	*id = q.id;
	return 0;
}

static int write_policies(struct copy *c)
{
	struct reg *src = c->src, *dst = c->dst;
	struct reg_policy p = {0};
	struct id_map *m;
	size_t i;
	int rc = 0;

	for (i = 0; i < c->policies.n && !rc; i++) {
		int64_t from = BYOD_VEC_AT(&c->policies, struct reg_policy, i)->version;

		rc = OPS(src)->policy_get(src->be, from, &p, c->err);
		if (rc)
			break;
		rc = sum_policy(c, &c->src_sums[REG_COPY_POLICIES], (int64_t)i + 1, &p);
		if (!rc)
			rc = OPS(dst)->policy_insert(dst->be, &p, c->err);
		if (!rc) {
			m = byod_vec_push(&c->policy_map);
			if (!m) {
				rc = oom(c);
			} else {
				m->from = from;
				m->to = p.version;
			}
		}
		free(p.source);
		p.source = NULL;
	}
	return rc;
}

static int write_all(struct copy *c)
{
	struct reg *dst = c->dst;
	size_t i;
	int rc;

	rc = sum_school(c, &c->src_sums[REG_COPY_SCHOOLS], &c->school);
	if (!rc)
		rc = OPS(dst)->school_insert(dst->be, &c->school, c->err);
	if (!rc)
		rc = write_people(c);
	if (!rc)
		rc = write_devices(c);
	if (!rc)
		rc = write_certs(c);
	if (!rc)
		rc = write_sessions(c);
	if (!rc)
		rc = OPS(c->src)->audit_list_after(c->src->be, 0, copy_audit_row, c, c->err);
	if (!rc)
		rc = write_policies(c);
	for (i = 0; i < c->counters.n && !rc; i++) {
		const struct counter *k = BYOD_VEC_AT(&c->counters, struct counter, i);

		rc = OPS(dst)->counter_raise(dst->be, k->name, k->value, c->err);
	}
	if (rc == -ENOMEM)
		oom(c);
	return rc;
}

/* ---- reading the destination back ------------------------------------------ */

struct audit_back {
	struct copy *c;
	size_t next; /* the index in audit_ids of the next row expected */
};

static int check_audit_row(const struct reg_audit *a, void *arg)
{
	struct audit_back *b = arg;
	struct copy *c = b->c;
	int64_t want;

	if (b->next == c->audit_ids.n)
		return STOP;
	want = *BYOD_VEC_AT(&c->audit_ids, int64_t, b->next);
	if (a->id < want)
		return 0; /* another writer's, committed meanwhile */
	if (a->id > want) {
		/* ours is missing: let the count tell */
		while (b->next < c->audit_ids.n &&
		       *BYOD_VEC_AT(&c->audit_ids, int64_t, b->next) < a->id)
			b->next++;
		if (b->next == c->audit_ids.n ||
		    *BYOD_VEC_AT(&c->audit_ids, int64_t, b->next) != a->id)
			return 0;
	}
	b->next++;
	return sum_audit(c, &c->dst_sums[REG_COPY_AUDIT], a);
}

/* A row read back that is not there is left out of the destination's
 * count, which then differs from the source's. */
#define ABSENT(rc) ((rc) == -ENOENT)

static int read_back(struct copy *c)
{
	struct reg *dst = c->dst;
	struct sums *ds = c->dst_sums;
	union {
		struct reg_school school;
		struct reg_person person;
		struct reg_device device;
		struct reg_cert cert;
		struct reg_session session;
		struct reg_policy policy;
	} u;
	struct audit_back ab = {c, 0};
	size_t i;
	int rc;

	rc = OPS(dst)->school_get(dst->be, c->school.uai, &u.school, c->err);
	if (!rc)
		rc = sum_school(c, &ds[REG_COPY_SCHOOLS], &u.school);
	for (i = 0; i < c->people.n && (!rc || ABSENT(rc)); i++) {
		rc = OPS(dst)->person_get(dst->be,
					  BYOD_VEC_AT(&c->people, struct reg_person, i)->login,
					  &u.person, c->err);
		if (!rc)
			rc = sum_person(c, &ds[REG_COPY_PEOPLE], &u.person);
		explicit_bzero(&u.person, sizeof(u.person));
	}
	for (i = 0; i < c->devices.n && (!rc || ABSENT(rc)); i++) {
		rc = OPS(dst)->device_get(dst->be,
					  BYOD_VEC_AT(&c->devices, struct reg_device, i)->id,
					  &u.device, c->err);
		if (!rc)
			rc = sum_device(c, &ds[REG_COPY_DEVICES], &u.device);
	}
	for (i = 0; i < c->certs.n && (!rc || ABSENT(rc)); i++) {
		rc = OPS(dst)->cert_get(dst->be, BYOD_VEC_AT(&c->certs, struct reg_cert, i)->serial,
					&u.cert, c->err);
		if (!rc)
			rc = sum_cert(c, &ds[REG_COPY_CERTS], &u.cert);
	}
	for (i = 0; i < c->session_ids.n && (!rc || ABSENT(rc)); i++) {
		rc = OPS(dst)->session_get(dst->be,
					   BYOD_VEC_AT(&c->session_ids, struct id_map, i)->to,
					   &u.session, c->err);
		if (!rc)
			rc = sum_session(c, &ds[REG_COPY_SESSIONS], &u.session);
	}
	for (i = 0; i < c->policy_map.n && (!rc || ABSENT(rc)); i++) {
		rc = OPS(dst)->policy_get(dst->be,
					  BYOD_VEC_AT(&c->policy_map, struct id_map, i)->to,
					  &u.policy, c->err);
		if (!rc) {
			rc = sum_policy(c, &ds[REG_COPY_POLICIES], (int64_t)i + 1, &u.policy);
			free(u.policy.source);
		}
	}
	if (!rc || ABSENT(rc)) {
		rc = 0;
		if (c->audit_ids.n)
			rc = OPS(dst)->audit_list_after(dst->be,
							*BYOD_VEC_AT(&c->audit_ids, int64_t, 0) - 1,
							check_audit_row, &ab, c->err);
		if (rc == STOP)
			rc = 0;
	}
	if (ABSENT(rc))
		rc = 0;
	return rc;
}

/* Fills the report and says which table differs, if one does. */
static int compare(struct copy *c)
{
	struct reg_copy_count *t;
	int i, rc, bad = -1;

	for (i = 0; i < REG_COPY_TABLES; i++) {
		t = &c->rep->t[i];
		t->table = table_names[i];
		rc = sums_final(c, &c->src_sums[i], &t->rows, t->sha256);
		if (!rc)
			rc = sums_final(c, &c->dst_sums[i], &t->dst_rows, t->dst_sha256);
		if (rc)
			return rc;
		if (bad < 0 && (t->rows != t->dst_rows || strcmp(t->sha256, t->dst_sha256)))
			bad = i;
	}
	if (bad < 0)
		return 0;
	t = &c->rep->t[bad];
	if (t->rows != t->dst_rows)
		return byod_err_set(c->err, EIO,
				    "the destination's %s differ from the source's after writing "
				    "(%zu rows read back, %zu written): the copy was rolled back",
				    t->table, t->dst_rows, t->rows);
	return byod_err_set(c->err, EIO,
			    "the destination's %s differ from the source's after writing "
			    "(checksum %.12s..., expected %.12s...): the copy was rolled back",
			    t->table, t->dst_sha256, t->sha256);
}

/* ---- the change feed and the audit row of the copy -------------------------- */

/*
 * Events go into the transaction's queue, which reg_commit inserts right
 * before the commit, so that their sequence numbers follow the commit
 * order as every other change's do.
 */
static int event(struct copy *c, const char *kind, const char *object, time_t now)
{
	int rc;

	rc = reg_event_queue(c->dst, kind, object, now, c->err);
	if (!rc)
		c->rep->events++;
	return rc;
}

static int write_events(struct copy *c, time_t now)
{
	char object[32];
	size_t i;
	int rc;

	rc = event(c, "school.add", c->school.uai, now);
	for (i = 0; i < c->people.n && !rc; i++)
		rc = event(c, "person.add", BYOD_VEC_AT(&c->people, struct reg_person, i)->login,
			   now);
	for (i = 0; i < c->devices.n && !rc; i++)
		rc = event(c, "device.add", BYOD_VEC_AT(&c->devices, struct reg_device, i)->id,
			   now);
	for (i = 0; i < c->certs.n && !rc; i++)
		rc = event(c, "cert.add", BYOD_VEC_AT(&c->certs, struct reg_cert, i)->serial, now);
	if (!rc && c->policy_map.n) {
		snprintf(object, sizeof(object), "%lld",
			 (long long)BYOD_VEC_AT(&c->policy_map, struct id_map, c->policy_map.n - 1)
				 ->to);
		rc = event(c, "policy.apply", object, now);
	}
	for (i = 0; i < c->open_sessions.n && !rc; i++) {
		snprintf(object, sizeof(object), "%lld",
			 (long long)*BYOD_VEC_AT(&c->open_sessions, int64_t, i));
		rc = event(c, "session.start", object, now);
	}
	return rc;
}

static json_t *map_json(const struct byod_vec *from, const struct byod_vec *to, int people)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < (people ? from->n : to->n); i++) {
		json_int_t f, t;

		if (people) {
			f = BYOD_VEC_AT(from, struct reg_person, i)->id;
			t = *BYOD_VEC_AT(to, int64_t, i);
		} else {
			f = BYOD_VEC_AT(to, struct id_map, i)->from;
			t = BYOD_VEC_AT(to, struct id_map, i)->to;
		}
		if (json_array_append_new(a, json_pack("[I, I]", f, t))) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* "registry.copy", object the UAI: where from, what, and the id maps. */
static int write_copy_audit(struct copy *c, time_t now)
{
	struct reg_audit a;
	json_t *j, *tables;
	char *text = NULL;
	int i, rc;

	tables = json_object();
	for (i = 0; tables && i < REG_COPY_TABLES; i++)
		json_object_set_new(tables, table_names[i],
				    json_pack("{s:I, s:s}", "rows", (json_int_t)c->rep->t[i].rows,
					      "sha256", c->rep->t[i].sha256));
	j = json_pack("{s:s, s:s, s:b, s:o*, s:o*, s:o*}", "school", c->school.uai, "source",
		      c->opts->source ? c->opts->source : "", "whole_registry", c->whole, "tables",
		      tables, "people_ids", map_json(&c->people, &c->people_to, 1),
		      "policy_versions", map_json(NULL, &c->policy_map, 0));
	if (j)
		text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (!text)
		return oom(c);
	memset(&a, 0, sizeof(a));
	a.time = now;
	snprintf(a.actor, sizeof(a.actor), "%s", c->dst->actor);
	snprintf(a.action, sizeof(a.action), "registry.copy");
	snprintf(a.object, sizeof(a.object), "%s", c->school.uai);
	snprintf(a.school, sizeof(a.school), "%s", c->school.uai);
	a.after = text;
	rc = OPS(c->dst)->audit_insert(c->dst->be, &a, c->err);
	free(text);
	return rc;
}

/* ---- the copy ------------------------------------------------------------------ */

static void copy_free(struct copy *c)
{
	int i;

	if (c->people.v)
		explicit_bzero(c->people.v, c->people.n * sizeof(struct reg_person));
	byod_vec_free(&c->people);
	byod_vec_free(&c->people_to);
	byod_vec_free(&c->devices);
	byod_vec_free(&c->certs);
	byod_vec_free(&c->policies);
	byod_vec_free(&c->counters);
	byod_vec_free(&c->session_ids);
	byod_vec_free(&c->audit_ids);
	byod_vec_free(&c->open_sessions);
	byod_vec_free(&c->policy_map);
	byod_vec_free(&c->keys);
	byod_vec_free(&c->objects);
	for (i = 0; i < REG_COPY_TABLES; i++) {
		byod_vec_free(&c->src_sums[i].v);
		byod_vec_free(&c->dst_sums[i].v);
	}
	EVP_MD_CTX_free(c->md);
}

int reg_copy_school(struct reg *src, struct reg *dst, const struct reg_copy_opts *opts,
		    struct reg_copy_report *report, struct byod_err *err)
{
	struct reg_copy_report scratch;
	struct copy c = {
		.src = src,
		.dst = dst,
		.opts = opts,
		.rep = report ? report : &scratch,
		.err = err,
		.people = BYOD_VEC_INIT(struct reg_person),
		.people_to = BYOD_VEC_INIT(int64_t),
		.devices = BYOD_VEC_INIT(struct reg_device),
		.certs = BYOD_VEC_INIT(struct reg_cert),
		.policies = BYOD_VEC_INIT(struct reg_policy),
		.counters = BYOD_VEC_INIT(struct counter),
		.session_ids = BYOD_VEC_INIT(struct id_map),
		.audit_ids = BYOD_VEC_INIT(int64_t),
		.open_sessions = BYOD_VEC_INIT(int64_t),
		.policy_map = BYOD_VEC_INIT(struct id_map),
		.keys = BYOD_VEC_INIT(struct key),
		.objects = BYOD_VEC_INIT(struct key),
	};
	time_t now = time(NULL);
	int i, rc, src_open = 0, dst_open = 0;

	memset(c.rep, 0, sizeof(*c.rep));
	if (!src || !dst || !opts)
		return byod_err_set(err, EINVAL,
				    "registry copy needs a source, a destination and "
				    "options");
	rc = reg_check_text(opts->uai, REG_UAI_MAX, 0, "UAI", err);
	if (!rc && byod_uai_check(opts->uai, NULL))
		rc = byod_err_set(err, EINVAL, "'%s' is not a UAI (7 digits and a letter)",
				  opts->uai);
	if (rc)
		return rc;
	if (src->depth || dst->depth)
		return byod_err_set(
			err, EINVAL,
			"registry copy runs in transactions of its own, not inside one");
	for (i = 0; i < REG_COPY_TABLES; i++) {
		byod_vec_init(&c.src_sums[i].v, sizeof(struct digest));
		byod_vec_init(&c.dst_sums[i].v, sizeof(struct digest));
		c.rep->t[i].table = table_names[i];
	}
	c.md = EVP_MD_CTX_new();
	if (!c.md) {
		rc = oom(&c);
		goto out;
	}
	/* The source is only read, in one read-only snapshot: consistent, and
	 * the school's own writes (accounting) go on meanwhile. */
	rc = reg_begin_read(src, err);
	if (rc)
		goto out;
	src_open = 1;
	rc = read_source(&c);
	if (rc == -ENOMEM)
		oom(&c);
	if (rc)
		goto out;
	snprintf(c.rep->uai, sizeof(c.rep->uai), "%s", c.school.uai);
	snprintf(c.rep->name, sizeof(c.rep->name), "%s", c.school.name);
	c.rep->whole_registry = c.whole;
	rc = reg_begin(dst, err);
	if (rc)
		goto out;
	dst_open = 1;
	rc = conflicts(&c);
	if (!rc)
		rc = write_all(&c);
	if (!rc)
		rc = read_back(&c);
	if (rc == -ENOMEM)
		oom(&c);
	if (!rc)
		rc = compare(&c);
	if (!rc)
		rc = write_events(&c, now);
	if (!rc)
		rc = write_copy_audit(&c, now);
	c.rep->counters = (int)c.counters.n;
	if (!rc)
		rc = reg_commit(dst, err);
	if (!rc)
		dst_open = 0;
out:
	if (rc > 0) /* a callback's STOP never gets here; anything else is a bug */
		rc = byod_err_set(err, EIO, "registry copy: unexpected result %d", rc);
	if (dst_open)
		reg_rollback(dst);
	if (src_open)
		reg_rollback(src);
	if (rc && report)
		report->events = 0;
	copy_free(&c);
	return rc;
}
