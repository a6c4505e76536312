// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What an administrator may see, and the searches the console makes with
 * it. A scope is every school or a list of UAIs; the searches turn it, with
 * their filters, into conditions of the backend's one query (the schools
 * travel as a parameter of the SQL), so that a row outside the scope is
 * never read, let alone shown. Also here: the school an audit row concerns,
 * found when the row is written from its action and object, so that the
 * audit log can be searched by scope as well.
 */
#define _GNU_SOURCE
#include "registry.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byod_util.h"
#include "reg_internal.h"

#define SEARCH_LIMIT_DEFAULT 50
#define SEARCH_LIMIT_MAX     1000
#define AUDIT_LIMIT_DEFAULT  100
#define AUDIT_LIMIT_MAX	     10000

/* ---- scopes ------------------------------------------------------------- */

void reg_scope_all(struct reg_scope *s)
{
	memset(s, 0, sizeof(*s));
	s->all = 1;
}

int reg_scope_set(struct reg_scope *s, const char *schools, struct byod_err *err)
{
	struct reg_scope n;
	char copy[REG_GROUPS_MAX], *tok, *save = NULL;
	size_t len = 0;
	int rc;

	memset(s, 0, sizeof(*s));
	memset(&n, 0, sizeof(n));
	rc = reg_check_text(schools, REG_GROUPS_MAX, 0, "school list", err);
	if (rc)
		return rc;
	snprintf(copy, sizeof(copy), "%s", schools);
	for (tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		if (byod_uai_check(tok, NULL))
			return byod_err_set(err, EINVAL,
					    "'%.20s' is not a UAI (7 digits and a letter)", tok);
		if (reg_scope_has(&n, tok))
			continue;
		len += (size_t)snprintf(n.schools + len, sizeof(n.schools) - len, "%s%s",
					len ? " " : "", tok);
	}
	if (!len)
		return byod_err_set(err, EINVAL, "the school list is empty");
	*s = n;
	return 0;
}

