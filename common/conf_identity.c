// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The "identity" section of byod.conf: one table of the keys a source may
 * have (which kinds take it, its default, its check, a line of help), the
 * reader of each named source, and the check of a source as a whole (what
 * its kind and its bind mode require), every error naming
 * identity.NAME.KEY with the file and the line.
 */
#include "byod_buf.h"
#include "byod_conf.h"
#include "byod_idsrc.h"
#include "byod_types.h"
#include "byod_util.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

enum ik_type { IK_STRING, IK_INT, IK_ENUM };

#define K_LDAP (1u << BYOD_IDSRC_LDAP)
#define K_CAS (1u << BYOD_IDSRC_CAS)
#define K_SAML (1u << BYOD_IDSRC_SAML)
#define K_ALL (K_LDAP | K_CAS | K_SAML)

struct id_key {
	const char *key;
	enum ik_type type;
	size_t off;
	const char *def;
	long min, max;
	const char *const *names;
	unsigned kinds; /* the kinds of source that take the key */
	int (*check)(const char *v, char *why, size_t len);
	const char *help;
};

static const char *const kinds[] = { "ldap", "cas", "saml", NULL };
static const char *const binds[] = { "user", "search", NULL };
static const char *const group_modes[] = { "memberof", "search", "none", NULL };

/* [a, b) without the spaces around it, into out; -EINVAL when empty or too long. */
static int trimmed(const char *a, const char *b, char *out, size_t len)
{
	while (a < b && isspace((unsigned char)*a))
		a++;
	while (b > a && isspace((unsigned char)b[-1]))
		b--;
	if (a == b || (size_t)(b - a) >= len)
		return -EINVAL;
	memcpy(out, a, (size_t)(b - a));
	out[b - a] = '\0';
	return 0;
}

int byod_idsrc_role(const char *roles, const char *v, int *pos)
{
	/* a DN has commas of its own: a list with a ';' is separated by ';' */
	const char *seps = strchr(roles, ';') ? ";" : ",";
	const char *s = roles;
	int i = 0;

	while (*s) {
		const char *e, *eq;
		char value[512], role[16];
		int r;

		s += strspn(s, seps);
		s += strspn(s, " \t");
		if (!*s)
			break;
		e = s + strcspn(s, seps);
		/* the last '=' of the entry: those of a DN come before it */
		for (eq = e; eq > s && eq[-1] != '='; eq--)
			;
		if (eq == s || trimmed(s, eq - 1, value, sizeof(value)) ||
		    trimmed(eq, e, role, sizeof(role)))
			return -EINVAL;
		r = byod_role_parse(role);
		if (r < 0)
			return -EINVAL;
		if (v && !strcasecmp(value, v)) {
			if (pos)
				*pos = i;
			return r;
		}
		s = e;
		i++;
	}
	return v ? -ENOENT : 0;
}

static int check_roles(const char *v, char *why, size_t len)
{
	if (v[0] && byod_idsrc_role(v, NULL, NULL) < 0) {
		snprintf(why, len, "'%s' is not a list of VALUE=ROLE separated by ',' (or by ';' "
			 "when a value is a DN), each role student, teacher, staff or guest "
			 "(National_ELV=student, National_ENS=teacher)", v);
		return -1;
	}
	return 0;
}

static int check_uai(const char *v, char *why, size_t len)
{
	if (v[0] && byod_uai_check(v, NULL)) {
		snprintf(why, len, "'%s' is not a UAI (7 digits and a letter, such as 0750654D)", v);
		return -1;
	}
	return 0;
}

/* A password only ever goes over TLS: ldaps://, or ldap:// with StartTLS. */
static int check_url(const char *v, char *why, size_t len)
{
	if (!strncmp(v, "ldaps://", 8) || !strncmp(v, "ldap://", 7)) {
		const char *h = v + (v[4] == 's' ? 8 : 7);

		if (*h && *h != '/')
			return 0;
	}
	snprintf(why, len, "'%s' is not an LDAP server's URL (ldaps://HOST[:PORT]/, or ldap://"
		 "HOST[:PORT]/ which always starts TLS)", v);
	return -1;
}

