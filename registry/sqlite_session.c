// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The SQLite backend's session tables: RADIUS accounting sessions (kept
 * for the legal retention), and the portal's shared state (web sessions,
 * one-time form tokens and downloads, login throttling, one-time
 * enrolment codes). The tables come from sqlite.c's migrations; the
 * statement helpers are sqlite.c's too (sqlite_int.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite_int.h"

/* ---- RADIUS accounting sessions ------------------------------------------- */

#define SESSION_SELECT                                                                             \
	"SELECT id, session_id, nas_ip, nas_id, device, mac, ip, serial, started, updated, "       \
	"stopped, in_octets, out_octets, state FROM sessions "

static int read_session(sqlite3_stmt *st, struct reg_session *ss)
{
	char state[16];

	memset(ss, 0, sizeof(*ss));
	ss->id = sqlite3_column_int64(st, 0);
	col_text(st, 1, ss->session_id, sizeof(ss->session_id));
	col_text(st, 2, ss->nas_ip, sizeof(ss->nas_ip));
	col_text(st, 3, ss->nas_id, sizeof(ss->nas_id));
	col_text(st, 4, ss->device, sizeof(ss->device));
	col_text(st, 5, ss->mac, sizeof(ss->mac));
	col_text(st, 6, ss->ip, sizeof(ss->ip));
	col_text(st, 7, ss->serial, sizeof(ss->serial));
	ss->started = (time_t)sqlite3_column_int64(st, 8);
	ss->updated = (time_t)sqlite3_column_int64(st, 9);
	ss->stopped = (time_t)sqlite3_column_int64(st, 10);
	ss->in_octets = sqlite3_column_int64(st, 11);
	ss->out_octets = sqlite3_column_int64(st, 12);
	col_text(st, 13, state, sizeof(state));
	return reg_session_state_parse(state, &ss->state) ? -EIO : 0;
}

static int session_one(struct sq *s, sqlite3_stmt *st, struct reg_session *out,
		       struct byod_err *err)
{
	int rc = sq_one(s, st, "reading a session", err);

	if (!rc && read_session(st, out))
		rc = byod_err_set(err, EIO, "registry %s: a session's row is corrupt", s->path);
	return rc;
}

/* IS, not =: an absent NAS-IP-Address or NAS-Identifier is a NULL that
 * must match the NULL stored for it. */
int sq_session_find(struct reg_db *be, const char *session_id, const char *nas_ip,
			   const char *nas_id, struct reg_session *out, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err,
			SESSION_SELECT "WHERE session_id = ? AND nas_ip IS ? AND nas_id IS ? "
				       "ORDER BY id DESC LIMIT 1",
			"tnn", session_id, nas_ip, nas_id);
	return rc ? rc : session_one(s, st, out, err);
}

/* stopped is NULL while the session is open. */
int sq_session_insert(struct reg_db *be, struct reg_session *ss, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(
		s, &st, err,
		"INSERT INTO sessions (session_id, nas_ip, nas_id, device, mac, ip, serial, "
		"started, updated, stopped, in_octets, out_octets, state) "
		"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULLIF(?, 0), ?, ?, ?)",
		"tnnnnnniiiiit", ss->session_id, ss->nas_ip, ss->nas_id, ss->device, ss->mac,
		ss->ip, ss->serial, (int64_t)ss->started, (int64_t)ss->updated,
		(int64_t)ss->stopped, ss->in_octets, ss->out_octets,
		reg_session_state_name(ss->state));
	if (!rc)
		rc = sq_run(s, st, NULL, "adding a session", err);
	if (!rc)
		ss->id = sqlite3_last_insert_rowid(s->db);
	return rc;
}

