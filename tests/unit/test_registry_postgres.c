// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What only the PostgreSQL registry has: a URL checked before connecting,
 * a server certificate checked by name (sslmode=verify-full), one role per
 * program refused what it may not do, the server stopped under an open
 * transaction, a connection ended or the server crashed between two calls,
 * constraints the database itself enforces, row locks that
 * time out, the change feed numbered in commit order and woken by NOTIFY,
 * and lists read through a cursor. Runs against the test cluster of ctest's
 * pg fixture ($BYOD_TEST_REGISTRY); the tests that stop a server or need
 * TLS start their own cluster with scripts/pg-test-cluster.
 */
#include <poll.h>
#include <pthread.h>

#include "registry_fixture.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* Runs scripts/pg-test-cluster CMD DIR [ARG] (execv, no shell); its first
 * line of output into out. */
static int cluster(const char *cmd, const char *dir, const char *arg, char *out, size_t size)
{
	const char *src = getenv("BYOD_SRC");
	char script[1024], buf[2048];
	char *argv[] = { "sh", script, (char *)cmd, (char *)dir, (char *)arg, NULL };
	int fds[2], status;
	size_t n = 0;
	ssize_t got;
	pid_t pid;

	snprintf(script, sizeof(script), "%s/scripts/pg-test-cluster", src ? src : ".");
	assert_int_equal(pipe(fds), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		execv("/bin/sh", argv);
		_exit(127);
	}
	close(fds[1]);
	while ((got = read(fds[0], buf + n, sizeof(buf) - 1 - n)) > 0 && n + (size_t)got < sizeof(buf) - 1)
		n += (size_t)got;
	while (got > 0) /* the rest, unread, so that the script never blocks */
		got = read(fds[0], buf, sizeof(buf));
	close(fds[0]);
	buf[n] = '\0';
	if (out && size) {
		n = strcspn(buf, "\n");
		if (n >= size)
			n = size - 1;
		memcpy(out, buf, n);
		out[n] = '\0';
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void own_dir(char *dir, size_t size, const char *what)
{
	const char *base = getenv("BYOD_TEST_TMP");

	snprintf(dir, size, "%s/pg-%s-%ld", base && base[0] ? base : "/tmp", what, (long)getpid());
}

/* The clusters a failed test may have left running. */
static int remove_own_clusters(void **state)
{
	char dir[512];

	(void)state;
	own_dir(dir, sizeof(dir), "tls");
	cluster("remove", dir, NULL, NULL, 0);
	own_dir(dir, sizeof(dir), "stop");
	cluster("remove", dir, NULL, NULL, 0);
	own_dir(dir, sizeof(dir), "crash");
	cluster("remove", dir, NULL, NULL, 0);
	return 0;
}

/* f->path with another user name in place of the owner's. */
static void url_as(const struct fx *f, const char *user, char *out, size_t size)
{
	const char *at = strchr(f->path, '@');

	assert_non_null(at);
	snprintf(out, size, "postgresql://%s%s", user, at);
}

/* ---- the URL -------------------------------------------------------------- */

static void test_url_conf(void **state)
{
	struct fx *f = *state;
	struct byod_conf conf;
	struct reg *reg = NULL;
	struct reg_school s;

	assert_int_equal(byod_conf_defaults(&conf, "/nonexistent"), 0);
	/* not a PostgreSQL URL: refused by the configuration */
	assert_true(byod_conf_set(&conf, "registry.url", "mysql://x/y", &f->err) < 0);
	/* parses as a URL but not as libpq's: refused before any connection */
	assert_int_equal(byod_conf_set(&conf, "registry.url",
				       "postgres://u:pw-never-shown@127.0.0.1:99999/db", &f->err),
			 0);
	assert_int_equal(reg_open_conf(&conf, "test", 0, &reg, &f->err), -EINVAL);
	assert_null(reg);
	assert_non_null(strstr(f->err.msg, "does not parse"));
	assert_null(strstr(f->err.msg, "pw-never-shown"));
	assert_null(strchr(f->err.msg, '\n'));
	/* the test's own URL: the same registry as f->reg */
	add_school(f, UAI_A, "Lycée A");
	assert_int_equal(byod_conf_set(&conf, "registry.url", f->path, &f->err), 0);
	assert_int_equal(reg_open_conf(&conf, "test", 0, &reg, &f->err), 0);
	assert_int_equal(reg_school_get(reg, UAI_A, &s, &f->err), 0);
	reg_close(reg);
	byod_conf_free(&conf);
}

/* Programs opening an empty database at once: one creates the schema, the
 * others wait for it (the advisory lock) and find it done. */
struct opener {
	char url[1200];
	int rc;
};

static void *open_fresh(void *arg)
{
	struct opener *o = arg;
	struct byod_err err;
	struct reg *reg = NULL;

	o->rc = open_reg(o->url, 10000, &reg, &err);
	if (o->rc)
		fprintf(stderr, "open: %s\n", err.msg);
	reg_close(reg);
	return NULL;
}

static void test_migrate_at_once(void **state)
{
	struct fx *f = *state;
	struct opener o[4];
	pthread_t t[4];
	char schema[80], sql[256];
	raw_db *db;
	int i;

	snprintf(schema, sizeof(schema), "%s_fresh", f->schema);
	db = raw_open(f->path);
	snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s", schema,
		 schema);
	raw_exec(db, sql);
	for (i = 0; i < 4; i++) {
		snprintf(o[i].url, sizeof(o[i].url), "%s%coptions=-csearch_path%%3D%s",
			 pg_base_url(), strchr(pg_base_url(), '?') ? '&' : '?', schema);
		assert_int_equal(pthread_create(&t[i], NULL, open_fresh, &o[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(o[i].rc, 0);
	}
	snprintf(sql, sizeof(sql), "SELECT version FROM %s.schema_version", schema);
	assert_int_equal(raw_int(db, sql), reg_postgres_ops.newest_version);
	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM %s.schema_version", schema);
	assert_int_equal(raw_int(db, sql), 1);
	snprintf(sql, sizeof(sql), "DROP SCHEMA %s CASCADE", schema);
	raw_exec(db, sql);
	raw_close(db);
}

/* ---- TLS ------------------------------------------------------------------ */

static void test_wrong_certificate(void **state)
{
	struct fx *f = *state;
	struct reg *reg = NULL;
	char dir[512], base[512], url[2048];

	own_dir(dir, sizeof(dir), "tls");
	assert_int_equal(cluster("start", dir, "--tls", NULL, 0), 0);
	assert_int_equal(cluster("tls-url", dir, NULL, base, sizeof(base)), 0);

	/* the certificate names byod-wrong.invalid, the client asks 127.0.0.1 */
	snprintf(url, sizeof(url), "%s?sslmode=verify-full&sslrootcert=%s/server.crt", base, dir);
	assert_int_equal(open_reg(url, 1000, &reg, &f->err), -ENOTCONN);
	assert_null(reg);
	assert_non_null(strstr(f->err.msg, "unreachable"));
	assert_non_null(strstr(f->err.msg, "byod-wrong.invalid"));
	assert_null(strchr(f->err.msg, '\n'));

	/* the same certificate is otherwise fine: only the name is wrong */
	snprintf(url, sizeof(url), "%s?sslmode=verify-ca&sslrootcert=%s/server.crt", base, dir);
	assert_int_equal(open_reg(url, 1000, &reg, &f->err), 0);
	reg_close(reg);

	assert_int_equal(cluster("remove", dir, NULL, NULL, 0), 0);
}

/* ---- roles ---------------------------------------------------------------- */

static void test_role_without_rights(void **state)
{
	struct fx *f = *state;
	struct reg *radius = NULL;
	struct reg_device d;
	struct reg_person p;
	struct names c;
	char *sql = NULL, login[64], portal[64], url[1200], stmt[256];
	raw_db *db;

	add_school(f, UAI_A, "Lycée A");
	add_person(f, "alice");
	assert_int_equal(reg_roles_sql(f->reg, 0, &sql, &f->err), 0);
	assert_non_null(strstr(sql, "CREATE ROLE byod_radius NOLOGIN"));
	free(sql);
	assert_int_equal(reg_roles_sql(f->reg, 1, NULL, &f->err), 0);

	snprintf(login, sizeof(login), "t_radius_%ld", (long)getpid());
	db = raw_open(f->path);
	/* byodctl doctor's role reads the standbys' lag (applied here by a
	 * superuser, who may give pg_monitor) */
	assert_int_equal(raw_int(db, "SELECT count(*) FROM pg_auth_members m "
				     "JOIN pg_roles r ON r.oid = m.roleid "
				     "JOIN pg_roles u ON u.oid = m.member "
				     "WHERE r.rolname = 'pg_monitor' AND u.rolname = 'byod_admin'"),
			 1);
	snprintf(stmt, sizeof(stmt),
		 "DROP ROLE IF EXISTS %s; CREATE ROLE %s LOGIN IN ROLE byod_radius", login, login);
	raw_exec(db, stmt);
	url_as(f, login, url, sizeof(url));
	assert_int_equal(open_reg(url, 1000, &radius, &f->err), 0);

	/* reads what the index needs */
	memset(&c, 0, sizeof(c));
	assert_int_equal(reg_person_list(radius, collect_person, &c, &f->err), 0);
	assert_int_equal(c.n, 1);
	/* may not add a person: one sentence naming the role, nothing changed */
	fill_person(&p, "mallory", NULL);
	assert_int_equal(reg_person_add(radius, &p, &f->err), -EACCES);
	assert_non_null(strstr(f->err.msg, login));
	assert_non_null(strstr(f->err.msg, "may not"));
	assert_null(strchr(f->err.msg, '\n'));
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM people"), 1);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM audit WHERE object = 'mallory'"), 0);
	/* and the handle still works afterwards */
	assert_int_equal(reg_person_get(radius, "alice", &p, &f->err), 0);
	/* its decision counts and its heartbeat, for the console */
	{
		struct reg_decision_count dc = {.school = UAI_A, .minute = 1790000040,
						.node = "r1", .segment = "pupils",
						.reason = "accept", .count = 2};
		struct reg_heartbeat hb = {.component = "radius", .node = "r1", .feed_seq = 1};

		assert_int_equal(reg_decision_add(radius, &dc, 1, &f->err), 0);
		assert_int_equal(reg_decision_add(radius, &dc, 1, &f->err), 0);
		assert_int_equal(reg_heartbeat_put(radius, &hb, &f->err), 0);
		assert_int_equal(reg_heartbeat_put(radius, &hb, &f->err), 0);
		assert_int_equal(raw_int(db, "SELECT count FROM decision_counts"), 4);
	}
	reg_close(radius);

	/* the portal enrols, but does not apply a segment policy */
	snprintf(portal, sizeof(portal), "t_portal_%ld", (long)getpid());
	snprintf(stmt, sizeof(stmt), "DROP ROLE IF EXISTS %s; CREATE ROLE %s LOGIN IN ROLE byod_portal",
		 portal, portal);
	raw_exec(db, stmt);
	url_as(f, portal, url, sizeof(url));
	assert_int_equal(open_reg(url, 1000, &radius, &f->err), 0);
	assert_int_equal(reg_person_get(radius, "alice", &p, &f->err), 0);
	fill_device(&d, p.id, "Phone", "aa:bb:cc:00:00:01");
	assert_int_equal(reg_device_add(radius, &d, &f->err), 0);
	assert_int_equal(reg_policy_add(radius, "default: a\n", "x", "", NULL, &f->err), -EACCES);
	assert_non_null(strstr(f->err.msg, portal));
	/* ...and keeps the identity sources' single-use keys */
	assert_int_equal(reg_once_put(radius, "saml-req:1", "x", 10, 100, &f->err), 0);
	assert_int_equal(reg_once_claim(radius, "saml-id:1", 10, 100, &f->err), 0);
	assert_int_equal(reg_once_take(radius, "saml-req:1", 10, NULL, &f->err), 0);
	assert_int_equal(reg_once_purge(radius, 1000, NULL, &f->err), 0);
	reg_close(radius);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM once_keys"), 0);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM devices"), 1);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM policies"), 0);

	/* the gateway records its Disconnects in the audit log, and may not
	 * change a device */
	snprintf(stmt, sizeof(stmt), "DROP ROLE IF EXISTS %s_g; CREATE ROLE %s_g LOGIN IN ROLE byod_gateway",
		 login, login);
	raw_exec(db, stmt);
	snprintf(stmt, sizeof(stmt), "%s_g", login);
	url_as(f, stmt, url, sizeof(url));
	assert_int_equal(open_reg(url, 1000, &radius, &f->err), 0);
	assert_int_equal(reg_audit_add(radius, "session.disconnect", "1", NULL, "{}", &f->err), 0);
	assert_int_equal(reg_device_set_state(radius, d.id, BYOD_DEVICE_SUSPENDED, &f->err), -EACCES);
	/* nor a single-use key (the portal's and the console's) */
	assert_int_equal(reg_once_claim(radius, "saml-id:2", 10, 100, &f->err), -EACCES);
	/* its heartbeat, but no decision counts (RADIUS's) */
	{
		struct reg_decision_count dc = {.school = UAI_A, .minute = 1790000040,
						.node = "g1", .segment = "pupils",
						.reason = "accept", .count = 1};
		struct reg_heartbeat hb = {.component = "gatewayd", .node = "g1",
					   .school = UAI_A, .feed_seq = 1};

		assert_int_equal(reg_heartbeat_put(radius, &hb, &f->err), 0);
		assert_int_equal(reg_heartbeat_put(radius, &hb, &f->err), 0);
		assert_int_equal(reg_decision_add(radius, &dc, 1, &f->err), -EACCES);
		assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM heartbeats"), 2);
	}
	reg_close(radius);
	snprintf(stmt, sizeof(stmt), "DROP ROLE %s_g", login);
	raw_exec(db, stmt);

	/* the owner's rights are untouched by --apply */
	add_person(f, "bob");
	snprintf(stmt, sizeof(stmt), "DROP ROLE %s; DROP ROLE %s", login, portal);
	raw_exec(db, stmt);
	raw_close(db);
}

