// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Retention, the requisition and a person's rights, as the registry does
 * them: the audit rows past their retention, the accounting sessions that
 * held an address at an instant (a judicial requisition: CPCE L34-1), the
 * export of everything held about a person (RGPD art. 15) and their
 * removal (art. 17), which keeps the accounting (art. 17(3)(b)) unlinked
 * from them and the audit trail under a pseudonym.
 *
 * The SQL of the removal and the export is written here once for both
 * backends (parameters $1, $2, ... as text), run through the backends'
 * exec_write and rows_json: one list of tables, so that export and removal
 * cover the same ones. A table added later that names a person or a device
 * belongs in both lists (tests/unit/test_retention.c reads every table).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "byod_util.h"
#include "reg_internal.h"

/* One DELETE of the rows before a time (the statement's $1), in its own
 * transaction; *deleted gets the count. */
static int purge_before(struct reg *reg, const char *what, const char *sql, time_t t,
			int *deleted, struct byod_err *err)
{
	char cut[24];
	const char *p[1] = {cut};
	int rc, n = 0;

	if (deleted)
		*deleted = 0;
	if (t < 0)
		return byod_err_set(err, EINVAL, "a negative purge time");
	snprintf(cut, sizeof(cut), "%lld", (long long)t);
	rc = reg_begin(reg, err);
	if (rc)
		return rc;
	rc = OPS(reg)->exec_write(reg->be, what, sql, 1, p, &n, err);
	rc = reg_tx_end(reg, rc, 1, err);
	if (!rc && deleted)
		*deleted = n;
	return rc;
}

int reg_audit_purge(struct reg *reg, time_t before, int *deleted, struct byod_err *err)
{
	return purge_before(reg, "purging the audit log", "DELETE FROM audit WHERE time < $1",
			    before, deleted, err);
}

int reg_crl_kept_purge(struct reg *reg, time_t now, int *deleted, struct byod_err *err)
{
	return purge_before(reg, "forgetting ended certificates",
			    "DELETE FROM crl_kept WHERE not_after < $1", now, deleted, err);
}

int reg_enrol_code_purge(struct reg *reg, time_t now, int *deleted, struct byod_err *err)
{
	return purge_before(reg, "purging enrolment codes",
			    "DELETE FROM enrol_codes WHERE expires <= $1", now, deleted, err);
}

/*
 * An open session whose Stop never came (an access point rebooted) would
 * hold its address for ever: closed once silent for the margin, at its
 * last update, so that the requisition cannot name it for a later instant
 * and the retention counts from there. Audited with the count.
 */
int reg_session_close_stale(struct reg *reg, time_t now, int *closed, struct byod_err *err)
{
	char cut[24], when[32], after[96];
	const char *p[1] = {cut};
	int rc, n = 0;

	if (closed)
		*closed = 0;
	if (now < 0)
		return byod_err_set(err, EINVAL, "a negative time");
	snprintf(cut, sizeof(cut), "%lld", (long long)(now - REG_SESSION_OPEN_MARGIN));
	rc = reg_begin(reg, err);
	if (rc)
		return rc;
	rc = OPS(reg)->exec_write(
		reg->be, "closing silent sessions",
		"UPDATE sessions SET state = 'closed', "
		"stopped = COALESCE(updated, started) "
		"WHERE state = 'open' AND COALESCE(updated, started) < CAST($1 AS BIGINT)",
		1, p, &n, err);
	if (!rc && n > 0) {
		byod_time_iso(now - REG_SESSION_OPEN_MARGIN, when, sizeof(when));
		snprintf(after, sizeof(after), "{\"silent_since\":\"%s\",\"closed\":%d}", when, n);
		rc = reg_audit_add(reg, "session.close-stale", when, NULL, after, err);
	}
	rc = reg_tx_end(reg, rc, 1, err);
	if (!rc && closed)
		*closed = n;
	return rc;
}

int reg_connection_find(struct reg *reg, const char *ip, const char *mac, time_t at,
			int (*cb)(const struct reg_connection *, void *), void *ctx,
			struct byod_err *err)
{
	unsigned char addr[sizeof(struct in6_addr)];
	char norm[REG_MAC_MAX], text[INET6_ADDRSTRLEN];

