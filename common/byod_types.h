/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What a person and a device are, shared by every library: the registry
 * stores these values, the policy matches on them, the RADIUS module and
 * the gateway decide with them. One enum each and one table of names, so
 * that no program converts a value to its name and back.
 */
#ifndef BYOD_TYPES_H
#define BYOD_TYPES_H

enum byod_role { BYOD_ROLE_STUDENT, BYOD_ROLE_TEACHER, BYOD_ROLE_STAFF, BYOD_ROLE_GUEST, BYOD_ROLE_N };

enum byod_kind { BYOD_KIND_PHONE, BYOD_KIND_TABLET, BYOD_KIND_LAPTOP, BYOD_KIND_OTHER, BYOD_KIND_N };

enum byod_device_state {
	BYOD_DEVICE_ACTIVE,
	BYOD_DEVICE_SUSPENDED,
	BYOD_DEVICE_REVOKED,
	BYOD_DEVICE_RETIRED,
	BYOD_DEVICE_UNKNOWN, /* not in the registry: never stored */
	BYOD_DEVICE_STATE_N,
};

/* The names the registry stores and the policy file uses ("student",
 * "phone", "suspended"), or NULL for a value out of range. */
const char *byod_role_name(int role);
const char *byod_kind_name(int kind);
const char *byod_device_state_name(int state);

/* The value of a name (case does not matter), or -EINVAL. */
int byod_role_parse(const char *s);
int byod_kind_parse(const char *s);
int byod_device_state_parse(const char *s);

#endif /* BYOD_TYPES_H */
