// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Enrolment: the device's name and kind (guessed from the User-Agent, the
 * pupil may change them), the school's charter, the per-role device limit
 * (at the limit the pupil picks a device to retire in the same form), then
 * core's enrolment use case (byod_device_enrol: the limit, the retired
 * device, the certificate with a server-side key and the downloads, in one
 * registry transaction). The result page shows the PKCS#12 passphrase
 * once, one-time download links (10 minutes) and the steps for the
 * detected platform with the exact values to type.
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

static const char *const kinds[] = { "phone", "tablet", "laptop", "other" };

/* The steps shown for a platform: android, ios, windows, linux. */
static const char *steps_for(enum web_platform pl)
{
	switch (pl) {
	case WEB_PLATFORM_ANDROID:
		return "android";
	case WEB_PLATFORM_IPHONE:
	case WEB_PLATFORM_IPAD:
	case WEB_PLATFORM_MAC:
		return "ios";
	case WEB_PLATFORM_WINDOWS:
		return "windows";
	case WEB_PLATFORM_LINUX:
	case WEB_PLATFORM_CHROMEOS:
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
		live += v[i].state == BYOD_DEVICE_ACTIVE || v[i].state == BYOD_DEVICE_SUSPENDED;
	return live;
}

static int limit_of(struct page_ctx *c)
{
	return byod_enrol_limit(c->ctx, c->s->person.role);
}

int page_enrol(struct page_ctx *c, int status, const char *message)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	enum web_platform pl = web_ua_platform(rq->ua);
	const char *kind = web_ua_kind(rq->ua);
	const char *name = web_form_get(c->form, "name");
	struct reg_device *devs = NULL;
	struct web_html h;
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
	if (web_form_get(c->form, "kind"))
		kind = web_form_get(c->form, "kind");
	snprintf(key, sizeof(key), "platform.%s", web_platform_name(pl));

	web_html_init(&h);
	page_head(c, &h, T("enrol.title"));
	web_html_markup(&h, "<h1>");
	web_html_text(&h, T("enrol.title"));
	web_html_markup(&h, "</h1>");
	if (message)
		page_notice(&h, message, 1);
	web_html_markup(&h, "<form class=\"box\" method=\"post\" action=\"/enrol\">");
	page_token_field(c, &h);
	web_html_markup(&h, "<label for=\"name\">");
	web_html_text(&h, T("enrol.name"));
	web_html_markup(&h, "</label><input id=\"name\" name=\"name\" type=\"text\" required "
			       "maxlength=\"64\"");
	web_html_attr(&h, "value", name ? name : T(key));
	web_html_markup(&h, "><label for=\"kind\">");
	web_html_text(&h, T("enrol.kind"));
	web_html_markup(&h, "</label><select id=\"kind\" name=\"kind\">");
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		char kk[32];

		snprintf(kk, sizeof(kk), "kind.%s", kinds[i]);
		web_html_markup(&h, "<option");
		web_html_attr(&h, "value", kinds[i]);
		if (!strcmp(kind, kinds[i]))
			web_html_markup(&h, " selected");
		web_html_markup(&h, ">");
		web_html_text(&h, T(kk));
		web_html_markup(&h, "</option>");
	}
	web_html_markup(&h, "</select>");

	if (live >= limit) {
		snprintf(num, sizeof(num), "%d", limit);
		web_html_markup(&h, "<fieldset><legend>");
		page_text_with(&h, T("enrol.limit"), num);
		web_html_markup(&h, "</legend>");
		for (i = 0; i < n; i++) {
			char id[64];

			if (devs[i].state != BYOD_DEVICE_ACTIVE &&
			    devs[i].state != BYOD_DEVICE_SUSPENDED)
				continue;
			snprintf(id, sizeof(id), "retire-%s", devs[i].id);
			web_html_markup(&h, "<p class=\"check\"><input type=\"radio\" "
					       "name=\"retire\" required");
			web_html_attr(&h, "id", id);
			web_html_attr(&h, "value", devs[i].id);
			web_html_markup(&h, "><label");
			web_html_attr(&h, "for", id);
			web_html_markup(&h, "><strong>");
			web_html_text(&h, devs[i].name);
			web_html_markup(&h, "</strong> (");
			page_device_summary(c, &h, &devs[i]);
			web_html_markup(&h, ")</label></p>");
		}
		web_html_markup(&h, "</fieldset>");
	}

	web_html_markup(&h, "<h2>");
	web_html_text(&h, T("enrol.charter"));
	web_html_markup(&h, "</h2><div class=\"charter\" tabindex=\"0\">");
	if (p->charter)
		web_html_fragment(&h, p->charter, p->charter_len);
	web_html_markup(&h, "</div><p class=\"check\"><input type=\"checkbox\" id=\"charter\" "
			       "name=\"charter\" value=\"yes\" required><label for=\"charter\">");
	page_text_with(&h, T("enrol.accept"), p->conf.enrol_charter_version);
	web_html_markup(&h, "</label></p><button type=\"submit\">");
	web_html_text(&h, T("enrol.button"));
	web_html_markup(&h, "</button></form>");
	free(devs);
	return page_finish(c, &h, status);
}

