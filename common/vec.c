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

/* Room for need elements in *arrp, whose capacity is *cap. */
static int array_reserve(void **arrp, size_t *cap, size_t need, size_t size)
{
	size_t c;
	void *p;

	if (!size)
		return -ENOMEM;
	if (need <= *cap)
		return 0;
	c = *cap ? *cap : VEC_MIN_CAP;
	while (c < need)
		c = c > SIZE_MAX / 2 ? need : c * 2;
	if (c > SIZE_MAX / size)
		return -ENOMEM;
	p = realloc(*arrp, c * size);
	if (!p)
		return -ENOMEM;
	*arrp = p;
	*cap = c;
	return 0;
}

int byod_vec_reserve(struct byod_vec *v, size_t n)
{
	if (n > SIZE_MAX - v->n)
		return -ENOMEM;
	return array_reserve(&v->v, &v->cap, v->n + n, v->size);
}

void *byod_array_push(void *arrp, size_t *n, size_t *cap, size_t size)
{
	void **arr = arrp;
	void *e;

	if (*n == SIZE_MAX || array_reserve(arr, cap, *n + 1, size))
		return NULL;
	e = (char *)*arr + *n * size;
	memset(e, 0, size);
	(*n)++;
	return e;
}

void *byod_vec_push(struct byod_vec *v)
{
	return byod_array_push(&v->v, &v->n, &v->cap, v->size);
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
