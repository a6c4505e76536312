// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The SQLite registry's schema: the migrations in order, the checks some of
 * them need before they run (a registry that would break a new constraint
 * is told so in one sentence, and nothing is changed), and the migration
 * of a database opened by sqlite.c to the newest version, one transaction
 * each.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "sqlite_int.h"

/*
 * The migrations, in order: migrations[i] takes the schema from version i
 * to i + 1, and ends by setting PRAGMA user_version to i + 1 so the version
 * moves in the same transaction as the tables. Append, never edit: a
 * database in the field has run the old text. (A migration that must
 * rebuild a table would have to run with foreign_keys off, which cannot be
 * changed inside a transaction; none does yet.)
 */
static const char *const migrations[] = {
	/* 1: the initial schema */
	"CREATE TABLE schools (\n"
	"	uai TEXT PRIMARY KEY NOT NULL,\n"
	"	name TEXT NOT NULL\n"
	");\n"
	"CREATE TABLE people (\n"
	"	id INTEGER PRIMARY KEY,\n"
	"	login TEXT NOT NULL UNIQUE,\n"
	"	display_name TEXT NOT NULL DEFAULT '',\n"
	"	role TEXT NOT NULL CHECK (role IN ('student', 'teacher', 'staff', 'guest')),\n"
	"	school TEXT REFERENCES schools(uai),\n"
	"	\"groups\" TEXT NOT NULL DEFAULT '',\n"
	"	password_hash TEXT NOT NULL DEFAULT '',\n"
	"	state TEXT NOT NULL CHECK (state IN ('active', 'disabled')),\n"
	"	created INTEGER NOT NULL\n"
	");\n"
	"CREATE INDEX people_school ON people(school);\n"
	"CREATE TABLE devices (\n"
	"	id TEXT PRIMARY KEY NOT NULL,\n"
	"	owner INTEGER NOT NULL REFERENCES people(id),\n"
	"	name TEXT NOT NULL,\n"
	"	kind TEXT NOT NULL CHECK (kind IN ('phone', 'tablet', 'laptop', 'other')),\n"
	"	mac TEXT,\n"
	"	state TEXT NOT NULL\n"
	"		CHECK (state IN ('active', 'suspended', 'revoked', 'retired')),\n"
	"	charter TEXT NOT NULL DEFAULT '',\n"
	"	created INTEGER NOT NULL,\n"
	"	expires INTEGER NOT NULL DEFAULT 0\n"
	");\n"
	"CREATE INDEX devices_owner ON devices(owner);\n"
	"CREATE INDEX devices_mac ON devices(mac);\n"
	"CREATE TABLE certificates (\n"
	"	serial TEXT PRIMARY KEY NOT NULL,\n"
	"	device TEXT NOT NULL REFERENCES devices(id),\n"
	"	not_before INTEGER NOT NULL,\n"
	"	not_after INTEGER NOT NULL,\n"
	"	state TEXT NOT NULL CHECK (state IN ('valid', 'revoked')),\n"
	"	revoked_at INTEGER,\n"
	"	reason INTEGER,\n"
	"	CHECK ((state = 'valid' AND revoked_at IS NULL AND reason IS NULL) OR\n"
	"	       (state = 'revoked' AND revoked_at IS NOT NULL AND reason IS NOT NULL))\n"
	");\n"
	"CREATE INDEX certificates_device ON certificates(device);\n"
	"CREATE INDEX certificates_revoked ON certificates(revoked_at) WHERE state = 'revoked';\n"
	"CREATE TABLE sessions (\n"
	"	id INTEGER PRIMARY KEY,\n"
	"	session_id TEXT NOT NULL,\n"
	"	device TEXT REFERENCES devices(id),\n"
	"	mac TEXT,\n"
	"	ip TEXT,\n"
	"	nas_ip TEXT,\n"
	"	nas_id TEXT,\n"
	"	serial TEXT,\n"
	"	started INTEGER,\n"
	"	updated INTEGER,\n"
	"	stopped INTEGER,\n"
	"	in_octets INTEGER NOT NULL DEFAULT 0,\n"
	"	out_octets INTEGER NOT NULL DEFAULT 0,\n"
	"	state TEXT NOT NULL DEFAULT 'open'\n"
	");\n"
	"CREATE INDEX sessions_session ON sessions(session_id, nas_ip, nas_id);\n"
	"CREATE INDEX sessions_device ON sessions(device);\n"
	/* AUTOINCREMENT: an id or seq is never handed out twice, even after
	 * the newest rows are deleted, so a reader's cursor stays meaningful. */
	"CREATE TABLE audit (\n"
	"	id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
	"	time INTEGER NOT NULL,\n"
	"	actor TEXT NOT NULL,\n"
	"	action TEXT NOT NULL,\n"
	"	object TEXT NOT NULL DEFAULT '',\n"
	"	before_json TEXT,\n"
	"	after_json TEXT\n"
	");\n"
	"CREATE TABLE events (\n"
	"	seq INTEGER PRIMARY KEY AUTOINCREMENT,\n"
	"	time INTEGER NOT NULL,\n"
	"	kind TEXT NOT NULL,\n"
	"	object TEXT NOT NULL\n"
	");\n"
	"CREATE TABLE counters (\n"
	"	name TEXT PRIMARY KEY NOT NULL,\n"
	"	value INTEGER NOT NULL\n"
	");\n"
	"PRAGMA user_version = 1;\n",

	/* 2: versions of the segment policy; the newest is the running one */
	"CREATE TABLE policies (\n"
	"	version INTEGER PRIMARY KEY AUTOINCREMENT,\n"
	"	created INTEGER NOT NULL,\n"
	"	author TEXT NOT NULL,\n"
	"	file TEXT NOT NULL DEFAULT '',\n"
	"	comment TEXT NOT NULL DEFAULT '',\n"
	"	source TEXT NOT NULL\n"
	");\n"
	"PRAGMA user_version = 2;\n",

	/* 3: RADIUS accounting: purging closed sessions by stop time and
	 * listing open ones without reading a year of closed ones */
	"CREATE INDEX sessions_closed ON sessions(stopped) WHERE state = 'closed';\n"
	"CREATE INDEX sessions_open ON sessions(started) WHERE state = 'open';\n"
	"PRAGMA user_version = 3;\n",

	/* 4: the portal's shared state: web sessions (hashes of the cookies),
	 * one-time form tokens, one-time downloads, login throttling */
	"CREATE TABLE web_sessions (\n"
	"	id_hash TEXT PRIMARY KEY NOT NULL,\n"
	"	person INTEGER REFERENCES people(id) ON DELETE CASCADE,\n"
	"	created INTEGER NOT NULL,\n"
	"	seen INTEGER NOT NULL,\n"
	"	client TEXT NOT NULL DEFAULT ''\n"
	");\n"
	"CREATE INDEX web_sessions_person ON web_sessions(person);\n"
	"CREATE INDEX web_sessions_seen ON web_sessions(seen);\n"
	"CREATE INDEX web_sessions_created ON web_sessions(created);\n"
	"CREATE TABLE web_forms (\n"
	"	token_hash TEXT PRIMARY KEY NOT NULL,\n"
	"	session TEXT NOT NULL REFERENCES web_sessions(id_hash) ON DELETE CASCADE,\n"
	"	expires INTEGER NOT NULL\n"
	");\n"
	"CREATE INDEX web_forms_session ON web_forms(session);\n"
	"CREATE INDEX web_forms_expires ON web_forms(expires);\n"
	"CREATE TABLE web_downloads (\n"
	"	token_hash TEXT PRIMARY KEY NOT NULL,\n"
	"	device TEXT NOT NULL REFERENCES devices(id),\n"
	"	filename TEXT NOT NULL,\n"
	"	type TEXT NOT NULL,\n"
	"	data BLOB NOT NULL,\n"
	"	created INTEGER NOT NULL,\n"
	"	expires INTEGER NOT NULL\n"
	");\n"
	"CREATE INDEX web_downloads_expires ON web_downloads(expires);\n"
	"CREATE TABLE web_throttle (\n"
	"	key TEXT PRIMARY KEY NOT NULL,\n"
	"	failures INTEGER NOT NULL,\n"
	"	last_failure INTEGER NOT NULL,\n"
	"	locked_until INTEGER NOT NULL\n"
	");\n"
	"PRAGMA user_version = 4;\n",

	/* 5: one-time enrolment codes (QR sheets); only their hashes */
	"CREATE TABLE enrol_codes (\n"
	"	code_hash TEXT PRIMARY KEY NOT NULL,\n"
	"	person INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,\n"
	"	created INTEGER NOT NULL,\n"
	"	expires INTEGER NOT NULL,\n"
	"	used INTEGER\n"
	");\n"
	"CREATE INDEX enrol_codes_person ON enrol_codes(person);\n"
	"PRAGMA user_version = 5;\n",

	/* 6: a session's kind (a one-time code's session may only enrol one
	 * device), the portal's shared keys (the login form's stateless
	 * token), and the owner's recent enrolments counted by time */
	"ALTER TABLE web_sessions ADD COLUMN kind TEXT NOT NULL DEFAULT 'login'\n"
	"	CHECK (kind IN ('login', 'code'));\n"
	"ALTER TABLE web_sessions ADD COLUMN enrolled INTEGER NOT NULL DEFAULT 0;\n"
	"CREATE TABLE web_keys (\n"
	"	name TEXT PRIMARY KEY NOT NULL,\n"
	"	secret TEXT NOT NULL,\n"
	"	created INTEGER NOT NULL\n"
	");\n"
	"CREATE INDEX devices_owner_created ON devices(owner, created);\n"
	"PRAGMA user_version = 6;\n",

	/* 7: a second live device with one MAC impossible in the database
	 * itself, as PostgreSQL's devices_live_mac (a retired or revoked
	 * device keeps its MAC: the history). An absent MAC is NULL (an
	 * empty text would be one more MAC); live_mac_twins checks first. */
	"UPDATE devices SET mac = NULL WHERE mac = '';\n"
	"CREATE UNIQUE INDEX devices_live_mac ON devices(mac)\n"
	"	WHERE mac IS NOT NULL AND state IN ('active', 'suspended');\n"
	"PRAGMA user_version = 7;\n",

	/* 8: a policy per school beside the département's default (school
	 * ''), and teachers' unlocks of a group for at most two hours */
	"ALTER TABLE policies ADD COLUMN school TEXT NOT NULL DEFAULT '';\n"
	"ALTER TABLE policies ADD COLUMN follows_default INTEGER NOT NULL DEFAULT 0;\n"
	"CREATE INDEX policies_school ON policies(school, version);\n"
	"CREATE TABLE unlocks (\n"
	"	id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
	"	school TEXT NOT NULL REFERENCES schools(uai),\n"
	"	group_name TEXT NOT NULL,\n"
	"	teacher INTEGER NOT NULL REFERENCES people(id),\n"
	"	starts INTEGER NOT NULL,\n"
	"	ends INTEGER NOT NULL,\n"
	"	ended INTEGER NOT NULL DEFAULT 0,\n"
	"	created INTEGER NOT NULL,\n"
	"	CHECK (ends > starts AND ends - starts <= 7200)\n"
	");\n"
	"CREATE INDEX unlocks_live ON unlocks(ends) WHERE ended = 0;\n"
	"PRAGMA user_version = 8;\n",

	/* 9: what the daemons report to the console: the RADIUS module's
	 * decision counts, added to per school, minute, node, segment and
	 * reason, and each daemon's heartbeat (no foreign key: a count of an
	 * unknown device has no school, and counts outlive a school's rows) */
	"CREATE TABLE decision_counts (\n"
	"	school TEXT NOT NULL,\n"
	"	minute INTEGER NOT NULL,\n"
	"	node TEXT NOT NULL,\n"
	"	segment TEXT NOT NULL,\n"
	"	reason TEXT NOT NULL,\n"
	"	count INTEGER NOT NULL CHECK (count >= 0),\n"
	"	PRIMARY KEY (school, minute, node, segment, reason)\n"
	");\n"
	"CREATE INDEX decision_counts_minute ON decision_counts(minute);\n"
	"CREATE TABLE heartbeats (\n"
	"	component TEXT NOT NULL,\n"
	"	node TEXT NOT NULL,\n"
	"	school TEXT NOT NULL,\n"
	"	seen INTEGER NOT NULL,\n"
	"	feed_seq INTEGER NOT NULL,\n"
	"	detail TEXT NOT NULL DEFAULT '',\n"
	"	PRIMARY KEY (component, node, school)\n"
	");\n"
	"PRAGMA user_version = 9;\n",

	/* 10: the dashboard's figures: enrolments by time, certificates by
	 * their end, and the accounting of each access point */
	"CREATE INDEX devices_created ON devices(created);\n"
	"CREATE INDEX certificates_not_after ON certificates(not_after) WHERE state = 'valid';\n"
	"CREATE INDEX sessions_nas ON sessions(nas_ip, nas_id);\n"
	"CREATE INDEX sessions_started ON sessions(started);\n"
	"PRAGMA user_version = 10;\n",

	/* 11: the console (byod-admin): its administrators, their web sessions
	 * and API tokens (only SHA-256 hashes of the cookies and tokens), and
	 * the school each audit row concerns, so that a school's
	 * administrators read its rows only; the rows already written get
	 * theirs from what they name, as new rows do (reg_audit_school_of) */
	"CREATE TABLE admins (\n"
	"	id INTEGER PRIMARY KEY,\n"
	"	login TEXT NOT NULL UNIQUE,\n"
	"	display_name TEXT NOT NULL DEFAULT '',\n"
	"	role TEXT NOT NULL CHECK (role IN ('departement', 'school', 'auditor')),\n"
	"	schools TEXT NOT NULL DEFAULT '',\n"
	"	password_hash TEXT NOT NULL DEFAULT '',\n"
	"	totp_secret TEXT NOT NULL DEFAULT '',\n"
	"	totp_enrolled INTEGER NOT NULL DEFAULT 0,\n"
	"	totp_last_step INTEGER NOT NULL DEFAULT 0,\n"
	"	state TEXT NOT NULL CHECK (state IN ('active', 'disabled')),\n"
	"	created INTEGER NOT NULL,\n"
	"	CHECK ((role = 'departement' AND schools = '') OR\n"
	"	       (role = 'school' AND schools <> '') OR role = 'auditor')\n"
	");\n"
	"CREATE TABLE admin_sessions (\n"
	"	id_hash TEXT PRIMARY KEY NOT NULL,\n"
	"	admin INTEGER NOT NULL REFERENCES admins(id) ON DELETE CASCADE,\n"
	"	created INTEGER NOT NULL,\n"
	"	seen INTEGER NOT NULL,\n"
	"	client TEXT NOT NULL DEFAULT '',\n"
	"	mfa INTEGER NOT NULL DEFAULT 0\n"
	");\n"
	"CREATE INDEX admin_sessions_admin ON admin_sessions(admin);\n"
	"CREATE INDEX admin_sessions_seen ON admin_sessions(seen);\n"
	"CREATE INDEX admin_sessions_created ON admin_sessions(created);\n"
	"CREATE TABLE admin_tokens (\n"
	"	id_hash TEXT PRIMARY KEY NOT NULL,\n"
	"	admin INTEGER NOT NULL REFERENCES admins(id) ON DELETE CASCADE,\n"
	"	name TEXT NOT NULL,\n"
	"	created INTEGER NOT NULL,\n"
	"	expires INTEGER NOT NULL DEFAULT 0,\n"
	"	last_used INTEGER NOT NULL DEFAULT 0\n"
	");\n"
	"CREATE INDEX admin_tokens_admin ON admin_tokens(admin);\n"
	"ALTER TABLE audit ADD COLUMN school TEXT NOT NULL DEFAULT '';\n"
	"UPDATE audit SET school = object WHERE (action LIKE 'school.%' OR action = 'registry.copy')\n"
	"	AND object IN (SELECT uai FROM schools);\n"
	"UPDATE audit SET school = COALESCE((SELECT p.school FROM people p\n"
	"	WHERE p.login = audit.object), '')\n"
	"	WHERE action LIKE 'person.%' OR action LIKE 'enrol-code.%' OR action LIKE 'user.%'\n"
	"	OR action LIKE 'portal.login%' OR action = 'portal.logout';\n"
	"UPDATE audit SET school = COALESCE((SELECT p.school FROM devices d\n"
	"	JOIN people p ON p.id = d.owner WHERE d.id = audit.object), '')\n"
	"	WHERE action LIKE 'device.%' OR action = 'portal.download'\n"
	"	OR action = 'portal.denied';\n"
	"UPDATE audit SET school = COALESCE((SELECT p.school FROM certificates c\n"
	"	JOIN devices d ON d.id = c.device JOIN people p ON p.id = d.owner\n"
	"	WHERE c.serial = audit.object), '')\n"
	"	WHERE action LIKE 'cert.%';\n"
	"UPDATE audit SET school = COALESCE((SELECT p.school FROM sessions s\n"
	"	JOIN devices d ON d.id = s.device JOIN people p ON p.id = d.owner\n"
	"	WHERE CAST(s.id AS TEXT) = audit.object), '')\n"
	"	WHERE action LIKE 'session.%';\n"
	"CREATE INDEX audit_school ON audit(school, id);\n"
	"PRAGMA user_version = 11;\n",

	/* 12: renewal: the certificate a renewed one replaces (revoked when
	 * the new one is first seen at RADIUS), and that first sighting */
	"ALTER TABLE certificates ADD COLUMN replaces TEXT NOT NULL DEFAULT '';\n"
	"ALTER TABLE certificates ADD COLUMN first_seen INTEGER NOT NULL DEFAULT 0;\n"
	"CREATE UNIQUE INDEX certificates_replaces ON certificates(replaces) WHERE replaces <> '';\n"
	"PRAGMA user_version = 12;\n",

	/* 13: people leaving at a date (refused at RADIUS from then, disabled
	 * by the daily job) and when an account was disabled (retention
	 * counts from it); people already disabled get the migration's time */
	"ALTER TABLE people ADD COLUMN leaves_at INTEGER NOT NULL DEFAULT 0;\n"
	"ALTER TABLE people ADD COLUMN disabled_at INTEGER NOT NULL DEFAULT 0;\n"
	"UPDATE people SET disabled_at = CAST(strftime('%s', 'now') AS INTEGER)\n"
	"	WHERE state = 'disabled';\n"
	"CREATE INDEX people_leaving ON people(leaves_at) WHERE leaves_at > 0;\n"
	"PRAGMA user_version = 13;\n",

	/* 14: retention and a person's rights: the requisition looks an
	 * address up at an instant (sessions_ip, sessions_mac), the purge
	 * deletes the audit rows past their retention (audit_time), and the
	 * revoked certificates of an erased person's devices, still inside
	 * their validity, stay on the CRL without naming a device (crl_kept) */
	"CREATE INDEX sessions_ip ON sessions(ip, started);\n"
	"CREATE INDEX sessions_mac ON sessions(mac, started);\n"
	"CREATE INDEX audit_time ON audit(time);\n"
	"CREATE TABLE crl_kept (\n"
	"	serial TEXT PRIMARY KEY NOT NULL,\n"
	"	not_before INTEGER NOT NULL,\n"
	"	not_after INTEGER NOT NULL,\n"
	"	revoked_at INTEGER NOT NULL,\n"
	"	reason INTEGER NOT NULL\n"
	");\n"
	"CREATE INDEX crl_kept_not_after ON crl_kept(not_after);\n"
	"PRAGMA user_version = 14;\n",

	/* 15: geteduroam's OAuth 2.0 (reg_oauth.c): grants of a person to a
	 * client, bound to the device their eap-config enrolled; one-time
	 * authorization codes and access/refresh tokens as SHA-256 hashes
	 * only, the redirect URI as its hash, and the authorization requests
	 * waiting for a login, sealed by the portal */
	"CREATE TABLE oauth_grants (\n"
	"	id INTEGER PRIMARY KEY,\n"
	"	client TEXT NOT NULL,\n"
	"	person INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,\n"
	"	charter TEXT NOT NULL DEFAULT '',\n"
	"	device TEXT REFERENCES devices(id) ON DELETE CASCADE,\n"
	"	created INTEGER NOT NULL,\n"
	"	revoked INTEGER NOT NULL DEFAULT 0\n"
	");\n"
	"CREATE INDEX oauth_grants_person ON oauth_grants(person);\n"
	"CREATE INDEX oauth_grants_device ON oauth_grants(device);\n"
	"CREATE TABLE oauth_codes (\n"
	"	code_hash TEXT PRIMARY KEY,\n"
	"	client TEXT NOT NULL,\n"
	"	redirect_hash TEXT NOT NULL,\n"
	"	challenge TEXT NOT NULL,\n"
	"	charter TEXT NOT NULL DEFAULT '',\n"
	"	person INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,\n"
	"	created INTEGER NOT NULL,\n"
	"	expires INTEGER NOT NULL,\n"
	"	used INTEGER NOT NULL DEFAULT 0,\n"
	"	grant_id INTEGER REFERENCES oauth_grants(id) ON DELETE SET NULL\n"
	");\n"
	"CREATE INDEX oauth_codes_expires ON oauth_codes(expires);\n"
	"CREATE INDEX oauth_codes_person ON oauth_codes(person);\n"
	"CREATE INDEX oauth_codes_grant ON oauth_codes(grant_id);\n"
	"CREATE TABLE oauth_tokens (\n"
	"	token_hash TEXT PRIMARY KEY,\n"
	"	grant_id INTEGER NOT NULL REFERENCES oauth_grants(id) ON DELETE CASCADE,\n"
	"	kind TEXT NOT NULL CHECK (kind IN ('access', 'refresh')),\n"
	"	refreshed INTEGER NOT NULL DEFAULT 0,\n"
	"	created INTEGER NOT NULL,\n"
	"	expires INTEGER NOT NULL,\n"
	"	used INTEGER NOT NULL DEFAULT 0\n"
	");\n"
	"CREATE INDEX oauth_tokens_grant ON oauth_tokens(grant_id);\n"
	"CREATE INDEX oauth_tokens_expires ON oauth_tokens(expires);\n"
	"CREATE TABLE oauth_requests (\n"
	"	id_hash TEXT PRIMARY KEY,\n"
	"	data TEXT NOT NULL,\n"
	"	created INTEGER NOT NULL,\n"
	"	expires INTEGER NOT NULL\n"
	");\n"
	"CREATE INDEX oauth_requests_expires ON oauth_requests(expires);\n"
	"PRAGMA user_version = 15;\n",

	/* 16: identity sources (byod.conf identity.NAME): the source a
	 * person came from or last signed in through, and the one that
	 * authenticates an administrator ('' local, as every row until now);
	 * a source's administrator has no password or TOTP of the
	 * console's (the database holds that rule too); single-use keys
	 * shared by the portals and the console (a SAML request's state, an
	 * assertion's ID seen once), deleted by expiry */
	"ALTER TABLE people ADD COLUMN source TEXT NOT NULL DEFAULT '';\n"
	"CREATE INDEX people_source ON people(source, login) WHERE source <> '';\n"
	"ALTER TABLE admins ADD COLUMN source TEXT NOT NULL DEFAULT ''\n"
	"	CHECK (source = '' OR (password_hash = '' AND totp_secret = ''));\n"
	"CREATE TABLE once_keys (\n"
	"	key TEXT PRIMARY KEY NOT NULL,\n"
	"	data TEXT NOT NULL DEFAULT '',\n"
	"	expires INTEGER NOT NULL\n"
	");\n"
	"CREATE INDEX once_keys_expires ON once_keys(expires);\n"
	"PRAGMA user_version = 16;\n",
};

