/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * radload: a RADIUS load generator for MAC-authentication benchmarks.
 *
 * One radclient process saturates near 16,000 requests/s, below what the
 * server can answer; radload keeps a window of requests outstanding on
 * several sockets from several threads, so that the server, not the client,
 * is what a benchmark measures. Each request is a MAB Access-Request as a
 * switch sends it (User-Name and User-Password the bare MAC, Calling-
 * Station-Id, NAS-Port-Type Ethernet, Service-Type Call-Check,
 * Message-Authenticator) for device i, whose MAC is 02:00:ii:ii:ii:ii (the
 * bench registries are built so), i drawn uniformly from [0, devices).
 * Every answer is checked (code, identifier, Response Authenticator, and
 * Message-Authenticator when there is one). The packets are written and
 * checked by firewall/radpkt.c, the encoder of the RFC 5176 client too.
 *
 *   radload --server ADDR:PORT --secret S --devices N [--threads T]
 *           [--window W] [--seconds S] [--unknown-every K] [--rate R]
 *
 * --rate R sends R requests per second in all, on a schedule (open loop),
 * for latency at a given load; without it each thread keeps W outstanding.
 * Prints name=value lines: sent, accepts, rejects, lost, seconds, rps,
 * latency_us_p50, latency_us_p99, client_cpu_us. Exit 1 when no request
 * was answered.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <openssl/rand.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "radpkt.h"

#define MAX_WINDOW 256
#define LAT_BUCKETS 4096 /* 0.1 ms .. ~400 ms on a log-ish scale */

struct opts {
	struct sockaddr_in server;
	char secret[128];
	uint32_t devices;
	int threads;
	int window; /* outstanding requests per thread */
	double seconds;
	uint32_t unknown_every; /* every K-th request for an unknown MAC */
	double rate;            /* requests/s in all (0: as fast as the window allows) */
};

struct slot {
	int busy;
	uint8_t auth[16];
	struct timespec sent;
};

struct worker {
	const struct opts *o;
	pthread_t tid;
	uint64_t rng;
	uint64_t sent, accepts, rejects, lost, bad;
	uint64_t lat[LAT_BUCKETS];
	struct slot slots[256];
};

static volatile int stop_flag;

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* latency histogram: 1 µs resolution below 1 ms, then 10 µs, then 1 ms */
static int bucket_of(long us)
{
	if (us < 1000)
		return (int)us;
	if (us < 11000)
		return 1000 + (int)((us - 1000) / 10);
	long b = 2000 + (us - 11000) / 1000;
	return b >= LAT_BUCKETS ? LAT_BUCKETS - 1 : (int)b;
}

static long us_of_bucket(int b)
{
	if (b < 1000)
		return b;
	if (b < 2000)
		return 1000 + (long)(b - 1000) * 10;
	return 11000 + (long)(b - 2000) * 1000;
}

/* One Access-Request for device i into buf (RADPKT_MAX_LEN bytes); returns
 * its length, 0 when it cannot be written. */
static size_t build(const struct opts *o, uint8_t id, uint32_t dev, int unknown,
		    const uint8_t auth[16], uint8_t *buf)
{
	char mac[18], bare[13];
	struct radpkt p;

	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", unknown ? 0x06 : 0x02, 0,
		 (dev >> 24) & 255, (dev >> 16) & 255, (dev >> 8) & 255, dev & 255);
	snprintf(bare, sizeof(bare), "%.2s%.2s%.2s%.2s%.2s%.2s", mac, mac + 3, mac + 6, mac + 9,
		 mac + 12, mac + 15);
	radpkt_init(&p, buf, RADPKT_MAX_LEN, RADPKT_ACCESS_REQUEST, id, auth);
	radpkt_append_str(&p, RADPKT_ATTR_USER_NAME, bare);
	radpkt_append_password(&p, bare, o->secret);
	radpkt_append_str(&p, RADPKT_ATTR_CALLING_STATION_ID, mac);
	radpkt_append_u32(&p, RADPKT_ATTR_NAS_PORT_TYPE, 15); /* Ethernet */
	radpkt_append_u32(&p, RADPKT_ATTR_SERVICE_TYPE, 10);  /* Call-Check */
	radpkt_append_u32(&p, RADPKT_ATTR_NAS_IP_ADDRESS, 0x7f000001);
	radpkt_append_message_authenticator(&p);
	return radpkt_finish(&p, o->secret, NULL, NULL) ? 0 : p.len;
}

