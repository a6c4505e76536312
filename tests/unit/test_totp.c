// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for web/totp.c: RFC 4648's base32 test vectors both ways and
 * every malformed text refused; RFC 4226's HOTP vectors (appendix D) and
 * RFC 6238's SHA-1 TOTP vectors (appendix B, 8 digits) through the base32
 * secret; the window (a code of the step before and after accepted, two
 * steps away refused, the newest matching step returned); codes that are
 * not digits; new secrets (length, alphabet, never twice the same); and
 * the otpauth:// URI (its exact text, escaping, refusals).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "totp.h"

/* RFC 4648 section 10 */
static const struct {
	const char *plain, *b32;
} b32_vectors[] = {
	{"", ""},
	{"f", "MY======"},
	{"fo", "MZXQ===="},
	{"foo", "MZXW6==="},
	{"foob", "MZXW6YQ="},
	{"fooba", "MZXW6YTB"},
	{"foobar", "MZXW6YTBOI======"},
};

static void test_base32_vectors(void **state)
{
	char out[64];
	unsigned char back[64];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(b32_vectors) / sizeof(b32_vectors[0]); i++) {
		const char *p = b32_vectors[i].plain;
		size_t len = strlen(p), unpadded = strcspn(b32_vectors[i].b32, "=");

		assert_int_equal(web_base32_encode(p, len, 1, out, sizeof(out)), 0);
		assert_string_equal(out, b32_vectors[i].b32);
		assert_int_equal(web_base32_encode(p, len, 0, out, sizeof(out)), 0);
		assert_int_equal(strlen(out), unpadded);
		assert_memory_equal(out, b32_vectors[i].b32, unpadded);
		/* back, padded or not, in either case */
		assert_int_equal(web_base32_decode(b32_vectors[i].b32, back, sizeof(back), &n), 0);
		assert_int_equal(n, len);
		assert_memory_equal(back, p, len);
		assert_int_equal(web_base32_decode(out, back, sizeof(back), &n), 0);
		assert_int_equal(n, len);
		assert_memory_equal(back, p, len);
	}
	assert_int_equal(web_base32_decode("mzxw 6ytb oi", back, sizeof(back), &n), 0);
	assert_int_equal(n, 6);
	assert_memory_equal(back, "foobar", 6);
}

static void test_base32_refusals(void **state)
{
	unsigned char back[8];
	char small[8];
	size_t n;

	(void)state;
	assert_int_equal(web_base32_decode("MZXW1YTB", back, sizeof(back), &n), -EINVAL); /* 1 */
	assert_int_equal(web_base32_decode("MZXW8YTB", back, sizeof(back), &n), -EINVAL); /* 8 */
	assert_int_equal(web_base32_decode("MY==MY==", back, sizeof(back), &n), -EINVAL);
	assert_int_equal(web_base32_decode("MY=", back, sizeof(back), &n), -EINVAL);
	assert_int_equal(web_base32_decode("M", back, sizeof(back), &n), -EINVAL);   /* 5 bits */
	assert_int_equal(web_base32_decode("MZX", back, sizeof(back), &n), -EINVAL); /* 15 bits */
	assert_int_equal(web_base32_decode("MZ", back, sizeof(back), &n), -EINVAL);  /* bits set */
	assert_int_equal(web_base32_decode("MY\n", back, sizeof(back), &n), -EINVAL);
	assert_int_equal(web_base32_decode(NULL, back, sizeof(back), &n), -EINVAL);
	assert_int_equal(web_base32_decode("MZXW6YTBOI", back, 5, &n), -ENOSPC);
	assert_int_equal(web_base32_encode("foobar", 6, 1, small, sizeof(small)), -ENOSPC);
	assert_string_equal(small, "");
	assert_int_equal(web_base32_encode("fooba", 5, 0, small, sizeof(small)), -ENOSPC);
	assert_int_equal(web_base32_encode("foob", 4, 0, small, sizeof(small)), 0);
	assert_string_equal(small, "MZXW6YQ");
}

