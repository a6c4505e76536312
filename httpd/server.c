// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The HTTP(S) server on libmicrohttpd, for any of our web programs: an
 * internal epoll thread pool with hard limits (connections, connections
 * per client, idle timeout, a deadline for each request to arrive:
 * gate.c; request body size), enough file descriptors for them,
 * libmicrohttpd's messages through our logger, an escaped log line per
 * answer unless the program asks for quiet, and the headers every answer
 * carries (a strict
 * Content-Security-Policy, no framing, no referrer, no caching of pages;
 * HSTS over HTTPS when the program says its certificate is trusted). The
 * HTTPS daemon takes its certificate from tls.c on every handshake, so a
 * renewed one is served without a restart. The program's handler sees a
 * plain struct httpd_request and fills a struct httpd_response. A slow
 * request (a password checked: tens of milliseconds of yescrypt) is
 * answered by a small queue of workers while its connection waits
 * suspended, so the epoll threads never wait behind one; an answer every
 * request gets alike (a captive probe's redirect) is made once and sent
 * again.
 */
#define _GNU_SOURCE
#include "httpd.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "byod_buf.h"
#include "byod_expo.h"
#include "byod_service.h"
#include "byod_util.h"
#include "form.h"
#include "httpd_priv.h"
#include "i18n.h"

/* An answer made once (httpd_response.shared) and what it was made from:
 * a slot, once filled, never changes until httpd_stop. */
struct shared_answer {
	struct MHD_Response *r;
	int status, hsts, cacheable, script, retry_after;
	const char *content_type, *csp;
	char *location, *body;
	size_t len;
};

/* Distinct shared answers kept (languages times the portal's two URLs, with
 * room); beyond, an answer is made for each request as any other. */
#define SHARED_MAX 16

/* A slow request, from the epoll thread that suspended its connection to
 * the worker that answers it, then back (struct conn.job). */
struct job {
	struct job *next;
	struct MHD_Connection *c;
	struct httpd_request rq; /* its strings: libmicrohttpd's (valid while the
				  * request lasts) or the copies below */
	struct httpd_response rs;
	char client[INET6_ADDRSTRLEN + 1], host[256], lang[8];
	int close; /* no answer could be made: the connection is closed */
};

struct httpd {
	struct httpd_config cfg;
	struct MHD_Daemon *http, *https;
	struct httpd_tls *tls;	 /* the HTTPS daemon's certificate */
	struct httpd_gate *gate; /* connections per client, the budget, deadlines */
	unsigned int budget;	 /* connections open at once (both daemons) */
	uint64_t answers[6];	 /* answers sent, by status class (atomic): [2] 2xx... */
	/* answers made once: n_shared slots filled (atomic, read without the
	 * lock), filled under shared_lock */
	struct shared_answer shared[SHARED_MAX];
	unsigned int n_shared;
	pthread_mutex_t shared_lock;
	/* the slow queue: jobs waiting, its workers, and the stop */
	pthread_mutex_t q_lock;
	pthread_cond_t q_cond;
	struct job *q_head, *q_tail;
	int stopping;
	pthread_t *workers;
	int n_workers;
	/* slow requests taken by the queue whose answer has not gone yet (under
	 * q_lock): the stop waits for them (drained) */
	int slow_open;
	pthread_cond_t drained;
	struct httpd_alog *alog; /* the access lines, buffered; NULL: none, or
				  * each through httpd_log (the journal) */
};

/* What one connection's request has gathered so far. */
struct conn {
	struct byod_buf body; /* a secret: a login form's body holds a password */
	char *target;	      /* the request line's target, when it is plain */
	int started;	      /* the headers have been seen */
	int too_large;
	struct job *job; /* answered by the slow queue, back with its answer */
	int slow;	 /* counted in slow_open until the request completes */
};

/* Longest request target kept for a redirect to the same page over HTTPS. */
#define TARGET_MAX 400

/* A secret body (a PKCS#12, a page with its passphrase) is wiped before
 * it is freed. */
struct secret {
	void *buf;
	size_t len;
};

static void free_secret(void *cls)
{
	struct secret *sc = cls;

	explicit_bzero(sc->buf, sc->len);
	free(sc->buf);
	free(sc);
}

/* The program's name in the log; set once at start, before any thread. */
static char log_name[32] = "byod-httpd";

void httpd_log_name(const char *name)
{
	if (name && name[0])
		snprintf(log_name, sizeof(log_name), "%s", name);
	byod_log_ident(log_name);
}

void httpd_log(const char *fmt, ...)
{
	char when[32], line[1024], safe[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* under systemd, an entry of the journal (byod_log escapes it too) */
	if (byod_log_journal()) {
		byod_log(LOG_INFO, NULL, "%s", line);
		return;
	}
	/* the formats are literals: escaping the line escapes every value in it
	 * (a path's %0a cannot start a forged line, nor ESC reach a terminal) */
	fprintf(stderr, "%s %s: %s\n", byod_time_iso(time(NULL), when, sizeof(when)), log_name,
		byod_log_escape(line, safe, sizeof(safe)));
}

/* libmicrohttpd's messages: fmt is its own literal, but a few name the
 * request's path, cut as the access line's (httpd_log_message) */
__attribute__((format(printf, 2, 0))) static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
	const struct httpd *s = cls;
	char line[512], shown[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	httpd_log_message(s ? s->cfg.secret_prefixes : NULL, line, shown, sizeof(shown));
	httpd_log("http: %s", shown);
}

static void client_addr(struct MHD_Connection *c, char *out, size_t len)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	snprintf(out, len, "?");
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
			  (socklen_t)len);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
			  out, (socklen_t)len);
}

