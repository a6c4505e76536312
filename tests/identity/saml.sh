# SPDX-License-Identifier: GPL-2.0-or-later
# Sign-in through a SAML 2.0 identity source against real servers started
# here: slapd (the school directory, as cas.sh starts it) and LemonLDAP::NG as
# the SAML identity provider on it (llng-fastcgi-server behind an unprivileged
# nginx with the test CA's certificate), on 127.0.0.1 and free ports. The
# IdP signs with its own key (RSA-SHA256); three service providers are
# registered at it, with metadata made by the gateway's own code
# (ident_saml_metadata): the gateway, the gateway encrypting assertions, and
# another service provider. test_identity_saml ($BYOD_TEST_IDENTITY_SAML)
# makes the requests and signs in as a browser through saml-browser.py, then
# checks the answers, the registry and the audit. Everything started here is
# stopped by its PID.
set -uo pipefail

: "${BYOD_TEST_IDENTITY_SAML:?the test_identity_saml binary}"
H=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
for c in slapd llng-fastcgi-server nginx curl openssl; do
	command -v "$c" >/dev/null 2>&1 || [ -x "/usr/sbin/$c" ] ||
		{ echo "saml.sh: $c is missing (scripts/install-deps)" >&2; exit 1; }
done
. "$H/lib.sh"
# as root, slapd runs as openldap and LemonLDAP::NG and nginx as www-data
# (LemonLDAP::NG refuses root)
ROOT=
[ "$(id -u)" = 0 ] && ROOT=1
idt_dir saml openldap www-data

die() {
	echo "saml.sh: $*" >&2
	for f in "$T/slapd.log" "$T/llng/run/llng.log" "$T/nginx/error.log"; do
		[ -s "$f" ] && { echo "--- $f" >&2; tail -20 "$f" >&2; }
	done
	exit 1
}

# --- the test CA, the servers' certificate (localhost, 127.0.0.1), another
# CA's; the IdP's signing key and the service provider's ---
idt_pki "BYOD SAML test CA"
(
	cd "$P" || exit 1
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=BYOD test IdP signing" \
		-keyout idp.key -out idp.crt &&
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=BYOD test SP" \
		-keyout sp.key -out sp.crt
) >"$T/pki.log" 2>&1 || { cat "$T/pki.log" >&2; die "the SAML keys could not be made"; }
chmod 644 "$P"/*.crt
chmod 640 "$P"/*.key

read -r LDAP_PORT IDP_PORT SVC_PORT <<<"$(free_ports 3)"

# --- slapd with the school directory (as ldap.sh) ---
idt_slapd "ldap://127.0.0.1:$LDAP_PORT/"
(umask 077; printf 'SvcPass-1\n' >"$T/svc.pw")

# --- LemonLDAP::NG (its CAS server as cas.sh has it, and the SAML IdP) behind nginx ---
PORTAL="https://localhost:$IDP_PORT/"
SERVICE="https://localhost:$SVC_PORT/cas/callback"
D=$T/llng
N=$T/nginx
mkdir -p "$D/run" "$D/cache" "$D/sessions/lock" "$D/psessions/lock" "$N/tmp"
$PY "$H/llng-conf.py" "$D" "$PORTAL" "$SERVICE" "$LDAP_PORT" "$P/ca.crt" "$T/svc.pw" ||
	die "LemonLDAP::NG's configuration could not be written"
# the gateway's metadata, as it publishes it, for the three service providers
SP=https://localhost:$SVC_PORT
# (with BYOD_SAML_CONSOLE_ACS: the admin console's ACS listed too, as
# admin/sources_saml.sh needs it; BYOD_TEST_SAML_METADATA makes it then)
"${BYOD_TEST_SAML_METADATA:-$BYOD_TEST_IDENTITY_SAML}" metadata "$SP/saml/metadata" \
	"$SP/saml/acs" "$P/sp.crt" ${BYOD_SAML_CONSOLE_ACS:+"$SP$BYOD_SAML_CONSOLE_ACS"} \
	>"$T/sp-md.xml" &&
"${BYOD_TEST_SAML_METADATA:-$BYOD_TEST_IDENTITY_SAML}" metadata "$SP/saml/metadata-enc" "$SP/saml/acs" "$P/sp.crt" \
	>"$T/enc-md.xml" &&
"${BYOD_TEST_SAML_METADATA:-$BYOD_TEST_IDENTITY_SAML}" metadata \
	"https://localhost:$SVC_PORT/other/metadata" "$SP/saml/acs" \
	"$P/sp.crt" >"$T/other-md.xml" || die "no service provider metadata"
$PY "$H/saml-llng.py" "$D" "$P/idp.key" "$P/idp.crt" "$T/sp-md.xml" "$T/enc-md.xml" \
	"$T/other-md.xml" || die "LemonLDAP::NG's SAML configuration could not be written"
. "$H/llng-lib.sh"
idt_llng_start "$D" "$N" "$IDP_PORT"

C=(curl -sS --max-time 20 --cacert "$P/ca.crt")
for i in $(seq 300); do
	"${C[@]}" -f -o /dev/null "${PORTAL}saml/metadata" 2>/dev/null && break
	for p in "${PIDS[@]:1}"; do kill -0 "$p" 2>/dev/null || die "a server stopped"; done
	[ "$i" = 300 ] && die "LemonLDAP::NG did not answer in 30 s"
	sleep 0.1
done

"${C[@]}" -f -o "$T/idp-md.xml" "${PORTAL}saml/metadata" || die "no IdP metadata"
grep -q 'IDPSSODescriptor' "$T/idp-md.xml" || die "the IdP metadata has no IDPSSODescriptor"
# the users' passwords, for saml-browser.py, in files
for u in alice.martin claire.petit noua.i odd.role; do
	(umask 077; printf '%s' "Secret-$u" >"$T/pw.$u")
done
export BYOD_SAML_SP="$SP" BYOD_SAML_IDP_MD="$T/idp-md.xml" BYOD_SAML_CA="$P/ca.crt"
export BYOD_SAML_SP_KEY="$P/sp.key" BYOD_SAML_SP_CRT="$P/sp.crt"
export BYOD_SAML_IDP_KEY="$P/idp.key" BYOD_SAML_IDP_CRT="$P/idp.crt"
export BYOD_SAML_ROGUE_KEY="$P/rogue.key" BYOD_SAML_ROGUE_CRT="$P/rogue.crt"
export BYOD_SAML_OTHER_MD="$T/other-md.xml" BYOD_SAML_SP_MD="$T/sp-md.xml" BYOD_SAML_PW_DIR="$T"
export BYOD_SAML_BROWSER="$H/saml-browser.py"
"$BYOD_TEST_IDENTITY_SAML"
rc=$?
for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null || { echo "saml.sh: a server died" >&2; rc=1; }; done
exit $rc