int sq_session_update(struct reg_db *be, const struct reg_session *ss, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc, n = 0;

	rc = sq_prepare(s, &st, err,
			"UPDATE sessions SET device = ?, mac = ?, ip = ?, serial = ?, started = ?, "
			"updated = ?, stopped = NULLIF(?, 0), in_octets = ?, out_octets = ?, "
			"state = ? WHERE id = ?",
			"nnnniiiiiti", ss->device, ss->mac, ss->ip, ss->serial,
			(int64_t)ss->started, (int64_t)ss->updated, (int64_t)ss->stopped,
			ss->in_octets, ss->out_octets, reg_session_state_name(ss->state), ss->id);
	if (!rc)
		rc = sq_run(s, st, &n, "updating a session", err);
	if (!rc && n != 1)
		rc = byod_err_set(err, ENOENT, "registry %s: no session with id %lld", s->path,
				  (long long)ss->id);
	return rc;
}

int sq_session_get(struct reg_db *be, int64_t id, struct reg_session *out,
			  struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err, SESSION_SELECT "WHERE id = ?", "i", id);
	return rc ? rc : session_one(s, st, out, err);
}

struct session_visit {
	int (*cb)(const struct reg_session *, void *);
	void *ctx;
};

static int visit_session(sqlite3_stmt *st, void *arg)
{
	struct session_visit *v = arg;
	struct reg_session ss;

	return read_session(st, &ss) ? -EIO : v->cb(&ss, v->ctx);
}

/* One query text per filter, each naming its conditions literally so that
 * SQLite can use the index sessions_device or the partial index
 * sessions_open (an "?1 IS NULL OR ..." would read the whole table). */
int sq_session_list(struct reg_db *be, int open_only, const char *device,
			   int (*cb)(const struct reg_session *, void *), void *ctx,
			   struct byod_err *err)
{
	static const char *const sql[2][2] = {
		{SESSION_SELECT "ORDER BY started DESC, id DESC",
		 SESSION_SELECT "WHERE device = ? ORDER BY started DESC, id DESC"},
		{SESSION_SELECT "WHERE state = 'open' ORDER BY started DESC, id DESC",
		 SESSION_SELECT "WHERE state = 'open' AND device = ? "
				"ORDER BY started DESC, id DESC"},
	};
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct session_visit v = {cb, ctx};
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err, sql[!!open_only][device != NULL], device ? "t" : "", device);
	return rc ? rc : sq_each(s, st, visit_session, &v, "listing sessions", err);
}

/* The sessions of a school's devices: its people (people_school), their
 * devices (devices_owner), their sessions (sessions_device). */
#define SCHOOL_SESSION_SELECT                                                                      \
	"SELECT s.id, s.session_id, s.nas_ip, s.nas_id, s.device, s.mac, s.ip, s.serial, "         \
	"s.started, s.updated, s.stopped, s.in_octets, s.out_octets, s.state FROM sessions s "     \
	"JOIN devices d ON d.id = s.device JOIN people p ON p.id = d.owner WHERE p.school = ? "

int sq_session_list_school(struct reg_db *be, int open_only, const char *school,
			   int (*cb)(const struct reg_session *, void *), void *ctx,
			   struct byod_err *err)
{
	static const char *const sql[2] = {
		SCHOOL_SESSION_SELECT "ORDER BY s.started DESC, s.id DESC",
		SCHOOL_SESSION_SELECT "AND s.state = 'open' ORDER BY s.started DESC, s.id DESC",
	};
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct session_visit v = {cb, ctx};
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err, sql[!!open_only], "t", school);
	return rc ? rc : sq_each(s, st, visit_session, &v, "listing a school's sessions", err);
}

int sq_session_purge(struct reg_db *be, time_t before, int *deleted, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err,
			"DELETE FROM sessions WHERE COALESCE(stopped, updated, started) < ?1 AND "
			"(state = 'closed' OR COALESCE(updated, started) + ?2 < ?1)",
			"ii", (int64_t)before, (int64_t)REG_SESSION_OPEN_MARGIN);
	return rc ? rc : sq_run(s, st, deleted, "purging sessions", err);
}

/* ---- the portal's shared state ------------------------------------------ */

