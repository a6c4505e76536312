// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the web server library (httpd/) on a loopback port, with
 * a handler of the test's own and requests written byte by byte on a
 * socket: the security headers of every answer (and the CSP of a page
 * with a script, or its own), cookies without Secure over plain HTTP, no
 * HSTS over plain HTTP, query arguments and request headers reaching the
 * handler, extra headers, a handler's fault turned into the error page, a
 * body over the limit a 413 without the handler, a streamed answer; slow
 * requests answered by the workers while the one page thread serves a page
 * before any of them ends, the one beyond the queue answered at once by
 * the program's busy page with Retry-After, and at a stop every one
 * answered whole; an answer made once sent alike, never with another
 * request's cookie; the access lines of many parallel requests all in their
 * file, whole, after the stop, one within the flush interval, and the file
 * opened again after logrotate's rename.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>

#include <cmocka.h>

#include "httpd.h"
#include "httpd_priv.h"

struct fx {
	struct httpd *srv;
	int port;
	int handled;	/* requests the handler saw */
	int error_status; /* the last error page asked for */
	/* the slow requests: how many are in the handler, done, and the test's
	 * word that they may end */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int in_slow, slow_done, release;
	char log[64]; /* the access log's file (setup_log), or "" */
};

static ssize_t stream(void *cls, uint64_t pos, char *buf, size_t max)
{
	int *left = cls;

	(void)pos;
	if (!*left)
		return -1;
	(*left)--;
	return snprintf(buf, max, "data: %d\n\n", *left);
}

static void stream_free(void *cls)
{
	free(cls);
}

static int handler(void *app, const struct httpd_request *rq, struct httpd_response *rs)
{
	struct fx *f = app;
	char body[256];

	__atomic_add_fetch(&f->handled, 1, __ATOMIC_RELAXED);
	if (!strcmp(rq->path, "/fail"))
		return -EIO;
	if (!strcmp(rq->path, "/slow")) {
		/* a password check that lasts until the test says so */
		pthread_mutex_lock(&f->lock);
		f->in_slow++;
		pthread_cond_broadcast(&f->cond);
		while (!f->release)
			pthread_cond_wait(&f->cond, &f->lock);
		f->slow_done++;
		pthread_mutex_unlock(&f->lock);
		snprintf(body, sizeof(body), "slow body=%.*s", (int)rq->body_len,
			 rq->body ? rq->body : "");
		return httpd_body_copy(rs, "text/plain; charset=utf-8", body, strlen(body), 0);
	}
	if (!strcmp(rq->path, "/hold")) {
		/* a page that keeps the only page thread half a second */
		struct timespec half = { .tv_nsec = 500 * 1000000L };

		nanosleep(&half, NULL);
	}
	if (!strncmp(rq->path, "/shared", 7)) {
		/* a captive probe's redirect; with a cookie of its own at
		 * /shared-cookie, which no other answer may carry */
		if (httpd_body_copy(rs, "text/plain; charset=utf-8", "go\n", 3, 0))
			return -ENOMEM;
		rs->status = 302;
		snprintf(rs->location, sizeof(rs->location), "http://portal.test/");
		rs->shared = 1;
		if (!strcmp(rq->path, "/shared-cookie"))
			httpd_set_cookie(rs, rq, "lang", "en", 60);
		return 0;
	}
	if (!strcmp(rq->path, "/stream")) {
		int *left = malloc(sizeof(*left));

		if (!left)
			return -ENOMEM;
		*left = 3;
		rs->status = 200;
		rs->content_type = "text/event-stream";
		rs->stream = stream;
		rs->stream_cls = left;
		rs->stream_free = stream_free;
		return 0;
	}
	snprintf(body, sizeof(body), "path=%s x=%s ua=%s lang=%s https=%d", rq->path,
		 httpd_arg(rq, "x") ? httpd_arg(rq, "x") : "-",
		 httpd_header(rq, "X-Test") ? httpd_header(rq, "X-Test") : "-", rq->lang, rq->https);
	if (httpd_body_copy(rs, "text/plain; charset=utf-8", body, strlen(body), 0))
		return -ENOMEM;
	if (!strcmp(rq->path, "/cookie"))
		httpd_set_cookie(rs, rq, "sid", "abc", -1);
	if (!strcmp(rq->path, "/script"))
		rs->script = 1;
	if (!strcmp(rq->path, "/csp"))
		rs->csp = "default-src 'none'; connect-src 'self'";
	if (!strcmp(rq->path, "/header")) {
		rs->status = 401;
		rs->headers[0][0] = "WWW-Authenticate";
		rs->headers[0][1] = "Bearer realm=\"test\"";
	}
	return 0;
}

