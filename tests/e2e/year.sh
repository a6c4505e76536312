# SPDX-License-Identifier: GPL-2.0-or-later
# A school year in fast-forward: the real freeradius with rlm_byod,
# eapol_test, byod-portal and byodctl all read one injectable clock
# (tests/lib/clock.sh, libfaketime), which the test moves from September to
# the next September while the daemons keep running. One scenario a month:
# enrolment at the portal in September and EAP-TLS into the class's segment;
# a class change in January; a departure at a date in June (refused from
# that date, accepted the day before); renewal in July (the new certificate
# accepted, the old refused once the new one was seen); an arrival in the
# next September, the renewed certificate still valid in its grace, last
# year's expired; then the purge, which deletes exactly what is past its
# retention and nothing else (rows counted with sqlite3 before and after).
# rlm_byod linked with libfaketime first (tests/CMakeLists.txt says why):
# the server loads modules with RTLD_DEEPBIND, past the preload
RLM_BYOD_DIR=${RLM_BYOD_CLOCK_DIR:?RLM_BYOD_CLOCK_DIR must name the directory of rlm_byod.so built for the clock (libfaketime installed?)}
. "$BYOD_SRC/tests/cli/lib.sh"
. "$BYOD_SRC/tests/radius/lib.sh"
. "$BYOD_SRC/tests/lib/clock.sh"
: "${BYOD_PORTAL:?BYOD_PORTAL must name the byod-portal binary}"
export TZ=Europe/Paris
# have "byodctl words": whether this build's byodctl has the command
# (the help read whole first: grep -q would close the pipe early, and pipefail is on)
have() { local h; h=$("$BYODCTL" help 2>&1); grep -q "^  $1" <<<"$h"; }
# conf_set SECTION KEY VALUE: one key of byod.conf, written or replaced
conf_set() {
	python3 - "$BYOD_HOME/byod.conf" "$1" "$2" "$3" <<'PY'
import re, sys
path, section, key, value = sys.argv[1:]
lines = open(path).read().split("\n")
try:
    start = lines.index(section + ":")
except ValueError:
    start = -1
if start < 0:
    lines += [section + ":", "  %s: %s" % (key, value)]
else:
    end = start + 1
    while end < len(lines) and (lines[end].startswith(" ") or lines[end] == ""):
        end += 1
    for j in range(start + 1, end):
        if re.match(r"^  (# )?%s:" % re.escape(key), lines[j]):
            lines[j] = "  %s: %s" % (key, value)
            break
    else:
        lines.insert(start + 1, "  %s: %s" % (key, value))
open(path, "w").write("\n".join(lines))
PY
}

clock_init
clock_set "2027-09-01 08:00:00"
# ---- the clock itself ---------------------------------------------------
check "every program started now reads the fake clock (2027-09-01)" \
	test "$(clock_date +%F)" = 2027-09-01
init_school
db="$BYOD_HOME/registry.db"
check "the school's CA is issued in fake time (not before 2027-09-01)" sh -c \
	"openssl x509 -in '$BYOD_HOME/pki/ca.pem' -noout -startdate | grep -q '2027'"
check "...which the real clock would not accept yet (the harness really fakes)" sh -c \
	"! LD_PRELOAD= openssl verify -CAfile '$BYOD_HOME/pki/ca.pem' '$BYOD_HOME/pki/ca.pem' >/dev/null 2>&1"

# two classes, each its segment; the policy maps the groups
cat >"$T/policy.yaml" <<'POLICY'
segments:
  registration: { vlan: 10, subnet: 10.10.0.0/22 }
  c4b: { vlan: 41, subnet: 10.41.0.0/24 }
  c3a: { vlan: 31, subnet: 10.31.0.0/24 }
  pupils: { vlan: 20, subnet: 10.20.0.0/16 }
rules:
  - name: unknown devices register
    match: { state: unknown }
    segment: registration
  - name: class 4B
    match: { role: student, group: 4B }
    segment: c4b
  - name: class 3A
    match: { role: student, group: 3A }
    segment: c3a
  - name: other pupils
    match: { role: student }
    segment: pupils
default: registration
POLICY
"$BYODCTL" policy apply "$T/policy.yaml" >/dev/null || { echo "policy apply failed" >&2; exit 1; }

