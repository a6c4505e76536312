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
#include "byod_service.h"
#include "pages.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "byod_util.h"
#include "form.h"
#include "profile.h"
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

static int page_gone(struct page_ctx *c, int status, const char *title, const char *text,
		     const char *more, const char *href, const char *link);

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
	if (portal_session_is_code(c->s) && c->s->row.enrolled)
		return page_redirect(c, "/enrolled"); /* a code enrols one device */
	rc = page_devices_of(c, &devs, &n);
	if (rc)
		return rc;
	live = count_live(devs, n);
	if (live >= limit && portal_session_is_code(c->s)) {
		/* retiring a device takes the password, not a card */
		free(devs);
		c->self = "/enrol";
		return page_gone(c, 409, "code.limit.title", "code.limit.text", NULL, "/",
				 "error.back");
	}
	if (web_form_get(c->form, "kind"))
		kind = web_form_get(c->form, "kind");
	snprintf(key, sizeof(key), "platform.%s", web_platform_name(pl));

	c->self = "/enrol";
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
		page_text_with(&h, TN("enrol.limit", limit), num);
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
			web_html_markup(&h, " · ");
			page_text_with(&h, T("enrol.since"), "");
			page_enrolled_when(c, &h, &devs[i], devs, n);
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
 * its own one-time link, as the page names them and says what they do. */
static const struct {
	const char *id;    /* the link's id in the page */
	const char *label; /* its catalogue key */
	const char *what;  /* what the file does, for whom (catalogue key) */
} offer_info[BYOD_OFFER_N] = {
	[BYOD_OFFER_P12] = {"download", "done.download", "file.p12"},
	[BYOD_OFFER_APPLE] = {"profile-apple", "profile.apple", "file.apple"},
	[BYOD_OFFER_EAP_CONFIG] = {"profile-eap-config", "profile.eap_config", "file.eap_config"},
	[BYOD_OFFER_PASSPOINT] = {"profile-passpoint", "profile.passpoint", "file.passpoint"},
	[BYOD_OFFER_WINDOWS] = {"profile-windows", "profile.windows", "file.windows"},
	[BYOD_OFFER_NM] = {"profile-networkmanager", "profile.networkmanager",
			   "file.networkmanager"},
};

/* Which offers each platform uses, its main one first (the PKCS#12 as the
 * main one means no file of its own comes before it). */
static const int plat_offers[][3] = {
	/* android */ {BYOD_OFFER_EAP_CONFIG, BYOD_OFFER_PASSPOINT, BYOD_OFFER_P12},
	/* ios */ {BYOD_OFFER_APPLE, BYOD_OFFER_EAP_CONFIG, -1},
	/* windows */ {BYOD_OFFER_P12, BYOD_OFFER_WINDOWS, BYOD_OFFER_EAP_CONFIG},
	/* linux */ {BYOD_OFFER_NM, BYOD_OFFER_EAP_CONFIG, -1},
};
static const char *const plats[] = { "android", "ios", "windows", "linux" };
#define PLATS (sizeof(plats) / sizeof(plats[0]))

/*
 * What the enrolled page is made from, kept for the session while its
 * links live so that it can be shown again (in the other language): the
 * passphrase and the links' tokens are nowhere else, so it is sealed
 * under the session's cookie (web_token_seal), which the registry never
 * holds, and stored beside the downloads it names, under an id only that
 * cookie gives (web_token_derive), which no download link can hash to.
 */
struct enrolled {
	char device[REG_ID_MAX];
	char name[REG_NAME_MAX];
	char passphrase[PKI_PASSPHRASE_MAX];
	char tokens[BYOD_OFFER_N][BYOD_TOKEN_MAX]; /* "" when not offered */
	int used[BYOD_OFFER_N];			   /* shown again: used or expired */
	int no_profiles;
	char why[768];
};

#define ENROLLED_LABEL "enrolled-page"
#define ENROLLED_TYPE  "application/x-byod-enrolled-page"
#define ENROLLED_MAGIC "byod-enrolled-1"

static void enrolled_clear(struct enrolled *v)
{
	explicit_bzero(v, sizeof(*v));
}

