// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The index's records (index_int.h): people, devices and certificates put
 * into the store and taken out of it, from a registry struct (the change
 * feed) or from a row already parsed (the load), under the write lock or
 * before the index is shared.
 */
#include "index_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "byod.h"
#include "byod_util.h"
#include "hmap.h"
#include "policy.h"

#define T40_MAX ((INT64_C(1) << 39) - 1)

static void time40_put(uint8_t out[5], int64_t t)
{
	uint64_t u;
	int i;

	if (t > T40_MAX) /* beyond year 9999: not a certificate's date */
		t = T40_MAX;
	if (t < -T40_MAX - 1)
		t = -T40_MAX - 1;
	u = (uint64_t)t;
	for (i = 0; i < 5; i++)
		out[i] = (uint8_t)(u >> (8 * i));
}

/* The registry's form of a MAC only ("aa:bb:cc:dd:ee:ff"): what the old
 * text keys matched. */
static int mac_parse_stored(const char *t, uint64_t *out)
{
	char norm[REG_MAC_MAX];

	if (byod_mac_normalise(t, norm) || strcmp(norm, t))
		return -EINVAL;
	return ix_mac_parse(t, out);
}

/* ---- the store, under the write lock (or before the index is shared) ---- */

static int live(const struct device *d)
{
	return pol_state_holds_mac((int)d->state);
}

void ix_store_free(struct store *s)
{
	uint32_t i;

	ix_arr_free(&s->devices);
	ix_arr_free(&s->certs);
	ix_arr_free(&s->people);
	ix_arr_free(&s->reps);
	ix_arr_free(&s->free_certs);
	ix_arr_free(&s->free_reps);
	ix_t_free(&s->by_id);
	ix_t_free(&s->by_mac);
	ix_t_free(&s->by_serial);
	ix_t_free(&s->by_person);
	for (i = 0; i < s->strings.n; i++)
		free(s->strings.s[i]);
	free(s->strings.s);
	byod_hmap_free(s->strings.map); /* keys are its own copies */
	memset(s, 0, sizeof(*s));
}

int ix_store_init(struct store *s)
{
	uint32_t empty;

	memset(s, 0, sizeof(*s));
	s->strings.map = byod_hmap_new(NULL);
	if (!s->strings.map)
		return -ENOMEM;
	return ix_intern(&s->strings, "", &empty); /* index 0: "" */
}

/* The slot of person id, made (absent) when it has none yet. */
static int person_slot(struct store *s, int64_t id, uint32_t *out)
{
	struct tput tp;
	uint32_t slot;
	struct person *p;
	int rc;

	rc = ix_t_probe(s, &s->by_person, T_PERSON, &id, &tp, &slot);
	if (rc)
		return rc;
	if (slot == NONE) {
		if (s->people.n >= SLOT_MAX)
			return -ENOMEM;
		rc = ix_arr_reserve(&s->people, sizeof(struct person), s->people.n + 1);
		if (rc)
			return rc;
		slot = (uint32_t)s->people.n++;
		p = PERSON(s, slot);
		memset(p, 0, sizeof(*p));
		p->id = id;
		ix_t_fill(&s->by_person, &tp, slot);
	}
	*out = slot;
	return 0;
}

/* The slot of device id, made (absent) when it has none yet. */
static int device_slot(struct store *s, const uint8_t id[16], uint32_t *out)
{
	struct tput tp;
	uint32_t slot;
	struct device *d;
	int rc;

	rc = ix_t_probe(s, &s->by_id, T_ID, id, &tp, &slot);
	if (rc)
		return rc;
	if (slot == NONE) {
		if (s->devices.n >= SLOT_MAX)
			return -ENOMEM;
		rc = ix_arr_reserve(&s->devices, sizeof(struct device), s->devices.n + 1);
		if (rc)
			return rc;
		slot = (uint32_t)s->devices.n++;
		d = DEV(s, slot);
		memset(d, 0, sizeof(*d));
		memcpy(d->id, id, 16);
		d->owner = NONE;
		ix_t_fill(&s->by_id, &tp, slot);
	}
	*out = slot;
	return 0;
}

const struct device *ix_device_get(const struct store *s, const char *id)
{
	uint8_t k[16];
	uint32_t slot;

	if (ix_uuid_parse(id, k))
		return NULL;
	slot = t_get(s, &s->by_id, T_ID, k);
	return slot != NONE && DEV(s, slot)->present ? DEV(s, slot) : NULL;
}



void ix_person_in_of(const struct reg_person *r, struct person_in *in)
{
	in->id = r->id;
	in->leaves_at = r->leaves_at;
	in->school = r->school;
	in->groups = r->groups;
	in->role = (int8_t)r->role;
	in->disabled = r->state == REG_PERSON_DISABLED;
}

/* -1: a row no request could name (its id is not a UUID), left out */
int ix_device_in_of(const struct reg_device *r, struct device_in *in)
{
	if (ix_uuid_parse(r->id, in->id))
		return -1; /* the registry writes UUIDs only */
	in->owner = r->owner;
	in->mac = 0;
	in->has_mac = r->mac[0] && !mac_parse_stored(r->mac, &in->mac);
	if (!in->has_mac)
		in->mac = 0;
	in->kind = (uint8_t)((unsigned)r->kind & 63);
	in->state = (uint8_t)((unsigned)r->state & 255);
	return 0;
}

