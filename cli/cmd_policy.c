// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * byodctl policy ...: check, apply, show, history, rollback, explain and
 * diff, the commands an admin uses to change the segment policy safely:
 * the département's default, or with --school UAI one school's own (which
 * replaces the default for that school; --default hands it back).
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

static void print_errors(const struct pol_errors *errs)
{
	char buf[1200];
	size_t i;

	for (i = 0; i < errs->n; i++)
		fprintf(stderr, "%s\n", byod_err_str(&errs->v[i], buf, sizeof(buf)));
}

/* "2026-12-01 09:00" in this machine's local time, or with a Z in UTC. */
static int parse_at(const char *s, time_t *out)
{
	struct tm tm;
	const char *end;

	if (strchr(s, 'Z'))
		return byod_time_parse(s, out);
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%d %H:%M", &tm);
	if (!end)
		end = strptime(s, "%Y-%m-%dT%H:%M", &tm);
	if (!end || *end)
		return -EINVAL;
	tm.tm_isdst = -1;
	*out = mktime(&tm);
	return 0;
}

static const char *decision_str(const struct pol_decision *d, char *buf, size_t len)
{
	if (d->action == POL_ACTION_REJECT)
		snprintf(buf, len, "reject");
	else
		snprintf(buf, len, "%s (VLAN %d)", d->segment_name, d->vlan);
	return buf;
}

static int cmd_check(int argc, char **argv)
{
	struct pol_policy *pol;
	struct pol_errors errs;

	if (argc != 3)
		return cli_usage("policy check needs FILE");
	if (pol_load_file(argv[2], &pol, &errs)) {
		print_errors(&errs);
		pol_errors_free(&errs);
		return EXIT_FAILURE;
	}
	/* "FILE:LINE:COL: warning: ...": legal, so the status stays 0 */
	print_errors(&pol->warnings);
	printf("%s: ok (%zu segments, %zu services, %zu schedules, %zu rules", argv[2],
	       pol->nsegments, pol->nservices, pol->nschedules, pol->nrules);
	if (pol->nwalled_garden)
		printf(", %zu walled-garden names", pol->nwalled_garden);
	printf(")\n");
	pol_free(pol);
	return 0;
}

/* "version 4 of 0131234W" / "version 4" (the default) */
static const char *version_str(int64_t version, const char *school, char *buf, size_t len)
{
	snprintf(buf, len, "version %lld%s%s", (long long)version, school && school[0] ? " of " : "",
		 school && school[0] ? school : "");
	return buf;
}

/* --expect N: the running version the caller last saw (a stale one is refused). */
static int parse_expect(const char *s, int64_t *out)
{
	char *end;
	long long n = strtoll(s, &end, 10);

	if (!s[0] || *end || n < 0)
		return -1;
	*out = n;
	return 0;
}

/* A stale apply: one line, saying where the difference is. */
static int stale(const struct byod_err *err, int64_t current, const char *school)
{
	return cli_fail("%s (see byodctl policy show%s%s --version %lld)", err->msg,
			school ? " --school " : "", school ? school : "", (long long)current);
}

static int cmd_apply(struct byod_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "comment", required_argument, NULL, 'c' },
		{ "school", required_argument, NULL, 's' },
		{ "expect", required_argument, NULL, 'e' },
		{ "default", no_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	struct byod_policy_text p = { .expected = -1 };
	struct pol_errors errs;
	struct byod_err err;
	const char *comment = NULL, *school = NULL;
	int64_t version, current;
	char v[64];
	int c, rc, back = 0;

	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'c')
			comment = optarg;
		else if (c == 's')
			school = optarg;
		else if (c == 'd')
			back = 1;
		else if (c != 'e' || parse_expect(optarg, &p.expected))
			return cli_usage(c == 'e' ? "--expect takes a version number" : NULL);
	}
	if (back) {
		if (!school || optind != argc)
			return cli_usage("policy apply --default needs --school UAI and no FILE");
		p.school = school;
		p.comment = comment ? comment : "back to the département's default";
		rc = byod_policy_apply_text(ctx, &p, &version, &current, &errs, &err);
		pol_errors_free(&errs);
		if (rc == -ESTALE)
			return stale(&err, current, school);
		if (rc)
			return cli_fail_err(&err);
		printf("%s runs the département's default again (policy version %lld)\n", school,
		       (long long)version);
		return 0;
	}
	if (optind != argc - 1)
		return cli_usage("policy apply needs FILE");
	rc = byod_policy_apply_school(ctx, school, argv[optind], comment, p.expected, &version,
				      &current, &errs, &err);
	if (rc) {
		print_errors(&errs);
		pol_errors_free(&errs);
		if (rc == -ESTALE)
			return stale(&err, current, school);
		return cli_fail_err(&err);
	}
	printf("applied %s as policy %s\n", argv[optind],
	       version_str(version, school, v, sizeof(v)));
	return 0;
}

