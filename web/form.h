/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What a browser sends, decoded strictly: application/x-www-form-urlencoded
 * bodies, the Cookie header, and the request path. Pure functions (no
 * libmicrohttpd), fuzzed by tests/fuzz/fuzz_form.c. Anything malformed is
 * refused whole, never repaired: the caller answers 400.
 */
#ifndef WEB_FORM_H
#define WEB_FORM_H

#include <stddef.h>

#include "byod_err.h"

#define WEB_FORM_VALUE_MAX 4096 /* bytes of one decoded value */

struct web_form_field {
	char *name;
	char *value;
};

struct web_form {
	struct web_form_field *f;
	size_t n, cap;
};

/*
 * Parses body[0..len) (not NUL-terminated; a NUL byte in it is an error).
 * Fields are separated by '&' (empty ones skipped); name=value, or name
 * alone for an empty value; '+' is a space and %XX a byte (a bad or
 * truncated escape is an error). Decoded names must match [a-z0-9_-]{1,32};
 * decoded values must be well-formed UTF-8 (RFC 3629: no overlong form, no
 * surrogate, nothing above U+10FFFF) without control characters (C0, DEL,
 * C1) but TAB, CR and LF (CR LF and a lone CR become LF), at most
 * WEB_FORM_VALUE_MAX bytes; at most max_fields fields; a name given
 * twice is an error. Returns 0 with out filled (free with web_form_free),
 * or -EINVAL with err->msg saying why and at which byte offset of the body
 * ("byte 17: ..."), or -ENOMEM; on error out is left empty ({NULL, 0}).
 */
int web_form_parse(const char *body, size_t len, size_t max_fields, struct web_form *out,
		      struct byod_err *err);
/* The same with values of up to value_max bytes (a text area: the
 * console's policy editor). */
int web_form_parse_max(const char *body, size_t len, size_t max_fields, size_t value_max,
		       struct web_form *out, struct byod_err *err);

/* The value of field name, or NULL when absent (form may be NULL). */
const char *web_form_get(const struct web_form *form, const char *name);

/* Frees the fields (wiping the values: a form may carry a password). */
void web_form_free(struct web_form *form);

/*
 * The value of cookie name in a Cookie header ("a=1; b=2": pairs separated
 * by ';' and optional spaces, RFC 6265; a double-quoted value loses its
 * quotes), copied into out (len bytes, NUL included). Returns 0, -ENOENT
 * (absent, or header or name NULL), -E2BIG (does not fit in len), or
 * -EINVAL (its value holds a byte that is not a cookie-octet of RFC 6265:
 * control, space, quote, ',', '\\' or non-ASCII; or the cookie is given
 * twice, which is refused as suspicious). On any error out is "" (when len
 * is not 0).
 */
int web_cookie_get(const char *header, const char *name, char *out, size_t len);

/*
 * 0 when path (already percent-decoded by the server) is a clean absolute
 * path: it starts with '/', holds only [A-Za-z0-9._~/@-], has no empty
 * segment (no "//", no trailing '/' but for "/" itself) and no "." or ".."
 * segment, and is at most 512 bytes; -EINVAL otherwise (NULL included).
 */
int web_path_check(const char *path);

#endif /* WEB_FORM_H */
