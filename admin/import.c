// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The people import as an upload, in three steps. 1: a CSV file (a file
 * input, or text pasted in a text area) is checked whole and every
 * problem is listed with its line and column (core's byod_import_plan,
 * bounded). 2: a file without problems is previewed: the accounts it adds,
 * those whose name, role, school or groups it changes, those it leaves as
 * they are; rows of a school outside the administrator's scope, and logins
 * of another school's accounts, are problems of step 1. 3: the commit,
 * all or nothing (byod_import_commit).
 *
 * Between the steps the file is held by the browser, not by the server:
 * the preview's form carries it back (base64 in a hidden field) with the
 * plan's digest and an HMAC-SHA256 of both under the console's form key,
 * bound to the administrator. Why not a registry row: nothing to store,
 * expire or purge, no migration on both backends, and any byod-admin
 * process takes the commit (the form key is the registry's, shared).
 * Trust: the HMAC refuses a file or a digest other than the ones this
 * administrator was shown; and whatever comes back, the commit makes the
 * plan again from the file, the registry and the administrator's scope
 * as they are then, and writes only when its digest is the one shown (a
 * registry changed since the preview is a 409 with the new preview). The
 * page that carries the file back may carry passwords: never cached.
 *
 * "Rentrée" (mode=sync) takes the same steps through core's sync plan: the
 * file is the year's whole export, and the preview adds the departures (the
 * active people of the file's schools and roles not in it) and a leaving
 * date, sent with the commit (00:00 UTC that day).
 */
#include "admin_pages.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "admin_session.h"
#include "byod_util.h"

#define IMPORT_NAME "import.csv"

static void hex(const unsigned char *b, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static int unhex(const char *s, unsigned char *out, size_t n)
{
	size_t i;
	unsigned v;

	if (!s || strlen(s) != 2 * n)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1 || !strchr("0123456789abcdef", s[2 * i]) ||
		    !strchr("0123456789abcdef", s[2 * i + 1]))
			return -EINVAL;
		out[i] = (unsigned char)v;
	}
	return 0;
}

/* The HMAC of what the preview showed: the file and the plan's digest,
 * for this administrator, under the console's form key (hex into out). */
static int preview_mac(struct admin_ctx *c, const char *what, const unsigned char text_sha256[32],
		       const unsigned char digest[32], char out[65])
{
	char th[65], dh[65], msg[256];
	unsigned char mac[32];
	unsigned int n = sizeof(mac);
	int len;

	hex(text_sha256, 32, th);
	hex(digest, 32, dh);
	len = snprintf(msg, sizeof(msg), "byod-admin %s\n%s\n%s\n%s", what, c->admin->login, th,
		       dh);
	if (len < 0 || (size_t)len >= sizeof(msg) ||
	    !HMAC(EVP_sha256(), c->a->form_key, (int)strlen(c->a->form_key),
		  (const unsigned char *)msg, (size_t)len, mac, &n))
		return -EIO;
	hex(mac, 32, out);
	return 0;
}

/* ---- the pieces of the pages ----------------------------------------------- */

