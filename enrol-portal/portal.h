/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * byod-portal's shared types: the portal (configuration, catalogues, state
 * directory). A request as the routes see it and the response they fill
 * are the web server library's (httpd.h: struct httpd_request and struct
 * httpd_response); server.c configures that server, routes never touch
 * libmicrohttpd.
 */
#ifndef BYOD_PORTAL_H
#define BYOD_PORTAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/types.h>

#include "byod.h"
#include "byod_conf.h"
#include "byod_err.h"
#include "httpd.h"

struct web_i18n;
struct byod_pool;

/* The web server's request and response (httpd.h) under the names the
 * portal's pages use. */
#define portal_request	   httpd_request
#define portal_response	   httpd_response
#define PORTAL_COOKIES_MAX HTTPD_COOKIES_MAX
#define portal_log	   httpd_log

/* Adds a Set-Cookie value to rs: name=value; Path=/; HttpOnly;
 * SameSite=Strict, and Secure over HTTPS; max_age < 0 for a session
 * cookie, 0 to delete it (httpd_set_cookie). */
static inline void portal_set_cookie(struct portal_response *rs, const struct portal_request *rq,
				     const char *name, const char *value, int max_age)
{
	httpd_set_cookie(rs, rq, name, value, max_age);
}

struct portal {
	struct byod_conf conf;
	pthread_rwlock_t reload;	/* held to read by each request, to write by a
					 * reload (SIGHUP) while it swaps conf and charter */
	struct web_i18n *i18n;
	struct byod_pool *db;   /* registry connections (core's ctx_pool.c) */
	char home[4096];
	struct byod_portal_tls where; /* the certificate's files, the host, both URLs */
	int tls_trusted;	/* phones trust the certificate: devices go to HTTPS
				 * (atomic: a reload changes it; portal_url reads it) */
	char pki_dir[4096];
	char access_log[4096];	/* portal.access-log-file as a path, or "" */
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
	struct httpd *srv;	/* the pages' server (its answers by class), set
				 * before the metrics listener starts */
	time_t started;
};

/* The portal's counters (metrics.c), bumped with byod_counter_add from
 * any thread; a scrape of portal.metrics-listen reads them. */
struct portal_metrics {
	uint64_t enrol_issued, enrol_refused[BYOD_ENROL_REFUSAL_N], enrol_failed;
	uint64_t renew_issued, renew_refused[BYOD_ENROL_REFUSAL_N], renew_failed;
	uint64_t logins[4]; /* ok, failed, throttled, error */
	uint64_t registry_503;
	uint64_t login_busy; /* logins answered 503: too many waiting for a worker */
};
extern struct portal_metrics portal_metrics;

/* Counts what byod_device_enrol (or _renew) returned: issued, refused
 * (by e.refusal) or failed. */
void portal_metrics_enrolment(int rc, enum byod_enrol_refusal why);
void portal_metrics_renewal(int rc, enum byod_enrol_refusal why);
/* Counts what portal_login_attempt returned. */
void portal_metrics_login(int rc);
/* The /metrics answer (httpd_metrics_fn); app is the struct portal. */
struct byod_expo;
void portal_metrics_write(void *app, struct byod_expo *e);

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
 * one log line when it becomes unavailable, one when it is back. Returns 1
 * when rc 0 found it unavailable until now (it is back), else 0. */
int portal_registry_note(struct portal *p, int rc);
/* The registry answered ctx's request (portal_registry_note(p, 0)): what an
 * outage left unsettled (an enrolment whose commit outcome is unknown, a
 * revocation left unconfirmed) is settled through ctx
 * (byod_unsettled_settle); a failure is logged at most once a minute. */
void portal_registry_answers(struct portal *p, struct byod_ctx *ctx);

/* An error page (pages.c) in the request's language, e.g. 404; a 503
 * carries Retry-After. */
int portal_page_error(struct portal *p, const struct portal_request *rq, struct portal_response *rs,
		      int status);
/* The 503 of a login that found every login worker busy and the queue full
 * (pages.c): try again in a moment, Retry-After: PORTAL_BUSY_RETRY_S. */
int portal_page_busy(struct portal *p, const struct portal_request *rq, struct portal_response *rs,
		     int status);
#define PORTAL_BUSY_RETRY_S 5

/* Starts serving HTTP (and HTTPS when configured) with the limits of
 * portal.* (server.c). Returns 0 and *out (httpd_stop), or a negative
 * errno with err. httpd_reload looks at the certificate files again. */
int portal_start(struct portal *p, struct httpd **out, struct byod_err *err);

/* The HTTPS certificate (tls.c), for httpd_config.tls_load: loaded from
 * p->where, checked as a phone would, p->tls_trusted set from the check,
 * what the check found logged. */
int portal_tls_load(void *portal, const char *what, char **chain_pem, char **key_pem,
		    struct byod_err *err);

#endif /* BYOD_PORTAL_H */
