// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The PostgreSQL backend's part of the console (byod-admin), with
 * sqlite_admin.c's answers: administrators, their web sessions and API
 * tokens, and the scoped searches of devices, people and the audit log. A
 * scope reaches the server as one text parameter, the space-separated
 * UAIs, and every query keeps the rows whose school is one of
 * string_to_array($1, ' '); NULL is every school. A TOTP step is recorded
 * by one UPDATE whose WHERE re-reads the row it waited for, so that of two
 * nodes checking one code at once exactly one records it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_int.h"

/* ---- administrators ------------------------------------------------------- */

#define ADMIN_COLUMNS                                                                              \
	"id, login, display_name, role, schools, password_hash, totp_secret, totp_enrolled, "      \
	"totp_last_step, state, created, source"

static int read_admin(const PGresult *r, int i, struct reg_admin *a)
{
	char role[16], state[16];

	memset(a, 0, sizeof(*a));
	a->id = pg_get_i64(r, i, 0);
	pg_get_text(r, i, 1, a->login, sizeof(a->login));
	pg_get_text(r, i, 2, a->display_name, sizeof(a->display_name));
	pg_get_text(r, i, 3, role, sizeof(role));
	pg_get_text(r, i, 4, a->schools, sizeof(a->schools));
	pg_get_text(r, i, 5, a->password_hash, sizeof(a->password_hash));
	pg_get_text(r, i, 6, a->totp_secret, sizeof(a->totp_secret));
	a->totp_enrolled = pg_get_i64(r, i, 7) != 0;
	a->totp_last_step = pg_get_i64(r, i, 8);
	pg_get_text(r, i, 9, state, sizeof(state));
	a->created = (time_t)pg_get_i64(r, i, 10);
	pg_get_text(r, i, 11, a->source, sizeof(a->source));
	if (reg_admin_role_parse(role, &a->role) || reg_person_state_parse(state, &a->state))
		return -EIO;
	return 0;
}

int pg_admin_insert(struct reg_db *be, struct reg_admin *a, struct byod_err *err)
{
	cleanup_pgres PGresult *r = NULL;
	char step[24], created[24];
	const char *p[] = {a->login,
			   a->display_name,
			   reg_admin_role_name(a->role),
			   a->schools,
			   a->password_hash,
			   a->totp_secret,
			   a->totp_enrolled ? "1" : "0",
			   step,
			   reg_person_state_name(a->state),
			   created,
			   a->source};
	int rc;

	pg_i64(step, a->totp_last_step);
	pg_i64(created, (int64_t)a->created);
	rc = pg_one(PG(be), &r, err, "adding an administrator",
		    "INSERT INTO admins (login, display_name, role, schools, password_hash, "
		    "totp_secret, totp_enrolled, totp_last_step, state, created, source) "
		    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
		    11, p);
	if (!rc)
		a->id = pg_get_i64(r, 0, 0);
	return rc;
}

static int admin_one(struct pg_db *db, const char *sql, const char *key, struct reg_admin *out,
		     struct byod_err *err)
{
	cleanup_pgres PGresult *r = NULL;
	const char *p[] = {key};
	int rc;

	rc = pg_one(db, &r, err, "reading an administrator", sql, 1, p);
	if (!rc && read_admin(r, 0, out))
		rc = byod_err_set(err, EIO, "registry %s: an administrator's row is corrupt",
				  db->where);
	return rc;
}

int pg_admin_get(struct reg_db *be, const char *login, struct reg_admin *out, struct byod_err *err)
{
	return admin_one(PG(be), "SELECT " ADMIN_COLUMNS " FROM admins WHERE login = $1", login,
			 out, err);
}

int pg_admin_get_by_id(struct reg_db *be, int64_t id, struct reg_admin *out, struct byod_err *err)
{
	char key[24];

	pg_i64(key, id);
	return admin_one(PG(be), "SELECT " ADMIN_COLUMNS " FROM admins WHERE id = $1::bigint", key,
			 out, err);
}

