// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Enrolment: the device's name and kind (guessed from the User-Agent, the
 * pupil may change them), the school's charter, the per-role device limit
 * (at the limit the pupil picks a device to retire in the same form), then
 * the certificate issued through pki/ with a server-side key. The result
 * page shows the PKCS#12 passphrase once, a one-time download link (10
 * minutes) and the steps for the detected platform with the exact values
 * to type. The device, its certificate and the download are one registry
 * transaction: nothing is issued that the registry does not hold.
 */
#include "pages.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "byod_util.h"
#include "token.h"
#include "useragent.h"

#define DOWNLOAD_TTL_S 600

static const char *const kinds[] = { "phone", "tablet", "laptop", "other" };

/* The steps shown for a platform: android, ios, windows, linux. */
static const char *steps_for(enum portal_platform pl)
{
	switch (pl) {
	case PORTAL_PLATFORM_ANDROID:
		return "android";
	case PORTAL_PLATFORM_IPHONE:
	case PORTAL_PLATFORM_IPAD:
	case PORTAL_PLATFORM_MAC:
		return "ios";
	case PORTAL_PLATFORM_WINDOWS:
		return "windows";
	case PORTAL_PLATFORM_LINUX:
	case PORTAL_PLATFORM_CHROMEOS:
		return "linux";
	default:
		return NULL;
	}
}

static int count_live(const struct reg_device *v, size_t n)
{
	size_t i;
	int live = 0;

	for (i = 0; i < n; i++)
		live += v[i].state == REG_DEVICE_ACTIVE || v[i].state == REG_DEVICE_SUSPENDED;
	return live;
}

static int limit_of(struct page_ctx *c)
{
	int role = (int)c->s->person.role;

	if (role < 0 || role > 3)
		return 0;
	return c->p->conf.enrol_limit[role];
}

int page_enrol(struct page_ctx *c, int status, const char *message)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	enum portal_platform pl = portal_ua_platform(rq->ua);
	const char *kind = portal_ua_kind(rq->ua);
	const char *name = portal_form_get(c->form, "name");
	struct reg_device *devs = NULL;
	struct portal_html h;
	char key[64], num[16];
	size_t i, n = 0;
	int rc, live, limit = limit_of(c);

	if (!c->s->logged_in)
		return page_redirect(c, "/");
	if (limit == 0)
		return portal_page_error(p, rq, c->rs, 403);
	rc = page_devices_of(c, &devs, &n);
	if (rc)
		return rc;
	live = count_live(devs, n);
	if (portal_form_get(c->form, "kind"))
		kind = portal_form_get(c->form, "kind");
	snprintf(key, sizeof(key), "platform.%s", portal_platform_name(pl));

	portal_html_init(&h);
	page_head(c, &h, T("enrol.title"));
	portal_html_markup(&h, "<h1>");
	portal_html_text(&h, T("enrol.title"));
	portal_html_markup(&h, "</h1>");
	if (message)
		page_notice(&h, message, 1);
	portal_html_markup(&h, "<form class=\"box\" method=\"post\" action=\"/enrol\">");
	page_token_field(c, &h);
	portal_html_markup(&h, "<label for=\"name\">");
	portal_html_text(&h, T("enrol.name"));
	portal_html_markup(&h, "</label><input id=\"name\" name=\"name\" type=\"text\" required "
			       "maxlength=\"64\"");
	portal_html_attr(&h, "value", name ? name : T(key));
	portal_html_markup(&h, "><label for=\"kind\">");
	portal_html_text(&h, T("enrol.kind"));
	portal_html_markup(&h, "</label><select id=\"kind\" name=\"kind\">");
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		char kk[32];

		snprintf(kk, sizeof(kk), "kind.%s", kinds[i]);
		portal_html_markup(&h, "<option");
		portal_html_attr(&h, "value", kinds[i]);
		if (!strcmp(kind, kinds[i]))
			portal_html_markup(&h, " selected");
		portal_html_markup(&h, ">");
		portal_html_text(&h, T(kk));
		portal_html_markup(&h, "</option>");
	}
	portal_html_markup(&h, "</select>");

	if (live >= limit) {
		snprintf(num, sizeof(num), "%d", limit);
		portal_html_markup(&h, "<fieldset><legend>");
		page_text_with(&h, T("enrol.limit"), num);
		portal_html_markup(&h, "</legend>");
		for (i = 0; i < n; i++) {
			char id[64];

			if (devs[i].state != REG_DEVICE_ACTIVE &&
			    devs[i].state != REG_DEVICE_SUSPENDED)
				continue;
			snprintf(id, sizeof(id), "retire-%s", devs[i].id);
			portal_html_markup(&h, "<p class=\"check\"><input type=\"radio\" "
					       "name=\"retire\" required");
			portal_html_attr(&h, "id", id);
			portal_html_attr(&h, "value", devs[i].id);
			portal_html_markup(&h, "><label");
			portal_html_attr(&h, "for", id);
			portal_html_markup(&h, "><strong>");
			portal_html_text(&h, devs[i].name);
			portal_html_markup(&h, "</strong> (");
			page_device_summary(c, &h, &devs[i]);
			portal_html_markup(&h, ")</label></p>");
		}
		portal_html_markup(&h, "</fieldset>");
	}

	portal_html_markup(&h, "<h2>");
	portal_html_text(&h, T("enrol.charter"));
	portal_html_markup(&h, "</h2><div class=\"charter\" tabindex=\"0\">");
	if (p->charter)
		portal_html_fragment(&h, p->charter, p->charter_len);
	portal_html_markup(&h, "</div><p class=\"check\"><input type=\"checkbox\" id=\"charter\" "
			       "name=\"charter\" value=\"yes\" required><label for=\"charter\">");
	page_text_with(&h, T("enrol.accept"), p->conf.enrol_charter_version);
	portal_html_markup(&h, "</label></p><button type=\"submit\">");
	portal_html_text(&h, T("enrol.button"));
	portal_html_markup(&h, "</button></form>");
	free(devs);
	return page_finish(c, &h, status);
}

