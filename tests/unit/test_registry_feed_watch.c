// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The SQLite change-feed wait's watch (registry/sqlite_feed.c): an idle
 * wait does not ask PRAGMA data_version every few milliseconds (each ask is
 * a read transaction, locks on the -shm file), yet a commit by another
 * process, by another connection of this one, or by another thread through
 * the same handle still ends the wait within milliseconds, and keeps doing
 * so after the -wal file was checkpointed to nothing, restarted, or renamed
 * away and back. Where no watch can be made the wait polls as it always did.
 *
 * How often data_version was asked is the kept statement's own count
 * (sqlite3_stmt_status SQLITE_STMTSTATUS_RUN). To prove that the watch, not
 * the once-a-second look that backs it up, ended a wait, some tests move
 * that look past the wait's timeout (deafen_backup) first.
 *
 * SQLite only: PostgreSQL's wait is a LISTEN, tested in
 * test_registry_postgres.c.
 */
#include "registry_fixture.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/types.h>

#include "reg_internal.h"
#include "sqlite_int.h"

#define SLACK_MS 500 /* a commit to the end of the wait it ends, generously */

static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void nap_ms(long ms)
{
	struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&t, NULL);
}

static struct sq *sq_of_reg(struct reg *reg)
{
	return sq_of(reg->be);
}

/* How many times the handle's wait has asked PRAGMA data_version. */
static int asks(struct reg *reg)
{
	struct sq *s = sq_of_reg(reg);

	assert_non_null(s->feed_st);
	return sqlite3_stmt_status(s->feed_st, SQLITE_STMTSTATUS_RUN, 0);
}

/* The wait's own look, once a second, pushed a minute away and the last
 * write seen forgotten: only the watch can end the next wait early. */
static void deafen_backup(struct reg *reg)
{
	struct sq *s = sq_of_reg(reg);

	s->feed_checked = now_ms() + 60000;
	s->feed_write = 0;
	s->feed_pending = 0;
}

/* Lets the writes before settle and drains what the watch saw of them
 * (a checkpoint may move data_version: whatever this wait says), then
 * deafens the backup look. */
static void settle(struct fx *f)
{
	nap_ms(300);
	assert_true(reg_feed_wait(f->reg, 0, &f->err) >= 0);
	deafen_backup(f->reg);
}

/* A commit through reg after delay_ms, from another thread. */
struct later {
	struct reg *reg;
	long delay_ms;
	int n;
	int rc;
	int64_t done; /* now_ms() when the commit returned */
	pthread_t t;
};

static void *commit_thread(void *arg)
{
	struct later *l = arg;
	struct reg_school s = {.name = "B"};
	struct byod_err err = {0};

	nap_ms(l->delay_ms);
	snprintf(s.uai, sizeof(s.uai), "09300%02dB", l->n);
	l->rc = reg_school_add(l->reg, &s, &err);
	if (l->rc)
		fprintf(stderr, "commit: %s\n", err.msg);
	l->done = now_ms();
	return NULL;
}

static void commit_later(struct later *l, struct reg *reg, long delay_ms, int n)
{
	memset(l, 0, sizeof(*l));
	l->reg = reg;
	l->delay_ms = delay_ms;
	l->n = n;
	l->rc = -1;
	assert_int_equal(pthread_create(&l->t, NULL, commit_thread, l), 0);
}

/* Waits (up to 10 s) while l commits: the wait ends at most SLACK_MS after
 * the commit returned, not at its timeout. */
static void wait_woken_by(struct fx *f, struct later *l)
{
	int64_t t0 = now_ms(), woke;
	int rc;

	rc = reg_feed_wait(f->reg, 10000, &f->err);
	woke = now_ms();
	assert_int_equal(pthread_join(l->t, NULL), 0);
	assert_int_equal(l->rc, 0);
	assert_int_equal(rc, 1);
	print_message("woken %ld ms after the wait began, %ld ms after the commit returned\n",
		      (long)(woke - t0), (long)(woke - l->done));
	assert_true(woke - t0 >= l->delay_ms - 5);
	assert_true(woke - l->done < SLACK_MS);
}

