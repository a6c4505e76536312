// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * From a source's answer to a person in the registry: the mapping of the
 * source's attributes and groups to a login, a role, a school and classes
 * (byod_idsrc.h), then the person created or updated just in time through
 * the registry's own person functions (reg_person_add, reg_person_update:
 * the same writes, checks, audit and change feed as the CSV import and the
 * rentrée sync), with an audit entry naming the source, in one transaction.
 * Whatever is refused is audited and writes nothing else.
 */
#include "identity.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "byod_util.h"

/* ---- what a source said ---- */

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
	void *p;
	size_t c;

	if (n < *cap)
		return 0;
	c = *cap ? *cap * 2 : 8;
	p = realloc(*v, c * size);
	if (!p)
		return -ENOMEM;
	*v = p;
	*cap = c;
	return 0;
}

int ident_attrs_add(struct ident_attrs *a, const char *name, const char *value)
{
	char *v = strdup(value), *n = NULL;

	if (!v || (name && !(n = strdup(name))))
		goto oom;
	if (!name) {
		if (grow((void **)&a->groups, &a->gcap, a->ngroups, sizeof(*a->groups)))
			goto oom;
		a->groups[a->ngroups++] = v;
		return 0;
	}
	if (grow((void **)&a->v, &a->cap, a->n, sizeof(*a->v)))
		goto oom;
	a->v[a->n].name = n;
	a->v[a->n++].value = v;
	return 0;
oom:
	free(v);
	free(n);
	return -ENOMEM;
}

const char *ident_attrs_get(const struct ident_attrs *a, const char *name, size_t i)
{
	for (size_t k = 0; k < a->n; k++)
		if (!strcasecmp(a->v[k].name, name) && i-- == 0)
			return a->v[k].value;
	return NULL;
}

void ident_attrs_free(struct ident_attrs *a)
{
	for (size_t k = 0; k < a->n; k++) {
		free(a->v[k].name);
		free(a->v[k].value);
	}
	for (size_t k = 0; k < a->ngroups; k++)
		free(a->groups[k]);
	free(a->v);
	free(a->groups);
	memset(a, 0, sizeof(*a));
}

/* ---- the mapping ---- */

/* A group's CN ("3A" of "cn=3A,ou=groups,..."), and the DN it is directly
 * under, or the group itself when it is a plain name. 1 when the CN did not
 * fit len (cut: no name of ours), else 0. */
static int group_split(const char *g, char *cn, size_t len, const char **parent)
{
	const char *v = g, *end;
	int n;

	*parent = "";
	if (!strncasecmp(g, "cn=", 3))
		v = g + 3;
	for (end = v; *end && *end != ','; end++)
		if (*end == '\\' && end[1])
			end++;
	n = snprintf(cn, len, "%.*s", (int)(end - v), v);
	if (*end == ',' && v != g)
		*parent = end + 1;
	else
		n = snprintf(cn, len, "%s", g);
	return n < 0 || (size_t)n >= len;
}

/* The same DN, as far as we need: without case and spaces after commas. */
static int dn_eq(const char *a, const char *b)
{
	while (*a && *b) {
		if (*a == ',' && *b == ',') {
			a++, b++;
			while (*a == ' ')
				a++;
			while (*b == ' ')
				b++;
			continue;
		}
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return 0;
		a++, b++;
	}
	return !*a && !*b;
}

/* Appends a class to the space-separated list; a value with a space or a
 * control byte in it is no class name of ours and is left out. */
static int add_class(char *list, size_t len, const char *c)
{
	size_t n = strlen(list), l = strlen(c);

	if (!l)
		return 0;
	for (size_t i = 0; i < l; i++)
		if ((unsigned char)c[i] <= ' ' || c[i] == 0x7f)
			return 0;
	if (n + l + 1 >= len)
		return -ENAMETOOLONG;
	snprintf(list + n, len - n, "%s%s", n ? " " : "", c);
	return 0;
}

static int refuse(const struct byod_idsrc *s, struct byod_err *err, const char *why)
{
	return byod_err_set(err, EPERM, "identity source '%s': %s", s->name, why);
}

