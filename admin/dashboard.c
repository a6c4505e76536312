// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The console's dashboard: /dashboard (the département's table, one line
 * per school of the scope, or the school's own dashboard for a scope of
 * one school), /ecole/UAI (a school's dashboard; a school outside the
 * scope is a 404 like a school that does not exist), and /flux, the
 * change feed as Server-Sent Events, on which the page's one small script
 * (/static/dashboard.js) fetches the page again and puts its new figures
 * in place. Without JavaScript the page is whole as sent, with a link that
 * loads it again. The figures are core/dashboard.c's; the charts are
 * web/svgchart.c's, drawn here on the server, each with its table.
 */
#define _GNU_SOURCE
#include "admin_pages.h"

#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "byod_dashboard.h"
#include "byod_util.h"
#include "svgchart.h"

/* ---- shared pieces -------------------------------------------------------- */

static void td_i64(struct web_html *h, int64_t v)
{
	web_html_markup(h, "<td>");
	web_html_textf(h, "%" PRId64, v);
	web_html_markup(h, "</td>");
}

static void th_col(struct admin_ctx *c, struct web_html *h, const char *key)
{
	web_html_markup(h, "<th scope=\"col\">");
	web_html_text(h, AT(c, key));
	web_html_markup(h, "</th>");
}

/* A flag in words, and a class the style sheet colours (never colour
 * alone: the word says it). */
static void td_flag(struct admin_ctx *c, struct web_html *h, int flagged, const char *bad,
		    const char *good)
{
	if (flagged)
		web_html_markup(h, "<td class=\"flag bad\">");
	else
		web_html_markup(h, "<td class=\"flag ok\">");
	web_html_text(h, AT(c, flagged ? bad : good));
	web_html_markup(h, "</td>");
}

/* "il y a 5 min": seconds as the page's language says them. */
static void age(struct admin_ctx *c, struct web_html *h, long s)
{
	char n[24];

	if (s < 0)
		s = 0;
	if (s < 120) {
		snprintf(n, sizeof(n), "%ld", s);
		admin_text_with(h, AT(c, "dash.ago.s"), n);
	} else if (s < 2 * 3600) {
		snprintf(n, sizeof(n), "%ld", s / 60);
		admin_text_with(h, AT(c, "dash.ago.min"), n);
	} else if (s < 2 * 86400) {
		snprintf(n, sizeof(n), "%ld", s / 3600);
		admin_text_with(h, AT(c, "dash.ago.h"), n);
	} else {
		snprintf(n, sizeof(n), "%ld", s / 86400);
		admin_text_with(h, AT(c, "dash.ago.d"), n);
	}
}

/* The page's own script (script-src 'self'), and the feed and the page
 * it fetches again (connect-src 'self': the default CSP's default-src
 * 'none' would refuse EventSource and fetch), the rest as every page. */
static const char dash_csp[] = "default-src 'none'; script-src 'self'; connect-src 'self'; "
			       "style-src 'self'; img-src 'self'; form-action 'self'; "
			       "frame-ancestors 'none'; base-uri 'none'";

static void script(struct admin_ctx *c, struct web_html *h)
{
	web_html_markup(h, "<script src=\"/static/dashboard.js\" defer></script>");
	c->rs->script = 1;
	c->rs->csp = dash_csp;
}

/* The link that loads the page again, and when the figures were read. */
static void reload(struct admin_ctx *c, struct web_html *h, const char *self, time_t at)
{
	web_html_markup(h, "<p class=\"updated\">");
	web_html_text(h, AT(c, "dash.updated"));
	web_html_markup(h, " ");
	admin_date(c, h, at);
	web_html_markup(h, " — <a");
	web_html_url(h, "href", self);
	web_html_markup(h, ">");
	web_html_text(h, AT(c, "dash.reload"));
	web_html_markup(h, "</a></p>");
}

static int registry_fault(struct admin_ctx *c, int rc)
{
	if (admin_registry_unavailable(rc)) {
		c->registry_rc = rc;
		return admin_page_error(c, 503);
	}
	return rc;
}

/* ---- a school's dashboard --------------------------------------------------- */

