// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * registry copy (registry/copy.c) and registry URLs (reg_url.c): a
 * populated one-school SQLite registry copied into a destination that
 * already holds another school, which stays untouched; every conflict
 * refused with nothing written; a destination that stores something else
 * than it was given (an SQLite trigger, or a backend op that alters a row)
 * makes a table's checksum or count differ and the whole copy roll back.
 *
 * The source is always an SQLite file (a school's box). The destination
 * is the registry the fixture gives a test (setup()): a fresh SQLite file,
 * or, where the fixture runs on PostgreSQL (BYOD_TEST_REGISTRY), a fresh
 * database there; names carry a per-run tag all the same, so that a test
 * left half-way never traps the next run.
 */
#include "registry_fixture.h"

#include "reg_internal.h"

struct cx {
	struct fx src;	/* the school's registry: an SQLite file */
	struct fx *dfx; /* the fixture's registry, the destination */
	struct reg *dst;
	char dst_path[1024]; /* "" when the destination is not an SQLite file */
	char uai[9], other[9], third[9];
	char tag[16];
	/* the source's objects */
	struct reg_device phone, tablet, laptop;
	char lea[REG_LOGIN_MAX], marc[REG_LOGIN_MAX], admin[REG_LOGIN_MAX];
	char serial[4][REG_SERIAL_MAX];
	/* the destination's other school */
	char other_login[REG_LOGIN_MAX];
	struct reg_device other_dev;
	int src_audit;
	int64_t src_policy_newest;
};

static int cx_counter;

/* A UAI of this run: 7 digits and a letter. */
static void make_uai(char out[9], unsigned n)
{
	snprintf(out, 9, "%07u%c", n % 10000000u, 'A' + (int)(n % 26));
}

/* The destination: the fixture's fresh registry; dst_path is its SQLite
 * file, or "" when it is not one. */
static void open_dest(struct cx *c)
{
	const char *url = getenv("BYOD_TEST_REGISTRY");
	void *fs = NULL;

	assert_int_equal(setup(&fs), 0);
	c->dfx = fs;
	c->dst = c->dfx->reg;
	if (url && url[0])
		c->dst_path[0] = '\0';
	else
		snprintf(c->dst_path, sizeof(c->dst_path), "%s", c->dfx->path);
}

/* The source: a school's SQLite file, whatever the fixture's backend. */
static void open_source(struct cx *c)
{
	const char *base = getenv("BYOD_TEST_TMP");

	snprintf(c->src.path, sizeof(c->src.path), "%s/test_copy.src.%ld.%d.db",
		 base && base[0] ? base : "/tmp", (long)getpid(), cx_counter);
	remove_db(c->src.path);
	if (open_reg(c->src.path, 2000, &c->src.reg, &c->src.err))
		fail_msg("%s", c->src.err.msg);
}

static int64_t person_in(struct reg *reg, const char *login, const char *school)
{
	struct reg_person p;
	struct byod_err err;

	fill_person(&p, login, school);
	if (reg_person_add(reg, &p, &err))
		fail_msg("%s", err.msg);
	return p.id;
}

static void school_in(struct reg *reg, const char *uai, const char *name)
{
	struct reg_school s;
	struct byod_err err;

	memset(&s, 0, sizeof(s));
	snprintf(s.uai, sizeof(s.uai), "%s", uai);
	snprintf(s.name, sizeof(s.name), "%s", name);
	if (reg_school_add(reg, &s, &err))
		fail_msg("%s", err.msg);
}

static void device_in(struct reg *reg, int64_t owner, const char *name, const char *mac,
		      struct reg_device *d)
{
	struct byod_err err;

	fill_device(d, owner, name, mac);
	if (reg_device_add(reg, d, &err))
		fail_msg("%s", err.msg);
}

static void cert_in(struct reg *reg, const char *serial, const char *device)
{
	struct reg_cert crt;
	struct byod_err err;

	fill_cert(&crt, serial, device);
	if (reg_cert_add(reg, &crt, &err))
		fail_msg("%s", err.msg);
}

static int count_audit(const struct reg_audit *a, void *arg)
{
	(void)a;
	++*(int *)arg;
	return 0;
}

static int audit_rows(struct reg *reg)
{
	struct byod_err err;
	int n = 0;

	assert_int_equal(reg_audit_list(reg, 0, count_audit, &n, &err), 0);
	return n;
}

static int64_t last_event(struct reg *reg)
{
	struct byod_err err;
	int64_t seq = 0;

	assert_int_equal(reg_events_last(reg, &seq, &err), 0);
	return seq;
}

/* A session through the accounting path, as the RADIUS module records it. */
static void session_in(struct reg *reg, const char *id, const char *mac, time_t start, time_t stop)
{
	struct reg_session s;
	struct byod_err err;

	memset(&s, 0, sizeof(s));
	snprintf(s.session_id, sizeof(s.session_id), "%s", id);
	snprintf(s.nas_ip, sizeof(s.nas_ip), "10.0.0.1");
	snprintf(s.mac, sizeof(s.mac), "%s", mac);
	snprintf(s.ip, sizeof(s.ip), "10.1.2.3");
	s.started = start;
	if (reg_session_record(reg, REG_ACCT_START, &s, &err))
		fail_msg("%s", err.msg);
	if (stop) {
		s.stopped = stop;
		s.in_octets = 1234;
		s.out_octets = 5678;
		if (reg_session_record(reg, REG_ACCT_STOP, &s, &err))
			fail_msg("%s", err.msg);
	}
}

/*
 * The school's registry: three people (one without a school), a live
 * phone, a retired tablet, a suspended laptop, four certificates (one
 * revoked), three sessions (one open, one of a device unknown), two policy
 * versions of the default and one of the school's own, the CRL counter at 3.
 */
static void populate(struct cx *c)
{
	struct reg *r = c->src.reg;
	struct byod_err err;
	struct reg_person p;
	int64_t lea, marc, v;
	int i;

	school_in(r, c->uai, "Collège des Calanques");
	lea = person_in(r, c->lea, c->uai);
	/* Léa signs in through the ENT: her source goes with her */
	assert_int_equal(reg_person_get(r, c->lea, &p, &err), 0);
	snprintf(p.source, sizeof(p.source), "ent-cas");
	assert_int_equal(reg_person_update(r, &p, &err), 0);
	marc = person_in(r, c->marc, c->uai);
	person_in(r, c->admin, NULL);
	assert_int_equal(reg_person_set_password(r, c->marc, "$y$j9T$abc$def", &err), 0);
	device_in(r, lea, "Téléphone de Léa", "02:00:00:00:aa:01", &c->phone);
	device_in(r, lea, "Tablette", "02:00:00:00:aa:02", &c->tablet);
	device_in(r, marc, "Portable", "02:00:00:00:aa:03", &c->laptop);
	assert_int_equal(reg_device_set_state(r, c->tablet.id, BYOD_DEVICE_RETIRED, &err), 0);
	assert_int_equal(reg_device_set_state(r, c->laptop.id, BYOD_DEVICE_SUSPENDED, &err), 0);
	cert_in(r, c->serial[0], c->phone.id);
	cert_in(r, c->serial[1], c->tablet.id);
	cert_in(r, c->serial[2], c->laptop.id);
	cert_in(r, c->serial[3], c->phone.id);
	assert_int_equal(reg_cert_revoke(r, c->serial[1], REG_REASON_CESSATION, 1750000000, &err),
			 0);
	session_in(r, "s-1", "02:00:00:00:aa:01", 1700000000, 1700003600);
	session_in(r, "s-1", "02:00:00:00:aa:01", 1700010000, 0); /* the NAS reused the id */
	session_in(r, "s-2", "02:00:00:00:ff:ff", 1700000500, 1700000900);
	assert_int_equal(reg_policy_add(r, "segments: {}\n", "a.yaml", "first", &v, &err), 0);
	assert_int_equal(reg_policy_add(r, "segments: {b: 1}\n", "b.yaml", "second",
					&c->src_policy_newest, &err),
			 0);
	/* the school's own, which replaces the default there */
	assert_int_equal(reg_policy_add_school(r, c->uai, "segments: {c: 1}\n", "c.yaml", "own",
					       &v, &err),
			 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(reg_counter_next(r, "crl", &v, &err), 0);
	c->src_audit = audit_rows(r);
}

/* The destination's school already there, with a person, a device and a
 * certificate of its own. */
static void populate_other(struct cx *c)
{
	char serial[REG_SERIAL_MAX];
	int64_t id;

	school_in(c->dst, c->other, "Collège du Vieux-Port");
	id = person_in(c->dst, c->other_login, c->other);
	device_in(c->dst, id, "Autre", "02:00:00:00:bb:01", &c->other_dev);
	snprintf(serial, sizeof(serial), "bb%s", c->tag);
	cert_in(c->dst, serial, c->other_dev.id);
}

static int cx_setup(void **state)
{
	struct cx *c = calloc(1, sizeof(*c));
	unsigned n;
	int i;

	if (!c)
		return -1;
	cx_counter++;
	n = (unsigned)getpid() * 8u + (unsigned)cx_counter * 3u + (unsigned)time(NULL);
	make_uai(c->uai, n);
	make_uai(c->other, n + 1);
	make_uai(c->third, n + 2);
	snprintf(c->tag, sizeof(c->tag), "%x", n & 0xffffff);
	snprintf(c->lea, sizeof(c->lea), "lea.%s", c->tag);
	snprintf(c->marc, sizeof(c->marc), "marc.%s", c->tag);
	snprintf(c->admin, sizeof(c->admin), "admin.%s", c->tag);
	snprintf(c->other_login, sizeof(c->other_login), "hugo.%s", c->tag);
	for (i = 0; i < 4; i++)
		snprintf(c->serial[i], sizeof(c->serial[i]), "%s%d", c->tag, i + 1);
	open_source(c);
	open_dest(c);
	populate(c);
	populate_other(c);
	*state = c;
	return 0;
}

static int cx_teardown(void **state)
{
	struct cx *c = *state;
	void *fs = c->dfx;

	teardown(&fs);
	reg_close(c->src.reg);
	remove_db(c->src.path);
	free(c);
	return 0;
}

static void copy_opts(struct cx *c, struct reg_copy_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->uai = c->uai;
	o->source = "test source";
}

/* Nothing of the school in the destination, and the other school as it was. */
static void assert_nothing_copied(struct cx *c, int64_t seq, int audits)
{
	struct reg_school s;
	struct reg_person p;
	struct reg_device d;
	struct reg_cert crt;
	struct byod_err err;

	assert_int_equal(reg_school_get(c->dst, c->uai, &s, &err), -ENOENT);
	assert_int_equal(reg_person_get(c->dst, c->lea, &p, &err), -ENOENT);
	assert_int_equal(reg_person_get(c->dst, c->admin, &p, &err), -ENOENT);
	assert_int_equal(reg_device_get(c->dst, c->laptop.id, &d, &err), -ENOENT);
	assert_int_equal(reg_cert_get(c->dst, c->serial[0], &crt, &err), -ENOENT);
	assert_int_equal(reg_device_get(c->dst, c->other_dev.id, &d, &err), 0);
	assert_string_equal(d.name, c->other_dev.name);
	assert_string_equal(d.owner_login, c->other_login);
	if (c->dst_path[0]) {
		/* a private file: nobody else writes there */
		assert_int_equal(last_event(c->dst), seq);
		assert_int_equal(audit_rows(c->dst), audits);
	}
}

/* ---- the copy ---------------------------------------------------------------- */

struct kinds {
	int school, person, device, cert, policy, session;
	char devices[3][REG_ID_MAX];
	int ndev;
};

static int on_event(const struct reg_event *ev, void *arg)
{
	struct kinds *k = arg;

	if (!strcmp(ev->kind, "school.add"))
		k->school++;
	else if (!strcmp(ev->kind, "person.add"))
		k->person++;
	else if (!strcmp(ev->kind, "device.add") && k->ndev < 3)
		snprintf(k->devices[k->ndev++], REG_ID_MAX, "%.36s", ev->object);
	else if (!strcmp(ev->kind, "cert.add"))
		k->cert++;
	else if (!strcmp(ev->kind, "policy.apply"))
		k->policy++;
	else if (!strcmp(ev->kind, "session.start"))
		k->session++;
	return 0;
}

struct session_rows {
	int n;
	struct reg_session v[8];
};

static int on_session(const struct reg_session *s, void *arg)
{
	struct session_rows *r = arg;

	assert_true(r->n < 8);
	r->v[r->n++] = *s;
	return 0;
}

static void assert_same_device(struct reg *a, struct reg *b, const char *id)
{
	struct reg_device x, y;
	struct byod_err err;

	assert_int_equal(reg_device_get(a, id, &x, &err), 0);
	assert_int_equal(reg_device_get(b, id, &y, &err), 0);
	assert_string_equal(x.owner_login, y.owner_login);
	assert_string_equal(x.name, y.name);
	assert_string_equal(x.mac, y.mac);
	assert_int_equal(x.state, y.state);
	assert_int_equal(x.kind, y.kind);
	assert_int_equal(x.created, y.created);
	assert_int_equal(x.expires, y.expires);
	assert_string_equal(x.charter, y.charter);
}

static void test_copy_whole(void **state)
{
	struct cx *c = *state;
	struct reg_copy_report rep;
	struct reg_copy_opts o;
	struct reg_person sp, dp;
	struct reg_cert crt;
	struct reg_policy pol;
	struct reg_device d;
	struct session_rows ss = {0}, ds = {0};
	struct kinds k = {0};
	struct byod_err err;
	int64_t seq = last_event(c->dst), v;
	int i;

	copy_opts(c, &o);
	if (reg_copy_school(c->src.reg, c->dst, &o, &rep, &err))
		fail_msg("%s", err.msg);
	assert_true(rep.whole_registry);
	assert_string_equal(rep.uai, c->uai);
	assert_int_equal(rep.t[REG_COPY_SCHOOLS].rows, 1);
	assert_int_equal(rep.t[REG_COPY_PEOPLE].rows, 3);
	assert_int_equal(rep.t[REG_COPY_DEVICES].rows, 3);
	assert_int_equal(rep.t[REG_COPY_CERTS].rows, 4);
	assert_int_equal(rep.t[REG_COPY_SESSIONS].rows, 3);
	assert_int_equal(rep.t[REG_COPY_POLICIES].rows, 3);
	assert_int_equal(rep.t[REG_COPY_AUDIT].rows, c->src_audit);
	for (i = 0; i < REG_COPY_TABLES; i++) {
		assert_int_equal(rep.t[i].rows, rep.t[i].dst_rows);
		assert_string_equal(rep.t[i].sha256, rep.t[i].dst_sha256);
		assert_int_equal(strlen(rep.t[i].sha256), 64);
	}
	/* an empty table's checksum is SHA-256 of nothing; a full one is not */
	assert_string_not_equal(rep.t[REG_COPY_DEVICES].sha256,
				"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

	/* natural keys and times kept, people renumbered consistently */
	assert_int_equal(reg_person_get(c->src.reg, c->marc, &sp, &err), 0);
	assert_int_equal(reg_person_get(c->dst, c->marc, &dp, &err), 0);
	assert_string_equal(dp.school, c->uai);
	assert_string_equal(dp.password_hash, sp.password_hash);
	assert_int_equal(dp.created, sp.created);
	assert_string_equal(dp.source, "");
	assert_int_equal(reg_person_get(c->dst, c->lea, &dp, &err), 0);
	assert_string_equal(dp.source, "ent-cas");
	assert_int_equal(reg_person_get(c->dst, c->admin, &dp, &err), 0);
	assert_string_equal(dp.school, "");
	assert_same_device(c->src.reg, c->dst, c->phone.id);
	assert_same_device(c->src.reg, c->dst, c->tablet.id);
	assert_same_device(c->src.reg, c->dst, c->laptop.id);
	assert_int_equal(reg_device_find_by_serial(c->dst, c->serial[2], &d, &err), 0);
	assert_string_equal(d.id, c->laptop.id);
	assert_int_equal(reg_cert_get(c->dst, c->serial[1], &crt, &err), 0);
	assert_int_equal(crt.state, REG_CERT_REVOKED);
	assert_int_equal(crt.revoked_at, 1750000000);
	assert_int_equal(crt.reason, REG_REASON_CESSATION);

	/* sessions: the same rows, the reused id's newest row still the newest */
	assert_int_equal(reg_session_list(c->src.reg, 0, NULL, on_session, &ss, &err), 0);
	assert_int_equal(reg_session_list(c->dst, 0, c->phone.id, on_session, &ds, &err), 0);
	assert_int_equal(ds.n, 2);
	assert_int_equal(ds.v[0].started, 1700010000);
	assert_int_equal(ds.v[0].state, REG_SESSION_OPEN);
	assert_true(ds.v[0].id > ds.v[1].id);
	assert_int_equal(ds.v[1].stopped, 1700003600);
	assert_int_equal(ds.v[1].in_octets, 1234);
	ds.n = 0;
	assert_int_equal(reg_session_list(c->dst, 0, NULL, on_session, &ds, &err), 0);
	assert_int_equal(ds.n, ss.n); /* the one of an unknown device too */

	/* policies in order, the newest running; the CRL number goes on from 3 */
	assert_int_equal(reg_policy_get(c->dst, 0, &pol, &err), 0);
	assert_string_equal(pol.source, "segments: {b: 1}\n");
	assert_string_equal(pol.comment, "second");
	assert_string_equal(pol.author, "test:unit");
	free(pol.source);
	/* the school's own version stays the school's */
	assert_int_equal(reg_policy_get_school(c->dst, c->uai, &pol, &err), 0);
	assert_string_equal(pol.source, "segments: {c: 1}\n");
	assert_string_equal(pol.school, c->uai);
	assert_string_equal(pol.comment, "own");
	free(pol.source);
	assert_int_equal(reg_counter_next(c->dst, "crl", &v, &err), 0);
	assert_int_equal(v, 4);

	/* the change feed names every object, so followers need no restart */
	assert_int_equal(reg_events_since(c->dst, seq, 0, on_event, &k, &err), 0);
	assert_int_equal(k.school, 1);
	assert_int_equal(k.person, 3);
	assert_int_equal(k.ndev, 3);
	assert_string_equal(k.devices[0], c->phone.id);
	assert_int_equal(k.cert, 4);
	assert_int_equal(k.policy, 1);
	assert_int_equal(k.session, 1);

	/* the audit: the source's rows and the copy's own */
	if (c->dst_path[0])
		assert_int_equal(audit_rows(c->dst), c->src_audit + 4 /* other school */ + 1);

	/* the other school untouched */
	assert_int_equal(reg_device_get(c->dst, c->other_dev.id, &d, &err), 0);
	assert_string_equal(d.owner_login, c->other_login);
	assert_int_equal(d.created, c->other_dev.created);

	/* a second copy: the UAI is there now */
	assert_int_equal(reg_copy_school(c->src.reg, c->dst, &o, NULL, &err), -EEXIST);
	assert_non_null(strstr(err.msg, c->uai));
}

/* Every conflict refused before anything is written, naming it; added in
 * the reverse order of the checks, so that each refusal is the newest. */
static void test_copy_conflicts(void **state)
{
	struct cx *c = *state;
	struct reg_copy_opts o;
	struct reg_device d;
	struct byod_err err;
	int64_t seq, owner, v;
	int audits;
	char serial[REG_SERIAL_MAX], login[REG_LOGIN_MAX];

	copy_opts(c, &o);
	snprintf(login, sizeof(login), "x.%s", c->tag);
	owner = person_in(c->dst, login, c->other);

	/* a running policy would be replaced for every school */
	assert_int_equal(reg_policy_add(c->dst, "segments: {}\n", "d.yaml", "dst", &v, &err), 0);
	seq = last_event(c->dst);
	audits = audit_rows(c->dst);
	assert_int_equal(reg_copy_school(c->src.reg, c->dst, &o, NULL, &err), -EEXIST);
	assert_non_null(strstr(err.msg, "policy"));
	assert_nothing_copied(c, seq, audits);

	/* a certificate serial */
	device_in(c->dst, owner, "x", NULL, &d);
	snprintf(serial, sizeof(serial), "%s", c->serial[3]);
	cert_in(c->dst, serial, d.id);
	seq = last_event(c->dst);
	audits = audit_rows(c->dst);
	assert_int_equal(reg_copy_school(c->src.reg, c->dst, &o, NULL, &err), -EEXIST);
	assert_non_null(strstr(err.msg, serial));
	assert_nothing_copied(c, seq, audits);

	/* the MAC of a live device (the retired tablet's MAC is no conflict) */
	device_in(c->dst, owner, "tablet twin", "02:00:00:00:aa:02", &d);
	seq = last_event(c->dst);
	assert_int_equal(reg_copy_school(c->src.reg, c->dst, &o, NULL, &err), -EEXIST);
	assert_non_null(strstr(err.msg, serial));
	device_in(c->dst, owner, "phone twin", "02:00:00:00:aa:01", &d);
	seq = last_event(c->dst);
	audits = audit_rows(c->dst);
	assert_int_equal(reg_copy_school(c->src.reg, c->dst, &o, NULL, &err), -EEXIST);
	assert_non_null(strstr(err.msg, "02:00:00:00:aa:01"));
	assert_nothing_copied(c, seq, audits);

	/* a device id */
	fill_device(&d, owner, "same uuid", NULL);
	snprintf(d.id, sizeof(d.id), "%s", c->phone.id);
	assert_int_equal(reg_device_add(c->dst, &d, &err), 0);
	seq = last_event(c->dst);
	audits = audit_rows(c->dst);
	assert_int_equal(reg_copy_school(c->src.reg, c->dst, &o, NULL, &err), -EEXIST);
	assert_non_null(strstr(err.msg, c->phone.id));

	/* a login */
	person_in(c->dst, c->admin, NULL);
	seq = last_event(c->dst);
	audits = audit_rows(c->dst);
	assert_int_equal(reg_copy_school(c->src.reg, c->dst, &o, NULL, &err), -EEXIST);
	assert_non_null(strstr(err.msg, c->admin));

	/* the UAI */
	school_in(c->dst, c->uai, "Déjà là");
	seq = last_event(c->dst);
	audits = audit_rows(c->dst);
	assert_int_equal(reg_copy_school(c->src.reg, c->dst, &o, NULL, &err), -EEXIST);
	assert_non_null(strstr(err.msg, c->uai));
	assert_non_null(strstr(err.msg, "nothing was copied"));
	if (c->dst_path[0]) {
		assert_int_equal(last_event(c->dst), seq);
		assert_int_equal(audit_rows(c->dst), audits);
	}
}

/* Policies left out: the destination keeps its own running policy. */
static void test_copy_skip_policies(void **state)
{
	struct cx *c = *state;
	struct reg_copy_report rep;
	struct reg_copy_opts o;
	struct reg_policy pol;
	struct byod_err err;
	int64_t v;

	assert_int_equal(reg_policy_add(c->dst, "segments: {d: 1}\n", "d.yaml", "dst", &v, &err),
			 0);
	copy_opts(c, &o);
	o.skip_policies = 1;
	if (reg_copy_school(c->src.reg, c->dst, &o, &rep, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(rep.t[REG_COPY_POLICIES].rows, 0);
	assert_int_equal(rep.t[REG_COPY_DEVICES].rows, 3);
	assert_int_equal(reg_policy_get(c->dst, 0, &pol, &err), 0);
	assert_int_equal(pol.version, v);
	assert_string_equal(pol.source, "segments: {d: 1}\n");
	free(pol.source);
}

/* A source holding two schools: only what is the copied school's. */
static void test_copy_from_shared_source(void **state)
{
	struct cx *c = *state;
	struct reg_copy_report rep;
	struct reg_copy_opts o;
	struct reg_person p;
	struct reg_device d, mine;
	struct session_rows ds = {0};
	struct byod_err err;
	char login[REG_LOGIN_MAX], serial[REG_SERIAL_MAX];
	int64_t id;

	school_in(c->src.reg, c->third, "Lycée");
	snprintf(login, sizeof(login), "ines.%s", c->tag);
	id = person_in(c->src.reg, login, c->third);
	device_in(c->src.reg, id, "Ines phone", "02:00:00:00:cc:01", &mine);
	snprintf(serial, sizeof(serial), "cc%s", c->tag);
	cert_in(c->src.reg, serial, mine.id);
	session_in(c->src.reg, "s-9", "02:00:00:00:cc:01", 1700020000, 0);

	copy_opts(c, &o);
	o.uai = c->third;
	if (reg_copy_school(c->src.reg, c->dst, &o, &rep, &err))
		fail_msg("%s", err.msg);
	assert_false(rep.whole_registry);
	assert_int_equal(rep.t[REG_COPY_PEOPLE].rows, 1);
	assert_int_equal(rep.t[REG_COPY_DEVICES].rows, 1);
	assert_int_equal(rep.t[REG_COPY_CERTS].rows, 1);
	assert_int_equal(rep.t[REG_COPY_SESSIONS].rows, 1);
	assert_int_equal(rep.t[REG_COPY_POLICIES].rows, 0);
	/* school.add, person.add, device.add, cert.add */
	assert_int_equal(rep.t[REG_COPY_AUDIT].rows, 4);
	assert_int_equal(reg_device_get(c->dst, mine.id, &d, &err), 0);
	assert_string_equal(d.owner_login, login);
	assert_int_equal(reg_session_list(c->dst, 0, mine.id, on_session, &ds, &err), 0);
	assert_int_equal(ds.n, 1);
	assert_int_equal(reg_person_get(c->dst, c->lea, &p, &err), -ENOENT);
	assert_int_equal(reg_person_get(c->dst, c->admin, &p, &err), -ENOENT);
	assert_int_equal(reg_device_get(c->dst, c->phone.id, &d, &err), -ENOENT);
}

/* ---- a destination that does not store what it is given ------------------- */

static int64_t count_rows(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t v;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* SQLite's own: a trigger alters every device the copy inserts. */
static void test_copy_trigger_rolls_back(void **state)
{
	struct cx *c = *state;
	struct reg_copy_opts o;
	struct byod_err err;
	sqlite3 *db;
	int64_t seq;
	int audits;

	if (!c->dst_path[0])
		skip();
	assert_int_equal(sqlite3_open(c->dst_path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "CREATE TRIGGER alter_device AFTER INSERT ON devices BEGIN "
				      "UPDATE devices SET name = name || ' (altered)' "
				      "WHERE id = NEW.id; END",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	seq = last_event(c->dst);
	audits = audit_rows(c->dst);
	copy_opts(c, &o);
	assert_int_equal(reg_copy_school(c->src.reg, c->dst, &o, NULL, &err), -EIO);
	assert_non_null(strstr(err.msg, "devices"));
	assert_non_null(strstr(err.msg, "rolled back"));
	assert_nothing_copied(c, seq, audits);
	assert_int_equal(sqlite3_open(c->dst_path, &db), SQLITE_OK);
	assert_int_equal(count_rows(db, "SELECT COUNT(*) FROM people"), 1);
	assert_int_equal(count_rows(db, "SELECT COUNT(*) FROM devices"), 1);
	sqlite3_close(db);
}

/*
 * Any backend: the destination's ops swapped for ones that store a row
 * other than the one given (a certificate's end moved by a second) or
 * under another key (a login changed), as a faulty backend or a rule in
 * the database would. The checksum, then the count, tell; all rolled back.
 */
static const struct reg_backend_ops *real_ops;
static const char *renamed_login;

static int shifted_cert_insert(struct reg_db *be, const struct reg_cert *r, struct byod_err *err)
{
	struct reg_cert x = *r;

	x.not_after += 1;
	return real_ops->cert_insert(be, &x, err);
}

static int renamed_person_insert(struct reg_db *be, struct reg_person *p, struct byod_err *err)
{
	struct reg_person x = *p;
	int rc;

	if (!strcmp(x.login, renamed_login))
		strcat(x.login, "x");
	rc = real_ops->person_insert(be, &x, err);
	p->id = x.id;
	return rc;
}

/* ...or the person stored without their identity source */
static int sourceless_person_insert(struct reg_db *be, struct reg_person *p,
				    struct byod_err *err)
{
	struct reg_person x = *p;
	int rc;

	x.source[0] = '\0';
	rc = real_ops->person_insert(be, &x, err);
	p->id = x.id;
	return rc;
}

static void test_copy_faulty_backend_rolls_back(void **state)
{
	struct cx *c = *state;
	struct reg_backend_ops faulty;
	struct reg_copy_report rep;
	struct reg_copy_opts o;
	struct reg_person p;
	struct byod_err err;
	int64_t seq = last_event(c->dst);
	int audits = audit_rows(c->dst);
	char altered[REG_LOGIN_MAX + 1];

	copy_opts(c, &o);
	real_ops = c->dst->be->ops;
	faulty = *real_ops;
	faulty.cert_insert = shifted_cert_insert;
	c->dst->be->ops = &faulty;
	assert_int_equal(reg_copy_school(c->src.reg, c->dst, &o, &rep, &err), -EIO);
	c->dst->be->ops = real_ops;
	assert_non_null(strstr(err.msg, "certificates"));
	assert_non_null(strstr(err.msg, "checksum"));
	assert_int_equal(rep.t[REG_COPY_CERTS].rows, 4);
	assert_int_equal(rep.t[REG_COPY_CERTS].dst_rows, 4);
	assert_string_not_equal(rep.t[REG_COPY_CERTS].sha256, rep.t[REG_COPY_CERTS].dst_sha256);
	assert_string_equal(rep.t[REG_COPY_DEVICES].sha256, rep.t[REG_COPY_DEVICES].dst_sha256);
	assert_nothing_copied(c, seq, audits);

	renamed_login = c->marc;
	faulty = *real_ops;
	faulty.person_insert = renamed_person_insert;
	c->dst->be->ops = &faulty;
	assert_int_equal(reg_copy_school(c->src.reg, c->dst, &o, &rep, &err), -EIO);
	c->dst->be->ops = real_ops;
	assert_non_null(strstr(err.msg, "people"));
	assert_int_equal(rep.t[REG_COPY_PEOPLE].rows, 3);
	assert_int_equal(rep.t[REG_COPY_PEOPLE].dst_rows, 2);
	snprintf(altered, sizeof(altered), "%sx", c->marc);
	assert_int_equal(reg_person_get(c->dst, altered, &p, &err), -ENOENT);
	assert_nothing_copied(c, seq, audits);

	faulty = *real_ops;
	faulty.person_insert = sourceless_person_insert;
	c->dst->be->ops = &faulty;
	assert_int_equal(reg_copy_school(c->src.reg, c->dst, &o, &rep, &err), -EIO);
	c->dst->be->ops = real_ops;
	assert_non_null(strstr(err.msg, "people"));
	assert_non_null(strstr(err.msg, "checksum"));
	assert_int_equal(rep.t[REG_COPY_PEOPLE].dst_rows, 3);
	assert_string_not_equal(rep.t[REG_COPY_PEOPLE].sha256, rep.t[REG_COPY_PEOPLE].dst_sha256);
	assert_nothing_copied(c, seq, audits);

	/* and with the real ops again, the copy goes through */
	if (reg_copy_school(c->src.reg, c->dst, &o, &rep, &err))
		fail_msg("%s", err.msg);
}

static void test_copy_bad_input(void **state)
{
	struct cx *c = *state;
	struct reg_copy_opts o;
	struct reg_person p;
	struct reg_device d;
	struct byod_err err;
	int64_t seq;
	int audits;
	raw_db *db;

	copy_opts(c, &o);
	o.uai = "12AB";
	assert_int_equal(reg_copy_school(c->src.reg, c->dst, &o, NULL, &err), -EINVAL);
	o.uai = c->other; /* in the destination, not in the source */
	assert_int_equal(reg_copy_school(c->src.reg, c->dst, &o, NULL, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "source registry has no school"));
	o.uai = c->uai;
	assert_int_equal(reg_begin(c->dst, &err), 0);
	assert_int_equal(reg_copy_school(c->src.reg, c->dst, &o, NULL, &err), -EINVAL);
	reg_rollback(c->dst);

	/* two live devices of the source with one MAC: SQLite let them by
	 * until its schema version 7 (here, the index removed by hand) */
	db = raw_open(c->src.path);
	raw_exec(db, "DROP INDEX devices_live_mac");
	raw_close(db);
	assert_int_equal(reg_person_get(c->src.reg, c->lea, &p, &err), 0);
	device_in(c->src.reg, p.id, "twin", "02:00:00:00:aa:01", &d);
	seq = last_event(c->dst);
	audits = audit_rows(c->dst);
	assert_int_equal(reg_copy_school(c->src.reg, c->dst, &o, NULL, &err), -EEXIST);
	assert_non_null(strstr(err.msg, "02:00:00:00:aa:01"));
	assert_non_null(strstr(err.msg, d.id));
	assert_nothing_copied(c, seq, audits);
}

/* ---- registry URLs ---------------------------------------------------------- */

static void test_url_parse(void **state)
{
	struct reg_url u;
	struct byod_err err;

	(void)state;
	assert_int_equal(reg_url_parse("sqlite:///var/lib/byod/registry.db", &u, &err), 0);
	assert_int_equal(u.backend, REG_BACKEND_SQLITE);
	assert_string_equal(u.target, "/var/lib/byod/registry.db");
	assert_int_equal(reg_url_parse("sqlite:///tmp/a%20b.db", &u, &err), 0);
	assert_string_equal(u.target, "/tmp/a b.db");
	assert_int_equal(reg_url_parse("relative/registry.db", &u, &err), 0);
	assert_int_equal(u.backend, REG_BACKEND_SQLITE);
	assert_string_equal(u.target, "relative/registry.db");
	assert_int_equal(reg_url_parse("/abs/registry.db", &u, &err), 0);
	assert_string_equal(u.target, "/abs/registry.db");

	assert_int_equal(
		reg_url_parse("postgresql://byod@db.dep13.fr/byod?sslmode=verify-full", &u, &err),
		0);
	assert_int_equal(u.backend, REG_BACKEND_POSTGRES);
	assert_string_equal(u.target, "postgresql://byod@db.dep13.fr/byod?sslmode=verify-full");
	assert_string_equal(u.shown, u.target);
	assert_int_equal(
		reg_url_parse("postgres://byod:s3cret@db/byod?password=other&x=1", &u, &err), 0);
	assert_int_equal(u.backend, REG_BACKEND_POSTGRES);
	assert_string_equal(u.shown, "postgres://byod:***@db/byod?password=***&x=1");
	assert_null(strstr(u.shown, "s3cret"));

	assert_int_equal(reg_url_parse("sqlite://host/x.db", &u, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "three slashes"));
	assert_int_equal(reg_url_parse("sqlite:///x.db?mode=ro", &u, &err), -EINVAL);
	assert_int_equal(reg_url_parse("sqlite:///x%2", &u, &err), -EINVAL);
	assert_int_equal(reg_url_parse("sqlite:///", &u, &err), -EINVAL);
	assert_int_equal(reg_url_parse("mysql://db/x", &u, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "'mysql'"));
	assert_int_equal(reg_url_parse("://db/x", &u, &err), -EINVAL);
	assert_int_equal(reg_url_parse("1pg://db/x", &u, &err), -EINVAL);
	assert_int_equal(reg_url_parse("/srv/a://b.db", &u, &err), 0);
	assert_string_equal(u.target, "/srv/a://b.db");
	assert_int_equal(reg_url_parse("", &u, &err), -EINVAL);
	assert_int_equal(reg_url_parse("a\nb", &u, &err), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_parse),
		cmocka_unit_test_setup_teardown(test_copy_whole, cx_setup, cx_teardown),
		cmocka_unit_test_setup_teardown(test_copy_conflicts, cx_setup, cx_teardown),
		cmocka_unit_test_setup_teardown(test_copy_skip_policies, cx_setup, cx_teardown),
		cmocka_unit_test_setup_teardown(test_copy_from_shared_source, cx_setup,
						cx_teardown),
		cmocka_unit_test_setup_teardown(test_copy_trigger_rolls_back, cx_setup,
						cx_teardown),
		cmocka_unit_test_setup_teardown(test_copy_faulty_backend_rolls_back, cx_setup,
						cx_teardown),
		cmocka_unit_test_setup_teardown(test_copy_bad_input, cx_setup, cx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
