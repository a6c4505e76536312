# SPDX-License-Identifier: GPL-2.0-or-later
# A pupil's whole enrolment through byod-portal, driven with curl as a phone
# would (cookies, forms, the one-time download), then checked with the
# tools a technician would use: the PKCS#12 opens with the passphrase the
# page showed, openssl verifies the certificate against the school CA, and
# eapol_test authenticates with it against the real FreeRADIUS with
# rlm_byod. Then the device limit and retire-one flow (and byodctl's
# refusal at the limit, the same sentence as the page's), "J'ai perdu cet
# appareil", another pupil's device id, the session's expiry, every bad
# input, and brute-force throttling. Each bad input must get a 4xx and
# change nothing.
. "$BYOD_SRC/tests/cli/lib.sh"
. "$BYOD_SRC/tests/radius/lib.sh"
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
adduser() { # LOGIN ROLE PASSWORD
	printf '%s\n' "$3" | "$BYODCTL" user add "$1" --role "$2" --school 0131234W \
		--name "$1 (test)" --password-stdin >/dev/null || { echo "user add $1 failed" >&2; exit 1; }
}
adduser lea.martin student 'Calanques-2026!'
adduser hugo student 'autre-mot-de-passe'

read -r HTTP_PORT HTTPS_PORT <<<"$(python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))')"
conf="$BYOD_HOME/byod.conf"
sed -i "s/^  http-port: .*/  http-port: $HTTP_PORT/; s/^  https-port: .*/  https-port: $HTTPS_PORT/" "$conf"

radius_setup
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

IPHONE='Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1'
ANDROID='Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36'
UA=$IPHONE
JAR="$T/jar"
# req METHOD PATH [curl options]: as the phone (its cookie jar; from the
# loopback address $FROM when set); status in $T/code, headers in $T/h,
# body in $T/b
FROM=
req() {
	local method=$1 path=$2
	shift 2
	curl -s -X "$method" -A "$UA" -b "$JAR" -c "$JAR" -H 'Host: portal.byod.lan' \
		${FROM:+--interface "$FROM"} \
		-H 'Accept-Language: fr-FR,fr;q=0.9' -D "$T/h" -o "$T/b" -w '%{http_code}' "$@" \
		"http://127.0.0.1:$HTTP_PORT$path" >"$T/code"
}
code() { cat "$T/code"; }
hdr() { grep -i "^$1:" "$T/h" | head -1 | cut -d' ' -f2- | tr -d '\r'; }
csrf() { sed -n 's/.*name="csrf" value="\([A-Za-z0-9_-]*\)".*/\1/p' "$T/b" | head -1; }
cookie() { awk -v n="$1" '$6 == n { print $7 }' "$JAR"; }
# (to a file first: grep -q would close the pipe early, and pipefail is on)
audit_has() { "$BYODCTL" audit --limit 100000 --json >"$T/audit.json" && grep -q "\"$1\"" "$T/audit.json"; }
# post PATH FORM...: a form as a browser sends it (each FORM is name=value, urlencoded here)
post() {
	local path=$1 args=()
	shift
	for f in "$@"; do args+=(--data-urlencode "$f"); done
	req POST "$path" "${args[@]}"
}

# ---- the login ----------------------------------------------------------
req GET /
check "the start page has the login form" grep -q 'action="/login"' "$T/b"
check "labels for the fields" grep -q '<label for="login">' "$T/b"
check "no session before a login (no session cookie)" sh -c "! grep -qi '^Set-Cookie: byod_session=' '$T/h'"
check "a login cookie for the form, HttpOnly, SameSite=Strict" sh -c \
	"grep -i '^Set-Cookie: byod_login=' '$T/h' | grep -q 'HttpOnly; SameSite=Strict'"
check "no Secure flag over plain HTTP (it would never come back)" sh -c \
	"! grep -i '^Set-Cookie: byod_login=' '$T/h' | grep -q Secure"
token=$(csrf)
check "a form token in the page" test -n "$token"