static void headline(struct admin_ctx *c, struct web_html *h, const struct byod_dashboard *d)
{
	static const struct {
		const char *key;
		int state;
	} states[] = {
		{"dash.devices.active", BYOD_DEVICE_ACTIVE},
		{"dash.devices.suspended", BYOD_DEVICE_SUSPENDED},
		{"dash.devices.revoked", BYOD_DEVICE_REVOKED},
		{"dash.devices.retired", BYOD_DEVICE_RETIRED},
	};
	size_t i;

	web_html_markup(h, "<dl class=\"figures\"><div><dt>");
	web_html_text(h, AT(c, "dash.people"));
	web_html_markup(h, "</dt><dd>");
	web_html_textf(h, "%" PRId64, d->people);
	web_html_markup(h, "</dd></div>");
	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		web_html_markup(h, "<div><dt>");
		web_html_text(h, AT(c, states[i].key));
		web_html_markup(h, "</dt><dd>");
		web_html_textf(h, "%" PRId64, d->devices[states[i].state]);
		web_html_markup(h, "</dd></div>");
	}
	web_html_markup(h, "<div><dt>");
	web_html_text(h, AT(c, "dash.sessions"));
	web_html_markup(h, "</dt><dd>");
	web_html_textf(h, "%" PRId64, d->sessions_open);
	web_html_markup(h, "</dd></div><div><dt>");
	web_html_text(h, AT(c, "dash.auth.accepted"));
	web_html_markup(h, "</dt><dd>");
	web_html_textf(h, "%" PRId64, d->accepted_total);
	web_html_markup(h, "</dd></div><div><dt>");
	web_html_text(h, AT(c, "dash.auth.refused"));
	web_html_markup(h, "</dt><dd>");
	web_html_textf(h, "%" PRId64, d->refused_total);
	web_html_markup(h, "</dd></div></dl>");
}

/* What needs someone's attention, first on the page, under the title. No
 * live region: the page is read again every minute by its script, and a
 * screen reader would be told the same alerts each time. */
static void alerts(struct admin_ctx *c, struct web_html *h, const struct byod_dashboard *d)
{
	char n[24];

	if (!d->flags) {
		web_html_markup(h, "<p class=\"notice\" id=\"alerts\">");
		web_html_text(h, AT(c, "dash.alerts.none"));
		web_html_markup(h, "</p>");
		return;
	}
	web_html_markup(h, "<div class=\"notice error\" id=\"alerts\"><p><strong>");
	snprintf(n, sizeof(n), "%d", d->flags);
	admin_text_with(h, ATN(c, "dash.alerts.count", d->flags), n);
	web_html_markup(h, "</strong></p><ul>");
	if (d->nas_silent) {
		web_html_markup(h, "<li><a href=\"#nas\">");
		snprintf(n, sizeof(n), "%d", d->nas_silent);
		admin_text_with(h, ATN(c, "dash.alerts.nas", d->nas_silent), n);
		web_html_markup(h, "</a></li>");
	}
	if (d->gateways_flagged) {
		web_html_markup(h, "<li><a href=\"#daemons\">");
		snprintf(n, sizeof(n), "%d", d->gateways_flagged);
		admin_text_with(h, ATN(c, "dash.alerts.daemons", d->gateways_flagged), n);
		web_html_markup(h, "</a></li>");
	}
	if (d->crl_late) {
		web_html_markup(h, "<li><a href=\"#crl\">");
		web_html_text(h, AT(c, d->crl_missing ? "dash.alerts.crl.missing"
						      : "dash.alerts.crl.late"));
		web_html_markup(h, "</a></li>");
	}
	web_html_markup(h, "</ul></div>");
}

static void chart_segments(struct admin_ctx *c, struct web_html *h, const struct byod_dashboard *d)
{
	const char *labels[BYOD_DASH_SEGMENTS_MAX];
	int64_t v[BYOD_DASH_SEGMENTS_MAX];
	struct web_chart_series s = {AT(c, "dash.chart.devices"), v};
	struct web_chart ch = {0};
	size_t i;

	web_html_markup(h, "<section class=\"box\" aria-labelledby=\"h-seg\"><h2 id=\"h-seg\">");
	web_html_text(h, AT(c, "dash.segments"));
	web_html_markup(h, "</h2>");
	if (d->no_policy) {
		web_html_markup(h, "<p>");
		web_html_text(h, AT(c, "dash.segments.nopolicy"));
		web_html_markup(h, "</p>");
	}
	for (i = 0; i < d->nsegments; i++) {
		labels[i] = d->segments[i].name[0] ? d->segments[i].name : AT(c, "dash.refused");
		v[i] = d->segments[i].devices;
	}
	ch.id = "segments";
	ch.title = AT(c, "dash.segments");
	ch.desc = AT(c, "dash.segments.desc");
	ch.label_head = AT(c, "dash.segment");
	ch.table_summary = AT(c, "dash.chart.figures");
	ch.labels = labels;
	ch.n = d->nsegments;
	ch.series = &s;
	ch.nseries = 1;
	web_svg_hbars(h, &ch);
	web_html_markup(h, "</section>");
}

