/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Device profiles: for each platform, the file its own installer reads, so
 * that a pupil never types an EAP setting. One function per format, each in
 * its own file, all fed the same struct profile_in; profile_check() refuses
 * what no format may be built from (no SSID, no server name, no CA, a key
 * that is not the certificate's), naming the setting an administrator must
 * fix. The device's certificate and key arrive parsed (struct pki_issued),
 * and each format asks pki for the PKCS#12 form it embeds, so the forms one
 * enrolment needs are encoded once whatever number of formats embed them.
 * Pure: no registry, no network; tests parse every output with an
 * independent reader.
 */
#ifndef PORTAL_PROFILE_H
#define PORTAL_PROFILE_H

#include <stddef.h>

#include <openssl/types.h>

#include "byod_buf.h"
#include "byod_err.h"
#include "pki.h"

/* The words a person reads in a profile (iOS shows them while installing
 * and in Settings), in that person's language: the portal passes its
 * catalogue's. NULL, or a NULL member, means English. */
struct profile_words {
	const char *ca;	      /* the school CA's payload: "School CA" */
	const char *identity; /* the device certificate's: "Device certificate" */
	const char *about;    /* the description, whole: "Connects this device to the
			       * Wi-Fi network <ssid> of <school>." */
	const char *help;     /* before the help desk's details: "Help: " */
};

struct profile_in {
	const char *school;         /* the school's name (organisation, provider) */
	const char *ssid;           /* wifi.ssid */
	int wpa3;                   /* wifi.security: 1 WPA3-Enterprise, 0 WPA2 */
	const char *server_name;    /* radius.server-name: the name devices trust */
	X509 *ca;		    /* the school CA */
	struct pki_issued *cred;    /* the device's certificate, key and passphrase;
				     * the PKCS#12 forms are encoded in it when a
				     * format first asks (pki_issued_p12) */
	const char *identity;       /* the EAP identity: the owner's login */
	const char *device_id;      /* the device's UUID (identifiers derive from it) */
	const char *domain;         /* the portal's DNS name: reverse-DNS identifiers */
	const char *passpoint_realm; /* wifi.passpoint-realm, or "": the Passpoint
				      * FQDN (radius.server-name's domain) */
	const char *helpdesk_name;  /* the helpdesk.*, each may be "" */
	const char *helpdesk_email;
	const char *helpdesk_phone;
	const char *helpdesk_url;
	const struct profile_words *words; /* may be NULL: English */
};

struct profile_out {
	unsigned char *data;     /* malloc'd; profile_out_free wipes it (it holds a key) */
	size_t len;
	const char *type;        /* media type, a static string */
	char filename[128];      /* suggested name, no path */
};

/*
 * Refuses inputs no profile may be built from: an empty SSID, server name,
 * identity or device id, no CA, no passphrase, a key that is not the
 * certificate's, a certificate that is not from the CA.
 * -EINVAL with err naming the configuration key to set (e.g. "wifi.ssid is
 * not set: ..."). Every profile_* function calls it first.
 */
int profile_check(const struct profile_in *in, struct byod_err *err);

/* Apple (iOS, iPadOS, macOS): a .mobileconfig, signed as CMS with the
 * portal's certificate and key (the CA is included so that the device can
 * build the path). The identity is the legacy PKCS#12 form. */
int profile_apple(const struct profile_in *in, X509 *sign_cert, EVP_PKEY *sign_key,
		  struct profile_out *out, struct byod_err *err);

/* geteduroam apps (Android, iOS, Windows, Linux): a GÉANT eap-config,
 * with the legacy PKCS#12 form. */
int profile_eap_config(const struct profile_in *in, struct profile_out *out,
		       struct byod_err *err);

/* Android without an app: a Passpoint R1 profile (application/x-wifi-config),
 * with the clear PKCS#12 form. Its HomeSP FQDN, which Android checks the
 * RADIUS certificate against (domain_suffix_match), is server_name's domain
 * (byod_passpoint_names); -EINVAL naming radius.server-name or
 * wifi.passpoint-realm when either is not a DNS name. */
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

void profile_out_free(struct profile_out *out);

/* The DER of a certificate, malloc'd into *der; -EINVAL (x NULL or not
 * encodable) or -ENOMEM. */
int profile_cert_der(X509 *x, unsigned char **der, size_t *len);

/* The text or archive a format assembles: a secret byod_buf (it ends up
 * holding a key: wiped when it grows and when freed) whose errors are
 * sticky in oom, so that a writer checks once at the end. Zeroed is empty. */
struct profile_buf {
	struct byod_buf buf;
	int oom;
};
void profile_buf_add(struct profile_buf *b, const void *data, size_t n);
void profile_buf_str(struct profile_buf *b, const char *s);
void profile_buf_wipe(struct profile_buf *b);
/* Hands the content over (the caller wipes and frees it), b left empty;
 * NULL when an append failed or memory ran out. */
unsigned char *profile_buf_take(struct profile_buf *b, size_t *len);

#endif /* PORTAL_PROFILE_H */
