// SPDX-License-Identifier: GPL-2.0-or-later
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
#define _GNU_SOURCE /* mremap */
#include "index.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "byod.h"
#include "byod_conf.h"
#include "byod_util.h"
#include "byod_vec.h"
#include "hmap.h"
#include "mem.h"
#include "policy.h"
#include "reg_bulk.h"
#include "registry.h"

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

static int64_t time40_get(const uint8_t in[5])
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

static int arr_reserve(struct arr *a, size_t elem, size_t want)
{
	size_t cap = a->cap ? a->cap : 1024, bytes;
	void *p;

	if (want <= a->cap)
		return 0;
	while (cap < want)
		cap *= 2;
	bytes = (cap * elem + 4095) & ~(size_t)4095;
	if (a->v)
		p = mremap(a->v, a->bytes, bytes, MREMAP_MAYMOVE);
	else
		p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -ENOMEM;
#ifdef MADV_HUGEPAGE
	madvise(p, bytes, MADV_HUGEPAGE); /* advice: without THP, plain pages */
#endif
	a->v = p;
	a->cap = bytes / elem;
	a->bytes = bytes;
	return 0;
}

static void arr_free(struct arr *a)
{
	if (a->v)
		munmap(a->v, a->bytes);
	memset(a, 0, sizeof(*a));
}

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

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static uint64_t hash_id(const uint8_t id[16])
{
	uint64_t a, b;

	memcpy(&a, id, 8);
	memcpy(&b, id + 8, 8);
	return mix64(a ^ mix64(b));
}

static uint64_t hash_serial(const struct bserial *sn)
{
	uint64_t w[3] = { 0, 0, 0 };

	memcpy(w, sn->b, sizeof(sn->b));
	return mix64(w[0] ^ mix64(w[1] ^ mix64(w[2] ^ sn->nib)));
}

static uint64_t key_hash(enum tkind k, const void *key)
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

static uint64_t slot_hash(const struct store *s, enum tkind k, uint32_t slot)
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

static int slot_is(const struct store *s, enum tkind k, uint32_t slot, const void *key)
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
static uint32_t home_of(uint64_t h, uint32_t cap)
{
	return (uint32_t)(((h >> 32) * (uint64_t)cap) >> 32);
}

/* The position holding key, or the empty one where it would go; with
 * *found. */
