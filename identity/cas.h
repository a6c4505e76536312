/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Signing in through a CAS 3.0 server (an ENT's), identity source kind cas:
 * the portal sends the person to ident_cas_login_url, the CAS server sends
 * them back to the source's service-url with a ticket, and
 * ident_login_cas validates the ticket with p3/serviceValidate over HTTPS
 * (the server's certificate checked against ca-file), reads the attributes
 * of the answer, and maps and syncs the person as an LDAP sign-in does
 * (identity.h: ident_map, ident_person_sync; the same audit entries).
 *
 * Errors as identity.h's, and:
 *   -EACCES  the CAS server refused the ticket (used already, for another
 *            service, expired, unknown: its code is in err)
 *   -EINVAL  a ticket that cannot be one (not ST-..., characters, length)
 *   -EPROTO  an answer that is not a CAS 3.0 one, or too large
 */
#ifndef BYOD_IDENTITY_CAS_H
#define BYOD_IDENTITY_CAS_H

#include <stddef.h>

#include "identity.h"

#define IDENT_CAS_TICKET_MAX 257      /* CAS 3.0: a ticket is at most 256 characters */
#define IDENT_CAS_ANSWER_MAX (64 << 10) /* serviceValidate's answer, and a logoutRequest */

/* The attribute ident_cas_parse gives cas:user under: login-attribute
 * "cas:user" takes the name the server authenticated. */
#define IDENT_CAS_USER "cas:user"

/* 1 when t may be a service ticket: "ST-" then 1 to 253 of [A-Za-z0-9.-_]. */
int ident_cas_ticket_ok(const char *t);

/* The CAS login URL to send the person to: server-url's login with the
 * service-url as its service, URL-encoded. -ENAMETOOLONG when out is short. */
int ident_cas_login_url(const struct byod_idsrc *src, char *out, size_t len);

/* Reads a serviceValidate answer (len bytes, at most IDENT_CAS_ANSWER_MAX):
 * on authenticationSuccess, cas:user as IDENT_CAS_USER and each of
 * cas:attributes' children by its local name (repeated for several values)
 * into attrs (the caller frees it); authenticationFailure is -EACCES with
 * its code in err; anything else -EPROTO. Parsed without network, DTD or
 * entities (a document with a DTD is refused), namespace-aware. */
int ident_cas_parse(const char *xml, size_t len, struct ident_attrs *attrs, struct byod_err *err);

/* Validates ticket at src's server for src's service-url and reads the
 * answer into attrs (the caller frees it). */
int ident_cas_validate(const struct byod_idsrc *src, const char *ticket, struct ident_attrs *attrs,
		       struct byod_err *err);

/* The whole sign-in with a ticket: validates, maps, syncs; every refusal is
 * audited as "identity.refused" with the source and the reason, nothing
 * created. out (may be NULL) gets the person as stored. */
int ident_login_cas(struct reg *reg, const struct byod_idsrc *src, const char *ticket,
		    struct reg_person *out, struct byod_err *err);

/* Single logout: the CAS server POSTs to service-url a form
 * (application/x-www-form-urlencoded) whose logoutRequest is a
 * samlp:LogoutRequest naming in samlp:SessionIndex the service ticket whose
 * session ends. ident_cas_logout_parse takes the whole form body,
 * ident_cas_logout_xml the field's value already decoded; both give the
 * ticket (out, IDENT_CAS_TICKET_MAX), or -EINVAL for anything else. The
 * request is not signed (CAS's is not): end only a session whose ticket
 * this gateway validated itself. */
int ident_cas_logout_parse(const char *body, size_t len, char *ticket, size_t tlen);
int ident_cas_logout_xml(const char *xml, size_t len, char *ticket, size_t tlen);

#endif /* BYOD_IDENTITY_CAS_H */
