// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * An LDAP directory as an identity source, on OpenLDAP's libldap: a TLS
 * connection whose certificate must chain to the source's ca-file (LDAPS,
 * or StartTLS before anything else on ldap://; never unchecked, never
 * clear), then either a bind as the person's DN made from user-dn, or a
 * search by the service account followed by a bind as the entry found;
 * the person's attributes and groups (memberOf, or a group search) read
 * into an ident_attrs for the mapping. The whole sign-in, from the name's
 * lookup to the last answer, is bounded by timeout-s: one deadline, which
 * every wait (the lookup, the connection, each read and write under TLS,
 * each operation) takes what is left of.
 *
 * The person's password is handed to the bind and nowhere else; the service
 * account's is read from its file for the bind, then wiped.
 */
#define _GNU_SOURCE /* getaddrinfo_a */
#include "identity.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stdint.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ldap.h>
#include <openldap.h>

#define ATTRS_MAX 8

/* libldap's result as ours; what failed is said in err. */
static int ldap_rc(int lrc)
{
	switch (lrc) {
	case LDAP_SUCCESS:
		return 0;
	case LDAP_INVALID_CREDENTIALS:
	case LDAP_NO_SUCH_OBJECT:
	case LDAP_INVALID_DN_SYNTAX:
		return -EACCES;
	case LDAP_SERVER_DOWN:
	case LDAP_CONNECT_ERROR:
		return -EHOSTUNREACH;
	case LDAP_TIMEOUT:
	case LDAP_TIMELIMIT_EXCEEDED:
		return -ETIMEDOUT;
	default:
		return -EPROTO;
	}
}

static int fail(const struct byod_idsrc *s, int lrc, const char *what, struct byod_err *err)
{
	int rc = ldap_rc(lrc);

	/* GnuTLS's failures reach us as "Connect error" or "Can't contact LDAP
	 * server": say what it means here rather than libldap's words. */
	if (rc == -EHOSTUNREACH)
		return byod_err_set(err, EHOSTUNREACH, "identity source '%s': %s: %s cannot be "
				    "reached over TLS with a certificate from %s (down, or its "
				    "certificate not trusted)", s->name, what, s->url, s->ca_file);
	if (rc == -ETIMEDOUT)
		return byod_err_set(err, ETIMEDOUT, "identity source '%s': %s: no answer from %s "
				    "in %d s", s->name, what, s->url, s->timeout_s);
	if (rc == -EACCES)
		return byod_err_set(err, EACCES, "identity source '%s': %s: wrong password or no "
				    "such person", s->name, what);
	return byod_err_set(err, -rc, "identity source '%s': %s: %s", s->name, what,
			    ldap_err2string(lrc));
}

/*
 * The sign-in's deadline: timeout-s from its start, for everything. A bound
 * per step would let a server that answers each step just in time (or a
 * resolver, a connection, a handshake, a bind, a search each slow) hold a
 * login worker for several times timeout-s.
 */
struct bound {
	int timeout_s;
	struct timespec deadline; /* CLOCK_MONOTONIC */
	int timed_out; /* set once a wait ran out: the failure was a timeout */
};

static void deadline_start(struct bound *b, int timeout_s)
{
	b->timeout_s = timeout_s;
	b->timed_out = 0;
	clock_gettime(CLOCK_MONOTONIC, &b->deadline);
	b->deadline.tv_sec += timeout_s;
}

/* Milliseconds left before the deadline, 0 once it has passed. */
static long left_ms(const struct bound *b)
{
	struct timespec t;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &t);
	ms = (long)(b->deadline.tv_sec - t.tv_sec) * 1000 +
	     (b->deadline.tv_nsec - t.tv_nsec) / 1000000;
	return ms > 0 ? ms : 0;
}

/* What is left as a timeval for libldap's waits; 0 once it has passed. */
static int left_tv(struct bound *b, struct timeval *tv)
{
	long ms = left_ms(b);

	if (!ms) {
		b->timed_out = 1;
		return 0;
	}
	tv->tv_sec = ms / 1000;
	tv->tv_usec = (ms % 1000) * 1000;
	return 1;
}

