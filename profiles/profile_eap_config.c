// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The GÉANT eap-config file (EAP metadata, the format the geteduroam apps
 * import on Android, iOS, Windows and Linux): one EAPIdentityProvider with
 * EAP-TLS (type 13), the school CA and the RADIUS server's name to trust,
 * the device's PKCS#12 (in the legacy form, see pki/p12.c) with its
 * passphrase, the SSID it applies to, and the school and its help desk as
 * provider information (which geteduroam's Android app requires). Element
 * order follows eap-metadata.xsd: AuthenticationMethods,
 * CredentialApplicability, ProviderInfo. Built with libxml2's tree API.
 */
#include "profile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmlout.h"

int profile_eap_config(const struct profile_in *in, struct profile_out *out, struct byod_err *err)
{
	xmlDocPtr doc = NULL;
	xmlNodePtr root, idp, methods, method, eap, ssc, csc, appl, ieee, info, help, n;
	const unsigned char *legacy = NULL;
	unsigned char *ca_der = NULL;
	size_t ca_len = 0, legacy_len = 0;
	char *ca64 = NULL, *p1264 = NULL, filename[64];
	int rc;

	memset(out, 0, sizeof(*out));
	rc = profile_check(in, err);
	if (rc)
		return rc;
	rc = profile_cert_der(in->ca, &ca_der, &ca_len);
	if (rc)
		return byod_err_set(err, -rc, "the school CA does not parse");
	/* the legacy PKCS#12 form, which Android up to 13 and iOS read (pki/p12.c) */
	rc = pki_issued_p12(in->cred, PKI_P12_LEGACY, &legacy, &legacy_len, err);
	if (rc) {
		free(ca_der);
		return rc;
	}
	rc = -ENOMEM;
	ca64 = xml_base64(ca_der, ca_len);
	p1264 = xml_base64(legacy, legacy_len);
	doc = xmlNewDoc((const xmlChar *)"1.0");
	if (!ca64 || !p1264 || !doc)
		goto out;
	root = xmlNewNode(NULL, (const xmlChar *)"EAPIdentityProviderList");
	if (!root)
		goto out;
	xmlDocSetRootElement(doc, root);
	if (!xmlNewNs(root, (const xmlChar *)"http://www.w3.org/2001/XMLSchema-instance",
		      (const xmlChar *)"xsi") ||
	    !xmlNewProp(root, (const xmlChar *)"xsi:noNamespaceSchemaLocation",
			(const xmlChar *)"eap-metadata.xsd"))
		goto out;
	idp = xml_child(root, NULL, "EAPIdentityProvider", NULL);
	if (!idp || xml_attr(idp, "ID", in->domain) ||
	    xml_attr(idp, "namespace", "urn:RFC4282:realm") || xml_attr(idp, "lang", "fr") ||
	    xml_attr(idp, "version", "1"))
		goto out;

	methods = xml_child(idp, NULL, "AuthenticationMethods", NULL);
	method = methods ? xml_child(methods, NULL, "AuthenticationMethod", NULL) : NULL;
	eap = method ? xml_child(method, NULL, "EAPMethod", NULL) : NULL;
	if (!eap || !xml_child(eap, NULL, "Type", "13"))
		goto out;
	ssc = xml_child(method, NULL, "ServerSideCredential", NULL);
	n = ssc ? xml_child(ssc, NULL, "CA", ca64) : NULL;
	if (!n || xml_attr(n, "format", "X.509") || xml_attr(n, "encoding", "base64") ||
	    !xml_child(ssc, NULL, "ServerID", in->server_name))
		goto out;
	csc = xml_child(method, NULL, "ClientSideCredential", NULL);
	/* EAP-TLS sends the identity in the clear: the login, as the portal shows */
	if (!csc || !xml_child(csc, NULL, "OuterIdentity", in->identity))
		goto out;
	n = xml_child(csc, NULL, "ClientCertificate", p1264);
	if (!n || xml_attr(n, "format", "PKCS12") || xml_attr(n, "encoding", "base64") ||
	    !xml_child(csc, NULL, "Passphrase", in->cred->passphrase))
		goto out;

	appl = xml_child(idp, NULL, "CredentialApplicability", NULL);
	ieee = appl ? xml_child(appl, NULL, "IEEE80211", NULL) : NULL;
	if (!ieee || !xml_child(ieee, NULL, "SSID", in->ssid) ||
	    !xml_child(ieee, NULL, "MinRSNProto", "CCMP"))
		goto out;

	info = xml_child(idp, NULL, "ProviderInfo", NULL);
	n = info ? xml_child(info, NULL, "DisplayName", in->school) : NULL;
	if (!n || xml_attr(n, "lang", "fr"))
		goto out;
	if ((in->helpdesk_email && in->helpdesk_email[0]) ||
	    (in->helpdesk_url && in->helpdesk_url[0]) ||
	    (in->helpdesk_phone && in->helpdesk_phone[0])) {
		help = xml_child(info, NULL, "Helpdesk", NULL);
		if (!help)
			goto out;
		if (in->helpdesk_email && in->helpdesk_email[0] &&
		    !xml_child(help, NULL, "EmailAddress", in->helpdesk_email))
			goto out;
		if (in->helpdesk_url && in->helpdesk_url[0] &&
		    !xml_child(help, NULL, "WebAddress", in->helpdesk_url))
			goto out;
		if (in->helpdesk_phone && in->helpdesk_phone[0] &&
		    !xml_child(help, NULL, "Phone", in->helpdesk_phone))
			goto out;
	}
	snprintf(filename, sizeof(filename), "wifi-%.8s.eap-config", in->device_id);
	rc = xml_finish(doc, "application/eap-config", filename, out);
out:
	if (rc)
		byod_err_set(err, -rc, "cannot build the eap-config file (out of memory)");
	free(ca_der);
	free(ca64);
	if (p1264) {
		explicit_bzero(p1264, strlen(p1264));
		free(p1264);
	}
	xmlFreeDoc(doc); /* the passphrase and PKCS#12 in it: freed, not kept */
	return rc;
}
