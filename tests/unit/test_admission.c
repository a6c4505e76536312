// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One table of admission cases run against the three programs that decide
 * who may connect: the RADIUS module's index (MAB and EAP-TLS), the
 * gateway's desired firewall state (an open session of the device) and
 * byodctl policy explain (core's byod_device_admission). A retired, a
 * suspended and a revoked device, a disabled owner's device and an expired
 * certificate must be refused by all three with the same sentence, under a
 * policy whose rules would admit every device; an active device is
 * admitted by all three into the same segment. By MAC, a device that holds
 * a certificate lands in the mab-segment in all three, unless the rule
 * that matches names method: mac; a device without one as the rules say.
 */
#define _GNU_SOURCE /* nftw (rmtree.h) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "byod.h"
#include "index.h"
#include "rmtree.h"

#define DAY (24 * 3600)

/* Every rule admits: only admission's own checks, and mab-segment for
 * MAC authentication, can refuse or move a device. */
static const char policy[] = "segments:\n"
			     "  reg: { vlan: 10, subnet: 10.10.0.0/22 }\n"
			     "  pupils: { vlan: 20, subnet: 10.20.0.0/16 }\n"
			     "  printers: { vlan: 40, subnet: 10.40.0.0/24 }\n"
			     "rules:\n"
			     "  - name: printers by MAC\n    match: { method: mac, kind: other }\n"
			     "    segment: printers\n"
			     "  - name: everyone\n    match: { state: [active, suspended, revoked, "
			     "retired] }\n    segment: pupils\n"
			     "default: reg\n"
			     "mab-segment: reg\n";

enum setup_kind {
	ACTIVE,
	RETIRED,
	SUSPENDED,
	REVOKED,
	OWNER_DISABLED,
	CERT_EXPIRED,
	MAB_CERT,    /* a phone that holds a certificate, by MAC */
	MAB_PRINTER, /* a printer (kind other) that holds one, by MAC */
	MAB_NO_CERT, /* a phone registered without a certificate, by MAC */
};

static const struct admission_case {
	const char *name;
	enum setup_kind setup;
	int mab; /* by MAC: the index asks by MAC, the session has no serial */
	int admit;
	enum pol_refusal refusal;
	/* the sentence: pre, the device id (or the serial for a certificate
	 * refusal), post */
	const char *pre, *post;
	int quarantine; /* the gateway quarantines its MAC */
	const char *segment; /* where an admitted device lands, "" when refused */
} cases[] = {
	{ "active", ACTIVE, 0, 1, POL_ADMITTED, "segment pupils by rule 'everyone' (line 9)",
	  NULL, 0, "pupils" },
	{ "retired", RETIRED, 0, 0, POL_REFUSED_DEVICE_STATE, "device ", " is retired", 0, "" },
	{ "suspended", SUSPENDED, 0, 0, POL_REFUSED_DEVICE_STATE, "device ", " is suspended", 1,
	  "" },
	{ "revoked", REVOKED, 0, 0, POL_REFUSED_DEVICE_STATE, "device ", " is revoked", 1, "" },
	{ "disabled owner", OWNER_DISABLED, 0, 0, POL_REFUSED_OWNER_DISABLED,
	  "the account owning device ", " is disabled", 1, "" },
	{ "expired certificate", CERT_EXPIRED, 0, 0, POL_REFUSED_CERT_EXPIRED, "certificate ",
	  " has expired", 0, "" },
	{ "MAB, holds a certificate", MAB_CERT, 1, 1, POL_ADMITTED,
	  "segment reg by mab-segment (line 13): it holds a certificate but connected by MAC",
	  NULL, 0, "reg" },
	{ "MAB, a rule names method: mac", MAB_PRINTER, 1, 1, POL_ADMITTED,
	  "segment printers by rule 'printers by MAC' (line 6)", NULL, 0, "printers" },
	{ "MAB, no certificate", MAB_NO_CERT, 1, 1, POL_ADMITTED,
	  "segment pupils by rule 'everyone' (line 9)", NULL, 0, "pupils" },
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))

