# SPDX-License-Identifier: GPL-2.0-or-later
# Signing in at the portal through the ENT's CAS, against real servers started
# here: slapd with the school directory and LemonLDAP::NG as the CAS 3.0 server
# on it (as cas.sh starts them: llng-fastcgi-server behind an unprivileged
# nginx, the test's CA, free ports of 127.0.0.1), the portal over HTTPS with a
# certificate of the same CA (LemonLDAP::NG's back-channel logout reaches it),
# FreeRADIUS. A pupil follows the ENT button with curl as a browser would (the
# portal's redirect to LemonLDAP::NG, its login form, the redirect back with a
# ticket), is created with the directory's role and class, enrols a device
# that authenticates with eapol_test; the ENT's logout ends the portal
# session. Refused with their page, an audit row and nothing created: a ticket
# used already, a ticket for another service, a callback this browser did not
# start (login CSRF), a malformed ticket, a person the mapping refuses, a CAS
# server that does not answer; refused tickets are throttled by address.
set -uo pipefail
. "$BYOD_SRC/tests/cli/lib.sh"
. "$BYOD_SRC/tests/portal/lib.sh"
. "$BYOD_SRC/tests/radius/lib.sh" # its free_ports (UDP) from here on
ME=portal_cas.sh
. "$BYOD_SRC/tests/identity/portal-lib.sh"

# --- the test CA and the servers' certificate (localhost, 127.0.0.1) ---
idt_pki "BYOD portal CAS test CA"

read -r LDAP_PORT CAS_PORT HTTP_PORT HTTPS_PORT SILENT_PORT <<<"$(tcp_ports 5)"

# --- slapd with the school directory (as cas.sh) ---
idt_slapd "ldap://127.0.0.1:$LDAP_PORT/"
(umask 077; printf 'SvcPass-1\n' >"$S/svc.pw")

# --- LemonLDAP::NG: two registered services, the portal's two callbacks ---
CAS="https://localhost:$CAS_PORT/"
PORTAL="https://localhost:$HTTPS_PORT"
SERVICE="$PORTAL/cas/callback/ent"
SERVICE2="$PORTAL/cas/callback/ent2"
D=$S/llng
N=$S/nginx
mkdir -p "$D/run" "$D/cache" "$D/sessions/lock" "$D/psessions/lock" "$N/tmp"
$PY "$H/llng-conf.py" "$D" "$CAS" "$SERVICE" "$LDAP_PORT" "$P/ca.crt" "$S/svc.pw" ||
	die "LemonLDAP::NG's configuration could not be written"
$PY - "$D/conf/lmConf-1.json" "$SERVICE2" <<'PYEOF' || die "the second service"
import json, sys
f, svc = sys.argv[1], sys.argv[2]
c = json.load(open(f))
for k in ("casAppMetaDataOptions", "casAppMetaDataExportedVars", "casAppMetaDataMacros"):
    c[k]["byod2"] = json.loads(json.dumps(c[k]["byod"]))
c["casAppMetaDataOptions"]["byod2"]["casAppMetaDataOptionsService"] = svc
json.dump(c, open(f, "w"), indent=1, sort_keys=True)
PYEOF
. "$H/llng-lib.sh"
idt_llng_start "$D" "$N" "$CAS_PORT"
# --- a port that accepts and never answers: a CAS server down ---
$PY -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)
' "$SILENT_PORT" >"$S/silent.log" 2>&1 &
PIDS+=($!)

# --- the school, its sources, the portal over HTTPS ---
UAI=0123456A
"$BYODCTL" init --school "$UAI" --name "Collège du test" >/dev/null 2>&1 || die "init failed"
conf="$BYOD_HOME/byod.conf"
sed -i 's/^  yescrypt-cost: .*/  yescrypt-cost: 1/' "$conf"
cat >"$T/policy.yaml" <<POLICY
segments:
  registration: { vlan: 10, subnet: 10.10.0.0/22 }
  pupils: { vlan: 20, subnet: 10.20.0.0/16 }
  staff: { vlan: 30, subnet: 10.30.0.0/16 }
