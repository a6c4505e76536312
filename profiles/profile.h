/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Device profiles: for each platform, the file its own installer reads, so
 * that a pupil never types an EAP setting. One function per format, each in
 * its own file, all fed the same struct profile_in; profile_check() refuses
 * what no format may be built from (no SSID, no server name, no CA, a
 * passphrase that does not open the PKCS#12), naming the setting an
 * administrator must fix. Pure: no registry, no network; tests parse every
 * output with an independent reader.
 */
#ifndef PORTAL_PROFILE_H
#define PORTAL_PROFILE_H

#include <stddef.h>

#include "byod_err.h"

struct profile_in {
	const char *school;         /* the school's name (organisation, provider) */
	const char *ssid;           /* wifi.ssid */
	int wpa3;                   /* wifi.security: 1 WPA3-Enterprise, 0 WPA2 */
	const char *server_name;    /* radius.server-name: the name devices trust */
	const char *ca_pem;         /* the school CA, PEM */
	const unsigned char *p12;   /* the device's identity: key, certificate, CA */
	size_t p12_len;
	const char *passphrase;     /* opens p12 */
	const char *cert_pem;       /* the device certificate, PEM (Linux) */
	const char *key_pem;        /* its private key, PEM, unencrypted (Linux) */
	const char *identity;       /* the EAP identity: the owner's login */
	const char *device_id;      /* the device's UUID (identifiers derive from it) */
	const char *domain;         /* the portal's DNS name: reverse-DNS identifiers,
				     * Passpoint realm when wifi.passpoint-realm is "" */
	const char *passpoint_realm; /* wifi.passpoint-realm, or "" */
	const char *helpdesk_name;  /* the helpdesk.*, each may be "" */
	const char *helpdesk_email;
	const char *helpdesk_phone;
	const char *helpdesk_url;
};

struct profile_out {
	unsigned char *data;     /* malloc'd; profile_out_free wipes it (it holds a key) */
	size_t len;
	const char *type;        /* media type, a static string */
	char filename[128];      /* suggested name, no path */
};

/*
 * Refuses inputs no profile may be built from: an empty SSID, server name,
 * identity or device id, a CA that does not parse, a PKCS#12 that the
 * passphrase does not open or whose certificate is not the given one.
 * -EINVAL with err naming the configuration key to set (e.g. "wifi.ssid is
 * not set: ..."). Every profile_* function calls it first.
 */
int profile_check(const struct profile_in *in, struct byod_err *err);

/* Apple (iOS, iPadOS, macOS): a .mobileconfig, signed as CMS with the
 * portal's certificate (sign_cert_pem + sign_key_pem; chain_pem, the CA,
 * is included so the device can build the path). */
int profile_apple(const struct profile_in *in, const char *sign_cert_pem,
		  const char *sign_key_pem, const char *chain_pem, struct profile_out *out,
		  struct byod_err *err);

/* geteduroam apps (Android, iOS, Windows, Linux): a GÉANT eap-config. */
int profile_eap_config(const struct profile_in *in, struct profile_out *out,
		       struct byod_err *err);

/* Android without an app: a Passpoint R1 profile (application/x-wifi-config). */
int profile_passpoint(const struct profile_in *in, struct profile_out *out,
		      struct byod_err *err);

/* Windows: a WLAN profile XML for netsh wlan add profile (EAP-TLS, server
 * names, the CA's thumbprint). The PKCS#12 is offered beside it. */
int profile_windows(const struct profile_in *in, struct profile_out *out,
		    struct byod_err *err);

/* Linux: a NetworkManager keyfile with the PEM files it names, in one
 * archive. */
int profile_networkmanager(const struct profile_in *in, struct profile_out *out,
			   struct byod_err *err);

/*
 * The device's identity as a PKCS#12 in the legacy form
 * (pbeWithSHA1And3-KeyTripleDES-CBC for key and certificates, SHA-1 MAC),
 * under in->passphrase, made from cert_pem, key_pem and ca_pem. The AES
 * form pki/ makes (OpenSSL 3's default) is refused by Android up to 13,
 * iOS and the macOS keychain (see profile_apple.c) and Windows Server 2016;
 * the legacy form is read by all. So the Apple profile embeds this form,
 * and the portal offers it for download and gives it to the eap-config.
 * The Passpoint file carries its own PKCS#12 without a password (Android's
 * rule), the Linux archive PEM files. *der is malloc'd; the caller wipes
 * and frees it.
 */
int profile_p12_legacy(const struct profile_in *in, unsigned char **der, size_t *len,
		       struct byod_err *err);

void profile_out_free(struct profile_out *out);

/* A growing byte buffer for the formats that assemble text or archives,
 * NUL-terminated, wiped when it grows and when freed (it ends up holding a
 * key). Zeroed is empty; errors are sticky in oom. */
struct profile_buf {
	unsigned char *p;
	size_t len, cap;
	int oom;
};
void profile_buf_add(struct profile_buf *b, const void *data, size_t n);
void profile_buf_str(struct profile_buf *b, const char *s);
void profile_buf_wipe(struct profile_buf *b);

#endif /* PORTAL_PROFILE_H */