/* The hour as the catalogue writes it ("{} h", "{}:00"): the template's
 * "{}" replaced by the two-digit hour (the catalogue is no format string). */
static void hour_label(char *out, size_t len, const char *tmpl, int hour)
{
	const char *at = strstr(tmpl, "{}");

	if (!at)
		snprintf(out, len, "%02d", hour);
	else
		snprintf(out, len, "%.*s%02d%s", (int)(at - tmpl), tmpl, hour, at + 2);
}

static void chart_auth(struct admin_ctx *c, struct web_html *h, const struct byod_dashboard *d)
{
	char lab[BYOD_DASH_HOURS][16];
	const char *labels[BYOD_DASH_HOURS];
	struct web_chart_series s[2] = {{AT(c, "dash.auth.accepted"), d->accepted},
					{AT(c, "dash.auth.refused"), d->refused}};
	struct web_chart ch = {0};
	int i;

	for (i = 0; i < BYOD_DASH_HOURS; i++) {
		time_t t = d->hour0 + (time_t)i * 3600;
		struct tm tm;

		localtime_r(&t, &tm);
		hour_label(lab[i], sizeof(lab[i]), AT(c, "dash.hour.fmt"), tm.tm_hour);
		labels[i] = lab[i];
	}
	web_html_markup(h, "<section class=\"box\" aria-labelledby=\"h-auth\"><h2 id=\"h-auth\">");
	web_html_text(h, AT(c, "dash.auth"));
	web_html_markup(h, "</h2>");
	ch.id = "auth";
	ch.title = AT(c, "dash.auth");
	ch.desc = AT(c, "dash.auth.desc");
	ch.label_head = AT(c, "dash.hour");
	ch.table_summary = AT(c, "dash.chart.figures");
	ch.labels = labels;
	ch.n = BYOD_DASH_HOURS;
	ch.series = s;
	ch.nseries = 2;
	web_svg_bars(h, &ch);

	/* the refusals by reason, over the 24 hours */
	web_html_markup(h, "<h3>");
	web_html_text(h, AT(c, "dash.reasons"));
	web_html_markup(h, "</h3>");
	admin_scroll_open(h, AT(c, "dash.reasons"));
	web_html_markup(h, "<table><thead><tr>");
	th_col(c, h, "dash.reason");
	th_col(c, h, "dash.count");
	web_html_markup(h, "</tr></thead><tbody>");
	for (i = 0; i < BYOD_DASH_REASON_N; i++) {
		char key[48];

		if (!d->refused_by[i])
			continue;
		snprintf(key, sizeof(key), "dash.reason.%s", byod_dash_reason_name(i));
		web_html_markup(h, "<tr><th scope=\"row\">");
		web_html_text(h, AT(c, key));
		web_html_markup(h, "</th>");
		td_i64(h, d->refused_by[i]);
		web_html_markup(h, "</tr>");
	}
	if (!d->refused_total) {
		web_html_markup(h, "<tr><td colspan=\"2\">");
		web_html_text(h, AT(c, "dash.reasons.none"));
		web_html_markup(h, "</td></tr>");
	}
	web_html_markup(h, "</tbody></table></div></section>");
}

static void chart_enrolments(struct admin_ctx *c, struct web_html *h,
			     const struct byod_dashboard *d)
{
	char lab[BYOD_DASH_DAYS][16];
	const char *labels[BYOD_DASH_DAYS];
	struct web_chart_series s = {AT(c, "dash.enrolments.series"), d->enrolments};
	struct web_chart ch = {0};
	int i;

	for (i = 0; i < BYOD_DASH_DAYS; i++) {
		struct tm tm;

		localtime_r(&d->day_start[i], &tm);
		snprintf(lab[i], sizeof(lab[i]), "%02d/%02d", tm.tm_mday, tm.tm_mon + 1);
		labels[i] = lab[i];
	}
	web_html_markup(h, "<section class=\"box\" aria-labelledby=\"h-enr\"><h2 id=\"h-enr\">");
	web_html_text(h, AT(c, "dash.enrolments"));
	web_html_markup(h, "</h2>");
	ch.id = "enrolments";
	ch.title = AT(c, "dash.enrolments");
	ch.desc = AT(c, "dash.enrolments.desc");
	ch.label_head = AT(c, "dash.day");
	ch.table_summary = AT(c, "dash.chart.figures");
	ch.labels = labels;
	ch.n = BYOD_DASH_DAYS;
	ch.series = &s;
	ch.nseries = 1;
	web_svg_bars(h, &ch);
	web_html_markup(h, "</section>");
}

