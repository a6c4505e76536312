/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What byodctl's command files share: one-line errors, usage, opening the
 * state directory, JSON output.
 */
#ifndef BYODCTL_H
#define BYODCTL_H

#include <jansson.h>

#include "byod.h"

#define EXIT_USAGE 2

/* Print "byodctl: ..." on stderr; return the exit status for a failure. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int cli_fail_err(const struct byod_err *err);
/* Print why and the usage on stderr; return EXIT_USAGE. */
int cli_usage(const char *why);
/* Open HOME as the current user's context; on failure print and return 1. */
int cli_open(const char *home, struct byod_ctx **ctx);
/* The audit log's name for whoever runs byodctl ("byodctl:USER"). */
void cli_actor(char *out, size_t len);
/* One line of standard input (a password) into buf without its newline;
 * -1 when there is none or it is empty. The caller wipes buf. */
int cli_read_password(char *buf, size_t len);
/* Print v (and take ownership of it) on stdout. */
int cli_json(json_t *v);

/* byodctl user sync|leave|departures (argv[1]), on an open context (cmd_sync.c) */
int cli_user_leaving(struct byod_ctx *ctx, int argc, char **argv);
int cli_policy(const char *home, int argc, char **argv);
int cli_unlock(const char *home, int argc, char **argv);
int cli_radius(const char *home, int argc, char **argv);
/* radius enable|disable [--raddb DIR] (argv[1] says which). */
int cli_radius_stock(const char *home, int argc, char **argv);
int cli_enrol_codes(const char *home, int argc, char **argv);
int cli_firewall(const char *home, int argc, char **argv);
int cli_hostapd(const char *home, int argc, char **argv);
int cli_dnsmasq(const char *home, int argc, char **argv);
int cli_session(const char *home, int argc, char **argv);
int cli_portal(const char *home, int argc, char **argv);
int cli_registry(const char *home, int argc, char **argv);
/* byodctl admin ...: the console's accounts and their API tokens (cmd_admin.c) */
int cli_admin(const char *home, int argc, char **argv);
/* byodctl purge, byodctl connections (cmd_retention.c) */
int cli_purge(const char *home, int argc, char **argv);
int cli_connections(const char *home, int argc, char **argv);
/* byodctl person export|erase (cmd_person.c) */
int cli_person(const char *home, int argc, char **argv);
/* byodctl registry copy ... (argv[0] "copy") */
int cli_registry_copy(const char *home, int argc, char **argv);
/* byodctl registry roles [--apply] (argv[0] "roles") */
int cli_registry_roles(const char *home, int argc, char **argv);
/* byodctl doctor [--json] (cmd_doctor.c), byodctl metrics [--out FILE] (cmd_metrics.c) */
int cli_doctor(const char *home, int argc, char **argv);
int cli_metrics(const char *home, int argc, char **argv);
/* byodctl backup --out FILE, byodctl restore FILE (cmd_backup.c) */
int cli_backup(const char *home, int argc, char **argv);
int cli_restore(const char *home, int argc, char **argv);

/* byodctl identity test|sync (cmd_identity.c) */
int cli_identity(const char *home, int argc, char **argv);

#endif /* BYODCTL_H */
