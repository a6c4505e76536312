# SPDX-License-Identifier: GPL-2.0-or-later
# byod-admin driven with curl as a browser would, over HTTPS on loopback,
# on the school's SQLite registry or (BYOD_ADMIN_REGISTRY=pg) on a
# PostgreSQL one:
# HTTPS only; the login (password then TOTP, the code computed here from
# the secret the enrolment page shows); a replayed code refused; a form
# without its token refused; the session cookie's flags and its new id at
# each step; idle expiry and logout; the login throttle in keys of its own;
# an auditor refused every change with an audit row; another school's
# device a 404 with an audit row, on a page and through the API; SIGTERM.
. "$BYOD_SRC/tests/cli/lib.sh"
. "$BYOD_SRC/tests/admin/lib.sh"
init_school
registry_setup
"$BYODCTL" school add 0139999X --name "Collège du Port" >/dev/null
audit_count() { sql "SELECT count(*) FROM audit WHERE action = '$1'${2:+ AND $2}"; }

# a pupil of each school with a device
for who in a.pupil:0131234W b.pupil:0139999X; do
	"$BYODCTL" user add "${who%%:*}" --role student --school "${who#*:}" >/dev/null
	"$BYODCTL" device enrol "${who%%:*}" --name "Phone ${who%%:*}" --out "$T/dev" --json \
		>"$T/enrol.${who%%:*}" || { echo "enrol failed" >&2; exit 1; }
done
DEV_A=$(json 'd["device"]' <"$T/enrol.a.pupil")
DEV_B=$(json 'd["device"]' <"$T/enrol.b.pupil")

add_admin dep departement "" 'Dep-Secret-2026'
add_admin sch school 0131234W 'Sch-Secret-2026'
add_admin aud auditor "" 'Aud-Secret-2026'
add_admin thr departement "" 'Thr-Secret-2026'
add_admin out departement "" 'Out-Secret-2026'
start_admin

# every word the pages ask for by its key is in both catalogues
check "every AT(\"key\") of admin/*.c is in po/fr.po and po/en.po" python3 - "$BYOD_SRC/admin" <<'PY'
import glob, re, sys
d = sys.argv[1]
keys = set()
for f in glob.glob(d + "/*.c"):
    keys |= set(re.findall(r'\bATN?\(\s*[\w>-]+\s*,\s*"([^"]+)"', open(f).read()))
for lang in ("fr", "en"):
    po = open("%s/po/%s.po" % (d, lang)).read()
    missing = [k for k in keys if 'msgid "%s"' % k not in po]
    if missing or len(keys) < 40:
        sys.exit("%s.po lacks %s (of %d keys)" % (lang, missing, len(keys)))
PY

# ---- HTTPS only ------------------------------------------------------------
check "nothing is answered in clear on the console's port" \
	sh -c "! curl -s -m 3 -o /dev/null 'http://127.0.0.1:$ADMIN_PORT/login'"
check "the log names the certificate it serves" grep -q "loaded the certificate" "$T/admin.log"
req x GET /
check "/ without a session goes to the login" test "$(code):$(hdr Location)" = "303:/login"
req x GET /login
check "the login page answers 200" test "$(code)" = 200
check "...in French first" grep -q '<html lang="fr"' "$T/b"
check "...with HSTS over HTTPS" test "$(hdr Strict-Transport-Security)" = "max-age=31536000"
check "...a strict CSP" sh -c "grep -qi \"^Content-Security-Policy: default-src 'none'\" '$T/h'"
check "...not cached" test "$(hdr Cache-Control)" = no-store
check "...and a form token" test -n "$(csrf)"
check "...bound to a cookie HttpOnly, SameSite=Strict and Secure" \
	grep -qE '^Set-Cookie: byod_admin_login=[A-Za-z0-9_-]{43}; Path=/; HttpOnly; SameSite=Strict; Secure' "$T/h"
req x GET '/login?lang=en'
check "the switch gives the page in English" grep -q '<html lang="en"' "$T/b"
check "...remembered in a cookie of the console's own" grep -q '^Set-Cookie: byod_admin_lang=en' "$T/h"
req x GET /login
check "...on the next page too" grep -q 'Log in' "$T/b"
req x GET '/login?lang=fr'

