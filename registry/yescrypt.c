// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * yescrypt for the $y$ hashes of the registry, written for one flavour: the
 * one libxcrypt's crypt_gensalt("$y$") asks for (YESCRYPT_DEFAULTS: RW,
 * pwxform with 3 S-boxes of 256 x 16 bytes, 6 rounds, 4 gathers, 2 simple
 * lanes; p = 1, t = 0, no ROM), so that a login proves a stored hash
 * without libxcrypt mapping and unmapping 16 MiB on every call (4,103
 * page faults a hash at cost 5, a third of its CPU in the kernel): each
 * thread keeps its region from one hash to the next and frees it at its
 * exit. The region is wiped after each use, since a block left in it would
 * let a guess be checked for the price of one PBKDF2 instead of a yescrypt.
 *
 * The computation follows the yescrypt specification (Openwall, 2018):
 *   prehash (N >= 256 and N r >= 2^17): password <- kdf(password, N / 64)
 *   kdf: P = HMAC-SHA256("yescrypt", password), B = PBKDF2(P, salt, 1, 128 r),
 *        P = B[0..31]; SMix(B) (S-boxes from B, P = HMAC(B's last 64 bytes,
 *        P)); k = PBKDF2(P, B, 1, 32); hash = SHA256(HMAC(k, "Client Key"))
 * with the 64-byte sub-blocks kept as the reference keeps them (word i of a
 * block at position i * 5 mod 16), which pwxform's lanes depend on.
 * Little-endian hosts only; elsewhere every setting is -ENOTSUP.
 */
#define _GNU_SOURCE
#include "yescrypt.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define SBOX_BYTES 4096 /* 256 rows of 2 x 64 bits */
#define S_BYTES	   (3 * SBOX_BYTES)
#define S_MASK	   0xff0u /* a row's byte offset within a box */
#define FLAVOUR	   47	  /* YESCRYPT_DEFAULTS (0xb6) as $y$ encodes it: 'j' */

static const char itoa64[] = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/* ---- the $y$ string ---- */

static int atoi64(unsigned char c)
{
	if (c == '.' || c == '/')
		return c - '.';
	if (c >= '0' && c <= '9')
		return c - '0' + 2;
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 12;
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 38;
	return -1;
}

/*
 * One of the setting's variable-length numbers: the first character says
 * how many follow (0..47: none, 48..55: one, 56..59: two...), each range
 * counting on from the one before it. Longer than three characters is
 * never a parameter we compute. Returns the characters read, or 0.
 */
static size_t decode_uint(const char *s, uint32_t min, uint64_t *out)
{
	uint64_t v = min;
	uint32_t start = 0, end = 47, chars = 1, bits = 0, i;
	int c = atoi64((unsigned char)s[0]);

	if (c < 0)
		return 0;
	while ((uint32_t)c > end) {
		v += (uint64_t)(end + 1 - start) << bits;
		start = end + 1;
		end = start + (62 - end) / 2;
		chars++;
		bits += 6;
	}
	if (chars > 3)
		return 0;
	v += (uint64_t)((uint32_t)c - start) << bits;
	for (i = 1; i < chars; i++) {
		c = atoi64((unsigned char)s[i]);
		if (c < 0)
			return 0;
		bits -= 6;
		v += (uint64_t)c << bits;
	}
	*out = v;
	return chars;
}

/*
 * The salt: groups of four characters, 6 bits each from the least
 * significant, giving three bytes; a last group of two or three gives one
 * or two, its unused high bits zero. At most 64 bytes, at least one.
 */
static int decode_salt(const char *s, size_t n, uint8_t *out, size_t *len)
{
	size_t at = 0, o = 0;

	if (!n)
		return -1;
	while (at < n) {
		size_t g = n - at < 4 ? n - at : 4, bytes, i;
		uint32_t v = 0;

		if (g == 1)
			return -1;
		for (i = 0; i < g; i++) {
			int c = atoi64((unsigned char)s[at + i]);

			if (c < 0)
				return -1;
			v |= (uint32_t)c << (6 * i);
		}
		bytes = g * 6 / 8;
		if (o + bytes > 64 || (bytes < 3 && v >> (8 * bytes)))
			return -1;
		for (i = 0; i < bytes; i++)
			out[o++] = (uint8_t)(v >> (8 * i));
		at += g;
	}
	*len = o;
	return 0;
}

