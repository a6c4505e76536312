/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The private interface between registry.c and a storage backend
 * (sqlite.c today, postgres.c later). registry.c validates every input,
 * counts transaction levels and writes the audit row and the change-feed
 * event; a backend only stores and reads rows, and maps its own errors to
 * negative errno values with a readable sentence in err.
 *
 * Conventions for every operation:
 *  - inputs are already validated and normalised by registry.c (serials in
 *    lowercase hex, MACs as "aa:bb:cc:dd:ee:ff", enums in range);
 *  - 0 or a negative errno: -ENOENT when a row looked up is not there,
 *    -EEXIST for a duplicate key, -EBUSY when the database is locked;
 *  - begin/commit/rollback are called only for the outermost level;
 *  - list operations call cb for each row; a non-zero return from cb stops
 *    the iteration and is returned as is, without touching err.
 */
#ifndef BYOD_REGISTRY_BACKEND_H
#define BYOD_REGISTRY_BACKEND_H

#include "registry.h"

/* Every backend's handle starts with this, so that registry.c holds one
 * pointer type; a backend recovers its own struct with reg_db_of(). */
struct reg_db {
	const struct reg_backend_ops *ops;
};

#define reg_db_of(ptr, type, member)                                                               \
	((type *)(void *)((char *)(ptr) - __builtin_offsetof(type, member)))

typedef int (*reg_school_cb)(const struct reg_school *, void *);
typedef int (*reg_counter_cb)(const char *name, int64_t value, void *);
typedef int (*reg_person_cb)(const struct reg_person *, void *);
typedef int (*reg_device_cb)(const struct reg_device *, void *);
typedef int (*reg_cert_cb)(const struct reg_cert *, void *);
typedef int (*reg_event_cb)(const struct reg_event *, void *);
typedef int (*reg_audit_cb)(const struct reg_audit *, void *);
typedef int (*reg_policy_cb)(const struct reg_policy *, void *);
typedef int (*reg_admin_cb)(const struct reg_admin *, void *);
typedef int (*reg_admin_token_cb)(const struct reg_admin_token *, void *);

/* A scoped search as the backends run it (reg_scope.c fills it): every
 * text validated and normalised. Every condition is one of the query. */
struct reg_search {
	const char *scope;  /* NULL: every school; else space-separated UAIs ("": none) */
	const char *like;   /* "%text%", '\\' escaping % _ and itself; NULL: no text */
	const char *exact;  /* the text (a device id in lowercase, a login); NULL with like */
	const char *mac;    /* the text as a normalised MAC, or NULL */
	const char *serial; /* the text as a normalised serial, or NULL */
	const char *school; /* NULL: the whole scope */
	const char *state;  /* a state's name; NULL: any */
	const char *role;   /* people: a role's name; NULL: any */
	int limit, offset;  /* limit > 0 */
};

struct reg_backend_ops {
	const char *name;
	/* The newest schema version this backend's migrations reach. */
	int newest_version;

	/* Opens, creates when needed and migrates; *out is freed by close. */
	int (*open)(const struct reg_options *opt, struct reg_db **out, struct byod_err *err);
	void (*close)(struct reg_db *be);
	int (*schema_version)(struct reg_db *be, int *version, struct byod_err *err);

	int (*begin)(struct reg_db *be, struct byod_err *err);
	/* The outermost level as a read-only snapshot: every read until
	 * commit/rollback sees the same committed state (SQLite: BEGIN
	 * DEFERRED; PostgreSQL: REPEATABLE READ READ ONLY). */
	int (*begin_read)(struct reg_db *be, struct byod_err *err);
	int (*commit)(struct reg_db *be, struct byod_err *err);
	/* 1 when the last commit failed after COMMIT reached the wire: the
	 * server may have written the transaction or not. NULL: never (a
	 * backend whose commit either happens or does not, as SQLite's). */
	int (*commit_outcome_unknown)(const struct reg_db *be);
	void (*rollback)(struct reg_db *be);

	int (*school_insert)(struct reg_db *be, const struct reg_school *s, struct byod_err *err);
	int (*school_get)(struct reg_db *be, const char *uai, struct reg_school *out,
			  struct byod_err *err);
	/* By uai. */
	int (*school_list)(struct reg_db *be, reg_school_cb cb, void *ctx, struct byod_err *err);

