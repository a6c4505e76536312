// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The SQLite backend's OAuth 2.0 rows for geteduroam (the oauth_grants,
 * oauth_codes and oauth_tokens tables of schema version 12): codes and
 * tokens by their SHA-256 hash, grants by id, the one-time marks as
 * single UPDATEs guarded by "used = 0" so that of two requests exactly one
 * wins. Inputs are checked by registry/reg_oauth.c.
 */
#include <errno.h>
#include <string.h>

#include "sqlite_int.h"

#define CODE_COLS                                                                                  \
	"code_hash, client, redirect_hash, challenge, charter, person, created, expires, used, "   \
	"grant_id FROM oauth_codes"
#define GRANT_COLS "id, client, person, charter, device, created, revoked FROM oauth_grants"
#define TOKEN_COLS "token_hash, grant_id, kind, refreshed, created, expires, used FROM oauth_tokens"

int sq_oauth_code_insert(struct reg_db *be, const struct reg_oauth_code *c, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err,
			"INSERT INTO oauth_codes (code_hash, client, redirect_hash, challenge, "
			"charter, person, created, expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
			"tttttiii", c->code_hash, c->client, c->redirect_hash, c->challenge,
			c->charter, c->person, (int64_t)c->created, (int64_t)c->expires);
	return rc ? rc : sq_run(s, st, NULL, "storing an authorization code", err);
}

int sq_oauth_code_get(struct reg_db *be, const char *code_hash, struct reg_oauth_code *out,
		      struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err, "SELECT " CODE_COLS " WHERE code_hash = ?", "t", code_hash);
	if (!rc)
		rc = sq_one(s, st, "reading an authorization code", err);
	if (rc)
		return rc;
	memset(out, 0, sizeof(*out));
	col_text(st, 0, out->code_hash, sizeof(out->code_hash));
	col_text(st, 1, out->client, sizeof(out->client));
	col_text(st, 2, out->redirect_hash, sizeof(out->redirect_hash));
	col_text(st, 3, out->challenge, sizeof(out->challenge));
	col_text(st, 4, out->charter, sizeof(out->charter));
	out->person = sqlite3_column_int64(st, 5);
	out->created = (time_t)sqlite3_column_int64(st, 6);
	out->expires = (time_t)sqlite3_column_int64(st, 7);
	out->used = (time_t)sqlite3_column_int64(st, 8);
	out->grant = sqlite3_column_int64(st, 9);
	return 0;
}

int sq_oauth_code_use(struct reg_db *be, const char *code_hash, time_t now, int64_t grant,
		      int *changes, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err,
			"UPDATE oauth_codes SET used = ?, grant_id = ? WHERE code_hash = ? AND "
			"used = 0",
			"ipt", (int64_t)now, grant, code_hash);
	return rc ? rc : sq_run(s, st, changes, "using an authorization code", err);
}

int sq_oauth_grant_insert(struct reg_db *be, struct reg_oauth_grant *g, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err,
			"INSERT INTO oauth_grants (client, person, charter, device, created, "
			"revoked) VALUES (?, ?, ?, ?, ?, ?)",
			"titnii", g->client, g->person, g->charter, g->device, (int64_t)g->created,
			(int64_t)g->revoked);
	if (!rc)
		rc = sq_run(s, st, NULL, "storing an OAuth grant", err);
	if (!rc)
		g->id = sqlite3_last_insert_rowid(s->db);
	return rc;
}

int sq_oauth_grant_get(struct reg_db *be, int64_t id, struct reg_oauth_grant *out,
		       struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err, "SELECT " GRANT_COLS " WHERE id = ?", "i", id);
	if (!rc)
		rc = sq_one(s, st, "reading an OAuth grant", err);
	if (rc)
		return rc;
	memset(out, 0, sizeof(*out));
	out->id = sqlite3_column_int64(st, 0);
	col_text(st, 1, out->client, sizeof(out->client));
	out->person = sqlite3_column_int64(st, 2);
	col_text(st, 3, out->charter, sizeof(out->charter));
	col_text(st, 4, out->device, sizeof(out->device));
	out->created = (time_t)sqlite3_column_int64(st, 5);
	out->revoked = (time_t)sqlite3_column_int64(st, 6);
	return 0;
}

int sq_oauth_grant_set_device(struct reg_db *be, int64_t id, const char *device, int *changes,
			      struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err,
			"UPDATE oauth_grants SET device = ? WHERE id = ? AND device IS NULL AND "
			"revoked = 0",
			"ti", device, id);
	return rc ? rc : sq_run(s, st, changes, "binding an OAuth grant to its device", err);
}

int sq_oauth_grant_revoke(struct reg_db *be, int64_t id, time_t now, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL, *del = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err,
			"UPDATE oauth_grants SET revoked = ? WHERE id = ? AND "
			"revoked = 0",
			"ii", (int64_t)now, id);
	if (!rc)
		rc = sq_run(s, st, NULL, "revoking an OAuth grant", err);
	if (!rc)
		rc = sq_prepare(s, &del, err, "DELETE FROM oauth_tokens WHERE grant_id = ?", "i",
				id);
	return rc ? rc : sq_run(s, del, NULL, "deleting an OAuth grant's tokens", err);
}

