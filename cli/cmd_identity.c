// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * byodctl identity: an administrator's look at byod.conf's identity sources.
 *
 *   identity test NAME LOGIN   the password on standard input (never argv):
 *                              signs LOGIN in through source NAME and prints
 *                              the person as the mapping makes them (role,
 *                              school, classes), and what a sign-in would do
 *                              to the registry, WITHOUT writing anything. A
 *                              CAS source takes a service ticket (ST-...)
 *                              for LOGIN, and no password.
 *   identity sync NAME [--dry-run]
 *                              an LDAP source with a service account: its
 *                              people in the registry that its directory no
 *                              longer lists, or lists as left, get a leaving
 *                              date now (identity/sync.c); the daily job
 *                              disables them.
 *
 * Exit status of test: 0 the person would be signed in; 1 wrong password or
 * no such person (or a login that cannot be one); 3 the answer is refused
 * by the mapping or the registry (no UAI, an unknown role or school, left,
 * a local account); 4 the source cannot be reached, does not answer in
 * time, or fails; 2 usage (an unknown source, no password).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "byodctl.h"
#include "cas.h"
#include "identity.h"

#define EXIT_REFUSED 1
#define EXIT_MAPPING 3
#define EXIT_SOURCE 4

static int exit_of(int rc)
{
	switch (rc) {
	case 0:
		return 0;
	case -EACCES:
	case -EINVAL:
		return EXIT_REFUSED;
	case -EPERM:
		return EXIT_MAPPING;
	default:
		return EXIT_SOURCE;
	}
}

/* What a sign-in of p would do to the registry, read only. */
static const char *would(struct byod_ctx *ctx, const struct byod_idsrc *s,
			 const struct ident_person *p)
{
	struct reg_school school;
	struct reg_person now;
	const char *w = "";
	int rc;

	if (p->left)
		w = "apply the departure the source reports, and refuse";
	else if (reg_school_get(ctx->reg, p->school, &school, NULL))
		return "refuse: the school is not one of the registry's";
	rc = reg_person_get(ctx->reg, p->login, &now, NULL);
	if (p->left)
		w = rc ? "refuse (the registry has no such account)" : w;
	else if (rc == -ENOENT)
		w = "create the account";
	else if (rc)
		w = "(the registry cannot be read)";
	else if (now.password_hash[0])
		w = "refuse: a local account, with a password of its own";
	else if (now.state != REG_PERSON_ACTIVE)
		w = "refuse: the account is disabled";
	else if (strcmp(now.school, p->school))
		w = "refuse: an account of another school";
	else if (now.source[0] && strcmp(now.source, s->name))
		w = "update the account (now of this source)";
	else
		w = "update the account";
	explicit_bzero(&now, sizeof(now));
	return w;
}

static int cmd_test(struct byod_ctx *ctx, int argc, char **argv)
{
	struct ident_attrs attrs = { 0 };
	struct ident_person p;
	struct byod_err err = { 0 };
	const struct byod_idsrc *s;
	char password[1024];
	int rc;

	if (argc != 4)
		return cli_usage("identity test takes NAME LOGIN (the password on standard input)");
	s = byod_conf_idsrc(&ctx->conf, argv[2]);
	if (!s)
		return cli_usage("no identity source of that name in byod.conf");
	if (s->kind == BYOD_IDSRC_CAS) {
		rc = ident_cas_validate(s, argv[3], &attrs, &err);
	} else if (s->kind == BYOD_IDSRC_LDAP) {
		if (cli_read_password(password, sizeof(password))) {
			explicit_bzero(password, sizeof(password));
			return cli_usage("no password on standard input");
		}
		rc = ident_ldap_check(s, argv[3], password, &attrs, &err);
		explicit_bzero(password, sizeof(password));
	} else {
		return cli_usage("that source's kind cannot be tested here");
	}
	if (!rc)
		rc = ident_map(s, &attrs, &p, &err);
	ident_attrs_free(&attrs);
	if (rc) {
		fprintf(stderr, "byodctl: %s\n", err.msg);
		return exit_of(rc);
	}
	printf("source:   %s\n", s->name);
	printf("login:    %s\n", p.login);
	printf("name:     %s\n", p.display_name);
	if (p.left) {
		printf("left:     yes (%s)\n", s->left_attr);
	} else {
		printf("role:     %s\n", byod_role_name(p.role));
		printf("school:   %s\n", p.school);
		printf("classes:  %s\n", p.groups[0] ? p.groups : "-");
	}
	printf("sign-in:  would %s\n", would(ctx, s, &p));
	return p.left ? EXIT_MAPPING : 0;
}

static int cmd_sync(struct byod_ctx *ctx, int argc, char **argv)
{
	struct ident_sync_result r;
	struct byod_err err = { 0 };
	const struct byod_idsrc *s;
	int dry = 0, rc;

	if (argc == 4 && !strcmp(argv[3], "--dry-run"))
		dry = 1;
	else if (argc != 3)
		return cli_usage("identity sync takes NAME [--dry-run]");
	s = byod_conf_idsrc(&ctx->conf, argv[2]);
	if (!s)
		return cli_usage("no identity source of that name in byod.conf");
	rc = ident_sync(ctx->reg, s, time(NULL), dry, &r, &err);
	if (rc)
		return cli_fail_err(&err);
	printf("%s: the directory lists %zu people; %zu of the %zu active people of this "
	       "source %s a leaving date\n", s->name, r.listed, r.n, r.active,
	       dry ? "would get" : "got");
	for (size_t i = 0; i < r.n; i++)
		printf("leaving    %-24s %-9s %s\n", r.items[i].login, r.items[i].school,
		       r.items[i].why);
	ident_sync_result_free(&r);
	return 0;
}

int cli_identity(const char *home, int argc, char **argv)
{
	struct byod_ctx *ctx;
	int rc;

	if (argc < 2 || (strcmp(argv[1], "test") && strcmp(argv[1], "sync")))
		return cli_usage("identity takes test or sync");
	rc = cli_open(home, &ctx);
	if (rc)
		return rc;
	rc = !strcmp(argv[1], "test") ? cmd_test(ctx, argc, argv) : cmd_sync(ctx, argc, argv);
	byod_close(ctx);
	return rc;
}
