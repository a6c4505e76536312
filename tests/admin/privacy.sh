# SPDX-License-Identifier: GPL-2.0-or-later
# The console's privacy page, linked from the foot of every page (the
# login, the second factor, the sections, an error page), answering without
# a session in French and in English; and byod-admin's log keeps no query
# string (a search for a pupil's name), no encoded '?' or '#', no password.
. "$BYOD_SRC/tests/cli/lib.sh"
. "$BYOD_SRC/tests/admin/lib.sh"
init_school
"$BYODCTL" user add lea.martin --name "Léa Martin" --role student --school 0131234W >/dev/null
add_admin dep departement "" 'Dep-Secret-2026'
start_admin

FR_LINK='<footer><a href="/confidentialite">Confidentialité et données personnelles</a></footer></body>'
EN_LINK='<footer><a href="/confidentialite">Privacy and personal data</a></footer></body>'
page() { # WHAT STATUS
	check "$1: $2" test "$(code)" = "$2"
	check "$1: the privacy page linked at its foot" grep -qF "$FR_LINK" "$T/b"
}

req x GET /confidentialite
page "the privacy page, without a session" 200
check "...says what is never kept" grep -q 'Ce qui n’est jamais gardé' "$T/b"
check "...names the rights' commands" grep -q 'byodctl person export' "$T/b"
req x GET /confidentialite -H 'Accept-Language: en'
check "...in English to a browser that asks" grep -q '<h1>Privacy</h1>' "$T/b"
check "...its foot in English" grep -qF "$EN_LINK" "$T/b"
req x GET /login
page "the login page" 200
req x GET /nowhere%3Fq=x
page "an encoded '?' (400)" 400

login_password d dep 'Dep-Secret-2026' || ko "the password step"
page "the second factor's page" 200
SECRET=$(secret_shown)
req d POST /totp --data-urlencode "csrf=$(csrf)" --data-urlencode "code=$(totp "$SECRET")"
check "logged in" test "$(code):$(hdr Location)" = "303:/dashboard"
for p in /dashboard /devices /people /policy /audit /codes /people-import; do
	req d GET "$p"
	page "$p" 200
done
req d GET "/people?q=L%C3%A9a+Martin"
page "a search for a pupil" 200
check "...finds her" grep -q 'lea.martin' "$T/b"
req d GET /devices/no-such-device
check "an unknown device's page: 404" test "$(code)" = 404
check "...with the link" grep -qF "$FR_LINK" "$T/b"
req d GET "/audit?who=secret-actor-searched&object=secret-object-searched"
page "a filtered audit log" 200
req d GET "/people%3Fq=encoded-query-searched"
check "an encoded '?' in a path is refused (400)" test "$(code)" = 400
req d GET /confidentialite
page "the privacy page, logged in" 200

stop_admin || ko "byod-admin stopped cleanly"
for secret in Martin secret-actor-searched secret-object-searched encoded-query-searched \
	Dep-Secret-2026 "$SECRET" "q=" "who="; do
	check "the log has no '$secret'" sh -c "! grep -qF -- '$secret' '$T/admin.log'"
done
check "...yet it has the search's access line, by its path" grep -q "GET 127.0.0.1/people -> 200" "$T/admin.log"
check "...and the refused path, cut at its '?'" grep -q "GET /people?...: path refused" "$T/admin.log"
finish
