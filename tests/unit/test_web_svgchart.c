// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the server-side SVG charts (web/svgchart.c): each chart
 * is read back with libxml2 as XML (a browser's SVG parser is as strict),
 * and checked for what it must say: role="img" named by its <title> and
 * <desc>, one bar per value whose height (or width) follows the data, the
 * labels escaped, and the same figures in the table.
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

#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "html.h"
#include "svgchart.h"

struct doc {
	char *page;
	xmlDocPtr doc;
	xmlXPathContextPtr x;
};

/* Parses the chart h holds (a <figure>) as XML; the test fails on any
 * error libxml2 reports. */
static void doc_open(struct doc *d, struct web_html *h)
{
	size_t len;

	d->page = web_html_take(h, &len);
	assert_non_null(d->page);
	d->doc = xmlReadMemory(d->page, (int)len, "chart.xml", "UTF-8",
			       XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!d->doc)
		fprintf(stderr, "not XML: %s\n", d->page);
	assert_non_null(d->doc);
	d->x = xmlXPathNewContext(d->doc);
	assert_non_null(d->x);
	assert_int_equal(
		xmlXPathRegisterNs(d->x, BAD_CAST "s", BAD_CAST "http://www.w3.org/2000/svg"), 0);
}

static void doc_close(struct doc *d)
{
	xmlXPathFreeContext(d->x);
	xmlFreeDoc(d->doc);
	free(d->page);
}

static xmlNodeSetPtr nodes(struct doc *d, const char *path, xmlXPathObjectPtr *keep)
{
	*keep = xmlXPathEvalExpression(BAD_CAST path, d->x);
	assert_non_null(*keep);
	return (*keep)->nodesetval;
}

static int count(struct doc *d, const char *path)
{
	xmlXPathObjectPtr o;
	xmlNodeSetPtr ns = nodes(d, path, &o);
	int n = ns ? ns->nodeNr : 0;

	xmlXPathFreeObject(o);
	return n;
}

/* The string value of an XPath expression, malloc'd. */
static char *string(struct doc *d, const char *path)
{
	xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST path, d->x);
	xmlChar *s;
	char *r;

	assert_non_null(o);
	s = xmlXPathCastToString(o);
	r = strdup((const char *)s);
	xmlFree(s);
	xmlXPathFreeObject(o);
	return r;
}

static long num_attr(xmlNodePtr n, const char *name)
{
	xmlChar *v = xmlGetProp(n, BAD_CAST name);
	long r;

	assert_non_null(v);
	r = strtol((const char *)v, NULL, 10);
	xmlFree(v);
	return r;
}

static const char *const hours[6] = {"08h", "09h", "10h", "11h", "12h", "13h"};
static const int64_t ok[6] = {50, 25, 0, 10, 1, 37};
static const int64_t ko[6] = {5, 0, 0, 20, 2, 3};

static void fill_chart(struct web_chart *c, struct web_chart_series *s)
{
	memset(c, 0, sizeof(*c));
	s[0].name = "Acceptées";
	s[0].v = ok;
	s[1].name = "Refusées";
	s[1].v = ko;
	c->id = "auth-24h";
	c->title = "Authentifications par heure";
	c->desc = "Acceptées et refusées, sur les 24 dernières heures.";
	c->label_head = "Heure";
	c->table_summary = "Les chiffres";
	c->labels = hours;
	c->n = 6;
	c->series = s;
	c->nseries = 2;
}

/* The bars' heights follow the data: the tallest is the largest value
 * (50, the axis's top), each other is its share of it, rounded, a value
 * of 0 has no height, and every bar stands on the same baseline. */
