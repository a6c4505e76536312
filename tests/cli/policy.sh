# SPDX-License-Identifier: GPL-2.0-or-later
# byodctl policy ...: check, apply, history, show, rollback, explain and diff
# against a registry with enrolled devices.
. "$(dirname "$0")/lib.sh"
init_school
example="$BYOD_SRC/examples/policy.yaml"
"$BYODCTL" user add lea --role student --school 0131234W --group 4B >/dev/null
"$BYODCTL" user add hugo --role student --school 0131234W --group 4B >/dev/null
"$BYODCTL" user add durand --role teacher --school 0131234W >/dev/null
enrol() {
	"$BYODCTL" device enrol "$1" --name "$2" --kind "$3" --out "$T/dev" --json >"$T/$2.json" ||
		{ echo "enrol failed" >&2; exit 1; }
	json 'd["device"]' <"$T/$2.json"
}
lea_phone=$(enrol lea phone-lea phone)
hugo_phone=$(enrol hugo phone-hugo phone)
durand_laptop=$(enrol durand laptop-durand laptop)
"$BYODCTL" device revoke "$hugo_phone" >/dev/null

expect_ok "the example policy checks" "$BYODCTL" policy check "$example"
check "check says what it read" grep -q "5 segments" "$T/out"
check "the example admits MAB nowhere but registration: no warning" test ! -s "$T/err"

# MAB admitted elsewhere than registration: a warning, and the policy still checks
cat >"$T/mab.yaml" <<'YAML'
segments:
  registration: { vlan: 10, subnet: 10.10.0.0/22 }
  teachers: { vlan: 30, subnet: 10.30.0.0/20 }
  printers: { vlan: 40, subnet: 10.40.0.0/24 }
rules:
  - name: printers by MAC
    match: { method: mac, kind: other }
    segment: printers
  - name: teachers
    match: { role: teacher }
    segment: teachers
default: registration
YAML
expect_ok "a policy admitting MAB to the printers checks (exit 0)" "$BYODCTL" policy check "$T/mab.yaml"
check "...with a warning at the rule's position" grep -q \
	"^$T/mab.yaml:6:5: warning: rule 'printers by MAC' admits method: mac to segment 'printers', not registration" "$T/err"
check "...one warning: a rule without method: mac admits no MAB of certificate holders" \
	test "$(wc -l <"$T/err")" -eq 1
check "...and says it is ok" grep -q "mab.yaml: ok (3 segments" "$T/out"

cat >"$T/bad.yaml" <<'YAML'
segments:
  reg: { vlan: 10, subnet: 10.10.0.1/22 }
  pupils: { vlan: 10, subnet: 10.20.0.0/16, allow: [web] }
rules:
  - name: all
    segment: pupils
  - name: teachers
    match: { role: teacher }
    segment: nowhere
YAML
if "$BYODCTL" policy check "$T/bad.yaml" >"$T/out" 2>"$T/err"; then
	ko "a bad policy checks"
else
	ok
fi
check "bad CIDR at its position" grep -q "bad.yaml:2:28: '10.10.0.1/22' has host bits set: did you mean 10.10.0.0/22?" "$T/err"
check "unknown service at its position" grep -q "bad.yaml:3:53: unknown service 'web'" "$T/err"
check "unknown segment at its position" grep -q "bad.yaml:9:14: unknown segment 'nowhere'" "$T/err"
check "no default" grep -q "bad.yaml:1:1: the policy has no default" "$T/err"
check "duplicate VLAN in the same pass" grep -q "bad.yaml:3:3: segments 'pupils' and 'reg' (line 2) share VLAN 10" "$T/err"
check "unreachable rule in the same pass" grep -q "bad.yaml:7:5: rule 'teachers' can never match" "$T/err"
check "one line per problem" test "$(wc -l <"$T/err")" -eq 6

expect_fail "show before any apply" "no policy" "$BYODCTL" policy show
expect_fail "explain before any apply" "no policy has been applied" \
	"$BYODCTL" policy explain "$lea_phone"

expect_ok "apply the example" "$BYODCTL" policy apply "$example" --comment "rentrée"
check "apply says version 1" grep -q "version 1" "$T/out"
if "$BYODCTL" policy apply "$T/bad.yaml" >"$T/out" 2>"$T/err"; then
	ko "a bad policy is applied"
else
	ok
fi
check "the refusal says the running policy stays" grep -q "6 problems; the running policy stays" "$T/err"
check "the refusal lists the problems" grep -q "bad.yaml:9:14" "$T/err"
"$BYODCTL" policy show >"$T/shown.yaml"
check "the running policy is still version 1" cmp "$T/shown.yaml" "$example"
"$BYODCTL" policy history --json >"$T/hist.json"
check "history has one version, running, with its comment" test \
	"$(json '" ".join("%d %s %s" % (v["version"], v["running"], v["comment"]) for v in d)' <"$T/hist.json")" = "1 True rentrée"

