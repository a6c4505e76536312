// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The console's door: the login and password (yescrypt, throttled in keys
 * of its own), then the second factor, a TOTP code (RFC 6238, web/totp.c).
 * At the first login the administrator enrols it before any other page: a
 * QR code (inline SVG) of the otpauth URI and the secret as text, then one
 * code from the authenticator confirms it. A code is accepted once (its
 * step is recorded atomically, so a replayed code fails even at another
 * byod-admin process). The session gets a new id after the password and
 * again after the second factor; logout ends it.
 */
#include "admin_pages.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin_session.h"
#include "login_throttle.h"
#include "qrsheet.h"
#include "totp.h"

/* ---- pages --------------------------------------------------------------- */

void admin_login_field(struct web_html *h, const char *id, const char *label, const char *type,
		       const char *autocomplete, const char *value, const char *extra_help)
{
	web_html_markup(h, "<label");
	web_html_attr(h, "for", id);
	web_html_markup(h, ">");
	web_html_text(h, label);
	web_html_markup(h, "</label>");
	if (extra_help) {
		web_html_markup(h, "<p class=\"hint\"");
		{
			char hid[40];

			snprintf(hid, sizeof(hid), "%s-hint", id);
			web_html_attr(h, "id", hid);
		}
		web_html_markup(h, ">");
		web_html_text(h, extra_help);
		web_html_markup(h, "</p>");
	}
	web_html_markup(h, "<input required");
	web_html_attr(h, "id", id);
	web_html_attr(h, "name", id);
	web_html_attr(h, "type", type);
	web_html_attr(h, "autocomplete", autocomplete);
	if (extra_help) {
		char hid[40];

		snprintf(hid, sizeof(hid), "%s-hint", id);
		web_html_attr(h, "aria-describedby", hid);
	}
	if (value && value[0])
		web_html_attr(h, "value", value);
	web_html_markup(h, ">");
}

int admin_page_login(struct admin_ctx *c, int status, const char *message)
{
	/* after a failure the login stays in its field (never the password) */
	const char *login = c->form ? web_form_get(c->form, "login") : NULL;
	struct web_html h;

	web_html_init(&h);
	admin_page_head(c, &h, AT(c, "login.title"), NULL);
	web_html_markup(&h, "<div class=\"box narrow\"><p>");
	web_html_text(&h, AT(c, "login.intro"));
	web_html_markup(&h, "</p>");
	if (message)
		admin_notice(&h, message, 1);
	web_html_markup(&h, "<form method=\"post\" action=\"/login\">");
	admin_token_field(c, &h);
	admin_login_field(&h, "login", AT(c, "login.user"), "text", "username", login, NULL);
	admin_login_field(&h, "password", AT(c, "login.password"), "password", "current-password",
			  NULL, NULL);
	web_html_markup(&h, "<button type=\"submit\">");
	web_html_text(&h, AT(c, "login.button"));
	web_html_markup(&h, "</button></form></div>");
	admin_login_sources(c, &h);
	return admin_page_finish(c, &h, status);
}

/* The second factor's page: the code form, and before enrolment the QR
 * code and the secret. */
