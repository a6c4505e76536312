// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The console's administrators in the registry: their accounts (role,
 * schools, yescrypt hash, TOTP secret and the newest step accepted), their
 * web sessions and their API tokens. This file validates what callers pass
 * and writes each change with its audit row (never a hash, a secret or a
 * token in it) through the backend's ops; sessions, tokens in use and TOTP
 * steps are not administrative changes and write no audit row. Scopes and
 * the scoped searches are reg_scope.c's.
 */
#define _GNU_SOURCE
#include "registry.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "byod_util.h"
#include "reg_internal.h"

static const char *const role_names[] = {
	[REG_ADMIN_DEPARTEMENT] = "departement",
	[REG_ADMIN_SCHOOL] = "school",
	[REG_ADMIN_AUDITOR] = "auditor",
};

const char *reg_admin_role_name(enum reg_admin_role r)
{
	return (int)r >= 0 && (size_t)r < sizeof(role_names) / sizeof(role_names[0]) ? role_names[r]
										     : NULL;
}

int reg_admin_role_parse(const char *s, enum reg_admin_role *out)
{
	size_t i;

	for (i = 0; s && i < sizeof(role_names) / sizeof(role_names[0]); i++) {
		if (!strcasecmp(s, role_names[i])) {
			*out = (enum reg_admin_role)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* ---- validation ----------------------------------------------------------- */

/* A console login: 1 to REG_ADMIN_LOGIN_MAX of [a-z0-9._@-] (it ends up in
 * URLs, logs and the audit log's actor). */
static int check_admin_login(const char *login, struct byod_err *err)
{
	size_t i;
	int rc = reg_check_text(login, REG_LOGIN_MAX, 0, "administrator login", err);

	if (rc)
		return rc;
	/* the audit log names it "admin:LOGIN", which must fit an actor */
	if (strlen(login) > REG_ADMIN_LOGIN_MAX)
		return byod_err_set(err, EINVAL,
				    "the administrator login '%s' is longer than %d characters",
				    login, REG_ADMIN_LOGIN_MAX);
	for (i = 0; login[i]; i++) {
		char c = login[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '@' || c == '-'))
			return byod_err_set(err, EINVAL,
					    "the administrator login '%s' may only hold lowercase "
					    "letters, digits and . _ @ -",
					    login);
	}
	return 0;
}

static int check_hash_hex(const char *h, const char *what, struct byod_err *err)
{
	size_t i;

	for (i = 0; h && i < 64; i++)
		if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f')))
			break;
	if (!h || i != 64 || h[64])
		return byod_err_set(err, EINVAL, "the %s is not a SHA-256 in lowercase hex", what);
	return 0;
}

static int check_pw_hash(const char *hash, struct byod_err *err)
{
	int rc = reg_check_text(hash, REG_HASH_MAX, 1, "password hash", err);

	if (!rc && hash && hash[0] && hash[0] != '$')
		rc = byod_err_set(err, EINVAL, "the password hash is not in crypt(3) form");
	return rc;
}

/* RFC 4648 base32 without padding, 16 to 63 characters (80 to 315 bits). */
static int check_secret(const char *s, struct byod_err *err)
{
	size_t i;

	if (!s || !s[0])
		return 0;
	for (i = 0; s[i] && i < 64; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '2' && s[i] <= '7')))
			return byod_err_set(err, EINVAL,
					    "the TOTP secret is not base32 (A-Z, 2-7, no padding)");
	if (i < 16 || i > 63)
		return byod_err_set(err, EINVAL,
				    "the TOTP secret must be 16 to 63 base32 characters");
	return 0;
}

/*
 * Checks the role's school rule on a->schools, normalises the list into
 * out (single spaces, no duplicate; out may be a->schools) and checks
 * each school is registered.
 */
