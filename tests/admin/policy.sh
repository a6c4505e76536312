# SPDX-License-Identifier: GPL-2.0-or-later
# byod-admin's policy pages driven with curl over HTTPS (password + TOTP):
# a text that does not check shows each message at its line and column
# (as byodctl policy check gives them) and is not applied; a good one
# shows its impact, is applied with a comment, appears in the history,
# and decides the school's devices (byodctl policy explain); a stale form
# is refused with the line diff; rollback; back to the département's
# default; a school administrator never reaches another school's policy
# (404 and an audit row, on a page, a version, a POST and the API); the
# auditor reads and cannot apply (403).
. "$BYOD_SRC/tests/cli/lib.sh"
. "$BYOD_SRC/tests/admin/lib.sh"
init_school
A=0131234W
B=0139999X
"$BYODCTL" school add $B --name "Collège du Port" >/dev/null
DB="$BYOD_HOME/registry.db"
sql() { sqlite3 "$DB" "$1"; }
audit_count() { sql "SELECT count(*) FROM audit WHERE action = '$1'${2:+ AND $2}"; }
versions() { sql "SELECT count(*) FROM policies"; }
# the page's hidden expected version
expected() { sed -n 's/.*name="expected" value="\([0-9]*\)".*/\1/p' "$T/b" | head -1; }

"$BYODCTL" user add lea --role student --school $A --group 4B >/dev/null
"$BYODCTL" user add max --role student --school $B --group 4B >/dev/null
for p in lea max; do
	"$BYODCTL" device enrol $p --name "phone-$p" --kind phone --out "$T/dev" --json >"$T/$p.json" ||
		{ echo "enrol failed" >&2; exit 1; }
done
LEA=$(json 'd["device"]' <"$T/lea.json")
MAX=$(json 'd["device"]' <"$T/max.json")

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
  - name: no-phones
    match: { role: student, kind: phone }
    action: reject
default: registration
YAML
# two problems: a segment no one defined, a kind that does not exist
cat >"$T/bad.yaml" <<'YAML'
segments:
  registration: { vlan: 10, subnet: 10.10.0.0/22 }
rules:
  - name: phones
    match: { role: student, kind: fone }
    segment: nowhere
default: registration
YAML
"$BYODCTL" policy apply "$T/dept.yaml" --comment "département" >/dev/null ||
	{ echo "policy apply failed" >&2; exit 1; }

add_admin dep departement "" 'Dep-Secret-2026'
add_admin sch school $A 'Sch-Secret-2026'
add_admin aud auditor "" 'Aud-Secret-2026'
start_admin
# the JSON in $T/b as admin/openapi.yaml says at POINTER (a JSON pointer)
schema_ok() {
	python3 - "$BYOD_SRC/admin/openapi.yaml" "$1" "$T/b" <<'PY'
import json, sys, yaml, jsonschema
spec = yaml.safe_load(open(sys.argv[1]))
root = {"$ref": "#" + sys.argv[2], "paths": spec["paths"], "components": spec["components"]}
jsonschema.Draft7Validator(root).validate(json.load(open(sys.argv[3])))
PY
}
enrol() { # NAME LOGIN PASSWORD: the first login with its TOTP enrolment
	login_password "$1" "$2" "$3" || return 1
	local s t
	s=$(secret_shown)
	t=$(csrf)
	req "$1" POST /totp --data-urlencode "csrf=$t" --data-urlencode "code=$(totp "$s")"
	[ "$(code)" = 303 ]
}
check "the département logs in" enrol d dep 'Dep-Secret-2026'
check "the school administrator logs in" enrol s sch 'Sch-Secret-2026'
check "the auditor logs in" enrol a aud 'Aud-Secret-2026'

# ---- the list ----------------------------------------------------------------
req d GET /policy
check "the département's list of policies: 200" test "$(code)" = 200
check "...the default first" grep -q 'href="/policy/default"' "$T/b"
check "...and every school" sh -c "grep -q 'href=\"/policy/$A\"' '$T/b' && grep -q 'href=\"/policy/$B\"' '$T/b'"
check "...each running the département's" test "$(grep -o 'celle du département' "$T/b" | wc -l)" = 2
req s GET /policy
check "a school administrator's list: their school" grep -q "href=\"/policy/$A\"" "$T/b"
check "...not the other" sh -c "! grep -q '$B' '$T/b'"
check "...nor the default" sh -c "! grep -q 'href=\"/policy/default\"' '$T/b'"

# ---- the editor: the running text ------------------------------------------------
req d GET /policy/$A
check "A's editor: 200" test "$(code)" = 200
check "...the running text in the text area" grep -q 'match: { role: student, kind: phone }' "$T/b"
check "...loaded with the running version (1)" test "$(expected)" = 1
check "...its numbered listing" grep -q '<li id="L8"><code>default: registration</code>' "$T/b"
check "...the history's first version by byodctl" sh -c "grep -A0 -q 'département' '$T/b'"

