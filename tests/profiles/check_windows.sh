# SPDX-License-Identifier: GPL-2.0-or-later
# The Windows WLAN profile (netsh wlan add profile), sourced by profiles.sh
# with $OUT, $FILE, $TYPE, $PASS, $T set: read with xmllint, every field
# checked by XPath in its Microsoft namespace, the CA thumbprint compared
# with openssl's; then the PKCS#12 offered beside it authenticates against
# the server name the profile validates.
x() { xmllint --xpath "$1" "$FILE" 2>/dev/null; }
el() { x "string(//*[local-name()='$1'])"; }
ns() { x "namespace-uri(//*[local-name()='$1'])"; }
check "windows: media type application/xml" [ "$TYPE" = application/xml ]
check "windows: well-formed XML" xmllint --noout "$FILE"
check "windows: a WLANProfile in Microsoft's namespace" \
	[ "$(x 'local-name(/*)') $(x 'namespace-uri(/*)')" = "WLANProfile http://www.microsoft.com/networking/WLAN/profile/v1" ]
check "windows: name and SSID" [ "$(el name)" = "Collège-BYOD" ]
check "windows: the SSID in hex" \
	[ "$(el hex)" = "$(printf '%s' 'Collège-BYOD' | od -An -tx1 | tr -d ' \n' | tr a-f A-F)" ]
check "windows: ESS, connecting by itself" [ "$(el connectionType)/$(el connectionMode)" = ESS/auto ]
check "windows: WPA3-Enterprise (security: wpa3), AES, 802.1X" \
	[ "$(el authentication)/$(el encryption)/$(el useOneX)" = WPA3ENT/AES/true ]
check "windows: OneX in its namespace" [ "$(ns OneX)" = http://www.microsoft.com/networking/OneX/v1 ]
check "windows: the EAP method is 13 (EapCommon)" \
	[ "$(x "string(//*[local-name()='EapMethod']/*[local-name()='Type'])")" = 13 ]
check "windows: EAP-TLS connection properties" \
	[ "$(ns EapType)" = http://www.microsoft.com/provisioning/EapTlsConnectionPropertiesV1 ]
check "windows: the certificate from the user's store" [ "$(el SimpleCertSelection)" = true ]
server=$(el ServerNames)
check "windows: the server validated by name" [ "$server" = radius.byod.lan ]
check "windows: no prompt to trust another server" \
	[ "$(el DisableUserPromptForServerValidation)/$(el PerformServerValidation)" = true/true ]
check "windows: the school CA's thumbprint" \
	[ "$(el TrustedRootCA)" = "$(openssl x509 -in "$BYOD_HOME/pki/ca.pem" -noout -fingerprint -sha1 |
		cut -d= -f2 | tr A-F a-f | tr ':' ' ')" ]
if eap_tls_with win "$BYOD_HOME/pki/ca.pem" "" "$OUT/device.p12" "$PASS" "$server"; then ok; else
	ko "windows: eapol_test with the PKCS#12 and ServerNames: $(tail -3 "$T/eap.out")"; fi
