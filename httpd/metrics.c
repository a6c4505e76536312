// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A daemon's /metrics on a management listener of its own
 * (portal.metrics-listen, admin.metrics-listen, gateway.metrics-listen):
 * a second, small libmicrohttpd daemon beside the pages, so that the
 * scrape is reached from the management network only and never competes
 * with phones for the pages' connection budget. One thread, a few
 * connections, GET or HEAD of /metrics only; the answer is made whole by
 * the program's writer (byod_expo.h) and sent with Prometheus's content
 * type.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byod_expo.h"
#include "httpd.h"

struct httpd_metrics {
	struct MHD_Daemon *d;
	httpd_metrics_fn write;
	void *app;
};

int httpd_addr_port(const char *listen, struct sockaddr_storage *sa, socklen_t *len)
{
	char host[64];
	const char *colon, *h;
	size_t hlen;
	char *end;
	long port;

	memset(sa, 0, sizeof(*sa));
	colon = listen ? strrchr(listen, ':') : NULL;
	if (!colon || colon == listen)
		return -EINVAL;
	h = listen;
	hlen = (size_t)(colon - listen);
	if (h[0] == '[') {
		if (hlen < 3 || h[hlen - 1] != ']')
			return -EINVAL;
		h++;
		hlen -= 2;
	}
	if (hlen >= sizeof(host))
		return -EINVAL;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno || *end || end == colon + 1 || port < 1 || port > 65535)
		return -EINVAL;
	if (listen[0] != '[' &&
	    inet_pton(AF_INET, host, &((struct sockaddr_in *)sa)->sin_addr) == 1) {
		((struct sockaddr_in *)sa)->sin_family = AF_INET;
		((struct sockaddr_in *)sa)->sin_port = htons((uint16_t)port);
		*len = sizeof(struct sockaddr_in);
		return 0;
	}
	if (listen[0] == '[' &&
	    inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)sa)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)sa)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)sa)->sin6_port = htons((uint16_t)port);
		*len = sizeof(struct sockaddr_in6);
		return 0;
	}
	return -EINVAL;
}

static enum MHD_Result answer(struct MHD_Connection *c, unsigned int status, const char *type,
			      char *body, size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_len, void **con_cls)
{
	struct httpd_metrics *m = cls;
	struct byod_expo e;
	char *data = NULL;
	size_t len = 0;
	FILE *f;

	(void)version;
	(void)upload;
	if (!*con_cls) { /* the headers: the body, if any, is not waited for */
		*con_cls = m;
		return MHD_YES;
	}
	if (*upload_len) {
		*upload_len = 0; /* a body is not read */
		return MHD_YES;
	}
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return answer(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain; charset=utf-8",
			      strdup("GET /metrics only\n"), 18);
	if (strcmp(url, "/metrics"))
		return answer(c, MHD_HTTP_NOT_FOUND, "text/plain; charset=utf-8",
			      strdup("/metrics only\n"), 14);
	f = open_memstream(&data, &len);
	if (!f)
		return MHD_NO;
	byod_expo_init(&e, f);
	m->write(m->app, &e);
	if (fclose(f)) {
		free(data);
		return MHD_NO;
	}
	return answer(c, MHD_HTTP_OK, BYOD_EXPO_CONTENT_TYPE, data, len);
}

int httpd_metrics_start(const char *key, const char *listen, httpd_metrics_fn write, void *app,
			struct httpd_metrics **out, struct byod_err *err)
{
	struct sockaddr_storage sa;
	struct httpd_metrics *m;
	socklen_t salen;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;

	*out = NULL;
	if (httpd_addr_port(listen, &sa, &salen))
		return byod_err_set(err, EINVAL, "%s '%s' is not ADDR:PORT", key, listen);
	if (sa.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	m = calloc(1, sizeof(*m));
	if (!m)
		return byod_err_set(err, ENOMEM, "out of memory");
	m->write = write;
	m->app = app;
	/* a scraper or two: a handful of connections, short idle */
	m->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, m, MHD_OPTION_SOCK_ADDR, &sa,
				MHD_OPTION_CONNECTION_LIMIT, 16u, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
				8u, MHD_OPTION_CONNECTION_TIMEOUT, 10u,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32 * 1024,
				MHD_OPTION_END);
	if (!m->d) {
		free(m);
		return byod_err_set(err, EADDRINUSE, "%s: cannot listen on %s (in use, or not allowed)",
				    key, listen);
	}
	*out = m;
	return 0;
}

void httpd_metrics_stop(struct httpd_metrics *m)
{
	if (!m)
		return;
	MHD_stop_daemon(m->d);
	free(m);
}
