/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared by the files of the PostgreSQL backend: postgres.c (connection,
 * migrations, transactions, the registry's own tables, the change feed),
 * postgres_session.c (RADIUS accounting sessions) and postgres_web.c (the
 * portal's web sessions, form tokens, downloads, throttling, enrolment
 * codes and keys). Not part of any interface.
 *
 * Every value goes to the server as a text parameter of PQexecParams
 * (never spliced into SQL); times are bigint seconds since the epoch, as in
 * SQLite, and tables and columns carry SQLite's names (postgres.c's
 * migration 1 holds the whole schema).
 */
#ifndef BYOD_REGISTRY_PG_INT_H
#define BYOD_REGISTRY_PG_INT_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "backend.h"

struct pg_db {
	struct reg_db base;
	PGconn *conn;
	char *conninfo;	  /* as given; may hold a password: never in a message */
	char where[256];  /* "host:port[,host:port...]/dbname" for messages, without credentials */
	int in_tx;	  /* this backend issued BEGIN and has not ended it */
	int tx_read_only; /* the open transaction is READ ONLY (begin_with) */
	int commit_unknown; /* the last COMMIT was sent and its answer lost */
	int listening;	  /* LISTEN byod_feed was issued on this connection */
	int busy_ms;	  /* lock_timeout */
	unsigned cursors; /* numbers this connection's list cursors */
	char schema[128]; /* current_schema(): the feed's notifications carry it */
	unsigned long connections; /* sessions set up: the first, then each reconnection */
	int read_only;	  /* opened by reg_open_home_read: may be a standby's */
	int reset_wanted; /* a writer met a server that is read-only now (a demoted
			   * primary): the next statement outside a transaction
			   * connects again, to whichever host is the primary */
	int polling;	  /* LISTEN was refused (a standby): feed_wait sleeps instead */
	long long listen_tried_ms; /* CLOCK_MONOTONIC of the last refused LISTEN */
	char last_state[6]; /* SQLSTATE of the last failed statement, "" when none */
};

#define PG(be) reg_db_of(be, struct pg_db, base)

/*
 * Runs sql with nparams text parameters (a NULL element is SQL NULL). On
 * success *res holds the result (PGRES_TUPLES_OK or PGRES_COMMAND_OK), which
 * the caller frees with PQclear. On failure *res is NULL and a negative
 * errno is returned with err holding one sentence naming what (e.g.
 * "reading device 1234"): unique violation -> -EEXIST, foreign key ->
 * -ENOENT, check or not-null -> -EINVAL, insufficient privilege -> -EACCES,
 * serialization failure, deadlock, lock timeout -> -EBUSY, the connection
 * lost or the server shutting down -> -ENOTCONN, anything else -> -EIO.
 */
int pg_exec(struct pg_db *db, PGresult **res, struct byod_err *err, const char *what,
	    const char *sql, int nparams, const char *const *params);
/* The same for statements without rows; *changes (may be NULL) gets the
 * number of rows the statement changed (PQcmdTuples). */
int pg_command(struct pg_db *db, int *changes, struct byod_err *err, const char *what,
	       const char *sql, int nparams, const char *const *params);

/* Runs several statements without parameters (migrations, GRANTs); errors
 * as pg_exec. */
int pg_script(struct pg_db *db, struct byod_err *err, const char *what, const char *sql);

/* v as decimal text into buf. */
void pg_i64(char buf[24], int64_t v);
/* The value at (row, col) as an int64_t; NULL reads as 0. */
int64_t pg_get_i64(const PGresult *r, int row, int col);
/* The text at (row, col) into out (truncated to size); NULL reads as "". */
void pg_get_text(const PGresult *r, int row, int col, char *out, size_t size);

/* Parses conninfo (a postgresql:// URL or key=value pairs) without
 * connecting: 0 with "host:port/dbname" in where (may be NULL), or -EINVAL
 * with one sentence that does not repeat a password. */
