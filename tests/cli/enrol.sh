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

# ---- the role's limit (pupils: 2), the same use case as the portal's ------
# lea.martin has two devices now. A third is refused with the one sentence
# the portal shows (its English catalogue is core's table); --retire ID
# retires one of hers in the same step, --force goes past the limit and the
# audit log says who did.
"$BYODCTL" user add hugo --role student --school 0131234W >/dev/null
expect_ok "another pupil's device" "$BYODCTL" device enrol hugo --name "Hugo" --out "$T/hugo" --json
hid=$(json 'd["device"]' <"$T/out")
sentence=$(awk '$0 == "msgid \"enrol.pick_one\"" { getline; sub(/^msgstr "/, ""); sub(/"$/, ""); print }' \
	"$BYOD_SRC/enrol-portal/po/en.po")
check "the portal's English catalogue has the refusal" test -n "$sentence"
expect_fail "a third device at the limit is refused" "most devices allowed" \
	"$BYODCTL" device enrol lea.martin --name Tablette --out "$T/t3"
check "...with the sentence the portal shows, word for word" \
	test "$(cat "$T/err")" = "byodctl: $sentence"
check "...and nothing was enrolled" \
	test "$("$BYODCTL" device list --owner lea.martin --json | json 'len(d)')" = 2
expect_fail "--retire names another pupil's device" "not one of this account" \
	"$BYODCTL" device enrol lea.martin --name Tablette --retire "$hid" --out "$T/t3"
check "...which stays active" test \
	"$("$BYODCTL" device list --json | json '[x["state"] for x in d if x["id"] == "'"$hid"'"][0]')" = active
expect_fail "--retire and --force together" "not both" \
	"$BYODCTL" device enrol lea.martin --name Tablette --retire "$cid" --force --out "$T/t3"

expect_ok "--retire ID retires one of hers and enrols" "$BYODCTL" device enrol lea.martin \
	--name Tablette --kind tablet --retire "$cid" --out "$T/t3" --json
tid=$(json 'd["device"]' <"$T/out")
check "the retired device is named" test "$(json 'd["retired"]' <"$T/out")" = "$cid"
check "...and is RETIRED" test \
	"$("$BYODCTL" device list --json | json '[x["state"] for x in d if x["id"] == "'"$cid"'"][0]')" = retired
check "...the new one active" test \
	"$("$BYODCTL" device list --json | json '[x["state"] for x in d if x["id"] == "'"$tid"'"][0]')" = active
csr_serial=$(openssl x509 -in "$T/csr/$cid.pem" -noout -serial | cut -d= -f2)
check "...and its certificate is in the CRL" sh -c \
	"openssl crl -in '$BYOD_HOME/pki/crl.pem' -noout -text | grep -qi 'Serial Number: 0*${csr_serial#0}\$'"

expect_fail "at the limit again" "most devices allowed" \
	"$BYODCTL" device enrol lea.martin --name Montre --out "$T/t4"
expect_ok "--force goes past the limit" "$BYODCTL" device enrol lea.martin --name Montre \
	--force --out "$T/t4" --json
fid=$(json 'd["device"]' <"$T/out")
check "...said in the output" test "$(json 'd["over_limit"]' <"$T/out")" = True
check "three live devices for a limit of two" test \
	"$("$BYODCTL" device list --owner lea.martin --json | json 'len([x for x in d if x["state"] == "active"])')" = 3
"$BYODCTL" audit --limit 0 --json >"$T/audit.json"
check "the audit log records the override, the device and who forced it" python3 -c '
import json, os, sys
rows = [a for a in json.load(open(sys.argv[1])) if a["action"] == "device.limit-override"]
sys.exit(not (len(rows) == 1 and rows[0]["object"] == sys.argv[2]
	and rows[0]["actor"].startswith("byodctl:") and rows[0]["after"]["limit"] == 2
	and rows[0]["after"]["owner"] == "lea.martin"))' "$T/audit.json" "$fid"

finish