/* The first wait (1, "may have changed"), and then nothing left over. */
static void first_wait(struct fx *f)
{
	assert_int_equal(reg_feed_wait(f->reg, 0, &f->err), 1);
	nap_ms(300); /* past the settling of the writes before */
	assert_int_equal(reg_feed_wait(f->reg, 0, &f->err), 0);
}

/* (a) Idle: a wait of a second asks data_version a few times at most (it
 * asked 50 times a second when it polled every 20 ms), and so do five
 * waits of 200 ms, as rlm_byod's follower waits in slices. */
static void test_idle_wait_asks_rarely(void **state)
{
	struct fx *f = *state;
	int64_t t0;
	int n0, i;

	first_wait(f);
	n0 = asks(f->reg);
	t0 = now_ms();
	assert_int_equal(reg_feed_wait(f->reg, 1000, &f->err), 0);
	assert_true(now_ms() - t0 >= 990);
	print_message("one idle wait of 1 s: data_version asked %d times\n", asks(f->reg) - n0);
	assert_true(asks(f->reg) - n0 <= 3);
	assert_int_equal(sq_of_reg(f->reg)->feed_watch, 1); /* watching, not polling */

	n0 = asks(f->reg);
	for (i = 0; i < 5; i++)
		assert_int_equal(reg_feed_wait(f->reg, 200, &f->err), 0);
	print_message("five idle waits of 200 ms: data_version asked %d times\n",
		      asks(f->reg) - n0);
	assert_true(asks(f->reg) - n0 <= 3);
}

/* (b) Another process commits (the sqlite3 shell, exec'd at once after the
 * fork, 300 ms into the wait): the wait ends soon after, woken by the watch. */
static void test_commit_by_another_process(void **state)
{
	struct fx *f = *state;
	int64_t t0, woke;
	int status, n0;
	pid_t pid;

	first_wait(f);
	deafen_backup(f->reg);
	n0 = asks(f->reg);
	t0 = now_ms();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0)
			dup2(null, STDOUT_FILENO);
		nap_ms(300);
		execlp("sqlite3", "sqlite3", "-cmd", ".timeout 5000", f->path,
		       "CREATE TABLE IF NOT EXISTS watch_probe (x); INSERT INTO watch_probe VALUES (1)",
		       (char *)NULL);
		_exit(127);
	}
	assert_int_equal(reg_feed_wait(f->reg, 10000, &f->err), 1);
	woke = now_ms();
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	print_message("another process's commit: woken %ld ms after the wait began, "
		      "data_version asked %d times\n",
		      (long)(woke - t0), asks(f->reg) - n0);
	assert_true(woke - t0 >= 290);
	assert_true(woke - t0 < 300 + 2000); /* the shell's start included: generous */
	assert_true(asks(f->reg) - n0 <= 12);
}

/* (b) Another connection of this process commits while the wait runs. */
static void test_commit_by_another_connection(void **state)
{
	struct fx *f = *state;
	struct reg *other = NULL;
	struct later l;

	assert_int_equal(open_reg(f->path, 5000, &other, &f->err), 0);
	first_wait(f);
	deafen_backup(f->reg);
	commit_later(&l, other, 300, 1);
	wait_woken_by(f, &l);
	/* and the commit is not reported twice */
	nap_ms(300);
	assert_int_equal(reg_feed_wait(f->reg, 100, &f->err), 0);
	reg_close(other);
}

static off_t wal_size(struct fx *f)
{
	char wal[1100];
	struct stat st;

	snprintf(wal, sizeof(wal), "%s-wal", f->path);
	assert_int_equal(stat(wal, &st), 0);
	return st.st_size;
}

/* (c) The -wal file checkpointed and truncated to nothing, checkpointed and
 * restarted from its beginning by the next writer, and renamed away and
 * back: each time a later commit still ends the wait before its timeout. */
