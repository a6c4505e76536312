// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rlm_byod: the FreeRADIUS 3.2 glue between a RADIUS request and the
 * gateway. Thin: the decision is index.c's (devices, certificates and the
 * policy in memory), accounting goes to the registry.
 *
 *  - authorize, outer server, no EAP: MAC authentication (MAB) on
 *    Calling-Station-Id; an accepted device gets its segment's VLAN and
 *    Auth-Type := Accept.
 *  - authorize in the certificate-check virtual server that eap { tls {
 *    virtual_server = ... } } calls: TLS-Client-Cert-Serial decides, and a
 *    reject there ends the EAP conversation with an EAP-Failure.
 *  - accounting: Start / Interim-Update / Stop into the registry.
 *
 * A thread follows the registry's change feed, so that a revocation reaches
 * the decisions as soon as it is committed (PostgreSQL's NOTIFY, SQLite's
 * data_version), and within the poll interval at worst.
 */
#include <freeradius/radiusd.h>
#include <freeradius/modules.h>

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "byod_util.h"
#include "index.h"
#include "registry.h"

typedef struct rlm_byod_t {
	char const *name;
	char const *home;
	uint32_t registration_vlan;
	uint32_t poll_interval; /* milliseconds */
	char const *registry_down; /* "registration" or "reject" */

	DICT_ATTR const *serial_da;
	struct rad_index *index;
	struct reg *acct; /* accounting writes, one at a time */
	pthread_mutex_t acct_lock;
	pthread_t follower;
	pthread_mutex_t stop_lock;
	pthread_cond_t stop_cond;
	bool stop;
	bool follower_started;
} rlm_byod_t;

static const CONF_PARSER module_config[] = {
	{ "home", FR_CONF_OFFSET(PW_TYPE_STRING, rlm_byod_t, home), "/var/lib/byod" },
	{ "registration_vlan", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_byod_t, registration_vlan),
	  "10" },
	{ "poll_interval", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_byod_t, poll_interval), "200" },
	{ "registry_down", FR_CONF_OFFSET(PW_TYPE_STRING, rlm_byod_t, registry_down),
	  "registration" },
	CONF_PARSER_TERMINATOR
};

/* ---- the change-feed follower ---- */

/* How long the follower waits on the feed at a time, so that detach never
 * waits longer than this for it. */
#define FOLLOW_SLICE_MS 250

static bool stopping(rlm_byod_t *inst)
{
	bool stop;

	pthread_mutex_lock(&inst->stop_lock);
	stop = inst->stop;
	pthread_mutex_unlock(&inst->stop_lock);
	return stop;
}

static long ms_since(struct timespec const *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(((now.tv_sec - t0->tv_sec) * 1000000000LL + (now.tv_nsec - t0->tv_nsec)) /
		      1000000LL);
}

/* Sleeps ms unless detach stops the follower first. */
static void nap(rlm_byod_t *inst, long ms)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += (ms % 1000) * 1000000L;
	until.tv_sec += ms / 1000 + until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&inst->stop_lock);
	if (!inst->stop)
		pthread_cond_timedwait(&inst->stop_cond, &inst->stop_lock, &until);
	pthread_mutex_unlock(&inst->stop_lock);
}

/*
 * Waits up to poll_interval for the change feed: a commit elsewhere ends
 * the wait at once on PostgreSQL (NOTIFY), within a few milliseconds on
 * SQLite. The wait is cut in slices so that detach is not kept waiting; a
 * slice that ends early means the feed moved. When the wait itself fails
 * (the registry is unreachable), it sleeps the interval instead.
 */
static void wait_feed(rlm_byod_t *inst)
{
	struct timespec start, t0;
	struct byod_err err;
	long left, slice;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (!stopping(inst) && (left = (long)inst->poll_interval - ms_since(&start)) > 0) {
		slice = left < FOLLOW_SLICE_MS ? left : FOLLOW_SLICE_MS;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (rad_index_wait(inst->index, (int)slice, &err)) {
			nap(inst, left);
			return;
		}
		if (ms_since(&t0) < slice)
			return;
	}
}