/* Host header without the port, lowercase; "" when absent or odd. */
static void host_of(struct MHD_Connection *c, char *out, size_t len)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	size_t i, n = 0;

	out[0] = '\0';
	if (!h)
		return;
	if (h[0] == '[') { /* [v6]:port */
		const char *end = strchr(h, ']');

		if (end && (size_t)(end - h) < len)
			snprintf(out, len, "%.*s", (int)(end - h + 1), h);
		return;
	}
	for (i = 0; h[i] && h[i] != ':' && n + 1 < len; i++) {
		if (!isalnum((unsigned char)h[i]) && h[i] != '.' && h[i] != '-') {
			out[0] = '\0';
			return;
		}
		out[n++] = (char)tolower((unsigned char)h[i]);
	}
	out[n] = '\0';
}

const char *httpd_arg(const struct httpd_request *rq, const char *name)
{
	return rq && rq->conn_ ? MHD_lookup_connection_value(rq->conn_, MHD_GET_ARGUMENT_KIND, name)
			       : NULL;
}

const char *httpd_header(const struct httpd_request *rq, const char *name)
{
	return rq && rq->conn_ ? MHD_lookup_connection_value(rq->conn_, MHD_HEADER_KIND, name)
			       : NULL;
}

void httpd_set_cookie(struct httpd_response *rs, const struct httpd_request *rq, const char *name,
		      const char *value, int max_age)
{
	char age[32] = "";
	int i;

	for (i = 0; i < HTTPD_COOKIES_MAX && rs->cookies[i][0]; i++)
		;
	if (i == HTTPD_COOKIES_MAX)
		return;
	if (max_age >= 0)
		snprintf(age, sizeof(age), "; Max-Age=%d", max_age);
	snprintf(rs->cookies[i], sizeof(rs->cookies[i]),
		 "%s=%s; Path=/; HttpOnly; SameSite=Strict%s%s", name, value,
		 rq->https ? "; Secure" : "", age);
}

int httpd_body_copy(struct httpd_response *rs, const char *content_type, const char *body,
		    size_t len, int cacheable)
{
	rs->body = malloc(len + 1);
	if (!rs->body)
		return -ENOMEM;
	memcpy(rs->body, body, len);
	rs->body[len] = '\0';
	rs->len = len;
	rs->status = 200;
	rs->content_type = content_type;
	rs->cacheable = cacheable;
	return 0;
}

/* scripts only on a page that asks, and then only the site's own */
static const char csp_script[] = "default-src 'none'; script-src 'self'; style-src 'self'; "
				 "img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
				 "base-uri 'none'";
static const char csp_none[] = "default-src 'none'; style-src 'self'; img-src 'self'; "
			       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

static enum MHD_Result add_headers(struct MHD_Response *r, const struct httpd_response *rs,
				   int hsts_max_age)
{
	char hsts[48];
	int ok = 1, i;

	ok &= MHD_add_response_header(r, "Content-Security-Policy",
				      rs->csp	   ? rs->csp
				      : rs->script ? csp_script
						   : csp_none) == MHD_YES;
	ok &= MHD_add_response_header(r, "X-Frame-Options", "DENY") == MHD_YES;
	ok &= MHD_add_response_header(r, "X-Content-Type-Options", "nosniff") == MHD_YES;
	ok &= MHD_add_response_header(r, "Referrer-Policy", "no-referrer") == MHD_YES;
	ok &= MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
				      rs->cacheable && !rs->secret ? "public, max-age=300"
								   : "no-store") == MHD_YES;
	if (hsts_max_age > 0) {
		snprintf(hsts, sizeof(hsts), "max-age=%d", hsts_max_age);
		ok &= MHD_add_response_header(r, MHD_HTTP_HEADER_STRICT_TRANSPORT_SECURITY, hsts) ==
		      MHD_YES;
	}
	if (rs->content_type)
		ok &= MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, rs->content_type) ==
		      MHD_YES;
	if (rs->location[0])
		ok &= MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, rs->location) == MHD_YES;
	if (rs->retry_after > 0) {
		char secs[16];

		snprintf(secs, sizeof(secs), "%d", rs->retry_after);
		ok &= MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, secs) == MHD_YES;
	}
	if (rs->disposition[0])
		ok &= MHD_add_response_header(r, "Content-Disposition", rs->disposition) == MHD_YES;
	for (i = 0; i < HTTPD_HEADERS_MAX; i++)
		if (rs->headers[i][0] && rs->headers[i][1])
			ok &= MHD_add_response_header(r, rs->headers[i][0], rs->headers[i][1]) ==
			      MHD_YES;
	for (i = 0; i < HTTPD_COOKIES_MAX; i++)
		if (rs->cookies[i][0])
			ok &= MHD_add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE,
						      rs->cookies[i]) == MHD_YES;
	return ok ? MHD_YES : MHD_NO;
}

