# SPDX-License-Identifier: GPL-2.0-or-later
# byodctl purge: each kind of data is deleted once past its retention.*
# (a row a minute inside is kept, a minute outside is gone), --dry-run
# counts the same and deletes nothing, a run writes one audit row with the
# counts; an open session silent past the margin is closed at its last
# update; byodctl connections answers a requisition from the accounting.
. "$(dirname "$0")/lib.sh"
init_school
db="$BYOD_HOME/registry.db"
sed -i 's/^  sessions: 365$/  sessions: 10/; s/^  audit: 400$/  audit: 20/; s/^  decisions: 90$/  decisions: 5/' \
	"$BYOD_HOME/byod.conf"
check "the retention keys are in byod.conf" grep -q '^  sessions: 10$' "$BYOD_HOME/byod.conf"
"$BYODCTL" user add zoe --role student --school 0131234W --name "Zoé L." >/dev/null
"$BYODCTL" device enrol zoe --name phone --mac 02:00:00:00:00:0a --out "$T/dev" --json >"$T/d.json" ||
	{ echo "enrol failed" >&2; exit 1; }
dev=$(json 'd["device"]' <"$T/d.json")

# rows on each side of each cutoff, written as RADIUS and the daemons would
python3 - "$db" "$dev" <<'PY'
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
now, day, dev = int(time.time()), 86400, sys.argv[2]
def sess(sid, ip, start, stop, updated=None):
    c.execute("INSERT INTO sessions (session_id, nas_ip, device, mac, ip, started, updated, stopped, state) "
              "VALUES (?, '192.0.2.1', ?, '02:00:00:00:00:0a', ?, ?, ?, ?, ?)",
              (sid, dev, ip, start, updated or stop or start, stop, 'closed' if stop else 'open'))
sess('out', '10.9.0.1', now - 12 * day, now - 10 * day - 60)   # past: deleted
sess('in', '10.9.0.2', now - 12 * day, now - 10 * day + 60)    # a minute inside: kept
sess('open', '10.9.0.3', now - 400 * day, 0, now - 60)          # open, heard a minute ago: kept
# open, their Stop lost (an AP rebooted): closed at their last update, then
# deleted once that is past the retention
sess('stale-out', '10.9.0.4', now - 12 * day, 0, now - 10 * day - 60)
sess('stale-in', '10.9.0.5', now - 4 * day, 0, now - 3 * day)
for obj, t in (('old-row', now - 20 * day - 60), ('kept-row', now - 20 * day + 60)):
    c.execute("INSERT INTO audit (time, actor, action, object) VALUES (?, 'test', 'test.row', ?)", (t, obj))
