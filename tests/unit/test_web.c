// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the portal's pure building blocks: the escaping HTML
 * builder, the .mo catalogue reader (real msgfmt output, both byte orders,
 * every truncation, corruptions) with Accept-Language negotiation and the
 * shipped fr/en catalogues, User-Agent detection on real headers, the
 * login throttle at each boundary, and the random tokens.
 */
#define _GNU_SOURCE /* nftw (rmtree.h), environ */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "byod_util.h"
#include "html.h"
#include "i18n.h"
#include "throttle.h"
#include "token.h"
#include "useragent.h"
#include "rmtree.h"

static char tmpdir[512];

static int setup(void **state)
{
	const char *base = getenv("BYOD_TEST_TMP");

	snprintf(tmpdir, sizeof(tmpdir), "%s/portal.XXXXXX", base ? base : "/tmp");
	mkdir(base ? base : "/tmp", 0755);
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	return test_rmtree(tmpdir);
}

/* The source tree: $BYOD_SRC, else found from this file's path. */
static const char *src_dir(void)
{
	static char dir[1024];
	const char *env = getenv("BYOD_SRC");
	char *p;

	if (env)
		return env;
	snprintf(dir, sizeof(dir), "%s", __FILE__);
	p = strstr(dir, "tests/unit/");
	if (p && p > dir)
		p[-1] = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	return dir;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* Runs argv[0] (found on PATH, no shell), its output and errors discarded
 * when quiet; its exit status, or -1 when it could not run. */
static int run(char *const argv[], int quiet)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status = -1, rc;

	posix_spawn_file_actions_init(&fa);
	if (quiet) {
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	}
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Runs msgfmt on po (text, or a path when text is NULL) into tmpdir/out;
 * opts: one extra option or NULL. */
static void msgfmt(const char *po_text, const char *po_path, const char *out, const char *opt)
{
	char po[700], dest[700];
	char *argv[] = { "msgfmt", "--check-format", "-o", dest, (char *)po_path, NULL, NULL };

	if (po_text) {
		snprintf(po, sizeof(po), "%s/%s.po", tmpdir, out);
		write_file(po, po_text);
		argv[4] = po;
	}
	snprintf(dest, sizeof(dest), "%s/%s", tmpdir, out);
	if (opt && *opt) {
		argv[5] = argv[4];
		argv[4] = (char *)opt;
	}
	assert_int_equal(run(argv, 0), 0);
}

static char *read_tmp(const char *name, size_t *len)
{
	char path[700], *data;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	assert_int_equal(byod_file_read(path, &data, len, NULL), 0);
	return data;
}

/* ---- HTML ---------------------------------------------------------------- */

/* The page made by text(s) alone; freed by the caller. */
static char *as_text(const char *s)
{
	struct web_html h;

	web_html_init(&h);
	web_html_text(&h, s);
	return web_html_take(&h, NULL);
}

static void expect_text(const char *in, const char *want)
{
	char *got = as_text(in);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void test_html_text(void **state)
{
	expect_text("&", "&amp;");
	expect_text("<", "&lt;");
	expect_text(">", "&gt;");
	expect_text("\"", "&quot;");
	expect_text("'", "&#39;");
	expect_text("a&b<c>d\"e'f", "a&amp;b&lt;c&gt;d&quot;e&#39;f");
	expect_text("<script>alert('x')</script>",
		    "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
	expect_text("&amp;", "&amp;amp;");
	expect_text("Collège — 😀 €", "Collège — 😀 €");
	expect_text("", "");
	expect_text(NULL, "");
}

static void test_html_utf8(void **state)
{
	static const char *const cases[][2] = {
		{"\xff", "\xef\xbf\xbd"},
		{"a\x80z", "a\xef\xbf\xbdz"},
		{"\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd"},		  /* overlong '/' */
		{"\xe0\x80\xbc", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* overlong '<' */
		{"\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* surrogate */
		{"\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
		{"\xe2\x82", "\xef\xbf\xbd\xef\xbf\xbd"}, /* cut at the end */
		{"\xe2\x82<", "\xef\xbf\xbd\xef\xbf\xbd&lt;"},
		{"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"},
		{"\xef\xbf\xbf\xf4\x8f\xbf\xbf", "\xef\xbf\xbf\xf4\x8f\xbf\xbf"}, /* edges, kept */
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_text(cases[i][0], cases[i][1]);
}

static void test_html_textf(void **state)
{
	struct web_html h;
	char big[600], *page;

	web_html_init(&h);
	web_html_textf(&h, "%s <%d>", "<b>\"'&", 42);
	page = web_html_take(&h, NULL);
	assert_string_equal(page, "&lt;b&gt;&quot;&#39;&amp; &lt;42&gt;");
	free(page);
	/* longer than the stack buffer */
	memset(big, '<', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	web_html_textf(&h, "[%s]", big);
	page = web_html_take(&h, NULL);
	assert_int_equal(strlen(page), 2 + 4 * (sizeof(big) - 1));
	assert_memory_equal(page, "[&lt;&lt;", 9);
	assert_null(strchr(page, '<'));
	free(page);
}

static void test_html_attr(void **state)
{
	static const char *const refused[] = {"",     "Value",	     "x1",	   "a b",   "a=b",
					      "on-x", "onmouseover", "onclick",	   "style", "href",
					      "src",  "action",	     "formaction", "srcdoc"};
	struct web_html h;
	size_t i, len;
	char *page;

	web_html_init(&h);
	web_html_markup(&h, "<input");
	web_html_attr(&h, "value", "\" onmouseover=\"alert(1)");
	web_html_attr(&h, "aria-label", NULL);
	web_html_markup(&h, ">");
	page = web_html_take(&h, &len);
	assert_string_equal(page,
			    "<input value=\"&quot; onmouseover=&quot;alert(1)\" aria-label=\"\">");
	assert_int_equal(len, strlen(page));
	free(page);

	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		web_html_init(&h);
		web_html_markup(&h, "<p");
		web_html_attr(&h, refused[i], "x");
		assert_int_equal(h.oom, EINVAL);
		web_html_markup(&h, ">"); /* ignored after the error */
		page = web_html_take(&h, &len);
		assert_null(page);
		assert_int_equal(len, 0);
		assert_null(h.b.p);
	}
	web_html_init(&h);
	web_html_attr(&h, NULL, "x");
	assert_null(web_html_take(&h, NULL));
}

static void test_html_url(void **state)
{
	static const char *const cases[][2] = {
		{"/", "/"},
		{"/?lang=en&x=\"1\"", "/?lang=en&amp;x=&quot;1&quot;"},
		{"https://example.org/a?b=c", "https://example.org/a?b=c"},
		{"HTTP://example.org/", "HTTP://example.org/"},
		{"javascript:alert(1)", "#"},
		{"JavaScript:alert(1)", "#"},
		{" javascript:alert(1)", "#"},
		{"java\tscript:alert(1)", "#"},
		{"//evil.example/", "#"},
		{"/\\evil.example/", "#"},
		{"/\t/evil.example/", "#"},
		{"/a b", "#"},
		{"data:text/html,<script>alert(1)</script>", "#"},
		{"vbscript:msgbox", "#"},
		{"ftp://example.org/", "#"},
		{"https:evil.example", "#"},
		{"page.html", "#"},
		{"?lang=en", "#"},
		{"", "#"},
	};
	struct web_html h;
	char want[200], *page;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		web_html_init(&h);
		web_html_url(&h, "href", cases[i][0]);
		page = web_html_take(&h, NULL);
		snprintf(want, sizeof(want), " href=\"%s\"", cases[i][1]);
		assert_non_null(page);
		assert_string_equal(page, want);
		free(page);
	}
	web_html_init(&h);
	web_html_url(&h, "src", NULL);
	page = web_html_take(&h, NULL);
	assert_string_equal(page, " src=\"#\"");
	free(page);
	web_html_init(&h);
	web_html_url(&h, "HREF", "/");
	assert_null(web_html_take(&h, NULL));
}

static void test_html_page(void **state)
{
	struct web_html h;
	size_t len = 99;
	char *page;

	web_html_init(&h);
	page = web_html_take(&h, &len); /* an empty page is "" */
	assert_string_equal(page, "");
	assert_int_equal(len, 0);
	free(page);
	web_html_markup(&h, "<h1>");
	web_html_text(&h, "Wi-Fi");
	web_html_markup(&h, "</h1>");
	page = web_html_take(&h, &len);
	assert_string_equal(page, "<h1>Wi-Fi</h1>");
	assert_int_equal(len, 14);
	assert_null(h.b.p); /* the builder gave the page away */
	web_html_free(&h);
	free(page);
	web_html_text(&h, "x"); /* re-usable, and free keeps nothing */
	web_html_free(&h);
	assert_null(h.b.p);
	web_html_free(&h);
}

/* web_html_markup takes a literal and refuses a variable at compile time. */
static void test_html_markup_literal_only(void **state)
{
	char path[1100], inc[1100], inc_common[1100], cmd[2000];
	char *version[] = { "cc", "--version", NULL };
	char *check[] = { "cc", "-fsyntax-only", inc, inc_common, path, NULL };
	const char *body[2] = {"web_html_markup(h, \"<p>\");",
			       "const char *v = \"<p>\"; web_html_markup(h, v);"};
	int i;

	if (run(version, 1) != 0)
		skip();
	snprintf(inc, sizeof(inc), "-I%s/web", src_dir());
	snprintf(inc_common, sizeof(inc_common), "-I%s/common", src_dir()); /* byod_buf.h */
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/markup%d.c", tmpdir, i);
		snprintf(cmd, sizeof(cmd),
			 "#include \"html.h\"\nvoid f(struct web_html *h);\n"
			 "void f(struct web_html *h) { %s }\n",
			 body[i]);
		write_file(path, cmd);
		assert_int_equal(run(check, 1) == 0, i == 0);
	}
}

/* ---- .mo catalogues --------------------------------------------------------- */

static void put32(unsigned char *p, uint32_t v, int big)
{
	int i;

	for (i = 0; i < 4; i++)
		p[big ? 3 - i : i] = (unsigned char)(v >> (8 * i));
}

/* A .mo file made by hand, in either byte order, with no hash table; a
 * \001 in a string stands for a NUL inside it (between a msgid and its
 * msgid_plural, between plural forms). */
static unsigned char *build_mo(const char *const (*kv)[2], uint32_t n, int big, size_t *len)
{
	size_t size = 28 + 16 * (size_t)n, off, i, j, l;
	unsigned char *b;

	for (i = 0; i < n; i++)
		size += strlen(kv[i][0]) + strlen(kv[i][1]) + 2;
	b = calloc(1, size);
	assert_non_null(b);
	put32(b, 0x950412de, big);
	put32(b + 8, n, big);
	put32(b + 12, 28, big);
	put32(b + 16, 28 + 8 * n, big);
	put32(b + 24, 28 + 16 * n, big);
	off = 28 + 16 * (size_t)n;
	for (j = 0; j < 2; j++)
		for (i = 0; i < n; i++) {
			l = strlen(kv[i][j]);
			put32(b + 28 + 8 * (j * n + i), (uint32_t)l, big);
			put32(b + 32 + 8 * (j * n + i), (uint32_t)off, big);
			memcpy(b + off, kv[i][j], l + 1);
			for (size_t k = 0; k < l; k++)
				if (b[off + k] == 1)
					b[off + k] = 0;
			off += l + 1;
		}
	*len = size;
	return b;
}

static const char *const sample[][2] = {
	{"login.button", "Se connecter"},
	{"", "Content-Type: text/plain; charset=UTF-8\n"},
	{"b", "bé"},
	{"a", "à"},
};

static const char sample_po[] =
	"msgid \"\"\nmsgstr \"Content-Type: text/plain; charset=UTF-8\\n\"\n"
	"\"Plural-Forms: nplurals=2; plural=(n > 1);\\n\"\n\n"
	"msgid \"site.title\"\nmsgstr \"Wi-Fi du collège\"\n\n"
	"msgid \"todo\"\nmsgstr \"\"\n\n"
	"msgctxt \"menu\"\nmsgid \"open\"\nmsgstr \"ouvrir\"\n\n"
	"msgid \"device\"\nmsgid_plural \"devices\"\n"
	"msgstr[0] \"appareil\"\nmsgstr[1] \"appareils\"\n";

/* Parses mo[0..len) into a new set as lang; returns the set or NULL. */
static struct web_i18n *parse_one(const char *lang, const void *mo, size_t len, int *rc)
{
	struct web_i18n *i18n = web_i18n_new();
	struct byod_err err = {0};

	assert_non_null(i18n);
	*rc = web_i18n_parse(i18n, lang, mo, len, &err);
	if (*rc) {
		assert_true(err.msg[0]);
		web_i18n_free(i18n);
		return NULL;
	}
	return i18n;
}

static void test_mo_msgfmt(void **state)
{
	struct web_i18n *i18n;
	const char *id = "todo";
	size_t len;
	char *mo;
	int rc;

	msgfmt(sample_po, NULL, "sample.mo", "");
	mo = read_tmp("sample.mo", &len);
	i18n = parse_one("fr", mo, len, &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(web_i18n_get(i18n, "fr", "site.title"), "Wi-Fi du collège");
	assert_string_equal(web_i18n_get(i18n, "fr", "menu\004open"), "ouvrir");
	assert_string_equal(web_i18n_get(i18n, "fr", "device"), "appareil");
	assert_ptr_equal(web_i18n_get(i18n, "fr", id), id); /* untranslated */
	assert_ptr_equal(web_i18n_get(i18n, "en", id), id);
	assert_ptr_equal(web_i18n_get(i18n, NULL, id), id);
	assert_string_equal(web_i18n_get(i18n, "fr", ""), "");
	assert_string_equal(web_i18n_get(i18n, "fr", NULL), "");
	assert_ptr_equal(web_i18n_get(NULL, "fr", id), id);
	assert_true(web_i18n_has(i18n, "fr"));
	assert_false(web_i18n_has(i18n, "en"));
	assert_false(web_i18n_has(i18n, "fr-FR"));
	assert_false(web_i18n_has(i18n, NULL));
	assert_int_equal(web_i18n_parse(i18n, "fr", mo, len, NULL), -EEXIST);
	assert_int_equal(web_i18n_parse(i18n, "FR", mo, len, NULL), -EINVAL);
	assert_int_equal(web_i18n_parse(i18n, "fra", mo, len, NULL), -EINVAL);
	assert_int_equal(web_i18n_parse(i18n, "f", mo, len, NULL), -EINVAL);
	assert_int_equal(web_i18n_parse(i18n, NULL, mo, len, NULL), -EINVAL);
	assert_int_equal(web_i18n_parse(i18n, "en", NULL, 0, NULL), -EINVAL);
	web_i18n_free(i18n);
	web_i18n_free(NULL);

	/* msgfmt's big-endian output */
	free(mo);
	msgfmt(sample_po, NULL, "sample-be.mo", "--endianness=big");
	mo = read_tmp("sample-be.mo", &len);
	assert_int_equal((unsigned char)mo[0], 0x95);
	i18n = parse_one("fr", mo, len, &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(web_i18n_get(i18n, "fr", "site.title"), "Wi-Fi du collège");
	web_i18n_free(i18n);
	free(mo);
}

static void test_mo_byte_orders(void **state)
{
	struct web_i18n *i18n;
	unsigned char *mo;
	size_t len;
	int big, rc;

	for (big = 0; big < 2; big++) {
		mo = build_mo(sample, 4, big, &len); /* unsorted on purpose */
		assert_int_equal(mo[0], big ? 0x95 : 0xde);
		i18n = parse_one("fr", mo, len, &rc);
		assert_int_equal(rc, 0);
		assert_string_equal(web_i18n_get(i18n, "fr", "a"), "à");
		assert_string_equal(web_i18n_get(i18n, "fr", "b"), "bé");
		assert_string_equal(web_i18n_get(i18n, "fr", "login.button"), "Se connecter");
		assert_string_equal(web_i18n_get(i18n, "fr", "c"), "c");
		web_i18n_free(i18n);
		free(mo);
	}
}

static void test_mo_truncated(void **state)
{
	size_t len, cut;
	char *mo, *part;
	int rc;

	msgfmt(sample_po, NULL, "cut.mo", "");
	mo = read_tmp("cut.mo", &len);
	for (cut = 0; cut < len; cut++) {
		part = malloc(cut ? cut : 1); /* exactly cut bytes, for ASan */
		assert_non_null(part);
		memcpy(part, mo, cut);
		assert_null(parse_one("fr", part, cut, &rc));
		assert_int_equal(rc, -EINVAL);
		free(part);
	}
	free(mo);
}

static void test_mo_corrupt(void **state)
{
	static const char *const dup[][2] = {{"a", "1"}, {"a", "2"}};
	static const char *const latin1[][2] = {
		{"", "Content-Type: text/plain; charset=ISO-8859-1\n"}, {"a", "1"}};
	static const unsigned char values[] = {0x00, 0x01, 0x7f, 0x80, 0xff};
	struct web_i18n *i18n;
	unsigned char *mo, *bad;
	size_t len, i, v;
	int rc, ok = 0;

	mo = build_mo(sample, 4, 0, &len);
	bad = malloc(len);
	assert_non_null(bad);
#define CORRUPT(stmt)                                                                              \
	do {                                                                                       \
		memcpy(bad, mo, len);                                                              \
		stmt;                                                                              \
		assert_null(parse_one("fr", bad, len, &rc));                                       \
		assert_int_equal(rc, -EINVAL);                                                     \
	} while (0)
	CORRUPT(bad[0] ^= 1);				/* magic */
	CORRUPT(put32(bad + 4, 0x20000, 0));		/* revision 2.0 */
	CORRUPT(put32(bad + 8, 0x10000000, 0));		/* count */
	CORRUPT(put32(bad + 8, 0xffffffff, 0));		/* count * 8 overflows 32 bits */
	CORRUPT(put32(bad + 12, (uint32_t)len - 4, 0)); /* original table */
	CORRUPT(put32(bad + 16, 0xfffffff8, 0));	/* translation table */
	CORRUPT(put32(bad + 28, (uint32_t)len, 0));	/* a string length */
	CORRUPT(put32(bad + 32, 0xffffffff, 0));	/* a string offset */
	CORRUPT(put32(bad + 28, 0xffffffff, 0); put32(bad + 32, 1, 0)); /* wraps in 32 bits */
	CORRUPT(bad[len - 1] = 'x');	   /* no NUL after the last string */
	CORRUPT(put32(bad + 20, 1000, 0)); /* hash table */
	CORRUPT(put32(bad + 20, 1, 0); put32(bad + 24, (uint32_t)len - 3, 0));
#undef CORRUPT
	free(bad);
	free(mo);
	mo = build_mo(dup, 2, 0, &len);
	assert_null(parse_one("fr", mo, len, &rc));
	assert_int_equal(rc, -EINVAL);
	free(mo);
	mo = build_mo(latin1, 2, 1, &len);
	assert_null(parse_one("fr", mo, len, &rc));
	assert_int_equal(rc, -EINVAL);
	free(mo);

	/* every byte of the header and tables, any value: no crash, no leak */
	mo = build_mo(sample, 4, 0, &len);
	for (i = 0; i < 28 + 16 * 4; i++)
		for (v = 0; v < sizeof(values); v++) {
			unsigned char keep = mo[i];

			mo[i] = values[v];
			i18n = parse_one("fr", mo, len, &rc);
			ok += rc == 0;
			if (i18n)
				web_i18n_get(i18n, "fr", "a");
			web_i18n_free(i18n);
			mo[i] = keep;
		}
	assert_true(ok > 0); /* some changes are harmless (a hash size of 0x80...) */
	free(mo);
}


/* ngettext: the catalogue's Plural-Forms rule picks the form. */
static const char plural_po[] =
	"msgid \"\"\nmsgstr \"Content-Type: text/plain; charset=UTF-8\\n\"\n"
	"\"Plural-Forms: nplurals=%s; plural=%s;\\n\"\n\n"
	"msgid \"login.wait\"\nmsgid_plural \"login.wait\"\n"
	"msgstr[0] \"{} seconde\"\nmsgstr[1] \"{} secondes\"\n%s\n"
	"msgid \"site.title\"\nmsgstr \"Wi-Fi\"\n";

static struct web_i18n *plural_cat(const char *name, const char *nplurals, const char *rule,
				   const char *more)
{
	char po[1024], mo_name[64];
	struct web_i18n *i18n;
	size_t len;
	char *mo;
	int rc;

	snprintf(po, sizeof(po), plural_po, nplurals, rule, more);
	snprintf(mo_name, sizeof(mo_name), "%s.mo", name);
	msgfmt(po, NULL, mo_name, "");
	mo = read_tmp(mo_name, &len);
	i18n = parse_one("fr", mo, len, &rc);
	free(mo);
	assert_int_equal(rc, 0);
	return i18n;
}

static void test_mo_plurals(void **state)
{
	struct web_i18n *i18n;
	const char *id = "login.wait";
	unsigned long n;

	/* French: 0 and 1 are singular */
	i18n = plural_cat("plural-fr", "2", "(n > 1)", "");
	assert_string_equal(web_i18n_nget(i18n, "fr", id, id, 0), "{} seconde");
	assert_string_equal(web_i18n_nget(i18n, "fr", id, id, 1), "{} seconde");
	assert_string_equal(web_i18n_nget(i18n, "fr", id, id, 2), "{} secondes");
	assert_string_equal(web_i18n_nget(i18n, "fr", id, id, 900), "{} secondes");
	assert_string_equal(web_i18n_get(i18n, "fr", id), "{} seconde"); /* the first form */
	/* a message without plural forms: its one translation whatever n */
	assert_string_equal(web_i18n_nget(i18n, "fr", "site.title", "sites", 5), "Wi-Fi");
	/* missing message or language: msgid for 1, msgid_plural otherwise */
	assert_string_equal(web_i18n_nget(i18n, "fr", "apple", "apples", 1), "apple");
	assert_string_equal(web_i18n_nget(i18n, "fr", "apple", "apples", 0), "apples");
	assert_string_equal(web_i18n_nget(i18n, "en", "apple", "apples", 2), "apples");
	assert_string_equal(web_i18n_nget(i18n, "fr", "apple", NULL, 2), "apple");
	assert_string_equal(web_i18n_nget(NULL, "fr", "apple", "apples", 2), "apples");
	assert_string_equal(web_i18n_nget(i18n, "fr", NULL, "apples", 2), "");
	web_i18n_free(i18n);

	/* English: only 1 is singular */
	i18n = plural_cat("plural-en", "2", "(n != 1)", "");
	assert_string_equal(web_i18n_nget(i18n, "fr", id, id, 0), "{} secondes");
	assert_string_equal(web_i18n_nget(i18n, "fr", id, id, 1), "{} seconde");
	assert_string_equal(web_i18n_nget(i18n, "fr", id, id, 2), "{} secondes");
	web_i18n_free(i18n);

	/* Polish, three forms, every operator class gettext's rules use */
	i18n = plural_cat("plural-pl", "3",
			  "(n==1 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2)",
			  "\nmsgid \"file\"\nmsgid_plural \"files\"\n"
			  "msgstr[0] \"plik\"\nmsgstr[1] \"pliki\"\nmsgstr[2] \"plików\"\n");
	static const struct {
		unsigned long n;
		const char *want;
	} pl[] = { {1, "plik"}, {2, "pliki"}, {4, "pliki"}, {5, "plików"}, {12, "plików"},
		   {22, "pliki"}, {25, "plików"}, {0, "plików"}, {104, "pliki"}, {111, "plików"} };
	for (n = 0; n < sizeof(pl) / sizeof(pl[0]); n++)
		assert_string_equal(web_i18n_nget(i18n, "fr", "file", "files", pl[n].n), pl[n].want);
	/* a two-form entry under a three-form rule: the first form, never past the end */
	assert_string_equal(web_i18n_nget(i18n, "fr", id, id, 5), "{} seconde");
	web_i18n_free(i18n);

	/* a rule that names a form past nplurals, or divides by zero: the first */
	i18n = plural_cat("plural-odd", "2", "n ? 7 : 1 / n", "");
	assert_string_equal(web_i18n_nget(i18n, "fr", id, id, 3), "{} seconde");
	assert_string_equal(web_i18n_nget(i18n, "fr", id, id, 0), "{} seconde");
	web_i18n_free(i18n);
}

/* Plural-Forms lines that do not parse are refused with the catalogue;
 * no line at all is the Germanic rule. */
static void test_mo_plural_header(void **state)
{
	static const char *const bad[] = {
		"nplurals=2; plural=(n > 1;",
		"nplurals=2; plural=n >> 1;",
		"nplurals=2; plural=;",
		"nplurals=2; plural=m;",
		"nplurals=0; plural=0;",
		"nplurals=10; plural=n;",
		"plural=n;",
		"nplurals=2;",
		"nplurals=2; plural=n ? 1;",
		"nplurals=2; plural=((((((((((((((((((((((((((n))))))))))))))))))))))))));",
		"nplurals=2; plural=!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!n;",
		"nplurals=2; plural=n+n+n+n+n+n+n+n+n+n+n+n+n+n+n+n+n+n+n+n+n+n+n+n+n+n+n+n+n+n"
		"+n+n+n+n+n+n+n+n;",
	};
	char header[512];
	const char *kv[2][2] = {
		{"", header},
		{"x\001xs", "une\001plusieurs"},
	};
	struct web_i18n *i18n;
	unsigned char *mo;
	size_t len, i;
	int rc;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(header, sizeof(header),
			 "Content-Type: text/plain; charset=UTF-8\nPlural-Forms: %s\n", bad[i]);
		mo = build_mo(kv, 2, (int)(i & 1), &len);
		i18n = parse_one("fr", mo, len, &rc);
		if (i18n)
			fail_msg("Plural-Forms '%s' was accepted", bad[i]);
		assert_int_equal(rc, -EINVAL);
		free(mo);
	}
	/* without the line: n != 1 */
	snprintf(header, sizeof(header), "Content-Type: text/plain; charset=UTF-8\n");
	mo = build_mo(kv, 2, 0, &len);
	i18n = parse_one("fr", mo, len, &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(web_i18n_nget(i18n, "fr", "x", "xs", 1), "une");
	assert_string_equal(web_i18n_nget(i18n, "fr", "x", "xs", 0), "plusieurs");
	assert_string_equal(web_i18n_get(i18n, "fr", "x"), "une");
	web_i18n_free(i18n);
	free(mo);
	/* a long but real rule (Arabic, six forms) fits */
	snprintf(header, sizeof(header),
		 "Content-Type: text/plain; charset=UTF-8\nPlural-Forms: nplurals=6; plural=(n==0 "
		 "? 0 : n==1 ? 1 : n==2 ? 2 : n%%100>=3 && n%%100<=10 ? 3 : n%%100>=11 ? 4 : 5);\n");
	mo = build_mo(kv, 2, 1, &len);
	i18n = parse_one("fr", mo, len, &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(web_i18n_nget(i18n, "fr", "x", "xs", 1), "plusieurs");
	assert_string_equal(web_i18n_nget(i18n, "fr", "x", "xs", 0), "une");
	assert_string_equal(web_i18n_nget(i18n, "fr", "x", "xs", 5), "une"); /* form 3: past the two */
	web_i18n_free(i18n);
	free(mo);
}

static void test_i18n_load(void **state)
{
	static const char *const en[][2] = {{"a", "A"}};
	static const char *const junk[] = {"README", "fra.mo", "FR.mo", "de.mo.bak", "d.mo"};
	struct web_i18n *i18n;
	struct byod_err err;
	char dir[700], path[800];
	unsigned char *mo;
	size_t len, i;

	snprintf(dir, sizeof(dir), "%s/locale", tmpdir);
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(web_i18n_load(dir, &i18n, &err), -ENOENT);
	assert_null(i18n);
	assert_non_null(strstr(err.msg, dir));
	mo = build_mo(sample, 4, 0, &len);
	snprintf(path, sizeof(path), "%s/fr.mo", dir);
	assert_int_equal(byod_file_write(path, mo, len, 0644, 0, NULL), 0);
	free(mo);
	mo = build_mo(en, 1, 1, &len);
	snprintf(path, sizeof(path), "%s/en.mo", dir);
	assert_int_equal(byod_file_write(path, mo, len, 0644, 0, NULL), 0);
	/* not catalogues by their names */
	for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, junk[i]);
		write_file(path, "not a catalogue");
	}
	assert_int_equal(web_i18n_load(dir, &i18n, &err), 0);
	assert_true(web_i18n_has(i18n, "fr") && web_i18n_has(i18n, "en"));
	assert_false(web_i18n_has(i18n, "de") || web_i18n_has(i18n, "fra"));
	assert_string_equal(web_i18n_get(i18n, "en", "a"), "A");
	assert_string_equal(web_i18n_get(i18n, "fr", "a"), "à");
	web_i18n_free(i18n);

	snprintf(path, sizeof(path), "%s/de.mo", dir);
	assert_int_equal(byod_file_write(path, mo, len - 1, 0644, 0, NULL), 0);
	free(mo);
	assert_int_equal(web_i18n_load(dir, &i18n, &err), -EINVAL);
	assert_null(i18n);
	assert_non_null(strstr(err.msg, path));

	snprintf(path, sizeof(path), "%s/missing", tmpdir);
	assert_int_equal(web_i18n_load(path, &i18n, &err), -ENOENT);
}

static void test_negotiate(void **state)
{
	static const char *const one[][2] = {{"a", "A"}};
	static const char *const cases[][2] = {
		{"fr-FR,fr;q=0.9,en;q=0.8", "fr"},
		{"en-GB,en;q=0.9", "en"},
		{"de-DE,de;q=0.9,en;q=0.5", "en"},
		{"de", "xx"},
		{"en;q=0, fr", "fr"},
		{"", "xx"},
		{"garbage;;;,,,=", "xx"},
		{"*", "xx"},
		{"*, en;q=0.1", "en"},
		{"EN-us", "en"},
		{" fr-CA ;q=0.5 , en-US; q=0.6", "en"},
		{"fr;q=0.5,en;q=0.5", "fr"}, /* a tie goes to the first */
		{"en;q=0.500,fr;q=0.499", "en"},
		{"en;q=1.5", "xx"},
		{"en;q=0.1234", "xx"},
		{"en;q=1.000, fr", "en"},
		{"en;q=1.001, fr;q=0.2", "fr"},
		{"en;level=1", "xx"},
		{"en q=0.5", "xx"},
		{"fr-, en;q=0.1", "en"},
		{"fra, en;q=0.1", "en"},
		{"zh-Hant-TW, en;q=0.2", "en"},
		{"x-verylongtag9, fr;q=0.3", "fr"},
		{"en;q=1., fr", "en"},
		{"en;q=0., fr;q=0.001", "fr"},
		{"en;q=", "xx"},
		{"\xc3\xa9, fr", "fr"},
	};
	struct web_i18n *i18n = web_i18n_new();
	unsigned char *mo;
	const char *got;
	size_t len, i;

	mo = build_mo(one, 1, 0, &len);
	assert_int_equal(web_i18n_parse(i18n, "fr", mo, len, NULL), 0);
	assert_int_equal(web_i18n_parse(i18n, "en", mo, len, NULL), 0);
	free(mo);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = web_i18n_negotiate(i18n, cases[i][0], "xx");
		if (strcmp(got, cases[i][1]))
			fail_msg("\"%s\": got %s, want %s", cases[i][0], got, cases[i][1]);
		if (strcmp(got, "xx"))
			assert_true(web_i18n_has(i18n, got));
	}
	assert_string_equal(web_i18n_negotiate(i18n, NULL, "fr"), "fr");
	assert_null(web_i18n_negotiate(i18n, "de", NULL));
	assert_string_equal(web_i18n_negotiate(NULL, "en", "fr"), "fr");
	web_i18n_free(i18n);
}

/* The msgids of a .po file (single-line, as ours are), "" excluded. */
static size_t po_msgids(const char *path, char ids[][64], size_t max)
{
	char *text, *p, *q;
	size_t len, n = 0;

	assert_int_equal(byod_file_read(path, &text, &len, NULL), 0);
	for (p = text; (p = strstr(p, "\nmsgid \"")); p = q) {
		p += 8;
		q = strchr(p, '"');
		assert_non_null(q);
		if (q == p)
			continue;
		assert_true(n < max && (size_t)(q - p) < 64);
		memcpy(ids[n], p, (size_t)(q - p));
		ids[n++][q - p] = '\0';
	}
	free(text);
	return n;
}

/* Every T("key") the portal's pages ask for is in both catalogues, so no
 * pupil ever reads a msgid. */
static void code_keys_translated(const struct web_i18n *i18n)
{
	static const char *const files[] = { "pages.c", "devices.c", "page_enrol.c", "code.c", "routes.c" };
	char path[1100], key[64], *text, *p, *q;
	size_t i, len, found = 0;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/enrol-portal/%s", src_dir(), files[i]);
		assert_int_equal(byod_file_read(path, &text, &len, NULL), 0);
		for (p = text; (p = strstr(p, "T(\"")); p = q) {
			p += 3;
			q = strchr(p, '"');
			assert_non_null(q);
			if (q - p == 0 || q - p >= (long)sizeof(key) || memchr(p, '%', (size_t)(q - p)))
				continue;
			memcpy(key, p, (size_t)(q - p));
			key[q - p] = '\0';
			if (!strcmp(web_i18n_get(i18n, "fr", key), key) ||
			    !strcmp(web_i18n_get(i18n, "en", key), key))
				fail_msg("%s asks for '%s', which a catalogue lacks", files[i], key);
			found++;
		}
		free(text);
	}
	assert_true(found > 50);
}

static void test_real_catalogues(void **state)
{
	static const char *const required[] = {
		"site.title",	   "captive.heading", "captive.intro",	 "login.button",
		"login.user",	   "login.password",  "lang.switch",	 "error.400.title",
		"error.403.title", "error.404.title", "error.405.title", "error.413.title",
		"error.429.title", "error.500.title", "error.back"};
	static const char *const langs[2] = {"fr", "en"};
	static char ids[2][256][64];
	struct web_i18n *i18n;
	struct byod_err err;
	char po[1200], dir[700], out[32];
	size_t n[2], i;
	int l;

	snprintf(dir, sizeof(dir), "%s/real", tmpdir);
	assert_int_equal(mkdir(dir, 0755), 0);
	for (l = 0; l < 2; l++) {
		snprintf(po, sizeof(po), "%s/enrol-portal/po/%s.po", src_dir(), langs[l]);
		snprintf(out, sizeof(out), "real/%s.mo", langs[l]);
		msgfmt(NULL, po, out, "--check");
		n[l] = po_msgids(po, ids[l], 256);
	}
	if (web_i18n_load(dir, &i18n, &err))
		fail_msg("%s", err.msg);
	for (l = 0; l < 2; l++)
		for (i = 0; i < n[l]; i++) {
			/* present and translated in both: not the msgid pointer back */
			if (web_i18n_get(i18n, "fr", ids[l][i]) == ids[l][i] ||
			    web_i18n_get(i18n, "en", ids[l][i]) == ids[l][i])
				fail_msg("%s is missing from a catalogue", ids[l][i]);
		}
	assert_int_equal(n[0], n[1]);
	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!strcmp(web_i18n_get(i18n, "fr", required[i]),
			    web_i18n_get(i18n, "en", required[i])))
			fail_msg("%s is not translated", required[i]);
	assert_string_equal(web_i18n_get(i18n, "fr", "site.title"), "Wi-Fi du collège");
	assert_string_equal(web_i18n_get(i18n, "en", "login.button"), "Log in");
	assert_string_equal(web_i18n_get(i18n, "fr", "lang.switch"), "English");
	assert_string_equal(web_i18n_get(i18n, "en", "lang.switch"), "Français");
	code_keys_translated(i18n);
	web_i18n_free(i18n);
}

/* ---- User-Agent ------------------------------------------------------------- */

static void test_useragent(void **state)
{
	static const struct {
		const char *ua;
		enum web_platform p;
		const char *kind;
	} cases[] = {
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
		 "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
		 WEB_PLATFORM_IPHONE, "phone"},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
		 "(KHTML, like Gecko) CriOS/125.0.6422.80 Mobile/15E148 Safari/604.1",
		 WEB_PLATFORM_IPHONE, "phone"},
		{"Mozilla/5.0 (iPad; CPU OS 12_5_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
		 "like Gecko) Version/12.1.2 Mobile/15E148 Safari/604.1",
		 WEB_PLATFORM_IPAD, "tablet"},
		/* iPadOS 13+ desktop mode: indistinguishable from a Mac */
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, "
		 "like Gecko) Version/17.4 Safari/605.1.15",
		 WEB_PLATFORM_MAC, "laptop"},
		{"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
		 "Chrome/125.0.0.0 Mobile Safari/537.36",
		 WEB_PLATFORM_ANDROID, "phone"},
		{"Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 (KHTML, like Gecko) "
		 "Chrome/124.0.0.0 Safari/537.36",
		 WEB_PLATFORM_ANDROID, "tablet"},
		{"Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S921B) AppleWebKit/537.36 (KHTML, "
		 "like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36",
		 WEB_PLATFORM_ANDROID, "phone"},
		{"Mozilla/5.0 (Android 14; Mobile; rv:126.0) Gecko/126.0 Firefox/126.0",
		 WEB_PLATFORM_ANDROID, "phone"},
		{"Mozilla/5.0 (Android 14; Tablet; rv:126.0) Gecko/126.0 Firefox/126.0",
		 WEB_PLATFORM_ANDROID, "tablet"},
		{"Dalvik/2.1.0 (Linux; U; Android 13; Pixel 7 Build/TQ3A.230805.001)",
		 WEB_PLATFORM_ANDROID, "phone"},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
		 "Chrome/125.0.0.0 Safari/537.36 Edg/125.0.0.0",
		 WEB_PLATFORM_WINDOWS, "laptop"},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
		 "Chrome/125.0.0.0 Safari/537.36",
		 WEB_PLATFORM_WINDOWS, "laptop"},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:126.0) Gecko/20100101 Firefox/126.0",
		 WEB_PLATFORM_WINDOWS, "laptop"},
		{"Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0",
		 WEB_PLATFORM_LINUX, "laptop"},
		{"Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) "
		 "Chrome/125.0.0.0 Safari/537.36",
		 WEB_PLATFORM_CHROMEOS, "laptop"},
		{"CaptiveNetworkSupport-481.0.1 wispr", WEB_PLATFORM_UNKNOWN, "other"},
		{"Mozilla/5.0 (Windows Phone 10.0; Android 6.0.1; Microsoft; Lumia 950) "
		 "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/52.0.2743.116 Mobile Safari/537.36 "
		 "Edge/15.15063",
		 WEB_PLATFORM_UNKNOWN, "other"},
		{"curl/8.5.0", WEB_PLATFORM_UNKNOWN, "other"},
		{"", WEB_PLATFORM_UNKNOWN, "other"},
		{NULL, WEB_PLATFORM_UNKNOWN, "other"},
	};
	static const char *const names[] = {"unknown", "iphone",  "ipad",  "mac",
					    "android", "windows", "linux", "chromeos"};
	static const char *const kinds[] = {"other", "phone",  "tablet", "laptop",
					    "phone", "laptop", "laptop", "laptop"};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (web_ua_platform(cases[i].ua) != cases[i].p)
			fail_msg("%s: got %s", cases[i].ua,
				 web_platform_name(web_ua_platform(cases[i].ua)));
		assert_string_equal(web_ua_kind(cases[i].ua), cases[i].kind);
	}
	for (i = 0; i < 8; i++) {
		assert_string_equal(web_platform_name((enum web_platform)i), names[i]);
		assert_string_equal(web_platform_kind((enum web_platform)i), kinds[i]);
	}
	assert_string_equal(web_platform_name((enum web_platform)99), "unknown");
	assert_string_equal(web_platform_kind((enum web_platform)99), "other");
}

