// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Retention and a person's rights: the daily purge (byod_purge: each kind
 * of data deleted once past the time byod.conf's retention.* keys give it,
 * one audit row with the counts per run), the pseudonym the audit trail
 * names a removed person by (its key in HOME/pseudonym.key, outside the
 * registry), and the erasure of a person (their devices
 * revoked first, the CRL reissued, then reg_person_remove).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "byod.h"
#include "byod_util.h"
#include "login_throttle.h"

#define DAY 86400

#define PSEUDONYM_KEY_FILE "pseudonym.key"
#define PSEUDONYM_KEY_HEX  64 /* 32 random bytes in hex */

/* Reads the key's 64 hex digits from an open file, refusing a file that is
 * not a regular file only its owner may read. */
static int key_read(int fd, const char *path, char key[PSEUDONYM_KEY_HEX + 1], struct byod_err *err)
{
	struct stat st;
	ssize_t n;
	size_t i;

	if (fstat(fd, &st))
		return byod_err_set(err, errno, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode) || (st.st_mode & 077))
		return byod_err_set(err, EPERM,
				    "%s must be a regular file that only its owner may read "
				    "(chmod 600)",
				    path);
	n = pread(fd, key, PSEUDONYM_KEY_HEX, 0);
	if (n != PSEUDONYM_KEY_HEX)
		return byod_err_set(err, EIO, "%s holds no pseudonym key", path);
	key[PSEUDONYM_KEY_HEX] = '\0';
	for (i = 0; i < PSEUDONYM_KEY_HEX; i++)
		if (!strchr("0123456789abcdef", key[i]))
			return byod_err_set(err, EIO, "%s holds no pseudonym key", path);
	return 0;
}

/* Writes a new key into a file just created (O_EXCL) and reads it back. */
static int key_create(int fd, const char *path, char key[PSEUDONYM_KEY_HEX + 1],
		      struct byod_err *err)
{
	unsigned char rnd[PSEUDONYM_KEY_HEX / 2];
	char text[PSEUDONYM_KEY_HEX + 2];
	size_t i;
	int rc = 0;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return byod_err_set(err, EIO, "no random bytes for the pseudonym key");
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(text + 2 * i, 3, "%02x", rnd[i]);
	text[PSEUDONYM_KEY_HEX] = '\n';
	if (write(fd, text, PSEUDONYM_KEY_HEX + 1) != PSEUDONYM_KEY_HEX + 1 || fsync(fd))
		rc = byod_err_set(err, EIO, "cannot write %s", path);
	explicit_bzero(rnd, sizeof(rnd));
	explicit_bzero(text, sizeof(text));
	return rc ? rc : key_read(fd, path, key, err);
}

/*
 * The pseudonym key: HOME/pseudonym.key, 64 hex digits, mode 0600, made by
 * the first erasure or purge (O_CREAT|O_EXCL|O_NOFOLLOW: never through a
 * link, never over another file) and read by byodctl and byod-gatewayd's
 * purge only. It is kept out of the registry on purpose: the portal's
 * database role and every dump of the registry would otherwise hold it,
 * and with it and a class list anyone could put the names back on an
 * erased person's audit trail.
 */
static int pseudonym_key(struct byod_ctx *ctx, char key[PSEUDONYM_KEY_HEX + 1],
			 struct byod_err *err)
{
	char path[4096];
	int fd, rc, tries;

	if (!ctx->conf.home || !ctx->conf.home[0])
		return byod_err_set(err, EINVAL, "no home directory for the pseudonym key");
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", ctx->conf.home, PSEUDONYM_KEY_FILE) >=
	    sizeof(path))
		return byod_err_set(err, ENAMETOOLONG, "the home's path is too long");
	for (tries = 0; tries < 2; tries++) {
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0) {
			rc = key_read(fd, path, key, err);
			close(fd);
			return rc;
		}
		if (errno != ENOENT)
			return byod_err_set(err, errno, "%s: %s", path, strerror(errno));
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0) {
			rc = key_create(fd, path, key, err);
			close(fd);
			if (rc)
				unlink(path);
			return rc;
		}
		if (errno != EEXIST) /* EEXIST: made meanwhile by another program */
			return byod_err_set(err, errno, "cannot create %s: %s", path,
					    strerror(errno));
	}
	return byod_err_set(err, EAGAIN, "%s: cannot be opened or created", path);
}

/*
 * The pseudonym: "anon-" and the first 20 hex digits (80 bits) of
 * HMAC-SHA256(key, login), where key is HOME/pseudonym.key
 * (pseudonym_key: outside the registry). The same login always gets the
 * same pseudonym, so that the audit trail of a removed person stays one
 * trail; without the key, it cannot be recomputed from a list of logins.
 */
