// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The change feed's promise to its followers: every committed event seen
 * exactly once by a follower that reads "after the last seq I saw", none of
 * a rolled-back transaction, in strictly increasing order. Events are
 * numbered at the outermost commit (registry.c), so a transaction that wrote
 * first and committed last still gets the higher number.
 *
 * The race (test_feed_race): writer processes, each with its own handle on
 * the same registry, in pairs A/B. A writes and then, its transaction still
 * open, waits until B has written and committed AND the follower (this
 * process) has seen B's event; only then does A commit (or roll back). What
 * this proves depends on the backend:
 *  - PostgreSQL (writers side by side): B commits inside A's transaction,
 *    the follower passes B's seq before A commits, and A's event must still
 *    come after it. With event numbers taken at write time A's event would
 *    get the lower number, become visible after the follower passed it, and
 *    be skipped: the test fails. test_feed_race checks the backend lets
 *    writers run side by side (a probe) and then that the inversion happened.
 *  - SQLite (one writer at a time, BEGIN IMMEDIATE): B waits in the busy
 *    handler until A's wait times out and A commits, so commit order is write
 *    order; the run still checks, with six writers contending for the lock,
 *    transactions of several changes with nested levels and rollbacks on
 *    purpose, that the feed holds every committed event once and no
 *    rolled-back one, and that the follower woken by reg_feed_wait
 *    (PRAGMA data_version) catches everything.
 *
 * Also: a rollback leaves no event (nor one carried into the next commit),
 * nested levels insert their events once at the outermost commit, a read
 * snapshot (reg_begin_read) does not see a commit made after it began, and
 * reg_feed_wait returns at the timeout or early after a commit elsewhere.
 *
 * Backend-neutral: every handle is opened by the fixture's open_reg on the
 * fixture's registry, and nothing here reads the database directly.
 */
#include "registry_fixture.h"

#include <poll.h>

#define PAIRS	3
#define WRITERS (2 * PAIRS)
#define ROUNDS	4
#define SOLO	6 /* changes each writer makes afterwards, racing the others */
/* how long A waits for B's commit to be seen: it comes within milliseconds
 * where writers run side by side; elsewhere it never comes in time */
#define TOKEN_MS_SIDE	5000
#define TOKEN_MS_SERIAL 300
#define BUSY_MS		30000 /* a writer waits this long for SQLite's write lock */

static long ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(((now.tv_sec - t0->tv_sec) * 1000000000LL + (now.tv_nsec - t0->tv_nsec)) /
		      1000000LL);
}

/* A device id the follower can map back to writer, round and change. */
static void make_id(char out[REG_ID_MAX], int writer, int round, int n)
{
	snprintf(out, REG_ID_MAX, "00000000-0000-4000-8000-%04x%04x%04x", writer, round, n);
}

static int parse_id(const char *id, int *writer, int *round, int *n)
{
	unsigned w, r, k;

	if (strncmp(id, "00000000-0000-4000-8000-", 24) || strlen(id) != 36 ||
	    sscanf(id + 24, "%4x%4x%4x", &w, &r, &k) != 3)
		return -1;
	*writer = (int)w;
	*round = (int)r;
	*n = (int)k;
	return 0;
}

static int add_dev(struct reg *reg, int64_t owner, const char *id, struct byod_err *err)
{
	struct reg_device d;

	fill_device(&d, owner, id, NULL);
	snprintf(d.id, sizeof(d.id), "%s", id);
	return reg_device_add(reg, &d, err);
}

/* ---- unit tests: rollback, nesting, snapshot, wait --------------------- */

static struct events ids_since(struct fx *f, int64_t after)
{
	return events_since(f, after, 0);
}

