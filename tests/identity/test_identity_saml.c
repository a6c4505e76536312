// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Sign-in through byod.conf's SAML identity sources, against the real
 * LemonLDAP::NG SAML identity provider on the real slapd that saml.sh
 * started: the gateway makes the signed AuthnRequest (ident_saml_request),
 * saml-browser.py signs in at the IdP as a browser would and hands back the
 * SAMLResponse the IdP's form would POST, and ident_login_saml checks it. A
 * pupil and a teacher (an encrypted assertion) are created with their role,
 * school and class and an audit entry; a response replayed (to the same
 * request, and with its request re-armed, from another registry handle), an
 * answer to an older request, to no request, a tampered one, one re-signed
 * with another key, one signed with RSA-SHA1, one the IdP signed without
 * Audience or Conditions or for another Destination or Recipient, one for
 * another audience, one seen with the clock an hour ahead or behind, one
 * without UAI or with an unknown role: each refused, nothing created, with
 * an audit entry naming the reason.
 *
 * Run with "metadata ENTITY ACS CERT", it prints the gateway's metadata for
 * saml.sh to register at the IdP.
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

#include <glib.h>

#include "byod.h"
#include "byod_buf.h"
#include "byod_util.h"
#include "identity.h"
#include "saml.h"
#include "../unit/rmtree.h"

#define UAI "0123456A"

struct fx {
	char dir[512];
	char home[600];
	struct byod_ctx *ctx;
};

static const char *env(const char *name)
{
	const char *v = getenv(name);

	if (!v) {
		fprintf(stderr, "%s is not set: run this test through tests/identity/saml.sh\n",
			name);
		exit(1);
	}
	return v;
}

#define MAPPING                                                                            \
	"    login-attribute: uid\n"                                                           \
	"    name-attribute: cn\n"                                                             \
	"    role-attribute: role\n"                                                            \
	"    roles: \"National_ELV=student, National_ENS=teacher\"\n"                          \
	"    school-attribute: uai\n"                                                           \
	"    class-attribute: classe\n"

/* The identity section every test reads: the gateway as the IdP knows it,
 * the same with encrypted assertions. */
static int write_sources(const char *home)
{
	const char *sp = env("BYOD_SAML_SP");
	char path[700];
	FILE *f;

	snprintf(path, sizeof(path), "%s/byod.conf", home);
	f = fopen(path, "a");
	if (!f)
		return -1;
	fprintf(f,
		"\nidentity:\n"
		"  educonnect:\n"
		"    kind: saml\n"
		"    label: \"Se connecter avec ÉduConnect\"\n"
		"    sp-entity-id: \"%s/saml/metadata\"\n"
		"    acs-url: \"%s/saml/acs\"\n"
		"    sp-key-file: \"%s\"\n"
		"    sp-cert-file: \"%s\"\n"
		"    idp-metadata-file: \"%s\"\n" MAPPING
		"  enc:\n"
		"    kind: saml\n"
		"    sp-entity-id: \"%s/saml/metadata-enc\"\n"
		"    acs-url: \"%s/saml/acs\"\n"
		"    sp-key-file: \"%s\"\n"
		"    sp-cert-file: \"%s\"\n"
		"    idp-metadata-file: \"%s\"\n"
		"    max-skew-s: 30\n" MAPPING,
		sp, sp, env("BYOD_SAML_SP_KEY"), env("BYOD_SAML_SP_CRT"), env("BYOD_SAML_IDP_MD"),
		sp, sp, env("BYOD_SAML_SP_KEY"), env("BYOD_SAML_SP_CRT"), env("BYOD_SAML_IDP_MD"));
	return fclose(f);
}

