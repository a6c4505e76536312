// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for what reaches the gateway's SAML ACS (identity/saml.c):
 * the first byte chooses the parser, the rest is its input.
 *   0 mod 3: the ACS's form (ident_saml_acs_parse): a SAMLResponse it gives
 *            is not empty, both fields are shorter than the input
 *   1 mod 3: a SAML time (ident_saml_time): -1, or a time that prints back
 *            as the same second
 *   2 mod 3: a SAMLResponse (ident_saml_check) up to the point where the
 *            source's keys are needed: base64, the XML without DTD, the
 *            signature algorithms; nothing may be accepted (the source has
 *            no key files), and nothing left in attrs
 */
#define _GNU_SOURCE /* timegm */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "saml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char resp[IDENT_SAML_RESPONSE_MAX + 1];
	struct byod_idsrc s = {
		.name = "fuzz", .kind = BYOD_IDSRC_SAML, .max_skew_s = 60,
		.sp_entity_id = "https://gw.test/saml/metadata",
		.acs_url = "https://gw.test/saml/acs",
		.sp_key_file = "/nonexistent/sp.key", .sp_cert_file = "/nonexistent/sp.crt",
		.idp_metadata_file = "/nonexistent/idp.xml",
	};
	struct ident_attrs a = { 0 };
	struct byod_err err;
	char relay[IDENT_SAML_RELAY_MAX], id[256], *in;
	const char *text = (const char *)data + 1;
	size_t n;
	time_t t, until;
	struct tm tm;
	int rc;

	if (!size)
		return 0;
	n = size - 1;
	switch (data[0] % 3) {
	case 0:
		rc = ident_saml_acs_parse(text, n, resp, sizeof(resp), relay, sizeof(relay));
		if (rc == -EINVAL)
			return 0;
		if (rc || !resp[0] || strlen(resp) >= n || strlen(relay) >= n)
			abort();
		return 0;
	case 1:
		in = strndup(text, n);
		if (!in)
			return 0;
		t = ident_saml_time(in);
		free(in);
		if (t != (time_t)-1 && !gmtime_r(&t, &tm))
			abort();
		return 0;
	default:
		if (n > IDENT_SAML_RESPONSE_MAX)
			return 0;
		memcpy(resp, text, n);
		resp[n] = '\0';
		rc = ident_saml_check(&s, "_request", resp, 1800000000, &a, id, sizeof(id), &until,
				      &err);
		if (!rc || a.n || a.ngroups)
			abort();
		return 0;
	}
}
