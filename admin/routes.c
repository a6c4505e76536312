// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What the console answers, by path. The door (login, second factor,
 * logout) and the style sheet stand apart; every other page is a line of
 * the route table, shown only to an administrator who has given both
 * factors, with the scope of their role. In the same order for every
 * path: a clean path, a known method, a form that decodes, a registry
 * context, the session, then (POST) the form's token, then (a change) the
 * role: an auditor changes nothing, whatever the page offers.
 */
#include "admin_pages.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "admin_session.h"
#include "ctx_pool.h"
#include "multipart.h"

/* The console's one style sheet: contrast AA at least (4.5:1 for text),
 * focus always visible, a 360-pixel screen in one column. */
static const char css[] =
	":root{color-scheme:light}"
	"body{margin:0;font:1rem/1.5 system-ui,sans-serif;background:#f4f6f8;color:#111}"
	".skip{position:absolute;left:-999px}.skip:focus{left:.5rem;top:.5rem;background:#fff;"
	"color:#0b3d6b;padding:.4rem;z-index:1}"
	"header{display:flex;flex-wrap:wrap;gap:.3rem 1rem;justify-content:space-between;"
	"align-items:center;background:#0b3d6b;color:#fff;padding:.5rem 1rem}"
	"header p{margin:0}header a,header button.link{color:#fff}"
	".site{font-weight:700}.role{opacity:.9}"
	".tools{display:flex;gap:1rem;align-items:center}.tools form{margin:0}"
	"nav{background:#dde6ee}nav ul{display:flex;flex-wrap:wrap;gap:.2rem 1rem;list-style:none;"
	"margin:0;padding:.4rem 1rem}nav a{color:#0b3d6b;padding:.2rem}"
	"nav a[aria-current=page]{font-weight:700;text-decoration-thickness:3px}"
	"main{max-width:72rem;margin:0 auto;padding:1rem}"
	"h1{font-size:1.5rem;margin:.5rem 0 1rem}h2{font-size:1.2rem;margin:1.2rem 0 .5rem}"
	"a{color:#0b3d6b}"
	"label{display:block;font-weight:600;margin:.8rem 0 .2rem}"
	"input,select{width:100%;max-width:28rem;box-sizing:border-box;font-size:1rem;padding:."
	"5rem;"
	"border:2px solid #555;border-radius:.3rem;background:#fff;color:#111}"
	"input:focus,select:focus,button:focus,a:focus{outline:3px solid "
	"#b35c00;outline-offset:2px}"
	"textarea{width:100%;max-width:48rem;box-sizing:border-box;font:.95rem/1.4 monospace;"
	"padding:.5rem;border:2px solid #555;border-radius:.3rem;background:#fff;color:#111}"
	"textarea:focus{outline:3px solid #b35c00;outline-offset:2px}"
	"button{font-size:1rem;padding:.55rem 1.2rem;margin-top:1rem;border:0;border-radius:.3rem;"
	"background:#0b3d6b;color:#fff;cursor:pointer}"
	"button.link{margin:0;padding:.2rem;background:none;text-decoration:underline}"
	"button.danger{background:#a4161a}"
	".box{background:#fff;border-radius:.5rem;padding:1rem;margin:0 0 1rem;"
	"box-shadow:0 1px 3px #0003}.narrow{max-width:32rem}"
	".notice{background:#e3f1e0;border-left:.4rem solid #2b7a2b;padding:.6rem}"
	".notice.error{background:#fbe4e4;border-color:#a4161a}"
	".hint{margin:.1rem 0;color:#333;font-size:.95rem}"
	"figure.qr{margin:1rem 0}figure.qr "
	"svg{width:14rem;max-width:100%;height:auto;display:block}"
	"code.secret{font-size:1.1rem;background:#fff7d6;padding:.2rem .4rem}"
	"table{border-collapse:collapse;width:100%;background:#fff}"
	"th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid #ccc;vertical-align:top}"
	".scroll{overflow-x:auto}"
	"dl.values dt{font-weight:600}dl.values dd{margin:0 0 .6rem}"
	"dl.figures{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;margin:0 0 1rem}"
	"dl.figures div{min-width:8rem}dl.figures dt{font-size:.9rem}"
	"dl.figures dd{margin:0;font-size:1.6rem;font-weight:700}"
	".flag.bad{color:#a4161a;font-weight:700}.flag.ok{color:#1e5e1e}"
	"figure.chart{margin:0 0 1rem}figure.chart svg{width:100%;max-width:44rem;height:auto;"
	"display:block}details.chart-data summary{cursor:pointer;color:#0b3d6b}"
	".updated{color:#333;font-size:.95rem}"
	"textarea{width:100%;box-sizing:border-box;font:.95rem/1.4 ui-monospace,monospace;"
	"padding:.5rem;border:2px solid #555;border-radius:.3rem}"
	"textarea:focus{outline:3px solid #b35c00;outline-offset:2px}"
	"ol.listing{font:.9rem/1.4 ui-monospace,monospace;background:#fff;margin:0;"
	"padding:.5rem .5rem .5rem 3.5rem}ol.listing li{white-space:pre}"
	"ol.listing li.bad{background:#fbe4e4;outline:2px solid #a4161a}"
	"ol.listing li:target{background:#fff7d6}"
	"table.diff code{white-space:pre}tr.del{background:#fbe4e4}tr.add{background:#e3f1e0}"
	"del,ins{text-decoration:none}.actions button{margin-right:.5rem}"
	"fieldset{border:0;padding:0;margin:0}"
	"body>footer{padding:0 1rem 1rem;font-size:.95rem}"
	"ul.sources{list-style:none;padding:0;margin:0}ul.sources li{margin:.5rem 0}"
	"a.button{display:inline-block;padding:.55rem 1.2rem;border-radius:.3rem;"
	"background:#0b3d6b;color:#fff;text-decoration:none}";

