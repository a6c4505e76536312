// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Change propagation (bench/propagate.sh): from a commit on one node to the
 * decision on another. Two processes on the registry HOME's byod.conf names
 * (SQLite or PostgreSQL):
 *   - the writer (this process) changes a device's state through the
 *     registry API, reg_device_set_state: one transaction with its audit
 *     row and change-feed event, as byodctl or the portal commit it;
 *     it suspends a device drawn at random, then resumes it, and so on;
 *   - the follower (a child) holds the RADIUS module's index (rad_index)
 *     and follows the change feed as rlm_byod's thread does: rad_index_wait
 *     (reg_feed_wait: LISTEN/NOTIFY on PostgreSQL, PRAGMA data_version
 *     on SQLite, asked when a commit writes the WAL) for up to the poll interval, then
 *     rad_index_refresh; after each refresh it asks rad_index_decide about
 *     the device being changed.
 * Before each change the writer tells the follower which device will
 * change and what the decision will become (through a pipe, so it is there
 * before the change can be seen); the follower stamps the first refresh
 * after which the decision is the new one. CLOCK_MONOTONIC is one clock for
 * both processes. The commit happens somewhere inside the writer's call, so
 * each sample is given twice: from the call's start (the commit's round
 * trips and fsync included: an upper bound) and from its return (a lower
 * bound; a decision seen before the call returned, which the follower's
 * wake-up on NOTIFY can do, counts as 0 and is counted apart). Before each
 * change the writer waits a random 0..jitter ms, so that commits fall at
 * any phase of the follower's wait.
 *
 *   bench_propagate --home DIR --devices N --samples K --out PREFIX
 *                   [--jitter-ms 250] [--poll-ms 200] [--seed S]
 *
 * appends one sample a line (ms) to PREFIX.lat (from the call's start),
 * PREFIX.after (from its return) and the writer's call itself to
 * PREFIX.write; prints name=value lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "index.h"
#include "registry.h"

enum msg_kind { MSG_READY = 1, MSG_CHANGE, MSG_SEEN };

/* writer -> follower: MSG_CHANGE (k, dev, accept: the decision to come);
 * follower -> writer: MSG_READY, MSG_SEEN (k, t: when the decision changed) */
struct msg {
	int kind;
	int k;
	uint32_t dev;
	int accept;
	double t;
};

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void mac_of(uint32_t i, char out[18])
{
	snprintf(out, 18, "02:00:%02x:%02x:%02x:%02x", (i >> 24) & 255, (i >> 16) & 255,
		 (i >> 8) & 255, i & 255);
}

/* the device id bench/lib.sh's bench_school gives device i */
static void id_of(uint32_t i, char out[REG_ID_MAX])
{
	snprintf(out, REG_ID_MAX, "%08x-0000-4000-8000-%012x", i, i);
}

static uint64_t rng = 0x2545f4914f6cdd1dULL;
static uint32_t next_rand(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

static int send_msg(int fd, const struct msg *m)
{
	ssize_t n = write(fd, m, sizeof(*m));

	return n == (ssize_t)sizeof(*m) ? 0 : -1;
}

/* One message within timeout_ms: 0, -ETIMEDOUT, or -EPIPE when the other
 * side has gone. */
static int recv_msg(int fd, struct msg *m, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;
	int rc;

	do
		rc = poll(&p, 1, timeout_ms);
	while (rc < 0 && errno == EINTR);
	if (rc == 0)
		return -ETIMEDOUT;
	n = read(fd, m, sizeof(*m));
	return n == (ssize_t)sizeof(*m) ? 0 : -EPIPE;
}

/* The child: the index and its feed, as rlm_byod follows it. */
static int follower(const char *home, int poll_ms, int in, int out)
{
	struct rad_index_options io = { .home = home, .registration_vlan = 10 };
	struct rad_query q = { .method = RAD_METHOD_MAC };
	struct msg m, cur = { 0 };
	struct byod_err err = { 0 };
	struct rad_answer a;
	struct rad_index *ix;
	char mac[18];
	int degraded, changed, have = 0, rc = 1;
	ssize_t n;
	double t;

	if (rad_index_open(&io, &ix, &degraded, &err)) {
		fprintf(stderr, "bench_propagate: follower: %s\n", err.msg);
		return 1;
	}
	if (degraded) {
		fprintf(stderr, "bench_propagate: follower: the registry could not be read: %s\n",
			err.msg);
		goto out;
	}
	if (fcntl(in, F_SETFL, O_NONBLOCK) < 0)
		goto out;
	memset(&m, 0, sizeof(m));
	m.kind = MSG_READY;
	if (send_msg(out, &m))
		goto out;
	for (;;) {
		if (rad_index_wait(ix, poll_ms, &err) < 0 || rad_index_refresh(ix, &changed, &err)) {
			fprintf(stderr, "bench_propagate: follower: %s\n", err.msg);
			goto out;
		}
		t = now_s();
		/* what the writer announced before committing is in the pipe
		 * by now, if this refresh brought its change */
		while ((n = read(in, &m, sizeof(m))) == (ssize_t)sizeof(m)) {
			if (m.kind == MSG_CHANGE) {
				cur = m;
				have = 1;
			}
		}
		if (n == 0) {
			rc = 0; /* the writer is done */
			goto out;
		}
		if (n > 0 || errno != EAGAIN) {
			fprintf(stderr, "bench_propagate: follower: reading the pipe failed\n");
			goto out;
		}
		if (!have)
			continue;
		mac_of(cur.dev, mac);
		q.mac = mac;
		q.now = time(NULL);
		rad_index_decide(ix, &q, &a);
		if (!a.known) {
			fprintf(stderr, "bench_propagate: follower: %s is not in the index\n", mac);
			goto out;
		}
		if (a.accept == cur.accept) {
			memset(&m, 0, sizeof(m));
			m.kind = MSG_SEEN;
			m.k = cur.k;
			m.t = t;
			if (send_msg(out, &m))
				goto out;
			have = 0;
		}
	}
out:
	rad_index_free(ix);
	return rc;
}

static int set_state(struct reg *reg, uint32_t dev, enum byod_device_state st, struct byod_err *err)
{
	char id[REG_ID_MAX];

	id_of(dev, id);
	return reg_device_set_state(reg, id, st, err);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = { { "home", required_argument, NULL, 'h' },
					    { "devices", required_argument, NULL, 'd' },
					    { "samples", required_argument, NULL, 'n' },
					    { "out", required_argument, NULL, 'o' },
					    { "jitter-ms", required_argument, NULL, 'j' },
					    { "poll-ms", required_argument, NULL, 'p' },
					    { "seed", required_argument, NULL, 's' },
					    { NULL, 0, NULL, 0 } };
	const char *home = NULL, *prefix = NULL;
	long devices = 0, samples = 0, jitter_ms = 250, poll_ms = 200, seed = 1;
	int c, rc = 1, to_f[2], from_f[2], status;
	char path[4096];
	FILE *lat = NULL, *after = NULL, *wr = NULL;
	struct byod_err err = { 0 };
	struct reg *reg = NULL;
	struct msg m;
	pid_t pid;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'h':
			home = optarg;
			break;
		case 'd':
			devices = atol(optarg);
			break;
		case 'n':
			samples = atol(optarg);
			break;
		case 'o':
			prefix = optarg;
			break;
		case 'j':
			jitter_ms = atol(optarg);
			break;
		case 'p':
			poll_ms = atol(optarg);
			break;
		case 's':
			seed = atol(optarg);
			break;
		default:
			return 2;
		}
	}
	if (!home || !prefix || devices < 1 || samples < 1 || jitter_ms < 0 || poll_ms < 1) {
		fprintf(stderr, "usage: bench_propagate --home DIR --devices N --samples K "
				"--out PREFIX [--jitter-ms MS] [--poll-ms MS] [--seed S]\n");
		return 2;
	}
	rng += (uint64_t)seed * 0x9e3779b97f4a7c15ULL;
	snprintf(path, sizeof(path), "%s.lat", prefix);
	lat = fopen(path, "a");
	snprintf(path, sizeof(path), "%s.after", prefix);
	after = fopen(path, "a");
	snprintf(path, sizeof(path), "%s.write", prefix);
	wr = fopen(path, "a");
	if (!lat || !after || !wr || pipe(to_f) || pipe(from_f)) {
		fprintf(stderr, "bench_propagate: cannot open %s.*\n", prefix);
		return 1;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		close(to_f[1]);
		close(from_f[0]);
		_exit(follower(home, (int)poll_ms, to_f[0], from_f[1]));
	}
	close(to_f[0]);
	close(from_f[1]);

	/* the follower's index loaded before the first change */
	if (recv_msg(from_f[0], &m, 600000) || m.kind != MSG_READY) {
		fprintf(stderr, "bench_propagate: the follower did not start\n");
		goto out;
	}
	if (reg_open_home(home, "bench_propagate", 0, &reg, &err)) {
		fprintf(stderr, "bench_propagate: %s\n", err.msg);
		goto out;
	}

	long early = 0, k;
	uint32_t dev = 0;
	int suspended = 0;
	for (k = 0; k < samples; k++) {
		struct timespec nap = { 0, 0 };
		long ms = jitter_ms ? (long)next_rand((uint32_t)jitter_ms + 1) : 0;
		double t0, t1, l;

		nap.tv_sec = ms / 1000;
		nap.tv_nsec = (ms % 1000) * 1000000L;
		nanosleep(&nap, NULL);
		if (!suspended)
			dev = next_rand((uint32_t)devices);
		memset(&m, 0, sizeof(m));
		m.kind = MSG_CHANGE;
		m.k = (int)k;
		m.dev = dev;
		m.accept = suspended; /* suspending refuses it; resuming accepts it */
		if (send_msg(to_f[1], &m)) {
			fprintf(stderr, "bench_propagate: the follower has gone\n");
			goto out;
		}
		t0 = now_s();
		if (set_state(reg, dev, suspended ? BYOD_DEVICE_ACTIVE : BYOD_DEVICE_SUSPENDED,
			      &err)) {
			fprintf(stderr, "bench_propagate: %s\n", err.msg);
			goto out;
		}
		t1 = now_s();
		suspended = !suspended;
		do {
			int r = recv_msg(from_f[0], &m, 10000);

			if (r) {
				fprintf(stderr,
					"bench_propagate: change %ld (device %u): the follower's "
					"decision %s\n",
					k, dev,
					r == -ETIMEDOUT ? "did not change within 10 s"
							: "never came");
				goto out;
			}
		} while (m.kind != MSG_SEEN || m.k != (int)k);
		l = (m.t - t1) * 1000.0;
		if (l < 0) {
			early++;
			l = 0;
		}
		fprintf(lat, "%.3f\n", (m.t - t0) * 1000.0);
		fprintf(after, "%.3f\n", l);
		fprintf(wr, "%.3f\n", (t1 - t0) * 1000.0);
	}
	/* leave the registry as it was found */
	if (suspended && set_state(reg, dev, BYOD_DEVICE_ACTIVE, &err)) {
		fprintf(stderr, "bench_propagate: %s\n", err.msg);
		goto out;
	}
	printf("samples=%ld\nseen_before_commit_returned=%ld\n", samples, early);
	rc = 0;
out:
	close(to_f[1]); /* the follower ends at its next wake */
	if (rc)
		kill(pid, SIGTERM);
	if (waitpid(pid, &status, 0) == pid && !rc &&
	    (!WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
		fprintf(stderr, "bench_propagate: the follower failed\n");
		rc = 1;
	}
	close(from_f[0]);
	reg_close(reg);
	if (fclose(lat) | fclose(after) | fclose(wr))
		rc = 1;
	return rc;
}
