#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Signing in at the portal through an LDAP identity source. Run by
# tests/identity/ldap.sh (which starts the real slapd, its test CA and a port
# that never answers, exports BYOD_LDAP_* and runs this script in their place):
# the login page offers the source's button, the local form last; a pupil of
# the directory signs in with curl through the real form (cookie, form token),
# is created with the directory's role, school and class, enrols a device and
# the device authenticates with eapol_test against the real FreeRADIUS. A
# wrong password gets the usual page and is counted by the login throttle, an
# unknown source a 400, an answer the mapping refuses its page, a directory
# that never answers a 503; nothing is created on a refusal.
set -uo pipefail
: "${BYOD_LDAP_URL:?run by tests/identity/ldap.sh}"
. "$BYOD_SRC/tests/cli/lib.sh"
. "$BYOD_SRC/tests/portal/lib.sh"
tcp_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
. "$BYOD_SRC/tests/radius/lib.sh" # its free_ports (UDP) from here on
: "${BYOD_PORTAL:?BYOD_PORTAL must name the byod-portal binary}"
UAI=0123456A
"$BYODCTL" init --school "$UAI" --name "Collège du test" >/dev/null || { echo "init failed" >&2; exit 1; }
conf="$BYOD_HOME/byod.conf"
sed -i 's/^  yescrypt-cost: .*/  yescrypt-cost: 1/' "$conf"
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
printf '%s\n' 'Local-pass-2026' | "$BYODCTL" user add local.pupil --role student --school "$UAI" \
	--password-stdin >/dev/null || { echo "user add failed" >&2; exit 1; }
PEOPLE="ou=people,dc=college,dc=test"
cat >>"$conf" <<CONF

identity:
  college:
    kind: ldap
    label: "l'annuaire du collège"
    url: "$BYOD_LDAP_URL"
    ca-file: "$BYOD_LDAP_CA"
    bind: user
    user-dn: "uid=%s,$PEOPLE"
    role-attribute: ENTPersonProfils
    roles: "National_ELV=student, National_ENS=teacher"
    school-attribute: ENTPersonStructRattach
    class-attribute: ENTEleveClasses
  en-panne:
    kind: ldap
    url: "$BYOD_LDAP_SILENT_URL"
    ca-file: "$BYOD_LDAP_CA"
    timeout-s: 1
    user-dn: "uid=%s,$PEOPLE"
    role-attribute: ENTPersonProfils
    roles: "National_ELV=student"
    school-attribute: ENTPersonStructRattach
CONF
HTTP_PORT=$(tcp_port)
sed -i "s/^  http-port: .*/  http-port: $HTTP_PORT/; s/^  https-port: .*/  https-port: 0/" "$conf"
radius_setup
radius_start
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; radius_stop; [ -n "${KEEP:-}" ] || rm -rf "$T" ${TLS_CACHE:+"$TLS_CACHE"}' EXIT
start_portal "$BYOD_HOME" "$HTTP_PORT"

JAR="$T/jar"
req() {
	local method=$1 path=$2
	shift 2
	curl -s -X "$method" -b "$JAR" -c "$JAR" -H 'Host: portal.byod.lan' \
		-H 'Accept-Language: fr-FR,fr;q=0.9' -D "$T/h" -o "$T/b" -w '%{http_code}' "$@" \
		"http://127.0.0.1:$HTTP_PORT$path" >"$T/code"
}
code() { cat "$T/code"; }
hdr() { grep -i "^$1:" "$T/h" | head -1 | cut -d' ' -f2- | tr -d '\r'; }
csrf() { sed -n 's/.*name="csrf" value="\([A-Za-z0-9_-]*\)".*/\1/p' "$T/b" | head -1; }
post() {
	local path=$1 args=()
	shift
	for f in "$@"; do args+=(--data-urlencode "$f"); done
	req POST "$path" "${args[@]}"
}
audit_count() { "$BYODCTL" audit --limit 100000 --json >"$T/audit.json" && grep -c "\"$1\"" "$T/audit.json"; }
people() { "$BYODCTL" user list --json >"$T/people.json" 2>/dev/null; cat "$T/people.json"; }
person_json() { # LOGIN: the person's row as JSON, or nothing
	"$BYODCTL" user list --json >"$T/people.json" &&
		python3 -c 'import json,sys
for x in json.load(open(sys.argv[1])):
    if x.get("login") == sys.argv[2]: print(json.dumps(x))' "$T/people.json" "$1"
}

# ---- the page --------------------------------------------------------------
req GET /
check "the login page (200)" test "$(code)" = 200
check "the source's button, in French, with its label" \
	grep -q '<button type="submit" name="source" value="college">Se connecter avec l&#39;annuaire du collège</button>\|<button type="submit" name="source" value="college">Se connecter avec l&apos;annuaire du collège</button>\|<button type="submit" name="source" value="college">Se connecter avec l.annuaire du collège</button>' "$T/b"
check "the local account's button last" sh -c \
	"grep -o '<button[^>]*>[^<]*</button>' '$T/b' | tail -1 | grep -q 'value=\"\" class=\"local\">Se connecter avec un compte local'"
check "...after the sources'" sh -c \
	"[ \$(grep -o '<button type=\"submit\" name=\"source\"' '$T/b' | wc -l) = 3 ]"
req GET /?lang=en
check "...in English too" grep -q 'Sign in with a local account' "$T/b"
req GET /?lang=fr

