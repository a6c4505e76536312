// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the RADIUS packet encoder (firewall/radpkt.c): the
 * Access-Request and Access-Accept of RFC 2865 section 7.1 byte for byte
 * (User-Password hiding, Response Authenticator), and vectors computed with
 * Python's hashlib and hmac modules from RFC 2865 section 5.2, RFC 2866
 * section 3 and RFC 3579 section 3.2 (the Message-Authenticator): a
 * Message-Authenticator over a random Request Authenticator, a hidden
 * password of two blocks and of none, an Accounting-Request, and the
 * Disconnect-ACK of test_das.c; then the checks of received packets and
 * the refusals. FreeRADIUS is the other judge (bench_mab_smoke: radload's
 * requests against a server that drops a wrong Message-Authenticator).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "radpkt.h"

/* RFC 2865 section 7.1: nemo / arctangent, secret xyzzy5461, NAS
 * 192.168.1.16 port 3 */
static const char rfc_secret[] = "xyzzy5461";
static const uint8_t rfc_req_auth[16] = { 0x0f, 0x40, 0x3f, 0x94, 0x73, 0x97, 0x80, 0x57,
					  0xbd, 0x83, 0xd5, 0xcb, 0x98, 0xf4, 0x22, 0x7a };
static const uint8_t rfc_request[] = {
	0x01, 0x00, 0x00, 0x38, 0x0f, 0x40, 0x3f, 0x94, 0x73, 0x97, 0x80, 0x57, 0xbd, 0x83,
	0xd5, 0xcb, 0x98, 0xf4, 0x22, 0x7a, 0x01, 0x06, 0x6e, 0x65, 0x6d, 0x6f, 0x02, 0x12,
	0x0d, 0xbe, 0x70, 0x8d, 0x93, 0xd4, 0x13, 0xce, 0x31, 0x96, 0xe4, 0x3f, 0x78, 0x2a,
	0x0a, 0xee, 0x04, 0x06, 0xc0, 0xa8, 0x01, 0x10, 0x05, 0x06, 0x00, 0x00, 0x00, 0x03,
};
/* Service-Type Login, Login-Service Telnet, Login-IP-Host 192.168.1.3 */
static const uint8_t rfc_accept[] = {
	0x02, 0x00, 0x00, 0x26, 0x86, 0xfe, 0x22, 0x0e, 0x76, 0x24, 0xba, 0x2a, 0x10,
	0x05, 0xf6, 0xbf, 0x9b, 0x55, 0xe0, 0xb2, 0x06, 0x06, 0x00, 0x00, 0x00, 0x01,
	0x0f, 0x06, 0x00, 0x00, 0x00, 0x00, 0x0e, 0x06, 0xc0, 0xa8, 0x01, 0x03,
};
/* the same request with a Message-Authenticator (Python's hmac) */
static const uint8_t vec_request_ma[] = {
	0x01, 0x00, 0x00, 0x4a, 0x0f, 0x40, 0x3f, 0x94, 0x73, 0x97, 0x80, 0x57,
	0xbd, 0x83, 0xd5, 0xcb, 0x98, 0xf4, 0x22, 0x7a, 0x01, 0x06, 0x6e, 0x65,
	0x6d, 0x6f, 0x02, 0x12, 0x0d, 0xbe, 0x70, 0x8d, 0x93, 0xd4, 0x13, 0xce,
	0x31, 0x96, 0xe4, 0x3f, 0x78, 0x2a, 0x0a, 0xee, 0x04, 0x06, 0xc0, 0xa8,
	0x01, 0x10, 0x05, 0x06, 0x00, 0x00, 0x00, 0x03, 0x50, 0x12, 0x63, 0xb7,
	0x8a, 0x6b, 0x9d, 0x2f, 0x14, 0x99, 0x89, 0xfb, 0xf5, 0x7e, 0xa2, 0x1d,
	0x19, 0x4c,
};
/* "correct-horse-battery" and "" hidden with secret "s3cret" and the
 * authenticator 00 01 .. 0f */
