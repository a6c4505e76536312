// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Versions of the segment policy in the registry. Each apply (and each
 * rollback, which re-applies an old text) is a new numbered version with its
 * author and time; none is ever changed or deleted, and the newest is the
 * running one. The registry stores text: checking it is the caller's (core/
 * refuses a policy that does not load before it gets here).
 */
#include "registry.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "reg_internal.h"


static json_t *policy_json(const void *obj)
{
	const struct reg_policy *p = obj;

	return json_pack("{s:I, s:s, s:s, s:i}", "version", (json_int_t)p->version, "file",
			 p->file, "comment", p->comment, "bytes",
			 (int)(p->source ? strlen(p->source) : 0));
}

int reg_policy_add(struct reg *reg, const char *source, const char *file, const char *comment,
		   int64_t *version, struct byod_err *err)
{
	struct reg_policy p;
	char object[32];
	int rc;

	if (!source || !source[0])
		return byod_err_set(err, EINVAL, "an empty policy");
	if ((file && strlen(file) >= sizeof(p.file)) ||
	    (comment && strlen(comment) >= sizeof(p.comment)))
		return byod_err_set(err, ENAMETOOLONG, "the file name or comment is too long");
	memset(&p, 0, sizeof(p));
	p.created = time(NULL);
	snprintf(p.author, sizeof(p.author), "%s", reg->actor);
	snprintf(p.file, sizeof(p.file), "%s", file ? file : "");
	snprintf(p.comment, sizeof(p.comment), "%s", comment ? comment : "");
	p.source = (char *)source;
	rc = reg_begin(reg, err);
	if (rc)
		return rc;
	rc = OPS(reg)->policy_insert(reg->be, &p, err);
	if (!rc) {
		snprintf(object, sizeof(object), "%lld", (long long)p.version);
		rc = reg_record(reg, "policy.apply", object, policy_json, NULL, &p, err);
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
	rc = OPS(reg)->policy_get(reg->be, version, out, err);
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
	return OPS(reg)->policy_list(reg->be, cb, ctx, err);
}
