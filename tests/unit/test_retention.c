// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for retention, the requisition and a person's rights in the
 * registry (reg_retention.c), on SQLite and (test_retention_pg) PostgreSQL:
 * each purge deletes exactly what is past its cutoff (a row one second
 * inside is kept); the requisition finds the sessions that held an address
 * at an instant (overlapping sessions, an address reused later, an open
 * session); a removal leaves no row of any table naming the login or the
 * person's id, keeps the accounting without its device and the revoked
 * certificates still valid on the CRL; the export lists every table's rows
 * of the person.
 */
#include "registry_fixture.h"
#include "reg_internal.h"

#define HASH(c)                                                                                    \
	c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c  \
		c c c c c c c c c c c c c c c c c c c

/* ---- the purges --------------------------------------------------------- */

static void set_audit_time(struct fx *f, const char *object, time_t t)
{
	char sql[256];
	raw_db *db = raw_open(f->path);

	snprintf(sql, sizeof(sql), "UPDATE audit SET time = %lld WHERE object = '%s'", (long long)t,
		 object);
	raw_exec(db, sql);
	raw_close(db);
}

static int64_t count(struct fx *f, const char *sql)
{
	raw_db *db = raw_open(f->path);
	int64_t n = raw_int(db, sql);

	raw_close(db);
	return n;
}

/* Audit rows with time < before go, the one at before stays, and no row
 * is written for it (byod_purge writes one for its whole run). */