static void test_rollback_leaves_no_event(void **state)
{
	struct fx *f = *state;
	struct reg *other = NULL;
	char id1[REG_ID_MAX], id2[REG_ID_MAX], id3[REG_ID_MAX];
	int64_t owner = add_person(f, "owner"), last0 = -1, last = -1;
	struct events e;

	make_id(id1, 1, 0, 0);
	make_id(id2, 1, 0, 1);
	make_id(id3, 1, 0, 2);
	assert_int_equal(open_reg(f->path, 2000, &other, &f->err), 0);
	assert_int_equal(reg_events_last(f->reg, &last0, &f->err), 0);

	assert_int_equal(reg_begin(f->reg, &f->err), 0);
	assert_int_equal(add_dev(f->reg, owner, id1, &f->err), 0);
	assert_int_equal(add_dev(f->reg, owner, id2, &f->err), 0);
	reg_rollback(f->reg);
	e = ids_since(f, last0);
	assert_int_equal(e.n, 0);
	assert_int_equal(reg_events_last(other, &last, &f->err), 0);
	assert_int_equal(last, last0);

	/* the next commit carries its own event, not the rolled-back ones */
	assert_int_equal(add_dev(f->reg, owner, id3, &f->err), 0);
	e = ids_since(f, last0);
	assert_int_equal(e.n, 1);
	assert_string_equal(e.v[0].kind, "device.add");
	assert_string_equal(e.v[0].object, id3);

	reg_close(other);
}

static void test_nested_once_at_commit(void **state)
{
	struct fx *f = *state;
	struct reg *other = NULL;
	char id1[REG_ID_MAX], id2[REG_ID_MAX], id3[REG_ID_MAX];
	int64_t owner = add_person(f, "owner"), last0 = -1, last = -1;
	struct events e;

	make_id(id1, 2, 0, 0);
	make_id(id2, 2, 0, 1);
	make_id(id3, 2, 0, 2);
	assert_int_equal(open_reg(f->path, 2000, &other, &f->err), 0);
	assert_int_equal(reg_events_last(f->reg, &last0, &f->err), 0);

	assert_int_equal(reg_begin(f->reg, &f->err), 0);
	assert_int_equal(add_dev(f->reg, owner, id1, &f->err), 0);
	assert_int_equal(reg_begin(f->reg, &f->err), 0);
	assert_int_equal(add_dev(f->reg, owner, id2, &f->err), 0);
	assert_int_equal(reg_commit(f->reg, &f->err), 0);
	/* numbered at the outermost commit: not even this transaction holds
	 * an event yet, and nobody else sees one */
	e = ids_since(f, last0);
	assert_int_equal(e.n, 0);
	assert_int_equal(reg_events_last(other, &last, &f->err), 0);
	assert_int_equal(last, last0);
	assert_int_equal(add_dev(f->reg, owner, id3, &f->err), 0);
	assert_int_equal(reg_commit(f->reg, &f->err), 0);

	e = ids_since(f, last0);
	assert_int_equal(e.n, 3);
	assert_string_equal(e.v[0].object, id1);
	assert_string_equal(e.v[1].object, id2);
	assert_string_equal(e.v[2].object, id3);
	assert_true(e.v[0].seq > last0);
	assert_true(e.v[1].seq > e.v[0].seq);
	assert_true(e.v[2].seq > e.v[1].seq);
	assert_int_equal(reg_events_last(other, &last, &f->err), 0);
	assert_int_equal(last, e.v[2].seq);

	/* an inner rollback: the outer commit is refused and nothing shows */
	last0 = last;
	make_id(id1, 2, 1, 0);
	make_id(id2, 2, 1, 1);
	assert_int_equal(reg_begin(f->reg, &f->err), 0);
	assert_int_equal(add_dev(f->reg, owner, id1, &f->err), 0);
	assert_int_equal(reg_begin(f->reg, &f->err), 0);
	assert_int_equal(add_dev(f->reg, owner, id2, &f->err), 0);
	reg_rollback(f->reg);
	assert_int_equal(reg_commit(f->reg, &f->err), -ECANCELED);
	reg_rollback(f->reg);
	e = ids_since(f, last0);
	assert_int_equal(e.n, 0);

	reg_close(other);
}

