// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for what the web servers' log keeps of a request's path
 * (httpd_log_path, httpd_log_message, httpd/logpath.c): the input is a path
 * or a libmicrohttpd message as a client could shape it. Checked here
 * independently of the code: the output is terminated within its buffer;
 * a path's output holds no '#', and a '?' only in the "?..." that ends it;
 * under a secret prefix nothing of the rest survives; a message's output
 * holds no word starting with '/' that carries a '?' or '#' but as "?...".
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "httpd_priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const secret[] = {"/download/", "/code/", NULL};

static void check_path(const char *in, size_t n, const char *out, size_t len)
{
	const char *q = strchr(out, '?');

	if (strlen(out) >= len || strchr(out, '#'))
		abort();
	if (q && strcmp(q, "?...") && strcmp(q, "..."))
		abort();
	if (n >= 6 && !strncmp(in, "/code/", 6) && strcmp(out, "/code/..."))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size + 1), out[64], msg[256];
	const char *w;
	size_t n;

	if (!in)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	n = strlen(in); /* a path has no NUL */
	httpd_log_path(secret, in, n, out, sizeof(out));
	if (strlen(out) < sizeof(out) - 1) /* not cut by the buffer */
		check_path(in, n, out, sizeof(out));
	httpd_log_message(secret, in, msg, sizeof(msg));
	if (strlen(msg) >= sizeof(msg))
		abort();
	for (w = msg; strlen(msg) < sizeof(msg) - 1 && (w = strstr(w, " /code/")); w++)
		if (strncmp(w, " /code/...", 10))
			abort();
	free(in);
	return 0;
}
