// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * reg_bulk.h: the whole registry read fast (SQLite: a SELECT of the kept
 * columns; PostgreSQL: COPY in binary, registry/postgres_bulk.c) gives, field
 * by field, what reg_person_list, reg_device_list and reg_cert_list give,
 * the devices in the same order. The rows are written past the registry's
 * checks, by SQL, as a damaged or hand-edited database could hold them:
 * texts with tabs, newlines, carriage returns, backslashes (a lone one, one
 * before N as COPY's text format writes NULL, one at the end), quotes,
 * UTF-8, empty strings and NULLs, texts longer than their field, negative
 * and 64-bit times, devices of one creation time (the row order decides),
 * one MAC carried by two devices, certificates valid, revoked, expired and
 * renewed, and a few thousand rows more. On PostgreSQL the same rows are
 * also written to an SQLite file and the two backends' bulk reads compared.
 *
 * Also: a callback's stop is returned as is and leaves the connection
 * usable, in a transaction and out of one; a connection the server ended
 * is connected again outside a transaction and -ENOTCONN inside; the
 * binary COPY parser
 * (pg_copy_parse) on a stream cut at every byte, and refusing malformed
 * streams.
 */
#include "registry_fixture.h"

#include "byod_vec.h"
#include "pg_copy.h"
#include "reg_bulk.h"

/* ---- the rows ------------------------------------------------------------------- */

#define BULK_ROWS 3000

/* One SQL text for both backends: standard literals (a backslash is itself),
 * raw tabs and newlines inside quotes, ids given. */
static const char fill_sql[] =
	"INSERT INTO schools (uai, name) VALUES ('0751234A', 'A'), "
	"('Q\\\t''\xc3\xa9\n', 'odd'), ('ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'long'), ('\\N', 'nul');\n"
	"INSERT INTO people (id, login, display_name, role, school, \"groups\", password_hash, "
	"state, created, leaves_at, disabled_at) VALUES "
	"(1, 'alice', 'Alice', 'student', '0751234A', '4B latin', '', 'active', 1700000000, 0, 0), "
	"(2, 'bob', '', 'teacher', NULL, '', '', 'disabled', 1700000001, 1800000000, 1700000500), "
	"(3, 'chloe', '', 'staff', 'Q\\\t''\xc3\xa9\n', "
	"'tab\there back\\slash new\nline cr\rret quote'' \"dq\" \xc3\xa9 \xc3\xbc "
	"\xe6\x97\xa5\xe6\x9c\xac \\N \\\\ \\t \\n \\x41 \\101 end\\', "
	"'', 'active', 1, -1, 0), "
	"(4, 'dan', '', 'guest', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', "
	"'\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	"0123456789012345678901234567890123456789012345678901234567890123456789"
	"0123456789012345678901234567890123456789012345678901234567890123456789"
	"0123456789012345678901234567890123456789012345678901234567890123456789"
	"0123456789012345678901234567890123\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5 tail', "
	"'', 'active', 2, 9223372036854775807, 0), "
	"(5, 'eve', '', 'student', '\\N', '\\N', '', 'disabled', 3, -9223372036854775807, 0), "
	"(6, 'fay', '', 'student', '0751234A', '\\', '', 'active', 4, 1099511627776, 0), "
	"(7, 'gus', '', 'teacher', NULL, '\t\n\t', '', 'active', 5, 0, 0);\n"
	"INSERT INTO devices (id, owner, name, kind, mac, state, charter, created, expires) VALUES "
	"('d1', 1, 'n', 'phone', 'aa:bb:cc:dd:ee:01', 'active', '', 100, 0), "
	"('d2', 1, 'n', 'tablet', NULL, 'suspended', '', 100, 0), "
	"('d3', 2, 'n', 'laptop', 'aa:bb:cc:dd:ee:01', 'retired', '', 50, 0), "
	"('dev\todd\\\n''\"\xc3\xa9', 3, 'n', 'other', '', 'revoked', '', 200, 0), "
	"('d5', 4, 'n', 'phone', 'x\ty\\z\\N', 'active', '', 150, 0), "
	"('d6', 5, 'n', 'tablet', 'aa:bb:cc:dd:ee:02', 'active', '', -10, 0), "
	"('d7-with-an-id-longer-than-its-field-of-thirty-seven', 7, 'n', 'laptop', "
	"'aa:bb:cc:dd:ee:ff:00:11:22', 'retired', '', 100, 0), "
	"('d8', 6, 'n', 'other', '\\', 'active', '', 100, 0);\n"
	"INSERT INTO certificates (serial, device, not_before, not_after, state, revoked_at, reason, "
	"replaces, first_seen) VALUES "
	"('01', 'd1', 1700000000, 1900000000, 'valid', NULL, NULL, '', 0), "
	"('02', 'd1', 1600000000, 1650000000, 'valid', NULL, NULL, '', 0), "
	"('03', 'd3', 1600000000, 1900000000, 'revoked', 1650000000, 1, '', 0), "
	"('04', 'd1', 1700000001, 1900000001, 'valid', NULL, NULL, '02', 1700000100), "
	"('s\t\\N''\xc3\xa9\n', 'dev\todd\\\n''\"\xc3\xa9', -5, 9223372036854775807, 'revoked', "
	"7, 4, 'r\\\\\n', -1), "
	"('05', 'd7-with-an-id-longer-than-its-field-of-thirty-seven', 0, 0, 'valid', NULL, NULL, "
	"'0123456789012345678901234567890123456789abcdef', 0);\n"
	/* a few thousand more: one creation time per three devices, every
	 * other one without a MAC */
	"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) "
	"INSERT INTO devices (id, owner, name, kind, mac, state, charter, created, expires) "
	"SELECT 'bulk-' || i, 1 + i % 7, 'n', 'phone', "
	"CASE WHEN i % 2 = 1 THEN 'm-' || i END, "
	"CASE WHEN i % 2 = 1 THEN 'retired' ELSE 'active' END, '', 5000 - i / 3, 0 FROM n;\n"
	"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) "
	"INSERT INTO certificates (serial, device, not_before, not_after, state, revoked_at, "
	"reason, replaces, first_seen) "
	"SELECT 'b' || i, 'bulk-' || i, i, 2000000000 + i, "
	"CASE WHEN i % 3 = 0 THEN 'revoked' ELSE 'valid' END, "
	"CASE WHEN i % 3 = 0 THEN i END, CASE WHEN i % 3 = 0 THEN 0 END, '', i * 7 FROM n;\n";

#define NPEOPLE 7
#define NDEVICES (8 + BULK_ROWS)
#define NCERTS (6 + BULK_ROWS)

static void fill(const char *path)
{
	raw_db *db = raw_open(path);

	raw_exec(db, fill_sql);
	raw_close(db);
}

/* ---- what a reader keeps ---------------------------------------------------------- */

struct person_row {
	int64_t id;
	int role, state;
	char school[REG_UAI_MAX], groups[REG_GROUPS_MAX];
	time_t leaves_at;
};

struct device_row {
	char id[REG_ID_MAX], mac[REG_MAC_MAX];
	int64_t owner;
	int kind, state;
};

struct cert_row {
	char serial[REG_SERIAL_MAX], device[REG_ID_MAX], replaces[REG_SERIAL_MAX];
	time_t not_before, not_after, first_seen;
	int state;
};

struct rows {
	struct person_row *p;
	struct device_row *d;
	struct cert_row *c;
	size_t np, nd, nc, cap_p, cap_d, cap_c;
	int stop_after; /* return 7 at this many rows of a table; 0: never */
};

static void rows_free(struct rows *r)
{
	free(r->p);
	free(r->d);
	free(r->c);
	memset(r, 0, sizeof(*r));
}

static int keep_person(const struct reg_person *p, void *arg)
{
	struct rows *r = arg;
	struct person_row *o = BYOD_ARRAY_PUSH(r->p, r->np, r->cap_p);

	assert_non_null(o);
	memset(o, 0, sizeof(*o));
	o->id = p->id;
	o->role = (int)p->role;
	o->state = (int)p->state;
	/* the fields are strings: a reader copies them as such */
	snprintf(o->school, sizeof(o->school), "%s", p->school);
	snprintf(o->groups, sizeof(o->groups), "%s", p->groups);
	o->leaves_at = p->leaves_at;
	return r->stop_after && (int)r->np == r->stop_after ? 7 : 0;
}

static int keep_device(const struct reg_device *d, void *arg)
{
	struct rows *r = arg;
	struct device_row *o = BYOD_ARRAY_PUSH(r->d, r->nd, r->cap_d);

	assert_non_null(o);
	memset(o, 0, sizeof(*o));
	snprintf(o->id, sizeof(o->id), "%s", d->id);
	snprintf(o->mac, sizeof(o->mac), "%s", d->mac);
	o->owner = d->owner;
	o->kind = (int)d->kind;
	o->state = (int)d->state;
	return r->stop_after && (int)r->nd == r->stop_after ? 7 : 0;
}

static int keep_cert(const struct reg_cert *c, void *arg)
{
	struct rows *r = arg;
	struct cert_row *o = BYOD_ARRAY_PUSH(r->c, r->nc, r->cap_c);

	assert_non_null(o);
	memset(o, 0, sizeof(*o));
	snprintf(o->serial, sizeof(o->serial), "%s", c->serial);
	snprintf(o->device, sizeof(o->device), "%s", c->device);
	snprintf(o->replaces, sizeof(o->replaces), "%s", c->replaces);
	o->not_before = c->not_before;
	o->not_after = c->not_after;
	o->first_seen = c->first_seen;
	o->state = (int)c->state;
	return r->stop_after && (int)r->nc == r->stop_after ? 7 : 0;
}

static int by_id(const void *a, const void *b)
{
	int64_t x = ((const struct person_row *)a)->id, y = ((const struct person_row *)b)->id;

	return (x > y) - (x < y);
}

static int by_serial(const void *a, const void *b)
{
	return strcmp(((const struct cert_row *)a)->serial, ((const struct cert_row *)b)->serial);
}

static void read_bulk(struct reg *reg, struct rows *r)
{
	struct byod_err err = { 0 };

	if (reg_bulk_people(reg, keep_person, r, &err) || reg_bulk_devices(reg, keep_device, r, &err) ||
	    reg_bulk_certs(reg, keep_cert, r, &err))
		fail_msg("bulk: %s", err.msg);
	qsort(r->p, r->np, sizeof(*r->p), by_id);
	qsort(r->c, r->nc, sizeof(*r->c), by_serial);
}

static void read_lists(struct reg *reg, struct rows *r)
{
	struct byod_err err = { 0 };

	if (reg_person_list(reg, keep_person, r, &err) ||
	    reg_device_list(reg, NULL, keep_device, r, &err) ||
	    reg_cert_list(reg, keep_cert, r, &err))
		fail_msg("lists: %s", err.msg);
	qsort(r->p, r->np, sizeof(*r->p), by_id);
	qsort(r->c, r->nc, sizeof(*r->c), by_serial);
}

/* a and b field by field, saying which differs; the devices in order */
static void same_rows(const struct rows *a, const struct rows *b, const char *what)
{
	size_t i;

	if (a->np != b->np || a->nd != b->nd || a->nc != b->nc)
		fail_msg("%s: %zu/%zu/%zu rows against %zu/%zu/%zu", what, a->np, a->nd, a->nc,
			 b->np, b->nd, b->nc);
	for (i = 0; i < a->np; i++) {
		const struct person_row *x = &a->p[i], *y = &b->p[i];

		if (x->id != y->id || x->role != y->role || x->state != y->state ||
		    x->leaves_at != y->leaves_at || strcmp(x->school, y->school) ||
		    strcmp(x->groups, y->groups))
			fail_msg("%s: person %lld differs: school [%s]/[%s] groups [%s]/[%s] "
				 "role %d/%d state %d/%d leaves %lld/%lld",
				 what, (long long)x->id, x->school, y->school, x->groups, y->groups,
				 x->role, y->role, x->state, y->state, (long long)x->leaves_at,
				 (long long)y->leaves_at);
	}
	for (i = 0; i < a->nd; i++) {
		const struct device_row *x = &a->d[i], *y = &b->d[i];

		if (strcmp(x->id, y->id) || strcmp(x->mac, y->mac) || x->owner != y->owner ||
		    x->kind != y->kind || x->state != y->state)
			fail_msg("%s: device %zu differs: [%s]/[%s] mac [%s]/[%s] owner %lld/%lld "
				 "kind %d/%d state %d/%d",
				 what, i, x->id, y->id, x->mac, y->mac, (long long)x->owner,
				 (long long)y->owner, x->kind, y->kind, x->state, y->state);
	}
	for (i = 0; i < a->nc; i++) {
		const struct cert_row *x = &a->c[i], *y = &b->c[i];

		if (strcmp(x->serial, y->serial) || strcmp(x->device, y->device) ||
		    strcmp(x->replaces, y->replaces) || x->not_before != y->not_before ||
		    x->not_after != y->not_after || x->first_seen != y->first_seen ||
		    x->state != y->state)
			fail_msg("%s: certificate [%s]/[%s] differs: device [%s]/[%s] replaces "
				 "[%s]/[%s] %lld/%lld %lld/%lld seen %lld/%lld state %d/%d",
				 what, x->serial, y->serial, x->device, y->device, x->replaces,
				 y->replaces, (long long)x->not_before, (long long)y->not_before,
				 (long long)x->not_after, (long long)y->not_after,
				 (long long)x->first_seen, (long long)y->first_seen, x->state,
				 y->state);
	}
}

static const struct person_row *person(const struct rows *r, int64_t id)
{
	struct person_row key = { .id = id };
	const struct person_row *p = bsearch(&key, r->p, r->np, sizeof(*r->p), by_id);

	assert_non_null(p);
	return p;
}

static const struct cert_row *cert(const struct rows *r, const char *serial)
{
	struct cert_row key;
	const struct cert_row *c;

	snprintf(key.serial, sizeof(key.serial), "%s", serial);
	c = bsearch(&key, r->c, r->nc, sizeof(*r->c), by_serial);
	assert_non_null(c);
	return c;
}

/* What the rows hold, known independently of either reading: an escape
 * undone, a NULL read as "" or 0, a length or a sign mishandled shows here
 * even if the lists made the same mistake. */
static void expected_values(const struct rows *r)
{
	size_t i;
	int seen_odd = 0, seen_first = 0;

	assert_int_equal(r->np, NPEOPLE);
	assert_int_equal(r->nd, NDEVICES);
	assert_int_equal(r->nc, NCERTS);
	assert_string_equal(person(r, 1)->groups, "4B latin");
	assert_string_equal(person(r, 2)->school, "");
	assert_string_equal(person(r, 2)->groups, "");
	assert_int_equal(person(r, 2)->state, REG_PERSON_DISABLED);
	assert_int_equal(person(r, 2)->role, BYOD_ROLE_TEACHER);
	assert_string_equal(person(r, 3)->school, "Q\\\t'\xc3\xa9\n");
	assert_string_equal(person(r, 3)->groups,
			    "tab\there back\\slash new\nline cr\rret quote' \"dq\" \xc3\xa9 \xc3\xbc "
			    "\xe6\x97\xa5\xe6\x9c\xac \\N \\\\ \\t \\n \\x41 \\101 end\\");
	assert_int_equal(person(r, 3)->leaves_at, -1);
	assert_int_equal(person(r, 3)->role, BYOD_ROLE_STAFF);
	assert_string_equal(person(r, 4)->school, "ABCDEFGHIJKLMNO");
	assert_int_equal(strlen(person(r, 4)->groups), REG_GROUPS_MAX - 1);
	assert_memory_equal(person(r, 4)->groups, "\xc3\xa9\xc3\xa9\xc3\xa9", 6);
	assert_int_equal((int64_t)person(r, 4)->leaves_at, INT64_MAX);
	assert_string_equal(person(r, 5)->school, "\\N");
	assert_string_equal(person(r, 5)->groups, "\\N");
	assert_int_equal((int64_t)person(r, 5)->leaves_at, -INT64_MAX);
	assert_string_equal(person(r, 6)->groups, "\\");
	assert_int_equal((int64_t)person(r, 6)->leaves_at, 1099511627776LL);
	assert_string_equal(person(r, 7)->groups, "\t\n\t");
	/* the order: created, then insertion: d3 (50) after d6 (-10), then d1,
	 * d2, d7, d8 (100), d5 (150), dev... (200), then the bulk rows */
	assert_string_equal(r->d[0].id, "d6");
	assert_string_equal(r->d[1].id, "d3");
	assert_string_equal(r->d[2].id, "d1");
	assert_string_equal(r->d[3].id, "d2");
	assert_string_equal(r->d[4].id, "d7-with-an-id-longer-than-its-field-");
	assert_string_equal(r->d[5].id, "d8");
	assert_string_equal(r->d[6].id, "d5");
	assert_string_equal(r->d[7].id, "dev\todd\\\n'\"\xc3\xa9");
	assert_string_equal(r->d[8].id, "bulk-3000");
	assert_string_equal(r->d[2].mac, "aa:bb:cc:dd:ee:01");
	assert_string_equal(r->d[3].mac, "");
	assert_int_equal(r->d[3].state, BYOD_DEVICE_SUSPENDED);
	assert_int_equal(r->d[3].kind, BYOD_KIND_TABLET);
	assert_string_equal(r->d[4].mac, "aa:bb:cc:dd:ee:ff");
	assert_string_equal(r->d[5].mac, "\\");
	assert_string_equal(r->d[6].mac, "x\ty\\z\\N");
	assert_int_equal(r->d[6].owner, 4);
	assert_string_equal(r->d[7].mac, "");
	assert_int_equal(r->d[7].kind, BYOD_KIND_OTHER);
	assert_int_equal(r->d[7].state, BYOD_DEVICE_REVOKED);
	for (i = 8; i < r->nd; i++) {
		const struct device_row *d = &r->d[i];
		long n = strtol(d->id + 5, NULL, 10);

		/* created 5000 - i / 3: i / 3 descending; within one time, i ascending */
		if (i > 8) {
			long m = strtol(r->d[i - 1].id + 5, NULL, 10);

			assert_true(n / 3 < m / 3 || (n / 3 == m / 3 && n > m));
		}
		if (n % 2)
			assert_true(!strcmp(d->mac, "") ? 0 : !strncmp(d->mac, "m-", 2));
		else
			assert_string_equal(d->mac, "");
		seen_odd |= n % 2;
		seen_first |= n == 1;
	}
	assert_true(seen_odd && seen_first);
	assert_string_equal(cert(r, "04")->replaces, "02");
	assert_int_equal(cert(r, "04")->first_seen, 1700000100);
	assert_int_equal(cert(r, "03")->state, REG_CERT_REVOKED);
	assert_int_equal(cert(r, "02")->not_after, 1650000000);
	assert_string_equal(cert(r, "s\t\\N'\xc3\xa9\n")->device, "dev\todd\\\n'\"\xc3\xa9");
	assert_string_equal(cert(r, "s\t\\N'\xc3\xa9\n")->replaces, "r\\\\\n");
	assert_int_equal(cert(r, "s\t\\N'\xc3\xa9\n")->not_before, -5);
	assert_int_equal((int64_t)cert(r, "s\t\\N'\xc3\xa9\n")->not_after, INT64_MAX);
	assert_int_equal(cert(r, "s\t\\N'\xc3\xa9\n")->first_seen, -1);
	assert_string_equal(cert(r, "05")->replaces, "0123456789012345678901234567890123456789");
	assert_string_equal(cert(r, "05")->device, "d7-with-an-id-longer-than-its-field-");
	assert_int_equal(cert(r, "b3000")->state, REG_CERT_REVOKED);
	assert_int_equal(cert(r, "b2999")->first_seen, 2999 * 7);
}

/* ---- the tests ---------------------------------------------------------------------- */

/* bulk == lists, field by field, and both hold what was written */
static void test_bulk_equals_lists(void **state)
{
	struct fx *f = *state;
	struct rows bulk = { 0 }, lists = { 0 };
	size_t np, nd, nc;

	fill(f->path);
	assert_int_equal(reg_bulk_counts(f->reg, &np, &nd, &nc, &f->err), 0);
	assert_int_equal(np, NPEOPLE);
	assert_int_equal(nd, NDEVICES);
	assert_int_equal(nc, NCERTS);
	read_bulk(f->reg, &bulk);
	read_lists(f->reg, &lists);
	same_rows(&bulk, &lists, "bulk against lists");
	expected_values(&bulk);
	/* in a read transaction, as the RADIUS index loads: the same */
	rows_free(&bulk);
	assert_int_equal(reg_begin_read(f->reg, &f->err), 0);
	assert_int_equal(reg_bulk_counts(f->reg, &np, &nd, &nc, &f->err), 0);
	assert_int_equal(nd, NDEVICES);
	read_bulk(f->reg, &bulk);
	assert_int_equal(reg_commit(f->reg, &f->err), 0);
	same_rows(&bulk, &lists, "bulk in a transaction against lists");
	rows_free(&bulk);
	rows_free(&lists);
}

/* PostgreSQL's bulk read against SQLite's, the same rows written to both */
static void test_bulk_same_on_both_backends(void **state)
{
	struct fx *f = *state;
	struct rows here = { 0 }, there = { 0 };
	struct byod_err err = { 0 };
	struct reg *sq = NULL;
	const char *base = getenv("BYOD_TEST_TMP");
	char path[1024];

	if (!on_postgres())
		skip();
	snprintf(path, sizeof(path), "%s/test_bulk.%ld.db", base && base[0] ? base : "/tmp",
		 (long)getpid());
	remove_db(path);
	if (open_reg(path, 2000, &sq, &err))
		fail_msg("%s", err.msg);
	fill(f->path);
	fill(path);
	read_bulk(f->reg, &here);
	read_bulk(sq, &there);
	same_rows(&here, &there, "PostgreSQL against SQLite");
	expected_values(&there);
	reg_close(sq);
	remove_db(path);
	rows_free(&here);
	rows_free(&there);
}

/* a callback's non-zero return stops and comes back as is; what follows works */
static void test_bulk_stop(void **state)
{
	struct fx *f = *state;
	struct rows r = { .stop_after = 5 };
	struct reg_person p;
	int inside;

	fill(f->path);
	for (inside = 0; inside < 2; inside++) {
		if (inside)
			assert_int_equal(reg_begin_read(f->reg, &f->err), 0);
		assert_int_equal(reg_bulk_devices(f->reg, keep_device, &r, &f->err), 7);
		assert_int_equal(r.nd, 5);
		assert_int_equal(reg_bulk_certs(f->reg, keep_cert, &r, &f->err), 7);
		assert_int_equal(r.nc, 5);
		assert_int_equal(reg_bulk_people(f->reg, keep_person, &r, &f->err), 7);
		assert_int_equal(r.np, 5);
		assert_int_equal(reg_person_get(f->reg, "gus", &p, &f->err), 0);
		assert_string_equal(p.groups, "\t\n\t");
		if (inside)
			assert_int_equal(reg_commit(f->reg, &f->err), 0);
		rows_free(&r);
		r.stop_after = 5;
	}
	rows_free(&r);
}

/* The connection ended by the server (pg_terminate_backend) before a bulk
 * read: outside a transaction the read connects again and gives every row;
 * inside one it fails with -ENOTCONN (the snapshot is gone), and the handle
 * works again once that transaction is rolled back. Only this test's
 * connection is ended (its application_name). */
static void test_bulk_connection_ended(void **state)
{
	struct fx *f = *state;
	struct rows r = { 0 };
	struct reg *reg = NULL;
	char url[1200], sql[300];
	int inside;

	if (!on_postgres())
		skip();
	fill(f->path);
	snprintf(url, sizeof(url), "%s&application_name=byod-bulk-%ld", f->path, (long)getpid());
	assert_int_equal(open_reg(url, 1000, &reg, &f->err), 0);
	snprintf(sql, sizeof(sql),
		 "SELECT CASE WHEN pg_terminate_backend(pid, 5000) THEN 1 ELSE 0 END "
		 "FROM pg_stat_activity WHERE application_name = 'byod-bulk-%ld'",
		 (long)getpid());
	for (inside = 0; inside < 2; inside++) {
		raw_db *db;

		if (inside)
			assert_int_equal(reg_begin_read(reg, &f->err), 0);
		db = raw_open(f->path);
		assert_int_equal(raw_int(db, sql), 1);
		raw_close(db);
		if (!inside) {
			assert_int_equal(reg_bulk_devices(reg, keep_device, &r, &f->err), 0);
			assert_int_equal(r.nd, NDEVICES);
			continue;
		}
		assert_int_equal(reg_bulk_devices(reg, keep_device, &r, &f->err), -ENOTCONN);
		reg_rollback(reg);
		rows_free(&r);
		assert_int_equal(reg_bulk_certs(reg, keep_cert, &r, &f->err), 0);
		assert_int_equal(r.nc, NCERTS);
	}
	rows_free(&r);
	reg_close(reg);
}

/* ---- the binary COPY parser ---------------------------------------------------------- */

struct seen {
	char text[64][32];
	int64_t num[64];
	int n;
	int stop_at;
};

static int seen_row(const struct pg_copy_field *fl, int n, void *arg)
{
	struct seen *s = arg;

	assert_int_equal(n, 2);
	assert_true(s->n < 64);
	pg_copy_text(&fl[0], s->text[s->n], sizeof(s->text[0]));
	if (pg_copy_i64(&fl[1], &s->num[s->n]))
		return -EBADMSG;
	s->n++;
	return s->stop_at && s->n == s->stop_at ? 9 : 0;
}

static size_t put(uint8_t *b, size_t at, const void *p, size_t n)
{
	memcpy(b + at, p, n);
	return at + n;
}

static size_t put32(uint8_t *b, size_t at, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };

	return put(b, at, x, 4);
}

