// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The backend-independent half of the device registry: the public reg_*
 * functions. They validate and normalise what callers pass (lengths, enum
 * ranges, UAI, MAC and serial forms), count transaction levels, and turn
 * every change into one transaction holding the change itself, an audit row
 * (actor, action, object, before and after as JSON) and a change-feed event.
 * Storage is reached only through struct reg_backend_ops (backend.h), so a
 * new backend is one more file and no caller changes.
 */
#define _GNU_SOURCE
#include "registry.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "backend.h"
#include "byod_util.h"

#include "reg_internal.h"

/* ---- text forms ---------------------------------------------------- */

static const char *const person_state_names[] = {
	[REG_PERSON_ACTIVE] = "active",
	[REG_PERSON_DISABLED] = "disabled",
};

static const char *const cert_state_names[] = {
	[REG_CERT_VALID] = "valid",
	[REG_CERT_REVOKED] = "revoked",
};

/* The first entry for a code is its name; later ones are accepted aliases. */
static const struct {
	int code;
	const char *name;
} reasons[] = {
	{REG_REASON_UNSPECIFIED, "unspecified"},
	{REG_REASON_KEY_COMPROMISE, "key-compromise"},
	{REG_REASON_AFFILIATION_CHANGED, "affiliation-changed"},
	{REG_REASON_SUPERSEDED, "superseded"},
	{REG_REASON_CESSATION, "cessation-of-operation"},
	{REG_REASON_HOLD, "certificate-hold"},
	{REG_REASON_PRIVILEGE_WITHDRAWN, "privilege-withdrawn"},
	{REG_REASON_KEY_COMPROMISE, "lost"},
	{REG_REASON_CESSATION, "retired"},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *enum_name(const char *const *names, size_t n, int v)
{
	return v >= 0 && (size_t)v < n ? names[v] : NULL;
}

/* Returns the index of s in names (case does not matter) or -EINVAL. */
static int enum_parse(const char *const *names, size_t n, const char *s)
{
	size_t i;

	for (i = 0; s && i < n; i++)
		if (!strcasecmp(s, names[i]))
			return (int)i;
	return -EINVAL;
}

#define DEFINE_ENUM_TEXT(fn, type, names)                                                          \
	const char *reg_##fn##_name(type v)                                                        \
	{                                                                                          \
		return enum_name(names, COUNT(names), (int)v);                                     \
	}                                                                                          \
	int reg_##fn##_parse(const char *s, type *out)                                             \
	{                                                                                          \
		int i = enum_parse(names, COUNT(names), s);                                        \
                                                                                                   \
		if (i < 0)                                                                         \
			return i;                                                                  \
		*out = (type)i;                                                                    \
		return 0;                                                                          \
	}

/* Each returns the static name (NULL for a value out of range); each parse
 * returns 0 or -EINVAL. */
DEFINE_ENUM_TEXT(person_state, enum reg_person_state, person_state_names)
DEFINE_ENUM_TEXT(cert_state, enum reg_cert_state, cert_state_names)

const char *reg_reason_name(int reason)
{
	size_t i;

	for (i = 0; i < COUNT(reasons); i++)
		if (reasons[i].code == reason)
			return reasons[i].name;
	return NULL;
}

int reg_reason_parse(const char *s, int *out)
{
	size_t i;

	for (i = 0; s && i < COUNT(reasons); i++) {
		if (!strcasecmp(s, reasons[i].name)) {
			*out = reasons[i].code;
			return 0;
		}
	}
	return -EINVAL;
}

/* ---- validation ------------------------------------------------------ */

/* A string that fits in max bytes with its NUL and holds no control
 * character (names end up in logs, CSV exports and certificates). */
int reg_check_text(const char *s, size_t max, int may_be_empty, const char *what,
		   struct byod_err *err)
{
	size_t n, i;

	if (!s || !s[0]) {
		if (may_be_empty)
			return 0;
		return byod_err_set(err, EINVAL, "the %s is empty", what);
	}
	n = strnlen(s, max);
	if (n == max)
		return byod_err_set(err, EINVAL, "the %s is longer than %zu characters", what,
				    max - 1);
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return byod_err_set(err, EINVAL, "the %s contains a control character",
					    what);
	return 0;
}

static int check_uai(const char *uai, struct byod_err *err)
{
	int rc = reg_check_text(uai, REG_UAI_MAX, 0, "UAI", err);

	if (rc)
		return rc;
	if (byod_uai_check(uai, NULL))
		return byod_err_set(err, EINVAL, "'%s' is not a UAI (7 digits and a letter)", uai);
	return 0;
}

/* A device id in any case into out (lowercase). */
static int norm_device_id(const char *id, char out[REG_ID_MAX], struct byod_err *err)
{
	int i;

	if (!id || !byod_is_uuid(id))
		return byod_err_set(err, EINVAL, "'%.40s' is not a device id (a UUID)",
				    id ? id : "");
	for (i = 0; id[i]; i++)
		out[i] = (char)tolower((unsigned char)id[i]);
	out[i] = '\0';
	return 0;
}

static int norm_serial(const char *serial, char out[REG_SERIAL_MAX], struct byod_err *err)
{
	size_t n = 0;

	/* 128 characters hold any written form of 160 bits (colons, spaces). */
	while (serial && n < 128 && serial[n])
		n++;
	if (!serial || n == 128 ||
	    byod_serial_normalise(serial, out, REG_SERIAL_MAX))
		return byod_err_set(err, EINVAL,
				    "'%.64s' is not a certificate serial (at most 160 bits in hex)",
				    serial ? serial : "");
	return 0;
}

/* A MAC in any common form into out, or "" for NULL or "". */
static int norm_mac(const char *mac, char out[REG_MAC_MAX], struct byod_err *err)
{
	if (!mac || !mac[0]) {
		out[0] = '\0';
		return 0;
	}
	if (byod_mac_normalise(mac, out))
		return byod_err_set(err, EINVAL, "'%.64s' is not a MAC address", mac);
	return 0;
}

static int check_login(const char *login, struct byod_err *err)
{
	return reg_check_text(login, REG_LOGIN_MAX, 0, "login", err);
}

/* A stored password is a crypt(3) hash or nothing: refusing anything else
 * keeps a password passed by mistake out of the database. */
static int check_hash(const char *hash, struct byod_err *err)
{
	int rc = reg_check_text(hash, REG_HASH_MAX, 1, "password hash", err);

	if (rc)
		return rc;
	if (hash && hash[0] && hash[0] != '$')
		return byod_err_set(err, EINVAL, "the password hash is not in crypt(3) form");
	return 0;
}

int reg_source_check(const char *name, struct byod_err *err)
{
	size_t i, n = name ? strnlen(name, REG_SOURCE_MAX) : 0;

	if (!n || n == REG_SOURCE_MAX || name[0] == '-')
		goto bad;
	for (i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
		      name[i] == '-'))
			goto bad;
	return 0;
bad:
	/* (n bytes at most: the name may be a full array with no NUL) */
	return byod_err_set(err, EINVAL,
			    "'%.*s' is not an identity source's name (1 to %d small letters, "
			    "digits and '-')",
			    (int)n, name ? name : "", REG_SOURCE_MAX - 1);
}