post /login login=lea.martin 'password=Calanques-2026!'
check "a login without its form token is refused (403)" test "$(code)" = 403
post /login csrf=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA login=lea.martin 'password=Calanques-2026!'
check "a login with a made-up form token is refused (403)" test "$(code)" = 403
check "...and the refusal is logged with its reason" grep -q 'form refused: form token unknown' "$T/portal.log"
post /login "csrf=$token" login=lea.martin password=wrong
check "a wrong password is a 401" test "$(code)" = 401
check "...with a message that names neither part" grep -q 'Identifiant ou mot de passe incorrect' "$T/b"
check "...the login kept in its field" sh -c "grep -o '<input id=\"login\"[^>]*>' '$T/b' | grep -q 'value=\"lea.martin\"'"
check "...the password not" sh -c "! grep -o '<input id=\"password\"[^>]*>' '$T/b' | grep -q 'value='"
cp "$T/b" "$T/wrong-password.html"
# the login page's token is stateless: nothing records its use, so it is
# good again until it expires (a new one is one GET away; the throttle,
# not the token, bounds the password checks)
post /login "csrf=$token" login=lea.martin password=wrong-again
check "the login page's form token is good again before the login (401, not 403)" test "$(code)" = 401
req GET /
post /login "csrf=$(csrf)" login=nobody.here password=wrong
check "an unknown login gets the same 401" test "$(code)" = 401
check "...and the same message" grep -q 'Identifiant ou mot de passe incorrect' "$T/b"
check "failures are in the audit log" audit_has portal.login-failed

req GET /
# a session id planted in the browser before the login (fixation)
anon=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
awk -v OFS='\t' -v v="$anon" '$6 == "byod_login" { $6 = "byod_session"; $7 = v; print }' \
	"$JAR" >"$T/planted"
cat "$T/planted" >>"$JAR"
check "(a session cookie planted)" test "$(cookie byod_session)" = "$anon"
token=$(csrf)
post /login "csrf=$token" login=Lea.Martin 'password=Calanques-2026!'
check "the right password logs in (303 to Mes appareils)" test "$(code)" = 303
check "...to /devices" test "$(hdr Location)" = /devices
check "a new session id after the login (no fixation)" sh -c \
	"test -n '$(cookie byod_session)' && test '$(cookie byod_session)' != '$anon'"
check "...and the login cookie is cleared" sh -c \
	"grep -i '^Set-Cookie: byod_login=;' '$T/h' | grep -q 'Max-Age=0'"
post /login "csrf=$token" login=lea.martin 'password=Calanques-2026!'
check "the login's form token replayed after the login is refused (403)" test "$(code)" = 403
check "the login is in the audit log" audit_has portal.login
req GET /devices
check "Mes appareils" grep -q '<h1>Mes appareils</h1>' "$T/b"
check "no device yet" grep -q 'aucun appareil' "$T/b"

# ---- enrolment ----------------------------------------------------------
req GET /enrol
check "the enrolment form" test "$(code)" = 200
check "the name guessed from the User-Agent" grep -q 'value="Mon iPhone"' "$T/b"
check "the kind guessed from the User-Agent" grep -q '<option value="phone" selected>' "$T/b"
check "the school's charter is shown" grep -q "Charte d'usage du réseau sans fil" "$T/b"
check "a page under 50 KB" test "$(stat -c %s "$T/b")" -lt 51200
token=$(csrf)
post /enrol "csrf=$token" 'name=iPhone de Léa' kind=phone
check "no enrolment without the charter (400)" test "$(code)" = 400
check "...and the page says why" grep -q 'accepter la charte' "$T/b"
check "nothing was enrolled" sh -c "[ \"\$('$BYODCTL' device list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')\" = 0 ]"
post /enrol "csrf=$(csrf)" 'name=iPhone de Léa' kind=phone charter=yes
check "enrolled (200)" test "$(code)" = 200
check "the result page is not cached" test "$(hdr Cache-Control)" = no-store
cp "$T/b" "$T/done1.html"
pass=$(sed -n 's/.*<code id="passphrase">\([^<]*\)<.*/\1/p' "$T/b")
link=$(sed -n 's/.*id="download"[^>]*href="\([^"]*\)".*/\1/p' "$T/b")
check "the passphrase is shown" test -n "$pass"
check "a one-time download link" sh -c "echo '$link' | grep -Eq '^/download/[A-Za-z0-9_-]{43}$'"
check "the exact values: EAP method TLS" grep -q '<code>TLS</code>' "$T/b"
check "the exact values: the domain" grep -q '<code>radius.byod.lan</code>' "$T/b"
check "the exact values: the identity" grep -q '<code>lea.martin</code>' "$T/b"
check "the iPhone's steps come first, open" grep -q '<details class="steps" open><summary>iPhone, iPad et Mac' "$T/b"
check "no SSID configured: no profiles, and the page says what to configure" grep -q 'wifi.ssid' "$T/b"
check "...for the technician, behind a closed disclosure" grep -Eq '<details class="tech"><summary>Pour le technicien</summary><p>[^<]*wifi\.ssid' "$T/b"
check "the steps for Android, Windows, Linux are there" sh -c \
	"grep -q '<summary>Android' '$T/b' && grep -q '<summary>Windows' '$T/b' && grep -q '<summary>Linux' '$T/b'"