int pg_conninfo_check(const char *conninfo, char *where, size_t size, struct byod_err *err);

/* Frees a result at the end of its scope: cleanup_pgres PGresult *r = NULL; */
void pg_res_freep(PGresult **r);
#define cleanup_pgres __attribute__((cleanup(pg_res_freep)))

/* Exactly one row expected: -ENOENT with a sentence when there is none;
 * otherwise as pg_exec. */
int pg_one(struct pg_db *db, PGresult **res, struct byod_err *err, const char *what,
	   const char *sql, int nparams, const char *const *params);
/* Calls row(res, i, arg) for each row of sql, read through a cursor a batch
 * at a time (lists of a million rows), in a read-only transaction of its own
 * when none is open. A non-zero return from row stops and is returned.
 * row may read through the same connection (a batch is whole before row
 * sees it) but not begin or commit a transaction. */
int pg_each(struct pg_db *db, const char *what, const char *sql, int nparams,
	    const char *const *params, int (*row)(const PGresult *, int, void *), void *arg,
	    struct byod_err *err);
/* The same for a short list, in one result. */
int pg_rows(struct pg_db *db, const char *what, const char *sql, int nparams,
	    const char *const *params, int (*row)(const PGresult *, int, void *), void *arg,
	    struct byod_err *err);

/* postgres_schema.c: the migrations, pg_migrations[i] taking the schema
 * from version i to i + 1; append one, raise this by one. */
#define PG_NEWEST_VERSION 11
extern const char *const pg_migrations[];

/* postgres_ha.c: reg_ha_status's backend operation. */
int pg_ha_status(struct reg_db *be, struct reg_ha_status *out, struct byod_err *err);

/* postgres_tables.c: the operations of the backend table it implements. */
int pg_school_insert(struct reg_db *be, const struct reg_school *sc, struct byod_err *err);
int pg_school_get(struct reg_db *be, const char *uai, struct reg_school *out, struct byod_err *err);
int pg_person_insert(struct reg_db *be, struct reg_person *p, struct byod_err *err);
int pg_person_get(struct reg_db *be, const char *login, struct reg_person *out,
		  struct byod_err *err);
int pg_person_get_by_id(struct reg_db *be, int64_t id, struct reg_person *out,
			struct byod_err *err);
int pg_person_update(struct reg_db *be, const struct reg_person *p, struct byod_err *err);
int pg_person_list(struct reg_db *be, reg_person_cb cb, void *ctx, struct byod_err *err);
int pg_person_list_school(struct reg_db *be, const char *school, reg_person_cb cb, void *ctx,
			  struct byod_err *err);
int pg_person_list_source(struct reg_db *be, const char *source, const char *school,
			  reg_person_cb cb, void *ctx, struct byod_err *err);
int pg_device_insert(struct reg_db *be, const struct reg_device *d, struct byod_err *err);
int pg_device_get(struct reg_db *be, const char *id, struct reg_device *out, struct byod_err *err);
int pg_device_update(struct reg_db *be, const struct reg_device *d, struct byod_err *err);
int pg_device_list(struct reg_db *be, const struct reg_device_filter *filter, reg_device_cb cb,
		   void *ctx, struct byod_err *err);
int pg_device_count_since(struct reg_db *be, int64_t owner, time_t since, int *n,
			  struct byod_err *err);
int pg_device_count_live(struct reg_db *be, int64_t owner, int *n, struct byod_err *err);
int pg_device_find_by_serial(struct reg_db *be, const char *serial, struct reg_device *out,
			     struct byod_err *err);
int pg_device_find_by_mac(struct reg_db *be, const char *mac, struct reg_device *out,
			  struct byod_err *err);
int pg_cert_insert(struct reg_db *be, const struct reg_cert *c, struct byod_err *err);
int pg_cert_get(struct reg_db *be, const char *serial, struct reg_cert *out, struct byod_err *err);
int pg_cert_update(struct reg_db *be, const struct reg_cert *c, struct byod_err *err);
int pg_cert_list_for_device(struct reg_db *be, const char *device, reg_cert_cb cb, void *ctx,
			    struct byod_err *err);
