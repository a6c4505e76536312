// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Filling and formatting struct byod_err: the one way every library of the
 * gateway hands a readable failure back to the program that called it.
 */
#include "byod_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void vset(struct byod_err *err, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static void vset(struct byod_err *err, const char *fmt, va_list ap)
{
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

int byod_err_set(struct byod_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		err->file[0] = '\0';
		err->line = 0;
		err->col = 0;
		va_start(ap, fmt);
		vset(err, fmt, ap);
		va_end(ap);
	}
	return code > 0 ? -code : code;
}

int byod_err_set_at(struct byod_err *err, int code, const char *file, int line, int col,
		    const char *fmt, ...)
{
	va_list ap;

	if (err) {
		snprintf(err->file, sizeof(err->file), "%s", file ? file : "");
		err->line = line;
		err->col = col;
		va_start(ap, fmt);
		vset(err, fmt, ap);
		va_end(ap);
	}
	return code > 0 ? -code : code;
}

void byod_err_prefix(struct byod_err *err, const char *fmt, ...)
{
	char old[sizeof(err->msg)];
	size_t n;
	va_list ap;

	if (!err)
		return;
	memcpy(old, err->msg, sizeof(old));
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	/* "prefix: old message", cut at the end of the buffer */
	n = strlen(err->msg);
	if (n + 2 < sizeof(err->msg)) {
		memcpy(err->msg + n, ": ", 3);
		n += 2;
		old[sizeof(old) - 1] = '\0';
		strncat(err->msg + n, old, sizeof(err->msg) - n - 1);
	}
}

const char *byod_err_str(const struct byod_err *err, char *buf, size_t len)
{
	if (!err->file[0])
		snprintf(buf, len, "%s", err->msg);
	else if (err->col > 0)
		snprintf(buf, len, "%s:%d:%d: %s", err->file, err->line, err->col, err->msg);
	else if (err->line > 0)
		snprintf(buf, len, "%s:%d: %s", err->file, err->line, err->msg);
	else
		snprintf(buf, len, "%s: %s", err->file, err->msg);
	return buf;
}
