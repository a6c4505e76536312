// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Server-side sessions, one-time form tokens and the login. The cookie
 * holds a random token; the registry holds its SHA-256 only. A session row
 * is made by a login only: before it, the login page's form carries a
 * signed stateless token bound to a cookie, so an anonymous visit costs
 * the registry nothing; a login replaces any session with a new one. The
 * login spends the same yescrypt time whether the account exists or not,
 * is throttled before its password is checked (core/login_throttle.c: per
 * login and address, per login, per address, decided and reserved in one
 * registry transaction shared by every portal process), and writes every outcome to the audit
 * log without ever saying which part was wrong.
 */
#include "websession.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "form.h"
#include "identity.h"
#include "token.h"

/* ---- sessions ------------------------------------------------------------ */

static void forget(struct portal_session *s)
{
	memset(s, 0, sizeof(*s));
}

int portal_session_load(struct portal *p, struct byod_ctx *ctx, const struct portal_request *rq,
			struct portal_session *s)
{
	char cookie[64];
	time_t now = time(NULL);
	int rc;

	forget(s);
	if (web_cookie_get(rq->cookie, PORTAL_SESSION_COOKIE, cookie, sizeof(cookie)) ||
	    web_token_hash(cookie, s->id_hash))
		return 0; /* no session, or a malformed cookie: as if none */
	rc = reg_web_session_get(ctx->reg, s->id_hash, &s->row, NULL);
	if (rc == -ENOENT) {
		forget(s);
		return 0;
	}
	if (rc)
		return rc;
	if (s->row.seen + p->conf.portal_session_idle_s < now ||
	    s->row.created + p->conf.portal_session_max_s < now)
		goto expired;
	if (s->row.person) {
		rc = reg_person_get_by_id(ctx->reg, s->row.person, &s->person, NULL);
		if (rc == -ENOENT || (!rc && s->person.state != REG_PERSON_ACTIVE))
			goto expired;
		if (rc)
			return rc;
		s->logged_in = 1;
	}
	s->exists = 1;
	/* the idle clock restarts at most once a minute per session */
	if (now - s->row.seen >= 60)
		reg_web_session_touch(ctx->reg, s->id_hash, now, NULL);
	return 0;
expired:
	reg_web_session_delete(ctx->reg, s->id_hash, NULL);
	forget(s);
	return 0;
}

static int session_new(struct byod_ctx *ctx, const struct portal_request *rq,
		       struct portal_session *s, int64_t person, enum reg_web_kind kind,
		       struct portal_response *rs)
{
	char cookie[44];
	int rc;

	forget(s);
	rc = web_token_new(cookie);
	if (rc)
		return rc;
	web_token_hash(cookie, s->id_hash);
	snprintf(s->row.id_hash, sizeof(s->row.id_hash), "%s", s->id_hash);
	s->row.person = person;
	s->row.kind = kind;
	s->row.created = s->row.seen = time(NULL);
	snprintf(s->row.client, sizeof(s->row.client), "%s", rq->client);
	rc = reg_web_session_add(ctx->reg, &s->row, NULL);
	if (rc)
		return rc;
	s->exists = 1;
	portal_set_cookie(rs, rq, PORTAL_SESSION_COOKIE, cookie, -1);
	explicit_bzero(cookie, sizeof(cookie));
	return 0;
}

static int login_as(struct byod_ctx *ctx, const struct portal_request *rq,
		    struct portal_session *s, const struct reg_person *person,
		    enum reg_web_kind kind, struct portal_response *rs)
{
	char nonce[64];
	int rc;

	if (s->exists)
		reg_web_session_delete(ctx->reg, s->id_hash, NULL);
	rc = session_new(ctx, rq, s, person->id, kind, rs);
	if (rc)
		return rc;
	/* the login page's tokens end with it */
	if (!web_cookie_get(rq->cookie, PORTAL_LOGIN_COOKIE, nonce, sizeof(nonce)))
		portal_set_cookie(rs, rq, PORTAL_LOGIN_COOKIE, "", 0);
	explicit_bzero(nonce, sizeof(nonce));
	s->person = *person;
	s->logged_in = 1;
	return 0;
}

int portal_session_login(struct portal *p, struct byod_ctx *ctx, const struct portal_request *rq,
			 struct portal_session *s, const struct reg_person *person,
			 struct portal_response *rs)
{
	(void)p;
	return login_as(ctx, rq, s, person, REG_WEB_LOGIN, rs);
}

int portal_session_login_code(struct portal *p, struct byod_ctx *ctx,
			      const struct portal_request *rq, struct portal_session *s,
			      const struct reg_person *person, struct portal_response *rs)
{
	(void)p;
	return login_as(ctx, rq, s, person, REG_WEB_CODE, rs);
}

int portal_session_logout(struct byod_ctx *ctx, const struct portal_request *rq,
			  struct portal_session *s, struct portal_response *rs)
{
	if (s->exists)
		reg_web_session_delete(ctx->reg, s->id_hash, NULL);
	forget(s);
	portal_set_cookie(rs, rq, PORTAL_SESSION_COOKIE, "", 0);
	return 0;
}

