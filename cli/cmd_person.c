// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * byodctl person export LOGIN [--out FILE]: everything the registry holds
 * about a person, as JSON (RGPD art. 15, reg_person_export), on stdout
 * (FILE "-" too) or in a new file of mode 0600;
 * byodctl person erase LOGIN [--yes]: their erasure (art. 17,
 * byod_person_erase): devices revoked, the person and what names them
 * removed, accounting kept unlinked, the audit trail under a pseudonym.
 * Without --yes, erase says what it would remove and changes nothing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "byod_util.h"
#include "byodctl.h"

/*
 * A minor's whole record: written to a new file only its owner may read
 * (0600 whatever the umask), never over an existing file and never
 * through a symbolic link, which another user could have left there.
 */
static int export_write(json_t *j, const char *out)
{
	int fd, rc;

	fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		int e = errno;

		json_decref(j);
		if (e == EEXIST || e == ELOOP) {
			struct stat st;

			if (!lstat(out, &st) && S_ISLNK(st.st_mode))
				return cli_fail("%s is a symbolic link, not followed: give a new "
						"file name",
						out);
			return cli_fail("%s already exists: give a new file name", out);
		}
		return cli_fail("cannot create %s: %s", out, strerror(e));
	}
	/* the mode asked is cut by the umask, never widened: make sure */
	rc = fchmod(fd, 0600) || json_dumpfd(j, fd, JSON_INDENT(2) | JSON_SORT_KEYS) ||
	     write(fd, "\n", 1) != 1 || fsync(fd);
	json_decref(j);
	if (close(fd) || rc) {
		unlink(out);
		return cli_fail("cannot write %s", out);
	}
	printf("%s written\n", out);
	return 0;
}

static int person_export(struct byod_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL, *login;
	struct byod_err err;
	json_t *j = NULL;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'o')
			out = optarg;
		else
			return cli_usage(NULL);
	}
	if (optind + 1 != argc)
		return cli_usage("person export LOGIN [--out FILE]");
	login = argv[optind];
	rc = reg_person_export(ctx->reg, login, &j, &err);
	if (rc == -ENOENT)
		return cli_fail("no person %s", login);
	/* an access to personal data: audited (object the login, which an
	 * erasure later rewrites under the pseudonym) */
	if (!rc)
		rc = reg_audit_add(ctx->reg, "person.export", login, NULL, NULL, &err);
	if (rc) {
		json_decref(j);
		return cli_fail_err(&err);
	}
	if (!out || !strcmp(out, "-"))
		return cli_json(j);
	return export_write(j, out);
}

static size_t rows(json_t *j, const char *key)
{
	return json_array_size(json_object_get(j, key));
}

static int person_erase(struct byod_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "yes", no_argument, NULL, 'y' },
		{ NULL, 0, NULL, 0 },
	};
	struct reg_remove_report r;
	char pseudonym[REG_LOGIN_MAX];
	const char *login;
	struct byod_err err;
	json_t *j = NULL;
	int c, rc, yes = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'y')
			yes = 1;
		else
			return cli_usage(NULL);
	}
	if (optind + 1 != argc)
		return cli_usage("person erase LOGIN [--yes]");
	login = argv[optind];
	if (!yes) {
		rc = reg_person_export(ctx->reg, login, &j, &err);
		if (rc == -ENOENT)
			return cli_fail("no person %s", login);
		if (rc)
			return cli_fail_err(&err);
		printf("would erase %s: %zu device(s) revoked then removed with %zu certificate(s); "
		       "%zu accounting session(s) kept without their device (legal obligation, "
		       "RGPD art. 17(3)(b)); %zu audit row(s) kept under a pseudonym; portal "
		       "sessions, links, enrolment codes and unlocks removed.\n"
		       "Run again with --yes to erase.\n",
		       login, rows(j, "devices"), rows(j, "certificates"), rows(j, "sessions"),
		       rows(j, "audit"));
		json_decref(j);
		return 1;
	}
	rc = byod_person_erase(ctx, login, time(NULL), &r, pseudonym, &err);
	if (rc == -ENOENT)
		return cli_fail("no person %s", login);
	if (rc)
		return cli_fail_err(&err);
	printf("%s erased, now %s in the audit trail: %d device(s) and %d certificate(s) removed "
	       "(%d kept on the CRL), %d accounting session(s) kept without their device, %d "
	       "portal row(s), %d unlock(s) and %d geteduroam row(s) removed, %d audit row(s) and "
	       "%d event(s) pseudonymised\n",
	       login, pseudonym, r.devices, r.certs, r.crl_kept, r.sessions, r.web, r.unlocks,
	       r.oauth, r.audit, r.events);
	return 0;
}

int cli_person(const char *home, int argc, char **argv)
{
	struct byod_ctx *ctx;
	int rc;

	if (argc < 2 || (strcmp(argv[1], "export") && strcmp(argv[1], "erase")))
		return cli_usage("person export LOGIN [--out FILE] | person erase LOGIN [--yes]");
	rc = cli_open(home, &ctx);
	if (rc)
		return rc;
	rc = !strcmp(argv[1], "export") ? person_export(ctx, argc - 1, argv + 1)
					: person_erase(ctx, argc - 1, argv + 1);
	byod_close(ctx);
	return rc;
}
