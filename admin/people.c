// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The console's people: a search by login, name or group (with the school,
 * role and state as filters), and a person's page (their devices, groups,
 * state, the portal's login throttle on their login) with the changes an
 * administrator makes: disable and enable the account (the registry's
 * person state: every follower sees "person.state" on the change feed,
 * the RADIUS index and the gateways refuse or admit the devices again, and
 * the person's portal sessions end), set a new password (one made here and
 * shown once, or one the administrator types; yescrypt; the person's
 * portal sessions end, whoever holds the old one), clear a login
 * lock (core/login_throttle.c, as byodctl user unlock does). Every read
 * carries the administrator's scope (reg_person_search,
 * reg_person_get_scoped): another school's person named in a URL is the
 * same 404 as one who does not exist, with an audit row. The changes are
 * audited by the registry with the administrator as actor.
 */
#include "admin_pages.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "admin_session.h"
#include "login_throttle.h"

#define PAGE_SIZE    50
#define PASSWORD_MIN 8
#define PASSWORD_MAX 128

const char *admin_person_role_key(int role)
{
	switch (role) {
	case BYOD_ROLE_STUDENT:
		return "person.role.student";
	case BYOD_ROLE_TEACHER:
		return "person.role.teacher";
	case BYOD_ROLE_STAFF:
		return "person.role.staff";
	case BYOD_ROLE_GUEST:
		return "person.role.guest";
	default:
		return "person.role.unknown";
	}
}

static const char *state_key(enum reg_person_state s)
{
	return s == REG_PERSON_ACTIVE ? "person.state.active" : "person.state.disabled";
}

static const char *device_state_key(enum byod_device_state s)
{
	switch (s) {
	case BYOD_DEVICE_ACTIVE:
		return "device.state.active";
	case BYOD_DEVICE_SUSPENDED:
		return "device.state.suspended";
	case BYOD_DEVICE_REVOKED:
		return "device.state.revoked";
	case BYOD_DEVICE_RETIRED:
		return "device.state.retired";
	default:
		return "device.state.unknown";
	}
}

/* ---- the search ---------------------------------------------------------- */

struct rows {
	struct admin_ctx *c;
	struct web_html *h;
	int n;
};

static void person_link(struct web_html *h, const char *login, const char *text)
{
	char href[16 + REG_LOGIN_MAX];

	snprintf(href, sizeof(href), "/people/%s", login);
	web_html_markup(h, "<a");
	web_html_url(h, "href", href);
	web_html_markup(h, ">");
	web_html_text(h, text);
	web_html_markup(h, "</a>");
}

static int row(const struct reg_person *p, void *arg)
{
	struct rows *r = arg;
	struct web_html *h = r->h;

	web_html_markup(h, "<tr><td>");
	person_link(h, p->login, p->login);
	web_html_markup(h, "</td><td>");
	web_html_text(h, p->display_name);
	web_html_markup(h, "</td><td>");
	web_html_text(h, AT(r->c, admin_person_role_key(p->role)));
	web_html_markup(h, "</td><td>");
	web_html_text(h, p->school[0] ? p->school : "—");
	web_html_markup(h, "</td><td>");
	web_html_text(h, p->groups[0] ? p->groups : "—");
	web_html_markup(h, "</td><td>");
	web_html_text(h, AT(r->c, state_key(p->state)));
	web_html_markup(h, "</td></tr>");
	r->n++;
	return 0;
}

/* A <select> of name with the options value/key; current selected. */
static void select_field(struct admin_ctx *c, struct web_html *h, const char *name,
			 const char *label, const char *const (*opts)[2], size_t n,
			 const char *current)
{
	size_t i;

	web_html_markup(h, "<label");
	web_html_attr(h, "for", name);
	web_html_markup(h, ">");
	web_html_text(h, AT(c, label));
	web_html_markup(h, "</label><select");
	web_html_attr(h, "id", name);
	web_html_attr(h, "name", name);
	web_html_markup(h, ">");
	for (i = 0; i < n; i++) {
		web_html_markup(h, "<option");
		web_html_attr(h, "value", opts[i][0]);
		if (current && !strcmp(current, opts[i][0]))
			web_html_markup(h, " selected");
		web_html_markup(h, ">");
		web_html_text(h, AT(c, opts[i][1]));
		web_html_markup(h, "</option>");
	}
	web_html_markup(h, "</select>");
}

