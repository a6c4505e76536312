// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Acting on a device's live sessions: which Dynamic Authorization Server
 * (RFC 5176) answers for a NAS (das.port / das.mode with the das.nas
 * exceptions), and a Disconnect or CoA for one accounting session whose
 * answer -- ACK, NAK with its Error-Cause, or silence -- is written to the
 * audit log. byodctl and byod-gatewayd both come through here.
 */
#include "byod.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* One das.nas item, "ADDR[:PORT][/MODE]" ([ADDR]:PORT for IPv6), split in
 * place: *addr, *port (0 when absent), *mode text (NULL when absent). */
static int nas_item(char *item, char **addr, int *port, char **mode)
{
	char *p, *end;
	long v;

	*port = 0;
	*mode = strchr(item, '/');
	if (*mode)
		*(*mode)++ = '\0';
	*addr = item;
	p = NULL;
	if (item[0] == '[') {
		*addr = item + 1;
		end = strchr(item, ']');
		if (!end || (end[1] && end[1] != ':'))
			return -EINVAL;
		*end = '\0';
		p = end[1] ? end + 2 : NULL;
	} else if ((p = strchr(item, ':')) && !strchr(p + 1, ':')) {
		*p++ = '\0'; /* IPv4:PORT */
	} else {
		p = NULL; /* IPv4, or a bare IPv6 address */
	}
	if (p) {
		v = strtol(p, &end, 10);
		if (*end || v < 1 || v > 65535)
			return -EINVAL;
		*port = (int)v;
	}
	return **addr ? 0 : -EINVAL;
}

int byod_das_target(const struct byod_conf *conf, const char *nas, int *port,
		    enum das_mode *mode, struct byod_err *err)
{
	const char *p = conf->das_nas ? conf->das_nas : "";

	*port = conf->das_port;
	*mode = (enum das_mode)conf->das_mode;
	while (*p) {
		char item[128], *addr, *mtext;
		size_t n = strcspn(p, ",");
		enum das_mode m = *mode;
		int iport;

		if (n == 0 || n >= sizeof(item))
			return byod_err_set(err, EINVAL,
					    "das.nas must be ADDR[:PORT][/MODE] items, comma-separated");
		memcpy(item, p, n);
		item[n] = '\0';
		if (nas_item(item, &addr, &iport, &mtext))
			return byod_err_set(err, EINVAL,
					    "das.nas: '%.*s' is not ADDR[:PORT][/MODE]", (int)n, p);
		p += n + (p[n] == ',');
		if (mtext && das_mode_parse(mtext, &m))
			return byod_err_set(err, EINVAL,
					    "das.nas: '%s' is not disconnect, coa or both", mtext);
		if (strcmp(addr, nas))
			continue;
		if (iport)
			*port = iport;
		*mode = m;
		return 0;
	}
	return 0;
}

/* The MAC as access points write Calling-Station-Id (RFC 3580: AA-BB-...). */
static void ieee_mac(const char *mac, char *out, size_t len)
{
	size_t i, o = 0;

	for (i = 0; mac[i] && o + 1 < len; i++)
		out[o++] = mac[i] == ':' ? '-' : (char)(mac[i] >= 'a' && mac[i] <= 'f' ?
							  mac[i] - 'a' + 'A' : mac[i]);
	out[o] = '\0';
}

static void audit(struct byod_ctx *ctx, const struct reg_session *s, int code, int port,
		  const struct das_answer *ans, const char *error)
{
	char object[32];
	json_t *o;
	char *after = NULL;

	snprintf(object, sizeof(object), "%lld", (long long)s->id);
	o = json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:i, s:I}", "request", das_code_name(code),
		      "nas", s->nas_ip, "port", port, "mac", s->mac, "device", s->device,
		      "answer", das_code_name(ans->code), "tries", ans->tries, "ms",
		      (json_int_t)ans->ms);
	if (o && ans->error_cause) {
		const char *name = das_error_cause_name(ans->error_cause);

		json_object_set_new(o, "error-cause", json_integer(ans->error_cause));
		if (name)
			json_object_set_new(o, "error-cause-name", json_string(name));
	}
	if (o && error)
		json_object_set_new(o, "error", json_string(error));
	if (o)
		after = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	/* the action is done: a failure to record it must not undo it */
	reg_audit_add(ctx->reg, code == DAS_COA_REQUEST ? "session.coa" : "session.disconnect",
		      object, NULL, after, NULL);
	free(after);
	json_decref(o);
}

