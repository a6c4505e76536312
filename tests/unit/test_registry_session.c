// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the registry's RADIUS accounting sessions: Start,
 * Interim-Update and Stop in every order UDP delivers them, unknown
 * sessions kept, a NAS reusing an Acct-Session-Id, listing, the legal
 * retention purge, bad input; and the migration that added their indexes.
 */
#include "registry_fixture.h"

/* ---- RADIUS accounting sessions ------------------------------------------ */

#define MAC_1 "aa:bb:cc:00:00:01"
#define MAC_2 "aa:bb:cc:00:00:02"

static void fill_session(struct reg_session *s, const char *sid, const char *nas_ip,
			 const char *nas_id, const char *mac, const char *serial)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->session_id, sizeof(s->session_id), "%s", sid);
	snprintf(s->nas_ip, sizeof(s->nas_ip), "%s", nas_ip ? nas_ip : "");
	snprintf(s->nas_id, sizeof(s->nas_id), "%s", nas_id ? nas_id : "");
	snprintf(s->mac, sizeof(s->mac), "%s", mac ? mac : "");
	snprintf(s->serial, sizeof(s->serial), "%s", serial ? serial : "");
}

struct sessions {
	int n;
	struct reg_session v[MAXN];
};

static int collect_session(const struct reg_session *ss, void *arg)
{
	struct sessions *c = arg;

	assert_true(c->n < MAXN);
	c->v[c->n++] = *ss;
	return 0;
}

static struct sessions session_list(struct fx *f, int open_only, const char *device)
{
	struct sessions c;

	memset(&c, 0, sizeof(c));
	assert_int_equal(reg_session_list(f->reg, open_only, device, collect_session, &c, &f->err),
			 0);
	return c;
}

static int64_t last_seq(struct fx *f)
{
	int64_t seq = -1;

	assert_int_equal(reg_events_last(f->reg, &seq, &f->err), 0);
	return seq;
}

static void assert_same_session(const struct reg_session *a, const struct reg_session *b)
{
	assert_int_equal(a->id, b->id);
	assert_string_equal(a->session_id, b->session_id);
	assert_string_equal(a->nas_ip, b->nas_ip);
	assert_string_equal(a->nas_id, b->nas_id);
	assert_string_equal(a->device, b->device);
	assert_string_equal(a->mac, b->mac);
	assert_string_equal(a->ip, b->ip);
	assert_string_equal(a->serial, b->serial);
	assert_int_equal(a->started, b->started);
	assert_int_equal(a->updated, b->updated);
	assert_int_equal(a->stopped, b->stopped);
	assert_int_equal(a->in_octets, b->in_octets);
	assert_int_equal(a->out_octets, b->out_octets);
	assert_int_equal(a->state, b->state);
}

/* A Start opens a row whose device is found by MAC (MAC authentication) or
 * by certificate serial (EAP-TLS), with a session.start event and no audit
 * row. */
static void test_session_start(void **state)
{
	struct fx *f = *state;
	struct reg_device d1, d2;
	struct reg_session s, got;
	struct reg_cert c;
	struct events e;
	int64_t alice, seq;
	int audits;
	char object[32];

	alice = add_person(f, "alice");
	add_device(f, alice, "Phone", MAC_1, &d1);
	add_device(f, alice, "Laptop", MAC_2, &d2);
	fill_cert(&c, "0a1b", d2.id);
	assert_int_equal(reg_cert_add(f->reg, &c, &f->err), 0);
	audits = audit_count(f);
	seq = last_seq(f);

	/* by MAC, in another spelling */
	fill_session(&s, "sess-1", "10.0.0.1", "ap-1", "AA-BB-CC-00-00-01", NULL);
	snprintf(s.ip, sizeof(s.ip), "10.1.2.3");
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_START, &s, &f->err), 0);
	assert_true(s.id > 0);
	assert_int_equal(s.state, REG_SESSION_OPEN);
	assert_string_equal(s.device, d1.id);
	assert_string_equal(s.mac, MAC_1);
	assert_true(s.started > 0);
	assert_int_equal(s.updated, s.started);
	assert_int_equal(s.stopped, 0);
	assert_int_equal(reg_session_get(f->reg, s.id, &got, &f->err), 0);
	assert_same_session(&got, &s);
	assert_string_equal(got.ip, "10.1.2.3");
	assert_string_equal(got.nas_id, "ap-1");

	e = events_since(f, seq, 0);
	assert_int_equal(e.n, 1);
	assert_string_equal(e.v[0].kind, "session.start");
	snprintf(object, sizeof(object), "%lld", (long long)s.id);
	assert_string_equal(e.v[0].object, object);
	assert_int_equal(audit_count(f), audits);

	/* by serial, which wins over the MAC of another device */
	fill_session(&s, "sess-2", "10.0.0.1", NULL, MAC_1, "00:0A:1B");
	s.started = 1700000000;
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_START, &s, &f->err), 0);
	assert_string_equal(s.device, d2.id);
	assert_string_equal(s.serial, "a1b");
	assert_int_equal(s.started, 1700000000);
	assert_int_equal(reg_session_get(f->reg, s.id, &got, &f->err), 0);
	assert_same_session(&got, &s);

	/* a serial nobody holds: not resolved by MAC either; nothing known: "" */
	fill_session(&s, "sess-3", "10.0.0.1", NULL, MAC_1, "ffff");
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_START, &s, &f->err), 0);
	assert_string_equal(s.device, "");
	fill_session(&s, "sess-4", "10.0.0.1", NULL, "aa:bb:cc:99:99:99", NULL);
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_START, &s, &f->err), 0);
	assert_string_equal(s.device, "");
	assert_string_equal(s.mac, "aa:bb:cc:99:99:99");
	assert_int_equal(reg_session_get(f->reg, s.id, &got, &f->err), 0);
	assert_string_equal(got.device, "");
	assert_string_equal(got.serial, "");

	/* a caller's device is never taken as is */
	fill_session(&s, "sess-5", "10.0.0.1", NULL, NULL, NULL);
	snprintf(s.device, sizeof(s.device), "%s", d1.id);
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_START, &s, &f->err), 0);
	assert_string_equal(s.device, "");

	e = events_since(f, seq, 0);
	assert_int_equal(e.n, 5);
	assert_int_equal(audit_count(f), audits);
}

