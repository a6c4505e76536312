// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Versions of the segment policy in the registry. Each apply (and each
 * rollback, which re-applies an old text) is a new numbered version with its
 * author and time; none is ever changed or deleted. The département's
 * default (school "") and each school's own are kept side by side: a
 * school's newest version is its running policy unless that version hands
 * it back to the default, and a school with none runs the default. The
 * registry stores text: checking it is the caller's (core/ refuses a policy
 * that does not load before it gets here).
 */
#include "registry.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "byod_util.h"
#include "byod_vec.h"
#include "reg_internal.h"


static json_t *policy_json(const void *obj)
{
	const struct reg_policy *p = obj;

	json_t *j = json_pack("{s:I, s:s, s:s, s:i}", "version", (json_int_t)p->version, "file",
			      p->file, "comment", p->comment, "bytes",
			      (int)(p->source ? strlen(p->source) : 0));

	/* the default's rows stay as they were before schools had their own */
	if (j && p->school[0]) {
		json_object_set_new(j, "school", json_string(p->school));
		json_object_set_new(j, "follows_default", json_boolean(p->follows_default));
	}
	return j;
}

static int check_school(struct reg *reg, const char *school, struct byod_err *err)
{
	struct reg_school s;
	int rc;

	if (!school)
		return byod_err_set(err, EINVAL, "no school given");
	if (!school[0])
		return 0;
	if (strlen(school) >= REG_UAI_MAX || byod_uai_check(school, NULL))
		return byod_err_set(err, EINVAL, "'%.20s' is not a UAI (7 digits and a letter)",
				    school);
	rc = OPS(reg)->school_get(reg->be, school, &s, err);
	if (rc == -ENOENT)
		rc = byod_err_set(err, ENOENT, "no school %s", school);
	return rc;
}

int reg_policy_add(struct reg *reg, const char *source, const char *file, const char *comment,
		   int64_t *version, struct byod_err *err)
{
	if (!source || !source[0])
		return byod_err_set(err, EINVAL, "an empty policy");
	return reg_policy_add_school(reg, "", source, file, comment, version, err);
}

int reg_policy_add_school(struct reg *reg, const char *school, const char *source,
			  const char *file, const char *comment, int64_t *version,
			  struct byod_err *err)
{
	struct reg_policy p;
	char object[32];
	int rc;

	if (school && !school[0] && !source)
		return byod_err_set(err, EINVAL,
				    "the département's default cannot follow itself: give a policy");
	if (source && !source[0])
		return byod_err_set(err, EINVAL, "an empty policy");
	if ((file && strlen(file) >= sizeof(p.file)) ||
	    (comment && strlen(comment) >= sizeof(p.comment)))
		return byod_err_set(err, ENAMETOOLONG, "the file name or comment is too long");
	rc = check_school(reg, school, err);
	if (rc)
		return rc;
	memset(&p, 0, sizeof(p));
	snprintf(p.school, sizeof(p.school), "%s", school);
	p.follows_default = !source;
	p.created = time(NULL);
	snprintf(p.author, sizeof(p.author), "%s", reg->actor);
	snprintf(p.file, sizeof(p.file), "%s", file ? file : "");
	snprintf(p.comment, sizeof(p.comment), "%s", comment ? comment : "");
	p.source = (char *)(source ? source : "");
	rc = reg_begin(reg, err);
	if (rc)
		return rc;
	rc = OPS(reg)->policy_insert(reg->be, &p, err);
	if (!rc) {
		snprintf(object, sizeof(object), "%lld", (long long)p.version);
		rc = reg_record_school(reg, p.school, "policy.apply", object, policy_json, NULL,
				       &p, err);
	}
	rc = reg_tx_end(reg, rc, 1, err);
	if (!rc && version)
		*version = p.version;
	return rc;
}

int reg_policy_get(struct reg *reg, int64_t version, struct reg_policy *out,
		   struct byod_err *err)
{
	int rc;

	if (version < 0)
		return byod_err_set(err, EINVAL, "no policy version %lld", (long long)version);
	if (version)
		rc = OPS(reg)->policy_get(reg->be, version, out, err);
	else
		rc = OPS(reg)->policy_newest(reg->be, "", out, err);
	if (rc == -ENOENT) {
		if (version)
			rc = byod_err_set(err, ENOENT, "no policy version %lld",
					  (long long)version);
		else
			rc = byod_err_set(err, ENOENT, "no policy has been applied yet");
	}
	return rc;
}

int reg_policy_list(struct reg *reg, int (*cb)(const struct reg_policy *, void *), void *ctx,
		    struct byod_err *err)
{
	return OPS(reg)->policy_list_school(reg->be, "", cb, ctx, err);
}

int reg_policy_get_school(struct reg *reg, const char *school, struct reg_policy *out,
			  struct byod_err *err)
{
	int rc;

	memset(out, 0, sizeof(*out));
	rc = check_school(reg, school, err);
	if (rc)
		return rc;
	if (school[0]) {
		rc = OPS(reg)->policy_newest(reg->be, school, out, err);
		if (!rc && !out->follows_default)
			return 0;
		if (!rc) {
			free(out->source);
			memset(out, 0, sizeof(*out));
		}
		if (rc && rc != -ENOENT)
			return rc;
	}
	rc = OPS(reg)->policy_newest(reg->be, "", out, err);
	if (rc == -ENOENT)
		rc = byod_err_set(err, ENOENT, "no policy has been applied yet%s%s",
				  school[0] ? " for " : "", school);
	return rc;
}

int reg_policy_lock(struct reg *reg, struct byod_err *err)
{
	if (!reg->depth)
		return byod_err_set(err, EINVAL, "the policy lock is taken inside a transaction");
	return OPS(reg)->policy_lock(reg->be, err);
}

int reg_policy_list_school(struct reg *reg, const char *school,
			   int (*cb)(const struct reg_policy *, void *), void *ctx,
			   struct byod_err *err)
{
	int rc = check_school(reg, school, err);

	return rc ? rc : OPS(reg)->policy_list_school(reg->be, school, cb, ctx, err);
}

struct newest {
	struct reg_policy *v;
	size_t n, cap;
};

static int keep_newest(const struct reg_policy *p, void *arg)
{
	struct newest *w = arg;
	struct reg_policy *q;
	size_t i;

	for (i = 0; i < w->n && strcmp(w->v[i].school, p->school); i++)
		;
	if (i == w->n) {
		q = BYOD_ARRAY_PUSH(w->v, w->n, w->cap);
		if (!q)
			return -ENOMEM;
	} else {
		q = &w->v[i];
	}
	if (q->version < p->version) {
		*q = *p;
		q->source = NULL;
	}
	return 0;
}

static int by_school(const void *a, const void *b)
{
	return strcmp(((const struct reg_policy *)a)->school,
		      ((const struct reg_policy *)b)->school);
}

int reg_policy_list_newest(struct reg *reg, int (*cb)(const struct reg_policy *, void *),
			   void *ctx, struct byod_err *err)
{
	struct newest w = {0};
	size_t i;
	int rc;

	/* a few versions per school: one pass over them all */
	rc = OPS(reg)->policy_list(reg->be, keep_newest, &w, err);
	if (rc == -ENOMEM)
		rc = byod_err_set(err, ENOMEM, "out of memory");
	if (!rc && w.n)
		qsort(w.v, w.n, sizeof(*w.v), by_school);
	for (i = 0; !rc && i < w.n; i++)
		rc = cb(&w.v[i], ctx);
	free(w.v);
	return rc;
}