static const char *const role_opts[][2] = {
	{"", "people.any"},
	{"student", "person.role.student"},
	{"teacher", "person.role.teacher"},
	{"staff", "person.role.staff"},
	{"guest", "person.role.guest"},
};
static const char *const state_opts[][2] = {
	{"", "people.any"},
	{"active", "person.state.active"},
	{"disabled", "person.state.disabled"},
};

int admin_person_search_args(const char *role, const char *state, const char *school,
			     struct reg_person_search *s)
{
	enum reg_person_state st;

	s->role = -1;
	s->state = -1;
	s->school = NULL;
	if (role && role[0]) {
		if (byod_role_parse(role) < 0)
			return -EINVAL;
		s->role = byod_role_parse(role);
	}
	if (state && state[0]) {
		if (reg_person_state_parse(state, &st))
			return -EINVAL;
		s->state = (int)st;
	}
	if (school && school[0]) {
		if (strlen(school) >= REG_UAI_MAX)
			return -EINVAL;
		s->school = school;
	}
	return 0;
}

int admin_people_get(struct admin_ctx *c)
{
	const char *q = httpd_arg(c->rq, "q"), *pg = httpd_arg(c->rq, "page");
	const char *role = httpd_arg(c->rq, "role"), *state = httpd_arg(c->rq, "state");
	const char *school = httpd_arg(c->rq, "school");
	struct reg_person_search s = {.limit = PAGE_SIZE};
	struct web_html h;
	struct rows r = {.c = c, .h = &h};
	int page = pg ? atoi(pg) : 0, total = 0, rc, bad;

	if (page < 0 || page > 100000)
		page = 0;
	if (q && (!q[0] || strlen(q) > 128))
		q = NULL;
	bad = admin_person_search_args(role, state, school, &s);
	if (bad)
		admin_person_search_args(NULL, NULL, NULL, &s);
	s.text = q;
	s.offset = page * PAGE_SIZE;
	web_html_init(&h);
	admin_page_head(c, &h, AT(c, "people.title"), "nav.people");
	if (bad)
		admin_notice(&h, AT(c, "people.filter.bad"), 1);
	if (!admin_is_auditor(c)) {
		web_html_markup(&h, "<p><a href=\"/people-import\">");
		web_html_text(&h, AT(c, "import.title"));
		web_html_markup(&h, "</a></p>");
	}
	web_html_markup(&h, "<form method=\"get\" action=\"/people\" role=\"search\" class=\"box\">"
			    "<label for=\"q\">");
	web_html_text(&h, AT(c, "people.search"));
	web_html_markup(&h, "</label><p class=\"hint\" id=\"q-hint\">");
	web_html_text(&h, AT(c, "people.search.hint"));
	web_html_markup(&h, "</p><input id=\"q\" name=\"q\" type=\"search\" maxlength=\"128\" "
			    "aria-describedby=\"q-hint\"");
	if (q)
		web_html_attr(&h, "value", q);
	web_html_markup(&h, "><label for=\"school\">");
	web_html_text(&h, AT(c, "person.school"));
	web_html_markup(&h, "</label><p class=\"hint\" id=\"school-hint\">");
	if (c->scope->all)
		web_html_text(&h, AT(c, "people.school.hint"));
	else
		admin_text_with(&h, AT(c, "people.school.hint.some"), c->scope->schools);
	web_html_markup(&h, "</p><input id=\"school\" name=\"school\" maxlength=\"15\" "
			    "aria-describedby=\"school-hint\"");
	if (s.school)
		web_html_attr(&h, "value", s.school);
	web_html_markup(&h, ">");
	select_field(c, &h, "role", "person.role", role_opts,
		     sizeof(role_opts) / sizeof(role_opts[0]), bad ? NULL : role);
	select_field(c, &h, "state", "person.state", state_opts,
		     sizeof(state_opts) / sizeof(state_opts[0]), bad ? NULL : state);
	web_html_markup(&h, "<button type=\"submit\">");
	web_html_text(&h, AT(c, "people.search.button"));
	web_html_markup(&h, "</button></form><h2>");
	web_html_text(&h, AT(c, "people.results"));
	/* a table wider than a phone scrolls: by keyboard too (a region) */
	web_html_markup(&h, "</h2>");
	admin_scroll_open(&h, AT(c, "people.results"));
	web_html_markup(&h, "<table><thead><tr><th scope=\"col\">");
	web_html_text(&h, AT(c, "person.login"));
	web_html_markup(&h, "</th><th scope=\"col\">");
	web_html_text(&h, AT(c, "person.name"));
	web_html_markup(&h, "</th><th scope=\"col\">");
	web_html_text(&h, AT(c, "person.role"));
	web_html_markup(&h, "</th><th scope=\"col\">");
	web_html_text(&h, AT(c, "person.school"));
	web_html_markup(&h, "</th><th scope=\"col\">");
	web_html_text(&h, AT(c, "person.groups"));
	web_html_markup(&h, "</th><th scope=\"col\">");
	web_html_text(&h, AT(c, "person.state"));
	web_html_markup(&h, "</th></tr></thead><tbody>");
	/* a school outside the scope finds nobody: the query carries both */
	rc = reg_person_search(c->ctx->reg, c->scope, &s, row, &r, &total, NULL);
	if (rc == -EINVAL) { /* a school that is not a UAI */
		rc = 0;
		total = 0;
	}
	if (rc) {
		web_html_free(&h);
		return rc;
	}
	web_html_markup(&h, "</tbody></table></div>");
	admin_search_footer(c, &h, total, s.offset + PAGE_SIZE, page, "people.count",
			    "people.next");
	return admin_page_finish(c, &h, 200);
}