/* An Interim-Update rewrites ip, counters and updated on the open row and
 * writes no event; an older one changes nothing. */
static void test_session_interim(void **state)
{
	struct fx *f = *state;
	struct reg_device d;
	struct reg_session s, got;
	int64_t id, seq;

	add_device(f, add_person(f, "alice"), "Phone", MAC_1, &d);
	fill_session(&s, "sess-1", "10.0.0.1", NULL, MAC_1, NULL);
	s.started = 1700000000;
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_START, &s, &f->err), 0);
	id = s.id;
	seq = last_seq(f);

	fill_session(&s, "sess-1", "10.0.0.1", NULL, NULL, NULL);
	snprintf(s.ip, sizeof(s.ip), "10.1.2.3");
	s.updated = 1700000300;
	s.in_octets = 5000000000LL; /* past 2^32: the Gigawords folded in */
	s.out_octets = 1234;
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_INTERIM, &s, &f->err), 0);
	assert_int_equal(s.id, id);
	assert_int_equal(reg_session_get(f->reg, id, &got, &f->err), 0);
	assert_int_equal(got.state, REG_SESSION_OPEN);
	assert_string_equal(got.ip, "10.1.2.3");
	assert_int_equal(got.in_octets, 5000000000LL);
	assert_int_equal(got.out_octets, 1234);
	assert_int_equal(got.started, 1700000000);
	assert_int_equal(got.updated, 1700000300);
	assert_int_equal(got.stopped, 0);
	/* what the Interim-Update lacks, the row keeps */
	assert_string_equal(got.mac, MAC_1);
	assert_string_equal(got.device, d.id);

	/* the NAS's counters are stored as they come, even lower */
	fill_session(&s, "sess-1", "10.0.0.1", NULL, NULL, NULL);
	s.updated = 1700000600;
	s.in_octets = 10;
	s.out_octets = 20;
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_INTERIM, &s, &f->err), 0);
	assert_int_equal(reg_session_get(f->reg, id, &got, &f->err), 0);
	assert_string_equal(got.ip, "10.1.2.3");
	assert_int_equal(got.in_octets, 10);
	assert_int_equal(got.updated, 1700000600);

	/* an Interim-Update older than the last one (reordered) changes nothing */
	s.updated = 1700000400;
	s.in_octets = 99;
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_INTERIM, &s, &f->err), 0);
	assert_int_equal(s.id, id);
	assert_int_equal(s.in_octets, 10);
	assert_int_equal(reg_session_get(f->reg, id, &got, &f->err), 0);
	assert_int_equal(got.in_octets, 10);
	assert_int_equal(got.updated, 1700000600);

	/* without a time, the packet's time is now */
	s.updated = 0;
	s.in_octets = 11;
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_INTERIM, &s, &f->err), 0);
	assert_true(s.updated >= time(NULL) - 5);
	assert_int_equal(s.in_octets, 11);

	assert_int_equal(last_seq(f), seq);
	assert_int_equal(session_list(f, 0, NULL).n, 1);
}

/* A Stop closes the row with its time and counters and writes
 * session.stop; repeated or late packets leave the closed row as it is; a
 * Start reusing the id after the stop is a new row. */
