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
 * before any of them ends; an answer made once sent alike, never with
 * another request's cookie.
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
#include <sys/time.h>

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
	if (with_slow) {
		/* one thread for the pages: a slow request answered there would
		 * hold every page behind it */
		cfg.threads = 1;
		cfg.slow = slow;
		cfg.slow_workers = 2;
		cfg.quiet = 1;
		/* a short queue (test_slow_queue_full) */
		cfg.slow_queued = SLOW_QUEUED;
	}
	f->port = cfg.http_port = free_port();
	assert_int_equal(httpd_start(&cfg, &f->srv, &err), 0);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return start(state, 0);
}

static int setup_slow(void **state)
{
	return start(state, 1);
}

static int teardown(void **state)
{
	struct fx *f = *state;

	pthread_mutex_lock(&f->lock);
	f->release = 1; /* a failed test may leave slow requests waiting */
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->lock);
	httpd_stop(f->srv);
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
		}
		free(a);
	}
	/* how many the workers took before the queue filled depends on the
	 * threads' timing: at least the queue's and none lost */
	assert_true(busy503 >= 1);
	assert_true(ok200 >= SLOW_QUEUED);
	assert_int_equal(ok200 + busy503, PER_N);
}

/* Stopping the server with slow requests queued: each still gets its
 * answer (libmicrohttpd cannot stop a daemon holding a suspended one). */
static void test_slow_stop(void **state)
{
	struct fx *f = *state;
	int s, in;
	char *a;
	struct timespec until;

	s = send_req(f, "POST /slow HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
			"Content-Length: 1\r\n\r\nx");
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	pthread_mutex_lock(&f->lock);
	while (f->in_slow < 1 && !pthread_cond_timedwait(&f->cond, &f->lock, &until))
		;
	in = f->in_slow;
	f->release = 1;
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->lock);
	assert_int_equal(in, 1);
	httpd_stop(f->srv);
	f->srv = NULL;
	a = read_answer(s);
	/* answered, or closed by the stop: never a hang (read's timeout) */
	assert_true(!a[0] || strstr(a, "slow body=x"));
	free(a);
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