/* ---- a person's page ------------------------------------------------------- */

static int device_row(const struct reg_device *d, void *arg)
{
	struct rows *r = arg;
	char href[64];

	snprintf(href, sizeof(href), "/devices/%s", d->id);
	web_html_markup(r->h, "<tr><td><a");
	web_html_url(r->h, "href", href);
	web_html_markup(r->h, ">");
	web_html_text(r->h, d->name[0] ? d->name : d->id);
	web_html_markup(r->h, "</a></td><td>");
	web_html_text(r->h, d->mac[0] ? d->mac : "—");
	web_html_markup(r->h, "</td><td>");
	web_html_text(r->h, AT(r->c, device_state_key(d->state)));
	web_html_markup(r->h, "</td><td>");
	admin_date(r->c, r->h, d->created);
	web_html_markup(r->h, "</td></tr>");
	r->n++;
	return 0;
}

static void action_form(struct admin_ctx *c, struct web_html *h, const char *login,
			const char *action, const char *label_key, int danger)
{
	char href[16 + REG_LOGIN_MAX];

	snprintf(href, sizeof(href), "/people/%s", login);
	web_html_markup(h, "<form method=\"post\"");
	web_html_url(h, "action", href);
	web_html_markup(h, ">");
	admin_token_field(c, h);
	web_html_markup(h, "<input type=\"hidden\" name=\"action\"");
	web_html_attr(h, "value", action);
	web_html_markup(h, ">");
	if (danger)
		web_html_markup(h, "<button class=\"danger\" type=\"submit\">");
	else
		web_html_markup(h, "<button type=\"submit\">");
	web_html_text(h, AT(c, label_key));
	web_html_markup(h, "</button></form>");
}

struct locks {
	struct admin_ctx *c;
	struct web_html *h;
	size_t prefix; /* "pair:<login> ": what is left is the address */
	time_t now;
	int n;
};

static int lock_row(const struct reg_throttle *t, void *arg)
{
	struct locks *l = arg;
	char n[16];

	if (t->failures <= 0 && t->locked_until <= l->now)
		return 0;
	web_html_markup(l->h, "<li>");
	web_html_text(l->h, t->key + l->prefix);
	web_html_text(l->h, " : ");
	snprintf(n, sizeof(n), "%d", t->failures);
	admin_text_with(l->h, ATN(l->c, "person.throttle.failures", t->failures), n);
	if (t->locked_until > l->now) {
		web_html_markup(l->h, " — <strong>");
		web_html_text(l->h, AT(l->c, "person.throttle.locked"));
		web_html_markup(l->h, "</strong> ");
		admin_date(l->c, l->h, t->locked_until);
	}
	web_html_markup(l->h, "</li>");
	l->n++;
	return 0;
}

/* The portal's login throttle on the person's login: its locks on each
 * address ("pair:<login> <address>") and the login's own delays. */
