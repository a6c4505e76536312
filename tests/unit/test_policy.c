// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for policy/: the example file parses; every kind of mistake is
 * reported with its position and a sentence; evaluation follows first-match
 * order, time windows in the schedule's time zone (daylight saving
 * included), certificate age; explain says why each earlier rule failed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byod_util.h"
#include "policy.h"

static struct pol_policy *load(const char *text)
{
	struct pol_policy *pol;
	struct pol_errors errs;
	size_t i;

	if (pol_load("t.yaml", text, strlen(text), &pol, &errs)) {
		for (i = 0; i < errs.n; i++)
			fprintf(stderr, "%d:%d: %s\n", errs.v[i].line, errs.v[i].col,
				errs.v[i].msg);
		pol_errors_free(&errs);
		fail_msg("policy refused");
	}
	return pol;
}

/* The policy must be refused, and one of its errors be at line:col and
 * contain needle. */
static void expect_error(const char *text, int line, int col, const char *needle)
{
	struct pol_policy *pol;
	struct pol_errors errs;
	size_t i;

	assert_int_equal(pol_load("t.yaml", text, strlen(text), &pol, &errs), -EINVAL);
	assert_null(pol);
	assert_true(errs.n > 0);
	for (i = 0; i < errs.n; i++) {
		if (errs.v[i].line == line && errs.v[i].col == col &&
		    strstr(errs.v[i].msg, needle)) {
			assert_string_equal(errs.v[i].file, "t.yaml");
			pol_errors_free(&errs);
			return;
		}
	}
	for (i = 0; i < errs.n; i++)
		fprintf(stderr, "  got %d:%d: %s\n", errs.v[i].line, errs.v[i].col, errs.v[i].msg);
	pol_errors_free(&errs);
	fail_msg("no error at %d:%d with '%s'", line, col, needle);
}

#define SEGS                                                        \
	"segments:\n"                                               \
	"  reg: { vlan: 10, subnet: 10.10.0.0/22, allow: [dns] }\n" \
	"  pupils: { vlan: 20, subnet: 10.20.0.0/16 }\n"            \
	"  teachers: { vlan: 30, subnet: 10.30.0.0/20 }\n"

static void test_example_file(void **state)
{
	struct pol_policy *pol;
	struct pol_errors errs;
	char path[1024];
	const char *src = getenv("BYOD_SRC");
	int i;

	snprintf(path, sizeof(path), "%s/examples/policy.yaml", src ? src : "../..");
	if (pol_load_file(path, &pol, &errs)) {
		for (size_t k = 0; k < errs.n; k++)
			fprintf(stderr, "%s:%d:%d: %s\n", errs.v[k].file, errs.v[k].line,
				errs.v[k].col, errs.v[k].msg);
		pol_errors_free(&errs);
		fail_msg("examples/policy.yaml refused");
	}
	assert_int_equal(pol->nsegments, 5);
	i = pol_segment_find(pol, "pupils");
	assert_true(i >= 0);
	assert_int_equal(pol->segments[i].vlan, 20);
	assert_true(pol->segments[i].isolate_clients);
	assert_int_equal(pol->default_action, POL_ACTION_SEGMENT);
	assert_string_equal(pol->segments[pol->default_segment].name, "registration");
	assert_int_equal(pol->nrules, 10);
	/* a certificate holder by MAC goes back to registration, with no warning */
	assert_int_equal(pol->mab_action, POL_ACTION_SEGMENT);
	assert_string_equal(pol->segments[pol->mab_segment].name, "registration");
	assert_int_equal(pol->warnings.n, 0);
	assert_int_equal(pol->nwalled_garden, 11);
	assert_string_equal(pol->walled_garden[5].name, "gvt1.com");
	pol_free(pol);
}

static void test_errors_keys(void **state)
{
	expect_error(SEGS "default: reg\ncolour: red\n", 6, 1, "unknown key 'colour' in the policy");
	expect_error("segments:\n  reg: { vlan: 10, subnet: 10.10.0.0/22, mtu: 9000 }\n"
		     "default: reg\n",
		     2, 42, "unknown key 'mtu' in a segment");
	expect_error(SEGS "rules:\n  - name: x\n    match: { colour: red }\n    segment: reg\n"
			  "default: reg\n",
		     7, 14, "unknown key 'colour' in match");
	expect_error(SEGS "default: reg\ndefault: pupils\n", 6, 1, "appears twice");
	expect_error("segments:\n  reg: { vlan: 10, subnet: 10.10.0.0/22\n", 3, 1, "");
}

static void test_errors_names(void **state)
{
	expect_error(SEGS "rules:\n  - name: x\n    segment: nowhere\ndefault: reg\n", 7, 14,
		     "unknown segment 'nowhere'");
	expect_error("segments:\n  reg: { vlan: 10, subnet: 10.10.0.0/22, allow: [dns, ftp] }\n"
		     "default: reg\n",
		     2, 55, "unknown service 'ftp'");
	expect_error(SEGS "rules:\n  - name: x\n    match: { schedule: lunch }\n    segment: reg\n"
			  "default: reg\n",
		     7, 24, "unknown schedule 'lunch'");
	expect_error(SEGS "default: elsewhere\n", 5, 10, "unknown segment 'elsewhere' as the default");
	expect_error(SEGS "rules:\n  - name: x\n    match: { role: pupil }\n    segment: reg\n"
			  "default: reg\n",
		     7, 20, "unknown role 'pupil'");
}

