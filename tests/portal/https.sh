# SPDX-License-Identifier: GPL-2.0-or-later
# The portal's certificate from files an administrator provides, as certbot
# writes them (live/ symlinks into archive/, fullchain.pem with the
# intermediate after the certificate), chained to a test root that stands
# for the public roots of a phone in a private trust store. With it, captive
# probes and plain HTTP go to HTTPS, pages carry HSTS, the session cookie
# gets Secure over HTTPS (libmicrohttpd's thread pool once hid that a
# connection was TLS) and `byodctl portal check` passes; each thing that
# keeps a phone from trusting a certificate is named by the check. A renewed
# certificate is served without a restart (its fingerprint through
# `openssl s_client`), a broken renewal keeps the one in use, an untrusted
# one sends devices back to HTTP; with the school-CA certificate byodctl
# init made, probes go to HTTP and the portal says why at start.
. "$BYOD_SRC/tests/cli/lib.sh"
: "${BYOD_PORTAL:?BYOD_PORTAL must name the byod-portal binary}"
init_school
printf '%s\n' 'Calanques-2026!' | "$BYODCTL" user add lea.martin --role student \
	--school 0131234W --name "Léa Martin" --password-stdin >/dev/null ||
	{ echo "user add failed" >&2; exit 1; }

read -r HTTP_PORT HTTPS_PORT <<<"$(python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))')"
HOST=wifi.college-calanques.fr
conf="$BYOD_HOME/byod.conf"
LE="$T/letsencrypt"

# ---- a public PKI in miniature: root, intermediate, server certificates --
mkdir -p "$T/pki" "$T/roots" "$LE/live" "$LE/archive"
ext() { printf '%s\n' "$@" >"$T/pki/ext"; }
ossl() { openssl "$@" >/dev/null 2>&1 || { echo "openssl $1 failed" >&2; exit 1; }; }
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
	-keyout "$T/pki/root.key" -out "$T/pki/root.pem" -subj "/O=Test Trust/CN=Test Root R1" \
	-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
ossl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/pki/int.key" \
	-out "$T/pki/int.csr" -subj "/O=Test Trust/CN=Test Issuing CA E1"
ext "basicConstraints=critical,CA:TRUE,pathlen:0" "keyUsage=critical,keyCertSign,cRLSign" \
	"subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid"
ossl x509 -req -in "$T/pki/int.csr" -CA "$T/pki/root.pem" -CAkey "$T/pki/root.key" \
	-CAcreateserial -days 1825 -out "$T/pki/int.pem" -extfile "$T/pki/ext"
# leaf NAME KEYTYPE DAYS SAN...: $T/pki/NAME.pem and NAME.key, issued by the intermediate
leaf() {
	local name=$1 keytype=$2 days=$3 san
	shift 3
	san=$(printf 'DNS:%s,' "$@")
	if [ "$keytype" = rsa ]; then
		ossl req -newkey rsa:2048 -nodes -keyout "$T/pki/$name.key" -out "$T/pki/$name.csr" \
			-subj "/CN=$1"
	else
		ossl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout "$T/pki/$name.key" -out "$T/pki/$name.csr" -subj "/CN=$1"
	fi
	ext "subjectAltName=${san%,}" "extendedKeyUsage=serverAuth" "basicConstraints=CA:FALSE" \
		"keyUsage=critical,digitalSignature,keyEncipherment"
	ossl x509 -req -in "$T/pki/$name.csr" -CA "$T/pki/int.pem" -CAkey "$T/pki/int.key" \
		-CAcreateserial -days "$days" -out "$T/pki/$name.pem" -extfile "$T/pki/ext"
}
leaf one ec 90 "$HOST"
leaf two rsa 90 '*.college-calanques.fr'
leaf soon ec 10 "$HOST"
leaf other ec 90 www.example.org
# the phone's roots: only the test root, hashed as /etc/ssl/certs is
cp "$T/pki/root.pem" "$T/roots/test-root.pem"
ossl rehash "$T/roots"
# certbot's layout: archive/NAMEn.pem, live/NAME.pem symlinks to the newest
certbot_deploy() { # N LEAF
	cat "$T/pki/$2.pem" "$T/pki/int.pem" >"$LE/archive/fullchain$1.pem"
	cp "$T/pki/$2.pem" "$LE/archive/cert$1.pem"
	cp "$T/pki/int.pem" "$LE/archive/chain$1.pem"
	install -m 600 "$T/pki/$2.key" "$LE/archive/privkey$1.pem"
	for f in fullchain cert chain privkey; do
		ln -sfn "../archive/$f$1.pem" "$LE/live/$f.pem"
	done
}
certbot_deploy 1 one
fp() { openssl x509 -noout -fingerprint -sha256 -in "$1" | cut -d= -f2; }

