// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * RADIUS packets, written and checked: one encoder for every client of the
 * project (the RFC 5176 client, the load generator). Which authenticator a
 * packet carries depends on its code alone:
 *
 *   Access-Request, Status-Server     16 random bytes from the sender; the
 *                                     Message-Authenticator is computed
 *                                     over them (RFC 3579 section 3.2)
 *   Accounting-, Disconnect-, CoA-    MD5(packet with 16 zero bytes there +
 *   Request                           secret) (RFC 2866 section 3, RFC 5176
 *                                     section 3.5); the Message-Authenticator
 *                                     over the zeros, computed first
 *   every answer                      MD5(packet with the request's
 *                                     authenticator there + secret) (RFC 2865
 *                                     section 3); the Message-Authenticator
 *                                     over the request's, computed first
 */
#define _GNU_SOURCE
#include "radpkt.h"

#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#define MA_OFF 2 /* the value of an attribute after its type and length */

enum kind {
	KIND_NONE,
	KIND_REQUEST_RANDOM, /* the sender's random authenticator */
	KIND_REQUEST_SIGNED, /* MD5 over a zero authenticator */
	KIND_ANSWER,         /* MD5 over the request's authenticator */
};

static enum kind kind_of(uint8_t code)
{
	switch (code) {
	case RADPKT_ACCESS_REQUEST:
	case RADPKT_STATUS_SERVER:
		return KIND_REQUEST_RANDOM;
	case RADPKT_ACCOUNTING_REQUEST:
	case RADPKT_DISCONNECT_REQUEST:
	case RADPKT_COA_REQUEST:
		return KIND_REQUEST_SIGNED;
	case RADPKT_ACCESS_ACCEPT:
	case RADPKT_ACCESS_REJECT:
	case RADPKT_ACCOUNTING_RESPONSE:
	case RADPKT_ACCESS_CHALLENGE:
	case RADPKT_DISCONNECT_ACK:
	case RADPKT_DISCONNECT_NAK:
	case RADPKT_COA_ACK:
	case RADPKT_COA_NAK:
		return KIND_ANSWER;
	default:
		return KIND_NONE;
	}
}

/* MD5(a + b) into out. 0 or -EIO. */
static int md5(const void *a, size_t alen, const void *b, size_t blen, uint8_t out[16])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok = c && EVP_DigestInit_ex(c, EVP_md5(), NULL) && EVP_DigestUpdate(c, a, alen) &&
		 EVP_DigestUpdate(c, b, blen) && EVP_DigestFinal_ex(c, out, NULL);

	EVP_MD_CTX_free(c);
	return ok ? 0 : -EIO;
}

/* HMAC-MD5 keyed with secret (RFC 2104) into out. 0 or -EIO. */
static int hmac_md5(const char *secret, const uint8_t *data, size_t len, uint8_t out[16])
{
	size_t n = 0;

	if (!EVP_Q_mac(NULL, "HMAC", NULL, "MD5", NULL, secret, strlen(secret), data, len, out,
		       16, &n) ||
	    n != 16)
		return -EIO;
	return 0;
}

static size_t length_of(const uint8_t *pkt)
{
	return (size_t)pkt[2] << 8 | pkt[3];
}

void radpkt_init(struct radpkt *p, uint8_t *buf, size_t size, uint8_t code, uint8_t id,
		 const uint8_t *auth)
{
	memset(p, 0, sizeof(*p));
	p->buf = buf;
	p->size = size > RADPKT_MAX_LEN ? RADPKT_MAX_LEN : size;
	if (p->size < RADPKT_HDR_LEN) {
		p->err = -EMSGSIZE;
		return;
	}
	buf[0] = code;
	buf[1] = id;
	buf[2] = 0;
	buf[3] = RADPKT_HDR_LEN;
	if (auth)
		memcpy(buf + 4, auth, RADPKT_AUTH_LEN);
	else
		memset(buf + 4, 0, RADPKT_AUTH_LEN);
	p->len = RADPKT_HDR_LEN;
}

int radpkt_append(struct radpkt *p, uint8_t type, const void *val, size_t len)
{
	if (p->err)
		return p->err;
	if (len > RADPKT_VALUE_MAX)
		return p->err = -EINVAL;
	if (p->len + 2 + len > p->size)
		return p->err = -EMSGSIZE;
	p->buf[p->len] = type;
	p->buf[p->len + 1] = (uint8_t)(len + 2);
	if (len)
		memcpy(p->buf + p->len + 2, val, len);
	p->len += 2 + len;
	return 0;
}