static int error_page(void *app, const struct httpd_request *rq, struct httpd_response *rs,
		      int status)
{
	struct fx *f = app;
	char body[64];

	(void)rq;
	f->error_status = status;
	snprintf(body, sizeof(body), "error %d", status);
	if (httpd_body_copy(rs, "text/plain; charset=utf-8", body, strlen(body), 0))
		return -ENOMEM;
	rs->status = status;
	return 0;
}

/* The page when the slow queue is full: no Retry-After of its own (the
 * server adds busy_retry_s). */
static int busy_page(void *app, const struct httpd_request *rq, struct httpd_response *rs,
		     int status)
{
	(void)app;
	(void)rq;
	if (httpd_body_copy(rs, "text/plain; charset=utf-8", "busy, try again", 15, 0))
		return -ENOMEM;
	rs->status = status;
	return 0;
}

static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0), port;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(s >= 0);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(s);
	return port;
}

/* Slow: POST /slow (the login of a program). */
static int slow(void *app, const struct httpd_request *rq)
{
	(void)app;
	return !strcmp(rq->method, "POST") && !strcmp(rq->path, "/slow");
}

#define SLOW_QUEUED 4 /* the slow queue's length in these tests */

enum { PLAIN, WITH_SLOW, WITH_LOG };

static int start(void **state, int with_slow)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct byod_err err;
	struct httpd_config cfg = {
		.name = "test_httpd",
		.conf = "test",
		.listen = "127.0.0.1",
		.threads = 2,
		.connection_limit = 32,
		.per_ip_limit = 8,
		.per_ip_v6_prefix = 64,
		.timeout_s = 5,
		.request_deadline_s = 5,
		.body_limit = 1024,
		.hsts_max_age = 3600,
		.lang_default = "fr",
		.handler = handler,
		.error_page = error_page,
	};

	assert_non_null(f);
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->cond, NULL);
	cfg.app = f;
	if (with_slow == WITH_LOG) {
		/* the access lines to a file; parallel clients on one address */
		snprintf(f->log, sizeof(f->log), "/tmp/test_httpd_log.XXXXXX");
		assert_true(mkdtemp(f->log) != NULL);
		strcat(f->log, "/access.log");
		cfg.access_log = f->log;
		cfg.connection_limit = 128;
		cfg.per_ip_limit = 64;
	} else if (with_slow) {
		/* one thread for the pages: a slow request answered there would
		 * hold every page behind it */
		cfg.threads = 1;
		cfg.slow = slow;
		cfg.slow_workers = 2;
		cfg.quiet = 1;
		/* a short queue (test_slow_queue_full) */
		cfg.slow_queued = SLOW_QUEUED;
		cfg.busy_page = busy_page;
		cfg.busy_retry_s = 7;
	}
	f->port = cfg.http_port = free_port();
	assert_int_equal(httpd_start(&cfg, &f->srv, &err), 0);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return start(state, PLAIN);
}

static int setup_slow(void **state)
{
	return start(state, WITH_SLOW);
}

static int setup_log(void **state)
{
	return start(state, WITH_LOG);
}

static int teardown(void **state)
{
	struct fx *f = *state;

	pthread_mutex_lock(&f->lock);
	f->release = 1; /* a failed test may leave slow requests waiting */
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->lock);
	httpd_stop(f->srv);
	if (f->log[0]) {
		char rotated[80];

		unlink(f->log);
		snprintf(rotated, sizeof(rotated), "%s.1", f->log);
		unlink(rotated);
		*strrchr(f->log, '/') = '\0';
		rmdir(f->log);
	}
	pthread_mutex_destroy(&f->lock);
	pthread_cond_destroy(&f->cond);
	free(f);
	return 0;
}

