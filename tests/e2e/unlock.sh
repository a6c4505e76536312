# SPDX-License-Identifier: GPL-2.0-or-later
# The teacher in class, in the lab of tests/e2e/lab.sh: outside the pupils'
# schedule a pupil's phone is refused (EAP-TLS through hostapd, FreeRADIUS
# + rlm_byod, wpa_supplicant); the teacher logs into the portal (curl, its
# cookie jar and form token, from her own namespace) and opens her class
# for 10 minutes; the phone connects into the pupils' segment, and
# "Fermer maintenant" moves its open session out (byod-gatewayd's
# Disconnect, within a second of the POST) and it is refused again. Then,
# with a school whose refused phones sit in the registration segment
# instead of being rejected, an opening of the shortest offered duration
# (a minute, portal.unlock-minutes) moves the phone's open session into
# pupils within a second of the POST, and back into registration within a
# second of its end, without anyone touching anything.
#
# One function per scenario, each with a line saying what it proves.
if [ -z "${BYOD_E2E_NS:-}" ]; then
	exec unshare -n env BYOD_E2E_NS=1 bash "$0" "$@"
fi
ip link set lo up
. "$BYOD_SRC/tests/cli/lib.sh"
. "$BYOD_SRC/tests/radius/lib.sh"
: "${BYOD_PORTAL:?BYOD_PORTAL must name the byod-portal binary}"
: "${BYOD_GATEWAYD:?BYOD_GATEWAYD must name the byod-gatewayd binary}"
. "$BYOD_SRC/tests/e2e/lab.sh"
trap 'lab_down; [ -n "${KEEP:-}" ] || rm -rf "$T" ${TLS_CACHE:+"$TLS_CACHE"}' EXIT
trap 'exit 1' INT TERM
UA='Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36'

# ---- the school ---------------------------------------------------------
init_school
hm() { date -u -d "$1" +%H:%M; }
policy() { # OTHERWISE: what the pupils' rule outside school hours says
	cat <<POLICY
segments:
  registration: { vlan: 10, subnet: 10.10.0.0/22, allow: [portal, dns, dhcp] }
  pupils: { vlan: 20, subnet: 10.20.0.0/16, allow: [web, ent, dns, dhcp], isolate-clients: true }
  teachers: { vlan: 30, subnet: 10.30.0.0/20, allow: [web, ent, printers, dns, dhcp] }
services:
  portal: { to: [$PORTAL], ports: [tcp/80, tcp/443, tcp/8080] }
  web: { to: [0.0.0.0/0], ports: [tcp/80, tcp/443] }
  ent: { to: [$ENT], ports: [tcp/443] }
  printers: { to: [10.0.5.0/24], ports: [tcp/631] }
schedules:
  school-hours: { from: "$(hm '+3 hours')", to: "$(hm '+4 hours')", timezone: UTC }
rules:
  - name: revoked or retired devices
    match: { state: [revoked, retired, suspended] }
    action: reject
  - name: unknown devices register
    match: { state: unknown }
    segment: registration
  - name: teachers
    match: { role: teacher }
    segment: teachers
  - name: pupils in school hours
    match: { role: student, schedule: school-hours }
    segment: pupils
  - name: a class opened by its teacher
    match: { role: student, unlock: teacher }
    segment: pupils
  - name: pupils otherwise
    match: { role: student }
    $1
default: registration
POLICY
}
policy 'action: reject' >"$T/reject.yaml"
policy 'segment: registration' >"$T/aside.yaml"
"$BYODCTL" policy check "$T/reject.yaml" >"$T/check.out" 2>&1 ||
	{ cat "$T/check.out" >&2; echo "the lab's policy does not check" >&2; exit 1; }
"$BYODCTL" policy apply "$T/reject.yaml" >/dev/null || { echo "policy apply failed" >&2; exit 1; }
adduser() { # LOGIN ROLE PASSWORD GROUP
	printf '%s\n' "$3" | "$BYODCTL" user add "$1" --role "$2" --school 0131234W --group "$4" \
		--name "$1 (lab)" --password-stdin >/dev/null || { echo "user add $1 failed" >&2; exit 1; }
}
adduser lea.martin student 'Calanques-2026!' 4B
adduser m.durand teacher 'Tableau-Noir-42' 4B
# the durations the teacher is offered: the test's shortest, and ten minutes
sed -i 's/^  unlock-minutes: .*/  unlock-minutes: "1 10 60"/' "$BYOD_HOME/byod.conf"
grep -q '^  unlock-minutes: "1 10 60"$' "$BYOD_HOME/byod.conf" ||
	{ echo "portal.unlock-minutes not set" >&2; exit 1; }