static const uint8_t vec_pw2[] = {
	0xa0, 0xdd, 0x16, 0x2d, 0x18, 0xa3, 0xf6, 0xca, 0xb4, 0x3f, 0x8a, 0x4a,
	0x12, 0x34, 0xe3, 0x31, 0x70, 0xb2, 0xda, 0xf2, 0x51, 0x2a, 0x39, 0x00,
	0x3d, 0x4a, 0x67, 0x9a, 0x08, 0x01, 0x3c, 0x8f,
};
static const uint8_t vec_pw0[] = {
	0xc3, 0xb2, 0x64, 0x5f, 0x7d, 0xc0, 0x82, 0xe7,
	0xdc, 0x50, 0xf8, 0x39, 0x77, 0x19, 0x81, 0x50,
};
/* Accounting-Request id 7, secret "s3cret": Acct-Status-Type Start,
 * Acct-Session-Id, Calling-Station-Id */
static const uint8_t vec_acct[] = {
	0x04, 0x07, 0x00, 0x37, 0x76, 0xc5, 0xb4, 0xd5, 0x6e, 0xc7, 0x82, 0x78,
	0x1c, 0xdc, 0x02, 0x66, 0x3a, 0x5c, 0xb3, 0xe5, 0x28, 0x06, 0x00, 0x00,
	0x00, 0x01, 0x2c, 0x0a, 0x35, 0x46, 0x33, 0x41, 0x32, 0x42, 0x31, 0x43,
	0x1f, 0x13, 0x30, 0x32, 0x2d, 0x30, 0x30, 0x2d, 0x30, 0x30, 0x2d, 0x30,
	0x30, 0x2d, 0x41, 0x41, 0x2d, 0x30, 0x31,
};
/* test_das.c's Disconnect-ACK (id 0x2a, secret "s3cret-das") with a
 * Message-Authenticator, and the authenticator of its request */
static const uint8_t das_req_auth[16] = { 0x94, 0x51, 0xdc, 0x07, 0x74, 0xe8, 0x27, 0xee,
					  0x0a, 0xd0, 0xac, 0x9c, 0xf6, 0x46, 0x10, 0xc8 };
static const uint8_t das_ack[] = {
	0x29, 0x2a, 0x00, 0x26, 0x4f, 0x2e, 0x18, 0x28, 0x74, 0x2a, 0x10, 0x52,
	0xe0, 0x29, 0x53, 0xd1, 0x6e, 0x00, 0xd0, 0x73, 0x50, 0x12, 0x0c, 0x2c,
	0xf4, 0x06, 0x4e, 0x56, 0x1f, 0xd4, 0x78, 0xb2, 0x4d, 0x03, 0xe9, 0x43,
	0xf2, 0xc8,
};

static void rfc_request_attrs(struct radpkt *p)
{
	radpkt_append_str(p, RADPKT_ATTR_USER_NAME, "nemo");
	radpkt_append_password(p, "arctangent", rfc_secret);
	radpkt_append_u32(p, RADPKT_ATTR_NAS_IP_ADDRESS, 0xc0a80110);
	radpkt_append_u32(p, RADPKT_ATTR_NAS_PORT, 3);
}

static void test_rfc2865_access_request(void **state)
{
	uint8_t buf[RADPKT_MAX_LEN];
	struct radpkt p;

	(void)state;
	radpkt_init(&p, buf, sizeof(buf), RADPKT_ACCESS_REQUEST, 0, rfc_req_auth);
	rfc_request_attrs(&p);
	assert_int_equal(radpkt_finish(&p, rfc_secret, NULL, NULL), 0);
	assert_int_equal(p.len, sizeof(rfc_request));
	assert_memory_equal(buf, rfc_request, sizeof(rfc_request));
	/* nothing to check but the framing: no Message-Authenticator */
	assert_int_equal(radpkt_check_format(buf, p.len, NULL), (int)sizeof(rfc_request));
	assert_int_equal(radpkt_verify_request(buf, rfc_secret, NULL), 0);
}