int sq_oauth_device_drop(struct reg_db *be, const char *device, time_t now, int *changes,
			 struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL, *del = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &del, err,
			"DELETE FROM oauth_tokens WHERE grant_id IN (SELECT id FROM oauth_grants "
			"WHERE device = ?)",
			"t", device);
	if (!rc)
		rc = sq_run(s, del, NULL, "deleting a device's OAuth tokens", err);
	if (!rc)
		rc = sq_prepare(s, &st, err,
				"UPDATE oauth_grants SET revoked = ? WHERE device = ? AND "
				"revoked = 0",
				"it", (int64_t)now, device);
	return rc ? rc : sq_run(s, st, changes, "revoking a device's OAuth grants", err);
}

int sq_oauth_token_insert(struct reg_db *be, const struct reg_oauth_token *t, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err,
			"INSERT INTO oauth_tokens (token_hash, grant_id, kind, refreshed, created, "
			"expires, used) VALUES (?, ?, ?, ?, ?, ?, ?)",
			"titiiii", t->token_hash, t->grant,
			t->kind == REG_OAUTH_REFRESH ? "refresh" : "access", (int64_t)t->refreshed,
			(int64_t)t->created, (int64_t)t->expires, (int64_t)t->used);
	return rc ? rc : sq_run(s, st, NULL, "storing an OAuth token", err);
}

int sq_oauth_token_get(struct reg_db *be, const char *token_hash, struct reg_oauth_token *out,
		       struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	char kind[16];
	int rc;

	rc = sq_prepare(s, &st, err, "SELECT " TOKEN_COLS " WHERE token_hash = ?", "t", token_hash);
	if (!rc)
		rc = sq_one(s, st, "reading an OAuth token", err);
	if (rc)
		return rc;
	memset(out, 0, sizeof(*out));
	col_text(st, 0, out->token_hash, sizeof(out->token_hash));
	out->grant = sqlite3_column_int64(st, 1);
	col_text(st, 2, kind, sizeof(kind));
	out->kind = strcmp(kind, "refresh") ? REG_OAUTH_ACCESS : REG_OAUTH_REFRESH;
	out->refreshed = sqlite3_column_int(st, 3);
	out->created = (time_t)sqlite3_column_int64(st, 4);
	out->expires = (time_t)sqlite3_column_int64(st, 5);
	out->used = (time_t)sqlite3_column_int64(st, 6);
	return 0;
}

int sq_oauth_token_use(struct reg_db *be, const char *token_hash, time_t now, int *changes,
		       struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err,
			"UPDATE oauth_tokens SET used = ? WHERE token_hash = ? AND used = 0", "it",
			(int64_t)now, token_hash);
	return rc ? rc : sq_run(s, st, changes, "using an OAuth token", err);
}

int sq_oauth_request_put(struct reg_db *be, const char *id_hash, const char *data, time_t created,
			 time_t expires, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *del = NULL, *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &del, err, "DELETE FROM oauth_requests WHERE id_hash = ?", "t", id_hash);
	if (!rc)
		rc = sq_run(s, del, NULL, "replacing an authorization request", err);
	if (!rc)
		rc = sq_prepare(s, &st, err,
				"INSERT INTO oauth_requests (id_hash, data, created, expires) "
				"VALUES (?, ?, ?, ?)",
				"ttii", id_hash, data, (int64_t)created, (int64_t)expires);
	return rc ? rc : sq_run(s, st, NULL, "storing an authorization request", err);
}

int sq_oauth_request_get(struct reg_db *be, const char *id_hash, char **data, time_t *expires,
			 struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	const unsigned char *t;
	int rc;

	rc = sq_prepare(s, &st, err, "SELECT data, expires FROM oauth_requests WHERE id_hash = ?",
			"t", id_hash);
	if (!rc)
		rc = sq_one(s, st, "reading an authorization request", err);
	if (rc)
		return rc;
	t = sqlite3_column_text(st, 0);
	*data = strdup(t ? (const char *)t : "");
	*expires = (time_t)sqlite3_column_int64(st, 1);
	return *data ? 0 : byod_err_set(err, ENOMEM, "out of memory");
}

int sq_oauth_request_delete(struct reg_db *be, const char *id_hash, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err, "DELETE FROM oauth_requests WHERE id_hash = ?", "t", id_hash);
	return rc ? rc : sq_run(s, st, NULL, "deleting an authorization request", err);
}

int sq_oauth_purge(struct reg_db *be, time_t before, int *deleted, struct byod_err *err)
{
	static const char *const sql[] = {
		"DELETE FROM oauth_requests WHERE expires < ?",
		"DELETE FROM oauth_codes WHERE expires < ?",
		"DELETE FROM oauth_tokens WHERE expires < ?",
		"DELETE FROM oauth_grants WHERE revoked <> 0 AND revoked < ?",
	};
	struct sq *s = sq_of(be);
	int rc = 0, n, total = 0;
	size_t i;

	for (i = 0; !rc && i < sizeof(sql) / sizeof(sql[0]); i++) {
		cleanup_stmt sqlite3_stmt *st = NULL;

		n = 0;
		rc = sq_prepare(s, &st, err, sql[i], "i", (int64_t)before);
		if (!rc)
			rc = sq_run(s, st, &n, "purging OAuth rows", err);
		total += n;
	}
	if (!rc && deleted)
		*deleted = total;
	return rc;
}
