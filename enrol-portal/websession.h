/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Who is at the other end of a request: the portal's server-side sessions
 * (a random 256-bit cookie, only its hash in the registry, so several
 * portal processes share them), their idle and absolute expiry, one-time
 * form tokens against cross-site requests, and the login itself with its
 * brute-force protection.
 */
#ifndef PORTAL_WEBSESSION_H
#define PORTAL_WEBSESSION_H

#include "byod.h"
#include "login_throttle.h"
#include "portal.h"
#include "token.h"

#define PORTAL_SESSION_COOKIE "byod_session"
/* The random value a page without a session binds its form tokens to:
 * set by the login page, cleared by a login. */
#define PORTAL_LOGIN_COOKIE "byod_login"

struct portal_session {
	int exists;                 /* a live session row is loaded */
	int logged_in;              /* ... and it belongs to an active account */
	char id_hash[REG_HASH_HEX];
	struct reg_web_session row;
	struct reg_person person;   /* when logged_in */
};

/* Loads the session the request's cookie names; one past its idle or
 * absolute expiry, or whose account is no longer active, is deleted.
 * s->exists is 0 when there is none. Returns 0 or a negative errno. */
int portal_session_load(struct portal *p, struct byod_ctx *ctx, const struct portal_request *rq,
			struct portal_session *s);

/* Ends s and starts a new session for person, with a new cookie (so an id
 * planted before the login is worth nothing after it); the login cookie
 * of the page before goes too. The only place a session row is made. */
int portal_session_login(struct portal *p, struct byod_ctx *ctx, const struct portal_request *rq,
			 struct portal_session *s, const struct reg_person *person,
			 struct portal_response *rs);

/* The same for the holder of a one-time enrolment code: that session may
 * enrol one device and see its result page, nothing else (routes.c). */
int portal_session_login_code(struct portal *p, struct byod_ctx *ctx,
			      const struct portal_request *rq, struct portal_session *s,
			      const struct reg_person *person, struct portal_response *rs);

/* 1 when s was opened with a one-time enrolment code. */
static inline int portal_session_is_code(const struct portal_session *s)
{
	return s && s->logged_in && s->row.kind == REG_WEB_CODE;
}

/* Ends s and clears its cookie. */
int portal_session_logout(struct byod_ctx *ctx, const struct portal_request *rq,
			  struct portal_session *s, struct portal_response *rs);

/* A new one-time form token of session s (which must exist: a logged-in
 * one) into out. */
int portal_form_token(struct portal *p, struct byod_ctx *ctx, const struct portal_session *s,
		      char out[44]);

/* 0 when token is a live form token of s, which is then used up; -EACCES
 * when it is missing, unknown, expired, another session's or used before;
 * -ENOSPC, -EBUSY or -EIO when the registry cannot record its use. */
int portal_form_token_use(struct byod_ctx *ctx, const struct portal_session *s,
			  const char *token);

/*
 * The form token of a page shown without a logged-in session (the login
 * page, a one-time code's page): stateless (web_form_token_new under
 * p->form_key), bound to the browser's PORTAL_LOGIN_COOKIE, which is set
 * in rs when the request did not carry a valid one, and good until the
 * session idle time from now. Nothing is written to the registry. Returns
 * 0 or a negative errno (out is then "").
 */
int portal_form_token_anon(struct portal *p, const struct portal_request *rq,
			   struct portal_response *rs, char out[WEB_FORM_TOKEN_LEN + 1]);

/* 0 when token is such a token for the request's PORTAL_LOGIN_COOKIE and
 * has not expired; -ENOKEY when the request has no such cookie; -EACCES
 * when the token is missing, malformed, forged or another browser's;
 * -EKEYEXPIRED when it has expired. Nothing is used up: the same token
 * can be sent again until it expires (a new one costs a GET anyway; the
 * login throttle bounds the password checks). */
int portal_form_token_anon_check(struct portal *p, const struct portal_request *rq,
				 const char *token);

/*
 * One login attempt from rq->client. Returns 0 with *person filled; -EACCES
 * for a wrong login or password (the same for a login that does not exist,
 * with the same time spent); -EAGAIN when the attempt must wait or the
 * login is locked on this address (gate says which, and for how long; the
 * password was not checked). Every outcome goes to the audit log. Other
 * negative errno: a server fault (the password was not checked).
 */
int portal_login_attempt(struct portal *p, struct byod_ctx *ctx, const struct portal_request *rq,
			 const char *login, const char *password, struct reg_person *person,
			 struct byod_login_gate *gate);

/* The source of kind whose callback URL (a CAS source's service-url, a SAML
 * source's acs-url) has path as its path, or NULL: a request's path names
 * the source it comes back for. */
const struct byod_idsrc *portal_idsrc_of_path(const struct portal *p, int kind, const char *path);

/*
 * One login attempt through the identity source src (one that checks a
 * password: ldap), throttled as a local login (the same keys: the login
 * normalised, the address). The identity library checks the password,
 * creates or updates the person and writes the audit row (identity.login or
 * identity.refused): none here but portal.login-throttled and
 * portal.login-locked, which it never sees. Returns 0 with *person filled;
 * -EACCES for a wrong login or password (ident_login_password's -EACCES and
 * -EINVAL), counted by the throttle; -EPERM when the source's answer is
 * refused (no UAI, unknown school or role, a disabled or local account);
 * -EHOSTUNREACH when the source cannot be reached, is slow or fails
 * (-EHOSTUNREACH, -ETIMEDOUT, -EPROTO); -EAGAIN as portal_login_attempt.
 * The attempt's reserved failure is taken back only on success. Other
 * negative errno: a server fault.
 */
int portal_login_source(struct portal *p, struct byod_ctx *ctx, const struct portal_request *rq,
			const struct byod_idsrc *src, const char *login, const char *password,
			struct reg_person *person, struct byod_login_gate *gate);

/* After a successful login: an imported hash that is not yescrypt ($6$,
 * $2b$) is replaced by a yescrypt hash of the password just proved
 * (auth.yescrypt-cost); a failure is logged and the login goes on. */
void portal_password_upgrade(struct portal *p, struct byod_ctx *ctx,
			     const struct reg_person *person, const char *password);

/* Housekeeping of expired sessions, tokens, downloads and throttle rows. */
int portal_session_purge(struct portal *p, struct byod_ctx *ctx);

#endif /* PORTAL_WEBSESSION_H */
