# SPDX-License-Identifier: GPL-2.0-or-later
# byod-admin's Journal driven with curl over HTTPS (password + TOTP): the
# filters (who, what, school, period) against the registry's own count;
# paging by id without overlap or gap; the scope (a school administrator
# never sees another school's rows, nor rows of no school; another
# school named in the filter is a 404 and an audit row); the CSV export of
# the same filter parsed back by Python's csv module (BOM, ';' or ',',
# the formula guard on = + - @); the API's audit rows; and a class's
# sheet of one-time codes (scope, the auditor refused, its rows in the
# Journal).
. "$BYOD_SRC/tests/cli/lib.sh"
. "$BYOD_SRC/tests/admin/lib.sh"
init_school
A=0131234W
B=0139999X
"$BYODCTL" school add $B --name "Collège du Port" >/dev/null
DB="$BYOD_HOME/registry.db"
sql() { sqlite3 "$DB" "$1"; }
audit_count() { sql "SELECT count(*) FROM audit WHERE action = '$1'${2:+ AND $2}"; }

"$BYODCTL" user add lea --name "Lea Martin" --role student --school $A --group 4B >/dev/null
"$BYODCTL" user add leo --name "Leo Petit" --role student --school $A --group 4B >/dev/null
"$BYODCTL" user add ana --name "Ana Roux" --role student --school $A --group 3A >/dev/null
"$BYODCTL" user add max --name "Max Durand" --role student --school $B --group 4B >/dev/null
for p in lea max; do
	"$BYODCTL" device enrol $p --name "phone-$p" --kind phone --out "$T/dev" --json >"$T/$p.json" ||
		{ echo "enrol failed" >&2; exit 1; }
done
MAX=$(json 'd["device"]' <"$T/max.json")
"$BYODCTL" device suspend "$MAX" >/dev/null 2>&1 || "$BYODCTL" device revoke "$MAX" >/dev/null

# rows a spreadsheet would run as formulas, in A's rows, on one day of January
JAN=$(date -d '2026-01-15 10:00' +%s)
sql "INSERT INTO audit (time, actor, action, object, school, after_json) VALUES
	($JAN, 'import:=cmd', 'test.formula', '=HYPERLINK(\"http://x\";\"y\")', '$A', '{\"note\":\"a;b\"}'),
	($JAN, 'import:+1', 'test.formula', '+33 6 12', '$A', NULL),
	($JAN, 'import:-1', 'test.formula', '-2+3', '$A', NULL),
	($JAN, 'import:@', 'test.formula', '@SUM(A1)', '$A', NULL),
	($JAN, 'import:b', 'test.formula', 'in B', '$B', NULL),
	($JAN, 'import:none', 'test.formula', 'no school', '', NULL)"
# enough of A's rows for three pages
for i in $(seq 1 70); do echo "INSERT INTO audit (time, actor, action, object, school) VALUES (strftime('%s','now'), 'test', 'test.page', 'row $i', '$A');"; done | sqlite3 "$DB"

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
# the ids of the Journal's rows on the page in $T/b
ids() { sed -n 's/.*<table id="audit">//p' "$T/b" | grep -o '<tr><td>[0-9]*</td>' | grep -o '[0-9]*' | tr '\n' ' '; }
nrows() { ids | wc -w; }
# the school column of every row on the page
schools() { sed -n 's/.*<table id="audit">//p' "$T/b" | grep -o '</td><td>[^<]*</td><td><code class="detail">' | sed 's/<\/td><td>\([^<]*\)<.*/\1/' | sort -u | tr '\n' ' '; }

# ---- the page and its filters ------------------------------------------------
req d GET /audit
check "the Journal: 200" test "$(code)" = 200
check "...50 rows a page" test "$(nrows)" = 50
check "...newest first" test "$(ids | awk '{print $1}')" = "$(sql 'SELECT max(id) FROM audit')"
check "...with a link to the next page" grep -q 'rel="next"' "$T/b"
check "...a search form with its labels" sh -c "grep -q '<label for=\"who\">' '$T/b' && grep -q '<label for=\"from\">' '$T/b'"
# paging: three pages of the département's rows, none twice, none missing
seen=""
path="/audit?what=test.page"
for page in 1 2 3; do
	req d GET "$path"
	seen="$seen $(ids)"
	path=$(grep -o 'rel="next" href="[^"]*"' "$T/b" | sed 's/.*href="//; s/"$//; s/&amp;/\&/g')
	[ -n "$path" ] || break
done
check "paging by id: 70 rows in pages of 50 and 20" test "$(echo $seen | wc -w)" = 70
check "...none twice" test "$(echo $seen | tr ' ' '\n' | sort -u | wc -l)" = 70
check "...the last page without a next link" sh -c "! grep -q 'rel=\"next\"' '$T/b'"

