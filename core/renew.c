// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Renewal of a device's certificate before it ends. A certificate is issued
 * for a school year: it ends on pki.school-year-end, or on pki.grace-until
 * after it, so that September cuts no one off (byod_cert_end). Renewal opens
 * pki.renew-days before the school-year end the certificate covers
 * (byod_renew_opens) and issues the next year's certificate for the same
 * device (its id, so its policy, limits and history go on), recorded as
 * replacing the device's newest valid one. The old certificate stays valid
 * until the new one is first seen at RADIUS (reg_cert_seen revokes it) or
 * until its own end, so a pupil who renews at home is not cut off at school
 * before the new profile is installed.
 */
#include "byod.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "byod_util.h"
#include "enrol_int.h"

/* 23:59:59 UTC on month/day of year. */
static time_t day_end(int year, int month, int day)
{
	struct tm tm = {0};

	tm.tm_year = year - 1900;
	tm.tm_mon = month - 1;
	tm.tm_mday = day;
	tm.tm_hour = 23;
	tm.tm_min = 59;
	tm.tm_sec = 59;
	return timegm(&tm);
}

static int year_of(time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	return tm.tm_year + 1900;
}

time_t byod_cert_end(const struct byod_conf *conf, time_t now)
{
	int month, day, gm, gd, year, rc;
	time_t end, grace;

	if (byod_conf_year_end(conf, &month, &day))
		return (time_t)-1;
	end = byod_school_year_end(now, month, day, conf->pki_min_validity_days);
	rc = byod_conf_grace_until(conf, &gm, &gd);
	if (rc == -ENOENT)
		return end;
	if (rc)
		return (time_t)-1;
	/* the grace date that follows the year's end */
	year = year_of(end);
	grace = day_end(year, gm, gd);
	if (grace <= end)
		grace = day_end(year + 1, gm, gd);
	return grace;
}

/* The school-year end a certificate ending at not_after covers: the last
 * pki.school-year-end at or before it (its own end without grace). */
static time_t covered_year_end(const struct byod_conf *conf, time_t not_after)
{
	int month, day, year;
	time_t end;

	if (byod_conf_year_end(conf, &month, &day))
		return (time_t)-1;
	year = year_of(not_after);
	end = day_end(year, month, day);
	if (end > not_after)
		end = day_end(year - 1, month, day);
	return end;
}

time_t byod_renew_opens(const struct byod_conf *conf, time_t not_after)
{
	time_t end = covered_year_end(conf, not_after), day;

	if (end == (time_t)-1)
		return end;
	/* from the start of that day (the year's end is its last second) */
	day = end - (time_t)conf->pki_renew_days * 86400;
	return day - day % 86400;
}

/* The device's certificates, to find its newest valid one. */
struct newest {
	struct reg_cert *v;
	size_t n, cap;
	struct reg_cert c;
	int found;
	time_t now;
};

static int collect_cert(const struct reg_cert *c, void *arg)
{
	struct newest *n = arg;
	struct reg_cert *v;

	if (n->n == n->cap) {
		n->cap = n->cap ? 2 * n->cap : 8;
		v = realloc(n->v, n->cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		n->v = v;
	}
	n->v[n->n++] = *c;
	return 0;
}

static int replaced(const struct newest *n, const char *serial)
{
	size_t i;

	for (i = 0; i < n->n; i++)
		if (!strcmp(n->v[i].replaces, serial))
			return 1;
	return 0;
}

/* The newest valid certificate: the head of the chain of renewals (one no
 * other certificate replaces: two renewed in one second must not both
 * look newest), then the latest end, then the latest start. */
static void pick_newest(struct newest *n)
{
	int best_head = 0, head;
	size_t i;

	for (i = 0; i < n->n; i++) {
		const struct reg_cert *c = &n->v[i];

		if (c->state != REG_CERT_VALID || c->not_after <= n->now)
			continue;
		head = !replaced(n, c->serial);
		if (n->found && (head < best_head ||
				 (head == best_head &&
				  (c->not_after < n->c.not_after ||
				   (c->not_after == n->c.not_after &&
				    c->not_before < n->c.not_before)))))
			continue;
		n->c = *c;
		n->found = 1;
		best_head = head;
	}
}

/* The audit row of a renewal; the actor is the context's. */
static int audit_renew(struct byod_ctx *ctx, const struct reg_device *d, const char *old,
		       const struct reg_cert *c, int forced, struct byod_err *err)
{
	char na[32], *after;
	json_t *o;
	int rc;

	o = json_pack("{s:s, s:s?, s:s, s:b}", "serial", c->serial, "replaces", old[0] ? old : NULL,
		      "not_after", byod_time_iso(c->not_after, na, sizeof(na)), "forced", forced);
	after = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!after)
		return byod_err_set(err, ENOMEM, "out of memory writing the audit log");
	rc = reg_audit_add(ctx->reg, "device.renew", d->id, NULL, after, err);
	free(after);
	return rc;
}

/* Who may renew: an active device of an active owner who has not left,
 * asked by that owner (or an administrator, p->login NULL). The device's
 * row is locked first (inside the transaction): a second renewal of it at
 * the same time waits, then sees this one's certificate. */
static int check_device(struct byod_ctx *ctx, const struct byod_renew_params *p, time_t now,
			struct reg_device *d, struct reg_person *owner, struct byod_err *err)
{
	int rc;

