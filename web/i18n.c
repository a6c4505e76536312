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
 *
 * Plurals (the manual's "Plural forms"): an entry with a msgid_plural has
 * "msgid\0msgid_plural" as its original and its forms one after the other,
 * NUL-separated, as its translation. The header's "Plural-Forms: nplurals=N;
 * plural=EXPR;" says which form a number takes; EXPR is the C subset
 * gettext accepts (n, unsigned constants, ! * / % + - < > <= >= == != && ||
 * ?: and parentheses), compiled here once into a small tree of bounded size
 * and depth, and evaluated per lookup without recursion on the input.
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
	size_t len; /* of str with the NULs between plural forms */
};

/* A node of a compiled plural expression: an operator and its operands
 * (indexes of earlier nodes), or n, or a constant. */
enum pop {
	P_N,
	P_NUM,
	P_NOT,
	P_MUL,
	P_DIV,
	P_MOD,
	P_ADD,
	P_SUB,
	P_LT,
	P_GT,
	P_LE,
	P_GE,
	P_EQ,
	P_NE,
	P_AND,
	P_OR,
	P_COND
};

#define PLURAL_NODES 64 /* the longest known rule (Arabic) has about 40 */
#define PLURAL_DEPTH 24

struct pnode {
	unsigned char op, a, b, c;
	unsigned long v;
};

struct plural {
	unsigned long nplurals;
	struct pnode node[PLURAL_NODES];
	unsigned char n, root;
};