req d GET "/audit?who=import:-1"
check "who: only that actor's rows" test "$(nrows)" = 1
check "...its row" grep -q '<td>-2+3</td>' "$T/b"
req d GET "/audit?what=test.formula"
check "what (a prefix): the 6 test rows" test "$(nrows)" = 6
LEA=$(json 'd["device"]' <"$T/lea.json")
req d GET "/audit?object=$LEA"
check "object: that device's rows" \
	sh -c "[ '$(nrows)' -ge 1 ] && [ '$(nrows)' = '$(sql "SELECT count(*) FROM audit WHERE object = '$LEA'")' ]"
req d GET "/audit?what=device."
check "what=device.: as many rows as the registry has" \
	test "$(nrows)" = "$(sql "SELECT count(*) FROM audit WHERE action LIKE 'device.%'")"
req d GET "/audit?school=$B"
check "school=$B: its rows only" test "$(schools)" = "$B "
check "...all of them" test "$(nrows)" = "$(sql "SELECT count(*) FROM audit WHERE school = '$B'")"
req d GET "/audit?from=2026-01-15&to=2026-01-15"
check "a period of one day: the 6 rows of that day" test "$(nrows)" = 6
req d GET "/audit?from=2026-01-16&to=2026-01-16"
check "...the next day: none" sh -c "[ '$(nrows)' = 0 ] && grep -q 'Aucune ligne ne correspond' '$T/b'"
req d GET "/audit?from=2026-01-15&to=2026-01-15&school=$A&what=test."
check "filters together" test "$(nrows)" = 4
req d GET "/audit?from=yesterday"
check "a malformed date: 400" test "$(code)" = 400

# ---- the scope -----------------------------------------------------------------
req s GET /audit
check "a school administrator's Journal: 200" test "$(code)" = 200
check "...their school's rows only" test "$(schools)" = "$A "
req s GET "/audit?what=test.formula"
check "...not B's row, nor the row of no school" test "$(nrows)" = 4
before=$(audit_count admin.denied "actor = 'admin:sch'")
req s GET "/audit?school=$B"
check "...B named in the filter: 404" test "$(code)" = 404
check "...audited" test "$(audit_count admin.denied "actor = 'admin:sch' AND object = '$B'")" = $((before + 1))
req s GET "/audit.csv?school=$B"
check "...and its CSV: 404" test "$(code)" = 404
req a GET "/audit?what=test.formula"
check "the auditor of every school reads all 6" test "$(nrows)" = 6

# ---- the CSV export ---------------------------------------------------------------
req s GET "/audit.csv?what=test."
check "the CSV export: 200" test "$(code)" = 200
check "...as text/csv" test "$(hdr Content-Type)" = "text/csv; charset=utf-8"
check "...an attachment" grep -qi '^Content-Disposition: attachment; filename="journal.csv"' "$T/h"
check "...UTF-8 with a BOM" test "$(head -c 3 "$T/b" | od -An -tx1 | tr -d ' ')" = efbbbf
check "...every row ended by CRLF" test "$(tr -cd '\r' <"$T/b" | wc -c)" = "$(tr -cd '\n' <"$T/b" | wc -c)"
cp "$T/b" "$T/a.csv"
cat >"$T/read_journal.py" <<'PY'
import csv, sys
path, sep = sys.argv[1], sys.argv[2]
with open(path, newline="", encoding="utf-8-sig") as f:
    rows = list(csv.reader(f, delimiter=sep))
head, rows = rows[0], rows[1:]
assert head == ["id", "time", "actor", "action", "object", "school", "before", "after"], head
for r in rows:
    assert len(r) == 8, r
print(len(rows))
for r in rows:
    print("\t".join([r[2], r[4], r[5], r[7]]))
PY
python3 "$T/read_journal.py" "$T/a.csv" ';' >"$T/parsed" 2>"$T/py.err"
check "...parsed by Python's csv module (';')" test -s "$T/parsed"
check "...every row of the filter in scope (74)" test "$(head -1 "$T/parsed")" = \
	"$(sql "SELECT count(*) FROM audit WHERE action LIKE 'test.%' AND school = '$A'")"
check "...only A's" test "$(tail -n +2 "$T/parsed" | cut -f3 | sort -u | tr -d '\n')" = "$A"
check "...a formula made text ('=)" grep -qF "'=HYPERLINK(\"http://x\";\"y\")" "$T/parsed"
check "...'+ and '- and '@" sh -c "grep -qF \"'+33 6 12\" '$T/parsed' && grep -qF \"'-2+3\" '$T/parsed' && grep -qF \"'@SUM(A1)\" '$T/parsed'"
check "...a JSON with ; and quotes back whole" grep -qF '{"note":"a;b"}' "$T/parsed"
check "...no cell starts as a formula" \
	test "$(tail -n +2 "$T/parsed" | tr '\t' '\n' | grep -c '^[-=+@]')" = 0
check "...the export audited" test "$(audit_count admin.audit-export "actor = 'admin:sch' AND school = ''")" = 1
req d GET "/audit.csv?what=test.formula&sep=comma"
cp "$T/b" "$T/b.csv"
python3 "$T/read_journal.py" "$T/b.csv" ',' >"$T/parsed" 2>"$T/py.err"
check "with sep=comma, parsed with ',' : the 6 rows" test "$(head -1 "$T/parsed")" = 6
check "...a value with quotes quoted, its quotes doubled, the guard inside" \
	grep -qF "\"'=HYPERLINK(\"\"http://x\"\";\"\"y\"\")\"" "$T/b.csv"