/* One line of the values table. */
static void value_row(struct web_html *h, const char *label, const char *value)
{
	web_html_markup(h, "<dt>");
	web_html_text(h, label);
	web_html_markup(h, "</dt><dd><code>");
	web_html_text(h, value);
	web_html_markup(h, "</code></dd>");
}

/* The files core offers after an enrolment (enum byod_offer), each behind
 * its own one-time link, as the page names them. */
static const struct {
	const char *id;      /* the link's id in the page */
	const char *label;   /* its catalogue key */
} offer_info[BYOD_OFFER_N] = {
	[BYOD_OFFER_P12] = {"download", "done.download"},
	[BYOD_OFFER_APPLE] = {"profile-apple", "profile.apple"},
	[BYOD_OFFER_EAP_CONFIG] = {"profile-eap-config", "profile.eap_config"},
	[BYOD_OFFER_PASSPOINT] = {"profile-passpoint", "profile.passpoint"},
	[BYOD_OFFER_WINDOWS] = {"profile-windows", "profile.windows"},
	[BYOD_OFFER_NM] = {"profile-networkmanager", "profile.networkmanager"},
};

/* Which offers each platform's steps show, the first being its main one. */
static const int plat_offers[][4] = {
	/* android */ {BYOD_OFFER_EAP_CONFIG, BYOD_OFFER_PASSPOINT, BYOD_OFFER_P12, -1},
	/* ios */ {BYOD_OFFER_APPLE, BYOD_OFFER_EAP_CONFIG, -1, -1},
	/* windows */ {BYOD_OFFER_WINDOWS, BYOD_OFFER_P12, BYOD_OFFER_EAP_CONFIG, -1},
	/* linux */ {BYOD_OFFER_NM, BYOD_OFFER_EAP_CONFIG, -1, -1},
};
static const char *const plats[] = { "android", "ios", "windows", "linux" };

static void offer_link(struct page_ctx *c, struct web_html *h, const struct byod_enrolment *e,
		       int i, int main_button)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	char href[128];

	if (i < 0 || !e->offers[i].token[0])
		return;
	snprintf(href, sizeof(href), "/download/%s", e->offers[i].token);
	if (main_button) {
		web_html_markup(h, "<p><a class=\"button\" download");
		web_html_attr(h, "id", offer_info[i].id);
	} else {
		web_html_markup(h, "<p><a download");
	}
	web_html_url(h, "href", href);
	web_html_markup(h, ">");
	web_html_text(h, T(offer_info[i].label));
	web_html_markup(h, "</a></p>");
}

/* The numbered steps of one platform, as many as the catalogue has, with
 * the files that platform uses. */
static void steps(struct page_ctx *c, struct web_html *h, size_t plat, int open,
		  const struct byod_enrolment *e)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	char key[64];
	int i;

	if (open)
		web_html_markup(h, "<details open><summary>");
	else
		web_html_markup(h, "<details><summary>");
	snprintf(key, sizeof(key), "steps.%s", plats[plat]);
	web_html_text(h, T(key));
	web_html_markup(h, "</summary>");
	for (i = 0; i < 4; i++) /* the main PKCS#12 link has its id at the top */
		if (plat_offers[plat][i] != BYOD_OFFER_P12)
			offer_link(c, h, e, plat_offers[plat][i], 0);
	web_html_markup(h, "<ol>");
	for (i = 1; i < 20; i++) {
		snprintf(key, sizeof(key), "steps.%s.%d", plats[plat], i);
		if (!strcmp(T(key), key))
			break;
		web_html_markup(h, "<li>");
		web_html_text(h, T(key));
		web_html_markup(h, "</li>");
	}
	web_html_markup(h, "</ol></details>");
}

