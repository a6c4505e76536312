// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The segment policy as the gateway keeps it: versions stored in the
 * registry (apply, history, rollback), the département's default and each
 * school's own, the facts about a registered device that the policy looks
 * at (the live teacher unlocks of its owner's groups included), and the
 * impact preview of a new file (which devices would move, from which
 * segment to which). An editor's apply names the version it loaded, so
 * that a form left open while someone else applied is refused (-ESTALE)
 * instead of silently undoing their change.
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
	return byod_policy_apply_school(ctx, "", path, comment, -1, version, NULL, errs, err);
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

/* Counts device d, whose facts are known, under both policies. */
static int diff_facts(struct diff_walk *w, const struct reg_device *d,
		      const struct byod_facts *facts, const struct pol_policy *now_pol,
		      const struct pol_policy *new_pol)
{
	struct pol_decision before, after;
	struct pol_admission adm;
	int rc;

	/* refused whatever the rules say: no policy moves it */
	pol_admit(new_pol, &facts->f, w->at, &adm, NULL, NULL);
	if (byod_refused_before_rules(&adm)) {
		w->out->devices++;
		return 0;
	}
	if (now_pol) {
		pol_eval(now_pol, &facts->f, w->at, &before);
	} else {
		memset(&before, 0, sizeof(before));
		before.segment = -1;
		before.rule = -1;
		before.segment_name = "(no policy)";
		before.rule_name = "";
	}
	if (new_pol) {
		pol_eval(new_pol, &facts->f, w->at, &after);
	} else {
		memset(&after, 0, sizeof(after));
		after.segment = -1;
		after.rule = -1;
		after.segment_name = "(no policy)";
		after.rule_name = "";
	}
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

static int diff_device(const struct reg_device *d, void *arg)
{
	struct diff_walk *w = arg;
	struct byod_facts facts;
	int rc;

	rc = byod_device_facts(w->ctx, d, &facts, w->err);
	if (rc)
		return rc;
	return diff_facts(w, d, &facts, w->now_pol, w->new_pol);
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

/* ---- a policy per school ---------------------------------------------------- */

static const char *school_or_default(const char *school)
{
	return school ? school : "";
}

/* "the policy of 0750001A" / "the département's default policy" */
static const char *whose(const char *school, char *buf, size_t len)
{
	if (school[0])
		snprintf(buf, len, "the policy of %s", school);
	else
		snprintf(buf, len, "the département's default policy");
	return buf;
}

/* The version school runs now (maybe the default's), 0 when none;
 * *own_default: the school has no running version of its own. */
static int running_version(struct byod_ctx *ctx, const char *school, int64_t *version,
			   int *own_default, struct byod_err *err)
{
	struct reg_policy rp;
	int rc;

	*version = 0;
	*own_default = 1;
	rc = reg_policy_get_school(ctx->reg, school, &rp, err);
	if (rc == -ENOENT && !school[0])
		return 0;
	if (rc == -ENOENT) {
		/* no policy at all, or no such school: tell them apart */
		struct reg_school sc;

		rc = reg_school_get(ctx->reg, school, &sc, err);
		return rc;
	}
	if (rc)
		return rc;
	*version = rp.version;
	*own_default = strcmp(rp.school, school) != 0;
	free(rp.source);
	return 0;
}

int byod_policy_apply_text(struct byod_ctx *ctx, const struct byod_policy_text *p,
			   int64_t *version, int64_t *current, struct pol_errors *errs,
			   struct byod_err *err)
{
	const char *school = school_or_default(p->school);
	const char *file = p->file && p->file[0] ? p->file : "policy";
	struct pol_policy *pol = NULL;
	char *text = NULL, name[64];
	int64_t run = 0;
	int rc, follows, open = 0;

	memset(errs, 0, sizeof(*errs));
	if (current)
		*current = 0;
	if (p->text) {
		rc = pol_load(file, p->text, p->len, &pol, errs);
		if (rc) {
			byod_err_set(err, rc, "%s: %zu problem%s; the running policy stays", file,
				     errs->n, errs->n == 1 ? "" : "s");
			goto out;
		}
		/* the registry stores text: the checked bytes, with their end */
		text = strndup(p->text, p->len);
		if (!text) {
			rc = byod_err_set(err, ENOMEM, "out of memory");
			goto out;
		}
		if (strlen(text) != p->len) {
			rc = byod_err_set(err, EINVAL, "%s holds a NUL byte", file);
			goto out;
		}
	} else if (!school[0]) {
		rc = byod_err_set(err, EINVAL,
				  "the département's default cannot go back to itself: give a "
				  "policy");
		goto out;
	}
	/* the check of the running version and the new version: one transaction */
	rc = reg_begin(ctx->reg, err);
	if (rc)
		goto out;
	open = 1;
	rc = reg_policy_lock(ctx->reg, err);
	if (!rc)
		rc = running_version(ctx, school, &run, &follows, err);
	if (rc)
		goto out;
	if (current)
		*current = run;
	if (p->expected >= 0 && run != p->expected) {
		rc = byod_err_set(err, ESTALE,
				  "%s changed since it was loaded (version %lld then, %lld now): "
				  "nothing was applied; look at the difference and apply again",
				  whose(school, name, sizeof(name)), (long long)p->expected,
				  (long long)run);
		goto out;
	}
	if (!text && follows) {
		rc = byod_err_set(err, EALREADY, "%s runs the département's default already",
				  school);
		goto out;
	}
	rc = reg_policy_add_school(ctx->reg, school, text, file, p->comment ? p->comment : "",
				   version, err);
	if (!rc) {
		open = 0;
		rc = reg_commit(ctx->reg, err);
	}
out:
	if (open)
		reg_rollback(ctx->reg);
	pol_free(pol);
	free(text);
	return rc;
}

int byod_policy_apply_school(struct byod_ctx *ctx, const char *school, const char *path,
			     const char *comment, int64_t expected, int64_t *version,
			     int64_t *current, struct pol_errors *errs, struct byod_err *err)
{
	struct byod_policy_text p = { 0 };
	char *text = NULL;
	size_t len;
	int rc;

	memset(errs, 0, sizeof(*errs));
	rc = byod_file_read(path, &text, &len, err);
	if (rc)
		return rc;
	p.school = school;
	p.file = path;
	p.text = text;
	p.len = len;
	p.comment = comment;
	p.expected = expected;
	rc = byod_policy_apply_text(ctx, &p, version, current, errs, err);
	free(text);
	return rc;
}

int byod_policy_load_school(struct byod_ctx *ctx, const char *school, struct pol_policy **pol,
			    struct reg_policy *info, struct byod_err *err)
{
	struct reg_policy rp;
	struct pol_errors errs;
	char name[80];
	int rc;

	*pol = NULL;
	school = school_or_default(school);
	rc = reg_policy_get_school(ctx->reg, school, &rp, err);
	if (rc == -ENOENT && !school[0])
		return byod_err_set(err, ENOENT,
				    "no policy has been applied yet (byodctl policy apply FILE)");
	if (rc)
		return rc;
	if (rp.school[0])
		snprintf(name, sizeof(name), "policy version %lld of %s", (long long)rp.version,
			 rp.school);
	else
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
	}
	free(rp.source);
	rp.source = NULL;
	if (!rc && info)
		*info = rp;
	return rc;
}

int byod_policy_history_school(struct byod_ctx *ctx, const char *school, int64_t *running,
			       int (*cb)(const struct reg_policy *, void *), void *cb_ctx,
			       struct byod_err *err)
{
	int64_t run;
	int rc, follows;

	school = school_or_default(school);
	rc = running_version(ctx, school, &run, &follows, err);
	if (!rc && running)
		*running = run;
	return rc ? rc : reg_policy_list_school(ctx->reg, school, cb, cb_ctx, err);
}

int byod_policy_rollback_school(struct byod_ctx *ctx, const char *school, int64_t version,
				int64_t expected, int64_t *new_version, int64_t *current,
				struct byod_err *err)
{
	struct byod_policy_text p = { 0 };
	struct pol_errors errs;
	struct reg_policy rp;
	char comment[64], name[64];
	int rc;

	school = school_or_default(school);
	rc = reg_policy_get(ctx->reg, version, &rp, err);
	if (!rc && strcmp(rp.school, school)) {
		free(rp.source);
		rc = byod_err_set(err, ENOENT, "version %lld is not one of %s", (long long)version,
				  whose(school, name, sizeof(name)));
	}
	if (rc)
		return rc;
	snprintf(comment, sizeof(comment), "rollback to version %lld", (long long)version);
	p.school = school;
	p.file = rp.file;
	p.text = rp.follows_default ? NULL : rp.source;
	p.len = strlen(rp.source);
	p.comment = comment;
	p.expected = expected;
	/* the old text must still load here before it runs again */
	rc = byod_policy_apply_text(ctx, &p, new_version, current, &errs, err);
	if (rc && errs.n)
		byod_err_set_at(err, rc, errs.v[0].file, errs.v[0].line, errs.v[0].col, "%s",
				errs.v[0].msg);
	pol_errors_free(&errs);
	free(rp.source);
	return rc;
}

struct school_walk {
	struct diff_walk w;
	const char *school;          /* "" the default's devices */
	const struct byod_policies *set;
	const struct reg_unlock *live;
	size_t nlive;
};

static int diff_school_device(const struct reg_device *d, void *arg)
{
	struct school_walk *sw = arg;
	const struct pol_policy *now_pol, *new_pol;
	struct byod_facts facts;
	int rc;

	rc = byod_device_facts(sw->w.ctx, d, &facts, sw->w.err);
	if (rc)
		return rc;
	now_pol = byod_policies_for(sw->set, facts.owner.school);
	/* the default's change moves only the schools that run it */
	if (!sw->school[0] && now_pol != byod_policies_for(sw->set, ""))
		return 0;
	new_pol = sw->w.new_pol ? sw->w.new_pol : byod_policies_for(sw->set, "");
	byod_facts_set_unlock(&facts, sw->live, sw->nlive, sw->w.at);
	return diff_facts(&sw->w, d, &facts, now_pol, new_pol);
}

int byod_policy_diff_school(struct byod_ctx *ctx, const char *school,
			    const struct pol_policy *new_pol, time_t at, struct byod_diff *out,
			    byod_diff_cb cb, void *cb_ctx, struct byod_err *err)
{
	struct school_walk sw = { .w = { ctx, NULL, new_pol, at, cb, cb_ctx, out, err } };
	struct reg_device_filter filter = { .owner_login = NULL, .state = -1, .school = NULL };
	struct byod_policies *set = NULL;
	struct reg_unlock *live = NULL;
	struct reg_school sc;
	int rc;

	memset(out, 0, sizeof(*out));
	sw.school = school_or_default(school);
	if (!sw.school[0] && !new_pol)
		return byod_err_set(err, EINVAL, "the département's default needs a new policy");
	if (sw.school[0]) {
		rc = reg_school_get(ctx->reg, sw.school, &sc, err);
		if (rc)
			return rc;
		filter.school = sw.school;
	}
	rc = byod_policies_load(ctx, &set, err);
	if (!rc)
		rc = byod_unlock_live(ctx, sw.school[0] ? sw.school : NULL, at, &live, &sw.nlive,
				      err);
	if (rc)
		goto out;
	sw.set = set;
	sw.live = live;
	rc = reg_device_list(ctx->reg, &filter, diff_school_device, &sw, err);
out:
	free(live);
	byod_policies_free(set);
	return rc;
}

int byod_device_explain(struct byod_ctx *ctx, const struct reg_device *d, int method, time_t at,
			struct byod_facts *facts, struct pol_admission *out,
			struct pol_policy **pol, struct reg_policy *info, pol_explain_cb cb,
			void *cb_ctx, struct byod_err *err)
{
	int rc;

	*pol = NULL;
	rc = byod_device_facts(ctx, d, facts, err);
	if (!rc)
		rc = byod_policy_load_school(ctx, facts->owner.school, pol, info, err);
	if (!rc)
		rc = byod_facts_unlocks(ctx, facts, at, err);
	if (rc) {
		pol_free(*pol);
		*pol = NULL;
		return rc;
	}
	if (method == POL_METHOD_MAC)
		byod_facts_by_mac(facts);
	pol_admit(*pol, &facts->f, at, out, cb, cb_ctx);
	return 0;
}