static void upload_form(struct admin_ctx *c, struct web_html *h)
{
	web_html_markup(h, "<form method=\"post\" action=\"/people-import\" "
			   "enctype=\"multipart/form-data\" class=\"box\">");
	admin_token_field(c, h);
	web_html_markup(h, "<input type=\"hidden\" name=\"step\" value=\"check\"><p>");
	web_html_text(h, AT(c, "import.intro"));
	web_html_markup(h, "</p><p class=\"hint\" id=\"cols\">");
	web_html_text(h, AT(c, "import.columns"));
	web_html_markup(h, "</p><label for=\"file\">");
	web_html_text(h, AT(c, "import.file"));
	web_html_markup(h, "</label><input id=\"file\" name=\"file\" type=\"file\" "
			   "accept=\".csv,text/csv,text/plain\" aria-describedby=\"cols\">"
			   "<label for=\"text\">");
	web_html_text(h, AT(c, "import.text"));
	web_html_markup(h, "</label><textarea id=\"text\" name=\"text\" rows=\"8\" cols=\"60\" "
			   "spellcheck=\"false\" aria-describedby=\"cols\"></textarea>"
			   "<fieldset><legend>");
	/* the rentrée: the year's whole export, the people not in it leave */
	web_html_text(h, AT(c, "import.mode"));
	web_html_markup(h, "</legend><input type=\"radio\" id=\"mode-import\" name=\"mode\" "
			   "value=\"import\" checked><label for=\"mode-import\">");
	web_html_text(h, AT(c, "import.mode.import"));
	web_html_markup(h, "</label><input type=\"radio\" id=\"mode-sync\" name=\"mode\" "
			   "value=\"sync\" aria-describedby=\"sync-hint\"><label for=\"mode-sync\">");
	web_html_text(h, AT(c, "import.mode.sync"));
	web_html_markup(h, "</label><p class=\"hint\" id=\"sync-hint\">");
	web_html_text(h, AT(c, "import.mode.sync.hint"));
	web_html_markup(h, "</p></fieldset><button type=\"submit\">");
	web_html_text(h, AT(c, "import.check"));
	web_html_markup(h, "</button></form>");
}

static void problems_table(struct admin_ctx *c, struct web_html *h,
			   const struct byod_import_plan *pl)
{
	char n[24];
	size_t i;

	web_html_markup(h, "<h2 id=\"problems\">");
	snprintf(n, sizeof(n), "%zu", pl->nproblems + pl->more);
	admin_text_with(h, ATN(c, "import.problems", pl->nproblems + pl->more), n);
	/* a table wider than a phone scrolls: by keyboard too (a region) */
	web_html_markup(h, "</h2>");
	admin_scroll_open(h, AT(c, "import.problem"));
	web_html_markup(h, "<table><thead><tr><th scope=\"col\">");
	web_html_text(h, AT(c, "import.line"));
	web_html_markup(h, "</th><th scope=\"col\">");
	web_html_text(h, AT(c, "import.column"));
	web_html_markup(h, "</th><th scope=\"col\">");
	web_html_text(h, AT(c, "import.problem"));
	web_html_markup(h, "</th></tr></thead><tbody>");
	for (i = 0; i < pl->nproblems; i++) {
		const struct byod_import_problem *pb = &pl->problems[i];
		const char *t = AT(c, pb->key);

		web_html_markup(h, "<tr class=\"problem\"><td>");
		web_html_textf(h, "%d", pb->line);
		web_html_markup(h, "</td><td>");
		if (pb->col)
			web_html_textf(h, "%d", pb->col);
		else
			web_html_text(h, "—");
		web_html_markup(h, "</td><td>");
		/* the catalogue's sentence, or core's English one */
		if (strcmp(t, pb->key)) {
			admin_text_with(h, t, pb->value);
		} else {
			web_html_markup(h, "<span lang=\"en\">");
			web_html_text(h, pb->msg);
			web_html_markup(h, "</span>");
		}
		web_html_markup(h, "</td></tr>");
	}
	web_html_markup(h, "</tbody></table></div>");
	if (pl->more) {
		web_html_markup(h, "<p>");
		snprintf(n, sizeof(n), "%zu", pl->more);
		admin_text_with(h, ATN(c, "import.more", pl->more), n);
		web_html_markup(h, "</p>");
	}
}

static void change_text(struct admin_ctx *c, struct web_html *h, const char *key,
			const char *before, const char *after)
{
	web_html_markup(h, "<li>");
	web_html_text(h, AT(c, key));
	web_html_text(h, " : ");
	web_html_text(h, before[0] ? before : "—");
	web_html_text(h, " → ");
	web_html_text(h, after[0] ? after : "—");
	web_html_markup(h, "</li>");
}

static void items_table(struct admin_ctx *c, struct web_html *h, const struct byod_import_plan *pl,
			enum byod_import_kind kind)
{
	size_t i;

