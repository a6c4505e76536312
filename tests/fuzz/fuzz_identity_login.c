// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for what a person types as their login at an identity
 * source (identity/escape.c): ident_login_ok, and the login escaped into an
 * LDAP filter (RFC 4515) and a DN (RFC 4514). Checked independently of the
 * code: an accepted login holds only letters, digits, '.', '-', '_', '@';
 * an escaped filter value has no '*', '(', ')' nor a '\\' that does not
 * begin two hex digits, and unescapes to the input; an escaped DN value
 * has no unescaped ',', '+', '"', ';', '<', '>', '='.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "identity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int hexval(char c)
{
	return isdigit((unsigned char)c) ? c - '0' : tolower((unsigned char)c) - 'a' + 10;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char in[256], out[1024], back[256];
	size_t i, n = 0;

	if (size >= sizeof(in))
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	if (ident_login_ok(in))
		for (i = 0; in[i]; i++)
			if (!isalnum((unsigned char)in[i]) && !strchr(".-_@", in[i]))
				abort();
	if (!ident_filter_escape(in, out, sizeof(out))) {
		for (i = 0; out[i]; i++) {
			if (strchr("*()", out[i]))
				abort();
			if (out[i] == '\\') {
				if (!isxdigit((unsigned char)out[i + 1]) ||
				    !isxdigit((unsigned char)out[i + 2]))
					abort();
				back[n++] = (char)(hexval(out[i + 1]) * 16 + hexval(out[i + 2]));
				i += 2;
			} else {
				back[n++] = out[i];
			}
		}
		back[n] = '\0';
		if (strcmp(back, in))
			abort();
	}
	if (!ident_dn_escape(in, out, sizeof(out)))
		for (i = 0; out[i]; i++) {
			if (out[i] == '\\') {
				if (!out[i + 1])
					abort();
				i += isxdigit((unsigned char)out[i + 1]) &&
						     isxdigit((unsigned char)out[i + 2]) &&
						     !strchr(",+\"\\<>;= #", out[i + 1])
					     ? 2
					     : 1;
				continue;
			}
			if (strchr(",+\"<>;=", out[i]))
				abort();
		}
	return 0;
}