rules:
  - name: pupils
    match: { role: student }
    segment: pupils
  - name: staff
    match: { role: teacher }
    segment: staff
default: registration
POLICY
"$BYODCTL" policy apply "$T/policy.yaml" >/dev/null || die "policy apply failed"
cp "$P/server.crt" "$T/portal.crt"
cp "$P/server.key" "$T/portal.key"
chmod 600 "$T/portal.key"
sed -i -e "s/^  hostname: .*/  hostname: \"localhost\"/" \
	-e "s/^  http-port: .*/  http-port: $HTTP_PORT/" -e "s/^  https-port: .*/  https-port: $HTTPS_PORT/" \
	-e "s|^  tls-cert: .*|  tls-cert: \"$T/portal.crt\"|" -e "s|^  tls-key: .*|  tls-key: \"$T/portal.key\"|" \
	-e "s|^  trust-store: .*|  trust-store: \"$P/ca.crt\"|" "$conf"
ROLES='roles: "National_ELV=student, National_ENS=teacher"'
cat >>"$conf" <<CONF

identity:
  college:
    kind: ldap
    label: "l’annuaire du collège"
    url: "ldap://127.0.0.1:$LDAP_PORT/"
    ca-file: "$P/ca.crt"
    user-dn: "uid=%s,ou=people,dc=college,dc=test"
    role-attribute: ENTPersonProfils
    $ROLES
    school-attribute: ENTPersonStructRattach
  ent:
    kind: cas
    label: "l’ENT"
    server-url: "${CAS}cas/"
    service-url: "$SERVICE"
    ca-file: "$P/ca.crt"
    login-attribute: "cas:user"
    role-attribute: role
    $ROLES
    school-attribute: uai
    class-attribute: classe
  ent2:
    kind: cas
    label: "l’autre ENT"
    server-url: "${CAS}cas/"
    service-url: "$SERVICE2"
    ca-file: "$P/ca.crt"
    login-attribute: "cas:user"
    role-attribute: role
    $ROLES
    school-attribute: uai
  en-panne:
    kind: cas
    server-url: "https://localhost:$SILENT_PORT/cas/"
    service-url: "$PORTAL/cas/callback/en-panne"
    ca-file: "$P/ca.crt"
    timeout-s: 1
    login-attribute: "cas:user"
    role-attribute: role
    $ROLES
    school-attribute: uai
CONF
radius_setup
radius_start
"$BYOD_PORTAL" --home "$BYOD_HOME" 2>>"$T/portal.log" &
PIDS+=($!)
C=(curl -sS --max-time 20 --cacert "$P/ca.crt")
for i in $(seq 300); do
	"${C[@]}" -f -o /dev/null "${CAS}cas/login" 2>/dev/null &&
		"${C[@]}" -f -o /dev/null "$PORTAL/api/captive" 2>/dev/null && break
	for p in "${PIDS[@]:1}"; do kill -0 "$p" 2>/dev/null || die "a server stopped"; done
	[ "$i" = 300 ] && die "LemonLDAP::NG or the portal did not answer in 30 s"
	sleep 0.1
done

# ---- a browser per person: its cookie jar, the last answer in $T/h, $T/b ----
JAR=$T/jar.none
as() { JAR=$T/jar.$1; }
get() { # URL [curl args]: no redirect followed
	local url=$1
	shift
	"${C[@]}" -b "$JAR" -c "$JAR" -H 'Accept-Language: fr-FR,fr;q=0.9' -D "$T/h" -o "$T/b" \
		-w '%{http_code}' "$@" "$url" >"$T/code" 2>"$T/curl.err"
}
code() { cat "$T/code"; }
hdr() { grep -i "^$1:" "$T/h" | head -1 | cut -d' ' -f2- | tr -d '\r'; }
cookie_set() { grep -i "^set-cookie: $1=" "$T/h" | head -1 | tr -d '\r'; }
audit_count() { "$BYODCTL" audit --limit 100000 --json >"$T/audit.json" && grep -c "\"$1\"" "$T/audit.json"; }
person_json() {
	"$BYODCTL" user list --json >"$T/people.json" &&
		$PY -c 'import json,sys
for x in json.load(open(sys.argv[1])):
    if x.get("login") == sys.argv[2]: print(json.dumps(x))' "$T/people.json" "$1"
}
# enc S: S percent-encoded as a query value
enc() { $PY -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }

