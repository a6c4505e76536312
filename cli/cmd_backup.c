// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * byodctl backup --out FILE [--raddb DIR] [--passphrase-file F] [--json] and
 * byodctl restore FILE [--home DIR] [--passphrase-file F] [--registry-url URL]
 * [--force] [--json]: the gateway's state in one encrypted file and back
 * (core/backup.c). The passphrase comes from a file or from
 * BYOD_BACKUP_PASSPHRASE, never from the command line that ps shows.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "byod_backup.h"
#include "byod_util.h"
#include "byodctl.h"

/* The passphrase into *out (caller wipes and frees): the file's first line,
 * else the environment's. Returns 0 or prints why and returns 1. */
static int passphrase_get(const char *file, char **out)
{
	struct byod_err err;
	char *data = NULL;
	size_t len = 0;
	const char *env;

	*out = NULL;
	if (file) {
		if (byod_file_read(file, &data, &len, &err))
			return cli_fail_err(&err);
		/* the rest of the file wiped now: passphrase_free only sees the
		 * first line */
		OPENSSL_cleanse(data + strcspn(data, "\r\n"), len - strcspn(data, "\r\n"));
		*out = data;
	} else if ((env = getenv("BYOD_BACKUP_PASSPHRASE")) && env[0]) {
		*out = strdup(env);
		if (!*out)
			return cli_fail("out of memory");
		/* not handed on to pg_dump or pg_restore */
		unsetenv("BYOD_BACKUP_PASSPHRASE");
	} else {
		return cli_fail("no passphrase: give --passphrase-file FILE or set "
				"BYOD_BACKUP_PASSPHRASE");
	}
	if (byod_backup_passphrase_check(*out, &err)) {
		OPENSSL_cleanse(*out, strlen(*out));
		free(*out);
		*out = NULL;
		return cli_fail_err(&err);
	}
	return 0;
}

static void passphrase_free(char *p)
{
	if (p) {
		OPENSSL_cleanse(p, strlen(p));
		free(p);
	}
}

/* getopt_long takes a prefix of an option: "--passphrase SECRET" would be read as
 * --passphrase-file and its secret named in an error. Refused here first. */
static int passphrase_on_argv(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strncmp(argv[i], "--pass", 6) && strcmp(argv[i], "--passphrase-file") &&
		    strncmp(argv[i], "--passphrase-file=", 18))
			return cli_usage("a passphrase is never taken from the command line: "
					 "--passphrase-file FILE or BYOD_BACKUP_PASSPHRASE");
	}
	return 0;
}

static uint64_t total_size(const struct byod_backup_manifest *m)
{
	uint64_t t = 0;
	size_t i;

	for (i = 0; i < m->n; i++)
		t += m->m[i].size;
	return t;
}

int cli_backup(const char *home, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "raddb", required_argument, NULL, 'r' },
		{ "passphrase-file", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct byod_backup_manifest m = { 0 };
	struct byod_ctx *ctx = NULL;
	struct byod_err err;
	const char *out = NULL, *pfile = NULL, *raddb = NULL;
	char *pass = NULL;
	int c, rc, json = 0;

	if (passphrase_on_argv(argc, argv))
		return EXIT_USAGE;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'o')
			out = optarg;
		else if (c == 'r')
			raddb = optarg;
		else if (c == 'p')
			pfile = optarg;
		else if (c == 'j')
			json = 1;
		else
			return cli_usage(NULL);
	}
	if (!out || optind != argc)
		return cli_usage("backup needs --out FILE");
	rc = passphrase_get(pfile, &pass);
	if (rc)
		return rc;
	rc = cli_open(home, &ctx);
	if (rc)
		goto out;
	if (byod_backup_create(ctx, out, raddb, pass, &m, &err)) {
		rc = cli_fail_err(&err);
		goto out;
	}
	if (json)
		rc = cli_json(json_pack("{s:s, s:s, s:s, s:i, s:s, s:I, s:I}", "file", out,
					"school", m.school, "backend", m.backend, "schema",
					m.schema, "created", m.created, "members", (json_int_t)m.n,
					"bytes", (json_int_t)total_size(&m)));
	else
		printf("backup of %s (%s, %s registry, schema %d) written to %s: %zu members, "
		       "%llu bytes before encryption\n",
		       m.school, m.school_name, m.backend, m.schema, out, m.n,
		       (unsigned long long)total_size(&m));
out:
	byod_backup_manifest_free(&m);
	byod_close(ctx);
	passphrase_free(pass);
	return rc;
}

/* A URL of the form scheme://user:password@host/... or with a password=
 * parameter. */
static int url_has_password(const char *url)
{
	const char *auth = strstr(url, "://"), *end, *at;

	if (strstr(url, "password="))
		return 1;
	if (!auth)
		return 0;
	auth += 3;
	end = auth + strcspn(auth, "/?");
	at = memchr(auth, '@', (size_t)(end - auth));
	return at && memchr(auth, ':', (size_t)(at - auth)) != NULL;
}

int cli_restore(const char *home, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'h' },
		{ "passphrase-file", required_argument, NULL, 'p' },
		{ "registry-url", required_argument, NULL, 'u' },
		{ "force", no_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct byod_restore_opts o = { 0 };
	struct byod_backup_manifest m = { 0 };
	struct byod_restore_report rep;
	struct byod_err err;
	const char *pfile = NULL, *file;
	char *pass = NULL;
	int c, rc, json = 0;

	if (passphrase_on_argv(argc, argv))
		return EXIT_USAGE;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'h')
			home = optarg;
		else if (c == 'p')
			pfile = optarg;
		else if (c == 'u') {
			if (url_has_password(optarg))
				return cli_fail("--registry-url must not hold a password (ps and the "
						"shell's history show it): put it in ~/.pgpass or "
						"PGPASSFILE");
			o.registry_url = optarg;
		}
		else if (c == 'f')
			o.force = 1;
		else if (c == 'j')
			json = 1;
		else
			return cli_usage(NULL);
	}
	if (optind + 1 != argc)
		return cli_usage("restore needs the backup FILE");
	file = argv[optind];
	rc = passphrase_get(pfile, &pass);
	if (rc)
		return rc;
	o.passphrase = pass;
	if (byod_backup_restore(file, home, &o, &m, &rep, &err)) {
		rc = cli_fail_err(&err);
		goto out;
	}
	if (json) {
		rc = cli_json(json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:s, s:s*}", "home", home,
					"school", m.school, "created", m.created, "backend",
					m.backend, "schema-before", rep.schema_before,
					"schema-after", rep.schema_after, "registry",
					rep.registry, "moved-aside",
					rep.moved_aside[0] ? rep.moved_aside : NULL));
	} else {
		printf("restored %s (%s), backed up %s, into %s; registry %s, schema %d", m.school,
		       m.school_name, m.created, home, rep.registry, rep.schema_before);
		if (rep.schema_after != rep.schema_before)
			printf(" migrated to %d", rep.schema_after);
		printf("\n");
		if (rep.moved_aside[0])
			printf("the previous %s was moved to %s\n", home, rep.moved_aside);
		printf("next: byodctl radius config --out DIR%s%s%s, then start the services; "
		       "phones keep their certificates\n",
		       rep.has_radius_secret ? " --secret-stdin < " : "",
		       rep.has_radius_secret ? home : "",
		       rep.has_radius_secret ? "/" BYOD_BACKUP_RADIUS_SECRET : "");
	}
out:
	byod_backup_manifest_free(&m);
	passphrase_free(pass);
	return rc;
}
