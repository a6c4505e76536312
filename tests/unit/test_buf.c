// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the growable buffer and vector of common/: appends and
 * printf across many growths, take and free, ownership after a take, the
 * secret buffer's wiping (clear and truncate zero the old bytes in place;
 * growth and free wipe every block before it goes back to the allocator,
 * seen through explicit_bzero, which this program defines in place of
 * glibc's), and the vector's zeroed slots, ordered delete, typed access,
 * and the same growth on a published struct's own array fields.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byod_buf.h"
#include "byod_vec.h"

/*
 * The test hook: this definition takes the place of glibc's for the whole
 * program (an executable's symbol comes before a shared library's), so
 * every wipe buf.c does is recorded here, while the block is still live.
 */
#define WIPES_MAX 64
static struct {
	const void *p;
	size_t n;
} wipes[WIPES_MAX];
static size_t nwipes;
static const char *watch;  /* a secret that must be gone after each wipe */
static size_t secret_seen; /* wipes whose range still held the secret */

static void note_wipe(const void *s, size_t n)
{
	if (watch && memmem(s, n, watch, strlen(watch)))
		secret_seen++;
	if (nwipes < WIPES_MAX) {
		wipes[nwipes].p = s;
		wipes[nwipes].n = n;
	}
	nwipes++;
}

/* glibc declares the buffer write-only; this one reads it first, on purpose */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
void explicit_bzero(void *s, size_t n)
{
	note_wipe(s, n);
	memset(s, 0, n);
	__asm__ __volatile__("" : : "r"(s) : "memory");
}
#pragma GCC diagnostic pop

static void wipes_reset(const char *secret)
{
	nwipes = 0;
	secret_seen = 0;
	watch = secret;
}

static void test_buf_append(void **state)
{
	struct byod_buf b = BYOD_BUF_INIT;
	size_t i;

	assert_null(b.p);
	assert_int_equal(byod_buf_puts(&b, ""), 0);
	assert_non_null(b.p);
	assert_string_equal(b.p, "");
	for (i = 0; i < 1000; i++)
		assert_int_equal(byod_buf_putc(&b, (char)('a' + i % 26)), 0);
	assert_int_equal(b.len, 1000);
	assert_true(b.cap > b.len);
	assert_int_equal(b.p[1000], '\0');
	assert_int_equal(b.p[0], 'a');
	assert_int_equal(b.p[999], 'a' + 999 % 26);
	assert_int_equal(byod_buf_append(&b, "x\0y", 3), 0);
	assert_int_equal(b.len, 1003);
	assert_memory_equal(b.p + 1000, "x\0y", 4);
	byod_buf_truncate(&b, 2000); /* longer: nothing */
	assert_int_equal(b.len, 1003);
	byod_buf_truncate(&b, 3);
	assert_string_equal(b.p, "abc");
	byod_buf_free(&b);
	assert_null(b.p);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	byod_buf_free(&b); /* twice is fine */
	byod_buf_free(NULL);
	assert_int_equal(byod_buf_reserve(&b, SIZE_MAX), -ENOMEM);
	assert_null(b.p);
}

static void test_buf_printf(void **state)
{
	struct byod_buf b;
	char big[5000];
	size_t i;

	byod_buf_init(&b, 0);
	assert_int_equal(byod_buf_printf(&b, "%d-%s", 42, "x"), 0);
	assert_string_equal(b.p, "42-x");
	/* longer than what is left: the second vsnprintf path */
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(byod_buf_printf(&b, "[%s]", big), 0);
	assert_int_equal(b.len, 4 + 2 + sizeof(big) - 1);
	assert_int_equal(b.p[4], '[');
	assert_int_equal(b.p[b.len - 1], ']');
	assert_int_equal(b.p[b.len], '\0');
	/* many small ones exactly filling the capacity at some point */
	byod_buf_clear(&b);
	for (i = 0; i < 500; i++)
		assert_int_equal(byod_buf_printf(&b, "%03zu;", i), 0);
	assert_int_equal(b.len, 2000);
	assert_memory_equal(b.p + 1996, "499;", 5);
	assert_int_equal(strlen(b.p), b.len);
	byod_buf_free(&b);
}

static void test_buf_take(void **state)
{
	struct byod_buf b = BYOD_BUF_INIT;
	size_t len = 99;
	char *s;

	s = byod_buf_take(&b, &len); /* nothing appended: "" not NULL */
	assert_non_null(s);
	assert_string_equal(s, "");
	assert_int_equal(len, 0);
	free(s);
	assert_int_equal(byod_buf_puts(&b, "hello"), 0);
	s = byod_buf_take(&b, &len);
	assert_string_equal(s, "hello");
	assert_int_equal(len, 5);
	assert_null(b.p);
	assert_int_equal(b.len, 0);
	/* the buffer is reusable and no longer shares the taken block */
	assert_int_equal(byod_buf_puts(&b, "again"), 0);
	assert_ptr_not_equal(b.p, s);
	assert_string_equal(s, "hello");
	free(s);
	s = byod_buf_take(&b, NULL);
	assert_string_equal(s, "again");
	free(s);
	byod_buf_free(&b);
}