static void test_rfc2865_access_accept(void **state)
{
	uint8_t buf[RADPKT_MAX_LEN], bad[sizeof(rfc_accept)];
	struct byod_err err;
	struct radpkt p;

	(void)state;
	radpkt_init(&p, buf, sizeof(buf), RADPKT_ACCESS_ACCEPT, 0, NULL);
	radpkt_append_u32(&p, RADPKT_ATTR_SERVICE_TYPE, 1);
	radpkt_append_u32(&p, 15, 0);          /* Login-Service */
	radpkt_append_u32(&p, 14, 0xc0a80103); /* Login-IP-Host */
	assert_int_equal(radpkt_finish(&p, rfc_secret, rfc_req_auth, NULL), 0);
	assert_int_equal(p.len, sizeof(rfc_accept));
	assert_memory_equal(buf, rfc_accept, sizeof(rfc_accept));

	assert_int_equal(radpkt_check_format(rfc_accept, sizeof(rfc_accept), NULL),
			 (int)sizeof(rfc_accept));
	assert_int_equal(radpkt_verify_response(rfc_accept, rfc_req_auth, rfc_secret, &err), 0);
	assert_int_equal(radpkt_verify_response(rfc_accept, rfc_req_auth, "xyzzy5462", &err),
			 -EACCES);
	assert_non_null(strstr(err.msg, "authenticator is wrong"));
	/* an answer to another request */
	assert_int_equal(radpkt_verify_response(rfc_accept, das_req_auth, rfc_secret, NULL),
			 -EACCES);
	/* one attribute changed on the way */
	memcpy(bad, rfc_accept, sizeof(bad));
	bad[sizeof(bad) - 1] ^= 1;
	assert_int_equal(radpkt_verify_response(bad, rfc_req_auth, rfc_secret, NULL), -EACCES);
	/* a request is not an answer */
	assert_int_equal(radpkt_verify_response(rfc_request, rfc_req_auth, rfc_secret, NULL),
			 -EINVAL);
}

static void test_message_authenticator(void **state)
{
	uint8_t buf[RADPKT_MAX_LEN], bad[sizeof(vec_request_ma)];
	struct byod_err err;
	struct radpkt p;

	(void)state;
	radpkt_init(&p, buf, sizeof(buf), RADPKT_ACCESS_REQUEST, 0, rfc_req_auth);
	rfc_request_attrs(&p);
	assert_int_equal(radpkt_append_message_authenticator(&p), 0);
	assert_int_equal(radpkt_finish(&p, rfc_secret, NULL, NULL), 0);
	assert_int_equal(p.len, sizeof(vec_request_ma));
	assert_memory_equal(buf, vec_request_ma, sizeof(vec_request_ma));

	assert_int_equal(radpkt_verify_request(vec_request_ma, rfc_secret, &err), 0);
	assert_int_equal(radpkt_verify_request(vec_request_ma, "another", &err), -EACCES);
	assert_non_null(strstr(err.msg, "Message-Authenticator is wrong"));
	/* Blast-RADIUS: a changed attribute under an unchanged authenticator */
	memcpy(bad, vec_request_ma, sizeof(bad));
	bad[22] = 'N';
	assert_int_equal(radpkt_verify_request(bad, rfc_secret, &err), -EACCES);
	assert_non_null(strstr(err.msg, "Message-Authenticator"));
	/* a Message-Authenticator of another size */
	memcpy(bad, vec_request_ma, sizeof(bad));
	bad[57] = 6;
	bad[3] = 56 + 6;
	assert_int_equal(radpkt_check_format(bad, 62, NULL), 62);
	assert_int_equal(radpkt_verify_request(bad, rfc_secret, &err), -EBADMSG);
}

