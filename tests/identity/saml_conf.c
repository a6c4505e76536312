// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of byod.conf's SAML identity sources (common/conf_identity.c,
 * identity/saml.c): a saml source read with its defaults and copied; its
 * mistakes (an acs-url that is not https, an entityID that is not a URI, a
 * skew out of bounds, a missing key file or metadata, a key of another kind)
 * refused naming the key and its line; the metadata the gateway publishes;
 * the ACS's form, SAML times and RelayStates read as they must be.
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

#include "byod_buf.h"
#include "byod_conf.h"
#include "saml.h"

static const char *const good =
	"school:\n"
	"  uai: \"0123456A\"\n"
	"identity:\n"
	"  educonnect:\n"
	"    kind: saml\n"
	"    label: \"Se connecter avec ÉduConnect\"\n"
	"    sp-entity-id: \"https://portail.college.lan/saml/metadata\"\n"
	"    acs-url: \"https://portail.college.lan/saml/acs\"\n"
	"    sp-key-file: /etc/byod/saml-sp.key\n"
	"    sp-cert-file: /etc/byod/saml-sp.crt\n"
	"    idp-metadata-file: /etc/byod/educonnect-idp.xml\n"
	"    login-attribute: \"saml:nameid\"\n"
	"    role-attribute: FrEduRne\n"
	"    roles: \"National_ELV=student, National_ENS=teacher\"\n"
	"    school-attribute: uai\n"
	"    class-attribute: classe\n";

static int load(const char *text, struct byod_conf *conf, struct byod_err *err)
{
	const char *base = getenv("BYOD_TEST_TMP");
	char path[512];
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), "%s/samlconf.XXXXXX", base ? base : "/tmp");
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

