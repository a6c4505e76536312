# SPDX-License-Identifier: GPL-2.0-or-later
# The privacy notice and what the portal keeps of a visit. Every kind of
# page (the captive landing and login, a one-time code's page, the error
# pages, "Mes appareils", the enrolment form and its answer, a used
# download link, a teacher's unlock page, the notice itself) links to
# /confidentialite from its foot, anonymous or logged in, in French and in
# English; the notice answers in both languages without a session. The
# portal's log keeps no query string (?login=…&password=…), no fragment, no
# encoded '?', no one-time token (a code's, a download's), no password from
# a form; and of a captive probe or a device going elsewhere, neither its
# log nor its registry keeps the host or the page asked for.
. "$BYOD_SRC/tests/cli/lib.sh"
. "$BYOD_SRC/tests/portal/lib.sh"
: "${BYOD_PORTAL:?BYOD_PORTAL must name the byod-portal binary}"
init_school
adduser() { # LOGIN ROLE PASSWORD [--group G]...
	local login=$1 role=$2 pw=$3
	shift 3
	printf '%s\n' "$pw" | "$BYODCTL" user add "$login" --role "$role" --school 0131234W \
		--password-stdin "$@" >/dev/null || { echo "user add $login failed" >&2; exit 1; }
}
PUPIL_PW='Calanques-2026!'
TEACHER_PW='Tableau-Noir-42'
adduser lea.martin student "$PUPIL_PW" --group 4B
adduser m.durand teacher "$TEACHER_PW" --group 4B

read -r PORT <<<"$(free_ports 1)"
conf="$BYOD_HOME/byod.conf"
sed -i "s/^  http-port: .*/  http-port: $PORT/; s/^  https-port: .*/  https-port: 0/" "$conf"
sed -i "s|^  public-url: .*|  public-url: \"http://portal.byod.lan:$PORT\"|" "$conf"
# the access lines are asked for: what they keep is checked below
grep -q '^  access-log: no$' "$conf" || { echo "byod.conf has no portal.access-log: no" >&2; exit 1; }
sed -i "s/^  access-log: no$/  access-log: yes/" "$conf"
"$BYODCTL" enrol-codes --group 4B --hours 2 --out "$T/sheet.html" >/dev/null ||
	{ echo "enrol-codes failed" >&2; exit 1; }
CODE_PATH=$(grep -o "/code/[A-Za-z0-9_-]*" "$T/sheet.html" | head -1)
[ -n "$CODE_PATH" ] || { echo "no code on the sheet" >&2; exit 1; }

