# SPDX-License-Identifier: GPL-2.0-or-later
# byod-admin's import page in "Rentrée" mode (core's sync) driven with curl
# over HTTPS, a school's administrator logged in with password and TOTP: a
# file of the school's pupils previewed with its arrival, its departure
# (not the teacher, absent from a pupils' file, nor the other school's
# pupil) and its class change "4B → 3B", and a leaving-date field; a commit
# without the date refused (422, nothing written); with it, exactly that
# written, the date on the departure and in the audit; a commit after the
# registry changed a 409; a bad file every problem at its line. On the
# school's SQLite registry or (BYOD_ADMIN_REGISTRY=pg) on a PostgreSQL one.
. "$BYOD_SRC/tests/cli/lib.sh"
. "$BYOD_SRC/tests/admin/lib.sh"
init_school
A=0131234W
B=0139999X
cat >"$T/y1.csv" <<CSV
login,display_name,role,school,groups
a.one,Pupil One,student,$A,4B
a.two,Pupil Two,student,$A,4B
t.one,Teacher One,teacher,$A,4B 3B
b.one,Pupil B,student,$B,4B
CSV
registry_setup
"$BYODCTL" school add $B --name "Collège du Port" >/dev/null
"$BYODCTL" user import "$T/y1.csv" >/dev/null || { echo "import failed" >&2; exit 1; }
q() { sql "$1"; }
audit_count() { q "SELECT count(*) FROM audit WHERE action = '$1'${2:+ AND $2}"; }
add_admin sch school $A 'Sch-Secret-2026'
start_admin
enrol() { # NAME LOGIN PASSWORD: the first login (TOTP enrolment through the pages)
	login_password "$1" "$2" "$3" || return 1
	local t s
	s=$(secret_shown)
	t=$(csrf)
	req "$1" POST /totp --data-urlencode "csrf=$t" --data-urlencode "code=$(totp "$s")"
	[ "$(code)" = 303 ]
}
check "the school's administrator logs in" enrol s sch 'Sch-Secret-2026'
field() { sed -n "s/.*name=\"$1\" value=\"\\([^\"]*\\)\".*/\\1/p" "$T/b" | head -1; }
state() { q "SELECT state || ' ' || leaves_at || ' ' || \"groups\" FROM people WHERE login = '$1'"; }

req s GET /people-import
check "the import page offers the rentrée" grep -q 'name="mode" value="sync"' "$T/b"
t=$(csrf)

cat >"$T/y2.csv" <<CSV
login,display_name,role,school,groups
a.one,Pupil One,student,$A,3B
a.three,Pupil Three,student,$A,6A
CSV
req s POST /people-import --form-string "csrf=$t" --form-string "step=check" \
	--form-string "mode=sync" -F "file=@$T/y2.csv;type=text/csv"
check "the rentrée's preview (200)" test "$(code)" = 200
check "...one arrival" grep -q '<li id="n-arrivals">1 arrivée</li>' "$T/b"
check "...one departure" grep -q '<li id="n-departures">1 départ</li>' "$T/b"
check "...one class change" grep -q '<li id="n-classes">1 changement de classe</li>' "$T/b"
check "...the departure is a.two" grep -q '<tr class="departure"><td>a.two</td>' "$T/b"
check "...not the teacher" sh -c "! grep -q 't.one' '$T/b'"
check "...not the other school's pupil" sh -c "! grep -q 'b.one' '$T/b'"
check "...the class change 4B → 3B" grep -q '4B → 3B' "$T/b"
check "...a leaving-date field" grep -q 'type="date" id="leave_date" name="leave_date"' "$T/b"
check "...nothing written yet" test "$(q "SELECT count(*) FROM people WHERE login = 'a.three'")" = 0
CSV=$(field csv) DIGEST=$(field digest) MAC=$(field mac)
before=$(q "SELECT group_concat(login || state || leaves_at || \"groups\", ',') FROM people")

