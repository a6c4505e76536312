# SPDX-License-Identifier: GPL-2.0-or-later
# byodctl user sync: the rentrée from the year's export. A first import,
# then a file of pupils with an arrival, a departure and a class change;
# a teacher (not in a pupils' file) and a pupil of another school are not
# touched. The dry run writes nothing, --apply exactly that; a bad file
# lists every problem with its line and writes nothing. Then user leave and
# user departures: a date in the past disables and revokes.
. "$(dirname "$0")/lib.sh"
init_school
A=0131234W
B=0750654D
"$BYODCTL" school add $B --name "Collège Voltaire" >/dev/null || { echo "school add failed" >&2; exit 1; }

cat >"$T/y1.csv" <<CSV
login,display_name,role,school,groups
lea.martin,Léa Martin,student,$A,4B
hugo.bernard,Hugo Bernard,student,$A,4B
ines.petit,Inès Petit,student,$A,3A
m.durand,Marc Durand,teacher,$A,4B 3A
zoe.roux,Zoé Roux,student,$B,5C
CSV
expect_ok "the first import" "$BYODCTL" user import "$T/y1.csv"
expect_ok "hugo's phone" "$BYODCTL" device enrol hugo.bernard --name Phone --out "$T/dev"

# next year's pupils of school A: hugo has left, lea moves up, sam arrives
cat >"$T/y2.csv" <<CSV
login,display_name,role,school,groups
lea.martin,Léa Martin,student,$A,3B
ines.petit,Inès Petit,student,$A,3A
sam.leroy,Sam Leroy,student,$A,6A
CSV
snapshot() { "$BYODCTL" user list --json >"$1"; }
field() { json "[u['$2'] for u in d if u['login']=='$1'][0]" <"$3"; }
snapshot "$T/before.json"

expect_ok "the dry run" "$BYODCTL" user sync "$T/y2.csv"
check "the counts" grep -q "1 arrival, 1 departure, 1 class change, 0 other changes" "$T/out"
check "the arrival" grep -Eq "^arrival +sam.leroy" "$T/out"
check "the departure" grep -Eq "^departure +hugo.bernard" "$T/out"
check "the class change" grep -Eq "^class +lea.martin +4B -> 3B" "$T/out"
check "the teacher is not a departure" bash -c "! grep -q m.durand '$T/out'"
check "the other school's pupil is not a departure" bash -c "! grep -q zoe.roux '$T/out'"
snapshot "$T/after-dry.json"
check "the dry run wrote nothing" cmp -s "$T/before.json" "$T/after-dry.json"

expect_fail "a departure needs a date" "leave-date" "$BYODCTL" user sync "$T/y2.csv" --apply
expect_fail "a date that is not one" "not a date" \
	"$BYODCTL" user sync "$T/y2.csv" --apply --leave-date 2026-13-45
snapshot "$T/after-nodate.json"
check "still nothing written" cmp -s "$T/before.json" "$T/after-nodate.json"

# --school B: a file of school A's rows is refused for school B
expect_fail "a row of another school than --school" "3 problems" \
	"$BYODCTL" user sync "$T/y2.csv" --school $B
check "the row's school named" grep -q "y2.csv:2:4: column 'school': the school '$A'" "$T/out"

expect_ok "the sync applied" "$BYODCTL" user sync "$T/y2.csv" --apply --leave-date 2099-07-05
check "what it did" grep -q "synced: 1 added, 1 changed, 1 leaving on 2099-07-05T00:00:00Z" "$T/out"
snapshot "$T/after.json"
check "sam arrived" test "$(field sam.leroy groups "$T/after.json")" = 6A
check "lea in 3B" test "$(field lea.martin groups "$T/after.json")" = 3B
check "hugo still active until his date" test "$(field hugo.bernard state "$T/after.json")" = active
check "the teacher untouched" test "$(field m.durand state "$T/after.json")" = active
check "zoe untouched" test "$(field zoe.roux state "$T/after.json")" = active
check "six accounts" test "$(json 'len(d)' <"$T/after.json")" = 6
"$BYODCTL" audit --json >"$T/audit.json"
check "the departure audited with its date" \
	test "$(json "[a['after']['leaves_at'] for a in d if a['action']=='person.leave' and a['object']=='hugo.bernard'][0]" <"$T/audit.json")" = 2099-07-05T00:00:00Z
