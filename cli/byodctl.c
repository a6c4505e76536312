// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * byodctl: the administrator's command line. Thin: it parses arguments,
 * calls core/ (which combines the registry and the CA) and prints. Exit 0 on
 * success; on failure one line on stderr and exit 1 (2 for a usage error).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <grp.h>
#include <jansson.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "byod.h"
#include "byod_util.h"
#include "byodctl.h"
#include "login_throttle.h"

/* One line (or more) of the usage text: what to type, and what it does. */
struct cli_usage_line {
	const char *synopsis; /* "\n" starts a continuation line */
	const char *help;     /* NULL: none; a leading "\n" puts it on a line of its own */
};

/* A command: its name, what runs it, and its lines in the usage text. */
struct cli_command {
	const char *name;
	int (*run)(const char *home, int argc, char **argv);
	const struct cli_usage_line *usage; /* ended by { NULL }; NULL: not listed */
};

static void usage_print(FILE *f);

int cli_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("byodctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_FAILURE;
}

int cli_fail_err(const struct byod_err *err)
{
	char buf[1200];

	return cli_fail("%s", byod_err_str(err, buf, sizeof(buf)));
}

int cli_usage(const char *why)
{
	if (why)
		fprintf(stderr, "byodctl: %s\n", why);
	usage_print(stderr);
	return EXIT_USAGE;
}

static const char *home_dir(const char *opt)
{
	const char *env = getenv("BYOD_HOME");

	if (opt)
		return opt;
	return env && env[0] ? env : BYOD_DEFAULT_HOME;
}

void cli_actor(char *out, size_t len)
{
	const char *sudo = getenv("SUDO_USER");
	struct passwd *pw = getpwuid(getuid());

	snprintf(out, len, "byodctl:%s", sudo && sudo[0] ? sudo : pw ? pw->pw_name : "?");
}

int cli_open(const char *home, struct byod_ctx **ctx)
{
	struct byod_err err;
	char actor[64];

	cli_actor(actor, sizeof(actor));
	if (byod_open(home, actor, ctx, &err))
		return cli_fail_err(&err);
	return 0;
}

static char *time_str(time_t t, char *buf, size_t len)
{
	if (!t)
		snprintf(buf, len, "-");
	else
		byod_time_iso(t, buf, len);
	return buf;
}

/* ---- init, school ---- */

/* The owner HOME is handed to (init as root into a directory of another
 * user's: /var/lib/byod, byod:byod, made by the package). */
static uid_t give_uid;
static gid_t give_gid;

static int give_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return lchown(path, give_uid, give_gid) ? -errno : 0;
}

/*
 * After init as root into a directory that belonged to another user
 * before (the daemons' system user): what init made becomes that user's,
 * as the daemons will open it; modes stay as init made them (the CA key
 * 0600). init puts HOME in place whole (a directory of root's renamed over
 * the empty one), so every directory is root's until it is handed over;
 * the walk hands each one over only after everything in it (FTW_DEPTH),
 * HOME last: the new owner never holds a directory the walk has still to
 * go through, and cannot lead it elsewhere. before: HOME's stat before
 * init, NULL when it did not exist.
 */
static int give_home(const char *home, const struct stat *before)
{
	struct stat now;
	int rc;

	if (geteuid() != 0 || !before || before->st_uid == 0)
		return 0;
	if (lstat(home, &now) || !S_ISDIR(now.st_mode) || now.st_uid != 0)
		return cli_fail("%s is not root's directory after init: not handed to uid %u", home,
				(unsigned)before->st_uid);
	give_uid = before->st_uid;
	give_gid = before->st_gid;
	rc = nftw(home, give_one, 16, FTW_PHYS | FTW_DEPTH | FTW_MOUNT);
	if (rc)
		return cli_fail("cannot hand %s to its owner: %s", home,
				strerror(rc < 0 ? -rc : errno));
	{
		struct passwd *pw = getpwuid(give_uid);
		struct group *gr = getgrgid(give_gid);
		char u[32], g[32];

		snprintf(u, sizeof(u), "%u", (unsigned)give_uid);
		snprintf(g, sizeof(g), "%u", (unsigned)give_gid);
		printf("%s and what init made in it belong to %s:%s, who owned it\n", home,
		       pw ? pw->pw_name : u, gr ? gr->gr_name : g);
	}
	return 0;
}

static int cmd_init(const char *home, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "school", required_argument, NULL, 's' },
		{ "name", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct byod_init_params p = { 0 };
	struct byod_err err;
	struct stat before;
	char expected;
	int c, had_home;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 's')
			p.uai = optarg;
		else if (c == 'n')
			p.name = optarg;
		else
			return cli_usage(NULL);
	}
	if (!p.uai || !p.name || optind != argc)
		return cli_usage("init needs --school UAI and --name NAME");
	if (!byod_uai_check(p.uai, &expected) && p.uai[7] != expected)
		fprintf(stderr,
			"byodctl: warning: the check letter of %s should be %c; is it mistyped?\n",
			p.uai, expected);
	had_home = !lstat(home, &before) && S_ISDIR(before.st_mode);
	if (byod_home_init(home, &p, &err))
		return cli_fail_err(&err);
	printf("initialised %s for %s (%s)\n", home, p.name, p.uai);
	return give_home(home, had_home ? &before : NULL);
}

