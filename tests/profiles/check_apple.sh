# SPDX-License-Identifier: GPL-2.0-or-later
# Apple .mobileconfig (sourced by profiles.sh with $FILE, $OUT, $PASS, $T):
# the CMS signature verifies against the school CA, plistlib reads every
# field the device acts on, the embedded PKCS#12 opens with the embedded
# password, and the identity it carries authenticates with eapol_test.

check "apple: media type is application/x-apple-aspen-config" \
	test "$TYPE" = "application/x-apple-aspen-config"
check "apple: file name is wifi-<8 chars of device id>.mobileconfig" \
	test "$(basename "$FILE")" = "wifi-$(head -c 8 "$OUT/device_id").mobileconfig"

# The signature covers the content and chains to the school CA. The portal
# certificate is a serverAuth certificate, hence -purpose any.
rm -f "$T/apple.plist"
if openssl cms -verify -inform DER -in "$FILE" -CAfile "$BYOD_HOME/pki/ca.pem" \
	-purpose any -out "$T/apple.plist" >/dev/null 2>"$T/apple.verify"; then
	ok
else
	ko "apple: openssl cms -verify: $(cat "$T/apple.verify")"
fi
# A tampered signed profile must not verify (the check above can fail).
python3 - "$FILE" "$T/apple.tampered" <<'PY'
import sys
d = bytearray(open(sys.argv[1], "rb").read())
i = d.find(b"<string>lea.martin</string>")
d[i + 8] ^= 0x20
open(sys.argv[2], "wb").write(d)
PY
if openssl cms -verify -inform DER -in "$T/apple.tampered" -CAfile "$BYOD_HOME/pki/ca.pem" \
	-purpose any -out /dev/null >/dev/null 2>&1; then
	ko "apple: a tampered profile verified"
else
	ok
fi

openssl x509 -in "$BYOD_HOME/pki/ca.pem" -outform DER -out "$T/apple-ca.der"
# apple_field DESCRIPTION PYTHON-EXPR: EXPR over the plist must be true;
# r, p, w, e are the root, pkcs12 and wifi payloads and the EAP dict.
apple_field() {
	local what=$1 expr=$2
	if python3 - "$T/apple.plist" "$T/apple-ca.der" "$expr" >"$T/apple.py" 2>&1 <<'PY'
import plistlib, sys
d = plistlib.load(open(sys.argv[1], "rb"))
ca = open(sys.argv[2], "rb").read()
by = {x["PayloadType"]: x for x in d["PayloadContent"]}
r = by.get("com.apple.security.root", {})
p = by.get("com.apple.security.pkcs12", {})
w = by.get("com.apple.wifi.managed", {})
e = w.get("EAPClientConfiguration", {})
sys.exit(0 if eval(sys.argv[3]) else 1)
PY
	then ok; else ko "apple: $what ($(tail -1 "$T/apple.py"))"; fi
}
did=$(cat "$OUT/device_id")
apple_field "Configuration profile, version 1" \
	'd["PayloadType"] == "Configuration" and d["PayloadVersion"] == 1'
apple_field "identifier is the reversed portal name + device id" \
	"d['PayloadIdentifier'] == 'lan.byod.portal.byod.$did'"
apple_field "display name and organisation name the school" \
	'd["PayloadDisplayName"] == "Wi-Fi Collège des Calanques" and d["PayloadOrganization"] == "Collège des Calanques"'
apple_field "description gives the help desk" \
	'"wifi@college-calanques.fr" in d["PayloadDescription"] and "+33 4 91 00 00 00" in d["PayloadDescription"]'
apple_field "removal allowed" 'd["PayloadRemovalDisallowed"] is False'
apple_field "three payloads: root, pkcs12, wifi.managed" \
	'sorted(x["PayloadType"] for x in d["PayloadContent"]) == ["com.apple.security.pkcs12", "com.apple.security.root", "com.apple.wifi.managed"]'
apple_field "payload UUIDs are distinct uppercase UUIDs" \
	'len({x["PayloadUUID"] for x in d["PayloadContent"]} | {d["PayloadUUID"]}) == 4 and all(__import__("re").fullmatch("[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}", u) for u in [d["PayloadUUID"]] + [x["PayloadUUID"] for x in d["PayloadContent"]])'
