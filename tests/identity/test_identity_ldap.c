// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Sign-in through byod.conf's LDAP identity sources, against the real slapd
 * ldap.sh started (its URLs, CA and service password file in BYOD_LDAP_*):
 * a pupil and a teacher are created with their role, school and class and
 * an audit entry, a second sign-in updates; a wrong password, an unknown
 * person, a login made to inject a filter, a server whose certificate is
 * another CA's, an answer without UAI or with an unknown role, a school the
 * registry does not know, a local account, an open service password file
 * and a server that never answers are each refused, with nothing created
 * and an audit entry. Each test on a fresh state directory (byod_home_init).
 */
#define _GNU_SOURCE /* nftw (rmtree.h), memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <ldap.h>

#include "byod.h"
#include "byod_util.h"
#include "identity.h"
#include "login_throttle.h"
#include "fixture.h"

#define UAI IFX_UAI
#define PEOPLE "ou=people,dc=college,dc=test"

/* The identity section every test reads. */
static int write_sources(const char *home)
{
	char path[700];
	FILE *f;

	snprintf(path, sizeof(path), "%s/byod.conf", home);
	f = fopen(path, "a");
	if (!f)
		return -1;
	fprintf(f,
		"\nidentity:\n"
		/* StartTLS, bind as the person, everything from attributes */
		"  college:\n"
		"    kind: ldap\n"
		"    label: \"Annuaire du collège\"\n"
		"    url: \"%s\"\n"
		"    ca-file: \"%s\"\n"
		"    bind: user\n"
		"    user-dn: \"uid=%%s," PEOPLE "\"\n"
		"    role-attribute: ENTPersonProfils\n"
		"    roles: \"National_ELV=student, National_ENS=teacher\"\n"
		"    school-attribute: ENTPersonStructRattach\n"
		"    class-attribute: ENTEleveClasses\n"
		/* LDAPS, the service account searches, groups searched, roles from groups */
		"  annuaire:\n"
		"    kind: ldap\n"
		"    url: \"%s\"\n"
		"    ca-file: \"%s\"\n"
		"    bind: search\n"
		"    base-dn: \"" PEOPLE "\"\n"
		"    service-dn: \"cn=byod-svc,ou=services,dc=college,dc=test\"\n"
		"    service-password-file: \"%s\"\n"
		"    groups: search\n"
		"    group-base: \"dc=college,dc=test\"\n"
		"    group-filter: \"(&(objectClass=groupOfNames)(member=%%D))\"\n"
		"    roles: \"cn=profs,ou=roles,dc=college,dc=test=teacher; eleves=student\"\n"
		"    school: \"" UAI "\"\n"
		"    class-group-base: \"ou=groups,dc=college,dc=test\"\n"
		"    left-attribute: employeeType\n"
		"    left-values: \"SORTI, &2\"\n"
		/* LDAPS, bind as the person, roles and classes from memberOf */
		"  groupes:\n"
		"    url: \"%s\"\n"
		"    ca-file: \"%s\"\n"
		"    user-dn: \"uid=%%s," PEOPLE "\"\n"
		"    roles: \"eleves=student, profs=teacher\"\n"
		"    school-attribute: ENTPersonStructRattach\n"
		"    class-group-base: \"ou=groups, dc=college, dc=test\"\n"
		/* the right server, another CA trusted */
		"  wrong-ca:\n"
		"    url: \"%s\"\n"
		"    ca-file: \"%s\"\n"
		"    user-dn: \"uid=%%s," PEOPLE "\"\n"
		"    roles: \"National_ELV=student\"\n"
		"    role-attribute: ENTPersonProfils\n"
		"    school-attribute: ENTPersonStructRattach\n"
		/* a server with another CA's certificate */
		"  rogue:\n"
		"    url: \"%s\"\n"
		"    ca-file: \"%s\"\n"
		"    user-dn: \"uid=%%s," PEOPLE "\"\n"
		"    roles: \"National_ELV=student\"\n"
		"    role-attribute: ENTPersonProfils\n"
		"    school-attribute: ENTPersonStructRattach\n"
		/* a school the registry does not know */
		"  elsewhere:\n"
		"    url: \"%s\"\n"
		"    ca-file: \"%s\"\n"
		"    user-dn: \"uid=%%s," PEOPLE "\"\n"
		"    roles: \"National_ELV=student\"\n"
		"    role-attribute: ENTPersonProfils\n"
		"    school: \"0750654D\"\n"
		/* the service password file readable by all */
		"  open-password:\n"
		"    url: \"%s\"\n"
		"    ca-file: \"%s\"\n"
		"    bind: search\n"
		"    base-dn: \"" PEOPLE "\"\n"
		"    service-dn: \"cn=byod-svc,ou=services,dc=college,dc=test\"\n"
		"    service-password-file: \"%s\"\n"
		"    roles: \"National_ELV=student\"\n"
		"    role-attribute: ENTPersonProfils\n"
		"    school-attribute: ENTPersonStructRattach\n"
		/* a port that accepts and never answers */
		"  silent:\n"
		"    url: \"%s\"\n"
		"    ca-file: \"%s\"\n"
		"    timeout-s: 1\n"
		"    user-dn: \"uid=%%s," PEOPLE "\"\n"
		"    roles: \"National_ELV=student\"\n"
		"    role-attribute: ENTPersonProfils\n"
		"    school-attribute: ENTPersonStructRattach\n",
		ifx_env("BYOD_LDAP_URL"), ifx_env("BYOD_LDAP_CA"), ifx_env("BYOD_LDAPS_URL"),
		ifx_env("BYOD_LDAP_CA"), ifx_env("BYOD_LDAP_SVC_PW"), ifx_env("BYOD_LDAPS_URL"),
		ifx_env("BYOD_LDAP_CA"), ifx_env("BYOD_LDAPS_URL"), ifx_env("BYOD_LDAP_OTHER_CA"),
		ifx_env("BYOD_LDAP_ROGUE_URL"), ifx_env("BYOD_LDAP_CA"), ifx_env("BYOD_LDAP_URL"),
		ifx_env("BYOD_LDAP_CA"), ifx_env("BYOD_LDAPS_URL"), ifx_env("BYOD_LDAP_CA"),
		ifx_env("BYOD_LDAP_SVC_PW_OPEN"), ifx_env("BYOD_LDAP_SILENT_URL"), ifx_env("BYOD_LDAP_CA"));
	fprintf(f,
		/* a relay that holds each chunk 0.4 s: each step in time, not the whole */
		"  slow:\n"
		"    url: \"%s\"\n"
		"    ca-file: \"%s\"\n"
		"    timeout-s: 1\n"
		"    user-dn: \"uid=%%s," PEOPLE "\"\n"
		"    roles: \"National_ELV=student\"\n"
		"    role-attribute: ENTPersonProfils\n"
		"    school-attribute: ENTPersonStructRattach\n"
		/* the server by its name, looked up */
		"  by-name:\n"
		"    url: \"%s\"\n"
		"    ca-file: \"%s\"\n"
		"    user-dn: \"uid=%%s," PEOPLE "\"\n"
		"    roles: \"National_ELV=student\"\n"
		"    role-attribute: ENTPersonProfils\n"
		"    school-attribute: ENTPersonStructRattach\n"
		/* a service password longer than any the gateway sends */
		"  long-password:\n"
		"    url: \"%s\"\n"
		"    ca-file: \"%s\"\n"
		"    bind: search\n"
		"    base-dn: \"" PEOPLE "\"\n"
		"    service-dn: \"cn=byod-svc,ou=services,dc=college,dc=test\"\n"
		"    service-password-file: \"%s/long.pw\"\n"
		"    roles: \"National_ELV=student\"\n"
		"    role-attribute: ENTPersonProfils\n"
		"    school-attribute: ENTPersonStructRattach\n",
		ifx_env("BYOD_LDAP_SLOW_URL"), ifx_env("BYOD_LDAP_CA"),
		ifx_env("BYOD_LDAPS_NAME_URL")[0] ? ifx_env("BYOD_LDAPS_NAME_URL") : "ldaps://127.0.0.1:1/",
		ifx_env("BYOD_LDAP_CA"), ifx_env("BYOD_LDAPS_URL"), ifx_env("BYOD_LDAP_CA"), home);
	fprintf(f,
		/* the directory says who has left: a status value, or AD's bit 2 */
		"  leaving:\n"
		"    url: \"%s\"\n"
		"    ca-file: \"%s\"\n"
		"    user-dn: \"uid=%%s," PEOPLE "\"\n"
		"    role-attribute: ENTPersonProfils\n"
		"    roles: \"National_ELV=student, National_ENS=teacher\"\n"
		"    school-attribute: ENTPersonStructRattach\n"
		"    class-attribute: ENTEleveClasses\n"
		"    left-attribute: employeeType\n"
		"    left-values: \"SORTI, &2\"\n"
		/* a service account that sees nobody under its base-dn */
		"  nobody:\n"
		"    url: \"%s\"\n"
		"    ca-file: \"%s\"\n"
		"    bind: search\n"
		"    base-dn: \"ou=groups,dc=college,dc=test\"\n"
		"    service-dn: \"cn=byod-svc,ou=services,dc=college,dc=test\"\n"
		"    service-password-file: \"%s\"\n"
		"    roles: \"National_ELV=student\"\n"
		"    role-attribute: ENTPersonProfils\n"
		"    school: \"" UAI "\"\n",
		ifx_env("BYOD_LDAP_URL"), ifx_env("BYOD_LDAP_CA"), ifx_env("BYOD_LDAPS_URL"), ifx_env("BYOD_LDAP_CA"),
		ifx_env("BYOD_LDAP_SVC_PW"));
	return fclose(f);
}