static void *follow(void *arg)
{
	rlm_byod_t *inst = arg;
	struct byod_err err;
	int failing = 0, changed;

	while (!stopping(inst)) {
		if (rad_index_refresh(inst->index, &changed, &err)) {
			/* loud once, then quiet until it recovers; the index keeps
			 * its state and its place in the feed */
			if (!failing)
				ERROR("rlm_byod (%s): the registry cannot be read, known devices keep "
				      "their last decision: %s",
				      inst->name, err.msg);
			failing = 1;
		} else if (failing) {
			INFO("rlm_byod (%s): the registry is readable again", inst->name);
			failing = 0;
		}
		wait_feed(inst);
	}
	return NULL;
}

/* ---- instance ---- */

static int mod_detach(void *instance)
{
	rlm_byod_t *inst = instance;

	if (inst->follower_started) {
		pthread_mutex_lock(&inst->stop_lock);
		inst->stop = true;
		pthread_cond_signal(&inst->stop_cond);
		pthread_mutex_unlock(&inst->stop_lock);
		pthread_join(inst->follower, NULL);
		inst->follower_started = false;
	}
	rad_index_free(inst->index);
	inst->index = NULL;
	reg_close(inst->acct);
	inst->acct = NULL;
	pthread_mutex_destroy(&inst->acct_lock);
	pthread_mutex_destroy(&inst->stop_lock);
	pthread_cond_destroy(&inst->stop_cond);
	return 0;
}

static int open_accounting(rlm_byod_t *inst, struct byod_err *err)
{
	return reg_open_home(inst->home, "rlm_byod", 0, &inst->acct, err);
}

static int mod_instantiate(CONF_SECTION *conf, void *instance)
{
	rlm_byod_t *inst = instance;
	struct rad_index_options opt;
	struct rad_index_stats st;
	struct byod_err err;
	int degraded;

	inst->name = cf_section_name2(conf);
	if (!inst->name)
		inst->name = cf_section_name1(conf);
	pthread_mutex_init(&inst->acct_lock, NULL);
	pthread_mutex_init(&inst->stop_lock, NULL);
	pthread_cond_init(&inst->stop_cond, NULL);
	if (inst->registration_vlan < 1 || inst->registration_vlan > 4094) {
		cf_log_err_cs(conf, "registration_vlan must be between 1 and 4094");
		return -1;
	}
	if (inst->poll_interval < 10 || inst->poll_interval > 60000) {
		cf_log_err_cs(conf, "poll_interval must be between 10 and 60000 (milliseconds)");
		return -1;
	}
	if (strcmp(inst->registry_down, "registration") && strcmp(inst->registry_down, "reject")) {
		cf_log_err_cs(conf, "registry_down must be registration or reject, not '%s'",
			      inst->registry_down);
		return -1;
	}
	inst->serial_da = dict_attrbyname("TLS-Client-Cert-Serial");
	if (!inst->serial_da) {
		cf_log_err_cs(conf, "the dictionary has no TLS-Client-Cert-Serial");
		return -1;
	}
	memset(&opt, 0, sizeof(opt));
	opt.home = inst->home;
	opt.registration_vlan = (int)inst->registration_vlan;
	opt.unreachable_reject = !strcmp(inst->registry_down, "reject");
	if (rad_index_open(&opt, &inst->index, &degraded, &err)) {
		cf_log_err_cs(conf, "cannot start: %s", err.msg);
		return -1;
	}
	if (degraded)
		ERROR("rlm_byod (%s): starting without the registry (%s): devices are %s until "
		      "it can be read",
		      inst->name, err.msg,
		      opt.unreachable_reject ? "refused" : "put in the registration VLAN");
	if (open_accounting(inst, &err))
		ERROR("rlm_byod (%s): accounting cannot be recorded yet: %s", inst->name, err.msg);
	rad_index_stats(inst->index, &st);
	INFO("rlm_byod (%s): %zu devices, %zu certificates, %zu people, policy version %lld",
	     inst->name, st.devices, st.certs, st.people, (long long)st.policy_version);
	if (pthread_create(&inst->follower, NULL, follow, inst)) {
		cf_log_err_cs(conf, "cannot start the change-feed thread");
		return -1;
	}
	inst->follower_started = true;
	return 0;
}

