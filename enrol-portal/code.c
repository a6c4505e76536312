// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One-time enrolment codes (the QR sheets byodctl enrol-codes prints): the
 * link /code/<code> stands in for the pupil's login, once. Opening the link
 * changes nothing (phones and chat apps fetch links ahead); the page asks
 * to continue, and that POST uses the code up and starts the pupil's
 * session, then goes to the enrolment form.
 */
#include "pages.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "byod_vec.h"
#include "enrol_codes.h"
#include "token.h"

/* The account a live code is for, without using it. */
static int code_person(struct page_ctx *c, const char *code, struct reg_person *who)
{
	char hash[REG_HASH_HEX];
	int64_t id;
	int rc;

	if (web_token_hash(code, hash))
		return -ENOENT;
	rc = reg_enrol_code_peek(c->ctx->reg, hash, time(NULL), &id, NULL);
	if (!rc)
		rc = reg_person_get_by_id(c->ctx->reg, id, who, NULL);
	if (!rc && who->state != REG_PERSON_ACTIVE)
		rc = -ENOENT;
	return rc;
}

static int code_gone(struct page_ctx *c)
{
	portal_log("%s: an enrolment code used again, expired or unknown", c->rq->client);
	return portal_page_error(c->p, c->rq, c->rs, 410);
}

int page_code(struct page_ctx *c, const char *code)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	struct reg_person who;
	struct web_html h;
	int rc;

	rc = code_person(c, code, &who);
	if (rc == -ENOENT)
		return code_gone(c);
	if (rc)
		return rc;
	c->rs->secret = 1; /* the code is in the form */
	web_html_init(&h);
	page_head(c, &h, T("code.title"));
	web_html_markup(&h, "<div class=\"box\"><h1>");
	web_html_text(&h, T("code.title"));
	web_html_markup(&h, "</h1><p>");
	page_text_with(&h, T("code.hello"), who.display_name[0] ? who.display_name : who.login);
	web_html_markup(&h, "</p><p>");
	web_html_text(&h, T("code.explain"));
	web_html_markup(&h, "</p><form method=\"post\" action=\"/code\">");
	page_token_field(c, &h);
	web_html_markup(&h, "<input type=\"hidden\" name=\"code\"");
	web_html_attr(&h, "value", code);
	web_html_markup(&h, "><button type=\"submit\">");
	web_html_text(&h, T("code.button"));
	web_html_markup(&h, "</button></form><p>");
	web_html_text(&h, T("code.not_me"));
	web_html_markup(&h, "</p></div>");
	return page_finish(c, &h, 200);
}

int page_code_post(struct page_ctx *c)
{
	const char *code = web_form_get(c->form, "code");
	struct reg_person who;
	char hash[REG_HASH_HEX];
	int64_t id;
	int rc;

	if (page_form_refused(c))
		return c->rs->body ? 0 : -ENOMEM;
	if (!code || web_token_hash(code, hash))
		return code_gone(c);
	/* used up here, whatever follows: a code is good once */
	rc = reg_enrol_code_use(c->ctx->reg, hash, time(NULL), &id, NULL);
	if (rc == -ENOENT)
		return code_gone(c);
	if (rc)
		return rc;
	rc = reg_person_get_by_id(c->ctx->reg, id, &who, NULL);
	if (rc == -ENOENT || (!rc && who.state != REG_PERSON_ACTIVE))
		return code_gone(c);
	if (rc)
		return rc;
	reg_audit_add(c->ctx->reg, "portal.login-code", who.login, NULL, NULL, NULL);
	rc = portal_session_login_code(c->p, c->ctx, c->rq, c->s, &who, c->rs);
	if (rc)
		return rc;
	return page_redirect(c, "/enrol");
}

/* ---- a teacher's class sheet ---------------------------------------------- */

/* 1 when group is one of the words of groups. */
static int has_group(const char *groups, const char *group)
{
	char g[REG_GROUPS_MAX + 2], needle[REG_GROUPS_MAX + 2];

	if (!group || !group[0] || strchr(group, ' '))
		return 0;
	snprintf(g, sizeof(g), " %s ", groups);
	snprintf(needle, sizeof(needle), " %s ", group);
	return strstr(g, needle) != NULL;
}

static int teaches(const struct reg_person *p)
{
	return p->role == BYOD_ROLE_TEACHER || p->role == BYOD_ROLE_STAFF;
}

