// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * SAML 2.0 identity sources (saml.h) on liblasso: this gateway's service
 * provider metadata, the signed AuthnRequest and its state in the registry,
 * and the checks of the identity provider's Response. lasso verifies the
 * signature against the IdP's metadata (always: VERIFY_HINT_FORCE), decrypts
 * an EncryptedAssertion and reads the XML; what lasso leaves to its caller
 * is done here, each with its own reason: the signature and digest
 * algorithms, Destination, Issuer, InResponseTo (a fresh LassoLogin accepts
 * any), an Audience (lasso says valid when there is none), the time window
 * (idem without Conditions), Recipient, and the replay of an assertion
 * (lasso only looks in the LassoSession of the same login). The mapping and
 * the just-in-time person are login.c's, as for LDAP and CAS.
 *
 * Debian builds lasso with RSA-SHA1 as the default signature method and
 * does not export lasso_set_default_signature_method(): the public field
 * signature_method of each LassoServer is set to RSA-SHA256 instead.
 */
#define _GNU_SOURCE /* strptime, timegm */
#include "saml.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <jansson.h>
#include <lasso/lasso.h>
#include <lasso/saml-2.0/saml2_helper.h>
#include <lasso/xml/misc_text_node.h>
#include <lasso/xml/saml-2.0/saml2_assertion.h>
#include <lasso/xml/saml-2.0/saml2_attribute.h>
#include <lasso/xml/saml-2.0/saml2_attribute_statement.h>
#include <lasso/xml/saml-2.0/saml2_attribute_value.h>
#include <lasso/xml/saml-2.0/saml2_audience_restriction.h>
#include <lasso/xml/saml-2.0/saml2_conditions.h>
#include <lasso/xml/saml-2.0/saml2_name_id.h>
#include <lasso/xml/saml-2.0/saml2_subject_confirmation_data.h>
#include <lasso/xml/saml-2.0/samlp2_authn_request.h>
#include <lasso/xml/saml-2.0/samlp2_name_id_policy.h>
#include <lasso/xml/saml-2.0/samlp2_response.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "byod_buf.h"
#include "byod_util.h"

#define SAML_ATTRS_MAX 256  /* attribute values kept from one assertion */
#define SAML_VALUE_MAX 2048 /* one value's bytes */
#define DSIG_NS "http://www.w3.org/2000/09/xmldsig#"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int init_rc;

/* lasso reports through GLib's log; a library does not print */
static void quiet(const gchar *domain, GLogLevelFlags level, const gchar *msg, gpointer data)
{
	(void)domain;
	(void)level;
	(void)msg;
	(void)data;
}

static void init_libs(void)
{
	init_rc = lasso_init();
	g_log_set_handler("Lasso", G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL | G_LOG_FLAG_RECURSION,
			  quiet, NULL);
}

static int init(struct byod_err *err)
{
	pthread_once(&once, init_libs);
	if (init_rc)
		return byod_err_set(err, EIO, "liblasso could not be initialised (%d)", init_rc);
	return 0;
}

time_t ident_saml_time(const char *s)
{
	struct tm tm = { 0 };
	const char *end;

	if (!s || strlen(s) < 20 || !isdigit((unsigned char)s[0]))
		return (time_t)-1;
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end)
		return (time_t)-1;
	if (*end == '.') {
		size_t n = strspn(end + 1, "0123456789");

		if (!n)
			return (time_t)-1;
		end += n + 1;
	}
	if (strcmp(end, "Z") != 0)
		return (time_t)-1;
	return timegm(&tm);
}

int ident_saml_relay_ok(const char *r)
{
	size_t n = strlen(r);

	if (n != IDENT_SAML_RELAY_MAX - 1)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)r[i]) || isupper((unsigned char)r[i]))
			return 0;
	return 1;
}

/* ---- files ---- */

static char *slurp(const char *path, const char *key, const struct byod_idsrc *s,
		   struct byod_err *err)
{
	gchar *text = NULL;

