/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A growable array of fixed-size elements: the one vector of the tree
 * (lists collected from registry callbacks, sets of entries, rows of a
 * file). The element size is fixed when the vector is made; elements are
 * reached with BYOD_VEC_AT, which checks both the index and the element
 * type's size. Elements are plain memory: the vector never looks inside
 * them, so an element that owns memory is freed by the caller before
 * byod_vec_del or byod_vec_free. Not thread-safe.
 */
#ifndef BYOD_VEC_H
#define BYOD_VEC_H

#include <stddef.h>

struct byod_vec {
	void *v;     /* n elements of size bytes; NULL while cap == 0 */
	size_t n;    /* elements in use */
	size_t cap;  /* elements allocated */
	size_t size; /* bytes per element */
};

/* clang-format off */
#define BYOD_VEC_INIT(type) { .v = NULL, .n = 0, .cap = 0, .size = sizeof(type) }
/* clang-format on */

/* An empty vector of elements of size bytes. Allocates nothing. */
void byod_vec_init(struct byod_vec *v, size_t size);

/* Makes room for n more elements. Returns 0 or -ENOMEM. */
int byod_vec_reserve(struct byod_vec *v, size_t n);

/* Appends one zeroed element and returns it (valid until the next push,
 * reserve or del), or NULL when memory runs out (the vector unchanged). */
void *byod_vec_push(struct byod_vec *v);

/* Removes element i, keeping the order of the others; i >= n is ignored. */
void byod_vec_del(struct byod_vec *v, size_t i);

/* Hands the array over: returns it (NULL when empty) with *n elements (n
 * may be NULL); the caller frees it with free(). v is left empty, same size. */
void *byod_vec_take(struct byod_vec *v, size_t *n);

/* Frees the array and leaves v empty with the same element size, ready for
 * reuse. v may be NULL. */
void byod_vec_free(struct byod_vec *v);

/*
 * The same growth for an array whose pointer, count and capacity are
 * fields of a published struct (struct pol_errors' v, n, cap): *arrp points
 * at the array pointer. Appends one zeroed element of size bytes and
 * returns it, or NULL when memory runs out (nothing changed). byod_vec_push
 * is this on the vector's own fields. BYOD_ARRAY_PUSH types it:
 * "e = BYOD_ARRAY_PUSH(errs->v, errs->n, errs->cap)".
 */
void *byod_array_push(void *arrp, size_t *n, size_t *cap, size_t size);
#define BYOD_ARRAY_PUSH(arr, n, cap)                                                               \
	((__typeof__(&(arr)[0]))byod_array_push(&(arr), &(n), &(cap), sizeof((arr)[0])))

static inline void byod_vec_freep(struct byod_vec *v)
{
	byod_vec_free(v);
}

/* Element i, or NULL when i is out of range or size is not the vector's
 * element size (a wrong type in BYOD_VEC_AT). */
static inline void *byod_vec_at_(const struct byod_vec *v, size_t i, size_t size)
{
	if (i >= v->n || size != v->size)
		return NULL;
	return (char *)v->v + i * size;
}

/* A pointer to element i of *vec as a type *; NULL when out of range. */
#define BYOD_VEC_AT(vec, type, i) ((type *)byod_vec_at_((vec), (i), sizeof(type)))

#endif /* BYOD_VEC_H */