static void certs(struct admin_ctx *c, struct web_html *h, const struct byod_dashboard *d)
{
	char n[24], href[64];
	size_t i;

	web_html_markup(h,
			"<section class=\"box\" aria-labelledby=\"h-certs\"><h2 id=\"h-certs\">");
	web_html_text(h, AT(c, "dash.certs"));
	web_html_markup(h, "</h2><p>");
	snprintf(n, sizeof(n), "%" PRId64, d->certs_ending);
	admin_text_with(h, ATN(c, "dash.certs.count", (unsigned long)d->certs_ending), n);
	web_html_markup(h, "</p>");
	if (d->ncerts) {
		admin_scroll_open(h, AT(c, "dash.certs"));
		web_html_markup(h, "<table><thead><tr>");
		th_col(c, h, "device.name");
		th_col(c, h, "device.owner");
		th_col(c, h, "dash.certs.ends");
		web_html_markup(h, "</tr></thead><tbody>");
		for (i = 0; i < d->ncerts; i++) {
			web_html_markup(h, "<tr><td><a");
			snprintf(href, sizeof(href), "/devices/%s", d->certs[i].device);
			web_html_url(h, "href", href);
			web_html_markup(h, ">");
			web_html_text(h, d->certs[i].device_name);
			web_html_markup(h, "</a></td><td>");
			web_html_text(h, d->certs[i].owner_login);
			web_html_markup(h, "</td><td>");
			admin_date(c, h, d->certs[i].not_after);
			web_html_markup(h, "</td></tr>");
		}
		web_html_markup(h, "</tbody></table></div>");
	}
	web_html_markup(h, "</section>");
}

static void nas(struct admin_ctx *c, struct web_html *h, const struct byod_dashboard *d)
{
	size_t i;

	web_html_markup(h, "<section class=\"box\" id=\"nas\" aria-labelledby=\"h-nas\">"
			   "<h2 id=\"h-nas\">");
	web_html_text(h, AT(c, "dash.nas"));
	web_html_markup(h, "</h2><p class=\"hint\">");
	web_html_text(h, AT(c, "dash.nas.hint"));
	web_html_markup(h, "</p>");
	admin_scroll_open(h, AT(c, "dash.nas.table"));
	web_html_markup(h, "<table><thead><tr>");
	th_col(c, h, "dash.nas.id");
	th_col(c, h, "dash.nas.ip");
	th_col(c, h, "dash.nas.last");
	th_col(c, h, "dash.sessions");
	th_col(c, h, "dash.state");
	web_html_markup(h, "</tr></thead><tbody>");
	for (i = 0; i < d->nnas; i++) {
		const struct byod_dash_nas *x = &d->nas[i];

		web_html_markup(h, "<tr><th scope=\"row\">");
		web_html_text(h, x->nas_id[0] ? x->nas_id : "—");
		web_html_markup(h, "</th><td>");
		web_html_text(h, x->nas_ip[0] ? x->nas_ip : "—");
		web_html_markup(h, "</td><td>");
		age(c, h, (long)(d->at - x->last));
		web_html_markup(h, "</td>");
		td_i64(h, x->sessions_open);
		td_flag(c, h, x->silent, "dash.nas.silent", "dash.ok");
		web_html_markup(h, "</tr>");
	}
	if (!d->nnas) {
		web_html_markup(h, "<tr><td colspan=\"5\">");
		web_html_text(h, AT(c, "dash.nas.none"));
		web_html_markup(h, "</td></tr>");
	}
	web_html_markup(h, "</tbody></table></div></section>");
}

