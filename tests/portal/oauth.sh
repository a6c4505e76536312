# SPDX-License-Identifier: GPL-2.0-or-later
# geteduroam's API at the portal, driven with curl as the apps drive it:
# discovery, GET /oauth/authorize/ through the normal login and the consent
# (charter, form token), the code exchanged with its PKCE verifier, the
# eap-config fetched with the access token, refresh tokens rotated. Every
# bad input: an unknown client, a redirect URI not registered (an error
# page, never a redirect there), PKCE missing or plain, a wrong verifier,
# redirect URI or client at the token endpoint, a code used twice (refused,
# and the tokens it gave die), a code expired (oauth.code-ttl 20 s), a
# refresh token reused (the grant dies), a token of a device revoked since,
# an access token where a refresh token goes and the other way round, the
# device limit (a JSON refusal with the French sentence), the throttle of
# the token endpoint per address, a state too long to go back in a
# redirect (an error page), the consent page's CSP (form-action the
# client's own redirect URIs; every other page 'self').
. "$BYOD_SRC/tests/cli/lib.sh"
. "$BYOD_SRC/tests/portal/lib.sh"
: "${BYOD_PORTAL:?BYOD_PORTAL must name the byod-portal binary}"
init_school
for u in lea.martin:Calanques-2026! hugo:autre-mot-de-passe; do
	printf '%s\n' "${u#*:}" | "$BYODCTL" user add "${u%%:*}" --role student --school 0131234W \
		--name "${u%%:*} (test)" --password-stdin >/dev/null || { echo "user add failed" >&2; exit 1; }
done

read -r HTTP_PORT <<<"$(free_ports 1)"
conf="$BYOD_HOME/byod.conf"
sed -i "s/^  http-port: .*/  http-port: $HTTP_PORT/; s/^  https-port: .*/  https-port: 0/" "$conf"
sed -i "s|^  public-url: .*|  public-url: \"http://portal.byod.lan:$HTTP_PORT\"|" "$conf"
sed -i 's/^  code-ttl: .*/  code-ttl: 20/; s/^  ssid: .*/  ssid: "Collège-BYOD"/' "$conf"
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
start_portal "$BYOD_HOME" "$HTTP_PORT"
BASE="http://portal.byod.lan:$HTTP_PORT"

