// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The authorization side of geteduroam's API: the apps the portal knows
 * (letswifi-portal's client ids and redirect URIs), GET /oauth/authorize/
 * and the pupil's consent.
 *
 * A request whose client or redirect URI is not registered gets an error
 * page, never a redirect (RFC 6749 §4.1.2.1); any other bad parameter is
 * told to the app at its redirect URI. A good request is kept server-side
 * while the pupil logs in through the portal's normal login: sealed
 * (AES-256-GCM) under a random cookie of its own, stored under that
 * cookie's hash (reg_oauth_request_*), so neither the query string of a
 * later page nor the registry (which never sees a readable URI) can change
 * or reveal it. The consent page names the app and the account and shows
 * the school's charter, to accept as at an enrolment (its version goes
 * with the code, then the grant, then the device); accept gives the app a
 * one-time code bound to its redirect URI and PKCE challenge, refuse tells
 * it access_denied.
 */
#include "oauth.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/sha.h>

#include "byod_util.h"
#include "token.h"

#define REQUEST_LABEL "oauth-request"
#define REQUEST_MAGIC "byod-oauth-1"
#define REQUEST_TTL   900 /* seconds to log in and consent */
#define STATE_MAX     256
#define REDIRECT_MAX  200
/* The consent page's CSP, per client: the form's answer is a redirect to
 * the app, which form-action 'self' (every other page's) would block; each
 * client's page lets through its own redirect URIs and no one else's. */
#define CONSENT_CSP(targets)                                                                       \
	"default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self' " targets        \
	"; frame-ancestors 'none'; base-uri 'none'"
#define CSP_LOOPBACK CONSENT_CSP("http://127.0.0.1:* http://[::1]:*")
#define CSP_MOBILE   CONSENT_CSP("app.eduroam.geteduroam:")
/* The longest name=value pairs an answer adds to the redirect URI besides
 * the state ("?error=invalid_request&error_description=PKCE%20with..."). */
#define ANSWER_MAX 160

/* clang-format off */
static const struct portal_oauth_client clients[] = {
	/* the Linux app and the shell script */
	{ "app.geteduroam.sh", "geteduroam (Linux)", BYOD_KIND_LAPTOP, NULL, 1, CSP_LOOPBACK },
	{ "app.geteduroam.win", "geteduroam (Windows)", BYOD_KIND_LAPTOP, NULL, 1, CSP_LOOPBACK },
	/* the Android and iOS app */
	{ "app.eduroam.geteduroam", "geteduroam (Android, iOS)", BYOD_KIND_PHONE,
	  "app.eduroam.geteduroam:/", 0, CSP_MOBILE },
};
/* clang-format on */

const struct portal_oauth_client *portal_oauth_client(const char *id)
{
	size_t i;

	for (i = 0; id && i < sizeof(clients) / sizeof(clients[0]); i++)
		if (!strcmp(clients[i].id, id))
			return &clients[i];
	return NULL;
}

/* "http://127.0.0.1:PORT/" or "http://[::1]:PORT/" (the port optional, 1 to
 * 65535), path "/" exactly: RFC 8252 §7.3, what letswifi registers. */
static int loopback_ok(const char *uri)
{
	const char *rest = NULL;
	long port = 0;
	char *end;

	if (!strncmp(uri, "http://127.0.0.1", 16))
		rest = uri + 16;
	else if (!strncmp(uri, "http://[::1]", 12))
		rest = uri + 12;
	if (!rest)
		return 0;
	if (*rest == ':') {
		if (!isdigit((unsigned char)rest[1]))
			return 0;
		port = strtol(rest + 1, &end, 10);
		if (port < 1 || port > 65535 || end - rest > 6)
			return 0;
		rest = end;
	}
	return !strcmp(rest, "/");
}

int portal_oauth_redirect_ok(const struct portal_oauth_client *cl, const char *uri)
{
	if (!cl || !uri || strlen(uri) > REDIRECT_MAX)
		return 0;
	if (cl->redirect && !strcmp(cl->redirect, uri))
		return 1;
	return cl->loopback && loopback_ok(uri);
}

int portal_oauth_pending(const struct portal_request *rq)
{
	char cookie[44];

	return !web_cookie_get(rq->cookie, PORTAL_OAUTH_COOKIE, cookie, sizeof(cookie)) &&
	       web_token_valid(cookie);
}

/* ---- the request kept while the pupil logs in ---- */

struct oauth_request {
	char client[REG_OAUTH_CLIENT_MAX];
	char redirect[REDIRECT_MAX + 1];
	char challenge[REG_OAUTH_CHALLENGE_MAX];
	char state[STATE_MAX + 1];
};

