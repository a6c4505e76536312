// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * byodctl admin ...: the accounts of the console (byod-admin), which are
 * not people's accounts. Add one with its role and schools and a password
 * read from standard input (yescrypt, as people's), list them, disable or
 * enable one, set a new password, reset the second factor (the account
 * enrols a new TOTP secret at its next login), and manage the API tokens
 * scripts use: a new token is printed once (only its SHA-256 is stored),
 * listed by the first 12 hex digits of that hash, revoked by them. Every
 * change is audited by the registry.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "byod_util.h"
#include "byodctl.h"
#include "token.h"

#define TOKEN_DAYS_DEFAULT 90
#define TOKEN_DAYS_MAX	   3650
#define TOKEN_ID_MIN	   8 /* hex digits of the hash that name a token */

static char *time_or_dash(time_t t, char *buf, size_t len)
{
	if (!t)
		snprintf(buf, len, "-");
	else
		byod_time_iso(t, buf, len);
	return buf;
}

/* The password from standard input, hashed with the configured cost. */
static int read_hash(struct byod_ctx *ctx, char *hash, size_t len)
{
	struct byod_err err;
	char password[512];
	int rc;

	if (cli_read_password(password, sizeof(password)))
		return cli_fail("no password on standard input");
	rc = reg_password_hash(password, ctx->conf.auth_yescrypt_cost, hash, len, &err);
	explicit_bzero(password, sizeof(password));
	return rc ? cli_fail_err(&err) : 0;
}

/* admin add LOGIN --role ROLE [--school UAI]... [--name NAME] --password-stdin | --source NAME */
static int admin_add(struct byod_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{"role", required_argument, NULL, 'r'},
		{"school", required_argument, NULL, 's'},
		{"name", required_argument, NULL, 'n'},
		{"password-stdin", no_argument, NULL, 'p'},
		{"source", required_argument, NULL, 'S'},
		{NULL, 0, NULL, 0},
	};
	struct reg_admin a;
	struct byod_err err;
	const char *role = NULL, *name = NULL, *source = NULL;
	int c, want_password = 0, rc;

	memset(&a, 0, sizeof(a));
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		size_t used = strlen(a.schools);

		switch (c) {
		case 'r':
			role = optarg;
			break;
		case 's':
			if (used + strlen(optarg) + 2 > sizeof(a.schools))
				return cli_fail("too many schools");
			snprintf(a.schools + used, sizeof(a.schools) - used, "%s%s",
				 used ? " " : "", optarg);
			break;
		case 'n':
			name = optarg;
			break;
		case 'p':
			want_password = 1;
			break;
		case 'S':
			source = optarg;
			break;
		default:
			return cli_usage(NULL);
		}
	}
	if (optind != argc - 1 || !role || want_password == !!source)
		return cli_usage("admin add needs LOGIN, --role ROLE and either --password-stdin or "
				 "--source NAME");
	if (source) {
		/* bound to an identity source: its directory, CAS server or SAML
		 * IdP authenticates it, the console keeps no password nor TOTP */
		const struct byod_idsrc *src = byod_conf_idsrc(&ctx->conf, source);

		if (!src)
			return cli_fail("no identity source '%s' in byod.conf", source);
		if (src->kind != BYOD_IDSRC_LDAP && src->kind != BYOD_IDSRC_CAS &&
		    src->kind != BYOD_IDSRC_SAML)
			return cli_fail("identity source '%s': administrators sign in through ldap, "
					"cas and saml sources only", source);
		snprintf(a.source, sizeof(a.source), "%s", src->name);
	}
	if (strlen(argv[optind]) >= sizeof(a.login))
		return cli_fail("login too long: %s", argv[optind]);
	snprintf(a.login, sizeof(a.login), "%s", argv[optind]);
	if (reg_admin_role_parse(role, &a.role))
		return cli_fail("unknown role '%s' (departement, school or auditor)", role);
	if (name && strlen(name) >= sizeof(a.display_name))
		return cli_fail("name too long");
	snprintf(a.display_name, sizeof(a.display_name), "%s", name ? name : "");
	a.state = REG_PERSON_ACTIVE;
	rc = source ? 0 : read_hash(ctx, a.password_hash, sizeof(a.password_hash));
	if (!rc && reg_admin_add(ctx->reg, &a, &err))
		rc = cli_fail_err(&err);
	if (!rc && source)
		printf("administrator %s added (%s%s%s); signs in through the identity source "
		       "%s\n",
		       a.login, reg_admin_role_name(a.role), a.schools[0] ? ": " : "",
		       a.schools[0] ? a.schools
				    : (a.role == REG_ADMIN_SCHOOL ? "" : ": every school"),
		       a.source);
	else if (!rc)
		printf("administrator %s added (%s%s%s); the second factor is enrolled at the "
		       "first "
		       "login\n",
		       a.login, reg_admin_role_name(a.role), a.schools[0] ? ": " : "",
		       a.schools[0] ? a.schools
				    : (a.role == REG_ADMIN_SCHOOL ? "" : ": every school"));
	explicit_bzero(&a, sizeof(a));
	return rc;
}

