// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the answers a NAS sends to the gateway's RFC 5176
 * requests: das_decode_answer, and radpkt's readers under it
 * (radpkt_check_format, radpkt_attr_next/find, radpkt_verify_response and
 * radpkt_verify_request). The first input byte picks the request (a
 * Disconnect or a CoA, encoded once by das_encode) and a mode; the rest is
 * the answer.
 *
 *   raw:    the bytes as they came off the wire. Whatever is accepted is
 *           well framed, answers the request (its identifier, an ACK or NAK
 *           of its code) and carries the Error-Cause it holds.
 *   signed: the answer's attributes, when it is well framed, put into a new
 *           answer signed as a NAS would (radpkt_finish with the request's
 *           authenticator): with the right secret it must be accepted,
 *           with another refused. This reaches past the authenticators,
 *           which random bytes never do.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "das.h"
#include "radpkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define SECRET "testing123-das"
#define ID     0x2a

static uint8_t req[2][DAS_PACKET_MAX];
static size_t req_len[2];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct das_request rq = {
		.user_name = "lea.martin",
		.calling_station_id = "02-00-00-00-00-01",
		.acct_session_id = "5F2A0C1D00000001",
		.nas_ip = "192.0.2.10",
		.nas_identifier = "ap-cdi",
		.vlan = 30,
		.event_timestamp = 1767225600,
	};
	int i;

	for (i = 0; i < 2; i++) {
		rq.code = i ? DAS_COA_REQUEST : DAS_DISCONNECT_REQUEST;
		if (das_encode(&rq, ID, SECRET, req[i], &req_len[i], NULL))
			abort();
	}
	return 0;
}

/* The first Error-Cause of 4 bytes, as the answer's walk finds it; 0 for
 * none and for a value past INT_MAX (RFC 5176 defines 201..508). */
static int error_cause(const uint8_t *pkt)
{
	const uint8_t *v;
	size_t len;

	uint32_t cause;

	v = radpkt_attr_find(pkt, RADPKT_ATTR_ERROR_CAUSE, &len);
	if (!v || len != 4)
		return 0;
	cause = (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 | v[3];
	return cause <= INT_MAX ? (int)cause : 0;
}

/* radpkt's readers over any bytes: the framing, the walk, the checks. */
static void check_readers(const uint8_t *pkt, size_t n, const uint8_t *rq)
{
	const uint8_t *val, *first[256] = {0};
	size_t off = 0, len, sum = 0, flen;
	uint8_t type;
	int plen, rc, t;

	plen = radpkt_check_format(pkt, n, NULL);
	if (plen < 0) {
		if (plen != -EBADMSG)
			abort();
		return;
	}
	if (plen < RADPKT_HDR_LEN || (size_t)plen > n || plen > RADPKT_MAX_LEN ||
	    plen != (pkt[2] << 8 | pkt[3]))
		abort();
	while (radpkt_attr_next(pkt, &off, &type, &val, &len)) {
		if (val < pkt + RADPKT_HDR_LEN + 2 || val + len > pkt + plen || off > (size_t)plen)
			abort();
		if (!first[type])
			first[type] = val;
		sum += len + 2;
	}
	if (sum != (size_t)plen - RADPKT_HDR_LEN)
		abort();
	for (t = 0; t < 256; t++)
		if (radpkt_attr_find(pkt, (uint8_t)t, &flen) != first[t])
			abort();
	rc = radpkt_verify_response(pkt, rq + 4, SECRET, NULL);
	if (rc && rc != -EBADMSG && rc != -EACCES && rc != -EINVAL)
		abort();
	rc = radpkt_verify_request(pkt, SECRET, NULL);
	if (rc && rc != -EBADMSG && rc != -EACCES && rc != -EINVAL)
		abort();
}

static void check_raw(const uint8_t *rq, size_t rq_len, const uint8_t *pkt, size_t n)
{
	struct das_answer ans;
	struct byod_err err;
	int rc, ack = rq[0] + 1;

	memset(&ans, 0, sizeof(ans));
	rc = das_decode_answer(rq, rq_len, pkt, n, SECRET, &ans, &err);
	if (rc) {
		if (rc != -EBADMSG && rc != -EIO)
			abort();
		return;
	}
	if (radpkt_check_format(pkt, n, NULL) < 0 || pkt[1] != rq[1] ||
	    (pkt[0] != ack && pkt[0] != ack + 1) || ans.code != pkt[0] ||
	    ans.error_cause != error_cause(pkt))
		abort();
}

static void check_signed(const uint8_t *rq, size_t rq_len, int nak, const uint8_t *pkt, size_t n)
{
	uint8_t out[RADPKT_MAX_LEN];
	struct das_answer ans;
	struct radpkt p;
	const uint8_t *val;
	size_t off = 0, len;
	uint8_t type;
	int ma = 0, rc;

	if (radpkt_check_format(pkt, n, NULL) < 0)
		return;
	radpkt_init(&p, out, sizeof(out), (uint8_t)(rq[0] + 1 + nak), rq[1], NULL);
	while (radpkt_attr_next(pkt, &off, &type, &val, &len)) {
		if (type != RADPKT_ATTR_MESSAGE_AUTHENTICATOR)
			radpkt_append(&p, type, val, len);
		else if (!ma++)
			radpkt_append_message_authenticator(&p);
	}
	if (radpkt_finish(&p, "another secret", rq + 4, NULL))
		return;
	memset(&ans, 0, sizeof(ans));
	if (das_decode_answer(rq, rq_len, p.buf, p.len, SECRET, &ans, NULL) != -EBADMSG)
		abort(); /* signed with another secret */
	radpkt_init(&p, out, sizeof(out), (uint8_t)(rq[0] + 1 + nak), rq[1], NULL);
	off = 0;
	ma = 0;
	while (radpkt_attr_next(pkt, &off, &type, &val, &len)) {
		if (type != RADPKT_ATTR_MESSAGE_AUTHENTICATOR)
			radpkt_append(&p, type, val, len);
		else if (!ma++)
			radpkt_append_message_authenticator(&p);
	}
	if (radpkt_finish(&p, SECRET, rq + 4, NULL))
		abort(); /* it was built once already */
	check_readers(p.buf, p.len, rq);
	rc = das_decode_answer(rq, rq_len, p.buf, p.len, SECRET, &ans, NULL);
	if (rc || ans.code != rq[0] + 1 + nak || ans.error_cause != error_cause(p.buf))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *rq;
	size_t rq_len;
	int mode;

	if (size < 1)
		return 0;
	mode = data[0];
	rq = req[mode & 1];
	rq_len = req_len[mode & 1];
	data++;
	size--;
	check_readers(data, size, rq);
	if (mode & 2)
		check_signed(rq, rq_len, (mode >> 2) & 1, data, size);
	else
		check_raw(rq, rq_len, data, size);
	return 0;
}