/* A CAS server or service: only over HTTPS, with a host, no fragment nor
 * spaces (it goes into a URL and an HTTP request as it is). */
static int check_https(const char *v, char *why, size_t len)
{
	const char *h = v + 8;

	if (!v[0])
		return 0;
	if (!strncmp(v, "https://", 8) && *h && *h != '/' && *h != ':' && !strchr(v, '#') &&
	    strlen(v) < 1024) {
		for (const char *p = v; *p; p++)
			if ((unsigned char)*p <= ' ' || *p == 0x7f)
				goto bad;
		return 0;
	}
bad:
	snprintf(why, len, "'%s' is not an https://HOST[:PORT]/... URL", v);
	return -1;
}

/* A template with the login in it exactly once, as %s, and no other %. */
static int check_template(const char *v, const char *marks, char *why, size_t len)
{
	int n = 0;

	for (const char *p = v; *p; p++) {
		if (*p != '%')
			continue;
		if (!p[1] || !strchr(marks, p[1]))
			goto bad;
		n++;
		p++;
	}
	if (!v[0] || n == 1)
		return 0;
bad:
	snprintf(why, len, "'%s' must hold %s exactly once (and no other %%)", v,
		 marks[1] ? "%s or %D" : "%s");
	return -1;
}

static int check_user_dn(const char *v, char *why, size_t len)
{
	return check_template(v, "s", why, len);
}

static int check_filter(const char *v, char *why, size_t len)
{
	if (v[0] && (v[0] != '(' || v[strlen(v) - 1] != ')')) {
		snprintf(why, len, "'%s' is not an LDAP filter in parentheses", v);
		return -1;
	}
	return check_template(v, "s", why, len);
}

static int check_group_filter(const char *v, char *why, size_t len)
{
	if (v[0] != '(' || v[strlen(v) - 1] != ')') {
		snprintf(why, len, "'%s' is not an LDAP filter in parentheses", v);
		return -1;
	}
	return check_template(v, "sD", why, len);
}

/* A SAML entityID: a URI, no spaces, not too long for the metadata's attribute. */
static int check_entity_id(const char *v, char *why, size_t len)
{
	const char *colon = strchr(v, ':');

	if (!v[0])
		return 0;
	if (colon && colon > v && strlen(v) < 1024) {
		for (const char *p = v; *p; p++)
			if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '"' || *p == '<' ||
			    *p == '>' || *p == '&')
				goto bad;
		return 0;
	}
bad:
	snprintf(why, len, "'%s' is not an entityID (a URI such as "
		 "https://portail.college.lan/saml/metadata)", v);
	return -1;
}

/* left-values: VALUE, VALUE, ... each a plain value or &N (N a power of two). */
static int check_left_values(const char *v, char *why, size_t len)
{
	char item[256];
	int rc;

	for (size_t i = 0; (rc = byod_idsrc_left_value(v, i, item, sizeof(item))) > 0; i++) {
		if (item[0] == '&') {
			char *end;
			unsigned long long n = strtoull(item + 1, &end, 10);

			if (!item[1] || *end || !n || (n & (n - 1)))
				goto bad;
		}
	}
	if (!rc)
		return 0;
bad:
	snprintf(why, len, "'%s' is not a list of values separated by ',' (each a value, or &N "
		 "for a bit, N a power of two such as &2)", v);
	return -1;
}

int byod_idsrc_left_value(const char *list, size_t i, char *out, size_t len)
{
	const char *s = list;

	for (;;) {
		const char *e = s + strcspn(s, ",");

		if (trimmed(s, e, out, len))
			return *s || *e ? -EINVAL : 0;
		if (i-- == 0)
			return 1;
		if (!*e)
			return 0;
		s = e + 1;
	}
}

/* left-attribute and left-values go together. */
static int check_left(const struct byod_idsrc *s, char *why, size_t len)
{
	if (!s->left_attr[0] != !s->left_values[0]) {
		snprintf(why, len, "left-attribute and left-values go together: both or neither");
		return -1;
	}
	return 0;
}

#define F(field) offsetof(struct byod_idsrc, field)