/* RFC 4226 appendix D: secret "12345678901234567890", counters 0 to 9 */
static void test_hotp_vectors(void **state)
{
	static const uint32_t want[] = {755224, 287082, 359152, 969429, 338314,
					254676, 287922, 162583, 399871, 520489};
	const char *key = "12345678901234567890";
	uint32_t code;
	int i;

	(void)state;
	for (i = 0; i < 10; i++) {
		assert_int_equal(web_hotp(key, 20, (uint64_t)i, 6, &code), 0);
		assert_int_equal(code, want[i]);
	}
	assert_int_equal(web_hotp(key, 20, 0, 5, &code), -EINVAL);
	assert_int_equal(web_hotp(key, 20, 0, 9, &code), -EINVAL);
	assert_int_equal(web_hotp(key, 0, 0, 6, &code), -EINVAL);
}

/* RFC 6238 appendix B, the SHA-1 rows (8 digits) */
static void test_totp_vectors(void **state)
{
	static const struct {
		long long t;
		int64_t step;
		const char *code;
	} rows[] = {
		{59LL, 1, "94287082"},
		{1111111109LL, 0x23523EC, "07081804"},
		{1111111111LL, 0x23523ED, "14050471"},
		{1234567890LL, 0x273EF07, "89005924"},
		{2000000000LL, 0x3F940AA, "69279037"},
		{20000000000LL, 0x27BC86AA, "65353130"},
	};
	char secret[64], code[9];
	int64_t step;
	size_t i;

	(void)state;
	assert_int_equal(web_base32_encode("12345678901234567890", 20, 0, secret, sizeof(secret)),
			 0);
	assert_string_equal(secret, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		time_t t = (time_t)rows[i].t;

		assert_int_equal(web_totp_step(t), rows[i].step);
		assert_int_equal(web_totp_code(secret, rows[i].step, 8, code), 0);
		assert_string_equal(code, rows[i].code);
		/* and checked at that time with no window */
		assert_int_equal(web_totp_verify(secret, rows[i].code, 8, t, 0, &step), 0);
		assert_int_equal(step, rows[i].step);
		/* 6 digits are the last 6 */
		assert_int_equal(web_totp_code(secret, rows[i].step, 6, code), 0);
		assert_string_equal(code, rows[i].code + 2);
	}
	assert_int_equal(web_totp_step(0), 0);
	assert_int_equal(web_totp_step(29), 0);
	assert_int_equal(web_totp_step(30), 1);
}

/* Secrets of the length applications use (10 and 20 bytes), 6 digits: the
 * values Python's hmac module gives (another implementation of RFC 6238);
 * JBSWY3DPEHPK3PXP at 0 is the example every authenticator documents. */
static void test_other_implementation(void **state)
{
	static const struct {
		const char *secret;
		long long t;
		const char *code;
	} rows[] = {
		{"JBSWY3DPEHPK3PXP", 0, "282760"},
		{"JBSWY3DPEHPK3PXP", 1700000000, "324550"},
		{"JBSWY3DPEHPK3PXP", 1767225599, "849280"},
		{"7Q3ZKH2VDXWNYJ4KLH5AWSRB2DS6XSVE", 0, "562945"},
		{"7Q3ZKH2VDXWNYJ4KLH5AWSRB2DS6XSVE", 1700000000, "495024"},
		{"7Q3ZKH2VDXWNYJ4KLH5AWSRB2DS6XSVE", 1767225599, "796506"},
	};
	char code[9];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assert_int_equal(
			web_totp_code(rows[i].secret, web_totp_step((time_t)rows[i].t), 6, code),
			0);
		assert_string_equal(code, rows[i].code);
		assert_int_equal(web_totp_verify(rows[i].secret, rows[i].code, 6, (time_t)rows[i].t,
						 WEB_TOTP_WINDOW, NULL),
				 0);
	}
}

