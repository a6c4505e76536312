// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Android without an app: a Passpoint R1 installation file, the
 * application/x-wifi-config that Android's own installer opens when the
 * browser downloads it. The file is base64 of a MIME multipart/mixed
 * message with three base64 parts:
 *
 *   application/x-passpoint-profile  the PerProviderSubscription MO (OMA-DM
 *                                    SyncML XML): HomeSP and Credential
 *   application/x-x509-ca-cert       the school CA, DER
 *   application/x-pkcs12             the device's key and certificate
 *
 * Sources: source.android.com, "Passpoint R1" (File composition: the PKCS#12
 * "container as well as the private key and the certificates must all be in
 * clear text with no password"; the EAP-TLS Credential is DigitalCertificate
 * with CertificateType x509v3 and CertSHA256Fingerprint of the client
 * certificate); AOSP frameworks/base wifi/java/android/net/wifi/hotspot2/
 * ConfigParser.java (the outer header must say multipart/mixed, carry a
 * boundary and Content-Transfer-Encoding: base64; each part must be base64;
 * parsePkcs12() loads the PKCS#12 with new char[0] and getKey(alias, null)
 * and insists on exactly one entry).
 *
 * Hence the PKCS#12 here is not the one locked with the device's passphrase
 * but pki's clear form (PKI_P12_CLEAR, pki/p12.c): no password, key and
 * certificate unencrypted, one entry (the CA travels in its own part, not in
 * the PKCS#12, so the keystore has exactly one alias). The MAC is computed
 * over the empty password, which Bouncy Castle's char[0] matches. Android's
 * Credential validation refuses an R1 certificate credential without the CA
 * part and without a client key and chain, so all three parts are always
 * written.
 *
 * AAAServerTrustRoot is left out on purpose: Android's
 * PasspointConfiguration.validate() rejects a trust root without a CertURL,
 * and the CA is delivered in the x-x509-ca-cert part anyway.
 *
 * The names (byod_passpoint_names, common/dnsname.c): Android connects with
 * domain_suffix_match = HomeSP/FQDN and the outer identity
 * anonymous@<Credential/Realm> (PasspointProvider.getWifiConfig). The FQDN
 * is therefore the RADIUS server's domain, radius.server-name without its
 * host label (radius.byod.lan -> byod.lan), a suffix of the name in the
 * RADIUS certificate; never the portal's host name, which the RADIUS
 * certificate does not carry. The realm is wifi.passpoint-realm, or the
 * FQDN.
 */
#include "profile.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "byod_util.h"

#define PPS_NS	 "syncml:dmddf1.2"
#define PPS_URN	 "urn:wfa:mo:hotspot2dot0-perprovidersubscription:1.0"
#define BOUNDARY "byod-passpoint-boundary"

/* Appends base64 of data in lines of 76 characters, each ended by eol
 * (RFC 2045 section 6.8): 57 input bytes make one 76-character line. */
static void buf_base64(struct profile_buf *b, const unsigned char *data, size_t len, const char *eol)
{
	unsigned char line[80];
	size_t off, n;
	int w;

	for (off = 0; off < len; off += n) {
		n = len - off < 57 ? len - off : 57;
		w = EVP_EncodeBlock(line, data + off, (int)n);
		profile_buf_add(b, line, (size_t)w);
		profile_buf_str(b, eol);
	}
	explicit_bzero(line, sizeof(line));
}

static xmlNodePtr pps_node(xmlNodePtr parent, xmlNsPtr ns, const char *name, const char *value)
{
	xmlNodePtr n = xmlNewChild(parent, ns, BAD_CAST "Node", NULL);

	if (!n || !xmlNewTextChild(n, ns, BAD_CAST "NodeName", BAD_CAST name))
		return NULL;
	if (value && !xmlNewTextChild(n, ns, BAD_CAST "Value", BAD_CAST value))
		return NULL;
	return n;
}

/*
 * The PerProviderSubscription MO, as in the example of source.android.com's
 * "Passpoint R1" page:
 *   MgmtTree/PerProviderSubscription/i001/HomeSP/{FriendlyName,FQDN}
 *   .../Credential/{Realm,DigitalCertificate/{CertificateType,CertSHA256Fingerprint}}
 * Returns 0 and a malloc'd (xmlMalloc) UTF-8 document in *xml, or -ENOMEM.
 */
static int pps_xml(const struct profile_in *in, const char *fqdn, const char *realm,
		   const char *cert_sha256, xmlChar **xml, int *xml_len)
{
	xmlNodePtr root, pps, rt, type, i001, home, cred, dc;
	xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
	xmlNsPtr ns;
	int rc = -ENOMEM;

	*xml = NULL;
	root = doc ? xmlNewNode(NULL, BAD_CAST "MgmtTree") : NULL;
	if (!root)
		goto out;
	xmlDocSetRootElement(doc, root);
	ns = xmlNewNs(root, BAD_CAST PPS_NS, NULL);
	if (!ns)
		goto out;
	xmlSetNs(root, ns);
	if (!xmlNewTextChild(root, ns, BAD_CAST "VerDTD", BAD_CAST "1.2"))
		goto out;
	pps = pps_node(root, ns, "PerProviderSubscription", NULL);
	rt = pps ? xmlNewChild(pps, ns, BAD_CAST "RTProperties", NULL) : NULL;
	type = rt ? xmlNewChild(rt, ns, BAD_CAST "Type", NULL) : NULL;
	if (!type || !xmlNewTextChild(type, ns, BAD_CAST "DDFName", BAD_CAST PPS_URN))
		goto out;
	i001 = pps_node(pps, ns, "i001", NULL);
	home = i001 ? pps_node(i001, ns, "HomeSP", NULL) : NULL;
	if (!home || !pps_node(home, ns, "FriendlyName", in->school) ||
	    !pps_node(home, ns, "FQDN", fqdn))
		goto out;
	cred = pps_node(i001, ns, "Credential", NULL);
	if (!cred || !pps_node(cred, ns, "Realm", realm))
		goto out;
	dc = pps_node(cred, ns, "DigitalCertificate", NULL);
	if (!dc || !pps_node(dc, ns, "CertificateType", "x509v3") ||
	    !pps_node(dc, ns, "CertSHA256Fingerprint", cert_sha256))
		goto out;
	xmlDocDumpFormatMemoryEnc(doc, xml, xml_len, "UTF-8", 1);
	if (*xml)
		rc = 0;
out:
	xmlFreeDoc(doc);
	return rc;
}

static void mime_part(struct profile_buf *b, const char *type, const unsigned char *data, size_t len)
{
	profile_buf_str(b, "--" BOUNDARY "\r\nContent-Type: ");
	profile_buf_str(b, type);
	profile_buf_str(b, "\r\nContent-Transfer-Encoding: base64\r\n\r\n");
	buf_base64(b, data, len, "\r\n");
}

int profile_passpoint(const struct profile_in *in, struct profile_out *out, struct byod_err *err)
{
	unsigned char md[EVP_MAX_MD_SIZE], *ca_der = NULL, *cert_der = NULL;
	const unsigned char *p12_der = NULL;
	size_t p12_len = 0;
	int ca_len, cert_len, xml_len = 0, rc;
	char fp[2 * EVP_MAX_MD_SIZE + 1], fqdn[BYOD_DNS_MAX], realm[BYOD_DNS_MAX];
	struct profile_buf mime = {0}, file = {0};
	xmlChar *xml = NULL;
	unsigned int mdlen = 0, i;

	memset(out, 0, sizeof(*out));
	rc = profile_check(in, err);
	if (!rc)
		rc = byod_passpoint_names(in->server_name, in->passpoint_realm, fqdn, realm, err);
	if (rc)
		return rc;

	ca_len = i2d_X509(in->ca, &ca_der);
	cert_len = i2d_X509(in->cred->cert, &cert_der);
	if (ca_len <= 0 || cert_len <= 0 ||
	    !EVP_Digest(cert_der, (size_t)cert_len, md, &mdlen, EVP_sha256(), NULL)) {
		rc = byod_err_set(err, EINVAL,
				  "the device certificate or the school CA is unreadable");
		goto out;
	}
	for (i = 0; i < mdlen; i++)
		snprintf(fp + 2 * i, 3, "%02x", md[i]);

	rc = pps_xml(in, fqdn, realm, fp, &xml, &xml_len);
	if (rc) {
		byod_err_set(err, -rc, "out of memory building the Passpoint profile");
		goto out;
	}
	rc = pki_issued_p12(in->cred, PKI_P12_CLEAR, &p12_der, &p12_len, err);
	if (rc) {
		byod_err_prefix(err, "the device's key does not make a PKCS#12 for Android");
		goto out;
	}

	/* The layout ConfigParser.parseMimeMultipartMessage() reads: headers,
	 * a blank line, then the parts, ending with --boundary--. */
	profile_buf_str(&mime, "MIME-Version: 1.0\r\n"
		       "Content-Type: multipart/mixed; boundary=" BOUNDARY "\r\n"
		       "Content-Transfer-Encoding: base64\r\n"
		       "\r\n");
	mime_part(&mime, "application/x-passpoint-profile", xml, (size_t)xml_len);
	mime_part(&mime, "application/x-x509-ca-cert", ca_der, (size_t)ca_len);
	mime_part(&mime, "application/x-pkcs12", p12_der, p12_len);
	profile_buf_str(&mime, "--" BOUNDARY "--\r\n");
	if (!mime.oom)
		buf_base64(&file, (const unsigned char *)mime.buf.p, mime.buf.len, "\n");
	if (mime.oom || file.oom) {
		rc = byod_err_set(err, ENOMEM, "out of memory building the Passpoint profile");
		goto out;
	}

	out->data = profile_buf_take(&file, &out->len);
	if (!out->data) {
		rc = byod_err_set(err, ENOMEM, "out of memory building the Passpoint profile");
		goto out;
	}
	out->type = "application/x-wifi-config";
	snprintf(out->filename, sizeof(out->filename), "wifi-%.8s.passpoint.config", in->device_id);
	rc = 0;
out:
	/* p12_der is the enrolment's (in->cred), wiped when it is cleared */
	profile_buf_wipe(&mime);
	profile_buf_wipe(&file);
	OPENSSL_free(ca_der);
	OPENSSL_free(cert_der);
	xmlFree(xml);
	return rc;
}
