/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which kind of device is asking, from its User-Agent header, so that the
 * portal can show the right installation steps and suggest the device kind
 * recorded in the registry. A User-Agent is a claim, not a proof: nothing
 * here is used for a security decision, only to pick a default a pupil can
 * change.
 */
#ifndef PORTAL_USERAGENT_H
#define PORTAL_USERAGENT_H

enum portal_platform {
	PORTAL_PLATFORM_UNKNOWN,
	PORTAL_PLATFORM_IPHONE,
	PORTAL_PLATFORM_IPAD,
	PORTAL_PLATFORM_MAC,
	PORTAL_PLATFORM_ANDROID,
	PORTAL_PLATFORM_WINDOWS,
	PORTAL_PLATFORM_LINUX,
	PORTAL_PLATFORM_CHROMEOS,
};

/*
 * The platform a User-Agent names; PORTAL_PLATFORM_UNKNOWN for NULL, "" and
 * anything unrecognised. iPadOS 13+ Safari asks for desktop sites and says
 * "Macintosh": it is reported as MAC (the header cannot tell them apart).
 * Apple's captive-network probe ("CaptiveNetworkSupport-... wispr") is
 * sent by both iOS and macOS and says neither, so it is UNKNOWN; the
 * captive sheet that then shows the portal sends a normal Safari header.
 * iPod touch counts as IPHONE.
 */
enum portal_platform portal_ua_platform(const char *ua);

/* "iphone", "ipad", "mac", "android", "windows", "linux", "chromeos" or
 * "unknown"; a static string. */
const char *portal_platform_name(enum portal_platform p);

/*
 * The registry's device kind for a platform, a static string: "phone"
 * (iphone, android), "tablet" (ipad), "laptop" (mac, windows, linux,
 * chromeos), "other". An Android platform alone cannot say phone or
 * tablet: use portal_ua_kind when the User-Agent is at hand.
 */
const char *portal_platform_kind(enum portal_platform p);

/*
 * The registry's device kind from a User-Agent: as portal_platform_kind,
 * except that an Android browser whose header lacks "Mobile" is a "tablet"
 * (Chrome, Samsung Internet and Firefox all mark phones so). Headers not
 * sent by a browser (no "Mozilla/", e.g. Dalvik) keep "phone". A static
 * string.
 */
const char *portal_ua_kind(const char *ua);

#endif /* PORTAL_USERAGENT_H */