static int throttle_state(struct admin_ctx *c, struct web_html *h, const struct reg_person *p)
{
	struct reg_throttle t;
	char key[sizeof(t.key)], n[16];
	struct locks l = {.c = c, .h = h, .now = time(NULL)};
	int rc;

	web_html_markup(h, "<dt>");
	web_html_text(h, AT(c, "person.throttle"));
	web_html_markup(h, "</dt><dd id=\"throttle\"><ul>");
	snprintf(key, sizeof(key), "pair:%s ", p->login);
	l.prefix = strlen(key);
	rc = reg_throttle_list_prefix(c->ctx->reg, key, lock_row, &l, NULL);
	if (rc)
		return rc;
	snprintf(key, sizeof(key), "login:%s", p->login);
	rc = reg_throttle_get(c->ctx->reg, key, &t, NULL);
	if (rc && rc != -ENOENT)
		return rc;
	if (!rc && t.failures > 0) {
		web_html_markup(h, "<li>");
		web_html_text(h, AT(c, "person.throttle.all"));
		web_html_text(h, " : ");
		snprintf(n, sizeof(n), "%d", t.failures);
		admin_text_with(h, ATN(c, "person.throttle.failures", t.failures), n);
		web_html_markup(h, "</li>");
		l.n++;
	}
	if (!l.n) {
		web_html_markup(h, "<li>");
		web_html_text(h, AT(c, "person.throttle.none"));
		web_html_markup(h, "</li>");
	}
	web_html_markup(h, "</ul></dd>");
	return 0;
}

static void password_form(struct admin_ctx *c, struct web_html *h, const char *login)
{
	char href[16 + REG_LOGIN_MAX];

	snprintf(href, sizeof(href), "/people/%s", login);
	web_html_markup(h, "<form method=\"post\" class=\"box narrow\"");
	web_html_url(h, "action", href);
	web_html_markup(h, "><h2>");
	web_html_text(h, AT(c, "person.password.title"));
	web_html_markup(h, "</h2>");
	admin_token_field(c, h);
	web_html_markup(h, "<input type=\"hidden\" name=\"action\" value=\"password\">"
			   "<label for=\"password\">");
	web_html_text(h, AT(c, "person.password.new"));
	web_html_markup(h, "</label><p class=\"hint\" id=\"pw-hint\">");
	web_html_text(h, AT(c, "person.password.hint"));
	web_html_markup(h, "</p><input id=\"password\" name=\"password\" type=\"password\" "
			   "autocomplete=\"new-password\" maxlength=\"128\" "
			   "aria-describedby=\"pw-hint\"><button type=\"submit\">");
	web_html_text(h, AT(c, "person.password.button"));
	web_html_markup(h, "</button></form>");
}

/* The page; notice (may be NULL) on top, error or not; new_password (may
 * be NULL) shown once. */