struct cat {
	char lang[3];
	char *blob; /* the file; every msg points into it */
	struct msg *v;
	size_t n;
	struct plural plural; /* the header's, or the Germanic rule n != 1 */
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
static const char *string_at(const struct mo *m, const char *blob, uint32_t table, uint32_t i,
			     size_t *len)
{
	uint32_t slen = word(m, (size_t)table + 8 * (size_t)i);
	uint32_t off = word(m, (size_t)table + 8 * (size_t)i + 4);

	if ((uint64_t)off + slen >= m->len || blob[(size_t)off + slen] != '\0')
		return NULL;
	*len = slen;
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

/* ---- plural expressions ------------------------------------------------ */

struct pparse {
	const char *s;
	struct plural *pl;
	int depth;
	int bad;
};

static void skip_ws(struct pparse *p)
{
	while (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r')
		p->s++;
}

/* Adds a node; returns its index, or 0 with p->bad set when full (node 0
 * is never a valid operand of a later node, so callers need not check). */
static unsigned char pnode_add(struct pparse *p, enum pop op, unsigned a, unsigned b, unsigned c,
			       unsigned long v)
{
	struct pnode *nd;

	if (p->bad || p->pl->n >= PLURAL_NODES) {
		p->bad = 1;
		return 0;
	}
	nd = &p->pl->node[p->pl->n];
	nd->op = (unsigned char)op;
	nd->a = (unsigned char)a;
	nd->b = (unsigned char)b;
	nd->c = (unsigned char)c;
	nd->v = v;
	return p->pl->n++;
}

static unsigned char p_cond(struct pparse *p);

static unsigned char p_primary(struct pparse *p)
{
	unsigned long v = 0;
	unsigned char r;

	skip_ws(p);
	if (*p->s == 'n') {
		p->s++;
		return pnode_add(p, P_N, 0, 0, 0, 0);
	}
	if (*p->s >= '0' && *p->s <= '9') {
		while (*p->s >= '0' && *p->s <= '9') {
			if (v > 100000000UL) /* no rule needs more */
				p->bad = 1;
			v = v * 10 + (unsigned long)(*p->s++ - '0');
		}
		return pnode_add(p, P_NUM, 0, 0, 0, v);
	}
	if (*p->s == '(') {
		p->s++;
		r = p_cond(p);
		skip_ws(p);
		if (*p->s != ')')
			p->bad = 1;
		else
			p->s++;
		return r;
	}
	p->bad = 1;
	return 0;
}

static unsigned char p_unary(struct pparse *p)
{
	unsigned char a;

	skip_ws(p);
	if (*p->s == '!' && p->s[1] != '=') {
		p->s++;
		if (++p->depth > PLURAL_DEPTH) {
			p->bad = 1;
			return 0;
		}
		a = p_unary(p);
		p->depth--;
		return pnode_add(p, P_NOT, a, 0, 0, 0);
	}
	return p_primary(p);
}

/* One level of left-associative binary operators: ops[i] spelled text[i]. */
static unsigned char p_binary(struct pparse *p, int level);

static const struct {
	const char *text[4];
	enum pop op[4];
} levels[] = {
	{{"||"}, {P_OR}},
	{{"&&"}, {P_AND}},
	{{"==", "!="}, {P_EQ, P_NE}},
	{{"<=", ">=", "<", ">"}, {P_LE, P_GE, P_LT, P_GT}},
	{{"+", "-"}, {P_ADD, P_SUB}},
	{{"*", "/", "%"}, {P_MUL, P_DIV, P_MOD}},
};

static unsigned char p_operand(struct pparse *p, int level)
{
	return level + 1 < (int)(sizeof(levels) / sizeof(levels[0])) ? p_binary(p, level + 1)
								     : p_unary(p);
}

static unsigned char p_binary(struct pparse *p, int level)
{
	unsigned char a = p_operand(p, level), b;
	size_t i, l;

	while (!p->bad) {
		skip_ws(p);
		for (i = 0; i < 4 && levels[level].text[i]; i++) {
			l = strlen(levels[level].text[i]);
			if (!strncmp(p->s, levels[level].text[i], l))
				break;
		}
		if (i == 4 || !levels[level].text[i])
			return a;
		p->s += l;
		b = p_operand(p, level);
		a = pnode_add(p, levels[level].op[i], a, b, 0, 0);
	}
	return a;
}

static unsigned char p_cond(struct pparse *p)
{
	unsigned char c, t, f;

	if (++p->depth > PLURAL_DEPTH) {
		p->bad = 1;
		return 0;
	}
	c = p_binary(p, 0);
	skip_ws(p);
	if (!p->bad && *p->s == '?') {
		p->s++;
		t = p_cond(p);
		skip_ws(p);
		if (*p->s != ':') {
			p->bad = 1;
			return 0;
		}
		p->s++;
		f = p_cond(p);
		c = pnode_add(p, P_COND, c, t, f, 0);
	}
	p->depth--;
	return c;
}

/*
 * Evaluates the compiled rule for n. Operands always come before the node
 * that uses them, so one pass in order computes every node (x / 0 counts
 * as 0). Returns the form's index, or 0 when the rule names a form past
 * nplurals (gettext's choice too).
 */
static unsigned long plural_eval(const struct plural *pl, unsigned long n)
{
	unsigned long v[PLURAL_NODES];
	const struct pnode *nd;
	unsigned i;

	if (!pl->n)
		return n != 1;
	for (i = 0; i < pl->n; i++) {
		nd = &pl->node[i];
		switch (nd->op) {
		case P_N:
			v[i] = n;
			break;
		case P_NUM:
			v[i] = nd->v;
			break;
		case P_NOT:
			v[i] = !v[nd->a];
			break;
		case P_MUL:
			v[i] = v[nd->a] * v[nd->b];
			break;
		case P_DIV:
		case P_MOD:
			/* both branches of ?: are computed: a division by zero
			 * in the one not taken must not decide */
			v[i] = !v[nd->b]	 ? 0
			       : nd->op == P_DIV ? v[nd->a] / v[nd->b]
						 : v[nd->a] % v[nd->b];
			break;
		case P_ADD:
			v[i] = v[nd->a] + v[nd->b];
			break;
		case P_SUB:
			v[i] = v[nd->a] - v[nd->b];
			break;
		case P_LT:
			v[i] = v[nd->a] < v[nd->b];
			break;
		case P_GT:
			v[i] = v[nd->a] > v[nd->b];
			break;
		case P_LE:
			v[i] = v[nd->a] <= v[nd->b];
			break;
		case P_GE:
			v[i] = v[nd->a] >= v[nd->b];
			break;
		case P_EQ:
			v[i] = v[nd->a] == v[nd->b];
			break;
		case P_NE:
			v[i] = v[nd->a] != v[nd->b];
			break;
		case P_AND:
			v[i] = v[nd->a] && v[nd->b];
			break;
		case P_OR:
			v[i] = v[nd->a] || v[nd->b];
			break;
		default:
			v[i] = v[nd->a] ? v[nd->b] : v[nd->c];
			break;
		}
	}
	return v[pl->root] < pl->nplurals ? v[pl->root] : 0;
}

/*
 * Reads "nplurals=N; plural=EXPR;" from the header's Plural-Forms line
 * into pl. No such line: the Germanic rule (two forms, n != 1), as
 * gettext. Returns 0, or -EINVAL with err for a line that does not parse.
 */
static int plural_header(const char *header, struct plural *pl, struct byod_err *err)
{
	const char *line = NULL, *p;
	struct pparse pp = {.pl = pl};
	char expr[512];
	size_t n;

	memset(pl, 0, sizeof(*pl));
	pl->nplurals = 2;
	for (p = header; *p; p++)
		if ((p == header || p[-1] == '\n') && !strncasecmp(p, "Plural-Forms:", 13)) {
			line = p + 13;
			break;
		}
	if (!line)
		return 0;
	n = strcspn(line, "\n");
	if (n >= sizeof(expr))
		return byod_err_set(err, EINVAL, "the Plural-Forms line is too long");
	memcpy(expr, line, n);
	expr[n] = '\0';
	p = strstr(expr, "nplurals=");
	if (!p || p[9] < '1' || p[9] > '9' || (p[10] >= '0' && p[10] <= '9'))
		return byod_err_set(err, EINVAL, "Plural-Forms: nplurals is not 1 to 9");
	pl->nplurals = (unsigned long)(p[9] - '0');
	p = strstr(expr, "plural=");
	if (!p)
		return byod_err_set(err, EINVAL, "Plural-Forms: no plural= expression");
	pp.s = p + 7;
	pl->root = p_cond(&pp);
	skip_ws(&pp);
	if (*pp.s == ';')
		pp.s++;
	skip_ws(&pp);
	if (pp.bad || *pp.s) {
		memset(pl->node, 0, sizeof(pl->node));
		pl->n = 0;
		return byod_err_set(err, EINVAL,
				    "Plural-Forms: the plural expression does not parse "
				    "(or has over %d operations)",
				    PLURAL_NODES);
	}
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
	size_t idlen, slen;
	int rc;

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
		id = string_at(m, c->blob, orig, i, &idlen);
		str = string_at(m, c->blob, trans, i, &slen);
		if (!id || !str)
			return byod_err_set(err, EINVAL, "string %u runs past the end of the file",
					    i);
		if (!*id) {
			if (!charset_ok(str))
				return byod_err_set(err, EINVAL, "the catalogue is not in UTF-8");
			rc = plural_header(str, &c->plural, err);
			if (rc)
				return rc;
			continue; /* the header is not a message */
		}
		if (!*str)
			continue; /* untranslated: the msgid is shown, as gettext does */
		c->v[c->n].id = id;
		c->v[c->n].str = str;
		c->v[c->n].len = slen;
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

const char *web_i18n_nget(const struct web_i18n *i18n, const char *lang, const char *msgid,
			  const char *msgid_plural, unsigned long n)
{
	const struct cat *c = find_cat(i18n, lang);
	const struct msg key = {.id = msgid}, *m;
	const char *form, *end;
	unsigned long k;

	if (!msgid)
		return "";
	m = c ? bsearch(&key, c->v, c->n, sizeof(*c->v), msg_cmp) : NULL;
	if (!m)
		return n == 1 || !msgid_plural ? msgid : msgid_plural;
	/* form k is after k NULs, all inside the translation's length */
	form = m->str;
	end = m->str + m->len;
	for (k = plural_eval(&c->plural, n); k; k--) {
		form += strlen(form) + 1;
		if (form > end)
			return m->str; /* fewer forms than the rule names: the first */
	}
	return form;
}

int web_i18n_has(const struct web_i18n *i18n, const char *lang)
{
	return find_cat(i18n, lang) != NULL;
}
