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
 * timeout_ms per try, the same packet resent up to retries more times.
 * Returns 0 with ans->code set to the answer, -ETIMEDOUT (ans->code 0) when
 * none came, another negative errno for a local failure.
 */
int das_send(const char *addr, int port, const char *secret, const struct das_request *rq,
	     int timeout_ms, int retries, struct das_answer *ans, struct byod_err *err);

#endif /* BYOD_DAS_H */