static int setup(void **state)
{
	const char *base = getenv("BYOD_TEST_TMP");
	struct byod_init_params p = { .uai = UAI, .name = "Collège de test", .yescrypt_cost = 1 };
	struct byod_err err;
	struct fx *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	mkdir(base ? base : "/tmp", 0755);
	snprintf(fx->dir, sizeof(fx->dir), "%s/ident.XXXXXX", base ? base : "/tmp");
	if (!mkdtemp(fx->dir))
		return -1;
	snprintf(fx->home, sizeof(fx->home), "%s/home", fx->dir);
	if (byod_home_init(fx->home, &p, &err) || write_sources(fx->home) ||
	    byod_open(fx->home, "byod-portal", &fx->ctx, &err)) {
		fprintf(stderr, "setup: %s\n", err.msg);
		return -1;
	}
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	byod_close(fx->ctx);
	test_rmtree(fx->dir);
	free(fx);
	return 0;
}

static const struct byod_idsrc *src(struct fx *fx, const char *name)
{
	const struct byod_idsrc *s = byod_conf_idsrc(&fx->ctx->conf, name);

	assert_non_null(s);
	return s;
}

static int count_cb(const struct reg_person *p, void *arg)
{
	(void)p;
	++*(int *)arg;
	return 0;
}

static int people(struct fx *fx)
{
	int n = 0;

	assert_int_equal(reg_person_list(fx->ctx->reg, count_cb, &n, NULL), 0);
	return n;
}

struct audit_q {
	const char *action, *object, *needle;
	int n;
};

static int audit_cb(const struct reg_audit *a, void *arg)
{
	struct audit_q *q = arg;

	if (!strcmp(a->action, q->action) && (!q->object || !strcmp(a->object, q->object)) &&
	    (!q->needle || (a->after && strstr(a->after, q->needle))))
		q->n++;
	return 0;
}

static int audited(struct fx *fx, const char *action, const char *object, const char *needle)
{
	struct audit_q q = { action, object, needle, 0 };

	assert_int_equal(reg_audit_list(fx->ctx->reg, 0, audit_cb, &q, NULL), 0);
	return q.n;
}

/* An answer of the IdP: the SAMLResponse (base64) and its RelayState. */
struct answer {
	char *b64;
	char relay[IDENT_SAML_RELAY_MAX];
	char url[8192];
};

static void answer_free(struct answer *a)
{
	free(a->b64);
	a->b64 = NULL;
}

/* user signs in at the IdP through the redirect URL of a request that
 * source makes at now; as (NULL, or "other") asks as the other service
 * provider with the same ID. */
static void sign_in(struct fx *fx, const char *source, time_t now, const char *user,
		    const char *as, struct answer *a)
{
	struct byod_err err;
	char *cmd = NULL, *line = NULL;
	size_t cap = 0;
	char relay[IDENT_SAML_RELAY_MAX];
	FILE *p;
	ssize_t n;

	memset(a, 0, sizeof(*a));
	if (ident_saml_request(src(fx, source), fx->ctx->reg, now, a->url, sizeof(a->url),
			       relay, sizeof(relay), &err))
		fail_msg("request: %s", err.msg);
	assert_true(ident_saml_relay_ok(relay));
	assert_non_null(strstr(a->url, "SigAlg=http%3A%2F%2Fwww.w3.org%2F2001%2F04%2F"
				       "xmldsig-more%23rsa-sha256"));
	assert_non_null(strstr(a->url, "&Signature="));
	assert_true(asprintf(&cmd, "/usr/bin/python3 '%s' '%s' '%s' '%s' '%s/pw.%s'%s%s%s%s%s%s%s",
			     env("BYOD_SAML_BROWSER"), env("BYOD_SAML_CA"), a->url, user,
			     env("BYOD_SAML_PW_DIR"), user, as ? " --as '" : "",
			     as ? env("BYOD_SAML_OTHER_MD") : "", as ? "' '" : "",
			     as ? env("BYOD_SAML_SP_KEY") : "", as ? "' '" : "",
			     as ? env("BYOD_SAML_IDP_MD") : "", as ? "'" : "") > 0);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = getline(&line, &cap, p);
	assert_true(n > 1);
	line[strcspn(line, "\n")] = '\0';
	a->b64 = line;
	line = NULL;
	cap = 0;
	n = getline(&line, &cap, p);
	assert_true(n >= 1);
	line[strcspn(line, "\n")] = '\0';
	snprintf(a->relay, sizeof(a->relay), "%s", line);
	free(line);
	assert_int_equal(pclose(p), 0);
	free(cmd);
	/* the IdP hands back the RelayState it was given */
	assert_string_equal(a->relay, relay);
}

