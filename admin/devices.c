// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The console's devices: a search by owner, MAC, serial or name, and a
 * device's page (its owner, state, certificates, sessions, audit trail,
 * and why it is in its segment now: core's explain), with revoke,
 * suspend and resume. Every read carries the administrator's scope
 * (reg_device_search, reg_device_get_scoped): another school's device
 * asked for by its id in the URL is the same 404 as a device that does
 * not exist, and an audit row says who asked. The changes are audited by
 * the registry with the administrator as actor.
 */
#include "admin_pages.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_session.h"
#include "policy.h"

#define PAGE_SIZE 50

static const char *state_key(enum byod_device_state s)
{
	switch (s) {
	case BYOD_DEVICE_ACTIVE:
		return "device.state.active";
	case BYOD_DEVICE_SUSPENDED:
		return "device.state.suspended";
	case BYOD_DEVICE_REVOKED:
		return "device.state.revoked";
	case BYOD_DEVICE_RETIRED:
		return "device.state.retired";
	default:
		return "device.state.unknown";
	}
}

/* ---- the search ---------------------------------------------------------- */

struct rows {
	struct admin_ctx *c;
	struct web_html *h;
};

static int row(const struct reg_device *d, void *arg)
{
	struct rows *r = arg;
	struct web_html *h = r->h;
	char href[64];

	snprintf(href, sizeof(href), "/devices/%s", d->id);
	web_html_markup(h, "<tr><td><a");
	web_html_url(h, "href", href);
	web_html_markup(h, ">");
	web_html_text(h, d->name[0] ? d->name : d->id);
	web_html_markup(h, "</a></td><td>");
	web_html_text(h, d->owner_login);
	web_html_markup(h, "</td><td>");
	web_html_text(h, d->mac[0] ? d->mac : "—");
	web_html_markup(h, "</td><td>");
	web_html_text(h, d->school[0] ? d->school : "—");
	web_html_markup(h, "</td><td>");
	web_html_text(h, AT(r->c, state_key(d->state)));
	web_html_markup(h, "</td><td>");
	admin_date(r->c, h, d->created);
	web_html_markup(h, "</td></tr>");
	return 0;
}

int admin_devices_get(struct admin_ctx *c)
{
	const char *q = httpd_arg(c->rq, "q"), *pg = httpd_arg(c->rq, "page");
	struct reg_device_search s = {.state = -1, .limit = PAGE_SIZE};
	struct web_html h;
	struct rows r = {.c = c, .h = &h};
	int page = pg ? atoi(pg) : 0, total = 0, rc;

	if (page < 0 || page > 100000)
		page = 0;
	if (q && (!q[0] || strlen(q) > 128))
		q = NULL;
	s.text = q;
	s.offset = page * PAGE_SIZE;
	web_html_init(&h);
	admin_page_head(c, &h, AT(c, "devices.title"), "nav.devices");
	web_html_markup(&h, "<form method=\"get\" action=\"/devices\" role=\"search\">"
			    "<label for=\"q\">");
	web_html_text(&h, AT(c, "devices.search"));
	web_html_markup(&h, "</label><p class=\"hint\" id=\"q-hint\">");
	web_html_text(&h, AT(c, "devices.search.hint"));
	web_html_markup(&h, "</p><input id=\"q\" name=\"q\" type=\"search\" maxlength=\"128\" "
			    "aria-describedby=\"q-hint\"");
	if (q)
		web_html_attr(&h, "value", q);
	web_html_markup(&h, "><button type=\"submit\">");
	web_html_text(&h, AT(c, "devices.search.button"));
	web_html_markup(&h, "</button></form><h2>");
	web_html_text(&h, AT(c, "devices.results"));
	web_html_markup(&h, "</h2>");
	admin_scroll_open(&h, AT(c, "devices.results"));
	web_html_markup(&h, "<table>");
	web_html_markup(&h, "<thead><tr><th scope=\"col\">");
	web_html_text(&h, AT(c, "device.name"));
	web_html_markup(&h, "</th><th scope=\"col\">");
	web_html_text(&h, AT(c, "device.owner"));
	web_html_markup(&h, "</th><th scope=\"col\">");
	web_html_text(&h, AT(c, "device.mac"));
	web_html_markup(&h, "</th><th scope=\"col\">");
	web_html_text(&h, AT(c, "device.school"));
	web_html_markup(&h, "</th><th scope=\"col\">");
	web_html_text(&h, AT(c, "device.state"));
	web_html_markup(&h, "</th><th scope=\"col\">");
	web_html_text(&h, AT(c, "device.created"));
	web_html_markup(&h, "</th></tr></thead><tbody>");
	rc = reg_device_search(c->ctx->reg, c->scope, &s, row, &r, &total, NULL);
	if (rc) {
		web_html_free(&h);
		return rc;
	}
	web_html_markup(&h, "</tbody></table></div>");
	admin_search_footer(c, &h, total, s.offset + PAGE_SIZE, page, "devices.count",
			    "devices.next");
	return admin_page_finish(c, &h, 200);
}