void page_class_codes_form(struct page_ctx *c, struct web_html *h)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	const struct reg_person *me = &c->s->person;
	char groups[REG_GROUPS_MAX], *save = NULL, *g;

	if (!teaches(me) || !me->groups[0])
		return;
	web_html_markup(h, "<section class=\"box\"><h2>");
	web_html_text(h, T("class.title"));
	web_html_markup(h, "</h2><p>");
	web_html_text(h, T("class.explain"));
	web_html_markup(h, "</p><form method=\"post\" action=\"/class-codes\">");
	page_token_field(c, h);
	web_html_markup(h, "<label for=\"group\">");
	web_html_text(h, T("class.group"));
	web_html_markup(h, "</label><select id=\"group\" name=\"group\">");
	snprintf(groups, sizeof(groups), "%s", me->groups);
	for (g = strtok_r(groups, " ", &save); g; g = strtok_r(NULL, " ", &save)) {
		web_html_markup(h, "<option");
		web_html_attr(h, "value", g);
		web_html_markup(h, ">");
		web_html_text(h, g);
		web_html_markup(h, "</option>");
	}
	web_html_markup(h, "</select><label for=\"hours\">");
	web_html_text(h, T("class.hours"));
	web_html_markup(h, "</label><select id=\"hours\" name=\"hours\">"
			      "<option value=\"2\">2 h</option><option value=\"24\">24 h</option>"
			      "<option value=\"48\" selected>48 h</option>"
			      "<option value=\"168\">7 j</option></select><button type=\"submit\">");
	web_html_text(h, T("class.button"));
	web_html_markup(h, "</button></form></section>");
}

struct class_pick {
	const char *group;
	struct byod_vec pupils; /* struct reg_person, without password hashes */
};

static int pick_pupil(const struct reg_person *p, void *arg)
{
	struct class_pick *k = arg;
	struct reg_person *slot;

	if (p->state != REG_PERSON_ACTIVE || p->role != BYOD_ROLE_STUDENT ||
	    !has_group(p->groups, k->group))
		return 0;
	slot = byod_vec_push(&k->pupils);
	if (!slot)
		return -ENOMEM;
	*slot = *p;
	explicit_bzero(slot->password_hash, sizeof(slot->password_hash));
	return 0;
}

int page_class_codes_post(struct page_ctx *c)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	const char *group = web_form_get(c->form, "group");
	const char *hours_s = web_form_get(c->form, "hours");
	struct class_pick k = { .group = group, .pupils = BYOD_VEC_INIT(struct reg_person) };
	struct byod_err err;
	char title[300], *sheet = NULL;
	size_t len = 0;
	int rc, hours = hours_s ? atoi(hours_s) : 0;

	if (!c->s->logged_in || !teaches(&c->s->person))
		return portal_page_error(p, rq, c->rs, 403);
	if (page_form_refused(c))
		return c->rs->body ? 0 : -ENOMEM;
	/* a teacher prints codes for the groups they teach, no other */
	if (!has_group(c->s->person.groups, group) || hours < 1 || hours > 168) {
		portal_log("%s: %s asked for codes of group '%s'", rq->client, c->s->person.login,
			   group ? group : "");
		return portal_page_error(p, rq, c->rs, group && hours >= 1 && hours <= 168 ? 403 : 400);
	}
	rc = reg_person_list(c->ctx->reg, pick_pupil, &k, NULL);
	if (!rc && !k.pupils.n) {
		byod_vec_free(&k.pupils);
		return page_devices(c, 200, T("class.none"), 0, NULL);
	}
	snprintf(title, sizeof(title), "Inscription Wi-Fi — %s", group);
	if (!rc)
		rc = byod_codes_sheet(c->ctx->reg, p->conf.school_name, portal_url(p), title,
				      k.pupils.v, k.pupils.n, hours, &sheet, &len, &err);
	byod_vec_free(&k.pupils);
	if (rc)
		return rc < 0 ? rc : -EIO;
	/* a file to print (its inline style would not pass this site's CSP) */
	c->rs->secret = 1;
	c->rs->status = 200;
	c->rs->content_type = "text/html; charset=utf-8";
	snprintf(c->rs->disposition, sizeof(c->rs->disposition),
		 "attachment; filename=\"codes-%s.html\"", group);
	c->rs->body = sheet;
	c->rs->len = len;
	return 0;
}