static int login(struct fx *fx, const char *source, const struct answer *a, const char *b64,
		 time_t now, struct reg_person *out, struct byod_err *err)
{
	return ident_login_saml(fx->ctx->reg, src(fx, source), a->relay, b64 ? b64 : a->b64, now,
				out, err);
}

/* A refusal: rc, the reason in err, nothing created, n identity.refused
 * rows naming the source, object and why. */
static void refused(struct fx *fx, const char *source, const struct answer *a, const char *b64,
		    time_t now, int rc, const char *object, const char *why)
{
	struct byod_err err;
	char needle[64];

	memset(&err, 0, sizeof(err));
	assert_int_equal(login(fx, source, a, b64, now, NULL, &err), rc);
	if (why && !strstr(err.msg, why))
		fail_msg("'%s' does not say '%s'", err.msg, why);
	assert_int_equal(people(fx), 0);
	snprintf(needle, sizeof(needle), "\"source\":\"%s\"", source);
	assert_int_equal(audited(fx, "identity.refused", object, needle), 1);
	assert_int_equal(audited(fx, "identity.refused", object, why), 1);
	assert_int_equal(audited(fx, "person.add", NULL, NULL), 0);
	assert_int_equal(audited(fx, "identity.login", NULL, NULL), 0);
}

/* The decoded XML of a's response. */
static char *response_xml(const struct answer *a)
{
	gsize n = 0;
	guchar *raw = g_base64_decode(a->b64, &n);
	char *s = malloc(n + 1);

	assert_non_null(s);
	memcpy(s, raw, n);
	s[n] = '\0';
	g_free(raw);
	return s;
}

static char *to_b64(const char *xml)
{
	gchar *b = g_base64_encode((const guchar *)xml, strlen(xml));
	char *s = strdup(b);

	g_free(b);
	return s;
}

/** A pupil signs in through ÉduConnect: a signed RSA-SHA256 request, a
 * signed response, created as a student of their school in their class. */
static void test_pupil_created(void **state)
{
	struct fx *fx = *state;
	struct answer a;
	struct reg_person p;
	struct byod_err err;
	char *xml;

	sign_in(fx, "educonnect", time(NULL), "alice.martin", NULL, &a);
	xml = response_xml(&a);
	assert_non_null(strstr(xml, "rsa-sha256"));
	assert_null(strstr(xml, "EncryptedAssertion"));
	free(xml);
	if (login(fx, "educonnect", &a, NULL, time(NULL), &p, &err))
		fail_msg("refused: %s", err.msg);
	assert_string_equal(p.login, "alice.martin");
	assert_string_equal(p.display_name, "Alice Martin");
	assert_int_equal(p.role, BYOD_ROLE_STUDENT);
	assert_string_equal(p.school, UAI);
	assert_string_equal(p.groups, "3A");
	assert_int_equal(people(fx), 1);
	assert_int_equal(audited(fx, "identity.login", "alice.martin",
				 "\"reason\":\"created\",\"role\":\"student\",\"school\":\"" UAI
				 "\",\"source\":\"educonnect\""), 1);
	assert_int_equal(audited(fx, "person.add", "alice.martin", NULL), 1);
	answer_free(&a);
}

/** A teacher through the source whose assertions are encrypted to the
 * gateway's key: decrypted, checked, created. */
static void test_encrypted(void **state)
{
	struct fx *fx = *state;
	struct answer a;
	struct reg_person p;
	struct byod_err err;
	char *xml;

	sign_in(fx, "enc", time(NULL), "claire.petit", NULL, &a);
	xml = response_xml(&a);
	assert_non_null(strstr(xml, "EncryptedAssertion"));
	assert_null(strstr(xml, "National_ENS"));
	free(xml);
	if (login(fx, "enc", &a, NULL, time(NULL), &p, &err))
		fail_msg("refused: %s", err.msg);
	assert_string_equal(p.login, "claire.petit");
	assert_int_equal(p.role, BYOD_ROLE_TEACHER);
	assert_string_equal(p.school, UAI);
	assert_int_equal(audited(fx, "identity.login", "claire.petit", "\"source\":\"enc\""), 1);
	answer_free(&a);
}

