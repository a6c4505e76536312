// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The console's privacy page (GET /confidentialite), linked from the foot
 * of every page (admin_page_finish): what the console keeps about its
 * administrators, what an administrator may see of pupils and why, and
 * the duties that go with it (export, erasure, requisition through
 * byodctl). No session and no registry: it answers before the login and
 * during an outage. docs/privacy.md is the full inventory.
 */
#include "admin.h"
#include "admin_pages.h"

static const char *const sections[][2] = {
	{"privacy.admins.title", "privacy.admins"},
	{"privacy.pupils.title", "privacy.pupils"},
	{"privacy.never.title", "privacy.never"},
	{"privacy.duties.title", "privacy.duties"},
};

int admin_privacy_get(struct admin_ctx *c)
{
	struct web_html h;
	size_t i;

	web_html_init(&h);
	admin_page_head(c, &h, AT(c, "privacy.title"), NULL);
	web_html_markup(&h, "<p>");
	web_html_text(&h, AT(c, "privacy.intro"));
	web_html_markup(&h, "</p>");
	for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		web_html_markup(&h, "<h2>");
		web_html_text(&h, AT(c, sections[i][0]));
		web_html_markup(&h, "</h2><p>");
		web_html_text(&h, AT(c, sections[i][1]));
		web_html_markup(&h, "</p>");
	}
	return admin_page_finish(c, &h, 200);
}
