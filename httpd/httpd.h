/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The web server byod-portal and byod-admin share (prefix httpd_):
 * libmicrohttpd with hard limits, a gate against slow clients, an HTTPS
 * certificate reloaded without a restart, the security headers of every
 * answer, an escaped log line per request when asked, and slow requests
 * (a password check) answered apart from the pages. A program gives a handler
 * that turns a plain struct httpd_request into a struct httpd_response;
 * it never touches libmicrohttpd.
 */
#ifndef BYOD_HTTPD_H
#define BYOD_HTTPD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <openssl/types.h>

#include "byod_err.h"

struct web_i18n;

struct httpd_request {
	const char *method;
	const char *path;	  /* without the query string, percent-decoded; never
				   * with a '?' or '#' (such a request is a 400) */
	const char *host;	  /* Host header without the port, lowercase; "" when absent */
	const char *lang;	  /* the page language, negotiated (httpd_config.i18n) */
	const char *client;	  /* the client's address as text */
	const char *cookie;	  /* the Cookie header, or NULL */
	const char *ua;		  /* the User-Agent header, or NULL */
	const char *content_type; /* of the body, or NULL */
	const char *body;	  /* the request body (POST), or NULL */
	size_t body_len;
	const char *target; /* path and query as sent (printable ASCII), or NULL */
	int https;	    /* over TLS */
	void *conn_;	    /* the connection, for httpd_arg and httpd_header only */
};

/* The value of the query argument name (?name=value, decoded), or NULL. */
const char *httpd_arg(const struct httpd_request *rq, const char *name);
/* The value of the request header name, or NULL. */
const char *httpd_header(const struct httpd_request *rq, const char *name);

#define HTTPD_COOKIES_MAX 4
#define HTTPD_HEADERS_MAX 4

/*
 * An answer whose body is made while it is sent (Server-Sent Events):
 * called from the connection's worker thread with room for max bytes at
 * buf; returns the bytes written, 0 when there is nothing yet, or -1 to
 * end the answer. libmicrohttpd calls again at once after 0, so the
 * callback waits a little (a fraction of a second) for something new
 * before it returns 0, or it spins; a comment line (": \n\n") now and then
 * keeps the connection alive. The worker serves its other connections
 * between calls only: a program keeps its streams few.
 */
typedef ssize_t (*httpd_stream_fn)(void *cls, uint64_t pos, char *buf, size_t max);

struct httpd_response {
	int status;
	const char *content_type; /* static string */
	char *body;		  /* malloc'd, or NULL */
	size_t len;
	int cacheable;			      /* 0: Cache-Control: no-store */
	char location[4096];		      /* a redirect's target, or "": a SAML request signed
					       * for HTTP-Redirect is about 1 KB */
	char cookies[HTTPD_COOKIES_MAX][200]; /* Set-Cookie values, "" unused */
	char disposition[200];		      /* Content-Disposition, or "" */
	int secret;			      /* the body holds a secret: wiped, never cached */
	int script;			      /* the page runs the site's own script: CSP
					       * script-src 'self' */
	const char *csp;		      /* a Content-Security-Policy of its own (static
					       * string), or NULL for the default one */
	int retry_after;		      /* seconds for a Retry-After header, 0: none */
	const char *headers[HTTPD_HEADERS_MAX][2]; /* more headers: name and value
						    * (static strings); NULL name: unused */
	const char *log_as; /* what the access line shows instead of the host and
			     * path (static string): a request for another host is
			     * a device's own destination, kept out of the log */
	httpd_stream_fn stream;			   /* instead of body, when not NULL */
	void *stream_cls;
	void (*stream_free)(void *cls); /* when the answer ends; may be NULL */
	int shared; /* every request that gets this answer gets it byte for byte
		     * (a captive probe's redirect): the server may send the one it
		     * made before, and free body; ignored with cookies or a secret */
};

/* Adds a Set-Cookie value to rs: name=value; Path=/; HttpOnly;
 * SameSite=Strict, and Secure over HTTPS; max_age < 0 for a session
 * cookie, 0 to delete it. Ignored when rs has HTTPD_COOKIES_MAX already. */
void httpd_set_cookie(struct httpd_response *rs, const struct httpd_request *rq, const char *name,
		      const char *value, int max_age);

/* Fills rs with body (copied) as a 200 answer of content_type. */
int httpd_body_copy(struct httpd_response *rs, const char *content_type, const char *body,
		    size_t len, int cacheable);

/* The program's answer to rq: 0, or a negative errno for a server fault
 * (then on_fault and error_page make the answer; rs is emptied first). */
typedef int (*httpd_handler_fn)(void *app, const struct httpd_request *rq,
				struct httpd_response *rs);
/* An error page for status (400, 403, 404, 405, 413, 500, 503...):
 * 0, or a negative errno (the connection is then closed). */
typedef int (*httpd_error_fn)(void *app, const struct httpd_request *rq, struct httpd_response *rs,
			      int status);
/* A handler failed with rc: logs what it must, returns the status of the
 * error page (500; 503 when the registry is away). NULL: logged, 500. */
typedef int (*httpd_fault_fn)(void *app, const struct httpd_request *rq, int rc);

/*
 * Loads the HTTPS certificate: *chain_pem (the certificate then its chain)
 * and *key_pem (PKCS#8, wiped when freed), both malloc'd and taken over;
 * what is "loaded" or "reloaded" (the files changed, or were asked to be
 * read again: log the certificate) or NULL (a periodic check of unchanged
 * files: log only what changed). 0, or a negative errno with err (the
 * certificate in use is kept).
 */