int pg_admin_update(struct reg_db *be, const struct reg_admin *a, struct byod_err *err)
{
	char step[24], id[24];
	const char *p[] = {a->display_name,
			   reg_admin_role_name(a->role),
			   a->schools,
			   a->password_hash,
			   a->totp_secret,
			   a->totp_enrolled ? "1" : "0",
			   step,
			   reg_person_state_name(a->state),
			   id,
			   a->source};
	int rc, n = 0;

	pg_i64(step, a->totp_last_step);
	pg_i64(id, a->id);
	rc = pg_command(PG(be), &n, err, "updating an administrator",
			"UPDATE admins SET display_name = $1, role = $2, schools = $3, "
			"password_hash = $4, totp_secret = $5, totp_enrolled = $6, "
			"totp_last_step = $7, state = $8, source = $10 WHERE id = $9::bigint",
			10, p);
	if (!rc && n != 1)
		rc = byod_err_set(err, ENOENT, "registry %s: no administrator with id %lld",
				  PG(be)->where, (long long)a->id);
	return rc;
}

struct admin_visit {
	reg_admin_cb cb;
	void *ctx;
};

static int visit_admin(const PGresult *r, int i, void *arg)
{
	struct admin_visit *v = arg;
	struct reg_admin a;
	int rc;

	rc = read_admin(r, i, &a) ? -EIO : v->cb(&a, v->ctx);
	explicit_bzero(&a, sizeof(a));
	return rc;
}

int pg_admin_list(struct reg_db *be, reg_admin_cb cb, void *ctx, struct byod_err *err)
{
	struct admin_visit v = {cb, ctx};

	return pg_rows(PG(be), "listing administrators",
		       "SELECT " ADMIN_COLUMNS " FROM admins ORDER BY login", 0, NULL, visit_admin,
		       &v, err);
}

int pg_admin_totp_step(struct reg_db *be, const char *login, int64_t step, int *changes,
		       struct byod_err *err)
{
	char s[24];
	const char *p[] = {s, login};

	pg_i64(s, step);
	return pg_command(PG(be), changes, err, "recording a TOTP step",
			  "UPDATE admins SET totp_last_step = $1::bigint WHERE login = $2 "
			  "AND totp_last_step < $1::bigint",
			  2, p);
}

/* ---- web sessions ------------------------------------------------------------ */

int pg_admin_session_insert(struct reg_db *be, const struct reg_admin_session *as,
			    struct byod_err *err)
{
	char admin[24], created[24], seen[24];
	const char *p[] = {as->id_hash, admin, created, seen, as->client, as->mfa ? "1" : "0"};

	pg_i64(admin, as->admin);
	pg_i64(created, (int64_t)as->created);
	pg_i64(seen, (int64_t)as->seen);
	return pg_command(PG(be), NULL, err, "adding a console session",
			  "INSERT INTO admin_sessions (id_hash, admin, created, seen, client, mfa) "
			  "VALUES ($1, $2, $3, $4, $5, $6)",
			  6, p);
}

int pg_admin_session_get(struct reg_db *be, const char *id_hash, struct reg_admin_session *out,
			 struct byod_err *err)
{
	cleanup_pgres PGresult *r = NULL;
	const char *p[] = {id_hash};
	int rc;

	rc = pg_one(PG(be), &r, err, "reading a console session",
		    "SELECT id_hash, admin, created, seen, client, mfa FROM admin_sessions "
		    "WHERE id_hash = $1",
		    1, p);
	if (rc)
		return rc;
	memset(out, 0, sizeof(*out));
	pg_get_text(r, 0, 0, out->id_hash, sizeof(out->id_hash));
	out->admin = pg_get_i64(r, 0, 1);
	out->created = (time_t)pg_get_i64(r, 0, 2);
	out->seen = (time_t)pg_get_i64(r, 0, 3);
	pg_get_text(r, 0, 4, out->client, sizeof(out->client));
	out->mfa = pg_get_i64(r, 0, 5) != 0;
	return 0;
}

