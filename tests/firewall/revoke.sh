# SPDX-License-Identifier: GPL-2.0-or-later
# The gateway acting on a revocation, with every real component: this test
# runs in a network namespace of its own (the gateway: FreeRADIUS with
# rlm_byod, hostapd with driver=wired and its RFC 5176 DAS, byod-gatewayd,
# the nftables ruleset), a client namespace whose wpa_supplicant -D wired
# does EAP-TLS through hostapd, and a services namespace standing in for
# the ENT. Only MACs the gateway admitted pass the wired port; a session
# is disconnected by byodctl (Disconnect-ACK, station deauthorised); then
# byodctl device revoke: Disconnect-ACK from hostapd, station
# deauthorised, MAC quarantined, traffic dropped, within one second, and
# the device refused on re-authentication. Named namespaces carry a
# per-run prefix and are deleted on every exit path.
if [ -z "${BYOD_GW_NS:-}" ]; then
	exec unshare -n env BYOD_GW_NS=1 bash "$0" "$@"
fi
ip link set lo up
. "$BYOD_SRC/tests/cli/lib.sh"
. "$BYOD_SRC/tests/radius/lib.sh"
: "${BYOD_GATEWAYD:?BYOD_GATEWAYD must name the byod-gatewayd binary}"

P="bg$$"
STA="$P-sta"
SVC="$P-svc"
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	radius_stop
	ip netns del "$STA" 2>/dev/null
	ip netns del "$SVC" 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

init_school
cat >"$T/policy.yaml" <<'POLICY'
segments:
  registration: { vlan: 10, subnet: 10.10.0.0/22, allow: [portal, dns, dhcp] }
  pupils: { vlan: 20, subnet: 10.20.0.0/16, allow: [ent, dns, dhcp] }
  teachers: { vlan: 30, subnet: 10.30.0.0/20, allow: [ent, printers, dns, dhcp] }
services:
  portal: { to: [10.0.0.2], ports: [tcp/80, tcp/443] }
  ent: { to: [10.0.6.10], ports: [tcp/443] }
  printers: { to: [10.0.5.0/24], ports: [tcp/631] }
rules:
  - name: unknown devices register
    match: { state: unknown }
    segment: registration
  - name: teachers
    match: { role: teacher }
    segment: teachers
  - name: pupils
    match: { role: student }
    segment: pupils
default: registration
POLICY
"$BYODCTL" policy apply "$T/policy.yaml" >/dev/null || { echo "policy apply failed" >&2; exit 1; }
"$BYODCTL" user add lea --role student --school 0131234W --group 4B >/dev/null
"$BYODCTL" device enrol lea --name phone-lea --kind phone --out "$T/dev" --json >"$T/lea.json" ||
	{ echo "enrol failed" >&2; exit 1; }
lea=$(json 'd["device"]' <"$T/lea.json")
serial=$(json 'd["serial"]' <"$T/lea.json")
MAC=02:00:00:00:aa:01

radius_setup
printf '%s\n' "$SECRET" >"$T/secret"
conf="$BYOD_HOME/byod.conf"
sed -i 's/^  mode: vlan/  mode: existing/' "$conf"
sed -i 's/^  links: .*/  links: "registration=reg0,pupils=ap0,teachers=tea0"/' "$conf"
sed -i 's/^  admit-links: .*/  admit-links: "ap0"/' "$conf"
sed -i "s/^  # secret: \"\"$/  secret: \"$SECRET\"/" "$conf"
sed -i 's/^  timeout-ms: .*/  timeout-ms: 500/' "$conf"
# CoA first, Disconnect when refused: hostapd refuses CoA, so both are seen
sed -i 's/^  mode: disconnect/  mode: both/' "$conf"
grep -q "secret: \"$SECRET\"" "$conf" || { echo "das.secret not set in $conf" >&2; exit 1; }

# the wired port (ap0) to the pupil's device, the uplink (up0) to the services
ip netns add "$STA" && ip netns add "$SVC" || { echo "ip netns add failed" >&2; exit 1; }
ip link add ap0 type veth peer name sta0
ip link set sta0 netns "$STA"
ip link add up0 type veth peer name svc0
ip link set svc0 netns "$SVC"
ip addr add 10.20.0.1/16 dev ap0 && ip link set ap0 up
ip addr add 10.0.0.1/24 dev up0 && ip link set up0 up
ip route add 10.0.6.0/24 via 10.0.0.10
sysctl -qw net.ipv4.ip_forward=1
ip netns exec "$STA" sh -e -c "
	ip link set lo up
	ip link set sta0 address $MAC
	ip addr add 10.20.0.10/16 dev sta0
	ip link set sta0 up
	ip route add default via 10.20.0.1"