/* The path as the log may keep it (httpd_log_path), into out. */
static void loggable(const struct httpd *s, const char *path, char *out, size_t len)
{
	httpd_log_path(s->cfg.secret_prefixes, path, strlen(path), out, len);
}

static void stream_free(void *cls)
{
	struct httpd_response *held = cls;

	if (held->stream_free)
		held->stream_free(held->stream_cls);
	free(held);
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct httpd_response *held = cls;
	ssize_t n = held->stream(held->stream_cls, pos, buf, max);

	return n < 0 ? MHD_CONTENT_READER_END_OF_STREAM : n;
}

/* The answer as libmicrohttpd takes it; rs->body (and a stream) are owned
 * by it from then on, even on failure. */
static struct MHD_Response *make_response(struct httpd_response *rs)
{
	struct MHD_Response *r;
	struct secret *sc = NULL;

	if (rs->stream) {
		struct httpd_response *held = malloc(sizeof(*held));

		if (!held) {
			if (rs->stream_free)
				rs->stream_free(rs->stream_cls);
			rs->stream = NULL;
			return NULL;
		}
		*held = *rs;
		rs->stream = NULL;
		r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_read, held,
						      stream_free);
		if (!r)
			stream_free(held);
		return r;
	}
	if (rs->secret && rs->body) {
		sc = malloc(sizeof(*sc));
		if (!sc) {
			explicit_bzero(rs->body, rs->len);
			free(rs->body);
			rs->body = NULL;
			return NULL;
		}
		sc->buf = rs->body;
		sc->len = rs->len;
		r = MHD_create_response_from_buffer_with_free_callback_cls(rs->len, rs->body,
									   free_secret, sc);
	} else {
		r = MHD_create_response_from_buffer(rs->len, rs->body ? rs->body : (void *)"",
						    rs->body ? MHD_RESPMEM_MUST_FREE
							     : MHD_RESPMEM_PERSISTENT);
	}
	if (!r) {
		if (rs->secret && rs->body)
			explicit_bzero(rs->body, rs->len);
		free(rs->body);
		free(sc);
	}
	rs->body = NULL; /* MHD frees it now */
	return r;
}

/* Whether rs can be one of the answers made once: nothing in it belongs to
 * one request or must be wiped. */
static int shareable(const struct httpd_response *rs)
{
	int i;

	if (!rs->shared || rs->secret || rs->stream || rs->disposition[0])
		return 0;
	for (i = 0; i < HTTPD_COOKIES_MAX; i++)
		if (rs->cookies[i][0])
			return 0;
	for (i = 0; i < HTTPD_HEADERS_MAX; i++)
		if (rs->headers[i][0])
			return 0;
	return 1;
}

static int same_answer(const struct shared_answer *a, const struct httpd_response *rs, int hsts)
{
	return a->status == rs->status && a->hsts == hsts && a->cacheable == rs->cacheable &&
	       a->script == rs->script && a->retry_after == rs->retry_after &&
	       a->content_type == rs->content_type && a->csp == rs->csp &&
	       !strcmp(a->location, rs->location) && a->len == rs->len &&
	       (!a->len || !memcmp(a->body, rs->body, a->len));
}

/* The answer made once that rs is, made now if it was not yet and there is
 * room; NULL: make it for this request. Kept by s (never destroyed by the
 * caller). */
static struct MHD_Response *shared_answer(struct httpd *s, const struct httpd_response *rs,
					  int hsts)
{
	unsigned int i, n = __atomic_load_n(&s->n_shared, __ATOMIC_ACQUIRE);
	struct shared_answer *a;
	struct MHD_Response *r = NULL;

	for (i = 0; i < n; i++)
		if (same_answer(&s->shared[i], rs, hsts))
			return s->shared[i].r;
	pthread_mutex_lock(&s->shared_lock);
	n = s->n_shared; /* another thread may have made it meanwhile */
	for (i = 0; i < n; i++)
		if (same_answer(&s->shared[i], rs, hsts)) {
			r = s->shared[i].r;
			goto out;
		}
	if (n == SHARED_MAX)
		goto out;
	a = &s->shared[n];
	memset(a, 0, sizeof(*a));
	a->location = strdup(rs->location);
	a->body = malloc(rs->len + 1);
	if (!a->location || !a->body)
		goto fail;
	if (rs->len)
		memcpy(a->body, rs->body, rs->len);
	a->len = rs->len;
	a->status = rs->status;
	a->hsts = hsts;
	a->cacheable = rs->cacheable;
	a->script = rs->script;
	a->retry_after = rs->retry_after;
	a->content_type = rs->content_type;
	a->csp = rs->csp;
	a->r = MHD_create_response_from_buffer(a->len, a->body, MHD_RESPMEM_PERSISTENT);
	if (!a->r)
		goto fail;
	if (add_headers(a->r, rs, hsts) != MHD_YES) {
		MHD_destroy_response(a->r);
		goto fail;
	}
	r = a->r;
	__atomic_store_n(&s->n_shared, n + 1, __ATOMIC_RELEASE);
	goto out;
fail:
	free(a->location);
	free(a->body);
	memset(a, 0, sizeof(*a));
out:
	pthread_mutex_unlock(&s->shared_lock);
	return r;
}

