// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Apple (iOS, iPadOS, macOS): a configuration profile (.mobileconfig) that
 * installs the school CA, the device's identity (PKCS#12) and an EAP-TLS
 * Wi-Fi payload trusting only the RADIUS server's name, signed as CMS
 * SignedData with the portal's certificate so that the device shows the
 * profile as "Verified" once it trusts the school CA. The property list is
 * built with libplist, never by pasting strings.
 *
 * PKCS#12 encryption, what Apple reads: pki/'s modern form is OpenSSL 3's
 * default (PBES2/PBKDF2 hmacWithSHA256, AES-256-CBC, MAC SHA-256). Apple
 * documents no list of accepted algorithms, and the field reports disagree:
 * the macOS keychain refused such files with "wrong password" on macOS 12.1
 * (pyca/cryptography#7293) and 13.6 (chris2511/xca#474), SecPKCS12Import on
 * iOS refused them (openssl/openssl#19871) and ruby/openssl#654 blames the
 * SHA-256 MAC (radar FB8988319), while ca.stable.confirm.ch/pkcs12.html
 * imports the `openssl pkcs12 -export` default into a recent macOS keychain.
 * Every report agrees that the legacy form
 * (pbeWithSHA1And3-KeyTripleDES-CBC, SHA-1 MAC, what inventivehq.com's iOS
 * PFX guide prescribes) is read everywhere. So the Apple profile embeds the
 * device's identity in that form (PKI_P12_LEGACY: 3DES for key and
 * certificates, SHA-1 MAC).
 *
 * Payload UUIDs are stable: SHA-256 over "<device_id>/<payload name>",
 * shaped as an uppercase version-4 UUID, so that installing a profile again
 * for the same device replaces its payloads rather than adding new ones.
 */
#include "profile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <plist/plist.h>

#define APPLE_TYPE "application/x-apple-aspen-config"

/* The parts of the property list that hold a secret, wiped before freeing. */
struct apple_secrets {
	plist_t p12;	  /* data node: the PKCS#12 */
	plist_t password; /* string node: its passphrase */
};

/* Writes a stable uppercase v4-shaped UUID for (device_id, name) into
 * uuid[37]. Returns 0 or -ENOMEM. */
static int apple_uuid(const char *device_id, const char *name, char uuid[37])
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok;

	ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
	     EVP_DigestUpdate(ctx, device_id, strlen(device_id)) && EVP_DigestUpdate(ctx, "/", 1) &&
	     EVP_DigestUpdate(ctx, name, strlen(name)) && EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return -ENOMEM;
	md[6] = (md[6] & 0x0f) | 0x40; /* version 4 */
	md[8] = (md[8] & 0x3f) | 0x80; /* RFC 4122 variant */
	snprintf(uuid, 37, "%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-%02X%02X%02X%02X%02X%02X",
		 md[0], md[1], md[2], md[3], md[4], md[5], md[6], md[7], md[8], md[9], md[10],
		 md[11], md[12], md[13], md[14], md[15]);
	return 0;
}

/* "portal.byod.lan" -> "lan.byod.portal" into buf. Returns 0 or -EINVAL when
 * it does not fit. */
static int apple_reverse_domain(const char *domain, char *buf, size_t size)
{
	size_t len = strlen(domain), pos = 0, end = len;

	if (len >= size)
		return -EINVAL;
	while (end > 0) {
		size_t start = end;

		while (start > 0 && domain[start - 1] != '.')
			start--;
		if (pos)
			buf[pos++] = '.';
		memcpy(buf + pos, domain + start, end - start);
		pos += end - start;
		end = start ? start - 1 : 0;
	}
	buf[pos] = '\0';
	return 0;
}

/* dict[key] = a new string; NULL when libplist failed. */
static plist_t set_str(plist_t dict, const char *key, const char *val)
{
	plist_t s = plist_new_string(val);

	if (s)
		plist_dict_set_item(dict, key, s);
	return s;
}

/* Common keys of a payload: type, version, identifier, UUID, display name. */
static plist_t apple_payload(const char *type, const char *ident, const char *uuid,
			     const char *display)
{
	plist_t d = plist_new_dict();

	if (!d)
		return NULL;
	if (!set_str(d, "PayloadType", type) || !set_str(d, "PayloadIdentifier", ident) ||
	    !set_str(d, "PayloadUUID", uuid) || !set_str(d, "PayloadDisplayName", display)) {
		plist_free(d);
		return NULL;
	}
	plist_dict_set_item(d, "PayloadVersion", plist_new_uint(1));
	return d;
}