int pg_admin_session_touch(struct reg_db *be, const char *id_hash, time_t seen, int *changes,
			   struct byod_err *err)
{
	char s[24];
	const char *p[] = {s, id_hash};

	pg_i64(s, (int64_t)seen);
	return pg_command(PG(be), changes, err, "touching a console session",
			  "UPDATE admin_sessions SET seen = $1::bigint WHERE id_hash = $2 "
			  "AND seen < $1::bigint",
			  2, p);
}

int pg_admin_session_set_mfa(struct reg_db *be, const char *id_hash, int *changes,
			     struct byod_err *err)
{
	const char *p[] = {id_hash};

	return pg_command(PG(be), changes, err, "marking a console session's second factor",
			  "UPDATE admin_sessions SET mfa = 1 WHERE id_hash = $1", 1, p);
}

int pg_admin_session_delete(struct reg_db *be, const char *id_hash, int *changes,
			    struct byod_err *err)
{
	const char *p[] = {id_hash};

	return pg_command(PG(be), changes, err, "deleting a console session",
			  "DELETE FROM admin_sessions WHERE id_hash = $1", 1, p);
}

int pg_admin_session_delete_admin(struct reg_db *be, int64_t admin, int *changes,
				  struct byod_err *err)
{
	char a[24];
	const char *p[] = {a};

	pg_i64(a, admin);
	return pg_command(PG(be), changes, err, "deleting an administrator's sessions",
			  "DELETE FROM admin_sessions WHERE admin = $1::bigint", 1, p);
}

int pg_admin_session_purge(struct reg_db *be, time_t now, time_t idle_before, time_t created_before,
			   int *deleted, struct byod_err *err)
{
	char n[24], idle[24], old[24];
	const char *ps[] = {idle, old};
	const char *pt[] = {n};
	int rc, n1 = 0, n2 = 0;

	pg_i64(n, (int64_t)now);
	pg_i64(idle, (int64_t)idle_before);
	pg_i64(old, (int64_t)created_before);
	rc = pg_command(
		PG(be), &n1, err, "purging console sessions",
		"DELETE FROM admin_sessions WHERE seen < $1::bigint OR created < $2::bigint", 2,
		ps);
	if (!rc)
		rc = pg_command(
			PG(be), &n2, err, "purging expired API tokens",
			"DELETE FROM admin_tokens WHERE expires <> 0 AND expires <= $1::bigint", 1,
			pt);
	if (!rc)
		*deleted = n1 + n2;
	return rc;
}

/* ---- API tokens -------------------------------------------------------------- */

#define TOKEN_COLUMNS "id_hash, admin, name, created, expires, last_used"

static void read_token(const PGresult *r, int i, struct reg_admin_token *t)
{
	memset(t, 0, sizeof(*t));
	pg_get_text(r, i, 0, t->id_hash, sizeof(t->id_hash));
	t->admin = pg_get_i64(r, i, 1);
	pg_get_text(r, i, 2, t->name, sizeof(t->name));
	t->created = (time_t)pg_get_i64(r, i, 3);
	t->expires = (time_t)pg_get_i64(r, i, 4);
	t->last_used = (time_t)pg_get_i64(r, i, 5);
}

int pg_admin_token_insert(struct reg_db *be, const struct reg_admin_token *t, struct byod_err *err)
{
	char admin[24], created[24], expires[24], used[24];
	const char *p[] = {t->id_hash, admin, t->name, created, expires, used};

	pg_i64(admin, t->admin);
	pg_i64(created, (int64_t)t->created);
	pg_i64(expires, (int64_t)t->expires);
	pg_i64(used, (int64_t)t->last_used);
	return pg_command(PG(be), NULL, err, "adding an API token",
			  "INSERT INTO admin_tokens (" TOKEN_COLUMNS ") "
			  "VALUES ($1, $2, $3, $4, $5, $6)",
			  6, p);
}

