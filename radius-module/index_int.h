/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The index's insides, shared by its files and nothing else (index.h is
 * what rlm_byod.c and the tests call):
 *   index_keys.c   the growable arrays, the open-addressing tables, the
 *                  interned text, the keys parsed from the registry's text;
 *   index_store.c  the records (people, devices, certificates) put and taken;
 *   index_load.c   the whole registry read into a store (two threads);
 *   index_feed.c   the change feed followed (rad_index_refresh, _wait);
 *   index.c        rad_index_open and _free, the decision, the stats.
 * The lookups a decision makes are inline here, as they were when all of
 * this was one file: a request's path makes no call it did not make then.
 */
#ifndef BYOD_RAD_INDEX_INT_H
#define BYOD_RAD_INDEX_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "index.h"
#include "registry.h"

struct byod_hmap;
struct byod_policies;

/*
 * Compact storage. A million devices must fit in about 128 bytes each, so
 * nothing is a string or a pointer: a device's id is its UUID's 16 bytes,
 * its MAC a 48-bit integer, a serial its bytes; devices, certificates and
 * people are records in flat arrays, named by 32-bit slots; the three
 * lookups (device id, MAC, serial) and the owners' ids are open-addressing
 * tables of slots (linear probing, deletion by backward shift); schools and
 * group lists are interned once. A device names its owner's slot and a
 * certificate its device's: an owner or a device not (or no longer) in the
 * registry keeps a slot marked absent, so that a slot held elsewhere never
 * changes meaning; absent slots are reclaimed at the next full load.
 */

#define NONE UINT32_MAX

/* A serial in binary: its hex digits' count (1..40), the value
 * right-aligned in b, so that equal serials have equal bytes. A row whose
 * serial is not in the registry's form (a leading zero, a capital) has
 * ODD_FORM in nib: kept, and found by no request, as its text was. */
struct bserial {
	uint8_t nib;
	uint8_t b[20];
};

#define ODD_FORM 0x80

struct __attribute__((packed, aligned(4))) person {
	int64_t id;
	int64_t leaves_at; /* 0, or from when its devices are refused (it left) */
	uint32_t school;   /* interned */
	uint32_t groups;   /* interned, space-separated */
	int8_t role;       /* enum byod_role */
	uint8_t present;   /* 0: a slot a device names, not (or not yet) read */
	uint8_t disabled;  /* the account is disabled: its devices are refused */
};

struct __attribute__((packed, aligned(4))) device {
	uint8_t id[16];
	uint64_t mac : 48;
	uint64_t has_mac : 1;
	uint64_t present : 1; /* 0: a slot a certificate names, not in the registry */
	uint64_t kind : 6;    /* enum byod_kind */
	uint64_t state : 8;   /* enum byod_device_state */
	uint32_t owner;       /* the owner's slot */
	/* the latest end among its unrevoked certificates (0: none), which
	 * bounds its MAC authentication (pol_facts.device_cert_until); kept
	 * from the certificates, not from the device's own row */
	int64_t cert_until;
};

struct __attribute__((packed, aligned(4))) cert {
	struct bserial serial;
	uint8_t used : 1; /* 0: a free slot */
	uint8_t revoked : 1;
	uint8_t seen : 1; /* first seen at RADIUS already */
	uint32_t device;   /* its device's slot, NONE when its id is not a UUID */
	uint32_t replaces; /* a renewal's predecessor in store.reps, NONE none */
	/* not_before, not_after: 40-bit signed seconds (time40), which hold
	 * every date an X.509 certificate can carry (years 0 to 9999) */
	uint8_t nb[5], na[5];
};

_Static_assert(sizeof(struct cert) == 40 && sizeof(struct device) == 36, "records grew");
#define T40_MAX ((INT64_C(1) << 39) - 1)

static inline int64_t time40_get(const uint8_t in[5])
{
	uint64_t u = 0;
	int i;

	for (i = 0; i < 5; i++)
		u |= (uint64_t)in[i] << (8 * i);
	if (u & (UINT64_C(1) << 39))
		u |= ~((UINT64_C(1) << 40) - 1); /* sign */
	return (int64_t)u;
}

_Static_assert(BYOD_KIND_N <= 64 && BYOD_DEVICE_STATE_N <= 256, "device fields too narrow");

/* A growable array in its own mapping: mremap moves it without a copy,
 * only the pages written are resident, and its pages are advised huge
 * (bench/README.md: 4 KiB pages cost this machine's wake-ups). */
struct arr {
	void *v;
	size_t n, cap, bytes; /* elements used, elements mapped, bytes mapped */
};

#define ARR_AT(a, type, i) (&((type *)(a)->v)[i])

/* Open addressing: v[i] is a slot + 1 in its low SLOT_BITS, 0 empty, and
 * 7 bits of the key's hash above them, so that a probe past another key
 * seldom reads that key's record (a cache miss each). At most 3/4 full. */
