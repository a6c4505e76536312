# SPDX-License-Identifier: GPL-2.0-or-later
# The GÉANT eap-config (geteduroam apps), sourced by profiles.sh with $OUT,
# $FILE, $TYPE, $PASS, $T set: well-formed XML read with xmllint, every field
# checked by XPath, the embedded PKCS#12 opened with the embedded passphrase,
# then used with eapol_test and the ServerID the file names.
ec="$T/ec"
rm -rf "$ec" && mkdir -p "$ec"
x() { xmllint --xpath "$1" "$FILE" 2>/dev/null; }
el() { x "string(//*[local-name()='$1'])"; }
check "eap-config: media type application/eap-config" [ "$TYPE" = application/eap-config ]
check "eap-config: well-formed XML" xmllint --noout "$FILE"
check "eap-config: the root is EAPIdentityProviderList" \
	[ "$(x 'name(/*)')" = EAPIdentityProviderList ]
check "eap-config: one provider, ID the portal's domain" \
	[ "$(x 'string(/EAPIdentityProviderList/EAPIdentityProvider/@ID)')" = portal.byod.lan ]
check "eap-config: namespace urn:RFC4282:realm" \
	[ "$(x 'string(//EAPIdentityProvider/@namespace)')" = urn:RFC4282:realm ]
check "eap-config: EAP type 13 (TLS), and only that" \
	[ "$(x 'count(//AuthenticationMethod)')/$(x 'string(//AuthenticationMethod/EAPMethod/Type)')" = 1/13 ]
check "eap-config: the CA is X.509 in base64" \
	[ "$(x 'string(//ServerSideCredential/CA/@format)')/$(x 'string(//ServerSideCredential/CA/@encoding)')" = X.509/base64 ]
check "eap-config: the CA is the school CA" \
	[ "$(el CA)" = "$(openssl x509 -in "$BYOD_HOME/pki/ca.pem" -outform DER | base64 -w0)" ]
server=$(el ServerID)
check "eap-config: ServerID is the RADIUS server's name" [ "$server" = radius.byod.lan ]
check "eap-config: the identity is the login" [ "$(el OuterIdentity)" = lea.martin ]
check "eap-config: the client certificate is a PKCS#12 in base64" \
	[ "$(x 'string(//ClientCertificate/@format)')/$(x 'string(//ClientCertificate/@encoding)')" = PKCS12/base64 ]
el ClientCertificate | base64 -d >"$ec/ec.p12"
pw=$(el Passphrase)
check "eap-config: the Passphrase opens the PKCS#12" \
	openssl pkcs12 -in "$ec/ec.p12" -passin "pass:$pw" -nokeys -clcerts -out "$ec/ec.pem"
openssl pkcs12 -in "$ec/ec.p12" -passin "pass:$pw" -info -noout >"$ec/info" 2>&1
check "eap-config: the PKCS#12 in the legacy form (3DES, SHA-1 MAC)" sh -c \
	"grep -q pbeWithSHA1And3-KeyTripleDES-CBC '$ec/info' && grep -q 'MAC: sha1' '$ec/info'"
check "eap-config: ...which holds the device certificate" \
	cmp <(openssl x509 -in "$ec/ec.pem" -outform DER) <(openssl x509 -in "$OUT/device.pem" -outform DER)
check "eap-config: SSID and CCMP" \
	[ "$(el SSID)/$(el MinRSNProto)" = "Collège-BYOD/CCMP" ]
check "eap-config: the school as provider" [ "$(el DisplayName)" = "Collège des Calanques" ]
check "eap-config: the help desk" \
	[ "$(el EmailAddress)|$(el WebAddress)|$(el Phone)" = "wifi@college-calanques.fr|https://www.college-calanques.fr/wifi|+33 4 91 00 00 00" ]
check "eap-config: the XSD's order: methods, applicability, provider" \
	[ "$(x 'name(//EAPIdentityProvider/*[1])') $(x 'name(//EAPIdentityProvider/*[2])') $(x 'name(//EAPIdentityProvider/*[3])')" = "AuthenticationMethods CredentialApplicability ProviderInfo" ]
if eap_tls_with eapcfg "$BYOD_HOME/pki/ca.pem" "" "$ec/ec.p12" "$pw" "$server"; then ok; else
	ko "eap-config: eapol_test with its PKCS#12 and ServerID: $(tail -3 "$T/eap.out")"; fi
