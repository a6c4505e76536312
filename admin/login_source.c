// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The console's door through an identity source of byod.conf (its ldap and
 * cas ones): the school's directory checks the password, or the ENT's CAS
 * server says who comes back with a ticket. A source never makes an
 * administrator: the account is made beforehand, bound to that source
 * (byodctl admin add LOGIN --source NAME), and only such an account, active,
 * signs in through it, at once with both factors (the source authenticates;
 * such an account has no password and no TOTP of the console). A local
 * account (no source) never signs in through a source, nor a source's
 * account through another source or the console's own password form.
 *
 *   GET  /login/NAME   ldap: the source's login form; cas: to the CAS server,
 *                      and back here with ?ticket=ST-...
 *   POST /login/NAME   ldap: the login and password, checked by the directory
 *
 * Throttled in the keys of the password login (realm "admin"): the login
 * typed and the address for a directory, the address for CAS (the login is
 * known only after the ticket). Audited as the password login:
 * "admin.login" with the source on success, "admin.login-refused" with the
 * source and the reason otherwise, "admin.login-throttled" before anything.
 * The directory's password is handed to the bind only, never kept or logged.
 */
#include "admin_pages.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "admin_session.h"
#include "cas.h"
#include "identity.h"
#include "login_throttle.h"

/* The sources an administrator may sign in with. */
static int offered(const struct byod_idsrc *s)
{
	return s->kind == BYOD_IDSRC_LDAP || s->kind == BYOD_IDSRC_CAS;
}

static const char *label_of(const struct byod_idsrc *s)
{
	return s->label && s->label[0] ? s->label : s->name;
}

/* An audit row of a sign-in through src: the client, the source and the
 * reason (NULL on success) in "after"; the login as the source gave it, or
 * as typed when it can be a login, "(invalid)" otherwise. */
static void audit_source(struct admin_ctx *c, const char *action, const char *login,
			 const struct byod_idsrc *src, const char *reason)
{
	json_t *o = json_pack("{s:s, s:s}", "client", c->rq->client, "source", src->name);
	char *after;

	if (o && reason)
		json_object_set_new(o, "reason", json_string(reason));
	after = o ? json_dumps(o, JSON_COMPACT) : NULL;
	reg_audit_add_school(c->ctx->reg, "", action, login && login[0] ? login : "(invalid)", NULL,
			     after, NULL);
	free(after);
	json_decref(o);
}

/* The console's own callback for a CAS source: the CAS server sends the
 * administrator back there, and the ticket is validated for it. Taken from
 * admin.public-url, never from the request's Host (a ticket issued for
 * another service must not be accepted here). */
static int callback_url(const struct admin_ctx *c, const struct byod_idsrc *s, char *out,
			size_t len)
{
	const struct byod_conf *cf = &c->a->conf;
	const char *base = cf->admin_public_url;
	size_t n;
	int w;

	if (base && base[0]) {
		n = strlen(base);
		while (n && base[n - 1] == '/')
			n--;
		w = snprintf(out, len, "%.*s/login/%s", (int)n, base, s->name);
	} else {
		w = snprintf(out, len, "https://%s:%d/login/%s", cf->portal_hostname,
			     cf->admin_port, s->name);
	}
	return w < 0 || (size_t)w >= len ? -ENAMETOOLONG : 0;
}

/* ---- pages --------------------------------------------------------------- */

void admin_login_sources(struct admin_ctx *c, struct web_html *h)
{
	const struct byod_conf *cf = &c->a->conf;
	char href[80];
	size_t i, n = 0;

	for (i = 0; i < cf->nidsrc; i++)
		n += offered(&cf->idsrc[i]);
	if (!n)
		return;
	web_html_markup(h, "<div class=\"box narrow sources\"><h2>");
	web_html_text(h, AT(c, "login.sources"));
	web_html_markup(h, "</h2><ul class=\"sources\">");
	for (i = 0; i < cf->nidsrc; i++) {
		const struct byod_idsrc *s = &cf->idsrc[i];

		if (!offered(s))
			continue;
		snprintf(href, sizeof(href), "/login/%s", s->name);
		web_html_markup(h, "<li><a class=\"button\"");
		web_html_url(h, "href", href);
		web_html_markup(h, ">");
		admin_text_with(h, AT(c, "login.source.button"), label_of(s));
		web_html_markup(h, "</a></li>");
	}
	web_html_markup(h, "</ul></div>");
}