# the year's export, as the school's software writes it
cat >"$T/rentree-2027.csv" <<'CSV'
login,display_name,role,school,groups,password
lea.martin,Léa Martin,student,0131234W,4B,Calanques-2027!
hugo.bernard,Hugo Bernard,student,0131234W,4B,mistral-2027
tom.roux,Tom Roux,student,0131234W,4B,
zoe.blanc,Zoé Blanc,student,0131234W,4B,
CSV
"$BYODCTL" user import "$T/rentree-2027.csv" >/dev/null || { echo "user import failed" >&2; exit 1; }

read -r HTTP_PORT HTTPS_PORT <<<"$(python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))')"
conf="$BYOD_HOME/byod.conf"
sed -i "s/^  http-port: .*/  http-port: $HTTP_PORT/; s/^  https-port: .*/  https-port: 0/" "$conf"

# the school's choices: certificates of the year valid until 31 October
# (renewal opens 60 days before 31 August); sessions kept a year, the
# audit 300 days, the departed 90 days after they were disabled
conf_set pki grace-until '"10-31"'
conf_set pki renew-days 60
conf_set retention sessions 365
conf_set retention audit 300
conf_set retention people 90

radius_setup
# the decision counts, the heartbeat and the certificates first seen are
# written every second rather than every minute
sed -i 's/^\(\s*counts_interval\s*=\s*\).*/\11/' "$RADDB/mods-enabled/byod"
grep -q 'counts_interval = 1$' "$RADDB/mods-enabled/byod" ||
	{ echo "counts_interval not set" >&2; exit 1; }
radius_start
PORTAL_PID=
start_portal() {
	"$BYOD_PORTAL" --home "$BYOD_HOME" 2>>"$T/portal.log" &
	PORTAL_PID=$!
	for _ in $(seq 100); do
		curl -s -o /dev/null "http://127.0.0.1:$HTTP_PORT/api/captive" && return 0
		kill -0 "$PORTAL_PID" 2>/dev/null || { cat "$T/portal.log" >&2; exit 1; }
		sleep 0.1
	done
	echo "the portal did not start" >&2
	exit 1
}
trap '[ -n "$PORTAL_PID" ] && kill "$PORTAL_PID" 2>/dev/null; radius_stop; [ -n "${KEEP:-}" ] || rm -rf "$T" ${TLS_CACHE:+"$TLS_CACHE"}' EXIT
start_portal

# ---- the portal as a phone does it (tests/portal/enrol.sh) --------------
UA='Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36'
JAR="$T/jar"
req() { # METHOD PATH [curl options]: status in $T/code, headers $T/h, body $T/b
	local method=$1 path=$2
	shift 2
	curl -s -X "$method" -A "$UA" -b "$JAR" -c "$JAR" -H 'Host: portal.byod.lan' \
		-H 'Accept-Language: fr-FR,fr;q=0.9' -D "$T/h" -o "$T/b" -w '%{http_code}' "$@" \
		"http://127.0.0.1:$HTTP_PORT$path" >"$T/code"
}
code() { cat "$T/code"; }
csrf() { sed -n 's/.*name="csrf" value="\([A-Za-z0-9_-]*\)".*/\1/p' "$T/b" | head -1; }
post() {
	local path=$1 args=()
	shift
	for f in "$@"; do args+=(--data-urlencode "$f"); done
	req POST "$path" "${args[@]}"
}
# portal_login LOGIN PASSWORD: a new browser (cookie jar) logged in
portal_login() {
	JAR="$T/jar-$1"
	rm -f "$JAR"
	req GET /
	post /login "csrf=$(csrf)" "login=$1" "password=$2"
	[ "$(code)" = 303 ]
}
# portal_enrol NAME OUT: enrols a phone from the logged-in browser; the
# certificate and key as OUT.pem and OUT.key
portal_enrol() {
	req GET /enrol
	post /enrol "csrf=$(csrf)" "name=$1" kind=phone charter=yes
	[ "$(code)" = 200 ] || return 1
	grab_p12 "$2"
}
# grab_p12 OUT: from the enrolled page in $T/b, the one-time PKCS#12
# downloaded and opened with the passphrase shown; OUT.pem and OUT.key
grab_p12() {
	local pass link
	pass=$(sed -n 's/.*<code id="passphrase">\([^<]*\)<.*/\1/p' "$T/b")
	link=$(sed -n 's/.*id="download"[^>]*href="\([^"]*\)".*/\1/p' "$T/b")
	[ -n "$pass" ] && [ -n "$link" ] || return 1
	req GET "$link"
	[ "$(code)" = 200 ] || return 1
	openssl pkcs12 -in "$T/b" -passin "pass:$pass" -nokeys -clcerts -out "$1.pem" 2>/dev/null &&
		openssl pkcs12 -in "$T/b" -passin "pass:$pass" -nocerts -nodes -out "$1.key" 2>/dev/null
}
# eap_in NAME PEM MAC VLAN: EAP-TLS accepted in that VLAN
eap_in() { eap_tls "$1" "$2.pem" "$2.key" "$3" && [ "$(eap_vlan)" = "$4" ]; }
# eap_refused NAME PEM MAC
eap_refused() { ! eap_tls "$1" "$2.pem" "$2.key" "$3"; }
# feed: the module follows the change feed every 200 ms
feed() { sleep 0.6; }
# cert_days PEM: notAfter as YYYY-MM-DD
cert_end() { date -u -d "$(openssl x509 -in "$1.pem" -noout -enddate | cut -d= -f2)" +%F; }