/* ---- throttle --------------------------------------------------------------- */

static void test_throttle_default(void **state)
{
	const struct web_throttle_rule *r = &web_throttle_default;
	static const int delays[] = {0, 0, 0, 1, 2, 4, 8, 16, 32}; /* after failures 1..9 */
	struct web_throttle_state s = {0};
	time_t t = 1800000000;
	int i;

	assert_int_equal(web_throttle_wait(r, &s, t), 0);
	for (i = 0; i < 9; i++) {
		web_throttle_failure(r, &s, t);
		assert_int_equal(s.failures, i + 1);
		assert_int_equal(web_throttle_wait(r, &s, t), delays[i]);
		if (delays[i]) {
			assert_int_equal(web_throttle_wait(r, &s, t + delays[i] - 1), 1);
			assert_int_equal(web_throttle_wait(r, &s, t + delays[i]), 0);
		}
		t += delays[i];
	}
	/* the 10th locks for 15 minutes, to the second */
	web_throttle_failure(r, &s, t);
	assert_int_equal(web_throttle_wait(r, &s, t), 900);
	assert_int_equal(web_throttle_wait(r, &s, t + 899), 1);
	assert_int_equal(web_throttle_wait(r, &s, t + 900), 0);
	assert_false(web_throttle_idle(r, &s, t + 899));
	/* after the lock, every failure locks again */
	t += 900;
	web_throttle_failure(r, &s, t);
	assert_int_equal(s.failures, 11);
	assert_int_equal(web_throttle_wait(r, &s, t), 900);
	/* forgotten an hour after the last failure, not a second earlier */
	assert_false(web_throttle_idle(r, &s, t + 3599));
	assert_true(web_throttle_idle(r, &s, t + 3600));
	assert_int_equal(web_throttle_wait(r, &s, t + 3600), 0);
	web_throttle_failure(r, &s, t + 3600);
	assert_int_equal(s.failures, 1);
	assert_int_equal(s.locked_until, 0);
	assert_int_equal(web_throttle_wait(r, &s, t + 3600), 0);
	/* one second short of forgetting, the count goes on */
	s = (struct web_throttle_state){.failures = 3, .last_failure = t};
	web_throttle_failure(r, &s, t + 3599);
	assert_int_equal(s.failures, 4);
	assert_int_equal(web_throttle_wait(r, &s, t + 3599), 1);
	web_throttle_success(&s);
	assert_int_equal(s.failures, 0);
	assert_int_equal(s.last_failure, 0);
	assert_int_equal(s.locked_until, 0);
	assert_int_equal(web_throttle_wait(r, &s, t), 0);
	assert_true(web_throttle_idle(r, &s, t));
}

