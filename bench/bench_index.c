// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The RADIUS module's index over a large registry (bench/index.sh builds
 * one): how long it takes to load, how much memory it holds per enrolled
 * device, and how long one MAC-authentication decision takes, each against
 * a baseline measured in the same run:
 *   - load: the same registry rows read through the registry's listing
 *     functions and dropped (what reading alone costs);
 *   - memory: the registry's own bytes per device on disk;
 *   - decision: one lookup of the device by MAC in the registry
 *     (reg_device_find_by_mac, an indexed SQLite query): what a module
 *     that asked the database on every request would pay for the device
 *     alone, before its owner and the policy.
 * Devices are looked up at random over the whole registry (device i has
 * MAC 02:00:ii:ii:ii:ii). Prints name=value lines.
 *
 * With --load-only, the load alone, as FreeRADIUS does it at start, from
 * whichever registry HOME's byod.conf names (SQLite or PostgreSQL): its
 * time, and the process's resident memory after it and at its peak
 * (bench/index_pg.sh runs it once per load, alternating the backends).
 *
 * With --read-ab N, the registry read alone as the index does it at start
 * (one read transaction: counts, people, devices, certificates), through
 * the generic lists (A: reg_person_list, reg_device_list, reg_cert_list)
 * and through reg_bulk.h (B: SQLite's SELECT, PostgreSQL's COPY),
 * alternated N times in this one process so that both meet the same load
 * and the same warm caches: each run's seconds and this process's CPU
 * seconds, the medians, and the median and range of the per-pair ratio A/B.
 *
 *   bench_index --home DIR [--decisions N] [--load-only | --read-ab N]
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "byod_conf.h"
#include "index.h"
#include "reg_bulk.h"
#include "registry.h"

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* CPU seconds (user + system) this process has used: the load's own cost,
 * which other processes on a shared machine distort less than its time */
static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* VmRSS (resident now) or VmHWM (the peak) of this process, KiB */
static long status_kb(const char *field)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	size_t n = strlen(field);
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, n) && line[n] == ':') {
			kb = atol(line + n + 1);
			break;
		}
	fclose(f);
	return kb;
}

/* --load-only: one load of the index, its time and memory */
static int load_only(const char *home)
{
	struct rad_index_options io = { .home = home, .registration_vlan = 10 };
	struct byod_err err = { 0 };
	struct rad_index_stats s;
	struct rad_index *ix;
	long rss0 = status_kb("VmRSS");
	int degraded;
	double c0 = cpu_s(), t0 = now_s(), load_s, load_cpu;

	if (rad_index_open(&io, &ix, &degraded, &err)) {
		fprintf(stderr, "bench_index: %s\n", err.msg);
		return 1;
	}
	if (degraded) {
		fprintf(stderr, "bench_index: the registry could not be read: %s\n", err.msg);
		rad_index_free(ix);
		return 1;
	}
	load_s = now_s() - t0;
	load_cpu = cpu_s() - c0;
	rad_index_stats(ix, &s);
	printf("devices=%zu\ncertificates=%zu\npeople=%zu\n", s.devices, s.certs, s.people);
	printf("index_load_s=%.3f\nindex_load_cpu_s=%.3f\n", load_s, load_cpu);
	printf("index_map_bytes_per_device=%.1f\n", (double)s.bytes / (double)s.devices);
	printf("index_rss_bytes_per_device=%.1f\n",
	       (double)(status_kb("VmRSS") - rss0) * 1024.0 / (double)s.devices);
	printf("rss_before_kb=%ld\nrss_after_kb=%ld\npeak_rss_kb=%ld\n", rss0, status_kb("VmRSS"),
	       status_kb("VmHWM"));
	rad_index_free(ix);
	return 0;
}