static const struct id_key keys[] = {
	{ "kind", IK_ENUM, F(kind), "ldap", 0, 0, kinds, K_ALL, NULL,
	  "ldap (a directory checks the password); cas (the ENT's CAS 3.0 server signs the "
	  "person in); saml (a SAML 2.0 identity provider: ÉduConnect, an académie's "
	  "federation)." },
	{ "label", IK_STRING, F(label), "", 0, 0, NULL, K_ALL, NULL,
	  "The words of the source's button on the login page (empty: its name)." },
	{ "login-attribute", IK_STRING, F(login_attr), "uid", 0, 0, NULL, K_ALL, NULL,
	  "The attribute whose value is the person's login in the registry." },
	{ "name-attribute", IK_STRING, F(name_attr), "cn", 0, 0, NULL, K_ALL, NULL,
	  "The attribute giving the name shown (empty: the login)." },
	{ "role-attribute", IK_STRING, F(role_attr), "", 0, 0, NULL, K_ALL, NULL,
	  "The attribute whose values are matched against roles (ENTPersonProfils); empty: "
	  "the person's groups are (their CN or DN)." },
	{ "roles", IK_STRING, F(roles), "", 0, 0, NULL, K_ALL, check_roles,
	  "VALUE=ROLE, separated by ',' (by ';' when a value is a group's DN): "
	  "National_ELV=student, National_ENS=teacher. VALUE is a role-attribute value, or a "
	  "group's CN or DN; the first of the list the person has wins; a person with none of "
	  "them is refused." },
	{ "school-attribute", IK_STRING, F(school_attr), "", 0, 0, NULL, K_ALL, NULL,
	  "The attribute giving the UAI of the person's school (ENTPersonStructRattach); a "
	  "person without one, or of a school the registry does not know, is refused." },
	{ "school", IK_STRING, F(school), "", 0, 0, NULL, K_ALL, check_uai,
	  "Instead of school-attribute: the UAI every person of this source belongs to (a "
	  "school's own directory)." },
	{ "class-attribute", IK_STRING, F(class_attr), "", 0, 0, NULL, K_ALL, NULL,
	  "The attribute giving the person's class or classes (ENTEleveClasses)." },
	{ "class-group-base", IK_STRING, F(class_group_base), "", 0, 0, NULL, K_ALL, NULL,
	  "Instead of class-attribute: the person's groups directly under this DN are their "
	  "classes (by CN), those named in roles apart." },
	/* ---- a person the source says has left ---- */
	{ "left-attribute", IK_STRING, F(left_attr), "", 0, 0, NULL, K_ALL, NULL,
	  "The attribute that says the person has left (an ENT's status, AD's "
	  "userAccountControl); empty: the source never says so." },
	{ "left-values", IK_STRING, F(left_values), "", 0, 0, NULL, K_ALL, check_left_values,
	  "Its values that mean left, separated by ',' and compared without case (SORTI, "
	  "inactif); &N means the number's bit of value N is set (&2: AD's ACCOUNTDISABLE). "
	  "A sign-in whose answer says left applies the person's departure (devices revoked, "
	  "account disabled, as the rentrée sync's) and is refused." },
	/* ---- end of the left keys ---- */
	{ "url", IK_STRING, F(url), "", 0, 0, NULL, K_LDAP, check_url,
	  "The directory: ldaps://HOST[:PORT]/, or ldap://HOST[:PORT]/ on which TLS is always "
	  "started (StartTLS) before anything else. Write an address the certificate names." },
	{ "ca-file", IK_STRING, F(ca_file), "", 0, 0, NULL, K_LDAP | K_CAS, NULL,
	  "The CA (PEM) the directory's or the CAS server's certificate must chain to; it is "
	  "always checked." },
	{ "timeout-s", IK_INT, F(timeout_s), "5", 1, 60, NULL, K_LDAP | K_CAS, NULL,
	  "Seconds to connect, and for each answer of the directory (for CAS: for the whole "
	  "ticket validation)." },
	{ "bind", IK_ENUM, F(bind), "user", 0, 0, binds, K_LDAP, NULL,
	  "user: bind as user-dn with the login in it; search: the service account finds the "
	  "person under base-dn with filter, then binds as them." },
	{ "user-dn", IK_STRING, F(user_dn), "", 0, 0, NULL, K_LDAP, check_user_dn,
	  "bind user: the person's DN, %s standing for the login (uid=%s,ou=people,dc=...)." },
	{ "base-dn", IK_STRING, F(base_dn), "", 0, 0, NULL, K_LDAP, NULL,
	  "bind search: where people are searched (subtree)." },
	{ "filter", IK_STRING, F(filter), "", 0, 0, NULL, K_LDAP, check_filter,
	  "bind search: the filter, %s standing for the login, escaped (empty: "
	  "(login-attribute=%s))." },
	{ "service-dn", IK_STRING, F(service_dn), "", 0, 0, NULL, K_LDAP, NULL,
	  "bind search: the service account's DN." },
	{ "service-password-file", IK_STRING, F(service_password_file), "", 0, 0, NULL, K_LDAP,
	  NULL, "bind search: a file holding the service account's password, readable by the "
	  "service only (mode 0600 or 0640); the password is never written in byod.conf." },
	{ "groups", IK_ENUM, F(groups), "memberof", 0, 0, group_modes, K_LDAP, NULL,
	  "memberof: the person's memberOf; search: group-filter under group-base; none." },
	{ "group-base", IK_STRING, F(group_base), "", 0, 0, NULL, K_LDAP, NULL,
	  "groups search: where groups are searched (subtree)." },
	{ "group-filter", IK_STRING, F(group_filter), "(member=%D)", 0, 0, NULL, K_LDAP,
	  check_group_filter,
	  "groups search: %D stands for the person's DN, %s for the login, both escaped." },
	{ "server-url", IK_STRING, F(server_url), "", 0, 0, NULL, K_CAS, check_https,
	  "cas: the CAS server, https://HOST[:PORT]/PATH/ (its login and p3/serviceValidate are "
	  "under it). Write a name the certificate holds." },
	{ "service-url", IK_STRING, F(service_url), "", 0, 0, NULL, K_CAS, check_https,
	  "cas: the portal's address the CAS server sends the person back to with a ticket "
	  "(https://portail.college.lan/cas/callback), as registered at the CAS server." },
	/* SAML 2.0: this gateway as a service provider of the identity provider */
	{ "sp-entity-id", IK_STRING, F(sp_entity_id), "", 0, 0, NULL, K_SAML, check_entity_id,
	  "saml: this gateway's entityID, as registered at the identity provider "
	  "(https://portail.college.lan/saml/metadata)." },
	{ "acs-url", IK_STRING, F(acs_url), "", 0, 0, NULL, K_SAML, check_https,
	  "saml: where the identity provider POSTs its answer (https://portail.college.lan/"
	  "saml/acs); an assertion for another Recipient or Destination is refused." },
	{ "sp-key-file", IK_STRING, F(sp_key_file), "", 0, 0, NULL, K_SAML, NULL,
	  "saml: the private key (PEM, unencrypted, readable by the service only) that signs "
	  "this gateway's requests and decrypts the assertions encrypted to it." },
	{ "sp-cert-file", IK_STRING, F(sp_cert_file), "", 0, 0, NULL, K_SAML, NULL,
	  "saml: the certificate (PEM) of sp-key-file, published in this gateway's metadata." },
	{ "idp-metadata-file", IK_STRING, F(idp_metadata_file), "", 0, 0, NULL, K_SAML, NULL,
	  "saml: the identity provider's metadata (XML), fetched and checked by you: its "
	  "entityID, its single sign-on URL and the only keys its signatures are checked with." },
	{ "max-skew-s", IK_INT, F(max_skew_s), "60", 0, 300, NULL, K_SAML, NULL,
	  "saml: the seconds by which the identity provider's clock may differ from this "
	  "gateway's on the assertion's times (NotBefore, NotOnOrAfter)." },
};

