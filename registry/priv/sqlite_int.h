/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared by the files of the SQLite backend: sqlite.c (opening,
 * transactions, statements, the change feed), sqlite_tables.c (the
 * registry's own tables), sqlite_session.c (sessions: RADIUS accounting,
 * and the portal's web sessions, one-time tokens, throttling and enrolment
 * codes) and the others. Not part of any interface.
 */
#ifndef BYOD_REGISTRY_SQLITE_INT_H
#define BYOD_REGISTRY_SQLITE_INT_H

#include <sqlite3.h>

#include "backend.h"

struct sq {
	struct reg_db base;
	sqlite3 *db;
	char *path;
	int busy_ms;
	int in_tx; /* this backend issued BEGIN and has not ended it */
	/* PRAGMA data_version when the last feed wait returned (feed_seen:
	 * taken once): it moves when another connection commits; feed_own:
	 * this connection's own changes then (sqlite3_total_changes64) */
	int64_t feed_version, feed_own;
	int feed_seen;
	/* the feed wait's PRAGMA data_version, prepared once and kept (reset
	 * after each step, so that it holds no read transaction open) */
	sqlite3_stmt *feed_st;
	/* the feed wait's watch (sqlite_feed.c): feed_watch 0 until the first
	 * wait, 1 while the inotify descriptor feed_fd watches the database's
	 * directory for writes to feed_name (the file a commit writes: the
	 * -wal file), -1 where the wait polls instead; feed_checked: when
	 * data_version was last asked, feed_write: when the watch last saw
	 * feed_name written (CLOCK_MONOTONIC ms) */
	int feed_watch, feed_fd;
	char *feed_name;
	int64_t feed_checked, feed_write;
	/* feed_pending: a write seen in the last second, data_version asked
	 * again at feed_next; feed_retry: when a watch that could not be made
	 * is tried again */
	int feed_pending;
	int64_t feed_next;
	int64_t feed_retry;
};

static inline struct sq *sq_of(struct reg_db *be)
{
	return reg_db_of(be, struct sq, base);
}

/* sqlite_feed.c: the change-feed wait (the ops table's feed_wait), and
 * what sq_close calls to drop its watch. */
int sq_feed_wait(struct reg_db *be, int timeout_ms, struct byod_err *err);
void sq_feed_close(struct sq *s);

/* Maps an SQLite result code to a negative errno and a sentence in err. */
int sq_fail(struct sq *s, int src, const char *doing, struct byod_err *err);

void stmt_freep(sqlite3_stmt **st);
#define cleanup_stmt __attribute__((cleanup(stmt_freep)))

/* Prepares sql and binds the arguments that follow, one per letter of
 * types (see sqlite.c). */
int sq_prepare(struct sq *s, sqlite3_stmt **st, struct byod_err *err, const char *sql,
	       const char *types, ...);
/* Runs a prepared write to its end; *changes (may be NULL) gets the rows changed. */
int sq_run(struct sq *s, sqlite3_stmt *st, int *changes, const char *doing, struct byod_err *err);
/* One row expected: 0 with the row current, -ENOENT when there is none. */
int sq_one(struct sq *s, sqlite3_stmt *st, const char *doing, struct byod_err *err);
/* Calls row(st, arg) for each row; its non-zero return stops and is returned. */
int sq_each(struct sq *s, sqlite3_stmt *st, int (*row)(sqlite3_stmt *, void *), void *arg,
	    const char *doing, struct byod_err *err);
void col_text(sqlite3_stmt *st, int i, char *out, size_t len);

/* sqlite_ha.c: reg_ha_status's backend operation. */
int sq_ha_status(struct reg_db *be, struct reg_ha_status *out, struct byod_err *err);

/* The columns of a device as sq_read_device reads them (sqlite_tables.c):
 * its owner's login and school from people p. */
#define SQ_DEVICE_SELECT                                                                           \
	"SELECT d.id, d.owner, p.login, d.name, d.kind, d.mac, d.state, d.charter, d.created, "    \
	"d.expires, p.school FROM devices d JOIN people p ON p.id = d.owner "
#define SQ_PERSON_COLUMNS                                                                          \
	"id, login, display_name, role, school, \"groups\", password_hash, state, created, "    \
	"leaves_at, disabled_at, source"
#define SQ_AUDIT_COLUMNS "id, time, actor, action, object, before_json, after_json, school"
int sq_read_person(sqlite3_stmt *st, struct reg_person *p);
int sq_read_device(sqlite3_stmt *st, struct reg_device *d);
/* Calls cb with the audit row st is on (columns SQ_AUDIT_COLUMNS). */
int sq_visit_audit(sqlite3_stmt *st, reg_audit_cb cb, void *ctx);