static uint32_t t_pos_tag(const struct store *s, const struct table *t, enum tkind k,
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

static uint32_t t_pos(const struct store *s, const struct table *t, enum tkind k, const void *key,
		      int *found)
{
	uint32_t tag;

	return t_pos_tag(s, t, k, key, found, &tag);
}

static uint32_t t_get(const struct store *s, const struct table *t, enum tkind k, const void *key)
{
	int found;
	uint32_t i;

	if (!t->n)
		return NONE;
	i = t_pos(s, t, k, key, &found);
	return found ? ENTRY_SLOT(t->v[i]) : NONE;
}

static void t_place(const struct store *s, struct table *t, enum tkind k, uint32_t slot)
{
	uint64_t h = slot_hash(s, k, slot);
	uint32_t i = home_of(h, t->cap);

	while (t->v[i])
		if (++i == t->cap)
			i = 0;
	t->v[i] = TAG_OF(h) | (slot + 1);
}

static int t_resize(const struct store *s, struct table *t, enum tkind k, uint32_t cap)
{
	struct table nt = { .cap = cap, .n = t->n };
	uint32_t i;

	nt.v = byod_mem_calloc_big((size_t)cap * sizeof(uint32_t));
	if (!nt.v)
		return -ENOMEM;
	for (i = 0; i < t->cap; i++)
		if (t->v[i])
			t_place(s, &nt, k, ENTRY_SLOT(t->v[i]));
	byod_mem_free_big(t->v, (size_t)t->cap * sizeof(uint32_t));
	*t = nt;
	return 0;
}

/* Makes room for want entries at most 3/4 full. */
static int t_reserve(const struct store *s, struct table *t, enum tkind k, size_t want)
{
	size_t cap = t->cap ? t->cap : 16;

	if (want * 4 <= (size_t)t->cap * 3)
		return 0;
	while (want * 4 > cap * 3)
		cap *= 2;
	if (cap > UINT32_MAX / 2)
		return -ENOMEM;
	return t_resize(s, t, k, (uint32_t)cap);
}

/* After a full load: the table at about 70 % full (the growth by doubling
 * may have left it at 37 %), 5.7 bytes per entry. */
static int t_fit(const struct store *s, struct table *t, enum tkind k)
{
	uint64_t cap = (uint64_t)t->n * 10 / 7 + 16;

	if (cap >= t->cap || cap > UINT32_MAX / 2)
		return 0;
	return t_resize(s, t, k, (uint32_t)cap);
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

static int t_probe(const struct store *s, struct table *t, enum tkind k, const void *key,
		   struct tput *tp, uint32_t *slot)
{
	int rc = t_reserve(s, t, k, (size_t)t->n + 1);

	if (rc)
		return rc;
	tp->pos = t_pos_tag(s, t, k, key, &tp->found, &tp->tag);
	*slot = tp->found ? ENTRY_SLOT(t->v[tp->pos]) : NONE;
	return 0;
}

static void t_fill(struct table *t, const struct tput *tp, uint32_t slot)
{
	if (!tp->found)
		t->n++;
	t->v[tp->pos] = tp->tag | (slot + 1);
}

/* Removes key; the entries after it move back to keep every probe whole. */
static void t_del(const struct store *s, struct table *t, enum tkind k, const void *key)
{
	int found;
	uint32_t i, j, h;

	if (!t->n)
		return;
	i = t_pos(s, t, k, key, &found);
	if (!found)
		return;
	t->v[i] = 0;
	t->n--;
	for (j = i + 1 == t->cap ? 0 : i + 1; t->v[j]; j = j + 1 == t->cap ? 0 : j + 1) {
		h = home_of(slot_hash(s, k, ENTRY_SLOT(t->v[j])), t->cap);
		/* the entry at j stays when its home lies cyclically in (i, j] */
		if (i <= j ? (h > i && h <= j) : (h > i || h <= j))
			continue;
		t->v[i] = t->v[j];
		t->v[j] = 0;
		i = j;
	}
}

static void t_free(struct table *t)
{
	byod_mem_free_big(t->v, (size_t)t->cap * sizeof(uint32_t));
	memset(t, 0, sizeof(*t));
}

/* ---- interned text ---- */

static int intern(struct intern *in, const char *text, uint32_t *out)
{
	uintptr_t v = (uintptr_t)byod_hmap_get(in->map, text);
	char *copy;

	if (v) {
		*out = (uint32_t)(v - 1);
		return 0;
	}
	if (in->n == in->cap) {
		uint32_t cap = in->cap ? in->cap * 2 : 64;
		char **s = realloc(in->s, cap * sizeof(*s));

		if (!s)
			return -ENOMEM;
		in->s = s;
		in->cap = cap;
	}
	copy = strdup(text);
	if (!copy)
		return -ENOMEM;
	if (byod_hmap_put(in->map, copy, (void *)(uintptr_t)(in->n + 1))) {
		free(copy);
		return -ENOMEM;
	}
	in->bytes += strlen(copy) + 1;
	in->s[in->n] = copy;
	*out = in->n++;
	return 0;
}

static const char *text_of(const struct store *s, uint32_t i)
{
	return s->strings.s[i];
}

/* ---- keys from text, exactly as the registry writes them ---- */

/* A hex digit's value + 1, 0 for any other byte: LHEX lowercase only,
 * HEX either case (a million rows are parsed at start: one load a digit) */
#define HEX_LC ['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7, \
	       ['7'] = 8, ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, \
	       ['e'] = 15, ['f'] = 16
static const uint8_t LHEX[256] = { HEX_LC };
static const uint8_t HEX[256] = { HEX_LC, ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14,
				  ['E'] = 15, ['F'] = 16 };

static int hexval(int c)
{
	return (int)HEX[(unsigned char)c] - 1;
}

/* A device id as the registry writes it (a UUID in lowercase): its 16
 * bytes. Any other text names no device. */
static int uuid_parse(const char *t, uint8_t id[16])
{
	int i, n = 0, hi, lo;

	/* in order, so that a short text stops at its end */
	for (i = 0; i < 36; i += 2) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (t[i] != '-')
				return -EINVAL;
			i++;
		}
		hi = LHEX[(unsigned char)t[i]];
		if (!hi)
			return -EINVAL;
		lo = LHEX[(unsigned char)t[i + 1]];
		if (!lo)
			return -EINVAL;
		id[n++] = (uint8_t)((hi - 1) << 4 | (lo - 1));
	}
	return t[36] ? -EINVAL : 0;
}

