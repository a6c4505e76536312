// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The PostgreSQL backend's part of the portal's shared state: web
 * sessions, one-time form tokens and downloads, login throttling, one-time
 * enrolment codes and the portal's keys, with sqlite_session.c's answers.
 *
 * On PostgreSQL the portals of several nodes write side by side (READ
 * COMMITTED), where SQLite had one writer at a time. So every "use once"
 * is one statement that decides by itself (a DELETE or an UPDATE whose
 * WHERE re-reads the row it waited for): of two portals racing for one
 * form token, enrolment code or download, exactly one changes the row.
 * throttle_lock locks the key's row until the transaction ends, creating
 * a placeholder row for a key without state so that there is a row to
 * lock; the placeholder (last_failure -1, a time no real row has) reads as
 * "no state" everywhere.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_int.h"

/* last_failure of a throttle placeholder; real times are never negative. */
#define THROTTLE_PLACEHOLDER "-1"

/* ---- web sessions ------------------------------------------------------- */

int pg_web_session_insert(struct reg_db *be, const struct reg_web_session *ws, struct byod_err *err)
{
	char person[24], created[24], seen[24];
	const char *p[7] = {
		ws->id_hash,
		ws->person ? person : NULL,
		created,
		seen,
		ws->client,
		ws->kind == REG_WEB_CODE ? "code" : "login",
		ws->enrolled ? "1" : "0",
	};

	pg_i64(person, ws->person);
	pg_i64(created, (int64_t)ws->created);
	pg_i64(seen, (int64_t)ws->seen);
	return pg_command(PG(be), NULL, err, "adding a web session",
			  "INSERT INTO web_sessions (id_hash, person, created, seen, client, kind, "
			  "enrolled) VALUES ($1, $2, $3, $4, $5, $6, $7)",
			  7, p);
}

int pg_web_session_get(struct reg_db *be, const char *id_hash, struct reg_web_session *out,
		       struct byod_err *err)
{
	cleanup_pgres PGresult *r = NULL;
	const char *p[1] = {id_hash};
	char kind[8];
	int rc;

	rc = pg_exec(PG(be), &r, err, "reading a web session",
		     "SELECT id_hash, person, created, seen, client, kind, enrolled "
		     "FROM web_sessions WHERE id_hash = $1",
		     1, p);
	if (rc)
		return rc;
	if (PQntuples(r) < 1)
		return byod_err_set(err, ENOENT, "no such web session");
	memset(out, 0, sizeof(*out));
	pg_get_text(r, 0, 0, out->id_hash, sizeof(out->id_hash));
	out->person = pg_get_i64(r, 0, 1);
	out->created = (time_t)pg_get_i64(r, 0, 2);
	out->seen = (time_t)pg_get_i64(r, 0, 3);
	pg_get_text(r, 0, 4, out->client, sizeof(out->client));
	pg_get_text(r, 0, 5, kind, sizeof(kind));
	out->kind = !strcmp(kind, "code") ? REG_WEB_CODE : REG_WEB_LOGIN;
	out->enrolled = pg_get_i64(r, 0, 6) != 0;
	return 0;
}

/* A row whose seen is already as late is not rewritten (no new row
 * version, no row lock): *changes 0, and reg_web_session_touch tells an
 * absent session from a later one. */
int pg_web_session_touch(struct reg_db *be, const char *id_hash, time_t seen, int *changes,
			 struct byod_err *err)
{
	char s[24];
	const char *p[2] = {s, id_hash};

	pg_i64(s, (int64_t)seen);
	return pg_command(PG(be), changes, err, "touching a web session",
			  "UPDATE web_sessions SET seen = $1 WHERE id_hash = $2 AND seen < $1", 2,
			  p);
}

/* The form tokens go with it (ON DELETE CASCADE). */
int pg_web_session_delete(struct reg_db *be, const char *id_hash, int *changes,
			  struct byod_err *err)
{
	const char *p[1] = {id_hash};

