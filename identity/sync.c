// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A source's directory against the registry (byodctl identity sync): the
 * people the registry holds from an LDAP source (persons.source) that its
 * directory no longer lists, or lists as left (left-attribute), are given a
 * leaving date now, as the rentrée sync gives its departures one
 * (core/sync.c); the daily job then disables them (core/departures.c).
 *
 * A directory that cannot be read changes nothing, and neither does one
 * that answers too little to be believed: nobody listed at all, or (for a
 * source of 10 people or more in the registry) more than half of the
 * source's active people to leave at once. A wrong base-dn, a filter
 * changed, an ACL that hides the people from the service account all look
 * like a mass departure; a school's real year-end is the rentrée sync's, from
 * its export, not a directory's silence.
 */
#include "identity.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define SYNC_FRACTION_MIN 10 /* registry people below which no fraction is judged */

struct seen {
	char login[REG_LOGIN_MAX];
	int left;
};

struct listing {
	struct seen *v;
	size_t n, cap;
};

static int take(const char *login, int left, void *arg)
{
	struct listing *l = arg;

	if (l->n == l->cap) {
		size_t c = l->cap ? l->cap * 2 : 256;
		struct seen *p = realloc(l->v, c * sizeof(*p));

		if (!p)
			return -ENOMEM;
		l->v = p;
		l->cap = c;
	}
	snprintf(l->v[l->n].login, sizeof(l->v[l->n].login), "%s", login);
	/* the registry's logins are lowercase, as the sign-in makes them */
	for (char *c = l->v[l->n].login; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	l->v[l->n++].left = left;
	return 0;
}

static int by_login(const void *a, const void *b)
{
	return strcmp(((const struct seen *)a)->login, ((const struct seen *)b)->login);
}

struct mine {
	struct ident_sync_item *v;
	size_t n, cap, active;
	const struct listing *dir;
};

static int judge(const struct reg_person *p, void *arg)
{
	struct mine *m = arg;
	struct seen key, *hit;
	const char *why;

	if (p->state != REG_PERSON_ACTIVE)
		return 0;
	m->active++;
	if (p->leaves_at)
		return 0; /* leaving already: the date set stays */
	snprintf(key.login, sizeof(key.login), "%s", p->login);
	hit = bsearch(&key, m->dir->v, m->dir->n, sizeof(*m->dir->v), by_login);
	if (hit && !hit->left)
		return 0;
	why = hit ? "the directory says the person has left" : "no longer in the directory";
	if (m->n == m->cap) {
		size_t c = m->cap ? m->cap * 2 : 64;
		struct ident_sync_item *q = realloc(m->v, c * sizeof(*q));

		if (!q)
			return -ENOMEM;
		m->v = q;
		m->cap = c;
	}
	memset(&m->v[m->n], 0, sizeof(m->v[m->n]));
	snprintf(m->v[m->n].login, sizeof(m->v[m->n].login), "%s", p->login);
	snprintf(m->v[m->n].school, sizeof(m->v[m->n].school), "%s", p->school);
	m->v[m->n++].why = why;
	return 0;
}

static int write_leaving(struct reg *reg, const struct byod_idsrc *s, const struct mine *m,
			 time_t now, struct byod_err *err)
{
	int rc = reg_begin(reg, err);

	for (size_t i = 0; !rc && i < m->n; i++) {
		json_t *o = json_pack("{s:s, s:s}", "source", s->name, "reason", m->v[i].why);
		char *after = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

		rc = reg_person_set_leaves_at(reg, m->v[i].login, now, err);
		if (!rc)
			rc = after ? reg_audit_add_school(reg, m->v[i].school, "identity.leave",
							  m->v[i].login, NULL, after, err)
				   : byod_err_set(err, ENOMEM, "out of memory");
		free(after);
		json_decref(o);
	}
	if (!rc)
		rc = reg_commit(reg, err);
	if (rc)
		reg_rollback(reg);
	return rc;
}

int ident_sync(struct reg *reg, const struct byod_idsrc *s, time_t now, int dry_run,
	       struct ident_sync_result *r, struct byod_err *err)
{
	struct listing dir = { 0 };
	struct mine m = { 0 };
	int rc;

	memset(r, 0, sizeof(*r));
	rc = ident_ldap_list(s, take, &dir, &r->listed, err);
	if (rc == -ENOMEM)
		byod_err_set(err, ENOMEM, "out of memory");
	if (rc)
		goto out;
	if (!dir.n) {
		rc = byod_err_set(err, EPROTO, "identity source '%s': the directory lists nobody "
				  "under %s: nothing changed (check base-dn, filter and the service "
				  "account's rights)", s->name, s->base_dn);
		goto out;
	}
	qsort(dir.v, dir.n, sizeof(*dir.v), by_login);
	m.dir = &dir;
	rc = reg_person_list_source(reg, s->name, NULL, judge, &m, err);
	if (rc == -ENOMEM)
		byod_err_set(err, ENOMEM, "out of memory");
	if (rc)
		goto out;
	r->active = m.active;
	if (m.active >= SYNC_FRACTION_MIN && m.n * 2 > m.active) {
		rc = byod_err_set(err, EPROTO, "identity source '%s': the directory lists %zu "
				  "people, and %zu of the %zu active people of this source would "
				  "leave: more than half, nothing changed (check base-dn, filter and "
				  "the service account's rights; a year's end is the rentrée sync's)",
				  s->name, dir.n, m.n, m.active);
		goto out;
	}
	if (!dry_run && m.n)
		rc = write_leaving(reg, s, &m, now, err);
	if (!rc) {
		r->items = m.v;
		r->n = m.n;
		m.v = NULL;
	}
out:
	free(dir.v);
	free(m.v);
	return rc;
}

void ident_sync_result_free(struct ident_sync_result *r)
{
	free(r->items);
	memset(r, 0, sizeof(*r));
}
