// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for what the portal decodes from a browser: form bodies
 * (escapes, UTF-8, control characters, limits, duplicates), the Cookie
 * header, request paths (traversal in every spelling the server leaves),
 * the charter checker with exact line and column, the page builder's
 * fragment door, and token hashing.
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

static int parse(const char *body, struct portal_form *f)
{
	struct byod_err err;

	return portal_form_parse(body, strlen(body), 16, f, &err);
}

static void test_form_good(void **state)
{
	struct portal_form f;

	(void)state;
	assert_int_equal(parse("a=1&b=two+words&c=%C3%A9t%C3%A9&d=&e", &f), 0);
	assert_int_equal(f.n, 5);
	assert_string_equal(portal_form_get(&f, "a"), "1");
	assert_string_equal(portal_form_get(&f, "b"), "two words");
	assert_string_equal(portal_form_get(&f, "c"), "été");
	assert_string_equal(portal_form_get(&f, "d"), "");
	assert_string_equal(portal_form_get(&f, "e"), "");
	assert_null(portal_form_get(&f, "z"));
	assert_null(portal_form_get(NULL, "a"));
	portal_form_free(&f);

	/* empty fields skipped; CR LF and lone CR become LF; a literal '+' */
	assert_int_equal(parse("&&x=l1%0D%0Al2%0Dl3&&y=%2B%26%3D&", &f), 0);
	assert_int_equal(f.n, 2);
	assert_string_equal(portal_form_get(&f, "x"), "l1\nl2\nl3");
	assert_string_equal(portal_form_get(&f, "y"), "+&=");
	portal_form_free(&f);

	/* an empty body is an empty form; TAB is allowed; 4-byte UTF-8 */
	assert_int_equal(parse("", &f), 0);
	assert_int_equal(f.n, 0);
	portal_form_free(&f);
	assert_int_equal(parse("t=a%09b&u=%F0%9F%93%B1", &f), 0);
	assert_string_equal(portal_form_get(&f, "t"), "a\tb");
	assert_string_equal(portal_form_get(&f, "u"), "\xf0\x9f\x93\xb1");
	portal_form_free(&f);
	portal_form_free(&f); /* twice is harmless */
}

static void test_form_bad(void **state)
{
	static const char *const bad[] = {
		"a=%G1",          /* not hex */
		"a=%4",           /* truncated */
		"a=%",            /* truncated */
		"a=x%",           /* truncated */
		"a=%00",          /* NUL */
		"a=%C3%28",       /* invalid UTF-8 */
		"a=%C0%AF",       /* overlong '/' */
		"a=%E0%80%AF",    /* overlong */
		"a=%ED%A0%80",    /* surrogate */
		"a=%F4%90%80%80", /* above U+10FFFF */
		"a=%FF",          /* never in UTF-8 */
		"a=%C3",          /* cut sequence */
		"a=%01",          /* control */
		"a=%7F",          /* DEL */
		"a=%C2%85",       /* C1 control (NEL) */
		"A=1",            /* upper-case name */
		"a b=1",          /* space in a name */
		"=1",             /* empty name */
		"na%6De=1&name=2", /* the same name, spelled two ways */
		"a=1&a=2",        /* duplicate */
		"abcdefghijklmnopqrstuvwxyz0123456=1", /* 33 characters */
		"caf%C3%A9=1",    /* non-ASCII name */
	};
	struct portal_form f = { 0 };
	struct byod_err err;
	char body[6000];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i], &f) != -EINVAL)
			fail_msg("'%s' was accepted", bad[i]);
		assert_int_equal(f.n, 0);
		assert_null(f.f);
	}
	/* a NUL byte inside the body */
	assert_int_equal(portal_form_parse("a=1\0b=2", 7, 16, &f, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "byte 3"));
	/* the offset of a bad escape is in the message */
	assert_int_equal(parse("login=x&password=%ZZ", &f), -EINVAL);
	assert_int_equal(portal_form_parse("login=x&password=%ZZ", 20, 16, &f, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "byte 17"));
	/* too many fields */
	assert_int_equal(portal_form_parse("a=1&b=2&c=3", 11, 2, &f, &err), -EINVAL);
	assert_int_equal(portal_form_parse("a=1&b=2", 7, 2, &f, &err), 0);
	portal_form_free(&f);
	/* a value of exactly the limit, then one byte more */
	memcpy(body, "v=", 2);
	memset(body + 2, 'x', PORTAL_FORM_VALUE_MAX);
	assert_int_equal(portal_form_parse(body, 2 + PORTAL_FORM_VALUE_MAX, 16, &f, &err), 0);
	assert_int_equal(strlen(portal_form_get(&f, "v")), PORTAL_FORM_VALUE_MAX);
	portal_form_free(&f);
	body[2 + PORTAL_FORM_VALUE_MAX] = 'x';
	assert_int_equal(portal_form_parse(body, 3 + PORTAL_FORM_VALUE_MAX, 16, &f, &err), -EINVAL);
}