int radpkt_append_str(struct radpkt *p, uint8_t type, const char *s)
{
	if (!s || !*s)
		return p->err;
	return radpkt_append(p, type, s, strlen(s));
}

int radpkt_append_u32(struct radpkt *p, uint8_t type, uint32_t v)
{
	uint8_t b[4] = { v >> 24, v >> 16 & 255, v >> 8 & 255, v & 255 };

	return radpkt_append(p, type, b, sizeof(b));
}

int radpkt_append_tagged_u24(struct radpkt *p, uint8_t type, uint8_t tag, uint32_t v)
{
	uint8_t b[4] = { tag, v >> 16 & 255, v >> 8 & 255, v & 255 };

	if (v > 0xffffff && !p->err)
		p->err = -EINVAL;
	return radpkt_append(p, type, b, sizeof(b));
}

int radpkt_append_password(struct radpkt *p, const char *password, const char *secret)
{
	uint8_t out[RADPKT_PASSWORD_MAX], x[16];
	const uint8_t *prev;
	size_t n, blocks, b, k;
	int rc = 0;

	if (p->err)
		return p->err;
	if (!secret || !*secret)
		return p->err = -EINVAL;
	n = strlen(password);
	if (n > RADPKT_PASSWORD_MAX)
		return p->err = -EINVAL;
	blocks = n ? (n + 15) / 16 : 1;
	memset(out, 0, sizeof(out));
	memcpy(out, password, n);
	prev = p->buf + 4; /* the Request Authenticator, then each hidden block */
	for (b = 0; b < blocks && !rc; b++) {
		rc = md5(secret, strlen(secret), prev, 16, x);
		for (k = 0; k < 16; k++)
			out[b * 16 + k] ^= x[k];
		prev = out + b * 16;
	}
	if (!rc)
		rc = radpkt_append(p, RADPKT_ATTR_USER_PASSWORD, out, blocks * 16);
	OPENSSL_cleanse(out, sizeof(out));
	OPENSSL_cleanse(x, sizeof(x));
	return rc;
}

int radpkt_append_message_authenticator(struct radpkt *p)
{
	static const uint8_t zero[16];
	size_t at = p->len;
	int rc;

	if (p->ma && !p->err)
		p->err = -EINVAL;
	rc = radpkt_append(p, RADPKT_ATTR_MESSAGE_AUTHENTICATOR, zero, sizeof(zero));
	if (!rc)
		p->ma = at;
	return rc;
}

int radpkt_finish(struct radpkt *p, const char *secret, const uint8_t *req_auth,
		  struct byod_err *err)
{
	enum kind k;

	if (p->err == -EMSGSIZE)
		return byod_err_set(err, EMSGSIZE, "a RADIUS packet longer than %zu bytes",
				    p->size);
	if (p->err)
		return byod_err_set(err, -p->err, "an attribute is longer than RADIUS allows");
	if (!secret || !*secret)
		return byod_err_set(err, EINVAL, "no shared secret");
	k = kind_of(p->buf[0]);
	if (k == KIND_NONE)
		return byod_err_set(err, EINVAL, "RADIUS code %u is not one this client writes",
				    p->buf[0]);
	if ((k == KIND_ANSWER) != (req_auth != NULL))
		return byod_err_set(err, EINVAL, "an answer is signed with its request's "
						 "authenticator, a request without one");
	p->buf[2] = (uint8_t)(p->len >> 8);
	p->buf[3] = (uint8_t)(p->len & 255);
	if (k == KIND_REQUEST_SIGNED)
		memset(p->buf + 4, 0, RADPKT_AUTH_LEN);
	else if (k == KIND_ANSWER)
		memcpy(p->buf + 4, req_auth, RADPKT_AUTH_LEN);
	if (p->ma && hmac_md5(secret, p->buf, p->len, p->buf + p->ma + MA_OFF))
		return byod_err_set(err, EIO, "HMAC-MD5 is not available from OpenSSL");
	if (k != KIND_REQUEST_RANDOM &&
	    md5(p->buf, p->len, secret, strlen(secret), p->buf + 4))
		return byod_err_set(err, EIO, "MD5 is not available from OpenSSL");
	return 0;
}

