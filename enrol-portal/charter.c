// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A small, strict reader of the charter fragment: elements from a fixed
 * list, one attribute (href on a) with an http(s) URL, known entities, well
 * nested, valid UTF-8. It refuses at the first problem with its line and
 * column, so the administrator can fix the file.
 */
#include "charter.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"

#define DEPTH_MAX 32

static const char *const allowed[] = {
	"p", "br", "ul", "ol", "li", "strong", "em", "b", "i", "h2", "h3", "h4", "blockquote", "a",
	NULL,
};

struct rd {
	const unsigned char *s; /* NUL-terminated copy */
	size_t pos;
	int line, col;
	struct byod_err *err;
};

static int bad(struct rd *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bad(struct rd *r, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return byod_err_set_at(r->err, EINVAL, "", r->line, r->col, "%s", msg);
}

/* Moves n bytes on, keeping line and column. */
static void adv(struct rd *r, size_t n)
{
	while (n-- && r->s[r->pos]) {
		if (r->s[r->pos] == '\n') {
			r->line++;
			r->col = 1;
		} else if ((r->s[r->pos] & 0xc0) != 0x80) {
			r->col++;
		}
		r->pos++;
	}
}

static int is_allowed(const char *name)
{
	const char *const *a;

	for (a = allowed; *a; a++)
		if (!strcmp(*a, name))
			return 1;
	return 0;
}

static size_t name_len(const unsigned char *s)
{
	size_t n = 0;

	while ((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9') ||
	       (s[n] >= 'A' && s[n] <= 'Z'))
		n++;
	return n;
}

/* An entity at r->pos ('&'); moves past it. */
static int entity(struct rd *r)
{
	static const char *const named[] = { "amp;", "lt;", "gt;", "quot;", "#39;", "nbsp;", NULL };
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

		while (n < 8 && ((d[n] >= '0' && d[n] <= '9') ||
				 (hex && ((d[n] >= 'a' && d[n] <= 'f') || (d[n] >= 'A' && d[n] <= 'F'))))) {
			v = v * (hex ? 16 : 10) +
			    (unsigned long)(d[n] <= '9' ? d[n] - '0' : (d[n] | 0x20) - 'a' + 10);
			n++;
		}
		if (n && d[n] == ';') {
			if (v < 0x20 || (v >= 0x7f && v < 0xa0) || (v >= 0xd800 && v <= 0xdfff) ||
			    v > 0x10ffff)
				return bad(r, "the character reference &%.*s is not a printable character",
					   (int)(d - p + n + 1), p);
			adv(r, (size_t)(d - p) + n + 2);
			return 0;
		}
	}
	return bad(r, "'&' must start an entity (&amp; &lt; &gt; &quot; &#39; &nbsp; or &#N;)");
}

static int href(struct rd *r)
{
	const char *v = (const char *)r->s + r->pos;
	size_t n = 0;

	if (strncmp(v, "https://", 8) && strncmp(v, "http://", 7))
		return bad(r, "a link must start with https:// or http://");
	while (v[n] && v[n] != '"') {
		unsigned char c = (unsigned char)v[n];

		if (c <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == '\'' || c == '`')
			return bad(r, "a link may not contain spaces, quotes, '<' or '>'");
		if (c == '&' && strncmp(v + n, "&amp;", 5))
			return bad(r, "'&' in a link must be written &amp;");
		n++;
	}
	if (!v[n])
		return bad(r, "the link's closing '\"' is missing");
	adv(r, n + 1);
	return 0;
}

static int open_tag(struct rd *r, char stack[][16], int *depth)
{
	char name[16];
	size_t n;
	int line = r->line, col = r->col;

	adv(r, 1);
	n = name_len(r->s + r->pos);
	if (!n)
		return bad(r, "'<' must start an element (write &lt; for the character)");
	if (n >= sizeof(name))
		n = sizeof(name) - 1;
	memcpy(name, r->s + r->pos, n);
	name[n] = '\0';
	if (!is_allowed(name)) {
		r->line = line;
		r->col = col;
		return bad(r,
			   "element <%s> is not allowed in the charter (allowed: p, br, ul, ol, li, "
			   "strong, em, b, i, h2, h3, h4, blockquote, a)",
			   name);
	}
	adv(r, name_len(r->s + r->pos));
	for (;;) {
		const char *at = (const char *)r->s + r->pos;
		size_t an;

		while (*at == ' ' || *at == '\n' || *at == '\t' || *at == '\r') {
			adv(r, 1);
			at = (const char *)r->s + r->pos;
		}
		if (*at == '>') {
			adv(r, 1);
			break;
		}
		if (at[0] == '/' && at[1] == '>') {
			if (strcmp(name, "br"))
				return bad(r, "only <br> may be written self-closing");
			adv(r, 2);
			return 0;
		}
		if (!*at)
			return bad(r, "the element <%s> is not finished", name);
		an = name_len((const unsigned char *)at);
		if (!(an == 4 && !strncmp(at, "href", 4) && !strcmp(name, "a")))
			return bad(r, "attribute '%.*s' is not allowed (only href on a)",
				   (int)(an ? an : 1), at);
		adv(r, 4);
		if (strncmp((const char *)r->s + r->pos, "=\"", 2))
			return bad(r, "write href=\"https://...\" with double quotes");
		adv(r, 2);
		if (href(r))
			return -EINVAL;
	}
	if (!strcmp(name, "br"))
		return 0;
	if (*depth == DEPTH_MAX)
		return bad(r, "elements nested more than %d deep", DEPTH_MAX);
	snprintf(stack[(*depth)++], 16, "%s", name);
	return 0;
}

static int close_tag(struct rd *r, char stack[][16], int *depth)
{
	char name[16];
	size_t n;
	int line = r->line, col = r->col;

	adv(r, 2);
	n = name_len(r->s + r->pos);
	if (!n || n >= sizeof(name))
		return bad(r, "'</' must close an element");
	memcpy(name, r->s + r->pos, n);
	name[n] = '\0';
	/* a wrong closing tag is reported where it starts */
	if (!*depth || strcmp(stack[*depth - 1], name)) {
		r->line = line;
		r->col = col;
		if (!*depth)
			return bad(r, "</%s> closes nothing", name);
		return bad(r, "</%s> where </%s> was expected", name, stack[*depth - 1]);
	}
	adv(r, n);
	if (r->s[r->pos] != '>')
		return bad(r, "'>' expected after </%s", name);
	adv(r, 1);
	(*depth)--;
	return 0;
}

int portal_charter_check(const char *html, size_t len, struct byod_err *err)
{
	char stack[DEPTH_MAX][16];
	struct rd r = { .line = 1, .col = 1, .err = err };
	unsigned char *copy;
	int depth = 0, rc = 0;

	if (len > PORTAL_CHARTER_MAX)
		return byod_err_set(err, EINVAL, "the charter is larger than %d bytes",
				    PORTAL_CHARTER_MAX);
	copy = malloc(len + 1);
	if (!copy)
		return byod_err_set(err, ENOMEM, "out of memory");
	if (len)
		memcpy(copy, html, len);
	copy[len] = '\0';
	r.s = copy;
	while (!rc && r.pos < len) {
		unsigned char c = r.s[r.pos];
		size_t n;

		if (c == '<' && r.s[r.pos + 1] == '!')
			rc = bad(&r, "comments, doctypes and CDATA are not allowed in the charter");
		else if (c == '<' && r.s[r.pos + 1] == '/')
			rc = close_tag(&r, stack, &depth);
		else if (c == '<')
			rc = open_tag(&r, stack, &depth);
		else if (c == '&')
			rc = entity(&r);
		else if (c == '\0')
			rc = bad(&r, "a NUL byte");
		else if ((c < 0x20 && c != '\n' && c != '\r' && c != '\t') || c == 0x7f)
			rc = bad(&r, "a control character (byte 0x%02x)", c);
		else if (!(n = portal_utf8_seq(r.s + r.pos)))
			rc = bad(&r, "not valid UTF-8 (byte 0x%02x)", c);
		else
			adv(&r, n);
	}
	if (!rc && depth)
		rc = bad(&r, "<%s> is never closed", stack[depth - 1]);
	free(copy);
	return rc;
}
