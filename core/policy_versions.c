// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The segment policy as the gateway keeps it: versions stored in the
 * registry (apply, history, rollback), the facts about a registered device
 * that the policy looks at, and the impact preview of a new file (which
 * devices would move, from which segment to which).
 */
#include "byod.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byod_util.h"
#include "byod_vec.h"

int byod_policy_apply(struct byod_ctx *ctx, const char *path, const char *comment,
		      int64_t *version, struct pol_errors *errs, struct byod_err *err)
{
	struct pol_policy *pol = NULL;
	char *text = NULL;
	size_t len;
	int rc;

	memset(errs, 0, sizeof(*errs));
	rc = byod_file_read(path, &text, &len, err);
	if (rc)
		return rc;
	rc = pol_load(path, text, len, &pol, errs);
	if (rc) {
		byod_err_set(err, rc, "%s: %zu problem%s; the running policy stays", path,
			     errs->n, errs->n == 1 ? "" : "s");
		goto out;
	}
	rc = reg_policy_add(ctx->reg, text, path, comment ? comment : "", version, err);
out:
	pol_free(pol);
	free(text);
	return rc;
}

int byod_policy_load(struct byod_ctx *ctx, int64_t version, struct pol_policy **pol,
		     int64_t *loaded, struct byod_err *err)
{
	struct reg_policy rp;
	struct pol_errors errs;
	char name[64];
	int rc;

	*pol = NULL;
	rc = reg_policy_get(ctx->reg, version, &rp, err);
	if (rc == -ENOENT && version == 0)
		return byod_err_set(err, ENOENT,
				    "no policy has been applied yet (byodctl policy apply FILE)");
	if (rc)
		return rc;
	snprintf(name, sizeof(name), "policy version %lld", (long long)rp.version);
	rc = pol_load(name, rp.source, strlen(rp.source), pol, &errs);
	if (rc) {
		/* stored versions checked when applied; a time zone may have gone */
		if (errs.n)
			byod_err_set_at(err, rc, name, errs.v[0].line, errs.v[0].col, "%s",
					errs.v[0].msg);
		else
			byod_err_set(err, rc, "%s does not load", name);
		pol_errors_free(&errs);
	} else if (loaded) {
		*loaded = rp.version;
	}
	free(rp.source);
	return rc;
}

int byod_policy_rollback(struct byod_ctx *ctx, int64_t version, int64_t *new_version,
			 struct byod_err *err)
{
	struct pol_policy *pol;
	struct reg_policy rp;
	char comment[64];
	int rc;

	/* the old text must still load here before it runs again */
	rc = byod_policy_load(ctx, version, &pol, NULL, err);
	if (rc)
		return rc;
	pol_free(pol);
	rc = reg_policy_get(ctx->reg, version, &rp, err);
	if (rc)
		return rc;
	snprintf(comment, sizeof(comment), "rollback to version %lld", (long long)version);
	rc = reg_policy_add(ctx->reg, rp.source, rp.file, comment, new_version, err);
	free(rp.source);
	return rc;
}

struct certs_walk {
	struct reg_cert best; /* the newest valid certificate */
	time_t until;         /* the latest end of a valid one */
};

/* The newest valid certificate of a device, for the facts, and how long
 * the device holds one (expired ones too: device_cert_until). */
static int newest_valid(const struct reg_cert *c, void *arg)
{
	struct certs_walk *w = arg;

	if (c->state != REG_CERT_VALID)
		return 0;
	if (c->not_before >= w->best.not_before)
		w->best = *c;
	if (c->not_after > w->until)
		w->until = c->not_after;
	return 0;
}

int byod_device_facts(struct byod_ctx *ctx, const struct reg_device *d, struct byod_facts *out,
		      struct byod_err *err)
{
	struct certs_walk w;
	const struct reg_cert *cert = &w.best;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = reg_person_get_by_id(ctx->reg, d->owner, &out->owner, err);
	if (rc)
		return rc;
	memset(&w, 0, sizeof(w));
	rc = reg_cert_list_for_device(ctx->reg, d->id, newest_valid, &w, err);
	if (rc)
		return rc;
	out->f.role = out->owner.role;
	out->f.school = out->owner.school;
	out->f.groups = out->owner.groups;
	out->f.kind = d->kind;
	out->f.state = d->state;
	out->f.owner_disabled = out->owner.state == REG_PERSON_DISABLED;
	snprintf(out->device, sizeof(out->device), "%s", d->id);
	out->f.device = out->device;
	out->f.device_cert_until = w.until;
	if (cert->serial[0]) {
		snprintf(out->serial, sizeof(out->serial), "%s", cert->serial);
		out->f.serial = out->serial;
		out->f.method = POL_METHOD_CERTIFICATE;
		out->f.cert_not_before = cert->not_before;
		out->f.cert_not_after = cert->not_after;
	} else {
		out->f.method = POL_METHOD_MAC;
	}
	return 0;
}