static int check_person(const struct reg_person *p, struct byod_err *err)
{
	int rc;

	rc = check_login(p->login, err);
	if (!rc)
		rc = reg_check_text(p->display_name, REG_NAME_MAX, 1, "display name", err);
	if (!rc)
		rc = reg_check_text(p->groups, REG_GROUPS_MAX, 1, "group list", err);
	if (!rc)
		rc = check_hash(p->password_hash, err);
	if (!rc && p->school[0])
		rc = check_uai(p->school, err);
	if (!rc && p->source[0])
		rc = reg_source_check(p->source, err);
	if (rc)
		return rc;
	if (!byod_role_name(p->role))
		return byod_err_set(err, EINVAL, "role %d is not a role", (int)p->role);
	if (!reg_person_state_name(p->state))
		return byod_err_set(err, EINVAL, "state %d is not an account state", (int)p->state);
	if (p->leaves_at < 0)
		return byod_err_set(err, EINVAL, "a leaving date before 1970 is not a date");
	return 0;
}

static int check_device_state(int state, struct byod_err *err)
{
	if (state < 0 || state >= BYOD_DEVICE_UNKNOWN)
		return byod_err_set(err, EINVAL, "state %d is not a device state", state);
	return 0;
}

/* ---- the audit log's JSON -------------------------------------------- */


/* An ISO time, or JSON null for 0 ("never"). */
static json_t *time_json(time_t t)
{
	char buf[32];

	return t ? json_string(byod_time_iso(t, buf, sizeof(buf))) : json_null();
}

static json_t *school_json(const void *obj)
{
	const struct reg_school *s = obj;

	return json_pack("{s:s, s:s}", "uai", s->uai, "name", s->name);
}

/* Never the hash itself: only whether there is one. */
static json_t *person_json(const void *obj)
{
	const struct reg_person *p = obj;
	json_t *j;

	j = json_pack("{s:I, s:s, s:s, s:s, s:s?, s:s, s:s, s:b, s:o}", "id", (json_int_t)p->id,
			 "login", p->login, "display_name", p->display_name, "role",
			 byod_role_name(p->role), "school", p->school[0] ? p->school : NULL,
			 "groups", p->groups, "state", reg_person_state_name(p->state),
			 "password_set", p->password_hash[0] != '\0', "created",
			 time_json(p->created));
	/* only when set, so that rows of people without them read as before */
	if (j && p->leaves_at)
		json_object_set_new(j, "leaves_at", time_json(p->leaves_at));
	if (j && p->disabled_at)
		json_object_set_new(j, "disabled_at", time_json(p->disabled_at));
	if (j && p->source[0])
		json_object_set_new(j, "source", json_string(p->source));
	return j;
}

static json_t *device_json(const void *obj)
{
	const struct reg_device *d = obj;

	return json_pack("{s:s, s:I, s:s, s:s, s:s, s:s?, s:s, s:s, s:o, s:o}", "id", d->id,
			 "owner", (json_int_t)d->owner, "owner_login", d->owner_login, "name",
			 d->name, "kind", byod_kind_name(d->kind), "mac",
			 d->mac[0] ? d->mac : NULL, "state", byod_device_state_name(d->state),
			 "charter", d->charter, "created", time_json(d->created), "expires",
			 time_json(d->expires));
}

static json_t *cert_json(const void *obj)
{
	const struct reg_cert *c = obj;
	int revoked = c->state == REG_CERT_REVOKED;

	return json_pack("{s:s, s:s, s:o, s:o, s:s, s:o, s:s?, s:s?, s:o?}", "serial", c->serial,
			 "device", c->device, "not_before", time_json(c->not_before),
			 "not_after", time_json(c->not_after), "state",
			 reg_cert_state_name(c->state), "revoked_at",
			 time_json(revoked ? c->revoked_at : 0), "reason",
			 revoked ? reg_reason_name(c->reason) : NULL, "replaces",
			 c->replaces[0] ? c->replaces : NULL, "first_seen",
			 c->first_seen ? time_json(c->first_seen) : NULL);
}

/* fn(obj) as compact JSON into *out (NULL when obj is NULL); *out is
 * freed by the caller with free(). */
static int dump_json(to_json_fn fn, const void *obj, char **out)
{
	json_t *j;

	*out = NULL;
	if (!obj)
		return 0;
	j = fn(obj);
	if (!j)
		return -ENOMEM;
	*out = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return *out ? 0 : -ENOMEM;
}

/*
 * Writes the audit row of one change inside the caller's transaction, and
 * queues its change-feed event (inserted at the outermost commit). before
 * and after are the object as it was and as it is (NULL: did not exist),
 * turned into JSON by fn.
 */
int reg_record_school(struct reg *reg, const char *school, const char *action,
		      const char *object, to_json_fn fn, const void *before, const void *after,
		      struct byod_err *err)
{
	struct reg_audit a;
	char *bj = NULL, *aj = NULL;
	time_t now = time(NULL);
	int rc;

