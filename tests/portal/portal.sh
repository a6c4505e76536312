# SPDX-License-Identifier: GPL-2.0-or-later
# byod-portal on loopback ports, driven with curl as a phone's captive-portal
# check and a browser would: every probe is sent to the portal, the RFC 8908
# API answers, the CRL is served, pages carry the security headers and speak
# French first, bad requests get a clear 4xx, and what the log says of a
# request cannot be forged with the bytes of its path.
. "$BYOD_SRC/tests/cli/lib.sh"
: "${BYOD_PORTAL:?BYOD_PORTAL must name the byod-portal binary}"
init_school

read -r HTTP_PORT HTTPS_PORT <<<"$(python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))')"
conf="$BYOD_HOME/byod.conf"
sed -i "s/^  http-port: .*/  http-port: $HTTP_PORT/; s/^  https-port: .*/  https-port: $HTTPS_PORT/" "$conf"
sed -i "s|^  public-url: .*|  public-url: \"https://portal.byod.lan:$HTTPS_PORT\"|" "$conf"
sed -i "s|^  venue-url: .*|  venue-url: \"https://www.college-calanques.fr/wifi\"|" "$conf"
# the access lines are asked for: one is read below (a path cannot forge a line)
sed -i "s/^  access-log: no$/  access-log: yes/" "$conf"
grep -q '^  access-log: yes$' "$conf" || { echo "portal.access-log not set" >&2; exit 1; }

"$BYOD_PORTAL" --home "$BYOD_HOME" 2>"$T/portal.log" &
PORTAL_PID=$!
trap '[ -n "$PORTAL_PID" ] && kill "$PORTAL_PID" 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 100); do
	curl -s -o /dev/null "http://127.0.0.1:$HTTP_PORT/" && break
	kill -0 "$PORTAL_PID" 2>/dev/null || { cat "$T/portal.log" >&2; exit 1; }
	sleep 0.1
done

http() { # METHOD HOST PATH [curl options]: status in $T/code, headers in $T/h, body in $T/b
	local method=$1 host=$2 path=$3
	shift 3
	curl -s -X "$method" -H "Host: $host" -D "$T/h" -o "$T/b" -w '%{http_code}' "$@" \
		"http://127.0.0.1:$HTTP_PORT$path" >"$T/code"
}
hdr() { grep -i "^$1:" "$T/h" | head -1 | cut -d' ' -f2- | tr -d '\r'; }

# the portal's certificate is the school CA's, which a new phone does not
# trust: devices are sent to plain HTTP (tests/portal/https.sh: a trusted one)
portal="http://portal.byod.lan:$HTTP_PORT/"
check "the portal warns that phones will not trust its certificate" \
	grep -q "warning: phones will not trust the portal's certificate" "$T/portal.log"
for probe in captive.apple.com:/hotspot-detect.html captive.apple.com:/library/test/success.html \
	connectivitycheck.gstatic.com:/generate_204 clients3.google.com:/generate_204 \
	www.msftconnecttest.com:/connecttest.txt www.msftncsi.com:/ncsi.txt \
	detectportal.firefox.com:/success.txt www.example.com:/some/page 127.0.0.1:/generate_204; do
	http GET "${probe%%:*}" "${probe#*:}"
	check "probe $probe is redirected to the portal" test "$(cat "$T/code")" = 302
	check "probe $probe: Location is the portal" test "$(hdr Location)" = "$portal"
	check "probe $probe: never the success answer" sh -c "! grep -qi 'success' '$T/b'"
	check "probe $probe: not cached" test "$(hdr Cache-Control)" = no-store
done
# the few words of the redirect, negotiated as the pages are: French first
http GET captive.apple.com /hotspot-detect.html
check "the probe's redirect says why, in French by default" \
	grep -qx 'Ce réseau demande de vous connecter d’abord.' "$T/b"
http GET captive.apple.com /hotspot-detect.html -H 'Accept-Language: en-GB,en;q=0.9'
check "...in English to a phone that asks for English" \
	grep -qx 'This network needs you to log in first.' "$T/b"
http GET connectivitycheck.gstatic.com /generate_204 -H 'Accept-Language: de-DE, fr;q=0.5, en;q=0.4'
check "...and in French to one that prefers French to English" \
	grep -qx 'Ce réseau demande de vous connecter d’abord.' "$T/b"

http GET 127.0.0.1 /api/captive
check "RFC 8908 API answers" test "$(cat "$T/code")" = 200
check "RFC 8908 media type" test "$(hdr Content-Type)" = application/captive+json
check "RFC 8908 captive, user-portal-url, venue-info-url" test \
	"$(json '"%s %s %s" % (d["captive"], d["user-portal-url"], d["venue-info-url"])' <"$T/b")" = \
	"True $portal https://www.college-calanques.fr/wifi"

http GET portal.byod.lan /crl.der
check "the CRL (DER) is served" test "$(cat "$T/code")" = 200
check "the CRL is the CA's" openssl crl -inform DER -in "$T/b" -CAfile "$BYOD_HOME/pki/ca.pem" -noout
check "the CRL's media type" test "$(hdr Content-Type)" = application/pkix-crl
http GET portal.byod.lan /crl.pem
check "the CRL (PEM) is served" grep -q "BEGIN X509 CRL" "$T/b"