static void test_throttle_edges(void **state)
{
	const struct web_throttle_rule nolock = {3, 1, 60, 0, 900, 3600};
	const struct web_throttle_rule longlock = {0, 5, 5, 1, 7200, 3600};
	const struct web_throttle_rule negative = {-1, -1, -1, -1, -1, -1};
	const struct web_throttle_rule *r = &web_throttle_default;
	struct web_throttle_state s = {0};
	time_t t = 1800000000;
	int i;

	/* 1, 2, 4, ..., 32, then 64 capped at 60, and still 60 far beyond */
	for (i = 1; i <= 10; i++)
		web_throttle_failure(&nolock, &s, t);
	assert_int_equal(s.locked_until, 0);
	assert_int_equal(web_throttle_wait(&nolock, &s, t), 60);
	s.failures = 40;
	assert_int_equal(web_throttle_wait(&nolock, &s, t), 60);
	s.failures = 2147483647;
	web_throttle_failure(&nolock, &s, t);
	assert_int_equal(s.failures, 2147483647);
	assert_int_equal(web_throttle_wait(&nolock, &s, t + 59), 1);

	/* a clock set back never shortens nor stretches a wait */
	s = (struct web_throttle_state){0};
	for (i = 0; i < 6; i++)
		web_throttle_failure(r, &s, t);
	assert_int_equal(web_throttle_wait(r, &s, t - 100000), 4);
	for (i = 0; i < 4; i++)
		web_throttle_failure(r, &s, t);
	assert_int_equal(web_throttle_wait(r, &s, t - 100000), 900);
	assert_false(web_throttle_idle(r, &s, t - 100000));

	/* a lock longer than the forgetting time holds to its end */
	s = (struct web_throttle_state){0};
	web_throttle_failure(&longlock, &s, t);
	assert_true(web_throttle_wait(&longlock, &s, t + 3600) == 3600);
	assert_false(web_throttle_idle(&longlock, &s, t + 7199));
	assert_int_equal(web_throttle_wait(&longlock, &s, t + 7200), 0);
	assert_true(web_throttle_idle(&longlock, &s, t + 7200));

	/* negative settings count as 0: no delay, no lock, forget at once */
	s = (struct web_throttle_state){0};
	for (i = 0; i < 20; i++)
		web_throttle_failure(&negative, &s, t);
	assert_int_equal(web_throttle_wait(&negative, &s, t), 0);
	assert_int_equal(s.locked_until, 0);

	/* at the end of time_t a lock cannot wrap into the past */
	s = (struct web_throttle_state){.failures = 9, .last_failure = (time_t)INT64_MAX - 20};
	web_throttle_failure(r, &s, (time_t)INT64_MAX - 10);
	assert_true(s.locked_until >= (time_t)INT64_MAX - 10);
	assert_int_equal(web_throttle_wait(r, &s, (time_t)INT64_MAX - 10), 10);
	s = (struct web_throttle_state){.failures = 5, .last_failure = (time_t)INT64_MIN};
	assert_int_equal(web_throttle_wait(r, &s, (time_t)INT64_MAX), 0);
}

