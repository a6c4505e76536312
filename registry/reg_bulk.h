/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reading the whole registry fast, for a reader that keeps only a few
 * columns (rlm_byod's index at start: a million devices in a second or
 * two). Each function calls cb once per row with a struct whose other
 * fields are left zero or stale: only the fields named are read. The rows
 * are those of reg_person_list, reg_device_list (no filter) and
 * reg_cert_list; the devices come in reg_device_list's order (which of two
 * devices that carried one MAC is kept depends on it), the people and the
 * certificates in no particular order. The struct handed to cb is the same
 * for every row: copy what you keep. A non-zero return from cb stops and is
 * returned as is.
 *
 * SQLite: one prepared SELECT of those columns per table, read in place.
 * PostgreSQL: one COPY (SELECT ...) TO STDOUT (FORMAT binary) per table
 * (postgres_bulk.c), in the caller's transaction when one is open.
 * Any other backend: its reg_*_list (the same rows, every column).
 */
#ifndef BYOD_REG_BULK_H
#define BYOD_REG_BULK_H

#include "registry.h"

/* How many rows the three functions below will give, so that the reader
 * sizes its arrays once; all 0 when the backend cannot say cheaply. */
int reg_bulk_counts(struct reg *reg, size_t *people, size_t *devices, size_t *certs,
		    struct byod_err *err);
/* id, role, school, groups, state, leaves_at */
int reg_bulk_people(struct reg *reg, int (*cb)(const struct reg_person *, void *), void *arg,
		    struct byod_err *err);
/* id, owner, kind, mac, state */
int reg_bulk_devices(struct reg *reg, int (*cb)(const struct reg_device *, void *), void *arg,
		     struct byod_err *err);
/* serial, device, not_before, not_after, state, replaces, first_seen */
int reg_bulk_certs(struct reg *reg, int (*cb)(const struct reg_cert *, void *), void *arg,
		   struct byod_err *err);

#endif /* BYOD_REG_BULK_H */
