// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The frame every page shares, the error pages and the login. Pages are
 * built with the escaping page builder (html.c) from the message
 * catalogues (i18n.c): every word a pupil reads is in po/, and every value
 * echoed into a page goes through web_html_text. Pages fit a 360-pixel
 * screen, work without JavaScript and stay small.
 */
#include "oauth.h"
#include "byod_service.h"
#include "pages.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "byod_expo.h"
#include "byod_util.h"

void page_head(struct page_ctx *c, struct web_html *h, const char *title)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	const char *other = !strcmp(rq->lang, "fr") ? "en" : "fr";
	int get = !strcmp(rq->method, "GET");
	char href[600];

	web_html_markup(h, "<!DOCTYPE html>\n<html");
	web_html_attr(h, "lang", rq->lang);
	web_html_markup(h, "><head><meta charset=\"utf-8\">"
			      "<meta name=\"viewport\" content=\"width=device-width, "
			      "initial-scale=1\"><title>");
	web_html_text(h, title);
	web_html_markup(h, "</title><link rel=\"stylesheet\" href=\"/static/portal.css\">"
			      "</head><body><header><span>");
	web_html_text(h, T("site.title"));
	web_html_markup(h, "</span><a");
	web_html_attr(h, "lang", other);
	/* the switch keeps the page: a GET's path, or the path that shows a
	 * POST's answer again; another POST's answer goes home */
	snprintf(href, sizeof(href), "%s?lang=%s", c->self ? c->self : get ? rq->path : "/", other);
	web_html_url(h, "href", href);
	web_html_markup(h, ">");
	web_html_text(h, T("lang.switch"));
	web_html_markup(h, "</a></header>");
	if (c->s && c->s->logged_in) {
		web_html_markup(h, "<nav>");
		if (portal_session_is_code(c->s)) { /* one enrolment, no account */
			web_html_markup(h, "<span></span>");
		} else {
			web_html_markup(h, "<a");
			web_html_url(h, "href", "/devices");
			web_html_markup(h, ">");
			web_html_text(h, T("nav.devices"));
			web_html_markup(h, "</a>");
		}
		web_html_markup(h, "<form method=\"post\" action=\"/logout\">");
		page_token_field(c, h);
		web_html_markup(h, "<button class=\"link\" type=\"submit\">");
		web_html_text(h, T("nav.logout"));
		web_html_markup(h, "</button></form></nav>");
	}
	web_html_markup(h, "<main>");
}

int page_finish(struct page_ctx *c, struct web_html *h, int status)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	int why;

	/* every page leads to the privacy notice (privacy.c) */
	web_html_markup(h, "</main><footer><a");
	web_html_url(h, "href", "/confidentialite");
	web_html_markup(h, ">");
	web_html_text(h, T("footer.privacy"));
	web_html_markup(h, "</a></footer></body></html>\n");
	why = h->oom;

	c->rs->body = web_html_take(h, &c->rs->len);
	if (!c->rs->body)
		return why ? -why : -ENOMEM;
	c->rs->status = status;
	c->rs->content_type = "text/html; charset=utf-8";
	return 0;
}

/* A logged-in session's forms carry one-time tokens stored with it; a page
 * shown before the login carries a stateless one (no registry row). */
static int token_make(struct page_ctx *c)
{
	if (c->s && c->s->logged_in)
		return c->ctx ? portal_form_token(c->p, c->ctx, c->s, c->token) : -EIO;
	return portal_form_token_anon(c->p, c->rq, c->rs, c->token);
}

void page_token_field(struct page_ctx *c, struct web_html *h)
{
	int rc = 0;

	if (!c->token[0] && (rc = token_make(c))) {
		c->token[0] = '\0';
		/* no page with a form that cannot be sent: the registry's
		 * reason (a full disk, a lock) decides the error page */
		if (!h->oom)
			h->oom = rc < 0 ? -rc : EIO;
		return;
	}
	web_html_markup(h, "<input type=\"hidden\" name=\"csrf\"");
	web_html_attr(h, "value", c->token);
	web_html_markup(h, ">");
}

void page_text_with(struct web_html *h, const char *tmpl, const char *value)
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

