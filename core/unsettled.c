// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Enrolments and renewals whose commit outcome is unknown (the registry's
 * server was lost after COMMIT was sent, reg_commit_outcome_unknown): the
 * certificate was never handed out and the person was told the service is
 * unavailable, but the server may have written it. Each is noted in
 * HOME/unsettled (0600, one line each, fsync'd before the caller answers,
 * so that a restart does not forget it) and settled once the registry
 * answers again: a certificate row that exists and is valid is revoked, and
 * the device an enrolment created is retired when it has no other valid
 * certificate, so that the owner's device count, the live-MAC uniqueness
 * and the CRL are as if the enrolment had failed, which is what was said.
 * A renewal's old certificate stays valid either way.
 *
 * The file is the list: a process-wide mutex orders this process's threads
 * and flock() other processes on the same HOME (the portal, byodctl).
 * Settling is idempotent (a row already revoked, or absent, is done), so a
 * line settled twice does no harm.
 *
 * A revocation whose commit outcome stayed unknown after byod_device_revoke's
 * retries is noted here too, and run again unless the registry shows it.
 *
 * A line: "<device id> <serial or -> <replaced serial or -> <created 0|1>
 * <time> <revocation reason> <revocation's new state, 0: not a revocation>".
 */
#include "byod.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "byod_util.h"
#include "enrol_int.h"

#define UNSETTLED_NAME "unsettled"
#define LINE_MAX_LEN   160

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static int unsettled_path(struct byod_ctx *ctx, char *out, size_t size, struct byod_err *err)
{
	if (byod_conf_path(&ctx->conf, UNSETTLED_NAME, out, size))
		return byod_err_set(err, ENAMETOOLONG, "the state directory's path is too long");
	return 0;
}

static int valid_token(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (!n || n >= max)
		return 0;
	return strspn(s, "0123456789abcdefABCDEF-") == n;
}

/* Parses one line into u; 0, or -EINVAL for a line to drop. */
static int parse_line(const char *line, struct byod_unsettled *u)
{
	char device[64], serial[64], replaces[64];
	int created, reason = 0, state = 0, n;
	long long when;

	memset(u, 0, sizeof(*u));
	n = sscanf(line, "%63s %63s %63s %d %lld %d %d", device, serial, replaces, &created, &when,
		   &reason, &state);
	if (n != 5 && n != 7)
		return -EINVAL;
	if (!byod_is_uuid(device) ||
	    (strcmp(serial, "-") && !valid_token(serial, sizeof(u->serial))) ||
	    (strcmp(replaces, "-") && !valid_token(replaces, sizeof(u->replaces))))
		return -EINVAL;
	if (state && state != BYOD_DEVICE_REVOKED && state != BYOD_DEVICE_RETIRED)
		return -EINVAL;
	if (!state && !strcmp(serial, "-"))
		return -EINVAL;
	/* lengths checked above */
	memcpy(u->device, device, strlen(device) + 1);
	if (strcmp(serial, "-"))
		memcpy(u->serial, serial, strlen(serial) + 1);
	if (strcmp(replaces, "-"))
		memcpy(u->replaces, replaces, strlen(replaces) + 1);
	u->created = created ? 1 : 0;
	u->when = (time_t)when;
	u->revoke_reason = reason;
	u->revoke_state = state;
	return 0;
}

