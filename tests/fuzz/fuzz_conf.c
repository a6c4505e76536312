// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the gateway configuration reader: whatever is in
 * byod.conf gives a configuration or an error with a position, never a
 * crash or a leak.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "byod_conf.h"
#include "byod_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	struct byod_conf conf;
	struct byod_err err;

	/* byod_conf_load reads a file, as the gateway does. */
	if (!path[0])
		snprintf(path, sizeof(path), "/tmp/fuzz_conf.%ld", (long)getpid());
	if (byod_file_write(path, data, size, 0600, 0, &err))
		return 0;
	if (byod_conf_defaults(&conf, "/nonexistent") == 0) {
		byod_conf_load(&conf, path, &err);
		byod_conf_free(&conf);
	}
	return 0;
}