struct writer {
	const char *url;
	const char *uai;
	volatile int done;
	int rc;
};

static void *notify_later(void *arg);

/* ---- the server going away ------------------------------------------------- */

static void test_server_stopped_mid_transaction(void **state)
{
	struct fx *f = *state;
	struct reg *reg = NULL;
	struct reg_person p;
	struct writer w = {0};
	char dir[512], url[1024];
	pthread_t t;
	double t0;
	raw_db *db;

	own_dir(dir, sizeof(dir), "stop");
	assert_int_equal(cluster("start", dir, NULL, NULL, 0), 0);
	assert_int_equal(cluster("url", dir, NULL, url, sizeof(url)), 0);
	assert_int_equal(open_reg(url, 1000, &reg, &f->err), 0);

	fill_person(&p, "before", NULL);
	assert_int_equal(reg_person_add(reg, &p, &f->err), 0);
	assert_int_equal(reg_feed_wait(reg, 0, &f->err), 1); /* LISTEN: 1, the first wait */
	assert_int_equal(reg_begin(reg, &f->err), 0);
	fill_person(&p, "cut-a", NULL);
	assert_int_equal(reg_person_add(reg, &p, &f->err), 0);

	assert_int_equal(cluster("stop", dir, NULL, NULL, 0), 0);
	fill_person(&p, "cut-b", NULL);
	assert_int_equal(reg_person_add(reg, &p, &f->err), -ENOTCONN);
	assert_non_null(strstr(f->err.msg, "unreachable"));
	assert_null(strchr(f->err.msg, '\n'));
	/* the commit cannot happen either: refused cleanly, then rolled back */
	assert_int_equal(reg_commit(reg, &f->err), -ENOTCONN);
	assert_non_null(strstr(f->err.msg, "unreachable"));
	reg_rollback(reg);
	/* down: a read says so, as one sentence; a follower's wait too, after
	 * its timeout (no busy loop) */
	assert_int_equal(reg_person_get(reg, "before", &p, &f->err), -ENOTCONN);
	assert_non_null(strstr(f->err.msg, "unreachable"));
	t0 = now_ms();
	assert_int_equal(reg_feed_wait(reg, 200, &f->err), -ENOTCONN);
	assert_true(now_ms() - t0 >= 150.0);

	/* back: the next call reconnects by itself; nothing of the cut
	 * transaction was written, its event neither */
	assert_int_equal(cluster("restart", dir, NULL, NULL, 0), 0);
	assert_int_equal(reg_feed_wait(reg, 0, &f->err), 1); /* reconnected, LISTEN again */
	assert_int_equal(reg_person_get(reg, "before", &p, &f->err), 0);
	assert_int_equal(reg_person_get(reg, "cut-a", &p, &f->err), -ENOENT);
	/* a commit on another connection wakes the follower again */
	w.url = url;
	w.uai = UAI_A;
	assert_int_equal(pthread_create(&t, NULL, notify_later, &w), 0);
	t0 = now_ms();
	assert_int_equal(reg_feed_wait(reg, 10000, &f->err), 1);
	assert_true(now_ms() - t0 < 5000.0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(w.rc, 0);
	fill_person(&p, "after", NULL);
	assert_int_equal(reg_person_add(reg, &p, &f->err), 0);
	db = raw_open(url);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM people"), 2);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM schools"), 1);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM events"), 3);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM audit"), 3);
	assert_int_equal(raw_int(db, "SELECT MAX(seq) FROM events"), 3);
	raw_close(db);
	reg_close(reg);
	assert_int_equal(cluster("remove", dir, NULL, NULL, 0), 0);
}

