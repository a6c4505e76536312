// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Placeholders for the PostgreSQL backend operations that postgres_session.c
 * and postgres_web.c will implement: each refuses with -ENOSYS and a sentence,
 * so that the backend links and its own operations can be tested meanwhile.
 * This file goes away when those two files arrive.
 */
#include <errno.h>

#include "pg_int.h"

int pg_session_find(struct reg_db *be, const char *session_id, const char *nas_ip,
		    const char *nas_id, struct reg_session *out, struct byod_err *err)
{
	return byod_err_set(err, ENOSYS, "the PostgreSQL registry cannot do session find yet");
}

int pg_session_insert(struct reg_db *be, struct reg_session *ss, struct byod_err *err)
{
	return byod_err_set(err, ENOSYS, "the PostgreSQL registry cannot do session insert yet");
}

int pg_session_update(struct reg_db *be, const struct reg_session *ss, struct byod_err *err)
{
	return byod_err_set(err, ENOSYS, "the PostgreSQL registry cannot do session update yet");
}

int pg_session_get(struct reg_db *be, int64_t id, struct reg_session *out, struct byod_err *err)
{
	return byod_err_set(err, ENOSYS, "the PostgreSQL registry cannot do session get yet");
}

int pg_session_list(struct reg_db *be, int open_only, const char *device,
		    int (*cb)(const struct reg_session *, void *), void *ctx, struct byod_err *err)
{
	return byod_err_set(err, ENOSYS, "the PostgreSQL registry cannot do session list yet");
}

int pg_session_purge(struct reg_db *be, time_t before, int *deleted, struct byod_err *err)
{
	return byod_err_set(err, ENOSYS, "the PostgreSQL registry cannot do session purge yet");
}

int pg_web_session_insert(struct reg_db *be, const struct reg_web_session *ws,
			  struct byod_err *err)
{
	return byod_err_set(err, ENOSYS, "the PostgreSQL registry cannot do web session insert yet");
}

int pg_web_session_get(struct reg_db *be, const char *id_hash, struct reg_web_session *out,
		       struct byod_err *err)
{
	return byod_err_set(err, ENOSYS, "the PostgreSQL registry cannot do web session get yet");
}

int pg_web_session_touch(struct reg_db *be, const char *id_hash, time_t seen, int *changes,
			 struct byod_err *err)
{
	return byod_err_set(err, ENOSYS, "the PostgreSQL registry cannot do web session touch yet");
}

int pg_web_session_delete(struct reg_db *be, const char *id_hash, int *changes,
			  struct byod_err *err)
{
	return byod_err_set(err, ENOSYS, "the PostgreSQL registry cannot do web session delete yet");
}

int pg_web_session_delete_person(struct reg_db *be, int64_t person, int *changes,
				 struct byod_err *err)
{
	return byod_err_set(err, ENOSYS, "the PostgreSQL registry cannot do web session delete person yet");
}

int pg_web_session_mark_enrolled(struct reg_db *be, const char *id_hash, int enrolled,
				 int *changes, struct byod_err *err)
{
	return byod_err_set(err, ENOSYS, "the PostgreSQL registry cannot do web session mark enrolled yet");
}

int pg_web_key_get(struct reg_db *be, const char *name, const char *candidate, time_t now,
		   char out[65], struct byod_err *err)
{
	return byod_err_set(err, ENOSYS, "the PostgreSQL registry cannot do web key get yet");
}

int pg_web_form_insert(struct reg_db *be, const char *session_hash, const char *token_hash,
		       time_t expires, struct byod_err *err)
{
	return byod_err_set(err, ENOSYS, "the PostgreSQL registry cannot do web form insert yet");
}

int pg_web_form_use(struct reg_db *be, const char *session_hash, const char *token_hash, time_t now,
		    int *changes, struct byod_err *err)
{
	return byod_err_set(err, ENOSYS, "the PostgreSQL registry cannot do web form use yet");
}

int pg_download_insert(struct reg_db *be, const struct reg_download *d, struct byod_err *err)
{
	return byod_err_set(err, ENOSYS, "the PostgreSQL registry cannot do download insert yet");
}

int pg_download_get(struct reg_db *be, const char *token_hash, struct reg_download *out,
		    struct byod_err *err)
{
	return byod_err_set(err, ENOSYS, "the PostgreSQL registry cannot do download get yet");
}

int pg_download_delete(struct reg_db *be, const char *token_hash, int *changes,
		       struct byod_err *err)
{
	return byod_err_set(err, ENOSYS, "the PostgreSQL registry cannot do download delete yet");
}

int pg_throttle_get(struct reg_db *be, const char *key, struct reg_throttle *out,
		    struct byod_err *err)
{
	return byod_err_set(err, ENOSYS, "the PostgreSQL registry cannot do throttle get yet");
}

int pg_throttle_lock(struct reg_db *be, const char *key, struct reg_throttle *out,
		     struct byod_err *err)
{
	return byod_err_set(err, ENOSYS, "the PostgreSQL registry cannot do throttle lock yet");
}

int pg_throttle_put(struct reg_db *be, const struct reg_throttle *t, struct byod_err *err)
{
	return byod_err_set(err, ENOSYS, "the PostgreSQL registry cannot do throttle put yet");
}

int pg_throttle_delete(struct reg_db *be, const char *key, struct byod_err *err)
{
	return byod_err_set(err, ENOSYS, "the PostgreSQL registry cannot do throttle delete yet");
}

int pg_throttle_delete_prefix(struct reg_db *be, const char *prefix, int *changes,
			      struct byod_err *err)
{
	return byod_err_set(err, ENOSYS, "the PostgreSQL registry cannot do throttle delete prefix yet");
}

int pg_web_purge(struct reg_db *be, time_t now, time_t idle_before, time_t created_before,
		 time_t forget_before, int *deleted, struct byod_err *err)
{
	return byod_err_set(err, ENOSYS, "the PostgreSQL registry cannot do web purge yet");
}

int pg_enrol_code_insert(struct reg_db *be, const char *code_hash, int64_t person, time_t created,
			 time_t expires, struct byod_err *err)
{
	return byod_err_set(err, ENOSYS, "the PostgreSQL registry cannot do enrol code insert yet");
}

int pg_enrol_code_use(struct reg_db *be, const char *code_hash, time_t now, int *changes,
		      struct byod_err *err)
{
	return byod_err_set(err, ENOSYS, "the PostgreSQL registry cannot do enrol code use yet");
}

int pg_enrol_code_get(struct reg_db *be, const char *code_hash, time_t now, int64_t *person,
		      struct byod_err *err)
{
	return byod_err_set(err, ENOSYS, "the PostgreSQL registry cannot do enrol code get yet");
}
