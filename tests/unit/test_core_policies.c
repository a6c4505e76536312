// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for a policy per school (core/policies.c, the per-school
 * functions of core/policy_versions.c) and the teacher unlock
 * (core/unlock.c), on a state directory made by byod_home_init: a school
 * without its own version runs the default, its own replaces it, "back to
 * the default" restores it, a stale apply is refused with the running
 * version and changes nothing, a policy that does not check is never
 * stored, the impact preview counts only the school's devices; a teacher
 * opens only their own class, for 1 to 120 minutes, audited as the
 * teacher, closes only their own, and explain sees the opening.
 */
#define _GNU_SOURCE /* nftw (rmtree.h) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "byod.h"
#include "byod_util.h"
#include "rmtree.h"

#define UAI  "0131234W"
#define UAI2 "0750654D"

#define SEGS                                                                                       \
	"segments:\n"                                                                              \
	"  registration: { vlan: 10, subnet: 10.10.0.0/22 }\n"                                     \
	"  pupils: { vlan: 20, subnet: 10.20.0.0/16 }\n"

/* the département: pupils' phones in the pupils' segment */
static const char dept[] = SEGS "rules:\n"
				"  - name: phones\n"
				"    match: { role: student, kind: phone }\n"
				"    segment: pupils\n"
				"default: registration\n";
/* a collège: pupils' phones only when a teacher opens their class */
static const char college[] = SEGS "rules:\n"
				   "  - name: class-opened\n"
				   "    match: { role: student, kind: phone, unlock: teacher }\n"
				   "    segment: pupils\n"
				   "  - name: no-phones\n"
				   "    match: { role: student, kind: phone }\n"
				   "    action: reject\n"
				   "default: registration\n";

struct fx {
	char dir[512];
	char home[600];
	struct byod_ctx *ctx;
};

static int setup(void **state)
{
	const char *base = getenv("BYOD_TEST_TMP");
	struct byod_init_params p = {
		.uai = UAI, .name = "Collège des Calanques", .yescrypt_cost = 1};
	struct reg_school s2 = {.uai = UAI2, .name = "Collège Henri-IV"};
	struct byod_err err;
	struct fx *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	mkdir(base ? base : "/tmp", 0755);
	snprintf(fx->dir, sizeof(fx->dir), "%s/corepol.XXXXXX", base ? base : "/tmp");
	if (!mkdtemp(fx->dir))
		return -1;
	snprintf(fx->home, sizeof(fx->home), "%s/home", fx->dir);
	if (byod_home_init(fx->home, &p, &err) || byod_open(fx->home, "test", &fx->ctx, &err) ||
	    reg_school_add(fx->ctx->reg, &s2, &err)) {
		fprintf(stderr, "setup: %s\n", err.msg);
		return -1;
	}
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	int rc;

	byod_close(fx->ctx);
	rc = test_rmtree(fx->dir);
	free(fx);
	return rc == 0 ? 0 : -1;
}

static int64_t apply(struct fx *fx, const char *school, const char *text, int64_t expected)
{
	struct byod_policy_text p = {.school = school,
				     .file = "t.yaml",
				     .text = text,
				     .len = text ? strlen(text) : 0,
				     .expected = expected};
	struct pol_errors errs;
	struct byod_err err;
	int64_t version = 0, current;

	if (byod_policy_apply_text(fx->ctx, &p, &version, &current, &errs, &err))
		fail_msg("apply: %s", err.msg);
	pol_errors_free(&errs);
	return version;
}

/* The running version of school and whose it is. */
static int64_t running(struct fx *fx, const char *school, char whose[REG_UAI_MAX])
{
	struct pol_policy *pol;
	struct reg_policy info;
	struct byod_err err;

	if (byod_policy_load_school(fx->ctx, school, &pol, &info, &err))
		fail_msg("load: %s", err.msg);
	assert_null(info.source);
	pol_free(pol);
	snprintf(whose, REG_UAI_MAX, "%s", info.school);
	return info.version;
}