static int check_schools(struct reg *reg, const struct reg_admin *a, char out[REG_GROUPS_MAX],
			 struct byod_err *err)
{
	struct reg_scope sc;
	struct reg_school school;
	char copy[REG_GROUPS_MAX], *tok, *save = NULL;
	int rc;

	rc = reg_check_text(a->schools, REG_GROUPS_MAX, 1, "school list", err);
	if (rc)
		return rc;
	if (strspn(a->schools, " ") == strlen(a->schools)) {
		out[0] = '\0'; /* (out may be a->schools) */
		if (a->role == REG_ADMIN_SCHOOL)
			return byod_err_set(err, EINVAL,
					    "a school administrator needs at least one school (a "
					    "UAI)");
		return 0;
	}
	if (a->role == REG_ADMIN_DEPARTEMENT)
		return byod_err_set(err, EINVAL,
				    "a departement administrator sees every school: give no school "
				    "list");
	rc = reg_scope_set(&sc, a->schools, err);
	if (rc)
		return rc;
	snprintf(copy, sizeof(copy), "%s", sc.schools);
	for (tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		rc = OPS(reg)->school_get(reg->be, tok, &school, err);
		if (rc == -ENOENT)
			return byod_err_set(err, ENOENT, "unknown school %s", tok);
		if (rc)
			return rc;
	}
	snprintf(out, REG_GROUPS_MAX, "%s", sc.schools);
	return 0;
}

static int check_admin(const struct reg_admin *a, struct byod_err *err)
{
	int rc = check_admin_login(a->login, err);

	if (!rc)
		rc = reg_check_text(a->display_name, REG_NAME_MAX, 1, "display name", err);
	if (!rc)
		rc = check_pw_hash(a->password_hash, err);
	if (!rc)
		rc = check_secret(a->totp_secret, err);
	if (rc)
		return rc;
	if (!reg_admin_role_name(a->role))
		return byod_err_set(err, EINVAL, "role %d is not an administrator role",
				    (int)a->role);
	if (!reg_person_state_name(a->state))
		return byod_err_set(err, EINVAL, "state %d is not an account state", (int)a->state);
	if (a->totp_last_step < 0)
		return byod_err_set(err, EINVAL, "a negative TOTP step");
	if (a->source[0]) {
		rc = reg_source_check(a->source, err);
		if (!rc && (a->password_hash[0] || a->totp_secret[0]))
			rc = byod_err_set(err, EINVAL,
					  "the administrator '%s' signs in through the identity "
					  "source %s: no password or TOTP secret of the console's",
					  a->login, a->source);
	}
	return rc;
}

/* ---- the audit log's JSON: never the hash or the secret ----------------- */

static json_t *time_json(time_t t)
{
	char buf[32];

	return t ? json_string(byod_time_iso(t, buf, sizeof(buf))) : json_null();
}

static json_t *admin_json(const void *obj)
{
	const struct reg_admin *a = obj;
	json_t *j;

	j = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:b, s:o}", "id",
			 (json_int_t)a->id, "login", a->login, "display_name", a->display_name,
			 "role", reg_admin_role_name(a->role), "schools", a->schools, "state",
			 reg_person_state_name(a->state), "password_set",
			 a->password_hash[0] != '\0', "totp_set", a->totp_secret[0] != '\0',
			 "totp_enrolled", a->totp_enrolled != 0, "created", time_json(a->created));
	/* only when set, so that local administrators' rows read as before */
	if (j && a->source[0])
		json_object_set_new(j, "source", json_string(a->source));
	return j;
}

/* A token as the log names it: the first 12 hex digits of its hash. */
struct token_rec {
	const struct reg_admin_token *t;
	const char *login;
};

static json_t *token_json(const void *obj)
{
	const struct token_rec *r = obj;
	char id[13];

	snprintf(id, sizeof(id), "%.12s", r->t->id_hash);
	return json_pack("{s:s, s:s, s:s, s:o, s:o}", "admin", r->login, "token", id, "name",
			 r->t->name, "created", time_json(r->t->created), "expires",
			 time_json(r->t->expires));
}

