# SPDX-License-Identifier: GPL-2.0-or-later
# Slow clients cannot take the portal down. 1,000 connections from 65
# loopback addresses trickle one header line every 3 s (Slowloris), and one
# more address tries to open 40: while they are open, a pupil's whole
# enrolment (login, the form, the download) completes within 5 s; the
# greedy address holds only its share; every trickling connection is
# closed at the request deadline, however it keeps sending. Then with a
# budget smaller than the attack and no deadline to help, the oldest
# requests still arriving make room and the enrolment still completes
# within 5 s. (Counting IPv6 clients per /64 is in
# tests/unit/test_web_addrshare.c: loopback IPv6 has one address.)
. "$BYOD_SRC/tests/cli/lib.sh"
. "$BYOD_SRC/tests/portal/lib.sh"
: "${BYOD_PORTAL:?BYOD_PORTAL must name the byod-portal binary}"
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
for u in lea.martin hugo.blanc; do
	printf '%s\n' 'Calanques-2026!' | "$BYODCTL" user add "$u" --role student --school 0131234W \
		--name "$u (test)" --password-stdin >/dev/null || { echo "user add $u failed" >&2; exit 1; }
done

HTTP_PORT=$(free_ports 1)
conf="$BYOD_HOME/byod.conf"
sed -i "s/^  http-port: .*/  http-port: $HTTP_PORT/; s/^  https-port: .*/  https-port: 0/" "$conf"
DEADLINE=$(sed -n 's/^  request-deadline-s: //p' "$conf")
PER_IP=$(sed -n 's/^  per-ip-limit: //p' "$conf")
check "byod.conf has the request deadline, 10 s by default" test "$DEADLINE" = 10
check "...and the per-client limit, 16 by default" test "$PER_IP" = 16
check "...counted per IPv6 /64 by default" grep -q '^  per-ip-v6-prefix: 64$' "$conf"

PORTAL_PID=
SLOW_PID=
start_portal() { # [ulimit -n options]: as Debian starts it, 1024 descriptors
	(ulimit ${1:--Sn 1024} && exec "$BYOD_PORTAL" --home "$BYOD_HOME") 2>>"$T/portal.log" &
	PORTAL_PID=$!
	for _ in $(seq 100); do
		curl -s -o /dev/null "http://127.0.0.1:$HTTP_PORT/api/captive" && return 0
		kill -0 "$PORTAL_PID" 2>/dev/null || { cat "$T/portal.log" >&2; exit 1; }
		sleep 0.1
	done
	echo "the portal did not start" >&2
	exit 1
}
stop_portal() {
	kill "$PORTAL_PID" 2>/dev/null
	wait "$PORTAL_PID" 2>/dev/null
	PORTAL_PID=
}
trap '[ -n "$SLOW_PID" ] && kill "$SLOW_PID" 2>/dev/null; [ -n "$PORTAL_PID" ] && kill "$PORTAL_PID" 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT

# slow ARGS...: the slow clients in the background; their report in
# $T/slow.json, $T/ready once they are all open
slow() {
	rm -f "$T/ready" "$T/slow.json"
	python3 "$BYOD_SRC/tests/portal/slowloris.py" --port "$HTTP_PORT" --ready "$T/ready" "$@" \
		>"$T/slow.json" 2>"$T/slow.err" &
	SLOW_PID=$!
	wait_for 300 test -e "$T/ready" || { echo "the slow clients did not start: $(cat "$T/slow.err")" >&2; exit 1; }
}
slow_done() {
	wait "$SLOW_PID"
	SLOW_PID=
}

# enrol LOGIN: a pupil's enrolment with curl, each request given 5 s at
# most; prints the seconds it took, or fails
enrol() {
	local jar="$T/jar.$1" t0 t1 tok link
	rm -f "$jar"
	q() { # METHOD PATH [curl options]
		local m=$1 p=$2
		shift 2
		curl -s --max-time 5 -X "$m" -b "$jar" -c "$jar" -H 'Host: portal.byod.lan' \
			-A 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/124.0 Mobile Safari/537.36' \
			-o "$T/b" -w '%{http_code}' "$@" "http://127.0.0.1:$HTTP_PORT$p"
	}
	csrf() { sed -n 's/.*name="csrf" value="\([A-Za-z0-9_-]*\)".*/\1/p' "$T/b" | head -1; }
	t0=$(date +%s.%N)
	[ "$(q GET /)" = 200 ] || return 1
	tok=$(csrf)
	[ "$(q POST /login --data-urlencode "csrf=$tok" --data-urlencode "login=$1" \
		--data-urlencode 'password=Calanques-2026!')" = 303 ] || return 1
	[ "$(q GET /enrol)" = 200 ] || return 1
	tok=$(csrf)
	[ "$(q POST /enrol --data-urlencode "csrf=$tok" --data-urlencode 'name=Téléphone' \
		--data-urlencode kind=phone --data-urlencode charter=yes)" = 200 ] || return 1
	link=$(sed -n 's/.*id="download"[^>]*href="\([^"]*\)".*/\1/p' "$T/b")
	[ -n "$link" ] || return 1
	[ "$(q GET "$link")" = 200 ] || return 1
	[ -s "$T/b" ] || return 1
	t1=$(date +%s.%N)
	echo "$t0 $t1" | awk '{ printf "%.2f\n", $2 - $1 }'
}
fds() { find "/proc/$PORTAL_PID/fd" -mindepth 1 -maxdepth 1 | wc -l; }
slowj() { json "$1" <"$T/slow.json"; }
readyj() { json "$1" <"$T/ready"; }

