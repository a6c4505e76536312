// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Enrolment and revocation: the two moments a certificate's life touches
 * both the CA and the registry. Enrolment is one use case for the portal
 * and byodctl alike, in one registry transaction: the owner's per-role
 * limit (at the limit, one old device retired, or an administrator's
 * audited override), the device, the certificate signed inside the
 * transaction, and the files offered for download, each PKCS#12 form they
 * need encoded once. The certificate is handed out only after the commit,
 * so a certificate that is not recorded never leaves; one whose commit
 * outcome is unknown is refused too, and revoked if it was written after
 * all (core/unsettled.c). Revocation records the change, then reissues the
 * CRL; one whose commit outcome is unknown is checked and retried.
 */
#include "byod.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "byod_util.h"
#include "enrol_int.h"
#include "profile.h"
#include "token.h"
#include "import_int.h"

/* One table for every program: the portal shows the key's translation (its
 * English catalogue says the same sentence), byodctl prints the text. */
static const struct {
	const char *key;  /* the portal's catalogue key; NULL: it answers with an
			   * error page of its own */
	const char *text; /* in English */
} refusals[BYOD_ENROL_REFUSAL_N] = {
	[BYOD_ENROL_AT_LIMIT] = {"enrol.pick_one",
				 "You have reached the most devices allowed: choose the one to "
				 "remove."},
	[BYOD_ENROL_CLOSED] = {NULL, "Accounts of this role may not enrol devices."},
	[BYOD_ENROL_NOT_THEIRS] = {NULL, "The device to remove is not one of this account's."},
	[BYOD_ENROL_RATE] = {"enrol.rate",
			     "This account has enrolled the most devices allowed in one day: "
			     "try again tomorrow."},
	[BYOD_ENROL_RENEW_EARLY] = {"renew.early",
				    "This device's certificate cannot be renewed yet."},
};

const char *byod_enrol_refusal_key(enum byod_enrol_refusal r)
{
	if ((unsigned)r >= BYOD_ENROL_REFUSAL_N || !refusals[r].key)
		return "";
	return refusals[r].key;
}

const char *byod_enrol_refusal_text(enum byod_enrol_refusal r)
{
	if ((unsigned)r >= BYOD_ENROL_REFUSAL_N)
		return NULL;
	return refusals[r].text;
}

int byod_enrol_limit(const struct byod_ctx *ctx, enum byod_role role)
{
	if ((unsigned)role >= BYOD_ROLE_N)
		return 0;
	return ctx->conf.enrol_limit[role];
}

void byod_enrolment_clear(struct byod_enrolment *e)
{
	if (!e)
		return;
	pki_issued_clear(&e->cert);
	/* the one-time tokens open the PKCS#12 downloads */
	OPENSSL_cleanse(e, sizeof(*e));
}

/* Serials of a device's valid certificates (a byod_vec of struct serial),
 * collected before any change so that no backend is asked to write while it
 * is still reading. */
struct serial {
	char s[REG_SERIAL_MAX];
};

static int collect_valid(const struct reg_cert *c, void *arg)
{
	struct serial *e;

	if (c->state != REG_CERT_VALID)
		return 0;
	e = byod_vec_push(arg);
	if (!e)
		return -ENOMEM;
	snprintf(e->s, sizeof(e->s), "%s", c->serial);
	return 0;
}

/* Revokes a device and its valid certificates inside the caller's
 * transaction; the CRL is the caller's to reissue after the commit. */
int byod_device_end_in_tx(struct byod_ctx *ctx, const char *id, int reason,
			  enum byod_device_state new_state, struct byod_err *err)
{
	struct byod_vec valid = BYOD_VEC_INIT(struct serial);
	time_t now = time(NULL);
	size_t i;
	int rc;

	rc = reg_cert_list_for_device(ctx->reg, id, collect_valid, &valid, err);
	if (rc == -ENOMEM)
		byod_err_set(err, ENOMEM, "out of memory");
	if (!rc)
		rc = reg_device_set_state(ctx->reg, id, new_state, err);
	for (i = 0; !rc && i < valid.n; i++)
		rc = reg_cert_revoke(ctx->reg, BYOD_VEC_AT(&valid, struct serial, i)->s, reason, now,
				     err);
	byod_vec_free(&valid);
	return rc;
}

