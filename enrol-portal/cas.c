// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Signing in at the portal through a CAS identity source (the ENT's):
 *
 *   GET /cas/login/NAME    sets a short-lived state cookie and sends the
 *                          browser to the source's CAS login (302);
 *   GET <service-url path>?ticket=ST-...
 *                          the CAS server sends the person back: the state
 *                          checked, the ticket validated by the identity
 *                          library (ident_login_cas), a new web session as a
 *                          local login makes, then on to the enrolment;
 *   POST <service-url path> with logoutRequest
 *                          the CAS server's back-channel single logout: the
 *                          web session opened with that ticket ends.
 *
 * Which source a callback is for: the CAS source whose service-url has the
 * request's path (/cas/callback/NAME by convention; /cas/callback for a
 * single one), so several ENTs each get a callback of their own and a
 * ticket never reaches another source's server.
 *
 * The state: CAS 3.0 has no state parameter (and a strict server refuses a
 * service URL with anything added), so a callback nobody started here, an
 * attacker's own ticket in a link sent to a pupil (login CSRF), is refused
 * by a cookie: set by GET /cas/login/NAME, signed with the portal's form key
 * and bound to a random value inside it, good for CAS_STATE_TTL seconds,
 * SameSite=Lax (the CAS server's redirect back is a cross-site top-level
 * navigation, which a Strict cookie would not follow), path /cas/, cleared
 * by the callback whatever its outcome. The session cookie the callback
 * sets is Strict like every other: a redirect chain that began at the CAS
 * server would not carry it, so the callback answers a page that moves on
 * by itself (meta refresh, no script) to /cas/continue, a same-site request.
 *
 * Single logout: the ticket the portal validated is remembered as the
 * single-use key "cas-slo:" SHA-256(ticket) -> the session's id hash, in the
 * registry (reg_once_put: shared by every portal process, purged with the
 * web sessions) until the session's absolute expiry, and taken once.
 * The logoutRequest is not signed (CAS's never is): only a ticket this
 * portal validated itself ends anything, and only the session it opened.
 */
#include "portal_cas.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "byod_service.h"
#include "cas.h" /* identity/cas.h */
#include "form.h"
#include "oauth.h"
#include "token.h"

#define CAS_STATE_COOKIE "byod_cas"
#define CAS_STATE_TTL	 600 /* seconds to sign in at the ENT */

/* ---- the source of a request ---------------------------------------------- */

const struct byod_idsrc *portal_cas_source_of_path(const struct portal *p, const char *path)
{
	return portal_idsrc_of_path(p, BYOD_IDSRC_CAS, path);
}

/* ---- the state cookie ---------------------------------------------------- */

/* Set-Cookie for the state: as portal_set_cookie's, but SameSite=Lax (the
 * way back from the CAS server is a cross-site navigation) and only under
 * /cas/. max_age 0 deletes it. */
static void state_cookie(struct portal_response *rs, const struct portal_request *rq,
			 const char *value, int max_age)
{
	int i;

	for (i = 0; i < PORTAL_COOKIES_MAX && rs->cookies[i][0]; i++)
		;
	if (i == PORTAL_COOKIES_MAX)
		return;
	snprintf(rs->cookies[i], sizeof(rs->cookies[i]),
		 CAS_STATE_COOKIE "=%s; Path=/cas/; HttpOnly; SameSite=Lax%s; Max-Age=%d", value,
		 rq->https ? "; Secure" : "", max_age);
}

/* A state: a random value and a form token bound to it, "<value>.<token>". */
static int state_new(struct portal *p, char *out, size_t len)
{
	char nonce[WEB_TOKEN_LEN + 1], tok[WEB_FORM_TOKEN_LEN + 1];
	int rc;

	if (len < sizeof(nonce) + sizeof(tok))
		return -ENAMETOOLONG;
	rc = web_token_new(nonce);
	if (!rc)
		rc = web_form_token_new(p->form_key, strlen(p->form_key), nonce,
					(long long)time(NULL) + CAS_STATE_TTL, tok);
	if (!rc)
		snprintf(out, len, "%s.%s", nonce, tok);
	explicit_bzero(nonce, sizeof(nonce));
	return rc;
}

/* 0 when the request carries a live state made here; -ENOKEY without one,
 * -EKEYEXPIRED for an expired one, -EACCES for anything else. */
static int state_check(struct portal *p, const struct portal_request *rq)
{
	char v[WEB_TOKEN_LEN + WEB_FORM_TOKEN_LEN + 8];
	char *dot;
	int rc;

	if (web_cookie_get(rq->cookie, CAS_STATE_COOKIE, v, sizeof(v)) || !v[0])
		return -ENOKEY;
	dot = strchr(v, '.');
	if (!dot)
		return -EACCES;
	*dot = '\0';
	if (!web_token_valid(v))
		return -EACCES;
	rc = web_form_token_check(p->form_key, strlen(p->form_key), v, dot + 1,
				  (long long)time(NULL));
	explicit_bzero(v, sizeof(v));
	if (rc != -EKEYEXPIRED)
		rc = rc ? -EACCES : 0;
	return rc;
}

/* ---- the ticket -> session map for single logout ------------------------- */

/* The registry's single-use key of a ticket's session: "cas-slo:" and the
 * SHA-256 in hex of the ticket (the ticket itself is never stored). */
static int slo_key(const char *ticket, char out[8 + 65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];
	unsigned int n = 0;

	if (!EVP_Digest(ticket, strlen(ticket), md, &n, EVP_sha256(), NULL) || n != sizeof(md))
		return -EIO;
	memcpy(out, "cas-slo:", 8);
	for (unsigned int i = 0; i < n; i++) {
		out[8 + 2 * i] = hex[md[i] >> 4];
		out[8 + 2 * i + 1] = hex[md[i] & 15];
	}
	out[8 + 64] = '\0';
	return 0;
}

/* Remembers that ticket opened the session id_hash, until expires (the
 * registry's single-use keys, shared by every portal process). */
static int slo_put(struct reg *reg, const char *ticket, const char *id_hash, time_t now,
		   time_t expires)
{
	char key[8 + 65];
	int rc = slo_key(ticket, key);

	return rc ? rc : reg_once_put(reg, key, id_hash, now, expires, NULL);
}

/* The session ticket opened, taken once (-ENOENT: none, taken already, or
 * expired). */
static int slo_take(struct reg *reg, const char *ticket, time_t now, char id_hash[REG_HASH_HEX])
{
	char key[8 + 65], *data = NULL;
	int rc = slo_key(ticket, key);

	if (!rc)
		rc = reg_once_take(reg, key, now, &data, NULL);
	if (!rc) {
		if (strlen(data) != REG_HASH_HEX - 1)
			rc = -ENOENT;
		else
			snprintf(id_hash, REG_HASH_HEX, "%s", data);
	}
	free(data);
	return rc;
}

/* ---- pages ---------------------------------------------------------------- */

/* An audit row of the portal's own: the address, the source, a reason. */
static void audit(struct page_ctx *c, const char *action, const char *object,
		  const struct byod_idsrc *src, const char *reason)
{
	json_t *o = json_pack("{s:s}", "client", c->rq->client);
	char *after;

	if (o && src)
		json_object_set_new(o, "source", json_string(src->name));
	if (o && reason)
		json_object_set_new(o, "reason", json_string(reason));
	after = o ? json_dumps(o, JSON_COMPACT) : NULL;
	reg_audit_add(c->ctx->reg, action, object, NULL, after, NULL);
	free(after);
	json_decref(o);
}

int page_cas_login(struct page_ctx *c, const char *name)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	const struct byod_idsrc *src = byod_conf_idsrc(&p->conf, name);
	char state[WEB_TOKEN_LEN + WEB_FORM_TOKEN_LEN + 8];
	int rc;

	if (!src || src->kind != BYOD_IDSRC_CAS)
		return page_login_status(c, 400, "error.400.title", "login.source_unknown", 0);
	rc = ident_cas_login_url(src, c->rs->location, sizeof(c->rs->location));
	if (rc) {
		portal_log("%s: identity source %s: its CAS login URL is too long", rq->client,
			   src->name);
		return rc;
	}
	rc = state_new(p, state, sizeof(state));
	if (rc) {
		c->rs->location[0] = '\0';
		return rc;
	}
	state_cookie(c->rs, rq, state, CAS_STATE_TTL);
	explicit_bzero(state, sizeof(state));
	c->rs->status = 302;
	c->rs->content_type = "text/plain; charset=utf-8";
	c->rs->body = NULL;
	c->rs->len = 0;
	return 0;
}

