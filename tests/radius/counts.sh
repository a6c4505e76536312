# SPDX-License-Identifier: GPL-2.0-or-later
# The decision counts of rlm_byod under the real freeradius: requests of
# two schools' devices and of unknown ones, accepted and refused for
# several reasons, by MAC authentication (radclient) and EAP-TLS
# (eapol_test); after a flush (counts_interval 1 s) the registry holds
# exactly what was sent, per school, segment and reason, under the node's
# name, each EAP-TLS decision once; the node's heartbeat carries the feed
# position it applied. With the registry locked by another process, the
# counts wait in memory and all arrive once it is free. Then the server
# stops: what it counted since its last flush is written as it goes.
. "$BYOD_SRC/tests/cli/lib.sh"
. "$BYOD_SRC/tests/radius/lib.sh"
init_school
A=0131234W
B=0930001B
"$BYODCTL" school add $B --name "Collège B" >/dev/null || { echo "school add failed" >&2; exit 1; }
cat >"$T/policy.yaml" <<POLICY
segments:
  registration: { vlan: 10, subnet: 10.10.0.0/22 }
  pupils: { vlan: 20, subnet: 10.20.0.0/16 }
  printers: { vlan: 40, subnet: 10.40.0.0/24 }
rules:
  - name: unknown devices register
    match: { state: unknown }
    segment: registration
  - name: printers by MAC
    match: { method: mac, kind: other }
    segment: printers
  - name: no pupil by MAC
    match: { role: student, method: mac }
    action: reject
  - name: pupils
    match: { role: student }
    segment: pupils
default: registration
POLICY
"$BYODCTL" policy apply "$T/policy.yaml" >/dev/null || { echo "policy apply failed" >&2; exit 1; }
"$BYODCTL" user add cdi-a --role staff --school $A >/dev/null
"$BYODCTL" user add cdi-b --role staff --school $B >/dev/null
"$BYODCTL" user add lea --role student --school $A >/dev/null
"$BYODCTL" user add zoe --role student --school $B >/dev/null
"$BYODCTL" user add max --role student --school $B >/dev/null
enrol() { # LOGIN NAME KIND [MAC]: prints the device id; files in $T/dev
	"$BYODCTL" device enrol "$1" --name "$2" --kind "$3" ${4:+--mac "$4"} --out "$T/dev" \
		--json >"$T/$2.json" || { echo "enrol $2 failed" >&2; exit 1; }
	json 'd["device"]' <"$T/$2.json"
}
enrol cdi-a printer-a1 other 02:00:00:00:bb:01 >/dev/null
printer_a2=$(enrol cdi-a printer-a2 other 02:00:00:00:bb:02)
enrol cdi-b printer-b1 other 02:00:00:00:bb:03 >/dev/null
enrol lea phone-lea phone 02:00:00:00:aa:01 >/dev/null
zoe=$(enrol zoe phone-zoe phone 02:00:00:00:aa:02)
max=$(enrol max phone-max phone 02:00:00:00:aa:03)
"$BYODCTL" device suspend "$printer_a2" >/dev/null
"$BYODCTL" device revoke "$max" >/dev/null

radius_setup
sed -i -e 's/^\(\s*\)counts_interval = .*/\1counts_interval = 1/' \
	-e 's/^\(\s*\)# node = .*/\1node = "radius-t"/' "$RADDB/mods-enabled/byod"
check "the module's configuration takes the counts options" \
	grep -q 'node = "radius-t"' "$RADDB/mods-enabled/byod"
radius_start

sql() { sqlite3 "$BYOD_HOME/registry.db"; }
sent=0
mab_n() { # MAC N ANSWER: N requests, each answered ANSWER
	local i
	for i in $(seq "$2"); do
		mab "$1"
		if grep -q "$3" "$T/mab.out"; then ok; else ko "MAB $1: not $3: $(cat "$T/mab.out")"; fi
		sent=$((sent + 1))
	done
}
mab_n 02-00-00-00-BB-01 3 Access-Accept	# A printers accept
mab_n 02:00:00:00:bb:03 2 Access-Accept	# B printers accept
mab_n 02:00:00:00:cc:99 2 Access-Accept	# unknown: registration accept
mab_n 02:00:00:00:bb:02 1 Access-Reject	# A suspended: device-state
mab_n 02:00:00:00:aa:01 2 Access-Reject	# A pupil by MAC: rule
mab_n 'not a mac' 1 Access-Reject	# unknown
if eap_tls zoe "$T/dev/$zoe.pem" "$T/dev/$zoe.key" 02:00:00:00:aa:02; then ok; else
	ko "EAP-TLS: zoe is accepted: $(tail -3 "$T/eap.out")"; fi
sent=$((sent + 1))
if eap_tls max "$T/dev/$max.pem" "$T/dev/$max.key" 02:00:00:00:aa:03; then
	ko "EAP-TLS: a revoked certificate is accepted"; else ok; fi
sent=$((sent + 1))

