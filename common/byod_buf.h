/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A growable byte buffer, always NUL-terminated once anything is in it:
 * the one string builder of the tree (pages, rulesets, files read whole,
 * request bodies). A buffer made with BYOD_BUF_SECRET_INIT (or wipe set)
 * holds a secret: every byte it gives up (the old block on growth, the
 * bytes cut by truncate and clear, the block at free) is overwritten with
 * explicit_bzero first, so no copy of the secret stays behind in freed
 * memory.
 *
 * Appends return 0 or -ENOMEM; after a failure the buffer is unchanged and
 * still valid. Not thread-safe.
 */
#ifndef BYOD_BUF_H
#define BYOD_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct byod_buf {
	char *p;	   /* NULL until the first byte, then len bytes + NUL */
	size_t len;	   /* bytes in use, not counting the NUL */
	size_t cap;	   /* bytes allocated at p */
	unsigned wipe : 1; /* a secret: wipe every block before it is freed */
};

/* clang-format off */
#define BYOD_BUF_INIT        { .p = NULL, .len = 0, .cap = 0, .wipe = 0 }
#define BYOD_BUF_SECRET_INIT { .p = NULL, .len = 0, .cap = 0, .wipe = 1 }
/* clang-format on */

/* An empty buffer; wipe non-zero for a secret. Allocates nothing. */
void byod_buf_init(struct byod_buf *b, int wipe);

/* Makes room for n more bytes and the NUL. Returns 0 or -ENOMEM. */
int byod_buf_reserve(struct byod_buf *b, size_t n);

/* Appends n bytes of data (which may hold NULs). Returns 0 or -ENOMEM. */
int byod_buf_append(struct byod_buf *b, const void *data, size_t n);

/* Appends the string s. Returns 0 or -ENOMEM. */
int byod_buf_puts(struct byod_buf *b, const char *s);

/* Appends one byte. Returns 0 or -ENOMEM. */
int byod_buf_putc(struct byod_buf *b, char c);

/* Appends the printf-formatted text. Returns 0, -ENOMEM, or -EINVAL when
 * the format cannot be rendered (vsnprintf failed). */
int byod_buf_printf(struct byod_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int byod_buf_vprintf(struct byod_buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/* Appends like byod_buf_printf unless *rc already holds an error; the
 * first failure stays in *rc, so a writer of many lines checks once. */
void byod_buf_putf(struct byod_buf *b, int *rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Cuts the content to its first len bytes (no-op when len >= b->len); the
 * bytes cut are wiped in a secret buffer. The memory is kept. */
void byod_buf_truncate(struct byod_buf *b, size_t len);

/* Empties the buffer for reuse, keeping its memory; a secret buffer's old
 * content is overwritten with zeros first. */
void byod_buf_clear(struct byod_buf *b);

/*
 * Hands the content over: returns a NUL-terminated string of *len bytes
 * (len may be NULL) that the caller frees (an empty string, not NULL, when
 * nothing was appended), and leaves b empty as after byod_buf_init with the
 * same wipe flag. Returns NULL only when the empty string cannot be
 * allocated. The caller of a secret buffer's take wipes the string itself.
 */
char *byod_buf_take(struct byod_buf *b, size_t *len);

/* Frees the content (wiped first when wipe is set) and leaves b empty, with
 * the same wipe flag, ready for reuse. b may be NULL. */
void byod_buf_free(struct byod_buf *b);

/* For __attribute__((cleanup(byod_buf_freep))) on a local struct byod_buf. */
static inline void byod_buf_freep(struct byod_buf *b)
{
	byod_buf_free(b);
}

#endif /* BYOD_BUF_H */
