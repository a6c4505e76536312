/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Charts drawn on the server as SVG, inline in a page built with
 * web_html (html.h): vertical bars (one or two series side by side: the
 * authentications per hour, accepted and refused; the enrolments per day)
 * and horizontal bars (the devices per segment). No script, no external
 * file: the page shows them as it is sent.
 *
 * Each chart is a <figure>: an <svg role="img"> named by its <title> and
 * <desc> (aria-labelledby), every bar with its own <title> (its label and
 * value, which browsers show on hover), then the same figures as a
 * <table> in a <details> for screen readers and for anyone who wants
 * numbers. Every text is escaped by web_html; the geometry is numbers the
 * chart computes. Pure: no registry, no clock, no allocation but the
 * page's.
 */
#ifndef WEB_SVGCHART_H
#define WEB_SVGCHART_H

#include <stddef.h>
#include <stdint.h>

#include "html.h"

#define WEB_CHART_SERIES_MAX 2

struct web_chart_series {
	const char *name; /* "Acceptées": the legend and the table's column */
	const int64_t *v; /* n values (negative ones are drawn as 0) */
};

struct web_chart {
	const char *id;		   /* [a-z0-9-]+, unique in the page: the ids of <title>/<desc> */
	const char *title;	   /* the chart's name (<title>, the table's caption) */
	const char *desc;	   /* one sentence on what it shows (<desc>) */
	const char *label_head;	   /* the table's first column ("Heure", "Jour", "Segment") */
	const char *table_summary; /* the <details> summary ("Les chiffres") */
	const char *const *labels; /* n labels, one per bar */
	size_t n;
	const struct web_chart_series *series;
	size_t nseries; /* 1 or 2 (web_svg_hbars: 1) */
};

/* The chart's geometry (viewBox "0 0 WEB_CHART_W WEB_CHART_H"). */
#define WEB_CHART_W 640
#define WEB_CHART_H 240

/*
 * Appends a vertical bar chart of c to h: one group of bars per label,
 * one bar per series, heights in proportion to the values against the
 * axis's top (the largest value rounded up to 1, 2 or 5 times a power of
 * ten). A chart that cannot be drawn (no id, a bad id, no series, more
 * than WEB_CHART_SERIES_MAX) marks h failed (EINVAL), as web_html does.
 */
void web_svg_bars(struct web_html *h, const struct web_chart *c);

/* The same as horizontal bars, one per label, its value written at its
 * end (the devices per segment); one series. */
void web_svg_hbars(struct web_html *h, const struct web_chart *c);

/* The top of the value axis for a largest value max: 1, 2 or 5 times a
 * power of ten, at least max (and at least 1). */
int64_t web_chart_axis_top(int64_t max);

#endif /* WEB_SVGCHART_H */
