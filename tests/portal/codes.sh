# SPDX-License-Identifier: GPL-2.0-or-later
# One-time enrolment codes: byodctl enrol-codes prints a class sheet; the
# sheet is rendered by Chromium as a printer would and its QR codes are
# read back with zbarimg (an independent decoder); each decoded link opens
# the portal for that pupil without a password, once; opening the link
# alone uses nothing up; a used, expired or made-up code is a 410; the
# session a code opens enrols one device and shows its result, nothing else.
. "$BYOD_SRC/tests/cli/lib.sh"
: "${BYOD_PORTAL:?BYOD_PORTAL must name the byod-portal binary}"
init_school
"$BYODCTL" user add lea.martin --role student --school 0131234W --group 4B --name "Léa Martin" >/dev/null
"$BYODCTL" user add hugo --role student --school 0131234W --group 4B --name "Hugo <b>" >/dev/null
"$BYODCTL" user add ines --role student --school 0131234W --group 3A >/dev/null
printf 'prof-durand\n' | "$BYODCTL" user add m.durand --role teacher --school 0131234W --group 4B \
	--group latin --password-stdin >/dev/null
printf 'pupil-pw\n' | "$BYODCTL" user add tom --role student --school 0131234W --group 5C \
	--password-stdin >/dev/null

read -r HTTP_PORT <<<"$(python3 -c '
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
conf="$BYOD_HOME/byod.conf"
sed -i "s/^  http-port: .*/  http-port: $HTTP_PORT/; s/^  https-port: .*/  https-port: 0/" "$conf"
sed -i "s|^  public-url: .*|  public-url: \"http://portal.byod.lan:$HTTP_PORT\"|" "$conf"

expect_ok "enrol-codes for a class" "$BYODCTL" enrol-codes --group 4B --hours 2 --out "$T/sheet.html"
check "...two codes (lea, hugo; not ines of 3A)" grep -q '^2 codes' "$T/out"
check "the sheet is private (0600)" test "$(stat -c %a "$T/sheet.html")" = 600
check "names are escaped on the sheet" grep -q 'Hugo &lt;b&gt;' "$T/sheet.html"
check "the issue is audited" sh -c "'$BYODCTL' audit | grep -q enrol-code.issue"
expect_fail "no account matches" "no active account" "$BYODCTL" enrol-codes --group 9Z --out "$T/x.html"
expect_fail "--hours out of range" "hours" "$BYODCTL" enrol-codes --group 4B --hours 0 --out "$T/x.html"

# the sheet as it prints: Chromium renders it, zbarimg reads the QR codes
timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run \
	--disable-background-networking --disable-component-update --disable-sync \
	--window-size=1200,1600 --screenshot="$T/sheet.png" "file://$T/sheet.html" >/dev/null 2>&1
zbarimg -q --raw "$T/sheet.png" 2>/dev/null | sort >"$T/urls"
check "both QR codes decode" test "$(wc -l <"$T/urls")" = 2
check "...to the links printed beside them" sh -c "for u in \$(cat '$T/urls'); do grep -qF \"\$u\" '$T/sheet.html' || exit 1; done"
check "...on the portal's public URL" grep -q "^http://portal.byod.lan:$HTTP_PORT/code/" "$T/urls"

"$BYOD_PORTAL" --home "$BYOD_HOME" 2>"$T/portal.log" &
PORTAL_PID=$!
trap '[ -n "$PORTAL_PID" ] && kill "$PORTAL_PID" 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 100); do
	curl -s -o /dev/null "http://127.0.0.1:$HTTP_PORT/api/captive" && break
	sleep 0.1
done
JAR="$T/jar"
req() { # METHOD PATH [curl options]
	local method=$1 path=$2
	shift 2
	curl -s -X "$method" -b "$JAR" -c "$JAR" -H "Host: portal.byod.lan" -D "$T/h" -o "$T/b" \
		-w '%{http_code}' "$@" "http://127.0.0.1:$HTTP_PORT$path" >"$T/code"
}
code() { cat "$T/code"; }
csrf() { sed -n 's/.*name="csrf" value="\([A-Za-z0-9_-]*\)".*/\1/p' "$T/b" | head -1; }