	if (!cb || at < 0 || (!ip == !mac))
		return byod_err_set(err, EINVAL, "give one address (IP or MAC) and a time");
	if (ip) {
		/* as reg_session_record stores it: the canonical text */
		int af = strchr(ip, ':') ? AF_INET6 : AF_INET;

		if (inet_pton(af, ip, addr) != 1 || !inet_ntop(af, addr, text, sizeof(text)))
			return byod_err_set(err, EINVAL, "\"%s\" is not an IP address", ip);
		ip = text;
	}
	if (mac) {
		if (byod_mac_normalise(mac, norm))
			return byod_err_set(err, EINVAL, "\"%s\" is not a MAC address", mac);
		mac = norm;
	}
	return OPS(reg)->connection_find(reg->be, ip, mac, at, cb, ctx, err);
}

/* ---- the tables that name a person ---------------------------------------
 *
 * Each statement says which values its $1, $2, ... are, one letter each
 * (PostgreSQL takes exactly the parameters a statement uses): i the
 * person's id, l their login, p "pair:<login> " (their throttle keys on
 * each address), k "login:<login>", n now. */

#define OWNED_DEVICES "SELECT id FROM devices WHERE owner = $1"

struct person_sql {
	const char *name; /* the export's key; the removal's step */
	const char *args;
	const char *sql;
};

static const struct person_sql person_tables[] = {
	{"devices", "i", "SELECT * FROM devices WHERE owner = $1 ORDER BY created, id"},
	{"certificates", "i",
	 "SELECT * FROM certificates WHERE device IN (" OWNED_DEVICES
	 ") ORDER BY not_before, serial"},
	{"sessions", "i",
	 "SELECT * FROM sessions WHERE device IN (" OWNED_DEVICES ") ORDER BY started, id"},
	{"portal_sessions", "i", "SELECT * FROM web_sessions WHERE person = $1 ORDER BY created"},
	{"form_tokens", "i",
	 "SELECT * FROM web_forms WHERE session IN "
	 "(SELECT id_hash FROM web_sessions WHERE person = $1) ORDER BY expires"},
	{"downloads", "i",
	 "SELECT token_hash, device, filename, type, created, expires "
	 "FROM web_downloads WHERE device IN (" OWNED_DEVICES ") ORDER BY created"},
	{"enrolment_codes", "i", "SELECT * FROM enrol_codes WHERE person = $1 ORDER BY created"},
	{"throttle", "kp",
	 "SELECT * FROM web_throttle WHERE key = $1 "
	 "OR substr(key, 1, length($2)) = $2 ORDER BY key"},
	{"unlocks", "i", "SELECT * FROM unlocks WHERE teacher = $1 ORDER BY id"},
	/* geteduroam's grants: what was granted to which app, never a
	 * token's or a code's hash */
	{"oauth_grants", "i",
	 "SELECT id, client, charter, device, created, revoked "
	 "FROM oauth_grants WHERE person = $1 ORDER BY id"},
	{"oauth_codes", "i",
	 "SELECT client, charter, created, expires, used, grant_id "
	 "FROM oauth_codes WHERE person = $1 ORDER BY created"},
	{"oauth_tokens", "i",
	 "SELECT t.grant_id, t.kind, t.refreshed, t.created, t.expires, t.used "
	 "FROM oauth_tokens t JOIN oauth_grants g ON g.id = t.grant_id "
	 "WHERE g.person = $1 ORDER BY t.created, t.kind"},
	{"events", "il",
	 "SELECT * FROM events WHERE object = $2 OR object IN (" OWNED_DEVICES
	 ") OR object IN (SELECT serial FROM certificates WHERE device IN (" OWNED_DEVICES
	 ")) ORDER BY seq"},
};

