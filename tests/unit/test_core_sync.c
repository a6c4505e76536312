// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of core's rentrée sync (sync.c) and departures (departures.c)
 * on a state directory made by byod_home_init: the plan's arrivals, class
 * changes and departures bounded by the file's schools and roles and by
 * the scope; the commit in one transaction with the digest shown (-ESTALE
 * when the registry moved, -EINVAL without a leaving date, nothing
 * written); a date already past disabling at once and revoking; the daily
 * job's byod_departures_apply.
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
#include <unistd.h>

#include "byod.h"
#include "byod_util.h"
#include "rmtree.h"

#define UAI  "0131234W"
#define UAI2 "0750654D"

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
	struct reg_school s2 = {.uai = UAI2, .name = "Lycée Henri-IV"};
	struct byod_err err;
	struct fx *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	mkdir(base ? base : "/tmp", 0755);
	snprintf(fx->dir, sizeof(fx->dir), "%s/sync.XXXXXX", base ? base : "/tmp");
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

static void add(struct fx *fx, const char *login, enum byod_role role, const char *school,
		const char *groups)
{
	struct reg_person p;
	struct byod_err err;

	memset(&p, 0, sizeof(p));
	snprintf(p.login, sizeof(p.login), "%s", login);
	snprintf(p.display_name, sizeof(p.display_name), "%s", login);
	snprintf(p.school, sizeof(p.school), "%s", school);
	snprintf(p.groups, sizeof(p.groups), "%s", groups);
	p.role = role;
	p.state = REG_PERSON_ACTIVE;
	assert_int_equal(byod_user_add(fx->ctx, &p, NULL, &err), 0);
}

/* A device with one valid certificate (serial) for login. */
static void add_device(struct fx *fx, const char *login, const char *serial, char *id)
{
	struct reg_person p;
	struct reg_device d;
	struct reg_cert c;
	struct byod_err err;

	assert_int_equal(reg_person_get(fx->ctx->reg, login, &p, &err), 0);
	memset(&d, 0, sizeof(d));
	d.owner = p.id;
	snprintf(d.name, sizeof(d.name), "phone");
	d.kind = BYOD_KIND_PHONE;
	d.state = BYOD_DEVICE_ACTIVE;
	assert_int_equal(reg_device_add(fx->ctx->reg, &d, &err), 0);
	memset(&c, 0, sizeof(c));
	snprintf(c.serial, sizeof(c.serial), "%s", serial);
	snprintf(c.device, sizeof(c.device), "%s", d.id);
	c.not_before = time(NULL) - 60;
	c.not_after = time(NULL) + 86400;
	c.state = REG_CERT_VALID;
	assert_int_equal(reg_cert_add(fx->ctx->reg, &c, &err), 0);
	snprintf(id, REG_ID_MAX, "%s", d.id);
}

static void year_one(struct fx *fx)
{
	add(fx, "p1", BYOD_ROLE_STUDENT, UAI, "4B");
	add(fx, "p2", BYOD_ROLE_STUDENT, UAI, "4B");
	add(fx, "t1", BYOD_ROLE_TEACHER, UAI, "4B 3B");
	add(fx, "q1", BYOD_ROLE_STUDENT, UAI2, "4B");
}

static const char year_two[] = "login,role,school,groups\n"
			       "p1,student," UAI ",3B\n"
			       "p3,student," UAI ",6A\n";

static struct reg_person get(struct fx *fx, const char *login)
{
	struct reg_person p;
	struct byod_err err;

	assert_int_equal(reg_person_get(fx->ctx->reg, login, &p, &err), 0);
	return p;
}

