// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the account import (byodctl user import): the input
 * is a CSV file as a school's IT contact sends it, checked by
 * byod_users_csv_check, the part of the import that reads the file before
 * the registry is asked anything. It gives a number of accounts or an
 * error that names a line of the file (and a column not before the first),
 * never a crash or a leak; an accepted file is UTF-8 text without NUL.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "byod.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct byod_err err;
	size_t i, lines = 1;
	int rc, rows = -1;

	for (i = 0; i < size; i++) /* LF, CRLF or a lone CR */
		lines += data[i] == '\n' ||
			 (data[i] == '\r' && (i + 1 == size || data[i + 1] != '\n'));
	memset(&err, 0, sizeof(err));
	rc = byod_users_csv_check("import.csv", data, size, &rows, &err);
	if (rc == 0) {
		/* every account is a row after the header: at most one a line */
		if (rows < 0 || (size_t)rows >= lines || memchr(data, '\0', size))
			abort();
		return 0;
	}
	if (rc > 0 || rows != 0 || !err.msg[0])
		abort();
	if (rc != -ENOMEM && (strcmp(err.file, "import.csv") || err.line < 1 ||
			      (size_t)err.line > lines || err.col < 0))
		abort();
	return 0;
}
