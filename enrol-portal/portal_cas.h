/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The portal's side of a CAS identity source (cas.c): the login button's
 * start, the callback the CAS server sends the person back to, and its
 * back-channel single logout. The routes (routes.c):
 *
 *   GET  /cas/login/NAME     302 to the source's CAS login, a state cookie set
 *   GET  <callback>?ticket=  the sign-in; <callback> is the path of the
 *                            source's service-url: /cas/callback/NAME (or
 *                            /cas/callback), each source its own
 *   POST <callback>          logoutRequest: the session of that ticket ends
 *   GET  /cas/continue       after the sign-in: the enrolment (or a
 *                            geteduroam app's consent)
 */
#ifndef PORTAL_CAS_H
#define PORTAL_CAS_H

#include "pages.h"

/* The CAS source whose service-url's path is path, or NULL. */
const struct byod_idsrc *portal_cas_source_of_path(const struct portal *p, const char *path);

int page_cas_login(struct page_ctx *c, const char *name);
int page_cas_callback(struct page_ctx *c);
int page_cas_logout_post(struct page_ctx *c);
int page_cas_continue(struct page_ctx *c);

#endif /* PORTAL_CAS_H */
