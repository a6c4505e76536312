// SPDX-License-Identifier: GPL-2.0-or-later
/* Which registry a unit suite runs against (test_backend.h). */
#include "test_backend.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>
#include <libpq-fe.h>

static const char *pg_url(void)
{
	const char *u = getenv("BYOD_TEST_REGISTRY");

	return u && u[0] ? u : NULL;
}

int tb_is_pg(void)
{
	return pg_url() != NULL;
}

static void remove_files(const char *path)
{
	static const char *const suffix[] = { "", "-wal", "-shm", "-journal" };
	char p[600];
	size_t i;

	for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", path, suffix[i]);
		unlink(p);
	}
}

/* The database a path stands for: byod_t_ and its file name, in the
 * letters a bare identifier may hold. */
static void db_name(const char *path, char out[64])
{
	const char *base = strrchr(path, '/');
	size_t i, n;

	base = base ? base + 1 : path;
	n = (size_t)snprintf(out, 64, "byod_t_%s", base);
	for (i = 0; i < n && i < 63; i++)
		if (!isalnum((unsigned char)out[i]))
			out[i] = '_';
		else
			out[i] = (char)tolower((unsigned char)out[i]);
}

static void append_quoted(char *buf, size_t size, const char *kw, const char *v)
{
	size_t n = strlen(buf);

	n += (size_t)snprintf(buf + n, n < size ? size - n : 0, "%s='", kw);
	for (; *v && n + 3 < size; v++) {
		if (*v == '\'' || *v == '\\')
			buf[n++] = '\\';
		buf[n++] = *v;
	}
	if (n + 2 < size) {
		buf[n++] = '\'';
		buf[n++] = ' ';
	}
	buf[n < size ? n : size - 1] = '\0';
}

/* BYOD_TEST_REGISTRY with its database replaced by path's; kept for the
 * life of the process, as reg_open may keep the pointer. */
static const char *conninfo_for(const char *path)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static struct {
		char name[64];
		char *conninfo;
	} cache[64];
	static size_t used;
	PQconninfoOption *opts, *o;
	const char *out = NULL;
	char name[64], buf[2048];
	size_t i;

	db_name(path, name);
	pthread_mutex_lock(&lock);
	for (i = 0; i < used && !out; i++)
		if (!strcmp(cache[i].name, name))
			out = cache[i].conninfo;
	if (out || used == sizeof(cache) / sizeof(cache[0]))
		goto out;
	opts = PQconninfoParse(pg_url(), NULL);
	if (!opts)
		goto out;
	buf[0] = '\0';
	for (o = opts; o->keyword; o++)
		if (o->val && o->val[0] && strcmp(o->keyword, "dbname"))
			append_quoted(buf, sizeof(buf), o->keyword, o->val);
	append_quoted(buf, sizeof(buf), "dbname", name);
	PQconninfoFree(opts);
	snprintf(cache[used].name, sizeof(cache[used].name), "%s", name);
	cache[used].conninfo = strdup(buf);
	out = cache[used].conninfo;
	if (out)
		used++;
out:
	pthread_mutex_unlock(&lock);
	return out;
}

static void quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* Runs sql on the server BYOD_TEST_REGISTRY names (its own database). */
static int admin(const char *sql)
{
	PGconn *c = PQconnectdb(pg_url());
	PGresult *r = NULL;
	int rc = -1;

	PQsetNoticeProcessor(c, quiet, NULL); /* "does not exist, skipping" */
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "test registry: %s", PQerrorMessage(c));
		goto out;
	}
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		fprintf(stderr, "test registry: %s: %s", sql, PQerrorMessage(c));
		goto out;
	}
	rc = 0;
out:
	PQclear(r);
	PQfinish(c);
	return rc;
}

static int pg_drop(const char *path)
{
	char name[64], sql[160];

	db_name(path, name);
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", name);
	return admin(sql);
}

static int pg_fresh(const char *path)
{
	char name[64], sql[160];

	if (pg_drop(path))
		return -1;
	db_name(path, name);
	snprintf(sql, sizeof(sql), "CREATE DATABASE \"%s\"", name);
	return admin(sql);
}

static int64_t pg_int(const char *path, const char *sql)
{
	const char *ci = conninfo_for(path);
	PGconn *c = ci ? PQconnectdb(ci) : NULL;
	PGresult *r = NULL;
	int64_t v = -1;

	if (PQstatus(c) != CONNECTION_OK)
		goto out;
	r = PQexec(c, sql);
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0))
		v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	else
		fprintf(stderr, "test registry: %s: %s", sql, PQerrorMessage(c));
out:
	PQclear(r);
	PQfinish(c);
	return v;
}

int tb_fresh(const char *path)
{
	if (tb_is_pg())
		return pg_fresh(path);
	remove_files(path);
	return 0;
}

void tb_remove(const char *path)
{
	if (tb_is_pg())
		pg_drop(path);
	else
		remove_files(path);
}

int tb_open(const char *path, int busy_ms, const char *actor, struct reg **out,
	    struct byod_err *err)
{
	struct reg_options opt;

	memset(&opt, 0, sizeof(opt));
	opt.busy_timeout_ms = busy_ms;
	opt.actor = actor;
	if (tb_is_pg()) {
		opt.backend = REG_BACKEND_POSTGRES;
		opt.conninfo = conninfo_for(path);
		if (!opt.conninfo)
			return byod_err_set(err, EINVAL, "no PostgreSQL test database for %s",
					    path);
	} else {
		opt.backend = REG_BACKEND_SQLITE;
		opt.path = path;
	}
	return reg_open(&opt, out, err);
}

int64_t tb_int(const char *path, const char *sql)
{
	sqlite3_stmt *st = NULL;
	sqlite3 *db = NULL;
	int64_t v = -1;

	if (tb_is_pg())
		return pg_int(path, sql);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}