static void test_error_duplicate_vlan(void **state)
{
	expect_error("segments:\n  a: { vlan: 10, subnet: 10.10.0.0/24 }\n"
		     "  b: { vlan: 10, subnet: 10.11.0.0/24 }\ndefault: a\n",
		     3, 3, "share VLAN 10");
}

static void test_error_overlap(void **state)
{
	expect_error("segments:\n  a: { vlan: 10, subnet: 10.10.0.0/16 }\n"
		     "  b: { vlan: 11, subnet: 10.10.4.0/24 }\ndefault: a\n",
		     3, 3, "overlaps that of 'a'");
}

static void test_error_cidr_and_ports(void **state)
{
	expect_error("segments:\n  a: { vlan: 10, subnet: 10.10.0.1/16 }\ndefault: a\n", 2, 26,
		     "did you mean 10.10.0.0/16?");
	expect_error("segments:\n  a: { vlan: 10, subnet: 10.300.0.0/16 }\ndefault: a\n", 2, 26,
		     "not an IPv4 or IPv6");
	expect_error("segments:\n  a: { vlan: 5000, subnet: 10.3.0.0/16 }\ndefault: a\n", 2, 14,
		     "between 1 and 4094");
	expect_error("services:\n  s: { to: [10.0.0.1], ports: [tcp/70000] }\n" SEGS
		     "default: reg\n",
		     2, 32, "1 to 65535");
	expect_error("services:\n  s: { to: [10.0.0.1], ports: [http] }\n" SEGS "default: reg\n",
		     2, 32, "is not a port");
	expect_error("services:\n  s: { to: [10.0.0.1], ports: [tcp/90-80] }\n" SEGS
		     "default: reg\n",
		     2, 32, "ends before it starts");
}

static void test_error_unreachable(void **state)
{
	expect_error(SEGS "rules:\n"
			  "  - name: everyone\n    segment: pupils\n"
			  "  - name: teachers\n    match: { role: teacher }\n    segment: teachers\n"
			  "default: reg\n",
		     8, 5, "rule 'teachers' can never match: rule 'everyone' (line 6)");
	expect_error(SEGS "rules:\n"
			  "  - name: students\n    match: { role: [student, guest] }\n"
			  "    segment: pupils\n"
			  "  - name: 4B\n    match: { role: student, group: 4B }\n"
			  "    segment: teachers\n"
			  "default: reg\n",
		     9, 5, "can never match");
}

static void test_error_no_default_and_many(void **state)
{
	struct pol_policy *pol;
	struct pol_errors errs;
	const char *text = SEGS "rules:\n  - name: x\n    segment: nowhere\n"
				"  - match: { kind: toaster }\n    action: explode\n";

	expect_error(SEGS, 1, 1, "no default");
	/* every problem at once */
	assert_int_equal(pol_load("t.yaml", text, strlen(text), &pol, &errs), -EINVAL);
	assert_true(errs.n >= 4);
	pol_errors_free(&errs);
}

static const char timed[] =
	SEGS "schedules:\n"
	     "  school-hours: { days: [mon-fri], from: \"07:30\", to: \"18:00\", "
	     "timezone: Europe/Paris }\n"
	     "  night: { days: [sat, sun], from: \"22:00\", to: \"06:00\", timezone: Europe/Paris }\n"
	     "rules:\n"
	     "  - name: teachers\n    match: { role: teacher }\n    segment: teachers\n"
	     "  - name: nights\n    match: { role: student, schedule: night }\n    action: reject\n"
	     "  - name: pupils in hours\n    match: { role: student, schedule: school-hours }\n"
	     "    segment: pupils\n"
	     "  - name: young certificates\n    match: { cert-age-days: { max: 6 } }\n"
	     "    segment: pupils\n"
	     "  - name: expiring\n    match: { expires-within-days: 14 }\n    action: reject\n"
	     "default: reg\n";

static time_t at(const char *s)
{
	time_t t;

	if (byod_time_parse(s, &t))
		fail_msg("bad time %s", s);
	return t;
}

static void test_eval_basic(void **state)
{
	struct pol_policy *pol = load(timed);
	struct pol_facts f = { .role = BYOD_ROLE_TEACHER, .state = BYOD_DEVICE_ACTIVE,
			       .kind = BYOD_KIND_PHONE, .method = POL_METHOD_CERTIFICATE };
	struct pol_decision d;

	pol_eval(pol, &f, at("2026-12-01T09:00:00Z"), &d);
	assert_int_equal(d.action, POL_ACTION_SEGMENT);
	assert_string_equal(d.segment_name, "teachers");
	assert_int_equal(d.vlan, 30);
	assert_string_equal(d.rule_name, "teachers");
	assert_int_equal(d.rule, 0);
	f.role = BYOD_ROLE_STAFF;
	pol_eval(pol, &f, at("2026-12-01T09:00:00Z"), &d);
	assert_string_equal(d.rule_name, "default");
	assert_string_equal(d.segment_name, "reg");
	assert_int_equal(d.rule, -1);
	pol_free(pol);
}