static void test_password(void **state)
{
	uint8_t buf[RADPKT_MAX_LEN], auth[16];
	char longpw[RADPKT_PASSWORD_MAX + 2];
	const uint8_t *val;
	struct radpkt p;
	size_t len, i;

	(void)state;
	for (i = 0; i < sizeof(auth); i++)
		auth[i] = (uint8_t)i;
	/* two blocks, the second chained on the first */
	radpkt_init(&p, buf, sizeof(buf), RADPKT_ACCESS_REQUEST, 9, auth);
	assert_int_equal(radpkt_append_password(&p, "correct-horse-battery", "s3cret"), 0);
	val = radpkt_attr_find(buf, RADPKT_ATTR_USER_PASSWORD, &len);
	assert_null(val); /* the Length is written by radpkt_finish */
	assert_int_equal(radpkt_finish(&p, "s3cret", NULL, NULL), 0);
	val = radpkt_attr_find(buf, RADPKT_ATTR_USER_PASSWORD, &len);
	assert_non_null(val);
	assert_int_equal(len, sizeof(vec_pw2));
	assert_memory_equal(val, vec_pw2, sizeof(vec_pw2));
	/* an empty password is one block of zeros, hidden */
	radpkt_init(&p, buf, sizeof(buf), RADPKT_ACCESS_REQUEST, 9, auth);
	assert_int_equal(radpkt_append_password(&p, "", "s3cret"), 0);
	assert_int_equal(radpkt_finish(&p, "s3cret", NULL, NULL), 0);
	val = radpkt_attr_find(buf, RADPKT_ATTR_USER_PASSWORD, &len);
	assert_int_equal(len, 16);
	assert_memory_equal(val, vec_pw0, sizeof(vec_pw0));
	/* 128 bytes at most, and a secret */
	memset(longpw, 'x', sizeof(longpw) - 1);
	longpw[sizeof(longpw) - 1] = '\0';
	radpkt_init(&p, buf, sizeof(buf), RADPKT_ACCESS_REQUEST, 9, auth);
	assert_int_equal(radpkt_append_password(&p, longpw, "s3cret"), -EINVAL);
	longpw[RADPKT_PASSWORD_MAX] = '\0';
	radpkt_init(&p, buf, sizeof(buf), RADPKT_ACCESS_REQUEST, 9, auth);
	assert_int_equal(radpkt_append_password(&p, longpw, "s3cret"), 0);
	assert_int_equal(p.len, RADPKT_HDR_LEN + 2 + RADPKT_PASSWORD_MAX);
	radpkt_init(&p, buf, sizeof(buf), RADPKT_ACCESS_REQUEST, 9, auth);
	assert_int_equal(radpkt_append_password(&p, "pw", ""), -EINVAL);
}

static void test_accounting_request(void **state)
{
	uint8_t buf[RADPKT_MAX_LEN], bad[sizeof(vec_acct)];
	struct radpkt p;

	(void)state;
	radpkt_init(&p, buf, sizeof(buf), RADPKT_ACCOUNTING_REQUEST, 7, NULL);
	radpkt_append_u32(&p, 40, 1); /* Acct-Status-Type Start */
	radpkt_append_str(&p, RADPKT_ATTR_ACCT_SESSION_ID, "5F3A2B1C");
	radpkt_append_str(&p, RADPKT_ATTR_CALLING_STATION_ID, "02-00-00-00-AA-01");
	assert_int_equal(radpkt_finish(&p, "s3cret", NULL, NULL), 0);
	assert_int_equal(p.len, sizeof(vec_acct));
	assert_memory_equal(buf, vec_acct, sizeof(vec_acct));
	assert_int_equal(radpkt_verify_request(vec_acct, "s3cret", NULL), 0);
	assert_int_equal(radpkt_verify_request(vec_acct, "s3creT", NULL), -EACCES);
	memcpy(bad, vec_acct, sizeof(bad));
	bad[sizeof(bad) - 1] = '2';
	assert_int_equal(radpkt_verify_request(bad, "s3cret", NULL), -EACCES);
	/* an answer is not a request */
	assert_int_equal(radpkt_verify_request(rfc_accept, rfc_secret, NULL), -EINVAL);
}

