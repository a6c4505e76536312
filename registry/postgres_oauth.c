// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The PostgreSQL backend's OAuth 2.0 rows for geteduroam (the oauth_*
 * tables of its schema version 6), as sqlite_oauth.c: codes and tokens by
 * their SHA-256 hash, grants by id, and the one-time marks as single
 * UPDATEs guarded by "used = 0": under READ COMMITTED the second of two
 * concurrent updates waits for the first and then finds no row to change.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pg_int.h"

#define CODE_COLS                                                                                  \
	"code_hash, client, redirect_hash, challenge, charter, person, created, expires, used, "   \
	"grant_id FROM oauth_codes"
#define GRANT_COLS "id, client, person, charter, device, created, revoked FROM oauth_grants"
#define TOKEN_COLS "token_hash, grant_id, kind, refreshed, created, expires, used FROM oauth_tokens"

int pg_oauth_code_insert(struct reg_db *be, const struct reg_oauth_code *c, struct byod_err *err)
{
	char person[24], created[24], expires[24];
	const char *v[] = {c->code_hash, c->client, c->redirect_hash, c->challenge,
			   c->charter,	 person,    created,	      expires};

	pg_i64(person, c->person);
	pg_i64(created, (int64_t)c->created);
	pg_i64(expires, (int64_t)c->expires);
	return pg_command(PG(be), NULL, err, "storing an authorization code",
			  "INSERT INTO oauth_codes (code_hash, client, redirect_hash, challenge, "
			  "charter, person, created, expires) VALUES ($1, $2, $3, $4, $5, "
			  "$6::bigint, $7::bigint, $8::bigint)",
			  8, v);
}

int pg_oauth_code_get(struct reg_db *be, const char *code_hash, struct reg_oauth_code *out,
		      struct byod_err *err)
{
	cleanup_pgres PGresult *r = NULL;
	const char *p[] = {code_hash};
	int rc;

	rc = pg_one(PG(be), &r, err, "reading an authorization code",
		    "SELECT " CODE_COLS " WHERE code_hash = $1", 1, p);
	if (rc)
		return rc;
	memset(out, 0, sizeof(*out));
	pg_get_text(r, 0, 0, out->code_hash, sizeof(out->code_hash));
	pg_get_text(r, 0, 1, out->client, sizeof(out->client));
	pg_get_text(r, 0, 2, out->redirect_hash, sizeof(out->redirect_hash));
	pg_get_text(r, 0, 3, out->challenge, sizeof(out->challenge));
	pg_get_text(r, 0, 4, out->charter, sizeof(out->charter));
	out->person = pg_get_i64(r, 0, 5);
	out->created = (time_t)pg_get_i64(r, 0, 6);
	out->expires = (time_t)pg_get_i64(r, 0, 7);
	out->used = (time_t)pg_get_i64(r, 0, 8);
	out->grant = pg_get_i64(r, 0, 9);
	return 0;
}

int pg_oauth_code_use(struct reg_db *be, const char *code_hash, time_t now, int64_t grant,
		      int *changes, struct byod_err *err)
{
	char t[24], g[24];
	const char *p[] = {t, grant ? g : NULL, code_hash};

	pg_i64(t, (int64_t)now);
	pg_i64(g, grant);
	return pg_command(PG(be), changes, err, "using an authorization code",
			  "UPDATE oauth_codes SET used = $1::bigint, grant_id = $2::bigint "
			  "WHERE code_hash = $3 AND used = 0",
			  3, p);
}

int pg_oauth_grant_insert(struct reg_db *be, struct reg_oauth_grant *g, struct byod_err *err)
{
	cleanup_pgres PGresult *r = NULL;
	char person[24], created[24], revoked[24];
	const char *v[] = {g->client, person, g->charter, g->device[0] ? g->device : NULL,
			   created,   revoked};
	int rc;

	pg_i64(person, g->person);
	pg_i64(created, (int64_t)g->created);
	pg_i64(revoked, (int64_t)g->revoked);
	rc = pg_one(PG(be), &r, err, "storing an OAuth grant",
		    "INSERT INTO oauth_grants (client, person, charter, device, created, revoked) "
		    "VALUES ($1, $2::bigint, $3, $4, $5::bigint, $6::bigint) RETURNING id",
		    6, v);
	if (!rc)
		g->id = pg_get_i64(r, 0, 0);
	return rc;
}

