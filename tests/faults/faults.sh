# SPDX-License-Identifier: GPL-2.0-or-later
# Faults: the registry's disk full during enrolments (a small tmpfs, in a
# mount namespace of the test's own), the registry locked by another
# process for 5 s, the clock stepping back an hour (libfaketime), and an
# access point that never answers a Disconnect-Request. After each: the
# registry is consistent (no certificate without its device, no device
# without its audit entry and its change-feed event), the user was told
# in one clear sentence, and the next attempt works without anyone
# restarting anything.

# a mount namespace of our own: the tmpfs goes away with the test
if [ -z "${BYOD_FAULTS_NS:-}" ]; then
	BYOD_FAULTS_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
. "$BYOD_SRC/tests/cli/lib.sh"
. "$BYOD_SRC/tests/portal/lib.sh"
: "${BYOD_PORTAL:?BYOD_PORTAL must name the byod-portal binary}"

mkdir -p "$T/disk"
mount -t tmpfs -o size=12m tmpfs "$T/disk" || { echo "cannot mount a tmpfs" >&2; exit 1; }
export BYOD_HOME="$T/disk/home"
PORTAL_PID=
trap '[ -n "$PORTAL_PID" ] && kill "$PORTAL_PID" 2>/dev/null; wait 2>/dev/null
	umount "$T/disk" 2>/dev/null; rm -rf "$T"' EXIT
init_school
printf 'Calanques-2026!\n' | "$BYODCTL" user add lea.martin --role student --school 0131234W \
	--name "Léa Martin" --password-stdin >/dev/null || { echo "user add failed" >&2; exit 1; }
"$BYODCTL" user add hugo --role student --school 0131234W >/dev/null
sed -i "s/^  limit-student: .*/  limit-student: 50/; s/^  rate-per-day: .*/  rate-per-day: 0/" "$BYOD_HOME/byod.conf"

# consistent: no certificate without its device, and every device has the
# audit entry and the change-feed event of its enrolment
consistent() {
	python3 - "$BYOD_HOME/registry.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
orphans = db.execute("""SELECT count(*) FROM certificates c
    LEFT JOIN devices d ON d.id = c.device WHERE d.id IS NULL""").fetchone()[0]
bare = db.execute("""SELECT count(*) FROM devices d WHERE NOT EXISTS
    (SELECT 1 FROM certificates c WHERE c.device = d.id)""").fetchone()[0]
unaudited = db.execute("""SELECT count(*) FROM devices d WHERE NOT EXISTS
    (SELECT 1 FROM audit a WHERE a.object = d.id)""").fetchone()[0]
silent = db.execute("""SELECT count(*) FROM devices d WHERE NOT EXISTS
    (SELECT 1 FROM events e WHERE e.object = d.id)""").fetchone()[0]
ok = db.execute("PRAGMA integrity_check").fetchone()[0]
print(orphans, bare, unaudited, silent, ok)
sys.exit(0 if (orphans, bare, unaudited, silent, ok) == (0, 0, 0, 0, "ok") else 1)
PY
}
devices() { "$BYODCTL" device list --owner "$1" --json | json 'len(d)'; }
enrol() { # NAME: byodctl's enrolment of a phone for lea.martin
	"$BYODCTL" device enrol lea.martin --name "$1" --kind phone --out "$T/out-$1"
}

# ---- the disk fills up -------------------------------------------------

expect_ok "an enrolment before the disk fills" enrol before
n=$(devices lea.martin)
dd if=/dev/zero of="$T/disk/filler" bs=64k status=none 2>/dev/null
check "the disk is full" sh -c "! dd if=/dev/zero of='$T/disk/one-more' bs=4k count=1 status=none 2>/dev/null"
expect_fail "an enrolment on a full disk is refused in one sentence" \
	"(disk|space|full)" enrol on-full-disk
check "...leaving no trace of it" test "$(devices lea.martin)" = "$n"
check "...and the registry consistent ($(consistent))" consistent
before=$("$BYODCTL" device list --owner lea.martin --json |
	json '[x["id"] for x in d if x["name"] == "before"][0]')
# a revocation needs little room (the registry reuses its log): it either
# happens whole or is refused in one sentence, the device still active
if "$BYODCTL" device revoke "$before" >"$T/rev.out" 2>&1; then
	check "a revocation on a full disk, done whole: revoked" sh -c \
		"'$BYODCTL' device list --owner lea.martin --state revoked --json | grep -q '\"before\"'"
else
	check "a revocation on a full disk refused in one sentence ($(cat "$T/rev.out"))" \
		sh -c "[ \$(wc -l <'$T/rev.out') = 1 ] && grep -Eq 'disk|space|full' '$T/rev.out'"
	check "...the device still active" sh -c \
		"'$BYODCTL' device list --owner lea.martin --state active --json | grep -q '\"before\"'"
