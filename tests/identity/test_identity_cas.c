// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Sign-in through byod.conf's CAS identity sources, against the real
 * LemonLDAP::NG (CAS 3.0 server) on the real slapd that cas.sh started, with
 * tickets it obtained by signing in as a browser would (BYOD_CAS_TICKET_*):
 * a pupil and a teacher are created with their role, school and class and
 * an audit entry; a ticket used twice, a ticket validated for another
 * service, a server whose certificate is another CA's, the right server with
 * another CA trusted (the environment trusting the right one), a server that
 * never answers, an answer without UAI or with an unknown role, and
 * tickets that cannot be ones are each refused, nothing created, with an
 * audit entry. The serviceValidate parser refuses a DTD (XXE, entity
 * expansion), other namespaces and oversize answers; the logoutRequest that
 * LemonLDAP::NG posted to the service gives back the ticket it ends, and junk
 * gives nothing. Each test on a fresh state directory (byod_home_init).
 */
#define _GNU_SOURCE /* nftw (rmtree.h) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "byod.h"
#include "byod_util.h"
#include "cas.h"
#include "identity.h"
#include "fixture.h"

#define UAI IFX_UAI

#define MAPPING                                                                            \
	"    login-attribute: \"cas:user\"\n"                                                  \
	"    role-attribute: role\n"                                                            \
	"    roles: \"National_ELV=student, National_ENS=teacher\"\n"                          \
	"    school-attribute: uai\n"                                                           \
	"    class-attribute: classe\n"

/* The identity section every test reads. */
int ifx_write_sources(const char *home)
{
	char path[700];
	FILE *f;

	snprintf(path, sizeof(path), "%s/byod.conf", home);
	f = fopen(path, "a");
	if (!f)
		return -1;
	fprintf(f,
		"\nidentity:\n"
		"  ent:\n"
		"    kind: cas\n"
		"    label: \"Se connecter avec l'ENT\"\n"
		"    server-url: \"%s\"\n"
		"    service-url: \"%s\"\n"
		"    ca-file: \"%s\"\n"
		"    timeout-s: 10\n" MAPPING
		/* the same server, but this gateway is another service */
		"  ent-other:\n"
		"    kind: cas\n"
		"    server-url: \"%s\"\n"
		"    service-url: \"%s\"\n"
		"    ca-file: \"%s\"\n" MAPPING
		/* a server with another CA's certificate */
		"  rogue:\n"
		"    kind: cas\n"
		"    server-url: \"%s\"\n"
		"    service-url: \"%s\"\n"
		"    ca-file: \"%s\"\n" MAPPING
		/* the right server, another CA trusted */
		"  wrong-ca:\n"
		"    kind: cas\n"
		"    server-url: \"%s\"\n"
		"    service-url: \"%s\"\n"
		"    ca-file: \"%s\"\n" MAPPING
		/* a port that accepts and never answers */
		"  silent:\n"
		"    kind: cas\n"
		"    server-url: \"%s\"\n"
		"    service-url: \"%s\"\n"
		"    ca-file: \"%s\"\n"
		"    timeout-s: 1\n" MAPPING,
		ifx_env("BYOD_CAS_SERVER"), ifx_env("BYOD_CAS_SERVICE"), ifx_env("BYOD_CAS_CA"),
		ifx_env("BYOD_CAS_SERVER"), ifx_env("BYOD_CAS_OTHER_SERVICE"), ifx_env("BYOD_CAS_CA"),
		ifx_env("BYOD_CAS_ROGUE"), ifx_env("BYOD_CAS_SERVICE"), ifx_env("BYOD_CAS_CA"),
		ifx_env("BYOD_CAS_SERVER"), ifx_env("BYOD_CAS_SERVICE"), ifx_env("BYOD_CAS_OTHER_CA"),
		ifx_env("BYOD_CAS_SILENT"), ifx_env("BYOD_CAS_SERVICE"), ifx_env("BYOD_CAS_CA"));
	return fclose(f);
}