/* The page after a sign-in: on to /cas/continue by itself (a same-site
 * request, which carries the new Strict session cookie), a link besides. */
static int page_signed_in(struct page_ctx *c)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	struct web_html h;

	web_html_init(&h);
	web_html_markup(&h, "<!DOCTYPE html>\n<html");
	web_html_attr(&h, "lang", rq->lang);
	web_html_markup(&h, "><head><meta charset=\"utf-8\">"
			      "<meta http-equiv=\"refresh\" content=\"0;url=/cas/continue\">"
			      "<meta name=\"viewport\" content=\"width=device-width, "
			      "initial-scale=1\"><title>");
	web_html_text(&h, T("cas.signed_in"));
	web_html_markup(&h, "</title><link rel=\"stylesheet\" href=\"/static/portal.css\">"
			      "</head><body><main><div class=\"box\"><h1>");
	web_html_text(&h, T("cas.signed_in"));
	web_html_markup(&h, "</h1><p><a");
	web_html_url(&h, "href", "/cas/continue");
	web_html_markup(&h, ">");
	web_html_text(&h, T("cas.continue"));
	web_html_markup(&h, "</a></p></div>");
	return page_finish(c, &h, 200);
}

int page_cas_callback(struct page_ctx *c)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	const struct byod_idsrc *src = portal_cas_source_of_path(p, rq->path);
	const char *ticket = httpd_arg(rq, "ticket");
	struct byod_login_gate gate;
	struct reg_person person;
	struct byod_err err = { 0 };
	char why[600], msg[512];
	time_t now = time(NULL);
	int rc;

	if (!src)
		return portal_page_error(p, rq, c->rs, 404);
	/* a ticket is used once: never by a HEAD, which shows nothing */
	if (strcmp(rq->method, "GET"))
		return portal_page_error(p, rq, c->rs, 405);
	/* the state goes with this answer, whatever it is: one callback per start */
	rc = state_check(p, rq);
	state_cookie(c->rs, rq, "", 0);
	if (!ticket || !ticket[0])
		return page_login_status(c, 400, "error.400.title", "cas.no_ticket", 0);
	if (rc) {
		/* a ticket nobody started here: perhaps someone else's, in a link
		 * (login CSRF). Not sent to the server, so it stays unused. */
		portal_log("%s: CAS callback of %s refused: %s", rq->client, src->name,
			   rc == -ENOKEY ? "not started here (no state cookie)"
			   : rc == -EKEYEXPIRED ? "started too long ago"
						: "state cookie forged or malformed");
		audit(c, "portal.cas-unstarted", "(cas)", src,
		      rc == -ENOKEY ? "no state" : rc == -EKEYEXPIRED ? "state expired"
								   : "state refused");
		return page_login_status(c, 403, "cas.refused.title", "cas.unstarted", 0);
	}
	/* throttled as a local login, by address (the login is the server's to
	 * tell): the reservation first, then the server is asked */
	rc = byod_login_gate(c->ctx->reg, NULL, rq->client, now, &gate, NULL);
	if (rc)
		return rc;
	if (gate.verdict != BYOD_LOGIN_GO) {
		audit(c, "portal.login-throttled", "(cas)", src, byod_login_key_name(gate.by));
		portal_metrics_login(-EAGAIN);
		page_login_wait(c, &gate, msg, sizeof(msg));
		return page_login_status_text(c, 429, "cas.refused.title", msg, gate.wait);
	}
	rc = ident_login_cas(c->ctx->reg, src, ticket, &person, &err);
	if (rc) {
		const char *fields[] = { "BYOD_EVENT=login-refused", NULL, NULL };
		char f_source[BYOD_IDSRC_NAME_MAX + 16];

		snprintf(f_source, sizeof(f_source), "BYOD_SOURCE=%s", src->name);
		fields[1] = f_source;
		byod_log(LOG_NOTICE, fields, "%s: login through %s refused: %s", rq->client,
			 src->name, byod_err_str(&err, why, sizeof(why)));
		/* a ticket refused counts; an ENT down or an answer the mapping
		 * refuses is not the person's doing: the reservation back */
		if (rc != -EACCES && rc != -EINVAL)
			byod_login_release(c->ctx->reg, &gate, NULL);
	}
	switch (rc) {
	case 0:
		break;
	case -EINVAL:
		portal_metrics_login(-EACCES);
		return page_login_status(c, 400, "error.400.title", "cas.bad_ticket", 0);
	case -EACCES:
		portal_metrics_login(-EACCES);
		return page_login_status(c, 401, "cas.refused.title", "cas.refused.text", 0);
	case -EPERM:
		portal_metrics_login(-EACCES);
		return page_login_status(c, 403, "cas.refused.title", "login.not_allowed", 0);
	case -EHOSTUNREACH:
	case -ETIMEDOUT:
	case -EPROTO:
		portal_metrics_login(rc);
		return page_login_status(c, 503, "cas.down.title", "cas.down.text",
					 PORTAL_BUSY_RETRY_S);
	default:
		portal_metrics_login(rc);
		return rc;
	}
	byod_login_settle(c->ctx->reg, &gate, now, NULL);
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
	explicit_bzero(&person.password_hash, sizeof(person.password_hash));
	rc = portal_session_login(p, c->ctx, rq, c->s, &person, c->rs);
	if (rc)
		return rc;
	/* the single logout's way to this session; without it the session
	 * still works, only the ENT's logout does not reach it */
	rc = slo_put(c->ctx->reg, ticket, c->s->id_hash, now, now + p->conf.portal_session_max_s);
	if (rc)
		portal_log("%s: the CAS ticket of %s's session is not kept (%s): the ENT's "
			   "logout will not end it", rq->client, person.login, strerror(-rc));
	return page_signed_in(c);
}

