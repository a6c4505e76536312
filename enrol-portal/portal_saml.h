/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The portal's side of a SAML 2.0 identity source (saml.c): the login
 * button's start, the assertion consumer service the identity provider
 * POSTs its Response to, the same-site step that opens the session, and the
 * service provider's metadata. The routes (routes.c):
 *
 *   GET  /saml/login/NAME     302 to the IdP with a signed AuthnRequest, a
 *                             state cookie bound to the RelayState
 *   POST <acs>                the Response checked (ident_login_saml); <acs>
 *                             is the path of the source's acs-url
 *                             (/saml/acs/NAME, or /saml/acs), each its own
 *   GET  /saml/done?n=NONCE   the state cookie checked against the answer's
 *                             RelayState, a new session, on to the enrolment
 *   GET  /saml/metadata/NAME  the source's SP metadata
 */
#ifndef PORTAL_SAML_H
#define PORTAL_SAML_H

#include "pages.h"

/* The SAML source whose acs-url's path is path, or NULL. */
const struct byod_idsrc *portal_saml_source_of_path(const struct portal *p, const char *path);

/* The request body limit the portal needs with cf: portal.body-limit, or
 * more when a SAML source is configured (a SAMLResponse is tens of KB). */
int portal_saml_body_limit(const struct byod_conf *cf);

int page_saml_login(struct page_ctx *c, const char *name);
int page_saml_acs(struct page_ctx *c);
int page_saml_done(struct page_ctx *c);
int page_saml_metadata(struct page_ctx *c, const char *name);

#endif /* PORTAL_SAML_H */
