// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The growable array (byod_vec.h). Capacity doubles from 16 elements;
 * every size computation is checked for overflow, so a huge count fails
 * with -ENOMEM instead of wrapping around to a small block.
 */
#include "byod_vec.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define VEC_MIN_CAP 16

void byod_vec_init(struct byod_vec *v, size_t size)
{
	v->v = NULL;
	v->n = 0;
	v->cap = 0;
	v->size = size;
}

int byod_vec_reserve(struct byod_vec *v, size_t n)
{
	size_t need, cap;
	void *p;

	if (!v->size || n > SIZE_MAX - v->n)
		return -ENOMEM;
	need = v->n + n;
	if (need <= v->cap)
		return 0;
	cap = v->cap ? v->cap : VEC_MIN_CAP;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	if (cap > SIZE_MAX / v->size)
		return -ENOMEM;
	p = realloc(v->v, cap * v->size);
	if (!p)
		return -ENOMEM;
	v->v = p;
	v->cap = cap;
	return 0;
}

void *byod_vec_push(struct byod_vec *v)
{
	void *e;

	if (byod_vec_reserve(v, 1))
		return NULL;
	e = (char *)v->v + v->n * v->size;
	memset(e, 0, v->size);
	v->n++;
	return e;
}

void byod_vec_del(struct byod_vec *v, size_t i)
{
	if (i >= v->n)
		return;
	memmove((char *)v->v + i * v->size, (char *)v->v + (i + 1) * v->size,
		(v->n - i - 1) * v->size);
	v->n--;
}

void *byod_vec_take(struct byod_vec *v, size_t *n)
{
	void *p = v->v;

	if (n)
		*n = v->n;
	if (!v->n) {
		free(p);
		p = NULL;
	}
	byod_vec_init(v, v->size);
	return p;
}

void byod_vec_free(struct byod_vec *v)
{
	if (!v)
		return;
	free(v->v);
	byod_vec_init(v, v->size);
}
