// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The compiled policies of a registry, one per school that runs its own
 * and the département's default for every other school: what a program
 * that decides about devices of several schools (rlm_byod, byod-gatewayd)
 * loads once and asks for each device, by its owner's school. Read-only
 * once loaded, so any number of threads may share it.
 */
#include "byod.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byod_vec.h"

struct school_policy {
	char school[REG_UAI_MAX];
	int64_t version;
	struct pol_policy *pol;
};

struct byod_policies {
	struct school_policy deflt; /* school "" */
	struct school_policy *v;    /* the schools that run their own, by UAI */
	size_t n, cap;
};

struct load {
	struct byod_ctx *ctx;
	struct byod_policies *set;
	struct byod_err *err;
};

/* Compiles stored version into *pol. */
static int compile(struct byod_ctx *ctx, int64_t version, const char *school,
		   struct pol_policy **pol, struct byod_err *err)
{
	struct reg_policy rp;
	struct pol_errors errs;
	char name[80];
	int rc;

	rc = reg_policy_get(ctx->reg, version, &rp, err);
	if (rc)
		return rc;
	if (school[0])
		snprintf(name, sizeof(name), "policy version %lld of %s", (long long)version,
			 school);
	else
		snprintf(name, sizeof(name), "policy version %lld", (long long)version);
	rc = pol_load(name, rp.source, strlen(rp.source), pol, &errs);
	if (rc) {
		/* stored versions checked when applied; a time zone may have gone */
		if (errs.n)
			byod_err_set_at(err, rc, name, errs.v[0].line, errs.v[0].col, "%s",
					errs.v[0].msg);
		else
			byod_err_set(err, rc, "%s does not load", name);
		pol_errors_free(&errs);
	}
	free(rp.source);
	return rc;
}

static int load_one(const struct reg_policy *p, void *arg)
{
	struct load *l = arg;
	struct school_policy *sp;

	if (p->follows_default)
		return 0;
	if (!p->school[0]) {
		sp = &l->set->deflt;
	} else {
		sp = BYOD_ARRAY_PUSH(l->set->v, l->set->n, l->set->cap);
		if (!sp)
			return byod_err_set(l->err, ENOMEM, "out of memory");
	}
	snprintf(sp->school, sizeof(sp->school), "%s", p->school);
	sp->version = p->version;
	return compile(l->ctx, p->version, p->school, &sp->pol, l->err);
}

int byod_policies_load(struct byod_ctx *ctx, struct byod_policies **out, struct byod_err *err)
{
	struct byod_policies *set;
	struct byod_err why;
	struct load l;
	int rc;

	*out = NULL;
	set = calloc(1, sizeof(*set));
	if (!set)
		return byod_err_set(err, ENOMEM, "out of memory");
	l.ctx = ctx;
	l.set = set;
	l.err = err;
	/* one snapshot: a version applied meanwhile is seen whole or not at
	 * all; inside the caller's transaction (-EINVAL), that one */
	rc = reg_begin_read(ctx->reg, &why);
	if (rc == -EINVAL) {
		rc = reg_policy_list_newest(ctx->reg, load_one, &l, err);
		goto out;
	}
	if (rc) {
		if (err)
			*err = why;
		goto out;
	}
	rc = reg_policy_list_newest(ctx->reg, load_one, &l, err);
	if (rc)
		reg_rollback(ctx->reg);
	else
		rc = reg_commit(ctx->reg, err);
out:
	if (rc) {
		byod_policies_free(set);
		return rc;
	}
	*out = set;
	return 0;
}

static const struct school_policy *find(const struct byod_policies *set, const char *school)
{
	size_t i;

	if (!set)
		return NULL;
	/* a handful of schools own theirs: a walk beats a sort */
	for (i = 0; school && school[0] && i < set->n; i++)
		if (!strcmp(set->v[i].school, school))
			return &set->v[i];
	return &set->deflt;
}

const struct pol_policy *byod_policies_for(const struct byod_policies *set, const char *school)
{
	const struct school_policy *sp = find(set, school);

	return sp ? sp->pol : NULL;
}

int64_t byod_policies_version(const struct byod_policies *set, const char *school)
{
	const struct school_policy *sp = find(set, school);

	return sp && sp->pol ? sp->version : 0;
}

void byod_policies_free(struct byod_policies *set)
{
	size_t i;

	if (!set)
		return;
	pol_free(set->deflt.pol);
	for (i = 0; i < set->n; i++)
		pol_free(set->v[i].pol);
	free(set->v);
	free(set);
}
