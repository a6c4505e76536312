// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * byod-portal: the captive enrolment portal. Thin: reads the gateway's
 * configuration and the message catalogues, starts the server, and stops
 * it gracefully on SIGTERM or SIGINT. SIGHUP reads the configuration, the
 * charter and the certificate again. Under systemd (Type=notify) it says
 * when it serves and feeds the watchdog.
 *
 *   byod-portal --home DIR [--locale-dir DIR]
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

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "byod_service.h"
#include "byod_util.h"
#include "charter.h"
#include "db.h"
#include "i18n.h"
#include "pki.h"
#include "portal.h"
#include "websession.h"

/* The school's charter, checked once here (and again each time it is put
 * in a page): a charter that does not check stops the start with its
 * file, line and column. */
static int load_charter(const struct byod_conf *conf, char **text, size_t *len,
			struct byod_err *err)
{
	char path[4096];
	int rc;

	if (byod_conf_path(conf, conf->enrol_charter_file, path, sizeof(path)))
		return byod_err_set(err, ENAMETOOLONG, "enrol.charter-file too long");
	rc = byod_file_read(path, text, len, err);
	if (rc)
		return rc;
	rc = web_charter_check(*text, *len, err);
	if (rc && err &&
	    snprintf(err->file, sizeof(err->file), "%s", path) >= (int)sizeof(err->file))
		snprintf(err->file, sizeof(err->file), "%s", conf->enrol_charter_file);
	if (rc) {
		free(*text);
		*text = NULL;
	}
	return rc;
}

/* The key of the login page's form tokens: the one in the registry, or a
 * new one stored there now, so every portal process signs with the same. */
static int form_key_load(struct portal *p, struct byod_err *err)
{
	unsigned char secret[32];
	char candidate[65];
	struct byod_ctx *ctx;
	int rc;

	rc = byod_random(secret, sizeof(secret));
	if (rc)
		return byod_err_set(err, -rc, "no randomness for the login form's key");
	byod_hex(secret, sizeof(secret), candidate);
	ctx = portal_db_get(p->db, "portal");
	rc = reg_web_key_get(ctx->reg, "login-form", candidate, p->form_key, err);
	portal_db_put(p->db, ctx);
	explicit_bzero(secret, sizeof(secret));
	explicit_bzero(candidate, sizeof(candidate));
	return rc;
}

/* What an outage left unsettled before a restart (HOME/unsettled): settled
 * now if the registry answers, else at the first page that finds it back. */
static void unsettled_settle(struct portal *p)
{
	struct byod_ctx *ctx = portal_db_get(p->db, "portal");
	struct byod_err err;
	char buf[900];

	if (byod_unsettled_settle(ctx, &err)) {
		portal_log("enrolments left unsettled are kept for later: %s",
			   byod_err_str(&err, buf, sizeof(buf)));
		__atomic_store_n(&p->registry_down, 1, __ATOMIC_SEQ_CST);
	}
	portal_db_put(p->db, ctx);
}

static int setup(struct portal *p, const char *home, const char *locale_dir, struct byod_err *err)
{
	unsigned char secret[16];
	char hex[33], path[4200], key_path[4200];
	int rc;

	rc = byod_conf_load_home(&p->conf, home, err);
	if (!rc)
		rc = byod_names_check(&p->conf, err);
	if (rc)
		return rc;
	if (byod_conf_path(&p->conf, p->conf.pki_dir, p->pki_dir, sizeof(p->pki_dir)))
		return byod_err_set(err, ENAMETOOLONG, "pki.dir too long");
	/* the access lines' file, opened again on SIGHUP; another file waits
	 * for a restart */
	if (p->conf.portal_access_log_file[0] &&
	    byod_conf_path(&p->conf, p->conf.portal_access_log_file, p->access_log,
			   sizeof(p->access_log)))
		return byod_err_set(err, ENAMETOOLONG, "portal.access-log-file too long");
	/* the certificate's files, the host name and both URLs; which URL
	 * devices are sent to follows the certificate (server.c checks it) */
	rc = byod_portal_tls_where(&p->conf, &p->where, err);
	if (rc)
		return rc;
	rc = load_charter(&p->conf, &p->charter, &p->charter_len, err);
	if (rc)
		return rc;
	/* the hash checked for a login that does not exist: same cost, same time */
	rc = byod_random(secret, sizeof(secret));
	if (!rc) {
		byod_hex(secret, sizeof(secret), hex);
		rc = reg_password_hash(hex, p->conf.auth_yescrypt_cost, p->dummy_hash,
				       sizeof(p->dummy_hash), err);
	}
	if (rc)
		return rc;
	snprintf(p->home, sizeof(p->home), "%s", home);
	/* the portal's certificate signs Apple profiles; without it they are
	 * not offered (said on the page) */
	snprintf(path, sizeof(path), "%s/portal.pem", p->pki_dir);
	snprintf(key_path, sizeof(key_path), "%s/portal.key", p->pki_dir);
	if (pki_keypair_load(path, key_path, &p->sign_cert, &p->sign_key, NULL)) {
		p->sign_cert = NULL;
		p->sign_key = NULL;
	}
	/* a context for each thread that answers: the page threads and the
	 * login workers (a login holds its own while its password is checked,
	 * and a page never waits for it) */
	rc = portal_db_open(&p->conf,
			    byod_conf_portal_threads(&p->conf) + p->conf.portal_login_workers, &p->db,
			    err);
	if (!rc)
		rc = form_key_load(p, err);
	if (rc)
		return rc;
	unsettled_settle(p);
	return web_i18n_load(locale_dir, &p->i18n, err);
}