static void test_answer_with_message_authenticator(void **state)
{
	uint8_t buf[RADPKT_MAX_LEN], bad[sizeof(das_ack)], forged[16];
	struct byod_err err;
	struct radpkt p;

	(void)state;
	radpkt_init(&p, buf, sizeof(buf), RADPKT_DISCONNECT_ACK, 0x2a, NULL);
	radpkt_append_message_authenticator(&p);
	assert_int_equal(radpkt_finish(&p, "s3cret-das", das_req_auth, NULL), 0);
	assert_int_equal(p.len, sizeof(das_ack));
	assert_memory_equal(buf, das_ack, sizeof(das_ack));
	assert_int_equal(radpkt_verify_response(das_ack, das_req_auth, "s3cret-das", NULL), 0);
	/* a wrong Message-Authenticator under a right Response Authenticator:
	 * the HMAC is what gives it away */
	memcpy(forged, das_ack + 22, sizeof(forged));
	forged[15] ^= 0x80;
	radpkt_init(&p, bad, sizeof(bad), RADPKT_DISCONNECT_ACK, 0x2a, NULL);
	radpkt_append(&p, RADPKT_ATTR_MESSAGE_AUTHENTICATOR, forged, sizeof(forged));
	assert_int_equal(radpkt_finish(&p, "s3cret-das", das_req_auth, NULL), 0);
	assert_int_equal(radpkt_verify_response(bad, das_req_auth, "s3cret-das", &err), -EACCES);
	assert_non_null(strstr(err.msg, "Message-Authenticator is wrong"));
}

static void test_framing(void **state)
{
	uint8_t bad[sizeof(rfc_request) + 8];
	struct byod_err err;
	const uint8_t *val;
	size_t off = 0, len;
	uint8_t type;
	int n = 0;

	(void)state;
	/* the attributes in order, then the end */
	while (radpkt_attr_next(rfc_request, &off, &type, &val, &len)) {
		static const uint8_t types[] = { 1, 2, 4, 5 };

		assert_true(n < 4);
		assert_int_equal(type, types[n++]);
	}
	assert_int_equal(n, 4);
	val = radpkt_attr_find(rfc_request, RADPKT_ATTR_USER_NAME, &len);
	assert_int_equal(len, 4);
	assert_memory_equal(val, "nemo", 4);
	assert_null(radpkt_attr_find(rfc_request, RADPKT_ATTR_MESSAGE_AUTHENTICATOR, &len));

	/* bytes past the Length are padding */
	memset(bad, 0xee, sizeof(bad));
	memcpy(bad, rfc_request, sizeof(rfc_request));
	assert_int_equal(radpkt_check_format(bad, sizeof(bad), NULL), (int)sizeof(rfc_request));
	/* short, a Length beyond the datagram or below the header */
	assert_int_equal(radpkt_check_format(rfc_request, 19, &err), -EBADMSG);
	assert_int_equal(radpkt_check_format(rfc_request, sizeof(rfc_request) - 1, &err),
			 -EBADMSG);
	bad[3] = 19;
	assert_int_equal(radpkt_check_format(bad, sizeof(bad), &err), -EBADMSG);
	/* an attribute running past the end, or of length 0 or 1 */
	memcpy(bad, rfc_request, sizeof(rfc_request));
	bad[21] = 40;
	assert_int_equal(radpkt_check_format(bad, sizeof(rfc_request), &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "byte 20"));
	bad[21] = 1;
	assert_int_equal(radpkt_check_format(bad, sizeof(rfc_request), &err), -EBADMSG);
	bad[21] = 0;
	assert_int_equal(radpkt_check_format(bad, sizeof(rfc_request), &err), -EBADMSG);
	/* a last attribute cut after its type */
	memcpy(bad, rfc_request, sizeof(rfc_request));
	bad[sizeof(rfc_request)] = 1;
	bad[3] = sizeof(rfc_request) + 1;
	assert_int_equal(radpkt_check_format(bad, sizeof(rfc_request) + 1, &err), -EBADMSG);
}