/*
 * A layer of our own under TLS, on the connected socket: each read and write
 * waits for the socket until the deadline at most, then fails with
 * ETIMEDOUT. LDAP_OPT_NETWORK_TIMEOUT bounds the connect only; against a
 * server that accepts and never answers, libldap's TLS handshake over
 * GnuTLS retries its read on EAGAIN for ever, spinning (seen with libldap
 * 2.5.13), and a login worker with it.
 */
static ber_slen_t bounded(Sockbuf_IO_Desc *d, void *buf, ber_len_t len, int write)
{
	struct bound *b = d->sbiod_pvt;
	struct pollfd pfd;
	int fd = -1;

	ber_sockbuf_ctrl(d->sbiod_sb, LBER_SB_OPT_GET_FD, &fd);
	for (;;) {
		ber_slen_t n;
		long left = left_ms(b);
		int r;

		if (left <= 0) {
			b->timed_out = 1;
			errno = ETIMEDOUT;
			return -1;
		}
		pfd = (struct pollfd){ .fd = fd, .events = write ? POLLOUT : POLLIN };
		r = poll(&pfd, 1, (int)left);
		if (r < 0 && errno != EINTR)
			return -1;
		if (r <= 0)
			continue;
		n = write ? LBER_SBIOD_WRITE_NEXT(d, buf, len) : LBER_SBIOD_READ_NEXT(d, buf, len);
		if (n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
			return n;
	}
}

static int bounded_setup(Sockbuf_IO_Desc *d, void *arg)
{
	d->sbiod_pvt = arg;
	return 0;
}

static int bounded_remove(Sockbuf_IO_Desc *d)
{
	(void)d;
	return 0;
}

static int bounded_ctrl(Sockbuf_IO_Desc *d, int opt, void *arg)
{
	return LBER_SBIOD_CTRL_NEXT(d, opt, arg);
}

static ber_slen_t bounded_read(Sockbuf_IO_Desc *d, void *buf, ber_len_t len)
{
	return bounded(d, buf, len, 0);
}

static ber_slen_t bounded_write(Sockbuf_IO_Desc *d, void *buf, ber_len_t len)
{
	return bounded(d, buf, len, 1);
}

static Sockbuf_IO bounded_io = {
	.sbi_setup = bounded_setup,
	.sbi_remove = bounded_remove,
	.sbi_ctrl = bounded_ctrl,
	.sbi_read = bounded_read,
	.sbi_write = bounded_write,
};

/*
 * The name's lookup, bounded by the deadline. getaddrinfo(3) has no timeout
 * of its own (resolv.conf's timeout and attempts, each nameserver in turn:
 * 10 s and more against one that does not answer), so a name goes to
 * getaddrinfo_a, waited for until the deadline; one still running then is
 * left to finish on its own, and the last of it and us frees it. A numeric
 * address is taken as is, without a lookup.
 */
struct lookup {
	pthread_mutex_t mu;
	int refs; /* us, and the notification once the lookup is done */
	struct gaicb cb;
	struct addrinfo hints;
	char host[256], port[8];
};

static void lookup_put(struct lookup *l)
{
	int n;

	pthread_mutex_lock(&l->mu);
	n = --l->refs;
	pthread_mutex_unlock(&l->mu);
	if (n)
		return;
	if (l->cb.ar_result)
		freeaddrinfo(l->cb.ar_result);
	pthread_mutex_destroy(&l->mu);
	free(l);
}

static void lookup_done(union sigval v)
{
	lookup_put(v.sival_ptr);
}

static void addrs_free(struct addrinfo *ai)
{
	while (ai) {
		struct addrinfo *n = ai->ai_next;

		free(ai);
		ai = n;
	}
}

/* A copy of our own of getaddrinfo's list (without canonical names), so that
 * a lookup's result can be freed with it whoever ends last. */
static int copy_addrs(const struct addrinfo *ai, struct addrinfo **res)
{
	struct addrinfo **tail = res;

	for (; ai; ai = ai->ai_next) {
		struct addrinfo *c = calloc(1, sizeof(*c) + ai->ai_addrlen);

		if (!c) {
			addrs_free(*res);
			*res = NULL;
			return -ENOMEM;
		}
		*c = *ai;
		c->ai_canonname = NULL;
		c->ai_next = NULL;
		c->ai_addr = (struct sockaddr *)(c + 1);
		memcpy(c->ai_addr, ai->ai_addr, ai->ai_addrlen);
		*tail = c;
		tail = &c->ai_next;
	}
	return 0;
}

/* 0 and *res (addrs_free), -ETIMEDOUT, or -EHOSTUNREACH. */
static int resolve(const char *host, const char *port, struct bound *b, struct addrinfo **res)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST }, *n;
	struct sigevent sev = { .sigev_notify = SIGEV_THREAD, .sigev_notify_function = lookup_done };
	struct gaicb *list[1];
	struct lookup *l;
	int e, rc = -EHOSTUNREACH;

	*res = NULL;
	e = getaddrinfo(host, port, &hints, &n);
	if (!e) {
		rc = copy_addrs(n, res);
		freeaddrinfo(n);
		return rc;
	}
	if (e != EAI_NONAME)
		return -EHOSTUNREACH;
	if (strlen(host) >= sizeof(l->host) || !(l = calloc(1, sizeof(*l))))
		return -EHOSTUNREACH;
	pthread_mutex_init(&l->mu, NULL);
	l->refs = 2;
	snprintf(l->host, sizeof(l->host), "%s", host);
	snprintf(l->port, sizeof(l->port), "%s", port);
	l->hints.ai_socktype = SOCK_STREAM;
	l->cb.ar_name = l->host;
	l->cb.ar_service = l->port;
	l->cb.ar_request = &l->hints;
	sev.sigev_value.sival_ptr = l;
	list[0] = &l->cb;
	if (getaddrinfo_a(GAI_NOWAIT, list, 1, &sev)) {
		l->refs = 1;
		lookup_put(l);
		return -EHOSTUNREACH;
	}
	for (;;) {
		long ms = left_ms(b);
		struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };

		if (!ms || gai_suspend((const struct gaicb *const *)list, 1, &ts) != EAI_INTR)
			break;
	}
	e = gai_error(&l->cb);
	if (e == EAI_INPROGRESS) {
		b->timed_out = 1;
		rc = -ETIMEDOUT;
		/* cancelled before it ran, no notification will come: its share too */
		if (gai_cancel(&l->cb) == EAI_CANCELED)
			lookup_put(l);
	} else if (!e && l->cb.ar_result) {
		rc = copy_addrs(l->cb.ar_result, res);
	}
	lookup_put(l);
	return rc;
}

