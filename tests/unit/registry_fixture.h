/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the registry's unit tests share (test_registry.c,
 * test_registry_session.c): a fresh database per test, raw SQL access for
 * what the interface does not show, helpers that add schools, people,
 * devices and certificates, and collectors for the list callbacks.
 *
 * The backend is SQLite (a file under $BYOD_TEST_TMP) unless
 * $BYOD_TEST_REGISTRY holds a postgresql:// URL: then each test gets a
 * fresh schema t_<pid>_<n> on that server (search_path set through the
 * URL's options), dropped at teardown, and f->path holds the URL every
 * helper opens (open_reg, raw_open).
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
#include <libpq-fe.h>
#include <sqlite3.h>

#include "backend.h"
#include "byod_conf.h"
#include "byod_util.h"
#include "registry.h"

#define UAI_A "0751234A"
#define UAI_B "0930001B"

struct fx {
	char path[1024]; /* the SQLite file, or the PostgreSQL URL of the test's schema */
	char schema[64]; /* PostgreSQL: the test's schema */
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

/* A raw connection to the test's database, whatever the backend. */
typedef struct raw_db raw_db;

/* 1 when the tests run on PostgreSQL ($BYOD_TEST_REGISTRY). */
int on_postgres(void);
/* The test cluster's URL, or NULL on SQLite. */
const char *pg_base_url(void);
/* Skips the calling test (cmocka skip()) on PostgreSQL: it checks
 * something only SQLite has (a file, a lock, PRAGMA). */
#define SQLITE_ONLY()                                                                              \
	do {                                                                                       \
		if (on_postgres())                                                                 \
			skip();                                                                    \
	} while (0)

void remove_db(const char *path);
/* Opens path: a PostgreSQL URL (postgresql:// or postgres://) with that
 * backend, else an SQLite file. */
int open_reg(const char *path, int busy_ms, struct reg **reg, struct byod_err *err);
int setup(void **state);
int teardown(void **state);
raw_db *raw_open(const char *path);
void raw_close(raw_db *db);
void raw_exec(raw_db *db, const char *sql);
int64_t raw_int(raw_db *db, const char *sql);
/* Runs sql and returns 0, or -1 when the server or SQLite refused it (a
 * constraint the database itself enforces). */
int raw_try(raw_db *db, const char *sql);
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
