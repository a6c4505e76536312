/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Inside core: the import's commit (import.c) with what another plan built
 * on it adds, the rentrée sync (sync.c): a check of its own once the import
 * plan is made again, and writes of its own in the import's transaction.
 */
#ifndef BYOD_CORE_IMPORT_INT_H
#define BYOD_CORE_IMPORT_INT_H

#include "byod.h"

struct byod_import_hook {
	/* After the plan is made again and found without problem, before the
	 * passwords are hashed: a non-zero return stops the commit. */
	int (*planned)(struct reg *reg, const struct byod_import_plan *pl, void *arg,
		       struct byod_err *err);
	/* Inside the transaction, after the plan's accounts are written: a
	 * non-zero return rolls everything back. */
	int (*in_tx)(struct reg *reg, const struct byod_import_plan *pl, void *arg,
		     struct byod_err *err);
	void *arg;
};

/* byod_import_commit with hook (may be NULL). */
int byod_import_commit_hooked(struct reg *reg, const struct reg_scope *scope, int cost,
			      const char *name, const void *data, size_t len,
			      const unsigned char expect[32], const struct byod_import_hook *hook,
			      struct byod_import_result *res, struct byod_err *err);

/* Revokes a device and its valid certificates (reason: a CRLReason) inside
 * the caller's transaction (enrolment.c); the CRL is the caller's. */
int byod_device_revoke_in_tx(struct byod_ctx *ctx, const char *id, int reason,
			     struct byod_err *err);

/* Disables the account login and revokes its live devices (reason
 * affiliationChanged) inside the caller's transaction (departures.c);
 * *devices (may be NULL) gets how many. */
int byod_person_depart_in_tx(struct byod_ctx *ctx, const char *login, int *devices,
			     struct byod_err *err);

#endif