static void uuid_format(const uint8_t id[16], char out[REG_ID_MAX])
{
	static const char hex[] = "0123456789abcdef";
	int i, o = 0;

	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[id[i] >> 4];
		out[o++] = hex[id[i] & 15];
	}
	out[o] = '\0';
}

/* A MAC in any of the forms byod_mac_normalise takes (the same rules):
 * its 48 bits. */
static int mac_parse(const char *t, uint64_t *out)
{
	uint64_t m = 0;
	int n = 0, v;

	for (; *t; t++) {
		v = hexval(*t);
		if (v >= 0) {
			if (n == 12)
				return -EINVAL;
			m = m << 4 | (uint64_t)v;
			n++;
		} else if (*t != ':' && *t != '-' && *t != '.' && *t != ' ') {
			return -EINVAL;
		}
	}
	if (n != 12)
		return -EINVAL;
	*out = m;
	return 0;
}

/* The registry's form of a MAC only ("aa:bb:cc:dd:ee:ff"): what the old
 * text keys matched. */
static int mac_parse_stored(const char *t, uint64_t *out)
{
	char norm[REG_MAC_MAX];

	if (byod_mac_normalise(t, norm) || strcmp(norm, t))
		return -EINVAL;
	return mac_parse(t, out);
}

/* A serial of 1 to 40 hex digits: its bytes, ODD_FORM set when the text
 * is not the registry's form (lowercase, no leading zero). */
static int serial_parse_any(const char *t, struct bserial *out)
{
	size_t n = strlen(t), i, r;
	int v, odd = n > 1 && t[0] == '0';

	memset(out, 0, sizeof(*out));
	if (n == 0 || n > 40)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		v = hexval(t[i]);
		if (v < 0)
			return -EINVAL;
		if (t[i] >= 'A' && t[i] <= 'F')
			odd = 1;
		/* digit i from the right is nibble r */
		r = n - 1 - i;
		out->b[19 - r / 2] |= (uint8_t)(r % 2 ? v << 4 : v);
	}
	out->nib = (uint8_t)(n | (odd ? ODD_FORM : 0));
	return 0;
}

/* A serial in the registry's form only (what a request is normalised to):
 * its bytes. Any other text names no certificate. */
static int serial_parse(const char *t, struct bserial *out)
{
	return serial_parse_any(t, out) || (out->nib & ODD_FORM) ? -EINVAL : 0;
}

/* ---- the store, under the write lock (or before the index is shared) ---- */

static int live(const struct device *d)
{
	return pol_state_holds_mac((int)d->state);
}

static void store_free(struct store *s)
{
	uint32_t i;

	arr_free(&s->devices);
	arr_free(&s->certs);
	arr_free(&s->people);
	arr_free(&s->reps);
	arr_free(&s->free_certs);
	arr_free(&s->free_reps);
	t_free(&s->by_id);
	t_free(&s->by_mac);
	t_free(&s->by_serial);
	t_free(&s->by_person);
	for (i = 0; i < s->strings.n; i++)
		free(s->strings.s[i]);
	free(s->strings.s);
	byod_hmap_free(s->strings.map); /* keys are its own copies */
	memset(s, 0, sizeof(*s));
}