static void test_plan(void **state)
{
	struct fx *fx = *state;
	struct byod_sync_plan *sp;
	struct reg_scope other;
	struct byod_err err;

	year_one(fx);
	assert_int_equal(
		byod_sync_plan(fx->ctx->reg, NULL, "y2.csv", year_two, strlen(year_two), &sp, &err),
		0);
	assert_int_equal(sp->import->nproblems, 0);
	assert_int_equal(sp->arrivals, 1);
	assert_int_equal(sp->class_changes, 1);
	assert_int_equal(sp->other_changes, 0);
	assert_int_equal(sp->ndepartures, 1); /* not t1 (a teacher), not q1 (school 2) */
	assert_string_equal(sp->departures[0].login, "p2");
	assert_string_equal(sp->schools, UAI);
	assert_int_equal(sp->roles, 1u << BYOD_ROLE_STUDENT);
	byod_sync_plan_free(sp);

	/* a scope without the file's school: its rows are problems, no departure */
	assert_int_equal(reg_scope_set(&other, UAI2, &err), 0);
	assert_int_equal(byod_sync_plan(fx->ctx->reg, &other, "y2.csv", year_two, strlen(year_two),
					&sp, &err),
			 0);
	assert_int_equal(sp->import->nproblems, 2);
	assert_int_equal(sp->ndepartures, 0);
	byod_sync_plan_free(sp);
	byod_sync_plan_free(NULL);
}

static void test_commit(void **state)
{
	struct fx *fx = *state;
	struct byod_sync_plan *sp;
	struct byod_sync_result res;
	struct byod_err err;
	unsigned char digest[32];
	time_t now = time(NULL), leave = now + 86400 * 30;

	year_one(fx);
	assert_int_equal(
		byod_sync_plan(fx->ctx->reg, NULL, "y2.csv", year_two, strlen(year_two), &sp, &err),
		0);
	memcpy(digest, sp->digest, sizeof(digest));
	byod_sync_plan_free(sp);

	/* departures and no date: nothing written */
	assert_int_equal(byod_sync_commit(fx->ctx, NULL, "y2.csv", year_two, strlen(year_two),
					  digest, 0, now, &res, &err),
			 -EINVAL);
	assert_int_equal(reg_person_get(fx->ctx->reg, "p3", &(struct reg_person){0}, &err),
			 -ENOENT);
	assert_string_equal(get(fx, "p1").groups, "4B");

	/* a registry changed since the plan: -ESTALE, nothing written */
	add(fx, "p4", BYOD_ROLE_STUDENT, UAI, "5C");
	assert_int_equal(byod_sync_commit(fx->ctx, NULL, "y2.csv", year_two, strlen(year_two),
					  digest, leave, now, &res, &err),
			 -ESTALE);
	assert_int_equal(get(fx, "p2").leaves_at, 0);
	assert_string_equal(get(fx, "p1").groups, "4B");

	assert_int_equal(
		byod_sync_plan(fx->ctx->reg, NULL, "y2.csv", year_two, strlen(year_two), &sp, &err),
		0);
	assert_int_equal(sp->ndepartures, 2);
	memcpy(digest, sp->digest, sizeof(digest));
	byod_sync_plan_free(sp);
	assert_int_equal(byod_sync_commit(fx->ctx, NULL, "y2.csv", year_two, strlen(year_two),
					  digest, leave, now, &res, &err),
			 0);
	assert_int_equal(res.added, 1);
	assert_int_equal(res.updated, 1);
	assert_int_equal(res.leaving, 2);
	assert_int_equal(res.left, 0);
	assert_string_equal(get(fx, "p1").groups, "3B");
	assert_string_equal(get(fx, "p3").groups, "6A");
	assert_int_equal(get(fx, "p2").leaves_at, leave);
	assert_int_equal(get(fx, "p2").state, REG_PERSON_ACTIVE);
	assert_int_equal(get(fx, "p4").leaves_at, leave);
	assert_int_equal(get(fx, "t1").leaves_at, 0);
	assert_int_equal(get(fx, "q1").leaves_at, 0);

	/* p2 back in the file: the date cancelled */
	{
		static const char back[] = "login,role,school,groups\n"
					   "p1,student," UAI ",3B\n"
					   "p2,student," UAI ",3B\n"
					   "p3,student," UAI ",6A\n"
					   "p4,student," UAI ",5C\n";

		assert_int_equal(
			byod_sync_plan(fx->ctx->reg, NULL, "b.csv", back, strlen(back), &sp, &err),
			0);
		assert_int_equal(sp->returns, 2);
		assert_int_equal(sp->ndepartures, 0);
		byod_sync_plan_free(sp);
		assert_int_equal(byod_sync_commit(fx->ctx, NULL, "b.csv", back, strlen(back), NULL,
						  0, now, &res, &err),
				 0);
		assert_int_equal(get(fx, "p2").leaves_at, 0);
		assert_string_equal(get(fx, "p2").groups, "3B");
	}
}