	if (!g_file_get_contents(path, &text, NULL, NULL)) {
		byod_err_set(err, EIO, "identity.%s.%s: %s cannot be read", s->name, key, path);
		return NULL;
	}
	return text;
}

/* The base64 body of the first certificate of a PEM, without spaces. */
static char *cert_base64(const char *pem)
{
	const char *b = strstr(pem, "-----BEGIN CERTIFICATE-----"), *e;
	char *out, *o;

	if (!b)
		return NULL;
	b += strlen("-----BEGIN CERTIFICATE-----");
	e = strstr(b, "-----END CERTIFICATE-----");
	if (!e)
		return NULL;
	out = o = malloc((size_t)(e - b) + 1);
	if (!out)
		return NULL;
	for (; b < e; b++) {
		if (isalnum((unsigned char)*b) || *b == '+' || *b == '/' || *b == '=')
			*o++ = *b;
		else if (!isspace((unsigned char)*b))
			break;
	}
	*o = '\0';
	if (b < e || o == out) {
		free(out);
		return NULL;
	}
	return out;
}

int ident_saml_metadata(const struct byod_idsrc *s, struct byod_buf *out, struct byod_err *err)
{
	return ident_saml_metadata_acs(s, NULL, out, err);
}

int ident_saml_metadata_acs(const struct byod_idsrc *s, const char *acs2, struct byod_buf *out,
			    struct byod_err *err)
{
	gchar *pem = NULL, *entity = NULL, *acs = NULL, *acs_2 = NULL;
	char *cert = NULL;
	int rc = 0;

	if (s->kind != BYOD_IDSRC_SAML)
		return byod_err_set(err, ENOTSUP, "identity source '%s' is not a saml one",
				    s->name);
	pem = slurp(s->sp_cert_file, "sp-cert-file", s, err);
	if (!pem)
		return -EIO;
	cert = cert_base64(pem);
	if (!cert) {
		rc = byod_err_set(err, EIO, "identity.%s.sp-cert-file: %s holds no PEM certificate",
				  s->name, s->sp_cert_file);
		goto out;
	}
	entity = g_markup_escape_text(s->sp_entity_id, -1);
	acs = g_markup_escape_text(s->acs_url, -1);
	byod_buf_putf(out, &rc,
		      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		      "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" "
		      "xmlns:ds=\"" DSIG_NS "\" entityID=\"%s\">\n"
		      " <md:SPSSODescriptor AuthnRequestsSigned=\"true\" "
		      "WantAssertionsSigned=\"true\" "
		      "protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">\n",
		      entity);
	for (int i = 0; i < 2; i++)
		byod_buf_putf(out, &rc,
			      "  <md:KeyDescriptor use=\"%s\"><ds:KeyInfo><ds:X509Data>"
			      "<ds:X509Certificate>%s</ds:X509Certificate></ds:X509Data>"
			      "</ds:KeyInfo>"
			      "</md:KeyDescriptor>\n", i ? "encryption" : "signing", cert);
	byod_buf_putf(out, &rc,
		      "  <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
		      "</md:NameIDFormat>\n"
		      "  <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
		      "</md:NameIDFormat>\n"
		      "  <md:AssertionConsumerService index=\"0\" isDefault=\"true\" "
		      "Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" "
		      "Location=\"%s\"/>\n", acs);
	if (acs2) {
		/* the admin console's own ACS (its requests name it) */
		acs_2 = g_markup_escape_text(acs2, -1);
		byod_buf_putf(out, &rc,
			      "  <md:AssertionConsumerService index=\"1\" "
			      "Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" "
			      "Location=\"%s\"/>\n", acs_2);
	}
	byod_buf_putf(out, &rc, " </md:SPSSODescriptor>\n</md:EntityDescriptor>\n");
	if (rc)
		byod_err_set(err, -rc, "out of memory");
out:
	g_free(pem);
	g_free(entity);
	g_free(acs);
	g_free(acs_2);
	free(cert);
	return rc;
}

/* ---- the service provider ---- */

/* A LassoServer for s (our metadata, key and certificate, the IdP's
 * metadata) and the IdP's entityID into *idp (the server's own string). */
