# SPDX-License-Identifier: GPL-2.0-or-later
# Signing in at the portal through a SAML 2.0 identity source, against real
# servers started here: slapd with the school directory and LemonLDAP::NG as
# the SAML identity provider on it (as saml.sh starts them: llng-fastcgi-server
# behind an unprivileged nginx, the test's CA, free ports of 127.0.0.1), the
# portal over HTTPS, FreeRADIUS. The IdP knows the portal from the metadata
# the portal itself serves (/saml/metadata/NAME). A pupil follows the button
# as a browser would (the portal's 302 to the IdP with a signed request, the
# IdP's login form, the Response POSTed cross-site to the portal's ACS with no
# cookie, the continue page followed with the browser's cookies), is created
# with the directory's role, school and class, enrols a device that
# authenticates with eapol_test. Refused with their page and nothing opened:
# the same Response again (identity.refused), /saml/done in a browser that
# did not start the sign-in (login CSRF), a tampered Response; refused
# Responses are throttled by address.
set -uo pipefail
. "$BYOD_SRC/tests/cli/lib.sh"
. "$BYOD_SRC/tests/portal/lib.sh"
. "$BYOD_SRC/tests/radius/lib.sh" # its free_ports (UDP) from here on
ME=portal_saml.sh
. "$BYOD_SRC/tests/identity/portal-lib.sh"

