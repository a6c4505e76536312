/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the firewall's files share and nobody else needs: a growing text
 * buffer for nft commands, the check of firewall.links.
 */
#ifndef BYOD_FW_INTERNAL_H
#define BYOD_FW_INTERNAL_H

#include <stddef.h>

#include "byod_buf.h"
#include "firewall.h"

struct fw_out {
	struct byod_buf b;
	int oom;
};

/* Appends to o (on failure o->oom is set and later calls do nothing). */
void fw_put(struct fw_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* -EINVAL with err for an interface fw_config.links gives to two segments,
 * or to a segment the policy lacks; 0 otherwise. */
int fw_links_check(const struct pol_policy *pol, const struct fw_config *cfg,
		   struct byod_err *err);

#endif /* BYOD_FW_INTERNAL_H */
