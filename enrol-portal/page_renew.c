// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Renewal on "Mes appareils": a pupil renews the certificate of an active
 * device of theirs once its renewal window is open (pki.renew-days before
 * the school-year end it covers), without a technician and without
 * enrolling again (the same device: its policy and history go on). Before
 * the window the device says from which day. The POST is /device's (its
 * form token, the device the pupil's, else a 404), and answers with the
 * download page of an enrolment; the old certificate keeps working until
 * the new one is first seen at RADIUS.
 */
#include "pages.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "byod_util.h"
#include "profile.h"

/* The device's newest valid certificate, as core/renew.c picks it. */
struct newest {
	time_t not_after;
	time_t now;
	int found;
};

static int pick(const struct reg_cert *c, void *arg)
{
	struct newest *n = arg;

	if (c->state != REG_CERT_VALID || c->not_after <= n->now)
		return 0;
	n->not_after = c->not_after;
	n->found = 1;
	return 0;
}

void page_renew_form(struct page_ctx *c, struct web_html *h, const struct reg_device *d)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	struct newest n = {.now = time(NULL)};
	time_t opens;

	if (d->state != BYOD_DEVICE_ACTIVE ||
	    reg_cert_list_for_device(c->ctx->reg, d->id, pick, &n, NULL) || !n.found)
		return;
	opens = byod_renew_opens(&c->ctx->conf, n.not_after);
	if (opens == (time_t)-1)
		return;
	if (n.now < opens) {
		web_html_markup(h, "<p class=\"renew-later\">");
		page_text_with(h, T("device.renew_from"), "");
		page_date(c, h, opens);
		web_html_markup(h, "</p>");
		return;
	}
	web_html_markup(h, "<form method=\"post\" action=\"/device\" class=\"renew\"><p>");
	web_html_text(h, T("device.renew_explain"));
	web_html_markup(h, "</p>");
	page_token_field(c, h);
	web_html_markup(h, "<input type=\"hidden\" name=\"id\"");
	web_html_attr(h, "value", d->id);
	web_html_markup(h, "><input type=\"hidden\" name=\"action\" value=\"renew\">"
			   "<button type=\"submit\">");
	web_html_text(h, T("device.renew"));
	web_html_markup(h, "</button></form>");
}

int page_renew_post(struct page_ctx *c, const struct reg_device *d)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	struct byod_renew_params rp = {
		.device = d->id,
		.login = c->s->person.login,
		.offers = BYOD_OFFERS_ALL,
		.sign_cert = p->sign_cert,
		.sign_key = p->sign_key,
	};
	struct profile_words words;
	struct byod_enrolment e;
	struct byod_err err;
	char about[600], buf[1200];
	int rc;

	if (d->state != BYOD_DEVICE_ACTIVE)
		return portal_page_error(p, rq, c->rs, 409);
	page_profile_words(c, &words, about, sizeof(about));
	rp.words = &words;
	rc = byod_device_renew(c->ctx, &rp, &e, &err);
	portal_metrics_renewal(rc, e.refusal);
	if (rc && e.refusal == BYOD_ENROL_RENEW_EARLY) {
		/* the page said when; a form sent early or kept open too long */
		portal_log("%s: renewal of device %s refused: %s", rq->client, d->id, err.msg);
		return page_devices(c, 409, T(byod_enrol_refusal_key(e.refusal)), 1, NULL);
	}
	if (rc == -EPERM)
		return portal_page_error(p, rq, c->rs, 409);
	if (rc) {
		portal_log("renewal of device %s for %s failed: %s", d->id, c->s->person.login,
			   byod_err_str(&err, buf, sizeof(buf)));
		return rc;
	}
	portal_log("%s: device %s of %s renewed (certificate %s replaces %s)", rq->client, d->id,
		   c->s->person.login, e.cert.serial, e.replaces[0] ? e.replaces : "none");
	return page_issued(c, &e);
}