	return pg_command(PG(be), changes, err, "deleting a web session",
			  "DELETE FROM web_sessions WHERE id_hash = $1", 1, p);
}

int pg_web_session_delete_person(struct reg_db *be, int64_t person, int *changes,
				 struct byod_err *err)
{
	char id[24];
	const char *p[1] = {id};

	pg_i64(id, person);
	return pg_command(PG(be), changes, err, "deleting web sessions",
			  "DELETE FROM web_sessions WHERE person = $1", 1, p);
}

/* One statement: of two requests of one code session, one takes its
 * enrolment (the second waits for the row and re-reads enrolled). */
int pg_web_session_mark_enrolled(struct reg_db *be, const char *id_hash, int enrolled, int *changes,
				 struct byod_err *err)
{
	const char *p[2] = {enrolled ? "1" : "0", id_hash};

	return pg_command(PG(be), changes, err, "marking a session's enrolment",
			  "UPDATE web_sessions SET enrolled = $1 WHERE id_hash = $2 "
			  "AND kind = 'code' AND enrolled <> $1",
			  2, p);
}

/* Two statements, not one: the INSERT waits for another node inserting
 * the same name and then does nothing, and only a statement begun after
 * that (READ COMMITTED: a new snapshot) sees the row the other committed. */
int pg_web_key_get(struct reg_db *be, const char *name, const char *candidate, time_t now,
		   char out[65], struct byod_err *err)
{
	cleanup_pgres PGresult *r = NULL;
	struct pg_db *db = PG(be);
	char created[24];
	const char *p[3] = {name, candidate, created};
	int rc;

	pg_i64(created, (int64_t)now);
	rc = pg_command(db, NULL, err, "storing a portal key",
			"INSERT INTO web_keys (name, secret, created) VALUES ($1, $2, $3) "
			"ON CONFLICT (name) DO NOTHING",
			3, p);
	if (!rc)
		rc = pg_exec(db, &r, err, "reading a portal key",
			     "SELECT secret FROM web_keys WHERE name = $1", 1, p);
	if (!rc && PQntuples(r) < 1)
		rc = byod_err_set(err, ENOENT, "registry %s: the portal key '%s' is missing",
				  db->where, name);
	if (!rc)
		pg_get_text(r, 0, 0, out, 65);
	return rc;
}

/* ---- one-time form tokens ----------------------------------------------- */

int pg_web_form_insert(struct reg_db *be, const char *session_hash, const char *token_hash,
		       time_t expires, struct byod_err *err)
{
	char e[24];
	const char *p[3] = {token_hash, session_hash, e};

	pg_i64(e, (int64_t)expires);
	return pg_command(
		PG(be), NULL, err, "adding a form token",
		"INSERT INTO web_forms (token_hash, session, expires) VALUES ($1, $2, $3)", 3, p);
}

/* One DELETE: the token when it is this session's (used, if unexpired),
 * and an expired one whoever presents it. Of two requests racing with one
 * token, the second waits for the first's row and finds it gone. */
int pg_web_form_use(struct reg_db *be, const char *session_hash, const char *token_hash, time_t now,
		    int *changes, struct byod_err *err)
{
	cleanup_pgres PGresult *r = NULL;
	char n[24];
	const char *p[3] = {token_hash, session_hash, n};
	int rc;

	pg_i64(n, (int64_t)now);
	*changes = 0;
	rc = pg_exec(PG(be), &r, err, "using a form token",
		     "DELETE FROM web_forms WHERE token_hash = $1 "
		     "AND (session = $2 OR expires <= $3) RETURNING session = $2 AND expires > $3",
		     3, p);
	if (!rc && PQntuples(r) == 1 && !strcmp(PQgetvalue(r, 0, 0), "t"))
		*changes = 1;
	return rc;
}

/* ---- one-time downloads ------------------------------------------------- */