/* A TCP connection to the URL's host, made before the deadline;
 * non-blocking (the layer above waits). 0 and *fd, or a negative errno. */
static int tcp_connect(const struct byod_idsrc *s, struct bound *b, int *fd)
{
	struct addrinfo *res = NULL, *ai;
	LDAPURLDesc *lud = NULL;
	char port[8];
	int rc;

	*fd = -1;
	if (ldap_url_parse(s->url, &lud) != LDAP_URL_SUCCESS || !lud->lud_host ||
	    !lud->lud_host[0]) {
		ldap_free_urldesc(lud);
		return -EINVAL;
	}
	snprintf(port, sizeof(port), "%d",
		 lud->lud_port ? lud->lud_port : (!strcmp(lud->lud_scheme, "ldaps") ? 636 : 389));
	rc = resolve(lud->lud_host, port, b, &res);
	if (rc) {
		ldap_free_urldesc(lud);
		return rc == -ENOMEM ? -EHOSTUNREACH : rc;
	}
	rc = -EHOSTUNREACH;
	for (ai = res; ai && *fd < 0; ai = ai->ai_next) {
		struct pollfd pfd;
		socklen_t el;
		int f, e = 0;

		f = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
			   ai->ai_protocol);
		if (f < 0)
			continue;
		if (connect(f, ai->ai_addr, ai->ai_addrlen) && errno != EINPROGRESS) {
			close(f);
			continue;
		}
		pfd = (struct pollfd){ .fd = f, .events = POLLOUT };
		el = sizeof(e);
		if (poll(&pfd, 1, (int)left_ms(b)) != 1 ||
		    getsockopt(f, SOL_SOCKET, SO_ERROR, &e, &el) || e) {
			rc = e ? -EHOSTUNREACH : -ETIMEDOUT;
			close(f);
			continue;
		}
		*fd = f;
		rc = 0;
	}
	addrs_free(res);
	ldap_free_urldesc(lud);
	return rc;
}