static void test_eval_time_windows(void **state)
{
	struct pol_policy *pol = load(timed);
	struct pol_facts f = { .role = BYOD_ROLE_STUDENT, .state = BYOD_DEVICE_ACTIVE,
			       .kind = BYOD_KIND_PHONE, .method = POL_METHOD_MAC };
	struct pol_decision d;

	/* Tuesday 1 December 2026, Paris is UTC+1: 07:30 local is 06:30Z */
	pol_eval(pol, &f, at("2026-12-01T06:29:59Z"), &d);
	assert_string_equal(d.rule_name, "default");
	pol_eval(pol, &f, at("2026-12-01T06:30:00Z"), &d);
	assert_string_equal(d.rule_name, "pupils in hours");
	/* the session ends with school hours: 18:00 local is 17:00Z */
	assert_int_equal(d.valid_until, at("2026-12-01T17:00:00Z"));
	pol_eval(pol, &f, at("2026-12-01T16:59:59Z"), &d);
	assert_string_equal(d.segment_name, "pupils");
	pol_eval(pol, &f, at("2026-12-01T17:00:00Z"), &d);
	assert_string_equal(d.rule_name, "default");
	/* after school, the decision changes at 07:30 the next morning */
	assert_int_equal(d.valid_until, at("2026-12-02T06:30:00Z"));

	/* June, UTC+2: 07:30 local is 05:30Z */
	pol_eval(pol, &f, at("2027-06-01T05:29:59Z"), &d);
	assert_string_equal(d.rule_name, "default");
	pol_eval(pol, &f, at("2027-06-01T05:30:00Z"), &d);
	assert_string_equal(d.rule_name, "pupils in hours");

	/* Saturday: no school */
	pol_eval(pol, &f, at("2026-12-05T10:00:00Z"), &d);
	assert_string_equal(d.rule_name, "default");
	pol_free(pol);
}

static void test_eval_daylight_saving(void **state)
{
	struct pol_policy *pol = load(timed);
	struct pol_facts f = { .role = BYOD_ROLE_STUDENT, .state = BYOD_DEVICE_ACTIVE,
			       .kind = BYOD_KIND_PHONE, .method = POL_METHOD_MAC };
	struct pol_decision d;

	/* Clocks go forward on Sunday 28 March 2027 at 02:00 local (01:00Z).
	 * The night window (Sat/Sun 22:00-06:00) ends at 06:00 local, which is
	 * 05:00Z before the change and 04:00Z after it. */
	pol_eval(pol, &f, at("2027-03-28T00:30:00Z"), &d); /* 01:30 CET */
	assert_string_equal(d.rule_name, "nights");
	assert_int_equal(d.valid_until, at("2027-03-28T04:00:00Z"));
	pol_eval(pol, &f, at("2027-03-28T03:59:59Z"), &d); /* 05:59 CEST */
	assert_string_equal(d.rule_name, "nights");
	pol_eval(pol, &f, at("2027-03-28T04:00:00Z"), &d); /* 06:00 CEST */
	assert_string_equal(d.rule_name, "default");
	/* Monday after the change: school starts at 05:30Z */
	pol_eval(pol, &f, at("2027-03-29T05:30:00Z"), &d);
	assert_string_equal(d.rule_name, "pupils in hours");
	/* the Monday before, 05:30Z was 06:30 CET: not yet */
	pol_eval(pol, &f, at("2027-03-22T05:30:00Z"), &d);
	assert_string_equal(d.rule_name, "default");

	/* Clocks go back on Sunday 31 October 2027 at 03:00 CEST (01:00Z):
	 * 06:00 local is then 05:00Z */
	pol_eval(pol, &f, at("2027-10-31T04:30:00Z"), &d); /* 05:30 CET */
	assert_string_equal(d.rule_name, "nights");
	assert_int_equal(d.valid_until, at("2027-10-31T05:00:00Z"));
	pol_free(pol);
}

static void test_eval_certificate_age(void **state)
{
	struct pol_policy *pol = load(timed);
	time_t now = at("2026-12-05T10:00:00Z"); /* Saturday: no schedule applies */
	struct pol_facts f = { .role = BYOD_ROLE_GUEST, .state = BYOD_DEVICE_ACTIVE,
			       .kind = BYOD_KIND_LAPTOP, .method = POL_METHOD_CERTIFICATE };
	struct pol_decision d;

	f.cert_not_before = now - 3 * 86400;
	f.cert_not_after = now + 200 * 86400;
	pol_eval(pol, &f, now, &d);
	assert_string_equal(d.rule_name, "young certificates");
	assert_int_equal(d.valid_until, f.cert_not_before + 7 * 86400);
	f.cert_not_before = now - 7 * 86400;
	pol_eval(pol, &f, now, &d);
	assert_string_equal(d.rule_name, "default");
	f.cert_not_after = now + 14 * 86400;
	pol_eval(pol, &f, now, &d);
	assert_string_equal(d.rule_name, "expiring");
	assert_int_equal(d.action, POL_ACTION_REJECT);
	assert_null(d.segment_name);
	/* no certificate: neither age rule applies */
	f.cert_not_before = f.cert_not_after = 0;
	f.method = POL_METHOD_MAC;
	pol_eval(pol, &f, now, &d);
	assert_string_equal(d.rule_name, "default");
	pol_free(pol);
}

