/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the firewall's files share and nobody else needs: a growing text
 * buffer for nft commands.
 */
#ifndef BYOD_FW_INTERNAL_H
#define BYOD_FW_INTERNAL_H

#include <stddef.h>

#include "byod_buf.h"

struct fw_out {
	struct byod_buf b;
	int oom;
};

/* Appends to o (on failure o->oom is set and later calls do nothing). */
void fw_put(struct fw_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* BYOD_FW_INTERNAL_H */