static LassoServer *server_new(const struct byod_idsrc *s, const char **idp, struct byod_err *err)
{
	struct byod_buf md;
	LassoServer *srv = NULL;
	GHashTableIter it;
	gpointer key, value;
	int n = 0;

	*idp = NULL;
	if (init(err))
		return NULL;
	byod_buf_init(&md, 0);
	if (ident_saml_metadata(s, &md, err))
		goto out;
	/* the key and the certificate by name: lasso reads them itself */
	srv = lasso_server_new_from_buffers(md.p, s->sp_key_file, NULL, s->sp_cert_file);
	if (!srv || !srv->private_key) {
		byod_err_set(err, EIO, "identity.%s.sp-key-file: %s and sp-cert-file %s are not a "
			     "key and its certificate lasso can read", s->name, s->sp_key_file,
			     s->sp_cert_file);
		goto fail;
	}
	srv->signature_method = LASSO_SIGNATURE_METHOD_RSA_SHA256;
	if (lasso_server_set_encryption_private_key(srv, s->sp_key_file)) {
		byod_err_set(err, EIO, "identity.%s.sp-key-file: %s cannot decrypt", s->name,
			     s->sp_key_file);
		goto fail;
	}
	if (lasso_server_add_provider(srv, LASSO_PROVIDER_ROLE_IDP, s->idp_metadata_file, NULL,
				      NULL)) {
		byod_err_set(err, EIO, "identity.%s.idp-metadata-file: %s is not an identity "
			     "provider's SAML 2.0 metadata", s->name, s->idp_metadata_file);
		goto fail;
	}
	/* one identity provider per source: its metadata names it */
	g_hash_table_iter_init(&it, srv->providers);
	while (g_hash_table_iter_next(&it, &key, &value)) {
		*idp = key;
		n++;
	}
	if (n != 1) {
		byod_err_set(err, EIO, "identity.%s.idp-metadata-file: %s must describe exactly "
			     "one identity provider", s->name, s->idp_metadata_file);
		goto fail;
	}
	goto out;
fail:
	if (srv)
		lasso_server_destroy(srv);
	srv = NULL;
	*idp = NULL;
out:
	byod_buf_free(&md);
	return srv;
}

/* The registry's key for s's pending request relay, or for its assertion
 * id: a digest, so that neither the bearer RelayState nor an IdP's ID is
 * stored as it is nor can break the key's form. */
static void once_key(const char *kind, const struct byod_idsrc *s, const char *v, char *out,
		     size_t len)
{
	gchar *joined = g_strconcat(s->name, "\n", v, NULL);
	gchar *hex = g_compute_checksum_for_string(G_CHECKSUM_SHA256, joined, -1);

	snprintf(out, len, "%s:%s", kind, hex ? hex : "");
	g_free(joined);
	g_free(hex);
}

/* The key of a pending request: the default ACS's as it always was; another
 * ACS's joined to it, so that a request made for one ACS is never answered
 * at the other. */
static void req_key(const struct byod_idsrc *s, const char *acs, const char *relay, char *out,
		    size_t len)
{
	gchar *v;

	if (!acs) {
		once_key("saml-req", s, relay, out, len);
		return;
	}
	v = g_strconcat(relay, "\n", acs, NULL);
	once_key("saml-req", s, v, out, len);
	g_free(v);
}

int ident_saml_request(const struct byod_idsrc *s, struct reg *reg, time_t now, char *url,
		       size_t len, char *relay, size_t rlen, struct byod_err *err)
{
	return ident_saml_request_acs(s, NULL, reg, now, url, len, relay, rlen, err);
}

int ident_saml_request_acs(const struct byod_idsrc *s, const char *acs, struct reg *reg,
			   time_t now, char *url, size_t len, char *relay, size_t rlen,
			   struct byod_err *err)
{
	LassoServer *srv;
	LassoLogin *login = NULL;
	LassoSamlp2AuthnRequest *req;
	const char *idp, *id;
	unsigned char rnd[32];
	char key[128];
	int rc;

