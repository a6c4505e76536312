// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * byod-admin: the console of the département, each collège and the
 * auditors, HTTPS only on a management address (admin.listen, admin.port).
 * Thin: reads the configuration and the message catalogues, opens the
 * registry connections, starts the web server (httpd/) with the console's
 * routes, and stops it on SIGTERM or SIGINT; SIGHUP reads the configuration
 * and the certificate again (the certificate is also looked at on every
 * handshake). Under systemd (Type=notify) it says when it serves and feeds
 * the watchdog.
 *
 *   byod-admin --home DIR [--locale-dir DIR]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "admin_pages.h"
#include "admin_session.h"
#include "byod_service.h"
#include "byod_util.h"
#include "ctx_pool.h"
#include "pki.h"

/* The certificate: admin.tls-cert and admin.tls-key, or the portal's that
 * byodctl init made. Only loaded: an administrator's browser trusts what
 * the département tells it to; the key must be the certificate's. */
static int tls_load(void *app, const char *what, char **chain_pem, char **key_pem,
		    struct byod_err *err)
{
	struct admin *a = app;
	struct pki_server_cert *sc = NULL;
	char fp[100], subject[256] = "";
	int rc;

	rc = pki_server_cert_load(a->cert, NULL, a->key, &sc, err);
	if (rc)
		return rc;
	httpd_cert_fingerprint(sc->cert, fp, sizeof(fp));
	X509_NAME_oneline(X509_get_subject_name(sc->cert), subject, sizeof(subject));
	*chain_pem = sc->chain_pem;
	*key_pem = sc->key_pem;
	sc->chain_pem = NULL;
	sc->key_pem = NULL;
	if (what)
		httpd_log("%s the certificate %s: %s, SHA-256 fingerprint %s", what, a->cert,
			  subject, fp);
	pki_server_cert_free(sc);
	return 0;
}

/* A page reads the configuration a reload (SIGHUP) replaces: it is made
 * under the reload's lock, read side. */
static int handle(void *app, const struct httpd_request *rq, struct httpd_response *rs)
{
	struct admin *a = app;
	int rc;

	pthread_rwlock_rdlock(&a->reload);
	rc = admin_route(a, rq, rs);
	pthread_rwlock_unlock(&a->reload);
	return rc;
}

static int error_page(void *app, const struct httpd_request *rq, struct httpd_response *rs,
		      int status)
{
	struct admin *a = app;
	int rc;

	pthread_rwlock_rdlock(&a->reload);
	rc = admin_error_page(a, rq, rs, status);
	pthread_rwlock_unlock(&a->reload);
	return rc;
}

static int fault(void *app, const struct httpd_request *rq, int rc)
{
	struct admin *a = app;

	httpd_log("%s %s %s: server fault (%s)", rq->client, rq->method, rq->path, strerror(-rc));
	if (!admin_registry_unavailable(rc))
		return 500;
	__atomic_store_n(&a->registry_down, 1, __ATOMIC_SEQ_CST);
	return 503;
}

/* The key of the form tokens: the one in the registry, or a new one stored
 * there now, so that every byod-admin process signs with the same. */
static int form_key_load(struct admin *a, struct byod_err *err)
{
	unsigned char secret[32];
	char candidate[65];
	struct byod_ctx *ctx;
	int rc;

	rc = byod_random(secret, sizeof(secret));
	if (rc)
		return byod_err_set(err, -rc, "no randomness for the form key");
	byod_hex(secret, sizeof(secret), candidate);
	ctx = byod_pool_get(a->db, "admin");
	rc = reg_web_key_get(ctx->reg, "admin-form", candidate, a->form_key, err);
	byod_pool_put(a->db, ctx);
	explicit_bzero(secret, sizeof(secret));
	explicit_bzero(candidate, sizeof(candidate));
	return rc;
}

