// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The in-memory index behind rlm_byod: devices by id and by MAC,
 * certificates by serial, owners by id, every school's compiled running
 * policy (its own, or the département's default: core/policies.c) and the
 * teachers' unlocks live now (whose end bounds the Session-Timeout of a
 * decision made through one).
 * Loaded whole at start, then kept current by reading the registry's change
 * feed: each event names one object, which is read again and swapped in
 * under the write lock (a certificate's event also reads how long its
 * device holds one). Decisions read under the read lock and do no I/O.
 * This file: opening and freeing the index, the decision, the stats; the
 * rest is in the files index_int.h names.
 */
#include "index_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "byod.h"
#include "byod_util.h"
#include "hmap.h"
#include "policy.h"

int rad_index_open(const struct rad_index_options *opt, struct rad_index **out, int *degraded,
		   struct byod_err *err)
{
	struct rad_index *ix = calloc(1, sizeof(*ix));
	int rc;

	*out = NULL;
	*degraded = 0;
	if (!ix)
		return byod_err_set(err, ENOMEM, "out of memory");
	pthread_rwlock_init(&ix->lock, NULL);
	pthread_mutex_init(&ix->refresh_lock, NULL);
	pthread_mutex_init(&ix->recent_lock, NULL);
	ix->recent = byod_hmap_new(free);
	ix->registration_vlan = opt->registration_vlan;
	ix->unreachable_reject = opt->unreachable_reject;
	ix->home = strdup(opt->home ? opt->home : ".");
	if (!ix->home || !ix->recent || ix_new_maps(ix)) {
		rad_index_free(ix);
		return byod_err_set(err, ENOMEM, "out of memory");
	}
	rc = ix_open_registry(ix, ix->home, err);
	if (rc == -EINVAL || rc == -ERANGE || rc == -EEXIST || rc == -ENOMEM) {
		/* a configuration mistake is the admin's to fix: refuse to start */
		rad_index_free(ix);
		return rc;
	}
	if (!rc)
		rc = ix_load_all(ix, err);
	if (rc) {
		/* start anyway, empty: refresh will retry the full load */
		ix_free_maps(ix);
		byod_policies_free(ix->policies);
		ix->policies = NULL;
		ix->policy_version = 0;
		free(ix->live);
		ix->live = NULL;
		ix->nlive = 0;
		if (ix_new_maps(ix)) {
			rad_index_free(ix);
			return byod_err_set(err, ENOMEM, "out of memory");
		}
		ix->degraded = 1;
		*degraded = 1;
	} else {
		ix->loaded = 1;
		ix->full_loads = 1;
		ix->epoch = reg_connection_epoch(ix->reg);
	}
	*out = ix;
	return 0;
}

void rad_index_free(struct rad_index *ix)
{
	if (!ix)
		return;
	ix_free_maps(ix);
	byod_hmap_free(ix->recent);
	byod_policies_free(ix->policies);
	free(ix->live);
	reg_close(ix->reg);
	free(ix->home);
	pthread_mutex_destroy(&ix->recent_lock);
	pthread_rwlock_destroy(&ix->lock);
	pthread_mutex_destroy(&ix->refresh_lock);
	free(ix);
}



/* ---- deciding ---- */

