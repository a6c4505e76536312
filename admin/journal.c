// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The console's audit log and people, read in the administrator's scope:
 * the audit rows with filters (who, what, school, period), newest first,
 * a page at a time, and their CSV export (itself audited); the people of
 * the schools in scope, searched by login, name or group. A school outside
 * the scope named in a filter finds nothing, as the registry's query
 * carries the scope whatever the filter says.
 */
#define _GNU_SOURCE
#include "admin_pages.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "admin_session.h"
#include "byod_buf.h"
#include "byod_types.h"
#include "byod_util.h"

#define AUDIT_PAGE    100
#define AUDIT_CSV_MAX 10000

struct rows {
	struct admin_ctx *c;
	struct web_html *h;
	struct byod_buf *csv;
	int csv_rc; /* the first failure writing the CSV */
	int64_t last_id;
	int n;
};

/* "2026-12-03" as local midnight; 0 when absent or malformed. */
static time_t day_of(const char *s)
{
	struct tm tm;
	char *end;

	if (!s || !s[0])
		return 0;
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%d", &tm);
	if (!end || *end)
		return 0;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

static const char *arg(struct admin_ctx *c, const char *name)
{
	const char *v = httpd_arg(c->rq, name);

	return v && v[0] && strlen(v) <= 64 ? v : NULL;
}

/* One CSV field (RFC 4180), with a leading = + - @ kept from a spreadsheet
 * reading it as a formula; the first failure stays in *rc. */
static void csv_field(struct byod_buf *b, int *rc, const char *s, int last)
{
	const char *p;

	*rc = *rc ?: byod_buf_putc(b, '"');
	if (s && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@'))
		*rc = *rc ?: byod_buf_putc(b, '\'');
	for (p = s ? s : ""; *p && !*rc; p++) {
		if (*p == '"')
			*rc = byod_buf_putc(b, '"');
		*rc = *rc ?: byod_buf_putc(b, *p);
	}
	*rc = *rc ?: byod_buf_puts(b, last ? "\"\r\n" : "\",");
}

static int audit_row(const struct reg_audit *a, void *arg)
{
	struct rows *r = arg;
	char when[32];

	r->last_id = a->id;
	r->n++;
	if (r->csv) {
		byod_time_iso(a->time, when, sizeof(when));
		csv_field(r->csv, &r->csv_rc, when, 0);
		csv_field(r->csv, &r->csv_rc, a->actor, 0);
		csv_field(r->csv, &r->csv_rc, a->action, 0);
		csv_field(r->csv, &r->csv_rc, a->object, 0);
		csv_field(r->csv, &r->csv_rc, a->school, 0);
		csv_field(r->csv, &r->csv_rc, a->after, 1);
		return r->csv_rc;
	}
	web_html_markup(r->h, "<tr><td>");
	admin_date(r->c, r->h, a->time);
	web_html_markup(r->h, "</td><td>");
	web_html_text(r->h, a->actor);
	web_html_markup(r->h, "</td><td>");
	web_html_text(r->h, a->action);
	web_html_markup(r->h, "</td><td>");
	web_html_text(r->h, a->object);
	web_html_markup(r->h, "</td><td>");
	web_html_text(r->h, a->school[0] ? a->school : "—");
	web_html_markup(r->h, "</td></tr>");
	return 0;
}

/* "&name=value" with value percent-encoded into out; what fits. */
static size_t url_param(char *out, size_t len, const char *name, const char *value)
{
	size_t n = 0;
	int w;

	if (len < 2)
		return 0;
	w = snprintf(out, len, "&%s=", name);
	if (w < 0 || (size_t)w >= len)
		return 0;
	n = (size_t)w;
	for (; *value && n + 4 < len; value++) {
		unsigned char ch = (unsigned char)*value;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_' || ch == ':')
			out[n++] = (char)ch;
		else
			n += (size_t)snprintf(out + n, len - n, "%%%02X", ch);
	}
	out[n] = '\0';
	return n;
}

static void filter_field(struct admin_ctx *c, struct web_html *h, const char *name,
			 const char *label_key, const char *type)
{
	const char *v = arg(c, name);

	web_html_markup(h, "<label");
	web_html_attr(h, "for", name);
	web_html_markup(h, ">");
	web_html_text(h, AT(c, label_key));
	web_html_markup(h, "</label><input maxlength=\"64\"");
	web_html_attr(h, "id", name);
	web_html_attr(h, "name", name);
	web_html_attr(h, "type", type);
	if (v)
		web_html_attr(h, "value", v);
	web_html_markup(h, ">");
}

/* The CSV of every row the filter finds (at most AUDIT_CSV_MAX). */
static int audit_csv(struct admin_ctx *c, struct reg_audit_filter *f)
{
	struct byod_buf csv;
	struct rows r = {.c = c, .csv = &csv};
	json_t *o;
	char *after, count[16];
	int rc;

	byod_buf_init(&csv, 0);
	rc = byod_buf_puts(&csv, "time,actor,action,object,school,after\r\n");
	f->limit = AUDIT_CSV_MAX;
	if (!rc)
		rc = reg_audit_search(c->ctx->reg, c->scope, f, audit_row, &r, NULL);
	if (rc) {
		byod_buf_free(&csv);
		return rc;
	}
	/* who took which rows away */
	snprintf(count, sizeof(count), "%d", r.n);
	o = json_pack("{s:s?, s:s?, s:s?, s:I, s:I, s:i}", "actor", f->actor, "action", f->action,
		      "school", f->school, "from", (json_int_t)f->from, "to", (json_int_t)f->to,
		      "rows", r.n);
	after = o ? json_dumps(o, JSON_COMPACT) : NULL;
	admin_audit(c, "admin.audit-export", count, "", after);
	free(after);
	json_decref(o);
	rc = httpd_body_copy(c->rs, "text/csv; charset=utf-8", csv.p, csv.len, 0);
	byod_buf_free(&csv);
	if (!rc)
		snprintf(c->rs->disposition, sizeof(c->rs->disposition),
			 "attachment; filename=\"audit.csv\"");
	return rc;
}

int admin_audit_get(struct admin_ctx *c)
{
	struct reg_audit_filter f = {.limit = AUDIT_PAGE};
	const char *before = arg(c, "before"), *fmt = arg(c, "format");
	struct web_html h;
	struct rows r = {.c = c, .h = &h};
	char next[400];
	int rc;

	f.actor = arg(c, "who");
	f.action = arg(c, "what");
	f.school = arg(c, "school");
	f.from = day_of(arg(c, "from"));
	f.to = day_of(arg(c, "to"));
	if (f.to)
		f.to += 86400; /* the whole last day */
	f.before_id = before ? strtoll(before, NULL, 10) : 0;
	if (f.before_id < 0)
		f.before_id = 0;
	if (fmt && !strcmp(fmt, "csv"))
		return audit_csv(c, &f);

	web_html_init(&h);
	admin_page_head(c, &h, AT(c, "nav.audit"), "nav.audit");
	web_html_markup(&h, "<form method=\"get\" action=\"/audit\" class=\"box filters\">");
	filter_field(c, &h, "who", "audit.filter.who", "text");
	filter_field(c, &h, "what", "audit.filter.what", "text");
	filter_field(c, &h, "school", "audit.filter.school", "text");
	filter_field(c, &h, "from", "audit.filter.from", "date");
	filter_field(c, &h, "to", "audit.filter.to", "date");
	web_html_markup(&h, "<button type=\"submit\">");
	web_html_text(&h, AT(c, "audit.filter.button"));
	web_html_markup(&h, "</button> <button type=\"submit\" name=\"format\" value=\"csv\">");
	web_html_text(&h, AT(c, "audit.export"));
	web_html_markup(&h, "</button></form>"
			    "<div class=\"scroll\" tabindex=\"0\" role=\"region\"");
	web_html_attr(&h, "aria-label", AT(c, "nav.audit"));
	web_html_markup(&h, "><table><thead><tr><th scope=\"col\">");
	web_html_text(&h, AT(c, "audit.time"));
	web_html_markup(&h, "</th><th scope=\"col\">");
	web_html_text(&h, AT(c, "audit.actor"));
	web_html_markup(&h, "</th><th scope=\"col\">");
	web_html_text(&h, AT(c, "audit.action"));
	web_html_markup(&h, "</th><th scope=\"col\">");
	web_html_text(&h, AT(c, "audit.object"));
	web_html_markup(&h, "</th><th scope=\"col\">");
	web_html_text(&h, AT(c, "device.school"));
	web_html_markup(&h, "</th></tr></thead><tbody>");
	rc = reg_audit_search(c->ctx->reg, c->scope, &f, audit_row, &r, NULL);
	if (rc) {
		web_html_free(&h);
		return rc;
	}
	web_html_markup(&h, "</tbody></table></div>");
	if (!r.n) {
		web_html_markup(&h, "<p role=\"status\">");
		web_html_text(&h, AT(c, "audit.none"));
		web_html_markup(&h, "</p>");
	}
	if (r.n == AUDIT_PAGE) {
		/* the next page starts below the last row shown, same filters */
		size_t used = (size_t)snprintf(next, sizeof(next), "/audit?before=%lld",
					       (long long)r.last_id);
		static const char *const keep[] = {"who", "what", "school", "from", "to", NULL};
		int i;

		for (i = 0; keep[i]; i++)
			if (arg(c, keep[i]))
				used += url_param(next + used, sizeof(next) - used, keep[i],
						  arg(c, keep[i]));
		web_html_markup(&h, "<p><a");
		web_html_url(&h, "href", next);
		web_html_markup(&h, ">");
		web_html_text(&h, AT(c, "audit.older"));
		web_html_markup(&h, "</a></p>");
	}
	return admin_page_finish(c, &h, 200);
}

/* ---- people ------------------------------------------------------------- */

static void role_text(struct admin_ctx *c, struct web_html *h, int role)
{
	char key[40];

	snprintf(key, sizeof(key), "person.role.%s",
		 byod_role_name(role) ? byod_role_name(role) : "");
	web_html_text(h, AT(c, key));
}

static int person_row(const struct reg_person *p, void *arg)
{
	struct rows *r = arg;
	char href[REG_LOGIN_MAX + 16];

	snprintf(href, sizeof(href), "/people/%s", p->login);
	web_html_markup(r->h, "<tr><td><a");
	web_html_url(r->h, "href", href);
	web_html_markup(r->h, ">");
	web_html_text(r->h, p->login);
	web_html_markup(r->h, "</a></td><td>");
	web_html_text(r->h, p->display_name);
	web_html_markup(r->h, "</td><td>");
	role_text(r->c, r->h, p->role);
	web_html_markup(r->h, "</td><td>");
	web_html_text(r->h, p->school[0] ? p->school : "—");
	web_html_markup(r->h, "</td><td>");
	web_html_text(r->h, p->groups);
	web_html_markup(r->h, "</td><td>");
	web_html_text(r->h, AT(r->c, p->state == REG_PERSON_ACTIVE ? "person.state.active"
								   : "person.state.disabled"));
	web_html_markup(r->h, "</td></tr>");
	return 0;
}

int admin_people_get(struct admin_ctx *c)
{
	const char *q = arg(c, "q");
	struct reg_person_search s = {.text = q, .role = -1, .state = -1, .limit = 100};
	struct web_html h;
	struct rows r = {.c = c, .h = &h};
	char n[16];
	int total = 0, rc;

	web_html_init(&h);
	admin_page_head(c, &h, AT(c, "nav.people"), "nav.people");
	web_html_markup(&h, "<form method=\"get\" action=\"/people\" role=\"search\">"
			    "<label for=\"q\">");
	web_html_text(&h, AT(c, "people.search"));
	web_html_markup(&h, "</label><input id=\"q\" name=\"q\" type=\"search\" maxlength=\"64\"");
	if (q)
		web_html_attr(&h, "value", q);
	web_html_markup(&h, "><button type=\"submit\">");
	web_html_text(&h, AT(c, "devices.search.button"));
	web_html_markup(&h, "</button></form><div class=\"scroll\" tabindex=\"0\" role=\"region\"");
	web_html_attr(&h, "aria-label", AT(c, "nav.people"));
	web_html_markup(&h, "><table><thead><tr><th scope=\"col\">");
	web_html_text(&h, AT(c, "login.user"));
	web_html_markup(&h, "</th><th scope=\"col\">");
	web_html_text(&h, AT(c, "person.name"));
	web_html_markup(&h, "</th><th scope=\"col\">");
	web_html_text(&h, AT(c, "person.role"));
	web_html_markup(&h, "</th><th scope=\"col\">");
	web_html_text(&h, AT(c, "device.school"));
	web_html_markup(&h, "</th><th scope=\"col\">");
	web_html_text(&h, AT(c, "person.groups"));
	web_html_markup(&h, "</th><th scope=\"col\">");
	web_html_text(&h, AT(c, "device.state"));
	web_html_markup(&h, "</th></tr></thead><tbody>");
	rc = reg_person_search(c->ctx->reg, c->scope, &s, person_row, &r, &total, NULL);
	if (rc) {
		web_html_free(&h);
		return rc;
	}
	web_html_markup(&h, "</tbody></table></div><p role=\"status\">");
	snprintf(n, sizeof(n), "%d", total);
	admin_text_with(&h, ATN(c, "people.count", total), n);
	web_html_markup(&h, "</p>");
	return admin_page_finish(c, &h, 200);
}

/* ---- a person ----------------------------------------------------------- */

struct owned {
	struct admin_ctx *c;
	struct web_html *h;
	const char *login;
	int n;
};

static int owned_row(const struct reg_device *d, void *arg)
{
	struct owned *o = arg;
	char href[64];

	if (strcmp(d->owner_login, o->login))
		return 0; /* the search matches by "contains" */
	o->n++;
	snprintf(href, sizeof(href), "/devices/%s", d->id);
	web_html_markup(o->h, "<li><a");
	web_html_url(o->h, "href", href);
	web_html_markup(o->h, ">");
	web_html_text(o->h, d->name[0] ? d->name : d->id);
	web_html_markup(o->h, "</a></li>");
	return 0;
}

int admin_person_get(struct admin_ctx *c)
{
	struct reg_device_search s = {.state = -1, .limit = 1000};
	struct reg_person p;
	struct web_html h;
	struct owned o = {.c = c, .h = &h, .login = c->rest};
	int rc;

	if (strlen(c->rest) >= REG_LOGIN_MAX)
		return admin_not_found(c, "person", c->rest);
	rc = reg_person_get_scoped(c->ctx->reg, c->scope, c->rest, &p, NULL);
	if (rc == -ENOENT)
		return admin_not_found(c, "person", c->rest);
	if (rc)
		return rc;
	web_html_init(&h);
	admin_page_head(c, &h, p.display_name[0] ? p.display_name : p.login, "nav.people");
	web_html_markup(&h, "<dl class=\"values box\"><dt>");
	web_html_text(&h, AT(c, "login.user"));
	web_html_markup(&h, "</dt><dd>");
	web_html_text(&h, p.login);
	web_html_markup(&h, "</dd><dt>");
	web_html_text(&h, AT(c, "person.role"));
	web_html_markup(&h, "</dt><dd>");
	role_text(c, &h, p.role);
	web_html_markup(&h, "</dd><dt>");
	web_html_text(&h, AT(c, "device.school"));
	web_html_markup(&h, "</dt><dd>");
	web_html_text(&h, p.school[0] ? p.school : "—");
	web_html_markup(&h, "</dd><dt>");
	web_html_text(&h, AT(c, "person.groups"));
	web_html_markup(&h, "</dt><dd>");
	web_html_text(&h, p.groups[0] ? p.groups : "—");
	web_html_markup(&h, "</dd><dt>");
	web_html_text(&h, AT(c, "device.state"));
	web_html_markup(&h, "</dt><dd>");
	web_html_text(&h, AT(c, p.state == REG_PERSON_ACTIVE ? "person.state.active"
							     : "person.state.disabled"));
	web_html_markup(&h, "</dd></dl><h2>");
	web_html_text(&h, AT(c, "nav.devices"));
	web_html_markup(&h, "</h2><ul>");
	s.text = p.login;
	rc = reg_device_search(c->ctx->reg, c->scope, &s, owned_row, &o, NULL, NULL);
	web_html_markup(&h, "</ul>");
	if (rc) {
		web_html_free(&h);
		return rc;
	}
	if (!o.n) {
		web_html_markup(&h, "<p>");
		web_html_text(&h, AT(c, "person.no-device"));
		web_html_markup(&h, "</p>");
	}
	return admin_page_finish(c, &h, 200);
}