void page_notice(struct web_html *h, const char *text, int error)
{
	if (error)
		web_html_markup(h, "<p class=\"notice error\" role=\"alert\">");
	else
		web_html_markup(h, "<p class=\"notice\" role=\"status\">");
	web_html_text(h, text);
	web_html_markup(h, "</p>");
}

void page_fill(char *out, size_t len, const char *tmpl, const char *value)
{
	const char *at = strstr(tmpl, "{}");

	if (at)
		snprintf(out, len, "%.*s%s%s", (int)(at - tmpl), tmpl, value, at + 2);
	else
		snprintf(out, len, "%s", tmpl);
}

/* Why a form was refused, for the log. */
static const char *refusal(const struct page_ctx *c, const char *token, int rc)
{
	if (!token)
		return "no form token";
	if (c->s->logged_in)
		return "form token unknown, expired or used before";
	if (rc == -ENOKEY)
		return "no login cookie";
	if (rc == -EKEYEXPIRED)
		return "form token expired";
	return "form token unknown, forged or another browser's";
}

int page_form_refused(struct page_ctx *c)
{
	const char *token = web_form_get(c->form, "csrf");
	int rc;

	/* a form shown before the login carries a stateless token, checked
	 * against this browser's login cookie; a session's, a stored one */
	if (c->s->logged_in)
		rc = portal_form_token_use(c->ctx, c->s, token);
	else
		rc = portal_form_token_anon_check(c->p, c->rq, token);
	if (!rc)
		return 0;
	if (portal_registry_unavailable(rc)) {
		c->registry_rc = rc;
		portal_registry_note(c->p, rc);
		portal_page_error(c->p, c->rq, c->rs, 503);
		return 1;
	}
	portal_log("%s %s: form refused: %s", c->rq->client, c->rq->path, refusal(c, token, rc));
	portal_page_error(c->p, c->rq, c->rs, 403);
	return 1;
}

int page_redirect(struct page_ctx *c, const char *path)
{
	struct portal_response *rs = c->rs;

	rs->status = 303;
	rs->content_type = "text/plain; charset=utf-8";
	snprintf(rs->location, sizeof(rs->location), "%s", path);
	rs->body = NULL;
	rs->len = 0;
	return 0;
}

int page_device_name(const char *in, char *out, size_t len)
{
	size_t n;

	if (!in)
		return -EINVAL;
	while (*in == ' ' || *in == '\t')
		in++;
	n = strlen(in);
	while (n && (in[n - 1] == ' ' || in[n - 1] == '\t'))
		n--;
	if (n == 0 || n > 64 || n >= len || memchr(in, '\n', n))
		return -EINVAL;
	memcpy(out, in, n);
	out[n] = '\0';
	return 0;
}

int portal_registry_unavailable(int rc)
{
	return rc == -ENOTCONN || rc == -EBUSY || rc == -EIO || rc == -ENOSPC;
}

int portal_registry_note(struct portal *p, int rc)
{
	int down = rc ? 1 : 0;

	if (rc && !portal_registry_unavailable(rc))
		return 0; /* another fault says nothing of the registry */
	if (__atomic_exchange_n(&p->registry_down, down, __ATOMIC_SEQ_CST) == down)
		return 0;
	if (down)
		portal_log("the registry is unavailable (%s): pages that need it answer 503 "
			   "until it is back",
			   strerror(-rc));
	else
		portal_log("the registry answers again");
	return !down;
}