/* Appends str to buf (size bytes, *pos used), cutting it when full. */
static void apple_append(char *buf, size_t size, size_t *pos, const char *str)
{
	size_t n = strlen(str);

	if (n > size - 1 - *pos)
		n = size - 1 - *pos;
	memcpy(buf + *pos, str, n);
	*pos += n;
	buf[*pos] = '\0';
}

/* One of in->words' texts, or its English default when there is none. */
#define WORD(in, m, english)                                                                       \
	((in)->words && (in)->words->m && (in)->words->m[0] ? (in)->words->m : (english))

/* "Connects ... <ssid> of <school>. Help: name, email, phone, url" into buf
 * (size > 0), or the words' description; the help desk part only with what
 * is set. */
static void apple_description(const struct profile_in *in, char *buf, size_t size)
{
	const char *help[] = {in->helpdesk_name, in->helpdesk_email, in->helpdesk_phone,
			      in->helpdesk_url};
	size_t i, pos = 0;
	int first = 1;

	buf[0] = '\0';
	if (in->words && in->words->about && in->words->about[0]) {
		apple_append(buf, size, &pos, in->words->about);
	} else { /* the English default */
		apple_append(buf, size, &pos, "Connects this device to the Wi-Fi network ");
		apple_append(buf, size, &pos, in->ssid);
		apple_append(buf, size, &pos, " of ");
		apple_append(buf, size, &pos, in->school);
		apple_append(buf, size, &pos, ".");
	}
	for (i = 0; i < sizeof(help) / sizeof(help[0]); i++) {
		if (!help[i] || !help[i][0])
			continue;
		if (first) {
			apple_append(buf, size, &pos, " ");
			apple_append(buf, size, &pos, WORD(in, help, "Help: "));
		} else {
			apple_append(buf, size, &pos, ", ");
		}
		apple_append(buf, size, &pos, help[i]);
		first = 0;
	}
}

/*
 * Builds the unsigned profile as XML into *xml (malloc'd, *len bytes; holds
 * the PKCS#12 and its passphrase: the caller wipes it). Returns 0, -ENOMEM,
 * or -EINVAL with err set.
 */