/* ---- a device's page ------------------------------------------------------ */

static int cert_row(const struct reg_cert *t, void *arg)
{
	struct rows *r = arg;

	web_html_markup(r->h, "<tr><td><code>");
	web_html_text(r->h, t->serial);
	web_html_markup(r->h, "</code></td><td>");
	admin_date(r->c, r->h, t->not_before);
	web_html_markup(r->h, "</td><td>");
	admin_date(r->c, r->h, t->not_after);
	web_html_markup(r->h, "</td><td>");
	web_html_text(r->h, reg_cert_state_name(t->state));
	web_html_markup(r->h, "</td></tr>");
	return 0;
}

static int session_row(const struct reg_session *s, void *arg)
{
	struct rows *r = arg;

	web_html_markup(r->h, "<tr><td>");
	admin_date(r->c, r->h, s->started);
	web_html_markup(r->h, "</td><td>");
	if (s->stopped)
		admin_date(r->c, r->h, s->stopped);
	else
		web_html_text(r->h, AT(r->c, "device.session.open"));
	web_html_markup(r->h, "</td><td>");
	web_html_text(r->h, s->nas_id[0] ? s->nas_id : s->nas_ip);
	web_html_markup(r->h, "</td><td>");
	web_html_text(r->h, s->ip[0] ? s->ip : "—");
	web_html_markup(r->h, "</td></tr>");
	return 0;
}

static int audit_row(const struct reg_audit *a, void *arg)
{
	struct rows *r = arg;

	web_html_markup(r->h, "<tr><td>");
	admin_date(r->c, r->h, a->time);
	web_html_markup(r->h, "</td><td>");
	web_html_text(r->h, a->actor);
	web_html_markup(r->h, "</td><td>");
	web_html_text(r->h, a->action);
	web_html_markup(r->h, "</td></tr>");
	return 0;
}

static void explain_line(void *arg, const struct pol_rule *rule, int matched, const char *why)
{
	struct rows *r = arg;

	web_html_markup(r->h, "<li>");
	web_html_textf(r->h, "%s %s (%d) : %s", matched ? "⇒" : "·", rule->name, rule->line, why);
	web_html_markup(r->h, "</li>");
}

/* Why the device is where it is now (byodctl policy explain): under its
 * owner's school's running policy (its own or the département's), with
 * the live teacher unlocks of the owner's groups. */
static void explain(struct admin_ctx *c, struct web_html *h, const struct reg_device *d)
{
	struct pol_policy *pol = NULL;
	struct pol_admission adm;
	struct byod_facts facts;
	struct reg_policy info;
	struct rows r = {.c = c, .h = h};
	struct byod_err err;
	char version[24];
	int rc;

	web_html_markup(h, "<h2>");
	web_html_text(h, AT(c, "device.explain"));
	web_html_markup(h, "</h2><ul lang=\"en\">");
	memset(&info, 0, sizeof(info));
	rc = byod_device_explain(c->ctx, d, -1, time(NULL), &facts, &adm, &pol, &info, explain_line,
				 &r, &err);
	web_html_markup(h, "</ul>");
	if (rc) {
		web_html_markup(h, "<p>");
		web_html_text(h, AT(c, rc == -ENOENT ? "device.explain.none" : "error.500.text"));
		web_html_markup(h, "</p>");
		goto out;
	}
	web_html_markup(h, "<p><strong>");
	web_html_text(h, AT(c, adm.admit ? "device.explain.admit" : "device.explain.refuse"));
	web_html_markup(h, "</strong> <span lang=\"en\">");
	web_html_text(h, adm.reason);
	web_html_markup(h, "</span></p><p>");
	snprintf(version, sizeof(version), "%lld", (long long)info.version);
	admin_text_with(
		h, AT(c, info.school[0] ? "device.explain.by.school" : "device.explain.by.default"),
		version);
	web_html_markup(h, "</p>");
out:
	pol_free(pol);
}

static void action_button(struct admin_ctx *c, struct web_html *h, const char *id,
			  const char *action, const char *label_key, int danger)
{
	char href[64];

	snprintf(href, sizeof(href), "/devices/%s", id);
	web_html_markup(h, "<form method=\"post\"");
	web_html_url(h, "action", href);
	web_html_markup(h, ">");
	admin_token_field(c, h);
	web_html_markup(h, "<input type=\"hidden\" name=\"action\"");
	web_html_attr(h, "value", action);
	web_html_markup(h, ">");
	if (danger)
		web_html_markup(h, "<button class=\"danger\" type=\"submit\">");
	else
		web_html_markup(h, "<button type=\"submit\">");
	web_html_text(h, AT(c, label_key));
	web_html_markup(h, "</button></form>");
}

