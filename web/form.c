// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Strict decoders for what a browser sends: form bodies, cookies, paths.
 * Each either returns the whole decoded value or refuses the input with
 * the reason and the position, so that a page never works on half a form.
 */
#include "form.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"
#include "byod_vec.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decodes s[0..n) ('+' and %XX) into a new NUL-terminated string of at most
 * max bytes; what names it in errors ("a field name", "a value"), at is the
 * offset of s in the body. *out_len gets the decoded size.
 */
static int decode(const char *s, size_t n, size_t at, size_t max, const char *what, char **out,
		  size_t *out_len, struct byod_err *err)
{
	char *d = malloc(n + 1);
	size_t i, o = 0;
	int rc = 0;

	if (!d)
		return byod_err_set(err, ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		size_t start = i;
		char c = s[i];

		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			int hi = i + 1 < n ? hexval(s[i + 1]) : -1;
			int lo = i + 2 < n ? hexval(s[i + 2]) : -1;

			if (hi < 0 || lo < 0) {
				rc = byod_err_set(
					err, EINVAL,
					"byte %zu: '%%' is not followed by two hex digits",
					at + start);
				goto out;
			}
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		if (c == '\0') {
			rc = byod_err_set(err, EINVAL, "byte %zu: a NUL character", at + start);
			goto out;
		}
		if (o == max) {
			rc = byod_err_set(err, EINVAL, "byte %zu: %s longer than %zu bytes",
					  at + start, what, max);
			goto out;
		}
		d[o++] = c;
	}
	d[o] = '\0';
	*out = d;
	*out_len = o;
	d = NULL;
out:
	if (d) {
		explicit_bzero(d, o);
		free(d);
	}
	return rc;
}

/* The offset in the body of decoded byte idx of s[0..n) (at in the body). */
static size_t body_offset(const char *s, size_t n, size_t at, size_t idx)
{
	size_t i = 0;

	while (i < n && idx--)
		i += s[i] == '%' ? 3 : 1;
	return at + i;
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

/*
 * Checks UTF-8 and control characters (C0 but TAB, CR and LF; DEL; C1);
 * CR LF and lone CR become LF, in place. Returns the offset (in v as it
 * came) of the first bad byte with *why saying what it is, or -1.
 */
static long value_clean(char *v, const char **why)
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
		if (n == 2 && s[0] == 0xc2 && s[1] < 0xa0) /* U+0080..U+009F */
			return (long)(s - start);
		memmove(w, s, n);
		w += n;
		s += n;
	}
	*w = '\0';
	return -1;
}

void web_form_free(struct web_form *form)
{
	size_t i;

	if (!form)
		return;
	for (i = 0; i < form->n; i++) {
		free(form->f[i].name);
		if (form->f[i].value) {
			explicit_bzero(form->f[i].value, strlen(form->f[i].value));
			free(form->f[i].value);
		}
	}
	free(form->f);
	form->f = NULL;
	form->n = 0;
	form->cap = 0;
}

int web_form_parse(const char *body, size_t len, size_t max_fields, struct web_form *out,
		   struct byod_err *err)
{
	return web_form_parse_max(body, len, max_fields, WEB_FORM_VALUE_MAX, out, err);
}

int web_form_parse_max(const char *body, size_t len, size_t max_fields, size_t value_max,
		       struct web_form *out, struct byod_err *err)
{
	size_t pos = 0, i;
	int rc = 0;