static int login(struct ifx *fx, const char *source, const char *ticket, struct reg_person *out,
		 struct byod_err *err)
{
	return ident_login_cas(fx->ctx->reg, ifx_src(fx, source), ticket, out, err);
}

/* A refusal: rc, nothing created, one identity.refused row naming source. */
static void refused(struct ifx *fx, const char *source, const char *ticket, int rc,
		    const char *object, const char *why)
{
	struct byod_err err;
	char needle[64];

	memset(&err, 0, sizeof(err));
	assert_int_equal(login(fx, source, ticket, NULL, &err), rc);
	if (why && !strstr(err.msg, why))
		fail_msg("'%s' does not say '%s'", err.msg, why);
	assert_int_equal(ifx_people(fx), 0);
	snprintf(needle, sizeof(needle), "\"source\":\"%s\"", source);
	assert_int_equal(ifx_audited(fx, "identity.refused", object, needle), 1);
	assert_int_equal(ifx_audited(fx, "person.add", NULL, NULL), 0);
	assert_int_equal(ifx_audited(fx, "identity.login", NULL, NULL), 0);
}

/** A pupil signs in through the ENT's CAS: the ticket validated with
 * p3/serviceValidate, created as a student of their school, in their class,
 * with an audit entry. */
static void test_pupil_created(void **state)
{
	struct ifx *fx = *state;
	struct reg_person p;
	struct byod_err err;

	assert_int_equal(login(fx, "ent", ifx_env("BYOD_CAS_TICKET_ALICE_MARTIN"), &p, &err), 0);
	assert_string_equal(p.login, "alice.martin");
	assert_string_equal(p.display_name, "Alice Martin");
	assert_int_equal(p.role, BYOD_ROLE_STUDENT);
	assert_string_equal(p.school, UAI);
	assert_string_equal(p.groups, "3A");
	assert_int_equal(p.state, REG_PERSON_ACTIVE);
	assert_int_equal(ifx_people(fx), 1);
	assert_int_equal(ifx_audited(fx, "identity.login", "alice.martin",
				 "\"reason\":\"created\",\"role\":\"student\",\"school\":\"" UAI
				 "\",\"source\":\"ent\""), 1);
	assert_int_equal(ifx_audited(fx, "person.add", "alice.martin", NULL), 1);
}

/** A teacher: the role from the ENT profile National_ENS. */
static void test_teacher_created(void **state)
{
	struct ifx *fx = *state;
	struct reg_person p;
	struct byod_err err;

	assert_int_equal(login(fx, "ent", ifx_env("BYOD_CAS_TICKET_CLAIRE_PETIT"), &p, &err), 0);
	assert_string_equal(p.login, "claire.petit");
	assert_int_equal(p.role, BYOD_ROLE_TEACHER);
	assert_string_equal(p.school, UAI);
	assert_int_equal(ifx_people(fx), 1);
	assert_int_equal(ifx_audited(fx, "identity.login", "claire.petit", "\"source\":\"ent\""), 1);
}

/** The pupil's ticket again (test_pupil_created used it): the CAS server
 * says INVALID_TICKET. */
static void test_ticket_twice(void **state)
{
	refused(*state, "ent", ifx_env("BYOD_CAS_TICKET_ALICE_MARTIN"), -EACCES, "(not a login)",
		"INVALID_TICKET");
}

/** A ticket issued for the gateway, validated by a gateway that is another
 * service: INVALID_SERVICE. */
static void test_other_service(void **state)
{
	refused(*state, "ent-other", ifx_env("BYOD_CAS_TICKET_OTHER"), -EACCES, "(not a login)",
		"INVALID_SERVICE");
}

/** A server presenting a certificate of another CA (environment variables
 * of curl and OpenSSL point at it too): refused before the ticket is sent. */
static void test_rogue_server(void **state)
{
	refused(*state, "rogue", "ST-1-abcdefghijklmnop", -EHOSTUNREACH, "(not a login)",
		"not trusted");
}

