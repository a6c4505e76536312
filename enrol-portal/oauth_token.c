// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The app side of geteduroam's API, the three paths an app calls without
 * a browser: POST /oauth/token/ (RFC 6749 §4.1.3 and §6: the one-time code
 * with its PKCE verifier, or a refresh token, which is rotated), POST
 * /api/eap-config/ with the access token as Bearer (RFC 6750), and the
 * discovery documents. Every answer is JSON but the eap-config itself,
 * never cached (Cache-Control: no-store); the token endpoint is throttled
 * per client address as the login is (core/login_throttle.c, realm
 * "oauth"): each request counts as a failure until it succeeds.
 *
 * The generator enrols the device the first time a grant calls it, as the
 * enrolment page would (byod_device_enrol: the owner's limit and rate, the
 * charter version accepted at consent, the name of the app's device), and
 * answers with the eap-config core made for it (its PKCS#12 inside); the
 * grant is then bound to that device, so its revocation or retirement
 * ends the app's tokens too (reg_oauth_device_drop). Refusals come as JSON
 * with the portal's French sentence.
 */
#include "oauth.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "byod_expo.h"
#include "byod_util.h"
#include "db.h"
#include "login_throttle.h"
#include "profile.h"
#include "token.h"

#define THROTTLE_REALM "oauth"

static int json_answer(struct portal_response *rs, int status, json_t *o)
{
	if (!o)
		return -ENOMEM;
	rs->body = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!rs->body)
		return -ENOMEM;
	rs->len = strlen(rs->body);
	rs->status = status;
	rs->content_type = "application/json";
	rs->cacheable = 0;
	return 0;
}

int portal_oauth_json_error(struct portal_response *rs, int status, const char *error,
			    const char *text)
{
	json_t *o = json_pack("{s:s}", "error", error);

	if (o && text)
		json_object_set_new(o, "error_description", json_string(text));
	return json_answer(rs, status, o);
}

/* base64url without padding of the SHA-256 of the verifier: the S256
 * challenge (RFC 7636 §4.2). */
static void s256(const char *verifier, char out[44])
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char md[SHA256_DIGEST_LENGTH + 1] = {0};
	size_t i, n = 0;

	SHA256((const unsigned char *)verifier, strlen(verifier), md);
	for (i = 0; i < SHA256_DIGEST_LENGTH; i += 3) {
		unsigned v = (unsigned)md[i] << 16 | (unsigned)md[i + 1] << 8 |
			     (i + 2 < SHA256_DIGEST_LENGTH ? md[i + 2] : 0);

		out[n++] = b64[v >> 18 & 63];
		out[n++] = b64[v >> 12 & 63];
		if (i + 1 < SHA256_DIGEST_LENGTH)
			out[n++] = b64[v >> 6 & 63];
		if (i + 2 < SHA256_DIGEST_LENGTH)
			out[n++] = b64[v & 63];
	}
	out[n] = '\0';
}

static int verifier_ok(const char *v)
{
	size_t n = v ? strlen(v) : 0, i;

	if (n < 43 || n > 128)
		return 0;
	for (i = 0; i < n; i++)
		if (!(v[i] >= 'A' && v[i] <= 'Z') && !(v[i] >= 'a' && v[i] <= 'z') &&
		    !(v[i] >= '0' && v[i] <= '9') && !strchr("-._~", v[i]))
			return 0;
	return 1;
}

struct new_tokens {
	char access[44], refresh[44];
	struct reg_oauth_token a, r;
};

static int tokens_make(struct portal *p, struct new_tokens *t, time_t now)
{
	int rc;

	memset(t, 0, sizeof(*t));
	rc = web_token_new(t->access);
	if (!rc)
		rc = web_token_new(t->refresh);
	if (!rc)
		rc = web_token_hash(t->access, t->a.token_hash);
	if (!rc)
		rc = web_token_hash(t->refresh, t->r.token_hash);
	t->a.expires = now + p->conf.oauth_access_ttl;
	t->r.expires = now + (time_t)p->conf.oauth_refresh_days * 86400;
	return rc;
}

