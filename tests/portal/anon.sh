# SPDX-License-Identifier: GPL-2.0-or-later
# An anonymous visit costs the registry nothing: 100 visitors opening the
# login page (and the other pages anyone may open) across two portal
# processes on one registry add no row to web_sessions or web_forms. The
# login form's stateless token holds against what a pupil with curl would
# try: a changed character, no login cookie, another browser's cookie, a
# token past its expiry (made with the registry's key by Python, from the
# format token.h documents, so a fresh one made the same way must pass
# first); a token from one process is good at the other, and a normal login
# still makes the one session row.
. "$BYOD_SRC/tests/cli/lib.sh"
. "$BYOD_SRC/tests/portal/lib.sh"
: "${BYOD_PORTAL:?BYOD_PORTAL must name the byod-portal binary}"
init_school
printf '%s\n' 'Calanques-2026!' | "$BYODCTL" user add lea.martin --role student --school 0131234W \
	--password-stdin >/dev/null || { echo "user add failed" >&2; exit 1; }

read -r PORT_A PORT_B <<<"$(free_ports 2)"
conf="$BYOD_HOME/byod.conf"
two_nodes "$PORT_A" "$PORT_B"

stop_all() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap stop_all EXIT
start_portal "$BYOD_HOME" "$PORT_A"
start_portal "$HOME_B" "$PORT_B"

DB="$BYOD_HOME/registry.db"
rows() { sqlite3 "$DB" "SELECT (SELECT COUNT(*) FROM web_sessions) || ' ' || (SELECT COUNT(*) FROM web_forms)"; }
# req PORT JAR METHOD PATH [curl options]: status in $T/code, headers in
# $T/h, body in $T/b; JAR "" sends and keeps no cookie
req() {
	local port=$1 jar=$2 method=$3 path=$4
	shift 4
	curl -s -X "$method" ${jar:+-b "$jar" -c "$jar"} -H 'Host: portal.byod.lan' \
		-H 'Accept-Language: fr' -D "$T/h" -o "$T/b" -w '%{http_code}' "$@" \
		"http://127.0.0.1:$port$path" >"$T/code"
}
code() { cat "$T/code"; }
hdr() { grep -i "^$1:" "$T/h" | head -1 | cut -d' ' -f2- | tr -d '\r'; }
csrf() { sed -n 's/.*name="csrf" value="\([A-Za-z0-9_-]*\)".*/\1/p' "$T/b" | head -1; }
cookie() { awk -v n="$2" '$6 == n { print $7 }' "$1"; }
# login PORT JAR TOKEN PASSWORD [curl options]
login() {
	local port=$1 jar=$2 token=$3 password=$4
	shift 4
	req "$port" "$jar" POST /login --data-urlencode "csrf=$token" \
		--data-urlencode login=lea.martin --data-urlencode "password=$password" "$@"
}
# mint BINDING EXPIRES [KEY]: a form token made with the registry's key, as
# web/token.h documents it (version 1, expires, 16-byte nonce, HMAC-SHA256),
# with KEY or else the registry's
mint() {
	local key=${3:-}
	[ -n "$key" ] || key=$(sqlite3 "$DB" "SELECT secret FROM web_keys WHERE name = 'login-form'")
	python3 -c '
import base64, hashlib, hmac, os, struct, sys
key, binding, expires = sys.argv[1].encode(), sys.argv[2].encode(), int(sys.argv[3])
body = bytes([1]) + struct.pack(">Q", expires) + os.urandom(16)
mac = hmac.new(key, b"byod-form:" + body + binding, hashlib.sha256).digest()
print(base64.urlsafe_b64encode(body + mac).decode().rstrip("="))' "$key" "$1" "$2"
}

# ---- anonymous visits: no row ----------------------------------------------
check "no web session or form row to begin with" test "$(rows)" = "0 0"
: >"$T/codes"
for i in $(seq 100); do
	port=$PORT_A
	[ $((i % 2)) = 0 ] && port=$PORT_B
	req "$port" "" GET /
	{ echo "$(code)"; grep -ci '^Set-Cookie: byod_login=' "$T/h"; csrf | wc -c; } | tr '\n' ' ' >>"$T/codes"
	echo >>"$T/codes"
done
check "100 visitors got the login page, each with a login cookie and a form token" \
	test "$(sort -u "$T/codes")" = "200 1 $((76 + 1)) "
