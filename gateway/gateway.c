// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * byod-gatewayd's engine (see gateway.h). It keeps two things:
 *   - what should be: the desired firewall state of core/fw_state.c (the
 *     open accounting sessions it follows, each decided by pol_admit, and
 *     the quarantined MACs), kept current from the change feed;
 *   - what the kernel's sets and map hold, so that a change is a small
 *     batch of element commands (one transaction) computed as the
 *     difference between what should be and what is, for the MACs and
 *     addresses the state noted as changed since the last batch.
 * Order matters for "within one second": the firewall is changed first,
 * then the NAS are asked to disconnect. When a batch fails (someone
 * flushed the ruleset), the whole ruleset is rendered again with the state.
 * Both are keyed (hash maps): a school's 10,000 sessions cost the same per
 * event as ten. The Disconnects go through one das_queue, in parallel and
 * at most das.max-in-flight-per-nas at a time per access point; gw_step
 * sends them without waiting for the answers, which the following steps
 * (or gw_das_run) read. With a school (--school), only the devices of
 * that school's people are followed: an event about another school's
 * object is read, seen to be someone else's, and skipped.
 *
 * Each session is decided under its owner's school's policy (its own, or
 * the département's default) with the teachers' unlocks live now in the
 * facts; the ruleset is rendered from the followed school's policy (the
 * default without a school). An unlock's start or end (unlock.start,
 * unlock.end) decides again the sessions of the devices of the group's
 * pupils, and so does the time reaching an unlock's end without any event
 * (gw_next_wake says when).
 */
#define _GNU_SOURCE
#include "gateway.h"

#include "byod_util.h"
#include "byod_vec.h"
#include "hmap.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ENTRY(set, i) BYOD_FW_SET_AT((set), (i))

/* A group a teacher opened or closed: its sessions are decided again. */
struct opened {
	char school[REG_UAI_MAX];
	char group[64];
};

struct opened_list {
	struct opened *v;
	size_t n, cap;
};

struct gw {
	struct gw_options opt;
	struct byod_ctx *ctx;
	struct byod_policies *policies; /* every school's running policy */
	const struct pol_policy *pol;   /* the ruleset's: the school's, or the default */
	int64_t logged_version;         /* the policy version last logged (-1: none yet) */
	struct reg_unlock *live;        /* the unlocks live at the last look */
	size_t nlive;
	/* unlocks read from their events with a start still to come by this
	 * host's clock (the writer's a little ahead of it): the daemon wakes
	 * at their start, then reads them as live */
	struct byod_vec upcoming; /* struct reg_unlock */
	int64_t seq;
	int more;                      /* the last step read a full batch: more may wait */
	/* the nearest valid_until of the decisions made since the last whole
	 * evaluation (0: none): a schedule window or a certificate age crossed
	 * moves a session then, without any event */
	time_t eval_due;
	struct reg_event last;         /* the last event handled (seq 0: none) */
	unsigned long epoch;           /* reg_connection_epoch() at the last sync */
	struct byod_fw_state state; /* the sessions followed and the quarantine: what should be */
	struct byod_fw_set k_admitted; /* what the kernel holds */
	struct byod_fw_set k_quarantine;
	struct byod_fw_set k_qip;      /* mac = the address */
	struct das_queue *das;         /* the Disconnects on their way */
	struct byod_hmap *school_of;   /* with a school: device id -> followed (1) or not (2) */
	struct gw_stats st;
	char digest[BYOD_FW_DIGEST_LEN]; /* of the ruleset last applied, "" none */
};