void portal_registry_answers(struct portal *p, struct byod_ctx *ctx)
{
	static time_t logged;
	struct byod_err err;
	time_t now = time(NULL), last;
	char buf[900];

	portal_registry_note(p, 0);
	/* an enrolment refused while its commit's outcome was unknown (or a
	 * revocation left unconfirmed, by this process or byodctl): its
	 * certificate, if written, is revoked as the pupil was told. Nearly
	 * always nothing is noted: one stat(). */
	if (!byod_unsettled_settle(ctx, &err))
		return;
	last = __atomic_load_n(&logged, __ATOMIC_RELAXED);
	if (now - last >= 60 &&
	    __atomic_compare_exchange_n(&logged, &last, now, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		portal_log("enrolments left unsettled by an outage are kept for later: %s",
			   byod_err_str(&err, buf, sizeof(buf)));
}

int portal_page_error(struct portal *p, const struct portal_request *rq, struct portal_response *rs,
		      int status)
{
	struct page_ctx c = { .p = p, .rq = rq, .rs = rs };
	struct web_html h;
	char key[32], text[32];

	snprintf(key, sizeof(key), "error.%d.title", status);
	snprintf(text, sizeof(text), "error.%d.text", status);
	web_html_init(&h);
	page_head(&c, &h, T(key));
	web_html_markup(&h, "<div class=\"box\"><h1>");
	web_html_text(&h, T(key));
	web_html_markup(&h, "</h1>");
	if (strcmp(T(text), text)) { /* a text when the catalogue has one */
		web_html_markup(&h, "<p>");
		web_html_text(&h, T(text));
		web_html_markup(&h, "</p>");
	}
	web_html_markup(&h, "<p><a");
	web_html_url(&h, "href", "/");
	web_html_markup(&h, ">");
	web_html_text(&h, T("error.back"));
	web_html_markup(&h, "</a></p></div>");
	rs->retry_after = status == 503 ? 10 : 0;
	/* the portal's 503 is the registry's absence, a fault's or a page's */
	if (status == 503)
		byod_counter_add(&portal_metrics.registry_503, 1);
	return page_finish(&c, &h, status);
}

int portal_page_busy(struct portal *p, const struct portal_request *rq, struct portal_response *rs,
		     int status)
{
	struct page_ctx c = { .p = p, .rq = rq, .rs = rs };
	struct web_html h;

	/* not the registry's 503: nothing is wrong, the pupil only waits a
	 * little (a burst of logins at the start of a lesson) */
	web_html_init(&h);
	page_head(&c, &h, T("error.busy.title"));
	web_html_markup(&h, "<div class=\"box\"><h1>");
	web_html_text(&h, T("error.busy.title"));
	web_html_markup(&h, "</h1><p>");
	web_html_text(&h, T("error.busy.text"));
	web_html_markup(&h, "</p><p><a");
	web_html_url(&h, "href", "/");
	web_html_markup(&h, ">");
	web_html_text(&h, T("error.busy.retry"));
	web_html_markup(&h, "</a></p></div>");
	rs->retry_after = PORTAL_BUSY_RETRY_S;
	byod_counter_add(&portal_metrics.login_busy, 1);
	return page_finish(&c, &h, status);
}

/* ---- login ------------------------------------------------------------- */

/* A page of its own for a login that cannot go on: title, text, the way
 * back to the login (not the registry's 503: the source is what is away). */
int page_login_status_text(struct page_ctx *c, int status, const char *title, const char *text,
			   int retry_after)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	struct web_html h;

	web_html_init(&h);
	page_head(c, &h, T(title));
	web_html_markup(&h, "<div class=\"box\"><h1>");
	web_html_text(&h, T(title));
	web_html_markup(&h, "</h1>");
	page_notice(&h, text, 1);
	web_html_markup(&h, "<p><a");
	web_html_url(&h, "href", "/");
	web_html_markup(&h, ">");
	web_html_text(&h, T("error.back"));
	web_html_markup(&h, "</a></p></div>");
	c->rs->retry_after = retry_after;
	return page_finish(c, &h, status);
}

int page_login_status(struct page_ctx *c, int status, const char *title, const char *text,
		      int retry_after)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;

	return page_login_status_text(c, status, title, T(text), retry_after);
}

static int page_status(struct page_ctx *c, int status, const char *title, const char *text,
		       int retry_after)
{
	return page_login_status(c, status, title, text, retry_after);
}

/* The identity sources that sign in with the login form's password
 * (byod.conf's identity section); a CAS or SAML source is a link of its own. */
static int source_in_form(const struct byod_idsrc *src)
{
	return src->kind == BYOD_IDSRC_LDAP;
}

/* One control per source, "Se connecter avec <label>", in the
 * configuration's order: a submit button for a source that takes the
 * form's password (the first is what Enter sends), a link that starts the
 * sign-in at the server for a CAS one (GET /cas/login/NAME: a link, not a
 * button of the form, so that Enter never leaves for the ENT and the
 * password typed never goes anywhere), likewise GET /saml/login/NAME for a
 * SAML one; then the local account's button last, with an empty source.
 * The number of sources' controls: 0, and nothing written, when there is
 * none. */