static int cmd_show(struct byod_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "version", required_argument, NULL, 'v' },
		{ "school", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	struct reg_policy rp;
	struct byod_err err;
	const char *school = NULL;
	int64_t version = 0;
	int c, rc;

	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 's')
			school = optarg;
		else if (c != 'v' || parse_expect(optarg, &version))
			return cli_usage("policy show takes only --version N and --school UAI");
	}
	if (optind != argc)
		return cli_usage("policy show takes only --version N and --school UAI");
	if (version)
		rc = reg_policy_get(ctx->reg, version, &rp, &err);
	else if (school)
		rc = reg_policy_get_school(ctx->reg, school, &rp, &err);
	else
		rc = reg_policy_get(ctx->reg, 0, &rp, &err);
	if (rc) {
		if (rc == -ENOENT && !version && !school)
			return cli_fail("no policy has been applied yet");
		return cli_fail_err(&err);
	}
	if (version && school && strcmp(rp.school, school)) {
		free(rp.source);
		return cli_fail("version %lld is not one of %s's", (long long)version, school);
	}
	if (rp.follows_default)
		fprintf(stderr, "byodctl: version %lld sends %s back to the département's default\n",
			(long long)rp.version, rp.school);
	else if (school && !version && !rp.school[0])
		fprintf(stderr, "byodctl: %s runs the département's default, version %lld\n",
			school, (long long)rp.version);
	fputs(rp.source, stdout);
	free(rp.source);
	return 0;
}

struct history {
	json_t *list;
	int64_t running;
};

static int print_version(const struct reg_policy *p, void *arg)
{
	struct history *h = arg;
	char t[32];
	json_t *j;

	byod_time_iso(p->created, t, sizeof(t));
	if (h->list) {
		j = json_pack("{s:I, s:s, s:s, s:s, s:s, s:b}", "version", (json_int_t)p->version,
			      "time", t, "author", p->author, "file", p->file, "comment",
			      p->comment, "running", p->version == h->running);
		if (j && p->school[0]) {
			json_object_set_new(j, "school", json_string(p->school));
			json_object_set_new(j, "follows_default",
					    json_boolean(p->follows_default));
		}
		return json_array_append_new(h->list, j);
	}
	printf("%c %-4lld %s  %-22s %s%s%s%s\n", p->version == h->running ? '*' : ' ',
	       (long long)p->version, t, p->author,
	       p->follows_default ? "(the département's default)" : p->file,
	       p->comment[0] ? " (" : "", p->comment, p->comment[0] ? ")" : "");
	return 0;
}

static int cmd_history(struct byod_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "school", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	struct history h = { 0 };
	struct reg_policy rp;
	struct byod_err err;
	const char *school = NULL;
	int c;

	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 's')
			school = optarg;
		else if (c == 'j' && !h.list)
			h.list = json_array();
		else
			goto usage;
	}
	if (optind != argc)
		goto usage;
	if (byod_policy_history_school(ctx, school, &h.running, print_version, &h, &err)) {
		json_decref(h.list);
		return cli_fail_err(&err);
	}
	/* a school that runs the default: say which version */
	if (school && h.running && !h.list &&
	    !reg_policy_get(ctx->reg, h.running, &rp, NULL)) {
		if (!rp.school[0])
			printf("%s runs the département's default, version %lld\n", school,
			       (long long)h.running);
		free(rp.source);
	}
	return h.list ? cli_json(h.list) : 0;
usage:
	json_decref(h.list);
	return cli_usage("policy history takes only --json and --school UAI");
}

static int cmd_rollback(struct byod_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "school", required_argument, NULL, 's' },
		{ "expect", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	struct byod_err err;
	const char *school = NULL;
	int64_t version, current, expected = -1;
	char *end, v[64];
	long long n;
	int c, rc;

	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 's')
			school = optarg;
		else if (c != 'e' || parse_expect(optarg, &expected))
			return cli_usage("policy rollback takes N, --school UAI and --expect N");
	}
	if (optind != argc - 1)
		return cli_usage("policy rollback needs N");
	n = strtoll(argv[optind], &end, 10);
	if (*end || n <= 0)
		return cli_fail("'%s' is not a policy version", argv[optind]);
	rc = byod_policy_rollback_school(ctx, school, n, expected, &version, &current, &err);
	if (rc == -ESTALE)
		return stale(&err, current, school);
	if (rc)
		return cli_fail_err(&err);
	printf("policy version %lld is running again, as %s\n", n,
	       version_str(version, school, v, sizeof(v)));
	return 0;
}