static void gw_logf(struct gw *gw, int level, const char *const fields[], const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* fields: the journal's (byod_log's "KEY=value" list, NULL-terminated), or
 * NULL; the message's values escaped, the fields' left as they are (the
 * journal's native protocol carries any byte). */
static void gw_logf(struct gw *gw, int level, const char *const fields[], const char *fmt, ...)
{
	char msg[1024], safe[4096];
	va_list ap;

	if (!gw->opt.log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* every value in the line escaped at once (the formats are literals) */
	gw->opt.log(level, fields, byod_log_escape(msg, safe, sizeof(safe)), gw->opt.log_ctx);
}

#define gw_log(gw, level, ...) gw_logf(gw, level, NULL, __VA_ARGS__)

/* The journal's fields of a line about one session: BYOD_SESSION (the
 * registry's id), BYOD_MAC, BYOD_NAS, BYOD_DEVICE and BYOD_SCHOOL when
 * known, so that journalctl BYOD_DEVICE=... finds what the gateway did to
 * a device. */
struct gw_fields {
	char v[5][160];
	const char *f[6];
};

static const char *const *session_fields(struct gw_fields *fl, int64_t id, const char *mac,
					 const char *nas, const char *device, const char *school)
{
	const char *key[] = {"BYOD_MAC", "BYOD_NAS", "BYOD_DEVICE", "BYOD_SCHOOL"};
	const char *val[] = {mac, nas, device, school};
	size_t n = 0;

	snprintf(fl->v[n], sizeof(fl->v[n]), "BYOD_SESSION=%lld", (long long)id);
	fl->f[n] = fl->v[n];
	n++;
	for (size_t i = 0; i < sizeof(key) / sizeof(key[0]); i++) {
		if (!val[i] || !val[i][0])
			continue;
		snprintf(fl->v[n], sizeof(fl->v[n]), "%s=%s", key[i], val[i]);
		fl->f[n] = fl->v[n];
		n++;
	}
	fl->f[n] = NULL;
	return fl->f;
}

#define S_FIELDS(fl, s)                                                                            \
	session_fields(fl, (s)->id, (s)->row.mac, (s)->row.nas_ip, (s)->row.device,                \
		       gw->state.school)

static time_t gw_now(const struct gw *gw)
{
	return gw->opt.clock ? gw->opt.clock(gw->opt.clock_ctx) : time(NULL);
}

/* What decides the sessions now: each owner's school's policy, the
 * unlocks live. */
static struct byod_fw_decider decider(const struct gw *gw)
{
	struct byod_fw_decider d = { .pol = gw->pol, .policies = gw->policies,
				     .live = gw->live, .nlive = gw->nlive };

	return d;
}

static const char *label(const struct byod_fw_session *s)
{
	return s->blocked ? "blocked" : s->segment[0] ? s->segment : "refused";
}

/* ---- the kernel's state ---- */

/* Makes the kernel's sets equal to what should be, as a batch, comparing
 * everything: when a change could not be noted (out of memory). */
static int diff_all(struct gw *gw, struct fw_batch *b)
{
	struct byod_fw_sets want;
	struct byod_fw_entry *e;
	size_t i;
	int rc;

	rc = byod_fw_state_sets(&gw->state, &want);
	if (rc)
		return rc;
	/* quarantine first: it is the one that must not wait */
	for (i = 0; !rc && i < want.quarantine.v.n; i++) {
		e = ENTRY(&want.quarantine, i);
		if (!byod_fw_entry_find(&gw->k_quarantine, e->mac)) {
			rc = fw_batch_quarantine(b, e->mac, 1);
			if (!rc)
				rc = byod_fw_entry_put(&gw->k_quarantine, e->mac, "");
		}
	}
	for (i = 0; !rc && i < want.quarantine_ips.v.n; i++) {
		e = ENTRY(&want.quarantine_ips, i);
		if (!byod_fw_entry_find(&gw->k_qip, e->mac)) {
			rc = fw_batch_quarantine_ip(b, e->mac, 1);
			if (!rc)
				rc = byod_fw_entry_put(&gw->k_qip, e->mac, "");
		}
	}
	/* backwards: a deletion moves the last entry, already seen, into i */
	for (i = gw->k_quarantine.v.n; !rc && i-- > 0;) {
		e = ENTRY(&gw->k_quarantine, i);
		if (!byod_fw_entry_find(&want.quarantine, e->mac)) {
			rc = fw_batch_quarantine(b, e->mac, 0);
			if (!rc)
				byod_fw_set_del_at(&gw->k_quarantine, i);
		}
	}
	for (i = gw->k_qip.v.n; !rc && i-- > 0;) {
		e = ENTRY(&gw->k_qip, i);
		if (!byod_fw_entry_find(&want.quarantine_ips, e->mac)) {
			rc = fw_batch_quarantine_ip(b, e->mac, 0);
			if (!rc)
				byod_fw_set_del_at(&gw->k_qip, i);
		}
	}
	/* admitted: evict or move, then admit */
	for (i = gw->k_admitted.v.n; !rc && i-- > 0;) {
		struct byod_fw_entry *w;

		e = ENTRY(&gw->k_admitted, i);
		w = byod_fw_entry_find(&want.admitted, e->mac);
		if (!w || strcmp(w->val, e->val)) {
			rc = fw_batch_evict(b, e->mac);
			if (!rc)
				byod_fw_set_del_at(&gw->k_admitted, i);
		}
	}
	for (i = 0; !rc && i < want.admitted.v.n; i++) {
		e = ENTRY(&want.admitted, i);
		if (!byod_fw_entry_find(&gw->k_admitted, e->mac)) {
			rc = fw_batch_admit(b, e->mac, e->val);
			if (!rc)
				rc = byod_fw_entry_put(&gw->k_admitted, e->mac, e->val);
		}
	}
	byod_fw_sets_free(&want);
	return rc;
}

/* The same for the MACs and addresses that changed since the kernel was
 * last in line: a batch costs what changed, not the size of the school. */
static int diff_batch(struct gw *gw, struct fw_batch *b)
{
	const struct byod_fw_set *macs = &gw->state.dirty_macs, *ips = &gw->state.dirty_ips;
	size_t i;
	int rc = 0;

	if (gw->state.dirty_oom)
		return diff_all(gw, b);
	/* quarantine first: it is the one that must not wait */
	for (i = 0; !rc && i < macs->v.n; i++) {
		const char *mac = ENTRY(macs, i)->mac;

		if (byod_fw_entry_find(&gw->state.quarantine, mac) &&
		    !byod_fw_entry_find(&gw->k_quarantine, mac)) {
			rc = fw_batch_quarantine(b, mac, 1);
			if (!rc)
				rc = byod_fw_entry_put(&gw->k_quarantine, mac, "");
		}
	}
	for (i = 0; !rc && i < ips->v.n; i++) {
		const char *ip = ENTRY(ips, i)->mac;

		if (byod_fw_state_ip_quarantined(&gw->state, ip) &&
		    !byod_fw_entry_find(&gw->k_qip, ip)) {
			rc = fw_batch_quarantine_ip(b, ip, 1);
			if (!rc)
				rc = byod_fw_entry_put(&gw->k_qip, ip, "");
		}
	}
	for (i = 0; !rc && i < macs->v.n; i++) {
		const char *mac = ENTRY(macs, i)->mac;

		if (!byod_fw_entry_find(&gw->state.quarantine, mac) &&
		    byod_fw_entry_find(&gw->k_quarantine, mac)) {
			rc = fw_batch_quarantine(b, mac, 0);
			if (!rc)
				byod_fw_entry_del(&gw->k_quarantine, mac);
		}
	}
	for (i = 0; !rc && i < ips->v.n; i++) {
		const char *ip = ENTRY(ips, i)->mac;

		if (!byod_fw_state_ip_quarantined(&gw->state, ip) &&
		    byod_fw_entry_find(&gw->k_qip, ip)) {
			rc = fw_batch_quarantine_ip(b, ip, 0);
			if (!rc)
				byod_fw_entry_del(&gw->k_qip, ip);
		}
	}
	/* admitted: evict or move, then admit */
	for (i = 0; !rc && i < macs->v.n; i++) {
		const char *mac = ENTRY(macs, i)->mac;
		const char *seg = byod_fw_state_segment(&gw->state, mac);
		struct byod_fw_entry *have = byod_fw_entry_find(&gw->k_admitted, mac);

		if (have && (!seg || strcmp(have->val, seg))) {
			rc = fw_batch_evict(b, mac);
			if (!rc)
				byod_fw_entry_del(&gw->k_admitted, mac);
		}
	}
	for (i = 0; !rc && i < macs->v.n; i++) {
		const char *mac = ENTRY(macs, i)->mac;
		const char *seg = byod_fw_state_segment(&gw->state, mac);

		if (seg && !byod_fw_entry_find(&gw->k_admitted, mac)) {
			rc = fw_batch_admit(b, mac, seg);
			if (!rc)
				rc = byod_fw_entry_put(&gw->k_admitted, mac, seg);
		}
	}
	return rc;
}

/* Whether one set holds exactly the other's keys and values. */
static int same_set(const struct byod_fw_set *a, const struct byod_fw_set *b)
{
	size_t i;

	if (a->v.n != b->v.n)
		return 0;
	for (i = 0; i < a->v.n; i++) {
		const struct byod_fw_entry *e = byod_fw_entry_find(b, ENTRY(a, i)->mac);

		if (!e || strcmp(e->val, ENTRY(a, i)->val))
			return 0;
	}
	return 1;
}

int gw_verify(const struct gw *gw)
{
	struct byod_fw_sets want;
	int same;

	if (byod_fw_state_sets(&gw->state, &want))
		return -ENOMEM;
	same = same_set(&want.admitted, &gw->k_admitted) &&
	       same_set(&want.quarantine, &gw->k_quarantine) &&
	       same_set(&want.quarantine_ips, &gw->k_qip);
	byod_fw_sets_free(&want);
	return same ? 0 : -EPROTO;
}

/* Renders the whole ruleset with the state that should be, and applies it
 * (unless a dry run); *keep (may be NULL) gets the text. */
static int render_text(struct gw *gw, char **keep, struct byod_err *err)
{
	struct byod_fw_sets want;
	char *text = NULL;
	int rc;

	if (!gw->pol)
		return byod_err_set(err, ENOENT, "no policy has been applied yet");
	if (byod_fw_state_sets(&gw->state, &want))
		return byod_err_set(err, ENOMEM, "cannot compute the device state");
	rc = byod_fw_sets_render(gw->ctx, gw->pol, &want, &text, err);
	if (!rc && gw->opt.apply)
		rc = fw_nft_run(text, 0, err);
	if (!rc) {
		/* what the kernel holds now is what should be */
		byod_fw_sets_free(&(struct byod_fw_sets){ gw->k_admitted, gw->k_quarantine,
							  gw->k_qip });
		gw->k_admitted = want.admitted;
		gw->k_quarantine = want.quarantine;
		gw->k_qip = want.quarantine_ips;
		byod_fw_set_init(&want.admitted);
		byod_fw_set_init(&want.quarantine);
		byod_fw_set_init(&want.quarantine_ips);
		byod_fw_state_clean(&gw->state);
		gw->st.renders++;
		/* said in the heartbeat: byodctl doctor compares it with the policy's */
		if (byod_fw_ruleset_digest(gw->ctx, gw->pol, gw->digest, NULL))
			gw->digest[0] = '\0';
		gw_log(gw, 1, "ruleset applied: %zu admitted, %zu quarantined, %zu sessions",
		       gw->k_admitted.v.n, gw->k_quarantine.v.n, gw->state.nsessions);
	}
	if (!rc && keep) {
		*keep = text;
		text = NULL;
	}
	free(text);
	byod_fw_sets_free(&want);
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
	byod_fw_state_clean(&gw->state); /* the kernel's sets follow from here */
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

/* One Disconnect on its way: what its answer is logged with. */
struct act {
	struct gw *gw;
	int64_t id;
	char mac[sizeof(((struct reg_session *)0)->mac)];
	char nas_ip[sizeof(((struct reg_session *)0)->nas_ip)];
	char device[sizeof(((struct reg_session *)0)->device)];
	char why[48];
};

static void act_done(int rc, const struct das_answer *ans, const struct byod_err *err, void *arg)
{
	struct act *a = arg;
	struct gw *gw = a->gw;
	struct gw_fields fl;
	const char *const *f =
		session_fields(&fl, a->id, a->mac, a->nas_ip, a->device, gw->state.school);

	if (rc == -ETIMEDOUT)
		gw->st.das_timeout++;
	else if (rc)
		gw->st.das_error++;
	else if (ans->code == DAS_DISCONNECT_ACK || ans->code == DAS_COA_ACK)
		gw->st.das_ack++;
	else if (ans->code == DAS_DISCONNECT_NAK || ans->code == DAS_COA_NAK)
		gw->st.das_nak++;
	else
		gw->st.das_error++;
	if (!rc && ans->code == DAS_DISCONNECT_NAK &&
	    ans->error_cause == DAS_CAUSE_SESSION_NOT_FOUND) {
		/* the NAS had ended the session already: the access point's
		 * own Session-Timeout at an unlock's end (rlm_byod sets it
		 * there), the station gone meanwhile. What was asked is done. */
		gw_logf(gw, 1, f,
			"session %lld (%s at %s, %s): already ended at the access point "
			"(Disconnect-NAK Session-Context-Not-Found)",
			(long long)a->id, a->mac, a->nas_ip, a->why);
	} else if (rc || (ans->code != DAS_DISCONNECT_ACK && ans->code != DAS_COA_ACK)) {
		gw->st.nas_failures++;
		gw_logf(gw, 0, f, "session %lld (%s at %s, %s): %s%s%s", (long long)a->id, a->mac,
			a->nas_ip, a->why, rc ? err->msg : das_code_name(ans->code),
			ans->error_cause ? " " : "",
			ans->error_cause && das_error_cause_name(ans->error_cause)
				? das_error_cause_name(ans->error_cause)
				: "");
	} else {
		if (ans->code == DAS_COA_ACK)
			gw->st.coas++;
		else
			gw->st.disconnects++;
		gw_logf(gw, 1, f, "session %lld (%s at %s, %s): %s in %ld ms", (long long)a->id,
			a->mac, a->nas_ip, a->why, das_code_name(ans->code), ans->ms);
	}
	free(a);
}

/* The NAS is asked to end (or move) session s, whose decision changed; the
 * request is queued, its answer logged when it comes. */
static void act(struct gw *gw, const struct byod_fw_session *s, const char *why)
{
	struct byod_err err;
	struct gw_fields fl;
	struct act *a;

	if (!gw->opt.apply) {
		gw_logf(gw, 1, S_FIELDS(&fl, s),
			"session %lld (%s at %s): would be disconnected (%s)", (long long)s->id,
			s->row.mac, s->row.nas_ip, why);
		return;
	}
	a = calloc(1, sizeof(*a));
	if (!a) {
		gw->st.nas_failures++;
		gw->st.das_error++;
		gw_logf(gw, 0, S_FIELDS(&fl, s), "session %lld (%s at %s, %s): out of memory",
			(long long)s->id, s->row.mac, s->row.nas_ip, why);
		return;
	}
	a->gw = gw;
	a->id = s->id;
	snprintf(a->mac, sizeof(a->mac), "%s", s->row.mac);
	snprintf(a->nas_ip, sizeof(a->nas_ip), "%s", s->row.nas_ip);
	snprintf(a->device, sizeof(a->device), "%s", s->row.device);
	snprintf(a->why, sizeof(a->why), "%s", why);
	if (byod_session_disconnect_queue(gw->ctx, gw->das, &s->row, s->blocked ? 0 : s->vlan,
					  act_done, a, &err)) {
		struct das_answer none = { 0 };

		act_done(-EINVAL, &none, &err, a);
	}
}

/* A set of ids (device ids, session ids as text), each once, in the order
 * they were added. */
struct idset {
	struct byod_fw_set s;
};

static int idset_add(struct idset *ids, const char *id)
{
	if (strlen(id) >= sizeof(((struct byod_fw_entry *)0)->mac))
		return 0; /* not an id */
	return byod_fw_entry_find(&ids->s, id) ? 0 : byod_fw_entry_put(&ids->s, id, "");
}

static int idset_add_session(struct idset *ids, int64_t id)
{
	char key[24];

	snprintf(key, sizeof(key), "%lld", (long long)id);
	return idset_add(ids, key);
}

static int idset_has_session(const struct idset *ids, int64_t id)
{
	char key[24];

	snprintf(key, sizeof(key), "%lld", (long long)id);
	return byod_fw_entry_find(&ids->s, key) != NULL;
}

#define IDSET_N(ids) ((ids)->s.v.n)
#define IDSET_AT(ids, i) (ENTRY(&(ids)->s, (i))->mac)
#define IDSET_SESSION(ids, i) strtoll(IDSET_AT((ids), (i)), NULL, 10)

/* A decision made: its valid_until noted for the next evaluation. */
static void note_due(struct gw *gw, const struct byod_fw_session *s)
{
	time_t t = s->adm.dec.valid_until;

	if (t > 0 && (!gw->eval_due || t < gw->eval_due))
		gw->eval_due = t;
}

/* Every session's valid_until, after a whole evaluation or load. */
static void all_due(struct gw *gw)
{
	const struct byod_fw_session *s;

	gw->eval_due = 0;
	for (s = gw->state.first; s; s = s->next)
		note_due(gw, s);
}

time_t gw_eval_due(const struct gw *gw)
{
	return gw->eval_due;
}

/* Decides a session again (when: now) and adds its id to changed when its
 * answer changed. */
static int redecide_one(struct gw *gw, struct byod_fw_session *s, time_t when,
			struct idset *changed, struct byod_err *err)
{
	int was_blocked = s->blocked, rc;
	char was[sizeof(s->segment)], before[sizeof(s->segment)];

	snprintf(was, sizeof(was), "%s", s->segment);
	snprintf(before, sizeof(before), "%s", label(s));
	struct byod_fw_decider d = decider(gw);

	rc = byod_fw_session_decide_by(gw->ctx, &d, s, when, err);
	if (!rc)
		note_due(gw, s);
	if (!rc && (was_blocked != s->blocked || strcmp(was, s->segment))) {
		byod_fw_state_touch(&gw->state, s);
		if (idset_add_session(changed, s->id))
			return byod_err_set(err, ENOMEM, "out of memory");
		struct gw_fields fl;

		gw_logf(gw, 1, S_FIELDS(&fl, s), "session %lld (%s): %s -> %s", (long long)s->id,
			s->row.mac, before, label(s));
	}
	return rc;
}

/* Decides every followed session again (when: now), or the sessions of
 * one device (device not NULL: its own list, not a walk over all). */
static int redecide(struct gw *gw, const char *device, time_t when, struct idset *changed,
		    struct byod_err *err)
{
	struct byod_fw_session *s;
	int rc = 0;

	if (device) {
		for (s = byod_fw_state_device_sessions(&gw->state, device); !rc && s; s = s->dev_next)
			rc = redecide_one(gw, s, when, changed, err);
		return rc;
	}
	for (s = gw->state.first; !rc && s; s = s->next)
		rc = redecide_one(gw, s, when, changed, err);
	return rc;
}

/* Decides again the sessions whose decision's time has come (valid_until
 * at or before when): those alone. */
static int redecide_due(struct gw *gw, time_t when, struct idset *changed, struct byod_err *err)
{
	struct byod_fw_session *s;
	int rc = 0;

	for (s = gw->state.first; !rc && s; s = s->next)
		if (s->adm.dec.valid_until > 0 && s->adm.dec.valid_until <= when)
			rc = redecide_one(gw, s, when, changed, err);
	return rc;
}

static void act_on(struct gw *gw, const struct idset *ids, const char *why)
{
	size_t i;

	for (i = 0; i < IDSET_N(ids); i++) {
		struct byod_fw_session *s =
			byod_fw_state_session(&gw->state, IDSET_SESSION(ids, i));

		if (s)
			act(gw, s, why);
	}
}

static int collect_owned(const struct reg_device *d, void *arg)
{
	return idset_add(arg, d->id);
}

struct step {
	struct gw *gw;
	time_t now;              /* the time the step decides at */
	struct idset devices;    /* devices whose state changed */
	int sessions_changed;    /* a session started or stopped */
	int policy;              /* a policy was applied */
	struct opened_list opened; /* groups opened or closed */
	struct idset started;    /* sessions that started (a blocked one is ended at once) */
	int handled, skipped;
	int64_t last;
	struct reg_event last_ev;
	struct byod_err *err;
};

/* Whether the device is followed (the school's, or every one without a
 * school): 1, 0 (another school's, or gone), or a negative errno. On a
 * registry shared by a département most events are other schools': the
 * answer is kept per device (a device never changes owner, a person never
 * changes school through the registry's API), forgotten on the device's
 * own events and at each gw_sync. */
static int device_followed(struct gw *gw, const char *id, struct byod_err *err)
{
	struct reg_device d;
	uintptr_t known;
	int rc;

	if (!gw->state.school[0])
		return 1;
	if (!id[0])
		return 0; /* a session of no device belongs to no school */
	known = gw->school_of ? (uintptr_t)byod_hmap_get(gw->school_of, id) : 0;
	if (known)
		return known == 1;
	rc = reg_device_get(gw->ctx->reg, id, &d, err);
	if (rc == -ENOENT)
		return 0;
	if (!rc)
		rc = byod_fw_state_follows(gw->ctx, &gw->state, &d, err);
	if (rc >= 0 && (gw->school_of || (gw->school_of = byod_hmap_new(NULL))))
		byod_hmap_put(gw->school_of, id, (void *)(uintptr_t)(rc ? 1 : 2)); /* a cache */
	return rc;
}

static int on_session_event(struct step *st, const struct reg_event *e)
{
	struct gw *gw = st->gw;
	struct reg_session row;
	struct byod_fw_session *s;
	char *end;
	long long id = strtoll(e->object, &end, 10);
	int rc;

	if (*end || id <= 0)
		return 0;
	rc = reg_session_get(gw->ctx->reg, id, &row, st->err);
	if (rc == -ENOENT)
		return 0;
	if (rc)
		return rc;
	rc = device_followed(gw, row.device, st->err);
	if (rc < 0)
		return rc;
	if (!rc) {
		st->skipped++;
		if (!byod_fw_state_drop(&gw->state, id)) /* it was ours */
			st->sessions_changed = 1;
		return 0;
	}
	st->sessions_changed = 1;
	if (row.state == REG_SESSION_CLOSED) {
		byod_fw_state_drop(&gw->state, id);
		return 0;
	}
	s = byod_fw_state_add(&gw->state, &row);
	if (!s)
		return byod_err_set(st->err, ENOMEM, "out of memory");
	{
		struct byod_fw_decider d = decider(gw);

		rc = byod_fw_session_decide_by(gw->ctx, &d, s, gw_now(gw), st->err);
	}
	if (rc)
		return rc;
	note_due(gw, s);
	{
		struct gw_fields fl;

		gw_logf(gw, 1, S_FIELDS(&fl, s), "session %lld started: %s at %s -> %s", id,
			row.mac, row.nas_ip, label(s));
	}
	if (idset_add_session(&st->started, id))
		return byod_err_set(st->err, ENOMEM, "out of memory");
	if (s->blocked && row.device[0] && idset_add(&st->devices, row.device))
		return byod_err_set(st->err, ENOMEM, "out of memory");
	return 0;
}

/* A device's event: followed, or read and skipped as another school's. A
 * device that left the school (its owner moved) still has its entries
 * taken out: byod_fw_state_device does that for a device it does not
 * follow. */
static int on_device(struct step *st, const char *id)
{
	int rc;

	if (st->gw->school_of)
		byod_hmap_del(st->gw->school_of, id); /* read it again */
	rc = device_followed(st->gw, id, st->err);

	if (rc < 0)
		return rc;
	if (!rc && !byod_fw_state_device_sessions(&st->gw->state, id) &&
	    !(st->gw->state.q_by_device && byod_hmap_get(st->gw->state.q_by_device, id))) {
		st->skipped++;
		return 0;
	}
	return idset_add(&st->devices, id);
}

/* Notes a group whose sessions are to be decided again (once). */
static int note_opened(struct opened_list *l, const char *school, const char *group)
{
	struct opened *o;
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].school, school) && !strcmp(l->v[i].group, group))
			return 0;
	o = BYOD_ARRAY_PUSH(l->v, l->n, l->cap);
	if (!o)
		return -ENOMEM;
	snprintf(o->school, sizeof(o->school), "%s", school);
	snprintf(o->group, sizeof(o->group), "%s", group);
	return 0;
}

