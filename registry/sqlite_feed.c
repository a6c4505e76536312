// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The SQLite backend's change-feed wait (reg_feed_wait). SQLite tells no
 * connection of another's commit: PRAGMA data_version moves when another
 * connection committed, but asking it is a read transaction (locks on the
 * -shm file), and the followers (rlm_byod, byod-gatewayd, the console's
 * live view) asked it every 20 ms all day long: most of an idle server's CPU
 * and a seventh of a busy FreeRADIUS's. So the wait sleeps on an inotify
 * watch of the database's directory and asks data_version when the file a
 * commit writes was written: the -wal file (sq_open accepts WAL mode only;
 * checkpoints write the database file, which is not watched). A directory
 * watch, not one of the file: it still sees a -wal file that was removed and made again,
 * or renamed into place. data_version is also asked every FEED_CHECK_MS
 * whatever the watch says, should a write ever go unseen, and where no
 * watch can be made (an in-memory or temporary database, inotify refused,
 * or out of instances) the wait polls every FEED_TICK_MS as it always did,
 * and tries a watch again every WATCH_RETRY_MS.
 *
 * A handle has one waiting thread at a time (other threads may commit
 * through it meanwhile): the feed fields of struct sq are the wait's alone,
 * as the kept statement always was, and closed with the handle.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "sqlite_int.h"

/*
 * PRAGMA data_version through a statement prepared at the first wait and
 * kept: a follower asks it at each wait, and preparing it each time
 * (parsing, planning, allocating) was most of an idle server's CPU. Reset
 * at once, so that no read transaction stays open between two looks (it
 * would hold the WAL back from its checkpoint).
 */
static int data_version(struct sq *s, int64_t *v, struct byod_err *err)
{
	int src;

	if (!s->feed_st) {
		src = sqlite3_prepare_v3(s->db, "PRAGMA data_version", -1,
					 SQLITE_PREPARE_PERSISTENT, &s->feed_st, NULL);
		if (src != SQLITE_OK) {
			s->feed_st = NULL;
			return sq_fail(s, src, "watching the change feed", err);
		}
	}
	src = sqlite3_step(s->feed_st);
	if (src == SQLITE_ROW) {
		*v = sqlite3_column_int64(s->feed_st, 0);
		sqlite3_reset(s->feed_st);
		return 0;
	}
	/* the message first: the reset may replace it */
	src = sq_fail(s, src == SQLITE_DONE ? SQLITE_ERROR : src, "watching the change feed", err);
	sqlite3_reset(s->feed_st);
	return src;
}

/* without a watch: how often data_version is asked */
#define FEED_TICK_MS 20
/* with a watch: data_version asked at least this often all the same */
#define FEED_CHECK_MS 1000
/*
 * A commit writes the -wal file first and makes its frames visible after
 * (the WAL index in shared memory, through mmap, which inotify does not
 * see, after an fsync that may take long on a loaded disk, or a writer
 * preempted between the two): a write seen is pending, and data_version is
 * looked at again 1, 2, 4, 8... ms after it, every FEED_PENDING_STEP_MS at
 * most, until FEED_CHECK_MS after it (the look every FEED_CHECK_MS takes
 * over). Whatever the looks find meanwhile: the watch may have reported
 * two commits' writes at once, and a look that found the first one moved
 * says nothing of the second, whose write will not be seen again.
 */
#define FEED_PENDING_STEP_MS 100
/* a watch that could not be made is tried again after this long (inotify
 * out of instances, descriptors, a directory briefly gone) */
#define WATCH_RETRY_MS 10000

enum { WATCH_UNTRIED = 0, WATCH_ON = 1, WATCH_OFF = -1 };

/* This connection's own changes, which PRAGMA data_version does not count
 * (a rolled-back one counts too: a wake-up for nothing, never a miss). */
static int64_t own_changes(struct sq *s)
{
	return (int64_t)sqlite3_total_changes64(s->db);
}