# ---- forms without their token ---------------------------------------------
req x POST /login --data-urlencode "login=dep" --data-urlencode "password=Dep-Secret-2026"
check "a login without its form token is refused (403)" test "$(code)" = 403
req y POST /login --data-urlencode "csrf=$(csrf)" --data-urlencode "login=dep" \
	--data-urlencode "password=Dep-Secret-2026"
check "another browser's form token is refused (403)" test "$(code)" = 403
check "...and no session was made" test "$(sql 'SELECT count(*) FROM admin_sessions')" = 0

# ---- wrong passwords -------------------------------------------------------
req x GET /login
t=$(csrf)
req x POST /login --data-urlencode "csrf=$t" --data-urlencode "login=dep" --data-urlencode "password=nope"
check "a wrong password is refused (401)" test "$(code)" = 401
check "...with one sentence" grep -q 'Identifiant ou mot de passe incorrect' "$T/b"
check "...the login kept in its field" grep -q 'value="dep"' "$T/b"
req x POST /login --data-urlencode "csrf=$t" --data-urlencode "login=nobody" --data-urlencode "password=nope"
check "an unknown login gets the same answer" test "$(code)" = 401
check "every failure is audited" test "$(audit_count admin.login-failed)" = 2

# ---- the first login: password, then TOTP enrolment --------------------------
req d GET /login
t=$(csrf)
L=$(awk '$6 == "byod_admin_login" { print $7 }' "$T/jar.d")
# a session id planted in the browser before the login (session fixation)
curl -sk -c "$T/jar.d" -D "$T/h" -o "$T/b" -w '%{http_code}' \
	-H "Cookie: byod_admin_login=$L; byod_admin=PlAnTeDsEsSiOnIdPlAnTeDsEsSiOnIdPlAnTeDsEs1" \
	--data-urlencode "csrf=$t" --data-urlencode "login=dep" \
	--data-urlencode "password=Dep-Secret-2026" "$URL/login" >"$T/code"
check "the password goes on to the second factor" test "$(code):$(hdr Location)" = "303:/totp"
cookie1=$(sed -n 's/^Set-Cookie: byod_admin=\([^;]*\);.*/\1/p' "$T/h" | tr -d '\r')
check "the session cookie is new (not the one planted)" \
	sh -c "[ -n '$cookie1' ] && [ '$cookie1' != PlAnTeDsEsSiOnIdPlAnTeDsEsSiOnIdPlAnTeDsEs1 ]"
check "the session cookie is HttpOnly; SameSite=Strict; Secure" \
	grep -qE '^Set-Cookie: byod_admin=[A-Za-z0-9_-]{43}; Path=/; HttpOnly; SameSite=Strict; Secure' "$T/h"
check "the registry keeps only the cookie's hash" \
	test "$(sql "SELECT count(*) FROM admin_sessions WHERE id_hash = '$cookie1'")" = 0
req d GET /dashboard
check "no other page before the second factor" test "$(code):$(hdr Location)" = "303:/totp"
req d GET /devices
check "...not even the devices" test "$(code):$(hdr Location)" = "303:/totp"
req d GET /totp
check "the enrolment page answers 200" test "$(code)" = 200
check "...with the QR code inline (SVG, named)" grep -q '<svg[^>]*role="img"[^>]*aria-label=' "$T/b"
SECRET=$(secret_shown)
check "...and the secret as text (base32, 160 bits)" sh -c "echo '$SECRET' | grep -qE '^[A-Z2-7]{32}$'"
check "...the page with the secret is not cached" test "$(hdr Cache-Control)" = no-store
check "...the secret is the registry's" \
	test "$(sql "SELECT totp_secret FROM admins WHERE login = 'dep'")" = "$SECRET"
