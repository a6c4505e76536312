/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * How many connections one client holds, for the portal's per-client
 * limit. A client is an IPv4 address, or an IPv6 prefix (a /64 by
 * default): a host is given a whole /64 and may take any address in it at
 * will, so counting single IPv6 addresses would count nothing. An
 * IPv4-mapped IPv6 address (::ffff:a.b.c.d, from a dual-stack socket) is
 * its IPv4 address.
 *
 * Pure: no locking (the caller holds its own lock around these calls), no
 * clock, no network.
 */
#ifndef WEB_ADDRSHARE_H
#define WEB_ADDRSHARE_H

#include <stddef.h>
#include <sys/socket.h>

/* A client as counted: the family and the address bits that count, the
 * rest zero (so two keys compare with memcmp). */
struct web_addr_key {
	unsigned char family; /* 4 or 6 */
	unsigned char bits[16];
};

/* The key of the client at sa: an IPv4 address whole, an IPv6 address cut
 * to its first v6_prefix bits (1-128). Returns 0, -EINVAL for a bad
 * prefix or a short address, -EAFNOSUPPORT for another family. */
int web_addr_key(const struct sockaddr *sa, socklen_t len, unsigned int v6_prefix,
		 struct web_addr_key *key);

/* The key as text ("192.0.2.1", "2001:db8::/64"), for the log. */
void web_addr_key_str(const struct web_addr_key *key, unsigned int v6_prefix, char *out,
		      size_t len);

struct web_addr_share;

/* A table for at most max_keys clients at once. Returns 0 and *out (freed
 * by web_addr_share_free), or -EINVAL, -ENOMEM. */
int web_addr_share_new(size_t max_keys, struct web_addr_share **out);
void web_addr_share_free(struct web_addr_share *t);

/* Counts one more connection for key unless it already holds limit.
 * Returns 0; -EBUSY when key is at its limit; -ENOSPC when max_keys
 * clients already hold connections. Nothing is counted on failure. */
int web_addr_share_take(struct web_addr_share *t, const struct web_addr_key *key,
			unsigned int limit);
/* One connection of key is gone (one that take counted). */
void web_addr_share_drop(struct web_addr_share *t, const struct web_addr_key *key);
/* Connections key holds now. */
unsigned int web_addr_share_count(const struct web_addr_share *t, const struct web_addr_key *key);
/* Clients holding at least one connection. */
size_t web_addr_share_clients(const struct web_addr_share *t);

#endif /* WEB_ADDRSHARE_H */
