// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A strict multipart/form-data decoder: the boundary from the Content-Type,
 * then part by part its headers (Content-Disposition's name and filename)
 * and its content up to the next delimiter. Anything out of shape is
 * refused whole with its byte offset, never repaired, as web/form.c does
 * for urlencoded bodies.
 */
#define _GNU_SOURCE /* memmem */
#include "multipart.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "byod_vec.h"
#include "html.h"

#define BOUNDARY_MAX 70

/* The boundary parameter of content_type into out; 0 or -EINVAL. */
static int boundary_of(const char *ct, char *out, size_t len)
{
	const char *p = ct;
	size_t n = 0;

	if (strncasecmp(ct, "multipart/form-data", 19))
		return -EINVAL;
	p = ct + 19;
	while (*p) {
		while (*p == ';' || *p == ' ' || *p == '\t')
			p++;
		if (!strncasecmp(p, "boundary=", 9)) {
			p += 9;
			if (*p == '"') {
				for (p++; *p && *p != '"' && n + 1 < len; p++)
					out[n++] = *p;
				if (*p != '"')
					return -EINVAL;
			} else {
				for (; *p && *p != ';' && *p != ' ' && n + 1 < len; p++)
					out[n++] = *p;
			}
			out[n] = '\0';
			return n >= 1 && n <= BOUNDARY_MAX ? 0 : -EINVAL;
		}
		p += strcspn(p, ";");
	}
	return -EINVAL;
}

static int name_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n < 1 || n > 32)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		      s[i] == '-'))
			return 0;
	return 1;
}

/* The parameter key ("name", "filename") of a Content-Disposition value
 * h[0..n): 1 with *val (malloc'd) when present, 0 when absent, -EINVAL. */
static int disposition_param(const char *h, size_t n, const char *key, char **val)
{
	size_t i = 0, k = strlen(key);

	*val = NULL;
	while (i < n) {
		/* to the next ';' outside quotes */
		int q = 0;

		for (; i < n && (q || h[i] != ';'); i++)
			if (h[i] == '"')
				q = !q;
		if (i >= n)
			break;
		i++;
		while (i < n && (h[i] == ' ' || h[i] == '\t'))
			i++;
		if (n - i > k && !strncasecmp(h + i, key, k) && h[i + k] == '=') {
			size_t s, e;

			i += k + 1;
			if (i >= n || h[i] != '"')
				return -EINVAL;
			s = ++i;
			for (e = s; e < n && h[e] != '"'; e++)
				if (h[e] == '\\')
					return -EINVAL;
			if (e >= n)
				return -EINVAL;
			*val = strndup(h + s, e - s);
			return *val ? 1 : -ENOMEM;
		}
	}
	return 0;
}

/* UTF-8 and control characters as web_form_parse's; CR LF and CR become
 * LF in place. The offset of the first bad byte, or -1. */
static long text_clean(char *v, const char **why)
{
	unsigned char *s = (unsigned char *)v, *w = s;
	const unsigned char *start = s;
	size_t n;

	while (*s) {
		if (*s == '\r') {
			*w++ = '\n';
			s += s[1] == '\n' ? 2 : 1;
			continue;
		}
		*why = "a control character";
		if ((*s < 0x20 && *s != '\t' && *s != '\n') || *s == 0x7f)
			return (long)(s - start);
		*why = "not valid UTF-8";
		n = web_utf8_seq(s);
		if (!n)
			return (long)(s - start);
		*why = "a control character";
		if (n == 2 && s[0] == 0xc2 && s[1] < 0xa0)
			return (long)(s - start);
		memmove(w, s, n);
		w += n;
		s += n;
	}
	*w = '\0';
	return -1;
}

static const char *find(const char *hay, size_t n, const char *needle, size_t k)
{
	return k <= n ? memmem(hay, n, needle, k) : NULL;
}