	if (!p->device || !byod_is_uuid(p->device))
		return byod_err_set(err, EINVAL, "'%.40s' is not a device id",
				    p->device ? p->device : "");
	rc = reg_device_lock(ctx->reg, p->device, err);
	if (!rc)
		rc = reg_device_get(ctx->reg, p->device, d, err);
	if (rc)
		return rc;
	if (p->login && strcmp(p->login, d->owner_login))
		return byod_err_set(err, EPERM, "device %s is not one of %s's", d->id, p->login);
	if (d->state != BYOD_DEVICE_ACTIVE)
		return byod_err_set(err, EPERM, "device %s is %s: only an active device is renewed",
				    d->id, byod_device_state_name(d->state));
	rc = reg_person_get(ctx->reg, d->owner_login, owner, err);
	if (rc)
		return rc;
	if (owner->state != REG_PERSON_ACTIVE)
		return byod_err_set(err, EPERM, "the account '%s' is disabled", owner->login);
	/* refused at RADIUS from its leaving date, disabled by the daily job:
	 * no new certificate in between */
	if (owner->leaves_at && owner->leaves_at <= now)
		return byod_err_set(err, EPERM, "the account '%s' has left", owner->login);
	return 0;
}

int byod_device_renew(struct byod_ctx *ctx, const struct byod_renew_params *p,
		      struct byod_enrolment *out, struct byod_err *err)
{
	enum byod_enrol_refusal why = BYOD_ENROL_OK;
	struct byod_enrol_params ep;
	struct pki_device_params dp;
	struct newest newest;
	struct reg_person owner;
	struct reg_cert cert;
	time_t now = time(NULL), from, opens, year_end;
	char day[32];
	struct pki_ca *ca;
	int rc, forced = 0;

	memset(out, 0, sizeof(*out));
	memset(&cert, 0, sizeof(cert));
	if (p->csr && (p->offers & BYOD_OFFERS_ALL))
		return byod_err_set(err, EINVAL,
				    "a device renewed from a CSR keeps its key: there is nothing "
				    "to download");
	if (p->csr && (rc = pki_csr_check(p->csr, p->csr_len, err)))
		return rc;
	rc = byod_ca(ctx, &ca, err);
	if (rc)
		return rc;
	byod_unsettled_settle(ctx, NULL); /* as byod_device_enrol */

	rc = reg_begin(ctx->reg, err);
	if (rc)
		return rc;
	rc = check_device(ctx, p, now, &out->device, &owner, err);
	if (rc)
		goto out;
	memset(&newest, 0, sizeof(newest));
	newest.now = now;
	rc = reg_cert_list_for_device(ctx->reg, out->device.id, collect_cert, &newest, err);
	if (rc == -ENOMEM)
		byod_err_set(err, ENOMEM, "out of memory reading the device's certificates");
	if (!rc)
		pick_newest(&newest);
	free(newest.v);
	newest.v = NULL;
	if (rc)
		goto out;
	/* the next year's certificate: from the end of the year the old one
	 * covers, or from now when that has passed (or there is none) */
	from = now;
	if (newest.found) {
		opens = byod_renew_opens(&ctx->conf, newest.c.not_after);
		year_end = covered_year_end(&ctx->conf, newest.c.not_after);
		if (opens == (time_t)-1) {
			rc = byod_err_set(err, EINVAL, "pki.school-year-end is malformed");
			goto out;
		}
		if (now < opens && !p->force) {
			byod_enrol_refuse(BYOD_ENROL_RENEW_EARLY, EAGAIN, &why, err);
			byod_time_iso(opens, day, sizeof(day));
			day[10] = '\0';
			rc = byod_err_set(err, EAGAIN, "%s Renewal opens on %s.",
					  byod_enrol_refusal_text(why), day);
			goto out;
		}
		forced = now < opens;
		if (year_end + 1 > from)
			from = year_end + 1;
	}
	memset(&dp, 0, sizeof(dp));
	dp.device_id = out->device.id;
	dp.not_after = byod_cert_end(&ctx->conf, from);
	dp.crl_url = ctx->conf.pki_crl_url;
	if (dp.not_after == (time_t)-1) {
		rc = byod_err_set(err, EINVAL,
				  "pki.school-year-end or pki.grace-until is malformed");
		goto out;
	}
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
	if (newest.found)
		snprintf(cert.replaces, sizeof(cert.replaces), "%s", newest.c.serial);
	rc = reg_cert_add(ctx->reg, &cert, err);
	if (!rc)
		rc = reg_device_set_expires(ctx->reg, out->device.id, cert.not_after, err);
	if (!rc)
		rc = audit_renew(ctx, &out->device, cert.replaces, &cert, forced, err);
	if (!rc && p->offers) {
		memset(&ep, 0, sizeof(ep));
		ep.offers = p->offers;
		ep.sign_cert = p->sign_cert;
		ep.sign_key = p->sign_key;
		ep.offer_ttl = p->offer_ttl;
		ep.words = p->words;
		out->device.expires = cert.not_after;
		rc = byod_enrol_offer_all(ctx, &ep, &owner, out, err);
	}
	if (!rc)
		rc = reg_commit(ctx->reg, err);
out:
	if (rc) {
		reg_rollback(ctx->reg);
		/* never handed out; revoked later if the server wrote it, the
		 * old certificate staying valid either way */
		if (reg_commit_outcome_unknown(ctx->reg))
			byod_unsettled_note(ctx, out->device.id, cert.serial, cert.replaces, 0,
					    err);
		byod_enrolment_clear(out);
		out->refusal = why;
		return rc;
	}
	out->device.expires = cert.not_after;
	snprintf(out->replaces, sizeof(out->replaces), "%s", cert.replaces);
	out->renewal = 1;
	return 0;
}
