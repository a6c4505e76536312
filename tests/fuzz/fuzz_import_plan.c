// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the console's import check (byod_import_plan
 * without a registry): every problem of a CSV file collected, where
 * byodctl's check (byod_users_csv_check) stops at the first. The two must
 * agree: a file has no problem for one exactly when it has none for the
 * other, and the problem byodctl names is among those the console lists
 * (when the list is not cut at its bound). The list is bounded, in the
 * file's order, every problem at a line of the file with a catalogue key
 * and a sentence; never a crash or a leak.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "byod.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct byod_import_plan *pl = NULL;
	struct byod_err err, err1;
	size_t i, lines = 1;
	int rc, rc1, found = 0;

	for (i = 0; i < size; i++)
		lines += data[i] == '\n' ||
			 (data[i] == '\r' && (i + 1 == size || data[i + 1] != '\n'));
	rc = byod_import_plan(NULL, NULL, "import.csv", data, size, &pl, &err);
	if (rc == -ENOMEM)
		return 0;
	if (rc || !pl)
		abort();
	rc1 = byod_users_csv_check("import.csv", data, size, NULL, &err1);
	if (rc1 == -ENOMEM)
		goto out;
	if ((rc1 == 0) != (pl->nproblems == 0 && pl->more == 0))
		abort();
	if (pl->nproblems > BYOD_IMPORT_PROBLEMS_MAX || pl->nitems ||
	    (pl->more && pl->nproblems < BYOD_IMPORT_PROBLEMS_MAX))
		abort();
	for (i = 0; i < pl->nproblems; i++) {
		const struct byod_import_problem *p = &pl->problems[i];

		if (p->line < 1 || (size_t)p->line > lines || p->col < 0 || !p->key ||
		    strncmp(p->key, "import.", 7) || !p->msg[0])
			abort();
		if (i && (p->line < p[-1].line || (p->line == p[-1].line && p->col < p[-1].col)))
			abort();
		if (rc1 && p->line == err1.line && p->col == err1.col)
			found = 1;
	}
	if (rc1 && !pl->more && !found)
		abort();
out:
	byod_import_plan_free(pl);
	return 0;
}