	admin_scroll_open(
		h, AT(c, kind == BYOD_IMPORT_ADD ? "import.adds.title" : "import.updates.title"));
	web_html_markup(h, "<table");
	web_html_attr(h, "id", kind == BYOD_IMPORT_ADD ? "adds" : "updates");
	web_html_markup(h, "><thead><tr><th scope=\"col\">");
	web_html_text(h, AT(c, "import.line"));
	web_html_markup(h, "</th><th scope=\"col\">");
	web_html_text(h, AT(c, "person.login"));
	if (kind == BYOD_IMPORT_ADD) {
		web_html_markup(h, "</th><th scope=\"col\">");
		web_html_text(h, AT(c, "person.name"));
		web_html_markup(h, "</th><th scope=\"col\">");
		web_html_text(h, AT(c, "person.role"));
		web_html_markup(h, "</th><th scope=\"col\">");
		web_html_text(h, AT(c, "person.school"));
		web_html_markup(h, "</th><th scope=\"col\">");
		web_html_text(h, AT(c, "person.groups"));
		web_html_markup(h, "</th><th scope=\"col\">");
		web_html_text(h, AT(c, "person.password"));
	} else {
		web_html_markup(h, "</th><th scope=\"col\">");
		web_html_text(h, AT(c, "import.changes"));
	}
	web_html_markup(h, "</th></tr></thead><tbody>");
	for (i = 0; i < pl->nitems; i++) {
		const struct byod_import_item *it = &pl->items[i];

		if (it->kind != kind)
			continue;
		web_html_markup(h, "<tr><td>");
		web_html_textf(h, "%d", it->line);
		web_html_markup(h, "</td><td>");
		web_html_text(h, it->after.login);
		web_html_markup(h, "</td><td>");
		if (kind == BYOD_IMPORT_ADD) {
			web_html_text(h, it->after.display_name);
			web_html_markup(h, "</td><td>");
			web_html_text(h, AT(c, admin_person_role_key(it->after.role)));
			web_html_markup(h, "</td><td>");
			web_html_text(h, it->after.school);
			web_html_markup(h, "</td><td>");
			web_html_text(h, it->after.groups[0] ? it->after.groups : "—");
			web_html_markup(h, "</td><td>");
			web_html_text(h, AT(c, it->password ? "import.password.given"
							    : "import.password.none"));
		} else {
			web_html_markup(h, "<ul>");
			if (it->changes & BYOD_IMPORT_NAME)
				change_text(c, h, "person.name", it->before.display_name,
					    it->after.display_name);
			if (it->changes & BYOD_IMPORT_ROLE)
				change_text(c, h, "person.role",
					    AT(c, admin_person_role_key(it->before.role)),
					    AT(c, admin_person_role_key(it->after.role)));
			if (it->changes & BYOD_IMPORT_SCHOOL)
				change_text(c, h, "person.school", it->before.school,
					    it->after.school);
			if (it->changes & BYOD_IMPORT_GROUPS)
				change_text(c, h, "person.groups", it->before.groups,
					    it->after.groups);
			web_html_markup(h, "</ul>");
		}
		web_html_markup(h, "</td></tr>");
	}
	web_html_markup(h, "</tbody></table></div>");
}

static void count_line(struct admin_ctx *c, struct web_html *h, const char *key, size_t n,
		       const char *id)
{
	char num[24];

	snprintf(num, sizeof(num), "%zu", n);
	web_html_markup(h, "<li");
	web_html_attr(h, "id", id);
	web_html_markup(h, ">");
	admin_text_with(h, ATN(c, key, n), num);
	web_html_markup(h, "</li>");
}

/* The commit's form: the file (base64), the plan's digest, their HMAC;
 * a sync's (departures: how many leave) with its mode and leaving date. */
