/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Memory for the module's index: a million devices are a few million small
 * objects, ~600 MB. Spread over 4 KiB pages that many pages slow the whole
 * FreeRADIUS process down on some virtual machines (bench/README.md: the
 * p99 of requests the index never sees went from under 1 ms to several ms
 * with 600 MB merely resident), so the index takes its memory from large
 * regions the kernel is asked to back with transparent huge pages, cut
 * into size classes of 16 bytes with a free list each. Memory freed goes
 * back to its class, never to the system.
 *
 * Thread-safe. Under AddressSanitizer or valgrind every call is plain
 * malloc/free, so that their checks still see each object.
 */
#ifndef BYOD_MEM_H
#define BYOD_MEM_H

#include <stddef.h>

/* n bytes (any size), or NULL. */
void *byod_mem_alloc(size_t n);
/* p from byod_mem_alloc(n), with the same n; NULL is ignored. */
void byod_mem_free(void *p, size_t n);
/* n zeroed bytes for a large array (mapped directly when large), or NULL. */
void *byod_mem_calloc_big(size_t n);
void byod_mem_free_big(void *p, size_t n);

#endif /* BYOD_MEM_H */