static void hex_encode(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int hex_decode(const char *in, unsigned char *out, size_t max, size_t *n)
{
	size_t i, len = strlen(in);
	unsigned v;

	if (len % 2 || len / 2 > max)
		return -EINVAL;
	for (i = 0; i < len / 2; i++) {
		if (sscanf(in + 2 * i, "%2x", &v) != 1 || !isxdigit((unsigned char)in[2 * i]) ||
		    !isxdigit((unsigned char)in[2 * i + 1]))
			return -EINVAL;
		out[i] = (unsigned char)v;
	}
	*n = len / 2;
	return 0;
}

/* Seals r under a new cookie, stores it, sets the cookie. */
static int request_keep(struct page_ctx *c, const struct oauth_request *r)
{
	const char *f[] = {REQUEST_MAGIC, r->client, r->redirect, r->challenge, r->state};
	char cookie[44], hash[REG_HASH_HEX], buf[1024], *hex = NULL;
	unsigned char *sealed = NULL;
	size_t i, n = 0, l, len = 0;
	time_t now = time(NULL);
	int rc;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		l = strlen(f[i]) + 1;
		if (n + l > sizeof(buf))
			return -E2BIG;
		memcpy(buf + n, f[i], l);
		n += l;
	}
	rc = web_token_new(cookie);
	if (!rc)
		rc = web_token_hash(cookie, hash);
	if (!rc)
		rc = web_token_seal(cookie, REQUEST_LABEL, hash, buf, n, &sealed, &len);
	if (!rc && !(hex = malloc(2 * len + 1)))
		rc = -ENOMEM;
	if (!rc) {
		hex_encode(sealed, len, hex);
		rc = reg_oauth_request_put(c->ctx->reg, hash, hex, now, now + REQUEST_TTL, NULL);
	}
	if (!rc)
		portal_set_cookie(c->rs, c->rq, PORTAL_OAUTH_COOKIE, cookie, REQUEST_TTL);
	explicit_bzero(cookie, sizeof(cookie));
	free(sealed);
	free(hex);
	return rc;
}

static int field(const char *buf, size_t len, size_t *at, char *out, size_t size)
{
	size_t l;

	if (*at >= len)
		return -1;
	l = strnlen(buf + *at, len - *at);
	if (*at + l >= len || l >= size)
		return -1;
	memcpy(out, buf + *at, l + 1);
	*at += l + 1;
	return 0;
}

/* The request this browser's cookie names: 0, -ENOENT (none, expired, or
 * not this cookie's), or a registry error. *hash gets the row's id. */
static int request_find(struct page_ctx *c, struct oauth_request *r, char hash[REG_HASH_HEX])
{
	char cookie[44], magic[16], *hex = NULL, *plain = NULL;
	unsigned char *sealed = NULL;
	size_t n = 0, len = 0, at = 0;
	int rc;

	memset(r, 0, sizeof(*r));
	if (web_cookie_get(c->rq->cookie, PORTAL_OAUTH_COOKIE, cookie, sizeof(cookie)) ||
	    !web_token_valid(cookie))
		return -ENOENT;
	rc = web_token_hash(cookie, hash);
	if (!rc)
		rc = reg_oauth_request_get(c->ctx->reg, hash, time(NULL), &hex, NULL);
	if (!rc && !(sealed = malloc(strlen(hex) / 2 + 1)))
		rc = -ENOMEM;
	if (!rc && hex_decode(hex, sealed, strlen(hex) / 2, &n))
		rc = -ENOENT;
	if (!rc && web_token_open(cookie, REQUEST_LABEL, hash, sealed, n, &plain, &len))
		rc = -ENOENT;
	if (!rc && (field(plain, len, &at, magic, sizeof(magic)) || strcmp(magic, REQUEST_MAGIC) ||
		    field(plain, len, &at, r->client, sizeof(r->client)) ||
		    field(plain, len, &at, r->redirect, sizeof(r->redirect)) ||
		    field(plain, len, &at, r->challenge, sizeof(r->challenge)) ||
		    field(plain, len, &at, r->state, sizeof(r->state)) || at != len))
		rc = -ENOENT;
	/* the list of apps may have changed since */
	if (!rc && !portal_oauth_redirect_ok(portal_oauth_client(r->client), r->redirect))
		rc = -ENOENT;
	explicit_bzero(cookie, sizeof(cookie));
	free(hex);
	free(sealed);
	if (plain) {
		explicit_bzero(plain, len);
		free(plain);
	}
	return rc;
}