static void test_bars_heights(void **state)
{
	struct web_chart_series s[2];
	struct web_chart c;
	struct web_html h;
	struct doc d;
	xmlXPathObjectPtr o;
	xmlNodeSetPtr ns;
	long full, base, prev_x = -1;
	int i, k;

	(void)state;
	fill_chart(&c, s);
	web_html_init(&h);
	web_svg_bars(&h, &c);
	doc_open(&d, &h);
	assert_int_equal(count(&d, "//s:rect[@class='bar s0']"), 6);
	assert_int_equal(count(&d, "//s:rect[@class='bar s1']"), 6);

	ns = nodes(&d, "//s:rect[@class='bar s0']", &o);
	full = num_attr(ns->nodeTab[0], "height");
	base = num_attr(ns->nodeTab[0], "y") + full;
	assert_true(full > 100);
	xmlXPathFreeObject(o);
	for (k = 0; k < 2; k++) {
		const int64_t *v = k ? ko : ok;

		ns = nodes(&d, k ? "//s:rect[@class='bar s1']" : "//s:rect[@class='bar s0']", &o);
		for (i = 0; i < 6; i++) {
			long ht = num_attr(ns->nodeTab[i], "height");
			long want = (long)((double)v[i] * full / 50 + 0.5);

			if (v[i] > 0 && want < 1)
				want = 1;
			assert_int_equal(ht, want);
			assert_int_equal(num_attr(ns->nodeTab[i], "y") + ht, base);
			if (!k) {
				assert_true(num_attr(ns->nodeTab[i], "x") > prev_x);
				prev_x = num_attr(ns->nodeTab[i], "x");
			}
		}
		xmlXPathFreeObject(o);
	}
	doc_close(&d);

	/* twice the data, same picture: the heights are relative */
	{
		int64_t ok2[6], ko2[6];
		struct doc d2;

		for (i = 0; i < 6; i++) {
			ok2[i] = ok[i] * 2;
			ko2[i] = ko[i] * 2;
		}
		s[0].v = ok2;
		s[1].v = ko2;
		web_svg_bars(&h, &c);
		doc_open(&d2, &h);
		ns = nodes(&d2, "//s:rect[@class='bar s1']", &o);
		assert_int_equal(num_attr(ns->nodeTab[3], "height"),
				 (long)(20.0 * full / 50 + 0.5));
		xmlXPathFreeObject(o);
		doc_close(&d2);
	}
}

/* The chart is an image named by its title and description, each bar
 * carries its label and value, and the table holds the same figures. */
static void test_bars_accessible(void **state)
{
	struct web_chart_series s[2];
	struct web_chart c;
	struct web_html h;
	struct doc d;
	char *v;

	(void)state;
	fill_chart(&c, s);
	web_html_init(&h);
	web_svg_bars(&h, &c);
	doc_open(&d, &h);
	assert_int_equal(count(&d, "/figure/s:svg[@role='img']"), 1);
	v = string(&d, "/figure/s:svg/@aria-labelledby");
	assert_string_equal(v, "auth-24h-t auth-24h-d");
	free(v);
	v = string(&d, "/figure/s:svg/s:title[@id='auth-24h-t']");
	assert_string_equal(v, "Authentifications par heure");
	free(v);
	v = string(&d, "/figure/s:svg/s:desc[@id='auth-24h-d']");
	assert_string_equal(v, "Acceptées et refusées, sur les 24 dernières heures.");
	free(v);
	v = string(&d, "(//s:rect[@class='bar s1'])[4]/s:title");
	assert_string_equal(v, "11h — Refusées : 20");
	free(v);

	/* the table: a header per series, a row per label, the values */
	assert_int_equal(count(&d, "//table/thead/tr/th"), 3);
	assert_int_equal(count(&d, "//table/tbody/tr"), 6);
	v = string(&d, "//table/caption");
	assert_string_equal(v, "Authentifications par heure");
	free(v);
	v = string(&d, "//table/tbody/tr[6]/th[@scope='row']");
	assert_string_equal(v, "13h");
	free(v);
	v = string(&d, "//table/tbody/tr[6]/td[1]");
	assert_string_equal(v, "37");
	free(v);
	v = string(&d, "//table/tbody/tr[4]/td[2]");
	assert_string_equal(v, "20");
	free(v);
	doc_close(&d);
}

/* Labels and titles are text, whatever they hold. */
static void test_escaped(void **state)
{
	static const char *const evil[2] = {"<script>alert(1)</script>", "a&b \"c\" 'd'"};
	static const int64_t v[2] = {3, 4};
	struct web_chart_series s = {"</title><x>", v};
	struct web_chart c;
	struct web_html h;
	struct doc d;
	char *t;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.id = "seg";
	c.title = "<b>Segments</b>";
	c.desc = "]]> & <!--";
	c.label_head = "Segment";
	c.table_summary = "Chiffres";
	c.labels = evil;
	c.n = 2;
	c.series = &s;
	c.nseries = 1;
	web_html_init(&h);
	web_svg_hbars(&h, &c);
	doc_open(&d, &h);
	assert_null(strstr(d.page, "<script"));
	assert_int_equal(count(&d, "//script | //x | //b"), 0);
	t = string(&d, "/figure/s:svg/s:title");
	assert_string_equal(t, "<b>Segments</b>");
	free(t);
	t = string(&d, "/figure/s:svg/s:desc");
	assert_string_equal(t, "]]> & <!--");
	free(t);
	t = string(&d, "//table/tbody/tr[1]/th");
	assert_string_equal(t, evil[0]);
	free(t);
	t = string(&d, "//table/tbody/tr[2]/th");
	assert_string_equal(t, evil[1]);
	free(t);
	doc_close(&d);
}

