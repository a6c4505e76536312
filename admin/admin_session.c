// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The console's sessions, form tokens and password check. The cookie
 * holds a random token, the registry its SHA-256 only. A session row is
 * made by a password that checks (never by a visit), given a new id again
 * when the second factor is given, and ends on logout, after
 * admin.session-idle-s without a request or admin.session-max-s after it
 * began, or when its administrator is disabled. Forms carry a stateless
 * token bound to the session's cookie (before the login, to a cookie of
 * the login page), signed with the registry's web key "admin-form": a
 * page from another site can neither read it nor make the browser send
 * the cookie (SameSite=Strict). The password check spends one yescrypt
 * whether the login exists or not, and is throttled before it runs, in
 * keys of its own (the realm "admin").
 */
#include "admin_session.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "form.h"
#include "token.h"

static void forget(struct admin_session *s)
{
	explicit_bzero(s, sizeof(*s));
}

/* An audit row for a login event: the login as typed (normalised when it
 * can be), the address and a reason in "after"; no school. */
static void audit_login(struct admin_ctx *c, const char *action, const char *login,
			const char *reason)
{
	json_t *o = json_pack("{s:s}", "client", c->rq->client);
	char *after;

	if (o && reason)
		json_object_set_new(o, "reason", json_string(reason));
	after = o ? json_dumps(o, JSON_COMPACT) : NULL;
	reg_audit_add_school(c->ctx->reg, "", action, login, NULL, after, NULL);
	free(after);
	json_decref(o);
}

int admin_session_load(struct admin_ctx *c, struct admin_session *s)
{
	const struct byod_conf *cf = &c->a->conf;
	time_t now = time(NULL);
	int rc;

	forget(s);
	c->session = s;
	if (web_cookie_get(c->rq->cookie, ADMIN_SESSION_COOKIE, s->cookie, sizeof(s->cookie)) ||
	    web_token_hash(s->cookie, s->id_hash)) {
		forget(s);
		return 0; /* no session, or a malformed cookie: as if none */
	}
	rc = reg_admin_session_get(c->ctx->reg, s->id_hash, &s->row, NULL);
	if (rc == -ENOENT) {
		forget(s);
		return 0;
	}
	if (rc)
		return rc;
	if (s->row.seen + cf->admin_session_idle_s < now ||
	    s->row.created + cf->admin_session_max_s < now)
		goto expired;
	rc = reg_admin_get_by_id(c->ctx->reg, s->row.admin, &s->admin, NULL);
	if (rc == -ENOENT || (!rc && s->admin.state != REG_PERSON_ACTIVE))
		goto expired;
	if (rc)
		return rc;
	s->exists = 1;
	s->mfa = s->row.mfa;
	if (s->mfa)
		reg_scope_of_admin(&s->admin, &s->scope);
	/* the idle clock restarts at most once a minute per session */
	if (now - s->row.seen >= 60)
		reg_admin_session_touch(c->ctx->reg, s->id_hash, now, NULL);
	return 0;
expired:
	reg_admin_session_delete(c->ctx->reg, s->id_hash, NULL);
	forget(s);
	httpd_set_cookie(c->rs, c->rq, ADMIN_SESSION_COOKIE, "", 0);
	return 0;
}

/* A new row and cookie for admin, mfa as given; the old row goes. */
static int session_new(struct admin_ctx *c, const struct reg_admin *a, int mfa)
{
	struct admin_session *s = c->session;
	int rc;

	if (s->exists)
		reg_admin_session_delete(c->ctx->reg, s->id_hash, NULL);
	forget(s);
	rc = web_token_new(s->cookie);
	if (rc)
		return rc;
	web_token_hash(s->cookie, s->id_hash);
	snprintf(s->row.id_hash, sizeof(s->row.id_hash), "%s", s->id_hash);
	s->row.admin = a->id;
	s->row.created = s->row.seen = time(NULL);
	snprintf(s->row.client, sizeof(s->row.client), "%s", c->rq->client);
	rc = reg_admin_session_add(c->ctx->reg, &s->row, NULL);
	if (!rc && mfa)
		rc = reg_admin_session_set_mfa(c->ctx->reg, s->id_hash, NULL);
	if (rc) {
		forget(s);
		return rc;
	}
	s->exists = 1;
	s->admin = *a;
	s->row.mfa = s->mfa = mfa;
	if (mfa)
		reg_scope_of_admin(a, &s->scope);
	httpd_set_cookie(c->rs, c->rq, ADMIN_SESSION_COOKIE, s->cookie, -1);
	/* the page's form token, if any, was bound to the old cookie */
	c->token[0] = '\0';
	return 0;
}

int admin_session_start(struct admin_ctx *c, const struct reg_admin *a)
{
	char nonce[64];
	int rc = session_new(c, a, 0);

	/* the login page's tokens end with it */
	if (!rc && !web_cookie_get(c->rq->cookie, ADMIN_LOGIN_COOKIE, nonce, sizeof(nonce)))
		httpd_set_cookie(c->rs, c->rq, ADMIN_LOGIN_COOKIE, "", 0);
	explicit_bzero(nonce, sizeof(nonce));
	return rc;
}