setconf() { # KEY VALUE (in the portal: section)
	sed -i "s|^  $1: .*|  $1: \"$2\"|" "$conf"
	grep -q "^  $1: \"$2\"$" "$conf" || { echo "cannot set portal.$1" >&2; exit 1; }
}
sed -i "s/^  http-port: .*/  http-port: $HTTP_PORT/; s/^  https-port: .*/  https-port: $HTTPS_PORT/" "$conf"
setconf public-url "https://$HOST:$HTTPS_PORT"
setconf tls-cert "$LE/live/fullchain.pem"
setconf tls-key "$LE/live/privkey.pem"
setconf trust-store "$T/roots"

# ---- byodctl portal check: every problem named --------------------------
expect_ok "portal check: certbot's fullchain.pem, chained to a root of the store" \
	"$BYODCTL" portal check
check "...says it is trusted for $HOST" grep -q "trusted for $HOST: chains to CN=Test Root R1" "$T/out"
check "...and that devices are sent to HTTPS" grep -qx "devices are sent to https://$HOST:$HTTPS_PORT/" "$T/out"
# portal_check_fails WHAT PATTERN: exit 1, PATTERN on stderr
portal_check_fails() {
	if "$BYODCTL" portal check >"$T/out" 2>"$T/err"; then
		ko "$1: portal check passed"
	elif ! grep -Eq -- "$2" "$T/err"; then
		ko "$1: stderr does not match '$2': $(cat "$T/err")"
	else
		ok
	fi
}
setconf tls-cert "$LE/live/cert.pem"
portal_check_fails "cert.pem without its chain" "does not chain to a root of the trust store $T/roots \(unable to get local issuer certificate"
check "...with the HTTP warning" grep -q "warning: devices are sent to http://$HOST:$HTTP_PORT/ (plain HTTP)" "$T/err"
setconf tls-chain "$LE/live/chain.pem"
expect_ok "cert.pem with chain.pem (portal.tls-chain)" "$BYODCTL" portal check
setconf trust-store /etc/ssl/certs
portal_check_fails "a root that is not in the system store" "does not chain to a root of the trust store /etc/ssl/certs"
setconf trust-store "$T/no-such-store"
portal_check_fails "a trust store that is not there" "trust store $T/no-such-store cannot be read"
setconf trust-store "$T/roots"
setconf tls-chain ""
setconf tls-cert "$LE/live/fullchain.pem"
setconf public-url "https://portal.college-calanques.fr:$HTTPS_PORT"
portal_check_fails "another host name" "does not name portal.college-calanques.fr, the portal's host name \(its subjectAltName names: $HOST\)"
setconf public-url "https://$HOST:$HTTPS_PORT"
cat "$T/pki/soon.pem" "$T/pki/int.pem" >"$T/pki/soon-full.pem"
setconf tls-cert "$T/pki/soon-full.pem"
setconf tls-key "$T/pki/soon.key"
portal_check_fails "a certificate ending in 10 days" "expires on [0-9-]+T[0-9:]+Z, in (9|10) days: renew it"
cp "$T/err" "$T/soon.err"
check "...still trusted meanwhile (devices stay on HTTPS)" grep -q "still sent to https://$HOST:$HTTPS_PORT/" "$T/err"
check "...and no other problem named" test "$(grep -vc warning "$T/err")" = 1
setconf tls-cert "$T/pki/other.pem"
setconf tls-key "$T/pki/other.key"
portal_check_fails "a certificate for another name, wherever it comes from" "does not name $HOST"
setconf tls-cert "$LE/live/fullchain.pem"
setconf tls-key "$T/pki/soon.key"
portal_check_fails "a key that is not the certificate's" "the key does not belong to the certificate"
setconf tls-key "$LE/live/privkey.pem"
expect_ok "back to the certificate and key that belong together" "$BYODCTL" portal check

