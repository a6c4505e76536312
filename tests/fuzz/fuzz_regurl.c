// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for registry URLs (registry/reg_url.c), which come from
 * the command line (byodctl registry copy --to) and byod.conf. Checked
 * independently of the code: a PostgreSQL URL and a plain path are kept
 * as written, and "xxx://" with no '/' before it is never a plain path; an SQLite URL's path is
 * absolute and no longer than the URL; the printable form is a string in which the password of a
 * "scheme://user:password@" URL is "***", and a refusal is -EINVAL or
 * -ENAMETOOLONG with a sentence.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Where the password of "scheme://user:password@host..." begins (after
 * the colon), or 0 when the URL has none. */
static size_t password_at(const char *url)
{
	const char *p = strstr(url, "://"), *colon, *at;

	if (!p)
		return 0;
	p += 3;
	at = strchr(p, '@');
	if (!at || memchr(p, '/', (size_t)(at - p)))
		return 0;
	colon = memchr(p, ':', (size_t)(at - p));
	return colon ? (size_t)(colon + 1 - url) : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reg_url u;
	struct byod_err err;
	char *in;
	size_t at;
	int rc;

	in = malloc(size + 1);
	if (!in)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	err.msg[0] = '\0';
	rc = reg_url_parse(in, &u, &err);
	if (rc) {
		if ((rc != -EINVAL && rc != -ENAMETOOLONG) || !err.msg[0])
			abort();
		goto out;
	}
	if (!memchr(u.target, '\0', sizeof(u.target)) || !memchr(u.shown, '\0', sizeof(u.shown)))
		abort();
	if (u.backend == REG_BACKEND_POSTGRES) {
		if (strcmp(u.target, in) ||
		    (strncmp(in, "postgresql://", 13) && strncmp(in, "postgres://", 11)))
			abort();
	} else if (u.backend == REG_BACKEND_SQLITE) {
		if (!strncmp(in, "sqlite://", 9)) {
			if (u.target[0] != '/' || strlen(u.target) > strlen(in) - 9)
				abort();
		} else if (strcmp(u.target, in) ||
			   (strstr(in, "://") &&
			    !memchr(in, '/', (size_t)(strstr(in, "://") - in)))) {
			abort(); /* a plain path, not a URL of some other scheme */
		}
	} else {
		abort();
	}
	/* the user part kept, the password masked up to its '@' */
	at = password_at(in);
	if (at && size < 256 && !strstr(in, "password=") &&
	    (strncmp(u.shown, in, at) || strncmp(u.shown + at, "***@", 4)))
		abort();
out:
	free(in);
	return 0;
}