static int page_enrolled(struct page_ctx *c, const struct byod_enrolment *e)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	const char *mine = steps_for(web_ua_platform(rq->ua));
	struct web_html h;
	size_t i, me = sizeof(plats) / sizeof(plats[0]);

	for (i = 0; mine && i < sizeof(plats) / sizeof(plats[0]); i++)
		if (!strcmp(plats[i], mine))
			me = i;
	c->rs->secret = 1;
	web_html_init(&h);
	page_head(c, &h, T("done.title"));
	web_html_markup(&h, "<h1>");
	web_html_text(&h, T("done.title"));
	web_html_markup(&h, "</h1><div class=\"box\"><p>");
	page_text_with(&h, T("done.device"), e->device.name);
	web_html_markup(&h, "</p>");
	/* the platform's profile first: one tap from here to connected */
	if (me < sizeof(plats) / sizeof(plats[0]) && plat_offers[me][0] != BYOD_OFFER_P12 &&
	    e->offers[plat_offers[me][0]].token[0]) {
		offer_link(c, &h, e, plat_offers[me][0], 1);
		web_html_markup(&h, "<p>");
		web_html_text(&h, T("done.profile_first"));
		web_html_markup(&h, "</p>");
	}
	web_html_markup(&h, "<p>");
	web_html_text(&h, T("done.passphrase"));
	web_html_markup(&h, "</p><p class=\"secret\"><code id=\"passphrase\">");
	web_html_text(&h, e->cert.passphrase);
	web_html_markup(&h, "</code></p><p>");
	web_html_text(&h, T("done.passphrase_once"));
	web_html_markup(&h, "</p>");
	offer_link(c, &h, e, BYOD_OFFER_P12, 1);
	web_html_markup(&h, "<p>");
	web_html_text(&h, T("done.download_once"));
	web_html_markup(&h, "</p><p><a id=\"ca\" download");
	web_html_url(&h, "href", "/ca.crt");
	web_html_markup(&h, ">");
	web_html_text(&h, T("done.ca"));
	web_html_markup(&h, "</a></p>");
	if (e->no_profiles) {
		/* what the administrator must configure, in their words */
		web_html_markup(&h, "<p class=\"notice error\" role=\"alert\">");
		web_html_text(&h, T("done.no_profiles"));
		web_html_markup(&h, " <small>");
		web_html_text(&h, e->why.msg);
		web_html_markup(&h, "</small></p>");
	}
	web_html_markup(&h, "</div><h2>");
	web_html_text(&h, T("done.values"));
	web_html_markup(&h, "</h2><dl class=\"values box\">");
	value_row(&h, T("value.eap"), "TLS");
	value_row(&h, T("value.ca"), "ca.crt");
	value_row(&h, T("value.domain"), p->conf.radius_server_name);
	value_row(&h, T("value.identity"), c->s->person.login);
	value_row(&h, T("value.user_cert"), T("value.user_cert_file"));
	if (p->conf.wifi_ssid[0])
		value_row(&h, T("value.ssid"), p->conf.wifi_ssid);
	web_html_markup(&h, "</dl><h2>");
	web_html_text(&h, T("done.steps"));
	web_html_markup(&h, "</h2>");
	if (me < sizeof(plats) / sizeof(plats[0]))
		steps(c, &h, me, 1, e);
	for (i = 0; i < sizeof(plats) / sizeof(plats[0]); i++)
		if (i != me)
			steps(c, &h, i, 0, e);
	web_html_markup(&h, "<p><a");
	web_html_url(&h, "href", "/devices");
	web_html_markup(&h, ">");
	web_html_text(&h, T("nav.devices"));
	web_html_markup(&h, "</a></p>");
	return page_finish(c, &h, 200);
}

