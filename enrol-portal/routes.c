// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What the portal answers, by path: one table of routes, each with the
 * methods it takes. Captive-portal detection: the probes of
 * Apple, Android, Windows and Firefox, and any request for another host
 * that reaches the portal through the walled garden, get a redirect to the
 * portal, never their "success" answer. The RFC 8908 Captive Portal API
 * (announced with DHCP option 114, RFC 8910), the CRL the certificates
 * name, the style sheet, and the pages.
 */
#include "portal.h"

#include <errno.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "byod_util.h"
#include "db.h"
#include "form.h"
#include "oauth.h"
#include "pages.h"
#include "portal_cas.h"
#include "portal_saml.h"

/* Paths operating systems fetch to learn whether they are behind a portal. */
static const char *const probes[] = {
	"/hotspot-detect.html",         /* Apple */
	"/library/test/success.html",   /* Apple, older */
	"/generate_204",                /* Android, ChromeOS */
	"/gen_204",                     /* Android */
	"/connecttest.txt",             /* Windows 10+ */
	"/ncsi.txt",                    /* Windows 7/8 */
	"/redirect",                    /* Windows */
	"/success.txt",                 /* Firefox */
	"/canonical.html",              /* Firefox, Ubuntu */
	"/kindle-wifi/wifistub.html",   /* Kindle */
	NULL,
};

static const char css[] =
	":root{color-scheme:light dark}"
	"body{margin:0;font:1.05rem/1.5 system-ui,sans-serif;background:#f4f6f8;color:#111}"
	"main{max-width:32rem;margin:0 auto;padding:1rem}"
	"h1{font-size:1.4rem;margin:.5rem 0 1rem}h2{font-size:1.15rem;margin:1.2rem 0 .5rem}"
	"header,nav{display:flex;justify-content:space-between;align-items:center;"
	"background:#0b3d6b;color:#fff;padding:.6rem 1rem}"
	"nav{background:#dde6ee;padding:.3rem 1rem}nav form{margin:0}"
	"header a{color:#fff}"
	"a{color:#0b3d6b}"
	"label{display:block;font-weight:600;margin:.8rem 0 .2rem}"
	"input,select{width:100%;box-sizing:border-box;font-size:1.1rem;padding:.6rem;min-height:2.75rem;"
	"border:2px solid #555;border-radius:.4rem;background:#fff;color:#111}"
	".check{display:flex;gap:.6rem;align-items:flex-start}"
	".check input{width:1.6rem;height:1.6rem;min-height:0;flex:none;margin:.2rem 0}"
	".check label{margin:0;font-weight:400}"
	"input:focus,select:focus,button:focus,a:focus,summary:focus,.charter:focus"
	"{outline:3px solid #e0a100;outline-offset:2px}"
	/* at least 44 CSS pixels high: a finger's target (WCAG 2.5.5) */
	"button,a.button{display:block;width:100%;min-height:2.75rem;box-sizing:border-box;"
	"text-align:center;"
	"font-size:1.1rem;padding:.7rem;margin-top:1rem;border:0;border-radius:.4rem;"
	"background:#0b3d6b;color:#fff;text-decoration:none}"
	"button.link{display:inline;width:auto;min-height:0;margin:0;padding:.2rem;background:none;"
	"color:#0b3d6b;text-decoration:underline;font-size:1rem}"
	"button.danger{background:#a4161a}"
	".box{background:#fff;border-radius:.6rem;padding:1rem;margin:0 0 1rem;"
	"box-shadow:0 1px 3px #0003}"
	".notice{background:#e3f1e0;border-left:.4rem solid #2b7a2b;padding:.6rem}"
	".notice.error{background:#fbe4e4;border-color:#a4161a}"
	".charter{max-height:14rem;overflow:auto;border:1px solid #999;padding:.5rem;"
	"background:#fafafa;color:#111}"
	"fieldset{border:2px solid #a4161a;border-radius:.4rem;margin:1rem 0}"
	".secret code{display:block;font-size:1.3rem;letter-spacing:.05rem;text-align:center;"
	"background:#fff7d6;color:#111;padding:.6rem;border-radius:.4rem;white-space:nowrap;"
	"-webkit-user-select:all;user-select:all}"
	".copy{text-align:center}.copy button{margin-top:0}"
	".what,.used{margin-top:-.6rem;font-size:.95rem}.files p{margin-bottom:0}"
	".files .what{margin:0 0 .8rem}details.tech{font-size:.95rem}"
	"dl.values dt{font-weight:600}dl.values dd{margin:0 0 .6rem}"
	"ul.unlocks{list-style:none;margin:0;padding:0}li.unlock{margin:0 0 1rem}"
	"details{margin:.6rem 0}summary{cursor:pointer;font-weight:600;padding:.3rem 0}"
	"footer{max-width:32rem;margin:0 auto;padding:0 1rem 1rem;font-size:.95rem}"
	"@media (prefers-color-scheme:dark){body{background:#111;color:#eee}"
	".box{background:#222}a,button.link{color:#9cd}nav{background:#333}"
	".notice{background:#1e3a1e}.notice.error{background:#4a1d1d}}";