radius_setup
printf '%s\n' "$SECRET" >"$T/secret"
lab_config
lab_links
lab_services
radius_start
start_portal
start_gatewayd
start_hostapd pupil

# ---- helpers ----------------------------------------------------------------
# the gateway's answers from the access points (Disconnect or CoA ACKs) so far;
# with a PATTERN, the lines of the gateway's log matching it
ACK_PAT='(Disconnect|CoA)-ACK in'
acks() { grep -Ec "${1:-$ACK_PAT}" "$T/gatewayd.log"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# ack_after N T0: waits (3 s at most) for more than N ACKs; prints the ms
# from T0 to the new one as the gateway's log stamps it (not to when this
# script saw it: a loaded machine runs the grep late), or "never"
ack_after() { # N T0 [PATTERN]
	local n=$1 t0=$2 pat=${3:-$ACK_PAT} stamp
	for _ in $(seq 600); do
		if [ "$(acks "$pat")" -gt "$n" ]; then
			stamp=$(grep -E "$pat" "$T/gatewayd.log" | sed -n "$((n + 1))p" | cut -d' ' -f1)
			echo $(($(date -d "$stamp" +%s%3N) - t0))
			return 0
		fi
		sleep 0.005
	done
	echo never
	return 1
}
# the teacher's portal, from her own namespace (the onboarding port):
# teacher_page loads her page (its form token), then T0 is taken, then
# teacher_unlock sends the form: the times below count from the POST
teacher_page() { preq teacher GET /unlock; [ "$(code)" = 200 ] && TOKEN=$(csrf); }
teacher_unlock() { # open GROUP MINUTES | close ID: the POST, its answer in $T/code, when in T_ANSWER
	if [ "$1" = open ]; then
		ppost teacher /unlock "csrf=$TOKEN" action=open "group=$2" "minutes=$3"
	else
		ppost teacher /unlock "csrf=$TOKEN" action=close "id=$2"
	fi
	T_ANSWER=$(now_ms)
	[ "$(code)" = 303 ]
}
# where the time from T0 went, for a failure's message: the portal's answer,
# then the gateway's event KIND (unlock.start, unlock.end), from its log
story() { # T0 KIND
	local ev
	ev=$(grep " event [0-9]* $2 " "$T/gatewayd.log" | tail -1 | cut -d' ' -f1)
	[ -n "$ev" ] && ev=$(($(date -d "$ev" +%s%3N) - $1))
	echo "the portal answered the POST $((T_ANSWER - $1)) ms after it, the gateway read $2 at ${ev:-never} ms"
}
# the id of the teacher's live opening of 4B, as her page lists it
opening_id() {
	preq teacher GET /unlock
	sed 's/>/>\n/g' "$T/b" | sed -n 's/.*name="id" value="\([0-9]*\)".*/\1/p' | head -1
}
reconnect() { # the pupil turns the Wi-Fi off and on (after an EAP-Failure the supplicant holds off)
	supplicant pupil "$T/pupil-phone-lea.p12" "$PASS_PHONE"
}
explain() { "$BYODCTL" policy explain "$PHONE" >"$T/explain.txt" 2>&1; }

scenario_refused() { # proves: outside the schedule, the pupil's phone is refused by the policy at EAP-TLS
	check "pupil: logs in at the portal from the onboarding port" portal_login pupil lea.martin 'Calanques-2026!'
	if portal_enrol pupil phone-lea phone; then ok; else ko "pupil: enrols her phone (code $(code))"; fi
	PASS_PHONE=$PASS
	PHONE=$("$BYODCTL" device list --owner lea.martin --json | json "[x['id'] for x in d if x['name'] == 'phone-lea'][0]")
	supplicant pupil "$T/pupil-phone-lea.p12" "$PASS_PHONE"
	check "pupil: the phone is refused by rule 'pupils otherwise'" wait_for 150 \
		grep -q "reject: rejected by rule 'pupils otherwise'" "$RADDB/log/radius.log"
	if authorized pupil; then ko "pupil: the station is authorised outside the schedule"; else ok; fi
	check "pupil: not admitted by the gateway" not_admitted pupil
	explain
	check "policy explain: no teacher has opened the class" grep -qi 'no teacher has opened' "$T/explain.txt"
}

scenario_open_ten_minutes() { # proves: the teacher opens 4B for 10 minutes at the portal; the phone is accepted into pupils and reaches the ENT
	local t0 t_auth= until
	check "teacher: logs in at the portal" portal_login teacher m.durand 'Tableau-Noir-42'
	preq teacher GET /devices
	check "teacher: Mes appareils links to the page" grep -q 'href="/unlock"' "$T/b"
	check "teacher: her page, with its form" teacher_page
	t0=$(now_ms)
	check "teacher: opens 4B for 10 minutes (POST /unlock, 303)" teacher_unlock open 4B 10
	UNLOCK_ID=$(opening_id)
	until=$(grep -o 'ouverte jusqu’à [0-9:]*' "$T/b" | head -1)
	check "teacher: her page lists it, $until" test -n "$until"
	check "the opening is audited with the teacher as the actor" sh -c \
		"'$BYODCTL' audit --json | grep -A3 '\"actor\": \"teacher:m.durand\"' | grep -q unlock.start"
	explain
	check "policy explain: the class 4B is opened by a teacher until ..." grep -qi 'opened by a teacher until' "$T/explain.txt"
	check "...which decides: the rule 'a class opened by its teacher'" grep -q "=> rule 'a class opened by its teacher'" "$T/explain.txt"
	reconnect
	# (a phone refused before holds off; turned off and on, it is seen
	# again once hostapd has let its old station go, about 5 s)
	while [ $(($(now_ms) - t0)) -lt 20000 ]; do
		authorized pupil && { t_auth=$(($(now_ms) - t0)); break; }
		sleep 0.02
	done
	echo "open: the phone authorised ${t_auth:-never} ms after the POST"
	check "pupil: the phone is accepted (EAP-TLS, station authorised; ${t_auth:-never} ms after the POST)" test -n "$t_auth"
	check "pupil: admitted by the gateway into pupils" wait_for 50 admitted_in pupil pupils
	addressed pupil pupils
	check "pupil: reaches the ENT" reach pupil "$ENT" 443
	check "...answered by the ENT" grep -q '^ent' "$T/reach"
}

scenario_close_now() { # proves: "Fermer maintenant" moves the phone's open session within a second of the POST, and it is refused again
	local n t0 t_a
	check "the phone has an open accounting session" sh -c "'$BYODCTL' session list --json | grep -q '${MAC[pupil]}'"
	n=$(acks)
	check "teacher: her page, with its form" teacher_page
	t0=$(now_ms)
	check "teacher: \"Fermer maintenant\" (POST /unlock, 303)" teacher_unlock close "$UNLOCK_ID"
	t_a=$(ack_after "$n" "$t0")
	echo "close: the access point's ACK ${t_a} ms after the POST ($(story "$t0" unlock.end))"
	check "closed: the gateway's Disconnect/CoA ACKed within 1 s of the POST (${t_a} ms)" test "${t_a/never/9999}" -lt 1000
	check "...for the pupil's phone" sh -c "grep -E '(Disconnect|CoA)-ACK in' '$T/gatewayd.log' | tail -1 | grep -qi '${MAC[pupil]}'"
	check "...and no other session" test "$(acks)" = $((n + 1))
	check "the closing is audited with the teacher as the actor" sh -c \
		"'$BYODCTL' audit --json | grep -A3 '\"actor\": \"teacher:m.durand\"' | grep -q unlock.end"
	check "pupil: the station deauthorised" wait_for 20 sh -c "! hostapd_cli -p '$T/hctrl-pupil' -i s-pupil sta '${MAC[pupil]}' | grep -q AUTHORIZED"
	check "pupil: out of the admitted map" wait_for 20 not_admitted pupil
	if reach pupil "$ENT" 443; then ko "pupil: the ENT once the class is closed"; else ok; fi
	local rejects
	rejects=$(grep -c "reject: rejected by rule 'pupils otherwise'" "$RADDB/log/radius.log")
	reauthenticate pupil
	check "pupil: refused again" wait_for 100 sh -c \
		"[ \$(grep -c \"reject: rejected by rule 'pupils otherwise'\" '$RADDB/log/radius.log') -gt $rejects ]"
	if authorized pupil; then ko "pupil: authorised once the class is closed"; else ok; fi
}

scenario_one_minute() { # proves: with refused phones set aside in registration, the shortest opening moves the open session into pupils within a second of the POST and back within a second of its end
	local n t0 t_a ends t_end
	"$BYODCTL" policy apply "$T/aside.yaml" >/dev/null || ko "policy apply (refused phones in registration)"
	reconnect
	check "pupil: the phone connects, set aside in registration" wait_for 150 authorized pupil
	explain
	check "...policy explain: in registration by the rule 'pupils otherwise'" sh -c \
		"grep -q \"=> rule 'pupils otherwise'\" '$T/explain.txt' && grep -q '^decision: registration (VLAN 10)' '$T/explain.txt'"
	check "...admitted by the gateway into registration" wait_for 50 admitted_in pupil registration
	check "...with an open accounting session" wait_for 50 sh -c "'$BYODCTL' session list --json | grep -q '${MAC[pupil]}'"
	if reach pupil "$ENT" 443; then ko "pupil: the ENT from registration"; else ok; fi
	n=$(acks)
	check "teacher: her page, with its form" teacher_page
	t0=$(now_ms)
	check "teacher: opens 4B for 1 minute, the shortest offered (POST /unlock, 303)" teacher_unlock open 4B 1
	t_a=$(ack_after "$n" "$t0")
	ends=$((t0 / 1000 + 60))
	echo "open 1 min: the access point's ACK ${t_a} ms after the POST ($(story "$t0" unlock.start))"
	check "opened: the phone's session moved (Disconnect/CoA ACKed) within 1 s of the POST (${t_a} ms)" \
		test "${t_a/never/9999}" -lt 1000
	check "...the pupil's phone's" sh -c "grep -E '(Disconnect|CoA)-ACK in' '$T/gatewayd.log' | tail -1 | grep -qi '${MAC[pupil]}'"
	check "...and no other session" test "$(acks)" = $((n + 1))
	reauthenticate pupil
	check "pupil: accepted into pupils" wait_for 150 admitted_in pupil pupils
	explain
	check "...policy explain: by the rule 'a class opened by its teacher'" grep -q "=> rule 'a class opened by its teacher'" "$T/explain.txt"
	addressed pupil pupils
	check "pupil: reaches the ENT for the minute" reach pupil "$ENT" 443
	# the end, to the second, as the registry has it
	ends=$(registry_ends)
	check "the opening ends a minute after the POST (at $(date -d "@${ends:-0}" +%T))" \
		test "$((ends - t0 / 1000))" -ge 59 -a "$((ends - t0 / 1000))" -le 61
	n=$(acks)
	while [ "$(date +%s)" -lt $((ends - 1)) ]; do
		# nothing moves while it lasts
		[ "$(acks)" = "$n" ] || { ko "the session moved before the end (at $(date +%T), the end $(date -d "@$ends" +%T))"; break; }
		sleep 0.2
	done
	# the session ended at the end: the gateway's Disconnect ACKed, or the
	# access point ending it by itself first (the Session-Timeout rlm_byod
	# set to the unlock's end: then the gateway's Disconnect finds it gone)
	local end_pat="$ACK_PAT|already ended at the access point| event [0-9]+ session\.stop "
	n=$(acks "$end_pat")
	# (ack_after waits 3 s from now, a second before the end)
	t_end=$(ack_after "$n" $((ends * 1000)) "$end_pat")
	echo "end of the minute: the session ended ${t_end} ms after the end ($(grep -E "$end_pat" "$T/gatewayd.log" | sed -n "$((n + 1))p" | cut -d' ' -f3-))"
	if [ "$t_end" = never ]; then
		ko "ended: no Disconnect/CoA ACK, no end of the session within 2 s of the end (the last: $(grep -E "$ACK_PAT" "$T/gatewayd.log" | tail -1))"
		wait_for 600 sh -c "[ \$(grep -Ec '$ACK_PAT' '$T/gatewayd.log') -gt $n ]" &&
			echo "...it came at $(date +%T), $(($(date +%s) - ends)) s after the end" >&2
	else
		check "ended: the session ended within 1 s of the end (${t_end} ms), not before it" \
			test "$t_end" -ge 0 -a "$t_end" -lt 1000
		check "...the gateway moved the pupil's phone out of pupils" \
			grep -qi "(${MAC[pupil]}): pupils -> registration" "$T/gatewayd.log"
	fi
	reauthenticate pupil
	check "pupil: back in registration once the minute is over" wait_for 150 admitted_in pupil registration
	if reach pupil "$ENT" 443; then ko "pupil: the ENT after the minute"; else ok; fi
	explain
	check "policy explain: no teacher has opened the class any more" grep -qi 'no teacher has opened' "$T/explain.txt"
}

# the end of the live opening of 4B (the registry's, to the second)
registry_ends() {
	python3 -c 'import sqlite3, sys, time
now = int(time.time())
print(sqlite3.connect(sys.argv[1]).execute(
    "SELECT max(ends) FROM unlocks WHERE starts <= ? AND ? < ends AND (ended IS NULL OR ended = 0)",
    (now, now)).fetchone()[0])' "$BYOD_HOME/registry.db"
}

scenario_refused
scenario_open_ten_minutes
scenario_close_now
scenario_one_minute
if [ "$failed" -ne 0 ]; then
	echo "--- gatewayd.log (end)"; tail -20 "$T/gatewayd.log"
	echo "--- radius.log (end)"; tail -20 "$RADDB/log/radius.log"
	echo "--- portal.log (end)"; tail -5 "$T/portal.log"
fi >&2
finish
