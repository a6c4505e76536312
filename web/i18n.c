// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Message catalogues for the portal, read from gettext .mo files without
 * the gettext runtime (which keys everything on the process-wide locale).
 *
 * The .mo format (GNU gettext manual, "The Format of GNU MO Files"): a
 * 28-byte header of 32-bit words in the writer's byte order (magic
 * 0x950412de, revision, string count N, offsets of the original and the
 * translation tables, size and offset of a hash table), two tables of N
 * (length, offset) pairs, and the strings, each followed by a NUL that the
 * length does not count. A file is copied whole, every pair is checked
 * against its size before a byte is read through it, and the messages are
 * sorted here (not trusted to be) for a binary search. The hash table is
 * only bounds-checked; revision 1's system-dependent strings are ignored.
 */
#include "i18n.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "byod_util.h"
#include "byod_vec.h"

#define MO_MAGIC  0x950412deU
#define MO_HEADER 28

struct msg {
	const char *id;
	const char *str;
};

struct cat {
	char lang[3];
	char *blob; /* the file; every msg points into it */
	struct msg *v;
	size_t n;
};

struct web_i18n {
	struct cat *cats; /* sorted by lang */
	size_t n, cap;
};

struct mo {
	const unsigned char *p;
	size_t len;
	int big;
};

struct web_i18n *web_i18n_new(void)
{
	return calloc(1, sizeof(struct web_i18n));
}

void web_i18n_free(struct web_i18n *i18n)
{
	size_t i;

	if (!i18n)
		return;
	for (i = 0; i < i18n->n; i++) {
		free(i18n->cats[i].v);
		free(i18n->cats[i].blob);
	}
	free(i18n->cats);
	free(i18n);
}

static int lang_ok(const char *lang)
{
	return lang && lang[0] >= 'a' && lang[0] <= 'z' && lang[1] >= 'a' && lang[1] <= 'z' &&
	       !lang[2];
}

static const struct cat *find_cat(const struct web_i18n *i18n, const char *lang)
{
	size_t i;

	if (!i18n || !lang)
		return NULL;
	for (i = 0; i < i18n->n; i++)
		if (!strcmp(i18n->cats[i].lang, lang))
			return &i18n->cats[i];
	return NULL;
}