/* Checks an answer against the request authenticator of its slot. */
static int check(const struct opts *o, const uint8_t *buf, size_t n, const uint8_t auth[16])
{
	if (radpkt_check_format(buf, n, NULL) < 0)
		return -1;
	return radpkt_verify_response(buf, auth, o->secret, NULL) ? -1 : 0;
}

static void *run(void *arg)
{
	struct worker *w = arg;
	const struct opts *o = w->o;
	uint8_t buf[RADPKT_MAX_LEN];
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (const struct sockaddr *)&o->server, sizeof(o->server)) != 0) {
		perror("radload: socket");
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	int outstanding = 0;
	uint8_t next_id = 0;
	uint64_t count = 0;

	/* --rate: each thread sends on a schedule of its own (open loop) */
	double interval = o->rate > 0 ? (double)o->threads / o->rate : 0, next_send = now_s();
	while (!stop_flag) {
		while (outstanding < o->window && (interval == 0 || now_s() >= next_send)) {
			/* the next free identifier */
			while (w->slots[next_id].busy)
				next_id++;
			struct slot *s = &w->slots[next_id];
			uint64_t r = xorshift(&w->rng);
			for (int k = 0; k < 16; k += 8) {
				uint64_t a = xorshift(&w->rng);
				memcpy(s->auth + k, &a, 8);
			}
			count++;
			int unknown = o->unknown_every && count % o->unknown_every == 0;
			size_t len = build(o, next_id, (uint32_t)(r % o->devices), unknown, s->auth,
					   buf);
			if (!len) {
				fprintf(stderr, "radload: cannot write a request\n");
				stop_flag = 1;
				break;
			}
			clock_gettime(CLOCK_MONOTONIC, &s->sent);
			if (send(fd, buf, len, 0) != (ssize_t)len) {
				if (errno == EINTR)
					continue;
				perror("radload: send");
				stop_flag = 1;
				break;
			}
			s->busy = 1;
			outstanding++;
			w->sent++;
			next_id++;
			next_send += interval;
		}
		struct pollfd p = { .fd = fd, .events = POLLIN };
		struct timespec wait = { 1, 0 };
		if (interval) {
			double d = next_send - now_s();
			if (d < 0)
				d = 0;
			wait.tv_sec = (time_t)d;
			wait.tv_nsec = (long)((d - (double)wait.tv_sec) * 1e9);
		}
		int rc = ppoll(&p, 1, &wait, NULL);
		if (rc == 0) {
			/* an answer a second late is lost */
			struct timespec t;
			clock_gettime(CLOCK_MONOTONIC, &t);
			for (int k = 0; k < 256; k++)
				if (w->slots[k].busy && t.tv_sec - w->slots[k].sent.tv_sec > 1) {
					w->slots[k].busy = 0;
					w->lost++;
					outstanding--;
				}
			continue;
		}
		if (rc < 0)
			continue;
		for (;;) {
			ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (n < 0)
				break;
			struct slot *s = &w->slots[buf[1]];
			if (!s->busy || check(o, buf, (size_t)n, s->auth) != 0) {
				w->bad++;
				continue;
			}
			struct timespec t;
			clock_gettime(CLOCK_MONOTONIC, &t);
			long us = (t.tv_sec - s->sent.tv_sec) * 1000000L +
				  (t.tv_nsec - s->sent.tv_nsec) / 1000;
			w->lat[bucket_of(us)]++;
			s->busy = 0;
			outstanding--;
			if (buf[0] == 2)
				w->accepts++;
			else if (buf[0] == 3)
				w->rejects++;
			else
				w->bad++;
		}
	}
	close(fd);
	return NULL;
}