/* ---- replies ---- */

static void reply_int(REQUEST *request, unsigned int attr, uint32_t value)
{
	VALUE_PAIR *vp = fr_pair_afrom_num(request->reply, attr, 0);

	if (!vp)
		return;
	vp->vp_integer = value;
	vp->tag = 0;
	fr_pair_replace(&request->reply->vps, vp);
}

static void reply_str(REQUEST *request, unsigned int attr, char const *value, bool tagged)
{
	VALUE_PAIR *vp = fr_pair_afrom_num(request->reply, attr, 0);

	if (!vp)
		return;
	fr_pair_value_strcpy(vp, value);
	if (tagged)
		vp->tag = 0;
	fr_pair_replace(&request->reply->vps, vp);
}

/* RFC 3580: Tunnel-Type VLAN (13), Tunnel-Medium-Type IEEE-802 (6),
 * Tunnel-Private-Group-Id the VLAN id as text. */
static void reply_accept(REQUEST *request, struct rad_answer const *a)
{
	char vlan[16];

	snprintf(vlan, sizeof(vlan), "%d", a->vlan);
	reply_int(request, PW_TUNNEL_TYPE, 13);
	reply_int(request, PW_TUNNEL_MEDIUM_TYPE, 6);
	reply_str(request, PW_TUNNEL_PRIVATE_GROUP_ID, vlan, true);
	if (a->session_timeout > 0)
		reply_int(request, PW_SESSION_TIMEOUT, (uint32_t)a->session_timeout);
	reply_str(request, PW_REPLY_MESSAGE, a->reason, false);
}

static rlm_rcode_t answer(REQUEST *request, struct rad_answer const *a, char const *what)
{
	if (!a->accept) {
		REDEBUG("%s: reject: %s", what, a->reason);
		reply_str(request, PW_REPLY_MESSAGE, a->reason, false);
		return RLM_MODULE_REJECT;
	}
	RDEBUG2("%s: VLAN %d, %s%s%s", what, a->vlan, a->reason, a->known ? ", device " : "",
		a->known ? a->device : "");
	reply_accept(request, a);
	return RLM_MODULE_OK;
}

/* ---- authorize ---- */

static rlm_rcode_t CC_HINT(nonnull) mod_authorize(void *instance, REQUEST *request)
{
	rlm_byod_t *inst = instance;
	struct rad_query rq;
	struct rad_answer a;
	VALUE_PAIR *serial, *mac;
	rlm_rcode_t rcode;

	memset(&rq, 0, sizeof(rq));
	rq.now = time(NULL);
	mac = fr_pair_find_by_num(request->packet->vps, PW_CALLING_STATION_ID, 0, TAG_ANY);
	rq.mac = mac ? mac->vp_strvalue : NULL;

	/* The certificate-check virtual server: the certificate decides. */
	serial = fr_pair_find_by_da(request->packet->vps, inst->serial_da, TAG_ANY);
	if (serial) {
		rq.method = RAD_METHOD_TLS;
		rq.serial = serial->vp_strvalue;
		rad_index_decide(inst->index, &rq, &a);
		rcode = answer(request, &a, "EAP-TLS");
	} else if (fr_pair_find_by_num(request->packet->vps, PW_EAP_MESSAGE, 0, TAG_ANY)) {
		/* EAP under way: the eap module and the virtual server decide. */
		return RLM_MODULE_NOOP;
	} else if (!mac) {
		REDEBUG("MAC authentication without Calling-Station-Id");
		return RLM_MODULE_REJECT;
	} else {
		rq.method = RAD_METHOD_MAC;
		rad_index_decide(inst->index, &rq, &a);
		rcode = answer(request, &a, "MAC authentication");
	}
	/* The decision is made: nothing is left to authenticate here (the
	 * certificate was verified by the eap module before this). */
	if (rcode == RLM_MODULE_OK && !pair_make_config("Auth-Type", "Accept", T_OP_SET)) {
		RERROR("cannot set Auth-Type");
		return RLM_MODULE_FAIL;
	}
	return rcode;
}