int pg_download_insert(struct reg_db *be, const struct reg_download *d, struct byod_err *err)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *data = d->data;
	char created[24], expires[24], *hex;
	const char *p[7];
	size_t i;
	int rc;

	hex = malloc(d->len * 2 + 1);
	if (!hex)
		return byod_err_set(err, ENOMEM, "out of memory");
	for (i = 0; i < d->len; i++) {
		hex[2 * i] = digits[data[i] >> 4];
		hex[2 * i + 1] = digits[data[i] & 0xf];
	}
	hex[2 * d->len] = '\0';
	pg_i64(created, (int64_t)d->created);
	pg_i64(expires, (int64_t)d->expires);
	p[0] = d->token_hash;
	p[1] = d->device;
	p[2] = d->filename;
	p[3] = d->type;
	p[4] = hex;
	p[5] = created;
	p[6] = expires;
	rc = pg_command(PG(be), NULL, err, "adding a download",
			"INSERT INTO web_downloads (token_hash, device, filename, type, data, "
			"created, expires) VALUES ($1, $2, $3, $4, decode($5, 'hex'), $6, $7)",
			7, p);
	/* a download is a private key in a PKCS#12 */
	explicit_bzero(hex, d->len * 2);
	free(hex);
	return rc;
}

int pg_download_get(struct reg_db *be, const char *token_hash, struct reg_download *out,
		    struct byod_err *err)
{
	cleanup_pgres PGresult *r = NULL;
	const char *p[1] = {token_hash};
	unsigned char *blob;
	size_t n = 0;
	int rc;

	rc = pg_exec(PG(be), &r, err, "reading a download",
		     "SELECT token_hash, device, filename, type, data, created, expires "
		     "FROM web_downloads WHERE token_hash = $1",
		     1, p);
	if (rc)
		return rc;
	if (PQntuples(r) < 1)
		return byod_err_set(err, ENOENT, "no such download");
	memset(out, 0, sizeof(*out));
	pg_get_text(r, 0, 0, out->token_hash, sizeof(out->token_hash));
	pg_get_text(r, 0, 1, out->device, sizeof(out->device));
	pg_get_text(r, 0, 2, out->filename, sizeof(out->filename));
	pg_get_text(r, 0, 3, out->type, sizeof(out->type));
	out->created = (time_t)pg_get_i64(r, 0, 5);
	out->expires = (time_t)pg_get_i64(r, 0, 6);
	blob = PQunescapeBytea((const unsigned char *)PQgetvalue(r, 0, 4), &n);
	if (!blob)
		return byod_err_set(err, ENOMEM, "out of memory");
	out->data = malloc(n > 0 ? n : 1);
	if (out->data && n > 0)
		memcpy(out->data, blob, n);
	explicit_bzero(blob, n);
	PQfreemem(blob);
	explicit_bzero(PQgetvalue(r, 0, 4), (size_t)PQgetlength(r, 0, 4));
	if (!out->data)
		return byod_err_set(err, ENOMEM, "out of memory");
	out->len = n;
	return 0;
}

/* The DELETE decides: of two portals taking one download, the second waits
 * for the first's row and deletes nothing (*changes 0). */
int pg_download_delete(struct reg_db *be, const char *token_hash, int *changes,
		       struct byod_err *err)
{
	const char *p[1] = {token_hash};

	return pg_command(PG(be), changes, err, "deleting a download",
			  "DELETE FROM web_downloads WHERE token_hash = $1", 1, p);
}

/* ---- login throttling --------------------------------------------------- */

static void read_throttle(const PGresult *r, struct reg_throttle *out)
{
	memset(out, 0, sizeof(*out));
	pg_get_text(r, 0, 0, out->key, sizeof(out->key));
	out->failures = (int)pg_get_i64(r, 0, 1);
	out->last_failure = (time_t)pg_get_i64(r, 0, 2);
	out->locked_until = (time_t)pg_get_i64(r, 0, 3);
}

int pg_throttle_get(struct reg_db *be, const char *key, struct reg_throttle *out,
		    struct byod_err *err)
{
	cleanup_pgres PGresult *r = NULL;
	const char *p[1] = {key};
	int rc;

