// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The access lines (one per answer, when a program asks for them), kept in
 * a buffer and written a batch at a time: a line written for each request
 * was most of a captive probe's cost. Lines are formatted and escaped
 * outside the lock, then copied whole into the buffer under it, so threads
 * never interleave parts of lines. The buffer goes out when it is full, at
 * the latest a second after its first line (a thread of its own), on
 * httpd_reload (before the file is opened again: logrotate renames it, then
 * the program's SIGHUP makes a new one) and at the stop, so a normal stop
 * loses no line. The destination is a file of the program's (appended to,
 * 0640), or standard error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "byod_util.h"
#include "httpd_priv.h"

/* Bytes kept before a write: a few hundred lines. */
#define ALOG_BUF ((size_t)64 * 1024)
/* The longest a line waits in the buffer, in milliseconds. */
#define ALOG_FLUSH_MS 1000

struct httpd_alog {
	pthread_mutex_t lock; /* the buffer, fd and stop */
	pthread_cond_t cond;  /* the flusher's wake-up: the stop */
	pthread_t flusher;
	int started, stop;
	int fd;		  /* the file, or STDERR_FILENO */
	int own;	  /* fd is ours (a file opened by path) */
	char *path;	  /* NULL: standard error */
	char name[32];	  /* the program, as each line names it */
	size_t len;	  /* bytes waiting in buf */
	int write_failed; /* said once in the log, until a write works again */
	char buf[ALOG_BUF];
};

static int open_log(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
}

/* Writes what the buffer holds; under a->lock. A failed write drops the
 * batch (a full disk must not hold pages) and is said once. */
static void flush_locked(struct httpd_alog *a)
{
	size_t off = 0;
	ssize_t n;
	int failed = 0, e = 0;

	while (off < a->len) {
		n = write(a->fd, a->buf + off, a->len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			failed = 1;
			e = n < 0 ? errno : EIO;
			break;
		}
		off += (size_t)n;
	}
	a->len = 0;
	if (failed && !a->write_failed)
		httpd_log("warning: access lines lost, the log cannot be written (%s)",
			  strerror(e));
	a->write_failed = failed;
}

static void *flusher(void *arg)
{
	struct httpd_alog *a = arg;
	struct timespec until;

	pthread_mutex_lock(&a->lock);
	while (!a->stop) {
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += ALOG_FLUSH_MS % 1000 * 1000000L;
		until.tv_sec += ALOG_FLUSH_MS / 1000 + until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&a->cond, &a->lock, &until);
		if (a->len)
			flush_locked(a);
	}
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

int httpd_alog_new(const char *name, const char *path, struct httpd_alog **out,
		   struct byod_err *err)
{
	struct httpd_alog *a = calloc(1, sizeof(*a));
	pthread_condattr_t ca;
	int rc;

	*out = NULL;
	if (!a)
		return byod_err_set(err, ENOMEM, "out of memory");
	snprintf(a->name, sizeof(a->name), "%s", name && name[0] ? name : "byod-httpd");
	a->fd = STDERR_FILENO;
	if (path && path[0]) {
		a->path = strdup(path);
		if (!a->path) {
			free(a);
			return byod_err_set(err, ENOMEM, "out of memory");
		}
		a->fd = open_log(path);
		if (a->fd < 0) {
			rc = byod_err_set(err, errno, "cannot open the access log %s: %s", path,
					  strerror(errno));
			free(a->path);
			free(a);
			return rc;
		}
		a->own = 1;
	}
	pthread_mutex_init(&a->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&a->cond, &ca);
	pthread_condattr_destroy(&ca);
	rc = pthread_create(&a->flusher, NULL, flusher, a);
	if (rc) {
		httpd_alog_free(a);
		return byod_err_set(err, rc, "cannot start the access log's thread");
	}
	a->started = 1;
	*out = a;
	return 0;
}

void httpd_alog_line(struct httpd_alog *a, const char *fmt, ...)
{
	char when[32], line[1024], safe[4096], whole[4200];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* the formats are literals: escaping the line escapes every value in it */
	n = snprintf(whole, sizeof(whole), "%s %s: %s\n",
		     byod_time_iso(time(NULL), when, sizeof(when)), a->name,
		     byod_log_escape(line, safe, sizeof(safe)));
	if (n <= 0)
		return;
	if ((size_t)n >= sizeof(whole)) { /* cut, but still one line */
		n = (int)sizeof(whole) - 1;
		whole[n - 1] = '\n';
	}
	pthread_mutex_lock(&a->lock);
	if (a->len + (size_t)n > sizeof(a->buf))
		flush_locked(a);
	memcpy(a->buf + a->len, whole, (size_t)n);
	a->len += (size_t)n;
	pthread_mutex_unlock(&a->lock);
}

void httpd_alog_flush(struct httpd_alog *a)
{
	if (!a)
		return;
	pthread_mutex_lock(&a->lock);
	if (a->len)
		flush_locked(a);
	pthread_mutex_unlock(&a->lock);
}

void httpd_alog_reopen(struct httpd_alog *a)
{
	int fd, old, e;

	if (!a)
		return;
	if (!a->own) {
		httpd_alog_flush(a);
		return;
	}
	/* opened before the lock is taken: pages do not wait for the disk */
	fd = open_log(a->path);
	e = errno;
	pthread_mutex_lock(&a->lock);
	if (a->len)
		flush_locked(a); /* what came before the rename, to the renamed file */
	old = a->fd;
	if (fd >= 0)
		a->fd = fd;
	pthread_mutex_unlock(&a->lock);
	if (fd < 0) {
		httpd_log("warning: the access log %s cannot be opened again, the former file is "
			  "kept (%s)",
			  a->path, strerror(e));
		return;
	}
	close(old);
}

void httpd_alog_free(struct httpd_alog *a)
{
	if (!a)
		return;
	if (a->started) {
		pthread_mutex_lock(&a->lock);
		a->stop = 1;
		pthread_cond_signal(&a->cond);
		pthread_mutex_unlock(&a->lock);
		pthread_join(a->flusher, NULL);
	}
	httpd_alog_flush(a);
	if (a->own)
		close(a->fd);
	pthread_mutex_destroy(&a->lock);
	pthread_cond_destroy(&a->cond);
	free(a->path);
	free(a);
}