typedef int (*httpd_tls_load_fn)(void *app, const char *what, char **chain_pem, char **key_pem,
				 struct byod_err *err);

struct httpd_config {
	const char *name;   /* the program, in its log lines: "byod-portal" */
	const char *conf;   /* its byod.conf section, in messages: "portal" */
	const char *listen; /* an IPv4 or IPv6 address */
	int http_port;	    /* 0: no plain HTTP daemon */
	int https_port;	    /* 0: no HTTPS daemon */
	int threads;
	int connection_limit; /* both daemons together */
	int per_ip_limit;     /* per IPv4 address or IPv6 prefix */
	int per_ip_v6_prefix;
	int timeout_s;		/* idle connections */
	int request_deadline_s; /* a request's headers and body must arrive in */
	int body_limit;		/* bytes of a request body; 413 beyond */
	int hsts_max_age;	/* over HTTPS when trusted() says so; 0: never */
	/* the page language: ?lang= (then remembered in the cookie lang_cookie
	 * for a year), else that cookie, else Accept-Language, else lang_default */
	const struct web_i18n *i18n;
	const char *lang_cookie;
	const char *lang_default;
	/* paths whose rest is a secret (a one-time link's token): logged as
	 * the prefix and "..."; NULL-terminated, may be NULL */
	const char *const *secret_prefixes;
	httpd_handler_fn handler;
	httpd_error_fn error_page;
	httpd_fault_fn on_fault;    /* may be NULL */
	httpd_tls_load_fn tls_load; /* required with https_port */
	const char *tls_files[3];   /* looked at (stat) for changes: certificate,
				     * key, chain ("" or NULL: none) */
	int (*trusted)(void *app);  /* HSTS only when it says 1; NULL: always */
	/* 1 when rq is slow to answer (a password checked): its handler then
	 * runs in one of slow_workers threads of its own while the connection
	 * waits suspended, so that the daemon's threads keep serving pages;
	 * NULL: every request is answered in the daemon's threads. At most
	 * slow_queued wait for a worker (0: 128): beyond, a 503 at once; one
	 * client holds at most per_ip_limit of them (its connections) */
	int (*slow)(void *app, const struct httpd_request *rq);
	int slow_workers; /* 0: 2 */
	int slow_queued;  /* 0: 128 */
	int quiet; /* no line per answer (client, method, host, path, status):
		    * only faults, refusals and libmicrohttpd's messages */
	/* where the lines per answer go, buffered (written within a second, at
	 * httpd_reload and at the stop): a file, opened again by httpd_reload
	 * (logrotate); NULL or "": standard error (under systemd, the journal,
	 * a line at a time) */
	const char *access_log;
	/* the page when too many slow requests wait (a 503, with Retry-After:
	 * busy_retry_s, or 5 s): "try again in a moment"; NULL: error_page's 503 */
	httpd_error_fn busy_page;
	int busy_retry_s;
	void *app;	  /* passed to every callback */
};

struct httpd;

/* Starts serving in libmicrohttpd's threads (the configuration is copied;
 * its strings and i18n must outlive the server). One server with HTTPS per
 * process (GnuTLS's certificate callback carries no pointer). Returns 0
 * and *out, or a negative errno with err. */
int httpd_start(const struct httpd_config *cfg, struct httpd **out, struct byod_err *err);
/* Stops accepting, lets requests under way finish (a slow one queued or
 * being answered gets its answer sent whole, within a few seconds), writes
 * the access lines waiting, frees; NULL is a no-op. */
void httpd_stop(struct httpd *s);
/* Looks at the certificate files again (every TLS handshake does too) and
 * reloads them when they changed, or when force; with force, also writes the
 * access lines waiting and opens the access log's file again (logrotate
 * renamed it). */
void httpd_reload(struct httpd *s, int force);

/* The answers sent since the start, by status class: out[1] 1xx to out[5]
 * 5xx, out[0] any other. Any thread; NULL s: zeros. */
void httpd_answers(const struct httpd *s, uint64_t out[6]);

/*
 * A daemon's metrics on a management listener of their own, apart from
 * its pages: GET /metrics answers Prometheus's text format, made by
 * write(app, e) in a libmicrohttpd thread (it reads only what is safe from
 * another thread: atomics); anything else is a 404. listen is "ADDR:PORT"
 * (an IPv4 address, or an IPv6 one in brackets); key is its byod.conf key,
 * named in errors. Returns 0 and *out, or a negative errno with err.
 */
struct byod_expo;
struct httpd_metrics;
typedef void (*httpd_metrics_fn)(void *app, struct byod_expo *e);
int httpd_metrics_start(const char *key, const char *listen, httpd_metrics_fn write, void *app,
			struct httpd_metrics **out, struct byod_err *err);
/* Stops the listener and frees it; NULL is a no-op. */
void httpd_metrics_stop(struct httpd_metrics *m);
/* "ADDR:PORT" into a socket address: 0, or -EINVAL. */
int httpd_addr_port(const char *listen, struct sockaddr_storage *sa, socklen_t *len);

/* Names the program in log lines ("byod-portal"); httpd_start does it too. */
void httpd_log_name(const char *name);
/* Logs one line on standard error with the time and the program's name,
 * escaped whole (byod_log_escape): a value in it cannot forge a line or
 * reach a terminal. */
void httpd_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The SHA-256 fingerprint of a certificate as `openssl x509
 * -fingerprint -sha256` prints it; "" when it cannot be made. */
void httpd_cert_fingerprint(X509 *x, char *out, size_t len);

#endif /* BYOD_HTTPD_H */
