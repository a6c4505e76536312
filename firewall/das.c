// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * RFC 5176 Dynamic Authorization client: encodes Disconnect-Request and
 * CoA-Request packets, sends them over UDP with retries, and checks the
 * answer before believing it. The packets are written and checked by
 * radpkt.c: a request is signed like an Accounting-Request (RFC 5176
 * section 2.3), Message-Authenticator first; an answer must carry the
 * Response Authenticator of this request, and a right Message-Authenticator
 * when it has one.
 */
#include "das.h"
#include "radpkt.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

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

int das_encode(const struct das_request *rq, uint8_t id, const char *secret, uint8_t *buf,
	       size_t *len, struct byod_err *err)
{
	struct radpkt p;
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
	radpkt_init(&p, buf, DAS_PACKET_MAX, (uint8_t)rq->code, id, NULL);
	radpkt_append_str(&p, RADPKT_ATTR_USER_NAME, rq->user_name);
	if (rq->nas_ip && *rq->nas_ip) {
		struct in_addr a;

		if (inet_pton(AF_INET, rq->nas_ip, &a) != 1)
			return byod_err_set(err, EINVAL, "NAS-IP-Address %s is not IPv4", rq->nas_ip);
		radpkt_append(&p, RADPKT_ATTR_NAS_IP_ADDRESS, &a, 4);
	}
	radpkt_append_str(&p, RADPKT_ATTR_NAS_IDENTIFIER, rq->nas_identifier);
	radpkt_append_str(&p, RADPKT_ATTR_CALLING_STATION_ID, rq->calling_station_id);
	radpkt_append_str(&p, RADPKT_ATTR_ACCT_SESSION_ID, rq->acct_session_id);
	radpkt_append_u32(&p, RADPKT_ATTR_EVENT_TIMESTAMP,
			  (uint32_t)(rq->event_timestamp ? rq->event_timestamp : time(NULL)));
	if (rq->code == DAS_COA_REQUEST && rq->vlan > 0) {
		char v[16];

		snprintf(v, sizeof(v), "%d", rq->vlan);
		radpkt_append_tagged_u24(&p, RADPKT_ATTR_TUNNEL_TYPE, 0, 13); /* VLAN */
		radpkt_append_tagged_u24(&p, RADPKT_ATTR_TUNNEL_MEDIUM_TYPE, 0, 6); /* IEEE-802 */
		radpkt_append_str(&p, RADPKT_ATTR_TUNNEL_PRIVATE_GROUP_ID, v);
	}
	radpkt_append_message_authenticator(&p);
	rc = radpkt_finish(&p, secret, NULL, err);
	if (rc == -EMSGSIZE)
		rc = -EINVAL; /* attributes of the caller's that do not fit */
	if (!rc)
		*len = p.len;
	return rc;
}

int das_decode_answer(const uint8_t *req, size_t req_len, const uint8_t *buf, size_t len,
		      const char *secret, struct das_answer *ans, struct byod_err *err)
{
	const uint8_t *cause;
	size_t cause_len;
	int want_ack, want_nak, rc;

	if (req_len < RADPKT_HDR_LEN || len > DAS_PACKET_MAX)
		return byod_err_set(err, EBADMSG, "an answer of %zu bytes", len);
	rc = radpkt_check_format(buf, len, err);
	if (rc < 0)
		return rc;
	if (buf[1] != req[1])
		return byod_err_set(err, EBADMSG, "an answer to another request (id %u)", buf[1]);
	want_ack = req[0] == DAS_DISCONNECT_REQUEST ? DAS_DISCONNECT_ACK : DAS_COA_ACK;
	want_nak = want_ack + 1;
	if (buf[0] != want_ack && buf[0] != want_nak)
		return byod_err_set(err, EBADMSG, "a %s does not answer a %s", das_code_name(buf[0]),
				    das_code_name(req[0]));
	rc = radpkt_verify_response(buf, req + 4, secret, err);
	if (rc == -EACCES)
		rc = -EBADMSG; /* forged, or signed with another secret */
	if (rc)
		return rc;
	cause = radpkt_attr_find(buf, RADPKT_ATTR_ERROR_CAUSE, &cause_len);
	ans->code = buf[0];
	ans->error_cause = 0;
	if (cause && cause_len == 4) {
		uint32_t v = (uint32_t)cause[0] << 24 | (uint32_t)cause[1] << 16 |
			     (uint32_t)cause[2] << 8 | cause[3];

		/* RFC 5176 causes are 201..508; a value past INT_MAX is none */
		ans->error_cause = v <= INT_MAX ? (int)v : 0;
	}
	return 0;
}

struct sent {
	int rc;
	struct das_answer *ans;
	struct byod_err *err;
};

static void sent_done(int rc, const struct das_answer *ans, const struct byod_err *err, void *arg)
{
	struct sent *s = arg;

	s->rc = rc;
	*s->ans = *ans;
	if (rc && s->err)
		*s->err = *err;
}

int das_send(const char *addr, int port, const char *secret, const struct das_request *rq,
	     int timeout_ms, int retries, struct das_answer *ans, struct byod_err *err)
{
	struct das_queue_opts opt = { timeout_ms, retries, 1 };
	struct das_queue *q = NULL;
	struct sent s = { -EINPROGRESS, ans, err };
	int rc;

	memset(ans, 0, sizeof(*ans));
	if (!secret || !*secret)
		return byod_err_set(err, EINVAL, "no shared secret for the NAS");
	rc = das_queue_new(&opt, &q, err);
	if (!rc)
		rc = das_queue_add(q, addr, port, secret, rq, sent_done, &s, err);
	if (!rc) {
		das_queue_run(q, -1);
		rc = s.rc;
	}
	das_queue_free(q);
	return rc;
}
