// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The SQLite backend's part of the console (byod-admin): administrators,
 * their web sessions and API tokens, and the scoped searches of devices,
 * people and the audit log. A scope reaches SQLite as one parameter, the
 * space-separated UAIs, and every query tests a row's school against it
 * (instr on the list padded with spaces), so that a row outside the scope
 * is never returned; NULL is every school. Validation and audit rows are
 * reg_admin.c's and reg_scope.c's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "sqlite_int.h"

/* ---- administrators ------------------------------------------------------- */

#define ADMIN_COLUMNS                                                                              \
	"id, login, display_name, role, schools, password_hash, totp_secret, totp_enrolled, "      \
	"totp_last_step, state, created, source"

static int read_admin(sqlite3_stmt *st, struct reg_admin *a)
{
	char role[16], state[16];

	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(st, 0);
	col_text(st, 1, a->login, sizeof(a->login));
	col_text(st, 2, a->display_name, sizeof(a->display_name));
	col_text(st, 3, role, sizeof(role));
	col_text(st, 4, a->schools, sizeof(a->schools));
	col_text(st, 5, a->password_hash, sizeof(a->password_hash));
	col_text(st, 6, a->totp_secret, sizeof(a->totp_secret));
	a->totp_enrolled = sqlite3_column_int(st, 7) != 0;
	a->totp_last_step = sqlite3_column_int64(st, 8);
	col_text(st, 9, state, sizeof(state));
	a->created = (time_t)sqlite3_column_int64(st, 10);
	col_text(st, 11, a->source, sizeof(a->source));
	if (reg_admin_role_parse(role, &a->role) || reg_person_state_parse(state, &a->state))
		return -EIO;
	return 0;
}

int sq_admin_insert(struct reg_db *be, struct reg_admin *a, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err,
			"INSERT INTO admins (login, display_name, role, schools, password_hash, "
			"totp_secret, totp_enrolled, totp_last_step, state, created, source) "
			"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			"ttttttiitit", a->login, a->display_name, reg_admin_role_name(a->role),
			a->schools, a->password_hash, a->totp_secret, (int64_t) !!a->totp_enrolled,
			a->totp_last_step, reg_person_state_name(a->state), (int64_t)a->created,
			a->source);
	if (!rc)
		rc = sq_run(s, st, NULL, "adding an administrator", err);
	if (!rc)
		a->id = sqlite3_last_insert_rowid(s->db);
	return rc;
}

static int admin_one(struct sq *s, sqlite3_stmt *st, struct reg_admin *out, struct byod_err *err)
{
	int rc = sq_one(s, st, "reading an administrator", err);

	if (!rc && read_admin(st, out))
		rc = byod_err_set(err, EIO, "registry %s: an administrator's row is corrupt",
				  s->path);
	return rc;
}

int sq_admin_get(struct reg_db *be, const char *login, struct reg_admin *out, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err, "SELECT " ADMIN_COLUMNS " FROM admins WHERE login = ?", "t",
			login);
	return rc ? rc : admin_one(s, st, out, err);
}

int sq_admin_get_by_id(struct reg_db *be, int64_t id, struct reg_admin *out, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err, "SELECT " ADMIN_COLUMNS " FROM admins WHERE id = ?", "i", id);
	return rc ? rc : admin_one(s, st, out, err);
}

int sq_admin_update(struct reg_db *be, const struct reg_admin *a, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc, n = 0;

	rc = sq_prepare(
		s, &st, err,
		"UPDATE admins SET display_name = ?, role = ?, schools = ?, "
		"password_hash = ?, totp_secret = ?, totp_enrolled = ?, totp_last_step = ?, "
		"state = ?, source = ? WHERE id = ?",
		"tttttiitti", a->display_name, reg_admin_role_name(a->role), a->schools,
		a->password_hash, a->totp_secret, (int64_t) !!a->totp_enrolled, a->totp_last_step,
		reg_person_state_name(a->state), a->source, a->id);
	if (!rc)
		rc = sq_run(s, st, &n, "updating an administrator", err);
	if (!rc && n != 1)
		rc = byod_err_set(err, ENOENT, "registry %s: no administrator with id %lld",
				  s->path, (long long)a->id);
	return rc;
}