static void request_forget(struct page_ctx *c, const char *hash)
{
	reg_oauth_request_delete(c->ctx->reg, hash, NULL);
	portal_set_cookie(c->rs, c->rq, PORTAL_OAUTH_COOKIE, "", 0);
}

/* ---- answers to the app, at its redirect URI ---- */

static int oauth_page(struct page_ctx *c, int status, const char *title, const char *text);

/* How many bytes s takes percent-encoded. */
static size_t url_len(const char *s)
{
	size_t n = 0;

	for (; s && *s; s++)
		n += isalnum((unsigned char)*s) || strchr("-._~", *s) ? 1 : 3;
	return n;
}

/* s percent-encoded after out's text; -1 (out cut at its end) when it does
 * not fit. */
static int url_append(char *out, size_t size, const char *s)
{
	static const char digits[] = "0123456789ABCDEF";
	size_t n = strlen(out);

	if (n + url_len(s) >= size)
		return -1;
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (isalnum(ch) || strchr("-._~", ch)) {
			out[n++] = (char)ch;
		} else {
			out[n++] = '%';
			out[n++] = digits[ch >> 4];
			out[n++] = digits[ch & 15];
		}
	}
	out[n] = '\0';
	return 0;
}

/* The longest redirect to an app: 600 bytes, as before httpd's Location
 * grew for SAML's signed requests, so that what an app is answered and
 * what authorize refuses stay as they were. */
#define OAUTH_LOCATION_MAX 600
_Static_assert(OAUTH_LOCATION_MAX <= sizeof(((struct portal_response *)0)->location),
	       "an app's redirect fits in the Location");

/* 1 when every answer to that redirect URI, with that state, fits in a
 * Location header: checked at the authorization, before anything is kept. */
static int redirect_fits(const char *redirect, size_t size, const char *state)
{
	return strlen(redirect) + ANSWER_MAX + strlen("&state=") + url_len(state) < size;
}

/* 302 to redirect with name=value pairs (NULL-terminated list; a NULL or
 * empty value is left out) and the state. */
static int redirect_app(struct page_ctx *c, const char *redirect, const char *state,
			const char *const *kv)
{
	struct portal_response *rs = c->rs;
	char *loc = rs->location;
	size_t size = OAUTH_LOCATION_MAX;
	int first = !strchr(redirect, '?');

	int cut = 0;

	snprintf(loc, size, "%s", redirect);
	for (; kv[0]; kv += 2) {
		if (!kv[1] || !kv[1][0])
			continue;
		snprintf(loc + strlen(loc), size - strlen(loc), "%s%s=", first ? "?" : "&", kv[0]);
		cut |= url_append(loc, size, kv[1]);
		first = 0;
	}
	if (state && state[0]) {
		snprintf(loc + strlen(loc), size - strlen(loc), "%sstate=", first ? "?" : "&");
		cut |= url_append(loc, size, state);
	}
	if (cut) {
		/* never a cut answer (authorize refuses what would not fit) */
		loc[0] = '\0';
		portal_log("%s oauth: the answer does not fit in a redirect", c->rq->client);
		return oauth_page(c, 400, "oauth.bad.title", "oauth.bad.state");
	}
	rs->status = 302;
	rs->content_type = "text/plain; charset=utf-8";
	rs->body = NULL;
	rs->len = 0;
	return 0;
}

static int redirect_error(struct page_ctx *c, const char *redirect, const char *state,
			  const char *error, const char *description)
{
	const char *kv[] = {"error", error, "error_description", description, NULL};

	portal_log("%s oauth authorize: %s (%s)", c->rq->client, error, description);
	return redirect_app(c, redirect, state, kv);
}

/* A page of its own, for what cannot go back to the app. */
static int oauth_page(struct page_ctx *c, int status, const char *title, const char *text)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	struct web_html h;

	web_html_init(&h);
	page_head(c, &h, T(title));
	web_html_markup(&h, "<div class=\"box\"><h1>");
	web_html_text(&h, T(title));
	web_html_markup(&h, "</h1><p>");
	web_html_text(&h, T(text));
	web_html_markup(&h, "</p></div>");
	return page_finish(c, &h, status);
}

/* base64url characters only, 43 to 128 of them (RFC 7636 §4.1, §4.2). */
static int pkce_text_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0, i;

	if (n < 43 || n > 128)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("-._~", s[i]))
			return 0;
	return 1;
}