static void test_cookie(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(portal_cookie_get("a=1; b=2", "b", out, sizeof(out)), 0);
	assert_string_equal(out, "2");
	assert_int_equal(portal_cookie_get("a=1;b=2", "a", out, sizeof(out)), 0);
	assert_string_equal(out, "1");
	assert_int_equal(portal_cookie_get("  s = \"quoted\" ; t=x", "s", out, sizeof(out)), 0);
	assert_string_equal(out, "quoted");
	/* a longer name that starts with the one asked for is another cookie */
	assert_int_equal(portal_cookie_get("ss=1; s=2", "s", out, sizeof(out)), 0);
	assert_string_equal(out, "2");
	assert_int_equal(portal_cookie_get("xs=1", "s", out, sizeof(out)), -ENOENT);
	assert_int_equal(portal_cookie_get("a=1", "s", out, sizeof(out)), -ENOENT);
	assert_int_equal(portal_cookie_get(NULL, "s", out, sizeof(out)), -ENOENT);
	assert_int_equal(portal_cookie_get("", "s", out, sizeof(out)), -ENOENT);
	assert_int_equal(portal_cookie_get("flag; s=v", "s", out, sizeof(out)), 0);
	assert_string_equal(out, "v");
	assert_int_equal(portal_cookie_get("s=", "s", out, sizeof(out)), 0);
	assert_string_equal(out, "");
	/* twice: refused (a cookie planted beside the real one) */
	assert_int_equal(portal_cookie_get("s=1; s=2", "s", out, sizeof(out)), -EINVAL);
	assert_int_equal(portal_cookie_get("s=a\"b", "s", out, sizeof(out)), -EINVAL);
	assert_int_equal(portal_cookie_get("s=0123456789", "s", out, 10), -E2BIG);
	assert_int_equal(portal_cookie_get("s=012345678", "s", out, 10), 0);
}

static void test_path(void **state)
{
	static const char *const good[] = {
		"/", "/devices", "/download/abc-_XYZ09", "/static/portal.css", "/a.b/c~d",
		"/...", "/.well-known",
	};
	static const char *const bad[] = {
		"", "x", "devices", "/a/../b", "/..", "/../", "/.", "/./x", "//x", "/a//b",
		"/a\\b", "/a b", "/a%2e", "/a?b", "/a\n", "/\xc3\xa9", "/devices/",
	};
	char longp[600];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (portal_path_check(good[i]))
			fail_msg("'%s' was refused", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!portal_path_check(bad[i]))
			fail_msg("'%s' was accepted", bad[i]);
	assert_int_equal(portal_path_check(NULL), -EINVAL);
	longp[0] = '/';
	memset(longp + 1, 'a', 512);
	longp[513] = '\0';
	assert_int_equal(portal_path_check(longp), -EINVAL);
	longp[512] = '\0';
	assert_int_equal(portal_path_check(longp), 0);
}

static int charter(const char *html, struct byod_err *err)
{
	return portal_charter_check(html, strlen(html), err);
}

static void test_charter_good(void **state)
{
	struct byod_err err;

	(void)state;
	if (charter("<h2>Charte</h2>\n<p>Je m'engage &agrave;</p>", &err) != -EINVAL)
		fail_msg("an unknown entity was accepted");
	if (charter("<h2>Charte d'usage</h2>\n<p>En inscrivant cet appareil, "
		    "j'accepte&nbsp;:</p>\n<ul>\n<li><strong>utiliser</strong> le "
		    "r\xc3\xa9seau ;</li>\n<li><em>signaler</em> la perte.<br>Vite.<br/></li>\n"
		    "</ul>\n<ol><li>un</li></ol><blockquote>1 &lt; 2 &amp; 3 &gt; 2 &#233; "
		    "&#xE9; &quot;x&quot; &#39;</blockquote>\n<p><a "
		    "href=\"https://www.ac-aix-marseille.fr/charte?x=1&amp;y=2\">la charte</a>"
		    "</p><h3>a</h3><h4>b</h4><b>c</b><i>d</i>",
		    &err))
		fail_msg("%d:%d: %s", err.line, err.col, err.msg);
	assert_int_equal(charter("", &err), 0);
}