int reg_yescrypt_parse(const char *setting, struct reg_yescrypt_setting *out)
{
	const char *p, *salt, *end;
	uint64_t flavour, nlog2, r;
	size_t n, i;

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
	return -ENOTSUP;
#endif
	if (!setting || strncmp(setting, "$y$", 3))
		return -ENOTSUP;
	p = setting + 3;
	if (!(n = decode_uint(p, 0, &flavour)) || flavour != FLAVOUR)
		return -ENOTSUP;
	p += n;
	if (!(n = decode_uint(p, 1, &nlog2)) || nlog2 < 2 || nlog2 > 31)
		return -ENOTSUP;
	p += n;
	if (!(n = decode_uint(p, 1, &r)) || r < 1 || r > 4096)
		return -ENOTSUP;
	p += n;
	/* Anything more (p, t, g, a ROM) is left to libxcrypt. */
	if (*p++ != '$')
		return -ENOTSUP;
	salt = p;
	while (*p && *p != '$')
		p++;
	end = p;
	/* What follows the salt's '$' (a hash) takes no part: base-64 only,
	 * so that the salt ends at the string's last '$' as libxcrypt reads it. */
	if (*p == '$') {
		for (i = 1; p[i]; i++)
			if (i > 64 || atoi64((unsigned char)p[i]) < 0)
				return -ENOTSUP;
	}
	out->N = (uint64_t)1 << nlog2;
	out->r = (uint32_t)r;
	if ((uint64_t)128 * out->r * out->N > REG_YESCRYPT_MAX_REGION)
		return -ENOTSUP;
	if (decode_salt(salt, (size_t)(end - salt), out->salt, &out->salt_len))
		return -ENOTSUP;
	out->prefix_len = (size_t)(end - setting);
	return 0;
}

/* ---- the core ---- */

typedef union {
	uint32_t w[16];
	uint64_t d[8];
} blk;

struct sbox {
	uint8_t *s0, *s1, *s2;
	size_t w;
};

static inline void blk_xor(blk *a, const blk *b)
{
	int i;

	for (i = 0; i < 8; i++)
		a->d[i] ^= b->d[i];
}

#define ROTL(a, b) (((a) << (b)) | ((a) >> (32 - (b))))
#define QR(a, b, c, d)                                                                             \
	do {                                                                                       \
		x[b] ^= ROTL(x[a] + x[d], 7);                                                      \
		x[c] ^= ROTL(x[b] + x[a], 9);                                                      \
		x[d] ^= ROTL(x[c] + x[b], 13);                                                     \
		x[a] ^= ROTL(x[d] + x[c], 18);                                                     \
	} while (0)

/* b <- b + Salsa20 core(b), doublerounds of it, b in the kept order. */
static void salsa20(blk *b, int doublerounds)
{
	uint32_t x[16];
	int i;

	for (i = 0; i < 16; i++)
		x[i * 5 % 16] = b->w[i];
	while (doublerounds--) {
		QR(0, 4, 8, 12);
		QR(5, 9, 13, 1);
		QR(10, 14, 2, 6);
		QR(15, 3, 7, 11);
		QR(0, 1, 2, 3);
		QR(5, 6, 7, 4);
		QR(10, 11, 8, 9);
		QR(15, 12, 13, 14);
	}
	for (i = 0; i < 16; i++)
		b->w[i] += x[i * 5 % 16];
}

/* scrypt's BlockMix with Salsa20/8 (only for filling the S-boxes). */
static void blockmix_salsa8(const blk *in, blk *out, size_t r)
{
	blk x = in[2 * r - 1];
	size_t i;

	for (i = 0; i < 2 * r; i++) {
		blk_xor(&x, &in[i]);
		salsa20(&x, 4);
		out[(i & 1) ? r + i / 2 : i / 2] = x;
	}
}