static void test_eval_match_kinds(void **state)
{
	struct pol_policy *pol = load(
		SEGS "rules:\n"
		     "  - name: lycee 2A\n    match: { school: 0750654D, group: [2A, 2B] }\n"
		     "    segment: teachers\n"
		     "  - name: tablets\n    match: { kind: tablet, state: active }\n"
		     "    segment: pupils\n"
		     "  - name: mab\n    match: { method: mac }\n    action: reject\n"
		     "default: reg\n");
	struct pol_facts f = { .role = BYOD_ROLE_STUDENT, .school = "0750654D", .groups = "1B 2B",
			       .kind = BYOD_KIND_PHONE, .state = BYOD_DEVICE_ACTIVE,
			       .method = POL_METHOD_CERTIFICATE };
	struct pol_decision d;
	time_t now = at("2026-12-01T09:00:00Z");

	pol_eval(pol, &f, now, &d);
	assert_string_equal(d.rule_name, "lycee 2A");
	f.groups = "2BX"; /* not a whole group name */
	pol_eval(pol, &f, now, &d);
	assert_string_equal(d.rule_name, "default");
	f.kind = BYOD_KIND_TABLET;
	pol_eval(pol, &f, now, &d);
	assert_string_equal(d.rule_name, "tablets");
	f.state = BYOD_DEVICE_SUSPENDED;
	f.method = POL_METHOD_MAC;
	pol_eval(pol, &f, now, &d);
	assert_string_equal(d.rule_name, "mab");
	assert_int_equal(d.action, POL_ACTION_REJECT);
	pol_free(pol);
}

/* mab-segment: written, by default the segment named registration, else
 * reject; an unknown segment is an error. */
static void test_mab_segment(void **state)
{
	struct pol_policy *pol;

	pol = load(SEGS "default: pupils\nmab-segment: teachers\n");
	assert_int_equal(pol->mab_action, POL_ACTION_SEGMENT);
	assert_string_equal(pol->segments[pol->mab_segment].name, "teachers");
	assert_int_equal(pol->mab_line, 6);
	pol_free(pol);
	pol = load(SEGS "default: pupils\nmab-segment: reject\n");
	assert_int_equal(pol->mab_action, POL_ACTION_REJECT);
	assert_int_equal(pol->mab_segment, -1);
	pol_free(pol);
	/* no registration segment, nothing written: reject (fail closed) */
	pol = load(SEGS "default: pupils\n");
	assert_int_equal(pol->mab_action, POL_ACTION_REJECT);
	assert_int_equal(pol->mab_line, 0);
	pol_free(pol);
	pol = load("segments:\n  registration: { vlan: 10, subnet: 10.10.0.0/22 }\n"
		   "default: registration\n");
	assert_int_equal(pol->mab_action, POL_ACTION_SEGMENT);
	assert_int_equal(pol->mab_segment, 0);
	pol_free(pol);
	expect_error(SEGS "default: reg\nmab-segment: nowhere\n", 6, 14,
		     "unknown segment 'nowhere' as the mab-segment");
	expect_error(SEGS "default: reg\nmab-segment: [reg]\n", 6, 14,
		     "mab-segment must be a segment name or reject");
}

/* policy check warns (the policy still loads) about a rule that lets MAC
 * authentication into a segment other than registration or mab-segment. */
static void test_mab_warnings(void **state)
{
	struct pol_policy *pol = load(
		SEGS "  registration: { vlan: 11, subnet: 10.11.0.0/24 }\n"
		     "rules:\n"
		     "  - name: printers\n    match: { method: mac, kind: other }\n"
		     "    segment: teachers\n"
		     "  - name: to mab\n    match: { method: mac, kind: phone }\n"
		     "    segment: reg\n"
		     "  - name: to registration\n    match: { method: mac, kind: tablet }\n"
		     "    segment: registration\n"
		     "  - name: reject mab\n    match: { method: mac }\n    action: reject\n"
		     "  - name: unknown\n    match: { state: unknown }\n    segment: pupils\n"
		     "  - name: certificates\n    match: { method: certificate }\n"
		     "    segment: pupils\n"
		     "default: reg\nmab-segment: reg\n");

	assert_int_equal(pol->warnings.n, 2);
	assert_int_equal(pol->warnings.v[0].line, 7);
	assert_int_equal(pol->warnings.v[0].col, 5);
	assert_string_equal(pol->warnings.v[0].file, "t.yaml");
	assert_non_null(
		strstr(pol->warnings.v[0].msg,
		       "warning: rule 'printers' admits method: mac to segment 'teachers'"));
	assert_int_equal(pol->warnings.v[1].line, 19);
	assert_non_null(strstr(pol->warnings.v[1].msg,
			       "warning: rule 'unknown' admits unknown devices (by MAC) to segment "
			       "'pupils'"));
	pol_free(pol);
}

