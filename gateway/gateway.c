// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * byod-gatewayd's engine (see gateway.h). It keeps three things:
 *   - the open accounting sessions it follows, each with the decision the
 *     policy gives it now (segment, or none when refused or blocked);
 *   - the quarantined MACs: those of revoked or suspended devices and of
 *     devices whose owner is disabled (unless an active device uses the
 *     same MAC);
 *   - what the kernel's sets and map hold, so that a change is a small
 *     batch of element commands (one transaction) computed as the
 *     difference between what should be and what is.
 * Order matters for "within one second": the firewall is changed first,
 * then the NAS are asked to disconnect. When a batch fails (someone
 * flushed the ruleset), the whole ruleset is rendered again with the state.
 */
#define _GNU_SOURCE
#include "gateway.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAC_LEN 18
#define SEG_LEN 64

struct sess {
	int64_t id;
	struct reg_session row;
	char segment[SEG_LEN]; /* "" when refused or blocked */
	int vlan;
	int blocked;
};

struct entry {
	char mac[MAC_LEN];
	char val[SEG_LEN]; /* admitted: the segment; quarantine: the device */
};

struct vec {
	void *v;
	size_t n, cap, size;
};

struct gw {
	struct gw_options opt;
	struct byod_ctx *ctx;
	struct pol_policy *pol;
	int64_t seq;
	struct vec sess;       /* struct sess */
	struct vec quarantine; /* struct entry: MAC -> device that put it there */
	struct vec k_admitted; /* what the kernel holds */
	struct vec k_quarantine;
	struct vec k_qip;      /* struct entry, mac = "" and val = the address */
	struct gw_stats st;
};

static void gw_log(struct gw *gw, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void gw_log(struct gw *gw, int level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!gw->opt.log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	gw->opt.log(level, msg, gw->opt.log_ctx);
}

static void *vec_push(struct vec *v)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 16;
		void *n = realloc(v->v, cap * v->size);

		if (!n)
			return NULL;
		v->v = n;
		v->cap = cap;
	}
	memset((char *)v->v + v->n * v->size, 0, v->size);
	return (char *)v->v + v->n++ * v->size;
}

static void vec_del(struct vec *v, size_t i)
{
	memmove((char *)v->v + i * v->size, (char *)v->v + (i + 1) * v->size,
		(v->n - i - 1) * v->size);
	v->n--;
}

static void vec_free(struct vec *v)
{
	free(v->v);
	v->v = NULL;
	v->n = v->cap = 0;
}

#define AT(vec, type, i) (&((type *)(vec).v)[i])

static struct entry *entry_find(struct vec *v, const char *mac)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		if (!strcmp(AT(*v, struct entry, i)->mac, mac))
			return AT(*v, struct entry, i);
	return NULL;
}

static int entry_put(struct vec *v, const char *mac, const char *val)
{
	struct entry *e = entry_find(v, mac);

	if (!e && !(e = vec_push(v)))
		return -ENOMEM;
	snprintf(e->mac, sizeof(e->mac), "%s", mac);
	snprintf(e->val, sizeof(e->val), "%s", val);
	return 0;
}

static time_t gw_now(const struct gw *gw)
{
	return gw->opt.clock ? gw->opt.clock(gw->opt.clock_ctx) : time(NULL);
}

/* ---- decisions ---- */

/* Revoked, suspended, or owned by a disabled account: quarantined. */
static int device_blocked(const struct reg_device *d, const struct reg_person *owner)
{
	return d->state == BYOD_DEVICE_REVOKED || d->state == BYOD_DEVICE_SUSPENDED ||
	       (owner && owner->state == REG_PERSON_DISABLED);
}