	/* Sets p->id. */
	int (*person_insert)(struct reg_db *be, struct reg_person *p, struct byod_err *err);
	int (*person_get)(struct reg_db *be, const char *login, struct reg_person *out,
			  struct byod_err *err);
	int (*person_get_by_id)(struct reg_db *be, int64_t id, struct reg_person *out,
				struct byod_err *err);
	/* Rewrites every field but id, login and created of the row p->id. */
	int (*person_update)(struct reg_db *be, const struct reg_person *p, struct byod_err *err);
	int (*person_list)(struct reg_db *be, reg_person_cb cb, void *ctx, struct byod_err *err);
	/* By login, people.school = school. */
	int (*person_list_school)(struct reg_db *be, const char *school, reg_person_cb cb,
				  void *ctx, struct byod_err *err);
	/* By login, people.source = source and, school not NULL,
	 * people.school = school. */
	int (*person_list_source)(struct reg_db *be, const char *source, const char *school,
				  reg_person_cb cb, void *ctx, struct byod_err *err);
	/* Active people with 0 < leaves_at <= now, by login. */
	int (*person_list_leaving)(struct reg_db *be, time_t now, reg_person_cb cb, void *ctx,
				   struct byod_err *err);

	/* Reads fill owner_login. */
	int (*device_insert)(struct reg_db *be, const struct reg_device *d, struct byod_err *err);
	int (*device_get)(struct reg_db *be, const char *id, struct reg_device *out,
			  struct byod_err *err);
	/* Rewrites every field but id, owner and created of the row d->id. */
	int (*device_update)(struct reg_db *be, const struct reg_device *d, struct byod_err *err);
	int (*device_list)(struct reg_db *be, const struct reg_device_filter *filter,
			   reg_device_cb cb, void *ctx, struct byod_err *err);
	int (*device_count_since)(struct reg_db *be, int64_t owner, time_t since, int *count,
				  struct byod_err *err);
	int (*device_count_live)(struct reg_db *be, int64_t owner, int *count,
				 struct byod_err *err);
	int (*device_find_by_serial)(struct reg_db *be, const char *serial, struct reg_device *out,
				     struct byod_err *err);
	/* Several devices may have carried one MAC: the live one, else the newest. */
	int (*device_find_by_mac)(struct reg_db *be, const char *mac, struct reg_device *out,
				  struct byod_err *err);

	int (*cert_insert)(struct reg_db *be, const struct reg_cert *c, struct byod_err *err);
	int (*cert_get)(struct reg_db *be, const char *serial, struct reg_cert *out,
			struct byod_err *err);
	/* Rewrites state, revoked_at and reason of the row c->serial. */
	int (*cert_update)(struct reg_db *be, const struct reg_cert *c, struct byod_err *err);
	/* By not_before, then serial. */
	int (*cert_list_for_device)(struct reg_db *be, const char *device, reg_cert_cb cb,
				    void *ctx, struct byod_err *err);
	/* By revoked_at, then serial. */
	/* By serial. */
	int (*cert_list)(struct reg_db *be, reg_cert_cb cb, void *ctx, struct byod_err *err);
	int (*cert_list_revoked)(struct reg_db *be, reg_cert_cb cb, void *ctx,
				 struct byod_err *err);
	/* Sets first_seen of c->serial to when, if it is still 0; *set gets 1
	 * when it was, 0 when the certificate had been seen already. */
	int (*cert_set_seen)(struct reg_db *be, const char *serial, time_t when, int *set,
			     struct byod_err *err);
	/* Revokes old (reason superseded, at when) if it is still valid and
	 * by, which replaces it, has been seen; *done gets 1 when it was. */
	int (*cert_supersede)(struct reg_db *be, const char *old, const char *by, time_t when,
			      int *done, struct byod_err *err);
	/* Inside a transaction: locks the device's row until its end (another
	 * transaction locking it waits); -ENOENT when there is none. */
	int (*device_lock)(struct reg_db *be, const char *id, struct byod_err *err);