static int64_t mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void watch_stop(struct sq *s)
{
	if (s->feed_watch == WATCH_ON)
		close(s->feed_fd);
	s->feed_fd = -1;
	free(s->feed_name);
	s->feed_name = NULL;
	s->feed_watch = WATCH_OFF;
	s->feed_pending = 0;
}

void sq_feed_close(struct sq *s)
{
	watch_stop(s);
}

/* Polling from now on (this look included), a new watch tried again in
 * WATCH_RETRY_MS. (The registry library writes no log: a server that
 * polls is seen by its CPU, and the watch comes back by itself.) */
static void watch_fail(struct sq *s)
{
	watch_stop(s);
	s->feed_retry = mono_ms() + WATCH_RETRY_MS;
}

/*
 * Watches the directory of the file this connection's commits are written
 * to (SQLite's own name for it: symbolic links resolved), for that name.
 * Made before the first wait's data_version, so that no commit after that
 * look goes unseen. A failure leaves the wait polling, as it did before
 * watches, and a watch is tried again WATCH_RETRY_MS later.
 */
static void watch_start(struct sq *s)
{
	const char *db, *file, *slash;
	char *dir;
	int fd, wd;

	s->feed_watch = WATCH_OFF;
	s->feed_fd = -1;
	s->feed_retry = INT64_MAX; /* a database no watch can ever serve */
	db = sqlite3_db_filename(s->db, "main");
	if (!db || db[0] != '/') /* "" in memory or temporary */
		return;
	/* sq_open opens nothing but WAL: a commit writes the -wal file */
	file = sqlite3_filename_wal(db);
	slash = file ? strrchr(file, '/') : NULL;
	if (!slash || !slash[1])
		return;
	dir = slash == file ? strdup("/") : strndup(file, (size_t)(slash - file));
	s->feed_name = strdup(slash + 1);
	if (!dir || !s->feed_name) {
		free(dir);
		watch_fail(s);
		return;
	}
	fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	wd = fd < 0 ? -1
		    : inotify_add_watch(fd, dir,
					IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_EXCL_UNLINK |
						IN_ONLYDIR);
	free(dir);
	if (wd < 0) {
		if (fd >= 0)
			close(fd);
		watch_fail(s);
		return;
	}
	s->feed_fd = fd;
	s->feed_watch = WATCH_ON;
}

/*
 * Reads what the watch queued: 1 when the watched file was written (or
 * made, or renamed into place, or the queue overflowed and it may have
 * been), 0 when only other files of the directory were, -1 when the watch
 * is gone (the directory removed, its file system unmounted, a read error).
 */
static int watch_drain(struct sq *s)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	int hit = 0, gone = 0;
	ssize_t n;
	char *p;

	for (;;) {
		n = read(s->feed_fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return gone ? -1 : hit;
		if (n <= 0)
			return -1;
		for (p = buf; p < buf + n; p += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)p;
			if (ev->mask & IN_Q_OVERFLOW)
				hit = 1;
			else if (ev->mask & IN_IGNORED)
				gone = 1;
			else if (ev->len && !strcmp(ev->name, s->feed_name))
				hit = 1;
		}
	}
}

/* Asks data_version: 1 when it or this connection's own changes moved
 * since the last look (or at the first), 0 when not. A write pending stays
 * so either way, until FEED_CHECK_MS after it. */
static int feed_look(struct sq *s, struct byod_err *err)
{
	int64_t v = 0;
	int rc;

	rc = data_version(s, &v, err);
	if (rc)
		return rc;
	s->feed_checked = mono_ms();
	/* another thread's commit through this same handle moves only its
	 * own-changes count, not data_version */
	if (!s->feed_seen || v != s->feed_version || own_changes(s) != s->feed_own) {
		s->feed_version = v;
		s->feed_own = own_changes(s);
		s->feed_seen = 1;
		rc = 1;
	}
	/* FEED_CHECK_MS after the last write seen, the regular look takes
	 * over (a write still not visible by then was another file's under
	 * the same name, or a commit rolled back); until then the next look
	 * comes after as long again as since the write, FEED_PENDING_STEP_MS
	 * at most. A time set here, not from the wait's each wake-up: another
	 * file of the directory written every few milliseconds would put it
	 * off again and again. */
	if (s->feed_pending) {
		int64_t step = s->feed_checked - s->feed_write;

		if (step >= FEED_CHECK_MS)
			s->feed_pending = 0;
		if (step < 1)
			step = 1;
		if (step > FEED_PENDING_STEP_MS)
			step = FEED_PENDING_STEP_MS;
		s->feed_next = s->feed_checked + step;
	}
	return rc;
}

