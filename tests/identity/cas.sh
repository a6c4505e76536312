# SPDX-License-Identifier: GPL-2.0-or-later
# Sign-in through a CAS identity source against real servers started here:
# slapd (the school directory, as ldap.sh starts it) and LemonLDAP::NG as the
# ENT's CAS 3.0 server on it (llng-fastcgi-server behind an unprivileged
# nginx with the test CA's certificate), on 127.0.0.1 and free ports; beside
# them a TLS server with another CA's certificate, and an HTTPS sink at the
# gateway's callback that records LemonLDAP::NG's back-channel logout. The
# logins are made with curl as a browser would (the form, its hidden
# fields, the redirect to the service with its ticket); the tickets reach
# test_identity_cas ($BYOD_TEST_IDENTITY_CAS) in BYOD_CAS_TICKET_*, which
# validates them through byod.conf's sources and checks the registry and
# the audit. Everything started here is stopped by its PID.
set -uo pipefail

: "${BYOD_TEST_IDENTITY_CAS:?the test_identity_cas binary}"
H=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
for c in slapd llng-fastcgi-server nginx curl openssl; do
	command -v "$c" >/dev/null 2>&1 || [ -x "/usr/sbin/$c" ] ||
		{ echo "cas.sh: $c is missing (scripts/install-deps)" >&2; exit 1; }
done
. "$H/lib.sh"
# as root, slapd runs as openldap and LemonLDAP::NG and nginx as www-data
# (LemonLDAP::NG refuses root)
ROOT=
[ "$(id -u)" = 0 ] && ROOT=1
idt_dir cas openldap www-data

die() {
	echo "cas.sh: $*" >&2
	for f in "$T/slapd.log" "$T/llng/run/llng.log" "$T/nginx/error.log"; do
		[ -s "$f" ] && { echo "--- $f" >&2; tail -20 "$f" >&2; }
	done
	exit 1
}

# --- the test CA, the servers' certificate (localhost, 127.0.0.1), another CA's ---
idt_pki "BYOD CAS test CA"

read -r LDAP_PORT CAS_PORT SVC_PORT ROGUE_PORT SILENT_PORT <<<"$(free_ports 5)"

# --- slapd with the school directory (as ldap.sh) ---
idt_slapd "ldap://127.0.0.1:$LDAP_PORT/"
(umask 077; printf 'SvcPass-1\n' >"$T/svc.pw")

# --- LemonLDAP::NG (CAS server) behind nginx ---
PORTAL="https://localhost:$CAS_PORT/"
SERVICE="https://localhost:$SVC_PORT/cas/callback"
D=$T/llng
N=$T/nginx
mkdir -p "$D/run" "$D/cache" "$D/sessions/lock" "$D/psessions/lock" "$N/tmp"
$PY "$H/llng-conf.py" "$D" "$PORTAL" "$SERVICE" "$LDAP_PORT" "$P/ca.crt" "$T/svc.pw" ||
	die "LemonLDAP::NG's configuration could not be written"
. "$H/llng-lib.sh"
idt_llng_start "$D" "$N" "$CAS_PORT"

# --- the gateway's callback: an HTTPS sink recording the logout POSTs ---
$PY - "$SVC_PORT" "$P/server.crt" "$P/server.key" "$T/posts" <<'PYEOF' >"$T/sink.log" 2>&1 &
import http.server, ssl, sys
port, crt, key, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(min(int(self.headers.get("Content-Length", 0)), 1 << 20))
        with open(out, "ab") as f:
            f.write(body + b"\n")
        self.send_response(200); self.end_headers(); self.wfile.write(b"ok")
    def do_GET(self):
        self.send_response(200); self.end_headers()
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", port), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(crt, key)
s.socket = ctx.wrap_socket(s.socket, server_side=True)
s.serve_forever()
PYEOF
PIDS+=($!)

# --- a TLS server with another CA's certificate ---
openssl s_server -quiet -accept "127.0.0.1:$ROGUE_PORT" -cert "$P/rogue.crt" -key "$P/rogue.key" \
	-www </dev/null >"$T/rogue.log" 2>&1 &
PIDS+=($!)

# --- a port that accepts and never answers ---
$PY -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)   # accepted, never answered
' "$SILENT_PORT" >"$T/silent.log" 2>&1 &
PIDS+=($!)