int pg_cert_list(struct reg_db *be, reg_cert_cb cb, void *ctx, struct byod_err *err);
int pg_cert_list_revoked(struct reg_db *be, reg_cert_cb cb, void *ctx, struct byod_err *err);
int pg_counter_next(struct reg_db *be, const char *name, int64_t *value, struct byod_err *err);
int pg_audit_insert(struct reg_db *be, struct reg_audit *a, struct byod_err *err);
int pg_audit_list_after(struct reg_db *be, int64_t after, reg_audit_cb cb, void *ctx,
		       struct byod_err *err);
int pg_school_list(struct reg_db *be, reg_school_cb cb, void *ctx, struct byod_err *err);
int pg_counter_list(struct reg_db *be, reg_counter_cb cb, void *ctx, struct byod_err *err);
int pg_counter_raise(struct reg_db *be, const char *name, int64_t value, struct byod_err *err);
int pg_audit_list(struct reg_db *be, int limit, reg_audit_cb cb, void *ctx, struct byod_err *err);
int pg_policy_insert(struct reg_db *be, struct reg_policy *p, struct byod_err *err);
int pg_policy_get(struct reg_db *be, int64_t version, struct reg_policy *out, struct byod_err *err);
int pg_policy_list(struct reg_db *be, reg_policy_cb cb, void *ctx, struct byod_err *err);
int pg_policy_newest(struct reg_db *be, const char *school, struct reg_policy *out,
		     struct byod_err *err);
int pg_policy_lock(struct reg_db *be, struct byod_err *err);
int pg_policy_list_school(struct reg_db *be, const char *school, reg_policy_cb cb, void *ctx,
			  struct byod_err *err);

/* postgres_renew.c: a renewed certificate's first sighting. */
int pg_cert_supersede(struct reg_db *be, const char *old, const char *by, time_t when, int *done,
		      struct byod_err *err);
int pg_device_lock(struct reg_db *be, const char *id, struct byod_err *err);
int pg_cert_set_seen(struct reg_db *be, const char *serial, time_t when, int *set,
		     struct byod_err *err);

/* postgres_unlock.c: teacher unlocks. */
int pg_unlock_insert(struct reg_db *be, struct reg_unlock *u, struct byod_err *err);
int pg_unlock_get(struct reg_db *be, int64_t id, struct reg_unlock *out, struct byod_err *err);
int pg_unlock_set_ended(struct reg_db *be, int64_t id, time_t ended, struct byod_err *err);
int pg_unlock_list_active(struct reg_db *be, const char *school, time_t now,
			  int (*cb)(const struct reg_unlock *, void *), void *ctx,
			  struct byod_err *err);

/* The columns of a device as pg_read_device reads them (postgres_tables.c):
 * its owner's login and school from people p. */
#define PG_DEVICE_SELECT                                                                           \
	"SELECT d.id, d.owner, p.login, d.name, d.kind, d.mac, d.state, d.charter, d.created, "    \
	"d.expires, p.school FROM devices d JOIN people p ON p.id = d.owner "
#define PG_PERSON_COLUMNS                                                                          \
	"id, login, display_name, role, school, \"groups\", password_hash, state, created, "    \
	"leaves_at, disabled_at, source"
#define PG_AUDIT_COLUMNS "id, time, actor, action, object, before_json, after_json, school"
int pg_read_person(const PGresult *r, int i, struct reg_person *p);
int pg_read_device(const PGresult *r, int i, struct reg_device *d);
/* Calls cb with the audit row i of r (columns PG_AUDIT_COLUMNS). */
int pg_visit_audit(const PGresult *r, int i, reg_audit_cb cb, void *ctx);

