// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Disconnect and CoA requests to many access points at once (das.h's
 * das_queue). A policy applied at a school may end hundreds of sessions
 * across dozens of NAS; sent one after another, a single NAS that never
 * answers would hold every other one up for its timeouts. Here each NAS
 * has its own non-blocking socket and its own FIFO queue, at most
 * max_in_flight requests of it await an answer at once (identifiers are
 * per socket, so 255 at most), and one poll() over every socket drives
 * the sends, the answers and the resends with their doubling waits. The
 * packets are das.c's: encoded when a request leaves its queue (its
 * identifier is known then), resent unchanged, an answer believed only
 * when das_decode_answer checks it against the request.
 */
#include "das.h"
#include "hmap.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#define BACKOFF_MAX 8 /* a wait is at most 8 times timeout_ms */

struct req {
	struct req *next; /* the NAS's queue */
	struct das_request rq;
	char *strings[5]; /* rq's strings, owned */
	char *secret;
	das_done_fn done;
	void *arg;
	uint8_t pkt[DAS_PACKET_MAX];
	size_t len;
	int tries;
	long t0, deadline; /* monotonic ms */
};

struct nas {
	struct nas *next;
	char addr[64];
	int port;
	struct sockaddr_storage sa;
	socklen_t salen;
	int fd;
	struct req *head, *tail; /* waiting their turn */
	struct req *flight[256]; /* by identifier */
	size_t in_flight;
	uint8_t next_id;
};

struct das_queue {
	struct das_queue_opts opt;
	struct nas *nas;	   /* every NAS, the newest first */
	struct byod_hmap *by_addr; /* "addr port" -> struct nas */
	size_t pending, nnas;
	struct pollfd *fds; /* nnas of them, for das_queue_run */
	struct nas **polled;
};

static void nas_key(const char *addr, int port, char *out, size_t len)
{
	snprintf(out, len, "%s %d", addr, port);
}

static struct nas *nas_find(const struct das_queue *q, const char *addr, int port)
{
	char key[96];

	nas_key(addr, port, key, sizeof(key));
	return byod_hmap_get(q->by_addr, key);
}

static long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

static void req_free(struct req *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < sizeof(r->strings) / sizeof(r->strings[0]); i++)
		free(r->strings[i]);
	if (r->secret) {
		OPENSSL_cleanse(r->secret, strlen(r->secret));
		free(r->secret);
	}
	OPENSSL_cleanse(r->pkt, sizeof(r->pkt));
	free(r);
}

/* Ends r (already out of its queue and flight) with rc. */
static void finish(struct das_queue *q, struct req *r, int rc, const struct das_answer *ans,
		   const struct byod_err *err)
{
	q->pending--;
	r->done(rc, ans, err, r->arg);
	req_free(r);
}

int das_queue_new(const struct das_queue_opts *opt, struct das_queue **out, struct byod_err *err)
{
	struct das_queue *q;

	*out = NULL;
	if (opt->timeout_ms <= 0 || opt->retries < 0 || opt->max_in_flight < 1 ||
	    opt->max_in_flight > 255)
		return byod_err_set(err, EINVAL,
				    "a DAS queue needs a timeout, retries and 1 to 255 requests in "
				    "flight per NAS");
	q = calloc(1, sizeof(*q));
	if (!q || !(q->by_addr = byod_hmap_new(NULL))) {
		free(q);
		return byod_err_set(err, ENOMEM, "out of memory");
	}
	q->opt = *opt;
	*out = q;
	return 0;
}

void das_queue_free(struct das_queue *q)
{
	struct das_answer ans = {0};
	struct byod_err err;
	struct nas *n, *next;

	if (!q)
		return;
	byod_err_set(&err, ECANCELED, "the request was cancelled before an answer came");
	/* a callback may not add to a queue being freed: cancel NAS by NAS */
	for (n = q->nas; n; n = next) {
		size_t i;

		for (i = 0; i < 256; i++) {
			struct req *r = n->flight[i];

			if (r) {
				n->flight[i] = NULL;
				ans.tries = r->tries;
				finish(q, r, -ECANCELED, &ans, &err);
			}
		}
		while (n->head) {
			struct req *r = n->head;

			n->head = r->next;
			ans.tries = 0;
			finish(q, r, -ECANCELED, &ans, &err);
		}
		next = n->next;
		if (n->fd >= 0)
			close(n->fd);
		free(n);
	}
	byod_hmap_free(q->by_addr);
	free(q->fds);
	free(q->polled);
	free(q);
}

