// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The portal's certificate and where devices are sent, as byod.conf says:
 * the files (portal.tls-cert, -key, -chain, or what byodctl init made in
 * pki.dir), the host name phones reach the portal by (that of
 * portal.public-url, else portal.hostname), its HTTPS and HTTP URLs, and
 * the check that decides between them: a phone trusts the certificate
 * (pki_server_cert_check against portal.trust-store). byod-portal runs it
 * at start and on every reload; `byodctl portal check` prints it.
 */
#define _GNU_SOURCE
#include "byod.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "byod_util.h"

/* A file of the configuration, or name in pki.dir when the key is empty. */
static int file_path(const struct byod_conf *conf, const char *key, const char *value,
		     const char *name, char *out, size_t len, struct byod_err *err)
{
	char dir[4096];

	if (value[0]) {
		if (byod_conf_path(conf, value, out, len))
			return byod_err_set(err, ENAMETOOLONG, "%s too long", key);
		return 0;
	}
	if (byod_conf_path(conf, conf->pki_dir, dir, sizeof(dir)) ||
	    byod_path_join(out, len, dir, name))
		return byod_err_set(err, ENAMETOOLONG, "pki.dir too long");
	return 0;
}

/* The host of an http(s) URL (a bracketed IPv6 address kept bracketed) in
 * host, lowercase, and whether its scheme is https. */
static int url_host(const char *url, char *host, size_t len, int *https)
{
	const char *h;
	size_t n, i;

	if (!strncmp(url, "https://", 8))
		*https = 1;
	else if (!strncmp(url, "http://", 7))
		*https = 0;
	else
		return -EINVAL;
	h = url + (*https ? 8 : 7);
	if (h[0] == '[') {
		const char *end = strchr(h, ']');

		n = end ? (size_t)(end - h + 1) : 0;
	} else {
		n = strcspn(h, ":/?#");
	}
	if (!n || n >= len)
		return -EINVAL;
	for (i = 0; i < n; i++)
		host[i] = (char)((h[i] >= 'A' && h[i] <= 'Z') ? h[i] - 'A' + 'a' : h[i]);
	host[n] = '\0';
	return 0;
}

/* scheme://host[:port] without the port that is the scheme's own. */
static int url_make(char *out, size_t len, int https, const char *host, int port)
{
	int n;

	if (port == (https ? 443 : 80))
		n = snprintf(out, len, "%s://%s", https ? "https" : "http", host);
	else
		n = snprintf(out, len, "%s://%s:%d", https ? "https" : "http", host, port);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int byod_portal_tls_where(const struct byod_conf *conf, struct byod_portal_tls *out,
			  struct byod_err *err)
{
	const char *pub = conf->portal_public_url;
	size_t n;
	int https = 1, rc;

	memset(out, 0, sizeof(*out));
	rc = file_path(conf, "portal.tls-cert", conf->portal_tls_cert, "portal.pem", out->cert,
		       sizeof(out->cert), err);
	if (!rc)
		rc = file_path(conf, "portal.tls-key", conf->portal_tls_key, "portal.key", out->key,
			       sizeof(out->key), err);
	if (!rc && conf->portal_tls_chain[0] &&
	    byod_conf_path(conf, conf->portal_tls_chain, out->chain, sizeof(out->chain)))
		rc = byod_err_set(err, ENAMETOOLONG, "portal.tls-chain too long");
	if (!rc && byod_conf_path(conf, conf->portal_trust_store, out->trust_store,
				  sizeof(out->trust_store)))
		rc = byod_err_set(err, ENAMETOOLONG, "portal.trust-store too long");
	if (rc)
		return rc;

	if (pub[0]) {
		if (url_host(pub, out->host, sizeof(out->host), &https))
			return byod_err_set(err, EINVAL,
					    "portal.public-url '%s' is not an http:// or https:// "
					    "URL with a host name",
					    pub);
	} else if (snprintf(out->host, sizeof(out->host), "%s", conf->portal_hostname) >=
		   (int)sizeof(out->host)) {
		return byod_err_set(err, ENAMETOOLONG, "portal.hostname too long");
	}
	/* the URL as written for its own scheme; the other made from the host */
	if (pub[0] && snprintf(https ? out->url_https : out->url_http, sizeof(out->url_https), "%s",
			       pub) >= (int)sizeof(out->url_https))
		return byod_err_set(err, ENAMETOOLONG, "portal.public-url too long");
	if ((!pub[0] || !https) && conf->portal_https_port &&
	    url_make(out->url_https, sizeof(out->url_https), 1, out->host, conf->portal_https_port))
		return byod_err_set(err, ENAMETOOLONG, "portal.hostname too long");
	if (!conf->portal_https_port)
		out->url_https[0] = '\0';
	if ((!pub[0] || https) &&
	    url_make(out->url_http, sizeof(out->url_http), 0, out->host, conf->portal_http_port))
		return byod_err_set(err, ENAMETOOLONG, "portal.hostname too long");
	/* no trailing slash: paths are appended */
	while ((n = strlen(out->url_https)) && out->url_https[n - 1] == '/')
		out->url_https[n - 1] = '\0';
	while ((n = strlen(out->url_http)) && out->url_http[n - 1] == '/')
		out->url_http[n - 1] = '\0';
	return 0;
}

int byod_portal_tls_check(const struct byod_portal_tls *w, struct pki_server_cert **sc,
			  struct pki_cert_report *rep, struct byod_err *err)
{
	struct pki_check_params cp = {
		.host = w->host,
		.trust_store = w->trust_store,
		.days = BYOD_PORTAL_CERT_DAYS,
	};
	struct pki_server_cert *c = NULL;
	int rc;

	if (sc)
		*sc = NULL;
	rc = pki_server_cert_load(w->cert, w->chain, w->key, &c, err);
	if (!rc)
		rc = pki_server_cert_check(c, &cp, rep, err);
	if (!rc && sc)
		*sc = c;
	else
		pki_server_cert_free(c);
	return rc;
}

int byod_portal_url(const struct byod_conf *conf, char *out, size_t len, struct byod_err *err)
{
	struct byod_portal_tls w;
	struct pki_cert_report rep;
	int rc, https = 0;

	rc = byod_portal_tls_where(conf, &w, err);
	if (rc)
		return rc;
	/* a certificate that cannot be loaded is one no phone trusts */
	if (w.url_https[0] && !byod_portal_tls_check(&w, NULL, &rep, NULL))
		https = pki_cert_report_trusted(&rep);
	if (snprintf(out, len, "%s", https ? w.url_https : w.url_http) >= (int)len)
		return byod_err_set(err, ENAMETOOLONG, "the portal's URL is too long");
	return 0;
}