# ---- file descriptors for the budget --------------------------------------
# a hard limit below the budget: the budget shrinks to fit, said in the log
start_portal "-n 512"
check "a budget over the descriptors is lowered, with a warning" \
	grep -q 'warning: 512 file descriptors at most (ulimit -n): portal.connection-limit 1024 lowered to 320' "$T/portal.log"
stop_portal
: >"$T/portal.log"

# ---- 1,000 trickling connections, the default deadline and budget ---------
# started with Debian's soft limit of 1024 descriptors, raised for the budget
start_portal
check "no warning about file descriptors" sh -c "! grep -q 'file descriptors at most' '$T/portal.log'"
check "the soft descriptor limit raised for the budget" \
	awk '/^Max open files/ { exit !($4 >= 1024 + 64 + 128) }' "/proc/$PORTAL_PID/limits"
slow --conns 1000 --addrs 65 --greedy 40 --interval 3 --max-time $((DEADLINE + 20))
open_slow=$(readyj 'd["open"]["slow"]')
open_greedy=$(readyj 'd["open"]["greedy"]')
check "all 1,000 slow connections are open (got $open_slow)" test "$open_slow" = 1000
check "...from 65 addresses" test "$(readyj 'd["addresses"]')" = 65
check "the greedy address holds its share of $PER_IP, no more (got $open_greedy)" test "$open_greedy" = "$PER_IP"
n=$(fds)
check "the portal holds them: $n descriptors open" test "$n" -ge 1016
secs=$(enrol lea.martin)
t_enrolled=$(date +%s.%N)
check "a whole enrolment while they are open (took ${secs:-failed} s)" test -n "$secs"
check "...within 5 s" awk -v s="${secs:-99}" 'BEGIN { exit !(s < 5) }'
echo "enrolment with 1,000 slow connections open: ${secs:-failed} s"
slow_done
echo "slow clients: $(cat "$T/slow.json")"
check "the slow connections were still open when the enrolment ended" \
	awk -v a="$(slowj 'd["slow_first_close"] or 0')" -v b="$t_enrolled" 'BEGIN { exit !(a > b) }'
check "the portal closed every slow connection (left open: $(slowj 'd["left_open"]'))" \
	test "$(slowj 'd["slow_closed"]')" = 1000
check "...none before the deadline (first at $(slowj 'd["slow_age_min"]') s)" \
	awk -v a="$(slowj 'd["slow_age_min"]')" -v d="$DEADLINE" 'BEGIN { exit !(a >= d - 0.5) }'
check "...all soon after it (last at $(slowj 'd["slow_age_max"]') s)" \
	awk -v a="$(slowj 'd["slow_age_max"]')" -v d="$DEADLINE" 'BEGIN { exit !(a <= d + 3) }'
check "...without answering them" test "$(slowj 'd["answered"]')" = 0
check "the log says so, in one line for many" grep -q 'slow clients: [0-9]* requests cut at the 10 s deadline' "$T/portal.log"
check "...and names the greedy client" grep -q 'refused at a client.s share of 16 (last 127.0.2.1)' "$T/portal.log"
check "the slow clients' descriptors are given back" wait_for 50 sh -c "[ \$(find /proc/$PORTAL_PID/fd -mindepth 1 -maxdepth 1 | wc -l) -lt 100 ]"
stop_portal
cut=$(sed -n 's/.*slow clients: \([0-9]*\) requests cut at the 10 s deadline.*/\1/p' "$T/portal.log" | awk '{ n += $1 } END { print n + 0 }')
check "...every one of the 1,000 counted in the log by the time it stops (got $cut)" test "$cut" -ge 1000

# ---- a budget smaller than the attack, no deadline to help --------------
sed -i "s/^  connection-limit: .*/  connection-limit: 200/; s/^  request-deadline-s: .*/  request-deadline-s: 120/" "$conf"
start_portal
slow --conns 400 --addrs 25 --interval 3 --max-time 20
secs=$(enrol hugo.blanc)
check "over budget, the oldest slow requests make room: an enrolment (took ${secs:-failed} s)" test -n "$secs"
check "...within 5 s" awk -v s="${secs:-99}" 'BEGIN { exit !(s < 5) }'
echo "enrolment with a budget of 200 and 400 slow connections: ${secs:-failed} s"
n=$(fds)
check "the budget holds: $n descriptors open" test "$n" -le $((200 + 64 + 40))
slow_done
check "the log says room was made" grep -Eq 'slow clients: .*, [1-9][0-9]* closed to make room' "$T/portal.log"
stop_portal

finish