#undef F
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static char **str_at(struct byod_idsrc *s, const struct id_key *k)
{
	return (char **)((char *)s + k->off);
}

static int *int_at(struct byod_idsrc *s, const struct id_key *k)
{
	return (int *)((char *)s + k->off);
}

static const struct id_key *find_key(const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (!strcmp(keys[i].key, name))
			return &keys[i];
	return NULL;
}

/* check 0: a default, taken as it is (an empty url is "not set" until the
 * source is checked whole) */
static int set_value(struct byod_idsrc *s, const struct id_key *k, const char *v, int check,
		     char *why, size_t len)
{
	char *end, *copy;
	long n;

	switch (k->type) {
	case IK_STRING:
		if (check && k->check && k->check(v, why, len))
			return -EINVAL;
		copy = strdup(v);
		if (!copy) {
			snprintf(why, len, "out of memory");
			return -ENOMEM;
		}
		free(*str_at(s, k));
		*str_at(s, k) = copy;
		return 0;
	case IK_INT:
		errno = 0;
		n = strtol(v, &end, 10);
		if (!v[0] || *end || errno || n < k->min || n > k->max) {
			snprintf(why, len, "'%s' is not a whole number from %ld to %ld", v, k->min,
				 k->max);
			return -EINVAL;
		}
		*int_at(s, k) = (int)n;
		return 0;
	case IK_ENUM:
		for (int i = 0; k->names[i]; i++) {
			if (!strcmp(k->names[i], v)) {
				*int_at(s, k) = i;
				return 0;
			}
		}
		snprintf(why, len, "'%s' is not one of", v);
		for (int i = 0; k->names[i]; i++) {
			size_t used = strlen(why);

			snprintf(why + used, len - used, "%s %s", i ? "," : "", k->names[i]);
		}
		return -EINVAL;
	}
	return -EINVAL;
}

