// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * reg_ha_status on SQLite: one file, no replication. The answer names the
 * file and the feed's head, so that byodctl doctor and the metrics read
 * one structure whatever the backend; every replication field stays
 * 0, "" or -1.
 */
#include <stdio.h>

#include "sqlite_int.h"

int sq_ha_status(struct reg_db *be, struct reg_ha_status *out, struct byod_err *err)
{
	struct sq *s = sq_of(be);

	snprintf(out->server, sizeof(out->server), "%s", s->path ? s->path : "");
	return s->base.ops->events_last(be, &out->feed_head, err);
}