static void test_wal_reset_does_not_deafen(void **state)
{
	struct fx *f = *state;
	struct reg *other = NULL;
	char wal[1100], away[1100];
	struct later l;
	raw_db *raw;
	int n = 1;

	snprintf(wal, sizeof(wal), "%s-wal", f->path);
	snprintf(away, sizeof(away), "%s-wal.away", f->path);
	assert_int_equal(open_reg(f->path, 5000, &other, &f->err), 0);
	raw = raw_open(f->path);
	first_wait(f);

	/* truncated to nothing */
	raw_exec(raw, "PRAGMA wal_checkpoint(TRUNCATE)");
	assert_int_equal(wal_size(f), 0);
	settle(f);
	commit_later(&l, other, 300, n++);
	wait_woken_by(f, &l);
	assert_true(wal_size(f) > 0);

	/* every frame copied back: the next writer starts the WAL over (the
	 * wait may wake at its new header, a moment before its frames: then
	 * the next wait reports the commit) */
	raw_exec(raw, "PRAGMA wal_checkpoint(RESTART)");
	settle(f);
	commit_later(&l, other, 300, n++);
	wait_woken_by(f, &l);

	/* the file renamed away and back (every connection keeps it open) */
	raw_exec(raw, "PRAGMA wal_checkpoint(TRUNCATE)");
	assert_int_equal(rename(wal, away), 0);
	assert_int_equal(rename(away, wal), 0);
	settle(f);
	commit_later(&l, other, 300, n++);
	wait_woken_by(f, &l);

	raw_close(raw);
	reg_close(other);
}

/* (d) Another thread commits through the same handle: data_version does
 * not move (the same connection), its own-changes count does, and the
 * watch wakes the wait to look at it. */
static void test_commit_through_the_same_handle(void **state)
{
	struct fx *f = *state;
	struct later l;

	first_wait(f);
	deafen_backup(f->reg);
	commit_later(&l, f->reg, 300, 1);
	wait_woken_by(f, &l);
	nap_ms(300);
	assert_int_equal(reg_feed_wait(f->reg, 100, &f->err), 0);
}

/* Other files of the database's directory written all the while: no
 * wake-up that asks data_version. */
struct scribbler {
	char path[1100];
	volatile int stop;
	pthread_t t;
};