/** The same response posted twice: its request was answered already. Then
 * with the request re-armed (as if the registry had lost its taking), from
 * another handle on the registry (another process): the assertion's ID was
 * claimed, refused as replayed. */
static void test_replayed(void **state)
{
	struct fx *fx = *state;
	struct answer a;
	struct byod_ctx *other;
	struct byod_err err;
	char key[128];
	gchar *joined, *hex;
	time_t now = time(NULL);

	sign_in(fx, "educonnect", now, "alice.martin", NULL, &a);
	assert_int_equal(login(fx, "educonnect", &a, NULL, now, NULL, &err), 0);
	assert_int_equal(login(fx, "educonnect", &a, NULL, now, NULL, &err), -EACCES);
	assert_non_null(strstr(err.msg, "no request of this gateway waits"));
	assert_int_equal(audited(fx, "identity.refused", "(not a login)", "answered already"), 1);

	if (byod_open(fx->home, "byod-portal", &other, &err))
		fail_msg("open: %s", err.msg);
	/* saml.c's key of a pending request, and the request's ID from the URL's
	 * AuthnRequest as the IdP answered it */
	joined = g_strconcat("educonnect\n", a.relay, NULL);
	hex = g_compute_checksum_for_string(G_CHECKSUM_SHA256, joined, -1);
	snprintf(key, sizeof(key), "saml-req:%s", hex);
	{
		char *xml = response_xml(&a), *id = strstr(xml, "InResponseTo=\""), *e;

		assert_non_null(id);
		id += strlen("InResponseTo=\"");
		e = strchr(id, '"');
		*e = '\0';
		assert_int_equal(reg_once_put(other->reg, key, id, now, now + 60, &err), 0);
		free(xml);
	}
	assert_int_equal(ident_login_saml(other->reg, byod_conf_idsrc(&other->conf, "educonnect"),
					  a.relay, a.b64, now, NULL, &err), -EACCES);
	assert_non_null(strstr(err.msg, "replayed"));
	byod_close(other);
	assert_int_equal(audited(fx, "identity.refused", "(not a login)", "replayed"), 1);
	assert_int_equal(audited(fx, "identity.login", NULL, NULL), 1);
	g_free(joined);
	g_free(hex);
	answer_free(&a);
}

/** A response to an older request, posted with a newer request's
 * RelayState: InResponseTo is not the newer request's ID. */
static void test_older_request(void **state)
{
	struct fx *fx = *state;
	struct answer old, fresh;
	char url[8192], relay[IDENT_SAML_RELAY_MAX];
	struct byod_err err;

	sign_in(fx, "educonnect", time(NULL), "alice.martin", NULL, &old);
	assert_int_equal(ident_saml_request(src(fx, "educonnect"), fx->ctx->reg, time(NULL), url,
					    sizeof(url), relay, sizeof(relay), &err), 0);
	memset(&fresh, 0, sizeof(fresh));
	snprintf(fresh.relay, sizeof(fresh.relay), "%s", relay);
	refused(fx, "educonnect", &fresh, old.b64, time(NULL), -EACCES, "(not a login)",
		"another request (InResponseTo)");
	answer_free(&old);
}

/** An answer to no request of ours: a RelayState never made, none at all. */
static void test_unsolicited(void **state)
{
	struct fx *fx = *state;
	struct answer a, none;

	sign_in(fx, "educonnect", time(NULL), "alice.martin", NULL, &a);
	memcpy(&none, &a, sizeof(none));
	memset(none.relay, 'a', sizeof(none.relay) - 1);
	none.relay[sizeof(none.relay) - 1] = '\0';
	refused(fx, "educonnect", &none, NULL, time(NULL), -EACCES, "(not a login)", "never made");
	none.relay[0] = '\0';
	assert_int_equal(login(fx, "educonnect", &none, NULL, time(NULL), NULL, NULL), -EACCES);
	assert_int_equal(audited(fx, "identity.refused", "(not a login)", "unsolicited"), 1);
	assert_int_equal(people(fx), 0);
	answer_free(&a);
}