static void wipe_admin(struct reg_admin *a)
{
	explicit_bzero(a, sizeof(*a));
}
#define cleanup_admin __attribute__((cleanup(wipe_admin)))

/* ---- accounts ---------------------------------------------------------- */

static int admin_get(struct reg *reg, const char *login, struct reg_admin *out,
		     struct byod_err *err)
{
	int rc = OPS(reg)->admin_get(reg->be, login, out, err);

	if (rc == -ENOENT)
		rc = byod_err_set(err, ENOENT, "no administrator '%s'", login);
	return rc;
}

int reg_admin_add(struct reg *reg, struct reg_admin *a, struct byod_err *err)
{
	cleanup_admin struct reg_admin old;
	char schools[REG_GROUPS_MAX];
	int rc, wrote = 0;

	rc = check_admin(a, err);
	if (!rc)
		rc = reg_begin(reg, err);
	if (rc)
		return rc;
	rc = OPS(reg)->admin_get(reg->be, a->login, &old, err);
	if (!rc)
		rc = byod_err_set(err, EEXIST, "the administrator login '%s' is already taken",
				  a->login);
	if (rc != -ENOENT)
		goto out;
	rc = check_schools(reg, a, schools, err);
	if (rc)
		goto out;
	memcpy(a->schools, schools, sizeof(a->schools));
	if (!a->created)
		a->created = time(NULL);
	wrote = 1;
	rc = OPS(reg)->admin_insert(reg->be, a, err);
	if (!rc)
		rc = reg_record_school(reg, "", "admin.add", a->login, admin_json, NULL, a, err);
out:
	return reg_tx_end(reg, rc, wrote, err);
}

int reg_admin_get(struct reg *reg, const char *login, struct reg_admin *out, struct byod_err *err)
{
	int rc = reg_check_text(login, REG_LOGIN_MAX, 0, "administrator login", err);

	return rc ? rc : admin_get(reg, login, out, err);
}

int reg_admin_get_by_id(struct reg *reg, int64_t id, struct reg_admin *out, struct byod_err *err)
{
	int rc = OPS(reg)->admin_get_by_id(reg->be, id, out, err);

	if (rc == -ENOENT)
		rc = byod_err_set(err, ENOENT, "no administrator with id %lld", (long long)id);
	return rc;
}

int reg_admin_list(struct reg *reg, int (*cb)(const struct reg_admin *, void *), void *ctx,
		   struct byod_err *err)
{
	return OPS(reg)->admin_list(reg->be, cb, ctx, err);
}

/* Reads the administrator, lets change() edit a copy, writes it, and
 * records action. change() returns 1 to write, 0 when nothing changes, or
 * a negative errno (with err filled). */
static int admin_change(struct reg *reg, const char *login, const char *action,
			int (*change)(struct reg *, struct reg_admin *, const void *,
				      struct byod_err *),
			const void *arg, struct byod_err *err)
{
	cleanup_admin struct reg_admin before;
	cleanup_admin struct reg_admin after;
	int rc, wrote = 0;

	rc = reg_check_text(login, REG_LOGIN_MAX, 0, "administrator login", err);
	if (!rc)
		rc = reg_begin(reg, err);
	if (rc)
		return rc;
	rc = admin_get(reg, login, &before, err);
	if (rc)
		goto out;
	after = before;
	rc = change(reg, &after, arg, err);
	if (rc <= 0)
		goto out;
	wrote = 1;
	rc = OPS(reg)->admin_update(reg->be, &after, err);
	if (!rc && after.state != REG_PERSON_ACTIVE && before.state == REG_PERSON_ACTIVE)
		rc = OPS(reg)->admin_session_delete_admin(reg->be, after.id, NULL, err);
	if (!rc)
		rc = reg_record_school(reg, "", action, login, admin_json, &before, &after, err);
out:
	return reg_tx_end(reg, rc, wrote, err);
}