	out->f = NULL;
	out->n = 0;
	out->cap = 0;
	if (len && !body)
		return byod_err_set(err, EINVAL, "no body");
	while (pos < len) {
		const char *field = body + pos, *amp, *eq;
		size_t flen, nlen, dlen, vat, vlen;
		struct web_form_field *nf;
		char *name = NULL, *value = NULL;
		const char *why = "";
		long bad;

		amp = memchr(field, '&', len - pos);
		flen = amp ? (size_t)(amp - field) : len - pos;
		if (!flen) {
			pos++;
			continue;
		}
		if (out->n == max_fields) {
			rc = byod_err_set(err, EINVAL, "byte %zu: more than %zu fields", pos,
					  max_fields);
			goto fail;
		}
		eq = memchr(field, '=', flen);
		nlen = eq ? (size_t)(eq - field) : flen;
		rc = decode(field, nlen, pos, 32, "a field name", &name, &dlen, err);
		if (rc)
			goto fail;
		if (!name_ok(name)) {
			free(name);
			rc = byod_err_set(err, EINVAL,
					  "byte %zu: a field name that is not [a-z0-9_-]{1,32}",
					  pos);
			goto fail;
		}
		for (i = 0; i < out->n; i++) {
			if (!strcmp(out->f[i].name, name)) {
				free(name);
				rc = byod_err_set(err, EINVAL,
						  "byte %zu: the field '%s' given twice", pos,
						  out->f[i].name);
				goto fail;
			}
		}
		vat = eq ? pos + nlen + 1 : pos + flen;
		vlen = eq ? flen - nlen - 1 : 0;
		rc = decode(field + (vat - pos), vlen, vat, value_max, "a value", &value, &dlen,
			    err);
		if (rc) {
			free(name);
			goto fail;
		}
		bad = value_clean(value, &why);
		if (bad >= 0) {
			rc = byod_err_set(err, EINVAL, "byte %zu: %s in the value of '%s'",
					  body_offset(field + (vat - pos), vlen, vat, (size_t)bad),
					  why, name);
			free(name);
			explicit_bzero(value, dlen);
			free(value);
			goto fail;
		}
		nf = BYOD_ARRAY_PUSH(out->f, out->n, out->cap);
		if (!nf) {
			free(name);
			explicit_bzero(value, dlen);
			free(value);
			rc = byod_err_set(err, ENOMEM, "out of memory");
			goto fail;
		}
		nf->name = name;
		nf->value = value;
		pos += flen + (amp ? 1 : 0);
	}
	return 0;
fail:
	web_form_free(out);
	return rc;
}

const char *web_form_get(const struct web_form *form, const char *name)
{
	size_t i;

	for (i = 0; form && name && i < form->n; i++)
		if (!strcmp(form->f[i].name, name))
			return form->f[i].value;
	return NULL;
}

/* cookie-octet of RFC 6265 4.1.1: no control, space, '"', ',', ';', '\\'
 * or non-ASCII byte. */
static int cookie_octet(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '"' && c != ',' && c != ';' && c != '\\';
}

static int cookie_find(const char *header, const char *name, char *out, size_t len)
{
	const char *s = header;
	size_t nlen = strlen(name), i;
	int found = 0;

	while (*s) {
		const char *k, *v, *end;
		size_t klen, vlen;

		while (*s == ' ' || *s == '\t' || *s == ';')
			s++;
		if (!*s)
			break;
		k = s;
		end = strchr(s, ';');
		if (!end)
			end = s + strlen(s);
		v = memchr(k, '=', (size_t)(end - k));
		s = end;
		if (!v)
			continue; /* a pair without '=' is ignored (RFC 6265 5.2) */
		klen = (size_t)(v - k);
		while (klen && (k[klen - 1] == ' ' || k[klen - 1] == '\t'))
			klen--;
		if (klen != nlen || memcmp(k, name, nlen))
			continue;
		if (found)
			return -EINVAL; /* twice: someone planted one */
		found = 1;
		v++;
		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		vlen = (size_t)(end - v);
		while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
			vlen--;
		if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
			v++;
			vlen -= 2;
		}
		for (i = 0; i < vlen; i++)
			if (!cookie_octet((unsigned char)v[i]))
				return -EINVAL;
		if (vlen + 1 > len)
			return -E2BIG;
		memcpy(out, v, vlen);
		out[vlen] = '\0';
	}
	return found ? 0 : -ENOENT;
}

int web_cookie_get(const char *header, const char *name, char *out, size_t len)
{
	int rc;

	if (len)
		out[0] = '\0';
	if (!header || !name || !*name)
		return -ENOENT;
	rc = cookie_find(header, name, out, len);
	if (rc && len)
		out[0] = '\0'; /* nothing of a refused cookie is handed out */
	return rc;
}

int web_path_check(const char *path)
{
	size_t n, i, seg;

	if (!path || path[0] != '/')
		return -EINVAL;
	n = strlen(path);
	if (n > 512)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		char c = path[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '~' || c == '/' || c == '-' ||
		      c == '@')) /* '@': a login may hold one (RFC 3986 allows it in a path) */
			return -EINVAL;
	}
	/* segments: none empty (but the root's), none "." or ".." */
	for (i = 1, seg = 1; i <= n; i++) {
		if (i == n || path[i] == '/') {
			size_t sl = i - seg;

			if (sl == 0 && !(n == 1))
				return -EINVAL;
			if ((sl == 1 && path[seg] == '.') ||
			    (sl == 2 && path[seg] == '.' && path[seg + 1] == '.'))
				return -EINVAL;
			seg = i + 1;
		}
	}
	return 0;
}
