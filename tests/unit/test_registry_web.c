// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the portal's shared state in the registry (migration 4):
 * web sessions, one-time form tokens, one-time downloads, login throttle
 * rows and their purge; every refusal of bad input; the one-time rules
 * (a replay, another session's token, expiry at exactly now); two
 * connections racing for one download; writes inside an outer transaction
 * that is rolled back or aborted; that nothing here is audited or put on the
 * change feed; a database at schema version 3 migrated.
 *
 * It runs on both backends (test_registry_web_pg: registry_fixture.h). On
 * PostgreSQL the writers run side by side, so the races matter there most:
 * 16 threads and 6 processes counting failures on the same keys (given in
 * either order), 6 processes using one enrolment code, form token, download
 * and code session's enrolment at once, 6 nodes creating one portal key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "registry_fixture.h"

/* The fixture's fresh registry (registry_fixture.h: SQLite, or a schema of
 * its own on PostgreSQL) with a school, a pupil and one device. */
struct web {
	char path[1024];
	struct reg *reg;
	struct byod_err err;
	int64_t person;
	char device[REG_ID_MAX];
	struct fx *base;
};

/* Another connection, as another portal thread or process has. */
static int web_open(const char *path, struct reg **reg, struct byod_err *err)
{
	return open_reg(path, 5000, reg, err);
}

static int web_setup(void **state)
{
	struct reg_school s = { .uai = "0751234A", .name = "Collège" };
	struct reg_person p;
	struct reg_device d;
	struct web *f;
	void *base = NULL;

	f = calloc(1, sizeof(*f));
	if (!f || setup(&base)) {
		free(f);
		return -1;
	}
	f->base = base;
	f->reg = f->base->reg;
	snprintf(f->path, sizeof(f->path), "%s", f->base->path);
	memset(&p, 0, sizeof(p));
	snprintf(p.login, sizeof(p.login), "lea");
	snprintf(p.school, sizeof(p.school), "0751234A");
	p.role = BYOD_ROLE_STUDENT;
	memset(&d, 0, sizeof(d));
	snprintf(d.name, sizeof(d.name), "phone");
	if (reg_school_add(f->reg, &s, &f->err) || reg_person_add(f->reg, &p, &f->err))
		goto fail;
	d.owner = p.id;
	d.expires = time(NULL) + 86400;
	if (reg_device_add(f->reg, &d, &f->err))
		goto fail;
	f->person = p.id;
	snprintf(f->device, sizeof(f->device), "%s", d.id);
	*state = f;
	return 0;
fail:
	fprintf(stderr, "setup: %s\n", f->err.msg);
	teardown(&base);
	free(f);
	return -1;
}

static int web_teardown(void **state)
{
	struct web *f = *state;
	void *base = f->base;

	f->base->reg = f->reg; /* a test may have closed and opened it again */
	teardown(&base);
	free(f);
	return 0;
}

/* A distinct valid hash per n. */
static const char *hash(int n)
{
	static char h[8][REG_HASH_HEX];
	static int next;
	char *out = h[next++ % 8];

	snprintf(out, REG_HASH_HEX, "%064x", n);
	return out;
}

static void session(struct web *f, const char *id, int64_t person, time_t created)
{
	struct reg_web_session s;

	memset(&s, 0, sizeof(s));
	snprintf(s.id_hash, sizeof(s.id_hash), "%s", id);
	s.person = person;
	s.created = s.seen = created;
	snprintf(s.client, sizeof(s.client), "192.0.2.7");
	assert_int_equal(reg_web_session_add(f->reg, &s, &f->err), 0);
}

static void test_schema(void **state)
{
	struct web *f = *state;
	int v = 0;

	assert_int_equal(reg_schema_version(f->reg, &v, &f->err), 0);
	/* PostgreSQL's migration 1 holds the whole schema */
	assert_int_equal(v, on_postgres() ? reg_postgres_ops.newest_version
				       : reg_sqlite_ops.newest_version);
	if (!on_postgres())
		assert_true(v >= 4);
}

/* A database at schema version 3 (before the portal's tables) gets them on
 * open, with their indexes, and keeps its rows. */
static void test_migrate_from_3(void **state)
{
	static const char *const indexes =
		"SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name IN "
		"('web_sessions_person', 'web_sessions_seen', 'web_sessions_created', "
		"'web_forms_session', 'web_forms_expires', 'web_downloads_expires')";
	struct web *f = *state;
	struct reg_web_session got;
	struct reg_person p;
	sqlite3_stmt *st;
	sqlite3 *db;
	int v = 0;

	SQLITE_ONLY(); /* SQLite's migrations */

	reg_close(f->reg);
	f->reg = NULL;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(
		sqlite3_exec(db,
			     "DROP TABLE web_forms; DROP TABLE web_downloads; "
			     "DROP TABLE web_throttle; DROP TABLE web_sessions; "
			     "DROP TABLE enrol_codes; DROP TABLE web_keys; "
			     "DROP INDEX devices_owner_created; DROP INDEX devices_live_mac; "
			     "DROP TABLE decision_counts; DROP TABLE heartbeats; "
			     "DROP INDEX devices_created; DROP INDEX certificates_not_after; "
			     "DROP INDEX sessions_nas; DROP INDEX sessions_started; "
			     "DROP TABLE unlocks; DROP INDEX policies_school; "
			     "ALTER TABLE policies DROP COLUMN school; "
			     "ALTER TABLE policies DROP COLUMN follows_default; "
			     "DROP TABLE oauth_tokens; DROP TABLE oauth_codes; DROP TABLE oauth_grants; "
		     "DROP TABLE oauth_requests; "
			     "DROP TABLE admin_tokens; DROP TABLE admin_sessions; DROP TABLE admins; "
			     "DROP TABLE crl_kept; DROP INDEX sessions_ip; DROP INDEX sessions_mac; "
			     "DROP INDEX audit_time; "
			     "DROP INDEX audit_school; ALTER TABLE audit DROP COLUMN school; "
			     "DROP INDEX certificates_replaces; "
			     "ALTER TABLE certificates DROP COLUMN replaces; "
			     "ALTER TABLE certificates DROP COLUMN first_seen; "
			     "DROP INDEX people_leaving; ALTER TABLE people DROP COLUMN leaves_at; "
			     "ALTER TABLE people DROP COLUMN disabled_at; "
			     "DROP TABLE once_keys; DROP INDEX people_source; "
			     "ALTER TABLE people DROP COLUMN source; "
			     "PRAGMA user_version = 3;",
			     NULL, NULL, NULL),
		SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, indexes, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 0);
	sqlite3_finalize(st);
	sqlite3_close(db);

	assert_int_equal(web_open(f->path, &f->reg, &f->err), 0);
	assert_int_equal(reg_schema_version(f->reg, &v, &f->err), 0);
	assert_int_equal(v, reg_sqlite_ops.newest_version);
	assert_int_equal(reg_person_get(f->reg, "lea", &p, &f->err), 0);
	assert_int_equal(p.id, f->person);
	session(f, hash(1), f->person, 1000);
	assert_int_equal(reg_web_session_get(f->reg, hash(1), &got, &f->err), 0);
	assert_int_equal(got.person, f->person);

	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, indexes, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 6);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static void test_sessions(void **state)
{
	struct web *f = *state;
	struct reg_web_session s, got;
	char id[REG_HASH_HEX];
	int n = -1;

	snprintf(id, sizeof(id), "%s", hash(1));
	session(f, id, 0, 1000);
	assert_int_equal(reg_web_session_get(f->reg, id, &got, &f->err), 0);
	assert_string_equal(got.id_hash, id);
	assert_int_equal(got.person, 0);
	assert_int_equal(got.created, 1000);
	assert_int_equal(got.seen, 1000);
	assert_string_equal(got.client, "192.0.2.7");

	/* touch moves seen forward, never back */
	assert_int_equal(reg_web_session_touch(f->reg, id, 1500, &f->err), 0);
	assert_int_equal(reg_web_session_touch(f->reg, id, 1200, &f->err), 0);
	assert_int_equal(reg_web_session_get(f->reg, id, &got, &f->err), 0);
	assert_int_equal(got.seen, 1500);
	assert_int_equal(reg_web_session_touch(f->reg, hash(2), 1500, &f->err), -ENOENT);

	/* duplicates, unknown people, bad input */
	memset(&s, 0, sizeof(s));
	snprintf(s.id_hash, sizeof(s.id_hash), "%s", id);
	assert_int_equal(reg_web_session_add(f->reg, &s, &f->err), -EEXIST);
	snprintf(s.id_hash, sizeof(s.id_hash), "%s", hash(3));
	s.person = 9999;
	assert_int_equal(reg_web_session_add(f->reg, &s, &f->err), -ENOENT);
	s.person = -1;
	assert_int_equal(reg_web_session_add(f->reg, &s, &f->err), -EINVAL);
	s.person = 0;
	s.created = -1;
	assert_int_equal(reg_web_session_add(f->reg, &s, &f->err), -EINVAL);
	s.created = 0;
	snprintf(s.client, sizeof(s.client), "a\nb");
	assert_int_equal(reg_web_session_add(f->reg, &s, &f->err), -EINVAL);
	s.client[0] = '\0';
	snprintf(s.id_hash, sizeof(s.id_hash), "%064X", 0xabcu); /* upper case */
	assert_int_equal(reg_web_session_add(f->reg, &s, &f->err), -EINVAL);
	snprintf(s.id_hash, sizeof(s.id_hash), "abc");
	assert_int_equal(reg_web_session_add(f->reg, &s, &f->err), -EINVAL);
	assert_int_equal(reg_web_session_get(f->reg, "zz", &got, &f->err), -EINVAL);
	assert_int_equal(reg_web_session_get(f->reg, NULL, &got, &f->err), -EINVAL);

	/* a logged-in session, deleted with the others of its person */
	session(f, hash(4), f->person, 1000);
	session(f, hash(5), f->person, 1000);
	assert_int_equal(reg_web_form_add(f->reg, hash(5), hash(6), 9000, &f->err), 0);
	assert_int_equal(reg_web_form_add(f->reg, id, hash(7), 9000, &f->err), 0);
	assert_int_equal(reg_web_session_delete_person(f->reg, f->person, &n, &f->err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(reg_web_session_get(f->reg, hash(4), &got, &f->err), -ENOENT);
	assert_int_equal(reg_web_session_get(f->reg, id, &got, &f->err), 0);
	/* their form tokens went with them: a session of the same id does not
	 * find its old token; the anonymous session's token is untouched */
	session(f, hash(5), 0, 1000);
	assert_int_equal(reg_web_form_use(f->reg, hash(5), hash(6), 1000, &f->err), -ENOENT);
	assert_int_equal(reg_web_form_use(f->reg, id, hash(7), 1000, &f->err), 0);
	assert_int_equal(reg_web_session_delete(f->reg, hash(5), &f->err), 0);
	/* none left */
	n = -1;
	assert_int_equal(reg_web_session_delete_person(f->reg, f->person, &n, &f->err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(reg_web_session_delete_person(f->reg, f->person, NULL, &f->err), 0);
	assert_int_equal(reg_web_session_delete_person(f->reg, 0, &n, &f->err), -EINVAL);
	assert_int_equal(reg_web_session_delete_person(f->reg, -3, &n, &f->err), -EINVAL);

	assert_int_equal(reg_web_session_delete(f->reg, id, &f->err), 0);
	assert_int_equal(reg_web_session_delete(f->reg, id, &f->err), -ENOENT);
	assert_int_equal(reg_web_session_get(f->reg, id, &got, &f->err), -ENOENT);
}

static void test_forms(void **state)
{
	struct web *f = *state;
	char a[REG_HASH_HEX], b[REG_HASH_HEX], t1[REG_HASH_HEX], t2[REG_HASH_HEX];
	char t3[REG_HASH_HEX];

	snprintf(a, sizeof(a), "%s", hash(10));
	snprintf(b, sizeof(b), "%s", hash(11));
	snprintf(t1, sizeof(t1), "%s", hash(20));
	snprintf(t2, sizeof(t2), "%s", hash(21));
	snprintf(t3, sizeof(t3), "%s", hash(22));
	session(f, a, 0, 1000);
	session(f, b, 0, 1000);
	assert_int_equal(reg_web_form_add(f->reg, a, t1, 2000, &f->err), 0);
	assert_int_equal(reg_web_form_add(f->reg, a, t1, 2000, &f->err), -EEXIST);
	assert_int_equal(reg_web_form_add(f->reg, hash(12), t2, 2000, &f->err), -ENOENT);
	assert_int_equal(reg_web_form_add(f->reg, a, "nothex", 2000, &f->err), -EINVAL);
	assert_int_equal(reg_web_form_add(f->reg, a, t2, -5, &f->err), -EINVAL);

	/* another session's token is refused, and stays usable by its own */
	assert_int_equal(reg_web_form_use(f->reg, b, t1, 1500, &f->err), -ENOENT);
	assert_int_equal(reg_web_form_use(f->reg, a, t1, 1500, &f->err), 0);
	/* a replay */
	assert_int_equal(reg_web_form_use(f->reg, a, t1, 1500, &f->err), -ENOENT);

	/* expiry: valid while expires > now */
	assert_int_equal(reg_web_form_add(f->reg, a, t2, 2000, &f->err), 0);
	assert_int_equal(reg_web_form_use(f->reg, a, t2, 2000, &f->err), -ENOENT);
	/* ... and the expired one is gone, even for a "now" in the past */
	assert_int_equal(reg_web_form_use(f->reg, a, t2, 1000, &f->err), -ENOENT);
	assert_int_equal(reg_web_form_add(f->reg, a, t3, 2000, &f->err), 0);
	assert_int_equal(reg_web_form_use(f->reg, a, t3, 1999, &f->err), 0);

	/* deleting a session takes its tokens */
	assert_int_equal(reg_web_form_add(f->reg, b, t2, 2000, &f->err), 0);
	assert_int_equal(reg_web_session_delete(f->reg, b, &f->err), 0);
	session(f, b, 0, 1000);
	assert_int_equal(reg_web_form_use(f->reg, b, t2, 1500, &f->err), -ENOENT);
}

static void download(struct web *f, const char *token, time_t expires, int expect)
{
	static const char data[] = "PKCS12\0bytes";
	struct reg_download d;

	memset(&d, 0, sizeof(d));
	snprintf(d.token_hash, sizeof(d.token_hash), "%s", token);
	snprintf(d.device, sizeof(d.device), "%s", f->device);
	snprintf(d.filename, sizeof(d.filename), "wifi-1234.p12");
	snprintf(d.type, sizeof(d.type), "application/x-pkcs12");
	d.data = (void *)data;
	d.len = sizeof(data);
	d.created = 1000;
	d.expires = expires;
	assert_int_equal(reg_download_add(f->reg, &d, &f->err), expect);
}

static void test_downloads(void **state)
{
	struct web *f = *state;
	struct reg_download d, bad;
	char t[REG_HASH_HEX];

	snprintf(t, sizeof(t), "%s", hash(30));
	download(f, t, 1600, 0);
	download(f, t, 1600, -EEXIST);
	download(f, hash(34), 1600, 0);
	assert_int_equal(reg_download_take(f->reg, hash(31), 1000, &d, &f->err), -ENOENT);
	/* a peek (HEAD) sees it, twice, and uses nothing; not once expired */
	assert_int_equal(reg_download_peek(f->reg, hash(31), 1000, &d, &f->err), -ENOENT);
	assert_int_equal(reg_download_peek(f->reg, t, 1000, &d, &f->err), 0);
	assert_int_equal(d.len, 13);
	assert_string_equal(d.type, "application/x-pkcs12");
	reg_download_clear(&d);
	assert_int_equal(reg_download_peek(f->reg, t, 1000, &d, &f->err), 0);
	reg_download_clear(&d);
	assert_int_equal(reg_download_peek(f->reg, t, 1600, &d, &f->err), -ENOENT);
	assert_null(d.data);
	assert_int_equal(reg_download_take(f->reg, t, 1000, &d, &f->err), 0);
	assert_int_equal(d.len, 13);
	assert_memory_equal(d.data, "PKCS12\0bytes", 13);
	assert_string_equal(d.filename, "wifi-1234.p12");
	assert_string_equal(d.type, "application/x-pkcs12");
	assert_string_equal(d.device, f->device);
	reg_download_clear(&d);
	assert_null(d.data);
	/* once */
	assert_int_equal(reg_download_take(f->reg, t, 1000, &d, &f->err), -ENOENT);
	assert_int_equal(reg_download_peek(f->reg, t, 1000, &d, &f->err), -ENOENT);
	/* another token's download is still there, and is its own */
	assert_int_equal(reg_download_take(f->reg, hash(34), 1000, &d, &f->err), 0);
	assert_string_equal(d.token_hash, hash(34));
	reg_download_clear(&d);
	assert_int_equal(reg_download_take(f->reg, hash(34), 1000, &d, &f->err), -ENOENT);

	/* 1 MiB is the most; it comes back whole */
	{
		struct reg_download big;
		unsigned char *buf = malloc(1024 * 1024);
		size_t i;

		assert_non_null(buf);
		for (i = 0; i < 1024 * 1024; i++)
			buf[i] = (unsigned char)(i * 7);
		memset(&big, 0, sizeof(big));
		snprintf(big.token_hash, sizeof(big.token_hash), "%s", hash(35));
		snprintf(big.device, sizeof(big.device), "%s", f->device);
		snprintf(big.filename, sizeof(big.filename), "big.p12");
		snprintf(big.type, sizeof(big.type), "application/x-pkcs12");
		big.data = buf;
		big.len = 1024 * 1024 + 1;
		big.expires = 9000;
		assert_int_equal(reg_download_add(f->reg, &big, &f->err), -EINVAL);
		big.len = 1024 * 1024;
		assert_int_equal(reg_download_add(f->reg, &big, &f->err), 0);
		assert_int_equal(reg_download_take(f->reg, hash(35), 1000, &d, &f->err), 0);
		assert_int_equal(d.len, 1024 * 1024);
		assert_memory_equal(d.data, buf, 1024 * 1024);
		reg_download_clear(&d);
		free(buf);
	}

	/* expired at exactly its time, and then gone */
	snprintf(t, sizeof(t), "%s", hash(32));
	download(f, t, 1600, 0);
	assert_int_equal(reg_download_take(f->reg, t, 1600, &d, &f->err), -ENOENT);
	assert_int_equal(reg_download_take(f->reg, t, 1000, &d, &f->err), -ENOENT);

	/* bad input */
	memset(&bad, 0, sizeof(bad));
	snprintf(bad.token_hash, sizeof(bad.token_hash), "%s", hash(33));
	snprintf(bad.device, sizeof(bad.device), "%s", f->device);
	snprintf(bad.filename, sizeof(bad.filename), "../x.p12");
	snprintf(bad.type, sizeof(bad.type), "application/x-pkcs12");
	bad.data = "x";
	bad.len = 1;
	assert_int_equal(reg_download_add(f->reg, &bad, &f->err), -EINVAL);
	snprintf(bad.filename, sizeof(bad.filename), "a\"b");
	assert_int_equal(reg_download_add(f->reg, &bad, &f->err), -EINVAL);
	snprintf(bad.filename, sizeof(bad.filename), "x.p12");
	bad.len = 0;
	assert_int_equal(reg_download_add(f->reg, &bad, &f->err), -EINVAL);
	bad.len = 2 * 1024 * 1024;
	assert_int_equal(reg_download_add(f->reg, &bad, &f->err), -EINVAL);
	bad.len = 1;
	snprintf(bad.device, sizeof(bad.device), "not-a-device");
	assert_int_equal(reg_download_add(f->reg, &bad, &f->err), -EINVAL);
	snprintf(bad.device, sizeof(bad.device), "00000000-0000-4000-8000-000000000000");
	assert_int_equal(reg_download_add(f->reg, &bad, &f->err), -ENOENT);
	snprintf(bad.device, sizeof(bad.device), "%s", f->device);
	bad.type[0] = '\0';
	assert_int_equal(reg_download_add(f->reg, &bad, &f->err), -EINVAL);
	reg_download_clear(NULL);
}

/* Two connections (as two portal processes) take one download at once. */
struct racer {
	const char *path;
	const char *token;
	pthread_barrier_t *go;
	int rc;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	struct reg_download d;
	struct byod_err err;
	struct reg *reg;

	if (web_open(r->path, &reg, &err)) {
		r->rc = -EIO;
		return NULL;
	}
	pthread_barrier_wait(r->go);
	r->rc = reg_download_take(reg, r->token, 1000, &d, &err);
	if (!r->rc)
		reg_download_clear(&d);
	reg_close(reg);
	return NULL;
}

static void test_download_race(void **state)
{
	struct web *f = *state;
	pthread_barrier_t go;
	struct racer r[4];
	pthread_t th[4];
	int round, i, won, lost;

	for (round = 0; round < 20; round++) {
		char t[REG_HASH_HEX];

		snprintf(t, sizeof(t), "%s", hash(100 + round));
		download(f, t, 1600, 0);
		pthread_barrier_init(&go, NULL, 4);
		for (i = 0; i < 4; i++) {
			r[i] = (struct racer){ .path = f->path, .token = t, .go = &go };
			assert_int_equal(pthread_create(&th[i], NULL, race, &r[i]), 0);
		}
		won = lost = 0;
		for (i = 0; i < 4; i++) {
			pthread_join(th[i], NULL);
			if (r[i].rc == 0)
				won++;
			else if (r[i].rc == -ENOENT || r[i].rc == -EBUSY)
				lost++;
			else
				fail_msg("round %d: taker %d: %d", round, i, r[i].rc);
		}
		pthread_barrier_destroy(&go);
		if (won != 1)
			fail_msg("round %d: %d takers got the download", round, won);
		assert_int_equal(won + lost, 4);
	}
}

static void test_throttle(void **state)
{
	struct web *f = *state;
	struct reg_throttle t, got;

	memset(&t, 0, sizeof(t));
	assert_int_equal(reg_throttle_get(f->reg, "login:lea", &got, &f->err), -ENOENT);
	snprintf(t.key, sizeof(t.key), "login:lea");
	t.failures = 3;
	t.last_failure = 1000;
	assert_int_equal(reg_throttle_put(f->reg, &t, &f->err), 0);
	t.failures = 4;
	t.locked_until = 1900;
	assert_int_equal(reg_throttle_put(f->reg, &t, &f->err), 0); /* replaces */
	assert_int_equal(reg_throttle_get(f->reg, "login:lea", &got, &f->err), 0);
	assert_int_equal(got.failures, 4);
	assert_int_equal(got.last_failure, 1000);
	assert_int_equal(got.locked_until, 1900);
	assert_int_equal(reg_throttle_delete(f->reg, "login:lea", &f->err), 0);
	assert_int_equal(reg_throttle_delete(f->reg, "login:lea", &f->err), 0);
	assert_int_equal(reg_throttle_get(f->reg, "login:lea", &got, &f->err), -ENOENT);
	t.failures = -1;
	assert_int_equal(reg_throttle_put(f->reg, &t, &f->err), -EINVAL);
	t.failures = 1;
	t.key[0] = '\0';
	assert_int_equal(reg_throttle_put(f->reg, &t, &f->err), -EINVAL);
	snprintf(t.key, sizeof(t.key), "addr:\x01");
	assert_int_equal(reg_throttle_put(f->reg, &t, &f->err), -EINVAL);
	assert_int_equal(reg_throttle_get(f->reg, "", &got, &f->err), -EINVAL);
}

/* A reservation as the portal makes one: allowed while every key has fewer
 * than limit failures, and then counted on every key in advance. */
struct gate {
	int limit;
	int allowed;
	int calls;
	int slow; /* microseconds spent deciding, to widen any window */
};

static int reserve(struct reg_throttle *rows, size_t n, void *arg)
{
	struct gate *g = arg;
	size_t i;

	g->calls++;
	g->allowed = 0;
	if (g->slow)
		usleep(g->slow);
	for (i = 0; i < n; i++)
		if (rows[i].failures >= g->limit)
			return 0;
	for (i = 0; i < n; i++) {
		rows[i].failures++;
		rows[i].last_failure = 1000;
	}
	g->allowed = 1;
	return 0;
}

static int refund(struct reg_throttle *rows, size_t n, void *arg)
{
	size_t i;

	(void)arg;
	for (i = 0; i < n; i++)
		if (rows[i].failures > 0)
			rows[i].failures--;
	return 0;
}

static int refuse(struct reg_throttle *rows, size_t n, void *arg)
{
	(void)arg;
	rows[0].failures = 99; /* never written: the decision rolls back */
	(void)n;
	return -EPERM;
}

static int corrupt(struct reg_throttle *rows, size_t n, void *arg)
{
	(void)arg;
	(void)n;
	rows[0].failures = 7;
	rows[n - 1].failures = -1;
	snprintf(rows[0].key, sizeof(rows[0].key), "addr:elsewhere");
	return 0;
}

static void keys(struct reg_throttle *rows, size_t n, ...)
{
	va_list ap;
	size_t i;

	va_start(ap, n);
	for (i = 0; i < n; i++) {
		memset(&rows[i], 0, sizeof(rows[i]));
		snprintf(rows[i].key, sizeof(rows[i].key), "%s", va_arg(ap, const char *));
	}
	va_end(ap);
}

/* Every row of web_throttle, as another connection sees it. */
static int rows_in(struct web *f)
{
	raw_db *db = raw_open(f->path);
	int n = (int)raw_int(db, "SELECT COUNT(*) FROM web_throttle");

	raw_close(db);
	return n;
}

/* reg_throttle_update: absent keys read as zero, changed rows written, rows
 * left empty deleted, unchanged rows left alone, a refusal rolls back, and
 * every bad argument refused before anything is written. */
static void test_throttle_update(void **state)
{
	struct web *f = *state;
	struct gate g = { .limit = 2 };
	struct reg_throttle r[REG_THROTTLE_KEYS_MAX + 1], got;

	keys(r, 2, "login:lea", "addr:192.0.2.7");
	assert_int_equal(reg_throttle_update(f->reg, r, 2, reserve, &g, &f->err), 0);
	assert_int_equal(g.allowed, 1);
	assert_int_equal(r[0].failures, 1);
	assert_string_equal(r[0].key, "login:lea");
	assert_int_equal(reg_throttle_get(f->reg, "addr:192.0.2.7", &got, &f->err), 0);
	assert_int_equal(got.failures, 1);
	assert_int_equal(got.last_failure, 1000);
	/* the rows come back as stored, whatever the caller left in them */
	r[0].failures = 40;
	assert_int_equal(reg_throttle_update(f->reg, r, 2, reserve, &g, &f->err), 0);
	assert_int_equal(g.allowed, 1);
	assert_int_equal(r[0].failures, 2);
	assert_int_equal(reg_throttle_update(f->reg, r, 2, reserve, &g, &f->err), 0);
	assert_int_equal(g.allowed, 0); /* at the limit: refused, nothing changed */
	assert_int_equal(r[1].failures, 2);
	/* a key of its own does not change the others */
	keys(r, 1, "addr:192.0.2.8");
	assert_int_equal(reg_throttle_update(f->reg, r, 1, reserve, &g, &f->err), 0);
	assert_int_equal(g.allowed, 1);
	assert_int_equal(rows_in(f), 3);

	/* refunds down to zero delete the rows */
	keys(r, 2, "login:lea", "addr:192.0.2.7");
	assert_int_equal(reg_throttle_update(f->reg, r, 2, refund, NULL, &f->err), 0);
	assert_int_equal(reg_throttle_update(f->reg, r, 2, refund, NULL, &f->err), 0);
	assert_int_equal(r[0].failures, 0);
	assert_int_equal(reg_throttle_get(f->reg, "login:lea", &got, &f->err), -ENOENT);
	assert_int_equal(reg_throttle_get(f->reg, "addr:192.0.2.7", &got, &f->err), -ENOENT);
	assert_int_equal(rows_in(f), 1);
	/* a key without state that stays so leaves no row behind (PostgreSQL
	 * locks such a key through a row of its own) */
	keys(r, 2, "login:nobody", "addr:192.0.2.99");
	assert_int_equal(reg_throttle_update(f->reg, r, 2, refund, NULL, &f->err), 0);
	assert_int_equal(r[0].failures, 0);
	assert_int_equal(reg_throttle_get(f->reg, "login:nobody", &got, &f->err), -ENOENT);
	assert_int_equal(rows_in(f), 1);
	/* ... but a lock keeps a row without failures */
	got = (struct reg_throttle){ .key = "login:lea", .failures = 1, .locked_until = 5000 };
	assert_int_equal(reg_throttle_put(f->reg, &got, &f->err), 0);
	keys(r, 1, "login:lea");
	assert_int_equal(reg_throttle_update(f->reg, r, 1, refund, NULL, &f->err), 0);
	assert_int_equal(reg_throttle_get(f->reg, "login:lea", &got, &f->err), 0);
	assert_int_equal(got.failures, 0);
	assert_int_equal(got.locked_until, 5000);

	/* a refusal from decide rolls back and is returned as is */
	keys(r, 2, "addr:192.0.2.8", "login:hugo");
	assert_int_equal(reg_throttle_update(f->reg, r, 2, refuse, NULL, &f->err), -EPERM);
	assert_int_equal(reg_throttle_get(f->reg, "addr:192.0.2.8", &got, &f->err), 0);
	assert_int_equal(got.failures, 1);
	/* a decision that stores nonsense is refused whole */
	keys(r, 2, "addr:192.0.2.8", "login:hugo");
	assert_int_equal(reg_throttle_update(f->reg, r, 2, corrupt, NULL, &f->err), -EINVAL);
	assert_int_equal(reg_throttle_get(f->reg, "addr:192.0.2.8", &got, &f->err), 0);
	assert_int_equal(got.failures, 1);
	assert_int_equal(reg_throttle_get(f->reg, "login:hugo", &got, &f->err), -ENOENT);
	assert_int_equal(reg_throttle_get(f->reg, "addr:elsewhere", &got, &f->err), -ENOENT);

	/* inside an outer transaction rolled back, nothing stays */
	assert_int_equal(reg_begin(f->reg, &f->err), 0);
	keys(r, 1, "login:hugo");
	assert_int_equal(reg_throttle_update(f->reg, r, 1, reserve, &g, &f->err), 0);
	reg_rollback(f->reg);
	assert_int_equal(reg_throttle_get(f->reg, "login:hugo", &got, &f->err), -ENOENT);

	/* bad arguments */
	g.calls = 0;
	keys(r, 2, "login:lea", "login:lea");
	assert_int_equal(reg_throttle_update(f->reg, r, 2, reserve, &g, &f->err), -EINVAL);
	keys(r, 2, "login:lea", "");
	assert_int_equal(reg_throttle_update(f->reg, r, 2, reserve, &g, &f->err), -EINVAL);
	keys(r, 1, "addr:\n");
	assert_int_equal(reg_throttle_update(f->reg, r, 1, reserve, &g, &f->err), -EINVAL);
	memset(r[0].key, 'k', sizeof(r[0].key)); /* no NUL */
	assert_int_equal(reg_throttle_update(f->reg, r, 1, reserve, &g, &f->err), -EINVAL);
	keys(r, 1, "login:lea");
	assert_int_equal(reg_throttle_update(f->reg, r, 0, reserve, &g, &f->err), -EINVAL);
	assert_int_equal(reg_throttle_update(f->reg, r, REG_THROTTLE_KEYS_MAX + 1, reserve, &g,
					     &f->err),
			 -EINVAL);
	assert_int_equal(reg_throttle_update(f->reg, NULL, 1, reserve, &g, &f->err), -EINVAL);
	assert_int_equal(reg_throttle_update(f->reg, r, 1, NULL, &g, &f->err), -EINVAL);
	assert_int_equal(g.calls, 0);
}

static void test_throttle_delete_prefix(void **state)
{
	static const char *const all[] = { "pair:lea 192.0.2.7", "pair:lea 192.0.2.8",
					   "pair:lea.martin 192.0.2.7", "pair:le% 192.0.2.7",
					   "login:lea" };
	struct web *f = *state;
	struct reg_throttle t, got;
	size_t i;
	int n = -1;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		memset(&t, 0, sizeof(t));
		snprintf(t.key, sizeof(t.key), "%s", all[i]);
		t.failures = 10;
		t.last_failure = 1000;
		t.locked_until = 1900;
		assert_int_equal(reg_throttle_put(f->reg, &t, &f->err), 0);
	}
	assert_int_equal(reg_throttle_delete_prefix(f->reg, "pair:lea ", &n, &f->err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(reg_throttle_get(f->reg, "pair:lea 192.0.2.7", &got, &f->err), -ENOENT);
	assert_int_equal(reg_throttle_get(f->reg, "pair:lea.martin 192.0.2.7", &got, &f->err), 0);
	/* '%' and '_' are themselves, not patterns */
	assert_int_equal(reg_throttle_delete_prefix(f->reg, "pair:l_", &n, &f->err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(reg_throttle_delete_prefix(f->reg, "pair:le%", &n, &f->err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(reg_throttle_get(f->reg, "pair:lea.martin 192.0.2.7", &got, &f->err), 0);
	assert_int_equal(reg_throttle_delete_prefix(f->reg, "", &n, &f->err), -EINVAL);
	assert_int_equal(reg_throttle_delete_prefix(f->reg, NULL, &n, &f->err), -EINVAL);
	assert_int_equal(reg_throttle_delete_prefix(f->reg, "x\x7f", &n, &f->err), -EINVAL);
	assert_int_equal(rows_in(f), 2);
}

/* Many connections (as many portal threads or processes) reserving
 * attempts on the same two keys at once: exactly limit of them get one. */
struct reserver {
	const char *path;
	pthread_barrier_t *go;
	int tries;
	int reverse;
	int allowed;
	int rc;
};

/* reverse: the same keys in the other order, as a caller might give them;
 * the registry locks them in one order whatever it is given (else two
 * PostgreSQL writers would deadlock). */
static int reserve_loop(const char *path, int tries, int reverse, int *allowed)
{
	struct gate g = { .limit = 5, .slow = 300 };
	struct reg_throttle r[2];
	struct byod_err err;
	struct reg *reg;
	int i, rc;

	*allowed = 0;
	rc = web_open(path, &reg, &err);
	for (i = 0; !rc && i < tries; i++) {
		if (reverse)
			keys(r, 2, "addr:192.0.2.7", "login:lea");
		else
			keys(r, 2, "login:lea", "addr:192.0.2.7");
		rc = reg_throttle_update(reg, r, 2, reserve, &g, &err);
		*allowed += !rc && g.allowed;
	}
	reg_close(reg);
	return rc;
}

static void *reserver(void *arg)
{
	struct reserver *r = arg;

	pthread_barrier_wait(r->go);
	r->rc = reserve_loop(r->path, r->tries, r->reverse, &r->allowed);
	return NULL;
}

static void test_throttle_update_threads(void **state)
{
	enum { THREADS = 16 };
	struct web *f = *state;
	struct reserver r[THREADS];
	pthread_t th[THREADS];
	pthread_barrier_t go;
	struct reg_throttle got;
	int i, allowed = 0;

	pthread_barrier_init(&go, NULL, THREADS);
	for (i = 0; i < THREADS; i++) {
		r[i] = (struct reserver){ .path = f->path, .go = &go, .tries = 4, .reverse = i & 1 };
		assert_int_equal(pthread_create(&th[i], NULL, reserver, &r[i]), 0);
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		if (r[i].rc)
			fail_msg("thread %d: %d", i, r[i].rc);
		allowed += r[i].allowed;
	}
	pthread_barrier_destroy(&go);
	assert_int_equal(allowed, 5);
	assert_int_equal(reg_throttle_get(f->reg, "login:lea", &got, &f->err), 0);
	assert_int_equal(got.failures, 5);
	assert_int_equal(reg_throttle_get(f->reg, "addr:192.0.2.7", &got, &f->err), 0);
	assert_int_equal(got.failures, 5);
}

/* The same across processes sharing the file, as several portals do. */
static void test_throttle_update_processes(void **state)
{
	enum { PROCS = 6 };
	struct web *f = *state;
	struct reg_throttle got;
	pid_t pid[PROCS];
	int i, st, allowed = 0;

	for (i = 0; i < PROCS; i++) {
		pid[i] = fork();
		assert_true(pid[i] >= 0);
		if (pid[i] == 0) {
			int n = 0;

			_exit(reserve_loop(f->path, 5, i & 1, &n) ? 100 : n);
		}
	}
	for (i = 0; i < PROCS; i++) {
		assert_int_equal(waitpid(pid[i], &st, 0), pid[i]);
		assert_true(WIFEXITED(st));
		assert_true(WEXITSTATUS(st) <= 5);
		allowed += WEXITSTATUS(st);
	}
	assert_int_equal(allowed, 5);
	assert_int_equal(reg_throttle_get(f->reg, "login:lea", &got, &f->err), 0);
	assert_int_equal(got.failures, 5);
}

/*
 * Several portal processes, each with its own connection, presenting one
 * enrolment code, one form token and one download, and taking a code
 * session's one enrolment, at the same instant:
 * for each, exactly one gets it and every other is told it is gone (on
 * PostgreSQL the writers run side by side, so this proves that each
 * use-once is decided by one statement).
 */
enum { USE_CODE = 1, USE_FORM = 2, USE_DOWNLOAD = 4, USE_ENROL = 8, USE_FAILED = 64 };

static int lost(int rc)
{
	return rc == -ENOENT || rc == -EBUSY;
}

static int use_once(const char *path, int start, const char *code, const char *session,
		    const char *token, const char *dl, const char *code_session, time_t now)
{
	struct reg_download d;
	struct byod_err err;
	struct reg *reg;
	int64_t who = 0;
	int rc, won = 0;
	char c;

	if (web_open(path, &reg, &err))
		return USE_FAILED;
	if (read(start, &c, 1) != 0) /* released when the parent closes its end */
		won |= USE_FAILED;
	rc = reg_enrol_code_use(reg, code, now, &who, &err);
	won |= !rc ? USE_CODE : lost(rc) ? 0 : USE_FAILED;
	rc = reg_web_form_use(reg, session, token, now, &err);
	won |= !rc ? USE_FORM : lost(rc) ? 0 : USE_FAILED;
	rc = reg_download_take(reg, dl, now, &d, &err);
	won |= !rc ? USE_DOWNLOAD : lost(rc) ? 0 : USE_FAILED;
	if (!rc)
		reg_download_clear(&d);
	rc = reg_web_session_mark_enrolled(reg, code_session, 1, &err);
	won |= !rc ? USE_ENROL : rc == -EALREADY || rc == -EBUSY ? 0 : USE_FAILED;
	if (won & USE_FAILED)
		fprintf(stderr, "use_once: %s\n", err.msg);
	reg_close(reg);
	return won;
}

static void test_use_once_processes(void **state)
{
	enum { PROCS = 6, ROUNDS = 5 };
	struct web *f = *state;
	time_t now = time(NULL);
	int round, i, st, start[2];
	pid_t pid[PROCS];

	for (round = 0; round < ROUNDS; round++) {
		char code[REG_HASH_HEX], sess[REG_HASH_HEX], token[REG_HASH_HEX], dl[REG_HASH_HEX];
		char csess[REG_HASH_HEX];
		struct reg_web_session cs;
		int codes = 0, forms = 0, downloads = 0, enrols = 0;

		snprintf(code, sizeof(code), "%s", hash(300 + round));
		snprintf(sess, sizeof(sess), "%s", hash(400 + round));
		snprintf(token, sizeof(token), "%s", hash(500 + round));
		snprintf(dl, sizeof(dl), "%s", hash(600 + round));
		assert_int_equal(reg_enrol_code_add(f->reg, code, f->person, now + 3600, &f->err), 0);
		session(f, sess, f->person, now);
		assert_int_equal(reg_web_form_add(f->reg, sess, token, now + 3600, &f->err), 0);
		download(f, dl, now + 3600, 0);
		snprintf(csess, sizeof(csess), "%s", hash(700 + round));
		memset(&cs, 0, sizeof(cs));
		snprintf(cs.id_hash, sizeof(cs.id_hash), "%s", csess);
		cs.person = f->person;
		cs.created = cs.seen = now;
		cs.kind = REG_WEB_CODE;
		assert_int_equal(reg_web_session_add(f->reg, &cs, &f->err), 0);
		assert_int_equal(pipe(start), 0);
		for (i = 0; i < PROCS; i++) {
			pid[i] = fork();
			assert_true(pid[i] >= 0);
			if (pid[i] == 0) {
				close(start[1]);
				_exit(use_once(f->path, start[0], code, sess, token, dl, csess, now));
			}
		}
		close(start[0]);
		usleep(200 * 1000); /* every child connected and waiting */
		close(start[1]);
		for (i = 0; i < PROCS; i++) {
			assert_int_equal(waitpid(pid[i], &st, 0), pid[i]);
			assert_true(WIFEXITED(st));
			if (WEXITSTATUS(st) & USE_FAILED)
				fail_msg("round %d: process %d failed", round, i);
			codes += !!(WEXITSTATUS(st) & USE_CODE);
			forms += !!(WEXITSTATUS(st) & USE_FORM);
			downloads += !!(WEXITSTATUS(st) & USE_DOWNLOAD);
			enrols += !!(WEXITSTATUS(st) & USE_ENROL);
		}
		if (codes != 1 || forms != 1 || downloads != 1 || enrols != 1)
			fail_msg("round %d: %d code uses, %d form uses, %d downloads, %d enrolments "
				 "of a code session succeeded",
				 round, codes, forms, downloads, enrols);
	}
}

static void test_purge(void **state)
{
	struct web *f = *state;
	struct reg_web_session got;
	struct reg_throttle t, tg;
	struct reg_download d;
	int n = -1;

	session(f, hash(40), 0, 1000);           /* idle: seen 1000 */
	session(f, hash(41), 0, 5000);           /* fresh */
	session(f, hash(42), f->person, 100);    /* too old */
	assert_int_equal(reg_web_session_touch(f->reg, hash(42), 5000, &f->err), 0);
	assert_int_equal(reg_web_form_add(f->reg, hash(41), hash(50), 5000, &f->err), 0); /* expired */
	assert_int_equal(reg_web_form_add(f->reg, hash(41), hash(51), 9000, &f->err), 0);
	assert_int_equal(reg_web_form_add(f->reg, hash(40), hash(52), 9000, &f->err), 0);
	download(f, hash(60), 5000, 0);  /* expired at now */
	download(f, hash(61), 9000, 0);
	memset(&t, 0, sizeof(t));
	snprintf(t.key, sizeof(t.key), "addr:a");
	t.failures = 2;
	t.last_failure = 100;            /* forgotten */
	assert_int_equal(reg_throttle_put(f->reg, &t, &f->err), 0);
	snprintf(t.key, sizeof(t.key), "addr:b");
	t.locked_until = 9000;           /* old failure, but a lock running */
	assert_int_equal(reg_throttle_put(f->reg, &t, &f->err), 0);
	snprintf(t.key, sizeof(t.key), "addr:c");
	t.last_failure = 4900;           /* recent */
	t.locked_until = 0;
	assert_int_equal(reg_throttle_put(f->reg, &t, &f->err), 0);

	/* now 5000: idle before 2000, created before 500, forget before 1000 */
	assert_int_equal(reg_web_purge(f->reg, 5000, 2000, 500, 1000, &n, &f->err), 0);
	/* sessions 40 and 42, tokens 50 (expired) and 52 (of session 40),
	 * download 60, throttle a */
	assert_int_equal(n, 2 + 2 + 1 + 1);
	/* nothing more to do */
	assert_int_equal(reg_web_purge(f->reg, 5000, 2000, 500, 1000, &n, &f->err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(reg_web_session_get(f->reg, hash(40), &got, &f->err), -ENOENT);
	assert_int_equal(reg_web_session_get(f->reg, hash(42), &got, &f->err), -ENOENT);
	assert_int_equal(reg_web_session_get(f->reg, hash(41), &got, &f->err), 0);
	assert_int_equal(reg_web_form_use(f->reg, hash(41), hash(51), 5000, &f->err), 0);
	assert_int_equal(reg_download_take(f->reg, hash(61), 5000, &d, &f->err), 0);
	reg_download_clear(&d);
	assert_int_equal(reg_throttle_get(f->reg, "addr:a", &tg, &f->err), -ENOENT);
	assert_int_equal(reg_throttle_get(f->reg, "addr:b", &tg, &f->err), 0);
	assert_int_equal(reg_throttle_get(f->reg, "addr:c", &tg, &f->err), 0);
	assert_int_equal(reg_web_purge(f->reg, 6000, 0, 0, 0, NULL, &f->err), 0);
}

/* Inside an outer transaction that is rolled back, nothing stays. */
static void test_rollback(void **state)
{
	struct web *f = *state;
	struct reg_web_session got;
	struct reg_download d;

	assert_int_equal(reg_begin(f->reg, &f->err), 0);
	session(f, hash(70), 0, 1000);
	download(f, hash(71), 9000, 0);
	reg_rollback(f->reg);
	assert_int_equal(reg_web_session_get(f->reg, hash(70), &got, &f->err), -ENOENT);
	assert_int_equal(reg_download_take(f->reg, hash(71), 1000, &d, &f->err), -ENOENT);

	/* committed with the outer level */
	assert_int_equal(reg_begin(f->reg, &f->err), 0);
	download(f, hash(72), 9000, 0);
	assert_int_equal(reg_commit(f->reg, &f->err), 0);
	assert_int_equal(reg_download_take(f->reg, hash(72), 1000, &d, &f->err), 0);
	reg_download_clear(&d);

	/* a miss inside a transaction does not roll back the caller's work */
	assert_int_equal(reg_begin(f->reg, &f->err), 0);
	session(f, hash(73), 0, 1000);
	assert_int_equal(reg_web_session_delete(f->reg, hash(74), &f->err), -ENOENT);
	assert_int_equal(reg_web_form_use(f->reg, hash(73), hash(75), 1000, &f->err), -ENOENT);
	assert_int_equal(reg_commit(f->reg, &f->err), 0);
	assert_int_equal(reg_web_session_get(f->reg, hash(73), &got, &f->err), 0);
}

/* Every refusal of bad input, before anything is written. */
static void test_invalid(void **state)
{
	struct web *f = *state;
	struct reg_web_session s, got;
	struct reg_download d, good;
	struct reg_throttle t;
	char a[REG_HASH_HEX], long_key[200];
	static const char data[] = "x";
	int n;

	snprintf(a, sizeof(a), "%s", hash(1));
	session(f, a, 0, 1000);

	/* session hashes: short, long, upper case, not hex, no NUL, NULL */
	memset(&s, 0, sizeof(s));
	snprintf(s.id_hash, sizeof(s.id_hash), "%063x", 1);
	assert_int_equal(reg_web_session_add(f->reg, &s, &f->err), -EINVAL);
	memset(s.id_hash, 'a', sizeof(s.id_hash)); /* 65 characters, no NUL */
	assert_int_equal(reg_web_session_add(f->reg, &s, &f->err), -EINVAL);
	snprintf(s.id_hash, sizeof(s.id_hash), "%064X", 0xfu);
	assert_int_equal(reg_web_session_add(f->reg, &s, &f->err), -EINVAL);
	snprintf(s.id_hash, sizeof(s.id_hash), "%063xg", 1);
	assert_int_equal(reg_web_session_add(f->reg, &s, &f->err), -EINVAL);
	snprintf(long_key, sizeof(long_key), "%s0", a); /* 65 hex digits */
	assert_int_equal(reg_web_session_get(f->reg, long_key, &got, &f->err), -EINVAL);
	assert_int_equal(reg_web_session_delete(f->reg, long_key, &f->err), -EINVAL);
	snprintf(s.id_hash, sizeof(s.id_hash), "%s", hash(2));
	s.seen = -1;
	assert_int_equal(reg_web_session_add(f->reg, &s, &f->err), -EINVAL);
	s.seen = 0;
	memset(s.client, 'x', sizeof(s.client)); /* no room for the NUL */
	assert_int_equal(reg_web_session_add(f->reg, &s, &f->err), -EINVAL);
	snprintf(s.client, sizeof(s.client), "a\x7f");
	assert_int_equal(reg_web_session_add(f->reg, &s, &f->err), -EINVAL);
	s.client[0] = '\0';
	assert_int_equal(reg_web_session_add(f->reg, &s, &f->err), 0); /* empty is allowed */

	assert_int_equal(reg_web_session_touch(f->reg, "0", 1000, &f->err), -EINVAL);
	assert_int_equal(reg_web_session_touch(f->reg, NULL, 1000, &f->err), -EINVAL);
	assert_int_equal(reg_web_session_touch(f->reg, a, -1, &f->err), -EINVAL);
	assert_int_equal(reg_web_session_delete(f->reg, "0", &f->err), -EINVAL);
	assert_int_equal(reg_web_session_delete(f->reg, NULL, &f->err), -EINVAL);

	assert_int_equal(reg_web_form_add(f->reg, "0", hash(3), 2000, &f->err), -EINVAL);
	assert_int_equal(reg_web_form_add(f->reg, a, NULL, 2000, &f->err), -EINVAL);
	assert_int_equal(reg_web_form_add(f->reg, a, hash(3), 2000, &f->err), 0);
	assert_int_equal(reg_web_form_use(f->reg, "0", hash(3), 1000, &f->err), -EINVAL);
	assert_int_equal(reg_web_form_use(f->reg, a, "0", 1000, &f->err), -EINVAL);
	assert_int_equal(reg_web_form_use(f->reg, a, hash(3), -1, &f->err), -EINVAL);
	/* none of those used it up */
	assert_int_equal(reg_web_form_use(f->reg, a, hash(3), 1000, &f->err), 0);

	/* downloads */
	memset(&good, 0, sizeof(good));
	snprintf(good.token_hash, sizeof(good.token_hash), "%s", hash(4));
	snprintf(good.device, sizeof(good.device), "%s", f->device);
	snprintf(good.filename, sizeof(good.filename), "wifi.p12");
	snprintf(good.type, sizeof(good.type), "application/x-pkcs12");
	good.data = (void *)data;
	good.len = 1;
	good.created = 1000;
	good.expires = 2000;
#define BAD_DOWNLOAD(change)                                                                       \
	do {                                                                                       \
		d = good;                                                                          \
		change;                                                                            \
		assert_int_equal(reg_download_add(f->reg, &d, &f->err), -EINVAL);                  \
	} while (0)
	BAD_DOWNLOAD(snprintf(d.token_hash, sizeof(d.token_hash), "abc"));
	BAD_DOWNLOAD(d.device[0] = '\0');
	BAD_DOWNLOAD(d.filename[0] = '\0');
	BAD_DOWNLOAD(snprintf(d.filename, sizeof(d.filename), "a/b"));
	BAD_DOWNLOAD(snprintf(d.filename, sizeof(d.filename), "a\\b"));
	BAD_DOWNLOAD(snprintf(d.filename, sizeof(d.filename), "a\"b"));
	BAD_DOWNLOAD(snprintf(d.filename, sizeof(d.filename), "a\rb"));
	BAD_DOWNLOAD(memset(d.filename, 'a', sizeof(d.filename)));
	BAD_DOWNLOAD(snprintf(d.type, sizeof(d.type), "text/\tplain"));
	BAD_DOWNLOAD(memset(d.type, 'a', sizeof(d.type)));
	BAD_DOWNLOAD(d.data = NULL);
	BAD_DOWNLOAD(d.len = 0);
	BAD_DOWNLOAD(d.created = -1);
	BAD_DOWNLOAD(d.expires = -1);
#undef BAD_DOWNLOAD
	assert_int_equal(reg_download_add(f->reg, &good, &f->err), 0);
	assert_int_equal(reg_download_take(f->reg, "abc", 1000, &d, &f->err), -EINVAL);
	assert_int_equal(reg_download_take(f->reg, NULL, 1000, &d, &f->err), -EINVAL);
	assert_int_equal(reg_download_take(f->reg, hash(4), -1, &d, &f->err), -EINVAL);
	/* none of those took it */
	assert_int_equal(reg_download_take(f->reg, hash(4), 1000, &d, &f->err), 0);
	reg_download_clear(&d);

	/* throttle keys and values */
	memset(&t, 0, sizeof(t));
	snprintf(t.key, sizeof(t.key), "login:lea");
	t.last_failure = -1;
	assert_int_equal(reg_throttle_put(f->reg, &t, &f->err), -EINVAL);
	t.last_failure = 0;
	t.locked_until = -1;
	assert_int_equal(reg_throttle_put(f->reg, &t, &f->err), -EINVAL);
	t.locked_until = 0;
	memset(t.key, 'k', sizeof(t.key));
	assert_int_equal(reg_throttle_put(f->reg, &t, &f->err), -EINVAL);
	memset(long_key, 'k', sizeof(long_key) - 1);
	long_key[sizeof(long_key) - 1] = '\0';
	assert_int_equal(reg_throttle_get(f->reg, long_key, &t, &f->err), -EINVAL);
	assert_int_equal(reg_throttle_get(f->reg, NULL, &t, &f->err), -EINVAL);
	assert_int_equal(reg_throttle_get(f->reg, "a\nb", &t, &f->err), -EINVAL);
	assert_int_equal(reg_throttle_delete(f->reg, "", &f->err), -EINVAL);
	assert_int_equal(reg_throttle_delete(f->reg, NULL, &f->err), -EINVAL);
	assert_int_equal(reg_throttle_delete(f->reg, long_key, &f->err), -EINVAL);

	/* purge times */
	n = 42;
	assert_int_equal(reg_web_purge(f->reg, -1, 0, 0, 0, &n, &f->err), -EINVAL);
	assert_int_equal(reg_web_purge(f->reg, 0, -1, 0, 0, &n, &f->err), -EINVAL);
	assert_int_equal(reg_web_purge(f->reg, 0, 0, -1, 0, &n, &f->err), -EINVAL);
	assert_int_equal(reg_web_purge(f->reg, 0, 0, 0, -1, &n, &f->err), -EINVAL);
	assert_int_equal(n, 42);

	/* the good session is still there */
	assert_int_equal(reg_web_session_get(f->reg, a, &got, &f->err), 0);
}

static int count_audit(const struct reg_audit *a, void *ctx)
{
	(void)a;
	++*(int *)ctx;
	return 0;
}

static int audit_rows(struct web *f)
{
	int n = 0;

	assert_int_equal(reg_audit_list(f->reg, 0, count_audit, &n, &f->err), 0);
	return n;
}

/* None of these functions writes an audit row or a change-feed event. */
static void test_not_audited(void **state)
{
	struct web *f = *state;
	struct reg_throttle t;
	struct reg_download d;
	int64_t seq0 = -1, seq1 = -1;
	int audit0 = audit_rows(f);

	assert_true(audit0 > 0); /* the school, person and device of setup */
	assert_int_equal(reg_events_last(f->reg, &seq0, &f->err), 0);
	assert_true(seq0 > 0);

	session(f, hash(1), f->person, 1000);
	assert_int_equal(reg_web_session_touch(f->reg, hash(1), 1100, &f->err), 0);
	assert_int_equal(reg_web_form_add(f->reg, hash(1), hash(2), 2000, &f->err), 0);
	assert_int_equal(reg_web_form_use(f->reg, hash(1), hash(2), 1100, &f->err), 0);
	download(f, hash(3), 2000, 0);
	assert_int_equal(reg_download_take(f->reg, hash(3), 1100, &d, &f->err), 0);
	reg_download_clear(&d);
	memset(&t, 0, sizeof(t));
	snprintf(t.key, sizeof(t.key), "login:lea");
	t.failures = 1;
	t.last_failure = 1100;
	assert_int_equal(reg_throttle_put(f->reg, &t, &f->err), 0);
	assert_int_equal(reg_throttle_delete(f->reg, "login:lea", &f->err), 0);
	assert_int_equal(reg_web_session_delete(f->reg, hash(1), &f->err), 0);
	session(f, hash(4), f->person, 1000);
	assert_int_equal(reg_web_session_delete_person(f->reg, f->person, NULL, &f->err), 0);
	session(f, hash(5), 0, 1000);
	assert_int_equal(reg_web_purge(f->reg, 5000, 2000, 0, 0, NULL, &f->err), 0);

	assert_int_equal(reg_events_last(f->reg, &seq1, &f->err), 0);
	assert_int_equal(seq1, seq0);
	assert_int_equal(audit_rows(f), audit0);
}

/* After an inner level rolled back, every write refuses with -ECANCELED
 * until the outermost level is closed. */
static void test_aborted(void **state)
{
	struct web *f = *state;
	struct reg_web_session s, got;
	struct reg_throttle t;
	struct reg_download d;

	memset(&s, 0, sizeof(s));
	snprintf(s.id_hash, sizeof(s.id_hash), "%s", hash(1));
	memset(&t, 0, sizeof(t));
	snprintf(t.key, sizeof(t.key), "login:lea");
	session(f, hash(2), 0, 1000);
	download(f, hash(3), 9000, 0);

	assert_int_equal(reg_begin(f->reg, &f->err), 0);
	assert_int_equal(reg_begin(f->reg, &f->err), 0);
	reg_rollback(f->reg);
	assert_int_equal(reg_web_session_add(f->reg, &s, &f->err), -ECANCELED);
	assert_int_equal(reg_web_session_touch(f->reg, hash(2), 2000, &f->err), -ECANCELED);
	assert_int_equal(reg_web_session_delete(f->reg, hash(2), &f->err), -ECANCELED);
	assert_int_equal(reg_web_session_delete_person(f->reg, f->person, NULL, &f->err),
			 -ECANCELED);
	assert_int_equal(reg_web_form_add(f->reg, hash(2), hash(4), 9000, &f->err), -ECANCELED);
	assert_int_equal(reg_web_form_use(f->reg, hash(2), hash(4), 1000, &f->err), -ECANCELED);
	assert_int_equal(reg_download_take(f->reg, hash(3), 1000, &d, &f->err), -ECANCELED);
	download(f, hash(5), 9000, -ECANCELED);
	assert_int_equal(reg_throttle_put(f->reg, &t, &f->err), -ECANCELED);
	assert_int_equal(reg_throttle_delete(f->reg, "login:lea", &f->err), -ECANCELED);
	assert_int_equal(reg_web_purge(f->reg, 9999, 9999, 9999, 9999, NULL, &f->err),
			 -ECANCELED);
	assert_int_equal(reg_commit(f->reg, &f->err), -ECANCELED);
	reg_rollback(f->reg);

	/* closed: everything is as it was, and writes work again */
	assert_int_equal(reg_web_session_get(f->reg, hash(1), &got, &f->err), -ENOENT);
	assert_int_equal(reg_web_session_get(f->reg, hash(2), &got, &f->err), 0);
	assert_int_equal(got.seen, 1000);
	assert_int_equal(reg_download_take(f->reg, hash(3), 1000, &d, &f->err), 0);
	reg_download_clear(&d);
	assert_int_equal(reg_web_session_add(f->reg, &s, &f->err), 0);
}

static void test_enrol_codes(void **state)
{
	struct web *f = *state;
	time_t now = time(NULL);
	int64_t who = 0;
	char c1[REG_HASH_HEX], c2[REG_HASH_HEX];

	snprintf(c1, sizeof(c1), "%s", hash(80));
	snprintf(c2, sizeof(c2), "%s", hash(81));
	assert_int_equal(reg_enrol_code_add(f->reg, c1, f->person, now + 3600, &f->err), 0);
	assert_int_equal(reg_enrol_code_add(f->reg, c1, f->person, now + 3600, &f->err), -EEXIST);
	assert_int_equal(reg_enrol_code_add(f->reg, c2, 9999, now + 3600, &f->err), -ENOENT);
	assert_int_equal(reg_enrol_code_add(f->reg, c2, f->person, now - 1, &f->err), -EINVAL);
	assert_int_equal(reg_enrol_code_add(f->reg, "x", f->person, now + 60, &f->err), -EINVAL);

	/* peeking does not use it; using it does, once */
	assert_int_equal(reg_enrol_code_peek(f->reg, c1, now, &who, &f->err), 0);
	assert_int_equal(who, f->person);
	who = 0;
	assert_int_equal(reg_enrol_code_use(f->reg, c1, now, &who, &f->err), 0);
	assert_int_equal(who, f->person);
	assert_int_equal(reg_enrol_code_use(f->reg, c1, now, &who, &f->err), -ENOENT);
	assert_int_equal(reg_enrol_code_peek(f->reg, c1, now, &who, &f->err), -ENOENT);

	/* expiry at exactly its time */
	assert_int_equal(reg_enrol_code_add(f->reg, c2, f->person, now + 60, &f->err), 0);
	assert_int_equal(reg_enrol_code_use(f->reg, c2, now + 60, &who, &f->err), -ENOENT);
	assert_int_equal(reg_enrol_code_use(f->reg, c2, now + 59, &who, &f->err), 0);
	assert_int_equal(reg_enrol_code_use(f->reg, hash(82), now, &who, &f->err), -ENOENT);
}

/* A code session's one enrolment: taken once, given back once, and a
 * login session has none; the kind is kept. */
static void test_code_session(void **state)
{
	struct web *f = *state;
	struct reg_web_session s, got;

	memset(&s, 0, sizeof(s));
	snprintf(s.id_hash, sizeof(s.id_hash), "%s", hash(90));
	s.person = f->person;
	s.created = s.seen = 1000;
	s.kind = REG_WEB_CODE;
	assert_int_equal(reg_web_session_add(f->reg, &s, &f->err), 0);
	session(f, hash(91), f->person, 1000);
	assert_int_equal(reg_web_session_get(f->reg, hash(90), &got, &f->err), 0);
	assert_int_equal(got.kind, REG_WEB_CODE);
	assert_int_equal(got.enrolled, 0);
	assert_int_equal(reg_web_session_get(f->reg, hash(91), &got, &f->err), 0);
	assert_int_equal(got.kind, REG_WEB_LOGIN);

	assert_int_equal(reg_web_session_mark_enrolled(f->reg, hash(90), 1, &f->err), 0);
	assert_int_equal(reg_web_session_mark_enrolled(f->reg, hash(90), 1, &f->err), -EALREADY);
	assert_int_equal(reg_web_session_get(f->reg, hash(90), &got, &f->err), 0);
	assert_int_equal(got.enrolled, 1);
	assert_int_equal(reg_web_session_mark_enrolled(f->reg, hash(90), 0, &f->err), 0);
	assert_int_equal(reg_web_session_mark_enrolled(f->reg, hash(90), 1, &f->err), 0);
	assert_int_equal(reg_web_session_mark_enrolled(f->reg, hash(91), 1, &f->err), -ENOENT);
	assert_int_equal(reg_web_session_mark_enrolled(f->reg, hash(92), 1, &f->err), -ENOENT);
}

/* One shared key per name: the first candidate stored wins. */
static void test_web_key(void **state)
{
	struct web *f = *state;
	char out[REG_HASH_HEX], a[REG_HASH_HEX], b[REG_HASH_HEX];

	snprintf(a, sizeof(a), "%s", hash(100));
	snprintf(b, sizeof(b), "%s", hash(101));
	assert_int_equal(reg_web_key_get(f->reg, "login-form", a, out, &f->err), 0);
	assert_string_equal(out, a);
	assert_int_equal(reg_web_key_get(f->reg, "login-form", b, out, &f->err), 0);
	assert_string_equal(out, a);
	assert_int_equal(reg_web_key_get(f->reg, "other", b, out, &f->err), 0);
	assert_string_equal(out, b);
	assert_int_equal(reg_web_key_get(f->reg, "Bad Name", b, out, &f->err), -EINVAL);
	assert_int_equal(reg_web_key_get(f->reg, "x", "short", out, &f->err), -EINVAL);
}

/* Portals of several nodes starting at once, each with its own candidate
 * for one key: they all end with the same secret, one of the candidates. */
static void test_web_key_processes(void **state)
{
	enum { PROCS = 6 };
	struct web *f = *state;
	char got[PROCS][REG_HASH_HEX], out[REG_HASH_HEX];
	int i, st, start[2], back[2], found = 0;
	pid_t pid[PROCS];

	assert_int_equal(pipe(start), 0);
	assert_int_equal(pipe(back), 0);
	for (i = 0; i < PROCS; i++) {
		pid[i] = fork();
		assert_true(pid[i] >= 0);
		if (pid[i] == 0) {
			char mine[REG_HASH_HEX], secret[REG_HASH_HEX], c;
			struct byod_err err;
			struct reg *reg;
			int rc = 1;

			close(start[1]);
			close(back[0]);
			snprintf(mine, sizeof(mine), "%s", hash(900 + i));
			if (!web_open(f->path, &reg, &err)) {
				if (read(start[0], &c, 1) == 0)
					rc = reg_web_key_get(reg, "race", mine, secret, &err);
				reg_close(reg);
			}
			/* one write under PIPE_BUF: not interleaved with another's */
			if (rc || write(back[1], secret, 64) != 64)
				_exit(1);
			_exit(0);
		}
	}
	close(start[0]);
	close(back[1]);
	usleep(200 * 1000);
	close(start[1]);
	for (i = 0; i < PROCS; i++) {
		assert_int_equal(waitpid(pid[i], &st, 0), pid[i]);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	for (i = 0; i < PROCS; i++) {
		assert_int_equal(read(back[0], got[i], 64), 64);
		got[i][64] = '\0';
	}
	close(back[0]);
	for (i = 0; i < PROCS; i++) {
		assert_string_equal(got[i], got[0]);
		found += !strcmp(got[0], hash(900 + i));
	}
	assert_int_equal(found, 1);
	assert_int_equal(reg_web_key_get(f->reg, "race", hash(999), out, &f->err), 0);
	assert_string_equal(out, got[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_schema, web_setup, web_teardown),
		cmocka_unit_test_setup_teardown(test_migrate_from_3, web_setup, web_teardown),
		cmocka_unit_test_setup_teardown(test_sessions, web_setup, web_teardown),
		cmocka_unit_test_setup_teardown(test_forms, web_setup, web_teardown),
		cmocka_unit_test_setup_teardown(test_downloads, web_setup, web_teardown),
		cmocka_unit_test_setup_teardown(test_download_race, web_setup, web_teardown),
		cmocka_unit_test_setup_teardown(test_throttle, web_setup, web_teardown),
		cmocka_unit_test_setup_teardown(test_throttle_update, web_setup, web_teardown),
		cmocka_unit_test_setup_teardown(test_throttle_delete_prefix, web_setup, web_teardown),
		cmocka_unit_test_setup_teardown(test_throttle_update_threads, web_setup, web_teardown),
		cmocka_unit_test_setup_teardown(test_throttle_update_processes, web_setup, web_teardown),
		cmocka_unit_test_setup_teardown(test_use_once_processes, web_setup, web_teardown),
		cmocka_unit_test_setup_teardown(test_purge, web_setup, web_teardown),
		cmocka_unit_test_setup_teardown(test_rollback, web_setup, web_teardown),
		cmocka_unit_test_setup_teardown(test_invalid, web_setup, web_teardown),
		cmocka_unit_test_setup_teardown(test_not_audited, web_setup, web_teardown),
		cmocka_unit_test_setup_teardown(test_aborted, web_setup, web_teardown),
		cmocka_unit_test_setup_teardown(test_enrol_codes, web_setup, web_teardown),
		cmocka_unit_test_setup_teardown(test_code_session, web_setup, web_teardown),
		cmocka_unit_test_setup_teardown(test_web_key, web_setup, web_teardown),
		cmocka_unit_test_setup_teardown(test_web_key_processes, web_setup, web_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