int page_cas_continue(struct page_ctx *c)
{
	if (!c->s->logged_in)
		return page_redirect(c, "/");
	if (portal_session_is_code(c->s))
		return page_redirect(c, c->s->row.enrolled ? "/enrolled" : "/enrol");
	return page_redirect(c, portal_oauth_pending(c->rq) ? PORTAL_OAUTH_CONSENT : "/enrol");
}

int page_cas_logout_post(struct page_ctx *c)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	const struct byod_idsrc *src = portal_cas_source_of_path(p, rq->path);
	char ticket[IDENT_CAS_TICKET_MAX], id_hash[REG_HASH_HEX];
	struct reg_web_session row;
	struct reg_person who;
	int rc;

	if (!src)
		return portal_page_error(p, rq, c->rs, 404);
	if (ident_cas_logout_parse(rq->body ? rq->body : "", rq->body_len, ticket,
				   sizeof(ticket))) {
		portal_log("%s: CAS logout for %s: not a logoutRequest", rq->client, src->name);
		return portal_page_error(p, rq, c->rs, 400);
	}
	rc = slo_take(c->ctx->reg, ticket, time(NULL), id_hash);
	explicit_bzero(ticket, sizeof(ticket));
	if (rc && rc != -ENOENT)
		return portal_registry_unavailable(rc) ? portal_page_error(p, rq, c->rs, 503) : rc;
	if (!rc && !reg_web_session_get(c->ctx->reg, id_hash, &row, NULL)) {
		memset(&who, 0, sizeof(who));
		if (row.person)
			reg_person_get_by_id(c->ctx->reg, row.person, &who, NULL);
		explicit_bzero(&who.password_hash, sizeof(who.password_hash));
		rc = reg_web_session_delete(c->ctx->reg, id_hash, NULL);
		if (rc)
			return portal_registry_unavailable(rc) ? portal_page_error(p, rq, c->rs, 503)
							       : rc;
		audit(c, "portal.logout", who.login[0] ? who.login : "(cas)", src, "cas-slo");
		portal_log("%s: %s's session ended by %s's single logout", rq->client,
			   who.login[0] ? who.login : "(someone)", src->name);
	}
	/* an unknown ticket (never validated here, or its session gone): nothing
	 * to end, and nothing to tell the server either way */
	return httpd_body_copy(c->rs, "text/plain; charset=utf-8", "ok\n", 3, 0);
}