#define SLOT_BITS 25
#define SLOT_MAX ((UINT32_C(1) << SLOT_BITS) - 2) /* 33,554,430 records of a kind */
#define ENTRY_SLOT(e) (((e) & ((UINT32_C(1) << SLOT_BITS) - 1)) - 1)
#define TAG_OF(h) ((uint32_t)((h) & 0x7f) << SLOT_BITS)
struct table {
	uint32_t *v;
	uint32_t cap, n;
};

enum tkind { T_ID, T_MAC, T_SERIAL, T_PERSON };

struct intern {
	char **s;
	uint32_t n, cap;
	struct byod_hmap *map; /* text -> index + 1 */
	size_t bytes;
};

struct store {
	struct arr devices, certs, people, reps; /* of struct device, cert, person, bserial */
	struct arr free_certs, free_reps;        /* of uint32_t */
	struct table by_id, by_mac, by_serial, by_person;
	struct intern strings;
	size_t ndevices, ncerts, npeople; /* present ones */
	uint64_t load_us; /* how long the last full load took, µs */
};

#define DEV(s, i) ARR_AT(&(s)->devices, struct device, i)
#define CERT(s, i) ARR_AT(&(s)->certs, struct cert, i)
#define PERSON(s, i) ARR_AT(&(s)->people, struct person, i)
#define REP(s, i) ARR_AT(&(s)->reps, struct bserial, i)

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static inline uint64_t hash_id(const uint8_t id[16])
{
	uint64_t a, b;

	memcpy(&a, id, 8);
	memcpy(&b, id + 8, 8);
	return mix64(a ^ mix64(b));
}

static inline uint64_t hash_serial(const struct bserial *sn)
{
	uint64_t w[3] = { 0, 0, 0 };

	memcpy(w, sn->b, sizeof(sn->b));
	return mix64(w[0] ^ mix64(w[1] ^ mix64(w[2] ^ sn->nib)));
}

static inline uint64_t key_hash(enum tkind k, const void *key)
{
	switch (k) {
	case T_ID:
		return hash_id(key);
	case T_MAC:
		return mix64(*(const uint64_t *)key);
	case T_SERIAL:
		return hash_serial(key);
	case T_PERSON:
		return mix64((uint64_t) * (const int64_t *)key);
	}
	return 0;
}

static inline uint64_t slot_hash(const struct store *s, enum tkind k, uint32_t slot)
{
	uint64_t mac;
	int64_t id;

	switch (k) {
	case T_ID:
		return hash_id(DEV(s, slot)->id);
	case T_MAC:
		mac = DEV(s, slot)->mac;
		return mix64(mac);
	case T_SERIAL:
		return hash_serial(&CERT(s, slot)->serial);
	case T_PERSON:
		id = PERSON(s, slot)->id;
		return mix64((uint64_t)id);
	}
	return 0;
}

static inline int slot_is(const struct store *s, enum tkind k, uint32_t slot, const void *key)
{
	switch (k) {
	case T_ID:
		return !memcmp(DEV(s, slot)->id, key, 16);
	case T_MAC:
		return DEV(s, slot)->mac == *(const uint64_t *)key;
	case T_SERIAL:
		return !memcmp(&CERT(s, slot)->serial, key, sizeof(struct bserial));
	case T_PERSON:
		return PERSON(s, slot)->id == *(const int64_t *)key;
	}
	return 0;
}

/* The home position of a hash among cap entries (no power of two needed). */
static inline uint32_t home_of(uint64_t h, uint32_t cap)
{
	return (uint32_t)(((h >> 32) * (uint64_t)cap) >> 32);
}

/* The position holding key, or the empty one where it would go; with
 * *found. */
static inline uint32_t t_pos_tag(const struct store *s, const struct table *t, enum tkind k,
				 const void *key, int *found, uint32_t *tagp)
{
	uint64_t h = key_hash(k, key);
	uint32_t i = home_of(h, t->cap), tag = TAG_OF(h);

	*tagp = tag;
	for (;;) {
		uint32_t e = t->v[i];

		if (!e) {
			*found = 0;
			return i;
		}
		if ((e & ~((UINT32_C(1) << SLOT_BITS) - 1)) == tag && slot_is(s, k, ENTRY_SLOT(e), key)) {
			*found = 1;
			return i;
		}
		if (++i == t->cap)
			i = 0;
	}
}

static inline uint32_t t_pos(const struct store *s, const struct table *t, enum tkind k,
			     const void *key, int *found)
{
	uint32_t tag;

	return t_pos_tag(s, t, k, key, found, &tag);
}

static inline uint32_t t_get(const struct store *s, const struct table *t, enum tkind k,
			     const void *key)
{
	int found;
	uint32_t i;

	if (!t->n)
		return NONE;
	i = t_pos(s, t, k, key, &found);
	return found ? ENTRY_SLOT(t->v[i]) : NONE;
}

/*
 * One probe for a get and a put: room made for one more entry, then
 * *found and the slot key names (*slot), or where it goes. After a miss
 * the caller stores the new record's slot with t_fill before touching the
 * table again.
 */
struct tput {
	uint32_t pos, tag;
	int found;
};

static inline const char *text_of(const struct store *s, uint32_t i)
{
	return s->strings.s[i];
}