# ---- the portal with it --------------------------------------------------
PORTAL_PID=
start_portal() {
	"$BYOD_PORTAL" --home "$BYOD_HOME" 2>>"$T/portal.log" &
	PORTAL_PID=$!
	for _ in $(seq 100); do
		curl -s -o /dev/null "http://127.0.0.1:$HTTP_PORT/crl.pem" && return 0
		kill -0 "$PORTAL_PID" 2>/dev/null || { cat "$T/portal.log" >&2; exit 1; }
		sleep 0.1
	done
	echo "the portal did not start" >&2
	exit 1
}
stop_portal() {
	local status
	kill -TERM "$PORTAL_PID"
	wait "$PORTAL_PID"
	status=$?
	PORTAL_PID=
	check "the portal stops cleanly (exit $status)" test "$status" = 0
	check "...with nothing from the sanitizers in its log" \
		sh -c "! grep -Eq 'Sanitizer|runtime error' '$T/portal.log'"
}
trap '[ -n "$PORTAL_PID" ] && kill "$PORTAL_PID" 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
start_portal
pid=$PORTAL_PID

# http METHOD HOST PATH [curl options]: plain HTTP; status in $T/code, headers in $T/h, body in $T/b
http() {
	local method=$1 host=$2 path=$3
	shift 3
	curl -s -X "$method" -H "Host: $host" -D "$T/h" -o "$T/b" -w '%{http_code}' "$@" \
		"http://127.0.0.1:$HTTP_PORT$path" >"$T/code"
}
# https METHOD PATH [curl options]: as a phone that trusts the test root would
https() {
	local method=$1 path=$2
	shift 2
	curl -s -X "$method" --cacert "$T/pki/root.pem" --resolve "$HOST:$HTTPS_PORT:127.0.0.1" \
		-D "$T/h" -o "$T/b" -w '%{http_code}' "$@" "https://$HOST:$HTTPS_PORT$path" >"$T/code"
}
code() { cat "$T/code"; }
hdr() { grep -i "^$1:" "$T/h" | head -1 | cut -d' ' -f2- | tr -d '\r'; }
served_fp() { # the fingerprint of the certificate the portal sends for $HOST
	openssl s_client -connect "127.0.0.1:$HTTPS_PORT" -servername "$HOST" </dev/null 2>/dev/null |
		openssl x509 -noout -fingerprint -sha256 | cut -d= -f2
}

check "the portal says the certificate is trusted" grep -q "the certificate is trusted for $HOST (chains to CN=Test Root R1" "$T/portal.log"
check "...and no warning" sh -c "! grep -q warning '$T/portal.log'"
check "the log names the certificate by its fingerprint" grep -q "loaded the certificate $LE/live/fullchain.pem: CN=$HOST, SHA-256 fingerprint $(fp "$T/pki/one.pem")" "$T/portal.log"
portal="https://$HOST:$HTTPS_PORT/"
for probe in captive.apple.com:/hotspot-detect.html connectivitycheck.gstatic.com:/generate_204 \
	www.msftconnecttest.com:/connecttest.txt www.example.com:/some/page "$HOST:/generate_204"; do
	http GET "${probe%%:*}" "${probe#*:}"
	check "probe $probe goes to the portal over HTTPS ($(code) $(hdr Location))" \
		test "$(code) $(hdr Location)" = "302 $portal"
done
http GET "$HOST" '/?lang=en'
check "a page over plain HTTP moves to HTTPS, query kept ($(code) $(hdr Location))" \
	test "$(code) $(hdr Location)" = "301 ${portal}?lang=en"
check "...with nothing of the page in clear" sh -c "! grep -q '<html' '$T/b'"
check "...and no cookie set over HTTP" sh -c "! grep -qi '^Set-Cookie' '$T/h'"
http GET "$HOST" /download/0123456789abcdef
check "a download link over plain HTTP moves to HTTPS" \
	test "$(code) $(hdr Location)" = "301 ${portal}download/0123456789abcdef"
check "...the link's token kept out of the log" sh -c "! grep -q 0123456789abcdef '$T/portal.log'"
http POST "$HOST" /login -H "Content-Type: application/x-www-form-urlencoded" --data-binary "a=1"
check "a form sent over plain HTTP: 308 to HTTPS (method kept)" \
	test "$(code) $(hdr Location)" = "308 ${portal}login"
