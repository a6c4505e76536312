// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The RADIUS module's stats socket (stats.h). One thread waits in poll()
 * on the listening socket and on a pipe that rad_stats_stop writes to; a
 * client is answered whole (the exposition made in memory first, then
 * written with a send timeout, so a client that reads nothing holds the
 * thread two seconds at most) and the connection closed. The server's
 * request threads never see any of it.
 */
#define _GNU_SOURCE
#include "stats.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "byod_expo.h"

struct rad_stats {
	int fd, stop[2];
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	rad_stats_fn write;
	void *arg;
	pthread_t thread;
	dev_t dev; /* the socket this instance bound: the only one it removes */
	ino_t ino;
};

static void answer(struct rad_stats *s, int c)
{
	struct timeval tv = {.tv_sec = 2};
	struct byod_expo e;
	char *data = NULL;
	size_t len = 0, done = 0;
	FILE *f = open_memstream(&data, &len);

	if (!f)
		return;
	byod_expo_init(&e, f);
	s->write(s->arg, &e);
	if (fclose(f)) {
		free(data);
		return;
	}
	setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (done < len) {
		ssize_t n = send(c, data + done, len - done, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	free(data);
}

static void *serve(void *arg)
{
	struct rad_stats *s = arg;
	struct pollfd p[2] = {{.fd = s->fd, .events = POLLIN}, {.fd = s->stop[0], .events = POLLIN}};

	for (;;) {
		int c;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		c = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			continue;
		answer(s, c);
		close(c);
	}
	return NULL;
}

int rad_stats_start(const char *path, rad_stats_fn write, void *arg, struct rad_stats **out,
		    struct byod_err *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct rad_stats *s;
	struct stat st;
	int rc;

	*out = NULL;
	if (strlen(path) >= sizeof(sa.sun_path))
		return byod_err_set(err, ENAMETOOLONG, "the stats socket's path is too long: %s",
				    path);
	/* a socket left by a server that died is replaced; a file of another
	 * kind is not ours to remove */
	if (!lstat(path, &st)) {
		int probe;

		if (!S_ISSOCK(st.st_mode))
			return byod_err_set(err, EEXIST, "%s exists and is not a socket", path);
		/* one that answers is a running server's (freeradius -C, run by
		 * a unit's ExecStartPre or `byodctl radius enable`, beside it):
		 * left to it */
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 && !connect(probe, (struct sockaddr *)&sa, sizeof(sa))) {
			close(probe);
			return byod_err_set(err, EADDRINUSE,
					    "%s is served by another running server", path);
		}
		if (probe >= 0)
			close(probe);
		unlink(path);
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return byod_err_set(err, ENOMEM, "out of memory");
	s->fd = s->stop[0] = s->stop[1] = -1;
	s->write = write;
	s->arg = arg;
	snprintf(s->path, sizeof(s->path), "%s", path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->fd < 0 || pipe2(s->stop, O_CLOEXEC)) {
		rc = byod_err_set(err, errno, "cannot make the stats socket: %s", strerror(errno));
		goto fail;
	}
	if (bind(s->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		rc = byod_err_set(err, errno, "cannot bind %s: %s", path, strerror(errno));
		goto fail;
	}
	/* the server's group (byod) reads it: byodctl metrics from a timer */
	if (chmod(path, 0660) || listen(s->fd, 16) || lstat(path, &st)) {
		rc = byod_err_set(err, errno, "cannot listen on %s: %s", path, strerror(errno));
		unlink(path);
		goto fail;
	}
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	rc = pthread_create(&s->thread, NULL, serve, s);
	if (rc) {
		rc = byod_err_set(err, rc, "cannot start the stats thread");
		unlink(path);
		goto fail;
	}
	*out = s;
	return 0;
fail:
	if (s->fd >= 0)
		close(s->fd);
	if (s->stop[0] >= 0)
		close(s->stop[0]);
	if (s->stop[1] >= 0)
		close(s->stop[1]);
	free(s);
	return rc;
}

void rad_stats_stop(struct rad_stats *s)
{
	struct stat st;

	if (!s)
		return;
	while (write(s->stop[1], "x", 1) < 0 && errno == EINTR)
		;
	pthread_join(s->thread, NULL);
	close(s->fd);
	close(s->stop[0]);
	close(s->stop[1]);
	/* only the socket this instance bound: another server may have taken
	 * the path since */
	if (!lstat(s->path, &st) && st.st_dev == s->dev && st.st_ino == s->ino)
		unlink(s->path);
	free(s);
}
