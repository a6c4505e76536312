// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the policy parser: any bytes an admin (or an
 * attacker with write access to a policy file) can feed pol_load must give
 * a policy or a list of errors, never a crash, a leak or undefined
 * behaviour. A policy that loads is also evaluated once (the compiled
 * pol_eval and the linear reference must agree, or the target traps), explained once
 * with a teacher's opening of the class live (unlock: teacher), and
 * admitted once by MAC (mab-segment).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void ignore(void *ctx, const struct pol_rule *r, int matched, const char *why)
{
	(void)ctx;
	(void)r;
	(void)matched;
	(void)why;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pol_facts facts = { .role = BYOD_ROLE_STUDENT, .school = "0131234W",
				   .groups = "4B latin", .kind = BYOD_KIND_PHONE,
				   .state = BYOD_DEVICE_ACTIVE, .method = POL_METHOD_CERTIFICATE,
				   .cert_not_before = 1780000000, .cert_not_after = 1810000000 };
	struct pol_decision d, ref;
	struct pol_policy *pol;
	struct pol_errors errs;
	struct pol_admission adm;

	if (pol_load("fuzz.yaml", (const char *)data, size, &pol, &errs) == 0) {
		pol_eval(pol, &facts, 1790000000, &d);
		pol_eval_linear(pol, &facts, 1790000000, &ref);
		if (d.rule != ref.rule || d.vlan != ref.vlan || d.action != ref.action ||
		    d.valid_until != ref.valid_until)
			__builtin_trap();
		facts.unlocked_until = 1790000600;
		facts.unlocked_group = "4B";
		pol_explain(pol, &facts, 1790000000, &d, ignore, NULL);
		facts.unlocked_until = 0;
		/* by MAC, holding a certificate: mab-segment */
		facts.method = POL_METHOD_MAC;
		facts.cert_not_before = facts.cert_not_after = 0;
		facts.device_cert_until = 1810000000;
		pol_admit(pol, &facts, 1790000000, &adm, NULL, NULL);
		pol_free(pol);
	}
	pol_errors_free(&errs);
	return 0;
}