/* postgres_admin.c: the console's administrators and scoped searches. */
int pg_admin_insert(struct reg_db *be, struct reg_admin *a, struct byod_err *err);
int pg_admin_get(struct reg_db *be, const char *login, struct reg_admin *out,
		 struct byod_err *err);
int pg_admin_get_by_id(struct reg_db *be, int64_t id, struct reg_admin *out,
		       struct byod_err *err);
int pg_admin_update(struct reg_db *be, const struct reg_admin *a, struct byod_err *err);
int pg_admin_list(struct reg_db *be, reg_admin_cb cb, void *ctx, struct byod_err *err);
int pg_admin_totp_step(struct reg_db *be, const char *login, int64_t step, int *changes,
		       struct byod_err *err);
int pg_admin_session_insert(struct reg_db *be, const struct reg_admin_session *as,
			    struct byod_err *err);
int pg_admin_session_get(struct reg_db *be, const char *id_hash, struct reg_admin_session *out,
			 struct byod_err *err);
int pg_admin_session_touch(struct reg_db *be, const char *id_hash, time_t seen, int *changes,
			   struct byod_err *err);
int pg_admin_session_set_mfa(struct reg_db *be, const char *id_hash, int *changes,
			     struct byod_err *err);
int pg_admin_session_delete(struct reg_db *be, const char *id_hash, int *changes,
			    struct byod_err *err);
int pg_admin_session_delete_admin(struct reg_db *be, int64_t admin, int *changes,
				  struct byod_err *err);
int pg_admin_session_purge(struct reg_db *be, time_t now, time_t idle_before,
			   time_t created_before, int *deleted, struct byod_err *err);
int pg_admin_token_insert(struct reg_db *be, const struct reg_admin_token *t,
			  struct byod_err *err);
int pg_admin_token_get(struct reg_db *be, const char *id_hash, struct reg_admin_token *out,
		       struct byod_err *err);
int pg_admin_token_list(struct reg_db *be, int64_t admin, reg_admin_token_cb cb, void *ctx,
			struct byod_err *err);
int pg_admin_token_delete(struct reg_db *be, const char *id_hash, int *changes,
			  struct byod_err *err);
int pg_admin_token_touch(struct reg_db *be, const char *id_hash, time_t when, int *changes,
			 struct byod_err *err);
int pg_school_list_scoped(struct reg_db *be, const char *scope, reg_school_cb cb, void *ctx,
			  struct byod_err *err);
int pg_device_search(struct reg_db *be, const struct reg_search *q, reg_device_cb cb, void *ctx,
		     int *total, struct byod_err *err);
int pg_device_get_scoped(struct reg_db *be, const char *scope, const char *id, const char *serial,
			 struct reg_device *out, struct byod_err *err);
int pg_person_search(struct reg_db *be, const struct reg_search *q, reg_person_cb cb, void *ctx,
		     int *total, struct byod_err *err);
int pg_person_get_scoped(struct reg_db *be, const char *scope, const char *login,
			 struct reg_person *out, struct byod_err *err);
int pg_audit_search(struct reg_db *be, const char *scope, const struct reg_audit_filter *f,
		    const char *action_like, reg_audit_cb cb, void *ctx, struct byod_err *err);

/* postgres_session.c: the operations of the backend table it implements. */
int pg_session_find(struct reg_db *be, const char *session_id, const char *nas_ip,
		    const char *nas_id, struct reg_session *out, struct byod_err *err);
int pg_session_insert(struct reg_db *be, struct reg_session *ss, struct byod_err *err);
int pg_session_update(struct reg_db *be, const struct reg_session *ss, struct byod_err *err);
int pg_session_get(struct reg_db *be, int64_t id, struct reg_session *out, struct byod_err *err);
int pg_session_list(struct reg_db *be, int open_only, const char *device,
		    int (*cb)(const struct reg_session *, void *), void *ctx, struct byod_err *err);
int pg_session_list_school(struct reg_db *be, int open_only, const char *school,
			   int (*cb)(const struct reg_session *, void *), void *ctx,
			   struct byod_err *err);
