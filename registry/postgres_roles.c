// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One PostgreSQL role per program, with only the rights that program's
 * registry calls need (byodctl registry roles prints this SQL, or runs it
 * as the registry's owner with --apply). The roles are NOLOGIN groups: an
 * administrator creates a login per node in one of them
 * (CREATE ROLE radius1 LOGIN PASSWORD '...' IN ROLE byod_radius).
 *
 * Who calls what (grep of each program's reg_* calls):
 *  - byod_radius (rlm_byod: its index and accounting): reads people,
 *    devices, certificates, policies, unlocks and the change feed; writes
 *    accounting sessions and their session.start/stop events, its decision
 *    counts and its heartbeat, a certificate's first sighting (first_seen
 *    only) and, through the function cert_supersede(), the revocation of
 *    the one it replaces (valid -> superseded, nothing else);
 *  - byod_gateway (byod-gatewayd): reads devices, policies, sessions and the
 *    feed; writes sessions (and their events) like the RADIUS side, and
 *    its heartbeat;
 *  - byod_portal (byod-portal): enrols (people, devices, certificates,
 *    counters, audit, events) and keeps the portal's shared state (web_*,
 *    enrol_codes), and a teacher's unlocks; never the segment policy,
 *    never accounting;
 *  - byod_admin (byodctl): everything, and pg_monitor (byodctl doctor reads
 *    the standbys' lag in pg_stat_replication) when the role applying this
 *    may give it.
 * None of them reads web_keys or the portal's sessions but the portal and
 * the administrator.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_int.h"
#include "reg_internal.h"

/* The tables every program reads. */
#define READ_TABLES                                                                                \
	"schema_version, schools, people, devices, certificates, policies, events, events_head, "  \
	"counters, unlocks, crl_kept"
/* ... and its own: sessions, forms, downloads, throttling, enrolment codes,
 * keys, geteduroam's OAuth grants (dropped with a device it retires), and
 * the identity sources' single-use keys (SAML requests, assertion IDs) */
#define PORTAL_TABLES                                                                              \
	"web_sessions, web_forms, web_downloads, web_throttle, enrol_codes, web_keys, "            \
	"oauth_grants, oauth_codes, oauth_tokens, oauth_requests, once_keys"

/* The SQL for schema (quoted by the caller); *out malloc'd. */
static int roles_sql(const char *schema, char **out)
{
	const char *s = schema;
	int n;

	n = asprintf(
		out,
		"-- PostgreSQL roles of the BYOD registry in schema %s: one per program.\n"
		"-- Give each node a login in its program's role, e.g.\n"
		"--   CREATE ROLE radius1 LOGIN PASSWORD '...' IN ROLE byod_radius;\n"
		"-- and connect with sslmode=verify-full.\n"
		"BEGIN;\n"
		"SET LOCAL search_path = %s;\n"
		"DO $$ BEGIN\n"
		"  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'byod_radius') THEN\n"
		"    CREATE ROLE byod_radius NOLOGIN; END IF;\n"
		"  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'byod_gateway') THEN\n"
		"    CREATE ROLE byod_gateway NOLOGIN; END IF;\n"
		"  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'byod_portal') THEN\n"
		"    CREATE ROLE byod_portal NOLOGIN; END IF;\n"
		"  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'byod_admin') THEN\n"
		"    CREATE ROLE byod_admin NOLOGIN; END IF;\n"
		"END $$;\n"
		"REVOKE ALL ON ALL TABLES IN SCHEMA %s FROM byod_radius, byod_gateway, "
		"byod_portal, "
		"byod_admin;\n"
		"REVOKE ALL ON ALL SEQUENCES IN SCHEMA %s FROM byod_radius, byod_gateway, "
		"byod_portal, byod_admin;\n"
		"GRANT USAGE ON SCHEMA %s TO byod_radius, byod_gateway, byod_portal, byod_admin;\n"
		"\n"
		"-- RADIUS: the index reads; accounting writes sessions and their events.\n"
		"GRANT SELECT ON " READ_TABLES ", sessions TO byod_radius;\n"
		"GRANT INSERT, UPDATE ON %s.sessions TO byod_radius;\n"
		"GRANT INSERT ON %s.events TO byod_radius;\n"
		"GRANT UPDATE ON %s.events_head TO byod_radius;\n"
		"GRANT USAGE ON SEQUENCE %s.sessions_id_seq TO byod_radius;\n"
		"-- the first sighting of a renewed certificate revokes the one it\n"
		"-- replaces (reg_cert_seen), audited: first_seen only; the revocation\n"
		"-- through cert_supersede(), which can do nothing else.\n"
		"GRANT UPDATE (first_seen) ON %s.certificates TO byod_radius;\n"
		"GRANT EXECUTE ON FUNCTION %s.cert_supersede(text, text, bigint) "
		"TO byod_radius, byod_admin;\n"
		"GRANT INSERT, SELECT (id) ON %s.audit TO byod_radius;\n"
		"GRANT USAGE ON SEQUENCE %s.audit_id_seq TO byod_radius;\n"
		"-- and its decision counts and heartbeat, for the console.\n"
		"GRANT SELECT, INSERT, UPDATE ON decision_counts, heartbeats TO byod_radius;\n"
		"\n"
		"-- the gateway: reads; writes sessions, and the audit rows of its\n"
		"-- Disconnects.\n"
		"GRANT SELECT ON " READ_TABLES ", sessions TO byod_gateway;\n"
		"GRANT INSERT, UPDATE ON %s.sessions TO byod_gateway;\n"
		"GRANT INSERT, SELECT (id) ON %s.audit TO byod_gateway;\n"
		"GRANT USAGE ON SEQUENCE %s.audit_id_seq TO byod_gateway;\n"
		"GRANT INSERT ON %s.events TO byod_gateway;\n"
		"GRANT UPDATE ON %s.events_head TO byod_gateway;\n"
		"GRANT USAGE ON SEQUENCE %s.sessions_id_seq TO byod_gateway;\n"
		"GRANT SELECT, INSERT, UPDATE ON heartbeats TO byod_gateway;\n"
		"\n"
		"-- the portal: enrolment and its own shared state.\n"
		"GRANT SELECT ON " READ_TABLES ", " PORTAL_TABLES " TO byod_portal;\n"
		"GRANT INSERT, UPDATE ON %s.people, %s.devices, %s.certificates, %s.counters "
		"TO byod_portal;\n"
		"GRANT INSERT ON %s.audit, %s.events TO byod_portal;\n"
		"-- a teacher opens and closes their class from the portal\n"
		"GRANT INSERT, UPDATE ON %s.unlocks TO byod_portal;\n"
		"GRANT SELECT (id) ON %s.audit TO byod_portal;\n"
		"GRANT UPDATE ON %s.events_head TO byod_portal;\n"
		"GRANT INSERT, UPDATE, DELETE ON " PORTAL_TABLES " TO byod_portal;\n"
		"GRANT USAGE ON ALL SEQUENCES IN SCHEMA %s TO byod_portal;\n"
		"\n"
		"-- byodctl: everything.\n"
		"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %s TO byod_admin;\n"
		"GRANT USAGE ON ALL SEQUENCES IN SCHEMA %s TO byod_admin;\n"
		"-- byodctl doctor reads the standbys' lag (pg_stat_replication, the WAL\n"
		"-- positions): pg_monitor, when this role may give it (a superuser, or\n"
		"-- its admin); otherwise doctor shows the lag as unknown.\n"
		"DO $$ BEGIN\n"
		"  IF pg_has_role(current_user, 'pg_monitor', 'MEMBER WITH ADMIN OPTION') THEN\n"
		"    GRANT pg_monitor TO byod_admin; END IF;\n"
		"END $$;\n"
		"COMMIT;\n",
		s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s,
		s, s);
	return n < 0 ? -ENOMEM : 0;
}

int reg_roles_sql(struct reg *reg, int apply, char **out, struct byod_err *err)
{
	struct pg_db *db;
	cleanup_pgres PGresult *r = NULL;
	char schema[128], *sql = NULL;
	int rc;

	if (out)
		*out = NULL;
	if (OPS(reg) != &reg_postgres_ops)
		return byod_err_set(err, ENOTSUP,
				    "the registry is an SQLite file: PostgreSQL roles apply only "
				    "to a registry.url postgresql://...");
	db = PG(reg->be);
	rc = pg_exec(db, &r, err, "reading the registry's schema",
		     "SELECT quote_ident(current_schema())", 0, NULL);
	if (rc)
		return rc;
	pg_get_text(r, 0, 0, schema, sizeof(schema));
	if (roles_sql(schema, &sql))
		return byod_err_set(err, ENOMEM, "out of memory");
	/* The text is one transaction: all the roles' rights or none. */
	if (apply) {
		rc = pg_script(db, err, "creating the registry's roles", sql);
		if (rc && PQstatus(db->conn) == CONNECTION_OK &&
		    PQtransactionStatus(db->conn) != PQTRANS_IDLE)
			PQclear(PQexec(db->conn, "ROLLBACK"));
	}
	if (!rc && out)
		*out = sql;
	else
		free(sql);
	return rc;
}