/* A connection to the server with its request sent, not yet read; reads
 * give up after 10 s (a server that never answers fails the test). */
static int send_req(struct fx *f, const char *req)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)f->port) };
	struct timeval tv = { .tv_sec = 10 };
	int s = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(s >= 0);
	assert_int_equal(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	assert_int_equal(connect(s, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(write(s, req, strlen(req)), (ssize_t)strlen(req));
	return s;
}

/* Reads the answer on s until the server closes, and closes s: malloc'd. */
static char *read_answer(int s)
{
	size_t cap = 65536, len = 0;
	char *out = malloc(cap);
	ssize_t n;

	assert_non_null(out);
	while ((n = read(s, out + len, cap - len - 1)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(s);
	return out;
}

/* Sends req whole, reads the answer until the server closes: malloc'd. */
static char *ask(struct fx *f, const char *req)
{
	return read_answer(send_req(f, req));
}

static char *get(struct fx *f, const char *target, const char *more)
{
	char req[1024];

	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%sConnection: close\r\n\r\n",
		 target, more ? more : "");
	return ask(f, req);
}

/* Whether the answer has the header line exactly (case as sent). */
static int has(const char *answer, const char *line)
{
	char want[512];

	snprintf(want, sizeof(want), "\r\n%s\r\n", line);
	return strstr(answer, want) != NULL;
}

static void test_headers(void **state)
{
	struct fx *f = *state;
	char *a = get(f, "/page?x=1%202", "X-Test: yes\r\n");

	assert_non_null(strstr(a, "HTTP/1.1 200"));
	assert_true(has(a, "Content-Security-Policy: default-src 'none'; style-src 'self'; "
			   "img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
			   "base-uri 'none'"));
	assert_true(has(a, "X-Frame-Options: DENY"));
	assert_true(has(a, "X-Content-Type-Options: nosniff"));
	assert_true(has(a, "Referrer-Policy: no-referrer"));
	assert_true(has(a, "Cache-Control: no-store"));
	/* no HSTS over plain HTTP, whatever hsts_max_age says */
	assert_null(strstr(a, "Strict-Transport-Security"));
	/* the query argument decoded, the header, the default language */
	assert_non_null(strstr(a, "path=/page x=1 2 ua=yes lang=fr https=0"));
	free(a);
}

static void test_csp(void **state)
{
	struct fx *f = *state;
	char *a = get(f, "/script", NULL), *b = get(f, "/csp", NULL);

	assert_true(has(a, "Content-Security-Policy: default-src 'none'; script-src 'self'; "
			   "style-src 'self'; img-src 'self'; form-action 'self'; "
			   "frame-ancestors 'none'; base-uri 'none'"));
	assert_true(has(b, "Content-Security-Policy: default-src 'none'; connect-src 'self'"));
	free(a);
	free(b);
}

static void test_cookie_and_headers(void **state)
{
	struct fx *f = *state;
	char *a = get(f, "/cookie", NULL), *b = get(f, "/header", NULL);

	/* plain HTTP: no Secure */
	assert_true(has(a, "Set-Cookie: sid=abc; Path=/; HttpOnly; SameSite=Strict"));
	assert_non_null(strstr(b, "HTTP/1.1 401"));
	assert_true(has(b, "WWW-Authenticate: Bearer realm=\"test\""));
	free(a);
	free(b);
}

static void test_fault(void **state)
{
	struct fx *f = *state;
	char *a = get(f, "/fail", NULL);

	assert_non_null(strstr(a, "HTTP/1.1 500"));
	assert_non_null(strstr(a, "\r\n\r\nerror 500"));
	assert_int_equal(f->error_status, 500);
	free(a);
}

static void test_body_limit(void **state)
{
	struct fx *f = *state;
	char req[4096], body[2000];
	char *a;

	memset(body, 'a', sizeof(body) - 1);
	body[sizeof(body) - 1] = '\0';
	snprintf(req, sizeof(req),
		 "POST /page HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
		 "application/x-www-form-urlencoded\r\nContent-Length: %zu\r\nConnection: "
		 "close\r\n\r\n%s",
		 strlen(body), body);
	a = ask(f, req);
	assert_non_null(strstr(a, "HTTP/1.1 413"));
	assert_int_equal(f->error_status, 413);
	assert_int_equal(f->handled, 0); /* the handler never saw it */
	free(a);
}

static void test_stream(void **state)
{
	struct fx *f = *state;
	char *a = get(f, "/stream", NULL);

	assert_non_null(strstr(a, "HTTP/1.1 200"));
	assert_true(has(a, "Content-Type: text/event-stream"));
	assert_non_null(strstr(a, "data: 2\n\n"));
	assert_non_null(strstr(a, "data: 1\n\n"));
	assert_non_null(strstr(a, "data: 0\n\n"));
	free(a);
}

/* What a log keeps of a path: no query, no fragment, no one-time token;
 * libmicrohttpd's messages cut the same way, their other words kept. */
static void test_log_path(void **state)
{
	static const char *const secret[] = {"/download/", "/code/", NULL};
	char out[128];
	size_t i;
	static const struct {
		const char *path, *shown;
	} paths[] = {
		{"/devices", "/devices"},
		{"/login?login=x&password=y", "/login?..."},
		{"/a#password=y", "/a?..."},
		{"/?q=Martin", "/?..."},
		{"/download/AbC123", "/download/..."},
		{"/download/AbC123?x=1", "/download/..."},
		{"/code/", "/code/..."},
		{"/codes", "/codes"},
		{"", ""},
	};
	static const struct {
		const char *line, *shown;
	} lines[] = {
		{"Failed to send the response headers for the request for `/download/tok'. "
		 "Error: Broken pipe\n",
		 "Failed to send the response headers for the request for `/download/...'. "
		 "Error: Broken pipe"},
		{"Failed to send data in request for /code/SECRET.",
		 "Failed to send data in request for /code/..."},
		{"request for `/x?password=y' failed", "request for `/x?...' failed"},
		{"Error during poll: `Input/output error'", "Error during poll: `Input/output error'"},
		{"Closing connection.\r\n", "Closing connection."},
	};

	(void)state;
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		httpd_log_path(secret, paths[i].path, strlen(paths[i].path), out, sizeof(out));
		assert_string_equal(out, paths[i].shown);
	}
	httpd_log_path(NULL, "/download/tok?a", 15, out, sizeof(out));
	assert_string_equal(out, "/download/tok?...");
	httpd_log_path(secret, "/login?x", 6, out, sizeof(out)); /* n bytes only */
	assert_string_equal(out, "/login");
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		httpd_log_message(secret, lines[i].line, out, sizeof(out));
		assert_string_equal(out, lines[i].shown);
	}
	/* a small buffer: cut, terminated, no overflow (ASan) */
	httpd_log_message(secret, "for `/download/tok' and more words", out, 12);
	assert_int_equal(strlen(out), 11);
}

#define SLOW_N 3 /* one more than the workers: one waits in the queue */

/* Three slow requests in flight (two in the workers, one queued) on a
 * server with a single page thread: a page is answered before any of them
 * ends, then each gets its own answer with its own body. */
/* n slow requests (POST /slow, bodies user=00...), their connections in s */
static void send_slow(struct fx *f, int *s, int n)
{
	char req[256];

	for (int i = 0; i < n; i++) {
		snprintf(req, sizeof(req),
			 "POST /slow HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
			 "Content-Type: application/x-www-form-urlencoded\r\n"
			 "Content-Length: 7\r\n\r\nuser=%02d", i);
		s[i] = send_req(f, req);
	}
}

/* Waits up to 10 s for n slow requests inside the handler; how many are. */
static int wait_in_slow(struct fx *f, int n)
{
	struct timespec until;
	int in;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	pthread_mutex_lock(&f->lock);
	while (f->in_slow < n && !pthread_cond_timedwait(&f->cond, &f->lock, &until))
		;
	in = f->in_slow;
	pthread_mutex_unlock(&f->lock);
	return in;
}

static void test_slow_queue(void **state)
{
	struct fx *f = *state;
	char *a, want[64];
	int s[SLOW_N], i, in, done;

	send_slow(f, s, SLOW_N);
	/* both workers busy (the third request waits for one) */
	assert_int_equal(wait_in_slow(f, 2), 2);

	a = get(f, "/page", NULL);
	pthread_mutex_lock(&f->lock);
	in = f->in_slow;
	done = f->slow_done;
	f->release = 1;
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->lock);
	/* the page came while every slow request was still under way */
	assert_non_null(strstr(a, "HTTP/1.1 200"));
	assert_non_null(strstr(a, "path=/page"));
	assert_int_equal(done, 0);
	assert_int_equal(in, 2);
	free(a);

	for (i = 0; i < SLOW_N; i++) {
		a = read_answer(s[i]);
		snprintf(want, sizeof(want), "\r\n\r\nslow body=user=%02d", i);
		assert_non_null(strstr(a, "HTTP/1.1 200"));
		assert_non_null(strstr(a, want));
		assert_true(has(a, "X-Frame-Options: DENY"));
		free(a);
	}
	assert_int_equal(f->slow_done, SLOW_N);
}