struct admin_visit {
	reg_admin_cb cb;
	void *ctx;
};

static int visit_admin(sqlite3_stmt *st, void *arg)
{
	struct admin_visit *v = arg;
	struct reg_admin a;
	int rc;

	rc = read_admin(st, &a);
	if (!rc)
		rc = v->cb(&a, v->ctx);
	explicit_bzero(&a, sizeof(a));
	return rc;
}

int sq_admin_list(struct reg_db *be, reg_admin_cb cb, void *ctx, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct admin_visit v = {cb, ctx};
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err, "SELECT " ADMIN_COLUMNS " FROM admins ORDER BY login", "");
	return rc ? rc : sq_each(s, st, visit_admin, &v, "listing administrators", err);
}

int sq_admin_totp_step(struct reg_db *be, const char *login, int64_t step, int *changes,
		       struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err,
			"UPDATE admins SET totp_last_step = ?1 WHERE login = ?2 "
			"AND totp_last_step < ?1",
			"it", step, login);
	return rc ? rc : sq_run(s, st, changes, "recording a TOTP step", err);
}

/* ---- web sessions ------------------------------------------------------------ */

int sq_admin_session_insert(struct reg_db *be, const struct reg_admin_session *as,
			    struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err,
			"INSERT INTO admin_sessions (id_hash, admin, created, seen, client, mfa) "
			"VALUES (?, ?, ?, ?, ?, ?)",
			"tiiiti", as->id_hash, as->admin, (int64_t)as->created, (int64_t)as->seen,
			as->client, (int64_t) !!as->mfa);
	return rc ? rc : sq_run(s, st, NULL, "adding a console session", err);
}

int sq_admin_session_get(struct reg_db *be, const char *id_hash, struct reg_admin_session *out,
			 struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err,
			"SELECT id_hash, admin, created, seen, client, mfa FROM admin_sessions "
			"WHERE id_hash = ?",
			"t", id_hash);
	if (!rc)
		rc = sq_one(s, st, "reading a console session", err);
	if (rc)
		return rc;
	memset(out, 0, sizeof(*out));
	col_text(st, 0, out->id_hash, sizeof(out->id_hash));
	out->admin = sqlite3_column_int64(st, 1);
	out->created = (time_t)sqlite3_column_int64(st, 2);
	out->seen = (time_t)sqlite3_column_int64(st, 3);
	col_text(st, 4, out->client, sizeof(out->client));
	out->mfa = sqlite3_column_int(st, 5) != 0;
	return 0;
}

/* A statement on one row of sql with a hash as its last parameter. */
static int hash_write(struct reg_db *be, const char *sql, const char *types, int64_t v,
		      const char *id_hash, int *changes, const char *doing, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = types[0] == 'i' ? sq_prepare(s, &st, err, sql, types, v, id_hash)
			     : sq_prepare(s, &st, err, sql, types, id_hash);
	return rc ? rc : sq_run(s, st, changes, doing, err);
}

int sq_admin_session_touch(struct reg_db *be, const char *id_hash, time_t seen, int *changes,
			   struct byod_err *err)
{
	return hash_write(be,
			  "UPDATE admin_sessions SET seen = ?1 WHERE id_hash = ?2 AND seen < ?1",
			  "it", (int64_t)seen, id_hash, changes, "touching a console session", err);
}

int sq_admin_session_set_mfa(struct reg_db *be, const char *id_hash, int *changes,
			     struct byod_err *err)
{
	return hash_write(be, "UPDATE admin_sessions SET mfa = 1 WHERE id_hash = ?", "t", 0,
			  id_hash, changes, "marking a console session's second factor", err);
}

int sq_admin_session_delete(struct reg_db *be, const char *id_hash, int *changes,
			    struct byod_err *err)
{
	return hash_write(be, "DELETE FROM admin_sessions WHERE id_hash = ?", "t", 0, id_hash,
			  changes, "deleting a console session", err);
}

int sq_admin_session_delete_admin(struct reg_db *be, int64_t admin, int *changes,
				  struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err, "DELETE FROM admin_sessions WHERE admin = ?", "i", admin);
	return rc ? rc : sq_run(s, st, changes, "deleting an administrator's sessions", err);
}

