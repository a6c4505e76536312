/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The error a person reads. Libraries return 0 or a negative errno and, when
 * the caller passed one, fill this struct with a sentence and, where the
 * error is in a file, the file, line and column (1-based; 0 when unknown).
 */
#ifndef BYOD_ERR_H
#define BYOD_ERR_H

#include <stddef.h>

struct byod_err {
	char file[256];
	int line;
	int col;
	char msg[768];
};

/* Sets err->msg (err may be NULL); clears the position. Returns -code, so
 * that "return byod_err_set(err, EINVAL, ...)" reads as one line. */
int byod_err_set(struct byod_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Same, with a position in a file. */
int byod_err_set_at(struct byod_err *err, int code, const char *file, int line, int col,
		    const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Prefixes the message already in err with more context ("importing x: ..."). */
void byod_err_prefix(struct byod_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Formats "file:line:col: msg" (or just msg) into buf; returns buf. */
const char *byod_err_str(const struct byod_err *err, char *buf, size_t len);

#endif /* BYOD_ERR_H */