/* The session cookie's value, into cookie[44]; -ENOENT without one. */
static int session_cookie(const struct page_ctx *c, char cookie[44])
{
	if (web_cookie_get(c->rq->cookie, PORTAL_SESSION_COOKIE, cookie, 44) ||
	    !web_token_valid(cookie))
		return -ENOENT;
	return 0;
}

/*
 * The fields, each followed by a NUL: magic, device, name, passphrase, a
 * token per offer, no_profiles, why. None of them holds a NUL. Returns
 * the length written into buf, or 0 when it does not fit.
 */
static size_t enrolled_pack(const struct enrolled *v, char *buf, size_t size)
{
	const char *f[5 + BYOD_OFFER_N];
	size_t i, n = 0, l;

	f[0] = ENROLLED_MAGIC;
	f[1] = v->device;
	f[2] = v->name;
	f[3] = v->passphrase;
	for (i = 0; i < BYOD_OFFER_N; i++)
		f[4 + i] = v->tokens[i];
	f[4 + BYOD_OFFER_N] = v->no_profiles ? "1" : "0";
	for (i = 0; i < 5 + BYOD_OFFER_N; i++) {
		l = strlen(f[i]) + 1;
		if (n + l > size)
			return 0;
		memcpy(buf + n, f[i], l);
		n += l;
	}
	l = strlen(v->why) + 1;
	if (n + l > size)
		return 0;
	memcpy(buf + n, v->why, l);
	return n + l;
}

/* The field at *at (NUL-terminated inside buf[0..len)) into out; 0 or -1. */
static int field(const char *buf, size_t len, size_t *at, char *out, size_t size)
{
	size_t l;

	if (*at >= len)
		return -1;
	l = strnlen(buf + *at, len - *at);
	if (*at + l >= len || l >= size)
		return -1;
	memcpy(out, buf + *at, l + 1);
	*at += l + 1;
	return 0;
}

static int enrolled_unpack(const char *buf, size_t len, struct enrolled *v)
{
	char magic[32], flag[2];
	size_t at = 0, i;
	int bad;

	memset(v, 0, sizeof(*v));
	bad = field(buf, len, &at, magic, sizeof(magic)) || strcmp(magic, ENROLLED_MAGIC) ||
	      field(buf, len, &at, v->device, sizeof(v->device)) ||
	      field(buf, len, &at, v->name, sizeof(v->name)) ||
	      field(buf, len, &at, v->passphrase, sizeof(v->passphrase));
	for (i = 0; !bad && i < BYOD_OFFER_N; i++)
		bad = field(buf, len, &at, v->tokens[i], sizeof(v->tokens[i]));
	bad = bad || field(buf, len, &at, flag, sizeof(flag)) ||
	      field(buf, len, &at, v->why, sizeof(v->why)) || at != len;
	if (bad) {
		enrolled_clear(v);
		return -EBADMSG;
	}
	v->no_profiles = flag[0] == '1';
	return 0;
}

/* Keeps v for this session until the links expire (ttl seconds), in place
 * of any page an earlier enrolment of the session kept. */
static int enrolled_keep(struct page_ctx *c, const struct enrolled *v, int ttl)
{
	struct reg_download dl, old;
	unsigned char *sealed = NULL;
	char cookie[44], buf[2048];
	size_t n, len = 0;
	int rc;

	memset(&dl, 0, sizeof(dl));
	rc = session_cookie(c, cookie);
	if (!rc)
		rc = web_token_derive(cookie, ENROLLED_LABEL, dl.token_hash);
	n = rc ? 0 : enrolled_pack(v, buf, sizeof(buf));
	if (!rc && !n)
		rc = -E2BIG;
	if (!rc)
		rc = web_token_seal(cookie, ENROLLED_LABEL, v->device, buf, n, &sealed, &len);
	explicit_bzero(buf, sizeof(buf));
	explicit_bzero(cookie, sizeof(cookie));
	if (rc)
		goto out;
	if (!reg_download_take(c->ctx->reg, dl.token_hash, time(NULL), &old, NULL))
		reg_download_clear(&old);
	snprintf(dl.device, sizeof(dl.device), "%s", v->device);
	snprintf(dl.filename, sizeof(dl.filename), "%s", ENROLLED_LABEL);
	snprintf(dl.type, sizeof(dl.type), "%s", ENROLLED_TYPE);
	dl.data = sealed;
	dl.len = len;
	dl.created = time(NULL);
	dl.expires = dl.created + ttl;
	rc = reg_download_add(c->ctx->reg, &dl, NULL);
out:
	free(sealed);
	return rc;
}