/* The removal, in this order (children before their parents). */
static const struct person_sql remove_sql[] = {
	/* revoked certificates still inside their validity stay on the CRL */
	{"kept", "in",
	 "INSERT INTO crl_kept (serial, not_before, not_after, revoked_at, reason) "
	 "SELECT serial, not_before, not_after, revoked_at, reason FROM certificates "
	 "WHERE device IN (" OWNED_DEVICES ") AND state = 'revoked' "
	 "AND not_after >= $2"},
	{"certs", "i", "DELETE FROM certificates WHERE device IN (" OWNED_DEVICES ")"},
	{"sessions", "i", "UPDATE sessions SET device = NULL WHERE device IN (" OWNED_DEVICES ")"},
	{"downloads", "i", "DELETE FROM web_downloads WHERE device IN (" OWNED_DEVICES ")"},
	{"forms", "i",
	 "DELETE FROM web_forms WHERE session IN "
	 "(SELECT id_hash FROM web_sessions WHERE person = $1)"},
	{"web", "i", "DELETE FROM web_sessions WHERE person = $1"},
	{"codes", "i", "DELETE FROM enrol_codes WHERE person = $1"},
	{"throttle", "kp",
	 "DELETE FROM web_throttle WHERE key = $1 OR substr(key, 1, length($2)) = $2"},
	{"unlocks", "i", "DELETE FROM unlocks WHERE teacher = $1"},
	{"oauth_tokens", "i",
	 "DELETE FROM oauth_tokens WHERE grant_id IN "
	 "(SELECT id FROM oauth_grants WHERE person = $1)"},
	{"oauth_codes", "i", "DELETE FROM oauth_codes WHERE person = $1"},
	{"oauth_grants", "i", "DELETE FROM oauth_grants WHERE person = $1"},
	{"devices", "i", "DELETE FROM devices WHERE owner = $1"},
	{"person", "i", "DELETE FROM people WHERE id = $1"},
};
enum {
	RM_KEPT,
	RM_CERTS,
	RM_SESSIONS,
	RM_DOWNLOADS,
	RM_FORMS,
	RM_WEB,
	RM_CODES,
	RM_THROTTLE,
	RM_UNLOCKS,
	RM_OAUTH_TOKENS,
	RM_OAUTH_CODES,
	RM_OAUTH_GRANTS,
	RM_DEVICES,
	RM_PERSON,
	RM_N
};
_Static_assert(sizeof(remove_sql) / sizeof(remove_sql[0]) == RM_N, "one count per statement");

struct person_params {
	char id[24], pair[REG_LOGIN_MAX + 8], key[REG_LOGIN_MAX + 8], now[24];
	const char *login;
};

static void person_params(struct person_params *pp, const struct reg_person *person, time_t now)
{
	snprintf(pp->id, sizeof(pp->id), "%" PRId64, person->id);
	snprintf(pp->pair, sizeof(pp->pair), "pair:%s ", person->login);
	snprintf(pp->key, sizeof(pp->key), "login:%s", person->login);
	snprintf(pp->now, sizeof(pp->now), "%lld", (long long)now);
	pp->login = person->login;
}

/* The values of q's parameters, in order; returns how many. */
static int person_args(const struct person_params *pp, const struct person_sql *q,
		       const char *out[4])
{
	int n;

	for (n = 0; q->args[n] && n < 4; n++) {
		switch (q->args[n]) {
		case 'i':
			out[n] = pp->id;
			break;
		case 'l':
			out[n] = pp->login;
			break;
		case 'p':
			out[n] = pp->pair;
			break;
		case 'k':
			out[n] = pp->key;
			break;
		default:
			out[n] = pp->now;
			break;
		}
	}
	return n;
}

/* ---- the audit trail under a pseudonym ---------------------------------- */

/*
 * The prefixes an actor names a person by (reg_set_actor's callers): the
 * portal ("portal:" and the login, enrol-portal/routes.c, oauth_token.c)
 * and a teacher's unlock ("teacher:", core/unlock.c). "admin:" and
 * "byodctl:" name console accounts and Unix users, which are not people of
 * the registry. A login may itself hold ':' (nothing forbids it), so the
 * prefix is matched, never the text after the last ':'.
 */
static const char *const person_prefixes[] = {"portal:", "teacher:"};

/* The length of the prefix before the login in s ("lea", "portal:lea"),
 * or -1 when s does not name login. */
