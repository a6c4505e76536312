// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The frame every page of the console is drawn in: the header with the
 * administrator's name and role, the logout button and the FR/EN switch,
 * the navigation (Tableau de bord, Appareils, Personnes, Politique,
 * Journal) with the current entry marked, then the page's heading. Every
 * word comes from the catalogues (po/), every value through the escaping
 * builder; pages work without JavaScript and fit a 360-pixel screen. And
 * what every page needs besides: the form token field, notices, dates,
 * error pages, redirects, audit rows in the administrator's name.
 */
#include "admin.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "admin_session.h"
#include "byod_util.h"

/* The navigation, in its order: the catalogue key and where it goes. */
static const struct {
	const char *key, *path;
} nav[] = {
	{"nav.dashboard", "/dashboard"}, {"nav.devices", "/devices"}, {"nav.people", "/people"},
	{"nav.policy", "/policy"},	 {"nav.audit", "/audit"},
};

static void head_who(struct admin_ctx *c, struct web_html *h)
{
	char key[48];

	snprintf(key, sizeof(key), "role.%s", reg_admin_role_name(c->admin->role));
	web_html_markup(h, "<p class=\"who\"><span>");
	web_html_text(h, c->admin->display_name[0] ? c->admin->display_name : c->admin->login);
	web_html_markup(h, "</span> <span class=\"role\">");
	web_html_text(h, AT(c, key));
	if (c->admin->schools[0]) {
		web_html_text(h, " · ");
		web_html_text(h, c->admin->schools);
	}
	web_html_markup(h, "</span></p>");
}

void admin_href_with(const char *target, const char *name, const char *value, char *out, size_t len)
{
	const char *q = strchr(target, '?'), *p, *end;
	size_t n = q ? (size_t)(q - target) : strlen(target), used, nl = strlen(name);
	int w;

	w = snprintf(out, len, "%.*s?", (int)n, target);
	used = w < 0 || (size_t)w >= len ? 0 : (size_t)w;
	for (p = q ? q + 1 : NULL; p && *p && used; p = *end ? end + 1 : end) {
		end = strchr(p, '&');
		if (!end)
			end = p + strlen(p);
		if (end == p || (!strncmp(p, name, nl) && p[nl] == '='))
			continue;
		w = snprintf(out + used, len - used, "%.*s&", (int)(end - p), p);
		if (w < 0 || (size_t)w >= len - used)
			used = 0; /* too long: the bare path below */
		else
			used += (size_t)w;
	}
	if (!used || snprintf(out + used, len - used, "%s=%s", name, value) >= (int)(len - used))
		snprintf(out, len, "%.*s?%s=%s", (int)n, target, name, value);
}

void admin_page_head(struct admin_ctx *c, struct web_html *h, const char *title,
		     const char *current)
{
	const struct httpd_request *rq = c->rq;
	const char *other = !strcmp(c->lang, "fr") ? "en" : "fr";
	int get = !strcmp(rq->method, "GET") || !strcmp(rq->method, "HEAD");
	char href[700], full[300];
	size_t i;

	snprintf(full, sizeof(full), "%s — %s", title, AT(c, "site.title"));
	web_html_markup(h, "<!DOCTYPE html>\n<html");
	web_html_attr(h, "lang", c->lang);
	web_html_markup(h, "><head><meta charset=\"utf-8\">"
			   "<meta name=\"viewport\" content=\"width=device-width, "
			   "initial-scale=1\"><title>");
	web_html_text(h, full);
	web_html_markup(h, "</title><link rel=\"stylesheet\" href=\"/static/admin.css\">"
			   "</head><body><a class=\"skip\" href=\"#main\">");
	web_html_text(h, AT(c, "nav.skip"));
	web_html_markup(h, "</a><header><p class=\"site\">");
	web_html_text(h, AT(c, "site.title"));
	web_html_markup(h, "</p>");
	if (c->admin)
		head_who(c, h);
	web_html_markup(h, "<p class=\"tools\"><a");
	web_html_attr(h, "lang", other);
	web_html_attr(h, "hreflang", other);
	/* the switch keeps the page: a GET's path and query, or the path that
	 * shows a POST's answer again; another POST's answer goes home */
	if (c->self)
		snprintf(href, sizeof(href), "%s%slang=%s", c->self,
			 strchr(c->self, '?') ? "&" : "?", other);
	else if (get && rq->target)
		admin_href_with(rq->target, "lang", other, href, sizeof(href));
	else
		snprintf(href, sizeof(href), "%s?lang=%s", get ? rq->path : "/", other);
	web_html_url(h, "href", href);
	web_html_markup(h, ">");
	web_html_text(h, AT(c, "lang.switch"));
	web_html_markup(h, "</a>");
	if (c->session && c->session->exists) {
		web_html_markup(h, "<form method=\"post\" action=\"/logout\">");
		admin_token_field(c, h);
		web_html_markup(h, "<button class=\"link\" type=\"submit\">");
		web_html_text(h, AT(c, "nav.logout"));
		web_html_markup(h, "</button></form>");
	}
	web_html_markup(h, "</p></header>");
	if (c->admin) {
		web_html_markup(h, "<nav");
		web_html_attr(h, "aria-label", AT(c, "nav.label"));
		web_html_markup(h, "><ul>");
		for (i = 0; i < sizeof(nav) / sizeof(nav[0]); i++) {
			web_html_markup(h, "<li><a");
			web_html_url(h, "href", nav[i].path);
			if (current && !strcmp(current, nav[i].key))
				web_html_attr(h, "aria-current", "page");
			web_html_markup(h, ">");
			web_html_text(h, AT(c, nav[i].key));
			web_html_markup(h, "</a></li>");
		}
		web_html_markup(h, "</ul></nav>");
	}
	web_html_markup(h, "<main id=\"main\"><h1>");
	web_html_text(h, title);
	web_html_markup(h, "</h1>");
}