/* yescrypt's BlockMix: out <- BlockMix_pwxform(in ^ in2) (in2 may be NULL;
 * out may be in): pwxform chained over the sub-blocks, Salsa20/2 on the
 * last one. */
#if defined(__SSE2__)
/* The same with the sub-block in four registers from start to end: a lane
 * pair's pwxform, a round of the four pairs, a write of the four into S2. */
#define PWX_PAIR(X)                                                                                \
	do {                                                                                       \
		uint64_t a_ = (uint64_t)_mm_cvtsi128_si64(X);                                      \
		__m128i m_ = _mm_mul_epu32(_mm_shuffle_epi32(X, 0xb1), X);                         \
		m_ = _mm_add_epi64(m_, *(const __m128i *)(s0 + ((uint32_t)a_ & S_MASK)));          \
		X = _mm_xor_si128(m_, *(const __m128i *)(s1 + ((uint32_t)(a_ >> 32) & S_MASK)));   \
	} while (0)
#define PWX_ROUND                                                                                  \
	do {                                                                                       \
		PWX_PAIR(x0);                                                                      \
		PWX_PAIR(x1);                                                                      \
		PWX_PAIR(x2);                                                                      \
		PWX_PAIR(x3);                                                                      \
	} while (0)
#define PWX_WRITE                                                                                  \
	do {                                                                                       \
		__m128i *d_ = (__m128i *)(s2 + w);                                                 \
		d_[0] = x0;                                                                        \
		d_[1] = x1;                                                                        \
		d_[2] = x2;                                                                        \
		d_[3] = x3;                                                                        \
		w += 64;                                                                           \
	} while (0)

static void blockmix_pwx(const blk *in, const blk *in2, blk *out, size_t r, struct sbox *sb)
{
	uint8_t *s0 = sb->s0, *s1 = sb->s1, *s2 = sb->s2, *t;
	size_t w = sb->w, last = 2 * r - 1, i;
	const __m128i *p = (const __m128i *)&in[last];
	__m128i x0 = p[0], x1 = p[1], x2 = p[2], x3 = p[3], *o;
	blk x;

	if (in2) {
		p = (const __m128i *)&in2[last];
		x0 = _mm_xor_si128(x0, p[0]);
		x1 = _mm_xor_si128(x1, p[1]);
		x2 = _mm_xor_si128(x2, p[2]);
		x3 = _mm_xor_si128(x3, p[3]);
	}
	for (i = 0;; i++) {
		p = (const __m128i *)&in[i];
		x0 = _mm_xor_si128(x0, p[0]);
		x1 = _mm_xor_si128(x1, p[1]);
		x2 = _mm_xor_si128(x2, p[2]);
		x3 = _mm_xor_si128(x3, p[3]);
		if (in2) {
			p = (const __m128i *)&in2[i];
			x0 = _mm_xor_si128(x0, p[0]);
			x1 = _mm_xor_si128(x1, p[1]);
			x2 = _mm_xor_si128(x2, p[2]);
			x3 = _mm_xor_si128(x3, p[3]);
		}
		/* 6 rounds, rounds 2 to 5 written; then the boxes turn */
		PWX_ROUND;
		PWX_ROUND;
		PWX_WRITE;
		PWX_ROUND;
		PWX_WRITE;
		PWX_ROUND;
		PWX_WRITE;
		PWX_ROUND;
		PWX_WRITE;
		PWX_ROUND;
		w &= S_MASK;
		t = s2;
		s2 = s1;
		s1 = s0;
		s0 = t;
		if (i == last)
			break;
		o = (__m128i *)&out[i];
		o[0] = x0;
		o[1] = x1;
		o[2] = x2;
		o[3] = x3;
	}
	sb->s0 = s0;
	sb->s1 = s1;
	sb->s2 = s2;
	sb->w = w;
	o = (__m128i *)&x;
	o[0] = x0;
	o[1] = x1;
	o[2] = x2;
	o[3] = x3;
	salsa20(&x, 1);
	out[last] = x;
}
#else
/*
 * pwxform on one 64-byte sub-block: 6 rounds over its 4 pairs of 64-bit
 * lanes, each lane x <- (hi(x) * lo(x) + S0[row]) ^ S1[row'], the rows
 * chosen by the pair's first lane; rounds 2 to 5 write the sub-block into
 * S2 at w, and the boxes turn (S0, S1, S2) <- (S2, S0, S1).
 */