static int device_page(struct admin_ctx *c, const struct reg_device *d, const char *notice)
{
	struct reg_audit_filter f = {.object = d->id, .limit = 50};
	struct web_html h;
	struct rows r = {.c = c, .h = &h};
	int rc;

	web_html_init(&h);
	admin_page_head(c, &h, d->name[0] ? d->name : d->id, "nav.devices");
	if (notice)
		admin_notice(&h, notice, 0);
	web_html_markup(&h, "<dl class=\"values box\"><dt>");
	web_html_text(&h, AT(c, "device.owner"));
	web_html_markup(&h, "</dt><dd>");
	web_html_text(&h, d->owner_login);
	web_html_markup(&h, "</dd><dt>");
	web_html_text(&h, AT(c, "device.school"));
	web_html_markup(&h, "</dt><dd>");
	web_html_text(&h, d->school[0] ? d->school : "—");
	web_html_markup(&h, "</dd><dt>");
	web_html_text(&h, AT(c, "device.state"));
	web_html_markup(&h, "</dt><dd>");
	web_html_text(&h, AT(c, state_key(d->state)));
	web_html_markup(&h, "</dd><dt>");
	web_html_text(&h, AT(c, "device.mac"));
	web_html_markup(&h, "</dt><dd>");
	web_html_text(&h, d->mac[0] ? d->mac : "—");
	web_html_markup(&h, "</dd><dt>");
	web_html_text(&h, AT(c, "device.id"));
	web_html_markup(&h, "</dt><dd><code>");
	web_html_text(&h, d->id);
	web_html_markup(&h, "</code></dd><dt>");
	web_html_text(&h, AT(c, "device.created"));
	web_html_markup(&h, "</dt><dd>");
	admin_date(c, &h, d->created);
	web_html_markup(&h, "</dd></dl>");
	/* the changes are offered to whom may make them; the route refuses
	 * them to an auditor anyway */
	if (!admin_is_auditor(c)) {
		web_html_markup(&h, "<div class=\"actions\">");
		if (d->state == BYOD_DEVICE_ACTIVE)
			action_button(c, &h, d->id, "suspend", "device.suspend", 0);
		if (d->state == BYOD_DEVICE_SUSPENDED)
			action_button(c, &h, d->id, "resume", "device.resume", 0);
		if (d->state == BYOD_DEVICE_ACTIVE || d->state == BYOD_DEVICE_SUSPENDED)
			action_button(c, &h, d->id, "revoke", "device.revoke", 1);
		web_html_markup(&h, "</div>");
	}
	explain(c, &h, d);

	web_html_markup(&h, "<h2>");
	web_html_text(&h, AT(c, "device.certs"));
	web_html_markup(&h, "</h2>");
	admin_scroll_open(&h, AT(c, "device.certs"));
	web_html_markup(&h, "<table>");
	web_html_markup(&h, "<thead><tr><th scope=\"col\">");
	web_html_text(&h, AT(c, "device.cert.serial"));
	web_html_markup(&h, "</th><th scope=\"col\">");
	web_html_text(&h, AT(c, "device.cert.from"));
	web_html_markup(&h, "</th><th scope=\"col\">");
	web_html_text(&h, AT(c, "device.cert.until"));
	web_html_markup(&h, "</th><th scope=\"col\">");
	web_html_text(&h, AT(c, "device.state"));
	web_html_markup(&h, "</th></tr></thead><tbody>");
	rc = reg_cert_list_for_device(c->ctx->reg, d->id, cert_row, &r, NULL);
	web_html_markup(&h, "</tbody></table></div><h2>");
	web_html_text(&h, AT(c, "device.sessions"));
	web_html_markup(&h, "</h2>");
	admin_scroll_open(&h, AT(c, "device.sessions"));
	web_html_markup(&h, "<table>");
	web_html_markup(&h, "<thead><tr><th scope=\"col\">");
	web_html_text(&h, AT(c, "device.session.start"));
	web_html_markup(&h, "</th><th scope=\"col\">");
	web_html_text(&h, AT(c, "device.session.stop"));
	web_html_markup(&h, "</th><th scope=\"col\">");
	web_html_text(&h, AT(c, "device.session.ap"));
	web_html_markup(&h, "</th><th scope=\"col\">");
	web_html_text(&h, AT(c, "device.session.ip"));
	web_html_markup(&h, "</th></tr></thead><tbody>");
	if (!rc)
		rc = reg_session_list(c->ctx->reg, 0, d->id, session_row, &r, NULL);
	web_html_markup(&h, "</tbody></table></div><h2>");
	web_html_text(&h, AT(c, "device.audit"));
	web_html_markup(&h, "</h2>");
	admin_scroll_open(&h, AT(c, "device.audit"));
	web_html_markup(&h, "<table>");
	web_html_markup(&h, "<thead><tr><th scope=\"col\">");
	web_html_text(&h, AT(c, "audit.time"));
	web_html_markup(&h, "</th><th scope=\"col\">");
	web_html_text(&h, AT(c, "audit.actor"));
	web_html_markup(&h, "</th><th scope=\"col\">");
	web_html_text(&h, AT(c, "audit.action"));
	web_html_markup(&h, "</th></tr></thead><tbody>");
	if (!rc)
		rc = reg_audit_search(c->ctx->reg, c->scope, &f, audit_row, &r, NULL);
	web_html_markup(&h, "</tbody></table></div>");
	if (rc) {
		web_html_free(&h);
		return rc;
	}
	return admin_page_finish(c, &h, 200);
}