/* What the policy says of session s now. */
static int decide(struct gw *gw, struct sess *s, time_t now, struct byod_err *err)
{
	struct byod_facts facts;
	struct reg_device d;
	struct pol_decision dec;
	int rc;

	s->segment[0] = '\0';
	s->vlan = 0;
	s->blocked = 0;
	memset(&facts, 0, sizeof(facts));
	if (s->row.device[0]) {
		rc = reg_device_get(gw->ctx->reg, s->row.device, &d, err);
		if (rc == -ENOENT)
			goto unknown;
		if (rc)
			return rc;
		rc = byod_device_facts(gw->ctx, &d, &facts, err);
		if (rc)
			return rc;
		s->blocked = device_blocked(&d, &facts.owner);
		if (facts.owner.state == REG_PERSON_DISABLED)
			facts.f.state = BYOD_DEVICE_SUSPENDED;
		facts.f.method = s->row.serial[0] ? POL_METHOD_CERTIFICATE : POL_METHOD_MAC;
	} else {
unknown:
		memset(&facts, 0, sizeof(facts));
		facts.f.role = -1;
		facts.f.kind = -1;
		facts.f.state = BYOD_DEVICE_UNKNOWN;
		facts.f.method = s->row.serial[0] ? POL_METHOD_CERTIFICATE : POL_METHOD_MAC;
	}
	if (!gw->pol || s->blocked)
		return 0;
	pol_eval(gw->pol, &facts.f, now, &dec);
	if (dec.action == POL_ACTION_SEGMENT && dec.segment_name) {
		snprintf(s->segment, sizeof(s->segment), "%s", dec.segment_name);
		s->vlan = dec.vlan;
	}
	return 0;
}

static struct sess *sess_find(struct gw *gw, int64_t id, size_t *at)
{
	size_t i;

	for (i = 0; i < gw->sess.n; i++) {
		if (AT(gw->sess, struct sess, i)->id == id) {
			if (at)
				*at = i;
			return AT(gw->sess, struct sess, i);
		}
	}
	return NULL;
}

/* ---- the kernel's state ---- */

/* Admitted: the MAC of every followed session with a segment (the newest
 * session of a MAC wins: the list is oldest first). */
static const char *wanted_segment(struct gw *gw, const char *mac)
{
	const char *seg = NULL;
	size_t i;

	for (i = 0; i < gw->sess.n; i++) {
		struct sess *s = AT(gw->sess, struct sess, i);

		if (!strcmp(s->row.mac, mac))
			seg = s->segment[0] ? s->segment : NULL;
	}
	return seg;
}

static int wanted_qip(struct gw *gw, const char *ip)
{
	size_t i;

	for (i = 0; i < gw->sess.n; i++) {
		struct sess *s = AT(gw->sess, struct sess, i);

		if (s->blocked && !strcmp(s->row.ip, ip))
			return 1;
	}
	return 0;
}

/* Makes the kernel's vectors equal to what should be, as a batch. */
static int diff_batch(struct gw *gw, struct fw_batch *b)
{
	size_t i;
	int rc = 0;

	/* quarantine first: it is the one that must not wait */
	for (i = 0; !rc && i < gw->quarantine.n; i++) {
		struct entry *q = AT(gw->quarantine, struct entry, i);

		if (!entry_find(&gw->k_quarantine, q->mac)) {
			rc = fw_batch_quarantine(b, q->mac, 1);
			if (!rc)
				rc = entry_put(&gw->k_quarantine, q->mac, "");
		}
	}
	for (i = 0; !rc && i < gw->sess.n; i++) {
		struct sess *s = AT(gw->sess, struct sess, i);

		if (s->blocked && s->row.ip[0] && strchr(s->row.ip, '.') &&
		    !entry_find(&gw->k_qip, s->row.ip)) {
			rc = fw_batch_quarantine_ip(b, s->row.ip, 1);
			if (!rc)
				rc = entry_put(&gw->k_qip, s->row.ip, "");
		}
	}
	for (i = gw->k_quarantine.n; !rc && i-- > 0;) {
		struct entry *k = AT(gw->k_quarantine, struct entry, i);

		if (!entry_find(&gw->quarantine, k->mac)) {
			rc = fw_batch_quarantine(b, k->mac, 0);
			if (!rc)
				vec_del(&gw->k_quarantine, i);
		}
	}
	for (i = gw->k_qip.n; !rc && i-- > 0;) {
		struct entry *k = AT(gw->k_qip, struct entry, i);

		if (!wanted_qip(gw, k->mac)) {
			rc = fw_batch_quarantine_ip(b, k->mac, 0);
			if (!rc)
				vec_del(&gw->k_qip, i);
		}
	}
	/* admitted: evict or move, then admit */
	for (i = gw->k_admitted.n; !rc && i-- > 0;) {
		struct entry *k = AT(gw->k_admitted, struct entry, i);
		const char *seg = wanted_segment(gw, k->mac);

		if (!seg || strcmp(seg, k->val) || entry_find(&gw->quarantine, k->mac)) {
			rc = fw_batch_evict(b, k->mac);
			if (!rc)
				vec_del(&gw->k_admitted, i);
		}
	}
	for (i = 0; !rc && i < gw->sess.n; i++) {
		struct sess *s = AT(gw->sess, struct sess, i);
		const char *seg = s->row.mac[0] ? wanted_segment(gw, s->row.mac) : NULL;

		if (seg && !entry_find(&gw->quarantine, s->row.mac) &&
		    !entry_find(&gw->k_admitted, s->row.mac)) {
			rc = fw_batch_admit(b, s->row.mac, seg);
			if (!rc)
				rc = entry_put(&gw->k_admitted, s->row.mac, seg);
		}
	}
	return rc;
}