/* Horizontal bars: widths in proportion, the value written at each end. */
static void test_hbars_widths(void **state)
{
	static const char *const seg[3] = {"pupils", "staff", "refusés"};
	static const int64_t v[3] = {120, 30, 7};
	struct web_chart_series s = {"Appareils", v};
	struct web_chart c;
	struct web_html h;
	struct doc d;
	xmlXPathObjectPtr o;
	xmlNodeSetPtr ns;
	long w0;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.id = "segments";
	c.title = "Appareils par segment";
	c.desc = "d";
	c.label_head = "Segment";
	c.table_summary = "Chiffres";
	c.labels = seg;
	c.n = 3;
	c.series = &s;
	c.nseries = 1;
	web_html_init(&h);
	web_svg_hbars(&h, &c);
	doc_open(&d, &h);
	ns = nodes(&d, "//s:rect[@class='bar s0']", &o);
	assert_int_equal(ns->nodeNr, 3);
	/* the axis's top is 200: 120 is 0.6 of the longest possible bar */
	w0 = num_attr(ns->nodeTab[0], "width");
	assert_int_equal(num_attr(ns->nodeTab[1], "width"), (long)(w0 * 30.0 / 120 + 0.5));
	assert_int_equal(num_attr(ns->nodeTab[2], "width"), (long)(w0 * 7.0 / 120 + 0.5));
	assert_true(num_attr(ns->nodeTab[1], "y") > num_attr(ns->nodeTab[0], "y"));
	xmlXPathFreeObject(o);
	assert_int_equal(count(&d, "//s:text[.='120']"), 1);
	/* three rows: the middle of the three heights, not the whole one */
	{
		char *vb = string(&d, "/figure/s:svg/@viewBox");

		assert_string_equal(vb, "0 0 640 160");
		free(vb);
	}
	doc_close(&d);
}

static void test_axis_top(void **state)
{
	(void)state;
	assert_int_equal(web_chart_axis_top(0), 1);
	assert_int_equal(web_chart_axis_top(1), 1);
	assert_int_equal(web_chart_axis_top(2), 2);
	assert_int_equal(web_chart_axis_top(3), 5);
	assert_int_equal(web_chart_axis_top(7), 10);
	assert_int_equal(web_chart_axis_top(11), 20);
	assert_int_equal(web_chart_axis_top(50), 50);
	assert_int_equal(web_chart_axis_top(51), 100);
	assert_int_equal(web_chart_axis_top(199999), 200000);
}

/* A chart that cannot be drawn voids the page, as any web_html error. */
static void test_bad_chart(void **state)
{
	struct web_chart_series s[2];
	struct web_chart c;
	struct web_html h;

	(void)state;
	fill_chart(&c, s);
	c.id = "Bad Id";
	web_html_init(&h);
	web_html_markup(&h, "<p>before</p>");
	web_svg_bars(&h, &c);
	assert_null(web_html_take(&h, NULL));

	fill_chart(&c, s);
	web_svg_hbars(&h, &c); /* two series: one only for hbars */
	assert_null(web_html_take(&h, NULL));

	fill_chart(&c, s);
	c.nseries = 0;
	web_svg_bars(&h, &c);
	assert_null(web_html_take(&h, NULL));

	/* no data is a chart with no bars, not an error */
	fill_chart(&c, s);
	c.n = 0;
	web_svg_bars(&h, &c);
	{
		char *p = web_html_take(&h, NULL);

		assert_non_null(p);
		assert_null(strstr(p, "bar s0"));
		free(p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bars_heights), cmocka_unit_test(test_bars_accessible),
		cmocka_unit_test(test_escaped),	     cmocka_unit_test(test_hbars_widths),
		cmocka_unit_test(test_axis_top),     cmocka_unit_test(test_bad_chart),
	};
	int rc;

	LIBXML_TEST_VERSION
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	xmlCleanupParser();
	return rc;
}