	int (*counter_next)(struct reg_db *be, const char *name, int64_t *value,
			    struct byod_err *err);
	/* Every counter, by name. */
	int (*counter_list)(struct reg_db *be, reg_counter_cb cb, void *ctx, struct byod_err *err);
	/* Sets the counter to value when it is lower or absent (never lowers it). */
	int (*counter_raise)(struct reg_db *be, const char *name, int64_t value,
			     struct byod_err *err);

	/* Sets ev->seq. Called by reg_commit only, right before commit, so
	 * that sequence order is commit order: a backend whose writers run
	 * side by side takes here a lock held until the transaction ends
	 * (no two transactions between numbering and commit at once). */
	int (*event_insert)(struct reg_db *be, struct reg_event *ev, struct byod_err *err);
	int (*events_since)(struct reg_db *be, int64_t after, int limit, reg_event_cb cb, void *ctx,
			    struct byod_err *err);
	int (*events_last)(struct reg_db *be, int64_t *seq, struct byod_err *err);
	/* The event of number seq, its tag 0 where the backend keeps none;
	 * -ENOENT when there is none. */
	int (*event_get)(struct reg_db *be, int64_t seq, struct reg_event *out,
			 struct byod_err *err);
	/* What the server says of replication (out is zeroed by registry.c,
	 * its -1 fields set). */
	int (*ha_status)(struct reg_db *be, struct reg_ha_status *out, struct byod_err *err);
	/* Returns 0 once a change-feed event committed elsewhere may have
	 * arrived, or after timeout_ms (never inside a transaction). */
	int (*feed_wait)(struct reg_db *be, int timeout_ms, struct byod_err *err);
	/* Changes each time the backend connects to its server again (NULL:
	 * a backend with no server, e.g. SQLite). */
	unsigned long (*connection_epoch)(struct reg_db *be);

	/* Sets a->id; a->time and a->actor are stored as given. */
	int (*audit_insert)(struct reg_db *be, struct reg_audit *a, struct byod_err *err);
	int (*audit_list)(struct reg_db *be, int limit, reg_audit_cb cb, void *ctx,
			  struct byod_err *err);
	/* The rows with id > after, oldest (lowest id) first. */
	int (*audit_list_after)(struct reg_db *be, int64_t after, reg_audit_cb cb, void *ctx,
				struct byod_err *err);

	/* Sets p->version; p->created and p->author are stored as given. */
	int (*policy_insert)(struct reg_db *be, struct reg_policy *p, struct byod_err *err);
	/* version 0: the newest; out->source malloc'd. */
	int (*policy_get)(struct reg_db *be, int64_t version, struct reg_policy *out,
			  struct byod_err *err);
	/* Every version of every school, by version. */
	int (*policy_list)(struct reg_db *be, reg_policy_cb cb, void *ctx, struct byod_err *err);
	/* The newest version whose school is school ("" the default), of
	 * either kind; out->source malloc'd. */
	int (*policy_newest)(struct reg_db *be, const char *school, struct reg_policy *out,
			     struct byod_err *err);
	/* Inside a write transaction, until it ends: no other transaction
	 * stores a policy version, so that reading the running version and
	 * storing the next is one step (SQLite's BEGIN IMMEDIATE holds the
	 * database's write lock already). */
	int (*policy_lock)(struct reg_db *be, struct byod_err *err);
	/* school's versions, by version. */
	int (*policy_list_school)(struct reg_db *be, const char *school, reg_policy_cb cb,
				  void *ctx, struct byod_err *err);

	/* Teacher unlocks; reads fill teacher_login. Sets u->id. */
	int (*unlock_insert)(struct reg_db *be, struct reg_unlock *u, struct byod_err *err);
	int (*unlock_get)(struct reg_db *be, int64_t id, struct reg_unlock *out,
			  struct byod_err *err);
	/* Sets ended of the row id. */
	int (*unlock_set_ended)(struct reg_db *be, int64_t id, time_t ended, struct byod_err *err);
	/* starts <= now < ends and ended = 0; school NULL: all; by school, group, id. */
	int (*unlock_list_active)(struct reg_db *be, const char *school, time_t now,
				  int (*cb)(const struct reg_unlock *, void *), void *ctx,
				  struct byod_err *err);