static int page_totp(struct admin_ctx *c, int status, const char *message)
{
	const struct reg_admin *a = &c->session->admin;
	char *uri = NULL, grouped[96];
	struct web_html h;
	size_t i, n;
	int rc;

	web_html_init(&h);
	admin_page_head(c, &h, AT(c, a->totp_enrolled ? "totp.title" : "totp.enrol.title"), NULL);
	web_html_markup(&h, "<div class=\"box narrow\">");
	if (message)
		admin_notice(&h, message, 1);
	if (!a->totp_enrolled) {
		/* the issuer an authenticator shows beside the login */
		rc = web_totp_uri(c->a->conf.school_name, a->login, a->totp_secret, &uri);
		if (rc) {
			web_html_free(&h);
			return rc;
		}
		web_html_markup(&h, "<p>");
		web_html_text(&h, AT(c, "totp.enrol.intro"));
		web_html_markup(&h, "</p><ol><li>");
		web_html_text(&h, AT(c, "totp.enrol.step1"));
		web_html_markup(&h, "</li><li>");
		web_html_text(&h, AT(c, "totp.enrol.step2"));
		web_html_markup(&h, "</li></ol><figure class=\"qr\">");
		rc = web_qr_svg_named(&h, uri, AT(c, "totp.enrol.qr"));
		explicit_bzero(uri, strlen(uri));
		free(uri);
		if (rc) {
			web_html_free(&h);
			return rc;
		}
		web_html_markup(&h, "<figcaption>");
		web_html_text(&h, AT(c, "totp.enrol.secret"));
		web_html_markup(&h, " <code class=\"secret\">");
		/* in groups of four, as authenticators show it */
		for (i = 0, n = 0; a->totp_secret[i] && n + 2 < sizeof(grouped); i++) {
			if (i && i % 4 == 0)
				grouped[n++] = ' ';
			grouped[n++] = a->totp_secret[i];
		}
		grouped[n] = '\0';
		web_html_text(&h, grouped);
		web_html_markup(&h, "</code></figcaption></figure>");
	} else {
		web_html_markup(&h, "<p>");
		web_html_text(&h, AT(c, "totp.intro"));
		web_html_markup(&h, "</p>");
	}
	web_html_markup(&h, "<form method=\"post\" action=\"/totp\">");
	admin_token_field(c, &h);
	web_html_markup(&h, "<label for=\"code\">");
	web_html_text(&h, AT(c, "totp.code"));
	web_html_markup(&h, "</label><input id=\"code\" name=\"code\" type=\"text\" required "
			    "inputmode=\"numeric\" autocomplete=\"one-time-code\" "
			    "pattern=\"[0-9 ]{6,8}\" maxlength=\"8\"><button type=\"submit\">");
	web_html_text(&h, AT(c, a->totp_enrolled ? "totp.button" : "totp.enrol.button"));
	web_html_markup(&h, "</button></form></div>");
	explicit_bzero(grouped, sizeof(grouped));
	/* the secret is on this page: never kept by a cache */
	c->rs->secret = !a->totp_enrolled;
	return admin_page_finish(c, &h, status);
}

/* Which page a session goes to: none, the second factor, or the console. */
static int where_next(struct admin_ctx *c)
{
	if (!c->session->exists)
		return admin_redirect(c, "/login");
	if (!c->session->mfa)
		return admin_redirect(c, "/totp");
	return admin_redirect(c, "/dashboard");
}

int admin_login_get(struct admin_ctx *c)
{
	if (c->session->exists)
		return where_next(c);
	return admin_page_login(c, 200, NULL);
}

int admin_form_refused(struct admin_ctx *c)
{
	int rc = admin_form_check(c);

	if (!rc)
		return 0;
	httpd_log("%s POST %s: form refused: %s", c->rq->client, c->rq->path,
		  rc == -ENOKEY	       ? "no cookie to bind the form token to"
		  : rc == -EKEYEXPIRED ? "form token expired"
				       : "form token missing, forged or another browser's");
	admin_page_error(c, 403);
	return 1;
}

const char *admin_wait_message(struct admin_ctx *c, const struct byod_login_gate *g, char *out,
			       size_t len)
{
	const char *tmpl =
		g->verdict == BYOD_LOGIN_LOCKED ? AT(c, "login.locked") : AT(c, "login.wait");
	const char *at = strstr(tmpl, "{}");
	int n = g->verdict == BYOD_LOGIN_LOCKED ? (g->wait + 59) / 60 : g->wait;

	if (at)
		snprintf(out, len, "%.*s%d%s", (int)(at - tmpl), tmpl, n, at + 2);
	else
		snprintf(out, len, "%s", tmpl);
	return out;
}

int admin_login_post(struct admin_ctx *c)
{
	struct byod_login_gate gate;
	struct reg_admin a;
	char msg[300];
	int rc;

	if (admin_form_refused(c))
		return 0;
	rc = admin_password_attempt(c, web_form_get(c->form, "login"),
				    web_form_get(c->form, "password"), &a, &gate);
	admin_metrics_login(rc);
	if (rc == -EAGAIN) {
		c->rs->retry_after = gate.wait;
		return admin_page_login(c, 429, admin_wait_message(c, &gate, msg, sizeof(msg)));
	}
	if (rc == -EACCES)
		return admin_page_login(c, 401, AT(c, "login.failed"));
	if (rc)
		return rc;
	/* before the first login: a secret to enrol, kept until it is proved */
	if (!a.totp_secret[0]) {
		rc = web_totp_secret_new(a.totp_secret);
		if (!rc)
			rc = reg_admin_set_totp(c->ctx->reg, a.login, a.totp_secret, 0, NULL);
		if (rc) {
			explicit_bzero(&a, sizeof(a));
			return rc;
		}
		a.totp_enrolled = 0;
	}
	rc = admin_session_start(c, &a);
	explicit_bzero(&a, sizeof(a));
	if (rc)
		return rc;
	return admin_redirect(c, "/totp");
}