static void pwxform(blk *x, struct sbox *sb)
{
	const uint8_t *s0 = sb->s0, *s1 = sb->s1;
	uint8_t *s2 = sb->s2;
	size_t w = sb->w;
	int round, j;

	for (round = 0; round < 6; round++) {
		for (j = 0; j < 4; j++) {
			uint64_t a = x->d[2 * j], b = x->d[2 * j + 1];
			const uint64_t *p0 = (const uint64_t *)(s0 + ((uint32_t)a & S_MASK));
			const uint64_t *p1 =
				(const uint64_t *)(s1 + ((uint32_t)(a >> 32) & S_MASK));

			x->d[2 * j] = ((a >> 32) * (uint32_t)a + p0[0]) ^ p1[0];
			x->d[2 * j + 1] = ((b >> 32) * (uint32_t)b + p0[1]) ^ p1[1];
		}
		if (round >= 1 && round <= 4) {
			memcpy(s2 + w, x, 64);
			w += 64;
		}
	}
	sb->w = w & S_MASK;
	sb->s0 = s2;
	sb->s1 = (uint8_t *)s0;
	sb->s2 = (uint8_t *)s1;
}

static void blockmix_pwx(const blk *in, const blk *in2, blk *out, size_t r, struct sbox *sb)
{
	size_t last = 2 * r - 1, i;
	blk x = in[last];

	if (in2)
		blk_xor(&x, &in2[last]);
	for (i = 0;; i++) {
		blk_xor(&x, &in[i]);
		if (in2)
			blk_xor(&x, &in2[i]);
		pwxform(&x, sb);
		if (i == last)
			break;
		out[i] = x;
	}
	salsa20(&x, 1);
	out[last] = x;
}

#endif

static inline uint32_t integerify(const blk *b, size_t r)
{
	return b[2 * r - 1].w[0];
}

/* bytes (little-endian words) to blocks in the kept order, and back */
static void blocks_in(const uint8_t *src, blk *dst, size_t r)
{
	size_t k;
	int i;

	for (k = 0; k < 2 * r; k++) {
		uint32_t w[16];

		memcpy(w, src + 64 * k, 64);
		for (i = 0; i < 16; i++)
			dst[k].w[i] = w[i * 5 % 16];
	}
}

static void blocks_out(const blk *src, uint8_t *dst, size_t r)
{
	size_t k;
	int i;

	for (k = 0; k < 2 * r; k++) {
		uint32_t w[16];

		for (i = 0; i < 16; i++)
			w[i * 5 % 16] = src[k].w[i];
		memcpy(dst + 64 * k, w, 64);
	}
}

/* SMix1: V_i <- X; X <- H(X ^ V_wrap(integerify(X), i)) when i > 1 and sb
 * (read-write), H(X) otherwise; sb NULL is scrypt's Salsa20/8 BlockMix. */
static void smix1(uint8_t *b, size_t r, uint64_t n, blk *v, blk *x, struct sbox *sb)
{
	size_t s = 2 * r;
	uint64_t i;

	blocks_in(b, v, r);
	for (i = 0; i < n; i++) {
		blk *cur = &v[i * s], *dst = i == n - 1 ? x : &v[(i + 1) * s];

		if (!sb) {
			blockmix_salsa8(cur, dst, r);
		} else if (i > 1) {
			uint64_t p2 = (uint64_t)1 << (63 - __builtin_clzll(i));
			uint64_t j = (integerify(cur, r) & (p2 - 1)) + (i - p2);

			blockmix_pwx(cur, &v[j * s], dst, r, sb);
		} else {
			blockmix_pwx(cur, NULL, dst, r, sb);
		}
	}
	blocks_out(x, b, r);
}

