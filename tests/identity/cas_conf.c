// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of byod.conf's CAS identity sources (common/conf_identity.c,
 * identity/cas.c): a cas source read with its defaults and copied; its
 * mistakes (a server or service that is not https, a missing ca-file, a key
 * of LDAP on it, one of CAS on an LDAP source) refused with the key; the
 * login URL and the tickets refused before any server is asked; the
 * answer read as UTF-8 only, a DTD refused in any encoding.
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

#define SUCCESS(decl, doctype, user)                                                       \
	"<?xml version=\"1.0\" encoding=\"" decl "\"?>" doctype                                \
	"<cas:serviceResponse xmlns:cas=\"http://www.yale.edu/tp/cas\">"                        \
	"<cas:authenticationSuccess><cas:user>" user "</cas:user>"                               \
	"<cas:attributes><cas:uai>0123456A</cas:uai></cas:attributes>"                          \
	"</cas:authenticationSuccess></cas:serviceResponse>"

/* text (ASCII) as UTF-16, little or big endian, with a BOM or not; len. */
static size_t utf16(const char *text, int be, int bom, char *out)
{
	size_t o = 0;

	if (bom) {
		out[o++] = (char)(be ? 0xfe : 0xff);
		out[o++] = (char)(be ? 0xff : 0xfe);
	}
	for (; *text; text++) {
		out[o++] = be ? 0 : *text;
		out[o++] = be ? *text : 0;
	}
	return o;
}

/** The answer is read as UTF-8, whatever it declares or its first bytes look
 * like; a DTD is refused in any encoding, so no entity is ever declared. */
static void test_encodings(void **state)
{
	static const char *const docs[] = {
		SUCCESS("UTF-16", "", "alice"),
		SUCCESS("UTF-16", "<!DOCTYPE x [<!ENTITY who \"alice\">]>", "&who;"),
		SUCCESS("UTF-16", "<!DOCTYPE x SYSTEM \"file:///etc/passwd\">", "alice"),
	};
	struct ident_attrs a = { 0 };
	struct byod_err err;
	char buf[2048];

	(void)state;
	/* UTF-8, as CAS answers are: read */
	assert_int_equal(ident_cas_parse(SUCCESS("UTF-8", "", "zoé"), strlen(SUCCESS("UTF-8", "",
					 "zoé")), &a, &err), 0);
	assert_string_equal(ident_attrs_get(&a, IDENT_CAS_USER, 0), "zoé");
	ident_attrs_free(&a);
	/* a declaration of another encoding is not believed: the bytes are UTF-8 */
	assert_int_equal(ident_cas_parse(SUCCESS("ISO-8859-1", "", "zoé"),
					 strlen(SUCCESS("ISO-8859-1", "", "zoé")), &a, &err), 0);
	assert_string_equal(ident_attrs_get(&a, IDENT_CAS_USER, 0), "zoé");
	ident_attrs_free(&a);
	/* UTF-16 in every form, with a DTD or not: never read */
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++)
		for (int v = 0; v < 4; v++) {
			size_t n = utf16(docs[i], v & 1, v & 2, buf);

			assert_true(n < sizeof(buf));
			memset(&err, 0, sizeof(err));
			if (ident_cas_parse(buf, n, &a, &err) != -EPROTO)
				fail_msg("document %zu as UTF-16 (%s, %s) was read", i,
					 v & 1 ? "BE" : "LE", v & 2 ? "BOM" : "no BOM");
			assert_int_equal(a.n, 0);
		}
	/* in UTF-8 too, internal or external, stopped before its subset is read */
	for (size_t i = 1; i < sizeof(docs) / sizeof(docs[0]); i++) {
		char doc[1024];
		const char *d = strstr(docs[i], "?>") + 2;

		snprintf(doc, sizeof(doc), "<?xml version=\"1.0\" encoding=\"UTF-8\"?>%s", d);
		assert_int_equal(ident_cas_parse(doc, strlen(doc), &a, &err), -EPROTO);
		assert_int_equal(a.n, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_source),
		cmocka_unit_test(test_mistakes),
		cmocka_unit_test(test_tickets),
		cmocka_unit_test(test_encodings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
