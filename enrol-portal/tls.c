// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The portal's certificate as the web server loads it (httpd's tls_load,
 * on start, on a change of its files, on SIGHUP and every hour): loaded
 * and checked as a phone would (core's byod_portal_tls_check), and the
 * check decides whether devices are sent to HTTPS or stay on HTTP. Each
 * certificate loaded is logged with its SHA-256 fingerprint, and the
 * verdict whenever it changes.
 */
#include "portal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "byod_util.h"
#include "pki.h"

/* One line: what the check found and where devices are sent from now on. */
static void log_trust(struct portal *p, const struct pki_cert_report *rep, int trusted)
{
	char why[PKI_CERT_SENTENCES * 600 + 8] = "", when[32];
	size_t used = 0;
	int i;

	for (i = 0; i < rep->nwhy; i++)
		used += (size_t)snprintf(why + used, sizeof(why) - used, "%s%s", i ? " " : "",
					 rep->why[i]);
	if (trusted && !rep->problems)
		portal_log("the certificate is trusted for %s (chains to %s, expires %s): devices "
			   "are sent to %s/",
			   p->where.host, rep->root,
			   byod_time_iso(rep->not_after, when, sizeof(when)), p->where.url_https);
	else if (trusted)
		portal_log("warning: %s Devices are still sent to %s/ until then.", why,
			   p->where.url_https);
	else
		portal_log(
			"warning: phones will not trust the portal's certificate %s: %s "
			"Captive redirects go to plain HTTP (%s/) until they do; `byodctl portal "
			"check` says the same.",
			p->where.cert, why, p->where.url_http);
}

int portal_tls_load(void *portal, const char *what, char **chain_pem, char **key_pem,
		    struct byod_err *err)
{
	struct portal *p = portal;
	struct pki_server_cert *sc = NULL;
	struct pki_cert_report rep;
	char fp[100];
	int rc, trusted, was;

	rc = byod_portal_tls_check(&p->where, &sc, &rep, err);
	if (rc)
		return rc;
	httpd_cert_fingerprint(sc->cert, fp, sizeof(fp));
	/* the loaded certificate's PEM is taken over */
	*chain_pem = sc->chain_pem;
	*key_pem = sc->key_pem;
	sc->chain_pem = NULL;
	sc->key_pem = NULL;
	trusted = pki_cert_report_trusted(&rep);
	was = __atomic_exchange_n(&p->tls_trusted, trusted, __ATOMIC_ACQ_REL);
	if (what)
		portal_log("%s the certificate %s: %s, SHA-256 fingerprint %s", what, p->where.cert,
			   rep.subject, fp);
	if (what || was != trusted)
		log_trust(p, &rep, trusted);
	pki_server_cert_free(sc);
	return 0;
}
