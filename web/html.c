// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The HTML page builder: a growing buffer with one door per kind of content.
 * Template markup comes in only as string literals; text, attribute values
 * and URLs are escaped here, and text is cleaned to well-formed UTF-8 so a
 * stray byte from a configuration file or a header cannot confuse a
 * browser's charset guess. The first error sticks and voids the page.
 */
#include "html.h"

#include "charter.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */

void web_html_init(struct web_html *h)
{
	byod_buf_init(&h->b, 0);
	h->oom = 0;
}

void web_html_free(struct web_html *h)
{
	byod_buf_free(&h->b);
	web_html_init(h);
}

static void fail(struct web_html *h, int code)
{
	if (!h->oom)
		h->oom = code;
}

static void put(struct web_html *h, const char *s, size_t n)
{
	if (h->oom)
		return;
	if (byod_buf_append(&h->b, s, n))
		fail(h, ENOMEM);
}

void web_html_raw_(struct web_html *h, const char *literal)
{
	if (literal)
		put(h, literal, strlen(literal));
}

static int cont(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

/* Table 3-7 of Unicode; NUL is not a continuation byte, so this never
 * reads past the end of a NUL-terminated string. */
size_t web_utf8_seq(const unsigned char *s)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return cont(s[1]) ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if (c == 0xe0)
			lo = 0xa0; /* overlong */
		else if (c == 0xed)
			hi = 0x9f; /* surrogates */
		return s[1] >= lo && s[1] <= hi && cont(s[2]) ? 3 : 0;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (c == 0xf0)
			lo = 0x90; /* overlong */
		else if (c == 0xf4)
			hi = 0x8f; /* above U+10FFFF */
		return s[1] >= lo && s[1] <= hi && cont(s[2]) && cont(s[3]) ? 4 : 0;
	}
	return 0;
}

static const char *entity(unsigned char c)
{
	switch (c) {
	case '&':
		return "&amp;";
	case '<':
		return "&lt;";
	case '>':
		return "&gt;";
	case '"':
		return "&quot;";
	case '\'':
		return "&#39;";
	default:
		return NULL;
	}
}

/* Escapes s into the page; shared by text, attribute values and URLs. */
static void escape(struct web_html *h, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	const unsigned char *run = s; /* start of bytes copied as they are */
	const char *e;
	size_t n;

	while (*s && !h->oom) {
		e = entity(*s);
		n = e ? 0 : web_utf8_seq(s);
		if (n) {
			s += n;
			continue;
		}
		put(h, (const char *)run, (size_t)(s - run));
		if (e)
			put(h, e, strlen(e));
		else
			put(h, replacement, sizeof(replacement) - 1);
		s++; /* one U+FFFD per byte that starts no valid sequence */
		run = s;
	}
	put(h, (const char *)run, (size_t)(s - run));
}

void web_html_text(struct web_html *h, const char *s)
{
	if (s)
		escape(h, s);
}

void web_html_textf(struct web_html *h, const char *fmt, ...)
{
	struct byod_buf text = BYOD_BUF_INIT;
	va_list ap;
	int rc;

	if (h->oom)
		return;
	va_start(ap, fmt);
	rc = byod_buf_vprintf(&text, fmt, ap);
	va_end(ap);
	if (rc)
		fail(h, -rc);
	else if (text.p)
		escape(h, text.p);
	byod_buf_free(&text);
}

static int name_ok(const char *name)
{
	const char *p;

	if (!name || !*name)
		return 0;
	for (p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || *p == '-'))
			return 0;
	return 1;
}

/*
 * Attributes whose value is code or a URL: an escaped value is still
 * dangerous there ("javascript:..." needs no quote to break out), so they
 * are refused in web_html_attr; URLs go through web_html_url.
 */
static int name_dangerous(const char *name)
{
	static const char *const refused[] = {
		"style",    "srcdoc",	"href",	    "src",	  "action",	 "formaction",
		"srcset",   "poster",	"cite",	    "background", "data",	 "ping",
		"manifest", "codebase", "longdesc", "lowsrc",	  "dynsrc",	 "archive",
		"classid",  "usemap",	"itemtype", "profile",	  "imagesrcset",
	};
	size_t i;

	if (!strncmp(name, "on", 2))
		return 1;
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if (!strcmp(name, refused[i]))
			return 1;
	return 0;
}

static void attribute(struct web_html *h, const char *name, const char *value)
{
	put(h, " ", 1);
	put(h, name, strlen(name));
	put(h, "=\"", 2);
	escape(h, value);
	put(h, "\"", 1);
}

void web_html_attr(struct web_html *h, const char *name, const char *value)
{
	if (!name_ok(name) || name_dangerous(name)) {
		fail(h, EINVAL);
		return;
	}
	attribute(h, name, value ? value : "");
}

/* Relative to the site root or http(s), with nothing a browser would strip. */
static int url_ok(const char *url)
{
	const unsigned char *p;

	if (!url || !*url)
		return 0;
	for (p = (const unsigned char *)url; *p; p++)
		if (*p <= 0x20 || *p == 0x7f)
			return 0; /* "/\t/evil" is "//evil" to a browser */
	if (url[0] == '/')
		return url[1] != '/' && url[1] != '\\'; /* "/\evil" is "//evil" too */
	return !strncasecmp(url, "http://", 7) || !strncasecmp(url, "https://", 8);
}

void web_html_url(struct web_html *h, const char *name, const char *url)
{
	if (!name_ok(name)) {
		fail(h, EINVAL);
		return;
	}
	attribute(h, name, url_ok(url) ? url : "#");
}

void web_html_fragment(struct web_html *h, const char *html, size_t len)
{
	if (h->oom)
		return;
	if (!html || web_charter_check(html, len, NULL)) {
		fail(h, EINVAL);
		return;
	}
	put(h, html, len);
}

char *web_html_take(struct web_html *h, size_t *len)
{
	char *page = NULL;

	if (len)
		*len = 0;
	if (!h->oom) {
		page = byod_buf_take(&h->b, len); /* an empty page is still a string */
		if (!page)
			fail(h, ENOMEM);
	}
	web_html_free(h);
	return page;
}