#define NEWEST_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

_Static_assert(NEWEST_VERSION == SQ_NEWEST_VERSION, "SQ_NEWEST_VERSION is the number of migrations");


int sq_read_version(struct sq *s, int *version, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	int rc;

	rc = sq_prepare(s, &st, err, "PRAGMA user_version", "");
	if (!rc)
		rc = sq_one(s, st, "reading the schema version", err);
	if (!rc)
		*version = sqlite3_column_int(st, 0);
	return rc;
}

static int too_new(struct sq *s, int version, struct byod_err *err)
{
	return byod_err_set(err, EPROTO,
			    "the registry %s has schema version %d, newer than this program "
			    "knows (%d): use a newer byod",
			    s->path, version, NEWEST_VERSION);
}


struct twins {
	struct sq *s;
	char list[768];	 /* "ID (login, state), ..." */
	char later[400]; /* the ids of all but the first, quoted, for the UPDATE */
	int n;
};

static int add_twin(sqlite3_stmt *st, void *arg)
{
	struct twins *t = arg;
	size_t len = strlen(t->list), ll = strlen(t->later);

	snprintf(t->list + len, sizeof(t->list) - len, "%s%s (%s, %s)", t->n ? ", " : "",
		 (const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1),
		 (const char *)sqlite3_column_text(st, 2));
	if (t->n)
		snprintf(t->later + ll, sizeof(t->later) - ll, "%s'%s'", ll ? ", " : "",
			 (const char *)sqlite3_column_text(st, 0));
	t->n++;
	return 0;
}