int byod_enrol_refuse(enum byod_enrol_refusal r, int code, enum byod_enrol_refusal *why,
		      struct byod_err *err)
{
	*why = r;
	return byod_err_set(err, code, "%s", refusals[r].text);
}

/*
 * The owner's limit, inside the transaction: below it, nothing to do; at
 * it, retire p->retire (a live device of the same owner) as its owner
 * would, or go past it with p->force (out->over_limit), or refuse.
 */
static int make_room(struct byod_ctx *ctx, const struct byod_enrol_params *p,
		     const struct reg_person *owner, struct byod_enrolment *out,
		     enum byod_enrol_refusal *why, struct byod_err *err)
{
	int rc, live, limit = byod_enrol_limit(ctx, owner->role);
	struct reg_device old;

	rc = reg_device_count_live(ctx->reg, owner->id, &live, err);
	if (rc || live < limit)
		return rc;
	if (p->retire && limit > 0) {
		if (!byod_is_uuid(p->retire))
			return byod_enrol_refuse(BYOD_ENROL_NOT_THEIRS, EINVAL, why, err);
		rc = reg_device_get(ctx->reg, p->retire, &old, err);
		if (rc && rc != -ENOENT)
			return rc;
		if (rc == -ENOENT || old.owner != owner->id || old.state == BYOD_DEVICE_RETIRED)
			return byod_enrol_refuse(BYOD_ENROL_NOT_THEIRS, ENOENT, why, err);
		/* a revoked device does not count: retiring it makes no room */
		if (old.state != BYOD_DEVICE_ACTIVE && old.state != BYOD_DEVICE_SUSPENDED)
			return byod_enrol_refuse(BYOD_ENROL_AT_LIMIT, EDQUOT, why, err);
		rc = byod_device_end_in_tx(ctx, old.id, REG_REASON_CESSATION, BYOD_DEVICE_RETIRED,
					   err);
		if (rc)
			return rc;
		snprintf(out->retired, sizeof(out->retired), "%s", old.id);
		live--;
	}
	if (live < limit)
		return 0;
	if (p->force) {
		out->over_limit = 1;
		return 0;
	}
	/* the limit went down since the form was shown, or nothing was named */
	if (limit > 0)
		return byod_enrol_refuse(BYOD_ENROL_AT_LIMIT, EDQUOT, why, err);
	byod_enrol_refuse(BYOD_ENROL_CLOSED, EACCES, why, err);
	byod_err_prefix(err, "enrol.limit-%s is 0", byod_role_name(owner->role));
	return -EACCES;
}

/*
 * The owner's rate, inside the transaction (so two enrolments at once
 * count each other): every device enrolled in the last 24 hours counts,
 * retired ones too, so that enrolling and retiring in a loop (each time a
 * certificate, its profiles and a CRL entry) stops at the rate.
 */
static int check_rate(struct byod_ctx *ctx, const struct byod_enrol_params *p,
		      const struct reg_person *owner, enum byod_enrol_refusal *why,
		      struct byod_err *err)
{
	int rc, n = 0, rate = ctx->conf.enrol_rate_per_day;

	if (rate <= 0 || p->force)
		return 0;
	rc = reg_device_count_since(ctx->reg, owner->id, time(NULL) - 24 * 3600, &n, err);
	if (rc || n < rate)
		return rc;
	return byod_enrol_refuse(BYOD_ENROL_RATE, EAGAIN, why, err);
}

/* The audit row of an enrolment past the limit; the actor is the
 * context's (who forced it). */
static int audit_override(struct byod_ctx *ctx, const struct reg_person *owner,
			  const struct reg_device *d, struct byod_err *err)
{
	json_t *o;
	char *after;
	int rc;

	o = json_pack("{s:s, s:s, s:i}", "owner", owner->login, "role", byod_role_name(owner->role),
		      "limit", byod_enrol_limit(ctx, owner->role));
	after = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!after)
		return byod_err_set(err, ENOMEM, "out of memory writing the audit log");
	rc = reg_audit_add(ctx->reg, "device.limit-override", d->id, NULL, after, err);
	free(after);
	return rc;
}