/* sqlite_admin.c: the console's administrators and scoped searches. */

/* sqlite_admin.c: the console's administrators and scoped searches. */
int sq_admin_insert(struct reg_db *be, struct reg_admin *a, struct byod_err *err);
int sq_admin_get(struct reg_db *be, const char *login, struct reg_admin *out,
			struct byod_err *err);
int sq_admin_get_by_id(struct reg_db *be, int64_t id, struct reg_admin *out,
			      struct byod_err *err);
int sq_admin_update(struct reg_db *be, const struct reg_admin *a, struct byod_err *err);
int sq_admin_list(struct reg_db *be, reg_admin_cb cb, void *ctx, struct byod_err *err);
int sq_admin_totp_step(struct reg_db *be, const char *login, int64_t step, int *changes,
			      struct byod_err *err);
int sq_admin_session_insert(struct reg_db *be, const struct reg_admin_session *as,
				   struct byod_err *err);
int sq_admin_session_get(struct reg_db *be, const char *id_hash,
				struct reg_admin_session *out, struct byod_err *err);
int sq_admin_session_touch(struct reg_db *be, const char *id_hash, time_t seen,
				  int *changes, struct byod_err *err);
int sq_admin_session_set_mfa(struct reg_db *be, const char *id_hash, int *changes,
				    struct byod_err *err);
int sq_admin_session_delete(struct reg_db *be, const char *id_hash, int *changes,
				   struct byod_err *err);
int sq_admin_session_delete_admin(struct reg_db *be, int64_t admin, int *changes,
					 struct byod_err *err);
int sq_admin_session_purge(struct reg_db *be, time_t now, time_t idle_before,
				  time_t created_before, int *deleted, struct byod_err *err);
int sq_admin_token_insert(struct reg_db *be, const struct reg_admin_token *t,
				 struct byod_err *err);
int sq_admin_token_get(struct reg_db *be, const char *id_hash, struct reg_admin_token *out,
			      struct byod_err *err);
int sq_admin_token_list(struct reg_db *be, int64_t admin, reg_admin_token_cb cb, void *ctx,
			       struct byod_err *err);
int sq_admin_token_delete(struct reg_db *be, const char *id_hash, int *changes,
				 struct byod_err *err);
int sq_admin_token_touch(struct reg_db *be, const char *id_hash, time_t when, int *changes,
				struct byod_err *err);
int sq_school_list_scoped(struct reg_db *be, const char *scope, reg_school_cb cb, void *ctx,
			  struct byod_err *err);
int sq_device_search(struct reg_db *be, const struct reg_search *q, reg_device_cb cb,
			    void *ctx, int *total, struct byod_err *err);
int sq_device_get_scoped(struct reg_db *be, const char *scope, const char *id,
				const char *serial, struct reg_device *out, struct byod_err *err);
int sq_person_search(struct reg_db *be, const struct reg_search *q, reg_person_cb cb,
			    void *ctx, int *total, struct byod_err *err);
int sq_person_get_scoped(struct reg_db *be, const char *scope, const char *login,
				struct reg_person *out, struct byod_err *err);
int sq_audit_search(struct reg_db *be, const char *scope, const struct reg_audit_filter *f,
			   const char *action_like, reg_audit_cb cb, void *ctx,
			   struct byod_err *err);

/* sqlite_session.c: the operations of the backend table it implements. */
int sq_session_find(struct reg_db *be, const char *session_id, const char *nas_ip,
		    const char *nas_id, struct reg_session *out, struct byod_err *err);
int sq_session_insert(struct reg_db *be, struct reg_session *ss, struct byod_err *err);
int sq_session_update(struct reg_db *be, const struct reg_session *ss, struct byod_err *err);
int sq_session_get(struct reg_db *be, int64_t id, struct reg_session *out, struct byod_err *err);
int sq_session_list(struct reg_db *be, int open_only, const char *device,
		    int (*cb)(const struct reg_session *, void *), void *ctx, struct byod_err *err);
int sq_session_list_school(struct reg_db *be, int open_only, const char *school,
			   int (*cb)(const struct reg_session *, void *), void *ctx,
			   struct byod_err *err);
int sq_session_purge(struct reg_db *be, time_t before, int *deleted, struct byod_err *err);
int sq_web_session_insert(struct reg_db *be, const struct reg_web_session *ws,
			  struct byod_err *err);
