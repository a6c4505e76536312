// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * "Mes appareils": a pupil's own devices, and what they can do with them
 * without a technician: renew one's certificate (page_renew.c), rename one,
 * declare one lost (revoked at once, the
 * CRL reissued, an event on the change feed so the gateway disconnects it)
 * or retire one they no longer use. A device id that is not the pupil's
 * gets the same answer as one that does not exist, and is logged.
 */
#include "pages.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "byod_util.h"
#include "byod_vec.h"

static int collect(const struct reg_device *d, void *arg)
{
	struct reg_device *slot;

	if (d->state == BYOD_DEVICE_RETIRED)
		return 0;
	slot = byod_vec_push(arg);
	if (!slot)
		return -ENOMEM;
	*slot = *d;
	return 0;
}

/* The pupil's devices that are not retired, oldest first. */
int page_devices_of(struct page_ctx *c, struct reg_device **out, size_t *n)
{
	struct reg_device_filter f = { .owner_login = c->s->person.login, .state = -1 };
	struct byod_vec l = BYOD_VEC_INIT(struct reg_device);
	int rc;

	rc = reg_device_list(c->ctx->reg, &f, collect, &l, NULL);
	if (rc) {
		byod_vec_free(&l);
		return rc;
	}
	*out = byod_vec_take(&l, n);
	return 0;
}

void page_date(struct page_ctx *c, struct web_html *h, time_t t)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	char buf[64];
	struct tm tm;

	/* the catalogue names the order, never a format string */
	localtime_r(&t, &tm);
	if (!strcmp(T("date.format"), "dd/mm/yyyy"))
		snprintf(buf, sizeof(buf), "%02d/%02d/%04d", tm.tm_mday, tm.tm_mon + 1,
			 tm.tm_year + 1900);
	else
		snprintf(buf, sizeof(buf), "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1,
			 tm.tm_mday);
	web_html_text(h, buf);
}

static int same_day(time_t a, time_t b)
{
	struct tm ta, tb;

	localtime_r(&a, &ta);
	localtime_r(&b, &tb);
	return ta.tm_year == tb.tm_year && ta.tm_yday == tb.tm_yday;
}

void page_enrolled_when(struct page_ctx *c, struct web_html *h, const struct reg_device *d,
			const struct reg_device *all, size_t n)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	char hm[16];
	struct tm tm;
	size_t i;

	page_date(c, h, d->created);
	for (i = 0; i < n; i++)
		if (&all[i] != d && strcmp(all[i].id, d->id) && !strcmp(all[i].name, d->name) &&
		    same_day(all[i].created, d->created))
			break;
	if (i == n)
		return;
	localtime_r(&d->created, &tm);
	snprintf(hm, sizeof(hm), "%02d:%02d", tm.tm_hour, tm.tm_min);
	web_html_markup(h, " ");
	page_text_with(h, T("devices.at"), hm);
}

/* "Téléphone · Actif" */
void page_device_summary(struct page_ctx *c, struct web_html *h, const struct reg_device *d)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	char key[64];

	snprintf(key, sizeof(key), "kind.%s", byod_kind_name(d->kind));
	web_html_text(h, T(key));
	web_html_markup(h, " · ");
	snprintf(key, sizeof(key), "state.%s", byod_device_state_name(d->state));
	web_html_text(h, T(key));
}

/* One action form of a device: hidden id and action, a confirmation box
 * for what cannot be undone. */