/*
 * An unlock as its event shows it now: held as upcoming while its start is
 * still to come by this host's clock (the portal's host a little ahead of
 * this one, or a start set later), dropped from them otherwise (started,
 * closed, over). The registry lists an unlock as live from its start only.
 */
static int note_upcoming(struct gw *gw, const struct reg_unlock *u, time_t now)
{
	struct reg_unlock *slot;
	size_t i;

	for (i = gw->upcoming.n; i-- > 0;)
		if (BYOD_VEC_AT(&gw->upcoming, struct reg_unlock, i)->id == u->id)
			byod_vec_del(&gw->upcoming, i);
	if (u->ended || u->starts <= now || u->ends <= now)
		return 0;
	slot = byod_vec_push(&gw->upcoming);
	if (!slot)
		return -ENOMEM;
	*slot = *u;
	return 0;
}

/* The upcoming unlocks whose start has come leave that list; their groups
 * are noted to be decided again (with the unlocks then read as live). */
static int start_unlocks(struct gw *gw, time_t now, struct opened_list *opened)
{
	size_t i;
	int rc = 0;

	for (i = gw->upcoming.n; !rc && i-- > 0;) {
		const struct reg_unlock *u = BYOD_VEC_AT(&gw->upcoming, struct reg_unlock, i);

		if (u->starts > now)
			continue;
		gw_log(gw, 1, "unlock %lld of %s %s starts: its sessions decided again",
		       (long long)u->id, u->school, u->group);
		rc = note_opened(opened, u->school, u->group);
		byod_vec_del(&gw->upcoming, i);
	}
	return rc;
}