/* Sleeps up to ms milliseconds on the watch: 1 when it saw the watched
 * file written, 0 otherwise (the time passed, another file's event, or the
 * watch failed and the wait polls from now on). */
static int watch_sleep(struct sq *s, int64_t ms)
{
	struct pollfd p = {.fd = s->feed_fd, .events = POLLIN};
	int n, ev;

	n = poll(&p, 1, ms > INT32_MAX ? INT32_MAX : (int)ms);
	if (n == 0 || (n < 0 && errno == EINTR))
		return 0;
	ev = n > 0 ? watch_drain(s) : -1;
	if (ev < 0) {
		watch_fail(s);
		return 1; /* look once: the watch may have missed something */
	}
	if (ev) {
		s->feed_write = mono_ms();
		s->feed_pending = 1;
	}
	return ev;
}

/*
 * Sleeps up to timeout_ms until a commit elsewhere, or by another thread
 * through this handle, is seen (data_version or this connection's own
 * changes moved). A commit since the last wait returns 1 at once; the first
 * wait returns 1 too, having nothing to compare with (the caller's read
 * before it may have missed a commit). 0: nothing was committed for
 * timeout_ms. data_version is asked at the start when a write seen is
 * pending or FEED_CHECK_MS passed, and in the wait when the watch wakes it
 * and on the pending write's schedule; without a watch, every FEED_TICK_MS.
 */
int sq_feed_wait(struct reg_db *be, int timeout_ms, struct byod_err *err)
{
	struct sq *s = sq_of(be);
	int64_t now, deadline, wake;
	struct timespec tick;
	int rc, look;

	now = mono_ms();
	if (s->feed_watch == WATCH_UNTRIED ||
	    (s->feed_watch == WATCH_OFF && now >= s->feed_retry)) {
		watch_stop(s);
		watch_start(s);
		/* a commit between the last look and the new watch: look now */
		s->feed_pending = s->feed_watch == WATCH_ON;
	}
	if (s->feed_watch == WATCH_ON) {
		rc = watch_drain(s);
		if (rc < 0) {
			watch_fail(s); /* this look included */
		} else if (rc) {
			s->feed_write = mono_ms();
			s->feed_pending = 1;
		}
	}
	now = mono_ms();
	look = !s->feed_seen || s->feed_watch != WATCH_ON || own_changes(s) != s->feed_own ||
	       now - s->feed_checked >= FEED_CHECK_MS || s->feed_pending;
	if (look) {
		rc = feed_look(s, err);
		if (rc)
			return rc;
	}
	deadline = now + timeout_ms;
	for (;;) {
		now = mono_ms();
		if (now >= deadline)
			return 0;
		if (s->feed_watch != WATCH_ON) {
			wake = deadline - now < FEED_TICK_MS ? deadline - now : FEED_TICK_MS;
			tick.tv_sec = 0;
			tick.tv_nsec = (long)wake * 1000000L;
			nanosleep(&tick, NULL);
		} else {
			wake = s->feed_checked + FEED_CHECK_MS;
			/* a write seen lately: its next look */
			if (s->feed_pending && s->feed_next < wake)
				wake = s->feed_next;
			if (deadline < wake)
				wake = deadline;
			if (!watch_sleep(s, wake > now ? wake - now : 0)) {
				now = mono_ms();
				if (now >= deadline)
					return 0;
				if (now < wake)
					continue; /* another file of the directory */
			}
		}
		rc = feed_look(s, err);
		if (rc)
			return rc;
	}
}
