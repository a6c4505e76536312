// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The JSON API's people (openapi.yaml): GET /api/v1/people?q= (the search
 * of the People page: login, name or group; school, role, state; limit and
 * offset) and GET /api/v1/people/LOGIN (one person and their devices),
 * with the bearer token's administrator and scope (api.c checked them). A
 * person of another school is a 404 with an audit row "admin.denied", the
 * same answer as a login that does not exist.
 */
#include "admin_pages.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "byod_types.h"
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

static json_t *person_json(const struct reg_person *p)
{
	return json_pack(
		"{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:I}", "login", p->login, "display_name",
		p->display_name, "role", byod_role_name(p->role) ? byod_role_name(p->role) : "",
		"school", p->school, "groups", p->groups, "state",
		reg_person_state_name(p->state) ? reg_person_state_name(p->state) : "",
		"password_set", p->password_hash[0] != '\0', "created", (json_int_t)p->created);
}

static int add_person(const struct reg_person *p, void *arg)
{
	json_t *o = person_json(p);

	return o ? json_array_append_new(arg, o) : -ENOMEM;
}

static int add_device(const struct reg_device *d, void *arg)
{
	json_t *o = json_pack(
		"{s:s, s:s, s:s, s:s, s:I}", "id", d->id, "name", d->name, "mac", d->mac, "state",
		byod_device_state_name(d->state) ? byod_device_state_name(d->state) : "", "created",
		(json_int_t)d->created);

	return o ? json_array_append_new(arg, o) : -ENOMEM;
}

static int people(struct byod_ctx *ctx, const struct reg_scope *scope,
		  const struct httpd_request *rq, struct httpd_response *rs)
{
	const char *q = httpd_arg(rq, "q"), *lim = httpd_arg(rq, "limit"),
		   *off = httpd_arg(rq, "offset");
	struct reg_person_search s = {.limit = 50};
	json_t *items;
	int total = 0, rc;

	if (admin_person_search_args(httpd_arg(rq, "role"), httpd_arg(rq, "state"),
				     httpd_arg(rq, "school"), &s))
		return error(rs, 400, "bad-request",
			     "role is student, teacher, staff or guest; state active or "
			     "disabled; school a UAI");
	s.text = q && q[0] ? q : NULL;
	s.limit = lim ? atoi(lim) : 50;
	s.offset = off ? atoi(off) : 0;
	if ((q && strlen(q) > 128) || s.limit < 1 || s.limit > 1000 || s.offset < 0)
		return error(rs, 400, "bad-request",
			     "q is at most 128 bytes, limit 1 to 1000, offset 0 or more");
	items = json_array();
	if (!items)
		return -ENOMEM;
	rc = reg_person_search(ctx->reg, scope, &s, add_person, items, &total, NULL);
	if (rc == -EINVAL) {
		json_decref(items);
		return error(rs, 400, "bad-request", "school is not a UAI");
	}
	if (rc) {
		json_decref(items);
		return rc;
	}
	return answer(rs, 200,
		      json_pack("{s:o, s:i, s:i, s:i}", "people", items, "total", total, "limit",
				s.limit, "offset", s.offset));
}

static int person(struct byod_ctx *ctx, const struct reg_admin *a, const struct reg_scope *scope,
		  const struct httpd_request *rq, const char *login, struct httpd_response *rs)
{
	struct reg_device_filter f = {.state = -1};
	struct reg_person p;
	json_t *o, *devices;
	int rc;

	rc = strlen(login) < REG_LOGIN_MAX && !strchr(login, '/')
		     ? reg_person_get_scoped(ctx->reg, scope, login, &p, NULL)
		     : -ENOENT;
	if (rc == -ENOENT || rc == -EINVAL) {
		admin_denied(ctx, rq, a->login, "person", login);
		return error(rs, 404, "not-found", "no such person");
	}
	if (rc)
		return rc;
	devices = json_array();
	f.owner_login = p.login;
	rc = devices ? reg_device_list(ctx->reg, &f, add_device, devices, NULL) : -ENOMEM;
	o = rc ? NULL : person_json(&p);
	explicit_bzero(&p, sizeof(p));
	if (!o) {
		json_decref(devices);
		return rc ? rc : -ENOMEM;
	}
	json_object_set_new(o, "devices", devices);
	return answer(rs, 200, o);
}

int admin_api_people(struct byod_ctx *ctx, const struct reg_admin *a, const struct reg_scope *scope,
		     const struct httpd_request *rq, struct httpd_response *rs)
{
	if (!strcmp(rq->path, "/api/v1/people"))
		return people(ctx, scope, rq, rs);
	if (!strncmp(rq->path, "/api/v1/people/", 15) && rq->path[15])
		return person(ctx, a, scope, rq, rq->path + 15, rs);
	return error(rs, 404, "not-found", "no such path in /api/v1");
}