JAR="$T/jar"
FROM=
# req METHOD PATH [curl options]: the browser (its cookie jar); status in
# $T/code, headers in $T/h, body in $T/b
req() {
	local method=$1 path=$2
	shift 2
	curl -s -X "$method" -b "$JAR" -c "$JAR" -H 'Host: portal.byod.lan' \
		${FROM:+--interface "$FROM"} -H 'Accept-Language: fr-FR,fr;q=0.9' \
		-D "$T/h" -o "$T/b" -w '%{http_code}' "$@" "http://127.0.0.1:$HTTP_PORT$path" >"$T/code"
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
# app POST PATH [curl options]: the app, no cookies
app() {
	local path=$1
	shift
	curl -s -X POST -H 'Host: portal.byod.lan' ${FROM:+--interface "$FROM"} -D "$T/h" \
		-o "$T/b" -w '%{http_code}' "$@" "http://127.0.0.1:$HTTP_PORT$path" >"$T/code"
}
token() { # FORM...: POST /oauth/token/
	local args=()
	for f in "$@"; do args+=(--data-urlencode "$f"); done
	app /oauth/token/ "${args[@]}"
}
body_json() { json "$1" <"$T/b"; }
s256() { printf %s "$1" | openssl dgst -sha256 -binary | basenc --base64url | tr -d '='; }
new_verifier() { head -c 48 /dev/urandom | basenc --base64url | tr -d '=\n'; }
urlenc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
# the query argument NAME of the Location header
loc_arg() { python3 -c 'import sys, urllib.parse; q = urllib.parse.urlsplit(sys.argv[1]).query; print(urllib.parse.parse_qs(q).get(sys.argv[2], [""])[0])' "$(hdr Location)" "$1"; }

LINUX=app.geteduroam.sh
REDIR="http://127.0.0.1:53127/"
# authorize CLIENT REDIRECT CHALLENGE [METHOD [SCOPE [STATE]]]
authorize() {
	req GET "/oauth/authorize/?response_type=code&client_id=$(urlenc "$1")&redirect_uri=$(urlenc "$2")&code_challenge=$3&code_challenge_method=${4-S256}&scope=${5-eap-metadata}&state=$(urlenc "${6-st4te}")"
}

# ---- discovery ----------------------------------------------------------
req GET /.well-known/openid-configuration
check "discovery answers JSON" test "$(code)" = 200
check "...naming the issuer" test "$(body_json 'd["issuer"]')" = "$BASE"
check "...the authorization endpoint" test "$(body_json 'd["authorization_endpoint"]')" = "$BASE/oauth/authorize/"
check "...the token endpoint" test "$(body_json 'd["token_endpoint"]')" = "$BASE/oauth/token/"
check "...the eap-config endpoint" test "$(body_json 'd["eapconfig_endpoint"]')" = "$BASE/api/eap-config/"
check "...S256 only" test "$(body_json 'd["code_challenge_methods_supported"]')" = "['S256']"
check "...both grant types" test "$(body_json 'sorted(d["grant_types_supported"])')" = "['authorization_code', 'refresh_token']"
req GET /.well-known/letswifi.json
check "letswifi's discovery too" test "$(body_json 'd["http://letswifi.app/api#v2"]["token_endpoint"]')" = "$BASE/oauth/token/"

# ---- bad authorization requests -----------------------------------------
V=$(new_verifier)
C=$(s256 "$V")
authorize app.unknown "$REDIR" "$C"
check "an unknown client: an error page (400)" test "$(code)" = 400
check "...never a redirect" test -z "$(hdr Location)"
check "...saying so in French" grep -q 'pas reconnue' "$T/b"
for bad in "http://evil.example/" "http://127.0.0.1:53127/callback" "https://127.0.0.1:53127/" \
	"http://127.0.0.1.evil.example/" "http://127.0.0.1:0/" "http://127.0.0.1:99999/" \
	"http://localhost:53127/" "app.eduroam.geteduroam:/"; do
	authorize "$LINUX" "$bad" "$C"
	check "redirect $bad not registered for $LINUX: 400, no redirect" \
		sh -c "[ \"$(code)\" = 400 ] && [ -z \"$(hdr Location)\" ]"
done
authorize app.eduroam.geteduroam "$REDIR" "$C"
check "a loopback redirect for the mobile app: 400, no redirect" \
	sh -c "[ \"$(code)\" = 400 ] && [ -z \"$(hdr Location)\" ]"
authorize "$LINUX" "$REDIR" ""
check "no PKCE challenge: told to the app (302)" test "$(code)" = 302
check "...invalid_request" test "$(loc_arg error)" = invalid_request
check "...with its state" test "$(loc_arg state)" = st4te
authorize "$LINUX" "$REDIR" "$V" plain
check "PKCE plain: invalid_request" test "$(loc_arg error)" = invalid_request
authorize "$LINUX" "$REDIR" "$C" ""
check "no challenge method: invalid_request" test "$(loc_arg error)" = invalid_request
authorize "$LINUX" "$REDIR" "$C" S256 "openid"
check "another scope: invalid_scope" test "$(loc_arg error)" = invalid_scope
req GET "/oauth/authorize/?response_type=token&client_id=$LINUX&redirect_uri=$(urlenc "$REDIR")&code_challenge=$C&code_challenge_method=S256&scope=eap-metadata"
check "response_type=token: unsupported_response_type" test "$(loc_arg error)" = unsupported_response_type
check "no request kept by any of them (no cookie)" sh -c "! grep -q byod_oauth '$JAR'"
long=$(printf '/%.0s' $(seq 200))
authorize "$LINUX" "$REDIR" "$C" S256 eap-metadata "$long"
check "a state whose answer would not fit in a redirect: an error page (400)" test "$(code)" = 400
check "...never a redirect (nor a cut state)" test -z "$(hdr Location)"
check "...saying so in French" grep -q 'trop longue' "$T/b"
check "...no request kept" sh -c "! grep -q byod_oauth '$JAR'"

# ---- the login, the consent ---------------------------------------------
authorize "$LINUX" "$REDIR" "$C" S256 eap-metadata "xyz 1"
check "a good request, before a login: to the portal's login (303 /)" \
	sh -c "[ \"$(code)\" = 303 ] && [ \"$(hdr Location)\" = / ]"
check "...kept under a cookie of its own, HttpOnly" sh -c "grep -i '^Set-Cookie: byod_oauth=' '$T/h' | grep -q HttpOnly"
req GET /oauth/consent
check "the consent page wants a login first" sh -c "[ \"$(code)\" = 303 ] && [ \"$(hdr Location)\" = / ]"
req GET /
check "the normal login page" grep -q 'action="/login"' "$T/b"
post /login "csrf=$(csrf)" login=lea.martin 'password=Calanques-2026!'
check "after the login: the consent (303 /oauth/consent)" \
	sh -c "[ \"$(code)\" = 303 ] && [ \"$(hdr Location)\" = /oauth/consent ]"
req GET /oauth/consent
check "the consent page names the app" grep -q 'geteduroam (Linux)' "$T/b"
check "...its CSP lets the form answer at the app's loopback redirect" sh -c "grep -i '^Content-Security-Policy:' '$T/h' | grep -qF \"form-action 'self' http://127.0.0.1:* http://[::1]:*;\""
check "...and at no other app's" sh -c "! grep -i '^Content-Security-Policy:' '$T/h' | grep -q app.eduroam.geteduroam"
check "...the account" grep -q 'lea.martin' "$T/b"
check "...the charter to accept" grep -q 'name="charter"' "$T/b"
check "...in French" grep -q 'Autoriser' "$T/b"
TOK=$(csrf)
post /oauth/consent action=accept charter=yes
check "a consent without its form token: 403" test "$(code)" = 403
req GET /oauth/consent
post /oauth/consent "csrf=$(csrf)" action=accept
check "accept without the charter: 400, the page again" sh -c "[ \"$(code)\" = 400 ] && grep -q 'accepter la charte' '$T/b'"
post /oauth/consent "csrf=$(csrf)" action=refuse
check "refuse: 302 to the app" test "$(code)" = 302
check "...access_denied" test "$(loc_arg error)" = access_denied
check "...its state, whole" test "$(loc_arg state)" = "xyz 1"
check "...at its redirect URI" sh -c "case '$(hdr Location)' in $REDIR\\?*) exit 0;; esac; exit 1"
req GET /oauth/consent
check "the request is gone after the answer (410)" test "$(code)" = 410

# grant CLIENT REDIRECT: a whole consent for lea (logged in); CODE, VERIFIER set
grant() {
	VERIFIER=$(new_verifier)
	authorize "$1" "$2" "$(s256 "$VERIFIER")" S256 eap-metadata s
	[ "$(code)" = 303 ] && [ "$(hdr Location)" = /oauth/consent ] || return 1
	req GET /oauth/consent
	post /oauth/consent "csrf=$(csrf)" action=accept charter=yes
	[ "$(code)" = 302 ] || return 1
	CODE=$(loc_arg code)
	[ -n "$CODE" ] && [ "$(loc_arg state)" = s ]
}
check "logged in, a request goes straight to the consent; accept gives a code" grant "$LINUX" "$REDIR"

# ---- the token endpoint: bad exchanges (from another address: the throttle) --
FROM=127.0.0.2
token grant_type=authorization_code "code=$CODE" "redirect_uri=$REDIR" client_id=$LINUX "code_verifier=$(new_verifier)"
check "a wrong verifier: invalid_grant" test "$(code) $(body_json 'd["error"]')" = "400 invalid_grant"
token grant_type=authorization_code "code=$CODE" "redirect_uri=http://127.0.0.1:53128/" client_id=$LINUX "code_verifier=$VERIFIER"
check "another redirect_uri: invalid_grant" test "$(body_json 'd["error"]')" = invalid_grant
token grant_type=authorization_code "code=$CODE" "redirect_uri=$REDIR" client_id=app.geteduroam.win "code_verifier=$VERIFIER"
check "another client: invalid_grant" test "$(body_json 'd["error"]')" = invalid_grant
token grant_type=authorization_code "code=$CODE" "redirect_uri=$REDIR" client_id=app.unknown "code_verifier=$VERIFIER"
check "an unknown client: invalid_client (401)" test "$(code) $(body_json 'd["error"]')" = "401 invalid_client"
token grant_type=authorization_code "code=$CODE" "redirect_uri=$REDIR" client_id=$LINUX
check "no verifier: invalid_request" test "$(body_json 'd["error"]')" = invalid_request
token grant_type=password username=lea.martin password=x client_id=$LINUX
check "another grant type: unsupported_grant_type" test "$(body_json 'd["error"]')" = unsupported_grant_type
app /oauth/token/ -H 'Content-Type: application/json' --data '{"grant_type":"authorization_code"}'
check "a JSON body: invalid_request" test "$(body_json 'd["error"]')" = invalid_request
req GET /oauth/token/
check "GET on the token endpoint: 405" test "$(code)" = 405

# ---- the good exchange, the replay --------------------------------------
FROM=
token grant_type=authorization_code "code=$CODE" "redirect_uri=$REDIR" client_id=$LINUX "code_verifier=$VERIFIER"
check "the right verifier: tokens (200)" test "$(code)" = 200
check "...Bearer" test "$(body_json 'd["token_type"]')" = Bearer
check "...never cached" grep -qi '^Cache-Control: no-store' "$T/h"
A1=$(body_json 'd["access_token"]')
R1=$(body_json 'd["refresh_token"]')
check "...an access and a refresh token" test "${#A1}" -ge 43 -a "${#R1}" -ge 43
FROM=127.0.0.2
token grant_type=authorization_code "code=$CODE" "redirect_uri=$REDIR" client_id=$LINUX "code_verifier=$VERIFIER"
check "the code again: invalid_grant" test "$(body_json 'd["error"]')" = invalid_grant
FROM=
app /api/eap-config/ -H "Authorization: Bearer $A1"
check "...and the access token it gave is revoked (401)" test "$(code)" = 401
check "...WWW-Authenticate: Bearer" grep -qi '^WWW-Authenticate: Bearer' "$T/h"
token grant_type=refresh_token "refresh_token=$R1" client_id=$LINUX
check "...the refresh token too" test "$(body_json 'd["error"]')" = invalid_grant
check "the replay is audited" sh -c "'$BYODCTL' audit --limit 1000 | grep -q oauth.code-replayed"

# ---- the eap-config -----------------------------------------------------
grant "$LINUX" "$REDIR"
token grant_type=authorization_code "code=$CODE" "redirect_uri=$REDIR" client_id=$LINUX "code_verifier=$VERIFIER"
A2=$(body_json 'd["access_token"]')
R2=$(body_json 'd["refresh_token"]')
app /api/eap-config/
check "the generator without a token: 401" test "$(code)" = 401
app /api/eap-config/ -H "Authorization: Bearer $R2"
check "a refresh token as Bearer: 401 invalid_token" test "$(code) $(body_json 'd["error"]')" = "401 invalid_token"
token grant_type=refresh_token "refresh_token=$A2" client_id=$LINUX
check "an access token as refresh token: invalid_grant" test "$(body_json 'd["error"]')" = invalid_grant
req GET /api/eap-config/
check "GET on the generator: 405" test "$(code)" = 405
app /api/eap-config/ -H "Authorization: Bearer $A2"
check "the access token gets the eap-config (200)" test "$(code)" = 200
check "...application/eap-config" test "$(hdr Content-Type)" = application/eap-config
check "...an EAP-TLS profile with its client certificate" sh -c "grep -q '<EAPIdentityProviderList' '$T/b' && grep -q '<ClientCertificate' '$T/b'"
cp "$T/b" "$T/linux.eap-config"
"$BYODCTL" device list --owner lea.martin >"$T/devs" 2>&1
check "the device is enrolled, named after the app" grep -q 'geteduroam (Linux)' "$T/devs"
req GET /devices
check "...and in Mes appareils" grep -q 'geteduroam (Linux)' "$T/b"
app /api/eap-config/ -H "Authorization: Bearer $A2"
check "the same token again: 409 already_enrolled" test "$(code) $(body_json 'd["error"]')" = "409 already_enrolled"

# ---- refresh rotation ---------------------------------------------------
token grant_type=refresh_token "refresh_token=$R2" client_id=app.geteduroam.win
check "a refresh token of another client: invalid_grant" test "$(body_json 'd["error"]')" = invalid_grant
token grant_type=refresh_token "refresh_token=$R2" client_id=$LINUX
check "refresh: new tokens" test "$(code)" = 200
R3=$(body_json 'd["refresh_token"]')
A3=$(body_json 'd["access_token"]')
check "...a new refresh token" test -n "$R3" -a "$R3" != "$R2"
token grant_type=refresh_token "refresh_token=$R2" client_id=$LINUX
check "the old refresh token again: invalid_grant" test "$(body_json 'd["error"]')" = invalid_grant
token grant_type=refresh_token "refresh_token=$R3" client_id=$LINUX
check "...and the grant is revoked: the new one too" test "$(body_json 'd["error"]')" = invalid_grant
app /api/eap-config/ -H "Authorization: Bearer $A3"
check "...and its access token" test "$(code)" = 401

# ---- a device revoked ---------------------------------------------------
grant "$LINUX" "http://[::1]:40000/"
token grant_type=authorization_code "code=$CODE" "redirect_uri=http://[::1]:40000/" client_id=$LINUX "code_verifier=$VERIFIER"
A4=$(body_json 'd["access_token"]')
R4=$(body_json 'd["refresh_token"]')
app /api/eap-config/ -H "Authorization: Bearer $A4"
check "an IPv6 loopback redirect works as well" test "$(code)" = 200
token grant_type=refresh_token "refresh_token=$R4" client_id=$LINUX
A5=$(body_json 'd["access_token"]')
R5=$(body_json 'd["refresh_token"]')
app /api/eap-config/ -H "Authorization: Bearer $A5"
check "a refreshed token before the renewal window: 409 renewal_not_open" test "$(code) $(body_json 'd["error"]')" = "409 renewal_not_open"
check "...saying from when, in French" grep -q 'Renouvellement possible à partir du [0-9][0-9]/[0-9][0-9]/20[0-9][0-9]' "$T/b"
check "...and as a time" test "$(body_json 'd["renewal_opens"] > 0')" = True
app /api/eap-config/ -H "Authorization: Bearer $A5"
check "...that token is spent: 401 (the app refreshes for its next try)" test "$(code) $(body_json 'd["error"]')" = "401 invalid_token"
id=$("$BYODCTL" device list --owner lea.martin --json 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
rows = d if isinstance(d, list) else d.get("devices", [])
live = [r for r in rows if r.get("name") == "geteduroam (Linux)" and r.get("state") == "active"]
print(sorted(live, key=lambda r: r.get("created", 0))[-1]["id"])')
check "(the device's id)" test -n "$id"
expect_ok "byodctl revokes it" "$BYODCTL" device revoke "$id"
token grant_type=refresh_token "refresh_token=$R5" client_id=$LINUX
check "a refresh token of a revoked device: invalid_grant" test "$(body_json 'd["error"]')" = invalid_grant
app /api/eap-config/ -H "Authorization: Bearer $A5"
check "...its access token: 401" test "$(code)" = 401

# ---- an expired code (oauth.code-ttl 20 s) -------------------------------
grant "$LINUX" "$REDIR"
sleep 21
token grant_type=authorization_code "code=$CODE" "redirect_uri=$REDIR" client_id=$LINUX "code_verifier=$VERIFIER"
check "a code past oauth.code-ttl: invalid_grant" test "$(body_json 'd["error"]')" = invalid_grant
check "...saying it expired" grep -q expired "$T/b"

# ---- the mobile app, and the device limit (2 for a pupil) ---------------
authorize app.eduroam.geteduroam "app.eduroam.geteduroam:/" "$C" S256 eap-metadata s
req GET /oauth/consent
check "the mobile app's consent page: form-action its scheme only" sh -c "grep -i '^Content-Security-Policy:' '$T/h' | grep -qF \"form-action 'self' app.eduroam.geteduroam:;\" && ! grep -i '^Content-Security-Policy:' '$T/h' | grep -q 127.0.0.1"
req GET /devices
check "other pages: form-action 'self' alone" sh -c "[ \"\$(grep -ci '^Content-Security-Policy:' '$T/h')\" = 1 ] && grep -i '^Content-Security-Policy:' '$T/h' | grep -qF \"form-action 'self';\""
check "the mobile app's redirect URI" grant app.eduroam.geteduroam "app.eduroam.geteduroam:/"
check "...the code at app.eduroam.geteduroam:/" sh -c "case '$(hdr Location)' in app.eduroam.geteduroam:/\\?code=*) exit 0;; esac; exit 1"
token grant_type=authorization_code "code=$CODE" "redirect_uri=app.eduroam.geteduroam:/" client_id=app.eduroam.geteduroam "code_verifier=$VERIFIER"
app /api/eap-config/ -H "Authorization: Bearer $(body_json 'd["access_token"]')"
check "a second device for lea (the first is live, the other revoked)" test "$(code)" = 200
grant app.geteduroam.win "http://127.0.0.1/"
token grant_type=authorization_code "code=$CODE" "redirect_uri=http://127.0.0.1/" client_id=app.geteduroam.win "code_verifier=$VERIFIER"
app /api/eap-config/ -H "Authorization: Bearer $(body_json 'd["access_token"]')" -H 'Accept-Language: fr'
check "a third: refused, 409 device_limit" test "$(code) $(body_json 'd["error"]')" = "409 device_limit"
check "...with the French sentence" grep -q 'nombre maximum' "$T/b"

# ---- the throttle of the token endpoint, per address --------------------
FROM=127.0.0.9
n429=0
for _ in $(seq 24); do
	token grant_type=authorization_code code=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA "redirect_uri=$REDIR" client_id=$LINUX "code_verifier=$VERIFIER"
	[ "$(code)" = 429 ] && n429=$((n429 + 1))
done
check "many failures from one address: throttled (429)" test "$n429" -gt 0
check "...with Retry-After" grep -qi '^Retry-After:' "$T/h"
FROM=127.0.0.10
token grant_type=refresh_token refresh_token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA client_id=$LINUX
check "...not another address" test "$(code)" = 400

finish
