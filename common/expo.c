// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Prometheus's text exposition format 0.0.4 (byod_expo.h): the one writer
 * byodctl metrics, the daemons' /metrics and the RADIUS module's stats
 * socket share. It writes to a stdio stream (open_memstream for an answer
 * made whole before it is sent), so a family's lines stay together.
 */
#include "byod_expo.h"

#include <string.h>

#ifndef BYOD_VERSION
#define BYOD_VERSION "unknown"
#endif

const char byod_version[] = BYOD_VERSION;

void byod_expo_init(struct byod_expo *e, FILE *f)
{
	memset(e, 0, sizeof(*e));
	e->f = f;
}

void byod_expo_family(struct byod_expo *e, const char *name, const char *type, const char *help)
{
	e->name = name;
	e->type = type;
	e->help = help;
	e->started = 0;
}

void byod_expo_label_value(FILE *f, const char *v)
{
	for (; v && *v; v++) {
		if (*v == '\\')
			fputs("\\\\", f);
		else if (*v == '"')
			fputs("\\\"", f);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

/* Help text: only backslash and line feed are escaped (a quote is not). */
static void put_help(FILE *f, const char *v)
{
	for (; v && *v; v++) {
		if (*v == '\\')
			fputs("\\\\", f);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

/* A value as the format reads it: integers without an exponent, the
 * special values by their names. */
static void put_value(FILE *f, double v)
{
	if (v != v)
		fputs("NaN", f);
	else if (v > 1.7976931348623157e308)
		fputs("+Inf", f);
	else if (v < -1.7976931348623157e308)
		fputs("-Inf", f);
	else if (v < 9.007199254740992e15 && v > -9.007199254740992e15 && v == (double)(long long)v)
		fprintf(f, "%lld", (long long)v);
	else
		fprintf(f, "%.17g", v);
}

void byod_expo_samplev(struct byod_expo *e, double value, va_list ap)
{
	const char *label;
	int first = 1;

	if (!e->started) {
		fprintf(e->f, "# HELP %s ", e->name);
		put_help(e->f, e->help);
		fprintf(e->f, "\n# TYPE %s %s\n", e->name, e->type ? e->type : "untyped");
		e->started = 1;
	}
	fputs(e->name, e->f);
	while ((label = va_arg(ap, const char *))) {
		fprintf(e->f, "%s%s=\"", first ? "{" : ",", label);
		byod_expo_label_value(e->f, va_arg(ap, const char *));
		fputc('"', e->f);
		first = 0;
	}
	fputs(first ? " " : "} ", e->f);
	put_value(e->f, value);
	fputc('\n', e->f);
}

void byod_expo_sample(struct byod_expo *e, double value, ...)
{
	va_list ap;

	va_start(ap, value);
	byod_expo_samplev(e, value, ap);
	va_end(ap);
}

void byod_expo_one(struct byod_expo *e, const char *name, const char *type, const char *help,
		   double value)
{
	byod_expo_family(e, name, type, help);
	byod_expo_sample(e, value, NULL);
}

void byod_expo_process(struct byod_expo *e, const char *program, time_t started)
{
	byod_expo_family(e, "byod_build_info", "gauge",
			 "Always 1; the program and its version as labels.");
	byod_expo_sample(e, 1, "program", program, "version", byod_version, NULL);
	byod_expo_one(e, "byod_start_time_seconds", "gauge",
		      "When the program started, in seconds since the epoch.", (double)started);
}
