// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The console's Journal: the audit log in the administrator's scope
 * (reg_audit_search carries it: a school administrator never reads
 * another school's rows, nor rows that concern no school), filtered by
 * who (the actor, exactly), what (an action prefix: "policy." or
 * "device.state"), object (exactly), school and period (two dates, both
 * days included, in the server's time zone), newest first and paged by
 * id; and the same
 * filter as a CSV file for a spreadsheet (web/csvout.c: UTF-8 with BOM,
 * ';' as a French Excel expects, or ',' with sep=comma, formulas
 * guarded). A school outside the scope named in the filter is the 404 and
 * audit row of any row outside it.
 */
#include "admin_pages.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "admin_session.h"
#include "csvout.h"

#define PAGE_ROWS    50
#define CSV_MAX_ROWS 100000 /* one export; the registry gives them 1000 at a time */

struct filter {
	const char *who, *what, *school, *object, *from_s, *to_s, *before_s;
	struct reg_audit_filter f;
};

/* A day "YYYY-MM-DD" as the local midnight starting it; -1 when malformed. */
static time_t day_start(const char *s)
{
	struct tm tm;
	int y, m, d;
	char tail;

	if (sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || y < 1970 || y > 9999 || m < 1 ||
	    m > 12 || d < 1 || d > 31)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

/* The query's filter into x: 0, 1 when the error page is made (400, or the
 * 404 and audit row of a school outside the scope), or a negative errno. */
static int read_filter(struct admin_ctx *c, struct filter *x)
{
	const struct httpd_request *rq = c->rq;
	char *end;
	time_t t;

	memset(x, 0, sizeof(*x));
	x->who = httpd_arg(rq, "who");
	x->what = httpd_arg(rq, "what");
	x->school = httpd_arg(rq, "school");
	x->object = httpd_arg(rq, "object");
	x->from_s = httpd_arg(rq, "from");
	x->to_s = httpd_arg(rq, "to");
	x->before_s = httpd_arg(rq, "before");
	if (x->who && !x->who[0])
		x->who = NULL;
	if (x->what && !x->what[0])
		x->what = NULL;
	if (x->school && !x->school[0])
		x->school = NULL;
	if (x->object && !x->object[0])
		x->object = NULL;
	if (x->from_s && !x->from_s[0])
		x->from_s = NULL;
	if (x->to_s && !x->to_s[0])
		x->to_s = NULL;
	if ((x->who && strlen(x->who) >= 64) || (x->what && strlen(x->what) >= 32) ||
	    (x->object && strlen(x->object) >= 64))
		return admin_page_error(c, 400) ?: 1;
	if (x->school && (strlen(x->school) >= REG_UAI_MAX || !reg_scope_has(c->scope, x->school)))
		return admin_not_found(c, "audit-school", x->school) ?: 1;
	x->f.actor = x->who;
	x->f.action = x->what;
	x->f.school = x->school;
	x->f.object = x->object;
	if (x->from_s) {
		t = day_start(x->from_s);
		if (t < 0)
			return admin_page_error(c, 400) ?: 1;
		x->f.from = t;
	}
	if (x->to_s) {
		t = day_start(x->to_s);
		if (t < 0)
			return admin_page_error(c, 400) ?: 1;
		/* the next local midnight: the whole day, whatever its length */
		{
			struct tm tm;

			localtime_r(&t, &tm);
			tm.tm_mday++;
			tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
			tm.tm_isdst = -1;
			x->f.to = mktime(&tm);
		}
	}
	if (x->before_s && x->before_s[0]) {
		long long b = strtoll(x->before_s, &end, 10);

		if (*end || b <= 0)
			return admin_page_error(c, 400) ?: 1;
		x->f.before_id = b;
	}
	return 0;
}

/* Appends "&name=value" (value percent-encoded) to q. */
static void query_add(char *q, size_t size, const char *name, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(q);
	const unsigned char *p;

	if (!value)
		return;
	n += (size_t)snprintf(q + n, n < size ? size - n : 0, "%s%s=", q[0] ? "&" : "", name);
	for (p = (const unsigned char *)value; *p && n + 4 < size; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_') {
			q[n++] = (char)*p;
		} else {
			q[n++] = '%';
			q[n++] = hex[*p >> 4];
			q[n++] = hex[*p & 15];
		}
	}
	q[n < size ? n : size - 1] = '\0';
}

static void query_of(const struct filter *x, char *q, size_t size)
{
	q[0] = '\0';
	query_add(q, size, "who", x->who);
	query_add(q, size, "what", x->what);
	query_add(q, size, "school", x->school);
	query_add(q, size, "object", x->object);
	query_add(q, size, "from", x->from_s);
	query_add(q, size, "to", x->to_s);
}

/* ---- the page ---------------------------------------------------------------- */

struct rows {
	struct admin_ctx *c;
	struct web_html *h;
	int n;
	int64_t last;
};

static int row(const struct reg_audit *a, void *arg)
{
	struct rows *r = arg;
	struct web_html *h = r->h;
	const char *detail = a->after ? a->after : a->before;

	if (++r->n > PAGE_ROWS)
		return 0; /* the one more that says there is a next page */
	r->last = a->id;
	web_html_markup(h, "<tr><td>");
	web_html_textf(h, "%lld", (long long)a->id);
	web_html_markup(h, "</td><td>");
	admin_date(r->c, h, a->time);
	web_html_markup(h, "</td><td>");
	web_html_text(h, a->actor);
	web_html_markup(h, "</td><td>");
	web_html_text(h, a->action);
	web_html_markup(h, "</td><td>");
	web_html_text(h, a->object);
	web_html_markup(h, "</td><td>");
	web_html_text(h, a->school[0] ? a->school : "—");
	web_html_markup(h, "</td><td><code class=\"detail\">");
	if (detail)
		web_html_textf(h, "%.200s%s", detail, strlen(detail) > 200 ? "…" : "");
	web_html_markup(h, "</code></td></tr>");
	return 0;
}

struct school_opts {
	struct web_html *h;
	const char *selected;
};

static int school_option(const struct reg_school *s, void *arg)
{
	struct school_opts *o = arg;

	web_html_markup(o->h, "<option");
	web_html_attr(o->h, "value", s->uai);
	if (o->selected && !strcmp(o->selected, s->uai))
		web_html_markup(o->h, " selected");
	web_html_markup(o->h, ">");
	web_html_textf(o->h, "%s (%s)", s->name, s->uai);
	web_html_markup(o->h, "</option>");
	return 0;
}

static void field(struct admin_ctx *c, struct web_html *h, const char *id, const char *type,
		  const char *label_key, const char *value)
{
	char key[48];

	web_html_markup(h, "<div class=\"field\"><label");
	web_html_attr(h, "for", id);
	web_html_markup(h, ">");
	web_html_text(h, AT(c, label_key));
	web_html_markup(h, "</label>");
	snprintf(key, sizeof(key), "%s.hint", label_key);
	if (strcmp(AT(c, key), key)) {
		web_html_markup(h, "<p class=\"hint\"");
		web_html_attr(h, "id", key);
		web_html_markup(h, ">");
		web_html_text(h, AT(c, key));
		web_html_markup(h, "</p>");
	}
	web_html_markup(h, "<input");
	web_html_attr(h, "id", id);
	web_html_attr(h, "name", id);
	web_html_attr(h, "type", type);
	if (strcmp(AT(c, key), key))
		web_html_attr(h, "aria-describedby", key);
	if (value)
		web_html_attr(h, "value", value);
	web_html_markup(h, "></div>");
}

int admin_journal_get(struct admin_ctx *c)
{
	struct filter x;
	struct web_html h;
	struct rows r = {.c = c, .h = &h};
	struct school_opts o;
	char q[1200], href[1400];
	int rc;

	/* /audit?format=csv is the export too */
	if (httpd_arg(c->rq, "format") && !strcmp(httpd_arg(c->rq, "format"), "csv"))
		return admin_journal_csv_get(c);
	rc = read_filter(c, &x);
	if (rc)
		return rc > 0 ? 0 : rc;
	x.f.limit = PAGE_ROWS + 1;
	query_of(&x, q, sizeof(q));
	web_html_init(&h);
	admin_page_head(c, &h, AT(c, "nav.audit"), "nav.audit");
	web_html_markup(&h, "<form method=\"get\" action=\"/audit\" class=\"box filters\" "
			    "role=\"search\">");
	field(c, &h, "who", "text", "audit.filter.who", x.who);
	field(c, &h, "what", "text", "audit.filter.what", x.what);
	web_html_markup(&h, "<div class=\"field\"><label for=\"school\">");
	web_html_text(&h, AT(c, "audit.filter.school"));
	web_html_markup(&h, "</label><select id=\"school\" name=\"school\"><option value=\"\">");
	web_html_text(&h, AT(c, "audit.filter.school.any"));
	web_html_markup(&h, "</option>");
	o.h = &h;
	o.selected = x.school;
	rc = reg_school_list_scoped(c->ctx->reg, c->scope, school_option, &o, NULL);
	web_html_markup(&h, "</select></div>");
	field(c, &h, "from", "date", "audit.filter.from", x.from_s);
	field(c, &h, "to", "date", "audit.filter.to", x.to_s);
	web_html_markup(&h, "<button type=\"submit\">");
	web_html_text(&h, AT(c, "audit.filter.button"));
	web_html_markup(&h, "</button></form><p><a");
	snprintf(href, sizeof(href), "/audit.csv%s%s", q[0] ? "?" : "", q);
	web_html_url(&h, "href", href);
	web_html_markup(&h, " download>");
	web_html_text(&h, AT(c, "audit.export"));
	web_html_markup(&h, "</a></p>");
	admin_scroll_open(&h, AT(c, "nav.audit"));
	web_html_markup(&h, "<table id=\"audit\"><thead><tr>"
			    "<th scope=\"col\">");
	web_html_text(&h, AT(c, "audit.id"));
	web_html_markup(&h, "</th><th scope=\"col\">");
	web_html_text(&h, AT(c, "audit.time"));
	web_html_markup(&h, "</th><th scope=\"col\">");
	web_html_text(&h, AT(c, "audit.actor"));
	web_html_markup(&h, "</th><th scope=\"col\">");
	web_html_text(&h, AT(c, "audit.action"));
	web_html_markup(&h, "</th><th scope=\"col\">");
	web_html_text(&h, AT(c, "audit.object"));
	web_html_markup(&h, "</th><th scope=\"col\">");
	web_html_text(&h, AT(c, "audit.school"));
	web_html_markup(&h, "</th><th scope=\"col\">");
	web_html_text(&h, AT(c, "audit.detail"));
	web_html_markup(&h, "</th></tr></thead><tbody>");
	if (!rc)
		rc = reg_audit_search(c->ctx->reg, c->scope, &x.f, row, &r, NULL);
	web_html_markup(&h, "</tbody></table></div>");
	if (rc) {
		web_html_free(&h);
		return rc;
	}
	if (!r.n) {
		web_html_markup(&h, "<p role=\"status\">");
		web_html_text(&h, AT(c, "audit.none"));
		web_html_markup(&h, "</p>");
	}
	if (r.n > PAGE_ROWS) {
		snprintf(href, sizeof(href), "/audit?%s%sbefore=%lld", q, q[0] ? "&" : "",
			 (long long)r.last);
		web_html_markup(&h, "<p><a rel=\"next\"");
		web_html_url(&h, "href", href);
		web_html_markup(&h, ">");
		web_html_text(&h, AT(c, "audit.next"));
		web_html_markup(&h, "</a></p>");
	}
	return admin_page_finish(c, &h, 200);
}

/* ---- the CSV file ------------------------------------------------------------ */

struct csv_rows {
	struct web_csv *w;
	int n;
	int64_t last;
};

static int csv_row(const struct reg_audit *a, void *arg)
{
	struct csv_rows *r = arg;
	struct tm tm;
	char when[40] = "";

	if (localtime_r(&a->time, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S%z", &tm);
	web_csv_int(r->w, a->id);
	web_csv_field(r->w, when);
	web_csv_field(r->w, a->actor);
	web_csv_field(r->w, a->action);
	web_csv_field(r->w, a->object);
	web_csv_field(r->w, a->school);
	web_csv_field(r->w, a->before);
	web_csv_field(r->w, a->after);
	web_csv_row_end(r->w);
	r->n++;
	r->last = a->id;
	return 0;
}

int admin_journal_csv_get(struct admin_ctx *c)
{
	const char *sep = httpd_arg(c->rq, "sep");
	struct filter x;
	struct web_csv w;
	struct csv_rows r = {.w = &w};
	json_t *o;
	char *after, *body;
	size_t len = 0;
	int rc, total = 0;

	rc = read_filter(c, &x);
	if (rc)
		return rc > 0 ? 0 : rc;
	web_csv_init(&w, sep && !strcmp(sep, "comma") ? ',' : ';');
	web_csv_field(&w, "id");
	web_csv_field(&w, "time");
	web_csv_field(&w, "actor");
	web_csv_field(&w, "action");
	web_csv_field(&w, "object");
	web_csv_field(&w, "school");
	web_csv_field(&w, "before");
	web_csv_field(&w, "after");
	web_csv_row_end(&w);
	x.f.limit = 1000;
	do {
		r.n = 0;
		rc = reg_audit_search(c->ctx->reg, c->scope, &x.f, csv_row, &r, NULL);
		total += r.n;
		x.f.before_id = r.last;
	} while (!rc && r.n == x.f.limit && total < CSV_MAX_ROWS);
	if (rc) {
		web_csv_free(&w);
		return rc;
	}
	body = web_csv_take(&w, &len);
	if (!body)
		return -ENOMEM;
	/* who took a copy of the log, and of what */
	o = json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?, s:i}", "who", x.who, "what", x.what, "school",
		      x.school, "from", x.from_s, "to", x.to_s, "rows", total);
	after = o ? json_dumps(o, JSON_COMPACT) : NULL;
	admin_audit(c, "admin.audit-export", NULL, x.school ? x.school : "", after);
	free(after);
	json_decref(o);
	c->rs->status = 200;
	c->rs->content_type = "text/csv; charset=utf-8";
	snprintf(c->rs->disposition, sizeof(c->rs->disposition),
		 "attachment; filename=\"journal.csv\"");
	c->rs->body = body;
	c->rs->len = len;
	return 0;
}