/* The passphrase's copy button, progressive: the page works without it
 * (the button stays hidden, a tap selects the passphrase whole), and with
 * it the button copies through the clipboard API where the page is a
 * secure context, else through a selection and the copy command. */
static const char copy_js[] =
	"// SPDX-License-Identifier: GPL-2.0-or-later\n"
	"(function () {\n"
	"\tvar b = document.getElementById('copy'), code = document.getElementById('passphrase'),\n"
	"\t\tsaid = document.getElementById('copied');\n"
	"\tif (!b || !code || !said)\n"
	"\t\treturn;\n"
	"\tfunction done() { said.textContent = b.getAttribute('data-done'); }\n"
	"\tfunction select() {\n"
	"\t\tvar r = document.createRange(), s = window.getSelection();\n"
	"\t\tr.selectNodeContents(code);\n"
	"\t\ts.removeAllRanges();\n"
	"\t\ts.addRange(r);\n"
	"\t\ttry { if (document.execCommand('copy')) done(); } catch (e) {}\n"
	"\t}\n"
	"\tb.addEventListener('click', function () {\n"
	"\t\tsaid.textContent = '';\n"
	"\t\tif (navigator.clipboard && window.isSecureContext)\n"
	"\t\t\tnavigator.clipboard.writeText(code.textContent.trim()).then(done, select);\n"
	"\t\telse\n"
	"\t\t\tselect();\n"
	"\t});\n"
	"\tb.parentNode.hidden = false;\n"
	"})();\n";

/* The probe's path as the list holds it (a static string), or NULL. */
static const char *rq_probe(const char *path)
{
	const char *const *p;

	for (p = probes; *p; p++)
		if (!strcmp(*p, path))
			return *p;
	return NULL;
}

static int is_probe(const char *path)
{
	return rq_probe(path) != NULL;
}

int portal_https_trusted(const struct portal *p)
{
	return __atomic_load_n(&p->tls_trusted, __ATOMIC_ACQUIRE);
}

const char *portal_url(const struct portal *p)
{
	return portal_https_trusted(p) ? p->where.url_https : p->where.url_http;
}

/* Requests for the portal itself: its name, its public URL's host, its
 * listen address; anything else is a device looking for the Internet. */
static int is_portal_host(struct portal *p, const char *host)
{
	return !host[0] || !strcmp(host, p->conf.portal_hostname) ||
	       !strcmp(host, p->conf.portal_listen) || !strcmp(host, p->where.host);
}

static int redirect_to_portal(struct portal *p, const struct portal_request *rq,
			      struct portal_response *rs)
{
	/* the few words a captive browser may show before it follows, in the
	 * language negotiated as for the pages */
	const char *text = T("captive.redirect");
	size_t n = strlen(text);

	rs->status = 302;
	rs->content_type = "text/plain; charset=utf-8";
	/* where the device was going (a site's name, a page) is its own
	 * business: the log says only that it was sent to the portal */
	rs->log_as = rq_probe(rq->path) ? rq_probe(rq->path) : "(elsewhere)";
	snprintf(rs->location, sizeof(rs->location), "%s/", portal_url(p));
	/* the same for every device (per language and portal URL): made once
	 * by the server and sent again */
	rs->shared = 1;
	rs->body = malloc(n + 2);
	if (!rs->body)
		return -ENOMEM;
	memcpy(rs->body, text, n);
	rs->body[n] = '\n';
	rs->body[n + 1] = '\0';
	rs->len = n + 1;
	return 0;
}

