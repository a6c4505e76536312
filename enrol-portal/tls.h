/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The portal's certificate for the HTTPS daemon (tls.c): loaded from the
 * files byod.conf names, checked for a phone's trust, reloaded when they
 * change, handed to GnuTLS on every handshake. Only server.c uses it.
 */
#ifndef BYOD_PORTAL_TLS_H
#define BYOD_PORTAL_TLS_H

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>

#include "portal.h"

struct portal_tls;

/*
 * Loads and checks the portal's certificate (p->where), sets
 * p->tls_trusted and logs what the check found. One per process (GnuTLS's
 * callback finds it without a pointer). Returns 0 and *out, or a negative
 * errno with err when the files cannot be used.
 */
int portal_tls_open(struct portal *p, struct portal_tls **out, struct byod_err *err);
/* Loads the files again when they changed (or force); a failure keeps the
 * certificate in use and is logged. NULL is a no-op. */
void portal_tls_refresh(struct portal_tls *t, int force);
/* After the HTTPS daemon has stopped; NULL is a no-op. */
void portal_tls_free(struct portal_tls *t);

/* For MHD_OPTION_HTTPS_CERT_CALLBACK2: the certificate in use, the files
 * looked at first. */
gnutls_certificate_retrieve_function3 portal_tls_cert_cb;

#endif /* BYOD_PORTAL_TLS_H */