/* The service password file of long-password: the right password, then
 * more, 300 bytes on its line. */
static int write_long_password(const char *home)
{
	char path[700];
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "%s/long.pw", home);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || !(f = fdopen(fd, "w")))
		return -1;
	fprintf(f, "SvcPass-1");
	for (int i = 0; i < 291; i++)
		fputc('x', f);
	fputc('\n', f);
	return fclose(f);
}

int ifx_write_sources(const char *home)
{
	return write_sources(home) || write_long_password(home) ? -1 : 0;
}

static int login(struct ifx *fx, const char *source, const char *user, const char *pw,
		 struct reg_person *out, struct byod_err *err)
{
	return ident_login_password(fx->ctx->reg, ifx_src(fx, source), user, pw, out, err);
}

/* A refusal: rc, nothing created, one identity.refused row naming source. */
static void refused(struct ifx *fx, const char *source, const char *user, const char *pw, int rc,
		    const char *object, const char *why)
{
	struct byod_err err;
	char needle[64];

	memset(&err, 0, sizeof(err));
	assert_int_equal(login(fx, source, user, pw, NULL, &err), rc);
	if (why && !strstr(err.msg, why))
		fail_msg("'%s' does not say '%s'", err.msg, why);
	assert_int_equal(ifx_people(fx), 0);
	snprintf(needle, sizeof(needle), "\"source\":\"%s\"", source);
	assert_int_equal(ifx_audited(fx, "identity.refused", object, needle), 1);
	assert_int_equal(ifx_audited(fx, "person.add", NULL, NULL), 0);
	assert_int_equal(ifx_audited(fx, "identity.login", NULL, NULL), 0);
}