ip netns exec "$SVC" sh -e -c '
	ip link set lo up
	ip addr add 10.0.0.10/24 dev svc0
	ip addr add 10.0.6.10/32 dev svc0
	ip link set svc0 up
	ip route add 10.20.0.0/16 via 10.0.0.1'
cat >"$T/listen.py" <<'PY'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.0.6.10", 443))
s.listen(16)
while True:
    c, _ = s.accept()
    c.sendall(b"ent\n")
    c.close()
PY
ip netns exec "$SVC" python3 "$T/listen.py" &
PIDS+=($!)
# ent: 0 when the ENT answers from the pupil's namespace within 2 s
# timeout: room for python's start on a loaded machine; the socket's own
# timeout bounds the network
ent() {
	ip netns exec "$STA" timeout 10 python3 -c '
import socket, sys
s = socket.create_connection(("10.0.6.10", 443), timeout=1.5)
sys.exit(0 if s.recv(16) == b"ent\n" else 1)' 2>/dev/null
}

radius_start
expect_ok "hostapd config (wired port ap0)" "$BYODCTL" hostapd config --wired --interface ap0 \
	--auth-port "$AUTH_PORT" --acct-port "$ACCT_PORT" --secret-file "$T/secret" --out "$T/hostapd.conf"
sed -i "s|^ctrl_interface=.*|ctrl_interface=$T/hctrl|" "$T/hostapd.conf"
hostapd -d "$T/hostapd.conf" >"$T/hostapd.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do
	grep -q 'ENABLED' "$T/hostapd.log" && break
	sleep 0.1
done
check "hostapd (driver=wired) is up with its DAS" grep -q 'ENABLED' "$T/hostapd.log"

"$BYOD_GATEWAYD" --home "$BYOD_HOME" --verbose 2>"$T/gatewayd.log" &
GWD=$!
PIDS+=($GWD)
for _ in $(seq 50); do
	grep -q 'following the change feed' "$T/gatewayd.log" && break
	sleep 0.1
done
check "byod-gatewayd applied the ruleset ($(tail -1 "$T/gatewayd.log"))" \
	grep -q 'ruleset applied' "$T/gatewayd.log"
nft list table inet byod >"$T/ruleset.txt" 2>&1
check "only admitted MACs pass the wired port" \
	grep -q 'iifname "ap0" ether saddr vmap @admitted' "$T/ruleset.txt"
if ent; then ko "a device that has not authenticated reaches the ENT"; else ok; fi
nft list chain inet byod forward >"$T/fwd.txt" 2>&1
check "...dropped as not admitted" grep -Eq 'counter packets [1-9][0-9]* bytes [0-9]+ drop comment "not admitted"' "$T/fwd.txt"

# EAP-TLS through hostapd
cat >"$T/sta.conf" <<EOC
ctrl_interface=$T/wctrl
ap_scan=0
network={
	key_mgmt=IEEE8021X
	eap=TLS
	identity="lea"
	ca_cert="$BYOD_HOME/pki/ca.pem"
	client_cert="$T/dev/$lea.pem"
	private_key="$T/dev/$lea.key"
	domain_match="radius.byod.lan"
	eapol_flags=0
}
EOC
ip netns exec "$STA" wpa_supplicant -D wired -i sta0 -c "$T/sta.conf" >"$T/wpa.log" 2>&1 &
PIDS+=($!)
authorized() { hostapd_cli -p "$T/hctrl" -i ap0 sta "$MAC" 2>/dev/null | grep -q 'AUTHORIZED'; }
# admitted: the MAC is in the admitted map, into the pupils segment
admitted() {
	nft list map inet byod admitted >"$T/map.txt" 2>&1
	grep -q "$MAC : jump seg_pupils" "$T/map.txt"
}
# hostapd keeps a disconnected station's entry for 5 seconds and, with the
# wired driver, deauthenticates it again when that time is up even if it
# authenticated anew meanwhile: the supplicant starts again once it is gone
sta_gone() { ! hostapd_cli -p "$T/hctrl" -i ap0 sta "$MAC" 2>/dev/null | grep -q "^$MAC"; }
reauthenticate() {
	wait_for 80 sta_gone || ko "hostapd kept the station's entry"
	wpa_cli -p "$T/wctrl" -i sta0 reauthenticate >/dev/null 2>&1
}
check "EAP-TLS through hostapd: the station is authorised" wait_for 100 authorized
check "accounting Start reached the registry; the gateway admitted the MAC into pupils" \
	wait_for 50 admitted