	rc = pg_exec(PG(be), &r, err, "reading a throttle",
		     "SELECT key, failures, last_failure, locked_until FROM web_throttle "
		     "WHERE key = $1 AND last_failure >= 0",
		     1, p);
	if (rc)
		return rc;
	if (PQntuples(r) < 1)
		return byod_err_set(err, ENOENT, "no throttle state for this key");
	read_throttle(r, out);
	return 0;
}

/*
 * One statement that always ends holding the key's row: it inserts a
 * placeholder, or, when the row is there (or another writer's insert of it
 * commits first), "updates" it to itself, which locks it and returns it as
 * committed last. The lock lasts until the transaction ends. A placeholder
 * returned is a key without state (-ENOENT); reg_throttle_update then
 * deletes it, or replaces it with the state it decided, before committing.
 */
int pg_throttle_lock(struct reg_db *be, const char *key, struct reg_throttle *out,
		     struct byod_err *err)
{
	cleanup_pgres PGresult *r = NULL;
	const char *p[1] = {key};
	int rc;

	rc = pg_exec(PG(be), &r, err, "locking a throttle",
		     "INSERT INTO web_throttle (key, failures, last_failure, locked_until) "
		     "VALUES ($1, 0, " THROTTLE_PLACEHOLDER ", 0) "
		     "ON CONFLICT (key) DO UPDATE SET key = EXCLUDED.key "
		     "RETURNING key, failures, last_failure, locked_until",
		     1, p);
	if (rc)
		return rc;
	if (PQntuples(r) != 1)
		return byod_err_set(err, EIO, "registry %s: locking a throttle returned no row",
				    PG(be)->where);
	read_throttle(r, out);
	if (out->last_failure < 0) {
		memset(out, 0, sizeof(*out));
		return byod_err_set(err, ENOENT, "no throttle state for this key");
	}
	return 0;
}

int pg_throttle_put(struct reg_db *be, const struct reg_throttle *t, struct byod_err *err)
{
	char failures[24], last[24], until[24];
	const char *p[4] = {t->key, failures, last, until};

	pg_i64(failures, t->failures);
	pg_i64(last, (int64_t)t->last_failure);
	pg_i64(until, (int64_t)t->locked_until);
	return pg_command(PG(be), NULL, err, "writing a throttle",
			  "INSERT INTO web_throttle (key, failures, last_failure, locked_until) "
			  "VALUES ($1, $2, $3, $4) ON CONFLICT (key) DO UPDATE SET "
			  "failures = EXCLUDED.failures, last_failure = EXCLUDED.last_failure, "
			  "locked_until = EXCLUDED.locked_until",
			  4, p);
}

int pg_throttle_delete(struct reg_db *be, const char *key, struct byod_err *err)
{
	const char *p[1] = {key};

	return pg_command(PG(be), NULL, err, "deleting a throttle",
			  "DELETE FROM web_throttle WHERE key = $1", 1, p);
}

/* left(), not LIKE: a prefix holding '%', '_' or '\' means itself. A
 * placeholder is not a key's state: deleted, not counted. */
int pg_throttle_delete_prefix(struct reg_db *be, const char *prefix, int *changes,
			      struct byod_err *err)
{
	cleanup_pgres PGresult *r = NULL;
	const char *p[1] = {prefix};
	int rc;

	rc = pg_exec(PG(be), &r, err, "deleting throttles",
		     "WITH gone AS (DELETE FROM web_throttle "
		     "WHERE left(key, char_length($1::text)) = $1::text RETURNING last_failure) "
		     "SELECT count(*) FROM gone WHERE last_failure >= 0",
		     1, p);
	if (!rc && changes)
		*changes = PQntuples(r) == 1 ? (int)pg_get_i64(r, 0, 0) : 0;
	return rc;
}

