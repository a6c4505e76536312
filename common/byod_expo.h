/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Prometheus's text exposition format 0.0.4, written by every program that
 * has metrics (byodctl metrics, the daemons' /metrics, the RADIUS module's
 * stats socket), so that escaping and families are done one way: a family
 * is announced (name, type, help) and its # HELP and # TYPE lines come
 * before its first sample, all its samples together; a family with no
 * sample prints nothing. Label values escape \\, \" and \n; help text \\
 * and \n. Counters (whose names end in _total) are read with
 * byod_counter_get and bumped with byod_counter_add from any thread.
 */
#ifndef BYOD_EXPO_H
#define BYOD_EXPO_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

/* The content type of a scrape's answer. */
#define BYOD_EXPO_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct byod_expo {
	FILE *f;
	const char *name, *type, *help;
	int started;
};

/* Starts writing to f (not taken over). */
void byod_expo_init(struct byod_expo *e, FILE *f);

/* The family the next samples belong to: name, type ("counter", "gauge",
 * "untyped") and a line of help; all static or outliving the samples. */
void byod_expo_family(struct byod_expo *e, const char *name, const char *type,
		      const char *help);

/* One sample of the current family; after value, NULL-terminated label
 * name, label value pairs (values escaped here). */
void byod_expo_sample(struct byod_expo *e, double value, ...) __attribute__((sentinel));
void byod_expo_samplev(struct byod_expo *e, double value, va_list ap);

/* A family of one sample without labels. */
void byod_expo_one(struct byod_expo *e, const char *name, const char *type, const char *help,
		   double value);

/* A label value as the format wants it, to f. */
void byod_expo_label_value(FILE *f, const char *v);

/* The families every daemon has: byod_build_info{program,version} 1 and
 * byod_start_time_seconds. */
void byod_expo_process(struct byod_expo *e, const char *program, time_t started);

/* The version every program reports (CMake's project version). */
extern const char byod_version[];

/* A counter shared between threads: relaxed atomics, no lock. */
static inline void byod_counter_add(uint64_t *c, uint64_t n)
{
	__atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

static inline uint64_t byod_counter_get(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

#endif /* BYOD_EXPO_H */