static void test_session_stop(void **state)
{
	struct fx *f = *state;
	struct reg_session s, got, closed, closed_again;
	struct events e;
	int64_t id, seq;
	char object[32];

	fill_session(&s, "sess-1", "10.0.0.1", "ap-1", MAC_1, NULL);
	s.started = 1700000000;
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_START, &s, &f->err), 0);
	id = s.id;
	seq = last_seq(f);

	fill_session(&s, "sess-1", "10.0.0.1", "ap-1", MAC_1, NULL);
	snprintf(s.ip, sizeof(s.ip), "10.1.2.3");
	s.stopped = 1700003600;
	s.in_octets = 700;
	s.out_octets = 800;
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_STOP, &s, &f->err), 0);
	assert_int_equal(s.id, id);
	assert_int_equal(reg_session_get(f->reg, id, &closed, &f->err), 0);
	assert_int_equal(closed.state, REG_SESSION_CLOSED);
	assert_int_equal(closed.started, 1700000000);
	assert_int_equal(closed.stopped, 1700003600);
	assert_int_equal(closed.updated, 1700003600);
	assert_int_equal(closed.in_octets, 700);
	assert_int_equal(closed.out_octets, 800);
	assert_string_equal(closed.ip, "10.1.2.3");
	e = events_since(f, seq, 0);
	assert_int_equal(e.n, 1);
	assert_string_equal(e.v[0].kind, "session.stop");
	snprintf(object, sizeof(object), "%lld", (long long)id);
	assert_string_equal(e.v[0].object, object);
	seq = last_seq(f);

	/* a repeated Stop, a late Interim-Update, a late Start: nothing changes */
	s.stopped = 1700003700;
	s.in_octets = 1;
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_STOP, &s, &f->err), 0);
	assert_int_equal(s.id, id);
	fill_session(&s, "sess-1", "10.0.0.1", "ap-1", NULL, NULL);
	s.updated = 1700003000;
	s.in_octets = 2;
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_INTERIM, &s, &f->err), 0);
	assert_int_equal(s.id, id);
	assert_same_session(&s, &closed);
	fill_session(&s, "sess-1", "10.0.0.1", "ap-1", NULL, NULL);
	s.started = 1700000000;
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_START, &s, &f->err), 0);
	assert_int_equal(s.id, id);
	assert_int_equal(reg_session_get(f->reg, id, &got, &f->err), 0);
	assert_same_session(&got, &closed);
	assert_int_equal(last_seq(f), seq);

	/* a Start for the same key in the very second of the Stop (hostapd
	 * authenticating a station again at once keeps its id): a new row */
	fill_session(&s, "sess-1", "10.0.0.1", "ap-1", NULL, NULL);
	s.started = closed.stopped;
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_START, &s, &f->err), 0);
	assert_true(s.id > id);
	assert_int_equal(s.state, REG_SESSION_OPEN);
	fill_session(&s, "sess-1", "10.0.0.1", "ap-1", NULL, NULL);
	s.stopped = closed.stopped + 1;
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_STOP, &s, &f->err), 0);
	assert_int_equal(s.state, REG_SESSION_CLOSED);
	closed_again = s;
	/* but a repeated Stop of it, starting when it started, changes nothing */
	fill_session(&s, "sess-1", "10.0.0.1", "ap-1", NULL, NULL);
	s.started = closed.stopped;
	s.stopped = closed.stopped + 1;
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_STOP, &s, &f->err), 0);
	assert_int_equal(s.id, closed_again.id);
	assert_int_equal(session_list(f, 0, NULL).n, 2);

	/* the NAS reuses the id for a later session: a new row */
	fill_session(&s, "sess-1", "10.0.0.1", "ap-1", MAC_2, NULL);
	s.started = 1700010000;
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_START, &s, &f->err), 0);
	assert_true(s.id > id);
	assert_int_equal(s.state, REG_SESSION_OPEN);
	assert_int_equal(reg_session_get(f->reg, id, &got, &f->err), 0);
	assert_same_session(&got, &closed);
	/* and its Stop closes the new one */
	fill_session(&s, "sess-1", "10.0.0.1", "ap-1", NULL, NULL);
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_STOP, &s, &f->err), 0);
	assert_true(s.id > id);
	assert_int_equal(s.state, REG_SESSION_CLOSED);
	assert_true(s.stopped >= time(NULL) - 5);
	assert_int_equal(session_list(f, 0, NULL).n, 3);
	assert_int_equal(session_list(f, 1, NULL).n, 0);
}

/* Interim-Update and Stop for a session whose Start was never seen create
 * the row: a record is kept, never dropped. */
