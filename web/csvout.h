/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A CSV file written in memory for a spreadsheet: RFC 4180 quoting (a
 * field with the separator, a quote, CR or LF is quoted, its quotes
 * doubled; rows end with CRLF), UTF-8 with a byte-order mark so that
 * Excel reads the accents, and cells that a spreadsheet would take for a
 * formula (starting with = + - @, a tab or CR) prefixed with ' so that they
 * stay text (CSV injection).
 */
#ifndef WEB_CSVOUT_H
#define WEB_CSVOUT_H

#include <stddef.h>

struct web_csv {
	char *buf;
	size_t len, cap;
	char sep;   /* ',' (RFC 4180) or ';' (a French Excel's list separator) */
	int fields; /* fields written in the current row */
	int oom;    /* an allocation failed: web_csv_take gives NULL */
};

/* Starts a file (the BOM) with sep between fields. */
void web_csv_init(struct web_csv *c, char sep);
/* One field of the current row (NULL: empty). */
void web_csv_field(struct web_csv *c, const char *s);
/* A number as a field (never guarded: digits and a leading minus). */
void web_csv_int(struct web_csv *c, long long n);
/* Ends the current row (CRLF). */
void web_csv_row_end(struct web_csv *c);
/* The file (malloc'd, NUL-terminated) and its length; NULL when out of
 * memory. The writer is empty afterwards. */
char *web_csv_take(struct web_csv *c, size_t *len);
void web_csv_free(struct web_csv *c);

#endif /* WEB_CSVOUT_H */