static void test_audit_purge(void **state)
{
	struct fx *f = *state;
	int n = -1;

	assert_int_equal(reg_audit_add(f->reg, "test.old", "old", NULL, NULL, &f->err), 0);
	assert_int_equal(reg_audit_add(f->reg, "test.edge", "edge", NULL, NULL, &f->err), 0);
	assert_int_equal(reg_audit_add(f->reg, "test.new", "new", NULL, NULL, &f->err), 0);
	set_audit_time(f, "old", 4999);
	set_audit_time(f, "edge", 5000);
	set_audit_time(f, "new", 9000);
	/* a dry run: rolled back */
	assert_int_equal(reg_begin(f->reg, &f->err), 0);
	assert_int_equal(reg_audit_purge(f->reg, 5000, &n, &f->err), 0);
	assert_int_equal(n, 1);
	reg_rollback(f->reg);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM audit"), 3);

	assert_int_equal(reg_audit_purge(f->reg, 5000, &n, &f->err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM audit"), 2);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM audit WHERE object = 'old'"), 0);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM audit WHERE object = 'edge'"), 1);
	assert_int_equal(reg_audit_purge(f->reg, 5000, &n, &f->err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(reg_audit_purge(f->reg, -1, &n, &f->err), -EINVAL);
}

/* Decision counts of minutes before the cutoff go, the cutoff's stays;
 * enrolment codes expired at now go, one expiring a second later stays;
 * kept CRL serials whose certificate ended before now go. */
static void test_other_purges(void **state)
{
	struct fx *f = *state;
	struct reg_decision_count rows[3];
	int64_t p;
	int i, n = -1;
	raw_db *db;

	memset(rows, 0, sizeof(rows));
	for (i = 0; i < 3; i++) {
		snprintf(rows[i].school, sizeof(rows[i].school), "%s", "");
		rows[i].minute = 6000 + 60 * (i - 1); /* 5940, 6000, 6060 */
		snprintf(rows[i].node, sizeof(rows[i].node), "r1");
		snprintf(rows[i].reason, sizeof(rows[i].reason), "accept");
		snprintf(rows[i].segment, sizeof(rows[i].segment), "eleves");
		rows[i].count = 1;
	}
	assert_int_equal(reg_decision_add(f->reg, rows, 3, &f->err), 0);
	assert_int_equal(reg_decision_purge(f->reg, 6000, &n, &f->err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM decision_counts WHERE minute >= 6000"), 2);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM decision_counts"), 2);

	p = add_person(f, "codes");
	assert_int_equal(reg_enrol_code_add(f->reg, HASH("a"), p, 2000000000, &f->err), 0);
	assert_int_equal(reg_enrol_code_add(f->reg, HASH("b"), p, 2000000001, &f->err), 0);
	assert_int_equal(reg_enrol_code_purge(f->reg, 2000000000, &n, &f->err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM enrol_codes"), 1);
	assert_int_equal(reg_enrol_code_peek(f->reg, HASH("b"), 2000000000, &p, &f->err), 0);

	db = raw_open(f->path);
	raw_exec(db, "INSERT INTO crl_kept (serial, not_before, not_after, revoked_at, reason) "
		     "VALUES ('a1', 1, 2999, 10, 1), ('a2', 1, 3000, 10, 1)");
	raw_close(db);
	assert_int_equal(reg_crl_kept_purge(f->reg, 3000, &n, &f->err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM crl_kept WHERE serial = 'a2'"), 1);
}

/* ---- the requisition ------------------------------------------------------ */

struct conns {
	int n;
	struct reg_connection v[MAXN];
};

static int collect_conn(const struct reg_connection *c, void *arg)
{
	struct conns *cs = arg;

	assert_true(cs->n < MAXN);
	cs->v[cs->n++] = *c;
	return 0;
}

static struct conns at_ip(struct fx *f, const char *ip, time_t at)
{
	struct conns cs;

	memset(&cs, 0, sizeof(cs));
	assert_int_equal(reg_connection_find(f->reg, ip, NULL, at, collect_conn, &cs, &f->err), 0);
	return cs;
}

static void session(struct fx *f, const char *sid, const char *mac, const char *ip, time_t start,
		    time_t stop)
{
	struct reg_session s;

	memset(&s, 0, sizeof(s));
	snprintf(s.session_id, sizeof(s.session_id), "%s", sid);
	snprintf(s.nas_ip, sizeof(s.nas_ip), "192.0.2.1");
	snprintf(s.nas_id, sizeof(s.nas_id), "ap-cdi");
	snprintf(s.mac, sizeof(s.mac), "%s", mac);
	snprintf(s.ip, sizeof(s.ip), "%s", ip);
	s.started = start;
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_START, &s, &f->err), 0);
	if (stop) {
		s.stopped = stop;
		assert_int_equal(reg_session_record(f->reg, REG_ACCT_STOP, &s, &f->err), 0);
	}
}

static void interim(struct fx *f, const char *sid, const char *mac, const char *ip, time_t start,
		    time_t at)
{
	struct reg_session s;

	memset(&s, 0, sizeof(s));
	snprintf(s.session_id, sizeof(s.session_id), "%s", sid);
	snprintf(s.nas_ip, sizeof(s.nas_ip), "192.0.2.1");
	snprintf(s.nas_id, sizeof(s.nas_id), "ap-cdi");
	snprintf(s.mac, sizeof(s.mac), "%s", mac);
	snprintf(s.ip, sizeof(s.ip), "%s", ip);
	s.started = start;
	s.updated = at;
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_INTERIM, &s, &f->err), 0);
}

static void test_connections(void **state)
{
	struct fx *f = *state;
	struct reg_device da, db, dc, dd;
	struct reg_person p;
	struct conns cs;
	int n = -1;

	add_school(f, UAI_A, "A");
	fill_person(&p, "alice", UAI_A);
	assert_int_equal(reg_person_add(f->reg, &p, &f->err), 0);
	add_device(f, p.id, "Alice's phone", "02:00:00:00:00:0a", &da);
	add_device(f, add_person(f, "bob"), "Bob's laptop", "02:00:00:00:00:0b", &db);
	add_device(f, add_person(f, "carol"), "Carol's tablet", "02:00:00:00:00:0c", &dc);
	/* 10.1.0.5: alice 1000-2000, bob 3000-4000, carol from 5000 (open);
	 * 10.1.0.6: bob 1500-2500, overlapping alice's on another address */
	session(f, "s-a", "02:00:00:00:00:0a", "10.1.0.5", 1000, 2000);
	session(f, "s-b1", "02:00:00:00:00:0b", "10.1.0.6", 1500, 2500);
	session(f, "s-b2", "02:00:00:00:00:0b", "10.1.0.5", 3000, 4000);
	session(f, "s-c", "02:00:00:00:00:0c", "10.1.0.5", 5000, 0);

	cs = at_ip(f, "10.1.0.5", 1500);
	assert_int_equal(cs.n, 1);
	assert_string_equal(cs.v[0].session.session_id, "s-a");
	assert_string_equal(cs.v[0].session.device, da.id);
	assert_string_equal(cs.v[0].owner_login, "alice");
	assert_string_equal(cs.v[0].owner_name, "Person alice");
	assert_string_equal(cs.v[0].school, UAI_A);
	assert_string_equal(cs.v[0].device_name, "Alice's phone");
	assert_string_equal(cs.v[0].session.nas_ip, "192.0.2.1");
	assert_string_equal(cs.v[0].session.nas_id, "ap-cdi");
	assert_int_equal(cs.v[0].session.started, 1000);
	assert_int_equal(cs.v[0].session.stopped, 2000);
	/* the ends are inside */
	assert_int_equal(at_ip(f, "10.1.0.5", 1000).n, 1);
	assert_int_equal(at_ip(f, "10.1.0.5", 2000).n, 1);
	assert_int_equal(at_ip(f, "10.1.0.5", 999).n, 0);
	assert_int_equal(at_ip(f, "10.1.0.5", 2001).n, 0);
	/* the address reused: bob's, then carol's open one */
	cs = at_ip(f, "10.1.0.5", 3500);
	assert_int_equal(cs.n, 1);
	assert_string_equal(cs.v[0].owner_login, "bob");
	assert_int_equal(at_ip(f, "10.1.0.5", 4500).n, 0);
	cs = at_ip(f, "10.1.0.5", 5000 + REG_SESSION_OPEN_MARGIN);
	assert_int_equal(cs.n, 1);
	assert_string_equal(cs.v[0].owner_login, "carol");
	assert_int_equal(cs.v[0].session.stopped, 0);
	assert_int_equal(cs.v[0].session.updated, 5000);
	assert_int_equal(cs.v[0].session.state, REG_SESSION_OPEN);
	/* the overlapping one on the other address */
	cs = at_ip(f, "10.1.0.6", 2000);
	assert_int_equal(cs.n, 1);
	assert_string_equal(cs.v[0].session.session_id, "s-b1");
	/* by MAC (any form) */
	memset(&cs, 0, sizeof(cs));
	assert_int_equal(reg_connection_find(f->reg, NULL, "02-00-00-00-00-0B", 3999, collect_conn,
					     &cs, &f->err),
			 0);
	assert_int_equal(cs.n, 1);
	assert_string_equal(cs.v[0].session.session_id, "s-b2");
	/* an open session holds its address until its last update plus the
	 * margin, not for ever: its Stop may have been lost */
	assert_int_equal(at_ip(f, "10.1.0.5", 5001 + REG_SESSION_OPEN_MARGIN).n, 0);
	interim(f, "s-c", "02:00:00:00:00:0c", "10.1.0.5", 5000, 8000);
	assert_int_equal(at_ip(f, "10.1.0.5", 8000 + REG_SESSION_OPEN_MARGIN).n, 1);
	assert_int_equal(at_ip(f, "10.1.0.5", 8001 + REG_SESSION_OPEN_MARGIN).n, 0);
	/* carol's AP rebooted (no Stop), the address went to dave: a
	 * requisition for dave's time names dave alone */
	add_device(f, add_person(f, "dave"), "Dave's phone", "02:00:00:00:00:0d", &dd);
	session(f, "s-d", "02:00:00:00:00:0d", "10.1.0.5", 50000, 0);
	cs = at_ip(f, "10.1.0.5", 50600);
	assert_int_equal(cs.n, 1);
	assert_string_equal(cs.v[0].owner_login, "dave");
	/* the purge closes carol's silent session at its last update (one
	 * audit row with the count) and leaves dave's live one open */
	assert_int_equal(reg_session_close_stale(f->reg, 50600, &n, &f->err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM sessions WHERE session_id = 's-c' "
				  "AND state = 'closed' AND stopped = 8000"),
			 1);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM sessions WHERE state = 'open'"), 1);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM audit WHERE action = "
				  "'session.close-stale' AND after_json LIKE '%\"closed\":1%'"),
			 1);
	assert_int_equal(reg_session_close_stale(f->reg, 50600, &n, &f->err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(at_ip(f, "10.1.0.5", 8000).n, 1);
	assert_int_equal(at_ip(f, "10.1.0.5", 8001).n, 0);
	/* and the retention counts from there: ended before 8001, gone */
	assert_int_equal(reg_session_purge(f->reg, 8001, &n, &f->err), 0);
	assert_int_equal(n, 4);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM sessions"), 1);
	/* an open row silent for longer than the retention goes too, even
	 * without the closing pass */
	assert_int_equal(reg_session_purge(f->reg, 50000 + REG_SESSION_OPEN_MARGIN, &n, &f->err),
			 0);
	assert_int_equal(n, 0);
	assert_int_equal(reg_session_purge(f->reg, 50001 + REG_SESSION_OPEN_MARGIN, &n, &f->err),
			 0);
	assert_int_equal(n, 1);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM sessions"), 0);
	/* bad questions */
	assert_int_equal(
		reg_connection_find(f->reg, "10.1.0.300", NULL, 1, collect_conn, &cs, &f->err),
		-EINVAL);
	assert_int_equal(reg_connection_find(f->reg, NULL, NULL, 1, collect_conn, &cs, &f->err),
			 -EINVAL);
	assert_int_equal(reg_connection_find(f->reg, "10.1.0.5", "02:00:00:00:00:0b", 1,
					     collect_conn, &cs, &f->err),
			 -EINVAL);
}

/* ---- removal and export ------------------------------------------------------ */

/* Every row of every table, as JSON text, through the backend. */
static char *dump_all(struct fx *f)
{
	static const char *const list[] = {
		"SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
		"SELECT table_name AS name FROM information_schema.tables "
		"WHERE table_schema = current_schema() ORDER BY table_name",
	};
	json_t *tables = json_array(), *all = json_object(), *t;
	char *text;
	size_t i;

	assert_int_equal(f->reg->be->ops->rows_json(f->reg->be, "listing tables",
						    list[on_postgres()], 0, NULL, tables, &f->err),
			 0);
	assert_true(json_array_size(tables) > 20);
	json_array_foreach(tables, i, t)
	{
		const char *name = json_string_value(json_object_get(t, "name"));
		json_t *rows = json_array();
		char sql[128];

		snprintf(sql, sizeof(sql), "SELECT * FROM %s", name);
		assert_int_equal(f->reg->be->ops->rows_json(f->reg->be, "dumping", sql, 0, NULL,
							    rows, &f->err),
				 0);
		json_object_set_new(all, name, rows);
	}
	text = json_dumps(all, JSON_COMPACT | JSON_SORT_KEYS);
	assert_non_null(text);
	json_decref(tables);
	json_decref(all);
	return text;
}

static const char *hx(char buf[REG_HASH_HEX], unsigned n)
{
	snprintf(buf, REG_HASH_HEX, "%064x", n);
	return buf;
}

static void oauth_code(struct fx *f, int64_t person, unsigned n, time_t now)
{
	struct reg_oauth_code c;

	memset(&c, 0, sizeof(c));
	hx(c.code_hash, n);
	hx(c.redirect_hash, 1000 + n);
	snprintf(c.client, sizeof(c.client), "app.geteduroam.sh");
	snprintf(c.challenge, sizeof(c.challenge), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
	snprintf(c.charter, sizeof(c.charter), "2025-1");
	c.person = person;
	c.created = now;
	c.expires = now + 60;
	assert_int_equal(reg_oauth_code_add(f->reg, &c, &f->err), 0);
}

/* A code redeemed for a grant (an access and a refresh token), bound to
 * device. */
static void oauth_grant(struct fx *f, int64_t person, unsigned n, time_t now, const char *device)
{
	struct reg_oauth_token a, r;
	struct reg_oauth_grant g;
	char h[REG_HASH_HEX];

	oauth_code(f, person, n, now);
	memset(&a, 0, sizeof(a));
	memset(&r, 0, sizeof(r));
	hx(a.token_hash, 2000 + n);
	hx(r.token_hash, 3000 + n);
	a.expires = now + 3600;
	r.expires = now + 86400 * 30;
	assert_int_equal(reg_oauth_code_redeem(f->reg, hx(h, n), now + 1, &a, &r, &g, &f->err), 0);
	assert_int_equal(reg_oauth_grant_set_device(f->reg, g.id, device, &f->err), 0);
}

struct person_world {
	int64_t id, other;
	struct reg_device live, revoked, retired, bobs;
};

/* Zoé (teacher, login "zoelebrun"): a live device, a revoked one whose
 * certificate is revoked and still valid, a retired one whose revoked
 * certificate has ended; sessions, a portal session with a form token, a
 * download, an enrolment code, throttle keys, an unlock; and Bob beside
 * her with his own of each. */
static void person_world(struct fx *f, struct person_world *w)
{
	struct reg_web_session ws;
	struct reg_download dl;
	struct reg_throttle th;
	struct reg_unlock u;
	struct reg_person p;
	struct reg_cert c;
	static const char data[] = "p12";
	time_t now = time(NULL);

	add_school(f, UAI_A, "A");
	fill_person(&p, "zoelebrun", UAI_A);
	p.role = BYOD_ROLE_TEACHER;
	snprintf(p.display_name, sizeof(p.display_name), "Zoe Lebrun");
	assert_int_equal(reg_person_add(f->reg, &p, &f->err), 0);
	w->id = p.id;
	fill_person(&p, "bob", UAI_A);
	assert_int_equal(reg_person_add(f->reg, &p, &f->err), 0);
	w->other = p.id;
	add_device(f, w->id, "live", "02:00:00:00:01:01", &w->live);
	add_device(f, w->id, "revoked", "02:00:00:00:01:02", &w->revoked);
	add_device(f, w->id, "retired", "02:00:00:00:01:03", &w->retired);
	add_device(f, w->other, "bobs", "02:00:00:00:01:04", &w->bobs);
	fill_cert(&c, "aa01", w->live.id);
	assert_int_equal(reg_cert_add(f->reg, &c, &f->err), 0);
	fill_cert(&c, "aa02", w->revoked.id);
	c.not_after = now + 86400;
	assert_int_equal(reg_cert_add(f->reg, &c, &f->err), 0);
	assert_int_equal(
		reg_cert_revoke(f->reg, "aa02", REG_REASON_KEY_COMPROMISE, now - 10, &f->err), 0);
	fill_cert(&c, "aa03", w->retired.id);
	c.not_after = now - 86400;
	assert_int_equal(reg_cert_add(f->reg, &c, &f->err), 0);
	assert_int_equal(
		reg_cert_revoke(f->reg, "aa03", REG_REASON_CESSATION, now - 2 * 86400, &f->err), 0);
	fill_cert(&c, "bb01", w->bobs.id);
	assert_int_equal(reg_cert_add(f->reg, &c, &f->err), 0);
	assert_int_equal(reg_device_set_state(f->reg, w->revoked.id, BYOD_DEVICE_REVOKED, &f->err),
			 0);
	assert_int_equal(reg_device_set_state(f->reg, w->retired.id, BYOD_DEVICE_RETIRED, &f->err),
			 0);
	session(f, "z1", "02:00:00:00:01:01", "10.2.0.1", 1000, 2000);
	session(f, "z2", "02:00:00:00:01:02", "10.2.0.2", 1000, 0);
	session(f, "b1", "02:00:00:00:01:04", "10.2.0.3", 1000, 0);

	memset(&ws, 0, sizeof(ws));
	snprintf(ws.id_hash, sizeof(ws.id_hash), HASH("1"));
	ws.person = w->id;
	ws.created = ws.seen = now;
	assert_int_equal(reg_web_session_add(f->reg, &ws, &f->err), 0);
	assert_int_equal(reg_web_form_add(f->reg, HASH("1"), HASH("2"), now + 60, &f->err), 0);
	snprintf(ws.id_hash, sizeof(ws.id_hash), HASH("3"));
	ws.person = w->other;
	assert_int_equal(reg_web_session_add(f->reg, &ws, &f->err), 0);
	memset(&dl, 0, sizeof(dl));
	snprintf(dl.token_hash, sizeof(dl.token_hash), HASH("4"));
	snprintf(dl.device, sizeof(dl.device), "%s", w->live.id);
	snprintf(dl.filename, sizeof(dl.filename), "wifi.p12");
	snprintf(dl.type, sizeof(dl.type), "application/x-pkcs12");
	dl.data = (void *)data;
	dl.len = sizeof(data);
	dl.created = now;
	dl.expires = now + 600;
	assert_int_equal(reg_download_add(f->reg, &dl, &f->err), 0);
	assert_int_equal(reg_enrol_code_add(f->reg, HASH("5"), w->id, now + 600, &f->err), 0);
	assert_int_equal(reg_enrol_code_add(f->reg, HASH("6"), w->other, now + 600, &f->err), 0);
	memset(&th, 0, sizeof(th));
	th.failures = 2;
	th.last_failure = now;
	snprintf(th.key, sizeof(th.key), "login:zoelebrun");
	assert_int_equal(reg_throttle_put(f->reg, &th, &f->err), 0);
	snprintf(th.key, sizeof(th.key), "pair:zoelebrun 192.0.2.9");
	assert_int_equal(reg_throttle_put(f->reg, &th, &f->err), 0);
	snprintf(th.key, sizeof(th.key), "pair:bob 192.0.2.9");
	assert_int_equal(reg_throttle_put(f->reg, &th, &f->err), 0);
	memset(&u, 0, sizeof(u));
	snprintf(u.school, sizeof(u.school), UAI_A);
	snprintf(u.group, sizeof(u.group), "4B");
	u.teacher = w->id;
	u.starts = now;
	u.ends = now + 600;
	assert_int_equal(reg_unlock_add(f->reg, &u, &f->err), 0);
	/* geteduroam: her app's grant bound to her live phone, with its two
	 * tokens, and a code not yet used; Bob's grant */
	oauth_grant(f, w->id, 1, now, w->live.id);
	oauth_code(f, w->id, 2, now);
	oauth_grant(f, w->other, 3, now, w->bobs.id);
	/* the portal's actor names her */
	assert_int_equal(reg_set_actor(f->reg, "portal:zoelebrun"), 0);
	assert_int_equal(reg_device_rename(f->reg, w->live.id, "my phone", &f->err), 0);
	assert_int_equal(reg_set_actor(f->reg, "test"), 0);
}

static size_t rows_of(json_t *j, const char *key)
{
	return json_array_size(json_object_get(j, key));
}

/* The export lists every table's rows of hers, none of Bob's, and no
 * password hash. */
static void test_person_export(void **state)
{
	struct fx *f = *state;
	struct person_world w;
	json_t *j = NULL;
	char *text;

	person_world(f, &w);
	assert_int_equal(reg_person_set_password(f->reg, "zoelebrun", "$y$secret-hash", &f->err),
			 0);
	assert_int_equal(reg_person_export(f->reg, "zoelebrun", &j, &f->err), 0);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(j, "person"), "login")),
		"zoelebrun");
	assert_true(json_is_true(json_object_get(json_object_get(j, "person"), "password_set")));
	assert_int_equal(rows_of(j, "devices"), 3);
	assert_int_equal(rows_of(j, "certificates"), 3);
	assert_int_equal(rows_of(j, "sessions"), 2);
	assert_int_equal(rows_of(j, "portal_sessions"), 1);
	assert_int_equal(rows_of(j, "form_tokens"), 1);
	assert_int_equal(rows_of(j, "downloads"), 1);
	assert_int_equal(rows_of(j, "enrolment_codes"), 1);
	assert_int_equal(rows_of(j, "throttle"), 2);
	assert_int_equal(rows_of(j, "unlocks"), 1);
	assert_int_equal(rows_of(j, "oauth_grants"), 1);
	assert_int_equal(rows_of(j, "oauth_codes"), 2);
	assert_int_equal(rows_of(j, "oauth_tokens"), 2);
	assert_true(rows_of(j, "audit") >= 10); /* person, 3 devices, 3 certs, 2 revokes, ... */
	assert_true(rows_of(j, "events") >= 8);
	text = json_dumps(j, JSON_COMPACT);
	assert_null(strstr(text, "secret-hash"));
	assert_null(strstr(text, "password_hash"));
	assert_null(strstr(text, "\"bob\""));
	assert_null(strstr(text, w.bobs.id));
	assert_null(strstr(text, "bb01"));
	assert_non_null(strstr(text, "portal:zoelebrun"));
	/* what was granted, never a hash of a code or token */
	assert_null(
		strstr(text, "00000000000000000000000000000000000000000000000000000000000007d1"));
	assert_null(
		strstr(text, "0000000000000000000000000000000000000000000000000000000000000001"));
	free(text);
	json_decref(j);
	assert_int_equal(reg_person_export(f->reg, "nobody", &j, &f->err), -ENOENT);
	assert_null(j);
}