static int cmd_school(const char *home, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct reg_school school = { 0 };
	struct byod_ctx *ctx;
	struct byod_err err;
	const char *name = NULL;
	int c, rc;

	if (argc < 2 || strcmp(argv[1], "add"))
		return cli_usage("school takes: add");
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'n')
			name = optarg;
		else
			return cli_usage(NULL);
	}
	if (!name || optind != argc - 1)
		return cli_usage("school add needs UAI and --name NAME");
	if (strlen(argv[optind]) >= sizeof(school.uai) || strlen(name) >= sizeof(school.name))
		return cli_fail("UAI or name too long");
	snprintf(school.uai, sizeof(school.uai), "%s", argv[optind]);
	snprintf(school.name, sizeof(school.name), "%s", name);
	rc = cli_open(home, &ctx);
	if (rc)
		return rc;
	rc = reg_school_add(ctx->reg, &school, &err) ? cli_fail_err(&err) : 0;
	byod_close(ctx);
	return rc;
}

/* ---- user ---- */

static int read_password(char *buf, size_t len)
{
	size_t n;

	if (!fgets(buf, (int)len, stdin))
		return -1;
	n = strlen(buf);
	if (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	if (n && buf[n - 1] == '\r')
		buf[--n] = '\0';
	return n ? 0 : -1;
}

int cli_read_password(char *buf, size_t len)
{
	return read_password(buf, len);
}

static int cmd_user_add(struct byod_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "school", required_argument, NULL, 's' },
		{ "group", required_argument, NULL, 'g' },
		{ "name", required_argument, NULL, 'n' },
		{ "password-stdin", no_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	struct reg_person p = { 0 };
	struct byod_err err;
	char password[512] = "";
	const char *role = NULL, *school = NULL, *name = NULL;
	int c, want_password = 0, rc;

	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		size_t used = strlen(p.groups);

		switch (c) {
		case 'r':
			role = optarg;
			break;
		case 's':
			school = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'g':
			if (used + strlen(optarg) + 2 > sizeof(p.groups))
				return cli_fail("too many groups");
			snprintf(p.groups + used, sizeof(p.groups) - used, "%s%s",
				 used ? " " : "", optarg);
			break;
		case 'p':
			want_password = 1;
			break;
		default:
			return cli_usage(NULL);
		}
	}
	if (optind != argc - 1 || !role || !school)
		return cli_usage("user add needs LOGIN, --role ROLE and --school UAI");
	if (strlen(argv[optind]) >= sizeof(p.login))
		return cli_fail("login too long: %s", argv[optind]);
	snprintf(p.login, sizeof(p.login), "%s", argv[optind]);
	if (byod_role_parse(role) < 0)
		return cli_fail("unknown role '%s' (student, teacher, staff or guest)", role);
	p.role = (enum byod_role)byod_role_parse(role);
	if (strlen(school) >= sizeof(p.school))
		return cli_fail("'%s' is not a UAI", school);
	snprintf(p.school, sizeof(p.school), "%s", school);
	snprintf(p.display_name, sizeof(p.display_name), "%s", name ? name : argv[optind]);
	p.state = REG_PERSON_ACTIVE;
	if (want_password && read_password(password, sizeof(password)))
		return cli_fail("no password on standard input");
	rc = byod_user_add(ctx, &p, password, &err) ? cli_fail_err(&err) : 0;
	explicit_bzero(password, sizeof(password));
	return rc;
}

/* user unlock LOGIN [--address ADDR]: an administrator clears the portal's
 * login throttle for an account (audited as user.unlock). */
static int cmd_user_unlock(struct byod_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "address", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	const char *address = NULL;
	struct byod_err err;
	int c, n = 0;

	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'a')
			return cli_usage(NULL);
		address = optarg;
	}
	if (optind != argc - 1)
		return cli_usage("user unlock needs LOGIN [--address ADDR]");
	if (byod_login_unlock(ctx->reg, argv[optind], address, &n, &err))
		return cli_fail_err(&err);
	if (address)
		printf("%s unlocked from %s (%d throttle record%s cleared)\n", argv[optind], address,
		       n, n == 1 ? "" : "s");
	else
		printf("%s unlocked from every address (%d throttle record%s cleared)\n",
		       argv[optind], n, n == 1 ? "" : "s");
	return 0;
}

static int print_person(const struct reg_person *p, void *arg)
{
	json_t *list = arg;

	if (list)
		return json_array_append_new(
			list, json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:s}", "login", p->login,
					"display_name", p->display_name, "role",
					byod_role_name(p->role), "school", p->school, "groups",
					p->groups, "password_set", p->password_hash[0] != '\0',
					"state",
					p->state == REG_PERSON_ACTIVE ? "active" : "disabled"));
	printf("%-24s %-8s %-9s %-16s %s\n", p->login, byod_role_name(p->role), p->school,
	       p->groups[0] ? p->groups : "-", p->display_name);
	return 0;
}

int cli_json(json_t *v)
{
	int rc = json_dumpf(v, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII) ? -1 : 0;

	putchar('\n');
	json_decref(v);
	return rc ? cli_fail("cannot write JSON") : 0;
}