/* One file behind a new one-time link, inside the enrolment's transaction. */
static int offer_store(struct byod_ctx *ctx, const struct reg_device *d, const void *data,
		       size_t len, const char *type, const char *filename, int ttl,
		       char token[BYOD_TOKEN_MAX], struct byod_err *err)
{
	struct reg_download dl;
	int rc;

	rc = web_token_new(token);
	if (rc)
		return byod_err_set(err, -rc, "no randomness for a download link");
	memset(&dl, 0, sizeof(dl));
	web_token_hash(token, dl.token_hash);
	snprintf(dl.device, sizeof(dl.device), "%s", d->id);
	snprintf(dl.filename, sizeof(dl.filename), "%s", filename);
	snprintf(dl.type, sizeof(dl.type), "%s", type);
	dl.data = (void *)data;
	dl.len = len;
	dl.created = time(NULL);
	dl.expires = dl.created + ttl;
	rc = reg_download_add(ctx->reg, &dl, err);
	if (rc)
		token[0] = '\0';
	return rc;
}

/* What the profiles are made from: byod.conf and the new device. */
static void profile_fill(struct byod_ctx *ctx, const struct byod_enrol_params *p,
			 const struct reg_person *owner, struct byod_enrolment *e,
			 struct profile_in *in)
{
	const struct byod_conf *conf = &ctx->conf;

	memset(in, 0, sizeof(*in));
	in->school = conf->school_name;
	in->ssid = conf->wifi_ssid;
	in->wpa3 = conf->wifi_security == 1;
	in->server_name = conf->radius_server_name;
	in->ca = e->cert.ca;
	in->cred = &e->cert;
	in->identity = owner->login;
	in->device_id = e->device.id;
	in->domain = conf->portal_hostname;
	in->passpoint_realm = conf->wifi_passpoint_realm;
	in->helpdesk_name = conf->helpdesk_name;
	in->helpdesk_email = conf->helpdesk_email;
	in->helpdesk_phone = conf->helpdesk_phone;
	in->helpdesk_url = conf->helpdesk_url;
	in->words = p->words;
}

/*
 * The download offers p->offers asks for, stored behind one-time links.
 * The PKCS#12 a pupil downloads is in the legacy form, the one every
 * platform reads (pki/p12.c); the profiles ask e->cert for the form they
 * embed, so each form is encoded once however many files carry it. A
 * profile that cannot be made is left out (why in e->offers[i].why, or in
 * e->why when none can be); a failure to store one fails the enrolment.
 */
int byod_enrol_offer_all(struct byod_ctx *ctx, const struct byod_enrol_params *p,
			 const struct reg_person *owner, struct byod_enrolment *e,
			 struct byod_err *err)
{
	int ttl = p->offer_ttl > 0 ? p->offer_ttl : BYOD_OFFER_TTL_S, i, rc;
	const unsigned char *der;
	struct profile_in in;
	struct byod_err perr;
	char filename[64];
	size_t len;

	if (p->offers & (1u << BYOD_OFFER_P12)) {
		rc = pki_issued_p12(&e->cert, PKI_P12_LEGACY, &der, &len, err);
		if (rc)
			return rc;
		snprintf(filename, sizeof(filename), "wifi-%.8s.p12", e->device.id);
		rc = offer_store(ctx, &e->device, der, len, "application/x-pkcs12", filename, ttl,
				 e->offers[BYOD_OFFER_P12].token, err);
		if (rc)
			return rc;
	}
	if (!(p->offers & BYOD_OFFERS_ALL & ~(1u << BYOD_OFFER_P12)))
		return 0;
	profile_fill(ctx, p, owner, e, &in);
	if (profile_check(&in, &e->why)) {
		e->no_profiles = 1;
		return 0;
	}
	for (i = BYOD_OFFER_APPLE; i < BYOD_OFFER_N; i++) {
		struct profile_out out;

		if (!(p->offers & (1u << i)))
			continue;
		memset(&out, 0, sizeof(out));
		memset(&perr, 0, sizeof(perr));
		switch (i) {
		case BYOD_OFFER_APPLE:
			rc = profile_apple(&in, p->sign_cert, p->sign_key, &out, &perr);
			break;
		case BYOD_OFFER_EAP_CONFIG:
			rc = profile_eap_config(&in, &out, &perr);
			break;
		case BYOD_OFFER_PASSPOINT:
			rc = profile_passpoint(&in, &out, &perr);
			break;
		case BYOD_OFFER_WINDOWS:
			rc = profile_windows(&in, &out, &perr);
			break;
		default:
			rc = profile_networkmanager(&in, &out, &perr);
			break;
		}
		if (rc) {
			snprintf(e->offers[i].why, sizeof(e->offers[i].why), "%s", perr.msg);
			continue;
		}
		rc = offer_store(ctx, &e->device, out.data, out.len, out.type, out.filename, ttl,
				 e->offers[i].token, err);
		profile_out_free(&out);
		if (rc)
			return rc;
	}
	return 0;
}

