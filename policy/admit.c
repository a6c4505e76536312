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

/*
 * A device that holds a certificate and connects by MAC: anyone can send
 * its MAC, so it lands in mab-segment whatever segment the rules give it,
 * unless the rule that matched names method: mac (the admin's explicit
 * word that this device or kind may use MAB there). A rule that rejects
 * still rejects. Returns 1 when mab-segment decided.
 */
static int bound_mab(const struct pol_policy *pol, const struct pol_facts *f,
		     struct pol_admission *out)
{
	struct pol_decision *d = &out->dec;
	const char *held = "it holds a certificate but connected by MAC";

	if (f->method != POL_METHOD_MAC || !f->device_cert_until || d->action != POL_ACTION_SEGMENT)
		return 0;
	if (d->rule >= 0 && pol_rule_allows_mab(&pol->rules[d->rule]))
		return 0;
	if (pol->mab_action == POL_ACTION_SEGMENT && d->segment == pol->mab_segment)
		return 0; /* where it would land anyway */
	out->mab = 1;
	out->what = "mab-segment";
	if (pol->mab_action == POL_ACTION_REJECT) {
		d->action = POL_ACTION_REJECT;
		d->segment = -1;
		d->segment_name = NULL;
		d->vlan = 0;
		out->refusal = POL_REFUSED_BY_RULE;
		if (pol->mab_line)
			snprintf(out->reason, REASON, "rejected by mab-segment (line %d): %s",
				 pol->mab_line, held);
		else
			snprintf(out->reason, REASON,
				 "rejected: %s, and the policy has no mab-segment or "
				 "registration segment",
				 held);
		return 1;
	}
	d->segment = pol->mab_segment;
	d->segment_name = pol->segments[d->segment].name;
	d->vlan = pol->segments[d->segment].vlan;
	out->admit = 1;
	out->refusal = POL_ADMITTED;
	if (pol->mab_line)
		snprintf(out->reason, REASON, "segment %s by mab-segment (line %d): %s",
			 d->segment_name, pol->mab_line, held);
	else
		snprintf(out->reason, REASON, "segment %s, the mab-segment by default: %s",
			 d->segment_name, held);
	return 1;
}

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
	if (bound_mab(pol, f, out)) {
		if (out->admit && out->dec.valid_until > now)
			out->session_timeout = (long)(out->dec.valid_until - now);
		return;
	}
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