int byod_pseudonym(struct byod_ctx *ctx, const char *login, char out[REG_LOGIN_MAX],
		   struct byod_err *err)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	char key[PSEUDONYM_KEY_HEX + 1];
	unsigned int len = 0;
	size_t i;
	int rc;

	rc = pseudonym_key(ctx, key, err);
	if (rc)
		return rc;
	if (!HMAC(EVP_sha256(), key, PSEUDONYM_KEY_HEX, (const unsigned char *)login, strlen(login),
		  mac, &len) ||
	    len < 10)
		rc = byod_err_set(err, EIO, "the pseudonym could not be computed");
	explicit_bzero(key, sizeof(key));
	if (rc)
		return rc;
	memcpy(out, "anon-", 6);
	for (i = 0; i < 10; i++)
		snprintf(out + 5 + 2 * i, 3, "%02x", mac[i]);
	return 0;
}

struct live_ids {
	char ids[64][REG_SERIAL_MAX]; /* device ids or serials */
	size_t n, more;
};

static int collect_live(const struct reg_device *d, void *arg)
{
	struct live_ids *l = arg;

	if (d->state != BYOD_DEVICE_ACTIVE && d->state != BYOD_DEVICE_SUSPENDED)
		return 0;
	if (l->n < sizeof(l->ids) / sizeof(l->ids[0]))
		snprintf(l->ids[l->n++], REG_ID_MAX, "%s", d->id);
	else
		l->more++;
	return 0;
}

static int collect_valid(const struct reg_cert *c, void *arg)
{
	struct live_ids *l = arg;

	if (c->state == REG_CERT_VALID && l->n < sizeof(l->ids) / sizeof(l->ids[0]))
		snprintf(l->ids[l->n++], REG_SERIAL_MAX, "%s", c->serial);
	return 0;
}

/* The rows byod_device_revoke writes (the device revoked, its valid
 * certificates revoked at now), without reissuing the CRL. */
static int revoke_rows(struct byod_ctx *ctx, const char *id, int reason, time_t now,
		       struct byod_err *err)
{
	struct live_ids valid;
	size_t i;
	int rc;

	memset(&valid, 0, sizeof(valid));
	rc = reg_cert_list_for_device(ctx->reg, id, collect_valid, &valid, err);
	if (!rc)
		rc = reg_device_set_state(ctx->reg, id, BYOD_DEVICE_REVOKED, err);
	for (i = 0; !rc && i < valid.n; i++)
		rc = reg_cert_revoke(ctx->reg, valid.ids[i], reason, now, err);
	return rc;
}

/* Revokes the person's live devices (reason), then removes the person
 * under their pseudonym. *revoked gets how many devices were revoked here.
 * Without publish, the CRL is not reissued (a dry run, or the purge that
 * reissues it once at its end). */
static int person_remove(struct byod_ctx *ctx, const char *login, const char *action, int reason,
			 time_t now, int publish, int *revoked, struct reg_remove_report *r,
			 char pseudonym[REG_LOGIN_MAX], struct byod_err *err)
{
	struct reg_device_filter f = {.owner_login = login, .state = -1, .school = NULL};
	struct live_ids live;
	size_t i;
	int rc;

	*revoked = 0;
	do {
		memset(&live, 0, sizeof(live));
		rc = reg_device_list(ctx->reg, &f, collect_live, &live, err);
		for (i = 0; !rc && i < live.n; i++) {
			if (publish) {
				rc = byod_device_revoke(ctx, live.ids[i], reason,
							BYOD_DEVICE_REVOKED, NULL, err);
			} else {
				rc = revoke_rows(ctx, live.ids[i], reason, now, err);
			}
			if (!rc)
				(*revoked)++;
		}
	} while (!rc && live.more);
	if (!rc)
		rc = byod_pseudonym(ctx, login, pseudonym, err);
	if (!rc)
		rc = reg_person_remove(ctx->reg, login, pseudonym, action, now, r, err);
	return rc;
}

int byod_person_erase(struct byod_ctx *ctx, const char *login, time_t now,
		      struct reg_remove_report *r, char pseudonym[REG_LOGIN_MAX],
		      struct byod_err *err)
{
	int rc, revoked = 0;

	rc = person_remove(ctx, login, "person.erase", REG_REASON_CESSATION, now, 1, &revoked, r,
			   pseudonym, err);
	if (!rc) {
		rc = byod_crl_publish(ctx, NULL, err);
		if (rc)
			byod_err_prefix(err, "%s erased, but the CRL was not reissued", login);
	}
	return rc;
}

struct due_people {
	time_t before;
	char (*logins)[REG_LOGIN_MAX];
	size_t n, cap;
};

static int collect_due(const struct reg_person *p, void *arg)
{
	struct due_people *d = arg;

	if (p->state != REG_PERSON_DISABLED || !p->disabled_at || p->disabled_at >= d->before)
		return 0;
	if (d->n == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 64;
		void *m = realloc(d->logins, cap * sizeof(*d->logins));

		if (!m)
			return -ENOMEM;
		d->logins = m;
		d->cap = cap;
	}
	snprintf(d->logins[d->n++], REG_LOGIN_MAX, "%s", p->login);
	return 0;
}

