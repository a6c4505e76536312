// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The console's JSON API for scripts (openapi.yaml beside this file):
 * `Authorization: Bearer <token>`, a token an administrator made (only its
 * SHA-256 is in the registry), its administrator's scope on every query,
 * as on the pages. No cookie is read and no form token is needed: a
 * browser never sends the header by itself. A token that is unknown,
 * expired or whose administrator is disabled is a 401 with a
 * WWW-Authenticate header; another school's device is a 404, audited.
 */
#include "admin_pages.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "byod_types.h"
#include "registry.h"

static int json_answer(struct httpd_response *rs, int status, json_t *o)
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

static int api_error(struct httpd_response *rs, int status, const char *code, const char *message)
{
	return json_answer(rs, status,
			   json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", message));
}

/* The administrator behind the request's bearer token: 0, or -EACCES. */
static int bearer(struct byod_ctx *ctx, const struct httpd_request *rq, struct reg_admin *a)
{
	const char *h = httpd_header(rq, "Authorization");
	struct reg_admin_token t;
	char hash[REG_HASH_HEX];
	time_t now = time(NULL);

	if (!h || strncasecmp(h, "Bearer ", 7))
		return -EACCES;
	h += 7;
	while (*h == ' ')
		h++;
	if (web_token_hash(h, hash) || reg_admin_token_get(ctx->reg, hash, now, &t, NULL) ||
	    reg_admin_get_by_id(ctx->reg, t.admin, a, NULL) || a->state != REG_PERSON_ACTIVE)
		return -EACCES;
	/* when it was last used, at most once a minute */
	if (now - t.last_used >= 60)
		reg_admin_token_touch(ctx->reg, hash, now, NULL);
	return 0;
}

static json_t *device_json(const struct reg_device *d)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "id", d->id, "name", d->name,
			 "owner", d->owner_login, "school", d->school, "mac", d->mac, "kind",
			 byod_kind_name(d->kind) ? byod_kind_name(d->kind) : "", "state",
			 byod_device_state_name(d->state) ? byod_device_state_name(d->state) : "",
			 "created", (json_int_t)d->created);
}

static int add_device(const struct reg_device *d, void *arg)
{
	json_t *o = device_json(d);

	return o ? json_array_append_new(arg, o) : -ENOMEM;
}

static int devices(struct byod_ctx *ctx, const struct reg_scope *scope,
		   const struct httpd_request *rq, struct httpd_response *rs)
{
	const char *q = httpd_arg(rq, "q"), *lim = httpd_arg(rq, "limit"),
		   *off = httpd_arg(rq, "offset");
	struct reg_device_search s = {.state = -1, .limit = 50};
	json_t *items = json_array();
	int total = 0, rc;

	if (!items)
		return -ENOMEM;
	s.text = q && q[0] ? q : NULL;
	if (lim)
		s.limit = atoi(lim);
	if (off)
		s.offset = atoi(off);
	if ((q && strlen(q) > 128) || s.limit < 1 || s.limit > 1000 || s.offset < 0) {
		json_decref(items);
		return api_error(rs, 400, "bad-request",
				 "q is at most 128 bytes, limit 1 to 1000, offset 0 or more");
	}
	rc = reg_device_search(ctx->reg, scope, &s, add_device, items, &total, NULL);
	if (rc) {
		json_decref(items);
		return rc;
	}
	return json_answer(rs, 200,
			   json_pack("{s:o, s:i, s:i, s:i}", "devices", items, "total", total,
				     "limit", s.limit, "offset", s.offset));
}

static int device(struct byod_ctx *ctx, const struct reg_admin *a, const struct reg_scope *scope,
		  const struct httpd_request *rq, const char *id, struct httpd_response *rs)
{
	struct reg_device d;
	int rc;

	rc = strlen(id) < REG_ID_MAX ? reg_device_get_scoped(ctx->reg, scope, id, &d, NULL)
				     : -ENOENT;
	if (rc == -ENOENT) {
		admin_denied(ctx, rq, a->login, "device", id);
		return api_error(rs, 404, "not-found", "no such device");
	}
	if (rc)
		return rc;
	return json_answer(rs, 200, device_json(&d));
}

int admin_api(struct admin *adm, struct byod_ctx *ctx, const struct httpd_request *rq,
	      struct httpd_response *rs)
{
	struct reg_admin a;
	struct reg_scope scope;
	char actor[96];
	int rc;

	(void)adm;
	if (strcmp(rq->method, "GET") && strcmp(rq->method, "HEAD"))
		return api_error(rs, 405, "method", "only GET is served");
	if (bearer(ctx, rq, &a)) {
		httpd_log("%s %s %s: no valid API token", rq->client, rq->method, rq->path);
		rc = api_error(rs, 401, "unauthorized",
			       "Authorization: Bearer <token> with a live token is needed");
		rs->headers[0][0] = "WWW-Authenticate";
		rs->headers[0][1] = "Bearer realm=\"byod-admin\"";
		return rc;
	}
	reg_scope_of_admin(&a, &scope);
	snprintf(actor, sizeof(actor), "admin:%s", a.login);
	if (reg_set_actor(ctx->reg, actor)) { /* never unnamed in the audit log */
		explicit_bzero(&a, sizeof(a));
		return api_error(rs, 500, "server", "the administrator cannot be named");
	}
	if (!strcmp(rq->path, "/api/v1/devices"))
		rc = devices(ctx, &scope, rq, rs);
	else if (!strncmp(rq->path, "/api/v1/devices/", 16) && rq->path[16])
		rc = device(ctx, &a, &scope, rq, rq->path + 16, rs);
	else if (!strncmp(rq->path, "/api/v1/people", 14) && (!rq->path[14] || rq->path[14] == '/'))
		rc = admin_api_people(ctx, &a, &scope, rq, rs);
	else if ((rc = admin_api_more(ctx, &a, &scope, rq, rs)) == 1)
		rc = api_error(rs, 404, "not-found", "no such path in /api/v1");
	explicit_bzero(&a, sizeof(a));
	return rc;
}