int pg_admin_token_get(struct reg_db *be, const char *id_hash, struct reg_admin_token *out,
		       struct byod_err *err)
{
	cleanup_pgres PGresult *r = NULL;
	const char *p[] = {id_hash};
	int rc;

	rc = pg_one(PG(be), &r, err, "reading an API token",
		    "SELECT " TOKEN_COLUMNS " FROM admin_tokens WHERE id_hash = $1", 1, p);
	if (!rc)
		read_token(r, 0, out);
	return rc;
}

struct token_visit {
	reg_admin_token_cb cb;
	void *ctx;
};

static int visit_token(const PGresult *r, int i, void *arg)
{
	struct token_visit *v = arg;
	struct reg_admin_token t;

	read_token(r, i, &t);
	return v->cb(&t, v->ctx);
}

int pg_admin_token_list(struct reg_db *be, int64_t admin, reg_admin_token_cb cb, void *ctx,
			struct byod_err *err)
{
	struct token_visit v = {cb, ctx};
	char a[24];
	const char *p[] = {a};

	pg_i64(a, admin);
	return pg_rows(PG(be), "listing API tokens",
		       "SELECT " TOKEN_COLUMNS " FROM admin_tokens "
		       "WHERE ($1::bigint = 0 OR admin = $1::bigint) ORDER BY created, id_hash",
		       1, p, visit_token, &v, err);
}

int pg_admin_token_delete(struct reg_db *be, const char *id_hash, int *changes,
			  struct byod_err *err)
{
	const char *p[] = {id_hash};

	return pg_command(PG(be), changes, err, "deleting an API token",
			  "DELETE FROM admin_tokens WHERE id_hash = $1", 1, p);
}

int pg_admin_token_touch(struct reg_db *be, const char *id_hash, time_t when, int *changes,
			 struct byod_err *err)
{
	char w[24];
	const char *p[] = {w, id_hash};

	pg_i64(w, (int64_t)when);
	return pg_command(PG(be), changes, err, "touching an API token",
			  "UPDATE admin_tokens SET last_used = $1::bigint WHERE id_hash = $2 "
			  "AND last_used < $1::bigint",
			  2, p);
}

/* ---- the scoped searches ------------------------------------------------------ */

/* A row's school (expression X) in the scope $1 (NULL: every school). */
/* clang-format off */
#define IN_SCOPE(x) "($1::text IS NULL OR " x " = ANY (string_to_array($1::text, ' ')))"
/* clang-format on */

struct school_visit {
	reg_school_cb cb;
	void *ctx;
};

static int visit_school(const PGresult *r, int i, void *arg)
{
	struct school_visit *v = arg;
	struct reg_school sc;

	memset(&sc, 0, sizeof(sc));
	pg_get_text(r, i, 0, sc.uai, sizeof(sc.uai));
	pg_get_text(r, i, 1, sc.name, sizeof(sc.name));
	return v->cb(&sc, v->ctx);
}

int pg_school_list_scoped(struct reg_db *be, const char *scope, reg_school_cb cb, void *ctx,
			  struct byod_err *err)
{
	struct school_visit v = {cb, ctx};
	const char *p[] = {scope};

	return pg_rows(PG(be), "listing schools",
		       "SELECT uai, name FROM schools WHERE " IN_SCOPE("uai") " ORDER BY uai", 1, p,
		       visit_school, &v, err);
}