# enrol_ctl LOGIN NAME OUT: byodctl device enrol; prints the device id,
# the certificate and key as OUT.pem and OUT.key
enrol_ctl() {
	local dir="$T/enrol.$RANDOM" id
	"$BYODCTL" device enrol "$1" --name "$2" --kind phone --out "$dir" --json >"$dir.json" ||
		{ echo "enrol $1 failed" >&2; return 1; }
	id=$(json 'd["device"]' <"$dir.json")
	cp "$dir/$id.pem" "$3.pem" && cp "$dir/$id.key" "$3.key" && echo "$id"
}
# needs PART "byodctl words" WHAT: whether byodctl has that command (its help
# lists it); when not, the step that needs it fails, said once
needs() {
	if have "$2"; then return 0; fi
	ko "$3: needs \`byodctl $2\` (part $1 of issue #20), not in this build"
	return 1
}
# acct TYPE SESSION MAC IP: one accounting packet, at the fake now
acct() {
	printf 'Acct-Status-Type = %s\nAcct-Session-Id = "%s"\nNAS-IP-Address = 127.0.0.1\nCalling-Station-Id = "%s"\nFramed-IP-Address = %s\nAcct-Input-Octets = 100\nAcct-Output-Octets = 200\n' \
		"$1" "$2" "$(tr a-f: A-F- <<<"$3")" "$4" | radclient -x -r 1 -t 2 "127.0.0.1:$ACCT_PORT" acct "$SECRET" >"$T/acct.out" 2>&1 &&
		grep -q Accounting-Response "$T/acct.out"
}
sq() { sqlite3 "$db" "$1"; }
# purge_checked WHEN: byodctl purge as the daily job runs it, checked row by
# row: every accounting session ended before now - retention.sessions,
# every audit row before now - retention.audit and every person disabled
# before now - retention.people is gone, and every other row that was
# there before is still there. The counts deleted go to $T/purged-WHEN
# (sessions audit people).
purge_checked() {
	local when=$1 now s_lim a_lim p_lim k
	now=$(clock_now)
	s_lim=$((now - 365 * 86400)) a_lim=$((now - 300 * 86400)) p_lim=$((now - 90 * 86400))
	# a session ends at its Stop or, its Stop lost, at its last update
	# (the purge closes it there first: REG_SESSION_OPEN_MARGIN)
	sq "SELECT id FROM sessions WHERE COALESCE(stopped, updated, started) < $s_lim" | sort >"$T/old-sessions"
	sq "SELECT id FROM sessions WHERE NOT (COALESCE(stopped, updated, started) < $s_lim)" |
		sort >"$T/keep-sessions"
	sq "SELECT id FROM audit WHERE time < $a_lim" | sort >"$T/old-audit"
	sq "SELECT id FROM audit WHERE time >= $a_lim" | sort >"$T/keep-audit"
	sq "SELECT id FROM people WHERE state = 'disabled' AND disabled_at > 0 AND disabled_at < $p_lim" |
		sort >"$T/old-people"
	sq "SELECT id FROM people WHERE NOT (state = 'disabled' AND disabled_at > 0 AND disabled_at < $p_lim)" |
		sort >"$T/keep-people"
	expect_ok "$when: byodctl purge" "$BYODCTL" purge
	sq "SELECT id FROM sessions" | sort >"$T/now-sessions"
	sq "SELECT id FROM audit" | sort >"$T/now-audit"
	sq "SELECT id FROM people" | sort >"$T/now-people"
	for k in sessions audit people; do
		check "$when: the $k past retention are deleted ($(wc -l <"$T/old-$k"))" \
			test -z "$(comm -12 "$T/old-$k" "$T/now-$k")"
		check "$when: ...and every other row of $k kept ($(wc -l <"$T/keep-$k"))" \
			test -z "$(comm -23 "$T/keep-$k" "$T/now-$k")"
	done
	echo "$(wc -l <"$T/old-sessions") $(wc -l <"$T/old-audit") $(wc -l <"$T/old-people")" >"$T/purged-$when"
}
# serial PEM: the certificate's serial as the registry writes it
serial() { openssl x509 -in "$1.pem" -noout -serial | cut -d= -f2 | tr A-F a-f | sed 's/^0*//'; }
# crl_has SERIAL: the CRL byodctl writes lists it
crl_has() {
	"$BYODCTL" ca crl --out "$T/crl.pem" >/dev/null 2>&1 &&
		openssl crl -in "$T/crl.pem" -noout -text | awk '/Serial Number:/ {print $3}' >"$T/crl-serials" &&
		python3 -c "import sys; sys.exit(int('$1', 16) not in [int(x, 16) for x in open('$T/crl-serials').read().split()])"
}