static int apple_plist(const struct profile_in *in, char **xml, size_t *len, struct byod_err *err)
{
	char rdns[256], base[512], ident[600], uuid_top[37], uuid_root[37], uuid_p12[37],
		uuid_wifi[37], name[128], p12name[160], desc[1024];
	struct apple_secrets sec = {NULL, NULL};
	plist_t top = NULL, content, root, p12, wifi, eap, arr;
	const unsigned char *legacy = NULL;
	unsigned char *ca_der = NULL;
	size_t ca_len = 0, legacy_len = 0;
	char *out = NULL;
	uint32_t out_len = 0;
	int rc;

	if (apple_reverse_domain(in->domain, rdns, sizeof(rdns)))
		return byod_err_set(err, EINVAL, "portal.hostname is too long for a profile");
	if (snprintf(base, sizeof(base), "%s.byod.%s", rdns, in->device_id) >= (int)sizeof(base))
		return byod_err_set(err, EINVAL, "the device id is too long for a profile");
	rc = apple_uuid(in->device_id, "profile", uuid_top);
	if (!rc)
		rc = apple_uuid(in->device_id, "root", uuid_root);
	if (!rc)
		rc = apple_uuid(in->device_id, "pkcs12", uuid_p12);
	if (!rc)
		rc = apple_uuid(in->device_id, "wifi", uuid_wifi);
	if (rc)
		return byod_err_set(err, ENOMEM, "out of memory hashing the payload identifiers");
	rc = profile_cert_der(in->ca, &ca_der, &ca_len);
	if (rc)
		return byod_err_set(err, -rc,
				    "the school CA (pki.dir/ca.pem) does not convert to DER");
	snprintf(name, sizeof(name), "Wi-Fi %s", in->school);
	apple_description(in, desc, sizeof(desc));

	rc = -ENOMEM;
	top = apple_payload("Configuration", base, uuid_top, name);
	content = plist_new_array();
	if (!top || !content) {
		plist_free(content);
		goto out;
	}
	plist_dict_set_item(top, "PayloadContent", content);
	if (!set_str(top, "PayloadOrganization", in->school) ||
	    !set_str(top, "PayloadDescription", desc))
		goto out;
	plist_dict_set_item(top, "PayloadRemovalDisallowed", plist_new_bool(0));

	/* 1. the school CA, the anchor the Wi-Fi payload trusts */
	snprintf(ident, sizeof(ident), "%s.ca", base);
	root = apple_payload("com.apple.security.root", ident, uuid_root,
			     WORD(in, ca, "School CA"));
	if (!root)
		goto out;
	plist_array_append_item(content, root);
	plist_dict_set_item(root, "PayloadContent", plist_new_data((const char *)ca_der, ca_len));
	if (!set_str(root, "PayloadCertificateFileName", "ca.crt"))
		goto out;

	/* 2. the device's identity */
	snprintf(ident, sizeof(ident), "%s.identity", base);
	p12 = apple_payload("com.apple.security.pkcs12", ident, uuid_p12,
			    WORD(in, identity, "Device certificate"));
	if (!p12)
		goto out;
	plist_array_append_item(content, p12);
	/* the legacy PKCS#12 form, which every Apple OS version imports */
	rc = pki_issued_p12(in->cred, PKI_P12_LEGACY, &legacy, &legacy_len, err);
	if (rc)
		goto out;
	rc = -ENOMEM; /* what a failure below means */
	sec.p12 = plist_new_data((const char *)legacy, legacy_len);
	if (!sec.p12)
		goto out;
	plist_dict_set_item(p12, "PayloadContent", sec.p12);
	sec.password = set_str(p12, "Password", in->cred->passphrase);
	snprintf(p12name, sizeof(p12name), "%.120s.p12", in->device_id);
	if (!sec.password || !set_str(p12, "PayloadCertificateFileName", p12name))
		goto out;

	/* 3. the network: EAP-TLS (13), only the RADIUS server's name trusted */
	snprintf(ident, sizeof(ident), "%s.wifi", base);
	wifi = apple_payload("com.apple.wifi.managed", ident, uuid_wifi, name);
	if (!wifi)
		goto out;
	plist_array_append_item(content, wifi);
	if (!set_str(wifi, "SSID_STR", in->ssid) ||
	    !set_str(wifi, "EncryptionType", in->wpa3 ? "WPA3" : "WPA2") ||
	    !set_str(wifi, "PayloadCertificateUUID", uuid_p12))
		goto out;
	plist_dict_set_item(wifi, "HIDDEN_NETWORK", plist_new_bool(0));
	plist_dict_set_item(wifi, "AutoJoin", plist_new_bool(1));
	plist_dict_set_item(wifi, "IsHotspot", plist_new_bool(0));
	eap = plist_new_dict();
	if (!eap)
		goto out;
	plist_dict_set_item(wifi, "EAPClientConfiguration", eap);
	arr = plist_new_array();
	if (!arr)
		goto out;
	plist_dict_set_item(eap, "AcceptEAPTypes", arr);
	plist_array_append_item(arr, plist_new_uint(13));
	arr = plist_new_array();
	if (!arr)
		goto out;
	plist_dict_set_item(eap, "TLSTrustedServerNames", arr);
	plist_array_append_item(arr, plist_new_string(in->server_name));
	arr = plist_new_array();
	if (!arr)
		goto out;
	plist_dict_set_item(eap, "PayloadCertificateAnchorUUID", arr);
	plist_array_append_item(arr, plist_new_string(uuid_root));
	if (!set_str(eap, "UserName", in->identity) || !set_str(eap, "TLSMinimumVersion", "1.2"))
		goto out;

	plist_to_xml(top, &out, &out_len);
	if (!out || !out_len)
		goto out;
	*xml = malloc(out_len);
	if (!*xml)
		goto out;
	memcpy(*xml, out, out_len);
	*len = out_len;
	rc = 0;
out:
	if (out) {
		explicit_bzero(out, out_len);
		plist_to_xml_free(out);
	}
	/* legacy is the enrolment's (in->cred), wiped when it is cleared */
	/* libplist frees without wiping: clear the secrets it copied first */
	if (sec.p12) {
		uint64_t n = 0;
		const char *p = plist_get_data_ptr(sec.p12, &n);

		if (p)
			explicit_bzero((char *)p, (size_t)n);
	}
	if (sec.password) {
		uint64_t n = 0;
		const char *p = plist_get_string_ptr(sec.password, &n);

		if (p)
			explicit_bzero((char *)p, (size_t)n);
	}
	plist_free(top);
	free(ca_der);
	if (rc)
		return byod_err_set(err, ENOMEM, "out of memory building the Apple profile");
	return 0;
}