/* Renders the whole ruleset with the state that should be, and applies it
 * (unless a dry run); *keep (may be NULL) gets the text. */
static int render_text(struct gw *gw, char **keep, struct byod_err *err)
{
	struct byod_fw_setup fw;
	struct fw_admitted *adm = NULL;
	const char **qm = NULL, **qi = NULL;
	char *text = NULL;
	size_t i;
	int rc;

	if (!gw->pol)
		return byod_err_set(err, ENOENT, "no policy has been applied yet");
	/* what the kernel will hold is what should be */
	vec_free(&gw->k_admitted);
	vec_free(&gw->k_quarantine);
	vec_free(&gw->k_qip);
	{
		struct fw_batch *b = fw_batch_new();

		rc = b ? diff_batch(gw, b) : -ENOMEM;
		fw_batch_free(b);
		if (rc)
			return byod_err_set(err, -rc, "cannot compute the device state");
	}
	rc = byod_fw_setup(gw->ctx, gw->pol, &fw, err);
	if (rc)
		return rc;
	adm = calloc(gw->k_admitted.n + 1, sizeof(*adm));
	qm = calloc(gw->k_quarantine.n + 1, sizeof(*qm));
	qi = calloc(gw->k_qip.n + 1, sizeof(*qi));
	if (!adm || !qm || !qi) {
		rc = byod_err_set(err, ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < gw->k_admitted.n; i++) {
		adm[i].mac = AT(gw->k_admitted, struct entry, i)->mac;
		adm[i].segment = AT(gw->k_admitted, struct entry, i)->val;
	}
	for (i = 0; i < gw->k_quarantine.n; i++)
		qm[i] = AT(gw->k_quarantine, struct entry, i)->mac;
	for (i = 0; i < gw->k_qip.n; i++)
		qi[i] = AT(gw->k_qip, struct entry, i)->mac;
	fw.cfg.admitted = adm;
	fw.cfg.nadmitted = gw->k_admitted.n;
	fw.cfg.quarantine_macs = qm;
	fw.cfg.nquarantine_macs = gw->k_quarantine.n;
	fw.cfg.quarantine_ips = qi;
	fw.cfg.nquarantine_ips = gw->k_qip.n;
	rc = fw_render(gw->pol, &fw.cfg, &text, err);
	if (!rc && gw->opt.apply)
		rc = fw_nft_run(text, 0, err);
	if (!rc && keep) {
		*keep = text;
		text = NULL;
	}
	if (!rc) {
		gw->st.renders++;
		gw_log(gw, 1, "ruleset applied: %zu admitted, %zu quarantined, %zu sessions",
		     gw->k_admitted.n, gw->k_quarantine.n, gw->sess.n);
	}
out:
	free(text);
	free(adm);
	free(qm);
	free(qi);
	byod_fw_setup_free(&fw);
	return rc;
}

static int render_all(struct gw *gw, struct byod_err *err)
{
	return render_text(gw, NULL, err);
}

/* Brings the kernel in line with a batch; a refused batch (the ruleset was
 * flushed or changed behind us) is repaired by rendering everything. */
static int reconcile(struct gw *gw, struct byod_err *err)
{
	struct fw_batch *b = fw_batch_new();
	int rc;

	if (!b)
		return byod_err_set(err, ENOMEM, "out of memory");
	rc = diff_batch(gw, b);
	if (rc) {
		fw_batch_free(b);
		return byod_err_set(err, -rc, "cannot compute the device state");
	}
	if (fw_batch_size(b) && gw->opt.apply) {
		rc = fw_batch_apply(b, err);
		if (rc) {
			gw_log(gw, 0, "the sets could not be changed (%s): rendering the ruleset again",
			     err->msg);
			rc = render_all(gw, err);
		} else {
			gw->st.batches++;
			gw_log(gw, 2, "applied: %s", fw_batch_text(b));
		}
	}
	fw_batch_free(b);
	return rc;
}

/* ---- acting on sessions ---- */

/* The NAS is asked to end (or move) session s, whose decision changed. */
static void act(struct gw *gw, const struct sess *s, const char *why)
{
	struct das_answer ans;
	struct byod_err err;
	int rc;

	if (!gw->opt.apply) {
		gw_log(gw, 1, "session %lld (%s at %s): would be disconnected (%s)", (long long)s->id,
		     s->row.mac, s->row.nas_ip, why);
		return;
	}
	rc = byod_session_disconnect(gw->ctx, &s->row, s->blocked ? 0 : s->vlan, &ans, &err);
	if (rc || (ans.code != DAS_DISCONNECT_ACK && ans.code != DAS_COA_ACK)) {
		gw->st.nas_failures++;
		gw_log(gw, 0, "session %lld (%s at %s, %s): %s%s%s", (long long)s->id, s->row.mac,
		     s->row.nas_ip, why, rc ? err.msg : das_code_name(ans.code),
		     ans.error_cause ? " " : "",
		     ans.error_cause && das_error_cause_name(ans.error_cause) ?
			     das_error_cause_name(ans.error_cause) : "");
		return;
	}
	if (ans.code == DAS_COA_ACK)
		gw->st.coas++;
	else
		gw->st.disconnects++;
	gw_log(gw, 1, "session %lld (%s at %s, %s): %s in %ld ms", (long long)s->id, s->row.mac,
	     s->row.nas_ip, why, das_code_name(ans.code), ans.ms);
}

/* Decides every followed session again (when: now) and remembers those
 * whose answer changed; devices (NULL: all) limits it to one device. */
static int redecide(struct gw *gw, const char *device, time_t when, int64_t **changed,
		    size_t *nchanged, struct byod_err *err)
{
	size_t i;
	int rc = 0;

	*changed = NULL;
	*nchanged = 0;
	for (i = 0; !rc && i < gw->sess.n; i++) {
		struct sess *s = AT(gw->sess, struct sess, i);
		struct sess before = *s;

		if (device && strcmp(s->row.device, device))
			continue;
		rc = decide(gw, s, when, err);
		if (!rc && (before.blocked != s->blocked || strcmp(before.segment, s->segment))) {
			int64_t *c = realloc(*changed, (*nchanged + 1) * sizeof(**changed));

			if (!c)
				return byod_err_set(err, ENOMEM, "out of memory");
			*changed = c;
			c[(*nchanged)++] = s->id;
			gw_log(gw, 1, "session %lld (%s): %s -> %s", (long long)s->id, s->row.mac,
			     before.blocked ? "blocked" : before.segment[0] ? before.segment : "refused",
			     s->blocked ? "blocked" : s->segment[0] ? s->segment : "refused");
		}
	}
	return rc;
}

static void act_on(struct gw *gw, const int64_t *ids, size_t n, const char *why)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct sess *s = sess_find(gw, ids[i], NULL);

		if (s)
			act(gw, s, why);
	}
}

