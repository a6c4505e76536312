// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for what the registry keeps for the identity sources: the
 * source of a person (written by add and update, read by every read,
 * listed by source) and of an administrator (no password or TOTP of the
 * console's, a rule the database holds too), the single-use keys (put,
 * take, claim, expiry, purge; one winner among connections racing on one
 * key) and the migration that brings them to a registry of the previous
 * version without losing a row.
 *
 * It runs on both backends (test_registry_idsrc_pg: registry_fixture.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "registry_fixture.h"

#define HASH_Y "$y$j9T$abcdefghijklmnop$0123456789012345678901234567890123456789012"
#define SECRET "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
#define KEY_A  "saml-req:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"

static void add_source_person(struct fx *f, const char *login, const char *school,
			      const char *source)
{
	struct reg_person p;

	fill_person(&p, login, school);
	snprintf(p.source, sizeof(p.source), "%s", source);
	assert_int_equal(reg_person_add(f->reg, &p, &f->err), 0);
}

static struct names by_source(struct fx *f, const char *source, const char *school)
{
	struct names n;

	memset(&n, 0, sizeof(n));
	assert_int_equal(reg_person_list_source(f->reg, source, school, collect_person, &n,
						&f->err),
			 0);
	return n;
}

/* The newest audit row's after JSON (malloc'd), and its action. */
static char *last_after(struct fx *f, char action[32])
{
	struct audits a;
	char *after;

	memset(&a, 0, sizeof(a));
	assert_int_equal(reg_audit_list(f->reg, 1, collect_audit, &a, &f->err), 0);
	assert_int_equal(a.n, 1);
	snprintf(action, 32, "%s", a.v[0].action);
	after = a.v[0].after ? strdup(a.v[0].after) : NULL;
	audits_free(&a);
	return after;
}

/* ---- people ------------------------------------------------------------- */

/* Keeps the last person listed. */
static int keep_person(const struct reg_person *p, void *arg)
{
	*(struct reg_person *)arg = *p;
	return 0;
}

/* A person's source is written by add, read by get, get_by_id, the lists
 * and the console's search, rewritten by update (and audited), and stored
 * in the column people.source. */
static void test_person_source(void **state)
{
	struct fx *f = *state;
	struct reg_person p, got;
	struct reg_person_search q = {.role = -1, .state = -1};
	struct reg_scope all;
	char action[32], *after, sql[128];
	int audits;
	raw_db *db;

	add_school(f, UAI_A, "A");
	fill_person(&p, "lea", UAI_A);
	snprintf(p.source, sizeof(p.source), "ent-cas");
	assert_int_equal(reg_person_add(f->reg, &p, &f->err), 0);
	after = last_after(f, action);
	assert_string_equal(action, "person.add");
	assert_non_null(strstr(after, "\"source\":\"ent-cas\""));
	free(after);
	add_person(f, "local");

	assert_int_equal(reg_person_get(f->reg, "lea", &got, &f->err), 0);
	assert_string_equal(got.source, "ent-cas");
	assert_int_equal(reg_person_get_by_id(f->reg, p.id, &got, &f->err), 0);
	assert_string_equal(got.source, "ent-cas");
	assert_int_equal(reg_person_get(f->reg, "local", &got, &f->err), 0);
	assert_string_equal(got.source, "");
	reg_scope_all(&all);
	q.text = "lea";
	memset(&got, 0, sizeof(got));
	assert_int_equal(reg_person_search(f->reg, &all, &q, keep_person, &got, NULL, &f->err), 0);
	assert_string_equal(got.login, "lea");
	assert_string_equal(got.source, "ent-cas");
	assert_int_equal(reg_person_get_scoped(f->reg, &all, "lea", &got, &f->err), 0);
	assert_string_equal(got.source, "ent-cas");
	assert_int_equal(reg_person_list_school(f->reg, UAI_A, keep_person, &got, &f->err), 0);
	assert_string_equal(got.source, "ent-cas");
	assert_int_equal(reg_person_list(f->reg, keep_person, &got, &f->err), 0);
	assert_string_equal(got.login, "local");
	assert_string_equal(got.source, "");

	db = raw_open(f->path);
	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM people WHERE id = %lld AND "
		 "source = 'ent-cas'", (long long)p.id);
	assert_int_equal(raw_int(db, sql), 1);

	/* update rewrites it: to another source, audited with it */
	got = p;
	snprintf(got.source, sizeof(got.source), "ldap-scribe");
	assert_int_equal(reg_person_update(f->reg, &got, &f->err), 0);
	after = last_after(f, action);
	assert_string_equal(action, "person.update");
	assert_non_null(strstr(after, "\"source\":\"ldap-scribe\""));
	free(after);
	assert_int_equal(reg_person_get(f->reg, "lea", &got, &f->err), 0);
	assert_string_equal(got.source, "ldap-scribe");
	assert_string_equal(got.display_name, "Person lea");
	/* the same again: nothing written */
	audits = audit_count(f);
	assert_int_equal(reg_person_update(f->reg, &got, &f->err), 0);
	assert_int_equal(audit_count(f), audits);
	/* the password and state paths keep it */
	assert_int_equal(reg_person_set_state(f->reg, "lea", REG_PERSON_DISABLED, &f->err), 0);
	assert_int_equal(reg_person_get(f->reg, "lea", &got, &f->err), 0);
	assert_string_equal(got.source, "ldap-scribe");
	/* "" makes it a local or imported account */
	got.source[0] = '\0';
	assert_int_equal(reg_person_update(f->reg, &got, &f->err), 0);
	assert_int_equal(reg_person_get(f->reg, "lea", &got, &f->err), 0);
	assert_string_equal(got.source, "");
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM people WHERE source <> ''"), 0);
	raw_close(db);
}

