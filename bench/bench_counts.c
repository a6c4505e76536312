// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What counting a decision costs rlm_byod on the request path
 * (radius-module/counts.c): nanoseconds per rad_counts_add from one thread
 * and from two at once (the server's threads, each on its own shard),
 * over a département's keys (100 schools, 4 segments, 8 reasons), against
 * a baseline measured in the same run: one uncontended mutex and one
 * increment, the least a thread-safe count can cost. Also what a flush
 * of one minute of those keys costs when the registry is away (gathering
 * the shards into the rows kept). Prints "name=value" lines that the smoke
 * test checks for (never a timing).
 *
 *   bench_counts [--iterations N]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "counts.h"
#include "registry.h"

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static char schools[100][REG_UAI_MAX];
static const char *const segments[] = {"pupils", "teachers", "registration", ""};

struct run {
	struct rad_counts *c;
	long n;
	double ns;
};

static void *count_loop(void *arg)
{
	struct run *r = arg;
	time_t t = 1796113800;
	double start = now_ns();
	long i;

	for (i = 0; i < r->n; i++)
		rad_counts_add(r->c, t + (i >> 16), schools[i % 100], segments[i & 3],
			       reg_decision_reasons[(i >> 2) & 7]);
	r->ns = (now_ns() - start) / (double)r->n;
	return NULL;
}

static pthread_mutex_t base_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile long base_count;

static double baseline(long n)
{
	double start = now_ns();
	long i;

	for (i = 0; i < n; i++) {
		pthread_mutex_lock(&base_lock);
		base_count++;
		pthread_mutex_unlock(&base_lock);
	}
	return (now_ns() - start) / (double)n;
}

/* ns per add with threads threads at once (the mean of theirs). */
static double measure(struct rad_counts *c, int threads, long n)
{
	struct run r[2];
	pthread_t t[2];
	double sum = 0;
	int i;

	for (i = 0; i < threads; i++) {
		r[i].c = c;
		r[i].n = n;
		if (pthread_create(&t[i], NULL, count_loop, &r[i]))
			return -1;
	}
	for (i = 0; i < threads; i++) {
		pthread_join(t[i], NULL);
		sum += r[i].ns;
	}
	return sum / threads;
}

int main(int argc, char **argv)
{
	struct rad_counts_options o = {.node = "bench"};
	struct rad_counts_stats st;
	struct rad_counts *c = NULL;
	struct byod_err err;
	double one, two, base, flush;
	long n = 5000000;
	int i;

	if (argc == 3 && !strcmp(argv[1], "--iterations"))
		n = atol(argv[2]);
	if (n <= 0) {
		fprintf(stderr, "usage: bench_counts [--iterations N]\n");
		return 2;
	}
	for (i = 0; i < 100; i++)
		snprintf(schools[i], sizeof(schools[i]), "%07dA", 1300000 + i);
	if (rad_counts_new(&o, &c, &err)) {
		fprintf(stderr, "bench_counts: %s\n", err.msg);
		return 1;
	}
	/* warm up, then alternate with the baseline */
	measure(c, 1, n / 10 + 1);
	baseline(n / 10 + 1);
	one = measure(c, 1, n);
	base = baseline(n);
	two = measure(c, 2, n);
	flush = now_ns();
	rad_counts_flush(c, NULL, NULL, NULL, NULL); /* the registry away: kept */
	flush = (now_ns() - flush) / 1e6;
	rad_counts_stats(c, &st);
	printf("count_add_ns=%.1f\n", one);
	printf("count_add_two_threads_ns=%.1f\n", two);
	printf("baseline_mutex_increment_ns=%.1f\n", base);
	printf("ratio=%.1f\n", one / base);
	printf("gather_ms=%.2f\n", flush);
	printf("rows_kept=%zu\n", st.pending_rows);
	printf("decisions_kept=%llu\n", (unsigned long long)st.pending);
	rad_counts_free(c);
	return 0;
}
