// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The privacy notice (GET /confidentialite), linked from the foot of every
 * page (page_finish): what the school keeps about a pupil and their
 * devices, why, for how long, who sees it, what is never kept, and the
 * rights. Every word is in po/; the page needs no session and no registry,
 * so it answers during a registry outage and costs an anonymous visitor
 * nothing. docs/privacy.md is the full inventory it summarises.
 */
#include "pages.h"

/* the sections in order: a heading, then its paragraphs or list items */
static const char *const held[] = {
	"privacy.held.account",
	"privacy.held.devices",
	"privacy.held.connections",
	"privacy.held.journal",
};

static void para(struct page_ctx *c, struct web_html *h, const char *key)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;

	web_html_markup(h, "<p>");
	web_html_text(h, T(key));
	web_html_markup(h, "</p>");
}

static void section(struct page_ctx *c, struct web_html *h, const char *title, const char *text)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;

	web_html_markup(h, "<h2>");
	web_html_text(h, T(title));
	web_html_markup(h, "</h2>");
	para(c, h, text);
}

int page_privacy(struct page_ctx *c)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	struct web_html h;
	size_t i;

	web_html_init(&h);
	page_head(c, &h, T("privacy.title"));
	web_html_markup(&h, "<div class=\"box\"><h1>");
	web_html_text(&h, T("privacy.title"));
	web_html_markup(&h, "</h1>");
	para(c, &h, "privacy.intro");
	web_html_markup(&h, "<h2>");
	web_html_text(&h, T("privacy.held.title"));
	web_html_markup(&h, "</h2><ul>");
	for (i = 0; i < sizeof(held) / sizeof(held[0]); i++) {
		web_html_markup(&h, "<li>");
		web_html_text(&h, T(held[i]));
		web_html_markup(&h, "</li>");
	}
	web_html_markup(&h, "</ul>");
	section(c, &h, "privacy.never.title", "privacy.never");
	section(c, &h, "privacy.why.title", "privacy.why");
	section(c, &h, "privacy.how_long.title", "privacy.how_long");
	section(c, &h, "privacy.who.title", "privacy.who");
	section(c, &h, "privacy.rights.title", "privacy.rights");
	web_html_markup(&h, "</div>");
	return page_finish(c, &h, 200);
}