static int tokens_answer(struct portal *p, struct portal_response *rs, struct new_tokens *t)
{
	json_t *o = json_pack("{s:s, s:s, s:i, s:s, s:s}", "access_token", t->access, "token_type",
			      "Bearer", "expires_in", p->conf.oauth_access_ttl, "refresh_token",
			      t->refresh, "scope", PORTAL_OAUTH_SCOPE);
	int rc = json_answer(rs, 200, o);

	rs->secret = 1;
	explicit_bzero(t, sizeof(*t));
	return rc;
}

static int registry_fault(struct portal *p, const struct portal_request *rq,
			  struct portal_response *rs, int rc, const struct byod_err *err)
{
	char buf[600];

	portal_log("%s %s: %s", rq->client, rq->path,
		   err ? byod_err_str(err, buf, sizeof(buf)) : strerror(-rc));
	portal_registry_note(p, rc);
	if (portal_registry_unavailable(rc)) {
		rs->retry_after = 30;
		byod_counter_add(&portal_metrics.registry_503, 1);
		return portal_oauth_json_error(rs, 503, "temporarily_unavailable", NULL);
	}
	return rc;
}

/* grant_type=authorization_code */
static int exchange(struct page_ctx *c, const struct web_form *f,
		    const struct portal_oauth_client *cl)
{
	struct portal *p = c->p;
	const char *code = web_form_get(f, "code");
	const char *redirect = web_form_get(f, "redirect_uri");
	const char *verifier = web_form_get(f, "code_verifier");
	char hash[REG_HASH_HEX], rhash[REG_HASH_HEX], challenge[44];
	unsigned char md[SHA256_DIGEST_LENGTH];
	struct reg_oauth_grant g;
	struct reg_oauth_code rc_code;
	struct new_tokens t;
	struct byod_err err;
	time_t now = time(NULL);
	size_t i;
	int rc;

	if (!code || !redirect || !verifier)
		return portal_oauth_json_error(c->rs, 400, "invalid_request",
					       "code, redirect_uri and code_verifier are required");
	if (!web_token_valid(code))
		return portal_oauth_json_error(c->rs, 400, "invalid_grant", "unknown code");
	web_token_hash(code, hash);
	rc = reg_oauth_code_get(c->ctx->reg, hash, &rc_code, &err);
	if (rc == -ENOENT)
		return portal_oauth_json_error(c->rs, 400, "invalid_grant", "unknown code");
	if (rc)
		return registry_fault(p, c->rq, c->rs, rc, &err);
	if (!rc_code.used) {
		/* a wrong client, redirect or verifier uses nothing up */
		SHA256((const unsigned char *)redirect, strlen(redirect), md);
		for (i = 0; i < sizeof(md); i++)
			snprintf(rhash + 2 * i, 3, "%02x", md[i]);
		if (strcmp(rc_code.client, cl->id))
			return portal_oauth_json_error(c->rs, 400, "invalid_grant",
						       "the code was given to another client");
		if (strcmp(rc_code.redirect_hash, rhash))
			return portal_oauth_json_error(c->rs, 400, "invalid_grant",
						       "redirect_uri differs from the request's");
		if (!verifier_ok(verifier))
			return portal_oauth_json_error(c->rs, 400, "invalid_grant",
						       "code_verifier is 43 to 128 characters");
		s256(verifier, challenge);
		/* in constant time, as any comparison with a secret's image */
		if (strlen(challenge) != strlen(rc_code.challenge) ||
		    CRYPTO_memcmp(challenge, rc_code.challenge, strlen(challenge)))
			return portal_oauth_json_error(
				c->rs, 400, "invalid_grant",
				"code_verifier does not match the challenge");
	}
	rc = tokens_make(p, &t, now);
	if (!rc)
		rc = reg_oauth_code_redeem(c->ctx->reg, hash, now, &t.a, &t.r, &g, &err);
	if (rc == -EALREADY) {
		portal_log("%s oauth token: a code used twice; its grant is revoked",
			   c->rq->client);
		rc = portal_oauth_json_error(c->rs, 400, "invalid_grant",
					     "the code was used already; what it gave is revoked");
	} else if (rc == -ETIMEDOUT || rc == -ENOENT) {
		rc = portal_oauth_json_error(c->rs, 400, "invalid_grant",
					     rc == -ETIMEDOUT ? "the code has expired"
							      : "unknown code");
	} else if (rc) {
		rc = registry_fault(p, c->rq, c->rs, rc, &err);
	} else {
		return tokens_answer(p, c->rs, &t);
	}
	explicit_bzero(&t, sizeof(t));
	return rc; /* not a success: the throttle keeps its count */
}