/* A class that does not fit the registry's group field, alone or with the
 * others: said with its beginning, never cut and stored as another. */
static int too_long(const struct byod_idsrc *s, struct byod_err *err, const char *c)
{
	return byod_err_set(err, EPERM, "identity source '%s': the class '%.40s%s' (%zu bytes) "
			    "does not fit the registry's group field (%d bytes for all of a "
			    "person's classes)", s->name, c, strlen(c) > 40 ? "..." : "", strlen(c),
			    REG_GROUPS_MAX - 1);
}

/* 1 when value is one of the source's left-values ("&N": its bit N set). */
static int left_value(const struct byod_idsrc *s, const char *value)
{
	char item[256];

	for (size_t i = 0; byod_idsrc_left_value(s->left_values, i, item, sizeof(item)) > 0; i++) {
		if (item[0] == '&') {
			char *end;
			unsigned long long bit = strtoull(item + 1, &end, 10), v;

			errno = 0;
			v = strtoull(value, &end, 0);
			if (!errno && end != value && !*end && (v & bit))
				return 1;
		} else if (!strcasecmp(item, value)) {
			return 1;
		}
	}
	return 0;
}

int ident_left(const struct byod_idsrc *s, const struct ident_attrs *a)
{
	const char *v;

	if (!s->left_attr || !s->left_attr[0])
		return 0;
	for (size_t i = 0; (v = ident_attrs_get(a, s->left_attr, i)); i++)
		if (left_value(s, v))
			return 1;
	return 0;
}

int ident_map(const struct byod_idsrc *s, const struct ident_attrs *a, struct ident_person *out,
	      struct byod_err *err)
{
	const char *v;
	int best = -1, best_pos = 0, pos, r;

