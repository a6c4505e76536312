#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# byod-admin and a SAML identity source against the real LemonLDAP::NG that
# tests/identity/saml.sh starts (run in its test program's place; the IdP
# knows this service provider from the metadata ident_saml_metadata_acs
# makes, the console's ACS <admin.public-url>/saml/acs/educonnect listed as a
# second AssertionConsumerService). The login page's button sends the
# browser to the IdP with a signed request naming the console's ACS; the
# Response, POSTed cross-site with no cookie, leads to a continue page, and
# /saml/done in the browser that pressed the button opens the session of
# the administrator bound to the source, no TOTP. Refused, nothing created:
# a directory person with no administrator account; a Response the IdP
# issued for the portal's ACS posted to the console's; /saml/done in another
# browser (no state cookie).
set -uo pipefail
: "${BYOD_SAML_SP:?run by tests/identity/saml.sh}"
export NO_PROXY=127.0.0.1
. "$BYOD_SRC/tests/cli/lib.sh"
. "$BYOD_SRC/tests/admin/lib.sh"
PY=/usr/bin/python3
die() { echo "sources_saml.sh: $*" >&2; exit 1; }
UAI=0123456A
"$BYODCTL" init --school "$UAI" --name "Collège du test" >/dev/null ||
	{ echo "init failed" >&2; exit 1; }
conf="$BYOD_HOME/byod.conf"
sed -i 's/^  yescrypt-cost: .*/  yescrypt-cost: 1/' "$conf"
# the console's public address: the one whose ACS saml.sh registered
sed -i "/^admin:/,/^[a-z]/ s#^  public-url: .*#  public-url: \"$BYOD_SAML_SP\"#" "$conf"
audit_count() { sql "SELECT count(*) FROM audit WHERE action = '$1'${2:+ AND $2}"; }
cat >>"$conf" <<CONF

identity:
  educonnect:
    kind: saml
    label: "ÉduConnect"
    sp-entity-id: "$BYOD_SAML_SP/saml/metadata"
    acs-url: "$BYOD_SAML_SP/saml/acs"
    sp-key-file: "$BYOD_SAML_SP_KEY"
    sp-cert-file: "$BYOD_SAML_SP_CRT"
    idp-metadata-file: "$BYOD_SAML_IDP_MD"
    login-attribute: uid
    name-attribute: cn
    role-attribute: role
    roles: "National_ELV=student, National_ENS=teacher"
    school-attribute: uai
    class-attribute: classe
CONF
expect_ok "admin add claire.petit --source educonnect" "$BYODCTL" admin add claire.petit \
	--role school --school "$UAI" --source educonnect
people_before=$(sql "SELECT count(*) FROM people")
start_admin
ACS="$BYOD_SAML_SP/saml/acs/educonnect"

# signin USER URL: the IdP's login as saml-browser.py does it (extra args:
# its --as); what the IdP's form would POST into $RESP, $RELAY
signin() {
	local u=$1 url=$2
	shift 2
	$PY "$BYOD_SAML_BROWSER" "$BYOD_SAML_CA" "$url" "$u" "$BYOD_SAML_PW_DIR/pw.$u" "$@" \
		>"$T/idp.out" 2>"$T/idp.err" || return 1
	RESP=$(sed -n 1p "$T/idp.out")
	RELAY=$(sed -n 2p "$T/idp.out")
}
# acs: the IdP's auto-submitted form, cross-site: no cookie of the console's
acs() {
	rm -f "$T/jar.cross"
	req cross POST /saml/acs/educonnect --data-urlencode "SAMLResponse=$RESP" \
		--data-urlencode "RelayState=$RELAY"
}
done_link() { sed -n 's/.*<a id="continue" href="\(\/saml\/done?n=[A-Za-z0-9_-]*\)".*/\1/p' "$T/b" | head -1; }

req x GET /login
check "the login page has the SAML source's button" \
	grep -q '<a class="button" href="/login/educonnect">' "$T/b"
req x GET /saml/metadata/educonnect
check "the console's metadata lists the portal's ACS and its own" sh -c \
	"grep -q 'index=\"0\".*Location=\"$BYOD_SAML_SP/saml/acs\"' '$T/b' &&
	 grep -q 'index=\"1\".*Location=\"$ACS\"' '$T/b'"

# ---- claire, bound to the source: the dashboard, no TOTP ----
req claire GET /login/educonnect
LOC=$(hdr Location)
check "GET /login/educonnect: 303 to the IdP's SSO with a signed request" sh -c \
	"test '$(code)' = 303 && echo '$LOC' | grep -q 'saml/singleSignOn?SAMLRequest=.*&Signature='"