/* The page this session kept, when it is still there, opens with its
 * cookie and names a live device of the pupil's; -ENOENT otherwise. */
static int enrolled_find(struct page_ctx *c, struct enrolled *v)
{
	struct reg_download dl;
	struct reg_device d;
	char cookie[44], hash[REG_HASH_HEX], *plain = NULL;
	size_t len = 0;
	int rc;

	memset(&dl, 0, sizeof(dl));
	rc = session_cookie(c, cookie);
	if (!rc)
		rc = web_token_derive(cookie, ENROLLED_LABEL, hash);
	if (!rc)
		rc = reg_download_peek(c->ctx->reg, hash, time(NULL), &dl, NULL);
	if (!rc && strcmp(dl.type, ENROLLED_TYPE))
		rc = -ENOENT;
	if (!rc)
		rc = web_token_open(cookie, ENROLLED_LABEL, dl.device, dl.data, dl.len, &plain,
				    &len);
	explicit_bzero(cookie, sizeof(cookie));
	if (!rc)
		rc = enrolled_unpack(plain, len, v);
	if (plain) {
		explicit_bzero(plain, len);
		free(plain);
	}
	if (!rc && strcmp(v->device, dl.device))
		rc = -EBADMSG;
	reg_download_clear(&dl);
	/* a device lost or retired since: its passphrase is no use any more;
	 * one whose page could not be made is to be revoked
	 * (byod_enrolment_undelivered): never shown */
	if (!rc && (reg_device_get(c->ctx->reg, v->device, &d, NULL) ||
		    d.owner != c->s->person.id || d.state != BYOD_DEVICE_ACTIVE ||
		    byod_unsettled_pending(c->ctx, v->device)))
		rc = -ENOENT;
	if (rc) {
		enrolled_clear(v);
		return rc == -ENOENT || rc == -EBADMSG || rc == -EINVAL ? -ENOENT : rc;
	}
	return 0;
}

/* One file's link (or, when it has been used, its name and that it was),
 * main as the page's big button; with what the file does. */
static void offer_link(struct page_ctx *c, struct web_html *h, const struct enrolled *v, int i,
		       int main_button)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	char href[128];

	if (i < 0 || !v->tokens[i][0])
		return;
	if (v->used[i]) {
		web_html_markup(h, "<p class=\"used\"><strong>");
		web_html_text(h, T(offer_info[i].label));
		web_html_markup(h, "</strong> ");
		web_html_text(h, T("done.used"));
		web_html_markup(h, "</p>");
		return;
	}
	/* no download attribute: a used link must show its page, not a
	 * download that fails; the file itself comes as an attachment */
	snprintf(href, sizeof(href), "/download/%s", v->tokens[i]);
	if (main_button)
		web_html_markup(h, "<p><a class=\"button\"");
	else
		web_html_markup(h, "<p><a");
	web_html_attr(h, "id", offer_info[i].id);
	web_html_url(h, "href", href);
	web_html_markup(h, ">");
	web_html_text(h, T(offer_info[i].label));
	web_html_markup(h, "</a></p><p class=\"what\">");
	web_html_text(h, T(offer_info[i].what));
	web_html_markup(h, "</p>");
}

/* Technical details, closed, for whoever helps the pupil. */
static void for_technician(struct page_ctx *c, struct web_html *h, const char *text)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;

	web_html_markup(h, "<details class=\"tech\"><summary>");
	web_html_text(h, T("done.technician"));
	web_html_markup(h, "</summary><p>");
	web_html_text(h, text);
	web_html_markup(h, "</p></details>");
}