/*
 * Before migration 7 (devices_live_mac): a registry that already holds
 * two live devices with one MAC (SQLite let them by until then) cannot take
 * the index. Instead of SQLite's "UNIQUE constraint failed", one sentence
 * naming the MAC, its devices and how to keep one; -EEXIST, and the
 * caller rolls the migration's transaction back: nothing is changed.
 * (byodctl cannot open the registry to retire one, hence the sqlite3
 * command in the sentence.)
 */
static int live_mac_twins(struct sq *s, struct byod_err *err)
{
	static const char live[] =
		"mac IS NOT NULL AND mac <> '' AND state IN ('active', 'suspended')";
	cleanup_stmt sqlite3_stmt *st = NULL;
	cleanup_stmt sqlite3_stmt *dev = NULL;
	struct twins t = {.s = s};
	char sql[512], mac[REG_MAC_MAX + 8];
	int rc, others;

	snprintf(sql, sizeof(sql),
		 "SELECT mac, (SELECT COUNT(*) FROM (SELECT mac FROM devices WHERE %s "
		 "GROUP BY mac HAVING COUNT(*) > 1)) FROM devices WHERE %s "
		 "GROUP BY mac HAVING COUNT(*) > 1 ORDER BY mac LIMIT 1",
		 live, live);
	rc = sq_prepare(s, &st, err, sql, "");
	if (!rc)
		rc = sq_one(s, st, "looking for live devices sharing a MAC", err);
	if (rc == -ENOENT)
		return 0;
	if (rc)
		return rc;
	col_text(st, 0, mac, sizeof(mac));
	others = sqlite3_column_int(st, 1) - 1;
	rc = sq_prepare(
		s, &dev, err,
		"SELECT d.id, p.login, d.state FROM devices d JOIN people p ON p.id = d.owner "
		"WHERE d.mac = ? AND d.state IN ('active', 'suspended') "
		"ORDER BY d.created, d.rowid",
		"t", mac);
	if (!rc)
		rc = sq_each(s, dev, add_twin, &t, "listing live devices sharing a MAC", err);
	if (rc)
		return rc;
	return byod_err_set(err, EEXIST,
			    "the registry %s cannot take schema version 7 (one live device per "
			    "MAC address): MAC %s is on %d live devices, %s%s; keep one (e.g. "
			    "sqlite3 %s \"UPDATE devices SET state = 'retired' WHERE id IN (%s)\") "
			    "and open it again: nothing was changed",
			    s->path, mac, t.n, t.list,
			    others > 0 ? ", and other MACs are shared too" : "", s->path, t.later);
}

