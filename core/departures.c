// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * People leaving at a date. A person's leaves_at (set by the rentrée sync,
 * sync.c) is the instant from which rlm_byod refuses their devices; the
 * daily job then applies the departure here: the account disabled, its live
 * devices revoked (CRLReason affiliationChanged), one transaction per
 * person with its audit row ("person.left"), and the CRL reissued once for
 * them all.
 */
#include "byod.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "byod_util.h"
#include "byod_vec.h"
#include "import_int.h"

struct id {
	char s[REG_ID_MAX];
};

static int collect_live(const struct reg_device *d, void *arg)
{
	struct id *e;

	if (d->state != BYOD_DEVICE_ACTIVE && d->state != BYOD_DEVICE_SUSPENDED)
		return 0;
	e = byod_vec_push(arg);
	if (!e)
		return -ENOMEM;
	snprintf(e->s, sizeof(e->s), "%s", d->id);
	return 0;
}

int byod_person_depart_in_tx(struct byod_ctx *ctx, const char *login, int *devices,
			     struct byod_err *err)
{
	struct byod_vec live = BYOD_VEC_INIT(struct id);
	struct reg_device_filter f = {.owner_login = login, .state = -1, .school = NULL};
	size_t i;
	int rc;

	if (devices)
		*devices = 0;
	rc = reg_device_list(ctx->reg, &f, collect_live, &live, err);
	if (rc == -ENOMEM)
		byod_err_set(err, ENOMEM, "out of memory");
	for (i = 0; !rc && i < live.n; i++)
		rc = byod_device_revoke_in_tx(ctx, BYOD_VEC_AT(&live, struct id, i)->s,
					      REG_REASON_AFFILIATION_CHANGED, err);
	if (!rc)
		rc = reg_person_set_state(ctx->reg, login, REG_PERSON_DISABLED, err);
	if (!rc && devices)
		*devices = (int)live.n;
	byod_vec_free(&live);
	return rc;
}

struct login {
	char s[REG_LOGIN_MAX];
};

static int collect_login(const struct reg_person *p, void *arg)
{
	struct login *e = byod_vec_push(arg);

	if (!e)
		return -ENOMEM;
	snprintf(e->s, sizeof(e->s), "%s", p->login);
	return 0;
}

/* One person's departure in its own transaction, when it is still due
 * (read again: the list was read before). *done: 1 when applied. */
static int depart_one(struct byod_ctx *ctx, const char *login, time_t now, int *done, int *devices,
		      struct byod_err *err)
{
	struct reg_person p;
	char when[32], after[96];
	int rc;

	*done = 0;
	*devices = 0;
	rc = reg_begin(ctx->reg, err);
	if (rc)
		return rc;
	rc = reg_person_get(ctx->reg, login, &p, err);
	explicit_bzero(p.password_hash, sizeof(p.password_hash));
	if (rc || p.state != REG_PERSON_ACTIVE || !p.leaves_at || p.leaves_at > now)
		goto out;
	rc = byod_person_depart_in_tx(ctx, login, devices, err);
	if (!rc) {
		snprintf(after, sizeof(after), "{\"leaves_at\": \"%s\", \"devices\": %d}",
			 byod_time_iso(p.leaves_at, when, sizeof(when)), *devices);
		rc = reg_audit_add(ctx->reg, "person.left", login, NULL, after, err);
	}
	if (!rc)
		*done = 1;
out:
	if (!rc)
		rc = reg_commit(ctx->reg, err);
	if (rc) {
		reg_rollback(ctx->reg);
		*done = 0;
		*devices = 0;
	}
	return rc;
}

int byod_departures_apply(struct byod_ctx *ctx, time_t now, int *people, int *devices,
			  struct byod_err *err)
{
	struct byod_vec due = BYOD_VEC_INIT(struct login);
	int rc, n = 0, ndev = 0, done, d, crl;
	size_t i;

	rc = reg_person_list_leaving(ctx->reg, now, collect_login, &due, err);
	if (rc == -ENOMEM)
		byod_err_set(err, ENOMEM, "out of memory");
	for (i = 0; !rc && i < due.n; i++) {
		rc = depart_one(ctx, BYOD_VEC_AT(&due, struct login, i)->s, now, &done, &d, err);
		if (rc)
			byod_err_prefix(err, "the departure of '%s': ",
					BYOD_VEC_AT(&due, struct login, i)->s);
		n += done;
		ndev += d;
	}
	byod_vec_free(&due);
	/* the revocations are recorded: the CRL carries them, even after a
	 * later person's failure */
	if (ndev) {
		crl = byod_crl_publish(ctx, NULL, rc ? NULL : err);
		if (crl && !rc) {
			byod_err_prefix(err,
					"%d devices revoked, but the CRL was not reissued: ", ndev);
			rc = crl;
		}
	}
	if (people)
		*people = n;
	if (devices)
		*devices = ndev;
	return rc;
}