# --- the test CA and the servers' certificate (localhost, 127.0.0.1), the IdP's and the SP's keys ---
idt_pki "BYOD portal SAML test CA"
(
	cd "$P" || exit 1
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=BYOD test IdP signing" \
		-keyout idp.key -out idp.crt &&
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=BYOD test SP" \
		-keyout sp.key -out sp.crt
) >"$S/pki.log" 2>&1 || { cat "$S/pki.log" >&2; die "the SAML keys could not be made"; }
chmod 644 "$P"/*.crt
chmod 640 "$P"/*.key

read -r LDAP_PORT IDP_PORT HTTP_PORT HTTPS_PORT <<<"$(tcp_ports 4)"

# --- slapd with the school directory (as saml.sh) ---
idt_slapd "ldap://127.0.0.1:$LDAP_PORT/"
(umask 077; printf 'SvcPass-1\n' >"$S/svc.pw")

# --- the school, its sources (the directory, then ÉduConnect), the portal ---
IDP="https://localhost:$IDP_PORT/"
PORTAL="https://localhost:$HTTPS_PORT"
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
# the IdP's metadata is fetched once LemonLDAP::NG runs, which needs the
# portal's metadata first: the portal reads the file only at a sign-in
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
  educonnect:
    kind: saml
    label: "ÉduConnect"
    sp-entity-id: "$PORTAL/saml/metadata/educonnect"
    acs-url: "$PORTAL/saml/acs/educonnect"
    sp-key-file: "$P/sp.key"
    sp-cert-file: "$P/sp.crt"
    idp-metadata-file: "$T/idp-md.xml"
    login-attribute: uid
    name-attribute: cn
    role-attribute: role
    $ROLES
    school-attribute: uai
    class-attribute: classe
CONF
radius_setup
radius_start
"$BYOD_PORTAL" --home "$BYOD_HOME" 2>>"$T/portal.log" &
PIDS+=($!)
C=(curl -sS --max-time 20 --cacert "$P/ca.crt")
for i in $(seq 300); do
	"${C[@]}" -f -o /dev/null "$PORTAL/api/captive" 2>/dev/null && break
	kill -0 "${PIDS[-1]}" 2>/dev/null || die "the portal stopped"
	[ "$i" = 300 ] && die "the portal did not answer in 30 s"
	sleep 0.1
done

# ---- the SP metadata, as the portal serves it, registered at the IdP --------
"${C[@]}" -D "$T/md.h" -o "$T/sp-md.xml" -w '%{http_code}' "$PORTAL/saml/metadata/educonnect" \
	>"$T/code"
check "the SP metadata: 200" test "$(cat "$T/code")" = 200
check "...application/samlmetadata+xml" grep -qi '^content-type: application/samlmetadata+xml' "$T/md.h"
check "...its entityID and its ACS" sh -c "grep -q 'entityID=\"$PORTAL/saml/metadata/educonnect\"' '$T/sp-md.xml' &&
	grep -q 'Location=\"$PORTAL/saml/acs/educonnect\"' '$T/sp-md.xml'"
"${C[@]}" -o /dev/null -w '%{http_code}' "$PORTAL/saml/metadata/college" >"$T/code"
check "no metadata for an LDAP source: 404" test "$(cat "$T/code")" = 404
# saml-llng.py registers three SPs: this one, and two others the test does not use
sed "s#$PORTAL/saml/metadata/educonnect#$PORTAL/saml/metadata/unused-enc#" "$T/sp-md.xml" >"$T/enc-md.xml"
sed "s#$PORTAL/saml/metadata/educonnect#$PORTAL/saml/metadata/unused-other#" "$T/sp-md.xml" >"$T/other-md.xml"

D=$S/llng
N=$S/nginx
mkdir -p "$D/run" "$D/cache" "$D/sessions/lock" "$D/psessions/lock" "$N/tmp"
$PY "$H/llng-conf.py" "$D" "$IDP" "$PORTAL/cas/callback" "$LDAP_PORT" "$P/ca.crt" "$S/svc.pw" ||
	die "LemonLDAP::NG's configuration could not be written"
$PY "$H/saml-llng.py" "$D" "$P/idp.key" "$P/idp.crt" "$T/sp-md.xml" "$T/enc-md.xml" \
	"$T/other-md.xml" || die "LemonLDAP::NG's SAML configuration could not be written"
. "$H/llng-lib.sh"
idt_llng_start "$D" "$N" "$IDP_PORT"
for i in $(seq 300); do
	"${C[@]}" -f -o "$T/idp-md.xml" "${IDP}saml/metadata" 2>/dev/null && break
	for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null || die "a server stopped"; done
	[ "$i" = 300 ] && die "LemonLDAP::NG did not answer in 30 s"
	sleep 0.1
done
grep -q 'IDPSSODescriptor' "$T/idp-md.xml" || die "the IdP metadata has no IDPSSODescriptor"

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
# idp_signin USER URL: at the IdP (where the portal sent the browser) as
# saml-browser.py signs in; what the IdP's form would POST into $RESP, $RELAY
idp_signin() {
	(umask 077; printf '%s' "Secret-$1" >"$T/pw.$1")
	$PY "$H/saml-browser.py" "$P/ca.crt" "$2" "$1" "$T/pw.$1" >"$T/idp.out" || return 1
	RESP=$(sed -n 1p "$T/idp.out")
	RELAY=$(sed -n 2p "$T/idp.out")
}
# acs RESPONSE RELAY: the IdP's auto-submitted form, a cross-site POST: no
# cookie of the portal's goes with it (all are SameSite=Strict)
acs() {
	local jar=$JAR
	JAR=$T/jar.cross-site
	rm -f "$JAR"
	get "$PORTAL/saml/acs/educonnect" --data-urlencode "SAMLResponse=$1" \
		--data-urlencode "RelayState=$2"
	JAR=$jar
}
# the /saml/done link of the continue page
done_link() { sed -n 's/.*<a class="button" href="\(\/saml\/done?n=[A-Za-z0-9_-]*\)".*/\1/p' "$T/b" | head -1; }
start() { get "$PORTAL/saml/login/educonnect"; }

# ---- the login page: the SAML source's button among the sources -------------
as none
get "$PORTAL/"
check "the login page (200)" test "$(code)" = 200
check "the SAML source's button: a link to /saml/login/educonnect, 'Se connecter avec ÉduConnect'" \
	grep -q '<a class="button source" href="/saml/login/educonnect">Se connecter avec ÉduConnect</a>' "$T/b"
