// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What a login may be before a source is asked about it, and its escaping
 * into an LDAP filter (RFC 4515) and a DN (RFC 4514). A login is refused
 * outright when it holds anything a login does not (so "*)(uid=*" never
 * reaches a directory), and escaped anyway wherever it is written into a
 * filter or a DN: two locks, either of which is enough.
 */
#include "identity.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int ident_login_ok(const char *login)
{
	size_t n;

	if (!login)
		return 0;
	n = strlen(login);
	if (n == 0 || n >= REG_LOGIN_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)login[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '-' || c == '_' || c == '@'))
			return 0;
	}
	return 1;
}

static int put(char *out, size_t len, size_t *n, const char *s, size_t sl)
{
	if (*n + sl >= len)
		return -ENAMETOOLONG;
	memcpy(out + *n, s, sl);
	*n += sl;
	out[*n] = '\0';
	return 0;
}

static int put_hex(char *out, size_t len, size_t *n, unsigned char c)
{
	char h[4];

	snprintf(h, sizeof(h), "\\%02x", c);
	return put(out, len, n, h, 3);
}

int ident_filter_escape(const char *in, char *out, size_t len)
{
	size_t n = 0;
	int rc = 0;

	if (!len)
		return -ENAMETOOLONG;
	out[0] = '\0';
	for (; *in && !rc; in++) {
		unsigned char c = (unsigned char)*in;

		if (c == '*' || c == '(' || c == ')' || c == '\\' || c < 0x20 || c >= 0x7f)
			rc = put_hex(out, len, &n, c);
		else
			rc = put(out, len, &n, in, 1);
	}
	return rc;
}

int ident_dn_escape(const char *in, char *out, size_t len)
{
	size_t n = 0, l = strlen(in);
	int rc = 0;

	if (!len)
		return -ENAMETOOLONG;
	out[0] = '\0';
	for (size_t i = 0; i < l && !rc; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c < 0x20 || c == 0x7f)
			rc = put_hex(out, len, &n, c);
		else if (strchr(",+\"\\<>;=", c) || (i == 0 && (c == ' ' || c == '#')) ||
			 (i == l - 1 && c == ' '))
			rc = put(out, len, &n, (const char[]){ '\\', (char)c }, 2);
		else
			rc = put(out, len, &n, in + i, 1);
	}
	return rc;
}

int ident_template(const char *tmpl, const char *login, const char *dn, int filter, char *out,
		   size_t len)
{
	char esc[1024];
	size_t n = 0;
	int rc = 0;

	if (!len)
		return -ENAMETOOLONG;
	out[0] = '\0';
	for (const char *p = tmpl; *p && !rc; p++) {
		const char *v;

		if (*p != '%' || (p[1] != 's' && p[1] != 'D')) {
			rc = put(out, len, &n, p, 1);
			continue;
		}
		v = p[1] == 's' ? login : dn;
		p++;
		if (!v)
			return -EINVAL;
		rc = filter ? ident_filter_escape(v, esc, sizeof(esc))
			    : ident_dn_escape(v, esc, sizeof(esc));
		if (!rc)
			rc = put(out, len, &n, esc, strlen(esc));
	}
	return rc;
}