static void *scribble_thread(void *arg)
{
	struct scribbler *w = arg;
	int fd = open(w->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	while (fd >= 0 && !w->stop) {
		if (write(fd, "x", 1) != 1)
			break;
		nap_ms(5);
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

static void test_other_files_do_not_wake(void **state)
{
	struct fx *f = *state;
	struct scribbler w = {0};
	int n0;

	snprintf(w.path, sizeof(w.path), "%s.other", f->path);
	first_wait(f);
	n0 = asks(f->reg);
	assert_int_equal(pthread_create(&w.t, NULL, scribble_thread, &w), 0);
	assert_int_equal(reg_feed_wait(f->reg, 800, &f->err), 0);
	w.stop = 1;
	assert_int_equal(pthread_join(w.t, NULL), 0);
	unlink(w.path);
	print_message("another file written every 5 ms: data_version asked %d times in 800 ms\n",
		      asks(f->reg) - n0);
	assert_true(asks(f->reg) - n0 <= 3);
}

/* Where no watch can be made (inotify refused, out of instances, a
 * database in memory), the wait polls as before: a commit elsewhere still
 * ends it soon, and an idle wait asks every few milliseconds. */
static void test_polling_without_a_watch(void **state)
{
	struct fx *f = *state;
	struct reg *other = NULL;
	struct later l;
	int n0;

	assert_int_equal(open_reg(f->path, 5000, &other, &f->err), 0);
	sq_of_reg(f->reg)->feed_watch = -1; /* as if watching had failed, */
	sq_of_reg(f->reg)->feed_retry = INT64_MAX; /* for good */
	assert_int_equal(reg_feed_wait(f->reg, 0, &f->err), 1);
	assert_int_equal(sq_of_reg(f->reg)->feed_watch, -1);
	n0 = asks(f->reg);
	assert_int_equal(reg_feed_wait(f->reg, 300, &f->err), 0);
	assert_true(asks(f->reg) - n0 >= 5);
	commit_later(&l, other, 300, 1);
	wait_woken_by(f, &l);
	reg_close(other);
}

/*
 * A VFS over SQLite's own ("unix") whose sync of a -wal file sleeps
 * slow_sync_ms first: a commit whose frames were written (the watch saw
 * it) and which becomes visible only after the sync, as on a loaded disk
 * or when the writer is preempted between the two. sync_sleeping is set
 * while it sleeps.
 */
struct slow_file {
	sqlite3_file base;
	sqlite3_file *real;
	int wal;
};

static sqlite3_vfs slow_vfs;
static sqlite3_vfs *unix_vfs;
static volatile int slow_sync_ms;
static volatile int sync_sleeping;

#define REAL(f) (((struct slow_file *)(f))->real)

static int slow_close(sqlite3_file *f)
{
	int rc = REAL(f)->pMethods ? REAL(f)->pMethods->xClose(REAL(f)) : SQLITE_OK;

	sqlite3_free(REAL(f));
	return rc;
}
static int slow_read(sqlite3_file *f, void *b, int n, sqlite3_int64 o)
{
	return REAL(f)->pMethods->xRead(REAL(f), b, n, o);
}
static int slow_write(sqlite3_file *f, const void *b, int n, sqlite3_int64 o)
{
	return REAL(f)->pMethods->xWrite(REAL(f), b, n, o);
}
static int slow_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	return REAL(f)->pMethods->xTruncate(REAL(f), size);
}
static int slow_sync(sqlite3_file *f, int flags)
{
	if (((struct slow_file *)f)->wal && slow_sync_ms) {
		sync_sleeping = 1;
		nap_ms(slow_sync_ms);
		sync_sleeping = 0;
	}
	return REAL(f)->pMethods->xSync(REAL(f), flags);
}
static int slow_size(sqlite3_file *f, sqlite3_int64 *size)
{
	return REAL(f)->pMethods->xFileSize(REAL(f), size);
}
static int slow_lock(sqlite3_file *f, int l)
{
	return REAL(f)->pMethods->xLock(REAL(f), l);
}
static int slow_unlock(sqlite3_file *f, int l)
{
	return REAL(f)->pMethods->xUnlock(REAL(f), l);
}
static int slow_reserved(sqlite3_file *f, int *out)
{
	return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}
static int slow_control(sqlite3_file *f, int op, void *arg)
{
	return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}
static int slow_sector(sqlite3_file *f)
{
	return REAL(f)->pMethods->xSectorSize(REAL(f));
}
static int slow_device(sqlite3_file *f)
{
	return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}
static int slow_shm_map(sqlite3_file *f, int pg, int pgsz, int extend, void volatile **p)
{
	return REAL(f)->pMethods->xShmMap(REAL(f), pg, pgsz, extend, p);
}
static int slow_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
	return REAL(f)->pMethods->xShmLock(REAL(f), offset, n, flags);
}
static void slow_shm_barrier(sqlite3_file *f)
{
	REAL(f)->pMethods->xShmBarrier(REAL(f));
}
static int slow_shm_unmap(sqlite3_file *f, int del)
{
	return REAL(f)->pMethods->xShmUnmap(REAL(f), del);
}

static const sqlite3_io_methods slow_io = {
	.iVersion = 2,
	.xClose = slow_close,
	.xRead = slow_read,
	.xWrite = slow_write,
	.xTruncate = slow_truncate,
	.xSync = slow_sync,
	.xFileSize = slow_size,
	.xLock = slow_lock,
	.xUnlock = slow_unlock,
	.xCheckReservedLock = slow_reserved,
	.xFileControl = slow_control,
	.xSectorSize = slow_sector,
	.xDeviceCharacteristics = slow_device,
	.xShmMap = slow_shm_map,
	.xShmLock = slow_shm_lock,
	.xShmBarrier = slow_shm_barrier,
	.xShmUnmap = slow_shm_unmap,
};

static int slow_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *f, int flags,
		     int *out)
{
	struct slow_file *p = (struct slow_file *)f;
	int rc;

	(void)vfs;
	memset(p, 0, sizeof(*p));
	p->real = sqlite3_malloc(unix_vfs->szOsFile);
	if (!p->real)
		return SQLITE_NOMEM;
	memset(p->real, 0, (size_t)unix_vfs->szOsFile);
	p->wal = !!(flags & SQLITE_OPEN_WAL);
	rc = unix_vfs->xOpen(unix_vfs, name, p->real, flags, out);
	if (rc != SQLITE_OK || !p->real->pMethods) {
		sqlite3_free(p->real);
		p->real = NULL;
		return rc == SQLITE_OK ? SQLITE_CANTOPEN : rc;
	}
	p->base.pMethods = &slow_io;
	return SQLITE_OK;
}

