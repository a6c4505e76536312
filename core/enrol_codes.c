// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One-time enrolment codes for a class: random tokens whose hashes go into
 * the registry, and the printable sheet of their links as QR codes.
 */
#include "enrol_codes.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "qrsheet.h"
#include "token.h"

int byod_codes_sheet(struct reg *reg, const char *school, const char *base_url,
		       const char *title, const struct reg_person *people, size_t n, int hours,
		       char **sheet, size_t *len, struct byod_err *err)
{
	struct web_qr_card *cards = calloc(n ? n : 1, sizeof(*cards));
	char (*urls)[700] = calloc(n ? n : 1, sizeof(*urls));
	time_t expires = time(NULL) + (time_t)hours * 3600;
	size_t i;
	int rc;

	*sheet = NULL;
	if (!cards || !urls) {
		rc = byod_err_set(err, ENOMEM, "out of memory");
		goto out;
	}
	rc = reg_begin(reg, err);
	for (i = 0; !rc && i < n; i++) {
		char code[44], hash[REG_HASH_HEX];

		rc = web_token_new(code);
		if (rc) {
			byod_err_set(err, -rc, "no randomness");
			break;
		}
		web_token_hash(code, hash);
		rc = reg_enrol_code_add(reg, hash, people[i].id, expires, err);
		snprintf(urls[i], sizeof(urls[i]), "%s/code/%s", base_url, code);
		explicit_bzero(code, sizeof(code));
		cards[i].name = people[i].display_name[0] ? people[i].display_name : people[i].login;
		cards[i].login = people[i].login;
		cards[i].url = urls[i];
	}
	if (!rc)
		rc = reg_commit(reg, err);
	if (rc) {
		reg_rollback(reg);
		goto out;
	}
	rc = web_qrsheet(school, title, cards, n, expires, sheet, len, err);
out:
	if (urls)
		explicit_bzero(urls, (n ? n : 1) * sizeof(*urls));
	free(urls);
	free(cards);
	return rc;
}
