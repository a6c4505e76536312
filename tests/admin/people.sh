# SPDX-License-Identifier: GPL-2.0-or-later
# byod-admin's People section driven with curl over HTTPS, each
# administrator logged in with password and TOTP: the search in scope;
# disable (the device then refused by core's admission, the change on the
# feed, the portal's sessions ended) and enable; a new password made and
# shown once, then used at byod-portal (and checked with libxcrypt through
# Python's crypt); a typed one; a login lock cleared (the portal refuses,
# then takes the password); the CSV import as an upload: a file of 3 bad
# rows shows the 3 problems at their line and column and changes nothing,
# a good file is previewed then committed, a tampered or stale commit is
# refused, a school administrator's row of another school is a problem;
# the auditor's every POST a 403 with an audit row; another school's
# person a 404 with an audit row, on the pages and through the API. On the
# school's SQLite registry or (BYOD_ADMIN_REGISTRY=pg) on a PostgreSQL one.
. "$BYOD_SRC/tests/cli/lib.sh"
. "$BYOD_SRC/tests/admin/lib.sh"
: "${BYOD_PORTAL:?BYOD_PORTAL must name the byod-portal binary}"
init_school
registry_setup
"$BYODCTL" school add 0139999X --name "Collège du Port" >/dev/null
q() { sql "$1"; }
audit_count() { q "SELECT count(*) FROM audit WHERE action = '$1'${2:+ AND $2}"; }
people_count() { q "SELECT count(*) FROM people"; }

# a pupil of each school with a device, a password and groups
for who in a.pupil:0131234W b.pupil:0139999X; do
	"$BYODCTL" user add "${who%%:*}" --role student --school "${who#*:}" --group 4B \
		--name "Pupil ${who%%:*}" --password-stdin <<<"Old-Pass-2026" >/dev/null
	"$BYODCTL" device enrol "${who%%:*}" --name "Phone ${who%%:*}" --out "$T/dev" --json \
		>"$T/enrol.${who%%:*}" || { echo "enrol failed" >&2; exit 1; }
done
DEV_A=$(json 'd["device"]' <"$T/enrol.a.pupil")
DEV_B=$(json 'd["device"]' <"$T/enrol.b.pupil")
"$BYODCTL" policy apply "$BYOD_SRC/examples/policy.yaml" --comment "test" >/dev/null ||
	{ echo "policy apply failed" >&2; exit 1; }

add_admin dep departement "" 'Dep-Secret-2026'
add_admin sch school 0131234W 'Sch-Secret-2026'
add_admin aud auditor "" 'Aud-Secret-2026'

