// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The portal's shared state in the registry: web sessions, one-time form
 * tokens, one-time downloads and login throttling, so that every portal
 * process (one school, or a département's nodes on PostgreSQL) sees the
 * same sessions and counts the same failures. Only hashes of the tokens
 * are stored. These rows are not administrative changes: no audit row, no
 * change-feed event.
 */
#include "registry.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "byod_util.h"
#include "reg_internal.h"

#define DOWNLOAD_MAX (1024 * 1024)

static int check_hash(const char *h, const char *what, struct byod_err *err)
{
	size_t i;

	for (i = 0; h && i < 64; i++)
		if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f')))
			break;
	if (!h || i != 64 || h[64])
		return byod_err_set(err, EINVAL, "the %s is not a SHA-256 in lowercase hex", what);
	return 0;
}

static int check_times(time_t a, time_t b, struct byod_err *err)
{
	if (a < 0 || b < 0)
		return byod_err_set(err, EINVAL, "a negative time");
	return 0;
}

/* One write in its own level, so an aborted outer transaction refuses it. */
#define ONE_WRITE(reg, err, call)                                                                  \
	do {                                                                                       \
		int rc_ = reg_begin((reg), (err));                                                 \
		if (rc_)                                                                           \
			return rc_;                                                                \
		rc_ = (call);                                                                      \
		return reg_tx_end((reg), rc_, 1, (err));                                           \
	} while (0)

int reg_web_session_add(struct reg *reg, const struct reg_web_session *s, struct byod_err *err)
{
	int rc = check_hash(s->id_hash, "session id hash", err);

	if (!rc)
		rc = reg_check_text(s->client, sizeof(s->client), 1, "client address", err);
	if (!rc)
		rc = check_times(s->created, s->seen, err);
	if (!rc && s->person < 0)
		rc = byod_err_set(err, EINVAL, "a negative person id");
	if (rc)
		return rc;
	ONE_WRITE(reg, err, OPS(reg)->web_session_insert(reg->be, s, err));
}

int reg_web_session_get(struct reg *reg, const char *id_hash, struct reg_web_session *out,
			struct byod_err *err)
{
	int rc = check_hash(id_hash, "session id hash", err);

	return rc ? rc : OPS(reg)->web_session_get(reg->be, id_hash, out, err);
}

/* A write that must change a row: -ENOENT when it changed none. */
static int changed_one(int rc, int changes, const char *what, struct byod_err *err)
{
	if (!rc && !changes)
		rc = byod_err_set(err, ENOENT, "no such %s", what);
	return rc;
}

int reg_web_session_touch(struct reg *reg, const char *id_hash, time_t seen, struct byod_err *err)
{
	int rc = check_hash(id_hash, "session id hash", err), n = 0;

	if (!rc)
		rc = check_times(seen, 0, err);
	if (!rc)
		rc = reg_begin(reg, err);
	if (rc)
		return rc;
	rc = OPS(reg)->web_session_touch(reg->be, id_hash, seen, &n, err);
	if (!rc && !n) {
		/* absent, or seen already later: tell them apart */
		struct reg_web_session ws;

		rc = OPS(reg)->web_session_get(reg->be, id_hash, &ws, err);
	}
	return reg_tx_end(reg, rc, rc != -ENOENT, err);
}

int reg_web_session_delete(struct reg *reg, const char *id_hash, struct byod_err *err)
{
	int rc = check_hash(id_hash, "session id hash", err), n = 0;

	if (!rc)
		rc = reg_begin(reg, err);
	if (rc)
		return rc;
	rc = OPS(reg)->web_session_delete(reg->be, id_hash, &n, err);
	rc = changed_one(rc, n, "web session", err);
	return reg_tx_end(reg, rc, rc != -ENOENT, err); /* nothing written when absent */
}

int reg_web_session_delete_person(struct reg *reg, int64_t person, int *deleted,
				  struct byod_err *err)
{
	int rc, n = 0;

	if (person <= 0)
		return byod_err_set(err, EINVAL, "no such person id %lld", (long long)person);
	rc = reg_begin(reg, err);
	if (rc)
		return rc;
	rc = OPS(reg)->web_session_delete_person(reg->be, person, &n, err);
	rc = reg_tx_end(reg, rc, 1, err);
	if (!rc && deleted)
		*deleted = n;
	return rc;
}

int reg_web_session_mark_enrolled(struct reg *reg, const char *id_hash, int enrolled,
				  struct byod_err *err)
{
	struct reg_web_session ws;
	int rc = check_hash(id_hash, "session id hash", err), n = 0;

	if (!rc)
		rc = reg_begin(reg, err);
	if (rc)
		return rc;
	rc = OPS(reg)->web_session_mark_enrolled(reg->be, id_hash, !!enrolled, &n, err);
	if (!rc && !n) {
		/* absent, not a code session, or already so: tell them apart */
		rc = OPS(reg)->web_session_get(reg->be, id_hash, &ws, err);
		if (!rc && ws.kind != REG_WEB_CODE)
			rc = byod_err_set(err, ENOENT, "not a code session");
		else if (!rc)
			rc = byod_err_set(err, EALREADY, "the session's enrolment is already %s",
					  enrolled ? "taken" : "free");
	}
	return reg_tx_end(reg, rc, !rc, err);
}

int reg_web_key_get(struct reg *reg, const char *name, const char *candidate, char out[65],
		    struct byod_err *err)
{
	size_t i, n = name ? strlen(name) : 0;
	int rc;

	for (i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
		      name[i] == '.' || name[i] == '-'))
			break;
	if (!n || n > 63 || i != n)
		return byod_err_set(err, EINVAL, "'%s' is not a key name", name ? name : "");
	rc = check_hash(candidate, "candidate key", err);
	if (rc)
		return rc;
	ONE_WRITE(reg, err, OPS(reg)->web_key_get(reg->be, name, candidate, time(NULL), out, err));
}