static int count_device(const struct reg_device *d, void *arg)
{
	(void)d;
	(*(int *)arg)++;
	return 0;
}

static void test_begin_read_snapshot(void **state)
{
	struct fx *f = *state;
	struct reg *other = NULL;
	struct reg_device d;
	char id[REG_ID_MAX];
	int64_t owner = add_person(f, "owner"), last0 = -1, last = -1;
	int n0 = 0, n = 0;

	make_id(id, 3, 0, 0);
	assert_int_equal(open_reg(f->path, 2000, &other, &f->err), 0);

	assert_int_equal(reg_begin_read(f->reg, &f->err), 0);
	assert_int_equal(reg_events_last(f->reg, &last0, &f->err), 0);
	assert_int_equal(reg_device_list(f->reg, NULL, count_device, &n0, &f->err), 0);
	/* another handle commits meanwhile: writers are not held up */
	assert_int_equal(add_dev(other, owner, id, &f->err), 0);
	assert_int_equal(reg_events_last(f->reg, &last, &f->err), 0);
	assert_int_equal(last, last0);
	assert_int_equal(reg_device_list(f->reg, NULL, count_device, &n, &f->err), 0);
	assert_int_equal(n, n0);
	assert_int_equal(reg_device_get(f->reg, id, &d, &f->err), -ENOENT);
	/* nested levels inside it close as usual */
	assert_int_equal(reg_begin(f->reg, &f->err), 0);
	assert_int_equal(reg_commit(f->reg, &f->err), 0);
	/* a snapshot is only ever the outermost level */
	assert_int_equal(reg_begin_read(f->reg, &f->err), -EINVAL);
	assert_int_equal(reg_commit(f->reg, &f->err), 0);

	/* the next read sees it */
	assert_int_equal(reg_begin_read(f->reg, &f->err), 0);
	assert_int_equal(reg_events_last(f->reg, &last, &f->err), 0);
	assert_true(last > last0);
	assert_int_equal(reg_device_get(f->reg, id, &d, &f->err), 0);
	reg_rollback(f->reg);
	assert_int_equal(reg_commit(f->reg, &f->err), -EINVAL);

	reg_close(other);
}