static enum MHD_Result send_response(struct httpd *s, struct MHD_Connection *c,
				     const struct httpd_request *rq, struct httpd_response *rs)
{
	struct MHD_Response *r = NULL;
	char shown[600];
	int trusted, hsts, kept = 0;
	enum MHD_Result ret;

	/* HSTS only where it holds: over HTTPS, with a certificate the
	 * program says is trusted */
	trusted = rq->https && (!s->cfg.trusted || s->cfg.trusted(s->cfg.app));
	hsts = trusted ? s->cfg.hsts_max_age : 0;
	if (shareable(rs))
		r = shared_answer(s, rs, hsts);
	if (r) {
		kept = 1;
		free(rs->body);
		rs->body = NULL;
	} else {
		r = make_response(rs);
		if (!r)
			return MHD_NO;
		if (add_headers(r, rs, hsts) != MHD_YES) {
			MHD_destroy_response(r);
			return MHD_NO;
		}
	}
	if (s->cfg.quiet) {
		/* no line per answer: a captive probe is a few microseconds of
		 * work, and a line written for each would be most of it */
	} else if (rs->log_as && s->alog) {
		httpd_alog_line(s->alog, "%s %s %s -> %d", rq->client, rq->method, rs->log_as,
				rs->status);
	} else if (rs->log_as) {
		httpd_log("%s %s %s -> %d", rq->client, rq->method, rs->log_as, rs->status);
	} else {
		loggable(s, rq->path, shown, sizeof(shown));
		if (s->alog)
			httpd_alog_line(s->alog, "%s %s %s%s -> %d", rq->client, rq->method,
					rq->host[0] ? rq->host : "-", shown, rs->status);
		else
			httpd_log("%s %s %s%s -> %d", rq->client, rq->method,
				  rq->host[0] ? rq->host : "-", shown, rs->status);
	}
	ret = MHD_queue_response(c, (unsigned int)rs->status, r);
	if (!kept)
		MHD_destroy_response(r);
	if (ret == MHD_YES)
		byod_counter_add(&s->answers[rs->status >= 100 && rs->status < 600 ?
						     rs->status / 100 :
						     0],
				 1);
	return ret;
}

static void free_body(struct httpd_response *rs)
{
	if (rs->body && rs->secret)
		explicit_bzero(rs->body, rs->len);
	free(rs->body);
	if (rs->stream && rs->stream_free)
		rs->stream_free(rs->stream_cls);
	memset(rs, 0, sizeof(*rs));
}

/* The handler's answer to rq in rs, or on a fault the error page's: 0, or
 * -1 when not even the error page could be made (the connection closes). */
static int answer(struct httpd *s, const struct httpd_request *rq, struct httpd_response *rs)
{
	const struct httpd_config *cfg = &s->cfg;
	char shown[600];
	int rc, status;

	rc = cfg->handler(cfg->app, rq, rs);
	if (!rc)
		return 0;
	if (cfg->on_fault) {
		status = cfg->on_fault(cfg->app, rq, rc);
	} else {
		loggable(s, rq->path, shown, sizeof(shown));
		httpd_log("%s %s %s: server fault (%s)", rq->client, rq->method, shown,
			  strerror(-rc));
		status = MHD_HTTP_INTERNAL_SERVER_ERROR;
	}
	free_body(rs);
	if (cfg->error_page(cfg->app, rq, rs, status)) {
		free_body(rs);
		return -1;
	}
	return 0;
}

/* A worker of the slow queue: answers the jobs in turn, each in the
 * connection's place, then resumes the connection, whose thread sends the
 * answer (on_request sees cn->job). */
static void *slow_worker(void *arg)
{
	struct httpd *s = arg;
	struct job *j;

	for (;;) {
		pthread_mutex_lock(&s->q_lock);
		while (!s->q_head && !s->stopping)
			pthread_cond_wait(&s->q_cond, &s->q_lock);
		j = s->q_head;
		if (j) {
			s->q_head = j->next;
			if (!s->q_head)
				s->q_tail = NULL;
		}
		pthread_mutex_unlock(&s->q_lock);
		if (!j)
			return NULL; /* stopping, and nothing left */
		j->close = answer(s, &j->rq, &j->rs) != 0;
		/* from here j belongs to the connection's thread again */
		MHD_resume_connection(j->c);
	}
}

/* Hands the request to the slow queue: its connection suspended, j queued
 * (0); -1 when the server is stopping (then it is answered here); -2 when
 * slow_queued wait already (a 503 then). */