/** A role changed in the signed response: the signature no longer holds. */
static void test_tampered(void **state)
{
	struct fx *fx = *state;
	struct answer a;
	char *xml, *b64, *at;

	sign_in(fx, "educonnect", time(NULL), "alice.martin", NULL, &a);
	xml = response_xml(&a);
	at = strstr(xml, "National_ELV");
	assert_non_null(at);
	memcpy(at, "National_ENS", 12);
	b64 = to_b64(xml);
	refused(fx, "educonnect", &a, b64, time(NULL), -EACCES, "(not a login)",
		"Response is refused");
	free(xml);
	free(b64);
	answer_free(&a);
}

/* a's response with its signatures made again with key (and its
 * certificate) by xmlsec1, RSA-SHA1 and SHA-1 digests instead of SHA-256
 * when sha1; base64, for the caller to free. */
/* In xml, the first [from ... to] (both included) replaced by with. */
static void edit(char **xml, const char *from, const char *to, const char *with)
{
	char *a = strstr(*xml, from), *b, *out;

	assert_non_null(a);
	b = strstr(a, to);
	assert_non_null(b);
	b += strlen(to);
	assert_true(asprintf(&out, "%.*s%s%s", (int)(a - *xml), *xml, with, b) > 0);
	free(*xml);
	*xml = out;
}

static char *resign_edited(struct fx *fx, const struct answer *a, const char *key,
			   const char *crt, int sha1, const char *from, const char *to,
			   const char *with)
{
	char in[700], out[700], *cmd, *xml, *b64, *p;
	gchar *signed_xml = NULL;
	FILE *f;

	snprintf(in, sizeof(in), "%s/resp.xml", fx->dir);
	snprintf(out, sizeof(out), "%s/resigned.xml", fx->dir);
	xml = response_xml(a);
	if (from)
		edit(&xml, from, to, with);
	f = fopen(in, "w");
	assert_non_null(f);
	for (p = xml; sha1 && *p; p++) {
		static const char rsa256[] = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
		static const char sha256[] = "http://www.w3.org/2001/04/xmlenc#sha256";

		if (!strncmp(p, rsa256, sizeof(rsa256) - 1)) {
			fputs("http://www.w3.org/2000/09/xmldsig#rsa-sha1", f);
			p += sizeof(rsa256) - 2;
		} else if (!strncmp(p, sha256, sizeof(sha256) - 1)) {
			fputs("http://www.w3.org/2000/09/xmldsig#sha1", f);
			p += sizeof(sha256) - 2;
		} else {
			fputc(*p, f);
		}
	}
	if (!sha1)
		fputs(xml, f);
	fclose(f);
	/* the assertion's signature first, then the response's around it */
	assert_true(asprintf(&cmd, "for x in \"//*[local-name()='Assertion']/*[local-name()="
			     "'Signature']\" \"/*/*[local-name()='Signature']\"; do xmlsec1 --sign "
			     "--privkey-pem '%s,%s' --id-attr:ID "
			     "urn:oasis:names:tc:SAML:2.0:protocol:Response --id-attr:ID "
			     "urn:oasis:names:tc:SAML:2.0:assertion:Assertion --node-xpath \"$x\" "
			     "--output '%s' '%s' && mv '%s' '%s' || exit 1; done; cp '%s' '%s' "
			     ">/dev/null 2>&1", key, crt, out, in, out, in, in, out) > 0);
	assert_int_equal(system(cmd), 0);
	assert_true(g_file_get_contents(out, &signed_xml, NULL, NULL));
	assert_string_not_equal(signed_xml, xml);
	assert_true(!sha1 || strstr(signed_xml, "xmldsig#rsa-sha1"));
	b64 = to_b64(signed_xml);
	free(cmd);
	free(xml);
	g_free(signed_xml);
	return b64;
}

static char *resign(struct fx *fx, const struct answer *a, const char *key, const char *crt,
		    int sha1)
{
	return resign_edited(fx, a, key, crt, sha1, NULL, NULL, NULL);
}