	rc = dump_json(fn, before, &bj);
	if (!rc)
		rc = dump_json(fn, after, &aj);
	if (rc) {
		rc = byod_err_set(err, ENOMEM, "out of memory writing the audit log");
		goto out;
	}
	memset(&a, 0, sizeof(a));
	a.time = now;
	snprintf(a.actor, sizeof(a.actor), "%s", reg->actor);
	snprintf(a.action, sizeof(a.action), "%s", action);
	snprintf(a.object, sizeof(a.object), "%s", object);
	if (school)
		snprintf(a.school, sizeof(a.school), "%s", school);
	else
		rc = reg_audit_school_of(reg, action, object, a.school, err);
	a.before = bj;
	a.after = aj;
	if (!rc)
		rc = OPS(reg)->audit_insert(reg->be, &a, err);
	if (!rc)
		rc = reg_event_queue(reg, action, object, now, err);
out:
	free(bj);
	free(aj);
	return rc;
}

int reg_record(struct reg *reg, const char *action, const char *object, to_json_fn fn,
	       const void *before, const void *after, struct byod_err *err)
{
	return reg_record_school(reg, NULL, action, object, fn, before, after, err);
}

/* ---- the change feed's pending events ------------------------------------ */

/*
 * Why events wait in memory: a backend whose writers run side by side
 * (PostgreSQL) would hand out sequence numbers at write time and make them
 * visible at commit time, so a transaction that wrote first and committed
 * last would show a follower a number below one it has already passed, and
 * the follower, reading "after the last seq I saw", would skip it. Inserted
 * right before the commit, the numbers are taken in commit order, provided
 * the backend holds one lock from its first event_insert to the end of the
 * transaction (SQLite: the write lock BEGIN IMMEDIATE took; PostgreSQL: a
 * transaction-scoped lock taken by event_insert), so that two commits can
 * never interleave between numbering and becoming visible.
 */
int reg_event_queue(struct reg *reg, const char *kind, const char *object, time_t when,
		    struct byod_err *err)
{
	struct reg_event *ev;

	if (reg->depth == 0)
		return byod_err_set(err, EINVAL, "a change-feed event outside a transaction");
	if (reg->npending == reg->cap_pending) {
		size_t cap = reg->cap_pending ? reg->cap_pending * 2 : 8;

		ev = reallocarray(reg->pending, cap, sizeof(*ev));
		if (!ev)
			return byod_err_set(err, ENOMEM, "out of memory writing the change feed");
		reg->pending = ev;
		reg->cap_pending = cap;
	}
	ev = &reg->pending[reg->npending++];
	memset(ev, 0, sizeof(*ev));
	ev->time = when;
	snprintf(ev->kind, sizeof(ev->kind), "%s", kind);
	snprintf(ev->object, sizeof(ev->object), "%s", object);
	return 0;
}

/* Inserts the pending events into the open transaction. Each one leaves
 * the queue once inserted, so that a commit tried again after a failure
 * inserts none twice. */
static int flush_events(struct reg *reg, struct byod_err *err)
{
	size_t i;
	int rc = 0;

	if (!reg->npending)
		return 0;
	for (i = 0; i < reg->npending && !rc; i++)
		rc = OPS(reg)->event_insert(reg->be, &reg->pending[i], err);
	if (rc)
		i--; /* the one that failed stays */
	memmove(reg->pending, reg->pending + i, (reg->npending - i) * sizeof(*reg->pending));
	reg->npending -= i;
	return rc;
}

/* ---- opening and transactions ---------------------------------------- */

int reg_open(const struct reg_options *opt, struct reg **out, struct byod_err *err)
{
	const struct reg_backend_ops *ops;
	struct reg *reg = NULL;
	int rc;

	if (!opt || !out)
		return byod_err_set(err, EINVAL, "no registry options");
	*out = NULL;
	switch (opt->backend) {
	case REG_BACKEND_SQLITE:
		ops = &reg_sqlite_ops;
		break;
	case REG_BACKEND_POSTGRES:
#ifdef WITH_POSTGRES
		ops = &reg_postgres_ops;
		break;
#else
		return byod_err_set(err, ENOTSUP, "this build has no PostgreSQL registry backend");
#endif /* WITH_POSTGRES */
	default:
		return byod_err_set(err, EINVAL, "unknown registry backend %d", (int)opt->backend);
	}
	reg = calloc(1, sizeof(*reg));
	if (!reg)
		return byod_err_set(err, ENOMEM, "out of memory");
	rc = reg_set_actor(reg, opt->actor ? opt->actor : "unknown");
	if (rc) {
		byod_err_set(err, rc, "the actor name is empty or longer than %zu characters",
			     sizeof(reg->actor) - 1);
		goto out;
	}
	rc = ops->open(opt, &reg->be, err);
out:
	if (rc) {
		reg_close(reg);
		return rc;
	}
	*out = reg;
	return 0;
}

void reg_close(struct reg *reg)
{
	if (!reg)
		return;
	if (reg->be) {
		/* A transaction left open is one nobody committed. */
		if (reg->depth > 0 && !reg->aborted)
			OPS(reg)->rollback(reg->be);
		OPS(reg)->close(reg->be);
	}
	free(reg->pending);
	free(reg);
}

int reg_schema_version(struct reg *reg, int *version, struct byod_err *err)
{
	return OPS(reg)->schema_version(reg->be, version, err);
}

int reg_schema_newest(const struct reg *reg)
{
	return OPS(reg)->newest_version;
}

const char *reg_actor(const struct reg *reg)
{
	return reg->actor;
}

int reg_set_actor(struct reg *reg, const char *actor)
{
	if (!actor || !actor[0] || strlen(actor) >= sizeof(reg->actor))
		return -EINVAL;
	snprintf(reg->actor, sizeof(reg->actor), "%s", actor);
	return 0;
}

int reg_begin(struct reg *reg, struct byod_err *err)
{
	int rc;

	if (reg->aborted)
		return byod_err_set(err, ECANCELED,
				    "the registry transaction was rolled back; nothing more can "
				    "be done in it");
	if (reg->depth == 0) {
		reg->commit_unknown = 0;
		rc = OPS(reg)->begin(reg->be, err);
		if (rc)
			return rc;
	}
	reg->depth++;
	return 0;
}

int reg_commit(struct reg *reg, struct byod_err *err)
{
	int rc;

	if (reg->depth == 0)
		return byod_err_set(err, EINVAL, "no registry transaction to commit");
	if (reg->aborted)
		return byod_err_set(err, ECANCELED,
				    "the registry transaction was rolled back at an inner level; "
				    "nothing was committed");
	if (reg->depth == 1) {
		rc = flush_events(reg, err);
		if (!rc) {
			rc = OPS(reg)->commit(reg->be, err);
			reg->commit_unknown = rc && OPS(reg)->commit_outcome_unknown &&
					      OPS(reg)->commit_outcome_unknown(reg->be);
		}
		if (rc)
			return rc;
	}
	reg->depth--;
	return 0;
}

