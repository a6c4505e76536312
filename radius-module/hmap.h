/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A string-keyed hash map (FNV-1a, chaining) for the module's in-memory
 * index. Not thread-safe: the index guards it with its own lock.
 */
#ifndef BYOD_RAD_HMAP_H
#define BYOD_RAD_HMAP_H

#include <stddef.h>

struct rad_hmap;

/* free_value (may be NULL) is called on values replaced, removed or left at
 * rad_hmap_free. */
struct rad_hmap *rad_hmap_new(void (*free_value)(void *));
void rad_hmap_free(struct rad_hmap *m);
void *rad_hmap_get(const struct rad_hmap *m, const char *key);
/* Inserts or replaces; the key is copied. Returns 0 or -ENOMEM (value not
 * taken then). */
int rad_hmap_put(struct rad_hmap *m, const char *key, void *value);
/* Removes key (its value is freed); 0, or -ENOENT. */
int rad_hmap_del(struct rad_hmap *m, const char *key);
size_t rad_hmap_count(const struct rad_hmap *m);
/* Bytes the map itself holds (buckets, nodes, keys), for the memory figures. */
size_t rad_hmap_bytes(const struct rad_hmap *m);

#endif /* BYOD_RAD_HMAP_H */