/** The right server, but byod.conf trusts another CA. */
static void test_wrong_ca(void **state)
{
	refused(*state, "wrong-ca", "ST-1-abcdefghijklmnop", -EHOSTUNREACH, "(not a login)",
		"not trusted");
}

/** A server that never answers: refused after timeout-s, not later. */
static void test_timeout(void **state)
{
	struct timespec a, b;
	double s;

	clock_gettime(CLOCK_MONOTONIC, &a);
	refused(*state, "silent", "ST-1-abcdefghijklmnop", -ETIMEDOUT, "(not a login)",
		"did not answer");
	clock_gettime(CLOCK_MONOTONIC, &b);
	s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	if (s < 0.9 || s > 4)
		fail_msg("refused after %.1f s, timeout-s is 1", s);
}

/** An answer without UAI. */
static void test_no_uai(void **state)
{
	refused(*state, "ent", ifx_env("BYOD_CAS_TICKET_NOUA_I"), -EPERM, "noua.i", "no school");
}

/** An answer with a role the mapping does not have. */
static void test_unknown_role(void **state)
{
	refused(*state, "ent", ifx_env("BYOD_CAS_TICKET_ODD_ROLE"), -EPERM, "odd.role", "no role");
}

/** What cannot be a ticket never reaches the server. */
static void test_not_a_ticket(void **state)
{
	struct ifx *fx = *state;
	static const char *const bad[] = { "", "ST-", "PGT-1-abc", "ST-1&service=x",
					   "ST-1 abc", "ST-1%00", "st-1-abc" };
	char longer[400];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(login(fx, "ent", bad[i], NULL, NULL), -EINVAL);
	memset(longer, 'a', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	memcpy(longer, "ST-", 3);
	assert_int_equal(login(fx, "ent", longer, NULL, NULL), -EINVAL);
	assert_int_equal(ifx_people(fx), 0);
	assert_int_equal(ifx_audited(fx, "identity.refused", "(not a login)", NULL), 8);
}

/** The login URL: the service URL-encoded after server-url's login. */
static void test_login_url(void **state)
{
	struct ifx *fx = *state;
	char want[2048], url[2048];
	const char *svc = ifx_env("BYOD_CAS_SERVICE");
	size_t n;

	n = (size_t)snprintf(want, sizeof(want), "%slogin?service=", ifx_env("BYOD_CAS_SERVER"));
	for (const char *p = svc; *p; p++)
		n += (size_t)(strchr(":/", *p) ? snprintf(want + n, sizeof(want) - n, "%%%02X", *p)
					       : snprintf(want + n, sizeof(want) - n, "%c", *p));
	assert_int_equal(ident_cas_login_url(ifx_src(fx, "ent"), url, sizeof(url)), 0);
	assert_string_equal(url, want);
	assert_int_equal(ident_cas_login_url(ifx_src(fx, "ent"), url, 20), -ENAMETOOLONG);
}

#define NS "xmlns:cas=\"http://www.yale.edu/tp/cas\""

static int parse(const char *xml, struct ident_attrs *a, struct byod_err *err)
{
	memset(a, 0, sizeof(*a));
	return ident_cas_parse(xml, strlen(xml), a, err);
}

/** The answer's parser: a success with attributes (several values, CDATA,
 * another prefix for CAS's namespace), a failure's code; refused: a DTD
 * (an external entity, entities that expand), the right names in another
 * namespace, two results, an attribute holding an element, no user, a
 * document too large. */
static void test_parse(void **state)
{
	struct ident_attrs a;
	struct byod_err err;
	char *big;
	static const char *const junk[] = {
		"<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
		"<cas:serviceResponse " NS "><cas:authenticationSuccess><cas:user>&x;</cas:user>"
		"</cas:authenticationSuccess></cas:serviceResponse>",
		"<!DOCTYPE r [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]>"
		"<cas:serviceResponse " NS "><cas:authenticationSuccess><cas:user>&b;</cas:user>"
		"</cas:authenticationSuccess></cas:serviceResponse>",
		"<cas:serviceResponse xmlns:cas=\"http://evil.example/cas\"><cas:authenticationSuccess>"
		"<cas:user>alice</cas:user></cas:authenticationSuccess></cas:serviceResponse>",
		"<serviceResponse><authenticationSuccess><user>alice</user></authenticationSuccess>"
		"</serviceResponse>",
		"<cas:serviceResponse " NS "><cas:authenticationSuccess><cas:user>alice</cas:user>"
		"</cas:authenticationSuccess><cas:authenticationSuccess><cas:user>bob</cas:user>"
		"</cas:authenticationSuccess></cas:serviceResponse>",
		"<cas:serviceResponse " NS "><cas:authenticationSuccess><cas:user>alice</cas:user>"
		"<cas:user>bob</cas:user></cas:authenticationSuccess></cas:serviceResponse>",
		"<cas:serviceResponse " NS "><cas:authenticationSuccess><cas:user>alice</cas:user>"
		"<cas:attributes><cas:uai><x>0123456A</x></cas:uai></cas:attributes>"
		"</cas:authenticationSuccess></cas:serviceResponse>",
		"<cas:serviceResponse " NS "><cas:authenticationSuccess><cas:attributes>"
		"<cas:uai>0123456A</cas:uai></cas:attributes></cas:authenticationSuccess>"
		"</cas:serviceResponse>",
		"<cas:serviceResponse " NS "><cas:authenticationSuccess><cas:user>alice",
		"not xml at all",
	};

	(void)state;
	assert_int_equal(parse("<cas:serviceResponse " NS ">\n <cas:authenticationSuccess>\n"
			       "  <cas:user>alice.martin</cas:user>\n  <cas:attributes>\n"
			       "   <cas:classe>3A</cas:classe><cas:classe><![CDATA[4B]]></cas:classe>\n"
			       "   <c:uai xmlns:c=\"http://www.yale.edu/tp/cas\"> 0123456A </c:uai>\n"
			       "  </cas:attributes>\n  <cas:proxyGrantingTicket>PGTIOU-1"
			       "</cas:proxyGrantingTicket>\n </cas:authenticationSuccess>\n"
			       "</cas:serviceResponse>\n", &a, &err), 0);
	assert_string_equal(ident_attrs_get(&a, IDENT_CAS_USER, 0), "alice.martin");
	assert_string_equal(ident_attrs_get(&a, "classe", 0), "3A");
	assert_string_equal(ident_attrs_get(&a, "classe", 1), "4B");
	assert_string_equal(ident_attrs_get(&a, "uai", 0), "0123456A");
	ident_attrs_free(&a);

	assert_int_equal(parse("<cas:serviceResponse " NS "><cas:authenticationFailure "
			       "code=\"INVALID_TICKET\">Ticket ST-1 not recognized"
			       "</cas:authenticationFailure></cas:serviceResponse>", &a, &err),
			 -EACCES);
	assert_non_null(strstr(err.msg, "INVALID_TICKET"));
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		int rc = parse(junk[i], &a, &err);

		if (rc != -EPROTO)
			fail_msg("junk %zu: %d (%s)", i, rc, err.msg);
		assert_int_equal(a.n, 0);
	}
	big = malloc(IDENT_CAS_ANSWER_MAX + 200);
	assert_non_null(big);
	snprintf(big, 200, "<cas:serviceResponse " NS "><cas:authenticationSuccess>"
		 "<cas:user>alice</cas:user><!--");
	memset(big + strlen(big), 'x', IDENT_CAS_ANSWER_MAX);
	strcpy(big + IDENT_CAS_ANSWER_MAX, "--></cas:authenticationSuccess></cas:serviceResponse>");
	assert_int_equal(parse(big, &a, &err), -EPROTO);
	free(big);
}