static int commit_form_of(struct admin_ctx *c, struct web_html *h, const char *text, size_t len,
			  const struct byod_import_plan *pl, const unsigned char digest[32],
			  int sync, size_t departures)
{
	char mac[65], dh[65], num[24];
	unsigned char *b64;
	int rc;

	rc = preview_mac(c, sync ? "people-sync" : "people-import", pl->text_sha256, digest, mac);
	if (rc)
		return rc;
	b64 = malloc(4 * ((len + 2) / 3) + 1);
	if (!b64)
		return -ENOMEM;
	EVP_EncodeBlock(b64, (const unsigned char *)text, (int)len);
	hex(digest, 32, dh);
	web_html_markup(h, "<form method=\"post\" action=\"/people-import\" "
			   "enctype=\"multipart/form-data\">");
	admin_token_field(c, h);
	if (sync) {
		web_html_markup(h, "<input type=\"hidden\" name=\"mode\" value=\"sync\">");
		if (departures) {
			web_html_markup(h, "<label for=\"leave_date\">");
			web_html_text(h, AT(c, "sync.leave-date"));
			web_html_markup(h, "</label><input type=\"date\" id=\"leave_date\" "
					   "name=\"leave_date\" required "
					   "aria-describedby=\"leave-hint\"><p class=\"hint\" "
					   "id=\"leave-hint\">");
			web_html_text(h, AT(c, "sync.leave-date.hint"));
			web_html_markup(h, "</p>");
		}
	}
	web_html_markup(h, "<input type=\"hidden\" name=\"step\" value=\"commit\">"
			   "<input type=\"hidden\" name=\"csv\"");
	web_html_attr(h, "value", (const char *)b64);
	web_html_markup(h, "><input type=\"hidden\" name=\"digest\"");
	web_html_attr(h, "value", dh);
	web_html_markup(h, "><input type=\"hidden\" name=\"mac\"");
	web_html_attr(h, "value", mac);
	web_html_markup(h, "><button type=\"submit\">");
	if (sync) {
		web_html_text(h, AT(c, "sync.commit"));
	} else {
		snprintf(num, sizeof(num), "%zu", pl->adds + pl->updates);
		admin_text_with(h, ATN(c, "import.commit", pl->adds + pl->updates), num);
	}
	web_html_markup(h, "</button></form>");
	explicit_bzero(b64, strlen((char *)b64));
	free(b64);
	return 0;
}

static int commit_form(struct admin_ctx *c, struct web_html *h, const char *text, size_t len,
		       const struct byod_import_plan *pl)
{
	return commit_form_of(c, h, text, len, pl, pl->digest, 0, 0);
}

/* Step 1 or 2 for text: its problems (422), or its preview (status). */
static int check_page(struct admin_ctx *c, const char *text, size_t len, const char *notice,
		      int status)
{
	struct byod_import_plan *pl = NULL;
	struct byod_err err;
	struct web_html h;
	int rc;

	rc = byod_import_plan(c->ctx->reg, c->scope, IMPORT_NAME, text, len, &pl, &err);
	if (rc)
		return rc;
	web_html_init(&h);
	admin_page_head(c, &h, AT(c, "import.title"), "nav.people");
	if (notice)
		admin_notice(&h, notice, 1);
	if (pl->nproblems || pl->more) {
		admin_notice(&h, AT(c, "import.refused"), 1);
		problems_table(c, &h, pl);
		upload_form(c, &h);
		status = 422;
		goto done;
	}
	web_html_markup(&h, "<h2>");
	web_html_text(&h, AT(c, "import.preview"));
	web_html_markup(&h, "</h2><ul class=\"box\">");
	count_line(c, &h, "import.adds", pl->adds, "n-adds");
	count_line(c, &h, "import.updates", pl->updates, "n-updates");
	count_line(c, &h, "import.same", pl->same, "n-same");
	web_html_markup(&h, "</ul>");
	if (pl->adds) {
		web_html_markup(&h, "<h3>");
		web_html_text(&h, AT(c, "import.adds.title"));
		web_html_markup(&h, "</h3>");
		items_table(c, &h, pl, BYOD_IMPORT_ADD);
	}
	if (pl->updates) {
		web_html_markup(&h, "<h3>");
		web_html_text(&h, AT(c, "import.updates.title"));
		web_html_markup(&h, "</h3><p class=\"hint\">");
		web_html_text(&h, AT(c, "import.updates.hint"));
		web_html_markup(&h, "</p>");
		items_table(c, &h, pl, BYOD_IMPORT_UPDATE);
	}
	if (pl->adds + pl->updates &&
	    (len + 2) / 3 * 4 + 16384 > (size_t)c->a->conf.admin_body_limit) {
		/* the commit carries the file back in base64: it would not fit */
		admin_notice(&h, AT(c, "import.too-large"), 1);
		status = 413;
	} else if (pl->adds + pl->updates) {
		rc = commit_form(c, &h, text, len, pl);
		if (rc) {
			web_html_free(&h);
			goto out;
		}
		/* the form carries the file, passwords and all */
		c->rs->secret = 1;
	} else {
		admin_notice(&h, AT(c, "import.nothing"), 0);
	}
	web_html_markup(&h, "<p><a href=\"/people-import\">");
	web_html_text(&h, AT(c, "import.again"));
	web_html_markup(&h, "</a></p>");
done:
	rc = admin_page_finish(c, &h, status);
out:
	byod_import_plan_free(pl);
	return rc;
}