int sq_admin_session_purge(struct reg_db *be, time_t now, time_t idle_before, time_t created_before,
			   int *deleted, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *a = NULL;
	cleanup_stmt sqlite3_stmt *b = NULL;
	struct sq *s = sq_of(be);
	int rc, n1 = 0, n2 = 0;

	rc = sq_prepare(s, &a, err, "DELETE FROM admin_sessions WHERE seen < ? OR created < ?",
			"ii", (int64_t)idle_before, (int64_t)created_before);
	if (!rc)
		rc = sq_run(s, a, &n1, "purging console sessions", err);
	if (!rc)
		rc = sq_prepare(s, &b, err,
				"DELETE FROM admin_tokens WHERE expires <> 0 AND expires <= ?", "i",
				(int64_t)now);
	if (!rc)
		rc = sq_run(s, b, &n2, "purging expired API tokens", err);
	if (!rc)
		*deleted = n1 + n2;
	return rc;
}

/* ---- API tokens -------------------------------------------------------------- */

#define TOKEN_COLUMNS "id_hash, admin, name, created, expires, last_used"

static void read_token(sqlite3_stmt *st, struct reg_admin_token *t)
{
	memset(t, 0, sizeof(*t));
	col_text(st, 0, t->id_hash, sizeof(t->id_hash));
	t->admin = sqlite3_column_int64(st, 1);
	col_text(st, 2, t->name, sizeof(t->name));
	t->created = (time_t)sqlite3_column_int64(st, 3);
	t->expires = (time_t)sqlite3_column_int64(st, 4);
	t->last_used = (time_t)sqlite3_column_int64(st, 5);
}

int sq_admin_token_insert(struct reg_db *be, const struct reg_admin_token *t, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err,
			"INSERT INTO admin_tokens (" TOKEN_COLUMNS ") VALUES (?, ?, ?, ?, ?, ?)",
			"titiii", t->id_hash, t->admin, t->name, (int64_t)t->created,
			(int64_t)t->expires, (int64_t)t->last_used);
	return rc ? rc : sq_run(s, st, NULL, "adding an API token", err);
}

int sq_admin_token_get(struct reg_db *be, const char *id_hash, struct reg_admin_token *out,
		       struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err, "SELECT " TOKEN_COLUMNS " FROM admin_tokens WHERE id_hash = ?",
			"t", id_hash);
	if (!rc)
		rc = sq_one(s, st, "reading an API token", err);
	if (!rc)
		read_token(st, out);
	return rc;
}

struct token_visit {
	reg_admin_token_cb cb;
	void *ctx;
};

static int visit_token(sqlite3_stmt *st, void *arg)
{
	struct token_visit *v = arg;
	struct reg_admin_token t;

	read_token(st, &t);
	return v->cb(&t, v->ctx);
}

int sq_admin_token_list(struct reg_db *be, int64_t admin, reg_admin_token_cb cb, void *ctx,
			struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct token_visit v = {cb, ctx};
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err,
			"SELECT " TOKEN_COLUMNS " FROM admin_tokens WHERE (?1 = 0 OR admin = ?1) "
			"ORDER BY created, id_hash",
			"i", admin);
	return rc ? rc : sq_each(s, st, visit_token, &v, "listing API tokens", err);
}

int sq_admin_token_delete(struct reg_db *be, const char *id_hash, int *changes,
			  struct byod_err *err)
{
	return hash_write(be, "DELETE FROM admin_tokens WHERE id_hash = ?", "t", 0, id_hash,
			  changes, "deleting an API token", err);
}

int sq_admin_token_touch(struct reg_db *be, const char *id_hash, time_t when, int *changes,
			 struct byod_err *err)
{
	return hash_write(be,
			  "UPDATE admin_tokens SET last_used = ?1 WHERE id_hash = ?2 "
			  "AND last_used < ?1",
			  "it", (int64_t)when, id_hash, changes, "touching an API token", err);
}

/* ---- the scoped searches ------------------------------------------------------ */

/* A row's school (expression X) in the scope ?1 (NULL: every school; a
 * row of no school is in no school's scope, and "" is a scope of none). */
/* clang-format off */
#define IN_SCOPE(x) "(?1 IS NULL OR (" x " <> '' AND instr(' ' || ?1 || ' ', ' ' || " x " || ' ') > 0))"
/* clang-format on */