static int names_at(const char *s, const char *login)
{
	size_t i, n;

	if (!strcmp(s, login))
		return 0;
	for (i = 0; i < sizeof(person_prefixes) / sizeof(person_prefixes[0]); i++) {
		n = strlen(person_prefixes[i]);
		if (!strncmp(s, person_prefixes[i], n) && !strcmp(s + n, login))
			return (int)n;
	}
	return -1;
}

static int names_login(const char *s, const char *login)
{
	return names_at(s, login) >= 0;
}

/* The same text with the login's part replaced by pseudonym. */
static void rename_text(const char *s, const char *login, const char *pseudonym, char *out,
			size_t len)
{
	int n = names_at(s, login);

	snprintf(out, len, "%.*s%s", n > 0 ? n : 0, s, pseudonym);
}

/*
 * Rewrites a before/after value in place: every string that names the
 * login becomes the pseudonym; the object that is the person (its "login")
 * loses its id, name and groups, a device of theirs (its "owner_login")
 * its owner's id. Returns how many values changed.
 */
static int pseudonymise(json_t *j, const char *login, const char *pseudonym)
{
	const char *key;
	json_t *v;
	size_t i;
	int n = 0;

	if (json_is_array(j)) {
		json_array_foreach(j, i, v)
		{
			if (json_is_string(v) && names_login(json_string_value(v), login)) {
				char t[128];

				rename_text(json_string_value(v), login, pseudonym, t, sizeof(t));
				json_array_set_new(j, i, json_string(t));
				n++;
			} else {
				n += pseudonymise(v, login, pseudonym);
			}
		}
		return n;
	}
	if (!json_is_object(j))
		return 0;
	v = json_object_get(j, "login");
	if (json_is_string(v) && !strcmp(json_string_value(v), login)) {
		static const char *const blank[] = {"display_name", "groups", "password_hash"};

		for (i = 0; i < sizeof(blank) / sizeof(blank[0]); i++)
			if (json_is_string(json_object_get(j, blank[i])))
				n += !json_object_set_new(j, blank[i], json_string(""));
		if (json_is_integer(json_object_get(j, "id")))
			n += !json_object_set_new(j, "id", json_integer(0));
	}
	v = json_object_get(j, "owner_login");
	if (json_is_string(v) && !strcmp(json_string_value(v), login) &&
	    json_is_integer(json_object_get(j, "owner")))
		n += !json_object_set_new(j, "owner", json_integer(0));
	json_object_foreach(j, key, v)
	{
		if (json_is_string(v) && names_login(json_string_value(v), login)) {
			char t[128];

			rename_text(json_string_value(v), login, pseudonym, t, sizeof(t));
			json_object_set_new(j, key, json_string(t));
			n++;
		} else {
			n += pseudonymise(v, login, pseudonym);
		}
	}
	return n;
}

/* What names a device of theirs in its own audit rows (device_json in
 * registry.c): the name they gave it ("iPhone de Léa") and its MAC,
 * blanked. */
static int blank_device(json_t *j)
{
	static const char *const keys[] = {"name", "mac"};
	size_t i;
	int n = 0;

	if (!json_is_object(j))
		return 0;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_t *v = json_object_get(j, keys[i]);

		if (json_is_string(v) && json_string_value(v)[0])
			n += !json_object_set_new(j, keys[i], json_string(""));
	}
	return n;
}

/* A before/after text rewritten (malloc'd in *out, NULL when unchanged or
 * not JSON); device: the row's object is one of their devices. */
static int rewrite_json(const char *text, const char *login, const char *pseudonym, int device,
			char **out)
{
	json_t *j;
	int n;

	*out = NULL;
	if (!text)
		return 0;
	j = json_loads(text, JSON_DECODE_ANY, NULL);
	if (!j)
		return 0;
	n = pseudonymise(j, login, pseudonym);
	if (device)
		n += blank_device(j);
	if (n > 0) {
		*out = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
		if (!*out)
			n = -ENOMEM;
	}
	json_decref(j);
	return n;
}

static const char *str_of(json_t *row, const char *key)
{
	return json_string_value(json_object_get(row, key));
}

