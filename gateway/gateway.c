// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * byod-gatewayd's engine (see gateway.h). It keeps two things:
 *   - what should be: the desired firewall state of core/fw_state.c (the
 *     open accounting sessions it follows, each decided by pol_admit, and
 *     the quarantined MACs), kept current from the change feed;
 *   - what the kernel's sets and map hold, so that a change is a small
 *     batch of element commands (one transaction) computed as the
 *     difference between what should be and what is.
 * Order matters for "within one second": the firewall is changed first,
 * then the NAS are asked to disconnect. When a batch fails (someone
 * flushed the ruleset), the whole ruleset is rendered again with the state.
 */
#define _GNU_SOURCE
#include "gateway.h"

#include "byod_util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ENTRY(v, i) BYOD_VEC_AT((v), struct byod_fw_entry, (i))

struct gw {
	struct gw_options opt;
	struct byod_ctx *ctx;
	struct pol_policy *pol;
	int64_t seq;
	struct byod_fw_state state; /* the sessions followed and the quarantine: what should be */
	struct byod_vec k_admitted; /* what the kernel holds (struct byod_fw_entry) */
	struct byod_vec k_quarantine;
	struct byod_vec k_qip;      /* mac = the address */
	struct gw_stats st;
};

static void gw_log(struct gw *gw, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void gw_log(struct gw *gw, int level, const char *fmt, ...)
{
	char msg[1024], safe[4096];
	va_list ap;

	if (!gw->opt.log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* every value in the line escaped at once (the formats are literals) */
	gw->opt.log(level, byod_log_escape(msg, safe, sizeof(safe)), gw->opt.log_ctx);
}

static time_t gw_now(const struct gw *gw)
{
	return gw->opt.clock ? gw->opt.clock(gw->opt.clock_ctx) : time(NULL);
}

static const char *label(const struct byod_fw_session *s)
{
	return s->blocked ? "blocked" : s->segment[0] ? s->segment : "refused";
}

/* ---- the kernel's state ---- */

/* Makes the kernel's vectors equal to what should be, as a batch. */
static int diff_batch(struct gw *gw, struct fw_batch *b)
{
	struct byod_fw_sets want;
	struct byod_fw_entry *e;
	size_t i;
	int rc;

	rc = byod_fw_state_sets(&gw->state, &want);
	if (rc)
		return rc;
	/* quarantine first: it is the one that must not wait */
	for (i = 0; !rc && i < want.quarantine.n; i++) {
		e = ENTRY(&want.quarantine, i);
		if (!byod_fw_entry_find(&gw->k_quarantine, e->mac)) {
			rc = fw_batch_quarantine(b, e->mac, 1);
			if (!rc)
				rc = byod_fw_entry_put(&gw->k_quarantine, e->mac, "");
		}
	}
	for (i = 0; !rc && i < want.quarantine_ips.n; i++) {
		e = ENTRY(&want.quarantine_ips, i);
		if (!byod_fw_entry_find(&gw->k_qip, e->mac)) {
			rc = fw_batch_quarantine_ip(b, e->mac, 1);
			if (!rc)
				rc = byod_fw_entry_put(&gw->k_qip, e->mac, "");
		}
	}
	for (i = gw->k_quarantine.n; !rc && i-- > 0;) {
		e = ENTRY(&gw->k_quarantine, i);
		if (!byod_fw_entry_find(&want.quarantine, e->mac)) {
			rc = fw_batch_quarantine(b, e->mac, 0);
			if (!rc)
				byod_vec_del(&gw->k_quarantine, i);
		}
	}
	for (i = gw->k_qip.n; !rc && i-- > 0;) {
		e = ENTRY(&gw->k_qip, i);
		if (!byod_fw_entry_find(&want.quarantine_ips, e->mac)) {
			rc = fw_batch_quarantine_ip(b, e->mac, 0);
			if (!rc)
				byod_vec_del(&gw->k_qip, i);
		}
	}
	/* admitted: evict or move, then admit */
	for (i = gw->k_admitted.n; !rc && i-- > 0;) {
		struct byod_fw_entry *w;

		e = ENTRY(&gw->k_admitted, i);
		w = byod_fw_entry_find(&want.admitted, e->mac);
		if (!w || strcmp(w->val, e->val)) {
			rc = fw_batch_evict(b, e->mac);
			if (!rc)
				byod_vec_del(&gw->k_admitted, i);
		}
	}
	for (i = 0; !rc && i < want.admitted.n; i++) {
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
		byod_vec_free(&gw->k_admitted);
		byod_vec_free(&gw->k_quarantine);
		byod_vec_free(&gw->k_qip);
		gw->k_admitted = want.admitted;
		gw->k_quarantine = want.quarantine;
		gw->k_qip = want.quarantine_ips;
		byod_vec_init(&want.admitted, sizeof(struct byod_fw_entry));
		byod_vec_init(&want.quarantine, sizeof(struct byod_fw_entry));
		byod_vec_init(&want.quarantine_ips, sizeof(struct byod_fw_entry));
		gw->st.renders++;
		gw_log(gw, 1, "ruleset applied: %zu admitted, %zu quarantined, %zu sessions",
		       gw->k_admitted.n, gw->k_quarantine.n, gw->state.sessions.n);
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
static void act(struct gw *gw, const struct byod_fw_session *s, const char *why)
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

#define ID(v, i) (*BYOD_VEC_AT((v), int64_t, (i)))

/* Decides every followed session again (when: now) and appends the ids of
 * those whose answer changed to changed (int64_t); device (NULL: all)
 * limits it to one device's sessions. */
static int redecide(struct gw *gw, const char *device, time_t when, struct byod_vec *changed,
		    struct byod_err *err)
{
	size_t i;
	int rc = 0;

	for (i = 0; !rc && i < gw->state.sessions.n; i++) {
		struct byod_fw_session *s = BYOD_VEC_AT(&gw->state.sessions, struct byod_fw_session, i);
		int was_blocked = s->blocked;
		char was[sizeof(s->segment)], before[sizeof(s->segment)];

		if (device && strcmp(s->row.device, device))
			continue;
		snprintf(was, sizeof(was), "%s", s->segment);
		snprintf(before, sizeof(before), "%s", label(s));
		rc = byod_fw_session_decide(gw->ctx, gw->pol, s, when, err);
		if (!rc && (was_blocked != s->blocked || strcmp(was, s->segment))) {
			int64_t *c = byod_vec_push(changed);

			if (!c)
				return byod_err_set(err, ENOMEM, "out of memory");
			*c = s->id;
			gw_log(gw, 1, "session %lld (%s): %s -> %s", (long long)s->id, s->row.mac,
			       before, label(s));
		}
	}
	return rc;
}

static void act_on(struct gw *gw, const struct byod_vec *ids, const char *why)
{
	size_t i;

	for (i = 0; i < ids->n; i++) {
		struct byod_fw_session *s = byod_fw_state_session(&gw->state, ID(ids, i), NULL);

		if (s)
			act(gw, s, why);
	}
}

/* A set of device ids (struct dev_id), each once. */
struct dev_id {
	char id[REG_ID_MAX];
};
#define DEV(v, i) (BYOD_VEC_AT((v), struct dev_id, (i))->id)

static int ids_add(struct byod_vec *ids, const char *id)
{
	size_t i, len = strlen(id);
	struct dev_id *d;

	if (len >= REG_ID_MAX)
		return 0; /* not a device id */
	for (i = 0; i < ids->n; i++)
		if (!strcmp(DEV(ids, i), id))
			return 0;
	d = byod_vec_push(ids);
	if (!d)
		return -ENOMEM;
	memcpy(d->id, id, len + 1);
	return 0;
}

static int collect_owned(const struct reg_device *d, void *arg)
{
	return ids_add(arg, d->id);
}

struct step {
	struct gw *gw;
	struct byod_vec devices; /* struct dev_id: devices whose state changed */
	int sessions_changed;    /* a session started or stopped */
	int policy;              /* a policy was applied */
	struct byod_vec started; /* int64_t: sessions that started (a blocked one is ended at once) */
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
		if (byod_fw_state_session(&gw->state, id, &at))
			byod_vec_del(&gw->state.sessions, at);
		return 0;
	}
	{
		struct byod_fw_session *s = byod_fw_state_session(&gw->state, id, NULL);
		int64_t *n;

		if (!s && !(s = byod_vec_push(&gw->state.sessions)))
			return byod_err_set(st->err, ENOMEM, "out of memory");
		s->id = id;
		s->row = row;
		rc = byod_fw_session_decide(gw->ctx, gw->pol, s, gw_now(gw), st->err);
		if (rc)
			return rc;
		gw_log(gw, 1, "session %lld started: %s at %s -> %s", id, row.mac, row.nas_ip,
		       label(s));
		n = byod_vec_push(&st->started);
		if (!n)
			return byod_err_set(st->err, ENOMEM, "out of memory");
		*n = id;
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
	int64_t seq = 0;
	int rc;

	/* nothing is rendered before the registry was read whole: while it
	 * is unavailable the ruleset in the kernel stays as it is */
	rc = reg_events_last(gw->ctx->reg, &seq, err);
	if (reconnect(gw, rc) == 0 && rc)
		rc = reg_events_last(gw->ctx->reg, &seq, err);
	if (!rc)
		rc = load_policy(gw, err);
	if (!rc)
		rc = byod_fw_state_load(gw->ctx, gw->pol, gw_now(gw), &gw->state, err);
	if (!rc)
		rc = render_all(gw, err);
	if (!rc)
		gw->seq = seq;
	return rc;
}

int gw_step(struct gw *gw, int *handled, struct byod_err *err)
{
	struct step st = { .gw = gw,
			   .devices = BYOD_VEC_INIT(struct dev_id),
			   .started = BYOD_VEC_INIT(int64_t),
			   .err = err };
	struct byod_vec changed = BYOD_VEC_INIT(int64_t);
	size_t i;
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
		struct byod_vec before = BYOD_VEC_INIT(struct byod_fw_session);

		/* the decisions under the old policy, to find who moves */
		for (i = 0; i < gw->state.sessions.n; i++) {
			struct byod_fw_session *b = byod_vec_push(&before);

			if (!b) {
				rc = byod_err_set(err, ENOMEM, "out of memory");
				byod_vec_free(&before);
				goto out;
			}
			*b = *BYOD_VEC_AT(&gw->state.sessions, struct byod_fw_session, i);
		}
		rc = gw_sync(gw, err);
		for (i = 0; !rc && i < gw->state.sessions.n; i++) {
			struct byod_fw_session *s =
				BYOD_VEC_AT(&gw->state.sessions, struct byod_fw_session, i);
			size_t k;

			for (k = 0; k < before.n; k++) {
				struct byod_fw_session *b =
					BYOD_VEC_AT(&before, struct byod_fw_session, k);

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
		byod_vec_free(&before);
		goto out;
	}
	for (i = 0; !rc && i < st.devices.n; i++) {
		rc = byod_fw_state_device(gw->ctx, &gw->state, DEV(&st.devices, i), err);
		if (!rc)
			rc = redecide(gw, DEV(&st.devices, i), now, &changed, err);
	}
	if (!rc && (st.devices.n || st.sessions_changed))
		rc = reconcile(gw, err);
	/* the firewall is in line: now the access points */
	if (!rc) {
		act_on(gw, &changed, "device changed");
		for (i = 0; i < st.started.n; i++) {
			struct byod_fw_session *s =
				byod_fw_state_session(&gw->state, ID(&st.started, i), NULL);
			size_t k;
			int done = 0;

			for (k = 0; k < changed.n; k++)
				done |= ID(&changed, k) == ID(&st.started, i);
			if (s && s->blocked && !done)
				act(gw, s, "a blocked device connected");
		}
	}
out:
	byod_vec_free(&changed);
	byod_vec_free(&st.devices);
	byod_vec_free(&st.started);
	return rc;
}

int gw_reevaluate(struct gw *gw, time_t now, struct byod_err *err)
{
	struct byod_vec changed = BYOD_VEC_INIT(int64_t);
	int rc = redecide(gw, NULL, now, &changed, err);

	if (!rc && changed.n)
		rc = reconcile(gw, err);
	if (!rc)
		act_on(gw, &changed, "the time changed the decision");
	byod_vec_free(&changed);
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
	byod_fw_state_init(&gw->state);
	byod_vec_init(&gw->k_admitted, sizeof(struct byod_fw_entry));
	byod_vec_init(&gw->k_quarantine, sizeof(struct byod_fw_entry));
	byod_vec_init(&gw->k_qip, sizeof(struct byod_fw_entry));
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
	byod_fw_state_free(&gw->state);
	byod_vec_free(&gw->k_admitted);
	byod_vec_free(&gw->k_quarantine);
	byod_vec_free(&gw->k_qip);
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
	out->sessions = gw->state.sessions.n;
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