static void daemons(struct admin_ctx *c, struct web_html *h, const struct byod_dashboard *d)
{
	char n[24];
	size_t i;

	web_html_markup(h, "<section class=\"box\" id=\"daemons\" aria-labelledby=\"h-daemons\">"
			   "<h2 id=\"h-daemons\">");
	web_html_text(h, AT(c, "dash.daemons"));
	web_html_markup(h, "</h2>");
	admin_scroll_open(h, AT(c, "dash.daemons.table"));
	web_html_markup(h, "<table><thead><tr>");
	th_col(c, h, "dash.daemon");
	th_col(c, h, "dash.daemon.node");
	th_col(c, h, "dash.daemon.seen");
	th_col(c, h, "dash.daemon.lag");
	th_col(c, h, "dash.state");
	web_html_markup(h, "</tr></thead><tbody>");
	for (i = 0; i < d->ngateways; i++) {
		const struct byod_dash_gateway *g = &d->gateways[i];

		web_html_markup(h, "<tr><th scope=\"row\">");
		web_html_text(h, g->component);
		if (!g->school[0]) {
			web_html_markup(h, " <span class=\"hint\">");
			web_html_text(h, AT(c, "dash.daemon.all"));
			web_html_markup(h, "</span>");
		}
		web_html_markup(h, "</th><td>");
		web_html_text(h, g->node);
		web_html_markup(h, "</td><td>");
		age(c, h, (long)(d->at - g->seen));
		web_html_markup(h, "</td><td>");
		if (g->feed_seq <= 0) {
			web_html_text(h, "—");
		} else if (!g->lag) {
			web_html_text(h, AT(c, "dash.daemon.uptodate"));
		} else {
			snprintf(n, sizeof(n), "%" PRId64, g->lag);
			admin_text_with(h, ATN(c, "dash.daemon.behind", (unsigned long)g->lag), n);
			if (g->lag_s) {
				web_html_markup(h, " (");
				age(c, h, g->lag_s);
				web_html_markup(h, ")");
			}
		}
		web_html_markup(h, "</td>");
		td_flag(c, h, g->stale || g->late,
			g->stale ? "dash.daemon.stale" : "dash.daemon.late", "dash.ok");
		web_html_markup(h, "</tr>");
	}
	if (!d->ngateways) {
		web_html_markup(h, "<tr><td colspan=\"5\">");
		web_html_text(h, AT(c, "dash.daemons.none"));
		web_html_markup(h, "</td></tr>");
	}
	web_html_markup(h, "</tbody></table></div></section>");
}

static void crl(struct admin_ctx *c, struct web_html *h, const struct byod_dashboard *d)
{
	web_html_markup(h, "<section class=\"box\" id=\"crl\" aria-labelledby=\"h-crl\">"
			   "<h2 id=\"h-crl\">");
	web_html_text(h, AT(c, "dash.crl"));
	web_html_markup(h, "</h2><p>");
	if (d->crl_missing) {
		web_html_text(h, AT(c, "dash.crl.missing"));
	} else {
		web_html_text(h, AT(c, "dash.crl.issued"));
		web_html_markup(h, " ");
		admin_date(c, h, d->crl_this_update);
		web_html_markup(h, " (");
		age(c, h, (long)(d->at - d->crl_this_update));
		web_html_markup(h, "). ");
		web_html_text(h, AT(c, "dash.crl.next"));
		web_html_markup(h, " ");
		admin_date(c, h, d->crl_next_update);
		web_html_markup(h, ".");
		if (d->crl_late) {
			web_html_markup(h, " <strong>");
			web_html_text(h, AT(c, "dash.crl.late"));
			web_html_markup(h, "</strong>");
		}
	}
	web_html_markup(h, "</p></section>");
}

static int school_page(struct admin_ctx *c, const char *uai, const char *self)
{
	struct byod_dashboard *d = calloc(1, sizeof(*d));
	struct byod_err err;
	struct web_html h;
	char title[REG_NAME_MAX + 32];
	int rc;

	if (!d)
		return -ENOMEM;
	rc = byod_dashboard_school(c->ctx, c->scope, uai, 0, d, &err);
	if (rc == -ENOENT || rc == -EINVAL) {
		free(d);
		return admin_not_found(c, "school", uai);
	}
	if (rc) {
		char buf[600];

		httpd_log("%s GET %s: %s", c->rq->client, c->rq->path,
			  byod_err_str(&err, buf, sizeof(buf)));
		free(d);
		return registry_fault(c, rc);
	}
	snprintf(title, sizeof(title), "%s (%s)", d->name, d->school);
	web_html_init(&h);
	admin_page_head(c, &h, title, "nav.dashboard");
	web_html_markup(&h, "<div id=\"dash\" data-feed=\"/flux\">");
	reload(c, &h, self, d->at);
	alerts(c, &h, d);
	headline(c, &h, d);
	chart_segments(c, &h, d);
	chart_auth(c, &h, d);
	chart_enrolments(c, &h, d);
	certs(c, &h, d);
	nas(c, &h, d);
	daemons(c, &h, d);
	crl(c, &h, d);
	web_html_markup(&h, "</div>");
	script(c, &h);
	free(d);
	return admin_page_finish(c, &h, 200);
}