http GET 127.0.0.1 /api/captive
check "the RFC 8908 API over plain HTTP moves to HTTPS too" test "$(code) $(hdr Location)" = "301 ${portal}api/captive"
printf 'GET /devices HTTP/1.1\r\nHost: %s\r\n' "$HOST" |
	timeout 5 python3 -c 'import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(sys.stdin.buffer.read()); s.close()' "$HTTP_PORT"
http GET "$HOST" /crl.der
check "the CRL stays on plain HTTP (certificates name it with http://)" test "$(code)" = 200

https GET /api/captive
check "the RFC 8908 API over HTTPS, verified against the test root" test "$(code)" = 200
check "...names the HTTPS portal" test "$(json 'd["user-portal-url"]' <"$T/b")" = "$portal"
check "...with HSTS" test "$(hdr Strict-Transport-Security)" = "max-age=31536000"
JAR="$T/jar"
https GET / -b "$JAR" -c "$JAR"
check "the login page over HTTPS" test "$(code)" = 200
check "...with HSTS" test "$(hdr Strict-Transport-Security)" = "max-age=31536000"
check "...its login cookie Secure, HttpOnly, SameSite=Strict" sh -c \
	"grep -i '^Set-Cookie: byod_login=' '$T/h' | grep -q 'HttpOnly; SameSite=Strict; Secure'"
token=$(sed -n 's/.*name="csrf" value="\([A-Za-z0-9_-]*\)".*/\1/p' "$T/b" | head -1)
https POST /login -b "$JAR" -c "$JAR" --data-urlencode "csrf=$token" \
	--data-urlencode login=lea.martin --data-urlencode 'password=Calanques-2026!'
check "the login over HTTPS (303 to /devices)" test "$(code) $(hdr Location)" = "303 /devices"
check "...the new session's cookie is Secure" sh -c \
	"grep -i '^Set-Cookie: byod_session=' '$T/h' | grep -q '; Secure'"
check "...and curl keeps it as secure-only" sh -c "awk '\$6 == \"byod_session\" && \$4 == \"TRUE\"' '$JAR' | grep -q ."
https GET /devices -b "$JAR" -c "$JAR"
check "Mes appareils over HTTPS with that cookie" test "$(code)" = 200
check "...logged in" grep -q 'Léa Martin' "$T/b"

# ---- renewed, broken, untrusted, trusted again: no restart ----------------
check "the portal serves the first certificate" test "$(served_fp)" = "$(fp "$T/pki/one.pem")"
certbot_deploy 2 two
check "a renewed certificate (RSA, wildcard) is served at the next handshake" \
	test "$(served_fp)" = "$(fp "$T/pki/two.pem")"
check "...by the same process" test "$PORTAL_PID" = "$pid"
check "...the log says so" grep -q "reloaded the certificate $LE/live/fullchain.pem: CN=\*.college-calanques.fr, SHA-256 fingerprint $(fp "$T/pki/two.pem")" "$T/portal.log"
https GET /api/captive
check "...verified by a client (a wildcard names $HOST)" test "$(code)" = 200
http GET captive.apple.com /hotspot-detect.html
check "...probes still go to HTTPS" test "$(hdr Location)" = "$portal"

install -m 600 "$T/pki/one.key" "$LE/archive/privkey3.pem"
ln -sfn ../archive/privkey3.pem "$LE/live/privkey.pem"
check "a key that is not the certificate's: the certificate in use is kept" \
	test "$(served_fp)" = "$(fp "$T/pki/two.pem")"
check "...and the log says why" grep -q "warning: the certificate files cannot be used (.*the key does not belong to the certificate" "$T/portal.log"
ln -sfn ../archive/privkey2.pem "$LE/live/privkey.pem"

# the school CA's certificate in place of the public one: back to HTTP
cp "$BYOD_HOME/pki/portal.pem" "$LE/archive/fullchain4.pem"
install -m 600 "$BYOD_HOME/pki/portal.key" "$LE/archive/privkey4.pem"
ln -sfn ../archive/privkey4.pem "$LE/live/privkey.pem"
ln -sfn ../archive/fullchain4.pem "$LE/live/fullchain.pem"
check "a certificate phones do not trust is served too" \
	test "$(served_fp)" = "$(fp "$BYOD_HOME/pki/portal.pem")"