static int person_page(struct admin_ctx *c, const struct reg_person *p, const char *notice,
		       int error, const char *new_password, int status)
{
	struct reg_device_filter f = {.owner_login = p->login, .state = -1};
	struct web_html h;
	struct rows r = {.c = c, .h = &h};
	int rc;

	web_html_init(&h);
	admin_page_head(c, &h, p->display_name[0] ? p->display_name : p->login, "nav.people");
	if (notice)
		admin_notice(&h, notice, error);
	if (new_password) {
		web_html_markup(&h, "<div class=\"box\" role=\"status\"><p>");
		web_html_text(&h, AT(c, "person.password.shown"));
		web_html_markup(&h, "</p><p><code class=\"secret\" id=\"new-password\">");
		web_html_text(&h, new_password);
		web_html_markup(&h, "</code></p></div>");
	}
	web_html_markup(&h, "<dl class=\"values box\"><dt>");
	web_html_text(&h, AT(c, "person.login"));
	web_html_markup(&h, "</dt><dd><code>");
	web_html_text(&h, p->login);
	web_html_markup(&h, "</code></dd><dt>");
	web_html_text(&h, AT(c, "person.role"));
	web_html_markup(&h, "</dt><dd>");
	web_html_text(&h, AT(c, admin_person_role_key(p->role)));
	web_html_markup(&h, "</dd><dt>");
	web_html_text(&h, AT(c, "person.school"));
	web_html_markup(&h, "</dt><dd>");
	web_html_text(&h, p->school[0] ? p->school : "—");
	web_html_markup(&h, "</dd><dt>");
	web_html_text(&h, AT(c, "person.groups"));
	web_html_markup(&h, "</dt><dd>");
	web_html_text(&h, p->groups[0] ? p->groups : "—");
	web_html_markup(&h, "</dd><dt>");
	web_html_text(&h, AT(c, "person.state"));
	web_html_markup(&h, "</dt><dd id=\"state\">");
	web_html_text(&h, AT(c, state_key(p->state)));
	web_html_markup(&h, "</dd><dt>");
	web_html_text(&h, AT(c, "person.password"));
	web_html_markup(&h, "</dt><dd>");
	web_html_text(&h,
		      AT(c, p->password_hash[0] ? "person.password.set" : "person.password.none"));
	web_html_markup(&h, "</dd>");
	rc = throttle_state(c, &h, p);
	if (rc) {
		web_html_free(&h);
		return rc;
	}
	web_html_markup(&h, "<dt>");
	web_html_text(&h, AT(c, "person.created"));
	web_html_markup(&h, "</dt><dd>");
	admin_date(c, &h, p->created);
	web_html_markup(&h, "</dd></dl>");
	/* the changes are offered to whom may make them; the route refuses
	 * them to an auditor anyway */
	if (!admin_is_auditor(c)) {
		web_html_markup(&h, "<div class=\"actions\">");
		if (p->state == REG_PERSON_ACTIVE)
			action_form(c, &h, p->login, "disable", "person.disable", 1);
		else
			action_form(c, &h, p->login, "enable", "person.enable", 0);
		action_form(c, &h, p->login, "unlock", "person.unlock", 0);
		web_html_markup(&h, "</div>");
		password_form(c, &h, p->login);
	}
	web_html_markup(&h, "<h2>");
	web_html_text(&h, AT(c, "person.devices"));
	web_html_markup(&h, "</h2>");
	admin_scroll_open(&h, AT(c, "person.devices"));
	web_html_markup(&h, "<table><thead><tr><th scope=\"col\">");
	web_html_text(&h, AT(c, "device.name"));
	web_html_markup(&h, "</th><th scope=\"col\">");
	web_html_text(&h, AT(c, "device.mac"));
	web_html_markup(&h, "</th><th scope=\"col\">");
	web_html_text(&h, AT(c, "device.state"));
	web_html_markup(&h, "</th><th scope=\"col\">");
	web_html_text(&h, AT(c, "device.created"));
	web_html_markup(&h, "</th></tr></thead><tbody>");
	/* the person is in scope: so are their devices */
	rc = reg_device_list(c->ctx->reg, &f, device_row, &r, NULL);
	web_html_markup(&h, "</tbody></table></div>");
	if (!r.n) {
		web_html_markup(&h, "<p>");
		web_html_text(&h, AT(c, "person.devices.none"));
		web_html_markup(&h, "</p>");
	}
	if (rc) {
		web_html_free(&h);
		return rc;
	}
	if (new_password)
		c->rs->secret = 1;
	c->self = NULL;
	return admin_page_finish(c, &h, status);
}

/* The person the path names, in scope: 0, or the 404 page and its audit
 * row already made (1), or a negative errno. */
static int person_of(struct admin_ctx *c, struct reg_person *p)
{
	int rc;

	if (strlen(c->rest) >= REG_LOGIN_MAX || strchr(c->rest, '/'))
		return admin_not_found(c, "person", c->rest) ?: 1;
	rc = reg_person_get_scoped(c->ctx->reg, c->scope, c->rest, p, NULL);
	if (rc == -ENOENT || rc == -EINVAL)
		return admin_not_found(c, "person", c->rest) ?: 1;
	return rc;
}

int admin_person_get(struct admin_ctx *c)
{
	static const char *const known[] = {"disabled", "enabled", "unlocked", "password", NULL};
	const char *ok = httpd_arg(c->rq, "ok"), *notice = NULL;
	struct reg_person p;
	char key[40];
	int rc, i;

	rc = person_of(c, &p);
	if (rc)
		return rc > 0 ? 0 : rc;
	for (i = 0; ok && known[i]; i++) {
		if (!strcmp(ok, known[i])) {
			snprintf(key, sizeof(key), "person.ok.%s", known[i]);
			notice = AT(c, key);
		}
	}
	rc = person_page(c, &p, notice, 0, NULL, 200);
	explicit_bzero(&p, sizeof(p));
	return rc;
}