/* ---- the département's table ------------------------------------------------ */

static int departement_page(struct admin_ctx *c)
{
	struct byod_dash_line *l = NULL;
	struct byod_err err;
	struct web_html h;
	char href[64], n[24];
	size_t nl = 0, i;
	int64_t unknown = 0;
	int rc, flagged = 0;

	rc = byod_dashboard_lines(c->ctx, c->scope, 0, &l, &nl, &unknown, &err);
	if (rc) {
		char buf[600];

		httpd_log("%s GET %s: %s", c->rq->client, c->rq->path,
			  byod_err_str(&err, buf, sizeof(buf)));
		return registry_fault(c, rc);
	}
	for (i = 0; i < nl; i++)
		flagged += l[i].flags > 0;
	web_html_init(&h);
	admin_page_head(c, &h, AT(c, "dash.departement"), "nav.dashboard");
	web_html_markup(&h, "<div id=\"dash\" data-feed=\"/flux\">");
	reload(c, &h, "/dashboard", time(NULL));
	web_html_markup(&h, "<p>");
	snprintf(n, sizeof(n), "%d", flagged);
	admin_text_with(&h, ATN(c, "dash.schools.flagged", flagged), n);
	web_html_markup(&h, "</p>");
	admin_scroll_open(&h, AT(c, "dash.schools.caption"));
	web_html_markup(&h, "<table class=\"schools\"><caption>");
	web_html_text(&h, AT(c, "dash.schools.caption"));
	web_html_markup(&h, "</caption><thead><tr>");
	th_col(c, &h, "dash.school");
	th_col(c, &h, "dash.state");
	th_col(c, &h, "dash.people");
	th_col(c, &h, "dash.devices.active");
	th_col(c, &h, "dash.devices.suspended");
	th_col(c, &h, "dash.sessions");
	th_col(c, &h, "dash.auth.accepted");
	th_col(c, &h, "dash.auth.refused");
	th_col(c, &h, "dash.enrolments.30");
	th_col(c, &h, "dash.certs.short");
	th_col(c, &h, "dash.nas.silent.col");
	th_col(c, &h, "dash.daemons.flagged.col");
	web_html_markup(&h, "</tr></thead><tbody>");
	for (i = 0; i < nl; i++) {
		const struct byod_dash_line *x = &l[i];

		web_html_markup(&h, "<tr><th scope=\"row\"><a");
		snprintf(href, sizeof(href), "/ecole/%s", x->school);
		web_html_url(&h, "href", href);
		web_html_markup(&h, ">");
		web_html_text(&h, x->name);
		web_html_markup(&h, "</a> <span class=\"hint\">");
		web_html_text(&h, x->school);
		web_html_markup(&h, "</span></th>");
		/* the alerts first: what the département looks for */
		if (x->flags) {
			web_html_markup(&h, "<td class=\"flag bad\">");
			snprintf(n, sizeof(n), "%d", x->flags);
			admin_text_with(&h, ATN(c, "dash.alerts.count", x->flags), n);
			web_html_markup(&h, "</td>");
		} else {
			td_flag(c, &h, 0, "dash.ok", "dash.ok");
		}
		td_i64(&h, x->people);
		td_i64(&h, x->devices[BYOD_DEVICE_ACTIVE]);
		td_i64(&h, x->devices[BYOD_DEVICE_SUSPENDED]);
		td_i64(&h, x->sessions_open);
		td_i64(&h, x->accepted);
		td_i64(&h, x->refused);
		td_i64(&h, x->enrolments);
		td_i64(&h, x->certs_ending);
		web_html_markup(&h, "<td>");
		web_html_textf(&h, "%d / %d", x->nas_silent, x->nas);
		web_html_markup(&h, "</td><td>");
		web_html_textf(&h, "%d / %d", x->gateways_flagged, x->gateways);
		web_html_markup(&h, "</td>");
		web_html_markup(&h, "</tr>");
	}
	if (!nl) {
		web_html_markup(&h, "<tr><td colspan=\"12\">");
		web_html_text(&h, AT(c, "dash.schools.none"));
		web_html_markup(&h, "</td></tr>");
	}
	web_html_markup(&h, "</tbody></table></div>");
	/* devices of no school: only a scope of every school sees them */
	if (c->scope->all) {
		web_html_markup(&h, "<p>");
		snprintf(n, sizeof(n), "%" PRId64, unknown);
		admin_text_with(&h, ATN(c, "dash.unknown", (unsigned long)unknown), n);
		web_html_markup(&h, "</p>");
	}
	web_html_markup(&h, "</div>");
	script(c, &h);
	free(l);
	return admin_page_finish(c, &h, 200);
}