static inline const struct cert *cert_get(const struct store *s, const struct bserial *sn)
{
	uint32_t slot = t_get(s, &s->by_serial, T_SERIAL, sn);

	return slot != NONE ? CERT(s, slot) : NULL;
}


/*
 * A row as the store keeps it, its text already parsed: what put_person,
 * put_device and put_cert read from a registry struct, and what the load's
 * reading thread hands to the one that fills the store (load_all).
 */
struct person_in {
	int64_t id, leaves_at;
	const char *school, *groups;
	int8_t role;
	uint8_t disabled;
};

struct device_in {
	uint8_t id[16];
	int64_t owner;
	uint64_t mac;
	uint8_t has_mac, kind, state;
};

struct cert_in {
	struct bserial sn, rep;
	uint8_t dev[16];
	uint8_t has_dev, has_rep, revoked, seen;
	int64_t not_before, not_after;
};

struct rad_index {
	pthread_rwlock_t lock;
	struct reg *reg;  /* used by refresh only (one thread at a time); NULL
			   * while the registry is unreachable, opened again by refresh */
	char *home;
	pthread_mutex_t refresh_lock;
	int registration_vlan;
	int unreachable_reject;
	struct store st;           /* devices, certificates, owners */
	struct byod_policies *policies; /* each school's running policy */
	int64_t policy_version;    /* the default's (0: none) */
	struct reg_unlock *live;   /* the teachers' unlocks live at the last look */
	size_t nlive;
	int64_t seq;
	struct reg_event last; /* the last event applied (seq 0: none); its tag
				* says after a reconnection whether the server
				* still holds it */
	unsigned long full_loads, resumes;
	unsigned long feed_reads; /* refreshes that read the registry (atomic) */
	int more;                 /* the last refresh stopped with batches left (refresh's) */
	char reload_why[160];
	pthread_mutex_t recent_lock;
	struct byod_hmap *recent;  /* mac -> serial of its last EAP-TLS accept */
	int loaded;   /* a full load succeeded once */
	unsigned long epoch; /* reg_connection_epoch() of the last full load */
	int degraded; /* the last read of the registry failed */
};

struct live {
	struct reg_unlock *v;
	size_t n, cap;
};

/* index_keys.c */
int ix_arr_reserve(struct arr *a, size_t elem, size_t want);
void ix_arr_free(struct arr *a);
int ix_t_resize(const struct store *s, struct table *t, enum tkind k, uint32_t cap);
int ix_t_fit(const struct store *s, struct table *t, enum tkind k);
int ix_t_probe(const struct store *s, struct table *t, enum tkind k, const void *key,
	       struct tput *tp, uint32_t *slot);
void ix_t_fill(struct table *t, const struct tput *tp, uint32_t slot);
void ix_t_del(const struct store *s, struct table *t, enum tkind k, const void *key);
void ix_t_free(struct table *t);
int ix_intern(struct intern *in, const char *text, uint32_t *out);
int ix_uuid_parse(const char *t, uint8_t id[16]);
void ix_uuid_format(const uint8_t id[16], char out[REG_ID_MAX]);
int ix_mac_parse(const char *t, uint64_t *out);
int ix_serial_parse_any(const char *t, struct bserial *out);
int ix_serial_parse(const char *t, struct bserial *out);

/* index_store.c: under the write lock, or before the index is shared */
int ix_store_init(struct store *s);
void ix_store_free(struct store *s);
int ix_store_reserve(struct store *s, size_t people, size_t devices, size_t certs);
int ix_store_fit(struct store *s);
size_t ix_store_bytes(const struct store *s);
const struct device *ix_device_get(const struct store *s, const char *id);
void ix_person_in_of(const struct reg_person *r, struct person_in *in);
int ix_device_in_of(const struct reg_device *r, struct device_in *in);
int ix_cert_in_of(const struct reg_cert *r, struct cert_in *in);
int ix_put_person_in(struct store *s, const struct person_in *r);
int ix_put_device_in(struct store *s, const struct device_in *r, uint32_t *out);
int ix_put_cert_in(struct store *s, const struct cert_in *r);
int ix_put_person(struct store *s, const struct reg_person *r);
int ix_put_device(struct store *s, const struct reg_device *r, uint32_t *out);
int ix_put_cert(struct store *s, const struct reg_cert *r);
void ix_del_device(struct store *s, const char *key);
void ix_del_cert(struct store *s, const char *key);

/* index_load.c */
int ix_open_registry(struct rad_index *ix, const char *home, struct byod_err *err);
int ix_new_maps(struct rad_index *ix);
void ix_free_maps(struct rad_index *ix);
int ix_load_all(struct rad_index *ix, struct byod_err *err);
int ix_load_policies(struct reg *reg, struct byod_policies **set, int64_t *version,
		     struct byod_err *err);
int ix_add_live(const struct reg_unlock *u, void *arg);
int ix_load_unlocks(struct reg *reg, time_t now, struct reg_unlock **out, size_t *n,
		    struct byod_err *err);

#endif /* BYOD_RAD_INDEX_INT_H */
