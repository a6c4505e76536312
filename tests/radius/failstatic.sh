# SPDX-License-Identifier: GPL-2.0-or-later
# Fail-static: the registry made unavailable under the real freeradius with
# rlm_byod, the portal and byod-gatewayd (its nftables ruleset in a network
# namespace of the test's own). Every MAC authentication and every
# accounting packet is answered during the outage, accounting goes to the
# module's journal (byodctl radius status counts it), the portal's pages
# that need the registry answer 503 with Retry-After and the French page,
# the gateway's ruleset stays as it was; once the registry is back, every
# accounting record is in it exactly once and in the order sent, the
# journal is empty, the portal works again and the gateway follows again,
# nothing restarted.
#
# On SQLite the outage comes in two steps: a write lock held by another
# process (writes refused, -EBUSY), then its locks on the WAL index too,
# so that nothing can be read either (SQLite gives up after ~10 s, -EIO).
# Another backend (PostgreSQL): BYOD_FAILSTATIC_SETUP is run (eval) just
# after the school's SQLite registry is made, with BYOD_HOME set, to move
# it there and point byod.conf at it (e.g. byodctl registry copy, then the
# registry URL); BYOD_FAILSTATIC_OUTAGE makes the registry unavailable
# (e.g. pg_ctl stop -m immediate) and BYOD_FAILSTATIC_RESTORE brings it
# back; BYOD_FAILSTATIC_SQL reads SQL on stdin and prints rows as a|b|c
# (e.g. psql -X -A -t -F'|' URL; default: sqlite3 on the SQLite file).
# The test runs in a network namespace of its own: reach PostgreSQL by
# its Unix socket, not by TCP on loopback. The outage then lasts the
# whole of both steps (about 25 s).
if [ -z "${BYOD_FS_NS:-}" ]; then
	exec unshare -n env BYOD_FS_NS=1 bash "$0" "$@"
fi
ip link set lo up
. "$BYOD_SRC/tests/cli/lib.sh"
. "$BYOD_SRC/tests/radius/lib.sh"
: "${BYOD_PORTAL:?BYOD_PORTAL must name the byod-portal binary}"
: "${BYOD_GATEWAYD:?BYOD_GATEWAYD must name the byod-gatewayd binary}"
init_school
if [ -n "${BYOD_FAILSTATIC_SETUP:-}" ]; then
	eval "$BYOD_FAILSTATIC_SETUP" || { echo "BYOD_FAILSTATIC_SETUP failed" >&2; exit 1; }
fi
PORTAL_PID= LOCKER= GWD=
trap 'radius_stop; [ -n "$PORTAL_PID" ] && kill "$PORTAL_PID" 2>/dev/null
	[ -n "$GWD" ] && kill "$GWD" 2>/dev/null
	[ -n "$LOCKER" ] && kill "$LOCKER" 2>/dev/null; wait 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$T" ${TLS_CACHE:+"$TLS_CACHE"}' EXIT

sql() {
	if [ -n "${BYOD_FAILSTATIC_SQL:-}" ]; then
		eval "$BYOD_FAILSTATIC_SQL"
	else
		sqlite3 "$BYOD_HOME/registry.db"
	fi
}

cp "$BYOD_SRC/tests/radius/school-policy.yaml" "$T/policy.yaml"
"$BYODCTL" policy apply "$T/policy.yaml" >/dev/null || { echo "policy apply failed" >&2; exit 1; }
printf 'Calanques-2026!\n' | "$BYODCTL" user add lea --role student --school 0131234W \
	--password-stdin >/dev/null || { echo "user add failed" >&2; exit 1; }
sed -i "s/^  limit-student: .*/  limit-student: 50/; s/^  rate-per-day: .*/  rate-per-day: 0/" "$BYOD_HOME/byod.conf"
"$BYODCTL" device enrol lea --name phone-lea --kind phone --mac 02:00:00:00:aa:01 \
	--out "$T/dev" >/dev/null || { echo "enrol failed" >&2; exit 1; }

radius_setup
radius_start

# the gateway: a wired port (ap0) and the registration segment (reg0)
conf="$BYOD_HOME/byod.conf"
ip link add ap0 type veth peer name ap0p && ip link add reg0 type veth peer name reg0p ||
	{ echo "ip link add failed" >&2; exit 1; }