int reg_web_form_add(struct reg *reg, const char *session_hash, const char *token_hash,
		     time_t expires, struct byod_err *err)
{
	int rc = check_hash(session_hash, "session id hash", err);

	if (!rc)
		rc = check_hash(token_hash, "form token hash", err);
	if (!rc)
		rc = check_times(expires, 0, err);
	if (rc)
		return rc;
	ONE_WRITE(reg, err, OPS(reg)->web_form_insert(reg->be, session_hash, token_hash, expires, err));
}

int reg_web_form_use(struct reg *reg, const char *session_hash, const char *token_hash,
		     time_t now, struct byod_err *err)
{
	int rc = check_hash(session_hash, "session id hash", err), n = 0;

	if (!rc)
		rc = check_hash(token_hash, "form token hash", err);
	if (!rc)
		rc = check_times(now, 0, err);
	if (!rc)
		rc = reg_begin(reg, err);
	if (rc)
		return rc;
	rc = OPS(reg)->web_form_use(reg->be, session_hash, token_hash, now, &n, err);
	rc = changed_one(rc, n, "form token", err);
	/* a refused token still commits the removal of an expired one */
	if (rc == -ENOENT) {
		int c = reg_tx_end(reg, 0, 1, err);

		return c ? c : -ENOENT;
	}
	return reg_tx_end(reg, rc, 1, err);
}

static int check_download(const struct reg_download *d, struct byod_err *err)
{
	int rc = check_hash(d->token_hash, "download token hash", err);

	if (!rc && !byod_is_uuid(d->device))
		rc = byod_err_set(err, EINVAL, "the download's device is not a device id");
	if (!rc)
		rc = reg_check_text(d->filename, sizeof(d->filename), 0, "file name", err);
	if (!rc && strpbrk(d->filename, "/\\\""))
		rc = byod_err_set(err, EINVAL, "the file name '%s' has a '/', '\\' or '\"'",
				  d->filename);
	if (!rc)
		rc = reg_check_text(d->type, sizeof(d->type), 0, "media type", err);
	if (!rc && (!d->data || d->len == 0 || d->len > DOWNLOAD_MAX))
		rc = byod_err_set(err, EINVAL, "a download of %zu bytes (1 to %d)", d->len,
				  DOWNLOAD_MAX);
	if (!rc)
		rc = check_times(d->created, d->expires, err);
	return rc;
}

int reg_download_add(struct reg *reg, const struct reg_download *d, struct byod_err *err)
{
	int rc = check_download(d, err);

	if (rc)
		return rc;
	ONE_WRITE(reg, err, OPS(reg)->download_insert(reg->be, d, err));
}

void reg_download_clear(struct reg_download *d)
{
	if (!d)
		return;
	if (d->data) {
		explicit_bzero(d->data, d->len);
		free(d->data);
	}
	memset(d, 0, sizeof(*d));
}

int reg_download_take(struct reg *reg, const char *token_hash, time_t now,
		      struct reg_download *out, struct byod_err *err)
{
	struct reg_download d;
	int rc = check_hash(token_hash, "download token hash", err), n = 0, expired;

	if (!rc)
		rc = check_times(now, 0, err);
	if (!rc)
		rc = reg_begin(reg, err);
	if (rc)
		return rc;
	memset(&d, 0, sizeof(d));
	rc = OPS(reg)->download_get(reg->be, token_hash, &d, err);
	if (rc) {
		reg_download_clear(&d);
		return reg_tx_end(reg, rc, 0, err);
	}
	/* the delete decides: of two takers, only one removes the row */
	rc = OPS(reg)->download_delete(reg->be, token_hash, &n, err);
	expired = d.expires <= now;
	if (!rc && (!n || expired)) {
		reg_download_clear(&d);
		rc = reg_tx_end(reg, 0, 1, err);
		if (rc)
			return rc;
		return byod_err_set(err, ENOENT, expired ? "the download has expired"
							 : "no such download");
	}
	rc = reg_tx_end(reg, rc, 1, err);
	if (rc) {
		reg_download_clear(&d);
		return rc;
	}
	*out = d;
	return 0;
}

