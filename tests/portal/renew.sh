# SPDX-License-Identifier: GPL-2.0-or-later
# "Renouveler" on Mes appareils, driven with curl as a phone would, the
# portal's clock set by libfaketime so that the dates do not depend on the
# day the test runs: in January the device says from which day renewal is
# possible and a renewal sent anyway is refused; in July the button is
# there, a form without its token or for somebody else's device is
# refused and changes nothing, and a renewal answers with the download page
# of an enrolment for the same device: a new certificate (its PKCS#12 opens
# with the passphrase shown), the old one still valid until the new one is
# seen at RADIUS.
. "$BYOD_SRC/tests/cli/lib.sh"
. "$BYOD_SRC/tests/portal/lib.sh"
: "${BYOD_PORTAL:?BYOD_PORTAL must name the byod-portal binary}"

JAN="2031-01-10 10:00:00"
JUL="2031-07-15 10:00:00"
# (an ASan build wants its runtime first: libfaketime comes before it here)
at() {
	local when=$1; shift
	FAKETIME="@$when" ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
		LD_PRELOAD=$(ls /usr/lib/*/faketime/libfaketime.so.1 | head -1) "$@"
}

at "$JAN" "$BYODCTL" init --school 0131234W --name "Collège des Calanques" >/dev/null ||
	{ echo "init failed" >&2; exit 1; }
sed -i 's/^  yescrypt-cost: .*/  yescrypt-cost: 1/' "$BYOD_HOME/byod.conf"
adduser() { # LOGIN PASSWORD
	printf '%s\n' "$2" | at "$JAN" "$BYODCTL" user add "$1" --role student --school 0131234W \
		--name "$1 (test)" --password-stdin >/dev/null || { echo "user add $1 failed" >&2; exit 1; }
}
adduser lea.martin 'Calanques-2026!'
adduser hugo 'autre-mot-de-passe'
at "$JAN" "$BYODCTL" device enrol hugo --name "PC de Hugo" --kind laptop --out "$T/hugo" --json \
	>"$T/hugo.json" || { echo "enrol hugo failed" >&2; exit 1; }
hugo_dev=$(json 'd["device"]' <"$T/hugo.json")

read -r HTTP_PORT <<<"$(free_ports 1)"
sed -i "s/^  http-port: .*/  http-port: $HTTP_PORT/; s/^  https-port: .*/  https-port: 0/" \
	"$BYOD_HOME/byod.conf"
PORTAL_PID=
portal_at() { # WHEN: (re)starts the portal with its clock there
	[ -n "$PORTAL_PID" ] && kill "$PORTAL_PID" 2>/dev/null && wait "$PORTAL_PID" 2>/dev/null
	# (not through at(): $! must be the portal itself)
	FAKETIME="@$1" ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
		LD_PRELOAD=$(ls /usr/lib/*/faketime/libfaketime.so.1 | head -1) \
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
trap '[ -n "$PORTAL_PID" ] && kill "$PORTAL_PID" 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT

JAR="$T/jar"
req() { # METHOD PATH [curl options]: status in $T/code, body in $T/b
	local method=$1 path=$2
	shift 2
	curl -s -m 20 -X "$method" -b "$JAR" -c "$JAR" -H 'Host: portal.byod.lan' \
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
login() {
	rm -f "$JAR"
	req GET /
	post /login "csrf=$(csrf)" login=lea.martin 'password=Calanques-2026!'
	[ "$(code)" = 303 ] || [ "$(code)" = 302 ] || { echo "login failed: $(code)" >&2; exit 1; }
}
sql() { sqlite3 "$BYOD_HOME/registry.db" "$1"; }
certs_of() { sql "SELECT COUNT(*) FROM certificates WHERE device = '$1'"; }

# ---- January: the window is not open -----------------------------------
portal_at "$JAN"
login
req GET /enrol
post /enrol "csrf=$(csrf)" 'name=iPhone de Léa' kind=phone charter=yes
check "enrolled at the portal (200)" test "$(code)" = 200
dev=$(sql "SELECT d.id FROM devices d JOIN people p ON p.id = d.owner WHERE p.login = 'lea.martin'")
s1=$(sql "SELECT serial FROM certificates WHERE device = '$dev'")
check "one device, one certificate" test -n "$dev" -a "$(certs_of "$dev")" = 1
req GET /devices
check "Mes appareils says from which day renewal is possible (French date)" \
	grep -q 'Renouvellement possible à partir du 02/07/2031' "$T/b"
check "...and shows no Renouveler button" sh -c "! grep -q 'value=\"renew\"' '$T/b'"
post /device "csrf=$(csrf)" "id=$dev" action=renew
check "a renewal sent before the window is refused (409)" test "$(code)" = 409
check "...saying why, in French" grep -q 'ne peut pas encore être renouvelé' "$T/b"
check "...nothing issued" test "$(certs_of "$dev")" = 1

# ---- July: inside the window ----------------------------------------------
portal_at "$JUL"
login
req GET /devices
check "in July, a Renouveler button for the device" sh -c \
	"grep -q 'value=\"renew\"' '$T/b' && grep -q '>Renouveler</button>' '$T/b'"
check "...and no 'possible from' line" sh -c "! grep -q 'Renouvellement possible' '$T/b'"
token=$(csrf)
post /device "id=$dev" action=renew
check "a renewal without its form token is refused (403)" test "$(code)" = 403
post /device csrf=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA "id=$dev" action=renew
check "...and with a made-up one (403)" test "$(code)" = 403
check "...nothing issued" test "$(certs_of "$dev")" = 1
req GET /devices
post /device "csrf=$(csrf)" "id=$hugo_dev" action=renew
check "somebody else's device is refused (404)" test "$(code)" = 404
check "...nothing issued for it" test "$(certs_of "$hugo_dev")" = 1
check "...and logged" grep -q "asked for device $hugo_dev, which is not theirs" "$T/portal.log"
req GET /devices
post /device "csrf=$(csrf)" "id=$dev" action=renew
check "renewed (200)" test "$(code)" = 200
check "...the enrolment's download page" grep -q '<h1>Votre appareil est inscrit</h1>' "$T/b"
pass=$(sed -n 's/.*<code id="passphrase">\([^<]*\)<.*/\1/p' "$T/b")
link=$(sed -n 's/.*id="download"[^>]*href="\([^"]*\)".*/\1/p' "$T/b")
check "...with a passphrase and a one-time link" test -n "$pass" -a -n "$link"
check "the same device: still one for the pupil" test "$(sql "SELECT COUNT(*) FROM devices d \
	JOIN people p ON p.id = d.owner WHERE p.login = 'lea.martin'")" = 1
check "two certificates for it" test "$(certs_of "$dev")" = 2
s2=$(sql "SELECT serial FROM certificates WHERE device = '$dev' AND replaces = '$s1'")
check "the new one replaces the old one" test -n "$s2" -a "$s2" != "$s1"
check "the old one is still valid until the new one is seen" \
	test "$(sql "SELECT state FROM certificates WHERE serial = '$s1'")" = valid
check "...the new one not seen yet" \
	test "$(sql "SELECT first_seen FROM certificates WHERE serial = '$s2'")" = 0
check "it ends with the next school year" test "$(sql "SELECT not_after FROM certificates \
	WHERE serial = '$s2'")" = "$(date -u -d '2032-08-31 23:59:59' +%s)"
req GET "$link"
check "the download works" test "$(code)" = 200
cp "$T/b" "$T/new.p12"
check "the PKCS#12 opens with the shown passphrase" \
	openssl pkcs12 -in "$T/new.p12" -passin "pass:$pass" -nokeys -clcerts -out "$T/new.pem"
check "...it holds the new certificate of the same device" sh -c \
	"openssl x509 -in '$T/new.pem' -noout -subject | grep -q '$dev' &&
	 [ \"\$(openssl x509 -in '$T/new.pem' -noout -serial | cut -d= -f2 | tr A-F a-f |
	   sed 's/^0*//')\" = '$s2' ]"
check "the renewal is audited" test "$(sql "SELECT COUNT(*) FROM audit WHERE action = \
	'device.renew' AND object = '$dev'")" = 1
req GET /devices
check "after it, the device says from which day the next renewal is possible" \
	grep -q 'Renouvellement possible à partir du 02/07/2032' "$T/b"
finish
