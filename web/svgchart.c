// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Server-side SVG charts (svgchart.h): the geometry is computed here from
 * the values, every text goes through web_html's escaping, and each chart
 * comes with its figures as a table. Markup is only literals; numbers are
 * formatted into attribute values with web_html_attr.
 */
#include "svgchart.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* The plot area inside the viewBox: room on the left for the axis's
 * figures, at the bottom for the labels, at the top for the legend. */
#define PLOT_X 44
#define PLOT_Y 28
#define PLOT_W (WEB_CHART_W - PLOT_X - 8)
#define PLOT_H (WEB_CHART_H - PLOT_Y - 24)

/* hbars: the labels' column */
#define HB_LABEL_W 150
#define HB_W	   (WEB_CHART_W - HB_LABEL_W - 60)

static void fail(struct web_html *h)
{
	if (!h->oom)
		h->oom = EINVAL;
}

static int id_ok(const char *id)
{
	const char *p;

	if (!id || !*id || strlen(id) > 48)
		return 0;
	for (p = id; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
			return 0;
	return 1;
}

static int chart_ok(const struct web_chart *c, size_t max_series)
{
	size_t i;

	if (!c || !id_ok(c->id) || !c->series || c->nseries < 1 || c->nseries > max_series ||
	    (c->n && !c->labels))
		return 0;
	for (i = 0; i < c->nseries; i++)
		if (c->n && !c->series[i].v)
			return 0;
	return 1;
}

int64_t web_chart_axis_top(int64_t max)
{
	int64_t p = 1;

	if (max <= 1)
		return 1;
	for (;;) {
		if (max <= p)
			return p;
		if (max <= 2 * p)
			return 2 * p;
		if (max <= 5 * p)
			return 5 * p;
		if (p > INT64_MAX / 10)
			return max;
		p *= 10;
	}
}

static int64_t value(const struct web_chart *c, size_t s, size_t i)
{
	int64_t v = c->series[s].v[i];

	return v < 0 ? 0 : v;
}

static int64_t largest(const struct web_chart *c)
{
	int64_t m = 0;
	size_t s, i;

	for (s = 0; s < c->nseries; s++)
		for (i = 0; i < c->n; i++)
			if (value(c, s, i) > m)
				m = value(c, s, i);
	return m;
}

/* v of top in pixels of span, rounded to the nearest (a value > 0 gets at
 * least one pixel: "a few" is not "none"). */
static long scale(int64_t v, int64_t top, long span)
{
	long px;

	if (v <= 0 || top <= 0)
		return 0;
	px = (long)(((long double)v * span) / top + 0.5L);
	if (px < 1)
		px = 1;
	return px > span ? span : px;
}

static void num_attr(struct web_html *h, const char *name, long v)
{
	char b[24];

	snprintf(b, sizeof(b), "%ld", v);
	web_html_attr(h, name, b);
}

static void i64_text(struct web_html *h, int64_t v)
{
	web_html_textf(h, "%" PRId64, v);
}

/* <svg ...><title id><desc id>: the opening every chart shares; height
 * is WEB_CHART_H, or (horizontal bars) a shorter one of few rows. The
 * viewBox is a literal (web_html_attr writes lowercase names only). */
static void svg_open(struct web_html *h, const struct web_chart *c, long height)
{
	char ids[128], id[64];

	web_html_markup(h, "<figure class=\"chart\"");
	web_html_attr(h, "id", c->id);
	web_html_markup(h, "><svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" ");
	if (height <= 80)
		web_html_markup(h, "viewBox=\"0 0 640 80\"");
	else if (height <= 160)
		web_html_markup(h, "viewBox=\"0 0 640 160\"");
	else
		web_html_markup(h, "viewBox=\"0 0 640 240\"");
	web_html_markup(h, " class=\"chart-svg\"");
	snprintf(ids, sizeof(ids), "%s-t %s-d", c->id, c->id);
	web_html_attr(h, "aria-labelledby", ids);
	web_html_markup(h, "><title");
	snprintf(id, sizeof(id), "%s-t", c->id);
	web_html_attr(h, "id", id);
	web_html_markup(h, ">");
	web_html_text(h, c->title);
	web_html_markup(h, "</title><desc");
	snprintf(id, sizeof(id), "%s-d", c->id);
	web_html_attr(h, "id", id);
	web_html_markup(h, ">");
	web_html_text(h, c->desc);
	web_html_markup(h, "</desc>");
}

_Static_assert(WEB_CHART_W == 640 && WEB_CHART_H == 240, "svg_open's viewBox literal");

/* A bar's class and colour (the colour also without the stylesheet). */
static void series_fill(struct web_html *h, size_t s)
{
	if (s == 0)
		web_html_markup(h, " class=\"bar s0\" fill=\"#1f5fa6\"");
	else
		web_html_markup(h, " class=\"bar s1\" fill=\"#c2410c\"");
}

static void key_fill(struct web_html *h, size_t s)
{
	if (s == 0)
		web_html_markup(h, " class=\"key s0\" fill=\"#1f5fa6\"");
	else
		web_html_markup(h, " class=\"key s1\" fill=\"#c2410c\"");
}

/* The series' names, a square of each one's colour before it, top left. */
static void legend(struct web_html *h, const struct web_chart *c)
{
	size_t s;

	if (c->nseries < 2)
		return;
	web_html_markup(h, "<g class=\"legend\" aria-hidden=\"true\">");
	for (s = 0; s < c->nseries; s++) {
		web_html_markup(h, "<rect");
		key_fill(h, s);
		num_attr(h, "x", PLOT_X + (long)s * 160);
		web_html_markup(h, " y=\"6\" width=\"12\" height=\"12\"/><text");
		num_attr(h, "x", PLOT_X + (long)s * 160 + 18);
		web_html_markup(h, " y=\"16\" font-size=\"12\">");
		web_html_text(h, c->series[s].name);
		web_html_markup(h, "</text>");
	}
	web_html_markup(h, "</g>");
}

/* The value axis: 0, the middle and the top, with grid lines. */
static void value_axis(struct web_html *h, int64_t top)
{
	int k;

	web_html_markup(h, "<g class=\"axis\" aria-hidden=\"true\" font-size=\"11\">");
	for (k = 0; k <= 2; k++) {
		long y = PLOT_Y + PLOT_H - (long)PLOT_H * k / 2;

		/* a rectangle one pixel high: web_html_attr takes no x1 */
		web_html_markup(h, "<rect class=\"grid\" fill=\"#ccc\" height=\"1\"");
		num_attr(h, "x", PLOT_X);
		num_attr(h, "y", y);
		num_attr(h, "width", PLOT_W);
		web_html_markup(h, "/><text text-anchor=\"end\"");
		num_attr(h, "x", PLOT_X - 4);
		num_attr(h, "y", y + 4);
		web_html_markup(h, ">");
		if (k == 1 && top % 2)
			web_html_textf(h, "%.1f", (double)top / 2);
		else
			i64_text(h, top * k / 2);
		web_html_markup(h, "</text>");
	}
	web_html_markup(h, "</g>");
}

/* The figures again, as a table. */
static void table(struct web_html *h, const struct web_chart *c)
{
	size_t s, i;

	web_html_markup(h, "<details class=\"chart-data\"><summary>");
	web_html_text(h, c->table_summary);
	web_html_markup(h, "</summary><table><caption>");
	web_html_text(h, c->title);
	web_html_markup(h, "</caption><thead><tr><th scope=\"col\">");
	web_html_text(h, c->label_head);
	web_html_markup(h, "</th>");
	for (s = 0; s < c->nseries; s++) {
		web_html_markup(h, "<th scope=\"col\">");
		web_html_text(h, c->series[s].name);
		web_html_markup(h, "</th>");
	}
	web_html_markup(h, "</tr></thead><tbody>");
	for (i = 0; i < c->n; i++) {
		web_html_markup(h, "<tr><th scope=\"row\">");
		web_html_text(h, c->labels[i]);
		web_html_markup(h, "</th>");
		for (s = 0; s < c->nseries; s++) {
			web_html_markup(h, "<td>");
			i64_text(h, c->series[s].v[i]);
			web_html_markup(h, "</td>");
		}
		web_html_markup(h, "</tr>");
	}
	web_html_markup(h, "</tbody></table></details></figure>");
}

/* A bar's hover text: "label — series: value". */
static void bar_title(struct web_html *h, const struct web_chart *c, size_t s, size_t i)
{
	web_html_markup(h, "<title>");
	web_html_text(h, c->labels[i]);
	web_html_markup(h, " — ");
	if (c->series[s].name) {
		web_html_text(h, c->series[s].name);
		web_html_markup(h, " : ");
	}
	i64_text(h, c->series[s].v[i]);
	web_html_markup(h, "</title>");
}

void web_svg_bars(struct web_html *h, const struct web_chart *c)
{
	int64_t top;
	long slot, bar, every;
	size_t s, i;

	if (!chart_ok(c, WEB_CHART_SERIES_MAX)) {
		fail(h);
		return;
	}
	top = web_chart_axis_top(largest(c));
	svg_open(h, c, WEB_CHART_H);
	legend(h, c);
	value_axis(h, top);
	slot = c->n ? PLOT_W / (long)c->n : PLOT_W;
	bar = (slot - 2) / (long)c->nseries;
	if (bar < 1)
		bar = 1;
	/* at most 12 labels under the axis: every label of 24 hours would
	 * overlap */
	every = c->n > 12 ? ((long)c->n + 11) / 12 : 1;
	web_html_markup(h, "<g class=\"bars\">");
	for (i = 0; i < c->n; i++) {
		for (s = 0; s < c->nseries; s++) {
			long ht = scale(value(c, s, i), top, PLOT_H);

			web_html_markup(h, "<rect");
			series_fill(h, s);
			num_attr(h, "x", PLOT_X + (long)i * slot + 1 + (long)s * bar);
			num_attr(h, "y", PLOT_Y + PLOT_H - ht);
			num_attr(h, "width", bar);
			num_attr(h, "height", ht);
			web_html_markup(h, ">");
			bar_title(h, c, s, i);
			web_html_markup(h, "</rect>");
		}
	}
	web_html_markup(h, "</g><g class=\"labels\" aria-hidden=\"true\" font-size=\"11\" "
			   "text-anchor=\"middle\">");
	for (i = 0; i < c->n; i += (size_t)every) {
		web_html_markup(h, "<text");
		num_attr(h, "x", PLOT_X + (long)i * slot + slot / 2);
		num_attr(h, "y", PLOT_Y + PLOT_H + 16);
		web_html_markup(h, ">");
		web_html_text(h, c->labels[i]);
		web_html_markup(h, "</text>");
	}
	web_html_markup(h, "</g></svg>");
	table(h, c);
}

void web_svg_hbars(struct web_html *h, const struct web_chart *c)
{
	int64_t top;
	long row, ht, height;
	size_t i;

	if (!chart_ok(c, 1)) {
		fail(h);
		return;
	}
	top = web_chart_axis_top(largest(c));
	/* rows of 32 units in the shortest of the three heights that holds
	 * them; more rows than 240 holds get thinner */
	height = 8 + 32 * (long)c->n <= 80 ? 80 : 8 + 32 * (long)c->n <= 160 ? 160 : WEB_CHART_H;
	svg_open(h, c, height);
	row = c->n ? (height - 8) / (long)c->n : height;
	if (row > 32)
		row = 32;
	ht = row > 6 ? row - 6 : row;
	web_html_markup(h, "<g class=\"bars\" font-size=\"12\">");
	for (i = 0; i < c->n; i++) {
		long y = 4 + (long)i * row, w = scale(value(c, 0, i), top, HB_W);

		web_html_markup(h, "<text text-anchor=\"end\" aria-hidden=\"true\"");
		num_attr(h, "x", HB_LABEL_W - 6);
		num_attr(h, "y", y + ht / 2 + 4);
		web_html_markup(h, ">");
		web_html_text(h, c->labels[i]);
		web_html_markup(h, "</text><rect");
		series_fill(h, 0);
		num_attr(h, "x", HB_LABEL_W);
		num_attr(h, "y", y);
		num_attr(h, "width", w);
		num_attr(h, "height", ht);
		web_html_markup(h, ">");
		bar_title(h, c, 0, i);
		web_html_markup(h, "</rect><text aria-hidden=\"true\"");
		num_attr(h, "x", HB_LABEL_W + w + 6);
		num_attr(h, "y", y + ht / 2 + 4);
		web_html_markup(h, ">");
		i64_text(h, c->series[0].v[i]);
		web_html_markup(h, "</text>");
	}
	web_html_markup(h, "</g></svg>");
	table(h, c);
}