check "the admitted pupil reaches the ENT" ent
"$BYODCTL" session list --json >"$T/sessions.json"
sid=$(json '[s["id"] for s in d if s["mac"] == "'$MAC'" and s["state"] == "open"][0]' <"$T/sessions.json")
check "byodctl session list shows the open session with its device" \
	test "$(json '[s["device"] for s in d if s["id"] == '"${sid:-0}"'][0]' <"$T/sessions.json")" = "$lea"
expect_ok "byodctl session list (table)" "$BYODCTL" session list
check "...names the MAC and the NAS" grep -q "$MAC.*127.0.0.1" "$T/out"

# byodctl session disconnect: Disconnect-ACK, the station deauthorised
expect_ok "byodctl session disconnect $sid" "$BYODCTL" session disconnect "$sid"
check "...answered by hostapd: $(cat "$T/out")" grep -q '^Disconnect-ACK from 127.0.0.1' "$T/out"
check "...the station is no longer authorised" wait_for 20 sh -c "! hostapd_cli -p '$T/hctrl' -i ap0 sta '$MAC' 2>/dev/null | grep -q AUTHORIZED"
"$BYODCTL" audit --json --limit 20 >"$T/audit.json"
check "...the answer is in the audit log" test "$(json '[a["after"]["answer"] for a in d if a["action"] == "session.disconnect"][0]' <"$T/audit.json")" = "Disconnect-ACK"
check "...accounting Stop closed the session; the MAC left the admitted map" \
	wait_for 50 sh -c "! nft list map inet byod admitted | grep -q '$MAC'"
if ent; then ko "a disconnected station still reaches the ENT"; else ok; fi
expect_fail "a closed session cannot be disconnected again" "already closed" \
	"$BYODCTL" session disconnect "$sid"
expect_fail "an unknown session" "no session 999999" "$BYODCTL" session disconnect 999999

# the supplicant, which the wired port does not tell, starts again (EAPOL-Start)
reauthenticate
check "the station authenticates again" wait_for 100 authorized
check "...and is admitted again" wait_for 50 admitted
check "...and reaches the ENT" wait_for 20 ent

# a policy apply that moves pupils: the ruleset rendered again with the
# state, the moved session asked to move (CoA, refused by hostapd) and
# disconnected; the station comes back into its new segment
sed 's/^    segment: pupils$/    segment: teachers/' "$T/policy.yaml" >"$T/policy2.yaml"
"$BYODCTL" policy diff "$T/policy2.yaml" >"$T/diff.txt" 2>&1
check "policy diff predicts the pupil's move" grep -q 'from pupils to teachers' "$T/diff.txt"
"$BYODCTL" policy apply "$T/policy2.yaml" >/dev/null || ko "policy apply"
t0=$(date +%s%N)
moved_off() { [ "$(grep -c 'Disconnect-ACK in' "$T/gatewayd.log")" -ge 1 ]; }
t_m=
for _ in $(seq 300); do moved_off && { t_m=$((($(date +%s%N) - t0) / 1000000)); break; }; sleep 0.005; done
echo "policy apply: the moved session disconnected in ${t_m:-never} ms"
check "policy apply: the moved session is disconnected within 1 s (${t_m:-never} ms)" test "${t_m:-9999}" -lt 1000
"$BYODCTL" audit --json --limit 10 >"$T/audit.json"
check "...a CoA with the new VLAN first, NAKed by hostapd" test "$(json '[a["after"]["answer"] for a in d if a["action"] == "session.coa"][0]' <"$T/audit.json")" = "CoA-NAK"
check "...then a Disconnect, ACKed" test "$(json 'sum(1 for a in d if a["action"] == "session.disconnect" and a["actor"] == "byod-gatewayd" and a["after"]["answer"] == "Disconnect-ACK")' <"$T/audit.json")" = 1
check "...the ruleset was rendered again" test "$(grep -c 'ruleset applied' "$T/gatewayd.log")" -ge 2
reauthenticate
admitted_teachers() { nft list map inet byod admitted 2>/dev/null | grep -q "$MAC : jump seg_teachers"; }
check "the station authenticates again and is admitted into teachers" wait_for 100 admitted_teachers
check "...the teachers' source check drops its pupils address" wait_for 1 sh -c "! ip netns exec '$STA' timeout 2 python3 -c 'import socket; socket.create_connection((\"10.0.6.10\", 443), timeout=1.5)' 2>/dev/null"
nft list chain inet byod seg_teachers >"$T/tea.txt" 2>&1
check "...counted as spoofed" grep -Eq 'counter packets [1-9][0-9]* bytes [0-9]+ drop comment "spoofed"' "$T/tea.txt"
"$BYODCTL" policy apply "$T/policy.yaml" >/dev/null || ko "policy apply (back)"
for _ in $(seq 300); do [ "$(grep -c 'Disconnect-ACK in' "$T/gatewayd.log")" -ge 2 ] && break; sleep 0.01; done
reauthenticate
check "back under the first policy, the station is in pupils again" wait_for 100 admitted
check "...and reaches the ENT" wait_for 20 ent