/* libldap's code, or a timeout when our deadline is what cut it (libldap
 * then says the server is down). */
static int late(const struct bound *b, int lrc)
{
	return b->timed_out && lrc != LDAP_SUCCESS ? LDAP_TIMEOUT : lrc;
}

/* libldap's wait for the next answer: what is left of the deadline (it
 * waits for an answer outside our layer, before reading it). 0 when
 * nothing is left. */
static int op_timeout(LDAP *ld, struct bound *b)
{
	struct timeval tv;

	return left_tv(b, &tv) && ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv) == LDAP_OPT_SUCCESS;
}

/* A connection to the source over TLS checked against ca-file: LDAPS, or
 * StartTLS before anything else. The socket is ours (tcp_connect) so that
 * the bounded layer sits under TLS from the first byte; b lives as long as
 * the handle. */
static int open_tls(const struct byod_idsrc *s, struct bound *b, LDAP **out,
		    struct byod_err *err)
{
	struct timeval tv;
	int v3 = LDAP_VERSION3, demand = LDAP_OPT_X_TLS_DEMAND, zero = 0, lrc, rc, fd;
	Sockbuf *sb = NULL;
	LDAP *ld = NULL;

	*out = NULL;
	rc = tcp_connect(s, b, &fd);
	if (rc == -EINVAL)
		return byod_err_set(err, EINVAL, "identity source '%s': url '%s' names no host",
				    s->name, s->url);
	if (rc)
		return fail(s, rc == -ETIMEDOUT ? LDAP_TIMEOUT : LDAP_SERVER_DOWN, "connecting",
			    err);
	if (!left_tv(b, &tv)) {
		close(fd);
		return fail(s, LDAP_TIMEOUT, "connecting", err);
	}
	lrc = ldap_init_fd(fd, LDAP_PROTO_TCP, s->url, &ld);
	if (lrc != LDAP_SUCCESS) {
		close(fd);
		return byod_err_set(err, EINVAL, "identity source '%s': url '%s': %s", s->name,
				    s->url, ldap_err2string(lrc));
	}
	/* the handle's own TLS context: ca-file and demand, whatever ldap.conf
	 * or LDAPTLS_* say; NEWCTX last, once the options are set */
	if (ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3) ||
	    ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF) ||
	    ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv) ||
	    ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv) ||
	    ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, s->ca_file) ||
	    ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand) ||
	    ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero) ||
	    ldap_get_option(ld, LDAP_OPT_SOCKBUF, &sb) || !sb ||
	    ber_sockbuf_add_io(sb, &bounded_io, LBER_SBIOD_LEVEL_PROVIDER, b)) {
		ldap_unbind_ext_s(ld, NULL, NULL);
		return byod_err_set(err, EPROTO, "identity source '%s': the TLS settings (ca-file "
				    "%s) were refused by libldap", s->name, s->ca_file);
	}
	if (!strncmp(s->url, "ldaps://", 8))
		lrc = ldap_install_tls(ld);
	else
		lrc = op_timeout(ld, b) ? ldap_start_tls_s(ld, NULL, NULL) : LDAP_TIMEOUT;
	if (lrc != LDAP_SUCCESS) {
		int code = b->timed_out ? LDAP_TIMEOUT
			   : ldap_rc(lrc) == -EPROTO ? LDAP_CONNECT_ERROR : lrc;

		ldap_unbind_ext_s(ld, NULL, NULL);
		return fail(s, code, "connecting", err);
	}
	*out = ld;
	return 0;
}