req HEAD "$link" -I
check "HEAD on the download link answers (200)" test "$(code)" = 200
check "...with the file's type and name" sh -c "[ \"\$(grep -i '^Content-Type:' '$T/h' | tr -d '\r')\" = 'Content-Type: application/x-pkcs12' ] && grep -qi '^Content-Disposition: attachment' '$T/h'"
req HEAD "$link" -I
check "...and uses nothing: a second HEAD answers too" test "$(code)" = 200
req GET "$link"
check "the download works once (after the HEADs)" test "$(code)" = 200
check "...as PKCS#12" test "$(hdr Content-Type)" = application/x-pkcs12
check "...as an attachment" sh -c "hdr() { grep -i \"^\$1:\" '$T/h' | tr -d '\r'; }; hdr Content-Disposition | grep -q 'attachment; filename=\"wifi-'"
check "...never cached" test "$(hdr Cache-Control)" = no-store
cp "$T/b" "$T/dev1.p12"
check "the token is not in the portal's log" sh -c "! grep -q '${link#/download/}' '$T/portal.log'"
req GET "$link"
check "the same link a second time is gone (410)" test "$(code)" = 410
check "...as a page the browser shows: text/html" test "$(hdr Content-Type)" = 'text/html; charset=utf-8'
check "...not an attachment (no Content-Disposition)" sh -c "! grep -qi '^Content-Disposition' '$T/h'"
check "...that says the file was downloaded already" grep -q 'Ce fichier a déjà été téléchargé' "$T/b"
check "...and leads back to the enrolled page while it is kept" grep -q 'href="/enrolled"' "$T/b"
req HEAD "$link" -I
check "HEAD on a used link: 410 too" test "$(code)" = 410
# the language switch of the enrolled page keeps it: the same passphrase
check "the enrolled page's language switch goes to /enrolled" grep -q 'href="/enrolled?lang=en"' "$T/done1.html"
req GET "/enrolled?lang=en"
check "/enrolled in English (200)" test "$(code)" = 200
check "...the same page, in English" grep -q '<h1>Your device is enrolled</h1>' "$T/b"
check "...with the same passphrase" grep -q "<code id=\"passphrase\">$pass</code>" "$T/b"
check "...the used link said to be used, not linked again" sh -c "! grep -q '$link' '$T/b' && grep -q 'already downloaded' '$T/b'"
check "...never cached" test "$(hdr Cache-Control)" = no-store
req GET "/enrolled?lang=fr"
check "...and back in French" grep -q '<h1>Votre appareil est inscrit</h1>' "$T/b"
curl -s -H 'Host: portal.byod.lan' "http://127.0.0.1:$HTTP_PORT/static/portal.css" >"$T/css"
check "the passphrase is one element a tap selects whole" grep -q '#passphrase\|user-select:all' "$T/css"
check "a copy button, hidden until its script shows it" grep -q '<p class="copy" hidden><button type="button" id="copy"' "$T/b"
check "...its script the portal's own, which this page's CSP allows" sh -c "grep -q '<script src=\"/static/copy.js\"></script>' '$T/b' && grep -i '^Content-Security-Policy:' '$T/h' | grep -q \"script-src 'self'\""
req GET /devices
check "...and other pages do not" sh -c "grep -i '^Content-Security-Policy:' '$T/h' | grep -q \"default-src 'none'\" && ! grep -i '^Content-Security-Policy:' '$T/h' | grep -q script-src"
check "the PKCS#12 opens with the shown passphrase" \
	openssl pkcs12 -in "$T/dev1.p12" -passin "pass:$pass" -nokeys -clcerts -out "$T/dev1.pem"
openssl pkcs12 -in "$T/dev1.p12" -passin "pass:$pass" -nocerts -nodes -out "$T/dev1.key" 2>/dev/null
openssl pkcs12 -in "$T/dev1.p12" -passin "pass:$pass" -info -noout >"$T/p12.info" 2>&1
check "...in the legacy form Android up to 13 and iOS read (3DES, SHA-1 MAC)" sh -c \
	"grep -q pbeWithSHA1And3-KeyTripleDES-CBC '$T/p12.info' && grep -q 'MAC: sha1' '$T/p12.info'"
