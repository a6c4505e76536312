// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What an access line costs a request, measured A/B in one run (not a test:
 * built on demand, `cmake --build build --target alog_ab`, then
 * `build/bin/alog_ab [rounds] [requests]`). Three servers of the web
 * library, started in turn and alternated each round: no line (quiet), a
 * line per request written at once to standard error redirected to a file
 * (httpd_log: the former access line), and the buffered access log
 * (httpd_alog) to a file. Each is driven with the same requests on one
 * kept-alive loopback connection by a client in this process; the figure is
 * the process's CPU time (every thread, the flushing one included) per
 * request, median and range over the rounds, and the same for the line
 * alone (httpd_log against httpd_alog_line, called in a loop). The CPU time
 * of a process moves less under other load than its wall time.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "httpd.h"
#include "httpd_priv.h"

enum { QUIET, UNBUFFERED, BUFFERED, MODES };
static const char *const mode_name[MODES] = {"no line", "a write per line (stderr to a file)",
					     "buffered (httpd_alog, a file)"};

static double cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* app non-NULL: the server is quiet and the handler writes the line the
 * server wrote before the buffer, as it did (httpd_log: formatted, escaped,
 * one fprintf to unbuffered standard error), in the same thread */
static int handler(void *app, const struct httpd_request *rq, struct httpd_response *rs)
{
	if (app)
		httpd_log("%s %s %s%s -> %d", rq->client, rq->method, rq->host, rq->path, 200);
	return httpd_body_copy(rs, "text/plain", "ok\n", 3, 0);
}

static int error_page(void *app, const struct httpd_request *rq, struct httpd_response *rs,
		      int status)
{
	(void)app;
	(void)rq;
	rs->status = status;
	return 0;
}

static int free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0), port;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) || getsockname(s, (struct sockaddr *)&a, &len))
		exit(1);
	port = ntohs(a.sin_port);
	close(s);
	return port;
}

/* n requests on one kept-alive connection; 0, or -1 on a short answer. */
static int drive(int port, int n)
{
	static const char req[] = "GET /generate_204 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	char buf[4096];
	int s = socket(AF_INET, SOCK_STREAM, 0), one = 1, i;
	size_t got;
	ssize_t r;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(s, (struct sockaddr *)&a, sizeof(a)))
		return -1;
	for (i = 0; i < n; i++) {
		if (write(s, req, sizeof(req) - 1) != (ssize_t)sizeof(req) - 1)
			return -1;
		/* the answer ends with its 3-byte body after the headers */
		for (got = 0;;) {
			r = read(s, buf + got, sizeof(buf) - 1 - got);
			if (r <= 0)
				return -1;
			got += (size_t)r;
			buf[got] = '\0';
			if (strstr(buf, "\r\n\r\nok\n"))
				break;
		}
	}
	close(s);
	return 0;
}

static double one_round(int mode, const char *file, int n)
{
	struct httpd_config cfg = {
		.name = "alog_ab", .conf = "ab", .listen = "127.0.0.1", .threads = 1,
		.connection_limit = 16, .per_ip_limit = 8, .per_ip_v6_prefix = 64,
		.timeout_s = 10, .request_deadline_s = 10, .body_limit = 1024,
		.handler = handler, .error_page = error_page,
	};
	struct httpd *srv;
	struct byod_err err;
	double t0, t1;

	cfg.http_port = free_port();
	cfg.quiet = mode != BUFFERED;
	cfg.access_log = mode == BUFFERED ? file : NULL;
	cfg.app = mode == UNBUFFERED ? (void *)1 : NULL;
	if (httpd_start(&cfg, &srv, &err))
		exit(1);
	drive(cfg.http_port, 200); /* warm */
	t0 = cpu_ns();
	if (drive(cfg.http_port, n))
		exit(1);
	httpd_reload(srv, 1); /* the buffered lines written inside the window */
	t1 = cpu_ns();
	httpd_stop(srv);
	return (t1 - t0) / n;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *what, double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	printf("%-40s median %8.0f ns  range %8.0f .. %8.0f ns\n", what, v[n / 2], v[0], v[n - 1]);
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 7, n = argc > 2 ? atoi(argv[2]) : 5000;
	char dir[] = "/tmp/alog_ab.XXXXXX", errlog[64], file[64];
	double per[MODES][64], line[2][64], diff[2][64], t0;
	struct httpd_alog *a;
	struct byod_err err;
	int r, m, i, fd;

	if (rounds < 1 || rounds > 64 || n < 1 || !mkdtemp(dir))
		return 2;
	snprintf(errlog, sizeof(errlog), "%s/stderr.log", dir);
	snprintf(file, sizeof(file), "%s/access.log", dir);
	fd = open(errlog, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (fd < 0 || dup2(fd, 2) < 0)
		return 1;
	close(fd);
	for (r = 0; r < rounds; r++) {
		for (i = 0; i < MODES; i++) {
			m = (r + i) % MODES; /* each mode first, second and last in turn */
			per[m][r] = one_round(m, file, n);
		}
		diff[0][r] = per[UNBUFFERED][r] - per[QUIET][r];
		diff[1][r] = per[BUFFERED][r] - per[QUIET][r];
		/* the line alone: n lines each way, alternated */
		if (httpd_alog_new("alog_ab", file, &a, &err))
			return 1;
		for (i = 0; i < 2; i++) {
			int which = (r + i) % 2, k;

			t0 = cpu_ns();
			for (k = 0; k < n; k++) {
				if (which)
					httpd_alog_line(a, "%s %s %s%s -> %d", "192.0.2.1", "GET",
							"connectivitycheck.gstatic.com",
							"/generate_204", 302);
				else
					httpd_log("%s %s %s%s -> %d", "192.0.2.1", "GET",
						  "connectivitycheck.gstatic.com", "/generate_204",
						  302);
			}
			if (which)
				httpd_alog_flush(a);
			line[which][r] = (cpu_ns() - t0) / n;
		}
		httpd_alog_free(a);
	}
	printf("CPU time per request of the whole process, %d rounds of %d requests\n", rounds, n);
	for (m = 0; m < MODES; m++)
		report(mode_name[m], per[m], rounds);
	report("a write per line - no line", diff[0], rounds);
	report("buffered - no line", diff[1], rounds);
	printf("CPU time per access line alone (%d lines a round)\n", n);
	report("httpd_log (a write per line)", line[0], rounds);
	report("httpd_alog_line (buffered)", line[1], rounds);
	unlink(errlog);
	unlink(file);
	rmdir(dir);
	return 0;
}
