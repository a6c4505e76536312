// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The console's door through an identity source of byod.conf (its ldap, cas
 * and saml ones): the school's directory checks the password, the ENT's CAS
 * server says who comes back with a ticket, or a SAML IdP's signed Response
 * says who it is. A source never makes an
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
 *   GET  /login/NAME   saml: a signed AuthnRequest naming the console's ACS
 *                      (ident_saml_request_acs), 303 to the IdP, and a state
 *                      cookie binding the RelayState to this browser;
 *   POST /saml/acs/NAME  the IdP's Response, checked for the console's ACS
 *                      (ident_saml_response_acs: never ident_login_saml, which
 *                      makes people); the bound administrator found, the
 *                      result kept one minute under a nonce (reg_once), and a
 *                      page goes on same-site to
 *   GET  /saml/done?n=NONCE  the state cookie checked against the RelayState,
 *                      the session opened. Two steps as the portal's (every
 *                      cookie here is SameSite=Strict, the IdP's POST is
 *                      cross-site and carries none).
 *   GET  /saml/metadata/NAME  the SP's metadata, both ACS listed.
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

#include <openssl/evp.h>

#include "admin_session.h"
#include "byod_buf.h"
#include "cas.h"
#include "form.h"
#include "identity.h"
#include "login_throttle.h"
#include "saml.h" /* identity/saml.h */
#include "token.h"

#define SAML_STATE_COOKIE "byod_admin_saml"
#define SAML_DONE_TTL	  60 /* seconds from the ACS's page to /saml/done */