static int setup(struct admin *a, const char *home, const char *locale_dir, struct byod_err *err)
{
	unsigned char secret[16];
	char hex[33], pki_dir[4096];
	int rc;

	rc = byod_conf_load_home(&a->conf, home, err);
	if (rc)
		return rc;
	snprintf(a->home, sizeof(a->home), "%s", home);
	if (byod_conf_path(&a->conf, a->conf.pki_dir, pki_dir, sizeof(pki_dir)))
		return byod_err_set(err, ENAMETOOLONG, "pki.dir too long");
	if (a->conf.admin_tls_cert[0])
		rc = byod_conf_path(&a->conf, a->conf.admin_tls_cert, a->cert, sizeof(a->cert));
	else
		rc = snprintf(a->cert, sizeof(a->cert), "%s/portal.pem", pki_dir) >=
		     (int)sizeof(a->cert);
	if (!rc && a->conf.admin_tls_key[0])
		rc = byod_conf_path(&a->conf, a->conf.admin_tls_key, a->key, sizeof(a->key));
	else if (!rc)
		rc = snprintf(a->key, sizeof(a->key), "%s/portal.key", pki_dir) >=
		     (int)sizeof(a->key);
	if (rc)
		return byod_err_set(err, ENAMETOOLONG, "admin.tls-cert or admin.tls-key too long");
	/* the hash checked for a login that does not exist: same cost, same time */
	rc = byod_random(secret, sizeof(secret));
	if (!rc) {
		byod_hex(secret, sizeof(secret), hex);
		rc = reg_password_hash(hex, a->conf.auth_yescrypt_cost, a->dummy_hash,
				       sizeof(a->dummy_hash), err);
	}
	if (rc)
		return rc;
	rc = byod_pool_open(&a->conf, "admin", a->conf.admin_threads, &a->db, err);
	if (!rc)
		rc = form_key_load(a, err);
	if (!rc)
		rc = web_i18n_load(locale_dir, &a->i18n, err);
	return rc;
}

static int start(struct admin *a, struct httpd **out, struct byod_err *err)
{
	const struct byod_conf *cf = &a->conf;
	struct httpd_config cfg = {
		.name = "byod-admin",
		.conf = "admin",
		.listen = cf->admin_listen,
		.http_port = 0, /* HTTPS only: nothing of the console in clear */
		.https_port = cf->admin_port,
		.threads = cf->admin_threads,
		.connection_limit = 256,
		.per_ip_limit = 32,
		.per_ip_v6_prefix = 64,
		.timeout_s = 30,
		.request_deadline_s = 10,
		.body_limit = cf->admin_body_limit,
		.hsts_max_age = 31536000,
		.i18n = a->i18n,
		.lang_cookie = ADMIN_LANG_COOKIE,
		.lang_default = "fr",
		.handler = handle,
		.error_page = error_page,
		.on_fault = fault,
		.tls_load = tls_load,
		.tls_files = {a->cert, a->key, NULL},
		.app = a,
	};

	return httpd_start(&cfg, out, err);
}

/* The configurations a reload replaced: the web server was started with
 * pointers into them (its address), so they live until it stops. */
struct retired {
	struct byod_conf conf;
	struct retired *next;
};

/*
 * SIGHUP: byod.conf read again and the certificate looked at. A
 * configuration that does not load is refused in one sentence and the one
 * running stays. The pages and the registry connections follow the new
 * one; the address, port, threads and certificate files wait for a restart.
 */