/* The one school of a scope that holds exactly one, else NULL. */
static const char *only_school(const struct reg_scope *s, char *out, size_t len)
{
	const char *sp;

	if (s->all || !s->schools[0] || strchr(s->schools, ' '))
		return NULL;
	sp = s->schools;
	if (strlen(sp) >= len)
		return NULL;
	memcpy(out, sp, strlen(sp) + 1);
	return out;
}

int admin_dashboard_get(struct admin_ctx *c)
{
	char uai[REG_UAI_MAX];

	if (only_school(c->scope, uai, sizeof(uai)))
		return school_page(c, uai, "/dashboard");
	return departement_page(c);
}

int admin_school_get(struct admin_ctx *c)
{
	char self[64];

	/* a UAI and nothing after it; anything else is no school */
	if (byod_uai_check(c->rest, NULL))
		return admin_not_found(c, "school", c->rest);
	snprintf(self, sizeof(self), "/ecole/%s", c->rest);
	return school_page(c, c->rest, self);
}

/* ---- the script ------------------------------------------------------------- */

/* With JavaScript, the dashboard follows the change feed: on an event it
 * fetches the page again (at most every 5 s) and swaps #dash for the new
 * one when more than its reading time changed, keeping the tables of
 * figures the reader opened open; it announces nothing (the figures are
 * not a conversation). */
static const char js[] =
	"'use strict';\n"
	"(function () {\n"
	"  var dash = document.getElementById('dash');\n"
	"  if (!dash || !window.EventSource || !window.fetch || !window.DOMParser) return;\n"
	"  var busy = false, again = false, last = 0;\n"
	"  function core(el) {\n"
	"    var c = el.cloneNode(true), u = c.querySelector('.updated');\n"
	"    if (u) u.remove();\n"
	"    return c.innerHTML;\n"
	"  }\n"
	"  function swap(n) {\n"
	"    var u = dash.querySelector('.updated'), nu = n.querySelector('.updated');\n"
	"    if (core(n) === core(dash)) { if (u && nu) u.replaceWith(nu); return; }\n"
	"    var open = [].map.call(dash.querySelectorAll('details'), function (d) { return "
	"d.open; });\n"
	"    [].forEach.call(n.querySelectorAll('details'), function (d, i) { if (open[i]) d.open "
	"= true; });\n"
	"    dash.replaceWith(n); dash = n;\n"
	"  }\n"
	"  function refresh() {\n"
	"    var wait = last + 5000 - Date.now();\n"
	"    if (busy || wait > 0) { if (!again) { again = true;\n"
	"      setTimeout(function () { again = false; refresh(); }, Math.max(wait, 1000)); }\n"
	"      return; }\n"
	"    busy = true; last = Date.now();\n"
	"    fetch(location.href, { credentials: 'same-origin' })\n"
	"      .then(function (r) { return r.ok ? r.text() : null; })\n"
	"      .then(function (t) {\n"
	"        if (!t) return;\n"
	"        var n = new DOMParser().parseFromString(t, 'text/html').getElementById('dash');\n"
	"        if (n) swap(n);\n"
	"      })\n"
	"      .catch(function () {})\n"
	"      .then(function () { busy = false; });\n"
	"  }\n"
	"  var feed = new EventSource(dash.getAttribute('data-feed') || '/flux');\n"
	"  feed.addEventListener('change', refresh);\n"
	"  feed.addEventListener('tick', refresh);\n"
	"})();\n";