/*
 * With a certificate phones trust, the portal is HTTPS only: a request
 * over plain HTTP goes to the same page over HTTPS (301; 308 keeps a
 * form's method), with nothing of it answered in clear. The CRL stays on
 * HTTP: the certificates name it with an http:// URL (RFC 5280 4.2.1.13),
 * and the clients that fetch it do not follow a redirect to https.
 */
static int plain_http_served(const char *path)
{
	return !strcmp(path, "/crl.der") || !strcmp(path, "/crl.pem");
}

static int redirect_to_https(struct portal *p, const struct portal_request *rq,
			     struct portal_response *rs)
{
	int get = !strcmp(rq->method, "GET") || !strcmp(rq->method, "HEAD");
	const char *target = rq->target && rq->target[0] == '/' ? rq->target : "/";
	int n;

	rs->status = get ? 301 : 308;
	memset(rs->cookies, 0, sizeof(rs->cookies)); /* nothing set in clear (?lang=) */
	n = snprintf(rs->location, sizeof(rs->location), "%s%s", p->where.url_https, target);
	if (n < 0 || (size_t)n >= sizeof(rs->location))
		snprintf(rs->location, sizeof(rs->location), "%s/", p->where.url_https);
	return 0;
}

/* RFC 8908: application/captive+json with captive, user-portal-url and
 * venue-info-url. Every client that can reach this API is still in the
 * registration segment (enrolled devices do not reach the portal's
 * registration address), so captive is true. */
static int captive_api(struct portal *p, struct portal_response *rs)
{
	char url[600];
	json_t *o;

	snprintf(url, sizeof(url), "%s/", portal_url(p));
	o = json_pack("{s:b, s:s}", "captive", 1, "user-portal-url", url);
	if (!o)
		return -ENOMEM;
	if (p->conf.portal_venue_url[0])
		json_object_set_new(o, "venue-info-url", json_string(p->conf.portal_venue_url));
	rs->body = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!rs->body)
		return -ENOMEM;
	rs->len = strlen(rs->body);
	rs->status = 200;
	rs->content_type = "application/captive+json";
	return 0;
}

static int serve_file(struct portal *p, const char *name, const char *type,
		      struct portal_response *rs)
{
	char path[4200];
	size_t len;

	snprintf(path, sizeof(path), "%s/%s", p->pki_dir, name);
	if (byod_file_read(path, &rs->body, &len, NULL))
		return -EIO;
	rs->len = len;
	rs->status = 200;
	rs->content_type = type;
	rs->cacheable = 1;
	return 0;
}

/* The notice for a page reached after an action, from a fixed list (the
 * ?ok= value is never echoed). */
static const char *notice(struct portal *p, const struct portal_request *rq)
{
	static const char *const known[] = { "renamed", "lost", "retired", NULL };
	const char *ok = httpd_arg(rq, "ok");
	const char *const *k;
	char key[32];

	for (k = known; ok && *k; k++) {
		if (!strcmp(ok, *k)) {
			snprintf(key, sizeof(key), "devices.ok.%s", *k);
			return T(key);
		}
	}
	return NULL;
}

/*
 * The routes. A handler gets the page context (for a route without a
 * session only p, rq and rs are set) and, for a prefix route, what follows
 * the prefix. GET stands for HEAD too; a method a route has no handler for
 * is a 405.
 */
typedef int (*route_fn)(struct page_ctx *c, const char *rest);

struct route {
	const char *path; /* the whole path, or its beginning when prefix */
	unsigned prefix : 1;
	unsigned session : 1; /* a registry context, the session and the form */
	unsigned code : 1;    /* open to a session opened with a one-time
			       * enrolment code (one enrolment, its result) */
	route_fn get;	      /* GET and HEAD; NULL: 405 */
	route_fn post;	      /* NULL: 405; without a session, never called */
	const char *help;     /* what the route is for (README's table) */
};

