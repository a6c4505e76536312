# SPDX-License-Identifier: GPL-2.0-or-later
# byod-gatewayd (--dry-run) reads the change feed only when its wait says
# something may have been committed (SQLite's data_version), at an
# unlock's end and every 30 s: over 2 s of idle its feed reads
# (byod_gateway_feed_reads_total) stay flat, where reading at every poll
# (gateway.poll-ms, 100 ms by default) would make about twenty; a revocation committed by
# another process (byodctl) is still read and handled within a second, the
# device's MAC quarantined; and one behind a burst of more than a batch of
# events (1,200 accounts imported) within 2 s, not at the next wake-up.
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

# quarantined_after N FILE TRIES: scrapes into FILE every 50 ms (TRIES
# times at most) until N MACs are quarantined; seen: when (empty: never),
# took: the seconds from t0
quarantined_after() {
	seen=
	for _ in $(seq "$3"); do
		if scrape "$M" "$2" && grep -qx "byod_gateway_quarantined $1" "$2"; then
			seen=$(date +%s.%N)
			break
		fi
		sleep 0.05
	done
	took=$(python3 -c "print(round(${seen:-1e9} - $t0, 3))")
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
quarantined_after 1 "$T/m2" 40
check "the revoked laptop's MAC is quarantined" test -n "$seen"
echo "idle: $r0 -> $r1 feed reads over 2 s; the revocation quarantined ${took} s after byodctl returned"
check "...within 1 s of the revocation's commit (${took} s)" \
	python3 -c "import sys; sys.exit(0 if ${seen:-1e9} - $t0 <= 1.0 else 1)"
r2=$(metric "$T/m2" byod_gateway_feed_reads_total)
e2=$(metric "$T/m2" byod_gateway_events_total)
check "...the gateway read the feed for it ($r1 -> $r2)" test "$r2" -gt "$r1"
check "...and handled its events ($e1 -> $e2)" test "$e2" -gt "$e1"
# ---- a burst past a batch, then a revocation: handled at once ----
# The gateway stopped (SIGSTOP) while 1,200 accounts are imported (an
# event each, one transaction) and a second laptop is revoked: woken once
# for all of it, it reads a batch of 1,000, and must read on at once for
# the revocation behind it, which no wait announces again (the next
# wake-up would be its own heartbeat, 10 s later).
"$BYODCTL" device enrol durand --name laptop2-durand --kind laptop --mac 02:00:00:00:dd:02 \
	--out "$T/dev2" --json >"$T/d2.json" || { echo "enrol failed" >&2; exit 1; }
{
	echo login,role,school
	for i in $(seq 1200); do echo "burst.$i,student,0131234W"; done
} >"$T/burst.csv"
sleep 0.5 # the enrolment read
# (stopped inside its heartbeat's transaction, the gateway would hold the
# import back: then it goes on a moment and is stopped again)
for try in 1 2 3; do
	kill -STOP "$GW"
	"$BYODCTL" user import "$T/burst.csv" >"$T/import.out" 2>&1 && break
	kill -CONT "$GW"
	[ "$try" = 3 ] && { cat "$T/import.out" >&2; echo "import failed" >&2; exit 1; }
	sleep 0.5
done
"$BYODCTL" device revoke "$(json 'd["device"]' <"$T/d2.json")" >/dev/null ||
	{ kill -CONT "$GW"; echo "revoke failed" >&2; exit 1; }
e3=$(metric "$T/m2" byod_gateway_events_total)
t0=$(date +%s.%N)
kill -CONT "$GW"
quarantined_after 2 "$T/m4" 100
echo "a burst of 1,200 events then a revocation: quarantined ${took} s after the gateway went on"
check "after 1,200 events, the revocation behind them quarantined within 2 s (${took} s)" \
	python3 -c "import sys; sys.exit(0 if ${seen:-1e9} - $t0 <= 2.0 else 1)"
e4=$(metric "$T/m4" byod_gateway_events_total)
check "...every event of the burst handled ($e3 -> $e4)" test "$((${e4%.*} - ${e3%.*}))" -ge 1200
check "...read on at once after the full batch, not at a later wake-up" \
	grep -q 'a full batch of the change feed read: reading on at once' "$T/gw.log"
check "the gateway is still running" kill -0 "$GW"
[ "$failed" -eq 0 ] || { echo "--- the gateway's log:" >&2; tail -20 "$T/gw.log" >&2; }
finish