/* ---- building the state from the registry ---- */

static int collect_session(const struct reg_session *row, void *arg)
{
	struct vec *v = arg;
	struct sess *s = vec_push(v);

	if (!s)
		return -ENOMEM;
	s->id = row->id;
	s->row = *row;
	return 0;
}

struct qwalk {
	struct vec *quarantine;
	struct vec *blocked; /* struct entry: val = id of a blocked device */
	struct vec *active; /* struct entry: MACs of active devices of active owners */
	const struct vec *disabled; /* struct entry: val = login of a disabled account */
};

static int login_disabled(const struct vec *disabled, const char *login)
{
	size_t i;

	for (i = 0; i < disabled->n; i++)
		if (!strcmp(AT(*disabled, struct entry, i)->val, login))
			return 1;
	return 0;
}

static int collect_device(const struct reg_device *d, void *arg)
{
	struct qwalk *w = arg;
	int off = login_disabled(w->disabled, d->owner_login);

	if (d->state == BYOD_DEVICE_RETIRED)
		return 0;
	if (d->state == BYOD_DEVICE_ACTIVE && !off)
		return d->mac[0] ? entry_put(w->active, d->mac, d->id) : 0;
	if (w->blocked) {
		struct entry *e = vec_push(w->blocked);

		if (!e)
			return -ENOMEM;
		snprintf(e->val, sizeof(e->val), "%s", d->id);
	}
	return d->mac[0] ? entry_put(w->quarantine, d->mac, d->id) : 0;
}