static void test_session_unknown(void **state)
{
	struct fx *f = *state;
	struct reg_device d;
	struct reg_session s, got;
	struct events e;
	int64_t seq;

	add_device(f, add_person(f, "alice"), "Phone", MAC_1, &d);
	seq = last_seq(f);
	fill_session(&s, "lost-start", "10.0.0.1", NULL, MAC_1, NULL);
	snprintf(s.ip, sizeof(s.ip), "10.1.2.3");
	s.started = 1700000000;
	s.updated = 1700000300;
	s.in_octets = 5;
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_INTERIM, &s, &f->err), 0);
	assert_true(s.id > 0);
	assert_int_equal(reg_session_get(f->reg, s.id, &got, &f->err), 0);
	assert_int_equal(got.state, REG_SESSION_OPEN);
	assert_int_equal(got.started, 1700000000);
	assert_int_equal(got.updated, 1700000300);
	assert_int_equal(got.in_octets, 5);
	assert_string_equal(got.ip, "10.1.2.3");
	assert_string_equal(got.device, d.id);
	assert_int_equal(last_seq(f), seq);

	/* the late Start refreshes that open row without losing its counters */
	fill_session(&s, "lost-start", "10.0.0.1", NULL, MAC_1, NULL);
	s.started = 1699999990;
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_START, &s, &f->err), 0);
	assert_int_equal(s.id, got.id);
	assert_int_equal(s.started, 1699999990);
	assert_int_equal(s.updated, 1700000300);
	assert_int_equal(s.in_octets, 5);

	fill_session(&s, "lost-all", "10.0.0.2", NULL, NULL, NULL);
	s.stopped = 1700005000;
	s.out_octets = 9;
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_STOP, &s, &f->err), 0);
	assert_true(s.id > got.id);
	assert_int_equal(reg_session_get(f->reg, s.id, &got, &f->err), 0);
	assert_int_equal(got.state, REG_SESSION_CLOSED);
	assert_int_equal(got.stopped, 1700005000);
	assert_int_equal(got.started, 1700005000);
	assert_int_equal(got.out_octets, 9);
	assert_string_equal(got.device, "");

	e = events_since(f, seq, 0);
	assert_int_equal(e.n, 2);
	assert_string_equal(e.v[0].kind, "session.start");
	assert_string_equal(e.v[1].kind, "session.stop");
}

/* The key is (session id, NAS address, NAS-Identifier): one id on two NASes
 * is two sessions; one NAS address is one key however it is written. */
static void test_session_two_nas(void **state)
{
	struct fx *f = *state;
	struct reg_session a, b, c, v6, got;

	fill_session(&a, "same", "10.0.0.1", NULL, NULL, NULL);
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_START, &a, &f->err), 0);
	fill_session(&b, "same", "10.0.0.2", NULL, NULL, NULL);
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_START, &b, &f->err), 0);
	fill_session(&c, "same", "10.0.0.1", "ap-2", NULL, NULL);
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_START, &c, &f->err), 0);
	assert_true(a.id != b.id && a.id != c.id && b.id != c.id);

	fill_session(&b, "same", "10.0.0.2", NULL, NULL, NULL);
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_STOP, &b, &f->err), 0);
	assert_int_equal(reg_session_get(f->reg, a.id, &got, &f->err), 0);
	assert_int_equal(got.state, REG_SESSION_OPEN);
	assert_int_equal(reg_session_get(f->reg, c.id, &got, &f->err), 0);
	assert_int_equal(got.state, REG_SESSION_OPEN);
	assert_int_equal(reg_session_get(f->reg, b.id, &got, &f->err), 0);
	assert_int_equal(got.state, REG_SESSION_CLOSED);

	fill_session(&v6, "v6", "2001:DB8:0:0::1", NULL, NULL, NULL);
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_START, &v6, &f->err), 0);
	assert_string_equal(v6.nas_ip, "2001:db8::1");
	fill_session(&got, "v6", "2001:db8::1", NULL, NULL, NULL);
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_STOP, &got, &f->err), 0);
	assert_int_equal(got.id, v6.id);
	assert_int_equal(session_list(f, 0, NULL).n, 4);
	assert_int_equal(session_list(f, 1, NULL).n, 2);
}