struct serials {
	int n;
	char v[MAXN][REG_SERIAL_MAX];
	char dev[MAXN][REG_ID_MAX];
};

static int collect_serial(const struct reg_cert *c, void *arg)
{
	struct serials *s = arg;

	assert_true(s->n < MAXN);
	snprintf(s->dev[s->n], REG_ID_MAX, "%s", c->device);
	snprintf(s->v[s->n++], REG_SERIAL_MAX, "%s", c->serial);
	return 0;
}

static int has_serial(const struct serials *s, const char *serial)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], serial))
			return 1;
	return 0;
}

/* After the removal no row of any table names her login, and no column
 * that holds a person's id holds hers; her sessions are kept without
 * their device; her revoked certificate still valid stays on the CRL, the
 * ended one does not; Bob keeps everything. */
static void test_person_remove(void **state)
{
	struct fx *f = *state;
	struct person_world w;
	struct reg_remove_report r;
	struct serials crl = {0};
	char *before, *after, sql[1024];
	int sessions;

	person_world(f, &w);
	sessions = (int)count(f, "SELECT COUNT(*) FROM sessions");
	before = dump_all(f);
	assert_non_null(strstr(before, "zoelebrun"));
	free(before);

	/* a live device: refused, nothing changed */
	assert_int_equal(reg_person_remove(f->reg, "zoelebrun", "anon-1", "person.erase",
					   time(NULL), &r, &f->err),
			 -EBUSY);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM devices"), 4);
	assert_int_equal(reg_person_remove(f->reg, "zoelebrun", "zoelebrun", "person.erase",
					   time(NULL), &r, &f->err),
			 -EINVAL);
	assert_int_equal(reg_person_remove(f->reg, "nobody", "anon-1", "person.erase", time(NULL),
					   &r, &f->err),
			 -ENOENT);
	assert_int_equal(reg_device_set_state(f->reg, w.live.id, BYOD_DEVICE_REVOKED, &f->err), 0);
	assert_int_equal(reg_cert_revoke(f->reg, "aa01", REG_REASON_CESSATION, time(NULL), &f->err),
			 0);

	assert_int_equal(reg_person_remove(f->reg, "zoelebrun", "anon-1", "person.erase",
					   time(NULL), &r, &f->err),
			 0);
	assert_int_equal(r.devices, 3);
	assert_int_equal(r.certs, 3);
	assert_int_equal(r.crl_kept, 2); /* aa01 and aa02; aa03 has ended */
	assert_int_equal(r.sessions, 2);
	assert_int_equal(r.unlocks, 1);
	/* her grant (its tokens went when her phone was revoked) and two codes */
	assert_int_equal(r.oauth, 3);
	assert_true(r.audit > 5);

	after = dump_all(f);
	assert_null(strstr(after, "zoelebrun"));
	assert_null(strstr(after, "Zoe Lebrun"));
	assert_non_null(strstr(after, "anon-1"));
	assert_non_null(strstr(after, "portal:anon-1"));
	free(after);
	/* her id, in every column that holds a person's id */
	snprintf(sql, sizeof(sql),
		 "SELECT (SELECT COUNT(*) FROM people WHERE id = %lld) + "
		 "(SELECT COUNT(*) FROM devices WHERE owner = %lld) + "
		 "(SELECT COUNT(*) FROM web_sessions WHERE person = %lld) + "
		 "(SELECT COUNT(*) FROM enrol_codes WHERE person = %lld) + "
		 "(SELECT COUNT(*) FROM unlocks WHERE teacher = %lld) + "
		 "(SELECT COUNT(*) FROM oauth_grants WHERE person = %lld) + "
		 "(SELECT COUNT(*) FROM oauth_codes WHERE person = %lld)",
		 (long long)w.id, (long long)w.id, (long long)w.id, (long long)w.id,
		 (long long)w.id, (long long)w.id, (long long)w.id);
	assert_int_equal(count(f, sql), 0);
	/* nor in the audit's JSON: the person's "id" (a person's object, not an
	 * unlock's of the same number) and the devices' "owner" */
	snprintf(sql, sizeof(sql),
		 "SELECT COUNT(*) FROM audit WHERE after_json LIKE '%%\"owner\":%lld,%%' "
		 "OR before_json LIKE '%%\"owner\":%lld,%%' "
		 "OR after_json LIKE '{\"id\":%lld,\"login\"%%' "
		 "OR before_json LIKE '{\"id\":%lld,\"login\"%%'",
		 (long long)w.id, (long long)w.id, (long long)w.id, (long long)w.id);
	assert_int_equal(count(f, sql), 0);
	/* the followers are told: each device and certificate removed */
	assert_int_equal(count(f, "SELECT COUNT(*) FROM events WHERE kind = 'device.erase'"), 3);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM events WHERE kind = 'cert.erase'"), 3);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM events WHERE kind = 'person.erase' "
				  "AND object = 'anon-1'"),
			 1);
	/* the accounting is kept, unlinked */
	assert_int_equal(count(f, "SELECT COUNT(*) FROM sessions"), sessions);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM sessions WHERE device IS NULL"), 2);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM web_forms"), 0);
	/* the CRL */
	assert_int_equal(reg_cert_list_revoked(f->reg, collect_serial, &crl, &f->err), 0);
	assert_true(has_serial(&crl, "aa01"));
	assert_true(has_serial(&crl, "aa02"));
	assert_false(has_serial(&crl, "aa03"));
	assert_false(has_serial(&crl, "bb01"));
	/* Bob's */
	assert_int_equal(count(f, "SELECT COUNT(*) FROM devices"), 1);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM certificates"), 1);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM web_sessions"), 1);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM enrol_codes"), 1);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM web_throttle"), 1);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM oauth_grants"), 1);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM oauth_tokens"), 2);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM oauth_codes"), 1);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM sessions WHERE device IS NOT NULL"), 1);
	/* the removal's own audit row: counts, the pseudonym */
	assert_int_equal(count(f, "SELECT COUNT(*) FROM audit WHERE action = 'person.erase' "
				  "AND object = 'anon-1' AND school = '" UAI_A "'"),
			 1);
	{
		struct reg_person gone;

		assert_int_equal(reg_person_get(f->reg, "zoelebrun", &gone, &f->err), -ENOENT);
	}
}

