/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Who is at the other end of a console request (admin_session.c): the
 * server-side session (a random 256-bit cookie, only its SHA-256 in the
 * registry, so that several byod-admin processes share them), its idle
 * and absolute expiry, its two steps (the password, then the second
 * factor), the form tokens against cross-site requests, and the password
 * check with its throttle.
 */
#ifndef BYOD_ADMIN_SESSION_H
#define BYOD_ADMIN_SESSION_H

#include "admin.h"
#include "login_throttle.h"
#include "registry.h"

struct admin_session {
	int exists;			/* a live session row is loaded (the password was given) */
	int mfa;			/* ... and its second factor: admin and scope hold */
	char cookie[WEB_TOKEN_LEN + 1]; /* the session cookie, "" when none */
	char id_hash[REG_HASH_HEX];
	struct reg_admin_session row;
	struct reg_admin admin; /* when exists */
	struct reg_scope scope; /* when mfa */
};

/* Loads the session the request's cookie names into *s (c->session = s);
 * one past its idle or absolute expiry, or whose administrator is no longer
 * active, is deleted. s->exists is 0 when there is none. 0 or a negative
 * errno (a registry fault). */
int admin_session_load(struct admin_ctx *c, struct admin_session *s);

/* After the password: ends the session there was and starts a new one for
 * a, its second factor still to come, with a new cookie (an id planted
 * before the login is worth nothing after it). */
int admin_session_start(struct admin_ctx *c, const struct reg_admin *a);

/* After an identity source said who a (bound to that source) is: the same,
 * but the session is signed in whole at once (the source authenticates; a
 * source's administrator has no password and no TOTP here). */
int admin_session_start_source(struct admin_ctx *c, const struct reg_admin *a);

/* After the second factor: the session gets a new id again, now marked as
 * having given both factors. */
int admin_session_elevate(struct admin_ctx *c);

/* Ends the session and clears its cookie. */
int admin_session_end(struct admin_ctx *c);

/*
 * The form token of the page into c->token: stateless (web_form_token_new
 * under the registry's web key "admin-form"), bound to the session cookie,
 * or before a login to the browser's ADMIN_LOGIN_COOKIE (set now when the
 * request had none); good for the session's idle time.
 */
int admin_form_token(struct admin_ctx *c);

/* 0 when the POST's "csrf" field is such a token for this browser and has
 * not expired; -EACCES (missing, forged, another session's), -ENOKEY (no
 * cookie to bind it to) or -EKEYEXPIRED otherwise. */
int admin_form_check(struct admin_ctx *c);

/*
 * One password check from c->rq->client, throttled in the realm "admin"
 * (core/login_throttle.c). 0 with *out filled; -EACCES for a wrong login
 * or password (the same time spent for a login that does not exist or is
 * disabled); -EAGAIN when the attempt must wait (gate says which and how
 * long; the password was not checked). Every outcome is audited
 * ("admin.login-password", "admin.login-failed", "admin.login-throttled").
 */
int admin_password_attempt(struct admin_ctx *c, const char *login, const char *password,
			   struct reg_admin *out, struct byod_login_gate *gate);

/* Housekeeping of expired sessions and API tokens. */
int admin_session_purge(struct admin *a, struct byod_ctx *ctx);

#endif /* BYOD_ADMIN_SESSION_H */