# byod-portal beside the console, plain HTTP on loopback, for the pupil's logins
PORTAL_PORT=$(python3 -c '
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sed -i "s/^  http-port: .*/  http-port: $PORTAL_PORT/; s/^  https-port: .*/  https-port: 0/" \
	"$BYOD_HOME/byod.conf"
start_admin
"$BYOD_PORTAL" --home "$BYOD_HOME" 2>>"$T/portal.log" &
PORTAL_PID=$!
trap 'kill "$PORTAL_PID" 2>/dev/null; [ -n "$ADMIN_PID" ] && kill "$ADMIN_PID" 2>/dev/null; wait
	[ -z "$PG_DIR" ] || sh "$BYOD_SRC/scripts/pg-test-cluster" remove "$PG_DIR" >/dev/null 2>&1
	rm -rf "$T"' EXIT
for _ in $(seq 100); do
	curl -s -o /dev/null "http://127.0.0.1:$PORTAL_PORT/api/captive" && break
	kill -0 "$PORTAL_PID" 2>/dev/null || { cat "$T/portal.log" >&2; exit 1; }
	sleep 0.1
done
# portal_login LOGIN PASSWORD: a whole visit (page, form token, login) from
# 127.0.0.1; its status on stdout
portal_login() {
	local jar t
	jar=$(mktemp "$T/pjar.XXXXXX")
	t=$(curl -s -b "$jar" -c "$jar" -o - "http://127.0.0.1:$PORTAL_PORT/" |
		sed -n 's/.*name="csrf" value="\([A-Za-z0-9_-]*\)".*/\1/p' | head -1)
	curl -s -b "$jar" -c "$jar" -o "$T/portal.out" -w '%{http_code}' \
		--data-urlencode "csrf=$t" --data-urlencode "login=$1" \
		--data-urlencode "password=$2" "http://127.0.0.1:$PORTAL_PORT/login"
}
portal_logins() { audit_count portal.login "object = '$1'"; }

# enrol NAME LOGIN PASSWORD: the first login (TOTP enrolment through the pages)
enrol() {
	login_password "$1" "$2" "$3" || return 1
	local t s
	s=$(secret_shown)
	t=$(csrf)
	req "$1" POST /totp --data-urlencode "csrf=$t" --data-urlencode "code=$(totp "$s")"
	[ "$(code)" = 303 ]
}
# every problem key core gives the import, and the pages' keys made at run
# time, are in both catalogues
check "the import's problem keys are in po/fr.po and po/en.po" python3 - "$BYOD_SRC" <<'PY'
import re, sys
d = sys.argv[1]
keys = set(re.findall(r'"(import\.[a-z.-]+)"', open(d + "/core/import.c").read()))
keys |= {"person.ok." + k for k in ("disabled", "enabled", "unlocked", "password")}
for lang in ("fr", "en"):
    po = open("%s/admin/po/%s.po" % (d, lang)).read()
    missing = sorted(k for k in keys if 'msgid "%s"' % k not in po)
    if missing or len(keys) < 20:
        sys.exit("%s.po lacks %s (of %d keys)" % (lang, missing, len(keys)))
PY
check "the département's administrator logs in" enrol d dep 'Dep-Secret-2026'
check "a school's administrator logs in" enrol s sch 'Sch-Secret-2026'
check "the auditor logs in" enrol a aud 'Aud-Secret-2026'

# ---- the search, in scope ------------------------------------------------------
req d GET "/people?q=pupil"
check "the People page answers 200" test "$(code)" = 200
check "...in the frame, its entry marked" grep -q 'aria-current="page">Personnes' "$T/b"
check "the département finds both schools' pupils" \
	sh -c "grep -q '/people/a.pupil' '$T/b' && grep -q '/people/b.pupil' '$T/b'"
check "...and counts them" grep -q '2 personnes' "$T/b"
req s GET "/people?q=pupil"
check "a school administrator finds their school's pupil" grep -q '/people/a.pupil' "$T/b"
check "...not the other school's" sh -c "! grep -q 'b.pupil' '$T/b'"
req s GET "/people?school=0139999X"
check "...not even by naming the other school" sh -c "! grep -q 'b.pupil' '$T/b' && grep -q '0 personne' '$T/b'"
req d GET "/people?q=4B&role=teacher"
check "the role filter: no teacher in 4B" grep -q '0 personne' "$T/b"
req d GET "/people?q=4B&role=student&school=0139999X"
check "the group, role and school filters together" \
	sh -c "grep -q '/people/b.pupil' '$T/b' && ! grep -q '/people/a.pupil' '$T/b'"
req d GET "/people?state=disabled"
check "the state filter: nobody disabled yet" grep -q '0 personne' "$T/b"
# a search of more than a page: the next page keeps the search and its filters
{
	echo "login,display_name,role,school,groups"
	for i in $(seq 1 55); do echo "zz.eleve$i,Élève $i,student,0131234W,5C"; done
	echo "zz.prof,Prof,teacher,0131234W,5C"
} >"$T/many.csv"
"$BYODCTL" user import "$T/many.csv" >/dev/null || { echo "import of 56 failed" >&2; exit 1; }
# a login with an @ (an académie's mail address) has its page like any other
"$BYODCTL" user add marie.curie@ac-aix-marseille.fr --role teacher --school 0131234W \
	--name "Marie Curie" >/dev/null || { echo "user add failed" >&2; exit 1; }
req d GET "/people/marie.curie@ac-aix-marseille.fr"
check "a login with an @: its page (200, its name)" \
	sh -c "test \"\$(cat '$T/code')\" = 200 && grep -q 'Marie Curie' '$T/b'"
req d GET "/people?q=zz.&role=student"
check "a search of 55 pupils: the first 50, and a link to the next page" \
	sh -c "grep -q '55 personnes' '$T/b' && [ \$(grep -o 'href=\"/people/zz\\.eleve' '$T/b' | wc -l) = 50 ]"
next=$(sed -n 's/.*<a href="\(\/people?[^"]*page=1\)".*/\1/p' "$T/b" | head -1 | sed 's/&amp;/\&/g')
check "...the link keeps the search and the role ($next)" \
	sh -c "case '$next' in *q=zz.*role=student*page=1) ;; *) exit 1;; esac"
req d GET "$next"
check "...and leads to the last 5 pupils, not the teacher" \
	sh -c "[ \$(grep -o 'href=\"/people/zz\\.eleve' '$T/b' | wc -l) = 5 ] && ! grep -q 'zz.prof' '$T/b'"

# ---- another school's person ---------------------------------------------------
req s GET "/people/b.pupil"
check "another school's person by login: 404" test "$(code)" = 404
check "...the same page as a login that does not exist" grep -q 'Page introuvable' "$T/b"
check "...and an audit row naming who asked" \
	test "$(audit_count admin.denied "actor = 'admin:sch' AND object = 'b.pupil'")" = 1
req s GET "/people/nobody.here"
check "a login that does not exist: 404 too" test "$(code)" = 404
req s GET "/people/a.pupil"
t=$(csrf)
for action in disable password unlock; do
	req s POST "/people/b.pupil" --data-urlencode "csrf=$t" --data-urlencode "action=$action"
	check "another school's person, $action by form: 404" test "$(code)" = 404
done
check "...each audited" \
	test "$(audit_count admin.denied "actor = 'admin:sch' AND object = 'b.pupil'")" = 4
check "...nothing changed" test "$(q "SELECT state FROM people WHERE login = 'b.pupil'")" = active

# ---- a person's page ------------------------------------------------------------
req s GET "/people/a.pupil"
check "the person's page answers 200" test "$(code)" = 200
check "...with their device" grep -q "/devices/$DEV_A" "$T/b"
check "...their groups" grep -q '<dd>4B</dd>' "$T/b"
check "...their state" grep -q '<dd id="state">Actif</dd>' "$T/b"
check "...and the changes offered" grep -q 'value="disable"' "$T/b"

# ---- disable, enable ------------------------------------------------------------
seq0=$(q "SELECT coalesce(max(seq), 0) FROM events")
req s POST "/people/a.pupil" --data-urlencode "action=disable"
check "a change without its form token: 403" test "$(code)" = 403
check "...nothing changed" test "$(q "SELECT state FROM people WHERE login = 'a.pupil'")" = active
check "the pupil logs into the portal before" test "$(portal_login a.pupil Old-Pass-2026)" = 303
check "...a portal session of theirs exists" \
	test "$(q "SELECT count(*) FROM web_sessions WHERE person = (SELECT id FROM people WHERE login = 'a.pupil')")" -ge 1
req s POST "/people/a.pupil" --data-urlencode "csrf=$t" --data-urlencode "action=disable"
check "disable: 303 back to the page" test "$(code):$(hdr Location)" = "303:/people/a.pupil?ok=disabled"
check "...disabled in the registry" test "$(q "SELECT state FROM people WHERE login = 'a.pupil'")" = disabled
check "...on the change feed, for the RADIUS index and the gateways" \
	test "$(q "SELECT count(*) FROM events WHERE seq > $seq0 AND kind = 'person.state' AND object = 'a.pupil'")" = 1
check "...audited with the administrator as actor" \
	test "$(audit_count person.state "actor = 'admin:sch' AND object = 'a.pupil'")" = 1
check "...the portal's sessions of the person ended" \
	test "$(q "SELECT count(*) FROM web_sessions WHERE person = (SELECT id FROM people WHERE login = 'a.pupil')")" = 0
req s GET "/devices/$DEV_A"
check "...the device is refused now (the admission's explanation)" \
	sh -c "grep -q 'Refusé' '$T/b' && grep -q 'the account owning device $DEV_A is disabled' '$T/b'"
check "...the portal refuses the pupil" test "$(portal_login a.pupil Old-Pass-2026)" != 303
req s GET "/people/a.pupil?ok=disabled"
check "...the page says so" grep -q 'Compte désactivé' "$T/b"
req d GET "/people?state=disabled"
check "...and the state filter finds them" grep -q '/people/a.pupil' "$T/b"
req s POST "/people/a.pupil" --data-urlencode "csrf=$t" --data-urlencode "action=disable"
check "disabling twice: 409" test "$(code)" = 409
req s POST "/people/a.pupil" --data-urlencode "csrf=$t" --data-urlencode "action=enable"
check "enable: 303" test "$(code):$(hdr Location)" = "303:/people/a.pupil?ok=enabled"
check "...active in the registry" test "$(q "SELECT state FROM people WHERE login = 'a.pupil'")" = active
check "...on the change feed" \
	test "$(q "SELECT count(*) FROM events WHERE seq > $seq0 AND kind = 'person.state' AND object = 'a.pupil'")" = 2
req s GET "/devices/$DEV_A"
check "...the device no longer refused for its owner" \
	sh -c "grep -q 'Pourquoi il est dans ce segment' '$T/b' && ! grep -q 'Aucune politique' '$T/b' &&
	! grep -q 'the account owning device $DEV_A is disabled' '$T/b'"

# ---- a new password -------------------------------------------------------------
portal_login a.pupil Old-Pass-2026 >/dev/null
check "(the pupil has a portal session with the old password)" \
	test "$(q "SELECT count(*) FROM web_sessions WHERE person = (SELECT id FROM people WHERE login = 'a.pupil')")" -ge 1
req s POST "/people/a.pupil" --data-urlencode "csrf=$t" --data-urlencode "action=password"
check "a new password made by the console: 200" test "$(code)" = 200
NEW=$(sed -n 's/.*<code class="secret" id="new-password">\([^<]*\)<.*/\1/p' "$T/b")
check "...shown once ($NEW)" sh -c "echo '$NEW' | grep -qE '^[A-Za-z2-9]{4}-[A-Za-z2-9]{4}-[A-Za-z2-9]{4}$'"
check "...never cached" test "$(hdr Cache-Control)" = no-store
check "...the portal sessions opened with the old one ended" \
	test "$(q "SELECT count(*) FROM web_sessions WHERE person = (SELECT id FROM people WHERE login = 'a.pupil')")" = 0
HASH=$(q "SELECT password_hash FROM people WHERE login = 'a.pupil'")
check "...stored as yescrypt" test "${HASH:0:3}" = '$y$'
check "...which libxcrypt (Python's crypt) verifies" python3 -W ignore -c "
import crypt, sys
sys.exit(crypt.crypt(sys.argv[1], sys.argv[2]) != sys.argv[2])" "$NEW" "$HASH"
check "...audited with the administrator as actor" \
	test "$(audit_count person.password "actor = 'admin:sch' AND object = 'a.pupil'")" = 1
check "...and not in the audit row" test "$(q "SELECT count(*) FROM audit WHERE after_json LIKE '%$NEW%'")" = 0
check "...nor in the console's log" sh -c "! grep -q '$NEW' '$T/admin.log'"
before=$(portal_logins a.pupil)
check "the pupil logs into byod-portal with it" test "$(portal_login a.pupil "$NEW")" = 303
check "...the portal audits the login" test "$(portal_logins a.pupil)" = $((before + 1))
check "...the old password no longer works" test "$(portal_login a.pupil Old-Pass-2026)" != 303
req s GET "/people/a.pupil"
check "...and the page does not show it again" sh -c "! grep -q '$NEW' '$T/b'"
req s POST "/people/a.pupil" --data-urlencode "csrf=$t" --data-urlencode "action=password" \
	--data-urlencode "password=short"
check "a typed password too short: 422" test "$(code)" = 422
req s POST "/people/a.pupil" --data-urlencode "csrf=$t" --data-urlencode "action=password" \
	--data-urlencode "password=Typed-Pass-2026"
check "a typed password: 303" test "$(code):$(hdr Location)" = "303:/people/a.pupil?ok=password"
check "...the portal takes it" test "$(portal_login a.pupil Typed-Pass-2026)" = 303

# ---- a login lock --------------------------------------------------------------
now=$(date +%s)
q "DELETE FROM web_throttle WHERE key IN ('pair:a.pupil 127.0.0.1', 'login:a.pupil');
   INSERT INTO web_throttle VALUES ('pair:a.pupil 127.0.0.1', 10, $now, $((now + 3600)));
   INSERT INTO web_throttle VALUES ('login:a.pupil', 10, $now, 0)"
before=$(portal_logins a.pupil)
portal_login a.pupil Typed-Pass-2026 >/dev/null
check "a locked login: the portal does not take the right password" test "$(portal_logins a.pupil)" = "$before"
req s GET "/people/a.pupil"
check "the person's page shows the lock on the address" \
	grep -q '<li>127.0.0.1 : 10 échecs récents — <strong>bloquée jusqu’au</strong>' "$T/b"
check "...and the login's own failures" grep -q '<li>toutes adresses : 10 échecs récents</li>' "$T/b"
req s POST "/people/a.pupil" --data-urlencode "csrf=$t" --data-urlencode "action=unlock"
check "clear the lock: 303" test "$(code):$(hdr Location)" = "303:/people/a.pupil?ok=unlocked"
check "...the throttle rows of the login are gone" \
	test "$(q "SELECT count(*) FROM web_throttle WHERE key LIKE 'pair:a.pupil %' OR key = 'login:a.pupil'")" = 0
check "...audited as byodctl user unlock is, with the administrator as actor" \
	test "$(audit_count user.unlock "actor = 'admin:sch' AND object = 'a.pupil'")" = 1
req s GET "/people/a.pupil?ok=unlocked"
check "...the page says so, and shows no lock" \
	sh -c "grep -q 'Blocage de connexion levé' '$T/b' && grep -q '<dd id=\"throttle\"><ul><li>Aucun échec récent</li>' '$T/b'"
check "...the portal takes the password again" test "$(portal_login a.pupil Typed-Pass-2026)" = 303

# ---- the auditor ----------------------------------------------------------------
req a GET "/people/a.pupil"
check "the auditor sees a person" test "$(code)" = 200
check "...without the changes" sh -c "! grep -q 'name=\"action\"' '$T/b'"
ta=$(csrf)
before=$(audit_count admin.denied "actor = 'admin:aud'")
for action in disable enable password unlock; do
	req a POST "/people/a.pupil" --data-urlencode "csrf=$ta" --data-urlencode "action=$action"
	check "the auditor's $action: 403" test "$(code)" = 403
done
printf 'login,role,school\nx.aud,student,0131234W\n' >"$T/aud.csv"
req a POST /people-import --form-string "csrf=$ta" --form-string "step=check" -F "file=@$T/aud.csv"
check "the auditor's import: 403" test "$(code)" = 403
check "...each audited" \
	test "$(audit_count admin.denied "actor = 'admin:aud' AND after_json LIKE '%auditor%'")" = $((before + 5))
check "...nothing changed" test "$(q "SELECT state FROM people WHERE login = 'a.pupil'")" = active
check "...nothing imported" test "$(q "SELECT count(*) FROM people WHERE login = 'x.aud'")" = 0

# ---- the import: every problem, nothing written ---------------------------------
cat >"$T/bad.csv" <<'EOF'
login,display_name,role,school,groups
c.one,C One,student,0131234W,4B
Bad Login,B,student,0131234W,4B
c.two,C Two,student,0131234W,4B
c.three,C Three,wizard,0131234W,4B
c.four,C Four,student,12345,4B
EOF
n0=$(people_count)
req s GET /people-import
check "the import page answers 200" test "$(code)" = 200
check "...with an upload form" grep -q 'enctype="multipart/form-data"' "$T/b"
t=$(csrf)
req s POST /people-import --form-string "csrf=$t" --form-string "step=check" \
	-F "file=@$T/bad.csv;type=text/csv"
check "a file of 3 bad rows: 422" test "$(code)" = 422
check "...3 problems listed" test "$(grep -o '<tr class="problem">' "$T/b" | wc -l)" = 3
check "...line 3, column 1: the login" \
	grep -q '<tr class="problem"><td>3</td><td>1</td><td>« Bad Login » n’est pas un identifiant' "$T/b"
check "...line 5, column 3: the role" \
	grep -q '<tr class="problem"><td>5</td><td>3</td><td>rôle inconnu « wizard »' "$T/b"
check "...line 6, column 4: the school" \
	grep -q '<tr class="problem"><td>6</td><td>4</td><td>« 12345 » n’est pas un UAI' "$T/b"
check "...nothing written" test "$(people_count)" = "$n0"
check "...and no way to commit it" sh -c "! grep -q 'value=\"commit\"' '$T/b'"
req s POST /people-import --form-string "csrf=$t" --form-string "step=check" \
	--form-string "text=$(cat "$T/bad.csv")" -H 'Accept-Language: en'
check "the same pasted in the text area: the same 3 problems" \
	test "$(grep -o '<tr class="problem">' "$T/b" | wc -l)" = 3
req s POST /people-import --form-string "step=check" -F "file=@$T/bad.csv"
check "an upload without its form token: 403" test "$(code)" = 403

# a file the commit could not carry back under admin.body-limit (1 MiB)
python3 -c '
print("login,display_name,role,school,groups")
for i in range(16000):
    print("big.pupil%05d,Big Pupil %05d,student,0131234W,4B" % (i, i))' >"$T/big.csv"
req s POST /people-import --form-string "csrf=$t" --form-string "step=check" -F "file=@$T/big.csv"
check "a file too large to be carried back ($(stat -c %s "$T/big.csv") bytes): 413" \
	sh -c "[ '$(code)' = 413 ] && grep -q 'trop grand pour être confirmé' '$T/b' && ! grep -q 'value=\"commit\"' '$T/b'"
check "...nothing written" test "$(people_count)" = "$n0"

# ---- a school administrator's row of another school -----------------------------
printf 'login,role,school\nc.mine,student,0131234W\nc.theirs,student,0139999X\n' >"$T/other.csv"
req s POST /people-import --form-string "csrf=$t" --form-string "step=check" -F "file=@$T/other.csv"
check "a school administrator's row of another school: refused (422)" test "$(code)" = 422
check "...a problem at line 3, column 3" \
	grep -q '<tr class="problem"><td>3</td><td>3</td><td>l’établissement « 0139999X » n’est pas l’un des vôtres' "$T/b"
check "...nothing written" test "$(q "SELECT count(*) FROM people WHERE login IN ('c.mine', 'c.theirs')")" = 0
printf 'login,role,school\nb.pupil,teacher,0131234W\n' >"$T/steal.csv"
req s POST /people-import --form-string "csrf=$t" --form-string "step=check" -F "file=@$T/steal.csv"
check "another school's login taken into one's own school: refused (422)" \
	sh -c "[ '$(code)' = 422 ] && grep -q 'appartient à un compte d’un autre établissement' '$T/b'"
check "...the account untouched" test "$(q "SELECT school || ' ' || role FROM people WHERE login = 'b.pupil'")" = "0139999X student"

# ---- a good file: preview, then commit -----------------------------------------
cat >"$T/good.csv" <<'EOF'
login;display_name;role;school;groups;password
c.new;Camille New;élève;0131234W;4C;New-Pass-2026
a.pupil;Pupil a.pupil;student;0131234W;4B latin;ignored
EOF
req s POST /people-import --form-string "csrf=$t" --form-string "step=check" -F "file=@$T/good.csv"
check "a good file: its preview (200)" test "$(code)" = 200
check "...one account to add" grep -q '<li id="n-adds">1 compte à créer</li>' "$T/b"
check "...one account changed" grep -q '<li id="n-updates">1 compte modifié</li>' "$T/b"
check "...its groups, before and after" grep -q '4B → 4B latin' "$T/b"
check "...the page that carries the file is not cached" test "$(hdr Cache-Control)" = no-store
check "...nothing written yet" test "$(q "SELECT count(*) FROM people WHERE login = 'c.new'")" = 0
field() { sed -n "s/.*name=\"$1\" value=\"\\([^\"]*\\)\".*/\\1/p" "$T/b" | head -1; }
CSV=$(field csv) DIGEST=$(field digest) MAC=$(field mac)
cp "$T/b" "$T/preview"
# a file other than the one previewed, with the preview's digest and HMAC
OTHER=$(printf 'login,role,school\nevil,staff,0131234W\n' | base64 -w0)
req s POST /people-import --form-string "csrf=$t" --form-string "step=commit" \
	--form-string "csv=$OTHER" --form-string "digest=$DIGEST" --form-string "mac=$MAC"
check "a commit of another file than the one shown: 400" test "$(code)" = 400
check "...nothing written" test "$(q "SELECT count(*) FROM people WHERE login IN ('evil', 'c.new')")" = 0
# the registry changes between the preview and the commit
q "UPDATE people SET display_name = 'Renamed' WHERE login = 'a.pupil'"
req s POST /people-import --form-string "csrf=$t" --form-string "step=commit" \
	--form-string "csv=$CSV" --form-string "digest=$DIGEST" --form-string "mac=$MAC"
check "a commit after the registry changed: 409" test "$(code)" = 409
check "...with the new preview" sh -c "grep -q 'ont changé depuis l’aperçu' '$T/b' && grep -q 'Renamed → Pupil a.pupil' '$T/b'"
check "...nothing written" test "$(q "SELECT count(*) FROM people WHERE login = 'c.new'")" = 0
CSV=$(field csv) DIGEST=$(field digest) MAC=$(field mac)
audits=$(audit_count person.add "actor = 'admin:sch'")
req s POST /people-import --form-string "csrf=$t" --form-string "step=commit" \
	--form-string "csv=$CSV" --form-string "digest=$DIGEST" --form-string "mac=$MAC"
check "the commit of the new preview: 200" test "$(code)" = 200
check "...says what it did" sh -c "grep -q '1 compte créé' '$T/b' && grep -q '1 compte modifié' '$T/b'"
check "...the account added" test "$(q "SELECT role || ' ' || \"groups\" FROM people WHERE login = 'c.new'")" = "student 4C"
check "...the account changed" test "$(q "SELECT display_name || '/' || \"groups\" FROM people WHERE login = 'a.pupil'")" = "Pupil a.pupil/4B latin"
check "...which kept its password" test "$(portal_login a.pupil Typed-Pass-2026)" = 303
check "...the new account's password works at the portal" test "$(portal_login c.new New-Pass-2026)" = 303
check "...each row audited with the administrator as actor: the account added" \
	test "$(audit_count person.add "actor = 'admin:sch'")" = $((audits + 1))
