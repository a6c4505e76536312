// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * RADIUS accounting sessions in the registry: what the FreeRADIUS module
 * hands over for each Accounting-Request (Start, Interim-Update, Stop), kept
 * as one row per session so that "which device had this address at that
 * time" can be answered for as long as the law asks (one year in France),
 * then purged. Accounting arrives over UDP, may be repeated, reordered or
 * lost, and a record is never dropped because its Start was not seen; a
 * closed session is never rewritten by a later packet, so a NAS that reuses
 * an Acct-Session-Id cannot erase the record of an earlier session. These
 * are not administrative changes: no audit row, only "session.start" and
 * "session.stop" events on the change feed for the firewall and the portal.
 */
#include "registry.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "byod_util.h"
#include "reg_internal.h"

static const char *const state_names[] = {
	[REG_SESSION_OPEN] = "open",
	[REG_SESSION_CLOSED] = "closed",
};

/* The static name, NULL for a value out of range. */
const char *reg_session_state_name(enum reg_session_state state)
{
	if ((int)state < 0 || (size_t)state >= sizeof(state_names) / sizeof(state_names[0]))
		return NULL;
	return state_names[state];
}

int reg_session_state_parse(const char *s, enum reg_session_state *out)
{
	size_t i;

	for (i = 0; s && i < sizeof(state_names) / sizeof(state_names[0]); i++) {
		if (!strcasecmp(s, state_names[i])) {
			*out = (enum reg_session_state)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* ---- validation ------------------------------------------------------- */

/* An IPv4 or IPv6 address rewritten in its canonical text (so that one NAS
 * is one key however it spells its address); "" stays "". */
static int norm_ip(char ip[64], const char *what, struct byod_err *err)
{
	unsigned char addr[sizeof(struct in6_addr)];
	char text[INET6_ADDRSTRLEN];
	int af = strchr(ip, ':') ? AF_INET6 : AF_INET;

	if (!ip[0])
		return 0;
	if (inet_pton(af, ip, addr) != 1 || !inet_ntop(af, addr, text, sizeof(text)))
		return byod_err_set(err, EINVAL, "the %s '%s' is not an IP address", what, ip);
	memcpy(ip, text, strlen(text) + 1);
	return 0;
}

/* Copies s into out with every field checked and normalised; the device is
 * cleared (it is looked up, never taken from the caller). */
static int check_session(const struct reg_session *s, enum reg_acct_type type,
			 struct reg_session *out, struct byod_err *err)
{
	char serial[REG_SERIAL_MAX];
	int rc;

	if (type != REG_ACCT_START && type != REG_ACCT_INTERIM && type != REG_ACCT_STOP)
		return byod_err_set(err, EINVAL, "%d is not an accounting status type", (int)type);
	*out = *s;
	out->id = 0;
	out->device[0] = '\0';
	rc = reg_check_text(out->session_id, sizeof(out->session_id), 0, "Acct-Session-Id", err);
	if (!rc)
		rc = reg_check_text(out->nas_ip, sizeof(out->nas_ip), 1, "NAS address", err);
	if (!rc)
		rc = reg_check_text(out->nas_id, sizeof(out->nas_id), 1, "NAS-Identifier", err);
	if (!rc)
		rc = reg_check_text(out->ip, sizeof(out->ip), 1, "Framed-IP-Address", err);
	if (!rc)
		rc = reg_check_text(out->mac, sizeof(out->mac), 1, "Calling-Station-Id", err);
	if (!rc)
		rc = reg_check_text(out->serial, sizeof(out->serial), 1, "certificate serial", err);
	if (!rc)
		rc = norm_ip(out->nas_ip, "NAS address", err);
	if (!rc)
		rc = norm_ip(out->ip, "Framed-IP-Address", err);
	if (rc)
		return rc;
	if (out->mac[0] && byod_mac_normalise(out->mac, out->mac))
		return byod_err_set(err, EINVAL, "'%s' is not a MAC address", s->mac);
	if (out->serial[0]) {
		if (byod_serial_normalise(out->serial, serial, sizeof(serial)))
			return byod_err_set(err, EINVAL,
					    "'%s' is not a certificate serial (at most 160 bits "
					    "in hex)",
					    s->serial);
		memcpy(out->serial, serial, sizeof(serial));
	}
	if (out->in_octets < 0 || out->out_octets < 0)
		return byod_err_set(err, EINVAL, "negative octet counts for session %s",
				    out->session_id);
	if (out->started < 0 || out->updated < 0 || out->stopped < 0)
		return byod_err_set(err, EINVAL, "a negative time for session %s", out->session_id);
	return 0;
}

/* ---- recording a packet ----------------------------------------------- */

/*
 * The device of the packet into in->device: by certificate serial when
 * there is one (EAP-TLS), else by MAC (MAC authentication); "" when no
 * device is known for it. Only a failure to read is an error.
 */
static int resolve_device(struct reg *reg, struct reg_session *in, struct byod_err *err)
{
	struct reg_device d;
	int rc = -ENOENT;

	if (in->serial[0])
		rc = OPS(reg)->device_find_by_serial(reg->be, in->serial, &d, err);
	else if (in->mac[0])
		rc = OPS(reg)->device_find_by_mac(reg->be, in->mac, &d, err);
	if (rc == -ENOENT)
		return 0;
	if (!rc)
		memcpy(in->device, d.id, sizeof(in->device));
	return rc;
}

/* What a packet says about a session already stored: the attributes it
 * carries replace the row's, those it lacks keep theirs; the counters are
 * the NAS's. */
static void merge(struct reg_session *row, const struct reg_session *in)
{
	if (in->ip[0])
		memcpy(row->ip, in->ip, sizeof(row->ip));
	if (in->mac[0])
		memcpy(row->mac, in->mac, sizeof(row->mac));
	if (in->serial[0])
		memcpy(row->serial, in->serial, sizeof(row->serial));
	if (in->device[0])
		memcpy(row->device, in->device, sizeof(row->device));
	row->in_octets = in->in_octets;
	row->out_octets = in->out_octets;
}

/* A packet for a key whose newest row is closed belongs to a later session
 * (the NAS reused the id) only when it says it started after that stop;
 * otherwise it is a late or repeated packet of the closed one. A Start in
 * the very second of the stop is a new session: hostapd keeps a station's
 * Acct-Session-Id when it authenticates again at once (after a Disconnect,
 * within its 5-second grace), and times are whole seconds. */
static int later_session(const struct reg_session *closed, time_t started, int is_start)
{
	return is_start ? started >= closed->stopped : started > closed->stopped;
}

/*
 * Works out the row to write for one packet. Returns 1 to insert *row, 2 to
 * update it, 0 when the packet changes nothing (a late Interim-Update or a
 * repeated Stop for a closed session, a Start older than the Stop seen, an
 * Interim-Update older than the row's last update).
 */
static int apply(enum reg_acct_type type, const struct reg_session *in, int found,
		 struct reg_session *row, time_t now)
{
	int open = found && row->state == REG_SESSION_OPEN;
	time_t t;

	switch (type) {
	case REG_ACCT_START:
		t = in->started ? in->started : now;
		if (found && !open && !later_session(row, t, 1))
			return 0;
		if (open) {
			/* A Start older than the row's last update (it arrived
			 * after an Interim-Update) only brings the start time;
			 * its zero counters are not newer than the row's. */
			row->started = t;
			if (t < row->updated)
				return 2;
			merge(row, in);
			row->updated = t;
			return 2;
		}
		*row = *in;
		row->state = REG_SESSION_OPEN;
		row->started = t;
		row->updated = t;
		row->stopped = 0;
		return 1;
	case REG_ACCT_INTERIM:
		t = in->updated ? in->updated : now;
		if (open) {
			/* Reordered Interim-Updates: an older one changes nothing. */
			if (t < row->updated)
				return 0;
			merge(row, in);
			row->updated = t;
			return 2;
		}
		if (found && !later_session(row, in->started, 0))
			return 0;
		*row = *in;
		row->state = REG_SESSION_OPEN;
		row->started = in->started ? in->started : t;
		row->updated = t;
		row->stopped = 0;
		return 1;
	case REG_ACCT_STOP:
	default:
		t = in->stopped ? in->stopped : now;
		if (open) {
			merge(row, in);
			row->state = REG_SESSION_CLOSED;
			row->updated = t;
			row->stopped = t;
			return 2;
		}
		if (found && !later_session(row, in->started, 0))
			return 0;
		*row = *in;
		row->state = REG_SESSION_CLOSED;
		row->started = in->started ? in->started : t;
		row->updated = t;
		row->stopped = t;
		return 1;
	}
}

static int session_event(struct reg *reg, const char *kind, int64_t id, time_t now,
			 struct byod_err *err)
{
	char object[24];

	snprintf(object, sizeof(object), "%lld", (long long)id);
	return reg_event_queue(reg, kind, object, now, err);
}

int reg_session_record(struct reg *reg, enum reg_acct_type type, struct reg_session *s,
		       struct byod_err *err)
{
	struct reg_session in, row;
	time_t now = time(NULL);
	int rc, found, action, wrote = 0;

	if (!s)
		return byod_err_set(err, EINVAL, "no accounting session");
	rc = check_session(s, type, &in, err);
	if (!rc)
		rc = reg_begin(reg, err);
	if (rc)
		return rc;
	rc = resolve_device(reg, &in, err);
	if (rc)
		goto out;
	memset(&row, 0, sizeof(row));
	rc = OPS(reg)->session_find(reg->be, in.session_id, in.nas_ip, in.nas_id, &row, err);
	if (rc && rc != -ENOENT)
		goto out;
	found = !rc;
	rc = 0;
	action = apply(type, &in, found, &row, now);
	if (!action)
		goto out;
	wrote = 1;
	if (action == 1)
		rc = OPS(reg)->session_insert(reg->be, &row, err);
	else
		rc = OPS(reg)->session_update(reg->be, &row, err);
	if (!rc && type != REG_ACCT_INTERIM)
		rc = session_event(reg, type == REG_ACCT_START ? "session.start" : "session.stop",
				   row.id, now, err);
out:
	rc = reg_tx_end(reg, rc, wrote, err);
	if (!rc)
		*s = row;
	return rc;
}

/* ---- reading and purging ---------------------------------------------- */

int reg_session_get(struct reg *reg, int64_t id, struct reg_session *out, struct byod_err *err)
{
	int rc = OPS(reg)->session_get(reg->be, id, out, err);

	if (rc == -ENOENT)
		rc = byod_err_set(err, ENOENT, "no session with id %lld", (long long)id);
	return rc;
}

int reg_session_list(struct reg *reg, int open_only, const char *device,
		     int (*cb)(const struct reg_session *, void *), void *ctx, struct byod_err *err)
{
	char nid[REG_ID_MAX];
	int i;

	if (!cb)
		return byod_err_set(err, EINVAL, "no callback for the session list");
	if (device) {
		if (!byod_is_uuid(device))
			return byod_err_set(err, EINVAL, "'%.40s' is not a device id (a UUID)",
					    device);
		for (i = 0; device[i]; i++)
			nid[i] = (char)tolower((unsigned char)device[i]);
		nid[i] = '\0';
	}
	return OPS(reg)->session_list(reg->be, open_only, device ? nid : NULL, cb, ctx, err);
}

int reg_session_list_school(struct reg *reg, int open_only, const char *school,
			    int (*cb)(const struct reg_session *, void *), void *ctx,
			    struct byod_err *err)
{
	if (!cb)
		return byod_err_set(err, EINVAL, "no callback for the session list");
	if (!school || byod_uai_check(school, NULL))
		return byod_err_set(err, EINVAL, "'%.16s' is not a UAI (7 digits and a letter)",
				    school ? school : "");
	return OPS(reg)->session_list_school(reg->be, open_only, school, cb, ctx, err);
}

/*
 * Deleting connection records that the law asks to keep is an
 * administrator's act: a purge that deleted something leaves an audit row
 * ("session.purge", the cutoff and the count), in the same transaction.
 */
int reg_session_purge(struct reg *reg, time_t before, int *deleted, struct byod_err *err)
{
	char when[32], after[96];
	int rc, n = 0;

	if (before < 0)
		return byod_err_set(err, EINVAL, "a negative purge cutoff");
	rc = reg_begin(reg, err);
	if (rc)
		return rc;
	rc = OPS(reg)->session_purge(reg->be, before, &n, err);
	if (!rc && n > 0) {
		byod_time_iso(before, when, sizeof(when));
		snprintf(after, sizeof(after), "{\"before\":\"%s\",\"deleted\":%d}", when, n);
		rc = reg_audit_add(reg, "session.purge", when, NULL, after, err);
	}
	rc = reg_tx_end(reg, rc, 1, err);
	if (!rc && deleted)
		*deleted = n;
	return rc;
}
