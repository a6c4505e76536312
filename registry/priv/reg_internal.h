/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared by the files of registry/ that implement the public functions
 * (registry.c, policy.c): the handle, and the two steps every change ends
 * with. Not part of the interface.
 */
#ifndef BYOD_REGISTRY_INTERNAL_H
#define BYOD_REGISTRY_INTERNAL_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "backend.h"
#include "registry.h"

struct reg {
	struct reg_db *be;
	int depth;   /* reg_begin() levels open */
	int aborted; /* an inner level rolled back; cleared when depth is 0 */
	int commit_unknown; /* the last outermost commit's outcome is unknown */
	char actor[64];
	/* The change-feed events of the open outermost transaction, inserted
	 * by reg_commit right before the backend's commit (reg_event_queue),
	 * so that sequence order is commit order; dropped on rollback. */
	struct reg_event *pending;
	size_t npending, cap_pending;
};

#define OPS(reg) ((reg)->be->ops)

/* Turns an object into JSON for the audit log (a new reference). */
typedef json_t *(*to_json_fn)(const void *obj);

/*
 * Writes the audit row of one change inside the caller's transaction, and
 * queues its change-feed event (inserted at the outermost commit). before
 * and after are the object as it was and as it is (NULL: did not exist),
 * turned into JSON by fn.
 */
int reg_record(struct reg *reg, const char *action, const char *object, to_json_fn fn,
	       const void *before, const void *after, struct byod_err *err);
/* The same with the audit row's school given: a UAI, "" for none, or NULL
 * to derive it from action and object (reg_audit_school_of), as
 * reg_record does. */
int reg_record_school(struct reg *reg, const char *school, const char *action,
		      const char *object, to_json_fn fn, const void *before, const void *after,
		      struct byod_err *err);

/* The school an audit row of action on object concerns, looked up in the
 * open transaction (reg_scope.c); "" when none. */
int reg_audit_school_of(struct reg *reg, const char *action, const char *object,
			char out[REG_UAI_MAX], struct byod_err *err);

/*
 * Queues the change-feed event (kind, object, when) of a change made in the
 * open transaction; reg_commit inserts it at the outermost commit, where it
 * gets its sequence number. Outside a transaction: -EINVAL.
 */
int reg_event_queue(struct reg *reg, const char *kind, const char *object, time_t when,
		    struct byod_err *err);

/*
 * Closes the level a change function opened: commits on success; on a
 * failure after a write (wrote) rolls everything back; on a failure before
 * any write only closes its own level. Returns rc, or the commit's error.
 */
int reg_tx_end(struct reg *reg, int rc, int wrote, struct byod_err *err);

/*
 * A text field of a fixed-size array: NULL or "" is refused unless
 * may_be_empty, the text must fit in max bytes with its NUL, and hold no
 * control character (these texts end up in logs, exports and pages).
 * Returns 0 or -EINVAL with err naming the field (what).
 */
int reg_check_text(const char *s, size_t max, int may_be_empty, const char *what,
		   struct byod_err *err);

#endif /* BYOD_REGISTRY_INTERNAL_H */
