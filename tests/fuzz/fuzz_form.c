// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for what the portal decodes from a request: the input
 * goes through web_form_parse as a form body, then (as text) through
 * web_cookie_get, web_path_check and web_charter_check. Whatever
 * a parser accepts must hold its promises, checked here independently of
 * the parser's own code, or the target aborts: every field name matches
 * [a-z0-9_-]{1,32} and is unique, every value is valid UTF-8 without
 * control characters but TAB and LF; an accepted path has no empty, "."
 * or ".." segment and only safe bytes; a cookie value fits and holds only
 * cookie-octets; an accepted charter has only allowed tags, only href
 * attributes starting with http(s), and goes into a page unchanged.
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

static void check_path(const char *p)
{
	size_t n = strlen(p), i, seg = 1;

	if (p[0] != '/' || n > 512)
		abort();
	if (strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._~/-") != n)
		abort();
	for (i = 1; i <= n; i++) {
		if (i < n && p[i] != '/')
			continue;
		if (i == seg && n != 1)
			abort(); /* empty segment */
		if ((i - seg == 1 && p[seg] == '.') ||
		    (i - seg == 2 && p[seg] == '.' && p[seg + 1] == '.'))
			abort();
		seg = i + 1;
	}
}

static void check_cookie(const char *v, size_t len)
{
	const unsigned char *s;

	if (strlen(v) >= len)
		abort();
	for (s = (const unsigned char *)v; *s; s++)
		if (*s <= 0x20 || *s >= 0x7f || *s == '"' || *s == ',' || *s == ';' || *s == '\\')
			abort();
}

/* Every '<' in an accepted charter opens or closes an allowed element, and
 * the only attribute is href="http(s)://..." on a. */
static void check_charter(const char *h, size_t len)
{
	static const char *const ok[] = {"p", "br", "ul", "ol", "li",	      "strong", "em", "b",
					 "i", "h2", "h3", "h4", "blockquote", "a",	NULL};
	const char *const *e;
	size_t i = 0, n;

	while (i < len) {
		if (h[i] == '\0')
			abort();
		if (h[i++] != '<')
			continue;
		if (i < len && h[i] == '/')
			i++;
		for (n = 0; i + n < len && h[i + n] >= 'a' && h[i + n] <= 'z'; n++)
			;
		for (n += (i + n < len && h[i + n] >= '2' && h[i + n] <= '4'), e = ok; *e; e++)
			if (strlen(*e) == n && !memcmp(*e, h + i, n))
				break;
		if (!*e)
			abort();
		i += n;
		while (i < len && h[i] != '>') {
			if (h[i] == '<')
				abort();
			if (h[i] == '"') { /* a value: up to its closing quote */
				while (++i < len && h[i] != '"')
					if (h[i] == '<' || h[i] == '>' ||
					    (unsigned char)h[i] <= ' ')
						abort();
				i++;
				continue;
			}
			if (h[i] == '=' && (i < 4 || strncmp(h + i - 4, "href", 4) ||
					    (strncmp(h + i, "=\"https://", 10) &&
					     strncmp(h + i, "=\"http://", 9))))
				abort();
			i++;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct web_form form;
	struct web_html h;
	struct byod_err err;
	char *text, out[64], *page;
	size_t len;

	if (web_form_parse((const char *)data, size, 32, &form, &err) == 0) {
		check_form(&form);
		web_form_free(&form);
	} else if (form.n || form.f) {
		abort(); /* a refused form leaves nothing behind */
	}

	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (web_cookie_get(text, "byod_session", out, sizeof(out)) == 0)
		check_cookie(out, sizeof(out));
	else if (out[0])
		abort(); /* a refused cookie hands nothing out */
	if (web_cookie_get(text, "s", out, 8) == 0)
		check_cookie(out, 8);
	if (web_path_check(text) == 0)
		check_path(text);
	if (web_charter_check((const char *)data, size, &err) == 0) {
		check_charter((const char *)data, size);
		web_html_init(&h);
		web_html_fragment(&h, (const char *)data, size);
		page = web_html_take(&h, &len);
		if (!page || len != size || memcmp(page, data, size))
			abort();
		free(page);
	}
	free(text);
	return 0;
}