static int cert_state(struct fx *fx, const char *serial, int *reason)
{
	struct reg_cert c;
	struct byod_err err;

	assert_int_equal(reg_cert_get(fx->ctx->reg, serial, &c, &err), 0);
	*reason = c.reason;
	return c.state;
}

static void test_commit_past_date(void **state)
{
	struct fx *fx = *state;
	struct byod_sync_result res;
	struct byod_err err;
	struct reg_device d;
	char id[REG_ID_MAX];
	time_t now = time(NULL);
	int reason;

	year_one(fx);
	add_device(fx, "p2", "a1b2", id);
	assert_int_equal(byod_sync_commit(fx->ctx, NULL, "y2.csv", year_two, strlen(year_two), NULL,
					  now - 86400, now, &res, &err),
			 0);
	assert_int_equal(res.left, 1);
	assert_int_equal(res.devices, 1);
	assert_int_equal(get(fx, "p2").state, REG_PERSON_DISABLED);
	assert_true(get(fx, "p2").disabled_at >= now);
	assert_int_equal(get(fx, "p2").leaves_at, now - 86400);
	assert_int_equal(reg_device_get(fx->ctx->reg, id, &d, &err), 0);
	assert_int_equal(d.state, BYOD_DEVICE_REVOKED);
	assert_int_equal(cert_state(fx, "a1b2", &reason), REG_CERT_REVOKED);
	assert_int_equal(reason, REG_REASON_AFFILIATION_CHANGED);
}

struct actions {
	int left, leave;
};

static int count_actions(const struct reg_audit *a, void *arg)
{
	struct actions *n = arg;

	n->left += !strcmp(a->action, "person.left");
	n->leave += !strcmp(a->action, "person.leave");
	return 0;
}

static void test_departures_apply(void **state)
{
	struct fx *fx = *state;
	struct byod_err err;
	struct actions n = {0, 0};
	char id[REG_ID_MAX], id2[REG_ID_MAX];
	time_t now = time(NULL);
	int people = -1, devices = -1, reason;

	year_one(fx);
	add_device(fx, "p1", "c0ffee", id);
	add_device(fx, "p2", "beef", id2);
	assert_int_equal(reg_person_set_leaves_at(fx->ctx->reg, "p1", now - 10, &err), 0);
	assert_int_equal(reg_person_set_leaves_at(fx->ctx->reg, "p2", now + 3600, &err), 0);

	assert_int_equal(byod_departures_apply(fx->ctx, now, &people, &devices, &err), 0);
	assert_int_equal(people, 1);
	assert_int_equal(devices, 1);
	assert_int_equal(get(fx, "p1").state, REG_PERSON_DISABLED);
	assert_int_equal(cert_state(fx, "c0ffee", &reason), REG_CERT_REVOKED);
	assert_int_equal(reason, REG_REASON_AFFILIATION_CHANGED);
	assert_int_equal(get(fx, "p2").state, REG_PERSON_ACTIVE);
	assert_int_equal(cert_state(fx, "beef", &reason), REG_CERT_VALID);
	assert_int_equal(reg_audit_list(fx->ctx->reg, 0, count_actions, &n, &err), 0);
	assert_int_equal(n.left, 1);
	assert_int_equal(n.leave, 2);

	/* nothing more due now; an hour later, p2 */
	assert_int_equal(byod_departures_apply(fx->ctx, now, &people, NULL, &err), 0);
	assert_int_equal(people, 0);
	assert_int_equal(byod_departures_apply(fx->ctx, now + 3600, NULL, &devices, &err), 0);
	assert_int_equal(devices, 1);
	assert_int_equal(get(fx, "p2").state, REG_PERSON_DISABLED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_plan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_past_date, setup, teardown),
		cmocka_unit_test_setup_teardown(test_departures_apply, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
