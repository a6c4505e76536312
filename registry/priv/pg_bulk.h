/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * reg_bulk.h on the PostgreSQL backend (postgres_bulk.c), called by
 * bulk.c: one COPY (SELECT ...) TO STDOUT (FORMAT binary) of the same
 * columns, rows and order as the SQLite side, in the open transaction when
 * there is one. Not part of any interface.
 */
#ifndef BYOD_REGISTRY_PG_BULK_H
#define BYOD_REGISTRY_PG_BULK_H

#include <stddef.h>

#include "backend.h"

int pg_bulk_counts(struct reg_db *be, size_t *people, size_t *devices, size_t *certs,
		   struct byod_err *err);
int pg_bulk_people(struct reg_db *be, reg_person_cb cb, void *arg, struct byod_err *err);
int pg_bulk_devices(struct reg_db *be, reg_device_cb cb, void *arg, struct byod_err *err);
int pg_bulk_certs(struct reg_db *be, reg_cert_cb cb, void *arg, struct byod_err *err);

#endif /* BYOD_REGISTRY_PG_BULK_H */