struct fx {
	char dir[512], home[600];
	struct byod_ctx *ctx;
	struct {
		char id[REG_ID_MAX], serial[REG_SERIAL_MAX], mac[REG_MAC_MAX];
	} dev[NCASES];
	time_t now;
};

static void apply_policy(struct fx *fx)
{
	struct pol_errors errs = { 0 };
	struct byod_err err;
	char path[700];
	FILE *f;

	snprintf(path, sizeof(path), "%s/p.yaml", fx->dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(policy, f);
	fclose(f);
	if (byod_policy_apply(fx->ctx, path, NULL, NULL, &errs, &err))
		fail_msg("policy: %s", errs.n ? errs.v[0].msg : err.msg);
}

/* One owner, one device, one certificate, one open session per case. */
static void add_case(struct fx *fx, size_t i)
{
	struct reg *reg = fx->ctx->reg;
	struct reg_person p = { .role = BYOD_ROLE_STUDENT, .school = "0131234W" };
	struct reg_device d = { .kind = cases[i].setup == MAB_PRINTER ? BYOD_KIND_OTHER :
									 BYOD_KIND_PHONE,
				.state = BYOD_DEVICE_ACTIVE };
	struct reg_cert c = { .state = REG_CERT_VALID };
	struct reg_session s = { .nas_ip = "127.0.0.1" };
	struct byod_err err;

	snprintf(p.login, sizeof(p.login), "pupil%zu", i);
	snprintf(p.display_name, sizeof(p.display_name), "Pupil %zu", i);
	if (reg_person_add(reg, &p, &err))
		fail_msg("person: %s", err.msg);
	d.owner = p.id;
	snprintf(d.name, sizeof(d.name), "phone %zu", i);
	snprintf(d.mac, sizeof(d.mac), "02:00:00:00:a0:%02zx", i);
	d.expires = fx->now + 200 * DAY;
	if (reg_device_add(reg, &d, &err))
		fail_msg("device: %s", err.msg);
	snprintf(c.serial, sizeof(c.serial), "a0b1c2d3e4f5%04zx", i);
	snprintf(c.device, sizeof(c.device), "%s", d.id);
	c.not_before = fx->now - 10 * DAY;
	c.not_after = cases[i].setup == CERT_EXPIRED ? fx->now - DAY : fx->now + 200 * DAY;
	if (cases[i].setup != MAB_NO_CERT && reg_cert_add(reg, &c, &err))
		fail_msg("cert: %s", err.msg);
	switch (cases[i].setup) {
	case RETIRED:
		assert_int_equal(reg_device_set_state(reg, d.id, BYOD_DEVICE_RETIRED, &err), 0);
		break;
	case SUSPENDED:
		assert_int_equal(reg_device_set_state(reg, d.id, BYOD_DEVICE_SUSPENDED, &err), 0);
		break;
	case REVOKED:
		assert_int_equal(reg_device_set_state(reg, d.id, BYOD_DEVICE_REVOKED, &err), 0);
		break;
	case OWNER_DISABLED:
		assert_int_equal(reg_person_set_state(reg, p.login, REG_PERSON_DISABLED, &err), 0);
		break;
	default:
		break;
	}
	snprintf(s.session_id, sizeof(s.session_id), "sess-%zu", i);
	snprintf(s.mac, sizeof(s.mac), "%s", d.mac);
	if (!cases[i].mab)
		snprintf(s.serial, sizeof(s.serial), "%s", c.serial);
	snprintf(s.ip, sizeof(s.ip), "10.20.0.%zu", i + 10);
	if (reg_session_record(reg, REG_ACCT_START, &s, &err))
		fail_msg("session: %s", err.msg);
	snprintf(fx->dev[i].id, sizeof(fx->dev[i].id), "%s", d.id);
	snprintf(fx->dev[i].serial, sizeof(fx->dev[i].serial), "%s", c.serial);
	snprintf(fx->dev[i].mac, sizeof(fx->dev[i].mac), "%s", d.mac);
}

static int setup(void **state)
{
	const char *base = getenv("BYOD_TEST_TMP");
	struct byod_init_params p = { .uai = "0131234W", .name = "Test", .yescrypt_cost = 1 };
	struct byod_err err;
	struct fx *fx = calloc(1, sizeof(*fx));
	size_t i;

	if (!fx)
		return -1;
	fx->now = time(NULL);
	mkdir(base ? base : "/tmp", 0755);
	snprintf(fx->dir, sizeof(fx->dir), "%s/admission.XXXXXX", base ? base : "/tmp");
	if (!mkdtemp(fx->dir))
		return -1;
	snprintf(fx->home, sizeof(fx->home), "%s/home", fx->dir);
	if (byod_home_init(fx->home, &p, &err) || byod_open(fx->home, "test", &fx->ctx, &err)) {
		fprintf(stderr, "setup: %s\n", err.msg);
		return -1;
	}
	*state = fx;
	apply_policy(fx);
	for (i = 0; i < NCASES; i++)
		add_case(fx, i);
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	int rc;

	byod_close(fx->ctx);
	rc = test_rmtree(fx->dir);
	free(fx);
	return rc ? -1 : 0;
}

static int vlan_of(const char *segment)
{
	return !strcmp(segment, "reg") ? 10 : !strcmp(segment, "pupils") ? 20 : 40;
}

static void expected_reason(const struct fx *fx, size_t i, char *out, size_t len)
{
	const char *arg =
		cases[i].refusal == POL_REFUSED_CERT_EXPIRED ? fx->dev[i].serial : fx->dev[i].id;

	if (!cases[i].post)
		snprintf(out, len, "%s", cases[i].pre);
	else
		snprintf(out, len, "%s%s%s", cases[i].pre, arg, cases[i].post);
}

/* The RADIUS module: EAP-TLS with the certificate, or MAB with the MAC;
 * the refusals of a device's state or owner by MAB too (an expired
 * certificate is not presented by MAB: it is in no refusal there). */
static void test_radius_index(void **state)
{
	struct fx *fx = *state;
	struct rad_index_options o = { .home = fx->home, .registration_vlan = 99 };
	struct rad_index *ix;
	struct byod_err err;
	char want[200];
	int degraded;
	size_t i;

	if (rad_index_open(&o, &ix, &degraded, &err))
		fail_msg("rad_index_open: %s", err.msg);
	for (i = 0; i < NCASES; i++) {
		struct rad_query tls = { .method = RAD_METHOD_TLS, .serial = fx->dev[i].serial,
					 .mac = fx->dev[i].mac, .now = fx->now, .explain = true };
		struct rad_query mab = { .method = RAD_METHOD_MAC, .mac = fx->dev[i].mac,
					 .now = fx->now, .explain = true };
		struct rad_answer a;

		expected_reason(fx, i, want, sizeof(want));
		rad_index_decide(ix, cases[i].mab ? &mab : &tls, &a);
		if (a.accept != cases[i].admit || strcmp(a.reason, want))
			fail_msg("%s: the index says %s '%s', the table %s '%s'", cases[i].name,
				 a.accept ? "accept" : "reject", a.reason,
				 cases[i].admit ? "accept" : "reject", want);
		if (a.accept)
			assert_int_equal(a.vlan, vlan_of(cases[i].segment));
		if (cases[i].mab || cases[i].admit || cases[i].setup == CERT_EXPIRED)
			continue;
		rad_index_decide(ix, &mab, &a);
		if (a.accept != cases[i].admit || strcmp(a.reason, want))
			fail_msg("%s (MAB): the index says '%s', the table '%s'", cases[i].name,
				 a.reason, want);
	}
	rad_index_free(ix);
}

/* byod-gatewayd's desired state: each case's open session. */
static void test_gateway_state(void **state)
{
	struct fx *fx = *state;
	struct byod_fw_state st;
	struct pol_policy *pol = NULL;
	struct byod_err err;
	char want[200];
	size_t i;

	byod_fw_state_init(&st);
	if (byod_policy_load(fx->ctx, 0, &pol, NULL, &err) ||
	    byod_fw_state_load(fx->ctx, pol, fx->now, &st, &err))
		fail_msg("state: %s", err.msg);
	assert_int_equal(st.nsessions, NCASES);
	for (i = 0; i < NCASES; i++) {
		const struct byod_fw_session *s;

		for (s = st.first; s; s = s->next)
			if (!strcmp(s->row.device, fx->dev[i].id))
				break;
		assert_non_null(s);
		assert_ptr_equal(byod_fw_state_device_sessions(&st, fx->dev[i].id), s);
		expected_reason(fx, i, want, sizeof(want));
		if (s->adm.admit != cases[i].admit || s->adm.refusal != cases[i].refusal ||
		    strcmp(s->adm.reason, want))
			fail_msg("%s: the gateway says '%s', the table '%s'", cases[i].name,
				 s->adm.reason, want);
		assert_string_equal(s->segment, cases[i].segment);
		assert_string_equal(byod_fw_state_segment(&st, fx->dev[i].mac) ?
					    byod_fw_state_segment(&st, fx->dev[i].mac) :
					    "",
				    cases[i].segment);
		if (s->adm.admit)
			assert_int_equal(s->vlan, vlan_of(cases[i].segment));
		assert_int_equal(s->blocked, cases[i].quarantine);
		assert_int_equal(byod_fw_entry_find(&st.quarantine, fx->dev[i].mac) != NULL,
				 cases[i].quarantine);
	}
	byod_fw_state_free(&st);
	pol_free(pol);
}

static void count_rule(void *ctx, const struct pol_rule *rule, int matched, const char *why)
{
	(*(int *)ctx)++;
}

/* byodctl policy explain's decision, the rules walked as it walks them. */
static void test_explain(void **state)
{
	struct fx *fx = *state;
	struct pol_policy *pol = NULL;
	struct byod_err err;
	char want[200];
	size_t i;

	if (byod_policy_load(fx->ctx, 0, &pol, NULL, &err))
		fail_msg("policy: %s", err.msg);
	for (i = 0; i < NCASES; i++) {
		struct byod_facts facts;
		struct pol_admission adm;
		struct reg_device d;
		int rules = 0;

		assert_int_equal(reg_device_get(fx->ctx->reg, fx->dev[i].id, &d, &err), 0);
		assert_int_equal(byod_device_admission(fx->ctx, pol, &d,
						       cases[i].mab ? POL_METHOD_MAC : -1, fx->now,
						       &facts, &adm, count_rule, &rules, &err),
				 0);
		/* walked up to the rule that matched */
		assert_int_equal(rules, adm.dec.rule + 1);
		expected_reason(fx, i, want, sizeof(want));
		if (adm.admit != cases[i].admit || adm.refusal != cases[i].refusal ||
		    strcmp(adm.reason, want))
			fail_msg("%s: explain says '%s', the table '%s'", cases[i].name, adm.reason,
				 want);
		/* the rules alone would have admitted it */
		assert_int_equal(adm.dec.action, POL_ACTION_SEGMENT);
		if (adm.admit)
			assert_string_equal(adm.dec.segment_name, cases[i].segment);
		assert_int_equal(adm.mab, cases[i].setup == MAB_CERT);
	}
	pol_free(pol);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_radius_index),
		cmocka_unit_test(test_gateway_state),
		cmocka_unit_test(test_explain),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
