/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * byod-portal's shared types: the portal (configuration, catalogues, state
 * directory), one request as the routes see it, one response as they fill
 * it. server.c owns libmicrohttpd; routes never touch it.
 */
#ifndef BYOD_PORTAL_H
#define BYOD_PORTAL_H

#include <stddef.h>

#include <openssl/types.h>

#include "byod.h"
#include "byod_conf.h"
#include "byod_err.h"

struct web_i18n;
struct portal_db;

struct portal {
	struct byod_conf conf;
	struct web_i18n *i18n;
	struct portal_db *db;   /* registry connections (db.c) */
	char home[4096];
	struct byod_portal_tls where; /* the certificate's files, the host, both URLs */
	int tls_trusted;	/* phones trust the certificate: devices go to HTTPS
				 * (atomic: a reload changes it; portal_url reads it) */
	char pki_dir[4096];
	char *charter;          /* the school's charter (checked HTML), or NULL */
	size_t charter_len;
	char dummy_hash[160];   /* checked when a login does not exist (same time) */
	char form_key[65];	/* signs the login page's stateless form tokens: the
				 * registry's web key "login-form", shared by every
				 * portal process (websession.c) */
	X509 *sign_cert;	/* the portal's certificate and key, read once: */
	EVP_PKEY *sign_key;	/* they sign Apple profiles */
	int registry_down;	/* the registry was unavailable at the last page that
				 * needed it (atomic): logged once, and once back */
};

struct portal_request {
	const char *method;
	const char *path;   /* without the query string, percent-decoded */
	const char *host;   /* Host header without the port, lowercase; "" when absent */
	const char *lang;   /* the page language: "fr" or "en" */
	const char *client; /* the client's address as text */
	const char *cookie; /* the Cookie header, or NULL */
	const char *ua;     /* the User-Agent header, or NULL */
	const char *content_type; /* of the body, or NULL */
	const char *body;   /* the request body (POST), or NULL */
	size_t body_len;
	const char *ok;     /* the ?ok= of a page after an action ("lost"...), or NULL */
	const char *target; /* path and query as sent (printable ASCII), or NULL */
	int https;          /* over TLS */
};

#define PORTAL_COOKIES_MAX 3

struct portal_response {
	int status;
	const char *content_type; /* static string */
	char *body;               /* malloc'd, or NULL */
	size_t len;
	int cacheable;            /* 0: Cache-Control: no-store */
	char location[600];       /* a redirect's target, or "" */
	char cookies[PORTAL_COOKIES_MAX][200]; /* Set-Cookie values, "" unused */
	char disposition[200];    /* Content-Disposition, or "" */
	int secret;               /* the body holds a secret: never logged, never cached */
	int script;               /* the page runs the portal's own script
				   * (/static/copy.js): CSP script-src 'self' */
	int retry_after;          /* seconds for a Retry-After header, 0: none */
};

/* Adds a Set-Cookie value to rs (routes.c): name=value; Path=/; HttpOnly;
 * SameSite=Strict, and Secure over HTTPS; max_age < 0 for a session
 * cookie, 0 to delete it. */
void portal_set_cookie(struct portal_response *rs, const struct portal_request *rq,
		       const char *name, const char *value, int max_age);

/* Whether phones trust the portal's certificate (the last check of it):
 * then devices are sent to HTTPS, plain HTTP is redirected and pages carry
 * HSTS (routes.c). */
int portal_https_trusted(const struct portal *p);

/* Where devices are sent: the portal's HTTPS URL when phones trust its
 * certificate, else its HTTP URL; no trailing slash (routes.c). */
const char *portal_url(const struct portal *p);

/* Routes (routes.c): fills rs for rq. Returns 0, or a negative errno for a
 * server fault (then a 500 page is sent). */
int portal_route(struct portal *p, const struct portal_request *rq, struct portal_response *rs);

/* Whether rc means "the registry is unavailable" (its server gone, a
 * lock held past the wait, an I/O error, its disk full): the pages that
 * need it answer 503 with Retry-After, nothing was changed (pages.c). */
int portal_registry_unavailable(int rc);
/* Notes how the registry answered a page that needed it (rc 0: it did):
 * one log line when it becomes unavailable, one when it is back. */
void portal_registry_note(struct portal *p, int rc);

/* An error page (pages.c) in the request's language, e.g. 404; a 503
 * carries Retry-After. */
int portal_page_error(struct portal *p, const struct portal_request *rq, struct portal_response *rs,
		      int status);

struct portal_server;

/* Starts serving HTTP (and HTTPS when configured) in libmicrohttpd's
 * threads (server.c). Returns 0 and *out, or a negative errno with err. */
int portal_start(struct portal *p, struct portal_server **out, struct byod_err *err);
/* Stops accepting, lets requests under way finish, frees. */
void portal_stop(struct portal_server *s);
/* Looks at the certificate files again (every TLS handshake does too) and
 * reloads them when they changed, or when force. */
void portal_reload(struct portal_server *s, int force);

/* Logs one line on standard error with the time (the portal's log). */
void portal_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* BYOD_PORTAL_H */
