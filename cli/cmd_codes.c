// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * byodctl enrol-codes: one-time enrolment codes for a class, printed as a
 * sheet of QR codes. Each code stands in for the pupil's login at the
 * portal once, until it expires (for pupils who do not remember their
 * password at 7:55). Only the codes' hashes are kept in the registry.
 *
 *   byodctl enrol-codes (--group G | --login L...) [--hours N] --out SHEET.html
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byod_util.h"
#include "byod_vec.h"
#include "byodctl.h"
#include "enrol_codes.h"

struct pick {
	const char *group;
	char **logins;
	int nlogins;
	struct byod_vec people; /* struct reg_person */
};

/* Active pupils in the group (a word of their groups), or accounts named. */
static int pick(const struct reg_person *p, void *arg)
{
	struct pick *k = arg;
	struct reg_person *slot;
	int i, want = 0;

	if (p->state != REG_PERSON_ACTIVE)
		return 0;
	if (k->group && p->role == BYOD_ROLE_STUDENT) { /* a class sheet is for its pupils */
		char groups[REG_GROUPS_MAX + 2], needle[REG_GROUPS_MAX + 2];

		snprintf(groups, sizeof(groups), " %s ", p->groups);
		snprintf(needle, sizeof(needle), " %s ", k->group);
		want = strstr(groups, needle) != NULL;
	}
	for (i = 0; i < k->nlogins; i++)
		want |= !strcmp(k->logins[i], p->login);
	if (!want)
		return 0;
	slot = byod_vec_push(&k->people);
	if (!slot)
		return -ENOMEM;
	*slot = *p;
	return 0;
}

int cli_enrol_codes(const char *home, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "group", required_argument, NULL, 'g' },
		{ "login", required_argument, NULL, 'l' },
		{ "hours", required_argument, NULL, 'H' },
		{ "out", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	struct pick k = { .people = BYOD_VEC_INIT(struct reg_person) };
	char title[300], base[600], *sheet = NULL;
	const char *out = NULL;
	struct byod_ctx *ctx;
	struct byod_err err;
	size_t len = 0;
	int c, hours = 48, rc;

	k.logins = calloc((size_t)argc, sizeof(*k.logins));
	if (!k.logins)
		return cli_fail("out of memory");
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'g')
			k.group = optarg;
		else if (c == 'l')
			k.logins[k.nlogins++] = optarg;
		else if (c == 'H')
			hours = atoi(optarg);
		else if (c == 'o')
			out = optarg;
		else
			return free(k.logins), cli_usage(NULL);
	}
	if (!out || (!k.group && !k.nlogins) || optind != argc) {
		free(k.logins);
		return cli_usage("enrol-codes needs --group or --login, and --out");
	}
	if (hours < 1 || hours > 24 * 14) {
		free(k.logins);
		return cli_fail("--hours must be 1 to 336 (two weeks)");
	}
	rc = cli_open(home, &ctx);
	if (rc) {
		free(k.logins);
		return rc;
	}
	rc = reg_person_list(ctx->reg, pick, &k, &err);
	if (rc) {
		rc = rc == -ENOMEM ? cli_fail("out of memory") : cli_fail_err(&err);
		goto out;
	}
	if (!k.people.n) {
		rc = cli_fail("no active account matches");
		goto out;
	}
	/* the links point at the portal the devices are sent to */
	rc = byod_portal_url(&ctx->conf, base, sizeof(base), &err);
	if (rc) {
		rc = cli_fail_err(&err);
		goto out;
	}
	snprintf(title, sizeof(title), "Inscription Wi-Fi — %s", k.group ? k.group : "codes");
	rc = byod_codes_sheet(ctx->reg, ctx->conf.school_name, base, title, k.people.v, k.people.n,
			      hours, &sheet, &len, &err);
	if (!rc)
		rc = byod_file_write(out, sheet, len, 0600, 0, &err);
	if (rc) {
		rc = cli_fail_err(&err);
		goto out;
	}
	printf("%zu codes, valid %d hours, in %s\n", k.people.n, hours, out);
out:
	if (sheet)
		explicit_bzero(sheet, len);
	free(sheet);
	byod_vec_free(&k.people);
	free(k.logins);
	byod_close(ctx);
	return rc;
}
