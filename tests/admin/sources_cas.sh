#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# byod-admin and a CAS identity source against the real LemonLDAP::NG that
# tests/identity/cas.sh starts (run in its test program's place, with the
# server's URL, its CA and tickets issued for the portal's service in
# BYOD_CAS_*): the login page's button sends the browser to the CAS server
# with the console's own callback as the service; a real ticket issued for
# the portal's service is refused by the server when the console validates it
# for its own (INVALID_SERVICE), audited, no session, nothing created; a
# server of another CA is a 503. An administrator reaching the dashboard
# through CAS needs the console's callback registered at LemonLDAP::NG
# (tests/identity/llng-conf.py registers the portal's only).
set -uo pipefail
: "${BYOD_CAS_SERVER:?run by tests/identity/cas.sh}"
# the console is on 127.0.0.1: curl goes there directly, the proxy cas.sh
# sets stays for everything else (the CAS server is "localhost")
export NO_PROXY=127.0.0.1
. "$BYOD_SRC/tests/cli/lib.sh"
. "$BYOD_SRC/tests/admin/lib.sh"
UAI=0123456A
"$BYODCTL" init --school "$UAI" --name "Collège du test" >/dev/null ||
	{ echo "init failed" >&2; exit 1; }
conf="$BYOD_HOME/byod.conf"
sed -i 's/^  yescrypt-cost: .*/  yescrypt-cost: 1/' "$conf"
audit_count() { sql "SELECT count(*) FROM audit WHERE action = '$1'${2:+ AND $2}"; }
cat >>"$conf" <<CONF

identity:
  ent:
    kind: cas
    label: "l'ENT"
    server-url: "$BYOD_CAS_SERVER"
    service-url: "$BYOD_CAS_SERVICE"
    ca-file: "$BYOD_CAS_CA"
    timeout-s: 5
    login-attribute: "cas:user"
    role-attribute: role
    roles: "National_ELV=student, National_ENS=teacher"
    school-attribute: uai
  autre-ca:
    kind: cas
    server-url: "$BYOD_CAS_SERVER"
    service-url: "$BYOD_CAS_SERVICE"
    ca-file: "$BYOD_CAS_OTHER_CA"
    login-attribute: "cas:user"
    role-attribute: role
    roles: "National_ENS=teacher"
    school-attribute: uai
CONF
expect_ok "admin add claire.petit --source ent" "$BYODCTL" admin add claire.petit \
	--role school --school "$UAI" --source ent
expect_ok "admin add alice.martin --source autre-ca" "$BYODCTL" admin add alice.martin \
	--role departement --source autre-ca
people_before=$(sql "SELECT count(*) FROM people")
start_admin

req x GET /login
check "the login page has the CAS source's button" \
	grep -q '<a class="button" href="/login/ent">Se connecter avec l&#39;ENT</a>\|<a class="button" href="/login/ent">Se connecter avec l'"'"'ENT</a>' "$T/b"
req x GET /login/ent
enc=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' \
	"https://portal.byod.lan:$ADMIN_PORT/login/ent")
check "GET /login/ent: 303 to LemonLDAP::NG's login with the console's callback" \
	test "$(code):$(hdr Location)" = "303:${BYOD_CAS_SERVER}login?service=$enc"

# a HEAD to the callback never validates (uses up) the ticket
req x HEAD "/login/ent?ticket=$BYOD_CAS_TICKET_CLAIRE_PETIT" -I
check "HEAD /login/ent?ticket=...: 405" test "$(code)" = 405
check "...the ticket not sent to the server" sh -c "! grep -q INVALID_SERVICE '$T/admin.log'"

# a real ticket, issued for the portal's service: never good at the console
req x GET "/login/ent?ticket=$BYOD_CAS_TICKET_CLAIRE_PETIT"
check "a ticket issued for the portal's service: 401 at the console" test "$(code)" = 401
check "...the server said INVALID_SERVICE (the log)" grep -q 'INVALID_SERVICE' "$T/admin.log"
check "...audited admin.login-refused, source ent, reason ticket" \
	test "$(audit_count admin.login-refused "after_json LIKE '%\"source\":\"ent\"%' AND after_json LIKE '%\"reason\":\"ticket\"%'")" = 1
check "...no session" test "$(sql 'SELECT count(*) FROM admin_sessions')" = 0
check "...nobody created" test "$(sql 'SELECT count(*) FROM people')" = "$people_before"

req x GET "/login/autre-ca?ticket=$BYOD_CAS_TICKET_ALICE_MARTIN"
check "a CAS server whose certificate is not from ca-file: 503" test "$(code)" = 503
check "...audited source-unreachable" \
	test "$(audit_count admin.login-refused "after_json LIKE '%\"source\":\"autre-ca\"%' AND after_json LIKE '%\"reason\":\"source-unreachable\"%'")" = 1
check "...no session" test "$(sql 'SELECT count(*) FROM admin_sessions')" = 0
check "byod-admin stops cleanly" stop_admin
finish
