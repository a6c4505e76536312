// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Signing in at the portal through a SAML 2.0 identity source (ÉduConnect,
 * an académie's federation):
 *
 *   GET /saml/login/NAME   a signed AuthnRequest (ident_saml_request), 302
 *                          to the IdP, and a state cookie that binds the
 *                          request's RelayState to this browser;
 *   POST <acs-url path>    the IdP's Response (HTTP-POST binding), checked
 *                          by the identity library (ident_login_saml: the
 *                          request taken once, the signature, audience,
 *                          times, the assertion ID claimed); the person
 *                          signed in is kept one minute under a random
 *                          nonce, and a small page moves on to
 *   GET /saml/done?n=NONCE where the state cookie is checked against the
 *                          RelayState the Response came with, and the web
 *                          session opened as a local login opens it;
 *   GET /saml/metadata/NAME
 *                          this service provider's metadata, to register at
 *                          the IdP.
 *
 * Why two steps: every cookie of the portal is SameSite=Strict, and the
 * IdP's auto-submitted form is a cross-site POST, which carries none. So
 * the ACS cannot tell which browser it answers, nor set a session the next
 * page would see. It checks all a Response can tell (the library), and
 * keeps the result under "saml-done:" SHA-256(nonce) in the registry's
 * single-use keys (every portal process sees it, taken once, 60 s); its
 * page continues same-site (meta refresh and a visible link, no script), a
 * request that carries the Strict state cookie. A Response someone else got
 * (login CSRF: an attacker's own sign-in posted by a victim's browser) finds
 * no cookie of its RelayState there and opens nothing.
 *
 * The state cookie: "byod_saml", a form token (web_form_token_new, the
 * portal's form key) whose binding is the RelayState, for
 * IDENT_SAML_REQUEST_TTL seconds, Path=/saml/, HttpOnly, SameSite=Strict;
 * cleared by /saml/done whatever its outcome.
 */
#include "portal_saml.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "byod_buf.h"
#include "byod_service.h"
#include "form.h"
#include "login_throttle.h"
#include "oauth.h"
#include "saml.h" /* identity/saml.h */
#include "token.h"
#include "websession.h"

#define SAML_STATE_COOKIE "byod_saml"
#define SAML_DONE_TTL	  60	     /* seconds from the ACS's page to /saml/done */
#define SAML_BODY_LIMIT	  (256 << 10) /* a SAMLResponse and its RelayState, encoded */

/* ---- the source of a request ---------------------------------------------- */

const struct byod_idsrc *portal_saml_source_of_path(const struct portal *p, const char *path)
{
	return portal_idsrc_of_path(p, BYOD_IDSRC_SAML, path);
}

int portal_saml_body_limit(const struct byod_conf *cf)
{
	for (size_t i = 0; i < cf->nidsrc; i++)
		if (cf->idsrc[i].kind == BYOD_IDSRC_SAML && cf->portal_body_limit < SAML_BODY_LIMIT)
			return SAML_BODY_LIMIT;
	return cf->portal_body_limit;
}

/* ---- the state cookie ---------------------------------------------------- */

/* Set-Cookie for the state, only under /saml/; max_age 0 deletes it. */
static void state_cookie(struct portal_response *rs, const struct portal_request *rq,
			 const char *value, int max_age)
{
	int i;

	for (i = 0; i < PORTAL_COOKIES_MAX && rs->cookies[i][0]; i++)
		;
	if (i == PORTAL_COOKIES_MAX)
		return;
	snprintf(rs->cookies[i], sizeof(rs->cookies[i]),
		 SAML_STATE_COOKIE "=%s; Path=/saml/; HttpOnly; SameSite=Strict%s; Max-Age=%d",
		 value, rq->https ? "; Secure" : "", max_age);
}

/* The form token's binding for relay (web_form_token_new wants a token's
 * shape): SHA-256 of relay in base64url, 43 characters. */
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

/* 0 when the request's state cookie was made here for relay and lives;
 * -ENOKEY without one, -EKEYEXPIRED expired, -EACCES for another relay or
 * anything else. */
static int state_check(struct portal *p, const struct portal_request *rq, const char *relay)
{
	char v[WEB_FORM_TOKEN_LEN + 8], bind[WEB_TOKEN_LEN + 1];
	int rc;

	if (web_cookie_get(rq->cookie, SAML_STATE_COOKIE, v, sizeof(v)) || !v[0])
		return -ENOKEY;
	rc = relay_binding(relay, bind);
	if (rc)
		return rc;
	rc = web_form_token_check(p->form_key, strlen(p->form_key), bind, v,
				  (long long)time(NULL));
	if (rc != -EKEYEXPIRED)
		rc = rc ? -EACCES : 0;
	return rc;
}

/* ---- the signed-in result between the ACS and /saml/done ------------------ */

/* "saml-done:" and the SHA-256 in hex of nonce (the nonce itself is never
 * stored: reading the table gives no way to /saml/done). */
static int done_key(const char *nonce, char out[10 + 65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];
	unsigned int n = 0;

	if (!EVP_Digest(nonce, strlen(nonce), md, &n, EVP_sha256(), NULL) || n != sizeof(md))
		return -EIO;
	memcpy(out, "saml-done:", 10);
	for (unsigned int i = 0; i < n; i++) {
		out[10 + 2 * i] = hex[md[i] >> 4];
		out[10 + 2 * i + 1] = hex[md[i] & 15];
	}
	out[10 + 64] = '\0';
	return 0;
}

/* ---- pages ---------------------------------------------------------------- */

/* An audit row of the portal's own: the address, the source, a reason. */
static void audit(struct page_ctx *c, const char *action, const struct byod_idsrc *src,
		  const char *reason)
{
	json_t *o = json_pack("{s:s}", "client", c->rq->client);
	char *after;

	if (o && src)
		json_object_set_new(o, "source", json_string(src->name));
	if (o && reason)
		json_object_set_new(o, "reason", json_string(reason));
	after = o ? json_dumps(o, JSON_COMPACT) : NULL;
	reg_audit_add(c->ctx->reg, action, "(saml)", NULL, after, NULL);
	free(after);
	json_decref(o);
}

/* A page for a sign-in that cannot go on (pages.c's, as for CAS and LDAP):
 * title and text keys, or text already translated when raw. */
static int status_page(struct page_ctx *c, int status, const char *title, const char *text,
		       int raw, int retry_after)
{
	return raw ? page_login_status_text(c, status, title, text, retry_after)
		   : page_login_status(c, status, title, text, retry_after);
}

int page_saml_login(struct page_ctx *c, const char *name)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	const struct byod_idsrc *src = byod_conf_idsrc(&p->conf, name);
	char relay[IDENT_SAML_RELAY_MAX], tok[WEB_FORM_TOKEN_LEN + 1], why[600];
	char bind[WEB_TOKEN_LEN + 1];
	struct byod_err err = { 0 };
	time_t now = time(NULL);
	int rc;

	if (!src || src->kind != BYOD_IDSRC_SAML)
		return status_page(c, 400, "error.400.title", "login.source_unknown", 0, 0);
	rc = ident_saml_request(src, c->ctx->reg, now, c->rs->location, sizeof(c->rs->location),
				relay, sizeof(relay), &err);
	if (rc) {
		c->rs->location[0] = '\0';
		portal_log("%s: identity source %s: no SAML request: %s", rq->client, src->name,
			   byod_err_str(&err, why, sizeof(why)));
		if (portal_registry_unavailable(rc))
			return portal_page_error(p, rq, c->rs, 503);
		return status_page(c, 503, "saml.down.title", "saml.down.text", 0,
				   PORTAL_BUSY_RETRY_S);
	}
	rc = relay_binding(relay, bind);
	if (!rc)
		rc = web_form_token_new(p->form_key, strlen(p->form_key), bind,
					(long long)now + IDENT_SAML_REQUEST_TTL, tok);
	if (rc) {
		c->rs->location[0] = '\0';
		return rc;
	}
	state_cookie(c->rs, rq, tok, IDENT_SAML_REQUEST_TTL);
	c->rs->status = 302;
	c->rs->content_type = "text/plain; charset=utf-8";
	c->rs->body = NULL;
	c->rs->len = 0;
	return 0;
}