static void test_refusals(void **state)
{
	uint8_t buf[RADPKT_MAX_LEN], small[30];
	char big[RADPKT_VALUE_MAX + 2];
	struct byod_err err;
	struct radpkt p;

	(void)state;
	/* a value RADIUS cannot carry: the packet is refused at the end */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	radpkt_init(&p, buf, sizeof(buf), RADPKT_COA_REQUEST, 1, NULL);
	assert_int_equal(radpkt_append_str(&p, RADPKT_ATTR_USER_NAME, big), -EINVAL);
	assert_int_equal(radpkt_append_str(&p, RADPKT_ATTR_NAS_IDENTIFIER, "ap"), -EINVAL);
	assert_int_equal(radpkt_finish(&p, "s3cret", NULL, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "longer"));
	big[RADPKT_VALUE_MAX] = '\0';
	radpkt_init(&p, buf, sizeof(buf), RADPKT_COA_REQUEST, 1, NULL);
	assert_int_equal(radpkt_append_str(&p, RADPKT_ATTR_USER_NAME, big), 0);
	assert_int_equal(buf[RADPKT_HDR_LEN + 1], 255);
	/* no room: sticky, nothing written past the buffer */
	radpkt_init(&p, small, sizeof(small), RADPKT_COA_REQUEST, 1, NULL);
	assert_int_equal(radpkt_append_str(&p, RADPKT_ATTR_USER_NAME, "12345678"), 0);
	assert_int_equal(radpkt_append_str(&p, RADPKT_ATTR_USER_NAME, "x"), -EMSGSIZE);
	assert_int_equal(radpkt_append_str(&p, RADPKT_ATTR_USER_NAME, ""), -EMSGSIZE);
	assert_int_equal(p.len, 30);
	assert_int_equal(radpkt_finish(&p, "s3cret", NULL, &err), -EMSGSIZE);
	/* two Message-Authenticators, a tagged value beyond 24 bits */
	radpkt_init(&p, buf, sizeof(buf), RADPKT_COA_REQUEST, 1, NULL);
	assert_int_equal(radpkt_append_message_authenticator(&p), 0);
	assert_int_equal(radpkt_append_message_authenticator(&p), -EINVAL);
	radpkt_init(&p, buf, sizeof(buf), RADPKT_COA_REQUEST, 1, NULL);
	assert_int_equal(radpkt_append_tagged_u24(&p, RADPKT_ATTR_TUNNEL_TYPE, 0, 1u << 24),
			 -EINVAL);
	radpkt_init(&p, buf, sizeof(buf), RADPKT_COA_REQUEST, 1, NULL);
	assert_int_equal(radpkt_append_tagged_u24(&p, RADPKT_ATTR_TUNNEL_TYPE, 2, 13), 0);
	assert_memory_equal(buf + RADPKT_HDR_LEN, "\x40\x06\x02\x00\x00\x0d", 6);
	/* an answer needs its request's authenticator, a request must not
	 * have one; a code not known; no secret */
	assert_int_equal(radpkt_finish(&p, "s3cret", das_req_auth, &err), -EINVAL);
	assert_int_equal(radpkt_finish(&p, "", NULL, &err), -EINVAL);
	radpkt_init(&p, buf, sizeof(buf), RADPKT_COA_ACK, 1, NULL);
	assert_int_equal(radpkt_finish(&p, "s3cret", NULL, &err), -EINVAL);
	radpkt_init(&p, buf, sizeof(buf), 99, 1, NULL);
	assert_int_equal(radpkt_finish(&p, "s3cret", NULL, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "99"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc2865_access_request),
		cmocka_unit_test(test_rfc2865_access_accept),
		cmocka_unit_test(test_message_authenticator),
		cmocka_unit_test(test_password),
		cmocka_unit_test(test_accounting_request),
		cmocka_unit_test(test_answer_with_message_authenticator),
		cmocka_unit_test(test_framing),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