/* Sets (value) or restores an attribute of uid in the directory, as its admin. */
static void ldap_set(const char *uid, const char *attr, const char *value)
{
	struct berval cred;
	char pw[64], dn[256], *vals[] = { (char *)value, NULL };
	/* value NULL: the attribute removed */
	LDAPMod mod = { .mod_op = value ? LDAP_MOD_REPLACE : LDAP_MOD_DELETE,
			.mod_type = (char *)attr, .mod_values = value ? vals : NULL };
	LDAPMod *mods[] = { &mod, NULL };
	int demand = LDAP_OPT_X_TLS_DEMAND, zero = 0, v3 = 3;
	LDAP *ld;
	FILE *f = fopen(ifx_env("BYOD_LDAP_ROOT_PW"), "r");

	assert_non_null(f);
	assert_non_null(fgets(pw, sizeof(pw), f));
	fclose(f);
	snprintf(dn, sizeof(dn), "uid=%s," PEOPLE, uid);
	assert_int_equal(ldap_initialize(&ld, ifx_env("BYOD_LDAP_URL")), LDAP_SUCCESS);
	ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3);
	ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, ifx_env("BYOD_LDAP_CA"));
	ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand);
	ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero);
	assert_int_equal(ldap_start_tls_s(ld, NULL, NULL), LDAP_SUCCESS);
	cred.bv_val = pw;
	cred.bv_len = strlen(pw);
	assert_int_equal(ldap_sasl_bind_s(ld, "cn=admin,dc=college,dc=test", LDAP_SASL_SIMPLE,
					  &cred, NULL, NULL, NULL), LDAP_SUCCESS);
	explicit_bzero(pw, sizeof(pw));
	assert_int_equal(ldap_modify_ext_s(ld, dn, mods, NULL, NULL), LDAP_SUCCESS);
	ldap_unbind_ext_s(ld, NULL, NULL);
}

/** A pupil signs in through StartTLS and a bind as themselves: created as a
 * student of their school, in their class, with an audit entry. */
static void test_pupil_created(void **state)
{
	struct ifx *fx = *state;
	struct reg_person p;
	struct byod_err err;

	assert_int_equal(login(fx, "college", "alice.martin", "Secret-alice.martin", &p, &err), 0);
	assert_string_equal(p.login, "alice.martin");
	assert_string_equal(p.display_name, "Alice Martin");
	assert_int_equal(p.role, BYOD_ROLE_STUDENT);
	assert_string_equal(p.school, UAI);
	assert_string_equal(p.groups, "3A");
	assert_int_equal(p.state, REG_PERSON_ACTIVE);
	assert_string_equal(p.source, "college");
	assert_int_equal(ifx_people(fx), 1);
	assert_int_equal(ifx_audited(fx, "identity.login", "alice.martin",
				 "\"reason\":\"created\",\"role\":\"student\",\"school\":\"" UAI
				 "\",\"source\":\"college\""), 1);
	assert_int_equal(ifx_audited(fx, "person.add", "alice.martin", NULL), 1);
	/* the login as typed in another case is the same person, stored as the directory
	 * spells it */
	assert_int_equal(login(fx, "college", "Alice.Martin", "Secret-alice.martin", &p, &err), 0);
	assert_string_equal(p.login, "alice.martin");
	assert_int_equal(ifx_people(fx), 1);
}

/** A teacher found by the service account over LDAPS, groups searched: a
 * teacher by the DN of a group, the class groups as their groups. */
static void test_teacher_created(void **state)
{
	struct ifx *fx = *state;
	struct reg_person p;
	struct byod_err err;

	assert_int_equal(login(fx, "annuaire", "claire.petit", "Secret-claire.petit", &p, &err),
			 0);
	assert_int_equal(p.role, BYOD_ROLE_TEACHER);
	assert_string_equal(p.school, UAI);
	assert_string_equal(p.groups, "enseignants");
	assert_string_equal(p.display_name, "Claire Petit");
	assert_int_equal(ifx_audited(fx, "identity.login", "claire.petit",
				 "\"role\":\"teacher\""), 1);
	/* the pupil through the same source: a student by a group's CN, 3A */
	assert_int_equal(login(fx, "annuaire", "alice.martin", "Secret-alice.martin", &p, &err),
			 0);
	assert_int_equal(p.role, BYOD_ROLE_STUDENT);
	assert_string_equal(p.groups, "3A");
	assert_string_equal(p.source, "annuaire"); /* the source last signed in through */
	assert_int_equal(ifx_people(fx), 2);
}

/** memberOf over LDAPS with a bind as the person: role and class from it. */
static void test_memberof(void **state)
{
	struct ifx *fx = *state;
	struct reg_person p;
	struct byod_err err;

	assert_int_equal(login(fx, "groupes", "bob.durand", "Secret-bob.durand", &p, &err), 0);
	assert_int_equal(p.role, BYOD_ROLE_STUDENT);
	assert_string_equal(p.groups, "4B");
	assert_int_equal(login(fx, "groupes", "claire.petit", "Secret-claire.petit", &p, &err), 0);
	assert_int_equal(p.role, BYOD_ROLE_TEACHER);
}

/** A second sign-in after the directory moved the pupil to another class
 * updates the same account (same id), audited as updated. */
static void test_second_login_updates(void **state)
{
	struct ifx *fx = *state;
	struct reg_person first, p;
	struct byod_err err;
	int rc;

	assert_int_equal(login(fx, "college", "alice.martin", "Secret-alice.martin", &first, &err),
			 0);
	ldap_set("alice.martin", "ENTEleveClasses", "4C");
	rc = login(fx, "college", "alice.martin", "Secret-alice.martin", &p, &err);
	ldap_set("alice.martin", "ENTEleveClasses", "3A");
	assert_int_equal(rc, 0);
	assert_true(p.id == first.id);
	assert_string_equal(p.groups, "4C");
	assert_int_equal(ifx_people(fx), 1);
	assert_int_equal(ifx_audited(fx, "identity.login", "alice.martin", "\"reason\":\"updated\""),
			 1);
	assert_int_equal(ifx_audited(fx, "person.update", "alice.martin", NULL), 1);
}

