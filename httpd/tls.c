// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The HTTPS certificate, served without a restart when an administrator
 * (or certbot, uacme, a département's PKI) replaces it. libmicrohttpd asks
 * for it on every TLS handshake through GnuTLS's certificate callback
 * (MHD_OPTION_HTTPS_CERT_CALLBACK2); each handshake gets its own copy of
 * the certificate in use, which GnuTLS frees when done with it, so a
 * reload never pulls a certificate from under a handshake.
 *
 * The files are looked at (stat) on every handshake and on the main loop's
 * tick; when one changed they are loaded again through the program's
 * callback (which checks them as it must: the portal asks whether a phone
 * trusts it), and at least every hour when they did not. Files that do not
 * load (half written, a key that is not the certificate's) keep the
 * certificate in use; the log says why, once per change.
 */
#define _GNU_SOURCE
#include "httpd_priv.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <gnutls/abstract.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "byod_util.h"

/* The certificate and its chain handed to GnuTLS: at most this many. */
#define TLS_CHAIN_MAX 11
/* Checked again at least this often, files changed or not: time passes
 * (a certificate ends) and trust stores are updated. */
#define TLS_RECHECK_S 3600

/* What a file was when last looked at; a change of any is a new file. */
struct file_id {
	int err; /* errno of stat, 0 when it was there */
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
};

enum { F_CERT, F_KEY, F_CHAIN, F_N };

struct httpd_tls {
	struct httpd_config cfg; /* tls_load, tls_files and app */
	pthread_mutex_t lock;
	struct file_id ids[F_N]; /* as last looked at */
	time_t checked;		 /* when the certificate was last checked */
	char *chain_pem;	 /* in use: the certificate then its chain */
	char *key_pem;		 /* in use; a secret */
};

/* GnuTLS's certificate callback carries no pointer of ours: the one
 * httpd_tls of the process. */
static struct httpd_tls *the_tls;

static void file_ids(const struct httpd_tls *t, struct file_id ids[F_N])
{
	const char *const *paths = t->cfg.tls_files;
	struct stat st;
	int i;

	memset(ids, 0, sizeof(ids[0]) * F_N);
	for (i = 0; i < F_N; i++) {
		if (!paths[i] || !paths[i][0])
			continue;
		if (stat(paths[i], &st)) {
			ids[i].err = errno;
			continue;
		}
		ids[i].dev = st.st_dev;
		ids[i].ino = st.st_ino;
		ids[i].size = st.st_size;
		ids[i].mtime = st.st_mtim;
		ids[i].ctime = st.st_ctim;
	}
}

static int ids_equal(const struct file_id *a, const struct file_id *b)
{
	int i;

	for (i = 0; i < F_N; i++)
		if (a[i].err != b[i].err || a[i].dev != b[i].dev || a[i].ino != b[i].ino ||
		    a[i].size != b[i].size || a[i].mtime.tv_sec != b[i].mtime.tv_sec ||
		    a[i].mtime.tv_nsec != b[i].mtime.tv_nsec ||
		    a[i].ctime.tv_sec != b[i].ctime.tv_sec ||
		    a[i].ctime.tv_nsec != b[i].ctime.tv_nsec)
			return 0;
	return 1;
}

void httpd_cert_fingerprint(X509 *x, char *out, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;
	size_t used = 0;

	if (!len)
		return;
	out[0] = '\0';
	if (!x || !X509_digest(x, EVP_sha256(), md, &n))
		return;
	for (i = 0; i < n && used + 3 < len; i++)
		used += (size_t)snprintf(out + used, len - used, "%s%02X", i ? ":" : "", md[i]);
}

static void forget_pem(struct httpd_tls *t)
{
	free(t->chain_pem);
	if (t->key_pem) {
		explicit_bzero(t->key_pem, strlen(t->key_pem));
		free(t->key_pem);
	}
	t->chain_pem = t->key_pem = NULL;
}

/*
 * Loads the files through the program's callback (t->lock held, or before
 * any handshake): on success the certificate is in use; on failure
 * nothing changes and err says why. what is "loaded" or "reloaded", or
 * NULL for the periodic check of unchanged files.
 */
static int load(struct httpd_tls *t, const char *what, struct byod_err *err)
{
	char *chain = NULL, *key = NULL;
	int rc;

	rc = t->cfg.tls_load(t->cfg.app, what, &chain, &key, err);
	if (rc)
		return rc;
	if (!chain || !key) {
		free(chain);
		free(key);
		return byod_err_set(err, EINVAL, "no certificate or key was loaded");
	}
	forget_pem(t);
	t->chain_pem = chain;
	t->key_pem = key;
	t->checked = time(NULL);
	return 0;
}

/* Loads the files again when they changed since last looked at (or force,
 * or TLS_RECHECK_S went by). t->lock held. */
static void refresh_locked(struct httpd_tls *t, int force)
{
	struct file_id now[F_N];
	struct byod_err err;
	char buf[1200];
	int same;

	file_ids(t, now);
	same = ids_equal(now, t->ids);
	if (!force && same && time(NULL) - t->checked < TLS_RECHECK_S)
		return;
	/* looked at once per change, whatever the outcome */
	memcpy(t->ids, now, sizeof(now));
	if (load(t, force || !same ? "reloaded" : NULL, &err)) {
		t->checked = time(NULL);
		httpd_log("warning: the certificate files cannot be used (%s); the certificate "
			   "in use is kept",
			   byod_err_str(&err, buf, sizeof(buf)));
	}
}

void httpd_tls_refresh(struct httpd_tls *t, int force)
{
	if (!t)
		return;
	pthread_mutex_lock(&t->lock);
	refresh_locked(t, force);
	pthread_mutex_unlock(&t->lock);
}

int httpd_tls_cert_cb(gnutls_session_t session, const struct gnutls_cert_retr_st *info,
		       gnutls_pcert_st **certs, unsigned int *ncerts, gnutls_ocsp_data_st **ocsp,
		       unsigned int *nocsp, gnutls_privkey_t *key, unsigned int *flags)
{
	struct httpd_tls *t = the_tls;
	gnutls_pcert_st *pc = NULL;
	gnutls_privkey_t k = NULL;
	gnutls_datum_t d;
	unsigned int n = TLS_CHAIN_MAX, i;
	int rc = -1;

	(void)session;
	(void)info;
	*certs = NULL;
	*ncerts = 0;
	*ocsp = NULL;
	*nocsp = 0;
	*key = NULL;
	if (!t)
		return -1;
	pc = gnutls_calloc(TLS_CHAIN_MAX, sizeof(*pc));
	if (!pc || gnutls_privkey_init(&k) < 0)
		goto fail;
	pthread_mutex_lock(&t->lock);
	refresh_locked(t, 0);
	/* copies for this handshake alone: GnuTLS frees them (DEINIT_ALL) */
	d.data = (unsigned char *)t->chain_pem;
	d.size = (unsigned int)strlen(t->chain_pem);
	rc = gnutls_pcert_list_import_x509_raw(pc, &n, &d, GNUTLS_X509_FMT_PEM, 0);
	if (rc >= 0) {
		d.data = (unsigned char *)t->key_pem;
		d.size = (unsigned int)strlen(t->key_pem);
		rc = gnutls_privkey_import_x509_raw(k, &d, GNUTLS_X509_FMT_PEM, NULL, 0);
		if (rc < 0) {
			for (i = 0; i < n; i++)
				gnutls_pcert_deinit(&pc[i]);
		}
	}
	pthread_mutex_unlock(&t->lock);
	if (rc < 0) {
		httpd_log("TLS: the certificate cannot be handed over (%s)", gnutls_strerror(rc));
		goto fail;
	}
	*certs = pc;
	*ncerts = n;
	*key = k;
	*flags = GNUTLS_CERT_RETR_DEINIT_ALL;
	return 0;
fail:
	gnutls_privkey_deinit(k);
	gnutls_free(pc);
	return -1;
}

int httpd_tls_open(const struct httpd_config *cfg, struct httpd_tls **out, struct byod_err *err)
{
	struct httpd_tls *t;
	int rc;

	*out = NULL;
	if (the_tls)
		return byod_err_set(err, EBUSY, "one HTTPS server per process");
	t = calloc(1, sizeof(*t));
	if (!t)
		return byod_err_set(err, ENOMEM, "out of memory");
	t->cfg = *cfg;
	pthread_mutex_init(&t->lock, NULL);
	file_ids(t, t->ids);
	rc = load(t, "loaded", err);
	if (rc) {
		httpd_tls_free(t);
		return rc;
	}
	the_tls = t;
	*out = t;
	return 0;
}

void httpd_tls_free(struct httpd_tls *t)
{
	if (!t)
		return;
	if (the_tls == t)
		the_tls = NULL;
	pthread_mutex_destroy(&t->lock);
	forget_pem(t);
	free(t);
}