/* Slow requests beyond slow_queued waiting: a 503 at once for the one too
 * many, the others answered once the workers are free. */
#define PER_N (2 + SLOW_QUEUED + 1) /* the workers', the queue's, one more */
static void test_slow_queue_full(void **state)
{
	struct fx *f = *state;
	struct pollfd p[PER_N];
	char *a;
	int s[PER_N], i, ok200 = 0, busy503 = 0, early = -1;
	int busy_page_seen = 0;

	send_slow(f, s, PER_N);
	assert_int_equal(wait_in_slow(f, 2), 2);
	/* the one too many is answered while the workers are still held */
	for (i = 0; i < PER_N; i++)
		p[i] = (struct pollfd){ .fd = s[i], .events = POLLIN };
	if (poll(p, PER_N, 10000) > 0)
		for (i = 0; i < PER_N; i++)
			if (p[i].revents & POLLIN)
				early = i;
	pthread_mutex_lock(&f->lock);
	assert_int_equal(f->slow_done, 0);
	f->release = 1;
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->lock);
	assert_true(early >= 0);
	for (i = 0; i < PER_N; i++) {
		a = read_answer(s[i]);
		if (strstr(a, "HTTP/1.1 200")) {
			ok200++;
			assert_int_not_equal(i, early); /* the early answer was a refusal */
		} else if (strstr(a, "HTTP/1.1 503")) {
			busy503++;
			/* the program's page that says to try again, and when */
			busy_page_seen += strstr(a, "\r\n\r\nbusy, try again") && has(a, "Retry-After: 7");
		}
		free(a);
	}
	/* how many the workers took before the queue filled depends on the
	 * threads' timing: at least the queue's and none lost */
	assert_true(busy503 >= 1);
	assert_int_equal(busy_page_seen, busy503);
	assert_true(ok200 >= SLOW_QUEUED);
	assert_int_equal(ok200 + busy503, PER_N);
}