/** A wrong password, or an empty one (an unauthenticated bind succeeds). */
static void test_wrong_password(void **state)
{
	struct ifx *fx = *state;

	refused(fx, "college", "alice.martin", "Secret-bob.durand", -EACCES, "alice.martin",
		"wrong password");
	refused(fx, "annuaire", "alice.martin", "wrong", -EACCES, "alice.martin", NULL);
}

static void test_empty_password(void **state)
{
	refused(*state, "college", "alice.martin", "", -EACCES, "alice.martin", NULL);
}

/** Someone the directory does not know: the same answer as a wrong password. */
static void test_unknown_user(void **state)
{
	refused(*state, "college", "nobody.here", "Secret-nobody.here", -EACCES, "nobody.here",
		"wrong password or no such person");
}

static void test_unknown_user_search(void **state)
{
	refused(*state, "annuaire", "nobody.here", "x", -EACCES, "nobody.here", NULL);
}

/** Logins made to widen a filter or a DN never reach the directory. */
static void test_injection(void **state)
{
	static const char *const bad[] = {
		"*", "alice.martin)(uid=*", "*)(|(uid=*", "alice*", "alice.martin\\2a",
		"uid=alice.martin,ou=people", "alice.martin,ou=people", "(uid=alice.martin)",
		"alice martin",
	};
	struct ifx *fx = *state;
	struct byod_err err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(login(fx, "annuaire", bad[i], "Secret-alice.martin", NULL, &err),
				 -EINVAL);
		assert_int_equal(login(fx, "college", bad[i], "Secret-alice.martin", NULL, &err),
				 -EINVAL);
	}
	assert_int_equal(ifx_people(fx), 0);
	assert_int_equal(ifx_audited(fx, "identity.refused", "(not a login)", NULL),
			 (int)(2 * sizeof(bad) / sizeof(bad[0])));
	assert_int_equal(ifx_audited(fx, "identity.login", NULL, NULL), 0);
}

/** The right server, but byod.conf trusts another CA (and LDAPTLS_REQCERT
 * says never): refused before any password is sent. */
static void test_wrong_ca(void **state)
{
	refused(*state, "wrong-ca", "alice.martin", "Secret-alice.martin", -EHOSTUNREACH,
		"alice.martin", "certificate not trusted");
}

/** A server presenting a certificate of another CA. */
static void test_rogue_server(void **state)
{
	refused(*state, "rogue", "alice.martin", "Secret-alice.martin", -EHOSTUNREACH,
		"alice.martin", "certificate not trusted");
}

/** An answer without UAI. */
static void test_no_uai(void **state)
{
	refused(*state, "college", "noua.i", "Secret-noua.i", -EPERM, "noua.i", "no school");
}

/** An answer with a role the mapping does not have. */
static void test_unknown_role(void **state)
{
	refused(*state, "college", "odd.role", "Secret-odd.role", -EPERM, "odd.role", "no role");
}

/** A school the registry does not know. */
static void test_unknown_school(void **state)
{
	refused(*state, "elsewhere", "alice.martin", "Secret-alice.martin", -EPERM,
		"alice.martin", "not one of the registry's");
}

/** A local account with a password of its own is not taken over by a source. */
static void test_local_account_kept(void **state)
{
	struct ifx *fx = *state;
	struct reg_person p = { .role = BYOD_ROLE_TEACHER }, after;
	struct byod_err err;

	snprintf(p.login, sizeof(p.login), "alice.martin");
	snprintf(p.school, sizeof(p.school), UAI);
	assert_int_equal(byod_user_add(fx->ctx, &p, "Local-password-1", &err), 0);
	assert_int_equal(login(fx, "college", "alice.martin", "Secret-alice.martin", NULL, &err),
			 -EPERM);
	assert_non_null(strstr(err.msg, "local account"));
	assert_int_equal(reg_person_get(fx->ctx->reg, "alice.martin", &after, &err), 0);
	assert_int_equal(after.role, BYOD_ROLE_TEACHER);
	assert_string_equal(after.groups, "");
	assert_int_equal(ifx_audited(fx, "identity.refused", "alice.martin", NULL), 1);
	assert_int_equal(ifx_audited(fx, "identity.login", NULL, NULL), 0);
}

/** A disabled account stays disabled (the rentrée sync's departure). */
static void test_disabled_kept(void **state)
{
	struct ifx *fx = *state;
	struct reg_person p;
	struct byod_err err;

	assert_int_equal(login(fx, "college", "alice.martin", "Secret-alice.martin", &p, &err), 0);
	assert_int_equal(reg_person_set_state(fx->ctx->reg, "alice.martin", REG_PERSON_DISABLED,
					      &err), 0);
	assert_int_equal(login(fx, "college", "alice.martin", "Secret-alice.martin", NULL, &err),
			 -EPERM);
	assert_non_null(strstr(err.msg, "disabled"));
	assert_int_equal(reg_person_get(fx->ctx->reg, "alice.martin", &p, &err), 0);
	assert_int_equal(p.state, REG_PERSON_DISABLED);
}

/** An account of another school (no password: imported, or made by another
 * source) is neither taken over nor moved by this school's directory. */
