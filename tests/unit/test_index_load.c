// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The index's full load when its filler thread fails (index_load.c): the
 * thread that puts the rows into the store runs out of memory (strdup,
 * wrapped at link time by -Wl,--wrap=strdup, fails in any thread but the
 * test's own), and the caller's err says why in the filler's words: which
 * rows, into the index. The index still opens (degraded, registration
 * segment), and a refresh once memory is back loads it whole.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "byod.h"
#include "index.h"
#include "rmtree.h"

/* ---- strdup failing outside the main thread, when armed ---- */

char *__real_strdup(const char *s);
char *__wrap_strdup(const char *s);

static pthread_t main_thread;
static int armed;
static int failed; /* strdup calls made to fail */

char *__wrap_strdup(const char *s)
{
	if (__atomic_load_n(&armed, __ATOMIC_SEQ_CST) &&
	    !pthread_equal(pthread_self(), main_thread)) {
		__atomic_add_fetch(&failed, 1, __ATOMIC_SEQ_CST);
		errno = ENOMEM;
		return NULL;
	}
	return __real_strdup(s);
}

struct fx {
	char dir[512], home[600];
};

static const char policy[] = "segments:\n"
			     "  reg: { vlan: 10, subnet: 10.10.0.0/22 }\n"
			     "  pupils: { vlan: 20, subnet: 10.20.0.0/16 }\n"
			     "rules:\n"
			     "  - name: pupils\n    match: { role: student }\n    segment: pupils\n"
			     "default: reg\nmab-segment: reg\n";

static int setup(void **state)
{
	const char *base = getenv("BYOD_TEST_TMP");
	struct byod_init_params p = { .uai = "0131234W", .name = "Test", .yescrypt_cost = 1 };
	struct reg_person lea = { .login = "lea", .role = BYOD_ROLE_STUDENT, .school = "0131234W",
				  .groups = "4A" };
	struct byod_enrol_params ep = { .login = "lea", .name = "phone", .kind = BYOD_KIND_PHONE,
					.mac = "02:00:00:00:aa:01" };
	struct byod_enrolment e;
	struct pol_errors errs;
	struct byod_err err;
	struct byod_ctx *ctx = NULL;
	struct fx *fx = calloc(1, sizeof(*fx));
	char path[700];
	FILE *f;

	if (!fx)
		return -1;
	main_thread = pthread_self();
	mkdir(base ? base : "/tmp", 0755);
	snprintf(fx->dir, sizeof(fx->dir), "%s/index_load.XXXXXX", base ? base : "/tmp");
	if (!mkdtemp(fx->dir))
		return -1;
	snprintf(fx->home, sizeof(fx->home), "%s/home", fx->dir);
	snprintf(path, sizeof(path), "%s/p.yaml", fx->dir);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(policy, f);
	fclose(f);
	if (byod_home_init(fx->home, &p, &err) || byod_open(fx->home, "test", &ctx, &err) ||
	    byod_user_add(ctx, &lea, NULL, &err) || byod_device_enrol(ctx, &ep, &e, &err) ||
	    byod_policy_apply(ctx, path, NULL, NULL, &errs, &err)) {
		fprintf(stderr, "setup: %s\n", err.msg);
		byod_close(ctx);
		return -1;
	}
	byod_enrolment_clear(&e);
	byod_close(ctx);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	int rc = test_rmtree(fx->dir);

	free(fx);
	return rc ? -1 : 0;
}

static void mab(struct rad_index *ix, struct rad_answer *a)
{
	struct rad_query q = { .method = RAD_METHOD_MAC, .mac = "02:00:00:00:aa:01",
			       .now = time(NULL), .explain = true };

	rad_index_decide(ix, &q, a);
}

static void test_filler_fails(void **state)
{
	struct fx *fx = *state;
	struct rad_index_options o = { .home = fx->home, .registration_vlan = 99 };
	struct rad_index *ix = NULL;
	struct rad_index_stats st;
	struct rad_answer a;
	struct byod_err err;
	int degraded = 0, changed = 0;

	memset(&err, 0, sizeof(err));
	__atomic_store_n(&armed, 1, __ATOMIC_SEQ_CST);
	assert_int_equal(rad_index_open(&o, &ix, &degraded, &err), 0);
	__atomic_store_n(&armed, 0, __ATOMIC_SEQ_CST);
	/* the failure was the filler thread's (the reader's strdup works) */
	assert_true(__atomic_load_n(&failed, __ATOMIC_SEQ_CST) > 0);
	assert_true(degraded);
	print_message("the load's error: %s\n", err.msg);
	/* the filler's own reason, not an empty sentence nor the reader's */
	assert_non_null(strstr(err.msg, "out of memory"));
	assert_non_null(strstr(err.msg, "people"));
	assert_non_null(strstr(err.msg, "index"));
	/* nothing half-loaded is used: the registration segment */
	mab(ix, &a);
	assert_true(a.accept);
	assert_int_equal(a.vlan, 99);
	rad_index_stats(ix, &st);
	assert_int_equal(st.devices, 0);
	assert_true(st.degraded);

	/* memory back: the refresh loads everything */
	memset(&err, 0, sizeof(err));
	assert_int_equal(rad_index_refresh(ix, &changed, &err), 0);
	assert_int_equal(changed, 1);
	mab(ix, &a);
	/* known now: its MAB in the policy's mab-segment (reg, 10), not the
	 * segment of an unreadable registry (99) */
	assert_true(a.known);
	assert_true(a.accept);
	assert_int_equal(a.vlan, 10);
	rad_index_stats(ix, &st);
	assert_int_equal(st.devices, 1);
	assert_false(st.degraded);

	rad_index_free(ix);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_filler_fails, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