static int collect_disabled(const struct reg_person *p, void *arg)
{
	struct vec *logins = arg;

	if (p->state == REG_PERSON_DISABLED) {
		struct entry *e = vec_push(logins);

		if (!e)
			return -ENOMEM;
		snprintf(e->val, sizeof(e->val), "%s", p->login);
	}
	return 0;
}

struct macs {
	struct vec *quarantine;
	const char *device;
};

static int collect_mac(const struct reg_session *s, void *arg)
{
	struct macs *m = arg;

	return s->mac[0] ? entry_put(m->quarantine, s->mac, m->device) : 0;
}

/* The quarantine from the registry: the MACs of revoked and suspended
 * devices and of every device of a disabled account, and those their open
 * sessions use; less the MACs an active device of an active owner uses
 * (the same phone enrolled again). One pass over the devices. */
static int build_quarantine(struct gw *gw, struct byod_err *err)
{
	struct vec quarantine = { .size = sizeof(struct entry) };
	struct vec active = { .size = sizeof(struct entry) };
	struct vec logins = { .size = sizeof(struct entry) };
	struct vec blocked = { .size = sizeof(struct entry) };
	struct qwalk w = { &quarantine, &blocked, &active, &logins };
	struct reg_device_filter f = { NULL, -1 };
	size_t i;
	int rc;

	rc = reg_person_list(gw->ctx->reg, collect_disabled, &logins, err);
	if (!rc)
		rc = reg_device_list(gw->ctx->reg, &f, collect_device, &w, err);
	/* the MACs a blocked device was seen with (EAP-TLS devices have no
	 * registered MAC): its accounting sessions, closed ones included */
	for (i = 0; !rc && i < blocked.n; i++) {
		struct macs m = { &quarantine, AT(blocked, struct entry, i)->val };

		rc = reg_session_list(gw->ctx->reg, 0, m.device, collect_mac, &m, err);
	}
	vec_free(&blocked);
	for (i = 0; !rc && i < gw->sess.n; i++) {
		struct sess *s = AT(gw->sess, struct sess, i);

		if (s->blocked && s->row.mac[0])
			rc = entry_put(&quarantine, s->row.mac, s->row.device);
	}
	for (i = quarantine.n; !rc && i-- > 0;)
		if (entry_find(&active, AT(quarantine, struct entry, i)->mac))
			vec_del(&quarantine, i);
	if (rc == -ENOMEM)
		byod_err_set(err, ENOMEM, "out of memory");
	if (!rc) {
		vec_free(&gw->quarantine);
		gw->quarantine = quarantine;
	} else {
		vec_free(&quarantine);
	}
	vec_free(&active);
	vec_free(&logins);
	return rc;
}

/* A MAC another active device of an active owner uses is never quarantined. */
static int mac_in_use(struct gw *gw, const char *mac, const char *device)
{
	struct reg_device other;
	struct reg_person owner;

	if (reg_device_find_by_mac(gw->ctx->reg, mac, &other, NULL) || !strcmp(other.id, device) ||
	    other.state != BYOD_DEVICE_ACTIVE)
		return 0;
	if (reg_person_get_by_id(gw->ctx->reg, other.owner, &owner, NULL))
		return 0;
	return owner.state != REG_PERSON_DISABLED;
}