static int format_line(const struct byod_unsettled *u, char *out, size_t size)
{
	int n = snprintf(out, size, "%s %s %s %d %lld %d %d\n", u->device,
			 u->serial[0] ? u->serial : "-", u->replaces[0] ? u->replaces : "-",
			 u->created, (long long)u->when, u->revoke_reason, u->revoke_state);

	return n > 0 && (size_t)n < size ? n : -1;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int byod_unsettled_add(struct byod_ctx *ctx, const struct byod_unsettled *u, struct byod_err *err)
{
	char path[1024], line[LINE_MAX_LEN], last = '\n';
	struct stat st;
	int fd, n, rc = 0, torn = 0;

	if (!byod_is_uuid(u->device) ||
	    (u->serial[0] ? !valid_token(u->serial, sizeof(u->serial)) : !u->revoke_state) ||
	    (u->replaces[0] && !valid_token(u->replaces, sizeof(u->replaces))) ||
	    (u->revoke_state && u->revoke_state != BYOD_DEVICE_REVOKED &&
	     u->revoke_state != BYOD_DEVICE_RETIRED))
		return byod_err_set(err, EINVAL,
				    "an unsettled enrolment needs a device and a serial, a "
				    "revocation a device and its new state");
	rc = unsettled_path(ctx, path, sizeof(path), err);
	if (rc)
		return rc;
	n = format_line(u, line, sizeof(line));
	if (n < 0)
		return byod_err_set(err, EINVAL, "an unsettled enrolment's line is too long");
	pthread_mutex_lock(&lock);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = byod_err_set(err, errno, "cannot open %s: %s", path, strerror(errno));
		goto out;
	}
	if (flock(fd, LOCK_EX) < 0 || fstat(fd, &st) < 0) {
		rc = byod_err_set(err, errno, "cannot lock %s: %s", path, strerror(errno));
		close(fd);
		goto out;
	}
	/* a line torn by an earlier failure is ended first, so that this
	 * one stays whole and readable */
	if (st.st_size > 0 && (pread(fd, &last, 1, st.st_size - 1) != 1 || last != '\n'))
		torn = write_all(fd, "\n", 1);
	if (torn < 0 || write_all(fd, line, (size_t)n) < 0 || fsync(fd) < 0) {
		rc = byod_err_set(err, errno ? errno : EIO, "cannot write %s: %s", path,
				  strerror(errno ? errno : EIO));
		/* nothing half written is left behind */
		if (ftruncate(fd, st.st_size) == 0)
			fsync(fd);
	}
	close(fd);
out:
	pthread_mutex_unlock(&lock);
	return rc;
}

/* The serials of a device's valid certificates other than skip. */
struct others {
	const char *skip;
	int n;
};

static int count_other_valid(const struct reg_cert *c, void *arg)
{
	struct others *o = arg;

	if (c->state == REG_CERT_VALID && strcmp(c->serial, o->skip))
		o->n++;
	return 0;
}

static int audit_settled(struct byod_ctx *ctx, const struct byod_unsettled *u, int retired,
			 struct byod_err *err)
{
	json_t *o;
	char *after;
	int rc;

	o = json_pack("{s:s, s:s?, s:b, s:I}", "serial", u->serial, "replaces",
		      u->replaces[0] ? u->replaces : NULL, "retired", retired, "noted",
		      (json_int_t)u->when);
	after = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!after)
		return byod_err_set(err, ENOMEM, "out of memory writing the audit log");
	rc = reg_audit_add(ctx->reg, "enrol.unsettled", u->device, NULL, after, err);
	free(after);
	return rc;
}

/* The writes of one settlement, inside the caller's transaction. */
static int settle_in_tx(struct byod_ctx *ctx, const struct byod_unsettled *u, int *revoked,
			struct byod_err *err)
{
	struct others others = {.skip = u->serial};
	struct reg_device d;
	struct reg_cert c, old;
	time_t now = time(NULL);
	int rc, retire = 0;

