// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for what the portal decodes from a request: the input
 * goes through portal_form_parse as a form body, then (as text) through
 * portal_cookie_get, portal_path_check and portal_charter_check. Whatever
 * a parser accepts must hold its promises, or the target aborts: every
 * field name matches [a-z0-9_-]{1,32} and is unique, every value is valid
 * UTF-8 without control characters but TAB and LF, an accepted path has
 * no "." or ".." segment, a cookie value fits and has no quote, and an
 * accepted charter goes into a page unchanged.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "charter.h"
#include "form.h"
#include "html.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_value(const char *v)
{
	const unsigned char *s = (const unsigned char *)v;
	size_t n;

	if (strlen(v) > PORTAL_FORM_VALUE_MAX)
		abort();
	while (*s) {
		if ((*s < 0x20 && *s != '\t' && *s != '\n') || *s == 0x7f)
			abort();
		n = portal_utf8_seq(s);
		if (!n)
			abort();
		s += n;
	}
}

static void check_form(const struct portal_form *f)
{
	size_t i, j, k;

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
		if (portal_form_get(f, f->f[i].name) != f->f[i].value)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct portal_form form;
	struct portal_html h;
	struct byod_err err;
	char *text, out[64], *page;
	size_t len;

	if (portal_form_parse((const char *)data, size, 32, &form, &err) == 0) {
		check_form(&form);
		portal_form_free(&form);
	} else if (form.n || form.f) {
		abort(); /* a refused form leaves nothing behind */
	}

	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (portal_cookie_get(text, "byod_session", out, sizeof(out)) == 0 &&
	    (strlen(out) >= sizeof(out) || strchr(out, '"')))
		abort();
	if (portal_path_check(text) == 0 &&
	    (text[0] != '/' || strstr(text, "/../") || strstr(text, "/./") || strstr(text, "//")))
		abort();
	if (portal_charter_check((const char *)data, size, &err) == 0) {
		portal_html_init(&h);
		portal_html_fragment(&h, (const char *)data, size);
		page = portal_html_take(&h, &len);
		if (!page || len != size || memcmp(page, data, size))
			abort();
		free(page);
	}
	free(text);
	return 0;
}