static void test_other_school_kept(void **state)
{
	struct ifx *fx = *state;
	struct reg_school other = { .uai = "0999999Z", .name = "Autre collège" };
	struct reg_person p = { .role = BYOD_ROLE_STUDENT }, after;
	struct byod_err err;

	assert_int_equal(reg_school_add(fx->ctx->reg, &other, &err), 0);
	snprintf(p.login, sizeof(p.login), "alice.martin");
	snprintf(p.school, sizeof(p.school), "0999999Z");
	snprintf(p.groups, sizeof(p.groups), "5C");
	assert_int_equal(byod_user_add(fx->ctx, &p, NULL, &err), 0);
	assert_int_equal(login(fx, "college", "alice.martin", "Secret-alice.martin", NULL, &err),
			 -EPERM);
	assert_non_null(strstr(err.msg, "another school"));
	assert_int_equal(reg_person_get(fx->ctx->reg, "alice.martin", &after, &err), 0);
	assert_string_equal(after.school, "0999999Z");
	assert_string_equal(after.groups, "5C");
	assert_int_equal(ifx_audited(fx, "identity.refused", "alice.martin", NULL), 1);
	assert_int_equal(ifx_audited(fx, "identity.login", NULL, NULL), 0);
}

/** The service account's password file readable by all is not used. */
static void test_open_password_file(void **state)
{
	refused(*state, "open-password", "alice.martin", "Secret-alice.martin", -EPROTO,
		"alice.martin", "readable by the service only");
}

/** A server that accepts and never answers: refused within timeout-s. */
static void test_timeout(void **state)
{
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	refused(*state, "silent", "alice.martin", "Secret-alice.martin", -ETIMEDOUT,
		"alice.martin", "no answer");
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_true(b.tv_sec - a.tv_sec <= 5);
}

/** A server that answers each step within timeout-s but the whole sign-in
 * in several times it (a relay holding each chunk 0.4 s, timeout-s 1): the
 * bound is on the whole, refused in about timeout-s. */
static void test_timeout_overall(void **state)
{
	struct timespec a, b;
	double took;

	clock_gettime(CLOCK_MONOTONIC, &a);
	refused(*state, "slow", "alice.martin", "Secret-alice.martin", -ETIMEDOUT,
		"alice.martin", "no answer");
	clock_gettime(CLOCK_MONOTONIC, &b);
	took = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	if (took > 1.9)
		fail_msg("refused after %.2f s, timeout-s is 1", took);
}

/** The server by its name: the lookup (bounded too) finds it. */
static void test_by_name(void **state)
{
	struct reg_person p;
	struct byod_err err;

	if (!ifx_env("BYOD_LDAPS_NAME_URL")[0])
		skip(); /* this machine's name is not one of 127.0.0.1's */
	if (login(*state, "by-name", "alice.martin", "Secret-alice.martin", &p, &err))
		fail_msg("%s", err.msg);
	assert_string_equal(p.login, "alice.martin");
}

/** A service password longer than 255 bytes is refused with words that say
 * so, never cut to what fits and sent. */
static void test_long_service_password(void **state)
{
	refused(*state, "long-password", "alice.martin", "Secret-alice.martin", -EPROTO,
		"alice.martin", "longer than 255 bytes");
}

/** A sign-in that failed through no fault of the person's (the directory
 * does not answer), as the portal makes it: the throttle's reservation is
 * released, so twenty tries during an outage neither delay nor lock. */
static void test_outage_released(void **state)
{
	struct ifx *fx = *state;
	struct byod_login_gate g;
	struct reg_throttle t;
	struct byod_err err;
	time_t now = time(NULL);

	for (int i = 0; i < 12; i++) {
		assert_int_equal(byod_login_gate(fx->ctx->reg, "alice.martin", "192.0.2.7", now, &g,
						 &err), 0);
		assert_int_equal(g.verdict, BYOD_LOGIN_GO);
		assert_int_equal(login(fx, "rogue", "alice.martin", "Secret-alice.martin", NULL,
				       &err), -EHOSTUNREACH);
		assert_int_equal(byod_login_release(fx->ctx->reg, &g, &err), 0);
	}
	assert_int_equal(reg_throttle_get(fx->ctx->reg, "pair:alice.martin 192.0.2.7", &t, &err),
			 -ENOENT);
	assert_int_equal(reg_throttle_get(fx->ctx->reg, "addr:192.0.2.7", &t, &err), -ENOENT);
	/* a wrong password is the person's: it stays counted */
	assert_int_equal(byod_login_gate(fx->ctx->reg, "alice.martin", "192.0.2.7", now, &g, &err),
			 0);
	assert_int_equal(login(fx, "college", "alice.martin", "Wrong-1", NULL, &err), -EACCES);
	assert_int_equal(reg_throttle_get(fx->ctx->reg, "pair:alice.martin 192.0.2.7", &t, &err),
			 0);
	assert_int_equal(t.failures, 1);
}

/* Adds (or deletes) the group cn under ou=groups with alice.martin in it. */
static void ldap_group(const char *cn, int add)
{
	struct berval cred;
	char pw[64], dn[2048];
	char *oc[] = { "groupOfNames", NULL }, *cns[] = { (char *)cn, NULL },
	     *mem[] = { "uid=alice.martin," PEOPLE, NULL };
	LDAPMod m1 = { .mod_op = LDAP_MOD_ADD, .mod_type = "objectClass", .mod_values = oc },
		m2 = { .mod_op = LDAP_MOD_ADD, .mod_type = "cn", .mod_values = cns },
		m3 = { .mod_op = LDAP_MOD_ADD, .mod_type = "member", .mod_values = mem };
	LDAPMod *mods[] = { &m1, &m2, &m3, NULL };
	int demand = LDAP_OPT_X_TLS_DEMAND, zero = 0, v3 = 3;
	LDAP *ld;
	FILE *f = fopen(ifx_env("BYOD_LDAP_ROOT_PW"), "r");

	assert_non_null(f);
	assert_non_null(fgets(pw, sizeof(pw), f));
	fclose(f);
	snprintf(dn, sizeof(dn), "cn=%s,ou=groups,dc=college,dc=test", cn);
	assert_int_equal(ldap_initialize(&ld, ifx_env("BYOD_LDAP_URL")), LDAP_SUCCESS);
	ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3);
	ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, ifx_env("BYOD_LDAP_CA"));
	ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand);
	ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero);
	assert_int_equal(ldap_start_tls_s(ld, NULL, NULL), LDAP_SUCCESS);
	cred.bv_val = pw;
	cred.bv_len = strlen(pw);
	assert_int_equal(ldap_sasl_bind_s(ld, "cn=admin,dc=college,dc=test", LDAP_SASL_SIMPLE,
					  &cred, NULL, NULL, NULL), LDAP_SUCCESS);
	explicit_bzero(pw, sizeof(pw));
	if (add)
		assert_int_equal(ldap_add_ext_s(ld, dn, mods, NULL, NULL), LDAP_SUCCESS);
	else
		assert_int_equal(ldap_delete_ext_s(ld, dn, NULL, NULL), LDAP_SUCCESS);
	ldap_unbind_ext_s(ld, NULL, NULL);
}