static int apply_update(struct reg *reg, struct reg_admin *a, const void *arg, struct byod_err *err)
{
	const struct reg_admin *n = arg;
	struct reg_admin want = *a;
	int rc;

	snprintf(want.display_name, sizeof(want.display_name), "%s", n->display_name);
	want.role = n->role;
	snprintf(want.schools, sizeof(want.schools), "%s", n->schools);
	want.state = n->state;
	rc = check_schools(reg, &want, want.schools, err);
	if (rc)
		return rc;
	if (!strcmp(want.display_name, a->display_name) && want.role == a->role &&
	    !strcmp(want.schools, a->schools) && want.state == a->state) {
		explicit_bzero(&want, sizeof(want));
		return 0;
	}
	*a = want;
	explicit_bzero(&want, sizeof(want));
	return 1;
}

int reg_admin_update(struct reg *reg, const struct reg_admin *a, struct byod_err *err)
{
	int rc;

	rc = reg_check_text(a->display_name, REG_NAME_MAX, 1, "display name", err);
	if (!rc && !reg_admin_role_name(a->role))
		rc = byod_err_set(err, EINVAL, "role %d is not an administrator role",
				  (int)a->role);
	if (!rc && !reg_person_state_name(a->state))
		rc = byod_err_set(err, EINVAL, "state %d is not an account state", (int)a->state);
	if (rc)
		return rc;
	return admin_change(reg, a->login, "admin.update", apply_update, a, err);
}

/* A source's administrator has no password or TOTP of the console's. */
static int source_only(const struct reg_admin *a, const char *what, struct byod_err *err)
{
	return byod_err_set(err, EINVAL,
			    "the administrator '%s' signs in through the identity source %s: no "
			    "%s of the console's",
			    a->login, a->source, what);
}

static int apply_password(struct reg *reg, struct reg_admin *a, const void *arg,
			  struct byod_err *err)
{
	(void)reg;
	if (a->source[0] && ((const char *)arg)[0])
		return source_only(a, "password", err);
	snprintf(a->password_hash, sizeof(a->password_hash), "%s", (const char *)arg);
	return 1;
}

int reg_admin_set_password(struct reg *reg, const char *login, const char *hash,
			   struct byod_err *err)
{
	int rc = check_pw_hash(hash, err);

	return rc ? rc
		  : admin_change(reg, login, "admin.password", apply_password, hash ? hash : "",
				 err);
}

struct totp_arg {
	const char *secret;
	int enrolled;
};

static int apply_totp(struct reg *reg, struct reg_admin *a, const void *arg, struct byod_err *err)
{
	const struct totp_arg *t = arg;

	(void)reg;
	if (a->source[0] && t->secret[0])
		return source_only(a, "TOTP secret", err);
	if (strcmp(a->totp_secret, t->secret))
		a->totp_last_step = 0; /* a new secret's codes start afresh */
	snprintf(a->totp_secret, sizeof(a->totp_secret), "%s", t->secret);
	a->totp_enrolled = t->secret[0] && t->enrolled;
	return 1;
}

int reg_admin_set_totp(struct reg *reg, const char *login, const char *secret, int enrolled,
		       struct byod_err *err)
{
	struct totp_arg t = {secret ? secret : "", enrolled};
	int rc = check_secret(t.secret, err);

	return rc ? rc : admin_change(reg, login, "admin.totp", apply_totp, &t, err);
}

static int apply_source(struct reg *reg, struct reg_admin *a, const void *arg,
			struct byod_err *err)
{
	const char *source = arg;

	(void)reg;
	(void)err;
	if (!strcmp(a->source, source))
		return 0;
	snprintf(a->source, sizeof(a->source), "%s", source);
	/* either way the old proof goes: a source's administrator has none
	 * here, and a local one enrols again */
	explicit_bzero(a->password_hash, sizeof(a->password_hash));
	explicit_bzero(a->totp_secret, sizeof(a->totp_secret));
	a->totp_enrolled = 0;
	a->totp_last_step = 0;
	return 1;
}