/* A failure counted in advance and taken back: the count goes down by one,
 * never below zero, and a running lock stays. */
static void test_throttle_refund(void **state)
{
	const struct web_throttle_rule *r = &web_throttle_default;
	struct web_throttle_state s = {0};
	const time_t t = 1700000000;
	int i;

	(void)state;
	web_throttle_refund(&s);
	assert_int_equal(s.failures, 0);
	for (i = 0; i < 4; i++)
		web_throttle_failure(r, &s, t);
	assert_int_equal(web_throttle_wait(r, &s, t), 1);
	web_throttle_refund(&s);
	assert_int_equal(s.failures, 3);
	assert_int_equal(web_throttle_wait(r, &s, t), 0);
	for (i = 0; i < 7; i++)
		web_throttle_failure(r, &s, t);
	assert_int_equal(web_throttle_wait(r, &s, t), 900);
	web_throttle_refund(&s);
	assert_int_equal(s.failures, 9);
	assert_int_equal(web_throttle_wait(r, &s, t), 900);
}

/* ---- tokens ----------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

static void test_token(void **state)
{
	static const char b64url[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	static char t[1000][44];
	char other[44];
	size_t i;

	for (i = 0; i < 1000; i++) {
		assert_int_equal(web_token_new(t[i]), 0);
		assert_int_equal(strlen(t[i]), 43);
		assert_int_equal(strspn(t[i], b64url), 43);
		assert_true(web_token_valid(t[i]));
		/* 256 bits in 43 characters: the last one carries 4 bits and two zeros */
		assert_int_equal((strchr(b64url, t[i][42]) - b64url) % 4, 0);
	}
	qsort(t, 1000, sizeof(t[0]), cmp_str);
	for (i = 1; i < 1000; i++)
		assert_int_not_equal(strcmp(t[i - 1], t[i]), 0);

	assert_false(web_token_valid(NULL));
	assert_false(web_token_valid(""));
	memcpy(other, t[0], 44);
	other[42] = '\0';
	assert_false(web_token_valid(other));					  /* 42 */
	assert_false(web_token_valid("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")); /* 44 */
	assert_true(web_token_valid("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
	assert_false(web_token_valid("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+"));
	assert_false(web_token_valid("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/"));
	assert_false(web_token_valid("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="));

	memcpy(other, t[0], 44);
	assert_true(web_token_equal(t[0], other));
	assert_false(web_token_equal(t[0], t[1]));
	other[0] = other[0] == 'A' ? 'B' : 'A';
	assert_false(web_token_equal(t[0], other));
	memcpy(other, t[0], 44);
	other[42] = other[42] == 'A' ? 'E' : 'A';
	assert_false(web_token_equal(t[0], other));
	assert_false(web_token_equal("abc", "abc"));
	assert_false(web_token_equal(NULL, t[0]));
	assert_false(web_token_equal(t[0], NULL));
	assert_false(web_token_equal(NULL, NULL));
}

/* What only a token's holder can make or read: the derived id and the
 * sealed data change with the token and the label, and sealed data opens
 * only with the same token, label and aad, and not after any change. */
static void test_token_seal(void **state)
{
	static const char msg[] = "passphrase\0tokens";
	char a[44], b[44], ida[65], idb[65], id2[65];
	unsigned char *sealed, *other;
	size_t len, olen, i;
	char *opened;

	assert_int_equal(web_token_new(a), 0);
	assert_int_equal(web_token_new(b), 0);
	assert_int_equal(web_token_derive(a, "view", ida), 0);
	assert_int_equal(strlen(ida), 64);
	assert_int_equal(web_token_derive(a, "view", id2), 0);
	assert_string_equal(ida, id2);
	assert_int_equal(web_token_derive(b, "view", idb), 0);
	assert_string_not_equal(ida, idb);
	assert_int_equal(web_token_derive(a, "other", id2), 0);
	assert_string_not_equal(ida, id2);
	assert_int_equal(web_token_hash(a, id2), 0);
	assert_string_not_equal(ida, id2); /* not what the registry keeps */
	assert_int_equal(web_token_derive("short", "view", id2), -EINVAL);
	assert_string_equal(id2, "");
	assert_int_equal(web_token_derive(a, NULL, id2), -EINVAL);

	assert_int_equal(web_token_seal(a, "view", "device-1", msg, sizeof(msg), &sealed, &len), 0);
	assert_int_equal(len, sizeof(msg) + 28);
	assert_null(memmem(sealed, len, "passphrase", 10));
	assert_int_equal(web_token_open(a, "view", "device-1", sealed, len, &opened, &olen), 0);
	assert_int_equal(olen, sizeof(msg));
	assert_memory_equal(opened, msg, sizeof(msg));
	assert_int_equal(opened[olen], '\0');
	free(opened);
	/* a second seal of the same bytes differs (a new nonce) and opens alike */
	assert_int_equal(web_token_seal(a, "view", "device-1", msg, sizeof(msg), &other, &olen), 0);
	assert_int_equal(olen, len);
	assert_memory_not_equal(other, sealed, len);
	free(other);
	/* another token, label or aad: refused */
	assert_int_equal(web_token_open(b, "view", "device-1", sealed, len, &opened, &olen), -EBADMSG);
	assert_null(opened);
	assert_int_equal(web_token_open(a, "viex", "device-1", sealed, len, &opened, &olen), -EBADMSG);
	assert_int_equal(web_token_open(a, "view", "device-2", sealed, len, &opened, &olen), -EBADMSG);
	assert_int_equal(web_token_open(a, "view", NULL, sealed, len, &opened, &olen), -EBADMSG);
	/* any byte changed, or cut short: refused */
	for (i = 0; i < len; i++) {
		sealed[i] ^= 0x20;
		assert_int_equal(web_token_open(a, "view", "device-1", sealed, len, &opened, &olen),
				 -EBADMSG);
		sealed[i] ^= 0x20;
	}
	for (i = 0; i < len; i++)
		assert_int_equal(web_token_open(a, "view", "device-1", sealed, i, &opened, &olen),
				 -EBADMSG);
	assert_int_equal(web_token_open(a, "view", "device-1", NULL, 0, &opened, &olen), -EBADMSG);
	assert_int_equal(web_token_open("bad", "view", NULL, sealed, len, &opened, &olen), -EINVAL);
	assert_int_equal(web_token_seal("bad", "view", NULL, msg, 1, &other, &olen), -EINVAL);
	assert_null(other);
	free(sealed);
	/* nothing to seal is still sealed (and opens to nothing) */
	assert_int_equal(web_token_seal(a, "view", NULL, "", 0, &sealed, &len), 0);
	assert_int_equal(len, 28);
	assert_int_equal(web_token_open(a, "view", "", sealed, len, &opened, &olen), 0);
	assert_int_equal(olen, 0);
	free(opened);
	free(sealed);
}

/* The login page's stateless form token: good with its key and cookie until
 * it expires, refused with another key, another cookie, any character
 * changed, cut or lengthened; a token made outside (Python's hmac, the
 * format as token.h documents it) is read alike. */
static void test_form_token(void **state)
{
	static const char key[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	static const char other_key[] = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";
	/* version 1, expires 2000000000, nonce 00 01 .. 0f, bound to binding */
	static const char known[] = "AQAAAAB3NZQAAAECAwQFBgcICQoLDA0OD2TorEBFYLJ7mxIyoSutFUmoNrOQZSyC_m8b23W5VfvI";
	static const char binding[] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB";
	char a[44], b[44], t[WEB_FORM_TOKEN_LEN + 1], u[WEB_FORM_TOKEN_LEN + 1];
	char bad[WEB_FORM_TOKEN_LEN + 2];
	size_t kl = strlen(key), i;
	long long now = 1800000000;

	assert_int_equal(web_token_new(a), 0);
	assert_int_equal(web_token_new(b), 0);
	assert_int_equal(web_form_token_new(key, kl, a, now + 600, t), 0);
	assert_int_equal(strlen(t), WEB_FORM_TOKEN_LEN);
	for (i = 0; t[i]; i++) /* goes into a form field and a URL unescaped */
		assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				       "0123456789-_", t[i]));
	assert_int_equal(web_form_token_check(key, kl, a, t, now), 0);
	assert_int_equal(web_form_token_check(key, kl, a, t, now + 599), 0);
	/* good again: nothing is used up */
	assert_int_equal(web_form_token_check(key, kl, a, t, now), 0);
	/* expired: at its second and after */
	assert_int_equal(web_form_token_check(key, kl, a, t, now + 600), -EKEYEXPIRED);
	assert_int_equal(web_form_token_check(key, kl, a, t, now + 86400), -EKEYEXPIRED);
	/* another browser's cookie, another key, no cookie */
	assert_int_equal(web_form_token_check(key, kl, b, t, now), -EACCES);
	assert_int_equal(web_form_token_check(other_key, kl, a, t, now), -EACCES);
	assert_int_equal(web_form_token_check(key, kl, NULL, t, now), -EACCES);
	assert_int_equal(web_form_token_check(key, kl, "", t, now), -EACCES);
	/* two tokens for one cookie differ (the nonce) and are both good */
	assert_int_equal(web_form_token_new(key, kl, a, now + 600, u), 0);
	assert_string_not_equal(t, u);
	assert_int_equal(web_form_token_check(key, kl, a, u, now), 0);
	/* any character changed: refused (the last one's low bits are data too:
	 * 57 bytes are exactly 76 characters) */
	for (i = 0; i < WEB_FORM_TOKEN_LEN; i++) {
		memcpy(bad, t, sizeof(t));
		bad[i] = bad[i] == 'A' ? 'B' : 'A';
		assert_int_equal(web_form_token_check(key, kl, a, bad, now), -EACCES);
		bad[i] = '.';
		assert_int_equal(web_form_token_check(key, kl, a, bad, now), -EACCES);
	}
	/* cut short, lengthened, empty, NULL, a session's 43-character token */
	for (i = 0; i < WEB_FORM_TOKEN_LEN; i++) {
		memcpy(bad, t, i);
		bad[i] = '\0';
		assert_int_equal(web_form_token_check(key, kl, a, bad, now), -EACCES);
	}
	snprintf(bad, sizeof(bad), "%sA", t);
	assert_int_equal(web_form_token_check(key, kl, a, bad, now), -EACCES);
	assert_int_equal(web_form_token_check(key, kl, a, NULL, now), -EACCES);
	assert_int_equal(web_form_token_check(key, kl, a, b, now), -EACCES);
	/* a key too short is refused both ways; so is a bad cookie or expiry */
	assert_int_equal(web_form_token_new(key, WEB_FORM_KEY_MIN - 1, a, now, u), -EINVAL);
	assert_string_equal(u, "");
	assert_int_equal(web_form_token_check(key, WEB_FORM_KEY_MIN - 1, a, t, now), -EINVAL);
	assert_int_equal(web_form_token_new(NULL, kl, a, now, u), -EINVAL);
	assert_int_equal(web_form_token_new(key, kl, "short", now, u), -EINVAL);
	assert_int_equal(web_form_token_new(key, kl, a, 0, u), -EINVAL);
	/* a token with a past expiry is genuine but expired */
	assert_int_equal(web_form_token_new(key, kl, a, now - 1, u), 0);
	assert_int_equal(web_form_token_check(key, kl, a, u, now), -EKEYEXPIRED);

	/* made by another implementation of the documented format */
	assert_int_equal(web_form_token_check(key, kl, binding, known, 1999999999), 0);
	assert_int_equal(web_form_token_check(key, kl, binding, known, 2000000000), -EKEYEXPIRED);
	assert_int_equal(web_form_token_check(key, kl, a, known, 1999999999), -EACCES);
	assert_int_equal(web_form_token_check(other_key, kl, binding, known, 1999999999), -EACCES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html_text),
		cmocka_unit_test(test_html_utf8),
		cmocka_unit_test(test_html_textf),
		cmocka_unit_test(test_html_attr),
		cmocka_unit_test(test_html_url),
		cmocka_unit_test(test_html_page),
		cmocka_unit_test(test_html_markup_literal_only),
		cmocka_unit_test(test_mo_msgfmt),
		cmocka_unit_test(test_mo_byte_orders),
		cmocka_unit_test(test_mo_truncated),
		cmocka_unit_test(test_mo_corrupt),
		cmocka_unit_test(test_mo_plurals),
		cmocka_unit_test(test_mo_plural_header),
		cmocka_unit_test(test_i18n_load),
		cmocka_unit_test(test_negotiate),
		cmocka_unit_test(test_real_catalogues),
		cmocka_unit_test(test_useragent),
		cmocka_unit_test(test_throttle_default),
		cmocka_unit_test(test_throttle_edges),
		cmocka_unit_test(test_throttle_refund),
		cmocka_unit_test(test_token),
		cmocka_unit_test(test_token_seal),
		cmocka_unit_test(test_form_token),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