/* A connection the server ended between two calls (pg_terminate_backend,
 * what a fast shutdown does to every connection; its FATAL and the end of
 * the connection wait unread): the next call finds that out before it
 * sends anything, reconnects and succeeds. Only this test's connection is
 * ended (its application_name), not those of the suites running beside. */
static void test_connection_ended_between_calls(void **state)
{
	struct fx *f = *state;
	struct reg *reg = NULL;
	struct reg_person p;
	char url[1200], sql[300];
	raw_db *db;

	snprintf(url, sizeof(url), "%s&application_name=byod-ended-%ld", f->path, (long)getpid());
	assert_int_equal(open_reg(url, 1000, &reg, &f->err), 0);
	fill_person(&p, "before", NULL);
	assert_int_equal(reg_person_add(reg, &p, &f->err), 0);
	db = raw_open(f->path);
	snprintf(sql, sizeof(sql),
		 "SELECT CASE WHEN pg_terminate_backend(pid, 5000) THEN 1 ELSE 0 END "
		 "FROM pg_stat_activity WHERE application_name = 'byod-ended-%ld'",
		 (long)getpid());
	assert_int_equal(raw_int(db, sql), 1);
	raw_close(db);
	assert_int_equal(reg_person_get(reg, "before", &p, &f->err), 0);
	fill_person(&p, "after", NULL);
	assert_int_equal(reg_person_add(reg, &p, &f->err), 0);
	reg_close(reg);
}