check "...and not with another" sh -c "! openssl pkcs12 -in '$T/dev1.p12' -passin pass:wrong -nokeys -out /dev/null 2>/dev/null"
check "openssl verify accepts the certificate" openssl verify -CAfile "$BYOD_HOME/pki/ca.pem" "$T/dev1.pem"
dev1=$("$BYODCTL" device list --json | json '[x["id"] for x in d if x["name"] == "iPhone de Léa"][0]')
check "the device is in the registry with its name" test -n "$dev1"
check "...and the charter version accepted" sh -c "'$BYODCTL' device list --json | grep -q '\"charter\": *\"1\"'"
check "the enrolment is in the audit log" audit_has device.add
if eap_tls lea "$T/dev1.pem" "$T/dev1.key" 02:00:00:00:aa:01; then ok; else
	ko "eapol_test authenticates with the downloaded certificate: $(tail -3 "$T/eap.out")"; fi
check "...in the pupils VLAN" test "$(eap_vlan)" = 20

# ---- the device limit (pupils: 2) and retire-one ------------------------
UA=$ANDROID
req GET /enrol
check "an Android phone is guessed as such" grep -q 'value="Mon téléphone Android"' "$T/b"
post /enrol "csrf=$(csrf)" 'name=Pixel' kind=phone charter=yes
check "a second device is enrolled" test "$(code)" = 200
link2=$(sed -n 's/.*id="download"[^>]*href="\([^"]*\)".*/\1/p' "$T/b")
pass2=$(sed -n 's/.*<code id="passphrase">\([^<]*\)<.*/\1/p' "$T/b")
check "the Android steps come first" grep -q '<details class="steps" open><summary>Android' "$T/b"
req GET "$link2"
cp "$T/b" "$T/dev2.p12"
openssl pkcs12 -in "$T/dev2.p12" -passin "pass:$pass2" -nokeys -clcerts -out "$T/dev2.pem" 2>/dev/null
openssl pkcs12 -in "$T/dev2.p12" -passin "pass:$pass2" -nocerts -nodes -out "$T/dev2.key" 2>/dev/null
dev2=$("$BYODCTL" device list --json | json '[x["id"] for x in d if x["name"] == "Pixel"][0]')
req GET /enrol
check "at the limit, the form lists the devices to retire" grep -q "name=\"retire\" required id=\"retire-$dev1\"" "$T/b"
check "...each with its enrolment date" test "$(grep -Eo 'inscrit le [0-9]{2}/[0-9]{2}/[0-9]{4}' "$T/b" | wc -l)" = 2
check "...and the limit in the plural the number takes" grep -q 'Vous avez déjà 2 appareils inscrits' "$T/b"
# two devices of one name, the same day: told apart by the time of day
t0=$(date -d '2025-09-02 08:05' +%s)
t1=$(date -d '2025-09-02 10:30' +%s)
sqlite3 "$BYOD_HOME/registry.db" "UPDATE devices SET created = $t0 WHERE id = '$dev1';
	UPDATE devices SET created = $t1, name = 'iPhone de Léa' WHERE id = '$dev2'"
req GET /enrol
check "two devices of one name are told apart by the time of day" sh -c \
	"grep -q 'inscrit le 02/09/2025 à 08:05' '$T/b' && grep -q 'inscrit le 02/09/2025 à 10:30' '$T/b'"
req GET /devices
check "...in Mes appareils too" sh -c \
	"grep -q 'Inscrit le 02/09/2025 à 08:05' '$T/b' && grep -q 'Inscrit le 02/09/2025 à 10:30' '$T/b'"
