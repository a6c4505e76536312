// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the charter checker (web_charter_check), the one
 * piece of outside markup the portal puts in a page. Whatever it accepts
 * must hold its promises, checked here independently of the checker's own
 * code, or the target aborts: no NUL, only allowed elements, every element
 * but br closed in the order it was opened and no deeper than 32, the only
 * attribute href="http(s)://..." on a, and the fragment goes into a page
 * unchanged. Whatever it refuses carries a sentence and a position inside
 * the input.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "charter.h"
#include "html.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DEPTH_MAX 32

static void check_charter(const char *h, size_t len)
{
	static const char *const ok[] = {"p", "br", "ul", "ol", "li",	      "strong", "em", "b",
					 "i", "h2", "h3", "h4", "blockquote", "a",	NULL};
	const char *const *e;
	const char *open[DEPTH_MAX + 1];
	size_t i = 0, n, depth = 0;
	int closing, self;

	while (i < len) {
		if (h[i] == '\0')
			abort();
		if (h[i++] != '<')
			continue;
		closing = i < len && h[i] == '/';
		i += closing;
		for (n = 0; i + n < len && h[i + n] >= 'a' && h[i + n] <= 'z'; n++)
			;
		for (n += (i + n < len && h[i + n] >= '2' && h[i + n] <= '4'), e = ok; *e; e++)
			if (strlen(*e) == n && !memcmp(*e, h + i, n))
				break;
		if (!*e)
			abort();
		i += n;
		self = 0;
		while (i < len && h[i] != '>') {
			if (h[i] == '<')
				abort();
			if (h[i] == '"') { /* a value: up to its closing quote */
				while (++i < len && h[i] != '"')
					if (h[i] == '<' || h[i] == '>' ||
					    (unsigned char)h[i] <= ' ')
						abort();
				i++;
				continue;
			}
			if (h[i] == '=' && (i < 4 || strncmp(h + i - 4, "href", 4) ||
					    (strncmp(h + i, "=\"https://", 10) &&
					     strncmp(h + i, "=\"http://", 9))))
				abort();
			self = h[i] == '/';
			i++;
		}
		if (i >= len)
			abort(); /* a tag that never closes */
		if (!strcmp(*e, "br")) {
			if (closing)
				abort();
			continue;
		}
		if (self)
			abort(); /* only br may be written <br/> */
		if (closing) {
			if (!depth || open[depth - 1] != *e)
				abort();
			depth--;
		} else {
			if (depth == DEPTH_MAX)
				abort();
			open[depth++] = *e;
		}
	}
	if (depth)
		abort(); /* an element left open */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct web_html h;
	struct byod_err err;
	size_t i, lines = 1;
	char *page;
	size_t len;
	int rc;

	memset(&err, 0, sizeof(err));
	rc = web_charter_check((const char *)data, size, &err);
	if (rc == 0) {
		check_charter((const char *)data, size);
		web_html_init(&h);
		web_html_fragment(&h, (const char *)data, size);
		page = web_html_take(&h, &len);
		if (!page || len != size || memcmp(page, data, size))
			abort();
		free(page);
		return 0;
	}
	if (rc == -ENOMEM)
		return 0;
	for (i = 0; i < size; i++) /* LF, CRLF or a lone CR */
		lines += data[i] == '\n' ||
			 (data[i] == '\r' && (i + 1 == size || data[i + 1] != '\n'));
	if (rc != -EINVAL || !err.msg[0] || err.file[0] || err.line < 1 ||
	    (size_t)err.line > lines || err.col < 1)
		abort();
	/* with NULL for err too */
	if (web_charter_check((const char *)data, size, NULL) != rc)
		abort();
	return 0;
}
