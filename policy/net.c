// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Addresses and ports as a policy names them: "10.20.0.0/16", "10.0.0.2",
 * "2001:db8::/32", "tcp/443", "udp/67-68", "icmp". Parsing says why a value
 * is wrong in a sentence an admin can act on ("host bits are set: did you
 * mean 10.20.0.0/16?").
 */
#include "policy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int addr_len(const struct pol_net *n)
{
	return n->family == AF_INET ? 4 : 16;
}

/* Clears the host bits; returns 1 if any was set. */
static int mask_host(struct pol_net *n)
{
	int len = addr_len(n), i, changed = 0;

	for (i = 0; i < len; i++) {
		int bits = (int)n->prefix - i * 8;
		uint8_t mask = bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));

		if (n->addr[i] & ~mask) {
			n->addr[i] &= mask;
			changed = 1;
		}
	}
	return changed;
}

int pol_net_parse(const char *s, struct pol_net *out, char *why, size_t len)
{
	char buf[64], *slash, *end;
	long prefix;

	memset(out, 0, sizeof(*out));
	if (strlen(s) >= sizeof(buf)) {
		snprintf(why, len, "'%.40s...' is not an address", s);
		return -EINVAL;
	}
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (inet_pton(AF_INET, buf, out->addr) == 1) {
		out->family = AF_INET;
	} else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
		out->family = AF_INET6;
	} else {
		snprintf(why, len, "'%s' is not an IPv4 or IPv6 address or network", s);
		return -EINVAL;
	}
	prefix = addr_len(out) * 8;
	if (slash) {
		prefix = strtol(slash + 1, &end, 10);
		if (!slash[1] || *end || prefix < 0 || prefix > addr_len(out) * 8) {
			snprintf(why, len, "'%s' has a bad prefix length (0 to %d)", s,
				 addr_len(out) * 8);
			return -EINVAL;
		}
	}
	out->prefix = (uint8_t)prefix;
	if (mask_host(out)) {
		char net[64];

		pol_net_format(out, net, sizeof(net));
		snprintf(why, len, "'%s' has host bits set: did you mean %s?", s, net);
		return -EINVAL;
	}
	return 0;
}

void pol_net_format(const struct pol_net *n, char *out, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(n->family, n->addr, a, sizeof(a));
	if (n->prefix == addr_len(n) * 8)
		snprintf(out, len, "%s", a);
	else
		snprintf(out, len, "%s/%u", a, n->prefix);
}

static int prefix_match(const uint8_t *a, const uint8_t *b, int bits)
{
	int i;

	for (i = 0; bits > 0; i++, bits -= 8) {
		uint8_t mask = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));

		if ((a[i] ^ b[i]) & mask)
			return 0;
	}
	return 1;
}

int pol_net_overlap(const struct pol_net *a, const struct pol_net *b)
{
	if (a->family != b->family)
		return 0;
	return prefix_match(a->addr, b->addr, a->prefix < b->prefix ? a->prefix : b->prefix);
}

int pol_net_contains(const struct pol_net *net, const struct pol_net *sub)
{
	return net->family == sub->family && net->prefix <= sub->prefix &&
	       prefix_match(net->addr, sub->addr, net->prefix);
}

int pol_port_parse(const char *s, struct pol_port *out, char *why, size_t len)
{
	const char *p;
	char *end;
	long lo, hi;

	memset(out, 0, sizeof(*out));
	if (!strcmp(s, "icmp")) {
		out->proto = IPPROTO_ICMP;
		return 0;
	}
	if (!strncmp(s, "tcp/", 4)) {
		out->proto = IPPROTO_TCP;
	} else if (!strncmp(s, "udp/", 4)) {
		out->proto = IPPROTO_UDP;
	} else {
		snprintf(why, len, "'%s' is not a port: write tcp/443, udp/53, tcp/8000-8080 or icmp",
			 s);
		return -EINVAL;
	}
	p = s + 4;
	lo = strtol(p, &end, 10);
	if (end == p || lo < 1 || lo > 65535)
		goto bad;
	hi = lo;
	if (*end == '-') {
		p = end + 1;
		hi = strtol(p, &end, 10);
		if (end == p || hi < 1 || hi > 65535)
			goto bad;
		if (hi < lo) {
			snprintf(why, len, "'%s' is a range that ends before it starts", s);
			return -EINVAL;
		}
	}
	if (*end)
		goto bad;
	out->lo = (uint16_t)lo;
	out->hi = (uint16_t)hi;
	return 0;
bad:
	snprintf(why, len, "'%s' is not a port: ports are 1 to 65535", s);
	return -EINVAL;
}

/* A label of a host name: 1 to 63 letters, digits and '-', not at either end. */
static int label_ok(const char *s, size_t n)
{
	size_t i;

	if (n < 1 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

int pol_host_parse(const char *s, int wildcard_ok, char *out, size_t outlen, char *why,
		   size_t len)
{
	const char *name = s, *p, *dot, *last = NULL;
	size_t n, labels = 0, i;
	int digits = 1;

	if (wildcard_ok && !strncmp(s, "*.", 2))
		name = s + 2;
	n = strlen(name);
	if (n == 0 || n > 253) {
		snprintf(why, len, "'%.60s' is not a host name (1 to 253 characters)", s);
		return -EINVAL;
	}
	for (p = name; p <= name + n; p = dot + 1) {
		dot = strchr(p, '.');
		if (!dot)
			dot = name + n;
		if (!label_ok(p, (size_t)(dot - p))) {
			if (strchr(s, '*') && wildcard_ok)
				snprintf(why, len, "'%.60s' is not a host name: a '*' may only "
					 "begin it, as in *.example.com", s);
			else
				snprintf(why, len, "'%.60s' is not a host name (labels of letters, "
					 "digits and '-' between dots; an international name in "
					 "its xn-- form)", s);
			return -EINVAL;
		}
		labels++;
		last = p;
	}
	for (p = last; *p; p++)
		digits &= *p >= '0' && *p <= '9';
	if (digits) {
		snprintf(why, len, "'%.60s' is an address, not a host name", s);
		return -EINVAL;
	}
	if (labels < 2) {
		snprintf(why, len, "'%.60s' is a top-level domain, not a host name", s);
		return -EINVAL;
	}
	if (n >= outlen) {
		snprintf(why, len, "'%.60s' is too long", s);
		return -EINVAL;
	}
	for (i = 0; i <= n; i++)
		out[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] - 'A' + 'a' : name[i]);
	return 0;
}