	memset(out, 0, sizeof(*out));
	v = ident_attrs_get(a, s->login_attr, 0);
	if (!v || !ident_login_ok(v))
		return refuse(s, err, "the answer has no login the registry can hold");
	snprintf(out->login, sizeof(out->login), "%s", v);
	/* the registry's logins are lowercase (byod_login_normalise): a
	 * directory's "JDupont" is the local account jdupont, not a second one
	 * beside it that the local-account check would never see */
	for (char *c = out->login; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	v = s->name_attr[0] ? ident_attrs_get(a, s->name_attr, 0) : NULL;
	snprintf(out->display_name, sizeof(out->display_name), "%s", v ? v : out->login);
	if (ident_left(s, a)) {
		/* no role nor class is needed to leave; the school, when given,
		 * keeps the departure to this school's account */
		out->left = 1;
		v = s->school[0] ? s->school : ident_attrs_get(a, s->school_attr, 0);
		if (v && !byod_uai_check(v, NULL))
			snprintf(out->school, sizeof(out->school), "%s", v);
		return 0;
	}

	/* the role: the first in roles of those the person has */
	if (s->role_attr[0]) {
		for (size_t i = 0; (v = ident_attrs_get(a, s->role_attr, i)); i++) {
			r = byod_idsrc_role(s->roles, v, &pos);
			if (r >= 0 && (best < 0 || pos < best_pos))
				best = r, best_pos = pos;
		}
	} else {
		for (size_t i = 0; i < a->ngroups; i++) {
			char cn[256];
			const char *parent;

			/* a CN cut to fit is no CN of the roles: the whole DN only */
			int cut = group_split(a->groups[i], cn, sizeof(cn), &parent);

			r = byod_idsrc_role(s->roles, a->groups[i], &pos);
			if (r < 0 && !cut)
				r = byod_idsrc_role(s->roles, cn, &pos);
			if (r >= 0 && (best < 0 || pos < best_pos))
				best = r, best_pos = pos;
		}
	}
	if (best < 0)
		return refuse(s, err, "the answer has no role of the source's roles");
	out->role = (enum byod_role)best;

	/* the school */
	v = s->school[0] ? s->school : ident_attrs_get(a, s->school_attr, 0);
	if (!v || !v[0])
		return refuse(s, err, "the answer has no school (UAI)");
	if (byod_uai_check(v, NULL))
		return refuse(s, err, "the answer's school is not a UAI");
	snprintf(out->school, sizeof(out->school), "%s", v);

	/* the classes */
	if (s->class_attr[0]) {
		for (size_t i = 0; (v = ident_attrs_get(a, s->class_attr, i)); i++)
			if (add_class(out->groups, sizeof(out->groups), v))
				return too_long(s, err, v);
	} else if (s->class_group_base[0]) {
		for (size_t i = 0; i < a->ngroups; i++) {
			char cn[REG_GROUPS_MAX];
			const char *parent;
			int cut = group_split(a->groups[i], cn, sizeof(cn), &parent);

			if (!dn_eq(parent, s->class_group_base) ||
			    byod_idsrc_role(s->roles, a->groups[i], NULL) >= 0 ||
			    (!cut && byod_idsrc_role(s->roles, cn, NULL) >= 0))
				continue;
			if (cut || add_class(out->groups, sizeof(out->groups), cn))
				return too_long(s, err, cut ? a->groups[i] : cn);
		}
	}
	return 0;
}

/* ---- the audit ---- */

static char *audit_json(const struct byod_idsrc *s, const char *reason,
			const struct ident_person *p)
{
	json_t *o = json_pack("{s:s}", "source", s->name);
	char *txt = NULL;

	if (!o)
		return NULL;
	if (reason)
		json_object_set_new(o, "reason", json_string(reason));
	if (p) {
		json_object_set_new(o, "role", json_string(byod_role_name(p->role)));
		json_object_set_new(o, "school", json_string(p->school));
		json_object_set_new(o, "groups", json_string(p->groups));
	}
	txt = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return txt;
}

/* "identity.refused" for login (written only when it is a login at all). */
static void audit_refusal(struct reg *reg, const struct byod_idsrc *s, const char *login,
			  const char *school, const struct byod_err *why)
{
	char *after = audit_json(s, why->msg, NULL);

	reg_audit_add_school(reg, school ? school : "", "identity.refused",
			     ident_login_ok(login) ? login : "(not a login)", NULL, after, NULL);
	free(after);
}

/* ---- just-in-time people ---- */

/* ---- a person the source says has left ---- */

struct serials {
	char (*v)[REG_SERIAL_MAX];
	size_t n, cap;
};

static int collect_live(const struct reg_device *d, void *arg)
{
	struct serials *ids = arg;

	if (d->state != BYOD_DEVICE_ACTIVE && d->state != BYOD_DEVICE_SUSPENDED)
		return 0;
	if (grow((void **)&ids->v, &ids->cap, ids->n, sizeof(*ids->v)))
		return -ENOMEM;
	snprintf(ids->v[ids->n++], sizeof(*ids->v), "%s", d->id);
	return 0;
}

static int collect_valid(const struct reg_cert *c, void *arg)
{
	struct serials *sn = arg;

	if (c->state != REG_CERT_VALID)
		return 0;
	if (grow((void **)&sn->v, &sn->cap, sn->n, sizeof(*sn->v)))
		return -ENOMEM;
	snprintf(sn->v[sn->n++], sizeof(*sn->v), "%s", c->serial);
	return 0;
}

/*
 * The departure of login inside the caller's transaction, with the writes
 * of core's byod_person_depart_in_tx (departures.c), which this library
 * (beside core, not above it: it is handed a registry, not a context)
 * cannot call: each live device revoked with its valid certificates
 * (affiliationChanged), the account disabled. *devices gets how many.
 */
static int depart_in_tx(struct reg *reg, const char *login, int *devices, struct byod_err *err)
{
	struct reg_device_filter f = { .owner_login = login, .state = -1, .school = NULL };
	struct serials live = { 0 }, certs = { 0 };
	time_t now = time(NULL);
	int rc;

	*devices = 0;
	rc = reg_device_list(reg, &f, collect_live, &live, err);
	for (size_t i = 0; !rc && i < live.n; i++) {
		certs.n = 0;
		rc = reg_cert_list_for_device(reg, live.v[i], collect_valid, &certs, err);
		if (!rc)
			rc = reg_device_set_state(reg, live.v[i], BYOD_DEVICE_REVOKED, err);
		for (size_t k = 0; !rc && k < certs.n; k++)
			rc = reg_cert_revoke(reg, certs.v[k], REG_REASON_AFFILIATION_CHANGED, now,
					     err);
	}
	if (rc == -ENOMEM)
		byod_err_set(err, ENOMEM, "out of memory");
	if (!rc)
		rc = reg_person_set_state(reg, login, REG_PERSON_DISABLED, err);
	if (!rc)
		*devices = (int)live.n;
	free(live.v);
	free(certs.v);
	return rc;
}

/* The sign-in of someone the source says has left: their account's
 * departure, when it is one this source may end (no password of its own,
 * of the answer's school, still active), in one transaction with its
 * "person.left" row; then the refusal. */
static int leave(struct reg *reg, const struct byod_idsrc *s, const struct ident_person *p,
		 struct byod_err *err)
{
	struct reg_person stored;
	char after[160];
	int rc, devices = 0;