static int slow_queue(struct httpd *s, struct job *j)
{
	const struct job *q;
	int waiting = 0, max = s->cfg.slow_queued > 0 ? s->cfg.slow_queued : 128;

	pthread_mutex_lock(&s->q_lock);
	if (s->stopping) {
		pthread_mutex_unlock(&s->q_lock);
		return -1;
	}
	for (q = s->q_head; q && waiting < max; q = q->next)
		waiting++;
	if (waiting >= max) {
		pthread_mutex_unlock(&s->q_lock);
		return -2;
	}
	/* suspended before a worker can see it: a resume never comes first */
	MHD_suspend_connection(j->c);
	s->slow_open++;
	if (s->q_tail)
		s->q_tail->next = j;
	else
		s->q_head = j;
	s->q_tail = j;
	pthread_cond_signal(&s->q_cond);
	pthread_mutex_unlock(&s->q_lock);
	return 0;
}

static void job_free(struct job *j)
{
	if (!j)
		return;
	free_body(&j->rs);
	free(j);
}

/* The request as the slow queue keeps it: rq and rs (the language's cookie
 * may be set already) with their strings that live on this stack copied. */
static struct job *job_new(struct MHD_Connection *c, const struct httpd_request *rq,
			   const struct httpd_response *rs, const char *lang)
{
	struct job *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->c = c;
	j->rq = *rq;
	j->rs = *rs;
	snprintf(j->client, sizeof(j->client), "%s", rq->client);
	snprintf(j->host, sizeof(j->host), "%s", rq->host);
	j->rq.client = j->client;
	j->rq.host = j->host;
	if (rq->lang == lang) {
		snprintf(j->lang, sizeof(j->lang), "%s", lang);
		j->rq.lang = j->lang;
	}
	return j;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct httpd *s = cls;
	const struct httpd_config *cfg = &s->cfg;
	struct httpd_request rq;
	struct httpd_response rs;
	struct conn *cn = *con_cls;
	char client[INET6_ADDRSTRLEN + 1], host[256], lang[8], shown[600], cut[600];
	const char *al;
	enum MHD_Result ret;
	int rc, status, qrc;

	if (!cn) {
		cn = calloc(1, sizeof(*cn));
		if (!cn)
			return MHD_NO;
		byod_buf_init(&cn->body, 1);
		*con_cls = cn;
	}
	if (!cn->started) {
		/* first call: headers only */
		cn->started = 1;
		return MHD_YES;
	}
	if (*upload_size) {
		/* the body, kept up to the limit; beyond it only counted */
		size_t lim = (size_t)cfg->body_limit;

		if (!cn->too_large && cn->body.len + *upload_size <= lim) {
			if (byod_buf_append(&cn->body, upload, *upload_size))
				return MHD_NO;
		} else if (!cn->too_large) {
			cn->too_large = 1;
			byod_buf_free(&cn->body);
		}
		*upload_size = 0;
		return MHD_YES;
	}

	if (cn->job) {
		/* back from the slow queue with its answer */
		struct job *j = cn->job;

		cn->job = NULL;
		ret = j->close ? MHD_NO : send_response(s, c, &j->rq, &j->rs);
		job_free(j);
		return ret;
	}

	/* the request has arrived whole: its deadline stops while it is answered */
	httpd_gate_request_in(s->gate, c);
	memset(&rq, 0, sizeof(rq));
	memset(&rs, 0, sizeof(rs));
	client_addr(c, client, sizeof(client));
	host_of(c, host, sizeof(host));
	rq.method = method;
	rq.path = url;
	rq.host = host;
	rq.client = client;
	rq.conn_ = c;
	rq.cookie = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_COOKIE);
	rq.ua = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_USER_AGENT);
	rq.content_type =
		MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	rq.target = cn->target;
	rq.body = cn->body.p;
	rq.body_len = cn->body.len;
	/* a TLS connection has a GnuTLS session (comparing daemons does not
	 * work: with a thread pool a connection belongs to a worker's daemon) */
	rq.https = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION) != NULL;
	/* the language: the switch (?lang=, remembered in a cookie), else the
	 * cookie, else what the browser asks for, else the default */
	rq.lang = cfg->lang_default ? cfg->lang_default : "fr";
	if (cfg->i18n) {
		al = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						 MHD_HTTP_HEADER_ACCEPT_LANGUAGE);
		rq.lang = web_i18n_negotiate(cfg->i18n, al, rq.lang);
		if (cfg->lang_cookie &&
		    !web_cookie_get(rq.cookie, cfg->lang_cookie, lang, sizeof(lang)) &&
		    web_i18n_has(cfg->i18n, lang))
			rq.lang = lang;
		al = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "lang");
		if (al && web_i18n_has(cfg->i18n, al)) {
			rq.lang = al;
			if (cfg->lang_cookie)
				httpd_set_cookie(&rs, &rq, cfg->lang_cookie, al, 365 * 86400);
		}
	}
	(void)version;
	loggable(s, url, shown, sizeof(shown));

	if (strpbrk(url, "?#")) {
		/* a '?' or '#' the client encoded (%3F) or sent raw: no page has
		 * one, and no handler ever logs what follows it */
		httpd_log("%s %s %s: path refused", client, method, shown);
		snprintf(cut, sizeof(cut), "%.*s", (int)strcspn(url, "?#"), url);
		rq.path = cut;
		rc = cfg->error_page(cfg->app, &rq, &rs, MHD_HTTP_BAD_REQUEST);
	} else if (cn->too_large) {
		httpd_log("%s %s %s: body over %d bytes refused", client, method, shown,
			  cfg->body_limit);
		rc = cfg->error_page(cfg->app, &rq, &rs, MHD_HTTP_CONTENT_TOO_LARGE);
	} else if (s->n_workers && cfg->slow(cfg->app, &rq)) {
		/* a password to check: a worker answers it, this thread goes
		 * on serving pages meanwhile */
		struct job *j = job_new(c, &rq, &rs, lang);

		if (!j)
			return MHD_NO;
		cn->job = j;
		qrc = slow_queue(s, j);
		if (!qrc) {
			cn->slow = 1; /* this thread sends its answer: not before we return */
			return MHD_YES;
		}
		cn->job = NULL;
		if (qrc == -2) {
			/* too many waiting: said now, with the page that asks to try
			 * again in a moment (not the registry's or a fault's) */
			httpd_log("%s %s %s: slow queue full, 503", client, method, shown);
			rc = cfg->busy_page ? cfg->busy_page(cfg->app, &j->rq, &j->rs,
							     MHD_HTTP_SERVICE_UNAVAILABLE)
					    : cfg->error_page(cfg->app, &j->rq, &j->rs,
							      MHD_HTTP_SERVICE_UNAVAILABLE);
			if (!rc) {
				j->rs.status = MHD_HTTP_SERVICE_UNAVAILABLE;
				if (j->rs.retry_after <= 0)
					j->rs.retry_after =
						cfg->busy_retry_s > 0 ? cfg->busy_retry_s : 5;
			}
			ret = rc ? MHD_NO : send_response(s, c, &j->rq, &j->rs);
			job_free(j);
			return ret;
		}
		/* stopping: answered here */
		j->close = answer(s, &j->rq, &j->rs) != 0;
		ret = j->close ? MHD_NO : send_response(s, c, &j->rq, &j->rs);
		job_free(j);
		return ret;
	} else {
		rc = cfg->handler(cfg->app, &rq, &rs);
	}
	if (rc) {
		if (cfg->on_fault) {
			status = cfg->on_fault(cfg->app, &rq, rc);
		} else {
			httpd_log("%s %s %s: server fault (%s)", client, method, shown,
				  strerror(-rc));
			status = MHD_HTTP_INTERNAL_SERVER_ERROR;
		}
		free_body(&rs);
		if (cfg->error_page(cfg->app, &rq, &rs, status)) {
			free_body(&rs);
			return MHD_NO;
		}
	}
	return send_response(s, c, &rq, &rs);
}

