// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Enrolment and revocation: the two moments a certificate's life touches
 * both the CA and the registry. Enrolment signs inside the registry
 * transaction and hands the certificate out only after the commit, so a
 * certificate that is not recorded never leaves; revocation records the
 * change, then reissues the CRL.
 */
#include "byod.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "byod_util.h"

void byod_enrolment_clear(struct byod_enrolment *e)
{
	if (!e)
		return;
	pki_issued_clear(&e->cert);
	memset(&e->device, 0, sizeof(e->device));
}

int byod_device_enrol(struct byod_ctx *ctx, const struct byod_enrol_params *p,
		      struct byod_enrolment *out, struct byod_err *err)
{
	struct pki_device_params dp;
	struct reg_person owner;
	struct reg_cert cert;
	struct pki_ca *ca;
	int rc, month, day;

	memset(out, 0, sizeof(*out));
	if (!p->name || !p->name[0])
		return byod_err_set(err, EINVAL, "the device needs a name");
	rc = byod_ca(ctx, &ca, err);
	if (rc)
		return rc;
	rc = reg_person_get(ctx->reg, p->login, &owner, err);
	if (rc)
		return rc;
	if (owner.state != REG_PERSON_ACTIVE)
		return byod_err_set(err, EPERM, "the account '%s' is disabled", p->login);
	if (byod_conf_year_end(&ctx->conf, &month, &day))
		return byod_err_set(err, EINVAL, "pki.school-year-end is malformed");

	rc = reg_begin(ctx->reg, err);
	if (rc)
		return rc;
	out->device.owner = owner.id;
	snprintf(out->device.name, sizeof(out->device.name), "%s", p->name);
	out->device.kind = p->kind;
	out->device.state = BYOD_DEVICE_ACTIVE;
	if (p->mac)
		snprintf(out->device.mac, sizeof(out->device.mac), "%s", p->mac);
	if (p->charter)
		snprintf(out->device.charter, sizeof(out->device.charter), "%s", p->charter);
	out->device.expires = byod_school_year_end(time(NULL), month, day,
						   ctx->conf.pki_min_validity_days);
	rc = reg_device_add(ctx->reg, &out->device, err);
	if (rc)
		goto out;

	memset(&dp, 0, sizeof(dp));
	dp.device_id = out->device.id;
	dp.not_after = out->device.expires;
	dp.crl_url = ctx->conf.pki_crl_url;
	if (p->csr)
		rc = pki_device_issue_csr(ca, &dp, p->csr, p->csr_len, &out->cert, err);
	else
		rc = pki_device_issue(ca, &dp, &out->cert, err);
	if (rc)
		goto out;

	memset(&cert, 0, sizeof(cert));
	snprintf(cert.serial, sizeof(cert.serial), "%s", out->cert.serial);
	snprintf(cert.device, sizeof(cert.device), "%s", out->device.id);
	cert.not_before = out->cert.not_before;
	cert.not_after = out->cert.not_after;
	cert.state = REG_CERT_VALID;
	rc = reg_cert_add(ctx->reg, &cert, err);
	if (rc)
		goto out;
	rc = reg_commit(ctx->reg, err);
	if (!rc)
		snprintf(out->device.owner_login, sizeof(out->device.owner_login), "%s",
			 owner.login);
out:
	if (rc) {
		reg_rollback(ctx->reg);
		byod_enrolment_clear(out);
	}
	return rc;
}

int byod_device_resolve(struct byod_ctx *ctx, const char *id_or_serial, struct reg_device *out,
			struct byod_err *err)
{
	char serial[REG_SERIAL_MAX];

	if (byod_is_uuid(id_or_serial))
		return reg_device_get(ctx->reg, id_or_serial, out, err);
	if (byod_serial_normalise(id_or_serial, serial, sizeof(serial)))
		return byod_err_set(err, EINVAL,
				    "'%s' is neither a device id nor a certificate serial",
				    id_or_serial);
	return reg_device_find_by_serial(ctx->reg, serial, out, err);
}

/* Serials of a device's valid certificates, collected before any change so
 * that no backend is asked to write while it is still reading. */
struct serials {
	char (*v)[REG_SERIAL_MAX];
	size_t n;
};

static int collect_valid(const struct reg_cert *c, void *arg)
{
	struct serials *s = arg;
	void *v;

	if (c->state != REG_CERT_VALID)
		return 0;
	v = realloc(s->v, (s->n + 1) * sizeof(*s->v));
	if (!v)
		return -ENOMEM;
	s->v = v;
	snprintf(s->v[s->n++], REG_SERIAL_MAX, "%s", c->serial);
	return 0;
}

int byod_device_revoke(struct byod_ctx *ctx, const char *id_or_serial, int reason,
		       enum byod_device_state new_state, struct reg_device *out,
		       struct byod_err *err)
{
	struct serials valid = { 0 };
	struct reg_device dev;
	time_t now = time(NULL);
	size_t i;
	int rc;

	if (new_state != BYOD_DEVICE_REVOKED && new_state != BYOD_DEVICE_RETIRED)
		return byod_err_set(err, EINVAL, "a device is revoked or retired, nothing else");
	rc = byod_device_resolve(ctx, id_or_serial, &dev, err);
	if (rc)
		return rc;
	if (dev.state == BYOD_DEVICE_REVOKED || dev.state == BYOD_DEVICE_RETIRED)
		return byod_err_set(err, EALREADY, "device %s is already %s", dev.id,
				    byod_device_state_name(dev.state));
	rc = reg_begin(ctx->reg, err);
	if (rc)
		return rc;
	rc = reg_cert_list_for_device(ctx->reg, dev.id, collect_valid, &valid, err);
	if (rc == -ENOMEM)
		byod_err_set(err, ENOMEM, "out of memory");
	if (!rc)
		rc = reg_device_set_state(ctx->reg, dev.id, new_state, err);
	for (i = 0; !rc && i < valid.n; i++)
		rc = reg_cert_revoke(ctx->reg, valid.v[i], reason, now, err);
	if (!rc)
		rc = reg_commit(ctx->reg, err);
	free(valid.v);
	if (rc) {
		reg_rollback(ctx->reg);
		return rc;
	}
	/* The revocation is recorded: a CRL that fails to publish now is
	 * reported, and the next publish carries it. */
	rc = byod_crl_publish(ctx, NULL, err);
	if (rc)
		byod_err_prefix(err, "device %s revoked, but the CRL was not reissued", dev.id);
	if (out)
		reg_device_get(ctx->reg, dev.id, out, NULL);
	return rc;
}