int sq_web_session_get(struct reg_db *be, const char *id_hash, struct reg_web_session *out,
		       struct byod_err *err);
int sq_web_session_touch(struct reg_db *be, const char *id_hash, time_t seen, int *changes,
			 struct byod_err *err);
int sq_web_session_delete(struct reg_db *be, const char *id_hash, int *changes,
			  struct byod_err *err);
int sq_web_session_delete_person(struct reg_db *be, int64_t person, int *changes,
				 struct byod_err *err);
int sq_web_session_mark_enrolled(struct reg_db *be, const char *id_hash, int enrolled,
				 int *changes, struct byod_err *err);
int sq_web_key_get(struct reg_db *be, const char *name, const char *candidate, time_t now,
		   char out[65], struct byod_err *err);
int sq_web_form_insert(struct reg_db *be, const char *session_hash, const char *token_hash,
		       time_t expires, struct byod_err *err);
int sq_web_form_use(struct reg_db *be, const char *session_hash, const char *token_hash, time_t now,
		    int *changes, struct byod_err *err);
int sq_download_insert(struct reg_db *be, const struct reg_download *d, struct byod_err *err);
int sq_download_get(struct reg_db *be, const char *token_hash, struct reg_download *out,
		    struct byod_err *err);
int sq_download_delete(struct reg_db *be, const char *token_hash, int *changes,
		       struct byod_err *err);
int sq_throttle_get(struct reg_db *be, const char *key, struct reg_throttle *out,
		    struct byod_err *err);
int sq_throttle_put(struct reg_db *be, const struct reg_throttle *t, struct byod_err *err);
int sq_throttle_delete(struct reg_db *be, const char *key, struct byod_err *err);
/* sqlite_leaving.c */
int sq_person_list_leaving(struct reg_db *be, time_t now, reg_person_cb cb, void *ctx,
			   struct byod_err *err);
/* sqlite_people.c */
int sq_throttle_list_prefix(struct reg_db *be, const char *prefix,
			    int (*cb)(const struct reg_throttle *, void *), void *ctx,
			    struct byod_err *err);
int sq_throttle_delete_prefix(struct reg_db *be, const char *prefix, int *changes,
			      struct byod_err *err);
int sq_web_purge(struct reg_db *be, time_t now, time_t idle_before, time_t created_before,
		 time_t forget_before, int *deleted, struct byod_err *err);
int sq_enrol_code_insert(struct reg_db *be, const char *code_hash, int64_t person, time_t created,
			 time_t expires, struct byod_err *err);
int sq_enrol_code_use(struct reg_db *be, const char *code_hash, time_t now, int *changes,
		      struct byod_err *err);
int sq_enrol_code_get(struct reg_db *be, const char *code_hash, time_t now, int64_t *person,
		      struct byod_err *err);

/* sqlite_renew.c: a renewed certificate's first sighting. */
int sq_cert_supersede(struct reg_db *be, const char *old, const char *by, time_t when, int *done,
		      struct byod_err *err);
int sq_device_lock(struct reg_db *be, const char *id, struct byod_err *err);
int sq_cert_set_seen(struct reg_db *be, const char *serial, time_t when, int *set,
		     struct byod_err *err);

/* sqlite_unlock.c: teacher unlocks. */
int sq_unlock_insert(struct reg_db *be, struct reg_unlock *u, struct byod_err *err);
int sq_unlock_get(struct reg_db *be, int64_t id, struct reg_unlock *out, struct byod_err *err);
int sq_unlock_set_ended(struct reg_db *be, int64_t id, time_t ended, struct byod_err *err);
int sq_unlock_list_active(struct reg_db *be, const char *school, time_t now,
			  int (*cb)(const struct reg_unlock *, void *), void *ctx,
			  struct byod_err *err);

/* sqlite_stats.c: decision counts and heartbeats. */
int sq_decision_add(struct reg_db *be, const struct reg_decision_count *r, struct byod_err *err);
int sq_decision_list(struct reg_db *be, const char *schools, const char *school, time_t from,
		     time_t to, int (*cb)(const struct reg_decision_count *, void *), void *ctx,
		     struct byod_err *err);
int sq_decision_purge(struct reg_db *be, time_t before, int *changes, struct byod_err *err);
int sq_heartbeat_put(struct reg_db *be, const struct reg_heartbeat *hb, struct byod_err *err);
int sq_heartbeat_list(struct reg_db *be, const char *schools,
		      int (*cb)(const struct reg_heartbeat *, void *), void *ctx,
		      struct byod_err *err);

