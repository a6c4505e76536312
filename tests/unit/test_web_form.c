// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for what the portal decodes from a browser: form bodies
 * (escapes, UTF-8, control characters, limits, duplicates, the byte offset
 * of each refusal), the Cookie header, request paths (traversal in every
 * spelling the server leaves), the charter checker with exact line and
 * column, the page builder's fragment door, and token hashing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "charter.h"
#include "form.h"
#include "html.h"
#include "token.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static int parse(const char *body, struct web_form *f)
{
	struct byod_err err;

	return web_form_parse(body, strlen(body), 16, f, &err);
}

/* body is refused with "byte <at>: ...<says>..." and out left empty. */
static void refused(const char *body, size_t len, size_t max, size_t at, const char *says)
{
	struct web_form f = {(struct web_form_field *)&f, 7, 7}; /* garbage in */
	struct byod_err err;
	char where[32];
	int rc;

	memset(&err, 0, sizeof(err));
	rc = web_form_parse(body, len, max, &f, &err);
	if (rc != -EINVAL)
		fail_msg("'%s' gave %d, not -EINVAL", body, rc);
	assert_null(f.f);
	assert_int_equal(f.n, 0);
	snprintf(where, sizeof(where), "byte %zu: ", at);
	if (strncmp(err.msg, where, strlen(where)) || !strstr(err.msg, says))
		fail_msg("'%s': got '%s', expected '%s...%s'", body, err.msg, where, says);
}

static void test_form_good(void **state)
{
	struct web_form f;

	(void)state;
	assert_int_equal(parse("a=1&b=two+words&c=%C3%A9t%C3%A9&d=&e&f=x%20y", &f), 0);
	assert_int_equal(f.n, 6);
	assert_string_equal(f.f[0].name, "a"); /* in the order sent */
	assert_string_equal(f.f[5].name, "f");
	assert_string_equal(web_form_get(&f, "a"), "1");
	assert_string_equal(web_form_get(&f, "b"), "two words");
	assert_string_equal(web_form_get(&f, "c"), "\xc3\xa9t\xc3\xa9"); /* été */
	assert_string_equal(web_form_get(&f, "d"), "");
	assert_string_equal(web_form_get(&f, "e"), "");
	assert_string_equal(web_form_get(&f, "f"), "x y");
	assert_null(web_form_get(&f, "z"));
	assert_null(web_form_get(&f, NULL));
	assert_null(web_form_get(NULL, "a"));
	web_form_free(&f);
	assert_null(f.f);
	assert_int_equal(f.n, 0);
	web_form_free(&f); /* twice is harmless */
	web_form_free(NULL);

	/* escapes in either case, '=' in a value, a percent-encoded name */
	assert_int_equal(parse("x=%2b%2B%26%3D&y=a=b&na%6De=v", &f), 0);
	assert_string_equal(web_form_get(&f, "x"), "++&=");
	assert_string_equal(web_form_get(&f, "y"), "a=b");
	assert_string_equal(web_form_get(&f, "name"), "v");
	web_form_free(&f);

	/* names: digits, '_', '-', 1 and 32 characters */
	assert_int_equal(parse("csrf_token-2=1&z=2&abcdefghijklmnopqrstuvwxyz012345=3", &f), 0);
	assert_int_equal(f.n, 3);
	assert_string_equal(web_form_get(&f, "abcdefghijklmnopqrstuvwxyz012345"), "3");
	web_form_free(&f);

	/* 4-byte UTF-8, TAB, U+00A0 (the first non-control after C1), U+10FFFF */
	assert_int_equal(parse("t=a%09b&u=%F0%9F%93%B1&v=%C2%A0&w=%F4%8F%BF%BF", &f), 0);
	assert_string_equal(web_form_get(&f, "t"), "a\tb");
	assert_string_equal(web_form_get(&f, "u"), "\xf0\x9f\x93\xb1");
	assert_string_equal(web_form_get(&f, "v"), "\xc2\xa0");
	assert_string_equal(web_form_get(&f, "w"), "\xf4\x8f\xbf\xbf");
	web_form_free(&f);

	/* raw UTF-8 (a browser does not send it, but it is not malformed) */
	assert_int_equal(parse("n=L\xc3\xa9o", &f), 0);
	assert_string_equal(web_form_get(&f, "n"), "L\xc3\xa9o");
	web_form_free(&f);
}

static void test_form_empty_fields(void **state)
{
	struct web_form f;

	(void)state;
	assert_int_equal(parse("", &f), 0);
	assert_int_equal(f.n, 0);
	assert_null(f.f);
	web_form_free(&f);
	assert_int_equal(parse("&&&", &f), 0);
	assert_int_equal(f.n, 0);
	web_form_free(&f);
	assert_int_equal(parse("&&a=1&&&b=2&", &f), 0);
	assert_int_equal(f.n, 2);
	assert_string_equal(web_form_get(&f, "a"), "1");
	assert_string_equal(web_form_get(&f, "b"), "2");
	web_form_free(&f);
	/* a NULL body of length 0 is an empty form */
	assert_int_equal(web_form_parse(NULL, 0, 16, &f, NULL), 0);
	assert_int_equal(f.n, 0);
}