check "...and the account changed" \
	test "$(audit_count person.update "actor = 'admin:sch' AND object = 'a.pupil'")" = 1
check "...and the import as a whole" \
	test "$(audit_count admin.people.import "actor = 'admin:sch' AND school = '0131234W'")" = 1
check "...on the change feed" \
	test "$(q "SELECT count(*) FROM events WHERE kind = 'person.update' AND object = 'a.pupil'")" = 1
CSV0=$(sed -n 's/.*name="csv" value="\([^"]*\)".*/\1/p' "$T/preview" | head -1)
DIGEST0=$(sed -n 's/.*name="digest" value="\([^"]*\)".*/\1/p' "$T/preview" | head -1)
MAC0=$(sed -n 's/.*name="mac" value="\([^"]*\)".*/\1/p' "$T/preview" | head -1)
req d POST /people-import --form-string "csrf=$t" --form-string "step=commit" \
	--form-string "csv=$CSV0" --form-string "digest=$DIGEST0" --form-string "mac=$MAC0"
check "another administrator cannot commit that preview (its token and HMAC are not theirs)" \
	test "$(code)" = 403

# ---- the API ---------------------------------------------------------------------
# oas PATH STATUS: the answer in $T/b against admin/openapi.yaml's schema
# for it (openapi-schema-validator, OpenAPI 3.0)
oas() {
	python3 - "$BYOD_SRC/admin/openapi.yaml" "$1" "$2" "$T/b" <<'PY'
import json, sys, yaml
from openapi_schema_validator import OAS30Validator, validate
spec = yaml.safe_load(open(sys.argv[1]))
r = spec["paths"][sys.argv[2]]["get"]["responses"][sys.argv[3]]
if "$ref" in r:
    r = spec["components"]["responses"][r["$ref"].rsplit("/", 1)[1]]
schema = dict(r["content"]["application/json"]["schema"], components=spec["components"])
validate(json.load(open(sys.argv[4])), schema, cls=OAS30Validator)
PY
}
if python3 -c 'import openapi_spec_validator, openapi_schema_validator' 2>/dev/null; then
	check "admin/openapi.yaml is a valid OpenAPI 3.0 document" python3 -c "