/* One line of the values table. */
static void value_row(struct portal_html *h, const char *label, const char *value)
{
	portal_html_markup(h, "<dt>");
	portal_html_text(h, label);
	portal_html_markup(h, "</dt><dd><code>");
	portal_html_text(h, value);
	portal_html_markup(h, "</code></dd>");
}

/* The numbered steps of one platform, as many as the catalogue has. */
static void steps(struct page_ctx *c, struct portal_html *h, const char *plat, int open)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	char key[64];
	int i;

	if (open)
		portal_html_markup(h, "<details open><summary>");
	else
		portal_html_markup(h, "<details><summary>");
	snprintf(key, sizeof(key), "steps.%s", plat);
	portal_html_text(h, T(key));
	portal_html_markup(h, "</summary><ol>");
	for (i = 1; i < 20; i++) {
		snprintf(key, sizeof(key), "steps.%s.%d", plat, i);
		if (!strcmp(T(key), key))
			break;
		portal_html_markup(h, "<li>");
		portal_html_text(h, T(key));
		portal_html_markup(h, "</li>");
	}
	portal_html_markup(h, "</ol></details>");
}

static int page_enrolled(struct page_ctx *c, const struct byod_enrolment *e, const char *token)
{
	static const char *const plats[] = { "android", "ios", "windows", "linux" };
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	const char *mine = steps_for(portal_ua_platform(rq->ua));
	struct portal_html h;
	char href[128];
	size_t i;

	c->rs->secret = 1;
	portal_html_init(&h);
	page_head(c, &h, T("done.title"));
	portal_html_markup(&h, "<h1>");
	portal_html_text(&h, T("done.title"));
	portal_html_markup(&h, "</h1><div class=\"box\"><p>");
	page_text_with(&h, T("done.device"), e->device.name);
	portal_html_markup(&h, "</p><p>");
	portal_html_text(&h, T("done.passphrase"));
	portal_html_markup(&h, "</p><p class=\"secret\"><code id=\"passphrase\">");
	portal_html_text(&h, e->cert.passphrase);
	portal_html_markup(&h, "</code></p><p>");
	portal_html_text(&h, T("done.passphrase_once"));
	portal_html_markup(&h, "</p><p><a class=\"button\" id=\"download\" download");
	snprintf(href, sizeof(href), "/download/%s", token);
	portal_html_url(&h, "href", href);
	portal_html_markup(&h, ">");
	portal_html_text(&h, T("done.download"));
	portal_html_markup(&h, "</a></p><p>");
	portal_html_text(&h, T("done.download_once"));
	portal_html_markup(&h, "</p><p><a id=\"ca\" download");
	portal_html_url(&h, "href", "/ca.crt");
	portal_html_markup(&h, ">");
	portal_html_text(&h, T("done.ca"));
	portal_html_markup(&h, "</a></p></div><h2>");
	portal_html_text(&h, T("done.values"));
	portal_html_markup(&h, "</h2><dl class=\"values box\">");
	value_row(&h, T("value.eap"), "TLS");
	value_row(&h, T("value.ca"), "ca.crt");
	value_row(&h, T("value.domain"), p->conf.radius_server_name);
	value_row(&h, T("value.identity"), c->s->person.login);
	value_row(&h, T("value.user_cert"), T("value.user_cert_file"));
	portal_html_markup(&h, "</dl><h2>");
	portal_html_text(&h, T("done.steps"));
	portal_html_markup(&h, "</h2>");
	if (mine)
		steps(c, &h, mine, 1);
	for (i = 0; i < sizeof(plats) / sizeof(plats[0]); i++)
		if (!mine || strcmp(mine, plats[i]))
			steps(c, &h, plats[i], 0);
	portal_html_markup(&h, "<p><a");
	portal_html_url(&h, "href", "/devices");
	portal_html_markup(&h, ">");
	portal_html_text(&h, T("nav.devices"));
	portal_html_markup(&h, "</a></p>");
	return page_finish(c, &h, 200);
}

