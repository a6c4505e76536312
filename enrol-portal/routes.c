// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What the portal answers, by path. Captive-portal detection: the probes of
 * Apple, Android, Windows and Firefox, and any request for another host
 * that reaches the portal through the walled garden, get a redirect to the
 * portal, never their "success" answer. The RFC 8908 Captive Portal API
 * (announced with DHCP option 114, RFC 8910), the CRL the certificates
 * name, the style sheet, and the pages.
 */
#include "portal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "byod_util.h"

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
	"h1{font-size:1.4rem;margin:.5rem 0 1rem}"
	"header{display:flex;justify-content:space-between;align-items:center;"
	"background:#0b3d6b;color:#fff;padding:.6rem 1rem}"
	"header a{color:#fff}"
	"a{color:#0b3d6b}"
	"label{display:block;font-weight:600;margin:.8rem 0 .2rem}"
	"input{width:100%;box-sizing:border-box;font-size:1.1rem;padding:.6rem;"
	"border:2px solid #555;border-radius:.4rem}"
	"input:focus,button:focus,a:focus{outline:3px solid #e0a100;outline-offset:2px}"
	"button{width:100%;font-size:1.1rem;padding:.7rem;margin-top:1rem;border:0;"
	"border-radius:.4rem;background:#0b3d6b;color:#fff}"
	".box{background:#fff;border-radius:.6rem;padding:1rem;box-shadow:0 1px 3px #0003}"
	"@media (prefers-color-scheme:dark){body{background:#111;color:#eee}"
	".box{background:#222}a{color:#9cd}}";

static int is_probe(const char *path)
{
	const char *const *p;

	for (p = probes; *p; p++)
		if (!strcmp(*p, path))
			return 1;
	return 0;
}

/* Requests for the portal itself: its name, its public URL's host, its
 * listen address; anything else is a device looking for the Internet. */
static int is_portal_host(struct portal *p, const char *host)
{
	const char *u = p->public_url, *start;
	size_t n;

	if (!host[0] || !strcmp(host, p->conf.portal_hostname) ||
	    !strcmp(host, p->conf.portal_listen))
		return 1;
	start = strstr(u, "://");
	if (!start)
		return 0;
	start += 3;
	n = strcspn(start, ":/");
	return strlen(host) == n && !strncmp(host, start, n);
}

static int redirect_to_portal(struct portal *p, struct portal_response *rs)
{
	rs->status = 302;
	rs->content_type = "text/plain; charset=utf-8";
	snprintf(rs->location, sizeof(rs->location), "%s/", p->public_url);
	rs->body = strdup("This network needs you to log in first.\n");
	if (!rs->body)
		return -ENOMEM;
	rs->len = strlen(rs->body);
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

	snprintf(url, sizeof(url), "%s/", p->public_url);
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

int portal_route(struct portal *p, const struct portal_request *rq, struct portal_response *rs)
{
	int get = !strcmp(rq->method, "GET") || !strcmp(rq->method, "HEAD");

	/* a probe, or any host but the portal: send the device to the portal */
	if (is_probe(rq->path) || !is_portal_host(p, rq->host))
		return redirect_to_portal(p, rs);
	if (!strcmp(rq->path, "/api/captive"))
		return get ? captive_api(p, rs) : portal_page_error(p, rq, rs, 405);
	if (!strcmp(rq->path, "/crl.pem"))
		return get ? serve_file(p, "crl.pem", "application/x-pem-file", rs)
			   : portal_page_error(p, rq, rs, 405);
	if (!strcmp(rq->path, "/crl.der"))
		return get ? serve_file(p, "crl.der", "application/pkix-crl", rs)
			   : portal_page_error(p, rq, rs, 405);
	if (!strcmp(rq->path, "/static/portal.css")) {
		if (!get)
			return portal_page_error(p, rq, rs, 405);
		rs->body = strdup(css);
		if (!rs->body)
			return -ENOMEM;
		rs->len = strlen(css);
		rs->status = 200;
		rs->content_type = "text/css; charset=utf-8";
		rs->cacheable = 1;
		return 0;
	}
	if (!strcmp(rq->path, "/"))
		return get ? portal_page_start(p, rq, rs) : portal_page_error(p, rq, rs, 405);
	return portal_page_error(p, rq, rs, 404);
}
