/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Signing in through a SAML 2.0 identity provider (ÉduConnect, an académie's
 * federation), identity source kind saml, on Entr'ouvert's liblasso: this
 * gateway is a service provider with its own metadata (ident_saml_metadata);
 * the portal sends the person to the IdP with a signed AuthnRequest over
 * HTTP-Redirect (ident_saml_request), whose state the registry keeps for one
 * answer; the IdP POSTs a Response to acs-url, which ident_login_saml checks
 * (ident_saml_response), maps and syncs as an LDAP or CAS sign-in does
 * (identity.h: ident_map, ident_person_sync; the same audit entries).
 *
 * What a Response must be, each refused with its own reason in err:
 * - signed (the Response or its Assertion) with a key of the IdP's metadata,
 *   never with RSA-SHA1 nor a SHA-1 digest; an EncryptedAssertion is
 *   decrypted with sp-key-file;
 * - from the IdP of idp-metadata-file (Issuer), to acs-url (Destination,
 *   SubjectConfirmationData@Recipient), for sp-entity-id (Audience, required);
 * - the answer to a request of ours still pending (RelayState gives it,
 *   InResponseTo must be its ID), each request answered once: an unsolicited
 *   Response, or one to an older request, is refused;
 * - within its Conditions (required) NotBefore/NotOnOrAfter and its
 *   SubjectConfirmationData@NotOnOrAfter, max-skew-s either way;
 * - an assertion ID never seen before, across processes (the registry).
 *
 * Errors as identity.h's, and:
 *   -EACCES  the Response is refused (the reason in err)
 *   -EINVAL  input that cannot be one (a RelayState not ours, too long)
 *   -EIO     sp-key-file, sp-cert-file or idp-metadata-file unreadable or not
 *            what they should be
 */
#ifndef BYOD_IDENTITY_SAML_H
#define BYOD_IDENTITY_SAML_H

#include <stddef.h>
#include <time.h>

#include "identity.h"

struct byod_buf;

/* The attribute ident_saml_check gives the Subject's NameID under:
 * login-attribute "saml:nameid" takes it (a persistent NameID). */
#define IDENT_SAML_NAMEID "saml:nameid"

#define IDENT_SAML_RELAY_MAX 65                 /* RelayState: 64 hex digits */
#define IDENT_SAML_RESPONSE_MAX (256 << 10)     /* a SAMLResponse, base64 */
#define IDENT_SAML_REQUEST_TTL 600              /* seconds a request waits for its answer */

/* This gateway's metadata for src (EntityDescriptor: sp-entity-id, the
 * certificate of sp-cert-file for signing and for encryption, acs-url as
 * the HTTP-POST AssertionConsumerService, AuthnRequestsSigned and
 * WantAssertionsSigned), appended to out. */
int ident_saml_metadata(const struct byod_idsrc *src, struct byod_buf *out,
			struct byod_err *err);

/* A signed AuthnRequest (RSA-SHA256) for src's IdP: the URL to redirect the
 * person to into url (len), and the RelayState that comes back with the
 * answer into relay (IDENT_SAML_RELAY_MAX; the portal also keeps it in the
 * person's cookie, so that an answer is taken only from the browser that
 * asked). The request's state is kept in reg until now +
 * IDENT_SAML_REQUEST_TTL, for one answer. */
int ident_saml_request(const struct byod_idsrc *src, struct reg *reg, time_t now, char *url,
		       size_t len, char *relay, size_t rlen, struct byod_err *err);

/* The same for another ACS of this service provider (the admin console's,
 * <admin.public-url>/saml/acs/NAME): ident_saml_metadata_acs lists it as a
 * second AssertionConsumerService (index 1; acs NULL: as
 * ident_saml_metadata); ident_saml_request_acs names it in the request
 * (AssertionConsumerServiceURL) and keeps the request for an answer there
 * only; ident_saml_response_acs takes the request made for acs and checks
 * Destination and Recipient against acs. acs NULL: acs-url, as the
 * functions without _acs. */
int ident_saml_metadata_acs(const struct byod_idsrc *src, const char *acs, struct byod_buf *out,
			    struct byod_err *err);
int ident_saml_request_acs(const struct byod_idsrc *src, const char *acs, struct reg *reg,
			   time_t now, char *url, size_t len, char *relay, size_t rlen,
			   struct byod_err *err);
int ident_saml_response_acs(struct reg *reg, const struct byod_idsrc *src, const char *acs,
			    const char *relay, const char *b64, time_t now,
			    struct ident_attrs *attrs, struct byod_err *err);

/* 1 when r may be a RelayState of ident_saml_request. */
int ident_saml_relay_ok(const char *r);

/* Checks a Response (b64: the SAMLResponse field, base64) against src, as
 * its clock reads now: with state (a request's state as ident_saml_request
 * keeps it), it must answer that request; with state NULL it is refused as
 * unsolicited. On success the assertion's attributes (by Name, each value)
 * and the NameID (IDENT_SAML_NAMEID) go into attrs (the caller frees it),
 * its ID into id (len) and the time until which a replay must be refused
 * into *until. No registry: ident_saml_response adds that. */
int ident_saml_check(const struct byod_idsrc *src, const char *state, const char *b64,
		     time_t now, struct ident_attrs *attrs, char *id, size_t len, time_t *until,
		     struct byod_err *err);

/* The Response to the request relay names: the request taken from reg
 * (once), the Response checked, its assertion ID claimed in reg (a replay
 * refused), the attributes into attrs (the caller frees it). */
int ident_saml_response(struct reg *reg, const struct byod_idsrc *src, const char *relay,
			const char *b64, time_t now, struct ident_attrs *attrs,
			struct byod_err *err);

/* The whole sign-in at acs-url: ident_saml_response, then mapped and synced;
 * every refusal is audited as "identity.refused" with the source and the
 * reason, nothing created. out (may be NULL) gets the person as stored. */
int ident_login_saml(struct reg *reg, const struct byod_idsrc *src, const char *relay,
		     const char *b64, time_t now, struct reg_person *out, struct byod_err *err);

/* The ACS's form (application/x-www-form-urlencoded, len bytes): the
 * SAMLResponse field decoded into resp (rlen) and RelayState into relay
 * (IDENT_SAML_RELAY_MAX; "" when absent). -EINVAL when SAMLResponse is
 * missing, a field repeated or too long, or the encoding broken. */
int ident_saml_acs_parse(const char *body, size_t len, char *resp, size_t rlen, char *relay,
			 size_t relay_len);

/* A SAML time (xs:dateTime in UTC, "2026-12-04T15:08:00Z", fractions of a
 * second allowed) as a time_t, or (time_t)-1. */
time_t ident_saml_time(const char *s);

#endif /* BYOD_IDENTITY_SAML_H */