int web_multipart_parse(const char *content_type, const char *body, size_t len, size_t max_fields,
			size_t max_value, struct web_form *out, struct byod_err *err)
{
	char boundary[BOUNDARY_MAX + 2], delim[BOUNDARY_MAX + 8];
	const char *p = body, *end = body + len;
	char *name = NULL, *filename = NULL, *value = NULL;
	size_t dl, i;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!content_type || boundary_of(content_type, boundary, sizeof(boundary)))
		return byod_err_set(err, EINVAL, "not multipart/form-data with a boundary");
	/* every delimiter but the first follows a CR LF */
	dl = (size_t)snprintf(delim, sizeof(delim), "\r\n--%s", boundary);
	if (len < dl - 2 || memcmp(body, delim + 2, dl - 2))
		return byod_err_set(err, EINVAL,
				    "byte 0: the body does not start with the boundary");
	p = body + dl - 2;
	for (;;) {
		const char *hend, *h, *next;
		struct web_form_field *f;
		size_t vlen;

		/* after a delimiter: "--" ends the body, CR LF starts a part */
		if (end - p >= 2 && !memcmp(p, "--", 2)) {
			p += 2;
			if (end - p >= 2 && !memcmp(p, "\r\n", 2))
				p += 2;
			if (p != end)
				rc = byod_err_set(err, EINVAL, "byte %zu: data after the last part",
						  (size_t)(p - body));
			break;
		}
		if (end - p < 2 || memcmp(p, "\r\n", 2)) {
			rc = byod_err_set(err, EINVAL,
					  "byte %zu: a boundary not followed by a line end",
					  (size_t)(p - body));
			break;
		}
		p += 2;
		if (out->n >= max_fields) {
			rc = byod_err_set(err, EINVAL, "byte %zu: more than %zu parts",
					  (size_t)(p - body), max_fields);
			break;
		}
		hend = find(p, (size_t)(end - p), "\r\n\r\n", 4);
		if (!hend) {
			rc = byod_err_set(err, EINVAL, "byte %zu: a part's headers do not end",
					  (size_t)(p - body));
			break;
		}
		/* the headers, line by line */
		for (h = p; h < hend + 2;) {
			const char *eol = find(h, (size_t)(hend + 2 - h), "\r\n", 2);
			size_t hl = (size_t)(eol - h);

			if (hl > 21 && !strncasecmp(h, "Content-Disposition:", 20)) {
				const char *v = h + 20;
				size_t vl = hl - 20;

				while (vl && (*v == ' ' || *v == '\t')) {
					v++;
					vl--;
				}
				if (name || vl < 9 || strncasecmp(v, "form-data", 9) ||
				    (vl > 9 && v[9] != ';') ||
				    disposition_param(v, vl, "name", &name) != 1 ||
				    disposition_param(v, vl, "filename", &filename) < 0) {
					rc = byod_err_set(err, EINVAL,
							  "byte %zu: a Content-Disposition that is "
							  "not form-data with a name",
							  (size_t)(h - body));
					goto out;
				}
			} else if (memchr(h, '\0', hl)) {
				rc = byod_err_set(err, EINVAL, "byte %zu: a NUL in a header",
						  (size_t)(h - body));
				goto out;
			}
			h = eol + 2;
		}
		if (!name || !name_ok(name)) {
			rc = byod_err_set(err, EINVAL, "byte %zu: a part without a good field name",
					  (size_t)(p - body));
			break;
		}
		for (i = 0; i < out->n; i++) {
			if (!strcmp(out->f[i].name, name)) {
				rc = byod_err_set(err, EINVAL, "byte %zu: the field '%s' twice",
						  (size_t)(p - body), name);
				goto out;
			}
		}
		p = hend + 4;
		next = find(p, (size_t)(end - p), delim, dl);
		if (!next) {
			rc = byod_err_set(err, EINVAL, "byte %zu: the part '%s' does not end",
					  (size_t)(p - body), name);
			break;
		}
		vlen = (size_t)(next - p);
		if (vlen > max_value) {
			rc = byod_err_set(err, EINVAL,
					  "byte %zu: the field '%s' is longer than %zu bytes",
					  (size_t)(p - body), name, max_value);
			break;
		}
		value = malloc(vlen + 1);
		if (!value) {
			rc = byod_err_set(err, ENOMEM, "out of memory");
			break;
		}
		memcpy(value, p, vlen);
		value[vlen] = '\0';
		if (filename) {
			for (i = 0; i < vlen; i++)
				if (!value[i])
					value[i] = (char)0xff;
		} else {
			const char *why = NULL;
			long bad = memchr(p, '\0', vlen)
					   ? (long)((const char *)memchr(p, '\0', vlen) - p)
					   : text_clean(value, &why);

			if (bad >= 0) {
				rc = byod_err_set(err, EINVAL, "byte %zu: %s in the field '%s'",
						  (size_t)(p - body) + (size_t)bad,
						  why ? why : "a NUL character", name);
				break;
			}
		}
		f = BYOD_ARRAY_PUSH(out->f, out->n, out->cap);
		if (!f) {
			rc = byod_err_set(err, ENOMEM, "out of memory");
			break;
		}
		f->name = name;
		f->value = value;
		name = value = NULL;
		free(filename);
		filename = NULL;
		p = next + dl;
	}
out:
	free(name);
	free(filename);
	if (value) {
		explicit_bzero(value, strlen(value));
		free(value);
	}
	if (rc)
		web_form_free(out);
	return rc;
}