# ---- a text that does not check ------------------------------------------------
"$BYODCTL" policy check "$T/bad.yaml" >"$T/check.out" 2>&1
POSITIONS=$(sed -n 's/^[^:]*:\([0-9]*\):\([0-9]*\): .*/\1:\2/p' "$T/check.out" | grep -v '^$' | sort -u)
check "byodctl finds the bad text's problems ($(echo $POSITIONS))" test "$(echo "$POSITIONS" | wc -l)" -ge 2
t=$(csrf)
req d POST /policy/$A --data-urlencode "csrf=$t" --data-urlencode "expected=1" \
	--data-urlencode "text@$T/bad.yaml" --data-urlencode "comment=essai" --data-urlencode "action=apply"
check "applying a text that does not check: 422" test "$(code)" = 422
check "...says nothing was applied" grep -q 'rien n’a été appliqué' "$T/b"
for pos in $POSITIONS; do
	check "...the message at $pos (as byodctl check)" grep -q "<code class=\"pos\">$pos</code>" "$T/b"
	check "...linked to line ${pos%%:*} of the listing" grep -q "<a href=\"#L${pos%%:*}\">ligne ${pos%%:*}, colonne ${pos#*:}</a>" "$T/b"
	check "...which is marked" grep -q "<li id=\"L${pos%%:*}\" class=\"bad\">" "$T/b"
done
check "...the text kept in the area" grep -q 'segment: nowhere' "$T/b"
check "...not applied: still one version" test "$(versions)" = 1
req d POST /policy/$A --data-urlencode "csrf=$t" --data-urlencode "expected=1" \
	--data-urlencode "text@$T/bad.yaml" --data-urlencode "action=preview"
check "previewing it: 422 with the same messages" \
	sh -c "[ '$(code)' = 422 ] && grep -q 'class=\"pos\"' '$T/b'"

# ---- a good text: impact, then apply with a comment --------------------------------
req d POST /policy/$A --data-urlencode "csrf=$t" --data-urlencode "expected=1" \
	--data-urlencode "text@$T/college.yaml" --data-urlencode "action=preview"
check "previewing a good text: 200" test "$(code)" = 200
check "...it checks" grep -q 'Le texte passe la vérification' "$T/b"
check "...one device of A's one changes decision" grep -q '1 appareil sur 1 change de décision' "$T/b"
check "...from pupils to refused" grep -q '<tr class="move"><td>pupils</td><td>refusé</td><td>1</td>' "$T/b"
check "...naming lea's phone" grep -q "href=\"/devices/$LEA\"" "$T/b"
check "...not B's" sh -c "! grep -q '$MAX' '$T/b'"
check "...and nothing applied yet" test "$(versions)" = 1
# a legal text with a warning (MAC authentication into pupils): shown, not a refusal
cat >"$T/warn.yaml" <<'YAML'
segments:
  registration: { vlan: 10, subnet: 10.10.0.0/22 }
  pupils: { vlan: 20, subnet: 10.20.0.0/16 }
rules:
  - name: by-mac
    match: { method: mac, role: student }
    segment: pupils
default: registration
YAML
"$BYODCTL" policy check "$T/warn.yaml" >"$T/check.out" 2>&1
WPOS=$(sed -n 's/^[^:]*:\([0-9]*\):\([0-9]*\): warning: .*/\1:\2/p' "$T/check.out" | head -1)
req d POST /policy/$A --data-urlencode "csrf=$t" --data-urlencode "expected=1" \
	--data-urlencode "text@$T/warn.yaml" --data-urlencode "action=preview"
check "a text with a warning ($WPOS) previews: 200" test "$(code)" = 200
check "...the warning at its line and column" \
	sh -c "[ -n '$WPOS' ] && grep -q '1 avertissement' '$T/b' && grep -q '<code class=\"pos\">$WPOS</code>' '$T/b'"
req d POST /policy/$A --data-urlencode "csrf=$t" --data-urlencode "expected=1" \
	--data-urlencode "text@$T/college.yaml" --data-urlencode "action=apply"
check "applying without a comment: 422" test "$(code)" = 422
check "...not applied" test "$(versions)" = 1
req d POST /policy/$A --data-urlencode "csrf=$t" --data-urlencode "expected=1" \
	--data-urlencode "text@$T/college.yaml" --data-urlencode "comment=pas de téléphone en classe" \
	--data-urlencode "action=apply"
check "applying with a comment: 303 to the editor" test "$(code):$(hdr Location)" = "303:/policy/$A?ok=applied"
check "...A's own version 2 in the registry" \
	test "$(sql "SELECT version || ' ' || school || ' ' || comment FROM policies ORDER BY version DESC LIMIT 1")" = "2 $A pas de téléphone en classe"
