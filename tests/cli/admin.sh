# SPDX-License-Identifier: GPL-2.0-or-later
# byodctl admin: the console's accounts (roles and their school rules,
# yescrypt passwords read from stdin, disable/enable, passwd, totp-reset)
# and their API tokens (printed once, only the SHA-256 stored, listed and
# revoked by its first hex digits); every change audited without a hash,
# a secret or a token.
. "$(dirname "$0")/lib.sh"
init_school
"$BYODCTL" school add 0750654D --name "Collège Voltaire" >/dev/null || { echo "school add failed" >&2; exit 1; }
DB="$BYOD_HOME/registry.db"

# sql QUERY: one value from the registry, read by Python's sqlite3
sql() { python3 -c 'import sqlite3,sys; r=sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone(); print("" if r is None else r[0])' "$DB" "$1"; }
# verifies PASSWORD against the stored hash of LOGIN with the system's crypt(3)
pw_ok() { python3 -W ignore -c 'import crypt,sys; h=sys.argv[2]; sys.exit(0 if h.startswith("$y$") and crypt.crypt(sys.argv[1], h) == h else 1)' "$1" "$(sql "SELECT password_hash FROM admins WHERE login = '$2'")"; }
pw_bad() { ! pw_ok "$@"; }

echo 'pw-dsi' | expect_ok "a departement administrator" \
	"$BYODCTL" admin add dsi --role departement --name "DSI du département" --password-stdin
echo 'pw-ref' | expect_ok "a school administrator with its school" \
	"$BYODCTL" admin add ref --role school --school 0131234W --name "Référente" --password-stdin
echo 'pw-aud' | expect_ok "an auditor of every school" \
	"$BYODCTL" admin add aud --role auditor --password-stdin
echo 'pw-aud2' | expect_ok "an auditor of two schools" \
	"$BYODCTL" admin add aud2 --role auditor --school 0131234W --school 0750654D --password-stdin

echo 'x' | expect_fail "a school administrator without a school" "at least one school" \
	"$BYODCTL" admin add ref2 --role school --password-stdin
echo 'x' | expect_fail "a school that is not registered" "unknown school 0330003C" \
	"$BYODCTL" admin add ref2 --role school --school 0330003C --password-stdin
echo 'x' | expect_fail "a school that is not a UAI" "not a UAI" \
	"$BYODCTL" admin add ref2 --role school --school 12345 --password-stdin
echo 'x' | expect_fail "a departement administrator with a school list" "departement" \
	"$BYODCTL" admin add ref2 --role departement --school 0131234W --password-stdin
echo 'x' | expect_fail "a login taken" "already taken" \
	"$BYODCTL" admin add dsi --role departement --password-stdin
echo 'x' | expect_fail "an unknown role" "unknown role 'root'" \
	"$BYODCTL" admin add ref2 --role root --password-stdin
echo 'x' | expect_fail "a login with capitals and spaces" "lowercase" \
	"$BYODCTL" admin add "Bad Login" --role departement --password-stdin
expect_fail "no password on standard input" "no password" \
	"$BYODCTL" admin add ref2 --role departement --password-stdin </dev/null
expect_fail "no --password-stdin" "usage|password-stdin" \
	"$BYODCTL" admin add ref2 --role departement
check "none of the refused accounts exists" test "$(sql "SELECT COUNT(*) FROM admins")" = 4

"$BYODCTL" admin list --json >"$T/admins.json"
check "admin list --json: four, by login" \
	test "$(json '" ".join(a["login"] for a in d)' <"$T/admins.json")" = "aud aud2 dsi ref"
check "the school administrator's schools" \
	test "$(json '[a["schools"] for a in d if a["login"]=="ref"][0]' <"$T/admins.json")" = "['0131234W']"
check "the auditor of two schools" \
	test "$(json '[a["schools"] for a in d if a["login"]=="aud2"][0]' <"$T/admins.json")" = "['0131234W', '0750654D']"
check "every school for the departement and the auditor of all" \
	test "$(json '" ".join(str(a["all_schools"]) for a in d)' <"$T/admins.json")" = "True False True False"
check "passwords set, no second factor yet" \
	test "$(json '{(a["password_set"], a["totp_enrolled"], a["state"]) for a in d}' <"$T/admins.json")" = "{(True, False, 'active')}"
check "the name kept in UTF-8" \
	test "$(json '[a["display_name"] for a in d if a["login"]=="ref"][0]' <"$T/admins.json")" = "Référente"
expect_ok "admin list as a table" "$BYODCTL" admin list
check "the table names the auditor's schools" grep -q "aud2 .*0131234W 0750654D" "$T/out"
check "and the departement's reach" grep -q "dsi .*(every school)" "$T/out"

# The password: yescrypt, checked by the system's crypt(3), never stored as given.
check "the stored hash is yescrypt and verifies" pw_ok pw-ref ref
check "the wrong password does not verify" pw_bad pw-dsi ref
echo 'new-pw-ref' | expect_ok "admin passwd" "$BYODCTL" admin passwd ref --password-stdin
check "the new password verifies" pw_ok new-pw-ref ref
check "the old one no more" pw_bad pw-ref ref
echo 'x' | expect_fail "passwd of nobody" "no administrator 'nobody'" \
	"$BYODCTL" admin passwd nobody --password-stdin

expect_ok "admin disable" "$BYODCTL" admin disable ref
check "disabled" test "$(sql "SELECT state FROM admins WHERE login = 'ref'")" = disabled
expect_ok "admin enable" "$BYODCTL" admin enable ref
check "active again" test "$(sql "SELECT state FROM admins WHERE login = 'ref'")" = active
expect_fail "disable nobody" "no administrator 'nobody'" "$BYODCTL" admin disable nobody