int admin_page_finish(struct admin_ctx *c, struct web_html *h, int status)
{
	int why;

	/* every page leads to the privacy page (privacy.c) */
	web_html_markup(h, "</main><footer><a");
	web_html_url(h, "href", "/confidentialite");
	web_html_markup(h, ">");
	web_html_text(h, AT(c, "footer.privacy"));
	web_html_markup(h, "</a></footer></body></html>\n");
	why = h->oom;
	c->rs->body = web_html_take(h, &c->rs->len);
	if (!c->rs->body)
		return why ? -why : -ENOMEM;
	c->rs->status = status;
	c->rs->content_type = "text/html; charset=utf-8";
	return 0;
}

void admin_token_field(struct admin_ctx *c, struct web_html *h)
{
	int rc;

	if (!c->token[0] && (rc = admin_form_token(c))) {
		c->token[0] = '\0';
		/* no page with a form that cannot be sent */
		if (!h->oom)
			h->oom = rc < 0 ? -rc : EIO;
		return;
	}
	web_html_markup(h, "<input type=\"hidden\" name=\"csrf\"");
	web_html_attr(h, "value", c->token);
	web_html_markup(h, ">");
}

void admin_text_with(struct web_html *h, const char *tmpl, const char *value)
{
	const char *at = strstr(tmpl, "{}");
	char before[512];

	if (!at) {
		web_html_text(h, tmpl);
		return;
	}
	snprintf(before, sizeof(before), "%.*s", (int)(at - tmpl), tmpl);
	web_html_text(h, before);
	web_html_text(h, value);
	web_html_text(h, at + 2);
}

void admin_notice(struct web_html *h, const char *text, int error)
{
	if (error)
		web_html_markup(h, "<p class=\"notice error\" role=\"alert\">");
	else
		web_html_markup(h, "<p class=\"notice\" role=\"status\">");
	web_html_text(h, text);
	web_html_markup(h, "</p>");
}

void admin_date(struct admin_ctx *c, struct web_html *h, time_t t)
{
	static const char *const months[] = {"jan", "feb", "mar", "apr", "may", "jun",
					     "jul", "aug", "sep", "oct", "nov", "dec"};
	char key[24];
	struct tm tm;

	if (!t || !localtime_r(&t, &tm)) {
		web_html_text(h, "—");
		return;
	}
	snprintf(key, sizeof(key), "month.%s", months[tm.tm_mon]);
	web_html_markup(h, "<time");
	{
		char iso[32];

		strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M", &tm);
		web_html_attr(h, "datetime", iso);
	}
	web_html_markup(h, ">");
	web_html_textf(h, "%d %s %d %02d:%02d", tm.tm_mday, AT(c, key), tm.tm_year + 1900,
		       tm.tm_hour, tm.tm_min);
	web_html_markup(h, "</time>");
}

