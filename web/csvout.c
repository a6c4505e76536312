// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The CSV writer: a growing buffer, fields quoted only when they must be
 * (RFC 4180, section 2), and the guard against formulas (OWASP's "CSV
 * injection": a leading = + - @ tab or CR makes Excel or LibreOffice run the
 * cell; a ' in front keeps it text and shows the value as written).
 */
#include "csvout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put(struct web_csv *c, const char *s, size_t n)
{
	if (c->oom)
		return;
	if (c->len + n + 1 > c->cap) {
		size_t cap = c->cap ? c->cap : 1024;
		char *b;

		while (c->len + n + 1 > cap)
			cap *= 2;
		b = realloc(c->buf, cap);
		if (!b) {
			c->oom = 1;
			return;
		}
		c->buf = b;
		c->cap = cap;
	}
	memcpy(c->buf + c->len, s, n);
	c->len += n;
	c->buf[c->len] = '\0';
}

void web_csv_init(struct web_csv *c, char sep)
{
	memset(c, 0, sizeof(*c));
	c->sep = sep;
	put(c, "\xEF\xBB\xBF", 3);
}

static void field(struct web_csv *c, const char *s, int guard)
{
	const char *p;
	int quote;

	if (!s)
		s = "";
	if (c->fields++)
		put(c, &c->sep, 1);
	/* ' ' is a field of its own to a spreadsheet: only a formula is guarded */
	guard = guard && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' ||
			  s[0] == '\t' || s[0] == '\r');
	quote = strchr(s, c->sep) || strpbrk(s, "\"\r\n");
	if (quote)
		put(c, "\"", 1);
	if (guard)
		put(c, "'", 1);
	for (p = s; *p; p++) {
		if (*p == '"')
			put(c, "\"\"", 2);
		else
			put(c, p, 1);
	}
	if (quote)
		put(c, "\"", 1);
}

void web_csv_field(struct web_csv *c, const char *s)
{
	field(c, s, 1);
}

void web_csv_int(struct web_csv *c, long long n)
{
	char b[32];

	snprintf(b, sizeof(b), "%lld", n);
	field(c, b, 0);
}

void web_csv_row_end(struct web_csv *c)
{
	put(c, "\r\n", 2);
	c->fields = 0;
}

char *web_csv_take(struct web_csv *c, size_t *len)
{
	char *b = c->oom ? NULL : c->buf;

	if (!b)
		free(c->buf);
	else if (len)
		*len = c->len;
	memset(c, 0, sizeof(*c));
	return b;
}

void web_csv_free(struct web_csv *c)
{
	free(c->buf);
	memset(c, 0, sizeof(*c));
}