/* s as a LIKE pattern's literal part: each backslash, '%' and '_'
 * preceded by a backslash (the statements' ESCAPE character). */
static void like_literal(const char *s, char *out, size_t len)
{
	size_t o = 0;

	for (; *s && o + 3 < len; s++) {
		if (*s == '\\' || *s == '%' || *s == '_')
			out[o++] = '\\';
		out[o++] = *s;
	}
	out[o] = '\0';
}

/* The login as it reads inside a JSON string (a '"' or a backslash
 * escaped, as jansson writes before/after), without the quotes. */
static int json_text(const char *login, char *out, size_t len)
{
	json_t *j = json_string(login);
	char *d = j ? json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
	size_t n = d ? strlen(d) : 0;
	int rc = 0;

	if (!d || n < 2 || n - 2 >= len)
		rc = -ENOMEM;
	else
		snprintf(out, len, "%.*s", (int)(n - 2), d + 1);
	free(d);
	json_decref(j);
	return rc;
}

/* The audit rows that may name the login (LIKE: a superset; SQLite's
 * LIKE ignores case), each decided here exactly: the login as the object,
 * the actor ending with it, before/after holding it raw or JSON-encoded. */
static int audit_candidates(struct reg *reg, const char *login, json_t *rows, struct byod_err *err)
{
	/* each escape at most doubles; the patterns add two '%' */
	char enc[2 * REG_LOGIN_MAX + 8], lit[2 * REG_LOGIN_MAX + 8], lenc[2 * sizeof(enc)];
	char tail[sizeof(lit) + 2], any[sizeof(lit) + 2], anyenc[sizeof(lenc) + 2];
	const char *p[4] = {login, tail, any, anyenc};

	if (json_text(login, enc, sizeof(enc)))
		return byod_err_set(err, ENOMEM, "out of memory");
	like_literal(login, lit, sizeof(lit));
	like_literal(enc, lenc, sizeof(lenc));
	snprintf(tail, sizeof(tail), "%%%s", lit);
	snprintf(any, sizeof(any), "%%%s%%", lit);
	snprintf(anyenc, sizeof(anyenc), "%%%s%%", lenc);
	return OPS(reg)->rows_json(reg->be, "reading the audit log",
				   "SELECT id, time, actor, action, object, before_json, "
				   "after_json, school FROM audit "
				   "WHERE object = $1 OR actor LIKE $2 ESCAPE '\\' "
				   "OR before_json LIKE $3 ESCAPE '\\' "
				   "OR after_json LIKE $3 ESCAPE '\\' "
				   "OR before_json LIKE $4 ESCAPE '\\' "
				   "OR after_json LIKE $4 ESCAPE '\\' ORDER BY id",
				   4, p, rows, err);
}

/* Whether object is one of the devices removed (gone: kind, object). */
static int is_gone_device(json_t *gone, const char *object)
{
	json_t *e;
	size_t i;

	json_array_foreach(gone, i, e)
	{
		const char *kind = str_of(e, "kind"), *o = str_of(e, "object");

		if (object && kind && o && !strcmp(kind, "device.erase") && !strcmp(o, object))
			return 1;
	}
	return 0;
}

/* Rewrites the audit rows naming the login under the pseudonym and blanks
 * the name and MAC in the rows about the devices removed (gone). */