struct school_visit {
	reg_school_cb cb;
	void *ctx;
};

static int visit_school(sqlite3_stmt *st, void *arg)
{
	struct school_visit *v = arg;
	struct reg_school sc;

	memset(&sc, 0, sizeof(sc));
	col_text(st, 0, sc.uai, sizeof(sc.uai));
	col_text(st, 1, sc.name, sizeof(sc.name));
	return v->cb(&sc, v->ctx);
}

int sq_school_list_scoped(struct reg_db *be, const char *scope, reg_school_cb cb, void *ctx,
			  struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct school_visit v = {cb, ctx};
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err,
			"SELECT uai, name FROM schools WHERE " IN_SCOPE("uai") " ORDER BY uai", "t",
			scope);
	return rc ? rc : sq_each(s, st, visit_school, &v, "listing schools", err);
}

/* ?1 scope ?2 school ?3 state ?4 like ?5 exact ?6 mac ?7 serial */
/* clang-format off */
#define DEVICE_WHERE                                                                               \
	"WHERE " IN_SCOPE("p.school") " AND (?2 IS NULL OR p.school = ?2) "                        \
	"AND (?3 IS NULL OR d.state = ?3) "                                                        \
	"AND (?4 IS NULL OR p.login LIKE ?4 ESCAPE '\\' OR p.display_name LIKE ?4 ESCAPE '\\' "    \
	"OR d.name LIKE ?4 ESCAPE '\\' OR d.mac LIKE ?4 ESCAPE '\\' OR d.id = ?5 "                 \
	"OR (?6 IS NOT NULL AND d.mac = ?6) "                                                      \
	"OR (?7 IS NOT NULL AND EXISTS (SELECT 1 FROM certificates c "                             \
	"WHERE c.device = d.id AND c.serial = ?7))) "
/* clang-format on */

struct device_visit {
	reg_device_cb cb;
	void *ctx;
};

static int visit_device(sqlite3_stmt *st, void *arg)
{
	struct device_visit *v = arg;
	struct reg_device d;

	return sq_read_device(st, &d) ? -EIO : v->cb(&d, v->ctx);
}

static int count(struct sq *s, sqlite3_stmt *st, int *total, struct byod_err *err)
{
	int rc = sq_one(s, st, "counting a search's rows", err);

	if (!rc)
		*total = sqlite3_column_int(st, 0);
	return rc;
}

int sq_device_search(struct reg_db *be, const struct reg_search *q, reg_device_cb cb, void *ctx,
		     int *total, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	cleanup_stmt sqlite3_stmt *ct = NULL;
	struct device_visit v = {cb, ctx};
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err,
			SQ_DEVICE_SELECT DEVICE_WHERE
			"ORDER BY d.created DESC, d.id DESC LIMIT ?8 OFFSET ?9",
			"tttttttii", q->scope, q->school, q->state, q->like, q->exact, q->mac,
			q->serial, (int64_t)q->limit, (int64_t)q->offset);
	if (!rc)
		rc = sq_each(s, st, visit_device, &v, "searching devices", err);
	if (rc || !total)
		return rc;
	rc = sq_prepare(
		s, &ct, err,
		"SELECT COUNT(*) FROM devices d JOIN people p ON p.id = d.owner " DEVICE_WHERE,
		"ttttttt", q->scope, q->school, q->state, q->like, q->exact, q->mac, q->serial);
	return rc ? rc : count(s, ct, total, err);
}

int sq_device_get_scoped(struct reg_db *be, const char *scope, const char *id, const char *serial,
			 struct reg_device *out, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	if (id)
		rc = sq_prepare(s, &st, err,
				SQ_DEVICE_SELECT "WHERE " IN_SCOPE("p.school") " AND d.id = ?2",
				"tt", scope, id);
	else
		rc = sq_prepare(s, &st, err,
				SQ_DEVICE_SELECT "JOIN certificates c ON c.device = d.id "
						 "WHERE " IN_SCOPE("p.school") " AND c.serial = ?2",
				"tt", scope, serial);
	if (!rc)
		rc = sq_one(s, st, "reading a device", err);
	if (!rc && sq_read_device(st, out))
		rc = byod_err_set(err, EIO, "registry %s: a device's row is corrupt", s->path);
	return rc;
}