int reg_commit_outcome_unknown(const struct reg *reg)
{
	return reg ? reg->commit_unknown : 0;
}

int reg_begin_read(struct reg *reg, struct byod_err *err)
{
	int rc;

	if (reg->depth > 0)
		return byod_err_set(err, EINVAL,
				    "a read snapshot must be the outermost registry transaction");
	reg->commit_unknown = 0;
	rc = OPS(reg)->begin_read(reg->be, err);
	if (rc)
		return rc;
	reg->depth = 1;
	return 0;
}

int reg_feed_wait(struct reg *reg, int timeout_ms, struct byod_err *err)
{
	if (timeout_ms < 0)
		return byod_err_set(err, EINVAL, "negative change-feed wait %d ms", timeout_ms);
	if (reg->depth > 0)
		return byod_err_set(err, EINVAL,
				    "waiting for the change feed inside a registry transaction, "
				    "which would not see what it waits for");
	return OPS(reg)->feed_wait(reg->be, timeout_ms, err);
}

unsigned long reg_connection_epoch(struct reg *reg)
{
	return OPS(reg)->connection_epoch ? OPS(reg)->connection_epoch(reg->be) : 0;
}

void reg_rollback(struct reg *reg)
{
	if (!reg || reg->depth == 0)
		return;
	if (!reg->aborted) {
		OPS(reg)->rollback(reg->be);
		reg->aborted = 1;
		reg->npending = 0; /* never committed: never seen */
	}
	if (--reg->depth == 0)
		reg->aborted = 0;
}

/*
 * Closes the level a change function opened. On success it commits; on a
 * failure after something was written it rolls everything back; on a
 * failure before any write (a check that said no) it only closes its own
 * level, so that an -EALREADY or -ENOENT does not cancel the caller's
 * transaction. Returns rc, or the commit's error.
 */
int reg_tx_end(struct reg *reg, int rc, int wrote, struct byod_err *err)
{
	if (!rc) {
		rc = reg_commit(reg, err);
		if (!rc)
			return 0;
		wrote = 1;
	}
	if (wrote || reg->depth == 1) {
		/* At the outermost level nothing else is in the transaction. */
		reg_rollback(reg);
	} else {
		reg->depth--;
	}
	return rc;
}

/* ---- schools ------------------------------------------------------------ */

int reg_school_add(struct reg *reg, const struct reg_school *school, struct byod_err *err)
{
	struct reg_school old;
	int rc, wrote = 0;

	rc = check_uai(school->uai, err);
	if (!rc)
		rc = reg_check_text(school->name, REG_NAME_MAX, 0, "school name", err);
	if (!rc)
		rc = reg_begin(reg, err);
	if (rc)
		return rc;
	rc = OPS(reg)->school_get(reg->be, school->uai, &old, err);
	if (!rc)
		rc = byod_err_set(err, EEXIST, "the school %s is already registered (%s)",
				  school->uai, old.name);
	if (rc != -ENOENT)
		goto out;
	wrote = 1;
	rc = OPS(reg)->school_insert(reg->be, school, err);
	if (!rc)
		rc = reg_record(reg, "school.add", school->uai, school_json, NULL, school, err);
out:
	return reg_tx_end(reg, rc, wrote, err);
}

int reg_school_get(struct reg *reg, const char *uai, struct reg_school *out, struct byod_err *err)
{
	int rc = check_uai(uai, err);

	if (rc)
		return rc;
	rc = OPS(reg)->school_get(reg->be, uai, out, err);
	if (rc == -ENOENT)
		rc = byod_err_set(err, ENOENT, "no school %s", uai);
	return rc;
}

/* ---- people ------------------------------------------------------------- */

static int person_get(struct reg *reg, const char *login, struct reg_person *out,
		      struct byod_err *err)
{
	int rc = OPS(reg)->person_get(reg->be, login, out, err);

	if (rc == -ENOENT)
		rc = byod_err_set(err, ENOENT, "no account '%s'", login);
	return rc;
}

int reg_person_add(struct reg *reg, struct reg_person *p, struct byod_err *err)
{
	struct reg_person old;
	struct reg_school school;
	int rc, wrote = 0;

	rc = check_person(p, err);
	if (!rc)
		rc = reg_begin(reg, err);
	if (rc)
		return rc;
	rc = OPS(reg)->person_get(reg->be, p->login, &old, err);
	if (!rc)
		rc = byod_err_set(err, EEXIST, "the login '%s' is already taken", p->login);
	if (rc != -ENOENT)
		goto out;
	rc = 0;
	if (p->school[0]) {
		rc = OPS(reg)->school_get(reg->be, p->school, &school, err);
		if (rc == -ENOENT)
			rc = byod_err_set(err, ENOENT, "unknown school %s for '%s'", p->school,
					  p->login);
		if (rc)
			goto out;
	}
	if (!p->created)
		p->created = time(NULL);
	/* the registry keeps disabled_at, whatever the caller passed */
	p->disabled_at = p->state == REG_PERSON_DISABLED ? p->created : 0;
	wrote = 1;
	rc = OPS(reg)->person_insert(reg->be, p, err);
	if (!rc)
		rc = reg_record(reg, "person.add", p->login, person_json, NULL, p, err);
out:
	return reg_tx_end(reg, rc, wrote, err);
}

int reg_person_get(struct reg *reg, const char *login, struct reg_person *out, struct byod_err *err)
{
	int rc = check_login(login, err);

	return rc ? rc : person_get(reg, login, out, err);
}

int reg_person_get_by_id(struct reg *reg, int64_t id, struct reg_person *out, struct byod_err *err)
{
	int rc = OPS(reg)->person_get_by_id(reg->be, id, out, err);

	if (rc == -ENOENT)
		rc = byod_err_set(err, ENOENT, "no account with id %lld", (long long)id);
	return rc;
}

/* Reads the person, lets change() edit a copy, writes it and records
 * action. change() returns 1 when there is something to write, 0 for a
 * change that changes nothing, or a negative errno. */