check "...after the directory's, the local account last" sh -c \
	"tr '\n' ' ' <'$T/b' | grep -q 'value=\"college\".*/saml/login/educonnect.*name=\"source\" value=\"\"'"

# ---- alice: the button, the IdP, the ACS, the continue page, the enrolment ---
as alice
idlogins0=$(audit_count identity.login)
start
check "the button sends the browser to the IdP (302)" test "$(code)" = 302
LOC=$(hdr Location)
check "...its SSO service, with a signed request" sh -c \
	"echo '$LOC' | grep -q '^${IDP}saml/singleSignOn?SAMLRequest=.*&RelayState=[0-9a-f]\{64\}&SigAlg=.*&Signature='"
check "...and sets the state cookie (Path=/saml/, HttpOnly, SameSite=Strict, Secure)" sh -c \
	"echo '$(cookie_set byod_saml)' | grep -q 'byod_saml=[A-Za-z0-9_-]\{76\}; Path=/saml/; HttpOnly; SameSite=Strict; Secure; Max-Age=600'"
idp_signin alice.martin "$LOC" || die "alice could not sign in at LemonLDAP::NG: $(cat "$T/idp.out")"
ALICE_RESP=$RESP
ALICE_RELAY=$RELAY
acs "$RESP" "$RELAY"
check "the ACS takes the IdP's Response (200)" test "$(code)" = 200
check "...'Connexion réussie'" grep -q 'Connexion réussie' "$T/b"
DONE=$(done_link)
check "...a visible 'Continuer' link to /saml/done" sh -c "[ -n '$DONE' ] && grep -q '>Continuer</a>' '$T/b'"
check "...and a meta refresh to it" grep -q "http-equiv=\"refresh\" content=\"0;url=$DONE\"" "$T/b"
check "...no session cookie there (the cross-site POST has none)" test -z "$(cookie_set byod_session)"
row=$(person_json alice.martin)
echo "alice: $row"
check "alice is created with the IdP's role (student)" sh -c "echo '$row' | grep -q '\"role\": *\"student\"'"
check "...of its school" sh -c "echo '$row' | grep -q '\"school\": *\"$UAI\"'"
check "...in its class" sh -c "echo '$row' | grep -q '3A'"
check "...the identity library's audit row" test "$(audit_count identity.login)" = "$((idlogins0 + 1))"
get "$PORTAL$DONE"
check "/saml/done in alice's browser: on to the enrolment (303 /enrol)" \
	sh -c "[ '$(code)' = 303 ] && [ '$(hdr Location)' = /enrol ]"
check "...a new session cookie as a login makes (HttpOnly, SameSite=Strict, Secure)" sh -c \
	"echo '$(cookie_set byod_session)' | grep -q 'byod_session=[A-Za-z0-9_-]\{43\}; Path=/; HttpOnly; SameSite=Strict; Secure'"
check "...the state cookie cleared" sh -c "echo '$(cookie_set byod_saml)' | grep -q 'byod_saml=;.*Max-Age=0'"
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
if eap_tls alice "$T/dev.pem" "$T/dev.key" 02:00:00:00:5a:01; then ok; else
	ko "eapol_test authenticates alice's device: $(tail -3 "$T/eap.out")"; fi
check "...in the pupils VLAN" test "$(eap_vlan)" = 20
get "$PORTAL$DONE"
check "the same /saml/done again: 403, used already" test "$(code)" = 403
check "...'déjà été utilisée'" grep -q 'déjà été utilisée' "$T/b"

# ---- the same Response again: refused, identity.refused, nothing opened -----
as alice-again
start
refused0=$(audit_count identity.refused)
acs "$ALICE_RESP" "$ALICE_RELAY"
check "alice's Response posted again: 401" test "$(code)" = 401
check "...'Connexion refusée par le fournisseur d’identité'" \
	grep -q 'Connexion refusée par le fournisseur d’identité' "$T/b"
check "...no way on to /saml/done" test -z "$(done_link)"
check "...identity.refused audited" test "$(audit_count identity.refused)" = "$((refused0 + 1))"

