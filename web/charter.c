// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A small, strict reader of the charter fragment: elements from a fixed
 * list, one attribute (href on a) with an http(s) URL, known entities, well
 * nested, valid UTF-8. It refuses at the first problem with its line and
 * column, so the administrator can fix the file.
 *
 * Proper nesting is not quite enough for a browser to build the tree the
 * checker saw: the HTML parser closes a <p> when a block starts inside it,
 * closes an <li> when another starts, and splits an <a> nested in an <a>.
 * Those nestings are refused too (content model below), so what was checked
 * is what the page gets.
 */
#include "charter.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"

#define DEPTH_MAX 32

#define E_VOID	    1u	/* br: no content, no closing tag */
#define E_PHRASING  2u	/* may stand inside a paragraph */
#define E_TEXT_ONLY 4u	/* holds only text and phrasing elements */
#define E_LIST	    8u	/* ul, ol: where li goes */
#define E_ITEM	    16u /* li: only directly in a list */

struct elem {
	const char *name;
	unsigned flags;
};

static const struct elem elems[] = {
	{"p", E_TEXT_ONLY},
	{"br", E_VOID | E_PHRASING},
	{"ul", E_LIST},
	{"ol", E_LIST},
	{"li", E_ITEM},
	{"strong", E_PHRASING | E_TEXT_ONLY},
	{"em", E_PHRASING | E_TEXT_ONLY},
	{"b", E_PHRASING | E_TEXT_ONLY},
	{"i", E_PHRASING | E_TEXT_ONLY},
	{"h2", E_TEXT_ONLY},
	{"h3", E_TEXT_ONLY},
	{"h4", E_TEXT_ONLY},
	{"blockquote", 0},
	{"a", E_PHRASING | E_TEXT_ONLY},
};

#define ALLOWED	 "p, br, ul, ol, li, strong, em, b, i, h2, h3, h4, blockquote, a"
#define PHRASING "text, br, strong, em, b, i and a"

struct open_elem {
	const struct elem *e;
	int line, col; /* of its '<', for "never closed" */
};

struct rd {
	const unsigned char *s; /* NUL-terminated copy */
	size_t pos, len;
	int line, col;
	struct open_elem stack[DEPTH_MAX];
	int depth;
	struct byod_err *err;
};

static int bad_at(struct rd *r, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int bad_at(struct rd *r, int line, int col, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return byod_err_set_at(r->err, EINVAL, "", line, col, "%s", msg);
}

#define bad(r, ...) bad_at((r), (r)->line, (r)->col, __VA_ARGS__)

static unsigned char cur(const struct rd *r, size_t ahead)
{
	return r->pos + ahead < r->len ? r->s[r->pos + ahead] : '\0';
}

/* Moves n bytes on, keeping line and column (columns count bytes; CR LF,
 * LF and a lone CR each end a line, as they do for a browser). */
static void adv(struct rd *r, size_t n)
{
	while (n-- && r->pos < r->len) {
		unsigned char c = r->s[r->pos++];

		if (c == '\n' || (c == '\r' && cur(r, 0) != '\n')) {
			r->line++;
			r->col = 1;
		} else {
			r->col++;
		}
	}
}

static const struct elem *find_elem(const unsigned char *name, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(elems) / sizeof(elems[0]); i++)
		if (strlen(elems[i].name) == n && !memcmp(elems[i].name, name, n))
			return &elems[i];
	return NULL;
}

static int is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
}

static size_t name_len(const struct rd *r)
{
	size_t n = 0;

	while (is_alnum(cur(r, n)))
		n++;
	return n;
}

/* An attribute name as a browser reads one, for the message. */
static size_t attr_len(const struct rd *r)
{
	size_t n = 0;
	unsigned char c;

	while ((c = cur(r, n)) && (is_alnum(c) || c == '-' || c == '_' || c == ':' || c == '.'))
		n++;
	return n;
}

static int space(unsigned char c)
{
	return c == ' ' || c == '\n' || c == '\t' || c == '\r';
}

/* 0 for a C0 or C1 control character or DEL at s (TAB, LF, CR excepted
 * when text is set), else 1. */
static int printable(const unsigned char *s, int text)
{
	if (s[0] < 0x20)
		return text && (s[0] == '\t' || s[0] == '\n' || s[0] == '\r');
	if (s[0] == 0x7f)
		return 0;
	return !(s[0] == 0xc2 && s[1] < 0xa0); /* U+0080..U+009F */
}

