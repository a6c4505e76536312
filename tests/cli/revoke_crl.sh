# SPDX-License-Identifier: GPL-2.0-or-later
# byodctl device revoke and ca crl: a revoked certificate is in the CRL and
# openssl then refuses it; the audit log and the change feed record it.
. "$(dirname "$0")/lib.sh"
init_school
"$BYODCTL" user add hugo --role student --school 0131234W >/dev/null
ca="$BYOD_HOME/pki/ca.pem"

enrol() { # past the pupils' limit of 2: three devices are revoked here
	"$BYODCTL" device enrol hugo --name "$1" --force --out "$T/dev" --json >"$T/$1.json" ||
		{ echo "enrol $1 failed" >&2; exit 1; }
}
enrol one
enrol two
enrol three
id1=$(json 'd["device"]' <"$T/one.json")
id2=$(json 'd["device"]' <"$T/two.json")
id3=$(json 'd["device"]' <"$T/three.json")
s1=$(json 'd["serial"]' <"$T/one.json")
s2=$(json 'd["serial"]' <"$T/two.json")

expect_ok "revoke by id" "$BYODCTL" device revoke "$id1" --reason lost
# by serial, as openssl prints it
upper=$(openssl x509 -in "$T/dev/$id2.pem" -noout -serial | cut -d= -f2)
expect_ok "revoke by serial" "$BYODCTL" device revoke "$upper" --reason superseded
check "revoke names the device" grep -q "$id2" "$T/out"
expect_fail "revoking twice" "already revoked" "$BYODCTL" device revoke "$id1"
expect_fail "an unknown device" "." "$BYODCTL" device revoke 00000000-0000-4000-8000-000000000000
expect_fail "an unknown reason" "unknown reason" "$BYODCTL" device revoke "$id3" --reason bored

expect_ok "ca crl (PEM)" "$BYODCTL" ca crl --out "$T/crl.pem"
expect_ok "the CRL is signed by the CA" openssl crl -in "$T/crl.pem" -CAfile "$ca" -noout
openssl crl -in "$T/crl.pem" -noout -text >"$T/crl.txt"
check "the first serial is in the CRL" grep -qi "Serial Number: 0*$s1\$" "$T/crl.txt"
check "the second serial is in the CRL" grep -qi "Serial Number: 0*$s2\$" "$T/crl.txt"
check "the reasons are recorded" grep -q "Key Compromise" "$T/crl.txt"
check "superseded too" grep -q "Superseded" "$T/crl.txt"
check "a CRL number" grep -q "X509v3 CRL Number" "$T/crl.txt"
check "a nextUpdate" grep -q "Next Update" "$T/crl.txt"
expect_fail "openssl refuses the revoked certificate" "revoked" \
	openssl verify -crl_check -CRLfile "$T/crl.pem" -CAfile "$ca" "$T/dev/$id1.pem"
expect_ok "openssl accepts the one still valid" \
	openssl verify -crl_check -CRLfile "$T/crl.pem" -CAfile "$ca" "$T/dev/$id3.pem"
check "the portal's copy is current" cmp <(openssl crl -in "$BYOD_HOME/pki/crl.pem" -noout -text | grep Serial) \
	<(grep Serial "$T/crl.txt")
expect_ok "ca crl (DER)" "$BYODCTL" ca crl --out "$T/crl.der"
expect_ok "the DER CRL reads" openssl crl -inform DER -in "$T/crl.der" -noout

"$BYODCTL" device list --json >"$T/list.json"
check "the devices are revoked" test \
	"$(json '" ".join(sorted(x["state"] for x in d))' <"$T/list.json")" = "active revoked revoked"
"$BYODCTL" audit --json >"$T/audit.json"
check "the audit log has the revocations with before and after" test \
	"$(json 'len([a for a in d if a["action"]=="cert.revoke" and a["before"] and a["after"]])' <"$T/audit.json")" = 2
check "the audit log names the actor" test \
	"$(json 'all(a["actor"].startswith("byodctl:") for a in d if a["action"]=="cert.revoke")' <"$T/audit.json")" = True
"$BYODCTL" events >"$T/events.txt"
check "the change feed has the revocations" test "$(grep -c ' cert.revoke ' "$T/events.txt")" = 2
check "the change feed is in order" sh -c "cut -d' ' -f1 '$T/events.txt' | sort -n -c"
last=$(tail -1 "$T/events.txt" | cut -d' ' -f1)
"$BYODCTL" events --since "$last" >"$T/none.txt"
check "nothing after the newest event" test ! -s "$T/none.txt"

finish