check "...and the state cookie (HttpOnly, SameSite=Strict)" \
	grep -qi '^set-cookie: byod_admin_saml=[A-Za-z0-9_-]\+;.*HttpOnly.*SameSite=Strict' "$T/h"
signin claire.petit "$LOC" || { cat "$T/idp.err" "$T/idp.out" >&2; die "claire could not sign in at the IdP"; }
check "the IdP posts to the console's ACS" \
	"$PY" -c 'import base64,sys; x=base64.b64decode(sys.argv[1]).decode(); sys.exit(0 if ("Destination=\"%s\"" % sys.argv[2]) in x else 1)' "$RESP" "$ACS"
acs
check "the console's ACS takes the Response: 200, a continue page" test "$(code)" = 200
DONE=$(done_link)
check "...its link to /saml/done" test -n "$DONE"
check "...and a Refresh to it" sh -c "hdr() { grep -i \"^\$1:\" '$T/h'; }; hdr Refresh | grep -q 'saml/done?n='"
check "...no session yet" test "$(sql 'SELECT count(*) FROM admin_sessions')" = 0
# another browser (no state cookie) at this very link: refused, and the
# result is used up (taken once)
req other GET "$DONE"
check "/saml/done in another browser: 403" test "$(code)" = 403
check "...audited admin.login-refused, reason no-state" \
	test "$(audit_count admin.login-refused "after_json LIKE '%\"reason\":\"no-state\"%'")" = 1
check "...no session" test "$(sql 'SELECT count(*) FROM admin_sessions')" = 0

# again, the browser that pressed the button follows its own link
req claire GET /login/educonnect
LOC=$(hdr Location)
signin claire.petit "$LOC" || die "claire could not sign in at the IdP (2)"
acs
DONE=$(done_link)
req claire HEAD "$DONE" -I
check "HEAD /saml/done: 405 (the result not taken)" test "$(code)" = 405
req claire GET "$DONE"
check "/saml/done in claire's browser: 303 to the dashboard" \
	test "$(code):$(hdr Location)" = "303:/dashboard"
req claire GET /dashboard
check "...the dashboard, no TOTP asked" test "$(code)" = 200
check "...audited admin.login, source educonnect" \
	test "$(audit_count admin.login "after_json LIKE '%\"source\":\"educonnect\"%'")" = 1
check "...a session" test "$(sql 'SELECT count(*) FROM admin_sessions')" = 1

# ---- alice: in the directory, no administrator account ----
req alice GET /login/educonnect
signin alice.martin "$(hdr Location)" || die "alice could not sign in at the IdP"
acs
check "a directory person with no administrator account: 401" test "$(code)" = 401
check "...audited admin.login-refused, reason no-admin" \
	test "$(audit_count admin.login-refused "after_json LIKE '%\"reason\":\"no-admin\"%'")" = 1
check "...nothing created" sh -c \
	"test '$(sql 'SELECT count(*) FROM people')' = '$people_before' &&
	 test '$(sql "SELECT count(*) FROM admins WHERE login = 'alice.martin'")' = 0"

# ---- a Response issued for the portal's ACS, posted to the console's ----
req claire2 GET /login/educonnect
signin claire.petit "$(hdr Location)" --as "$BYOD_SAML_SP_MD" "$BYOD_SAML_SP_KEY" \
	"$BYOD_SAML_IDP_MD" || { cat "$T/idp.err" >&2; die "no Response for the portal's ACS"; }
check "the IdP answered to the portal's ACS" \
	"$PY" -c 'import base64,sys; x=base64.b64decode(sys.argv[1]).decode(); sys.exit(0 if ("Destination=\"%s\"" % sys.argv[2]) in x else 1)' "$RESP" "$BYOD_SAML_SP/saml/acs"
acs
check "...refused at the console's ACS: 401" test "$(code)" = 401
check "...the log says Destination" grep -q "Destination is not acs-url" "$T/admin.log"
check "...audited admin.login-refused, reason response" \
	test "$(audit_count admin.login-refused "after_json LIKE '%\"reason\":\"response\"%'")" = 1
check "...one session still (claire's)" test "$(sql 'SELECT count(*) FROM admin_sessions')" = 1
check "...nothing created" test "$(sql 'SELECT count(*) FROM people')" = "$people_before"
check "byod-admin stops cleanly" stop_admin
finish