/* grant_type=refresh_token */
static int refresh(struct page_ctx *c, const struct web_form *f,
		   const struct portal_oauth_client *cl)
{
	const char *old = web_form_get(f, "refresh_token");
	char hash[REG_HASH_HEX];
	struct reg_oauth_grant g;
	struct new_tokens t;
	struct byod_err err;
	time_t now = time(NULL);
	int rc;

	if (!old)
		return portal_oauth_json_error(c->rs, 400, "invalid_request",
					       "refresh_token is required");
	if (!web_token_valid(old))
		return portal_oauth_json_error(c->rs, 400, "invalid_grant",
					       "unknown refresh token");
	web_token_hash(old, hash);
	rc = tokens_make(c->p, &t, now);
	if (!rc)
		rc = reg_oauth_refresh(c->ctx->reg, hash, cl->id, now, &t.a, &t.r, &g, &err);
	if (!rc)
		return tokens_answer(c->p, c->rs, &t);
	explicit_bzero(&t, sizeof(t));
	if (rc == -EALREADY) {
		portal_log("%s oauth token: a refresh token used twice; its grant is revoked",
			   c->rq->client);
		rc = portal_oauth_json_error(c->rs, 400, "invalid_grant",
					     "the refresh token was used already; what it gave "
					     "is revoked");
	} else if (rc == -ENOENT || rc == -EPERM) {
		rc = portal_oauth_json_error(c->rs, 400, "invalid_grant",
					     "unknown, expired or revoked refresh token");
	} else {
		rc = registry_fault(c->p, c->rq, c->rs, rc, &err);
	}
	return rc;
}

int portal_oauth_token(struct page_ctx *c)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	const struct portal_oauth_client *cl;
	struct web_form form = {0};
	struct byod_login_gate gate;
	struct byod_err err;
	const char *type, *client;
	time_t now = time(NULL);
	char msg[160];
	int rc;

	if (!rq->content_type ||
	    strncasecmp(rq->content_type, "application/x-www-form-urlencoded", 33))
		return portal_oauth_json_error(c->rs, 400, "invalid_request",
					       "the body is application/x-www-form-urlencoded");
	if (web_form_parse(rq->body ? rq->body : "", rq->body_len, 16, &form, &err))
		return portal_oauth_json_error(c->rs, 400, "invalid_request", "malformed body");
	c->ctx = portal_db_get(p->db, "portal");
	rc = byod_login_gate_in(c->ctx->reg, THROTTLE_REALM, NULL, rq->client, now, &gate, &err);
	if (rc) {
		rc = registry_fault(p, rq, c->rs, rc, &err);
		goto out;
	}
	if (gate.verdict != BYOD_LOGIN_GO) {
		portal_log("%s oauth token: throttled for %d s", rq->client, gate.wait);
		snprintf(msg, sizeof(msg), "too many failed requests: try again in %d s",
			 gate.wait);
		c->rs->retry_after = gate.wait > 0 ? gate.wait : 1;
		rc = portal_oauth_json_error(c->rs, 429, "invalid_request", msg);
		goto out;
	}
	type = web_form_get(&form, "grant_type");
	client = web_form_get(&form, "client_id");
	cl = portal_oauth_client(client);
	if (!type)
		rc = portal_oauth_json_error(c->rs, 400, "invalid_request",
					     "grant_type is required");
	else if (!cl)
		rc = portal_oauth_json_error(c->rs, 401, "invalid_client", "unknown client_id");
	else if (!strcmp(type, "authorization_code"))
		rc = exchange(c, &form, cl);
	else if (!strcmp(type, "refresh_token"))
		rc = refresh(c, &form, cl);
	else
		rc = portal_oauth_json_error(c->rs, 400, "unsupported_grant_type", NULL);
	if (!rc && c->rs->status == 200) {
		byod_login_settle(c->ctx->reg, &gate, now, NULL);
		portal_registry_answers(p, c->ctx);
	}
out:
	if (rc == -ENOTCONN)
		c->ctx = portal_db_renew(p->db, c->ctx);
	portal_db_put(p->db, c->ctx);
	c->ctx = NULL;
	web_form_free(&form);
	return rc;
}