stop_all() {
	[ -z "${KEEP:-}" ] || echo "kept: $T" >&2
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap stop_all EXIT
start_portal "$BYOD_HOME" "$PORT"
DB="$BYOD_HOME/registry.db"

# req JAR METHOD PATH [curl options]: to the portal's own host; status in
# $T/code, headers in $T/h, body in $T/b; JAR "" keeps no cookie
req() {
	local jar=$1 method=$2 path=$3
	shift 3
	curl -s -X "$method" ${jar:+-b "$jar" -c "$jar"} -H 'Host: portal.byod.lan' \
		-D "$T/h" -o "$T/b" -w '%{http_code}' "$@" "http://127.0.0.1:$PORT$path" >"$T/code"
}
code() { cat "$T/code"; }
hdr() { grep -i "^$1:" "$T/h" | head -1 | cut -d' ' -f2- | tr -d '\r'; }
csrf() { sed -n 's/.*name="csrf" value="\([A-Za-z0-9_-]*\)".*/\1/p' "$T/b" | head -1; }
FR_LINK='<footer><a href="/confidentialite">Confidentialité et données personnelles</a></footer></body>'
EN_LINK='<footer><a href="/confidentialite">Privacy and personal data</a></footer></body>'
# page WHAT STATUS: the answer in $T/b has that status and the notice's
# link at its foot, in French (the default language)
page() {
	check "$1: $2" test "$(code)" = "$2"
	check "$1: the privacy notice linked at its foot" grep -qF "$FR_LINK" "$T/b"
}
# login JAR LOGIN PASSWORD: a login through the form; 303 expected
login() {
	req "$1" GET /
	req "$1" POST /login --data-urlencode "csrf=$(csrf)" --data-urlencode "login=$2" \
		--data-urlencode "password=$3"
	[ "$(code)" = 303 ]
}

# ---- the notice itself, without a session ---------------------------------
req "" GET /confidentialite
page "the notice (French by default)" 200
check "...titled" grep -q '<title>Vos données personnelles</title>' "$T/b"
check "...says what is never kept" grep -q 'Ce qui n’est jamais gardé' "$T/b"
check "...no URL, no site name" grep -q 'Ni les adresses des sites que vous visitez, ni les noms de sites demandés' "$T/b"
check "...the legal basis (CPCE L34-1, R10-13)" grep -q 'L34-1 et R10-13' "$T/b"
check "...the rights" grep -q 'Vos droits' "$T/b"
check "...no session made for it" test "$(sqlite3 "$DB" 'SELECT COUNT(*) FROM web_sessions')" = 0
req "" GET /confidentialite -H 'Accept-Language: en-GB,en;q=0.9'
check "the notice in English to a browser that asks" test "$(code)" = 200
check "...titled in English" grep -q '<title>Your personal data</title>' "$T/b"
check "...what is never kept, in English" grep -q 'What is never kept' "$T/b"
check "...its foot in English" grep -qF "$EN_LINK" "$T/b"
check "...its language switch leads to the French notice" grep -q 'href="/confidentialite?lang=fr"' "$T/b"
req "" GET "/confidentialite?lang=en"
check "the switch (?lang=en) gives the English notice" grep -q '<h1>Your personal data</h1>' "$T/b"
req "" HEAD /confidentialite -I
check "HEAD on the notice answers" test "$(code)" = 200
req "" POST /confidentialite -H 'Content-Type: application/x-www-form-urlencoded' --data 'a=b'
check "a POST to the notice is a 405" test "$(code)" = 405

# ---- every page kind, anonymous ------------------------------------------
curl -s -L -H 'Host: captive.apple.com' -o "$T/b" -w '%{http_code}' \
	--resolve "portal.byod.lan:$PORT:127.0.0.1" "http://127.0.0.1:$PORT/hotspot-detect.html" >"$T/code"
page "the captive landing (a probe's redirect followed)" 200
req "" GET /
page "the start page" 200
check "...is the login form" grep -q 'action="/login"' "$T/b"
req "" GET /nowhere
page "an unknown page" 404
req "" GET /nowhere -H 'Accept-Language: en'
check "an error page in English: the English link at its foot" grep -qF "$EN_LINK" "$T/b"
req "" POST /login -H 'Content-Type: application/x-www-form-urlencoded' --data 'login=x'
page "a form without its token" 403
req "" GET /devices
check "Mes appareils before a login: sent to the login" grep -q '^3' "$T/code"
req "" GET "$CODE_PATH"
page "a one-time code's page" 200
req "" GET /static/../etc/passwd --path-as-is
page "a path refused" 400

# ---- logged in ---------------------------------------------------------------
J="$T/jar.pupil"
check "the pupil logs in" login "$J" lea.martin "$PUPIL_PW"
req "$J" GET /devices
page "Mes appareils" 200
check "...is the pupil's page" grep -q 'action="/logout"' "$T/b"
req "$J" GET /devices -H 'Accept-Language: en' -b "byod_lang=en"
check "My devices in English: the English link" grep -qF "$EN_LINK" "$T/b"
req "$J" GET /enrol
page "the enrolment form" 200
req "$J" POST /enrol --data-urlencode "csrf=$(csrf)" --data-urlencode 'name=Téléphone' \
	--data-urlencode kind=phone --data-urlencode charter=yes
page "the enrolment's answer" 200
LINK=$(sed -n 's/.*id="download"[^>]*href="\([^"]*\)".*/\1/p' "$T/b")
check "...with a one-time download link" sh -c "echo '$LINK' | grep -Eq '^/download/[A-Za-z0-9_-]{20,}$'"
req "$J" GET /enrolled
page "the enrolled page again" 200
req "$J" GET "$LINK?password=in-a-download-query"
check "the download (a file: no page)" test "$(code)" = 200
req "$J" GET "$LINK"
page "a used download link" 410
req "$J" GET /unlock
page "the unlock page to a pupil (not there)" 404
req "$J" GET /confidentialite
page "the notice, logged in" 200
check "...the same notice (no session needed)" grep -q '<h1>Vos données personnelles</h1>' "$T/b"
K="$T/jar.teacher"
check "the teacher logs in" login "$K" m.durand "$TEACHER_PW"
req "$K" GET /unlock
page "the teacher's unlock page" 200
check "...is the unlock page" grep -q 'name="group"' "$T/b"

# ---- the log: no query string, fragment, token or password -------------------
req "" GET "/?login=lea.martin&password=in-a-query-string"
check "a query string on a page is answered" test "$(code)" = 200
req "" GET "/login%3Flogin=x&password=in-an-encoded-query"
check "an encoded '?' in a path is refused (400)" test "$(code)" = 400
check "...with the notice linked" grep -qF "$FR_LINK" "$T/b"
req "" GET "/login%23password=in-an-encoded-fragment"
check "an encoded '#' in a path is refused (400)" test "$(code)" = 400
exec 3<>"/dev/tcp/127.0.0.1/$PORT"
printf 'GET /login#password=in-a-raw-fragment HTTP/1.0\r\nHost: portal.byod.lan\r\n\r\n' >&3
timeout 10 cat <&3 >"$T/raw"
exec 3<&-
check "a raw fragment sent in the request line is refused (400)" grep -q '^HTTP/1.[01] 400' "$T/raw"
req "" GET "$CODE_PATH?password=in-a-code-query"
check "a code's link with a query answers" test "$(code)" = 200
sleep 1.5 # the last lines reach the log (a batch at a time, within a second)
for secret in in-a-query-string in-an-encoded-query in-an-encoded-fragment in-a-raw-fragment \
	in-a-code-query in-a-download-query "${CODE_PATH#/code/}" "${LINK#/download/}" \
	"$PUPIL_PW" "$TEACHER_PW" "password="; do
	check "the log has no '$secret'" sh -c "! grep -qF -- '$secret' '$T/portal.log'"
done
check "...yet the log has its access lines" grep -q "POST portal.byod.lan/login -> 303" "$T/portal.log"
check "...the query's request logged by its path alone" grep -q "GET portal.byod.lan/ -> 200" "$T/portal.log"
check "...the encoded one cut at its '?'" grep -q "GET /login?...: path refused" "$T/portal.log"
check "...a one-time link as its prefix" grep -q "GET portal.byod.lan/code/... -> 200" "$T/portal.log"

# ---- a device looking for the Internet: nothing of where it went ------------
for probe in captive.apple.com:/hotspot-detect.html connectivitycheck.gstatic.com:/generate_204 \
	www.msftconnecttest.com:/connecttest.txt www.pupil-secret-site.example:/a-secret-page.html; do
	curl -s -o /dev/null -H "Host: ${probe%%:*}" "http://127.0.0.1:$PORT${probe#*:}?q=a-secret-search" \
		-b "$J" -w '%{http_code}' >"$T/code"
	check "$probe is sent to the portal" test "$(code)" = 302
done
sleep 1.5 # the probes' lines reach the log
for secret in captive.apple.com gstatic msftconnecttest pupil-secret-site a-secret-page a-secret-search; do
	check "the log has no '$secret'" sh -c "! grep -qF -- '$secret' '$T/portal.log'"
done
check "...the probe's redirect logged by the probe's path, without its host" \
	grep -q "GET /generate_204 -> 302" "$T/portal.log"
check "...another site's as '(elsewhere)'" grep -q "GET (elsewhere) -> 302" "$T/portal.log"
sqlite3 "$DB" .dump >"$T/dump.sql"
check "the registry can be read whole" test -s "$T/dump.sql"
check "...and holds the pupil (the dump is the registry's)" grep -q lea.martin "$T/dump.sql"
for secret in captive.apple.com gstatic msftconnecttest pupil-secret-site a-secret-page \
	a-secret-search hotspot-detect generate_204 connecttest in-a-query-string \
	in-an-encoded-query in-a-code-query in-a-download-query; do
	check "the registry has no '$secret'" sh -c "! grep -qF -- '$secret' '$T/dump.sql'"
done
check "no sanitizer report in the portal's log" sh -c "! grep -Eq 'Sanitizer|runtime error' '$T/portal.log'"
finish