	if (s->kind != BYOD_IDSRC_SAML)
		return byod_err_set(err, ENOTSUP, "identity source '%s' is not a saml one",
				    s->name);
	if (rlen < IDENT_SAML_RELAY_MAX)
		return byod_err_set(err, ENAMETOOLONG, "no room for a RelayState");
	rc = byod_random(rnd, sizeof(rnd));
	if (rc)
		return byod_err_set(err, -rc, "no random bytes for a RelayState");
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(relay + 2 * i, 3, "%02x", rnd[i]);
	srv = server_new(s, &idp, err);
	if (!srv) {
		relay[0] = '\0';
		return -EIO;
	}
	login = lasso_login_new(srv);
	rc = login ? lasso_login_init_authn_request(login, idp, LASSO_HTTP_METHOD_REDIRECT) : -1;
	if (rc) {
		rc = byod_err_set(err, EPROTO, "identity source '%s': no AuthnRequest for %s: %s",
				  s->name, idp, lasso_strerror(rc));
		goto out;
	}
	req = LASSO_SAMLP2_AUTHN_REQUEST(LASSO_PROFILE(login)->request);
	g_free(req->NameIDPolicy->Format);
	req->NameIDPolicy->Format = g_strdup(LASSO_SAML2_NAME_IDENTIFIER_FORMAT_TRANSIENT);
	req->NameIDPolicy->AllowCreate = TRUE;
	g_free(req->ProtocolBinding);
	req->ProtocolBinding = g_strdup(LASSO_SAML2_METADATA_BINDING_POST);
	if (acs) { /* the IdP posts back there (our metadata lists it) */
		g_free(req->AssertionConsumerServiceURL);
		req->AssertionConsumerServiceURL = g_strdup(acs);
	}
	LASSO_PROFILE(login)->msg_relayState = g_strdup(relay);
	/* signed (RSA-SHA256) because our metadata says AuthnRequestsSigned */
	rc = lasso_login_build_authn_request_msg(login);
	if (rc) {
		rc = byod_err_set(err, EPROTO, "identity source '%s': the AuthnRequest could not "
				  "be signed: %s", s->name, lasso_strerror(rc));
		goto out;
	}
	id = LASSO_SAMLP2_REQUEST_ABSTRACT(req)->ID;
	if (!id || strlen(LASSO_PROFILE(login)->msg_url) >= len) {
		rc = byod_err_set(err, ENAMETOOLONG, "identity source '%s': the request's URL is "
				  "too long", s->name);
		goto out;
	}
	snprintf(url, len, "%s", LASSO_PROFILE(login)->msg_url);
	/* the request's ID, for InResponseTo, waits for one answer */
	req_key(s, acs, relay, key, sizeof(key));
	rc = reg_once_put(reg, key, id, now, now + IDENT_SAML_REQUEST_TTL, err);
out:
	if (login)
		lasso_login_destroy(login);
	lasso_server_destroy(srv);
	if (rc) {
		url[0] = '\0';
		relay[0] = '\0';
	}
	return rc;
}

/* ---- the Response ---- */

/* What lasso does not look at in the XML as received: no DTD, and no SHA-1
 * in any signature (SignatureMethod, DigestMethod). */
static const char *check_xml(const char *b64)
{
	gsize n = 0;
	guchar *raw = g_base64_decode(b64, &n);
	const char *why = NULL;
	xmlDocPtr doc = NULL;
	xmlNodePtr node;

	if (!raw || !n || n > INT32_MAX) {
		why = "the SAMLResponse is not base64";
		goto out;
	}
	doc = xmlReadMemory((const char *)raw, (int)n, NULL, NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc || !xmlDocGetRootElement(doc)) {
		why = "the SAMLResponse is not XML";
		goto out;
	}
	if (doc->intSubset || doc->extSubset) {
		why = "the SAMLResponse has a DTD";
		goto out;
	}
	/* a depth-first walk over every element */
	node = xmlDocGetRootElement(doc);
	while (node) {
		if (node->type == XML_ELEMENT_NODE && node->ns && node->ns->href &&
		    !strcmp((const char *)node->ns->href, DSIG_NS) &&
		    (!strcmp((const char *)node->name, "SignatureMethod") ||
		     !strcmp((const char *)node->name, "DigestMethod"))) {
			xmlChar *alg = xmlGetProp(node, (const xmlChar *)"Algorithm");

			if (!alg || strstr((const char *)alg, "sha1"))
				why = "signed with SHA-1 (RSA-SHA256 or better is required)";
			xmlFree(alg);
			if (why)
				goto out;
		}
		if (node->children && node->type == XML_ELEMENT_NODE) {
			node = node->children;
			continue;
		}
		while (node && !node->next)
			node = node->parent && node->parent->type == XML_ELEMENT_NODE ? node->parent
										   : NULL;
		if (node)
			node = node->next;
	}
out:
	if (doc)
		xmlFreeDoc(doc);
	g_free(raw);
	return why;
}