t=$(csrf)
req d POST /totp --data-urlencode "csrf=$t" --data-urlencode "code=000000"
[ "$(totp "$SECRET")" = 000000 ] && req d POST /totp --data-urlencode "csrf=$t" --data-urlencode "code=111111"
check "a wrong code is refused (401)" test "$(code)" = 401
check "...not enrolled yet" test "$(sql "SELECT totp_enrolled FROM admins WHERE login = 'dep'")" = 0
req d POST /totp --data-urlencode "code=$(totp "$SECRET")"
check "a code without the form token is refused (403)" test "$(code)" = 403
CODE=$(totp "$SECRET")
req d POST /totp --data-urlencode "csrf=$t" --data-urlencode "code=$CODE"
check "the right code enrols and logs in" test "$(code):$(hdr Location)" = "303:/dashboard"
cookie2=$(sed -n 's/^Set-Cookie: byod_admin=\([^;]*\);.*/\1/p' "$T/h" | tr -d '\r')
check "...with a new session id again" sh -c "[ -n '$cookie2' ] && [ '$cookie2' != '$cookie1' ]"
check "...enrolled in the registry" \
	test "$(sql "SELECT totp_enrolled FROM admins WHERE login = 'dep'")" = 1
check "...the login audited, the administrator as actor" \
	test "$(audit_count admin.login "object = 'dep' AND actor = 'admin:dep'")" = 1
req d GET /dashboard
check "the dashboard answers 200" test "$(code)" = 200
check "...the frame names the administrator" grep -q 'Admin dep' "$T/b"
check "...and the role" grep -q 'Département, tous les établissements' "$T/b"
for nav in 'Tableau de bord' Appareils Personnes Politique Journal; do
	check "...the navigation has $nav" grep -q ">$nav</a>" "$T/b"
done
check "...the current entry marked" grep -q 'aria-current="page">Tableau de bord' "$T/b"
check "the old session id is worth nothing" sh -c "
	curl -sk -o /dev/null -w '%{http_code}' -H 'Cookie: byod_admin=$cookie1' '$URL/dashboard' |
	grep -qx 303"

# ---- a replayed code -------------------------------------------------------
req d2 GET /login
req d2 POST /login --data-urlencode "csrf=$(csrf)" --data-urlencode "login=dep" \
	--data-urlencode "password=Dep-Secret-2026"
req d2 GET /totp
check "an enrolled administrator is asked for a code, no QR code" \
	sh -c "grep -q 'name=\"code\"' '$T/b' && ! grep -q '<svg' '$T/b'"
t=$(csrf)
req d2 POST /totp --data-urlencode "csrf=$t" --data-urlencode "code=$CODE"
check "the code used before is refused (401)" test "$(code)" = 401
check "...saying it was used" grep -q 'déjà servi' "$T/b"
check "...audited as a replay" test "$(audit_count admin.login-failed "after_json LIKE '%totp-replay%'")" = 1
req d2 POST /totp --data-urlencode "csrf=$t" --data-urlencode "code=$(totp "$SECRET" 1)"
check "the next code is taken" test "$(code):$(hdr Location)" = "303:/dashboard"

# ---- devices in scope ------------------------------------------------------
req d GET "/devices?q=pupil&lang=fr"
check "the language switch keeps the search" grep -q 'href="/devices?q=pupil&amp;lang=en"' "$T/b"
check "the département finds both schools' devices" \
	sh -c "grep -q '$DEV_A' '$T/b' && grep -q '$DEV_B' '$T/b'"
req d GET "/devices/$DEV_B"
check "...and opens either" test "$(code)" = 200
check "...with its explanation" grep -q 'Pourquoi il est dans ce segment' "$T/b"

# a school administrator: logged in with both factors (enrolled here by
# the test through the pages, as the first login does)
enrol() { # NAME LOGIN PASSWORD: the first login; sets ENROLLED_SECRET
	login_password "$1" "$2" "$3" || return 1
	ENROLLED_SECRET=$(secret_shown)
	local t
	t=$(csrf)
	req "$1" POST /totp --data-urlencode "csrf=$t" --data-urlencode "code=$(totp "$ENROLLED_SECRET")"
	[ "$(code)" = 303 ]
}
check "a school administrator logs in" enrol s sch 'Sch-Secret-2026'
req s GET "/devices?q=pupil"
check "...sees their school's device" grep -q "$DEV_A" "$T/b"
check "...not the other school's" sh -c "! grep -q '$DEV_B' '$T/b'"
before=$(audit_count admin.denied)
req s GET "/devices/$DEV_B"
check "another school's device by its id: 404" test "$(code)" = 404
check "...the same page as a device that does not exist" grep -q 'Page introuvable' "$T/b"
check "...and an audit row naming who asked" \
	test "$(audit_count admin.denied "actor = 'admin:sch' AND object = '$DEV_B'")" = 1