/* A source's name is 1 to 32 of [a-z0-9-], not starting with '-': any
 * other is refused by add and update, and nothing is written. */
static void test_person_source_names(void **state)
{
	static const char *const bad[] = {"ENT", "ent cas", "ent_cas", "-ent", "é", "ent.cas"};
	struct fx *f = *state;
	struct reg_person p, got;
	size_t i;

	add_school(f, UAI_A, "A");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fill_person(&p, "x", UAI_A);
		snprintf(p.source, sizeof(p.source), "%s", bad[i]);
		if (reg_person_add(f->reg, &p, &f->err) != -EINVAL)
			fail_msg("source '%s' taken", bad[i]);
		assert_non_null(strstr(f->err.msg, "identity source"));
	}
	/* a field with no room for its NUL */
	fill_person(&p, "x", UAI_A);
	memset(p.source, 'a', sizeof(p.source));
	assert_int_equal(reg_person_add(f->reg, &p, &f->err), -EINVAL);
	assert_int_equal(reg_person_get(f->reg, "x", &got, &f->err), -ENOENT);
	assert_int_equal(reg_source_check("abcdefghijklmnopqrstuvwxyz0123456", NULL), -EINVAL);
	assert_int_equal(reg_source_check("", NULL), -EINVAL);
	assert_int_equal(reg_source_check(NULL, NULL), -EINVAL);
	assert_int_equal(reg_source_check("ent-2", NULL), 0);
	/* 32 characters: the longest */
	add_source_person(f, "x", UAI_A, "abcdefghijklmnopqrstuvwxyz012345");
	assert_int_equal(reg_person_get(f->reg, "x", &got, &f->err), 0);
	assert_string_equal(got.source, "abcdefghijklmnopqrstuvwxyz012345");
	snprintf(got.source, sizeof(got.source), "Bad");
	assert_int_equal(reg_person_update(f->reg, &got, &f->err), -EINVAL);
	assert_int_equal(reg_person_get(f->reg, "x", &got, &f->err), 0);
	assert_string_equal(got.source, "abcdefghijklmnopqrstuvwxyz012345");
}

/* reg_person_list_source: a source's people, of one school or all, by
 * login, whatever their state; "" the local ones. */
