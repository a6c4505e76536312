#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Administrators signing in to byod-admin through identity sources. Run by
# tests/identity/ldap.sh in its test program's place (it starts the real
# slapd with its test CA, a TLS server of another CA and a port that never
# answers, and exports BYOD_LDAP_*). Driven with curl over HTTPS as a
# browser would: the login page offers one button per ldap and cas source
# under the local form; an administrator bound to a directory signs in with
# its password there and reaches the dashboard without a TOTP step; the same
# login bound to another source, a local administrator, a directory person
# with no administrator account, a disabled one, a wrong password: each
# refused, audited with the source and the reason, nothing created; a local
# administrator still gives its TOTP code; a CAS source sends the browser to
# its server with the console's own callback (admin.public-url), a ticket
# that cannot be one is refused before any server, a server of another CA is
# a 503; byodctl admin add/list/passwd with --source. On the school's
# SQLite registry, or (BYOD_ADMIN_REGISTRY=pg) on a PostgreSQL one.
set -uo pipefail
: "${BYOD_LDAP_URL:?run by tests/identity/ldap.sh}"
. "$BYOD_SRC/tests/cli/lib.sh"
. "$BYOD_SRC/tests/admin/lib.sh"
UAI=0123456A
"$BYODCTL" init --school "$UAI" --name "Collège du test" >/dev/null ||
	{ echo "init failed" >&2; exit 1; }
conf="$BYOD_HOME/byod.conf"
sed -i 's/^  yescrypt-cost: .*/  yescrypt-cost: 1/' "$conf"
registry_setup # BYOD_ADMIN_REGISTRY=pg: everything below on a PostgreSQL registry
audit_count() { sql "SELECT count(*) FROM audit WHERE action = '$1'${2:+ AND $2}"; }
PEOPLE="ou=people,dc=college,dc=test"
ROGUE_HTTPS="https://${BYOD_LDAP_ROGUE_URL#ldaps://}"
cat >>"$conf" <<CONF

identity:
  college:
    kind: ldap
    label: "l'annuaire du collège"
    url: "$BYOD_LDAP_URL"
    ca-file: "$BYOD_LDAP_CA"
    bind: user
    user-dn: "uid=%s,$PEOPLE"
    role-attribute: ENTPersonProfils
    roles: "National_ELV=student, National_ENS=teacher"
    school-attribute: ENTPersonStructRattach
  annuaire:
    kind: ldap
    url: "$BYOD_LDAPS_URL"
    ca-file: "$BYOD_LDAP_CA"
    bind: search
    base-dn: "$PEOPLE"
    service-dn: "cn=byod-svc,ou=services,dc=college,dc=test"
    service-password-file: "$BYOD_LDAP_SVC_PW"
    role-attribute: ENTPersonProfils
    roles: "National_ELV=student, National_ENS=teacher"
    school: "$UAI"
  en-panne:
    kind: ldap
    url: "$BYOD_LDAP_SILENT_URL"
    ca-file: "$BYOD_LDAP_CA"
    timeout-s: 1
    user-dn: "uid=%s,$PEOPLE"
    role-attribute: ENTPersonProfils
    roles: "National_ELV=student"
    school-attribute: ENTPersonStructRattach
  ent:
    kind: cas
    label: "l'ENT"
    server-url: "${ROGUE_HTTPS%/}/cas/"
    service-url: "https://portal.byod.lan/cas/callback"
    ca-file: "$BYOD_LDAP_CA"
    timeout-s: 2
    login-attribute: "cas:user"
    role-attribute: role
    roles: "National_ENS=teacher"
    school: "$UAI"
CONF

# ---- byodctl admin add/list/passwd with a source ---------------------------
expect_ok "admin add --source college" "$BYODCTL" admin add bob.durand --role departement \
	--source college --name "Bob Durand"
check "...said so" grep -q "signs in through the identity source college" "$T/out"
expect_ok "admin add --source annuaire (another source)" "$BYODCTL" admin add claire.petit \
	--role school --school "$UAI" --source annuaire