	/* RADIUS accounting sessions. Every text but session_id is stored as
	 * NULL when "" (device is a foreign key), and read back as "". */
	/* The newest row for (session_id, nas_ip, nas_id); -ENOENT when none. */
	int (*session_find)(struct reg_db *be, const char *session_id, const char *nas_ip,
			    const char *nas_id, struct reg_session *out, struct byod_err *err);
	/* Sets s->id; every other field (times, state) is stored as given. */
	int (*session_insert)(struct reg_db *be, struct reg_session *s, struct byod_err *err);
	/* Rewrites every field but id, session_id, nas_ip and nas_id of the row s->id. */
	int (*session_update)(struct reg_db *be, const struct reg_session *s, struct byod_err *err);
	int (*session_get)(struct reg_db *be, int64_t id, struct reg_session *out,
			   struct byod_err *err);
	/* By started, newest first, then id; device NULL: every device. */
	int (*session_list)(struct reg_db *be, int open_only, const char *device,
			    int (*cb)(const struct reg_session *, void *), void *ctx,
			    struct byod_err *err);
	/* As session_list, for the sessions whose device's owner has people.school =
	 * school. */
	int (*session_list_school)(struct reg_db *be, int open_only, const char *school,
				   int (*cb)(const struct reg_session *, void *), void *ctx,
				   struct byod_err *err);
	/* Deletes closed rows with stopped < before; *deleted gets the count. */
	int (*session_purge)(struct reg_db *be, time_t before, int *deleted, struct byod_err *err);

	/* The portal's state. *changes gets the rows changed (may be NULL).
	 * person 0 is stored as NULL (anonymous). */
	int (*web_session_insert)(struct reg_db *be, const struct reg_web_session *ws,
				  struct byod_err *err);
	int (*web_session_get)(struct reg_db *be, const char *id_hash, struct reg_web_session *out,
			       struct byod_err *err);
	/* Sets seen where it is older. */
	int (*web_session_touch)(struct reg_db *be, const char *id_hash, time_t seen, int *changes,
				 struct byod_err *err);
	/* Deletes the session and its form tokens. */
	int (*web_session_delete)(struct reg_db *be, const char *id_hash, int *changes,
				  struct byod_err *err);
	int (*web_session_delete_person)(struct reg_db *be, int64_t person, int *changes,
					 struct byod_err *err);
	/* Sets enrolled where kind is 'code' and enrolled differs (*changes 1). */
	int (*web_session_mark_enrolled)(struct reg_db *be, const char *id_hash, int enrolled,
					 int *changes, struct byod_err *err);
	/* Inserts candidate unless name has a secret, then reads the secret. */
	int (*web_key_get)(struct reg_db *be, const char *name, const char *candidate,
			   time_t now, char out[65], struct byod_err *err);
	int (*web_form_insert)(struct reg_db *be, const char *session_hash, const char *token_hash,
			       time_t expires, struct byod_err *err);
	/* Deletes the token when it is this session's and expires > now
	 * (*changes 1), and deletes it anyway when it has expired (*changes 0). */
	int (*web_form_use)(struct reg_db *be, const char *session_hash, const char *token_hash,
			    time_t now, int *changes, struct byod_err *err);
	int (*download_insert)(struct reg_db *be, const struct reg_download *d,
			       struct byod_err *err);
	/* Reads the row (data malloc'd), whatever its expiry; -ENOENT when absent. */
	int (*download_get)(struct reg_db *be, const char *token_hash, struct reg_download *out,
			    struct byod_err *err);
	int (*download_delete)(struct reg_db *be, const char *token_hash, int *changes,
			       struct byod_err *err);
	int (*throttle_get)(struct reg_db *be, const char *key, struct reg_throttle *out,
			    struct byod_err *err);
	/* The read of reg_throttle_update, inside its write transaction: the
	 * key's row, locked against every other writer until the transaction
	 * ends, an absent key included (SQLite: BEGIN IMMEDIATE already holds
	 * the database's write lock, so this is throttle_get; a backend whose
	 * writers run side by side must lock here, e.g. PostgreSQL: INSERT ...
	 * ON CONFLICT DO NOTHING, then SELECT ... FOR UPDATE). -ENOENT when
	 * the key has no state. */
	int (*throttle_lock)(struct reg_db *be, const char *key, struct reg_throttle *out,
			     struct byod_err *err);
	int (*throttle_put)(struct reg_db *be, const struct reg_throttle *t, struct byod_err *err);
	int (*throttle_delete)(struct reg_db *be, const char *key, struct byod_err *err);
	/* Deletes the keys beginning with prefix; *changes gets the count. */
	/* The rows whose key begins with prefix, by key (byte order). */
	int (*throttle_list_prefix)(struct reg_db *be, const char *prefix,
				    int (*cb)(const struct reg_throttle *, void *), void *ctx,
				    struct byod_err *err);
	int (*throttle_delete_prefix)(struct reg_db *be, const char *prefix, int *changes,
				      struct byod_err *err);
	int (*web_purge)(struct reg_db *be, time_t now, time_t idle_before, time_t created_before,
			 time_t forget_before, int *deleted, struct byod_err *err);