int reg_admin_set_source(struct reg *reg, const char *login, const char *source,
			 struct byod_err *err)
{
	cleanup_admin struct reg_admin a;
	int rc = 0, wrote = 0;

	if (!source)
		source = "";
	if (source[0])
		rc = reg_source_check(source, err);
	if (!rc)
		rc = reg_check_text(login, REG_LOGIN_MAX, 0, "administrator login", err);
	if (!rc)
		rc = reg_begin(reg, err);
	if (rc)
		return rc;
	rc = admin_get(reg, login, &a, err);
	if (rc || !strcmp(a.source, source))
		goto out;
	wrote = 1;
	rc = admin_change(reg, login, "admin.source", apply_source, source, err);
	/* the sessions opened with the old proof end with it */
	if (!rc)
		rc = OPS(reg)->admin_session_delete_admin(reg->be, a.id, NULL, err);
out:
	return reg_tx_end(reg, rc, wrote, err);
}

int reg_admin_totp_step(struct reg *reg, const char *login, int64_t step, struct byod_err *err)
{
	cleanup_admin struct reg_admin a;
	int rc, changes = 0, wrote;

	rc = reg_check_text(login, REG_LOGIN_MAX, 0, "administrator login", err);
	if (!rc && step <= 0)
		rc = byod_err_set(err, EINVAL, "TOTP step %lld is not a time step",
				  (long long)step);
	if (!rc)
		rc = reg_begin(reg, err);
	if (rc)
		return rc;
	/* one statement that decides by itself: of two requests with one
	 * code, the second waits for the first's row and then finds the
	 * step no longer newer */
	rc = OPS(reg)->admin_totp_step(reg->be, login, step, &changes, err);
	/* a refusal wrote nothing: the caller's transaction goes on */
	wrote = rc || changes;
	if (!rc && !changes) {
		rc = admin_get(reg, login, &a, err);
		if (rc && rc != -ENOENT)
			wrote = 1; /* a failed read ends the transaction too */
		if (!rc)
			rc = byod_err_set(err, EALREADY,
					  "this code was already used: wait for the next one");
	}
	return reg_tx_end(reg, rc, wrote, err);
}

void reg_scope_of_admin(const struct reg_admin *a, struct reg_scope *out)
{
	memset(out, 0, sizeof(*out));
	if (a->state != REG_PERSON_ACTIVE)
		return; /* sees nothing */
	switch (a->role) {
	case REG_ADMIN_DEPARTEMENT:
		out->all = 1;
		break;
	case REG_ADMIN_AUDITOR:
		if (!a->schools[0]) {
			out->all = 1;
			break;
		}
		/* fall through */
	case REG_ADMIN_SCHOOL:
		if (reg_scope_set(out, a->schools, NULL))
			memset(out, 0, sizeof(*out));
		break;
	}
}

/* ---- web sessions ------------------------------------------------------ */

/* One write in its own level, so an aborted outer transaction refuses it;
 * changes 0 is -ENOENT with what. */
static int one_write(struct reg *reg, int rc, int changes, const char *what, struct byod_err *err)
{
	int wrote = rc || changes; /* no row: nothing written, the caller's transaction goes on */

	if (!rc && !changes)
		rc = byod_err_set(err, ENOENT, "%s", what);
	return reg_tx_end(reg, rc, wrote, err);
}