/* The NAS at addr port, made with its socket on first use. */
static int nas_get(struct das_queue *q, const char *addr, int port, struct nas **out,
		   struct byod_err *err)
{
	struct addrinfo hints = {.ai_socktype = SOCK_DGRAM,
				 .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV};
	struct addrinfo *ai = NULL;
	char portstr[16], key[96];
	struct nas *n = nas_find(q, addr, port);
	struct pollfd *fds;
	struct nas **polled;
	int rc;

	if (n) {
		*out = n;
		return 0;
	}
	/* room for its pollfd first: nothing to undo after */
	fds = realloc(q->fds, (q->nnas + 1) * sizeof(*fds));
	if (fds)
		q->fds = fds;
	polled = fds ? realloc(q->polled, (q->nnas + 1) * sizeof(*polled)) : NULL;
	if (polled)
		q->polled = polled;
	if (!fds || !polled)
		return byod_err_set(err, ENOMEM, "out of memory");
	if (port < 1 || port > 65535)
		return byod_err_set(err, EINVAL, "DAS port %d is not a port", port);
	snprintf(portstr, sizeof(portstr), "%d", port);
	if (strlen(addr) >= sizeof(n->addr) || getaddrinfo(addr, portstr, &hints, &ai))
		return byod_err_set(err, EINVAL, "'%s' is not an IP address", addr);
	n = calloc(1, sizeof(*n));
	if (!n) {
		freeaddrinfo(ai);
		return byod_err_set(err, ENOMEM, "out of memory");
	}
	snprintf(n->addr, sizeof(n->addr), "%s", addr);
	n->port = port;
	memcpy(&n->sa, ai->ai_addr, ai->ai_addrlen);
	n->salen = ai->ai_addrlen;
	/* not connect()ed: a NAS may answer from another of its addresses
	 * (hostapd answers from the address its route picks); an answer is
	 * believed only when its authenticators check */
	n->fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	freeaddrinfo(ai);
	if (n->fd < 0) {
		rc = byod_err_set(err, errno, "cannot open a socket for the NAS %s: %s", addr,
				  strerror(errno));
		free(n);
		return rc;
	}
	if (RAND_bytes(&n->next_id, 1) != 1)
		n->next_id = 0;
	nas_key(addr, port, key, sizeof(key));
	if (byod_hmap_put(q->by_addr, key, n)) {
		close(n->fd);
		free(n);
		return byod_err_set(err, ENOMEM, "out of memory");
	}
	n->next = q->nas;
	q->nas = n;
	q->nnas++;
	*out = n;
	return 0;
}

static int dup_str(struct req *r, int i, const char *s, const char **to)
{
	if (!s) {
		*to = NULL;
		return 0;
	}
	r->strings[i] = strdup(s);
	*to = r->strings[i];
	return r->strings[i] ? 0 : -ENOMEM;
}

int das_queue_add(struct das_queue *q, const char *addr, int port, const char *secret,
		  const struct das_request *rq, das_done_fn done, void *arg, struct byod_err *err)
{
	struct nas *n = NULL;
	struct req *r;
	int rc = nas_get(q, addr ? addr : "", port, &n, err);

	if (rc)
		return rc;
	r = calloc(1, sizeof(*r));
	if (!r)
		return byod_err_set(err, ENOMEM, "out of memory");
	r->rq = *rq;
	if (!r->rq.event_timestamp)
		r->rq.event_timestamp = time(NULL); /* the same in every resend */
	if (dup_str(r, 0, rq->user_name, &r->rq.user_name) ||
	    dup_str(r, 1, rq->calling_station_id, &r->rq.calling_station_id) ||
	    dup_str(r, 2, rq->acct_session_id, &r->rq.acct_session_id) ||
	    dup_str(r, 3, rq->nas_ip, &r->rq.nas_ip) ||
	    dup_str(r, 4, rq->nas_identifier, &r->rq.nas_identifier) ||
	    !(r->secret = strdup(secret ? secret : ""))) {
		req_free(r);
		return byod_err_set(err, ENOMEM, "out of memory");
	}
	r->done = done;
	r->arg = arg;
	if (n->tail)
		n->tail->next = r;
	else
		n->head = r;
	n->tail = r;
	q->pending++;
	return 0;
}

static void send_packet(struct nas *n, struct req *r, const struct das_queue_opts *opt, long now)
{
	int factor = 1 << (r->tries < 3 ? r->tries : 3);

	/* a send that fails (no route yet) counts as a try: it is resent */
	(void)sendto(n->fd, r->pkt, r->len, 0, (const struct sockaddr *)&n->sa, n->salen);
	r->tries++;
	r->deadline = now + (long)opt->timeout_ms * (factor < BACKOFF_MAX ? factor : BACKOFF_MAX);
}