static uint64_t rng = 0x2545f4914f6cdd1dULL;
static uint32_t next_device(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

static void mac_of(uint32_t i, char out[18])
{
	snprintf(out, 18, "02:00:%02x:%02x:%02x:%02x", (i >> 24) & 255, (i >> 16) & 255,
		 (i >> 8) & 255, i & 255);
}

static int count_person(const struct reg_person *p, void *arg)
{
	(void)p;
	++*(size_t *)arg;
	return 0;
}
static int count_device(const struct reg_device *d, void *arg)
{
	(void)d;
	++*(size_t *)arg;
	return 0;
}
static int count_cert(const struct reg_cert *c, void *arg)
{
	(void)c;
	++*(size_t *)arg;
	return 0;
}

/* one read of what the index loads, counting rows; 0 or -1 */
static int read_once(struct reg *reg, int bulk, size_t *rows, struct byod_err *err)
{
	size_t np, nd, nc;
	int rc;

	*rows = 0;
	rc = reg_begin_read(reg, err);
	if (rc)
		return -1;
	if (bulk)
		rc = reg_bulk_counts(reg, &np, &nd, &nc, err) ||
		     reg_bulk_people(reg, count_person, rows, err) ||
		     reg_bulk_devices(reg, count_device, rows, err) ||
		     reg_bulk_certs(reg, count_cert, rows, err);
	else
		rc = reg_person_list(reg, count_person, rows, err) ||
		     reg_device_list(reg, NULL, count_device, rows, err) ||
		     reg_cert_list(reg, count_cert, rows, err);
	reg_rollback(reg);
	return rc ? -1 : 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* --read-ab N: the lists (A) against reg_bulk.h (B), alternated */
static int read_ab(const char *home, int runs)
{
	struct byod_err err = { 0 };
	struct byod_conf conf;
	struct reg *reg;
	double *a, *b, *ac, *bc, *ratio;
	size_t rows_a = 0, rows_b = 0;
	int i, rc = 1;

	if (byod_conf_load_home(&conf, home, &err)) {
		fprintf(stderr, "bench_index: %s\n", err.msg);
		return 1;
	}
	if (reg_open_conf(&conf, "bench", 200, &reg, &err)) {
		fprintf(stderr, "bench_index: %s\n", err.msg);
		byod_conf_free(&conf);
		return 1;
	}
	a = calloc((size_t)runs, sizeof(*a));
	b = calloc((size_t)runs, sizeof(*b));
	ac = calloc((size_t)runs, sizeof(*ac));
	bc = calloc((size_t)runs, sizeof(*bc));
	ratio = calloc((size_t)runs, sizeof(*ratio));
	if (!a || !b || !ac || !bc || !ratio)
		goto out;
	/* one of each first, to warm the server's and the kernel's caches */
	if (read_once(reg, 0, &rows_a, &err) || read_once(reg, 1, &rows_b, &err))
		goto fail;
	if (rows_a != rows_b) {
		fprintf(stderr, "bench_index: the lists gave %zu rows, the bulk read %zu\n", rows_a,
			rows_b);
		goto out;
	}
	for (i = 0; i < runs; i++) {
		/* which goes first alternates too */
		int k;

		for (k = 0; k < 2; k++) {
			int bulk = (i + k) % 2;
			double t0 = now_s(), c0 = cpu_s();
			size_t rows;

			if (read_once(reg, bulk, &rows, &err))
				goto fail;
			(bulk ? b : a)[i] = now_s() - t0;
			(bulk ? bc : ac)[i] = cpu_s() - c0;
		}
		ratio[i] = a[i] / b[i];
		printf("run%d_lists_s=%.3f\nrun%d_bulk_s=%.3f\n", i + 1, a[i], i + 1, b[i]);
	}
	printf("read_ab_rows=%zu\nread_ab_runs=%d\n", rows_a, runs);
	printf("lists_s_median=%.3f\nlists_cpu_s_median=%.3f\n", median(a, runs), median(ac, runs));
	printf("bulk_s_median=%.3f\nbulk_cpu_s_median=%.3f\n", median(b, runs), median(bc, runs));
	printf("lists_over_bulk_median=%.2f\n", median(ratio, runs));
	printf("lists_over_bulk_min=%.2f\nlists_over_bulk_max=%.2f\n", ratio[0], ratio[runs - 1]);
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "bench_index: %s\n", err.msg);
out:
	free(a);
	free(b);
	free(ac);
	free(bc);
	free(ratio);
	reg_close(reg);
	byod_conf_free(&conf);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = { { "home", required_argument, NULL, 'h' },
					    { "decisions", required_argument, NULL, 'n' },
					    { "load-only", no_argument, NULL, 'l' },
					    { "read-ab", required_argument, NULL, 'a' },
					    { NULL, 0, NULL, 0 } };
	const char *home = NULL;
	long decisions = 1000000;
	int c, only_load = 0, ab_runs = 0;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (c == 'h')
			home = optarg;
		else if (c == 'n')
			decisions = atol(optarg);
		else if (c == 'l')
			only_load = 1;
		else if (c == 'a')
			ab_runs = atoi(optarg);
		else
			return 2;
	}
	if (!home || decisions < 1 || ab_runs < 0) {
		fprintf(stderr, "usage: bench_index --home DIR [--decisions N] [--load-only | "
				"--read-ab N]\n");
		return 2;
	}
	if (only_load)
		return load_only(home);
	if (ab_runs)
		return read_ab(home, ab_runs);

	struct byod_err err = { 0 };
	struct byod_conf conf;
	char path[4096];
	if (byod_conf_load_home(&conf, home, &err) ||
	    byod_conf_path(&conf, conf.registry_path, path, sizeof(path))) {
		fprintf(stderr, "bench_index: %s\n", err.msg);
		return 1;
	}
	struct stat st;
	off_t db_bytes = stat(path, &st) == 0 ? st.st_size : 0;

	/* baseline: read every row the index loads, keep nothing */
	struct reg *reg;
	if (reg_open_conf(&conf, "bench", 200, &reg, &err)) {
		fprintf(stderr, "bench_index: %s\n", err.msg);
		byod_conf_free(&conf);
		return 1;
	}
	size_t people = 0, devices = 0, certs = 0;
	double t0 = now_s();
	if (reg_begin(reg, &err) || reg_person_list(reg, count_person, &people, &err) ||
	    reg_device_list(reg, NULL, count_device, &devices, &err) ||
	    reg_cert_list(reg, count_cert, &certs, &err)) {
		fprintf(stderr, "bench_index: %s\n", err.msg);
		return 1;
	}
	reg_rollback(reg);
	double read_s = now_s() - t0;
	if (devices == 0) {
		fprintf(stderr, "bench_index: the registry has no device\n");
		return 1;
	}

	/* the index: load, memory */
	long rss0 = status_kb("VmRSS");
	struct rad_index_options io = { .home = home, .registration_vlan = 10 };
	struct rad_index *ix;
	int degraded;
	double c0 = cpu_s();
	t0 = now_s();
	if (rad_index_open(&io, &ix, &degraded, &err) || degraded) {
		fprintf(stderr, "bench_index: %s\n", err.msg);
		return 1;
	}
	double load_s = now_s() - t0, load_cpu = cpu_s() - c0;
	long rss1 = status_kb("VmRSS");
	struct rad_index_stats s;
	rad_index_stats(ix, &s);

	/* decisions from memory, then the registry lookup baseline */
	struct rad_query q = { .method = RAD_METHOD_MAC, .now = time(NULL) };
	struct rad_answer a;
	char mac[18];
	long accepted = 0;
	t0 = now_s();
	for (long k = 0; k < decisions; k++) {
		mac_of(next_device((uint32_t)devices), mac);
		q.mac = mac;
		rad_index_decide(ix, &q, &a);
		accepted += a.accept && a.known;
	}
	double decide_ns = (now_s() - t0) * 1e9 / (double)decisions;
	if (accepted != decisions) {
		fprintf(stderr, "bench_index: %ld of %ld devices accepted: not the bench registry?\n",
			accepted, decisions);
		return 1;
	}
	long lookups = decisions / 10 > 0 ? decisions / 10 : 1;
	struct reg_device d;
	t0 = now_s();
	for (long k = 0; k < lookups; k++) {
		mac_of(next_device((uint32_t)devices), mac);
		if (reg_device_find_by_mac(reg, mac, &d, &err)) {
			fprintf(stderr, "bench_index: %s\n", err.msg);
			return 1;
		}
	}
	double lookup_ns = (now_s() - t0) * 1e9 / (double)lookups;

	/* one read of the change feed with nothing new: what the module's
	 * follower thread does every poll_interval */
	int changed;
	t0 = now_s();
	for (int k = 0; k < 100; k++)
		if (rad_index_refresh(ix, &changed, &err)) {
			fprintf(stderr, "bench_index: %s\n", err.msg);
			return 1;
		}
	double refresh_us = (now_s() - t0) * 1e6 / 100;

	printf("devices=%zu\ncertificates=%zu\npeople=%zu\n", s.devices, s.certs, s.people);
	printf("idle_refresh_us=%.1f\n", refresh_us);
	printf("registry_read_s=%.3f\nindex_load_s=%.3f\nindex_load_cpu_s=%.3f\n", read_s, load_s,
	       load_cpu);
	printf("index_map_bytes_per_device=%.1f\n", (double)s.bytes / (double)s.devices);
	printf("index_rss_bytes_per_device=%.1f\n", (double)(rss1 - rss0) * 1024.0 / (double)s.devices);
	printf("registry_disk_bytes_per_device=%.1f\n", (double)db_bytes / (double)s.devices);
	printf("decision_ns=%.1f\nregistry_lookup_ns=%.1f\n", decide_ns, lookup_ns);
	rad_index_free(ix);
	reg_close(reg);
	byod_conf_free(&conf);
	return 0;
}