sqlite3 "$BYOD_HOME/registry.db" "UPDATE devices SET name = 'Pixel' WHERE id = '$dev2'"
req GET /devices
check "...and a name of its own needs no time" sh -c "grep -q 'Inscrit le 02/09/2025 ·' '$T/b' && ! grep -q 'à 08:05' '$T/b'"
req GET /enrol
post /enrol "csrf=$(csrf)" 'name=Tablette' kind=tablet charter=yes
check "at the limit, no choice is a 409" test "$(code)" = 409
check "three devices were not made" sh -c "[ \"\$('$BYODCTL' device list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')\" = 2 ]"
# the refusal is core's: byodctl says the sentence the portal's English page shows
req GET /enrol
post "/enrol?lang=en" "csrf=$(csrf)" 'name=Tablette' kind=tablet charter=yes
check "at the limit, in English too, a 409" test "$(code)" = 409
refusal=$(sed -n 's/.*<p class="notice error" role="alert">\([^<]*\)<\/p>.*/\1/p' "$T/b" | head -1)
req GET "/enrol?lang=fr" # back to French for what follows
check "the English page says why" test -n "$refusal"
if "$BYODCTL" device enrol lea.martin --name Tablette --out "$T/refused" >"$T/out" 2>"$T/err"; then
	ko "byodctl enrols past the limit the portal refuses"
else
	ok
fi
check "byodctl refuses with the portal's sentence, word for word" \
	test "$(cat "$T/err")" = "byodctl: $refusal"
