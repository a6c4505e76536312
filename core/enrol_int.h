/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What enrolment (core/enrolment.c) shares with renewal (core/renew.c),
 * which issues a device's next certificate the same way: the refusal table,
 * the download offers, and what is noted when a commit's outcome is unknown
 * (core/unsettled.c). Not part of core's interface.
 */
#ifndef BYOD_ENROL_INT_H
#define BYOD_ENROL_INT_H

#include <time.h>

#include "byod.h"

/* *why = r, err = the table's sentence; returns -code. */
int byod_enrol_refuse(enum byod_enrol_refusal r, int code, enum byod_enrol_refusal *why,
		      struct byod_err *err);

/*
 * The download offers p->offers asks for (only offers, sign_cert, sign_key,
 * offer_ttl and words are read), stored behind one-time links inside the
 * caller's transaction, for e->device and e->cert.
 */
int byod_enrol_offer_all(struct byod_ctx *ctx, const struct byod_enrol_params *p,
			 const struct reg_person *owner, struct byod_enrolment *e,
			 struct byod_err *err);

/* Revokes device id and its valid certificates (new_state: revoked or
 * retired) inside the caller's transaction; the CRL is the caller's. */
int byod_device_end_in_tx(struct byod_ctx *ctx, const char *id, int reason,
			  enum byod_device_state new_state, struct byod_err *err);

/* An enrolment, renewal or revocation whose commit outcome is unknown
 * (core/unsettled.c). */
struct byod_unsettled {
	char device[REG_ID_MAX];
	char serial[REG_SERIAL_MAX];   /* the certificate it would have handed out; ""
					* for a revocation */
	char replaces[REG_SERIAL_MAX]; /* a renewal: the certificate that stays; "" */
	int created;		       /* 1: the enrolment created the device */
	int revoke_reason;	       /* a revocation: its reason (RFC 5280) */
	int revoke_state;	       /* a revocation: revoked or retired; 0: not one */
	time_t when;		       /* noted at */
};

/* Appends u to HOME/unsettled (fsync'd). 0 or -errno with err. Tests call it
 * to put entries there that SQLite cannot produce. */
int byod_unsettled_add(struct byod_ctx *ctx, const struct byod_unsettled *u, struct byod_err *err);

/* How many entries HOME/unsettled holds. */
int byod_unsettled_count(struct byod_ctx *ctx);

/* Notes an enrolment (created 1) or a renewal (replaces the old serial)
 * whose commit outcome is unknown, and sets err to the sentence its caller
 * shows (-ENOTCONN: the registry is unavailable). */
void byod_unsettled_note(struct byod_ctx *ctx, const char *device, const char *serial,
			 const char *replaces, int created, struct byod_err *err);

#endif /* BYOD_ENROL_INT_H */