static void reload(struct admin *a, struct httpd *srv, struct retired **retired)
{
	struct byod_conf fresh;
	struct retired *r = NULL;
	struct byod_err err;
	char buf[1200];
	int rc, failed;

	byod_service_reloading();
	rc = byod_conf_load_home(&fresh, a->home, &err);
	if (!rc && !(r = calloc(1, sizeof(*r))))
		rc = byod_err_set(&err, ENOMEM, "out of memory");
	if (rc) {
		byod_log(LOG_ERR, NULL, "reload refused, the configuration running is kept: %s",
			 byod_err_str(&err, buf, sizeof(buf)));
		byod_conf_free(&fresh);
		httpd_reload(srv, 1);
		byod_service_ready("serving; the last reload was refused (see the log)");
		return;
	}
	pthread_rwlock_wrlock(&a->reload);
	r->conf = a->conf;
	a->conf = fresh;
	pthread_rwlock_unlock(&a->reload);
	/* each connection opened again from the new configuration as soon as
	 * its page is done: pages are not held while the registry is reached */
	failed = byod_pool_renew_all(a->db);
	r->next = *retired;
	*retired = r;
	httpd_reload(srv, 1);
	if (failed)
		byod_log(LOG_WARNING, NULL, "reloaded the configuration; %d registry connections "
			 "keep the former one until they can be opened again", failed);
	else
		byod_log(LOG_INFO, NULL, "reloaded the configuration");
	byod_service_ready("serving");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"home", required_argument, NULL, 'h'},
		{"locale-dir", required_argument, NULL, 'l'},
		{NULL, 0, NULL, 0},
	};
	static struct admin a; /* large: not on the stack */
	struct httpd *srv = NULL;
	struct retired *retired = NULL;
	struct httpd_metrics *metrics = NULL;
	struct byod_err err;
	char locale_dir[PATH_MAX];
	const char *home = getenv("BYOD_HOME");
	sigset_t stop;
	time_t purged;
	int c, sig = 0, rc = 1;

	byod_share_dir("admin", locale_dir, sizeof(locale_dir));
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'h')
			home = optarg;
		else if (c == 'l')
			snprintf(locale_dir, sizeof(locale_dir), "%s", optarg);
		else
			goto usage;
	}
	if (optind != argc)
		goto usage;
	if (!home || !home[0])
		home = "/var/lib/byod";

	/* SIGTERM, SIGINT and SIGHUP are waited for here, not handled in a thread */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	httpd_log_name("byod-admin");
	{
		pthread_rwlockattr_t attr;

		/* a reload waits for the pages being made, not for every later one */
		pthread_rwlockattr_init(&attr);
		pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
		pthread_rwlock_init(&a.reload, &attr);
		pthread_rwlockattr_destroy(&attr);
	}
	a.started = time(NULL);
	if (setup(&a, home, locale_dir, &err) || start(&a, &srv, &err)) {
		char buf[1200];

		byod_log(LOG_ERR, NULL, "%s", byod_err_str(&err, buf, sizeof(buf)));
		goto out;
	}
	a.srv = srv;
	if (a.conf.admin_metrics_listen[0]) {
		if (httpd_metrics_start("admin.metrics-listen", a.conf.admin_metrics_listen,
					admin_metrics_write, &a, &metrics, &err)) {
			char buf[1200];

			byod_log(LOG_ERR, NULL, "%s", byod_err_str(&err, buf, sizeof(buf)));
			goto out;
		}
		httpd_log("metrics on http://%s/metrics", a.conf.admin_metrics_listen);
	}
	httpd_log("serving the console of %s on https://%s:%d/", a.conf.school_name,
		  a.conf.admin_listen, a.conf.admin_port);
	byod_service_ready("serving");
	/* every few seconds the certificate files are looked at (SIGHUP: at
	 * once); every minute, expired sessions and tokens go */
	for (purged = time(NULL);;) {
		struct timespec tick = {.tv_sec = 5};
		long dog = byod_service_watchdog_ms();
		struct byod_ctx *ctx;

		/* the watchdog is fed even when nothing happens */
		if (dog && dog < 5000)
			tick = (struct timespec){.tv_sec = dog / 1000, .tv_nsec = dog % 1000 * 1000000L};
		sig = sigtimedwait(&stop, NULL, &tick);
		byod_service_watchdog();
		if (sig == SIGTERM || sig == SIGINT)
			break;
		if (sig == SIGHUP)
			reload(&a, srv, &retired);
		else
			httpd_reload(srv, 0);
		if (time(NULL) - purged < 60)
			continue;
		purged = time(NULL);
		ctx = byod_pool_get(a.db, "admin");
		admin_session_purge(&a, ctx);
		byod_pool_put(a.db, ctx);
	}
	byod_service_stopping();
	httpd_log("stopping (%s)", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	rc = 0;
out:
	httpd_metrics_stop(metrics);
	httpd_stop(srv);
	while (retired) {
		struct retired *next = retired->next;

		byod_conf_free(&retired->conf);
		free(retired);
		retired = next;
	}
	byod_pool_close(a.db);
	web_i18n_free(a.i18n);
	explicit_bzero(a.form_key, sizeof(a.form_key));
	byod_conf_free(&a.conf);
	pthread_rwlock_destroy(&a.reload);
	return rc;
usage:
	fprintf(stderr, "usage: byod-admin [--home DIR] [--locale-dir DIR]\n");
	return 2;
}
