// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of byod.conf's CAS identity sources (common/conf_identity.c,
 * identity/cas.c): a cas source read with its defaults and copied; its
 * mistakes (a server or service that is not https, a missing ca-file, a key
 * of LDAP on it, one of CAS on an LDAP source) refused with the key; the
 * login URL and the tickets refused before any server is asked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "byod_conf.h"
#include "cas.h"

static const char *const good =
	"school:\n"
	"  uai: \"0123456A\"\n"
	"identity:\n"
	"  ent:\n"
	"    kind: cas\n"
	"    label: \"Se connecter avec l'ENT\"\n"
	"    server-url: \"https://cas.ent.example:8443/cas/\"\n"
	"    service-url: \"https://portail.college.lan/cas/callback?a=1&b=é\"\n"
	"    ca-file: /etc/byod/ent-ca.pem\n"
	"    login-attribute: \"cas:user\"\n"
	"    role-attribute: role\n"
	"    roles: \"National_ELV=student, National_ENS=teacher\"\n"
	"    school-attribute: uai\n"
	"    class-attribute: classe\n"
	"  college:\n"
	"    kind: ldap\n"
	"    url: ldap://ldap.college.lan/\n"
	"    ca-file: /etc/byod/ldap-ca.pem\n"
	"    user-dn: \"uid=%s,ou=people,dc=college,dc=test\"\n"
	"    roles: \"eleves=student\"\n"
	"    school: \"0123456A\"\n";

static int load(const char *text, struct byod_conf *conf, struct byod_err *err)
{
	const char *base = getenv("BYOD_TEST_TMP");
	char path[512];
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), "%s/casconf.XXXXXX", base ? base : "/tmp");
	rc = mkstemp(path);
	assert_true(rc >= 0);
	f = fdopen(rc, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(byod_conf_defaults(conf, "/tmp"), 0);
	memset(err, 0, sizeof(*err));
	rc = byod_conf_load(conf, path, err);
	unlink(path);
	return rc;
}

/** A cas source beside an LDAP one, its defaults, a deep copy, its login URL. */
static void test_source(void **state)
{
	struct byod_conf conf, copy;
	struct byod_err err;
	const struct byod_idsrc *s;
	char url[1024];

	(void)state;
	assert_int_equal(load(good, &conf, &err), 0);
	assert_int_equal(conf.nidsrc, 2);
	s = byod_conf_idsrc(&conf, "ent");
	assert_non_null(s);
	assert_int_equal(s->kind, BYOD_IDSRC_CAS);
	assert_int_equal(s->timeout_s, 5);
	assert_string_equal(s->server_url, "https://cas.ent.example:8443/cas/");
	assert_string_equal(s->ca_file, "/etc/byod/ent-ca.pem");
	assert_int_equal(ident_cas_login_url(s, url, sizeof(url)), 0);
	assert_string_equal(url, "https://cas.ent.example:8443/cas/login?service=https%3A%2F%2F"
			    "portail.college.lan%2Fcas%2Fcallback%3Fa%3D1%26b%3D%C3%A9");
	/* an LDAP source has no login URL */
	assert_int_equal(ident_cas_login_url(byod_conf_idsrc(&conf, "college"), url, sizeof(url)),
			 -EINVAL);
	assert_int_equal(byod_conf_copy(&copy, &conf), 0);
	byod_conf_free(&conf);
	assert_string_equal(byod_conf_idsrc(&copy, "ent")->service_url,
			    "https://portail.college.lan/cas/callback?a=1&b=é");
	byod_conf_free(&copy);
}

/* good with from replaced by to, loaded: the error must name key. */
static void refused(const char *from, const char *to, const char *key)
{
	struct byod_conf conf;
	struct byod_err err;
	char text[4096];
	const char *at = strstr(good, from);

	assert_non_null(at);
	snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - good), good, to, at + strlen(from));
	assert_int_not_equal(load(text, &conf, &err), 0);
	if (!strstr(err.msg, key))
		fail_msg("'%s' does not name %s", err.msg, key);
	byod_conf_free(&conf);
}

/** Each mistake names its key. */
static void test_mistakes(void **state)
{
	(void)state;
	refused("https://cas.ent", "http://cas.ent", "identity.ent.server-url");
	refused("\"https://cas.ent.example:8443/cas/\"", "\"https:///cas/\"",
		"identity.ent.server-url");
	refused("\"https://cas.ent.example:8443/cas/\"", "\"https://cas ent/\"",
		"identity.ent.server-url");
	refused("https://portail", "http://portail", "identity.ent.service-url");
	refused("    service-url: \"https://portail.college.lan/cas/callback?a=1&b=é\"\n", "",
		"identity.ent.service-url");
	refused("    ca-file: /etc/byod/ent-ca.pem\n", "", "identity.ent.ca-file");
	refused("    ca-file: /etc/byod/ent-ca.pem\n", "    url: ldap://x/\n", "identity.ent.url");
	refused("    url: ldap://ldap.college.lan/\n", "    server-url: https://x/\n",
		"identity.college.server-url");
	refused("    kind: cas\n", "    kind: saml\n", "identity.ent.server-url");
}

/** What cannot be a service ticket. */
static void test_tickets(void **state)
{
	char longer[300];

	(void)state;
	assert_true(ident_cas_ticket_ok("ST-1-abc.DEF_ghi-0"));
	assert_false(ident_cas_ticket_ok("ST-"));
	assert_false(ident_cas_ticket_ok("PT-1-abc"));
	assert_false(ident_cas_ticket_ok("ST-1&renew=true"));
	assert_false(ident_cas_ticket_ok("ST-1/../x"));
	memset(longer, 'a', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	memcpy(longer, "ST-", 3);
	longer[IDENT_CAS_TICKET_MAX - 1] = '\0';
	assert_true(ident_cas_ticket_ok(longer));
	longer[IDENT_CAS_TICKET_MAX - 1] = 'a';
	longer[IDENT_CAS_TICKET_MAX] = '\0';
	assert_false(ident_cas_ticket_ok(longer));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_source),
		cmocka_unit_test(test_mistakes),
		cmocka_unit_test(test_tickets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
