// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for what byodctl restore reads before it asks anything
 * of the passphrase (core/backup.c): the outer tar, the manifest's JSON and
 * the payload's header (byod_backup_inspect_mem), and the manifest parser
 * on its own (byod_backup_manifest_parse). A backup is outside input: it
 * comes from another machine, a USB stick, a mail. Checked independently
 * of the parser: every member it accepts names a place inside HOME (no
 * "..", no absolute path, no control character), a file has a 64-digit
 * lowercase checksum, and the KDF's costs stay within what a small box can
 * pay.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "byod_backup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct byod_backup_manifest *m)
{
	size_t i;

	if (m->kdf_n < (1u << 14) || m->kdf_n > (1u << 20) || m->kdf_r < 1 || m->kdf_r > 8 ||
	    m->kdf_p < 1 || m->kdf_p > 4)
		abort();
	for (i = 0; i < m->n; i++) {
		const char *name = m->m[i].name, *p;

		if (!name || name[0] == '/' || strstr(name, "/../") || strstr(name, "//"))
			abort();
		if (strcmp(name, "home") && strncmp(name, "home/", 5) &&
		    strcmp(name, "registry/snapshot.db") && strcmp(name, "registry/snapshot.pgdump"))
			abort();
		p = strrchr(name, '/');
		if (p && (!strcmp(p, "/..") || !strcmp(p, "/.")))
			abort();
		for (p = name; *p; p++)
			if ((unsigned char)*p < 0x20)
				abort();
		if (!m->m[i].dir && (strlen(m->m[i].sha256) != 64 ||
				     strspn(m->m[i].sha256, "0123456789abcdef") != 64))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct byod_backup_manifest m;

	if (byod_backup_inspect_mem(data, size, &m, NULL) == 0)
		check(&m);
	byod_backup_manifest_free(&m);
	if (byod_backup_manifest_parse((const char *)data, size, &m, NULL) == 0)
		check(&m);
	byod_backup_manifest_free(&m);
	return 0;
}