static int64_t add_person(struct fx *fx, const char *login, enum byod_role role, const char *school,
			  const char *groups)
{
	struct reg_person p;
	struct byod_err err;

	memset(&p, 0, sizeof(p));
	snprintf(p.login, sizeof(p.login), "%s", login);
	snprintf(p.display_name, sizeof(p.display_name), "%s", login);
	p.role = role;
	snprintf(p.school, sizeof(p.school), "%s", school);
	snprintf(p.groups, sizeof(p.groups), "%s", groups);
	p.state = REG_PERSON_ACTIVE;
	if (reg_person_add(fx->ctx->reg, &p, &err))
		fail_msg("person: %s", err.msg);
	return p.id;
}

static void add_phone(struct fx *fx, int64_t owner, const char *name, struct reg_device *out)
{
	struct byod_err err;

	memset(out, 0, sizeof(*out));
	out->owner = owner;
	snprintf(out->name, sizeof(out->name), "%s", name);
	out->kind = BYOD_KIND_PHONE;
	out->state = BYOD_DEVICE_ACTIVE;
	snprintf(out->charter, sizeof(out->charter), "2025-1");
	out->expires = time(NULL) + 86400 * 365;
	if (reg_device_add(fx->ctx->reg, out, &err))
		fail_msg("device: %s", err.msg);
}

static void test_school_falls_back_to_default(void **state)
{
	struct fx *fx = *state;
	struct byod_policies *set;
	struct byod_err err;
	char whose[REG_UAI_MAX];
	int64_t v1, v2, v3;

	/* nothing applied: nothing runs, and the set says so */
	assert_int_equal(byod_policies_load(fx->ctx, &set, &err), 0);
	assert_null(byod_policies_for(set, UAI));
	assert_int_equal(byod_policies_version(set, UAI), 0);
	byod_policies_free(set);

	v1 = apply(fx, NULL, dept, 0);
	assert_int_equal(running(fx, UAI, whose), v1);
	assert_string_equal(whose, "");

	/* the school's own replaces the default, for it only */
	v2 = apply(fx, UAI, college, v1);
	assert_int_equal(running(fx, UAI, whose), v2);
	assert_string_equal(whose, UAI);
	assert_int_equal(running(fx, UAI2, whose), v1);
	assert_int_equal(running(fx, NULL, whose), v1);
	assert_int_equal(byod_policies_load(fx->ctx, &set, &err), 0);
	assert_non_null(byod_policies_for(set, UAI));
	assert_ptr_not_equal(byod_policies_for(set, UAI), byod_policies_for(set, ""));
	assert_ptr_equal(byod_policies_for(set, UAI2), byod_policies_for(set, NULL));
	assert_int_equal(byod_policies_for(set, UAI)->nrules, 2);
	assert_int_equal(byod_policies_for(set, UAI2)->nrules, 1);
	assert_int_equal(byod_policies_version(set, UAI), v2);
	assert_int_equal(byod_policies_version(set, UAI2), v1);
	byod_policies_free(set);
	/* inside the caller's transaction: read in it */
	assert_int_equal(reg_begin(fx->ctx->reg, &err), 0);
	assert_int_equal(byod_policies_load(fx->ctx, &set, &err), 0);
	assert_int_equal(byod_policies_version(set, UAI), v2);
	byod_policies_free(set);
	reg_rollback(fx->ctx->reg);

	/* back to the default */
	v3 = apply(fx, UAI, NULL, v2);
	assert_true(v3 > v2);
	assert_int_equal(running(fx, UAI, whose), v1);
	assert_string_equal(whose, "");
	assert_int_equal(byod_policies_load(fx->ctx, &set, &err), 0);
	assert_ptr_equal(byod_policies_for(set, UAI), byod_policies_for(set, ""));
	assert_int_equal(byod_policies_version(set, UAI), v1);
	byod_policies_free(set);
}

