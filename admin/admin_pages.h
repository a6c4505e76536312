/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The handlers the route table and the dispatcher (routes.c) call, by
 * file: the door (login.c), the sections (sections.c), the devices
 * (devices.c), the JSON API (api.c).
 */
#ifndef BYOD_ADMIN_PAGES_H
#define BYOD_ADMIN_PAGES_H

#include "admin.h"

/* The dispatcher (routes.c): fills rs for rq. 0, or a negative errno for a
 * server fault (then an error page is sent). */
int admin_route(struct admin *a, const struct httpd_request *rq, struct httpd_response *rs);
/* An error page for a request without a page context (httpd's). */
int admin_error_page(struct admin *a, const struct httpd_request *rq, struct httpd_response *rs,
		     int status);

/* login.c: the login form (status, an error message or NULL), its POST,
 * the second factor's page and POST, logout. */
int admin_page_login(struct admin_ctx *c, int status, const char *message);
/* SAML sources (login_source.c): the console's ACS, /saml/done and metadata. */
int admin_saml_acs(struct admin_ctx *c, const char *name);
int admin_saml_done(struct admin_ctx *c);
int admin_saml_metadata(struct admin_ctx *c, const char *name);
int admin_login_get(struct admin_ctx *c);
int admin_login_post(struct admin_ctx *c);
int admin_totp_get(struct admin_ctx *c);
int admin_totp_post(struct admin_ctx *c);
int admin_logout_post(struct admin_ctx *c);
/* The login page's pieces, shared with login_source.c: a labelled input,
 * the form-token check of a login form (1: refused, its 403 page written),
 * the throttle's "wait" sentence. */
void admin_login_field(struct web_html *h, const char *id, const char *label, const char *type,
		       const char *autocomplete, const char *value, const char *extra_help);
int admin_form_refused(struct admin_ctx *c);
struct byod_login_gate;
const char *admin_wait_message(struct admin_ctx *c, const struct byod_login_gate *g, char *out,
			       size_t len);

/* login_source.c: the identity sources an administrator may sign in with,
 * as buttons under the login form; /login/NAME (GET, and POST for a
 * directory's form). */
void admin_login_sources(struct admin_ctx *c, struct web_html *h);
int admin_login_source(struct admin_ctx *c, const char *name, int post);

/* privacy.c: the console's privacy page (no session needed). */
int admin_privacy_get(struct admin_ctx *c);

/* devices.c: the scoped search, a device's page, its state changes. */
int admin_devices_get(struct admin_ctx *c);
int admin_device_get(struct admin_ctx *c);
int admin_device_post(struct admin_ctx *c);

/* dashboard.c: the dashboard (the département's table, or the one
 * school's), a school's (/ecole/UAI), the change feed as Server-Sent
 * Events (/flux) and the page's script. */
int admin_dashboard_get(struct admin_ctx *c);
int admin_school_get(struct admin_ctx *c);
int admin_flux_get(struct admin_ctx *c);
int admin_dashboard_js(struct admin_ctx *c);
/* people.c: the scoped search, a person's page, its changes (disable,
 * enable, password, unlock); the catalogue key of a role; the search's
 * filters from text (role, state, school; NULL or "": any), -EINVAL for
 * one that is not such a value. */
int admin_people_get(struct admin_ctx *c);
int admin_person_get(struct admin_ctx *c);
int admin_person_post(struct admin_ctx *c);
const char *admin_person_role_key(int role);
int admin_person_search_args(const char *role, const char *state, const char *school,
			     struct reg_person_search *s);

/* import.c: the CSV import: the upload, its problems, the preview, the commit. */
int admin_import_get(struct admin_ctx *c);
int admin_import_post(struct admin_ctx *c);

/* api_people.c: /api/v1/people and /api/v1/people/LOGIN for a bearer's
 * administrator a with its scope. */
int admin_api_people(struct byod_ctx *ctx, const struct reg_admin *a, const struct reg_scope *scope,
		     const struct httpd_request *rq, struct httpd_response *rs);
/* policy.c: the policies in scope, a policy's editor, history, a version. */
int admin_policies_get(struct admin_ctx *c);
int admin_policy_get(struct admin_ctx *c);
int admin_policy_post(struct admin_ctx *c);

/* audit.c: the audit log in scope with its filters, and as CSV. */
int admin_journal_get(struct admin_ctx *c);
int admin_journal_csv_get(struct admin_ctx *c);

/* codes.c: a class's sheet of one-time enrolment codes. */
int admin_codes_get(struct admin_ctx *c);
int admin_codes_post(struct admin_ctx *c);

/* api_policy.c: GET /api/v1/audit and /api/v1/policy/<key>; 1 when path is
 * not one of theirs (rs untouched). */
int admin_api_more(struct byod_ctx *ctx, const struct reg_admin *a, const struct reg_scope *scope,
		   const struct httpd_request *rq, struct httpd_response *rs);

/* The largest value of a form field (the policy editor's text area). */
#define ADMIN_FORM_VALUE_MAX 65536

/* api.c: /api/v1/..., with Authorization: Bearer <token>. */
int admin_api(struct admin *a, struct byod_ctx *ctx, const struct httpd_request *rq,
	      struct httpd_response *rs);

#endif /* BYOD_ADMIN_PAGES_H */