/* SMix2, read-write: X ^= V_j; V_j <- X; X <- H(X), j from X, n a power of 2. */
static void smix2(uint8_t *b, size_t r, uint64_t n, uint64_t loops, blk *v, blk *x, struct sbox *sb)
{
	size_t s = 2 * r, k;
	uint64_t i;

	blocks_in(b, x, r);
	for (i = 0; i < loops; i++) {
		blk *vj = &v[(integerify(x, r) & (n - 1)) * s];

		for (k = 0; k < s; k++) {
			blk_xor(&x[k], &vj[k]);
			vj[k] = x[k];
		}
		blockmix_pwx(x, NULL, x, r, sb);
	}
	blocks_out(x, b, r);
}

struct region {
	uint8_t *base;
	size_t size;
};

/* Where each part lies in a region of at least region_need(r, n) bytes. */
static size_t region_need(size_t r, uint64_t n)
{
	return (size_t)(128 * r * n + 128 * r + 256 * r + S_BYTES);
}

/* One yescrypt pass (the prehash when prehash): 32 bytes into out. */
static int kdf_body(const uint8_t *pw, size_t pwlen, const uint8_t *salt, size_t saltlen,
		    uint64_t n, size_t r, int prehash, uint8_t *base, uint8_t out[32])
{
	blk *v = (blk *)base;
	uint8_t *b = base + 128 * r * n;
	blk *x = (blk *)(b + 128 * r);
	uint8_t *s = (uint8_t *)x + 256 * r;
	struct sbox sb;
	uint8_t p[32], ck[32];
	uint64_t loops;
	unsigned int len = 0;
	int ok;

	ok = HMAC(EVP_sha256(), prehash ? "yescrypt-prehash" : "yescrypt", prehash ? 16 : 8, pw,
		  pwlen, p, &len) != NULL &&
	     PKCS5_PBKDF2_HMAC((const char *)p, 32, salt, (int)saltlen, 1, EVP_sha256(),
			       (int)(128 * r), b);
	if (!ok)
		goto out;
	memcpy(p, b, 32);

	/* S-boxes from SMix1 with Salsa20/8 over B's first 128 bytes */
	smix1(b, 1, S_BYTES / 128, (blk *)s, x, NULL);
	sb.s2 = s;
	sb.s1 = s + SBOX_BYTES;
	sb.s0 = s + 2 * SBOX_BYTES;
	sb.w = 0;
	ok = HMAC(EVP_sha256(), b + 128 * r - 64, 64, p, 32, ck, &len) != NULL;
	if (!ok)
		goto out;
	memcpy(p, ck, 32);

	/* t = 0: SMix2 runs a third of N, rounded up to even */
	loops = (n + 2) / 3;
	loops = (loops + 1) & ~(uint64_t)1;
	smix1(b, r, n, v, x, &sb);
	smix2(b, r, n, loops, v, x, &sb);

	ok = PKCS5_PBKDF2_HMAC((const char *)p, 32, b, (int)(128 * r), 1, EVP_sha256(), 32, out);
	if (ok && !prehash) {
		ok = HMAC(EVP_sha256(), out, 32, (const unsigned char *)"Client Key", 10, ck,
			  &len) != NULL &&
		     SHA256(ck, 32, out) != NULL;
	}
out:
	OPENSSL_cleanse(p, sizeof(p));
	OPENSSL_cleanse(ck, sizeof(ck));
	return ok ? 0 : -EIO;
}

/* ---- the thread's region ---- */

static pthread_key_t region_key;
static pthread_once_t region_once = PTHREAD_ONCE_INIT;
static int region_key_ok;

static void region_free(void *arg)
{
	struct region *rg = arg;

	free(rg->base);
	free(rg);
}

static void region_key_make(void)
{
	region_key_ok = !pthread_key_create(&region_key, region_free);
}

/* The calling thread's region, grown to need bytes; NULL without memory. */
static struct region *region_get(size_t need)
{
	struct region *rg;