static sqlite3 *slow_open_db(const char *path)
{
	sqlite3 *db = NULL;

	if (!unix_vfs) {
		unix_vfs = sqlite3_vfs_find("unix");
		assert_non_null(unix_vfs);
		slow_vfs = *unix_vfs;
		slow_vfs.iVersion = 1; /* the system-call overrides are unix's own */
		slow_vfs.szOsFile = sizeof(struct slow_file);
		slow_vfs.zName = "slow-sync";
		slow_vfs.pNext = NULL;
		slow_vfs.xOpen = slow_open;
		assert_int_equal(sqlite3_vfs_register(&slow_vfs, 0), SQLITE_OK);
	}
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, "slow-sync"), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA busy_timeout = 5000; PRAGMA synchronous = FULL",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	return db;
}

/* A commit through db from another thread (after its sync's sleep). */
struct slow_commit {
	sqlite3 *db;
	int rc;
	int64_t done;
	pthread_t t;
};

static void *slow_commit_thread(void *arg)
{
	struct slow_commit *c = arg;

	c->rc = sqlite3_exec(c->db, "INSERT INTO watch_probe VALUES (2)", NULL, NULL, NULL);
	c->done = now_ms();
	return NULL;
}

/*
 * (e) Two commits seen written before one look, the second made visible
 * only after it (its sync slow): the look finds the first, and the second
 * still ends the next wait soon after it became visible, not at the
 * once-a-second look. (A gateway that read a heartbeat's commit missed the
 * teacher's unlock committed just behind it by most of a second.)
 */
static void visible_after_the_look(struct fx *f, int scribble)
{
	struct slow_commit c = {0};
	struct scribbler w = {0};
	int64_t t0, woke;
	raw_db *raw;
	int rc, n0;

	if (scribble) {
		snprintf(w.path, sizeof(w.path), "%s.other", f->path);
		assert_int_equal(pthread_create(&w.t, NULL, scribble_thread, &w), 0);
	}
	raw = raw_open(f->path);
	raw_exec(raw, "CREATE TABLE watch_probe (x)");
	c.db = slow_open_db(f->path);
	first_wait(f);
	deafen_backup(f->reg);
	/* the first commit, visible at once; the second, its frames written
	 * and its sync sleeping */
	raw_exec(raw, "INSERT INTO watch_probe VALUES (1)");
	slow_sync_ms = 400;
	assert_int_equal(pthread_create(&c.t, NULL, slow_commit_thread, &c), 0);
	for (t0 = now_ms(); !sync_sleeping && now_ms() - t0 < 5000;)
		nap_ms(1);
	assert_true(sync_sleeping);
	/* the look: the first commit */
	assert_int_equal(reg_feed_wait(f->reg, 0, &f->err), 1);
	/* the once-a-second look pushed a minute away: a wait that does not
	 * look at the write still pending times out; one that does sets that
	 * look a second on, after SLACK_MS past the commit, and only the
	 * pending write's looks end the wait within it */
	sq_of_reg(f->reg)->feed_checked = now_ms() + 60000;
	n0 = asks(f->reg);
	t0 = now_ms();
	rc = reg_feed_wait(f->reg, 3000, &f->err);
	woke = now_ms();
	assert_int_equal(pthread_join(c.t, NULL), 0);
	slow_sync_ms = 0;
	assert_int_equal(c.rc, SQLITE_OK);
	print_message("the second commit: woken %ld ms after the wait began, %ld ms after it "
		      "returned, data_version asked %d times\n",
		      (long)(woke - t0), (long)(woke - c.done), asks(f->reg) - n0);
	assert_int_equal(rc, 1);
	if (c.done - t0 < 800) {
		assert_true(woke - c.done < SLACK_MS);
	} else {
		/* a machine so loaded that the commit came more than the
		 * pending second after its write: the once-a-second look */
		print_message("(the commit took %ld ms: past the pending second)\n",
			      (long)(c.done - t0));
		assert_true(woke - c.done < 1000 + SLACK_MS);
	}
	assert_int_equal(raw_int(raw, "SELECT count(*) FROM watch_probe"), 2);
	sqlite3_close(c.db);
	raw_close(raw);
	if (scribble) {
		w.stop = 1;
		assert_int_equal(pthread_join(w.t, NULL), 0);
		unlink(w.path);
	}
}