static int cmd_user(const char *home, int argc, char **argv)
{
	struct byod_import_result res;
	struct byod_ctx *ctx;
	struct byod_err err;
	json_t *list = NULL;
	int rc;

	if (argc < 2)
		return cli_usage("user takes: add, import, sync, leave, departures, list, unlock");
	rc = cli_open(home, &ctx);
	if (rc)
		return rc;
	if (!strcmp(argv[1], "add")) {
		rc = cmd_user_add(ctx, argc, argv);
	} else if (!strcmp(argv[1], "import")) {
		if (argc != 3)
			rc = cli_usage("user import needs FILE.csv");
		else if (byod_users_import_csv(ctx, argv[2], &res, &err))
			rc = cli_fail_err(&err);
		else
			printf("imported %d accounts\n", res.rows);
	} else if (!strcmp(argv[1], "list")) {
		if (argc == 3 && !strcmp(argv[2], "--json"))
			list = json_array();
		else if (argc != 2)
			rc = cli_usage("user list takes only --json");
		if (!rc && reg_person_list(ctx->reg, print_person, list, &err))
			rc = cli_fail_err(&err);
		if (list)
			rc = rc ? rc : cli_json(list);
		else
			json_decref(list);
	} else if (!strcmp(argv[1], "unlock")) {
		rc = cmd_user_unlock(ctx, argc, argv);
	} else if (!strcmp(argv[1], "sync") || !strcmp(argv[1], "leave") ||
		   !strcmp(argv[1], "departures")) {
		rc = cli_user_leaving(ctx, argc, argv);
	} else {
		rc = cli_usage("user takes: add, import, sync, leave, departures, list, unlock");
	}
	byod_close(ctx);
	return rc;
}

/* ---- device ---- */

static int write_out(const char *dir, const char *name, const void *data, size_t len,
		     mode_t mode, char *path, size_t plen)
{
	struct byod_err err;

	if (byod_path_join(path, plen, dir, name))
		return cli_fail("path too long: %s/%s", dir, name);
	if (byod_file_write(path, data, len, mode, 0, &err))
		return cli_fail_err(&err);
	return 0;
}

/* An enrolment or renewal refused while the registry's answer to its
 * commit was lost: a few tries over about six seconds (a failover) to
 * settle it now, revoking its certificate if it was written after all; what
 * stays unsettled waits in HOME/unsettled for the next enrolment or the
 * portal. */
static void settle_soon(struct byod_ctx *ctx)
{
	static const unsigned wait_s[] = {1, 2, 3};
	struct byod_err err;
	size_t i;

	for (i = 0; i < sizeof(wait_s) / sizeof(wait_s[0]); i++) {
		sleep(wait_s[i]);
		if (!byod_unsettled_settle(ctx, &err)) {
			fprintf(stderr, "byodctl: the registry answers again: what it may have "
					"written of this is revoked\n");
			return;
		}
	}
	fprintf(stderr, "byodctl: %s\n", err.msg);
}

/* Writes an issued certificate (enrolment or renewal) into out: PEM, key,
 * PKCS#12 (modern form), ca.pem; says where (JSON with json). */
static int issued_out(struct byod_ctx *ctx, struct byod_enrolment *ep, const char *out, int json)
{
	struct byod_err err;
	struct pki_ca *ca;
	const unsigned char *p12 = NULL;
	size_t p12_len = 0;
	char name[64], path[4096], certpath[4096], p12path[4096] = "";
	char expires[32];
	int rc;

	/* Recorded: now it may be handed out, the PKCS#12 in its modern form. */
	if (ep->cert.key && pki_issued_p12(&ep->cert, PKI_P12_MODERN, &p12, &p12_len, &err))
		return cli_fail_err(&err);
	snprintf(name, sizeof(name), "%s.pem", ep->device.id);
	rc = write_out(out, name, ep->cert.cert_pem, strlen(ep->cert.cert_pem), 0644, certpath,
		       sizeof(certpath));
	if (!rc && ep->cert.key_pem) {
		snprintf(name, sizeof(name), "%s.key", ep->device.id);
		rc = write_out(out, name, ep->cert.key_pem, strlen(ep->cert.key_pem), 0600, path,
			       sizeof(path));
	}
	if (!rc && p12) {
		snprintf(name, sizeof(name), "%s.p12", ep->device.id);
		rc = write_out(out, name, p12, p12_len, 0600, p12path, sizeof(p12path));
	}
	if (!rc && !(rc = byod_ca(ctx, &ca, &err) ? cli_fail_err(&err) : 0))
		rc = write_out(out, "ca.pem", pki_ca_pem(ca), strlen(pki_ca_pem(ca)), 0644, path,
			       sizeof(path));
	if (!rc) {
		byod_time_iso(ep->cert.not_after, expires, sizeof(expires));
		if (json) {
			json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "device", ep->device.id,
					      "serial", ep->cert.serial, "expires", expires,
					      "certificate", certpath);

			if (p12) {
				json_object_set_new(o, "pkcs12", json_string(p12path));
				json_object_set_new(o, "passphrase",
						    json_string(ep->cert.passphrase));
			}
			if (ep->retired[0])
				json_object_set_new(o, "retired", json_string(ep->retired));
			if (ep->over_limit)
				json_object_set_new(o, "over_limit", json_true());
			if (ep->replaces[0])
				json_object_set_new(o, "replaces", json_string(ep->replaces));
			rc = cli_json(o);
		} else {
			printf("device:     %s\n", ep->device.id);
			printf("serial:     %s\n", ep->cert.serial);
			printf("expires:    %s\n", expires);
			if (p12) {
				printf("pkcs12:     %s\n", p12path);
				printf("passphrase: %s\n", ep->cert.passphrase);
			}
			if (ep->retired[0])
				printf("retired:    %s\n", ep->retired);
			if (ep->over_limit)
				printf("over limit: yes (recorded in the audit log)\n");
			if (ep->replaces[0])
				printf("replaces:   %s (valid until the new one is first "
				       "seen)\n",
				       ep->replaces);
		}
	}
	return rc;
}

