# SPDX-License-Identifier: GPL-2.0-or-later
# People leaving at a date under the real freeradius with rlm_byod: a
# pupil whose leaving date has passed is refused at EAP-TLS, one whose date
# is still to come is accepted; the date is set with byodctl user leave, as
# the rentrée sync (byodctl user sync) sets it.
. "$BYOD_SRC/tests/cli/lib.sh"
. "$BYOD_SRC/tests/radius/lib.sh"
init_school
A=0131234W
cat >"$T/policy.yaml" <<POLICY
segments:
  registration: { vlan: 10, subnet: 10.10.0.0/22 }
  pupils: { vlan: 20, subnet: 10.20.0.0/16 }
rules:
  - name: unknown devices register
    match: { state: unknown }
    segment: registration
  - name: pupils
    match: { role: student }
    segment: pupils
default: registration
POLICY
"$BYODCTL" policy apply "$T/policy.yaml" >/dev/null || { echo "policy apply failed" >&2; exit 1; }
"$BYODCTL" user add lea --role student --school $A >/dev/null
"$BYODCTL" user add tom --role student --school $A >/dev/null
enrol() { # LOGIN: prints the device id; files in $T/dev
	"$BYODCTL" device enrol "$1" --name "phone-$1" --kind phone --out "$T/dev" \
		--json >"$T/$1.json" || { echo "enrol $1 failed" >&2; exit 1; }
	json 'd["device"]' <"$T/$1.json"
}
lea=$(enrol lea)
tom=$(enrol tom)
expect_ok "lea left in 2020" "$BYODCTL" user leave lea 2020-09-01
expect_ok "tom leaves in 2099" "$BYODCTL" user leave tom 2099-07-05
"$BYODCTL" user list --json >"$T/users.json"
check "lea's account is still active (the daily job disables it)" \
	test "$(json '[u["state"] for u in d if u["login"]=="lea"][0]' <"$T/users.json")" = active

radius_setup
radius_start
if eap_tls tom "$T/dev/$tom.pem" "$T/dev/$tom.key" 02:00:00:00:aa:02; then ok; else
	ko "tom, leaving in 2099, is accepted: $(tail -3 "$T/eap.out")"
fi
check "tom in the pupils' VLAN" test "$(eap_vlan)" = 20
if eap_tls lea "$T/dev/$lea.pem" "$T/dev/$lea.key" 02:00:00:00:aa:01; then
	ko "lea, gone since 2020, is accepted"
else
	ok
fi
check "lea's refusal is an Access-Reject" grep -q "Access-Reject" "$T/eap.out"
radius_stop
finish