/* sqlite_dashboard.c: the dashboard's figures. */
int sq_stats_schools(struct reg_db *be, const char *school,
		     int (*cb)(const struct reg_school_stats *, void *), void *ctx,
		     struct byod_err *err);
int sq_stats_enrolments(struct reg_db *be, const char *school, time_t from, time_t to,
			int (*cb)(const struct reg_stats_hour *, void *), void *ctx,
			struct byod_err *err);
int sq_stats_certs_expiring(struct reg_db *be, const char *school, time_t from, time_t to,
			    int (*cb)(const struct reg_cert_expiry *, void *), void *ctx,
			    struct byod_err *err);
int sq_stats_nas(struct reg_db *be, const char *school, time_t since,
		 int (*cb)(const struct reg_nas_seen *, void *), void *ctx, struct byod_err *err);

/* The schema (sqlite_schema.c): how many migrations there are, the
 * version a database is at, and its migration to the newest. */
#define SQ_NEWEST_VERSION 16
int sq_read_version(struct sq *s, int *version, struct byod_err *err);
int sq_migrate(struct sq *s, struct byod_err *err);
/* Without migrating: -EPROTO when the schema is newer than this program's (or not ours). */
int sq_check_version(struct sq *s, struct byod_err *err);
/* Transactions (sqlite.c), which the migrations run in. */
int sq_begin(struct reg_db *be, struct byod_err *err);
int sq_commit(struct reg_db *be, struct byod_err *err);
void sq_rollback(struct reg_db *be);

/* sqlite_retention.c: retention, the requisition, a person's rights. */
struct json_t;
int sq_exec_write(struct reg_db *be, const char *what, const char *sql, int nparams,
		  const char *const *params, int *changes, struct byod_err *err);
int sq_rows_json(struct reg_db *be, const char *what, const char *sql, int nparams,
		 const char *const *params, struct json_t *array, struct byod_err *err);
int sq_connection_find(struct reg_db *be, const char *ip, const char *mac, time_t at,
		       int (*cb)(const struct reg_connection *, void *), void *ctx,
		       struct byod_err *err);

/* geteduroam's OAuth (sqlite_oauth.c). */
int sq_oauth_code_insert(struct reg_db *be, const struct reg_oauth_code *c, struct byod_err *err);
int sq_oauth_code_get(struct reg_db *be, const char *code_hash, struct reg_oauth_code *out,
		      struct byod_err *err);
int sq_oauth_code_use(struct reg_db *be, const char *code_hash, time_t now, int64_t grant,
		      int *changes, struct byod_err *err);
int sq_oauth_grant_insert(struct reg_db *be, struct reg_oauth_grant *g, struct byod_err *err);
int sq_oauth_grant_get(struct reg_db *be, int64_t id, struct reg_oauth_grant *out,
		       struct byod_err *err);
int sq_oauth_grant_set_device(struct reg_db *be, int64_t id, const char *device, int *changes,
			      struct byod_err *err);
int sq_oauth_grant_revoke(struct reg_db *be, int64_t id, time_t now, struct byod_err *err);
int sq_oauth_device_drop(struct reg_db *be, const char *device, time_t now, int *changes,
			 struct byod_err *err);
int sq_oauth_token_insert(struct reg_db *be, const struct reg_oauth_token *t, struct byod_err *err);
int sq_oauth_token_get(struct reg_db *be, const char *token_hash, struct reg_oauth_token *out,
		       struct byod_err *err);
int sq_oauth_token_use(struct reg_db *be, const char *token_hash, time_t now, int *changes,
		       struct byod_err *err);
int sq_oauth_request_put(struct reg_db *be, const char *id_hash, const char *data,
			 time_t created, time_t expires, struct byod_err *err);
int sq_oauth_request_get(struct reg_db *be, const char *id_hash, char **data, time_t *expires,
			 struct byod_err *err);
int sq_oauth_request_delete(struct reg_db *be, const char *id_hash, struct byod_err *err);
int sq_oauth_purge(struct reg_db *be, time_t before, int *deleted, struct byod_err *err);

/* sqlite_once.c: single-use keys. */
int sq_once_put(struct reg_db *be, const char *key, const char *data, time_t now, time_t expires,
		int *changes, struct byod_err *err);
int sq_once_take(struct reg_db *be, const char *key, time_t now, char **data,
		 struct byod_err *err);
int sq_once_purge(struct reg_db *be, time_t now, int *deleted, struct byod_err *err);

#endif /* BYOD_REGISTRY_SQLITE_INT_H */