static void *stop_server(void *arg)
{
	httpd_stop(arg);
	return NULL;
}

/* Stopping the server while logins are under way (two in the workers, one
 * queued) and the page thread is held by a page: the stop waits, and each
 * login gets its whole answer, sent by the page thread once it is free
 * (resumed, its answer not yet sent when the workers are done) before the
 * daemon stops. */
static void test_slow_stop(void **state)
{
	struct fx *f = *state;
	struct timespec pause = { .tv_nsec = 200 * 1000000L };
	pthread_t stopper;
	char *a, want[64], *cl;
	int s[SLOW_N], i, page;

	send_slow(f, s, SLOW_N);
	assert_int_equal(wait_in_slow(f, 2), 2);
	page = send_req(f, "GET /hold HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
	nanosleep(&pause, NULL); /* the page thread is in /hold */
	/* the stop is asked while both workers are in the handler */
	assert_int_equal(pthread_create(&stopper, NULL, stop_server, f->srv), 0);
	nanosleep(&pause, NULL);
	pthread_mutex_lock(&f->lock);
	assert_int_equal(f->slow_done, 0);
	f->release = 1;
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->lock);
	assert_int_equal(pthread_join(stopper, NULL), 0);
	f->srv = NULL;
	for (i = 0; i < SLOW_N; i++) {
		a = read_answer(s[i]);
		snprintf(want, sizeof(want), "\r\n\r\nslow body=user=%02d", i);
		assert_non_null(strstr(a, "HTTP/1.1 200"));
		assert_non_null(strstr(a, want));
		/* whole: as long as its Content-Length says */
		cl = strstr(a, "Content-Length: ");
		assert_non_null(cl);
		assert_int_equal(strlen(strstr(a, "\r\n\r\n") + 4), strtoul(cl + 16, NULL, 10));
		free(a);
	}
	assert_int_equal(f->slow_done, SLOW_N);
	/* the page's own answer too (it was made before the stop's drain ended) */
	a = read_answer(page);
	assert_non_null(strstr(a, "path=/hold"));
	free(a);
}

