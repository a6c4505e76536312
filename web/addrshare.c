// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The connections each client holds (addrshare.h): the client's key from
 * its socket address (IPv4 whole, IPv6 cut to a prefix), and a count per
 * key in an open-addressing table (linear probing, deletion by backward
 * shift, so no tombstones pile up under churn). The table is at most half
 * full, so a lookup ends at an empty slot after a short run whatever the
 * keys.
 */
#include "addrshare.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct slot {
	struct web_addr_key key;
	unsigned int count; /* 0: empty */
};

struct web_addr_share {
	struct slot *slots;
	size_t mask; /* slots - 1, a power of two less one */
	size_t used;
	size_t max_keys;
};

int web_addr_key(const struct sockaddr *sa, socklen_t len, unsigned int v6_prefix,
		 struct web_addr_key *key)
{
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	const unsigned char *a;
	unsigned int i;

	memset(key, 0, sizeof(*key));
	if (!sa || len < (socklen_t)sizeof(sa->sa_family))
		return -EINVAL;
	if (sa->sa_family == AF_INET) {
		if (len < (socklen_t)sizeof(struct sockaddr_in))
			return -EINVAL;
		key->family = 4;
		memcpy(key->bits, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family != AF_INET6)
		return -EAFNOSUPPORT;
	if (len < (socklen_t)sizeof(struct sockaddr_in6) || v6_prefix < 1 || v6_prefix > 128)
		return -EINVAL;
	a = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;
	if (!memcmp(a, mapped, sizeof(mapped))) {
		key->family = 4;
		memcpy(key->bits, a + 12, 4);
		return 0;
	}
	key->family = 6;
	for (i = 0; i < v6_prefix / 8; i++)
		key->bits[i] = a[i];
	if (v6_prefix % 8)
		key->bits[i] = a[i] & (unsigned char)(0xff00 >> (v6_prefix % 8));
	return 0;
}

void web_addr_key_str(const struct web_addr_key *key, unsigned int v6_prefix, char *out, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (!len)
		return;
	if (key->family == 4 && inet_ntop(AF_INET, key->bits, a, sizeof(a)))
		snprintf(out, len, "%s", a);
	else if (key->family == 6 && inet_ntop(AF_INET6, key->bits, a, sizeof(a)))
		snprintf(out, len, "%s/%u", a, v6_prefix);
	else
		snprintf(out, len, "?");
}

/* FNV-1a over the key: the table being at most half full bounds the probe
 * runs, so a hash an attacker could aim at costs little. */
static size_t hash(const struct web_addr_key *key)
{
	const unsigned char *p = (const unsigned char *)key;
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < sizeof(*key); i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return (size_t)(h ^ (h >> 32));
}

/* The slot holding key, or the empty slot where it would go. */
static struct slot *find(const struct web_addr_share *t, const struct web_addr_key *key)
{
	size_t i = hash(key) & t->mask;

	while (t->slots[i].count && memcmp(&t->slots[i].key, key, sizeof(*key)))
		i = (i + 1) & t->mask;
	return &t->slots[i];
}

int web_addr_share_new(size_t max_keys, struct web_addr_share **out)
{
	struct web_addr_share *t;
	size_t n = 16;

	*out = NULL;
	if (!max_keys || max_keys > ((size_t)1 << 24))
		return -EINVAL;
	while (n < 2 * max_keys)
		n *= 2;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->slots = calloc(n, sizeof(*t->slots));
	if (!t->slots) {
		free(t);
		return -ENOMEM;
	}
	t->mask = n - 1;
	t->max_keys = max_keys;
	*out = t;
	return 0;
}

void web_addr_share_free(struct web_addr_share *t)
{
	if (!t)
		return;
	free(t->slots);
	free(t);
}

int web_addr_share_take(struct web_addr_share *t, const struct web_addr_key *key,
			unsigned int limit)
{
	struct slot *s = find(t, key);

	if (s->count) {
		if (s->count >= limit)
			return -EBUSY;
		s->count++;
		return 0;
	}
	if (!limit)
		return -EBUSY;
	if (t->used >= t->max_keys)
		return -ENOSPC;
	s->key = *key;
	s->count = 1;
	t->used++;
	return 0;
}

void web_addr_share_drop(struct web_addr_share *t, const struct web_addr_key *key)
{
	size_t i, j, home;
	struct slot *s = find(t, key);

	if (!s->count || --s->count)
		return;
	t->used--;
	/* backward shift: pull later members of the run into the hole when
	 * their home slot is not between the hole and them */
	i = (size_t)(s - t->slots);
	for (j = (i + 1) & t->mask; t->slots[j].count; j = (j + 1) & t->mask) {
		home = hash(&t->slots[j].key) & t->mask;
		if (((j - home) & t->mask) >= ((j - i) & t->mask)) {
			t->slots[i] = t->slots[j];
			i = j;
		}
	}
	memset(&t->slots[i], 0, sizeof(t->slots[i]));
}

unsigned int web_addr_share_count(const struct web_addr_share *t, const struct web_addr_key *key)
{
	return find(t, key)->count;
}

size_t web_addr_share_clients(const struct web_addr_share *t)
{
	return t->used;
}