/* One session's Disconnect (or CoA, then perhaps a Disconnect) in a queue. */
struct pending {
	struct byod_ctx *ctx;
	struct das_queue *q;
	struct reg_session row; /* a copy: the caller may forget the session meanwhile */
	enum das_mode mode;
	enum das_code code;     /* the request in flight */
	int vlan, port;
	byod_das_done_fn done;
	void *arg;
};

static int queue_one(struct pending *p, enum das_code code, struct byod_err *err);

static void pending_done(int rc, const struct das_answer *ans, const struct byod_err *err,
			 void *arg)
{
	struct pending *p = arg;
	struct byod_err again;

	audit(p->ctx, &p->row, p->code, p->port, ans, rc ? err->msg : NULL);
	/* both: a CoA refused or unanswered is followed by a Disconnect */
	if (p->code == DAS_COA_REQUEST && p->mode == DAS_MODE_BOTH && rc != -ECANCELED &&
	    !(!rc && ans->code == DAS_COA_ACK)) {
		if (!queue_one(p, DAS_DISCONNECT_REQUEST, &again))
			return;
		p->done(-EIO, ans, &again, p->arg);
		free(p);
		return;
	}
	p->done(rc, ans, err, p->arg);
	free(p);
}

static int queue_one(struct pending *p, enum das_code code, struct byod_err *err)
{
	const struct reg_session *s = &p->row;
	char mac[32];
	struct das_request rq = {
		.code = code,
		.acct_session_id = s->session_id,
		.nas_identifier = s->nas_id,
		.vlan = code == DAS_COA_REQUEST ? p->vlan : 0,
	};

	if (s->mac[0]) {
		ieee_mac(s->mac, mac, sizeof(mac));
		rq.calling_station_id = mac;
	}
	if (strchr(s->nas_ip, '.'))
		rq.nas_ip = s->nas_ip;
	p->code = code;
	return das_queue_add(p->q, s->nas_ip, p->port, p->ctx->conf.das_secret, &rq, pending_done,
			     p, err);
}

int byod_das_queue_new(const struct byod_conf *conf, struct das_queue **out, struct byod_err *err)
{
	struct das_queue_opts opt = { conf->das_timeout_ms, conf->das_retries,
				      conf->das_max_in_flight > 0 ? conf->das_max_in_flight : 8 };

	return das_queue_new(&opt, out, err);
}

int byod_session_disconnect_queue(struct byod_ctx *ctx, struct das_queue *q,
				  const struct reg_session *s, int vlan, byod_das_done_fn done,
				  void *arg, struct byod_err *err)
{
	struct pending *p;
	int rc;

	if (!s->nas_ip[0])
		return byod_err_set(err, EINVAL, "session %lld has no NAS address",
				    (long long)s->id);
	if (!ctx->conf.das_secret || !ctx->conf.das_secret[0])
		return byod_err_set(err, EINVAL,
				    "das.secret is not set: the access points cannot be asked "
				    "to disconnect anyone");
	p = calloc(1, sizeof(*p));
	if (!p)
		return byod_err_set(err, ENOMEM, "out of memory");
	p->ctx = ctx;
	p->q = q;
	p->row = *s;
	p->vlan = vlan;
	p->done = done;
	p->arg = arg;
	rc = byod_das_target(&ctx->conf, s->nas_ip, &p->port, &p->mode, err);
	if (!rc)
		rc = queue_one(p, p->mode != DAS_MODE_DISCONNECT && vlan > 0 ? DAS_COA_REQUEST :
									     DAS_DISCONNECT_REQUEST,
			       err);
	if (rc)
		free(p);
	return rc;
}

struct sync {
	int rc;
	struct das_answer *ans;
	struct byod_err *err;
};

static void sync_done(int rc, const struct das_answer *ans, const struct byod_err *err, void *arg)
{
	struct sync *s = arg;

	s->rc = rc;
	*s->ans = *ans;
	if (rc)
		*s->err = *err;
}

int byod_session_disconnect(struct byod_ctx *ctx, const struct reg_session *s, int vlan,
			    struct das_answer *ans, struct byod_err *err)
{
	struct byod_err local;
	struct das_queue *q = NULL;
	struct sync sy = { -EINPROGRESS, ans, NULL };
	int rc;

	if (!err)
		err = &local;
	sy.err = err;
	memset(ans, 0, sizeof(*ans));
	rc = byod_das_queue_new(&ctx->conf, &q, err);
	if (!rc)
		rc = byod_session_disconnect_queue(ctx, q, s, vlan, sync_done, &sy, err);
	if (!rc) {
		das_queue_run(q, -1);
		rc = sy.rc;
	}
	das_queue_free(q);
	return rc;
}
