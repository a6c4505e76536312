/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Signing in through an identity source of byod.conf (byod_idsrc.h): the
 * source says who the person is (an LDAP directory checks their password;
 * CAS and SAML will hand over a validated answer the same way), the answer
 * is mapped to the registry's terms (login, role, school, class) by the
 * source's mapping, and the person is created or updated just in time, with
 * an audit entry, in one transaction. An answer the mapping refuses (no
 * UAI, an unknown school or role) creates nothing and is audited too.
 *
 * Errors (negative errno), the same for every kind of source:
 *   -EACCES     wrong password, or no such person (one answer for both)
 *   -EINVAL     a login that cannot be one (characters of a filter, too long)
 *   -EPERM      the source's answer is refused by the mapping or the registry
 *               (no UAI, unknown school or role, a disabled or local account)
 *   -EHOSTUNREACH the source cannot be reached over TLS with a trusted
 *               certificate (down, or its certificate not from ca-file)
 *   -ETIMEDOUT  the source did not answer in timeout-s
 *   -EPROTO     any other failure of the source
 * err says which, for the log and the audit; no password ever reaches either.
 */
#ifndef BYOD_IDENTITY_H
#define BYOD_IDENTITY_H

#include <stddef.h>

#include "byod_err.h"
#include "byod_idsrc.h"
#include "byod_types.h"
#include "registry.h"

/* What a source said about a person, before the mapping: attribute values
 * by name (case-insensitive, as LDAP's) and the groups (DNs, or plain names
 * for sources that give only those). */
struct ident_attrs {
	struct ident_attr {
		char *name;
		char *value;
	} *v;
	size_t n, cap;
	char **groups;
	size_t ngroups, gcap;
};

/* Adds a copy of name=value (or of a group when name is NULL). 0 or -ENOMEM. */
int ident_attrs_add(struct ident_attrs *a, const char *name, const char *value);
/* The i-th value of name, or NULL. */
const char *ident_attrs_get(const struct ident_attrs *a, const char *name, size_t i);
void ident_attrs_free(struct ident_attrs *a);

/* The person as the registry will hold them. */
struct ident_person {
	char login[REG_LOGIN_MAX];
	char display_name[REG_NAME_MAX];
	enum byod_role role;
	char school[REG_UAI_MAX];
	char groups[REG_GROUPS_MAX]; /* the classes, space-separated */
	int left; /* the source says the person has left (left-attribute) */
};

/* ---- escaping (escape.c) ---- */

/* 1 when login may be looked up at all: 1 to 63 letters, digits, '.', '-',
 * '_' and '@'. Anything else (a filter's '*', '(', ')', '\\', a NUL, a DN's
 * ',', '=', '+') is refused before the source is asked. */
int ident_login_ok(const char *login);
/* RFC 4515: in's '*', '(', ')', '\\' and NUL as \2a \28 \29 \5c \00, and any
 * byte outside printable ASCII as \XX, into out. -ENAMETOOLONG when it does
 * not fit. */
int ident_filter_escape(const char *in, char *out, size_t len);
/* RFC 4514: an attribute value for a DN (',', '+', '"', '\\', '<', '>', ';',
 * '=', a leading ' ' or '#', a trailing ' ', control bytes) into out. */
int ident_dn_escape(const char *in, char *out, size_t len);
/* tmpl with each %s replaced by login and each %D by dn, both escaped for a
 * filter (filter 1) or a DN (filter 0). */
int ident_template(const char *tmpl, const char *login, const char *dn, int filter, char *out,
		   size_t len);

/* ---- LDAP (ldap.c) ---- */

/* Checks login's password against the LDAP source src and reads what the
 * mapping needs into attrs (filled; the caller frees it). The password is
 * used for the bind only: never copied, stored or logged. */
int ident_ldap_check(const struct byod_idsrc *src, const char *login, const char *password,
		     struct ident_attrs *attrs, struct byod_err *err);

/*
 * Every person of the LDAP source s (bind: search), as its service account
 * sees them under base-dn with its filter (the login as '*'), page by page
 * (RFC 2696: past the server's size limit), bounded by 12 x timeout-s (a
 * minute at least): cb(login, left, arg) for each entry with a login that
 * can be one, left saying what left-attribute says; cb's non-zero return
 * stops and is returned. *count gets how many. The errors of
 * ident_ldap_check.
 */
int ident_ldap_list(const struct byod_idsrc *s, int (*cb)(const char *login, int left, void *),
		    void *arg, size_t *count, struct byod_err *err);

/* ---- the mapping and just-in-time people (login.c) ---- */

/* 1 when the answer a says the person has left (left-attribute). */
int ident_left(const struct byod_idsrc *s, const struct ident_attrs *a);

/* Maps a source's answer to the person (school, role, class); -EPERM with
 * the reason in err when the mapping refuses it. The school is not looked up
 * in the registry here. An answer that says the person has left
 * (left-attribute, left-values) gives out->left = 1 with the login and, when
 * it has one, the school: neither role nor class is needed to leave. */
int ident_map(const struct byod_idsrc *src, const struct ident_attrs *attrs,
	      struct ident_person *out, struct byod_err *err);

/* Creates the person, or updates their name, role, school and class, in one
 * transaction with an "identity.login" audit entry naming the source.
 * A person who has left (p->left) is neither created nor updated: their
 * account's departure is applied as the daily job applies the rentrée
 * sync's (its live devices revoked, CRLReason affiliationChanged, the
 * account disabled, audited "person.left" naming the source), and the
 * sign-in refused (-EPERM); the CRL is reissued by the next publication.
 * Refused (-EPERM, audited as "identity.refused", nothing written): an
 * unknown school, a disabled account, an account with a local password (a
 * source never takes a local account over). out (may be NULL) gets the
 * person as stored. */
int ident_person_sync(struct reg *reg, const struct byod_idsrc *src,
		      const struct ident_person *p, struct reg_person *out, struct byod_err *err);

/* The whole sign-in with a password through source (ldap): checks, maps,
 * syncs. Every refusal is audited as "identity.refused" with the source and
 * the reason, the login written only when ident_login_ok. */
int ident_login_password(struct reg *reg, const struct byod_idsrc *src, const char *login,
			 const char *password, struct reg_person *out, struct byod_err *err);

/* ---- a source's directory against the registry (sync.c) ---- */

struct ident_sync_item {
	char login[REG_LOGIN_MAX];
	char school[REG_UAI_MAX];
	const char *why; /* "no longer in the directory", or left */
};

struct ident_sync_result {
	size_t listed;                 /* people the directory lists */
	size_t active;                 /* active people of the source in the registry */
	struct ident_sync_item *items; /* those given a leaving date (or to be) */
	size_t n;
};

/*
 * Gives a leaving date (now) to the active people of the LDAP source s
 * (persons.source, bind: search) that its directory no longer lists or lists
 * as left, none already leaving, in one transaction, each with an
 * "identity.leave" audit entry naming the source (and the registry's own
 * "person.leave"); dry_run writes nothing. The daily job then disables
 * them. Refused, nothing written (-EPROTO): a directory that lists nobody,
 * or more than half of the source's active people to leave once it has 10
 * or more. r (ident_sync_result_free) says who. The errors of
 * ident_ldap_check otherwise.
 */
int ident_sync(struct reg *reg, const struct byod_idsrc *s, time_t now, int dry_run,
	       struct ident_sync_result *r, struct byod_err *err);
void ident_sync_result_free(struct ident_sync_result *r);

#endif /* BYOD_IDENTITY_H */