/* Lists are newest first, and filter on open sessions and on a device. */
static void test_session_list(void **state)
{
	struct fx *f = *state;
	struct reg_device d1, d2;
	struct reg_session s;
	struct sessions l;
	int64_t alice;
	char upper[REG_ID_MAX];
	int i;

	alice = add_person(f, "alice");
	add_device(f, alice, "Phone", MAC_1, &d1);
	add_device(f, alice, "Laptop", MAC_2, &d2);
	/* s1 d1 closed (1000), s2 d2 open (2000), s3 d1 open (3000), s4 unknown open (4000) */
	fill_session(&s, "s1", "10.0.0.1", NULL, MAC_1, NULL);
	s.started = 1000;
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_START, &s, &f->err), 0);
	s.stopped = 1500;
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_STOP, &s, &f->err), 0);
	fill_session(&s, "s2", "10.0.0.1", NULL, MAC_2, NULL);
	s.started = 2000;
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_START, &s, &f->err), 0);
	fill_session(&s, "s4", "10.0.0.1", NULL, NULL, NULL);
	s.started = 4000;
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_START, &s, &f->err), 0);
	fill_session(&s, "s3", "10.0.0.1", NULL, MAC_1, NULL);
	s.started = 3000;
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_START, &s, &f->err), 0);

	l = session_list(f, 0, NULL);
	assert_int_equal(l.n, 4);
	assert_string_equal(l.v[0].session_id, "s4");
	assert_string_equal(l.v[1].session_id, "s3");
	assert_string_equal(l.v[2].session_id, "s2");
	assert_string_equal(l.v[3].session_id, "s1");
	for (i = 1; i < l.n; i++)
		assert_true(l.v[i - 1].started >= l.v[i].started);

	l = session_list(f, 1, NULL);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[0].session_id, "s4");
	assert_string_equal(l.v[2].session_id, "s2");

	l = session_list(f, 0, d1.id);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].session_id, "s3");
	assert_string_equal(l.v[1].session_id, "s1");
	assert_int_equal(l.v[1].state, REG_SESSION_CLOSED);
	for (i = 0; d1.id[i]; i++)
		upper[i] = (char)((d1.id[i] >= 'a' && d1.id[i] <= 'f') ? d1.id[i] - 32 : d1.id[i]);
	upper[i] = '\0';
	l = session_list(f, 1, upper);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].session_id, "s3");
	l = session_list(f, 1, d2.id);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].session_id, "s2");

	assert_int_equal(reg_session_list(f->reg, 0, "not-a-uuid", collect_session, &l, &f->err),
			 -EINVAL);
	assert_int_equal(reg_session_get(f->reg, 999999, &s, &f->err), -ENOENT);
	assert_non_null(strstr(f->err.msg, "no session"));
}

/* One school's people, devices and sessions on a registry shared by two
 * (and people of none), selected by the database: the lists a gateway of
 * one school reads; a bad UAI refused. */
static int64_t person_at(struct fx *f, const char *login, const char *school)
{
	struct reg_person p;

	fill_person(&p, login, school);
	assert_int_equal(reg_person_add(f->reg, &p, &f->err), 0);
	return p.id;
}

static void start_session(struct fx *f, const char *sid, const char *mac, time_t started)
{
	struct reg_session s;

	fill_session(&s, sid, "10.0.0.1", NULL, mac, NULL);
	s.started = started;
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_START, &s, &f->err), 0);
}

