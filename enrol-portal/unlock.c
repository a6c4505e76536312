// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * "Ouvrir le Wi-Fi pour ma classe": a teacher in class opens the Wi-Fi to
 * the phones of one of their groups for a while (portal.unlock-minutes
 * offers the durations, two hours at most), sees the openings they made
 * that are still live with their end, and closes one early. The policy's
 * rules with `unlock: teacher` admit the group's devices while it lasts;
 * the RADIUS module and the gateway daemon follow (CoA at the start and at
 * the end). Opening and closing are core's use cases (byod_unlock_open,
 * byod_unlock_close), audited with the teacher as the actor.
 *
 * The page exists for a teacher logged in with their password only: to a
 * pupil, or to a session opened with a one-time enrolment code, it is a
 * 404, as a path that does not exist.
 */
#include "pages.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "byod_vec.h"

/* 1 when the request is a teacher's own session (not a code's). */
static int unlock_teacher(const struct page_ctx *c)
{
	return c->s->logged_in && !portal_session_is_code(c->s) &&
	       c->s->person.role == BYOD_ROLE_TEACHER;
}

/* 1 when group is one of the words of groups. */
static int unlock_has_group(const char *groups, const char *group)
{
	char g[REG_GROUPS_MAX + 2], needle[REG_GROUPS_MAX + 2];

	if (!group || !group[0] || strchr(group, ' ') || strlen(group) >= REG_GROUPS_MAX)
		return 0;
	snprintf(g, sizeof(g), " %s ", groups);
	snprintf(needle, sizeof(needle), " %s ", group);
	return strstr(g, needle) != NULL;
}

/* The durations offered (portal.unlock-minutes); the table's check made
 * sure at start that they read. */
static int unlock_choices(const struct portal *p, int *m)
{
	int n = byod_conf_unlock_minutes(p->conf.portal_unlock_minutes, m, BYOD_UNLOCK_CHOICES_MAX);

	return n < 0 ? 0 : n;
}

/* minutes as text, one of the offered durations or not (whole number of
 * digits only); 0 when it is not offered */
static int unlock_minutes_offered(const struct portal *p, const char *text)
{
	int m[BYOD_UNLOCK_CHOICES_MAX], n = unlock_choices(p, m), i;
	char *end;
	long v;

	if (!text || text[0] < '0' || text[0] > '9')
		return 0;
	v = strtol(text, &end, 10);
	if (*end || v < 1 || v > BYOD_UNLOCK_MINUTES_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (m[i] == v)
			return (int)v;
	return 0;
}

/* "15 minutes", "1 heure", "1 h 30" in the page's language */
static void unlock_duration(struct page_ctx *c, char *out, size_t len, int minutes)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	char num[16], half[128];
	int h = minutes / 60, m = minutes % 60;

	if (!h || !m) {
		snprintf(num, sizeof(num), "%d", h ? h : m);
		page_fill(out, len, h ? TN("unlock.hours", h) : TN("unlock.minutes", m), num);
		return;
	}
	snprintf(num, sizeof(num), "%d", h);
	page_fill(half, sizeof(half), T("unlock.hours_minutes"), num);
	snprintf(num, sizeof(num), "%02d", m);
	page_fill(out, len, half, num);
}

/* HH:MM, local time */
static void unlock_clock(time_t t, char *out, size_t len)
{
	struct tm tm;

	localtime_r(&t, &tm);
	snprintf(out, len, "%02d:%02d", tm.tm_hour, tm.tm_min);
}

/* The live openings the page shows: the teacher's own, and those of
 * colleagues of a group the teacher has too. */
struct unlock_mine {
	const struct reg_person *me;
	struct byod_vec mine;	  /* struct reg_unlock */
	struct byod_vec others;	  /* struct reg_unlock */
};

static int unlock_collect(const struct reg_unlock *u, void *arg)
{
	struct unlock_mine *k = arg;
	struct reg_unlock *slot;

	if (u->teacher == k->me->id)
		slot = byod_vec_push(&k->mine);
	else if (unlock_has_group(k->me->groups, u->group))
		slot = byod_vec_push(&k->others);
	else
		return 0;
	if (!slot)
		return -ENOMEM;
	*slot = *u;
	return 0;
}