/* The server crashed (stopped -m immediate: no FATAL, the connections just
 * end) and started again. Asked while it is down, a handle says -ENOTCONN
 * (the server is unreachable), not -EIO; once it is back, that handle and
 * one that was not asked meanwhile both succeed at their first call. */
static void test_server_crashed_between_calls(void **state)
{
	struct fx *f = *state;
	struct reg *asked = NULL, *idle = NULL;
	struct reg_person p;
	char dir[512], url[1024];
	raw_db *db;

	own_dir(dir, sizeof(dir), "crash");
	assert_int_equal(cluster("start", dir, NULL, NULL, 0), 0);
	assert_int_equal(cluster("url", dir, NULL, url, sizeof(url)), 0);
	assert_int_equal(open_reg(url, 1000, &asked, &f->err), 0);
	assert_int_equal(open_reg(url, 1000, &idle, &f->err), 0);
	fill_person(&p, "before", NULL);
	assert_int_equal(reg_person_add(asked, &p, &f->err), 0);
	assert_int_equal(reg_person_get(idle, "before", &p, &f->err), 0);
	/* the test cluster runs with synchronous_commit off: a crash would
	 * lose the last commits, which a server as deployed keeps */
	db = raw_open(url);
	raw_exec(db, "CHECKPOINT");
	raw_close(db);

	assert_int_equal(cluster("stop", dir, "--immediate", NULL, 0), 0);
	assert_int_equal(reg_person_get(asked, "before", &p, &f->err), -ENOTCONN);
	assert_non_null(strstr(f->err.msg, "unreachable"));
	assert_int_equal(cluster("restart", dir, NULL, NULL, 0), 0);
	assert_int_equal(reg_person_get(idle, "before", &p, &f->err), 0);
	assert_int_equal(reg_person_get(asked, "before", &p, &f->err), 0);
	fill_person(&p, "after", NULL);
	assert_int_equal(reg_person_add(idle, &p, &f->err), 0);
	reg_close(asked);
	reg_close(idle);
	assert_int_equal(cluster("remove", dir, NULL, NULL, 0), 0);
}