/* ---- form tokens ------------------------------------------------------- */

int portal_form_token(struct portal *p, struct byod_ctx *ctx, const struct portal_session *s,
		      char out[44])
{
	char hash[REG_HASH_HEX];
	int rc;

	rc = web_token_new(out);
	if (rc)
		return rc;
	web_token_hash(out, hash);
	/* a form lives as long as its session could stay idle */
	return reg_web_form_add(ctx->reg, s->id_hash, hash,
				time(NULL) + p->conf.portal_session_idle_s, NULL);
}

int portal_form_token_use(struct byod_ctx *ctx, const struct portal_session *s,
			  const char *token)
{
	char hash[REG_HASH_HEX];

	int rc;

	if (!s->exists || !token || web_token_hash(token, hash))
		return -EACCES;
	rc = reg_web_form_use(ctx->reg, s->id_hash, hash, time(NULL), NULL);
	/* a registry that cannot record is not a refused form */
	if (portal_registry_unavailable(rc))
		return rc;
	return rc ? -EACCES : 0;
}

/* ---- form tokens without a session --------------------------------------- */

/*
 * A page anyone may open (the login page) must not cost a registry row:
 * its token is signed, not stored. What makes it useless to another site
 * is the cookie it is bound to, which that site can neither read nor have
 * the browser send (SameSite=Strict). The cookie is kept across pages, so
 * two open tabs both work.
 */
int portal_form_token_anon(struct portal *p, const struct portal_request *rq,
			   struct portal_response *rs, char out[WEB_FORM_TOKEN_LEN + 1])
{
	char nonce[64];
	int rc = 0;

	out[0] = '\0';
	if (web_cookie_get(rq->cookie, PORTAL_LOGIN_COOKIE, nonce, sizeof(nonce)) ||
	    !web_token_valid(nonce)) {
		rc = web_token_new(nonce);
		if (rc)
			goto out;
		portal_set_cookie(rs, rq, PORTAL_LOGIN_COOKIE, nonce, -1);
	}
	rc = web_form_token_new(p->form_key, strlen(p->form_key), nonce,
				(long long)time(NULL) + p->conf.portal_session_idle_s, out);
out:
	explicit_bzero(nonce, sizeof(nonce));
	return rc;
}

int portal_form_token_anon_check(struct portal *p, const struct portal_request *rq,
				 const char *token)
{
	char nonce[64];
	int rc;

	if (web_cookie_get(rq->cookie, PORTAL_LOGIN_COOKIE, nonce, sizeof(nonce)) ||
	    !web_token_valid(nonce)) {
		rc = -ENOKEY;
		goto out;
	}
	rc = web_form_token_check(p->form_key, strlen(p->form_key), nonce, token,
				  (long long)time(NULL));
	if (rc != -EKEYEXPIRED)
		rc = rc ? -EACCES : 0; /* a key too short is no reason to let a form in */
out:
	explicit_bzero(nonce, sizeof(nonce));
	return rc;
}

/* ---- login ------------------------------------------------------------- */

/* An audit row for a login event: object the login as typed (normalised
 * when it can be), the address and the reason in "after". */
static void audit(struct byod_ctx *ctx, const char *action, const char *login,
		  const struct portal_request *rq, const char *reason)
{
	json_t *o = json_pack("{s:s}", "client", rq->client);
	char *after;

	if (o && reason)
		json_object_set_new(o, "reason", json_string(reason));
	after = o ? json_dumps(o, JSON_COMPACT) : NULL;
	reg_audit_add(ctx->reg, action, login, NULL, after, NULL);
	free(after);
	json_decref(o);
}

int portal_login_attempt(struct portal *p, struct byod_ctx *ctx, const struct portal_request *rq,
			 const char *login, const char *password, struct reg_person *person,
			 struct byod_login_gate *gate)
{
	char norm[REG_LOGIN_MAX];
	const char *hash = p->dummy_hash, *shown;
	time_t now = time(NULL);
	int valid, found = 0, ok, rc;

	memset(person, 0, sizeof(*person));
	/* a login that cannot exist is throttled by address only; it reveals
	 * nothing, as anyone can read the rules of a login */
	valid = login && !byod_login_normalise(login, norm, sizeof(norm));
	shown = valid ? norm : "(invalid)";
	/* the check and the reservation of this attempt in one transaction:
	 * parallel attempts see it before its password is checked */
	rc = byod_login_gate(ctx->reg, valid ? norm : NULL, rq->client, now, gate, NULL);
	if (rc)
		return rc; /* fail closed: no password check without a reservation */
	if (gate->verdict != BYOD_LOGIN_GO) {
		audit(ctx, "portal.login-throttled", shown, rq, byod_login_key_name(gate->by));
		return -EAGAIN;
	}

