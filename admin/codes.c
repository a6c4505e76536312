// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A class's sheet of one-time enrolment codes, from the console: a school
 * administrator (their schools) or the département picks a school and a
 * group, and gets the printable sheet the portal gives a teacher (POST
 * /class-codes): one code per active pupil of the group, made in one
 * registry transaction with an audit row each, and the QR sheet
 * (core/enrol_codes.c and web/qrsheet.c, shared with byodctl enrol-codes
 * and the portal). The pupils are read through the administrator's scope;
 * a school outside it is the 404 and audit row of any row outside it. An
 * auditor makes no codes (the route refuses their POST).
 */
#include "admin_pages.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_session.h"
#include "byod_vec.h"
#include "enrol_codes.h"

static int school_option(const struct reg_school *s, void *arg)
{
	struct web_html *h = arg;

	web_html_markup(h, "<option");
	web_html_attr(h, "value", s->uai);
	web_html_markup(h, ">");
	web_html_textf(h, "%s (%s)", s->name, s->uai);
	web_html_markup(h, "</option>");
	return 0;
}

static int codes_page(struct admin_ctx *c, int status, const char *notice)
{
	struct web_html h;
	int rc;

	web_html_init(&h);
	admin_page_head(c, &h, AT(c, "codes.title"), "nav.people");
	if (notice)
		admin_notice(&h, notice, status >= 400);
	web_html_markup(&h, "<p>");
	web_html_text(&h, AT(c, "codes.explain"));
	web_html_markup(&h, "</p>");
	if (admin_is_auditor(c)) {
		web_html_markup(&h, "<p>");
		web_html_text(&h, AT(c, "codes.auditor"));
		web_html_markup(&h, "</p>");
		return admin_page_finish(c, &h, status);
	}
	web_html_markup(&h, "<form method=\"post\" action=\"/codes\" class=\"box narrow\">");
	admin_token_field(c, &h);
	web_html_markup(&h, "<label for=\"school\">");
	web_html_text(&h, AT(c, "codes.school"));
	web_html_markup(&h, "</label><select id=\"school\" name=\"school\">");
	rc = reg_school_list_scoped(c->ctx->reg, c->scope, school_option, &h, NULL);
	web_html_markup(&h, "</select><label for=\"group\">");
	web_html_text(&h, AT(c, "codes.group"));
	web_html_markup(&h, "</label><p class=\"hint\" id=\"group-hint\">");
	web_html_text(&h, AT(c, "codes.group.hint"));
	web_html_markup(&h, "</p><input id=\"group\" name=\"group\" maxlength=\"63\" required "
			    "aria-describedby=\"group-hint\"><label for=\"hours\">");
	web_html_text(&h, AT(c, "codes.hours"));
	web_html_markup(&h, "</label><select id=\"hours\" name=\"hours\">"
			    "<option value=\"2\">2 h</option><option value=\"24\">24 h</option>"
			    "<option value=\"48\" selected>48 h</option>"
			    "<option value=\"168\">7 j</option></select><button type=\"submit\">");
	web_html_text(&h, AT(c, "codes.button"));
	web_html_markup(&h, "</button></form>");
	if (rc) {
		web_html_free(&h);
		return rc;
	}
	return admin_page_finish(c, &h, status);
}

int admin_codes_get(struct admin_ctx *c)
{
	return codes_page(c, 200, NULL);
}

/* 1 when group is one of the words of groups. */
static int has_group(const char *groups, const char *group)
{
	char g[REG_GROUPS_MAX + 2], needle[REG_GROUPS_MAX + 2];

	snprintf(g, sizeof(g), " %s ", groups);
	snprintf(needle, sizeof(needle), " %s ", group);
	return strstr(g, needle) != NULL;
}

struct pick {
	const char *group;
	struct byod_vec pupils; /* struct reg_person, without password hashes */
	int rc;
};

static int pick_pupil(const struct reg_person *p, void *arg)
{
	struct pick *k = arg;
	struct reg_person *slot;

	if (!has_group(p->groups, k->group))
		return 0;
	slot = byod_vec_push(&k->pupils);
	if (!slot)
		return -ENOMEM;
	*slot = *p;
	explicit_bzero(slot->password_hash, sizeof(slot->password_hash));
	return 0;
}

int admin_codes_post(struct admin_ctx *c)
{
	const char *school = web_form_get(c->form, "school");
	const char *group = web_form_get(c->form, "group");
	const char *hours_s = web_form_get(c->form, "hours");
	struct pick k = {.group = group, .pupils = BYOD_VEC_INIT(struct reg_person)};
	struct reg_person_search q = {.role = BYOD_ROLE_STUDENT, .state = REG_PERSON_ACTIVE};
	struct reg_school sc;
	struct byod_err err = {.msg = ""};
	char title[300], url[600], file[80], *sheet = NULL;
	size_t len = 0, i;
	int rc, total = 0, hours = hours_s ? atoi(hours_s) : 0;

	if (!school || !group || !group[0] || strlen(group) > 63 || strchr(group, ' ') ||
	    hours < 1 || hours > 168)
		return admin_page_error(c, 400);
	if (strlen(school) >= REG_UAI_MAX || !reg_scope_has(c->scope, school))
		return admin_not_found(c, "school", school);
	rc = reg_school_get(c->ctx->reg, school, &sc, NULL);
	if (rc == -ENOENT)
		return admin_not_found(c, "school", school);
	if (rc)
		return rc;
	/* the pupils of the school in scope, the group's read from each */
	q.school = school;
	q.text = group;
	q.limit = 1000;
	do {
		rc = reg_person_search(c->ctx->reg, c->scope, &q, pick_pupil, &k, &total, NULL);
		q.offset += q.limit;
	} while (!rc && q.offset < total);
	if (!rc && !k.pupils.n) {
		byod_vec_free(&k.pupils);
		return codes_page(c, 422, AT(c, "codes.none"));
	}
	if (!rc)
		rc = byod_portal_url(&c->a->conf, url, sizeof(url), &err);
	snprintf(title, sizeof(title), "Inscription Wi-Fi — %s — %s", sc.name, group);
	if (!rc)
		rc = byod_codes_sheet(c->ctx->reg, sc.name, url, title, k.pupils.v, k.pupils.n,
				      hours, &sheet, &len, &err);
	for (i = 0; i < k.pupils.n; i++)
		explicit_bzero((struct reg_person *)k.pupils.v + i, sizeof(struct reg_person));
	byod_vec_free(&k.pupils);
	if (rc) {
		httpd_log("%s POST /codes: %s", c->rq->client, err.msg);
		return rc < 0 ? rc : -EIO;
	}
	/* a file to print (its inline style would not pass this site's CSP) */
	c->rs->secret = 1;
	c->rs->status = 200;
	c->rs->content_type = "text/html; charset=utf-8";
	/* the file's name from the group's letters and digits only */
	snprintf(file, sizeof(file), "codes-%s-%s", school, group);
	for (i = 0; file[i]; i++)
		if (!((file[i] >= 'a' && file[i] <= 'z') || (file[i] >= 'A' && file[i] <= 'Z') ||
		      (file[i] >= '0' && file[i] <= '9') || file[i] == '-'))
			file[i] = '_';
	snprintf(c->rs->disposition, sizeof(c->rs->disposition), "attachment; filename=\"%s.html\"",
		 file);
	c->rs->body = sheet;
	c->rs->len = len;
	return 0;
}