int pg_oauth_grant_get(struct reg_db *be, int64_t id, struct reg_oauth_grant *out,
		       struct byod_err *err)
{
	cleanup_pgres PGresult *r = NULL;
	char a[24];
	const char *p[] = {a};
	int rc;

	pg_i64(a, id);
	rc = pg_one(PG(be), &r, err, "reading an OAuth grant",
		    "SELECT " GRANT_COLS " WHERE id = $1::bigint", 1, p);
	if (rc)
		return rc;
	memset(out, 0, sizeof(*out));
	out->id = pg_get_i64(r, 0, 0);
	pg_get_text(r, 0, 1, out->client, sizeof(out->client));
	out->person = pg_get_i64(r, 0, 2);
	pg_get_text(r, 0, 3, out->charter, sizeof(out->charter));
	pg_get_text(r, 0, 4, out->device, sizeof(out->device));
	out->created = (time_t)pg_get_i64(r, 0, 5);
	out->revoked = (time_t)pg_get_i64(r, 0, 6);
	return 0;
}

int pg_oauth_grant_set_device(struct reg_db *be, int64_t id, const char *device, int *changes,
			      struct byod_err *err)
{
	char a[24];
	const char *p[] = {device, a};

	pg_i64(a, id);
	return pg_command(PG(be), changes, err, "binding an OAuth grant to its device",
			  "UPDATE oauth_grants SET device = $1 WHERE id = $2::bigint AND "
			  "device IS NULL AND revoked = 0",
			  2, p);
}

int pg_oauth_grant_revoke(struct reg_db *be, int64_t id, time_t now, struct byod_err *err)
{
	char a[24], t[24];
	const char *p[] = {t, a};
	int rc;

	pg_i64(t, (int64_t)now);
	pg_i64(a, id);
	rc = pg_command(PG(be), NULL, err, "revoking an OAuth grant",
			"UPDATE oauth_grants SET revoked = $1::bigint WHERE id = $2::bigint AND "
			"revoked = 0",
			2, p);
	if (!rc)
		rc = pg_command(PG(be), NULL, err, "deleting an OAuth grant's tokens",
				"DELETE FROM oauth_tokens WHERE grant_id = $1::bigint", 1, p + 1);
	return rc;
}

int pg_oauth_device_drop(struct reg_db *be, const char *device, time_t now, int *changes,
			 struct byod_err *err)
{
	char t[24];
	const char *p[] = {t, device};
	int rc;

	pg_i64(t, (int64_t)now);
	rc = pg_command(PG(be), NULL, err, "deleting a device's OAuth tokens",
			"DELETE FROM oauth_tokens WHERE grant_id IN (SELECT id FROM oauth_grants "
			"WHERE device = $1)",
			1, p + 1);
	if (!rc)
		rc = pg_command(
			PG(be), changes, err, "revoking a device's OAuth grants",
			"UPDATE oauth_grants SET revoked = $1::bigint WHERE device = $2 AND "
			"revoked = 0",
			2, p);
	return rc;
}

int pg_oauth_token_insert(struct reg_db *be, const struct reg_oauth_token *t, struct byod_err *err)
{
	char grant[24], refreshed[24], created[24], expires[24], used[24];
	const char *v[] = {
		t->token_hash, grant,	t->kind == REG_OAUTH_REFRESH ? "refresh" : "access",
		refreshed,     created, expires,
		used};

	pg_i64(grant, t->grant);
	pg_i64(refreshed, t->refreshed);
	pg_i64(created, (int64_t)t->created);
	pg_i64(expires, (int64_t)t->expires);
	pg_i64(used, (int64_t)t->used);
	return pg_command(PG(be), NULL, err, "storing an OAuth token",
			  "INSERT INTO oauth_tokens (token_hash, grant_id, kind, refreshed, "
			  "created, expires, used) VALUES ($1, $2::bigint, $3, $4::bigint, "
			  "$5::bigint, $6::bigint, $7::bigint)",
			  7, v);
}