/* pol_admit: a device that holds a certificate and connects by MAC lands
 * in mab-segment, whatever segment the rules give it, unless the rule
 * that matched names method: mac; rejects stay rejects; devices without
 * a certificate and certificate authentication are as the rules say. */
static void test_admit_mab(void **state)
{
	static const char text[] =
		SEGS "  printers: { vlan: 40, subnet: 10.40.0.0/24 }\n"
		     "rules:\n"
		     "  - name: unknown\n    match: { state: unknown }\n    segment: reg\n"
		     "  - name: printers\n    match: { method: mac, kind: other }\n"
		     "    segment: printers\n"
		     "  - name: teachers\n    match: { role: teacher }\n    segment: teachers\n"
		     "  - name: guests\n    match: { role: guest }\n    action: reject\n"
		     "default: pupils\nmab-segment: reg\n";
	struct pol_policy *pol = load(text);
	time_t now = at("2026-12-01T09:00:00Z");
	struct pol_facts f = { .role = BYOD_ROLE_TEACHER, .kind = BYOD_KIND_LAPTOP,
			       .state = BYOD_DEVICE_ACTIVE, .method = POL_METHOD_MAC,
			       .device = "d1", .device_cert_until = now + 100 * 86400 };
	struct pol_admission a;

	/* the teacher's laptop by MAC: registration, not teachers */
	pol_admit(pol, &f, now, &a, NULL, NULL);
	assert_true(a.admit);
	assert_true(a.mab);
	assert_int_equal(a.dec.vlan, 10);
	assert_string_equal(a.dec.segment_name, "reg");
	assert_string_equal(a.what, "mab-segment");
	assert_string_equal(a.reason, "segment reg by mab-segment (line 20): it holds a "
				      "certificate but connected by MAC");
	assert_string_equal(a.dec.rule_name, "teachers"); /* the rule that matched */
	/* an expired certificate is still held: MAB is no way round expiry */
	f.device_cert_until = now - 86400;
	pol_admit(pol, &f, now, &a, NULL, NULL);
	assert_int_equal(a.dec.vlan, 10);
	/* the same laptop with its certificate */
	f.device_cert_until = now + 100 * 86400;
	f.method = POL_METHOD_CERTIFICATE;
	f.cert_not_before = now - 86400;
	f.cert_not_after = f.device_cert_until;
	pol_admit(pol, &f, now, &a, NULL, NULL);
	assert_true(a.admit);
	assert_false(a.mab);
	assert_int_equal(a.dec.vlan, 30);
	/* the default too: pupils by default, reg by MAC */
	f.method = POL_METHOD_MAC;
	f.cert_not_before = f.cert_not_after = 0;
	f.role = BYOD_ROLE_STUDENT;
	pol_admit(pol, &f, now, &a, NULL, NULL);
	assert_true(a.mab);
	assert_int_equal(a.dec.vlan, 10);
	/* a rule naming method: mac places it */
	f.kind = BYOD_KIND_OTHER;
	pol_admit(pol, &f, now, &a, NULL, NULL);
	assert_true(a.admit);
	assert_false(a.mab);
	assert_int_equal(a.dec.vlan, 40);
	assert_string_equal(a.what, "printers");
	/* a reject stays a reject */
	f.kind = BYOD_KIND_LAPTOP;
	f.role = BYOD_ROLE_GUEST;
	pol_admit(pol, &f, now, &a, NULL, NULL);
	assert_false(a.admit);
	assert_false(a.mab);
	assert_int_equal(a.refusal, POL_REFUSED_BY_RULE);
	/* no certificate held (enrolled without one): the rules decide */
	f.role = BYOD_ROLE_TEACHER;
	f.device_cert_until = 0;
	pol_admit(pol, &f, now, &a, NULL, NULL);
	assert_false(a.mab);
	assert_int_equal(a.dec.vlan, 30);
	pol_free(pol);

	/* mab-segment: reject */
	pol = load(SEGS "rules:\n  - name: teachers\n    match: { role: teacher }\n"
			"    segment: teachers\ndefault: reg\nmab-segment: reject\n");
	f.device_cert_until = now + 86400;
	pol_admit(pol, &f, now, &a, NULL, NULL);
	assert_false(a.admit);
	assert_true(a.mab);
	assert_int_equal(a.refusal, POL_REFUSED_BY_RULE);
	assert_int_equal(a.dec.action, POL_ACTION_REJECT);
	assert_string_equal(a.reason, "rejected by mab-segment (line 10): it holds a certificate "
				      "but connected by MAC");
	pol_free(pol);
}

struct lines {
	char text[8][256];
	int n;
};

static void collect(void *ctx, const struct pol_rule *r, int matched, const char *why)
{
	struct lines *l = ctx;

	if (l->n < 8)
		snprintf(l->text[l->n++], 256, "%s|%d|%s", r->name, matched, why);
}