	if (valid && !reg_person_get(ctx->reg, norm, person, NULL) && person->password_hash[0] &&
	    person->state == REG_PERSON_ACTIVE) {
		hash = person->password_hash;
		found = 1;
	}
	/* always one yescrypt check, so the time does not tell (a legacy hash
	 * spends one besides); each check is followed by exactly one audit
	 * row, portal.login or portal.login-failed */
	ok = !reg_password_check(password ? password : "", hash, p->dummy_hash) && found;
	if (ok) {
		byod_login_settle(ctx->reg, gate, now, NULL);
		audit(ctx, "portal.login", norm, rq, NULL);
		return 0;
	}
	memset(person, 0, sizeof(*person));
	/* the failure was counted when the attempt was reserved */
	audit(ctx, "portal.login-failed", shown, rq, NULL);
	if (gate->locks)
		audit(ctx, "portal.login-locked", shown, rq, "pair");
	return -EACCES;
}

/* The path of an https URL ("https://host[:port]/path?..." -> "/path"), into
 * out; "/" when it has none. */
static void url_path(const char *url, char *out, size_t len)
{
	const char *s = strstr(url, "://"), *q;
	size_t n;

	s = s ? strchr(s + 3, '/') : NULL;
	if (!s) {
		snprintf(out, len, "/");
		return;
	}
	q = strpbrk(s, "?#");
	n = q ? (size_t)(q - s) : strlen(s);
	snprintf(out, len, "%.*s", (int)n, s);
}

const struct byod_idsrc *portal_idsrc_of_path(const struct portal *p, int kind, const char *path)
{
	char own[1024];

	for (size_t i = 0; i < p->conf.nidsrc; i++) {
		const struct byod_idsrc *src = &p->conf.idsrc[i];
		const char *url = kind == BYOD_IDSRC_CAS	 ? src->service_url
				  : kind == BYOD_IDSRC_SAML ? src->acs_url
							    : NULL;

		if (src->kind != kind || !url)
			continue;
		url_path(url, own, sizeof(own));
		if (!strcmp(own, path))
			return src;
	}
	return NULL;
}

int portal_login_source(struct portal *p, struct byod_ctx *ctx, const struct portal_request *rq,
			const struct byod_idsrc *src, const char *login, const char *password,
			struct reg_person *person, struct byod_login_gate *gate)
{
	char norm[REG_LOGIN_MAX], why[600];
	struct byod_err err = { 0 };
	time_t now = time(NULL);
	int valid, rc;

	memset(person, 0, sizeof(*person));
	/* the throttle's keys are a local login's: tries spread over the local
	 * form and the sources count together */
	valid = login && !byod_login_normalise(login, norm, sizeof(norm));
	rc = byod_login_gate(ctx->reg, valid ? norm : NULL, rq->client, now, gate, NULL);
	if (rc)
		return rc; /* fail closed: the source is not asked without a reservation */
	if (gate->verdict != BYOD_LOGIN_GO) {
		audit(ctx, "portal.login-throttled", valid ? norm : "(invalid)", rq,
		      byod_login_key_name(gate->by));
		return -EAGAIN;
	}
	rc = ident_login_password(ctx->reg, src, login ? login : "", password ? password : "",
				  person, &err);
	if (!rc) {
		byod_login_settle(ctx->reg, gate, now, NULL);
		return 0;
	}
	memset(person, 0, sizeof(*person));
	if (rc != -EACCES && rc != -EINVAL) /* not the person's doing: the reservation back */
		byod_login_release(ctx->reg, gate, NULL);
	if (rc != -EACCES && rc != -EINVAL) /* the password alone is the pupil's doing */
		portal_log("%s: login through %s: %s", rq->client, src->name,
			   byod_err_str(&err, why, sizeof(why)));
	switch (rc) {
	case -EACCES:
	case -EINVAL:
		/* the failure was counted when the attempt was reserved */
		if (gate->locks)
			audit(ctx, "portal.login-locked", valid ? norm : "(invalid)", rq, "pair");
		return -EACCES;
	case -EPERM:
		return -EPERM;
	case -EHOSTUNREACH:
	case -ETIMEDOUT:
	case -EPROTO:
		return -EHOSTUNREACH;
	default:
		return rc;
	}
}

int portal_session_purge(struct portal *p, struct byod_ctx *ctx)
{
	time_t now = time(NULL);

	return reg_web_purge(ctx->reg, now, now - p->conf.portal_session_idle_s,
			     now - p->conf.portal_session_max_s,
			     now - byod_login_rule_pair.forget_s, NULL, NULL);
}

void portal_password_upgrade(struct portal *p, struct byod_ctx *ctx,
			     const struct reg_person *person, const char *password)
{
	char h[REG_HASH_MAX], buf[600];
	struct byod_err err;
	int rc;

	if (!reg_password_is_legacy(person->password_hash) || !password || !password[0])
		return;
	rc = reg_password_hash(password, p->conf.auth_yescrypt_cost, h, sizeof(h), &err);
	if (!rc)
		rc = reg_person_rehash_password(ctx->reg, person->login, person->password_hash, h,
						&err);
	explicit_bzero(h, sizeof(h));
	/* the login goes on with the old hash: the next one tries again */
	if (rc)
		portal_log("the password hash of %s stays as imported: %s", person->login,
			   byod_err_str(&err, buf, sizeof(buf)));
}
