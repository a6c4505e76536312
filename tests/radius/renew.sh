# SPDX-License-Identifier: GPL-2.0-or-later
# Renewal at RADIUS, with the real freeradius, rlm_byod and eapol_test: a
# device renewed (byodctl device renew) keeps its old certificate working
# until the new one is first accepted; that first EAP-TLS accept is queued
# by the module and written at its next flush (counts_interval 1 s), which
# revokes the old certificate (superseded, audited) and, through the change
# feed, the old one is refused within about two seconds. A certificate that
# replaces nothing is never written for being seen.
. "$BYOD_SRC/tests/cli/lib.sh"
. "$BYOD_SRC/tests/radius/lib.sh"
init_school
cat >"$T/policy.yaml" <<POLICY
segments:
  registration: { vlan: 10, subnet: 10.10.0.0/22 }
  pupils: { vlan: 20, subnet: 10.20.0.0/16 }
rules:
  - name: pupils
    match: { role: student }
    segment: pupils
default: registration
POLICY
"$BYODCTL" policy apply "$T/policy.yaml" >/dev/null || { echo "policy apply failed" >&2; exit 1; }
"$BYODCTL" user add lea --role student --school 0131234W >/dev/null
"$BYODCTL" user add zoe --role student --school 0131234W >/dev/null
"$BYODCTL" device enrol lea --name phone-lea --kind phone --out "$T/old" --json >"$T/lea.json" ||
	{ echo "enrol failed" >&2; exit 1; }
id=$(json 'd["device"]' <"$T/lea.json")
s1=$(json 'd["serial"]' <"$T/lea.json")
"$BYODCTL" device enrol zoe --name phone-zoe --kind phone --out "$T/zoe" --json >"$T/zoe.json" ||
	{ echo "enrol failed" >&2; exit 1; }
zoe=$(json 'd["device"]' <"$T/zoe.json")
zs=$(json 'd["serial"]' <"$T/zoe.json")
# --force: the window depends on the day the test runs (cli_renew checks it)
expect_ok "renew lea's phone" "$BYODCTL" device renew "$id" --force --out "$T/new" --json
s2=$(json 'd["serial"]' <"$T/out")
check "the same device" test "$(json 'd["device"]' <"$T/out")" = "$id"
check "a new certificate" test -n "$s2" -a "$s2" != "$s1"

radius_setup
sed -i -e 's/^\(\s*\)counts_interval = .*/\1counts_interval = 1/' "$RADDB/mods-enabled/byod"
check "the module's configuration takes counts_interval 1" \
	grep -Eq '^\s*counts_interval = 1$' "$RADDB/mods-enabled/byod"
radius_start

sql() { sqlite3 "$BYOD_HOME/registry.db" "$1"; }
state_of() { sql "SELECT state || ',' || COALESCE(reason, '') FROM certificates WHERE serial = '$1'"; }
old_refused() { ! eap_tls lea "$T/old/$id.pem" "$T/old/$id.key" 02:00:00:00:aa:01; }

if eap_tls lea "$T/old/$id.pem" "$T/old/$id.key" 02:00:00:00:aa:01; then ok; else
	ko "the old certificate is accepted before the new one is seen: $(tail -3 "$T/eap.out")"; fi
sleep 2 # two flushes: nothing to write yet
if eap_tls lea "$T/old/$id.pem" "$T/old/$id.key" 02:00:00:00:aa:01; then ok; else
	ko "the old certificate is still accepted after the flushes: $(tail -3 "$T/eap.out")"; fi
check "the old certificate is still valid" test "$(state_of "$s1")" = "valid,"

# a certificate that replaces nothing: accepted, never written
if eap_tls zoe "$T/zoe/$zoe.pem" "$T/zoe/$zoe.key" 02:00:00:00:aa:02; then ok; else
	ko "zoe's certificate is accepted: $(tail -3 "$T/eap.out")"; fi

if eap_tls lea "$T/new/$id.pem" "$T/new/$id.key" 02:00:00:00:aa:01; then ok; else
	ko "the new certificate authenticates: $(tail -3 "$T/eap.out")"; fi
start=$(date +%s%N)
if wait_for 40 old_refused; then ok; else ko "the old certificate is refused within 4 s"; fi
took=$((($(date +%s%N) - start) / 1000000))
echo "old certificate refused $took ms after the new one's first accept"
check "...within about two seconds ($took ms)" test "$took" -le 2500
check "the old certificate is revoked, superseded (4)" test "$(state_of "$s1")" = "revoked,4"
check "the new one's first sighting is recorded" \
	test "$(sql "SELECT first_seen > 0 FROM certificates WHERE serial = '$s2'")" = 1
check "the revocation is audited, with the module as actor" test "$(sql \
	"SELECT actor FROM audit WHERE action = 'cert.supersede' AND object = '$s1'")" = rlm_byod
if eap_tls lea "$T/new/$id.pem" "$T/new/$id.key" 02:00:00:00:aa:01; then ok; else
	ko "the new certificate still authenticates: $(tail -3 "$T/eap.out")"; fi
check "the refusal names the revocation" grep -qi "revoked" "$RADDB/log/radius.log"
sleep 2
check "zoe's certificate was never written as seen" \
	test "$(sql "SELECT first_seen FROM certificates WHERE serial = '$zs'")" = 0
check "one supersession only, however often the new one is accepted" \
	test "$(sql "SELECT COUNT(*) FROM audit WHERE action = 'cert.supersede'")" = 1
grep -E "renewed certificate|first sighting" "$RADDB/log/radius.log" | head -3
finish