/* A teacher opened or closed a group: another school's is skipped. */
static int on_unlock(struct step *st, const char *object)
{
	struct gw *gw = st->gw;
	struct reg_unlock u;
	char *end;
	long long id = strtoll(object, &end, 10);
	int rc;

	if (*end || id <= 0)
		return 0;
	rc = reg_unlock_get(gw->ctx->reg, id, &u, st->err);
	if (rc == -ENOENT)
		return 0;
	if (rc)
		return rc;
	if (gw->state.school[0] && strcmp(u.school, gw->state.school)) {
		st->skipped++;
		return 0;
	}
	rc = note_upcoming(gw, &u, st->now);
	if (rc)
		return rc;
	gw_log(gw, 1, "unlock %lld of %s %s by %s: its sessions decided again", id, u.school,
	       u.group, u.teacher_login);
	return note_opened(&st->opened, u.school, u.group);
}

static int on_event(const struct reg_event *e, void *arg)
{
	struct step *st = arg;
	struct gw *gw = st->gw;
	int rc = 0;

	st->handled++;
	st->last = e->seq;
	st->last_ev = *e;
	gw_log(gw, 2, "event %lld %s %s", (long long)e->seq, e->kind, e->object);
	if (!strcmp(e->kind, "session.start") || !strcmp(e->kind, "session.stop")) {
		rc = on_session_event(st, e);
	} else if (!strcmp(e->kind, "policy.apply")) {
		st->policy = 1;
	} else if (!strcmp(e->kind, "unlock.start") || !strcmp(e->kind, "unlock.end")) {
		rc = on_unlock(st, e->object);
	} else if (!strncmp(e->kind, "device.", 7)) {
		rc = on_device(st, e->object);
	} else if (!strcmp(e->kind, "cert.revoke") || !strcmp(e->kind, "cert.supersede")) {
		struct reg_device d;

		if (!byod_device_resolve(gw->ctx, e->object, &d, NULL))
			rc = on_device(st, d.id);
	} else if (!strcmp(e->kind, "person.state") || !strcmp(e->kind, "person.update")) {
		struct reg_device_filter f = {.owner_login = e->object, .state = -1};
		struct reg_person p;

		if (gw->state.school[0] && !reg_person_get(gw->ctx->reg, e->object, &p, NULL) &&
		    strcmp(p.school, gw->state.school))
			st->skipped++; /* another school's person */
		else
			rc = reg_device_list(gw->ctx->reg, &f, collect_owned, &st->devices, st->err);
	}
	if (rc == -ENOMEM)
		byod_err_set(st->err, ENOMEM, "out of memory");
	return rc;
}

