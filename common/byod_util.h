/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Small helpers every component needs: randomness from the kernel, hex and
 * UUID text, UTC timestamps, files written whole or not at all, and the
 * checks on identifiers that come from the French education system (UAI).
 */
#ifndef BYOD_UTIL_H
#define BYOD_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "byod_err.h"

/* Fills buf with n bytes from getrandom(2). Returns 0 or -errno. */
int byod_random(void *buf, size_t n);

/* Lowercase hex of n bytes into out (2n+1 bytes). */
void byod_hex(const void *buf, size_t n, char *out);

/* A random (version 4) UUID, lowercase, 36 characters + NUL. */
int byod_uuid4(char out[37]);

/* True when s is a lowercase or uppercase UUID in 8-4-4-4-12 form. */
int byod_is_uuid(const char *s);

/* "2026-11-28T13:00:00Z" into out (at least 21 bytes); returns out. */
char *byod_time_iso(time_t t, char *out, size_t len);

/* Parses "YYYY-MM-DD", "YYYY-MM-DD HH:MM", "YYYY-MM-DDTHH:MM:SS[Z]" as UTC. */
int byod_time_parse(const char *s, time_t *out);

/*
 * The end of the school year that "now" belongs to: 23:59:59 UTC on month/day
 * of this year, or of next year when that day has passed or is fewer than
 * min_days away (enrolling in the last days of August is for the new year).
 */
time_t byod_school_year_end(time_t now, int month, int day, int min_days);

/* mkdir -p with the given mode for the directories it creates. */
int byod_mkdir_p(const char *path, mode_t mode, struct byod_err *err);

/*
 * Writes data to path atomically (temporary file in the same directory,
 * fsync, rename) with the given mode. With excl, an existing path is an
 * error (-EEXIST) and is left alone.
 */
int byod_file_write(const char *path, const void *data, size_t len, mode_t mode, int excl,
		    struct byod_err *err);

/* Reads a whole file; *data is NUL-terminated and freed by the caller. */
int byod_file_read(const char *path, char **data, size_t *len, struct byod_err *err);

/* dir + "/" + name into out; -ENAMETOOLONG when it does not fit. */
int byod_path_join(char *out, size_t len, const char *dir, const char *name);

/* A folder of the program's data: <the program's folder>/../share/byod/sub
 * when it exists (a build tree: build/bin -> build/share/byod), else the
 * installed /usr/share/byod/sub. */
void byod_share_dir(const char *sub, char *out, size_t len);

/*
 * A UAI (Unité Administrative Immatriculée): 7 digits and a check letter.
 * Returns 0 when the form is right, -EINVAL otherwise. *expected is set to
 * the letter the checksum gives (the 7 digits modulo 23 in the alphabet
 * without I, O and Q), so callers can warn about a likely typing error.
 */
int byod_uai_check(const char *uai, char *expected);

/* Normalises a MAC address in any common form (aa:bb.., AA-BB-.., aabb.ccdd.eeff,
 * bare hex) to "aa:bb:cc:dd:ee:ff". Returns 0 or -EINVAL. */
int byod_mac_normalise(const char *in, char out[18]);

/* Lowercase hex serial without leading zeros (as FreeRADIUS reports it). */
int byod_serial_normalise(const char *in, char *out, size_t len);

/* A UDP or TCP port number in decimal: 1..65535, or 0 too when zero_ok
 * (a port that turns something off). Returns 0 or -EINVAL. */
int byod_port_parse(const char *s, int zero_ok, int *out);

/* A DNS name's length with its NUL: 253 characters at most. */
#define BYOD_DNS_MAX 254

/* 0 when name is a DNS host name (letters, digits, inner hyphens, labels of
 * 1 to 63 separated by single dots, no trailing dot), else -EINVAL. */
int byod_dns_name_check(const char *name);

/*
 * The Passpoint names of the school network (common/dnsname.c):
 * fqdn, the HomeSP FQDN, is radius.server-name without its first label when
 * two labels or more remain (radius.byod.lan -> byod.lan), else
 * radius.server-name itself, so that Android's domain_suffix_match (the
 * FQDN) accepts the RADIUS certificate; realm, the NAI realm of the outer
 * identity anonymous@realm, is wifi.passpoint-realm, or the FQDN when that
 * is empty. Returns 0, or -EINVAL with err naming the key to change.
 */
int byod_passpoint_names(const char *server_name, const char *realm_key, char fqdn[BYOD_DNS_MAX],
			 char realm[BYOD_DNS_MAX], struct byod_err *err);

/*
 * in as one safe line of a log, into out (len bytes, always NUL-terminated
 * when len > 0; cut before an escape that does not fit): every byte that a
 * terminal or a log reader would not show as itself becomes \xNN -- control
 * bytes (newline, carriage return, escape...), DEL, bytes that are not
 * well-formed UTF-8, and the C1 controls U+0080..U+009F -- and a backslash
 * becomes \\, so that nothing in the input passes for an escape. Printable
 * ASCII and well-formed UTF-8 (accented names) stay as they are. in NULL is
 * "(null)". Returns out.
 */
char *byod_log_escape(const char *in, char *out, size_t len);

#endif /* BYOD_UTIL_H */
