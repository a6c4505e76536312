# SPDX-License-Identifier: GPL-2.0-or-later
# Passpoint R1 (application/x-wifi-config), sourced by profiles.sh with $OUT,
# $FILE, $TYPE, $PASS, $T set. Read back as Android's ConfigParser does: the
# file is base64 of a MIME multipart/mixed message (parsed here with Python's
# email package), whose parts are the PPS MO XML (read with xmllint), the
# CA (DER) and a PKCS#12 with no password (read with openssl); then it
# authenticates against the real FreeRADIUS exactly as Android would with
# what the file carries: anonymous@<realm>, domain_suffix_match = the FQDN.
pp="$T/pp"
rm -rf "$pp" && mkdir -p "$pp"
check "passpoint: media type application/x-wifi-config" [ "$TYPE" = application/x-wifi-config ]
check "passpoint: file name wifi-<device>.passpoint.config" \
	[ "$(basename "$FILE")" = "wifi-$(head -c 8 "$OUT/device_id").passpoint.config" ]
check "passpoint: base64 lines are at most 76 characters" \
	awk 'length($0) > 76 { exit 1 }' "$FILE"
if base64 -d "$FILE" >"$pp/mime" 2>/dev/null; then ok; else ko "passpoint: the file is not base64"; fi

# split the MIME message into its parts, as ConfigParser does: outer
# multipart/mixed with a boundary and Content-Transfer-Encoding base64, every
# part base64
python3 - "$pp" <<'PY' >"$pp/parts" 2>"$pp/parts.err"
import email, sys
d = sys.argv[1]
msg = email.message_from_bytes(open(d + "/mime", "rb").read())
assert msg.get_content_type() == "multipart/mixed", msg.get_content_type()
assert msg.get_param("boundary"), "no boundary"
assert msg["Content-Transfer-Encoding"] == "base64", msg["Content-Transfer-Encoding"]
names = {"application/x-passpoint-profile": "pps.xml",
         "application/x-x509-ca-cert": "ca.der",
         "application/x-pkcs12": "pp.p12"}
for part in msg.get_payload():
    assert part["Content-Transfer-Encoding"] == "base64", part["Content-Transfer-Encoding"]
    t = part.get_content_type()
    print(t)
    open(d + "/" + names[t], "wb").write(part.get_payload(decode=True))
PY
if [ $? -eq 0 ]; then ok; else ko "passpoint: MIME message: $(cat "$pp/parts.err")"; fi
check "passpoint: three parts, profile, CA and PKCS#12, in that order" \
	diff <(printf '%s\n' application/x-passpoint-profile application/x-x509-ca-cert application/x-pkcs12) "$pp/parts"

