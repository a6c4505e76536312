// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for web/i18n.c: bytes from anywhere go through
 * web_i18n_parse as a .mo catalogue, and a catalogue that parses is then
 * looked up (a few fixed msgids and one taken from the input, each also
 * through its plural forms for a few numbers, so that a compiled
 * Plural-Forms rule is evaluated), so both the bounds checks and the sorted
 * table they build are exercised. The input,
 * read as text, is also negotiated as an Accept-Language header against a
 * set holding "fr" and "en". Seed it with msgfmt output, e.g. of
 * enrol-portal/po/fr.po, and with a few header values.
 *
 *   clang -g -fsanitize=fuzzer,address -Icommon -Iweb common/err.c \
 *	common/util.c web/i18n.c tests/fuzz/fuzz_mo.c -o fuzz_mo
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an empty little-endian catalogue: magic, revision 0, no strings */
	static const uint8_t empty[28] = {0xde, 0x12, 0x04, 0x95, [12] = 28, [16] = 28, [24] = 28};
	static const char *const ids[] = {"", "site.title", "login.button", "error.back", "\xff",
					  "login.wait", "enrol.limit"};
	static const unsigned long ns[] = {0, 1, 2, 5, 11, 21, 101, 1000000, (unsigned long)-1};
	static struct web_i18n *langs;
	struct web_i18n *i18n = NULL;
	struct byod_err err;
	volatile size_t sink = 0;
	char *text = NULL;
	size_t i, j;

	if (!langs) {
		langs = web_i18n_new();
		if (!langs || web_i18n_parse(langs, "fr", empty, sizeof(empty), &err) ||
		    web_i18n_parse(langs, "en", empty, sizeof(empty), &err))
			__builtin_trap(); /* the harness itself is broken */
	}
	/* the input as a string: a msgid and an Accept-Language value */
	text = malloc(size + 1);
	if (!text)
		goto out;
	memcpy(text, data, size);
	text[size] = '\0';
	sink += strlen(web_i18n_negotiate(langs, text, "xx"));

	i18n = web_i18n_new();
	if (!i18n || web_i18n_parse(i18n, "fr", data, size, &err) != 0)
		goto out;
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		sink += strlen(web_i18n_get(i18n, "fr", ids[i]));
		for (j = 0; j < sizeof(ns) / sizeof(ns[0]); j++)
			sink += strlen(web_i18n_nget(i18n, "fr", ids[i], "many", ns[j]));
	}
	sink += strlen(web_i18n_get(i18n, "fr", text));
	sink += strlen(web_i18n_nget(i18n, "fr", text, text, size));
out:
	free(text);
	web_i18n_free(i18n);
	(void)sink;
	return 0;
}
