// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What a log line keeps of a request's path: never a query string or a
 * fragment (a password typed in a link, a search for a pupil's name, a
 * token), never a one-time link's token. The access line, the "refused"
 * lines and libmicrohttpd's own messages all go through here, so that no
 * log of byod-portal or byod-admin holds a URL's secret part.
 */
#include "httpd_priv.h"

#include <stdio.h>
#include <string.h>

void httpd_log_path(const char *const *secret_prefixes, const char *path, size_t n, char *out,
		    size_t len)
{
	const char *const *p;
	size_t cut;

	if (!len)
		return;
	for (p = secret_prefixes; p && *p; p++)
		if (n >= strlen(*p) && !strncmp(path, *p, strlen(*p))) {
			snprintf(out, len, "%s...", *p);
			return;
		}
	for (cut = 0; cut < n && path[cut] != '?' && path[cut] != '#'; cut++)
		;
	snprintf(out, len, "%.*s%s", (int)cut, path, cut < n ? "?..." : "");
}

void httpd_log_message(const char *const *secret_prefixes, const char *line, char *out, size_t len)
{
	char path[600];
	size_t n = strlen(line), i, w, o = 0;

	if (!len)
		return;
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	for (i = 0; i < n && o + 1 < len; i += w) {
		if (line[i] == '/' && (!i || line[i - 1] == ' ' || line[i - 1] == '`')) {
			w = strcspn(line + i, " '\t\r\n");
			if (w > n - i)
				w = n - i;
			httpd_log_path(secret_prefixes, line + i, w, path, sizeof(path));
			o += (size_t)snprintf(out + o, len - o, "%s", path);
		} else {
			w = 1;
			out[o++] = line[i];
		}
	}
	out[o < len ? o : len - 1] = '\0';
}