/* An entity at r->pos ('&'); moves past it. */
static int entity(struct rd *r)
{
	static const char *const named[] = {"amp;", "lt;", "gt;", "quot;", "#39;", "nbsp;", NULL};
	const char *p = (const char *)r->s + r->pos + 1;
	const char *const *e;
	unsigned long v = 0;
	size_t n = 0;

	for (e = named; *e; e++) {
		if (!strncmp(p, *e, strlen(*e))) {
			adv(r, 1 + strlen(*e));
			return 0;
		}
	}
	if (p[0] == '#') {
		int hex = p[1] == 'x' || p[1] == 'X';
		const char *d = p + 1 + hex;

		while (n < 8 &&
		       ((d[n] >= '0' && d[n] <= '9') ||
			(hex && ((d[n] >= 'a' && d[n] <= 'f') || (d[n] >= 'A' && d[n] <= 'F'))))) {
			v = v * (hex ? 16 : 10) +
			    (unsigned long)(d[n] <= '9' ? d[n] - '0' : (d[n] | 0x20) - 'a' + 10);
			n++;
		}
		if (n && d[n] == ';') {
			if (v < 0x20 || (v >= 0x7f && v < 0xa0) || (v >= 0xd800 && v <= 0xdfff) ||
			    v > 0x10ffff)
				return bad(r,
					   "the character reference &%.*s is not a printable "
					   "character",
					   (int)(d - p + n + 1), p);
			adv(r, (size_t)(d - p) + n + 2);
			return 0;
		}
	}
	return bad(r, "'&' must start an entity (&amp; &lt; &gt; &quot; &#39; &nbsp; or &#N;)");
}

/* The value of href, r->pos just after its opening '"'; moves past the
 * closing '"'. Each refusal points at the byte at fault. */
static int href(struct rd *r)
{
	const char *v = (const char *)r->s + r->pos;
	size_t n;

	if (strncmp(v, "https://", 8) && strncmp(v, "http://", 7))
		return bad(r, "a link must start with https:// or http://");
	while (cur(r, 0) != '"') {
		const unsigned char *c = r->s + r->pos;

		if (r->pos >= r->len)
			return bad(r, "the link's closing '\"' is missing");
		if (!*c)
			return bad(r, "a NUL byte");
		if (*c == ' ' || !printable(c, 0))
			return bad(r, "a link may not contain spaces or control characters");
		if (*c == '<' || *c == '>' || *c == '\'' || *c == '`')
			return bad(r, "a link may not contain quotes, '<' or '>'");
		if (*c == '&' && strncmp((const char *)c, "&amp;", 5))
			return bad(r, "'&' in a link must be written &amp;");
		n = web_utf8_seq(c);
		if (!n)
			return bad(r, "not valid UTF-8 (byte 0x%02x)", *c);
		adv(r, n);
	}
	adv(r, 1);
	return 0;
}

/* Where the element may go: the rules by which a browser would otherwise
 * rebuild the tree differently from the way it is written. */
static int placement(struct rd *r, const struct elem *e, int line, int col)
{
	const struct elem *parent = r->depth ? r->stack[r->depth - 1].e : NULL;
	int i;

	if (parent && (parent->flags & E_TEXT_ONLY) && !(e->flags & E_PHRASING))
		return bad_at(r, line, col,
			      "<%s> cannot go inside <%s> (p, h2, h3, h4, strong, em, b, i and a "
			      "hold only " PHRASING ")",
			      e->name, parent->name);
	if ((e->flags & E_ITEM) && !(parent && (parent->flags & E_LIST)))
		return bad_at(r, line, col, "<li> must be directly inside <ul> or <ol>");
	if (!strcmp(e->name, "a"))
		for (i = 0; i < r->depth; i++)
			if (!strcmp(r->stack[i].e->name, "a"))
				return bad_at(r, line, col, "<a> cannot go inside another <a>");
	if (!(e->flags & E_VOID) && r->depth == DEPTH_MAX)
		return bad_at(r, line, col, "elements nested more than %d deep", DEPTH_MAX);
	return 0;
}