static int css_get(struct page_ctx *c, const char *rest)
{
	struct portal_response *rs = c->rs;

	rs->body = strdup(css);
	if (!rs->body)
		return -ENOMEM;
	rs->len = strlen(css);
	rs->status = 200;
	rs->content_type = "text/css; charset=utf-8";
	rs->cacheable = 1;
	return 0;
}

static int copy_js_get(struct page_ctx *c, const char *rest)
{
	struct portal_response *rs = c->rs;

	rs->body = strdup(copy_js);
	if (!rs->body)
		return -ENOMEM;
	rs->len = strlen(copy_js);
	rs->status = 200;
	rs->content_type = "text/javascript; charset=utf-8";
	rs->cacheable = 1;
	return 0;
}

static int privacy_get(struct page_ctx *c, const char *rest)
{
	(void)rest;
	return page_privacy(c);
}

static int captive_get(struct page_ctx *c, const char *rest)
{
	return captive_api(c->p, c->rs);
}

static int crl_pem_get(struct page_ctx *c, const char *rest)
{
	return serve_file(c->p, "crl.pem", "application/x-pem-file", c->rs);
}

static int crl_der_get(struct page_ctx *c, const char *rest)
{
	return serve_file(c->p, "crl.der", "application/pkix-crl", c->rs);
}

/* the school CA, for the "CA certificate" step (PEM, which Android, iOS,
 * Windows and Linux all import) */
static int ca_pem_get(struct page_ctx *c, const char *rest)
{
	return serve_file(c->p, "ca.pem", "application/x-pem-file", c->rs);
}

static int ca_crt_get(struct page_ctx *c, const char *rest)
{
	return serve_file(c->p, "ca.pem", "application/x-x509-ca-cert", c->rs);
}

static int root_get(struct page_ctx *c, const char *rest)
{
	if (portal_session_is_code(c->s))
		return page_redirect(c, c->s->row.enrolled ? "/enrolled" : "/enrol");
	if (c->s->logged_in)
		return page_redirect(c, portal_oauth_pending(c->rq) ? PORTAL_OAUTH_CONSENT
								    : "/devices");
	return page_login(c, 200, NULL);
}

static int login_get(struct page_ctx *c, const char *rest)
{
	return page_redirect(c, "/");
}

static int login_post(struct page_ctx *c, const char *rest)
{
	return page_login_post(c);
}

static int logout_post(struct page_ctx *c, const char *rest)
{
	return page_logout_post(c);
}

static int devices_get(struct page_ctx *c, const char *rest)
{
	return c->s->logged_in ? page_devices(c, 200, notice(c->p, c->rq), 0, NULL)
			       : page_redirect(c, "/");
}

static int device_post(struct page_ctx *c, const char *rest)
{
	return page_device_post(c);
}

static int enrol_get(struct page_ctx *c, const char *rest)
{
	return page_enrol(c, 200, NULL);
}

static int enrol_post(struct page_ctx *c, const char *rest)
{
	return page_enrol_post(c);
}

static int code_link_get(struct page_ctx *c, const char *rest)
{
	return page_code(c, rest);
}

static int code_post(struct page_ctx *c, const char *rest)
{
	return page_code_post(c);
}

static int class_codes_post(struct page_ctx *c, const char *rest)
{
	return page_class_codes_post(c);
}

static int unlock_get(struct page_ctx *c, const char *rest)
{
	return page_unlock_get(c);
}

static int unlock_post(struct page_ctx *c, const char *rest)
{
	return page_unlock_post(c);
}

static int enrolled_get(struct page_ctx *c, const char *rest)
{
	return page_enrolled_again(c);
}

static int download_get(struct page_ctx *c, const char *rest)
{
	return page_download(c, rest); /* HEAD: uses nothing */
}

static int oauth_authorize_get(struct page_ctx *c, const char *rest)
{
	return page_oauth_authorize(c);
}

static int oauth_consent_get(struct page_ctx *c, const char *rest)
{
	return page_oauth_consent(c);
}

static int oauth_consent_post(struct page_ctx *c, const char *rest)
{
	return page_oauth_consent_post(c);
}