static void test_explain(void **state)
{
	struct pol_policy *pol = load(timed);
	struct pol_facts f = { .role = BYOD_ROLE_STUDENT, .state = BYOD_DEVICE_ACTIVE,
			       .kind = BYOD_KIND_PHONE, .method = POL_METHOD_MAC };
	struct pol_decision d;
	struct lines l = { 0 };

	pol_explain(pol, &f, at("2026-12-01T19:00:00Z"), &d, collect, &l);
	assert_int_equal(l.n, 5);
	assert_string_equal(l.text[0], "teachers|0|role is student, the rule wants teacher");
	assert_string_equal(l.text[1],
			    "nights|0|outside schedule 'night' (Tuesday 20:00 in Europe/Paris)");
	assert_string_equal(l.text[2], "pupils in hours|0|outside schedule 'school-hours' "
				       "(Tuesday 20:00 in Europe/Paris)");
	assert_string_equal(l.text[3],
			    "young certificates|0|no certificate, the rule looks at certificate age");
	assert_string_equal(d.rule_name, "default");
	pol_free(pol);
}


/* ---- unlock: teacher ---- */

/* Pupils' phones open only when a teacher opens their class, inside
 * school hours or not; every other phone of a pupil is refused. */
static const char unlocked[] = SEGS
	"rules:\n"
	"  - name: class-opened\n"
	"    match: {role: student, kind: phone, unlock: teacher}\n"
	"    segment: pupils\n"
	"  - name: no-phones\n"
	"    match: {role: student, kind: phone}\n"
	"    action: reject\n"
	"default: reg\n";

static void test_unlock_parse_errors(void **state)
{
	struct pol_policy *pol;

	/* a value other than teacher, at the value's line and column */
	expect_error(SEGS "rules:\n"
			  "  - name: r\n"
			  "    match: { role: student, unlock: parent }\n"
			  "    segment: pupils\n"
			  "default: reg\n",
		     7, 37, "unknown unlock 'parent'");
	/* a list is refused: there is one kind of unlock */
	expect_error(SEGS "rules:\n"
			  "  - name: r\n"
			  "    match:\n"
			  "      unlock: [teacher]\n"
			  "    segment: pupils\n"
			  "default: reg\n",
		     8, 15, "unlock must be the single value teacher");
	/* a mapping neither */
	expect_error(SEGS "rules:\n"
			  "  - name: r\n"
			  "    match:\n"
			  "      unlock: { who: teacher }\n"
			  "    segment: pupils\n"
			  "default: reg\n",
		     8, 15, "unlock must be the single value teacher");
	/* a rule with the unlock after the same rule without it never matches */
	expect_error(SEGS "rules:\n"
			  "  - name: phones\n"
			  "    match: { kind: phone }\n"
			  "    action: reject\n"
			  "  - name: opened\n"
			  "    match: { kind: phone, unlock: teacher }\n"
			  "    segment: pupils\n"
			  "default: reg\n",
		     9, 5, "rule 'opened' can never match");
	/* the other way round is the point of the construct */
	pol = load(unlocked);
	assert_int_equal(pol->rules[0].unlock, 1);
	assert_int_equal(pol->rules[1].unlock, 0);
	pol_free(pol);
}

static void test_unlock_eval(void **state)
{
	struct pol_policy *pol = load(unlocked);
	struct pol_facts f = { .role = BYOD_ROLE_STUDENT, .state = BYOD_DEVICE_ACTIVE,
			       .kind = BYOD_KIND_PHONE, .method = POL_METHOD_CERTIFICATE,
			       .groups = "4B latin" };
	struct pol_decision d;

	/* opened 10:00 to 10:10 Paris time (09:00Z to 09:10Z) */
	f.unlocked_group = "4B";
	/* before: the facts carry no live unlock (byod_unlock_until) */
	f.unlocked_until = 0;
	pol_eval(pol, &f, at("2026-12-01T08:59:00Z"), &d);
	assert_int_equal(d.action, POL_ACTION_REJECT);
	assert_string_equal(d.rule_name, "no-phones");
	assert_int_equal(d.valid_until, 0);
	/* inside: the pupils' segment, until the opening ends */
	f.unlocked_until = at("2026-12-01T09:10:00Z");
	pol_eval(pol, &f, at("2026-12-01T09:00:00Z"), &d);
	assert_int_equal(d.action, POL_ACTION_SEGMENT);
	assert_string_equal(d.segment_name, "pupils");
	assert_string_equal(d.rule_name, "class-opened");
	assert_int_equal(d.valid_until, at("2026-12-01T09:10:00Z"));
	pol_eval(pol, &f, at("2026-12-01T09:09:59Z"), &d);
	assert_string_equal(d.rule_name, "class-opened");
	assert_int_equal(d.valid_until, at("2026-12-01T09:10:00Z"));
	/* at the end and after: refused again */
	pol_eval(pol, &f, at("2026-12-01T09:10:00Z"), &d);
	assert_string_equal(d.rule_name, "no-phones");
	pol_eval(pol, &f, at("2026-12-01T11:00:00Z"), &d);
	assert_string_equal(d.rule_name, "no-phones");
	/* a laptop is not concerned by either rule */
	f.kind = BYOD_KIND_LAPTOP;
	pol_eval(pol, &f, at("2026-12-01T09:05:00Z"), &d);
	assert_string_equal(d.rule_name, "default");
	pol_free(pol);
}