/* The sources an administrator may sign in with. */
static int offered(const struct byod_idsrc *s)
{
	return s->kind == BYOD_IDSRC_LDAP || s->kind == BYOD_IDSRC_CAS ||
	       s->kind == BYOD_IDSRC_SAML;
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
static int console_url(const struct admin_ctx *c, const char *dir, const struct byod_idsrc *s,
		       char *out, size_t len)
{
	const struct byod_conf *cf = &c->a->conf;
	const char *base = cf->admin_public_url;
	size_t n;
	int w;

	if (base && base[0]) {
		n = strlen(base);
		while (n && base[n - 1] == '/')
			n--;
		w = snprintf(out, len, "%.*s/%s/%s", (int)n, base, dir, s->name);
	} else {
		w = snprintf(out, len, "https://%s:%d/%s/%s", cf->portal_hostname, cf->admin_port,
			     dir, s->name);
	}
	return w < 0 || (size_t)w >= len ? -ENAMETOOLONG : 0;
}

static int callback_url(const struct admin_ctx *c, const struct byod_idsrc *s, char *out,
			size_t len)
{
	return console_url(c, "login", s, out, len);
}

/* The console's own ACS for a SAML source: <admin.public-url>/saml/acs/NAME. */
static int acs_url(const struct admin_ctx *c, const struct byod_idsrc *s, char *out, size_t len)
{
	return console_url(c, "saml/acs", s, out, len);
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
		return src->kind == BYOD_IDSRC_CAS    ? "ticket"
		       : src->kind == BYOD_IDSRC_SAML ? "response"
						      : "password";
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
static int saml_continue(struct admin_ctx *c, const struct byod_idsrc *src, const char *relay,
			 const char *login, time_t now);

static int finish(struct admin_ctx *c, const struct byod_idsrc *src, int rc,
		  const struct ident_attrs *attrs, const char *typed, struct byod_login_gate *gate,
		  const struct byod_err *err, time_t now, const char *relay)
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
		} else if (ident_left(src, attrs)) {
			/* the source says they have left: no console for them either */
			reason = "left";
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
	if (relay) {
		/* SAML: the session opens at /saml/done, in the browser that asked */
		explicit_bzero(&a, sizeof(a));
		return saml_continue(c, src, relay, login, now);
	}
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
	rc = finish(c, src, rc, &attrs, login, &gate, &err, now, NULL);
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
	rc = finish(c, src, rc, &attrs, NULL, &gate, &err, now, NULL);
	ident_attrs_free(&attrs);
	return rc;
}

/* ---- SAML ----------------------------------------------------------------- */

/* The state cookie's binding for relay (a form token's shape): SHA-256 of
 * relay in base64url, 43 characters. */
static int relay_binding(const char *relay, char out[WEB_TOKEN_LEN + 1])
{
	unsigned char md[32], b64[48];
	unsigned int n = 0;

	if (!EVP_Digest(relay, strlen(relay), md, &n, EVP_sha256(), NULL) || n != sizeof(md) ||
	    EVP_EncodeBlock(b64, md, sizeof(md)) != 44)
		return -EIO;
	for (int i = 0; i < WEB_TOKEN_LEN; i++)
		out[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : (char)b64[i];
	out[WEB_TOKEN_LEN] = '\0';
	return 0;
}

/* "admin-saml-done:" and the SHA-256 in hex of nonce (never the nonce). */
static int done_key(const char *nonce, char out[16 + 65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];
	unsigned int n = 0;

	if (!EVP_Digest(nonce, strlen(nonce), md, &n, EVP_sha256(), NULL) || n != sizeof(md))
		return -EIO;
	memcpy(out, "admin-saml-done:", 16);
	for (unsigned int i = 0; i < n; i++) {
		out[16 + 2 * i] = hex[md[i] >> 4];
		out[16 + 2 * i + 1] = hex[md[i] & 15];
	}
	out[16 + 64] = '\0';
	return 0;
}

static int saml_get(struct admin_ctx *c, const struct byod_idsrc *src)
{
	char acs[600], url[sizeof(c->rs->location)], relay[IDENT_SAML_RELAY_MAX], why[600];
	char bind[WEB_TOKEN_LEN + 1], tok[WEB_FORM_TOKEN_LEN + 1];
	struct byod_err err = {0};
	time_t now = time(NULL);
	int rc;

	if (c->session->exists && c->session->mfa)
		return admin_redirect(c, "/dashboard");
	if (acs_url(c, src, acs, sizeof(acs)))
		return admin_page_error(c, 500);
	rc = ident_saml_request_acs(src, acs, c->ctx->reg, now, url, sizeof(url), relay,
				    sizeof(relay), &err);
	if (rc) {
		httpd_log("login through %s: no SAML request: %s", src->name,
			  byod_err_str(&err, why, sizeof(why)));
		return admin_page_login(c, 503, AT(c, "login.source.down"));
	}
	rc = relay_binding(relay, bind);
	if (!rc)
		rc = web_form_token_new(c->a->form_key, strlen(c->a->form_key), bind,
					(long long)now + IDENT_SAML_REQUEST_TTL, tok);
	if (rc)
		return rc;
	httpd_set_cookie(c->rs, c->rq, SAML_STATE_COOKIE, tok, IDENT_SAML_REQUEST_TTL);
	return admin_redirect(c, url);
}

/* The ACS's page after a good Response: on to /saml/done?n=NONCE, a
 * same-site request that carries the Strict state cookie. */
static int saml_continue(struct admin_ctx *c, const struct byod_idsrc *src, const char *relay,
			 const char *login, time_t now)
{
	/* headers take static strings: this thread's, copied when the answer is
	 * built, before the thread takes another request */
	static __thread char refresh[64 + WEB_TOKEN_LEN];
	char nonce[WEB_TOKEN_LEN + 1], key[16 + 65], href[32 + WEB_TOKEN_LEN];
	char *data = NULL;
	struct web_html h;
	json_t *o;
	int rc;

	rc = web_token_new(nonce);
	if (!rc)
		rc = done_key(nonce, key);
	if (rc)
		return rc;
	o = json_pack("{s:s, s:s, s:s}", "relay", relay, "login", login, "source", src->name);
	data = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	rc = data ? reg_once_put(c->ctx->reg, key, data, now, now + SAML_DONE_TTL, NULL) : -ENOMEM;
	free(data);
	if (rc)
		return rc;
	snprintf(href, sizeof(href), "/saml/done?n=%s", nonce);
	snprintf(refresh, sizeof(refresh), "0; url=%s", href);
	explicit_bzero(nonce, sizeof(nonce));
	web_html_init(&h);
	admin_page_head(c, &h, AT(c, "login.source.done"), NULL);
	web_html_markup(&h, "<div class=\"box narrow\"><p><a id=\"continue\"");
	web_html_url(&h, "href", href);
	web_html_markup(&h, ">");
	web_html_text(&h, AT(c, "login.source.continue"));
	web_html_markup(&h, "</a></p></div>");
	c->rs->headers[0][0] = "Refresh";
	c->rs->headers[0][1] = refresh;
	return admin_page_finish(c, &h, 200);
}

int admin_saml_acs(struct admin_ctx *c, const char *name)
{
	const struct byod_idsrc *src = byod_conf_idsrc(&c->a->conf, name);
	char acs[600], relay[IDENT_SAML_RELAY_MAX];
	char *resp = NULL;
	struct ident_attrs attrs = {0};
	struct byod_login_gate gate;
	struct byod_err err = {0};
	time_t now = time(NULL);
	int rc;

	if (!src || src->kind != BYOD_IDSRC_SAML)
		return admin_page_error(c, 404);
	if (acs_url(c, src, acs, sizeof(acs)))
		return admin_page_error(c, 500);
	resp = malloc(IDENT_SAML_RESPONSE_MAX);
	if (!resp)
		return -ENOMEM;
	if (ident_saml_acs_parse(c->rq->body ? c->rq->body : "", c->rq->body_len, resp,
				 IDENT_SAML_RESPONSE_MAX, relay, sizeof(relay))) {
		free(resp);
		return admin_page_error(c, 400);
	}
	rc = gate_closed(c, src, NULL, &gate, now);
	if (rc) {
		free(resp);
		return rc > 0 ? 0 : rc;
	}
	rc = ident_saml_response_acs(c->ctx->reg, src, acs, relay, resp, now, &attrs, &err);
	free(resp);
	if (rc == -EINVAL)
		rc = -EACCES;
	rc = finish(c, src, rc, &attrs, NULL, &gate, &err, now, relay);
	ident_attrs_free(&attrs);
	return rc;
}

int admin_saml_done(struct admin_ctx *c)
{
	const char *nonce = httpd_arg(c->rq, "n"), *relay, *login, *name, *reason = NULL;
	char key[16 + 65], v[WEB_FORM_TOKEN_LEN + 8], bind[WEB_TOKEN_LEN + 1], actor[96];
	const struct byod_idsrc *src;
	struct reg_admin a;
	char *data = NULL;
	json_t *o;
	time_t now = time(NULL);
	int rc;

	/* the state goes with this step, whatever it gives */
	httpd_set_cookie(c->rs, c->rq, SAML_STATE_COOKIE, "", 0);
	if (!nonce || !web_token_valid(nonce))
		return admin_page_error(c, 400);
	rc = done_key(nonce, key);
	if (!rc)
		rc = reg_once_take(c->ctx->reg, key, now, &data, NULL);
	if (rc == -ENOENT)
		return admin_page_login(c, 403, AT(c, "login.source.refused"));
	if (rc)
		return rc;
	o = json_loads(data, 0, NULL);
	free(data);
	relay = o ? json_string_value(json_object_get(o, "relay")) : NULL;
	login = o ? json_string_value(json_object_get(o, "login")) : NULL;
	name = o ? json_string_value(json_object_get(o, "source")) : NULL;
	src = name ? byod_conf_idsrc(&c->a->conf, name) : NULL;
	if (!relay || !login || !src) {
		json_decref(o);
		return -EIO;
	}
	/* the browser that pressed the button: its Strict cookie for this relay */
	if (web_cookie_get(c->rq->cookie, SAML_STATE_COOKIE, v, sizeof(v)) || !v[0])
		reason = "no-state";
	else if (relay_binding(relay, bind) ||
		 web_form_token_check(c->a->form_key, strlen(c->a->form_key), bind, v,
				      (long long)now))
		reason = "state";
	memset(&a, 0, sizeof(a));
	if (!reason) {
		rc = bound_admin(c, src, login, &a, &reason);
		if (rc && rc != -EACCES) {
			json_decref(o);
			return rc;
		}
	}
	if (reason) {
		httpd_log("%s: SAML sign-in of %s through %s refused at /saml/done (%s)",
			  c->rq->client, login, src->name, reason);
		audit_source(c, "admin.login-refused", login, src, reason);
		json_decref(o);
		return admin_page_login(c, 403, AT(c, "login.source.refused"));
	}
	rc = admin_session_start_source(c, &a);
	explicit_bzero(&a, sizeof(a));
	if (!rc) {
		snprintf(actor, sizeof(actor), "admin:%s", login);
		if (reg_set_actor(c->ctx->reg, actor))
			rc = admin_page_error(c, 500);
		else {
			audit_source(c, "admin.login", login, src, NULL);
			httpd_log("%s: %s signed in through %s", c->rq->client, login, src->name);
			rc = admin_redirect(c, "/dashboard");
		}
	}
	json_decref(o);
	return rc;
}

int admin_saml_metadata(struct admin_ctx *c, const char *name)
{
	const struct byod_idsrc *src = byod_conf_idsrc(&c->a->conf, name);
	struct byod_buf b;
	struct byod_err err = {0};
	char acs[600], why[600];
	int rc;

	if (!src || src->kind != BYOD_IDSRC_SAML)
		return admin_page_error(c, 404);
	if (acs_url(c, src, acs, sizeof(acs)))
		return admin_page_error(c, 500);
	byod_buf_init(&b, 0);
	rc = ident_saml_metadata_acs(src, acs, &b, &err);
	if (rc) {
		httpd_log("identity source %s: no SAML metadata: %s", src->name,
			  byod_err_str(&err, why, sizeof(why)));
		byod_buf_free(&b);
		return admin_page_error(c, 503);
	}
	rc = httpd_body_copy(c->rs, "application/samlmetadata+xml", b.p, b.len, 0);
	byod_buf_free(&b);
	return rc;
}

int admin_login_source(struct admin_ctx *c, const char *name, int post)
{
	const struct byod_idsrc *src = byod_conf_idsrc(&c->a->conf, name);

	if (!src || !offered(src))
		return admin_page_error(c, 404);
	if (src->kind == BYOD_IDSRC_SAML)
		return post ? admin_page_error(c, 405) : saml_get(c, src);
	/* HEAD (routes.c counts it a GET) must not use a ticket up: 405 */
	if (src->kind == BYOD_IDSRC_CAS && !strcmp(c->rq->method, "HEAD") &&
	    httpd_arg(c->rq, "ticket"))
		return admin_page_error(c, 405);
	if (src->kind == BYOD_IDSRC_CAS)
		return post ? admin_page_error(c, 405) : cas_get(c, src);
	if (post)
		return ldap_post(c, src);
	if (c->session->exists && c->session->mfa)
		return admin_redirect(c, "/dashboard");
	return page_ldap(c, src, 200, NULL);
}
