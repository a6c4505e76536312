// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for PostgreSQL's binary COPY reader
 * (registry/postgres_bulk.c, pg_copy_parse), what the RADIUS index reads
 * from the registry database at start: a server, a proxy or a damaged
 * connection may send anything. The first byte picks the field count
 * (1..16) and the size of the pieces the rest arrives in, as libpq's
 * messages may cut it. Checked independently of the reader: every field it
 * hands back lies inside what it was given, a text read from it is
 * NUL-terminated within its buffer, it never says it used more than it was
 * given, and the stream read in pieces (what was not used kept with what
 * follows) gives the same rows and the same end as read whole.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pg_copy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct span {
	const uint8_t *lo, *hi;
	uint64_t rows;
	uint64_t sum; /* of the fields' lengths and their first bytes: the rows' shape */
};

static int check(const struct pg_copy_field *f, int n, void *arg)
{
	struct span *s = arg;
	char text[16];
	int64_t v;
	int i;

	for (i = 0; i < n; i++) {
		if (f[i].len == -1) {
			if (f[i].p)
				abort();
			s->sum += 7;
			continue;
		}
		if (f[i].len < 0 || f[i].p < s->lo || f[i].p > s->hi ||
		    (size_t)f[i].len > (size_t)(s->hi - f[i].p))
			abort();
		pg_copy_text(&f[i], text, sizeof(text));
		if (!memchr(text, 0, sizeof(text)))
			abort();
		if (!pg_copy_i64(&f[i], &v) && f[i].len != 8)
			abort();
		s->sum += (uint64_t)f[i].len * 31 + (f[i].len ? f[i].p[0] : 0);
	}
	s->rows++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct span whole, pieces;
	struct pg_copy c;
	uint8_t *carry;
	size_t used, have = 0, at = 0, step;
	int ncols, rc_whole, rc = 0;

	if (size < 1)
		return 0;
	ncols = 1 + (data[0] & 15);
	step = 1 + (data[0] >> 4) * 7;
	data++;
	size--;

	pg_copy_init(&c, ncols);
	whole = (struct span){ data, data + size, 0, 0 };
	rc_whole = pg_copy_parse(&c, data, size, &used, check, &whole);
	if (used > size || c.rows != whole.rows)
		abort();
	if (!rc_whole && used < size && c.done)
		abort(); /* bytes after the trailer must be refused */
	if (rc_whole && rc_whole != -EPROTO)
		abort();

	carry = malloc(size ? size : 1);
	if (!carry)
		return 0;
	pg_copy_init(&c, ncols);
	pieces = (struct span){ carry, carry + size, 0, 0 };
	while (at < size && !rc) {
		size_t n = size - at < step ? size - at : step;

		memcpy(carry + have, data + at, n);
		have += n;
		at += n;
		pieces.hi = carry + have;
		rc = pg_copy_parse(&c, carry, have, &used, check, &pieces);
		if (used > have)
			abort();
		memmove(carry, carry + used, have - used);
		have -= used;
	}
	free(carry);
	/* the same rows up to where the whole read stopped, and the same end */
	if (rc != rc_whole || pieces.rows != whole.rows || pieces.sum != whole.sum)
		abort();
	return 0;
}