# revocation: everything within one second of byodctl returning
"$BYODCTL" device revoke "$lea" --reason key-compromise >/dev/null 2>"$T/revoke.err" ||
	ko "device revoke: $(cat "$T/revoke.err")"
t0=$(date +%s%N)
quarantined() { nft list set inet byod quarantine_mac 2>/dev/null | grep -q "$MAC"; }
deauthorised() { ! authorized; }
acked() { [ "$(grep -c 'Disconnect-ACK in' "$T/gatewayd.log")" -ge 3 ]; }
# each condition stays true once reached: measured one after the other
since_ms() { echo $((($(date +%s%N) - t0) / 1000000)); }
t_q= t_a= t_d=
for _ in $(seq 300); do quarantined && { t_q=$(since_ms); break; }; sleep 0.005; done
for _ in $(seq 300); do acked && { t_a=$(since_ms); break; }; sleep 0.005; done
for _ in $(seq 300); do deauthorised && { t_d=$(since_ms); break; }; sleep 0.005; done
echo "revocation: quarantined in ${t_q:-never} ms, Disconnect-ACK recorded in ${t_a:-never} ms, station deauthorised in ${t_d:-never} ms"
check "revoke: the MAC is quarantined within 1 s (${t_q:-never} ms)" test "${t_q:-9999}" -lt 1000
check "revoke: Disconnect-ACK from hostapd within 1 s (${t_a:-never} ms)" test "${t_a:-9999}" -lt 1000
check "revoke: the station is deauthorised within 1 s (${t_d:-never} ms)" test "${t_d:-9999}" -lt 1000
if ent; then ko "a revoked device still reaches the ENT"; else ok; fi
nft list set inet byod quarantine_mac >"$T/q.txt" 2>&1
nft list chain inet byod forward >"$T/fwd.txt" 2>&1
check "...its packets were dropped by the quarantine rule" \
	grep -Eq 'ether saddr @quarantine_mac counter packets [1-9]' "$T/fwd.txt"
"$BYODCTL" audit --json --limit 50 >"$T/audit.json"
check "the gateway's Disconnect-ACK is in the audit log" test "$(json 'sum(1 for a in d if a["action"] == "session.disconnect" and a["actor"] == "byod-gatewayd" and a["after"]["answer"] == "Disconnect-ACK")' <"$T/audit.json")" = 3
if eap_tls lea "$T/dev/$lea.pem" "$T/dev/$lea.key" "$MAC"; then
	ko "the revoked certificate still authenticates"
else
	ok
fi

# a flushed ruleset is rebuilt, with the quarantine, on SIGHUP
nft flush ruleset
kill -HUP "$GWD"
check "SIGHUP: the ruleset is back with the quarantine" wait_for 30 quarantined
check "the gateway is still running" kill -0 "$GWD"

kill "$GWD" && wait "$GWD"
check "byod-gatewayd stops cleanly on SIGTERM" grep -q 'stopping (SIGTERM)' "$T/gatewayd.log"
[ "$failed" -eq 0 ] || { echo "--- gatewayd.log"; tail -30 "$T/gatewayd.log"; } >&2
finish