int sq_web_session_insert(struct reg_db *be, const struct reg_web_session *ws,
				 struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err,
			"INSERT INTO web_sessions (id_hash, person, created, seen, client, kind, "
			"enrolled) VALUES (?, ?, ?, ?, ?, ?, ?)",
			"tpiitti", ws->id_hash, ws->person, (int64_t)ws->created, (int64_t)ws->seen,
			ws->client, ws->kind == REG_WEB_CODE ? "code" : "login",
			(int64_t)!!ws->enrolled);
	return rc ? rc : sq_run(s, st, NULL, "adding a web session", err);
}

int sq_web_session_get(struct reg_db *be, const char *id_hash, struct reg_web_session *out,
			      struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err,
			"SELECT id_hash, person, created, seen, client, kind, enrolled "
			"FROM web_sessions "
			"WHERE id_hash = ?",
			"t", id_hash);
	if (!rc)
		rc = sq_one(s, st, "reading a web session", err);
	if (rc)
		return rc;
	memset(out, 0, sizeof(*out));
	col_text(st, 0, out->id_hash, sizeof(out->id_hash));
	out->person = sqlite3_column_int64(st, 1);
	out->created = (time_t)sqlite3_column_int64(st, 2);
	out->seen = (time_t)sqlite3_column_int64(st, 3);
	col_text(st, 4, out->client, sizeof(out->client));
	out->kind = !strcmp((const char *)sqlite3_column_text(st, 5), "code") ? REG_WEB_CODE
									     : REG_WEB_LOGIN;
	out->enrolled = sqlite3_column_int(st, 6) != 0;
	return 0;
}

int sq_web_session_mark_enrolled(struct reg_db *be, const char *id_hash, int enrolled,
				 int *changes, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err,
			"UPDATE web_sessions SET enrolled = ?1 WHERE id_hash = ?2 "
			"AND kind = 'code' AND enrolled <> ?1",
			"it", (int64_t)enrolled, id_hash);
	return rc ? rc : sq_run(s, st, changes, "marking a session's enrolment", err);
}

int sq_web_key_get(struct reg_db *be, const char *name, const char *candidate, time_t now,
		   char out[65], struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *ins = NULL;
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &ins, err,
			"INSERT INTO web_keys (name, secret, created) VALUES (?, ?, ?) "
			"ON CONFLICT (name) DO NOTHING",
			"tti", name, candidate, (int64_t)now);
	if (!rc)
		rc = sq_run(s, ins, NULL, "storing a portal key", err);
	if (!rc)
		rc = sq_prepare(s, &st, err, "SELECT secret FROM web_keys WHERE name = ?", "t",
				name);
	if (!rc)
		rc = sq_one(s, st, "reading a portal key", err);
	if (!rc)
		col_text(st, 0, out, 65);
	return rc;
}

int sq_web_session_touch(struct reg_db *be, const char *id_hash, time_t seen, int *changes,
				struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err,
			"UPDATE web_sessions SET seen = max(seen, ?) WHERE id_hash = ?", "it",
			(int64_t)seen, id_hash);
	return rc ? rc : sq_run(s, st, changes, "touching a web session", err);
}

int sq_web_session_delete(struct reg_db *be, const char *id_hash, int *changes,
				 struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	/* the form tokens go with it (ON DELETE CASCADE) */
	rc = sq_prepare(s, &st, err, "DELETE FROM web_sessions WHERE id_hash = ?", "t", id_hash);
	return rc ? rc : sq_run(s, st, changes, "deleting a web session", err);
}

int sq_web_session_delete_person(struct reg_db *be, int64_t person, int *changes,
					struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err, "DELETE FROM web_sessions WHERE person = ?", "i", person);
	return rc ? rc : sq_run(s, st, changes, "deleting web sessions", err);
}

