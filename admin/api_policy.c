// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The JSON API's audit log and policies (openapi.yaml): GET
 * /api/v1/audit with the Journal's filters (who, what, school, from, to
 * as Unix times, before, limit), newest first, in the token's
 * administrator's scope; GET /api/v1/policy/<default|UAI>, the policy that
 * runs there with its text. A school outside the scope is a 404 with an
 * audit row "admin.denied", as on the pages.
 */
#include "admin_pages.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "registry.h"

static int answer(struct httpd_response *rs, int status, json_t *o)
{
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;

	json_decref(o);
	if (!text)
		return -ENOMEM;
	rs->body = text;
	rs->len = strlen(text);
	rs->status = status;
	rs->content_type = "application/json";
	return 0;
}

static int error(struct httpd_response *rs, int status, const char *code, const char *message)
{
	return answer(rs, status,
		      json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", message));
}

static int not_found(struct byod_ctx *ctx, const struct reg_admin *a,
		     const struct httpd_request *rq, const char *what, const char *id,
		     struct httpd_response *rs)
{
	admin_denied(ctx, rq, a->login, what, id);
	return error(rs, 404, "not-found", "no such school in your scope");
}

/* A decimal number argument: 0 and *out, or -EINVAL. Absent: *out kept. */
static int number_arg(const struct httpd_request *rq, const char *name, long long min,
		      long long max, long long *out)
{
	const char *s = httpd_arg(rq, name);
	char *end;
	long long v;

	if (!s)
		return 0;
	v = strtoll(s, &end, 10);
	if (!*s || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int add_row(const struct reg_audit *r, void *arg)
{
	json_t *o = json_pack("{s:I, s:I, s:s, s:s, s:s, s:s}", "id", (json_int_t)r->id, "time",
			      (json_int_t)r->time, "actor", r->actor, "action", r->action, "object",
			      r->object, "school", r->school);
	json_t *before = r->before ? json_loads(r->before, 0, NULL) : NULL;
	json_t *after = r->after ? json_loads(r->after, 0, NULL) : NULL;

	if (!o) {
		json_decref(before);
		json_decref(after);
		return -ENOMEM;
	}
	json_object_set_new(o, "before", before ? before : json_null());
	json_object_set_new(o, "after", after ? after : json_null());
	return json_array_append_new(arg, o) ? -ENOMEM : 0;
}

static int audit(struct byod_ctx *ctx, const struct reg_admin *a, const struct reg_scope *scope,
		 const struct httpd_request *rq, struct httpd_response *rs)
{
	struct reg_audit_filter f = {0};
	long long from = 0, to = 0, before = 0, limit = 100;
	const char *school = httpd_arg(rq, "school");
	json_t *rows, *last;
	int rc;

	f.actor = httpd_arg(rq, "who");
	f.action = httpd_arg(rq, "what");
	if (f.actor && !f.actor[0])
		f.actor = NULL;
	if (f.action && !f.action[0])
		f.action = NULL;
	if (school && !school[0])
		school = NULL;
	if (number_arg(rq, "from", 0, 1LL << 40, &from) ||
	    number_arg(rq, "to", 0, 1LL << 40, &to) ||
	    number_arg(rq, "before", 1, 1LL << 62, &before) ||
	    number_arg(rq, "limit", 1, 1000, &limit) || (f.actor && strlen(f.actor) >= 64) ||
	    (f.action && strlen(f.action) >= 32))
		return error(rs, 400, "bad-request",
			     "who under 64 bytes, what under 32, from and to Unix times, "
			     "before an id, limit 1 to 1000");
	if (school && (strlen(school) >= REG_UAI_MAX || !reg_scope_has(scope, school)))
		return not_found(ctx, a, rq, "audit-school", school, rs);
	f.school = school;
	f.from = (time_t)from;
	f.to = (time_t)to;
	f.before_id = before;
	f.limit = (int)limit;
	rows = json_array();
	if (!rows)
		return -ENOMEM;
	rc = reg_audit_search(ctx->reg, scope, &f, add_row, rows, NULL);
	if (rc) {
		json_decref(rows);
		return rc;
	}
	last = json_array_size(rows) == (size_t)limit ? json_array_get(rows, limit - 1) : NULL;
	return answer(rs, 200,
		      json_pack("{s:o, s:o}", "rows", rows, "next_before",
				last ? json_incref(json_object_get(last, "id")) : json_null()));
}

static int policy(struct byod_ctx *ctx, const struct reg_admin *a, const struct reg_scope *scope,
		  const struct httpd_request *rq, const char *key, struct httpd_response *rs)
{
	const char *school = !strcmp(key, "default") ? "" : key;
	struct reg_policy p = {0};
	struct reg_school sc;
	int rc;

	if (school[0] ? strlen(school) >= REG_UAI_MAX || !reg_scope_has(scope, school)
		      : !scope->all)
		return not_found(ctx, a, rq, "policy", key, rs);
	if (school[0]) {
		rc = reg_school_get(ctx->reg, school, &sc, NULL);
		if (rc == -ENOENT)
			return not_found(ctx, a, rq, "policy", key, rs);
		if (rc)
			return rc;
	}
	rc = reg_policy_get_school(ctx->reg, school, &p, NULL);
	if (rc == -ENOENT)
		return error(rs, 404, "no-policy", "no policy has been applied yet");
	if (rc)
		return rc;
	rc = answer(rs, 200,
		    json_pack("{s:s, s:I, s:b, s:s, s:s, s:s, s:I, s:s}", "school", school,
			      "version", (json_int_t)p.version, "follows_default",
			      school[0] && !p.school[0], "runs", p.school[0] ? p.school : "default",
			      "author", p.author, "comment", p.comment, "created",
			      (json_int_t)p.created, "text", p.source ? p.source : ""));
	free(p.source);
	return rc;
}

int admin_api_more(struct byod_ctx *ctx, const struct reg_admin *a, const struct reg_scope *scope,
		   const struct httpd_request *rq, struct httpd_response *rs)
{
	if (!strcmp(rq->path, "/api/v1/audit"))
		return audit(ctx, a, scope, rq, rs);
	if (!strncmp(rq->path, "/api/v1/policy/", 15) && rq->path[15] &&
	    !strchr(rq->path + 15, '/') && strlen(rq->path + 15) < 64)
		return policy(ctx, a, scope, rq, rq->path + 15, rs);
	return 1;
}