static int cmd_device_enrol(struct byod_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "kind", required_argument, NULL, 'k' },
		{ "mac", required_argument, NULL, 'm' },
		{ "csr", required_argument, NULL, 'c' },
		{ "out", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "retire", required_argument, NULL, 'r' },
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct byod_enrol_params p = { .kind = BYOD_KIND_OTHER };
	struct byod_enrolment e;
	struct byod_err err;
	const char *out = NULL, *csr_file = NULL;
	char *csr = NULL;
	char mac[REG_MAC_MAX];
	int c, rc, json = 0;

	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			p.name = optarg;
			break;
		case 'k':
			if (byod_kind_parse(optarg) < 0)
				return cli_fail("unknown kind '%s' (phone, tablet, laptop or other)",
					    optarg);
			p.kind = (enum byod_kind)byod_kind_parse(optarg);
			break;
		case 'm':
			if (byod_mac_normalise(optarg, mac))
				return cli_fail("'%s' is not a MAC address", optarg);
			p.mac = mac;
			break;
		case 'c':
			csr_file = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'r':
			p.retire = optarg;
			break;
		case 'f':
			p.force = 1;
			break;
		default:
			return cli_usage(NULL);
		}
	}
	if (optind != argc - 1 || !p.name || !out)
		return cli_usage("device enrol needs LOGIN, --name NAME and --out DIR");
	if (p.retire && p.force)
		return cli_usage("device enrol takes --retire ID or --force, not both");
	p.login = argv[optind];
	if (csr_file) {
		if (byod_file_read(csr_file, &csr, &p.csr_len, &err))
			return cli_fail_err(&err);
		p.csr = csr;
	}
	if (byod_mkdir_p(out, 0700, &err)) {
		free(csr);
		return cli_fail_err(&err);
	}
	rc = byod_device_enrol(ctx, &p, &e, &err);
	free(csr);
	if (rc == -ENOTCONN && reg_commit_outcome_unknown(ctx->reg))
		settle_soon(ctx);
	if (rc)
		return cli_fail_err(&err); /* a refusal: the sentence the portal shows */
	if (e.crl_stale)
		fprintf(stderr, "byodctl: warning: %s\n", e.warning.msg);
	rc = issued_out(ctx, &e, out, json);
	byod_enrolment_clear(&e);
	return rc;
}

/* device renew: the next certificate of the same device (core/renew.c). */
static int cmd_device_renew(struct byod_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "csr", required_argument, NULL, 'c' },
		{ "out", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct byod_renew_params p = { 0 };
	struct byod_enrolment e;
	struct reg_device d;
	struct byod_err err;
	const char *out = NULL, *csr_file = NULL;
	char *csr = NULL;
	int c, rc, json = 0;

	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			csr_file = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'f':
			p.force = 1;
			break;
		default:
			return cli_usage(NULL);
		}
	}
	if (optind != argc - 1 || !out)
		return cli_usage("device renew needs ID|SERIAL and --out DIR");
	if (byod_device_resolve(ctx, argv[optind], &d, &err))
		return cli_fail_err(&err);
	p.device = d.id;
	if (csr_file) {
		if (byod_file_read(csr_file, &csr, &p.csr_len, &err))
			return cli_fail_err(&err);
		p.csr = csr;
	}
	if (byod_mkdir_p(out, 0700, &err)) {
		free(csr);
		return cli_fail_err(&err);
	}
	rc = byod_device_renew(ctx, &p, &e, &err);
	free(csr);
	if (rc == -ENOTCONN && reg_commit_outcome_unknown(ctx->reg))
		settle_soon(ctx);
	if (rc)
		return cli_fail_err(&err);
	rc = issued_out(ctx, &e, out, json);
	byod_enrolment_clear(&e);
	return rc;
}

struct list_ctx {
	struct byod_ctx *ctx;
	json_t *list;
};

static int add_cert_json(const struct reg_cert *c, void *arg)
{
	char nb[32], na[32], ra[32];
	json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "serial", c->serial, "state",
			      c->state == REG_CERT_VALID ? "valid" : "revoked", "not_before",
			      time_str(c->not_before, nb, sizeof(nb)), "not_after",
			      time_str(c->not_after, na, sizeof(na)));

	if (c->state == REG_CERT_REVOKED) {
		json_object_set_new(o, "revoked_at",
				    json_string(time_str(c->revoked_at, ra, sizeof(ra))));
		json_object_set_new(o, "reason", json_string(reg_reason_name(c->reason)));
	}
	if (c->replaces[0])
		json_object_set_new(o, "replaces", json_string(c->replaces));
	if (c->first_seen)
		json_object_set_new(o, "first_seen",
				    json_string(time_str(c->first_seen, ra, sizeof(ra))));
	return json_array_append_new(arg, o);
}

static int last_serial(const struct reg_cert *c, void *arg)
{
	snprintf(arg, REG_SERIAL_MAX, "%s", c->serial);
	return 0;
}