int admin_totp_get(struct admin_ctx *c)
{
	if (!c->session->exists || c->session->mfa)
		return where_next(c);
	return page_totp(c, 200, NULL);
}

int admin_totp_post(struct admin_ctx *c)
{
	struct admin_session *s = c->session;
	struct byod_login_gate gate;
	const char *code = web_form_get(c->form, "code");
	char msg[300];
	int64_t step = 0;
	time_t now = time(NULL);
	int rc;

	if (!s->exists || s->mfa)
		return where_next(c);
	if (admin_form_refused(c))
		return 0;
	/* the codes are throttled as the passwords are: a million of them */
	rc = byod_login_gate_in(c->ctx->reg, "admin", s->admin.login, c->rq->client, now, &gate,
				NULL);
	if (rc)
		return rc;
	if (gate.verdict != BYOD_LOGIN_GO) {
		c->rs->retry_after = gate.wait;
		return page_totp(c, 429, admin_wait_message(c, &gate, msg, sizeof(msg)));
	}
	rc = code ? web_totp_verify(s->admin.totp_secret, code, WEB_TOTP_DIGITS, now,
				    WEB_TOTP_WINDOW, &step)
		  : -EACCES;
	if (rc == -EACCES || rc == -EINVAL) {
		httpd_log("%s: a wrong second factor for %s", c->rq->client, s->admin.login);
		reg_audit_add_school(c->ctx->reg, "", "admin.login-failed", s->admin.login, NULL,
				     "{\"reason\":\"totp\"}", NULL);
		return page_totp(c, 401, AT(c, "totp.failed"));
	}
	if (rc)
		return rc;
	/* once only: the same code again (or an older one) is a replay */
	rc = reg_admin_totp_step(c->ctx->reg, s->admin.login, step, NULL);
	if (rc == -EALREADY) {
		httpd_log("%s: a second factor used before, for %s", c->rq->client, s->admin.login);
		reg_audit_add_school(c->ctx->reg, "", "admin.login-failed", s->admin.login, NULL,
				     "{\"reason\":\"totp-replay\"}", NULL);
		return page_totp(c, 401, AT(c, "totp.replayed"));
	}
	if (rc)
		return rc;
	if (!s->admin.totp_enrolled) {
		rc = reg_admin_set_totp(c->ctx->reg, s->admin.login, s->admin.totp_secret, 1, NULL);
		if (rc)
			return rc;
		/* set_totp restarts the steps: this code stays used */
		reg_admin_totp_step(c->ctx->reg, s->admin.login, step, NULL);
		s->admin.totp_enrolled = 1;
	}
	byod_login_settle(c->ctx->reg, &gate, now, NULL);
	rc = admin_session_elevate(c);
	if (rc)
		return rc;
	/* logged in: from now on the administrator is the actor */
	snprintf(msg, sizeof(msg), "admin:%s", s->admin.login);
	if (reg_set_actor(c->ctx->reg, msg))
		return admin_page_error(c, 500);
	reg_audit_add_school(c->ctx->reg, "", "admin.login", s->admin.login, NULL, NULL, NULL);
	return admin_redirect(c, "/dashboard");
}

int admin_logout_post(struct admin_ctx *c)
{
	if (c->session->exists && admin_form_refused(c))
		return 0;
	if (c->session->exists) {
		char actor[96];

		snprintf(actor, sizeof(actor), "admin:%s", c->session->admin.login);
		if (!reg_set_actor(c->ctx->reg, actor))
			reg_audit_add_school(c->ctx->reg, "", "admin.logout",
					     c->session->admin.login, NULL, NULL, NULL);
	}
	admin_session_end(c);
	return admin_redirect(c, "/login");
}