import yaml, sys
from openapi_spec_validator import validate
validate(yaml.safe_load(open(sys.argv[1])))" "$BYOD_SRC/admin/openapi.yaml"
else
	echo "openapi-spec-validator is not installed: the answers are not checked against openapi.yaml" >&2
	oas() { :; }
fi
TOKEN=$("$BYODCTL" admin token add sch --name "people script" 2>/dev/null)
api() { curl -sk -o "$T/b" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$@"; }
check "GET /api/v1/people?q=pupil: 200" test "$(api "$URL/api/v1/people?q=pupil")" = 200
check "...their school's pupil only" \
	test "$(json '" ".join(x["login"] for x in d["people"])' <"$T/b")" = a.pupil
check "...as openapi.yaml describes it" oas /people 200
check "GET /api/v1/people/a.pupil: 200" test "$(api "$URL/api/v1/people/a.pupil")" = 200
check "...with the device" test "$(json 'd["devices"][0]["id"]' <"$T/b")" = "$DEV_A"
check "...and the groups" test "$(json 'd["groups"]' <"$T/b")" = "4B latin"
check "...as openapi.yaml describes it" oas '/people/{login}' 200
before=$(audit_count admin.denied "actor = 'admin:sch' AND object = 'b.pupil'")
check "another school's person through the API: 404" \
	test "$(api "$URL/api/v1/people/b.pupil")" = 404
check "...audited" test "$(audit_count admin.denied "actor = 'admin:sch' AND object = 'b.pupil'")" = $((before + 1))
check "...as openapi.yaml describes it" oas '/people/{login}' 404
check "a bad filter: 400" test "$(api "$URL/api/v1/people?role=wizard")" = 400
check "...as openapi.yaml describes it" oas /people 400
check "without a token: 401" test "$(curl -sk -o /dev/null -w '%{http_code}' "$URL/api/v1/people")" = 401

finish
