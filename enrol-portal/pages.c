// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The portal's pages, built with the escaping page builder (html.c) from
 * the message catalogues (i18n.c): every word a pupil reads is in po/, and
 * every value echoed into a page goes through portal_html_text. Pages fit
 * a 360-pixel screen, work without JavaScript and stay small.
 */
#include "portal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "html.h"
#include "i18n.h"

#define T(key) portal_i18n_get(p->i18n, rq->lang, (key))

/* The top of every page: language, title, style, the language switch. */
static void head(struct portal *p, const struct portal_request *rq, struct portal_html *h,
		 const char *title)
{
	const char *other = !strcmp(rq->lang, "fr") ? "en" : "fr";

	portal_html_markup(h, "<!DOCTYPE html>\n<html");
	portal_html_attr(h, "lang", rq->lang);
	portal_html_markup(h, "><head><meta charset=\"utf-8\">"
			      "<meta name=\"viewport\" content=\"width=device-width, "
			      "initial-scale=1\"><title>");
	portal_html_text(h, title);
	portal_html_markup(h, "</title><link rel=\"stylesheet\" href=\"/static/portal.css\">"
			      "</head><body><header><span>");
	portal_html_text(h, T("site.title"));
	portal_html_markup(h, "</span><a");
	portal_html_attr(h, "lang", other);
	if (!strcmp(other, "en"))
		portal_html_url(h, "href", "/?lang=en");
	else
		portal_html_url(h, "href", "/?lang=fr");
	portal_html_markup(h, ">");
	portal_html_text(h, T("lang.switch"));
	portal_html_markup(h, "</a></header><main>");
}

static int finish(struct portal_html *h, struct portal_response *rs, int status)
{
	portal_html_markup(h, "</main></body></html>\n");
	rs->body = portal_html_take(h, &rs->len);
	if (!rs->body)
		return -ENOMEM;
	rs->status = status;
	rs->content_type = "text/html; charset=utf-8";
	return 0;
}

int portal_page_start(struct portal *p, const struct portal_request *rq,
		      struct portal_response *rs)
{
	struct portal_html h;

	portal_html_init(&h);
	head(p, rq, &h, T("captive.heading"));
	portal_html_markup(&h, "<div class=\"box\"><h1>");
	portal_html_text(&h, T("captive.heading"));
	portal_html_markup(&h, "</h1><p>");
	portal_html_text(&h, T("captive.intro"));
	portal_html_markup(&h, "</p><p><strong>");
	portal_html_text(&h, p->conf.school_name);
	portal_html_markup(&h, "</strong></p></div>");
	return finish(&h, rs, 200);
}

int portal_page_error(struct portal *p, const struct portal_request *rq, struct portal_response *rs,
		      int status)
{
	struct portal_html h;
	char key[32];

	snprintf(key, sizeof(key), "error.%d.title", status);
	portal_html_init(&h);
	head(p, rq, &h, T(key));
	portal_html_markup(&h, "<div class=\"box\"><h1>");
	portal_html_text(&h, T(key));
	portal_html_markup(&h, "</h1><p><a");
	portal_html_url(&h, "href", "/");
	portal_html_markup(&h, ">");
	portal_html_text(&h, T("error.back"));
	portal_html_markup(&h, "</a></p></div>");
	return finish(&h, rs, status);
}