/* ---- constraints in the database itself ------------------------------------ */

static void test_constraints_in_database(void **state)
{
	struct fx *f = *state;
	struct reg_device d, d2;
	struct reg_cert c;
	char sql[512];
	int64_t owner;
	raw_db *db;

	owner = add_person(f, "alice");
	add_device(f, owner, "Phone", "aa:bb:cc:dd:ee:01", &d);
	fill_cert(&c, "abc1", d.id);
	assert_int_equal(reg_cert_add(f->reg, &c, &f->err), 0);

	db = raw_open(f->path);
	/* a second live device with the MAC, bypassing registry.c */
	snprintf(sql, sizeof(sql),
		 "INSERT INTO devices (id, owner, name, kind, mac, state, created) VALUES "
		 "('00000000-0000-4000-8000-000000000001', %lld, 'x', 'phone', "
		 "'aa:bb:cc:dd:ee:01', 'suspended', 1)",
		 (long long)owner);
	assert_int_equal(raw_try(db, sql), -1);
	/* a retired one may keep it (the history of the MAC) */
	snprintf(sql, sizeof(sql),
		 "INSERT INTO devices (id, owner, name, kind, mac, state, created) VALUES "
		 "('00000000-0000-4000-8000-000000000002', %lld, 'x', 'phone', "
		 "'aa:bb:cc:dd:ee:01', 'retired', 1)",
		 (long long)owner);
	assert_int_equal(raw_try(db, sql), 0);
	/* a second certificate with the serial */
	snprintf(sql, sizeof(sql),
		 "INSERT INTO certificates (serial, device, not_before, not_after, state) "
		 "VALUES ('abc1', '00000000-0000-4000-8000-000000000002', 1, 2, 'valid')");
	assert_int_equal(raw_try(db, sql), -1);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM certificates"), 1);
	raw_close(db);

	/* through the registry: the database's refusal is -EEXIST, rolled back whole */
	fill_device(&d2, owner, "Phone 2", "aa:bb:cc:dd:ee:01");
	assert_int_equal(reg_device_add(f->reg, &d2, &f->err), -EEXIST);
	assert_int_equal(reg_device_get(f->reg, d2.id, &d2, &f->err), -ENOENT);
	/* once the first is retired, the MAC is free */
	assert_int_equal(reg_device_set_state(f->reg, d.id, BYOD_DEVICE_RETIRED, &f->err), 0);
	fill_device(&d2, owner, "Phone 2", "aa:bb:cc:dd:ee:01");
	assert_int_equal(reg_device_add(f->reg, &d2, &f->err), 0);
}

