# SPDX-License-Identifier: GPL-2.0-or-later
# byodctl user add / import / list, and a locked registry.
. "$(dirname "$0")/lib.sh"
init_school

echo 'secret-pw' | expect_ok "user add with a password" \
	"$BYODCTL" user add Lea.Martin --role student --school 0131234W --group 4B --group latin \
	--name "Léa Martin" --password-stdin
expect_fail "a duplicate login" "lea.martin" \
	"$BYODCTL" user add lea.martin --role student --school 0131234W
expect_fail "an unknown school" "school" \
	"$BYODCTL" user add x.y --role student --school 0750654D
expect_fail "an unknown role" "unknown role 'pupil'" \
	"$BYODCTL" user add x.y --role pupil --school 0131234W

"$BYODCTL" user list --json >"$T/users.json"
check "user list --json has the account, lowercased" \
	test "$(json 'd[0]["login"] + " " + d[0]["groups"] + " " + str(d[0]["password_set"])' <"$T/users.json")" = "lea.martin 4B latin True"

# A file as a spreadsheet writes it: BOM, CRLF, quoted fields.
printf '\xef\xbb\xbflogin,display_name,role,school,groups,password\r\n' >"$T/class.csv"
printf 'hugo.bernard,"Bernard, Hugo",student,0131234W,4B,mistral\r\n' >>"$T/class.csv"
printf 'ines.petit,Inès Petit,élève,0131234W,"3A, latin",\r\n' >>"$T/class.csv"
printf 'm.durand,Marc Durand,teacher,0131234W,4B 3A,"pa""ss"\r\n' >>"$T/class.csv"
expect_ok "import a class" "$BYODCTL" user import "$T/class.csv"
check "import says how many" grep -q "imported 3 accounts" "$T/out"
"$BYODCTL" user list --json >"$T/users.json"
check "four accounts now" test "$(json 'len(d)' <"$T/users.json")" = 4
check "quoted name with a comma" \
	test "$(json '[u["display_name"] for u in d if u["login"]=="hugo.bernard"][0]' <"$T/users.json")" = "Bernard, Hugo"
check "groups split" \
	test "$(json '[u["groups"] for u in d if u["login"]=="ines.petit"][0]' <"$T/users.json")" = "3A latin"

# One bad row: nothing of the file is imported, the error names line and column.
printf 'login,role,school\nnew.one,student,0131234W\nnew.two,student,0999999Z\n' >"$T/bad.csv"
expect_fail "a bad school rolls the import back" "bad.csv:3:3: column 'school': unknown school" \
	"$BYODCTL" user import "$T/bad.csv"
printf 'login,role,school\nnew.one,student,0131234W\nhugo.bernard,student,0131234W\n' >"$T/dup.csv"
expect_fail "a login already there rolls the import back" "dup.csv:3:1: .*hugo.bernard" \
	"$BYODCTL" user import "$T/dup.csv"
printf 'login,role,school\nnew.one,student,"0131234W\n' >"$T/quote.csv"
expect_fail "an unclosed quote" "quote.csv:2: .*quote" "$BYODCTL" user import "$T/quote.csv"
expect_fail "a missing file" "cannot read .*nofile.csv" "$BYODCTL" user import "$T/nofile.csv"
"$BYODCTL" user list --json >"$T/users.json"
check "still four accounts" test "$(json 'len(d)' <"$T/users.json")" = 4

# A locked registry: another process holds an exclusive lock.
sed -i 's/^  busy-timeout-ms: .*/  busy-timeout-ms: 200/' "$BYOD_HOME/byod.conf"
python3 - "$BYOD_HOME/registry.db" "$T/locked" <<'PY' &
import sqlite3, sys, time, pathlib
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN EXCLUSIVE")
pathlib.Path(sys.argv[2]).touch()
time.sleep(4)
c.execute("ROLLBACK")
PY
locker=$!
for _ in $(seq 50); do [ -e "$T/locked" ] && break; sleep 0.1; done
expect_fail "a locked registry is reported, not waited on forever" "locked" \
	"$BYODCTL" user add late.one --role student --school 0131234W
wait "$locker"
expect_ok "after the lock, the same command works" \
	"$BYODCTL" user add late.one --role student --school 0131234W

finish