int reg_download_peek(struct reg *reg, const char *token_hash, time_t now,
		      struct reg_download *out, struct byod_err *err)
{
	struct reg_download d;
	int rc = check_hash(token_hash, "download token hash", err);

	if (!rc)
		rc = check_times(now, 0, err);
	if (rc)
		return rc;
	memset(&d, 0, sizeof(d));
	rc = OPS(reg)->download_get(reg->be, token_hash, &d, err);
	if (!rc && d.expires <= now)
		rc = byod_err_set(err, ENOENT, "the download has expired");
	if (rc) {
		reg_download_clear(&d);
		return rc;
	}
	*out = d;
	return 0;
}

static int check_throttle(const struct reg_throttle *t, struct byod_err *err)
{
	int rc = check_times(t->last_failure, t->locked_until, err);

	if (!rc && t->failures < 0)
		rc = byod_err_set(err, EINVAL, "a negative failure count");
	return rc;
}

static int throttle_empty(const struct reg_throttle *t)
{
	return t->failures == 0 && t->locked_until <= 0;
}

int reg_throttle_get(struct reg *reg, const char *key, struct reg_throttle *out,
		     struct byod_err *err)
{
	int rc = reg_check_text(key, sizeof(out->key), 0, "throttle key", err);

	return rc ? rc : OPS(reg)->throttle_get(reg->be, key, out, err);
}

int reg_throttle_put(struct reg *reg, const struct reg_throttle *t, struct byod_err *err)
{
	int rc = reg_check_text(t->key, sizeof(t->key), 0, "throttle key", err);

	if (!rc)
		rc = check_throttle(t, err);
	if (rc)
		return rc;
	ONE_WRITE(reg, err, OPS(reg)->throttle_put(reg->be, t, err));
}

int reg_throttle_delete(struct reg *reg, const char *key, struct byod_err *err)
{
	int rc = reg_check_text(key, sizeof(((struct reg_throttle *)0)->key), 0, "throttle key", err);

	if (rc)
		return rc;
	ONE_WRITE(reg, err, OPS(reg)->throttle_delete(reg->be, key, err));
}

