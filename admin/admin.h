/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * byod-admin's shared types: the program (configuration, catalogues,
 * registry connections), what a page gets (struct admin_ctx: the
 * logged-in administrator, the scope every registry query carries, the
 * language, the form token), the route table (routes.c) and the frame
 * every page is drawn in (frame.c). A page is a function of a context: it
 * reads the registry through c->ctx with c->scope, writes its HTML with the
 * escaping builder (web/html.h) between admin_page_head and
 * admin_page_finish, and returns 0 or a negative errno for a server fault.
 */
#ifndef BYOD_ADMIN_H
#define BYOD_ADMIN_H

#include <pthread.h>
#include <stddef.h>
#include <time.h>

#include "byod.h"
#include "byod_conf.h"
#include "form.h"
#include "html.h"
#include "httpd.h"
#include "i18n.h"
#include "token.h"

struct admin_route;
struct admin_session;
struct byod_pool;
struct reg_admin;
struct reg_scope;

/* The program: read once at start, then only read by the request threads. */
struct admin {
	struct byod_conf conf;
	pthread_rwlock_t reload; /* held to read by each request, to write by a
				  * reload (SIGHUP) while it swaps conf */
	struct web_i18n *i18n;
	struct byod_pool *db; /* registry connections, one per request thread */
	char home[4096];
	char cert[4096], key[4096]; /* the HTTPS certificate's files */
	char dummy_hash[160];	    /* checked when a login does not exist (same time) */
	char form_key[65];	    /* signs the form tokens: the registry's web key
				     * "admin-form", shared by every byod-admin process */
	struct httpd *srv;	    /* the console's server (its answers by class) */
	time_t started;
	int registry_down;	    /* the last request found the registry away (atomic) */
};

/* The cookies, apart from the portal's (the same host may serve both). */
#define ADMIN_SESSION_COOKIE "byod_admin"
#define ADMIN_LOGIN_COOKIE   "byod_admin_login" /* binds the login page's form */
#define ADMIN_LANG_COOKIE    "byod_admin_lang"

/* Everything a page works with. */
struct admin_ctx {
	struct admin *a;
	const struct httpd_request *rq;
	struct httpd_response *rs;
	struct byod_ctx *ctx;		    /* the registry; the audit actor is
					     * "admin:<login>" once logged in */
	const struct reg_admin *admin;	    /* the logged-in administrator (second
					     * factor given), NULL on the login pages */
	const struct reg_scope *scope;	    /* what they may see: pass it to every
					     * scoped registry query; never NULL with admin */
	const char *lang;		    /* "fr" or "en" */
	const struct web_form *form;	    /* the POST body (its token checked), or NULL */
	const struct admin_route *route;    /* the route being answered, or NULL */
	const char *rest;		    /* what follows a prefix route's path, or "" */
	char token[WEB_FORM_TOKEN_LEN + 1]; /* the page's form token (CSRF), made by
					     * admin_token_field on first use */
	const char *self;		    /* the GET path showing this page again (the
					     * language switch goes there), or NULL */
	int registry_rc;		    /* the registry's error behind a 503, or 0 */
	struct admin_session *session;	    /* the session behind it (admin_session.h) */
};

/* The translation of key in the page's language. */
#define AT(c, key) web_i18n_get((c)->a->i18n, (c)->lang, (key))
/* Its plural form for n (the catalogue's msgid_plural is the key itself). */
#define ATN(c, key, n) web_i18n_nget((c)->a->i18n, (c)->lang, (key), (key), (unsigned long)(n))

typedef int (*admin_page_fn)(struct admin_ctx *c);

/*
 * One route of the console. A page behind it is shown only to an
 * administrator who has given both factors (the login pages are apart, in
 * routes.c). GET stands for HEAD too; GET never changes anything. A POST
 * is taken only with the session's form token; a route whose POST changes
 * something (changes = 1) refuses it to an auditor: a 403 page and an
 * audit row "admin.denied", the handler not called.
 */
struct admin_route {
	const char *path; /* the whole path, or its beginning when prefix */
	unsigned prefix : 1;
	unsigned changes : 1; /* its POST changes something: never for an auditor */
	admin_page_fn get;    /* NULL: 405 */
	admin_page_fn post;   /* NULL: 405 */
	const char *nav;      /* the navigation entry it lights ("nav.devices"), or NULL */
	const char *help;     /* what it is for (README's table) */
};

