// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A registry's snapshot as a file, and that file loaded back: what a backup
 * holds of the registry. SQLite through its online backup API (one read
 * transaction of a connection of our own: a consistent copy while the portal
 * and the RADIUS module go on writing, WAL pages included); PostgreSQL through
 * pg_dump's custom format (one REPEATABLE READ snapshot of the whole
 * database) and pg_restore.
 *
 * registry copy (copy.c) moves one school's durable rows between backends;
 * a backup instead keeps the whole database exactly as it was, every
 * school's rows, the transient tables and the migrations table included, so
 * that a restore is the same registry and its migrations run from its own
 * version.
 *
 * pg_dump and pg_restore are given the connection through libpq's own
 * environment variables (PGHOST, PGPASSWORD, ...), one per option of the
 * URL as PQconninfoParse reads it: a password in the URL never reaches an
 * argv that ps shows.
 */
#define _GNU_SOURCE
#include "registry.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "byod_conf.h"

int reg_snapshot_sqlite(const char *src, const char *dst, struct byod_err *err)
{
	sqlite3 *from = NULL, *to = NULL;
	sqlite3_backup *b;
	int rc, ret = 0;

	rc = sqlite3_open_v2(src, &from, SQLITE_OPEN_READONLY, NULL);
	if (rc != SQLITE_OK) {
		ret = byod_err_set(err, EIO, "cannot open the registry %s: %s", src,
				   from ? sqlite3_errmsg(from) : sqlite3_errstr(rc));
		goto out;
	}
	sqlite3_busy_timeout(from, 10000);
	rc = sqlite3_open_v2(dst, &to, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		ret = byod_err_set(err, EIO, "cannot create %s: %s", dst,
				   to ? sqlite3_errmsg(to) : sqlite3_errstr(rc));
		goto out;
	}
	b = sqlite3_backup_init(to, "main", from, "main");
	if (!b) {
		ret = byod_err_set(err, EIO, "cannot start the backup of %s: %s", src,
				   sqlite3_errmsg(to));
		goto out;
	}
	/* -1: every page in one step, that is within one read transaction of the
	 * source; a writer meanwhile appends to the WAL and never disturbs it */
	do {
		rc = sqlite3_backup_step(b, -1);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			sqlite3_sleep(50);
	} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		ret = byod_err_set(err, EIO, "cannot copy the registry %s: %s", src,
				   sqlite3_errstr(rc));
		goto out;
	}
	/* the copy is one file: no WAL beside it in the archive */
	rc = sqlite3_exec(to, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		ret = byod_err_set(err, EIO, "cannot finish the copy %s: %s", dst,
				   sqlite3_errmsg(to));
out:
	sqlite3_close(to);
	sqlite3_close(from);
	return ret;
}

/* Sets libpq's environment variable for each option of url (in a child). */
static int pg_env(const char *url)
{
	PQconninfoOption *opts, *o;
	char *msg = NULL;

	opts = PQconninfoParse(url, &msg);
	if (!opts) {
		PQfreemem(msg);
		return -1;
	}
	for (o = opts; o->keyword; o++)
		if (o->val && o->val[0] && o->envvar)
			setenv(o->envvar, o->val, 1);
	PQconninfoFree(opts);
	return 0;
}

/* Runs argv (pg_dump or pg_restore) with the connection of url in its
 * environment, its stderr into errbuf. Returns its exit status or -1. */
static int run_pg_tool(char *const argv[], const char *url, char *errbuf, size_t errlen)
{
	int pipefd[2], status;
	size_t n = 0;
	ssize_t r;
	pid_t pid;

	errbuf[0] = '\0';
	if (pipe2(pipefd, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(pipefd[1], 2);
		if (pg_env(url))
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pipefd[1]);
	while ((r = read(pipefd[0], errbuf + n, errlen - 1 - n)) > 0 && n + (size_t)r < errlen - 1)
		n += (size_t)r;
	if (r > 0)
		n += (size_t)r;
	errbuf[n < errlen ? n : errlen - 1] = '\0';
	/* drain what did not fit, so that the tool never blocks on a full pipe */
	{
		char sink[512];

		while (read(pipefd[0], sink, sizeof(sink)) > 0)
			;
	}
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	/* the first line is the sentence a person needs */
	errbuf[strcspn(errbuf, "\n")] = '\0';
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int reg_snapshot_pg_dump(const char *url, const char *dst, struct byod_err *err)
{
	char *argv[] = { "pg_dump", "--format=custom", "--no-owner", "--no-privileges",
			 "--file", (char *)dst, NULL };
	char msg[512];
	int st;

	st = run_pg_tool(argv, url, msg, sizeof(msg));
	if (st == 127)
		return byod_err_set(err, ENOENT, "cannot run pg_dump (is postgresql-client "
						 "installed?)");
	if (st)
		return byod_err_set(err, EIO, "pg_dump failed: %s", msg[0] ? msg : "no message");
	return 0;
}

int reg_snapshot_pg_restore(const char *url, const char *src, int clean, struct byod_err *err)
{
	PQconninfoOption *opts, *o;
	char *argv[10], *pmsg = NULL;
	char msg[512], db[256] = "";
	int st, i = 0;

	opts = PQconninfoParse(url, &pmsg);
	if (!opts) {
		PQfreemem(pmsg);
		return byod_err_set(err, EINVAL, "the registry URL does not parse");
	}
	for (o = opts; o->keyword; o++)
		if (!strcmp(o->keyword, "dbname") && o->val)
			snprintf(db, sizeof(db), "--dbname=%s", o->val);
	PQconninfoFree(opts);
	if (!db[0])
		return byod_err_set(err, EINVAL, "the registry URL names no database");

	argv[i++] = "pg_restore";
	argv[i++] = "--no-owner";
	argv[i++] = "--no-privileges";
	argv[i++] = "--exit-on-error";
	argv[i++] = "--single-transaction";
	if (clean) {
		argv[i++] = "--clean";
		argv[i++] = "--if-exists";
	}
	/* pg_restore connects only when given a database (its name only: the
	 * rest of the URL, a password too, reaches it through the environment) */
	argv[i++] = db;
	argv[i++] = (char *)src;
	argv[i] = NULL;
	st = run_pg_tool(argv, url, msg, sizeof(msg));
	if (st == 127)
		return byod_err_set(err, ENOENT, "cannot run pg_restore (is postgresql-client "
						 "installed?)");
	if (st)
		return byod_err_set(err, EIO, "pg_restore failed: %s", msg[0] ? msg : "no message");
	return 0;
}

int reg_snapshot_pg_empty(const char *url, struct byod_err *err)
{
	PGconn *c = PQconnectdb(url);
	PGresult *r = NULL;
	int rc;

	if (PQstatus(c) != CONNECTION_OK) {
		rc = byod_err_set(err, EIO, "cannot connect to the PostgreSQL registry: %s",
				  PQerrorMessage(c));
		goto out;
	}
	r = PQexec(c, "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN "
		      "('pg_catalog', 'information_schema')");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		rc = byod_err_set(err, EIO, "cannot read the PostgreSQL registry: %s",
				  PQerrorMessage(c));
		goto out;
	}
	rc = strcmp(PQgetvalue(r, 0, 0), "0") ? 1 : 0;
out:
	if (err && rc < 0)
		err->msg[strcspn(err->msg, "\n")] = '\0';
	PQclear(r);
	PQfinish(c);
	return rc;
}