/* The notice after an action, from a fixed list (?ok= is never echoed). */
static const char *unlock_ok(struct page_ctx *c)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	const char *ok = httpd_arg(rq, "ok");

	if (!ok || strcmp(rq->method, "GET"))
		return NULL;
	if (!strcmp(ok, "opened"))
		return T("unlock.ok.opened");
	if (!strcmp(ok, "closed"))
		return T("unlock.ok.closed");
	return NULL;
}

static void unlock_form(struct page_ctx *c, struct web_html *h, const char *group, int minutes)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	char groups[REG_GROUPS_MAX], *save = NULL, *g, label[160], val[16];
	int m[BYOD_UNLOCK_CHOICES_MAX], n = unlock_choices(p, m), i, pick;

	web_html_markup(h, "<section class=\"box\"><h2>");
	web_html_text(h, T("unlock.open_title"));
	web_html_markup(h, "</h2><form method=\"post\" action=\"/unlock\">");
	page_token_field(c, h);
	web_html_markup(h, "<input type=\"hidden\" name=\"action\" value=\"open\">"
			   "<label for=\"group\">");
	web_html_text(h, T("unlock.group"));
	web_html_markup(h, "</label><select id=\"group\" name=\"group\" required>");
	snprintf(groups, sizeof(groups), "%s", c->s->person.groups);
	for (g = strtok_r(groups, " ", &save); g; g = strtok_r(NULL, " ", &save)) {
		web_html_markup(h, "<option");
		web_html_attr(h, "value", g);
		if (group && !strcmp(group, g))
			web_html_markup(h, " selected");
		web_html_markup(h, ">");
		web_html_text(h, g);
		web_html_markup(h, "</option>");
	}
	web_html_markup(h, "</select><label for=\"minutes\">");
	web_html_text(h, T("unlock.duration"));
	web_html_markup(h, "</label><select id=\"minutes\" name=\"minutes\" required>");
	/* preselected: the one asked for, else the longest up to an hour (a
	 * lesson) */
	pick = minutes;
	for (i = 0; !pick && i < n; i++)
		if (m[i] <= 60 && (i + 1 == n || m[i + 1] > 60))
			pick = m[i];
	for (i = 0; i < n; i++) {
		snprintf(val, sizeof(val), "%d", m[i]);
		unlock_duration(c, label, sizeof(label), m[i]);
		web_html_markup(h, "<option");
		web_html_attr(h, "value", val);
		if (m[i] == pick)
			web_html_markup(h, " selected");
		web_html_markup(h, ">");
		web_html_text(h, label);
		web_html_markup(h, "</option>");
	}
	web_html_markup(h, "</select><button type=\"submit\">");
	web_html_text(h, T("unlock.open_button"));
	web_html_markup(h, "</button></form></section>");
}

static void unlock_live(struct page_ctx *c, struct web_html *h, const struct reg_unlock *u,
			size_t n)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	char until[16], line[300], id[32];
	size_t i;

	web_html_markup(h, "<section class=\"box\" aria-labelledby=\"live\"><h2 id=\"live\">");
	web_html_text(h, T("unlock.live_title"));
	web_html_markup(h, "</h2>");
	if (!n) {
		web_html_markup(h, "<p>");
		web_html_text(h, T("unlock.live_none"));
		web_html_markup(h, "</p></section>");
		return;
	}
	web_html_markup(h, "<ul class=\"unlocks\">");
	for (i = 0; i < n; i++) {
		unlock_clock(u[i].ends, until, sizeof(until));
		page_fill(line, sizeof(line), T("unlock.live_until"), until);
		snprintf(id, sizeof(id), "%lld", (long long)u[i].id);
		web_html_markup(h, "<li class=\"unlock\"><strong>");
		web_html_text(h, u[i].group);
		web_html_markup(h, "</strong> · <span class=\"until\">");
		web_html_text(h, line);
		web_html_markup(h, "</span><form method=\"post\" action=\"/unlock\">");
		page_token_field(c, h);
		web_html_markup(h, "<input type=\"hidden\" name=\"action\" value=\"close\">"
				   "<input type=\"hidden\" name=\"id\"");
		web_html_attr(h, "value", id);
		/* the button names the class, for a screen reader's list of
		 * buttons */
		page_fill(line, sizeof(line), T("unlock.close_label"), u[i].group);
		web_html_markup(h, "><button type=\"submit\" class=\"danger\"");
		web_html_attr(h, "aria-label", line);
		web_html_markup(h, ">");
		web_html_text(h, T("unlock.close_button"));
		web_html_markup(h, "</button></form></li>");
	}
	web_html_markup(h, "</ul></section>");
}

