// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The web server's door against slow clients (Slowloris and its kin), for
 * both daemons at once (<conf> is the program's byod.conf section):
 *
 * - a deadline: a request's headers and body must have arrived within
 *   <conf>.request-deadline-s of the connection's accept, or of the
 *   previous answer on a kept-alive connection. libmicrohttpd's own
 *   timeout counts idle time only, which one header line every few
 *   seconds resets forever. The connections whose request is under way sit
 *   in one list in the order their deadlines fall (every deadline is the
 *   same length from the moment it starts, so appending keeps the order);
 *   a watchdog thread shuts down the socket of each one past its deadline,
 *   and libmicrohttpd, seeing the socket end, closes the connection
 *   itself. A request that has arrived leaves the list while it is
 *   answered: a slow yescrypt or a large download is not cut.
 * - a share per client: an IPv4 address or an IPv6 prefix
 *   (<conf>.per-ip-v6-prefix, a /64), counted across HTTP and HTTPS
 *   (web/addrshare.c); libmicrohttpd's own per-address limit counts single
 *   IPv6 addresses, of which a host has as many as it likes.
 * - a budget (<conf>.connection-limit): when it is spent, a new
 *   connection is let in by closing the oldest request still arriving,
 *   which a client that trickles always holds and a normal client, whose
 *   requests arrive in milliseconds, almost never does.
 *
 * Why shutdown() from another thread is safe here: the socket's entry is
 * removed under the gate's lock in the CLOSED notification, which
 * libmicrohttpd makes before it closes the socket, so a socket number the
 * watchdog holds under that lock is always still this connection's.
 */
#define _GNU_SOURCE
#include "httpd_priv.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addrshare.h"

/* How often the watchdog looks at the deadlines, and how often at most it
 * says in the log what it did. */
#define SWEEP_MS  200
#define REPORT_MS 5000

struct gate_conn {
	struct gate_conn *prev, *next; /* in the list of requests arriving */
	struct web_addr_key key;
	int fd;
	int counted;	  /* holds one of its client's share and of the budget */
	int armed;	  /* in the list: its request is arriving, the deadline runs */
	int cut;	  /* its socket was shut down by the gate */
	int64_t deadline; /* monotonic ms */
};

struct httpd_gate {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t watchdog;
	int stop;
	struct httpd_gate_limits lim;
	struct web_addr_share *share;
	struct gate_conn *head, *tail; /* requests arriving, earliest deadline first */
	unsigned int open;	       /* connections counted */
	/* what happened since the last report */
	unsigned long n_deadline, n_room, n_share, n_full;
	struct web_addr_key last_share; /* the last client refused at its share */
	int64_t reported;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void unlink_conn(struct httpd_gate *g, struct gate_conn *gc)
{
	if (!gc->armed)
		return;
	if (gc->prev)
		gc->prev->next = gc->next;
	else
		g->head = gc->next;
	if (gc->next)
		gc->next->prev = gc->prev;
	else
		g->tail = gc->prev;
	gc->prev = gc->next = NULL;
	gc->armed = 0;
}

/* Starts (again) the deadline of gc's request: last in the list. */
static void arm(struct httpd_gate *g, struct gate_conn *gc)
{
	unlink_conn(g, gc);
	gc->deadline = now_ms() + (int64_t)g->lim.deadline_s * 1000;
	gc->prev = g->tail;
	if (g->tail)
		g->tail->next = gc;
	else
		g->head = gc;
	g->tail = gc;
	gc->armed = 1;
}

/* Ends gc's connection: libmicrohttpd reads the end of the socket and
 * closes it in its own thread. */
static void cut(struct httpd_gate *g, struct gate_conn *gc)
{
	unlink_conn(g, gc);
	if (!gc->cut)
		shutdown(gc->fd, SHUT_RDWR);
	gc->cut = 1;
}

/* One log line at most every REPORT_MS for all the refusals and cuts (an
 * attack must not flood the log), and the last ones when the server
 * stops (final). Called with the lock held. */
static void report(struct httpd_gate *g, int64_t now, int final)
{
	char who[64];

	if (!(g->n_deadline | g->n_room | g->n_share | g->n_full) ||
	    (!final && now - g->reported < REPORT_MS))
		return;
	web_addr_key_str(&g->last_share, g->lim.v6_prefix, who, sizeof(who));
	httpd_log("slow clients: %lu requests cut at the %u s deadline, %lu closed to make room, "
		   "%lu connections refused at a client's share of %u (last %s), %lu with no room "
		   "(%u open of %u)",
		   g->n_deadline, g->lim.deadline_s, g->n_room, g->n_share, g->lim.per_client,
		   g->n_share ? who : "-", g->n_full, g->open, g->lim.budget);
	g->n_deadline = g->n_room = g->n_share = g->n_full = 0;
	g->reported = now;
}

static void *watchdog(void *arg)
{
	struct httpd_gate *g = arg;
	struct timespec until;
	int64_t now;

	pthread_mutex_lock(&g->lock);
	while (!g->stop) {
		now = now_ms();
		while (g->head && g->head->deadline <= now) {
			cut(g, g->head);
			g->n_deadline++;
		}
		report(g, now, 0);
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += SWEEP_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&g->wake, &g->lock, &until);
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

int httpd_gate_new(const struct httpd_gate_limits *lim, struct httpd_gate **out,
		    struct byod_err *err)
{
	struct httpd_gate *g;
	pthread_condattr_t ca;
	int rc;

	*out = NULL;
	if (!lim->budget || !lim->per_client || !lim->deadline_s)
		return byod_err_set(err, EINVAL, "web server limits must not be 0");
	g = calloc(1, sizeof(*g));
	if (!g)
		return byod_err_set(err, ENOMEM, "out of memory");
	g->lim = *lim;
	/* one client per connection at most */
	rc = web_addr_share_new(lim->budget + HTTPD_GATE_SLACK, &g->share);
	if (rc) {
		free(g);
		return byod_err_set(err, -rc, "cannot count connections per client");
	}
	pthread_mutex_init(&g->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g->wake, &ca);
	pthread_condattr_destroy(&ca);
	g->reported = now_ms();
	rc = pthread_create(&g->watchdog, NULL, watchdog, g);
	if (rc) {
		pthread_cond_destroy(&g->wake);
		pthread_mutex_destroy(&g->lock);
		web_addr_share_free(g->share);
		free(g);
		return byod_err_set(err, rc, "cannot start the web server's deadline thread");
	}
	*out = g;
	return 0;
}

void httpd_gate_free(struct httpd_gate *g)
{
	if (!g)
		return;
	pthread_mutex_lock(&g->lock);
	g->stop = 1;
	pthread_cond_signal(&g->wake);
	report(g, now_ms(), 1);
	pthread_mutex_unlock(&g->lock);
	pthread_join(g->watchdog, NULL);
	pthread_cond_destroy(&g->wake);
	pthread_mutex_destroy(&g->lock);
	web_addr_share_free(g->share);
	free(g);
}

enum MHD_Result httpd_gate_accept(void *cls, const struct sockaddr *sa, socklen_t len)
{
	struct httpd_gate *g = cls;
	struct web_addr_key key;
	enum MHD_Result ok = MHD_YES;

	if (web_addr_key(sa, len, g->lim.v6_prefix, &key))
		return MHD_NO; /* not an IP client: nothing served here */
	pthread_mutex_lock(&g->lock);
	if (web_addr_share_count(g->share, &key) >= g->lim.per_client) {
		g->n_share++;
		g->last_share = key;
		ok = MHD_NO;
	} else if (g->open >= g->lim.budget) {
		/* room for the newcomer: the oldest request still arriving goes
		 * (httpd_gate_notify counts the newcomer, or refuses it past
		 * the slack while the ones cut are still closing) */
		if (g->head && g->open < g->lim.budget + HTTPD_GATE_SLACK) {
			cut(g, g->head);
			g->n_room++;
		} else {
			g->n_full++;
			ok = MHD_NO;
		}
	}
	pthread_mutex_unlock(&g->lock);
	return ok;
}

static struct gate_conn *conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

/* The length of the address libmicrohttpd gives (it gives no length). */
static socklen_t addr_len(const struct sockaddr *sa)
{
	if (sa && sa->sa_family == AF_INET)
		return sizeof(struct sockaddr_in);
	if (sa && sa->sa_family == AF_INET6)
		return sizeof(struct sockaddr_in6);
	return 0;
}

/*
 * The connection is counted here, not in the accept policy: libmicrohttpd
 * can still drop a connection it has accepted before this (memory, TLS
 * set-up, its own limit) without a word, which would leave a count behind
 * for good. The accept policy only looks; the few connections several
 * threads let in at once for one client beyond its share are ended here.
 */
static void conn_started(struct httpd_gate *g, struct MHD_Connection *c, void **socket_context)
{
	const union MHD_ConnectionInfo *fd =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	const union MHD_ConnectionInfo *ca =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ca ? ca->client_addr : NULL;
	struct gate_conn *gc = calloc(1, sizeof(*gc));

	*socket_context = gc;
	if (!gc || !fd) {
		/* untracked, so never counted: ended at once (fails closed) */
		if (fd)
			shutdown(fd->connect_fd, SHUT_RDWR);
		return;
	}
	gc->fd = fd->connect_fd;
	pthread_mutex_lock(&g->lock);
	if (web_addr_key(sa, addr_len(sa), g->lim.v6_prefix, &gc->key)) {
		cut(g, gc);
	} else if (g->open >= g->lim.budget + HTTPD_GATE_SLACK) {
		g->n_full++;
		cut(g, gc);
	} else if (web_addr_share_take(g->share, &gc->key, g->lim.per_client)) {
		g->n_share++;
		g->last_share = gc->key;
		cut(g, gc);
	} else {
		gc->counted = 1;
		g->open++;
		arm(g, gc);
	}
	pthread_mutex_unlock(&g->lock);
}

void httpd_gate_notify(void *cls, struct MHD_Connection *c, void **socket_context,
			enum MHD_ConnectionNotificationCode toe)
{
	struct httpd_gate *g = cls;
	struct gate_conn *gc = *socket_context;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		conn_started(g, c, socket_context);
		return;
	}
	if (toe != MHD_CONNECTION_NOTIFY_CLOSED || !gc)
		return;
	pthread_mutex_lock(&g->lock);
	unlink_conn(g, gc);
	if (gc->counted) {
		web_addr_share_drop(g->share, &gc->key);
		g->open--;
	}
	pthread_mutex_unlock(&g->lock);
	free(gc);
	*socket_context = NULL;
}

void httpd_gate_request_in(struct httpd_gate *g, struct MHD_Connection *c)
{
	struct gate_conn *gc = conn_of(c);

	if (!gc)
		return;
	pthread_mutex_lock(&g->lock);
	unlink_conn(g, gc);
	pthread_mutex_unlock(&g->lock);
}

void httpd_gate_request_done(struct httpd_gate *g, struct MHD_Connection *c)
{
	struct gate_conn *gc = conn_of(c);

	if (!gc)
		return;
	pthread_mutex_lock(&g->lock);
	if (gc->counted && !gc->cut)
		arm(g, gc);
	pthread_mutex_unlock(&g->lock);
}
