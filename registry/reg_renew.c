// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Renewal in the registry: a renewed certificate names the one it replaces
 * (reg_cert_add checks that it is the same device's), and both stay valid
 * until the new one is first seen at RADIUS. reg_cert_seen records those
 * first sightings, a batch at a time as the RADIUS module flushes them, and
 * revokes each replaced certificate (reason superseded) in the same
 * transaction: its audit row "cert.supersede" names who saw it (the actor,
 * a RADIUS node), and its change-feed event makes every node's index drop
 * the old certificate at once. The sighting itself is on the feed too
 * ("cert.seen", no audit row) so that the other nodes stop queueing it.
 */
#include "registry.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "byod_util.h"
#include "reg_internal.h"

/* The audit row of a supersession: which certificate, which one replaced it. */
struct supersede {
	const struct reg_cert *old;
	const char *by;
};

static json_t *supersede_json(const void *obj)
{
	const struct supersede *s = obj;
	char t[32];

	return json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s}", "serial", s->old->serial, "device",
			 s->old->device, "state", reg_cert_state_name(s->old->state), "reason",
			 s->old->state == REG_CERT_REVOKED ? reg_reason_name(s->old->reason) : NULL,
			 "revoked_at",
			 s->old->revoked_at ? byod_time_iso(s->old->revoked_at, t, sizeof(t))
					    : NULL,
			 "replaced_by", s->by);
}

/* One sighting inside the open transaction; *revoked counts the supersessions. */
static int seen_one(struct reg *reg, const char *serial, time_t now, int *revoked,
		    struct byod_err *err)
{
	struct reg_cert c, old, after;
	struct supersede before_s, after_s;
	int rc, set = 0;

	rc = OPS(reg)->cert_get(reg->be, serial, &c, err);
	if (rc == -ENOENT)
		return 0; /* not (or no longer) ours: nothing to record */
	if (rc)
		return rc;
	rc = OPS(reg)->cert_set_seen(reg->be, serial, now, &set, err);
	if (rc || !set)
		return rc;
	rc = reg_event_queue(reg, "cert.seen", serial, now, err);
	if (rc || !c.replaces[0])
		return rc;
	rc = OPS(reg)->cert_get(reg->be, c.replaces, &old, err);
	if (rc == -ENOENT)
		return 0;
	if (rc || old.state != REG_CERT_VALID)
		return rc;
	after = old;
	after.state = REG_CERT_REVOKED;
	after.reason = REG_REASON_SUPERSEDED;
	after.revoked_at = now;
	rc = OPS(reg)->cert_supersede(reg->be, old.serial, c.serial, now, &set, err);
	if (rc || !set)
		return rc;
	before_s.old = &old;
	before_s.by = c.serial;
	after_s.old = &after;
	after_s.by = c.serial;
	rc = reg_record(reg, "cert.supersede", old.serial, supersede_json, &before_s, &after_s,
			err);
	if (!rc)
		(*revoked)++;
	return rc;
}

int reg_device_lock(struct reg *reg, const char *id, struct byod_err *err)
{
	if (!id || !byod_is_uuid(id))
		return byod_err_set(err, EINVAL, "'%.40s' is not a device id", id ? id : "");
	if (reg->depth == 0)
		return byod_err_set(err, EINVAL, "a device is locked inside a transaction only");
	return OPS(reg)->device_lock(reg->be, id, err);
}

int reg_cert_seen(struct reg *reg, const char *const *serials, size_t n, time_t now, int *revoked,
		  struct byod_err *err)
{
	char serial[REG_SERIAL_MAX];
	int rc = 0, count = 0, wrote = 0;
	size_t i;

	if (revoked)
		*revoked = 0;
	if (n && !serials)
		return byod_err_set(err, EINVAL, "no serials");
	if (now <= 0)
		return byod_err_set(err, EINVAL, "a first sighting needs its time");
	for (i = 0; i < n; i++)
		if (!serials[i] || byod_serial_normalise(serials[i], serial, sizeof(serial)))
			return byod_err_set(err, EINVAL,
					    "'%.64s' is not a certificate serial (at most 160 bits "
					    "in hex)",
					    serials[i] ? serials[i] : "");
	if (!n)
		return 0;
	rc = reg_begin(reg, err);
	if (rc)
		return rc;
	wrote = 1;
	for (i = 0; i < n && !rc; i++) {
		byod_serial_normalise(serials[i], serial, sizeof(serial));
		rc = seen_one(reg, serial, now, &count, err);
	}
	rc = reg_tx_end(reg, rc, wrote, err);
	if (!rc && revoked)
		*revoked = count;
	return rc;
}
