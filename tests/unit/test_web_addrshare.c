// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the portal's per-client connection count
 * (web/addrshare.c): an IPv6 /64 is one client whatever addresses it
 * picks, IPv4 addresses are counted one by one, an IPv4-mapped IPv6
 * address counts as its IPv4 address, a client cannot take more than its
 * share, its slots come back as its connections close, and the table
 * stays right under churn.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addrshare.h"

/* The key of an address written as text, IPv4 or IPv6. */
static struct web_addr_key key_of(const char *addr, unsigned int prefix)
{
	struct sockaddr_in6 a6;
	struct sockaddr_in a4;
	struct web_addr_key k;

	memset(&a4, 0, sizeof(a4));
	memset(&a6, 0, sizeof(a6));
	if (inet_pton(AF_INET, addr, &a4.sin_addr) == 1) {
		a4.sin_family = AF_INET;
		assert_int_equal(web_addr_key((struct sockaddr *)&a4, sizeof(a4), prefix, &k), 0);
	} else {
		assert_int_equal(inet_pton(AF_INET6, addr, &a6.sin6_addr), 1);
		a6.sin6_family = AF_INET6;
		assert_int_equal(web_addr_key((struct sockaddr *)&a6, sizeof(a6), prefix, &k), 0);
	}
	return k;
}

static int same(const char *a, const char *b, unsigned int prefix)
{
	struct web_addr_key ka = key_of(a, prefix), kb = key_of(b, prefix);

	return !memcmp(&ka, &kb, sizeof(ka));
}

static void test_key(void **state)
{
	struct web_addr_key k;
	struct sockaddr_in6 a6;
	struct sockaddr_un {
		sa_family_t family;
		char path[20];
	} un = {AF_UNIX, "/tmp/x"};
	char s[64];

	(void)state;
	/* one /64: any interface identifier, privacy addresses included */
	assert_true(same("2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:fffe", 64));
	assert_true(same("2001:db8:1:2::1", "2001:db8:1:2:a1b2:c3d4:e5f6:789", 64));
	/* the next /64 is another client */
	assert_false(same("2001:db8:1:2::1", "2001:db8:1:3::1", 64));
	assert_false(same("2001:db8:1:2::1", "2001:db9:1:2::1", 64));
	/* a prefix that is not a multiple of 8 */
	assert_true(same("2001:db8:1:20::1", "2001:db8:1:2f::1", 60));
	assert_false(same("2001:db8:1:20::1", "2001:db8:1:30::1", 60));
	/* /128: single addresses, as a network that checks its neighbours may want */
	assert_false(same("2001:db8::1", "2001:db8::2", 128));
	/* IPv4 addresses one by one, even next to each other */
	assert_false(same("127.0.1.1", "127.0.1.2", 64));
	assert_true(same("192.0.2.7", "192.0.2.7", 64));
	/* a v4-mapped address is its IPv4 address, not the /64 ::ffff:0:0/64 */
	assert_true(same("::ffff:192.0.2.7", "192.0.2.7", 64));
	assert_false(same("::ffff:192.0.2.7", "::ffff:192.0.2.8", 64));
	/* IPv4 and IPv6 never meet */
	assert_false(same("0.0.0.1", "::1", 64));

	k = key_of("2001:db8:1:2:a1b2:c3d4:e5f6:789", 64);
	web_addr_key_str(&k, 64, s, sizeof(s));
	assert_string_equal(s, "2001:db8:1:2::/64");
	k = key_of("::ffff:192.0.2.7", 64);
	web_addr_key_str(&k, 64, s, sizeof(s));
	assert_string_equal(s, "192.0.2.7");

	/* refusals */
	memset(&a6, 0, sizeof(a6));
	a6.sin6_family = AF_INET6;
	assert_int_equal(web_addr_key((struct sockaddr *)&a6, sizeof(a6), 0, &k), -EINVAL);
	assert_int_equal(web_addr_key((struct sockaddr *)&a6, sizeof(a6), 129, &k), -EINVAL);
	assert_int_equal(web_addr_key((struct sockaddr *)&a6, sizeof(struct sockaddr_in), 64, &k),
			 -EINVAL);
	assert_int_equal(web_addr_key((struct sockaddr *)&un, sizeof(un), 64, &k), -EAFNOSUPPORT);
	assert_int_equal(web_addr_key(NULL, 0, 64, &k), -EINVAL);
}

/* A single /64 cannot take more than its share, whatever addresses it
 * uses, and others keep theirs. */