static void test_person_list_source(void **state)
{
	struct fx *f = *state;
	struct names n;

	add_school(f, UAI_A, "A");
	add_school(f, UAI_B, "B");
	add_source_person(f, "zoe", UAI_A, "ldap");
	add_source_person(f, "adam", UAI_B, "ldap");
	add_source_person(f, "mia", UAI_A, "ldap");
	add_source_person(f, "tom", UAI_A, "ent");
	add_source_person(f, "nina", UAI_A, "");
	add_source_person(f, "noschool", NULL, "ldap");
	assert_int_equal(reg_person_set_state(f->reg, "mia", REG_PERSON_DISABLED, &f->err), 0);

	n = by_source(f, "ldap", NULL);
	assert_int_equal(n.n, 4);
	assert_string_equal(n.v[0], "adam");
	assert_string_equal(n.v[1], "mia");
	assert_string_equal(n.v[2], "noschool");
	assert_string_equal(n.v[3], "zoe");
	n = by_source(f, "ldap", UAI_A);
	assert_int_equal(n.n, 2);
	assert_string_equal(n.v[0], "mia");
	assert_string_equal(n.v[1], "zoe");
	n = by_source(f, "ent", UAI_B);
	assert_int_equal(n.n, 0);
	n = by_source(f, "ent", NULL);
	assert_int_equal(n.n, 1);
	assert_string_equal(n.v[0], "tom");
	n = by_source(f, "", NULL);
	assert_int_equal(n.n, 1);
	assert_string_equal(n.v[0], "nina");
	n = by_source(f, "cas", NULL);
	assert_int_equal(n.n, 0);
	/* a callback's return stops the list and is returned */
	memset(&n, 0, sizeof(n));
	n.stop_after = 1;
	assert_int_equal(reg_person_list_source(f->reg, "ldap", NULL, collect_person, &n, &f->err),
			 7);
	assert_int_equal(n.n, 1);
	assert_int_equal(reg_person_list_source(f->reg, "LDAP", NULL, collect_person, &n, &f->err),
			 -EINVAL);
	assert_int_equal(reg_person_list_source(f->reg, "ldap", "nope", collect_person, &n,
						&f->err),
			 -EINVAL);
}

/* ---- administrators ----------------------------------------------------- */

static void fill_admin(struct reg_admin *a, const char *login, const char *source)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->login, sizeof(a->login), "%s", login);
	snprintf(a->display_name, sizeof(a->display_name), "Admin %s", login);
	a->role = REG_ADMIN_DEPARTEMENT;
	a->state = REG_PERSON_ACTIVE;
	snprintf(a->source, sizeof(a->source), "%s", source);
	if (!source[0])
		snprintf(a->password_hash, sizeof(a->password_hash), "%s", HASH_Y);
}

/* A source's administrator: no password hash or TOTP secret of the
 * console's (add, set_password, set_totp refuse one), the source read
 * back, kept by update; the database itself refuses a row that breaks the
 * rule; reg_admin_set_source moves one either way, clearing the old proof
 * and ending the sessions opened with it. */
