# SPDX-License-Identifier: GPL-2.0-or-later
# byod-gatewayd ending sessions at two access points at once, one of which
# never answers: in a network namespace of the test's own (loopback only),
# the real daemon with its nftables table, an access point on 127.0.0.1
# that answers every Disconnect-Request with a signed Disconnect-ACK and
# one on 127.0.0.2 that never answers. A revoked device with 12 open
# sessions at each: every session at the answering one is ACKed before the
# first request to the silent one gives up, a second revocation while the
# silent queue still waits is ACKed at once too, and the silent one's
# requests each end as "no answer" after their tries -- never more than
# das.max-in-flight-per-nas of them unanswered at a time, as the silent
# access point counts them.
if [ -z "${BYOD_GW_NS:-}" ]; then
	exec unshare -n env BYOD_GW_NS=1 bash "$0" "$@"
fi
ip link set lo up
. "$BYOD_SRC/tests/cli/lib.sh"
: "${BYOD_GATEWAYD:?BYOD_GATEWAYD must name the byod-gatewayd binary}"

PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

SECRET=parallel-das-secret-0123
K=3
PER_NAS=12
TIMEOUT_MS=1000
RETRIES=1

init_school
"$BYODCTL" policy apply "$BYOD_SRC/examples/policy.yaml" >/dev/null ||
	{ echo "policy apply failed" >&2; exit 1; }
"$BYODCTL" user add ada --role teacher --school 0131234W >/dev/null
"$BYODCTL" user add bea --role teacher --school 0131234W >/dev/null
enrol() {
	"$BYODCTL" device enrol "$1" --name "phone-$1" --kind phone --mac "$2" --out "$T/dev-$1" \
		--json | json 'd["device"]'
}
ada=$(enrol ada 02:00:00:00:ad:01) || { echo "enrol failed" >&2; exit 1; }
bea=$(enrol bea 02:00:00:00:be:01) || { echo "enrol failed" >&2; exit 1; }

# the two access points: each prints "listening PORT", then one line per
# packet; the silent one also the most requests it held unanswered at once
# (a request is unanswered until the gateway must have given up on it:
# its last try plus that try's wait, timeout-ms doubled at each resend)
nas() {
	python3 - "$1" "$2" "$SECRET" "$TIMEOUT_MS" "$RETRIES" <<'PY'
import hashlib, socket, sys, time
addr, mode, secret = sys.argv[1], sys.argv[2], sys.argv[3].encode()
timeout, retries = int(sys.argv[4]) / 1000.0, int(sys.argv[5])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((addr, 0))
s.settimeout(0.05)
print("listening", s.getsockname()[1], flush=True)
first, last, peak, packets, end = {}, {}, 0, 0, time.time() + 120
# a request's last wait: timeout doubled at each resend
final = timeout * (2 ** retries)
while time.time() < end:
    try:
        pkt, peer = s.recvfrom(4096)
    except socket.timeout:
        continue
    now, auth = time.time(), pkt[4:20]
    packets += 1
    first.setdefault(auth, now)
    last[auth] = now
    if mode == "ack":
        body = bytes([41, pkt[1], 0, 20]) + auth
        s.sendto(bytes([41, pkt[1], 0, 20]) + hashlib.md5(body + secret).digest(), peer)
        print("acked", len(first), flush=True)
        continue
    # alive until its last wait is over: the gateway sends the next request
    # only then (50 ms for the delivery of the two packets to differ)
    live = sum(1 for a in first if now < last[a] + final - 0.05 or a == auth)
    peak = max(peak, live)
    print("request", len(first), "packets", packets, "unanswered", live,
          "peak", peak, flush=True)
PY
}
nas 127.0.0.1 ack >"$T/ack.log" 2>&1 &
PIDS+=($!)
nas 127.0.0.2 silent >"$T/silent.log" 2>&1 &
PIDS+=($!)
check "the access points listen" wait_for 50 sh -c \
	"grep -q listening '$T/ack.log' && grep -q listening '$T/silent.log'"
ACK_PORT=$(awk '/listening/ { print $2 }' "$T/ack.log")
SILENT_PORT=$(awk '/listening/ { print $2 }' "$T/silent.log")

conf="$BYOD_HOME/byod.conf"
sed -i "s/^  # secret: \"\"$/  secret: \"$SECRET\"/" "$conf"
sed -i "s/^  timeout-ms: .*/  timeout-ms: $TIMEOUT_MS/; s/^  retries: .*/  retries: $RETRIES/" "$conf"
sed -i "s/^  max-in-flight-per-nas: .*/  max-in-flight-per-nas: $K/" "$conf"
sed -i "s/^  nas: .*/  nas: \"127.0.0.1:$ACK_PORT,127.0.0.2:$SILENT_PORT\"/" "$conf"
check "das.max-in-flight-per-nas is in the configuration" grep -q "max-in-flight-per-nas: $K" "$conf"
check "das.nas names both access points" grep -q "127.0.0.2:$SILENT_PORT" "$conf"