static void action_form(struct page_ctx *c, struct web_html *h, const struct reg_device *d,
			const char *action, const char *summary, const char *explain,
			const char *button, int confirm, int open)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	char id[80];

	if (open)
		web_html_markup(h, "<details open><summary>");
	else
		web_html_markup(h, "<details><summary>");
	web_html_text(h, summary);
	web_html_markup(h, "</summary>");
	if (explain) {
		web_html_markup(h, "<p>");
		web_html_text(h, explain);
		web_html_markup(h, "</p>");
	}
	web_html_markup(h, "<form method=\"post\" action=\"/device\">");
	page_token_field(c, h);
	web_html_markup(h, "<input type=\"hidden\" name=\"id\"");
	web_html_attr(h, "value", d->id);
	web_html_markup(h, "><input type=\"hidden\" name=\"action\"");
	web_html_attr(h, "value", action);
	web_html_markup(h, ">");
	if (!strcmp(action, "rename")) {
		snprintf(id, sizeof(id), "name-%s", d->id);
		web_html_markup(h, "<label");
		web_html_attr(h, "for", id);
		web_html_markup(h, ">");
		web_html_text(h, T("device.new_name"));
		web_html_markup(h, "</label><input type=\"text\" name=\"name\" required "
				      "maxlength=\"64\"");
		web_html_attr(h, "id", id);
		web_html_attr(h, "value", d->name);
		web_html_markup(h, ">");
	}
	if (confirm) {
		snprintf(id, sizeof(id), "%s-%s", action, d->id);
		web_html_markup(h, "<p class=\"check\"><input type=\"checkbox\" name=\"confirm\" "
				      "value=\"yes\" required");
		web_html_attr(h, "id", id);
		web_html_markup(h, "><label");
		web_html_attr(h, "for", id);
		web_html_markup(h, ">");
		web_html_text(h, T("device.confirm"));
		web_html_markup(h, "</label></p>");
	}
	if (confirm)
		web_html_markup(h, "<button type=\"submit\" class=\"danger\">");
	else
		web_html_markup(h, "<button type=\"submit\">");
	web_html_text(h, button);
	web_html_markup(h, "</button></form></details>");
}

int page_devices(struct page_ctx *c, int status, const char *notice, int error,
		 const char *rename_id)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	struct reg_device *devs = NULL;
	struct web_html h;
	size_t i, n = 0;
	int rc;

	rc = page_devices_of(c, &devs, &n);
	if (rc)
		return rc;
	c->self = "/devices"; /* also after a POST */
	web_html_init(&h);
	page_head(c, &h, T("devices.title"));
	web_html_markup(&h, "<h1>");
	web_html_text(&h, T("devices.title"));
	web_html_markup(&h, "</h1><p>");
	page_text_with(&h, T("devices.hello"), c->s->person.display_name[0]
						       ? c->s->person.display_name
						       : c->s->person.login);
	web_html_markup(&h, "</p>");
	if (notice)
		page_notice(&h, notice, error);
	web_html_markup(&h, "<p><a class=\"button\"");
	web_html_url(&h, "href", "/enrol");
	web_html_markup(&h, ">");
	web_html_text(&h, T("devices.add"));
	web_html_markup(&h, "</a></p>");
	page_unlock_link(c, &h);
	if (!n) {
		web_html_markup(&h, "<p>");
		web_html_text(&h, T("devices.none"));
		web_html_markup(&h, "</p>");
	}
	for (i = 0; i < n; i++) {
		const struct reg_device *d = &devs[i];
		int live = d->state == BYOD_DEVICE_ACTIVE || d->state == BYOD_DEVICE_SUSPENDED;

		web_html_markup(&h, "<section class=\"box device\"><h2>");
		web_html_text(&h, d->name);
		web_html_markup(&h, "</h2><p>");
		page_device_summary(c, &h, d);
		web_html_markup(&h, "<br>");
		page_text_with(&h, T("devices.since"), "");
		page_enrolled_when(c, &h, d, devs, n);
		if (live) {
			web_html_markup(&h, " · ");
			page_text_with(&h, T("devices.until"), "");
			page_date(c, &h, d->expires);
		}
		web_html_markup(&h, "</p>");
		if (live)
			page_renew_form(c, &h, d);
		if (live) {
			action_form(c, &h, d, "rename", T("device.rename"), NULL,
				    T("device.rename"), 0, rename_id && !strcmp(rename_id, d->id));
			action_form(c, &h, d, "lost", T("device.lost"), T("device.lost_explain"),
				    T("device.lost_button"), 1, 0);
			action_form(c, &h, d, "retire", T("device.retire"),
				    T("device.retire_explain"), T("device.retire_button"), 1, 0);
		}
		web_html_markup(&h, "</section>");
	}
	free(devs);
	page_class_codes_form(c, &h);
	return page_finish(c, &h, status);
}