	if (u->revoke_state) {
		/* a revocation: done when it was written, again when not */
		rc = reg_device_get(ctx->reg, u->device, &d, err);
		if (rc == -ENOENT ||
		    (!rc && (d.state == BYOD_DEVICE_REVOKED || d.state == BYOD_DEVICE_RETIRED)))
			return 0;
		if (!rc)
			rc = byod_device_end_in_tx(ctx, u->device, u->revoke_reason,
						   (enum byod_device_state)u->revoke_state, err);
		if (!rc)
			*revoked = 1;
		return rc;
	}
	rc = reg_cert_get(ctx->reg, u->serial, &c, err);
	if (rc == -ENOENT)
		return 0; /* never written: as the person was told */
	if (rc || c.state != REG_CERT_VALID)
		return rc; /* revoked since: done */
	rc = reg_device_get(ctx->reg, u->device, &d, err);
	if (rc)
		return rc;
	if (u->created && !u->replaces[0] &&
	    (d.state == BYOD_DEVICE_ACTIVE || d.state == BYOD_DEVICE_SUSPENDED)) {
		rc = reg_cert_list_for_device(ctx->reg, u->device, count_other_valid, &others, err);
		if (rc)
			return rc;
		retire = others.n == 0;
	}
	if (retire)
		rc = reg_device_set_state(ctx->reg, u->device, BYOD_DEVICE_RETIRED, err);
	if (!rc)
		rc = reg_cert_revoke(ctx->reg, u->serial,
				     u->replaces[0] ? REG_REASON_SUPERSEDED : REG_REASON_CESSATION,
				     now, err);
	/* a renewal moved the device's end to the new certificate's: back */
	if (!rc && u->replaces[0] && !reg_cert_get(ctx->reg, u->replaces, &old, NULL) &&
	    old.state == REG_CERT_VALID && d.expires != old.not_after)
		rc = reg_device_set_expires(ctx->reg, u->device, old.not_after, err);
	if (!rc)
		rc = audit_settled(ctx, u, retire, err);
	if (!rc)
		*revoked = 1;
	return rc;
}

/* One entry: 0 when settled (whatever was found), or an error to keep it. */
static int settle_one(struct byod_ctx *ctx, const struct byod_unsettled *u, int *revoked,
		      struct byod_err *err)
{
	int rc;

	rc = reg_begin(ctx->reg, err);
	if (rc)
		return rc;
	rc = settle_in_tx(ctx, u, revoked, err);
	if (!rc)
		rc = reg_commit(ctx->reg, err);
	if (rc) {
		reg_rollback(ctx->reg);
		*revoked = 0;
	}
	return rc;
}