int radpkt_check_format(const uint8_t *pkt, size_t n, struct byod_err *err)
{
	size_t len, off;

	if (n < RADPKT_HDR_LEN)
		return byod_err_set(err, EBADMSG, "a RADIUS packet of %zu bytes", n);
	len = length_of(pkt);
	if (len < RADPKT_HDR_LEN || len > n || len > RADPKT_MAX_LEN)
		return byod_err_set(err, EBADMSG,
				    "a RADIUS packet of %zu bytes whose length field says %zu", n,
				    len);
	for (off = RADPKT_HDR_LEN; off < len; off += pkt[off + 1])
		if (off + 2 > len || pkt[off + 1] < 2 || off + pkt[off + 1] > len)
			return byod_err_set(err, EBADMSG, "a malformed attribute at byte %zu",
					    off);
	return (int)len;
}

int radpkt_attr_next(const uint8_t *pkt, size_t *off, uint8_t *type, const uint8_t **val,
		     size_t *len)
{
	size_t at = *off ? *off : RADPKT_HDR_LEN;

	if (at >= length_of(pkt))
		return 0;
	*type = pkt[at];
	*val = pkt + at + 2;
	*len = (size_t)pkt[at + 1] - 2;
	*off = at + pkt[at + 1];
	return 1;
}

const uint8_t *radpkt_attr_find(const uint8_t *pkt, uint8_t type, size_t *len)
{
	const uint8_t *val;
	size_t off = 0;
	uint8_t t;

	while (radpkt_attr_next(pkt, &off, &t, &val, len))
		if (t == type)
			return val;
	return NULL;
}

/*
 * The authenticator and Message-Authenticator of pkt, computed over a copy
 * whose authenticator field holds auth (NULL: the packet's own): MD5 into
 * sum when want_sum, HMAC-MD5 checked when there is a Message-Authenticator.
 */
static int check_sums(const uint8_t *pkt, const uint8_t *auth, int want_sum, const char *secret,
		      const char *what, struct byod_err *err)
{
	uint8_t copy[RADPKT_MAX_LEN], sum[16];
	size_t len = length_of(pkt), malen;
	const uint8_t *ma = radpkt_attr_find(pkt, RADPKT_ATTR_MESSAGE_AUTHENTICATOR, &malen);

	if (!secret || !*secret)
		return byod_err_set(err, EINVAL, "no shared secret");
	if (ma && malen != 16)
		return byod_err_set(err, EBADMSG, "a Message-Authenticator of %zu bytes", malen);
	memcpy(copy, pkt, len);
	if (auth)
		memcpy(copy + 4, auth, RADPKT_AUTH_LEN);
	if (want_sum) {
		if (md5(copy, len, secret, strlen(secret), sum))
			return byod_err_set(err, EIO, "MD5 is not available from OpenSSL");
		if (CRYPTO_memcmp(sum, pkt + 4, 16))
			return byod_err_set(err, EACCES,
					    "the %s's authenticator is wrong (another shared "
					    "secret?)",
					    what);
	}
	if (ma) {
		memset(copy + (ma - pkt), 0, 16);
		if (hmac_md5(secret, copy, len, sum))
			return byod_err_set(err, EIO, "HMAC-MD5 is not available from OpenSSL");
		if (CRYPTO_memcmp(sum, ma, 16))
			return byod_err_set(err, EACCES, "the %s's Message-Authenticator is wrong",
					    what);
	}
	return 0;
}

int radpkt_verify_response(const uint8_t *pkt, const uint8_t *req_auth, const char *secret,
			   struct byod_err *err)
{
	if (kind_of(pkt[0]) != KIND_ANSWER)
		return byod_err_set(err, EINVAL, "RADIUS code %u is not an answer", pkt[0]);
	return check_sums(pkt, req_auth, 1, secret, "answer", err);
}

int radpkt_verify_request(const uint8_t *pkt, const char *secret, struct byod_err *err)
{
	static const uint8_t zero[RADPKT_AUTH_LEN];

	switch (kind_of(pkt[0])) {
	case KIND_REQUEST_RANDOM:
		return check_sums(pkt, NULL, 0, secret, "request", err);
	case KIND_REQUEST_SIGNED:
		return check_sums(pkt, zero, 1, secret, "request", err);
	default:
		return byod_err_set(err, EINVAL, "RADIUS code %u is not a request", pkt[0]);
	}
}