# the PerProviderSubscription MO
pps() {
	xmllint --xpath "string(/*[local-name()='MgmtTree']/*[local-name()='Node'][*[local-name()='NodeName']='PerProviderSubscription']/*[local-name()='Node'][*[local-name()='NodeName']='i001']$1/*[local-name()='Value'])" "$pp/pps.xml" 2>/dev/null
}
n() { printf "/*[local-name()='Node'][*[local-name()='NodeName']='%s']" "$1"; }
# the FQDN: radius.server-name's domain (radius.byod.lan -> byod.lan); the
# realm: wifi.passpoint-realm, or the FQDN when it is ""
read -r want_fqdn realm < <(python3 -c 'import sys, yaml; c = yaml.safe_load(open(sys.argv[1]))
s = c["radius"]["server-name"]; h, _, d = s.partition(".")
f = d if "." in d else s
print(f, c["wifi"].get("passpoint-realm") or f)' "$BYOD_HOME/byod.conf")
check "passpoint: the profile is well-formed XML" xmllint --noout "$pp/pps.xml"
check "passpoint: root MgmtTree in the syncml:dmddf1.2 namespace" \
	[ "$(xmllint --xpath "namespace-uri(/*)" "$pp/pps.xml")" = syncml:dmddf1.2 ]
check "passpoint: DDFName is the PPS MO URN" \
	[ "$(xmllint --xpath "string(//*[local-name()='DDFName'])" "$pp/pps.xml")" = urn:wfa:mo:hotspot2dot0-perprovidersubscription:1.0 ]
check "passpoint: HomeSP/FriendlyName is the school" \
	[ "$(pps "$(n HomeSP)$(n FriendlyName)")" = "Collège des Calanques" ]
check "passpoint: the FQDN and realm are known" test -n "$want_fqdn" -a -n "$realm"
check "passpoint: HomeSP/FQDN is radius.server-name's domain ($want_fqdn)" \
	[ "$(pps "$(n HomeSP)$(n FQDN)")" = "$want_fqdn" ]
check "passpoint: Credential/Realm is the realm" [ "$(pps "$(n Credential)$(n Realm)")" = "$realm" ]
check "passpoint: CertificateType x509v3" \
	[ "$(pps "$(n Credential)$(n DigitalCertificate)$(n CertificateType)")" = x509v3 ]
fp=$(openssl x509 -in "$OUT/device.pem" -outform DER | sha256sum | cut -d' ' -f1)
check "passpoint: CertSHA256Fingerprint is the device certificate's" \
	[ "$(pps "$(n Credential)$(n DigitalCertificate)$(n CertSHA256Fingerprint)")" = "$fp" ]

# the CA part is the school CA
openssl x509 -in "$BYOD_HOME/pki/ca.pem" -outform DER >"$pp/school-ca.der" 2>/dev/null
check "passpoint: the CA part is the school CA (DER)" cmp -s "$pp/ca.der" "$pp/school-ca.der"

# the PKCS#12 opens with no password (Android loads it with new char[0]),
# holds no encrypted bag, and its certificate is the device's
if openssl pkcs12 -in "$pp/pp.p12" -passin pass: -nodes -out "$pp/pp.pem" 2>"$pp/p12.err"; then
	ok
else
	ko "passpoint: the PKCS#12 does not open without a password: $(cat "$pp/p12.err")"
fi
openssl pkcs12 -in "$pp/pp.p12" -passin pass: -info -noout >"$pp/p12.info" 2>&1
check "passpoint: the PKCS#12 is not encrypted (no shrouded key bag, no encrypted data)" \
	bash -c '! grep -qE "Shrouded|PKCS7 Encrypted" "$1"' _ "$pp/p12.info"
check "passpoint: the PKCS#12 holds one certificate, the device's" \
	bash -c '[ "$(grep -c "BEGIN CERTIFICATE" "$1")" = 1 ] &&
		cmp -s <(openssl x509 -in "$1" -outform DER) <(openssl x509 -in "$2" -outform DER)' \
	_ "$pp/pp.pem" "$OUT/device.pem"
check "passpoint: the PKCS#12 key matches the device certificate" \
	bash -c 'cmp -s <(openssl pkey -in "$1" -pubout) <(openssl x509 -in "$2" -pubkey -noout)' \
	_ "$pp/pp.pem" "$OUT/device.pem"

# The names Android checks: it takes HomeSP/FQDN as domain_suffix_match
# (PasspointProvider.getWifiConfig), which wpa_supplicant compares label by
# label with the end of the RADIUS server certificate's DNS names; the
# certificate is the one byodctl init made (pki/radius.pem), not what the
# configuration says it should be.
fqdn=$(pps "$(n HomeSP)$(n FQDN)")
openssl x509 -in "$BYOD_HOME/pki/radius.pem" -noout -ext subjectAltName 2>/dev/null |
	grep -o 'DNS:[^,]*' | sed 's/^DNS://; s/[[:space:]]*$//' >"$pp/radius-names"
check "passpoint: the RADIUS certificate names a DNS host" [ -s "$pp/radius-names" ]
suffix_of() { # suffix_of FQDN NAME: NAME is FQDN or a host under it (case-insensitive)
	local f=${1,,} h=${2,,}
	[ -n "$f" ] && { [ "$h" = "$f" ] || [ "${h%".$f"}" != "$h" ]; }
}
suffix_ok=0
while read -r name; do suffix_of "$fqdn" "$name" && suffix_ok=1; done <"$pp/radius-names"
check "passpoint: HomeSP/FQDN ($fqdn) is a suffix of the RADIUS certificate's name ($(paste -sd, "$pp/radius-names"))" \
	[ "$suffix_ok" = 1 ]

# and it authenticates exactly as Android would with what the file carries:
# the outer identity anonymous@<Credential/Realm> (setAnonymousIdentityToNaiRealm),
# no inner identity (EAP-TLS), domain_suffix_match = HomeSP/FQDN, the CA from
# the file's CA part and the client from its PKCS#12 opened with no password
openssl x509 -inform DER -in "$pp/ca.der" -out "$pp/ca.pem" 2>/dev/null
cred_realm=$(pps "$(n Credential)$(n Realm)")
cat >"$T/pp-android.conf" <<EOC
network={
	key_mgmt=IEEE8021X
	eap=TLS
	anonymous_identity="anonymous@$cred_realm"
	ca_cert="$pp/ca.pem"
	private_key="$pp/pp.p12"
	private_key_passwd=""
	domain_suffix_match="$fqdn"
	eapol_flags=0
}
EOC
eapol_test -c "$T/pp-android.conf" -a 127.0.0.1 -p "$AUTH_PORT" -s "$SECRET" \
	-M 02:00:00:00:aa:01 -t 5 >"$pp/eap.out" 2>&1
if tail -1 "$pp/eap.out" | grep -q '^SUCCESS'; then
	ok
else
	ko "passpoint: EAP-TLS as Android derives it (anonymous@$cred_realm, domain_suffix_match=$fqdn) failed: $(grep -m1 -E 'CTRL-EVENT-EAP-TLS-CERT-ERROR|TLS: Certificate verification failed' "$pp/eap.out") $(tail -1 "$pp/eap.out")"
fi
# the User-Name of every Access-Request is the anonymous one: no login leaves
# the phone in the clear
check "passpoint: every User-Name sent is anonymous@$cred_realm" bash -c \
	'grep -A1 "Attribute 1 (User-Name)" "$1" | grep "Value:" >"$1.names" && [ -s "$1.names" ] &&
	 ! grep -v "Value: '"'"'anonymous@$2'"'"'" "$1.names"' _ "$pp/eap.out" "$cred_realm"