int sq_web_form_insert(struct reg_db *be, const char *session_hash, const char *token_hash,
			      time_t expires, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err,
			"INSERT INTO web_forms (token_hash, session, expires) VALUES (?, ?, ?)",
			"tti", token_hash, session_hash, (int64_t)expires);
	return rc ? rc : sq_run(s, st, NULL, "adding a form token", err);
}

int sq_web_form_use(struct reg_db *be, const char *session_hash, const char *token_hash,
			   time_t now, int *changes, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	cleanup_stmt sqlite3_stmt *gone = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err,
			"DELETE FROM web_forms WHERE token_hash = ? AND session = ? AND expires > ?",
			"tti", token_hash, session_hash, (int64_t)now);
	if (!rc)
		rc = sq_run(s, st, changes, "using a form token", err);
	if (rc || *changes)
		return rc;
	rc = sq_prepare(s, &gone, err, "DELETE FROM web_forms WHERE token_hash = ? AND expires <= ?",
			"ti", token_hash, (int64_t)now);
	return rc ? rc : sq_run(s, gone, NULL, "dropping an expired form token", err);
}

int sq_download_insert(struct reg_db *be, const struct reg_download *d,
			      struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err,
			"INSERT INTO web_downloads (token_hash, device, filename, type, data, "
			"created, expires) VALUES (?, ?, ?, ?, ?, ?, ?)",
			"ttttbii", d->token_hash, d->device, d->filename, d->type, d->data, d->len,
			(int64_t)d->created, (int64_t)d->expires);
	return rc ? rc : sq_run(s, st, NULL, "adding a download", err);
}

int sq_download_get(struct reg_db *be, const char *token_hash, struct reg_download *out,
			   struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	const void *blob;
	int rc, n;

	rc = sq_prepare(s, &st, err,
			"SELECT token_hash, device, filename, type, data, created, expires "
			"FROM web_downloads WHERE token_hash = ?",
			"t", token_hash);
	if (!rc)
		rc = sq_one(s, st, "reading a download", err);
	if (rc)
		return rc;
	memset(out, 0, sizeof(*out));
	col_text(st, 0, out->token_hash, sizeof(out->token_hash));
	col_text(st, 1, out->device, sizeof(out->device));
	col_text(st, 2, out->filename, sizeof(out->filename));
	col_text(st, 3, out->type, sizeof(out->type));
	blob = sqlite3_column_blob(st, 4);
	n = sqlite3_column_bytes(st, 4);
	out->created = (time_t)sqlite3_column_int64(st, 5);
	out->expires = (time_t)sqlite3_column_int64(st, 6);
	out->data = malloc(n > 0 ? (size_t)n : 1);
	if (!out->data)
		return byod_err_set(err, ENOMEM, "out of memory");
	if (n > 0)
		memcpy(out->data, blob, (size_t)n);
	out->len = n > 0 ? (size_t)n : 0;
	return 0;
}

int sq_download_delete(struct reg_db *be, const char *token_hash, int *changes,
			      struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err, "DELETE FROM web_downloads WHERE token_hash = ?", "t",
			token_hash);
	return rc ? rc : sq_run(s, st, changes, "deleting a download", err);
}

int sq_throttle_get(struct reg_db *be, const char *key, struct reg_throttle *out,
			   struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err,
			"SELECT key, failures, last_failure, locked_until FROM web_throttle "
			"WHERE key = ?",
			"t", key);
	if (!rc)
		rc = sq_one(s, st, "reading a throttle", err);
	if (rc)
		return rc;
	memset(out, 0, sizeof(*out));
	col_text(st, 0, out->key, sizeof(out->key));
	out->failures = sqlite3_column_int(st, 1);
	out->last_failure = (time_t)sqlite3_column_int64(st, 2);
	out->locked_until = (time_t)sqlite3_column_int64(st, 3);
	return 0;
}

int sq_throttle_put(struct reg_db *be, const struct reg_throttle *t, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err,
			"INSERT OR REPLACE INTO web_throttle (key, failures, last_failure, "
			"locked_until) VALUES (?, ?, ?, ?)",
			"tiii", t->key, (int64_t)t->failures, (int64_t)t->last_failure,
			(int64_t)t->locked_until);
	return rc ? rc : sq_run(s, st, NULL, "writing a throttle", err);
}