for l in ap0 ap0p reg0 reg0p; do ip link set "$l" up; done
sed -i 's/^  mode: vlan/  mode: existing/' "$conf"
sed -i 's/^  links: .*/  links: "registration=reg0,pupils=ap0"/' "$conf"
sed -i 's/^  admit-links: .*/  admit-links: "ap0"/' "$conf"
"$BYOD_GATEWAYD" --home "$BYOD_HOME" --verbose 2>"$T/gatewayd.log" &
GWD=$!
check "byod-gatewayd applied the ruleset" wait_for 50 grep -q 'ruleset applied' "$T/gatewayd.log"
admitted() { # (a file, not a pipe: grep -q would leave nft writing to nobody)
	nft list map inet byod admitted >"$T/map.txt" 2>&1
	grep -q "02:00:00:00:aa:01 : jump seg_pupils" "$T/map.txt"
}
ruleset() { nft list table inet byod | sed -E 's/counter packets [0-9]+ bytes [0-9]+//'; }

# the portal, HTTP only, logged in as lea before the outage
HTTP_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sed -i "s/^  http-port: .*/  http-port: $HTTP_PORT/; s/^  https-port: .*/  https-port: 0/" \
	"$BYOD_HOME/byod.conf"
"$BYOD_PORTAL" --home "$BYOD_HOME" 2>>"$T/portal.log" &
PORTAL_PID=$!
check "the portal starts" wait_for 100 curl -s -o /dev/null "http://127.0.0.1:$HTTP_PORT/api/captive"
URL="http://127.0.0.1:$HTTP_PORT"
req() { # METHOD PATH [curl args]: the page in $T/page, headers in $T/head, status in $T/code
	local m=$1 p=$2; shift 2
	curl -s -o "$T/page" -D "$T/head" -w '%{http_code}' -b "$T/jar" -c "$T/jar" \
		-H 'Accept-Language: fr' -X "$m" "$URL$p" "$@" >"$T/code"
}
csrf() { grep -o 'name="csrf" value="[^"]*"' "$T/page" | head -1 | sed 's/.*value="//; s/"$//'; }
req GET /
req POST /login --data-urlencode "csrf=$(csrf)" --data-urlencode login=lea \
	--data-urlencode 'password=Calanques-2026!'
check "lea logs in at the portal ($(cat "$T/code"))" test "$(cat "$T/code")" = 303

mab_vlan() { # MAC: the VLAN of the Access-Accept, "reject", or "none"
	mab "$1"
	if grep -q "Access-Accept" "$T/mab.out"; then
		sed -n 's/.*Tunnel-Private-Group-Id:0 = "\([0-9]*\)".*/\1/p' "$T/mab.out" | head -1
	elif grep -q "Access-Reject" "$T/mab.out"; then
		echo reject
	else
		echo none
	fi
}
ACCT_SENT=() # "session type octets", in the order sent
acct() { # TYPE SESSION OCTETS: one accounting packet, answered or not
	printf 'Acct-Status-Type = %s\nAcct-Session-Id = "%s"\nNAS-IP-Address = 127.0.0.1\nNAS-Identifier = "ap-1"\nCalling-Station-Id = "02-00-00-00-AA-01"\nFramed-IP-Address = 10.20.0.7\nAcct-Input-Octets = %s\nAcct-Output-Octets = %s\n' \
		"$1" "$2" "$3" "$3" | radclient -x -r 1 -t 3 "127.0.0.1:$ACCT_PORT" acct "$SECRET" >"$T/acct.out" 2>&1
	ACCT_SENT+=("$2 $1 $3")
	grep -q "Accounting-Response" "$T/acct.out"
}
status() { "$BYODCTL" radius status --json | json "d$1"; }

v=$(mab_vlan 02:00:00:00:aa:01)
check "before: MAB of lea's phone in VLAN 20 ($v: $(grep Reply-Message "$T/mab.out"))" test "$v" = 20
req GET /enrol # the form, before the outage
form=$(csrf)
check "...the enrolment form has its token" test -n "$form"
check "before: accounting is recorded" acct Start before-1 0
check "...in the registry at once" test "$(echo "SELECT COUNT(*) FROM sessions WHERE session_id = 'before-1';" | sql)" = 1
check "...and the gateway admitted its MAC into pupils" wait_for 50 admitted
check "the status file says the registry is reachable" wait_for 30 \
	sh -c "'$BYODCTL' radius status | grep -q '^registry: reachable'"

# ---- the outage ------------------------------------------------------------

if [ -n "${BYOD_FAILSTATIC_OUTAGE:-}" ]; then
	eval "$BYOD_FAILSTATIC_OUTAGE" || { echo "the outage command failed" >&2; exit 1; }
else
	# writes first; on SIGUSR1 the WAL index's lock bytes too (this
	# process's own fcntl locks, so they add to SQLite's, never close)
	python3 - "$BYOD_HOME/registry.db" >"$T/lock.log" 2>&1 <<'PY' &