int admin_import_get(struct admin_ctx *c)
{
	struct web_html h;

	web_html_init(&h);
	admin_page_head(c, &h, AT(c, "import.title"), "nav.people");
	if (!c->scope->all) {
		web_html_markup(&h, "<p>");
		admin_text_with(&h, AT(c, "import.scope.some"), c->scope->schools);
		web_html_markup(&h, "</p>");
	}
	if (admin_is_auditor(c)) {
		/* the route refuses an auditor's POST; the page says so first */
		admin_notice(&h, AT(c, "import.auditor"), 1);
		return admin_page_finish(c, &h, 200);
	}
	upload_form(c, &h);
	return admin_page_finish(c, &h, 200);
}

/* The file the preview's form carries back, checked against its HMAC:
 * 0 with *text (malloc'd, wiped and freed by the caller) and digest, or
 * -EBADMSG for a form this console did not make for this administrator. */
static int carried_back(struct admin_ctx *c, const char *what, char **text, size_t *len,
			unsigned char digest[32])
{
	const char *b64 = web_form_get(c->form, "csv"), *mac = web_form_get(c->form, "mac");
	unsigned char sha[32], want_bin[32], got_bin[32];
	char want[65];
	size_t n, pad = 0;
	unsigned char *buf;
	int out;

	*text = NULL;
	if (!b64 || !mac || unhex(web_form_get(c->form, "digest"), digest, 32) ||
	    unhex(mac, got_bin, 32))
		return -EBADMSG;
	n = strlen(b64);
	if (n % 4)
		return -EBADMSG;
	if (n && b64[n - 1] == '=')
		pad++;
	if (n > 1 && b64[n - 2] == '=')
		pad++;
	buf = malloc(n / 4 * 3 + 1);
	if (!buf)
		return -ENOMEM;
	out = n ? EVP_DecodeBlock(buf, (const unsigned char *)b64, (int)n) : 0;
	if (out < 0 || (size_t)out < pad) {
		free(buf);
		return -EBADMSG;
	}
	*len = (size_t)out - pad;
	buf[*len] = '\0';
	{
		unsigned int dn = 32;

		EVP_Digest(buf, *len, sha, &dn, EVP_sha256(), NULL);
	}
	if (preview_mac(c, what, sha, digest, want) || unhex(want, want_bin, 32) ||
	    CRYPTO_memcmp(want_bin, got_bin, 32)) {
		explicit_bzero(buf, *len);
		free(buf);
		return -EBADMSG;
	}
	*text = (char *)buf;
	return 0;
}