/* Moves requests from n's queue into flight while there is room. */
static void refill(struct das_queue *q, struct nas *n, long now)
{
	while (n->head && n->in_flight < (size_t)q->opt.max_in_flight) {
		struct req *r = n->head;
		struct byod_err err;
		int rc;

		n->head = r->next;
		if (!n->head)
			n->tail = NULL;
		r->next = NULL;
		while (n->flight[n->next_id])
			n->next_id++; /* max_in_flight < 256: a free one exists */
		rc = das_encode(&r->rq, n->next_id, r->secret, r->pkt, &r->len, &err);
		if (rc) {
			struct das_answer ans = {0};

			finish(q, r, rc, &ans, &err);
			continue;
		}
		n->flight[n->next_id++] = r;
		n->in_flight++;
		r->t0 = now;
		send_packet(n, r, &q->opt, now);
	}
}

/* Resends or gives up the requests of n whose wait is over; returns the
 * earliest deadline left (or LONG_MAX). */
static long expire(struct das_queue *q, struct nas *n, long now)
{
	long next = -1;
	size_t i;

	for (i = 0; i < 256; i++) {
		struct req *r = n->flight[i];

		if (!r)
			continue;
		if (now >= r->deadline) {
			if (r->tries <= q->opt.retries) {
				send_packet(n, r, &q->opt, now);
			} else {
				struct das_answer ans = {.tries = r->tries, .ms = now - r->t0};
				struct byod_err err;

				n->flight[i] = NULL;
				n->in_flight--;
				byod_err_set(&err, ETIMEDOUT,
					     "no answer from %s port %d after %d tries", n->addr,
					     n->port, r->tries);
				finish(q, r, -ETIMEDOUT, &ans, &err);
				continue;
			}
		}
		if (next < 0 || r->deadline < next)
			next = r->deadline;
	}
	return next;
}

/* Reads every answer waiting on n's socket. */
static void receive(struct das_queue *q, struct nas *n)
{
	uint8_t in[DAS_PACKET_MAX];

	for (;;) {
		ssize_t len = recv(n->fd, in, sizeof(in), 0);
		struct das_answer ans = {0};
		struct byod_err why;
		struct req *r;

		if (len < 0)
			return; /* EAGAIN, or an ICMP error: the timeouts deal with it */
		if (len < 2 || !(r = n->flight[in[1]]))
			continue; /* late, duplicate or stray */
		if (das_decode_answer(r->pkt, r->len, in, (size_t)len, r->secret, &ans, &why))
			continue; /* not ours, or forged: keep waiting */
		n->flight[in[1]] = NULL;
		n->in_flight--;
		ans.tries = r->tries;
		ans.ms = now_ms() - r->t0;
		byod_err_set(&why, 0, "%s", das_code_name(ans.code));
		finish(q, r, 0, &ans, &why);
	}
}

size_t das_queue_run(struct das_queue *q, int wait_ms)
{
	long start = now_ms();

	for (;;) {
		struct nas *n;
		long now = now_ms(), next = -1;
		size_t nfds = 0, i;
		int timeout;

		for (n = q->nas; n; n = n->next) {
			long d;

			refill(q, n, now);
			d = expire(q, n, now);
			refill(q, n, now); /* room left by those given up */
			if (d >= 0 && (next < 0 || d < next))
				next = d;
		}
		if (!q->pending)
			return 0;
		timeout = next < 0 ? 0 : (int)(next > now ? next - now : 0);
		if (wait_ms >= 0) {
			long left = wait_ms - (now - start);

			if (left <= 0)
				left = 0;
			if (left < timeout)
				timeout = (int)left;
		}
		/* one poll over the sockets with requests in flight */
		for (n = q->nas; n; n = n->next) {
			if (!n->in_flight)
				continue;
			q->fds[nfds] = (struct pollfd){.fd = n->fd, .events = POLLIN};
			q->polled[nfds++] = n;
		}
		if (nfds && poll(q->fds, nfds, timeout) > 0)
			for (i = 0; i < nfds; i++)
				if (q->fds[i].revents)
					receive(q, q->polled[i]);
		if (wait_ms >= 0 && now_ms() - start >= wait_ms) {
			/* a last pass: what the answers made room for is sent now */
			for (n = q->nas; n; n = n->next)
				refill(q, n, now_ms());
			return q->pending;
		}
	}
}

size_t das_queue_pending(const struct das_queue *q)
{
	return q->pending;
}

size_t das_queue_in_flight(const struct das_queue *q, const char *addr, int port)
{
	const struct nas *n = nas_find(q, addr, port);

	return n ? n->in_flight : 0;
}