for minute in ((now - 5 * day - 120) // 60 * 60, (now - 5 * day + 120) // 60 * 60):
    c.execute("INSERT INTO decision_counts (school, minute, node, segment, reason, count) "
              "VALUES ('', ?, 'r1', 'eleves', 'accept', 3)", (minute,))
c.execute("INSERT INTO enrol_codes (code_hash, person, created, expires) VALUES ('" + 'a' * 64 +
          "', (SELECT id FROM people WHERE login = 'zoe'), ?, ?)", (now - 100, now - 1))
c.execute("INSERT INTO enrol_codes (code_hash, person, created, expires) VALUES ('" + 'b' * 64 +
          "', (SELECT id FROM people WHERE login = 'zoe'), ?, ?)", (now - 100, now + 3600))
PY
counts() { python3 -c "
import sqlite3,sys; c=sqlite3.connect(sys.argv[1])
print(' '.join(str(c.execute(q).fetchone()[0]) for q in (
 'SELECT COUNT(*) FROM sessions', \"SELECT COUNT(*) FROM audit WHERE action = 'test.row'\",
 'SELECT COUNT(*) FROM decision_counts', 'SELECT COUNT(*) FROM enrol_codes')))" "$db"; }
check "seeded" test "$(counts)" = "5 2 2 2"

expect_ok "purge --dry-run" "$BYODCTL" purge --dry-run --json
check "the dry run counts two sessions" test "$(json 'd["sessions"]' <"$T/out")" = 2
check "the dry run counts two silent sessions closed" test "$(json 'd["sessions-closed"]' <"$T/out")" = 2
check "the dry run counts one audit row" test "$(json 'd["audit"]' <"$T/out")" = 1
check "the dry run counts one decision row" test "$(json 'd["decisions"]' <"$T/out")" = 1
check "the dry run counts one enrolment code" test "$(json 'd["enrolment-codes"]' <"$T/out")" = 1
check "the dry run says so" test "$(json 'd["dry-run"]' <"$T/out")" = True
check "the dry run deleted nothing" test "$(counts)" = "5 2 2 2"
check "the dry run closed nothing" test \
	"$(sqlite3 "$db" "SELECT COUNT(*) FROM sessions WHERE state = 'open'")" = 3
check "the dry run wrote no audit row" test \
	"$(sqlite3 "$db" "SELECT COUNT(*) FROM audit WHERE action = 'retention.purge'")" = 0

expect_ok "purge" "$BYODCTL" purge
check "the text names the sessions" grep -Eq 'accounting sessions .* 2$' "$T/out"
check "the text names the silent sessions closed" grep -Eq 'open sessions silent.* 2$' "$T/out"
check "exactly what is past is gone" test "$(counts)" = "3 1 1 1"
check "the session a minute inside is kept" test \
	"$(sqlite3 "$db" "SELECT group_concat(session_id, ' ') FROM (SELECT session_id FROM sessions ORDER BY session_id)")" = "in open stale-in"
check "the silent one is closed at its last update" test \
	"$(sqlite3 "$db" "SELECT state, stopped = updated FROM sessions WHERE session_id = 'stale-in'")" = "closed|1"
check "the live one stays open" test \
	"$(sqlite3 "$db" "SELECT state FROM sessions WHERE session_id = 'open'")" = open
check "the closing is audited with its count" test \
	"$(sqlite3 "$db" "SELECT after_json FROM audit WHERE action = 'session.close-stale'" | json 'd["closed"]')" = 2
check "the audit row a minute inside is kept" test \
	"$(sqlite3 "$db" "SELECT object FROM audit WHERE action = 'test.row'")" = kept-row
check "the live enrolment code is kept" test \
	"$(sqlite3 "$db" "SELECT substr(code_hash, 1, 1) FROM enrol_codes")" = b
check "one audit row for the run, with the counts and no one's name" test \
	"$(sqlite3 "$db" "SELECT after_json FROM audit WHERE action = 'retention.purge'" |
	   json 'd["sessions"], d["audit"], d["decisions"], d["enrolment_codes"], d["sessions_closed"]')" = "2 1 1 1 2"
check "the purge's row names no person" sh -c \
	"! sqlite3 '$db' \"SELECT after_json FROM audit WHERE action = 'retention.purge'\" | grep -q zoe"
expect_ok "a second purge" "$BYODCTL" purge --json
check "nothing more to delete" test "$(json 'd["sessions"] + d["audit"] + d["decisions"]' <"$T/out")" = 0
check "the kept rows stay" test "$(counts)" = "3 1 1 1"

# people disabled longer than retention.people: removed with their devices,
# the accounting kept without its device; one disabled more recently stays
sed -i 's/^  people: 365$/  people: 30/' "$BYOD_HOME/byod.conf"
"$BYODCTL" user add gone --role student --school 0131234W >/dev/null
"$BYODCTL" user add recent --role student --school 0131234W >/dev/null
"$BYODCTL" device enrol gone --name old-phone --out "$T/dev" --json >"$T/g.json" ||
	{ echo "enrol failed" >&2; exit 1; }
gdev=$(json 'd["device"]' <"$T/g.json")
gserial=$(json 'd["serial"]' <"$T/g.json")
now=$(date +%s)
sqlite3 "$db" "INSERT INTO sessions (session_id, nas_ip, device, mac, ip, started, updated, stopped, state)
	VALUES ('g1', '192.0.2.1', '$gdev', '02:00:00:00:00:0e', '10.9.0.9', $now - 86400, $now - 86400, $now - 86000, 'closed');
	UPDATE people SET state = 'disabled', disabled_at = $now - 30 * 86400 - 60 WHERE login = 'gone';
	UPDATE people SET state = 'disabled', disabled_at = $now - 30 * 86400 + 60 WHERE login = 'recent';"
expect_ok "purge --dry-run counts the account" "$BYODCTL" purge --dry-run --json
check "one account, one device" test "$(json 'd["people"], d["devices"]' <"$T/out")" = "1 1"
check "the dry run kept it" test "$(sqlite3 "$db" "SELECT COUNT(*) FROM people WHERE login = 'gone'")" = 1
check "the dry run left its device active" test "$(sqlite3 "$db" "SELECT state FROM devices WHERE id = '$gdev'")" = active
expect_ok "purge removes it" "$BYODCTL" purge --json
check "one account removed" test "$(json 'd["people"], d["devices"]' <"$T/out")" = "1 1"
check "the account is gone" test "$(sqlite3 "$db" "SELECT COUNT(*) FROM people WHERE login = 'gone'")" = 0
check "the one disabled a minute later stays" test \
	"$(sqlite3 "$db" "SELECT COUNT(*) FROM people WHERE login = 'recent'")" = 1
check "its session is kept without its device" test \
	"$(sqlite3 "$db" "SELECT COUNT(*) FROM sessions WHERE session_id = 'g1' AND device IS NULL")" = 1
check "its certificate, revoked, is on the CRL" sh -c \
	"openssl crl -in '$BYOD_HOME/pki/crl.pem' -noout -text | grep -qi 'Serial Number: 0*$gserial\$'"
check "no row names it" sh -c "! sqlite3 '$db' .dump | grep -q \"'gone'\\|:gone\""
check "the purge is audited as person.purge" test \
	"$(sqlite3 "$db" "SELECT COUNT(*) FROM audit WHERE action = 'person.purge' AND object LIKE 'anon-%'")" = 1

# the requisition: the open session holds 10.9.0.3, the closed one held 10.9.0.2
at=$(date -u -d '@'"$(( $(date +%s) - 11 * 86400 ))" +%Y-%m-%dT%H:%M:%SZ)
expect_ok "connections --ip --at (UTC)" "$BYODCTL" connections --ip 10.9.0.2 --at "$at" --json
check "the device" test "$(json 'd[0]["device"]' <"$T/out")" = "$dev"
check "the owner" test "$(json 'd[0]["owner"], d[0]["owner-name"], d[0]["school"]' <"$T/out")" = \
	"zoe Zoé L. 0131234W"
check "the NAS" test "$(json 'd[0]["nas"]' <"$T/out")" = 192.0.2.1
check "one session only" test "$(json 'len(d)' <"$T/out")" = 1
at_paris=$(TZ=Europe/Paris date -d '@'"$(( $(date +%s) - 11 * 86400 ))" +%Y-%m-%dT%H:%M:%S%:z)
expect_ok "the same instant with an offset" "$BYODCTL" connections --ip 10.9.0.2 --at "$at_paris"
check "the text names the owner" grep -q "owner    zoe (Zoé L.)" "$T/out"
expect_ok "the open session" "$BYODCTL" connections --ip 10.9.0.3 --at "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
check "still open" grep -q "(still open)" "$T/out"
check "with its last update" grep -q "last update" "$T/out"
expect_ok "the closed silent session at its last update" "$BYODCTL" connections --ip 10.9.0.5 \
	--at "$(date -u -d '@'"$(( $(date +%s) - 3 * 86400 - 60 ))" +%Y-%m-%dT%H:%M:%SZ)" --json
check "names it" test "$(json 'd[0]["session-id"]' <"$T/out")" = stale-in
expect_ok "after its last update" "$BYODCTL" connections --ip 10.9.0.5 \
	--at "$(date -u -d '@'"$(( $(date +%s) - 3 * 86400 + 3600 ))" +%Y-%m-%dT%H:%M:%SZ)"
check "no one holds it any more" grep -q "no accounting session held" "$T/out"
expect_ok "an address nobody held" "$BYODCTL" connections --ip 10.9.0.1 --at "$at"
check "says none" grep -q "no accounting session held" "$T/out"
expect_ok "by MAC" "$BYODCTL" connections --mac 02-00-00-00-00-0A --at "$at" --json
check "by MAC: the closed session and the open one of that MAC" test \
	"$(json '" ".join(sorted(x["session-id"] for x in d))' <"$T/out")" = "in open"
expect_fail "a time without its offset" "offset" \
	"$BYODCTL" connections --ip 10.9.0.2 --at 2026-12-03T10:00:00
expect_fail "a bad address" "not an IP address" \
	"$BYODCTL" connections --ip 10.9.0.300 --at "$at"
check "the lookup is audited" test \
	"$(sqlite3 "$db" "SELECT COUNT(*) FROM audit WHERE action = 'connections.lookup'")" -ge 4

finish