/* scope holds eap-metadata and nothing else (space-separated). */
static int scope_ok(const char *scope)
{
	const char *s = scope;
	size_t n, k = strlen(PORTAL_OAUTH_SCOPE);
	int seen = 0;

	while (s && *s) {
		while (*s == ' ')
			s++;
		n = strcspn(s, " ");
		if (!n)
			break;
		if (n != k || strncmp(s, PORTAL_OAUTH_SCOPE, k))
			return 0;
		seen = 1;
		s += n;
	}
	return seen;
}

int page_oauth_authorize(struct page_ctx *c)
{
	const struct portal_request *rq = c->rq;
	const char *client_id = httpd_arg(rq, "client_id");
	const char *redirect = httpd_arg(rq, "redirect_uri");
	const char *type = httpd_arg(rq, "response_type");
	const char *challenge = httpd_arg(rq, "code_challenge");
	const char *method = httpd_arg(rq, "code_challenge_method");
	const char *scope = httpd_arg(rq, "scope");
	const char *state = httpd_arg(rq, "state");
	const struct portal_oauth_client *cl = portal_oauth_client(client_id);
	struct oauth_request r;
	int rc;

	if (!cl) {
		portal_log("%s oauth authorize: unknown client", rq->client);
		return oauth_page(c, 400, "oauth.bad.title", "oauth.bad.client");
	}
	if (!portal_oauth_redirect_ok(cl, redirect)) {
		portal_log("%s oauth authorize: redirect URI not registered for %s", rq->client,
			   cl->id);
		return oauth_page(c, 400, "oauth.bad.title", "oauth.bad.redirect");
	}
	if (state && strlen(state) > STATE_MAX)
		return redirect_error(c, redirect, NULL, "invalid_request", "state too long");
	if (!redirect_fits(redirect, OAUTH_LOCATION_MAX, state)) {
		/* the app could not be told without cutting its state */
		portal_log("%s oauth authorize: state too long for a redirect", rq->client);
		return oauth_page(c, 400, "oauth.bad.title", "oauth.bad.state");
	}
	if (!type || strcmp(type, "code"))
		return redirect_error(c, redirect, state, "unsupported_response_type",
				      "only response_type=code");
	if (!method || strcmp(method, "S256"))
		return redirect_error(c, redirect, state, "invalid_request",
				      "PKCE with code_challenge_method=S256 is required");
	if (!pkce_text_ok(challenge) || strlen(challenge) != 43)
		return redirect_error(c, redirect, state, "invalid_request",
				      "code_challenge must be a base64url SHA-256");
	if (!scope_ok(scope))
		return redirect_error(c, redirect, state, "invalid_scope",
				      "the scope is " PORTAL_OAUTH_SCOPE);
	memset(&r, 0, sizeof(r));
	snprintf(r.client, sizeof(r.client), "%s", cl->id);
	snprintf(r.redirect, sizeof(r.redirect), "%s", redirect);
	snprintf(r.challenge, sizeof(r.challenge), "%s", challenge);
	snprintf(r.state, sizeof(r.state), "%s", state ? state : "");
	rc = request_keep(c, &r);
	if (rc) {
		c->registry_rc = rc;
		return portal_registry_unavailable(rc) ? portal_page_error(c->p, rq, c->rs, 503)
						       : rc;
	}
	/* the portal's normal login first; it comes back to the consent */
	return page_redirect(
		c, c->s->logged_in && !portal_session_is_code(c->s) ? PORTAL_OAUTH_CONSENT : "/");
}