static int person_change(struct reg *reg, const char *login, const char *action,
			 int (*change)(struct reg_person *, const void *), const void *arg,
			 struct byod_err *err)
{
	struct reg_person before, after;
	int rc, wrote = 0;

	rc = check_login(login, err);
	if (!rc)
		rc = reg_begin(reg, err);
	if (rc)
		return rc;
	rc = person_get(reg, login, &before, err);
	if (rc)
		goto out;
	after = before;
	rc = change(&after, arg);
	if (rc <= 0)
		goto out;
	/* disabled_at follows the state, by whatever path it changes; an
	 * account enabled again forgets a leaving date already past */
	if (after.state != before.state && after.state == REG_PERSON_DISABLED) {
		after.disabled_at = time(NULL);
	} else if (after.state != before.state) {
		after.disabled_at = 0;
		if (after.leaves_at && after.leaves_at <= time(NULL))
			after.leaves_at = 0;
	}
	wrote = 1;
	rc = OPS(reg)->person_update(reg->be, &after, err);
	if (!rc)
		rc = reg_record(reg, action, login, person_json, &before, &after, err);
out:
	explicit_bzero(&before, sizeof(before));
	explicit_bzero(&after, sizeof(after));
	return reg_tx_end(reg, rc, wrote, err);
}

static int set_hash(struct reg_person *p, const void *arg)
{
	snprintf(p->password_hash, sizeof(p->password_hash), "%s", (const char *)arg);
	return 1;
}

int reg_person_set_password(struct reg *reg, const char *login, const char *hash,
			    struct byod_err *err)
{
	int rc = check_hash(hash, err);

	if (rc)
		return rc;
	return person_change(reg, login, "person.password", set_hash, hash ? hash : "", err);
}

struct rehash {
	const char *old_hash, *new_hash;
};

static int swap_hash(struct reg_person *p, const void *arg)
{
	const struct rehash *r = arg;

	if (strcmp(p->password_hash, r->old_hash))
		return 0;
	snprintf(p->password_hash, sizeof(p->password_hash), "%s", r->new_hash);
	return 1;
}

int reg_person_rehash_password(struct reg *reg, const char *login, const char *old_hash,
			       const char *new_hash, struct byod_err *err)
{
	struct rehash r = { old_hash, new_hash };
	int rc = check_hash(new_hash, err);

	if (!rc && (!old_hash || !old_hash[0] || !new_hash[0]))
		rc = byod_err_set(err, EINVAL, "a rehash needs the old and the new hash");
	if (rc)
		return rc;
	return person_change(reg, login, "person.password-rehash", swap_hash, &r, err);
}

static int set_person_state(struct reg_person *p, const void *arg)
{
	enum reg_person_state state = *(const enum reg_person_state *)arg;

	if (p->state == state)
		return 0;
	p->state = state;
	return 1;
}

int reg_person_set_state(struct reg *reg, const char *login, enum reg_person_state state,
			 struct byod_err *err)
{
	if (!reg_person_state_name(state))
		return byod_err_set(err, EINVAL, "state %d is not an account state", (int)state);
	return person_change(reg, login, "person.state", set_person_state, &state, err);
}

static int set_person_fields(struct reg_person *p, const void *arg)
{
	const struct reg_person *to = arg;

	if (!strcmp(p->display_name, to->display_name) && p->role == to->role &&
	    !strcmp(p->school, to->school) && !strcmp(p->groups, to->groups) &&
	    !strcmp(p->source, to->source))
		return 0;
	snprintf(p->display_name, sizeof(p->display_name), "%s", to->display_name);
	snprintf(p->school, sizeof(p->school), "%s", to->school);
	snprintf(p->groups, sizeof(p->groups), "%s", to->groups);
	snprintf(p->source, sizeof(p->source), "%s", to->source);
	p->role = to->role;
	return 1;
}

int reg_person_update(struct reg *reg, const struct reg_person *p, struct byod_err *err)
{
	struct reg_school school;
	struct reg_person check = *p;
	int rc;

	/* what is not rewritten is not checked: the hash and the state */
	check.password_hash[0] = '\0';
	check.state = REG_PERSON_ACTIVE;
	rc = check_person(&check, err);
	if (rc)
		return rc;
	if (p->school[0]) {
		rc = OPS(reg)->school_get(reg->be, p->school, &school, err);
		if (rc == -ENOENT)
			return byod_err_set(err, ENOENT, "unknown school %s for '%s'", p->school,
					    p->login);
		if (rc)
			return rc;
	}
	return person_change(reg, p->login, "person.update", set_person_fields, p, err);
}

static int set_leaves_at(struct reg_person *p, const void *arg)
{
	time_t t = *(const time_t *)arg;

	if (p->leaves_at == t)
		return 0;
	p->leaves_at = t;
	return 1;
}

int reg_person_set_leaves_at(struct reg *reg, const char *login, time_t leaves_at,
			     struct byod_err *err)
{
	if (leaves_at < 0)
		return byod_err_set(err, EINVAL, "a leaving date before 1970 is not a date");
	return person_change(reg, login, "person.leave", set_leaves_at, &leaves_at, err);
}

int reg_person_list_leaving(struct reg *reg, time_t now,
			    int (*cb)(const struct reg_person *, void *), void *ctx,
			    struct byod_err *err)
{
	return OPS(reg)->person_list_leaving(reg->be, now, cb, ctx, err);
}

int reg_person_list(struct reg *reg, int (*cb)(const struct reg_person *, void *), void *ctx,
		    struct byod_err *err)
{
	return OPS(reg)->person_list(reg->be, cb, ctx, err);
}

int reg_person_list_school(struct reg *reg, const char *school,
			   int (*cb)(const struct reg_person *, void *), void *ctx,
			   struct byod_err *err)
{
	int rc = check_uai(school, err);

	return rc ? rc : OPS(reg)->person_list_school(reg->be, school, cb, ctx, err);
}

int reg_person_list_source(struct reg *reg, const char *source, const char *school,
			   int (*cb)(const struct reg_person *, void *), void *ctx,
			   struct byod_err *err)
{
	int rc = 0;

