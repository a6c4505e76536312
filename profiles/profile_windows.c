// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Windows: a WLAN profile for `netsh wlan add profile filename=F.xml
 * user=current`: WPA2-Enterprise (authentication "WPA2") or
 * WPA3-Enterprise ("WPA3ENT", Windows 11 and 10 21H2+), AES, 802.1X with
 * EAP-TLS (13) taking the certificate from the user's store, the server
 * validated by name (ServerNames) and by the school CA's SHA-1 thumbprint
 * (TrustedRootCA, as Windows writes it: hex pairs separated by spaces),
 * with no prompt to trust another server. The PKCS#12 is installed beside
 * it (the portal offers it). Namespaces as in Microsoft's WLAN_profile,
 * OneX, EapHostConfig, EapCommon, BaseEapConnectionPropertiesV1 and
 * EapTlsConnectionPropertiesV1/V2 schemas. Built with libxml2's tree API.
 */
#include "profile.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "xmlout.h"

#define NS_WLAN "http://www.microsoft.com/networking/WLAN/profile/v1"
#define NS_ONEX "http://www.microsoft.com/networking/OneX/v1"
#define NS_HOST "http://www.microsoft.com/provisioning/EapHostConfig"
#define NS_COMMON "http://www.microsoft.com/provisioning/EapCommon"
#define NS_BASE "http://www.microsoft.com/provisioning/BaseEapConnectionPropertiesV1"
#define NS_TLS1 "http://www.microsoft.com/provisioning/EapTlsConnectionPropertiesV1"
#define NS_TLS2 "http://www.microsoft.com/provisioning/EapTlsConnectionPropertiesV2"

int profile_windows(const struct profile_in *in, struct profile_out *out, struct byod_err *err)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char *ca_der = NULL, md[SHA_DIGEST_LENGTH];
	char thumb[3 * SHA_DIGEST_LENGTH], ssid_hex[2 * 32 + 1], filename[64];
	xmlNodePtr root, n, sec, auth, onex, eapcfg, host, m, cfg, base, tls, src, store, val;
	xmlDocPtr doc = NULL;
	size_t ca_len = 0, i;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = profile_check(in, err);
	if (rc)
		return rc;
	rc = profile_cert_der(in->ca, &ca_der, &ca_len);
	if (rc)
		return byod_err_set(err, -rc, "the school CA does not parse");
	SHA1(ca_der, ca_len, md);
	free(ca_der);
	/* "aa bb cc ...": lowercase pairs, one space between */
	for (i = 0; i < sizeof(md); i++) {
		thumb[3 * i] = (char)tolower((unsigned char)hex[md[i] >> 4]);
		thumb[3 * i + 1] = (char)tolower((unsigned char)hex[md[i] & 15]);
		thumb[3 * i + 2] = ' ';
	}
	thumb[3 * sizeof(md) - 1] = '\0';
	for (i = 0; in->ssid[i] && i < 32; i++) {
		ssid_hex[2 * i] = hex[(unsigned char)in->ssid[i] >> 4];
		ssid_hex[2 * i + 1] = hex[(unsigned char)in->ssid[i] & 15];
	}
	ssid_hex[2 * i] = '\0';

	rc = -ENOMEM;
	doc = xmlNewDoc((const xmlChar *)"1.0");
	root = doc ? xmlNewNode(NULL, (const xmlChar *)"WLANProfile") : NULL;
	if (!root)
		goto out;
	xmlDocSetRootElement(doc, root);
	xmlSetNs(root, xmlNewNs(root, (const xmlChar *)NS_WLAN, NULL));
	if (!root->ns || !xml_child(root, NULL, "name", in->ssid))
		goto out;
	n = xml_child(root, NULL, "SSIDConfig", NULL);
	n = n ? xml_child(n, NULL, "SSID", NULL) : NULL;
	if (!n || !xml_child(n, NULL, "hex", ssid_hex) || !xml_child(n, NULL, "name", in->ssid) ||
	    !xml_child(root, NULL, "connectionType", "ESS") ||
	    !xml_child(root, NULL, "connectionMode", "auto"))
		goto out;
	n = xml_child(root, NULL, "MSM", NULL);
	sec = n ? xml_child(n, NULL, "security", NULL) : NULL;
	auth = sec ? xml_child(sec, NULL, "authEncryption", NULL) : NULL;
	if (!auth || !xml_child(auth, NULL, "authentication", in->wpa3 ? "WPA3ENT" : "WPA2") ||
	    !xml_child(auth, NULL, "encryption", "AES") ||
	    !xml_child(auth, NULL, "useOneX", "true"))
		goto out;
	onex = xml_child(sec, NS_ONEX, "OneX", NULL);
	if (!onex || !xml_child(onex, NULL, "authMode", "user"))
		goto out;
	eapcfg = xml_child(onex, NULL, "EAPConfig", NULL);
	host = eapcfg ? xml_child(eapcfg, NS_HOST, "EapHostConfig", NULL) : NULL;
	m = host ? xml_child(host, NULL, "EapMethod", NULL) : NULL;
	if (!m || !xml_child(m, NS_COMMON, "Type", "13") ||
	    !xml_child(m, NS_COMMON, "VendorId", "0") || !xml_child(m, NS_COMMON, "VendorType", "0") ||
	    !xml_child(m, NS_COMMON, "AuthorId", "0"))
		goto out;
	cfg = xml_child(host, NULL, "Config", NULL);
	base = cfg ? xml_child(cfg, NS_BASE, "Eap", NULL) : NULL;
	if (!base || !xml_child(base, NULL, "Type", "13"))
		goto out;
	tls = xml_child(base, NS_TLS1, "EapType", NULL);
	src = tls ? xml_child(tls, NULL, "CredentialsSource", NULL) : NULL;
	store = src ? xml_child(src, NULL, "CertificateStore", NULL) : NULL;
	if (!store || !xml_child(store, NULL, "SimpleCertSelection", "true"))
		goto out;
	val = xml_child(tls, NULL, "ServerValidation", NULL);
	if (!val || !xml_child(val, NULL, "DisableUserPromptForServerValidation", "true") ||
	    !xml_child(val, NULL, "ServerNames", in->server_name) ||
	    !xml_child(val, NULL, "TrustedRootCA", thumb) ||
	    !xml_child(tls, NULL, "DifferentUsername", "false") ||
	    !xml_child(tls, NS_TLS2, "PerformServerValidation", "true") ||
	    !xml_child(tls, NS_TLS2, "AcceptServerName", "true"))
		goto out;
	snprintf(filename, sizeof(filename), "wifi-%.8s.xml", in->device_id);
	rc = xml_finish(doc, "application/xml", filename, out);
out:
	if (rc)
		byod_err_set(err, -rc, "cannot build the Windows profile (out of memory)");
	xmlFreeDoc(doc);
	return rc;
}