static int audience_present(LassoSaml2Assertion *a)
{
	for (GList *r = a->Conditions ? a->Conditions->AudienceRestriction : NULL; r; r = r->next)
		if (LASSO_IS_SAML2_AUDIENCE_RESTRICTION(r->data) &&
		    LASSO_SAML2_AUDIENCE_RESTRICTION(r->data)->Audience)
			return 1;
	return 0;
}

/* The assertion's own checks; NULL when it passes, and *until is when a
 * replay of it stops mattering. */
static const char *check_assertion(const struct byod_idsrc *s, const char *acs,
				   LassoSaml2Assertion *a, const char *idp, const char *request_id, time_t now,
				   time_t *until)
{
	LassoSaml2SubjectConfirmationData *scd;
	time_t t, c;

	if (!a->ID || !a->ID[0])
		return "the assertion has no ID";
	if (!a->Issuer || !a->Issuer->content || strcmp(a->Issuer->content, idp))
		return "the assertion's Issuer is not the identity provider";
	if (!a->Conditions)
		return "the assertion has no Conditions";
	/* lasso finds a missing AudienceRestriction valid: require one */
	if (!audience_present(a))
		return "the assertion has no Audience";
	if (lasso_saml2_assertion_validate_audience(a, s->sp_entity_id) !=
	    LASSO_SAML2_ASSERTION_VALID)
		return "the assertion is for another audience than sp-entity-id";
	c = ident_saml_time(a->Conditions->NotOnOrAfter);
	if (c == (time_t)-1)
		return "the assertion's Conditions have no NotOnOrAfter";
	if (a->Conditions->NotBefore && ident_saml_time(a->Conditions->NotBefore) == (time_t)-1)
		return "the assertion's Conditions have a NotBefore that is not a time";
	if (ident_saml_time(a->Conditions->NotBefore) != (time_t)-1 &&
	    now + s->max_skew_s < ident_saml_time(a->Conditions->NotBefore))
		return "the assertion is not valid yet (Conditions NotBefore)";
	if (now >= c + s->max_skew_s)
		return "the assertion has expired (Conditions NotOnOrAfter)";
	/* and lasso's own reading of the same */
	if (lasso_saml2_assertion_validate_time_checks(a, (unsigned)s->max_skew_s, now) !=
	    LASSO_SAML2_ASSERTION_VALID)
		return "the assertion is outside its Conditions' time";
	scd = lasso_saml2_assertion_get_subject_confirmation_data(a, FALSE);
	if (!scd)
		return "the assertion has no SubjectConfirmationData";
	if (!scd->Recipient || strcmp(scd->Recipient, acs))
		return "the assertion's Recipient is not acs-url";
	if (!scd->InResponseTo || strcmp(scd->InResponseTo, request_id))
		return "the assertion answers another request (InResponseTo)";
	t = ident_saml_time(scd->NotOnOrAfter);
	if (t == (time_t)-1)
		return "the assertion's SubjectConfirmationData has no NotOnOrAfter";
	if (now >= t + s->max_skew_s)
		return "the assertion has expired (SubjectConfirmationData NotOnOrAfter)";
	if (scd->NotBefore && ident_saml_time(scd->NotBefore) != (time_t)-1 &&
	    now + s->max_skew_s < ident_saml_time(scd->NotBefore))
		return "the assertion is not valid yet (SubjectConfirmationData NotBefore)";
	*until = (t > c ? t : c) + s->max_skew_s;
	return NULL;
}