static int page_login_sources(struct page_ctx *c, struct web_html *h)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	char words[512];
	int n = 0;

	for (size_t i = 0; i < p->conf.nidsrc; i++) {
		const struct byod_idsrc *src = &p->conf.idsrc[i];

		if (src->kind != BYOD_IDSRC_CAS && src->kind != BYOD_IDSRC_SAML &&
		    !source_in_form(src))
			continue;
		page_fill(words, sizeof(words), T("login.with"),
			  src->label && src->label[0] ? src->label : src->name);
		/* a SAML source likewise: a link that starts at its IdP (saml.c) */
		if (src->kind == BYOD_IDSRC_CAS || src->kind == BYOD_IDSRC_SAML) {
			char href[128];

			snprintf(href, sizeof(href), "/%s/login/%s",
				 src->kind == BYOD_IDSRC_CAS ? "cas" : "saml", src->name);
			web_html_markup(h, "<a class=\"button source\"");
			web_html_url(h, "href", href);
			web_html_markup(h, ">");
			web_html_text(h, words);
			web_html_markup(h, "</a>");
			n++;
			continue;
		}
		web_html_markup(h, "<button type=\"submit\" name=\"source\"");
		web_html_attr(h, "value", src->name);
		web_html_markup(h, ">");
		web_html_text(h, words);
		web_html_markup(h, "</button>");
		n++;
	}
	if (n) {
		web_html_markup(h, "<button type=\"submit\" name=\"source\" value=\"\" "
				   "class=\"local\">");
		web_html_text(h, T("login.local"));
		web_html_markup(h, "</button>");
	}
	return n;
}

int page_login(struct page_ctx *c, int status, const char *message)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	/* after a failure the login stays in its field (never the password) */
	const char *login = c->form ? web_form_get(c->form, "login") : NULL;
	struct web_html h;

	/* no session before the login: the form's token is stateless */
	web_html_init(&h);
	page_head(c, &h, T("captive.heading"));
	web_html_markup(&h, "<div class=\"box\"><h1>");
	web_html_text(&h, T("captive.heading"));
	web_html_markup(&h, "</h1><p>");
	web_html_text(&h, T("captive.intro"));
	web_html_markup(&h, "</p><p><strong>");
	web_html_text(&h, p->conf.school_name);
	web_html_markup(&h, "</strong></p>");
	if (message)
		page_notice(&h, message, 1);
	web_html_markup(&h, "<form method=\"post\" action=\"/login\">");
	page_token_field(c, &h);
	web_html_markup(&h, "<label for=\"login\">");
	web_html_text(&h, T("login.user"));
	web_html_markup(&h, "</label><input id=\"login\" name=\"login\" type=\"text\" "
			       "autocomplete=\"username\" autocapitalize=\"none\" "
			       "autocorrect=\"off\" spellcheck=\"false\" required maxlength=\"63\"");
	if (login && login[0])
		web_html_attr(&h, "value", login);
	web_html_markup(&h, "><label for=\"password\">");
	web_html_text(&h, T("login.password"));
	web_html_markup(&h, "</label><input id=\"password\" name=\"password\" "
			       "type=\"password\" autocomplete=\"current-password\" required "
			       "maxlength=\"256\"");
	if (login && login[0]) /* the login is there: the password is what is missing */
		web_html_markup(&h, " autofocus");
	web_html_markup(&h, ">");
	if (!page_login_sources(c, &h)) { /* no source: the form as it always was */
		web_html_markup(&h, "<button type=\"submit\">");
		web_html_text(&h, T("login.button"));
		web_html_markup(&h, "</button>");
	}
	web_html_markup(&h, "</form><p class=\"help\">");
	web_html_text(&h, T("login.help"));
	web_html_markup(&h, "</p></div>");
	return page_finish(c, &h, status);
}

/* The sentence for an attempt refused before its password was checked:
 * which key said no and how long, in the page's language. */