static void test_refusals(void **state)
{
	struct fx *fx = *state;
	struct byod_policy_text p = {.school = UAI, .file = "t.yaml", .expected = -1};
	struct pol_errors errs;
	struct byod_err err;
	char whose[REG_UAI_MAX];
	int64_t v1, v2, version = 0, current = 0;

	v1 = apply(fx, NULL, dept, -1);
	/* a school already on the default cannot go back to it */
	assert_int_equal(byod_policy_apply_text(fx->ctx, &p, &version, &current, &errs, &err),
			 -EALREADY);
	pol_errors_free(&errs);
	/* the default cannot follow itself */
	p.school = NULL;
	assert_int_equal(byod_policy_apply_text(fx->ctx, &p, &version, &current, &errs, &err),
			 -EINVAL);
	pol_errors_free(&errs);
	/* a policy that does not check is never stored: every problem, at its place */
	p.school = UAI;
	p.text = SEGS "rules:\n  - name: r\n    match: { unlock: pupil }\n    segment: pupils\n"
		      "default: registration\n";
	p.len = strlen(p.text);
	assert_int_equal(byod_policy_apply_text(fx->ctx, &p, &version, &current, &errs, &err),
			 -EINVAL);
	assert_int_equal(errs.n, 1);
	assert_int_equal(errs.v[0].line, 6);
	assert_int_equal(errs.v[0].col, 22);
	assert_non_null(strstr(errs.v[0].msg, "unknown unlock 'pupil'"));
	assert_non_null(strstr(err.msg, "the running policy stays"));
	pol_errors_free(&errs);
	assert_int_equal(running(fx, UAI, whose), v1);
	/* an unknown school */
	p.school = "0999999Z";
	p.text = college;
	p.len = strlen(college);
	assert_int_equal(byod_policy_apply_text(fx->ctx, &p, &version, &current, &errs, &err),
			 -ENOENT);
	pol_errors_free(&errs);
	/* rollback to a version of someone else */
	v2 = apply(fx, UAI, college, -1);
	assert_int_equal(
		byod_policy_rollback_school(fx->ctx, UAI2, v2, -1, &version, &current, &err),
		-ENOENT);
	assert_int_equal(
		byod_policy_rollback_school(fx->ctx, UAI, v1, -1, &version, &current, &err),
		-ENOENT);
}

static int count_version(const struct reg_policy *p, void *arg)
{
	(void)p;
	(*(int *)arg)++;
	return 0;
}

/* The editor loaded version N; someone applied meanwhile: refused, with
 * the version running now, and nothing stored. */
static void test_stale_apply_refused(void **state)
{
	struct fx *fx = *state;
	struct byod_policy_text p = {
		.school = UAI, .file = "t.yaml", .text = college, .len = strlen(college)};
	struct pol_errors errs;
	struct byod_err err;
	char whose[REG_UAI_MAX];
	int64_t v1, v2, v3, version = 0, current = 0, n = 0;
	int own = 0;

	v1 = apply(fx, NULL, dept, 0);
	/* the school's editor loads what runs for it: the default, v1 */
	p.expected = running(fx, UAI, whose);
	assert_int_equal(p.expected, v1);
	/* the département applies a new default meanwhile */
	v2 = apply(fx, NULL, dept, v1);
	assert_int_equal(byod_policy_apply_text(fx->ctx, &p, &version, &current, &errs, &err),
			 -ESTALE);
	assert_int_equal(current, v2);
	assert_int_equal(version, 0);
	assert_non_null(strstr(err.msg, "changed since it was loaded"));
	pol_errors_free(&errs);
	assert_int_equal(byod_policy_history_school(fx->ctx, UAI, &n, count_version, &own, &err),
			 0);
	assert_int_equal(n, v2);
	assert_int_equal(own, 0);
	assert_int_equal(running(fx, UAI, whose), v2);
	assert_string_equal(whose, "");
	/* loaded again, applied */
	p.expected = current;
	assert_int_equal(byod_policy_apply_text(fx->ctx, &p, &version, &current, &errs, &err), 0);
	pol_errors_free(&errs);
	assert_int_equal(running(fx, UAI, whose), version);
	/* a rollback from a stale form neither */
	v3 = version;
	assert_int_equal(
		byod_policy_rollback_school(fx->ctx, UAI, v3, v2, &version, &current, &err),
		-ESTALE);
	assert_int_equal(current, v3);
	assert_int_equal(running(fx, UAI, whose), v3);
	/* the default's own editor: nothing ran yet is version 0 */
	assert_int_equal(apply(fx, NULL, dept, v2) > v3, 1);
}