http GET portal.byod.lan / -H "Accept-Language: fr-FR,fr;q=0.9,en;q=0.8"
check "the start page" test "$(cat "$T/code")" = 200
check "...is the login form" grep -q 'action="/login"' "$T/b"
check "in French" grep -q '<html lang="fr"' "$T/b"
check "the school's name, escaped" grep -q "Collège des Calanques" "$T/b"
check "a strict CSP" sh -c "grep -qi \"^Content-Security-Policy: default-src 'none'.*frame-ancestors 'none'\" '$T/h'"
check "no referrer" test "$(hdr Referrer-Policy)" = no-referrer
check "nosniff" test "$(hdr X-Content-Type-Options)" = nosniff
check "a page under 50 KB" test "$(stat -c %s "$T/b")" -lt 51200
check "a phone viewport" grep -q 'name="viewport"' "$T/b"
check "a visible language switch to English" grep -q 'href="/?lang=en"' "$T/b"
http GET portal.byod.lan / -H "Accept-Language: en-GB,en;q=0.9"
check "in English when the phone asks" grep -q '<html lang="en"' "$T/b"
http GET portal.byod.lan '/?lang=en' -H "Accept-Language: fr"
check "the switch wins over Accept-Language" grep -q '<html lang="en"' "$T/b"
http GET portal.byod.lan /static/portal.css
check "the style sheet" test "$(hdr Content-Type)" = "text/css; charset=utf-8"

http GET portal.byod.lan /nowhere
check "an unknown page is a 404 page" test "$(cat "$T/code")" = 404
check "...in the language of the request" grep -q '<html lang="fr"' "$T/b"
http GET portal.byod.lan '/../../etc/passwd' --path-as-is
check "path traversal is refused (400)" test "$(cat "$T/code")" = 400
check "...and gives nothing away" sh -c "! grep -q 'root:' '$T/b'"
http DELETE portal.byod.lan /api/captive
check "a wrong method is a 405" test "$(cat "$T/code")" = 405
# each route takes its methods, and only them
form=(-H "Content-Type: application/x-www-form-urlencoded" --data-binary "a=1")
http POST portal.byod.lan /ca.pem "${form[@]}"
check "a file is GET only (405)" test "$(cat "$T/code")" = 405
http HEAD portal.byod.lan /static/portal.css -I
check "HEAD counts as GET" test "$(cat "$T/code")" = 200
http GET portal.byod.lan /ca.crt
check "the CA as .crt is a CA certificate" test "$(hdr Content-Type)" = application/x-x509-ca-cert
check "...the school's" openssl x509 -in "$T/b" -noout
http POST portal.byod.lan / "${form[@]}"
check "the start page is GET only (405)" test "$(cat "$T/code")" = 405
http GET portal.byod.lan /logout
check "logout is POST only (405)" test "$(cat "$T/code")" = 405
http GET portal.byod.lan /login
check "GET /login goes back to the start page" test "$(cat "$T/code") $(hdr Location)" = "303 /"
http POST portal.byod.lan /nowhere -H "Content-Type: text/plain" --data-binary "a=1"
check "a body that is not a form is a 415, wherever it goes" test "$(cat "$T/code")" = 415
http POST portal.byod.lan /nowhere "${form[@]}"
check "a form to an unknown page is a 404" test "$(cat "$T/code")" = 404
http PUT portal.byod.lan /nowhere
check "an unknown method is a 405, wherever it goes" test "$(cat "$T/code")" = 405
head -c 40000 /dev/zero | tr '\0' a >"$T/big"
http POST portal.byod.lan / --data-binary "@$T/big"
check "an oversized body is a 413" test "$(cat "$T/code")" = 413

# a path cannot forge a log line nor send escape sequences to a terminal
http GET portal.byod.lan '/%0aFAKE%1b[31m' -g --path-as-is
check "a path with a newline and ESC is answered (4xx)" grep -q '^4' "$T/code"
# (access lines are written a batch at a time, within a second)
one_escaped_line() { test "$(grep -c 'byod-portal: .*/\\x0aFAKE\\x1b\[31m' "$T/portal.log")" = 1; }
check "...and logged on one line, escaped" wait_for 20 one_escaped_line
check "...no forged line" sh -c "! grep -q '^FAKE' '$T/portal.log'"
check "...no ESC byte in the log" sh -c "! grep -q \"\$(printf '\\033')\" '$T/portal.log'"

# HTTPS with the portal's certificate from the school CA
code=$(curl -s -o "$T/b" -w '%{http_code}' --cacert "$BYOD_HOME/pki/ca.pem" \
	--resolve "portal.byod.lan:$HTTPS_PORT:127.0.0.1" "https://portal.byod.lan:$HTTPS_PORT/api/captive")
check "HTTPS with the portal certificate verifies" test "$code" = 200

kill -TERM "$PORTAL_PID"
wait "$PORTAL_PID"
status=$?
PORTAL_PID=
check "SIGTERM stops the portal cleanly (exit $status)" test "$status" = 0
check "the log says so" grep -q "stopping (SIGTERM)" "$T/portal.log"
check "libmicrohttpd's messages go through the portal's log" \
	sh -c "! grep -q 'not the first option' '$T/portal.log'"
finish