	if (!source)
		source = "";
	if (source[0])
		rc = reg_source_check(source, err);
	if (!rc && school)
		rc = check_uai(school, err);
	return rc ? rc : OPS(reg)->person_list_source(reg->be, source, school, cb, ctx, err);
}

/* ---- devices ------------------------------------------------------------ */

static int device_get(struct reg *reg, const char *id, struct reg_device *out, struct byod_err *err)
{
	int rc = OPS(reg)->device_get(reg->be, id, out, err);

	if (rc == -ENOENT)
		rc = byod_err_set(err, ENOENT, "no device %s", id);
	return rc;
}

int reg_device_add(struct reg *reg, struct reg_device *d, struct byod_err *err)
{
	struct reg_person owner;
	struct reg_device old;
	int rc, wrote = 0;

	if (!d->id[0]) {
		rc = byod_uuid4(d->id);
		if (rc)
			return byod_err_set(err, rc, "no randomness for a device id");
	}
	rc = norm_device_id(d->id, d->id, err);
	if (!rc)
		rc = reg_check_text(d->name, REG_NAME_MAX, 0, "device name", err);
	if (!rc)
		rc = reg_check_text(d->charter, REG_CHARTER_MAX, 1, "charter version", err);
	if (!rc)
		rc = check_device_state(d->state, err);
	if (!rc && !byod_kind_name(d->kind))
		rc = byod_err_set(err, EINVAL, "kind %d is not a device kind", (int)d->kind);
	if (!rc && strnlen(d->mac, REG_MAC_MAX) == REG_MAC_MAX)
		rc = byod_err_set(err, EINVAL, "the MAC address is too long");
	if (!rc)
		rc = norm_mac(d->mac, d->mac, err);
	if (!rc)
		rc = reg_begin(reg, err);
	if (rc)
		return rc;
	rc = OPS(reg)->device_get(reg->be, d->id, &old, err);
	if (!rc)
		rc = byod_err_set(err, EEXIST, "the device %s already exists", d->id);
	if (rc != -ENOENT)
		goto out;
	rc = reg_person_get_by_id(reg, d->owner, &owner, err);
	if (rc)
		goto out;
	snprintf(d->owner_login, sizeof(d->owner_login), "%s", owner.login);
	explicit_bzero(&owner, sizeof(owner));
	d->created = time(NULL);
	wrote = 1;
	rc = OPS(reg)->device_insert(reg->be, d, err);
	if (!rc)
		rc = reg_record(reg, "device.add", d->id, device_json, NULL, d, err);
out:
	return reg_tx_end(reg, rc, wrote, err);
}

int reg_device_get(struct reg *reg, const char *id, struct reg_device *out, struct byod_err *err)
{
	char nid[REG_ID_MAX];
	int rc = norm_device_id(id, nid, err);

	return rc ? rc : device_get(reg, nid, out, err);
}

/* Same pattern as person_change(), for a device. */
static int device_change(struct reg *reg, const char *id, const char *action,
			 int (*change)(struct reg_device *, const void *), const void *arg,
			 struct byod_err *err)
{
	struct reg_device before, after;
	char nid[REG_ID_MAX];
	int rc, wrote = 0;

	rc = norm_device_id(id, nid, err);
	if (!rc)
		rc = reg_begin(reg, err);
	if (rc)
		return rc;
	rc = device_get(reg, nid, &before, err);
	if (rc)
		goto out;
	after = before;
	rc = change(&after, arg);
	if (rc <= 0)
		goto out;
	wrote = 1;
	rc = OPS(reg)->device_update(reg->be, &after, err);
	/* a device that ends takes its geteduroam grants and tokens along */
	if (!rc && after.state != before.state &&
	    (after.state == BYOD_DEVICE_REVOKED || after.state == BYOD_DEVICE_RETIRED))
		rc = reg_oauth_device_drop(reg, nid, err);
	if (!rc)
		rc = reg_record(reg, action, nid, device_json, &before, &after, err);
out:
	return reg_tx_end(reg, rc, wrote, err);
}

static int set_device_state(struct reg_device *d, const void *arg)
{
	enum byod_device_state state = *(const enum byod_device_state *)arg;

	if (d->state == state)
		return 0;
	d->state = state;
	return 1;
}

int reg_device_set_state(struct reg *reg, const char *id, enum byod_device_state state,
			 struct byod_err *err)
{
	int rc = check_device_state(state, err);

	return rc ? rc : device_change(reg, id, "device.state", set_device_state, &state, err);
}

static int set_device_name(struct reg_device *d, const void *arg)
{
	if (!strcmp(d->name, arg))
		return 0;
	snprintf(d->name, sizeof(d->name), "%s", (const char *)arg);
	return 1;
}

int reg_device_rename(struct reg *reg, const char *id, const char *name, struct byod_err *err)
{
	int rc = reg_check_text(name, REG_NAME_MAX, 0, "device name", err);

	return rc ? rc : device_change(reg, id, "device.rename", set_device_name, name, err);
}

static int set_device_mac(struct reg_device *d, const void *arg)
{
	if (!strcmp(d->mac, arg))
		return 0;
	snprintf(d->mac, sizeof(d->mac), "%s", (const char *)arg);
	return 1;
}

int reg_device_set_mac(struct reg *reg, const char *id, const char *mac, struct byod_err *err)
{
	char nmac[REG_MAC_MAX];
	int rc = norm_mac(mac, nmac, err);

	return rc ? rc : device_change(reg, id, "device.mac", set_device_mac, nmac, err);
}

static int set_device_expires(struct reg_device *d, const void *arg)
{
	time_t expires = *(const time_t *)arg;

	if (d->expires == expires)
		return 0;
	d->expires = expires;
	return 1;
}

int reg_device_set_expires(struct reg *reg, const char *id, time_t expires, struct byod_err *err)
{
	if (expires <= 0)
		return byod_err_set(err, EINVAL, "a device's end must be a time");
	return device_change(reg, id, "device.expires", set_device_expires, &expires, err);
}

int reg_device_list(struct reg *reg, const struct reg_device_filter *filter,
		    int (*cb)(const struct reg_device *, void *), void *ctx, struct byod_err *err)
{
	int rc;

	if (filter && filter->state != -1) {
		rc = check_device_state(filter->state, err);
		if (rc)
			return rc;
	}
	if (filter && filter->owner_login) {
		rc = check_login(filter->owner_login, err);
		if (rc)
			return rc;
	}
	if (filter && filter->school) {
		rc = check_uai(filter->school, err);
		if (rc)
			return rc;
	}
	return OPS(reg)->device_list(reg->be, filter, cb, ctx, err);
}