static json_t *schools_json(const char *schools)
{
	json_t *arr = json_array();
	char copy[REG_GROUPS_MAX], *tok, *save = NULL;

	snprintf(copy, sizeof(copy), "%s", schools);
	for (tok = strtok_r(copy, " ", &save); arr && tok; tok = strtok_r(NULL, " ", &save))
		json_array_append_new(arr, json_string(tok));
	return arr;
}

static int print_admin(const struct reg_admin *a, void *arg)
{
	char created[32];

	time_or_dash(a->created, created, sizeof(created));
	if (arg) {
		json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:o, s:b, s:s, s:b, s:b, s:s, s:s}", "id",
				      (json_int_t)a->id, "login", a->login, "display_name",
				      a->display_name, "role", reg_admin_role_name(a->role),
				      "schools", schools_json(a->schools), "all_schools",
				      a->role == REG_ADMIN_DEPARTEMENT || !a->schools[0], "state",
				      reg_person_state_name(a->state), "password_set",
				      a->password_hash[0] != '\0', "totp_enrolled",
				      a->totp_enrolled != 0, "created", created, "source", a->source);

		return o ? json_array_append_new(arg, o) : -ENOMEM;
	}
	printf("%-20s %-11s %-8s %-4s %-12s %-26s %s\n", a->login, reg_admin_role_name(a->role),
	       reg_person_state_name(a->state), a->source[0] ? "-" : a->totp_enrolled ? "yes" : "no",
	       a->source[0] ? a->source : "(local)",
	       a->schools[0] ? a->schools : "(every school)",
	       a->display_name[0] ? a->display_name : "-");
	return 0;
}

static int admin_list(struct byod_ctx *ctx, int argc, char **argv)
{
	struct byod_err err;
	json_t *list = NULL;
	int rc;

	if (argc == 3 && !strcmp(argv[2], "--json"))
		list = json_array();
	else if (argc != 2)
		return cli_usage("admin list takes only --json");
	if (!list)
		printf("%-20s %-11s %-8s %-4s %-12s %-26s %s\n", "LOGIN", "ROLE", "STATE", "TOTP",
		       "SOURCE", "SCHOOLS", "NAME");
	rc = reg_admin_list(ctx->reg, print_admin, list, &err);
	if (rc) {
		json_decref(list);
		return rc == -ENOMEM ? cli_fail("out of memory") : cli_fail_err(&err);
	}
	return list ? cli_json(list) : 0;
}

static int admin_state(struct byod_ctx *ctx, int argc, char **argv, enum reg_person_state state)
{
	struct reg_admin a;
	struct byod_err err;
	int rc;

	if (argc != 3)
		return cli_usage("admin disable|enable needs LOGIN");
	rc = reg_admin_get(ctx->reg, argv[2], &a, &err);
	if (!rc) {
		a.state = state;
		rc = reg_admin_update(ctx->reg, &a, &err);
	}
	explicit_bzero(&a, sizeof(a));
	if (rc)
		return cli_fail_err(&err);
	printf("administrator %s %s\n", argv[2],
	       state == REG_PERSON_ACTIVE ? "enabled" : "disabled (its sessions ended)");
	return 0;
}

static int admin_passwd(struct byod_ctx *ctx, int argc, char **argv)
{
	struct reg_admin a;
	struct byod_err err;
	char hash[REG_HASH_MAX];
	int rc;

	if (argc != 4 || strcmp(argv[3], "--password-stdin"))
		return cli_usage("admin passwd needs LOGIN --password-stdin");
	/* an unknown login is said before a password is read */
	rc = reg_admin_get(ctx->reg, argv[2], &a, &err);
	if (!rc && a.source[0]) {
		/* its password is the source's: a local one would be a second door */
		rc = cli_fail("administrator %s signs in through the identity source %s: its "
			      "password is the source's",
			      a.login, a.source);
		explicit_bzero(&a, sizeof(a));
		return rc;
	}
	explicit_bzero(&a, sizeof(a));
	if (rc)
		return cli_fail_err(&err);
	rc = read_hash(ctx, hash, sizeof(hash));
	if (!rc && reg_admin_set_password(ctx->reg, argv[2], hash, &err))
		rc = cli_fail_err(&err);
	explicit_bzero(hash, sizeof(hash));
	if (!rc)
		printf("password of %s changed\n", argv[2]);
	return rc;
}