/* The numbered steps of one platform, as many as the catalogue has, and
 * its technical details when it has some. The files are linked once,
 * above: the steps name them. */
static void steps(struct page_ctx *c, struct web_html *h, size_t plat, int open)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	char key[64];
	int i;

	if (open)
		web_html_markup(h, "<details class=\"steps\" open><summary>");
	else
		web_html_markup(h, "<details class=\"steps\"><summary>");
	snprintf(key, sizeof(key), "steps.%s", plats[plat]);
	web_html_text(h, T(key));
	web_html_markup(h, "</summary><ol>");
	for (i = 1; i < 20; i++) {
		snprintf(key, sizeof(key), "steps.%s.%d", plats[plat], i);
		if (!strcmp(T(key), key))
			break;
		web_html_markup(h, "<li>");
		web_html_text(h, T(key));
		web_html_markup(h, "</li>");
	}
	web_html_markup(h, "</ol>");
	snprintf(key, sizeof(key), "steps.%s.tech", plats[plat]);
	if (strcmp(T(key), key))
		for_technician(c, h, T(key));
	web_html_markup(h, "</details>");
}

/* The page after an enrolment, or the same again (the links used since
 * say so). */
static int page_enrolled(struct page_ctx *c, const struct enrolled *v)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	const char *mine = steps_for(web_ua_platform(rq->ua));
	int shown[BYOD_OFFER_N] = {0}, main = -1, others = 0;
	struct web_html h;
	size_t i, j, me = PLATS;

	for (i = 0; mine && i < PLATS; i++)
		if (!strcmp(plats[i], mine))
			me = i;
	c->rs->secret = 1;
	c->rs->script = 1; /* the copy button */
	c->self = "/enrolled";
	web_html_init(&h);
	page_head(c, &h, T("done.title"));
	web_html_markup(&h, "<h1>");
	web_html_text(&h, T("done.title"));
	web_html_markup(&h, "</h1><div class=\"box\"><p>");
	page_text_with(&h, T("done.device"), v->name);
	web_html_markup(&h, "</p>");
	/* the platform's profile first: one tap from here to connected */
	if (me < PLATS && plat_offers[me][0] != BYOD_OFFER_P12 &&
	    v->tokens[plat_offers[me][0]][0]) {
		main = plat_offers[me][0];
		offer_link(c, &h, v, main, 1);
		shown[main] = 1;
	}
	web_html_markup(&h, "<p>");
	web_html_text(&h, T("done.passphrase"));
	/* one element a tap selects whole (user-select: all), and a button
	 * that copy.js shows and makes work; without JavaScript it stays
	 * hidden */
	web_html_markup(&h, "</p><p class=\"secret\"><code id=\"passphrase\">");
	web_html_text(&h, v->passphrase);
	web_html_markup(&h, "</code></p><p class=\"copy\" hidden><button type=\"button\" "
			       "id=\"copy\"");
	web_html_attr(&h, "data-done", T("done.copied"));
	web_html_markup(&h, ">");
	web_html_text(&h, T("done.copy"));
	web_html_markup(&h, "</button><span id=\"copied\" role=\"status\"></span></p><p>");
	web_html_text(&h, T("done.passphrase_once"));
	web_html_markup(&h, "</p>");
	offer_link(c, &h, v, BYOD_OFFER_P12, 1);
	shown[BYOD_OFFER_P12] = 1;
	web_html_markup(&h, "<p>");
	web_html_text(&h, T("done.download_once"));
	web_html_markup(&h, "</p><p><a id=\"ca\" download");
	web_html_url(&h, "href", "/ca.crt");
	web_html_markup(&h, ">");
	web_html_text(&h, T("done.ca"));
	web_html_markup(&h, "</a></p>");
	if (v->no_profiles) {
		/* what the administrator must configure, for the technician */
		web_html_markup(&h, "<div class=\"notice error\" role=\"alert\"><p>");
		web_html_text(&h, T("done.no_profiles"));
		web_html_markup(&h, "</p>");
		for_technician(c, &h, v->why);
		web_html_markup(&h, "</div>");
	}
	web_html_markup(&h, "</div>");
	/* every other file once: this platform's first, then the rest */
	for (i = 0; i < BYOD_OFFER_N; i++)
		others += v->tokens[i][0] && !shown[i];
	if (others) {
		web_html_markup(&h, "<h2>");
		web_html_text(&h, T("done.files"));
		web_html_markup(&h, "</h2><div class=\"box files\">");
		for (j = 0; me < PLATS && j < 3; j++) {
			int o = plat_offers[me][j];

			if (o >= 0 && !shown[o]) {
				offer_link(c, &h, v, o, 0);
				shown[o] = 1;
			}
		}
		for (i = 0; i < BYOD_OFFER_N; i++)
			if (!shown[i]) {
				offer_link(c, &h, v, (int)i, 0);
				shown[i] = 1;
			}
		web_html_markup(&h, "</div>");
	}
	web_html_markup(&h, "<h2>");
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
	if (me < PLATS)
		steps(c, &h, me, 1);
	for (i = 0; i < PLATS; i++)
		if (i != me)
			steps(c, &h, i, 0);
	if (!portal_session_is_code(c->s)) {
		web_html_markup(&h, "<p><a");
		web_html_url(&h, "href", "/devices");
		web_html_markup(&h, ">");
		web_html_text(&h, T("nav.devices"));
		web_html_markup(&h, "</a></p>");
	}
	web_html_markup(&h, "<script src=\"/static/copy.js\"></script>");
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