/* The assertion's attribute values, by Name, into attrs. */
static int read_attributes(LassoSaml2Assertion *a, struct ident_attrs *attrs)
{
	size_t n = 0;
	int rc;

	for (GList *st = a->AttributeStatement; st; st = st->next) {
		if (!LASSO_IS_SAML2_ATTRIBUTE_STATEMENT(st->data))
			continue;
		for (GList *at = LASSO_SAML2_ATTRIBUTE_STATEMENT(st->data)->Attribute; at;
		     at = at->next) {
			LassoSaml2Attribute *attr = at->data;

			if (!LASSO_IS_SAML2_ATTRIBUTE(attr) || !attr->Name)
				continue;
			for (GList *v = attr->AttributeValue; v; v = v->next) {
				if (!LASSO_IS_SAML2_ATTRIBUTE_VALUE(v->data))
					continue;
				for (GList *t = LASSO_SAML2_ATTRIBUTE_VALUE(v->data)->any; t;
				     t = t->next) {
					const char *c;

					if (!LASSO_IS_MISC_TEXT_NODE(t->data))
						continue;
					c = LASSO_MISC_TEXT_NODE(t->data)->content;
					if (!c || strlen(c) >= SAML_VALUE_MAX)
						continue;
					if (++n > SAML_ATTRS_MAX)
						return -E2BIG;
					rc = ident_attrs_add(attrs, attr->Name, c);
					if (rc)
						return rc;
				}
			}
		}
	}
	return 0;
}

static int check_acs(const struct byod_idsrc *s, const char *acs, const char *request_id,
		     const char *b64, time_t now, struct ident_attrs *attrs, char *id, size_t len,
		     time_t *until, struct byod_err *err);

int ident_saml_check(const struct byod_idsrc *s, const char *request_id, const char *b64,
		     time_t now, struct ident_attrs *attrs, char *id, size_t len, time_t *until,
		     struct byod_err *err)
{
	return check_acs(s, s->acs_url, request_id, b64, now, attrs, id, len, until, err);
}