/* The ACS's answer after a good Response: on to /saml/done?n=nonce by
 * itself (a same-site request, which carries the Strict state cookie), a
 * visible link besides. */
static int page_continue(struct page_ctx *c, const char *nonce)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	char href[64 + WEB_TOKEN_LEN];
	struct web_html h;

	snprintf(href, sizeof(href), "/saml/done?n=%s", nonce);
	web_html_init(&h);
	web_html_markup(&h, "<!DOCTYPE html>\n<html");
	web_html_attr(&h, "lang", rq->lang);
	web_html_markup(&h, "><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\"");
	{
		char refresh[80 + WEB_TOKEN_LEN];

		snprintf(refresh, sizeof(refresh), "0;url=%s", href);
		web_html_attr(&h, "content", refresh);
	}
	web_html_markup(&h, "><meta name=\"viewport\" content=\"width=device-width, "
			      "initial-scale=1\"><title>");
	web_html_text(&h, T("saml.signed_in"));
	web_html_markup(&h, "</title><link rel=\"stylesheet\" href=\"/static/portal.css\">"
			      "</head><body><main><div class=\"box\"><h1>");
	web_html_text(&h, T("saml.signed_in"));
	web_html_markup(&h, "</h1><p><a class=\"button\"");
	web_html_url(&h, "href", href);
	web_html_markup(&h, ">");
	web_html_text(&h, T("saml.continue"));
	web_html_markup(&h, "</a></p></div>");
	return page_finish(c, &h, 200);
}