http GET captive.apple.com /hotspot-detect.html
check "...and probes go back to HTTP ($(hdr Location))" test "$(hdr Location)" = "http://$HOST:$HTTP_PORT/"
check "...the portal says why" grep -q "warning: phones will not trust the portal's certificate $LE/live/fullchain.pem: The certificate does not chain to a root of the trust store $T/roots" "$T/portal.log"
http GET "$HOST" /
check "...pages are served over HTTP again" test "$(code)" = 200
code=$(curl -s -D "$T/h" -o /dev/null -w '%{http_code}' --cacert "$BYOD_HOME/pki/ca.pem" \
	--resolve "portal.byod.lan:$HTTPS_PORT:127.0.0.1" "https://portal.byod.lan:$HTTPS_PORT/api/captive")
check "...HTTPS still answers (school CA), without HSTS" sh -c \
	"test '$code' = 200 && ! grep -qi '^Strict-Transport-Security' '$T/h'"
ln -sfn ../archive/privkey2.pem "$LE/live/privkey.pem"
ln -sfn ../archive/fullchain2.pem "$LE/live/fullchain.pem"
sleep 6 # no handshake: the main loop's look at the files (every 5 s) finds the change
http GET captive.apple.com /hotspot-detect.html
check "trusted again: probes go to HTTPS without a handshake first ($(hdr Location))" \
	test "$(hdr Location)" = "$portal"
check "the portal never restarted" kill -0 "$pid"
stop_portal

# ---- the school-CA certificate byodctl init made (the default) -----------
setconf tls-cert ""
setconf tls-key ""
setconf public-url "https://portal.byod.lan:$HTTPS_PORT"
: >"$T/portal.log"
start_portal
check "with the school CA's certificate the portal warns at start" grep -q "warning: phones will not trust the portal's certificate $BYOD_HOME/pki/portal.pem: The certificate does not chain to a root of the trust store $T/roots" "$T/portal.log"
check "...once" test "$(grep -c warning "$T/portal.log")" = 1
check "...and says where devices go" grep -q "devices are sent to http://portal.byod.lan:$HTTP_PORT/" "$T/portal.log"
for probe in captive.apple.com:/hotspot-detect.html connectivitycheck.gstatic.com:/generate_204; do
	http GET "${probe%%:*}" "${probe#*:}"
	check "probe $probe goes to the portal over HTTP" \
		test "$(code) $(hdr Location)" = "302 http://portal.byod.lan:$HTTP_PORT/"
done
http GET portal.byod.lan /
check "the login page over plain HTTP, not redirected" test "$(code)" = 200
check "...without HSTS" sh -c "! grep -qi '^Strict-Transport-Security' '$T/h'"
check "...its cookie not Secure (it would never come back)" sh -c \
	"grep -i '^Set-Cookie: byod_login=' '$T/h' | grep -qv Secure"
code=$(curl -s -D "$T/h" -o /dev/null -w '%{http_code}' --cacert "$BYOD_HOME/pki/ca.pem" \
	--resolve "portal.byod.lan:$HTTPS_PORT:127.0.0.1" "https://portal.byod.lan:$HTTPS_PORT/")
check "over HTTPS (a device that has the school CA): Secure cookie, no HSTS" sh -c \
	"test '$code' = 200 && grep -i '^Set-Cookie: byod_login=' '$T/h' | grep -q '; Secure' &&
	 ! grep -qi '^Strict-Transport-Security' '$T/h'"
portal_check_fails "portal check with the school CA's certificate" "$BYOD_HOME/pki/portal.pem: The certificate does not chain to a root of the trust store $T/roots \(unable to get local issuer certificate, at CN=portal.byod.lan issued by CN=Collège des Calanques BYOD CA"
check "...and warns that devices stay on HTTP" grep -q "warning: devices are sent to http://portal.byod.lan:$HTTP_PORT/ (plain HTTP)" "$T/err"
kill -HUP "$PORTAL_PID"
check "SIGHUP looks at the certificate again" wait_for 30 grep -q "reloaded the certificate $BYOD_HOME/pki/portal.pem" "$T/portal.log"
stop_portal
check "...on SIGTERM" grep -q "stopping (SIGTERM)" "$T/portal.log"
finish