static int oauth_token_post(struct page_ctx *c, const char *rest)
{
	return portal_oauth_token(c);
}

static int eap_config_post(struct page_ctx *c, const char *rest)
{
	return portal_oauth_eap_config(c);
}

static int discovery_get(struct page_ctx *c, const char *rest)
{
	return portal_oauth_discovery(c);
}

static int cas_login_get(struct page_ctx *c, const char *rest)
{
	return page_cas_login(c, rest);
}

static int cas_callback_get(struct page_ctx *c, const char *rest)
{
	return page_cas_callback(c);
}

static int cas_callback_post(struct page_ctx *c, const char *rest)
{
	return page_cas_logout_post(c);
}

static int cas_continue_get(struct page_ctx *c, const char *rest)
{
	return page_cas_continue(c);
}

/* a SAML identity source (saml.c) */
static int saml_login_get(struct page_ctx *c, const char *rest)
{
	return page_saml_login(c, rest);
}

static int saml_acs_post(struct page_ctx *c, const char *rest)
{
	return page_saml_acs(c);
}

static int saml_done_get(struct page_ctx *c, const char *rest)
{
	return page_saml_done(c);
}

static int saml_metadata_get(struct page_ctx *c, const char *rest)
{
	return page_saml_metadata(c, rest);
}