/* $1 scope $2 school $3 state $4 like $5 exact $6 mac $7 serial */
/* clang-format off */
#define DEVICE_WHERE                                                                               \
	"WHERE " IN_SCOPE("p.school") " AND ($2::text IS NULL OR p.school = $2::text) "            \
	"AND ($3::text IS NULL OR d.state = $3::text) "                                            \
	"AND ($4::text IS NULL OR p.login ILIKE $4::text ESCAPE '\\' "                             \
	"OR p.display_name ILIKE $4::text ESCAPE '\\' OR d.name ILIKE $4::text ESCAPE '\\' "       \
	"OR d.mac ILIKE $4::text ESCAPE '\\' OR d.id = $5::text "                                  \
	"OR ($6::text IS NOT NULL AND d.mac = $6::text) "                                          \
	"OR ($7::text IS NOT NULL AND EXISTS (SELECT 1 FROM certificates c "                       \
	"WHERE c.device = d.id AND c.serial = $7::text))) "
/* clang-format on */

struct device_visit {
	reg_device_cb cb;
	void *ctx;
};

static int visit_device(const PGresult *r, int i, void *arg)
{
	struct device_visit *v = arg;
	struct reg_device d;

	return pg_read_device(r, i, &d) ? -EIO : v->cb(&d, v->ctx);
}

static int count(struct pg_db *db, const char *sql, int n, const char *const *p, int *total,
		 struct byod_err *err)
{
	cleanup_pgres PGresult *r = NULL;
	int rc = pg_one(db, &r, err, "counting a search's rows", sql, n, p);

	if (!rc)
		*total = (int)pg_get_i64(r, 0, 0);
	return rc;
}

int pg_device_search(struct reg_db *be, const struct reg_search *q, reg_device_cb cb, void *ctx,
		     int *total, struct byod_err *err)
{
	struct device_visit v = {cb, ctx};
	char limit[24], offset[24];
	const char *p[] = {q->scope, q->school, q->state, q->like, q->exact,
			   q->mac,   q->serial, limit,	  offset};
	int rc;

	pg_i64(limit, q->limit);
	pg_i64(offset, q->offset);
	rc = pg_rows(PG(be), "searching devices",
		     PG_DEVICE_SELECT DEVICE_WHERE
		     "ORDER BY d.created DESC, d.id DESC LIMIT $8::bigint OFFSET $9::bigint",
		     9, p, visit_device, &v, err);
	if (rc || !total)
		return rc;
	return count(PG(be),
		     "SELECT COUNT(*) FROM devices d JOIN people p ON p.id = d.owner " DEVICE_WHERE,
		     7, p, total, err);
}

int pg_device_get_scoped(struct reg_db *be, const char *scope, const char *id, const char *serial,
			 struct reg_device *out, struct byod_err *err)
{
	cleanup_pgres PGresult *r = NULL;
	const char *p[] = {scope, id ? id : serial};
	int rc;

	if (id)
		rc = pg_one(PG(be), &r, err, "reading a device",
			    PG_DEVICE_SELECT "WHERE " IN_SCOPE("p.school") " AND d.id = $2", 2, p);
	else
		rc = pg_one(PG(be), &r, err, "reading a device",
			    PG_DEVICE_SELECT "JOIN certificates c ON c.device = d.id "
					     "WHERE " IN_SCOPE("p.school") " AND c.serial = $2",
			    2, p);
	if (!rc && pg_read_device(r, 0, out))
		rc = byod_err_set(err, EIO, "registry %s: a device's row is corrupt",
				  PG(be)->where);
	return rc;
}

/* $1 scope $2 school $3 state $4 like $5 role */
/* clang-format off */
#define PERSON_WHERE                                                                               \
	"WHERE " IN_SCOPE("p.school") " AND ($2::text IS NULL OR p.school = $2::text) "            \
	"AND ($3::text IS NULL OR p.state = $3::text) "                                            \
	"AND ($5::text IS NULL OR p.role = $5::text) "                                             \
	"AND ($4::text IS NULL OR p.login ILIKE $4::text ESCAPE '\\' "                             \
	"OR p.display_name ILIKE $4::text ESCAPE '\\' OR p.\"groups\" ILIKE $4::text ESCAPE '\\') "