# in the registry's order: by school, segment, reason ("" first)
expected="||unknown|1
|registration|accept|2
$A||device-state|1
$A||rule|2
$A|printers|accept|3
$B||cert-revoked|1
$B|printers|accept|2
$B|pupils|accept|1"
counts() {
	echo "SELECT school, segment, reason, SUM(count) FROM decision_counts GROUP BY 1, 2, 3
	      ORDER BY 1, 2, 3;" | sql
}
total() { echo "SELECT COALESCE(SUM(count), 0) FROM decision_counts;" | sql; }
check "the counts reach the registry within a few seconds ($(total) of $sent)" \
	wait_for 80 sh -c "test \"\$(echo 'SELECT COALESCE(SUM(count), 0) FROM decision_counts;' |
		sqlite3 '$BYOD_HOME/registry.db')\" -ge $sent"
sleep 1.5 # one more flush: nothing more may come
got=$(counts)
if [ "$got" = "$expected" ]; then ok; else
	ko "the counts per school, segment and reason:
$got
expected:
$expected"; fi
check "every count row names the node" \
	test "$(echo "SELECT COUNT(*) FROM decision_counts WHERE node <> 'radius-t';" | sql)" = 0
check "one row per school, minute, segment and reason (at most two minutes here)" \
	test "$(echo "SELECT COUNT(*) FROM decision_counts;" | sql)" -le 16
last=$(echo "SELECT COALESCE(MAX(seq), 0) FROM events;" | sql)
check "the heartbeat of the node, with the feed position it applied ($last)" \
	test "$(echo "SELECT component, node, school, feed_seq FROM heartbeats;" | sql)" = "radius|radius-t||$last"
seen=$(echo "SELECT seen FROM heartbeats;" | sql)
check "...written in the last seconds" test $(($(date +%s) - ${seen:-0})) -le 3
check "byodctl radius status: no decision count waits" wait_for 50 \
	sh -c "'$BYODCTL' radius status | grep -q '^decision counts: 0 decisions waiting for the registry, 0 dropped'"
check "the counts are not audited" \
	test "$(echo "SELECT COUNT(*) FROM audit WHERE action LIKE 'decision%';" | sql)" = 0

# the registry locked by another process (its writes wait past the
# module's 200 ms): the counts wait in memory, said once, and all arrive
# once it is free
python3 - "$BYOD_HOME/registry.db" >"$T/lock.log" 2>&1 <<'PY' &
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
while True:
    time.sleep(1)
PY
LOCKER=$!
trap '[ -z "${LOCKER:-}" ] || kill "$LOCKER" 2>/dev/null; radius_stop; [ -n "${KEEP:-}" ] || rm -rf "$T" ${TLS_CACHE:+"$TLS_CACHE"}' EXIT
check "another process holds the registry" wait_for 50 grep -q locked "$T/lock.log"
before=$(total)
mab_n 02-00-00-00-BB-01 3 Access-Accept
mab_n 02:00:00:00:bb:02 2 Access-Reject
check "the flush fails and says so once" wait_for 50 \
	grep -q 'decision counts could not be written, they are kept' "$RADDB/log/radius.log"
check "byodctl radius status: the decisions wait for the registry" wait_for 50 \
	sh -c "'$BYODCTL' radius status | grep -q '^decision counts: 5 decisions waiting for the registry, 0 dropped'"
sleep 1.5 # more failed flushes: still said once
kill "$LOCKER"
wait "$LOCKER" 2>/dev/null
LOCKER=
check "once the registry is free, every count kept arrives" \
	wait_for 80 sh -c "test \"\$(echo 'SELECT COALESCE(SUM(count), 0) FROM decision_counts;' |
		sqlite3 '$BYOD_HOME/registry.db')\" = $((before + 5))"
check "...added to the rows already there" test "$(echo "SELECT SUM(count) FROM decision_counts
	WHERE school = '$A' AND segment = 'printers' AND reason = 'accept';" | sql)" = 6
check "...and the device-state refusals too" test "$(echo "SELECT SUM(count) FROM decision_counts
	WHERE school = '$A' AND segment = '' AND reason = 'device-state';" | sql)" = 3
check "the failure was said once" \
	test "$(grep -c 'decision counts could not be written' "$RADDB/log/radius.log")" = 1
check "...and the recovery once" wait_for 30 \
	test "$(grep -c 'decision counts are written again' "$RADDB/log/radius.log")" = 1

# counted, then the server stops before its next flush: written at the stop
sed -i 's/^\(\s*\)counts_interval = .*/\1counts_interval = 3600/' "$RADDB/mods-enabled/byod"
radius_stop
radius_start
before=$(total)
mab_n 02:00:00:00:cc:98 4 Access-Accept
sleep 1.5
check "with an hour between flushes, nothing yet" test "$(total)" = "$before"
radius_stop
check "the counts made since the last flush are written at the stop" \
	test "$(total)" = $((before + 4))
check "the module said nothing went wrong with them" \
	sh -c "! grep -q 'decision counts could not be written' '$RADDB/log/radius.log'"
finish