/* The table (routes.c); every page of the console is a line of it. */
extern const struct admin_route admin_routes[];
extern const size_t admin_routes_n;

/* The console's counters (metrics.c), from any thread: a password login's
 * result (admin_password_attempt's rc), a change made by a route's POST,
 * an API answer's status; admin_metrics_write answers a scrape
 * (httpd_metrics_fn, app the struct admin). */
void admin_metrics_login(int rc);
void admin_metrics_action(const struct admin_route *r);
void admin_metrics_api(int status);
struct byod_expo;
void admin_metrics_write(void *app, struct byod_expo *e);

/* ---- the frame (frame.c) --------------------------------------------------- */

/* The top of a page: <title>, the header with the administrator's name and
 * role, the logout button, the FR/EN switch, the navigation with nav
 * ("nav.dashboard", "nav.devices", "nav.people", "nav.policy", "nav.audit")
 * marked current, then <main> and the <h1> title. Without an
 * administrator (login pages): the header and the switch only. */
void admin_page_head(struct admin_ctx *c, struct web_html *h, const char *title, const char *nav);
/* Closes the page into c->rs with status; -ENOMEM when the builder failed. */
int admin_page_finish(struct admin_ctx *c, struct web_html *h, int status);
/* The hidden form-token field of every form (the token made on first use). */
void admin_token_field(struct admin_ctx *c, struct web_html *h);
/* tmpl as text with its first "{}" replaced by value (both escaped). */
void admin_text_with(struct web_html *h, const char *tmpl, const char *value);
/* Opens a box for a table that may scroll sideways on a phone: a region
 * named label (already translated) that the keyboard can reach and scroll
 * (<div class="scroll" tabindex="0" role="region" aria-label=...>); the
 * caller writes the table and closes the </div>. */
void admin_scroll_open(struct web_html *h, const char *label);
/* target (a path and its query, as sent) with name=value in place of any
 * name= it had, into out: a language switch or the next page of a search
 * keeps the search and its filters. Too long for out: the bare path with
 * name=value alone. */
void admin_href_with(const char *target, const char *name, const char *value, char *out,
		     size_t len);
/* Under a search's results: how many match in all (count_key, a plural
 * with "{}"), and while rows up to shown_to do not reach total, a link to
 * page + 1 (next_key) that keeps the search and its filters. */
void admin_search_footer(struct admin_ctx *c, struct web_html *h, int total, int shown_to, int page,
			 const char *count_key, const char *next_key);
/* A notice box (role=status) or an error box (role=alert). */
void admin_notice(struct web_html *h, const char *text, int error);
/* A date and time in the page's language ("3 déc. 2026 18:04"). */
void admin_date(struct admin_ctx *c, struct web_html *h, time_t t);
/* An error page (403, 404, 405, 500, 503 with Retry-After...) in the frame. */
int admin_page_error(struct admin_ctx *c, int status);
/* 303 See Other to path (on this console). */
int admin_redirect(struct admin_ctx *c, const char *path);

/* An audit row with the administrator as actor (reg_audit_add_school):
 * action (at most 31 bytes, "admin.audit-export"), object (may be NULL),
 * school the UAI it concerns ("" none: seen by every-school scopes only;
 * NULL: the registry derives it from action and object), after a JSON
 * object text (may be NULL). 0 or a negative errno. */
int admin_audit(struct admin_ctx *c, const char *action, const char *object, const char *school,
		const char *after);

/* Writes what a refusal of something outside the scope leaves: one log
 * line and an audit row "admin.denied" (object: id, cut at 63 bytes; after:
 * what, the whole id, the client), with the context's actor. For pages
 * (admin_not_found) and the API alike. */
void admin_denied(struct byod_ctx *ctx, const struct httpd_request *rq, const char *admin,
		  const char *what, const char *id);

/* What a page shows for an id of a row outside the scope (or missing):
 * the 404 page and an audit row "admin.denied" naming what was asked. */
int admin_not_found(struct admin_ctx *c, const char *what, const char *id);

/* 1 when the logged-in administrator is an auditor (read-only). */
int admin_is_auditor(const struct admin_ctx *c);

/* Whether rc means "the registry is unavailable": the page is a 503. */
int admin_registry_unavailable(int rc);

#endif /* BYOD_ADMIN_H */