/* A colleague's openings of a group the teacher has too: said, not
 * closable (only the one who opened may close). */
static void unlock_others(struct page_ctx *c, struct web_html *h, const struct reg_unlock *u,
			  size_t n)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	char until[16], by[300], line[400];
	size_t i;

	if (!n)
		return;
	web_html_markup(h, "<section class=\"box\" aria-labelledby=\"others\"><h2 id=\"others\">");
	web_html_text(h, T("unlock.others_title"));
	web_html_markup(h, "</h2><ul class=\"unlocks\">");
	for (i = 0; i < n; i++) {
		unlock_clock(u[i].ends, until, sizeof(until));
		page_fill(by, sizeof(by), T("unlock.others_by"), u[i].teacher_login);
		page_fill(line, sizeof(line), by, until);
		web_html_markup(h, "<li class=\"unlock other\"><strong>");
		web_html_text(h, u[i].group);
		web_html_markup(h, "</strong> · ");
		web_html_text(h, line);
		web_html_markup(h, "</li>");
	}
	web_html_markup(h, "</ul></section>");
}

/* The page, with a notice (error: an alert) and, after a refused form, the
 * group and duration that were asked for. */
static int page_unlock(struct page_ctx *c, int status, const char *notice, int error,
		       const char *group, int minutes)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	struct unlock_mine k = { .me = &c->s->person,
				 .mine = BYOD_VEC_INIT(struct reg_unlock),
				 .others = BYOD_VEC_INIT(struct reg_unlock) };
	struct web_html h;
	int rc;

	rc = reg_unlock_list_active(c->ctx->reg, c->s->person.school, time(NULL), unlock_collect,
				    &k, NULL);
	if (rc)
		goto out;
	c->self = "/unlock"; /* also after a POST */
	web_html_init(&h);
	page_head(c, &h, T("unlock.title"));
	web_html_markup(&h, "<h1>");
	web_html_text(&h, T("unlock.title"));
	web_html_markup(&h, "</h1><p>");
	web_html_text(&h, T("unlock.explain"));
	web_html_markup(&h, "</p>");
	if (notice)
		page_notice(&h, notice, error);
	if (c->s->person.groups[0])
		unlock_form(c, &h, group, minutes);
	else
		page_notice(&h, T("unlock.no_groups"), 0);
	unlock_live(c, &h, k.mine.v, k.mine.n);
	unlock_others(c, &h, k.others.v, k.others.n);
	rc = page_finish(c, &h, status);
out:
	byod_vec_free(&k.mine);
	byod_vec_free(&k.others);
	return rc;
}

/* Anyone but a teacher: the page does not exist. A code session's attempt
 * is logged and audited, as any path refused to it. */
static int unlock_absent(struct page_ctx *c)
{
	if (portal_session_is_code(c->s)) {
		portal_log("%s %s /unlock: refused to a one-time code's session (%s)",
			   c->rq->client, c->rq->method, c->s->person.login);
		reg_audit_add(c->ctx->reg, "portal.denied", "/unlock", NULL,
			      "{\"why\":\"code session\"}", NULL);
	}
	return portal_page_error(c->p, c->rq, c->rs, 404);
}

int page_unlock_get(struct page_ctx *c)
{
	if (!c->s->logged_in)
		return page_redirect(c, "/");
	if (!unlock_teacher(c))
		return unlock_absent(c);
	return page_unlock(c, 200, unlock_ok(c), 0, NULL, 0);
}

