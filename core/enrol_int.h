/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What enrolment (core/enrolment.c) shares with renewal (core/renew.c),
 * which issues a device's next certificate the same way: the refusal table
 * and the download offers. Not part of core's interface.
 */
#ifndef BYOD_ENROL_INT_H
#define BYOD_ENROL_INT_H

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

#endif /* BYOD_ENROL_INT_H */