static void test_school_lists(void **state)
{
	struct fx *f = *state;
	struct reg_device da, da2, db, dn;
	struct reg_device_filter flt = {.owner_login = NULL, .state = -1, .school = UAI_A};
	struct reg_session s;
	struct sessions l;
	struct names c;
	int64_t a1, a2, b1, none;

	add_school(f, UAI_A, "Collège A");
	add_school(f, UAI_B, "Collège B");
	a1 = person_at(f, "anna", UAI_A);
	b1 = person_at(f, "boris", UAI_B);
	a2 = person_at(f, "arno", UAI_A);
	none = person_at(f, "nobody", NULL);
	add_device(f, a1, "A phone", MAC_1, &da);
	add_device(f, b1, "B phone", MAC_2, &db);
	add_device(f, a2, "A laptop", NULL, &da2);
	add_device(f, none, "No school's", "aa:bb:cc:00:00:03", &dn);
	assert_int_equal(reg_device_set_state(f->reg, da2.id, BYOD_DEVICE_SUSPENDED, &f->err), 0);

	memset(&c, 0, sizeof(c));
	assert_int_equal(reg_person_list_school(f->reg, UAI_A, collect_person, &c, &f->err), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.v[0], "anna");
	assert_string_equal(c.v[1], "arno");
	memset(&c, 0, sizeof(c));
	assert_int_equal(reg_person_list_school(f->reg, UAI_B, collect_person, &c, &f->err), 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.v[0], "boris");
	memset(&c, 0, sizeof(c));
	assert_int_equal(reg_person_list_school(f->reg, "0139999Z", collect_person, &c, &f->err),
			 0);
	assert_int_equal(c.n, 0);
	assert_int_equal(reg_person_list_school(f->reg, "nope", collect_person, &c, &f->err),
			 -EINVAL);

	memset(&c, 0, sizeof(c));
	assert_int_equal(reg_device_list(f->reg, &flt, collect_device, &c, &f->err), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.v[0], "A phone");
	assert_string_equal(c.v[1], "A laptop");
	memset(&c, 0, sizeof(c));
	flt.state = BYOD_DEVICE_SUSPENDED;
	assert_int_equal(reg_device_list(f->reg, &flt, collect_device, &c, &f->err), 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.v[0], "A laptop");
	memset(&c, 0, sizeof(c));
	flt.state = -1;
	flt.owner_login = "boris"; /* of another school: none */
	assert_int_equal(reg_device_list(f->reg, &flt, collect_device, &c, &f->err), 0);
	assert_int_equal(c.n, 0);
	flt.school = UAI_B;
	assert_int_equal(reg_device_list(f->reg, &flt, collect_device, &c, &f->err), 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.v[0], "B phone");
	flt.school = "0751234";
	assert_int_equal(reg_device_list(f->reg, &flt, collect_device, &c, &f->err), -EINVAL);

	/* sessions: A's phone twice (one closed), B's, no school's, no device's */
	start_session(f, "a-old", MAC_1, 1000);
	fill_session(&s, "a-old", "10.0.0.1", NULL, MAC_1, NULL);
	s.stopped = 1500;
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_STOP, &s, &f->err), 0);
	start_session(f, "b", MAC_2, 2000);
	start_session(f, "a-new", MAC_1, 3000);
	start_session(f, "n", "aa:bb:cc:00:00:03", 4000);
	start_session(f, "unknown", "aa:bb:cc:00:00:09", 5000);
	assert_int_equal(session_list(f, 1, NULL).n, 4);

	memset(&l, 0, sizeof(l));
	assert_int_equal(reg_session_list_school(f->reg, 1, UAI_A, collect_session, &l, &f->err),
			 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].session_id, "a-new");
	assert_string_equal(l.v[0].device, da.id);
	memset(&l, 0, sizeof(l));
	assert_int_equal(reg_session_list_school(f->reg, 0, UAI_A, collect_session, &l, &f->err),
			 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].session_id, "a-new");
	assert_string_equal(l.v[1].session_id, "a-old");
	assert_int_equal(l.v[1].state, REG_SESSION_CLOSED);
	memset(&l, 0, sizeof(l));
	assert_int_equal(reg_session_list_school(f->reg, 1, UAI_B, collect_session, &l, &f->err),
			 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].session_id, "b");
	assert_string_equal(l.v[0].device, db.id);
	assert_int_equal(reg_session_list_school(f->reg, 1, "x", collect_session, &l, &f->err),
			 -EINVAL);
	assert_int_equal(reg_session_list_school(f->reg, 1, NULL, collect_session, &l, &f->err),
			 -EINVAL);
}

/* A year of accounting: more sessions than one batch of the PostgreSQL
 * cursor (10,000), listed whole and newest first, each once; a callback may
 * read the registry while the list streams, and its non-zero return stops
 * the list and is returned. */
#define MANY_SESSIONS 25000

struct many {
	struct fx *f;
	int n, bad_order, stop_at;
	int64_t last_started, sum_ids;
};

static int count_session(const struct reg_session *ss, void *arg)
{
	struct many *m = arg;
	struct reg_session again;

	if (m->n && ss->started > m->last_started)
		m->bad_order++;
	m->last_started = ss->started;
	m->sum_ids += ss->id;
	m->n++;
	if (m->n % 9999 == 0) {
		assert_int_equal(reg_session_get(m->f->reg, ss->id, &again, &m->f->err), 0);
		assert_string_equal(again.session_id, ss->session_id);
	}
	return m->stop_at && m->n == m->stop_at ? 7 : 0;
}

static void test_session_list_many(void **state)
{
	struct fx *f = *state;
	struct many m = {.f = f};
	raw_db *db = raw_open(f->path);

	raw_exec(db, "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c "
		     "WHERE i < 25000) "
		     "INSERT INTO sessions (session_id, nas_ip, mac, started, updated, state) "
		     "SELECT 'many-' || i, '10.0.0.1', 'aa:bb:cc:00:00:01', 1000000 + i, "
		     "1000000 + i, CASE WHEN i % 2 = 0 THEN 'open' ELSE 'closed' END FROM c");
	assert_int_equal(raw_int(db, "SELECT count(*) FROM sessions"), MANY_SESSIONS);
	raw_close(db);

	assert_int_equal(reg_session_list(f->reg, 0, NULL, count_session, &m, &f->err), 0);
	assert_int_equal(m.n, MANY_SESSIONS);
	assert_int_equal(m.bad_order, 0);
	assert_int_equal(m.last_started, 1000001);
	/* every row once: the ids are 1..n in some order */
	assert_int_equal(m.sum_ids, (int64_t)MANY_SESSIONS * (MANY_SESSIONS + 1) / 2);

	memset(&m, 0, sizeof(m));
	m.f = f;
	assert_int_equal(reg_session_list(f->reg, 1, NULL, count_session, &m, &f->err), 0);
	assert_int_equal(m.n, MANY_SESSIONS / 2);
	assert_int_equal(m.bad_order, 0);

	memset(&m, 0, sizeof(m));
	m.f = f;
	m.stop_at = 12345;
	assert_int_equal(reg_session_list(f->reg, 0, NULL, count_session, &m, &f->err), 7);
	assert_int_equal(m.n, 12345);
	/* the registry is usable after a list stopped halfway */
	memset(&m, 0, sizeof(m));
	m.f = f;
	assert_int_equal(reg_session_list(f->reg, 1, NULL, count_session, &m, &f->err), 0);
	assert_int_equal(m.n, MANY_SESSIONS / 2);
}