LEA_MAC=02:00:00:00:aa:01
LEA_VLAN=41 # 4B's segment; 3A's (31) once she has changed class
HUGO_MAC=02:00:00:00:aa:02
TOM_MAC=02:00:00:00:aa:03
INES_MAC=02:00:00:00:aa:04

# ==== September 2027: the rentrée =========================================
clock_set "2027-09-02 08:00:00"
# the pupil logs in at the portal with the password of the year's export
check "Sept: Léa logs in at the portal" portal_login lea.martin 'Calanques-2027!'
# the portal issues her phone a certificate, downloaded once as PKCS#12
check "Sept: Léa enrols her phone through the portal" portal_enrol "Téléphone de Léa" "$T/lea1"
lea_dev=$("$BYODCTL" device list --owner lea.martin --json | json 'd[0]["id"]')
check "Sept: the certificate was issued by the portal in fake time" sh -c \
	"openssl x509 -in '$T/lea1.pem' -noout -startdate | grep -q 'Sep  [12] .* 2027'"
# EAP-TLS through freeradius: OpenSSL on both sides checks validity in fake time
if eap_in lea "$T/lea1" $LEA_MAC 41; then ok; else
	ko "Sept: EAP-TLS accepted in class 4B's segment (41): $(tail -3 "$T/eap.out"), vlan $(eap_vlan)"; fi
# her friend and a classmate enrol with byodctl (the technician's way)
hugo_dev=$(enrol_ctl hugo.bernard "Téléphone de Hugo" "$T/hugo1")
tom_dev=$(enrol_ctl tom.roux "Téléphone de Tom" "$T/tom1")
if eap_in hugo "$T/hugo1" $HUGO_MAC 41; then ok; else
	ko "Sept: Hugo's phone accepted in 4B: $(tail -3 "$T/eap.out")"; fi
if eap_in tom "$T/tom1" $TOM_MAC 41; then ok; else
	ko "Sept: Tom's phone accepted in 4B: $(tail -3 "$T/eap.out")"; fi

# ---- the clock moves for running daemons ------------------------------
# (forward only, as a year does: the module schedules its flushes on the
# clock, so a clock set back would hold them until it caught up)
clock_set "2027-09-03 08:00:00"
check "the next day, the same freeradius process still accepts her" eap_in lea "$T/lea1" $LEA_MAC 41
# accounting at fake dates, for the purge at the end: one session closed in
# September 2027 (past a year's retention by then), one closed in December
# (within it)
check "Sept: accounting Start of an old session" acct Start year-old $LEA_MAC 10.41.0.5
check "Sept: its Stop" acct Stop year-old $LEA_MAC 10.41.0.5
check "Sept: the session is stored with the fake date" test \
	"$(sq "SELECT strftime('%Y-%m', stopped, 'unixepoch') FROM sessions WHERE session_id = 'year-old'")" = 2027-09
