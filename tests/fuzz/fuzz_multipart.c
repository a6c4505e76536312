// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the multipart/form-data bodies byod-admin decodes
 * (web_multipart_parse: the CSV import's upload). Whatever it accepts must
 * hold its promises, checked here apart from the parser's code, or the
 * target aborts: at most max_fields fields, each name [a-z0-9_-]{1,32} and
 * unique, each value at most max_value bytes and free of NUL bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "multipart.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_FIELDS 8
#define MAX_VALUE  512

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct web_form f;
	struct byod_err err;
	size_t i, j, k;

	if (web_multipart_parse("multipart/form-data; boundary=b0und", (const char *)data, size,
				MAX_FIELDS, MAX_VALUE, &f, &err)) {
		if (f.f || f.n)
			abort();
		return 0;
	}
	if (f.n > MAX_FIELDS)
		abort();
	for (i = 0; i < f.n; i++) {
		size_t len = strlen(f.f[i].name);

		if (len < 1 || len > 32)
			abort();
		for (k = 0; k < len; k++) {
			char c = f.f[i].name[k];

			if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
			      c == '-'))
				abort();
		}
		for (j = 0; j < i; j++)
			if (!strcmp(f.f[i].name, f.f[j].name))
				abort();
		if (strlen(f.f[i].value) > MAX_VALUE)
			abort();
	}
	web_form_free(&f);
	return 0;
}