static void test_rollback_school(void **state)
{
	struct fx *fx = *state;
	struct reg_policy rp;
	struct byod_err err;
	char whose[REG_UAI_MAX];
	int64_t v1, v2, v3, v4, v5, current;

	v1 = apply(fx, NULL, dept, -1);
	v2 = apply(fx, UAI, college, -1);
	v3 = apply(fx, UAI, dept, -1);
	assert_int_equal(byod_policy_rollback_school(fx->ctx, UAI, v2, v3, &v4, &current, &err), 0);
	assert_int_equal(running(fx, UAI, whose), v4);
	assert_int_equal(reg_policy_get(fx->ctx->reg, v4, &rp, &err), 0);
	assert_string_equal(rp.source, college);
	assert_string_equal(rp.school, UAI);
	assert_string_equal(rp.comment, "rollback to version 2");
	free(rp.source);
	/* a version that followed the default: back to the default */
	v5 = apply(fx, UAI, NULL, -1);
	apply(fx, UAI, college, -1);
	assert_int_equal(byod_policy_rollback_school(fx->ctx, UAI, v5, -1, &v4, &current, &err), 0);
	assert_int_equal(running(fx, UAI, whose), v1);
	assert_string_equal(whose, "");
}

struct moved {
	int n;
	char ids[4][REG_ID_MAX];
};

static void on_move(void *ctx, const struct reg_device *d, const struct pol_decision *before,
		    const struct pol_decision *after)
{
	struct moved *m = ctx;

	(void)before;
	(void)after;
	if (m->n < 4)
		snprintf(m->ids[m->n++], REG_ID_MAX, "%s", d->id);
}

static void test_diff_school(void **state)
{
	struct fx *fx = *state;
	struct pol_policy *pol;
	struct pol_errors errs;
	struct byod_diff diff;
	struct reg_device a, b;
	struct moved m = {0};
	struct byod_err err;

	add_phone(fx, add_person(fx, "lea", BYOD_ROLE_STUDENT, UAI, "4B"), "lea", &a);
	add_phone(fx, add_person(fx, "max", BYOD_ROLE_STUDENT, UAI2, "4B"), "max", &b);
	apply(fx, NULL, dept, -1);
	assert_int_equal(pol_load("c.yaml", college, strlen(college), &pol, &errs), 0);

	/* the collège's own would move its pupil's phone only */
	assert_int_equal(
		byod_policy_diff_school(fx->ctx, UAI, pol, time(NULL), &diff, on_move, &m, &err),
		0);
	assert_int_equal(diff.devices, 1);
	assert_int_equal(diff.changed, 1);
	assert_int_equal(diff.nmoves, 1);
	assert_string_equal(diff.moves[0].from, "pupils");
	assert_string_equal(diff.moves[0].to, "reject");
	assert_int_equal(m.n, 1);
	assert_string_equal(m.ids[0], a.id);
	byod_diff_free(&diff);

	/* once the collège runs it, a new default moves only the other school */
	apply(fx, UAI, college, -1);
	memset(&m, 0, sizeof(m));
	assert_int_equal(
		byod_policy_diff_school(fx->ctx, NULL, pol, time(NULL), &diff, on_move, &m, &err),
		0);
	assert_int_equal(diff.devices, 1);
	assert_int_equal(diff.changed, 1);
	assert_string_equal(m.ids[0], b.id);
	byod_diff_free(&diff);

	/* and the collège going back to the default moves its phone back */
	memset(&m, 0, sizeof(m));
	assert_int_equal(
		byod_policy_diff_school(fx->ctx, UAI, NULL, time(NULL), &diff, on_move, &m, &err),
		0);
	assert_int_equal(diff.changed, 1);
	assert_string_equal(diff.moves[0].from, "reject");
	assert_string_equal(diff.moves[0].to, "pupils");
	byod_diff_free(&diff);
	pol_free(pol);
}