void byod_idsrc_free(struct byod_idsrc *src, size_t n)
{
	if (!src)
		return;
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < NKEYS; k++)
			if (keys[k].type == IK_STRING)
				free(*str_at(&src[i], &keys[k]));
	free(src);
}

int byod_idsrc_copy(struct byod_idsrc **dst, const struct byod_idsrc *src, size_t n)
{
	*dst = NULL;
	if (!n)
		return 0;
	*dst = calloc(n, sizeof(**dst));
	if (!*dst)
		return -ENOMEM;
	memcpy(*dst, src, n * sizeof(*src));
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < NKEYS; k++)
			if (keys[k].type == IK_STRING)
				*str_at(&(*dst)[i], &keys[k]) = NULL;
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < NKEYS; k++) {
			const char *v;

			if (keys[k].type != IK_STRING)
				continue;
			v = *str_at((struct byod_idsrc *)&src[i], &keys[k]);
			if (v && !(*str_at(&(*dst)[i], &keys[k]) = strdup(v))) {
				byod_idsrc_free(*dst, n);
				*dst = NULL;
				return -ENOMEM;
			}
		}
	}
	return 0;
}

const struct byod_idsrc *byod_conf_idsrc(const struct byod_conf *conf, const char *name)
{
	for (size_t i = 0; i < conf->nidsrc; i++)
		if (!strcmp(conf->idsrc[i].name, name))
			return &conf->idsrc[i];
	return NULL;
}

static int name_ok(const char *n)
{
	size_t l = strlen(n);

	if (!l || l >= BYOD_IDSRC_NAME_MAX || n[0] == '-')
		return 0;
	for (size_t i = 0; i < l; i++)
		if (!islower((unsigned char)n[i]) && !isdigit((unsigned char)n[i]) && n[i] != '-')
			return 0;
	return 1;
}