static int print_device(const struct reg_device *d, void *arg)
{
	struct list_ctx *l = arg;
	char created[32], expires[32], serial[REG_SERIAL_MAX] = "-";

	time_str(d->created, created, sizeof(created));
	time_str(d->expires, expires, sizeof(expires));
	if (l->list) {
		json_t *certs = json_array();
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id", d->id,
				      "owner", d->owner_login, "name", d->name, "kind",
				      byod_kind_name(d->kind), "state",
				      byod_device_state_name(d->state), "mac", d->mac, "charter",
				      d->charter, "created", created, "expires", expires);

		if (reg_cert_list_for_device(l->ctx->reg, d->id, add_cert_json, certs, NULL)) {
			json_decref(certs);
			json_decref(o);
			return -EIO;
		}
		json_object_set_new(o, "certificates", certs);
		return json_array_append_new(l->list, o);
	}
	reg_cert_list_for_device(l->ctx->reg, d->id, last_serial, serial, NULL);
	printf("%s  %-16s %-9s %-7s %-20s %-34s %s\n", d->id, d->owner_login,
	       byod_device_state_name(d->state), byod_kind_name(d->kind), expires, serial,
	       d->name);
	return 0;
}

static int cmd_device_list(struct byod_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "owner", required_argument, NULL, 'o' },
		{ "state", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct reg_device_filter f = { .owner_login = NULL, .state = -1 };
	struct list_ctx l = { .ctx = ctx };
	struct byod_err err;
	char owner[REG_LOGIN_MAX];
	int c, json = 0;

	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'o') {
			if (byod_login_normalise(optarg, owner, sizeof(owner)))
				return cli_fail("'%s' is not a login", optarg);
			f.owner_login = owner;
		} else if (c == 's') {
			if (byod_device_state_parse(optarg) < 0 ||
			    byod_device_state_parse(optarg) == BYOD_DEVICE_UNKNOWN)
				return cli_fail("unknown state '%s' (active, suspended, revoked, "
					    "retired)",
					    optarg);
			f.state = byod_device_state_parse(optarg);
		} else if (c == 'j') {
			json = 1;
		} else {
			return cli_usage(NULL);
		}
	}
	if (optind != argc)
		return cli_usage("device list takes only options");
	if (json)
		l.list = json_array();
	else
		printf("%-36s  %-16s %-9s %-7s %-20s %-34s %s\n", "ID", "OWNER", "STATE", "KIND",
		       "EXPIRES", "SERIAL", "NAME");
	if (reg_device_list(ctx->reg, &f, print_device, &l, &err)) {
		json_decref(l.list);
		return cli_fail_err(&err);
	}
	return json ? cli_json(l.list) : 0;
}

static int cmd_device_revoke(struct byod_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	struct reg_device d;
	struct byod_err err;
	int c, reason = REG_REASON_UNSPECIFIED;

	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'r') {
			if (reg_reason_parse(optarg, &reason))
				return cli_fail("unknown reason '%s' (unspecified, lost, "
					    "key-compromise, superseded, retired, "
					    "privilege-withdrawn, affiliation-changed)",
					    optarg);
		} else {
			return cli_usage(NULL);
		}
	}
	if (optind != argc - 1)
		return cli_usage("device revoke needs ID or SERIAL");
	if (byod_device_revoke(ctx, argv[optind], reason, BYOD_DEVICE_REVOKED, &d, &err))
		return cli_fail_err(&err);
	printf("revoked %s (%s, %s)\n", d.id, d.owner_login, d.name);
	return 0;
}

/* Suspension is reversible: the certificate stays valid, the gateway
 * refuses the device until it is resumed. */
static int cmd_device_suspend(struct byod_ctx *ctx, int argc, char **argv, int suspend)
{
	struct reg_device d;
	struct byod_err err;

	if (argc != 3)
		return cli_usage("device suspend|resume needs ID or SERIAL");
	if (byod_device_resolve(ctx, argv[2], &d, &err))
		return cli_fail_err(&err);
	if (d.state != BYOD_DEVICE_ACTIVE && d.state != BYOD_DEVICE_SUSPENDED)
		return cli_fail("device %s is %s", d.id, byod_device_state_name(d.state));
	if (reg_device_set_state(ctx->reg, d.id,
				 suspend ? BYOD_DEVICE_SUSPENDED : BYOD_DEVICE_ACTIVE, &err))
		return cli_fail_err(&err);
	printf("%s %s (%s, %s)\n", suspend ? "suspended" : "resumed", d.id, d.owner_login, d.name);
	return 0;
}

static int cmd_device(const char *home, int argc, char **argv)
{
	static const char *const verbs[] = { "enrol", "renew", "list", "revoke", "suspend",
					     "resume", NULL };
	struct byod_ctx *ctx;
	const char *const *v;
	int rc;

	for (v = verbs; argc >= 2 && *v && strcmp(argv[1], *v); v++)
		;
	if (argc < 2 || !*v)
		return cli_usage("device takes: enrol, renew, list, revoke, suspend, resume");
	rc = cli_open(home, &ctx);
	if (rc)
		return rc;
	if (!strcmp(argv[1], "enrol"))
		rc = cmd_device_enrol(ctx, argc, argv);
	else if (!strcmp(argv[1], "renew"))
		rc = cmd_device_renew(ctx, argc, argv);
	else if (!strcmp(argv[1], "list"))
		rc = cmd_device_list(ctx, argc, argv);
	else if (!strcmp(argv[1], "revoke"))
		rc = cmd_device_revoke(ctx, argc, argv);
	else
		rc = cmd_device_suspend(ctx, argc, argv, !strcmp(argv[1], "suspend"));
	byod_close(ctx);
	return rc;
}

/* ---- ca, audit, events ---- */