# ---- /saml/done from another browser than the one that started: login CSRF --
as bob
start
idp_signin bob.durand "$(hdr Location)" || die "bob could not sign in: $(cat "$T/idp.out")"
acs "$RESP" "$RELAY"
check "bob's Response at the ACS: 200" test "$(code)" = 200
BOB_DONE=$(done_link)
as victim
unstarted0=$(audit_count portal.saml-unstarted)
get "$PORTAL$BOB_DONE"
check "bob's /saml/done in a browser that did not start it: 403" test "$(code)" = 403
check "...'pas été commencée dans ce navigateur'" grep -q 'pas été commencée dans ce navigateur' "$T/b"
check "...no session cookie" test -z "$(cookie_set byod_session)"
check "...portal.saml-unstarted audited" \
	test "$(audit_count portal.saml-unstarted)" = "$((unstarted0 + 1))"
get "$PORTAL/enrol"
check "...and that browser has no enrolment page" sh -c "! grep -q 'name=\"charter\"' '$T/b'"
# a state cookie of another request (the victim's own start) is no better
start
as bob2
start
idp_signin bob.durand "$(hdr Location)" || die "bob could not sign in again"
acs "$RESP" "$RELAY"
BOB_DONE=$(done_link)
as victim
get "$PORTAL$BOB_DONE"
check "bob's /saml/done with the state cookie of another request: 403" test "$(code)" = 403
check "...no session cookie" test -z "$(cookie_set byod_session)"

# ---- a tampered Response: refused, nothing created --------------------------
as claire
start
idp_signin claire.petit "$(hdr Location)" || die "claire could not sign in: $(cat "$T/idp.out")"
refused0=$(audit_count identity.refused)
TAMPERED=$($PY -c 'import base64, sys
x = base64.b64decode(sys.argv[1]).decode()
assert "claire.petit" in x
print(base64.b64encode(x.replace("claire.petit", "claire.petiT").encode()).decode())' "$RESP")
acs "$TAMPERED" "$RELAY"
check "a tampered Response: 401" test "$(code)" = 401
check "...no way on to /saml/done" test -z "$(done_link)"
check "...identity.refused audited" test "$(audit_count identity.refused)" = "$((refused0 + 1))"
check "...nobody created" sh -c "[ -z '$(person_json claire.petit)' ] && [ -z '$(person_json claire.petiT)' ]"
acs "$RESP" "$RELAY"
check "...and the request it answered is used: the genuine Response after it is refused (401)" \
	test "$(code)" = 401

# ---- malformed input --------------------------------------------------------
as odd
get "$PORTAL/saml/acs/educonnect" --data-urlencode "RelayState=abc"
check "an ACS POST without SAMLResponse: 400" test "$(code)" = 400
get "$PORTAL/saml/acs/nowhere" --data-urlencode "SAMLResponse=AAAA"
check "an ACS of no source: 404" test "$(code)" = 404
get "$PORTAL/saml/login/college"
check "the button of an LDAP source: 400" test "$(code)" = 400
get "$PORTAL/saml/done?n=short"
check "a /saml/done nonce that cannot be one: 400" test "$(code)" = 400

# ---- refused Responses are throttled by address, as local logins are --------
as thrower
throttled0=$(audit_count portal.login-throttled)
got429=0
for i in $(seq 40); do
	acs "$TAMPERED" "$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
	[ "$(code)" = 429 ] && { got429=$i; break; }
done
check "refused Responses from one address are throttled (429 after $got429)" test "$got429" -gt 1
check "...the page says to wait" grep -q 'Réessayez dans\|Trop d’essais' "$T/b"
check "...with Retry-After" test -n "$(hdr Retry-After)"
check "...throttled attempts audited" test "$(audit_count portal.login-throttled)" -gt "$throttled0"

check "no SAMLResponse nor password in the portal's log" sh -c \
	"! grep -q 'PHNhbWxwOl\|Secret-' '$T/portal.log'"
for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null || ko "a server died during the test"; done
finish