int byod_device_enrol(struct byod_ctx *ctx, const struct byod_enrol_params *p,
		      struct byod_enrolment *out, struct byod_err *err)
{
	enum byod_enrol_refusal why = BYOD_ENROL_OK;
	struct pki_device_params dp;
	struct reg_person owner;
	struct reg_cert cert;
	struct pki_ca *ca;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!p->name || !p->name[0])
		return byod_err_set(err, EINVAL, "the device needs a name");
	if (p->csr && (p->offers & BYOD_OFFERS_ALL))
		return byod_err_set(err, EINVAL,
				    "a device enrolled from a CSR keeps its key: there is nothing "
				    "to download");
	/* a bad request is said before the owner's limit is */
	if (p->csr && (rc = pki_csr_check(p->csr, p->csr_len, err)))
		return rc;
	rc = byod_ca(ctx, &ca, err);
	if (rc)
		return rc;
	rc = reg_person_get(ctx->reg, p->login, &owner, err);
	if (rc)
		return rc;
	if (owner.state != REG_PERSON_ACTIVE)
		return byod_err_set(err, EPERM, "the account '%s' is disabled", p->login);
	/* its devices are refused at RADIUS from its leaving date */
	if (owner.leaves_at && owner.leaves_at <= time(NULL))
		return byod_err_set(err, EPERM, "the account '%s' has left", p->login);
	out->device.expires = byod_cert_end(&ctx->conf, time(NULL));
	if (out->device.expires == (time_t)-1)
		return byod_err_set(err, EINVAL, "pki.school-year-end or pki.grace-until is malformed");
	/* an earlier enrolment the registry may have written without telling:
	 * revoked first, so that it counts neither toward the limit nor as a
	 * live MAC; kept for later when the registry does not answer */
	byod_unsettled_settle(ctx, NULL);

	rc = reg_begin(ctx->reg, err);
	if (rc)
		return rc;
	rc = check_rate(ctx, p, &owner, &why, err);
	if (!rc)
		rc = make_room(ctx, p, &owner, out, &why, err);
	if (rc)
		goto out;
	out->device.owner = owner.id;
	snprintf(out->device.name, sizeof(out->device.name), "%s", p->name);
	out->device.kind = p->kind;
	out->device.state = BYOD_DEVICE_ACTIVE;
	if (p->mac)
		snprintf(out->device.mac, sizeof(out->device.mac), "%s", p->mac);
	if (p->charter)
		snprintf(out->device.charter, sizeof(out->device.charter), "%s", p->charter);
	rc = reg_device_add(ctx->reg, &out->device, err);
	if (!rc && out->over_limit)
		rc = audit_override(ctx, &owner, &out->device, err);
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
	if (!rc && p->offers)
		rc = byod_enrol_offer_all(ctx, p, &owner, out, err);
	if (!rc)
		rc = reg_commit(ctx->reg, err);
out:
	if (rc) {
		reg_rollback(ctx->reg);
		/* never handed out; revoked later if the server wrote it */
		if (reg_commit_outcome_unknown(ctx->reg))
			byod_unsettled_note(ctx, out->device.id, out->cert.serial, NULL, 1, err);
		byod_enrolment_clear(out);
		out->refusal = why;
		return rc;
	}
	snprintf(out->device.owner_login, sizeof(out->device.owner_login), "%s", owner.login);
	if (out->retired[0] && byod_crl_publish(ctx, NULL, &out->warning)) {
		/* recorded: the next publish carries the retired device */
		out->crl_stale = 1;
		byod_err_prefix(&out->warning, "device %s retired, but the CRL was not reissued",
				out->retired);
	}
	return 0;
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