static int cmd_ca(const char *home, int argc, char **argv)
{
	struct byod_ctx *ctx;
	struct byod_err err;
	int rc;

	if (argc != 4 || strcmp(argv[1], "crl") || strcmp(argv[2], "--out"))
		return cli_usage("ca takes: crl --out FILE");
	rc = cli_open(home, &ctx);
	if (rc)
		return rc;
	rc = byod_crl_publish(ctx, argv[3], &err) ? cli_fail_err(&err) : 0;
	byod_close(ctx);
	return rc;
}

static int print_audit(const struct reg_audit *a, void *arg)
{
	char t[32];

	byod_time_iso(a->time, t, sizeof(t));
	if (arg) {
		json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s}", "id", (json_int_t)a->id, "time",
				      t, "actor", a->actor, "action", a->action, "object",
				      a->object);

		json_object_set_new(o, "before", a->before ? json_loads(a->before, 0, NULL)
							   : json_null());
		json_object_set_new(o, "after", a->after ? json_loads(a->after, 0, NULL)
							 : json_null());
		json_object_set_new(o, "school", json_string(a->school));
		return json_array_append_new(arg, o);
	}
	printf("%-6lld %s %-20s %-18s %s\n", (long long)a->id, t, a->actor, a->action, a->object);
	return 0;
}

static int cmd_audit(const char *home, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "limit", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct byod_ctx *ctx;
	struct byod_err err;
	json_t *list = NULL;
	int c, rc, limit = 50;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'l')
			limit = atoi(optarg);
		else if (c == 'j')
			list = list ? list : json_array();
		else
			return cli_usage(NULL);
	}
	rc = cli_open(home, &ctx);
	if (rc) {
		json_decref(list);
		return rc;
	}
	rc = reg_audit_list(ctx->reg, limit, print_audit, list, &err) ? cli_fail_err(&err) : 0;
	if (list)
		rc = rc ? (json_decref(list), rc) : cli_json(list);
	byod_close(ctx);
	return rc;
}

static int print_event(const struct reg_event *e, void *arg)
{
	char t[32];

	printf("%lld %s %s %s\n", (long long)e->seq, byod_time_iso(e->time, t, sizeof(t)),
	       e->kind, e->object);
	return 0;
}

static int cmd_events(const char *home, int argc, char **argv)
{
	struct byod_ctx *ctx;
	struct byod_err err;
	long long since = 0;
	int rc;

	if (argc == 3 && !strcmp(argv[1], "--since"))
		since = atoll(argv[2]);
	else if (argc != 1)
		return cli_usage("events takes only --since SEQ");
	rc = cli_open(home, &ctx);
	if (rc)
		return rc;
	rc = reg_events_since(ctx->reg, since, 0, print_event, NULL, &err) ? cli_fail_err(&err) : 0;
	byod_close(ctx);
	return rc;
}

static int cmd_help(const char *home, int argc, char **argv)
{
	usage_print(stdout);
	return 0;
}

#define USAGE(...) ((const struct cli_usage_line[]){ __VA_ARGS__, { NULL, NULL } })

