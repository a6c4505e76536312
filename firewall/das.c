// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * RFC 5176 Dynamic Authorization client: encodes Disconnect-Request and
 * CoA-Request packets, sends them over UDP with retries, and checks the
 * answer before believing it. MD5 and HMAC-MD5 come from OpenSSL.
 *
 * A request is signed like an Accounting-Request (RFC 5176 section 2.3):
 * Message-Authenticator = HMAC-MD5(secret, packet with a zero authenticator
 * and a zero Message-Authenticator), then Request Authenticator =
 * MD5(packet with a zero authenticator + secret). An answer's Response
 * Authenticator is MD5(answer with the request's authenticator + secret);
 * its Message-Authenticator, when present, is computed over the answer with
 * the request's authenticator in place.
 */
#include "das.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

enum {
	ATTR_USER_NAME = 1,
	ATTR_NAS_IP_ADDRESS = 4,
	ATTR_CALLING_STATION_ID = 31,
	ATTR_NAS_IDENTIFIER = 32,
	ATTR_ACCT_SESSION_ID = 44,
	ATTR_EVENT_TIMESTAMP = 55,
	ATTR_TUNNEL_TYPE = 64,
	ATTR_TUNNEL_MEDIUM_TYPE = 65,
	ATTR_MESSAGE_AUTHENTICATOR = 80,
	ATTR_TUNNEL_PRIVATE_GROUP_ID = 81,
	ATTR_ERROR_CAUSE = 101,
};

#define HDR 20
#define MA_LEN 18 /* type, length, 16 bytes */

const char *das_code_name(int code)
{
	switch (code) {
	case DAS_DISCONNECT_REQUEST: return "Disconnect-Request";
	case DAS_DISCONNECT_ACK: return "Disconnect-ACK";
	case DAS_DISCONNECT_NAK: return "Disconnect-NAK";
	case DAS_COA_REQUEST: return "CoA-Request";
	case DAS_COA_ACK: return "CoA-ACK";
	case DAS_COA_NAK: return "CoA-NAK";
	case 0: return "no answer";
	default: return "unknown";
	}
}

const char *das_error_cause_name(int cause)
{
	static const struct {
		int v;
		const char *name;
	} causes[] = {
		{ 201, "Residual-Session-Context-Removed" },
		{ 202, "Invalid-EAP-Packet" },
		{ 401, "Unsupported-Attribute" },
		{ 402, "Missing-Attribute" },
		{ 403, "NAS-Identification-Mismatch" },
		{ 404, "Invalid-Request" },
		{ 405, "Unsupported-Service" },
		{ 406, "Unsupported-Extension" },
		{ 407, "Invalid-Attribute-Value" },
		{ 501, "Administratively-Prohibited" },
		{ 502, "Request-Not-Routable" },
		{ 503, "Session-Context-Not-Found" },
		{ 504, "Session-Context-Not-Removable" },
		{ 505, "Other-Proxy-Processing-Error" },
		{ 506, "Resources-Unavailable" },
		{ 507, "Request-Initiated" },
		{ 508, "Multiple-Session-Selection-Unsupported" },
	};
	size_t i;

	for (i = 0; i < sizeof(causes) / sizeof(causes[0]); i++)
		if (causes[i].v == cause)
			return causes[i].name;
	return NULL;
}

static const char *const mode_names[] = { "disconnect", "coa", "both" };

const char *das_mode_name(enum das_mode mode)
{
	return (unsigned)mode < 3 ? mode_names[mode] : NULL;
}

int das_mode_parse(const char *s, enum das_mode *out)
{
	int i;

	for (i = 0; s && i < 3; i++) {
		if (!strcmp(s, mode_names[i])) {
			*out = (enum das_mode)i;
			return 0;
		}
	}
	return -EINVAL;
}

static int md5(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen, uint8_t out[16])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok = c && EVP_DigestInit_ex(c, EVP_md5(), NULL) && EVP_DigestUpdate(c, a, alen) &&
		 EVP_DigestUpdate(c, b, blen) && EVP_DigestFinal_ex(c, out, NULL);

	EVP_MD_CTX_free(c);
	return ok ? 0 : -EIO;
}

static int hmac_md5(const char *secret, const uint8_t *data, size_t len, uint8_t out[16])
{
	size_t n = 0;

	if (!EVP_Q_mac(NULL, "HMAC", NULL, "MD5", NULL, secret, strlen(secret), data, len, out,
		       16, &n) || n != 16)
		return -EIO;
	return 0;
}

struct enc {
	uint8_t *buf;
	size_t len;
	int bad;
};

static void attr(struct enc *e, int type, const void *val, size_t n)
{
	if (e->bad || n > 253 || e->len + 2 + n > DAS_PACKET_MAX) {
		e->bad = 1;
		return;
	}
	e->buf[e->len] = (uint8_t)type;
	e->buf[e->len + 1] = (uint8_t)(n + 2);
	memcpy(e->buf + e->len + 2, val, n);
	e->len += 2 + n;
}