import fcntl, os, signal, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
def everything(sig, frame):
    fd = os.open(sys.argv[1] + "-shm", os.O_RDWR)
    for _ in range(500):
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 8, 120, 0)
            print("reads locked", flush=True)
            return
        except OSError:
            time.sleep(0.01)
    print("reads not locked", flush=True)
signal.signal(signal.SIGUSR1, everything)
while True:
    time.sleep(1)
PY
	LOCKER=$!
	check "another process holds the registry" wait_for 50 grep -q locked "$T/lock.log"
fi
start=$(date +%s)
answered=0 mab_ok=0 sent=0
for i in 1 2 3 4; do
	for t in Start Interim-Update Stop; do
		octets=$(( (i * 1000) + ${#t} ))
		sent=$((sent + 1))
		acct "$t" "out-$i" "$octets" && answered=$((answered + 1))
		[ "$(mab_vlan 02:00:00:00:aa:01)" = 20 ] && mab_ok=$((mab_ok + 1))
	done
done
check "during the outage: every accounting packet answered ($answered of $sent)" test "$answered" = "$sent"
check "...every MAB answered from the index, VLAN 20 ($mab_ok of $sent)" test "$mab_ok" = "$sent"
check "...an unknown device still goes to registration" test "$(mab_vlan 02:00:00:00:ee:09)" = 10
check "...the accounting waits in the journal (byodctl radius status)" wait_for 30 \
	sh -c "[ \"\$('$BYODCTL' radius status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"accounting-spooled\"])')\" = $sent ]"
"$BYODCTL" radius status >"$T/status.txt" 2>&1
check "...said in a sentence ($(grep accounting "$T/status.txt"))" grep -q "^accounting: $sent records spooled since" "$T/status.txt"
# 0710: the group (byod) may reach the stats socket in it, never list it
check "...the journal is private (0710)" test "$(stat -c %a "$BYOD_HOME/radius-spool")" = 710
check "...its journal files not readable by others" test -z "$(find "$BYOD_HOME/radius-spool" -mindepth 1 -type f ! -name status -perm /007)"
if [ -z "${BYOD_FAILSTATIC_OUTAGE:-}" ]; then # (a server that is down cannot be asked)
	check "...nothing of it in the registry yet" \
		test "$(echo "SELECT COUNT(*) FROM sessions WHERE session_id LIKE 'out-%';" | sql)" = 0
fi

req POST /enrol --data-urlencode "csrf=$form" --data-urlencode name=during-outage \
	--data-urlencode kind=phone --data-urlencode charter=yes
check "the portal answers 503 to a page that needs the registry ($(cat "$T/code"))" \
	test "$(cat "$T/code")" = 503
check "...with Retry-After" grep -qi '^Retry-After: [0-9]' "$T/head"
check "...and the French page in the portal's frame" sh -c \
	"grep -q 'Service momentanément indisponible' '$T/page' && grep -q 'réessayez dans quelques instants' '$T/page' && grep -q '<main>' '$T/page' && grep -q 'lang=\"fr\"' '$T/page'"
req POST /enrol --data-urlencode "csrf=$form" --data-urlencode name=during-outage-2 \
	--data-urlencode kind=phone --data-urlencode charter=yes
check "...the static pages still work" sh -c \
	"curl -s -o /dev/null -w '%{http_code}' '$URL/static/portal.css' | grep -q 200"
check "...one log line for the outage, not one per page ($(grep -c 'registry is unavailable' "$T/portal.log"))" \
	test "$(grep -c 'registry is unavailable' "$T/portal.log")" = 1

# ---- nothing can be read either ------------------------------------------------

before_rules=$(ruleset)
if [ -z "${BYOD_FAILSTATIC_OUTAGE:-}" ]; then
	kill -USR1 "$LOCKER"
	check "the registry cannot be read either" wait_for 50 grep -q '^reads locked' "$T/lock.log"
fi
req GET /devices & # the session cannot be read: 503, once SQLite gives up
READER=$!
mab_ok=0 n=0 t_end=$(($(date +%s) + 12))
while [ "$(date +%s)" -lt "$t_end" ]; do
	n=$((n + 1))
	[ "$(mab_vlan 02:00:00:00:aa:01)" = 20 ] && mab_ok=$((mab_ok + 1))
	sleep 0.2
done
check "MAB answered from memory throughout ($mab_ok of $n)" test "$mab_ok" = "$n"
check "byodctl radius status: the registry unreachable since a time" wait_for 150 \
	sh -c "'$BYODCTL' radius status | grep -Eq '^registry: unreachable since 20[0-9-]+T'"
check "the module logged it once" test "$(grep -c 'the registry cannot be read' "$RADDB/log/radius.log")" = 1
wait "$READER"
check "the portal: a page that reads the registry answers 503 ($(cat "$T/code"))" sh -c \
	"[ \"\$(cat '$T/code')\" = 503 ] && grep -q 'Service momentanément indisponible' '$T/page'"
check "...still one line in its log for the whole outage" \
	test "$(grep -c 'registry is unavailable' "$T/portal.log")" = 1
# SQLite gives up a read whose lock it cannot take after ~10 s of its own
# retries (SQLITE_PROTOCOL), and the gateway's wait and then its read each
# meet one: ~20 s, more on a loaded machine
check "the gateway said it once ($(grep -c 'ruleset stays as it is' "$T/gatewayd.log"))" \
	wait_for 400 sh -c "[ \$(grep -c 'ruleset stays as it is' '$T/gatewayd.log') = 1 ]"
check "...and kept its ruleset as it was" test "$(ruleset)" = "$before_rules"
check "...the MAC still admitted" admitted

# ---- back --------------------------------------------------------------------

t_restore=$(date +%s)
if [ -n "${BYOD_FAILSTATIC_RESTORE:-}" ]; then
	eval "$BYOD_FAILSTATIC_RESTORE" || { echo "the restore command failed" >&2; exit 1; }
else
	kill "$LOCKER"
	wait "$LOCKER" 2>/dev/null
	LOCKER=
fi
check "the registry back: the journal is replayed by itself" wait_for 100 \
	sh -c "[ \"\$('$BYODCTL' radius status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"accounting-spooled\"])')\" = 0 ]"
check "...the journal file is empty" test ! -s "$BYOD_HOME/radius-spool/journal"
rows=$(echo "SELECT session_id, COUNT(*) FROM sessions WHERE session_id LIKE 'out-%' GROUP BY session_id ORDER BY session_id;" | sql | tr '\n' ' ')
check "...every session once ($rows)" test "$rows" = "out-1|1 out-2|1 out-3|1 out-4|1 "
closed=$(echo "SELECT session_id || ':' || state || ':' || in_octets FROM sessions WHERE session_id LIKE 'out-%' ORDER BY session_id;" | sql | tr '\n' ' ')
check "...each closed with its Stop's counters ($closed)" \
	test "$closed" = "out-1:closed:1004 out-2:closed:2004 out-3:closed:3004 out-4:closed:4004 "
# the change feed's session events in the order the packets were sent
got=$(echo "SELECT s.session_id || ' ' || e.kind FROM events e JOIN sessions s ON s.id = CAST(e.object AS INTEGER) WHERE e.kind LIKE 'session.%' AND s.session_id LIKE 'out-%' ORDER BY e.seq;" | sql | tr '\n' ',')
want=""
for i in 1 2 3 4; do want="${want}out-$i session.start,out-$i session.stop,"; done
check "...in the order sent, each event once ($got)" test "$got" = "$want"
check "...the times are when the packets came, not when replayed" test \
	"$(echo "SELECT COUNT(*) FROM sessions WHERE session_id LIKE 'out-%' AND started >= $start AND stopped >= started AND stopped < $t_restore;" | sql)" = 4
check "the module said the outage once" test "$(grep -c 'cannot record accounting' "$RADDB/log/radius.log")" = 1
check "...and the replay once" test "$(grep -c 'journal replayed' "$RADDB/log/radius.log")" = 1
check "accounting after the outage goes straight to the registry" acct Start after-1 0
check "...recorded at once" test "$(echo "SELECT COUNT(*) FROM sessions WHERE session_id = 'after-1';" | sql)" = 1

req GET /enrol
req POST /enrol --data-urlencode "csrf=$(csrf)" --data-urlencode name=after-outage \
	--data-urlencode kind=phone --data-urlencode charter=yes
check "the portal enrols again, same process ($(cat "$T/code"))" sh -c \
	"[ \"\$(cat '$T/code')\" = 200 ] && grep -q 'after-outage' '$T/page'"
check "...and logged the recovery once" test "$(grep -c 'registry answers again' "$T/portal.log")" = 1
check "the gateway follows again by itself" wait_for 400 grep -q 'registry answers again' "$T/gatewayd.log"
check "...once" test "$(grep -c 'registry answers again' "$T/gatewayd.log")" = 1
check "...the MAC admitted" admitted
check "the module said the registry is readable again" grep -q 'readable again' "$RADDB/log/radius.log"
check "freeradius ran throughout" kill -0 "$RADIUS_PID"
check "byod-gatewayd ran throughout" kill -0 "$GWD"
finish