req s POST /people-import --form-string "csrf=$t" --form-string "step=commit" --form-string "mode=sync" \
	--form-string "csv=$CSV" --form-string "digest=$DIGEST" --form-string "mac=$MAC"
check "a commit without a leaving date: 422" test "$(code)" = 422
check "...says a date is needed" grep -q 'choisissez leur date de départ' "$T/b"
check "...nothing written" \
	test "$(q "SELECT group_concat(login || state || leaves_at || \"groups\", ',') FROM people")" = "$before"
req s POST /people-import --form-string "csrf=$t" --form-string "step=commit" --form-string "mode=import" \
	--form-string "csv=$CSV" --form-string "digest=$DIGEST" --form-string "mac=$MAC"
check "the rentrée's preview committed as a plain import: 400 (its HMAC is a sync's)" test "$(code)" = 400

req s POST /people-import --form-string "csrf=$t" --form-string "step=commit" --form-string "mode=sync" \
	--form-string "csv=$CSV" --form-string "digest=$DIGEST" --form-string "mac=$MAC" \
	--form-string "leave_date=2099-07-05"
check "the commit with a leaving date: 200" test "$(code)" = 200
check "...says what it did" sh -c "grep -q '1 compte créé' '$T/b' && grep -q '1 départ programmé' '$T/b'"
leave=$(python3 -c 'import calendar; print(calendar.timegm((2099, 7, 5, 0, 0, 0)))')
check "...a.three arrived" test "$(state a.three)" = "active 0 6A"
check "...a.one in 3B" test "$(state a.one)" = "active 0 3B"
check "...a.two leaves on 2099-07-05 00:00 UTC" test "$(state a.two)" = "active $leave 4B"
check "...the teacher untouched" test "$(state t.one)" = "active 0 4B 3B"
check "...the other school's pupil untouched" test "$(state b.one)" = "active 0 4B"
check "...the departure audited with its date" \
	test "$(audit_count person.leave "object = 'a.two' AND actor = 'admin:sch' AND after_json LIKE '%2099-07-05T00:00:00Z%'")" = 1
check "...and the rentrée as a whole" \
	test "$(audit_count admin.people.sync "actor = 'admin:sch' AND school = '$A'")" = 1

# the registry changes between the preview and the commit: 409
printf 'login,role,school,groups\na.one,student,%s,3C\na.three,student,%s,6A\n' $A $A >"$T/y3.csv"
req s POST /people-import --form-string "csrf=$t" --form-string "step=check" \
	--form-string "mode=sync" -F "file=@$T/y3.csv"
CSV=$(field csv) DIGEST=$(field digest) MAC=$(field mac)
"$BYODCTL" user add a.four --role student --school $A >/dev/null
req s POST /people-import --form-string "csrf=$t" --form-string "step=commit" --form-string "mode=sync" \
	--form-string "csv=$CSV" --form-string "digest=$DIGEST" --form-string "mac=$MAC" \
	--form-string "leave_date=2099-07-05"
check "a commit after the registry changed: 409" test "$(code)" = 409
check "...the new preview has the new departure" grep -q '<tr class="departure"><td>a.four</td>' "$T/b"
check "...nothing written" test "$(state a.one)" = "active 0 3B"

# a bad file: every problem at its line, nothing written
printf 'login,role,school,groups\nx.one,wizard,%s,6A\nx.two,student,12345,6A\n' $A >"$T/bad.csv"
req s POST /people-import --form-string "csrf=$t" --form-string "step=check" \
	--form-string "mode=sync" -F "file=@$T/bad.csv"
check "a bad file: 422" test "$(code)" = 422
check "...2 problems listed" test "$(grep -o '<tr class="problem">' "$T/b" | wc -l)" = 2
check "...line 2, column 2: the role" grep -q '<tr class="problem"><td>2</td><td>2</td>' "$T/b"
check "...line 3, column 3: the school" grep -q '<tr class="problem"><td>3</td><td>3</td>' "$T/b"
check "the console stops cleanly" stop_admin
finish
