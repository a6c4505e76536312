// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the accounting journal (registry/reg_journal.c):
 * records come back in the order they were appended, a failed replay
 * leaves the record for the next try, a crash between a committed replay
 * and the journal's truncation replays nothing again, a crash between a
 * commit and its cursor replays exactly that record, a torn tail and a
 * damaged record are cut off or skipped, and a journal replayed twice into
 * a real registry leaves the same sessions as once.
 */
#define _GNU_SOURCE /* nftw (rmtree.h) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "registry.h"
#include "rmtree.h"
#include "reg_journal.h"

struct fx {
	char dir[512], spool[600];
};

static int setup(void **state)
{
	const char *base = getenv("BYOD_TEST_TMP");
	struct fx *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	snprintf(fx->dir, sizeof(fx->dir), "%s/spool-XXXXXX", base ? base : "/tmp");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->spool, sizeof(fx->spool), "%s/spool", fx->dir);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	test_rmtree(fx->dir);
	free(fx);
	return 0;
}

static void rec_make(struct reg_journal_rec *r, int i, enum reg_acct_type type)
{
	memset(r, 0, sizeof(*r));
	r->type = type;
	r->time = 1700000000 + i;
	snprintf(r->s.session_id, sizeof(r->s.session_id), "sess-%d", i);
	snprintf(r->s.nas_ip, sizeof(r->s.nas_ip), "127.0.0.%d", 1 + i % 3);
	snprintf(r->s.nas_id, sizeof(r->s.nas_id), "ap-%d", i % 2);
	snprintf(r->s.mac, sizeof(r->s.mac), "02:00:00:00:00:%02x", i & 0xff);
	r->s.in_octets = 1000 * i;
	r->s.out_octets = ((int64_t)1 << 33) + i;
}

static struct reg_journal *open_spool(struct fx *fx)
{
	struct reg_journal *sp = NULL;
	struct byod_err err;

	if (reg_journal_open(fx->spool, &sp, &err))
		fail_msg("open: %s", err.msg);
	return sp;
}

static void append_n(struct reg_journal *sp, int from, int n)
{
	struct reg_journal_rec r;
	struct byod_err err;
	int i;

	for (i = from; i < from + n; i++) {
		rec_make(&r, i,
			 i % 3 == 0   ? REG_ACCT_START
			 : i % 3 == 1 ? REG_ACCT_INTERIM
				      : REG_ACCT_STOP);
		if (reg_journal_append(sp, &r, &err))
			fail_msg("append: %s", err.msg);
	}
}

/* What the replay handed over, and when to refuse. */
struct seen {
	int n;
	char ids[64][64];
	uint64_t seqs[64];
	int fail_at; /* refuse the record at this count with -ENOTCONN, -1: never */
};

static int collect(const struct reg_journal_rec *r, void *arg, struct byod_err *err)
{
	struct seen *s = arg;
	struct reg_journal_rec want;
	int i;

	if (s->n == s->fail_at) {
		s->fail_at = -1;
		return byod_err_set(err, ENOTCONN, "the registry is gone");
	}
	/* every field comes back as written */
	assert_int_equal(sscanf(r->s.session_id, "sess-%d", &i), 1);
	rec_make(&want, i, r->type);
	assert_int_equal(r->time, want.time);
	assert_string_equal(r->s.nas_ip, want.s.nas_ip);
	assert_string_equal(r->s.nas_id, want.s.nas_id);
	assert_string_equal(r->s.mac, want.s.mac);
	assert_true(r->s.in_octets == want.s.in_octets && r->s.out_octets == want.s.out_octets);
	assert_true(s->n < 64);
	snprintf(s->ids[s->n], sizeof(s->ids[0]), "%s", r->s.session_id);
	s->seqs[s->n++] = r->seq;
	return 0;
}

static int replay_all(struct reg_journal *sp, struct seen *s)
{
	struct byod_err err;
	int rc;

	while ((rc = reg_journal_replay_one(sp, collect, s, &err)) == 1)
		;
	return rc;
}