/* Every school's running policy, compiled, read in the caller's
 * transaction (gw_sync's snapshot). */
static int load_policies(struct gw *gw, struct byod_err *err)
{
	struct byod_policies *set = NULL;
	int64_t version;
	int rc = byod_policies_load(gw->ctx, &set, err);

	if (rc)
		return rc;
	byod_policies_free(gw->policies);
	gw->policies = set;
	gw->pol = byod_policies_for(set, gw->state.school);
	/* once per version: while no policy is applied the sync is tried
	 * again at every poll, which must not write a line each time */
	version = byod_policies_version(set, gw->state.school);
	if (version != gw->logged_version)
		gw_log(gw, 1, "policy version %lld%s%s", (long long)version,
		       gw->state.school[0] ? " for " : "", gw->state.school);
	gw->logged_version = version;
	return 0;
}

/* The unlocks live at now (of the followed school, or every school). */
static int load_unlocks(struct gw *gw, time_t now, struct byod_err *err)
{
	struct reg_unlock *live = NULL;
	size_t n = 0;
	int rc;

	rc = byod_unlock_live(gw->ctx, gw->state.school[0] ? gw->state.school : NULL, now, &live,
			      &n, err);
	if (rc)
		return rc;
	free(gw->live);
	gw->live = live;
	gw->nlive = n;
	return 0;
}

/* Unlocks starting within this many seconds are read as upcoming at a
 * whole read of the registry (as rlm_byod's index holds them): another
 * host's clock a little ahead of this one's. */
#define UNLOCK_AHEAD_S 300

/* The upcoming unlocks again, at a whole read (gw_sync): those live
 * UNLOCK_AHEAD_S from now whose start has not come by this host's clock;
 * what the events showed before is replaced. */