clock_set "2027-10-20 10:00:00"
check "Oct: accounting of an autumn session" acct Start year-autumn $TOM_MAC 10.41.0.6
check "Oct: its Stop" acct Stop year-autumn $TOM_MAC 10.41.0.6
clock_set "2027-12-01 10:00:00"
check "Dec: accounting Start of a recent session" acct Start year-recent $TOM_MAC 10.41.0.6
check "Dec: its Stop" acct Stop year-recent $TOM_MAC 10.41.0.6
# Léa looks at her devices in December: an audit row of that day
clock_set "2027-12-15 17:00:00"
check "Dec: Léa logs in at the portal" portal_login lea.martin 'Calanques-2027!'

# ==== January 2028: Léa moves from 4B to 3A ===============================
clock_set "2028-01-10 09:00:00"
cat >"$T/janvier.csv" <<'CSV'
login,display_name,role,school,groups,password
lea.martin,Léa Martin,student,0131234W,3A,
hugo.bernard,Hugo Bernard,student,0131234W,4B,
tom.roux,Tom Roux,student,0131234W,4B,
zoe.blanc,Zoé Blanc,student,0131234W,4B,
CSV
if needs C "user sync" "Jan: the class change"; then
	# the sync shows the change before applying it, and changes nothing then
	expect_ok "Jan: user sync shows the plan" "$BYODCTL" user sync "$T/janvier.csv"
	check "Jan: ...which names Léa's class change" grep -q 'lea.martin' "$T/out"
	check "Jan: ...and applies nothing without --apply" test \
		"$(sq "SELECT groups FROM people WHERE login = 'lea.martin'")" = 4B
	# applied: Léa's groups are now 3A
	expect_ok "Jan: user sync --apply" "$BYODCTL" user sync "$T/janvier.csv" --apply
	check "Jan: Léa is in 3A" test "$(sq "SELECT groups FROM people WHERE login = 'lea.martin'")" = 3A
	LEA_VLAN=31
	feed
	# the next authentication, same certificate, lands in the new class's segment
	if eap_in lea "$T/lea1" $LEA_MAC 31; then ok; else
		ko "Jan: Léa's phone now in 3A's segment (31), got $(eap_vlan)"; fi
	# her classmates of 4B are where they were
	check "Jan: Tom still in 4B's segment" eap_in tom "$T/tom1" $TOM_MAC 41
fi

# ==== June 2028: Hugo leaves at the end of the year =======================
clock_set "2028-06-20 10:00:00"
cat >"$T/juin.csv" <<'CSV'
login,display_name,role,school,groups,password
lea.martin,Léa Martin,student,0131234W,3A,
tom.roux,Tom Roux,student,0131234W,4B,
zoe.blanc,Zoé Blanc,student,0131234W,4B,
CSV
# renewal does not open before its window (pki.renew-days 60 before 31 August)
if needs B "device renew" "June: renewal refused before its window"; then
	expect_fail "June: renewal refused before its window, saying from when" "2028-07-02" \
		"$BYODCTL" device renew "$lea_dev" --out "$T/early"
	check "June: Léa logs in" portal_login lea.martin 'Calanques-2027!'
	req GET /devices
	check "June: Mes appareils offers no renewal yet" sh -c "! grep -q 'value=\"renew\"' '$T/b'"