static int audit_rewrite(struct reg *reg, const char *login, const char *pseudonym, json_t *gone,
			 int *count, struct byod_err *err)
{
	json_t *rows = json_array(), *row, *seen = json_object();
	size_t i;
	int rc;

	if (!rows || !seen) {
		json_decref(rows);
		json_decref(seen);
		return byod_err_set(err, ENOMEM, "out of memory");
	}
	rc = audit_candidates(reg, login, rows, err);
	json_array_foreach(gone, i, row)
	{
		const char *p[1] = {str_of(row, "object")};

		if (!rc && is_gone_device(gone, p[0]))
			rc = OPS(reg)->rows_json(reg->be, "reading the audit log",
						 "SELECT id, time, actor, action, object, "
						 "before_json, after_json, school "
						 "FROM audit WHERE object = $1 ORDER BY id",
						 1, p, rows, err);
	}
	json_array_foreach(rows, i, row)
	{
		const char *actor = str_of(row, "actor"), *object = str_of(row, "object");
		char na[64], no[64], id[24];
		char *nb = NULL, *naf = NULL;
		int changed = 0, b, a, device;

		if (rc)
			break;
		snprintf(id, sizeof(id), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(json_object_get(row, "id")));
		if (json_object_get(seen, id))
			continue; /* a candidate that is also about a device */
		if (json_object_set_new(seen, id, json_true())) {
			rc = byod_err_set(err, ENOMEM, "out of memory");
			break;
		}
		device = is_gone_device(gone, object);
		snprintf(na, sizeof(na), "%s", actor ? actor : "");
		snprintf(no, sizeof(no), "%s", object ? object : "");
		if (actor && names_login(actor, login)) {
			rename_text(actor, login, pseudonym, na, sizeof(na));
			changed = 1;
		}
		if (object && !strcmp(object, login)) {
			snprintf(no, sizeof(no), "%s", pseudonym);
			changed = 1;
		}
		b = rewrite_json(str_of(row, "before_json"), login, pseudonym, device, &nb);
		a = rewrite_json(str_of(row, "after_json"), login, pseudonym, device, &naf);
		if (b < 0 || a < 0) {
			rc = byod_err_set(err, ENOMEM, "out of memory");
		} else if (changed || b || a) {
			const char *p[5] = {na, no, nb ? nb : str_of(row, "before_json"),
					    naf ? naf : str_of(row, "after_json"), id};

			rc = OPS(reg)->exec_write(reg->be, "rewriting the audit log",
						  "UPDATE audit SET actor = $1, object = $2, "
						  "before_json = $3, after_json = $4 WHERE id = $5",
						  5, p, NULL, err);
			if (!rc)
				(*count)++;
		}
		free(nb);
		free(naf);
	}
	json_decref(rows);
	json_decref(seen);
	return rc;
}

static int live_devices(struct reg *reg, const char *id, int *n, struct byod_err *err)
{
	json_t *rows = json_array();
	const char *p[1] = {id};
	int rc;

	if (!rows)
		return byod_err_set(err, ENOMEM, "out of memory");
	rc = OPS(reg)->rows_json(reg->be, "counting live devices",
				 "SELECT id FROM devices WHERE owner = $1 "
				 "AND state NOT IN ('revoked', 'retired')",
				 1, p, rows, err);
	*n = (int)json_array_size(rows);
	json_decref(rows);
	return rc;
}