/* A row lock held past the busy timeout: -EBUSY, nothing changed. */
static void test_lock_timeout(void **state)
{
	struct fx *f = *state;
	struct reg_school s;
	struct reg *reg = NULL;
	double t0, waited;
	raw_db *db;

	assert_int_equal(open_reg(f->path, 200, &reg, &f->err), 0);
	db = raw_open(f->path);
	raw_exec(db, "BEGIN; LOCK TABLE schools IN EXCLUSIVE MODE");
	memset(&s, 0, sizeof(s));
	snprintf(s.uai, sizeof(s.uai), "%s", UAI_B);
	snprintf(s.name, sizeof(s.name), "Collège B");
	t0 = now_ms();
	assert_int_equal(reg_school_add(reg, &s, &f->err), -EBUSY);
	waited = now_ms() - t0;
	assert_true(waited >= 150.0);
	assert_true(waited < 5000.0);
	assert_non_null(strstr(f->err.msg, "busy"));
	raw_exec(db, "ROLLBACK");
	assert_int_equal(reg_school_add(reg, &s, &f->err), 0);
	raw_close(db);
	reg_close(reg);
}

/* ---- the change feed ---------------------------------------------------------- */

static void *write_school(void *arg)
{
	struct writer *w = arg;
	struct reg_school s;
	struct byod_err err;
	struct reg *reg = NULL;

	w->rc = open_reg(w->url, 10000, &reg, &err);
	if (!w->rc) {
		memset(&s, 0, sizeof(s));
		snprintf(s.uai, sizeof(s.uai), "%s", w->uai);
		snprintf(s.name, sizeof(s.name), "B");
		w->rc = reg_school_add(reg, &s, &err);
	}
	reg_close(reg);
	w->done = 1;
	return NULL;
}