/* ---- the eap-config generator ---- */

static int bearer_refused(struct portal_response *rs, const char *error, const char *text)
{
	rs->headers[0][0] = "WWW-Authenticate";
	rs->headers[0][1] = error ? "Bearer realm=\"geteduroam\", error=\"invalid_token\""
				  : "Bearer realm=\"geteduroam\"";
	return portal_oauth_json_error(rs, 401, error ? error : "invalid_request", text);
}

/* A refusal of core's, as JSON with the portal's sentence. */
static int enrol_refused(struct page_ctx *c, const struct byod_enrolment *e)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;

	switch (e->refusal) {
	case BYOD_ENROL_AT_LIMIT:
		return portal_oauth_json_error(c->rs, 409, "device_limit", T("oauth.api.at_limit"));
	case BYOD_ENROL_RATE:
		c->rs->retry_after = 3600;
		return portal_oauth_json_error(c->rs, 429, "rate_limited", T("enrol.rate"));
	case BYOD_ENROL_CLOSED:
	default:
		return portal_oauth_json_error(c->rs, 403, "access_denied", T("oauth.api.closed"));
	}
}

/* The eap-config core stored for e (its one-time download, taken). */
static int take_eap_config(struct page_ctx *c, const struct byod_enrolment *e,
			   struct reg_download *dl)
{
	char hash[REG_HASH_HEX];
	int rc;

	rc = web_token_hash(e->offers[BYOD_OFFER_EAP_CONFIG].token, hash);
	if (!rc)
		rc = reg_download_take(c->ctx->reg, hash, time(NULL), dl, NULL);
	if (rc)
		portal_log("no eap-config for device %s: %s", e->device.id,
			   e->offers[BYOD_OFFER_EAP_CONFIG].why[0]
				   ? e->offers[BYOD_OFFER_EAP_CONFIG].why
				   : e->why.msg);
	return rc;
}

static void answer_eap_config(struct page_ctx *c, struct reg_download *dl)
{
	c->rs->body = dl->data;
	c->rs->len = dl->len;
	dl->data = NULL;
	dl->len = 0;
	c->rs->status = 200;
	c->rs->content_type = "application/eap-config";
	c->rs->secret = 1;
	c->rs->cacheable = 0;
}

static int enrol(struct page_ctx *c, const struct reg_person *person,
		 const struct reg_oauth_grant *g, const struct portal_oauth_client *cl)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	struct byod_enrol_params ep = {
		.login = person->login,
		.name = cl->device_name,
		.kind = cl->kind,
		.charter = g->charter,
		.offers = 1u << BYOD_OFFER_EAP_CONFIG,
	};
	struct profile_words words;
	struct byod_enrolment e;
	struct reg_download dl;
	struct byod_err err;
	char about[600];
	int rc;

	page_profile_words(c, &words, about, sizeof(about));
	ep.words = &words;
	memset(&dl, 0, sizeof(dl));
	rc = byod_device_enrol(c->ctx, &ep, &e, &err);
	portal_metrics_enrolment(rc, e.refusal);
	if (rc && e.refusal != BYOD_ENROL_OK) {
		portal_log("%s eap-config for %s refused: %s", rq->client, person->login, err.msg);
		rc = enrol_refused(c, &e);
		goto out;
	}
	if (rc) {
		rc = registry_fault(p, rq, c->rs, rc, &err);
		goto out;
	}
	rc = take_eap_config(c, &e, &dl);
	if (rc) {
		byod_device_revoke(c->ctx, e.device.id, REG_REASON_CESSATION, BYOD_DEVICE_RETIRED,
				   NULL, NULL);
		rc = portal_oauth_json_error(c->rs, 500, "server_error", T("oauth.api.no_profile"));
		goto out;
	}
	rc = reg_oauth_grant_set_device(c->ctx->reg, g->id, e.device.id, &err);
	if (rc) {
		/* another request of the same grant won: this device goes */
		portal_log("%s eap-config: grant %lld has its device already", rq->client,
			   (long long)g->id);
		byod_device_revoke(c->ctx, e.device.id, REG_REASON_CESSATION, BYOD_DEVICE_RETIRED,
				   NULL, NULL);
		rc = portal_oauth_json_error(c->rs, 409, "already_enrolled",
					     T("oauth.api.already"));
		goto out;
	}
	portal_log("%s eap-config: device %s enrolled for %s by %s", rq->client, e.device.id,
		   person->login, cl->id);
	answer_eap_config(c, &dl);
