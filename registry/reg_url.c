// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Registry URLs: how a registry is named on a command line (byodctl
 * registry copy --to URL) and, once merged with its configuration key, in
 * byod.conf. "postgresql://..." and "postgres://..." name a PostgreSQL
 * registry and are handed to libpq as they are (libpq reads that URI form
 * itself); "sqlite:///abs/path" and a plain path name an SQLite file. Also
 * the form of a URL that may be shown: a password in it is masked.
 */
#include "registry.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "reg_internal.h"

#define SQLITE_PREFIX "sqlite://"

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The path of sqlite:///abs/path, %XX decoded, into out. */
static int sqlite_path(const char *url, const char *rest, char *out, size_t len,
		       struct byod_err *err)
{
	size_t n = 0;
	int hi, lo;

	if (rest[0] != '/')
		return byod_err_set(err, EINVAL,
				    "the registry URL '%.200s' names a host; an SQLite URL is "
				    "sqlite:///absolute/path (three slashes)",
				    url);
	for (; *rest; rest++) {
		char c = *rest;

		if (c == '?' || c == '#')
			return byod_err_set(err, EINVAL,
					    "the registry URL '%.200s' has a query or a fragment, "
					    "which an SQLite URL does not take",
					    url);
		if (c == '%') {
			hi = hexval((unsigned char)rest[1]);
			lo = hi < 0 ? -1 : hexval((unsigned char)rest[2]);
			if (lo < 0)
				return byod_err_set(err, EINVAL,
						    "the registry URL '%.200s' has a bad %%-escape",
						    url);
			c = (char)(hi * 16 + lo);
			if (!c)
				return byod_err_set(err, EINVAL,
						    "the registry URL '%.200s' holds a NUL", url);
			rest += 2;
		}
		if (n + 1 >= len)
			return byod_err_set(err, ENAMETOOLONG, "the registry URL is too long");
		out[n++] = c;
	}
	out[n] = '\0';
	if (!strcmp(out, "/"))
		return byod_err_set(err, EINVAL, "the registry URL '%.200s' names no file", url);
	return 0;
}

/* The text before "://" when it looks like a URL scheme, else 0. */
static size_t scheme_len(const char *url)
{
	size_t i;

	if (!isalpha((unsigned char)url[0]))
		return 0;
	for (i = 1;
	     isalnum((unsigned char)url[i]) || url[i] == '+' || url[i] == '-' || url[i] == '.'; i++)
		;
	return strncmp(url + i, "://", 3) ? 0 : i;
}

/* url with the password of its user part and the value of a password=
 * parameter replaced by "***", into out (truncated to len). */
static void mask(const char *url, char *out, size_t len)
{
	const char *p = strstr(url, "://"), *at, *colon;
	size_t n = 0;

#define PUT(c)                                                                                     \
	do {                                                                                       \
		if (n + 1 < len)                                                                   \
			out[n++] = (c);                                                            \
	} while (0)
	if (!p) {
		snprintf(out, len, "%s", url);
		return;
	}
	p += 3;
	at = strchr(p, '@');
	colon = at ? memchr(p, ':', (size_t)(at - p)) : NULL;
	if (colon && memchr(p, '/', (size_t)(at - p)))
		colon = NULL;
	for (const char *q = url; *q; q++) {
		if (q == colon) {
			PUT(':');
			PUT('*');
			PUT('*');
			PUT('*');
			q = at - 1;
			continue;
		}
		PUT(*q);
		if ((*q == '?' || *q == '&') && !strncmp(q + 1, "password=", 9)) {
			for (q++; *q != '='; q++)
				PUT(*q);
			PUT('=');
			PUT('*');
			PUT('*');
			PUT('*');
			q += strcspn(q + 1, "&");
		}
	}
#undef PUT
	out[n] = '\0';
}

int reg_url_parse(const char *url, struct reg_url *out, struct byod_err *err)
{
	const char *sep;
	size_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = reg_check_text(url, sizeof(out->target), 0, "registry URL", err);
	if (rc)
		return rc;
	mask(url, out->shown, sizeof(out->shown));
	n = scheme_len(url);
	if ((n == 10 && !strncmp(url, "postgresql", 10)) ||
	    (n == 8 && !strncmp(url, "postgres", 8))) {
		out->backend = REG_BACKEND_POSTGRES;
		snprintf(out->target, sizeof(out->target), "%s", url);
		return 0;
	}
	if (n == 6 && !strncmp(url, "sqlite", 6)) {
		out->backend = REG_BACKEND_SQLITE;
		return sqlite_path(url, url + strlen(SQLITE_PREFIX), out->target,
				   sizeof(out->target), err);
	}
	if (n)
		return byod_err_set(err, EINVAL,
				    "the registry URL '%.200s' has scheme '%.*s'; a registry is "
				    "postgresql://..., sqlite:///path or a file's path",
				    out->shown, (int)n, url);
	sep = strstr(url, "://");
	if (sep && !memchr(url, '/', (size_t)(sep - url)))
		return byod_err_set(err, EINVAL,
				    "the registry URL '%.200s' has no valid scheme; a registry is "
				    "postgresql://..., sqlite:///path or a file's path",
				    out->shown);
	out->backend = REG_BACKEND_SQLITE;
	snprintf(out->target, sizeof(out->target), "%s", url);
	return 0;
}

int reg_open_url(const char *url, const char *actor, int busy_timeout_ms, struct reg **out,
		 struct byod_err *err)
{
	struct reg_options opt;
	struct reg_url u;
	int rc;

	*out = NULL;
	rc = reg_url_parse(url, &u, err);
	if (rc)
		return rc;
	memset(&opt, 0, sizeof(opt));
	opt.backend = u.backend;
	if (u.backend == REG_BACKEND_POSTGRES)
		opt.conninfo = u.target;
	else
		opt.path = u.target;
	opt.busy_timeout_ms = busy_timeout_ms;
	opt.actor = actor;
	return reg_open(&opt, out, err);
}