	/* One-time enrolment codes. */
	int (*enrol_code_insert)(struct reg_db *be, const char *code_hash, int64_t person,
				 time_t created, time_t expires, struct byod_err *err);
	/* Marks it used at now when unused and expires > now (*changes 1). */
	int (*enrol_code_use)(struct reg_db *be, const char *code_hash, time_t now, int *changes,
			      struct byod_err *err);
	/* The person of a code unused and expires > now; -ENOENT otherwise. */
	int (*enrol_code_get)(struct reg_db *be, const char *code_hash, time_t now, int64_t *person,
			      struct byod_err *err);
	/* Decision counts and heartbeats (reg_stats.c). schools: NULL for
	 * every school (rows of no school included), else a space-separated
	 * list of UAIs (rows of no school left out); school: NULL, or only
	 * that one. */
	/* Adds row->count to the row of its key, created at 0. */
	int (*decision_add)(struct reg_db *be, const struct reg_decision_count *row,
			    struct byod_err *err);
	/* from <= minute < to (to 0: no end), by minute, school, node,
	 * segment, reason. */
	int (*decision_list)(struct reg_db *be, const char *schools, const char *school,
			     time_t from, time_t to,
			     int (*cb)(const struct reg_decision_count *, void *), void *ctx,
			     struct byod_err *err);
	int (*decision_purge)(struct reg_db *be, time_t before, int *changes,
			      struct byod_err *err);
	int (*heartbeat_put)(struct reg_db *be, const struct reg_heartbeat *hb,
			     struct byod_err *err);
	/* By component, node, school. */
	int (*heartbeat_list)(struct reg_db *be, const char *schools,
			      int (*cb)(const struct reg_heartbeat *, void *), void *ctx,
			      struct byod_err *err);

	/* The dashboard's figures (sqlite_dashboard.c, postgres_dashboard.c); school
	 * NULL: every school. Inputs checked by reg_dashboard.c. */
	int (*stats_schools)(struct reg_db *be, const char *school,
			     int (*cb)(const struct reg_school_stats *, void *), void *ctx,
			     struct byod_err *err);
	int (*stats_enrolments)(struct reg_db *be, const char *school, time_t from, time_t to,
				int (*cb)(const struct reg_stats_hour *, void *), void *ctx,
				struct byod_err *err);
	int (*stats_certs_expiring)(struct reg_db *be, const char *school, time_t from, time_t to,
				    int (*cb)(const struct reg_cert_expiry *, void *), void *ctx,
				    struct byod_err *err);
	int (*stats_nas)(struct reg_db *be, const char *school, time_t since,
			 int (*cb)(const struct reg_nas_seen *, void *), void *ctx,
			 struct byod_err *err);