# ent_signin USER URL: at LemonLDAP::NG's login page URL (where the portal
# sent the browser), the form with its hidden fields, the login and the
# password (from a file, never argv); the ticket of the redirect back to the
# service into $TICKET, the whole URL into $BACK
ent_signin() {
	local user=$1 url=$2 args=() f
	(umask 077; printf '%s' "Secret-$user" >"$T/pw.$user")
	get "$url" || return 1
	args=(--data-urlencode "user=$user" --data-urlencode "password@$T/pw.$user")
	while IFS= read -r f; do args+=(--data-urlencode "$f"); done < <($PY -c '
import sys
from html.parser import HTMLParser
class P(HTMLParser):
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("type") == "hidden" and a.get("name"):
            print(a["name"] + "=" + (a.get("value") or ""))
P().feed(open(sys.argv[1]).read())' "$T/b")
	get "$url" "${args[@]}" || return 1
	BACK=$(hdr Location)
	case $BACK in *"?ticket=ST-"*) TICKET=${BACK#*ticket=} ;; *) return 1 ;; esac
}
# start NAME: the source's button (GET /cas/login/NAME) -> 302 to the CAS login
start() { get "$PORTAL/cas/login/$1"; }

# ---- the login page ---------------------------------------------------------
as none
get "$PORTAL/"
check "the login page (200)" test "$(code)" = 200
grep -o '<a class="button source"[^>]*>[^<]*</a>\|<button[^>]*>[^<]*</button>' "$T/b" >"$T/controls"
cat "$T/controls"
check "the CAS source's button: a link to /cas/login/ent, 'Se connecter avec l’ENT'" \
	grep -q '<a class="button source" href="/cas/login/ent">Se connecter avec l’ENT</a>' "$T/controls"
check "the sources in byod.conf's order (ldap, cas, cas, cas), the local account last" sh -c \
	"sed 's/.*value=\"\([^\"]*\)\".*/\1/; s/.*href=\"\/cas\/login\/\([^\"]*\)\".*/\1/' '$T/controls' |
	 tr '\n' ' ' | grep -qx 'college ent ent2 en-panne  '"
get "$PORTAL/?lang=en"
check "...in English too" grep -q 'Sign in with l’ENT</a>' "$T/b"

# ---- alice clicks the ENT button, signs in at the ENT, is created, enrols ----
as alice
idlogins0=$(audit_count identity.login)
start ent
check "the button sends the browser to the CAS login (302)" test "$(code)" = 302
LOC=$(hdr Location)
check "...of the source's server, with the source's callback as service" \
	test "$LOC" = "${CAS}cas/login?service=$(enc "$SERVICE")"
check "...and sets the state cookie (SameSite=Lax, Secure, HttpOnly, under /cas/)" sh -c \
	"echo '$(cookie_set byod_cas)' | grep -q 'Path=/cas/; HttpOnly; SameSite=Lax; Secure; Max-Age=600'"
ent_signin alice.martin "$LOC" || die "alice could not sign in at LemonLDAP::NG: $(code) $(hdr Location)"
ALICE_TICKET=$TICKET
check "LemonLDAP::NG sends alice back to the portal's callback" \
	test "${BACK%%\?*}" = "$SERVICE"
get "$BACK"
check "the callback signs alice in (200, then on by itself)" test "$(code)" = 200
check "...'Connexion réussie'" grep -q 'Connexion réussie' "$T/b"
check "...a meta refresh to /cas/continue" grep -q 'http-equiv="refresh" content="0;url=/cas/continue"' "$T/b"
check "...a new session cookie as a login makes (HttpOnly, SameSite=Strict, Secure)" sh -c \
	"echo '$(cookie_set byod_session)' | grep -q 'byod_session=[A-Za-z0-9_-]\{43\}; Path=/; HttpOnly; SameSite=Strict; Secure'"
check "...the state cookie cleared" sh -c "echo '$(cookie_set byod_cas)' | grep -q 'byod_cas=;.*Max-Age=0'"
row=$(person_json alice.martin)
echo "alice: $row"
check "alice is created with the ENT's role (student)" sh -c "echo '$row' | grep -q '\"role\": *\"student\"'"
check "...of its school" sh -c "echo '$row' | grep -q '\"school\": *\"$UAI\"'"
check "...in its class" sh -c "echo '$row' | grep -q '3A'"
check "...the identity library's audit row" test "$(audit_count identity.login)" = "$((idlogins0 + 1))"
get "$PORTAL/cas/continue"
check "/cas/continue: on to the enrolment (303 /enrol)" \
	sh -c "[ '$(code)' = 303 ] && [ '$(hdr Location)' = /enrol ]"
get "$PORTAL/enrol"
check "the enrolment page" test "$(code)" = 200
csrf=$(sed -n 's/.*name="csrf" value="\([A-Za-z0-9_-]*\)".*/\1/p' "$T/b" | head -1)
get "$PORTAL/enrol" --data-urlencode "csrf=$csrf" --data-urlencode "name=Téléphone d'Alice" \
	--data-urlencode kind=phone --data-urlencode charter=yes
check "enrolled (200)" test "$(code)" = 200
pass=$(sed -n 's/.*<code id="passphrase">\([^<]*\)<.*/\1/p' "$T/b")
link=$(sed -n 's/.*id="download"[^>]*href="\([^"]*\)".*/\1/p' "$T/b")
get "$PORTAL$link"
check "the certificate downloaded" test "$(code)" = 200
cp "$T/b" "$T/dev.p12"
openssl pkcs12 -in "$T/dev.p12" -passin "pass:$pass" -nokeys -clcerts -out "$T/dev.pem" 2>/dev/null
openssl pkcs12 -in "$T/dev.p12" -passin "pass:$pass" -nocerts -nodes -out "$T/dev.key" 2>/dev/null
check "openssl verify accepts it" openssl verify -CAfile "$BYOD_HOME/pki/ca.pem" "$T/dev.pem"
if eap_tls alice "$T/dev.pem" "$T/dev.key" 02:00:00:00:ca:01; then ok; else
	ko "eapol_test authenticates alice's device: $(tail -3 "$T/eap.out")"; fi
check "...in the pupils VLAN" test "$(eap_vlan)" = 20

# ---- the same ticket again: refused by the server, nothing opened -----------
as alice-again
refused0=$(audit_count identity.refused)
start ent
get "$SERVICE?ticket=$ALICE_TICKET"
check "alice's ticket replayed at the callback: 401" test "$(code)" = 401
check "...'Connexion refusée par l’ENT, recommencez'" grep -q 'Connexion refusée par l’ENT, recommencez' "$T/b"
check "...no session cookie" test -z "$(cookie_set byod_session)"
check "...identity.refused audited" test "$(audit_count identity.refused)" = "$((refused0 + 1))"
check "...with the server's code" grep -q 'INVALID_TICKET' "$T/audit.json"

# bob's ticket, validated once elsewhere, then brought to the portal
as bob
start ent
ent_signin bob.durand "$(hdr Location)" || die "bob could not sign in"
"${C[@]}" -o "$T/bob.xml" "${CAS}cas/p3/serviceValidate?service=$(enc "$SERVICE")&ticket=$TICKET"
grep -q '<cas:user>bob.durand' "$T/bob.xml" || die "bob's ticket: $(cat "$T/bob.xml")"
get "$BACK"
check "a ticket used already: 401" test "$(code)" = 401
check "...bob is not created" test -z "$(person_json bob.durand)"

# ---- a ticket for another service (ent2's callback) brought to ent's --------
as claire
refused0=$(audit_count identity.refused)
start ent2
ent_signin claire.petit "$(hdr Location)" || die "claire could not sign in for ent2"
check "claire's ticket is for ent2's callback" test "${BACK%%\?*}" = "$SERVICE2"
start ent
get "$SERVICE?ticket=$TICKET"
check "a ticket for another service: 401" test "$(code)" = 401
check "...'Connexion refusée par l’ENT'" grep -q 'Connexion refusée par l’ENT' "$T/b"
check "...claire is not created" test -z "$(person_json claire.petit)"
check "...identity.refused audited with INVALID_SERVICE" sh -c \
	"[ $(audit_count identity.refused) = $((refused0 + 1)) ] && grep -q INVALID_SERVICE '$T/audit.json'"

# ---- a callback this browser did not start: login CSRF ----------------------
# claire signs in at the ENT for ent (her own browser); the ticket is then
# brought to the portal by another browser that never pressed the button
as claire2
start ent
ent_signin claire.petit "$(hdr Location)" || die "claire could not sign in for ent"
CLAIRE_BACK=$BACK
as victim
unstarted0=$(audit_count portal.cas-unstarted)
get "$CLAIRE_BACK"
check "a callback nobody started here: 403" test "$(code)" = 403
check "...'pas été commencée sur ce portail'" grep -q 'pas été commencée sur ce portail' "$T/b"
check "...no session cookie" test -z "$(cookie_set byod_session)"
check "...claire is not created" test -z "$(person_json claire.petit)"
check "...portal.cas-unstarted audited" \
	test "$(audit_count portal.cas-unstarted)" = "$((unstarted0 + 1))"
# a state made up, or of another key, is no state
printf 'localhost\tFALSE\t/cas/\tTRUE\t0\tbyod_cas\t%s.%s\n' \
	"$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=' | head -c 43)" \
	"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" >>"$T/jar.victim"
get "$CLAIRE_BACK"
check "a forged state cookie: 403" test "$(code)" = 403
# the ticket was never sent to the server: claire's own browser still uses it
as claire2
get "$CLAIRE_BACK"
check "the same ticket from the browser that started: 200" test "$(code)" = 200
row=$(person_json claire.petit)
check "...claire is created, a teacher" sh -c "echo '$row' | grep -q '\"role\": *\"teacher\"'"

# ---- malformed ticket, a mapping refusal, a server down ----------------------
as odd
start ent
get "$SERVICE?ticket=XX-not-a-ticket"
check "a malformed ticket: 400" test "$(code)" = 400
start ent
get "$SERVICE"
check "no ticket: 400" test "$(code)" = 400
as noua
start ent
ent_signin noua.i "$(hdr Location)" || die "noua.i could not sign in"
get "$BACK"
check "a person the mapping refuses (no UAI): 403" test "$(code)" = 403
check "...'Votre compte ne permet pas l’inscription'" grep -q 'Votre compte ne permet pas l’inscription' "$T/b"
check "...and is not created" test -z "$(person_json noua.i)"
as down
start en-panne
LOC=$(hdr Location)
check "the source down: its button still leads to its server" \
	sh -c "echo '$LOC' | grep -q '^https://localhost:$SILENT_PORT/cas/login?service='"
get "$PORTAL/cas/callback/en-panne?ticket=ST-1-abcdefghij"
check "a CAS server that does not answer: 503" test "$(code)" = 503
check "...'ENT indisponible'" grep -q 'ENT indisponible' "$T/b"
check "...with Retry-After" test -n "$(hdr Retry-After)"
# an ENT down is not the pupils' doing: its failures give their throttle
# reservation back (byod_login_release), so a class behind one address is
# never locked out by an outage (more than the address's 20 free failures)
codes=
for i in $(seq 21); do
	start en-panne
	get "$PORTAL/cas/callback/en-panne?ticket=ST-$i-abcdefghij"
	codes="$codes$(code) "
done
check "an ENT down 21 times from one address: never throttled ($codes)" \
	test "$(printf '%s\n' $codes | sort -u)" = 503
get "$PORTAL/cas/login/nowhere"
check "an unknown source's button: 400" test "$(code)" = 400
get "$PORTAL/cas/login/college"
check "...an LDAP source's too" test "$(code)" = 400
get "$SERVICE?ticket=ST-1-abc" -I
check "a HEAD at the callback uses no ticket: 405" test "$(code)" = 405
get "$PORTAL/cas/callback/nowhere?ticket=ST-1-abc"
check "a callback of no source: 404" test "$(code)" = 404

# ---- single logout from the ENT ends alice's portal session -----------------
as alice
get "$PORTAL/devices"
check "alice's session is live before the ENT's logout" test "$(code)" = 200
as claire2
get "$PORTAL/devices"
check "so is claire's" test "$(code)" = 200
# an unknown ticket in a logoutRequest: 200, nothing ended
slo_body() {
	printf 'logoutRequest=%s' "$(enc "<samlp:LogoutRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"x1\" Version=\"2.0\" IssueInstant=\"2026-12-04T10:00:00Z\"><saml:NameID>@NOT_USED@</saml:NameID><samlp:SessionIndex>$1</samlp:SessionIndex></samlp:LogoutRequest>")"
}
as nobody
logouts0=$(audit_count portal.logout)
get "$SERVICE" -H 'Content-Type: application/x-www-form-urlencoded' --data-binary "$(slo_body ST-1-unknown-ticket)"
check "a logoutRequest for a ticket never validated here: 200 (got $(code))" test "$(code)" = 200
check "...nothing ended" test "$(audit_count portal.logout)" = "$logouts0"
get "$SERVICE" -H 'Content-Type: application/x-www-form-urlencoded' --data-binary 'logoutRequest=nonsense'
check "a logoutRequest that is not one: 400" test "$(code)" = 400
as alice
get "${CAS}cas/logout"
check "alice logs out at the ENT" test "$(code)" -lt 400
# LemonLDAP::NG POSTs the logoutRequest to the callback (back channel)
gone=
for i in $(seq 20); do
	[ "$(audit_count portal.logout)" -gt "$logouts0" ] && { gone=1; break; }
	sleep 0.25