/* A directory's login form: the login and password for src. */
static int page_ldap(struct admin_ctx *c, const struct byod_idsrc *s, int status,
		     const char *message)
{
	const char *login = c->form ? web_form_get(c->form, "login") : NULL;
	char action[80], title[200];
	struct web_html h;
	const char *tmpl = AT(c, "login.source.title"), *at = strstr(tmpl, "{}");

	if (at)
		snprintf(title, sizeof(title), "%.*s%s%s", (int)(at - tmpl), tmpl, label_of(s),
			 at + 2);
	else
		snprintf(title, sizeof(title), "%s", tmpl);
	snprintf(action, sizeof(action), "/login/%s", s->name);
	web_html_init(&h);
	admin_page_head(c, &h, title, NULL);
	web_html_markup(&h, "<div class=\"box narrow\"><p>");
	admin_text_with(&h, AT(c, "login.source.intro"), label_of(s));
	web_html_markup(&h, "</p>");
	if (message)
		admin_notice(&h, message, 1);
	web_html_markup(&h, "<form method=\"post\"");
	web_html_url(&h, "action", action);
	web_html_markup(&h, ">");
	admin_token_field(c, &h);
	admin_login_field(&h, "login", AT(c, "login.user"), "text", "username", login, NULL);
	admin_login_field(&h, "password", AT(c, "login.password"), "password", "current-password",
			  NULL, NULL);
	web_html_markup(&h, "<button type=\"submit\">");
	web_html_text(&h, AT(c, "login.button"));
	web_html_markup(&h, "</button></form><p><a href=\"/login\">");
	web_html_text(&h, AT(c, "login.source.back"));
	web_html_markup(&h, "</a></p></div>");
	return admin_page_finish(c, &h, status);
}

/* Where a refusal is shown: the directory's form again, or the login page. */
static int refused_page(struct admin_ctx *c, const struct byod_idsrc *s, int status,
			const char *message)
{
	if (s->kind == BYOD_IDSRC_LDAP)
		return page_ldap(c, s, status, message);
	return admin_page_login(c, status, message);
}

/* After a CAS sign-in: the session cookie is SameSite=Strict, and a browser
 * coming back from the CAS server (another site) would not send it along a
 * redirect that is still part of that navigation; this page, the console's
 * own, goes on to the dashboard (Refresh, and a link without it). */
static int page_signed_in(struct admin_ctx *c)
{
	struct web_html h;

	web_html_init(&h);
	admin_page_head(c, &h, AT(c, "login.source.done"), NULL);
	web_html_markup(&h, "<div class=\"box narrow\"><p><a href=\"/dashboard\">");
	web_html_text(&h, AT(c, "login.source.continue"));
	web_html_markup(&h, "</a></p></div>");
	c->rs->headers[0][0] = "Refresh";
	c->rs->headers[0][1] = "0; url=/dashboard";
	return admin_page_finish(c, &h, 200);
}

/* ---- the sign-in --------------------------------------------------------- */

/* src said that the person is login (as the source gives it): the
 * administrator bound to src under that login, or the reason why not. */
static int bound_admin(struct admin_ctx *c, const struct byod_idsrc *src, const char *login,
		       struct reg_admin *out, const char **reason)
{
	int rc = reg_admin_get(c->ctx->reg, login, out, NULL);

	if (rc == -ENOENT) {
		*reason = "no-admin";
		return -EACCES;
	}
	if (rc)
		return rc;
	if (!out->source[0])
		*reason = "local-account"; /* its password and TOTP, never a source */
	else if (strcmp(out->source, src->name))
		*reason = "other-source";
	else if (out->state != REG_PERSON_ACTIVE)
		*reason = "disabled";
	else
		return 0;
	explicit_bzero(out, sizeof(*out));
	return -EACCES;
}

