/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RADIUS packets as the gateway's clients write and check them (RFC 2865
 * section 3, RFC 2866 section 3, RFC 3579 section 3.2, RFC 5176 section 3):
 * attributes appended into a caller's buffer, User-Password hiding, the
 * Message-Authenticator (HMAC-MD5) and the Request or Response Authenticator
 * that the packet's code calls for; and, for packets received, the framing,
 * the attributes and both authenticators checked. Used by the RFC 5176
 * client (das.c) and the load generator (bench/radload.c). No allocation;
 * MD5 and HMAC-MD5 come from OpenSSL.
 */
#ifndef BYOD_RADPKT_H
#define BYOD_RADPKT_H

#include <stddef.h>
#include <stdint.h>

#include "byod_err.h"

#define RADPKT_HDR_LEN      20
#define RADPKT_AUTH_LEN     16
#define RADPKT_MAX_LEN      4096
#define RADPKT_VALUE_MAX    253 /* bytes of value in one attribute */
#define RADPKT_PASSWORD_MAX 128 /* RFC 2865 section 5.2 */

enum radpkt_code {
	RADPKT_ACCESS_REQUEST = 1,
	RADPKT_ACCESS_ACCEPT = 2,
	RADPKT_ACCESS_REJECT = 3,
	RADPKT_ACCOUNTING_REQUEST = 4,
	RADPKT_ACCOUNTING_RESPONSE = 5,
	RADPKT_ACCESS_CHALLENGE = 11,
	RADPKT_STATUS_SERVER = 12,
	RADPKT_DISCONNECT_REQUEST = 40,
	RADPKT_DISCONNECT_ACK = 41,
	RADPKT_DISCONNECT_NAK = 42,
	RADPKT_COA_REQUEST = 43,
	RADPKT_COA_ACK = 44,
	RADPKT_COA_NAK = 45,
};

/* The attributes the gateway writes or reads. */
enum radpkt_attr {
	RADPKT_ATTR_USER_NAME = 1,
	RADPKT_ATTR_USER_PASSWORD = 2,
	RADPKT_ATTR_NAS_IP_ADDRESS = 4,
	RADPKT_ATTR_NAS_PORT = 5,
	RADPKT_ATTR_SERVICE_TYPE = 6,
	RADPKT_ATTR_CALLING_STATION_ID = 31,
	RADPKT_ATTR_NAS_IDENTIFIER = 32,
	RADPKT_ATTR_ACCT_SESSION_ID = 44,
	RADPKT_ATTR_EVENT_TIMESTAMP = 55,
	RADPKT_ATTR_NAS_PORT_TYPE = 61,
	RADPKT_ATTR_TUNNEL_TYPE = 64,
	RADPKT_ATTR_TUNNEL_MEDIUM_TYPE = 65,
	RADPKT_ATTR_MESSAGE_AUTHENTICATOR = 80,
	RADPKT_ATTR_TUNNEL_PRIVATE_GROUP_ID = 81,
	RADPKT_ATTR_ERROR_CAUSE = 101,
};

/*
 * A packet being written into buf (the caller's, size bytes). An append
 * that does not fit, or a value RADIUS cannot carry, sets err once; later
 * appends do nothing and radpkt_finish reports it, so a packet is built
 * with one check at the end.
 */
struct radpkt {
	uint8_t *buf;
	size_t size; /* bytes buf holds */
	size_t len;  /* bytes written so far */
	size_t ma;   /* offset of the Message-Authenticator attribute, 0 when none */
	int err;     /* 0, -EINVAL (a value too long) or -EMSGSIZE (no room) */
};

/*
 * Starts a packet with code and identifier id. auth is the Request
 * Authenticator of an Access-Request or Status-Server (16 random bytes from
 * the caller; User-Password hiding needs it); NULL gives zeros, which
 * radpkt_finish replaces for the other codes.
 */
void radpkt_init(struct radpkt *p, uint8_t *buf, size_t size, uint8_t code, uint8_t id,
		 const uint8_t *auth);