static void test_share_per_64(void **state)
{
	struct web_addr_share *t;
	struct web_addr_key k, other;
	char addr[64];
	unsigned int i;

	(void)state;
	assert_int_equal(web_addr_share_new(64, &t), 0);
	for (i = 0; i < 16; i++) {
		snprintf(addr, sizeof(addr), "2001:db8:5c:1:%x::%x", i * 7 + 1, i + 1);
		k = key_of(addr, 64);
		assert_int_equal(web_addr_share_take(t, &k, 16), 0);
	}
	assert_int_equal(web_addr_share_count(t, &k), 16);
	assert_int_equal(web_addr_share_clients(t), 1);
	/* the 17th from any other address of the same /64 is refused */
	for (i = 0; i < 100; i++) {
		snprintf(addr, sizeof(addr), "2001:db8:5c:1:beef:%x::1", i);
		k = key_of(addr, 64);
		assert_int_equal(web_addr_share_take(t, &k, 16), -EBUSY);
	}
	assert_int_equal(web_addr_share_count(t, &k), 16);
	/* the neighbouring /64 has its own share */
	other = key_of("2001:db8:5c:2::1", 64);
	for (i = 0; i < 16; i++)
		assert_int_equal(web_addr_share_take(t, &other, 16), 0);
	assert_int_equal(web_addr_share_take(t, &other, 16), -EBUSY);
	/* one connection closes: one more is let in, not two */
	web_addr_share_drop(t, &k);
	assert_int_equal(web_addr_share_count(t, &k), 15);
	k = key_of("2001:db8:5c:1::abcd", 64);
	assert_int_equal(web_addr_share_take(t, &k, 16), 0);
	assert_int_equal(web_addr_share_take(t, &k, 16), -EBUSY);
	/* all closed: the client is forgotten */
	for (i = 0; i < 16; i++)
		web_addr_share_drop(t, &k);
	assert_int_equal(web_addr_share_count(t, &k), 0);
	assert_int_equal(web_addr_share_clients(t), 1);
	/* a drop for a key that holds nothing changes nothing */
	web_addr_share_drop(t, &k);
	assert_int_equal(web_addr_share_count(t, &other), 16);
	web_addr_share_free(t);
	web_addr_share_free(NULL);
}

/* max_keys clients at most; a limit of 0 lets nobody in. */
static void test_share_full(void **state)
{
	struct web_addr_share *t;
	struct web_addr_key k;
	char addr[32];
	unsigned int i;

	(void)state;
	assert_int_equal(web_addr_share_new(0, &t), -EINVAL);
	assert_null(t);
	assert_int_equal(web_addr_share_new(8, &t), 0);
	for (i = 0; i < 8; i++) {
		snprintf(addr, sizeof(addr), "10.0.0.%u", i + 1);
		k = key_of(addr, 64);
		assert_int_equal(web_addr_share_take(t, &k, 4), 0);
	}
	k = key_of("10.0.0.99", 64);
	assert_int_equal(web_addr_share_take(t, &k, 4), -ENOSPC);
	k = key_of("10.0.0.1", 64);
	assert_int_equal(web_addr_share_take(t, &k, 4), 0); /* a known client still counts */
	web_addr_share_drop(t, &k);
	web_addr_share_drop(t, &k);
	k = key_of("10.0.0.99", 64);
	assert_int_equal(web_addr_share_take(t, &k, 4), 0);
	assert_int_equal(web_addr_share_take(t, &k, 0), -EBUSY);
	k = key_of("10.0.0.100", 64);
	assert_int_equal(web_addr_share_take(t, &k, 0), -EBUSY);
	web_addr_share_free(t);
}

/* Many clients coming and going in a random order: every count stays what
 * a plain array says it is (the backward-shift deletion moves entries). */
static void test_share_churn(void **state)
{
	enum { CLIENTS = 700, STEPS = 200000 };
	static unsigned int model[CLIENTS];
	struct web_addr_share *t;
	struct web_addr_key k;
	unsigned int i, n, r = 12345, held = 0;
	char addr[64];

	(void)state;
	assert_int_equal(web_addr_share_new(CLIENTS, &t), 0);
	for (n = 0; n < STEPS; n++) {
		r = r * 1103515245u + 12345u;
		i = (r >> 8) % CLIENTS;
		snprintf(addr, sizeof(addr), "2001:db8:%x:%x::%x", i / 97, i % 97, r & 0xffff);
		k = key_of(addr, 64);
		if ((r >> 20) & 1) {
			int rc = web_addr_share_take(t, &k, 3);

			assert_int_equal(rc, model[i] < 3 ? 0 : -EBUSY);
			if (!rc)
				model[i]++;
		} else {
			web_addr_share_drop(t, &k);
			if (model[i])
				model[i]--;
		}
		if (n % 997 == 0)
			for (held = 0, i = 0; i < CLIENTS; i++) {
				snprintf(addr, sizeof(addr), "2001:db8:%x:%x::", i / 97, i % 97);
				k = key_of(addr, 64);
				assert_int_equal(web_addr_share_count(t, &k), model[i]);
				held += model[i] != 0;
			}
	}
	for (held = 0, i = 0; i < CLIENTS; i++)
		held += model[i] != 0;
	assert_int_equal(web_addr_share_clients(t), held);
	web_addr_share_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key),
		cmocka_unit_test(test_share_per_64),
		cmocka_unit_test(test_share_full),
		cmocka_unit_test(test_share_churn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