/* With a schedule: the session lasts until whichever ends first. */
static void test_unlock_valid_until_schedule(void **state)
{
	struct pol_policy *pol = load(SEGS "schedules:\n"
					   "  lessons: { days: mon-fri, from: \"08:00\", to: "
					   "\"10:05\" }\n"
					   "rules:\n"
					   "  - name: opened in lessons\n"
					   "    match: { role: student, unlock: teacher, schedule: "
					   "lessons }\n"
					   "    segment: pupils\n"
					   "default: reject\n");
	struct pol_facts f = { .role = BYOD_ROLE_STUDENT, .state = BYOD_DEVICE_ACTIVE,
			       .kind = BYOD_KIND_PHONE, .method = POL_METHOD_CERTIFICATE };
	struct pol_decision d;

	/* opened until 10:30 Paris; lessons end at 10:05 Paris (09:05Z) */
	f.unlocked_until = at("2026-12-01T09:30:00Z");
	pol_eval(pol, &f, at("2026-12-01T08:00:00Z"), &d);
	assert_string_equal(d.rule_name, "opened in lessons");
	assert_int_equal(d.valid_until, at("2026-12-01T09:05:00Z"));
	/* opened until 09:30 Paris: the opening ends first */
	f.unlocked_until = at("2026-12-01T08:30:00Z");
	pol_eval(pol, &f, at("2026-12-01T08:00:00Z"), &d);
	assert_string_equal(d.rule_name, "opened in lessons");
	assert_int_equal(d.valid_until, at("2026-12-01T08:30:00Z"));
	pol_free(pol);
}

static void test_unlock_explain(void **state)
{
	struct pol_policy *pol = load(unlocked);
	struct pol_facts f = { .role = BYOD_ROLE_STUDENT, .state = BYOD_DEVICE_ACTIVE,
			       .kind = BYOD_KIND_PHONE, .method = POL_METHOD_CERTIFICATE,
			       .groups = "4B latin" };
	struct pol_decision d;
	struct lines l = { 0 };

	pol_explain(pol, &f, at("2026-12-01T08:59:00Z"), &d, collect, &l);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.text[0], "class-opened|0|no teacher has opened the class");
	assert_string_equal(l.text[1], "no-phones|1|matches");

	/* 10:10 in Paris (UTC+1 in December) */
	f.unlocked_until = at("2026-12-01T09:10:00Z");
	f.unlocked_group = "4B";
	memset(&l, 0, sizeof(l));
	pol_explain(pol, &f, at("2026-12-01T09:00:00Z"), &d, collect, &l);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.text[0], "class-opened|1|matches: the class 4B is opened by a "
				       "teacher until 10:10");
	/* 10:10 in June is 08:10Z */
	f.unlocked_until = at("2027-06-01T08:10:00Z");
	memset(&l, 0, sizeof(l));
	pol_explain(pol, &f, at("2027-06-01T08:00:00Z"), &d, collect, &l);
	assert_string_equal(l.text[0], "class-opened|1|matches: the class 4B is opened by a "
				       "teacher until 10:10");
	/* once over */
	memset(&l, 0, sizeof(l));
	pol_explain(pol, &f, at("2027-06-01T08:10:00Z"), &d, collect, &l);
	assert_string_equal(l.text[0], "class-opened|0|no teacher has opened the class (the "
				       "opening ended at 10:10)");
	assert_string_equal(d.rule_name, "no-phones");
	pol_free(pol);
}

static void test_net_and_ports(void **state)
{
	struct pol_net a, b;
	struct pol_port p;
	char why[128], out[64];

	assert_int_equal(pol_net_parse("10.20.0.0/16", &a, why, sizeof(why)), 0);
	assert_int_equal(pol_net_parse("10.20.5.0/24", &b, why, sizeof(why)), 0);
	assert_true(pol_net_overlap(&a, &b));
	assert_true(pol_net_contains(&a, &b));
	assert_false(pol_net_contains(&b, &a));
	assert_int_equal(pol_net_parse("10.21.0.0/16", &b, why, sizeof(why)), 0);
	assert_false(pol_net_overlap(&a, &b));
	assert_int_equal(pol_net_parse("2001:db8::/32", &b, why, sizeof(why)), 0);
	assert_false(pol_net_overlap(&a, &b));
	pol_net_format(&b, out, sizeof(out));
	assert_string_equal(out, "2001:db8::/32");
	assert_int_equal(pol_net_parse("10.0.0.2", &b, why, sizeof(why)), 0);
	assert_int_equal(b.prefix, 32);
	assert_int_equal(pol_net_parse("10.0.0.0/33", &b, why, sizeof(why)), -EINVAL);
	assert_int_equal(pol_port_parse("udp/67-68", &p, why, sizeof(why)), 0);
	assert_int_equal(p.proto, IPPROTO_UDP);
	assert_int_equal(p.lo, 67);
	assert_int_equal(p.hi, 68);
	assert_int_equal(pol_port_parse("tcp/0", &p, why, sizeof(why)), -EINVAL);
	assert_int_equal(pol_port_parse("icmp", &p, why, sizeof(why)), 0);
	assert_int_equal(p.proto, IPPROTO_ICMP);
}

