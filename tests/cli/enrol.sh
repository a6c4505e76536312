# SPDX-License-Identifier: GPL-2.0-or-later
# byodctl device enrol / list: what a device receives, checked with the
# openssl command line.
. "$(dirname "$0")/lib.sh"
init_school
"$BYODCTL" user add lea.martin --role student --school 0131234W >/dev/null
ca="$BYOD_HOME/pki/ca.pem"

expect_ok "enrol a phone" "$BYODCTL" device enrol lea.martin --name "Téléphone de Léa" \
	--kind phone --mac AA-BB-CC-DD-EE-01 --out "$T/dev"
id=$(awk '/^device:/ {print $2}' "$T/out")
pass=$(awk '/^passphrase:/ {print $2}' "$T/out")
serial=$(awk '/^serial:/ {print $2}' "$T/out")
check "a device id is printed" test -n "$id"
check "the passphrase is printed" grep -Eq '^[a-z0-9]{4}(-[a-z0-9]{4}){3}$' <<<"$pass"
for f in "$id.p12" "$id.pem" "$id.key" ca.pem; do
	check "enrol wrote $f" test -s "$T/dev/$f"
done
check "the key is 0600" test "$(stat -c %a "$T/dev/$id.key")" = 600
check "the PKCS#12 is 0600" test "$(stat -c %a "$T/dev/$id.p12")" = 600
check "ca.pem is the school CA" cmp "$T/dev/ca.pem" "$ca"

expect_ok "the PKCS#12 opens with the passphrase" \
	openssl pkcs12 -in "$T/dev/$id.p12" -passin "pass:$pass" -nokeys -out "$T/p12cert.pem"
check "the PKCS#12 holds the device certificate" \
	sh -c "openssl x509 -in '$T/p12cert.pem' -noout -subject | grep -q '$id'"
expect_fail "a wrong passphrase does not open it" "." \
	openssl pkcs12 -in "$T/dev/$id.p12" -passin pass:wrong -nokeys
expect_ok "the certificate verifies for a TLS client" \
	openssl verify -purpose sslclient -CAfile "$ca" "$T/dev/$id.pem"
expect_fail "...and not as a TLS server" "." \
	openssl verify -purpose sslserver -CAfile "$ca" "$T/dev/$id.pem"

openssl x509 -in "$T/dev/$id.pem" -noout -text >"$T/cert.txt"
check "the subject is only the device id" \
	test "$(openssl x509 -in "$T/dev/$id.pem" -noout -subject -nameopt RFC2253)" = "subject=CN=$id"
check "SAN is the device URN" grep -q "URI:urn:uuid:$id" "$T/cert.txt"
check "EKU is clientAuth" grep -q "TLS Web Client Authentication" "$T/cert.txt"
check "a CRL distribution point" grep -q "URI:http://portal.byod.lan/crl.der" "$T/cert.txt"
check "the key is P-256" grep -q prime256v1 "$T/cert.txt"
check "valid until 31 August" \
	sh -c "openssl x509 -in '$T/dev/$id.pem' -noout -enddate | grep -q 'Aug 31 23:59:59'"
hex=$(openssl x509 -in "$T/dev/$id.pem" -noout -serial | cut -d= -f2 | tr A-F a-f | sed 's/^0*//')
check "the printed serial is the certificate's" test "$hex" = "$serial"
check "the serial has at least 64 bits" test "${#hex}" -ge 16
check "the key matches the certificate" test \
	"$(openssl pkey -in "$T/dev/$id.key" -pubout | sha256sum)" = \
	"$(openssl x509 -in "$T/dev/$id.pem" -noout -pubkey | sha256sum)"

# From a CSR: the CA decides subject and extensions, not the CSR.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/csr.key" \
	-subj "/CN=Alice Dupont/emailAddress=alice@example.org" -out "$T/good.csr" 2>/dev/null
expect_ok "enrol from a CSR" "$BYODCTL" device enrol lea.martin --name Portable --kind laptop \
	--csr "$T/good.csr" --out "$T/csr" --json
cid=$(json 'd["device"]' <"$T/out")
check "no PKCS#12 or key for a CSR" test ! -e "$T/csr/$cid.p12" -a ! -e "$T/csr/$cid.key"
check "the CSR's subject is not used" \
	test "$(openssl x509 -in "$T/csr/$cid.pem" -noout -subject -nameopt RFC2253)" = "subject=CN=$cid"
check "the certificate carries the CSR's key" test \
	"$(openssl pkey -in "$T/csr.key" -pubout | sha256sum)" = \
	"$(openssl x509 -in "$T/csr/$cid.pem" -noout -pubkey | sha256sum)"

openssl req -new -newkey rsa:1024 -nodes -keyout "$T/weak.key" -subj "/CN=x" \
	-out "$T/weak.csr" 2>/dev/null
expect_fail "a 1024-bit RSA CSR is refused" "RSA.*1024|1024.*RSA|too (small|short|weak)" \
	"$BYODCTL" device enrol lea.martin --name Weak --csr "$T/weak.csr" --out "$T/weak"
expect_fail "an unknown account" "nobody" \
	"$BYODCTL" device enrol nobody --name X --out "$T/x"
expect_fail "a bad MAC" "not a MAC" \
	"$BYODCTL" device enrol lea.martin --name X --mac zz --out "$T/x"

"$BYODCTL" device list --json >"$T/list.json"
check "two devices listed (the refused CSR left none)" test "$(json 'len(d)' <"$T/list.json")" = 2
check "the phone is listed with its owner, MAC and serial" test \
	"$(json '[x["owner"]+" "+x["mac"]+" "+x["certificates"][0]["serial"] for x in d if x["id"]=="'"$id"'"][0]' <"$T/list.json")" = \
	"lea.martin aa:bb:cc:dd:ee:01 $serial"
expect_ok "device list as a table" "$BYODCTL" device list --owner lea.martin
check "the table names the phone" grep -q "Téléphone de Léa" "$T/out"

finish