/* clang-format off */
static const struct route routes[] = {
	/* without a session */
	{ "/api/captive", 0, 0, 0, captive_get, NULL,
	  "RFC 8908 application/captive+json, announced with DHCP option 114" },
	{ "/crl.pem", 0, 0, 0, crl_pem_get, NULL, "the CRL the certificates name, PEM" },
	{ "/crl.der", 0, 0, 0, crl_der_get, NULL, "the same, DER" },
	{ "/ca.pem", 0, 0, 0, ca_pem_get, NULL, "the school CA" },
	{ "/ca.crt", 0, 0, 0, ca_crt_get, NULL, "the school CA, as a CA certificate to import" },
	{ "/static/portal.css", 0, 0, 0, css_get, NULL, "the style sheet" },
	{ "/confidentialite", 0, 0, 0, privacy_get, NULL,
	  "the privacy notice: what is kept, why, how long, who sees it, the rights" },
	{ "/static/copy.js", 0, 0, 0, copy_js_get, NULL,
	  "the passphrase's copy button (the pages work without it)" },
	/* geteduroam's API (oauth.c, oauth_token.c): an app, not a browser */
	{ "/.well-known/openid-configuration", 0, 0, 0, discovery_get, NULL,
	  "geteduroam discovery: issuer, the authorization, token and eap-config endpoints" },
	{ "/.well-known/letswifi.json", 0, 0, 0, discovery_get, NULL,
	  "the same endpoints as letswifi-portal announces them" },
	{ "/oauth/token/", 0, 0, 0, NULL, oauth_token_post,
	  "OAuth 2.0 token endpoint: PKCE code exchange, refresh token rotation" },
	{ "/oauth/token", 0, 0, 0, NULL, oauth_token_post, "the same" },
	{ "/api/eap-config/", 0, 0, 0, NULL, eap_config_post,
	  "the eap-config of the app's device, for its Bearer access token" },
	{ "/api/eap-config", 0, 0, 0, NULL, eap_config_post, "the same" },
	/* with a session; a code session only where the fourth column is 1 */
	{ "/", 0, 1, 1, root_get, NULL, "the login form, or logged in, a redirect to /devices" },
	{ "/login", 0, 1, 1, login_get, login_post, "login (a new session id after it)" },
	{ "/logout", 0, 1, 1, NULL, logout_post, "logout" },
	{ "/devices", 0, 1, 0, devices_get, NULL, "\"Mes appareils\"" },
	{ "/device", 0, 1, 0, NULL, device_post, "renew, rename, lost or retire one device" },
	{ "/enrol", 0, 1, 1, enrol_get, enrol_post, "the enrolment form" },
	{ "/code/", 1, 1, 1, code_link_get, NULL, "a one-time enrolment code's link" },
	{ "/class-codes", 0, 1, 0, NULL, class_codes_post, "a teacher's sheet of codes for a class" },
	{ "/code", 0, 1, 1, NULL, code_post, "continuing with a one-time enrolment code" },
	/* (open to a code session so that its answer is the 404 anyone but a
	 * teacher gets: the page does not exist for them) */
	{ "/unlock", 0, 1, 1, unlock_get, unlock_post,
	  "\"Ouvrir le Wi-Fi pour ma classe\": a teacher opens one of their groups for a while, "
	  "sees and closes their openings (404 to anyone else)" },
	{ "/oauth/authorize/", 0, 1, 0, oauth_authorize_get, NULL,
	  "a geteduroam app's authorization request: kept, then the login, then the consent" },
	{ "/oauth/authorize", 0, 1, 0, oauth_authorize_get, NULL, "the same" },
	{ "/oauth/consent", 0, 1, 0, oauth_consent_get, oauth_consent_post,
	  "the pupil accepts (the charter) or refuses the app's request" },
	{ "/enrolled", 0, 1, 1, enrolled_get, NULL,
	  "the enrolled page again while its links live (the language switch)" },
	{ "/download/", 1, 1, 1, download_get, NULL,
	  "a device's PKCS#12 or profile, once (HEAD uses nothing)" },
	/* a CAS identity source (cas.c): the callback is the path of its
	 * service-url, /cas/callback/NAME or /cas/callback */
	{ "/cas/login/", 1, 1, 1, cas_login_get, NULL,
	  "a CAS source's button: 302 to the ENT's login, a state cookie set" },
	{ "/cas/callback/", 1, 1, 1, cas_callback_get, cas_callback_post,
	  "the ENT sends the pupil back with a ticket (GET); its single logout (POST)" },
	{ "/cas/callback", 0, 1, 1, cas_callback_get, cas_callback_post, "the same" },
	{ "/cas/continue", 0, 1, 1, cas_continue_get, NULL,
	  "after a CAS sign-in: on to the enrolment (a same-site request)" },
	/* a SAML identity source (saml.c): the ACS is the path of its acs-url,
	 * /saml/acs/NAME or /saml/acs; its POST is the IdP's, no form of ours */
	{ "/saml/login/", 1, 1, 1, saml_login_get, NULL,
	  "a SAML source's button: 302 to the IdP with a signed request, a state cookie set" },
	{ "/saml/acs/", 1, 1, 1, NULL, saml_acs_post,
	  "the IdP's Response (HTTP-POST): checked, then on to /saml/done" },
	{ "/saml/acs", 0, 1, 1, NULL, saml_acs_post, "the same" },
	{ "/saml/done", 0, 1, 1, saml_done_get, NULL,
	  "after a SAML Response: the state cookie checked, a new session, the enrolment" },
	{ "/saml/metadata/", 1, 0, 0, saml_metadata_get, NULL, "a SAML source's SP metadata" },
};
/* clang-format on */

/* The route for path, with *rest set to what follows its prefix; NULL
 * when no route has it. */
static const struct route *route_find(const char *path, const char **rest)
{
	const struct route *r;
	size_t n;

	for (r = routes; r < routes + sizeof(routes) / sizeof(routes[0]); r++) {
		n = strlen(r->path);
		if (r->prefix ? !strncmp(path, r->path, n) : !strcmp(path, r->path)) {
			*rest = path + n;
			return r;
		}
	}
	return NULL;
}

/* The pages behind a session (and paths no route has): a registry context
 * is borrowed for them, the session loaded, the form decoded and checked,
 * in that order whatever the path. */