int reg_device_count_live(struct reg *reg, int64_t owner, int *count, struct byod_err *err)
{
	return OPS(reg)->device_count_live(reg->be, owner, count, err);
}

int reg_device_count_since(struct reg *reg, int64_t owner, time_t since, int *count,
			   struct byod_err *err)
{
	return OPS(reg)->device_count_since(reg->be, owner, since, count, err);
}

int reg_device_find_by_serial(struct reg *reg, const char *serial, struct reg_device *out,
			      struct byod_err *err)
{
	char nserial[REG_SERIAL_MAX];
	int rc = norm_serial(serial, nserial, err);

	if (rc)
		return rc;
	rc = OPS(reg)->device_find_by_serial(reg->be, nserial, out, err);
	if (rc == -ENOENT)
		rc = byod_err_set(err, ENOENT, "no device holds a certificate with serial %s",
				  nserial);
	return rc;
}

int reg_device_find_by_mac(struct reg *reg, const char *mac, struct reg_device *out,
			   struct byod_err *err)
{
	char nmac[REG_MAC_MAX];
	int rc = norm_mac(mac, nmac, err);

	if (!rc && !nmac[0])
		rc = byod_err_set(err, EINVAL, "no MAC address to look for");
	if (rc)
		return rc;
	rc = OPS(reg)->device_find_by_mac(reg->be, nmac, out, err);
	if (rc == -ENOENT)
		rc = byod_err_set(err, ENOENT, "no device with MAC address %s", nmac);
	return rc;
}

/* ---- certificates ------------------------------------------------------- */

int reg_cert_add(struct reg *reg, const struct reg_cert *c, struct byod_err *err)
{
	struct reg_cert nc, old;
	struct reg_device dev;
	int rc, wrote = 0;

	nc = *c;
	rc = norm_serial(c->serial, nc.serial, err);
	if (!rc)
		rc = norm_device_id(c->device, nc.device, err);
	if (rc)
		return rc;
	if (!rc && c->replaces[0])
		rc = norm_serial(c->replaces, nc.replaces, err);
	if (rc)
		return rc;
	if (c->first_seen < 0)
		return byod_err_set(err, EINVAL, "certificate %s was first seen before 1970",
				    nc.serial);
	if (c->not_after < c->not_before)
		return byod_err_set(err, EINVAL, "certificate %s expires before it starts",
				    nc.serial);
	if (!reg_cert_state_name(c->state))
		return byod_err_set(err, EINVAL, "state %d is not a certificate state",
				    (int)c->state);
	if (c->state == REG_CERT_REVOKED) {
		if (!reg_reason_name(c->reason))
			return byod_err_set(err, EINVAL, "%d is not a revocation reason",
					    c->reason);
	} else {
		nc.revoked_at = 0;
		nc.reason = 0;
	}
	rc = reg_begin(reg, err);
	if (rc)
		return rc;
	rc = OPS(reg)->cert_get(reg->be, nc.serial, &old, err);
	if (!rc)
		rc = byod_err_set(err, EEXIST, "a certificate with serial %s is already recorded",
				  nc.serial);
	if (rc != -ENOENT)
		goto out;
	rc = device_get(reg, nc.device, &dev, err);
	if (rc)
		goto out;
	/* a renewal replaces a certificate of the same device */
	if (nc.replaces[0]) {
		rc = OPS(reg)->cert_get(reg->be, nc.replaces, &old, err);
		if (rc == -ENOENT || (!rc && strcmp(old.device, nc.device)))
			rc = byod_err_set(err, EINVAL,
					  "certificate %s replaces %s, which is not a certificate "
					  "of device %s",
					  nc.serial, nc.replaces, nc.device);
		if (rc)
			goto out;
	}
	wrote = 1;
	rc = OPS(reg)->cert_insert(reg->be, &nc, err);
	if (!rc)
		rc = reg_record(reg, "cert.add", nc.serial, cert_json, NULL, &nc, err);
out:
	return reg_tx_end(reg, rc, wrote, err);
}

int reg_cert_get(struct reg *reg, const char *serial, struct reg_cert *out, struct byod_err *err)
{
	char nserial[REG_SERIAL_MAX];
	int rc = norm_serial(serial, nserial, err);

	if (rc)
		return rc;
	rc = OPS(reg)->cert_get(reg->be, nserial, out, err);
	if (rc == -ENOENT)
		rc = byod_err_set(err, ENOENT, "no certificate with serial %s", nserial);
	return rc;
}

int reg_cert_revoke(struct reg *reg, const char *serial, int reason, time_t when,
		    struct byod_err *err)
{
	struct reg_cert before, after;
	char nserial[REG_SERIAL_MAX], t[32];
	int rc, wrote = 0;

	rc = norm_serial(serial, nserial, err);
	if (rc)
		return rc;
	if (!reg_reason_name(reason))
		return byod_err_set(err, EINVAL, "%d is not a revocation reason", reason);
	rc = reg_begin(reg, err);
	if (rc)
		return rc;
	rc = reg_cert_get(reg, nserial, &before, err);
	if (rc)
		goto out;
	if (before.state == REG_CERT_REVOKED) {
		rc = byod_err_set(err, EALREADY, "certificate %s was already revoked on %s",
				  nserial, byod_time_iso(before.revoked_at, t, sizeof(t)));
		goto out;
	}
	after = before;
	after.state = REG_CERT_REVOKED;
	after.reason = reason;
	after.revoked_at = when ? when : time(NULL);
	wrote = 1;
	rc = OPS(reg)->cert_update(reg->be, &after, err);
	if (!rc)
		rc = reg_record(reg, "cert.revoke", nserial, cert_json, &before, &after, err);
out:
	return reg_tx_end(reg, rc, wrote, err);
}

int reg_cert_list_for_device(struct reg *reg, const char *device,
			     int (*cb)(const struct reg_cert *, void *), void *ctx,
			     struct byod_err *err)
{
	char nid[REG_ID_MAX];
	int rc = norm_device_id(device, nid, err);

	return rc ? rc : OPS(reg)->cert_list_for_device(reg->be, nid, cb, ctx, err);
}

