// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * String-keyed hash map with chaining, grown at a load factor of 1. Keys
 * live in the node (one allocation per entry), so a million devices cost a
 * million small allocations, not two million; nodes and bucket arrays come
 * from the index's huge-page memory (mem.h).
 */
#include "hmap.h"

#include "mem.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct node {
	struct node *next;
	void *value;
	uint32_t hash;
	char key[];
};

struct byod_hmap {
	struct node **buckets;
	size_t nbuckets, count, key_bytes;
	void (*free_value)(void *);
};

static uint32_t fnv1a(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

static void node_free(struct node *n)
{
	byod_mem_free(n, sizeof(*n) + strlen(n->key) + 1);
}

struct byod_hmap *byod_hmap_new(void (*free_value)(void *))
{
	struct byod_hmap *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->nbuckets = 64;
	m->buckets = byod_mem_calloc_big(m->nbuckets * sizeof(*m->buckets));
	if (!m->buckets) {
		free(m);
		return NULL;
	}
	m->free_value = free_value;
	return m;
}

void byod_hmap_free(struct byod_hmap *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->nbuckets; i++) {
		struct node *n = m->buckets[i], *next;

		for (; n; n = next) {
			next = n->next;
			if (m->free_value)
				m->free_value(n->value);
			node_free(n);
		}
	}
	byod_mem_free_big(m->buckets, m->nbuckets * sizeof(*m->buckets));
	free(m);
}

static struct node **find(const struct byod_hmap *m, const char *key, uint32_t h)
{
	struct node **p = &m->buckets[h & (m->nbuckets - 1)];

	for (; *p; p = &(*p)->next)
		if ((*p)->hash == h && !strcmp((*p)->key, key))
			return p;
	return p;
}

void *byod_hmap_get(const struct byod_hmap *m, const char *key)
{
	struct node **p = find(m, key, fnv1a(key));

	return *p ? (*p)->value : NULL;
}

static void grow(struct byod_hmap *m)
{
	size_t n = m->nbuckets * 2, i;
	struct node **b = byod_mem_calloc_big(n * sizeof(*b));

	if (!b)
		return; /* keep working with longer chains */
	for (i = 0; i < m->nbuckets; i++) {
		struct node *e = m->buckets[i], *next;

		for (; e; e = next) {
			next = e->next;
			e->next = b[e->hash & (n - 1)];
			b[e->hash & (n - 1)] = e;
		}
	}
	byod_mem_free_big(m->buckets, m->nbuckets * sizeof(*m->buckets));
	m->buckets = b;
	m->nbuckets = n;
}

int byod_hmap_put(struct byod_hmap *m, const char *key, void *value)
{
	uint32_t h = fnv1a(key);
	struct node **p = find(m, key, h), *n;
	size_t len;

	if (*p) {
		if (m->free_value && (*p)->value != value)
			m->free_value((*p)->value);
		(*p)->value = value;
		return 0;
	}
	len = strlen(key);
	n = byod_mem_alloc(sizeof(*n) + len + 1);
	if (!n)
		return -ENOMEM;
	memcpy(n->key, key, len + 1);
	n->hash = h;
	n->value = value;
	n->next = NULL;
	*p = n;
	m->count++;
	m->key_bytes += len + 1;
	if (m->count > m->nbuckets)
		grow(m);
	return 0;
}

int byod_hmap_del(struct byod_hmap *m, const char *key)
{
	struct node **p = find(m, key, fnv1a(key)), *n = *p;

	if (!n)
		return -ENOENT;
	*p = n->next;
	m->count--;
	m->key_bytes -= strlen(n->key) + 1;
	if (m->free_value)
		m->free_value(n->value);
	node_free(n);
	return 0;
}

size_t byod_hmap_count(const struct byod_hmap *m)
{
	return m->count;
}

size_t byod_hmap_bytes(const struct byod_hmap *m)
{
	return sizeof(*m) + m->nbuckets * sizeof(*m->buckets) + m->count * sizeof(struct node) +
	       m->key_bytes;
}