static void attr_text(struct enc *e, int type, const char *s)
{
	if (s && *s)
		attr(e, type, s, strlen(s));
}

static void attr_u32(struct enc *e, int type, uint32_t v)
{
	uint8_t b[4] = { v >> 24, v >> 16 & 255, v >> 8 & 255, v & 255 };

	attr(e, type, b, 4);
}

/* RFC 2868 tagged integer: tag 0, then three bytes of value. */
static void attr_tagged_u24(struct enc *e, int type, uint32_t v)
{
	uint8_t b[4] = { 0, v >> 16 & 255, v >> 8 & 255, v & 255 };

	attr(e, type, b, 4);
}

int das_encode(const struct das_request *rq, uint8_t id, const char *secret, uint8_t *buf,
	       size_t *len, struct byod_err *err)
{
	struct enc e = { .buf = buf, .len = HDR };
	size_t ma;
	int rc;

	if (!secret || !*secret)
		return byod_err_set(err, EINVAL, "no shared secret for the NAS");
	if (rq->code != DAS_DISCONNECT_REQUEST && rq->code != DAS_COA_REQUEST)
		return byod_err_set(err, EINVAL, "code %d is not a Disconnect or CoA request",
				    rq->code);
	if (!(rq->calling_station_id && *rq->calling_station_id) &&
	    !(rq->acct_session_id && *rq->acct_session_id) && !(rq->user_name && *rq->user_name))
		return byod_err_set(err, EINVAL,
				    "a request must name the session (Calling-Station-Id, "
				    "Acct-Session-Id or User-Name)");
	memset(buf, 0, HDR);
	buf[0] = (uint8_t)rq->code;
	buf[1] = id;
	attr_text(&e, ATTR_USER_NAME, rq->user_name);
	if (rq->nas_ip && *rq->nas_ip) {
		struct in_addr a;

		if (inet_pton(AF_INET, rq->nas_ip, &a) != 1)
			return byod_err_set(err, EINVAL, "NAS-IP-Address %s is not IPv4", rq->nas_ip);
		attr(&e, ATTR_NAS_IP_ADDRESS, &a, 4);
	}
	attr_text(&e, ATTR_NAS_IDENTIFIER, rq->nas_identifier);
	attr_text(&e, ATTR_CALLING_STATION_ID, rq->calling_station_id);
	attr_text(&e, ATTR_ACCT_SESSION_ID, rq->acct_session_id);
	attr_u32(&e, ATTR_EVENT_TIMESTAMP,
		 (uint32_t)(rq->event_timestamp ? rq->event_timestamp : time(NULL)));
	if (rq->code == DAS_COA_REQUEST && rq->vlan > 0) {
		char v[16];

		snprintf(v, sizeof(v), "%d", rq->vlan);
		attr_tagged_u24(&e, ATTR_TUNNEL_TYPE, 13);       /* VLAN */
		attr_tagged_u24(&e, ATTR_TUNNEL_MEDIUM_TYPE, 6); /* IEEE-802 */
		attr(&e, ATTR_TUNNEL_PRIVATE_GROUP_ID, v, strlen(v));
	}
	ma = e.len;
	{
		uint8_t zero[16] = { 0 };

		attr(&e, ATTR_MESSAGE_AUTHENTICATOR, zero, 16);
	}
	if (e.bad)
		return byod_err_set(err, EINVAL, "an attribute is longer than RADIUS allows");
	buf[2] = (uint8_t)(e.len >> 8);
	buf[3] = (uint8_t)(e.len & 255);
	rc = hmac_md5(secret, buf, e.len, buf + ma + 2);
	if (!rc)
		rc = md5(buf, e.len, (const uint8_t *)secret, strlen(secret), buf + 4);
	if (rc)
		return byod_err_set(err, -rc, "MD5 is not available from OpenSSL");
	*len = e.len;
	return 0;
}