static int unlock_open(struct page_ctx *c)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	const char *group = web_form_get(c->form, "group");
	const char *minutes_s = web_form_get(c->form, "minutes");
	int minutes = unlock_minutes_offered(p, minutes_s);
	struct reg_unlock u;
	struct byod_err err = { 0 };
	char msg[512], buf[600];
	int rc;

	/* a teacher opens the groups they teach, no other: said in a
	 * sentence, the page shown again */
	if (!unlock_has_group(c->s->person.groups, group)) {
		portal_log("%s: %s asked to open group '%s', not theirs", rq->client,
			   c->s->person.login, group ? group : "");
		page_fill(msg, sizeof(msg), T("unlock.not_your_group"), group ? group : "");
		return page_unlock(c, 403, msg, 1, NULL, minutes);
	}
	if (!minutes) {
		portal_log("%s: %s asked to open group %s for '%s' minutes, not offered",
			   rq->client, c->s->person.login, group, minutes_s ? minutes_s : "");
		return page_unlock(c, 400, T("unlock.bad_minutes"), 1, group, 0);
	}
	rc = byod_unlock_open(c->ctx, &c->s->person, group, minutes, &u, &err);
	if (rc == -EINVAL || rc == -EPERM || rc == -EACCES || rc == -ENOENT) {
		/* core's own refusal (the account changed since the login) */
		portal_log("%s: %s could not open group %s: %s", rq->client, c->s->person.login,
			   group, byod_err_str(&err, buf, sizeof(buf)));
		return page_unlock(c, rc == -EINVAL ? 400 : 403, T("unlock.refused"), 1, group,
				   minutes);
	}
	if (rc)
		return rc;
	portal_log("%s: %s opened group %s for %d minutes (unlock %lld)", rq->client,
		   c->s->person.login, group, minutes, (long long)u.id);
	return page_redirect(c, "/unlock?ok=opened");
}

static int unlock_close(struct page_ctx *c)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;
	const char *id_s = web_form_get(c->form, "id");
	struct reg_unlock u;
	struct byod_err err = { 0 };
	char *end = NULL, buf[600];
	long long id = 0;
	int rc;

	if (id_s && id_s[0] >= '1' && id_s[0] <= '9')
		id = strtoll(id_s, &end, 10);
	if (!id || *end)
		return portal_page_error(p, rq, c->rs, 400);
	/* another teacher's opening, or none: the same answer, logged */
	rc = reg_unlock_get(c->ctx->reg, id, &u, NULL);
	if (rc && rc != -ENOENT)
		return rc;
	if (rc == -ENOENT || u.teacher != c->s->person.id) {
		portal_log("%s: %s asked to close unlock %lld, which is not theirs", rq->client,
			   c->s->person.login, id);
		snprintf(buf, sizeof(buf), "unlock:%lld", id);
		reg_audit_add(c->ctx->reg, "portal.denied", buf, NULL, NULL, NULL);
		return portal_page_error(p, rq, c->rs, 404);
	}
	rc = byod_unlock_close(c->ctx, &c->s->person, id, &err);
	if (rc == -EALREADY) /* over, or closed from another page meanwhile */
		rc = 0;
	if (rc == -ENOENT || rc == -EPERM || rc == -EACCES) {
		portal_log("%s: %s could not close unlock %lld: %s", rq->client, c->s->person.login,
			   id, byod_err_str(&err, buf, sizeof(buf)));
		return portal_page_error(p, rq, c->rs, 404);
	}
	if (rc)
		return rc;
	portal_log("%s: %s closed unlock %lld (group %s)", rq->client, c->s->person.login, id,
		   u.group);
	return page_redirect(c, "/unlock?ok=closed");
}

int page_unlock_post(struct page_ctx *c)
{
	const char *action;

	if (!c->s->logged_in)
		return portal_page_error(c->p, c->rq, c->rs, 403);
	if (!unlock_teacher(c))
		return unlock_absent(c);
	if (page_form_refused(c))
		return c->rs->body ? 0 : -ENOMEM;
	action = web_form_get(c->form, "action");
	if (action && !strcmp(action, "open"))
		return unlock_open(c);
	if (action && !strcmp(action, "close"))
		return unlock_close(c);
	return portal_page_error(c->p, c->rq, c->rs, 400);
}

void page_unlock_link(struct page_ctx *c, struct web_html *h)
{
	struct portal *p = c->p;
	const struct portal_request *rq = c->rq;

	if (!unlock_teacher(c))
		return;
	web_html_markup(h, "<p><a class=\"button\" id=\"unlock\"");
	web_html_url(h, "href", "/unlock");
	web_html_markup(h, ">");
	web_html_text(h, T("unlock.title"));
	web_html_markup(h, "</a></p>");
}
