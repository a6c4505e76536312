/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the page files share: the frame of every page (head with the
 * language switch and, once logged in, "Mes appareils" and the logout
 * button), the message lookup, and the handlers routes.c calls. A handler
 * gets the request, a registry context and the session, fills the
 * response, and returns 0 or a negative errno for a server fault.
 */
#ifndef PORTAL_PAGES_H
#define PORTAL_PAGES_H

#include "byod.h"
#include "form.h"
#include "html.h"
#include "i18n.h"
#include "portal.h"
#include "websession.h"

/* The translation of key in the request's language. */
#define T(key) web_i18n_get(p->i18n, rq->lang, (key))
/* The plural form of key for the number n (the catalogue's msgid_plural
 * is the key itself). */
#define TN(key, n) web_i18n_nget(p->i18n, rq->lang, (key), (key), (unsigned long)(n))

/* Everything a page handler works with. */
struct page_ctx {
	struct portal *p;
	const struct portal_request *rq;
	struct portal_response *rs;
	struct byod_ctx *ctx;        /* NULL for pages without the registry */
	struct portal_session *s;    /* NULL likewise */
	const struct web_form *form; /* the POST body, or NULL */
	char token[WEB_FORM_TOKEN_LEN + 1]; /* this page's form token, "" until made */
	const char *self;            /* the GET path that shows this page again (the
				      * language switch goes there), or NULL: the
				      * request's path for a GET, "/" after a POST */
	int registry_rc;             /* the registry's error behind a 503 page, or 0 */
};

/* The top of a page with its <title>; a logged-in session gets the menu. */
void page_head(struct page_ctx *c, struct web_html *h, const char *title);
/* Closes the page into c->rs with status, its footer leading to the
 * privacy notice; -ENOMEM when the builder failed. */
int page_finish(struct page_ctx *c, struct web_html *h, int status);
/* The page's hidden form-token field (the token is made on first use). */
void page_token_field(struct page_ctx *c, struct web_html *h);
/* tmpl as text with its first "{}" replaced by value (both escaped). */
void page_text_with(struct web_html *h, const char *tmpl, const char *value);
/* tmpl with its first "{}" replaced by value, into out (plain text). */
void page_fill(char *out, size_t len, const char *tmpl, const char *value);
/* A notice box (role=status) or an error box (role=alert) with text. */
void page_notice(struct web_html *h, const char *text, int error);
/* 0 when the form carries a live form token: of the logged-in session
 * (used up now), or before a login a stateless one bound to this
 * browser's login cookie; otherwise logs why and fills a 403 page (503
 * when the registry cannot record), returning 1. */
int page_form_refused(struct page_ctx *c);
/* 303 See Other to path (on this portal). */
int page_redirect(struct page_ctx *c, const char *path);

/* The privacy notice (privacy.c), status 200; no session, no registry. */
int page_privacy(struct page_ctx *c);

/* The login page (GET /), status 200, or again after a failure with a
 * message key and a status. */
int page_login(struct page_ctx *c, int status, const char *message);
int page_login_post(struct page_ctx *c);
/* A page of its own for a login that cannot go on: title (a key), the text
 * (a key; _text: already in the page's language) as an alert, the way back
 * to the login; retry_after seconds, or 0. */
int page_login_status(struct page_ctx *c, int status, const char *title, const char *text,
		      int retry_after);
int page_login_status_text(struct page_ctx *c, int status, const char *title, const char *text,
			   int retry_after);
/* The sentence for an attempt the login throttle g refused, in the page's
 * language, into msg. */
void page_login_wait(struct page_ctx *c, const struct byod_login_gate *g, char *msg, size_t len);
int page_logout_post(struct page_ctx *c);

/* "Mes appareils" (devices.c) with status and a notice (error: as an
 * alert), the rename form of device rename_id (may be NULL) open. */
int page_devices(struct page_ctx *c, int status, const char *notice, int error,
		 const char *rename_id);
int page_device_post(struct page_ctx *c);

/* The pupil's devices that are not retired (malloc'd array). */
int page_devices_of(struct page_ctx *c, struct reg_device **out, size_t *n);
/* The pupil's device with this id; -EINVAL for a malformed id, -ENOENT
 * (logged and audited) when it is not theirs or does not exist. */
int page_own_device(struct page_ctx *c, const char *id, struct reg_device *d);
/* Declares the device lost (revoked) or retires it, CRL reissued. */
int page_device_end(struct page_ctx *c, const struct reg_device *d, int lost);
/* A date in the page's language; "Téléphone · Actif". */
void page_date(struct page_ctx *c, struct web_html *h, time_t t);
/* When d was enrolled: its date, and its time of day too when another of
 * the n devices in all has the same name and date (so two devices of one
 * name are told apart). */
void page_enrolled_when(struct page_ctx *c, struct web_html *h, const struct reg_device *d,
			const struct reg_device *all, size_t n);
void page_device_summary(struct page_ctx *c, struct web_html *h, const struct reg_device *d);

/* Enrolment and downloads (page_enrol.c). The enrolled page, with the
 * passphrase and the one-time links, is kept for the session, sealed
 * under its cookie, as long as the links live: page_enrolled_again shows
 * it again (in another language); a used or expired link's page leads
 * back to it. A HEAD on a download link uses nothing. */
int page_enrol(struct page_ctx *c, int status, const char *message);
int page_enrol_post(struct page_ctx *c);
int page_enrolled_again(struct page_ctx *c);
int page_download(struct page_ctx *c, const char *token);
/* The enrolled page after a certificate is issued (an enrolment or a
 * renewal): its downloads and passphrase, kept for the session; clears *e. */
int page_issued(struct page_ctx *c, struct byod_enrolment *e);
/* The profiles' names in the page's language; about (len bytes) holds
 * their description. */
struct profile_words;
void page_profile_words(struct page_ctx *c, struct profile_words *words, char *about,
			size_t len);

/* Renewal on "Mes appareils" (page_renew.c): for an active device, the
 * "Renouveler" form inside its renewal window, or the day it opens; the
 * POST (action renew of /device, the device already the pupil's) answers
 * with the same download page as an enrolment. */
void page_renew_form(struct page_ctx *c, struct web_html *h, const struct reg_device *d);
int page_renew_post(struct page_ctx *c, const struct reg_device *d);

/* One-time enrolment codes (code.c): the confirmation page of a link,
 * and the POST that uses the code and logs the pupil in. */
int page_code(struct page_ctx *c, const char *code);
int page_code_post(struct page_ctx *c);
/* A teacher's form for the codes of a class they teach (on Mes appareils),
 * and its POST, which answers with the sheet to print. */
void page_class_codes_form(struct page_ctx *c, struct web_html *h);
int page_class_codes_post(struct page_ctx *c);

/* "Ouvrir le Wi-Fi pour ma classe" (unlock.c): a teacher's page (404 to
 * anyone else, a one-time code's session included), its form's POST
 * (open a group for a while, or close one of their openings), and the
 * link to it on Mes appareils (only for a teacher). */
int page_unlock_get(struct page_ctx *c);
int page_unlock_post(struct page_ctx *c);
void page_unlock_link(struct page_ctx *c, struct web_html *h);

/* A device name as typed: trimmed, 1 to 64 bytes of UTF-8 (the form parser
 * has checked the encoding). Returns 0 with out filled, or -EINVAL. */
int page_device_name(const char *in, char *out, size_t len);

#endif /* PORTAL_PAGES_H */