void page_profile_words(struct page_ctx *c, struct profile_words *words, char *about,
			size_t len)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	char buf[1200];

	page_fill(buf, sizeof(buf), T("profile.words.about"), p->conf.wifi_ssid);
	page_fill(about, len, buf, p->conf.school_name);
	words->ca = T("profile.words.ca");
	words->identity = T("profile.words.identity");
	words->about = about;
	words->help = T("profile.words.help");
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
	struct profile_words words;
	char name[REG_NAME_MAX], buf[1200], about[600];
	int rc;

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
	/* the profiles speak the page's language (what an iPhone shows) */
	page_profile_words(c, &words, about, sizeof(about));
	ep.words = &words;

	if (portal_session_is_code(c->s)) {
		/* one enrolment per code, taken before it starts so that two
		 * forms sent at once do not both enrol; no device retired */
		ep.retire = NULL;
		rc = reg_web_session_mark_enrolled(c->ctx->reg, c->s->id_hash, 1, NULL);
		if (rc == -EALREADY || rc == -ENOENT) {
			portal_log("%s: a second enrolment with %s's one-time code refused",
				   rq->client, c->s->person.login);
			return portal_page_error(p, rq, c->rs, 403);
		}
		if (rc)
			return rc;
		c->s->row.enrolled = 1;
	}
	rc = byod_device_enrol(c->ctx, &ep, &e, &err);
	portal_metrics_enrolment(rc, e.refusal);
	if (rc && portal_session_is_code(c->s)) {
		/* nothing was enrolled: the code's one enrolment is still there */
		reg_web_session_mark_enrolled(c->ctx->reg, c->s->id_hash, 0, NULL);
		c->s->row.enrolled = 0;
	}
	switch (rc ? e.refusal : BYOD_ENROL_OK) {
	case BYOD_ENROL_OK:
		break;
	case BYOD_ENROL_AT_LIMIT:
		return page_enrol(c, 409, T(byod_enrol_refusal_key(e.refusal)));
	case BYOD_ENROL_NOT_THEIRS:
		return not_theirs(c, ep.retire, rc);
	case BYOD_ENROL_RATE:
		/* why, and when it opens again; nothing was recorded */
		portal_log("%s: enrolment for %s refused: %d in 24 hours", rq->client,
			   c->s->person.login, p->conf.enrol_rate_per_day);
		c->self = "/enrol";
		return page_gone(c, 429, "enrol.rate.title", byod_enrol_refusal_key(e.refusal),
				 "enrol.rate.more", portal_session_is_code(c->s) ? "/" : "/devices",
				 portal_session_is_code(c->s) ? "error.back" : "nav.devices");
	default:
		return portal_page_error(p, rq, c->rs, 403);
	}
	if (rc) {
		portal_log("enrolment for %s failed: %s", c->s->person.login,
			   byod_err_str(&err, buf, sizeof(buf)));
		return rc;
	}
	{
		/* the journal's fields: journalctl BYOD_DEVICE=… finds it */
		char f_dev[REG_ID_MAX + 16], f_school[REG_UAI_MAX + 16];
		char f_login[REG_LOGIN_MAX + 16], f_serial[PKI_SERIAL_MAX + 24];
		char f_mac[REG_MAC_MAX + 16];
		const char *fields[] = {f_dev, f_school, f_login, f_serial, "BYOD_EVENT=enrolled",
					e.device.mac[0] ? f_mac : NULL, NULL};

		snprintf(f_dev, sizeof(f_dev), "BYOD_DEVICE=%s", e.device.id);
		snprintf(f_school, sizeof(f_school), "BYOD_SCHOOL=%s",
			 e.device.school[0] ? e.device.school : c->s->person.school);
		snprintf(f_login, sizeof(f_login), "BYOD_LOGIN=%s", c->s->person.login);
		snprintf(f_serial, sizeof(f_serial), "BYOD_CERT_SERIAL=%s", e.cert.serial);
		snprintf(f_mac, sizeof(f_mac), "BYOD_MAC=%s", e.device.mac);
		byod_log(LOG_INFO, fields, "%s: %s enrolled device %s", rq->client,
			 c->s->person.login, e.device.id);
	}
	return page_issued(c, &e);
}