int reg_person_remove(struct reg *reg, const char *login, const char *pseudonym, const char *action,
		      time_t now, struct reg_remove_report *r, struct byod_err *err)
{
	struct reg_remove_report rep = {0};
	struct reg_person person;
	struct person_params pp;
	char after[512];
	json_t *gone = NULL; /* the events of the devices and certificates removed */
	int rc, wrote = 0, n[RM_N] = {0}, live = 0;
	size_t i;

	if (r)
		memset(r, 0, sizeof(*r));
	rc = reg_check_text(login, REG_LOGIN_MAX, 0, "login", err);
	if (!rc)
		rc = reg_check_text(pseudonym, REG_LOGIN_MAX, 0, "pseudonym", err);
	if (!rc && (!action || (strcmp(action, "person.erase") && strcmp(action, "person.purge"))))
		rc = byod_err_set(err, EINVAL, "a removal is person.erase or person.purge");
	if (!rc && (now < 0 || !strcmp(login, pseudonym)))
		rc = byod_err_set(err, EINVAL, "a bad time or pseudonym");
	if (rc)
		return rc;
	rc = reg_begin(reg, err);
	if (rc)
		return rc;
	rc = reg_person_get(reg, login, &person, err);
	if (!rc) {
		person_params(&pp, &person, now);
		rc = live_devices(reg, pp.id, &live, err);
	}
	if (!rc && live)
		rc = byod_err_set(err, EBUSY,
				  "%s still has %d device(s) not revoked: revoke them first", login,
				  live);
	/* what the followers drop: each device and certificate removed */
	if (!rc) {
		const char *args[1] = {pp.id};

		gone = json_array();
		rc = gone ? OPS(reg)->rows_json(
				    reg->be, "reading a person's devices",
				    "SELECT 'device.erase' AS kind, id AS object FROM devices "
				    "WHERE owner = $1 UNION ALL "
				    "SELECT 'cert.erase', serial FROM certificates WHERE device IN "
				    "(" OWNED_DEVICES ")",
				    1, args, gone, err)
			  : byod_err_set(err, ENOMEM, "out of memory");
	}
	for (i = 0; !rc && i < RM_N; i++) {
		const char *args[4];
		int na = person_args(&pp, &remove_sql[i], args);

		rc = OPS(reg)->exec_write(reg->be, "removing a person", remove_sql[i].sql, na, args,
					  &n[i], err);
		wrote = 1;
	}
	if (!rc)
		rc = audit_rewrite(reg, login, pseudonym, gone, &rep.audit, err);
	if (!rc) {
		const char *p[2] = {pseudonym, login};

		rc = OPS(reg)->exec_write(reg->be, "renaming the change feed",
					  "UPDATE events SET object = $1 WHERE object = $2", 2, p,
					  &rep.events, err);
	}
	if (!rc) {
		rep.devices = n[RM_DEVICES];
		rep.certs = n[RM_CERTS];
		rep.crl_kept = n[RM_KEPT];
		rep.sessions = n[RM_SESSIONS];
		rep.web = n[RM_DOWNLOADS] + n[RM_FORMS] + n[RM_WEB] + n[RM_CODES] + n[RM_THROTTLE];
		rep.unlocks = n[RM_UNLOCKS];
		rep.oauth = n[RM_OAUTH_TOKENS] + n[RM_OAUTH_CODES] + n[RM_OAUTH_GRANTS];
		snprintf(after, sizeof(after),
			 "{\"devices\":%d,\"certificates\":%d,\"crl_kept\":%d,"
			 "\"sessions_unlinked\":%d,\"portal_rows\":%d,\"unlocks\":%d,"
			 "\"oauth_rows\":%d,\"audit_rewritten\":%d,\"events_renamed\":%d}",
			 rep.devices, rep.certs, rep.crl_kept, rep.sessions, rep.web, rep.unlocks,
			 rep.oauth, rep.audit, rep.events);
		rc = reg_audit_add_school(reg, person.school, action, pseudonym, NULL, after, err);
	}
	if (!rc)
		rc = reg_event_queue(reg, action, pseudonym, now, err);
	for (i = 0; !rc && i < json_array_size(gone); i++) {
		json_t *e = json_array_get(gone, i);

		rc = reg_event_queue(reg, str_of(e, "kind"), str_of(e, "object"), now, err);
	}
	json_decref(gone);
	rc = reg_tx_end(reg, rc, wrote, err);
	if (!rc && r)
		*r = rep;
	return rc;
}

/* ---- the export ------------------------------------------------------------ */

/* Whether an audit row names the person: the login as actor, object or a
 * value of before/after, or one of their devices or certificates as
 * object. */
static int audit_about(json_t *row, const char *login, json_t *objects)
{
	const char *actor = str_of(row, "actor"), *object = str_of(row, "object");
	char *dummy = NULL;
	size_t i;
	json_t *o;
	int n;

	if ((actor && names_login(actor, login)) || (object && !strcmp(object, login)))
		return 1;
	json_array_foreach(objects, i,
			   o) if (object && !strcmp(object, json_string_value(o))) return 1;
	n = rewrite_json(str_of(row, "before_json"), login, "-", 0, &dummy);
	free(dummy);
	if (n)
		return 1;
	n = rewrite_json(str_of(row, "after_json"), login, "-", 0, &dummy);
	free(dummy);
	return n != 0;
}

static int export_audit(struct reg *reg, const char *login, json_t *out, json_t *objects,
			struct byod_err *err)
{
	json_t *rows = json_array(), *keep = json_array(), *row;
	size_t i;
	int rc;