static int dynamic(struct portal *p, const struct portal_request *rq, struct portal_response *rs,
		   const struct route *r, const char *rest)
{
	int get = !strcmp(rq->method, "GET") || !strcmp(rq->method, "HEAD");
	int post = !strcmp(rq->method, "POST");
	struct web_form form = { 0 };
	struct portal_session s;
	struct page_ctx c;
	struct byod_err err;
	const char *path = rq->path;
	route_fn fn;
	char actor[96];
	int rc;

	if (!get && !post)
		return portal_page_error(p, rq, rs, 405);
	if (post) {
		if (!rq->content_type ||
		    strncasecmp(rq->content_type, "application/x-www-form-urlencoded", 33))
			return portal_page_error(p, rq, rs, 415);
		/* a CAS server's logoutRequest is no form of ours (its field's
		 * name has capitals): cas.c reads the body itself; a SAMLResponse
		 * neither (tens of KB): saml.c reads it */
		if ((!r || (r->post != cas_callback_post && r->post != saml_acs_post)) &&
		    web_form_parse(rq->body ? rq->body : "", rq->body_len, 16, &form, &err)) {
			char buf[600];

			portal_log("%s POST %s: malformed form (%s)", rq->client, path,
				   byod_err_str(&err, buf, sizeof(buf)));
			return portal_page_error(p, rq, rs, 400);
		}
	}
	memset(&c, 0, sizeof(c));
	c.p = p;
	c.rq = rq;
	c.rs = rs;
	c.s = &s;
	c.form = post ? &form : NULL;
	c.ctx = portal_db_get(p->db, "portal");
	rc = portal_session_load(p, c.ctx, rq, &s);
	if (!rc && s.logged_in) {
		snprintf(actor, sizeof(actor), "portal:%s", s.person.login);
		reg_set_actor(c.ctx->reg, actor);
	}
	if (!rc && r && !r->code && portal_session_is_code(&s)) {
		/* a photographed card opens one enrolment, not the account */
		portal_log("%s %s %s: refused to a one-time code's session (%s)", rq->client,
			   rq->method, path, s.person.login);
		reg_audit_add(c.ctx->reg, "portal.denied", path, NULL, "{\"why\":\"code session\"}",
			      NULL);
		rc = portal_page_error(p, rq, rs, 403);
	} else if (!rc) {
		fn = !r ? NULL : post ? r->post : r->get;
		rc = fn ? fn(&c, rest) : portal_page_error(p, rq, rs, r ? 405 : 404);
	}
	/* a session read from the registry, a page made: the registry is back */
	if (!rc && s.exists && rs->status != 503)
		portal_registry_answers(p, c.ctx);
	/* its server went away: the next request gets a new connection */
	if (rc == -ENOTCONN || c.registry_rc == -ENOTCONN)
		c.ctx = portal_db_renew(p->db, c.ctx);
	portal_db_put(p->db, c.ctx);
	web_form_free(&form);
	return rc;
}

/* The paths of geteduroam's API as letswifi-portal names them (a final
 * slash, which web_path_check refuses as an empty segment). */
static int oauth_literal(const char *path)
{
	return !strcmp(path, "/oauth/authorize/") || !strcmp(path, "/oauth/token/") ||
	       !strcmp(path, "/api/eap-config/");
}

int portal_route(struct portal *p, const struct portal_request *rq, struct portal_response *rs)
{
	int get = !strcmp(rq->method, "GET") || !strcmp(rq->method, "HEAD");
	const struct route *r;
	const char *rest = NULL;
	struct page_ctx c;

	/* a probe, or any host but the portal: send the device to the portal */
	if (is_probe(rq->path) || !is_portal_host(p, rq->host))
		return redirect_to_portal(p, rq, rs);
	if (!rq->https && portal_https_trusted(p) && !plain_http_served(rq->path))
		return redirect_to_https(p, rq, rs);
	/* traversal, encoded tricks, odd bytes: refused before anything else
	 * (but letswifi's paths, which end with a slash, taken as literals) */
	if (web_path_check(rq->path) && !oauth_literal(rq->path)) {
		portal_log("%s %s: path refused", rq->client, rq->method);
		return portal_page_error(p, rq, rs, 400);
	}
	r = route_find(rq->path, &rest);
	if (!r || r->session)
		return dynamic(p, rq, rs, r, rest);
	/* without a session: files and the APIs (POST: geteduroam's) */
	if (get ? !r->get : strcmp(rq->method, "POST") || !r->post)
		return portal_page_error(p, rq, rs, 405);
	memset(&c, 0, sizeof(c));
	c.p = p;
	c.rq = rq;
	c.rs = rs;
	return get ? r->get(&c, rest) : r->post(&c, rest);
}