check "...its text the one sent, byte for byte" \
	test "$(sql "SELECT source = CAST(readfile('$T/college.yaml') AS TEXT) FROM policies WHERE version = 2")" = 1
check "...audited as the administrator, in A's rows" \
	test "$(audit_count policy.apply "actor = 'admin:dep' AND school = '$A' AND object = '2'")" = 1
req d GET "/policy/$A?ok=applied"
check "the editor says so" grep -q 'La nouvelle version est appliquée' "$T/b"
check "...runs A's own" grep -q 'propre à l’établissement' "$T/b"
check "...the history: version 2, its author and comment" \
	grep -q '>2</a> <strong>(en cours)</strong></td><td><time[^<]*</time></td><td>admin:dep</td><td>pas de téléphone en classe' "$T/b"
req d GET /policy/$A/2
check "version 2 shown: 200" test "$(code)" = 200
check "...its text numbered" grep -q '<li id="L7"><code>    action: reject</code>' "$T/b"

# the school's devices are decided by it, the other school's are not
"$BYODCTL" policy explain "$LEA" >"$T/explain" 2>&1
check "byodctl policy explain: lea's phone refused by A's rule" grep -q 'no-phones' "$T/explain"
"$BYODCTL" policy explain "$MAX" >"$T/explain" 2>&1
check "...max's phone still under the default's rule" grep -q 'phones' "$T/explain"
check "...not A's" sh -c "! grep -q 'no-phones' '$T/explain'"
"$BYODCTL" policy explain "$MAX" --school $A >"$T/explain" 2>&1
check "...explain --school A puts it under A's" grep -q 'no-phones' "$T/explain"
# and the console's device page says the same
req d GET "/devices/$LEA"
check "the console explains lea's phone by A's own policy, version 2" \
	sh -c "grep -q 'no-phones' '$T/b' && grep -q 'Décidé par la politique propre à l’établissement, version 2.' '$T/b'"
req d GET "/devices/$MAX"
check "...and max's by the département's, not A's" \
	sh -c "! grep -q 'no-phones' '$T/b' && grep -q 'Décidé par la politique du département, version 1.' '$T/b'"

# ---- a stale form ----------------------------------------------------------------
req s GET /policy/$A
check "the school administrator's editor loaded at version 2" test "$(expected)" = 2
ts=$(csrf)
sed 's/action: reject/segment: registration/' "$T/college.yaml" >"$T/college3.yaml"
"$BYODCTL" policy apply "$T/college3.yaml" --school $A --comment "par byodctl" >/dev/null
check "meanwhile byodctl applies version 3" test "$(versions)" = 3
sed 's/name: no-phones/name: phones-closed/' "$T/college.yaml" >"$T/mine.yaml"
req s POST /policy/$A --data-urlencode "csrf=$ts" --data-urlencode "expected=2" \
	--data-urlencode "text@$T/mine.yaml" --data-urlencode "comment=le mien" --data-urlencode "action=apply"
check "the stale form is refused (409)" test "$(code)" = 409
check "...nothing applied" test "$(versions)" = 3
check "...saying version 2 then, 3 now" grep -q 'version 2 alors, version 3 maintenant' "$T/b"
check "...the line the other one removed" \
	grep -q '<tr class="del"><td>7</td><td></td><td><code><del><span class="mark">− </span>    action: reject</del>' "$T/b"
check "...the line it added" \
	grep -q '<tr class="add"><td></td><td>7</td><td><code><ins><span class="mark">+ </span>    segment: registration</ins>' "$T/b"
check "...only those two lines changed" \
	test "$(grep -o '<tr class="\(add\|del\)">' "$T/b" | wc -l)" = 2
check "...the administrator's text kept" grep -q 'name: phones-closed' "$T/b"
check "...the form now loaded with version 3" test "$(expected)" = 3
req s POST /policy/$A --data-urlencode "csrf=$ts" --data-urlencode "expected=3" \
	--data-urlencode "text@$T/mine.yaml" --data-urlencode "comment=le mien" --data-urlencode "action=apply"
check "applied again with the difference seen: 303" test "$(code)" = 303
check "...version 4, the school administrator's" \
	test "$(sql "SELECT author FROM policies WHERE version = 4")" = "admin:sch"

# ---- rollback and back to the default -------------------------------------------------
req d GET /policy/$A
t=$(csrf)
req d POST /policy/$A --data-urlencode "csrf=$t" --data-urlencode "expected=3" \
	--data-urlencode "action=rollback" --data-urlencode "version=2"
check "a rollback from a stale page: 409" test "$(code)" = 409
check "...nothing stored" test "$(versions)" = 4
req d POST /policy/$A --data-urlencode "csrf=$t" --data-urlencode "expected=4" \
	--data-urlencode "action=rollback" --data-urlencode "version=2"