	if (!rows || !keep) {
		json_decref(rows);
		json_decref(keep);
		return byod_err_set(err, ENOMEM, "out of memory");
	}
	/* the rows about their devices and certificates, and the candidates
	 * that may name the login */
	rc = audit_candidates(reg, login, rows, err);
	json_array_foreach(objects, i, row)
	{
		const char *p[1] = {json_string_value(row)};

		if (!rc)
			rc = OPS(reg)->rows_json(reg->be, "reading the audit log",
						 "SELECT id, time, actor, action, object, "
						 "before_json, after_json, school "
						 "FROM audit WHERE object = $1 ORDER BY id",
						 1, p, rows, err);
	}
	if (!rc) {
		json_t *seen = json_object();

		json_array_foreach(rows, i, row)
		{
			char id[24];

			snprintf(id, sizeof(id), "%" JSON_INTEGER_FORMAT,
				 json_integer_value(json_object_get(row, "id")));
			if (json_object_get(seen, id) || !audit_about(row, login, objects))
				continue;
			json_object_set_new(seen, id, json_true());
			json_array_append(keep, row);
		}
		json_decref(seen);
		rc = json_object_set(out, "audit", keep)
			     ? byod_err_set(err, ENOMEM, "out of memory")
			     : 0;
	}
	json_decref(rows);
	json_decref(keep);
	return rc;
}

int reg_person_export(struct reg *reg, const char *login, json_t **out, struct byod_err *err)
{
	struct reg_person person;
	struct person_params pp;
	json_t *o = NULL, *rows = NULL, *objects = NULL, *v;
	size_t i, k;
	int rc;

	*out = NULL;
	rc = reg_check_text(login, REG_LOGIN_MAX, 0, "login", err);
	if (!rc)
		rc = reg_begin_read(reg, err);
	if (rc)
		return rc;
	rc = reg_person_get(reg, login, &person, err);
	if (rc)
		goto out;
	person_params(&pp, &person, 0);
	o = json_object();
	rows = json_array();
	objects = json_array();
	if (!o || !rows || !objects) {
		rc = byod_err_set(err, ENOMEM, "out of memory");
		goto out;
	}
	{
		const char *args[1] = {pp.id};

		rc = OPS(reg)->rows_json(reg->be, "reading a person",
					 "SELECT * FROM people WHERE id = $1", 1, args, rows, err);
	}
	if (rc)
		goto out;
	v = json_array_get(rows, 0);
	if (!v) {
		rc = byod_err_set(err, ENOENT, "no person %s", login);
		goto out;
	}
	/* the hash is a secret of the account, not information about the
	 * person: the export says that it exists */
	json_object_set_new(v, "password_set", json_boolean(person.password_hash[0] != 0));
	json_object_del(v, "password_hash");
	json_object_set(o, "person", v);
	for (i = 0; i < sizeof(person_tables) / sizeof(person_tables[0]); i++) {
		const char *args[4];
		int na = person_args(&pp, &person_tables[i], args);
		json_t *t = json_array();

		if (!t) {
			rc = byod_err_set(err, ENOMEM, "out of memory");
			goto out;
		}

		rc = OPS(reg)->rows_json(reg->be, "exporting a person", person_tables[i].sql, na,
					 args, t, err);
		if (!rc && json_object_set(o, person_tables[i].name, t))
			rc = byod_err_set(err, ENOMEM, "out of memory");
		json_decref(t);
		if (rc)
			goto out;
	}
	/* what the audit log names them by: their devices' ids, their
	 * certificates' serials */
	json_array_foreach(json_object_get(o, "devices"), k, v)
		json_array_append(objects, json_object_get(v, "id"));
	json_array_foreach(json_object_get(o, "certificates"), k, v)
		json_array_append(objects, json_object_get(v, "serial"));
	rc = export_audit(reg, login, o, objects, err);
out:
	if (rc) {
		reg_rollback(reg);
	} else {
		rc = reg_commit(reg, err);
		if (rc)
			reg_rollback(reg);
	}
	json_decref(rows);
	json_decref(objects);
	if (rc)
		json_decref(o);
	else
		*out = o;
	return rc;
}