static void test_admin_source(void **state)
{
	struct fx *f = *state;
	struct reg_admin a, got;
	struct reg_admin_session s;
	char action[32], *after;
	int audits;
	raw_db *db;

	fill_admin(&a, "dane", "ent-admin");
	assert_int_equal(reg_admin_add(f->reg, &a, &f->err), 0);
	after = last_after(f, action);
	assert_string_equal(action, "admin.add");
	assert_non_null(strstr(after, "\"source\":\"ent-admin\""));
	free(after);
	assert_int_equal(reg_admin_get(f->reg, "dane", &got, &f->err), 0);
	assert_string_equal(got.source, "ent-admin");
	assert_string_equal(got.password_hash, "");
	assert_int_equal(reg_admin_get_by_id(f->reg, a.id, &got, &f->err), 0);
	assert_string_equal(got.source, "ent-admin");

	/* the rule at add */
	fill_admin(&a, "withpw", "ent-admin");
	snprintf(a.password_hash, sizeof(a.password_hash), "%s", HASH_Y);
	assert_int_equal(reg_admin_add(f->reg, &a, &f->err), -EINVAL);
	assert_non_null(strstr(f->err.msg, "no password or TOTP secret"));
	fill_admin(&a, "withtotp", "ent-admin");
	snprintf(a.totp_secret, sizeof(a.totp_secret), "%s", SECRET);
	assert_int_equal(reg_admin_add(f->reg, &a, &f->err), -EINVAL);
	fill_admin(&a, "badname", "Ent");
	assert_int_equal(reg_admin_add(f->reg, &a, &f->err), -EINVAL);
	assert_int_equal(reg_admin_get(f->reg, "withpw", &got, &f->err), -ENOENT);
	assert_int_equal(reg_admin_get(f->reg, "withtotp", &got, &f->err), -ENOENT);
	assert_int_equal(reg_admin_get(f->reg, "badname", &got, &f->err), -ENOENT);

	/* ...and afterwards */
	assert_int_equal(reg_admin_set_password(f->reg, "dane", HASH_Y, &f->err), -EINVAL);
	assert_int_equal(reg_admin_set_totp(f->reg, "dane", SECRET, 1, &f->err), -EINVAL);
	assert_int_equal(reg_admin_get(f->reg, "dane", &got, &f->err), 0);
	assert_string_equal(got.password_hash, "");
	assert_string_equal(got.totp_secret, "");
	/* an update of the other fields keeps the source */
	snprintf(got.display_name, sizeof(got.display_name), "Délégation");
	assert_int_equal(reg_admin_update(f->reg, &got, &f->err), 0);
	assert_int_equal(reg_admin_get(f->reg, "dane", &got, &f->err), 0);
	assert_string_equal(got.source, "ent-admin");
	assert_string_equal(got.display_name, "Délégation");

	/* the database holds the rule too */
	db = raw_open(f->path);
	assert_int_equal(raw_try(db, "UPDATE admins SET password_hash = '$y$x' "
				     "WHERE login = 'dane'"),
			 -1);
	assert_int_equal(raw_try(db, "UPDATE admins SET totp_secret = '" SECRET "' "
				     "WHERE login = 'dane'"),
			 -1);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM admins WHERE login = 'dane' "
				     "AND source = 'ent-admin' AND password_hash = ''"),
			 1);

	/* a local administrator made a source's: password, TOTP and sessions go */
	fill_admin(&a, "loc", "");
	assert_int_equal(reg_admin_add(f->reg, &a, &f->err), 0);
	assert_int_equal(reg_admin_get(f->reg, "loc", &got, &f->err), 0);
	assert_string_equal(got.source, "");
	assert_string_equal(got.password_hash, HASH_Y);
	assert_int_equal(reg_admin_set_totp(f->reg, "loc", SECRET, 1, &f->err), 0);
	memset(&s, 0, sizeof(s));
	snprintf(s.id_hash, sizeof(s.id_hash), "%064x", 7);
	s.admin = a.id;
	s.created = s.seen = time(NULL);
	assert_int_equal(reg_admin_session_add(f->reg, &s, &f->err), 0);
	assert_int_equal(reg_admin_set_source(f->reg, "loc", "ent-admin", &f->err), 0);
	after = last_after(f, action);
	assert_string_equal(action, "admin.source");
	assert_non_null(strstr(after, "\"source\":\"ent-admin\""));
	assert_null(strstr(after, SECRET));
	assert_null(strstr(after, HASH_Y));
	free(after);
	assert_int_equal(reg_admin_get(f->reg, "loc", &got, &f->err), 0);
	assert_string_equal(got.source, "ent-admin");
	assert_string_equal(got.password_hash, "");
	assert_string_equal(got.totp_secret, "");
	assert_int_equal(got.totp_enrolled, 0);
	assert_int_equal(reg_admin_session_get(f->reg, s.id_hash, &s, &f->err), -ENOENT);
	/* the same again: nothing written */
	audits = audit_count(f);
	assert_int_equal(reg_admin_set_source(f->reg, "loc", "ent-admin", &f->err), 0);
	assert_int_equal(audit_count(f), audits);
	/* and back to local: no password until one is set */
	assert_int_equal(reg_admin_set_source(f->reg, "loc", "", &f->err), 0);
	assert_int_equal(reg_admin_get(f->reg, "loc", &got, &f->err), 0);
	assert_string_equal(got.source, "");
	assert_int_equal(reg_admin_set_password(f->reg, "loc", HASH_Y, &f->err), 0);
	assert_int_equal(reg_admin_set_source(f->reg, "loc", "Bad", &f->err), -EINVAL);
	assert_int_equal(reg_admin_set_source(f->reg, "nobody", "ent", &f->err), -ENOENT);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM admins WHERE login = 'loc' "
				     "AND source = '' AND password_hash <> ''"),
			 1);
	raw_close(db);
}