/* clang-format on */

struct person_visit {
	reg_person_cb cb;
	void *ctx;
};

static int visit_person(const PGresult *r, int i, void *arg)
{
	struct person_visit *v = arg;
	struct reg_person p;
	int rc;

	rc = pg_read_person(r, i, &p) ? -EIO : v->cb(&p, v->ctx);
	explicit_bzero(&p, sizeof(p));
	return rc;
}

int pg_person_search(struct reg_db *be, const struct reg_search *q, reg_person_cb cb, void *ctx,
		     int *total, struct byod_err *err)
{
	struct person_visit v = {cb, ctx};
	char limit[24], offset[24];
	const char *p[] = {q->scope, q->school, q->state, q->like, q->role, limit, offset};
	int rc;

	pg_i64(limit, q->limit);
	pg_i64(offset, q->offset);
	rc = pg_rows(PG(be), "searching people",
		     "SELECT " PG_PERSON_COLUMNS " FROM people p " PERSON_WHERE
		     "ORDER BY p.login LIMIT $6::bigint OFFSET $7::bigint",
		     7, p, visit_person, &v, err);
	if (rc || !total)
		return rc;
	return count(PG(be), "SELECT COUNT(*) FROM people p " PERSON_WHERE, 5, p, total, err);
}

int pg_person_get_scoped(struct reg_db *be, const char *scope, const char *login,
			 struct reg_person *out, struct byod_err *err)
{
	cleanup_pgres PGresult *r = NULL;
	const char *p[] = {scope, login};
	int rc;

	rc = pg_one(PG(be), &r, err, "reading a person",
		    "SELECT " PG_PERSON_COLUMNS
		    " FROM people p WHERE " IN_SCOPE("p.school") " AND p.login = $2",
		    2, p);
	if (!rc && pg_read_person(r, 0, out))
		rc = byod_err_set(err, EIO, "registry %s: a person's row is corrupt",
				  PG(be)->where);
	return rc;
}

struct audit_visit {
	reg_audit_cb cb;
	void *ctx;
};

static int visit_audit(const PGresult *r, int i, void *arg)
{
	struct audit_visit *v = arg;

	return pg_visit_audit(r, i, v->cb, v->ctx);
}

int pg_audit_search(struct reg_db *be, const char *scope, const struct reg_audit_filter *f,
		    const char *action_like, reg_audit_cb cb, void *ctx, struct byod_err *err)
{
	struct audit_visit v = {cb, ctx};
	char from[24], to[24], before[24], limit[24];
	const char *p[] = {scope, f->actor, action_like, f->school, f->object,
			   from,  to,	    before,	 limit};

	pg_i64(from, (int64_t)f->from);
	pg_i64(to, (int64_t)f->to);
	pg_i64(before, f->before_id);
	pg_i64(limit, f->limit);
	/* a row of no school ('') is in no list: every-school scopes only */
	return pg_rows(PG(be), "searching the audit log",
		       "SELECT " PG_AUDIT_COLUMNS " FROM audit WHERE "
		       "($1::text IS NULL OR (school <> '' AND "
		       "school = ANY (string_to_array($1::text, ' ')))) "
		       "AND ($2::text IS NULL OR actor = $2::text) "
		       "AND ($3::text IS NULL OR action LIKE $3::text ESCAPE '\\') "
		       "AND ($4::text IS NULL OR school = $4::text) "
		       "AND ($5::text IS NULL OR object = $5::text) "
		       "AND ($6::bigint = 0 OR time >= $6::bigint) "
		       "AND ($7::bigint = 0 OR time < $7::bigint) "
		       "AND ($8::bigint = 0 OR id < $8::bigint) ORDER BY id DESC LIMIT $9::bigint",
		       9, p, visit_audit, &v, err);
}
