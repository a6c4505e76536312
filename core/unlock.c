// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A teacher opens the network to one of their classes: "Ouvrir le Wi-Fi
 * pour ma classe" on the portal, byodctl unlock open. Who may open what is
 * decided here, once, for every program: an active teacher, one of the
 * groups the registry gives them, at their school, for 1 to 120 minutes;
 * only the teacher who opened an unlock closes it early. The registry
 * (reg_unlock_*) stores it and feeds the change to rlm_byod and the
 * gateway, whose policy facts then carry it (byod_unlock_until): a rule
 * naming unlock: teacher holds for the class until the end.
 */
#include "byod.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "byod_vec.h"

#define UNLOCK_MINUTES_MAX (REG_UNLOCK_MAX_SECONDS / 60)

/* Whether name is one of groups (space-separated). */
static int in_groups(const char *groups, const char *name)
{
	size_t n = strlen(name);
	const char *p = groups;

	while (p && *p && n) {
		size_t w = strcspn(p, " ");

		if (w == n && !memcmp(p, name, n))
			return 1;
		p += w;
		while (*p == ' ')
			p++;
	}
	return 0;
}

const struct reg_unlock *byod_unlock_find(const struct reg_unlock *live, size_t n,
					  const char *school, const char *groups, time_t now)
{
	const struct reg_unlock *best = NULL;
	size_t i;

	if (!school || !school[0] || !groups || !groups[0])
		return NULL;
	for (i = 0; i < n; i++) {
		const struct reg_unlock *u = &live[i];

		if (u->ended || u->starts > now || u->ends <= now || strcmp(u->school, school) ||
		    !in_groups(groups, u->group))
			continue;
		if (!best || u->ends > best->ends)
			best = u;
	}
	return best;
}

time_t byod_unlock_until(const struct reg_unlock *live, size_t n, const char *school,
			 const char *groups, time_t now)
{
	const struct reg_unlock *u = byod_unlock_find(live, n, school, groups, now);

	return u ? u->ends : 0;
}

void byod_facts_set_unlock(struct byod_facts *facts, const struct reg_unlock *live, size_t n,
			   time_t now)
{
	const struct reg_unlock *u =
		byod_unlock_find(live, n, facts->owner.school, facts->owner.groups, now);

	facts->f.unlocked_until = u ? u->ends : 0;
	snprintf(facts->unlocked_group, sizeof(facts->unlocked_group), "%s", u ? u->group : "");
	facts->f.unlocked_group = u ? facts->unlocked_group : NULL;
}

struct live {
	struct reg_unlock *v;
	size_t n, cap;
};

static int add_live(const struct reg_unlock *u, void *arg)
{
	struct live *l = arg;
	struct reg_unlock *e = BYOD_ARRAY_PUSH(l->v, l->n, l->cap);

	if (!e)
		return -ENOMEM;
	*e = *u;
	return 0;
}

int byod_unlock_live(struct byod_ctx *ctx, const char *school, time_t now, struct reg_unlock **out,
		     size_t *n, struct byod_err *err)
{
	struct live l = {0};
	int rc;

	rc = reg_unlock_list_active(ctx->reg, school, now, add_live, &l, err);
	if (rc == -ENOMEM)
		rc = byod_err_set(err, ENOMEM, "out of memory");
	if (rc) {
		free(l.v);
		l.v = NULL;
		l.n = 0;
	}
	*out = l.v;
	*n = l.n;
	return rc;
}

int byod_facts_unlocks(struct byod_ctx *ctx, struct byod_facts *facts, time_t now,
		       struct byod_err *err)
{
	struct reg_unlock *live = NULL;
	size_t n = 0;
	int rc;

	facts->f.unlocked_until = 0;
	facts->f.unlocked_group = NULL;
	if (!facts->owner.school[0] || !facts->owner.groups[0])
		return 0;
	rc = byod_unlock_live(ctx, facts->owner.school, now, &live, &n, err);
	if (!rc)
		byod_facts_set_unlock(facts, live, n, now);
	free(live);
	return rc;
}

/* Runs the change with the teacher as the audit's actor, then gives the
 * context its own back. */
static int as_teacher(struct byod_ctx *ctx, const struct reg_person *teacher, char *saved,
		      size_t len, struct byod_err *err)
{
	char actor[80];

	snprintf(saved, len, "%s", reg_actor(ctx->reg));
	snprintf(actor, sizeof(actor), "teacher:%s", teacher->login);
	if (strlen(actor) >= len || reg_set_actor(ctx->reg, actor))
		return byod_err_set(err, EINVAL, "the login '%s' is too long for the audit log",
				    teacher->login);
	return 0;
}

int byod_unlock_open(struct byod_ctx *ctx, const struct reg_person *teacher, const char *group,
		     int minutes, struct reg_unlock *out, struct byod_err *err)
{
	struct reg_unlock u;
	char saved[64];
	time_t now = time(NULL);
	int rc;

	if (teacher->role != BYOD_ROLE_TEACHER)
		return byod_err_set(err, EPERM, "only a teacher may open a class; %s is a %s",
				    teacher->login, byod_role_name(teacher->role));
	if (teacher->state != REG_PERSON_ACTIVE)
		return byod_err_set(err, EPERM, "the account %s is disabled", teacher->login);
	if (!teacher->school[0])
		return byod_err_set(err, EPERM, "the teacher %s belongs to no school",
				    teacher->login);
	if (!group || !group[0] || !in_groups(teacher->groups, group))
		return byod_err_set(err, EPERM, "the class %s is not one of %s's (%s)",
				    group ? group : "", teacher->login,
				    teacher->groups[0] ? teacher->groups : "none");
	if (minutes < 1 || minutes > UNLOCK_MINUTES_MAX)
		return byod_err_set(err, EINVAL, "a class is opened for 1 to %d minutes, not %d",
				    UNLOCK_MINUTES_MAX, minutes);
	memset(&u, 0, sizeof(u));
	snprintf(u.school, sizeof(u.school), "%s", teacher->school);
	snprintf(u.group, sizeof(u.group), "%s", group);
	u.teacher = teacher->id;
	u.starts = now;
	u.ends = now + (time_t)minutes * 60;
	rc = as_teacher(ctx, teacher, saved, sizeof(saved), err);
	if (rc)
		return rc;
	rc = reg_unlock_add(ctx->reg, &u, err);
	reg_set_actor(ctx->reg, saved);
	if (!rc && out)
		*out = u;
	return rc;
}

int byod_unlock_close(struct byod_ctx *ctx, const struct reg_person *teacher, int64_t id,
		      struct byod_err *err)
{
	struct reg_unlock u;
	char saved[64];
	int rc;

	rc = reg_unlock_get(ctx->reg, id, &u, err);
	/* another teacher's unlock is not there, for this teacher */
	if (!rc && u.teacher != teacher->id)
		rc = byod_err_set(err, ENOENT, "no unlock %lld", (long long)id);
	if (rc)
		return rc;
	rc = as_teacher(ctx, teacher, saved, sizeof(saved), err);
	if (rc)
		return rc;
	rc = reg_unlock_end(ctx->reg, id, time(NULL), err);
	reg_set_actor(ctx->reg, saved);
	return rc;
}
