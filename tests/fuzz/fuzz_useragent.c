// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the User-Agent detector (web_ua_platform,
 * web_ua_kind): any header gives one of the platforms and a device kind
 * the registry knows, consistent with each other (only an Android header
 * may say tablet where its platform says phone), never a crash.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "useragent.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int is_kind(const char *k)
{
	return k && (!strcmp(k, "phone") || !strcmp(k, "tablet") || !strcmp(k, "laptop") ||
		     !strcmp(k, "other"));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum web_platform p;
	const char *kind, *name;
	char *ua;

	ua = malloc(size + 1);
	if (!ua)
		return 0;
	memcpy(ua, data, size);
	ua[size] = '\0';
	p = web_ua_platform(ua);
	if (p < WEB_PLATFORM_UNKNOWN || p > WEB_PLATFORM_CHROMEOS)
		abort();
	name = web_platform_name(p);
	if (!name || !name[0] || (p == WEB_PLATFORM_UNKNOWN) != !strcmp(name, "unknown"))
		abort();
	kind = web_ua_kind(ua);
	if (!is_kind(kind) || !is_kind(web_platform_kind(p)))
		abort();
	if (strcmp(kind, web_platform_kind(p)) &&
	    !(p == WEB_PLATFORM_ANDROID && !strcmp(kind, "tablet")))
		abort();
	if (!ua[0] && p != WEB_PLATFORM_UNKNOWN)
		abort();
	free(ua);
	return 0;
}