for url in $(cat "$T/urls"); do
	path=/${url#http://*/}
	rm -f "$JAR"
	req GET "$path"
	check "a code's link opens a page (200)" test "$(code)" = 200
	req GET "$path"
	check "...and opening it again still works: a GET uses nothing" test "$(code)" = 200
	check "...it greets the pupil" grep -Eq 'Bonjour (Léa Martin|Hugo &lt;b&gt;) !' "$T/b"
	check "...the code is not logged" sh -c "! grep -qF '${path#/code/}' '$T/portal.log'"
	code_value=${path#/code/}
	req POST /code --data-urlencode "csrf=$(csrf)" --data-urlencode "code=$code_value"
	check "continuing logs the pupil in (303 to /enrol)" sh -c "[ \"\$(cat '$T/code')\" = 303 ] && grep -qi '^Location: /enrol' '$T/h'"
	req GET /enrol
	check "...the enrolment form, without a password" grep -q 'action="/enrol"' "$T/b"
	rm -f "$JAR"
	req GET "$path"
	check "the code a second time is gone (410)" test "$(code)" = 410
	req GET /
	req POST /code --data-urlencode "csrf=$(csrf)" --data-urlencode "code=$code_value"
	check "...and cannot be posted again (410)" test "$(code)" = 410
done
check "code logins are audited" sh -c "'$BYODCTL' audit | grep -c portal.login-code | grep -q 2"

# an expired code, a made-up one
"$BYODCTL" enrol-codes --login ines --out "$T/ines.html" >/dev/null
sqlite3 "$BYOD_HOME/registry.db" "UPDATE enrol_codes SET expires = 1 WHERE used IS NULL"
ines=$(sed -n 's/.*class="url">[^<]*\/code\/\([A-Za-z0-9_-]*\)<.*/\1/p' "$T/ines.html")
req GET "/code/$ines"
check "an expired code is a 410" test "$(code)" = 410
req GET /code/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
check "a made-up code is a 410" test "$(code)" = 410
req GET /code/short
check "a malformed code is a 410 too" test "$(code)" = 410
req POST /code --data-urlencode "code=$ines"
check "a code without the form token is refused (403)" test "$(code)" = 403

# a code's session enrols one device and sees its result, nothing else
"$BYODCTL" enrol-codes --login lea.martin --out "$T/lea.html" >/dev/null
lea=$(sed -n 's/.*class="url">[^<]*\/code\/\([A-Za-z0-9_-]*\)<.*/\1/p' "$T/lea.html")
rm -f "$JAR"
req GET "/code/$lea"
req POST /code --data-urlencode "csrf=$(csrf)" --data-urlencode "code=$lea"
req GET /enrol
check "a code's session has no 'Mes appareils' in its menu" sh -c "! grep -q 'href=\"/devices\"' '$T/b'"
req POST /enrol --data-urlencode "csrf=$(csrf)" --data-urlencode 'name=Téléphone de Léa' \
	--data-urlencode kind=phone --data-urlencode charter=yes
check "a code's session enrols a device (200)" test "$(code)" = 200
check "...and gets its passphrase" grep -q 'id="passphrase"' "$T/b"
check "...without a link to 'Mes appareils'" sh -c "! grep -q 'href=\"/devices\"' '$T/b'"
db="$BYOD_HOME/registry.db"
lea_dev=$(sqlite3 "$db" "SELECT d.id FROM devices d JOIN people p ON p.id = d.owner WHERE p.login = 'lea.martin'")
req GET /enrolled
check "its result page shows again (200)" sh -c "[ \"\$(cat '$T/code')\" = 200 ] && grep -q 'id=\"passphrase\"' '$T/b'"
req GET /devices
check "'Mes appareils' is refused to it (403)" test "$(code)" = 403
check "...with the French refusal page" grep -q 'Cette demande a été refusée' "$T/b"
req GET /enrolled
req POST /device --data-urlencode "csrf=$(csrf)" --data-urlencode action=lost \
	--data-urlencode "id=$lea_dev" --data-urlencode confirm=yes
check "declaring a device lost is refused to it (403)" test "$(code)" = 403
check "...in French" grep -q 'Cette demande a été refusée' "$T/b"
check "...and the device stays active" test "$(sqlite3 "$db" "SELECT state FROM devices WHERE id = '$lea_dev'")" = active
req GET /enrolled
req POST /device --data-urlencode "csrf=$(csrf)" --data-urlencode action=rename \
	--data-urlencode "id=$lea_dev" --data-urlencode name=Renamed
check "renaming is refused to it (403)" test "$(code)" = 403
req GET /enrol
check "the enrolment form leads back to the result page" sh -c "[ \"\$(cat '$T/code')\" = 303 ] && grep -qi '^Location: /enrolled' '$T/h'"
req GET /enrolled
req POST /enrol --data-urlencode "csrf=$(csrf)" --data-urlencode 'name=Second' \
	--data-urlencode kind=laptop --data-urlencode charter=yes
check "a second enrolment is refused (403)" test "$(code)" = 403
check "...one device enrolled in all" test "$(sqlite3 "$db" "SELECT COUNT(*) FROM devices d JOIN people p ON p.id = d.owner WHERE p.login = 'lea.martin'")" = 1
check "the code's session kind is in the registry" test "$(sqlite3 "$db" "SELECT COUNT(*) FROM web_sessions WHERE kind = 'code' AND enrolled = 1 AND person = (SELECT id FROM people WHERE login = 'lea.martin')")" = 1
req GET "/enrolled?lang=en"
check "its result page switches language (200, English)" sh -c "[ \"\$(cat '$T/code')\" = 200 ] && grep -q '<html lang=\"en\"' '$T/b'"
req GET /
check "its home is the result page" sh -c "grep -qi '^Location: /enrolled' '$T/h'"
req GET "/?lang=fr"

# a teacher prints the codes of a class they teach, from the portal
rm -f "$JAR"
req GET /
req POST /login --data-urlencode "csrf=$(csrf)" --data-urlencode login=m.durand \
	--data-urlencode password=prof-durand
req GET /devices
check "a teacher sees the class codes form" grep -q 'action="/class-codes"' "$T/b"
check "...with the classes they teach" sh -c "grep -q '<option value=\"4B\">' '$T/b' && grep -q '<option value=\"latin\">' '$T/b'"
t=$(csrf)
req POST /class-codes --data-urlencode "csrf=$t" --data-urlencode group=4B --data-urlencode hours=24
check "the sheet comes as a file to print (200)" test "$(code)" = 200
check "...an attachment" grep -qi '^Content-Disposition: attachment; filename="codes-4B.html"' "$T/h"
check "...not cached" grep -qi '^Cache-Control: no-store' "$T/h"
check "...with the class's two pupils" test "$(grep -o 'class="url"' "$T/b" | wc -l)" = 2
req GET /devices
req POST /class-codes --data-urlencode "csrf=$(csrf)" --data-urlencode group=3A --data-urlencode hours=24
check "a class the teacher does not teach is refused (403)" test "$(code)" = 403
# tom's account came from an older directory with a SHA-512 crypt hash
sqlite3 "$db" "UPDATE people SET password_hash = '\$6\$tomsalt1\$2mT9vxtjb8H704DymrJT7NDG4rzZu6.wW9LCbwVdbD1Vj8t4BdDvVJUsL79ve/YG4XOuFNHnzwCo0MKZdpTk9.' WHERE login = 'tom'"
rm -f "$JAR"
req GET /
req POST /login --data-urlencode "csrf=$(csrf)" --data-urlencode login=tom --data-urlencode password=pupil-pw
check "a \$6\$ account logs in (303)" test "$(code)" = 303
check "...and its hash is yescrypt now" sh -c "sqlite3 '$db' \"SELECT password_hash FROM people WHERE login = 'tom'\" | grep -q '^\\\$y\\\$'"
check "...the upgrade is audited" sh -c "'$BYODCTL' audit | grep -q person.password-rehash"
req GET /devices
check "a pupil has no class codes form" sh -c "! grep -q 'class-codes' '$T/b'"
req POST /class-codes --data-urlencode "csrf=$(csrf)" --data-urlencode group=5C --data-urlencode hours=24
check "...and cannot post one (403)" test "$(code)" = 403

kill -TERM "$PORTAL_PID"; wait "$PORTAL_PID"; PORTAL_PID=
finish