static int check_acs(const struct byod_idsrc *s, const char *acs, const char *request_id,
		     const char *b64, time_t now, struct ident_attrs *attrs, char *id, size_t len,
		     time_t *until, struct byod_err *err)
{
	LassoServer *srv = NULL;
	LassoLogin *login = NULL;
	LassoSaml2Assertion *a = NULL;
	LassoSamlp2StatusResponse *resp;
	LassoNode *nameid;
	const char *idp, *why;
	int rc;

	if (s->kind != BYOD_IDSRC_SAML)
		return byod_err_set(err, ENOTSUP, "identity source '%s' is not a saml one",
				    s->name);
	if (!request_id)
		return byod_err_set(err, EACCES, "identity source '%s': an answer to no request of "
				    "this gateway (unsolicited) is refused", s->name);
	if (!b64 || !b64[0] || strlen(b64) > IDENT_SAML_RESPONSE_MAX)
		return byod_err_set(err, EINVAL, "identity source '%s': a SAMLResponse is 1 to %d "
				    "bytes", s->name, IDENT_SAML_RESPONSE_MAX);
	rc = init(err);
	if (rc)
		return rc;
	why = check_xml(b64);
	if (why)
		return byod_err_set(err, EACCES, "identity source '%s': %s", s->name, why);
	srv = server_new(s, &idp, err);
	if (!srv)
		return -EIO;
	login = lasso_login_new(srv);
	if (!login) {
		rc = byod_err_set(err, ENOMEM, "out of memory");
		goto out;
	}
	/* a signature required on the Response or the Assertion, whatever the
	 * metadata says; lasso checks it with the IdP's keys only */
	lasso_profile_set_signature_verify_hint(LASSO_PROFILE(login),
						LASSO_PROFILE_SIGNATURE_VERIFY_HINT_FORCE);
	rc = lasso_login_process_authn_response_msg(login, (gchar *)b64);
	if (!rc)
		rc = lasso_login_accept_sso(login);
	if (rc) {
		rc = byod_err_set(err, EACCES, "identity source '%s': the Response is refused: %s",
				  s->name, lasso_strerror(rc));
		goto out;
	}
	resp = LASSO_SAMLP2_STATUS_RESPONSE(LASSO_PROFILE(login)->response);
	why = NULL;
	if (!resp->Issuer || !resp->Issuer->content || strcmp(resp->Issuer->content, idp))
		why = "the Response's Issuer is not the identity provider";
	else if (!resp->Destination || strcmp(resp->Destination, acs))
		why = "the Response's Destination is not acs-url";
	else if (!resp->InResponseTo || strcmp(resp->InResponseTo, request_id))
		why = "the Response answers another request (InResponseTo)";
	if (!why) {
		a = LASSO_SAML2_ASSERTION(lasso_login_get_assertion(login));
		why = a ? check_assertion(s, acs, a, idp, request_id, now, until)
			: "the Response holds no assertion";
	}
	if (why) {
		rc = byod_err_set(err, EACCES, "identity source '%s': %s", s->name, why);
		goto out;
	}
	if (strlen(a->ID) >= len) {
		rc = byod_err_set(err, EACCES, "identity source '%s': the assertion's ID is too "
				  "long", s->name);
		goto out;
	}
	snprintf(id, len, "%s", a->ID);
	nameid = LASSO_PROFILE(login)->nameIdentifier;
	if (nameid && LASSO_IS_SAML2_NAME_ID(nameid) && LASSO_SAML2_NAME_ID(nameid)->content &&
	    strlen(LASSO_SAML2_NAME_ID(nameid)->content) < SAML_VALUE_MAX &&
	    (rc = ident_attrs_add(attrs, IDENT_SAML_NAMEID, LASSO_SAML2_NAME_ID(nameid)->content)))
		goto oom;
	rc = read_attributes(a, attrs);
	if (rc == -E2BIG) {
		rc = byod_err_set(err, EACCES, "identity source '%s': more than %d attribute "
				  "values", s->name, SAML_ATTRS_MAX);
		goto out;
	}
oom:
	if (rc)
		rc = byod_err_set(err, ENOMEM, "out of memory");
out:
	if (a)
		g_object_unref(a); /* lasso_login_get_assertion() gave a new reference */
	if (login)
		lasso_login_destroy(login);
	lasso_server_destroy(srv);
	if (rc)
		ident_attrs_free(attrs);
	return rc;
}

int ident_saml_response(struct reg *reg, const struct byod_idsrc *s, const char *relay,
			const char *b64, time_t now, struct ident_attrs *attrs,
			struct byod_err *err)
{
	return ident_saml_response_acs(reg, s, NULL, relay, b64, now, attrs, err);
}

int ident_saml_response_acs(struct reg *reg, const struct byod_idsrc *s, const char *acs,
			    const char *relay, const char *b64, time_t now,
			    struct ident_attrs *attrs, struct byod_err *err)
{
	char key[128], id[256];
	char *request_id = NULL;
	time_t until = 0;
	int rc;

	if (s->kind != BYOD_IDSRC_SAML)
		return byod_err_set(err, ENOTSUP, "identity source '%s' is not a saml one",
				    s->name);
	if (!relay || !relay[0])
		return byod_err_set(err, EACCES, "identity source '%s': an answer without "
				    "RelayState answers no request of this gateway (unsolicited)",
				    s->name);
	if (!ident_saml_relay_ok(relay))
		return byod_err_set(err, EINVAL, "identity source '%s': a RelayState this gateway "
				    "did not make", s->name);
	/* taken once: the same request answered twice is refused */
	req_key(s, acs, relay, key, sizeof(key));
	rc = reg_once_take(reg, key, now, &request_id, err);
	if (rc == -ENOENT)
		return byod_err_set(err, EACCES, "identity source '%s': no request of this gateway "
				    "waits for this answer (answered already, older than %d s, or "
				    "never made)", s->name, IDENT_SAML_REQUEST_TTL);
	if (rc)
		return rc;
	rc = check_acs(s, acs ? acs : s->acs_url, request_id, b64, now, attrs, id, sizeof(id),
		       &until, err);
	free(request_id);
	if (rc)
		return rc;
	once_key("saml-id", s, id, key, sizeof(key));
	rc = reg_once_claim(reg, key, now, until, err);
	if (rc == -EEXIST)
		rc = byod_err_set(err, EACCES, "identity source '%s': the assertion was used "
				  "already (replayed)", s->name);
	if (rc)
		ident_attrs_free(attrs);
	return rc;
}