/* The reason an identity call's error is audited with, and whether it is
 * the source's fault (a 503) rather than the person's. */
static const char *ident_reason(const struct byod_idsrc *src, int rc, int *down)
{
	*down = 0;
	switch (rc) {
	case -EACCES: /* CAS: the ticket refused, used already, another service's */
		return src->kind == BYOD_IDSRC_CAS ? "ticket" : "password";
	case -EINVAL:
		return "login";
	case -EHOSTUNREACH:
		*down = 1;
		return "source-unreachable";
	case -ETIMEDOUT:
		*down = 1;
		return "source-timeout";
	default:
		*down = 1;
		return "source-error";
	}
}

/*
 * The end of every sign-in through src, the throttle's gate passed: rc the
 * source's answer, attrs what it said. Signs in the administrator bound to
 * src, or refuses with the page, the log line and the audit row.
 */
static int finish(struct admin_ctx *c, const struct byod_idsrc *src, int rc,
		  const struct ident_attrs *attrs, const char *typed, struct byod_login_gate *gate,
		  const struct byod_err *err, time_t now)
{
	const char *reason = NULL, *v;
	char login[REG_LOGIN_MAX] = "", actor[96], buf[600];
	struct reg_admin a;
	int down = 0;

	memset(&a, 0, sizeof(a));
	if (rc) {
		reason = ident_reason(src, rc, &down);
		httpd_log("%s: sign-in through %s refused: %s", c->rq->client, src->name,
			  byod_err_str(err, buf, sizeof(buf)));
	} else {
		/* the registry's login is the source's login attribute, in lowercase */
		v = ident_attrs_get(attrs, src->login_attr, 0);
		if (!v || byod_login_normalise(v, login, sizeof(login))) {
			reason = "no-login";
			login[0] = '\0';
		} else {
			rc = bound_admin(c, src, login, &a, &reason);
			if (rc && rc != -EACCES)
				return rc;
		}
		if (reason)
			httpd_log("%s: %s signed in at %s, but is no administrator of that source "
				  "(%s)",
				  c->rq->client, login[0] ? login : "(no login)", src->name,
				  reason);
	}
	admin_metrics_login(reason ? -EACCES : 0);
	if (reason) {
		char norm[REG_LOGIN_MAX];

		/* the source said no one: the login as typed, when it can be one */
		if (!login[0] && typed && !byod_login_normalise(typed, norm, sizeof(norm)))
			memcpy(login, norm, sizeof(login));
		audit_source(c, "admin.login-refused", login, src, reason);
		if (!down && gate->locks)
			audit_source(c, "admin.login-locked", login, src, "pair");
		if (down) {
			/* an outage is no one's guess: the reservation back */
			byod_login_release(c->ctx->reg, gate, NULL);
			return refused_page(c, src, 503, AT(c, "login.source.down"));
		}
		/* a directory's wrong password or login: the password form's sentence */
		if (!strcmp(reason, "password") || !strcmp(reason, "login"))
			return refused_page(c, src, 401, AT(c, "login.failed"));
		if (!strcmp(reason, "ticket"))
			return refused_page(c, src, 401, AT(c, "login.source.ticket"));
		return refused_page(c, src, 401, AT(c, "login.source.refused"));
	}
	byod_login_settle(c->ctx->reg, gate, now, NULL);
	rc = admin_session_start_source(c, &a);
	explicit_bzero(&a, sizeof(a));
	if (rc)
		return rc;
	snprintf(actor, sizeof(actor), "admin:%s", login);
	if (reg_set_actor(c->ctx->reg, actor))
		return admin_page_error(c, 500);
	audit_source(c, "admin.login", login, src, NULL);
	httpd_log("%s: %s signed in through %s", c->rq->client, login, src->name);
	if (src->kind == BYOD_IDSRC_CAS)
		return page_signed_in(c);
	return admin_redirect(c, "/dashboard");
}

