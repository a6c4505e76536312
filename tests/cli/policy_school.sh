# SPDX-License-Identifier: GPL-2.0-or-later
# byodctl policy ... --school UAI: a school's own policy replaces the
# département's default for that school only; history, show, rollback,
# diff and explain per school; back to the default; a stale apply
# (--expect) is refused and stores nothing.
. "$(dirname "$0")/lib.sh"
init_school
A=0131234W
B=0750654D
"$BYODCTL" school add $B --name "Collège Henri-IV" >/dev/null
"$BYODCTL" user add lea --role student --school $A --group 4B >/dev/null
"$BYODCTL" user add max --role student --school $B --group 4B >/dev/null
enrol() {
	"$BYODCTL" device enrol "$1" --name "$2" --kind phone --out "$T/dev" --json >"$T/$2.json" ||
		{ echo "enrol failed" >&2; exit 1; }
	json 'd["device"]' <"$T/$2.json"
}
lea_phone=$(enrol lea phone-lea)
max_phone=$(enrol max phone-max)

cat >"$T/dept.yaml" <<'YAML'
segments:
  registration: { vlan: 10, subnet: 10.10.0.0/22 }
  pupils: { vlan: 20, subnet: 10.20.0.0/16 }
rules:
  - name: phones
    match: { role: student, kind: phone }
    segment: pupils
default: registration
YAML
cat >"$T/college.yaml" <<'YAML'
segments:
  registration: { vlan: 10, subnet: 10.10.0.0/22 }
  pupils: { vlan: 20, subnet: 10.20.0.0/16 }
rules:
  - name: class-opened
    match: { role: student, kind: phone, unlock: teacher }
    segment: pupils
  - name: no-phones
    match: { role: student, kind: phone }
    action: reject
default: registration
YAML

expect_ok "apply the default" "$BYODCTL" policy apply "$T/dept.yaml" --comment "département"
check "the default is version 1" grep -q "as policy version 1$" "$T/out"
expect_ok "show --school before the school has its own" "$BYODCTL" policy show --school $A
check "...shows the default's text" cmp "$T/out" "$T/dept.yaml"
check "...and says it is the default's" grep -q "$A runs the département's default, version 1" "$T/err"
expect_ok "explain A's phone" "$BYODCTL" policy explain "$lea_phone"
check "...under the default" grep -q "under policy version 1 (the département's default)" "$T/out"
check "...in the pupils' segment" grep -q "decision: pupils (VLAN 20), by rule 'phones'" "$T/out"

expect_ok "diff A's own" "$BYODCTL" policy diff "$T/college.yaml" --school $A --list
check "...moves A's phone only" grep -q "$lea_phone .*pupils -> reject" "$T/out"
check "...and counts A's devices only" grep -q "^1 of 1 devices change" "$T/out"

expect_ok "apply A's own" "$BYODCTL" policy apply "$T/college.yaml" --school $A --expect 1
check "...as version 2 of A" grep -q "as policy version 2 of $A$" "$T/out"
expect_ok "explain A's phone under A's own" "$BYODCTL" policy explain "$lea_phone"
check "...names A's policy" grep -q "under policy version 2 (the policy of $A)" "$T/out"
check "...and why the class rule did not match" \
	grep -q "rule 'class-opened' (line 5): no teacher has opened the class" "$T/out"
check "...refused by no-phones" grep -q "decision: reject, by rule 'no-phones'" "$T/out"
expect_ok "explain B's phone" "$BYODCTL" policy explain "$max_phone"
check "...B still runs the default" grep -q "under policy version 1 (the département's default)" "$T/out"
expect_ok "explain B's phone under A's policy" "$BYODCTL" policy explain "$max_phone" --school $A
check "...names A's policy" grep -q "under policy version 2 (the policy of $A)" "$T/out"
"$BYODCTL" policy show >"$T/shown.yaml"
check "show without --school is the default" cmp "$T/shown.yaml" "$T/dept.yaml"
"$BYODCTL" policy show --school $A >"$T/shown.yaml"
check "show --school is the school's own" cmp "$T/shown.yaml" "$T/college.yaml"
"$BYODCTL" policy history --json >"$T/hist.json"
check "history without --school: the default's versions" \
	test "$(json '" ".join(str(v["version"]) for v in d)' <"$T/hist.json")" = "1"
"$BYODCTL" policy history --school $A --json >"$T/hist.json"
check "history --school: A's versions, the running one marked" \
	test "$(json '" ".join("%d %s %s" % (v["version"], v["running"], v["school"]) for v in d)' <"$T/hist.json")" = "2 True $A"

# a stale form: the editor loaded version 2, someone applied version 3 since
expect_ok "apply A's own again" "$BYODCTL" policy apply "$T/dept.yaml" --school $A --expect 2
expect_fail "a stale apply is refused" "changed since it was loaded \(version 2 then, 3 now\).*--version 3" \
	"$BYODCTL" policy apply "$T/college.yaml" --school $A --expect 2
"$BYODCTL" policy history --school $A --json >"$T/hist.json"
check "...and stores nothing" test "$(json 'len(d)' <"$T/hist.json")" = 2
expect_fail "a stale rollback neither" "changed since it was loaded" \
	"$BYODCTL" policy rollback 2 --school $A --expect 2
expect_ok "rollback A to version 2" "$BYODCTL" policy rollback 2 --school $A --expect 3
check "...as version 4 of A" grep -q "as version 4 of $A$" "$T/out"
expect_fail "rollback A to the default's version" "not one of the policy of $A" \
	"$BYODCTL" policy rollback 1 --school $A
expect_fail "an unknown school" "no school 0999999Z" \
	"$BYODCTL" policy apply "$T/college.yaml" --school 0999999Z
expect_fail "not a UAI" "not a UAI" "$BYODCTL" policy show --school nope

# back to the default
expect_ok "diff A back to the default" "$BYODCTL" policy diff --default --school $A
check "...moves A's phone back" grep -q "^1 device moves from reject to pupils" "$T/out"
expect_ok "A back to the default" "$BYODCTL" policy apply --default --school $A
check "...says so" grep -q "$A runs the département's default again (policy version 5)" "$T/out"
expect_ok "explain A's phone after" "$BYODCTL" policy explain "$lea_phone"
check "...under the default again" grep -q "under policy version 1 (the département's default)" "$T/out"
expect_fail "back to the default twice" "runs the département's default already" \
	"$BYODCTL" policy apply --default --school $A
"$BYODCTL" policy history --school $A >"$T/hist.txt"
check "history says A runs the default" grep -q "$A runs the département's default, version 1" "$T/hist.txt"
check "history shows the version that followed it" grep -q "^  5 .*(the département's default)" "$T/hist.txt"

# a new default moves only the schools that run it
sed 's/segment: pupils/segment: registration/' "$T/dept.yaml" >"$T/dept2.yaml"
expect_ok "apply A's own once more" "$BYODCTL" policy apply "$T/college.yaml" --school $A
expect_ok "diff a new default" "$BYODCTL" policy diff "$T/dept2.yaml" --list
check "...moves B's phone" grep -q "$max_phone .*pupils -> registration" "$T/out"
check "...not A's" test "$(grep -c ' -> ' "$T/out")" -eq 1

"$BYODCTL" audit --json >"$T/audit.json"
check "every apply is audited" test \
	"$(json 'len([a for a in d if a["action"]=="policy.apply"])' <"$T/audit.json")" = 6
check "and on the change feed" test "$("$BYODCTL" events | grep -c ' policy.apply ')" = 6

finish