/* People disabled before before, removed one transaction each (inside the
 * dry run's single transaction when dry_run). */
static int purge_people(struct byod_ctx *ctx, time_t now, time_t before, int dry_run,
			struct byod_purge_report *r, struct byod_err *err)
{
	struct due_people due = {.before = before};
	size_t i;
	int rc;

	rc = reg_person_list(ctx->reg, collect_due, &due, err);
	if (rc == -ENOMEM)
		byod_err_set(err, ENOMEM, "out of memory");
	for (i = 0; !rc && i < due.n; i++) {
		struct reg_remove_report rr;
		char pseudonym[REG_LOGIN_MAX];
		int revoked = 0;

		rc = person_remove(ctx, due.logins[i], "person.purge",
				   REG_REASON_AFFILIATION_CHANGED, now, 0, &revoked, &rr, pseudonym,
				   err);
		if (!rc) {
			r->people++;
			r->devices += rr.devices;
		}
	}
	free(due.logins);
	(void)dry_run;
	return rc;
}

static time_t days_before(time_t now, int days)
{
	return now - (time_t)days * DAY > 0 ? now - (time_t)days * DAY : 0;
}

int byod_purge(struct byod_ctx *ctx, time_t now, int dry_run, struct byod_purge_report *r,
	       struct byod_err *err)
{
	const struct byod_conf *c = &ctx->conf;
	struct byod_purge_report rep;
	char after[512];
	int rc;

	memset(&rep, 0, sizeof(rep));
	if (r)
		memset(r, 0, sizeof(*r));
	/* the people whose leaving date has passed are disabled first, so
	 * that their retention starts today */
	if (!dry_run) {
		rc = byod_departures_apply(ctx, now, &rep.departed_people, &rep.departed_devices,
					   err);
		if (rc)
			return rc;
	}
	/* one transaction: a dry run rolls it back and only counts */
	rc = reg_begin(ctx->reg, err);
	if (rc)
		return rc;
	rc = reg_session_close_stale(ctx->reg, now, &rep.sessions_closed, err);
	if (!rc)
		rc = reg_session_purge(ctx->reg, days_before(now, c->retention_sessions),
				       &rep.sessions, err);
	if (!rc)
		rc = reg_audit_purge(ctx->reg, days_before(now, c->retention_audit), &rep.audit,
				     err);
	if (!rc)
		rc = reg_web_purge(ctx->reg, now, now - c->portal_session_idle_s,
				   now - c->portal_session_max_s,
				   now - byod_login_rule_pair.forget_s, &rep.web, err);
	if (!rc)
		rc = reg_admin_session_purge(ctx->reg, now, now - c->admin_session_idle_s,
					     now - c->admin_session_max_s, &rep.admin_web, err);
	if (!rc)
		rc = reg_enrol_code_purge(ctx->reg, now, &rep.enrol_codes, err);
	if (!rc)
		rc = reg_oauth_purge(ctx->reg, now, &rep.oauth, err);
	if (!rc)
		rc = reg_decision_purge(ctx->reg, days_before(now, c->retention_decisions),
					&rep.decisions, err);
	if (!rc)
		rc = purge_people(ctx, now, days_before(now, c->retention_people), dry_run, &rep,
				  err);
	if (!rc)
		rc = reg_crl_kept_purge(ctx->reg, now, &rep.crl_kept, err);
	if (!rc) {
		snprintf(after, sizeof(after),
			 "{\"departed_people\":%d,\"departed_devices\":%d,\"sessions_closed\":%d,"
			 "\"sessions\":%d,"
			 "\"audit\":%d,\"portal\":%d,\"console\":%d,\"enrolment_codes\":%d,"
			 "\"oauth\":%d,"
			 "\"decisions\":%d,\"people\":%d,\"devices\":%d,\"crl_kept\":%d}",
			 rep.departed_people, rep.departed_devices, rep.sessions_closed,
			 rep.sessions, rep.audit, rep.web, rep.admin_web, rep.enrol_codes,
			 rep.oauth, rep.decisions, rep.people, rep.devices, rep.crl_kept);
		rc = reg_audit_add_school(ctx->reg, "", "retention.purge", "", NULL, after, err);
	}
	if (rc || dry_run) {
		reg_rollback(ctx->reg);
	} else {
		rc = reg_commit(ctx->reg, err);
		if (rc)
			reg_rollback(ctx->reg);
	}
	if (!rc && !dry_run && (rep.people || rep.crl_kept)) {
		rc = byod_crl_publish(ctx, NULL, err);
		if (rc)
			byod_err_prefix(err, "purged, but the CRL was not reissued");
	}
	if (!rc && r)
		*r = rep;
	return rc;
}