static size_t put16(uint8_t *b, size_t at, uint16_t v)
{
	uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	return put(b, at, x, 2);
}

static size_t put_row(uint8_t *b, size_t at, const char *t, int64_t v, int null_text)
{
	at = put16(b, at, 2);
	if (null_text) {
		at = put32(b, at, 0xffffffffu);
	} else {
		at = put32(b, at, (uint32_t)strlen(t));
		at = put(b, at, t, strlen(t));
	}
	at = put32(b, at, 8);
	at = put32(b, at, (uint32_t)((uint64_t)v >> 32));
	return put32(b, at, (uint32_t)v);
}

/* a stream of two-field rows: signature, flags, an extension of 3 bytes */
static size_t stream(uint8_t *b)
{
	size_t at = put(b, 0, "PGCOPY\n\377\r\n\0", 11);

	at = put32(b, at, 0);
	at = put32(b, at, 3);
	at = put(b, at, "ext", 3);
	at = put_row(b, at, "a\tb\\N\n", -2, 0);
	at = put_row(b, at, "", 0, 0);
	at = put_row(b, at, NULL, INT64_MIN, 1);
	at = put_row(b, at, "tr\xc3\xa9s", 1, 0);
	return put16(b, at, 0xffff);
}

/* Feeds buf in pieces of at most step bytes, as libpq's messages may come,
 * keeping what was not used with what follows (postgres_bulk.c's carry). */