/*
 * The start of each request: libmicrohttpd gives the target as sent (path
 * and query, still percent-encoded), which a redirect to the same page
 * over HTTPS needs whole. Kept only when it is plain printable ASCII that
 * begins with '/' (the redirect then goes to "/" instead): it becomes a
 * Location header. Its value starts the request's state.
 */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct conn *cn = calloc(1, sizeof(*cn));
	size_t i, n = uri ? strlen(uri) : 0;

	(void)cls;
	(void)c;
	if (!cn)
		return NULL; /* on_request tries again, and answers MHD_NO if it must */
	byod_buf_init(&cn->body, 1);
	for (i = 0; i < n && uri[i] > 0x20 && uri[i] < 0x7f; i++)
		;
	if (n && i == n && n <= TARGET_MAX && uri[0] == '/')
		cn->target = strdup(uri); /* NULL: the redirect goes to "/" */
	return cn;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct httpd *s = cls;
	struct conn *cn = *con_cls;

	/* the next request on a kept-alive connection has its own deadline */
	httpd_gate_request_done(s->gate, c);
	(void)toe;
	if (cn) {
		if (cn->slow) {
			/* its answer has gone (or the client has): the stop waits no more */
			pthread_mutex_lock(&s->q_lock);
			s->slow_open--;
			pthread_cond_broadcast(&s->drained);
			pthread_mutex_unlock(&s->q_lock);
		}
		job_free(cn->job); /* resumed, and closed before its answer went */
		byod_buf_free(&cn->body); /* wiped */
		if (cn->target)		  /* it may hold a one-time link's token */
			explicit_bzero(cn->target, strlen(cn->target));
		free(cn->target);
		free(cn);
	}
	*con_cls = NULL;
}

/*
 * libmicrohttpd's memory per connection: the request's headers, its read
 * buffer and the answer's headers (a body goes to struct conn as it comes,
 * the answer's body is sent from its own buffer). It is cleared for every
 * connection, so its size is paid by every captive probe: 16 KiB holds a
 * request's 8 KiB of headers with room for the answer's.
 */
#define CONN_MEMORY ((size_t)16 * 1024)

static struct MHD_Daemon *start_daemon(struct httpd *s, int port, int tls, struct byod_err *err)
{
	const struct httpd_config *cfg = &s->cfg;
	struct sockaddr_in6 a6;
	struct sockaddr_in a4;
	struct sockaddr *sa;
	/* MHD_USE_ITC: the stop's MHD_quiesce_daemon needs it in a thread pool */
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
			     MHD_USE_ITC;
	struct MHD_Daemon *d;