check "...none a session cookie" sh -c "! grep -qi '^Set-Cookie: byod_session=' '$T/h'"
check "...and the registry has no web session or form row after them" test "$(rows)" = "0 0"
# the other pages anyone may open
J="$T/visitor.jar"
for path in / '/?lang=en' /login /devices /enrol /api/captive /no-such-page /code/nothing-here \
	/static/portal.css; do
	req "$PORT_A" "$J" GET "$path"
	echo "$path $(code)" >>"$T/others"
done
req "$PORT_A" "" GET /generate_204 -H 'Host: connectivitycheck.gstatic.com'
echo "probe $(code)" >>"$T/others"
check "the other anonymous pages answered (login 200, redirects, 404, 410)" test \
	"$(tr '\n' ' ' <"$T/others")" = "/ 200 /?lang=en 200 /login 303 /devices 303 /enrol 303 /api/captive 200 /no-such-page 404 /code/nothing-here 410 /static/portal.css 200 probe 302 "
check "...and added no row either" test "$(rows)" = "0 0"

# ---- the form token's refusals -----------------------------------------------
J="$T/lea.jar"
req "$PORT_A" "$J" GET /
token=$(csrf)
nonce=$(cookie "$J" byod_login)
check "the login cookie is a 256-bit token" test "${#nonce}" = 43
# one character changed (the first: the version byte's)
forged="B${token:1}"
[ "${token:0:1}" = B ] && forged="C${token:1}"
login "$PORT_A" "$J" "$forged" 'Calanques-2026!'
check "a forged form token is refused (403)" test "$(code)" = 403
check "...logged as forged" grep -q 'form refused: form token unknown, forged' "$T/portal.log"
forged="${token:0:40}$([ "${token:40:1}" = A ] && echo B || echo A)${token:41}"
login "$PORT_A" "$J" "$forged" 'Calanques-2026!'
check "a token with a changed MAC is refused (403)" test "$(code)" = 403
login "$PORT_A" "" "$token" 'Calanques-2026!'
check "a token without its login cookie is refused (403)" test "$(code)" = 403
check "...logged as such" grep -q 'form refused: no login cookie' "$T/portal.log"
req "$PORT_A" "$T/other.jar" GET /
login "$PORT_A" "$T/other.jar" "$token" 'Calanques-2026!'
check "a token with another browser's login cookie is refused (403)" test "$(code)" = 403
login "$PORT_A" "" "$token" 'Calanques-2026!' -b "byod_login=$nonce-"
check "...and with a cookie one character longer" test "$(code)" = 403
login "$PORT_A" "$J" "" 'Calanques-2026!'
check "a login without a form token is refused (403)" test "$(code)" = 403
# made outside the portal with its key: good before its expiry, not after
login "$PORT_A" "$J" "$(mint "$nonce" $(($(date +%s) + 600)))" wrong
check "a token made from the documented format is accepted (401: the password checked)" \
	test "$(code)" = 401
login "$PORT_A" "$J" "$(mint "$nonce" $(($(date +%s) - 1)))" 'Calanques-2026!'
check "an expired form token is refused (403)" test "$(code)" = 403
check "...logged as expired" grep -q 'form refused: form token expired' "$T/portal.log"
login "$PORT_A" "$J" "$(mint "$nonce" $(($(date +%s) + 600)) "$(printf '%064d' 7)")" wrong
check "...and one made with another key is refused (403)" test "$(code)" = 403
check "refusals and a failed login added no web session or form row" test "$(rows)" = "0 0"

# ---- a normal login ------------------------------------------------------------
req "$PORT_A" "$J" GET /
token=$(csrf)
login "$PORT_B" "$J" "$token" 'Calanques-2026!'
check "a token of one portal process logs in at the other (303 to /devices)" \
	test "$(code) $(hdr Location)" = "303 /devices"
check "...with a session cookie" test -n "$(cookie "$J" byod_session)"
check "...and the login cookie cleared" test -z "$(cookie "$J" byod_login)"
check "...one session row, made by the login" test "$(rows)" = "1 0"
req "$PORT_A" "$J" GET /devices
check "Mes appareils with that session" sh -c "test '$(code)' = 200 && grep -q '<h1>Mes appareils</h1>' '$T/b'"
login "$PORT_A" "$J" "$token" 'Calanques-2026!'
check "the login's token is refused once logged in (403)" test "$(code)" = 403
finish
