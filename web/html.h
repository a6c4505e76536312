/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The portal's HTML page builder. A page is template markup interleaved
 * with dynamic values, and the two go through different doors: markup only
 * as a string literal (web_html_markup pastes "" around its argument, so
 * passing a variable does not compile), every value through a function that
 * escapes it for where it lands (text, attribute value, URL attribute).
 * Forgetting to escape therefore takes a deliberate call to
 * web_html_raw_, which nothing outside html.c should make.
 *
 * Errors are sticky: the first failure (out of memory, a refused attribute
 * name) is remembered, later calls do nothing, and web_html_take returns
 * NULL, so a page is either whole and safe or not sent at all.
 */
#ifndef WEB_HTML_H
#define WEB_HTML_H

#include <stddef.h>

#include "byod_buf.h"

struct web_html {
	struct byod_buf b; /* the page so far */
	int oom; /* 0, or the first error as a positive errno (ENOMEM, EINVAL) */
};

/* An empty page; no allocation until something is written. */
void web_html_init(struct web_html *h);

/* Frees what the builder holds and leaves it empty (re-usable). */
void web_html_free(struct web_html *h);

/* Template markup: only a string LITERAL can be passed. */
#define web_html_markup(h, lit) web_html_raw_((h), "" lit "")

/* Appends literal as it is. Do not call directly: use web_html_markup. */
void web_html_raw_(struct web_html *h, const char *literal);

/*
 * Appends s as text content: & < > " ' become entities, and every byte that
 * is not part of a well-formed UTF-8 sequence (RFC 3629: no overlong forms,
 * no surrogates, nothing above U+10FFFF) becomes U+FFFD. NULL writes nothing.
 */
void web_html_text(struct web_html *h, const char *s);

/* Formats like printf, then appends the whole result as web_html_text. */
void web_html_textf(struct web_html *h, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Appends ` name="value"` with value escaped as text. name must match
 * [a-z-]+ and must not be an event handler (on...), "style", "srcdoc" or an
 * attribute that holds a URL (href, src, action, formaction, ...: use
 * web_html_url for those); otherwise nothing is written and the builder
 * is marked failed (EINVAL). A NULL value is written as "".
 */
void web_html_attr(struct web_html *h, const char *name, const char *value);

/*
 * Appends ` name="url"` (escaped) when url is relative to the site root
 * ("/..." but not "//..." or "/\...") or starts with http:// or https://
 * (any case), and contains no space or control character; any other URL
 * (javascript:, data:, protocol-relative, NULL...) is written as "#". name
 * must match [a-z-]+, else the builder is marked failed (EINVAL).
 */
void web_html_url(struct web_html *h, const char *name, const char *url);

/*
 * Appends an HTML fragment that web_charter_check accepts (checked here
 * again, every time); one that does not pass marks the builder failed
 * (EINVAL) and writes nothing. Besides markup literals, the only way to put
 * markup into a page.
 */
void web_html_fragment(struct web_html *h, const char *html, size_t len);

/*
 * Returns the page, NUL-terminated, and its length in *len (len may be
 * NULL); the caller frees it with free(). Returns NULL (and *len = 0) when
 * memory ran out or an error was flagged. Either way the builder is left
 * empty, as after web_html_init.
 */
char *web_html_take(struct web_html *h, size_t *len);

/*
 * Length of the well-formed UTF-8 sequence at s (1 to 4), or 0 when the
 * byte at s does not start one (RFC 3629: no overlong form, no surrogate,
 * nothing above U+10FFFF). s must be NUL-terminated; a NUL byte counts as
 * a sequence of 1.
 */
size_t web_utf8_seq(const unsigned char *s);

#endif /* WEB_HTML_H */