/** A saml source, its defaults, a deep copy. */
static void test_source(void **state)
{
	struct byod_conf conf, copy;
	struct byod_err err;
	const struct byod_idsrc *s;

	(void)state;
	if (load(good, &conf, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(conf.nidsrc, 1);
	s = byod_conf_idsrc(&conf, "educonnect");
	assert_non_null(s);
	assert_int_equal(s->kind, BYOD_IDSRC_SAML);
	assert_string_equal(s->sp_entity_id, "https://portail.college.lan/saml/metadata");
	assert_string_equal(s->acs_url, "https://portail.college.lan/saml/acs");
	assert_string_equal(s->sp_key_file, "/etc/byod/saml-sp.key");
	assert_string_equal(s->sp_cert_file, "/etc/byod/saml-sp.crt");
	assert_string_equal(s->idp_metadata_file, "/etc/byod/educonnect-idp.xml");
	assert_string_equal(s->login_attr, IDENT_SAML_NAMEID);
	assert_int_equal(s->max_skew_s, 60);
	assert_int_equal(byod_conf_copy(&copy, &conf), 0);
	s = byod_conf_idsrc(&copy, "educonnect");
	assert_non_null(s);
	assert_string_equal(s->idp_metadata_file, "/etc/byod/educonnect-idp.xml");
	assert_ptr_not_equal(s->idp_metadata_file,
			     byod_conf_idsrc(&conf, "educonnect")->idp_metadata_file);
	byod_conf_free(&copy);
	byod_conf_free(&conf);
}

/* good with from replaced by to, loaded: the error must name key (and line). */
static void refused(const char *from, const char *to, const char *key, int line)
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
	if (line && err.line != line)
		fail_msg("'%s' at line %d, not %d", err.msg, err.line, line);
	byod_conf_free(&conf);
}

/** Each mistake names its key and, for a bad value, its line. */
static void test_mistakes(void **state)
{
	(void)state;
	refused("https://portail.college.lan/saml/acs", "http://portail.college.lan/saml/acs",
		"identity.educonnect.acs-url", 8);
	refused("\"https://portail.college.lan/saml/metadata\"", "\"not a uri\"",
		"identity.educonnect.sp-entity-id", 7);
	refused("\"https://portail.college.lan/saml/metadata\"", "\"urn:x<y\"",
		"identity.educonnect.sp-entity-id", 7);
	refused("    kind: saml\n", "    kind: saml\n    max-skew-s: 301\n",
		"identity.educonnect.max-skew-s", 6);
	refused("    kind: saml\n", "    kind: saml\n    max-skew-s: -1\n",
		"identity.educonnect.max-skew-s", 6);
	refused("    sp-entity-id: \"https://portail.college.lan/saml/metadata\"\n", "",
		"identity.educonnect.sp-entity-id", 0);
	refused("    acs-url: \"https://portail.college.lan/saml/acs\"\n", "",
		"identity.educonnect.acs-url", 0);
	refused("    sp-key-file: /etc/byod/saml-sp.key\n", "", "identity.educonnect.sp-key-file",
		0);
	refused("    sp-cert-file: /etc/byod/saml-sp.crt\n", "",
		"identity.educonnect.sp-cert-file", 0);
	refused("    idp-metadata-file: /etc/byod/educonnect-idp.xml\n", "",
		"identity.educonnect.idp-metadata-file", 0);
	refused("    kind: saml\n", "    kind: saml\n    ca-file: /x\n",
		"identity.educonnect.ca-file", 6);
	refused("    kind: saml\n", "    kind: saml\n    server-url: https://x/\n",
		"identity.educonnect.server-url", 6);
	refused("    kind: saml\n", "    kind: ldap\n", "identity.educonnect.sp-entity-id", 7);
	refused("    roles: \"National_ELV=student, National_ENS=teacher\"\n", "",
		"identity.educonnect.roles", 0);
}

/** The metadata: our entityID, our certificate for signing and encryption,
 * the ACS as HTTP-POST, signed requests and assertions wanted; escaped. */
static void test_metadata(void **state)
{
	const char *base = getenv("BYOD_TEST_TMP");
	struct byod_idsrc s = { .name = "t", .kind = BYOD_IDSRC_SAML };
	struct byod_buf b = BYOD_BUF_INIT;
	struct byod_err err;
	char path[512];
	FILE *f;
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/samlcrt.XXXXXX", base ? base : "/tmp");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs("-----BEGIN CERTIFICATE-----\nMIIB\nAQAB==\n-----END CERTIFICATE-----\n", f);
	fclose(f);
	s.sp_entity_id = "https://gw.example/saml/metadata";
	s.acs_url = "https://gw.example/saml/acs?a=1&b=2";
	s.sp_cert_file = path;
	assert_int_equal(ident_saml_metadata(&s, &b, &err), 0);
	assert_non_null(strstr(b.p, "entityID=\"https://gw.example/saml/metadata\""));
	assert_non_null(strstr(b.p, "AuthnRequestsSigned=\"true\" WantAssertionsSigned=\"true\""));
	assert_non_null(strstr(b.p, "use=\"signing\""));
	assert_non_null(strstr(b.p, "use=\"encryption\""));
	assert_non_null(strstr(b.p, "<ds:X509Certificate>MIIBAQAB==</ds:X509Certificate>"));
	assert_non_null(strstr(b.p, "bindings:HTTP-POST\" Location=\"https://gw.example/saml/"
				    "acs?a=1&amp;b=2\""));
	byod_buf_free(&b);
	/* not a certificate: refused naming the key */
	f = fopen(path, "w");
	fputs("-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n", f);
	fclose(f);
	assert_int_equal(ident_saml_metadata(&s, &b, &err), -EIO);
	assert_non_null(strstr(err.msg, "identity.t.sp-cert-file"));
	byod_buf_free(&b);
	unlink(path);
	s.sp_cert_file = "/nonexistent/sp.crt";
	assert_int_equal(ident_saml_metadata(&s, &b, &err), -EIO);
	byod_buf_free(&b);
}

/** The ACS's form: SAMLResponse and RelayState decoded; what is not a form. */
static void test_acs_form(void **state)
{
	char resp[64], relay[IDENT_SAML_RELAY_MAX];
	const char *ok = "SAMLResponse=PHNhbWxwOl%2BJ+%3D%3D&RelayState=abc&other=1";
	static const char *const bad[] = {
		"RelayState=abc", "SAMLResponse=", "SAMLResponse=a&SAMLResponse=b",
		"SAMLResponse=a%2", "SAMLResponse=a%zz", "SAMLResponse=a%00b",
		"SAMLResponse=a&RelayState=1&RelayState=2", "SAMLResponse",
	};

	(void)state;
	assert_int_equal(ident_saml_acs_parse(ok, strlen(ok), resp, sizeof(resp), relay,
					      sizeof(relay)), 0);
	assert_string_equal(resp, "PHNhbWxwOl+J ==");
	assert_string_equal(relay, "abc");
	assert_int_equal(ident_saml_acs_parse("SAMLResponse=x", 14, resp, sizeof(resp), relay,
					      sizeof(relay)), 0);
	assert_string_equal(relay, "");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ident_saml_acs_parse(bad[i], strlen(bad[i]), resp, sizeof(resp),
						      relay, sizeof(relay)), -EINVAL);
	/* too long for resp */
	assert_int_equal(ident_saml_acs_parse(ok, strlen(ok), resp, 5, relay, sizeof(relay)),
			 -EINVAL);
	/* the length bounds the body: no NUL needed, none read past */
	assert_int_equal(ident_saml_acs_parse("SAMLResponse=xyz", 14, resp, sizeof(resp), relay,
					      sizeof(relay)), 0);
	assert_string_equal(resp, "x");
}

/** SAML times: UTC only, fractions allowed; RelayStates: 64 small hex digits. */
static void test_times(void **state)
{
	char r[80];

	(void)state;
	assert_int_equal(ident_saml_time("2026-12-04T15:08:00Z"), 1796396880);
	assert_int_equal(ident_saml_time("2026-12-04T15:08:00.123Z"), 1796396880);
	assert_int_equal(ident_saml_time("2026-12-04T15:08:00"), -1);
	assert_int_equal(ident_saml_time("2026-12-04T15:08:00+01:00"), -1);
	assert_int_equal(ident_saml_time("2026-12-04T15:08:00.Z"), -1);
	assert_int_equal(ident_saml_time("tomorrow"), -1);
	assert_int_equal(ident_saml_time(""), -1);
	assert_int_equal(ident_saml_time(NULL), -1);
	memset(r, 'a', 64);
	r[64] = '\0';
	assert_true(ident_saml_relay_ok(r));
	r[3] = 'A';
	assert_false(ident_saml_relay_ok(r));
	r[3] = 'g';
	assert_false(ident_saml_relay_ok(r));
	r[3] = 'a';
	r[63] = '\0';
	assert_false(ident_saml_relay_ok(r));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_source),
		cmocka_unit_test(test_mistakes),
		cmocka_unit_test(test_metadata),
		cmocka_unit_test(test_acs_form),
		cmocka_unit_test(test_times),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