int reg_admin_session_add(struct reg *reg, const struct reg_admin_session *s, struct byod_err *err)
{
	int rc = check_hash_hex(s->id_hash, "session id hash", err);

	if (!rc)
		rc = reg_check_text(s->client, sizeof(s->client), 1, "client address", err);
	if (!rc && (s->created < 0 || s->seen < 0))
		rc = byod_err_set(err, EINVAL, "a negative time");
	if (!rc && s->admin <= 0)
		rc = byod_err_set(err, EINVAL, "a console session needs an administrator");
	if (!rc)
		rc = reg_begin(reg, err);
	if (rc)
		return rc;
	rc = OPS(reg)->admin_session_insert(reg->be, s, err);
	return reg_tx_end(reg, rc, 1, err);
}

int reg_admin_session_get(struct reg *reg, const char *id_hash, struct reg_admin_session *out,
			  struct byod_err *err)
{
	int rc = check_hash_hex(id_hash, "session id hash", err);

	if (rc)
		return rc;
	rc = OPS(reg)->admin_session_get(reg->be, id_hash, out, err);
	if (rc == -ENOENT)
		rc = byod_err_set(err, ENOENT, "no such console session");
	return rc;
}

int reg_admin_session_touch(struct reg *reg, const char *id_hash, time_t seen, struct byod_err *err)
{
	struct reg_admin_session s;
	int rc = check_hash_hex(id_hash, "session id hash", err), n = 0, wrote;

	if (!rc && seen < 0)
		rc = byod_err_set(err, EINVAL, "a negative time");
	if (!rc)
		rc = reg_begin(reg, err);
	if (rc)
		return rc;
	rc = OPS(reg)->admin_session_touch(reg->be, id_hash, seen, &n, err);
	/* a row already seen as late is no row missing */
	if (!rc && !n)
		rc = OPS(reg)->admin_session_get(reg->be, id_hash, &s, err);
	wrote = rc && rc != -ENOENT;
	if (rc == -ENOENT)
		rc = byod_err_set(err, ENOENT, "no such console session");
	return reg_tx_end(reg, rc, wrote, err);
}

int reg_admin_session_set_mfa(struct reg *reg, const char *id_hash, struct byod_err *err)
{
	int rc = check_hash_hex(id_hash, "session id hash", err), n = 0;

	if (!rc)
		rc = reg_begin(reg, err);
	if (rc)
		return rc;
	rc = OPS(reg)->admin_session_set_mfa(reg->be, id_hash, &n, err);
	return one_write(reg, rc, n, "no such console session", err);
}

int reg_admin_session_delete(struct reg *reg, const char *id_hash, struct byod_err *err)
{
	int rc = check_hash_hex(id_hash, "session id hash", err), n = 0;

	if (!rc)
		rc = reg_begin(reg, err);
	if (rc)
		return rc;
	rc = OPS(reg)->admin_session_delete(reg->be, id_hash, &n, err);
	return one_write(reg, rc, n, "no such console session", err);
}

int reg_admin_session_delete_admin(struct reg *reg, int64_t admin, int *deleted,
				   struct byod_err *err)
{
	int rc = reg_begin(reg, err), n = 0;

	if (rc)
		return rc;
	rc = OPS(reg)->admin_session_delete_admin(reg->be, admin, &n, err);
	if (!rc && deleted)
		*deleted = n;
	return reg_tx_end(reg, rc, 1, err);
}

int reg_admin_session_purge(struct reg *reg, time_t now, time_t idle_before, time_t created_before,
			    int *deleted, struct byod_err *err)
{
	int rc = reg_begin(reg, err), n = 0;

	if (rc)
		return rc;
	rc = OPS(reg)->admin_session_purge(reg->be, now, idle_before, created_before, &n, err);
	if (!rc && deleted)
		*deleted = n;
	return reg_tx_end(reg, rc, 1, err);
}

/* ---- API tokens ------------------------------------------------------------ */