static void log_refusal(const struct portal_request *rq, const struct byod_idsrc *src,
			const struct byod_err *err)
{
	const char *fields[] = { "BYOD_EVENT=login-refused", NULL, NULL };
	char f_source[BYOD_IDSRC_NAME_MAX + 16], why[600];

	snprintf(f_source, sizeof(f_source), "BYOD_SOURCE=%s", src->name);
	fields[1] = f_source;
	byod_log(LOG_NOTICE, fields, "%s: login through %s refused: %s", rq->client, src->name,
		 byod_err_str(err, why, sizeof(why)));
}

int page_saml_acs(struct page_ctx *c)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	const struct byod_idsrc *src = portal_saml_source_of_path(p, rq->path);
	char relay[IDENT_SAML_RELAY_MAX], nonce[WEB_TOKEN_LEN + 1], key[10 + 65], msg[512];
	char *resp = NULL, *data = NULL;
	struct byod_login_gate gate;
	struct reg_person person;
	struct byod_err err = { 0 };
	time_t now = time(NULL);
	int rc;

	if (!src)
		return portal_page_error(p, rq, c->rs, 404);
	resp = malloc(IDENT_SAML_RESPONSE_MAX);
	if (!resp)
		return -ENOMEM;
	if (ident_saml_acs_parse(rq->body ? rq->body : "", rq->body_len, resp,
				 IDENT_SAML_RESPONSE_MAX, relay, sizeof(relay))) {
		portal_log("%s: SAML response for %s: not an ACS form", rq->client, src->name);
		rc = status_page(c, 400, "error.400.title", "saml.bad_response", 0, 0);
		goto out;
	}
	/* throttled as a local login, by address (the login is the IdP's to
	 * tell): the reservation first, then the Response is checked */
	rc = byod_login_gate(c->ctx->reg, NULL, rq->client, now, &gate, NULL);
	if (rc)
		goto out;
	if (gate.verdict != BYOD_LOGIN_GO) {
		audit(c, "portal.login-throttled", src, byod_login_key_name(gate.by));
		portal_metrics_login(-EAGAIN);
		page_login_wait(c, &gate, msg, sizeof(msg));
		rc = status_page(c, 429, "saml.refused.title", msg, 1, gate.wait);
		goto out;
	}
	rc = ident_login_saml(c->ctx->reg, src, relay, resp, now, &person, &err);
	explicit_bzero(&person.password_hash, sizeof(person.password_hash));
	if (rc)
		log_refusal(rq, src, &err);
	/* the IdP or the mapping said no to a right sign-in, or this side
	 * failed: no failure counted against the address */
	if (rc && rc != -EACCES && rc != -EINVAL)
		byod_login_release(c->ctx->reg, &gate, NULL);
	switch (rc) {
	case 0:
		break;
	case -EINVAL:
		portal_metrics_login(-EACCES);
		rc = status_page(c, 400, "error.400.title", "saml.bad_response", 0, 0);
		goto out;
	case -EACCES:
		portal_metrics_login(-EACCES);
		rc = status_page(c, 401, "saml.refused.title", "saml.refused.text", 0, 0);
		goto out;
	case -EPERM:
		portal_metrics_login(-EACCES);
		rc = status_page(c, 403, "saml.refused.title", "login.not_allowed", 0, 0);
		goto out;
	case -EIO:
	case -EHOSTUNREACH:
	case -ETIMEDOUT:
	case -EPROTO:
		portal_metrics_login(rc);
		rc = status_page(c, 503, "saml.down.title", "saml.down.text", 0,
				 PORTAL_BUSY_RETRY_S);
		goto out;
	default:
		portal_metrics_login(rc);
		goto out;
	}
	byod_login_settle(c->ctx->reg, &gate, now, NULL);
	/* the person, for the browser that started the request: its nonce */
	rc = web_token_new(nonce);
	if (!rc)
		rc = done_key(nonce, key);
	if (!rc) {
		json_t *o = json_pack("{s:s, s:I}", "relay", relay, "person",
				      (json_int_t)person.id);

		data = o ? json_dumps(o, JSON_COMPACT) : NULL;
		json_decref(o);
		rc = data ? reg_once_put(c->ctx->reg, key, data, now, now + SAML_DONE_TTL, NULL)
			  : -ENOMEM;
	}
	if (rc) {
		portal_metrics_login(rc);
		if (portal_registry_unavailable(rc))
			rc = portal_page_error(p, rq, c->rs, 503);
		goto out;
	}
	portal_metrics_login(0);
	{
		const char *fields[] = { NULL, NULL, "BYOD_EVENT=login", NULL, NULL };
		char f_login[REG_LOGIN_MAX + 16], f_school[REG_UAI_MAX + 16];
		char f_source[BYOD_IDSRC_NAME_MAX + 16];

		snprintf(f_login, sizeof(f_login), "BYOD_LOGIN=%s", person.login);
		snprintf(f_school, sizeof(f_school), "BYOD_SCHOOL=%s", person.school);
		snprintf(f_source, sizeof(f_source), "BYOD_SOURCE=%s", src->name);
		fields[0] = f_login;
		fields[1] = f_school;
		fields[3] = f_source;
		byod_log(LOG_INFO, fields, "%s: login of %s through %s accepted", rq->client,
			 person.login, src->name);
	}
	rc = page_continue(c, nonce);