static void explain_line(void *ctx, const struct pol_rule *r, int matched, const char *why)
{
	printf("  %s rule '%s' (line %d): %s\n", matched ? "=>" : "- ", r->name, r->line, why);
}

static int cmd_explain(struct byod_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "at", required_argument, NULL, 'a' },
		{ "method", required_argument, NULL, 'm' },
		{ "school", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	struct pol_policy *pol = NULL;
	struct pol_decision d;
	struct pol_admission adm;
	struct byod_facts facts;
	struct reg_policy info;
	struct reg_device dev;
	struct byod_err err;
	const char *school = NULL;
	time_t at = time(NULL);
	char when[32], dec[96];
	int c, rc, method = -1;

	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'm') {
			method = pol_method_parse(optarg);
			if (method < 0)
				return cli_fail("'%s' is not a method (mac or certificate)",
						optarg);
		} else if (c == 's') {
			school = optarg;
		} else if (c != 'a') {
			return cli_usage(NULL);
		} else if (parse_at(optarg, &at)) {
			return cli_fail("'%s' is not a time (\"2026-12-01 09:00\")", optarg);
		}
	}
	if (optind != argc - 1)
		return cli_usage("policy explain needs DEVICE (its id or a certificate serial)");
	if (byod_device_resolve(ctx, argv[optind], &dev, &err))
		return cli_fail_err(&err);
	if (school) {
		/* under another school's policy: what it would decide there */
		rc = byod_device_facts(ctx, &dev, &facts, &err);
		if (!rc)
			rc = byod_policy_load_school(ctx, school, &pol, &info, &err);
		if (!rc)
			rc = byod_facts_unlocks(ctx, &facts, at, &err);
		if (!rc) {
			if (method == POL_METHOD_MAC)
				byod_facts_by_mac(&facts);
			pol_admit(pol, &facts.f, at, &adm, NULL, NULL);
		}
	} else {
		rc = byod_device_explain(ctx, &dev, method, at, &facts, &adm, &pol, &info, NULL,
					 NULL, &err);
	}
	if (rc) {
		pol_free(pol);
		return cli_fail_err(&err);
	}
	printf("device %s (%s, %s) owned by %s: %s, %s, school %s, groups %s,\n", dev.id,
	       dev.name, byod_kind_name(facts.f.kind), facts.owner.login,
	       byod_role_name(facts.f.role), byod_device_state_name(facts.f.state), facts.f.school,
	       facts.f.groups[0] ? facts.f.groups : "none");
	printf("authenticating by %s, at %s, under policy version %lld (%s%s):\n",
	       pol_method_name(facts.f.method), byod_time_iso(at, when, sizeof(when)),
	       (long long)info.version, info.school[0] ? "the policy of " : "the département's default",
	       info.school);
	/* the walk again, printed: the facts are the same */
	pol_admit(pol, &facts.f, at, &adm, explain_line, NULL);
	d = adm.dec;
	if (d.rule < 0)
		printf("  => no rule matches: the default (line %d)\n", d.rule_line);
	if (adm.mab) {
		/* the rules named a segment; a MAC authentication gets mab-segment */
		printf("decision: %s, by mab-segment", decision_str(&d, dec, sizeof(dec)));
		if (pol->mab_line)
			printf(" (line %d)", pol->mab_line);
		printf(": the device holds a certificate but connects by MAC, and %s%s%s names "
		       "no method: mac\n",
		       d.rule < 0 ? "" : "rule '", d.rule < 0 ? "the default" : d.rule_name,
		       d.rule < 0 ? "" : "'");
	} else if (byod_refused_before_rules(&adm) && d.action != POL_ACTION_REJECT) {
		/* the rules would admit it, but no rule can */
		printf("decision: reject, by the %s: %s (whatever the rules say)\n", adm.what,
		       adm.reason);
	} else {
		printf("decision: %s, by %s%s%s\n", decision_str(&d, dec, sizeof(dec)),
		       d.rule < 0 ? "" : "rule '", d.rule_name, d.rule < 0 ? "" : "'");
		if (byod_refused_before_rules(&adm))
			printf("refused whatever the rules say: %s\n", adm.reason);
	}
	if (d.valid_until && !byod_refused_before_rules(&adm))
		printf("until: %s (then it is decided again)\n",
		       byod_time_iso(d.valid_until, when, sizeof(when)));
	pol_free(pol);
	return 0;
}

struct diff_out {
	json_t *list;
	int print;
};