# totp-reset: the secret and its enrolment are gone.
python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("UPDATE admins SET totp_secret = ?, totp_enrolled = 1, totp_last_step = 9 WHERE login = ?", ("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "ref")); c.commit()' "$DB"
expect_ok "admin totp-reset" "$BYODCTL" admin totp-reset ref
check "no secret, not enrolled" \
	test "$(sql "SELECT totp_secret || '/' || totp_enrolled || '/' || totp_last_step FROM admins WHERE login = 'ref'")" = "/0/0"

# API tokens: printed once on stdout, only the SHA-256 stored.
now=$(date +%s)
"$BYODCTL" admin token add ref --name "inventaire" --days 5 >"$T/token" 2>"$T/token.err"
check "token add succeeded" test $? = 0
token=$(cat "$T/token")
check "the token is 43 base64url characters" bash -c "[[ '$token' =~ ^[A-Za-z0-9_-]{43}\$ ]]"
hash=$(printf '%s' "$token" | sha256sum | cut -d' ' -f1)
check "the registry holds its SHA-256" test "$(sql "SELECT COUNT(*) FROM admin_tokens WHERE id_hash = '$hash'")" = 1
check "and not the token" test "$(sql "SELECT COUNT(*) FROM admin_tokens WHERE id_hash LIKE '%$token%' OR name LIKE '%$token%'")" = 0
check "stderr says it is shown once, naming its id" grep -q "API token ${hash:0:12} for ref.*shown once" "$T/token.err"
expires=$(sql "SELECT expires FROM admin_tokens WHERE id_hash = '$hash'")
check "it expires in 5 days" test $((expires - now)) -ge $((5 * 86400 - 5)) -a $((expires - now)) -le $((5 * 86400 + 5))
before=$(date +%s)
expect_ok "a second token, 90 days by default" "$BYODCTL" admin token add dsi --name nightly
after=$(date +%s)
hash2=$(printf '%s' "$(cat "$T/out")" | sha256sum | cut -d' ' -f1)
expires2=$(sql "SELECT expires FROM admin_tokens WHERE id_hash = '$hash2'")
# bracketed by the clock around the command itself (a loaded machine takes
# seconds between the steps above)
check "the default is 90 days" test "$expires2" -ge $((before + 90 * 86400)) -a "$expires2" -le $((after + 90 * 86400))
expect_fail "a token without a name" "usage|--name" "$BYODCTL" admin token add ref
expect_fail "0 days" "--days takes 1 to 3650" "$BYODCTL" admin token add ref --name x --days 0
expect_fail "a token for nobody" "no administrator 'nobody'" \
	"$BYODCTL" admin token add nobody --name x

"$BYODCTL" admin token list --json >"$T/tokens.json"
check "token list --json: two, by their first hex digits" \
	test "$(json '" ".join(t["id"] + ":" + t["admin"] for t in d)' <"$T/tokens.json" | tr ' ' '\n' | sort | tr '\n' ' ')" = "$(printf '%s\n' "${hash:0:12}:ref" "${hash2:0:12}:dsi" | sort | tr '\n' ' ')"
check "live, never used" test "$(json '{(t["state"], t["last_used"]) for t in d}' <"$T/tokens.json")" = "{('live', '-')}"
"$BYODCTL" admin token list ref --json >"$T/tokens.json"
check "token list LOGIN: its own" test "$(json '" ".join(t["name"] for t in d)' <"$T/tokens.json")" = "inventaire"
expect_fail "token list of nobody" "no administrator 'nobody'" "$BYODCTL" admin token list nobody

expect_fail "revoke by too short an id" "not a token id" "$BYODCTL" admin token revoke "${hash:0:4}"
expect_fail "revoke an unknown id" "no API token" "$BYODCTL" admin token revoke 0000000000000000
expect_ok "revoke by the listed id" "$BYODCTL" admin token revoke "${hash:0:12}"
check "the token is gone" test "$(sql "SELECT COUNT(*) FROM admin_tokens WHERE id_hash = '$hash'")" = 0
check "the other one stays" test "$(sql "SELECT COUNT(*) FROM admin_tokens")" = 1

# The audit log: every change, of no school, without a hash, secret or token.
"$BYODCTL" audit --json >"$T/audit.json"
check "admin.add rows" test "$(json 'sum(1 for a in d if a["action"]=="admin.add")' <"$T/audit.json")" = 4
check "admin.password, admin.update x2, admin.totp" \
	test "$(json '" ".join(sorted(a["action"] for a in d if a["action"] in ("admin.password","admin.update","admin.totp")))' <"$T/audit.json")" = "admin.password admin.totp admin.update admin.update"
check "token rows" \
	test "$(json '" ".join(sorted(a["action"] for a in d if a["action"].startswith("admin.token")))' <"$T/audit.json")" = "admin.token-add admin.token-add admin.token-delete"
check "the admin rows concern no school" \
	test "$(json '{a["school"] for a in d if a["action"].startswith("admin.")}' <"$T/audit.json")" = "{''}"
check "the school's rows name it" \
	test "$(json '[a["school"] for a in d if a["action"]=="school.add" and a["object"]=="0750654D"][0]' <"$T/audit.json")" = 0750654D
check "no hash in the audit log" bash -c "! grep -q '\\\$y\\\$' '$T/audit.json'"
check "no token nor its hash in the audit log" bash -c "! grep -q -e '$token' -e '$hash' '$T/audit.json'"
check "no TOTP secret in the audit log" bash -c "! grep -q JBSWY3DP '$T/audit.json'"

finish