static int feed(struct pg_copy *c, const uint8_t *buf, size_t len, size_t step, struct seen *s)
{
	uint8_t carry[512];
	size_t have = 0, at = 0, used;
	int rc = 0;

	while (at < len && !rc) {
		size_t n = len - at < step ? len - at : step;

		memcpy(carry + have, buf + at, n);
		have += n;
		at += n;
		rc = pg_copy_parse(c, carry, have, &used, seen_row, s);
		assert_true(used <= have);
		memmove(carry, carry + used, have - used);
		have -= used;
	}
	return rc ? rc : have ? -EAGAIN : 0;
}

static void test_copy_parser_pieces(void **state)
{
	uint8_t b[512];
	size_t len = stream(b), step;

	(void)state;
	for (step = 1; step <= len; step++) {
		struct pg_copy c;
		struct seen s = { .n = 0 };

		pg_copy_init(&c, 2);
		assert_int_equal(feed(&c, b, len, step, &s), 0);
		assert_true(c.done);
		assert_int_equal(s.n, 4);
		assert_string_equal(s.text[0], "a\tb\\N\n");
		assert_int_equal(s.num[0], -2);
		assert_string_equal(s.text[1], "");
		assert_string_equal(s.text[2], "");
		assert_int_equal(s.num[2], INT64_MIN);
		assert_string_equal(s.text[3], "tr\xc3\xa9s");
		assert_int_equal(s.num[3], 1);
	}
}