	pthread_once(&region_once, region_key_make);
	if (!region_key_ok)
		return NULL;
	rg = pthread_getspecific(region_key);
	if (!rg) {
		rg = calloc(1, sizeof(*rg));
		if (!rg)
			return NULL;
		if (pthread_setspecific(region_key, rg)) {
			free(rg);
			return NULL;
		}
	}
	if (rg->size < need) {
		size_t sz = (need + 4095) & ~(size_t)4095;

		free(rg->base);
		rg->size = 0;
		rg->base = aligned_alloc(64, sz);
		if (!rg->base)
			return NULL;
		rg->size = sz;
	}
	return rg;
}

size_t reg_yescrypt_region_size(void)
{
	struct region *rg;

	pthread_once(&region_once, region_key_make);
	if (!region_key_ok)
		return 0;
	rg = pthread_getspecific(region_key);
	return rg ? rg->size : 0;
}

void reg_yescrypt_release(void)
{
	struct region *rg;

	pthread_once(&region_once, region_key_make);
	if (!region_key_ok)
		return;
	rg = pthread_getspecific(region_key);
	if (rg) {
		pthread_setspecific(region_key, NULL);
		region_free(rg);
	}
}

/* The crypt(3) string into out; its length (public: the setting's) in *n. */
static int crypt_len(const char *password, size_t len, const char *setting, char *out, size_t size,
		     size_t *n)
{
	struct reg_yescrypt_setting st;
	struct region *rg;
	uint8_t dk[32], hash[32];
	const uint8_t *pw = (const uint8_t *)password;
	size_t pwlen = len, need, i, o;
	int rc;

	rc = reg_yescrypt_parse(setting, &st);
	if (rc)
		return rc;
	if (size < st.prefix_len + 1 + 43 + 1)
		return -ERANGE;
	need = region_need(st.r, st.N);
	rg = region_get(need);
	if (!rg)
		return -ENOMEM;
	/* The prehash: a pass at N / 64 whose output is the password. */
	if (st.N >= 0x100 && st.N * st.r >= 0x20000) {
		rc = kdf_body(pw, pwlen, st.salt, st.salt_len, st.N >> 6, st.r, 1, rg->base, dk);
		if (rc)
			goto out;
		pw = dk;
		pwlen = sizeof(dk);
	}
	rc = kdf_body(pw, pwlen, st.salt, st.salt_len, st.N, st.r, 0, rg->base, hash);
	if (rc)
		goto out;

	memcpy(out, setting, st.prefix_len);
	o = st.prefix_len;
	out[o++] = '$';
	for (i = 0; i < sizeof(hash); i += 3) {
		uint32_t v = hash[i], bits = 8, k;

		if (i + 1 < sizeof(hash)) {
			v |= (uint32_t)hash[i + 1] << 8;
			bits += 8;
		}
		if (i + 2 < sizeof(hash)) {
			v |= (uint32_t)hash[i + 2] << 16;
			bits += 8;
		}
		for (k = 0; k < bits; k += 6) {
			out[o++] = itoa64[v & 63];
			v >>= 6;
		}
	}
	out[o] = '\0';
	*n = o;
out:
	explicit_bzero(rg->base, need);
	OPENSSL_cleanse(dk, sizeof(dk));
	OPENSSL_cleanse(hash, sizeof(hash));
	return rc;
}

int reg_yescrypt_crypt(const char *password, size_t len, const char *setting, char *out,
		       size_t size)
{
	size_t n;

	return crypt_len(password, len, setting, out, size, &n);
}

int reg_yescrypt_hash_equal(const char *computed, size_t len, const char *stored)
{
	if (strlen(stored) != len)
		return 0;
	return CRYPTO_memcmp(computed, stored, len) == 0;
}

int reg_yescrypt_verify(const char *password, size_t len, const char *hash)
{
	char out[256];
	size_t n = 0;
	int rc;

	rc = crypt_len(password, len, hash, out, sizeof(out), &n);
	if (!rc && !reg_yescrypt_hash_equal(out, n, hash))
		rc = -EACCES;
	explicit_bzero(out, sizeof(out));
	return rc;
}