fi
check "...the registry consistent ($(consistent))" consistent
expect_ok "the registry is still read on a full disk" "$BYODCTL" device list --owner lea.martin
rm -f "$T/disk/filler" "$T/disk/one-more"
expect_ok "space back: the same enrolment works, nothing restarted" enrol after-full-disk
check "...one more device" test "$(devices lea.martin)" = "$((n + 1))"
check "...the registry consistent ($(consistent))" consistent

# ---- the portal on a full disk -----------------------------------------

read -r HTTP_PORT HTTPS_PORT <<<"$(free_ports 2)"
sed -i "s/^  http-port: .*/  http-port: $HTTP_PORT/; s/^  https-port: .*/  https-port: $HTTPS_PORT/" \
	"$BYOD_HOME/byod.conf"
"$BYOD_PORTAL" --home "$BYOD_HOME" 2>>"$T/portal.log" &
PORTAL_PID=$!
check "the portal starts" wait_for 100 curl -s -o /dev/null "http://127.0.0.1:$HTTP_PORT/api/captive"
URL="http://127.0.0.1:$HTTP_PORT"
req() { # METHOD PATH [curl args]: the page in $T/page, the status in $T/code
	local m=$1 p=$2; shift 2
	curl -s -o "$T/page" -w '%{http_code}' -b "$T/jar" -c "$T/jar" -H 'Accept-Language: fr' \
		-X "$m" "$URL$p" "$@" >"$T/code"
}
csrf() { grep -o 'name="csrf" value="[^"]*"' "$T/page" | head -1 | sed 's/.*value="//; s/"$//'; }
login() {
	req GET / && req POST /login --data-urlencode "csrf=$(csrf)" \
		--data-urlencode login=lea.martin --data-urlencode 'password=Calanques-2026!' &&
		[ "$(cat "$T/code")" = 303 ]
}
portal_enrol() { # NAME: status of the enrolment POST in $T/code
	req GET /enrol && req POST /enrol --data-urlencode "csrf=$(csrf)" \
		--data-urlencode "name=$1" --data-urlencode kind=phone --data-urlencode charter=yes
}
check "lea logs in at the portal" login
n=$(devices lea.martin)
req GET /enrol # the form, before the disk fills
form=$(csrf)
dd if=/dev/zero of="$T/disk/filler" bs=64k status=none 2>/dev/null
req POST /enrol --data-urlencode "csrf=$form" --data-urlencode name=portal-full-disk \
	--data-urlencode kind=phone --data-urlencode charter=yes
check "the portal refuses an enrolment on a full disk with a page that says to come back ($(cat "$T/code"))" \
	sh -c "[ \"\$(cat '$T/code')\" = 503 ] && grep -q 'momentanément indisponible' '$T/page'"
req GET /enrol
check "...and any page that would need the registry's disk ($(cat "$T/code"))" \
	sh -c "[ \"\$(cat '$T/code')\" = 503 ] && grep -q 'Rien n’a été modifié' '$T/page'"
check "...the portal still runs" kill -0 "$PORTAL_PID"
check "...no device was recorded" test "$(devices lea.martin)" = "$n"
check "...the registry consistent ($(consistent))" consistent
rm -f "$T/disk/filler"
portal_enrol portal-after
check "space back: the portal enrols again, same process ($(cat "$T/code"))" \
	sh -c "[ \"\$(cat '$T/code')\" = 200 ] && grep -q 'portal-after' '$T/page'"
check "...the registry consistent ($(consistent))" consistent

# ---- the registry locked by another process for 5 s --------------------

python3 - "$BYOD_HOME/registry.db" 5 >"$T/lock.log" 2>&1 <<'PY' &
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
db.execute("ROLLBACK")
PY
LOCKER=$!
check "another process holds the registry" wait_for 50 grep -q locked "$T/lock.log"
start=$(date +%s%N)
if enrol while-locked >"$T/locked.out" 2>&1; then
	ok # it waited for the lock (registry.busy-timeout-ms) and went on
else
	check "a locked registry is said in one sentence ($(cat "$T/locked.out"))" \
		grep -Eq 'locked|busy' "$T/locked.out"
fi
portal_enrol portal-while-locked
check "the portal answers while the registry is locked, with a page ($(cat "$T/code"))" \
	sh -c "grep -q '<main' '$T/page'"
check "...and still runs" kill -0 "$PORTAL_PID"
wait "$LOCKER"
check "the lock is gone after 5 s" test "$(($(date +%s%N) - start))" -lt 30000000000
expect_ok "after the lock: an enrolment works" enrol after-lock
portal_enrol portal-after-lock
check "after the lock: the portal enrols, same process ($(cat "$T/code"))" \
	sh -c "[ \"\$(cat '$T/code')\" = 200 ] && grep -q 'portal-after-lock' '$T/page'"