expect_ok "a disabled source administrator" "$BYODCTL" admin add odd.role --role auditor \
	--source college
expect_ok "...disabled" "$BYODCTL" admin disable odd.role
add_admin alice.martin departement "" 'Local-Secret-2026'
expect_fail "admin add --source: a source byod.conf does not have" "identity source 'nosuch'" \
	"$BYODCTL" admin add x.y --role departement --source nosuch
expect_fail "admin add: --source and --password-stdin together" "usage|password-stdin" \
	"$BYODCTL" admin add x.y --role departement --source college --password-stdin
check "...nothing added" test "$(sql "SELECT count(*) FROM admins WHERE login = 'x.y'")" = 0
check "a source administrator has no password" \
	test "$(sql "SELECT password_hash FROM admins WHERE login = 'bob.durand'")" = ""
check "...and its source in the registry" \
	test "$(sql "SELECT source FROM admins WHERE login = 'bob.durand'")" = college
expect_fail "admin passwd of a source administrator" "identity source college" \
	sh -c "printf 'Some-pass-2026\n' | '$BYODCTL' admin passwd bob.durand --password-stdin"
check "...still no password" \
	test "$(sql "SELECT password_hash FROM admins WHERE login = 'bob.durand'")" = ""
expect_ok "admin list" "$BYODCTL" admin list
check "...shows the source" grep -Eq '^bob\.durand +departement +active +- +college ' "$T/out"
check "...and (local) for a local one" grep -Eq '^alice\.martin .* \(local\) ' "$T/out"
"$BYODCTL" admin list --json >"$T/admins.json"
check "admin list --json: the source" \
	test "$(json '[a["source"] for a in d if a["login"] == "claire.petit"][0]' <"$T/admins.json")" = annuaire
check "...empty for a local one" \
	test "$(json '[a["source"] for a in d if a["login"] == "alice.martin"][0]' <"$T/admins.json")" = ""

people_before=$(sql "SELECT count(*) FROM people")
start_admin

# ---- the login page ----------------------------------------------------------
req x GET /login
check "the login page answers 200" test "$(code)" = 200
check "...the local form kept" grep -q 'name="password"' "$T/b"
check "...one button per ldap and cas source, in the file's order" python3 - "$T/b" <<'PY'
import re, sys
hrefs = re.findall(r'<a class="button" href="(/login/[^"]+)"', open(sys.argv[1]).read())
sys.exit(0 if hrefs == ["/login/college", "/login/annuaire", "/login/en-panne", "/login/ent"]
         else "got %s" % hrefs)
PY
check "...with the source's label" grep -q "Se connecter avec l&#39;annuaire du collège\|Se connecter avec l'annuaire du collège" "$T/b"
check "...after the local form" python3 -c '
import sys; b = open(sys.argv[1]).read()
sys.exit(0 if b.index("name=\"password\"") < b.index("/login/college") else 1)' "$T/b"
req x GET /login/nosuch
check "a source byod.conf does not have: 404" test "$(code)" = 404

# signs in browser $1 as $2 with password $3 through source $4; status in $T/code
source_login() {
	req "$1" GET "/login/$4"
	[ "$(code)" = 200 ] || return 1
	local t
	t=$(csrf)
	(umask 077; printf '%s' "$3" >"$T/pw")
	req "$1" POST "/login/$4" --data-urlencode "csrf=$t" --data-urlencode "login=$2" \
		--data-urlencode "password@$T/pw"
	rm -f "$T/pw"
}

# ---- an administrator of the directory ----------------------------------------
req b GET /login/college
check "the directory's form answers 200" test "$(code)" = 200
check "...a login and password form to /login/college" \
	grep -q '<form method="post" action="/login/college">' "$T/b"
source_login b bob.durand Secret-bob.durand college
check "bob.durand signs in through college: 303 to the dashboard (no TOTP step)" \
	test "$(code):$(hdr Location)" = "303:/dashboard"
check "...a session cookie HttpOnly; SameSite=Strict; Secure" \
	grep -qE '^Set-Cookie: byod_admin=[A-Za-z0-9_-]{43}; Path=/; HttpOnly; SameSite=Strict; Secure' "$T/h"