int admin_page_error(struct admin_ctx *c, int status)
{
	struct web_html h;
	char key[32], text[32];

	free(c->rs->body);
	c->rs->body = NULL;
	c->rs->len = 0;
	c->rs->location[0] = '\0';
	snprintf(key, sizeof(key), "error.%d.title", status);
	snprintf(text, sizeof(text), "error.%d.text", status);
	web_html_init(&h);
	admin_page_head(c, &h, AT(c, key), NULL);
	if (strcmp(AT(c, text), text)) { /* a text when the catalogue has one */
		web_html_markup(&h, "<p>");
		web_html_text(&h, AT(c, text));
		web_html_markup(&h, "</p>");
	}
	web_html_markup(&h, "<p><a");
	web_html_url(&h, "href", "/");
	web_html_markup(&h, ">");
	web_html_text(&h, AT(c, "error.back"));
	web_html_markup(&h, "</a></p>");
	c->rs->retry_after = status == 503 ? 10 : 0;
	return admin_page_finish(c, &h, status);
}

int admin_redirect(struct admin_ctx *c, const char *path)
{
	struct httpd_response *rs = c->rs;

	rs->status = 303;
	rs->content_type = "text/plain; charset=utf-8";
	snprintf(rs->location, sizeof(rs->location), "%s", path);
	free(rs->body);
	rs->body = NULL;
	rs->len = 0;
	return 0;
}

int admin_audit(struct admin_ctx *c, const char *action, const char *object, const char *school,
		const char *after)
{
	if (!c->ctx)
		return -EIO;
	/* the actor is the context's: "admin:<login>" once logged in */
	return reg_audit_add_school(c->ctx->reg, school, action, object, NULL, after, NULL);
}

void admin_denied(struct byod_ctx *ctx, const struct httpd_request *rq, const char *admin,
		  const char *what, const char *id)
{
	json_t *o = json_pack("{s:s, s:s, s:s}", "what", what, "id", id ? id : "", "client",
			      rq->client);
	char *after = o ? json_dumps(o, JSON_COMPACT) : NULL;
	char object[64];
	size_t n = id ? strlen(id) : 0;

	/* the object column holds 63 bytes: a longer probe is cut there (its
	 * whole id stays in the row's after) rather than not recorded */
	if (n >= sizeof(object))
		n = sizeof(object) - 1;
	memcpy(object, id ? id : "", n);
	object[n] = '\0';
	httpd_log("%s %s %s: %s %s not in the scope of %s", rq->client, rq->method, rq->path, what,
		  id ? id : "", admin ? admin : "-");
	if (reg_audit_add_school(ctx->reg, "", "admin.denied", object, NULL, after, NULL))
		httpd_log("%s %s %s: the audit row of a refusal could not be written", rq->client,
			  rq->method, rq->path);
	free(after);
	json_decref(o);
}

int admin_not_found(struct admin_ctx *c, const char *what, const char *id)
{
	/* another school's row and a row that does not exist look the same
	 * to the administrator; the audit log tells them apart for whoever
	 * reads it */
	if (c->ctx)
		admin_denied(c->ctx, c->rq, c->admin ? c->admin->login : NULL, what, id);
	return admin_page_error(c, 404);
}

int admin_is_auditor(const struct admin_ctx *c)
{
	return c->admin && c->admin->role == REG_ADMIN_AUDITOR;
}

int admin_registry_unavailable(int rc)
{
	return rc == -ENOTCONN || rc == -EBUSY || rc == -EIO || rc == -ENOSPC;
}

void admin_scroll_open(struct web_html *h, const char *label)
{
	web_html_markup(h, "<div class=\"scroll\" tabindex=\"0\" role=\"region\"");
	web_html_attr(h, "aria-label", label);
	web_html_markup(h, ">");
}

void admin_search_footer(struct admin_ctx *c, struct web_html *h, int total, int shown_to, int page,
			 const char *count_key, const char *next_key)
{
	char num[16], href[600];

	web_html_markup(h, "<p role=\"status\">");
	snprintf(num, sizeof(num), "%d", total);
	admin_text_with(h, ATN(c, count_key, total), num);
	web_html_markup(h, "</p>");
	if (shown_to >= total)
		return;
	/* the next page keeps the search and its filters */
	snprintf(num, sizeof(num), "%d", page + 1);
	admin_href_with(c->rq->target ? c->rq->target : c->rq->path, "page", num, href,
			sizeof(href));
	web_html_markup(h, "<p><a");
	web_html_url(h, "href", href);
	web_html_markup(h, ">");
	web_html_text(h, AT(c, next_key));
	web_html_markup(h, "</a></p>");
}
