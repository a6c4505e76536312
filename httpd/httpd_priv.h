/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Inside the web server library: the gate (gate.c), who gets a connection
 * and how long a request may take to arrive, shared by the HTTP and HTTPS
 * daemons (libmicrohttpd calls httpd_gate_accept as its accept policy and
 * httpd_gate_notify when a connection starts and closes; server.c says
 * when a request has arrived whole and when its answer has gone); and the
 * HTTPS certificate (tls.c), handed to GnuTLS on every handshake; and
 * what the log keeps of a request's path (logpath.c).
 */
#ifndef BYOD_HTTPD_PRIV_H
#define BYOD_HTTPD_PRIV_H

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <sys/socket.h>

#include "byod_err.h"
#include "httpd.h"

/* ---- what the log keeps of a request (logpath.c) --------------------------- */

/* The n bytes of path as a log may keep them, into out (always
 * terminated): under a secret prefix (NULL-terminated list, may be NULL)
 * the prefix and "...", else the path up to a '?' or '#' and, when one
 * was there, "?...". */
void httpd_log_path(const char *const *secret_prefixes, const char *path, size_t n, char *out,
		    size_t len);
/* A message of libmicrohttpd (trailing newlines dropped) into out, each
 * word that starts with '/' (a request's path: "for `/download/x'", "for
 * /code/x.") cut by httpd_log_path. */
void httpd_log_message(const char *const *secret_prefixes, const char *line, char *out,
		       size_t len);

/* ---- the access lines (accesslog.c) ------------------------------------- */

struct httpd_alog;

/* The access lines of program name, buffered, to the file path (appended
 * to, created 0640) or, with NULL or "", to standard error. Returns 0 and
 * *out, or a negative errno with err. */
int httpd_alog_new(const char *name, const char *path, struct httpd_alog **out,
		   struct byod_err *err);
/* One line, escaped whole (as httpd_log's), written within a second. */
void httpd_alog_line(struct httpd_alog *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Writes what waits now; NULL is a no-op. */
void httpd_alog_flush(struct httpd_alog *a);
/* Writes what waits, then opens the file again by its name (logrotate
 * renamed it); if it cannot be opened, the former file is kept. NULL is a
 * no-op. */
void httpd_alog_reopen(struct httpd_alog *a);
/* Writes what waits and frees; NULL is a no-op. */
void httpd_alog_free(struct httpd_alog *a);

/* ---- the gate ------------------------------------------------------------ */

struct httpd_gate;

/* Connections the gate lets in beyond its budget while the ones it closed
 * to make room are still closing. */
#define HTTPD_GATE_SLACK 32

struct httpd_gate_limits {
	unsigned int budget;	 /* connections open at once, both daemons together */
	unsigned int per_client; /* per IPv4 address or IPv6 prefix */
	unsigned int v6_prefix;	 /* the IPv6 prefix length a client is counted by */
	unsigned int deadline_s; /* from accept (or the previous answer) to the request's end */
};

/* Starts the gate and its watchdog thread. Returns 0 and *out (freed by
 * httpd_gate_free, after the daemons using it have stopped), or a
 * negative errno with err. */
int httpd_gate_new(const struct httpd_gate_limits *lim, struct httpd_gate **out,
		   struct byod_err *err);
void httpd_gate_free(struct httpd_gate *g);

/* libmicrohttpd's accept policy (cls: the gate): MHD_NO when the client
 * holds its share already, or when the budget is spent and no request
 * under way can be closed to make room. */
enum MHD_Result httpd_gate_accept(void *cls, const struct sockaddr *sa, socklen_t len);

/* libmicrohttpd's connection notification (cls: the gate): counts the
 * connection and starts its first request's deadline, or forgets it. */
void httpd_gate_notify(void *cls, struct MHD_Connection *c, void **socket_context,
		       enum MHD_ConnectionNotificationCode toe);

/* The request on c has arrived whole (headers and body): its deadline no
 * longer runs while it is answered. */
void httpd_gate_request_in(struct httpd_gate *g, struct MHD_Connection *c);

/* The answer on c is finished: the next request's deadline starts. */
void httpd_gate_request_done(struct httpd_gate *g, struct MHD_Connection *c);

/* ---- the certificate ----------------------------------------------------- */

struct httpd_tls;

/*
 * Loads the certificate through cfg->tls_load ("loaded"). One per process
 * (GnuTLS's callback finds it without a pointer). Returns 0 and *out, or a
 * negative errno with err when the files cannot be used.
 */
int httpd_tls_open(const struct httpd_config *cfg, struct httpd_tls **out, struct byod_err *err);
/* Loads the files again when they changed (or force); a failure keeps the
 * certificate in use and is logged. NULL is a no-op. */
void httpd_tls_refresh(struct httpd_tls *t, int force);
/* After the HTTPS daemon has stopped; NULL is a no-op. */
void httpd_tls_free(struct httpd_tls *t);

/* For MHD_OPTION_HTTPS_CERT_CALLBACK2: the certificate in use, the files
 * looked at first. */
gnutls_certificate_retrieve_function3 httpd_tls_cert_cb;

#endif /* BYOD_HTTPD_PRIV_H */