/** A class that cannot fit the registry's group field (an attribute's value
 * of 300 bytes, two class groups of 200 by memberOf) or longer than any
 * value read (1100 bytes): a refusal that says so (EPERM, the portal's 403,
 * not a registry error's 500), nothing created; never cut, never dropped. */
static void test_long_group(void **state)
{
	struct ifx *fx = *state;
	struct byod_err err;
	char c1[1200], c2[256];
	int rc;

	memset(c1, 'c', 300);
	c1[300] = '\0';
	ldap_set("alice.martin", "ENTEleveClasses", c1);
	rc = login(fx, "college", "alice.martin", "Secret-alice.martin", NULL, &err);
	ldap_set("alice.martin", "ENTEleveClasses", "3A");
	assert_int_equal(rc, -EPERM);
	if (!strstr(err.msg, "does not fit the registry's group field"))
		fail_msg("%s", err.msg);
	memset(c1, 'c', 1100);
	c1[1100] = '\0';
	ldap_set("alice.martin", "ENTEleveClasses", c1);
	rc = login(fx, "college", "alice.martin", "Secret-alice.martin", NULL, &err);
	ldap_set("alice.martin", "ENTEleveClasses", "3A");
	assert_int_equal(rc, -EPERM);
	if (!strstr(err.msg, "longer than 1023 bytes"))
		fail_msg("%s", err.msg);

	memset(c1, 'a', 200);
	c1[200] = '\0';
	memset(c2, 'b', 200);
	c2[200] = '\0';
	ldap_group(c1, 1);
	assert_int_equal(login(fx, "groupes", "alice.martin", "Secret-alice.martin", NULL, &err),
			 0); /* 3A and one of 200: they fit */
	ldap_group(c2, 1);
	rc = login(fx, "groupes", "alice.martin", "Secret-alice.martin", NULL, &err);
	ldap_group(c1, 0);
	ldap_group(c2, 0);
	assert_int_equal(rc, -EPERM);
	if (!strstr(err.msg, "does not fit the registry's group field"))
		fail_msg("%s", err.msg);
	assert_int_equal(ifx_audited(fx, "identity.refused", "alice.martin", NULL), 3);
}

/* A device of login's with one valid certificate, as enrolment leaves it. */
static void add_device(struct ifx *fx, const char *login, const char *serial)
{
	struct reg_person p;
	struct reg_device d = { .kind = BYOD_KIND_PHONE, .state = BYOD_DEVICE_ACTIVE };
	struct reg_cert c = { .state = REG_CERT_VALID };
	struct byod_err err;

	assert_int_equal(reg_person_get(fx->ctx->reg, login, &p, &err), 0);
	d.owner = p.id;
	snprintf(d.name, sizeof(d.name), "phone");
	d.created = time(NULL);
	d.expires = d.created + 86400 * 300;
	assert_int_equal(reg_device_add(fx->ctx->reg, &d, &err), 0);
	snprintf(c.serial, sizeof(c.serial), "%s", serial);
	snprintf(c.device, sizeof(c.device), "%s", d.id);
	c.not_before = d.created;
	c.not_after = d.expires;
	assert_int_equal(reg_cert_add(fx->ctx->reg, &c, &err), 0);
}

/** A sign-in whose answer says the person has left (a status value, or
 * AD's disabled bit): the departure applied as the daily job applies the
 * rentrée sync's (devices and certificates revoked, affiliationChanged; the
 * account disabled; person.left naming the source), the sign-in refused,
 * nobody created for one the registry does not have. */
