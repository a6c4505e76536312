/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The school's charter is an HTML fragment an administrator writes; it is
 * the one piece of outside markup the portal puts in a page, so it is
 * checked against a short list of harmless elements rather than trusted.
 */
#ifndef WEB_CHARTER_H
#define WEB_CHARTER_H

#include <stddef.h>

#include "byod_err.h"

#define WEB_CHARTER_MAX (64 * 1024)

/*
 * Checks html[0..len): well-formed UTF-8 without NUL or control characters
 * (TAB, CR, LF allowed); only the elements p, br, ul, ol, li, strong, em,
 * b, i, h2, h3, h4, blockquote and a, in lowercase; no attribute but one
 * href on a, double-quoted, starting with https:// or http://, without
 * space, quote, '<', '>' or control character ('&' only as &amp;); br is
 * void (<br> or <br/>), every other element is closed, properly nested, no
 * more than 32 deep, and placed where a browser keeps it as written: p,
 * h2-h4, strong, em, b, i and a hold only text, br, strong, em, b, i and
 * a; li is directly inside ul or ol; no a inside an a. Text may hold the
 * entities &amp; &lt; &gt; &quot; &#39; &nbsp; and &#N; / &#xH; of a
 * printable Unicode scalar value, and no other '&' or '<'; no comment,
 * doctype or CDATA; at most WEB_CHARTER_MAX bytes. Returns 0, or
 * -EINVAL (-ENOMEM) with err->line and err->col (1-based; columns count
 * bytes) at the problem, err->file left empty for the caller, and a
 * sentence in err->msg saying what is wrong. err may be NULL.
 */
int web_charter_check(const char *html, size_t len, struct byod_err *err);

#endif /* WEB_CHARTER_H */