/* A refusal of core's for the device to retire, answered as "Mes appareils"
 * answers a device that is not the pupil's: logged, audited, a 404. */
static int not_theirs(struct page_ctx *c, const char *id, int rc)
{
	if (rc == -EINVAL)
		return portal_page_error(c->p, c->rq, c->rs, 400);
	portal_log("%s: %s asked for device %s, which is not theirs", c->rq->client,
		   c->s->person.login, id);
	reg_audit_add(c->ctx->reg, "portal.denied", id, NULL, NULL, NULL);
	return portal_page_error(c->p, c->rq, c->rs, 404);
}

int page_enrol_post(struct page_ctx *c)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	const char *charter = web_form_get(c->form, "charter");
	struct byod_enrol_params ep = {
		.login = c->s->person.login,
		.charter = p->conf.enrol_charter_version,
		.retire = web_form_get(c->form, "retire"),
		.offers = BYOD_OFFERS_ALL,
		.sign_cert = p->sign_cert,
		.sign_key = p->sign_key,
	};
	struct byod_enrolment e;
	struct byod_err err;
	char name[REG_NAME_MAX], buf[1200];
	int rc, i;

	if (!c->s->logged_in)
		return page_redirect(c, "/");
	if (page_form_refused(c))
		return c->rs->body ? 0 : -ENOMEM;
	if (limit_of(c) == 0)
		return portal_page_error(p, rq, c->rs, 403);
	if (page_device_name(web_form_get(c->form, "name"), name, sizeof(name)))
		return page_enrol(c, 400, T("enrol.bad_name"));
	if (byod_kind_parse(web_form_get(c->form, "kind")) < 0)
		return page_enrol(c, 400, T("enrol.bad_kind"));
	ep.kind = (enum byod_kind)byod_kind_parse(web_form_get(c->form, "kind"));
	if (!charter || strcmp(charter, "yes"))
		return page_enrol(c, 400, T("enrol.charter_required"));
	ep.name = name;

	rc = byod_device_enrol(c->ctx, &ep, &e, &err);
	switch (rc ? e.refusal : BYOD_ENROL_OK) {
	case BYOD_ENROL_OK:
		break;
	case BYOD_ENROL_AT_LIMIT:
		return page_enrol(c, 409, T(byod_enrol_refusal_key(e.refusal)));
	case BYOD_ENROL_NOT_THEIRS:
		return not_theirs(c, ep.retire, rc);
	default:
		return portal_page_error(p, rq, c->rs, 403);
	}
	if (rc) {
		portal_log("enrolment for %s failed: %s", c->s->person.login,
			   byod_err_str(&err, buf, sizeof(buf)));
		return rc;
	}
	if (e.crl_stale)
		portal_log("%s", e.warning.msg);
	if (e.no_profiles)
		portal_log("no device profiles: %s", e.why.msg);
	for (i = 0; i < BYOD_OFFER_N; i++)
		if (e.offers[i].why[0])
			portal_log("profile %s not offered: %s", offer_info[i].id, e.offers[i].why);
	rc = page_enrolled(c, &e);
	byod_enrolment_clear(&e);
	return rc;
}

/* The media type of a stored download, as a static string. */
static const char *download_type(const char *type)
{
	static const char *const known[] = {
		"application/x-pkcs12", "application/x-apple-aspen-config", "application/eap-config",
		"application/x-wifi-config", "application/xml", "application/gzip", NULL,
	};
	const char *const *k;

	for (k = known; *k; k++)
		if (!strcmp(*k, type))
			return *k;
	return "application/octet-stream";
}

int page_download(struct page_ctx *c, const char *token)
{
	struct reg_download dl;
	char hash[REG_HASH_HEX];
	int rc;

	if (web_token_hash(token, hash))
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
	c->rs->content_type = download_type(dl.type);
	snprintf(c->rs->disposition, sizeof(c->rs->disposition), "attachment; filename=\"%s\"",
		 dl.filename);
	c->rs->body = dl.data; /* handed over: the server wipes and frees it */
	c->rs->len = dl.len;
	dl.data = NULL;
	reg_audit_add(c->ctx->reg, "portal.download", dl.device, NULL, NULL, NULL);
	reg_download_clear(&dl);
	return 0;
}
