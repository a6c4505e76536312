// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The desired firewall state from the registry: what nftables should hold
 * for the open accounting sessions and the devices' states. byod-gatewayd
 * keeps it current from the change feed and turns its differences into
 * batches; byodctl firewall show|check|apply renders it once. Every
 * session is decided by pol_admit, like the RADIUS module's requests:
 *   - a session admitted by the policy puts its MAC in the admitted map,
 *     in the segment it was given (the newest session of a MAC wins); a
 *     session without a certificate serial is a MAC authentication, and a
 *     device that holds a certificate gets mab-segment there as in RADIUS;
 *   - a device refused in a quarantined state (revoked, suspended) or
 *     owned by a disabled account has its MACs quarantined: the one it
 *     was registered with and those its sessions were seen with, unless
 *     an active device of an active owner uses the same MAC (the same
 *     phone enrolled again); its sessions' IPv4 addresses too.
 */
#include "byod.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ENTRY(v, i) BYOD_VEC_AT((v), struct byod_fw_entry, (i))
#define SESSION(v, i) BYOD_VEC_AT((v), struct byod_fw_session, (i))

void byod_fw_state_init(struct byod_fw_state *st)
{
	byod_vec_init(&st->sessions, sizeof(struct byod_fw_session));
	byod_vec_init(&st->quarantine, sizeof(struct byod_fw_entry));
}

void byod_fw_state_free(struct byod_fw_state *st)
{
	if (!st)
		return;
	byod_vec_free(&st->sessions);
	byod_vec_free(&st->quarantine);
}

struct byod_fw_entry *byod_fw_entry_find(const struct byod_vec *v, const char *key)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		if (!strcmp(ENTRY(v, i)->mac, key))
			return ENTRY(v, i);
	return NULL;
}

int byod_fw_entry_put(struct byod_vec *v, const char *key, const char *val)
{
	struct byod_fw_entry *e = byod_fw_entry_find(v, key);

	if (!e && !(e = byod_vec_push(v)))
		return -ENOMEM;
	snprintf(e->mac, sizeof(e->mac), "%s", key);
	snprintf(e->val, sizeof(e->val), "%s", val);
	return 0;
}

/* ---- one session ---- */

/* The facts of the certificate the session authenticated with, when the
 * registry has it: its own dates and revocation, not the device's newest. */
static int session_cert(struct byod_ctx *ctx, const struct reg_session *row,
			struct byod_facts *facts, struct byod_err *err)
{
	struct reg_cert c;
	int rc;

	if (!row->serial[0])
		return 0;
	rc = reg_cert_get(ctx->reg, row->serial, &c, err);
	if (rc == -ENOENT)
		return 0;
	if (rc)
		return rc;
	snprintf(facts->serial, sizeof(facts->serial), "%s", c.serial);
	facts->f.serial = facts->serial;
	facts->f.cert_not_before = c.not_before;
	facts->f.cert_not_after = c.not_after;
	facts->f.cert_revoked = c.state != REG_CERT_VALID;
	return 0;
}

int byod_fw_session_decide(struct byod_ctx *ctx, const struct pol_policy *pol,
			   struct byod_fw_session *s, time_t now, struct byod_err *err)
{
	struct byod_facts facts;
	struct reg_device d;
	int rc = -ENOENT;

	s->segment[0] = '\0';
	s->vlan = 0;
	s->blocked = 0;
	if (s->row.device[0])
		rc = reg_device_get(ctx->reg, s->row.device, &d, err);
	if (rc && rc != -ENOENT)
		return rc;
	if (!rc) {
		rc = byod_device_facts(ctx, &d, &facts, err);
		if (!rc && !s->row.serial[0])
			byod_facts_by_mac(&facts); /* MAB: no certificate presented */
		else if (!rc)
			rc = session_cert(ctx, &s->row, &facts, err);
		if (rc)
			return rc;
	} else {
		memset(&facts, 0, sizeof(facts));
		facts.f.role = -1;
		facts.f.kind = -1;
		facts.f.state = BYOD_DEVICE_UNKNOWN;
	}
	facts.f.method = s->row.serial[0] ? POL_METHOD_CERTIFICATE : POL_METHOD_MAC;
	pol_admit(pol, &facts.f, now, &s->adm, NULL, NULL);
	s->blocked = s->adm.quarantine;
	if (s->adm.admit) {
		snprintf(s->segment, sizeof(s->segment), "%s", s->adm.dec.segment_name);
		s->vlan = s->adm.dec.vlan;
	}
	return 0;
}