out:
	explicit_bzero(nonce, sizeof(nonce));
	free(data);
	free(resp);
	return rc;
}

int page_saml_done(struct page_ctx *c)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	const char *nonce = httpd_arg(rq, "n");
	char key[10 + 65], *data = NULL;
	const char *relay;
	json_t *o = NULL;
	json_int_t id;
	struct reg_person person;
	time_t now = time(NULL);
	int rc;

	/* the state goes with this step, whatever it gives: one per start */
	state_cookie(c->rs, rq, "", 0);
	if (!nonce || !web_token_valid(nonce))
		return status_page(c, 400, "error.400.title", "saml.bad_response", 0, 0);
	rc = done_key(nonce, key);
	if (!rc)
		rc = reg_once_take(c->ctx->reg, key, now, &data, NULL);
	if (rc == -ENOENT) {
		audit(c, "portal.saml-unstarted", NULL, "no result (taken, expired or unknown)");
		return status_page(c, 403, "saml.refused.title", "saml.expired", 0, 0);
	}
	if (rc)
		return portal_registry_unavailable(rc) ? portal_page_error(p, rq, c->rs, 503) : rc;
	o = json_loads(data, 0, NULL);
	free(data);
	relay = o ? json_string_value(json_object_get(o, "relay")) : NULL;
	id = o ? json_integer_value(json_object_get(o, "person")) : 0;
	if (!relay || id <= 0) {
		json_decref(o);
		return -EIO;
	}
	rc = state_check(p, rq, relay);
	json_decref(o);
	if (rc) {
		/* a Response this browser did not ask for: perhaps someone
		 * else's sign-in posted from here (login CSRF) */
		portal_log("%s: SAML sign-in refused at /saml/done: %s", rq->client,
			   rc == -ENOKEY	? "not started in this browser (no state cookie)"
			   : rc == -EKEYEXPIRED ? "started too long ago"
						: "the state cookie is of another request");
		audit(c, "portal.saml-unstarted", NULL,
		      rc == -ENOKEY ? "no state" : rc == -EKEYEXPIRED ? "state expired"
								   : "state of another request");
		return status_page(c, 403, "saml.refused.title", "saml.unstarted", 0, 0);
	}
	memset(&person, 0, sizeof(person));
	rc = reg_person_get_by_id(c->ctx->reg, (int64_t)id, &person, NULL);
	explicit_bzero(&person.password_hash, sizeof(person.password_hash));
	if (rc)
		return portal_registry_unavailable(rc) ? portal_page_error(p, rq, c->rs, 503) : rc;
	rc = portal_session_login(p, c->ctx, rq, c->s, &person, c->rs);
	if (rc)
		return rc;
	return page_redirect(c, portal_oauth_pending(rq) ? PORTAL_OAUTH_CONSENT : "/enrol");
}

