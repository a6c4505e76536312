// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The portal's web server: the library httpd/ (libmicrohttpd, the gate
 * against slow clients, the certificate callback, the security headers,
 * the escaped log line) configured with the limits of portal.*, the
 * portal's routes as its handler, its error pages, the registry's outage
 * noted once (not on every page), a one-time link's token kept out of the
 * log, HSTS only while phones trust the certificate, logins answered by
 * workers of their own, no access line unless portal.access-log says so.
 */
#include "portal.h"
#include "portal_saml.h"

#include <string.h>

/* Paths whose rest is a one-time link's token: the log keeps the prefix. */
static const char *const secret_prefixes[] = {"/download/", "/code/", NULL};

/* A page reads the configuration and the charter that a reload (SIGHUP)
 * replaces: it is made under the reload's lock, read side. */
static int handle(void *app, const struct portal_request *rq, struct portal_response *rs)
{
	struct portal *p = app;
	int rc;

	pthread_rwlock_rdlock(&p->reload);
	rc = portal_route(p, rq, rs);
	pthread_rwlock_unlock(&p->reload);
	return rc;
}

static int error_page(void *app, const struct portal_request *rq, struct portal_response *rs,
		      int status)
{
	struct portal *p = app;
	int rc;

	pthread_rwlock_rdlock(&p->reload);
	rc = portal_page_error(p, rq, rs, status);
	pthread_rwlock_unlock(&p->reload);
	return rc;
}

static int busy_page(void *app, const struct portal_request *rq, struct portal_response *rs,
		     int status)
{
	struct portal *p = app;
	int rc;

	pthread_rwlock_rdlock(&p->reload);
	rc = portal_page_busy(p, rq, rs, status);
	pthread_rwlock_unlock(&p->reload);
	return rc;
}

static int fault(void *app, const struct portal_request *rq, int rc)
{
	const char *path = rq->path;
	size_t i;

	/* the registry's outage is logged once (portal_registry_note), not on
	 * every page; the user is told to come back, nothing was changed */
	if (portal_registry_unavailable(rc)) {
		portal_registry_note(app, rc);
		return 503;
	}
	for (i = 0; secret_prefixes[i]; i++)
		if (!strncmp(path, secret_prefixes[i], strlen(secret_prefixes[i])))
			break;
	if (secret_prefixes[i])
		portal_log("%s %s %s...: server fault (%s)", rq->client, rq->method,
			   secret_prefixes[i], strerror(-rc));
	else
		portal_log("%s %s %s: server fault (%s)", rq->client, rq->method, path,
			   strerror(-rc));
	return 500;
}

/* A login checks a password (yescrypt, tens of milliseconds): it is
 * answered by the login workers, never in a thread that serves pages. */
static int slow(void *app, const struct portal_request *rq)
{
	(void)app;
	return !strcmp(rq->method, "POST") &&
	       (!strcmp(rq->path, "/login") || !strncmp(rq->path, "/saml/acs", 9));
}

static int trusted(void *app)
{
	return portal_https_trusted(app);
}

int portal_start(struct portal *p, struct httpd **out, struct byod_err *err)
{
	const struct byod_conf *cf = &p->conf;
	struct httpd_config cfg = {
		.name = "byod-portal",
		.conf = "portal",
		.listen = cf->portal_listen,
		.http_port = cf->portal_http_port,
		.https_port = cf->portal_https_port,
		.threads = byod_conf_portal_threads(cf),
		.connection_limit = cf->portal_connection_limit,
		.per_ip_limit = cf->portal_per_ip_limit,
		.per_ip_v6_prefix = cf->portal_per_ip_v6_prefix,
		.timeout_s = cf->portal_timeout_s,
		.request_deadline_s = cf->portal_request_deadline_s,
		.body_limit = portal_saml_body_limit(cf),
		.hsts_max_age = cf->portal_hsts_max_age,
		.i18n = p->i18n,
		.lang_cookie = "byod_lang",
		.lang_default = "fr",
		.secret_prefixes = secret_prefixes,
		.handler = handle,
		.error_page = error_page,
		.busy_page = busy_page,
		.busy_retry_s = PORTAL_BUSY_RETRY_S,
		.on_fault = fault,
		.tls_load = portal_tls_load,
		.tls_files = {p->where.cert, p->where.key, p->where.chain},
		.trusted = trusted,
		.slow = slow,
		.slow_workers = cf->portal_login_workers,
		.slow_queued = cf->portal_login_queue,
		.quiet = !cf->portal_access_log,
		.access_log = p->access_log,
		.app = p,
	};

	if (!cf->portal_https_port)
		portal_log("HTTPS is off (portal.https-port: 0): devices are sent to %s/",
			   p->where.url_http);
	return httpd_start(&cfg, out, err);
}