static int answer(struct rad_answer *out, int accept, int vlan, const char *rule,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Fills out; returns 0 so that a decision can end with "return answer(...)". */
static int answer(struct rad_answer *out, int accept, int vlan, const char *rule,
		  const char *fmt, ...)
{
	va_list ap;

	out->accept = accept;
	out->vlan = vlan;
	snprintf(out->rule, sizeof(out->rule), "%s", rule);
	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
	return 0;
}

/* The decision counts' name of the registration VLAN given without a
 * policy to name it. */
#define REGISTRATION "registration"

/* The registry could not be read since the start: nothing is known, no
 * policy either. */
static int unreachable(struct rad_index *ix, struct rad_answer *out)
{
	out->counted = "no-policy";
	if (ix->unreachable_reject)
		return answer(out, 0, 0, "registry unreachable",
			      "the registry is unreachable: refused");
	snprintf(out->segment, sizeof(out->segment), "%s", REGISTRATION);
	return answer(out, 1, ix->registration_vlan, "registry unreachable",
		      "the registry is unreachable: registration segment");
}

/* The name a refusal is counted under: a device the registry does not
 * know is "unknown" whatever refused it. */
static const char *counted_as(const struct pol_admission *adm, int known)
{
	static const char *const by_refusal[] = {
		[POL_ADMITTED] = "accept",
		[POL_REFUSED_CERT_REVOKED] = "cert-revoked",
		[POL_REFUSED_CERT_EXPIRED] = "cert-expired",
		[POL_REFUSED_DEVICE_STATE] = "device-state",
		[POL_REFUSED_OWNER_DISABLED] = "owner-disabled",
		[POL_REFUSED_BY_RULE] = "rule",
		[POL_NO_POLICY] = "no-policy",
	};

	if (adm->admit)
		return "accept";
	if (!known)
		return "unknown";
	return (size_t)adm->refusal < sizeof(by_refusal) / sizeof(by_refusal[0]) &&
			       by_refusal[adm->refusal]
		       ? by_refusal[adm->refusal]
		       : "rule";
}

/*
 * explain: the rule, the reason and the device's id are written into out;
 * without it only what a refusal says is (rad_index_decide decides a
 * refusal again with explain: pol_admit names the device in it).
 */
static int decide_locked(struct rad_index *ix, const struct rad_query *rq, struct rad_answer *out,
			 int explain)
{
	const struct store *s = &ix->st;
	char serial[REG_SERIAL_MAX];
	const struct device *d = NULL;
	const struct cert *c = NULL;
	const struct person *p = NULL;
	const struct reg_unlock *u;
	struct pol_facts f;
	struct pol_admission adm;
	struct bserial sn;
	uint64_t mac;
	uint32_t slot;
	char when[32];
	int left = 0;

	if (rq->method == RAD_METHOD_TLS) {
		if (!rq->serial || byod_serial_normalise(rq->serial, serial, sizeof(serial)))
			return answer(out, 0, 0, "certificate", "no usable certificate serial");
		c = ix_serial_parse(serial, &sn) ? NULL : cert_get(s, &sn);
		if (!c && !ix->loaded)
			return unreachable(ix, out);
		if (!c)
			return answer(out, 0, 0, "certificate",
				      "certificate %s is not in the registry", serial);
		d = c->device != NONE && DEV(s, c->device)->present ? DEV(s, c->device) : NULL;
		if (!d)
			return answer(out, 0, 0, "certificate",
				      "certificate %s belongs to no device", serial);
	} else {
		if (!rq->mac || ix_mac_parse(rq->mac, &mac))
			return answer(out, 0, 0, "mac", "'%s' is not a MAC address",
				      rq->mac ? rq->mac : "");
		slot = t_get(s, &s->by_mac, T_MAC, &mac);
		d = slot != NONE ? DEV(s, slot) : NULL;
	}
	memset(&f, 0, sizeof(f));
	f.role = -1;
	f.kind = -1;
	f.state = BYOD_DEVICE_UNKNOWN;
	f.method = rq->method == RAD_METHOD_TLS ? POL_METHOD_CERTIFICATE : POL_METHOD_MAC;
	if (d) {
		out->known = 1;
		if (explain) {
			ix_uuid_format(d->id, out->device);
			f.device = out->device;
		}
		if (d->owner != NONE && PERSON(s, d->owner)->present)
			p = PERSON(s, d->owner);
		f.kind = (int)d->kind;
		f.state = (int)d->state;
		f.device_cert_until = d->cert_until;
	}
	if (p) {
		const char *school = text_of(s, p->school), *groups = text_of(s, p->groups);

		snprintf(out->school, sizeof(out->school), "%s", school);
		f.role = p->role;
		f.school = school;
		f.groups = groups;
		/* an owner whose leaving date has come is refused as a disabled
		 * one, before the daily job disables the account */
		left = !p->disabled && p->leaves_at && p->leaves_at <= rq->now;
		f.owner_disabled = p->disabled || left;
		/* a teacher opened one of the owner's groups */
		u = byod_unlock_find(ix->live, ix->nlive, school, groups, rq->now);
		if (u) {
			f.unlocked_until = u->ends;
			f.unlocked_group = u->group;
		}
	}
	if (c && !c->seen && c->replaces != NONE) {
		/* a renewal never seen before, whose predecessor still works:
		 * its first accept revokes that one (reg_cert_seen) */
		const struct cert *old = cert_get(s, REP(s, c->replaces));

		if (old && !old->revoked && time40_get(old->na) > rq->now) {
			out->first_sighting = 1;
			snprintf(out->serial, sizeof(out->serial), "%s", serial);
		}
	}
	if (c) {
		f.serial = serial;
		f.cert_not_before = time40_get(c->nb);
		f.cert_not_after = time40_get(c->na);
		f.cert_revoked = c->revoked;
	}
	pol_admit(byod_policies_for(ix->policies, p ? text_of(s, p->school) : NULL), &f, rq->now,
		  &adm, NULL, NULL);
	if (adm.refusal == POL_NO_POLICY) {
		out->first_sighting = 0; /* the registration segment proves nothing */
		if (!ix->loaded)
			return unreachable(ix, out);
		out->counted = "no-policy";
		snprintf(out->segment, sizeof(out->segment), "%s", REGISTRATION);
		return answer(out, 1, ix->registration_vlan, "no policy",
			      "no policy is loaded: registration segment");
	}
	out->counted = counted_as(&adm, out->known);
	if (adm.admit)
		snprintf(out->segment, sizeof(out->segment), "%s", adm.dec.segment_name);
	if (!adm.admit)
		out->first_sighting = 0;
	out->accept = adm.admit;
	out->vlan = adm.admit ? adm.dec.vlan : 0;
	out->session_timeout = adm.session_timeout;
	if (!explain)
		return 0;
	snprintf(out->rule, sizeof(out->rule), "%s", adm.what);
	snprintf(out->reason, sizeof(out->reason), "%s", adm.reason);
	if (!adm.admit && adm.refusal == POL_REFUSED_OWNER_DISABLED && left)
		snprintf(out->reason, sizeof(out->reason), "the owner of device %s left on %s",
			 out->device, byod_time_iso(p->leaves_at, when, sizeof(when)));
	return 0;
}

void rad_index_decide(struct rad_index *ix, const struct rad_query *rq, struct rad_answer *out)
{
	memset(out, 0, sizeof(*out));
	pthread_rwlock_rdlock(&ix->lock);
	decide_locked(ix, rq, out, rq->explain);
	if (!rq->explain && !out->accept) {
		/* a refusal always says why (its Reply-Message) */
		memset(out, 0, sizeof(*out));
		decide_locked(ix, rq, out, 1);
	}
	pthread_rwlock_unlock(&ix->lock);
	/* the answers before the policy: a serial, a certificate or a MAC
	 * the registry does not know */
	if (!out->counted)
		out->counted = out->accept ? "accept" : "unknown";
}

void rad_index_remember(struct rad_index *ix, const char *mac, const char *serial)
{
	char m[REG_MAC_MAX], sn[REG_SERIAL_MAX];
	char *copy;

	if (!mac || !serial || byod_mac_normalise(mac, m) ||
	    byod_serial_normalise(serial, sn, sizeof(sn)))
		return;
	copy = strdup(sn);
	if (!copy)
		return;
	pthread_mutex_lock(&ix->recent_lock);
	if (byod_hmap_put(ix->recent, m, copy))
		free(copy);
	pthread_mutex_unlock(&ix->recent_lock);
}

int rad_index_serial_for_mac(struct rad_index *ix, const char *mac, char *out, size_t len)
{
	char m[REG_MAC_MAX];
	const char *sn;
	int rc = -ENOENT;

	if (!mac || byod_mac_normalise(mac, m))
		return -EINVAL;
	pthread_mutex_lock(&ix->recent_lock);
	sn = byod_hmap_get(ix->recent, m);
	if (sn) {
		snprintf(out, len, "%s", sn);
		rc = 0;
	}
	pthread_mutex_unlock(&ix->recent_lock);
	return rc;
}

void rad_index_stats(struct rad_index *ix, struct rad_index_stats *out)
{
	memset(out, 0, sizeof(*out));
	pthread_rwlock_rdlock(&ix->lock);
	out->devices = ix->st.ndevices;
	out->certs = ix->st.ncerts;
	out->people = ix->st.npeople;
	out->bytes = ix_store_bytes(&ix->st);
	out->load_s = (double)ix->st.load_us / 1e6;
	out->seq = ix->seq;
	out->policy_version = ix->policy_version;
	out->degraded = ix->degraded;
	out->full_loads = ix->full_loads;
	out->resumes = ix->resumes;
	out->feed_reads = __atomic_load_n(&ix->feed_reads, __ATOMIC_RELAXED);
	snprintf(out->reload_why, sizeof(out->reload_why), "%s", ix->reload_why);
	pthread_rwlock_unlock(&ix->lock);
}