static int admin_totp_reset(struct byod_ctx *ctx, int argc, char **argv)
{
	struct byod_err err;

	if (argc != 3)
		return cli_usage("admin totp-reset needs LOGIN");
	if (reg_admin_set_totp(ctx->reg, argv[2], "", 0, &err))
		return cli_fail_err(&err);
	printf("second factor of %s reset: a new one is enrolled at the next login\n", argv[2]);
	return 0;
}

/* ---- tokens ---- */

static int token_add(struct byod_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{"name", required_argument, NULL, 'n'},
		{"days", required_argument, NULL, 'd'},
		{NULL, 0, NULL, 0},
	};
	struct reg_admin_token t;
	struct reg_admin a;
	struct byod_err err;
	char token[WEB_TOKEN_LEN + 1], expires[32], *end;
	const char *name = NULL;
	long days = TOKEN_DAYS_DEFAULT;
	int c, rc;

	optind = 3;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			name = optarg;
			break;
		case 'd':
			errno = 0;
			days = strtol(optarg, &end, 10);
			if (errno || *end || days < 1 || days > TOKEN_DAYS_MAX)
				return cli_fail("--days takes 1 to %d, not '%s'", TOKEN_DAYS_MAX,
						optarg);
			break;
		default:
			return cli_usage(NULL);
		}
	}
	if (optind != argc - 1 || !name)
		return cli_usage("admin token add needs LOGIN and --name NAME");
	if (strlen(name) >= sizeof(t.name))
		return cli_fail("token name too long (at most %zu characters)", sizeof(t.name) - 1);
	rc = reg_admin_get(ctx->reg, argv[optind], &a, &err);
	explicit_bzero(a.password_hash, sizeof(a.password_hash));
	explicit_bzero(a.totp_secret, sizeof(a.totp_secret));
	if (rc)
		return cli_fail_err(&err);
	memset(&t, 0, sizeof(t));
	t.admin = a.id;
	snprintf(t.name, sizeof(t.name), "%s", name);
	t.created = time(NULL);
	t.expires = t.created + (time_t)days * 86400;
	if (web_token_new(token) || web_token_hash(token, t.id_hash))
		return cli_fail("no randomness for a token");
	rc = reg_admin_token_add(ctx->reg, &t, &err);
	if (rc) {
		explicit_bzero(token, sizeof(token));
		return cli_fail_err(&err);
	}
	/* the token on stdout alone (a script reads it), what it is on stderr */
	printf("%s\n", token);
	fflush(stdout);
	explicit_bzero(token, sizeof(token));
	fprintf(stderr,
		"byodctl: API token %.12s for %s, expires %s; it is shown once and cannot be "
		"shown again\n",
		t.id_hash, a.login, byod_time_iso(t.expires, expires, sizeof(expires)));
	return 0;
}

struct token_print {
	struct byod_ctx *ctx;
	json_t *list;
	time_t now;
};

static int print_token(const struct reg_admin_token *t, void *arg)
{
	struct token_print *tp = arg;
	struct reg_admin a;
	struct byod_err err;
	char created[32], expires[32], used[32];
	const char *state = t->expires && t->expires <= tp->now ? "expired" : "live";

	if (reg_admin_get_by_id(tp->ctx->reg, t->admin, &a, &err))
		snprintf(a.login, sizeof(a.login), "?");
	explicit_bzero(a.password_hash, sizeof(a.password_hash));
	explicit_bzero(a.totp_secret, sizeof(a.totp_secret));
	time_or_dash(t->created, created, sizeof(created));
	time_or_dash(t->expires, expires, sizeof(expires));
	time_or_dash(t->last_used, used, sizeof(used));
	if (tp->list) {
		json_t *o =
			json_pack("{s:s%, s:s, s:s, s:s, s:s, s:s, s:s}", "id", t->id_hash,
				  (size_t)12, "admin", a.login, "name", t->name, "created", created,
				  "expires", expires, "last_used", used, "state", state);

		return o ? json_array_append_new(tp->list, o) : -ENOMEM;
	}
	printf("%-12.12s %-20s %-7s %-20s %-20s %-20s %s\n", t->id_hash, a.login, state, created,
	       expires, used, t->name);
	return 0;
}