static int commit_step(struct admin_ctx *c)
{
	struct byod_import_result res;
	unsigned char digest[32];
	struct byod_err err;
	struct web_html h;
	char *text = NULL, num[24];
	size_t len = 0;
	int rc;

	rc = carried_back(c, "people-import", &text, &len, digest);
	if (rc == -EBADMSG) {
		httpd_log("%s POST %s: an import whose file or digest is not the one shown to %s",
			  c->rq->client, c->rq->path, c->admin->login);
		return admin_page_error(c, 400);
	}
	if (rc)
		return rc;
	rc = byod_import_commit(c->ctx->reg, c->scope, c->ctx->conf.auth_yescrypt_cost, IMPORT_NAME,
				text, len, digest, &res, &err);
	if (rc == -ESTALE) {
		/* the registry changed: the new preview, to be confirmed again */
		rc = check_page(c, text, len, AT(c, "import.stale"), 409);
		goto out;
	}
	if (rc == -EINVAL) { /* the file has problems now (a school gone, the scope...) */
		rc = check_page(c, text, len, NULL, 422);
		goto out;
	}
	if (rc)
		goto out;
	{
		unsigned char sha[32];
		unsigned int dn = 32;
		char sh[65];
		json_t *o;
		char *after;

		EVP_Digest(text, len, sha, &dn, EVP_sha256(), NULL);
		hex(sha, 32, sh);
		o = json_pack("{s:i, s:i, s:s}", "added", res.added, "updated", res.updated,
			      "sha256", sh);
		after = o ? json_dumps(o, JSON_COMPACT) : NULL;
		/* one school's administrator imports into that school only */
		admin_audit(c, "admin.people.import", NULL,
			    !c->scope->all && !strchr(c->scope->schools, ' ') ? c->scope->schools
									      : "",
			    after);
		free(after);
		json_decref(o);
	}
	httpd_log("%s: %s imported %d accounts and changed %d", c->rq->client, c->admin->login,
		  res.added, res.updated);
	web_html_init(&h);
	admin_page_head(c, &h, AT(c, "import.title"), "nav.people");
	web_html_markup(&h, "<div class=\"notice\" role=\"status\" id=\"done\"><p>");
	snprintf(num, sizeof(num), "%d", res.added);
	admin_text_with(&h, ATN(c, "import.done.added", res.added), num);
	web_html_markup(&h, "</p><p>");
	snprintf(num, sizeof(num), "%d", res.updated);
	admin_text_with(&h, ATN(c, "import.done.updated", res.updated), num);
	web_html_markup(&h, "</p></div><p><a href=\"/people\">");
	web_html_text(&h, AT(c, "import.done.people"));
	web_html_markup(&h, "</a></p>");
	rc = admin_page_finish(c, &h, 200);
out:
	if (text) {
		explicit_bzero(text, len);
		free(text);
	}
	return rc;
}

/* ---- the rentrée (core's byod_sync_plan and byod_sync_commit) --------------- */

static void departures_table(struct admin_ctx *c, struct web_html *h,
			     const struct byod_sync_plan *sp)
{
	size_t i;

	admin_scroll_open(h, AT(c, "sync.departures.title"));
	web_html_markup(h, "<table id=\"departures\"><thead><tr><th scope=\"col\">");
	web_html_text(h, AT(c, "person.login"));
	web_html_markup(h, "</th><th scope=\"col\">");
	web_html_text(h, AT(c, "person.name"));
	web_html_markup(h, "</th><th scope=\"col\">");
	web_html_text(h, AT(c, "person.role"));
	web_html_markup(h, "</th><th scope=\"col\">");
	web_html_text(h, AT(c, "person.school"));
	web_html_markup(h, "</th><th scope=\"col\">");
	web_html_text(h, AT(c, "person.groups"));
	web_html_markup(h, "</th></tr></thead><tbody>");
	for (i = 0; i < sp->ndepartures; i++) {
		const struct reg_person *p = &sp->departures[i];

		web_html_markup(h, "<tr class=\"departure\"><td>");
		web_html_text(h, p->login);
		web_html_markup(h, "</td><td>");
		web_html_text(h, p->display_name);
		web_html_markup(h, "</td><td>");
		web_html_text(h, AT(c, admin_person_role_key(p->role)));
		web_html_markup(h, "</td><td>");
		web_html_text(h, p->school);
		web_html_markup(h, "</td><td>");
		web_html_text(h, p->groups[0] ? p->groups : "—");
		web_html_markup(h, "</td></tr>");
	}
	web_html_markup(h, "</tbody></table></div>");
}