# Tuesday 1 December 2026, 10:00 in Paris
expect_ok "explain a pupil's phone in school hours" \
	"$BYODCTL" policy explain "$lea_phone" --at "2026-12-01T09:00:00Z"
check "the deciding rule" grep -q "decision: pupils (VLAN 20), by rule 'pupils in school hours'" "$T/out"
check "why an earlier rule did not match" \
	grep -q "rule 'teachers' (line [0-9]*): role is student, the rule wants teacher" "$T/out"
check "why the Wednesday rule did not match" \
	grep -q "outside schedule 'wednesday-afternoon' (Tuesday 10:00 in Europe/Paris)" "$T/out"
check "when the decision ends: 18:00 in Paris" grep -q "until: 2026-12-01T17:00:00Z" "$T/out"
expect_ok "explain by serial, on a Saturday" \
	"$BYODCTL" policy explain "$(json 'd["serial"]' <"$T/phone-lea.json")" --at "2026-12-05T10:00:00Z"
check "pupils are rejected outside school hours" grep -q "decision: reject, by rule 'pupils otherwise'" "$T/out"
expect_ok "explain the revoked phone" "$BYODCTL" policy explain "$hugo_phone" --at "2026-12-01T09:00:00Z"
check "revoked devices are rejected" grep -q "by rule 'revoked or retired devices'" "$T/out"
expect_ok "explain the teacher's laptop" "$BYODCTL" policy explain "$durand_laptop" --at "2026-12-01T09:00:00Z"
check "with its certificate: the teachers' segment" grep -q "decision: teachers (VLAN 30), by rule 'teachers'" "$T/out"
expect_ok "explain the teacher's laptop by MAC" \
	"$BYODCTL" policy explain "$durand_laptop" --method mac --at "2026-12-01T09:00:00Z"
check "by MAC: authenticating by mac" grep -q "authenticating by mac," "$T/out"
mab_line=$(grep -n '^mab-segment:' "$example" | cut -d: -f1)
check "by MAC it holds a certificate: registration, by mab-segment" grep -q \
	"decision: registration (VLAN 10), by mab-segment (line $mab_line): the device holds a certificate but connects by MAC, and rule 'teachers' names no method: mac" "$T/out"
expect_fail "explain by an unknown method" "not a method" \
	"$BYODCTL" policy explain "$durand_laptop" --method carrier-pigeon

# pupils go to the registration segment in school hours
sed 's/^    segment: pupils$/    segment: registration/' "$example" >"$T/new.yaml"
check "the edit changed something" sh -c "! cmp -s '$example' '$T/new.yaml'"
expect_ok "diff" "$BYODCTL" policy diff "$T/new.yaml" --at "2026-12-01T09:00:00Z"
check "the summary counts the move" grep -q "^1 device moves from pupils to registration$" "$T/out"
check "the total" grep -q "^1 of 3 devices change" "$T/out"
expect_ok "diff --list" "$BYODCTL" policy diff "$T/new.yaml" --list --at "2026-12-01T09:00:00Z"
check "the list names the device" grep -q "$lea_phone .*pupils -> registration" "$T/out"
check "the list names no other" test "$(grep -c ' -> ' "$T/out")" -eq 1
expect_ok "diff --json" "$BYODCTL" policy diff "$T/new.yaml" --json --at "2026-12-01T09:00:00Z"
check "diff --json" test "$(json '"%d %s" % (d["changed"], d["list"][0]["device"])' <"$T/out")" = "1 $lea_phone"
expect_ok "diff on a Saturday: nobody moves" "$BYODCTL" policy diff "$T/new.yaml" --at "2026-12-05T10:00:00Z"
check "nobody moves on Saturday" grep -q "^0 of 3 devices change" "$T/out"

expect_ok "apply the edit" "$BYODCTL" policy apply "$T/new.yaml"
expect_ok "explain after the edit" "$BYODCTL" policy explain "$lea_phone" --at "2026-12-01T09:00:00Z"
check "the pupil now lands in registration" grep -q "decision: registration (VLAN 10)" "$T/out"
expect_ok "rollback to version 1" "$BYODCTL" policy rollback 1
check "rollback runs it as version 3" grep -q "as version 3" "$T/out"
"$BYODCTL" policy show >"$T/shown.yaml"
check "the running text is version 1's" cmp "$T/shown.yaml" "$example"
"$BYODCTL" policy show --version 2 >"$T/v2.yaml"
check "version 2 is kept" cmp "$T/v2.yaml" "$T/new.yaml"
"$BYODCTL" policy history >"$T/hist.txt"
check "history marks version 3 running" grep -q '^\* 3 .*rollback to version 1' "$T/hist.txt"
expect_fail "rollback to a version that does not exist" "." "$BYODCTL" policy rollback 42

"$BYODCTL" audit --json >"$T/audit.json"
check "the audit log has three applies" test \
	"$(json 'len([a for a in d if a["action"]=="policy.apply"])' <"$T/audit.json")" = 3
check "the change feed has them" test "$("$BYODCTL" events | grep -c ' policy.apply ')" = 3

finish