C=(curl -sS --max-time 20 --cacert "$P/ca.crt")
for i in $(seq 300); do
	"${C[@]}" -f -o /dev/null "${PORTAL}cas/login" 2>/dev/null && break
	for p in "${PIDS[@]:1}"; do kill -0 "$p" 2>/dev/null || die "a server stopped"; done
	[ "$i" = 300 ] && die "LemonLDAP::NG did not answer in 30 s"
	sleep 0.1
done

enc() { $PY -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
LOGIN="${PORTAL}cas/login?service=$(enc "$SERVICE")"

# A sign-in as a browser would: the login form, its hidden fields (url, the
# anti-CSRF token...) posted back with the login and the password (read from a
# file, never argv), and the ticket taken from the redirect to the service.
# The cookie jar stays in $T/jar.USER for the logout.
ticket() {
	local user=$1 jar=$T/jar.$1 form args loc
	(umask 077; printf '%s' "Secret-$user" >"$T/pw.$user")
	form=$("${C[@]}" -b "$jar" -c "$jar" "$LOGIN") || return 1
	args=(--data-urlencode "user=$user" --data-urlencode "password@$T/pw.$user")
	while IFS= read -r f; do
		args+=(--data-urlencode "$f")
	done < <(printf '%s' "$form" | $PY -c '
import sys
from html.parser import HTMLParser
class P(HTMLParser):
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("type") == "hidden" and a.get("name"):
            print(a["name"] + "=" + (a.get("value") or ""))
P().feed(sys.stdin.read())')
	loc=$("${C[@]}" -b "$jar" -c "$jar" -o /dev/null -w '%{redirect_url}' "${args[@]}" "$LOGIN") ||
		return 1
	case $loc in "$SERVICE?ticket=ST-"*) printf '%s\n' "${loc#*ticket=}" ;; *) return 1 ;; esac
}

for u in alice.martin claire.petit noua.i odd.role; do
	t=$(ticket "$u") || die "no ticket for $u"
	v=$(echo "$u" | tr 'a-z.' 'A-Z_')
	export "BYOD_CAS_TICKET_$v=$t"
done
# two more for alice: one validated for another service, one for the logout
BYOD_CAS_TICKET_OTHER=$(ticket alice.martin) || die "no second ticket"
BYOD_CAS_TICKET_SLO=$(ticket bob.durand) || die "no ticket for bob"
export BYOD_CAS_TICKET_OTHER BYOD_CAS_TICKET_SLO
# the logout: bob's ticket validated (as the gateway does), then his session
# ended at the CAS server, which POSTs a logoutRequest to the service
"${C[@]}" -o "$T/slo-validate.xml" \
	"${PORTAL}cas/p3/serviceValidate?service=$(enc "$SERVICE")&ticket=$BYOD_CAS_TICKET_SLO" ||
	die "bob's ticket could not be validated"
grep -q '<cas:user>bob.durand' "$T/slo-validate.xml" || die "bob's ticket: $(cat "$T/slo-validate.xml")"
"${C[@]}" -b "$T/jar.bob.durand" -o /dev/null "${PORTAL}cas/logout" || die "logout"
for i in $(seq 100); do [ -s "$T/posts" ] && break; sleep 0.1; done
[ -s "$T/posts" ] || die "LemonLDAP::NG posted no logoutRequest to the service"
export BYOD_CAS_LOGOUT_POST=$T/posts
export BYOD_CAS_SERVER="${PORTAL}cas/" BYOD_CAS_SERVICE="$SERVICE"
export BYOD_CAS_OTHER_SERVICE="https://localhost:$SVC_PORT/other/callback"
export BYOD_CAS_ROGUE="https://localhost:$ROGUE_PORT/cas/"
export BYOD_CAS_SILENT="https://localhost:$SILENT_PORT/cas/"
export BYOD_CAS_CA="$P/ca.crt" BYOD_CAS_OTHER_CA="$P/rogue.crt"
# no environment may make a source trust more than its ca-file (here the
# test CA, which the wrong-ca source must not trust), nor go through a proxy
export CURL_CA_BUNDLE=$P/ca.crt SSL_CERT_FILE=$P/ca.crt https_proxy=http://127.0.0.1:9/
"$BYOD_TEST_IDENTITY_CAS"
rc=$?
for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null || { echo "cas.sh: a server died" >&2; rc=1; }; done
exit $rc