/* Every command, in the order the usage text lists them. */
static const struct cli_command commands[] = {
	{ "init", cmd_init,
	  USAGE({ "init --school UAI --name NAME", "create the state directory, registry and CA" }) },
	{ "school", cmd_school,
	  USAGE({ "school add UAI --name NAME", "add a school (one registry, several schools)" }) },
	{ "user", cmd_user,
	  USAGE({ "user add LOGIN --role ROLE --school UAI [--name DISPLAY] [--group G]...\n"
		  "[--password-stdin]",
		  "add an account" },
		{ "user import FILE.csv", "import accounts, all or nothing" },
		{ "user sync FILE.csv [--apply] [--leave-date YYYY-MM-DD] [--school UAI]",
		  "\nthe rentrée: arrivals, class changes and\n"
		  "departures (people of the file's schools and\n"
		  "roles not in it); prints them, --apply writes\n"
		  "them; departures leave at 00:00 UTC that day" },
		{ "user leave LOGIN YYYY-MM-DD|none",
		  "devices refused from 00:00 UTC that day" },
		{ "user departures", "disable those whose leaving date has come" },
		{ "user list [--json]", NULL },
		{ "user unlock LOGIN [--address ADDR]",
		  "clear the portal's login throttle for the\n"
		  "account (on one address, or on all), audited" }) },
	{ "device", cmd_device,
	  USAGE({ "device enrol LOGIN --name NAME [--kind phone|tablet|laptop|other] [--mac MAC]\n"
		  "[--csr FILE] [--retire ID | --force] --out DIR [--json]",
		  "\nissue a device certificate; at the role's\n"
		  "limit, retire device ID of the same owner,\n"
		  "or go past the limit (audited)" },
		{ "device renew ID|SERIAL [--csr FILE] [--force] --out DIR [--json]",
		  "\nthe next school year's certificate for the\n"
		  "same device; the old one works until the new\n"
		  "one is first seen at RADIUS. --force: before\n"
		  "the renewal window opens (audited)" },
		{ "device list [--owner LOGIN] [--state STATE] [--json]", NULL },
		{ "device revoke ID|SERIAL [--reason REASON]", NULL },
		{ "device suspend|resume ID|SERIAL", "refuse a device for a while, or no more" }) },
	{ "ca", cmd_ca,
	  USAGE({ "ca crl --out FILE", "write the current CRL (PEM, or DER for .der)" }) },
	{ "audit", cmd_audit,
	  USAGE({ "audit [--limit N] [--json]", "the audit log, newest first" }) },
	{ "events", cmd_events, USAGE({ "events [--since SEQ]", "the change feed" }) },
	{ "enrol-codes", cli_enrol_codes,
	  USAGE({ "enrol-codes (--group G | --login L...) [--hours N] --out SHEET.html",
		  "\none-time QR enrolment codes for a class" }) },
	{ "firewall", cli_firewall,
	  USAGE({ "firewall show|check|apply", "the nftables ruleset from the running policy" },
		{ "firewall links [--json] | links apply",
		  "the segments' interfaces: state, counters" }) },
	{ "hostapd", cli_hostapd,
	  USAGE({ "hostapd config [--out F] [--wired] [--interface IF] [--radius ADDR] "
		  "[--das-client ADDR]\n"
		  "(--secret-file F | --secret-stdin)",
		  "hostapd.conf for 802.1X, DAS, VLANs" }) },
	{ "dnsmasq", cli_dnsmasq,
	  USAGE({ "dnsmasq config [--out FILE]",
		  "dnsmasq.conf: DHCP, option 114, walled garden" }) },
	{ "session", cli_session,
	  USAGE({ "session list [--all] [--device ID] [--json]", "accounting sessions (open ones)" },
		{ "session disconnect ID", "RFC 5176 Disconnect-Request to its NAS" }) },
	{ "policy", cli_policy,
	  USAGE({ "policy check FILE", "every problem as FILE:LINE:COL" },
		{ "policy apply FILE [--comment TEXT] [--school UAI] [--expect N]",
		  "\nstore FILE as the running policy (of the\n"
		  "département, or of school UAI; refused if\n"
		  "version N no longer runs)" },
		{ "policy apply --default --school UAI [--comment TEXT]",
		  "\nschool UAI back to the département's default" },
		{ "policy show [--version N] [--school UAI]", NULL },
		{ "policy history [--json] [--school UAI]", NULL },
		{ "policy rollback N [--school UAI] [--expect N]", "run version N's text again" },
		{ "policy explain DEVICE [--at TIME] [--method mac] [--school UAI]",
		  "\nwhich rule decides, and why not the others" },
		{ "policy diff (FILE | --default) [--list] [--json] [--at TIME] [--school UAI]",
		  "\nwhich devices FILE would move" }) },
	{ "unlock", cli_unlock,
	  USAGE({ "unlock open --teacher LOGIN --group G --minutes N [--json]",
		  "\na teacher opens their class (1-120 min.)" },
		{ "unlock close ID --teacher LOGIN", "close it early" },
		{ "unlock list [--school UAI] [--json]", "the classes open now" }) },
	{ "registry", cli_registry,
	  USAGE({ "registry copy --to URL [--school UAI] [--no-policies] [--json]",
		  "\ncopy the school into another registry\n"
		  "(postgresql://..., sqlite:///path or a path),\n"
		  "all or nothing, checked table by table" },
		{ "registry migrate", "bring the registry's schema to this\nbyodctl's newest (what an upgrade runs)" },
		{ "registry roles [--apply]",
		  "PostgreSQL: one role per program, with\n"
		  "only its rights (print the SQL, or run it)" }) },
	{ "doctor", cli_doctor,
	  USAGE({ "doctor [--json] [--check NAME,...] [--raddb DIR] [--ap-silent MINUTES]",
		  "\nthe school's health, one line a check:\n"
		  "OK, WARN, or FAIL with what to do (exit 1);\n"
		  "the registry (never migrated), its primary,\n"
		  "standbys and followers; the CA key, the CRL,\n"
		  "the portal's certificate, FreeRADIUS and\n"
		  "rlm_byod, the gateway's ruleset, the access\n"
		  "points, the clocks" }) },
	{ "backup", cli_backup,
	  USAGE({ "backup --out FILE [--raddb DIR] [--passphrase-file F] [--json]",
		  "\nthe registry, byod.conf, the CA and its key,\n"
		  "the charter, DIR's RADIUS secret: one file\n"
		  "(0600), encrypted under the passphrase of F\n"
		  "or $BYOD_BACKUP_PASSPHRASE (12 characters at\n"
		  "least)" }) },
	{ "restore", cli_restore,
	  USAGE({ "restore FILE [--home DIR] [--passphrase-file F]\n"
		  "[--registry-url URL] [--force] [--json]",
		  "\ninto a new HOME, checked before anything\n"
		  "is written; migrations run; PostgreSQL into\n"
		  "the database of the restored registry.url\n"
		  "(or URL); --force moves an old HOME aside" }) },
	{ "metrics", cli_metrics,
	  USAGE({ "metrics [--out FILE] [--radius-spool DIR]",
		  "the same as Prometheus text (node_exporter's\n"
		  "textfile collector): FILE replaced whole; the\n"
		  "RADIUS module's counters from DIR/stats.sock" }) },
	{ "admin", cli_admin,
	  USAGE({ "admin add LOGIN --role departement|school|auditor [--school UAI]...\n"
		  "[--name NAME] --password-stdin | --source NAME",
		  "\nan account of the console (byod-admin): a\n"
		  "school administrator has its schools; an\n"
		  "auditor reads every school, or those given;\n"
		  "--source: it signs in through that ldap or\n"
		  "cas identity source, no password nor TOTP" },
		{ "admin list [--json]", NULL },
		{ "admin disable|enable LOGIN", "disabling ends its console sessions" },
		{ "admin passwd LOGIN --password-stdin", NULL },
		{ "admin totp-reset LOGIN", "a new second factor at the next login" },
		{ "admin token add LOGIN --name NAME [--days N]",
		  "\nan API token for scripts (90 days by\n"
		  "default), printed once" },
		{ "admin token list [LOGIN] [--json]", NULL },
		{ "admin token revoke ID", NULL }) },
	{ "identity", cli_identity,
	  USAGE({ "identity test NAME LOGIN", "\nsign LOGIN in through source NAME (the\n"
		  "password on stdin; a CAS source takes a\n"
		  "ticket) and print the person as mapped,\n"
		  "creating nothing" },
		{ "identity sync NAME [--dry-run]",
		  "\nan LDAP source's people its directory no\n"
		  "longer has, or says have left, get a leaving\n"
		  "date now (refused when it lists nobody, or\n"
		  "more than half would leave)" }) },
	{ "purge", cli_purge,
	  USAGE({ "purge [--dry-run] [--json]",
		  "delete what is past its retention\n"
		  "(retention.* keys; byod-gatewayd runs it\n"
		  "daily); --dry-run only counts" }) },
	{ "connections", cli_connections,
	  USAGE({ "connections (--ip ADDR | --mac MAC) --at TIME [--json]",
		  "\nwho held an address at an instant (a\n"
		  "requisition), from the accounting: device,\n"
		  "owner, school, NAS, session; TIME with its\n"
		  "offset, 2026-12-03T10:15:00+01:00 or ...Z;\n"
		  "an open session counts until its last\n"
		  "update + 20 min (two interim intervals)" }) },
	{ "person", cli_person,
	  USAGE({ "person export LOGIN [--out FILE]",
		  "everything held about a person, as JSON;\n"
		  "FILE is created mode 0600, never over an\n"
		  "existing file or link ('-': stdout)" },
		{ "person erase LOGIN [--yes]",
		  "revoke their devices, then remove them;\n"
		  "accounting kept unlinked, audit under a\n"
		  "pseudonym (without --yes: what it would do)" }) },
	{ "portal", cli_portal,
	  USAGE({ "portal check", "whether phones trust the portal's certificate" }) },
	{ "radius", cli_radius,
	  USAGE({ "radius config --out DIR [--auth-port N] [--acct-port N] [--listen ADDR]\n"
		  "[--client ADDR] [--libdir DIR] [--registration-vlan N] [--secret-stdin]\n"
		  "[--templates DIR]",
		  "a raddb for freeradius -f -d DIR" },
		{ "radius status [--spool DIR] [--json]",
		  "registry reachable or since when not, accounting spooled" },
		{ "radius enable|disable [--raddb DIR]",
		  "\nthe module, its EAP-TLS and its site in\n"
		  "the stock FreeRADIUS configuration\n"
		  "(/etc/freeradius/3.0): links made or removed" }) },
	{ "help", cmd_help, NULL },
};