int reg_admin_token_add(struct reg *reg, struct reg_admin_token *t, struct byod_err *err)
{
	cleanup_admin struct reg_admin a;
	struct token_rec rec = {t, NULL};
	int rc, wrote = 0;

	rc = check_hash_hex(t->id_hash, "token hash", err);
	if (!rc)
		rc = reg_check_text(t->name, sizeof(t->name), 0, "token name", err);
	if (!rc && (t->created < 0 || t->expires < 0 || t->last_used < 0))
		rc = byod_err_set(err, EINVAL, "a negative time");
	if (!rc)
		rc = reg_begin(reg, err);
	if (rc)
		return rc;
	rc = reg_admin_get_by_id(reg, t->admin, &a, err);
	if (rc)
		goto out;
	if (!t->created)
		t->created = time(NULL);
	if (t->expires && t->expires <= t->created) {
		rc = byod_err_set(err, EINVAL, "the token would expire before it is made");
		goto out;
	}
	rec.login = a.login;
	wrote = 1;
	rc = OPS(reg)->admin_token_insert(reg->be, t, err);
	if (!rc)
		rc = reg_record_school(reg, "", "admin.token-add", a.login, token_json, NULL, &rec,
				       err);
out:
	return reg_tx_end(reg, rc, wrote, err);
}

int reg_admin_token_get(struct reg *reg, const char *id_hash, time_t now,
			struct reg_admin_token *out, struct byod_err *err)
{
	int rc = check_hash_hex(id_hash, "token hash", err);

	if (rc)
		return rc;
	rc = OPS(reg)->admin_token_get(reg->be, id_hash, out, err);
	if (!rc && out->expires && out->expires <= now)
		rc = -ENOENT;
	if (rc == -ENOENT)
		rc = byod_err_set(err, ENOENT, "no such API token, or it has expired");
	return rc;
}

int reg_admin_token_list(struct reg *reg, int64_t admin,
			 int (*cb)(const struct reg_admin_token *, void *), void *ctx,
			 struct byod_err *err)
{
	if (admin < 0)
		return byod_err_set(err, EINVAL, "a negative administrator id");
	return OPS(reg)->admin_token_list(reg->be, admin, cb, ctx, err);
}

int reg_admin_token_delete(struct reg *reg, const char *id_hash, struct byod_err *err)
{
	cleanup_admin struct reg_admin a;
	struct reg_admin_token t;
	struct token_rec rec = {&t, NULL};
	int rc, wrote = 0, n = 0;

	rc = check_hash_hex(id_hash, "token hash", err);
	if (!rc)
		rc = reg_begin(reg, err);
	if (rc)
		return rc;
	rc = OPS(reg)->admin_token_get(reg->be, id_hash, &t, err);
	if (rc == -ENOENT)
		rc = byod_err_set(err, ENOENT, "no such API token");
	if (!rc)
		rc = reg_admin_get_by_id(reg, t.admin, &a, err);
	if (rc)
		goto out;
	rec.login = a.login;
	wrote = 1;
	rc = OPS(reg)->admin_token_delete(reg->be, id_hash, &n, err);
	if (!rc)
		rc = reg_record_school(reg, "", "admin.token-delete", a.login, token_json, &rec,
				       NULL, err);
out:
	return reg_tx_end(reg, rc, wrote, err);
}

int reg_admin_token_touch(struct reg *reg, const char *id_hash, time_t when, struct byod_err *err)
{
	struct reg_admin_token t;
	int rc = check_hash_hex(id_hash, "token hash", err), n = 0, wrote;

	if (!rc && when < 0)
		rc = byod_err_set(err, EINVAL, "a negative time");
	if (!rc)
		rc = reg_begin(reg, err);
	if (rc)
		return rc;
	rc = OPS(reg)->admin_token_touch(reg->be, id_hash, when, &n, err);
	if (!rc && !n)
		rc = OPS(reg)->admin_token_get(reg->be, id_hash, &t, err);
	wrote = rc && rc != -ENOENT;
	if (rc == -ENOENT)
		rc = byod_err_set(err, ENOENT, "no such API token");
	return reg_tx_end(reg, rc, wrote, err);
}