	/* The console's administrators (sqlite_admin.c, postgres_admin.c).
	 * admin_insert sets a->id; admin_update rewrites every field but id,
	 * login and created of the row a->id. */
	int (*admin_insert)(struct reg_db *be, struct reg_admin *a, struct byod_err *err);
	int (*admin_get)(struct reg_db *be, const char *login, struct reg_admin *out,
			 struct byod_err *err);
	int (*admin_get_by_id)(struct reg_db *be, int64_t id, struct reg_admin *out,
			       struct byod_err *err);
	int (*admin_update)(struct reg_db *be, const struct reg_admin *a, struct byod_err *err);
	/* By login. */
	int (*admin_list)(struct reg_db *be, reg_admin_cb cb, void *ctx, struct byod_err *err);
	/* One statement: totp_last_step = step where it is lower (*changes 1). */
	int (*admin_totp_step)(struct reg_db *be, const char *login, int64_t step, int *changes,
			       struct byod_err *err);
	int (*admin_session_insert)(struct reg_db *be, const struct reg_admin_session *s,
				    struct byod_err *err);
	int (*admin_session_get)(struct reg_db *be, const char *id_hash,
				 struct reg_admin_session *out, struct byod_err *err);
	/* Sets seen where it is older. */
	int (*admin_session_touch)(struct reg_db *be, const char *id_hash, time_t seen,
				   int *changes, struct byod_err *err);
	int (*admin_session_set_mfa)(struct reg_db *be, const char *id_hash, int *changes,
				     struct byod_err *err);
	int (*admin_session_delete)(struct reg_db *be, const char *id_hash, int *changes,
				    struct byod_err *err);
	int (*admin_session_delete_admin)(struct reg_db *be, int64_t admin, int *changes,
					  struct byod_err *err);
	int (*admin_session_purge)(struct reg_db *be, time_t now, time_t idle_before,
				   time_t created_before, int *deleted, struct byod_err *err);
	int (*admin_token_insert)(struct reg_db *be, const struct reg_admin_token *t,
				  struct byod_err *err);
	/* Whatever its expiry. */
	int (*admin_token_get)(struct reg_db *be, const char *id_hash, struct reg_admin_token *out,
			       struct byod_err *err);
	/* admin 0: every administrator's; by created, then id_hash. */
	int (*admin_token_list)(struct reg_db *be, int64_t admin, reg_admin_token_cb cb, void *ctx,
				struct byod_err *err);
	int (*admin_token_delete)(struct reg_db *be, const char *id_hash, int *changes,
				  struct byod_err *err);
	/* Sets last_used where it is older. */
	int (*admin_token_touch)(struct reg_db *be, const char *id_hash, time_t when, int *changes,
				 struct byod_err *err);

	/* The scoped searches: scope, filters and page are conditions of the
	 * query; *total (may be NULL) the count without the page. Devices
	 * newest first (created, then id); people by login. */
	/* By uai. */
	int (*school_list_scoped)(struct reg_db *be, const char *scope, reg_school_cb cb,
				  void *ctx, struct byod_err *err);
	int (*device_search)(struct reg_db *be, const struct reg_search *q, reg_device_cb cb,
			     void *ctx, int *total, struct byod_err *err);
	/* By id, or (id NULL) by a certificate's serial; owner's school in scope. */
	int (*device_get_scoped)(struct reg_db *be, const char *scope, const char *id,
				 const char *serial, struct reg_device *out, struct byod_err *err);
	int (*person_search)(struct reg_db *be, const struct reg_search *q, reg_person_cb cb,
			     void *ctx, int *total, struct byod_err *err);
	int (*person_get_scoped)(struct reg_db *be, const char *scope, const char *login,
				 struct reg_person *out, struct byod_err *err);
	/* Newest first; action_like: a LIKE prefix pattern or NULL; f->limit > 0.
	 * A row of school "" only when scope is NULL. */
	int (*audit_search)(struct reg_db *be, const char *scope, const struct reg_audit_filter *f,
			    const char *action_like, reg_audit_cb cb, void *ctx,
			    struct byod_err *err);

