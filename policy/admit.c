// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Admission (pol_admit, policy.h): which devices may connect, decided in
 * one place for the RADIUS module, byod-gatewayd and byodctl policy
 * explain. The fail-closed checks run in a fixed order, so that every
 * program gives the same refusal in the same words, and the device states
 * are one table.
 */
#include "policy.h"

#include <stdio.h>
#include <string.h>

static const struct {
	unsigned refused : 1;     /* the state alone refuses the device */
	unsigned quarantined : 1; /* the gateway drops its MACs at the door */
	unsigned holds_mac : 1;   /* the device still holds its MAC */
} states[BYOD_DEVICE_STATE_N] = {
	[BYOD_DEVICE_ACTIVE] = { 0, 0, 1 },
	/* suspended: back when resumed, so it keeps its MAC meanwhile */
	[BYOD_DEVICE_SUSPENDED] = { 1, 1, 1 },
	[BYOD_DEVICE_REVOKED] = { 1, 1, 0 },
	/* retired by its owner: refused, but its MAC may be a new device's */
	[BYOD_DEVICE_RETIRED] = { 1, 0, 0 },
	/* not in the registry: the policy decides (registration) */
	[BYOD_DEVICE_UNKNOWN] = { 0, 0, 0 },
};

static int state_ok(int state)
{
	return state >= 0 && state < BYOD_DEVICE_STATE_N;
}

int pol_state_refused(int state)
{
	return !state_ok(state) || states[state].refused;
}

int pol_state_quarantined(int state)
{
	return state_ok(state) && states[state].quarantined;
}

int pol_state_holds_mac(int state)
{
	return state_ok(state) && states[state].holds_mac;
}

/* A refusal before the rules. The MACs of a device in a quarantined state,
 * or of a disabled owner's device that still holds its MAC, are quarantined
 * whichever check came first (a retired device's MAC may be a new one's). */
static char *refuse(struct pol_admission *out, const struct pol_facts *f, enum pol_refusal why,
		    const char *what)
{
	out->admit = 0;
	out->refusal = why;
	out->what = what;
	out->quarantine = why != POL_NO_POLICY &&
			  (pol_state_quarantined(f->state) ||
			   (f->owner_disabled && pol_state_holds_mac(f->state)));
	return out->reason;
}

#define REASON sizeof(out->reason)

void pol_admit(const struct pol_policy *pol, const struct pol_facts *f, time_t now,
	       struct pol_admission *out, pol_explain_cb cb, void *cb_ctx)
{
	const char *device = f->device ? f->device : "?";
	const char *serial = f->serial ? f->serial : "?";
	const char *state = byod_device_state_name(f->state);
	long left;

	memset(out, 0, sizeof(*out));
	out->dec.action = POL_ACTION_REJECT;
	out->dec.segment = -1;
	out->dec.rule = -2;
	out->dec.rule_name = "";
	if (pol && cb)
		pol_explain(pol, f, now, &out->dec, cb, cb_ctx);

	if (f->cert_not_after && f->cert_revoked) {
		snprintf(refuse(out, f, POL_REFUSED_CERT_REVOKED, "certificate"), REASON,
			 "certificate %s is revoked", serial);
		return;
	}
	if (f->cert_not_after && f->cert_not_after <= now) {
		snprintf(refuse(out, f, POL_REFUSED_CERT_EXPIRED, "certificate"), REASON,
			 "certificate %s has expired", serial);
		return;
	}
	if (pol_state_refused(f->state)) {
		snprintf(refuse(out, f, POL_REFUSED_DEVICE_STATE, "device"), REASON, "device %s is %s",
			 device, state ? state : "in no known state");
		return;
	}
	if (f->owner_disabled) {
		snprintf(refuse(out, f, POL_REFUSED_OWNER_DISABLED, "device"), REASON,
			 "the account owning device %s is disabled", device);
		return;
	}
	if (!pol) {
		snprintf(refuse(out, f, POL_NO_POLICY, "no policy"), REASON, "no policy is loaded");
		return;
	}

	if (!cb)
		pol_eval(pol, f, now, &out->dec);
	out->what = out->dec.rule_name;
	if (out->dec.action == POL_ACTION_REJECT) {
		out->refusal = POL_REFUSED_BY_RULE;
		snprintf(out->reason, sizeof(out->reason), "rejected by rule '%s' (line %d)",
			 out->dec.rule_name, out->dec.rule_line);
		return;
	}
	out->admit = 1;
	out->refusal = POL_ADMITTED;
	snprintf(out->reason, sizeof(out->reason), "segment %s by rule '%s' (line %d)",
		 out->dec.segment_name, out->dec.rule_name, out->dec.rule_line);
	if (out->dec.valid_until > now)
		out->session_timeout = (long)(out->dec.valid_until - now);
	if (f->cert_not_after) {
		left = (long)(f->cert_not_after - now);
		if (!out->session_timeout || left < out->session_timeout)
			out->session_timeout = left;
	}
}
