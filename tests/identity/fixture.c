// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The identity tests' shared fixture (fixture.h): a state directory per
 * test, its registry on SQLite or on a PostgreSQL schema of its own.
 */
#define _GNU_SOURCE /* nftw (rmtree.h) */
#include "../unit/registry_fixture.h"
#include "../unit/rmtree.h"

#include "fixture.h"

const char *ifx_env(const char *name)
{
	const char *v = getenv(name);

	if (!v) {
		fprintf(stderr, "%s is not set: run this test through its script "
			"(tests/identity/ldap.sh, cas.sh)\n", name);
		exit(1);
	}
	return v;
}

int ifx_on_postgres(void)
{
	return on_postgres();
}

int ifx_setup(void **state)
{
	const char *base = getenv("BYOD_TEST_TMP");
	struct byod_init_params p = { .uai = IFX_UAI, .name = "Collège de test",
				      .yescrypt_cost = 1 };
	struct reg_school school = { .uai = IFX_UAI, .name = "Collège de test" };
	struct byod_conf conf;
	struct byod_err err = { 0 };
	struct ifx *fx = calloc(1, sizeof(*fx));
	int rc;

	if (!fx)
		return -1;
	mkdir(base ? base : "/tmp", 0755);
	snprintf(fx->dir, sizeof(fx->dir), "%s/ident.XXXXXX", base ? base : "/tmp");
	if (!mkdtemp(fx->dir))
		return -1;
	snprintf(fx->home, sizeof(fx->home), "%s/home", fx->dir);
	if (byod_home_init(fx->home, &p, &err) || ifx_write_sources(fx->home)) {
		fprintf(stderr, "setup: %s\n", err.msg);
		return -1;
	}
	if (!on_postgres()) {
		rc = byod_open(fx->home, "byod-portal", &fx->ctx, &err);
	} else {
		struct fx *r;

		if (setup(&fx->reg))
			return -1;
		r = fx->reg;
		rc = byod_conf_load_home(&conf, fx->home, &err);
		if (!rc)
			rc = byod_conf_set(&conf, "registry.url", r->path, &err);
		if (!rc)
			rc = byod_open_conf(&conf, "byod-portal", &fx->ctx, &err);
		byod_conf_free(&conf);
		/* the school byod_home_init wrote is in its own SQLite file */
		if (!rc && reg_school_get(fx->ctx->reg, IFX_UAI, &school, NULL) == -ENOENT) {
			snprintf(school.uai, sizeof(school.uai), IFX_UAI);
			snprintf(school.name, sizeof(school.name), "Collège de test");
			rc = reg_school_add(fx->ctx->reg, &school, &err);
		}
	}
	if (rc) {
		fprintf(stderr, "setup: %s\n", err.msg);
		return -1;
	}
	*state = fx;
	return 0;
}

int ifx_teardown(void **state)
{
	struct ifx *fx = *state;

	byod_close(fx->ctx);
	if (fx->reg)
		teardown(&fx->reg);
	test_rmtree(fx->dir);
	free(fx);
	return 0;
}

const struct byod_idsrc *ifx_src(struct ifx *fx, const char *name)
{
	const struct byod_idsrc *s = byod_conf_idsrc(&fx->ctx->conf, name);

	assert_non_null(s);
	return s;
}

static int count_cb(const struct reg_person *p, void *arg)
{
	(void)p;
	++*(int *)arg;
	return 0;
}

int ifx_people(struct ifx *fx)
{
	int n = 0;

	assert_int_equal(reg_person_list(fx->ctx->reg, count_cb, &n, NULL), 0);
	return n;
}

struct audit_q {
	const char *action, *object, *needle;
	int n;
};

static int audit_cb(const struct reg_audit *a, void *arg)
{
	struct audit_q *q = arg;

	if (!strcmp(a->action, q->action) && (!q->object || !strcmp(a->object, q->object)) &&
	    (!q->needle || (a->after && strstr(a->after, q->needle))))
		q->n++;
	return 0;
}

int ifx_audited(struct ifx *fx, const char *action, const char *object, const char *needle)
{
	struct audit_q q = { action, object, needle, 0 };

	assert_int_equal(reg_audit_list(fx->ctx->reg, 0, audit_cb, &q, NULL), 0);
	return q.n;
}