static void test_window(void **state)
{
	const char *secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
	time_t now = 1111111111; /* step 0x23523ED */
	int64_t base = web_totp_step(now), step = -1;
	char code[9], spaced[12];
	int d;

	(void)state;
	for (d = -2; d <= 2; d++) {
		assert_int_equal(web_totp_code(secret, base + d, 6, code), 0);
		step = -1;
		if (d >= -1 && d <= 1) {
			assert_int_equal(web_totp_verify(secret, code, 6, now, 1, &step), 0);
			assert_int_equal(step, base + d);
		} else {
			assert_int_equal(web_totp_verify(secret, code, 6, now, 1, &step), -EACCES);
			assert_int_equal(step, -1);
		}
		/* with no window, only now's */
		assert_int_equal(web_totp_verify(secret, code, 6, now, 0, NULL), d ? -EACCES : 0);
	}
	/* spaces as people type them; anything else is not a code */
	assert_int_equal(web_totp_code(secret, base, 6, code), 0);
	snprintf(spaced, sizeof(spaced), "%.3s %s", code, code + 3);
	assert_int_equal(web_totp_verify(secret, spaced, 6, now, 1, &step), 0);
	assert_int_equal(web_totp_verify(secret, "12345", 6, now, 1, &step), -EINVAL);
	assert_int_equal(web_totp_verify(secret, "1234567", 6, now, 1, &step), -EINVAL);
	assert_int_equal(web_totp_verify(secret, "12a456", 6, now, 1, &step), -EINVAL);
	assert_int_equal(web_totp_verify(secret, "", 6, now, 1, &step), -EINVAL);
	assert_int_equal(web_totp_verify(secret, NULL, 6, now, 1, &step), -EINVAL);
	assert_int_equal(web_totp_verify(secret, code, 6, now, -1, &step), -EINVAL);
	/* a secret that is not one, or too short to be one */
	assert_int_equal(web_totp_verify("not base32!", code, 6, now, 1, &step), -EINVAL);
	assert_int_equal(web_totp_verify("MZXW6YQ", code, 6, now, 1, &step), -EINVAL);
	assert_int_equal(web_totp_verify("", code, 6, now, 1, &step), -EINVAL);
	/* another secret's code */
	assert_int_equal(
		web_totp_verify("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", code, 6, now, 1, &step),
		-EACCES);
}

static void test_secret_new(void **state)
{
	char a[WEB_TOTP_SECRET_LEN + 1], b[WEB_TOTP_SECRET_LEN + 1];
	unsigned char raw[64];
	size_t n, i;

	(void)state;
	assert_int_equal(web_totp_secret_new(a), 0);
	assert_int_equal(web_totp_secret_new(b), 0);
	assert_int_equal(strlen(a), WEB_TOTP_SECRET_LEN);
	assert_string_not_equal(a, b);
	for (i = 0; a[i]; i++)
		assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", a[i]));
	assert_int_equal(web_base32_decode(a, raw, sizeof(raw), &n), 0);
	assert_int_equal(n, WEB_TOTP_SECRET_BYTES);
}

static void test_uri(void **state)
{
	char *uri = NULL;

	(void)state;
	assert_int_equal(web_totp_uri("Collège Jean Moulin", "m.dupont@ac-x.fr",
				      "gezd gnbv gy3t qojq gezd gnbv gy3t qojq", &uri),
			 0);
	assert_string_equal(uri, "otpauth://totp/BYOD%20Coll%C3%A8ge%20Jean%20Moulin:"
				 "m.dupont%40ac-x.fr?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
				 "&issuer=BYOD%20Coll%C3%A8ge%20Jean%20Moulin&algorithm=SHA1"
				 "&digits=6&period=30");
	free(uri);
	assert_int_equal(web_totp_uri(NULL, "dsi&co?x=1", "GEZDGNBVGY3TQOJQ", &uri), 0);
	assert_string_equal(uri, "otpauth://totp/BYOD:dsi%26co%3Fx%3D1?secret=GEZDGNBVGY3TQOJQ"
				 "&issuer=BYOD&algorithm=SHA1&digits=6&period=30");
	free(uri);
	uri = (char *)"x";
	assert_int_equal(web_totp_uri("A", "", "GEZDGNBVGY3TQOJQ", &uri), -EINVAL);
	assert_null(uri);
	assert_int_equal(web_totp_uri("A", "a:b", "GEZDGNBVGY3TQOJQ", &uri), -EINVAL);
	assert_int_equal(web_totp_uri("A:B", "ab", "GEZDGNBVGY3TQOJQ", &uri), -EINVAL);
	assert_int_equal(web_totp_uri("A", "a\nb", "GEZDGNBVGY3TQOJQ", &uri), -EINVAL);
	assert_null(uri);
	assert_int_equal(web_totp_uri("A", "ab", "G1", &uri), -EINVAL);
	assert_int_equal(web_totp_uri("A", "ab", NULL, &uri), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base32_vectors),	     cmocka_unit_test(test_base32_refusals),
		cmocka_unit_test(test_hotp_vectors),	     cmocka_unit_test(test_totp_vectors),
		cmocka_unit_test(test_other_implementation), cmocka_unit_test(test_window),
		cmocka_unit_test(test_secret_new),	     cmocka_unit_test(test_uri),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