/** Single logout: the logoutRequest LemonLDAP::NG posted to the service
 * when bob's session ended names the ticket he signed in with. */
static void test_logout_request(void **state)
{
	char body[16384], ticket[IDENT_CAS_TICKET_MAX];
	FILE *f = fopen(ifx_env("BYOD_CAS_LOGOUT_POST"), "r");
	size_t n;

	(void)state;
	assert_non_null(f);
	assert_non_null(fgets(body, sizeof(body), f));
	fclose(f);
	n = strcspn(body, "\n");
	body[n] = '\0';
	assert_int_equal(ident_cas_logout_parse(body, n, ticket, sizeof(ticket)), 0);
	assert_string_equal(ticket, ifx_env("BYOD_CAS_TICKET_SLO"));
}

/** Junk posted as a logout gives no ticket. */
static void test_logout_junk(void **state)
{
	static const char *const junk[] = {
		"",
		"logoutRequest=",
		"ticket=ST-1-abc",
		"logoutRequest=%3Csamlp%3ALogoutRequest",
		"logoutRequest=%ZZ",
		/* no namespace */
		"logoutRequest=<LogoutRequest><SessionIndex>ST-1-abc</SessionIndex></LogoutRequest>",
		/* a session index that is no ticket */
		"logoutRequest=<samlp:LogoutRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:"
		"protocol\"><samlp:SessionIndex>ST-1 abc</samlp:SessionIndex></samlp:LogoutRequest>",
		/* two of them */
		"logoutRequest=<samlp:LogoutRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:"
		"protocol\"><samlp:SessionIndex>ST-1-a</samlp:SessionIndex><samlp:SessionIndex>"
		"ST-2-b</samlp:SessionIndex></samlp:LogoutRequest>",
		/* an entity */
		"logoutRequest=<!DOCTYPE r [<!ENTITY t \"ST-1-abc\">]><samlp:LogoutRequest "
		"xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\"><samlp:SessionIndex>&t;"
		"</samlp:SessionIndex></samlp:LogoutRequest>",
		/* two fields */
		"logoutRequest=a&logoutRequest=<samlp:LogoutRequest xmlns:samlp=\"urn:oasis:names:"
		"tc:SAML:2.0:protocol\"><samlp:SessionIndex>ST-1-a</samlp:SessionIndex>"
		"</samlp:LogoutRequest>",
		/* a NUL encoded inside */
		"logoutRequest=<samlp:LogoutRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:"
		"protocol\"><samlp:SessionIndex>ST-1-a</samlp:SessionIndex></samlp:LogoutRequest>%00",
	};
	char ticket[IDENT_CAS_TICKET_MAX];
	const char *good = "<samlp:LogoutRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:"
			   "protocol\" ID=\"x\"><saml:NameID xmlns:saml=\"urn:oasis:names:tc:SAML:"
			   "2.0:assertion\">@NOT_USED@</saml:NameID><samlp:SessionIndex>ST-9-xyz"
			   "</samlp:SessionIndex></samlp:LogoutRequest>";

	(void)state;
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
		if (ident_cas_logout_parse(junk[i], strlen(junk[i]), ticket, sizeof(ticket)) !=
		    -EINVAL)
			fail_msg("junk %zu accepted", i);
	assert_int_equal(ident_cas_logout_xml(good, strlen(good), ticket, sizeof(ticket)), 0);
	assert_string_equal(ticket, "ST-9-xyz");
	assert_int_equal(ident_cas_logout_xml(good, strlen(good), ticket, 5), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, ifx_setup, ifx_teardown)
		T(test_pupil_created),
		T(test_teacher_created),
		T(test_ticket_twice),
		T(test_other_service),
		T(test_rogue_server),
		T(test_wrong_ca),
		T(test_timeout),
		T(test_no_uai),
		T(test_unknown_role),
		T(test_not_a_ticket),
		T(test_login_url),
		cmocka_unit_test(test_parse),
		T(test_logout_request),
		cmocka_unit_test(test_logout_junk),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