/* A purge deletes the sessions ended before the cutoff: closed ones by
 * their Stop, open ones silent since before it (their last update plus
 * REG_SESSION_OPEN_MARGIN), and leaves an audit row when it deleted
 * something. */
static void test_session_purge(void **state)
{
	struct fx *f = *state;
	struct reg_session s, old_open;
	struct sessions l;
	struct audits a;
	int deleted = -1, audits;
	int64_t seq;

	fill_session(&s, "c1", "10.0.0.1", NULL, NULL, NULL);
	s.stopped = 1000;
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_STOP, &s, &f->err), 0);
	fill_session(&s, "c2", "10.0.0.1", NULL, NULL, NULL);
	s.stopped = 2999;
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_STOP, &s, &f->err), 0);
	fill_session(&s, "c3", "10.0.0.1", NULL, NULL, NULL);
	s.stopped = 3000;
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_STOP, &s, &f->err), 0);
	fill_session(&old_open, "o1", "10.0.0.1", NULL, NULL, NULL);
	old_open.started = 500;
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_START, &old_open, &f->err), 0);
	/* o1 is still heard of (an interim update at 2900); o2's Stop was
	 * lost, silent since 100: it ended there */
	old_open.updated = 2900;
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_INTERIM, &old_open, &f->err), 0);
	fill_session(&s, "o2", "10.0.0.2", NULL, NULL, NULL);
	s.started = 100;
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_START, &s, &f->err), 0);
	audits = audit_count(f);
	seq = last_seq(f);

	assert_int_equal(reg_session_purge(f->reg, 3000, &deleted, &f->err), 0);
	assert_int_equal(deleted, 3);
	l = session_list(f, 0, NULL);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].session_id, "c3");
	assert_string_equal(l.v[1].session_id, "o1");
	assert_int_equal(reg_session_get(f->reg, old_open.id, &s, &f->err), 0);

	assert_int_equal(audit_count(f), audits + 1);
	memset(&a, 0, sizeof(a));
	assert_int_equal(reg_audit_list(f->reg, 1, collect_audit, &a, &f->err), 0);
	assert_string_equal(a.v[0].action, "session.purge");
	assert_non_null(strstr(a.v[0].after, "\"deleted\":3"));
	audits_free(&a);
	assert_int_equal(last_seq(f), seq);

	/* nothing more to delete: no audit row */
	assert_int_equal(reg_session_purge(f->reg, 3000, &deleted, &f->err), 0);
	assert_int_equal(deleted, 0);
	assert_int_equal(audit_count(f), audits + 1);
	assert_int_equal(reg_session_purge(f->reg, -1, &deleted, &f->err), -EINVAL);

	/* inside a rolled-back transaction nothing is deleted */
	assert_int_equal(reg_begin(f->reg, &f->err), 0);
	assert_int_equal(reg_session_purge(f->reg, 4000, &deleted, &f->err), 0);
	assert_int_equal(deleted, 1);
	reg_rollback(f->reg);
	assert_int_equal(session_list(f, 0, NULL).n, 2);
}