static const struct cli_command *command_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

/* Columns of the usage text: synopses from 2, continuations from 11, help
 * from 43 (or two spaces after a synopsis that reaches it). */
#define USAGE_INDENT	  "  "
#define USAGE_CONTINUED	  "           "
#define USAGE_HELP_COLUMN 43

static void usage_line(FILE *f, const struct cli_usage_line *u)
{
	const char *s = u->synopsis, *nl;
	int col = 0;

	for (;;) {
		nl = strchr(s, '\n');
		col = fprintf(f, "%s%.*s", s == u->synopsis ? USAGE_INDENT : USAGE_CONTINUED,
			      nl ? (int)(nl - s) : (int)strlen(s), s);
		if (!nl)
			break;
		fputc('\n', f);
		s = nl + 1;
	}
	s = u->help;
	if (s && s[0] == '\n') {
		fprintf(f, "\n%*s", USAGE_HELP_COLUMN, "");
		s++;
	} else if (s) {
		fprintf(f, "%*s", col < USAGE_HELP_COLUMN ? USAGE_HELP_COLUMN - col : 2, "");
	}
	/* a help of several lines: each at the help column */
	while (s && (nl = strchr(s, '\n'))) {
		fprintf(f, "%.*s\n%*s", (int)(nl - s), s, USAGE_HELP_COLUMN, "");
		s = nl + 1;
	}
	if (s)
		fputs(s, f);
	fputc('\n', f);
}

/* The usage text, from the table. */
static void usage_print(FILE *f)
{
	const struct cli_usage_line *u;
	size_t i;

	fputs("usage: byodctl [--home DIR] COMMAND [ARGS]\n\n", f);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		for (u = commands[i].usage; u && u->synopsis; u++)
			usage_line(f, u);
	fputs("\nDIR defaults to $BYOD_HOME, else " BYOD_DEFAULT_HOME ".\n", f);
}

int main(int argc, char **argv)
{
	const struct cli_command *cmd;
	const char *home_opt = NULL;
	const char *home;
	int i = 1;

	while (i < argc && argv[i][0] == '-') {
		if (!strcmp(argv[i], "--home") && i + 1 < argc) {
			home_opt = argv[i + 1];
			i += 2;
		} else if (!strncmp(argv[i], "--home=", 7)) {
			home_opt = argv[i] + 7;
			i++;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage_print(stdout);
			return 0;
		} else {
			return cli_usage("unknown option");
		}
	}
	if (i >= argc)
		return cli_usage(NULL);
	home = home_dir(home_opt);
	cmd = command_find(argv[i]);
	if (!cmd)
		return cli_usage("unknown command");
	return cmd->run(home, argc - i, argv + i);
}