/* Enrols and stores the PKCS#12 behind a new one-time link, together. */
static int enrol_and_offer(struct page_ctx *c, const char *name, enum reg_device_kind kind,
			   struct byod_enrolment *e, char token[44])
{
	struct byod_enrol_params ep = {
		.login = c->s->person.login,
		.name = name,
		.kind = kind,
		.charter = c->p->conf.enrol_charter_version,
	};
	struct reg_download dl;
	struct byod_err err;
	int rc;

	rc = portal_token_new(token);
	if (rc)
		return rc;
	memset(&dl, 0, sizeof(dl));
	portal_token_hash(token, dl.token_hash);
	rc = reg_begin(c->ctx->reg, &err);
	if (rc)
		goto fail;
	rc = byod_device_enrol(c->ctx, &ep, e, &err);
	if (rc)
		goto rollback;
	snprintf(dl.device, sizeof(dl.device), "%s", e->device.id);
	snprintf(dl.filename, sizeof(dl.filename), "wifi-%.8s.p12", e->device.id);
	snprintf(dl.type, sizeof(dl.type), "application/x-pkcs12");
	dl.data = e->cert.p12;
	dl.len = e->cert.p12_len;
	dl.created = time(NULL);
	dl.expires = dl.created + DOWNLOAD_TTL_S;
	rc = reg_download_add(c->ctx->reg, &dl, &err);
	if (!rc)
		rc = reg_commit(c->ctx->reg, &err);
	if (!rc)
		return 0;
rollback:
	reg_rollback(c->ctx->reg);
	byod_enrolment_clear(e);
fail:
	{
		char buf[1200];

		portal_log("enrolment for %s failed: %s", c->s->person.login,
			   byod_err_str(&err, buf, sizeof(buf)));
	}
	return rc;
}

int page_enrol_post(struct page_ctx *c)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	const char *charter = portal_form_get(c->form, "charter");
	const char *retire = portal_form_get(c->form, "retire");
	struct reg_device *devs = NULL, old;
	enum reg_device_kind kind;
	struct byod_enrolment e;
	char name[REG_NAME_MAX], token[44];
	size_t n = 0;
	int rc, live, limit;

	if (!c->s->logged_in)
		return page_redirect(c, "/");
	if (page_form_refused(c))
		return c->rs->body ? 0 : -ENOMEM;
	limit = limit_of(c);
	if (limit == 0)
		return portal_page_error(p, rq, c->rs, 403);
	if (page_device_name(portal_form_get(c->form, "name"), name, sizeof(name)))
		return page_enrol(c, 400, T("enrol.bad_name"));
	if (!portal_form_get(c->form, "kind") ||
	    reg_device_kind_parse(portal_form_get(c->form, "kind"), &kind))
		return page_enrol(c, 400, T("enrol.bad_kind"));
	if (!charter || strcmp(charter, "yes"))
		return page_enrol(c, 400, T("enrol.charter_required"));

	rc = page_devices_of(c, &devs, &n);
	if (rc)
		return rc;
	live = count_live(devs, n);
	free(devs);
	if (live >= limit) {
		if (!retire)
			return page_enrol(c, 409, T("enrol.pick_one"));
		rc = page_own_device(c, retire, &old);
		if (rc == -EINVAL || rc == -ENOENT)
			return portal_page_error(p, rq, c->rs, rc == -EINVAL ? 400 : 404);
		if (rc)
			return rc;
		if (old.state != REG_DEVICE_ACTIVE && old.state != REG_DEVICE_SUSPENDED)
			return page_enrol(c, 409, T("enrol.pick_one"));
		rc = page_device_end(c, &old, 0);
		if (rc)
			return rc;
		if (live - 1 >= limit) /* the limit went down since: still too many */
			return page_enrol(c, 409, T("enrol.pick_one"));
	}
	rc = enrol_and_offer(c, name, kind, &e, token);
	if (rc)
		return rc;
	rc = page_enrolled(c, &e, token);
	explicit_bzero(token, sizeof(token));
	byod_enrolment_clear(&e);
	return rc;
}

int page_download(struct page_ctx *c, const char *token)
{
	struct reg_download dl;
	char hash[REG_HASH_HEX];
	int rc;

	if (portal_token_hash(token, hash))
		return portal_page_error(c->p, c->rq, c->rs, 404);
	rc = reg_download_take(c->ctx->reg, hash, time(NULL), &dl, NULL);
	if (rc == -ENOENT) {
		portal_log("%s: a download link used again or expired", c->rq->client);
		return portal_page_error(c->p, c->rq, c->rs, 410);
	}
	if (rc)
		return rc;
	c->rs->secret = 1;
	c->rs->status = 200;
	c->rs->content_type = "application/x-pkcs12";
	snprintf(c->rs->disposition, sizeof(c->rs->disposition), "attachment; filename=\"%s\"",
		 dl.filename);
	c->rs->body = dl.data; /* handed over: the server wipes and frees it */
	c->rs->len = dl.len;
	dl.data = NULL;
	reg_audit_add(c->ctx->reg, "portal.download", dl.device, NULL, NULL, NULL);
	reg_download_clear(&dl);
	return 0;
}