/* The throttle's gate for a sign-in of login (NULL: the address only). 1
 * when the attempt must wait (the page is written), 0 to go on, or a fault. */
static int gate_closed(struct admin_ctx *c, const struct byod_idsrc *src, const char *login,
		       struct byod_login_gate *gate, time_t now)
{
	char norm[REG_LOGIN_MAX], msg[300];
	int valid = login && !byod_login_normalise(login, norm, sizeof(norm));
	int rc = byod_login_gate_in(c->ctx->reg, "admin", valid ? norm : NULL, c->rq->client, now,
				    gate, NULL);

	if (rc)
		return rc; /* fail closed */
	if (gate->verdict == BYOD_LOGIN_GO)
		return 0;
	audit_source(c, "admin.login-throttled", valid ? norm : NULL, src,
		     byod_login_key_name(gate->by));
	admin_metrics_login(-EAGAIN);
	c->rs->retry_after = gate->wait;
	rc = refused_page(c, src, 429, admin_wait_message(c, gate, msg, sizeof(msg)));
	return rc ? rc : 1;
}

static int ldap_post(struct admin_ctx *c, const struct byod_idsrc *src)
{
	const char *login = web_form_get(c->form, "login");
	const char *password = web_form_get(c->form, "password");
	struct ident_attrs attrs = {0};
	struct byod_login_gate gate;
	struct byod_err err = {0};
	time_t now = time(NULL);
	int rc;

	rc = admin_form_refused(c);
	if (rc)
		return rc > 0 ? 0 : rc;
	rc = gate_closed(c, src, login, &gate, now);
	if (rc)
		return rc > 0 ? 0 : rc;
	/* the bind only: the password is neither kept nor written anywhere */
	rc = ident_ldap_check(src, login ? login : "", password, &attrs, &err);
	rc = finish(c, src, rc, &attrs, login, &gate, &err, now);
	ident_attrs_free(&attrs);
	return rc;
}

static int cas_get(struct admin_ctx *c, const struct byod_idsrc *src)
{
	const char *ticket = httpd_arg(c->rq, "ticket");
	struct byod_idsrc mine = *src; /* the console's callback in place of the portal's */
	char service[600], url[sizeof(c->rs->location)];
	struct ident_attrs attrs = {0};
	struct byod_login_gate gate;
	struct byod_err err = {0};
	time_t now = time(NULL);
	int rc;

	if (callback_url(c, src, service, sizeof(service)))
		return admin_page_error(c, 500);
	mine.service_url = service;
	if (!ticket) {
		if (c->session->exists && c->session->mfa)
			return admin_redirect(c, "/dashboard");
		if (ident_cas_login_url(&mine, url, sizeof(url))) {
			httpd_log("login through %s: the CAS login URL is too long", src->name);
			return admin_page_error(c, 500);
		}
		return admin_redirect(c, url);
	}
	rc = gate_closed(c, src, NULL, &gate, now);
	if (rc)
		return rc > 0 ? 0 : rc;
	/* a ticket that cannot be one never reaches the server */
	if (!ident_cas_ticket_ok(ticket))
		rc = byod_err_set(&err, EACCES, "identity source '%s': not a service ticket",
				  src->name);
	else
		rc = ident_cas_validate(&mine, ticket, &attrs, &err);
	if (rc == -EINVAL)
		rc = -EACCES;
	rc = finish(c, src, rc, &attrs, NULL, &gate, &err, now);
	ident_attrs_free(&attrs);
	return rc;
}

int admin_login_source(struct admin_ctx *c, const char *name, int post)
{
	const struct byod_idsrc *src = byod_conf_idsrc(&c->a->conf, name);

	if (!src || !offered(src))
		return admin_page_error(c, 404);
	if (src->kind == BYOD_IDSRC_CAS)
		return post ? admin_page_error(c, 405) : cas_get(c, src);
	if (post)
		return ldap_post(c, src);
	if (c->session->exists && c->session->mfa)
		return admin_redirect(c, "/dashboard");
	return page_ldap(c, src, 200, NULL);
}