static void test_charter_bad(void **state)
{
	static const struct {
		const char *html;
		int line, col;
		const char *says;
	} bad[] = {
		{ "<p>a</p>\n<script>alert(1)</script>", 2, 1, "<script> is not allowed" },
		{ "<p onclick=\"x\">a</p>", 1, 4, "attribute 'onclick'" },
		{ "<p style=\"color:red\">a</p>", 1, 4, "attribute 'style'" },
		{ "<a href=\"javascript:alert(1)\">x</a>", 1, 10, "https://" },
		{ "<a href='https://x'>x</a>", 1, 8, "double quotes" },
		{ "<a href=\"https://x y\">x</a>", 1, 10, "spaces" },
		{ "<p>a", 1, 5, "<p> is never closed" },
		{ "<strong><em>a</strong></em>", 1, 14, "</strong> where </em>" },
		{ "a & b", 1, 3, "'&' must start an entity" },
		{ "a &foo; b", 1, 3, "'&' must start an entity" },
		{ "a &#0; b", 1, 3, "not a printable character" },
		{ "a &#xD800; b", 1, 3, "not a printable character" },
		{ "<!-- x -->", 1, 1, "comments" },
		{ "<!DOCTYPE html>", 1, 1, "comments, doctypes" },
		{ "1 < 2", 1, 4, "'<' must start an element" },
		{ "</p>", 1, 1, "closes nothing" },
		{ "<P>a</P>", 1, 1, "<P> is not allowed" },
		{ "<p/>", 1, 3, "self-closing" },
		{ "line1\nline2 \xc3\x28", 2, 7, "UTF-8" },
		{ "a\x01", 1, 2, "control character" },
		{ "<img src=\"x\">", 1, 1, "<img> is not allowed" },
		{ "<p>\n\n  <iframe>", 3, 3, "<iframe> is not allowed" },
	};
	struct byod_err err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		if (charter(bad[i].html, &err) != -EINVAL)
			fail_msg("'%s' was accepted", bad[i].html);
		if (err.line != bad[i].line || err.col != bad[i].col || !strstr(err.msg, bad[i].says))
			fail_msg("'%s': got %d:%d '%s', expected %d:%d '%s'", bad[i].html, err.line,
				 err.col, err.msg, bad[i].line, bad[i].col, bad[i].says);
	}
	/* a NUL byte inside, and the size limit */
	assert_int_equal(portal_charter_check("<p>a\0</p>", 9, &err), -EINVAL);
	{
		size_t n = PORTAL_CHARTER_MAX + 1;
		char *big = malloc(n);

		assert_non_null(big);
		memset(big, 'a', n);
		assert_int_equal(portal_charter_check(big, n, &err), -EINVAL);
		assert_int_equal(portal_charter_check(big, n - 1, &err), 0);
		free(big);
	}
	/* too deep */
	{
		char deep[400] = "";
		int d;

		for (d = 0; d < 40; d++)
			strcat(deep, "<b>");
		assert_int_equal(charter(deep, &err), -EINVAL);
		assert_non_null(strstr(err.msg, "nested"));
	}
}

static void test_fragment(void **state)
{
	static const char good[] = "<p>Charte <strong>v2</strong></p>";
	struct portal_html h;
	char *page;
	size_t len;

	(void)state;
	portal_html_init(&h);
	portal_html_markup(&h, "<div>");
	portal_html_fragment(&h, good, strlen(good));
	portal_html_markup(&h, "</div>");
	page = portal_html_take(&h, &len);
	assert_non_null(page);
	assert_string_equal(page, "<div><p>Charte <strong>v2</strong></p></div>");
	free(page);

	portal_html_init(&h);
	portal_html_markup(&h, "<div>");
	portal_html_fragment(&h, "<p>x</p><script>", 16);
	portal_html_markup(&h, "</div>");
	assert_null(portal_html_take(&h, &len));
	assert_int_equal(len, 0);

	portal_html_init(&h);
	portal_html_fragment(&h, NULL, 0);
	assert_null(portal_html_take(&h, NULL));
}

static void test_token_hash(void **state)
{
	char tok[44], hash[65], again[65];

	(void)state;
	assert_int_equal(portal_token_new(tok), 0);
	assert_int_equal(portal_token_hash(tok, hash), 0);
	assert_int_equal(strlen(hash), 64);
	assert_int_equal(strspn(hash, "0123456789abcdef"), 64);
	assert_int_equal(portal_token_hash(tok, again), 0);
	assert_string_equal(hash, again);
	/* the SHA-256 of a known token (checked with sha256sum) */
	assert_int_equal(portal_token_hash("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", hash), 0);
	assert_string_equal(hash, "0f007385b6f9d4b7eeb2748605afe1a984a0a3bfa3f014d09e2a784ce9e5cd1a");
	assert_int_equal(portal_token_hash("short", hash), -EINVAL);
	assert_string_equal(hash, "");
	assert_int_equal(portal_token_hash(NULL, hash), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_form_good),
		cmocka_unit_test(test_form_bad),
		cmocka_unit_test(test_cookie),
		cmocka_unit_test(test_path),
		cmocka_unit_test(test_charter_good),
		cmocka_unit_test(test_charter_bad),
		cmocka_unit_test(test_fragment),
		cmocka_unit_test(test_token_hash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
