/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PostgreSQL's binary COPY format read from memory (postgres_bulk.c, where
 * reg_bulk.h's PostgreSQL side is built on it: priv/pg_bulk.h). Binary rather
 * than text: every field comes with its length, so there is no escape to
 * undo (a tab, a newline or a backslash in a group name is just a byte),
 * and a bigint is eight bytes, not digits to parse. The stream is input
 * from outside: every length is checked against what is left.
 *
 * The stream is an 11-byte signature, a flags word, a header extension,
 * then tuples (a 16-bit field count, then per field a 32-bit length, -1
 * for NULL, and that many bytes), then a trailer (a field count of -1).
 * All integers are big-endian. libpq hands it over in messages whose
 * boundaries need not fall between tuples: pg_copy_parse takes what it is
 * given and says how much of it made whole tuples.
 */
#ifndef BYOD_REGISTRY_PG_COPY_H
#define BYOD_REGISTRY_PG_COPY_H

#include <stddef.h>
#include <stdint.h>

/* At most this many fields per tuple (the bulk reads take seven). */
#define PG_COPY_MAX_FIELDS 16

struct pg_copy_field {
	const uint8_t *p; /* len bytes, not NUL-terminated; NULL when the field is NULL */
	int32_t len;	  /* -1: SQL NULL */
};

struct pg_copy {
	int ncols;   /* the tuples' field count: any other is malformed */
	int started; /* the signature and header were read */
	int done;    /* the trailer was read: nothing may follow */
	uint64_t rows;
};

/* Readies c for a stream of tuples of ncols fields (1..PG_COPY_MAX_FIELDS). */
void pg_copy_init(struct pg_copy *c, int ncols);

/*
 * Reads whole tuples from buf[0..len) and calls row(fields, ncols, arg) for
 * each (the fields point into buf). *used gets the bytes read: the header
 * and whole tuples; the rest is an unfinished tuple, to be given again with
 * what follows it. Returns 0, -EPROTO when the stream is malformed (bad
 * signature, a critical flag, a field count other than ncols, a negative
 * length other than -1, a byte after the trailer), or row's non-zero
 * return (then *used counts the tuple it was given).
 */
int pg_copy_parse(struct pg_copy *c, const uint8_t *buf, size_t len, size_t *used,
		  int (*row)(const struct pg_copy_field *f, int n, void *arg), void *arg);

/* The field as a bigint: 0 when NULL (as pg_get_i64), -EPROTO unless 8 bytes. */
int pg_copy_i64(const struct pg_copy_field *f, int64_t *out);
/* The field as text into out, truncated to size - 1 bytes (as pg_get_text);
 * "" when NULL. A NUL byte inside ends the text there, as it would in C. */
void pg_copy_text(const struct pg_copy_field *f, char *out, size_t size);

#endif /* BYOD_REGISTRY_PG_COPY_H */