/* -1: a row no request could name (its serial is not one), left out */
int ix_cert_in_of(const struct reg_cert *r, struct cert_in *in)
{
	if (ix_serial_parse_any(r->serial, &in->sn))
		return -1;
	in->has_dev = !ix_uuid_parse(r->device, in->dev);
	in->has_rep = r->replaces[0] && !ix_serial_parse_any(r->replaces, &in->rep);
	in->not_before = r->not_before;
	in->not_after = r->not_after;
	in->revoked = r->state != REG_CERT_VALID;
	in->seen = r->first_seen != 0;
	return 0;
}

int ix_put_person_in(struct store *s, const struct person_in *r)
{
	uint32_t slot, school, groups;
	struct person *p;
	int rc;

	rc = person_slot(s, r->id, &slot);
	if (!rc)
		rc = ix_intern(&s->strings, r->school, &school);
	if (!rc)
		rc = ix_intern(&s->strings, r->groups, &groups);
	if (rc)
		return rc;
	p = PERSON(s, slot);
	if (!p->present)
		s->npeople++;
	p->present = 1;
	p->role = r->role;
	p->disabled = r->disabled;
	p->leaves_at = r->leaves_at;
	p->school = school;
	p->groups = groups;
	return 0;
}

int ix_put_person(struct store *s, const struct reg_person *r)
{
	struct person_in in;

	ix_person_in_of(r, &in);
	return ix_put_person_in(s, &in);
}

/* Takes the device at slot out of by_mac when it is the one its MAC names. */
static void unmap_mac(struct store *s, uint32_t slot)
{
	struct device *d = DEV(s, slot);
	uint64_t mac = d->mac;

	if (d->has_mac && t_get(s, &s->by_mac, T_MAC, &mac) == slot)
		ix_t_del(s, &s->by_mac, T_MAC, &mac);
}

/* A MAC may have been carried by several devices (a retired phone's MAC
 * re-enrolled): the live one wins, else the newest seen. *out (may be
 * NULL) gets the device's slot. */
int ix_put_device_in(struct store *s, const struct device_in *r, uint32_t *out)
{
	uint32_t slot, owner, holder;
	uint64_t mac = r->mac;
	int has_mac = r->has_mac, rc;
	struct device *d;

	rc = person_slot(s, r->owner, &owner);
	if (!rc)
		rc = device_slot(s, r->id, &slot);
	if (rc)
		return rc;
	d = DEV(s, slot);
	if (d->present) {
		unmap_mac(s, slot); /* the certificates' end is kept */
	} else {
		d->cert_until = 0;
		s->ndevices++;
	}
	d->present = 1;
	d->owner = owner;
	d->kind = r->kind & 63;
	d->state = r->state;
	d->mac = mac;
	d->has_mac = (unsigned)has_mac;
	if (out)
		*out = slot;
	if (has_mac) {
		struct tput tp;

		rc = ix_t_probe(s, &s->by_mac, T_MAC, &mac, &tp, &holder);
		if (rc)
			return rc;
		d = DEV(s, slot);
		if (holder == NONE || live(d) || !live(DEV(s, holder)))
			ix_t_fill(&s->by_mac, &tp, slot);
	}
	return 0;
}

int ix_put_device(struct store *s, const struct reg_device *r, uint32_t *out)
{
	struct device_in in;

	if (ix_device_in_of(r, &in))
		return 0; /* no request could name it */
	return ix_put_device_in(s, &in, out);
}

void ix_del_device(struct store *s, const char *key)
{
	uint8_t id[16];
	uint32_t slot;
	struct device *d;

	if (ix_uuid_parse(key, id))
		return;
	slot = t_get(s, &s->by_id, T_ID, id);
	if (slot == NONE || !DEV(s, slot)->present)
		return;
	unmap_mac(s, slot);
	d = DEV(s, slot);
	d->present = 0;
	d->has_mac = 0;
	d->cert_until = 0;
	s->ndevices--;
}

static void free_rep(struct store *s, uint32_t i)
{
	if (i == NONE)
		return;
	if (!ix_arr_reserve(&s->free_reps, sizeof(uint32_t), s->free_reps.n + 1))
		*ARR_AT(&s->free_reps, uint32_t, s->free_reps.n++) = i;
}

static int new_rep(struct store *s, const struct bserial *sn, uint32_t *out)
{
	int rc;

	if (s->free_reps.n) {
		*out = *ARR_AT(&s->free_reps, uint32_t, --s->free_reps.n);
	} else {
		rc = ix_arr_reserve(&s->reps, sizeof(struct bserial), s->reps.n + 1);
		if (rc)
			return rc;
		*out = (uint32_t)s->reps.n++;
	}
	*REP(s, *out) = *sn;
	return 0;
}