/** The response and its assertion re-signed with a key that is not the
 * IdP's (xmlsec1, RSA-SHA256 as the IdP does); the same made again with the
 * IdP's own key is accepted (what refused the first is the key). */
static void test_rogue_key(void **state)
{
	struct fx *fx = *state;
	struct answer a;
	struct byod_err err;
	char *b64;

	sign_in(fx, "educonnect", time(NULL), "alice.martin", NULL, &a);
	b64 = resign(fx, &a, env("BYOD_SAML_ROGUE_KEY"), env("BYOD_SAML_ROGUE_CRT"), 0);
	refused(fx, "educonnect", &a, b64, time(NULL), -EACCES, "(not a login)",
		"Response is refused");
	free(b64);
	answer_free(&a);
	sign_in(fx, "educonnect", time(NULL), "alice.martin", NULL, &a);
	b64 = resign(fx, &a, env("BYOD_SAML_IDP_KEY"), env("BYOD_SAML_IDP_CRT"), 0);
	if (login(fx, "educonnect", &a, b64, time(NULL), NULL, &err))
		fail_msg("re-signed by the IdP's key, refused: %s", err.msg);
	free(b64);
	answer_free(&a);
}

/** Signed with the IdP's key, but RSA-SHA1 with SHA-1 digests: refused. */
static void test_sha1(void **state)
{
	struct fx *fx = *state;
	struct answer a;
	char *b64;

	sign_in(fx, "educonnect", time(NULL), "alice.martin", NULL, &a);
	b64 = resign(fx, &a, env("BYOD_SAML_IDP_KEY"), env("BYOD_SAML_IDP_CRT"), 1);
	refused(fx, "educonnect", &a, b64, time(NULL), -EACCES, "(not a login)", "SHA-1");
	free(b64);
	answer_free(&a);
}

/* The request a answers (its InResponseTo) into id. */
static void request_id(const struct answer *a, char *id, size_t len)
{
	char *xml = response_xml(a), *at = strstr(xml, "InResponseTo=\""), *e;

	assert_non_null(at);
	at += strlen("InResponseTo=\"");
	e = strchr(at, '"');
	assert_non_null(e);
	*e = '\0';
	snprintf(id, len, "%s", at);
	free(xml);
}

/* a's response edited (from ... to replaced by with; from NULL: as it is),
 * signed again with the IdP's own key, checked against its request: 0, or
 * -EACCES saying why. */
static void idp_edited(struct fx *fx, const struct answer *a, const char *from, const char *to,
		       const char *with, const char *why)
{
	struct ident_attrs attrs = { 0 };
	struct byod_err err;
	char id[128], aid[256], *b64;
	time_t until;
	int rc;

	request_id(a, id, sizeof(id));
	b64 = resign_edited(fx, a, env("BYOD_SAML_IDP_KEY"), env("BYOD_SAML_IDP_CRT"), 0, from,
			    to, with);
	rc = ident_saml_check(src(fx, "educonnect"), id, b64, time(NULL), &attrs, aid,
			      sizeof(aid), &until, &err);
	if (!why && rc)
		fail_msg("re-signed by the IdP's key, refused: %s", err.msg);
	if (why && (rc != -EACCES || !strstr(err.msg, why)))
		fail_msg("%d '%s' does not say '%s'", rc, rc ? err.msg : "", why);
	assert_int_equal(attrs.n, why ? 0 : attrs.n);
	ident_attrs_free(&attrs);
	free(b64);
}

/** What lasso finds valid and the gateway does not, each in a response the
 * IdP's key signed: no AudienceRestriction, no Conditions, another
 * Destination, another Recipient; and another Issuer, which lasso refuses
 * (the same response signed again as it is passes: what refuses the others
 * is what was changed). */