check "...the registry consistent ($(consistent))" consistent

kill "$PORTAL_PID" 2>/dev/null
wait "$PORTAL_PID" 2>/dev/null
PORTAL_PID=

# ---- the clock steps back an hour --------------------------------------

seq_before=$("$BYODCTL" events | tail -1 | awk '{print $1}')
crl_before=$(openssl crl -in "$BYOD_HOME/pki/crl.pem" -noout -crlnumber | sed 's/.*=//')
export FAKETIME="-1h"
# (an ASan build wants its runtime first: libfaketime comes before it here)
back() {
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
		LD_PRELOAD=$(ls /usr/lib/*/faketime/libfaketime.so.1 | head -1) "$@"
}
check "the clock seen by byodctl is an hour back" sh -c \
	"[ \$(( \$(date +%s) - \$(LD_PRELOAD=\$(ls /usr/lib/*/faketime/libfaketime.so.1 | head -1) date +%s) )) -ge 3500 ]"
expect_ok "an hour back: an enrolment works" back "$BYODCTL" device enrol lea.martin --name an-hour-back \
	--kind phone --out "$T/out-back"
check "...its certificate valid now (from its own clock's now)" openssl verify -CAfile \
	"$BYOD_HOME/pki/ca.pem" "$T/out-back/$(ls "$T/out-back" | grep -m1 '\.pem$')"
after_id=$("$BYODCTL" device list --owner lea.martin --json |
	json '[x["id"] for x in d if x["name"] == "after-lock"][0]')
expect_ok "an hour back: a revocation works" back "$BYODCTL" device revoke "$after_id"
crl_after=$(openssl crl -in "$BYOD_HOME/pki/crl.pem" -noout -crlnumber | sed 's/.*=//')
check "...the CRL number still grows ($crl_before -> $crl_after)" \
	python3 -c "import sys; sys.exit(int('$crl_after', 16) <= int('$crl_before', 16))"
check "...the change feed still counts up (after $seq_before)" sh -c \
	"[ \$('$BYODCTL' events --since $seq_before | wc -l) -ge 2 ]"
unset FAKETIME
expect_ok "the clock back to now: an enrolment works" enrol clock-back
check "the revoked certificate is in the CRL read now" sh -c \
	"openssl crl -in '$BYOD_HOME/pki/crl.pem' -noout -text | grep -qi 'serial number'"
check "...the registry consistent ($(consistent))" consistent

# ---- an access point that never answers a Disconnect -------------------

read -r DAS_PORT <<<"$(python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')"
python3 - "$DAS_PORT" >"$T/silent.log" 2>&1 <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.settimeout(0.5)
n, end = 0, time.time() + 60
print("listening", flush=True)
while time.time() < end:
    try:
        s.recvfrom(4096)
        n += 1
        print("request", n, flush=True)  # and never an answer
    except socket.timeout:
        pass
PY
SILENT=$!
check "a silent access point listens" wait_for 50 grep -q listening "$T/silent.log"
sed -i "s/^  port: 3799$/  port: $DAS_PORT/; s/^  # secret: \"\"$/  secret: \"silent-nas-secret-0123\"/; s/^  timeout-ms: .*/  timeout-ms: 300/" \
	"$BYOD_HOME/byod.conf"
lea_dev=$("$BYODCTL" device list --owner lea.martin --state active --json | json 'd[0]["id"]')
python3 - "$BYOD_HOME/registry.db" "$lea_dev" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
now = int(time.time())
db.execute("""INSERT INTO sessions (session_id, device, mac, nas_ip, nas_id, started, updated, state)
    VALUES ('silent-1', ?, '02:00:00:00:f0:01', '127.0.0.1', 'silent-ap', ?, ?, 'open')""",
    (sys.argv[2], now, now))
db.commit()
PY
sid=$("$BYODCTL" session list --json | json '[x["id"] for x in d if x["session-id"] == "silent-1"][0]')
start=$(date +%s%N)
expect_fail "a Disconnect to an access point that never answers ends in one sentence" \
	"(no answer|did not answer|timed out)" "$BYODCTL" session disconnect "$sid"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
check "...after its three tries, not hanging ($ms ms)" test "$ms" -lt 5000
check "...the access point was asked three times" wait_for 20 grep -q '^request 3$' "$T/silent.log"
check "...the audit log says no answer came" sh -c \
	"'$BYODCTL' audit --json | grep -q 'session.disconnect'"
check "...the session is still open (nothing pretended)" sh -c \
	"'$BYODCTL' session list --json | grep -q silent-1"
kill "$SILENT" 2>/dev/null
wait "$SILENT" 2>/dev/null
finish