static void test_form_newlines(void **state)
{
	struct web_form f;

	(void)state;
	/* CR LF and a lone CR become LF; LF stays; CR CR LF is two lines */
	assert_int_equal(parse("x=l1%0D%0Al2%0Dl3%0Al4%0D%0D%0Al5%0D", &f), 0);
	assert_string_equal(web_form_get(&f, "x"), "l1\nl2\nl3\nl4\n\nl5\n");
	web_form_free(&f);
	assert_int_equal(parse("x=%0D%0A", &f), 0);
	assert_string_equal(web_form_get(&f, "x"), "\n");
	web_form_free(&f);
}

static void test_form_bad_escapes(void **state)
{
	(void)state;
	refused("a=%G1", 5, 16, 2, "two hex digits");
	refused("a=%1G", 5, 16, 2, "two hex digits");
	refused("a=%4", 4, 16, 2, "two hex digits");
	refused("a=%", 3, 16, 2, "two hex digits");
	refused("a=x%", 4, 16, 3, "two hex digits");
	refused("login=x&password=%ZZ", 20, 16, 17, "two hex digits");
	refused("a%=1", 4, 16, 1, "two hex digits");
	refused("a=%%41", 6, 16, 2, "two hex digits");
	/* %00, and a NUL byte in the body itself */
	refused("a=%00", 5, 16, 2, "NUL");
	refused("a=1\0b=2", 7, 16, 3, "NUL");
	refused("a\0=1", 4, 16, 1, "NUL");
}

static void test_form_bad_utf8(void **state)
{
	(void)state;
	refused("a=1&b=%C3%28", 12, 16, 6, "not valid UTF-8 in the value of 'b'");
	refused("a=ok%C0%AF", 10, 16, 4, "not valid UTF-8");	 /* overlong '/' */
	refused("a=%E0%80%AF", 11, 16, 2, "not valid UTF-8");	 /* overlong */
	refused("a=%F0%80%80%AF", 14, 16, 2, "not valid UTF-8"); /* overlong */
	refused("a=x+y%ED%A0%80", 14, 16, 5, "not valid UTF-8"); /* surrogate */
	refused("a=%F4%90%80%80", 14, 16, 2, "not valid UTF-8"); /* > U+10FFFF */
	refused("a=%F5%80%80%80", 14, 16, 2, "not valid UTF-8");
	refused("a=%FF", 5, 16, 2, "not valid UTF-8");
	refused("a=%C3", 5, 16, 2, "not valid UTF-8");	  /* cut */
	refused("a=%E2%82", 8, 16, 2, "not valid UTF-8"); /* cut */
	refused("a=%80", 5, 16, 2, "not valid UTF-8");	  /* lone continuation */
	refused("a=\xff", 3, 16, 2, "not valid UTF-8");	  /* raw */
	/* control characters: C0 but TAB CR LF, DEL, C1 */
	refused("a=%01", 5, 16, 2, "a control character in the value of 'a'");
	refused("a=\x01", 3, 16, 2, "a control character");
	refused("a=%1B%5B", 8, 16, 2, "a control character"); /* ESC */
	refused("a=%7F", 5, 16, 2, "a control character");
	refused("a=%C2%85", 8, 16, 2, "a control character"); /* NEL */
	refused("a=%C2%9F", 8, 16, 2, "a control character");
	refused("a=%0B", 5, 16, 2, "a control character"); /* VT */
	/* the offset counts the body, escapes and all, across a CR LF */
	refused("a=b%0D%0Ac%01", 13, 16, 10, "a control character");
	refused("k=1&msg=%C3%A9+%C3%A9%FF", 24, 16, 21, "not valid UTF-8 in the value of 'msg'");
}

static void test_form_bad_names(void **state)
{
	(void)state;
	refused("A=1", 3, 16, 0, "field name that is not");
	refused("x=1&Name=1", 10, 16, 4, "field name that is not");
	refused("a b=1", 5, 16, 0, "field name that is not");
	refused("a+b=1", 5, 16, 0, "field name that is not");
	refused("=1", 2, 16, 0, "field name that is not");
	refused("x=1&=", 5, 16, 4, "field name that is not");
	refused("caf%C3%A9=1", 11, 16, 0, "field name that is not");
	refused("a.b=1", 5, 16, 0, "field name that is not");
	refused("a[]=1", 5, 16, 0, "field name that is not");
	/* 33 characters: refused at the 33rd */
	refused("abcdefghijklmnopqrstuvwxyz0123456=1", 35, 16, 32,
		"a field name longer than 32 bytes");
}