done
check "LemonLDAP::NG's back-channel logout reached the portal (portal.logout audited)" test -n "$gone"
check "...as the ENT's single logout of alice" sh -c \
	"grep -q 'cas-slo' '$T/audit.json' && grep -q 'portal.logout' '$T/audit.json'"
get "$PORTAL/devices"
check "...alice's old cookie no longer reaches her pages (303 to the login)" \
	sh -c "[ '$(code)' = 303 ] && [ '$(hdr Location)' = / ]"
get "$PORTAL/enrol"
check "...nor the enrolment page" sh -c "! grep -q 'name=\"charter\"' '$T/b'"
as claire2
get "$PORTAL/devices"
check "...claire's session is not touched" test "$(code)" = 200

# ---- refused tickets are throttled by address, as local logins are ----------
as thrower
throttled0=$(audit_count portal.login-throttled)
got429=0
for i in $(seq 40); do
	start ent
	get "$SERVICE?ticket=ST-$i-never-issued-here"
	[ "$(code)" = 429 ] && { got429=$i; break; }
done
check "refused tickets from one address are throttled (429 after $got429)" test "$got429" -gt 1
check "...the page says to wait" grep -q 'Réessayez dans\|Trop d’essais' "$T/b"
check "...throttled attempts audited" test "$(audit_count portal.login-throttled)" -gt "$throttled0"

check "no ticket nor password in the portal's log" sh -c \
	"! grep -q 'ST-[0-9]*-[A-Za-z0-9]\{8,\}\|Secret-' '$T/portal.log'"
for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null || ko "a server died during the test"; done
finish