static int load_upcoming(struct gw *gw, time_t now, struct byod_err *err)
{
	struct reg_unlock *ahead = NULL;
	size_t n = 0, i;
	int rc;

	rc = byod_unlock_live(gw->ctx, gw->state.school[0] ? gw->state.school : NULL,
			      now + UNLOCK_AHEAD_S, &ahead, &n, err);
	if (rc)
		return rc;
	byod_vec_free(&gw->upcoming); /* emptied, ready for reuse */
	for (i = 0; !rc && i < n; i++)
		rc = note_upcoming(gw, &ahead[i], now);
	free(ahead);
	if (rc == -ENOMEM)
		byod_err_set(err, ENOMEM, "out of memory");
	return rc;
}

/* The registry's server went away (-ENOTCONN): a fresh context replaces
 * the old one once a connection can be made; rc stays otherwise. */
static int reconnect(struct gw *gw, int rc)
{
	struct byod_ctx *fresh = NULL;
	struct byod_err e2;

	if (rc != -ENOTCONN || byod_open(gw->opt.home, "byod-gatewayd", &fresh, &e2))
		return rc;
	byod_close(gw->ctx);
	gw->ctx = fresh;
	gw_log(gw, 1, "connected to the registry again");
	return 0;
}

int gw_sync(struct gw *gw, struct byod_err *err)
{
	struct reg_event last;
	int64_t seq = 0;
	int rc;

	memset(&last, 0, sizeof(last));
	byod_hmap_free(gw->school_of);
	gw->school_of = NULL;
	/* the state and the last seq in one snapshot: an event committed
	 * meanwhile is in both or in neither, so the feed neither skips nor
	 * repeats it; the ruleset is rendered once the snapshot is closed,
	 * so while the registry is unavailable the kernel's stays as it is
	 * (a server that went away is connected to again here) */
	rc = reg_begin_read(gw->ctx->reg, err);
	if (reconnect(gw, rc) == 0 && rc)
		rc = reg_begin_read(gw->ctx->reg, err);
	if (rc)
		return rc;
	rc = reg_events_last(gw->ctx->reg, &seq, err);
	/* its tag, for a resume after a reconnection */
	if (!rc && seq > 0 && reg_event_get(gw->ctx->reg, seq, &last, NULL))
		memset(&last, 0, sizeof(last)); /* none: no resume */
	/* the policies, the unlocks and the sessions of that seq */
	if (!rc)
		rc = load_policies(gw, err);
	if (!rc)
		rc = load_unlocks(gw, gw_now(gw), err);
	if (!rc)
		rc = load_upcoming(gw, gw_now(gw), err);
	if (!rc) {
		struct byod_fw_decider d = decider(gw);

		rc = byod_fw_state_load_by(gw->ctx, &d, gw_now(gw), &gw->state, err);
	}
	if (!rc)
		rc = reg_commit(gw->ctx->reg, err);
	if (rc) {
		reg_rollback(gw->ctx->reg);
		return rc;
	}
	all_due(gw);
	rc = render_all(gw, err);
	if (!rc) {
		gw->seq = seq;
		gw->last = last;
		gw->epoch = reg_connection_epoch(gw->ctx->reg);
		gw->st.full_loads++;
	}
	return rc;
}

int gw_wait(struct gw *gw, int timeout_ms, struct byod_err *err)
{
	return reg_feed_wait(gw->ctx->reg, timeout_ms, err);
}

/* What a session was decided before a policy apply. */
struct before {
	int blocked;
	char segment[64];
};

/* The policy changed: everything again from the registry, and the sessions
 * whose decision moved are acted on. */
static int step_policy(struct gw *gw, struct byod_err *err)
{
	struct byod_hmap *before = byod_hmap_new(free);
	struct byod_fw_session *s;
	char key[24];
	int rc = 0;

	if (!before)
		return byod_err_set(err, ENOMEM, "out of memory");
	/* the decisions under the old policy, to find who moves */
	for (s = gw->state.first; !rc && s; s = s->next) {
		struct before *b = malloc(sizeof(*b));

		snprintf(key, sizeof(key), "%lld", (long long)s->id);
		if (!b || byod_hmap_put(before, key, b)) {
			free(b);
			rc = byod_err_set(err, ENOMEM, "out of memory");
			break;
		}
		b->blocked = s->blocked;
		snprintf(b->segment, sizeof(b->segment), "%s", s->segment);
	}
	if (!rc)
		rc = gw_sync(gw, err);
	for (s = gw->state.first; !rc && s; s = s->next) {
		const struct before *b;

		snprintf(key, sizeof(key), "%lld", (long long)s->id);
		b = byod_hmap_get(before, key);
		if (b && (b->blocked != s->blocked || strcmp(b->segment, s->segment))) {
			struct gw_fields fl;

			gw_logf(gw, 1, S_FIELDS(&fl, s),
				"session %lld (%s): %s -> %s under the new policy",
				(long long)s->id, s->row.mac,
				b->segment[0] ? b->segment : "refused",
				s->segment[0] ? s->segment : "refused");
			act(gw, s, "policy applied");
		}
	}
	byod_hmap_free(before);
	return rc;
}