/* Step 1 or 2 of a rentrée: the file's problems (422), or what it changes
 * with the departures and the leaving date's field (status). */
static int sync_check_page(struct admin_ctx *c, const char *text, size_t len, const char *notice,
			   int status)
{
	struct byod_sync_plan *sp = NULL;
	const struct byod_import_plan *pl;
	struct byod_err err;
	struct web_html h;
	size_t work;
	int rc;

	rc = byod_sync_plan(c->ctx->reg, c->scope, IMPORT_NAME, text, len, &sp, &err);
	if (rc)
		return rc;
	pl = sp->import;
	web_html_init(&h);
	admin_page_head(c, &h, AT(c, "import.title"), "nav.people");
	if (notice)
		admin_notice(&h, notice, 1);
	if (pl->nproblems || pl->more) {
		admin_notice(&h, AT(c, "import.refused"), 1);
		problems_table(c, &h, pl);
		upload_form(c, &h);
		status = 422;
		goto done;
	}
	web_html_markup(&h, "<h2>");
	web_html_text(&h, AT(c, "sync.preview"));
	web_html_markup(&h, "</h2><ul class=\"box\">");
	count_line(c, &h, "sync.arrivals", sp->arrivals, "n-arrivals");
	count_line(c, &h, "sync.departures", sp->ndepartures, "n-departures");
	count_line(c, &h, "sync.classes", sp->class_changes, "n-classes");
	count_line(c, &h, "sync.others", sp->other_changes, "n-others");
	web_html_markup(&h, "</ul>");
	if (sp->arrivals) {
		web_html_markup(&h, "<h3>");
		web_html_text(&h, AT(c, "sync.arrivals.title"));
		web_html_markup(&h, "</h3>");
		items_table(c, &h, pl, BYOD_IMPORT_ADD);
	}
	if (sp->ndepartures) {
		web_html_markup(&h, "<h3>");
		web_html_text(&h, AT(c, "sync.departures.title"));
		web_html_markup(&h, "</h3><p class=\"hint\">");
		web_html_text(&h, AT(c, "sync.departures.hint"));
		web_html_markup(&h, "</p>");
		departures_table(c, &h, sp);
	}
	if (pl->updates) {
		web_html_markup(&h, "<h3>");
		web_html_text(&h, AT(c, "import.updates.title"));
		web_html_markup(&h, "</h3>");
		items_table(c, &h, pl, BYOD_IMPORT_UPDATE);
	}
	work = pl->adds + pl->updates + sp->ndepartures + sp->returns;
	if (work && (len + 2) / 3 * 4 + 16384 > (size_t)c->a->conf.admin_body_limit) {
		admin_notice(&h, AT(c, "import.too-large"), 1);
		status = 413;
	} else if (work) {
		rc = commit_form_of(c, &h, text, len, pl, sp->digest, 1, sp->ndepartures);
		if (rc) {
			web_html_free(&h);
			goto out;
		}
		c->rs->secret = 1;
	} else {
		admin_notice(&h, AT(c, "import.nothing"), 0);
	}
	web_html_markup(&h, "<p><a href=\"/people-import\">");
	web_html_text(&h, AT(c, "import.again"));
	web_html_markup(&h, "</a></p>");
done:
	rc = admin_page_finish(c, &h, status);
out:
	byod_sync_plan_free(sp);
	return rc;
}

static void done_line(struct admin_ctx *c, struct web_html *h, const char *key, int n)
{
	char num[24];

	web_html_markup(h, "<p>");
	snprintf(num, sizeof(num), "%d", n);
	admin_text_with(h, ATN(c, key, n), num);
	web_html_markup(h, "</p>");
}

