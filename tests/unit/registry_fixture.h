/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the registry's unit tests share (test_registry.c,
 * test_registry_session.c): a fresh database per test under
 * $BYOD_TEST_TMP, raw SQLite access for what the interface does not show,
 * helpers that add schools, people, devices and certificates, and
 * collectors for the list callbacks.
 */
#ifndef BYOD_TEST_REGISTRY_FIXTURE_H
#define BYOD_TEST_REGISTRY_FIXTURE_H

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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "backend.h"
#include "byod_conf.h"
#include "byod_util.h"
#include "registry.h"

#define UAI_A "0751234A"
#define UAI_B "0930001B"

struct fx {
	char path[512];
	struct reg *reg;
	struct byod_err err;
};

#define MAXN 32

struct names {
	int n;
	char v[MAXN][REG_NAME_MAX];
	int stop_after; /* return 7 after this many; 0: never */
};

struct events {
	int n;
	struct reg_event v[MAXN];
};

struct audits {
	int n;
	struct {
		int64_t id;
		char actor[64], action[32], object[64];
		char *before, *after;
	} v[MAXN];
};

void remove_db(const char *path);
int open_reg(const char *path, int busy_ms, struct reg **reg, struct byod_err *err);
int setup(void **state);
int teardown(void **state);
sqlite3 *raw_open(const char *path);
void raw_exec(sqlite3 *db, const char *sql);
int64_t raw_int(sqlite3 *db, const char *sql);
void add_school(struct fx *f, const char *uai, const char *name);
void fill_person(struct reg_person *p, const char *login, const char *school);
int64_t add_person(struct fx *f, const char *login);
void fill_device(struct reg_device *d, int64_t owner, const char *name, const char *mac);
void add_device(struct fx *f, int64_t owner, const char *name, const char *mac,
		struct reg_device *out);
void fill_cert(struct reg_cert *c, const char *serial, const char *device);
int collect_person(const struct reg_person *p, void *arg);
int collect_device(const struct reg_device *d, void *arg);
int collect_cert(const struct reg_cert *crt, void *arg);
int collect_event(const struct reg_event *ev, void *arg);
struct events events_since(struct fx *f, int64_t after, int limit);
int collect_audit(const struct reg_audit *a, void *arg);
void audits_free(struct audits *a);
int audit_count(struct fx *f);

#endif /* BYOD_TEST_REGISTRY_FIXTURE_H */