int das_decode_answer(const uint8_t *req, size_t req_len, const uint8_t *buf, size_t len,
		      const char *secret, struct das_answer *ans, struct byod_err *err)
{
	uint8_t copy[DAS_PACKET_MAX], sum[16];
	size_t plen, off, ma = 0;
	int want_ack, want_nak, cause = 0;

	if (req_len < HDR || len < HDR || len > DAS_PACKET_MAX)
		return byod_err_set(err, EBADMSG, "an answer of %zu bytes", len);
	plen = (size_t)buf[2] << 8 | buf[3];
	if (plen < HDR || plen > len)
		return byod_err_set(err, EBADMSG, "an answer whose length field says %zu", plen);
	if (buf[1] != req[1])
		return byod_err_set(err, EBADMSG, "an answer to another request (id %u)", buf[1]);
	want_ack = req[0] == DAS_DISCONNECT_REQUEST ? DAS_DISCONNECT_ACK : DAS_COA_ACK;
	want_nak = want_ack + 1;
	if (buf[0] != want_ack && buf[0] != want_nak)
		return byod_err_set(err, EBADMSG, "a %s does not answer a %s", das_code_name(buf[0]),
				    das_code_name(req[0]));
	for (off = HDR; off < plen;) {
		size_t alen = off + 2 <= plen ? buf[off + 1] : 0;

		if (alen < 2 || off + alen > plen)
			return byod_err_set(err, EBADMSG, "a malformed attribute at byte %zu", off);
		if (buf[off] == ATTR_MESSAGE_AUTHENTICATOR) {
			if (alen != MA_LEN)
				return byod_err_set(err, EBADMSG, "a Message-Authenticator of %zu bytes",
						    alen);
			ma = off;
		} else if (buf[off] == ATTR_ERROR_CAUSE && alen == 6) {
			cause = buf[off + 2] << 24 | buf[off + 3] << 16 | buf[off + 4] << 8 |
				buf[off + 5];
		}
		off += alen;
	}
	/* the Response Authenticator, computed with the request's */
	memcpy(copy, buf, plen);
	memcpy(copy + 4, req + 4, 16);
	if (md5(copy, plen, (const uint8_t *)secret, strlen(secret), sum))
		return byod_err_set(err, EIO, "MD5 is not available from OpenSSL");
	if (CRYPTO_memcmp(sum, buf + 4, 16))
		return byod_err_set(err, EBADMSG,
				    "the answer's authenticator is wrong (another shared secret?)");
	if (ma) {
		memset(copy + ma + 2, 0, 16);
		if (hmac_md5(secret, copy, plen, sum))
			return byod_err_set(err, EIO, "HMAC-MD5 is not available from OpenSSL");
		if (CRYPTO_memcmp(sum, buf + ma + 2, 16))
			return byod_err_set(err, EBADMSG, "the answer's Message-Authenticator is wrong");
	}
	ans->code = buf[0];
	ans->error_cause = cause;
	return 0;
}

static long since_ms(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000L + (t.tv_nsec - t0->tv_nsec) / 1000000L;
}

int das_send(const char *addr, int port, const char *secret, const struct das_request *rq,
	     int timeout_ms, int retries, struct das_answer *ans, struct byod_err *err)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICHOST |
								     AI_NUMERICSERV };
	struct addrinfo *ai = NULL;
	uint8_t req[DAS_PACKET_MAX], in[DAS_PACKET_MAX], id;
	char portstr[16];
	struct timespec t0;
	size_t len;
	int fd = -1, rc, try;

	memset(ans, 0, sizeof(*ans));
	if (port < 1 || port > 65535)
		return byod_err_set(err, EINVAL, "DAS port %d is not a port", port);
	if (RAND_bytes(&id, 1) != 1)
		return byod_err_set(err, EIO, "no random identifier from OpenSSL");
	rc = das_encode(rq, id, secret, req, &len, err);
	if (rc)
		return rc;
	snprintf(portstr, sizeof(portstr), "%d", port);
	if (getaddrinfo(addr, portstr, &hints, &ai))
		return byod_err_set(err, EINVAL, "'%s' is not an IP address", addr ? addr : "");
	/* not connect()ed: a NAS may answer from another of its addresses
	 * (hostapd answers from the address its route picks); an answer is
	 * believed only when its authenticators check */
	fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = byod_err_set(err, errno, "cannot open a socket for the NAS %s: %s", addr,
				  strerror(errno));
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = -ETIMEDOUT;
	for (try = 0; try <= retries && rc == -ETIMEDOUT; try++) {
		struct timespec ts;
		long waited0;

		if (sendto(fd, req, len, 0, ai->ai_addr, ai->ai_addrlen) < 0) {
			rc = byod_err_set(err, errno, "sending to %s port %d: %s", addr, port,
					  strerror(errno));
			break;
		}
		ans->tries++;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		waited0 = since_ms(&ts);
		for (;;) {
			struct pollfd p = { .fd = fd, .events = POLLIN };
			long left = timeout_ms - (since_ms(&ts) - waited0);
			struct byod_err why;
			ssize_t n;

			if (left <= 0 || poll(&p, 1, (int)left) <= 0)
				break;
			n = recv(fd, in, sizeof(in), 0);
			if (n < 0)
				continue;
			if (das_decode_answer(req, len, in, (size_t)n, secret, ans, &why))
				continue; /* not ours, or forged: keep waiting */
			ans->ms = since_ms(&t0);
			rc = 0;
			break;
		}
	}
	if (rc == -ETIMEDOUT) {
		ans->ms = since_ms(&t0);
		byod_err_set(err, ETIMEDOUT, "no answer from %s port %d after %d tries", addr, port,
			     ans->tries);
	}
out:
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	OPENSSL_cleanse(req, sizeof(req));
	return rc;
}