int byod_unsettled_settle(struct byod_ctx *ctx, struct byod_err *err)
{
	char path[1024], actor[64], *buf = NULL, *line, *next, *keep = NULL;
	size_t keep_len = 0, keep_cap = 0, i;
	int fd = -1, rc = 0, first_rc = 0, revoked = 0;
	struct byod_err first = {0};
	struct stat st;
	ssize_t n;

	rc = unsettled_path(ctx, path, sizeof(path), err);
	if (rc)
		return rc;
	/* nearly always: nothing noted */
	if (stat(path, &st) < 0 || st.st_size == 0)
		return 0;
	pthread_mutex_lock(&lock);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		rc = errno == ENOENT ? 0
				     : byod_err_set(err, errno, "cannot open %s: %s", path,
						    strerror(errno));
		goto out;
	}
	if (flock(fd, LOCK_EX) < 0 || fstat(fd, &st) < 0) {
		rc = byod_err_set(err, errno, "cannot lock %s: %s", path, strerror(errno));
		goto out;
	}
	/* a kept last line may gain its newline: room for it and the NUL */
	buf = malloc((size_t)st.st_size + 1);
	keep = malloc((size_t)st.st_size + 2);
	keep_cap = (size_t)st.st_size + 2;
	if (!buf || !keep) {
		rc = byod_err_set(err, ENOMEM, "out of memory reading %s", path);
		goto out;
	}
	n = pread(fd, buf, (size_t)st.st_size, 0);
	if (n < 0) {
		rc = byod_err_set(err, errno, "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	buf[n] = '\0';
	/* a NUL byte (a torn write) ends a line, not the file */
	for (i = 0; i < (size_t)n; i++)
		if (!buf[i])
			buf[i] = '\n';
	snprintf(actor, sizeof(actor), "%s", reg_actor(ctx->reg));
	reg_set_actor(ctx->reg, "system");
	for (line = buf; line && *line; line = next) {
		struct byod_unsettled u;
		struct byod_err e = {0};
		int one = 0, lrc;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (parse_line(line, &u))
			continue; /* unreadable: nothing to settle from it */
		/* the registry gone: the rest waits, untried */
		lrc = first_rc == -ENOTCONN ? -ENOTCONN : settle_one(ctx, &u, &one, &e);
		if (!lrc) {
			revoked |= one;
			continue;
		}
		if (!first_rc) {
			first_rc = lrc;
			first = e;
		}
		/* kept for the next time the registry answers */
		keep_len += (size_t)snprintf(keep + keep_len, keep_cap - keep_len, "%s\n", line);
	}
	reg_set_actor(ctx->reg, actor);
	if (keep_len != (size_t)n) { /* something settled, or unreadable */
		if (pwrite(fd, keep, keep_len, 0) != (ssize_t)keep_len ||
		    ftruncate(fd, (off_t)keep_len) < 0 || fsync(fd) < 0)
			rc = byod_err_set(err, errno ? errno : EIO, "cannot rewrite %s: %s", path,
					  strerror(errno ? errno : EIO));
	}
	if (!rc && first_rc) {
		rc = first_rc;
		if (err)
			*err = first;
		byod_err_prefix(err, "an unsettled enrolment is kept for later");
	}
out:
	if (fd >= 0)
		close(fd);
	pthread_mutex_unlock(&lock);
	free(buf);
	free(keep);
	/* what was revoked is in the registry: a CRL that fails now is
	 * reissued by the next publish */
	if (revoked) {
		struct byod_err cerr = {0};
		int crc = byod_crl_publish(ctx, NULL, &cerr);

		if (crc && !rc) {
			rc = crc;
			if (err)
				*err = cerr;
			byod_err_prefix(err, "unsettled certificates revoked, but the CRL was not "
					     "reissued");
		}
	}
	return rc;
}

int byod_unsettled_count(struct byod_ctx *ctx)
{
	char path[1024], line[LINE_MAX_LEN];
	struct byod_unsettled u;
	int n = 0;
	FILE *f;

	if (unsettled_path(ctx, path, sizeof(path), NULL))
		return 0;
	pthread_mutex_lock(&lock);
	f = fopen(path, "re");
	if (f) {
		while (fgets(line, sizeof(line), f))
			n += !parse_line(line, &u);
		fclose(f);
	}
	pthread_mutex_unlock(&lock);
	return n;
}

int byod_unsettled_pending(struct byod_ctx *ctx, const char *device)
{
	char path[1024], line[LINE_MAX_LEN];
	struct byod_unsettled u;
	int found = 0;
	FILE *f;

	if (!device || unsettled_path(ctx, path, sizeof(path), NULL))
		return 0;
	pthread_mutex_lock(&lock);
	f = fopen(path, "re");
	if (f) {
		while (!found && fgets(line, sizeof(line), f))
			found = !parse_line(line, &u) && !strcmp(u.device, device);
		fclose(f);
	}
	pthread_mutex_unlock(&lock);
	return found;
}

void byod_unsettled_note(struct byod_ctx *ctx, const char *device, const char *serial,
			 const char *replaces, int created, struct byod_err *err)
{
	struct byod_unsettled u;
	struct byod_err nerr = {0};
	char what[40];

	memset(&u, 0, sizeof(u));
	snprintf(u.device, sizeof(u.device), "%s", device);
	snprintf(u.serial, sizeof(u.serial), "%s", serial);
	snprintf(u.replaces, sizeof(u.replaces), "%s", replaces ? replaces : "");
	u.created = created;
	u.when = time(NULL);
	snprintf(what, sizeof(what), "%s", created ? "enrolment" : "renewal");
	if (byod_unsettled_add(ctx, &u, &nerr)) {
		byod_err_set(err, ENOTCONN,
			     "the registry was lost while committing the %s of device %s, and it "
			     "could not be noted for settling (%s): revoke certificate %s by hand "
			     "if the registry holds it",
			     what, device, nerr.msg, serial);
		return;
	}
	byod_err_set(err, ENOTCONN,
		     "the registry was lost while committing the %s of device %s: it is refused, "
		     "and certificate %s will be revoked if it was written, once the registry "
		     "answers again",
		     what, device, serial);
}

void byod_enrolment_undelivered(struct byod_ctx *ctx, const struct byod_enrolment *e,
				struct byod_err *err)
{
	/* an enrolment made its device; a renewal did not */
	byod_unsettled_note(ctx, e->device.id, e->cert.serial, e->replaces[0] ? e->replaces : NULL,
			    !e->renewal, err);
	byod_err_prefix(err, "the certificate was not handed out");
}