/* One attribute of len bytes (at most RADPKT_VALUE_MAX). 0 or p->err. */
int radpkt_append(struct radpkt *p, uint8_t type, const void *val, size_t len);
/* A text attribute; NULL or "" appends nothing. */
int radpkt_append_str(struct radpkt *p, uint8_t type, const char *s);
/* A 32-bit integer, in network order. */
int radpkt_append_u32(struct radpkt *p, uint8_t type, uint32_t v);
/* An RFC 2868 tagged integer: the tag, then 24 bits of v. */
int radpkt_append_tagged_u24(struct radpkt *p, uint8_t type, uint8_t tag, uint32_t v);
/*
 * User-Password hidden with secret and the Request Authenticator given to
 * radpkt_init (RFC 2865 section 5.2): padded with zeros to 16-byte blocks,
 * each XORed with MD5(secret + the previous block). -EINVAL (and p->err)
 * beyond RADPKT_PASSWORD_MAX bytes or without a secret, -EIO when MD5 is
 * not available.
 */
int radpkt_append_password(struct radpkt *p, const char *password, const char *secret);
/* A Message-Authenticator of zeros that radpkt_finish fills in; one only. */
int radpkt_append_message_authenticator(struct radpkt *p);

/*
 * Completes the packet: its Length, then its Message-Authenticator if one
 * was appended, then its authenticator as its code calls for. An
 * Access-Request or Status-Server keeps the one given to radpkt_init; the
 * other requests (Accounting, Disconnect, CoA) get MD5(packet with a zero
 * authenticator + secret); an answer gets the Response Authenticator,
 * MD5(packet with the request's authenticator req_auth + secret), and
 * req_auth is required for answers only. The Message-Authenticator is
 * HMAC-MD5(secret, packet) over the same authenticator bytes the packet is
 * signed with, its own value zero. The packet is then p->buf, p->len
 * bytes. Returns 0, or p->err with err set, -EINVAL for an unknown code, a
 * missing or unexpected req_auth or an empty secret, -EIO when OpenSSL
 * fails.
 */
int radpkt_finish(struct radpkt *p, const char *secret, const uint8_t *req_auth,
		  struct byod_err *err);

/*
 * The framing of a packet received in n bytes: a header, a Length field
 * between 20 and n, attributes of at least 2 bytes that end where the
 * Length says. Returns that length (bytes after it are padding to ignore)
 * or -EBADMSG with err set.
 */
int radpkt_check_format(const uint8_t *pkt, size_t n, struct byod_err *err);

/*
 * Walks the attributes of a packet that passed radpkt_check_format: *off
 * starts at 0; each call returns 1 with the next attribute's type, value
 * and value length, then 0 at the end.
 */
int radpkt_attr_next(const uint8_t *pkt, size_t *off, uint8_t *type, const uint8_t **val,
		     size_t *len);
/* The first attribute of type: its value and length, or NULL. */
const uint8_t *radpkt_attr_find(const uint8_t *pkt, uint8_t type, size_t *len);

/*
 * Checks an answer that passed radpkt_check_format against the
 * authenticator of its request (req_auth): the Response Authenticator,
 * and the Message-Authenticator when there is one. 0, -EBADMSG for a
 * Message-Authenticator that is not 16 bytes, -EACCES for a wrong
 * authenticator of either kind (another secret, or forged), -EIO when
 * OpenSSL fails; err says which.
 */
int radpkt_verify_response(const uint8_t *pkt, const uint8_t *req_auth, const char *secret,
			   struct byod_err *err);

/*
 * The same for a request as a server receives it: the Request
 * Authenticator of an Accounting, Disconnect or CoA request, and the
 * Message-Authenticator when there is one (an Access-Request or
 * Status-Server has only that to check). 0, -EBADMSG, -EACCES, -EINVAL for
 * a code that is not a request, -EIO.
 */
int radpkt_verify_request(const uint8_t *pkt, const char *secret, struct byod_err *err);

#endif /* BYOD_RADPKT_H */
