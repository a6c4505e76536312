// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the $y$ setting parser of registry/yescrypt.c: the
 * stored hashes it reads come from the registry and from imported
 * directories. Checked independently of the code: a setting is either
 * refused with -ENOTSUP or is "$y$" and parameters, a '$', a salt whose
 * decoded bytes encode back to exactly its characters, then the end or a
 * '$'; N a power of two of at least 4, the region within its bound. And
 * against libxcrypt: a setting accepted with a small region (at most
 * 256 KiB, a fraction of a millisecond) gives crypt_rn's very string, and
 * crypt_rn never refuses one that is accepted.
 */
#define _GNU_SOURCE
#include <crypt.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "yescrypt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char itoa64[] = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/* The salt's bytes encoded again: 3 bytes to 4 characters, least
 * significant 6 bits first; 1 or 2 bytes left give 2 or 3. */
static size_t encode(const uint8_t *b, size_t n, char *out)
{
	size_t i, o = 0;

	for (i = 0; i < n; i += 3) {
		uint32_t v = b[i], chars = 2, k;

		if (i + 1 < n) {
			v |= (uint32_t)b[i + 1] << 8;
			chars = 3;
		}
		if (i + 2 < n) {
			v |= (uint32_t)b[i + 2] << 16;
			chars = 4;
		}
		for (k = 0; k < chars; k++, v >>= 6)
			out[o++] = itoa64[v & 63];
	}
	out[o] = '\0';
	return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct crypt_data cd;
	struct reg_yescrypt_setting st;
	char *in, salt[128], out[256];
	const char *s, *ref;
	size_t n;
	int rc;

	if (size > 400)
		return 0;
	in = malloc(size + 1);
	if (!in)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	rc = reg_yescrypt_parse(in, &st);
	if (rc) {
		if (rc != -ENOTSUP)
			abort();
		goto out;
	}
	if (strncmp(in, "$y$", 3) || st.prefix_len > strlen(in) ||
	    (in[st.prefix_len] != '\0' && in[st.prefix_len] != '$'))
		abort();
	if (st.N < 4 || (st.N & (st.N - 1)) || !st.r ||
	    (uint64_t)128 * st.r * st.N > REG_YESCRYPT_MAX_REGION)
		abort();
	if (st.salt_len < 1 || st.salt_len > 64)
		abort();
	s = strchr(in + 3, '$');
	if (!s || (size_t)(s + 1 - in) > st.prefix_len)
		abort();
	s++;
	n = encode(st.salt, st.salt_len, salt);
	if (n != st.prefix_len - (size_t)(s - in) || memcmp(salt, s, n))
		abort();

	if ((uint64_t)128 * st.r * st.N <= 256 * 1024) {
		memset(&cd, 0, sizeof(cd));
		ref = crypt_rn("fuzz", in, &cd, sizeof(cd));
		if (!ref || ref[0] == '*')
			abort(); /* accepted here, refused by libxcrypt */
		if (reg_yescrypt_crypt("fuzz", 4, in, out, sizeof(out)) || strcmp(out, ref))
			abort();
	}
out:
	free(in);
	return 0;
}