check "...and made nothing either" sh -c "[ \"\$('$BYODCTL' device list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')\" = 2 ]"
req GET /enrol
post /enrol "csrf=$(csrf)" 'name=Tablette' kind=tablet charter=yes "retire=$dev1"
check "retire one and enrol, in one step" test "$(code)" = 200
check "the retired device is retired" sh -c "'$BYODCTL' device list --json | python3 -c '
import json,sys; d={x[\"id\"]: x[\"state\"] for x in json.load(sys.stdin)}; sys.exit(d[\"$dev1\"] != \"retired\")'"
sleep 0.5 # the module follows the change feed every 200 ms
if eap_tls lea "$T/dev1.pem" "$T/dev1.key" 02:00:00:00:aa:01; then
	ko "the retired device's certificate is refused"; else ok; fi

# ---- another pupil's device --------------------------------------------
cp "$JAR" "$T/lea.jar"
JAR="$T/hugo.jar"
req GET /
post /login "csrf=$(csrf)" login=hugo password=autre-mot-de-passe
req GET /devices
post /device "csrf=$(csrf)" "id=$dev2" action=lost confirm=yes
check "another pupil's device id is a 404" test "$(code)" = 404
check "...which is logged" grep -q "asked for device $dev2, which is not theirs" "$T/portal.log"
check "...and audited" audit_has portal.denied
check "...and changes nothing" sh -c "'$BYODCTL' device list --json | python3 -c '
import json,sys; d={x[\"id\"]: x[\"state\"] for x in json.load(sys.stdin)}; sys.exit(d[\"$dev2\"] != \"active\")'"
JAR="$T/lea.jar"

# ---- rename, lost --------------------------------------------------------
req GET /devices
post /device "csrf=$(csrf)" "id=$dev2" action=rename 'name=Pixel <b>&amp;</b>'
check "renamed (303)" test "$(code)" = 303
req GET "$(hdr Location)"
check "the new name is shown, escaped" grep -q 'Pixel &lt;b&gt;&amp;amp;&lt;/b&gt;' "$T/b"
check "the notice after the action" grep -q 'renommé' "$T/b"
post /device "csrf=$(csrf)" "id=$dev2" action=rename 'name=   '
check "a blank new name is a 400" test "$(code)" = 400
check "...with Mes appareils again, saying what to do (not a bare error page)" sh -c \
	"grep -q '<h1>Mes appareils</h1>' '$T/b' && grep -q 'role=\"alert\">Donnez un nom à l’appareil' '$T/b'"
check "...that device's rename form open" grep -q '<details open><summary>Renommer' "$T/b"
check "...and nothing renamed" sh -c "'$BYODCTL' device list --json | grep -q 'Pixel <b>&amp;</b>'"
post /device "csrf=$(csrf)" "id=$dev2" action=lost
check "'lost' without the confirmation box is a 400" test "$(code)" = 400
req GET /devices
post /device "csrf=$(csrf)" "id=$dev2" action=lost confirm=yes
check "'J'ai perdu cet appareil' (303)" test "$(code)" = 303
check "the device is revoked" sh -c "'$BYODCTL' device list --json | python3 -c '
import json,sys; d={x[\"id\"]: x[\"state\"] for x in json.load(sys.stdin)}; sys.exit(d[\"$dev2\"] != \"revoked\")'"
serial2=$(openssl x509 -in "$T/dev2.pem" -noout -serial | cut -d= -f2 | tr A-F a-f | sed 's/^0*//')
curl -s -H 'Host: portal.byod.lan' "http://127.0.0.1:$HTTP_PORT/crl.pem" | openssl crl -noout -text |
	awk '/Serial Number:/ {print $3}' >"$T/crl-serials"
check "the CRL the portal serves lists it" python3 -c "
import sys
sys.exit(int('$serial2', 16) not in [int(x, 16) for x in open('$T/crl-serials').read().split()])"
check "a change-feed event for the gateway" sh -c "'$BYODCTL' events | grep -q cert.revoke"
sleep 0.5
if eap_tls lea "$T/dev2.pem" "$T/dev2.key" 02:00:00:00:aa:02; then
	ko "the lost device's certificate is refused"; else ok; fi

# ---- bad input -----------------------------------------------------------
req GET /devices
t=$(csrf)
req POST /device --data-binary "csrf=$t&id=%G1&action=rename" -H 'Content-Type: application/x-www-form-urlencoded'
check "malformed form encoding is a 400" test "$(code)" = 400
req POST /device --data-binary "csrf=$t&id=$dev2&action=rename&name=%C3%28" -H 'Content-Type: application/x-www-form-urlencoded'
check "invalid UTF-8 is a 400" test "$(code)" = 400
req POST /device --data-binary "{\"csrf\":\"$t\"}" -H 'Content-Type: application/json'
check "a body that is not a form is a 415" test "$(code)" = 415
dev3=$("$BYODCTL" device list --json | json '[x["id"] for x in d if x["name"] == "Tablette"][0]')
post /device "csrf=$t" "id=$dev3" action=rename name=x
check "the token is good once" test "$(code)" = 303
post /device "csrf=$t" "id=$dev3" action=rename name=y
check "a form token is not accepted twice (403)" test "$(code)" = 403
check "...and the replay changed nothing" sh -c "'$BYODCTL' device list --json | grep -q '\"name\": \"x\"'"
head -c 40000 /dev/zero | tr '\0' a >"$T/big"
req POST /login --data-binary "@$T/big"
check "an oversized body is a 413" test "$(code)" = 413
for path in '/../../etc/passwd' '/static/../../../etc/passwd' '/download/../devices' '/%2e%2e/etc/passwd' '//etc/passwd'; do
	req GET "$path" --path-as-is
	check "path traversal $path is a 4xx" sh -c "c=\$(cat '$T/code'); [ \"\$c\" -ge 400 ] && [ \"\$c\" -lt 500 ]"
	check "...and gives nothing away" sh -c "! grep -q 'root:' '$T/b'"
done
req GET /download/not-a-token
check "a made-up download link is a 404" test "$(code)" = 404
check "nothing changed: still three devices" sh -c "[ \"\$('$BYODCTL' device list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')\" = 3 ]"

# ---- session expiry and logout -----------------------------------------
sqlite3 "$BYOD_HOME/registry.db" "UPDATE web_sessions SET seen = seen - 100000"
req GET /devices
check "an idle session has expired: back to the login" test "$(code)" = 303
check "...at the start" test "$(hdr Location)" = /
req GET /
post /login "csrf=$(csrf)" login=lea.martin 'password=Calanques-2026!'
sqlite3 "$BYOD_HOME/registry.db" "UPDATE web_sessions SET created = created - 100000"
req GET /devices
check "a session past its absolute lifetime has expired" test "$(code)" = 303
req GET /
post /login "csrf=$(csrf)" login=lea.martin 'password=Calanques-2026!'
req GET /devices
post /logout "csrf=$(csrf)"
check "logout (303)" test "$(code)" = 303
check "the cookie is cleared" sh -c "grep -i '^Set-Cookie: byod_session=;' '$T/h' | grep -q 'Max-Age=0'"
req GET /devices
check "after logout, Mes appareils needs a login" test "$(code)" = 303

# ---- the portal restarts: sessions live in the registry ----------------
req GET /
post /login "csrf=$(csrf)" login=lea.martin 'password=Calanques-2026!'
kill -TERM "$PORTAL_PID"; wait "$PORTAL_PID"; PORTAL_PID=
sed -i 's/^  ssid: .*/  ssid: "Collège-BYOD"/' "$conf"
start_portal
req GET /devices
check "a session survives a portal restart (shared in the registry)" test "$(code)" = 200

# ---- with the SSID configured, each platform gets its profile -----------
UA=$IPHONE
req GET /enrol
post /enrol "csrf=$(csrf)" 'name=iPad' kind=tablet charter=yes
check "enrolled with profiles (200)" test "$(code)" = 200
cp "$T/b" "$T/done-profiles.html"
check "the SSID is among the values" grep -q '<code>Collège-BYOD</code>' "$T/b"
for text in 'Installer le profil Wi-Fi' 'Fichier pour l’application geteduroam' \
	'Profil Passpoint pour Android' 'Profil Wi-Fi pour Windows' 'Réglages Wi-Fi pour Linux'; do
	check "one one-time link: $text" test "$(grep -Eo "<a( class=\"button\")? id=\"[a-z-]*\" href=\"/download/[A-Za-z0-9_-]{43}\">$text" "$T/b" | wc -l)" = 1
done
check "one link per file: six files, six links, none twice" sh -c \
	"[ \$(grep -o 'href=\"/download/[^\"]*\"' '$T/b' | wc -l) = 6 ] && [ -z \"\$(grep -o 'href=\"/download/[^\"]*\"' '$T/b' | sort | uniq -d)\" ]"
check "no one-time link has a download attribute (a used one must show its page)" sh -c \
	"! grep -Eo '<a [^>]*href=\"/download/[^>]*>' '$T/b' | grep -Eq ' download( |>|=)'"
check "the files that carry the passphrase do not say they will ask for it" sh -c \
	"grep -q 'le certificat et son mot de passe sont dedans' '$T/b' && ! grep -q 'Il vous demandera le mot de passe' '$T/b'"
check "technical details are behind a closed “Pour le technicien”" sh -c \
	"grep -q '<details class=\"tech\"><summary>Pour le technicien</summary><p>Le profil Wi-Fi (.xml)[^<]*netsh wlan' '$T/b' && ! grep -q 'NetworkManager, .tar.gz)' '$T/b'"
check "...and no netsh line outside it" test "$(grep -o 'netsh wlan' "$T/b" | wc -l)" = 1
applelink=$(sed -n 's/.*id="profile-apple"[^>]*href="\([^"]*\)".*/\1/p' "$T/b")
check "the Apple profile is the iPhone's first button" test -n "$applelink"
req GET "$applelink"
check "...served as a mobileconfig" test "$(hdr Content-Type)" = application/x-apple-aspen-config
check "...a signed profile (CMS) the portal's chain verifies" openssl cms -verify -inform DER \
	-in "$T/b" -CAfile "$BYOD_HOME/pki/ca.pem" -purpose any -out "$T/apple.plist"
check "...naming what it installs in the page's language" sh -c \
	"grep -q '<string>Certificat du collège</string>' '$T/apple.plist' && grep -q '<string>Certificat de l’appareil</string>' '$T/apple.plist' && ! grep -q 'School CA' '$T/apple.plist'"
req GET "$applelink"
check "...once" test "$(code)" = 410

# ---- brute force: growing delays, then a lock; the same for every login --
JAR="$T/attacker.jar"
fail_login() { # LOGIN N: N wrong passwords, their statuses in $T/codes
	: >"$T/codes"
	for i in $(seq "$2"); do
		req GET /
		post /login "csrf=$(csrf)" "login=$1" "password=guess$i"
		code >>"$T/codes"
		echo >>"$T/codes"
		[ "$(code)" = 429 ] && cp "$T/b" "$T/b429"
	done
}
failures() { sqlite3 "$BYOD_HOME/registry.db" "SELECT failures FROM web_throttle WHERE key = '$1'"; }
# the first failures are free, so the same four for a real and an unknown
# login must give the same answers and leave the same count
sqlite3 "$BYOD_HOME/registry.db" "DELETE FROM web_throttle"
fail_login hugo 4
cp "$T/codes" "$T/codes-hugo"
# (the typed login stays in its field: the one difference there may be)
sed 's/name="csrf" value="[^"]*"//; s/ value="hugo"//' "$T/b" >"$T/page-hugo"
sqlite3 "$BYOD_HOME/registry.db" "DELETE FROM web_throttle WHERE key LIKE 'addr:%'"
fail_login no.such.pupil 4
sed 's/name="csrf" value="[^"]*"//; s/ value="no.such.pupil"//' "$T/b" >"$T/page-unknown"
check "four wrong passwords: four 401s" test "$(tr -d '\n' <"$T/codes-hugo")" = 401401401401
check "an unknown login gets exactly the same answers" cmp "$T/codes-hugo" "$T/codes"
check "...the same page" cmp "$T/page-hugo" "$T/page-unknown"
check "...and the same count" test "$(failures login:hugo)" = "$(failures login:no.such.pupil)"
check "...of four" test "$(failures login:hugo)" = 4
fail_login hugo 3
check "then the login must wait: 429" grep -q 429 "$T/codes"
check "the wait is said" grep -q 'Réessayez dans' "$T/b429"
check "...in the plural the number takes (never “1 secondes”)" sh -c \
	"grep -Eq 'Réessayez dans (1 seconde\.|([02-9]|[1-9][0-9]+) secondes\.)' '$T/b429'"
check "throttling is in the audit log" audit_has portal.login-throttled
check "...counted on the login and this address together" test "$(failures 'pair:hugo 127.0.0.1')" -ge 4
# a locked login on this address (10 failures lock the pair for 15
# minutes; set here, not waited for); only the pair is ever locked
now=$(date +%s)
sqlite3 "$BYOD_HOME/registry.db" "DELETE FROM web_throttle;
	INSERT INTO web_throttle VALUES ('pair:hugo 127.0.0.1', 10, $now, $((now + 900)))"
req GET /
post /login "csrf=$(csrf)" login=hugo password=autre-mot-de-passe
check "while locked, even the right password waits (429)" test "$(code)" = 429
check "...and is told how long, in minutes, and what to do" \
	grep -q 'la connexion y est bloquée pendant 15 minutes. Vous pouvez vous connecter depuis un autre appareil' "$T/b"
JAR="$T/other.jar"
req GET /
post /login "csrf=$(csrf)" login=lea.martin 'password=Calanques-2026!'
check "another pupil from the same address still logs in" test "$(code)" = 303
JAR="$T/hugo-elsewhere.jar"
FROM=127.0.0.5
req GET /
post /login "csrf=$(csrf)" login=hugo password=autre-mot-de-passe
check "the locked login still logs in from another address" test "$(code)" = 303
FROM=
"$BYODCTL" user unlock hugo --address 127.0.0.1 >"$T/unlock.out" 2>&1
check "byodctl user unlock clears the lock" grep -q 'hugo unlocked from 127.0.0.1 (1 throttle record cleared)' "$T/unlock.out"
check "...audited" audit_has user.unlock
JAR="$T/hugo-again.jar"
req GET /
post /login "csrf=$(csrf)" login=hugo password=autre-mot-de-passe
check "...and the login works again from that address" test "$(code)" = 303

# the enrolment rate (enrol.rate-per-day, 5): five enrolments in 24 hours,
# retired ones too (an enrol-and-retire loop), and the sixth is refused
db="$BYOD_HOME/registry.db"
lea_id=$(sqlite3 "$db" "SELECT id FROM people WHERE login = 'lea.martin'")
for i in 1 2 3 4 5; do
	sqlite3 "$db" "INSERT INTO devices (id, owner, name, kind, state, created)
		VALUES ('00000000-0000-4000-8000-00000000000$i', $lea_id, 'loop $i', 'phone', 'retired', $now)"
done
n_before=$(sqlite3 "$db" "SELECT COUNT(*) FROM devices")
JAR="$T/lea-rate.jar" # lea, logged in again: the sections above used other browsers
req GET /
post /login "csrf=$(csrf)" login=lea.martin 'password=Calanques-2026!'
check "lea logs in again" test "$(code)" = 303
req GET /enrol
post /enrol "csrf=$(csrf)" 'name=Encore un' kind=phone charter=yes
check "past the enrolment rate: refused (429)" test "$(code)" = 429
check "...with a page that says why, in French" grep -q 'Trop d’inscriptions aujourd’hui' "$T/b"
check "...and when to come back" grep -q 'réessayez demain' "$T/b"
check "...nothing enrolled" test "$(sqlite3 "$db" "SELECT COUNT(*) FROM devices")" = "$n_before"
sqlite3 "$db" "UPDATE devices SET created = $((now - 90000)) WHERE name LIKE 'loop %'"
old_dev=$(sqlite3 "$db" "SELECT id FROM devices WHERE owner = $lea_id AND state = 'active' LIMIT 1")
req GET /enrol
post /enrol "csrf=$(csrf)" 'name=Le lendemain' kind=phone charter=yes "retire=$old_dev"
check "enrolments older than 24 hours do not count" test "$(code)" = 200

kill -TERM "$PORTAL_PID"; wait "$PORTAL_PID"; PORTAL_PID=
finish
