# SPDX-License-Identifier: GPL-2.0-or-later
# byodctl registry copy: a school's registry copied into another one that
# already holds a school (the département's: an SQLite file, or the
# PostgreSQL database BYOD_TEST_REGISTRY=postgresql://... names, empty at
# the start), then byodctl run against the copy shows the same devices,
# certificates, accounts and policy; a second copy, a taken login, a wrong
# school and a bad URL are refused in one sentence.
. "$(dirname "$0")/lib.sh"
: "${BYOD_SRC:?BYOD_SRC must name the source tree}"
init_school
school=$BYOD_HOME
dept="$T/dept"

# The school: the demo's accounts, three devices in three states, a policy.
"$BYODCTL" user import "$BYOD_SRC/examples/demo-accounts.csv" >/dev/null ||
	{ echo "import failed" >&2; exit 1; }
enrol() { "$BYODCTL" device enrol "$@" --out "$T/dev" | awk '/^device:/ {print $2}'; }
phone=$(enrol lea.martin --name "Téléphone de Léa" --kind phone --mac 02:00:00:00:aa:01)
laptop=$(enrol m.durand --name "Portable de M. Durand" --kind laptop --mac 02:00:00:00:aa:02)
tablet=$(enrol hugo.bernard --name "Tablette" --kind tablet)
"$BYODCTL" device suspend "$laptop" >/dev/null
"$BYODCTL" device revoke "$tablet" --reason lost >/dev/null
"$BYODCTL" policy apply "$BYOD_SRC/examples/policy.yaml" --comment "the school's" >/dev/null
check "three devices enrolled" test -n "$phone" -a -n "$laptop" -a -n "$tablet"

# The département's registry, with a school of its own and one device.
BYOD_HOME=$dept "$BYODCTL" init --school 0750654D --name "Collège du Vieux-Port" >/dev/null ||
	{ echo "init of the destination failed" >&2; exit 1; }
if [ -n "${BYOD_TEST_REGISTRY:-}" ]; then
	to=$BYOD_TEST_REGISTRY
	sed -i "s|^  backend: sqlite|  backend: postgres|; s|^  # conninfo: \"\"|  conninfo: \"$to\"|" \
		"$dept/byod.conf"
	BYOD_HOME=$dept "$BYODCTL" school add 0750654D --name "Collège du Vieux-Port" ||
		{ echo "the destination database is not empty" >&2; exit 1; }
else
	to="sqlite://$dept/registry.db"
fi
BYOD_HOME=$dept "$BYODCTL" user add nora.haddad --role student --school 0750654D >/dev/null
other=$(BYOD_HOME=$dept enrol nora.haddad --name "Autre" --mac 02:00:00:00:bb:01)
BYOD_HOME=$dept "$BYODCTL" device list --json >"$T/other-before.json"
BYOD_HOME=$dept "$BYODCTL" events >"$T/events-before"

expect_fail "a URL of no registry" "scheme 'mysql'" \
	"$BYODCTL" registry copy --to mysql://db/byod
expect_fail "a school the source does not hold" "source registry has no school 0750654D" \
	"$BYODCTL" registry copy --to "$to" --school 0750654D

# A login of the school already taken there: refused, nothing written.
BYOD_HOME="$T/clash" "$BYODCTL" init --school 0930001B --name "Lycée" >/dev/null
BYOD_HOME="$T/clash" "$BYODCTL" user add lea.martin --role student --school 0930001B >/dev/null
expect_fail "a login already in the destination" "login lea.martin already exists.*nothing was copied" \
	"$BYODCTL" registry copy --to "$T/clash/registry.db"
check "nothing was written there" \
	test "$(BYOD_HOME="$T/clash" "$BYODCTL" user list --json | json 'len(d)')" = 1

expect_ok "registry copy into the département's registry" \
	"$BYODCTL" registry copy --to "$to"
