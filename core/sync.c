// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The rentrée sync: the year's export from the ENT (the CSV forms the
 * import reads) set against the registry. It is the import's plan
 * (import.c: arrivals, class changes, other changes, every problem of the
 * file with its line) plus the departures: the active people of the
 * schools the file covers, in the roles it contains, who are not in it. A
 * file of pupils never touches teachers, a file of one school never
 * another, and an administrator's scope bounds both. The commit goes
 * through the import's own (one transaction, the same -ESTALE when the
 * registry moved since the plan shown), with the departures written in the
 * same transaction: a leaving date, or, when that date has come, the
 * account disabled and its devices revoked.
 */
#include "byod.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "byod_util.h"
#include "import_int.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

struct walk {
	struct byod_sync_plan *sp;
	const char **logins; /* the file's, sorted */
	size_t nlogins;
	size_t cap;
	int oom;
};

static int visit_school_person(const struct reg_person *p, void *arg)
{
	struct walk *w = arg;
	struct byod_sync_plan *sp = w->sp;
	const char *key = p->login;
	struct reg_person *d;

	if (p->state != REG_PERSON_ACTIVE || !(sp->roles & (1u << p->role)))
		return 0;
	if (w->nlogins && bsearch(&key, w->logins, w->nlogins, sizeof(*w->logins), cmp_str))
		return 0;
	d = BYOD_ARRAY_PUSH(sp->departures, sp->ndepartures, w->cap);
	if (!d) {
		w->oom = 1;
		return -ENOMEM;
	}
	*d = *p;
	explicit_bzero(d->password_hash, sizeof(d->password_hash));
	return 0;
}

/* The schools of the file's good rows, sorted, space-separated. */
static int file_schools(const struct byod_import_plan *ip, char *out, size_t len)
{
	const char **v;
	size_t i, n = 0, off = 0;
	int rc = 0;

	out[0] = '\0';
	if (!ip->nitems)
		return 0;
	v = calloc(ip->nitems, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < ip->nitems; i++)
		if (ip->items[i].after.school[0])
			v[n++] = ip->items[i].after.school;
	qsort(v, n, sizeof(*v), cmp_str);
	for (i = 0; i < n && !rc; i++) {
		if (i && !strcmp(v[i], v[i - 1]))
			continue;
		if (off + strlen(v[i]) + 2 > len)
			rc = -ENAMETOOLONG;
		else
			off += (size_t)snprintf(out + off, len - off, "%s%s", off ? " " : "", v[i]);
	}
	free(v);
	return rc;
}

static void dig_str(EVP_MD_CTX *md, const char *s)
{
	EVP_DigestUpdate(md, s, strlen(s) + 1);
}

static void dig_int(EVP_MD_CTX *md, long long v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%lld", v);
	dig_str(md, buf);
}

/* The import's digest, the leaving dates of its accounts (a return
 * cancels one), and every departure as read. */
static int sync_digest(struct byod_sync_plan *sp, const struct byod_import_plan *ip)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned int n = 32;
	size_t i;
	int rc = 0;

	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		rc = -ENOMEM;
		goto out;
	}
	EVP_DigestUpdate(md, ip->digest, sizeof(ip->digest));
	for (i = 0; i < ip->nitems; i++)
		dig_int(md, (long long)ip->items[i].before.leaves_at);
	dig_int(md, (long long)sp->ndepartures);
	for (i = 0; i < sp->ndepartures; i++) {
		const struct reg_person *p = &sp->departures[i];

		dig_int(md, p->id);
		dig_str(md, p->login);
		dig_int(md, p->role);
		dig_str(md, p->school);
		dig_str(md, p->groups);
		dig_int(md, p->state);
		dig_int(md, (long long)p->leaves_at);
	}
	if (!EVP_DigestFinal_ex(md, sp->digest, &n))
		rc = -EIO;
out:
	EVP_MD_CTX_free(md);
	return rc;
}

/* Fills sp (its import left as it is) from the import's plan ip. */
static int sync_from_import(struct reg *reg, const struct byod_import_plan *ip,
			    struct byod_sync_plan *sp, struct byod_err *err)
{
	struct walk w = {.sp = sp};
	char schools[REG_GROUPS_MAX], *tok, *save = NULL;
	size_t i;
	int rc = 0;

	for (i = 0; i < ip->nitems; i++) {
		const struct byod_import_item *it = &ip->items[i];

		sp->roles |= 1u << it->after.role;
		if (it->kind == BYOD_IMPORT_ADD)
			sp->arrivals++;
		if (it->kind == BYOD_IMPORT_UPDATE && (it->changes & BYOD_IMPORT_GROUPS))
			sp->class_changes++;
		if (it->kind == BYOD_IMPORT_UPDATE && (it->changes & ~BYOD_IMPORT_GROUPS))
			sp->other_changes++;
		if (it->kind != BYOD_IMPORT_ADD && it->before.leaves_at)
			sp->returns++;
	}
	if (file_schools(ip, sp->schools, sizeof(sp->schools)))
		return byod_err_set(err, ENAMETOOLONG, "the file covers too many schools");
	/* a file with a problem is not written: no departure is worked out
	 * from rows that may be missing */
	if (!ip->nproblems && !ip->more && sp->schools[0]) {
		w.logins = calloc(ip->nitems, sizeof(*w.logins));
		if (!w.logins)
			return byod_err_set(err, ENOMEM, "out of memory");
		for (i = 0; i < ip->nitems; i++)
			w.logins[w.nlogins++] = ip->items[i].after.login;
		qsort(w.logins, w.nlogins, sizeof(*w.logins), cmp_str);
		snprintf(schools, sizeof(schools), "%s", sp->schools);
		for (tok = strtok_r(schools, " ", &save); tok && !rc;
		     tok = strtok_r(NULL, " ", &save))
			rc = reg_person_list_school(reg, tok, visit_school_person, &w, err);
		free(w.logins);
		if (w.oom)
			return byod_err_set(err, ENOMEM, "out of memory");
		if (rc)
			return rc;
	}
	rc = sync_digest(sp, ip);
	if (rc)
		return byod_err_set(err, -rc, "cannot compute the sync's digest");
	return 0;
}

