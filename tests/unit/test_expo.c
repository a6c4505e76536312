// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the metrics' plumbing: the exposition writer (families,
 * # HELP and # TYPE once before the first sample, a family without sample
 * printing nothing, label values and help escaped as Prometheus's text
 * format 0.0.4 says, values), the management listener's ADDR:PORT and its
 * answers (/metrics with the format's content type, 404 elsewhere), the
 * RADIUS module's stats socket (mode 0660, the exposition, gone once
 * stopped, never over a file that is not a socket) and the decision
 * totals it shows, which a flush does not reset.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "byod_expo.h"
#include "counts.h"
#include "httpd.h"
#include "stats.h"

/* What f wrote, as a string (free it). */
static char *text_of(void (*fill)(struct byod_expo *e))
{
	struct byod_expo e;
	char *data = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&data, &len);

	assert_non_null(f);
	byod_expo_init(&e, f);
	fill(&e);
	assert_int_equal(fclose(f), 0);
	return data;
}

static void fill_families(struct byod_expo *e)
{
	byod_expo_family(e, "byod_a_total", "counter", "Things counted.");
	byod_expo_sample(e, 3, "kind", "x", NULL);
	byod_expo_sample(e, 4, "kind", "y", "node", "n1", NULL);
	byod_expo_family(e, "byod_empty", "gauge", "Never sampled.");
	byod_expo_one(e, "byod_b", "gauge", "One value.", 2.5);
}

static void test_families(void **state)
{
	char *t = text_of(fill_families);

	(void)state;
	assert_string_equal(t, "# HELP byod_a_total Things counted.\n"
			       "# TYPE byod_a_total counter\n"
			       "byod_a_total{kind=\"x\"} 3\n"
			       "byod_a_total{kind=\"y\",node=\"n1\"} 4\n"
			       "# HELP byod_b One value.\n"
			       "# TYPE byod_b gauge\n"
			       "byod_b 2.5\n");
	free(t);
}

static void fill_escaped(struct byod_expo *e)
{
	byod_expo_family(e, "byod_x", "gauge", "A \"help\" with \\ and\nnew line.");
	byod_expo_sample(e, 1, "v", "back\\slash \"quoted\"\nnext", NULL);
	byod_expo_sample(e, 0, "v", "", NULL);
}

static void test_escaping(void **state)
{
	char *t = text_of(fill_escaped);

	(void)state;
	/* help: \\ and \n escaped, the quote left as it is; label values:
	 * \\, \" and \n */
	assert_string_equal(t, "# HELP byod_x A \"help\" with \\\\ and\\nnew line.\n"
			       "# TYPE byod_x gauge\n"
			       "byod_x{v=\"back\\\\slash \\\"quoted\\\"\\nnext\"} 1\n"
			       "byod_x{v=\"\"} 0\n");
	free(t);
}

static void fill_values(struct byod_expo *e)
{
	byod_expo_family(e, "byod_v", "gauge", "Values.");
	byod_expo_sample(e, 0.0 / 0.0, "k", "nan", NULL);
	byod_expo_sample(e, 1.0 / 0.0, "k", "inf", NULL);
	byod_expo_sample(e, -1.0 / 0.0, "k", "-inf", NULL);
	byod_expo_sample(e, 1733300000, "k", "time", NULL);
	byod_expo_sample(e, 18446744073709551615.0, "k", "big", NULL);
	byod_expo_sample(e, -0.125, "k", "neg", NULL);
}

static void test_values(void **state)
{
	char *t = text_of(fill_values);

	(void)state;
	assert_string_equal(t, "# HELP byod_v Values.\n# TYPE byod_v gauge\n"
			       "byod_v{k=\"nan\"} NaN\n"
			       "byod_v{k=\"inf\"} +Inf\n"
			       "byod_v{k=\"-inf\"} -Inf\n"
			       "byod_v{k=\"time\"} 1733300000\n"
			       "byod_v{k=\"big\"} 1.8446744073709552e+19\n"
			       "byod_v{k=\"neg\"} -0.125\n");
	free(t);
}

static void fill_process(struct byod_expo *e)
{
	byod_expo_process(e, "byod-test", 1700000000);
}

static void test_process(void **state)
{
	char *t = text_of(fill_process);

	(void)state;
	assert_non_null(strstr(t, "# TYPE byod_build_info gauge\nbyod_build_info{program=\"byod-test\","
				  "version=\""));
	assert_non_null(strstr(t, "# TYPE byod_start_time_seconds gauge\n"
				  "byod_start_time_seconds 1700000000\n"));
	free(t);
}

static void test_addr_port(void **state)
{
	struct sockaddr_storage sa;
	socklen_t len;

	(void)state;
	assert_int_equal(httpd_addr_port("127.0.0.1:9101", &sa, &len), 0);
	assert_int_equal(sa.ss_family, AF_INET);
	assert_int_equal(ntohs(((struct sockaddr_in *)&sa)->sin_port), 9101);
	assert_int_equal(httpd_addr_port("[::1]:9102", &sa, &len), 0);
	assert_int_equal(sa.ss_family, AF_INET6);
	assert_int_equal(ntohs(((struct sockaddr_in6 *)&sa)->sin6_port), 9102);
	assert_int_equal(httpd_addr_port("::1:9102", &sa, &len), -EINVAL); /* no brackets */
	assert_int_equal(httpd_addr_port("localhost:9101", &sa, &len), -EINVAL);
	assert_int_equal(httpd_addr_port("127.0.0.1", &sa, &len), -EINVAL);
	assert_int_equal(httpd_addr_port("127.0.0.1:0", &sa, &len), -EINVAL);
	assert_int_equal(httpd_addr_port("127.0.0.1:65536", &sa, &len), -EINVAL);
	assert_int_equal(httpd_addr_port("127.0.0.1:91x", &sa, &len), -EINVAL);
	assert_int_equal(httpd_addr_port("[::1]9102", &sa, &len), -EINVAL);
	assert_int_equal(httpd_addr_port("", &sa, &len), -EINVAL);
}