static void test_buf_cleanup_attr(void **state)
{
	/* valgrind and ASan see a leak here if the cleanup does not run */
	__attribute__((cleanup(byod_buf_freep))) struct byod_buf b = BYOD_BUF_INIT;

	assert_int_equal(byod_buf_printf(&b, "%s", "freed at the end of the scope"), 0);
}

/* clear and truncate zero the old content in place, before reuse */
static void test_buf_secret_clear(void **state)
{
	static const char secret[] = "correct horse battery staple";
	struct byod_buf b = BYOD_BUF_SECRET_INIT;
	struct byod_buf plain = BYOD_BUF_INIT;
	size_t i, cap;
	char *p;

	assert_int_equal(byod_buf_puts(&b, secret), 0);
	p = b.p;
	cap = b.cap;
	byod_buf_clear(&b);
	assert_ptr_equal(b.p, p); /* the memory is kept for reuse */
	assert_int_equal(b.cap, cap);
	assert_int_equal(b.len, 0);
	for (i = 0; i < sizeof(secret); i++)
		assert_int_equal(p[i], 0);
	assert_int_equal(byod_buf_puts(&b, secret), 0);
	byod_buf_truncate(&b, 7);
	assert_string_equal(b.p, "correct");
	for (i = 7; i < sizeof(secret); i++)
		assert_int_equal(b.p[i], 0);
	byod_buf_free(&b);
	assert_int_equal(b.wipe, 1); /* still a secret buffer after free */

	/* the contrast that shows the test can fail: a plain buffer keeps
	 * the old bytes after clear */
	assert_int_equal(byod_buf_puts(&plain, secret), 0);
	byod_buf_clear(&plain);
	assert_int_equal(plain.p[0], '\0');
	assert_memory_equal(plain.p + 1, secret + 1, sizeof(secret) - 1);
	byod_buf_free(&plain);
}

/* every block a secret buffer gives back to the allocator is wiped first */
static void test_buf_secret_wipe_hook(void **state)
{
	static const char secret[] = "s3cret-passphrase";
	struct byod_buf b = BYOD_BUF_SECRET_INIT;
	struct byod_buf plain = BYOD_BUF_INIT;
	const char *blocks[WIPES_MAX];
	size_t nblocks = 0, i, j;
	char *s;

	wipes_reset(secret);
	for (i = 0; i < 200; i++) {
		assert_int_equal(byod_buf_printf(&b, "%s;", secret), 0);
		if (!nblocks || blocks[nblocks - 1] != b.p) {
			assert_true(nblocks < WIPES_MAX);
			blocks[nblocks++] = b.p;
		}
	}
	assert_true(nblocks >= 4); /* it grew several times */
	byod_buf_free(&b);
	/* one wipe per block: the old ones on growth, the last one on free,
	 * each over the whole block while it still held the secret */
	assert_int_equal(nwipes, nblocks);
	assert_int_equal(secret_seen, nblocks);
	for (i = 0; i < nblocks; i++) {
		for (j = 0; j < nwipes && wipes[j].p != blocks[i]; j++)
			;
		assert_true(j < nwipes);
	}
	assert_true(wipes[nwipes - 1].n >= 200 * sizeof(secret));

	/* a printf that does not fit wipes nothing but the old block */
	wipes_reset(secret);
	assert_int_equal(byod_buf_puts(&b, secret), 0);
	assert_int_equal(byod_buf_printf(&b, "%0200d%s", 0, secret), 0);
	assert_int_equal(nwipes, 1);
	assert_int_equal(b.len, 2 * strlen(secret) + 200);

	/* take hands the block over unwiped: it is the caller's now */
	wipes_reset(NULL);
	s = byod_buf_take(&b, NULL);
	assert_int_equal(nwipes, 0);
	assert_non_null(strstr(s, secret));
	explicit_bzero(s, strlen(s));
	free(s);

	/* a plain buffer wipes nothing */
	wipes_reset(NULL);
	for (i = 0; i < 200; i++)
		assert_int_equal(byod_buf_puts(&plain, secret), 0);
	byod_buf_free(&plain);
	assert_int_equal(nwipes, 0);
	wipes_reset(NULL);
}

struct item {
	int id;
	char name[20];
};

