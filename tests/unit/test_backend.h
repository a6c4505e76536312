/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which registry a unit suite runs against: SQLite files under
 * $BYOD_TEST_TMP, or, with BYOD_TEST_REGISTRY=postgresql://..., a
 * PostgreSQL database of its own per test (created from the path the
 * suite would have given SQLite, dropped at the end), so that the same
 * suite proves both backends. Other connections of the test (threads,
 * forked processes) open the same path and reach the same database.
 */
#ifndef BYOD_TEST_BACKEND_H
#define BYOD_TEST_BACKEND_H

#include <stdint.h>

#include "registry.h"

/* Non-zero when the suite runs against PostgreSQL. */
int tb_is_pg(void);
/* An empty registry at path: the SQLite files removed, or the PostgreSQL
 * database for path dropped and created again. 0 or -1 (said on stderr). */
int tb_fresh(const char *path);
/* Removes what tb_fresh made. */
void tb_remove(const char *path);
/* reg_open on path's registry; busy_ms is SQLite's busy timeout and
 * PostgreSQL's lock timeout. */
int tb_open(const char *path, int busy_ms, const char *actor, struct reg **out,
	    struct byod_err *err);
/* The integer the query sql returns, through a connection of its own
 * (another program's view); -1 on any error. */
int64_t tb_int(const char *path, const char *sql);

#endif /* BYOD_TEST_BACKEND_H */
