/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Issuing one-time enrolment codes for a list of accounts and printing
 * them as a QR sheet: shared by byodctl enrol-codes (an administrator) and
 * the portal's class page (a teacher).
 */
#ifndef BYOD_ENROL_CODES_H
#define BYOD_ENROL_CODES_H

#include <stddef.h>

#include "registry.h"

/*
 * Makes one code per account in people[0..n), valid hours hours, all in one
 * registry transaction (every code or none; an audit row for each), and the
 * sheet linking to base_url/code/<code>. *sheet is malloc'd; the caller
 * wipes and frees it (it holds the codes).
 */
int byod_codes_sheet(struct reg *reg, const char *school, const char *base_url,
		       const char *title, const struct reg_person *people, size_t n, int hours,
		       char **sheet, size_t *len, struct byod_err *err);

#endif /* BYOD_ENROL_CODES_H */