static int simple_bind(LDAP *ld, struct bound *b, const char *dn, const char *password)
{
	struct berval cred = { .bv_val = (char *)password, .bv_len = strlen(password) };

	if (!op_timeout(ld, b))
		return LDAP_TIMEOUT;
	return ldap_sasl_bind_s(ld, dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
}

#define SERVICE_PASSWORD_MAX 255

/* The service account's password: the first line of its file, which must
 * not be readable by others nor writable by the group, nor longer than
 * SERVICE_PASSWORD_MAX bytes (cut to fit, it would be another password,
 * refused by the directory in words that would not say why). A fault of the
 * file is the gateway's: -EPROTO, never a person's wrong password. */
static int read_service_password(const struct byod_idsrc *s, char *pw, size_t len,
				 struct byod_err *err)
{
	char buf[4096];
	struct stat st;
	size_t line;
	ssize_t n;
	int fd, rc = 0;

	fd = open(s->service_password_file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return byod_err_set(err, EPROTO, "identity source '%s': service-password-file %s: "
				    "%s", s->name, s->service_password_file, strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || (st.st_mode & 0027)) {
		rc = byod_err_set(err, EPROTO, "identity source '%s': service-password-file %s must "
				  "be a file readable by the service only (chmod 0600 or 0640)",
				  s->name, s->service_password_file);
		goto out;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0) {
		rc = byod_err_set(err, EPROTO, "identity source '%s': service-password-file %s: "
				  "%s", s->name, s->service_password_file, strerror(errno));
		goto out;
	}
	buf[n] = '\0';
	line = strcspn(buf, "\r\n");
	if (!line) {
		rc = byod_err_set(err, EPROTO, "identity source '%s': service-password-file %s is "
				  "empty", s->name, s->service_password_file);
	} else if (line > SERVICE_PASSWORD_MAX || line >= len ||
		   (line == (size_t)n && n == (ssize_t)sizeof(buf) - 1)) {
		rc = byod_err_set(err, EPROTO, "identity source '%s': the password in "
				  "service-password-file %s is longer than %d bytes", s->name,
				  s->service_password_file, SERVICE_PASSWORD_MAX);
	} else {
		memcpy(pw, buf, line);
		pw[line] = '\0';
	}
	explicit_bzero(buf, sizeof(buf));
out:
	close(fd);
	return rc;
}

/* A bind as the service account, its password read from its file for it
 * and wiped. Its failure is the gateway's fault, not the person's. */
static int service_bind(const struct byod_idsrc *s, LDAP *ld, struct bound *b,
			struct byod_err *err)
{
	char svc[SERVICE_PASSWORD_MAX + 1];
	int lrc, rc;

	rc = read_service_password(s, svc, sizeof(svc), err);
	if (rc)
		goto out;
	lrc = simple_bind(ld, b, s->service_dn, svc);
	if (lrc != LDAP_SUCCESS)
		rc = fail(s, lrc == LDAP_INVALID_CREDENTIALS ? LDAP_OTHER : late(b, lrc),
			  "binding as service-dn", err);
out:
	explicit_bzero(svc, sizeof(svc));
	return rc;
}

/* The attributes the mapping reads, NULL-terminated into a. */
static void wanted(const struct byod_idsrc *s, char **a)
{
	const char *const v[] = { s->login_attr, s->name_attr, s->role_attr, s->school_attr,
				  s->class_attr, s->left_attr,
				  s->groups == BYOD_IDSRC_GROUPS_MEMBEROF ? "memberOf" : NULL };
	size_t n = 0;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (v[i] && v[i][0])
			a[n++] = (char *)v[i];
	a[n] = NULL;
}

/* Copies entry e's values into attrs, memberOf as groups. */
static int take_entry(const struct byod_idsrc *s, LDAP *ld, LDAPMessage *e,
		      struct ident_attrs *attrs, struct byod_err *err)
{
	BerElement *ber = NULL;
	char *a;
	int rc = 0;

	for (a = ldap_first_attribute(ld, e, &ber); a && !rc; a = ldap_next_attribute(ld, e, ber)) {
		struct berval **vals = ldap_get_values_len(ld, e, a);
		int group = s->groups == BYOD_IDSRC_GROUPS_MEMBEROF && !strcasecmp(a, "memberOf");

		for (size_t i = 0; vals && vals[i] && !rc; i++) {
			char v[1024];

			/* a value with a NUL in it is no value of ours; one too long
			 * is refused, not dropped: a class left out unsaid would
			 * take the person out of it */
			if (memchr(vals[i]->bv_val, 0, vals[i]->bv_len))
				continue;
			if (vals[i]->bv_len >= sizeof(v)) {
				rc = byod_err_set(err, EPERM, "identity source '%s': a value of %s "
						  "is longer than %zu bytes", s->name, a,
						  sizeof(v) - 1);
				break;
			}
			memcpy(v, vals[i]->bv_val, vals[i]->bv_len);
			v[vals[i]->bv_len] = '\0';
			rc = ident_attrs_add(attrs, group ? NULL : a, v);
		}
		ldap_value_free_len(vals);
		ldap_memfree(a);
	}
	if (a)
		ldap_memfree(a);
	ber_free(ber, 0);
	return rc;
}

/* The one entry base/scope/filter finds: 0 and *dn (ldap_memfree), -EACCES
 * when none or several. */
static int find_one(const struct byod_idsrc *s, LDAP *ld, struct bound *b, const char *base,
		    int scope, const char *filter, struct ident_attrs *attrs, char **dn,
		    struct byod_err *err)
{
	struct timeval tv;
	char *a[ATTRS_MAX];
	LDAPMessage *res = NULL, *e;
	int lrc, rc;

	*dn = NULL;
	wanted(s, a);
	lrc = left_tv(b, &tv) && op_timeout(ld, b)
		      ? ldap_search_ext_s(ld, base, scope, filter, a, 0, NULL, NULL, &tv, 2, &res)
		      : LDAP_TIMEOUT;
	if (lrc == LDAP_SIZELIMIT_EXCEEDED) {
		ldap_msgfree(res);
		return byod_err_set(err, EACCES, "identity source '%s': several entries answer "
				    "the login", s->name);
	}
	if (lrc != LDAP_SUCCESS) {
		ldap_msgfree(res);
		return fail(s, late(b, lrc), "reading the person", err);
	}
	if (ldap_count_entries(ld, res) != 1) {
		ldap_msgfree(res);
		return byod_err_set(err, EACCES, "identity source '%s': wrong password or no such "
				    "person", s->name);
	}
	e = ldap_first_entry(ld, res);
	*dn = ldap_get_dn(ld, e);
	rc = *dn ? take_entry(s, ld, e, attrs, err) : -ENOMEM;
	ldap_msgfree(res);
	if (rc == -ENOMEM)
		return byod_err_set(err, ENOMEM, "out of memory");
	return rc;
}

static int search_groups(const struct byod_idsrc *s, LDAP *ld, struct bound *b, const char *login,
			 const char *dn, struct ident_attrs *attrs, struct byod_err *err)
{
	struct timeval tv;
	char filter[2048], *none[] = { LDAP_NO_ATTRS, NULL };
	LDAPMessage *res = NULL, *e;
	int lrc, rc = 0;

	/* the directory's DN for the person, escaped: the answer's, not ours */
	if (ident_template(s->group_filter, login, dn, 1, filter, sizeof(filter)))
		return byod_err_set(err, EPERM, "identity source '%s': the person's DN makes "
				    "group-filter longer than %zu bytes", s->name, sizeof(filter) - 1);
	lrc = left_tv(b, &tv) && op_timeout(ld, b)
		      ? ldap_search_ext_s(ld, s->group_base, LDAP_SCOPE_SUBTREE, filter, none, 0,
					  NULL, NULL, &tv, 256, &res)
		      : LDAP_TIMEOUT;
	if (lrc != LDAP_SUCCESS && lrc != LDAP_SIZELIMIT_EXCEEDED) {
		ldap_msgfree(res);
		return fail(s, late(b, lrc), "reading the groups", err);
	}
	for (e = ldap_first_entry(ld, res); e && !rc; e = ldap_next_entry(ld, e)) {
		char *gdn = ldap_get_dn(ld, e);

		rc = gdn ? ident_attrs_add(attrs, NULL, gdn) : -ENOMEM;
		ldap_memfree(gdn);
	}
	ldap_msgfree(res);
	return rc ? byod_err_set(err, -rc, "out of memory") : 0;
}

int ident_ldap_check(const struct byod_idsrc *s, const char *login, const char *password,
		     struct ident_attrs *attrs, struct byod_err *err)
{
	char dn_buf[2048], filter[2048];
	struct bound b;
	char *dn = NULL;
	LDAP *ld = NULL;
	int lrc, rc;

	if (!ident_login_ok(login))
		return byod_err_set(err, EINVAL, "identity source '%s': the login has characters "
				    "no login has", s->name);
	/* an empty password would be an unauthenticated bind (RFC 4513 5.1.2),
	 * which a directory answers with success */
	if (!password || !password[0])
		return byod_err_set(err, EACCES, "identity source '%s': wrong password or no such "
				    "person", s->name);
	deadline_start(&b, s->timeout_s);
	rc = open_tls(s, &b, &ld, err);
	if (rc)
		return rc;
	if (s->bind == BYOD_IDSRC_BIND_USER) {
		if (ident_template(s->user_dn, login, NULL, 0, dn_buf, sizeof(dn_buf))) {
			rc = byod_err_set(err, EINVAL, "identity source '%s': the login makes too "
					  "long a DN", s->name);
			goto out;
		}
		lrc = simple_bind(ld, &b, dn_buf, password);
		if (lrc != LDAP_SUCCESS) {
			rc = fail(s, late(&b, lrc), "binding as the person", err);
			goto out;
		}
		rc = find_one(s, ld, &b, dn_buf, LDAP_SCOPE_BASE, "(objectClass=*)", attrs, &dn, err);
	} else {
		char lf[256];

		if (!s->filter[0])
			snprintf(lf, sizeof(lf), "(%s=%%s)", s->login_attr);
		rc = service_bind(s, ld, &b, err);
		if (rc)
			goto out;
		if (ident_template(s->filter[0] ? s->filter : lf, login, NULL, 1, filter,
				   sizeof(filter))) {
			rc = byod_err_set(err, EINVAL, "identity source '%s': the filter is too "
					  "long", s->name);
			goto out;
		}
		rc = find_one(s, ld, &b, s->base_dn, LDAP_SCOPE_SUBTREE, filter, attrs, &dn, err);
		if (rc)
			goto out;
		lrc = simple_bind(ld, &b, dn, password);
		if (lrc != LDAP_SUCCESS) {
			rc = fail(s, late(&b, lrc), "binding as the person", err);
			goto out;
		}
	}
	if (!rc && s->groups == BYOD_IDSRC_GROUPS_SEARCH)
		rc = search_groups(s, ld, &b, login, dn, attrs, err);
out:
	ldap_memfree(dn);
	ldap_unbind_ext_s(ld, NULL, NULL);
	if (rc)
		ident_attrs_free(attrs);
	return rc;
}

/* The listing's filter: the source's filter (or (login-attribute=%s)) with
 * %s as '*', unescaped: every person it would find. */
static int list_filter(const struct byod_idsrc *s, char *out, size_t len)
{
	const char *t = s->filter[0] ? s->filter : NULL;
	int n;

	if (!t) {
		n = snprintf(out, len, "(%s=*)", s->login_attr);
		return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
	}
	for (size_t o = 0;; t++) {
		if (o + 2 >= len)
			return -ENAMETOOLONG;
		if (t[0] == '%' && t[1] == 's') {
			out[o++] = '*';
			t++;
		} else if (!(out[o++] = *t)) {
			return 0;
		}
	}
}

int ident_ldap_list(const struct byod_idsrc *s, int (*cb)(const char *login, int left, void *),
		    void *arg, size_t *count, struct byod_err *err)
{
	char filter[2048];
	char *want[] = { s->login_attr, s->left_attr[0] ? s->left_attr : NULL, NULL };
	struct berval *cookie = NULL;
	struct bound b;
	LDAP *ld = NULL;
	int lrc, rc;

	*count = 0;
	if (s->kind != BYOD_IDSRC_LDAP || s->bind != BYOD_IDSRC_BIND_SEARCH)
		return byod_err_set(err, EINVAL, "identity source '%s': only an LDAP source with a "
				    "service account (bind: search) can list its people", s->name);
	if (list_filter(s, filter, sizeof(filter)))
		return byod_err_set(err, EINVAL, "identity source '%s': the filter is too long",
				    s->name);
	/* a whole directory, page by page: a longer bound than a sign-in's */
	deadline_start(&b, s->timeout_s * 12 > 60 ? s->timeout_s * 12 : 60);
	rc = open_tls(s, &b, &ld, err);
	if (rc)
		return rc;
	rc = service_bind(s, ld, &b, err);
	if (rc)
		goto out;
	do {
		LDAPControl *page = NULL, *ctrls[2] = { NULL, NULL }, **rctrls = NULL;
		LDAPMessage *res = NULL, *e;
		struct timeval tv;
		ber_int_t total;
		int err_code = 0;

		if (ldap_create_page_control(ld, 500, cookie, 1, &page) != LDAP_SUCCESS) {
			rc = byod_err_set(err, ENOMEM, "out of memory");
			break;
		}
		ctrls[0] = page;
		lrc = left_tv(&b, &tv) && op_timeout(ld, &b)
			      ? ldap_search_ext_s(ld, s->base_dn, LDAP_SCOPE_SUBTREE, filter, want,
						  0, ctrls, NULL, &tv, 0, &res)
			      : LDAP_TIMEOUT;
		ldap_control_free(page);
		if (lrc != LDAP_SUCCESS) {
			ldap_msgfree(res);
			rc = fail(s, late(&b, lrc), "listing the people", err);
			break;
		}
		for (e = ldap_first_entry(ld, res); e && !rc; e = ldap_next_entry(ld, e)) {
			struct berval **l = ldap_get_values_len(ld, e, s->login_attr);
			struct berval **v = s->left_attr[0]
						    ? ldap_get_values_len(ld, e, s->left_attr)
						    : NULL;
			struct ident_attrs a = { 0 };
			char login[REG_LOGIN_MAX];
			int left = 0;

			for (size_t i = 0; v && v[i] && !rc; i++)
				if (v[i]->bv_len < 1024 && !memchr(v[i]->bv_val, 0, v[i]->bv_len)) {
					char val[1024];

					memcpy(val, v[i]->bv_val, v[i]->bv_len);
					val[v[i]->bv_len] = '\0';
					rc = ident_attrs_add(&a, s->left_attr, val);
				}
			left = !rc && ident_left(s, &a);
			ident_attrs_free(&a);
			/* an entry without a login that can be one is nobody of ours */
			if (!rc && l && l[0] && l[0]->bv_len < sizeof(login)) {
				memcpy(login, l[0]->bv_val, l[0]->bv_len);
				login[l[0]->bv_len] = '\0';
				if (ident_login_ok(login)) {
					(*count)++;
					rc = cb(login, left, arg);
				}
			}
			ldap_value_free_len(l);
			ldap_value_free_len(v);
		}
		if (!rc && ldap_parse_result(ld, res, &err_code, NULL, NULL, NULL, &rctrls, 0) !=
				   LDAP_SUCCESS)
			rc = fail(s, LDAP_OTHER, "listing the people", err);
		if (cookie)
			ber_bvfree(cookie);
		cookie = NULL;
		if (!rc && rctrls) {
			LDAPControl *pc = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, rctrls, NULL);
			struct berval c = { 0 };

			if (pc && ldap_parse_pageresponse_control(ld, pc, &total, &c) == LDAP_SUCCESS &&
			    c.bv_len) {
				cookie = ber_bvdup(&c);
				if (!cookie)
					rc = byod_err_set(err, ENOMEM, "out of memory");
			}
			ber_memfree(c.bv_val);
		}
		ldap_controls_free(rctrls);
		ldap_msgfree(res);
	} while (!rc && cookie);
out:
	if (cookie)
		ber_bvfree(cookie);
	ldap_unbind_ext_s(ld, NULL, NULL);
	return rc;
}