static int token_list(struct byod_ctx *ctx, int argc, char **argv)
{
	struct token_print tp = {ctx, NULL, time(NULL)};
	struct reg_admin a;
	struct byod_err err;
	const char *login = NULL;
	int64_t admin = 0;
	int i, rc;

	for (i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--json") && !tp.list)
			tp.list = json_array();
		else if (argv[i][0] != '-' && !login)
			login = argv[i];
		else
			return json_decref(tp.list), cli_usage("admin token list [LOGIN] [--json]");
	}
	if (login) {
		rc = reg_admin_get(ctx->reg, login, &a, &err);
		admin = a.id;
		explicit_bzero(&a, sizeof(a));
		if (rc)
			return json_decref(tp.list), cli_fail_err(&err);
	}
	if (!tp.list)
		printf("%-12s %-20s %-7s %-20s %-20s %-20s %s\n", "ID", "ADMIN", "STATE", "CREATED",
		       "EXPIRES", "LAST USED", "NAME");
	rc = reg_admin_token_list(ctx->reg, admin, print_token, &tp, &err);
	if (rc) {
		json_decref(tp.list);
		return rc == -ENOMEM ? cli_fail("out of memory") : cli_fail_err(&err);
	}
	return tp.list ? cli_json(tp.list) : 0;
}

struct token_find {
	const char *prefix;
	char hash[REG_HASH_HEX];
	int n;
};

static int find_token(const struct reg_admin_token *t, void *arg)
{
	struct token_find *f = arg;

	if (!strncmp(t->id_hash, f->prefix, strlen(f->prefix))) {
		snprintf(f->hash, sizeof(f->hash), "%s", t->id_hash);
		f->n++;
	}
	return 0;
}

static int token_revoke(struct byod_ctx *ctx, int argc, char **argv)
{
	struct token_find f = {0};
	struct byod_err err;
	size_t i, n;

	if (argc != 4)
		return cli_usage("admin token revoke needs ID (from admin token list)");
	f.prefix = argv[3];
	n = strlen(f.prefix);
	for (i = 0; i < n; i++)
		if (!((f.prefix[i] >= '0' && f.prefix[i] <= '9') ||
		      (f.prefix[i] >= 'a' && f.prefix[i] <= 'f')))
			break;
	if (i != n || n < TOKEN_ID_MIN || n > 64)
		return cli_fail("'%s' is not a token id (%d to 64 lowercase hex digits, as admin "
				"token list shows)",
				f.prefix, TOKEN_ID_MIN);
	if (reg_admin_token_list(ctx->reg, 0, find_token, &f, &err))
		return cli_fail_err(&err);
	if (f.n == 0)
		return cli_fail("no API token %s", f.prefix);
	if (f.n > 1)
		return cli_fail("%d API tokens begin with %s: give more digits", f.n, f.prefix);
	if (reg_admin_token_delete(ctx->reg, f.hash, &err))
		return cli_fail_err(&err);
	printf("API token %.12s revoked\n", f.hash);
	return 0;
}

static int admin_token(struct byod_ctx *ctx, int argc, char **argv)
{
	if (argc < 3)
		return cli_usage("admin token takes: add, list, revoke");
	if (!strcmp(argv[2], "add"))
		return token_add(ctx, argc, argv);
	if (!strcmp(argv[2], "list"))
		return token_list(ctx, argc, argv);
	if (!strcmp(argv[2], "revoke"))
		return token_revoke(ctx, argc, argv);
	return cli_usage("admin token takes: add, list, revoke");
}

int cli_admin(const char *home, int argc, char **argv)
{
	struct byod_ctx *ctx;
	const char *sub = argc >= 2 ? argv[1] : "";
	int rc;

	if (strcmp(sub, "add") && strcmp(sub, "list") && strcmp(sub, "disable") &&
	    strcmp(sub, "enable") && strcmp(sub, "passwd") && strcmp(sub, "totp-reset") &&
	    strcmp(sub, "token"))
		return cli_usage("admin takes: add, list, disable, enable, passwd, totp-reset, "
				 "token");
	rc = cli_open(home, &ctx);
	if (rc)
		return rc;
	if (!strcmp(sub, "add"))
		rc = admin_add(ctx, argc, argv);
	else if (!strcmp(sub, "list"))
		rc = admin_list(ctx, argc, argv);
	else if (!strcmp(sub, "disable"))
		rc = admin_state(ctx, argc, argv, REG_PERSON_DISABLED);
	else if (!strcmp(sub, "enable"))
		rc = admin_state(ctx, argc, argv, REG_PERSON_ACTIVE);
	else if (!strcmp(sub, "passwd"))
		rc = admin_passwd(ctx, argc, argv);
	else if (!strcmp(sub, "totp-reset"))
		rc = admin_totp_reset(ctx, argc, argv);
	else
		rc = admin_token(ctx, argc, argv);
	byod_close(ctx);
	return rc;
}