static void test_commit_visible_after_the_look(void **state)
{
	visible_after_the_look(*state, 0);
}

/* The same with another file of the directory written every 5 ms (other
 * databases beside this one): the pending write's looks are not put off
 * by each wake-up for another file. */
static void test_commit_visible_after_the_look_busy_dir(void **state)
{
	visible_after_the_look(*state, 1);
}

/* inotify_init1 wrapped (tests/CMakeLists.txt: --wrap): fails while
 * fail_inotify is set, as when the user's inotify instances run out */
static int fail_inotify;
int __real_inotify_init1(int flags);
int __wrap_inotify_init1(int flags);
int __wrap_inotify_init1(int flags)
{
	if (fail_inotify) {
		errno = EMFILE;
		return -1;
	}
	return __real_inotify_init1(flags);
}

/* No watch could be made: the wait polls (and still sees a commit), and a
 * watch is made again at the next wait after the retry time, the first
 * look after it made at once. */
static void test_watch_tried_again(void **state)
{
	struct fx *f = *state;
	struct reg *other = NULL;
	struct sq *s;
	struct later l;
	int n0;

	assert_int_equal(open_reg(f->path, 5000, &other, &f->err), 0);
	fail_inotify = 1;
	assert_int_equal(reg_feed_wait(other, 0, &f->err), 1); /* the first wait */
	s = sq_of_reg(other);
	assert_int_equal(s->feed_watch, -1);
	assert_true(s->feed_retry > now_ms() + 5000); /* not at every wait */
	n0 = asks(other);
	assert_int_equal(reg_feed_wait(other, 300, &f->err), 0);
	assert_true(asks(other) - n0 >= 5); /* polling */
	assert_int_equal(s->feed_watch, -1);
	fail_inotify = 0;
	commit_later(&l, f->reg, 300, 7);
	f->reg = other, other = l.reg; /* the waiting handle is f->reg below */
	wait_woken_by(f, &l); /* seen by polling */
	s->feed_retry = now_ms(); /* the retry is due */
	n0 = asks(f->reg);
	assert_int_equal(reg_feed_wait(f->reg, 0, &f->err), 0);
	assert_int_equal(s->feed_watch, 1);
	assert_int_equal(asks(f->reg) - n0, 1); /* looked once, at once */
	settle(f);
	commit_later(&l, other, 300, 8);
	wait_woken_by(f, &l); /* seen by the watch again */
	reg_close(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_idle_wait_asks_rarely, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_by_another_process, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_by_another_connection, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wal_reset_does_not_deafen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_through_the_same_handle, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_other_files_do_not_wake, setup, teardown),
		cmocka_unit_test_setup_teardown(test_polling_without_a_watch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_visible_after_the_look, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_commit_visible_after_the_look_busy_dir, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_watch_tried_again, setup, teardown),
	};

	if (on_postgres())
		return 0;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