	rc = reg_begin(reg, err);
	if (rc)
		return rc;
	rc = reg_person_get(reg, p->login, &stored, NULL);
	if (rc == -ENOENT) {
		rc = 0;
		goto out; /* nobody to end, nobody created */
	}
	if (rc) {
		rc = byod_err_set(err, -rc, "cannot read the account '%s'", p->login);
		goto out;
	}
	/* a local account is not this source's to end, nor another school's, nor
	 * another source's person (an imported one, of no source yet, is) */
	/* with no school in the answer (a leaver's UAI is often cleared), only
	 * this source's own person: an imported one could be another school's */
	if (stored.password_hash[0] || stored.state != REG_PERSON_ACTIVE ||
	    (p->school[0] && strcmp(stored.school, p->school)) ||
	    (!p->school[0] && strcmp(stored.source, s->name)) ||
	    (stored.source[0] && strcmp(stored.source, s->name)))
		goto out;
	rc = depart_in_tx(reg, p->login, &devices, err);
	if (!rc) {
		json_t *o = json_pack("{s:s, s:i, s:s}", "source", s->name, "devices", devices,
				      "reason", "the source says the person has left");
		char *txt = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

		snprintf(after, sizeof(after), "%s", txt ? txt : "{}");
		free(txt);
		json_decref(o);
		rc = reg_audit_add_school(reg, stored.school, "person.left", p->login, NULL, after,
					  err);
	}
out:
	explicit_bzero(&stored, sizeof(stored));
	if (!rc)
		rc = reg_commit(reg, err);
	if (rc) {
		reg_rollback(reg);
		return rc;
	}
	return refuse(s, err, "the source says the person has left");
}

/* The registry's refusal of what the mapping made (a value it cannot hold):
 * the answer's fault, refused as the mapping's are (-EPERM, the portal's
 * 403), not a wrong password nor a fault of the gateway's. */
static int held(const struct byod_idsrc *s, int rc, struct byod_err *err)
{
	char why[sizeof(err->msg)];

	if (rc != -EINVAL)
		return rc;
	snprintf(why, sizeof(why), "%s", err->msg);
	return byod_err_set(err, EPERM, "identity source '%s': the registry cannot hold the "
			    "answer: %s", s->name, why);
}

static int sync_once(struct reg *reg, const struct byod_idsrc *s, const struct ident_person *p,
		     struct reg_person *out, struct byod_err *err)
{
	struct reg_person now, want;
	struct reg_school school;
	char *after = NULL;
	int rc, created = 0;