	/* Retention, the requisition and a person's rights (sqlite_retention.c,
	 * postgres_retention.c; reg_retention.c writes the SQL, one text for
	 * both dialects: parameters $1, $2, ... as text, NULL for SQL NULL). */
	/* Runs one write statement; *changes (may be NULL) gets the rows changed. */
	int (*exec_write)(struct reg_db *be, const char *what, const char *sql, int nparams,
			  const char *const *params, int *changes, struct byod_err *err);
	/* Appends one JSON object per row of the read sql to array: the
	 * columns by name, integers as numbers, NULL as null, the rest as
	 * strings (a BLOB as its length: never select one). */
	int (*rows_json)(struct reg_db *be, const char *what, const char *sql, int nparams,
			 const char *const *params, struct json_t *array, struct byod_err *err);
	/* Sessions with ip = ip (or, ip NULL, mac = mac), started <= at and
	 * (state open or stopped >= at), with their device's name and its
	 * owner's login, name and school when known; by started, then id. */
	int (*connection_find)(struct reg_db *be, const char *ip, const char *mac, time_t at,
			       int (*cb)(const struct reg_connection *, void *), void *ctx,
			       struct byod_err *err);
	/* geteduroam's OAuth (sqlite_oauth.c, postgres_oauth.c); inputs checked
	 * by reg_oauth.c. */
	int (*oauth_code_insert)(struct reg_db *be, const struct reg_oauth_code *c,
				 struct byod_err *err);
	int (*oauth_code_get)(struct reg_db *be, const char *code_hash, struct reg_oauth_code *out,
			      struct byod_err *err);
	/* Sets used and grant_id where used = 0 (*changes 1). */
	int (*oauth_code_use)(struct reg_db *be, const char *code_hash, time_t now, int64_t grant,
			      int *changes, struct byod_err *err);
	/* Sets g->id. */
	int (*oauth_grant_insert)(struct reg_db *be, struct reg_oauth_grant *g,
				  struct byod_err *err);
	int (*oauth_grant_get)(struct reg_db *be, int64_t id, struct reg_oauth_grant *out,
			       struct byod_err *err);
	/* Sets device where it is NULL and revoked = 0 (*changes 1). */
	int (*oauth_grant_set_device)(struct reg_db *be, int64_t id, const char *device,
				      int *changes, struct byod_err *err);
	/* Sets revoked = now where it is 0 and deletes the grant's tokens. */
	int (*oauth_grant_revoke)(struct reg_db *be, int64_t id, time_t now, struct byod_err *err);
	/* The same for every grant bound to device; *changes the grants revoked now. */
	int (*oauth_device_drop)(struct reg_db *be, const char *device, time_t now, int *changes,
				 struct byod_err *err);
	int (*oauth_token_insert)(struct reg_db *be, const struct reg_oauth_token *t,
				  struct byod_err *err);
	int (*oauth_token_get)(struct reg_db *be, const char *token_hash,
			       struct reg_oauth_token *out, struct byod_err *err);
	/* Sets used where it is 0 (*changes 1). */
	int (*oauth_token_use)(struct reg_db *be, const char *token_hash, time_t now, int *changes,
			       struct byod_err *err);
	/* Deletes the row of id_hash, then inserts it. */
	int (*oauth_request_put)(struct reg_db *be, const char *id_hash, const char *data,
				 time_t created, time_t expires, struct byod_err *err);
	/* *data malloc'd; *expires the row's. */
	int (*oauth_request_get)(struct reg_db *be, const char *id_hash, char **data,
				 time_t *expires, struct byod_err *err);
	int (*oauth_request_delete)(struct reg_db *be, const char *id_hash, struct byod_err *err);
	/* Requests, codes and tokens with expires < before, revoked grants with revoked < before. */
	int (*oauth_purge)(struct reg_db *be, time_t before, int *deleted, struct byod_err *err);

	/* Single-use keys (sqlite_once.c, postgres_once.c); inputs checked by
	 * reg_once.c. Inserts the row, or replaces one with expires <= now, in
	 * one statement: *changes 1 when stored, 0 when a live row is there. */
	int (*once_put)(struct reg_db *be, const char *key, const char *data, time_t now,
			time_t expires, int *changes, struct byod_err *err);
	/* One DELETE ... RETURNING of the row with expires > now: *data
	 * malloc'd; -ENOENT when none was deleted. */
	int (*once_take)(struct reg_db *be, const char *key, time_t now, char **data,
			 struct byod_err *err);
	/* Deletes the rows with expires <= now; *deleted gets the count. */
	int (*once_purge)(struct reg_db *be, time_t now, int *deleted, struct byod_err *err);
};

extern const struct reg_backend_ops reg_sqlite_ops;
#ifdef WITH_POSTGRES
extern const struct reg_backend_ops reg_postgres_ops;
#endif /* WITH_POSTGRES */

#endif /* BYOD_REGISTRY_BACKEND_H */
