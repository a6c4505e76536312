/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * geteduroam's API in the portal, as letswifi-portal speaks it so that the
 * geteduroam apps work unchanged: OAuth 2.0 authorization code with PKCE
 * S256 (RFC 6749, RFC 7636; loopback redirects on any port for desktop
 * apps, RFC 8252 §7.3), the eap-config generator behind a Bearer token
 * (RFC 6750), and discovery (/.well-known/openid-configuration). oauth.c
 * holds the clients, the authorization request and the pupil's consent;
 * oauth_token.c the token endpoint and the generator.
 */
#ifndef PORTAL_OAUTH_H
#define PORTAL_OAUTH_H

#include "pages.h"

#define PORTAL_OAUTH_COOKIE "byod_oauth"
#define PORTAL_OAUTH_SCOPE  "eap-metadata"

/* A geteduroam app the portal knows (letswifi-portal's list). */
struct portal_oauth_client {
	const char *id;
	const char *device_name; /* the device it enrols: "geteduroam (Linux)" */
	enum byod_kind kind;
	const char *redirect; /* its one redirect URI, or NULL: */
	int loopback;	      /* http://127.0.0.1:PORT/ or http://[::1]:PORT/, any port */
	const char *consent_csp; /* the consent page's CSP: its form-action lets the
				  * answer's redirect to these URIs through */
};

/* The client of that id, or NULL. */
const struct portal_oauth_client *portal_oauth_client(const char *id);
/* 1 when uri is one of cl's redirect URIs. */
int portal_oauth_redirect_ok(const struct portal_oauth_client *cl, const char *uri);

/* 1 when the browser carries an authorization request waiting for its
 * login (the login and "/" then lead to the consent page). */
int portal_oauth_pending(const struct portal_request *rq);
#define PORTAL_OAUTH_CONSENT "/oauth/consent"

/* GET /oauth/authorize/: checks the request, keeps it server-side and
 * sends the pupil through the login to the consent page. */
int page_oauth_authorize(struct page_ctx *c);
/* GET and POST /oauth/consent: the app, the account, the charter; accept
 * gives the app a one-time code, refuse tells it access_denied. */
int page_oauth_consent(struct page_ctx *c);
int page_oauth_consent_post(struct page_ctx *c);

/* Without a session (c->p, c->rq, c->rs only): POST /oauth/token/,
 * POST /api/eap-config/, GET /.well-known/openid-configuration. */
int portal_oauth_token(struct page_ctx *c);
int portal_oauth_eap_config(struct page_ctx *c);
int portal_oauth_discovery(struct page_ctx *c);

/* A JSON answer: {"error": error, "error_description": text} (text may be
 * NULL) with status. */
int portal_oauth_json_error(struct portal_response *rs, int status, const char *error,
			    const char *text);

#endif /* PORTAL_OAUTH_H */