cp "$T/out" "$T/report"
check "the report names the school" grep -q "^copied 0131234W (Collège des Calanques) to " "$T/report"
check "the report counts the devices" grep -Eq '^devices +3  [0-9a-f]{64}$' "$T/report"
check "the report counts the certificates" grep -Eq '^certificates +3  [0-9a-f]{64}$' "$T/report"
check "the report counts the people" grep -Eq '^people +5  [0-9a-f]{64}$' "$T/report"
check "the report counts the policy" grep -Eq '^policies +1  [0-9a-f]{64}$' "$T/report"

# byodctl against the copy: the same devices, certificates and states.
"$BYODCTL" device list --json >"$T/school.json"
BYOD_HOME=$dept "$BYODCTL" device list --json >"$T/dept.json"
check "the copy lists the school's devices as the school does" python3 - "$T/school.json" "$T/dept.json" <<'PY'
import json, sys
school = json.load(open(sys.argv[1]))
dept = {d["id"]: d for d in json.load(open(sys.argv[2]))}
assert len(school) == 3
for d in school:
    assert dept[d["id"]] == d, (d, dept.get(d["id"]))
PY
check "the other school's device is untouched" python3 - "$T/other-before.json" "$T/dept.json" <<'PY'
import json, sys
before = json.load(open(sys.argv[1]))
after = {d["id"]: d for d in json.load(open(sys.argv[2]))}
assert len(before) == 1 and after[before[0]["id"]] == before[0]
PY
check "the suspended laptop is suspended in the copy" \
	test "$(BYOD_HOME=$dept "$BYODCTL" device list --state suspended --json | json 'd[0]["id"]')" = "$laptop"
"$BYODCTL" user list --json >"$T/users-school.json"
BYOD_HOME=$dept "$BYODCTL" user list --json >"$T/users-dept.json"
check "the accounts are the same" python3 - "$T/users-school.json" "$T/users-dept.json" <<'PY'
import json, sys
school = json.load(open(sys.argv[1]))
dept = {u["login"]: u for u in json.load(open(sys.argv[2]))}
assert len(school) == 5
for u in school:
    d = dict(dept[u["login"]]); s = dict(u)
    d.pop("id", None); s.pop("id", None)
    assert d == s, (s, d)
PY
"$BYODCTL" policy show >"$T/policy-school"
BYOD_HOME=$dept "$BYODCTL" policy show >"$T/policy-dept"
check "the running policy is the school's" cmp "$T/policy-school" "$T/policy-dept"
BYOD_HOME=$dept "$BYODCTL" events >"$T/events-after"
for id in "$phone" "$laptop" "$tablet"; do
	check "the change feed announces device $id" grep -q "device.add.*$id" "$T/events-after"
done
check "the change feed goes on after the old events" \
	test "$(wc -l <"$T/events-after")" -gt "$(wc -l <"$T/events-before")"
BYOD_HOME=$dept "$BYODCTL" audit --limit 1 >"$T/audit"
check "the copy is in the destination's audit log" grep -q "registry.copy" "$T/audit"

# The copy lives on its own: a change there leaves the school's registry alone.
expect_ok "suspend the phone in the copy" env BYOD_HOME="$dept" "$BYODCTL" device suspend "$phone"
check "the school's phone is still active" \
	test "$("$BYODCTL" device list --state active --json | json 'd[0]["id"]')" = "$phone"

expect_fail "a second copy of the same school" "already has a school 0131234W" \
	"$BYODCTL" registry copy --to "$to"
check "the destination's devices are still four" \
	test "$(BYOD_HOME=$dept "$BYODCTL" device list --json | json 'len(d)')" = 4

# A fresh file as the destination, by its plain path, with --json.
expect_ok "registry copy to a new file" "$BYODCTL" registry copy --to "$T/fresh.db" --json
check "the JSON report: every table's checksum read back equal" python3 - "$T/out" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["school"] == "0131234W" and r["whole-registry"]
for name, t in r["tables"].items():
    assert t["rows"] == t["destination-rows"] and t["sha256"] == t["destination-sha256"], name
assert r["tables"]["devices"]["rows"] == 3
PY
finish
