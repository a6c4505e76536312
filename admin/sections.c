// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The home of a section of the console whose pages have not come yet: its
 * title in the frame, and what the administrator's role lets them see
 * there, so that every entry of the navigation leads to a page.
 */
#include "admin_pages.h"

#include <stdio.h>
#include <string.h>

#include "admin_session.h"

int admin_section_get(struct admin_ctx *c)
{
	const char *nav = c->route && c->route->nav ? c->route->nav : "nav.dashboard";
	char key[48];
	struct web_html h;

	web_html_init(&h);
	admin_page_head(c, &h, AT(c, nav), nav);
	web_html_markup(&h, "<div class=\"box\"><p>");
	if (c->scope->all) {
		web_html_text(&h, AT(c, "scope.all"));
	} else {
		web_html_text(&h, AT(c, "scope.some"));
		web_html_text(&h, " ");
		web_html_text(&h, c->scope->schools);
	}
	web_html_markup(&h, "</p><p>");
	snprintf(key, sizeof(key), "%s.soon", nav);
	web_html_text(&h, AT(c, key));
	web_html_markup(&h, "</p></div>");
	return admin_page_finish(c, &h, 200);
}