static void diff_line(void *arg, const struct reg_device *d, const struct pol_decision *before,
		      const struct pol_decision *after)
{
	struct diff_out *o = arg;
	const char *b = before->action == POL_ACTION_REJECT ? "reject" : before->segment_name;
	const char *a = after->action == POL_ACTION_REJECT ? "reject" : after->segment_name;

	if (o->list)
		json_array_append_new(o->list,
				      json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "device", d->id,
						"owner", d->owner_login, "name", d->name, "from", b,
						"to", a, "rule", after->rule_name));
	else if (o->print)
		printf("  %s  %-16s %-24s %s -> %s (rule '%s')\n", d->id, d->owner_login, d->name,
		       b, a, after->rule_name);
}

static int cmd_diff(struct byod_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "list", no_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ "at", required_argument, NULL, 'a' },
		{ "school", required_argument, NULL, 's' },
		{ "default", no_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	struct pol_policy *new_pol = NULL;
	struct diff_out o = { 0 };
	struct pol_errors errs;
	struct byod_diff diff;
	struct byod_err err;
	const char *school = NULL;
	time_t at = time(NULL);
	size_t i;
	int c, rc, back = 0;

	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'l') {
			o.print = 1;
		} else if (c == 'j') {
			o.list = o.list ? o.list : json_array();
		} else if (c == 's') {
			school = optarg;
		} else if (c == 'd') {
			back = 1;
		} else if (c == 'a') {
			if (parse_at(optarg, &at)) {
				json_decref(o.list);
				return cli_fail("'%s' is not a time (\"2026-12-01 09:00\")",
						optarg);
			}
		} else {
			json_decref(o.list);
			return cli_usage(NULL);
		}
	}
	if (back ? (!school || optind != argc) : optind != argc - 1) {
		json_decref(o.list);
		return cli_usage(back ? "policy diff --default needs --school UAI and no FILE"
				      : "policy diff needs FILE");
	}
	if (!back && pol_load_file(argv[optind], &new_pol, &errs)) {
		print_errors(&errs);
		pol_errors_free(&errs);
		json_decref(o.list);
		return EXIT_FAILURE;
	}
	if (o.print && !o.list)
		printf("devices whose decision changes:\n");
	if (byod_policy_diff_school(ctx, school, new_pol, at, &diff, diff_line, &o, &err)) {
		rc = cli_fail_err(&err);
		goto out;
	}
	if (o.list) {
		json_t *moves = json_array();

		for (i = 0; i < diff.nmoves; i++)
			json_array_append_new(moves, json_pack("{s:s, s:s, s:i}", "from",
							       diff.moves[i].from, "to",
							       diff.moves[i].to, "count",
							       diff.moves[i].count));
		rc = cli_json(json_pack("{s:i, s:i, s:o, s:o}", "devices", diff.devices,
					"changed", diff.changed, "moves", moves, "list", o.list));
		o.list = NULL;
	} else {
		for (i = 0; i < diff.nmoves; i++)
			printf("%d device%s move%s from %s to %s\n", diff.moves[i].count,
			       diff.moves[i].count == 1 ? "" : "s",
			       diff.moves[i].count == 1 ? "s" : "", diff.moves[i].from,
			       diff.moves[i].to);
		printf("%d of %d devices change; the others stay where they are\n", diff.changed,
		       diff.devices);
		rc = 0;
	}
	byod_diff_free(&diff);
out:
	json_decref(o.list);
	pol_free(new_pol);
	return rc;
}

int cli_policy(const char *home, int argc, char **argv)
{
	struct byod_ctx *ctx;
	int rc;

	if (argc < 2)
		return cli_usage("policy takes: check, apply, show, history, rollback, explain, diff");
	if (!strcmp(argv[1], "check"))
		return cmd_check(argc, argv);
	rc = cli_open(home, &ctx);
	if (rc)
		return rc;
	if (!strcmp(argv[1], "apply"))
		rc = cmd_apply(ctx, argc, argv);
	else if (!strcmp(argv[1], "show"))
		rc = cmd_show(ctx, argc, argv);
	else if (!strcmp(argv[1], "history"))
		rc = cmd_history(ctx, argc, argv);
	else if (!strcmp(argv[1], "rollback"))
		rc = cmd_rollback(ctx, argc, argv);
	else if (!strcmp(argv[1], "explain"))
		rc = cmd_explain(ctx, argc, argv);
	else if (!strcmp(argv[1], "diff"))
		rc = cmd_diff(ctx, argc, argv);
	else
		rc = cli_usage("policy takes: check, apply, show, history, rollback, explain, diff");
	byod_close(ctx);
	return rc;
}