struct byod_fw_session *byod_fw_state_session(const struct byod_fw_state *st, int64_t id,
					      size_t *at)
{
	size_t i;

	for (i = 0; i < st->sessions.n; i++) {
		if (SESSION(&st->sessions, i)->id == id) {
			if (at)
				*at = i;
			return SESSION(&st->sessions, i);
		}
	}
	return NULL;
}

/* ---- the quarantine ---- */

struct qwalk {
	struct byod_vec *quarantine;
	struct byod_vec *blocked;        /* entry: val = id of a quarantined device */
	struct byod_vec *active;         /* entry: MACs of active devices of active owners */
	const struct byod_vec *disabled; /* entry: val = login of a disabled account */
};

static int login_disabled(const struct byod_vec *disabled, const char *login)
{
	size_t i;

	for (i = 0; i < disabled->n; i++)
		if (!strcmp(ENTRY(disabled, i)->val, login))
			return 1;
	return 0;
}

/* Whether the device's MACs are quarantined: the admission's rule, on the
 * device alone (no certificate, no policy). */
static int device_quarantined(const struct reg_device *d, int owner_disabled)
{
	struct pol_facts f = { .role = -1, .kind = (int)d->kind, .state = (int)d->state };
	struct pol_admission adm;

	f.owner_disabled = owner_disabled;
	pol_admit(NULL, &f, 0, &adm, NULL, NULL);
	return adm.quarantine;
}

static int collect_device(const struct reg_device *d, void *arg)
{
	struct qwalk *w = arg;
	int off = login_disabled(w->disabled, d->owner_login);
	struct byod_fw_entry *e;

	if (!device_quarantined(d, off)) {
		/* a MAC an admitted device holds is never quarantined */
		if (d->state == BYOD_DEVICE_ACTIVE && !off && d->mac[0])
			return byod_fw_entry_put(w->active, d->mac, d->id);
		return 0;
	}
	e = byod_vec_push(w->blocked);
	if (!e)
		return -ENOMEM;
	snprintf(e->val, sizeof(e->val), "%s", d->id);
	return d->mac[0] ? byod_fw_entry_put(w->quarantine, d->mac, d->id) : 0;
}

static int collect_disabled(const struct reg_person *p, void *arg)
{
	struct byod_fw_entry *e;

	if (p->state != REG_PERSON_DISABLED)
		return 0;
	e = byod_vec_push(arg);
	if (!e)
		return -ENOMEM;
	snprintf(e->val, sizeof(e->val), "%s", p->login);
	return 0;
}

struct macs {
	struct byod_vec *quarantine;
	const char *device;
};

static int collect_mac(const struct reg_session *s, void *arg)
{
	struct macs *m = arg;

	return s->mac[0] ? byod_fw_entry_put(m->quarantine, s->mac, m->device) : 0;
}

/* The quarantine from the registry, in one pass over the devices: the MACs
 * of quarantined devices, and those their sessions used (EAP-TLS devices
 * have no registered MAC; closed sessions count too); less the MACs an
 * active device of an active owner uses. */
static int build_quarantine(struct byod_ctx *ctx, struct byod_fw_state *st,
			    struct byod_err *err)
{
	struct byod_vec quarantine = BYOD_VEC_INIT(struct byod_fw_entry);
	struct byod_vec active = BYOD_VEC_INIT(struct byod_fw_entry);
	struct byod_vec logins = BYOD_VEC_INIT(struct byod_fw_entry);
	struct byod_vec blocked = BYOD_VEC_INIT(struct byod_fw_entry);
	struct qwalk w = { &quarantine, &blocked, &active, &logins };
	struct reg_device_filter f = { NULL, -1 };
	size_t i;
	int rc;