/* ---- post-auth: the final Access-Accept of an EAP-TLS conversation ---- */

/*
 * Turns an Access-Accept that carries EAP-Success into an Access-Reject
 * that carries EAP-Failure, without the MPPE keys: a reject that still said
 * EAP-Success would make the supplicant believe it is connected.
 */
static void accept_to_reject(REQUEST *request, char const *why)
{
	VALUE_PAIR *eap = fr_pair_find_by_num(request->reply->vps, PW_EAP_MESSAGE, 0, TAG_ANY);
	uint8_t failure[4];

	if (eap && eap->vp_length == 4 && eap->vp_octets[0] == 3) {
		memcpy(failure, eap->vp_octets, sizeof(failure));
		failure[0] = 4; /* EAP-Failure, same identifier */
		eap = fr_pair_copy(request->reply, eap);
	} else {
		eap = NULL;
	}
	fr_pair_list_free(&request->reply->vps);
	if (eap) {
		fr_pair_value_memcpy(eap, failure, sizeof(failure));
		fr_pair_add(&request->reply->vps, eap);
		pair_make_reply("Message-Authenticator", "0x00", T_OP_EQ);
	}
	reply_str(request, PW_REPLY_MESSAGE, why, false);
	request->reply->code = PW_CODE_ACCESS_REJECT;
}

static rlm_rcode_t CC_HINT(nonnull) mod_post_auth(void *instance, REQUEST *request)
{
	rlm_byod_t *inst = instance;
	struct rad_query rq;
	struct rad_answer a;
	VALUE_PAIR *serial, *mac;

	if (request->reply->code != PW_CODE_ACCESS_ACCEPT ||
	    !fr_pair_find_by_num(request->packet->vps, PW_EAP_MESSAGE, 0, TAG_ANY))
		return RLM_MODULE_NOOP;
	serial = fr_pair_find_by_da(request->packet->vps, inst->serial_da, TAG_ANY);
	if (!serial) {
		/* EAP without a client certificate to decide on: fail closed. */
		REDEBUG("EAP accept without TLS-Client-Cert-Serial: refused");
		accept_to_reject(request, "no client certificate");
		return RLM_MODULE_REJECT;
	}
	memset(&rq, 0, sizeof(rq));
	rq.now = time(NULL);
	rq.method = RAD_METHOD_TLS;
	rq.serial = serial->vp_strvalue;
	mac = fr_pair_find_by_num(request->packet->vps, PW_CALLING_STATION_ID, 0, TAG_ANY);
	rq.mac = mac ? mac->vp_strvalue : NULL;
	/* decided again here: a resumed session skips the certificate check,
	 * and a revocation may have come since the handshake */
	rad_index_decide(inst->index, &rq, &a);
	if (!a.accept) {
		REDEBUG("EAP-TLS: reject at the last step: %s", a.reason);
		accept_to_reject(request, a.reason);
		return RLM_MODULE_REJECT;
	}
	RDEBUG2("EAP-TLS: VLAN %d, %s, device %s", a.vlan, a.reason, a.device);
	reply_accept(request, &a);
	/* its accounting will carry the MAC, not the certificate */
	rad_index_remember(inst->index, rq.mac, rq.serial);
	return RLM_MODULE_UPDATED;
}

/* ---- accounting ---- */

static void text_of(VALUE_PAIR *vp, char *out, size_t len)
{
	out[0] = '\0';
	if (vp)
		vp_prints_value(out, len, vp, 0);
}