/* The quarantine entries of one device, from its state now. */
static int device_quarantine(struct gw *gw, const char *id, struct byod_err *err)
{
	struct reg_device d;
	struct reg_person owner;
	size_t i;
	int rc, blocked;

	for (i = gw->quarantine.n; i-- > 0;)
		if (!strcmp(AT(gw->quarantine, struct entry, i)->val, id))
			vec_del(&gw->quarantine, i);
	rc = reg_device_get(gw->ctx->reg, id, &d, err);
	if (rc == -ENOENT)
		return 0;
	if (!rc)
		rc = reg_person_get_by_id(gw->ctx->reg, d.owner, &owner, err);
	if (rc)
		return rc;
	blocked = device_blocked(&d, &owner);
	if (!blocked)
		return 0;
	{
		struct vec found = { .size = sizeof(struct entry) };
		struct macs m = { &found, id };

		if (d.mac[0])
			rc = entry_put(&found, d.mac, id);
		if (!rc)
			rc = reg_session_list(gw->ctx->reg, 0, id, collect_mac, &m, err);
		for (i = 0; !rc && i < found.n; i++) {
			const char *mac = AT(found, struct entry, i)->mac;

			if (!mac_in_use(gw, mac, id))
				rc = entry_put(&gw->quarantine, mac, id);
		}
		vec_free(&found);
	}
	return rc == -ENOMEM ? byod_err_set(err, ENOMEM, "out of memory") : rc;
}

/* Collects device ids (space-separated) into a small list. */
struct ids {
	char (*v)[REG_ID_MAX];
	size_t n;
};

static int ids_add(struct ids *ids, const char *id)
{
	size_t i, len = strlen(id);
	void *n;

	if (len >= REG_ID_MAX)
		return 0; /* not a device id */
	for (i = 0; i < ids->n; i++)
		if (!strcmp(ids->v[i], id))
			return 0;
	n = realloc(ids->v, (ids->n + 1) * sizeof(*ids->v));
	if (!n)
		return -ENOMEM;
	ids->v = n;
	memcpy(ids->v[ids->n++], id, len + 1);
	return 0;
}

static int collect_owned(const struct reg_device *d, void *arg)
{
	return ids_add(arg, d->id);
}

struct step {
	struct gw *gw;
	struct ids devices;   /* devices whose state changed */
	int sessions_changed; /* a session started or stopped */
	int policy;           /* a policy was applied */
	int64_t *started;     /* sessions that started (a blocked one is ended at once) */
	size_t nstarted;
	int handled;
	int64_t last;
	struct byod_err *err;
};

static int on_session_event(struct step *st, const struct reg_event *e)
{
	struct gw *gw = st->gw;
	struct reg_session row;
	char *end;
	long long id = strtoll(e->object, &end, 10);
	size_t at;
	int rc;

	if (*end || id <= 0)
		return 0;
	rc = reg_session_get(gw->ctx->reg, id, &row, st->err);
	if (rc == -ENOENT)
		return 0;
	if (rc)
		return rc;
	st->sessions_changed = 1;
	if (row.state == REG_SESSION_CLOSED) {
		if (sess_find(gw, id, &at))
			vec_del(&gw->sess, at);
		return 0;
	}
	{
		struct sess *s = sess_find(gw, id, NULL);
		int64_t *n;

		if (!s && !(s = vec_push(&gw->sess)))
			return byod_err_set(st->err, ENOMEM, "out of memory");
		s->id = id;
		s->row = row;
		rc = decide(gw, s, gw_now(gw), st->err);
		if (rc)
			return rc;
		gw_log(gw, 1, "session %lld started: %s at %s -> %s", id, row.mac, row.nas_ip,
		     s->blocked ? "blocked" : s->segment[0] ? s->segment : "refused");
		n = realloc(st->started, (st->nstarted + 1) * sizeof(*n));
		if (!n)
			return byod_err_set(st->err, ENOMEM, "out of memory");
		st->started = n;
		n[st->nstarted++] = id;
		if (s->blocked && row.device[0] && ids_add(&st->devices, row.device))
			return byod_err_set(st->err, ENOMEM, "out of memory");
	}
	return 0;
}

