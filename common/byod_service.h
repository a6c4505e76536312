// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What a daemon tells its service manager and its journal: readiness,
 * reloads and the watchdog through sd_notify (no-ops when NOTIFY_SOCKET is
 * not set: started by hand or from a test), and log entries that go to
 * journald with structured fields when standard error is the journal
 * (JOURNAL_STREAM names it), to standard error as one line otherwise.
 */
#ifndef BYOD_SERVICE_H
#define BYOD_SERVICE_H

#include <syslog.h>

/* READY=1, with STATUS= when status is not NULL: the daemon serves. */
void byod_service_ready(const char *status);

/* RELOADING=1: a reload starts; byod_service_ready() ends it. */
void byod_service_reloading(void);

/* STOPPING=1: the daemon is stopping (SIGTERM). */
void byod_service_stopping(void);

/* STATUS=: one line shown by systemctl status. */
void byod_service_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* WATCHDOG=1 when half the watchdog's interval has passed since the last
 * one (cheap to call on every turn of a main loop). */
void byod_service_watchdog(void);

/* The longest a main loop may wait between two byod_service_watchdog()
 * calls, in milliseconds, or 0 when there is no watchdog. */
long byod_service_watchdog_ms(void);

/*
 * One log entry of priority prio (LOG_ERR, LOG_WARNING, LOG_INFO…).
 * fields is a NULL-terminated list of "KEY=value" (BYOD_DEVICE=,
 * BYOD_SCHOOL=, BYOD_LOGIN=, BYOD_MAC=…), or NULL; a field whose name
 * speaks of a password, passphrase, token, secret, cookie or key is
 * dropped, as is one whose name journald would refuse. The fields go only
 * to the journal; on standard error the line is "TIME IDENT: message".
 */
void byod_log(int prio, const char *const fields[], const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The SYSLOG_IDENTIFIER and the name on standard error's lines; set once
 * at start, before any thread. */
void byod_log_ident(const char *ident);

/* 1 when standard error is the journal (entries go there natively). */
int byod_log_journal(void);

/* 1 when a field "KEY=value" may be logged (the filter of byod_log). */
int byod_log_field_ok(const char *field);

#endif /* BYOD_SERVICE_H */