/* Bad input is -EINVAL and writes nothing. */
static void test_session_bad_input(void **state)
{
	struct fx *f = *state;
	struct reg_session s, copy;
	int64_t seq = last_seq(f);
	int audits = audit_count(f);

	fill_session(&s, "", "10.0.0.1", NULL, MAC_1, NULL);
	copy = s;
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_START, &s, &f->err), -EINVAL);
	assert_non_null(strstr(f->err.msg, "Acct-Session-Id"));
	assert_memory_equal(&s, &copy, sizeof(s));

	fill_session(&s, "x", "10.0.0.1", NULL, "zz:bb:cc:00:00:01", NULL);
	copy = s;
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_START, &s, &f->err), -EINVAL);
	assert_non_null(strstr(f->err.msg, "MAC"));
	assert_memory_equal(&s, &copy, sizeof(s));
	fill_session(&s, "x", "10.0.0.1", NULL, "aa:bb:cc:00:00", NULL);
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_STOP, &s, &f->err), -EINVAL);

	fill_session(&s, "x", "10.0.0.1", NULL, NULL, "xyz");
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_START, &s, &f->err), -EINVAL);
	fill_session(&s, "x", "300.0.0.1", NULL, NULL, NULL);
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_INTERIM, &s, &f->err), -EINVAL);
	fill_session(&s, "x", "10.0.0.1", NULL, NULL, NULL);
	snprintf(s.ip, sizeof(s.ip), "not an address");
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_START, &s, &f->err), -EINVAL);
	fill_session(&s, "x", "10.0.0.1", "ap\n1", NULL, NULL);
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_START, &s, &f->err), -EINVAL);
	fill_session(&s, "x", "10.0.0.1", NULL, NULL, NULL);
	s.in_octets = -1;
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_INTERIM, &s, &f->err), -EINVAL);
	fill_session(&s, "x", "10.0.0.1", NULL, NULL, NULL);
	s.started = -5;
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_START, &s, &f->err), -EINVAL);
	fill_session(&s, "x", "10.0.0.1", NULL, NULL, NULL);
	assert_int_equal(reg_session_record(f->reg, (enum reg_acct_type)7, &s, &f->err), -EINVAL);
	/* a field without its NUL */
	fill_session(&s, "x", "10.0.0.1", NULL, NULL, NULL);
	memset(s.session_id, 'a', sizeof(s.session_id));
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_START, &s, &f->err), -EINVAL);
	fill_session(&s, "x", "10.0.0.1", NULL, NULL, NULL);
	memset(s.mac, 'a', sizeof(s.mac));
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_START, &s, &f->err), -EINVAL);

	assert_int_equal(session_list(f, 0, NULL).n, 0);
	assert_int_equal(last_seq(f), seq);
	assert_int_equal(audit_count(f), audits);

	/* and a good one inside a rolled-back transaction is not kept */
	assert_int_equal(reg_begin(f->reg, &f->err), 0);
	fill_session(&s, "x", "10.0.0.1", NULL, NULL, NULL);
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_START, &s, &f->err), 0);
	reg_rollback(f->reg);
	assert_int_equal(session_list(f, 0, NULL).n, 0);
	assert_int_equal(last_seq(f), seq);
}

/* A database at schema version 2 gets the session indexes on open and
 * keeps its sessions. */
static void test_migrate_from_2(void **state)
{
	struct fx *f = *state;
	struct reg_session s;
	int version;
	raw_db *db;

	SQLITE_ONLY();
	fill_session(&s, "kept", "10.0.0.1", NULL, NULL, NULL);
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_START, &s, &f->err), 0);
	reg_close(f->reg);
	f->reg = NULL;
	db = raw_open(f->path);
	raw_exec(db, "DROP INDEX sessions_closed; DROP INDEX sessions_open; "
		     "DROP TABLE web_forms; DROP TABLE web_downloads; DROP TABLE web_throttle; "
		     "DROP TABLE web_sessions; DROP TABLE enrol_codes; DROP TABLE web_keys; "
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
		     "DROP INDEX certificates_replaces; ALTER TABLE certificates DROP COLUMN replaces; "
		     "ALTER TABLE certificates DROP COLUMN first_seen; "
		     "DROP INDEX people_leaving; ALTER TABLE people DROP COLUMN leaves_at; "
		     "ALTER TABLE people DROP COLUMN disabled_at; "
		     "DROP TABLE once_keys; DROP INDEX people_source; "
		     "ALTER TABLE people DROP COLUMN source; "
		     "PRAGMA user_version = 2;");
	raw_close(db);
	assert_int_equal(open_reg(f->path, 2000, &f->reg, &f->err), 0);
	assert_int_equal(reg_schema_version(f->reg, &version, &f->err), 0);
	assert_int_equal(version, reg_sqlite_ops.newest_version);
	db = raw_open(f->path);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' "
				     "AND name IN ('sessions_closed', 'sessions_open')"),
			 2);
	raw_close(db);
	assert_int_equal(session_list(f, 1, NULL).n, 1);
}

/* Count of schools as another program sees it: the sqlite3 command line
 * opens its own connection and closes it, as byodctl does. (A forked child
 * would not do: it inherits this process's SQLite state and locks.) */

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_session_start, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_interim, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_two_nas, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_list_many, setup, teardown),
		cmocka_unit_test_setup_teardown(test_school_lists, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_purge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_bad_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_from_2, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