/* The 32-bit word at off; the caller has checked off + 4 <= len. */
static uint32_t word(const struct mo *m, size_t off)
{
	const unsigned char *b = m->p + off;

	if (m->big)
		return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	return (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
}

/* A table of count entries of size bytes at off fits in the file. */
static int fits(const struct mo *m, uint32_t off, uint32_t count, uint32_t size)
{
	return (uint64_t)off + (uint64_t)count * size <= m->len;
}

/*
 * The string of table entry i (the pair at table + 8i, already known to
 * fit): its bytes and the NUL after them must lie inside the file.
 */
static const char *string_at(const struct mo *m, const char *blob, uint32_t table, uint32_t i)
{
	uint32_t slen = word(m, (size_t)table + 8 * (size_t)i);
	uint32_t off = word(m, (size_t)table + 8 * (size_t)i + 4);

	if ((uint64_t)off + slen >= m->len || blob[(size_t)off + slen] != '\0')
		return NULL;
	return blob + off;
}

/* The header's "Content-Type: ...; charset=X" must name UTF-8 (or ASCII). */
static int charset_ok(const char *header)
{
	static const char *const ok[] = {"UTF-8", "UTF8", "ASCII", "US-ASCII"};
	const char *p, *v = NULL;
	size_t n, i;

	for (p = header; *p; p++)
		if (!strncasecmp(p, "charset=", 8)) {
			v = p + 8;
			break;
		}
	if (!v)
		return 1;
	n = strcspn(v, " \t\r\n;");
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (n == strlen(ok[i]) && !strncasecmp(v, ok[i], n))
			return 1;
	return 0;
}

static int msg_cmp(const void *a, const void *b)
{
	return strcmp(((const struct msg *)a)->id, ((const struct msg *)b)->id);
}

/* Reads the tables of m into c (c->blob is m's copy). Returns 0 or -errno. */
static int read_tables(const struct mo *m, struct cat *c, struct byod_err *err)
{
	uint32_t rev, n, orig, trans, hsize, hoff, i;
	const char *id, *str;

	rev = word(m, 4);
	n = word(m, 8);
	orig = word(m, 12);
	trans = word(m, 16);
	hsize = word(m, 20);
	hoff = word(m, 24);
	if (rev >> 16 > 1)
		return byod_err_set(err, EINVAL, "unsupported .mo revision %u.%u", rev >> 16,
				    rev & 0xffff);
	if (!fits(m, orig, n, 8) || !fits(m, trans, n, 8))
		return byod_err_set(err, EINVAL, "%u strings do not fit in %zu bytes", n, m->len);
	if (hsize && !fits(m, hoff, hsize, 4))
		return byod_err_set(err, EINVAL, "hash table does not fit in %zu bytes", m->len);
	/* n <= len / 8 here, so this allocation is bounded by the file size */
	c->v = calloc(n ? n : 1, sizeof(*c->v));
	if (!c->v)
		return byod_err_set(err, ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		id = string_at(m, c->blob, orig, i);
		str = string_at(m, c->blob, trans, i);
		if (!id || !str)
			return byod_err_set(err, EINVAL, "string %u runs past the end of the file",
					    i);
		if (!*id) {
			if (!charset_ok(str))
				return byod_err_set(err, EINVAL, "the catalogue is not in UTF-8");
			continue; /* the header is not a message */
		}
		if (!*str)
			continue; /* untranslated: the msgid is shown, as gettext does */
		c->v[c->n].id = id;
		c->v[c->n].str = str;
		c->n++;
	}
	qsort(c->v, c->n, sizeof(*c->v), msg_cmp);
	for (i = 1; i < c->n; i++)
		if (!strcmp(c->v[i - 1].id, c->v[i].id))
			return byod_err_set(err, EINVAL, "msgid \"%.64s\" appears twice",
					    c->v[i].id);
	return 0;
}

int web_i18n_parse(struct web_i18n *i18n, const char *lang, const void *mo, size_t len,
		      struct byod_err *err)
{
	struct cat c = {0}, *cats;
	struct mo m = {.p = mo, .len = len};
	size_t at;
	int rc;

	if (!i18n || !lang_ok(lang))
		return byod_err_set(err, EINVAL, "a language is two lowercase letters");
	if (find_cat(i18n, lang))
		return byod_err_set(err, EEXIST, "catalogue %s: loaded twice", lang);
	if (!mo || len < MO_HEADER)
		return byod_err_set(err, EINVAL, "catalogue %s: too short for a .mo file", lang);
	if (word(&m, 0) != MO_MAGIC) {
		m.big = 1;
		if (word(&m, 0) != MO_MAGIC)
			return byod_err_set(err, EINVAL, "catalogue %s: not a .mo file", lang);
	}
	memcpy(c.lang, lang, 3);
	c.blob = malloc(len);
	if (!c.blob) {
		rc = byod_err_set(err, ENOMEM, "out of memory");
		goto out;
	}
	memcpy(c.blob, mo, len);
	rc = read_tables(&m, &c, err);
	if (rc) {
		byod_err_prefix(err, "catalogue %s", lang);
		goto out;
	}
	if (!BYOD_ARRAY_PUSH(i18n->cats, i18n->n, i18n->cap)) {
		rc = byod_err_set(err, ENOMEM, "out of memory");
		goto out;
	}
	cats = i18n->cats;
	for (at = 0; at < i18n->n - 1 && strcmp(cats[at].lang, lang) < 0; at++)
		;
	memmove(&cats[at + 1], &cats[at], (i18n->n - 1 - at) * sizeof(*cats));
	cats[at] = c;
	return 0;
out:
	free(c.v);
	free(c.blob);
	return rc;
}

static int mo_name(const char *name)
{
	return name[0] >= 'a' && name[0] <= 'z' && name[1] >= 'a' && name[1] <= 'z' &&
	       !strcmp(name + 2, ".mo");
}

int web_i18n_load(const char *dir, struct web_i18n **out, struct byod_err *err)
{
	struct web_i18n *i18n = NULL;
	struct dirent *de;
	DIR *d = NULL;
	char path[4096], lang[3];
	char *data = NULL;
	size_t len;
	int rc = 0;

	*out = NULL;
	d = opendir(dir);
	if (!d) {
		rc = errno;
		rc = byod_err_set(err, rc, "cannot open %s: %s", dir, strerror(rc));
		goto out;
	}
	i18n = web_i18n_new();
	if (!i18n) {
		rc = byod_err_set(err, ENOMEM, "out of memory");
		goto out;
	}
	while ((de = readdir(d))) {
		if (!mo_name(de->d_name))
			continue;
		if (byod_path_join(path, sizeof(path), dir, de->d_name)) {
			rc = byod_err_set(err, ENAMETOOLONG, "%s: path too long", dir);
			goto out;
		}
		rc = byod_file_read(path, &data, &len, err);
		if (rc)
			goto out;
		memcpy(lang, de->d_name, 2);
		lang[2] = '\0';
		rc = web_i18n_parse(i18n, lang, data, len, err);
		free(data);
		data = NULL;
		if (rc) {
			byod_err_prefix(err, "%s", path);
			goto out;
		}
	}
	if (!i18n->n) {
		rc = byod_err_set(err, ENOENT, "no catalogue (xx.mo) in %s", dir);
		goto out;
	}
	*out = i18n;
	i18n = NULL;
out:
	if (d)
		closedir(d);
	web_i18n_free(i18n);
	return rc;
}

static int ows(char c)
{
	return c == ' ' || c == '\t';
}

static int alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * One element of Accept-Language, s[0..e): OWS language-range OWS
 * [";" OWS "q=" qvalue OWS] (RFC 9110 12.5.4, 12.4.2). Sets the primary
 * subtag and q in thousandths. Returns 0, or -1 for "*" and for anything
 * malformed.
 */
static int parse_range(const char *s, const char *e, const char **tag, size_t *taglen, int *q)
{
	size_t n;
	int i;

	while (s < e && ows(*s))
		s++;
	for (n = 0; s + n < e && alpha(s[n]); n++)
		;
	if (n < 1 || n > 8)
		return -1; /* also "*" */
	*tag = s;
	*taglen = n;
	s += n;
	while (s < e && *s == '-') {
		for (n = 1; s + n < e && (alpha(s[n]) || digit(s[n])); n++)
			;
		if (n < 2 || n > 9)
			return -1;
		s += n;
	}
	while (s < e && ows(*s))
		s++;
	*q = 1000;
	if (s == e)
		return 0;
	if (*s++ != ';')
		return -1;
	while (s < e && ows(*s))
		s++;
	if (e - s < 3 || (s[0] != 'q' && s[0] != 'Q') || s[1] != '=' ||
	    (s[2] != '0' && s[2] != '1'))
		return -1;
	*q = s[2] == '1' ? 1000 : 0;
	s += 3;
	if (s < e && *s == '.') {
		s++;
		for (i = 100; s < e && digit(*s) && i; s++, i /= 10) {
			if (*q == 1000 && *s != '0')
				return -1; /* above 1 */
			*q += (*s - '0') * i;
		}
	}
	while (s < e && ows(*s))
		s++;
	return s == e ? 0 : -1;
}

const char *web_i18n_negotiate(const struct web_i18n *i18n, const char *accept_language,
				  const char *fallback)
{
	const char *best = fallback, *p = accept_language, *e, *tag;
	size_t taglen, i;
	int bestq = 0, q;

	if (!i18n || !p)
		return fallback;
	while (*p) {
		e = strchr(p, ',');
		if (!e)
			e = p + strlen(p);
		if (!parse_range(p, e, &tag, &taglen, &q) && q > bestq && taglen == 2)
			for (i = 0; i < i18n->n; i++)
				if (!strncasecmp(i18n->cats[i].lang, tag, 2)) {
					best = i18n->cats[i].lang;
					bestq = q;
					break;
				}
		p = *e ? e + 1 : e;
	}
	return best;
}

const char *web_i18n_get(const struct web_i18n *i18n, const char *lang, const char *msgid)
{
	const struct cat *c = find_cat(i18n, lang);
	const struct msg key = {.id = msgid}, *m;

	if (!msgid)
		return "";
	if (!c)
		return msgid;
	m = bsearch(&key, c->v, c->n, sizeof(*c->v), msg_cmp);
	return m ? m->str : msgid;
}

int web_i18n_has(const struct web_i18n *i18n, const char *lang)
{
	return find_cat(i18n, lang) != NULL;
}
