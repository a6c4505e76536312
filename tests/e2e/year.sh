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
. "$BYOD_SRC/tests/cli/lib.sh"
. "$BYOD_SRC/tests/radius/lib.sh"
. "$BYOD_SRC/tests/lib/clock.sh"
: "${BYOD_PORTAL:?BYOD_PORTAL must name the byod-portal binary}"
export TZ=Europe/Paris

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
CSV
"$BYODCTL" user import "$T/rentree-2027.csv" >/dev/null || { echo "user import failed" >&2; exit 1; }

read -r HTTP_PORT HTTPS_PORT <<<"$(python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))')"
conf="$BYOD_HOME/byod.conf"
sed -i "s/^  http-port: .*/  http-port: $HTTP_PORT/; s/^  https-port: .*/  https-port: 0/" "$conf"

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
trap '[ -n "$PORTAL_PID" ] && kill "$PORTAL_PID" 2>/dev/null; radius_stop; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
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
	local pass link
	req GET /enrol
	post /enrol "csrf=$(csrf)" "name=$1" kind=phone charter=yes
	[ "$(code)" = 200 ] || return 1
	pass=$(sed -n 's/.*<code id="passphrase">\([^<]*\)<.*/\1/p' "$T/b")
	link=$(sed -n 's/.*id="download"[^>]*href="\([^"]*\)".*/\1/p' "$T/b")
	req GET "$link"
	[ "$(code)" = 200 ] || return 1
	openssl pkcs12 -in "$T/b" -passin "pass:$pass" -nokeys -clcerts -out "$2.pem" 2>/dev/null &&
		openssl pkcs12 -in "$T/b" -passin "pass:$pass" -nocerts -nodes -out "$2.key" 2>/dev/null
}
# eap_in NAME PEM MAC VLAN: EAP-TLS accepted in that VLAN
eap_in() { eap_tls "$1" "$2.pem" "$2.key" "$3" && [ "$(eap_vlan)" = "$4" ]; }
# eap_refused NAME PEM MAC
eap_refused() { ! eap_tls "$1" "$2.pem" "$2.key" "$3"; }
# feed: the module follows the change feed every 200 ms
feed() { sleep 0.6; }
# cert_days PEM: notAfter as YYYY-MM-DD
cert_end() { date -d "$(openssl x509 -in "$1.pem" -noout -enddate | cut -d= -f2)" +%F; }

LEA_MAC=02:00:00:00:aa:01
HUGO_MAC=02:00:00:00:aa:02

# ==== September 2027: the rentrée =========================================
clock_set "2027-09-02 08:00:00"
# the pupil logs in at the portal with the password of the year's export
check "Sept: Léa logs in at the portal" portal_login lea.martin 'Calanques-2027!'
# the portal issues her phone a certificate, downloaded once as PKCS#12
check "Sept: Léa enrols her phone through the portal" portal_enrol "Téléphone de Léa" "$T/lea1"
check "Sept: the certificate was issued by the portal in fake time" sh -c \
	"openssl x509 -in '$T/lea1.pem' -noout -startdate | grep -q 'Sep  [12] .* 2027'"
# EAP-TLS through freeradius: OpenSSL on both sides checks validity in fake time
if eap_in lea "$T/lea1" $LEA_MAC 41; then ok; else
	ko "Sept: EAP-TLS accepted in class 4B's segment (41): $(tail -3 "$T/eap.out"), vlan $(eap_vlan)"; fi
# the friend enrols with byodctl (the technician's way)
"$BYODCTL" device enrol hugo.bernard --name "Téléphone de Hugo" --kind phone --out "$T/hugo" \
	--json >"$T/hugo.json" || ko "Sept: byodctl device enrol hugo"
hugo_dev=$(json 'd["device"]' <"$T/hugo.json")
cp "$T/hugo/$hugo_dev.pem" "$T/hugo1.pem"
cp "$T/hugo/$hugo_dev.key" "$T/hugo1.key"
if eap_in hugo "$T/hugo1" $HUGO_MAC 41; then ok; else
	ko "Sept: Hugo's phone accepted in 4B: $(tail -3 "$T/eap.out")"; fi

# ---- the clock moves for running daemons ------------------------------
clock_set "2030-01-01 08:00:00"
if eap_tls lea "$T/lea1.pem" "$T/lea1.key" $LEA_MAC; then
	ko "moved to 2030, the running freeradius refuses the expired certificate"; else ok; fi
clock_set "2027-09-03 08:00:00"
check "...and back in 2027 accepts it again (the same freeradius process)" eap_in lea "$T/lea1" $LEA_MAC 41

finish
