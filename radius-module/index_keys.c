// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The index's containers (index_int.h): growable arrays in their own
 * mappings, open-addressing tables of slots, interned text, and the keys
 * (device ids, MACs, serials) parsed from text exactly as the registry
 * writes them.
 */
#define _GNU_SOURCE /* mremap */
#include "index_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "hmap.h"
#include "mem.h"

int ix_arr_reserve(struct arr *a, size_t elem, size_t want)
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

void ix_arr_free(struct arr *a)
{
	if (a->v)
		munmap(a->v, a->bytes);
	memset(a, 0, sizeof(*a));
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

int ix_t_resize(const struct store *s, struct table *t, enum tkind k, uint32_t cap)
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
	return ix_t_resize(s, t, k, (uint32_t)cap);
}

/* After a full load: the table at about 70 % full (the growth by doubling
 * may have left it at 37 %), 5.7 bytes per entry. */
int ix_t_fit(const struct store *s, struct table *t, enum tkind k)
{
	uint64_t cap = (uint64_t)t->n * 10 / 7 + 16;

	if (cap >= t->cap || cap > UINT32_MAX / 2)
		return 0;
	return ix_t_resize(s, t, k, (uint32_t)cap);
}

int ix_t_probe(const struct store *s, struct table *t, enum tkind k, const void *key,
		   struct tput *tp, uint32_t *slot)
{
	int rc = t_reserve(s, t, k, (size_t)t->n + 1);

	if (rc)
		return rc;
	tp->pos = t_pos_tag(s, t, k, key, &tp->found, &tp->tag);
	*slot = tp->found ? ENTRY_SLOT(t->v[tp->pos]) : NONE;
	return 0;
}

void ix_t_fill(struct table *t, const struct tput *tp, uint32_t slot)
{
	if (!tp->found)
		t->n++;
	t->v[tp->pos] = tp->tag | (slot + 1);
}

/* Removes key; the entries after it move back to keep every probe whole. */
void ix_t_del(const struct store *s, struct table *t, enum tkind k, const void *key)
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

void ix_t_free(struct table *t)
{
	byod_mem_free_big(t->v, (size_t)t->cap * sizeof(uint32_t));
	memset(t, 0, sizeof(*t));
}

/* ---- interned text ---- */

int ix_intern(struct intern *in, const char *text, uint32_t *out)
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
int ix_uuid_parse(const char *t, uint8_t id[16])
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

void ix_uuid_format(const uint8_t id[16], char out[REG_ID_MAX])
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
int ix_mac_parse(const char *t, uint64_t *out)
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

/* A serial of 1 to 40 hex digits: its bytes, ODD_FORM set when the text
 * is not the registry's form (lowercase, no leading zero). */
int ix_serial_parse_any(const char *t, struct bserial *out)
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
int ix_serial_parse(const char *t, struct bserial *out)
{
	return ix_serial_parse_any(t, out) || (out->nib & ODD_FORM) ? -EINVAL : 0;
}
