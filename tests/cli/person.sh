# SPDX-License-Identifier: GPL-2.0-or-later
# byodctl person export|erase: the export lists every table's rows of the
# person (no password hash); erase revokes the devices first (the CRL lists
# them, openssl refuses them), then no row of any table names the login or
# the person's id, the accounting is kept without its device and the audit
# trail keeps its rows under a stable pseudonym, keyed by HOME/pseudonym.key
# (0600, not in the registry); export --out makes a new 0600 file only.
. "$(dirname "$0")/lib.sh"
init_school
A=0131234W
db="$BYOD_HOME/registry.db"
ca="$BYOD_HOME/pki/ca.pem"
printf 'secret-pw\n' | "$BYODCTL" user add zoelebrun --role teacher --school $A --group 4B \
	--name "Zoé Lebrun" --password-stdin >/dev/null
"$BYODCTL" user add bob --role student --school $A --group 4B >/dev/null
enrol() {
	"$BYODCTL" device enrol "$1" --name "$2" --mac "$3" --out "$T/dev" --json >"$T/$2.json" ||
		{ echo "enrol $2 failed" >&2; exit 1; }
}
enrol zoelebrun phone 02:00:00:00:00:01
enrol zoelebrun laptop 02:00:00:00:00:02
enrol bob bobphone 02:00:00:00:00:03
d1=$(json 'd["device"]' <"$T/phone.json")
d2=$(json 'd["device"]' <"$T/laptop.json")
d3=$(json 'd["device"]' <"$T/bobphone.json")
s1=$(json 'd["serial"]' <"$T/phone.json")
s2=$(json 'd["serial"]' <"$T/laptop.json")
"$BYODCTL" device revoke "$d2" --reason lost >/dev/null
"$BYODCTL" enrol-codes --login zoelebrun --hours 2 --out "$T/sheet.html" >/dev/null
"$BYODCTL" unlock open --teacher zoelebrun --group 4B --minutes 10 >/dev/null
zid=$(sqlite3 "$db" "SELECT id FROM people WHERE login = 'zoelebrun'")
python3 - "$db" "$d1" "$d2" "$d3" "$zid" <<'PY'
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
now = int(time.time())
for sid, dev, mac, ip in (('z1', sys.argv[2], '02:00:00:00:00:01', '10.3.0.1'),
                          ('z2', sys.argv[3], '02:00:00:00:00:02', '10.3.0.2'),
                          ('b1', sys.argv[4], '02:00:00:00:00:03', '10.3.0.3')):
    c.execute("INSERT INTO sessions (session_id, nas_ip, device, mac, ip, started, updated, stopped, state) "
              "VALUES (?, '192.0.2.1', ?, ?, ?, ?, ?, ?, 'closed')", (sid, dev, mac, ip, now - 600, now - 60, now - 60))
c.execute("INSERT INTO web_sessions (id_hash, person, created, seen, client) VALUES (?, ?, ?, ?, '192.0.2.50')",
          ('c' * 64, int(sys.argv[5]), now, now))
c.execute("INSERT INTO web_forms (token_hash, session, expires) VALUES (?, ?, ?)", ('d' * 64, 'c' * 64, now + 60))
c.execute("INSERT INTO web_throttle (key, failures, last_failure, locked_until) VALUES "
          "('login:zoelebrun', 2, ?, 0), ('pair:zoelebrun 192.0.2.50', 2, ?, 0), ('pair:bob 192.0.2.50', 1, ?, 0)",
          (now, now, now))
PY

expect_ok "person export" "$BYODCTL" person export zoelebrun
cp "$T/out" "$T/export.json"
for k in devices:2 certificates:2 sessions:2 portal_sessions:1 form_tokens:1 enrolment_codes:1 \
	throttle:2 unlocks:1; do
	check "the export lists ${k%%:*} (${k##*:})" test \
		"$(json "len(d['${k%%:*}'])" <"$T/export.json")" = "${k##*:}"
done
check "the export names the account" test "$(json 'd["person"]["login"], d["person"]["display_name"]' \
	<"$T/export.json")" = "zoelebrun Zoé Lebrun"
check "the export says a password is set" test "$(json 'd["person"]["password_set"]' <"$T/export.json")" = True
check "the export has no hash" sh -c "! grep -q 'password_hash\|\\\$y\\\$' '$T/export.json'"
check "the export's audit rows name her or her devices" test \
	"$(json 'len([a for a in d["audit"] if a["object"] in ("zoelebrun", "'"$d1"'", "'"$d2"'")])' <"$T/export.json")" -ge 3
check "the export holds nothing of bob's" sh -c "! grep -q '$d3\|\"bob\"' '$T/export.json'"
expect_ok "person export --out" sh -c "umask 022; '$BYODCTL' person export zoelebrun --out '$T/file.json'"
check "the file is the same JSON" test "$(json 'len(d["devices"])' <"$T/file.json")" = 2
check "the file is mode 0600 whatever the umask" test "$(stat -c %a "$T/file.json")" = 600
echo old >"$T/exists.json"
expect_fail "an existing file is not overwritten" "already exists" \
	"$BYODCTL" person export zoelebrun --out "$T/exists.json"
check "the existing file is untouched" test "$(cat "$T/exists.json")" = old
ln -s "$T/target.json" "$T/link.json"
expect_fail "a symbolic link is not followed" "symbolic link" \
	"$BYODCTL" person export zoelebrun --out "$T/link.json"
check "nothing written through the link" test ! -e "$T/target.json"
expect_ok "person export --out - (stdout)" "$BYODCTL" person export zoelebrun --out -
check "stdout is the same JSON" test "$(json 'len(d["devices"])' <"$T/out")" = 2
check "no file named -" test ! -e ./-
expect_fail "an unknown person" "no person nobody" "$BYODCTL" person export nobody