	rc = reg_person_list(ctx->reg, collect_disabled, &logins, err);
	if (!rc)
		rc = reg_device_list(ctx->reg, &f, collect_device, &w, err);
	for (i = 0; !rc && i < blocked.n; i++) {
		struct macs m = { &quarantine, ENTRY(&blocked, i)->val };

		rc = reg_session_list(ctx->reg, 0, m.device, collect_mac, &m, err);
	}
	for (i = 0; !rc && i < st->sessions.n; i++) {
		struct byod_fw_session *s = SESSION(&st->sessions, i);

		if (s->blocked && s->row.mac[0])
			rc = byod_fw_entry_put(&quarantine, s->row.mac, s->row.device);
	}
	for (i = quarantine.n; !rc && i-- > 0;)
		if (byod_fw_entry_find(&active, ENTRY(&quarantine, i)->mac))
			byod_vec_del(&quarantine, i);
	if (rc == -ENOMEM)
		byod_err_set(err, ENOMEM, "out of memory");
	if (!rc) {
		byod_vec_free(&st->quarantine);
		st->quarantine = quarantine;
	} else {
		byod_vec_free(&quarantine);
	}
	byod_vec_free(&blocked);
	byod_vec_free(&active);
	byod_vec_free(&logins);
	return rc;
}

/* A MAC another active device of an active owner uses is never quarantined. */
static int mac_in_use(struct byod_ctx *ctx, const char *mac, const char *device)
{
	struct reg_device other;
	struct reg_person owner;

	if (reg_device_find_by_mac(ctx->reg, mac, &other, NULL) || !strcmp(other.id, device) ||
	    other.state != BYOD_DEVICE_ACTIVE)
		return 0;
	if (reg_person_get_by_id(ctx->reg, other.owner, &owner, NULL))
		return 0;
	return owner.state != REG_PERSON_DISABLED;
}

int byod_fw_state_device(struct byod_ctx *ctx, struct byod_fw_state *st, const char *id,
			 struct byod_err *err)
{
	struct byod_vec found = BYOD_VEC_INIT(struct byod_fw_entry);
	struct macs m = { &found, id };
	struct reg_device d;
	struct reg_person owner;
	size_t i;
	int rc;

	for (i = st->quarantine.n; i-- > 0;)
		if (!strcmp(ENTRY(&st->quarantine, i)->val, id))
			byod_vec_del(&st->quarantine, i);
	rc = reg_device_get(ctx->reg, id, &d, err);
	if (rc == -ENOENT)
		return 0;
	if (!rc)
		rc = reg_person_get_by_id(ctx->reg, d.owner, &owner, err);
	if (rc)
		return rc;
	if (!device_quarantined(&d, owner.state == REG_PERSON_DISABLED))
		return 0;
	if (d.mac[0])
		rc = byod_fw_entry_put(&found, d.mac, id);
	if (!rc)
		rc = reg_session_list(ctx->reg, 0, id, collect_mac, &m, err);
	for (i = 0; !rc && i < found.n; i++) {
		const char *mac = ENTRY(&found, i)->mac;

		if (!mac_in_use(ctx, mac, id))
			rc = byod_fw_entry_put(&st->quarantine, mac, id);
	}
	byod_vec_free(&found);
	return rc == -ENOMEM ? byod_err_set(err, ENOMEM, "out of memory") : rc;
}

/* ---- the whole state ---- */

static int collect_session(const struct reg_session *row, void *arg)
{
	struct byod_fw_session *s = byod_vec_push(arg);

	if (!s)
		return -ENOMEM;
	s->id = row->id;
	s->row = *row;
	return 0;
}

int byod_fw_state_load(struct byod_ctx *ctx, const struct pol_policy *pol, time_t now,
		       struct byod_fw_state *st, struct byod_err *err)
{
	struct byod_vec sessions = BYOD_VEC_INIT(struct byod_fw_session);
	size_t i;
	int rc;

	rc = reg_session_list(ctx->reg, 1, NULL, collect_session, &sessions, err);
	if (rc == -ENOMEM)
		byod_err_set(err, ENOMEM, "out of memory");
	/* the list is newest first; followed oldest first */
	for (i = 0; !rc && i < sessions.n / 2; i++) {
		struct byod_fw_session t = *SESSION(&sessions, i);

		*SESSION(&sessions, i) = *SESSION(&sessions, sessions.n - 1 - i);
		*SESSION(&sessions, sessions.n - 1 - i) = t;
	}
	for (i = 0; !rc && i < sessions.n; i++)
		rc = byod_fw_session_decide(ctx, pol, SESSION(&sessions, i), now, err);
	if (rc) {
		byod_vec_free(&sessions);
		return rc;
	}
	byod_vec_free(&st->sessions);
	st->sessions = sessions;
	return build_quarantine(ctx, st, err);
}

/* Admitted: the MAC of every session with a segment, the newest session of
 * a MAC deciding (the list is oldest first); never a quarantined MAC. */
