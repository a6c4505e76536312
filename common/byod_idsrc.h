/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The identity sources of byod.conf (section "identity"): the directories
 * and identity providers people sign in with besides their local account,
 * several at once, each named, each of a kind (ldap, cas, saml), each with
 * its own mapping to the registry: which attribute gives the login, the
 * role, the school and the class.
 *
 *   identity:
 *     college:
 *       kind: ldap
 *       url: ldaps://ldap.college.lan/
 *       ca-file: /etc/byod/ldap-ca.pem
 *       ...
 *
 * The keys are declared once, in conf_identity.c's table, with their kinds,
 * defaults and checks; a source is checked whole once read, and every error
 * names the key (identity.NAME.KEY), the file and the line.
 */
#ifndef BYOD_IDSRC_H
#define BYOD_IDSRC_H

#include <stddef.h>

#include "byod_err.h"

#define BYOD_IDSRC_MAX 16      /* sources in one byod.conf */
#define BYOD_IDSRC_NAME_MAX 33 /* a name, [a-z0-9-], and its NUL */

enum byod_idsrc_kind { BYOD_IDSRC_LDAP, BYOD_IDSRC_CAS, BYOD_IDSRC_SAML };

/* How an LDAP source checks a password. */
enum byod_idsrc_bind {
	BYOD_IDSRC_BIND_USER,   /* bind as user-dn with the login in it */
	BYOD_IDSRC_BIND_SEARCH, /* the service account finds the entry, then bind as it */
};

/* Where an LDAP source reads a person's groups. */
enum byod_idsrc_groups {
	BYOD_IDSRC_GROUPS_MEMBEROF, /* the entry's memberOf */
	BYOD_IDSRC_GROUPS_SEARCH,   /* group-filter under group-base */
	BYOD_IDSRC_GROUPS_NONE,
};

struct byod_idsrc {
	char name[BYOD_IDSRC_NAME_MAX];
	int line;            /* where it is declared in byod.conf, 0 when unknown */
	int kind;            /* enum byod_idsrc_kind */
	char *label;         /* the button's words ("Se connecter avec l'ENT") */

	/* The mapping to the registry, the same for every kind. */
	char *login_attr;    /* the registry login: this attribute's value */
	char *name_attr;     /* the display name */
	char *role_attr;     /* "": the role comes from the groups */
	char *roles;         /* "VALUE=role, ...": an attribute value, a group CN or DN */
	char *school_attr;   /* the UAI from this attribute... */
	char *school;        /* ...or always this UAI (a school's own directory) */
	char *class_attr;    /* the class from this attribute... */
	char *class_group_base; /* ...or the CN of a group directly under this DN */
	/* a person the source says has left (their departure is applied) */
	char *left_attr;     /* "": the source never says so */
	char *left_values;   /* "VALUE, ...": without case; "&N": the value's bit N set */

	/* LDAP */
	char *url;           /* ldaps://host[:port]/ or ldap://host[:port]/ (StartTLS, always) */
	char *ca_file;       /* the CA the server's certificate must chain to */
	int timeout_s;       /* connection, each operation */
	int bind;            /* enum byod_idsrc_bind */
	char *user_dn;       /* bind user: "uid=%s,ou=people,..." */
	char *base_dn;       /* bind search: where people are */
	char *filter;        /* bind search: "(uid=%s)"; "": (login-attribute=%s) */
	char *service_dn;
	char *service_password_file; /* one line, the service account's password */
	int groups;          /* enum byod_idsrc_groups */
	char *group_base;
	char *group_filter;  /* %D: the person's DN, %s: the login, both escaped */

	/* CAS 3.0 (ca-file and timeout-s as for LDAP) */
	char *server_url;    /* https://cas.ent.example/cas/: login and p3/serviceValidate under it */
	char *service_url;   /* the portal's callback the CAS server sends the person back to */

	/* SAML 2.0 (identity/saml.h): this gateway as a service provider */
	char *sp_entity_id;  /* our entityID, as registered at the identity provider */
	char *acs_url;       /* https://.../saml/acs: where the IdP POSTs its Response */
	char *sp_key_file;   /* signs our requests, decrypts encrypted assertions (PEM) */
	char *sp_cert_file;  /* its certificate, in our metadata (PEM) */
	char *idp_metadata_file; /* the IdP's metadata: its entityID, SSO URL and signing keys */
	int max_skew_s;      /* clock difference tolerated on the assertion's times */
};

struct byod_buf;
struct byod_conf;
struct yaml_document_s;
struct yaml_node_s;

/* Reads the mapping of the "identity" section (node, of doc) into conf's
 * sources, after those already read. Each source is checked whole; errors
 * name file, line and the key. */
int byod_conf_identity_read(struct byod_conf *conf, struct yaml_document_s *doc,
			    struct yaml_node_s *node, const char *file, struct byod_err *err);

/* Appends the section, commented out, every key with its help and default,
 * to the byod.conf byod_conf_write makes. */
void byod_conf_identity_write(struct byod_buf *b, int *rc);

/* The source named name, or NULL. */
const struct byod_idsrc *byod_conf_idsrc(const struct byod_conf *conf, const char *name);

/* The role the value v maps to in a roles list ("National_ELV=student, ..."),
 * compared without case, and its place in the list into *pos (may be NULL):
 * the first of the list wins for a person with several. -ENOENT when v is
 * not in it, -EINVAL when the list is malformed; v NULL checks the list. */
int byod_idsrc_role(const char *roles, const char *v, int *pos);

/* The i-th value of a left-values list into out, without the spaces around
 * it: 1, or 0 after the last, -EINVAL for an empty or too long one. */
int byod_idsrc_left_value(const char *list, size_t i, char *out, size_t len);

/* Deep copy of n sources (*dst NULL when n is 0). 0 or -ENOMEM. */
int byod_idsrc_copy(struct byod_idsrc **dst, const struct byod_idsrc *src, size_t n);
void byod_idsrc_free(struct byod_idsrc *src, size_t n);

#endif /* BYOD_IDSRC_H */
