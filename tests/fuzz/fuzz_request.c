// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for what the portal reads from a request's headers and
 * path, each taken from the input as text: the Cookie header
 * (web_cookie_get, into buffers of the sizes the portal uses and smaller),
 * the decoded path (web_path_check), the Accept-Language header
 * (web_i18n_negotiate) and the token a cookie or a link carries
 * (web_token_valid). What a reader accepts must hold its promises, checked
 * here independently of its code, or the target aborts: an accepted path
 * has no empty, "." or ".." segment and only safe bytes (an @ included: a login may hold one); a cookie value
 * fits, holds only cookie-octets and was in the header; a refused cookie
 * hands nothing out; the language chosen is one loaded or the fallback.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "i18n.h"
#include "token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct web_i18n *i18n;

/* An empty catalogue each for French and English (a .mo header, no
 * message), so that negotiation has two languages to choose from. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const uint32_t mo[7] = {0x950412de, 0, 0, 28, 28, 0, 28};

	i18n = web_i18n_new();
	if (!i18n || web_i18n_parse(i18n, "fr", mo, sizeof(mo), NULL) ||
	    web_i18n_parse(i18n, "en", mo, sizeof(mo), NULL))
		abort();
	return 0;
}

static void check_path(const char *p)
{
	size_t n = strlen(p), i, seg = 1;

	if (p[0] != '/' || n > 512)
		abort();
	if (strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._~/@-") != n)
		abort();
	for (i = 1; i <= n; i++) {
		if (i < n && p[i] != '/')
			continue;
		if (i == seg && n != 1)
			abort(); /* empty segment */
		if ((i - seg == 1 && p[seg] == '.') ||
		    (i - seg == 2 && p[seg] == '.' && p[seg + 1] == '.'))
			abort();
		seg = i + 1;
	}
}

/* One cookie read into len bytes: what comes out is either nothing (on
 * refusal) or cookie-octets that fit and were in the header after
 * "name=". */
static void check_cookie(const char *header, const char *name, size_t len)
{
	char out[64];
	const unsigned char *s;
	int rc;

	memset(out, 'x', sizeof(out));
	rc = web_cookie_get(header, name, out, len);
	if (rc) {
		if (rc != -ENOENT && rc != -E2BIG && rc != -EINVAL)
			abort();
		if (len && out[0])
			abort(); /* a refused cookie hands nothing out */
		if (out[len] != 'x')
			abort(); /* nothing written past len */
		return;
	}
	if (strlen(out) >= len || out[len] != 'x')
		abort();
	for (s = (const unsigned char *)out; *s; s++)
		if (*s <= 0x20 || *s >= 0x7f || *s == '"' || *s == ',' || *s == ';' || *s == '\\')
			abort();
	if (!strstr(header, name) || !strstr(header, out))
		abort();
}

static void check_token(const char *s)
{
	size_t n = strlen(s);

	if (web_token_valid(s) !=
	    (n == 43 &&
	     strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == 43))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char fallback[] = "fr";
	const char *lang;
	char *text;

	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	check_cookie(text, "byod_session", 44); /* the portal's sizes */
	check_cookie(text, "byod_lang", 8);
	check_cookie(text, "s", 2);
	check_cookie(text, "s", 1);
	check_cookie(text, "byod_session", 63);
	if (web_path_check(text) == 0)
		check_path(text);
	lang = web_i18n_negotiate(i18n, text, fallback);
	if (lang != fallback && strcmp(lang, "fr") && strcmp(lang, "en"))
		abort();
	check_token(text);
	free(text);
	return 0;
}