/* A new password: 12 characters of an alphabet without look-alikes
 * (no 0/O, 1/l/I), about 70 bits, in groups a pupil copies easily. */
static int password_new(char *out, size_t len)
{
	static const char alphabet[] = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	unsigned char r[12];
	size_t i, o = 0, n = sizeof(alphabet) - 1;

	if (len < 15 || getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return -EIO;
	for (i = 0; i < sizeof(r); i++) {
		/* 256 % 55 != 0: the rare bias of a few letters is harmless here,
		 * but drawing again costs nothing */
		while (r[i] >= 256 - 256 % n)
			if (getrandom(&r[i], 1, 0) != 1)
				return -EIO;
		if (i && i % 4 == 0)
			out[o++] = '-';
		out[o++] = alphabet[r[i] % n];
	}
	out[o] = '\0';
	explicit_bzero(r, sizeof(r));
	return 0;
}

static int set_password(struct admin_ctx *c, struct reg_person *p)
{
	const char *typed = web_form_get(c->form, "password");
	char made[32], hash[REG_HASH_MAX];
	struct byod_err err;
	size_t n = typed ? strlen(typed) : 0;
	int rc;

	if (n && (n < PASSWORD_MIN || n > PASSWORD_MAX))
		return person_page(c, p, AT(c, "person.password.short"), 1, NULL, 422);
	if (!n && (rc = password_new(made, sizeof(made))))
		return rc;
	rc = reg_password_hash(n ? typed : made, c->ctx->conf.auth_yescrypt_cost, hash,
			       sizeof(hash), &err);
	if (!rc)
		rc = reg_person_set_password(c->ctx->reg, p->login, hash, &err);
	/* a password reset because it leaked: whoever logged in with it is out */
	if (!rc)
		rc = reg_web_session_delete_person(c->ctx->reg, p->id, NULL, &err);
	explicit_bzero(hash, sizeof(hash));
	if (rc) {
		explicit_bzero(made, sizeof(made));
		return rc;
	}
	httpd_log("%s: %s set a new password for %s", c->rq->client, c->admin->login, p->login);
	if (n) {
		char where[16 + REG_LOGIN_MAX + 16];

		snprintf(where, sizeof(where), "/people/%s?ok=password", p->login);
		return admin_redirect(c, where);
	}
	/* shown once, on this answer only (not cached, wiped) */
	snprintf(p->password_hash, sizeof(p->password_hash), "set");
	rc = person_page(c, p, AT(c, "person.ok.password"), 0, made, 200);
	explicit_bzero(made, sizeof(made));
	return rc;
}

int admin_person_post(struct admin_ctx *c)
{
	const char *action = web_form_get(c->form, "action");
	struct reg_person p;
	struct byod_err err;
	char where[16 + REG_LOGIN_MAX + 16];
	const char *done = NULL;
	int rc, n = 0;

	rc = person_of(c, &p);
	if (rc)
		return rc > 0 ? 0 : rc;
	if (!action) {
		rc = admin_page_error(c, 400);
	} else if (!strcmp(action, "disable") && p.state == REG_PERSON_ACTIVE) {
		/* the devices follow through the feed's "person.state"; the
		 * portal's sessions of the person end now */
		rc = reg_person_set_state(c->ctx->reg, p.login, REG_PERSON_DISABLED, &err);
		if (!rc)
			rc = reg_web_session_delete_person(c->ctx->reg, p.id, NULL, &err);
		done = "disabled";
	} else if (!strcmp(action, "enable") && p.state == REG_PERSON_DISABLED) {
		rc = reg_person_set_state(c->ctx->reg, p.login, REG_PERSON_ACTIVE, &err);
		done = "enabled";
	} else if (!strcmp(action, "unlock")) {
		rc = byod_login_unlock(c->ctx->reg, p.login, NULL, &n, &err);
		done = "unlocked";
	} else if (!strcmp(action, "password")) {
		rc = set_password(c, &p);
		goto out;
	} else {
		/* a state that does not allow it (a second tab, an old page) */
		rc = admin_page_error(c, 409);
		goto out;
	}
	if (!rc && action) {
		snprintf(where, sizeof(where), "/people/%s?ok=%s", p.login, done);
		rc = admin_redirect(c, where);
	}
out:
	explicit_bzero(&p, sizeof(p));
	return rc;
}