fi
if needs C "user sync" "June: the departure"; then
	# Hugo is not in the file: he leaves on 4 July
	expect_ok "June: user sync --apply --leave-date 2028-07-04" \
		"$BYODCTL" user sync "$T/juin.csv" --apply --leave-date 2028-07-04
	check "June: Hugo's leaving date is recorded" test \
		"$(sq "SELECT leaves_at FROM people WHERE login = 'hugo.bernard'")" = "$(TZ=UTC clock_at '2028-07-04 00:00:00')"
	feed
	# still a pupil until then: accepted the day before
	clock_set "2028-07-03 12:00:00"
	check "3 July: Hugo's phone still accepted the day before he leaves" eap_in hugo "$T/hugo1" $HUGO_MAC 41
	# the running freeradius refuses him from the date on, with no change in the registry
	clock_set "2028-07-04 12:00:00"
	if eap_tls hugo "$T/hugo1.pem" "$T/hugo1.key" $HUGO_MAC; then
		ko "4 July: Hugo's phone refused from his leaving date"; else ok; fi
	check "4 July: the others still accepted" eap_in tom "$T/tom1" $TOM_MAC 41
fi
if needs D "purge" "July: the daily job disables the departed"; then
	# the daily job: Hugo disabled, his devices revoked
	clock_set "2028-07-05 03:00:00"
	purge_checked July
	check "5 July: Hugo is disabled" test "$(sq "SELECT state FROM people WHERE login = 'hugo.bernard'")" = disabled
	check "5 July: his phone revoked" test "$(sq "SELECT state FROM devices WHERE id = '$hugo_dev'")" = revoked
	check "5 July: Léa's phone untouched" test "$(sq "SELECT state FROM devices WHERE id = '$lea_dev'")" = active
fi

# ==== July 2028: Léa renews her certificate ===============================
clock_set "2028-07-10 10:00:00"
if needs B "device renew" "July: renewal"; then
	# at the portal, "Renouveler" on Mes appareils now that the window is open
	check "July: Léa logs in" portal_login lea.martin 'Calanques-2027!'
	req GET /devices
	check "July: Mes appareils offers Renouveler for her phone" \
		grep -q 'name="action" value="renew"' "$T/b"
	post /device "csrf=$(csrf)" "id=$lea_dev" action=renew
	check "July: renewal at the portal (200)" test "$(code)" = 200
	check "July: the renewed certificate downloaded once from the portal" grab_p12 "$T/lea2"
	check "July: the same device, still one" test \
		"$("$BYODCTL" device list --owner lea.martin --json | json 'len(d)')" = 1
	check "July: the same device, a new certificate" sh -c \
		"[ \"\$(openssl x509 -in '$T/lea2.pem' -noout -serial)\" != \"\$(openssl x509 -in '$T/lea1.pem' -noout -serial)\" ]"
	check "July: the renewed certificate ends after the next rentrée" test "$(cert_end "$T/lea2")" \> 2028-10-01
	feed
	# until the new one is seen at RADIUS, the old one still works
	check "July: the old certificate still accepted before the new one is seen" eap_in lea "$T/lea1" $LEA_MAC $LEA_VLAN
	check "July: the new certificate accepted, in her class" eap_in lea "$T/lea2" $LEA_MAC $LEA_VLAN
	# first seen written within counts_interval (1 s): its predecessor revoked
	# as superseded in the registry, and the module told through the feed
	lea1_serial=$(serial "$T/lea1")
	old_revoked() { [ "$(sq "SELECT state || ' ' || reason FROM certificates WHERE serial = '$lea1_serial'")" = "revoked 4" ]; }
	check "July: the old certificate revoked as superseded once the new one was seen" wait_for 50 old_revoked
	check "July: ...the new one's first sighting recorded at its fake date" test \
		"$(sq "SELECT date(first_seen, 'unixepoch') FROM certificates WHERE replaces = '$lea1_serial'")" = 2028-07-10
	feed
	if eap_tls lea "$T/lea1.pem" "$T/lea1.key" $LEA_MAC; then
		ko "July: the old certificate refused once the new one was seen"; else ok; fi
fi

# ==== September 2028: the next rentrée ====================================
clock_set "2028-09-04 08:00:00"
cat >"$T/rentree-2028.csv" <<'CSV'
login,display_name,role,school,groups,password
lea.martin,Léa Martin,student,0131234W,3A,
tom.roux,Tom Roux,student,0131234W,4B,
ines.petit,Inès Petit,student,0131234W,4B,Soleil-2028!
CSV
if needs C "user sync" "Sept 2028: the rentrée sync"; then
	# Inès arrives, Zoé leaves at the end of September
	expect_ok "Sept 2028: user sync --apply --leave-date 2028-09-30" \
		"$BYODCTL" user sync "$T/rentree-2028.csv" --apply --leave-date 2028-09-30
	check "Sept 2028: Inès is created by the sync" test \
		"$(sq "SELECT groups FROM people WHERE login = 'ines.petit'")" = 4B