const char *byod_fw_state_segment(const struct byod_fw_state *st, const char *mac)
{
	const char *seg = NULL;
	size_t i;

	if (byod_fw_entry_find(&st->quarantine, mac))
		return NULL;
	for (i = 0; i < st->sessions.n; i++) {
		const struct byod_fw_session *s = SESSION(&st->sessions, i);

		if (!strcmp(s->row.mac, mac))
			seg = s->segment[0] ? s->segment : NULL;
	}
	return seg;
}

int byod_fw_state_sets(const struct byod_fw_state *st, struct byod_fw_sets *out)
{
	size_t i;
	int rc = 0;

	byod_vec_init(&out->admitted, sizeof(struct byod_fw_entry));
	byod_vec_init(&out->quarantine, sizeof(struct byod_fw_entry));
	byod_vec_init(&out->quarantine_ips, sizeof(struct byod_fw_entry));
	for (i = 0; !rc && i < st->quarantine.n; i++)
		rc = byod_fw_entry_put(&out->quarantine, ENTRY(&st->quarantine, i)->mac, "");
	for (i = 0; !rc && i < st->sessions.n; i++) {
		const struct byod_fw_session *s = SESSION(&st->sessions, i);
		const char *seg;

		/* nftables' quarantine set of addresses is IPv4 */
		if (s->blocked && s->row.ip[0] && strchr(s->row.ip, '.'))
			rc = byod_fw_entry_put(&out->quarantine_ips, s->row.ip, "");
		seg = s->row.mac[0] ? byod_fw_state_segment(st, s->row.mac) : NULL;
		if (!rc && seg)
			rc = byod_fw_entry_put(&out->admitted, s->row.mac, seg);
	}
	if (rc)
		byod_fw_sets_free(out);
	return rc;
}

void byod_fw_sets_free(struct byod_fw_sets *s)
{
	if (!s)
		return;
	byod_vec_free(&s->admitted);
	byod_vec_free(&s->quarantine);
	byod_vec_free(&s->quarantine_ips);
}

int byod_fw_sets_render(struct byod_ctx *ctx, const struct pol_policy *pol,
			const struct byod_fw_sets *sets, char **text, struct byod_err *err)
{
	struct byod_fw_setup fw;
	struct fw_admitted *adm = NULL;
	const char **qm = NULL, **qi = NULL;
	size_t i;
	int rc;

	*text = NULL;
	if (!pol)
		return byod_err_set(err, ENOENT, "no policy has been applied yet");
	rc = byod_fw_setup(ctx, pol, &fw, err);
	if (rc)
		return rc;
	adm = calloc(sets->admitted.n + 1, sizeof(*adm));
	qm = calloc(sets->quarantine.n + 1, sizeof(*qm));
	qi = calloc(sets->quarantine_ips.n + 1, sizeof(*qi));
	if (!adm || !qm || !qi) {
		rc = byod_err_set(err, ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < sets->admitted.n; i++) {
		adm[i].mac = ENTRY(&sets->admitted, i)->mac;
		adm[i].segment = ENTRY(&sets->admitted, i)->val;
	}
	for (i = 0; i < sets->quarantine.n; i++)
		qm[i] = ENTRY(&sets->quarantine, i)->mac;
	for (i = 0; i < sets->quarantine_ips.n; i++)
		qi[i] = ENTRY(&sets->quarantine_ips, i)->mac;
	fw.cfg.admitted = adm;
	fw.cfg.nadmitted = sets->admitted.n;
	fw.cfg.quarantine_macs = qm;
	fw.cfg.nquarantine_macs = sets->quarantine.n;
	fw.cfg.quarantine_ips = qi;
	fw.cfg.nquarantine_ips = sets->quarantine_ips.n;
	rc = fw_render(pol, &fw.cfg, text, err);
out:
	free(adm);
	free(qm);
	free(qi);
	byod_fw_setup_free(&fw);
	return rc;
}

int byod_fw_state_render(struct byod_ctx *ctx, const struct pol_policy *pol,
			 const struct byod_fw_state *st, char **text, struct byod_err *err)
{
	struct byod_fw_sets sets;
	int rc;

	*text = NULL;
	if (byod_fw_state_sets(st, &sets))
		return byod_err_set(err, ENOMEM, "out of memory");
	rc = byod_fw_sets_render(ctx, pol, &sets, text, err);
	byod_fw_sets_free(&sets);
	return rc;
}