req b GET /dashboard
check "...the dashboard answers 200" test "$(code)" = 200
check "...with both factors in the registry's session" \
	test "$(sql "SELECT count(*) FROM admin_sessions s JOIN admins a ON a.id = s.admin WHERE a.login = 'bob.durand' AND s.mfa = 1")" = 1
check "...audited admin.login with the source" \
	test "$(audit_count admin.login "object = 'bob.durand' AND after_json LIKE '%\"source\":\"college\"%'")" = 1
check "...by the administrator itself" \
	test "$(sql "SELECT actor FROM audit WHERE action = 'admin.login' AND object = 'bob.durand'")" = admin:bob.durand
check "...no TOTP secret was made for it" \
	test "$(sql "SELECT totp_secret FROM admins WHERE login = 'bob.durand'")" = ""
req b GET /totp
check ".../totp sends it on to the dashboard" test "$(code):$(hdr Location)" = "303:/dashboard"
req b GET /dashboard
t=$(csrf)
req b POST /logout --data-urlencode "csrf=$t"
check "...and logout ends it" test "$(code):$(hdr Location)" = "303:/login"

source_login c Bob.Durand Secret-bob.durand college
check "the login as typed in capitals is the directory's, in lowercase" \
	test "$(code):$(hdr Location)" = "303:/dashboard"

# ---- refusals --------------------------------------------------------------
source_login w bob.durand wrong-password college
check "a wrong password: 401" test "$(code)" = 401
check "...the usual sentence" grep -q 'Identifiant ou mot de passe incorrect' "$T/b"
check "...the login kept in its field, never the password" \
	sh -c "grep -q 'value=\"bob.durand\"' '$T/b' && ! grep -q wrong-password '$T/b'"
check "...audited admin.login-refused, source college, reason password" \
	test "$(audit_count admin.login-refused "object = 'bob.durand' AND after_json LIKE '%\"source\":\"college\"%' AND after_json LIKE '%\"reason\":\"password\"%'")" = 1
check "...counted by the console's throttle (its own keys)" \
	test "$(sql "SELECT count(*) FROM web_throttle WHERE key LIKE 'admin:%bob.durand%' AND failures > 0")" -ge 1

source_login o claire.petit Secret-claire.petit college
check "an administrator bound to another source: 401" test "$(code)" = 401
check "...audited with the reason other-source" \
	test "$(audit_count admin.login-refused "object = 'claire.petit' AND after_json LIKE '%\"reason\":\"other-source\"%'")" = 1
check "...no session for it" \
	test "$(sql "SELECT count(*) FROM admin_sessions s JOIN admins a ON a.id = s.admin WHERE a.login = 'claire.petit'")" = 0
source_login o claire.petit Secret-claire.petit annuaire
check "...through its own source (LDAPS, search then bind): 303 to the dashboard" \
	test "$(code):$(hdr Location)" = "303:/dashboard"
check "...audited with the source annuaire" \
	test "$(audit_count admin.login "object = 'claire.petit' AND after_json LIKE '%\"source\":\"annuaire\"%'")" = 1

source_login l alice.martin Secret-alice.martin college
check "a local administrator through a source: 401" test "$(code)" = 401
check "...audited with the reason local-account" \
	test "$(audit_count admin.login-refused "object = 'alice.martin' AND after_json LIKE '%\"reason\":\"local-account\"%'")" = 1
check "...a local administrator still gives its TOTP code after the password" \
	login_password l alice.martin 'Local-Secret-2026'
check "...(the enrolment page)" test -n "$(secret_shown)"

source_login n noua.i Secret-noua.i college
check "a directory person with no administrator account: 401" test "$(code)" = 401
check "...the page says why" grep -q 'aucun compte d’administrateur' "$T/b"
check "...audited with the reason no-admin" \
	test "$(audit_count admin.login-refused "object = 'noua.i' AND after_json LIKE '%\"reason\":\"no-admin\"%'")" = 1