int sq_throttle_delete(struct reg_db *be, const char *key, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err, "DELETE FROM web_throttle WHERE key = ?", "t", key);
	return rc ? rc : sq_run(s, st, NULL, "deleting a throttle", err);
}

int sq_throttle_delete_prefix(struct reg_db *be, const char *prefix, int *changes,
			      struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	/* substr, not LIKE: a prefix holding '%' or '_' means itself */
	rc = sq_prepare(s, &st, err,
			"DELETE FROM web_throttle WHERE substr(key, 1, length(?1)) = ?1", "t",
			prefix);
	return rc ? rc : sq_run(s, st, changes, "deleting throttles", err);
}

int sq_web_purge(struct reg_db *be, time_t now, time_t idle_before, time_t created_before,
			time_t forget_before, int *deleted, struct byod_err *err)
{
	/* The form tokens of the sessions purged are deleted first, by hand:
	 * sqlite3_changes() does not count the rows ON DELETE CASCADE removes,
	 * and *deleted is every row. */
	static const struct {
		const char *sql;
		const char *types; /* as many as its highest ?N */
	} steps[] = {
		{ "DELETE FROM web_forms WHERE expires <= ?1 OR session IN "
		  "(SELECT id_hash FROM web_sessions WHERE seen < ?2 OR created < ?3)",
		  "iii" },
		{ "DELETE FROM web_sessions WHERE seen < ?2 OR created < ?3", "iii" },
		{ "DELETE FROM web_downloads WHERE expires <= ?1", "i" },
		{ "DELETE FROM web_throttle WHERE last_failure < ?4 AND locked_until <= ?1",
		  "iiii" },
	};
	struct sq *s = sq_of(be);
	size_t i;
	int rc = 0, n, total = 0;

	for (i = 0; !rc && i < sizeof(steps) / sizeof(steps[0]); i++) {
		cleanup_stmt sqlite3_stmt *st = NULL;

		/* extra arguments past types are not read */
		rc = sq_prepare(s, &st, err, steps[i].sql, steps[i].types, (int64_t)now,
				(int64_t)idle_before, (int64_t)created_before,
				(int64_t)forget_before);
		n = 0;
		if (!rc)
			rc = sq_run(s, st, &n, "purging the portal's state", err);
		total += n;
	}
	if (!rc && deleted)
		*deleted = total;
	return rc;
}

/* ---- one-time enrolment codes ------------------------------------------- */

int sq_enrol_code_insert(struct reg_db *be, const char *code_hash, int64_t person,
				time_t created, time_t expires, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err,
			"INSERT INTO enrol_codes (code_hash, person, created, expires) "
			"VALUES (?, ?, ?, ?)",
			"tiii", code_hash, person, (int64_t)created, (int64_t)expires);
	return rc ? rc : sq_run(s, st, NULL, "adding an enrolment code", err);
}

int sq_enrol_code_use(struct reg_db *be, const char *code_hash, time_t now, int *changes,
			     struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err,
			"UPDATE enrol_codes SET used = ? WHERE code_hash = ? AND used IS NULL "
			"AND expires > ?",
			"iti", (int64_t)now, code_hash, (int64_t)now);
	return rc ? rc : sq_run(s, st, changes, "using an enrolment code", err);
}

int sq_enrol_code_get(struct reg_db *be, const char *code_hash, time_t now, int64_t *person,
			     struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err,
			"SELECT person FROM enrol_codes WHERE code_hash = ? AND used IS NULL "
			"AND expires > ?",
			"ti", code_hash, (int64_t)now);
	if (!rc)
		rc = sq_one(s, st, "reading an enrolment code", err);
	if (!rc)
		*person = sqlite3_column_int64(st, 0);
	return rc;
}

