/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The portal's message catalogues: gettext .mo files (msgfmt output, either
 * byte order) read into memory once at start-up, then looked up per request
 * in the language negotiated for that request. No setlocale(), no gettext
 * runtime and no global state, because the server answers each request in
 * its own language from several threads at once. After loading, a set is
 * only read, so any number of threads may use it without locking.
 *
 * Languages are two lowercase letters ("fr", "en"); the msgids are English
 * key-like identifiers ("login.button") and every catalogue is UTF-8.
 */
#ifndef WEB_I18N_H
#define WEB_I18N_H

#include <stddef.h>

#include "byod_err.h"

struct web_i18n;

/* An empty set of catalogues; NULL when out of memory. Freed with
 * web_i18n_free. */
struct web_i18n *web_i18n_new(void);

/* Frees the set and every catalogue in it; NULL is a no-op. */
void web_i18n_free(struct web_i18n *i18n);

/*
 * Reads every DIR/<lang>.mo where lang is [a-z]{2}; other names are
 * ignored. At least one catalogue is required. Returns 0 and *out (freed
 * with web_i18n_free), or a negative errno with err filled: -ENOENT when
 * there is no catalogue, the parser's error for a bad file (naming it).
 */
int web_i18n_load(const char *dir, struct web_i18n **out, struct byod_err *err);

/*
 * Adds the catalogue for lang from the .mo bytes mo[0..len) (copied; the
 * caller keeps mo). Every offset and length is checked against len, every
 * string must end with NUL inside the file, msgids must be unique and a
 * declared charset must be UTF-8, and a Plural-Forms line must parse.
 * Returns 0, -EINVAL (bad lang or file),
 * -EEXIST (lang already loaded) or -ENOMEM, with err filled.
 */
int web_i18n_parse(struct web_i18n *i18n, const char *lang, const void *mo, size_t len,
		      struct byod_err *err);

/*
 * The best loaded language for an Accept-Language header value: highest
 * q-value first (ties go to the earlier range), "fr-FR" counts as "fr", "*"
 * and q=0 are ignored, malformed ranges are skipped. Returns a pointer owned
 * by i18n, or fallback when nothing loaded is acceptable (or the header is
 * NULL).
 */
const char *web_i18n_negotiate(const struct web_i18n *i18n, const char *accept_language,
				  const char *fallback);

/*
 * The translation of msgid in lang, owned by i18n; msgid itself when the
 * language or the message is missing or the translation is empty, "" for a
 * NULL msgid. Never NULL. For a plural entry, the first form.
 */
const char *web_i18n_get(const struct web_i18n *i18n, const char *lang, const char *msgid);

/*
 * The plural form of msgid for the number n in lang (ngettext): the
 * catalogue's Plural-Forms rule picks the form (French: 0 and 1 take the
 * first, English: only 1 does). When the language or the message is
 * missing, msgid for n == 1 and msgid_plural otherwise (msgid when
 * msgid_plural is NULL). Owned by i18n or the caller's strings; "" for a
 * NULL msgid; never NULL. A message without plural forms gives its one
 * translation whatever n.
 */
const char *web_i18n_nget(const struct web_i18n *i18n, const char *lang, const char *msgid,
			  const char *msgid_plural, unsigned long n);

/* 1 when a catalogue for exactly lang is loaded, else 0. */
int web_i18n_has(const struct web_i18n *i18n, const char *lang);

#endif /* WEB_I18N_H */