static int at(struct byod_err *err, int code, const char *file, const yaml_node_t *n,
	      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int at(struct byod_err *err, int code, const char *file, const yaml_node_t *n,
	      const char *fmt, ...)
{
	char msg[sizeof(err->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return byod_err_set_at(err, code, file, (int)n->start_mark.line + 1,
			       (int)n->start_mark.column + 1, "%s", msg);
}

static int empty(const char *s)
{
	return !s || !s[0];
}

/* What a source requires as a whole, once every key is read. */
static int check_source(struct byod_idsrc *s, const char *file, const yaml_node_t *n,
			struct byod_err *err)
{
	const char *p = s->name;
	char why[160];

	if (check_left(s, why, sizeof(why)))
		return at(err, EINVAL, file, n, "identity.%s: %s", p, why);
	if (empty(s->roles))
		return at(err, EINVAL, file, n, "identity.%s.roles is required: without it no "
			  "one of this source has a role", p);
	if (empty(s->school_attr) == empty(s->school))
		return at(err, EINVAL, file, n, "identity.%s.school-attribute or identity.%s.school "
			  "is required, and only one of them", p, p);
	if (!empty(s->class_attr) && !empty(s->class_group_base))
		return at(err, EINVAL, file, n, "identity.%s.class-attribute and "
			  "identity.%s.class-group-base: only one of them", p, p);
	if (empty(s->login_attr))
		return at(err, EINVAL, file, n, "identity.%s.login-attribute is required", p);
	if (s->kind == BYOD_IDSRC_CAS) {
		if (empty(s->server_url) || empty(s->service_url))
			return at(err, EINVAL, file, n, "identity.%s.server-url and "
				  "identity.%s.service-url are required for a cas source", p, p);
		if (empty(s->ca_file))
			return at(err, EINVAL, file, n, "identity.%s.ca-file is required: the CAS "
				  "server's certificate is always checked", p);
		return 0;
	}
	if (s->kind == BYOD_IDSRC_SAML) {
		if (empty(s->sp_entity_id) || empty(s->acs_url))
			return at(err, EINVAL, file, n, "identity.%s.sp-entity-id and "
				  "identity.%s.acs-url are required for a saml source", p, p);
		if (empty(s->sp_key_file) || empty(s->sp_cert_file))
			return at(err, EINVAL, file, n, "identity.%s.sp-key-file and "
				  "identity.%s.sp-cert-file are required: requests are always "
				  "signed", p, p);
		if (empty(s->idp_metadata_file))
			return at(err, EINVAL, file, n, "identity.%s.idp-metadata-file is required: "
				  "the identity provider's signatures are always checked", p);
		return 0;
	}
	if (empty(s->url))
		return at(err, EINVAL, file, n, "identity.%s.url is required", p);
	if (empty(s->ca_file))
		return at(err, EINVAL, file, n, "identity.%s.ca-file is required: the directory's "
			  "certificate is always checked", p);
	if (s->bind == BYOD_IDSRC_BIND_USER && empty(s->user_dn))
		return at(err, EINVAL, file, n, "identity.%s.user-dn is required with bind: user",
			  p);
	if (s->bind == BYOD_IDSRC_BIND_SEARCH) {
		if (empty(s->base_dn))
			return at(err, EINVAL, file, n, "identity.%s.base-dn is required with bind: "
				  "search", p);
		if (empty(s->service_dn) || empty(s->service_password_file))
			return at(err, EINVAL, file, n, "identity.%s.service-dn and "
				  "identity.%s.service-password-file are required with bind: search",
				  p, p);
	}
	if (s->groups == BYOD_IDSRC_GROUPS_SEARCH && empty(s->group_base))
		return at(err, EINVAL, file, n, "identity.%s.group-base is required with groups: "
			  "search", p);
	if (s->groups == BYOD_IDSRC_GROUPS_NONE && (empty(s->role_attr) ||
						    !empty(s->class_group_base)))
		return at(err, EINVAL, file, n, "identity.%s.groups: none leaves no group for the "
			  "role or the class to come from (role-attribute, class-attribute)", p);
	return 0;
}

static int read_source(struct byod_idsrc *s, yaml_document_t *doc, yaml_node_t *map,
		       const char *file, struct byod_err *err)
{
	unsigned char seen[NKEYS] = { 0 };
	char why[512];
	yaml_node_pair_t *pair;
	int rc;

	for (size_t i = 0; i < NKEYS; i++) {
		rc = set_value(s, &keys[i], keys[i].def, 0, why, sizeof(why));
		if (rc)
			return byod_err_set(err, -rc, "%s", why);
	}
	/* the kind first: the other keys are checked against it */
	for (int pass = 0; pass < 2; pass++) {
		for (pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top;
		     pair++) {
			yaml_node_t *kn = yaml_document_get_node(doc, pair->key);
			yaml_node_t *vn = yaml_document_get_node(doc, pair->value);
			const struct id_key *k;
			const char *name;

			if (!kn || !vn || kn->type != YAML_SCALAR_NODE)
				return at(err, EINVAL, file, kn ? kn : map,
					  "a key must be a plain name");
			name = (const char *)kn->data.scalar.value;
			if ((pass == 0) != !strcmp(name, "kind"))
				continue;
			k = find_key(name);
			if (!k)
				return at(err, ENOENT, file, kn, "unknown configuration key "
					  "'identity.%s.%s'", s->name, name);
			if (seen[k - keys])
				return at(err, EEXIST, file, kn, "'identity.%s.%s' is set twice",
					  s->name, name);
			seen[k - keys] = 1;
			if (!(k->kinds & (1u << s->kind)))
				return at(err, EINVAL, file, kn, "identity.%s.%s does not apply to "
					  "a %s source", s->name, name, kinds[s->kind]);
			if (vn->type != YAML_SCALAR_NODE)
				return at(err, EINVAL, file, vn, "identity.%s.%s takes a single "
					  "value, not a list", s->name, name);
			rc = set_value(s, k, (const char *)vn->data.scalar.value, 1, why,
				       sizeof(why));
			if (rc)
				return at(err, -rc, file, vn, "identity.%s.%s: %s", s->name, name,
					  why);
		}
	}
	return check_source(s, file, map, err);
}

int byod_conf_identity_read(struct byod_conf *conf, yaml_document_t *doc, yaml_node_t *node,
			    const char *file, struct byod_err *err)
{
	yaml_node_pair_t *pair;
	int rc;

	if (node->type != YAML_MAPPING_NODE)
		return at(err, EINVAL, file, node, "identity is a mapping of named sources "
			  "(identity: { college: { kind: ldap, ... } })");
	for (pair = node->data.mapping.pairs.start; pair < node->data.mapping.pairs.top; pair++) {
		yaml_node_t *kn = yaml_document_get_node(doc, pair->key);
		yaml_node_t *vn = yaml_document_get_node(doc, pair->value);
		struct byod_idsrc *grown, *s;
		const char *name;

		if (!kn || !vn || kn->type != YAML_SCALAR_NODE)
			return at(err, EINVAL, file, kn ? kn : node, "a source's name must be a "
				  "plain name");
		name = (const char *)kn->data.scalar.value;
		if (!name_ok(name))
			return at(err, EINVAL, file, kn, "identity.%s: a source's name is 1 to %d "
				  "small letters, digits and '-'", name, BYOD_IDSRC_NAME_MAX - 1);
		if (byod_conf_idsrc(conf, name))
			return at(err, EEXIST, file, kn, "identity.%s is declared twice", name);
		if (vn->type != YAML_MAPPING_NODE)
			return at(err, EINVAL, file, vn, "identity.%s is a mapping of keys (kind, "
				  "url, ...)", name);
		if (conf->nidsrc == BYOD_IDSRC_MAX)
			return at(err, E2BIG, file, kn, "identity.%s: at most %d sources", name,
				  BYOD_IDSRC_MAX);
		grown = realloc(conf->idsrc, (conf->nidsrc + 1) * sizeof(*grown));
		if (!grown)
			return byod_err_set(err, ENOMEM, "out of memory");
		conf->idsrc = grown;
		s = &grown[conf->nidsrc++];
		memset(s, 0, sizeof(*s));
		snprintf(s->name, sizeof(s->name), "%s", name);
		s->line = (int)kn->start_mark.line + 1;
		rc = read_source(s, doc, vn, file, err);
		if (rc)
			return rc;
	}
	return 0;
}

void byod_conf_identity_write(struct byod_buf *b, int *rc)
{
	byod_buf_putf(b, rc,
		      "\n# Identity sources: people sign in with the account the school's directory\n"
		      "# gives them, besides local accounts. Several may be named; each key below\n"
		      "# with its default (README: \"Signing in through the school's directory\").\n"
		      "#identity:\n"
		      "#  college:\n");
	for (size_t i = 0; i < NKEYS; i++) {
		const struct id_key *k = &keys[i];

		byod_buf_putf(b, rc, "#    # %s\n#    %s: ", k->help, k->key);
		if (k->type == IK_INT)
			byod_buf_putf(b, rc, "%s\n", k->def);
		else
			byod_buf_putf(b, rc, "\"%s\"\n", k->def);
	}
}