static void test_feed_wait(void **state)
{
	struct fx *f = *state;
	struct reg *other = NULL;
	struct timespec t0;
	char id[REG_ID_MAX];
	int64_t owner = add_person(f, "owner");
	pid_t pid;
	int status;

	assert_int_equal(open_reg(f->path, 2000, &other, &f->err), 0);
	assert_int_equal(reg_feed_wait(f->reg, -1, &f->err), -EINVAL);
	assert_int_equal(reg_begin(f->reg, &f->err), 0);
	assert_int_equal(reg_feed_wait(f->reg, 10, &f->err), -EINVAL);
	reg_rollback(f->reg);

	/* the first wait on a handle cannot know what its caller's read
	 * before it missed: 1 ("may have changed") at once */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(reg_feed_wait(f->reg, 10000, &f->err), 1);
	assert_true(ms_since(&t0) < 5000);
	/* nothing happens: 0, after the whole timeout */
	assert_int_equal(reg_feed_wait(f->reg, 0, &f->err), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(reg_feed_wait(f->reg, 150, &f->err), 0);
	assert_true(ms_since(&t0) >= 150);

	/* a commit elsewhere since the last wait: at once */
	make_id(id, 4, 0, 0);
	assert_int_equal(add_dev(other, owner, id, &f->err), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(reg_feed_wait(f->reg, 10000, &f->err), 1);
	assert_true(ms_since(&t0) < 5000);
	assert_int_equal(reg_feed_wait(f->reg, 0, &f->err), 0);

	/* a commit of the handle's own (SQLite's data_version does not count
	 * those): at once too */
	make_id(id, 4, 0, 2);
	assert_int_equal(add_dev(f->reg, owner, id, &f->err), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(reg_feed_wait(f->reg, 10000, &f->err), 1);
	assert_true(ms_since(&t0) < 5000);

	/* a commit by another process during the wait: soon after it */
	assert_true(reg_feed_wait(f->reg, 0, &f->err) >= 0); /* whatever is left */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct reg *w = NULL;
		struct byod_err err;
		struct timespec nap = {0, 300 * 1000000L};
		int rc;

		nanosleep(&nap, NULL);
		make_id(id, 4, 0, 1);
		rc = open_reg(f->path, BUSY_MS, &w, &err);
		if (!rc)
			rc = add_dev(w, owner, id, &err);
		reg_close(w);
		_exit(rc ? 1 : 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(reg_feed_wait(f->reg, 20000, &f->err), 1);
	assert_true(ms_since(&t0) >= 250 && ms_since(&t0) < 10000);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	reg_close(other);
}

/* ---- the race ----------------------------------------------------------- */

struct pair {
	int written[2]; /* A -> B: A's transaction of round r has written (byte r) */
	int token[2];	/* follower -> A: B's change of round r was seen (byte r) */
};

/* One line per object to the results pipe: C committed, R rolled back,
 * I committed after the follower had seen B's later-written change. */
static void report(int fd, char what, const char *id)
{
	char line[64];
	int n = snprintf(line, sizeof(line), "%c %s\n", what, id);

	if (write(fd, line, (size_t)n) != n)
		_exit(3);
}

#define CHECK(x)                                                                                   \
	do {                                                                                       \
		if ((x) != 0) {                                                                    \
			fprintf(stderr, "writer %d: %s: %s\n", me, #x, err.msg);                   \
			_exit(1);                                                                  \
		}                                                                                  \
	} while (0)

/* Waits up to ms for byte r on fd (older bytes are a former round's,
 * come too late); 1 when it came. */
static int wait_token(int fd, int r, long ms)
{
	struct timespec t0;
	struct pollfd p = {.fd = fd, .events = POLLIN};
	unsigned char b;
	long left;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((left = ms - ms_since(&t0)) > 0) {
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		if (read(fd, &b, 1) == 1 && b == r)
			return 1;
	}
	return 0;
}

static void writer(const char *path, int me, int64_t owner, struct pair *pairs, int results,
		   long token_ms)
{
	struct pair *pr = &pairs[me / 2];
	struct reg *reg = NULL;
	struct byod_err err = {0};
	char id[REG_ID_MAX], id2[REG_ID_MAX];
	unsigned char b;
	int r, k, got;

	CHECK(open_reg(path, BUSY_MS, &reg, &err));
	for (r = 0; r < ROUNDS; r++) {
		if (me % 2 == 0) {
			/* A: write first, commit last */
			make_id(id, me, r, 0);
			make_id(id2, me, r, 1);
			CHECK(reg_begin(reg, &err));
			CHECK(add_dev(reg, owner, id, &err));
			if (r % 2) {
				/* two changes, one a nested level */
				CHECK(reg_begin(reg, &err));
				CHECK(add_dev(reg, owner, id2, &err));
				CHECK(reg_commit(reg, &err));
			}
			b = (unsigned char)r;
			if (write(pr->written[1], &b, 1) != 1)
				_exit(3);
			got = wait_token(pr->token[0], r, token_ms);
			if (r % 3 == 2) {
				reg_rollback(reg);
				report(results, 'R', id);
				if (r % 2)
					report(results, 'R', id2);
				continue;
			}
			CHECK(reg_commit(reg, &err));
			report(results, 'C', id);
			if (r % 2)
				report(results, 'C', id2);
			if (got)
				report(results, 'I', id);
		} else {
			/* B: begins once A has written (SQLite: waits for A's
			 * lock in the busy handler), commits inside A's
			 * transaction where the backend allows it */
			if (read(pr->written[0], &b, 1) != 1 || b != r)
				_exit(4);
			if (r % 3 == 1) {
				make_id(id, me, r, 9);
				CHECK(reg_begin(reg, &err));
				CHECK(add_dev(reg, owner, id, &err));
				reg_rollback(reg);
				report(results, 'R', id);
			}
			make_id(id, me, r, 0);
			CHECK(add_dev(reg, owner, id, &err));
			report(results, 'C', id);
		}
	}
	/* then everyone at once, one change per transaction or two */
	for (k = 0; k < SOLO; k++) {
		make_id(id, me, 100 + k, 0);
		make_id(id2, me, 100 + k, 1);
		if (k % 3 == 0) {
			CHECK(reg_begin(reg, &err));
			CHECK(add_dev(reg, owner, id, &err));
			CHECK(add_dev(reg, owner, id2, &err));
			if (k % 2) {
				reg_rollback(reg);
				report(results, 'R', id);
				report(results, 'R', id2);
				continue;
			}
			CHECK(reg_commit(reg, &err));
			report(results, 'C', id);
			report(results, 'C', id2);
		} else {
			CHECK(add_dev(reg, owner, id, &err));
			report(results, 'C', id);
		}
	}
	reg_close(reg);
	_exit(0);
}

#define MAXIDS 1024

struct follower {
	struct pair *pairs;
	int64_t last;
	int n;
	char id[MAXIDS][REG_ID_MAX];
	int64_t seq[MAXIDS];
};

static int follow_event(const struct reg_event *ev, void *arg)
{
	struct follower *fo = arg;
	int w, r, k;
	unsigned char b;

	/* strictly increasing: never an event twice, never one behind */
	assert_true(ev->seq > fo->last);
	fo->last = ev->seq;
	if (strcmp(ev->kind, "device.add") || parse_id(ev->object, &w, &r, &k))
		return 0;
	assert_true(fo->n < MAXIDS);
	memcpy(fo->id[fo->n], ev->object, REG_ID_MAX); /* parse_id: 36 characters */
	fo->seq[fo->n++] = ev->seq;
	if (w < WRITERS && w % 2 == 1 && r < ROUNDS && k == 0) {
		/* B's change is seen: A may commit now */
		b = (unsigned char)r;
		assert_int_equal(write(fo->pairs[w / 2].token[1], &b, 1), 1);
	}
	return 0;
}

/* Whether a second writer can write while a first one's transaction is
 * open (PostgreSQL) or is locked out (SQLite). */
static int writers_side_by_side(struct fx *f, int64_t owner)
{
	struct reg *h1 = NULL, *h2 = NULL;
	char id1[REG_ID_MAX], id2[REG_ID_MAX];
	int side;

	make_id(id1, 0xff, 0, 0);
	make_id(id2, 0xff, 0, 1);
	assert_int_equal(open_reg(f->path, 2000, &h1, &f->err), 0);
	assert_int_equal(open_reg(f->path, 0, &h2, &f->err), 0);
	assert_int_equal(reg_begin(h1, &f->err), 0);
	assert_int_equal(add_dev(h1, owner, id1, &f->err), 0);
	side = !reg_begin(h2, &f->err);
	if (side) {
		side = !add_dev(h2, owner, id2, &f->err);
		reg_rollback(h2);
	}
	reg_rollback(h1);
	reg_close(h2);
	reg_close(h1);
	return side;
}

/* What writer() commits, counted by the same rules. */
static int expected_committed(void)
{
	int me, r, k, n = 0;

	for (me = 0; me < WRITERS; me++) {
		for (r = 0; r < ROUNDS; r++) {
			if (me % 2)
				n += 1;
			else if (r % 3 != 2)
				n += r % 2 ? 2 : 1;
		}
		for (k = 0; k < SOLO; k++) {
			if (k % 3)
				n += 1;
			else if (k % 2 == 0)
				n += 2;
		}
	}
	return n;
}

static int find(char (*ids)[REG_ID_MAX], int n, const char *id)
{
	int i, c = 0;

	for (i = 0; i < n; i++)
		c += !strcmp(ids[i], id);
	return c;
}

static void test_feed_race(void **state)
{
	struct fx *f = *state;
	static struct follower fo;
	static char committed[MAXIDS][REG_ID_MAX], rolled[MAXIDS][REG_ID_MAX];
	struct pair pairs[PAIRS];
	pid_t pids[WRITERS];
	int results[2], alive = WRITERS, i, status, nc = 0, nr = 0, inverted = 0, side;
	int64_t owner = add_person(f, "owner");
	char buf[65536], *line, *save = NULL;
	size_t have = 0;
	ssize_t got;

	memset(&fo, 0, sizeof(fo));
	fo.pairs = pairs;
	assert_int_equal(reg_events_last(f->reg, &fo.last, &f->err), 0);
	/* its rolled-back changes must not show either */
	side = writers_side_by_side(f, owner);
	assert_int_equal(pipe(results), 0);
	for (i = 0; i < PAIRS; i++) {
		assert_int_equal(pipe(pairs[i].written), 0);
		assert_int_equal(pipe(pairs[i].token), 0);
	}
	fflush(NULL);
	for (i = 0; i < WRITERS; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0)
			writer(f->path, i, owner, pairs, results[1],
			       side ? TOKEN_MS_SIDE : TOKEN_MS_SERIAL);
	}
	close(results[1]);

	/* the follower: read what is new, then wait on the feed */
	while (alive > 0) {
		assert_int_equal(reg_events_since(f->reg, fo.last, 0, follow_event, &fo, &f->err),
				 0);
		for (i = 0; i < WRITERS; i++) {
			if (pids[i] > 0 && waitpid(pids[i], &status, WNOHANG) == pids[i]) {
				if (!WIFEXITED(status) || WEXITSTATUS(status))
					fail_msg("writer %d failed (status %d)", i, status);
				pids[i] = 0;
				alive--;
			}
		}
		assert_true(reg_feed_wait(f->reg, 50, &f->err) >= 0);
	}
	/* every writer has ended: whatever was committed is visible now */
	assert_int_equal(reg_events_since(f->reg, fo.last, 0, follow_event, &fo, &f->err), 0);

	while ((got = read(results[0], buf + have, sizeof(buf) - 1 - have)) > 0)
		have += (size_t)got;
	buf[have] = '\0';
	close(results[0]);
	for (i = 0; i < PAIRS; i++) {
		close(pairs[i].written[0]);
		close(pairs[i].written[1]);
		close(pairs[i].token[0]);
		close(pairs[i].token[1]);
	}
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		assert_true(strlen(line) == 38 && line[1] == ' ');
		if (line[0] == 'C')
			snprintf(committed[nc++], REG_ID_MAX, "%s", line + 2);
		else if (line[0] == 'R')
			snprintf(rolled[nr++], REG_ID_MAX, "%s", line + 2);
		else if (line[0] == 'I')
			inverted++;
		assert_true(nc < MAXIDS && nr < MAXIDS);
	}

	print_message("feed race: %d committed, %d rolled back, %d events seen, %d committed "
		      "after a later-written change was seen (writers side by side: %s)\n",
		      nc, nr, fo.n, inverted, side ? "yes" : "no");
	/* what the writers say they did */
	assert_int_equal(nc, expected_committed());
	assert_true(nr > 0);
	for (i = 0; i < nc; i++)
		if (find(fo.id, fo.n, committed[i]) != 1)
			fail_msg("committed %s seen %d times", committed[i],
				 find(fo.id, fo.n, committed[i]));
	for (i = 0; i < nr; i++)
		if (find(fo.id, fo.n, rolled[i]))
			fail_msg("rolled-back %s seen", rolled[i]);
	assert_int_equal(fo.n, nc);
	if (side)
		assert_true(inverted > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rollback_leaves_no_event, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nested_once_at_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_begin_read_snapshot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_feed_wait, setup, teardown),
		cmocka_unit_test_setup_teardown(test_feed_race, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
