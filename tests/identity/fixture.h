/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the identity tests share (test_identity_ldap.c, test_identity_cas.c):
 * a fresh state directory per test (byod_home_init) whose byod.conf gets
 * the test's identity section (ifx_write_sources, each test program's own),
 * opened as the portal opens it; the registry on SQLite in that directory,
 * or, when $BYOD_TEST_REGISTRY holds a postgresql:// URL, a fresh schema of
 * that server per test (tests/unit/registry_fixture.c), registry.url set
 * to it and the school added there. Counting people and audit rows.
 */
#ifndef BYOD_TEST_IDENTITY_FIXTURE_H
#define BYOD_TEST_IDENTITY_FIXTURE_H

#include "byod.h"
#include "identity.h"

struct ifx {
	char dir[512];
	char home[600];
	struct byod_ctx *ctx;
	void *reg; /* the registry fixture's, on PostgreSQL */
};

/* The school every test's state directory is made for. */
#define IFX_UAI "0123456A"

/* The test program's identity section, appended to home's byod.conf. */
int ifx_write_sources(const char *home);

/* The environment variable name, set by the script that runs the test
 * (exits with a word saying so when it is not). */
const char *ifx_env(const char *name);
/* 1 when the registry is PostgreSQL's. */
int ifx_on_postgres(void);
int ifx_setup(void **state);
int ifx_teardown(void **state);
/* The source name of the test's byod.conf (the test fails without it). */
const struct byod_idsrc *ifx_src(struct ifx *fx, const char *name);
/* People in the registry. */
int ifx_people(struct ifx *fx);
/* Audit rows of action (on object when not NULL, with needle in their "after"). */
int ifx_audited(struct ifx *fx, const char *action, const char *object, const char *needle);

#endif /* BYOD_TEST_IDENTITY_FIXTURE_H */