req s GET "/devices/$DEV_A"
t=$(csrf)
req s POST "/devices/$DEV_B" --data-urlencode "csrf=$t" --data-urlencode "action=suspend"
check "suspending another school's device: 404" test "$(code)" = 404
check "...nothing changed" \
	test "$(sql "SELECT state FROM devices WHERE id = '$DEV_B'")" = active
check "...audited ($(audit_count admin.denied) rows, $before before)" test "$(audit_count admin.denied)" -eq $((before + 2))
req s POST "/devices/$DEV_A" --data-urlencode "action=suspend"
check "a change without the form token is refused (403)" test "$(code)" = 403
req s POST "/devices/$DEV_A" --data-urlencode "csrf=$t" --data-urlencode "action=suspend"
check "the school administrator suspends their school's device" \
	test "$(code):$(hdr Location)" = "303:/devices/$DEV_A?ok=suspended"
check "...suspended in the registry" \
	test "$(sql "SELECT state FROM devices WHERE id = '$DEV_A'")" = suspended
check "...audited with the administrator as actor" \
	test "$(sql "SELECT count(*) FROM audit WHERE actor = 'admin:sch' AND object = '$DEV_A' AND action LIKE 'device.%'")" -ge 1
req s POST "/devices/$DEV_A" --data-urlencode "csrf=$t" --data-urlencode "action=resume"
check "...and resumes it" test "$(sql "SELECT state FROM devices WHERE id = '$DEV_A'")" = active

# ---- the audit log and people, in scope ------------------------------------------
req s GET "/audit?what=device."
check "the school administrator's audit log shows their school's device rows" \
	grep -q ">$DEV_A<" "$T/b"
check "...not the other school's" sh -c "! grep -q '$DEV_B' '$T/b'"
req s GET "/audit?school=0139999X"
check "...naming the other school in the filter: 404 (tests/admin/audit.sh: its audit row)" \
	sh -c "[ '$(code)' = 404 ] && ! grep -q '$DEV_B' '$T/b'"
req d GET "/audit?what=device.&school=0139999X"
check "the département's filter by school finds that school's rows" \
	sh -c "grep -q '>$DEV_B<' '$T/b' && ! grep -q '>$DEV_A<' '$T/b'"
before=$(audit_count admin.audit-export)
req s GET "/audit?what=device.&format=csv"
check "the CSV export is an attachment" \
	sh -c "[ '$(code)' = 200 ] && grep -qi '^Content-Disposition: attachment' '$T/h'"
check "...its header and the school's rows only" python3 - "$T/b" "$DEV_A" "$DEV_B" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8-sig"), delimiter=";"))
assert rows[0] == ["id", "time", "actor", "action", "object", "school", "before", "after"], rows[0]
objects = [r[4] for r in rows[1:]]
assert sys.argv[2] in objects and sys.argv[3] not in objects, objects
assert all(r[5] in ("0131234W",) for r in rows[1:]), rows
PY
check "...and the export is audited" test "$(audit_count admin.audit-export)" = $((before + 1))
req s GET "/people?q=pupil"
check "the school administrator's people: their school's pupil" grep -q '>a.pupil<' "$T/b"
check "...not the other school's" sh -c "! grep -q 'b.pupil' '$T/b'"
req d GET "/people?q=pupil"
check "the département's people: both" sh -c "grep -q '>a.pupil<' '$T/b' && grep -q '>b.pupil<' '$T/b'"

# every attempt of the school administrator at the other school, each
# asserted: STATUS METHOD PATH [FORM]; a 404 adds an audit row
SERIAL_B=$(json 'd["serial"]' <"$T/enrol.b.pupil")
req s GET /dashboard
t=$(csrf)
while read -r want method path form; do
	before=$(audit_count admin.denied "actor = 'admin:sch'")
	if [ "$method" = POST ]; then
		req s POST "$path" --data-urlencode "csrf=$t" --data-urlencode "$form"
	else
		req s GET "$path"
	fi
	check "school administrator, $method $path: $want" test "$(code)" = "$want"
	if [ "$want" = 404 ]; then
		check "...audited" test "$(audit_count admin.denied "actor = 'admin:sch'")" = $((before + 1))
	else
		# (what was typed is echoed in its field, nothing else)
		check "...shows nothing of the other school" \
			sh -c "! grep -qE '/devices/$DEV_B|>$DEV_B<|>b\.pupil<|Phone b\.pupil' '$T/b'"
	fi
