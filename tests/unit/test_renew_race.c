// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Two renewals of one device at the same time, from two contexts (two
 * portal workers, or the portal and the geteduroam token endpoint), on
 * SQLite and PostgreSQL (test_renew_race_pg): exactly one issues a
 * certificate, the other waits for it (the device's row locked) and is
 * refused as too early, since the device's newest certificate is then the
 * new one; the device ends with one new certificate, not two replacing
 * the same one.
 */
#define _GNU_SOURCE /* nftw (rmtree.h) */
#include "registry_fixture.h"

#include <pthread.h>

#include "byod.h"
#include "rmtree.h"

#define ROUNDS 4

struct rfx {
	struct fx *f; /* the registry fixture: a fresh SQLite file or PostgreSQL schema */
	char dir[512];
	char home[600];
	struct byod_ctx *ctx[2];
};

static int rsetup(void **state)
{
	const char *base = getenv("BYOD_TEST_TMP");
	struct byod_init_params p = {.uai = "0131234W", .name = "Home", .yescrypt_cost = 1};
	struct byod_conf conf;
	struct byod_err err;
	struct rfx *r = calloc(1, sizeof(*r));
	time_t end = time(NULL) + 100 * 86400;
	char md[16];
	struct tm tm;
	void *fs = NULL;
	int rc, i;

	if (!r || setup(&fs))
		return -1;
	r->f = fs;
	snprintf(r->dir, sizeof(r->dir), "%s/race.XXXXXX", base ? base : "/tmp");
	if (!mkdtemp(r->dir))
		return -1;
	snprintf(r->home, sizeof(r->home), "%s/home", r->dir);
	if (byod_home_init(r->home, &p, &err) || byod_conf_load_home(&conf, r->home, &err)) {
		fprintf(stderr, "init: %s\n", err.msg);
		return -1;
	}
	/* a school year ending in 100 days, renewal open 180 days before */
	gmtime_r(&end, &tm);
	if (tm.tm_mon == 1 && tm.tm_mday == 29)
		tm.tm_mday = 28;
	snprintf(md, sizeof(md), "%02d-%02d", tm.tm_mon + 1, tm.tm_mday);
	rc = on_postgres() ? byod_conf_set(&conf, "registry.url", r->f->path, &err)
			   : byod_conf_set(&conf, "registry.path", r->f->path, &err);
	if (!rc)
		rc = byod_conf_set(&conf, "pki.school-year-end", md, &err);
	if (!rc)
		rc = byod_conf_set(&conf, "pki.renew-days", "180", &err);
	for (i = 0; i < 2 && !rc; i++)
		rc = byod_open_conf(&conf, "test", &r->ctx[i], &err);
	byod_conf_free(&conf);
	if (rc) {
		fprintf(stderr, "open: %s\n", err.msg);
		return -1;
	}
	*state = r;
	return 0;
}

static int rteardown(void **state)
{
	struct rfx *r = *state;
	void *fs = r->f;
	int rc;

	byod_close(r->ctx[0]);
	byod_close(r->ctx[1]);
	rc = test_rmtree(r->dir);
	teardown(&fs);
	free(r);
	return rc ? -1 : 0;
}

struct renewer {
	struct byod_ctx *ctx;
	const char *device;
	pthread_barrier_t *go;
	int rc;
	enum byod_enrol_refusal refusal;
	char serial[REG_SERIAL_MAX], replaces[REG_SERIAL_MAX], msg[sizeof(((struct byod_err *)0)->msg)];
};

static void *renew_thread(void *arg)
{
	struct renewer *w = arg;
	struct byod_renew_params rp = {.device = w->device, .login = "lea"};
	struct byod_enrolment e;
	struct byod_err err;

	pthread_barrier_wait(w->go);
	w->rc = byod_device_renew(w->ctx, &rp, &e, &err);
	w->refusal = e.refusal;
	if (!w->rc) {
		snprintf(w->serial, sizeof(w->serial), "%s", e.cert.serial);
		snprintf(w->replaces, sizeof(w->replaces), "%s", e.replaces);
		byod_enrolment_clear(&e);
	} else {
		snprintf(w->msg, sizeof(w->msg), "%s", err.msg);
	}
	return NULL;
}

struct certs {
	int n, valid;
	char replaces[4][REG_SERIAL_MAX];
};

static int count_cert(const struct reg_cert *c, void *arg)
{
	struct certs *cs = arg;

	if (cs->n < 4)
		snprintf(cs->replaces[cs->n], REG_SERIAL_MAX, "%s", c->replaces);
	cs->n++;
	cs->valid += c->state == REG_CERT_VALID;
	return 0;
}

static void test_two_renewals_at_once(void **state)
{
	struct rfx *r = *state;
	struct byod_enrol_params p = {.login = "lea", .kind = BYOD_KIND_PHONE, .force = 1};
	struct renewer w[2];
	struct byod_enrolment e;
	struct reg_person person;
	struct byod_err err;
	pthread_barrier_t go;
	pthread_t th[2];
	char first[REG_SERIAL_MAX], name[32];
	struct certs cs;
	int round, i, ok;

	add_school(r->f, UAI_A, "Lycée A");
	fill_person(&person, "lea", UAI_A);
	assert_int_equal(reg_person_add(r->ctx[0]->reg, &person, &err), 0);
	for (round = 0; round < ROUNDS; round++) {
		snprintf(name, sizeof(name), "phone %d", round);
		p.name = name;
		if (byod_device_enrol(r->ctx[0], &p, &e, &err))
			fail_msg("enrol: %s", err.msg);
		snprintf(first, sizeof(first), "%s", e.cert.serial);
		assert_int_equal(pthread_barrier_init(&go, NULL, 2), 0);
		for (i = 0; i < 2; i++) {
			memset(&w[i], 0, sizeof(w[i]));
			w[i].ctx = r->ctx[i];
			w[i].device = e.device.id;
			w[i].go = &go;
			assert_int_equal(pthread_create(&th[i], NULL, renew_thread, &w[i]), 0);
		}
		for (i = 0; i < 2; i++)
			pthread_join(th[i], NULL);
		pthread_barrier_destroy(&go);

		ok = (w[0].rc == 0) + (w[1].rc == 0);
		if (ok != 1)
			fail_msg("round %d: %d renewals issued a certificate (%d '%s', %d '%s')",
				 round, ok, w[0].rc, w[0].msg, w[1].rc, w[1].msg);
		for (i = 0; i < 2; i++) {
			if (w[i].rc == 0) {
				assert_string_equal(w[i].replaces, first);
				continue;
			}
			/* refused cleanly: the window of the new certificate is not open */
			if (w[i].rc != -EAGAIN || w[i].refusal != BYOD_ENROL_RENEW_EARLY)
				fail_msg("round %d: refused with %d '%s'", round, w[i].rc, w[i].msg);
			assert_non_null(strstr(w[i].msg, "Renewal opens on"));
		}
		memset(&cs, 0, sizeof(cs));
		assert_int_equal(
			reg_cert_list_for_device(r->ctx[0]->reg, e.device.id, count_cert, &cs, &err),
			0);
		assert_int_equal(cs.n, 2);
		assert_int_equal(cs.valid, 2); /* the old one until the new one is seen */
		byod_enrolment_clear(&e);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_two_renewals_at_once, rsetup, rteardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
