/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Starts tests/lib/pgproxy.py between a unit test and the test cluster
 * ($BYOD_PG_DIR), so that a test can lose a COMMIT's answer (or the COMMIT
 * itself) on demand, and stops it. Header-only: each test includes it once.
 */
#ifndef BYOD_TEST_PGPROXY_H
#define BYOD_TEST_PGPROXY_H

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rmtree.h"

struct pgproxy {
	char dir[512]; /* the control directory */
	pid_t pid;
	int port;
};

/* 0 with the proxy listening, -1 when it could not start (no cluster). */
static inline int pgproxy_start(struct pgproxy *p)
{
	const char *tmp = getenv("BYOD_TEST_TMP"), *src = getenv("BYOD_SRC");
	const char *pgdir = getenv("BYOD_PG_DIR");
	char script[600], upstream[600], portfile[600], path[600];
	int i, pgport = 5432;
	FILE *f;

	memset(p, 0, sizeof(*p));
	if (!pgdir || !src)
		return -1;
	snprintf(path, sizeof(path), "%s/port", pgdir);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%d", &pgport) != 1)
			pgport = 5432;
		fclose(f);
	}
	snprintf(p->dir, sizeof(p->dir), "%s/pgproxy.XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(p->dir))
		return -1;
	snprintf(script, sizeof(script), "%s/tests/lib/pgproxy.py", src);
	snprintf(upstream, sizeof(upstream), "%s/.s.PGSQL.%d", pgdir, pgport);
	p->pid = fork();
	if (p->pid < 0)
		return -1;
	if (p->pid == 0) {
		execlp("python3", "python3", script, p->dir, upstream, (char *)NULL);
		_exit(127);
	}
	snprintf(portfile, sizeof(portfile), "%s/port", p->dir);
	for (i = 0; i < 100; i++) {
		f = fopen(portfile, "r");
		if (f) {
			int ok = fscanf(f, "%d", &p->port) == 1;

			fclose(f);
			if (ok)
				return 0;
		}
		usleep(50 * 1000);
	}
	return -1;
}

/* Arms file ("arm-commit", "arm-commit-before", "down") with text (may be
 * NULL: any transaction). */
static inline void pgproxy_arm(const struct pgproxy *p, const char *file, const char *text)
{
	char path[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", p->dir, file);
	f = fopen(path, "w");
	if (f) {
		fputs(text ? text : "", f);
		fclose(f);
	}
}

static inline void pgproxy_disarm(const struct pgproxy *p, const char *file)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/%s", p->dir, file);
	unlink(path);
}

/* The lines of the fired log ("after\n", "before\n"...) into buf. */
static inline void pgproxy_fired(const struct pgproxy *p, char *buf, size_t size)
{
	char path[600];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/fired", p->dir);
	f = fopen(path, "r");
	if (f) {
		n = fread(buf, 1, size - 1, f);
		fclose(f);
	}
	buf[n] = 0;
}

/* The libpq URL through the proxy, with search_path set to schema. */
static inline void pgproxy_url(const struct pgproxy *p, const char *schema, char *out, size_t size)
{
	snprintf(out, size,
		 "postgresql://byod@127.0.0.1:%d/byod?sslmode=disable&connect_timeout=5"
		 "&options=-csearch_path%%3D%s",
		 p->port, schema);
}

static inline void pgproxy_stop(struct pgproxy *p)
{
	if (p->pid > 0) {
		kill(p->pid, SIGTERM);
		waitpid(p->pid, NULL, 0);
		p->pid = 0;
	}
	if (p->dir[0])
		test_rmtree(p->dir);
	p->dir[0] = 0;
}

#endif /* BYOD_TEST_PGPROXY_H */