/* The page after a certificate is issued (an enrolment, a renewal): the
 * downloads behind their one-time links, kept for the language switch;
 * clears *e. A page the registry's loss kept from being made (503) leaves
 * the certificate to be revoked (byod_enrolment_undelivered). */
int page_issued(struct page_ctx *c, struct byod_enrolment *e)
{
	struct enrolled v;
	int rc, i;

	if (e->crl_stale)
		portal_log("%s", e->warning.msg);
	if (e->no_profiles)
		portal_log("no device profiles: %s", e->why.msg);
	for (i = 0; i < BYOD_OFFER_N; i++)
		if (e->offers[i].why[0])
			portal_log("profile %s not offered: %s", offer_info[i].id, e->offers[i].why);
	memset(&v, 0, sizeof(v));
	snprintf(v.device, sizeof(v.device), "%s", e->device.id);
	snprintf(v.name, sizeof(v.name), "%s", e->device.name);
	snprintf(v.passphrase, sizeof(v.passphrase), "%s", e->cert.passphrase);
	for (i = 0; i < BYOD_OFFER_N; i++)
		snprintf(v.tokens[i], sizeof(v.tokens[i]), "%s", e->offers[i].token);
	v.no_profiles = e->no_profiles;
	snprintf(v.why, sizeof(v.why), "%s", e->why.msg);
	/* without it the page still shows once; only the language switch
	 * and the way back from a used link lose it */
	rc = enrolled_keep(c, &v, BYOD_OFFER_TTL_S);
	if (rc)
		portal_log("the enrolled page of device %s is not kept: %s", v.device,
			   strerror(-rc));
	rc = page_enrolled(c, &v);
	if ((rc && portal_registry_unavailable(rc)) || c->rs->status == 503) {
		/* committed, but the registry went away before the page that
		 * carries the certificate was made: the person is told it
		 * failed, so it is settled as failed (revoked once the
		 * registry answers) */
		struct byod_err nerr = {0};

		byod_enrolment_undelivered(c->ctx, e, &nerr);
		portal_log("%s", nerr.msg);
	}
	byod_enrolment_clear(e);
	enrolled_clear(&v);
	return rc;
}

/* What a page shows when the enrolled page or a link is no more: a title,
 * a text, the way back. */