int pg_session_purge(struct reg_db *be, time_t before, int *deleted, struct byod_err *err);

/* postgres_web.c: the operations of the backend table it implements. */
int pg_web_session_insert(struct reg_db *be, const struct reg_web_session *ws,
			  struct byod_err *err);
int pg_web_session_get(struct reg_db *be, const char *id_hash, struct reg_web_session *out,
		       struct byod_err *err);
int pg_web_session_touch(struct reg_db *be, const char *id_hash, time_t seen, int *changes,
			 struct byod_err *err);
int pg_web_session_delete(struct reg_db *be, const char *id_hash, int *changes,
			  struct byod_err *err);
int pg_web_session_delete_person(struct reg_db *be, int64_t person, int *changes,
				 struct byod_err *err);
int pg_web_session_mark_enrolled(struct reg_db *be, const char *id_hash, int enrolled, int *changes,
				 struct byod_err *err);
int pg_web_key_get(struct reg_db *be, const char *name, const char *candidate, time_t now,
		   char out[65], struct byod_err *err);
int pg_web_form_insert(struct reg_db *be, const char *session_hash, const char *token_hash,
		       time_t expires, struct byod_err *err);
int pg_web_form_use(struct reg_db *be, const char *session_hash, const char *token_hash, time_t now,
		    int *changes, struct byod_err *err);
int pg_download_insert(struct reg_db *be, const struct reg_download *d, struct byod_err *err);
int pg_download_get(struct reg_db *be, const char *token_hash, struct reg_download *out,
		    struct byod_err *err);
int pg_download_delete(struct reg_db *be, const char *token_hash, int *changes,
		       struct byod_err *err);
int pg_throttle_get(struct reg_db *be, const char *key, struct reg_throttle *out,
		    struct byod_err *err);
int pg_throttle_lock(struct reg_db *be, const char *key, struct reg_throttle *out,
		     struct byod_err *err);
int pg_throttle_put(struct reg_db *be, const struct reg_throttle *t, struct byod_err *err);
int pg_throttle_delete(struct reg_db *be, const char *key, struct byod_err *err);
/* postgres_leaving.c */
int pg_person_list_leaving(struct reg_db *be, time_t now, reg_person_cb cb, void *ctx,
			   struct byod_err *err);
/* postgres_people.c */
int pg_throttle_list_prefix(struct reg_db *be, const char *prefix,
			    int (*cb)(const struct reg_throttle *, void *), void *ctx,
			    struct byod_err *err);
int pg_throttle_delete_prefix(struct reg_db *be, const char *prefix, int *changes,
			      struct byod_err *err);
int pg_web_purge(struct reg_db *be, time_t now, time_t idle_before, time_t created_before,
		 time_t forget_before, int *deleted, struct byod_err *err);
int pg_enrol_code_insert(struct reg_db *be, const char *code_hash, int64_t person, time_t created,
			 time_t expires, struct byod_err *err);
int pg_enrol_code_use(struct reg_db *be, const char *code_hash, time_t now, int *changes,
		      struct byod_err *err);
int pg_enrol_code_get(struct reg_db *be, const char *code_hash, time_t now, int64_t *person,
		      struct byod_err *err);

/* postgres_stats.c: decision counts and heartbeats. */
int pg_decision_add(struct reg_db *be, const struct reg_decision_count *r, struct byod_err *err);
int pg_decision_list(struct reg_db *be, const char *schools, const char *school, time_t from,
		     time_t to, int (*cb)(const struct reg_decision_count *, void *), void *ctx,
		     struct byod_err *err);
int pg_decision_purge(struct reg_db *be, time_t before, int *changes, struct byod_err *err);
int pg_heartbeat_put(struct reg_db *be, const struct reg_heartbeat *hb, struct byod_err *err);
int pg_heartbeat_list(struct reg_db *be, const char *schools,
		      int (*cb)(const struct reg_heartbeat *, void *), void *ctx,
		      struct byod_err *err);