done <<EOF_ATTEMPTS
404 GET /devices/$DEV_B
404 GET /devices/$SERIAL_B
404 POST /devices/$DEV_B action=revoke
404 POST /devices/$DEV_B action=resume
404 GET /people/b.pupil
200 GET /people?q=b.pupil
200 GET /devices?q=b.pupil
200 GET /devices?q=$SERIAL_B
200 GET /audit?object=$DEV_B
404 GET /audit?school=0139999X
EOF_ATTEMPTS
check "...the other school's device untouched" \
	test "$(sql "SELECT state FROM devices WHERE id = '$DEV_B'")" = active
req s GET /people/a.pupil
check "the school administrator opens their pupil's page" test "$(code)" = 200
check "...with the pupil's device" grep -q "/devices/$DEV_A" "$T/b"

# ---- the auditor changes nothing -------------------------------------------
check "the auditor logs in" enrol a aud 'Aud-Secret-2026'
req a GET "/devices/$DEV_A"
check "the auditor sees a device" test "$(code)" = 200
check "...without the buttons that change it" sh -c "! grep -q 'name=\"action\"' '$T/b'"
t=$(csrf)
for action in suspend revoke; do
	req a POST "/devices/$DEV_A" --data-urlencode "csrf=$t" --data-urlencode "action=$action"
	check "the auditor's $action is refused (403)" test "$(code)" = 403
done
check "...each audited" test "$(audit_count admin.denied "actor = 'admin:aud' AND after_json LIKE '%auditor%'")" = 2
check "...nothing changed" test "$(sql "SELECT state FROM devices WHERE id = '$DEV_A'")" = active
req a POST /logout --data-urlencode "csrf=$t"
check "the auditor may log out" test "$(code):$(hdr Location)" = "303:/login"
req a GET /dashboard
check "...and is logged out" test "$(code):$(hdr Location)" = "303:/login"

# ---- the API -----------------------------------------------------------------
TOKEN=$("$BYODCTL" admin token add sch --name "test script" 2>/dev/null)
api() { curl -sk -o "$T/b" -w '%{http_code}' "$@"; }
check "the API without a token: 401" test "$(api "$URL/api/v1/devices")" = 401
check "...with a made-up token: 401" \
	test "$(api -H "Authorization: Bearer x$TOKEN" "$URL/api/v1/devices")" = 401
check "the API with a school administrator's token: 200" \
	test "$(api -H "Authorization: Bearer $TOKEN" "$URL/api/v1/devices?q=pupil")" = 200
# the answer as admin/openapi.yaml says (a schema checked against the
# OpenAPI 3.0 specification, the answer against the schema)
schema_ok() { # POINTER (a JSON pointer into the spec): the JSON in $T/b matches it
	python3 - "$BYOD_SRC/admin/openapi.yaml" "$1" "$T/b" <<'PY'
import json, sys, yaml, jsonschema
spec = yaml.safe_load(open(sys.argv[1]))
root = {"$ref": "#" + sys.argv[2], "paths": spec["paths"], "components": spec["components"]}
jsonschema.Draft7Validator(root).validate(json.load(open(sys.argv[3])))
PY
}
check "admin/openapi.yaml is a valid OpenAPI 3.0 document" python3 -c '
import sys, yaml
from openapi_spec_validator import validate
validate(yaml.safe_load(open(sys.argv[1])))' "$BYOD_SRC/admin/openapi.yaml"
check "...the answer is as admin/openapi.yaml says" \
	schema_ok "/paths/~1devices/get/responses/200/content/application~1json/schema"
check "...their school's device only" \
	test "$(json '" ".join(x["id"] for x in d["devices"])' <"$T/b")" = "$DEV_A"