/* ---- single-use keys ---------------------------------------------------- */

/* put, then put again while it lives: -EEXIST; take gives the data once;
 * a second take, or a take after expiry: -ENOENT; an expired row is
 * replaced by a put; data may be left out of a take. */
static void test_once_put_take(void **state)
{
	struct fx *f = *state;
	char *data = (char *)"untouched";

	assert_int_equal(reg_once_put(f->reg, KEY_A, "{\"relay\":\"x\"}\n", 1000, 1300, &f->err),
			 0);
	assert_int_equal(reg_once_put(f->reg, KEY_A, "other", 1100, 1400, &f->err), -EEXIST);
	assert_int_equal(reg_once_take(f->reg, KEY_A, 1299, &data, &f->err), 0);
	assert_string_equal(data, "{\"relay\":\"x\"}\n");
	free(data);
	data = (char *)"untouched";
	assert_int_equal(reg_once_take(f->reg, KEY_A, 1299, &data, &f->err), -ENOENT);
	assert_null(data);

	/* expired at now when expires <= now */
	assert_int_equal(reg_once_put(f->reg, KEY_A, "first", 1000, 1300, &f->err), 0);
	assert_int_equal(reg_once_take(f->reg, KEY_A, 1300, &data, &f->err), -ENOENT);
	assert_non_null(strstr(f->err.msg, "expired"));
	/* ...and an expired row is replaced */
	assert_int_equal(reg_once_put(f->reg, KEY_A, "second", 1299, 1500, &f->err), -EEXIST);
	assert_int_equal(reg_once_put(f->reg, KEY_A, "second", 1300, 1500, &f->err), 0);
	assert_int_equal(reg_once_take(f->reg, KEY_A, 1400, NULL, &f->err), 0);
	assert_int_equal(reg_once_take(f->reg, KEY_A, 1400, NULL, &f->err), -ENOENT);
	assert_int_equal(reg_once_take(f->reg, "saml-req:never", 1400, &data, &f->err), -ENOENT);

	/* NULL data is empty data */
	assert_int_equal(reg_once_put(f->reg, "k", NULL, 1, 2, &f->err), 0);
	assert_int_equal(reg_once_take(f->reg, "k", 1, &data, &f->err), 0);
	assert_string_equal(data, "");
	free(data);
}