/* The revocation in its own transaction. */
static int revoke_once(struct byod_ctx *ctx, const char *id, int reason,
		       enum byod_device_state new_state, struct byod_err *err)
{
	int rc = reg_begin(ctx->reg, err);

	if (rc)
		return rc;
	rc = byod_device_end_in_tx(ctx, id, reason, new_state, err);
	if (!rc)
		rc = reg_commit(ctx->reg, err);
	if (rc)
		reg_rollback(ctx->reg);
	return rc;
}

/*
 * A revocation whose commit outcome is unknown: asks the registry (its
 * handle reconnects) whether the device is revoked, and revokes it again
 * when it is not, a few times over about five seconds (a failover takes
 * that long). Revoking is idempotent, so a second run cannot do harm. Still
 * unknown after that: noted in HOME/unsettled for byod_unsettled_settle,
 * and -ENOTCONN with a sentence saying so.
 */
static int revoke_retry(struct byod_ctx *ctx, const char *id, int reason,
			enum byod_device_state new_state, struct byod_err *err)
{
	static const int wait_ms[] = {500, 1500, 3000};
	struct byod_unsettled u;
	struct reg_device d;
	struct byod_err nerr = {0};
	size_t i;
	int rc;

	for (i = 0; i < sizeof(wait_ms) / sizeof(wait_ms[0]); i++) {
		struct timespec ts = {wait_ms[i] / 1000, (long)(wait_ms[i] % 1000) * 1000000L};

		nanosleep(&ts, NULL);
		rc = reg_device_get(ctx->reg, id, &d, err);
		if (rc == -ENOTCONN)
			continue;
		if (rc)
			return rc;
		if (d.state == BYOD_DEVICE_REVOKED || d.state == BYOD_DEVICE_RETIRED)
			return 0; /* the first commit was written */
		rc = revoke_once(ctx, id, reason, new_state, err);
		if (rc != -ENOTCONN)
			return rc;
	}
	memset(&u, 0, sizeof(u));
	snprintf(u.device, sizeof(u.device), "%s", id);
	u.revoke_reason = reason;
	u.revoke_state = new_state;
	u.when = time(NULL);
	if (byod_unsettled_add(ctx, &u, &nerr))
		return byod_err_set(err, ENOTCONN,
				    "device %s: the registry was lost while recording its "
				    "revocation, and it could not be noted for a retry (%s): the "
				    "revocation may not be recorded; run it again",
				    id, nerr.msg);
	return byod_err_set(err, ENOTCONN,
			    "device %s: the registry was lost while recording its revocation: "
			    "the revocation may not be recorded yet; it will be retried",
			    id);
}

int byod_device_revoke(struct byod_ctx *ctx, const char *id_or_serial, int reason,
		       enum byod_device_state new_state, struct reg_device *out,
		       struct byod_err *err)
{
	struct reg_device dev;
	int rc;

	if (new_state != BYOD_DEVICE_REVOKED && new_state != BYOD_DEVICE_RETIRED)
		return byod_err_set(err, EINVAL, "a device is revoked or retired, nothing else");
	rc = byod_device_resolve(ctx, id_or_serial, &dev, err);
	if (rc)
		return rc;
	if (dev.state == BYOD_DEVICE_REVOKED || dev.state == BYOD_DEVICE_RETIRED)
		return byod_err_set(err, EALREADY, "device %s is already %s", dev.id,
				    byod_device_state_name(dev.state));
	rc = revoke_once(ctx, dev.id, reason, new_state, err);
	if (rc && reg_commit_outcome_unknown(ctx->reg))
		rc = revoke_retry(ctx, dev.id, reason, new_state, err);
	if (rc)
		return rc;
	/* The revocation is recorded: a CRL that fails to publish now is
	 * reported, and the next publish carries it. */
	rc = byod_crl_publish(ctx, NULL, err);
	if (rc)
		byod_err_prefix(err, "device %s revoked, but the CRL was not reissued", dev.id);
	if (out)
		reg_device_get(ctx->reg, dev.id, out, NULL);
	return rc;
}

int byod_device_revoke_in_tx(struct byod_ctx *ctx, const char *id, int reason,
			     struct byod_err *err)
{
	return byod_device_end_in_tx(ctx, id, reason, BYOD_DEVICE_REVOKED, err);
}
