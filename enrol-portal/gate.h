/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The portal's door (gate.c): who gets a connection and how long a
 * request may take to arrive. Shared by the HTTP and HTTPS daemons:
 * libmicrohttpd calls portal_gate_accept as its accept policy and
 * portal_gate_notify when a connection starts and closes; server.c says
 * when a request has arrived whole and when its answer has gone.
 */
#ifndef BYOD_PORTAL_GATE_H
#define BYOD_PORTAL_GATE_H

#include <microhttpd.h>
#include <sys/socket.h>

#include "byod_err.h"

struct portal_gate;

/* Connections the gate lets in beyond its budget while the ones it closed
 * to make room are still closing. */
#define PORTAL_GATE_SLACK 32

struct portal_gate_limits {
	unsigned int budget;	 /* connections open at once, both daemons together */
	unsigned int per_client; /* per IPv4 address or IPv6 prefix */
	unsigned int v6_prefix;	 /* the IPv6 prefix length a client is counted by */
	unsigned int deadline_s; /* from accept (or the previous answer) to the request's end */
};

/* Starts the gate and its watchdog thread. Returns 0 and *out (freed by
 * portal_gate_free, after the daemons using it have stopped), or a
 * negative errno with err. */
int portal_gate_new(const struct portal_gate_limits *lim, struct portal_gate **out,
		    struct byod_err *err);
void portal_gate_free(struct portal_gate *g);

/* libmicrohttpd's accept policy (cls: the gate): MHD_NO when the client
 * holds its share already, or when the budget is spent and no request
 * under way can be closed to make room. */
enum MHD_Result portal_gate_accept(void *cls, const struct sockaddr *sa, socklen_t len);

/* libmicrohttpd's connection notification (cls: the gate): counts the
 * connection and starts its first request's deadline, or forgets it. */
void portal_gate_notify(void *cls, struct MHD_Connection *c, void **socket_context,
			enum MHD_ConnectionNotificationCode toe);

/* The request on c has arrived whole (headers and body): its deadline no
 * longer runs while it is answered. */
void portal_gate_request_in(struct portal_gate *g, struct MHD_Connection *c);

/* The answer on c is finished: the next request's deadline starts. */
void portal_gate_request_done(struct portal_gate *g, struct MHD_Connection *c);

#endif /* BYOD_PORTAL_GATE_H */
