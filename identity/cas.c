// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * CAS 3.0 identity sources (cas.h): the login URL, the validation of a
 * service ticket with p3/serviceValidate over HTTPS (libcurl: the server's
 * certificate checked against the source's ca-file only, no proxy, no
 * redirect, a deadline, the answer capped), its XML read with libxml2
 * (as UTF-8 only, no network, no DTD in any encoding hence no entity,
 * namespace-aware), and the
 * back-channel logoutRequest of single logout. The mapping and the
 * just-in-time person are login.c's, as for LDAP.
 */
#define _GNU_SOURCE /* memmem */
#include "cas.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#define CAS_NS "http://www.yale.edu/tp/cas"
#define SAMLP_NS "urn:oasis:names:tc:SAML:2.0:protocol"
#define CAS_ATTRS_MAX 256  /* attribute values kept from one answer */
#define CAS_VALUE_MAX 2048 /* one value's bytes */

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init_libs(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	xmlInitParser();
}

int ident_cas_ticket_ok(const char *t)
{
	size_t n = strlen(t);

	if (n < 4 || n >= IDENT_CAS_TICKET_MAX || strncmp(t, "ST-", 3))
		return 0;
	for (size_t i = 3; i < n; i++)
		if (!isalnum((unsigned char)t[i]) && !strchr(".-_", t[i]))
			return 0;
	return 1;
}