static int store_init(struct store *s)
{
	uint32_t empty;

	memset(s, 0, sizeof(*s));
	s->strings.map = byod_hmap_new(NULL);
	if (!s->strings.map)
		return -ENOMEM;
	return intern(&s->strings, "", &empty); /* index 0: "" */
}

/* The slot of person id, made (absent) when it has none yet. */
static int person_slot(struct store *s, int64_t id, uint32_t *out)
{
	struct tput tp;
	uint32_t slot;
	struct person *p;
	int rc;

	rc = t_probe(s, &s->by_person, T_PERSON, &id, &tp, &slot);
	if (rc)
		return rc;
	if (slot == NONE) {
		if (s->people.n >= SLOT_MAX)
			return -ENOMEM;
		rc = arr_reserve(&s->people, sizeof(struct person), s->people.n + 1);
		if (rc)
			return rc;
		slot = (uint32_t)s->people.n++;
		p = PERSON(s, slot);
		memset(p, 0, sizeof(*p));
		p->id = id;
		t_fill(&s->by_person, &tp, slot);
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

	rc = t_probe(s, &s->by_id, T_ID, id, &tp, &slot);
	if (rc)
		return rc;
	if (slot == NONE) {
		if (s->devices.n >= SLOT_MAX)
			return -ENOMEM;
		rc = arr_reserve(&s->devices, sizeof(struct device), s->devices.n + 1);
		if (rc)
			return rc;
		slot = (uint32_t)s->devices.n++;
		d = DEV(s, slot);
		memset(d, 0, sizeof(*d));
		memcpy(d->id, id, 16);
		d->owner = NONE;
		t_fill(&s->by_id, &tp, slot);
	}
	*out = slot;
	return 0;
}

static const struct device *device_get(const struct store *s, const char *id)
{
	uint8_t k[16];
	uint32_t slot;

	if (uuid_parse(id, k))
		return NULL;
	slot = t_get(s, &s->by_id, T_ID, k);
	return slot != NONE && DEV(s, slot)->present ? DEV(s, slot) : NULL;
}

static const struct cert *cert_get(const struct store *s, const struct bserial *sn)
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

static void person_in_of(const struct reg_person *r, struct person_in *in)
{
	in->id = r->id;
	in->leaves_at = r->leaves_at;
	in->school = r->school;
	in->groups = r->groups;
	in->role = (int8_t)r->role;
	in->disabled = r->state == REG_PERSON_DISABLED;
}

/* -1: a row no request could name (its id is not a UUID), left out */
static int device_in_of(const struct reg_device *r, struct device_in *in)
{
	if (uuid_parse(r->id, in->id))
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
static int cert_in_of(const struct reg_cert *r, struct cert_in *in)
{
	if (serial_parse_any(r->serial, &in->sn))
		return -1;
	in->has_dev = !uuid_parse(r->device, in->dev);
	in->has_rep = r->replaces[0] && !serial_parse_any(r->replaces, &in->rep);
	in->not_before = r->not_before;
	in->not_after = r->not_after;
	in->revoked = r->state != REG_CERT_VALID;
	in->seen = r->first_seen != 0;
	return 0;
}

static int put_person_in(struct store *s, const struct person_in *r)
{
	uint32_t slot, school, groups;
	struct person *p;
	int rc;

	rc = person_slot(s, r->id, &slot);
	if (!rc)
		rc = intern(&s->strings, r->school, &school);
	if (!rc)
		rc = intern(&s->strings, r->groups, &groups);
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

static int put_person(struct store *s, const struct reg_person *r)
{
	struct person_in in;

	person_in_of(r, &in);
	return put_person_in(s, &in);
}

/* Takes the device at slot out of by_mac when it is the one its MAC names. */
static void unmap_mac(struct store *s, uint32_t slot)
{
	struct device *d = DEV(s, slot);
	uint64_t mac = d->mac;

	if (d->has_mac && t_get(s, &s->by_mac, T_MAC, &mac) == slot)
		t_del(s, &s->by_mac, T_MAC, &mac);
}

/* A MAC may have been carried by several devices (a retired phone's MAC
 * re-enrolled): the live one wins, else the newest seen. *out (may be
 * NULL) gets the device's slot. */
static int put_device_in(struct store *s, const struct device_in *r, uint32_t *out)
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

		rc = t_probe(s, &s->by_mac, T_MAC, &mac, &tp, &holder);
		if (rc)
			return rc;
		d = DEV(s, slot);
		if (holder == NONE || live(d) || !live(DEV(s, holder)))
			t_fill(&s->by_mac, &tp, slot);
	}
	return 0;
}

static int put_device(struct store *s, const struct reg_device *r, uint32_t *out)
{
	struct device_in in;

	if (device_in_of(r, &in))
		return 0; /* no request could name it */
	return put_device_in(s, &in, out);
}

static void del_device(struct store *s, const char *key)
{
	uint8_t id[16];
	uint32_t slot;
	struct device *d;

	if (uuid_parse(key, id))
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
	if (!arr_reserve(&s->free_reps, sizeof(uint32_t), s->free_reps.n + 1))
		*ARR_AT(&s->free_reps, uint32_t, s->free_reps.n++) = i;
}

static int new_rep(struct store *s, const struct bserial *sn, uint32_t *out)
{
	int rc;

	if (s->free_reps.n) {
		*out = *ARR_AT(&s->free_reps, uint32_t, --s->free_reps.n);
	} else {
		rc = arr_reserve(&s->reps, sizeof(struct bserial), s->reps.n + 1);
		if (rc)
			return rc;
		*out = (uint32_t)s->reps.n++;
	}
	*REP(s, *out) = *sn;
	return 0;
}

static int put_cert_in(struct store *s, const struct cert_in *r)
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
	rc = t_probe(s, &s->by_serial, T_SERIAL, &r->sn, &tp, &slot);
	if (rc) {
		free_rep(s, rix);
		return rc;
	}
	if (slot == NONE) {
		if (s->free_certs.n) {
			slot = *ARR_AT(&s->free_certs, uint32_t, --s->free_certs.n);
		} else {
			rc = s->certs.n >= SLOT_MAX
				     ? -ENOMEM
				     : arr_reserve(&s->certs, sizeof(struct cert), s->certs.n + 1);
			if (rc) {
				free_rep(s, rix);
				return rc;
			}
			slot = (uint32_t)s->certs.n++;
		}
		memset(CERT(s, slot), 0, sizeof(struct cert));
		CERT(s, slot)->serial = r->sn;
		CERT(s, slot)->replaces = NONE;
		t_fill(&s->by_serial, &tp, slot);
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

static int put_cert(struct store *s, const struct reg_cert *r)
{
	struct cert_in in;

	if (cert_in_of(r, &in))
		return 0; /* not a serial: no request could name it */
	return put_cert_in(s, &in);
}

static void del_cert(struct store *s, const char *key)
{
	struct bserial sn;
	uint32_t slot;
	struct cert *c;

	if (serial_parse_any(key, &sn))
		return;
	slot = t_get(s, &s->by_serial, T_SERIAL, &sn);
	if (slot == NONE)
		return;
	t_del(s, &s->by_serial, T_SERIAL, &sn);
	c = CERT(s, slot);
	free_rep(s, c->replaces);
	c->used = 0;
	c->replaces = NONE;
	s->ncerts--;
	if (!arr_reserve(&s->free_certs, sizeof(uint32_t), s->free_certs.n + 1))
		*ARR_AT(&s->free_certs, uint32_t, s->free_certs.n++) = slot;
}

/* Room for the rows a load will read, so that nothing is rehashed or
 * moved while it reads. */
static int store_reserve(struct store *s, size_t people, size_t devices, size_t certs)
{
	int rc = 0;

	if (devices > SLOT_MAX || certs > SLOT_MAX || people > SLOT_MAX)
		return 0; /* refused row by row */
	if (people)
		rc = arr_reserve(&s->people, sizeof(struct person), people);
	if (!rc && devices)
		rc = arr_reserve(&s->devices, sizeof(struct device), devices);
	if (!rc && certs)
		rc = arr_reserve(&s->certs, sizeof(struct cert), certs);
	if (!rc && people)
		rc = t_resize(s, &s->by_person, T_PERSON, (uint32_t)(people * 10 / 7 + 16));
	if (!rc && devices)
		rc = t_resize(s, &s->by_id, T_ID, (uint32_t)(devices * 10 / 7 + 16));
	if (!rc && devices)
		rc = t_resize(s, &s->by_mac, T_MAC, (uint32_t)(devices * 10 / 7 + 16));
	if (!rc && certs)
		rc = t_resize(s, &s->by_serial, T_SERIAL, (uint32_t)(certs * 10 / 7 + 16));
	return rc;
}

static int store_fit(struct store *s)
{
	int rc = t_fit(s, &s->by_id, T_ID);

	if (!rc)
		rc = t_fit(s, &s->by_mac, T_MAC);
	if (!rc)
		rc = t_fit(s, &s->by_serial, T_SERIAL);
	if (!rc)
		rc = t_fit(s, &s->by_person, T_PERSON);
	return rc;
}

static size_t store_bytes(const struct store *s)
{
	return s->devices.n * sizeof(struct device) + s->certs.n * sizeof(struct cert) +
	       s->people.n * sizeof(struct person) + s->reps.n * sizeof(struct bserial) +
	       ((size_t)s->by_id.cap + s->by_mac.cap + s->by_serial.cap + s->by_person.cap) *
		       sizeof(uint32_t) +
	       s->strings.bytes + s->strings.cap * sizeof(char *);
}

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
	char reload_why[160];
	pthread_mutex_t recent_lock;
	struct byod_hmap *recent;  /* mac -> serial of its last EAP-TLS accept */
	int loaded;   /* a full load succeeded once */
	unsigned long epoch; /* reg_connection_epoch() of the last full load */
	int degraded; /* the last read of the registry failed */
};

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
			rc = put_person_in(st, &b->u.p[j]);
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
			rc = put_device_in(st, &b->u.d[j], NULL);
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
			rc = put_cert_in(st, &b->u.c[j]);
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
		if (!end && !rc)
			rc = fill(l->st, b);
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
		rc = kind == B_END ? 0 : fill(l->st, b);
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

/* Ends the filler after what was handed over: its first error, or 0. */
static int loader_end(struct loader *l)
{
	int rc;

	if (!l->threaded)
		return 0;
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

	person_in_of(r, p);
	p->school = keep_text(b, r->school);
	p->groups = p->school ? keep_text(b, r->groups) : NULL;
	if (!p->groups) { /* the text is full: this row goes in the next batch */
		rc = push(l, B_PEOPLE);
		if (rc)
			return rc;
		b = cur(l);
		p = &b->u.p[0];
		person_in_of(r, p);
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

	if (device_in_of(r, &b->u.d[b->n]))
		return 0; /* as put_device: no request could name it */
	b->n++;
	return b->n == BATCH ? push(l, B_DEVICES) : 0;
}

static int load_cert(const struct reg_cert *r, void *arg)
{
	struct loader *l = arg;
	struct batch *b = cur(l);

	if (cert_in_of(r, &b->u.c[b->n]))
		return 0; /* as put_cert */
	b->n++;
	return b->n == BATCH ? push(l, B_CERTS) : 0;
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
	return add_live(u, arg);
}

/* The unlocks live at now, of every school, and those about to start that
 * are still live UNLOCK_AHEAD_S from now (decisions compare their start with
 * each request's time). */
static int load_unlocks(struct reg *reg, time_t now, struct reg_unlock **out, size_t *n,
			struct byod_err *err)
{
	struct live l = { 0 };
	int rc;

	rc = reg_unlock_list_active(reg, NULL, now, add_live, &l, err);
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

static int new_maps(struct rad_index *ix)
{
	return store_init(&ix->st);
}

static void free_maps(struct rad_index *ix)
{
	store_free(&ix->st);
}

/*
 * Everything and the last event's seq, read in one snapshot: an event
 * committed during the load is either in what was read and at or below
 * the seq, or after both, so the feed neither skips nor repeats it.
 */
static int load_all(struct rad_index *ix, struct byod_err *err)
{
	struct loader *l = NULL;
	struct timespec t0, t1;
	size_t np, nd, nc;
	int rc, frc;

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
		rc = store_reserve(&ix->st, np, nd, nc);
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
		if (frc)
			rc = frc;
		free(l);
	}
	if (!rc)
		rc = store_fit(&ix->st);
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
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!rc)
		ix->st.load_us = (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000000 +
				 (uint64_t)((t1.tv_nsec - t0.tv_nsec) / 1000);
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
	if (serial_parse_any(serial, &sn))
		return;
	c = cert_get(s, &sn);
	if (c && c->device != NONE)
		uuid_format(DEV(s, c->device)->id, out);
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
			rc = put_device(s, &c->u.device, NULL);
			d = (struct device *)device_get(s, c->key);
			if (!rc && d)
				d->cert_until = c->cert_until;
			return rc;
		}
		del_device(s, c->key);
		return 0;
	case CH_CERT:
		if (c->gone) {
			del_cert(s, c->key);
			d = c->device[0] ? (struct device *)device_get(s, c->device) : NULL;
			if (d)
				d->cert_until = c->cert_until;
			return 0;
		}
		d = (struct device *)device_get(s, c->device);
		if (d)
			d->cert_until = c->cert_until;
		return put_cert(s, &c->u.cert);
	case CH_PERSON:
		return c->gone ? 0 : put_person(s, &c->u.person);
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
	return has_unlock(l->v, l->n, u->id) ? 0 : add_live(u, l);
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
		rc = 1; /* the refresh opens the registry again */
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

/*
 * explain: the rule, the reason and the device's id are written into out;
 * without it only what a refusal says is (rad_index_decide decides a
 * refusal again with explain: pol_admit names the device in it).
 */
static int decide_locked(struct rad_index *ix, const struct rad_query *rq, struct rad_answer *out,
			 int explain)
{
	const struct store *s = &ix->st;
	char serial[REG_SERIAL_MAX];
	const struct device *d = NULL;
	const struct cert *c = NULL;
	const struct person *p = NULL;
	const struct reg_unlock *u;
	struct pol_facts f;
	struct pol_admission adm;
	struct bserial sn;
	uint64_t mac;
	uint32_t slot;
	char when[32];
	int left = 0;

	if (rq->method == RAD_METHOD_TLS) {
		if (!rq->serial || byod_serial_normalise(rq->serial, serial, sizeof(serial)))
			return answer(out, 0, 0, "certificate", "no usable certificate serial");
		c = serial_parse(serial, &sn) ? NULL : cert_get(s, &sn);
		if (!c && !ix->loaded)
			return unreachable(ix, out);
		if (!c)
			return answer(out, 0, 0, "certificate",
				      "certificate %s is not in the registry", serial);
		d = c->device != NONE && DEV(s, c->device)->present ? DEV(s, c->device) : NULL;
		if (!d)
			return answer(out, 0, 0, "certificate",
				      "certificate %s belongs to no device", serial);
	} else {
		if (!rq->mac || mac_parse(rq->mac, &mac))
			return answer(out, 0, 0, "mac", "'%s' is not a MAC address",
				      rq->mac ? rq->mac : "");
		slot = t_get(s, &s->by_mac, T_MAC, &mac);
		d = slot != NONE ? DEV(s, slot) : NULL;
	}
	memset(&f, 0, sizeof(f));
	f.role = -1;
	f.kind = -1;
	f.state = BYOD_DEVICE_UNKNOWN;
	f.method = rq->method == RAD_METHOD_TLS ? POL_METHOD_CERTIFICATE : POL_METHOD_MAC;
	if (d) {
		out->known = 1;
		if (explain) {
			uuid_format(d->id, out->device);
			f.device = out->device;
		}
		if (d->owner != NONE && PERSON(s, d->owner)->present)
			p = PERSON(s, d->owner);
		f.kind = (int)d->kind;
		f.state = (int)d->state;
		f.device_cert_until = d->cert_until;
	}
	if (p) {
		const char *school = text_of(s, p->school), *groups = text_of(s, p->groups);

		snprintf(out->school, sizeof(out->school), "%s", school);
		f.role = p->role;
		f.school = school;
		f.groups = groups;
		/* an owner whose leaving date has come is refused as a disabled
		 * one, before the daily job disables the account */
		left = !p->disabled && p->leaves_at && p->leaves_at <= rq->now;
		f.owner_disabled = p->disabled || left;
		/* a teacher opened one of the owner's groups */
		u = byod_unlock_find(ix->live, ix->nlive, school, groups, rq->now);
		if (u) {
			f.unlocked_until = u->ends;
			f.unlocked_group = u->group;
		}
	}
	if (c && !c->seen && c->replaces != NONE) {
		/* a renewal never seen before, whose predecessor still works:
		 * its first accept revokes that one (reg_cert_seen) */
		const struct cert *old = cert_get(s, REP(s, c->replaces));

		if (old && !old->revoked && time40_get(old->na) > rq->now) {
			out->first_sighting = 1;
			snprintf(out->serial, sizeof(out->serial), "%s", serial);
		}
	}
	if (c) {
		f.serial = serial;
		f.cert_not_before = time40_get(c->nb);
		f.cert_not_after = time40_get(c->na);
		f.cert_revoked = c->revoked;
	}
	pol_admit(byod_policies_for(ix->policies, p ? text_of(s, p->school) : NULL), &f, rq->now,
		  &adm, NULL, NULL);
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
	if (!explain)
		return 0;
	snprintf(out->rule, sizeof(out->rule), "%s", adm.what);
	snprintf(out->reason, sizeof(out->reason), "%s", adm.reason);
	if (!adm.admit && adm.refusal == POL_REFUSED_OWNER_DISABLED && left)
		snprintf(out->reason, sizeof(out->reason), "the owner of device %s left on %s",
			 out->device, byod_time_iso(p->leaves_at, when, sizeof(when)));
	return 0;
}

void rad_index_decide(struct rad_index *ix, const struct rad_query *rq, struct rad_answer *out)
{
	memset(out, 0, sizeof(*out));
	pthread_rwlock_rdlock(&ix->lock);
	decide_locked(ix, rq, out, rq->explain);
	if (!rq->explain && !out->accept) {
		/* a refusal always says why (its Reply-Message) */
		memset(out, 0, sizeof(*out));
		decide_locked(ix, rq, out, 1);
	}
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
	out->devices = ix->st.ndevices;
	out->certs = ix->st.ncerts;
	out->people = ix->st.npeople;
	out->bytes = store_bytes(&ix->st);
	out->load_s = (double)ix->st.load_us / 1e6;
	out->seq = ix->seq;
	out->policy_version = ix->policy_version;
	out->degraded = ix->degraded;
	out->full_loads = ix->full_loads;
	out->resumes = ix->resumes;
	out->feed_reads = __atomic_load_n(&ix->feed_reads, __ATOMIC_RELAXED);
	snprintf(out->reload_why, sizeof(out->reload_why), "%s", ix->reload_why);
	pthread_rwlock_unlock(&ix->lock);
}
