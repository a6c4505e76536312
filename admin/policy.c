// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The console's policy pages: the list of policies an administrator may
 * read (the département's default and every school for the département,
 * their own schools for a school administrator), and one policy's editor:
 * the running text in a text area, the check's messages each at its line
 * and column with a link into a numbered listing of the text, the impact
 * preview (which devices move, core's policy diff), apply with a comment
 * (a text that does not check is never applied), the history with each
 * version shown and a rollback, and "back to the département's policy"
 * for a school. The form carries the running version it was loaded with:
 * when another administrator applied a version since, nothing is applied
 * and the page shows the line diff between the text the editor started
 * from and the running one (core's -ESTALE, decided under the registry's
 * policy lock). A policy outside the scope, named in the URL, is the 404
 * and audit row of any row outside it; an auditor reads only (the route
 * refuses their POST).
 */
#include "admin_pages.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin_session.h"
#include "linediff.h"
#include "policy.h"

#define MOVES_SHOWN 200 /* devices listed by the impact preview */

/* The policy a path names: "default" or a school's UAI. */
struct target {
	char key[REG_UAI_MAX + 8]; /* as in the URL */
	const char *school;	   /* "" for the default */
	struct reg_school sc;	   /* the school, when one */
	char name[REG_NAME_MAX + REG_UAI_MAX + 8];
};

/* What the editor page shows besides the text. */
struct editor {
	const char *text; /* the text in the area (NULL: the running one) */
	size_t len;
	int64_t expected;	       /* the version the form was loaded with */
	const char *comment;	       /* the comment field's value */
	const struct pol_errors *errs; /* the check's messages, or NULL */
	const struct pol_errors *warnings;
	const struct byod_diff *impact; /* the preview, or NULL */
	const struct byod_vec *moved;	/* struct moved_device */
	const struct web_diff *stale;	/* the running text against the editor's start */
	int64_t stale_then, stale_now;
	const char *notice;
	int notice_error;
};

struct moved_device {
	char id[REG_ID_MAX];
	char name[REG_NAME_MAX];
	char owner[REG_LOGIN_MAX];
	char from[64], to[64];
};

/* ---- the policy a path names, in scope ------------------------------------- */

/* Fills t from key; 0, or 1 when the 404 page and its audit row are made,
 * or a negative errno. */
static int target_of(struct admin_ctx *c, const char *key, struct target *t)
{
	int rc;

	memset(t, 0, sizeof(*t));
	if (strlen(key) >= sizeof(t->key))
		return admin_not_found(c, "policy", "") ?: 1;
	snprintf(t->key, sizeof(t->key), "%s", key);
	if (!strcmp(key, "default")) {
		/* the default is the département's: every-school scopes read it */
		if (!c->scope->all)
			return admin_not_found(c, "policy", key) ?: 1;
		t->school = "";
		snprintf(t->name, sizeof(t->name), "%s", AT(c, "policy.default"));
		return 0;
	}
	if (strlen(key) >= REG_UAI_MAX || !reg_scope_has(c->scope, key))
		return admin_not_found(c, "policy", key) ?: 1;
	rc = reg_school_get(c->ctx->reg, key, &t->sc, NULL);
	if (rc == -ENOENT)
		return admin_not_found(c, "policy", key) ?: 1;
	if (rc)
		return rc;
	t->school = t->sc.uai;
	snprintf(t->name, sizeof(t->name), "%s (%s)", t->sc.name, t->sc.uai);
	return 0;
}

/* May this administrator change t's policy? (the route refuses an
 * auditor's POST whatever the page offers) */
static int may_change(const struct admin_ctx *c, const struct target *t)
{
	if (admin_is_auditor(c))
		return 0;
	return t->school[0] ? 1 : c->admin->role == REG_ADMIN_DEPARTEMENT;
}

static void path_of(const struct target *t, const char *tail, char *out, size_t size)
{
	snprintf(out, size, "/policy/%s%s", t->key, tail ? tail : "");
}

/* ---- pieces of the page ---------------------------------------------------- */

/* tmpl as text with its first "{}" replaced by a, the second by b. */
static void text_with2(struct web_html *h, const char *tmpl, const char *a, const char *b)
{
	const char *at = strstr(tmpl, "{}");
	char before[512];

	if (!at) {
		web_html_text(h, tmpl);
		return;
	}
	snprintf(before, sizeof(before), "%.*s", (int)(at - tmpl), tmpl);
	web_html_text(h, before);
	web_html_text(h, a);
	admin_text_with(h, at + 2, b);
}

static const char *decision_name(struct admin_ctx *c, const char *d)
{
	return !strcmp(d, "reject") ? AT(c, "policy.reject") : d;
}

/* The text as an ordered list of numbered lines, each with its anchor
 * (L1, L2...); the lines named by errs are marked. */
static void listing(struct admin_ctx *c, struct web_html *h, const char *text, size_t len,
		    const struct pol_errors *errs, const char *label_key)
{
	size_t start = 0, i, k;
	int line = 1, bad;

	admin_scroll_open(h, AT(c, label_key));
	web_html_markup(h, "<ol class=\"listing\">");
	for (i = 0; i <= len; i++) {
		if (i < len && text[i] != '\n')
			continue;
		if (i == len && start == len && len && text[len - 1] == '\n')
			break; /* the end of the last line is no line */
		bad = 0;
		for (k = 0; errs && k < errs->n; k++)
			bad |= errs->v[k].line == line;
		web_html_markup(h, "<li id=\"L");
		web_html_textf(h, "%d", line);
		web_html_markup(h, "\"");
		if (bad)
			web_html_markup(h, " class=\"bad\"");
		web_html_markup(h, "><code>");
		web_html_textf(h, "%.*s", (int)(i - start), text + start);
		web_html_markup(h, "</code></li>");
		start = i + 1;
		line++;
	}
	web_html_markup(h, "</ol></div>");
}

/* The check's messages, each with a link to its line. */
static void messages(struct admin_ctx *c, struct web_html *h, const struct pol_errors *errs,
		     int warning)
{
	char n[24], l[16], col[16];
	size_t i;

	snprintf(n, sizeof(n), "%zu", errs->n);
	if (warning) {
		web_html_markup(h, "<div class=\"notice\" role=\"status\"><p>");
		admin_text_with(h, ATN(c, "policy.warnings", errs->n), n);
	} else {
		web_html_markup(h,
				"<div class=\"notice error\" role=\"alert\" id=\"problems\"><p>");
		admin_text_with(h, ATN(c, "policy.problems", errs->n), n);
	}
	web_html_markup(h, "</p><ul class=\"problems\">");
	for (i = 0; i < errs->n; i++) {
		const struct byod_err *e = &errs->v[i];

		web_html_markup(h, "<li>");
		if (e->line > 0) {
			snprintf(l, sizeof(l), "%d", e->line);
			snprintf(col, sizeof(col), "%d", e->col);
			web_html_markup(h, "<a href=\"#L");
			web_html_text(h, l);
			web_html_markup(h, "\">");
			text_with2(h, AT(c, "policy.at"), l, col);
			web_html_markup(h, "</a> ");
		}
		web_html_markup(h, "<code class=\"pos\">");
		web_html_textf(h, "%d:%d", e->line, e->col);
		web_html_markup(h, "</code> <span lang=\"en\">");
		web_html_text(h, e->msg);
		web_html_markup(h, "</span></li>");
	}
	web_html_markup(h, "</ul></div>");
}

/* The running text against the one the editor started from. */
static void stale_diff(struct admin_ctx *c, struct web_html *h, const struct editor *e)
{
	char then[24], now[24];
	size_t i;

	snprintf(then, sizeof(then), "%lld", (long long)e->stale_then);
	snprintf(now, sizeof(now), "%lld", (long long)e->stale_now);
	web_html_markup(h, "<div class=\"notice error\" role=\"alert\" id=\"stale\"><p>");
	admin_text_with(h, AT(c, "policy.stale"), then);
	web_html_text(h, " ");
	admin_text_with(h, AT(c, "policy.stale.now"), now);
	web_html_markup(h, "</p></div><h2>");
	web_html_text(h, AT(c, "policy.stale.diff"));
	web_html_markup(h, "</h2><p class=\"hint\">");
	web_html_text(h, AT(c, "policy.stale.hint"));
	web_html_markup(h, "</p>");
	admin_scroll_open(h, AT(c, "policy.stale.diff"));
	web_html_markup(h, "<table class=\"diff\"><thead><tr>"
			   "<th scope=\"col\">");
	web_html_text(h, AT(c, "policy.diff.then"));
	web_html_markup(h, "</th><th scope=\"col\">");
	web_html_text(h, AT(c, "policy.diff.now"));
	web_html_markup(h, "</th><th scope=\"col\">");
	web_html_text(h, AT(c, "policy.diff.line"));
	web_html_markup(h, "</th></tr></thead><tbody>");
	for (i = 0; i < e->stale->n; i++) {
		const struct web_diff_line *l = &e->stale->v[i];

		if (l->op == WEB_DIFF_DEL)
			web_html_markup(h, "<tr class=\"del\">");
		else if (l->op == WEB_DIFF_ADD)
			web_html_markup(h, "<tr class=\"add\">");
		else
			web_html_markup(h, "<tr>");
		web_html_markup(h, "<td>");
		if (l->old_no)
			web_html_textf(h, "%d", l->old_no);
		web_html_markup(h, "</td><td>");
		if (l->new_no)
			web_html_textf(h, "%d", l->new_no);
		web_html_markup(h, "</td><td><code>");
		if (l->op == WEB_DIFF_DEL) {
			web_html_markup(h, "<del><span class=\"mark\">− </span>");
			web_html_textf(h, "%.*s", (int)l->len, l->text);
			web_html_markup(h, "</del>");
		} else if (l->op == WEB_DIFF_ADD) {
			web_html_markup(h, "<ins><span class=\"mark\">+ </span>");
			web_html_textf(h, "%.*s", (int)l->len, l->text);
			web_html_markup(h, "</ins>");
		} else {
			web_html_markup(h, "<span class=\"mark\">  </span>");
			web_html_textf(h, "%.*s", (int)l->len, l->text);
		}
		web_html_markup(h, "</code></td></tr>");
	}
	web_html_markup(h, "</tbody></table></div>");
}

/* Which devices move if the text were applied. */
static void impact(struct admin_ctx *c, struct web_html *h, const struct editor *e)
{
	const struct byod_diff *d = e->impact;
	char a[24], b[24];
	size_t i;

	web_html_markup(h, "<section class=\"box\" id=\"impact\"><h2>");
	web_html_text(h, AT(c, "policy.impact"));
	web_html_markup(h, "</h2><p role=\"status\">");
	snprintf(a, sizeof(a), "%d", d->changed);
	snprintf(b, sizeof(b), "%d", d->devices);
	text_with2(h, ATN(c, "policy.impact.count", d->changed), a, b);
	web_html_markup(h, "</p>");
	if (d->nmoves) {
		web_html_markup(h, "<table><thead><tr><th scope=\"col\">");
		web_html_text(h, AT(c, "policy.impact.from"));
		web_html_markup(h, "</th><th scope=\"col\">");
		web_html_text(h, AT(c, "policy.impact.to"));
		web_html_markup(h, "</th><th scope=\"col\">");
		web_html_text(h, AT(c, "policy.impact.devices"));
		web_html_markup(h, "</th></tr></thead><tbody>");
		for (i = 0; i < d->nmoves; i++) {
			web_html_markup(h, "<tr class=\"move\"><td>");
			web_html_text(h, decision_name(c, d->moves[i].from));
			web_html_markup(h, "</td><td>");
			web_html_text(h, decision_name(c, d->moves[i].to));
			web_html_markup(h, "</td><td>");
			web_html_textf(h, "%d", d->moves[i].count);
			web_html_markup(h, "</td></tr>");
		}
		web_html_markup(h, "</tbody></table>");
	}
	if (e->moved && e->moved->n) {
		const struct moved_device *m = e->moved->v;
		char href[80];

		web_html_markup(h, "<h3>");
		web_html_text(h, AT(c, "policy.impact.list"));
		web_html_markup(h, "</h3><ul class=\"moved\">");
		for (i = 0; i < e->moved->n; i++) {
			snprintf(href, sizeof(href), "/devices/%s", m[i].id);
			web_html_markup(h, "<li><a");
			web_html_url(h, "href", href);
			web_html_markup(h, ">");
			web_html_text(h, m[i].name[0] ? m[i].name : m[i].id);
			web_html_markup(h, "</a> (");
			web_html_text(h, m[i].owner);
			web_html_markup(h, ") : ");
			web_html_text(h, decision_name(c, m[i].from));
			web_html_text(h, " → ");
			web_html_text(h, decision_name(c, m[i].to));
			web_html_markup(h, "</li>");
		}
		web_html_markup(h, "</ul>");
		if ((size_t)d->changed > e->moved->n) {
			web_html_markup(h, "<p class=\"hint\">");
			web_html_text(h, AT(c, "policy.impact.more"));
			web_html_markup(h, "</p>");
		}
	}
	web_html_markup(h, "</section>");
}

/* One hidden field with a number. */
static void hidden_number(struct web_html *h, const char *name, int64_t v)
{
	char n[24];

	snprintf(n, sizeof(n), "%lld", (long long)v);
	web_html_markup(h, "<input type=\"hidden\"");
	web_html_attr(h, "name", name);
	web_html_attr(h, "value", n);
	web_html_markup(h, ">");
}

struct history {
	struct admin_ctx *c;
	struct web_html *h;
	const struct target *t;
	int64_t running, expected;
	int change;
};

static int history_row(const struct reg_policy *p, void *arg)
{
	struct history *y = arg;
	struct admin_ctx *c = y->c;
	struct web_html *h = y->h;
	char n[24], href[80];

	snprintf(n, sizeof(n), "/%lld", (long long)p->version);
	path_of(y->t, n, href, sizeof(href));
	web_html_markup(h, "<tr><td><a");
	web_html_url(h, "href", href);
	web_html_markup(h, ">");
	web_html_textf(h, "%lld", (long long)p->version);
	web_html_markup(h, "</a>");
	if (p->version == y->running) {
		web_html_markup(h, " <strong>");
		web_html_text(h, AT(c, "policy.history.running"));
		web_html_markup(h, "</strong>");
	}
	web_html_markup(h, "</td><td>");
	admin_date(c, h, p->created);
	web_html_markup(h, "</td><td>");
	web_html_text(h, p->author);
	web_html_markup(h, "</td><td>");
	if (p->follows_default) {
		web_html_markup(h, "<em>");
		web_html_text(h, AT(c, "policy.history.back"));
		web_html_markup(h, "</em> ");
	}
	web_html_text(h, p->comment);
	web_html_markup(h, "</td><td>");
	if (y->change && p->version != y->running) {
		path_of(y->t, NULL, href, sizeof(href));
		web_html_markup(h, "<form method=\"post\"");
		web_html_url(h, "action", href);
		web_html_markup(h, ">");
		admin_token_field(c, h);
		web_html_markup(h, "<input type=\"hidden\" name=\"action\" value=\"rollback\">");
		hidden_number(h, "version", p->version);
		hidden_number(h, "expected", y->expected);
		web_html_markup(h, "<button class=\"link\" type=\"submit\">");
		snprintf(n, sizeof(n), "%lld", (long long)p->version);
		admin_text_with(h, AT(c, "policy.rollback"), n);
		web_html_markup(h, "</button></form>");
	}
	web_html_markup(h, "</td></tr>");
	return 0;
}

/* ---- the editor ------------------------------------------------------------ */

static int editor_page(struct admin_ctx *c, const struct target *t, const struct editor *e,
		       int status)
{
	struct reg_policy run = {0};
	struct web_html h;
	struct history y = {.c = c, .h = &h, .t = t};
	const char *text;
	char title[300], href[80];
	int rc, have, change = may_change(c, t);
	size_t len;

	rc = reg_policy_get_school(c->ctx->reg, t->school, &run, NULL);
	if (rc && rc != -ENOENT)
		return rc;
	have = !rc;
	text = e->text ? e->text : have ? run.source : "";
	len = e->text ? e->len : strlen(text);
	y.running = have ? run.version : 0;
	y.expected = e->text ? e->expected : y.running;
	y.change = change;

	snprintf(title, sizeof(title), "%s — %s", AT(c, "nav.policy"), t->name);
	web_html_init(&h);
	admin_page_head(c, &h, title, "nav.policy");
	if (e->notice)
		admin_notice(&h, e->notice, e->notice_error);
	if (e->stale)
		stale_diff(c, &h, e);
	if (e->errs && e->errs->n)
		messages(c, &h, e->errs, 0);
	if (e->warnings && e->warnings->n)
		messages(c, &h, e->warnings, 1);
	if (e->impact)
		impact(c, &h, e);

	/* what runs now */
	web_html_markup(&h, "<dl class=\"values box\" id=\"running\"><dt>");
	web_html_text(&h, AT(c, "policy.running"));
	web_html_markup(&h, "</dt><dd>");
	if (have) {
		web_html_textf(&h, "%lld", (long long)run.version);
		web_html_text(&h, " — ");
		if (t->school[0] && !run.school[0])
			web_html_text(&h, AT(c, "policy.runs.default"));
		else if (t->school[0])
			web_html_text(&h, AT(c, "policy.runs.own"));
		else
			web_html_text(&h, AT(c, "policy.default"));
		web_html_markup(&h, "</dd><dt>");
		web_html_text(&h, AT(c, "policy.applied"));
		web_html_markup(&h, "</dt><dd>");
		admin_date(c, &h, run.created);
		web_html_text(&h, " — ");
		web_html_text(&h, run.author);
		if (run.comment[0]) {
			web_html_text(&h, " — ");
			web_html_text(&h, run.comment);
		}
	} else {
		web_html_text(&h, AT(c, "policy.none"));
	}
	web_html_markup(&h, "</dd></dl>");

	if (change) {
		path_of(t, NULL, href, sizeof(href));
		web_html_markup(&h, "<form method=\"post\" class=\"box\" id=\"editor\"");
		web_html_url(&h, "action", href);
		web_html_markup(&h, ">");
		admin_token_field(c, &h);
		hidden_number(&h, "expected", y.expected);
		web_html_markup(&h, "<label for=\"text\">");
		web_html_text(&h, AT(c, "policy.text"));
		web_html_markup(&h, "</label><p class=\"hint\" id=\"text-hint\">");
		web_html_text(&h, AT(c, "policy.text.hint"));
		web_html_markup(&h, "</p><textarea id=\"text\" name=\"text\" rows=\"24\" "
				    "spellcheck=\"false\" aria-describedby=\"text-hint\"");
		if (e->errs && e->errs->n)
			web_html_markup(&h, " aria-invalid=\"true\"");
		web_html_markup(&h, ">");
		/* a textarea drops one first newline: give it one to drop */
		web_html_markup(&h, "\n");
		web_html_textf(&h, "%.*s", (int)len, text);
		web_html_markup(&h, "</textarea><label for=\"comment\">");
		web_html_text(&h, AT(c, "policy.comment"));
		web_html_markup(&h, "</label><p class=\"hint\" id=\"comment-hint\">");
		web_html_text(&h, AT(c, "policy.comment.hint"));
		web_html_markup(&h, "</p><input id=\"comment\" name=\"comment\" maxlength=\"200\" "
				    "aria-describedby=\"comment-hint\"");
		if (e->comment)
			web_html_attr(&h, "value", e->comment);
		web_html_markup(&h,
				"><div class=\"actions\"><button type=\"submit\" name=\"action\" "
				"value=\"preview\">");
		web_html_text(&h, AT(c, "policy.preview"));
		web_html_markup(&h, "</button> <button type=\"submit\" name=\"action\" "
				    "value=\"apply\">");
		web_html_text(&h, AT(c, "policy.apply"));
		web_html_markup(&h, "</button></div></form>");
		if (t->school[0] && have && run.school[0]) {
			web_html_markup(&h, "<form method=\"post\" class=\"box\"");
			web_html_url(&h, "action", href);
			web_html_markup(&h, ">");
			admin_token_field(c, &h);
			hidden_number(&h, "expected", y.expected);
			web_html_markup(&h, "<input type=\"hidden\" name=\"action\" "
					    "value=\"default\"><p>");
			web_html_text(&h, AT(c, "policy.back.hint"));
			web_html_markup(&h, "</p><button type=\"submit\">");
			web_html_text(&h, AT(c, "policy.back"));
			web_html_markup(&h, "</button></form>");
		}
	}

	web_html_markup(&h, "<h2>");
	web_html_text(&h, AT(c, e->text ? "policy.listing.edited" : "policy.listing"));
	web_html_markup(&h, "</h2>");
	listing(c, &h, text, len, e->errs, e->text ? "policy.listing.edited" : "policy.listing");

	web_html_markup(&h, "<h2>");
	web_html_text(&h, AT(c, "policy.history"));
	web_html_markup(&h, "</h2>");
	admin_scroll_open(&h, AT(c, "policy.history"));
	web_html_markup(&h, "<table id=\"history\"><thead><tr>"
			    "<th scope=\"col\">");
	web_html_text(&h, AT(c, "policy.version"));
	web_html_markup(&h, "</th><th scope=\"col\">");
	web_html_text(&h, AT(c, "policy.date"));
	web_html_markup(&h, "</th><th scope=\"col\">");
	web_html_text(&h, AT(c, "policy.author"));
	web_html_markup(&h, "</th><th scope=\"col\">");
	web_html_text(&h, AT(c, "policy.comment"));
	web_html_markup(&h, "</th><th scope=\"col\"><span class=\"skip-label\">");
	web_html_text(&h, AT(c, "policy.actions"));
	web_html_markup(&h, "</span></th></tr></thead><tbody>");
	rc = reg_policy_list_school(c->ctx->reg, t->school, history_row, &y, NULL);
	web_html_markup(&h, "</tbody></table></div>");
	free(run.source);
	if (rc) {
		web_html_free(&h);
		return rc;
	}
	return admin_page_finish(c, &h, status);
}

/* ---- the list -------------------------------------------------------------- */

struct index {
	struct admin_ctx *c;
	struct web_html *h;
	int rc;
};

static void index_row(struct index *x, const char *key, const char *name, const char *school)
{
	struct admin_ctx *c = x->c;
	struct web_html *h = x->h;
	struct reg_policy p = {0};
	char href[80];
	int rc;

	snprintf(href, sizeof(href), "/policy/%s", key);
	web_html_markup(h, "<tr><td><a");
	web_html_url(h, "href", href);
	web_html_markup(h, ">");
	web_html_text(h, name);
	web_html_markup(h, "</a></td><td>");
	rc = reg_policy_get_school(c->ctx->reg, school, &p, NULL);
	if (!rc) {
		web_html_textf(h, "%lld", (long long)p.version);
		web_html_markup(h, "</td><td>");
		if (!school[0])
			web_html_text(h, "—");
		else
			web_html_text(
				h, AT(c, p.school[0] ? "policy.runs.own" : "policy.runs.default"));
		web_html_markup(h, "</td><td>");
		admin_date(c, h, p.created);
		free(p.source);
	} else {
		if (rc != -ENOENT)
			x->rc = rc;
		web_html_text(h, AT(c, "policy.none"));
		web_html_markup(h, "</td><td></td><td>");
	}
	web_html_markup(h, "</td></tr>");
}

static int index_school(const struct reg_school *s, void *arg)
{
	char name[REG_NAME_MAX + REG_UAI_MAX + 8];

	snprintf(name, sizeof(name), "%s (%s)", s->name, s->uai);
	index_row(arg, s->uai, name, s->uai);
	return 0;
}

int admin_policies_get(struct admin_ctx *c)
{
	struct web_html h;
	struct index x = {.c = c, .h = &h};
	int rc;

	web_html_init(&h);
	admin_page_head(c, &h, AT(c, "nav.policy"), "nav.policy");
	web_html_markup(&h, "<p>");
	web_html_text(&h, AT(c, "policy.index.hint"));
	web_html_markup(&h, "</p>");
	admin_scroll_open(&h, AT(c, "nav.policy"));
	web_html_markup(&h, "<table id=\"policies\"><thead><tr>"
			    "<th scope=\"col\">");
	web_html_text(&h, AT(c, "policy.whose"));
	web_html_markup(&h, "</th><th scope=\"col\">");
	web_html_text(&h, AT(c, "policy.running"));
	web_html_markup(&h, "</th><th scope=\"col\">");
	web_html_text(&h, AT(c, "policy.kind"));
	web_html_markup(&h, "</th><th scope=\"col\">");
	web_html_text(&h, AT(c, "policy.applied"));
	web_html_markup(&h, "</th></tr></thead><tbody>");
	if (c->scope->all)
		index_row(&x, "default", AT(c, "policy.default"), "");
	rc = reg_school_list_scoped(c->ctx->reg, c->scope, index_school, &x, NULL);
	web_html_markup(&h, "</tbody></table></div>");
	if (!rc)
		rc = x.rc;
	if (rc) {
		web_html_free(&h);
		return rc;
	}
	return admin_page_finish(c, &h, 200);
}

/* ---- one version ------------------------------------------------------------ */

static int version_page(struct admin_ctx *c, const struct target *t, const char *num)
{
	struct reg_policy p = {0};
	struct web_html h;
	char title[300], *end, href[80];
	long long v = strtoll(num, &end, 10);
	int rc;

	if (*end || v <= 0 || end - num > 18)
		return admin_not_found(c, "policy-version", num);
	rc = reg_policy_get(c->ctx->reg, v, &p, NULL);
	if (rc == -ENOENT || (!rc && strcmp(p.school, t->school))) {
		/* another school's version, by its number */
		free(p.source);
		return admin_not_found(c, "policy-version", num);
	}
	if (rc)
		return rc;
	snprintf(title, sizeof(title), "%s — %s — %s %lld", AT(c, "nav.policy"), t->name,
		 AT(c, "policy.version"), v);
	web_html_init(&h);
	admin_page_head(c, &h, title, "nav.policy");
	web_html_markup(&h, "<dl class=\"values box\"><dt>");
	web_html_text(&h, AT(c, "policy.date"));
	web_html_markup(&h, "</dt><dd>");
	admin_date(c, &h, p.created);
	web_html_markup(&h, "</dd><dt>");
	web_html_text(&h, AT(c, "policy.author"));
	web_html_markup(&h, "</dt><dd>");
	web_html_text(&h, p.author);
	web_html_markup(&h, "</dd><dt>");
	web_html_text(&h, AT(c, "policy.comment"));
	web_html_markup(&h, "</dt><dd>");
	web_html_text(&h, p.comment[0] ? p.comment : "—");
	web_html_markup(&h, "</dd></dl>");
	if (p.follows_default) {
		web_html_markup(&h, "<p>");
		web_html_text(&h, AT(c, "policy.history.back.long"));
		web_html_markup(&h, "</p>");
	} else {
		listing(c, &h, p.source, strlen(p.source), NULL, "policy.listing.version");
	}
	path_of(t, NULL, href, sizeof(href));
	web_html_markup(&h, "<p><a");
	web_html_url(&h, "href", href);
	web_html_markup(&h, ">");
	web_html_text(&h, AT(c, "policy.back.editor"));
	web_html_markup(&h, "</a></p>");
	free(p.source);
	c->self = NULL;
	return admin_page_finish(c, &h, 200);
}

/* ---- GET /policy/<key>[/<version>] ------------------------------------------ */

int admin_policy_get(struct admin_ctx *c)
{
	static const char *const known[] = {"applied", "rolledback", "default", NULL};
	const char *ok = httpd_arg(c->rq, "ok"), *slash = strchr(c->rest, '/');
	struct editor e = {0};
	struct target t;
	char key[REG_UAI_MAX + 8], nk[40];
	int rc, i;

	snprintf(key, sizeof(key), "%.*s",
		 (int)(slash ? (size_t)(slash - c->rest) : strlen(c->rest)), c->rest);
	if ((slash ? (size_t)(slash - c->rest) : strlen(c->rest)) >= sizeof(key))
		return admin_not_found(c, "policy", "");
	rc = target_of(c, key, &t);
	if (rc)
		return rc > 0 ? 0 : rc;
	if (slash)
		return version_page(c, &t, slash + 1);
	for (i = 0; ok && known[i]; i++) {
		if (!strcmp(ok, known[i])) {
			snprintf(nk, sizeof(nk), "policy.ok.%s", known[i]);
			e.notice = AT(c, nk);
		}
	}
	return editor_page(c, &t, &e, 200);
}

/* ---- POST /policy/<key> ------------------------------------------------------ */

struct collect {
	struct byod_vec *v;
	int rc;
};

static void collect_moved(void *arg, const struct reg_device *d, const struct pol_decision *before,
			  const struct pol_decision *after)
{
	struct collect *k = arg;
	struct moved_device *m;

	if (k->rc || k->v->n >= MOVES_SHOWN)
		return;
	m = byod_vec_push(k->v);
	if (!m) {
		k->rc = -ENOMEM;
		return;
	}
	memset(m, 0, sizeof(*m));
	snprintf(m->id, sizeof(m->id), "%s", d->id);
	snprintf(m->name, sizeof(m->name), "%s", d->name);
	snprintf(m->owner, sizeof(m->owner), "%s", d->owner_login);
	snprintf(m->from, sizeof(m->from), "%s",
		 !before			       ? "—"
		 : before->action == POL_ACTION_REJECT ? "reject"
						       : before->segment_name);
	snprintf(m->to, sizeof(m->to), "%s",
		 !after				      ? "—"
		 : after->action == POL_ACTION_REJECT ? "reject"
						      : after->segment_name);
}

/* The editor again after a stale form: the running text against the text
 * of the version the form was loaded with. */
static int show_stale(struct admin_ctx *c, const struct target *t, struct editor *e,
		      int64_t current)
{
	struct reg_policy then = {0}, now = {0};
	struct web_diff d = {0};
	int rc = 0;

	if (e->expected > 0)
		rc = reg_policy_get(c->ctx->reg, e->expected, &then, NULL);
	if (!rc || rc == -ENOENT)
		rc = reg_policy_get_school(c->ctx->reg, t->school, &now, NULL);
	if (rc == -ENOENT)
		rc = 0;
	if (!rc) {
		const char *a = then.source ? then.source : "", *b = now.source ? now.source : "";

		rc = web_line_diff(a, strlen(a), b, strlen(b), &d, NULL);
	}
	if (!rc) {
		e->stale = &d;
		e->stale_then = e->expected;
		e->stale_now = current;
		/* the form goes on from the running version: applying again is a
		 * choice made with the difference in view */
		e->expected = current;
		rc = editor_page(c, t, e, 409);
	}
	web_diff_free(&d);
	free(then.source);
	free(now.source);
	return rc;
}

static int parse_version(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (!s || !*s)
		return -EINVAL;
	v = strtoll(s, &end, 10);
	if (*end || v < 0)
		return -EINVAL;
	*out = v;
	return 0;
}

static int post_text(struct admin_ctx *c, const struct target *t, struct editor *e, int apply)
{
	struct byod_policy_text p = {0};
	struct pol_errors errs = {0};
	struct pol_policy *pol = NULL;
	struct byod_diff diff = {0};
	struct byod_vec moved = BYOD_VEC_INIT(struct moved_device);
	struct collect k = {.v = &moved};
	struct byod_err err;
	char where[80], file[64];
	int64_t version = 0, current = 0;
	int rc;

	snprintf(file, sizeof(file), "%s", t->school[0] ? t->school : "default");
	if (!apply) {
		/* the check, then which devices move */
		rc = pol_load(file, e->text, e->len, &pol, &errs);
		if (rc) {
			e->errs = &errs;
			e->notice = AT(c, "policy.refused");
			e->notice_error = 1;
			rc = editor_page(c, t, e, 422);
			goto out;
		}
		e->warnings = &pol->warnings;
		rc = byod_policy_diff_school(c->ctx, t->school, pol, time(NULL), &diff,
					     collect_moved, &k, &err);
		if (!rc)
			rc = k.rc;
		if (rc)
			goto out;
		e->impact = &diff;
		e->moved = &moved;
		e->notice = AT(c, "policy.checked");
		rc = editor_page(c, t, e, 200);
		goto out;
	}
	if (!e->comment || !e->comment[0]) {
		e->notice = AT(c, "policy.comment.missing");
		e->notice_error = 1;
		rc = editor_page(c, t, e, 422);
		goto out;
	}
	p.school = t->school;
	p.file = file;
	p.text = e->text;
	p.len = e->len;
	p.comment = e->comment;
	p.expected = e->expected;
	rc = byod_policy_apply_text(c->ctx, &p, &version, &current, &errs, &err);
	if (rc == -ESTALE) {
		rc = show_stale(c, t, e, current);
		goto out;
	}
	if (rc && errs.n) {
		/* never applied: the running policy stays */
		e->errs = &errs;
		e->notice = AT(c, "policy.refused");
		e->notice_error = 1;
		rc = editor_page(c, t, e, 422);
		goto out;
	}
	if (rc)
		goto out;
	path_of(t, "?ok=applied", where, sizeof(where));
	rc = admin_redirect(c, where);
out:
	byod_vec_free(&moved);
	byod_diff_free(&diff);
	pol_errors_free(&errs);
	pol_free(pol);
	return rc;
}

int admin_policy_post(struct admin_ctx *c)
{
	const char *action = web_form_get(c->form, "action");
	const char *text = web_form_get(c->form, "text");
	struct editor e = {0};
	struct byod_err err;
	struct target t;
	struct reg_policy rp = {0};
	char where[80], comment[128];
	int64_t version = 0, nv = 0, current = 0;
	int rc;

	if (strchr(c->rest, '/'))
		return admin_page_error(c, 405);
	rc = target_of(c, c->rest, &t);
	if (rc)
		return rc > 0 ? 0 : rc;
	if (!may_change(c, &t)) {
		/* a school administrator never reaches the default (404 above);
		 * this is an auditor's, which the route refused already */
		return admin_page_error(c, 403);
	}
	if (!action || parse_version(web_form_get(c->form, "expected"), &e.expected))
		return admin_page_error(c, 400);
	e.comment = web_form_get(c->form, "comment");
	if (e.comment && strlen(e.comment) > 200)
		return admin_page_error(c, 400);
	if (!strcmp(action, "preview") || !strcmp(action, "apply")) {
		if (!text)
			return admin_page_error(c, 400);
		e.text = text;
		e.len = strlen(text);
		return post_text(c, &t, &e, !strcmp(action, "apply"));
	}
	if (!strcmp(action, "rollback")) {
		if (parse_version(web_form_get(c->form, "version"), &version) || !version)
			return admin_page_error(c, 400);
		rc = reg_policy_get(c->ctx->reg, version, &rp, NULL);
		free(rp.source);
		if (rc == -ENOENT || (!rc && strcmp(rp.school, t.school)))
			return admin_not_found(c, "policy-version",
					       web_form_get(c->form, "version"));
		if (rc)
			return rc;
		rc = byod_policy_rollback_school(c->ctx, t.school, version, e.expected, &nv,
						 &current, &err);
		if (rc == -ESTALE)
			return show_stale(c, &t, &e, current);
		if (rc == -EALREADY) {
			e.notice = AT(c, "policy.already");
			e.notice_error = 1;
			return editor_page(c, &t, &e, 409);
		}
		if (rc)
			return rc;
		path_of(&t, "?ok=rolledback", where, sizeof(where));
		return admin_redirect(c, where);
	}
	if (!strcmp(action, "default") && t.school[0]) {
		struct byod_policy_text p = {0};
		struct pol_errors errs = {0};

		snprintf(comment, sizeof(comment), "%s",
			 e.comment && e.comment[0] ? e.comment
						   : "back to the département's policy");
		p.school = t.school;
		p.file = t.school;
		p.comment = comment;
		p.expected = e.expected;
		rc = byod_policy_apply_text(c->ctx, &p, &nv, &current, &errs, &err);
		pol_errors_free(&errs);
		if (rc == -ESTALE)
			return show_stale(c, &t, &e, current);
		if (rc == -EALREADY) {
			e.notice = AT(c, "policy.already");
			e.notice_error = 1;
			return editor_page(c, &t, &e, 409);
		}
		if (rc)
			return rc;
		path_of(&t, "?ok=default", where, sizeof(where));
		return admin_redirect(c, where);
	}
	return admin_page_error(c, 400);
}
