/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sqlite_tables.c: the operations of the backend table it implements (the
 * registry's own rows), which reg_sqlite_ops (sqlite.c) names. Not part of
 * any interface.
 */
#ifndef BYOD_REGISTRY_SQLITE_TABLES_H
#define BYOD_REGISTRY_SQLITE_TABLES_H

#include "backend.h"

int sq_school_insert(struct reg_db *be, const struct reg_school *sc, struct byod_err *err);
int sq_school_get(struct reg_db *be, const char *uai, struct reg_school *out,
		  struct byod_err *err);
int sq_school_list(struct reg_db *be, reg_school_cb cb, void *ctx, struct byod_err *err);
int sq_person_insert(struct reg_db *be, struct reg_person *p, struct byod_err *err);
int sq_person_get(struct reg_db *be, const char *login, struct reg_person *out,
		  struct byod_err *err);
int sq_person_get_by_id(struct reg_db *be, int64_t id, struct reg_person *out,
			struct byod_err *err);
int sq_person_update(struct reg_db *be, const struct reg_person *p, struct byod_err *err);
int sq_person_list(struct reg_db *be, reg_person_cb cb, void *ctx, struct byod_err *err);
int sq_person_list_school(struct reg_db *be, const char *school, reg_person_cb cb, void *ctx,
			  struct byod_err *err);
int sq_person_list_source(struct reg_db *be, const char *source, const char *school,
			  reg_person_cb cb, void *ctx, struct byod_err *err);
int sq_device_insert(struct reg_db *be, const struct reg_device *d, struct byod_err *err);
int sq_device_get(struct reg_db *be, const char *id, struct reg_device *out,
		  struct byod_err *err);
int sq_device_update(struct reg_db *be, const struct reg_device *d, struct byod_err *err);
int sq_device_list(struct reg_db *be, const struct reg_device_filter *filter,
		   reg_device_cb cb, void *ctx, struct byod_err *err);
int sq_device_count_since(struct reg_db *be, int64_t owner, time_t since, int *count,
			  struct byod_err *err);
int sq_device_count_live(struct reg_db *be, int64_t owner, int *count, struct byod_err *err);
int sq_device_find_by_serial(struct reg_db *be, const char *serial, struct reg_device *out,
			     struct byod_err *err);
int sq_device_find_by_mac(struct reg_db *be, const char *mac, struct reg_device *out,
			  struct byod_err *err);
int sq_cert_insert(struct reg_db *be, const struct reg_cert *c, struct byod_err *err);
int sq_cert_get(struct reg_db *be, const char *serial, struct reg_cert *out,
		struct byod_err *err);
int sq_cert_update(struct reg_db *be, const struct reg_cert *c, struct byod_err *err);
int sq_cert_list_for_device(struct reg_db *be, const char *device, reg_cert_cb cb, void *ctx,
			    struct byod_err *err);
int sq_cert_list(struct reg_db *be, reg_cert_cb cb, void *ctx, struct byod_err *err);
int sq_cert_list_revoked(struct reg_db *be, reg_cert_cb cb, void *ctx, struct byod_err *err);
int sq_counter_next(struct reg_db *be, const char *name, int64_t *value,
		    struct byod_err *err);
int sq_counter_list(struct reg_db *be, reg_counter_cb cb, void *ctx, struct byod_err *err);
int sq_counter_raise(struct reg_db *be, const char *name, int64_t value,
		     struct byod_err *err);
int sq_audit_insert(struct reg_db *be, struct reg_audit *a, struct byod_err *err);
int sq_audit_list(struct reg_db *be, int limit, reg_audit_cb cb, void *ctx,
		  struct byod_err *err);
int sq_audit_list_after(struct reg_db *be, int64_t after, reg_audit_cb cb, void *ctx,
			struct byod_err *err);
int sq_policy_insert(struct reg_db *be, struct reg_policy *p, struct byod_err *err);
int sq_policy_get(struct reg_db *be, int64_t version, struct reg_policy *out,
		  struct byod_err *err);
int sq_policy_newest(struct reg_db *be, const char *school, struct reg_policy *out,
		     struct byod_err *err);
int sq_policy_list(struct reg_db *be, reg_policy_cb cb, void *ctx, struct byod_err *err);
int sq_policy_lock(struct reg_db *be, struct byod_err *err);
int sq_policy_list_school(struct reg_db *be, const char *school, reg_policy_cb cb,
			  void *ctx, struct byod_err *err);

#endif /* BYOD_REGISTRY_SQLITE_TABLES_H */