# open sessions: ada's at both access points, bea's at the answering one
python3 - "$BYOD_HOME/registry.db" "$ada" "$bea" "$PER_NAS" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
now = int(time.time())
rows = [(f"ada-{nas}-{i}", sys.argv[2], "02:00:00:00:ad:01", nas)
        for nas in ("127.0.0.1", "127.0.0.2") for i in range(int(sys.argv[4]))]
rows.append(("bea-0", sys.argv[3], "02:00:00:00:be:01", "127.0.0.1"))
for sid, dev, mac, nas in rows:
    db.execute("""INSERT INTO sessions (session_id, device, mac, nas_ip, nas_id, started, updated,
        state) VALUES (?, ?, ?, ?, 'ap', ?, ?, 'open')""", (sid, dev, mac, nas, now, now))
db.commit()
PY

"$BYOD_GATEWAYD" --home "$BYOD_HOME" 2>"$T/gatewayd.log" &
GW=$!
PIDS+=($GW)
check "byod-gatewayd follows the feed" wait_for 100 grep -q 'following the change feed' \
	"$T/gatewayd.log"

"$BYODCTL" device revoke "$ada" --reason lost >/dev/null
check "ada's sessions at the answering access point are all ACKed" wait_for 100 sh -c \
	"[ \$(grep -c 'at 127.0.0.1, device changed): Disconnect-ACK in' '$T/gatewayd.log') -ge $PER_NAS ]"
"$BYODCTL" device revoke "$bea" --reason lost >/dev/null
check "...and bea's, revoked while the silent queue waits" wait_for 100 grep -q \
	'02:00:00:00:be:01 at 127.0.0.1, device changed): Disconnect-ACK in' "$T/gatewayd.log"
check "the silent access point's requests each end as no answer" wait_for 300 sh -c \
	"[ \$(grep -c 'at 127.0.0.2, device changed): no answer from' '$T/gatewayd.log') -eq $PER_NAS ]"
first_silent=$(grep -n 'at 127.0.0.2, device changed): no answer' "$T/gatewayd.log" | head -1 | cut -d: -f1)
last_ack=$(grep -n 'at 127.0.0.1, device changed): Disconnect-ACK' "$T/gatewayd.log" | tail -1 | cut -d: -f1)
check "every ACK (the last at line $last_ack) came before the first give-up (line $first_silent)" \
	test "${last_ack:-999999}" -lt "${first_silent:-0}"
check "the silent access point got each request $((RETRIES + 1)) times" \
	test "$(tail -1 "$T/silent.log" | awk '{ print $2 "/" $4 }')" = \
	"$PER_NAS/$((PER_NAS * (RETRIES + 1)))"
peak=$(tail -1 "$T/silent.log" | awk '{ print $8 }')
check "never more than $K unanswered at the silent one, and $K at once (peak $peak)" \
	test "$peak" = "$K"
"$BYODCTL" audit --limit 1000 --json >"$T/audit.json"
check "the silent requests are in the audit log as no answer" test "$(json 'sum(1 for a in d if a["action"] == "session.disconnect" and a["after"]["answer"] == "no answer")' <"$T/audit.json")" = "$PER_NAS"
check "...the others as Disconnect-ACK" test "$(json 'sum(1 for a in d if a["action"] == "session.disconnect" and a["after"]["answer"] == "Disconnect-ACK")' <"$T/audit.json")" = "$((PER_NAS + 1))"
# its heartbeat: written every 10 s, at the feed's last event
sql1() { python3 -c 'import sqlite3, sys
r = sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()
print("|".join(str(v) for v in r) if r else "")' "$BYOD_HOME/registry.db" "$1"; }
last=$(sql1 "SELECT MAX(seq) FROM events")
beat_is() { [ "$(sql1 "SELECT component, school, feed_seq FROM heartbeats")" = "$1" ]; }
check "the daemon's heartbeat, at the feed's last event $last ($(sql1 "SELECT component, school, feed_seq FROM heartbeats"))" \
	wait_for 150 beat_is "gatewayd||$last"
kill "$GW" 2>/dev/null
wait "$GW" 2>/dev/null
check "byod-gatewayd stopped on SIGTERM" grep -q 'stopping (SIGTERM)' "$T/gatewayd.log"
[ "$failed" -eq 0 ] || { echo "--- gatewayd.log"; tail -40 "$T/gatewayd.log"; echo "--- silent.log"; tail -5 "$T/silent.log"; } >&2
finish