/* What a key, its data and its times may be; nothing written otherwise. */
static void test_once_checks(void **state)
{
	struct fx *f = *state;
	char key[REG_ONCE_KEY_MAX + 1], *big, *data = NULL;

	memset(key, 'k', sizeof(key));
	key[REG_ONCE_KEY_MAX - 1] = '\0'; /* 128: the longest */
	assert_int_equal(reg_once_put(f->reg, key, "", 1, 2, &f->err), 0);
	key[REG_ONCE_KEY_MAX - 1] = 'k';
	key[REG_ONCE_KEY_MAX] = '\0'; /* 129 */
	assert_int_equal(reg_once_put(f->reg, key, "", 1, 2, &f->err), -EINVAL);
	assert_int_equal(reg_once_take(f->reg, key, 1, &data, &f->err), -EINVAL);
	assert_int_equal(reg_once_put(f->reg, "", "", 1, 2, &f->err), -EINVAL);
	assert_int_equal(reg_once_put(f->reg, NULL, "", 1, 2, &f->err), -EINVAL);
	assert_int_equal(reg_once_put(f->reg, "a b", "", 1, 2, &f->err), -EINVAL);
	assert_int_equal(reg_once_put(f->reg, "a\nb", "", 1, 2, &f->err), -EINVAL);
	assert_int_equal(reg_once_put(f->reg, "caf\xc3\xa9", "", 1, 2, &f->err), -EINVAL);
	assert_int_equal(reg_once_claim(f->reg, "a\x7f", 1, 2, &f->err), -EINVAL);
	/* times */
	assert_int_equal(reg_once_put(f->reg, "t", "", 10, 10, &f->err), -EINVAL);
	assert_int_equal(reg_once_put(f->reg, "t", "", 10, 9, &f->err), -EINVAL);
	assert_int_equal(reg_once_put(f->reg, "t", "", -1, 9, &f->err), -EINVAL);
	assert_int_equal(reg_once_take(f->reg, "t", -1, &data, &f->err), -EINVAL);
	assert_int_equal(reg_once_purge(f->reg, -1, NULL, &f->err), -EINVAL);
	/* data: REG_ONCE_DATA_MAX - 1 bytes at most, no control character
	 * but tab, CR and LF */
	big = malloc(REG_ONCE_DATA_MAX + 1);
	assert_non_null(big);
	memset(big, 'd', REG_ONCE_DATA_MAX);
	big[REG_ONCE_DATA_MAX] = '\0';
	assert_int_equal(reg_once_put(f->reg, "big", big, 1, 2, &f->err), -EINVAL);
	big[REG_ONCE_DATA_MAX - 1] = '\0';
	big[0] = '\t';
	big[1] = '\r';
	big[2] = '\n';
	assert_int_equal(reg_once_put(f->reg, "big", big, 1, 2, &f->err), 0);
	assert_int_equal(reg_once_take(f->reg, "big", 1, &data, &f->err), 0);
	assert_int_equal(strlen(data), REG_ONCE_DATA_MAX - 1);
	assert_string_equal(data, big);
	free(data);
	free(big);
	assert_int_equal(reg_once_put(f->reg, "ctl", "a\001b", 1, 2, &f->err), -EINVAL);
	assert_int_equal(reg_once_put(f->reg, "ctl", "caf\xc3\xa9", 1, 2, &f->err), 0);
	assert_int_equal(reg_once_take(f->reg, "t", 1, &data, &f->err), -ENOENT);
	assert_int_equal(reg_once_take(f->reg, "ctl", 1, &data, &f->err), 0);
	assert_string_equal(data, "caf\xc3\xa9");
	free(data);
}

/* claim: 0 the first time, -EEXIST for a replay while it lives, 0 again
 * once it has expired (the caller bounds expiry by the assertion's own). */
static void test_once_claim(void **state)
{
	struct fx *f = *state;
	char *data = NULL;

	assert_int_equal(reg_once_claim(f->reg, "saml-id:_a1", 100, 400, &f->err), 0);
	assert_int_equal(reg_once_claim(f->reg, "saml-id:_a1", 101, 400, &f->err), -EEXIST);
	assert_int_equal(reg_once_claim(f->reg, "saml-id:_a1", 399, 900, &f->err), -EEXIST);
	assert_int_equal(reg_once_claim(f->reg, "saml-id:_a2", 101, 400, &f->err), 0);
	assert_int_equal(reg_once_claim(f->reg, "saml-id:_a1", 400, 900, &f->err), 0);
	assert_int_equal(reg_once_claim(f->reg, "saml-id:_a1", 899, 900, &f->err), -EEXIST);
	/* a claimed key is a key like another: taken once, with no data */
	assert_int_equal(reg_once_take(f->reg, "saml-id:_a2", 200, &data, &f->err), 0);
	assert_string_equal(data, "");
	free(data);
}

/* reg_once_purge deletes the keys expired at now, and only those;
 * reg_web_purge (the portal's and the daily job's purge) does too. */