static rlm_rcode_t CC_HINT(nonnull) mod_accounting(void *instance, REQUEST *request)
{
	rlm_byod_t *inst = instance;
	struct reg_session s;
	struct byod_err err;
	VALUE_PAIR *vp, *vps = request->packet->vps;
	char mac[64];
	uint64_t in = 0, out = 0;
	int type, rc;

	vp = fr_pair_find_by_num(vps, PW_ACCT_STATUS_TYPE, 0, TAG_ANY);
	if (!vp)
		return RLM_MODULE_NOOP;
	type = (int)vp->vp_integer;
	if (type != REG_ACCT_START && type != REG_ACCT_STOP && type != REG_ACCT_INTERIM)
		return RLM_MODULE_NOOP;
	memset(&s, 0, sizeof(s));
	text_of(fr_pair_find_by_num(vps, PW_ACCT_SESSION_ID, 0, TAG_ANY), s.session_id,
		sizeof(s.session_id));
	if (!s.session_id[0]) {
		REDEBUG("accounting without Acct-Session-Id");
		return RLM_MODULE_INVALID;
	}
	text_of(fr_pair_find_by_num(vps, PW_NAS_IP_ADDRESS, 0, TAG_ANY), s.nas_ip,
		sizeof(s.nas_ip));
	if (!s.nas_ip[0])
		text_of(fr_pair_find_by_num(vps, PW_NAS_IPV6_ADDRESS, 0, TAG_ANY), s.nas_ip,
			sizeof(s.nas_ip));
	text_of(fr_pair_find_by_num(vps, PW_NAS_IDENTIFIER, 0, TAG_ANY), s.nas_id,
		sizeof(s.nas_id));
	text_of(fr_pair_find_by_num(vps, PW_FRAMED_IP_ADDRESS, 0, TAG_ANY), s.ip, sizeof(s.ip));
	text_of(fr_pair_find_by_num(vps, PW_CALLING_STATION_ID, 0, TAG_ANY), mac, sizeof(mac));
	if (mac[0] && byod_mac_normalise(mac, s.mac))
		RWDEBUG("Calling-Station-Id '%s' is not a MAC address; recorded without it", mac);
	if (s.mac[0])
		rad_index_serial_for_mac(inst->index, s.mac, s.serial, sizeof(s.serial));
	if ((vp = fr_pair_find_by_num(vps, PW_ACCT_INPUT_OCTETS, 0, TAG_ANY)))
		in = vp->vp_integer;
	if ((vp = fr_pair_find_by_num(vps, PW_ACCT_INPUT_GIGAWORDS, 0, TAG_ANY)))
		in += (uint64_t)vp->vp_integer << 32;
	if ((vp = fr_pair_find_by_num(vps, PW_ACCT_OUTPUT_OCTETS, 0, TAG_ANY)))
		out = vp->vp_integer;
	if ((vp = fr_pair_find_by_num(vps, PW_ACCT_OUTPUT_GIGAWORDS, 0, TAG_ANY)))
		out += (uint64_t)vp->vp_integer << 32;
	s.in_octets = (int64_t)in;
	s.out_octets = (int64_t)out;

	pthread_mutex_lock(&inst->acct_lock);
	if (!inst->acct && open_accounting(inst, &err)) {
		pthread_mutex_unlock(&inst->acct_lock);
		RERROR("the registry cannot be opened: %s", err.msg);
		return RLM_MODULE_FAIL;
	}
	rc = reg_session_record(inst->acct, (enum reg_acct_type)type, &s, &err);
	pthread_mutex_unlock(&inst->acct_lock);
	if (rc) {
		RERROR("accounting not recorded: %s", err.msg);
		return RLM_MODULE_FAIL;
	}
	RDEBUG2("session %s recorded (row %lld, device %s)", s.session_id, (long long)s.id,
		s.device[0] ? s.device : "unknown");
	return RLM_MODULE_OK;
}

extern module_t rlm_byod;
module_t rlm_byod = {
	.magic = RLM_MODULE_INIT,
	.name = "byod",
	.type = RLM_TYPE_THREAD_SAFE,
	.inst_size = sizeof(rlm_byod_t),
	.config = module_config,
	.instantiate = mod_instantiate,
	.detach = mod_detach,
	.methods = {
		[MOD_AUTHORIZE] = mod_authorize,
		[MOD_ACCOUNTING] = mod_accounting,
		[MOD_POST_AUTH] = mod_post_auth,
	},
};