static int consent_page(struct page_ctx *c, const struct oauth_request *r, int status,
			const char *message)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	const struct portal_oauth_client *cl = portal_oauth_client(r->client);
	struct web_html h;

	c->self = PORTAL_OAUTH_CONSENT;
	web_html_init(&h);
	page_head(c, &h, T("oauth.consent.title"));
	web_html_markup(&h, "<form class=\"box\" method=\"post\"");
	web_html_url(&h, "action", PORTAL_OAUTH_CONSENT);
	web_html_markup(&h, "><h1>");
	web_html_text(&h, T("oauth.consent.title"));
	web_html_markup(&h, "</h1>");
	if (message)
		page_notice(&h, message, 1);
	web_html_markup(&h, "<p>");
	page_text_with(&h, T("oauth.consent.app"), cl->device_name);
	web_html_markup(&h, "</p><p>");
	page_text_with(&h, T("oauth.consent.account"), c->s->person.login);
	web_html_markup(&h, "</p>");
	page_token_field(c, &h);
	web_html_markup(&h, "<h2>");
	web_html_text(&h, T("enrol.charter"));
	web_html_markup(&h, "</h2><div class=\"charter\" tabindex=\"0\">");
	if (p->charter)
		web_html_fragment(&h, p->charter, p->charter_len);
	web_html_markup(&h, "</div><p class=\"check\"><input type=\"checkbox\" id=\"charter\" "
			    "name=\"charter\" value=\"yes\" required><label for=\"charter\">");
	page_text_with(&h, T("enrol.accept"), p->conf.enrol_charter_version);
	web_html_markup(&h, "</label></p><button type=\"submit\" name=\"action\" "
			    "value=\"accept\">");
	web_html_text(&h, T("oauth.consent.accept"));
	web_html_markup(&h, "</button><button type=\"submit\" class=\"link\" name=\"action\" "
			    "value=\"refuse\" formnovalidate>");
	web_html_text(&h, T("oauth.consent.refuse"));
	web_html_markup(&h, "</button></form>");
	/* the form's answer is a redirect to the app: a loopback listener or
	 * the mobile app's scheme, which form-action 'self' would block; this
	 * client's own only */
	c->rs->csp = cl->consent_csp;
	return page_finish(c, &h, status);
}

static int no_request(struct page_ctx *c, int rc)
{
	if (rc == -ENOENT)
		return oauth_page(c, 410, "oauth.gone.title", "oauth.gone.text");
	c->registry_rc = rc;
	return portal_registry_unavailable(rc) ? portal_page_error(c->p, c->rq, c->rs, 503) : rc;
}

int page_oauth_consent(struct page_ctx *c)
{
	char hash[REG_HASH_HEX];
	struct oauth_request r;
	int rc;

	if (!c->s->logged_in)
		return page_redirect(c, "/");
	rc = request_find(c, &r, hash);
	return rc ? no_request(c, rc) : consent_page(c, &r, 200, NULL);
}

/* The SHA-256 of s in lowercase hex (the redirect URI as the registry keeps it). */
static int sha256_hex(const char *s, char out[REG_HASH_HEX])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256((const unsigned char *)s, strlen(s), md);
	hex_encode(md, sizeof(md), out);
	return 0;
}

int page_oauth_consent_post(struct page_ctx *c)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	const char *action = web_form_get(c->form, "action");
	const char *charter = web_form_get(c->form, "charter");
	struct reg_oauth_code code;
	struct oauth_request r;
	char hash[REG_HASH_HEX], value[44];
	time_t now = time(NULL);
	int rc;

	if (!c->s->logged_in)
		return page_redirect(c, "/");
	if (page_form_refused(c))
		return c->rs->body ? 0 : -ENOMEM;
	rc = request_find(c, &r, hash);
	if (rc)
		return no_request(c, rc);
	if (!action || (strcmp(action, "accept") && strcmp(action, "refuse")))
		return portal_page_error(p, rq, c->rs, 400);
	if (!strcmp(action, "refuse")) {
		request_forget(c, hash);
		reg_audit_add(c->ctx->reg, "portal.oauth-refused", c->s->person.login, NULL, NULL,
			      NULL);
		return redirect_error(c, r.redirect, r.state, "access_denied", "the user refused");
	}
	if (!charter || strcmp(charter, "yes"))
		return consent_page(c, &r, 400, T("enrol.charter_required"));
	memset(&code, 0, sizeof(code));
	rc = web_token_new(value);
	if (!rc)
		rc = web_token_hash(value, code.code_hash);
	if (rc)
		return rc;
	sha256_hex(r.redirect, code.redirect_hash);
	snprintf(code.client, sizeof(code.client), "%s", r.client);
	snprintf(code.challenge, sizeof(code.challenge), "%s", r.challenge);
	snprintf(code.charter, sizeof(code.charter), "%s", p->conf.enrol_charter_version);
	code.person = c->s->person.id;
	code.created = now;
	code.expires = now + p->conf.oauth_code_ttl;
	rc = reg_oauth_code_add(c->ctx->reg, &code, NULL);
	if (rc) {
		explicit_bzero(value, sizeof(value));
		c->registry_rc = rc;
		return portal_registry_unavailable(rc) ? portal_page_error(p, rq, c->rs, 503) : rc;
	}
	request_forget(c, hash);
	reg_audit_add(c->ctx->reg, "portal.oauth-consent", c->s->person.login, NULL, NULL, NULL);
	{
		const char *kv[] = {"code", value, NULL};

		rc = redirect_app(c, r.redirect, r.state, kv);
	}
	explicit_bzero(value, sizeof(value));
	return rc;
}