static void usage(void)
{
	fprintf(stderr, "usage: radload --server ADDR:PORT --secret S --devices N [--threads T]\n"
			"               [--window W] [--seconds S] [--unknown-every K] [--rate R]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "server", required_argument, NULL, 's' },
		{ "secret", required_argument, NULL, 'k' },
		{ "devices", required_argument, NULL, 'n' },
		{ "threads", required_argument, NULL, 't' },
		{ "window", required_argument, NULL, 'w' },
		{ "seconds", required_argument, NULL, 'd' },
		{ "unknown-every", required_argument, NULL, 'u' },
		{ "rate", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .devices = 0, .threads = 1, .window = 32, .seconds = 5 };
	char host[64] = "";
	int port = 0, c;

	o.server.sin_family = AF_INET;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			if (sscanf(optarg, "%63[^:]:%d", host, &port) != 2 ||
			    inet_pton(AF_INET, host, &o.server.sin_addr) != 1 || port <= 0 ||
			    port > 65535)
				usage();
			o.server.sin_port = htons((uint16_t)port);
			break;
		case 'k':
			snprintf(o.secret, sizeof(o.secret), "%s", optarg);
			break;
		case 'n':
			o.devices = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 't':
			o.threads = atoi(optarg);
			break;
		case 'w':
			o.window = atoi(optarg);
			break;
		case 'd':
			o.seconds = atof(optarg);
			break;
		case 'u':
			o.unknown_every = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'r':
			o.rate = atof(optarg);
			break;
		default:
			usage();
		}
	}
	if (!port || !o.secret[0] || o.devices == 0 || o.threads < 1 || o.threads > 64 ||
	    o.window < 1 || o.window > MAX_WINDOW - 1 || o.seconds <= 0 || o.rate < 0)
		usage();

	struct worker *w = calloc((size_t)o.threads, sizeof(*w));
	if (!w)
		return 1;
	uint64_t seed;
	if (RAND_bytes((unsigned char *)&seed, sizeof(seed)) != 1)
		seed = (uint64_t)time(NULL);
	double t0 = now_s();
	for (int k = 0; k < o.threads; k++) {
		w[k].o = &o;
		w[k].rng = seed + 0x9e3779b97f4a7c15ULL * (uint64_t)(k + 1);
		if (pthread_create(&w[k].tid, NULL, run, &w[k]) != 0) {
			perror("radload: thread");
			return 1;
		}
	}
	struct timespec d = { (time_t)o.seconds, (long)((o.seconds - (double)(time_t)o.seconds) * 1e9) };
	nanosleep(&d, NULL);
	stop_flag = 1;
	uint64_t sent = 0, acc = 0, rej = 0, lost = 0, bad = 0;
	static uint64_t lat[LAT_BUCKETS];
	for (int k = 0; k < o.threads; k++) {
		pthread_join(w[k].tid, NULL);
		sent += w[k].sent;
		acc += w[k].accepts;
		rej += w[k].rejects;
		lost += w[k].lost;
		bad += w[k].bad;
		for (int b = 0; b < LAT_BUCKETS; b++)
			lat[b] += w[k].lat[b];
	}
	double secs = now_s() - t0;
	uint64_t answered = acc + rej, seen = 0;
	long p50 = -1, p99 = -1;
	for (int b = 0; b < LAT_BUCKETS && answered; b++) {
		seen += lat[b];
		if (p50 < 0 && seen * 2 >= answered)
			p50 = us_of_bucket(b);
		if (p99 < 0 && seen * 100 >= answered * 99)
			p99 = us_of_bucket(b);
	}
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	long cpu = ru.ru_utime.tv_sec * 1000000L + ru.ru_utime.tv_usec +
		   ru.ru_stime.tv_sec * 1000000L + ru.ru_stime.tv_usec;
	printf("sent=%llu\naccepts=%llu\nrejects=%llu\nlost=%llu\nbad=%llu\nseconds=%.3f\n"
	       "rps=%.0f\nlatency_us_p50=%ld\nlatency_us_p99=%ld\nclient_cpu_us=%ld\n",
	       (unsigned long long)sent, (unsigned long long)acc, (unsigned long long)rej,
	       (unsigned long long)lost, (unsigned long long)bad, secs, (double)answered / secs, p50,
	       p99, cpu);
	free(w);
	return answered ? 0 : 1;
}
