// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Device detection from User-Agent headers. Browsers copy each other's
 * tokens ("like Mac OS X" on iPhones, "Linux" on Android, "X11" on
 * ChromeOS), so the tests run from the most specific token to the most
 * generic, and the order below is the whole algorithm.
 */
#include "useragent.h"

#include <string.h>

enum portal_platform portal_ua_platform(const char *ua)
{
	if (!ua || !*ua)
		return PORTAL_PLATFORM_UNKNOWN;
	/* Apple's probe, from iOS and macOS alike: cannot tell which */
	if (!strncmp(ua, "CaptiveNetworkSupport", 21))
		return PORTAL_PLATFORM_UNKNOWN;
	/* old Windows Phone headers also say "Android" and "iPhone" */
	if (strstr(ua, "Windows Phone"))
		return PORTAL_PLATFORM_UNKNOWN;
	if (strstr(ua, "CrOS"))
		return PORTAL_PLATFORM_CHROMEOS; /* before "X11"/"Linux" */
	if (strstr(ua, "iPad"))
		return PORTAL_PLATFORM_IPAD; /* before "like Mac OS X" */
	if (strstr(ua, "iPhone") || strstr(ua, "iPod"))
		return PORTAL_PLATFORM_IPHONE;
	if (strstr(ua, "Android"))
		return PORTAL_PLATFORM_ANDROID; /* before "Linux" */
	if (strstr(ua, "Windows"))
		return PORTAL_PLATFORM_WINDOWS;
	if (strstr(ua, "Macintosh") || strstr(ua, "Mac OS X"))
		return PORTAL_PLATFORM_MAC; /* and iPadOS in desktop mode */
	if (strstr(ua, "Linux"))
		return PORTAL_PLATFORM_LINUX;
	return PORTAL_PLATFORM_UNKNOWN;
}

const char *portal_platform_name(enum portal_platform p)
{
	switch (p) {
	case PORTAL_PLATFORM_IPHONE:
		return "iphone";
	case PORTAL_PLATFORM_IPAD:
		return "ipad";
	case PORTAL_PLATFORM_MAC:
		return "mac";
	case PORTAL_PLATFORM_ANDROID:
		return "android";
	case PORTAL_PLATFORM_WINDOWS:
		return "windows";
	case PORTAL_PLATFORM_LINUX:
		return "linux";
	case PORTAL_PLATFORM_CHROMEOS:
		return "chromeos";
	case PORTAL_PLATFORM_UNKNOWN:
	default:
		return "unknown";
	}
}

const char *portal_platform_kind(enum portal_platform p)
{
	switch (p) {
	case PORTAL_PLATFORM_IPHONE:
	case PORTAL_PLATFORM_ANDROID:
		return "phone";
	case PORTAL_PLATFORM_IPAD:
		return "tablet";
	case PORTAL_PLATFORM_MAC:
	case PORTAL_PLATFORM_WINDOWS:
	case PORTAL_PLATFORM_LINUX:
	case PORTAL_PLATFORM_CHROMEOS:
		return "laptop";
	case PORTAL_PLATFORM_UNKNOWN:
	default:
		return "other";
	}
}

const char *portal_ua_kind(const char *ua)
{
	enum portal_platform p = portal_ua_platform(ua);

	if (p == PORTAL_PLATFORM_ANDROID && strstr(ua, "Mozilla/") && !strstr(ua, "Mobile"))
		return "tablet";
	return portal_platform_kind(p);
}
