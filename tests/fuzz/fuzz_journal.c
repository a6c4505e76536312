// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the accounting journal's reader
 * (registry/reg_journal.c, reg_journal_parse), the file rlm_byod keeps
 * while the registry is unavailable: what a power cut, a full disk
 * or a damaged sector leaves in the journal. Checked independently of the
 * reader: it never claims more bytes than it was given, every record it
 * hands back is a known accounting type with NUL-terminated fields, and
 * encoding that record again and reading the encoding gives the same record.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reg_journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int keep(const struct reg_journal_rec *r, void *arg)
{
	*(struct reg_journal_rec *)arg = *r;
	return 1;
}

static int check(const struct reg_journal_rec *r, void *arg)
{
	uint8_t buf[1024];
	struct reg_journal_rec again;
	size_t n;

	(void)arg;
	if (r->type != REG_ACCT_START && r->type != REG_ACCT_STOP && r->type != REG_ACCT_INTERIM)
		abort();
	if (!memchr(r->s.session_id, 0, sizeof(r->s.session_id)) ||
	    !memchr(r->s.nas_ip, 0, sizeof(r->s.nas_ip)) ||
	    !memchr(r->s.nas_id, 0, sizeof(r->s.nas_id)) ||
	    !memchr(r->s.mac, 0, sizeof(r->s.mac)) || !memchr(r->s.ip, 0, sizeof(r->s.ip)) ||
	    !memchr(r->s.serial, 0, sizeof(r->s.serial)))
		abort();
	n = reg_journal_encode(r, buf, sizeof(buf));
	if (n > sizeof(buf))
		abort();
	memset(&again, 0, sizeof(again));
	if (reg_journal_parse(buf, n, keep, &again, NULL) != n)
		abort();
	if (again.seq != r->seq || again.type != r->type || again.time != r->time ||
	    again.s.in_octets != r->s.in_octets || again.s.out_octets != r->s.out_octets ||
	    strcmp(again.s.session_id, r->s.session_id) || strcmp(again.s.nas_ip, r->s.nas_ip) ||
	    strcmp(again.s.nas_id, r->s.nas_id) || strcmp(again.s.mac, r->s.mac) ||
	    strcmp(again.s.ip, r->s.ip) || strcmp(again.s.serial, r->s.serial))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (reg_journal_parse(data, size, check, NULL, NULL) > size)
		abort();
	return 0;
}