void byod_sync_plan_free(struct byod_sync_plan *plan)
{
	if (!plan)
		return;
	byod_import_plan_free(plan->import);
	free(plan->departures);
	free(plan);
}

int byod_sync_plan(struct reg *reg, const struct reg_scope *scope, const char *name,
		   const void *data, size_t len, struct byod_sync_plan **out, struct byod_err *err)
{
	struct byod_sync_plan *sp = calloc(1, sizeof(*sp));
	int rc;

	*out = NULL;
	if (!sp)
		return byod_err_set(err, ENOMEM, "out of memory");
	if (!reg) {
		rc = byod_err_set(err, EINVAL, "a sync needs the registry");
		goto out;
	}
	rc = byod_import_plan(reg, scope, name, data, len, &sp->import, err);
	if (!rc)
		rc = sync_from_import(reg, sp->import, sp, err);
out:
	if (rc)
		byod_sync_plan_free(sp);
	else
		*out = sp;
	return rc;
}

/* ---- the commit ------------------------------------------------------------ */

struct commit {
	struct byod_ctx *ctx;
	const unsigned char *expect;
	time_t leave_at, now;
	struct byod_sync_plan sp; /* sp.import unused: the import's own plan */
	struct byod_sync_result *res;
};

static int planned(struct reg *reg, const struct byod_import_plan *pl, void *arg,
		   struct byod_err *err)
{
	struct commit *c = arg;
	int rc;

	rc = sync_from_import(reg, pl, &c->sp, err);
	if (rc)
		return rc;
	if (c->expect && memcmp(c->expect, c->sp.digest, sizeof(c->sp.digest)))
		return byod_err_set(err, ESTALE,
				    "the registry changed since the preview: the sync would not "
				    "do what it showed");
	if (c->sp.ndepartures && !c->leave_at)
		return byod_err_set(err, EINVAL,
				    "%zu people leave: a leaving date is needed (--leave-date)",
				    c->sp.ndepartures);
	return 0;
}

/* A departure as the plan read it, and as it is now: the same? */
static int same_departure(const struct reg_person *a, const struct reg_person *b)
{
	return a->id == b->id && a->role == b->role && a->state == b->state &&
	       !strcmp(a->school, b->school) && a->leaves_at == b->leaves_at;
}

static int in_tx(struct reg *reg, const struct byod_import_plan *pl, void *arg,
		 struct byod_err *err)
{
	struct commit *c = arg;
	struct reg_person now;
	size_t i;
	int rc = 0, devices;

	for (i = 0; i < pl->nitems && !rc; i++) {
		const struct byod_import_item *it = &pl->items[i];

		if (it->kind != BYOD_IMPORT_ADD && it->before.leaves_at)
			rc = reg_person_set_leaves_at(reg, it->after.login, 0, err);
	}
	for (i = 0; i < c->sp.ndepartures && !rc; i++) {
		const struct reg_person *d = &c->sp.departures[i];

		rc = reg_person_get(reg, d->login, &now, err);
		explicit_bzero(now.password_hash, sizeof(now.password_hash));
		if (rc)
			break;
		if (!same_departure(d, &now)) {
			rc = byod_err_set(err, ESTALE, "the account '%s' changed since the preview",
					  d->login);
			break;
		}
		rc = reg_person_set_leaves_at(reg, d->login, c->leave_at, err);
		if (rc)
			break;
		if (c->leave_at > c->now) {
			c->res->leaving++;
			continue;
		}
		rc = byod_person_depart_in_tx(c->ctx, d->login, &devices, err);
		if (!rc) {
			c->res->left++;
			c->res->devices += devices;
		}
	}
	return rc;
}

int byod_sync_commit(struct byod_ctx *ctx, const struct reg_scope *scope, const char *name,
		     const void *data, size_t len, const unsigned char expect[32], time_t leave_at,
		     time_t now, struct byod_sync_result *res, struct byod_err *err)
{
	struct byod_sync_result local;
	struct commit c = {.ctx = ctx, .expect = expect, .leave_at = leave_at, .now = now};
	struct byod_import_hook hook = {.planned = planned, .in_tx = in_tx, .arg = &c};
	struct byod_import_result ir;
	int rc;

	c.res = res ? res : &local;
	memset(c.res, 0, sizeof(*c.res));
	if (leave_at < 0)
		return byod_err_set(err, EINVAL, "a leaving date before 1970 is not a date");
	rc = byod_import_commit_hooked(ctx->reg, scope, ctx->conf.auth_yescrypt_cost, name, data,
				       len, NULL, &hook, &ir, err);
	free(c.sp.departures);
	if (rc) {
		memset(c.res, 0, sizeof(*c.res));
		return rc;
	}
	c.res->added = ir.added;
	c.res->updated = ir.updated;
	if (c.res->devices) {
		rc = byod_crl_publish(ctx, NULL, err);
		if (rc)
			byod_err_prefix(err, "%d devices revoked, but the CRL was not reissued: ",
					c.res->devices);
	}
	return rc;
}
