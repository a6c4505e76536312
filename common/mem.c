// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Size-class allocator over huge-page regions for the index (mem.h).
 */
#include "mem.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif
#if defined(__SANITIZE_ADDRESS__)
#define PLAIN_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PLAIN_MALLOC 1
#endif
#endif
#ifndef PLAIN_MALLOC
#define PLAIN_MALLOC 0
#endif

#define GRAIN 16
#define MAX_SMALL 512                 /* larger objects: malloc */
#define CLASSES (MAX_SMALL / GRAIN)
#define REGION ((size_t)32 << 20)     /* 16 huge pages */
#define BIG ((size_t)1 << 20)         /* arrays from here on: their own mapping */

struct free_block {
	struct free_block *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct free_block *free_lists[CLASSES];
static char *bump, *bump_end;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int plain; /* 1: malloc/free (sanitizers, valgrind) */

static void decide(void)
{
	plain = PLAIN_MALLOC || RUNNING_ON_VALGRIND;
}

static int use_plain(void)
{
	pthread_once(&once, decide);
	return plain;
}

static void *map(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		       -1, 0);
	if (p == MAP_FAILED)
		return NULL;
#ifdef MADV_HUGEPAGE
	madvise(p, n, MADV_HUGEPAGE); /* advice: without THP, plain pages */
#endif
	return p;
}

void *byod_mem_alloc(size_t n)
{
	size_t c, size;
	void *p;

	if (n == 0)
		n = 1;
	if (n > MAX_SMALL || use_plain())
		return malloc(n);
	c = (n - 1) / GRAIN;
	size = (c + 1) * GRAIN;
	pthread_mutex_lock(&lock);
	if (free_lists[c]) {
		p = free_lists[c];
		free_lists[c] = free_lists[c]->next;
	} else {
		if ((size_t)(bump_end - bump) < size) {
			/* the rest of the old region is given up: under 512 bytes */
			char *r = map(REGION);
			if (!r) {
				pthread_mutex_unlock(&lock);
				return NULL;
			}
			bump = r;
			bump_end = r + REGION;
		}
		p = bump;
		bump += size;
	}
	pthread_mutex_unlock(&lock);
	return p;
}

void byod_mem_free(void *p, size_t n)
{
	size_t c;

	if (!p)
		return;
	if (n == 0)
		n = 1;
	if (n > MAX_SMALL || use_plain()) {
		free(p);
		return;
	}
	c = (n - 1) / GRAIN;
	pthread_mutex_lock(&lock);
	((struct free_block *)p)->next = free_lists[c];
	free_lists[c] = p;
	pthread_mutex_unlock(&lock);
}

void *byod_mem_calloc_big(size_t n)
{
	if (n < BIG || use_plain())
		return calloc(1, n);
	return map(n); /* anonymous mappings are zeroed */
}

void byod_mem_free_big(void *p, size_t n)
{
	if (!p)
		return;
	if (n < BIG || use_plain())
		free(p);
	else
		munmap(p, n);
}
