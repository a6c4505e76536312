// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the form bodies the portal decodes
 * (web_form_parse). Whatever it accepts must hold its promises, checked
 * here independently of the parser's own code, or the target aborts: every
 * field name matches [a-z0-9_-]{1,32} and is unique, every value is valid
 * UTF-8 without control characters but TAB and LF. The cookie and path
 * readers have fuzz_request, the charter checker fuzz_charter.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "html.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_value(const char *v)
{
	const unsigned char *s = (const unsigned char *)v;
	size_t n;

	if (strlen(v) > WEB_FORM_VALUE_MAX)
		abort();
	while (*s) {
		if ((*s < 0x20 && *s != '\t' && *s != '\n') || *s == 0x7f)
			abort();
		if (s[0] == 0xc2 && s[1] < 0xa0)
			abort(); /* C1 */
		n = web_utf8_seq(s);
		if (!n)
			abort();
		s += n;
	}
}

static void check_form(const struct web_form *f)
{
	size_t i, j, k;

	if (f->n > 32)
		abort();
	for (i = 0; i < f->n; i++) {
		size_t len = strlen(f->f[i].name);

		if (len < 1 || len > 32)
			abort();
		for (k = 0; k < len; k++)
			if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789_-", f->f[i].name[k]))
				abort();
		for (j = 0; j < i; j++)
			if (!strcmp(f->f[i].name, f->f[j].name))
				abort();
		check_value(f->f[i].value);
		if (web_form_get(f, f->f[i].name) != f->f[i].value)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct web_form form;
	struct byod_err err;

	if (web_form_parse((const char *)data, size, 32, &form, &err) == 0) {
		check_form(&form);
		web_form_free(&form);
	} else if (form.n || form.f) {
		abort(); /* a refused form leaves nothing behind */
	}
	return 0;
}