/* The configurations a reload replaced: the web server was started with
 * pointers into them (its addresses), so they live until it stops. */
struct retired {
	struct byod_conf conf;
	struct retired *next;
};

/*
 * SIGHUP: byod.conf and the charter read again, and the certificate looked
 * at (httpd_reload). A configuration or a charter that does not check is
 * refused in one sentence and what runs stays as it was. The pages and the
 * registry connections follow the new configuration; the addresses, ports,
 * threads and the certificate's files wait for a restart.
 */
static void reload(struct portal *p, struct httpd *srv, struct retired **retired)
{
	struct byod_conf fresh;
	struct retired *r = NULL;
	struct byod_err err;
	char *charter = NULL, *old_charter, buf[1200];
	size_t charter_len = 0;
	int rc, failed;

	byod_service_reloading();
	rc = byod_conf_load_home(&fresh, p->home, &err);
	if (!rc)
		rc = byod_names_check(&fresh, &err);
	if (!rc)
		rc = load_charter(&fresh, &charter, &charter_len, &err);
	if (!rc && !(r = calloc(1, sizeof(*r))))
		rc = byod_err_set(&err, ENOMEM, "out of memory");
	if (rc) {
		byod_log(LOG_ERR, NULL, "reload refused, the configuration running is kept: %s",
			 byod_err_str(&err, buf, sizeof(buf)));
		byod_conf_free(&fresh);
		free(charter);
		httpd_reload(srv, 1);
		byod_service_ready("serving; the last reload was refused (see the log)");
		return;
	}
	pthread_rwlock_wrlock(&p->reload);
	r->conf = p->conf;
	p->conf = fresh;
	old_charter = p->charter;
	p->charter = charter;
	p->charter_len = charter_len;
	pthread_rwlock_unlock(&p->reload);
	/* each connection opened again from the new configuration as soon as
	 * its page is done: pages are not held while the registry is reached */
	failed = byod_pool_renew_all(p->db);
	r->next = *retired;
	*retired = r;
	free(old_charter);
	httpd_reload(srv, 1);
	if (failed)
		byod_log(LOG_WARNING, NULL, "reloaded the configuration and the charter; %d registry "
			 "connections keep the former one until they can be opened again", failed);
	else
		byod_log(LOG_INFO, NULL, "reloaded the configuration and the charter");
	byod_service_ready("serving");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"home", required_argument, NULL, 'h'},
		{"locale-dir", required_argument, NULL, 'l'},
		{NULL, 0, NULL, 0},
	};
	struct portal p;
	struct httpd *srv = NULL;
	struct retired *retired = NULL;
	struct httpd_metrics *metrics = NULL;
	struct byod_err err;
	char locale_dir[PATH_MAX];
	const char *home = getenv("BYOD_HOME");
	sigset_t stop;
	time_t purged;
	int c, sig, rc = 1;

	byod_share_dir("locale", locale_dir, sizeof(locale_dir));
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

	memset(&p, 0, sizeof(p));
	{
		pthread_rwlockattr_t attr;

		/* a reload waits for the pages being made, not for every later one */
		pthread_rwlockattr_init(&attr);
		pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
		pthread_rwlock_init(&p.reload, &attr);
		pthread_rwlockattr_destroy(&attr);
	}
	byod_log_ident("byod-portal");
	p.started = time(NULL);
	if (setup(&p, home, locale_dir, &err) || portal_start(&p, &srv, &err)) {
		char buf[1200];

		byod_log(LOG_ERR, NULL, "%s", byod_err_str(&err, buf, sizeof(buf)));
		goto out;
	}
	p.srv = srv;
	if (p.conf.portal_metrics_listen[0]) {
		if (httpd_metrics_start("portal.metrics-listen", p.conf.portal_metrics_listen,
					portal_metrics_write, &p, &metrics, &err)) {
			char buf[1200];

			byod_log(LOG_ERR, NULL, "%s", byod_err_str(&err, buf, sizeof(buf)));
			goto out;
		}
		portal_log("metrics on http://%s/metrics", p.conf.portal_metrics_listen);
	}
	portal_log("serving %s on %s: http %d, https %d; devices are sent to %s/",
		   p.conf.school_name, p.conf.portal_listen, p.conf.portal_http_port,
		   p.conf.portal_https_port, portal_url(&p));
	byod_service_ready("serving");
	/* every few seconds the certificate files are looked at (SIGHUP: at
	 * once); every minute, expired sessions, tokens and downloads go */
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
			reload(&p, srv, &retired);
		else
			httpd_reload(srv, 0);
		if (time(NULL) - purged < 60)
			continue;
		purged = time(NULL);
		ctx = portal_db_get(p.db, "portal");
		portal_session_purge(&p, ctx);
		portal_db_put(p.db, ctx);
	}
	byod_service_stopping();
	portal_log("stopping (%s)", sig == SIGTERM ? "SIGTERM" : "SIGINT");
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
	portal_db_close(p.db);
	free(p.charter);
	X509_free(p.sign_cert);
	EVP_PKEY_free(p.sign_key); /* OpenSSL wipes the key material */
	web_i18n_free(p.i18n);
	explicit_bzero(p.form_key, sizeof(p.form_key));
	byod_conf_free(&p.conf);
	pthread_rwlock_destroy(&p.reload);
	return rc;
usage:
	fprintf(stderr, "usage: byod-portal [--home DIR] [--locale-dir DIR]\n");
	return 2;
}