/* postgres_dashboard.c: the dashboard's figures. */
int pg_stats_schools(struct reg_db *be, const char *school,
		     int (*cb)(const struct reg_school_stats *, void *), void *ctx,
		     struct byod_err *err);
int pg_stats_enrolments(struct reg_db *be, const char *school, time_t from, time_t to,
			int (*cb)(const struct reg_stats_hour *, void *), void *ctx,
			struct byod_err *err);
int pg_stats_certs_expiring(struct reg_db *be, const char *school, time_t from, time_t to,
			    int (*cb)(const struct reg_cert_expiry *, void *), void *ctx,
			    struct byod_err *err);
int pg_stats_nas(struct reg_db *be, const char *school, time_t since,
		 int (*cb)(const struct reg_nas_seen *, void *), void *ctx, struct byod_err *err);


/* postgres_retention.c: retention, the requisition, a person's rights. */
struct json_t;
int pg_exec_write(struct reg_db *be, const char *what, const char *sql, int nparams,
		  const char *const *params, int *changes, struct byod_err *err);
int pg_rows_json(struct reg_db *be, const char *what, const char *sql, int nparams,
		 const char *const *params, struct json_t *array, struct byod_err *err);
int pg_connection_find(struct reg_db *be, const char *ip, const char *mac, time_t at,
		       int (*cb)(const struct reg_connection *, void *), void *ctx,
		       struct byod_err *err);
/* geteduroam's OAuth (postgres_oauth.c). */
int pg_oauth_code_insert(struct reg_db *be, const struct reg_oauth_code *c, struct byod_err *err);
int pg_oauth_code_get(struct reg_db *be, const char *code_hash, struct reg_oauth_code *out,
		      struct byod_err *err);
int pg_oauth_code_use(struct reg_db *be, const char *code_hash, time_t now, int64_t grant,
		      int *changes, struct byod_err *err);
int pg_oauth_grant_insert(struct reg_db *be, struct reg_oauth_grant *g, struct byod_err *err);
int pg_oauth_grant_get(struct reg_db *be, int64_t id, struct reg_oauth_grant *out,
		       struct byod_err *err);
int pg_oauth_grant_set_device(struct reg_db *be, int64_t id, const char *device, int *changes,
			      struct byod_err *err);
int pg_oauth_grant_revoke(struct reg_db *be, int64_t id, time_t now, struct byod_err *err);
int pg_oauth_device_drop(struct reg_db *be, const char *device, time_t now, int *changes,
			 struct byod_err *err);
int pg_oauth_token_insert(struct reg_db *be, const struct reg_oauth_token *t, struct byod_err *err);
int pg_oauth_token_get(struct reg_db *be, const char *token_hash, struct reg_oauth_token *out,
		       struct byod_err *err);
int pg_oauth_token_use(struct reg_db *be, const char *token_hash, time_t now, int *changes,
		       struct byod_err *err);
int pg_oauth_request_put(struct reg_db *be, const char *id_hash, const char *data,
			 time_t created, time_t expires, struct byod_err *err);
int pg_oauth_request_get(struct reg_db *be, const char *id_hash, char **data, time_t *expires,
			 struct byod_err *err);
int pg_oauth_request_delete(struct reg_db *be, const char *id_hash, struct byod_err *err);
int pg_oauth_purge(struct reg_db *be, time_t before, int *deleted, struct byod_err *err);

/* postgres_once.c: single-use keys. */
int pg_once_put(struct reg_db *be, const char *key, const char *data, time_t now, time_t expires,
		int *changes, struct byod_err *err);
int pg_once_take(struct reg_db *be, const char *key, time_t now, char **data,
		 struct byod_err *err);
int pg_once_purge(struct reg_db *be, time_t now, int *deleted, struct byod_err *err);

#endif /* BYOD_REGISTRY_PG_INT_H */
