/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The RFC 5176 client: Disconnect-Request and CoA-Request to the Dynamic
 * Authorization Server of the NAS (access point) that holds a session.
 * Every request carries Event-Timestamp and Message-Authenticator (hostapd
 * drops requests without them when radius_das_require_* is set, as the
 * generated configuration does); answers are checked (Response
 * Authenticator, and Message-Authenticator when present) before they are
 * believed.
 */
#ifndef BYOD_DAS_H
#define BYOD_DAS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "byod_err.h"

enum das_code {
	DAS_DISCONNECT_REQUEST = 40,
	DAS_DISCONNECT_ACK = 41,
	DAS_DISCONNECT_NAK = 42,
	DAS_COA_REQUEST = 43,
	DAS_COA_ACK = 44,
	DAS_COA_NAK = 45,
};

/* RFC 5176 Error-Cause 503: the NAS holds no such session (any more). */
#define DAS_CAUSE_SESSION_NOT_FOUND 503

/* What the gateway asks of a NAS for one session, per NAS. */
enum das_mode {
	DAS_MODE_DISCONNECT, /* force re-authentication (hostapd's only choice) */
	DAS_MODE_COA,        /* CoA with the new VLAN */
	DAS_MODE_BOTH,       /* CoA, and Disconnect when the CoA is refused */
};

#define DAS_PACKET_MAX 4096

/* The session to act on; NULL or "" fields are left out. */
struct das_request {
	enum das_code code;             /* DAS_DISCONNECT_REQUEST or DAS_COA_REQUEST */
	const char *user_name;          /* User-Name */
	const char *calling_station_id; /* the device MAC as the NAS wrote it */
	const char *acct_session_id;    /* Acct-Session-Id */
	const char *nas_ip;             /* NAS-IP-Address (IPv4 text) */
	const char *nas_identifier;     /* NAS-Identifier */
	int vlan;                       /* CoA: Tunnel-* attributes when > 0 */
	time_t event_timestamp;         /* 0: now */
};

struct das_answer {
	int code;        /* enum das_code of the answer, 0 when none came */
	int error_cause; /* RFC 5176 Error-Cause, 0 when absent (or past INT_MAX) */
	int tries;       /* packets sent */
	long ms;         /* from the first send to the answer */
};

/* "Disconnect-ACK", "CoA-NAK", ... ("no answer" for 0). */
const char *das_code_name(int code);
/* RFC 5176's name of an Error-Cause ("Session-Context-Not-Found"), or NULL. */
const char *das_error_cause_name(int cause);
/* "disconnect", "coa", "both" and back (-EINVAL). */
const char *das_mode_name(enum das_mode mode);
int das_mode_parse(const char *s, enum das_mode *out);

/*
 * Encodes rq with identifier id into buf (at least DAS_PACKET_MAX bytes):
 * attributes, Message-Authenticator (HMAC-MD5 over the packet with a zero
 * authenticator) and the Request Authenticator (RFC 5176 section 3, as for
 * Accounting-Request). -EINVAL for an empty secret, a missing session
 * identification (no Calling-Station-Id, Acct-Session-Id or User-Name), an
 * attribute longer than 253 bytes or a NAS-IP-Address that is not IPv4.
 */
int das_encode(const struct das_request *rq, uint8_t id, const char *secret, uint8_t *buf,
	       size_t *len, struct byod_err *err);

/*
 * Checks an answer to req (the encoded request): length, identifier, a code
 * that answers the request's, the Response Authenticator, the
 * Message-Authenticator when present; fills code and error_cause.
 * -EBADMSG when the packet is not a valid answer to req.
 */
int das_decode_answer(const uint8_t *req, size_t req_len, const uint8_t *buf, size_t len,
		      const char *secret, struct das_answer *ans, struct byod_err *err);

/*
 * Sends rq to addr (IPv4 or IPv6 text) port and waits for its answer:
 * timeout_ms for the first try, doubled at each of up to retries resends
 * of the same packet (das_queue with one request).
 * Returns 0 with ans->code set to the answer, -ETIMEDOUT (ans->code 0) when
 * none came, another negative errno for a local failure.
 */
int das_send(const char *addr, int port, const char *secret, const struct das_request *rq,
	     int timeout_ms, int retries, struct das_answer *ans, struct byod_err *err);

/* ---- many requests at once (das_queue.c) ---- */

/*
 * Requests to many NAS at once, driven by poll() from one thread: one
 * non-blocking UDP socket per NAS (address, port), at most max_in_flight
 * requests awaiting an answer at each, the others queued first come first
 * sent, so that a NAS that never answers holds up only its own queue.
 * A request waits timeout_ms for its answer, doubled at each resend of the
 * same packet (at most 8 times timeout_ms), up to retries resends.
 */
struct das_queue;

struct das_queue_opts {
	int timeout_ms;    /* > 0 */
	int retries;       /* >= 0 */
	int max_in_flight; /* requests awaiting an answer at one NAS, 1..255 */
};

/* Called once per request, from das_queue_run or das_queue_free: rc 0 with
 * ans->code the answer, -ETIMEDOUT (ans->code 0) when none came after
 * every try, -ECANCELED when the queue was freed first, another negative
 * errno for a local failure; err (never NULL) says it in one sentence. The
 * callback may add requests, never free the queue. */
typedef void (*das_done_fn)(int rc, const struct das_answer *ans, const struct byod_err *err,
			    void *arg);

int das_queue_new(const struct das_queue_opts *opt, struct das_queue **out,
		  struct byod_err *err);
/* Ends every pending request with -ECANCELED, then frees q; NULL is a no-op. */
void das_queue_free(struct das_queue *q);
/* Queues rq for addr (IPv4 or IPv6 text) port, signed with secret (copied,
 * like rq's strings). -EINVAL for an address or port that is not one; the
 * packet's own faults come later through done. */
int das_queue_add(struct das_queue *q, const char *addr, int port, const char *secret,
		  const struct das_request *rq, das_done_fn done, void *arg,
		  struct byod_err *err);
/* Sends what may be sent, reads the answers, resends and gives up: waits
 * up to wait_ms for something to do (0: not at all; -1: until no request is
 * left). Returns the number of requests still pending. */
size_t das_queue_run(struct das_queue *q, int wait_ms);
size_t das_queue_pending(const struct das_queue *q);
/* Requests awaiting an answer at addr port now (0 for an unknown NAS). */
size_t das_queue_in_flight(const struct das_queue *q, const char *addr, int port);

#endif /* BYOD_DAS_H */