static void test_left(void **state)
{
	struct ifx *fx = *state;
	struct reg_person p;
	struct reg_cert c;
	struct byod_err err;
	int rc;

	assert_int_equal(login(fx, "leaving", "alice.martin", "Secret-alice.martin", &p, &err), 0);
	add_device(fx, "alice.martin", "a11ce");
	ldap_set("alice.martin", "employeeType", "sorti");
	rc = login(fx, "leaving", "alice.martin", "Secret-alice.martin", NULL, &err);
	ldap_set("alice.martin", "employeeType", "eleve");
	assert_int_equal(rc, -EPERM);
	if (!strstr(err.msg, "has left"))
		fail_msg("%s", err.msg);
	assert_int_equal(reg_person_get(fx->ctx->reg, "alice.martin", &p, &err), 0);
	assert_int_equal(p.state, REG_PERSON_DISABLED);
	assert_int_equal(reg_cert_get(fx->ctx->reg, "a11ce", &c, &err), 0);
	assert_int_equal(c.state, REG_CERT_REVOKED);
	assert_int_equal(c.reason, REG_REASON_AFFILIATION_CHANGED);
	assert_int_equal(ifx_audited(fx, "person.left", "alice.martin",
				 "\"devices\":1,\"reason\":\"the source says the person has "
				 "left\",\"source\":\"leaving\""), 1);
	assert_int_equal(ifx_audited(fx, "identity.refused", "alice.martin", "has left"), 1);
	/* still left: refused, nothing more written */
	ldap_set("alice.martin", "employeeType", "SORTI");
	rc = login(fx, "leaving", "alice.martin", "Secret-alice.martin", NULL, &err);
	ldap_set("alice.martin", "employeeType", "eleve");
	assert_int_equal(rc, -EPERM);
	assert_int_equal(ifx_audited(fx, "person.left", NULL, NULL), 1);

	/* AD's userAccountControl with ACCOUNTDISABLE (514 = 512 | 2), for
	 * someone the registry has never seen: refused, not created */
	ldap_set("bob.durand", "employeeType", "514");
	rc = login(fx, "leaving", "bob.durand", "Secret-bob.durand", NULL, &err);
	assert_int_equal(rc, -EPERM);
	assert_int_equal(reg_person_get(fx->ctx->reg, "bob.durand", &p, &err), -ENOENT);
	/* 512 alone is an account in use */
	ldap_set("bob.durand", "employeeType", "512");
	rc = login(fx, "leaving", "bob.durand", "Secret-bob.durand", &p, &err);
	ldap_set("bob.durand", "employeeType", "eleve");
	assert_int_equal(rc, 0);
	assert_int_equal(p.state, REG_PERSON_ACTIVE);
}

/** A person another source brought (the ENT's jdupont, a pupil, is not the
 * directory's jdupont, a teacher) is not taken over by this source. */
static void test_other_source_kept(void **state)
{
	struct ifx *fx = *state;
	struct reg_person p = { .role = BYOD_ROLE_STUDENT, .state = REG_PERSON_ACTIVE }, after;
	struct byod_err err;

	snprintf(p.login, sizeof(p.login), "alice.martin");
	snprintf(p.school, sizeof(p.school), UAI);
	snprintf(p.groups, sizeof(p.groups), "5C");
	snprintf(p.source, sizeof(p.source), "ent");
	assert_int_equal(reg_person_add(fx->ctx->reg, &p, &err), 0);
	assert_int_equal(login(fx, "college", "alice.martin", "Secret-alice.martin", NULL, &err),
			 -EPERM);
	assert_non_null(strstr(err.msg, "another source"));
	assert_int_equal(reg_person_get(fx->ctx->reg, "alice.martin", &after, &err), 0);
	assert_string_equal(after.source, "ent");
	assert_string_equal(after.groups, "5C");
	assert_int_equal(ifx_audited(fx, "identity.login", NULL, NULL), 0);
}

/** A leaver's answer without a UAI (ENTs clear it) ends only this source's
 * own person: an imported account of that login may be another school's. */
static void test_left_without_school(void **state)
{
	struct ifx *fx = *state;
	struct reg_school other = { .uai = "0999999Z", .name = "Autre collège" };
	struct reg_person p = { .role = BYOD_ROLE_STUDENT, .state = REG_PERSON_ACTIVE };
	struct byod_err err;
	int rc;

	assert_int_equal(reg_school_add(fx->ctx->reg, &other, &err), 0);
	snprintf(p.login, sizeof(p.login), "alice.martin");
	snprintf(p.school, sizeof(p.school), "0999999Z");
	assert_int_equal(reg_person_add(fx->ctx->reg, &p, &err), 0); /* imported, no source */
	ldap_set("alice.martin", "employeeType", "sorti");
	ldap_set("alice.martin", "ENTPersonStructRattach", NULL);
	rc = login(fx, "leaving", "alice.martin", "Secret-alice.martin", NULL, &err);
	ldap_set("alice.martin", "ENTPersonStructRattach", UAI);
	ldap_set("alice.martin", "employeeType", "eleve");
	assert_int_equal(rc, -EPERM);
	assert_int_equal(reg_person_get(fx->ctx->reg, "alice.martin", &p, &err), 0);
	assert_int_equal(p.state, REG_PERSON_ACTIVE);
	assert_int_equal(ifx_audited(fx, "person.left", NULL, NULL), 0);
}

/* A person of source src the directory does not have. */
static void add_sourced(struct ifx *fx, const char *login, const char *src)
{
	struct reg_person p = { .role = BYOD_ROLE_STUDENT, .state = REG_PERSON_ACTIVE };
	struct byod_err err;

	snprintf(p.login, sizeof(p.login), "%s", login);
	snprintf(p.school, sizeof(p.school), UAI);
	snprintf(p.source, sizeof(p.source), "%s", src);
	assert_int_equal(reg_person_add(fx->ctx->reg, &p, &err), 0);
}

static time_t leaves_at(struct ifx *fx, const char *login)
{
	struct reg_person p;
	struct byod_err err;

	assert_int_equal(reg_person_get(fx->ctx->reg, login, &p, &err), 0);
	return p.leaves_at;
}

/** The source's directory against the registry: its people the directory
 * no longer lists, or lists as left, get a leaving date now with an audit
 * entry naming the source (a dry run writes nothing); other sources' and
 * local people are not its to end; a directory that lists nobody, or would
 * send more than half of the source's people away, changes nothing. */