	memset(&want, 0, sizeof(want));
	rc = reg_begin(reg, err);
	if (rc)
		return rc;
	rc = reg_school_get(reg, p->school, &school, NULL);
	if (rc == -ENOENT) {
		rc = refuse(s, err, "the answer's school is not one of the registry's");
		goto out;
	}
	if (rc) {
		rc = byod_err_set(err, -rc, "cannot read the school %s", p->school);
		goto out;
	}
	rc = reg_person_get(reg, p->login, &now, NULL);
	explicit_bzero(now.password_hash, sizeof(now.password_hash));
	if (rc && rc != -ENOENT) {
		rc = byod_err_set(err, -rc, "cannot read the account '%s'", p->login);
		goto out;
	}
	snprintf(want.login, sizeof(want.login), "%s", p->login);
	snprintf(want.display_name, sizeof(want.display_name), "%s", p->display_name);
	want.role = p->role;
	snprintf(want.school, sizeof(want.school), "%s", p->school);
	snprintf(want.groups, sizeof(want.groups), "%s", p->groups);
	/* the source the person came from, or last signed in through: the one
	 * whose directory answers for them (byodctl identity sync) */
	snprintf(want.source, sizeof(want.source), "%s", s->name);
	want.state = REG_PERSON_ACTIVE;
	if (rc == -ENOENT) {
		rc = reg_person_add(reg, &want, err);
		created = 1;
		rc = held(s, rc, err);
	} else {
		struct reg_person stored;

		/* read again with its hash: a local account stays local */
		rc = reg_person_get(reg, p->login, &stored, NULL);
		if (!rc && stored.password_hash[0])
			rc = refuse(s, err, "the login is a local account's, with a password of "
				    "its own");
		else if (!rc && stored.state != REG_PERSON_ACTIVE)
			rc = refuse(s, err, "the account is disabled");
		/* a source never moves someone to another school: the same login in
		 * another collège's directory is another pupil, who would take this
		 * one's devices (moves are the rentrée sync's or an administrator's) */
		else if (!rc && strcmp(stored.school, p->school))
			rc = refuse(s, err, "the login is an account of another school");
		/* nor takes another source's person: the same login in the ENT and
		 * in the school's directory may be two people (a pupil and a
		 * teacher); an imported account, of no source yet, is the first
		 * source's to sign in */
		else if (!rc && stored.source[0] && strcmp(stored.source, s->name))
			rc = refuse(s, err, "the login is another source's person");
		else if (!rc)
			rc = held(s, reg_person_update(reg, &want, err), err);
		explicit_bzero(&stored, sizeof(stored));
	}
	if (rc)
		goto out;
	after = audit_json(s, created ? "created" : "updated", p);
	rc = reg_audit_add_school(reg, p->school, "identity.login", p->login, NULL, after, err);
	if (!rc)
		rc = reg_commit(reg, err);
	if (rc)
		goto out;
	free(after);
	if (out) {
		rc = reg_person_get(reg, p->login, out, err);
		explicit_bzero(out->password_hash, sizeof(out->password_hash));
	}
	return rc;
out:
	reg_rollback(reg);
	free(after);
	return rc;
}

int ident_person_sync(struct reg *reg, const struct byod_idsrc *s, const struct ident_person *p,
		      struct reg_person *out, struct byod_err *err)
{
	int rc;

	if (p->left)
		return leave(reg, s, p, err);
	rc = sync_once(reg, s, p, out, err);
	/* the same person's first sign-in on another node or thread won the add:
	 * this one is an update of what it wrote */
	if (rc == -EEXIST)
		rc = sync_once(reg, s, p, out, err);
	return rc;
}

int ident_login_password(struct reg *reg, const struct byod_idsrc *s, const char *login,
			 const char *password, struct reg_person *out, struct byod_err *err)
{
	struct ident_attrs attrs = { 0 };
	struct ident_person p;
	struct byod_err e;
	int rc;

	if (!err)
		err = &e;
	memset(err, 0, sizeof(*err));
	if (s->kind != BYOD_IDSRC_LDAP)
		return byod_err_set(err, ENOTSUP, "identity source '%s' takes no password", s->name);
	rc = ident_ldap_check(s, login, password, &attrs, err);
	if (!rc)
		rc = ident_map(s, &attrs, &p, err);
	ident_attrs_free(&attrs);
	if (!rc)
		rc = ident_person_sync(reg, s, &p, out, err);
	if (rc)
		audit_refusal(reg, s, login, NULL, err);
	return rc;
}