static void test_vec(void **state)
{
	struct byod_vec v = BYOD_VEC_INIT(struct item);
	struct item *it;
	size_t i, n;

	assert_null(BYOD_VEC_AT(&v, struct item, 0));
	for (i = 0; i < 100; i++) {
		it = byod_vec_push(&v);
		assert_non_null(it);
		assert_int_equal(it->id, 0); /* zeroed */
		assert_string_equal(it->name, "");
		it->id = (int)i;
		snprintf(it->name, sizeof(it->name), "n%zu", i);
		/* dirty the slack so that the next push must zero it */
		if (v.cap > v.n)
			memset((char *)v.v + v.n * v.size, 0xff, (v.cap - v.n) * v.size);
	}
	assert_int_equal(v.n, 100);
	assert_int_equal(BYOD_VEC_AT(&v, struct item, 42)->id, 42);
	assert_string_equal(BYOD_VEC_AT(&v, struct item, 99)->name, "n99");
	assert_null(BYOD_VEC_AT(&v, struct item, 100));
	assert_null(BYOD_VEC_AT(&v, int, 0)); /* wrong element type */

	byod_vec_del(&v, 0);
	byod_vec_del(&v, 50); /* was 51 */
	byod_vec_del(&v, v.n - 1);
	byod_vec_del(&v, v.n); /* out of range: nothing */
	assert_int_equal(v.n, 97);
	assert_int_equal(BYOD_VEC_AT(&v, struct item, 0)->id, 1);
	assert_int_equal(BYOD_VEC_AT(&v, struct item, 49)->id, 50);
	assert_int_equal(BYOD_VEC_AT(&v, struct item, 50)->id, 52);
	assert_int_equal(BYOD_VEC_AT(&v, struct item, 96)->id, 98);

	it = byod_vec_take(&v, &n);
	assert_int_equal(n, 97);
	assert_int_equal(it[96].id, 98);
	assert_null(v.v);
	assert_int_equal(v.n, 0);
	assert_int_equal(v.size, sizeof(struct item));
	free(it);
	assert_null(byod_vec_take(&v, &n)); /* empty: NULL, nothing to free */
	assert_int_equal(n, 0);

	assert_non_null(byod_vec_push(&v)); /* reusable after take */
	byod_vec_free(&v);
	assert_null(v.v);
	assert_int_equal(v.size, sizeof(struct item));
	byod_vec_free(&v);
	byod_vec_free(NULL);
}

static void test_vec_limits(void **state)
{
	struct byod_vec v;
	struct byod_vec z = {0};

	byod_vec_init(&v, 1024);
	assert_int_equal(byod_vec_reserve(&v, SIZE_MAX / 512), -ENOMEM); /* size overflow */
	assert_int_equal(byod_vec_reserve(&v, SIZE_MAX), -ENOMEM);
	assert_null(v.v);
	assert_int_equal(byod_vec_reserve(&v, 10), 0);
	assert_int_equal(v.n, 0);
	assert_true(v.cap >= 10);
	byod_vec_free(&v);
	assert_null(byod_vec_push(&z)); /* no element size: refused, not a 0-byte slot */
}

/* the same growth on a published struct's own pointer, count, capacity */
static void test_array_push(void **state)
{
	struct {
		struct item *v;
		size_t n, cap;
	} list = { 0 };
	struct item *it;
	size_t i;

	for (i = 0; i < 40; i++) {
		it = BYOD_ARRAY_PUSH(list.v, list.n, list.cap);
		assert_non_null(it);
		assert_int_equal(it->id, 0);
		it->id = (int)i + 1;
	}
	assert_int_equal(list.n, 40);
	assert_true(list.cap >= 40);
	for (i = 0; i < 40; i++)
		assert_int_equal(list.v[i].id, (int)i + 1);
	free(list.v);
}

static void test_vec_cleanup_attr(void **state)
{
	__attribute__((cleanup(byod_vec_freep))) struct byod_vec v = BYOD_VEC_INIT(long);

	assert_non_null(byod_vec_push(&v));
	*BYOD_VEC_AT(&v, long, 0) = 7;
	assert_int_equal(*BYOD_VEC_AT(&v, long, 0), 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_append),
		cmocka_unit_test(test_buf_printf),
		cmocka_unit_test(test_buf_take),
		cmocka_unit_test(test_buf_cleanup_attr),
		cmocka_unit_test(test_buf_secret_clear),
		cmocka_unit_test(test_buf_secret_wipe_hook),
		cmocka_unit_test(test_vec),
		cmocka_unit_test(test_vec_limits),
		cmocka_unit_test(test_array_push),
		cmocka_unit_test(test_vec_cleanup_attr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
