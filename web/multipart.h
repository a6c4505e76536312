/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * multipart/form-data bodies (RFC 7578), what a browser sends for a form
 * with a file input: decoded strictly into the same struct web_form as
 * web_form_parse gives, so that a page reads an upload's fields (its form
 * token among them) as any other form's. Pure (no libmicrohttpd), fuzzed
 * by tests/fuzz/fuzz_multipart.c.
 */
#ifndef WEB_MULTIPART_H
#define WEB_MULTIPART_H

#include <stddef.h>

#include "byod_err.h"
#include "form.h"

/*
 * Parses body[0..len) whose Content-Type is content_type (its boundary
 * parameter, 1 to 70 characters, quoted or not). The body starts with the
 * first delimiter (no preamble) and ends with the closing one; each part
 * has a Content-Disposition: form-data header with a name (as
 * web_form_parse's: [a-z0-9_-]{1,32}, given once) and may have a filename
 * and a Content-Type (both ignored). A field's value is checked as
 * web_form_parse checks one (UTF-8, no control character but TAB, CR and
 * LF; CR LF and a lone CR become LF); a file's (a part with a filename) is
 * kept as sent, except that a NUL byte becomes 0xFF (never in UTF-8: the
 * reader's own check of the text finds it at its place). Values are at
 * most max_value bytes, at most max_fields parts. Returns 0 with out
 * filled (web_form_free), -EINVAL with err saying why and where ("byte
 * 17: ..."), or -ENOMEM; on error out is empty.
 */
int web_multipart_parse(const char *content_type, const char *body, size_t len, size_t max_fields,
			size_t max_value, struct web_form *out, struct byod_err *err);

#endif /* WEB_MULTIPART_H */