static int open_tag(struct rd *r)
{
	const struct elem *e;
	int line = r->line, col = r->col, has_href = 0, sep;
	size_t n;

	adv(r, 1);
	n = name_len(r);
	if (!n)
		return bad_at(r, line, col,
			      "'<' must start an element (write &lt; for the character)");
	e = find_elem(r->s + r->pos, n);
	if (!e)
		return bad_at(r, line, col,
			      "element <%.*s> is not allowed in the charter (allowed: " ALLOWED ")",
			      (int)(n > 32 ? 32 : n), r->s + r->pos);
	if (placement(r, e, line, col))
		return -EINVAL;
	adv(r, n);
	for (;;) {
		sep = 0;
		while (space(cur(r, 0))) {
			adv(r, 1);
			sep = 1;
		}
		if (cur(r, 0) == '>') {
			adv(r, 1);
			break;
		}
		if (cur(r, 0) == '/' && cur(r, 1) == '>') {
			if (!(e->flags & E_VOID))
				return bad(r, "only <br> may be written self-closing");
			adv(r, 2);
			return 0;
		}
		if (r->pos >= r->len)
			return bad(r, "the tag <%s> is not finished", e->name);
		if (!cur(r, 0))
			return bad(r, "a NUL byte");
		n = attr_len(r);
		if (!n)
			return bad(r, "unexpected character in the tag <%s>", e->name);
		if (!sep)
			return bad(r, "a space is needed before an attribute");
		if (!(n == 4 && !memcmp(r->s + r->pos, "href", 4) && !strcmp(e->name, "a")))
			return bad(r, "attribute '%.*s' is not allowed (only href on a)",
				   (int)(n > 32 ? 32 : n), r->s + r->pos);
		if (has_href++)
			return bad(r, "href given twice");
		adv(r, 4);
		if (cur(r, 0) != '=' || cur(r, 1) != '"')
			return bad(r, "write href=\"https://...\" with double quotes");
		adv(r, 2);
		if (href(r))
			return -EINVAL;
	}
	if (!(e->flags & E_VOID)) {
		r->stack[r->depth].e = e;
		r->stack[r->depth].line = line;
		r->stack[r->depth].col = col;
		r->depth++;
	}
	return 0;
}

static int close_tag(struct rd *r)
{
	const struct open_elem *top = r->depth ? &r->stack[r->depth - 1] : NULL;
	int line = r->line, col = r->col;
	const struct elem *e;
	size_t n;

	adv(r, 2);
	n = name_len(r);
	if (!n)
		return bad_at(r, line, col, "'</' must close an element");
	e = find_elem(r->s + r->pos, n);
	/* a wrong closing tag is reported where it starts */
	if (e && (e->flags & E_VOID))
		return bad_at(r, line, col, "<%s> has no closing tag", e->name);
	if (!top)
		return bad_at(r, line, col, "</%.*s> closes nothing", (int)(n > 32 ? 32 : n),
			      r->s + r->pos);
	if (e != top->e)
		return bad_at(
			r, line, col,
			"</%.*s> where </%s> was expected (<%s> opened at line %d, column %d)",
			(int)(n > 32 ? 32 : n), r->s + r->pos, top->e->name, top->e->name,
			top->line, top->col);
	adv(r, n);
	if (cur(r, 0) != '>')
		return bad(r, "'>' expected after </%s", e->name);
	adv(r, 1);
	r->depth--;
	return 0;
}

int web_charter_check(const char *html, size_t len, struct byod_err *err)
{
	struct rd r = {.line = 1, .col = 1, .len = len, .err = err};
	unsigned char *copy;
	int rc = 0;

	if (len > WEB_CHARTER_MAX)
		return byod_err_set(err, EINVAL, "the charter is larger than %d bytes",
				    WEB_CHARTER_MAX);
	if (len && !html)
		return byod_err_set(err, EINVAL, "no charter");
	copy = malloc(len + 1);
	if (!copy)
		return byod_err_set(err, ENOMEM, "out of memory");
	if (len)
		memcpy(copy, html, len);
	copy[len] = '\0';
	r.s = copy;
	while (!rc && r.pos < len) {
		const unsigned char *s = r.s + r.pos;
		size_t n;

		if (s[0] == '<' && s[1] == '!')
			rc = bad(&r, "comments, doctypes and CDATA are not allowed in the charter");
		else if (s[0] == '<' && s[1] == '/')
			rc = close_tag(&r);
		else if (s[0] == '<')
			rc = open_tag(&r);
		else if (s[0] == '&')
			rc = entity(&r);
		else if (s[0] == '\0')
			rc = bad(&r, "a NUL byte");
		else if (!(n = web_utf8_seq(s)))
			rc = bad(&r, "not valid UTF-8 (byte 0x%02x)", s[0]);
		else if (!printable(s, 1))
			rc = bad(&r, "a control character (U+%04X)", n == 1 ? s[0] : s[1]);
		else
			adv(&r, n);
	}
	if (!rc && r.depth)
		rc = bad_at(&r, r.stack[r.depth - 1].line, r.stack[r.depth - 1].col,
			    "<%s> is never closed", r.stack[r.depth - 1].e->name);
	free(copy);
	return rc;
}