int reg_cert_list(struct reg *reg, int (*cb)(const struct reg_cert *, void *), void *ctx,
		  struct byod_err *err)
{
	return OPS(reg)->cert_list(reg->be, cb, ctx, err);
}

int reg_cert_list_revoked(struct reg *reg, int (*cb)(const struct reg_cert *, void *), void *ctx,
			  struct byod_err *err)
{
	return OPS(reg)->cert_list_revoked(reg->be, cb, ctx, err);
}

/* ---- counters, the change feed, the audit log --------------------------- */

int reg_counter_next(struct reg *reg, const char *name, int64_t *value, struct byod_err *err)
{
	int rc = reg_check_text(name, 64, 0, "counter name", err);

	if (!rc)
		rc = reg_begin(reg, err);
	if (rc)
		return rc;
	rc = OPS(reg)->counter_next(reg->be, name, value, err);
	return reg_tx_end(reg, rc, 1, err);
}

int reg_events_since(struct reg *reg, int64_t after, int limit,
		     int (*cb)(const struct reg_event *, void *), void *ctx, struct byod_err *err)
{
	if (limit < 0)
		return byod_err_set(err, EINVAL, "negative event limit %d", limit);
	return OPS(reg)->events_since(reg->be, after, limit, cb, ctx, err);
}

int reg_events_last(struct reg *reg, int64_t *seq, struct byod_err *err)
{
	return OPS(reg)->events_last(reg->be, seq, err);
}

int reg_event_get(struct reg *reg, int64_t seq, struct reg_event *out, struct byod_err *err)
{
	memset(out, 0, sizeof(*out));
	if (seq < 1)
		return byod_err_set(err, ENOENT, "there is no change-feed event %" PRId64, seq);
	return OPS(reg)->event_get(reg->be, seq, out, err);
}

int reg_feed_resumable(struct reg *reg, const struct reg_event *last, char *why, size_t len,
		       struct byod_err *err)
{
	struct reg_event ev;
	int64_t head = 0;
	char buf[160];
	int rc;

	if (!why) {
		why = buf;
		len = sizeof(buf);
	}
	if (last->seq <= 0 || last->tag == 0) {
		snprintf(why, len, "the last change-feed event applied (%" PRId64 ") carries no tag",
			 last->seq);
		return 0;
	}
	rc = reg_events_last(reg, &head, err);
	if (rc)
		return rc;
	if (head < last->seq) {
		snprintf(why, len,
			 "the server's change feed ends at %" PRId64 ", before the last event "
			 "applied (%" PRId64 ")",
			 head, last->seq);
		return 0;
	}
	rc = reg_event_get(reg, last->seq, &ev, err);
	if (rc == -ENOENT) {
		snprintf(why, len, "the last change-feed event applied (%" PRId64 ") is not on the "
			 "server", last->seq);
		return 0;
	}
	if (rc)
		return rc;
	if (ev.tag != last->tag) {
		snprintf(why, len,
			 "the change-feed event %" PRId64 " is not the one applied (it was lost and "
			 "its number given again)",
			 last->seq);
		return 0;
	}
	return 1;
}

int reg_feed_mark(struct reg *reg, struct reg_event *out, struct byod_err *err)
{
	int64_t head = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = reg_events_last(reg, &head, err);
	if (rc || head < 1)
		return rc;
	return reg_event_get(reg, head, out, err);
}

int reg_ha_status(struct reg *reg, struct reg_ha_status *out, struct byod_err *err)
{
	int i;

	memset(out, 0, sizeof(*out));
	out->replay_delay_s = -1;
	for (i = 0; i < REG_HA_STANDBYS_MAX; i++) {
		out->standbys[i].lag_bytes = -1;
		out->standbys[i].replay_lag_s = -1;
	}
	snprintf(out->backend, sizeof(out->backend), "%s", OPS(reg)->name);
	return OPS(reg)->ha_status(reg->be, out, err);
}

int reg_audit_list(struct reg *reg, int limit, int (*cb)(const struct reg_audit *, void *),
		   void *ctx, struct byod_err *err)
{
	if (limit < 0)
		return byod_err_set(err, EINVAL, "negative audit limit %d", limit);
	return OPS(reg)->audit_list(reg->be, limit, cb, ctx, err);
}

/* before and after must be JSON, so that every row of the log reads alike. */
static int check_json(const char *s, const char *what, struct byod_err *err)
{
	json_error_t jerr;
	json_t *j;

	if (!s)
		return 0;
	j = json_loads(s, JSON_DECODE_ANY, &jerr);
	if (!j)
		return byod_err_set(err, EINVAL, "the audit '%s' text is not JSON: %s", what,
				    jerr.text);
	json_decref(j);
	return 0;
}

int reg_audit_add_school(struct reg *reg, const char *school, const char *action,
			 const char *object, const char *before, const char *after,
			 struct byod_err *err)
{
	struct reg_audit a;
	int rc;

	rc = reg_check_text(action, sizeof(a.action), 0, "audit action", err);
	if (!rc)
		rc = reg_check_text(object, sizeof(a.object), 1, "audit object", err);
	if (!rc && school && school[0])
		rc = check_uai(school, err);
	if (!rc)
		rc = check_json(before, "before", err);
	if (!rc)
		rc = check_json(after, "after", err);
	if (!rc)
		rc = reg_begin(reg, err);
	if (rc)
		return rc;
	memset(&a, 0, sizeof(a));
	a.time = time(NULL);
	snprintf(a.actor, sizeof(a.actor), "%s", reg->actor);
	snprintf(a.action, sizeof(a.action), "%s", action);
	snprintf(a.object, sizeof(a.object), "%s", object ? object : "");
	if (school)
		snprintf(a.school, sizeof(a.school), "%s", school);
	else
		rc = reg_audit_school_of(reg, a.action, a.object, a.school, err);
	a.before = before;
	a.after = after;
	if (!rc)
		rc = OPS(reg)->audit_insert(reg->be, &a, err);
	return reg_tx_end(reg, rc, 1, err);
}

int reg_audit_add(struct reg *reg, const char *action, const char *object, const char *before,
		  const char *after, struct byod_err *err)
{
	return reg_audit_add_school(reg, NULL, action, object, before, after, err);
}
