// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * byodctl policy ...: check, apply, show, history, rollback, explain and
 * diff, the commands an admin uses to change the segment policy safely.
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

static int cmd_apply(struct byod_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "comment", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	struct pol_errors errs;
	struct byod_err err;
	const char *comment = NULL;
	int64_t version;
	int c, rc;

	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'c')
			comment = optarg;
		else
			return cli_usage(NULL);
	}
	if (optind != argc - 1)
		return cli_usage("policy apply needs FILE");
	rc = byod_policy_apply(ctx, argv[optind], comment, &version, &errs, &err);
	if (rc) {
		print_errors(&errs);
		pol_errors_free(&errs);
		return cli_fail_err(&err);
	}
	printf("applied %s as policy version %lld\n", argv[optind], (long long)version);
	return 0;
}

static int cmd_show(struct byod_ctx *ctx, int argc, char **argv)
{
	struct reg_policy rp;
	struct byod_err err;
	long long version = 0;

	if (argc == 4 && !strcmp(argv[2], "--version"))
		version = atoll(argv[3]);
	else if (argc != 2)
		return cli_usage("policy show takes only --version N");
	if (reg_policy_get(ctx->reg, version, &rp, &err)) {
		if (version == 0)
			return cli_fail("no policy has been applied yet");
		return cli_fail_err(&err);
	}
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

	byod_time_iso(p->created, t, sizeof(t));
	if (h->list)
		return json_array_append_new(
			h->list, json_pack("{s:I, s:s, s:s, s:s, s:s, s:b}", "version",
					   (json_int_t)p->version, "time", t, "author", p->author,
					   "file", p->file, "comment", p->comment, "running",
					   p->version == h->running));
	printf("%c %-4lld %s  %-22s %s%s%s%s\n", p->version == h->running ? '*' : ' ',
	       (long long)p->version, t, p->author, p->file, p->comment[0] ? " (" : "",
	       p->comment, p->comment[0] ? ")" : "");
	return 0;
}

static int cmd_history(struct byod_ctx *ctx, int argc, char **argv)
{
	struct history h = { 0 };
	struct reg_policy rp;
	struct byod_err err;

	if (argc == 3 && !strcmp(argv[2], "--json"))
		h.list = json_array();
	else if (argc != 2)
		return cli_usage("policy history takes only --json");
	if (!reg_policy_get(ctx->reg, 0, &rp, NULL)) {
		h.running = rp.version;
		free(rp.source);
	}
	if (reg_policy_list(ctx->reg, print_version, &h, &err)) {
		json_decref(h.list);
		return cli_fail_err(&err);
	}
	return h.list ? cli_json(h.list) : 0;
}

static int cmd_rollback(struct byod_ctx *ctx, int argc, char **argv)
{
	struct byod_err err;
	int64_t version;
	char *end;
	long long n;

	if (argc != 3)
		return cli_usage("policy rollback needs N");
	n = strtoll(argv[2], &end, 10);
	if (*end || n <= 0)
		return cli_fail("'%s' is not a policy version", argv[2]);
	if (byod_policy_rollback(ctx, n, &version, &err))
		return cli_fail_err(&err);
	printf("policy version %lld is running again, as version %lld\n", n, (long long)version);
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
		{ NULL, 0, NULL, 0 },
	};
	struct pol_policy *pol = NULL;
	struct pol_decision d;
	struct pol_admission adm;
	struct byod_facts facts;
	struct reg_device dev;
	struct byod_err err;
	time_t at = time(NULL);
	int64_t version;
	char when[32], dec[96];
	int c, method = -1;

	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'm') {
			method = pol_method_parse(optarg);
			if (method < 0)
				return cli_fail("'%s' is not a method (mac or certificate)",
						optarg);
		} else if (c != 'a') {
			return cli_usage(NULL);
		} else if (parse_at(optarg, &at)) {
			return cli_fail("'%s' is not a time (\"2026-12-01 09:00\")", optarg);
		}
	}
	if (optind != argc - 1)
		return cli_usage("policy explain needs DEVICE (its id or a certificate serial)");
	if (byod_device_resolve(ctx, argv[optind], &dev, &err) ||
	    byod_device_facts(ctx, &dev, &facts, &err) ||
	    byod_policy_load(ctx, 0, &pol, &version, &err))
		return cli_fail_err(&err);
	if (method == POL_METHOD_MAC)
		byod_facts_by_mac(&facts);
	printf("device %s (%s, %s) owned by %s: %s, %s, school %s, groups %s,\n", dev.id,
	       dev.name, byod_kind_name(facts.f.kind), facts.owner.login,
	       byod_role_name(facts.f.role), byod_device_state_name(facts.f.state), facts.f.school,
	       facts.f.groups[0] ? facts.f.groups : "none");
	printf("authenticating by %s, at %s, under policy version %lld:\n",
	       pol_method_name(facts.f.method), byod_time_iso(at, when, sizeof(when)),
	       (long long)version);
	if (byod_device_admission(ctx, pol, &dev, method, at, &facts, &adm, explain_line, NULL,
				  &err)) {
		pol_free(pol);
		return cli_fail_err(&err);
	}
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
		{ NULL, 0, NULL, 0 },
	};
	struct pol_policy *now_pol = NULL, *new_pol = NULL;
	struct diff_out o = { 0 };
	struct pol_errors errs;
	struct byod_diff diff;
	struct byod_err err;
	time_t at = time(NULL);
	size_t i;
	int c, rc;

	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'l') {
			o.print = 1;
		} else if (c == 'j') {
			o.list = o.list ? o.list : json_array();
		} else if (c == 'a') {
			if (parse_at(optarg, &at))
				return cli_fail("'%s' is not a time (\"2026-12-01 09:00\")",
						optarg);
		} else {
			return cli_usage(NULL);
		}
	}
	if (optind != argc - 1) {
		json_decref(o.list);
		return cli_usage("policy diff needs FILE");
	}
	if (pol_load_file(argv[optind], &new_pol, &errs)) {
		print_errors(&errs);
		pol_errors_free(&errs);
		json_decref(o.list);
		return EXIT_FAILURE;
	}
	rc = byod_policy_load(ctx, 0, &now_pol, NULL, &err);
	if (rc && rc != -ENOENT) {
		rc = cli_fail_err(&err);
		goto out;
	}
	if (o.print && !o.list)
		printf("devices whose decision changes:\n");
	if (byod_policy_diff(ctx, now_pol, new_pol, at, &diff, diff_line, &o, &err)) {
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
	pol_free(now_pol);
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
