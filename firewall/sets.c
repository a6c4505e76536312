// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The per-device state of the ruleset: the admitted map (device MAC ->
 * its segment's chain, for links whose authenticator cannot put a station
 * in a VLAN) and the quarantine sets. byod-gatewayd changes them between
 * re-renders with small batches of element commands, applied as one
 * transaction, e.g.
 *
 *   add element inet byod quarantine_mac { 02:00:00:00:aa:01 }
 *   delete element inet byod admitted { 02:00:00:00:aa:01 }
 *
 * Every value is checked here before it reaches nft text.
 */
#define _GNU_SOURCE
#include "firewall.h"
#include "fw_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fw_put(struct fw_out *o, const char *fmt, ...)
{
	va_list ap;

	if (o->oom)
		return;
	va_start(ap, fmt);
	if (byod_buf_vprintf(&o->b, fmt, ap))
		o->oom = 1;
	va_end(ap);
}

int fw_mac_ok(const char *mac)
{
	int i;

	if (!mac || strlen(mac) != 17)
		return 0;
	for (i = 0; i < 17; i++) {
		char c = mac[i];

		if (i % 3 == 2 ? c != ':' :
				 !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return 0;
	}
	return 1;
}

int fw_segment_name_ok(const char *s)
{
	size_t i, n = s ? strlen(s) : 0;

	if (n < 1 || n > 48)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		      s[i] == '_'))
			return 0;
	return 1;
}

struct fw_batch {
	struct fw_out o;
	size_t n;
	int bad;
};

struct fw_batch *fw_batch_new(void)
{
	return calloc(1, sizeof(struct fw_batch));
}

void fw_batch_free(struct fw_batch *b)
{
	if (!b)
		return;
	byod_buf_free(&b->o.b);
	free(b);
}

size_t fw_batch_size(const struct fw_batch *b)
{
	return b->n;
}

int fw_batch_admit(struct fw_batch *b, const char *mac, const char *segment)
{
	if (!fw_mac_ok(mac) || !fw_segment_name_ok(segment))
		return -EINVAL;
	/* add element inet byod admitted { MAC : jump seg_SEGMENT } */
	fw_put(&b->o, "add element inet byod admitted { %s : jump seg_%s }\n", mac, segment);
	b->n++;
	return 0;
}

int fw_batch_evict(struct fw_batch *b, const char *mac)
{
	if (!fw_mac_ok(mac))
		return -EINVAL;
	/* delete element inet byod admitted { MAC } */
	fw_put(&b->o, "delete element inet byod admitted { %s }\n", mac);
	b->n++;
	return 0;
}

int fw_batch_quarantine(struct fw_batch *b, const char *mac, int on)
{
	if (!fw_mac_ok(mac))
		return -EINVAL;
	/* add|delete element inet byod quarantine_mac { MAC } */
	fw_put(&b->o, "%s element inet byod quarantine_mac { %s }\n", on ? "add" : "delete", mac);
	b->n++;
	return 0;
}

int fw_batch_quarantine_ip(struct fw_batch *b, const char *ip, int on)
{
	struct in_addr a;

	if (!ip || inet_pton(AF_INET, ip, &a) != 1)
		return -EINVAL;
	/* add|delete element inet byod quarantine_ip4 { IP } */
	fw_put(&b->o, "%s element inet byod quarantine_ip4 { %s }\n", on ? "add" : "delete", ip);
	b->n++;
	return 0;
}

const char *fw_batch_text(const struct fw_batch *b)
{
	return b->o.oom ? NULL : b->o.b.p ? b->o.b.p : "";
}

int fw_batch_apply(struct fw_batch *b, struct byod_err *err)
{
	if (b->o.oom)
		return byod_err_set(err, ENOMEM, "out of memory");
	if (!b->n)
		return 0;
	return fw_nft_run(b->o.b.p, 0, err);
}