/* walled-garden: host names (a leading "*." allowed), kept in lowercase
 * without it, each with its position; every mistake reported there. */
static void test_walled_garden(void **state)
{
	struct pol_policy *pol;
	char why[160], out[256];

	pol = load(SEGS "walled-garden:\n  - play.google.com\n  - \"*.GVT1.com\"\n"
			"  - apps.apple.com\ndefault: reg\n");
	assert_int_equal(pol->nwalled_garden, 3);
	assert_string_equal(pol->walled_garden[0].name, "play.google.com");
	assert_int_equal(pol->walled_garden[0].line, 6);
	assert_int_equal(pol->walled_garden[0].col, 5);
	assert_string_equal(pol->walled_garden[1].name, "gvt1.com");
	assert_int_equal(pol->walled_garden[1].line, 7);
	pol_free(pol);
	pol = load(SEGS "default: reg\n");
	assert_int_equal(pol->nwalled_garden, 0);
	pol_free(pol);

	expect_error(SEGS "walled-garden: play.google.com\ndefault: reg\n", 5, 16,
		     "walled-garden must be a list");
	expect_error(SEGS "walled-garden:\n  - play.google.com\n  - play google\ndefault: reg\n",
		     7, 5, "'play google' is not a host name");
	expect_error(SEGS "walled-garden:\n  - \"apps.*.com\"\ndefault: reg\n", 6, 5,
		     "a '*' may only begin it");
	expect_error(SEGS "walled-garden:\n  - \"*.com\"\ndefault: reg\n", 6, 5,
		     "'*.com' is a top-level domain");
	expect_error(SEGS "walled-garden:\n  - 198.51.100.7\ndefault: reg\n", 6, 5,
		     "is an address, not a host name");
	expect_error(SEGS "walled-garden:\n  - [a.example]\ndefault: reg\n", 6, 5,
		     "an item of walled-garden must be a single value");
	expect_error(SEGS "walled-garden:\n  - a.example\n  - A.Example\ndefault: reg\n", 7, 5,
		     "a.example is in the walled garden twice (also line 6)");
	expect_error(SEGS "walled-garden:\n  - www.a.example\n  - \"*.a.example\"\n"
			  "default: reg\n",
		     6, 5, "www.a.example is already in the walled garden: a.example (line 7)");
	/* what reaches dnsmasq's configuration is only letters, digits, '-' and '.' */
	expect_error(SEGS "walled-garden:\n  - \"a.example/4#inet#byod#x\"\ndefault: reg\n", 6,
		     5, "not a host name");
	expect_error(SEGS "walled-garden:\n  - \"a.example\\nserver=6.6.6.6\"\ndefault: reg\n",
		     6, 5, "not a host name");

	assert_int_equal(pol_host_parse("Portal.Byod.LAN", 0, out, sizeof(out), why, sizeof(why)),
			 0);
	assert_string_equal(out, "portal.byod.lan");
	assert_int_equal(pol_host_parse("*.byod.lan", 0, out, sizeof(out), why, sizeof(why)),
			 -EINVAL);
	assert_int_equal(pol_host_parse("xn--caf-dma.example", 0, out, sizeof(out), why,
					sizeof(why)),
			 0);
	assert_int_equal(pol_host_parse("café.example", 0, out, sizeof(out), why, sizeof(why)),
			 -EINVAL);
	assert_non_null(strstr(why, "xn--"));
	assert_int_equal(pol_host_parse("-a.example", 0, out, sizeof(out), why, sizeof(why)),
			 -EINVAL);
	assert_int_equal(pol_host_parse("a.example.", 0, out, sizeof(out), why, sizeof(why)),
			 -EINVAL);
	assert_int_equal(pol_host_parse("a.example", 0, out, 5, why, sizeof(why)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_file),
		cmocka_unit_test(test_errors_keys),
		cmocka_unit_test(test_errors_names),
		cmocka_unit_test(test_error_duplicate_vlan),
		cmocka_unit_test(test_error_overlap),
		cmocka_unit_test(test_error_cidr_and_ports),
		cmocka_unit_test(test_error_unreachable),
		cmocka_unit_test(test_error_no_default_and_many),
		cmocka_unit_test(test_eval_basic),
		cmocka_unit_test(test_eval_time_windows),
		cmocka_unit_test(test_eval_daylight_saving),
		cmocka_unit_test(test_eval_certificate_age),
		cmocka_unit_test(test_eval_match_kinds),
		cmocka_unit_test(test_explain),
		cmocka_unit_test(test_mab_segment),
		cmocka_unit_test(test_mab_warnings),
		cmocka_unit_test(test_admit_mab),
		cmocka_unit_test(test_unlock_parse_errors),
		cmocka_unit_test(test_unlock_eval),
		cmocka_unit_test(test_unlock_valid_until_schedule),
		cmocka_unit_test(test_unlock_explain),
		cmocka_unit_test(test_net_and_ports),
		cmocka_unit_test(test_walled_garden),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