/* clang-format off */
const struct admin_route admin_routes[] = {
	{ "/dashboard", 0, 0, admin_dashboard_get, NULL, "nav.dashboard",
	  "the dashboard: one line per school of the scope, or the school's own for one school" },
	{ "/ecole/", 1, 0, admin_school_get, NULL, "nav.dashboard",
	  "a school's dashboard (/ecole/UAI); a school outside the scope is a 404" },
	{ "/flux", 0, 0, admin_flux_get, NULL, NULL,
	  "the change feed as Server-Sent Events: the dashboard updates itself" },
	{ "/static/dashboard.js", 0, 0, admin_dashboard_js, NULL, NULL,
	  "the dashboard's one script (CSP script-src 'self')" },
	{ "/devices", 0, 0, admin_devices_get, NULL, "nav.devices",
	  "devices: search by owner, MAC, serial, name, in the administrator's scope" },
	{ "/devices/", 1, 1, admin_device_get, admin_device_post, "nav.devices",
	  "a device's page (sessions, certificates, audit trail, explain); revoke, suspend, resume" },
	{ "/policy", 0, 0, admin_policies_get, NULL, "nav.policy",
	  "the policies in scope: the département's default and each school's" },
	{ "/policy/", 1, 1, admin_policy_get, admin_policy_post, "nav.policy",
	  "a policy's editor (check, impact, apply with a comment, history, rollback, back to the default); /policy/<key>/<version> shows a version" },
	{ "/audit", 0, 0, admin_journal_get, NULL, "nav.audit",
	  "the audit log in scope, filtered by who, what, school and period, paged by id" },
	{ "/audit.csv", 0, 0, admin_journal_csv_get, NULL, "nav.audit",
	  "the same filter as a CSV file (UTF-8 with BOM, ';', formulas guarded)" },
	{ "/codes", 0, 1, admin_codes_get, admin_codes_post, "nav.people",
	  "a class's sheet of one-time enrolment codes (school and group in scope)" },
	{ "/people", 0, 0, admin_people_get, NULL, "nav.people",
	  "people: search by login, name or group; the school (in the scope), role and state" },
	{ "/people/", 1, 1, admin_person_get, admin_person_post, "nav.people",
	  "a person's page (devices, groups, state, login lock); disable, enable, "
	  "new password, clear the login lock" },
	{ "/people-import", 0, 1, admin_import_get, admin_import_post, "nav.people",
	  "the CSV import: every problem at its line and column, a preview, then all or nothing" },
};
const size_t admin_routes_n = sizeof(admin_routes) / sizeof(admin_routes[0]);
/* clang-format on */