static void test_idp_signed_checks(void **state)
{
	struct fx *fx = *state;
	struct answer a;

	sign_in(fx, "educonnect", time(NULL), "alice.martin", NULL, &a);
	idp_edited(fx, &a, NULL, NULL, NULL, NULL);
	idp_edited(fx, &a, "<saml:AudienceRestriction>", "</saml:AudienceRestriction>", "",
		   "has no Audience");
	idp_edited(fx, &a, "<saml:Conditions ", "</saml:Conditions>", "", "has no Conditions");
	idp_edited(fx, &a, "Destination=\"", "/saml/acs\"",
		   "Destination=\"https://other.example/saml/acs\"", "Destination is not acs-url");
	idp_edited(fx, &a, "Recipient=\"", "/saml/acs\"",
		   "Recipient=\"https://other.example/saml/acs\"", "Recipient is not acs-url");
	idp_edited(fx, &a, "<saml:Issuer>", "</saml:Issuer>",
		   "<saml:Issuer>https://other.example/idp</saml:Issuer>", "is unknown");
	answer_free(&a);
}

/** An assertion the IdP made for another service provider (othersp asked,
 * with our request's ID and RelayState): Audience is not sp-entity-id. */
static void test_other_audience(void **state)
{
	struct fx *fx = *state;
	struct answer a;
	char *xml;

	sign_in(fx, "educonnect", time(NULL), "alice.martin", "other", &a);
	xml = response_xml(&a);
	assert_non_null(strstr(xml, "/other/metadata</saml:Audience>"));
	free(xml);
	refused(fx, "educonnect", &a, NULL, time(NULL), -EACCES, "(not a login)",
		"another audience");
	answer_free(&a);
}

/** The gateway's clock an hour ahead of the IdP's: expired. */
static void test_expired(void **state)
{
	struct fx *fx = *state;
	struct answer a;
	time_t later = time(NULL) + 3600;

	sign_in(fx, "educonnect", later, "alice.martin", NULL, &a);
	refused(fx, "educonnect", &a, NULL, later, -EACCES, "(not a login)", "has expired");
	answer_free(&a);
}

/** The gateway's clock an hour behind: not valid yet. */
static void test_not_yet_valid(void **state)
{
	struct fx *fx = *state;
	struct answer a;
	time_t earlier = time(NULL) - 3600;

	sign_in(fx, "enc", earlier, "alice.martin", NULL, &a);
	refused(fx, "enc", &a, NULL, earlier, -EACCES, "(not a login)", "not valid yet");
	answer_free(&a);
}

/** An answer without UAI. */
static void test_no_uai(void **state)
{
	struct fx *fx = *state;
	struct answer a;

	sign_in(fx, "educonnect", time(NULL), "noua.i", NULL, &a);
	refused(fx, "educonnect", &a, NULL, time(NULL), -EPERM, "noua.i", "no school");
	answer_free(&a);
}

/** An answer with a role the mapping does not have. */
static void test_unknown_role(void **state)
{
	struct fx *fx = *state;
	struct answer a;

	sign_in(fx, "educonnect", time(NULL), "odd.role", NULL, &a);
	refused(fx, "educonnect", &a, NULL, time(NULL), -EPERM, "odd.role", "no role");
	answer_free(&a);
}

/* saml.sh: the gateway's metadata for an entityID, to register at the IdP
 * (a 6th argument: the admin console's ACS, listed too). */
static int metadata(char **argv)
{
	struct byod_idsrc s = { .name = "test", .kind = BYOD_IDSRC_SAML };
	struct byod_buf b = BYOD_BUF_INIT;
	struct byod_err err;

	s.sp_entity_id = argv[2];
	s.acs_url = argv[3];
	s.sp_cert_file = argv[4];
	if (ident_saml_metadata_acs(&s, argv[5], &b, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	fputs(b.p, stdout);
	byod_buf_free(&b);
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_pupil_created),
		T(test_encrypted),
		T(test_replayed),
		T(test_older_request),
		T(test_unsolicited),
		T(test_tampered),
		T(test_rogue_key),
		T(test_sha1),
		T(test_idp_signed_checks),
		T(test_other_audience),
		T(test_expired),
		T(test_not_yet_valid),
		T(test_no_uai),
		T(test_unknown_role),
#undef T
	};

	if ((argc == 5 || argc == 6) && !strcmp(argv[1], "metadata"))
		return metadata(argv);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