check "...no administrator created" test "$(sql "SELECT count(*) FROM admins WHERE login = 'noua.i'")" = 0
check "...no person created by any refusal or sign-in" \
	test "$(sql "SELECT count(*) FROM people")" = "$people_before"

source_login d odd.role Secret-odd.role college
check "a disabled source administrator: 401" test "$(code)" = 401
check "...audited with the reason disabled" \
	test "$(audit_count admin.login-refused "object = 'odd.role' AND after_json LIKE '%\"reason\":\"disabled\"%'")" = 1

req p GET /login
t=$(csrf)
req p POST /login --data-urlencode "csrf=$t" --data-urlencode "login=bob.durand" \
	--data-urlencode "password=Secret-bob.durand"
check "a source administrator with the console's own password form: 401" test "$(code)" = 401

source_login s 'bob*' x college
check "a login with a filter's characters: 401, the directory not asked" test "$(code)" = 401
check "...audited as (invalid), reason login" \
	test "$(audit_count admin.login-refused "object = '(invalid)' AND after_json LIKE '%\"reason\":\"login\"%'")" = 1

source_login s bob.durand Secret-bob.durand en-panne
check "a directory that never answers: 503" test "$(code)" = 503
check "...audited source-timeout" \
	test "$(audit_count admin.login-refused "after_json LIKE '%\"source\":\"en-panne\"%' AND after_json LIKE '%\"reason\":\"source-timeout\"%'")" = 1

req f POST /login/college --data-urlencode "login=bob.durand" --data-urlencode "password=x"
check "a source's form without its token: 403" test "$(code)" = 403

# ---- CAS: the console's own callback ---------------------------------------
req k GET /login/ent
enc=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' \
	"https://portal.byod.lan:$ADMIN_PORT/login/ent")
check "a CAS source: 303 to the CAS server's login, the console's callback as service" \
	test "$(code):$(hdr Location)" = "303:${ROGUE_HTTPS%/}/cas/login?service=$enc"
req k GET '/login/ent?ticket=not-a-ticket'
check "a ticket that cannot be one: 401" test "$(code)" = 401
check "...the page says the login did not go through" grep -q 'La connexion n’a pas abouti' "$T/b"
check "...audited reason ticket" \
	test "$(audit_count admin.login-refused "after_json LIKE '%\"source\":\"ent\"%' AND after_json LIKE '%\"reason\":\"ticket\"%'")" = 1
req k GET '/login/ent?ticket=ST-1-abcdef'
check "a CAS server whose certificate is not from ca-file: 503" test "$(code)" = 503
check "...audited source-unreachable" \
	test "$(audit_count admin.login-refused "after_json LIKE '%\"source\":\"ent\"%' AND after_json LIKE '%\"reason\":\"source-unreachable\"%'")" = 1
req k POST /login/ent --data-urlencode "x=y"
check "a CAS source takes no POST" test "$(code)" = 405
# ---- the throttle: the keys of the password login ---------------------------
for i in 1 2 3 4 5 6 7 8; do
	source_login t bob.durand "wrong-$i" college
	[ "$(code)" = 429 ] && break
done
check "wrong passwords through a source are slowed down (429)" test "$(code)" = 429
check "...with Retry-After" test -n "$(hdr Retry-After)"
check "...audited admin.login-throttled" \
	test "$(audit_count admin.login-throttled "after_json LIKE '%\"source\":\"college\"%'")" -ge 1

check "the log never holds a directory password" \
	sh -c "! grep -q 'Secret-' '$T/admin.log'"
check "byod-admin stops cleanly" stop_admin

sed -i "/^admin:/,/^[a-z]/ s|^  public-url: .*|  public-url: \"https://console.college.test:4443/\"|" "$conf"
start_admin
req m GET /login/ent
enc=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' \
	"https://console.college.test:4443/login/ent")
check "admin.public-url gives the CAS callback" \
	test "$(hdr Location)" = "${ROGUE_HTTPS%/}/cas/login?service=$enc"
check "byod-admin stops cleanly again" stop_admin
finish