/* The route for path, with *rest what follows a prefix; NULL when none. */
static const struct admin_route *route_find(const char *path, const char **rest)
{
	const struct admin_route *r;
	size_t n;

	for (r = admin_routes; r < admin_routes + admin_routes_n; r++) {
		n = strlen(r->path);
		if (r->prefix ? !strncmp(path, r->path, n) && path[n] : !strcmp(path, r->path)) {
			*rest = path + n;
			return r;
		}
	}
	return NULL;
}

int admin_error_page(struct admin *a, const struct httpd_request *rq, struct httpd_response *rs,
		     int status)
{
	struct admin_ctx c = {.a = a, .rq = rq, .rs = rs, .lang = rq->lang};

	return admin_page_error(&c, status);
}

/* An auditor's attempt at a change: refused whole, and recorded. */
static int refuse_auditor(struct admin_ctx *c)
{
	json_t *o = json_pack("{s:s, s:s, s:s}", "why", "auditor", "path", c->rq->path, "client",
			      c->rq->client);
	char *after = o ? json_dumps(o, JSON_COMPACT) : NULL;

	httpd_log("%s POST %s: refused to the auditor %s", c->rq->client, c->rq->path,
		  c->admin->login);
	admin_audit(c, "admin.denied", c->rq->path, "", after);
	free(after);
	json_decref(o);
	return admin_page_error(c, 403);
}

/* A page behind the session: both factors given, then the table. */
static int page(struct admin_ctx *c, const struct admin_route *r, int post)
{
	struct admin_session *s = c->session;
	admin_page_fn fn;
	char actor[96];

	if (!s->exists)
		return admin_redirect(c, "/login");
	if (!s->mfa)
		return admin_redirect(c, "/totp"); /* enrolment before any other page */
	c->admin = &s->admin;
	c->scope = &s->scope;
	snprintf(actor, sizeof(actor), "admin:%s", s->admin.login);
	if (reg_set_actor(c->ctx->reg, actor)) /* never unnamed in the audit log */
		return admin_page_error(c, 500);
	if (!r)
		return admin_page_error(c, 404);
	c->route = r;
	fn = post ? r->post : r->get;
	if (!fn)
		return admin_page_error(c, 405);
	if (post) {
		int rc = admin_form_check(c);

		if (rc) {
			httpd_log("%s POST %s: form refused (%s)", c->rq->client, c->rq->path,
				  rc == -EKEYEXPIRED ? "token expired" : "token missing or forged");
			return admin_page_error(c, 403);
		}
		if (r->changes && admin_is_auditor(c))
			return refuse_auditor(c);
		rc = fn(c);
		if (!rc && r->changes && c->rs->status < 400)
			admin_metrics_action(r);
		return rc;
	}
	return fn(c);
}

static int style_sheet(struct httpd_response *rs)
{
	return httpd_body_copy(rs, "text/css; charset=utf-8", css, sizeof(css) - 1, 1);
}