int ix_put_cert_in(struct store *s, const struct cert_in *r)
{
	struct tput tp;
	uint32_t slot, dev = NONE, rix = NONE;
	struct cert *c;
	struct device *d;
	int rc = 0, fresh = 0;

	if (r->has_dev)
		rc = device_slot(s, r->dev, &dev);
	if (!rc && r->has_rep)
		rc = new_rep(s, &r->rep, &rix);
	if (rc)
		return rc;
	rc = ix_t_probe(s, &s->by_serial, T_SERIAL, &r->sn, &tp, &slot);
	if (rc) {
		free_rep(s, rix);
		return rc;
	}
	if (slot == NONE) {
		if (s->free_certs.n) {
			slot = *ARR_AT(&s->free_certs, uint32_t, --s->free_certs.n);
		} else {
			rc = s->certs.n >= SLOT_MAX ? -ENOMEM
						    : ix_arr_reserve(&s->certs, sizeof(struct cert),
								     s->certs.n + 1);
			if (rc) {
				free_rep(s, rix);
				return rc;
			}
			slot = (uint32_t)s->certs.n++;
		}
		memset(CERT(s, slot), 0, sizeof(struct cert));
		CERT(s, slot)->serial = r->sn;
		CERT(s, slot)->replaces = NONE;
		ix_t_fill(&s->by_serial, &tp, slot);
		fresh = 1;
	}
	c = CERT(s, slot);
	if (!fresh)
		free_rep(s, c->replaces);
	else
		s->ncerts++;
	c->used = 1;
	c->device = dev;
	c->replaces = rix;
	time40_put(c->nb, r->not_before);
	time40_put(c->na, r->not_after);
	c->revoked = r->revoked;
	c->seen = r->seen;
	/* loading: every certificate passes here once, after the devices */
	d = dev != NONE && DEV(s, dev)->present ? DEV(s, dev) : NULL;
	if (d && !c->revoked && time40_get(c->na) > d->cert_until)
		d->cert_until = time40_get(c->na);
	return 0;
}

int ix_put_cert(struct store *s, const struct reg_cert *r)
{
	struct cert_in in;

	if (ix_cert_in_of(r, &in))
		return 0; /* not a serial: no request could name it */
	return ix_put_cert_in(s, &in);
}

void ix_del_cert(struct store *s, const char *key)
{
	struct bserial sn;
	uint32_t slot;
	struct cert *c;

	if (ix_serial_parse_any(key, &sn))
		return;
	slot = t_get(s, &s->by_serial, T_SERIAL, &sn);
	if (slot == NONE)
		return;
	ix_t_del(s, &s->by_serial, T_SERIAL, &sn);
	c = CERT(s, slot);
	free_rep(s, c->replaces);
	c->used = 0;
	c->replaces = NONE;
	s->ncerts--;
	if (!ix_arr_reserve(&s->free_certs, sizeof(uint32_t), s->free_certs.n + 1))
		*ARR_AT(&s->free_certs, uint32_t, s->free_certs.n++) = slot;
}

/* Room for the rows a load will read, so that nothing is rehashed or
 * moved while it reads. */
int ix_store_reserve(struct store *s, size_t people, size_t devices, size_t certs)
{
	int rc = 0;

	if (devices > SLOT_MAX || certs > SLOT_MAX || people > SLOT_MAX)
		return 0; /* refused row by row */
	if (people)
		rc = ix_arr_reserve(&s->people, sizeof(struct person), people);
	if (!rc && devices)
		rc = ix_arr_reserve(&s->devices, sizeof(struct device), devices);
	if (!rc && certs)
		rc = ix_arr_reserve(&s->certs, sizeof(struct cert), certs);
	if (!rc && people)
		rc = ix_t_resize(s, &s->by_person, T_PERSON, (uint32_t)(people * 10 / 7 + 16));
	if (!rc && devices)
		rc = ix_t_resize(s, &s->by_id, T_ID, (uint32_t)(devices * 10 / 7 + 16));
	if (!rc && devices)
		rc = ix_t_resize(s, &s->by_mac, T_MAC, (uint32_t)(devices * 10 / 7 + 16));
	if (!rc && certs)
		rc = ix_t_resize(s, &s->by_serial, T_SERIAL, (uint32_t)(certs * 10 / 7 + 16));
	return rc;
}

int ix_store_fit(struct store *s)
{
	int rc = ix_t_fit(s, &s->by_id, T_ID);

	if (!rc)
		rc = ix_t_fit(s, &s->by_mac, T_MAC);
	if (!rc)
		rc = ix_t_fit(s, &s->by_serial, T_SERIAL);
	if (!rc)
		rc = ix_t_fit(s, &s->by_person, T_PERSON);
	return rc;
}

size_t ix_store_bytes(const struct store *s)
{
	return s->devices.n * sizeof(struct device) + s->certs.n * sizeof(struct cert) +
	       s->people.n * sizeof(struct person) + s->reps.n * sizeof(struct bserial) +
	       ((size_t)s->by_id.cap + s->by_mac.cap + s->by_serial.cap + s->by_person.cap) *
		       sizeof(uint32_t) +
	       s->strings.bytes + s->strings.cap * sizeof(char *);
}