/* Whether group is one of groups (space-separated). */
static int in_groups(const char *groups, const char *group)
{
	size_t n = strlen(group);
	const char *p;

	for (p = groups; n && (p = strstr(p, group)); p += n)
		if ((p == groups || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return 1;
	return 0;
}

struct members {
	const char *group;
	struct idset ids; /* people of the group, by id */
	struct gw *gw;
	struct idset *devices;
};

static int collect_member(const struct reg_person *p, void *arg)
{
	struct members *m = arg;
	char key[24];

	if (!in_groups(p->groups, m->group))
		return 0;
	snprintf(key, sizeof(key), "%lld", (long long)p->id);
	return idset_add(&m->ids, key);
}

static int collect_member_device(const struct reg_device *d, void *arg)
{
	struct members *m = arg;
	char key[24];

	snprintf(key, sizeof(key), "%lld", (long long)d->owner);
	if (!byod_fw_entry_find(&m->ids.s, key) ||
	    !byod_fw_state_device_sessions(&m->gw->state, d->id))
		return 0;
	return idset_add(m->devices, d->id);
}

/* Decides again, at now, the sessions of the devices of the people of
 * school in group (a teacher opened or closed it): two reads of the
 * registry, not one per session. */
static int redecide_group(struct gw *gw, const struct opened *o, time_t now,
			  struct idset *changed, struct byod_err *err)
{
	struct reg_device_filter f = { .state = -1, .school = o->school };
	struct idset devices;
	struct members m = { .group = o->group, .gw = gw, .devices = &devices };
	size_t i;
	int rc;

	byod_fw_set_init(&m.ids.s);
	byod_fw_set_init(&devices.s);
	rc = reg_person_list_school(gw->ctx->reg, o->school, collect_member, &m, err);
	if (!rc && IDSET_N(&m.ids))
		rc = reg_device_list(gw->ctx->reg, &f, collect_member_device, &m, err);
	if (rc == -ENOMEM)
		byod_err_set(err, ENOMEM, "out of memory");
	for (i = 0; !rc && i < IDSET_N(&devices); i++)
		rc = redecide(gw, IDSET_AT(&devices, i), now, changed, err);
	byod_fw_set_free(&m.ids.s);
	byod_fw_set_free(&devices.s);
	return rc;
}

/* The unlocks over at now (their end reached, no event needed) leave the
 * live list; their groups are noted to be decided again. */
static int expire_unlocks(struct gw *gw, time_t now, struct opened_list *opened)
{
	size_t i;
	int rc = 0;

	for (i = gw->nlive; !rc && i-- > 0;) {
		const struct reg_unlock *u = &gw->live[i];

		if (u->ends > now && !u->ended)
			continue;
		gw_log(gw, 1, "unlock %lld of %s %s is over: its sessions decided again",
		       (long long)u->id, u->school, u->group);
		rc = note_opened(opened, u->school, u->group);
		gw->live[i] = gw->live[--gw->nlive];
	}
	return rc;
}

time_t gw_next_wake(const struct gw *gw)
{
	time_t next = 0;
	size_t i;

	for (i = 0; i < gw->nlive; i++)
		if (!next || gw->live[i].ends < next)
			next = gw->live[i].ends;
	for (i = 0; i < gw->upcoming.n; i++) {
		time_t starts = BYOD_VEC_AT(&gw->upcoming, struct reg_unlock, i)->starts;

		if (!next || starts < next)
			next = starts;
	}
	return next;
}

int gw_more(const struct gw *gw)
{
	return gw->more;
}

/* The change feed is read this many events at a time. */
#define FEED_BATCH 1000

/* reg_events_since's callback: each event kept, handled after the read. */
static int keep_event(const struct reg_event *e, void *arg)
{
	struct reg_event *slot = byod_vec_push(arg);

	if (!slot)
		return -ENOMEM;
	*slot = *e;
	return 0;
}

int gw_step(struct gw *gw, int *handled, struct byod_err *err)
{
	struct step st = { .gw = gw, .err = err };
	struct byod_vec evs = BYOD_VEC_INIT(struct reg_event);
	struct reg_event mark = { 0 };
	struct idset changed, unlocked;
	size_t i;
	time_t now = gw_now(gw);
	int rc;

	st.now = now;
	byod_fw_set_init(&st.devices.s);
	byod_fw_set_init(&st.started.s);
	byod_fw_set_init(&changed.s);
	byod_fw_set_init(&unlocked.s);
	if (handled)
		*handled = 0;
	/* the events first, then what they name: a reconnection during the
	 * read of the events alone leaves nothing read from two servers */
	gw->st.feed_reads++;
	gw->more = 0;
	rc = reg_events_since(gw->ctx->reg, gw->seq, FEED_BATCH, keep_event, &evs, err);
	if (rc == -ENOMEM)
		byod_err_set(err, ENOMEM, "out of memory following the change feed");
	if (rc)
		goto out;
	if (reg_connection_epoch(gw->ctx->reg) != gw->epoch) {
		/* the handle connected again: a server that crashed or a
		 * replica that took over may have lost commits whose feed
		 * numbers were seen here and reused them. When the server
		 * still holds the mark of the last step (same tag), the feed
		 * follows on from it; otherwise everything is read again and
		 * the sessions whose decision moved are acted on. */
		char why[160];

		rc = reg_feed_resumable(gw->ctx->reg, &gw->last, why, sizeof(why), err);
		if (rc < 0)
			goto out;
		if (!rc) {
			gw_log(gw, 1, "connected to the registry again: the state read again (%s)",
			       why);
			rc = step_policy(gw, err);
			goto out;
		}
		rc = 0;
		gw_log(gw, 1,
		       "connected to the registry again: following the change feed on from "
		       "event %lld",
		       (long long)gw->seq);
		gw->epoch = reg_connection_epoch(gw->ctx->reg);
		gw->st.resumes++;
	}
	for (i = 0; i < evs.n && !rc; i++)
		rc = on_event(BYOD_VEC_AT(&evs, struct reg_event, i), &st);
	if (handled)
		*handled = st.handled;
	if (rc)
		goto out;
	if (st.handled) {
		gw->seq = st.last;
		gw->more = evs.n >= FEED_BATCH;
		gw->st.events += (unsigned long)st.handled;
		gw->st.skipped += st.skipped;
		if (st.policy || !gw->pol) {
			rc = step_policy(gw, err);
			goto out;
		}
	}
	/* an unlock whose end or start has come, without any event */
	rc = expire_unlocks(gw, now, &st.opened);
	if (!rc)
		rc = start_unlocks(gw, now, &st.opened);
	if (!rc && !st.handled && !st.opened.n)
		goto out;
	if (!rc && st.opened.n)
		rc = load_unlocks(gw, now, err);
	for (i = 0; !rc && i < IDSET_N(&st.devices); i++) {
		rc = byod_fw_state_device(gw->ctx, &gw->state, IDSET_AT(&st.devices, i), err);
		if (!rc)
			rc = redecide(gw, IDSET_AT(&st.devices, i), now, &changed, err);
	}
	for (i = 0; !rc && i < st.opened.n; i++)
		rc = redecide_group(gw, &st.opened.v[i], now, &unlocked, err);
	if (rc == -ENOMEM)
		byod_err_set(err, ENOMEM, "out of memory");
	/* the rows read above may show any commit up to the feed's head
	 * now: the mark the next reconnection is checked against */
	if (!rc && st.handled)
		rc = reg_feed_mark(gw->ctx->reg, &mark, err);
	if (!rc && st.handled && reg_connection_epoch(gw->ctx->reg) != gw->epoch) {
		/* connected again during this step: what it read may come
		 * from two servers, so everything is read again */
		gw_log(gw, 1, "connected to the registry again during a step: the state read "
			      "again");
		rc = step_policy(gw, err);
		goto out;
	}
	if (!rc && mark.seq)
		gw->last = mark;
	if (!rc && (IDSET_N(&st.devices) || st.sessions_changed || IDSET_N(&unlocked)))
		rc = reconcile(gw, err);
	/* the firewall is in line: now the access points */
	if (!rc) {
		act_on(gw, &changed, "device changed");
		for (i = 0; i < IDSET_N(&unlocked); i++) {
			int64_t id = IDSET_SESSION(&unlocked, i);
			struct byod_fw_session *s = byod_fw_state_session(&gw->state, id);

			if (s && !idset_has_session(&changed, id))
				act(gw, s, "a teacher's unlock");
		}
		for (i = 0; i < IDSET_N(&st.started); i++) {
			int64_t id = IDSET_SESSION(&st.started, i);
			struct byod_fw_session *s = byod_fw_state_session(&gw->state, id);

			if (s && s->blocked && !idset_has_session(&changed, id))
				act(gw, s, "a blocked device connected");
		}
	}
out:
	if (gw->das)
		das_queue_run(gw->das, 0); /* sent now; the answers are read later */
	byod_vec_free(&evs);
	byod_fw_set_free(&changed.s);
	byod_fw_set_free(&unlocked.s);
	byod_fw_set_free(&st.devices.s);
	byod_fw_set_free(&st.started.s);
	free(st.opened.v);
	return rc;
}

/* After a failed evaluation, the due sessions are tried again this much
 * later (not at every turn of the daemon's loop) */
#define DUE_RETRY_S 30

static int reevaluate(struct gw *gw, time_t now, int due_only, struct byod_err *err)
{
	struct idset changed;
	int rc;

	byod_fw_set_init(&changed.s);
	rc = due_only ? redecide_due(gw, now, &changed, err) : redecide(gw, NULL, now, &changed, err);
	/* the nearest due time again, over every session (those not decided
	 * again keep theirs) */
	all_due(gw);
	if (gw->eval_due && gw->eval_due <= now)
		/* a session that failed (or, never, a decision due at once):
		 * not at every turn */
		gw->eval_due = now + (rc ? DUE_RETRY_S : 1);
	if (!rc && IDSET_N(&changed))
		rc = reconcile(gw, err);
	if (!rc)
		act_on(gw, &changed, "the time changed the decision");
	if (gw->das)
		das_queue_run(gw->das, 0);
	byod_fw_set_free(&changed.s);
	return rc;
}

int gw_reevaluate(struct gw *gw, time_t now, struct byod_err *err)
{
	return reevaluate(gw, now, 0, err);
}

int gw_reevaluate_due(struct gw *gw, time_t now, struct byod_err *err)
{
	return reevaluate(gw, now, 1, err);
}

size_t gw_das_run(struct gw *gw, int wait_ms)
{
	return gw->das ? das_queue_run(gw->das, wait_ms) : 0;
}

int gw_open(const struct gw_options *opt, struct gw **out, struct byod_err *err)
{
	struct gw *gw = calloc(1, sizeof(*gw));
	struct reg_school school;
	const char *uai;
	int rc;

	*out = NULL;
	if (!gw)
		return byod_err_set(err, ENOMEM, "out of memory");
	gw->opt = *opt;
	byod_vec_init(&gw->upcoming, sizeof(struct reg_unlock));
	gw->logged_version = -1;
	byod_fw_state_init(&gw->state);
	byod_fw_set_init(&gw->k_admitted);
	byod_fw_set_init(&gw->k_quarantine);
	byod_fw_set_init(&gw->k_qip);
	rc = byod_open(opt->home, "byod-gatewayd", &gw->ctx, err);
	if (rc)
		goto fail;
	uai = opt->school ? opt->school : gw->ctx->conf.gateway_school;
	if (uai && uai[0]) {
		if (strlen(uai) >= sizeof(gw->state.school)) {
			rc = byod_err_set(err, EINVAL, "'%s' is not a school UAI", uai);
			goto fail;
		}
		rc = reg_school_get(gw->ctx->reg, uai, &school, err);
		if (rc == -ENOENT)
			rc = byod_err_set(err, ENOENT, "school %s is not in the registry", uai);
		if (rc)
			goto fail;
		snprintf(gw->state.school, sizeof(gw->state.school), "%s", uai);
		gw_log(gw, 1, "following school %s (%s) only", school.uai, school.name);
	}
	if (opt->apply) {
		rc = byod_das_queue_new(&gw->ctx->conf, &gw->das, err);
		if (rc)
			goto fail;
	}
	*out = gw;
	return 0;
fail:
	gw_close(gw);
	return rc;
}

void gw_close(struct gw *gw)
{
	if (!gw)
		return;
	das_queue_free(gw->das); /* what is still on its way is logged as cancelled */
	byod_hmap_free(gw->school_of);
	byod_fw_state_free(&gw->state);
	byod_fw_set_free(&gw->k_admitted);
	byod_fw_set_free(&gw->k_quarantine);
	byod_fw_set_free(&gw->k_qip);
	byod_policies_free(gw->policies);
	free(gw->live);
	byod_vec_free(&gw->upcoming);
	byod_close(gw->ctx);
	free(gw);
}

void gw_stats(const struct gw *gw, struct gw_stats *out)
{
	*out = gw->st;
	out->seq = gw->seq;
	out->admitted = gw->k_admitted.v.n;
	out->quarantined = gw->k_quarantine.v.n;
	out->sessions = gw->state.nsessions;
	out->das_pending = gw->das ? das_queue_pending(gw->das) : 0;
}

int gw_poll_ms(const struct gw *gw)
{
	return gw->ctx->conf.gateway_poll_ms;
}

const char *gw_admitted(const struct gw *gw, const char *mac)
{
	struct byod_fw_entry *e = byod_fw_entry_find(&gw->k_admitted, mac);

	return e ? e->val : NULL;
}

int gw_quarantined(const struct gw *gw, const char *mac)
{
	return byod_fw_entry_find(&gw->k_quarantine, mac) != NULL;
}

int gw_ruleset(struct gw *gw, char **text, struct byod_err *err)
{
	*text = NULL;
	return render_text(gw, text, err);
}

int gw_purge(struct gw *gw, time_t now, struct byod_purge_report *r, struct byod_err *err)
{
	int rc;

	if (!gw->ctx->conf.gateway_purge)
		return 0;
	rc = byod_purge(gw->ctx, now, 0, r, err);
	return rc ? rc : 1;
}

int gw_feed_head(struct gw *gw, int64_t *head, struct byod_err *err)
{
	return reg_events_last(gw->ctx->reg, head, err);
}

int gw_heartbeat(struct gw *gw, struct byod_err *err)
{
	struct reg_heartbeat hb;

	memset(&hb, 0, sizeof(hb));
	snprintf(hb.component, sizeof(hb.component), "gatewayd");
	if (gw->opt.node && gw->opt.node[0])
		snprintf(hb.node, sizeof(hb.node), "%s", gw->opt.node);
	else if (gethostname(hb.node, sizeof(hb.node)) || !hb.node[0])
		snprintf(hb.node, sizeof(hb.node), "gateway");
	hb.node[sizeof(hb.node) - 1] = '\0';
	snprintf(hb.school, sizeof(hb.school), "%s", gw->state.school);
	hb.seen = gw_now(gw);
	hb.feed_seq = gw->seq;
	snprintf(hb.detail, sizeof(hb.detail), "%s%s%s%zu sessions, %zu admitted, %zu quarantined",
		 gw->digest[0] ? "ruleset " : "", gw->digest, gw->digest[0] ? ", " : "",
		 gw->state.nsessions, gw->k_admitted.v.n, gw->k_quarantine.v.n);
	return reg_heartbeat_put(gw->ctx->reg, &hb, err);
}