before=$(audit_count admin.denied "actor = 'admin:sch' AND object = '$DEV_B'")
check "...another school's device by id: 404" \
	test "$(api -H "Authorization: Bearer $TOKEN" "$URL/api/v1/devices/$DEV_B")" = 404
check "...the API refusal audited" \
	test "$(audit_count admin.denied "actor = 'admin:sch' AND object = '$DEV_B'")" = $((before + 1))
check "...its own school's device by id: 200" \
	test "$(api -H "Authorization: Bearer $TOKEN" "$URL/api/v1/devices/$DEV_A")" = 200
check "...as admin/openapi.yaml says" schema_ok "/components/schemas/Device"
check "...a refusal too" sh -c "
	curl -sk -o '$T/b' -D '$T/h' '$URL/api/v1/devices'
	grep -qi '^WWW-Authenticate: Bearer' '$T/h'"
check "...whose body is as admin/openapi.yaml says" schema_ok "/components/schemas/Error"
check "...a cookie is no way into the API" \
	test "$(api -b "$T/jar.d" "$URL/api/v1/devices")" = 401

# ---- idle expiry, logout -----------------------------------------------------
sql "UPDATE admin_sessions SET seen = seen - 3600 WHERE admin = (SELECT id FROM admins WHERE login = 'sch')"
req s GET /dashboard
check "a session idle for an hour is over" test "$(code):$(hdr Location)" = "303:/login"
req d2 GET /dashboard
check "a session within its lifetime goes on" test "$(code)" = 200
sql "UPDATE admin_sessions SET created = created - 86400 WHERE admin = (SELECT id FROM admins WHERE login = 'dep')"
req d2 GET /dashboard
check "a session past admin.session-max-s is over, however active" \
	test "$(code):$(hdr Location)" = "303:/login"
req d GET /dashboard
check "...every session of that age" test "$(code):$(hdr Location)" = "303:/login"
check "the expired sessions are gone from the registry" \
	test "$(sql "SELECT count(*) FROM admin_sessions WHERE admin = (SELECT id FROM admins WHERE login = 'dep')")" = 0
check "another administrator logs in" enrol d out 'Out-Secret-2026'
req d GET /dashboard
t=$(csrf)
req d POST /logout --data-urlencode "x=1"
check "a logout without its form token is refused (403, not $(code))" test "$(code)" = 403
req d POST /logout --data-urlencode "csrf=$t"
check "logout" test "$(code):$(hdr Location)" = "303:/login"
check "...the cookie cleared" grep -q '^Set-Cookie: byod_admin=; Path=/; HttpOnly; SameSite=Strict; Secure; Max-Age=0' "$T/h"
req d GET /dashboard
check "...the session gone" test "$(code):$(hdr Location)" = "303:/login"

# ---- the throttle, in keys of its own --------------------------------------
req z GET /login
t=$(csrf)
waited=
for i in 1 2 3 4 5 6 7 8; do
	req z POST /login --data-urlencode "csrf=$t" --data-urlencode "login=thr" --data-urlencode "password=wrong$i"
	[ "$(code)" = 429 ] && { waited=$i; break; }
done
check "after 4 failures an attempt must wait (429, at attempt ${waited:-none})" \
	sh -c "[ -n '$waited' ] && [ '$waited' -ge 5 ]"
check "...with Retry-After" test -n "$(hdr Retry-After)"
check "...saying so" grep -q 'Trop d’essais' "$T/b"
check "...counted apart from the portal's keys" \
	test "$(sql "SELECT count(*) FROM web_throttle WHERE key LIKE 'admin:pair:thr %'")" = 1

kill -HUP "$ADMIN_PID"
check "SIGHUP reads the certificate again" \
	wait_for 50 grep -q "reloaded the certificate" "$T/admin.log"
check "...and the console still answers over HTTPS" \
	sh -c "curl -sk -o /dev/null -w '%{http_code}' '$URL/login' | grep -qx 200"
[ -z "$REG_URL" ] || check "on PostgreSQL: no SQLite file was opened" test ! -e "$BYOD_HOME/registry.db"
check "byod-admin stops on SIGTERM" stop_admin
check "...and says so" grep -q 'stopping (SIGTERM)' "$T/admin.log"
finish
