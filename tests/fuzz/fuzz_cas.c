// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for what a CAS server sends the gateway (identity/cas.c):
 * the first byte chooses the parser, the rest is its input.
 *   even: a p3/serviceValidate answer (ident_cas_parse): on success it names
 *         a user, every value is shorter than the input, no more values
 *         than the input has '<'; on failure nothing is left in attrs
 *   odd:  a back-channel logout form (ident_cas_logout_parse): a ticket it
 *         gives is one (ST-, its characters), and came from the input
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cas.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ident_attrs a = { 0 };
	struct byod_err err;
	char ticket[IDENT_CAS_TICKET_MAX];
	const char *in;
	size_t n, lt = 0;
	int rc;

	if (!size)
		return 0;
	in = (const char *)data + 1;
	n = size - 1;
	if (!(data[0] & 1)) {
		rc = ident_cas_parse(in, n, &a, &err);
		if (rc) {
			if (a.n || a.ngroups || (rc != -EPROTO && rc != -EACCES && rc != -ENOMEM))
				abort();
			return 0;
		}
		for (size_t i = 0; i < n; i++)
			lt += in[i] == '<';
		if (!ident_attrs_get(&a, IDENT_CAS_USER, 0) || a.n > lt)
			abort();
		for (size_t i = 0; i < a.n; i++)
			if (strlen(a.v[i].value) >= n || strlen(a.v[i].name) >= n)
				abort();
		ident_attrs_free(&a);
		return 0;
	}
	rc = ident_cas_logout_parse(in, n, ticket, sizeof(ticket));
	if (rc == -EINVAL || rc == -ENOMEM)
		return 0;
	if (rc || !ident_cas_ticket_ok(ticket) || strlen(ticket) >= n)
		abort();
	return 0;
}