static void test_sync(void **state)
{
	struct ifx *fx = *state;
	struct ident_sync_result r;
	struct byod_err err;
	time_t now = time(NULL);
	int rc;

	assert_int_equal(login(fx, "annuaire", "alice.martin", "Secret-alice.martin", NULL, &err),
			 0);
	assert_int_equal(login(fx, "annuaire", "bob.durand", "Secret-bob.durand", NULL, &err), 0);
	assert_int_equal(login(fx, "annuaire", "claire.petit", "Secret-claire.petit", NULL, &err),
			 0);
	add_sourced(fx, "zoe.gone", "annuaire");
	add_sourced(fx, "yves.other", "college"); /* another source's */
	add_sourced(fx, "xavier.csv", "");         /* imported */

	assert_int_equal(ident_sync(fx->ctx->reg, ifx_src(fx, "annuaire"), now, 1, &r, &err), 0);
	assert_true(r.listed >= 5);
	assert_int_equal(r.active, 4);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.items[0].login, "zoe.gone");
	ident_sync_result_free(&r);
	assert_true(leaves_at(fx, "zoe.gone") == 0); /* dry run */

	ldap_set("bob.durand", "employeeType", "SORTI");
	rc = ident_sync(fx->ctx->reg, ifx_src(fx, "annuaire"), now, 0, &r, &err);
	ldap_set("bob.durand", "employeeType", "eleve");
	assert_int_equal(rc, 0);
	assert_int_equal(r.n, 2);
	ident_sync_result_free(&r);
	assert_true(leaves_at(fx, "zoe.gone") == now);
	assert_true(leaves_at(fx, "bob.durand") == now);
	assert_true(leaves_at(fx, "alice.martin") == 0);
	assert_true(leaves_at(fx, "yves.other") == 0);
	assert_true(leaves_at(fx, "xavier.csv") == 0);
	assert_int_equal(ifx_audited(fx, "identity.leave", "zoe.gone",
				 "\"reason\":\"no longer in the directory\",\"source\":\"annuaire\""),
			 1);
	assert_int_equal(ifx_audited(fx, "identity.leave", "bob.durand", "has left"), 1);
	/* run again: those leaving already are left as they are */
	assert_int_equal(ident_sync(fx->ctx->reg, ifx_src(fx, "annuaire"), now + 5, 0, &r, &err), 0);
	assert_int_equal(r.n, 0);
	ident_sync_result_free(&r);
	assert_true(leaves_at(fx, "zoe.gone") == now);

	/* a directory that lists nobody under base-dn */
	add_sourced(fx, "w.nobody", "nobody");
	assert_int_equal(ident_sync(fx->ctx->reg, ifx_src(fx, "nobody"), now, 0, &r, &err), -EPROTO);
	if (!strstr(err.msg, "lists nobody"))
		fail_msg("%s", err.msg);
	assert_true(leaves_at(fx, "w.nobody") == 0);

	/* more than half of 13 would leave (10 the directory does not have) */
	for (int i = 0; i < 10; i++) {
		char l[32];

		snprintf(l, sizeof(l), "ghost%d", i);
		add_sourced(fx, l, "annuaire");
	}
	assert_int_equal(ident_sync(fx->ctx->reg, ifx_src(fx, "annuaire"), now, 0, &r, &err), -EPROTO);
	if (!strstr(err.msg, "more than half"))
		fail_msg("%s", err.msg);
	assert_true(leaves_at(fx, "ghost0") == 0);
	/* only an LDAP source with a service account can list its people */
	assert_int_equal(ident_sync(fx->ctx->reg, ifx_src(fx, "college"), now, 0, &r, &err), -EINVAL);
}

/* 1 when needle is in the file at path. */
static int file_has(const char *path, const char *needle)
{
	char *data = NULL;
	size_t len = 0;
	int found;

	if (byod_file_read(path, &data, &len, NULL))
		return 0;
	found = memmem(data, len, needle, strlen(needle)) != NULL;
	free(data);
	return found;
}

/** No password of a source is stored: not in the registry's files, nor in
 * the audit, after sign-ins that succeed and fail. */
static void test_no_password_stored(void **state)
{
	struct ifx *fx = *state;
	struct reg_person p;
	struct byod_err err;
	char path[700];

	assert_int_equal(login(fx, "annuaire", "claire.petit", "Secret-claire.petit", &p, &err),
			 0);
	assert_string_equal(p.password_hash, "");
	assert_int_equal(login(fx, "college", "alice.martin", "Wrong-Pass-9", NULL, &err),
			 -EACCES);
	assert_null(strstr(err.msg, "Wrong-Pass-9"));
	assert_int_equal(ifx_audited(fx, "identity.login", NULL, "Secret"), 0);
	assert_int_equal(ifx_audited(fx, "identity.refused", NULL, "Wrong-Pass-9"), 0);
	assert_int_equal(ifx_audited(fx, "identity.refused", NULL, "SvcPass"), 0);
	if (ifx_on_postgres())
		return; /* no file of the registry's to read */
	byod_close(fx->ctx);
	fx->ctx = NULL;
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/registry.db%s", fx->home,
			 (const char *[]){ "", "-wal", "-shm" }[i]);
		assert_false(file_has(path, "Secret-claire.petit"));
		assert_false(file_has(path, "Wrong-Pass-9"));
		assert_false(file_has(path, "SvcPass-1"));
	}
	assert_int_equal(byod_open(fx->home, "byod-portal", &fx->ctx, &err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, ifx_setup, ifx_teardown)
		T(test_pupil_created),
		T(test_teacher_created),
		T(test_memberof),
		T(test_second_login_updates),
		T(test_wrong_password),
		T(test_empty_password),
		T(test_unknown_user),
		T(test_unknown_user_search),
		T(test_injection),
		T(test_wrong_ca),
		T(test_rogue_server),
		T(test_no_uai),
		T(test_unknown_role),
		T(test_unknown_school),
		T(test_local_account_kept),
		T(test_disabled_kept),
		T(test_other_school_kept),
		T(test_other_source_kept),
		T(test_left_without_school),
		T(test_open_password_file),
		T(test_timeout),
		T(test_no_password_stored),
		T(test_timeout_overall),
		T(test_by_name),
		T(test_long_service_password),
		T(test_outage_released),
		T(test_long_group),
		T(test_left),
		T(test_sync),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