	memset(&a4, 0, sizeof(a4));
	memset(&a6, 0, sizeof(a6));
	if (inet_pton(AF_INET, cfg->listen, &a4.sin_addr) == 1) {
		a4.sin_family = AF_INET;
		a4.sin_port = htons((uint16_t)port);
		sa = (struct sockaddr *)&a4;
	} else if (inet_pton(AF_INET6, cfg->listen, &a6.sin6_addr) == 1) {
		a6.sin6_family = AF_INET6;
		a6.sin6_port = htons((uint16_t)port);
		sa = (struct sockaddr *)&a6;
		flags |= MHD_USE_IPv6;
	} else {
		byod_err_set(err, EINVAL, "%s.listen '%s' is not an address", cfg->conf,
			     cfg->listen);
		return NULL;
	}
	if (tls)
		flags |= MHD_USE_TLS;
	if (s->n_workers)
		flags |= MHD_ALLOW_SUSPEND_RESUME;
	/* Without TLS the option list ends before the certificate options.
	 * The gate counts clients across both daemons (an IPv6 client by its
	 * prefix) and keeps the budget; libmicrohttpd's own limit, a little
	 * above it, is only a backstop (its per-address limit would count
	 * single IPv6 addresses, and each daemon apart). */
	d = MHD_start_daemon(
		flags, 0, httpd_gate_accept, s->gate, on_request, s, MHD_OPTION_EXTERNAL_LOGGER,
		mhd_logger, s, /* first, to get every message */
		MHD_OPTION_SOCK_ADDR, sa, MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)cfg->threads,
		MHD_OPTION_CONNECTION_LIMIT, s->budget + 2 * HTTPD_GATE_SLACK,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)cfg->timeout_s,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, CONN_MEMORY, MHD_OPTION_NOTIFY_CONNECTION,
		httpd_gate_notify, s->gate, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
		tls ? MHD_OPTION_HTTPS_CERT_CALLBACK2 : MHD_OPTION_END, httpd_tls_cert_cb,
		MHD_OPTION_END);
	if (!d)
		byod_err_set(err, EADDRINUSE,
			     "cannot listen on %s port %d (in use, or not allowed)", cfg->listen,
			     port);
	return d;
}

/* File descriptors kept for what is not a client: listening sockets, the
 * registry, certificate files, the log, libmicrohttpd's epoll sets. */
#define FD_RESERVE 128

/*
 * The connection budget needs a file descriptor each, with room for the
 * connections being closed and refused, which the usual soft limit of
 * 1024 does not give: the soft limit is raised up to the hard one. If
 * even that is short, the budget shrinks to fit and the log says so
 * (running out of descriptors would stop every accept, the normal
 * client's included).
 */
static unsigned int fd_budget(const char *conf, unsigned int want)
{
	const rlim_t reserve = 2 * HTTPD_GATE_SLACK + FD_RESERVE;
	rlim_t need = (rlim_t)want + reserve;
	struct rlimit rl;
	unsigned int fit;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
		return want;
	if (rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need) {
		struct rlimit raised = {need, rl.rlim_max};

		if (!setrlimit(RLIMIT_NOFILE, &raised))
			return want;
	} else {
		struct rlimit raised = {rl.rlim_max, rl.rlim_max};

		if (!setrlimit(RLIMIT_NOFILE, &raised))
			rl.rlim_cur = rl.rlim_max;
	}
	fit = rl.rlim_cur > 16 + reserve ? (unsigned int)(rl.rlim_cur - reserve) : 16;
	httpd_log("warning: %lu file descriptors at most (ulimit -n): "
		  "%s.connection-limit %u lowered to %u",
		  (unsigned long)rl.rlim_cur, conf, want, fit);
	return fit;
}

