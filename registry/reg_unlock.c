// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Teacher unlocks in the registry: a teacher opens the network to one of
 * their groups at a school for a while, at most two hours, and may close it
 * early. A row is never deleted (the history is the audit's), only ended.
 * This file checks what a row must be whoever asks (a known school and
 * teacher, a group name, a time span); whether this teacher may open this
 * group is core's (core/unlock.c). Every change writes its audit row and
 * its change-feed event ("unlock.start", "unlock.end", object: the id), so
 * that the RADIUS module and the gateway move the sessions at once.
 */
#include "registry.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "byod_util.h"
#include "reg_internal.h"

static json_t *unlock_json(const void *obj)
{
	const struct reg_unlock *u = obj;

	return json_pack("{s:I, s:s, s:s, s:s, s:I, s:I, s:I}", "id", (json_int_t)u->id, "school",
			 u->school, "group", u->group, "teacher", u->teacher_login, "starts",
			 (json_int_t)u->starts, "ends", (json_int_t)u->ends, "ended",
			 (json_int_t)u->ended);
}

/* A group as people's group lists hold them: one word, no separator. */
static int check_group(const char *g, struct byod_err *err)
{
	int rc = reg_check_text(g, sizeof(((struct reg_unlock *)0)->group), 0, "group", err);

	if (rc)
		return rc;
	if (strpbrk(g, " \t,;|"))
		return byod_err_set(err, EINVAL,
				    "'%s' is not a group name (no spaces or separators)", g);
	return 0;
}

int reg_unlock_add(struct reg *reg, struct reg_unlock *u, struct byod_err *err)
{
	struct reg_person teacher;
	struct reg_school school;
	char object[32];
	int rc, wrote = 0;

	rc = reg_check_text(u->school, REG_UAI_MAX, 0, "UAI", err);
	if (!rc && byod_uai_check(u->school, NULL))
		rc = byod_err_set(err, EINVAL, "'%s' is not a UAI (7 digits and a letter)",
				  u->school);
	if (!rc)
		rc = check_group(u->group, err);
	if (rc)
		return rc;
	if (u->ends <= u->starts)
		return byod_err_set(err, EINVAL, "an unlock must end after it starts");
	if (u->ends - u->starts > REG_UNLOCK_MAX_SECONDS)
		return byod_err_set(err, EINVAL, "an unlock lasts at most %d minutes, not %lld",
				    REG_UNLOCK_MAX_SECONDS / 60,
				    (long long)((u->ends - u->starts + 59) / 60));
	if (u->ended)
		return byod_err_set(err, EINVAL, "a new unlock cannot be over already");
	rc = reg_begin(reg, err);
	if (rc)
		return rc;
	rc = OPS(reg)->school_get(reg->be, u->school, &school, err);
	if (rc == -ENOENT)
		rc = byod_err_set(err, ENOENT, "no school %s", u->school);
	if (!rc) {
		rc = OPS(reg)->person_get_by_id(reg->be, u->teacher, &teacher, err);
		if (rc == -ENOENT)
			rc = byod_err_set(err, ENOENT, "no account with id %lld",
					  (long long)u->teacher);
	}
	if (!rc) {
		snprintf(u->teacher_login, sizeof(u->teacher_login), "%s", teacher.login);
		u->created = time(NULL);
		rc = OPS(reg)->unlock_insert(reg->be, u, err);
		wrote = 1;
	}
	if (!rc) {
		snprintf(object, sizeof(object), "%lld", (long long)u->id);
		rc = reg_record_school(reg, u->school, "unlock.start", object, unlock_json, NULL, u,
				       err);
	}
	return reg_tx_end(reg, rc, wrote, err);
}

int reg_unlock_get(struct reg *reg, int64_t id, struct reg_unlock *out, struct byod_err *err)
{
	int rc;

	if (id <= 0)
		return byod_err_set(err, ENOENT, "no unlock %lld", (long long)id);
	rc = OPS(reg)->unlock_get(reg->be, id, out, err);
	if (rc == -ENOENT)
		rc = byod_err_set(err, ENOENT, "no unlock %lld", (long long)id);
	return rc;
}

int reg_unlock_end(struct reg *reg, int64_t id, time_t when, struct byod_err *err)
{
	struct reg_unlock before, after;
	char object[32];
	int rc, wrote = 0;

	rc = reg_begin(reg, err);
	if (rc)
		return rc;
	rc = reg_unlock_get(reg, id, &before, err);
	if (!rc && (before.ended || before.ends <= when))
		rc = byod_err_set(err, EALREADY, "unlock %lld is over already", (long long)id);
	if (!rc) {
		after = before;
		/* closed before it started: it never was live */
		after.ended = when < before.starts ? before.starts : when;
		rc = OPS(reg)->unlock_set_ended(reg->be, id, after.ended, err);
		wrote = 1;
	}
	if (!rc) {
		snprintf(object, sizeof(object), "%lld", (long long)id);
		rc = reg_record_school(reg, before.school, "unlock.end", object, unlock_json,
				       &before, &after, err);
	}
	return reg_tx_end(reg, rc, wrote, err);
}

int reg_unlock_list_active(struct reg *reg, const char *school, time_t now,
			   int (*cb)(const struct reg_unlock *, void *), void *ctx,
			   struct byod_err *err)
{
	if (school && (!school[0] || byod_uai_check(school, NULL)))
		return byod_err_set(err, EINVAL, "'%.20s' is not a UAI (7 digits and a letter)",
				    school);
	return OPS(reg)->unlock_list_active(reg->be, school, now, cb, ctx, err);
}