/* ---- the access lines ---------------------------------------------------- */

/* The access log's content, malloc'd ("" when absent). */
static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	size_t cap = 1 << 20, len = 0, n;
	char *out = malloc(cap);

	assert_non_null(out);
	if (fp) {
		while ((n = fread(out + len, 1, cap - len - 1, fp)) > 0) {
			len += n;
			if (len + 1 == cap) {
				cap *= 2;
				out = realloc(out, cap);
				assert_non_null(out);
			}
		}
		fclose(fp);
	}
	out[len] = '\0';
	return out;
}

#define LOG_THREADS 6
#define LOG_EACH 250 /* lines of ~70 bytes: the 64 KiB buffer fills a few times */

struct client {
	struct fx *f;
	int id, ok;
};

/* LOG_EACH requests, one connection each, each with a path of its own. */
static void *client_run(void *arg)
{
	struct client *cl = arg;
	char req[128], *a;
	int i;

	for (i = 0; i < LOG_EACH; i++) {
		snprintf(req, sizeof(req),
			 "GET /n/%d-%d HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
			 cl->id, i);
		a = ask(cl->f, req);
		cl->ok += strstr(a, "HTTP/1.1 200") != NULL;
		free(a);
	}
	return NULL;
}

/* Many parallel requests then a stop: every line is in the file, once,
 * whole (one line each, never parts of two threads' lines). */