int httpd_start(const struct httpd_config *cfg, struct httpd **out, struct byod_err *err)
{
	struct httpd *s;
	struct httpd_gate_limits lim;
	int rc = 0;

	*out = NULL;
	if (!cfg->handler || !cfg->error_page || !cfg->listen || !cfg->conf ||
	    (cfg->https_port && !cfg->tls_load) || cfg->threads < 1 || cfg->body_limit < 0 ||
	    cfg->connection_limit < 1)
		return byod_err_set(err, EINVAL, "the web server is not fully configured");
	s = calloc(1, sizeof(*s));
	if (!s)
		return byod_err_set(err, ENOMEM, "out of memory");
	s->cfg = *cfg;
	pthread_mutex_init(&s->shared_lock, NULL);
	pthread_mutex_init(&s->q_lock, NULL);
	pthread_cond_init(&s->q_cond, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&s->drained, &ca);
		pthread_condattr_destroy(&ca);
	}
	httpd_log_name(cfg->name);
	/* the access lines buffered, but under systemd without a file of their
	 * own each goes to the journal as the other lines do */
	if (!cfg->quiet && ((cfg->access_log && cfg->access_log[0]) || !byod_log_journal())) {
		rc = httpd_alog_new(cfg->name, cfg->access_log, &s->alog, err);
		if (rc)
			goto out;
	}
	s->budget = fd_budget(cfg->conf, (unsigned int)cfg->connection_limit);
	lim.budget = s->budget;
	lim.per_client = (unsigned int)cfg->per_ip_limit;
	lim.v6_prefix = (unsigned int)cfg->per_ip_v6_prefix;
	lim.deadline_s = (unsigned int)cfg->request_deadline_s;
	rc = httpd_gate_new(&lim, &s->gate, err);
	if (rc)
		goto out;
	if (cfg->slow) {
		int i, want = cfg->slow_workers > 0 ? cfg->slow_workers : 2;

		s->workers = calloc((size_t)want, sizeof(*s->workers));
		if (!s->workers) {
			rc = byod_err_set(err, ENOMEM, "out of memory");
			goto out;
		}
		for (i = 0; i < want; i++) {
			rc = -pthread_create(&s->workers[i], NULL, slow_worker, s);
			if (rc) {
				byod_err_set(err, -rc, "cannot start the web server's workers");
				goto out;
			}
			s->n_workers++;
		}
	}
	if (cfg->https_port) {
		if (MHD_is_feature_supported(MHD_FEATURE_HTTPS_CERT_CALLBACK2) != MHD_YES) {
			rc = byod_err_set(err, ENOTSUP,
					  "this libmicrohttpd cannot take a certificate callback "
					  "(GnuTLS 3.6.3 or later needed)");
			goto out;
		}
		rc = httpd_tls_open(&s->cfg, &s->tls, err);
		if (rc)
			goto out;
		s->https = start_daemon(s, cfg->https_port, 1, err);
		if (!s->https) {
			rc = -EADDRINUSE;
			goto out;
		}
	}
	if (cfg->http_port) {
		s->http = start_daemon(s, cfg->http_port, 0, err);
		if (!s->http)
			rc = -EADDRINUSE;
	}
out:
	if (rc) {
		httpd_stop(s);
		return rc;
	}
	*out = s;
	return 0;
}

/* Seconds the stop waits for the slow requests' answers to go. */
#define DRAIN_S 10

void httpd_stop(struct httpd *s)
{
	struct timespec until;
	MHD_socket lfd[2] = {MHD_INVALID_SOCKET, MHD_INVALID_SOCKET};
	unsigned int i;
	int w;

	if (!s)
		return;
	/* no new connection from now on; those open are still served */
	if (s->http)
		lfd[0] = MHD_quiesce_daemon(s->http);
	if (s->https)
		lfd[1] = MHD_quiesce_daemon(s->https);
	/* the slow queue: its workers answer what is queued and resume those
	 * connections (libmicrohttpd stops no daemon that holds a suspended
	 * one); a slow request from now on is answered in place */
	pthread_mutex_lock(&s->q_lock);
	s->stopping = 1;
	pthread_cond_broadcast(&s->q_cond);
	pthread_mutex_unlock(&s->q_lock);
	for (w = 0; w < s->n_workers; w++)
		pthread_join(s->workers[w], NULL);
	free(s->workers);
	/* a resumed connection's answer is queued and sent by its epoll
	 * thread later; MHD_stop_daemon would close it unsent: wait for every
	 * one to complete (or its client to go), a few seconds at most */
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += DRAIN_S;
	pthread_mutex_lock(&s->q_lock);
	while (s->slow_open > 0 && !pthread_cond_timedwait(&s->drained, &s->q_lock, &until))
		;
	if (s->slow_open > 0)
		httpd_log("stopping with %d slow requests' answers unsent after %d s", s->slow_open,
			  DRAIN_S);
	pthread_mutex_unlock(&s->q_lock);
	if (s->http)
		MHD_stop_daemon(s->http);
	if (s->https)
		MHD_stop_daemon(s->https);
	/* quiesced sockets are ours to close, once no daemon thread uses them */
	for (w = 0; w < 2; w++)
		if (lfd[w] != MHD_INVALID_SOCKET)
			close(lfd[w]);
	httpd_alog_free(s->alog); /* the lines of the last answers included */
	httpd_gate_free(s->gate); /* after the daemons: their connections use it */
	httpd_tls_free(s->tls);
	for (i = 0; i < s->n_shared; i++) {
		MHD_destroy_response(s->shared[i].r);
		free(s->shared[i].location);
		free(s->shared[i].body);
	}
	pthread_mutex_destroy(&s->shared_lock);
	pthread_mutex_destroy(&s->q_lock);
	pthread_cond_destroy(&s->q_cond);
	pthread_cond_destroy(&s->drained);
	free(s);
}

void httpd_answers(const struct httpd *s, uint64_t out[6])
{
	int i;

	for (i = 0; i < 6; i++)
		out[i] = s ? byod_counter_get(&s->answers[i]) : 0;
}

void httpd_reload(struct httpd *s, int force)
{
	if (!s)
		return;
	httpd_tls_refresh(s->tls, force);
	if (force)
		httpd_alog_reopen(s->alog);
}