/* The form tokens of the sessions purged are deleted first, by hand, as in
 * sqlite_session.c: PQcmdTuples does not count the rows ON DELETE CASCADE
 * removes, and *deleted is every row. */
int pg_web_purge(struct reg_db *be, time_t now, time_t idle_before, time_t created_before,
		 time_t forget_before, int *deleted, struct byod_err *err)
{
	enum { NOW, IDLE, CREATED, FORGET };
	static const struct {
		const char *sql;
		int nparams;
		int param[3]; /* which time is $1, $2, $3 */
	} steps[] = {
		{"DELETE FROM web_forms WHERE expires <= $1 OR session IN "
		 "(SELECT id_hash FROM web_sessions WHERE seen < $2 OR created < $3)",
		 3,
		 {NOW, IDLE, CREATED}},
		{"DELETE FROM web_sessions WHERE seen < $1 OR created < $2", 2, {IDLE, CREATED}},
		{"DELETE FROM web_downloads WHERE expires <= $1", 1, {NOW}},
		{"DELETE FROM web_throttle WHERE last_failure < $1 AND locked_until <= $2",
		 2,
		 {FORGET, NOW}},
	};
	char t[4][24];
	const char *p[3];
	size_t i;
	int rc = 0, j, n, total = 0;

	pg_i64(t[NOW], (int64_t)now);
	pg_i64(t[IDLE], (int64_t)idle_before);
	pg_i64(t[CREATED], (int64_t)created_before);
	pg_i64(t[FORGET], (int64_t)forget_before);
	for (i = 0; !rc && i < sizeof(steps) / sizeof(steps[0]); i++) {
		for (j = 0; j < steps[i].nparams; j++)
			p[j] = t[steps[i].param[j]];
		n = 0;
		rc = pg_command(PG(be), &n, err, "purging the portal's state", steps[i].sql,
				steps[i].nparams, p);
		total += n;
	}
	if (!rc && deleted)
		*deleted = total;
	return rc;
}

/* ---- one-time enrolment codes ------------------------------------------- */

int pg_enrol_code_insert(struct reg_db *be, const char *code_hash, int64_t person, time_t created,
			 time_t expires, struct byod_err *err)
{
	char id[24], c[24], e[24];
	const char *p[4] = {code_hash, id, c, e};

	pg_i64(id, person);
	pg_i64(c, (int64_t)created);
	pg_i64(e, (int64_t)expires);
	return pg_command(PG(be), NULL, err, "adding an enrolment code",
			  "INSERT INTO enrol_codes (code_hash, person, created, expires) "
			  "VALUES ($1, $2, $3, $4)",
			  4, p);
}

/* The UPDATE decides: of two portals using one code, the second waits for
 * the first's row, re-reads used and changes nothing (*changes 0). */
int pg_enrol_code_use(struct reg_db *be, const char *code_hash, time_t now, int *changes,
		      struct byod_err *err)
{
	char n[24];
	const char *p[2] = {n, code_hash};

	pg_i64(n, (int64_t)now);
	return pg_command(PG(be), changes, err, "using an enrolment code",
			  "UPDATE enrol_codes SET used = $1 WHERE code_hash = $2 AND used IS NULL "
			  "AND expires > $1",
			  2, p);
}

int pg_enrol_code_get(struct reg_db *be, const char *code_hash, time_t now, int64_t *person,
		      struct byod_err *err)
{
	cleanup_pgres PGresult *r = NULL;
	char n[24];
	const char *p[2] = {code_hash, n};
	int rc;

	pg_i64(n, (int64_t)now);
	rc = pg_exec(PG(be), &r, err, "reading an enrolment code",
		     "SELECT person FROM enrol_codes WHERE code_hash = $1 AND used IS NULL "
		     "AND expires > $2",
		     2, p);
	if (rc)
		return rc;
	if (PQntuples(r) < 1)
		return byod_err_set(err, ENOENT,
				    "no such enrolment code, or it is used or expired");
	*person = pg_get_i64(r, 0, 0);
	return 0;
}