void byod_facts_by_mac(struct byod_facts *facts)
{
	facts->f.method = POL_METHOD_MAC;
	facts->f.serial = NULL;
	facts->f.cert_not_before = 0;
	facts->f.cert_not_after = 0;
	facts->f.cert_revoked = 0;
	facts->serial[0] = '\0';
}

struct diff_walk {
	struct byod_ctx *ctx;
	const struct pol_policy *now_pol, *new_pol;
	time_t at;
	byod_diff_cb cb;
	void *cb_ctx;
	struct byod_diff *out;
	struct byod_err *err;
};

static const char *label(const struct pol_decision *d)
{
	return d->action == POL_ACTION_REJECT ? "reject" : d->segment_name;
}

static int diff_count(struct byod_diff *out, const char *from, const char *to)
{
	struct byod_move *m;
	size_t i;

	for (i = 0; i < out->nmoves; i++) {
		if (!strcmp(out->moves[i].from, from) && !strcmp(out->moves[i].to, to)) {
			out->moves[i].count++;
			return 0;
		}
	}
	m = BYOD_ARRAY_PUSH(out->moves, out->nmoves, out->cap);
	if (!m)
		return -ENOMEM;
	snprintf(m->from, sizeof(m->from), "%s", from);
	snprintf(m->to, sizeof(m->to), "%s", to);
	m->count = 1;
	return 0;
}

int byod_device_admission(struct byod_ctx *ctx, const struct pol_policy *pol,
			  const struct reg_device *d, int method, time_t at,
			  struct byod_facts *facts, struct pol_admission *out, pol_explain_cb cb,
			  void *cb_ctx, struct byod_err *err)
{
	int rc = byod_device_facts(ctx, d, facts, err);

	if (rc)
		return rc;
	if (method == POL_METHOD_MAC)
		byod_facts_by_mac(facts);
	pol_admit(pol, &facts->f, at, out, cb, cb_ctx);
	return 0;
}

int byod_refused_before_rules(const struct pol_admission *a)
{
	return !a->admit && a->refusal != POL_REFUSED_BY_RULE && a->refusal != POL_NO_POLICY;
}

static int diff_device(const struct reg_device *d, void *arg)
{
	struct diff_walk *w = arg;
	struct pol_decision before, after;
	struct pol_admission adm;
	struct byod_facts facts;
	int rc;

	rc = byod_device_facts(w->ctx, d, &facts, w->err);
	if (rc)
		return rc;
	/* refused whatever the rules say: no policy moves it */
	pol_admit(w->new_pol, &facts.f, w->at, &adm, NULL, NULL);
	if (byod_refused_before_rules(&adm)) {
		w->out->devices++;
		return 0;
	}
	if (w->now_pol) {
		pol_eval(w->now_pol, &facts.f, w->at, &before);
	} else {
		memset(&before, 0, sizeof(before));
		before.segment = -1;
		before.rule = -1;
		before.segment_name = "(no policy)";
		before.rule_name = "";
	}
	pol_eval(w->new_pol, &facts.f, w->at, &after);
	w->out->devices++;
	if (before.action == after.action && before.segment == after.segment &&
	    !strcmp(label(&before), label(&after)))
		return 0;
	w->out->changed++;
	rc = diff_count(w->out, label(&before), label(&after));
	if (rc)
		return byod_err_set(w->err, rc, "out of memory");
	if (w->cb)
		w->cb(w->cb_ctx, d, &before, &after);
	return 0;
}

int byod_policy_diff(struct byod_ctx *ctx, const struct pol_policy *now_pol,
		     const struct pol_policy *new_pol, time_t at, struct byod_diff *out,
		     byod_diff_cb cb, void *cb_ctx, struct byod_err *err)
{
	struct diff_walk w = { ctx, now_pol, new_pol, at, cb, cb_ctx, out, err };

	memset(out, 0, sizeof(*out));
	return reg_device_list(ctx->reg, NULL, diff_device, &w, err);
}

void byod_diff_free(struct byod_diff *d)
{
	free(d->moves);
	memset(d, 0, sizeof(*d));
}