check "rollback to version 2: 303" test "$(code):$(hdr Location)" = "303:/policy/$A?ok=rolledback"
check "...version 5 has version 2's text" \
	test "$(sql "SELECT count(*) FROM policies a, policies b WHERE a.version = 5 AND b.version = 2 AND a.source = b.source AND a.school = '$A'")" = 1
req d POST /policy/$A --data-urlencode "csrf=$t" --data-urlencode "expected=5" \
	--data-urlencode "action=rollback" --data-urlencode "version=1"
check "a rollback to the default's version 1 from A's page: 404" test "$(code)" = 404
req d POST /policy/$A --data-urlencode "csrf=$t" --data-urlencode "expected=5" --data-urlencode "action=default"
check "back to the département's policy: 303" test "$(code):$(hdr Location)" = "303:/policy/$A?ok=default"
check "...a version that follows the default" \
	test "$(sql "SELECT follows_default FROM policies WHERE version = 6 AND school = '$A'")" = 1
"$BYODCTL" policy explain "$LEA" >"$T/explain" 2>&1
check "...lea's phone under the default's rule again" sh -c "! grep -q 'no-phones' '$T/explain' && grep -q 'phones' '$T/explain'"
req d GET /policy/$A
check "...the page says A runs the département's" grep -q 'celle du département' "$T/b"
check "...and offers no way back to it" sh -c "! grep -q 'value=\"default\"' '$T/b'"

# ---- the default's editor is the département's -------------------------------------------
req d GET /policy/default
check "the département edits the default: 200" \
	sh -c "[ '$(code)' = 200 ] && grep -q '<textarea' '$T/b'"

# ---- another school's policy --------------------------------------------------------------
for path in /policy/$B /policy/default /policy/$B/1 /policy/0000000X "/policy/$A/1"; do
	before=$(audit_count admin.denied "actor = 'admin:sch'")
	req s GET "$path"
	check "a school administrator's GET $path: 404" test "$(code)" = 404
	check "...audited" test "$(audit_count admin.denied "actor = 'admin:sch'")" = $((before + 1))
done
req s GET /policy/$A
t=$(csrf)
n=$(versions)
req s POST /policy/$B --data-urlencode "csrf=$t" --data-urlencode "expected=1" \
	--data-urlencode "text@$T/college.yaml" --data-urlencode "comment=x" --data-urlencode "action=apply"
check "...a POST to B's policy: 404" test "$(code)" = 404
check "...audited naming B" test "$(audit_count admin.denied "actor = 'admin:sch' AND object = '$B'")" -ge 2
check "...nothing applied" test "$(versions)" = "$n"

# ---- the auditor reads only --------------------------------------------------------------
req a GET /policy/$A
check "the auditor reads A's policy: 200" test "$(code)" = 200
check "...without the editor" sh -c "! grep -q '<textarea' '$T/b' && ! grep -q 'name=\"action\"' '$T/b'"
check "...with the listing and history" sh -c "grep -q 'id=\"L1\"' '$T/b' && grep -q 'id=\"history\"' '$T/b'"
t=$(csrf)
before=$(audit_count admin.denied "actor = 'admin:aud'")
req a POST /policy/$A --data-urlencode "csrf=$t" --data-urlencode "expected=6" \
	--data-urlencode "text@$T/college.yaml" --data-urlencode "comment=x" --data-urlencode "action=apply"
check "the auditor's apply is refused (403)" test "$(code)" = 403
check "...audited" test "$(audit_count admin.denied "actor = 'admin:aud'")" = $((before + 1))
check "...nothing applied" test "$(versions)" = "$n"

# ---- the API ---------------------------------------------------------------------------
TOKEN=$("$BYODCTL" admin token add sch --name "policy script" 2>/dev/null)
api() { curl -sk -o "$T/b" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$URL$1"; }
check "GET /api/v1/policy/$A: 200" test "$(api /api/v1/policy/$A)" = 200
check "...A runs the default's version 1" \
	test "$(json '"%s %s %s" % (d["version"], d["follows_default"], d["runs"])' <"$T/b")" = "1 True default"
check "...with its text" test "$(json 'd["text"]' <"$T/b")" = "$(cat "$T/dept.yaml")"
check "...as admin/openapi.yaml says" schema_ok "/components/schemas/Policy"
before=$(audit_count admin.denied "actor = 'admin:sch'")
check "GET /api/v1/policy/$B: 404" test "$(api /api/v1/policy/$B)" = 404
check "...audited" test "$(audit_count admin.denied "actor = 'admin:sch'")" = $((before + 1))
check "GET /api/v1/policy/default for a school: 404" test "$(api /api/v1/policy/default)" = 404

check "byod-admin stops on SIGTERM" stop_admin
finish