static int scrapes;

static void fill_scrape(void *app, struct byod_expo *e)
{
	assert_ptr_equal(app, &scrapes);
	scrapes++;
	byod_expo_one(e, "byod_scrapes_total", "counter", "Scrapes.", scrapes);
}

/* GET path from 127.0.0.1:port; the whole answer (free it). */
static char *http_get(int port, const char *path)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	char req[256], *buf = calloc(1, 65536);
	size_t n = 0;
	ssize_t r;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_non_null(buf);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", path);
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	while ((r = read(fd, buf + n, 65535 - n)) > 0)
		n += (size_t)r;
	close(fd);
	return buf;
}

static int free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static void test_listener(void **state)
{
	struct httpd_metrics *m;
	struct byod_err err;
	char listen[64], *t;
	int port = free_port();

	(void)state;
	assert_int_equal(httpd_metrics_start("x.metrics-listen", "nowhere", fill_scrape, &scrapes,
					     &m, &err),
			 -EINVAL);
	assert_non_null(strstr(err.msg, "x.metrics-listen"));
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	assert_int_equal(httpd_metrics_start("x.metrics-listen", listen, fill_scrape, &scrapes, &m,
					     &err),
			 0);
	t = http_get(port, "/metrics");
	assert_non_null(strstr(t, "HTTP/1.1 200"));
	assert_non_null(strcasestr(t, "\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
	assert_non_null(strstr(t, "\r\n\r\n# HELP byod_scrapes_total Scrapes.\n"
				  "# TYPE byod_scrapes_total counter\nbyod_scrapes_total 1\n"));
	free(t);
	t = http_get(port, "/");
	assert_non_null(strstr(t, "HTTP/1.1 404"));
	free(t);
	t = http_get(port, "/metrics");
	assert_non_null(strstr(t, "byod_scrapes_total 2\n"));
	free(t);
	httpd_metrics_stop(m);
	httpd_metrics_stop(NULL);
}

static void fill_stats(void *arg, struct byod_expo *e)
{
	byod_expo_one(e, "byod_radius_test", "gauge", "A test.", *(int *)arg);
}

static void test_stats_socket(void **state)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct rad_stats *s;
	struct byod_err err;
	struct stat st;
	char dir[] = "/tmp/test_expo.XXXXXX", buf[4096];
	ssize_t r;
	size_t n = 0;
	int fd, value = 42;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/stats.sock", dir);
	/* a file that is not a socket is left alone */
	fd = open(sa.sun_path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(rad_stats_start(sa.sun_path, fill_stats, &value, &s, &err), -EEXIST);
	assert_int_equal(unlink(sa.sun_path), 0);
	assert_int_equal(rad_stats_start(sa.sun_path, fill_stats, &value, &s, &err), 0);
	assert_int_equal(stat(sa.sun_path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0660);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	while ((r = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	close(fd);
	assert_string_equal(buf, "# HELP byod_radius_test A test.\n# TYPE byod_radius_test gauge\n"
				 "byod_radius_test 42\n");
	rad_stats_stop(s);
	assert_int_equal(lstat(sa.sun_path, &st), -1);
	/* a socket left behind by a server that died is replaced */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	assert_int_equal(rad_stats_start(sa.sun_path, fill_stats, &value, &s, &err), 0);
	rad_stats_stop(s);
	rad_stats_stop(NULL);
	assert_int_equal(rmdir(dir), 0);
}

struct totals {
	uint64_t reg_accept, pupils_accept, refused_revoked, pairs;
};

static void on_total(const char *segment, const char *reason, uint64_t n, void *arg)
{
	struct totals *t = arg;

	t->pairs++;
	if (!strcmp(segment, "registration") && !strcmp(reason, "accept"))
		t->reg_accept += n;
	else if (!strcmp(segment, "pupils") && !strcmp(reason, "accept"))
		t->pupils_accept += n;
	else if (!strcmp(segment, "") && !strcmp(reason, "cert-revoked"))
		t->refused_revoked += n;
}

static void test_totals(void **state)
{
	struct rad_counts_options o = {.node = "n1"};
	struct rad_counts *c;
	struct byod_err err;
	struct totals t = {0};
	int i;

	(void)state;
	assert_int_equal(rad_counts_new(&o, &c, &err), 0);
	for (i = 0; i < 5; i++)
		rad_counts_add(c, 1700000000 + i * 60, "0131234W", "registration", "accept");
	rad_counts_add(c, 1700000000, "0930001B", "registration", "accept"); /* another school */
	rad_counts_add(c, 1700000000, "0131234W", "pupils", "accept");
	rad_counts_add(c, 1700000000, "0131234W", NULL, "cert-revoked");
	rad_counts_add(c, 1700000000, "0131234W", "pupils", "not-a-reason"); /* dropped */
	/* a flush (here without a registry: the rows are kept) resets nothing */
	assert_int_not_equal(rad_counts_flush(c, NULL, NULL, NULL, &err), 0);
	assert_int_equal(rad_counts_totals(c, on_total, &t), 0);
	assert_int_equal(t.reg_accept, 6);
	assert_int_equal(t.pupils_accept, 1);
	assert_int_equal(t.refused_revoked, 1);
	assert_int_equal(t.pairs, 3);
	rad_counts_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_families),  cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_values),	  cmocka_unit_test(test_process),
		cmocka_unit_test(test_addr_port), cmocka_unit_test(test_listener),
		cmocka_unit_test(test_stats_socket), cmocka_unit_test(test_totals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