int admin_route(struct admin *a, const struct httpd_request *rq, struct httpd_response *rs)
{
	int get = !strcmp(rq->method, "GET") || !strcmp(rq->method, "HEAD");
	int post = !strcmp(rq->method, "POST");
	struct admin_ctx c = {.a = a, .rq = rq, .rs = rs, .lang = rq->lang, .rest = ""};
	struct web_form form = {0};
	struct admin_session s;
	struct byod_err err;
	const struct admin_route *r = NULL;
	const char *rest = "";
	int rc;

	memset(&s, 0, sizeof(s));
	c.session = &s;
	/* traversal, encoded tricks, odd bytes: refused before anything else */
	if (web_path_check(rq->path)) {
		httpd_log("%s %s: path refused", rq->client, rq->method);
		return admin_page_error(&c, 400);
	}
	if (!strcmp(rq->path, "/static/admin.css"))
		return get ? style_sheet(rs) : admin_page_error(&c, 405);
	if (!strcmp(rq->path, "/confidentialite")) /* before the login: no session */
		return get ? admin_privacy_get(&c) : admin_page_error(&c, 405);
	if (!strcmp(rq->path, "/favicon.ico")) { /* browsers ask: nothing, not an error */
		rs->status = 204;
		rs->cacheable = 1;
		return 0;
	}
	if (!strncmp(rq->path, "/api/", 5)) {
		c.ctx = byod_pool_get(a->db, "admin");
		rc = admin_api(a, c.ctx, rq, rs);
		/* a fault's answer is the error page's: a 500, or a 503 */
		admin_metrics_api(rc ? (admin_registry_unavailable(rc) ? 503 : 500) : rs->status);
		if (rc == -ENOTCONN)
			c.ctx = byod_pool_renew(a->db, c.ctx);
		byod_pool_put(a->db, c.ctx);
		return rc;
	}
	if (!get && !post)
		return admin_page_error(&c, 405);
	if (post && rq->content_type && !strncasecmp(rq->content_type, "multipart/form-data", 19)) {
		/* an upload (the people import's file): its fields read as a
		 * form's, the form token among them; a value as long as the
		 * body the server took (admin.body-limit) */
		if (web_multipart_parse(rq->content_type, rq->body ? rq->body : "", rq->body_len,
					32, rq->body_len, &form, &err)) {
			char buf[600];

			httpd_log("%s POST %s: malformed upload (%s)", rq->client, rq->path,
				  byod_err_str(&err, buf, sizeof(buf)));
			return admin_page_error(&c, 400);
		}
		c.form = &form;
	} else if (post && !strncmp(rq->path, "/saml/acs/", 10)) {
		/* a SAML Response: read whole by the ACS (login_source.c) */
	} else if (post) {
		if (!rq->content_type ||
		    strncasecmp(rq->content_type, "application/x-www-form-urlencoded", 33))
			return admin_page_error(&c, 415);
		if (web_form_parse_max(rq->body ? rq->body : "", rq->body_len, 32,
				       ADMIN_FORM_VALUE_MAX, &form, &err)) {
			char buf[600];

			httpd_log("%s POST %s: malformed form (%s)", rq->client, rq->path,
				  byod_err_str(&err, buf, sizeof(buf)));
			return admin_page_error(&c, 400);
		}
		c.form = &form;
	}
	c.ctx = byod_pool_get(a->db, "admin");
	rc = admin_session_load(&c, &s);
	if (rc)
		goto out;
	__atomic_store_n(&a->registry_down, 0, __ATOMIC_SEQ_CST);
	/* the registry answers: a revocation an outage left unconfirmed is
	 * retried (nearly always nothing to do: one stat) */
	byod_unsettled_settle(c.ctx, NULL);
	if (!strcmp(rq->path, "/")) {
		rc = get ? admin_redirect(&c, s.mfa	 ? "/dashboard"
					      : s.exists ? "/totp"
							 : "/login")
			 : admin_page_error(&c, 405);
	} else if (!strcmp(rq->path, "/login")) {
		rc = get ? admin_login_get(&c) : admin_login_post(&c);
	} else if (!strncmp(rq->path, "/login/", 7)) {
		/* an identity source's door (login_source.c) */
		rc = admin_login_source(&c, rq->path + 7, post);
	} else if (!strncmp(rq->path, "/saml/acs/", 10)) {
		rc = post ? admin_saml_acs(&c, rq->path + 10) : admin_page_error(&c, 405);
	} else if (!strcmp(rq->path, "/saml/done")) {
		/* a HEAD must not take the result up */
		rc = !strcmp(rq->method, "GET") ? admin_saml_done(&c) : admin_page_error(&c, 405);
	} else if (!strncmp(rq->path, "/saml/metadata/", 15)) {
		rc = get ? admin_saml_metadata(&c, rq->path + 15) : admin_page_error(&c, 405);
	} else if (!strcmp(rq->path, "/totp")) {
		rc = get ? admin_totp_get(&c) : admin_totp_post(&c);
	} else if (!strcmp(rq->path, "/logout")) {
		rc = post ? admin_logout_post(&c) : admin_page_error(&c, 405);
	} else {
		r = route_find(rq->path, &rest);
		c.rest = rest;
		rc = page(&c, r, post);
	}
out:
	/* its server went away: the next request gets a new connection */
	if (rc == -ENOTCONN || c.registry_rc == -ENOTCONN)
		c.ctx = byod_pool_renew(a->db, c.ctx);
	byod_pool_put(a->db, c.ctx);
	explicit_bzero(&s, sizeof(s));
	web_form_free(&form);
	return rc;
}