/* The device the path names, in scope: 0, or the 404 page and its audit
 * row already made (1), or a negative errno. */
static int device_of(struct admin_ctx *c, struct reg_device *d)
{
	int rc;

	if (strlen(c->rest) >= REG_ID_MAX || strchr(c->rest, '/'))
		return admin_not_found(c, "device", c->rest) ?: 1;
	rc = reg_device_get_scoped(c->ctx->reg, c->scope, c->rest, d, NULL);
	if (rc == -ENOENT)
		return admin_not_found(c, "device", c->rest) ?: 1;
	return rc;
}

int admin_device_get(struct admin_ctx *c)
{
	static const char *const known[] = {"revoked", "suspended", "resumed", NULL};
	const char *ok = httpd_arg(c->rq, "ok"), *notice = NULL;
	struct reg_device d;
	char key[40];
	int rc, i;

	rc = device_of(c, &d);
	if (rc)
		return rc > 0 ? 0 : rc;
	for (i = 0; ok && known[i]; i++) {
		if (!strcmp(ok, known[i])) {
			snprintf(key, sizeof(key), "device.ok.%s", known[i]);
			notice = AT(c, key);
		}
	}
	c->self = NULL;
	return device_page(c, &d, notice);
}

/* 503: the revocation may not be recorded yet; it will be retried. Made
 * without the registry, which does not answer. */
static int revoke_pending(struct admin_ctx *c)
{
	struct web_html h;

	web_html_init(&h);
	admin_page_head(c, &h, AT(c, "device.revoke_pending.title"), NULL);
	web_html_markup(&h, "<p>");
	web_html_text(&h, AT(c, "device.revoke_pending.text"));
	web_html_markup(&h, "</p><p><a");
	web_html_url(&h, "href", "/devices");
	web_html_markup(&h, ">");
	web_html_text(&h, AT(c, "error.back"));
	web_html_markup(&h, "</a></p>");
	c->rs->retry_after = 10;
	return admin_page_finish(c, &h, 503);
}

int admin_device_post(struct admin_ctx *c)
{
	const char *action = web_form_get(c->form, "action");
	struct reg_device d;
	struct byod_err err;
	char where[80];
	const char *done;
	int rc;

	rc = device_of(c, &d);
	if (rc)
		return rc > 0 ? 0 : rc;
	if (!action)
		return admin_page_error(c, 400);
	if (!strcmp(action, "revoke") &&
	    (d.state == BYOD_DEVICE_ACTIVE || d.state == BYOD_DEVICE_SUSPENDED)) {
		/* keyCompromise: the console revokes what may be in other hands */
		rc = byod_device_revoke(c->ctx, d.id, 1, BYOD_DEVICE_REVOKED, NULL, &err);
		done = "revoked";
	} else if (!strcmp(action, "suspend") && d.state == BYOD_DEVICE_ACTIVE) {
		rc = reg_device_set_state(c->ctx->reg, d.id, BYOD_DEVICE_SUSPENDED, &err);
		done = "suspended";
	} else if (!strcmp(action, "resume") && d.state == BYOD_DEVICE_SUSPENDED) {
		rc = reg_device_set_state(c->ctx->reg, d.id, BYOD_DEVICE_ACTIVE, &err);
		done = "resumed";
	} else {
		/* a state that does not allow it (a second tab, an old page) */
		return admin_page_error(c, 409);
	}
	/* the registry lost under the revocation, which byod_device_revoke
	 * could not confirm: noted, and retried once the registry answers */
	if (rc == -ENOTCONN && !strcmp(done, "revoked") && byod_unsettled_pending(c->ctx, d.id))
		return revoke_pending(c);
	if (rc)
		return rc;
	snprintf(where, sizeof(where), "/devices/%s?ok=%s", d.id, done);
	return admin_redirect(c, where);
}