# ---- the API -------------------------------------------------------------------------
TOKEN=$("$BYODCTL" admin token add sch --name "journal script" 2>/dev/null)
api() { curl -sk -o "$T/b" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$URL$1"; }
check "GET /api/v1/audit: 200" test "$(api "/api/v1/audit?what=test.&limit=1000")" = 200
check "...A's rows only" test "$(json '" ".join(sorted(set(r["school"] for r in d["rows"])))' <"$T/b")" = "$A"
check "...all of them" test "$(json 'len(d["rows"])' <"$T/b")" = 74
check "...as admin/openapi.yaml says" schema_ok "/paths/~1audit/get/responses/200/content/application~1json/schema"
check "...from and to as Unix times" \
	test "$(api "/api/v1/audit?from=$JAN&to=$((JAN + 1))")" = 200
check "...the 4 rows of A that second" test "$(json 'len(d["rows"])' <"$T/b")" = 4
api "/api/v1/audit?what=test.page&limit=30" >/dev/null
next=$(json 'd["next_before"]' <"$T/b")
first=$(json '" ".join(str(r["id"]) for r in d["rows"])' <"$T/b")
api "/api/v1/audit?what=test.page&limit=30&before=$next" >/dev/null
check "...paged by next_before without overlap" \
	test "$( (echo $first; json '" ".join(str(r["id"]) for r in d["rows"])' <"$T/b") | tr ' ' '\n' | sort | uniq -d | wc -l)" = 0
before=$(audit_count admin.denied "actor = 'admin:sch'")
check "...school=$B: 404" test "$(api "/api/v1/audit?school=$B")" = 404
check "...audited" test "$(audit_count admin.denied "actor = 'admin:sch'")" = $((before + 1))
check "...a bad limit: 400" test "$(api "/api/v1/audit?limit=0")" = 400

# ---- a class's code sheet -------------------------------------------------------------
req s GET /codes
check "the code sheet's form: 200" test "$(code)" = 200
check "...the school administrator's school only" sh -c "grep -q 'value=\"$A\"' '$T/b' && ! grep -q '$B' '$T/b'"
t=$(csrf)
req s POST /codes --data-urlencode "csrf=$t" --data-urlencode "school=$A" \
	--data-urlencode "group=4B" --data-urlencode "hours=24"
check "4B's sheet: 200, a file to print" \
	sh -c "[ '$(code)' = 200 ] && grep -qi '^Content-Disposition: attachment; filename=\"codes-$A-4B.html\"' '$T/h'"
check "...one card for Lea and one for Leo, none for Ana (3A) nor Max ($B)" \
	sh -c "grep -q 'Lea Martin' '$T/b' && grep -q 'Leo Petit' '$T/b' && ! grep -q 'Ana Roux' '$T/b' && ! grep -q 'Max Durand' '$T/b'"
check "...two codes in the registry" test "$(sql 'SELECT count(*) FROM enrol_codes')" = 2
check "...audited in A's rows" \
	test "$(sql "SELECT count(*) FROM audit WHERE action LIKE 'enrol-code.%' AND school = '$A'")" = 2
req s GET "/audit?what=enrol-code."
check "...the Journal shows them to the school" test "$(nrows)" = 2
before=$(audit_count admin.denied "actor = 'admin:sch'")
req s POST /codes --data-urlencode "csrf=$t" --data-urlencode "school=$B" \
	--data-urlencode "group=4B" --data-urlencode "hours=24"
check "B's 4B for a school administrator of A: 404" test "$(code)" = 404
check "...audited" test "$(audit_count admin.denied "actor = 'admin:sch' AND object = '$B'")" -ge 1
check "...no code made" test "$(sql 'SELECT count(*) FROM enrol_codes')" = 2
req s POST /codes --data-urlencode "csrf=$t" --data-urlencode "school=$A" \
	--data-urlencode "group=5C" --data-urlencode "hours=24"
check "a group without pupils: 422, said" sh -c "[ '$(code)' = 422 ] && grep -q 'Aucun élève actif' '$T/b'"
req d GET /codes
t=$(csrf)
req d POST /codes --data-urlencode "csrf=$t" --data-urlencode "school=$B" \
	--data-urlencode "group=4B" --data-urlencode "hours=2"
check "the département makes B's sheet" sh -c "[ '$(code)' = 200 ] && grep -q 'Max Durand' '$T/b'"
req a GET /codes
t=$(csrf)
req a POST /codes --data-urlencode "csrf=$t" --data-urlencode "school=$A" \
	--data-urlencode "group=4B" --data-urlencode "hours=2"
check "the auditor makes no sheet (403)" test "$(code)" = 403
check "...no code made" test "$(sql 'SELECT count(*) FROM enrol_codes')" = 3

check "byod-admin stops on SIGTERM" stop_admin
finish