int pg_oauth_token_get(struct reg_db *be, const char *token_hash, struct reg_oauth_token *out,
		       struct byod_err *err)
{
	cleanup_pgres PGresult *r = NULL;
	const char *p[] = {token_hash};
	char kind[16];
	int rc;

	rc = pg_one(PG(be), &r, err, "reading an OAuth token",
		    "SELECT " TOKEN_COLS " WHERE token_hash = $1", 1, p);
	if (rc)
		return rc;
	memset(out, 0, sizeof(*out));
	pg_get_text(r, 0, 0, out->token_hash, sizeof(out->token_hash));
	out->grant = pg_get_i64(r, 0, 1);
	pg_get_text(r, 0, 2, kind, sizeof(kind));
	out->kind = strcmp(kind, "refresh") ? REG_OAUTH_ACCESS : REG_OAUTH_REFRESH;
	out->refreshed = (int)pg_get_i64(r, 0, 3);
	out->created = (time_t)pg_get_i64(r, 0, 4);
	out->expires = (time_t)pg_get_i64(r, 0, 5);
	out->used = (time_t)pg_get_i64(r, 0, 6);
	return 0;
}

int pg_oauth_token_use(struct reg_db *be, const char *token_hash, time_t now, int *changes,
		       struct byod_err *err)
{
	char t[24];
	const char *p[] = {t, token_hash};

	pg_i64(t, (int64_t)now);
	return pg_command(PG(be), changes, err, "using an OAuth token",
			  "UPDATE oauth_tokens SET used = $1::bigint WHERE token_hash = $2 AND "
			  "used = 0",
			  2, p);
}

int pg_oauth_request_put(struct reg_db *be, const char *id_hash, const char *data, time_t created,
			 time_t expires, struct byod_err *err)
{
	char c[24], e[24];
	const char *p[] = {id_hash, data, c, e};
	int rc;

	pg_i64(c, (int64_t)created);
	pg_i64(e, (int64_t)expires);
	rc = pg_command(PG(be), NULL, err, "replacing an authorization request",
			"DELETE FROM oauth_requests WHERE id_hash = $1", 1, p);
	if (!rc)
		rc = pg_command(PG(be), NULL, err, "storing an authorization request",
				"INSERT INTO oauth_requests (id_hash, data, created, expires) "
				"VALUES ($1, $2, $3::bigint, $4::bigint)",
				4, p);
	return rc;
}

int pg_oauth_request_get(struct reg_db *be, const char *id_hash, char **data, time_t *expires,
			 struct byod_err *err)
{
	cleanup_pgres PGresult *r = NULL;
	const char *p[] = {id_hash};
	int rc;

	rc = pg_one(PG(be), &r, err, "reading an authorization request",
		    "SELECT data, expires FROM oauth_requests WHERE id_hash = $1", 1, p);
	if (rc)
		return rc;
	*data = strdup(PQgetvalue(r, 0, 0));
	*expires = (time_t)pg_get_i64(r, 0, 1);
	return *data ? 0 : byod_err_set(err, ENOMEM, "out of memory");
}

int pg_oauth_request_delete(struct reg_db *be, const char *id_hash, struct byod_err *err)
{
	const char *p[] = {id_hash};

	return pg_command(PG(be), NULL, err, "deleting an authorization request",
			  "DELETE FROM oauth_requests WHERE id_hash = $1", 1, p);
}

int pg_oauth_purge(struct reg_db *be, time_t before, int *deleted, struct byod_err *err)
{
	static const char *const sql[] = {
		"DELETE FROM oauth_requests WHERE expires < $1::bigint",
		"DELETE FROM oauth_codes WHERE expires < $1::bigint",
		"DELETE FROM oauth_tokens WHERE expires < $1::bigint",
		"DELETE FROM oauth_grants WHERE revoked <> 0 AND revoked < $1::bigint",
	};
	char t[24];
	const char *p[] = {t};
	int rc = 0, n, total = 0;
	size_t i;

	pg_i64(t, (int64_t)before);
	for (i = 0; !rc && i < sizeof(sql) / sizeof(sql[0]); i++) {
		n = 0;
		rc = pg_command(PG(be), &n, err, "purging OAuth rows", sql[i], 1, p);
		total += n;
	}
	if (!rc && deleted)
		*deleted = total;
	return rc;
}