out:
	reg_download_clear(&dl);
	byod_enrolment_clear(&e);
	return rc;
}

/* The newest valid certificate's end, as core/renew.c picks it. */
struct newest {
	time_t now, not_after;
};

static int pick(const struct reg_cert *crt, void *arg)
{
	struct newest *n = arg;

	if (crt->state == REG_CERT_VALID && crt->not_after > n->now &&
	    crt->not_after > n->not_after)
		n->not_after = crt->not_after;
	return 0;
}

/* A token obtained by refresh, for a grant whose device exists: the
 * device's certificate renewed inside its window (byod_device_renew: the
 * old one works until the new one is first seen at RADIUS), before it a
 * JSON refusal saying from which day. The token is spent either way: the
 * app refreshes again for its next try. */
static int renew(struct page_ctx *c, const struct reg_person *person,
		 const struct reg_oauth_grant *g, const char *token_hash)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	struct byod_renew_params rp = {
		.device = g->device,
		.login = person->login,
		.offers = 1u << BYOD_OFFER_EAP_CONFIG,
	};
	struct newest n = {.now = time(NULL)};
	struct profile_words words;
	struct byod_enrolment e;
	struct reg_download dl;
	struct byod_err err;
	char about[600], text[300], day[48];
	time_t opens;
	struct tm tm;
	json_t *o;
	int rc;

	memset(&dl, 0, sizeof(dl));
	page_profile_words(c, &words, about, sizeof(about));
	rp.words = &words;
	/* one renewal per refreshed token, spent first: of two requests at
	 * once one renews, and a copied token mints nothing more */
	rc = reg_oauth_token_spend(c->ctx->reg, token_hash, time(NULL), &err);
	if (rc == -EALREADY || rc == -ENOENT)
		return bearer_refused(c->rs, "invalid_token", "this token has renewed already");
	if (rc)
		return registry_fault(p, rq, c->rs, rc, &err);
	rc = byod_device_renew(c->ctx, &rp, &e, &err);
	portal_metrics_renewal(rc, e.refusal);
	if (rc && e.refusal == BYOD_ENROL_RENEW_EARLY) {
		portal_log("%s eap-config: renewal of device %s refused: %s", rq->client, g->device,
			   err.msg);
		reg_cert_list_for_device(c->ctx->reg, g->device, pick, &n, NULL);
		opens = n.not_after ? byod_renew_opens(&c->ctx->conf, n.not_after) : (time_t)-1;
		if (opens == (time_t)-1) {
			rc = portal_oauth_json_error(c->rs, 409, "renewal_not_open",
						     T(byod_enrol_refusal_key(e.refusal)));
			goto out;
		}
		localtime_r(&opens, &tm);
		if (!strcmp(T("date.format"), "dd/mm/yyyy"))
			snprintf(day, sizeof(day), "%02d/%02d/%04d", tm.tm_mday, tm.tm_mon + 1,
				 tm.tm_year + 1900);
		else
			snprintf(day, sizeof(day), "%04d-%02d-%02d", tm.tm_year + 1900,
				 tm.tm_mon + 1, tm.tm_mday);
		page_fill(text, sizeof(text), T("device.renew_from"), day);
		o = json_pack("{s:s, s:s, s:I}", "error", "renewal_not_open", "error_description",
			      text, "renewal_opens", (json_int_t)opens);
		rc = json_answer(c->rs, 409, o);
		goto out;
	}
	if (rc == -EPERM) {
		rc = bearer_refused(c->rs, "invalid_token", "the device is revoked or retired");
		goto out;
	}
	if (rc) {
		rc = registry_fault(p, rq, c->rs, rc, &err);
		goto out;
	}
	rc = take_eap_config(c, &e, &dl);
	if (rc) {
		rc = portal_oauth_json_error(c->rs, 500, "server_error", T("oauth.api.no_profile"));
		goto out;
	}
	portal_log("%s eap-config: device %s of %s renewed by %s (certificate %s)", rq->client,
		   g->device, person->login, g->client, e.cert.serial);
	answer_eap_config(c, &dl);
