// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The growable byte buffer (byod_buf.h). Capacity doubles from 64 bytes, so
 * n appends cost O(n) copies. A secret buffer never uses realloc(): realloc
 * may move the bytes and free the old block as it is, so growth allocates
 * the new block, copies, and wipes the old one before freeing it.
 */
#define _GNU_SOURCE /* explicit_bzero */
#include "byod_buf.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUF_MIN_CAP 64

void byod_buf_init(struct byod_buf *b, int wipe)
{
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
	b->wipe = !!wipe;
}

/* Moves the content into a block of cap bytes. Returns 0 or -ENOMEM. */
static int grow(struct byod_buf *b, size_t cap)
{
	char *p;

	if (!b->wipe) {
		p = realloc(b->p, cap);
		if (!p)
			return -ENOMEM;
		if (!b->p)
			p[0] = '\0';
	} else {
		p = malloc(cap);
		if (!p)
			return -ENOMEM;
		if (b->p) {
			memcpy(p, b->p, b->len + 1);
			explicit_bzero(b->p, b->cap);
			free(b->p);
		} else {
			p[0] = '\0';
		}
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

int byod_buf_reserve(struct byod_buf *b, size_t n)
{
	size_t need, cap;

	if (n > SIZE_MAX - b->len - 1)
		return -ENOMEM;
	need = b->len + n + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : BUF_MIN_CAP;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	return grow(b, cap);
}

int byod_buf_append(struct byod_buf *b, const void *data, size_t n)
{
	int rc;

	rc = byod_buf_reserve(b, n);
	if (rc)
		return rc;
	if (n)
		memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int byod_buf_puts(struct byod_buf *b, const char *s)
{
	return byod_buf_append(b, s, strlen(s));
}

int byod_buf_putc(struct byod_buf *b, char c)
{
	return byod_buf_append(b, &c, 1);
}

/* Undoes what a vsnprintf that did not fit left after the content. */
static void undo_tail(struct byod_buf *b)
{
	if (!b->p)
		return;
	if (b->wipe)
		explicit_bzero(b->p + b->len, b->cap - b->len);
	else
		b->p[b->len] = '\0';
}

int byod_buf_vprintf(struct byod_buf *b, const char *fmt, va_list ap)
{
	va_list aq;
	int n, rc;

	va_copy(aq, ap);
	n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, aq);
	va_end(aq);
	if (n < 0) {
		undo_tail(b);
		return -EINVAL;
	}
	if (b->p && (size_t)n < b->cap - b->len) {
		b->len += (size_t)n;
		return 0;
	}
	rc = byod_buf_reserve(b, (size_t)n);
	if (rc) {
		undo_tail(b);
		return rc;
	}
	va_copy(aq, ap);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, aq);
	va_end(aq);
	if (n < 0) {
		undo_tail(b);
		return -EINVAL;
	}
	b->len += (size_t)n;
	return 0;
}

int byod_buf_printf(struct byod_buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = byod_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

void byod_buf_truncate(struct byod_buf *b, size_t len)
{
	if (len >= b->len)
		return;
	if (b->wipe)
		explicit_bzero(b->p + len, b->len - len);
	b->len = len;
	b->p[len] = '\0';
}

void byod_buf_clear(struct byod_buf *b)
{
	byod_buf_truncate(b, 0);
}

char *byod_buf_take(struct byod_buf *b, size_t *len)
{
	char *p = b->p;

	if (!p) {
		p = strdup("");
		if (!p)
			return NULL;
	}
	if (len)
		*len = b->len;
	byod_buf_init(b, b->wipe);
	return p;
}

void byod_buf_free(struct byod_buf *b)
{
	if (!b)
		return;
	if (b->p && b->wipe)
		explicit_bzero(b->p, b->cap);
	free(b->p);
	byod_buf_init(b, b->wipe);
}

void byod_buf_putf(struct byod_buf *b, int *rc, const char *fmt, ...)
{
	va_list ap;

	if (*rc)
		return;
	va_start(ap, fmt);
	*rc = byod_buf_vprintf(b, fmt, ap);
	va_end(ap);
}
