/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A string-keyed hash map (FNV-1a, chaining) for the module's in-memory
 * index. Not thread-safe: the index guards it with its own lock.
 */
#ifndef BYOD_HMAP_H
#define BYOD_HMAP_H

#include <stddef.h>

struct byod_hmap;

/* free_value (may be NULL) is called on values replaced, removed or left at
 * byod_hmap_free. */
struct byod_hmap *byod_hmap_new(void (*free_value)(void *));
void byod_hmap_free(struct byod_hmap *m);
void *byod_hmap_get(const struct byod_hmap *m, const char *key);
/* Inserts or replaces; the key is copied. Returns 0 or -ENOMEM (value not
 * taken then). */
int byod_hmap_put(struct byod_hmap *m, const char *key, void *value);
/* Removes key (its value is freed); 0, or -ENOENT. */
int byod_hmap_del(struct byod_hmap *m, const char *key);
size_t byod_hmap_count(const struct byod_hmap *m);
/* Bytes the map itself holds (buckets, nodes, keys), for the memory figures. */
size_t byod_hmap_bytes(const struct byod_hmap *m);

#endif /* BYOD_HMAP_H */