/* The pupil's device named by the form, or a 404 (logged) for anything
 * else: no such device and someone else's look the same. */
int page_own_device(struct page_ctx *c, const char *id, struct reg_device *d)
{
	int rc;

	if (!id || !byod_is_uuid(id))
		return -EINVAL;
	rc = reg_device_get(c->ctx->reg, id, d, NULL);
	if (rc && rc != -ENOENT)
		return rc;
	if (rc == -ENOENT || d->owner != c->s->person.id || d->state == BYOD_DEVICE_RETIRED) {
		portal_log("%s: %s asked for device %s, which is not theirs", c->rq->client,
			   c->s->person.login, id);
		reg_audit_add(c->ctx->reg, "portal.denied", id, NULL, NULL, NULL);
		return -ENOENT;
	}
	return 0;
}

int page_device_post(struct page_ctx *c)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	const char *action = web_form_get(c->form, "action");
	const char *confirm = web_form_get(c->form, "confirm");
	char name[REG_NAME_MAX];
	struct reg_device d;
	int rc;

	if (!c->s->logged_in)
		return portal_page_error(p, rq, c->rs, 403);
	if (page_form_refused(c))
		return c->rs->body ? 0 : -ENOMEM;
	rc = page_own_device(c, web_form_get(c->form, "id"), &d);
	if (rc == -EINVAL)
		return portal_page_error(p, rq, c->rs, 400);
	if (rc == -ENOENT)
		return portal_page_error(p, rq, c->rs, 404);
	if (rc)
		return rc;
	if (!action)
		return portal_page_error(p, rq, c->rs, 400);
	if (d.state != BYOD_DEVICE_ACTIVE && d.state != BYOD_DEVICE_SUSPENDED)
		return portal_page_error(p, rq, c->rs, 409);
	if (!strcmp(action, "rename")) {
		/* a blank name: the page again, saying what to do, that form open */
		if (page_device_name(web_form_get(c->form, "name"), name, sizeof(name)))
			return page_devices(c, 400, T("enrol.bad_name"), 1, d.id);
		rc = reg_device_rename(c->ctx->reg, d.id, name, NULL);
		return rc ? rc : page_redirect(c, "/devices?ok=renamed");
	}
	if (!strcmp(action, "renew"))
		return page_renew_post(c, &d);
	if (strcmp(action, "lost") && strcmp(action, "retire"))
		return portal_page_error(p, rq, c->rs, 400);
	if (!confirm || strcmp(confirm, "yes"))
		return portal_page_error(p, rq, c->rs, 400);
	rc = page_device_end(c, &d, !strcmp(action, "lost"));
	if (rc)
		return rc;
	return page_redirect(c, !strcmp(action, "lost") ? "/devices?ok=lost" : "/devices?ok=retired");
}

int page_device_end(struct page_ctx *c, const struct reg_device *d, int lost)
{
	struct reg_device now;
	int rc;

	/* lost: revoked now (key compromise); else retired by its owner */
	rc = byod_device_revoke(c->ctx, d->id,
				lost ? REG_REASON_KEY_COMPROMISE : REG_REASON_CESSATION,
				lost ? BYOD_DEVICE_REVOKED : BYOD_DEVICE_RETIRED, NULL, NULL);
	if (!rc || rc == -EALREADY)
		return 0;
	/* recorded but the CRL was not reissued: the next publish carries it */
	if (!reg_device_get(c->ctx->reg, d->id, &now, NULL) && now.state != d->state) {
		portal_log("device %s: CRL not reissued (%s)", d->id, strerror(-rc));
		return 0;
	}
	return rc;
}
