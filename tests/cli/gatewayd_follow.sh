# SPDX-License-Identifier: GPL-2.0-or-later
# byod-gatewayd (--dry-run) reads the change feed only when its wait says
# something may have been committed (SQLite's data_version), at an
# unlock's end and every 30 s: over 2 s of idle its feed reads
# (byod_gateway_feed_reads_total) stay flat, where reading at every poll
# (gateway.poll-ms, 100 ms by default) would make about twenty; a revocation committed by
# another process (byodctl) is still read and handled within a second, the
# device's MAC quarantined.
. "$BYOD_SRC/tests/cli/lib.sh"
. "$BYOD_SRC/tests/lib/metrics.sh"
: "${BYOD_GATEWAYD:?}"
GW=
trap '[ -n "$GW" ] && kill "$GW" 2>/dev/null && wait "$GW" 2>/dev/null; rm -rf "$T"' EXIT

tcp_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
setkey() { # SECTION KEY VALUE
	sed -i "/^$1:/,/^[a-z]/ s|^  $2: .*|  $2: $3|" "$BYOD_HOME/byod.conf"
	grep -q "^  $2: $3\$" "$BYOD_HOME/byod.conf" || { echo "cannot set $1.$2" >&2; exit 1; }
}

init_school
cat >"$T/policy.yaml" <<'POLICY'
segments:
  registration: { vlan: 10, subnet: 10.10.0.0/22 }
  teachers: { vlan: 30, subnet: 10.30.0.0/16 }
rules:
  - name: unknown devices register
    match: { state: unknown }
    segment: registration
  - name: teachers
    match: { role: teacher }
    segment: teachers
default: registration
POLICY
"$BYODCTL" policy apply "$T/policy.yaml" >/dev/null || { echo "policy apply failed" >&2; exit 1; }
"$BYODCTL" user add durand --role teacher --school 0131234W >/dev/null
"$BYODCTL" device enrol durand --name laptop-durand --kind laptop --mac 02:00:00:00:dd:01 \
	--out "$T/dev" --json >"$T/d.json" || { echo "enrol failed" >&2; exit 1; }
durand=$(json 'd["device"]' <"$T/d.json")
GM=$(tcp_port)
setkey gateway metrics-listen "\"127.0.0.1:$GM\""
setkey firewall portal-address '"127.0.0.1"'

"$BYOD_GATEWAYD" --home "$BYOD_HOME" --dry-run 2>"$T/gw.log" &
GW=$!
M="http://127.0.0.1:$GM/metrics"
check "the gateway answers /metrics" wait_for 100 scrape "$M" "$T/m"
check "...with its feed reads" grep -q '^byod_gateway_feed_reads_total ' "$T/m"

# ---- idle: no read of the feed ----
sleep 1 # the start's reads (the first wait says "may have changed", the heartbeat)
scrape "$M" "$T/m0"
sleep 2
scrape "$M" "$T/m1"
r0=$(metric "$T/m0" byod_gateway_feed_reads_total)
r1=$(metric "$T/m1" byod_gateway_feed_reads_total)
check "the feed reads are counted ($r0 since the start)" test "${r0%.*}" -ge 1
check "2 s of idle: no read of the feed ($r0 -> $r1)" test "$r0" = "$r1"
check "...nothing quarantined yet" test "$(metric "$T/m1" byod_gateway_quarantined)" = 0

# ---- a revocation by another process: handled within a second ----
e1=$(metric "$T/m1" byod_gateway_events_total)
"$BYODCTL" device revoke "$durand" >/dev/null || { echo "revoke failed" >&2; exit 1; }
t0=$(date +%s.%N)
seen=
for _ in $(seq 40); do
	if scrape "$M" "$T/m2" && grep -qx 'byod_gateway_quarantined 1' "$T/m2"; then
		seen=$(date +%s.%N)
		break
	fi
	sleep 0.05
done
check "the revoked laptop's MAC is quarantined" test -n "$seen"
took=$(python3 -c "print(round(${seen:-1e9} - $t0, 3))")
echo "idle: $r0 -> $r1 feed reads over 2 s; the revocation quarantined ${took} s after byodctl returned"
check "...within 1 s of the revocation's commit (${took} s)" \
	python3 -c "import sys; sys.exit(0 if ${seen:-1e9} - $t0 <= 1.0 else 1)"
r2=$(metric "$T/m2" byod_gateway_feed_reads_total)
e2=$(metric "$T/m2" byod_gateway_events_total)
check "...the gateway read the feed for it ($r1 -> $r2)" test "$r2" -gt "$r1"
check "...and handled its events ($e1 -> $e2)" test "$e2" -gt "$e1"
check "the gateway is still running" kill -0 "$GW"
[ "$failed" -eq 0 ] || { echo "--- the gateway's log:" >&2; tail -20 "$T/gw.log" >&2; }
finish
