/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which kind of device is asking, from its User-Agent header, so that the
 * portal can show the right installation steps and suggest the device kind
 * recorded in the registry. A User-Agent is a claim, not a proof: nothing
 * here is used for a security decision, only to pick a default a pupil can
 * change.
 */
#ifndef WEB_USERAGENT_H
#define WEB_USERAGENT_H

enum web_platform {
	WEB_PLATFORM_UNKNOWN,
	WEB_PLATFORM_IPHONE,
	WEB_PLATFORM_IPAD,
	WEB_PLATFORM_MAC,
	WEB_PLATFORM_ANDROID,
	WEB_PLATFORM_WINDOWS,
	WEB_PLATFORM_LINUX,
	WEB_PLATFORM_CHROMEOS,
};

/*
 * The platform a User-Agent names; WEB_PLATFORM_UNKNOWN for NULL, "" and
 * anything unrecognised. iPadOS 13+ Safari asks for desktop sites and says
 * "Macintosh": it is reported as MAC (the header cannot tell them apart).
 * Apple's captive-network probe ("CaptiveNetworkSupport-... wispr") is
 * sent by both iOS and macOS and says neither, so it is UNKNOWN; the
 * captive sheet that then shows the portal sends a normal Safari header.
 * iPod touch counts as IPHONE.
 */
enum web_platform web_ua_platform(const char *ua);

/* "iphone", "ipad", "mac", "android", "windows", "linux", "chromeos" or
 * "unknown"; a static string. */
const char *web_platform_name(enum web_platform p);

/*
 * The registry's device kind for a platform, a static string: "phone"
 * (iphone, android), "tablet" (ipad), "laptop" (mac, windows, linux,
 * chromeos), "other". An Android platform alone cannot say phone or
 * tablet: use web_ua_kind when the User-Agent is at hand.
 */
const char *web_platform_kind(enum web_platform p);

/*
 * The registry's device kind from a User-Agent: as web_platform_kind,
 * except that an Android browser whose header lacks "Mobile" is a "tablet"
 * (Chrome, Samsung Internet and Firefox all mark phones so). Headers not
 * sent by a browser (no "Mozilla/", e.g. Dalvik) keep "phone". A static
 * string.
 */
const char *web_ua_kind(const char *ua);

#endif /* WEB_USERAGENT_H */