apple_field "root payload is the school CA in DER" \
	'r["PayloadContent"] == ca and r["PayloadCertificateFileName"] == "ca.crt"'
apple_field "pkcs12 file name is the device id" \
	"p['PayloadCertificateFileName'] == '$did.p12'"
apple_field "SSID" 'w["SSID_STR"] == "Collège-BYOD"'
apple_field "EncryptionType WPA3" 'w["EncryptionType"] == "WPA3"'
apple_field "not hidden, auto-join, not a hotspot" \
	'w["HIDDEN_NETWORK"] is False and w["AutoJoin"] is True and w["IsHotspot"] is False'
apple_field "AcceptEAPTypes == [13]" 'e["AcceptEAPTypes"] == [13]'
apple_field "TLSTrustedServerNames" 'e["TLSTrustedServerNames"] == ["radius.byod.lan"]'
apple_field "anchor is the root payload" 'e["PayloadCertificateAnchorUUID"] == [r["PayloadUUID"]]'
apple_field "identity is the pkcs12 payload" 'w["PayloadCertificateUUID"] == p["PayloadUUID"]'
apple_field "UserName" 'e["UserName"] == "lea.martin"'
apple_field "TLS 1.2 minimum" 'e["TLSMinimumVersion"] == "1.2"'
APPLE_PASS=$PASS apple_field "Password is the device passphrase" \
	'p["Password"] == __import__("os").environ["APPLE_PASS"]'

# The embedded PKCS#12 opens with the embedded password and is the device's
python3 - "$T/apple.plist" "$T/apple.p12" "$T/apple.pw" <<'PY'
import plistlib, sys
d = plistlib.load(open(sys.argv[1], "rb"))
p = [x for x in d["PayloadContent"] if x["PayloadType"] == "com.apple.security.pkcs12"][0]
open(sys.argv[2], "wb").write(p["PayloadContent"])
open(sys.argv[3], "w").write(p["Password"])
PY
check "apple: the embedded Password opens the embedded PKCS#12" \
	openssl pkcs12 -in "$T/apple.p12" -passin "file:$T/apple.pw" -nokeys -out "$T/apple-p12.pem"
openssl pkcs12 -in "$T/apple.p12" -passin "file:$T/apple.pw" -info -noout >"$T/apple-p12.info" 2>&1
check "apple: the embedded PKCS#12 is in the legacy form Apple reads (3DES)" \
	grep -q 'pbeWithSHA1And3-KeyTripleDES-CBC' "$T/apple-p12.info"
check "apple: ...with a SHA-1 MAC" grep -q 'MAC: sha1' "$T/apple-p12.info"
check "apple: ...and no AES anywhere in it" sh -c "! grep -qi 'aes' '$T/apple-p12.info'"
check "apple: the embedded PKCS#12 holds the device certificate" \
	cmp <(openssl x509 -in "$T/apple-p12.pem" -outform DER) \
	<(openssl x509 -in "$OUT/device.pem" -outform DER)

# The identity authenticates against the real server, also with the name the
# profile trusts as the server's
check "apple: EAP-TLS with the embedded PKCS#12" \
	eap_tls_with apple "$BYOD_HOME/pki/ca.pem" "" "$T/apple.p12" "$PASS"
srv=$(python3 -c 'import plistlib,sys; d=plistlib.load(open(sys.argv[1],"rb")); print([x for x in d["PayloadContent"] if x["PayloadType"]=="com.apple.wifi.managed"][0]["EAPClientConfiguration"]["TLSTrustedServerNames"][0])' "$T/apple.plist")
check "apple: EAP-TLS trusting TLSTrustedServerNames ($srv)" \
	eap_tls_with apple "$BYOD_HOME/pki/ca.pem" "" "$T/apple.p12" "$PASS" "$srv"
if eap_tls_with apple "$BYOD_HOME/pki/ca.pem" "" "$T/apple.p12" "$PASS" "not-$srv"; then
	ko "apple: EAP-TLS succeeded with a server name the profile does not trust"
else
	ok
fi

if command -v plistutil >/dev/null; then
	check "apple: plistutil reads the profile" \
		plistutil -i "$T/apple.plist" -o "$T/apple.bplist"
fi
rm -f "$T/apple.pw"