/* ?1 scope ?2 school ?3 state ?4 like ?5 role */
/* clang-format off */
#define PERSON_WHERE                                                                               \
	"WHERE " IN_SCOPE("p.school") " AND (?2 IS NULL OR p.school = ?2) "                        \
	"AND (?3 IS NULL OR p.state = ?3) AND (?5 IS NULL OR p.role = ?5) "                        \
	"AND (?4 IS NULL OR p.login LIKE ?4 ESCAPE '\\' OR p.display_name LIKE ?4 ESCAPE '\\' "    \
	"OR p.\"groups\" LIKE ?4 ESCAPE '\\') "
/* clang-format on */

struct person_visit {
	reg_person_cb cb;
	void *ctx;
};

static int visit_person(sqlite3_stmt *st, void *arg)
{
	struct person_visit *v = arg;
	struct reg_person p;
	int rc;

	rc = sq_read_person(st, &p) ? -EIO : v->cb(&p, v->ctx);
	explicit_bzero(&p, sizeof(p));
	return rc;
}

int sq_person_search(struct reg_db *be, const struct reg_search *q, reg_person_cb cb, void *ctx,
		     int *total, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	cleanup_stmt sqlite3_stmt *ct = NULL;
	struct person_visit v = {cb, ctx};
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err,
			"SELECT " SQ_PERSON_COLUMNS " FROM people p " PERSON_WHERE
			"ORDER BY p.login LIMIT ?6 OFFSET ?7",
			"tttttii", q->scope, q->school, q->state, q->like, q->role,
			(int64_t)q->limit, (int64_t)q->offset);
	if (!rc)
		rc = sq_each(s, st, visit_person, &v, "searching people", err);
	if (rc || !total)
		return rc;
	rc = sq_prepare(s, &ct, err, "SELECT COUNT(*) FROM people p " PERSON_WHERE, "ttttt",
			q->scope, q->school, q->state, q->like, q->role);
	return rc ? rc : count(s, ct, total, err);
}

int sq_person_get_scoped(struct reg_db *be, const char *scope, const char *login,
			 struct reg_person *out, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err,
			"SELECT " SQ_PERSON_COLUMNS
			" FROM people p WHERE " IN_SCOPE("p.school") " AND p.login = ?2",
			"tt", scope, login);
	if (!rc)
		rc = sq_one(s, st, "reading a person", err);
	if (!rc && sq_read_person(st, out))
		rc = byod_err_set(err, EIO, "registry %s: a person's row is corrupt", s->path);
	return rc;
}

struct audit_visit {
	reg_audit_cb cb;
	void *ctx;
};

static int visit_audit(sqlite3_stmt *st, void *arg)
{
	struct audit_visit *v = arg;

	return sq_visit_audit(st, v->cb, v->ctx);
}

int sq_audit_search(struct reg_db *be, const char *scope, const struct reg_audit_filter *f,
		    const char *action_like, reg_audit_cb cb, void *ctx, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct audit_visit v = {cb, ctx};
	struct sq *s = sq_of(be);
	int rc;

	/* a row of no school ('') is in no list: every-school scopes only */
	rc = sq_prepare(
		s, &st, err,
		"SELECT " SQ_AUDIT_COLUMNS " FROM audit WHERE "
		"(?1 IS NULL OR (school <> '' AND "
		"instr(' ' || ?1 || ' ', ' ' || school || ' ') > 0)) "
		"AND (?2 IS NULL OR actor = ?2) AND (?3 IS NULL OR action LIKE ?3 ESCAPE '\\') "
		"AND (?4 IS NULL OR school = ?4) AND (?5 IS NULL OR object = ?5) "
		"AND (?6 = 0 OR time >= ?6) AND (?7 = 0 OR time < ?7) "
		"AND (?8 = 0 OR id < ?8) ORDER BY id DESC LIMIT ?9",
		"tttttiiii", scope, f->actor, action_like, f->school, f->object, (int64_t)f->from,
		(int64_t)f->to, f->before_id, (int64_t)f->limit);
	return rc ? rc : sq_each(s, st, visit_audit, &v, "searching the audit log", err);
}