static int page_gone(struct page_ctx *c, int status, const char *title, const char *text,
		     const char *more, const char *href, const char *link)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	struct web_html h;

	web_html_init(&h);
	page_head(c, &h, T(title));
	web_html_markup(&h, "<div class=\"box\"><h1>");
	web_html_text(&h, T(title));
	web_html_markup(&h, "</h1><p>");
	web_html_text(&h, T(text));
	web_html_markup(&h, "</p>");
	if (more) {
		web_html_markup(&h, "<p>");
		web_html_text(&h, T(more));
		web_html_markup(&h, "</p>");
	}
	web_html_markup(&h, "<p><a class=\"button\"");
	web_html_url(&h, "href", href);
	web_html_markup(&h, ">");
	web_html_text(&h, T(link));
	web_html_markup(&h, "</a></p></div>");
	return page_finish(c, &h, status);
}

/* Marks the links of v that were used (or expired) since. */
static void enrolled_mark_used(struct page_ctx *c, struct enrolled *v)
{
	struct reg_download dl;
	char hash[REG_HASH_HEX];
	int i, rc;

	for (i = 0; i < BYOD_OFFER_N; i++) {
		if (!v->tokens[i][0] || web_token_hash(v->tokens[i], hash))
			continue;
		rc = reg_download_peek(c->ctx->reg, hash, time(NULL), &dl, NULL);
		v->used[i] = rc == -ENOENT;
		if (!rc)
			reg_download_clear(&dl);
	}
}

int page_enrolled_again(struct page_ctx *c)
{
	struct enrolled v;
	int rc;

	if (!c->s->logged_in)
		return page_redirect(c, "/");
	rc = enrolled_find(c, &v);
	if (rc == -ENOENT) {
		c->self = "/enrolled";
		if (portal_session_is_code(c->s))
			return page_gone(c, 410, "done.gone.title", "done.gone.text", NULL, "/",
					 "error.back");
		return page_gone(c, 410, "done.gone.title", "done.gone.text", NULL, "/devices",
				 "nav.devices");
	}
	if (rc)
		return rc;
	enrolled_mark_used(c, &v);
	rc = page_enrolled(c, &v);
	enrolled_clear(&v);
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

/* A used or expired link: its page, in the browser (text/html, no
 * attachment), leading back to the enrolled page while it is kept. */
static int download_gone(struct page_ctx *c)
{
	struct enrolled v;
	int rc, full;

	portal_log("%s: a download link used again or expired", c->rq->client);
	rc = c->s->logged_in ? enrolled_find(c, &v) : -ENOENT;
	enrolled_clear(&v);
	if (!rc) {
		c->self = "/enrolled";
		return page_gone(c, 410, "error.410.title", "download.gone", "download.back",
				 "/enrolled", "download.back_link");
	}
	if (rc != -ENOENT)
		return rc;
	full = c->s->logged_in && !portal_session_is_code(c->s);
	c->self = full ? "/devices" : "/";
	return page_gone(c, 410, "error.410.title", "download.gone", "download.again",
			 full ? "/devices" : "/", full ? "nav.devices" : "error.back");
}

int page_download(struct page_ctx *c, const char *token)
{
	int head = !strcmp(c->rq->method, "HEAD");
	struct reg_download dl;
	char hash[REG_HASH_HEX];
	int rc;

	if (web_token_hash(token, hash))
		return portal_page_error(c->p, c->rq, c->rs, 404);
	/* HEAD (a link preview, a download manager asking first) uses nothing */
	if (head)
		rc = reg_download_peek(c->ctx->reg, hash, time(NULL), &dl, NULL);
	else
		rc = reg_download_take(c->ctx->reg, hash, time(NULL), &dl, NULL);
	if (rc == -ENOENT)
		return download_gone(c);
	if (rc)
		return rc;
	c->rs->secret = 1;
	c->rs->status = 200;
	c->rs->content_type = download_type(dl.type);
	snprintf(c->rs->disposition, sizeof(c->rs->disposition), "attachment; filename=\"%s\"",
		 dl.filename);
	if (head) {
		reg_download_clear(&dl);
		return 0;
	}
	c->rs->body = dl.data; /* handed over: the server wipes and frees it */
	c->rs->len = dl.len;
	dl.data = NULL;
	reg_audit_add(c->ctx->reg, "portal.download", dl.device, NULL, NULL, NULL);
	reg_download_clear(&dl);
	return 0;
}