/* A writer that starts later but commits first gets the lower number:
 * events are numbered at commit, so the numbers follow the commit order
 * and a follower reading "after the last I saw" skips nothing. The first
 * writer's open transaction does not hold the second up. */
static void test_feed_commit_order(void **state)
{
	struct fx *f = *state;
	struct writer w = {.url = f->path, .uai = UAI_B};
	struct reg_school s;
	struct events e;
	pthread_t t;
	int64_t last = 0;

	assert_int_equal(reg_begin(f->reg, &f->err), 0);
	add_school(f, UAI_A, "A"); /* written first, committed last */
	assert_int_equal(pthread_create(&t, NULL, write_school, &w), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(w.rc, 0);
	assert_true(w.done);
	/* a follower sees B's event, not A's uncommitted one */
	assert_int_equal(reg_events_last(f->reg, &last, &f->err), 0);
	assert_int_equal(reg_commit(f->reg, &f->err), 0);
	e = events_since(f, 0, 0);
	assert_int_equal(e.n, 2);
	assert_string_equal(e.v[0].object, UAI_B);
	assert_int_equal(e.v[0].seq, last);
	assert_string_equal(e.v[1].object, UAI_A);
	assert_int_equal(e.v[1].seq, e.v[0].seq + 1);
	/* the follower that saw B asks for what came after: A is there */
	e = events_since(f, last, 0);
	assert_int_equal(e.n, 1);
	assert_string_equal(e.v[0].object, UAI_A);
	assert_int_equal(reg_school_get(f->reg, UAI_B, &s, &f->err), 0);
}

static void *notify_later(void *arg)
{
	struct writer *w = arg;

	poll(NULL, 0, 300);
	return write_school(w);
}

static void test_feed_wait(void **state)
{
	struct fx *f = *state;
	struct writer w = {.url = f->path, .uai = UAI_B};
	pthread_t t;
	double t0, waited;

	/* the first wait (LISTEN) cannot know what came before: 1 at once */
	t0 = now_ms();
	assert_int_equal(reg_feed_wait(f->reg, 10000, &f->err), 1);
	assert_true(now_ms() - t0 < 5000.0);
	/* nothing happens: 0, back after the timeout */
	t0 = now_ms();
	assert_int_equal(reg_feed_wait(f->reg, 200, &f->err), 0);
	waited = now_ms() - t0;
	assert_true(waited >= 150.0);
	/* a commit elsewhere wakes it well before the timeout */
	assert_int_equal(pthread_create(&t, NULL, notify_later, &w), 0);
	t0 = now_ms();
	assert_int_equal(reg_feed_wait(f->reg, 10000, &f->err), 1);
	waited = now_ms() - t0;
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(w.rc, 0);
	assert_true(waited < 5000.0);
	assert_int_equal(events_since(f, 0, 0).n, 1);
}

/* Several writers committing at once, each holding its transaction open a
 * random while after its change; a follower reading "after the last number
 * I saw" meanwhile must see every committed event exactly once. */
#define RACE_WRITERS 4
#define RACE_EACH 30

struct racer {
	const char *url;
	int no;
	int rc;
};

static void *race_writer(void *arg)
{
	struct racer *r = arg;
	struct reg_person p;
	struct byod_err err;
	struct reg *reg = NULL;
	unsigned seed = (unsigned)r->no * 7919u;
	char login[32];
	int i;

	r->rc = open_reg(r->url, 10000, &reg, &err);
	for (i = 0; !r->rc && i < RACE_EACH; i++) {
		snprintf(login, sizeof(login), "w%d-%d", r->no, i);
		fill_person(&p, login, NULL);
		r->rc = reg_begin(reg, &err);
		if (!r->rc)
			r->rc = reg_person_add(reg, &p, &err);
		poll(NULL, 0, (int)(rand_r(&seed) % 4));
		if (!r->rc)
			r->rc = reg_commit(reg, &err);
		else
			reg_rollback(reg);
	}
	if (r->rc)
		fprintf(stderr, "writer %d: %s\n", r->no, err.msg);
	reg_close(reg);
	return NULL;
}

struct seen {
	int n;
	int64_t last;
	int gaps;
	char login[RACE_WRITERS * RACE_EACH][64];
};

static int follow(const struct reg_event *ev, void *arg)
{
	struct seen *s = arg;

	if (s->last && ev->seq != s->last + 1)
		s->gaps++;
	s->last = ev->seq;
	assert_true(s->n < RACE_WRITERS * RACE_EACH);
	snprintf(s->login[s->n++], sizeof(s->login[0]), "%s", ev->object);
	return 0;
}

static void test_feed_race(void **state)
{
	struct fx *f = *state;
	struct racer r[RACE_WRITERS];
	pthread_t t[RACE_WRITERS];
	struct seen *seen = calloc(1, sizeof(*seen));
	double t0 = now_ms();
	char login[32];
	int i, j, k, found;

	assert_non_null(seen);
	for (i = 0; i < RACE_WRITERS; i++) {
		r[i].url = f->path;
		r[i].no = i;
		r[i].rc = 0;
		assert_int_equal(pthread_create(&t[i], NULL, race_writer, &r[i]), 0);
	}
	while (seen->n < RACE_WRITERS * RACE_EACH && now_ms() - t0 < 60000.0) {
		assert_int_equal(reg_events_since(f->reg, seen->last, 0, follow, seen, &f->err), 0);
		reg_feed_wait(f->reg, 50, NULL);
	}
	for (i = 0; i < RACE_WRITERS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(r[i].rc, 0);
	}
	/* every event once, numbered without a gap, none after the last */
	assert_int_equal(seen->n, RACE_WRITERS * RACE_EACH);
	assert_int_equal(seen->gaps, 0);
	assert_int_equal(events_since(f, seen->last, 0).n, 0);
	for (i = 0; i < RACE_WRITERS; i++) {
		for (j = 0; j < RACE_EACH; j++) {
			snprintf(login, sizeof(login), "w%d-%d", i, j);
			for (found = 0, k = 0; k < seen->n; k++)
				found += !strcmp(seen->login[k], login);
			assert_int_equal(found, 1);
		}
	}
	free(seen);
}

/* ---- lists through a cursor ------------------------------------------------------ */

static int count_device(const struct reg_device *d, void *arg)
{
	int *n = arg;

	(*n)++;
	return *n == 12345 && d->name[0] == 'x' ? 9 : 0;
}

static int count_only(const struct reg_device *d, void *arg)
{
	(void)d;
	(*(int *)arg)++;
	return 0;
}

static void test_list_in_batches(void **state)
{
	struct fx *f = *state;
	char sql[512];
	int64_t owner;
	int n = 0;
	raw_db *db;

	owner = add_person(f, "alice");
	db = raw_open(f->path);
	snprintf(sql, sizeof(sql),
		 "INSERT INTO devices (id, owner, name, kind, state, created) "
		 "SELECT gen_random_uuid()::text, %lld, 'x' || i, 'phone', 'active', i "
		 "FROM generate_series(1, 25001) AS i",
		 (long long)owner);
	raw_exec(db, sql);
	raw_close(db);
	/* more than two batches, each row once */
	assert_int_equal(reg_device_list(f->reg, NULL, count_only, &n, &f->err), 0);
	assert_int_equal(n, 25001);
	/* a callback that stops: its value, and the connection still works */
	n = 0;
	assert_int_equal(reg_device_list(f->reg, NULL, count_device, &n, &f->err), 9);
	assert_int_equal(n, 12345);
	n = 0;
	assert_int_equal(reg_begin(f->reg, &f->err), 0);
	assert_int_equal(reg_device_list(f->reg, NULL, count_only, &n, &f->err), 0);
	assert_int_equal(reg_commit(f->reg, &f->err), 0);
	assert_int_equal(n, 25001);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_url_conf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_certificate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_role_without_rights, setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_stopped_mid_transaction, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_connection_ended_between_calls, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_server_crashed_between_calls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_constraints_in_database, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_feed_commit_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_feed_wait, setup, teardown),
		cmocka_unit_test_setup_teardown(test_feed_race, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_in_batches, setup, teardown),
	};

	if (!on_postgres()) {
		fprintf(stderr, "test_registry_postgres: BYOD_TEST_REGISTRY is not a PostgreSQL "
				"URL; nothing to test\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, remove_own_clusters);
}