fi
# the arrival enrols at the portal with the password of the export
check "Sept 2028: Inès logs in" portal_login ines.petit 'Soleil-2028!'
check "Sept 2028: Inès enrols her phone" portal_enrol "Téléphone d'Inès" "$T/ines1"
if eap_in ines "$T/ines1" $INES_MAC 41; then ok; else
	ko "Sept 2028: Inès accepted in 4B: $(tail -3 "$T/eap.out")"; fi
# Léa's renewed certificate goes on
if needs B "device renew" "Sept 2028: the renewed certificate"; then
	check "Sept 2028: Léa's renewed certificate accepted" eap_in lea "$T/lea2" $LEA_MAC $LEA_VLAN
fi
# Tom did not renew: last year's certificate holds until the grace date
if needs B "device renew" "Sept 2028: the grace"; then
	check "Sept 2028: Tom's certificate of last year ends on the grace date" test "$(cert_end "$T/tom1")" = 2028-10-31
	check "Sept 2028: Tom still accepted in the grace" eap_in tom "$T/tom1" $TOM_MAC 41
fi
if needs D "purge" "Oct 2028: the daily job"; then
	# the daily job after Zoé's date: she is disabled (and kept for now)
	clock_set "2028-10-01 03:00:00"
	purge_checked October
	check "1 Oct 2028: Zoé disabled" test "$(sq "SELECT state FROM people WHERE login = 'zoe.blanc'")" = disabled
fi
# the grace is over: last year's certificate has expired
clock_set "2028-11-02 08:00:00"
if eap_tls tom "$T/tom1.pem" "$T/tom1.key" $TOM_MAC; then
	ko "Nov 2028: last year's certificate, past its end, refused"; else ok; fi

# ==== The purge, November 2028 ============================================
clock_set "2028-11-05 03:00:00"
if needs D "purge" "Nov 2028: the purge"; then
	hugo_serial=$(serial "$T/hugo1")
	check "Nov 2028: the purge has accounting on both sides of its limit (October 2027 past it, December not)" \
		test "$(sq "SELECT group_concat(session_id) FROM (SELECT session_id FROM sessions ORDER BY stopped)")" = \
		year-autumn,year-recent
	purge_checked November
	check "Nov 2028: one session deleted, October 2027's" test "$(sq "SELECT group_concat(session_id) FROM sessions")" = year-recent
	check "Nov 2028: audit rows deleted, December 2027's among them" sh -c \
		"[ \$(cut -d' ' -f2 '$T/purged-November') -gt 0 ] && [ \$(sqlite3 '$db' \"SELECT COUNT(*) FROM audit WHERE action = 'portal.login' AND time < $(clock_at '2028-01-01')\") = 0 ]"
	check "Nov 2028: exactly one person deleted" test "$(cut -d' ' -f3 "$T/purged-November")" = 1
	check "Hugo, disabled in July, is deleted" test "$(sq "SELECT COUNT(*) FROM people WHERE login = 'hugo.bernard'")" = 0
	check "...with his devices" test "$(sq "SELECT COUNT(*) FROM devices WHERE id = '$hugo_dev'")" = 0
	check "...and his certificates" test "$(sq "SELECT COUNT(*) FROM certificates WHERE serial = '$hugo_serial'")" = 0
	# (his certificate ended on 31 October: the CRL need not keep its serial)
	check "Zoé, disabled for a month, is kept" test "$(sq "SELECT state FROM people WHERE login = 'zoe.blanc'")" = disabled
	check "the others are all there" test "$(sq "SELECT group_concat(login) FROM (SELECT login FROM people ORDER BY login)")" = \
		ines.petit,lea.martin,tom.roux,zoe.blanc
	# the next day's run finds nothing more to delete
	clock_set "2028-11-05 04:00:00"
	purge_checked "Nov 2028, again"
	check "...a second run deletes nothing" test "$(cat "$T/purged-Nov 2028, again")" = "0 0 0"
fi

kill -TERM "$PORTAL_PID"; wait "$PORTAL_PID"; PORTAL_PID=
finish