static void test_unlock_until(void **state)
{
	struct reg_unlock live[5];
	time_t t = 1800000000;

	(void)state;
	memset(live, 0, sizeof(live));
	/* 4B of UAI until t+600, 4B of UAI until t+900 (the newest end), 5A of
	 * UAI, 4B of UAI2, 4B of UAI closed */
	snprintf(live[0].school, REG_UAI_MAX, UAI);
	snprintf(live[0].group, 64, "4B");
	live[0].starts = t - 60;
	live[0].ends = t + 600;
	live[1] = live[0];
	live[1].ends = t + 900;
	live[2] = live[0];
	snprintf(live[2].group, 64, "5A");
	live[2].ends = t + 1200;
	live[3] = live[0];
	snprintf(live[3].school, REG_UAI_MAX, UAI2);
	live[3].ends = t + 1500;
	live[4] = live[0];
	live[4].ends = t + 1800;
	live[4].ended = t - 1;

	assert_int_equal(byod_unlock_until(live, 5, UAI, "4B latin", t), t + 900);
	assert_ptr_equal(byod_unlock_find(live, 5, UAI, "latin 4B", t), &live[1]);
	assert_int_equal(byod_unlock_until(live, 5, UAI, "5A", t), t + 1200);
	assert_int_equal(byod_unlock_until(live, 5, UAI, "4B 5A", t), t + 1200);
	assert_int_equal(byod_unlock_until(live, 5, UAI2, "4B", t), t + 1500);
	assert_int_equal(byod_unlock_until(live, 5, UAI, "4", t), 0);
	assert_int_equal(byod_unlock_until(live, 5, UAI, "4BB", t), 0);
	assert_int_equal(byod_unlock_until(live, 5, UAI, "", t), 0);
	assert_int_equal(byod_unlock_until(live, 5, NULL, "4B", t), 0);
	/* before it starts, at its end */
	assert_int_equal(byod_unlock_until(live, 5, UAI, "4B", t - 61), 0);
	assert_int_equal(byod_unlock_until(live, 5, UAI, "4B", t + 900), 0);
	assert_int_equal(byod_unlock_until(live, 5, UAI, "4B", t + 899), t + 900);
}

struct lines {
	int n;
	char text[4][256];
};

static void collect(void *ctx, const struct pol_rule *r, int matched, const char *why)
{
	struct lines *l = ctx;

	if (l->n < 4)
		snprintf(l->text[l->n++], 256, "%s|%d|%s", r->name, matched, why);
}

static int last_audit(const struct reg_audit *a, void *arg)
{
	snprintf(arg, 200, "%s %s %s", a->actor, a->action, a->object);
	return 0;
}