/* Whether any audit row holds needle in its actor, object or
 * before/after (skipping the rows whose actor is skip_actor). */
static int audit_holds(struct fx *f, const char *needle, const char *skip_actor)
{
	static const char *const cols[] = {"actor", "object", "before_json", "after_json"};
	json_t *rows = json_array(), *row;
	size_t i, c;
	int n = 0;

	assert_int_equal(f->reg->be->ops->rows_json(f->reg->be, "reading", "SELECT * FROM audit", 0,
						    NULL, rows, &f->err),
			 0);
	json_array_foreach(rows, i, row)
	{
		const char *actor = json_string_value(json_object_get(row, "actor"));

		if (skip_actor && actor && !strcmp(actor, skip_actor))
			continue;
		for (c = 0; c < sizeof(cols) / sizeof(cols[0]); c++) {
			const char *v = json_string_value(json_object_get(row, cols[c]));

			n += v && strstr(v, needle);
		}
	}
	json_decref(rows);
	return n;
}

/* Logins holding '"', a backslash, ':' or LIKE's wildcards: every audit
 * row naming them is found (the raw and the JSON-encoded login, LIKE's
 * characters escaped), the portal's and a teacher's actor renamed, an
 * administrator's account of the same name left alone, and the name and
 * MAC of their devices blanked in those devices' rows. */
