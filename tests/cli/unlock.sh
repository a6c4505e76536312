# SPDX-License-Identifier: GPL-2.0-or-later
# byodctl unlock open|close|list: a teacher opens one of their classes for
# 1 to 120 minutes, closes only their own, and the policy's unlock: teacher
# sees it (explain); every opening and closing is audited as the teacher.
. "$(dirname "$0")/lib.sh"
init_school
A=0131234W
"$BYODCTL" user add durand --role teacher --school $A --group 4B --group 3C >/dev/null
"$BYODCTL" user add martin --role teacher --school $A --group 4B >/dev/null
"$BYODCTL" user add lea --role student --school $A --group 4B >/dev/null
"$BYODCTL" device enrol lea --name phone-lea --kind phone --out "$T/dev" --json >"$T/lea.json" ||
	{ echo "enrol failed" >&2; exit 1; }
lea_phone=$(json 'd["device"]' <"$T/lea.json")
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
expect_ok "apply the collège's policy" "$BYODCTL" policy apply "$T/college.yaml" --school $A

expect_ok "nothing is open" "$BYODCTL" unlock list --json
check "...an empty list" test "$(json 'len(d)' <"$T/out")" = 0
expect_fail "a pupil cannot open" "only a teacher may open a class" \
	"$BYODCTL" unlock open --teacher lea --group 4B --minutes 10
expect_fail "a class that is not the teacher's" "the class 5A is not one of durand's" \
	"$BYODCTL" unlock open --teacher durand --group 5A --minutes 10
expect_fail "more than two hours" "1 to 120 minutes, not 121" \
	"$BYODCTL" unlock open --teacher durand --group 4B --minutes 121
expect_fail "no time" "1 to 120 minutes, not 0" \
	"$BYODCTL" unlock open --teacher durand --group 4B --minutes 0
expect_fail "an unknown teacher" "no account" \
	"$BYODCTL" unlock open --teacher nobody --group 4B --minutes 10
expect_fail "minutes must be a number" "not a number of minutes" \
	"$BYODCTL" unlock open --teacher durand --group 4B --minutes ten

expect_ok "durand opens 4B for 10 minutes" \
	"$BYODCTL" unlock open --teacher durand --group 4B --minutes 10 --json
id=$(json 'd["id"]' <"$T/out")
check "...for 4B of the school" test "$(json 'd["group"] + " " + d["school"] + " " + d["teacher"]' <"$T/out")" = "4B $A durand"
expect_ok "list" "$BYODCTL" unlock list --school $A
check "...shows it" grep -q "^$id .*4B .*durand" "$T/out"
expect_ok "explain the pupil's phone" "$BYODCTL" policy explain "$lea_phone"
check "...admitted by the class rule" grep -q "decision: pupils (VLAN 20), by rule 'class-opened'" "$T/out"
check "...which says the class is opened" \
	grep -q "matches: the class 4B is opened by a teacher until [0-9][0-9]:[0-9][0-9]" "$T/out"
check "...until the opening ends" grep -q "^until: " "$T/out"

expect_fail "martin cannot close durand's" "no unlock $id" \
	"$BYODCTL" unlock close "$id" --teacher martin
expect_ok "durand closes it" "$BYODCTL" unlock close "$id" --teacher durand
expect_fail "closed twice" "over already" "$BYODCTL" unlock close "$id" --teacher durand
expect_ok "list after" "$BYODCTL" unlock list --json
check "...empty again" test "$(json 'len(d)' <"$T/out")" = 0
expect_ok "explain after" "$BYODCTL" policy explain "$lea_phone"
check "...refused again" grep -q "decision: reject, by rule 'no-phones'" "$T/out"

"$BYODCTL" audit --json >"$T/audit.json"
check "opening and closing audited as the teacher" test \
	"$(json '" ".join(a["action"] for a in d if a["actor"]=="teacher:durand")' <"$T/audit.json")" = "unlock.end unlock.start"
check "on the change feed" test "$("$BYODCTL" events | grep -c ' unlock\.')" = 2
expect_fail "list of a bad school" "not a UAI" "$BYODCTL" unlock list --school x

finish