out:
	reg_download_clear(&dl);
	byod_enrolment_clear(&e);
	return rc;
}

int portal_oauth_eap_config(struct page_ctx *c)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	const char *auth = httpd_header(rq, "Authorization");
	const struct portal_oauth_client *cl;
	struct reg_oauth_token tok;
	struct reg_oauth_grant g;
	struct reg_person person;
	struct byod_err err;
	char hash[REG_HASH_HEX], token[44], actor[96];
	int rc;

	if (!auth || strncasecmp(auth, "Bearer ", 7))
		return bearer_refused(c->rs, NULL, "an access token is required (Bearer)");
	auth += 7;
	while (*auth == ' ')
		auth++;
	if (!web_token_valid(auth))
		return bearer_refused(c->rs, "invalid_token", "unknown access token");
	snprintf(token, sizeof(token), "%s", auth);
	web_token_hash(token, hash);
	explicit_bzero(token, sizeof(token));
	c->ctx = portal_db_get(p->db, "portal");
	rc = reg_oauth_token_find(c->ctx->reg, hash, time(NULL), &tok, &g, &err);
	if (rc == -ENOENT || rc == -EALREADY || (!rc && tok.kind != REG_OAUTH_ACCESS)) {
		rc = bearer_refused(c->rs, "invalid_token",
				    "unknown, expired or revoked access token");
		goto out;
	}
	if (rc) {
		rc = registry_fault(p, rq, c->rs, rc, &err);
		goto out;
	}
	cl = portal_oauth_client(g.client);
	rc = reg_person_get_by_id(c->ctx->reg, g.person, &person, &err);
	if (rc) {
		rc = rc == -ENOENT ? bearer_refused(c->rs, "invalid_token", "no such account")
				   : registry_fault(p, rq, c->rs, rc, &err);
		goto out;
	}
	if (!cl || person.state != REG_PERSON_ACTIVE) {
		rc = portal_oauth_json_error(c->rs, 403, "access_denied", T("oauth.api.closed"));
		goto out;
	}
	snprintf(actor, sizeof(actor), "portal:%s", person.login);
	reg_set_actor(c->ctx->reg, actor);
	if (!g.device[0])
		rc = enrol(c, &person, &g, cl);
	else if (tok.refreshed)
		rc = renew(c, &person, &g, hash);
	else
		rc = portal_oauth_json_error(c->rs, 409, "already_enrolled",
					     T("oauth.api.already"));
out:
	if (rc == -ENOTCONN)
		c->ctx = portal_db_renew(p->db, c->ctx);
	portal_db_put(p->db, c->ctx);
	c->ctx = NULL;
	return rc;
}

/* ---- discovery ---- */

static void endpoint(char *out, size_t size, struct portal *p, const char *path)
{
	snprintf(out, size, "%s%s", portal_url(p), path);
}

int portal_oauth_discovery(struct page_ctx *c)
{
	struct portal *p = c->p;
	char iss[600], authz[700], tok[700], eap[700];
	json_t *o;

	snprintf(iss, sizeof(iss), "%s", portal_url(p));
	endpoint(authz, sizeof(authz), p, "/oauth/authorize/");
	endpoint(tok, sizeof(tok), p, "/oauth/token/");
	endpoint(eap, sizeof(eap), p, "/api/eap-config/");
	if (!strcmp(c->rq->path, "/.well-known/letswifi.json")) {
		char href[700];

		endpoint(href, sizeof(href), p, "/");
		o = json_pack("{s:s, s:{s:s, s:s, s:s}}", "href", href,
			      "http://letswifi.app/api#v2", "authorization_endpoint", authz,
			      "token_endpoint", tok, "eapconfig_endpoint", eap);
	} else {
		o = json_pack("{s:s, s:s, s:s, s:s, s:[s], s:[s, s], s:[s], s:[s], s:[s]}",
			      "issuer", iss, "authorization_endpoint", authz, "token_endpoint", tok,
			      "eapconfig_endpoint", eap, "response_types_supported", "code",
			      "grant_types_supported", "authorization_code", "refresh_token",
			      "code_challenge_methods_supported", "S256", "scopes_supported",
			      PORTAL_OAUTH_SCOPE, "token_endpoint_auth_methods_supported", "none");
	}
	return json_answer(c->rs, 200, o);
}