static void test_form_duplicates(void **state)
{
	(void)state;
	refused("a=1&a=2", 7, 16, 4, "the field 'a' given twice");
	refused("a=1&a", 5, 16, 4, "given twice");
	refused("na%6De=1&name=2", 15, 16, 9, "the field 'name' given twice");
	refused("x=1&y=2&x=", 10, 16, 8, "given twice");
}

/* web_form_parse_max: a text area's value past WEB_FORM_VALUE_MAX, up to its
 * own bound and not one byte more. */
static void test_form_value_max(void **state)
{
	size_t n = 3 * WEB_FORM_VALUE_MAX;
	char *body = malloc(n + 3);
	struct web_form f;
	struct byod_err err;

	(void)state;
	assert_non_null(body);
	memcpy(body, "t=", 2);
	memset(body + 2, 'y', n);
	body[n + 2] = '\0';
	assert_int_equal(web_form_parse(body, n + 2, 4, &f, &err), -EINVAL);
	assert_int_equal(web_form_parse_max(body, n + 2, 4, n, &f, &err), 0);
	assert_int_equal(strlen(web_form_get(&f, "t")), n);
	web_form_free(&f);
	assert_int_equal(web_form_parse_max(body, n + 2, 4, n - 1, &f, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "longer than"));
	assert_int_equal(f.n, 0);
	free(body);
}

static void test_form_limits(void **state)
{
	struct web_form f;
	struct byod_err err;
	char *body;
	size_t i;

	(void)state;
	/* fields: exactly max, then one more; empty fields do not count */
	assert_int_equal(web_form_parse("a=1&&b=2&", 9, 2, &f, &err), 0);
	assert_int_equal(f.n, 2);
	web_form_free(&f);
	refused("a=1&b=2&c=3", 11, 2, 8, "more than 2 fields");
	refused("a", 1, 0, 0, "more than 0 fields");
	assert_int_equal(web_form_parse("&&", 2, 0, &f, &err), 0);

	/* a value of exactly the limit, then one byte more */
	body = malloc(3 * WEB_FORM_VALUE_MAX + 16);
	assert_non_null(body);
	memcpy(body, "v=", 2);
	memset(body + 2, 'x', WEB_FORM_VALUE_MAX + 1);
	assert_int_equal(web_form_parse(body, 2 + WEB_FORM_VALUE_MAX, 16, &f, &err), 0);
	assert_int_equal(strlen(web_form_get(&f, "v")), WEB_FORM_VALUE_MAX);
	web_form_free(&f);
	refused(body, 3 + WEB_FORM_VALUE_MAX, 16, 2 + WEB_FORM_VALUE_MAX,
		"a value longer than 4096 bytes");

	/* the limit counts decoded bytes: 4096 escapes are 4096 bytes */
	for (i = 0; i < WEB_FORM_VALUE_MAX + 1; i++)
		memcpy(body + 2 + 3 * i, "%41", 3);
	assert_int_equal(web_form_parse(body, 2 + 3 * WEB_FORM_VALUE_MAX, 16, &f, &err), 0);
	assert_int_equal(strlen(web_form_get(&f, "v")), WEB_FORM_VALUE_MAX);
	web_form_free(&f);
	refused(body, 2 + 3 * (WEB_FORM_VALUE_MAX + 1), 16, 2 + 3 * WEB_FORM_VALUE_MAX,
		"a value longer than");
	free(body);

	/* err may be NULL */
	assert_int_equal(web_form_parse("A=1", 3, 16, &f, NULL), -EINVAL);
	assert_null(f.f);
}