static void test_alog_parallel(void **state)
{
	struct fx *f = *state;
	struct client cl[LOG_THREADS];
	pthread_t t[LOG_THREADS];
	char want[96], *log, *line, *next;
	int i, j, lines = 0;

	for (i = 0; i < LOG_THREADS; i++) {
		cl[i] = (struct client){ .f = f, .id = i };
		assert_int_equal(pthread_create(&t[i], NULL, client_run, &cl[i]), 0);
	}
	for (i = 0; i < LOG_THREADS; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(cl[i].ok, LOG_EACH);
	}
	httpd_stop(f->srv); /* what waits in the buffer is written now */
	f->srv = NULL;
	log = slurp(f->log);
	for (i = 0; i < LOG_THREADS; i++)
		for (j = 0; j < LOG_EACH; j++) {
			snprintf(want, sizeof(want), ": 127.0.0.1 GET 127.0.0.1/n/%d-%d -> 200\n", i,
				 j);
			line = strstr(log, want);
			assert_non_null(line);
			assert_null(strstr(line + 1, want)); /* once */
		}
	/* every line whole: the time, the program, the request, the status */
	for (line = log; *line; line = next + 1) {
		next = strchr(line, '\n');
		assert_non_null(next);
		assert_true(line[4] == '-' && line[10] == 'T');
		assert_non_null(strstr(line, " test_httpd: 127.0.0.1 GET 127.0.0.1/n/"));
		assert_true(!strncmp(next - 6, "-> 200", 6));
		lines++;
	}
	assert_int_equal(lines, LOG_THREADS * LOG_EACH);
	free(log);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Waits up to 5 s for what to be in path; the seconds it took, or -1. */
static double wait_line(const char *path, const char *what)
{
	struct timespec tick = { .tv_nsec = 20 * 1000000L };
	double t0 = now_s();
	char *log;
	int found;

	do {
		log = slurp(path);
		found = strstr(log, what) != NULL;
		free(log);
		if (found)
			return now_s() - t0;
		nanosleep(&tick, NULL);
	} while (now_s() - t0 < 5);
	return -1;
}

/* A line reaches the file within the flush interval (a second), with no
 * other request to push it out. */
static void test_alog_interval(void **state)
{
	struct fx *f = *state;
	double took;

	free(get(f, "/alone", NULL));
	took = wait_line(f->log, "GET 127.0.0.1/alone -> 200\n");
	assert_true(took >= 0);
	assert_true(took < 1.5);
}

/* logrotate: the file renamed, then httpd_reload (the program's SIGHUP):
 * the lines before are in the renamed file, those after in a new one. */
static void test_alog_reopen(void **state)
{
	struct fx *f = *state;
	char rotated[80], *old, *cur;
	struct stat st;

	free(get(f, "/before", NULL));
	snprintf(rotated, sizeof(rotated), "%s.1", f->log);
	assert_int_equal(rename(f->log, rotated), 0);
	free(get(f, "/between", NULL)); /* after the rename, before the reopen */
	httpd_reload(f->srv, 1);
	assert_int_equal(stat(f->log, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	free(get(f, "/after", NULL));
	httpd_stop(f->srv);
	f->srv = NULL;
	old = slurp(rotated);
	cur = slurp(f->log);
	assert_non_null(strstr(old, "GET 127.0.0.1/before -> 200\n"));
	assert_non_null(strstr(old, "GET 127.0.0.1/between -> 200\n"));
	assert_null(strstr(old, "/after"));
	assert_non_null(strstr(cur, "GET 127.0.0.1/after -> 200\n"));
	assert_null(strstr(cur, "/before"));
	assert_null(strstr(cur, "/between"));
	free(old);
	free(cur);
}

/* An answer made once: the same bytes for every request, and a request
 * whose answer sets a cookie gets it alone. */
static void test_shared(void **state)
{
	struct fx *f = *state;
	char *a = get(f, "/shared", NULL), *b = get(f, "/shared-cookie", NULL),
	     *c = get(f, "/shared", NULL);
	const char *ab = strstr(a, "\r\n\r\n"), *cb = strstr(c, "\r\n\r\n");

	assert_non_null(strstr(a, "HTTP/1.1 302"));
	assert_true(has(a, "Location: http://portal.test/"));
	assert_true(has(a, "X-Frame-Options: DENY"));
	assert_true(has(a, "Cache-Control: no-store"));
	assert_null(strstr(a, "Set-Cookie"));
	assert_true(has(b, "Set-Cookie: lang=en; Path=/; HttpOnly; SameSite=Strict; Max-Age=60"));
	assert_non_null(strstr(c, "HTTP/1.1 302"));
	assert_null(strstr(c, "Set-Cookie"));
	assert_non_null(ab);
	assert_non_null(cb);
	assert_string_equal(ab, "\r\n\r\ngo\n");
	assert_string_equal(cb, "\r\n\r\ngo\n");
	free(a);
	free(b);
	free(c);
}

static void test_config(void **state)
{
	struct httpd_config cfg = { .name = "x" };
	struct httpd *srv = (struct httpd *)1;
	struct byod_err err;

	(void)state;
	assert_int_equal(httpd_start(&cfg, &srv, &err), -EINVAL);
	assert_null(srv);
	httpd_stop(NULL);
	httpd_reload(NULL, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log_path),
		cmocka_unit_test(test_config),
		cmocka_unit_test_setup_teardown(test_headers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cookie_and_headers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault, setup, teardown),
		cmocka_unit_test_setup_teardown(test_body_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stream, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shared, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slow_queue, setup_slow, teardown),
		cmocka_unit_test_setup_teardown(test_slow_stop, setup_slow, teardown),
		cmocka_unit_test_setup_teardown(test_slow_queue_full, setup_slow, teardown),
		cmocka_unit_test_setup_teardown(test_alog_parallel, setup_log, teardown),
		cmocka_unit_test_setup_teardown(test_alog_interval, setup_log, teardown),
		cmocka_unit_test_setup_teardown(test_alog_reopen, setup_log, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