int admin_dashboard_js(struct admin_ctx *c)
{
	return httpd_body_copy(c->rs, "text/javascript; charset=utf-8", js, sizeof(js) - 1, 1);
}

/* ---- /flux: the change feed as Server-Sent Events ------------------------------ */

#define FLUX_MAX	 16  /* streams at once in this process */
#define FLUX_LIFE_S	 600 /* then the browser connects again (retry) */
#define FLUX_WAIT_MS	 250 /* a feed wait in the worker, at most */
#define FLUX_KEEPALIVE_S 15  /* a comment, so that no proxy or timeout ends it */
#define FLUX_TICK_S	 60  /* counts without feed events (RADIUS): a refresh */

static atomic_int flux_open;

struct flux {
	struct reg *reg; /* its own connection: the stream outlives the request */
	int64_t seq;
	time_t started, last_sent, last_tick;
	int hello;
	int owed; /* the wait said "moved" and the head could not be read: asked again */
};

static void flux_free(void *cls)
{
	struct flux *f = cls;

	reg_close(f->reg);
	free(f);
	atomic_fetch_sub(&flux_open, 1);
}

static ssize_t flux_out(struct flux *f, char *buf, size_t max, const char *text, time_t now)
{
	size_t n = strlen(text);

	if (n > max)
		return 0;
	memcpy(buf, text, n);
	f->last_sent = now;
	return (ssize_t)n;
}

/*
 * Called by the worker: the first call says how long to wait before
 * connecting again; then it waits on the change feed a little at a time
 * (FLUX_WAIT_MS: the worker serves other connections between calls) and
 * sends "change" with the feed's newest number when it moved. The number
 * says nothing of what changed: the page asks again with its scope.
 */
static ssize_t flux_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct flux *f = cls;
	time_t now = time(NULL);
	int64_t seq = 0;

	(void)pos;
	if (!f->hello) {
		f->hello = 1;
		return flux_out(f, buf, max, "retry: 5000\n: byod-admin\n\n", now);
	}
	if (now - f->started >= FLUX_LIFE_S)
		return -1;
	/* a wake-up is used once: when the head cannot be read after it (a
	 * connection reset there), it is owed, and the head asked again after
	 * the next wait whatever that says */
	if (reg_feed_wait(f->reg, FLUX_WAIT_MS, NULL) > 0)
		f->owed = 1;
	if (f->owed && reg_events_last(f->reg, &seq, NULL) == 0) {
		f->owed = 0;
		if (seq <= f->seq)
			seq = 0;
	} else {
		seq = 0;
	}
	if (seq) {
		f->seq = seq;
		/* that something changed, not how much: the feed's numbers are
		 * the whole département's */
		return flux_out(f, buf, max, "event: change\ndata: \n\n", now);
	}
	if (now - f->last_tick >= FLUX_TICK_S) {
		f->last_tick = now;
		return flux_out(f, buf, max, "event: tick\ndata: \n\n", now);
	}
	if (now - f->last_sent >= FLUX_KEEPALIVE_S)
		return flux_out(f, buf, max, ": \n\n", now);
	return 0;
}

int admin_flux_get(struct admin_ctx *c)
{
	struct byod_err err;
	struct flux *f;
	int rc;

	if (atomic_fetch_add(&flux_open, 1) >= FLUX_MAX) {
		atomic_fetch_sub(&flux_open, 1);
		c->rs->retry_after = 30;
		return admin_page_error(c, 503);
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		atomic_fetch_sub(&flux_open, 1);
		return -ENOMEM;
	}
	rc = reg_open_conf(&c->a->conf, "admin:flux", 0, &f->reg, &err);
	if (!rc)
		rc = reg_events_last(f->reg, &f->seq, &err);
	if (rc) {
		char buf[600];

		httpd_log("%s GET /flux: %s", c->rq->client, byod_err_str(&err, buf, sizeof(buf)));
		flux_free(f);
		return registry_fault(c, rc);
	}
	f->started = f->last_sent = f->last_tick = time(NULL);
	c->rs->status = 200;
	c->rs->content_type = "text/event-stream; charset=utf-8";
	c->rs->cacheable = 0;
	c->rs->stream = flux_read;
	c->rs->stream_cls = f;
	c->rs->stream_free = flux_free;
	return 0;
}