int reg_throttle_update(struct reg *reg, struct reg_throttle *rows, size_t n,
			reg_throttle_decide_fn decide, void *arg, struct byod_err *err)
{
	struct reg_throttle was[REG_THROTTLE_KEYS_MAX];
	int absent[REG_THROTTLE_KEYS_MAX];
	size_t order[REG_THROTTLE_KEYS_MAX], i, j, k;
	int rc = 0;

	if (!rows || !decide || n == 0 || n > REG_THROTTLE_KEYS_MAX)
		return byod_err_set(err, EINVAL, "1 to %d throttle keys", REG_THROTTLE_KEYS_MAX);
	for (i = 0; !rc && i < n; i++) {
		rc = reg_check_text(rows[i].key, sizeof(rows[i].key), 0, "throttle key", err);
		for (j = 0; !rc && j < i; j++)
			if (!strcmp(rows[i].key, rows[j].key))
				rc = byod_err_set(err, EINVAL, "the throttle key '%s' twice",
						  rows[i].key);
	}
	if (!rc)
		rc = reg_begin(reg, err);
	if (rc)
		return rc;
	/* locked in the keys' order, the same for every caller, so that two
	 * writers locking side by side (PostgreSQL) never wait for each other
	 * in a circle */
	for (i = 0; i < n; i++) {
		for (j = i; j > 0 && strcmp(rows[order[j - 1]].key, rows[i].key) > 0; j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
	for (k = 0; !rc && k < n; k++) {
		i = order[k];
		memset(&was[i], 0, sizeof(was[i]));
		rc = OPS(reg)->throttle_lock(reg->be, rows[i].key, &was[i], err);
		absent[i] = rc == -ENOENT;
		if (absent[i])
			rc = 0;
		/* what a backend hands back is the key asked for, whatever it stored */
		memcpy(was[i].key, rows[i].key, sizeof(was[i].key));
		rows[i] = was[i];
	}
	if (!rc)
		rc = decide(rows, n, arg);
	for (i = 0; !rc && i < n; i++) {
		/* decide may change the counts, not which key a row is */
		memcpy(rows[i].key, was[i].key, sizeof(rows[i].key));
		rc = check_throttle(&rows[i], err);
		/* a key without state stays so: the row a backend may have
		 * created to lock it goes (SQLite: nothing to delete) */
		if (!rc && absent[i] && throttle_empty(&rows[i])) {
			rc = OPS(reg)->throttle_delete(reg->be, rows[i].key, err);
			continue;
		}
		if (rc || !memcmp(&rows[i], &was[i], sizeof(was[i])))
			continue;
		if (throttle_empty(&rows[i]))
			rc = OPS(reg)->throttle_delete(reg->be, rows[i].key, err);
		else
			rc = OPS(reg)->throttle_put(reg->be, &rows[i], err);
	}
	return reg_tx_end(reg, rc, 1, err);
}

int reg_throttle_list_prefix(struct reg *reg, const char *prefix,
			     int (*cb)(const struct reg_throttle *, void *), void *ctx,
			     struct byod_err *err)
{
	int rc = reg_check_text(prefix, sizeof(((struct reg_throttle *)0)->key), 0,
				"throttle key prefix", err);

	if (!rc && !cb)
		rc = byod_err_set(err, EINVAL, "no callback");
	return rc ? rc : OPS(reg)->throttle_list_prefix(reg->be, prefix, cb, ctx, err);
}

int reg_throttle_delete_prefix(struct reg *reg, const char *prefix, int *deleted,
			       struct byod_err *err)
{
	int rc = reg_check_text(prefix, sizeof(((struct reg_throttle *)0)->key), 0,
				"throttle key prefix", err), n = 0;

	if (!rc)
		rc = reg_begin(reg, err);
	if (rc)
		return rc;
	rc = OPS(reg)->throttle_delete_prefix(reg->be, prefix, &n, err);
	rc = reg_tx_end(reg, rc, 1, err);
	if (!rc && deleted)
		*deleted = n;
	return rc;
}

int reg_web_purge(struct reg *reg, time_t now, time_t idle_before, time_t created_before,
		  time_t forget_before, int *deleted, struct byod_err *err)
{
	int rc, n = 0, once = 0;

	if (now < 0 || idle_before < 0 || created_before < 0 || forget_before < 0)
		return byod_err_set(err, EINVAL, "a negative time");
	rc = reg_begin(reg, err);
	if (rc)
		return rc;
	rc = OPS(reg)->web_purge(reg->be, now, idle_before, created_before, forget_before, &n, err);
	/* the identity sources' single-use keys are the portal's state too:
	 * whatever runs this purge (the portal, the daily job) runs theirs */
	if (!rc)
		rc = OPS(reg)->once_purge(reg->be, now, &once, err);
	rc = reg_tx_end(reg, rc, 1, err);
	if (!rc && deleted)
		*deleted = n + once;
	return rc;
}

/* ---- one-time enrolment codes ------------------------------------------- */

int reg_enrol_code_add(struct reg *reg, const char *code_hash, int64_t person, time_t expires,
		       struct byod_err *err)
{
	struct reg_person p;
	time_t now = time(NULL);
	int rc = check_hash(code_hash, "enrolment code hash", err);

	if (!rc && expires <= now)
		rc = byod_err_set(err, EINVAL, "an enrolment code that has already expired");
	if (!rc)
		rc = reg_person_get_by_id(reg, person, &p, err);
	if (!rc)
		rc = reg_begin(reg, err);
	if (rc)
		return rc;
	rc = OPS(reg)->enrol_code_insert(reg->be, code_hash, person, now, expires, err);
	if (!rc) {
		char after[96], until[32];

		byod_time_iso(expires, until, sizeof(until));
		snprintf(after, sizeof(after), "{\"expires\":\"%s\"}", until);
		rc = reg_audit_add(reg, "enrol-code.issue", p.login, NULL, after, err);
	}
	return reg_tx_end(reg, rc, 1, err);
}

int reg_enrol_code_use(struct reg *reg, const char *code_hash, time_t now, int64_t *person,
		       struct byod_err *err)
{
	int rc = check_hash(code_hash, "enrolment code hash", err), n = 0;

	if (!rc)
		rc = check_times(now, 0, err);
	if (!rc)
		rc = reg_begin(reg, err);
	if (rc)
		return rc;
	rc = OPS(reg)->enrol_code_get(reg->be, code_hash, now, person, err);
	if (!rc)
		rc = OPS(reg)->enrol_code_use(reg->be, code_hash, now, &n, err);
	/* the update decides: of two users of one code, only one changes it */
	rc = changed_one(rc, n, "enrolment code", err);
	return reg_tx_end(reg, rc, rc != -ENOENT, err);
}

int reg_enrol_code_peek(struct reg *reg, const char *code_hash, time_t now, int64_t *person,
			struct byod_err *err)
{
	int rc = check_hash(code_hash, "enrolment code hash", err);

	if (!rc)
		rc = check_times(now, 0, err);
	return rc ? rc : OPS(reg)->enrol_code_get(reg->be, code_hash, now, person, err);
}