void page_login_wait(struct page_ctx *c, const struct byod_login_gate *g, char *msg, size_t len)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	const char *tmpl;
	char num[16];
	int n = g->wait;

	if (g->verdict == BYOD_LOGIN_LOCKED) {
		n = (g->wait + 59) / 60; /* whole minutes, rounded up */
		tmpl = TN("login.locked", n);
	} else if (g->by == BYOD_LOGIN_KEY_LOGIN) {
		tmpl = TN("login.busy_login", n);
	} else if (g->by == BYOD_LOGIN_KEY_ADDRESS) {
		tmpl = TN("login.busy_address", n);
	} else {
		tmpl = TN("login.wait", n);
	}
	snprintf(num, sizeof(num), "%d", n);
	page_fill(msg, len, tmpl, num);
}

int page_login_post(struct page_ctx *c)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	const char *login = web_form_get(c->form, "login");
	const char *password = web_form_get(c->form, "password");
	const char *source = web_form_get(c->form, "source");
	const struct byod_idsrc *src = NULL;
	struct byod_login_gate gate;
	struct reg_person person;
	char msg[512];
	int rc;

	if (page_form_refused(c)) /* also when no cookie came back */
		return c->rs->body ? 0 : -ENOMEM;
	if (!login || !password)
		return portal_page_error(p, rq, c->rs, 400);
	/* an empty source is the local account's button */
	if (source && source[0]) {
		src = byod_conf_idsrc(&p->conf, source);
		if (!src || !source_in_form(src))
			return page_status(c, 400, "error.400.title", "login.source_unknown", 0);
	}
	if (src)
		rc = portal_login_source(p, c->ctx, rq, src, login, password, &person, &gate);
	else
		rc = portal_login_attempt(p, c->ctx, rq, login, password, &person, &gate);
	portal_metrics_login(rc);
	if (!rc && !src)
		portal_password_upgrade(p, c->ctx, &person, password);
	explicit_bzero(&person.password_hash, sizeof(person.password_hash));
	if (rc == -EAGAIN) {
		page_login_wait(c, &gate, msg, sizeof(msg));
		return page_login(c, 429, msg);
	}
	if (rc == -EACCES || rc == -EPERM || !rc) {
		/* the journal's fields (journalctl BYOD_LOGIN=…); never the password */
		char f_login[REG_LOGIN_MAX + 16], f_school[REG_UAI_MAX + 16];
		char f_source[BYOD_IDSRC_NAME_MAX + 16];
		const char *fields[] = {f_login, f_school, rc ? "BYOD_EVENT=login-refused" :
						     "BYOD_EVENT=login", src ? f_source : NULL, NULL};

		snprintf(f_login, sizeof(f_login), "BYOD_LOGIN=%s", login);
		snprintf(f_school, sizeof(f_school), "BYOD_SCHOOL=%s",
			 rc ? p->conf.school_uai : person.school);
		snprintf(f_source, sizeof(f_source), "BYOD_SOURCE=%s", src ? src->name : "");
		byod_log(rc ? LOG_NOTICE : LOG_INFO, fields, "%s: login of %s%s%s %s", rq->client,
			 login, src ? " through " : "", src ? src->name : "",
			 rc ? "refused" : "accepted");
	}
	if (rc == -EACCES)
		return page_login(c, 401, T("login.failed"));
	/* the source said who it is, the mapping or the registry refused them */
	if (rc == -EPERM)
		return page_login(c, 403, T("login.not_allowed"));
	if (rc == -EHOSTUNREACH)
		return page_status(c, 503, "login.directory_down.title",
				   "login.directory_down.text", PORTAL_BUSY_RETRY_S);
	if (rc)
		return rc;
	rc = portal_session_login(p, c->ctx, rq, c->s, &person, c->rs);
	if (rc)
		return rc;
	/* a geteduroam app's request waiting for this login: its consent */
	return page_redirect(c, portal_oauth_pending(rq) ? PORTAL_OAUTH_CONSENT : "/devices");
}

int page_logout_post(struct page_ctx *c)
{
	if (!c->s->logged_in)
		return page_redirect(c, "/");
	if (page_form_refused(c))
		return c->rs->body ? 0 : -ENOMEM;
	reg_audit_add(c->ctx->reg, "portal.logout", c->s->person.login, NULL, NULL, NULL);
	portal_session_logout(c->ctx, c->rq, c->s, c->rs);
	return page_redirect(c, "/");
}