/*
 * Signs xml (len bytes) as CMS SignedData with the content inside, DER, into
 * out->data; ca goes in beside the signer's certificate. Returns 0, or
 * -EINVAL/-ENOMEM with err set.
 */
static int apple_sign(const char *xml, size_t len, X509 *cert, EVP_PKEY *key, X509 *ca,
		      struct profile_out *out, struct byod_err *err)
{
	STACK_OF(X509) *chain = NULL;
	CMS_ContentInfo *cms = NULL;
	ASN1_OCTET_STRING **inner;
	unsigned char *der = NULL, *p;
	BIO *data = NULL;
	int n, rc;

	if (X509_check_private_key(cert, key) != 1) {
		ERR_clear_error();
		return byod_err_set(err, EINVAL,
				    "the portal key (pki.dir/portal.key) does not match "
				    "pki.dir/portal.pem");
	}
	chain = sk_X509_new_null();
	if (!chain || !sk_X509_push(chain, ca)) {
		rc = byod_err_set(err, ENOMEM, "out of memory signing the Apple profile");
		goto out;
	}
	data = BIO_new_mem_buf(xml, (int)len);
	if (!data || len > 0x7fffffff) {
		rc = byod_err_set(err, ENOMEM, "out of memory signing the Apple profile");
		goto out;
	}
	cms = CMS_sign(cert, key, chain, data, CMS_BINARY | CMS_NOSMIMECAP);
	n = cms ? i2d_CMS_ContentInfo(cms, NULL) : -1;
	if (n <= 0) {
		rc = byod_err_set(err, EINVAL,
				  "signing the Apple profile with the portal key failed");
		goto out;
	}
	der = malloc((size_t)n);
	if (!der) {
		rc = byod_err_set(err, ENOMEM, "out of memory signing the Apple profile");
		goto out;
	}
	p = der;
	if (i2d_CMS_ContentInfo(cms, &p) != n) {
		explicit_bzero(der, (size_t)n);
		free(der);
		rc = byod_err_set(err, EINVAL, "encoding the signed Apple profile failed");
		goto out;
	}
	out->data = der;
	out->len = (size_t)n;
	rc = 0;
out:
	/* the signed content is a copy of the profile, PKCS#12 and passphrase */
	inner = cms ? CMS_get0_content(cms) : NULL;
	if (inner && *inner && ASN1_STRING_length(*inner) > 0)
		explicit_bzero((unsigned char *)ASN1_STRING_get0_data(*inner),
			       (size_t)ASN1_STRING_length(*inner));
	CMS_ContentInfo_free(cms);
	BIO_free(data);
	sk_X509_free(chain); /* the CA stays the caller's */
	ERR_clear_error();
	return rc;
}

int profile_apple(const struct profile_in *in, X509 *sign_cert, EVP_PKEY *sign_key,
		  struct profile_out *out, struct byod_err *err)
{
	char *xml = NULL;
	size_t len = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = profile_check(in, err);
	if (rc)
		return rc;
	if (!sign_cert || !sign_key)
		return byod_err_set(err, EINVAL,
				    "the portal certificate (pki.dir/portal.pem) is missing");
	rc = apple_plist(in, &xml, &len, err);
	if (rc)
		return rc;
	rc = apple_sign(xml, len, sign_cert, sign_key, in->ca, out, err);
	explicit_bzero(xml, len);
	free(xml);
	if (rc) {
		memset(out, 0, sizeof(*out));
		return rc;
	}
	out->type = APPLE_TYPE;
	snprintf(out->filename, sizeof(out->filename), "wifi-%.8s.mobileconfig", in->device_id);
	return 0;
}