static off_t journal_size(struct fx *fx)
{
	char path[700];
	struct stat st;

	snprintf(path, sizeof(path), "%s/journal", fx->spool);
	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

static void copy_file(const char *from, const char *to)
{
	char buf[65536];
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	size_t n;

	assert_non_null(in);
	assert_non_null(out);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	fclose(out);
}

static void keep(struct fx *fx, const char *name, const char *as)
{
	char a[700], b[700];

	snprintf(a, sizeof(a), "%s/%s", fx->spool, name);
	snprintf(b, sizeof(b), "%s/%s", fx->dir, as);
	copy_file(a, b);
}

static void put_back(struct fx *fx, const char *as, const char *name)
{
	char a[700], b[700];

	snprintf(a, sizeof(a), "%s/%s", fx->dir, as);
	snprintf(b, sizeof(b), "%s/%s", fx->spool, name);
	copy_file(a, b);
}

/* Appended records come back in order, across a reopen, and the journal
 * is empty after; the directory is private. */
static void test_order(void **state)
{
	struct fx *fx = *state;
	struct reg_journal *sp = open_spool(fx);
	struct seen s = {.fail_at = -1};
	struct stat st;
	int i;

	assert_int_equal(stat(fx->spool, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	append_n(sp, 0, 10);
	assert_int_equal(reg_journal_pending(sp), 10);
	reg_journal_free(sp);
	sp = open_spool(fx);
	assert_int_equal(reg_journal_pending(sp), 10);
	append_n(sp, 10, 5); /* after a reopen, the sequence goes on */
	assert_int_equal(replay_all(sp, &s), 0);
	assert_int_equal(s.n, 15);
	for (i = 0; i < 15; i++) {
		char want[16];

		snprintf(want, sizeof(want), "sess-%d", i);
		assert_string_equal(s.ids[i], want);
		if (i)
			assert_true(s.seqs[i] > s.seqs[i - 1]);
	}
	assert_int_equal(reg_journal_pending(sp), 0);
	assert_int_equal(journal_size(fx), 0);
	reg_journal_free(sp);
	/* nothing comes back after a reopen */
	sp = open_spool(fx);
	memset(&s, 0, sizeof(s));
	s.fail_at = -1;
	assert_int_equal(replay_all(sp, &s), 0);
	assert_int_equal(s.n, 0);
	reg_journal_free(sp);
}

/* A registry that fails mid-replay gets the same record again next time,
 * and records appended meanwhile come after. */
static void test_retry(void **state)
{
	struct fx *fx = *state;
	struct reg_journal *sp = open_spool(fx);
	struct seen s = {.fail_at = 3};
	struct byod_err err;

	append_n(sp, 0, 6);
	assert_int_equal(replay_all(sp, &s), -ENOTCONN);
	assert_int_equal(s.n, 3);
	assert_int_equal(reg_journal_pending(sp), 3);
	append_n(sp, 6, 2);
	assert_int_equal(reg_journal_pending(sp), 5);
	assert_int_equal(reg_journal_replay_one(sp, collect, &s, &err), 1);
	assert_string_equal(s.ids[3], "sess-3");
	assert_int_equal(replay_all(sp, &s), 0);
	assert_int_equal(s.n, 8);
	assert_string_equal(s.ids[7], "sess-7");
	reg_journal_free(sp);
}

/* A crash after the last record's commit and cursor but before the
 * journal was emptied: nothing is replayed again. */
static void test_crash_before_truncate(void **state)
{
	struct fx *fx = *state;
	struct reg_journal *sp = open_spool(fx);
	struct seen s = {.fail_at = -1};

	append_n(sp, 0, 4);
	keep(fx, "journal", "journal.full");
	assert_int_equal(replay_all(sp, &s), 0);
	assert_int_equal(s.n, 4);
	reg_journal_free(sp);
	put_back(fx, "journal.full", "journal"); /* as if the truncation never ran */
	sp = open_spool(fx);
	assert_int_equal(reg_journal_pending(sp), 0);
	memset(&s, 0, sizeof(s));
	s.fail_at = -1;
	assert_int_equal(replay_all(sp, &s), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(journal_size(fx), 0);
	/* and new records are numbered after the old ones */
	append_n(sp, 20, 1);
	assert_int_equal(replay_all(sp, &s), 0);
	assert_int_equal(s.n, 1);
	assert_true(s.seqs[0] > 4);
	reg_journal_free(sp);
}

/* A crash between a record's commit and its cursor: that record, and only
 * it, is handed over again (the registry makes it a no-op, see below). */
static void test_crash_before_cursor(void **state)
{
	struct fx *fx = *state;
	struct reg_journal *sp = open_spool(fx);
	struct seen s = {.fail_at = -1};
	struct byod_err err;

	append_n(sp, 0, 5);
	assert_int_equal(reg_journal_replay_one(sp, collect, &s, &err), 1);
	assert_int_equal(reg_journal_replay_one(sp, collect, &s, &err), 1);
	keep(fx, "cursor", "cursor.2");
	assert_int_equal(reg_journal_replay_one(sp, collect, &s, &err), 1); /* sess-2 */
	reg_journal_free(sp);
	put_back(fx, "cursor.2", "cursor"); /* its cursor never reached the disk */
	sp = open_spool(fx);
	assert_int_equal(reg_journal_pending(sp), 3);
	memset(&s, 0, sizeof(s));
	s.fail_at = -1;
	assert_int_equal(replay_all(sp, &s), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.ids[0], "sess-2");
	assert_string_equal(s.ids[2], "sess-4");
	reg_journal_free(sp);
}

static void append_bytes(struct fx *fx, const void *p, size_t n)
{
	char path[700];
	int fd;

	snprintf(path, sizeof(path), "%s/journal", fx->spool);
	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	close(fd);
}

/* One writer: a second handle on the same directory (another server, or
 * `freeradius -XC` beside a running one) reads but neither appends nor
 * replays, nor cuts what may be an append under way; it takes over once
 * the first is gone, with everything the first wrote. */
static void test_one_writer(void **state)
{
	struct fx *fx = *state;
	struct reg_journal *a = open_spool(fx), *b;
	struct seen s = {.fail_at = -1};
	struct reg_journal_stats st;
	struct reg_journal_rec r;
	struct byod_err err;
	uint8_t buf[1024];
	size_t half;
	off_t size;

	append_n(a, 0, 2);
	b = open_spool(fx);
	assert_int_equal(reg_journal_pending(b), 2);
	rec_make(&r, 9, REG_ACCT_START);
	assert_int_equal(reg_journal_append(b, &r, &err), -EBUSY);
	assert_non_null(strstr(err.msg, "another process"));
	assert_int_equal(reg_journal_replay_one(b, collect, &s, &err), -EBUSY);
	assert_int_equal(s.n, 0);
	/* the writer in the middle of an append: a reader leaves it be */
	append_n(a, 2, 1);
	rec_make(&r, 8, REG_ACCT_STOP);
	r.seq = 99;
	half = reg_journal_encode(&r, buf, sizeof(buf)) / 2;
	append_bytes(fx, buf, half);
	size = journal_size(fx);
	reg_journal_free(b);
	b = open_spool(fx);
	assert_int_equal(journal_size(fx), size);
	reg_journal_free(a);
	append_n(b, 3, 1); /* a is gone: b owns it now, and cuts the torn tail */
	reg_journal_stats(b, &st);
	assert_int_equal(st.torn_bytes, half);
	assert_int_equal(reg_journal_pending(b), 4);
	assert_int_equal(replay_all(b, &s), 0);
	assert_int_equal(s.n, 4);
	assert_string_equal(s.ids[2], "sess-2");
	assert_string_equal(s.ids[3], "sess-3");
	assert_true(s.seqs[3] > s.seqs[2]);
	reg_journal_free(b);
}

/* A power cut mid-append: the torn record is cut off at the next open, and
 * the journal goes on whole after it. */
static void test_torn_tail(void **state)
{
	struct fx *fx = *state;
	struct reg_journal *sp = open_spool(fx);
	struct seen s = {.fail_at = -1};
	struct reg_journal_stats st;
	struct reg_journal_rec r;
	uint8_t buf[1024];
	size_t n;
	off_t whole;

	append_n(sp, 0, 3);
	reg_journal_free(sp);
	whole = journal_size(fx);
	rec_make(&r, 3, REG_ACCT_STOP);
	r.seq = 4;
	n = reg_journal_encode(&r, buf, sizeof(buf));
	assert_true(n > 40 && n < sizeof(buf));
	append_bytes(fx, buf, n / 2);
	sp = open_spool(fx);
	reg_journal_stats(sp, &st);
	assert_int_equal(st.torn_bytes, n / 2);
	assert_int_equal(st.corrupt, 0);
	assert_int_equal(journal_size(fx), whole);
	assert_int_equal(reg_journal_pending(sp), 3);
	append_n(sp, 3, 1);
	assert_int_equal(replay_all(sp, &s), 0);
	assert_int_equal(s.n, 4);
	assert_string_equal(s.ids[3], "sess-3");
	reg_journal_free(sp);
}

/* A damaged record in the middle is counted and skipped; those around it
 * come back. */
static void test_damaged_middle(void **state)
{
	struct fx *fx = *state;
	struct reg_journal *sp = open_spool(fx);
	struct seen s = {.fail_at = -1};
	struct reg_journal_stats st;
	char path[700];
	off_t one;
	int fd;
	char c;

	append_n(sp, 0, 1);
	one = journal_size(fx);
	append_n(sp, 1, 2);
	reg_journal_free(sp);
	snprintf(path, sizeof(path), "%s/journal", fx->spool);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	/* a bit flipped inside the second record's session id */
	assert_int_equal(pread(fd, &c, 1, one + 45), 1);
	c ^= 0x01;
	assert_int_equal(pwrite(fd, &c, 1, one + 45), 1);
	close(fd);
	sp = open_spool(fx);
	reg_journal_stats(sp, &st);
	assert_int_equal(st.corrupt, 1);
	assert_int_equal(st.torn_bytes, 0);
	assert_int_equal(reg_journal_pending(sp), 2);
	assert_int_equal(replay_all(sp, &s), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.ids[0], "sess-0");
	assert_string_equal(s.ids[1], "sess-2");
	reg_journal_free(sp);
}

/* The reader on garbage, on every prefix of a journal, and on a journal
 * with garbage between records: never more than what is there. */
static int count_cb(const struct reg_journal_rec *r, void *arg)
{
	(void)r;
	(*(int *)arg)++;
	return 0;
}

static void test_parse(void **state)
{
	uint8_t buf[4096];
	struct reg_journal_rec r;
	size_t n = 0, len, end;
	uint64_t corrupt;
	int i, count;

	(void)state;
	for (i = 0; i < 5; i++) {
		rec_make(&r, i, REG_ACCT_INTERIM);
		r.seq = (uint64_t)i + 1;
		len = reg_journal_encode(&r, buf + n, sizeof(buf) - n);
		n += len;
		if (i == 2) { /* garbage that starts like a record */
			memcpy(buf + n, "BYJ1\xff\xff\xff\xffjunkjunk", 16);
			n += 16;
		}
	}
	count = 0;
	end = reg_journal_parse(buf, n, count_cb, &count, &corrupt);
	assert_int_equal(count, 5);
	assert_int_equal(corrupt, 1);
	assert_int_equal(end, n);
	for (len = 0; len < n; len++) {
		count = 0;
		end = reg_journal_parse(buf, len, count_cb, &count, NULL);
		assert_true(end <= len);
		assert_true(count <= 5);
	}
	memset(buf, 0xa5, sizeof(buf));
	count = 0;
	assert_int_equal(reg_journal_parse(buf, sizeof(buf), count_cb, &count, &corrupt), 0);
	assert_int_equal(count, 0);
}

/* A journal replayed twice into a real registry (a crash between commit
 * and cursor, at its worst: every record) leaves the same session rows:
 * Interim-Updates and Stops repeated change nothing. */
struct reg_ctx {
	struct reg *reg;
};

static int into_registry(const struct reg_journal_rec *r, void *arg, struct byod_err *err)
{
	struct reg_ctx *c = arg;

	return reg_journal_record(c->reg, r, err);
}

static int row_text(const struct reg_session *s, void *arg)
{
	char *out = arg;
	size_t n = strlen(out);

	snprintf(out + n, 4096 - n, "%s|%s|%s|%lld|%lld|%lld|%lld|%lld|%d\n", s->session_id,
		 s->nas_ip, s->mac, (long long)s->started, (long long)s->updated,
		 (long long)s->stopped, (long long)s->in_octets, (long long)s->out_octets,
		 (int)s->state);
	return 0;
}

static void test_registry_twice(void **state)
{
	struct fx *fx = *state;
	struct reg_options opt = {
		.backend = REG_BACKEND_SQLITE, .busy_timeout_ms = 1000, .actor = "test"};
	struct reg_journal *sp = open_spool(fx);
	struct reg_ctx c = {0};
	struct reg_journal_rec r;
	struct byod_err err;
	char db[700], once[4096] = "", twice[4096] = "";
	int i;

	snprintf(db, sizeof(db), "%s/registry.db", fx->dir);
	opt.path = db;
	if (reg_open(&opt, &c.reg, &err))
		fail_msg("registry: %s", err.msg);
	/* two sessions, interleaved: Start, Interim, Interim, Stop each */
	for (i = 0; i < 8; i++) {
		static const enum reg_acct_type t[] = {REG_ACCT_START, REG_ACCT_INTERIM,
						       REG_ACCT_INTERIM, REG_ACCT_STOP};

		rec_make(&r, i % 2, t[i / 2]);
		r.time = 1700000000 + i;
		r.s.in_octets = r.s.out_octets = 100 * (i / 2);
		if (reg_journal_append(sp, &r, &err))
			fail_msg("append: %s", err.msg);
	}
	keep(fx, "journal", "journal.full");
	keep(fx, "cursor", "cursor.none");
	while ((i = reg_journal_replay_one(sp, into_registry, &c, &err)) == 1)
		;
	assert_int_equal(i, 0);
	assert_int_equal(reg_session_list(c.reg, 0, NULL, row_text, once, &err), 0);
	reg_journal_free(sp);
	/* the same journal again, as if no cursor had ever been written */
	put_back(fx, "journal.full", "journal");
	put_back(fx, "cursor.none", "cursor");
	sp = open_spool(fx);
	assert_int_equal(reg_journal_pending(sp), 8);
	while ((i = reg_journal_replay_one(sp, into_registry, &c, &err)) == 1)
		;
	assert_int_equal(i, 0);
	assert_int_equal(reg_session_list(c.reg, 0, NULL, row_text, twice, &err), 0);
	assert_string_equal(once, twice);
	/* two rows, both closed at their Stop's time with the last counters */
	assert_non_null(strstr(once, "sess-0|127.0.0.1|02:00:00:00:00:00|1700000000|1700000006|"
				     "1700000006|300|300|1"));
	assert_non_null(strstr(once, "sess-1|127.0.0.2|02:00:00:00:00:01|1700000001|1700000007|"
				     "1700000007|300|300|1"));
	reg_journal_free(sp);
	reg_close(c.reg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_before_truncate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_before_cursor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_writer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_tail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged_middle, setup, teardown),
		cmocka_unit_test(test_parse),
		cmocka_unit_test_setup_teardown(test_registry_twice, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