/* Checks a migration needs before it runs, in its transaction: data it
 * cannot take said in one sentence, nothing changed. */
static const struct {
	int from; /* the version the migration starts from */
	int (*check)(struct sq *s, struct byod_err *err);
} migration_checks[] = {
	{6, live_mac_twins},
};

static int migration_check(struct sq *s, int from, struct byod_err *err)
{
	size_t i;

	for (i = 0; i < sizeof(migration_checks) / sizeof(migration_checks[0]); i++)
		if (migration_checks[i].from == from)
			return migration_checks[i].check(s, err);
	return 0;
}

int sq_check_version(struct sq *s, struct byod_err *err)
{
	int version, rc;

	rc = sq_read_version(s, &version, err);
	if (!rc && version > NEWEST_VERSION)
		rc = too_new(s, version, err);
	if (!rc && version < 0)
		rc = byod_err_set(err, EPROTO,
				  "the registry %s has schema version %d, not one of ours", s->path,
				  version);
	return rc;
}

/*
 * Brings the schema to NEWEST_VERSION, one migration per transaction.
 * The version is read again under the write lock, so two programs opening
 * a fresh registry at once do not both run a migration.
 */
int sq_migrate(struct sq *s, struct byod_err *err)
{
	char doing[64];
	int version, rc, src;

	rc = sq_read_version(s, &version, err);
	while (!rc && version >= 0 && version < NEWEST_VERSION) {
		rc = sq_begin(&s->base, err);
		if (rc)
			break;
		rc = sq_read_version(s, &version, err);
		if (!rc && version >= 0 && version < NEWEST_VERSION)
			rc = migration_check(s, version, err);
		if (!rc && version >= 0 && version < NEWEST_VERSION) {
			src = sqlite3_exec(s->db, migrations[version], NULL, NULL, NULL);
			if (src != SQLITE_OK) {
				snprintf(doing, sizeof(doing), "migrating to schema version %d",
					 version + 1);
				rc = sq_fail(s, src, doing, err);
			}
		}
		if (!rc)
			rc = sq_commit(&s->base, err);
		if (rc)
			sq_rollback(&s->base);
		else
			rc = sq_read_version(s, &version, err);
	}
	if (!rc && version > NEWEST_VERSION)
		rc = too_new(s, version, err);
	if (!rc && version < 0)
		rc = byod_err_set(err, EPROTO,
				  "the registry %s has schema version %d, not one of ours", s->path,
				  version);
	return rc;
}