/* ---- the sign-in ---- */

static void audit_refusal(struct reg *reg, const struct byod_idsrc *s, const char *login,
			  const struct byod_err *why)
{
	json_t *o = json_pack("{s:s, s:s}", "source", s->name, "reason", why->msg);
	char *after = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

	reg_audit_add_school(reg, "", "identity.refused",
			     login && ident_login_ok(login) ? login : "(not a login)", NULL, after,
			     NULL);
	free(after);
	json_decref(o);
}

int ident_login_saml(struct reg *reg, const struct byod_idsrc *s, const char *relay,
		     const char *b64, time_t now, struct reg_person *out, struct byod_err *err)
{
	struct ident_attrs attrs = { 0 };
	struct ident_person p;
	struct byod_err e;
	char login[REG_LOGIN_MAX] = "";
	const char *u;
	int rc;

	if (!err)
		err = &e;
	memset(err, 0, sizeof(*err));
	if (s->kind != BYOD_IDSRC_SAML)
		return byod_err_set(err, ENOTSUP, "identity source '%s' takes no SAML response",
				    s->name);
	rc = ident_saml_response(reg, s, relay, b64, now, &attrs, err);
	if (!rc) {
		/* the audit names who the IdP said, the mapping refusing or not */
		u = ident_attrs_get(&attrs, s->login_attr, 0);
		if (u)
			snprintf(login, sizeof(login), "%s", u);
		rc = ident_map(s, &attrs, &p, err);
	}
	ident_attrs_free(&attrs);
	if (!rc)
		rc = ident_person_sync(reg, s, &p, out, err);
	if (rc)
		audit_refusal(reg, s, login, err);
	return rc;
}

/* ---- the ACS's form ---- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* [v, e) form-decoded into out (len); -EINVAL when broken or too long. */
static int form_decode(const char *v, const char *e, char *out, size_t len)
{
	size_t o = 0;

	for (; v < e; v++) {
		char c = *v;

		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			int h, l;

			if (e - v < 3 || (h = hexval(v[1])) < 0 || (l = hexval(v[2])) < 0)
				return -EINVAL;
			c = (char)(h << 4 | l);
			v += 2;
		}
		if (c == '\0' || o + 1 >= len)
			return -EINVAL;
		out[o++] = c;
	}
	out[o] = '\0';
	return 0;
}

int ident_saml_acs_parse(const char *body, size_t len, char *resp, size_t rlen, char *relay,
			 size_t relay_len)
{
	const char *p = body, *end = body + len;
	int got_resp = 0, got_relay = 0;

	if (!rlen || !relay_len)
		return -EINVAL;
	resp[0] = relay[0] = '\0';
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p)), *eq;
		const char *e = amp ? amp : end;
		size_t klen;

		eq = memchr(p, '=', (size_t)(e - p));
		klen = (size_t)((eq ? eq : e) - p);
		if (klen == 12 && !memcmp(p, "SAMLResponse", 12)) {
			if (got_resp++ || !eq || form_decode(eq + 1, e, resp, rlen))
				return -EINVAL;
		} else if (klen == 10 && !memcmp(p, "RelayState", 10)) {
			if (got_relay++ || !eq || form_decode(eq + 1, e, relay, relay_len))
				return -EINVAL;
		}
		p = amp ? amp + 1 : end;
	}
	return got_resp && resp[0] ? 0 : -EINVAL;
}