static void test_remove_odd_logins(void **state)
{
	static const char *const logins[] = {"zo\"e", "zo\\e", "zo:e", "z%_:\"\\o"};
	struct fx *f = *state;
	size_t i;

	for (i = 0; i < sizeof(logins) / sizeof(logins[0]); i++) {
		const char *login = logins[i];
		char actor[REG_LOGIN_MAX + 16], admin[REG_LOGIN_MAX + 16], mac[24], pseudo[32];
		char *enc, *dump;
		struct reg_remove_report r;
		struct reg_device d;
		json_t *j;
		int64_t id;

		id = add_person(f, login);
		snprintf(mac, sizeof(mac), "02:00:00:00:0f:%02x", (unsigned)i);
		add_device(f, id,
			   "iPhone de L\xc3\xa9"
			   "a",
			   mac, &d);
		snprintf(actor, sizeof(actor), "portal:%s", login);
		assert_int_equal(reg_set_actor(f->reg, actor), 0);
		assert_int_equal(reg_device_rename(f->reg, d.id,
						   "iPhone de L\xc3\xa9"
						   "a 2",
						   &f->err),
				 0);
		snprintf(actor, sizeof(actor), "teacher:%s", login);
		assert_int_equal(reg_set_actor(f->reg, actor), 0);
		j = json_pack("{s:s}", "member", login);
		enc = json_dumps(j, JSON_COMPACT);
		assert_int_equal(reg_audit_add(f->reg, "test.unlock", "4B", NULL, enc, &f->err), 0);
		free(enc);
		json_decref(j);
		/* an administrator of the same name is someone else */
		snprintf(admin, sizeof(admin), "admin:%s", login);
		assert_int_equal(reg_set_actor(f->reg, admin), 0);
		assert_int_equal(reg_audit_add(f->reg, "test.admin", "x", NULL, NULL, &f->err), 0);
		assert_int_equal(reg_set_actor(f->reg, "test"), 0);
		assert_int_equal(reg_device_set_state(f->reg, d.id, BYOD_DEVICE_REVOKED, &f->err),
				 0);

		/* how jansson writes the login inside a JSON string */
		j = json_string(login);
		enc = json_dumps(j, JSON_ENCODE_ANY);
		json_decref(j);
		enc[strlen(enc) - 1] = '\0';
		assert_true(audit_holds(f, enc + 1, admin) > 0);
		assert_true(audit_holds(f, login, admin) > 0);

		snprintf(pseudo, sizeof(pseudo), "anon-%zu", i);
		assert_int_equal(reg_person_remove(f->reg, login, pseudo, "person.erase",
						   time(NULL), &r, &f->err),
				 0);
		assert_int_equal(audit_holds(f, enc + 1, admin), 0);
		assert_int_equal(audit_holds(f, login, admin), 0);
		free(enc);
		snprintf(actor, sizeof(actor), "portal:%s", pseudo);
		assert_true(audit_holds(f, actor, NULL) > 0);
		snprintf(actor, sizeof(actor), "teacher:%s", pseudo);
		assert_true(audit_holds(f, actor, NULL) > 0);
		assert_int_equal(audit_holds(f, admin, NULL), 1);
		/* the device's own rows: neither its name nor its MAC */
		dump = dump_all(f);
		assert_null(strstr(dump, "iPhone de L"));
		assert_null(strstr(dump, mac));
		free(dump);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_audit_purge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_purges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connections, setup, teardown),
		cmocka_unit_test_setup_teardown(test_person_export, setup, teardown),
		cmocka_unit_test_setup_teardown(test_person_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove_odd_logins, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
