// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The daemons' side of systemd: sd_notify for readiness, reloads and the
 * watchdog (Type=notify, WatchdogSec=), and log entries sent to journald
 * with sd_journal_sendv when standard error is the journal, so that
 * `journalctl BYOD_DEVICE=…` finds what happened to a device. A library of
 * its own (byod_service), apart from byod_common: the FreeRADIUS module
 * and byodctl link byod_common and have no use for libsystemd.
 *
 * Secrets never reach a log: a field whose name speaks of one is dropped
 * before anything is formatted, and callers never put one in a message.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

#include "byod_service.h"
#include "byod_util.h"

/* ---- sd_notify -------------------------------------------------------- */

static pthread_mutex_t dog_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t dog_last_us;

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void byod_service_ready(const char *status)
{
	if (status)
		sd_notifyf(0, "READY=1\nSTATUS=%s", status);
	else
		sd_notify(0, "READY=1");
}

void byod_service_reloading(void)
{
	/* MONOTONIC_USEC: what systemd 253's Type=notify-reload asks for;
	 * older ones ignore it */
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%" PRIu64, now_us());
}

void byod_service_stopping(void)
{
	sd_notify(0, "STOPPING=1");
}

void byod_service_status(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	sd_notifyf(0, "STATUS=%s", line);
}

long byod_service_watchdog_ms(void)
{
	uint64_t usec = 0;

	if (sd_watchdog_enabled(0, &usec) <= 0 || !usec)
		return 0;
	/* half the interval, as sd_watchdog_enabled(3) advises */
	return usec / 2000 > 0 ? (long)(usec / 2000) : 1;
}

void byod_service_watchdog(void)
{
	long ms = byod_service_watchdog_ms();
	uint64_t now;
	int due;

	if (!ms)
		return;
	now = now_us();
	pthread_mutex_lock(&dog_lock);
	due = !dog_last_us || now - dog_last_us >= (uint64_t)ms * 1000u;
	if (due)
		dog_last_us = now;
	pthread_mutex_unlock(&dog_lock);
	if (due)
		sd_notify(0, "WATCHDOG=1");
}

/* ---- logging ---------------------------------------------------------- */

static char ident[32] = "byod";
static pthread_once_t journal_once = PTHREAD_ONCE_INIT;
static int journal;

void byod_log_ident(const char *name)
{
	if (name && name[0])
		snprintf(ident, sizeof(ident), "%s", name);
}

/* systemd sets JOURNAL_STREAM to the device and inode of the stream it
 * connected to standard error; a redirection since (2>file) breaks the
 * match, and the line goes to the file as before */
static void journal_find(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st))
		return;
	journal = (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

int byod_log_journal(void)
{
	pthread_once(&journal_once, journal_find);
	return journal;
}

/* Names that say a secret follows; matched anywhere in the field's name. */
static const char *const secret_words[] = {
	"PASSWORD", "PASSWD", "PASSPHRASE", "TOKEN", "SECRET", "COOKIE", "KEY", "CREDENTIAL",
	"AUTHORIZATION", NULL,
};

int byod_log_field_ok(const char *field)
{
	const char *eq = field ? strchr(field, '=') : NULL;
	char name[65];
	size_t n, i;

	if (!eq || eq == field || (size_t)(eq - field) >= sizeof(name))
		return 0;
	n = (size_t)(eq - field);
	/* journald's rule: A-Z, 0-9, _, not starting with _ (trusted fields)
	 * nor a digit; anything else it would drop itself */
	if (field[0] == '_' || isdigit((unsigned char)field[0]))
		return 0;
	for (i = 0; i < n; i++) {
		char ch = field[i];

		if (!((ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_'))
			return 0;
		name[i] = ch;
	}
	name[n] = '\0';
	/* the fields systemd sets itself are not a caller's to write */
	if (!strcmp(name, "MESSAGE") || !strcmp(name, "PRIORITY") ||
	    !strcmp(name, "SYSLOG_IDENTIFIER"))
		return 0;
	for (i = 0; secret_words[i]; i++)
		if (strstr(name, secret_words[i]))
			return 0;
	return 1;
}

#define FIELDS_MAX 24

static void journal_send(int prio, const char *const fields[], const char *msg)
{
	struct iovec iov[FIELDS_MAX + 3];
	char m[4200], pr[16], id[64];
	int n = 0, i;

	snprintf(m, sizeof(m), "MESSAGE=%s", msg);
	snprintf(pr, sizeof(pr), "PRIORITY=%d", prio);
	snprintf(id, sizeof(id), "SYSLOG_IDENTIFIER=%s", ident);
	iov[n++] = (struct iovec){.iov_base = m, .iov_len = strlen(m)};
	iov[n++] = (struct iovec){.iov_base = pr, .iov_len = strlen(pr)};
	iov[n++] = (struct iovec){.iov_base = id, .iov_len = strlen(id)};
	for (i = 0; fields && fields[i] && n < FIELDS_MAX + 3; i++) {
		if (!byod_log_field_ok(fields[i]))
			continue;
		iov[n++] = (struct iovec){.iov_base = (void *)fields[i],
					  .iov_len = strlen(fields[i])};
	}
	if (sd_journal_sendv(iov, n) < 0) {
		char when[32];

		/* journald gone (restarting): the line is not lost */
		fprintf(stderr, "%s %s: %s\n", byod_time_iso(time(NULL), when, sizeof(when)),
			ident, msg);
	}
}

void byod_log(int prio, const char *const fields[], const char *fmt, ...)
{
	char line[2048], safe[4096], when[32];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* a value in the line cannot start a forged one (%0a in a path), nor
	 * an ESC reach a terminal */
	byod_log_escape(line, safe, sizeof(safe));
	if (prio < LOG_EMERG || prio > LOG_DEBUG)
		prio = LOG_INFO;
	if (byod_log_journal()) {
		journal_send(prio, fields, safe);
		return;
	}
	fprintf(stderr, "%s %s: %s\n", byod_time_iso(time(NULL), when, sizeof(when)), ident,
		safe);
}