int admin_session_start_source(struct admin_ctx *c, const struct reg_admin *a)
{
	char nonce[64];
	int rc = session_new(c, a, 1);

	if (!rc && !web_cookie_get(c->rq->cookie, ADMIN_LOGIN_COOKIE, nonce, sizeof(nonce)))
		httpd_set_cookie(c->rs, c->rq, ADMIN_LOGIN_COOKIE, "", 0);
	explicit_bzero(nonce, sizeof(nonce));
	return rc;
}

int admin_session_elevate(struct admin_ctx *c)
{
	struct reg_admin a = c->session->admin;
	int rc;

	if (!c->session->exists)
		return -EACCES;
	rc = session_new(c, &a, 1);
	explicit_bzero(&a, sizeof(a));
	return rc;
}

int admin_session_end(struct admin_ctx *c)
{
	struct admin_session *s = c->session;

	if (s->exists)
		reg_admin_session_delete(c->ctx->reg, s->id_hash, NULL);
	forget(s);
	httpd_set_cookie(c->rs, c->rq, ADMIN_SESSION_COOKIE, "", 0);
	return 0;
}

/* The value the form tokens are bound to: the session cookie, else the
 * login page's cookie (made and set when make and the request has none). */
static int binding(struct admin_ctx *c, char out[64], int make)
{
	if (c->session && c->session->exists) {
		snprintf(out, 64, "%s", c->session->cookie);
		return 0;
	}
	if (!web_cookie_get(c->rq->cookie, ADMIN_LOGIN_COOKIE, out, 64) && web_token_valid(out))
		return 0;
	if (!make)
		return -ENOKEY;
	if (web_token_new(out))
		return -EIO;
	httpd_set_cookie(c->rs, c->rq, ADMIN_LOGIN_COOKIE, out, -1);
	return 0;
}

int admin_form_token(struct admin_ctx *c)
{
	char bind[64];
	int rc;

	c->token[0] = '\0';
	rc = binding(c, bind, 1);
	if (!rc)
		rc = web_form_token_new(c->a->form_key, strlen(c->a->form_key), bind,
					(long long)time(NULL) + c->a->conf.admin_session_idle_s,
					c->token);
	explicit_bzero(bind, sizeof(bind));
	return rc;
}

int admin_form_check(struct admin_ctx *c)
{
	const char *token = web_form_get(c->form, "csrf");
	char bind[64];
	int rc;

	if (!token)
		return -EACCES;
	rc = binding(c, bind, 0);
	if (!rc) {
		rc = web_form_token_check(c->a->form_key, strlen(c->a->form_key), bind, token,
					  (long long)time(NULL));
		if (rc != -EKEYEXPIRED)
			rc = rc ? -EACCES : 0;
	}
	explicit_bzero(bind, sizeof(bind));
	return rc;
}

int admin_password_attempt(struct admin_ctx *c, const char *login, const char *password,
			   struct reg_admin *out, struct byod_login_gate *gate)
{
	char norm[REG_LOGIN_MAX];
	const char *hash = c->a->dummy_hash, *shown;
	time_t now = time(NULL);
	int valid, found = 0, ok, rc;

	memset(out, 0, sizeof(*out));
	valid = login && !byod_login_normalise(login, norm, sizeof(norm));
	shown = valid ? norm : "(invalid)";
	/* decided and reserved in one transaction before any password check */
	rc = byod_login_gate_in(c->ctx->reg, "admin", valid ? norm : NULL, c->rq->client, now, gate,
				NULL);
	if (rc)
		return rc; /* fail closed */
	if (gate->verdict != BYOD_LOGIN_GO) {
		audit_login(c, "admin.login-throttled", shown, byod_login_key_name(gate->by));
		return -EAGAIN;
	}
	/* a source's administrator never signs in with a password of the
	 * console's (the registry keeps none for it anyway) */
	if (valid && !reg_admin_get(c->ctx->reg, norm, out, NULL) && out->password_hash[0] &&
	    !out->source[0] && out->state == REG_PERSON_ACTIVE) {
		hash = out->password_hash;
		found = 1;
	}
	/* always one yescrypt check, so that the time does not tell */
	ok = !reg_password_check(password ? password : "", hash, c->a->dummy_hash) && found;
	if (ok) {
		byod_login_settle(c->ctx->reg, gate, now, NULL);
		audit_login(c, "admin.login-password", norm, NULL);
		return 0;
	}
	explicit_bzero(out, sizeof(*out));
	audit_login(c, "admin.login-failed", shown, "password");
	if (gate->locks)
		audit_login(c, "admin.login-locked", shown, "pair");
	return -EACCES;
}

int admin_session_purge(struct admin *a, struct byod_ctx *ctx)
{
	time_t now = time(NULL);

	return reg_admin_session_purge(ctx->reg, now, now - a->conf.admin_session_idle_s,
				       now - a->conf.admin_session_max_s, NULL, NULL);
}