static void test_once_purge(void **state)
{
	struct fx *f = *state;
	raw_db *db;
	int n = -1;

	assert_int_equal(reg_once_put(f->reg, "a", "1", 100, 200, &f->err), 0);
	assert_int_equal(reg_once_put(f->reg, "b", "2", 100, 300, &f->err), 0);
	assert_int_equal(reg_once_claim(f->reg, "c", 100, 400, &f->err), 0);
	assert_int_equal(reg_once_purge(f->reg, 199, &n, &f->err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(reg_once_purge(f->reg, 200, &n, &f->err), 0);
	assert_int_equal(n, 1);
	db = raw_open(f->path);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM once_keys"), 2);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM once_keys WHERE key = 'a'"), 0);
	assert_int_equal(reg_web_purge(f->reg, 300, 0, 0, 0, &n, &f->err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM once_keys"), 1);
	assert_int_equal(reg_once_purge(f->reg, 10000, NULL, &f->err), 0);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM once_keys"), 0);
	raw_close(db);
}

/* Inside a caller's transaction, a replay (-EEXIST) or a key gone
 * (-ENOENT) closes its own level only: the caller's writes go on and
 * commit; a rollback of the caller's transaction takes the put back. */
static void test_once_in_transaction(void **state)
{
	struct fx *f = *state;
	struct reg_school s;

	assert_int_equal(reg_once_claim(f->reg, "seen", 10, 100, &f->err), 0);
	assert_int_equal(reg_begin(f->reg, &f->err), 0);
	assert_int_equal(reg_once_claim(f->reg, "seen", 10, 100, &f->err), -EEXIST);
	assert_int_equal(reg_once_take(f->reg, "absent", 10, NULL, &f->err), -ENOENT);
	assert_int_equal(reg_once_put(f->reg, "new", "x", 10, 100, &f->err), 0);
	add_school(f, UAI_A, "A");
	assert_int_equal(reg_commit(f->reg, &f->err), 0);
	assert_int_equal(reg_school_get(f->reg, UAI_A, &s, &f->err), 0);
	assert_int_equal(reg_once_put(f->reg, "new", "y", 10, 100, &f->err), -EEXIST);

	assert_int_equal(reg_begin(f->reg, &f->err), 0);
	assert_int_equal(reg_once_take(f->reg, "new", 10, NULL, &f->err), 0);
	assert_int_equal(reg_once_put(f->reg, "later", "z", 10, 100, &f->err), 0);
	reg_rollback(f->reg);
	assert_int_equal(reg_once_take(f->reg, "later", 10, NULL, &f->err), -ENOENT);
	assert_int_equal(reg_once_take(f->reg, "new", 10, NULL, &f->err), 0);
}

/* Several connections (as several portal and console processes) using one
 * key at the same instant: of the takes, exactly one gets the data; of the
 * claims, exactly one gets 0 and every other -EEXIST. */
enum { RACERS = 8, ROUNDS = 15 };

struct racer {
	const char *path;
	char key[64];
	int claim;
	pthread_barrier_t *go;
	int rc;
	char *data;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	struct byod_err err;
	struct reg *reg = NULL;
	int rc;

	rc = open_reg(r->path, 10000, &reg, &err);
	pthread_barrier_wait(r->go);
	if (rc)
		r->rc = -EIO;
	else if (r->claim)
		r->rc = reg_once_claim(reg, r->key, 1000, 2000, &err);
	else
		r->rc = reg_once_take(reg, r->key, 1000, &r->data, &err);
	reg_close(reg);
	return NULL;
}

static void race_rounds(struct fx *f, int claim)
{
	struct racer r[RACERS];
	pthread_t th[RACERS];
	pthread_barrier_t go;
	int round, i, won, lost;
	char data[64];

	for (round = 0; round < ROUNDS; round++) {
		snprintf(data, sizeof(data), "state of round %d", round);
		pthread_barrier_init(&go, NULL, RACERS);
		for (i = 0; i < RACERS; i++) {
			r[i] = (struct racer){.path = f->path, .claim = claim, .go = &go};
			snprintf(r[i].key, sizeof(r[i].key), "race:%d:%d", claim, round);
		}
		if (!claim)
			assert_int_equal(reg_once_put(f->reg, r[0].key, data, 900, 2000, &f->err),
					 0);
		for (i = 0; i < RACERS; i++)
			assert_int_equal(pthread_create(&th[i], NULL, race, &r[i]), 0);
		won = lost = 0;
		for (i = 0; i < RACERS; i++) {
			pthread_join(th[i], NULL);
			if (r[i].rc == 0) {
				won++;
				if (!claim)
					assert_string_equal(r[i].data, data);
			} else if (r[i].rc == (claim ? -EEXIST : -ENOENT)) {
				lost++;
				assert_null(r[i].data);
			} else {
				fail_msg("round %d: racer %d: %d", round, i, r[i].rc);
			}
			free(r[i].data);
		}
		pthread_barrier_destroy(&go);
		if (won != 1)
			fail_msg("round %d: %d racers won the key", round, won);
		assert_int_equal(lost, RACERS - 1);
	}
}

static void test_once_take_race(void **state)
{
	race_rounds(*state, 0);
}

static void test_once_claim_race(void **state)
{
	race_rounds(*state, 1);
}

/* ---- the migration ------------------------------------------------------ */

/* A registry of the previous schema version (no sources, no single-use
 * keys) is migrated on open: every person and administrator kept as they
 * were, of source "", and the new column, rule and table at work. */
static void test_migrate_keeps_rows(void **state)
{
	struct fx *f = *state;
	struct reg_person p;
	struct reg_admin a, got;
	int version;
	raw_db *db;

	add_school(f, UAI_A, "A");
	fill_person(&p, "lea", UAI_A);
	snprintf(p.password_hash, sizeof(p.password_hash), "%s", HASH_Y);
	assert_int_equal(reg_person_add(f->reg, &p, &f->err), 0);
	add_person(f, "tom");
	fill_admin(&a, "root", "");
	assert_int_equal(reg_admin_add(f->reg, &a, &f->err), 0);
	reg_close(f->reg);
	f->reg = NULL;

	db = raw_open(f->path);
	raw_exec(db, on_postgres() ? "DROP TABLE once_keys; DROP INDEX people_source; "
				     "ALTER TABLE people DROP COLUMN source; "
				     "ALTER TABLE admins DROP COLUMN source; "
				     "UPDATE schema_version SET version = 10"
				   : "DROP TABLE once_keys; DROP INDEX people_source; "
				     "ALTER TABLE people DROP COLUMN source; "
				     "ALTER TABLE admins DROP COLUMN source; "
				     "PRAGMA user_version = 15");
	raw_close(db);

	assert_int_equal(open_reg(f->path, 2000, &f->reg, &f->err), 0);
	assert_int_equal(reg_schema_version(f->reg, &version, &f->err), 0);
	assert_int_equal(version, on_postgres() ? 11 : 16);
	assert_int_equal(version, on_postgres() ? reg_postgres_ops.newest_version
						: reg_sqlite_ops.newest_version);
	assert_int_equal(reg_person_get(f->reg, "lea", &p, &f->err), 0);
	assert_string_equal(p.password_hash, HASH_Y);
	assert_string_equal(p.school, UAI_A);
	assert_string_equal(p.groups, "4B latin");
	assert_string_equal(p.source, "");
	assert_int_equal(reg_person_get(f->reg, "tom", &p, &f->err), 0);
	assert_string_equal(p.source, "");
	assert_int_equal(reg_admin_get(f->reg, "root", &got, &f->err), 0);
	assert_string_equal(got.password_hash, HASH_Y);
	assert_string_equal(got.source, "");

	/* what the migration brought works */
	assert_int_equal(reg_once_claim(f->reg, "saml-id:_m", 1, 2, &f->err), 0);
	assert_int_equal(reg_once_claim(f->reg, "saml-id:_m", 1, 2, &f->err), -EEXIST);
	add_source_person(f, "new", UAI_A, "ldap");
	assert_int_equal(by_source(f, "ldap", UAI_A).n, 1);
	db = raw_open(f->path);
	assert_int_equal(raw_try(db, "UPDATE admins SET source = 'ent' WHERE login = 'root'"), -1);
	raw_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_person_source, setup, teardown),
		cmocka_unit_test_setup_teardown(test_person_source_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_person_list_source, setup, teardown),
		cmocka_unit_test_setup_teardown(test_admin_source, setup, teardown),
		cmocka_unit_test_setup_teardown(test_once_put_take, setup, teardown),
		cmocka_unit_test_setup_teardown(test_once_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_once_claim, setup, teardown),
		cmocka_unit_test_setup_teardown(test_once_purge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_once_in_transaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_once_take_race, setup, teardown),
		cmocka_unit_test_setup_teardown(test_once_claim_race, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_keeps_rows, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