static int on_event(const struct reg_event *e, void *arg)
{
	struct step *st = arg;
	struct gw *gw = st->gw;
	int rc = 0;

	st->handled++;
	st->last = e->seq;
	gw_log(gw, 2, "event %lld %s %s", (long long)e->seq, e->kind, e->object);
	if (!strcmp(e->kind, "session.start") || !strcmp(e->kind, "session.stop")) {
		rc = on_session_event(st, e);
	} else if (!strcmp(e->kind, "policy.apply")) {
		st->policy = 1;
	} else if (!strncmp(e->kind, "device.", 7)) {
		rc = ids_add(&st->devices, e->object);
	} else if (!strcmp(e->kind, "cert.revoke")) {
		struct reg_device d;

		if (!byod_device_resolve(gw->ctx, e->object, &d, NULL))
			rc = ids_add(&st->devices, d.id);
	} else if (!strcmp(e->kind, "person.state")) {
		struct reg_device_filter f = { e->object, -1 };

		rc = reg_device_list(gw->ctx->reg, &f, collect_owned, &st->devices, st->err);
	}
	if (rc == -ENOMEM)
		byod_err_set(st->err, ENOMEM, "out of memory");
	return rc;
}

static int load_policy(struct gw *gw, struct byod_err *err)
{
	struct pol_policy *pol = NULL;
	int64_t version = 0;
	int rc = byod_policy_load(gw->ctx, 0, &pol, &version, err);

	if (rc)
		return rc;
	pol_free(gw->pol);
	gw->pol = pol;
	gw_log(gw, 1, "policy version %lld", (long long)version);
	return 0;
}

int gw_sync(struct gw *gw, struct byod_err *err)
{
	struct vec sessions = { .size = sizeof(struct sess) };
	time_t now = gw_now(gw);
	int64_t seq = 0;
	size_t i;
	int rc;

	rc = reg_events_last(gw->ctx->reg, &seq, err);
	if (!rc)
		rc = load_policy(gw, err);
	if (!rc)
		rc = reg_session_list(gw->ctx->reg, 1, NULL, collect_session, &sessions, err);
	if (rc == -ENOMEM)
		byod_err_set(err, ENOMEM, "out of memory");
	/* the list is newest first; followed oldest first */
	for (i = 0; !rc && i < sessions.n / 2; i++) {
		struct sess t = *AT(sessions, struct sess, i);

		*AT(sessions, struct sess, i) = *AT(sessions, struct sess, sessions.n - 1 - i);
		*AT(sessions, struct sess, sessions.n - 1 - i) = t;
	}
	for (i = 0; !rc && i < sessions.n; i++)
		rc = decide(gw, AT(sessions, struct sess, i), now, err);
	if (rc) {
		vec_free(&sessions);
		return rc;
	}
	vec_free(&gw->sess);
	gw->sess = sessions;
	rc = build_quarantine(gw, err);
	if (!rc)
		rc = render_all(gw, err);
	if (!rc)
		gw->seq = seq;
	return rc;
}