# ---- refusals: nothing created ----------------------------------------------
req GET /
post /login "csrf=$(csrf)" source=nowhere login=alice.martin password=Secret-alice.martin
check "an unknown source is a 400" test "$(code)" = 400
check "...with a page that says so" grep -q 'Ce moyen de connexion n’existe pas' "$T/b"
check "...and alice is not created" test -z "$(person_json alice.martin)"
failed0=$(audit_count identity.refused)
req GET /
post /login "csrf=$(csrf)" source=college login=alice.martin password=wrong
check "a wrong password through the directory is a 401" test "$(code)" = 401
check "...with the usual message" grep -q 'Identifiant ou mot de passe incorrect' "$T/b"
check "...alice not created" test -z "$(person_json alice.martin)"
check "...the refusal audited once, by the identity library" \
	test "$(audit_count identity.refused)" = "$((failed0 + 1))"
check "...and no portal.login-failed besides it" test "$(audit_count portal.login-failed)" = 0
check "the password is nowhere in the portal's log" sh -c "! grep -q 'Secret-\|wrong' '$T/portal.log'"
post /login "csrf=$(csrf)" source=college login=noua.i password=Secret-noua.i
check "a person the mapping refuses (no UAI) gets 403" test "$(code)" = 403
check "...'Votre compte ne permet pas l’inscription'" grep -q 'Votre compte ne permet pas l’inscription' "$T/b"
check "...and is not created" test -z "$(person_json noua.i)"
post /login "csrf=$(csrf)" source=en-panne login=bob.durand password=Secret-bob.durand
check "a directory that never answers: 503" test "$(code)" = 503
check "...'Annuaire indisponible'" grep -q 'Annuaire indisponible' "$T/b"
check "...with Retry-After" test -n "$(hdr Retry-After)"
check "...bob not created" test -z "$(person_json bob.durand)"
req GET /
post /login "csrf=$(csrf)" source=college login=local.pupil password=Local-pass-2026
check "a local account unknown to the directory: 401 through the source" test "$(code)" = 401
post /login "csrf=$(csrf)" source= login=local.pupil password=Local-pass-2026
check "...and still signs in with the local button (303)" test "$(code)" = 303
rm -f "$JAR"

# ---- the throttle counts the directory's wrong passwords --------------------
# the login's own delays start after a few failures (login_throttle.h): keep
# trying with wrong passwords from this address until a 429
got429=0
for i in $(seq 12); do
	req GET /
	post /login "csrf=$(csrf)" source=college login=bob.durand "password=wrong-$i"
	[ "$(code)" = 429 ] && { got429=$i; break; }
done
check "wrong passwords through the directory are throttled (429 after $got429)" test "$got429" -gt 1
check "...the page says to wait" grep -q 'Réessayez dans\|Trop d’essais\|verrouill' "$T/b"
check "...throttled attempts audited" test "$(audit_count portal.login-throttled)" -ge 1
check "...bob not created" test -z "$(person_json bob.durand)"

# ---- a pupil signs in, is created, enrols, the device authenticates --------
rm -f "$JAR"
logins0=$(audit_count portal.login)
idlogins0=$(audit_count identity.login)
req GET /
post /login "csrf=$(csrf)" source=college login=alice.martin password=Secret-alice.martin
check "alice signs in through the directory (303 to /devices)" \
	sh -c "[ '$(code)' = 303 ] && [ '$(hdr Location)' = /devices ]"
row=$(person_json alice.martin)
echo "alice: $row"
check "...created with the directory's role (student)" sh -c "echo '$row' | grep -q '\"role\": *\"student\"'"
check "...of its school" sh -c "echo '$row' | grep -q '\"school\": *\"$UAI\"'"
check "...in its class" sh -c "echo '$row' | grep -q '3A'"
check "...without a password of ours" sh -c "! echo '$row' | grep -q '\\\$y\\\$\|\\\$6\\\$'"
check "...and the identity library's audit row" \
	test "$(audit_count identity.login)" = "$((idlogins0 + 1))"
check "...no portal.login row besides it" test "$(audit_count portal.login)" = "$logins0"
req GET /devices
check "Mes appareils" grep -q '<h1>Mes appareils</h1>' "$T/b"
req GET /enrol
post /enrol "csrf=$(csrf)" "name=Téléphone d'Alice" kind=phone charter=yes
check "enrolled (200)" test "$(code)" = 200
pass=$(sed -n 's/.*<code id="passphrase">\([^<]*\)<.*/\1/p' "$T/b")
link=$(sed -n 's/.*id="download"[^>]*href="\([^"]*\)".*/\1/p' "$T/b")
req GET "$link"
check "the certificate downloaded" test "$(code)" = 200
cp "$T/b" "$T/dev.p12"
openssl pkcs12 -in "$T/dev.p12" -passin "pass:$pass" -nokeys -clcerts -out "$T/dev.pem" 2>/dev/null
openssl pkcs12 -in "$T/dev.p12" -passin "pass:$pass" -nocerts -nodes -out "$T/dev.key" 2>/dev/null
check "openssl verify accepts it" openssl verify -CAfile "$BYOD_HOME/pki/ca.pem" "$T/dev.pem"
if eap_tls alice "$T/dev.pem" "$T/dev.key" 02:00:00:00:ab:01; then ok; else
	ko "eapol_test authenticates alice's device: $(tail -3 "$T/eap.out")"; fi
check "...in the pupils VLAN" test "$(eap_vlan)" = 20
for p in "${PIDS[@]}"; do kill -TERM "$p"; wait "$p"; done
PIDS=()
finish