static void test_cookie_good(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(web_cookie_get("a=1; b=2", "b", out, sizeof(out)), 0);
	assert_string_equal(out, "2");
	assert_int_equal(web_cookie_get("a=1;b=2", "a", out, sizeof(out)), 0);
	assert_string_equal(out, "1");
	assert_int_equal(web_cookie_get("a=1", "a", out, sizeof(out)), 0);
	assert_string_equal(out, "1");
	/* quoted; spaces and tabs around names, '=' and values */
	assert_int_equal(web_cookie_get("  s = \"quoted\" ; t=x", "s", out, sizeof(out)), 0);
	assert_string_equal(out, "quoted");
	assert_int_equal(web_cookie_get("t=x;\ts=\t\"\";", "s", out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(web_cookie_get("t=x;;  ;s=v", "s", out, sizeof(out)), 0);
	assert_string_equal(out, "v");
	/* a session token: base64url, and '=' inside a value */
	assert_int_equal(web_cookie_get("byod_session=Ab-_09xyz; k=a=b", "byod_session", out,
					   sizeof(out)),
			 0);
	assert_string_equal(out, "Ab-_09xyz");
	assert_int_equal(web_cookie_get("byod_session=Ab-_09xyz; k=a=b", "k", out, sizeof(out)),
			 0);
	assert_string_equal(out, "a=b");
	/* a pair without '=' is skipped */
	assert_int_equal(web_cookie_get("flag; s=v", "s", out, sizeof(out)), 0);
	assert_string_equal(out, "v");
	assert_int_equal(web_cookie_get("s=", "s", out, sizeof(out)), 0);
	assert_string_equal(out, "");
	/* what is wrong with another cookie is not this one's business */
	assert_int_equal(web_cookie_get("t=a b; s=ok; t=\"", "s", out, sizeof(out)), 0);
	assert_string_equal(out, "ok");
}

static void test_cookie_names(void **state)
{
	char out[64];

	(void)state;
	/* a longer name that starts or ends with the one asked for is another */
	assert_int_equal(web_cookie_get("ss=1; s=2", "s", out, sizeof(out)), 0);
	assert_string_equal(out, "2");
	assert_int_equal(web_cookie_get("s=2; ss=1", "s", out, sizeof(out)), 0);
	assert_string_equal(out, "2");
	assert_int_equal(web_cookie_get("xs=1", "s", out, sizeof(out)), -ENOENT);
	assert_int_equal(web_cookie_get("sx=1", "s", out, sizeof(out)), -ENOENT);
	assert_int_equal(web_cookie_get("a=s=1", "s", out, sizeof(out)), -ENOENT);
	assert_int_equal(web_cookie_get("S=1", "s", out, sizeof(out)), -ENOENT);
	/* absent */
	assert_int_equal(web_cookie_get("a=1", "s", out, sizeof(out)), -ENOENT);
	assert_string_equal(out, "");
	assert_int_equal(web_cookie_get(NULL, "s", out, sizeof(out)), -ENOENT);
	assert_int_equal(web_cookie_get("", "s", out, sizeof(out)), -ENOENT);
	assert_int_equal(web_cookie_get(" ; ;", "s", out, sizeof(out)), -ENOENT);
	assert_int_equal(web_cookie_get("s", "s", out, sizeof(out)), -ENOENT);
	assert_int_equal(web_cookie_get("s=1", "", out, sizeof(out)), -ENOENT);
	assert_int_equal(web_cookie_get("s=1", NULL, out, sizeof(out)), -ENOENT);
}

static void test_cookie_refused(void **state)
{
	static const char *const bad[] = {
		"s=1; s=2",		     /* twice: a cookie planted beside the real one */
		"s=1;s=1",		     /* even the same value */
		"s = 1; t=2; s=3", "s=a\"b", /* quote inside */
		"s=\"ab",		     /* unbalanced */
		"s=ab\"",	   "s=\"",	    "s=\"a\"b\"", "s=a b", /* space inside */
		"s=\"a b\"",	   "s=a,b",				   /* comma */
		"s=a\\b",						   /* backslash */
		"s=a\x01",						   /* control */
		"s=a\x7f",	   "s=caf\xc3\xa9",			   /* not ASCII */
	};
	char out[64];
	size_t i;

	(void)state;
	for (i = 0; i < N(bad); i++) {
		strcpy(out, "junk");
		if (web_cookie_get(bad[i], "s", out, sizeof(out)) != -EINVAL)
			fail_msg("'%s' was not refused", bad[i]);
		assert_string_equal(out, ""); /* nothing of it handed out */
	}
	/* too long: 9 bytes and a NUL fit in 10, 10 do not */
	assert_int_equal(web_cookie_get("s=012345678", "s", out, 10), 0);
	assert_string_equal(out, "012345678");
	strcpy(out, "junk");
	assert_int_equal(web_cookie_get("s=0123456789", "s", out, 10), -E2BIG);
	assert_string_equal(out, "");
	assert_int_equal(web_cookie_get("s=\"012345678\"", "s", out, 10), 0);
	assert_int_equal(web_cookie_get("s=", "s", out, 0), -E2BIG);
	assert_int_equal(web_cookie_get("s=", "s", out, 1), 0);
}

static void test_path(void **state)
{
	static const char *const good[] = {
		"/",
		"/devices",
		"/download/abc-_XYZ",
		"/download/abc-_XYZ09",
		"/static/portal.css",
		"/a.b/c~d",
		"/...",
		"/.well-known",
		"/.well-known/x",
		"/a/b/c.txt",
		"/~user",
		"/a..b",
		"/..a",
		"/a/.b",
		"/people/marie.curie@ac-aix-marseille.fr",
	};
	static const char *const bad[] = {
		"",	  "x",	       "devices",   ".",     "./x",	  "\\a",  "/a/../b",
		"/..",	  "/../",      "/a/..",	    "/.",    "/./",	  "/./x", "/a/.",
		"/a/./b", "//",	       "//x",	    "/a//b", "/a\\b",	  "/\\",  "/a b",
		"/a%2e",  "/%2e%2e/x", "/a?b",	    "/a#b",  "/a;b",	  "/a:b", "/a\n",
		"/a\r",	  "/a\t",      "/\xc3\xa9", "/\xff", "/devices/", "/a/",
	};
	char longp[600];
	size_t i;

	(void)state;
	for (i = 0; i < N(good); i++)
		if (web_path_check(good[i]))
			fail_msg("'%s' was refused", good[i]);
	for (i = 0; i < N(bad); i++)
		if (web_path_check(bad[i]) != -EINVAL)
			fail_msg("'%s' was accepted", bad[i]);
	assert_int_equal(web_path_check(NULL), -EINVAL);
	/* 512 bytes is the most */
	longp[0] = '/';
	memset(longp + 1, 'a', 512);
	longp[513] = '\0';
	assert_int_equal(web_path_check(longp), -EINVAL);
	longp[512] = '\0';
	assert_int_equal(web_path_check(longp), 0);
	/* and a long one that hides a ".." far in */
	memcpy(longp + 400, "/../", 4);
	assert_int_equal(web_path_check(longp), -EINVAL);
}

static int charter(const char *html, struct byod_err *err)
{
	return web_charter_check(html, strlen(html), err);
}

/* The starter charter byodctl init writes (core/home.c) must pass. */
static const char starter[] =
	"<h2>Charte d'usage du r\u00e9seau sans fil</h2>\n"
	"<p>En inscrivant cet appareil, je m'engage \u00e0 :</p>\n"
	"<ul>\n"
	"<li>utiliser le r\u00e9seau de l'\u00e9tablissement pour le travail scolaire ;</li>\n"
	"<li>ne pas pr\u00eater mon appareil inscrit ni son certificat ;</li>\n"
	"<li>signaler tout de suite la perte ou le vol de l'appareil "
	"(\u00ab\u00a0J'ai perdu cet appareil\u00a0\u00bb dans Mes appareils).</li>\n"
	"</ul>\n"
	"<p>L'\u00e9tablissement conserve la liste des appareils inscrits et les journaux de "
	"connexion un an, comme la loi le demande.</p>\n";

static void test_charter_good(void **state)
{
	static const char *const good[] = {
		starter,
		"",
		"plain text, x > y, \"quoted\" and 'single'",
		"<h2>Charte d'usage</h2>\n<p>En inscrivant cet appareil, j'accepte&nbsp;:</p>\n"
		"<ul>\n<li><strong>utiliser</strong> le r\xc3\xa9seau ;</li>\n"
		"<li><em>signaler</em> la perte.<br>Vite.<br/>Tr\xc3\xa8s vite.<br /></li>\n"
		"</ul>\n<ol><li>un</li>\n\t<li>deux<ul><li>deux-a</li></ul></li></ol>"
		"<blockquote><p>1 &lt; 2 &amp; 3 &gt; 2 &#233; &#xE9; &#x1F4F1; &quot;x&quot; "
		"&#39;</p>cit\xc3\xa9</blockquote>\n"
		"<p><a href=\"https://www.ac-aix-marseille.fr/charte?x=1&amp;y=2\">la "
		"<strong>charte</strong></a> et <a\nhref=\"http://example.org/\">une autre</a>.</p>"
		"<h3>a</h3><h4>b <i>c</i></h4><b>c</b><i>d</i>",
		"<p>Windows\r\nline\rendings</p>\r\n",
		"<p>x</p>",
		"<blockquote><ul><li><p>nested blocks</p><blockquote>ok</blockquote></li></ul>"
		"</blockquote>",
		"<a href=\"https://x/\xc3\xa9t\xc3\xa9\">unicode link</a>",
	};
	struct byod_err err;
	size_t i;

	(void)state;
	for (i = 0; i < N(good); i++)
		if (charter(good[i], &err))
			fail_msg("charter %zu: %d:%d: %s", i, err.line, err.col, err.msg);
	assert_int_equal(charter(starter, NULL), 0); /* err may be NULL */
	assert_int_equal(web_charter_check(NULL, 0, NULL), 0);
}

static const struct {
	const char *html;
	int line, col;
	const char *says;
} bad_charters[] = {
	/* elements, attributes, links */
	{"<p>a</p>\n<script>alert(1)</script>", 2, 1,
	 "element <script> is not allowed in the charter (allowed: p, br, ul, ol, li, strong, em, "
	 "b, i, h2, h3, h4, blockquote, a)"},
	{"<img src=\"x\">", 1, 1, "<img> is not allowed"},
	{"<p>\n\n  <iframe>", 3, 3, "<iframe> is not allowed"},
	{"<P>a</P>", 1, 1, "<P> is not allowed"},
	{"<h1>a</h1>", 1, 1, "<h1> is not allowed"},
	{"<p onclick=\"x\">a</p>", 1, 4, "attribute 'onclick' is not allowed (only href on a)"},
	{"<p style=\"color:red\">a</p>", 1, 4, "attribute 'style'"},
	{"<p\nclass=\"x\">a</p>", 2, 1, "attribute 'class'"},
	{"<a data-x=\"1\">a</a>", 1, 4, "attribute 'data-x'"},
	{"<a HREF=\"https://x\">x</a>", 1, 4, "attribute 'HREF'"},
	{"<p x>a</p>", 1, 4, "attribute 'x'"},
	{"<a href=\"javascript:alert(1)\">x</a>", 1, 10, "must start with https:// or http://"},
	{"<a href=\"HTTPS://x\">x</a>", 1, 10, "https://"},
	{"<a href=\"//evil\">x</a>", 1, 10, "https://"},
	{"<a href=\"/local\">x</a>", 1, 10, "https://"},
	{"<a href='https://x'>x</a>", 1, 8, "double quotes"},
	{"<a href=https://x>x</a>", 1, 8, "double quotes"},
	{"<a href = \"https://x\">x</a>", 1, 8, "double quotes"},
	{"<a href=\"https://x y\">x</a>", 1, 19, "spaces"},
	{"<a href=\"https://x\ty\">x</a>", 1, 19, "control"},
	{"<a href=\"https://x\x01\">x</a>", 1, 19, "control"},
	{"<a href=\"https://x\xc2\x85\">x</a>", 1, 19, "control"},
	{"<a href=\"https://x<y\">x</a>", 1, 19, "quotes, '<' or '>'"},
	{"<a href=\"https://x>x</a>", 1, 19, "quotes, '<' or '>'"},
	{"<a href=\"https://x'\">x</a>", 1, 19, "quotes"},
	{"<a href=\"https://x?a=1&b=2\">x</a>", 1, 23, "'&' in a link must be written &amp;"},
	{"<a href=\"https://x/\xff\">x</a>", 1, 20, "not valid UTF-8"},
	{"<a href=\"https://x", 1, 19, "closing '\"' is missing"},
	{"<a href=\"https://x\" href=\"https://y\">x</a>", 1, 21, "href given twice"},
	{"<a href=\"https://x\"title=\"y\">x</a>", 1, 20, "a space is needed"},
	{"<p\x01>a</p>", 1, 3, "unexpected character in the tag <p>"},
	{"<p\"x\">a</p>", 1, 3, "unexpected character"},
	{"<p", 1, 3, "the tag <p> is not finished"},
	{"<p/>", 1, 3, "only <br> may be written self-closing"},
	/* nesting */
	{"<p>a", 1, 1, "<p> is never closed"},
	{"<ul>\n<li>a</li>\n<li>b\n</ul>", 4, 1,
	 "</ul> where </li> was expected (<li> opened at line 3, column 1)"},
	{"<strong><em>a</strong></em>", 1, 14,
	 "</strong> where </em> was expected (<em> opened at line 1, column 9)"},
	{"</p>", 1, 1, "</p> closes nothing"},
	{"<p>a</p></p>", 1, 9, "</p> closes nothing"},
	{"<p>a</P>", 1, 5, "</P> where </p> was expected"},
	{"<p>a</p >", 1, 8, "'>' expected after </p"},
	{"<p>a</>", 1, 5, "'</' must close an element"},
	{"</br>", 1, 1, "<br> has no closing tag"},
	{"<p>a<br></br></p>", 1, 9, "<br> has no closing tag"},
	/* where an element may go (else a browser rebuilds the tree) */
	{"<p><ul><li>x</li></ul></p>", 1, 4, "<ul> cannot go inside <p>"},
	{"<p>a<strong>b<p>c</p></strong></p>", 1, 14, "<p> cannot go inside <strong>"},
	{"<h2><h3>x</h3></h2>", 1, 5, "<h3> cannot go inside <h2>"},
	{"<em><blockquote>x</blockquote></em>", 1, 5, "<blockquote> cannot go inside <em>"},
	{"<li>x</li>", 1, 1, "<li> must be directly inside <ul> or <ol>"},
	{"<ul><li><strong><li>x", 1, 17, "<li> cannot go inside <strong>"},
	{"<ul><li>a<li>b</li></li></ul>", 1, 10, "<li> must be directly inside"},
	{"<a href=\"https://x\">a <a href=\"https://y\">b</a></a>", 1, 23,
	 "<a> cannot go inside another <a>"},
	{"<a href=\"https://x\"><b><a>b</a></b></a>", 1, 24, "cannot go inside another <a>"},
	/* text: entities, '<', '&', control characters, UTF-8 */
	{"a & b", 1, 3, "'&' must start an entity"},
	{"a &foo; b", 1, 3, "'&' must start an entity"},
	{"a &amp b", 1, 3, "'&' must start an entity"},
	{"&AMP;", 1, 1, "'&' must start an entity"},
	{"&#;", 1, 1, "'&' must start an entity"},
	{"&#x;", 1, 1, "'&' must start an entity"},
	{"&#65", 1, 1, "'&' must start an entity"},
	{"&#000000065;", 1, 1, "'&' must start an entity"},
	{"a &#0; b", 1, 3, "&#0; is not a printable character"},
	{"&#9;", 1, 1, "not a printable character"},
	{"&#128;", 1, 1, "not a printable character"},
	{"&#x7f;", 1, 1, "not a printable character"},
	{"a &#xD800; b", 1, 3, "not a printable character"},
	{"&#x110000;", 1, 1, "not a printable character"},
	{"1 < 2", 1, 3, "'<' must start an element (write &lt;"},
	{"<?xml?>", 1, 1, "'<' must start an element"},
	{"a\x01", 1, 2, "a control character (U+0001)"},
	{"a\x7f", 1, 2, "control character (U+007F)"},
	{"a\xc2\x85", 1, 2, "control character (U+0085)"},
	{"a\x0c", 1, 2, "control character"},
	{"<p\x0c>a</p>", 1, 3, "unexpected character"},
	{"line1\nline2 \xc3\x28", 2, 7, "not valid UTF-8 (byte 0xc3)"},
	{"\xc0\xaf", 1, 1, "not valid UTF-8"},
	{"\xed\xa0\x80", 1, 1, "not valid UTF-8"},
	{"\xf4\x90\x80\x80", 1, 1, "not valid UTF-8"},
	{"<p>caf\xc3\xa9 tr\xc3\xa8s \xe2\x82\xac \xff</p>", 1, 20, "UTF-8"},
	/* comments, doctype, CDATA */
	{"<!-- x -->", 1, 1, "comments, doctypes and CDATA are not allowed"},
	{"<p>a</p>\n  <!DOCTYPE html>", 2, 3, "comments, doctypes"},
	{"<![CDATA[x]]>", 1, 1, "CDATA"},
	/* columns count bytes: é is 2, € is 3 */
	{"<p>caf\xc3\xa9 &nope;</p>", 1, 10, "'&' must start an entity"},
	{"\xe2\x82\xac\xe2\x82\xac<x>", 1, 7, "<x> is not allowed"},
	/* line endings: CR LF counts once, a lone CR is a line too */
	{"<p>a</p>\r\n<p>b</p>\r\n<hr>", 3, 1, "<hr> is not allowed"},
	{"<p>a</p>\r<hr>", 2, 1, "<hr> is not allowed"},
	{"<p>a</p>\n\r\n\r<hr>", 4, 1, "<hr> is not allowed"},
};

static void test_charter_bad(void **state)
{
	struct byod_err err;
	size_t i;

	(void)state;
	for (i = 0; i < N(bad_charters); i++) {
		memset(&err, 0, sizeof(err));
		if (charter(bad_charters[i].html, &err) != -EINVAL)
			fail_msg("'%s' was accepted", bad_charters[i].html);
		if (err.line != bad_charters[i].line || err.col != bad_charters[i].col ||
		    !strstr(err.msg, bad_charters[i].says))
			fail_msg("'%s': got %d:%d '%s', expected %d:%d '%s'", bad_charters[i].html,
				 err.line, err.col, err.msg, bad_charters[i].line,
				 bad_charters[i].col, bad_charters[i].says);
		assert_string_equal(err.file, ""); /* the caller names the file */
		assert_int_equal(charter(bad_charters[i].html, NULL), -EINVAL);
	}
}

static void test_charter_limits(void **state)
{
	struct byod_err err;
	char deep[32 * 12 + 16 + 32 * 13];
	char *big;
	size_t n = WEB_CHARTER_MAX + 1;
	int d;

	(void)state;
	/* a NUL byte inside, as text, in a tag and in a link */
	assert_int_equal(web_charter_check("<p>a\0</p>", 9, &err), -EINVAL);
	assert_int_equal(err.col, 5);
	assert_non_null(strstr(err.msg, "NUL"));
	assert_int_equal(web_charter_check("<p\0>a</p>", 9, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "NUL"));
	assert_int_equal(web_charter_check("<a href=\"https://\0\">", 20, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "NUL"));
	/* only len bytes are read */
	assert_int_equal(web_charter_check("<p>a</p><script>", 8, &err), 0);
	assert_int_equal(web_charter_check("<p>a</p>&", 8, &err), 0);

	/* 64 KiB is the most */
	big = malloc(n);
	assert_non_null(big);
	memset(big, 'a', n);
	assert_int_equal(web_charter_check(big, n, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "larger than 65536 bytes"));
	assert_int_equal(web_charter_check(big, n - 1, &err), 0);
	free(big);

	/* 32 deep is the most; the 33rd is refused where it starts */
	deep[0] = '\0';
	for (d = 0; d < 32; d++)
		strcat(deep, "<blockquote>");
	for (d = 0; d < 32; d++)
		strcat(deep, "</blockquote>");
	assert_int_equal(charter(deep, &err), 0);
	deep[0] = '\0';
	for (d = 0; d < 33; d++)
		strcat(deep, "<b>");
	assert_int_equal(charter(deep, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "nested more than 32 deep"));
	assert_int_equal(err.line, 1);
	assert_int_equal(err.col, 3 * 32 + 1);
	/* br inside the deepest is fine: it holds nothing */
	deep[0] = '\0';
	for (d = 0; d < 32; d++)
		strcat(deep, "<b>");
	strcat(deep, "<br>");
	for (d = 0; d < 32; d++)
		strcat(deep, "</b>");
	assert_int_equal(charter(deep, &err), 0);
}

static void test_fragment(void **state)
{
	static const char good[] = "<p>Charte <strong>v2</strong> &amp; <a "
				   "href=\"https://x.fr/?a=1&amp;b=2\">lien</a></p>";
	struct web_html h;
	char *page;
	size_t len;

	(void)state;
	/* written as it is, between the template's markup */
	web_html_init(&h);
	web_html_markup(&h, "<div>");
	web_html_fragment(&h, good, strlen(good));
	web_html_markup(&h, "</div>");
	page = web_html_take(&h, &len);
	assert_non_null(page);
	assert_string_equal(page, "<div><p>Charte <strong>v2</strong> &amp; <a "
				  "href=\"https://x.fr/?a=1&amp;b=2\">lien</a></p></div>");
	assert_int_equal(len, strlen(page));
	free(page);

	/* only len bytes; an empty fragment writes nothing */
	web_html_init(&h);
	web_html_fragment(&h, "<p>a</p><script>", 8);
	web_html_fragment(&h, "", 0);
	page = web_html_take(&h, &len);
	assert_non_null(page);
	assert_string_equal(page, "<p>a</p>");
	free(page);

	/* a bad one voids the page, and it stays void */
	web_html_init(&h);
	web_html_markup(&h, "<div>");
	web_html_fragment(&h, "<p>x</p><script>", 16);
	assert_int_equal(h.oom, EINVAL);
	web_html_markup(&h, "</div>");
	web_html_fragment(&h, good, strlen(good));
	assert_null(web_html_take(&h, &len));
	assert_int_equal(len, 0);

	/* each kind of refusal, one at a time */
	web_html_init(&h);
	web_html_fragment(&h, "<p>x", 4);
	assert_null(web_html_take(&h, NULL));
	web_html_init(&h);
	web_html_fragment(&h, "<a href=\"javascript:x\">y</a>", 28);
	assert_null(web_html_take(&h, NULL));
	web_html_init(&h);
	web_html_fragment(&h, "a\0b", 3);
	assert_null(web_html_take(&h, NULL));
	web_html_init(&h);
	web_html_fragment(&h, NULL, 0);
	assert_null(web_html_take(&h, NULL));
}

static void test_token_hash(void **state)
{
	char tok[44], hash[65], again[65];

	(void)state;
	assert_int_equal(web_token_new(tok), 0);
	assert_int_equal(web_token_hash(tok, hash), 0);
	assert_int_equal(strlen(hash), 64);
	assert_int_equal(strspn(hash, "0123456789abcdef"), 64);
	assert_int_equal(web_token_hash(tok, again), 0);
	assert_string_equal(hash, again);
	/* the SHA-256 of a known token (checked with sha256sum) */
	assert_int_equal(web_token_hash("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", hash), 0);
	assert_string_equal(hash,
			    "0f007385b6f9d4b7eeb2748605afe1a984a0a3bfa3f014d09e2a784ce9e5cd1a");
	assert_int_equal(web_token_hash("short", hash), -EINVAL);
	assert_string_equal(hash, "");
	assert_int_equal(web_token_hash(NULL, hash), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_form_good),	cmocka_unit_test(test_form_empty_fields),
		cmocka_unit_test(test_form_newlines),	cmocka_unit_test(test_form_bad_escapes),
		cmocka_unit_test(test_form_bad_utf8),	cmocka_unit_test(test_form_bad_names),
		cmocka_unit_test(test_form_duplicates), cmocka_unit_test(test_form_limits),
		cmocka_unit_test(test_cookie_good),	cmocka_unit_test(test_cookie_names),
		cmocka_unit_test(test_cookie_refused),	cmocka_unit_test(test_path),
		cmocka_unit_test(test_charter_good),	cmocka_unit_test(test_charter_bad),
		cmocka_unit_test(test_charter_limits),	cmocka_unit_test(test_fragment),
		cmocka_unit_test(test_token_hash),
		cmocka_unit_test(test_form_value_max),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