static void test_copy_parser_refuses(void **state)
{
	uint8_t b[512], m[512];
	size_t len = stream(b), used;
	struct pg_copy c;
	struct seen s = { .n = 0 };

	(void)state;
	/* a damaged signature */
	memcpy(m, b, len);
	m[5] = 'X';
	pg_copy_init(&c, 2);
	assert_int_equal(pg_copy_parse(&c, m, len, &used, seen_row, &s), -EPROTO);
	/* OIDs asked for (flag bit 16) */
	memcpy(m, b, len);
	m[12] = 1;
	pg_copy_init(&c, 2);
	assert_int_equal(pg_copy_parse(&c, m, len, &used, seen_row, &s), -EPROTO);
	/* three fields where two were asked for */
	memcpy(m, b, len);
	m[23] = 3;
	pg_copy_init(&c, 2);
	assert_int_equal(pg_copy_parse(&c, m, len, &used, seen_row, &s), -EPROTO);
	/* a length of -2 */
	memcpy(m, b, len);
	put32(m, 24, 0xfffffffeu);
	pg_copy_init(&c, 2);
	assert_int_equal(pg_copy_parse(&c, m, len, &used, seen_row, &s), -EPROTO);
	/* a length past the end: not yet whole, nothing past the header used */
	memcpy(m, b, len);
	put32(m, 24, 0x7fffffffu);
	pg_copy_init(&c, 2);
	s.n = 0;
	assert_int_equal(pg_copy_parse(&c, m, len, &used, seen_row, &s), 0);
	assert_int_equal(used, 22);
	assert_int_equal(s.n, 0);
	/* a byte after the trailer */
	memcpy(m, b, len);
	m[len] = 0;
	pg_copy_init(&c, 2);
	assert_int_equal(pg_copy_parse(&c, m, len + 1, &used, seen_row, &s), -EPROTO);
	/* a bigint of 4 bytes: the row says so */
	memcpy(m, b, len);
	pg_copy_init(&c, 2);
	s.n = 0;
	put32(m, 22 + 2 + 4 + 6, 4);
	assert_int_not_equal(pg_copy_parse(&c, m, len, &used, seen_row, &s), 0);
	/* the callback's stop comes back as is, its row counted in used */
	pg_copy_init(&c, 2);
	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	assert_int_equal(pg_copy_parse(&c, b, len, &used, seen_row, &s), 9);
	assert_int_equal(s.n, 2);
	assert_int_equal(used, 22 + (2 + 4 + 6 + 4 + 8) + (2 + 4 + 0 + 4 + 8));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bulk_equals_lists, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bulk_same_on_both_backends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bulk_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bulk_connection_ended, setup, teardown),
		cmocka_unit_test(test_copy_parser_pieces),
		cmocka_unit_test(test_copy_parser_refuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