int reg_scope_has(const struct reg_scope *s, const char *uai)
{
	const char *p;
	size_t n;

	if (!s)
		return 0;
	if (s->all)
		return 1;
	if (!uai || !uai[0] || strchr(uai, ' '))
		return 0;
	n = strlen(uai);
	for (p = s->schools; (p = strstr(p, uai)); p += n)
		if ((p == s->schools || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return 1;
	return 0;
}

/* The scope as the backends take it: NULL for every school, else the
 * list (a scope of no school is "": a condition nothing meets). */
static const char *scope_param(const struct reg_scope *s)
{
	return s->all ? NULL : s->schools;
}

static int check_scope(const struct reg_scope *s, struct byod_err *err)
{
	if (!s)
		return byod_err_set(err, EINVAL, "a console query without a scope");
	if (!s->all && strnlen(s->schools, sizeof(s->schools)) == sizeof(s->schools))
		return byod_err_set(err, EINVAL, "the scope's school list is not terminated");
	return 0;
}

/* ---- the school of an audit row ---------------------------------------- */

enum obj_kind { OBJ_NONE, OBJ_UAI, OBJ_LOGIN, OBJ_DEVICE, OBJ_SERIAL, OBJ_SESSION, OBJ_GUESS };

/* What an action's object is, by the action's prefix; the first match wins. */
static const struct {
	const char *prefix;
	enum obj_kind kind;
} audit_objects[] = {
	{"school.", OBJ_UAI},	    {"registry.copy", OBJ_UAI},	 {"person.", OBJ_LOGIN},
	{"enrol-code.", OBJ_LOGIN}, {"portal.login", OBJ_LOGIN}, {"portal.logout", OBJ_LOGIN},
	{"user.", OBJ_LOGIN},	    {"device.", OBJ_DEVICE},	 {"portal.download", OBJ_DEVICE},
	{"cert.", OBJ_SERIAL},	    {"session.", OBJ_SESSION},	 {"admin.", OBJ_NONE},
	{"policy.", OBJ_NONE},
};

/*
 * The school an audit row of action on object concerns, into out ("" for
 * none): the object's own school looked up now, inside the writer's
 * transaction. A lookup that finds nothing is "", not an error: the row is
 * then seen by every-school scopes only. Other actions: a device id's
 * owner's school, else "".
 */
int reg_audit_school_of(struct reg *reg, const char *action, const char *object,
			char out[REG_UAI_MAX], struct byod_err *err)
{
	enum obj_kind kind = OBJ_GUESS;
	struct reg_person p;
	struct reg_device d;
	struct reg_session s;
	char id[REG_ID_MAX], serial[REG_SERIAL_MAX], *end;
	long long n;
	size_t i;
	int rc = 0;

	(void)err;
	out[0] = '\0';
	if (!object || !object[0])
		return 0;
	for (i = 0; i < sizeof(audit_objects) / sizeof(audit_objects[0]); i++) {
		if (!strncmp(action, audit_objects[i].prefix, strlen(audit_objects[i].prefix))) {
			kind = audit_objects[i].kind;
			break;
		}
	}
	if (kind == OBJ_GUESS)
		kind = byod_is_uuid(object) ? OBJ_DEVICE : OBJ_NONE;
	switch (kind) {
	case OBJ_UAI:
		if (!byod_uai_check(object, NULL) && strlen(object) < REG_UAI_MAX)
			snprintf(out, REG_UAI_MAX, "%s", object);
		break;
	case OBJ_LOGIN:
		if (strlen(object) >= REG_LOGIN_MAX)
			break;
		rc = OPS(reg)->person_get(reg->be, object, &p, NULL);
		if (!rc)
			snprintf(out, REG_UAI_MAX, "%s", p.school);
		explicit_bzero(&p, sizeof(p));
		break;
	case OBJ_DEVICE:
		if (!byod_is_uuid(object))
			break;
		for (i = 0; object[i] && i < REG_ID_MAX - 1; i++)
			id[i] = (char)tolower((unsigned char)object[i]);
		id[i] = '\0';
		rc = OPS(reg)->device_get(reg->be, id, &d, NULL);
		if (!rc)
			snprintf(out, REG_UAI_MAX, "%s", d.school);
		break;
	case OBJ_SERIAL:
		if (byod_serial_normalise(object, serial, sizeof(serial)))
			break;
		rc = OPS(reg)->device_find_by_serial(reg->be, serial, &d, NULL);
		if (!rc)
			snprintf(out, REG_UAI_MAX, "%s", d.school);
		break;
	case OBJ_SESSION:
		n = strtoll(object, &end, 10);
		if (*end || n <= 0)
			break;
		rc = OPS(reg)->session_get(reg->be, n, &s, NULL);
		if (!rc && s.device[0] && !OPS(reg)->device_get(reg->be, s.device, &d, NULL))
			snprintf(out, REG_UAI_MAX, "%s", d.school);
		break;
	case OBJ_NONE:
	case OBJ_GUESS:
		break;
	}
	/* a lookup failing (absent, or the database) leaves the row of no
	 * school: seen by fewer, never by more */
	return 0;
}

/* ---- the searches --------------------------------------------------------- */

/* "%text%" for LIKE with '\' escaping % _ and itself, into out (malloc'd). */
static int like_pattern(const char *text, int prefix_only, char **out, struct byod_err *err)
{
	size_t i, j = 0, n = strlen(text);
	char *p = malloc(2 * n + 3);

	if (!p)
		return byod_err_set(err, ENOMEM, "out of memory");
	if (!prefix_only)
		p[j++] = '%';
	for (i = 0; i < n; i++) {
		if (text[i] == '%' || text[i] == '_' || text[i] == '\\')
			p[j++] = '\\';
		p[j++] = text[i];
	}
	p[j++] = '%';
	p[j] = '\0';
	*out = p;
	return 0;
}

static int check_page(int *limit, int offset, int dflt, int max, struct byod_err *err)
{
	if (*limit < 0 || offset < 0)
		return byod_err_set(err, EINVAL, "a negative limit or offset");
	if (*limit > max)
		return byod_err_set(err, EINVAL, "at most %d rows at a time", max);
	if (!*limit)
		*limit = dflt;
	return 0;
}

/* The parts common to both searches: scope, school, text. */
static int search_common(const struct reg_scope *scope, const char *school, const char *text,
			 struct reg_search *q, char **like, struct byod_err *err)
{
	int rc = check_scope(scope, err);

	*like = NULL;
	if (rc)
		return rc;
	q->scope = scope_param(scope);
	if (school) {
		rc = reg_check_text(school, REG_UAI_MAX, 0, "UAI", err);
		if (!rc && byod_uai_check(school, NULL))
			rc = byod_err_set(err, EINVAL, "'%s' is not a UAI (7 digits and a letter)",
					  school);
		if (rc)
			return rc;
		q->school = school;
	}
	if (text && text[0]) {
		rc = reg_check_text(text, 128, 0, "search text", err);
		if (!rc)
			rc = like_pattern(text, 0, like, err);
		if (rc)
			return rc;
		q->like = *like;
		q->exact = text;
	}
	return 0;
}

int reg_school_list_scoped(struct reg *reg, const struct reg_scope *scope,
			   int (*cb)(const struct reg_school *, void *), void *ctx,
			   struct byod_err *err)
{
	int rc = check_scope(scope, err);

	return rc ? rc : OPS(reg)->school_list_scoped(reg->be, scope_param(scope), cb, ctx, err);
}

int reg_device_search(struct reg *reg, const struct reg_scope *scope,
		      const struct reg_device_search *s,
		      int (*cb)(const struct reg_device *, void *), void *ctx, int *total,
		      struct byod_err *err)
{
	struct reg_search q;
	char mac[REG_MAC_MAX], serial[REG_SERIAL_MAX], id[REG_ID_MAX], *like = NULL;
	int rc, i;

	memset(&q, 0, sizeof(q));
	if (total)
		*total = 0;
	q.limit = s->limit;
	q.offset = s->offset;
	rc = check_page(&q.limit, q.offset, SEARCH_LIMIT_DEFAULT, SEARCH_LIMIT_MAX, err);
	if (!rc && s->state != -1 && (s->state < 0 || s->state >= BYOD_DEVICE_UNKNOWN))
		rc = byod_err_set(err, EINVAL, "state %d is not a device state", s->state);
	if (!rc)
		rc = search_common(scope, s->school, s->text, &q, &like, err);
	if (rc)
		goto out;
	if (s->state != -1)
		q.state = byod_device_state_name((enum byod_device_state)s->state);
	if (q.exact) {
		if (!byod_mac_normalise(q.exact, mac))
			q.mac = mac;
		if (strlen(q.exact) < 128 &&
		    !byod_serial_normalise(q.exact, serial, sizeof(serial)))
			q.serial = serial;
		if (byod_is_uuid(q.exact)) {
			for (i = 0; q.exact[i]; i++)
				id[i] = (char)tolower((unsigned char)q.exact[i]);
			id[i] = '\0';
			q.exact = id;
		}
	}
	rc = OPS(reg)->device_search(reg->be, &q, cb, ctx, total, err);
out:
	free(like);
	return rc;
}

int reg_device_get_scoped(struct reg *reg, const struct reg_scope *scope, const char *id_or_serial,
			  struct reg_device *out, struct byod_err *err)
{
	char id[REG_ID_MAX], serial[REG_SERIAL_MAX];
	int rc = check_scope(scope, err), i;

	if (rc)
		return rc;
	if (!id_or_serial || !id_or_serial[0] || strnlen(id_or_serial, 128) == 128)
		return byod_err_set(err, EINVAL, "no device id or certificate serial");
	if (byod_is_uuid(id_or_serial)) {
		for (i = 0; id_or_serial[i]; i++)
			id[i] = (char)tolower((unsigned char)id_or_serial[i]);
		id[i] = '\0';
		rc = OPS(reg)->device_get_scoped(reg->be, scope_param(scope), id, NULL, out, err);
	} else if (!byod_serial_normalise(id_or_serial, serial, sizeof(serial))) {
		rc = OPS(reg)->device_get_scoped(reg->be, scope_param(scope), NULL, serial, out,
						 err);
	} else {
		rc = -ENOENT;
	}
	/* the same sentence whether absent or outside the scope */
	if (rc == -ENOENT)
		rc = byod_err_set(err, ENOENT, "no device %.64s", id_or_serial);
	return rc;
}

int reg_person_search(struct reg *reg, const struct reg_scope *scope,
		      const struct reg_person_search *s,
		      int (*cb)(const struct reg_person *, void *), void *ctx, int *total,
		      struct byod_err *err)
{
	struct reg_search q;
	char *like = NULL;
	enum reg_person_state st;
	int rc;

	memset(&q, 0, sizeof(q));
	if (total)
		*total = 0;
	q.limit = s->limit;
	q.offset = s->offset;
	rc = check_page(&q.limit, q.offset, SEARCH_LIMIT_DEFAULT, SEARCH_LIMIT_MAX, err);
	if (!rc && s->role != -1 && !byod_role_name(s->role))
		rc = byod_err_set(err, EINVAL, "role %d is not a role", s->role);
	if (!rc && s->state != -1 && !reg_person_state_name((enum reg_person_state)s->state))
		rc = byod_err_set(err, EINVAL, "state %d is not an account state", s->state);
	if (!rc)
		rc = search_common(scope, s->school, s->text, &q, &like, err);
	if (rc)
		goto out;
	if (s->role != -1)
		q.role = byod_role_name(s->role);
	if (s->state != -1) {
		st = (enum reg_person_state)s->state;
		q.state = reg_person_state_name(st);
	}
	rc = OPS(reg)->person_search(reg->be, &q, cb, ctx, total, err);
out:
	free(like);
	return rc;
}

int reg_person_get_scoped(struct reg *reg, const struct reg_scope *scope, const char *login,
			  struct reg_person *out, struct byod_err *err)
{
	int rc = check_scope(scope, err);

	if (!rc)
		rc = reg_check_text(login, REG_LOGIN_MAX, 0, "login", err);
	if (rc)
		return rc;
	rc = OPS(reg)->person_get_scoped(reg->be, scope_param(scope), login, out, err);
	if (rc == -ENOENT)
		rc = byod_err_set(err, ENOENT, "no account '%s'", login);
	return rc;
}

int reg_audit_search(struct reg *reg, const struct reg_scope *scope,
		     const struct reg_audit_filter *f, int (*cb)(const struct reg_audit *, void *),
		     void *ctx, struct byod_err *err)
{
	struct reg_audit_filter n = *f;
	char *like = NULL;
	int rc = check_scope(scope, err);

	if (!rc)
		rc = check_page(&n.limit, 0, AUDIT_LIMIT_DEFAULT, AUDIT_LIMIT_MAX, err);
	if (!rc && n.actor)
		rc = reg_check_text(n.actor, 64, 0, "actor", err);
	if (!rc && n.object)
		rc = reg_check_text(n.object, 64, 0, "audit object", err);
	if (!rc && n.school) {
		rc = reg_check_text(n.school, REG_UAI_MAX, 0, "UAI", err);
		if (!rc && byod_uai_check(n.school, NULL))
			rc = byod_err_set(err, EINVAL, "'%s' is not a UAI (7 digits and a letter)",
					  n.school);
	}
	if (!rc && (n.from < 0 || n.to < 0 || n.before_id < 0))
		rc = byod_err_set(err, EINVAL, "a negative time or id");
	if (!rc && n.action && n.action[0]) {
		rc = reg_check_text(n.action, 32, 0, "audit action", err);
		if (!rc)
			rc = like_pattern(n.action, 1, &like, err);
	}
	if (rc)
		goto out;
	rc = OPS(reg)->audit_search(reg->be, scope_param(scope), &n, like, cb, ctx, err);
out:
	free(like);
	return rc;
}