# erase without --yes: says what it would do, changes nothing
before=$(sqlite3 "$db" "SELECT COUNT(*) FROM devices")
if "$BYODCTL" person erase zoelebrun >"$T/out" 2>&1; then ko "erase without --yes succeeded"; else ok; fi
check "it says what it would remove" grep -q "would erase zoelebrun: 2 device" "$T/out"
check "nothing changed" test "$(sqlite3 "$db" "SELECT COUNT(*) FROM devices")" = "$before"

check "no pseudonym key before the first erasure" test ! -e "$BYOD_HOME/pseudonym.key"
expect_ok "person erase --yes" "$BYODCTL" person erase zoelebrun --yes
pseudo=$(grep -o 'anon-[0-9a-f]*' "$T/out" | head -1)
check "a pseudonym is given" test -n "$pseudo"
# the key is a file of the home only its owner reads, never in the registry
# (the portal's role and every dump would hold it)
key="$BYOD_HOME/pseudonym.key"
check "the pseudonym key is in the home, mode 0600" test "$(stat -c %a "$key")" = 600
check "it holds 64 hex digits" grep -Eqx '[0-9a-f]{64}' "$key"
check "the registry holds no pseudonym key" test \
	"$(sqlite3 "$db" "SELECT COUNT(*) FROM web_keys WHERE name LIKE '%pseudonym%'")" = 0
check "no row of the registry holds the key" sh -c "! sqlite3 '$db' .dump | grep -q '$(cat "$key")'"
check "the pseudonym is HMAC-SHA256 with that key" test "$pseudo" = "anon-$(printf %s zoelebrun |
	openssl dgst -sha256 -hmac "$(cat "$key")" -r | cut -c1-20)"

# every table, every row: neither the login nor the name
python3 - "$db" >"$T/dump.txt" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
for (t,) in c.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
    for row in c.execute('SELECT * FROM "%s"' % t):
        print(t, repr(row))
PY
check "the dump is not empty" test "$(wc -l <"$T/dump.txt")" -gt 20
check "no row of any table names the login" sh -c "! grep -q zoelebrun '$T/dump.txt'"
check "no row names her by name" sh -c "! grep -qi 'lebrun' '$T/dump.txt'"
check "no column of a person's id holds hers" test "$(sqlite3 "$db" "SELECT
	(SELECT COUNT(*) FROM people WHERE id = $zid) + (SELECT COUNT(*) FROM devices WHERE owner = $zid) +
	(SELECT COUNT(*) FROM web_sessions WHERE person = $zid) + (SELECT COUNT(*) FROM enrol_codes WHERE person = $zid) +
	(SELECT COUNT(*) FROM unlocks WHERE teacher = $zid)")" = 0
check "her devices are gone" test "$(sqlite3 "$db" "SELECT COUNT(*) FROM devices WHERE id IN ('$d1', '$d2')")" = 0
check "her accounting is kept without its device" test \
	"$(sqlite3 "$db" "SELECT COUNT(*) FROM sessions WHERE session_id IN ('z1', 'z2') AND device IS NULL")" = 2
check "the audit trail keeps her rows under the pseudonym" test \
	"$(sqlite3 "$db" "SELECT COUNT(*) FROM audit WHERE object = '$pseudo'")" -ge 2
check "the erasure is audited" test \
	"$(sqlite3 "$db" "SELECT COUNT(*) FROM audit WHERE action = 'person.erase' AND object = '$pseudo'")" = 1
check "bob keeps his device" test "$(sqlite3 "$db" "SELECT state FROM devices WHERE id = '$d3'")" = active
check "bob's session keeps its device" test \
	"$(sqlite3 "$db" "SELECT device FROM sessions WHERE session_id = 'b1'")" = "$d3"
check "bob's throttle key stays" test "$(sqlite3 "$db" "SELECT COUNT(*) FROM web_throttle")" = 1

# her certificates: revoked, on the CRL, refused
openssl crl -in "$BYOD_HOME/pki/crl.pem" -noout -text >"$T/crl.txt"
check "the phone's serial is on the CRL" grep -qi "Serial Number: 0*$s1\$" "$T/crl.txt"
check "the laptop's serial is on the CRL" grep -qi "Serial Number: 0*$s2\$" "$T/crl.txt"
expect_fail "openssl refuses the phone" "revoked" \
	openssl verify -crl_check -CRLfile "$BYOD_HOME/pki/crl.pem" -CAfile "$ca" "$T/dev/$d1.pem"
expect_ok "ca crl still lists them" "$BYODCTL" ca crl --out "$T/crl2.pem"
check "a CRL issued later too" sh -c "openssl crl -in '$T/crl2.pem' -noout -text | grep -qi 'Serial Number: 0*$s1\$'"
expect_ok "a purge keeps them (still inside their validity)" "$BYODCTL" purge --json
check "no serial dropped" test "$(json 'd["crl-kept"]' <"$T/out")" = 0

# the pseudonym is stable: a person re-created and erased again gets the same
"$BYODCTL" user add zoelebrun --role student --school $A >/dev/null
expect_ok "erase the new account" "$BYODCTL" person erase zoelebrun --yes
check "the same pseudonym" grep -q "$pseudo" "$T/out"
check "from the same key" test "$(stat -c %a "$key")" = 600
cp "$key" "$T/key.saved"
chmod 644 "$key"
"$BYODCTL" user add readable --role student --school $A >/dev/null
expect_fail "a key others may read is refused" "chmod 600" "$BYODCTL" person erase readable --yes
chmod 600 "$key"
expect_fail "erasing someone unknown" "no person nobody" "$BYODCTL" person erase nobody --yes

finish