int page_saml_metadata(struct page_ctx *c, const char *name)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	const struct byod_idsrc *src = byod_conf_idsrc(&p->conf, name);
	struct byod_buf b __attribute__((cleanup(byod_buf_freep)));
	struct byod_err err = { 0 };
	char why[600], console[600];
	int rc;

	byod_buf_init(&b, 0);
	if (!src || src->kind != BYOD_IDSRC_SAML)
		return portal_page_error(p, rq, c->rs, 404);
	/* the admin console's ACS listed too (admin/login_source.c makes the
	 * same URL): one registration at the IdP serves both */
	{
		const char *base = p->conf.admin_public_url;
		size_t n = base ? strlen(base) : 0;

		while (n && base[n - 1] == '/')
			n--;
		if (n)
			rc = snprintf(console, sizeof(console), "%.*s/saml/acs/%s", (int)n, base,
				      src->name);
		else
			rc = snprintf(console, sizeof(console), "https://%s:%d/saml/acs/%s",
				      p->conf.portal_hostname, p->conf.admin_port, src->name);
		if (rc < 0 || (size_t)rc >= sizeof(console))
			return portal_page_error(p, rq, c->rs, 500);
	}
	rc = ident_saml_metadata_acs(src, console, &b, &err);
	if (rc) {
		portal_log("identity source %s: no SAML metadata: %s", src->name,
			   byod_err_str(&err, why, sizeof(why)));
		return portal_page_error(p, rq, c->rs, 503);
	}
	return httpd_body_copy(c->rs, "application/samlmetadata+xml", b.p, b.len, 0);
}
