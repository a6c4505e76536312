// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Device detection from User-Agent headers. Browsers copy each other's
 * tokens ("like Mac OS X" on iPhones, "Linux" on Android, "X11" on
 * ChromeOS), so the tests run from the most specific token to the most
 * generic, and the order below is the whole algorithm.
 */
#include "useragent.h"

#include <string.h>

enum web_platform web_ua_platform(const char *ua)
{
	if (!ua || !*ua)
		return WEB_PLATFORM_UNKNOWN;
	/* Apple's probe, from iOS and macOS alike: cannot tell which */
	if (!strncmp(ua, "CaptiveNetworkSupport", 21))
		return WEB_PLATFORM_UNKNOWN;
	/* old Windows Phone headers also say "Android" and "iPhone" */
	if (strstr(ua, "Windows Phone"))
		return WEB_PLATFORM_UNKNOWN;
	if (strstr(ua, "CrOS"))
		return WEB_PLATFORM_CHROMEOS; /* before "X11"/"Linux" */
	if (strstr(ua, "iPad"))
		return WEB_PLATFORM_IPAD; /* before "like Mac OS X" */
	if (strstr(ua, "iPhone") || strstr(ua, "iPod"))
		return WEB_PLATFORM_IPHONE;
	if (strstr(ua, "Android"))
		return WEB_PLATFORM_ANDROID; /* before "Linux" */
	if (strstr(ua, "Windows"))
		return WEB_PLATFORM_WINDOWS;
	if (strstr(ua, "Macintosh") || strstr(ua, "Mac OS X"))
		return WEB_PLATFORM_MAC; /* and iPadOS in desktop mode */
	if (strstr(ua, "Linux"))
		return WEB_PLATFORM_LINUX;
	return WEB_PLATFORM_UNKNOWN;
}

const char *web_platform_name(enum web_platform p)
{
	switch (p) {
	case WEB_PLATFORM_IPHONE:
		return "iphone";
	case WEB_PLATFORM_IPAD:
		return "ipad";
	case WEB_PLATFORM_MAC:
		return "mac";
	case WEB_PLATFORM_ANDROID:
		return "android";
	case WEB_PLATFORM_WINDOWS:
		return "windows";
	case WEB_PLATFORM_LINUX:
		return "linux";
	case WEB_PLATFORM_CHROMEOS:
		return "chromeos";
	case WEB_PLATFORM_UNKNOWN:
	default:
		return "unknown";
	}
}

const char *web_platform_kind(enum web_platform p)
{
	switch (p) {
	case WEB_PLATFORM_IPHONE:
	case WEB_PLATFORM_ANDROID:
		return "phone";
	case WEB_PLATFORM_IPAD:
		return "tablet";
	case WEB_PLATFORM_MAC:
	case WEB_PLATFORM_WINDOWS:
	case WEB_PLATFORM_LINUX:
	case WEB_PLATFORM_CHROMEOS:
		return "laptop";
	case WEB_PLATFORM_UNKNOWN:
	default:
		return "other";
	}
}

const char *web_ua_kind(const char *ua)
{
	enum web_platform p = web_ua_platform(ua);

	if (p == WEB_PLATFORM_ANDROID && strstr(ua, "Mozilla/") && !strstr(ua, "Mobile"))
		return "tablet";
	return web_platform_kind(p);
}