/* RFC 3986: everything but the unreserved characters percent-encoded. */
static int url_encode(const char *in, char *out, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *in; in++) {
		unsigned char c = (unsigned char)*in;

		if (isalnum(c) || strchr("-._~", c)) {
			if (o + 1 >= len)
				return -ENAMETOOLONG;
			out[o++] = (char)c;
		} else {
			if (o + 3 >= len)
				return -ENAMETOOLONG;
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	if (o >= len)
		return -ENAMETOOLONG;
	out[o] = '\0';
	return 0;
}

/* server-url with "/" at its end, then what. */
static int server_path(const struct byod_idsrc *s, const char *what, char *out, size_t len)
{
	size_t n = strlen(s->server_url);
	int w = snprintf(out, len, "%s%s%s", s->server_url,
			 n && s->server_url[n - 1] == '/' ? "" : "/", what);

	return w < 0 || (size_t)w >= len ? -ENAMETOOLONG : 0;
}

int ident_cas_login_url(const struct byod_idsrc *s, char *out, size_t len)
{
	char svc[3 * 1024 + 1];
	size_t n;
	int rc;

	if (s->kind != BYOD_IDSRC_CAS || !s->server_url || !s->service_url)
		return -EINVAL;
	rc = url_encode(s->service_url, svc, sizeof(svc));
	if (!rc)
		rc = server_path(s, "login?service=", out, len);
	if (rc)
		return rc;
	n = strlen(out);
	if (n + strlen(svc) >= len)
		return -ENAMETOOLONG;
	memcpy(out + n, svc, strlen(svc) + 1);
	return 0;
}

/* ---- the XML ---- */

static int in_ns(const xmlNode *n, const char *ns, const char *local)
{
	return n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
	       !strcmp((const char *)n->ns->href, ns) && !strcmp((const char *)n->name, local);
}

/* The next element child of n from c on (c NULL: the first); text of
 * blanks only between them is skipped, anything else makes *bad. */
static xmlNode *next_element(xmlNode *c, int *bad)
{
	for (; c; c = c->next) {
		if (c->type == XML_ELEMENT_NODE)
			return c;
		if (c->type == XML_COMMENT_NODE)
			continue;
		if (c->type == XML_TEXT_NODE && c->content) {
			for (const xmlChar *p = c->content; *p; p++)
				if (!isspace(*p))
					*bad = 1;
			continue;
		}
		*bad = 1;
	}
	return NULL;
}

/* The text of an element made of text (and CDATA) only, into out. */
static int text_of(const xmlNode *n, char *out, size_t len)
{
	size_t o = 0;

	out[0] = '\0';
	for (const xmlNode *c = n->children; c; c = c->next) {
		size_t l;

		if (c->type == XML_COMMENT_NODE)
			continue;
		if ((c->type != XML_TEXT_NODE && c->type != XML_CDATA_SECTION_NODE) || !c->content)
			return -EINVAL;
		l = strlen((const char *)c->content);
		if (o + l >= len)
			return -ENAMETOOLONG;
		memcpy(out + o, c->content, l + 1);
		o += l;
	}
	return 0;
}

/* Text with the blanks around it cut (CAS servers indent their answers). */
static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* A document type declaration, in whatever encoding it came: the parse
 * stops there, before its internal subset is read, so no entity of any kind
 * is ever declared, let alone expanded. */
static void refuse_dtd(void *ctx, const xmlChar *name, const xmlChar *ext, const xmlChar *sys)
{
	xmlParserCtxt *c = ctx;

	(void)name, (void)ext, (void)sys;
	*(int *)c->_private = 1;
	xmlStopParser(c);
}

/* Parsed as UTF-8 whatever the document declares or its first bytes look
 * like (CAS answers are UTF-8; UTF-16 or EBCDIC is then no document at
 * all), without network nor entity substitution, without error printing;
 * NULL for what is not well-formed, too large, or has a DTD. */
static xmlDoc *parse(const char *xml, size_t len)
{
	xmlParserCtxt *c;
	xmlDoc *doc;
	int dtd = 0;

	if (!len || len > IDENT_CAS_ANSWER_MAX)
		return NULL;
	pthread_once(&once, init_libs);
	c = xmlNewParserCtxt();
	if (!c)
		return NULL;
	c->_private = &dtd;
	c->sax->internalSubset = refuse_dtd;
	c->sax->externalSubset = NULL;
	c->sax->entityDecl = NULL;
	doc = xmlCtxtReadMemory(c, xml, (int)len, "cas.xml", "UTF-8",
				XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
					XML_PARSE_NOCDATA | XML_PARSE_IGNORE_ENC);
	if (doc && (dtd || !c->wellFormed || doc->intSubset || doc->extSubset ||
		    !xmlDocGetRootElement(doc))) {
		xmlFreeDoc(doc);
		doc = NULL;
	}
	xmlFreeParserCtxt(c);
	return doc;
}

static int bad_answer(struct byod_err *err, const char *why)
{
	return byod_err_set(err, EPROTO, "the CAS server's answer %s", why);
}

static int read_attributes(xmlNode *attrs, struct ident_attrs *a, struct byod_err *err)
{
	char *v = malloc(CAS_VALUE_MAX);
	int bad = 0, rc = 0;
	size_t n = 0;

	if (!v)
		return byod_err_set(err, ENOMEM, "out of memory");
	for (xmlNode *c = next_element(attrs->children, &bad); c && !bad;
	     c = next_element(c->next, &bad)) {
		/* an attribute with an element inside is none we can use */
		if (!c->ns || !c->ns->href || strcmp((const char *)c->ns->href, CAS_NS) ||
		    text_of(c, v, CAS_VALUE_MAX)) {
			rc = bad_answer(err, "has an attribute that is not text in CAS's namespace");
			break;
		}
		if (++n > CAS_ATTRS_MAX) {
			rc = bad_answer(err, "has too many attributes");
			break;
		}
		if (ident_attrs_add(a, (const char *)c->name, trim(v))) {
			rc = byod_err_set(err, ENOMEM, "out of memory");
			break;
		}
	}
	if (!rc && bad)
		rc = bad_answer(err, "has text between attributes");
	free(v);
	return rc;
}

int ident_cas_parse(const char *xml, size_t len, struct ident_attrs *a, struct byod_err *err)
{
	xmlDoc *doc = parse(xml, len);
	xmlNode *root, *r, *c;
	char user[512];
	int bad = 0, rc, seen_user = 0, seen_attrs = 0;

	if (!doc)
		return bad_answer(err, "is not well-formed XML without DTD, or too large");
	root = xmlDocGetRootElement(doc);
	if (!in_ns(root, CAS_NS, "serviceResponse")) {
		rc = bad_answer(err, "is not a cas:serviceResponse");
		goto out;
	}
	r = next_element(root->children, &bad);
	if (!r || bad || next_element(r->next, &bad)) {
		rc = bad_answer(err, "does not hold exactly one result");
		goto out;
	}
	if (in_ns(r, CAS_NS, "authenticationFailure")) {
		xmlChar *code = xmlGetNoNsProp(r, (const xmlChar *)"code");
		char shown[64];
		size_t i;

		/* the server's code, printable and short, for the audit */
		for (i = 0; code && code[i] && i < sizeof(shown) - 1; i++)
			shown[i] = isalnum(code[i]) || code[i] == '_' ? (char)code[i] : '?';
		shown[i] = '\0';
		xmlFree(code);
		rc = byod_err_set(err, EACCES, "the CAS server refused the ticket (%s)",
				  i ? shown : "no code");
		goto out;
	}
	if (!in_ns(r, CAS_NS, "authenticationSuccess")) {
		rc = bad_answer(err, "is neither a success nor a failure");
		goto out;
	}
	rc = 0;
	for (c = next_element(r->children, &bad); c && !bad && !rc;
	     c = next_element(c->next, &bad)) {
		if (in_ns(c, CAS_NS, "user")) {
			if (seen_user++ || text_of(c, user, sizeof(user)))
				rc = bad_answer(err, "has a cas:user that is not one name");
			else if (ident_attrs_add(a, IDENT_CAS_USER, trim(user)))
				rc = byod_err_set(err, ENOMEM, "out of memory");
		} else if (in_ns(c, CAS_NS, "attributes")) {
			if (seen_attrs++)
				rc = bad_answer(err, "has cas:attributes twice");
			else
				rc = read_attributes(c, a, err);
		}
		/* others (cas:proxyGrantingTicket, cas:proxies, extensions) are not ours */
	}
	if (!rc && bad)
		rc = bad_answer(err, "has text in its success");
	if (!rc && (!seen_user || !ident_attrs_get(a, IDENT_CAS_USER, 0)[0]))
		rc = bad_answer(err, "names no user");
out:
	xmlFreeDoc(doc);
	if (rc)
		ident_attrs_free(a);
	return rc;
}

int ident_cas_logout_xml(const char *xml, size_t len, char *ticket, size_t tlen)
{
	xmlDoc *doc = parse(xml, len);
	xmlNode *root, *c;
	char t[IDENT_CAS_TICKET_MAX + 64], *v;
	int bad = 0, rc = -EINVAL, seen = 0;

	if (!doc)
		return -EINVAL;
	root = xmlDocGetRootElement(doc);
	if (!in_ns(root, SAMLP_NS, "LogoutRequest"))
		goto out;
	for (c = next_element(root->children, &bad); c && !bad; c = next_element(c->next, &bad)) {
		if (!in_ns(c, SAMLP_NS, "SessionIndex"))
			continue;
		if (seen++ || text_of(c, t, sizeof(t)))
			goto out;
	}
	if (bad || !seen)
		goto out;
	v = trim(t);
	if (!ident_cas_ticket_ok(v) || strlen(v) >= tlen)
		goto out;
	memcpy(ticket, v, strlen(v) + 1);
	rc = 0;
out:
	xmlFreeDoc(doc);
	return rc;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int ident_cas_logout_parse(const char *body, size_t len, char *ticket, size_t tlen)
{
	static const char field[] = "logoutRequest=";
	const char *p = body, *end = body + len, *v = NULL, *ve = NULL;
	char *xml;
	size_t o = 0;
	int rc;

	if (len > 3 * (size_t)IDENT_CAS_ANSWER_MAX)
		return -EINVAL;
	/* the form's fields, '&'-separated: exactly one logoutRequest */
	while (p < end) {
		const char *e = memchr(p, '&', (size_t)(end - p));

		if (!e)
			e = end;
		if ((size_t)(e - p) >= sizeof(field) - 1 && !memcmp(p, field, sizeof(field) - 1)) {
			if (v)
				return -EINVAL;
			v = p + sizeof(field) - 1;
			ve = e;
		}
		p = e + 1;
	}
	if (!v || v == ve)
		return -EINVAL;
	xml = malloc((size_t)(ve - v) + 1);
	if (!xml)
		return -ENOMEM;
	for (p = v; p < ve; p++) {
		if (*p == '+') {
			xml[o++] = ' ';
		} else if (*p == '%') {
			int h, l;

			if (ve - p < 3 || (h = hexval((unsigned char)p[1])) < 0 ||
			    (l = hexval((unsigned char)p[2])) < 0) {
				free(xml);
				return -EINVAL;
			}
			xml[o++] = (char)(h << 4 | l);
			p += 2;
		} else {
			xml[o++] = *p;
		}
	}
	xml[o] = '\0';
	/* a NUL inside would cut the document short of what was sent */
	rc = memchr(xml, '\0', o) ? -EINVAL : ident_cas_logout_xml(xml, o, ticket, tlen);
	free(xml);
	return rc;
}

/* ---- the validation over HTTPS ---- */

struct answer {
	char *buf;
	size_t n;
	int too_large;
};

static size_t take(char *p, size_t size, size_t nmemb, void *arg)
{
	struct answer *a = arg;
	size_t l = size * nmemb;

	if (a->n + l > IDENT_CAS_ANSWER_MAX) {
		a->too_large = 1;
		return 0; /* libcurl stops: CURLE_WRITE_ERROR */
	}
	memcpy(a->buf + a->n, p, l);
	a->n += l;
	return l;
}

static int curl_fail(const struct byod_idsrc *s, CURLcode c, const char *detail,
		     struct byod_err *err)
{
	switch (c) {
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_ISSUER_ERROR:
		return byod_err_set(err, EHOSTUNREACH, "identity source '%s': the CAS server's "
				    "certificate is not trusted (not from ca-file, or not for its "
				    "name)", s->name);
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
		return byod_err_set(err, EHOSTUNREACH, "identity source '%s': the CAS server "
				    "cannot be reached", s->name);
	case CURLE_OPERATION_TIMEDOUT:
		return byod_err_set(err, ETIMEDOUT, "identity source '%s': the CAS server did "
				    "not answer in %d s", s->name, s->timeout_s);
	default:
		return byod_err_set(err, EPROTO, "identity source '%s': the ticket's validation "
				    "failed (%s%s%s)", s->name, curl_easy_strerror(c),
				    detail[0] ? ": " : "", detail);
	}
}

int ident_cas_validate(const struct byod_idsrc *s, const char *ticket, struct ident_attrs *attrs,
		       struct byod_err *err)
{
	char url[8192], svc[3 * 1024 + 1], detail[CURL_ERROR_SIZE] = "";
	struct answer a = { 0 };
	CURL *c = NULL;
	CURLcode cc;
	long status = 0;
	size_t n;
	int rc;

	if (s->kind != BYOD_IDSRC_CAS)
		return byod_err_set(err, EINVAL, "identity source '%s' is not a CAS one", s->name);
	if (!ident_cas_ticket_ok(ticket))
		return byod_err_set(err, EINVAL, "identity source '%s': that is no service ticket",
				    s->name);
	if (url_encode(s->service_url, svc, sizeof(svc)) ||
	    server_path(s, "p3/serviceValidate?service=", url, sizeof(url)) ||
	    (n = strlen(url)) + strlen(svc) + strlen("&ticket=") + strlen(ticket) >= sizeof(url))
		return byod_err_set(err, ENAMETOOLONG, "identity source '%s': the validation URL "
				    "is too long", s->name);
	/* the ticket's characters need no encoding (ident_cas_ticket_ok); the
	 * lengths are checked above */
	memcpy(url + n, svc, strlen(svc));
	n += strlen(svc);
	memcpy(url + n, "&ticket=", strlen("&ticket="));
	n += strlen("&ticket=");
	memcpy(url + n, ticket, strlen(ticket) + 1);

	pthread_once(&once, init_libs);
	a.buf = malloc(IDENT_CAS_ANSWER_MAX);
	c = curl_easy_init();
	if (!a.buf || !c) {
		rc = byod_err_set(err, ENOMEM, "out of memory");
		goto out;
	}
	if (curl_easy_setopt(c, CURLOPT_URL, url) ||
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https") ||
	    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https") ||
	    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) ||
	    /* only ca-file: neither the system's CAs nor an environment's proxy */
	    curl_easy_setopt(c, CURLOPT_CAINFO, s->ca_file) ||
	    curl_easy_setopt(c, CURLOPT_CAPATH, NULL) ||
	    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) ||
	    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) ||
	    curl_easy_setopt(c, CURLOPT_PROXY, "") ||
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) ||
	    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)s->timeout_s) ||
	    curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)s->timeout_s) ||
	    curl_easy_setopt(c, CURLOPT_MAXFILESIZE, (long)IDENT_CAS_ANSWER_MAX) ||
	    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, NULL) ||
	    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, detail) ||
	    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, take) ||
	    curl_easy_setopt(c, CURLOPT_WRITEDATA, &a)) {
		rc = byod_err_set(err, EPROTO, "identity source '%s': libcurl refuses an option",
				  s->name);
		goto out;
	}
	cc = curl_easy_perform(c);
	if (a.too_large || cc == CURLE_FILESIZE_EXCEEDED) {
		rc = byod_err_set(err, EPROTO, "identity source '%s': the CAS server's answer is "
				  "larger than %d bytes", s->name, IDENT_CAS_ANSWER_MAX);
		goto out;
	}
	if (cc) {
		rc = curl_fail(s, cc, detail, err);
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) {
		rc = byod_err_set(err, EPROTO, "identity source '%s': the CAS server answered "
				  "HTTP %ld to the validation", s->name, status);
		goto out;
	}
	rc = ident_cas_parse(a.buf, a.n, attrs, err);
	if (rc == -EPROTO || rc == -EACCES) {
		char why[sizeof(err->msg)];

		snprintf(why, sizeof(why), "%s", err->msg);
		byod_err_set(err, -rc, "identity source '%s': %s", s->name, why);
	}
out:
	if (c)
		curl_easy_cleanup(c);
	free(a.buf);
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

int ident_login_cas(struct reg *reg, const struct byod_idsrc *s, const char *ticket,
		    struct reg_person *out, struct byod_err *err)
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
	if (s->kind != BYOD_IDSRC_CAS)
		return byod_err_set(err, ENOTSUP, "identity source '%s' takes no CAS ticket",
				    s->name);
	rc = ident_cas_validate(s, ticket, &attrs, err);
	if (!rc) {
		/* the audit names who the server said, the mapping refusing or not */
		u = ident_attrs_get(&attrs, s->login_attr, 0);
		if (!u)
			u = ident_attrs_get(&attrs, IDENT_CAS_USER, 0);
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