check "the teacher has no leaving date" \
	test "$(json "len([a for a in d if a['action']=='person.leave' and a['object']!='hugo.bernard'])" <"$T/audit.json")" = 0

# the same file again: nothing left to do but hugo's date, the same
expect_ok "the sync again" "$BYODCTL" user sync "$T/y2.csv"
check "no arrival, no change the second time" \
	grep -q "0 arrivals, 1 departure, 0 class changes, 0 other changes" "$T/out"

# hugo back in the file: his leaving date is cancelled
printf 'hugo.bernard,Hugo Bernard,student,%s,3B\n' $A >>"$T/y2.csv"
expect_ok "hugo returns (dry run)" "$BYODCTL" user sync "$T/y2.csv"
check "his date cancelled" grep -Eq "^return +hugo.bernard" "$T/out"
expect_ok "hugo returns" "$BYODCTL" user sync "$T/y2.csv" --apply
"$BYODCTL" audit --json >"$T/audit.json"
check "the cancellation audited" \
	test "$(json "[a for a in d if a['action']=='person.leave' and a['object']=='hugo.bernard'][0]['after'].get('leaves_at')" <"$T/audit.json")" = None

# a bad file: every problem with its line, nothing written
snapshot "$T/before-bad.json"
cat >"$T/bad.csv" <<CSV
login,role,school,groups
new.one,student,$A,6B
new.two,pupil,$A,6B
new.three,student,0999999Z,6B
new.one,student,$A,6C
CSV
expect_fail "a bad file" "3 problems, nothing written" \
	"$BYODCTL" user sync "$T/bad.csv" --apply --leave-date 2099-07-05
check "the role's line" grep -q "bad.csv:3:2: column 'role'" "$T/out"
check "the school's line" grep -q "bad.csv:4:3: column 'school'" "$T/out"
check "the login twice" grep -q "bad.csv:5:1: .*line 2" "$T/out"
snapshot "$T/after-bad.json"
check "the bad file wrote nothing" cmp -s "$T/before-bad.json" "$T/after-bad.json"

# a date already past: disabled at once, devices revoked
cat >"$T/y3.csv" <<CSV
login,role,school,groups
lea.martin,student,$A,3B
ines.petit,student,$A,3A
sam.leroy,student,$A,6A
CSV
expect_ok "hugo leaves today" "$BYODCTL" user sync "$T/y3.csv" --apply --leave-date 2020-01-01
check "disabled at once" grep -q "1 disabled now (1 device revoked)" "$T/out"
"$BYODCTL" device list --owner hugo.bernard --json >"$T/dev.json"
check "his phone revoked" test "$(json 'd[0]["state"]' <"$T/dev.json")" = revoked
snapshot "$T/after3.json"
check "hugo disabled" test "$(field hugo.bernard state "$T/after3.json")" = disabled

# user leave and user departures, as the daily job runs them
expect_ok "ines' phone" "$BYODCTL" device enrol ines.petit --name Phone --out "$T/dev2"
expect_ok "ines leaves in the future" "$BYODCTL" user leave ines.petit 2099-01-01
expect_ok "nothing due" "$BYODCTL" user departures
check "nobody yet" grep -q "^0 people disabled, 0 devices revoked" "$T/out"
expect_ok "ines leaves in the past" "$BYODCTL" user leave ines.petit 2021-01-01
expect_fail "one who has left enrols no device" "has left" \
	"$BYODCTL" device enrol ines.petit --name Tablet --out "$T/dev3"
expect_ok "departures due" "$BYODCTL" user departures
check "ines disabled" grep -q "^1 person disabled, 1 device revoked" "$T/out"
expect_fail "an unknown login" "no account" "$BYODCTL" user leave nobody 2021-01-01
finish