static void test_unlock_open_close_explain(void **state)
{
	struct fx *fx = *state;
	struct reg_person prof, other, pupil;
	struct reg_unlock u;
	struct reg_device phone;
	struct byod_facts facts;
	struct pol_admission adm;
	struct pol_policy *pol;
	struct reg_policy info;
	struct lines l = {0};
	struct byod_err err;
	char audit[200], want[200];

	add_person(fx, "prof", BYOD_ROLE_TEACHER, UAI, "4B 3C");
	add_person(fx, "other", BYOD_ROLE_TEACHER, UAI, "4B");
	add_person(fx, "lea", BYOD_ROLE_STUDENT, UAI, "4B latin");
	assert_int_equal(reg_person_get(fx->ctx->reg, "prof", &prof, &err), 0);
	assert_int_equal(reg_person_get(fx->ctx->reg, "other", &other, &err), 0);
	assert_int_equal(reg_person_get(fx->ctx->reg, "lea", &pupil, &err), 0);
	add_phone(fx, pupil.id, "lea", &phone);
	apply(fx, UAI, college, -1);

	/* closed: the phone is refused, and explain says why */
	assert_int_equal(byod_device_explain(fx->ctx, &phone, -1, time(NULL), &facts, &adm, &pol,
					     &info, collect, &l, &err),
			 0);
	assert_string_equal(info.school, UAI);
	assert_int_equal(adm.admit, 0);
	assert_string_equal(l.text[0], "class-opened|0|no teacher has opened the class");
	pol_free(pol);

	/* who may open what */
	assert_int_equal(byod_unlock_open(fx->ctx, &pupil, "4B", 10, &u, &err), -EPERM);
	assert_non_null(strstr(err.msg, "only a teacher"));
	assert_int_equal(byod_unlock_open(fx->ctx, &prof, "5A", 10, &u, &err), -EPERM);
	assert_non_null(strstr(err.msg, "not one of prof's"));
	assert_int_equal(byod_unlock_open(fx->ctx, &prof, "4", 10, &u, &err), -EPERM);
	assert_int_equal(byod_unlock_open(fx->ctx, &prof, "4B", 0, &u, &err), -EINVAL);
	assert_int_equal(byod_unlock_open(fx->ctx, &prof, "4B", 121, &u, &err), -EINVAL);
	prof.state = REG_PERSON_DISABLED;
	assert_int_equal(byod_unlock_open(fx->ctx, &prof, "4B", 10, &u, &err), -EPERM);
	prof.state = REG_PERSON_ACTIVE;
	assert_int_equal(byod_unlock_open(fx->ctx, &prof, "4B", 10, &u, &err), 0);
	assert_string_equal(u.school, UAI);
	assert_int_equal(u.ends - u.starts, 600);
	/* audited as the teacher; the context keeps its own actor */
	assert_int_equal(reg_audit_list(fx->ctx->reg, 1, last_audit, audit, &err), 0);
	snprintf(want, sizeof(want), "teacher:prof unlock.start %lld", (long long)u.id);
	assert_string_equal(audit, want);
	assert_string_equal(reg_actor(fx->ctx->reg), "test");

	/* open: the pupils' segment until the end, and explain says so */
	memset(&l, 0, sizeof(l));
	assert_int_equal(byod_device_explain(fx->ctx, &phone, -1, u.starts, &facts, &adm, &pol,
					     &info, collect, &l, &err),
			 0);
	assert_int_equal(adm.admit, 1);
	assert_string_equal(adm.dec.segment_name, "pupils");
	assert_int_equal(adm.dec.valid_until, u.ends);
	assert_int_equal(facts.f.unlocked_until, u.ends);
	assert_non_null(strstr(l.text[0], "class-opened|1|matches: the class 4B is opened by a "
					  "teacher until "));
	pol_free(pol);

	/* only the teacher who opened it closes it */
	assert_int_equal(byod_unlock_close(fx->ctx, &other, u.id, &err), -ENOENT);
	assert_int_equal(byod_unlock_close(fx->ctx, &prof, u.id + 100, &err), -ENOENT);
	assert_int_equal(byod_unlock_close(fx->ctx, &prof, u.id, &err), 0);
	assert_int_equal(reg_audit_list(fx->ctx->reg, 1, last_audit, audit, &err), 0);
	snprintf(want, sizeof(want), "teacher:prof unlock.end %lld", (long long)u.id);
	assert_string_equal(audit, want);
	assert_int_equal(byod_unlock_close(fx->ctx, &prof, u.id, &err), -EALREADY);
	assert_int_equal(byod_device_explain(fx->ctx, &phone, -1, time(NULL) + 1, &facts, &adm,
					     &pol, &info, NULL, NULL, &err),
			 0);
	assert_int_equal(adm.admit, 0);
	assert_int_equal(facts.f.unlocked_until, 0);
	pol_free(pol);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_school_falls_back_to_default, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_apply_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollback_school, setup, teardown),
		cmocka_unit_test_setup_teardown(test_diff_school, setup, teardown),
		cmocka_unit_test(test_unlock_until),
		cmocka_unit_test_setup_teardown(test_unlock_open_close_explain, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