int gw_step(struct gw *gw, int *handled, struct byod_err *err)
{
	struct step st = { .gw = gw, .err = err };
	int64_t *changed = NULL;
	size_t nchanged = 0, i;
	time_t now = gw_now(gw);
	int rc;

	if (handled)
		*handled = 0;
	rc = reg_events_since(gw->ctx->reg, gw->seq, 1000, on_event, &st, err);
	if (handled)
		*handled = st.handled;
	if (rc)
		goto out;
	if (!st.handled)
		goto out;
	gw->seq = st.last;
	if (st.policy || !gw->pol) {
		struct vec before = { .size = sizeof(struct sess) };

		/* the decisions under the old policy, to find who moves */
		for (i = 0; i < gw->sess.n; i++) {
			struct sess *b = vec_push(&before);

			if (!b) {
				rc = byod_err_set(err, ENOMEM, "out of memory");
				vec_free(&before);
				goto out;
			}
			*b = *AT(gw->sess, struct sess, i);
		}
		rc = gw_sync(gw, err);
		for (i = 0; !rc && i < gw->sess.n; i++) {
			struct sess *s = AT(gw->sess, struct sess, i);
			size_t k;

			for (k = 0; k < before.n; k++) {
				struct sess *b = AT(before, struct sess, k);

				if (b->id == s->id && (b->blocked != s->blocked ||
						       strcmp(b->segment, s->segment))) {
					gw_log(gw, 1, "session %lld (%s): %s -> %s under the new policy",
					     (long long)s->id, s->row.mac,
					     b->segment[0] ? b->segment : "refused",
					     s->segment[0] ? s->segment : "refused");
					act(gw, s, "policy applied");
				}
			}
		}
		vec_free(&before);
		goto out;
	}
	for (i = 0; !rc && i < st.devices.n; i++) {
		int64_t *c = NULL;
		size_t n = 0;

		rc = device_quarantine(gw, st.devices.v[i], err);
		if (!rc)
			rc = redecide(gw, st.devices.v[i], now, &c, &n, err);
		if (!rc && n) {
			int64_t *m = realloc(changed, (nchanged + n) * sizeof(*m));

			if (!m) {
				rc = byod_err_set(err, ENOMEM, "out of memory");
			} else {
				changed = m;
				memcpy(changed + nchanged, c, n * sizeof(*c));
				nchanged += n;
			}
		}
		free(c);
	}
	if (!rc && (st.devices.n || st.sessions_changed))
		rc = reconcile(gw, err);
	/* the firewall is in line: now the access points */
	if (!rc) {
		act_on(gw, changed, nchanged, "device changed");
		for (i = 0; i < st.nstarted; i++) {
			struct sess *s = sess_find(gw, st.started[i], NULL);
			size_t k;
			int done = 0;

			for (k = 0; k < nchanged; k++)
				done |= changed[k] == st.started[i];
			if (s && s->blocked && !done)
				act(gw, s, "a blocked device connected");
		}
	}
out:
	free(changed);
	free(st.devices.v);
	free(st.started);
	return rc;
}

int gw_reevaluate(struct gw *gw, time_t now, struct byod_err *err)
{
	int64_t *changed = NULL;
	size_t n = 0;
	int rc = redecide(gw, NULL, now, &changed, &n, err);

	if (!rc && n)
		rc = reconcile(gw, err);
	if (!rc)
		act_on(gw, changed, n, "the time changed the decision");
	free(changed);
	return rc;
}

int gw_open(const struct gw_options *opt, struct gw **out, struct byod_err *err)
{
	struct gw *gw = calloc(1, sizeof(*gw));
	int rc;

	*out = NULL;
	if (!gw)
		return byod_err_set(err, ENOMEM, "out of memory");
	gw->opt = *opt;
	gw->sess.size = sizeof(struct sess);
	gw->quarantine.size = gw->k_admitted.size = gw->k_quarantine.size = gw->k_qip.size =
		sizeof(struct entry);
	rc = byod_open(opt->home, "byod-gatewayd", &gw->ctx, err);
	if (rc) {
		free(gw);
		return rc;
	}
	*out = gw;
	return 0;
}

void gw_close(struct gw *gw)
{
	if (!gw)
		return;
	vec_free(&gw->sess);
	vec_free(&gw->quarantine);
	vec_free(&gw->k_admitted);
	vec_free(&gw->k_quarantine);
	vec_free(&gw->k_qip);
	pol_free(gw->pol);
	byod_close(gw->ctx);
	free(gw);
}

void gw_stats(const struct gw *gw, struct gw_stats *out)
{
	*out = gw->st;
	out->seq = gw->seq;
	out->admitted = gw->k_admitted.n;
	out->quarantined = gw->k_quarantine.n;
	out->sessions = gw->sess.n;
}

int gw_poll_ms(const struct gw *gw)
{
	return gw->ctx->conf.gateway_poll_ms;
}

const char *gw_admitted(const struct gw *gw, const char *mac)
{
	struct entry *e = entry_find((struct vec *)&gw->k_admitted, mac);

	return e ? e->val : NULL;
}

int gw_quarantined(const struct gw *gw, const char *mac)
{
	return entry_find((struct vec *)&gw->k_quarantine, mac) != NULL;
}

int gw_ruleset(struct gw *gw, char **text, struct byod_err *err)
{
	*text = NULL;
	return render_text(gw, text, err);
}