static int sync_commit_step(struct admin_ctx *c)
{
	const char *date = web_form_get(c->form, "leave_date");
	struct byod_sync_result res;
	unsigned char digest[32];
	struct byod_err err;
	struct web_html h;
	char *text = NULL;
	size_t len = 0;
	time_t leave_at = 0;
	int rc;

	rc = carried_back(c, "people-sync", &text, &len, digest);
	if (rc == -EBADMSG) {
		httpd_log("%s POST %s: a sync whose file or digest is not the one shown to %s",
			  c->rq->client, c->rq->path, c->admin->login);
		return admin_page_error(c, 400);
	}
	if (rc)
		return rc;
	if (date && date[0] && (byod_time_parse(date, &leave_at) || leave_at <= 0)) {
		rc = sync_check_page(c, text, len, AT(c, "sync.leave-date.bad"), 422);
		goto out;
	}
	rc = byod_sync_commit(c->ctx, c->scope, IMPORT_NAME, text, len, digest, leave_at,
			      time(NULL), &res, &err);
	if (rc == -ESTALE) {
		rc = sync_check_page(c, text, len, AT(c, "import.stale"), 409);
		goto out;
	}
	if (rc == -EINVAL) { /* a problem of the file now, or no leaving date */
		rc = sync_check_page(c, text, len, leave_at ? NULL : AT(c, "sync.leave-date.needed"),
				     422);
		goto out;
	}
	if (rc)
		goto out;
	{
		char when[32];
		json_t *o;
		char *after;

		o = json_pack("{s:i, s:i, s:i, s:i, s:i, s:s?}", "added", res.added, "updated",
			      res.updated, "leaving", res.leaving, "left", res.left, "devices",
			      res.devices, "leave_date",
			      leave_at ? byod_time_iso(leave_at, when, sizeof(when)) : NULL);
		after = o ? json_dumps(o, JSON_COMPACT) : NULL;
		admin_audit(c, "admin.people.sync", NULL,
			    !c->scope->all && !strchr(c->scope->schools, ' ') ? c->scope->schools
									      : "",
			    after);
		free(after);
		json_decref(o);
	}
	httpd_log("%s: %s synced: %d added, %d changed, %d leaving, %d left", c->rq->client,
		  c->admin->login, res.added, res.updated, res.leaving, res.left);
	web_html_init(&h);
	admin_page_head(c, &h, AT(c, "import.title"), "nav.people");
	web_html_markup(&h, "<div class=\"notice\" role=\"status\" id=\"done\">");
	done_line(c, &h, "import.done.added", res.added);
	done_line(c, &h, "import.done.updated", res.updated);
	done_line(c, &h, "sync.done.leaving", res.leaving);
	done_line(c, &h, "sync.done.left", res.left);
	web_html_markup(&h, "</div><p><a href=\"/people\">");
	web_html_text(&h, AT(c, "import.done.people"));
	web_html_markup(&h, "</a></p>");
	rc = admin_page_finish(c, &h, 200);
out:
	if (text) {
		explicit_bzero(text, len);
		free(text);
	}
	return rc;
}

int admin_import_post(struct admin_ctx *c)
{
	const char *step = web_form_get(c->form, "step");
	const char *file = web_form_get(c->form, "file"), *text = web_form_get(c->form, "text");
	const char *src = file && file[0] ? file : text;

	const char *mode = web_form_get(c->form, "mode");
	int sync = mode && !strcmp(mode, "sync");

	if (step && !strcmp(step, "commit"))
		return sync ? sync_commit_step(c) : commit_step(c);
	if (!step || strcmp(step, "check"))
		return admin_page_error(c, 400);
	if (!src || !src[0]) {
		struct web_html h;

		web_html_init(&h);
		admin_page_head(c, &h, AT(c, "import.title"), "nav.people");
		admin_notice(&h, AT(c, "import.empty.form"), 1);
		upload_form(c, &h);
		return admin_page_finish(c, &h, 422);
	}
	return sync ? sync_check_page(c, src, strlen(src), NULL, 200)
		    : check_page(c, src, strlen(src), NULL, 200);
}
