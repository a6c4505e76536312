# SPDX-License-Identifier: GPL-2.0-or-later
# geteduroam end to end with a third-party OAuth client: openid-client
# (panva's, from the npm registry) drives the desktop app's flow against
# byod-portal (geteduroam.mjs: discovery, PKCE S256 with the Linux client
# id and a loopback redirect listener, the login and consent in Chromium,
# the token exchange, the POST to the eap-config endpoint). The eap-config
# it gets is then read as the apps read it (the XPath of
# tests/profiles/check_eap_config.sh: the CA, the ServerID, the PKCS#12 and
# its passphrase) and authenticates through FreeRADIUS with rlm_byod
# (eapol_test). The school year is set to end in 30 days so that the
# renewal window is open: the app's refresh gives a new eap-config, whose
# certificate is accepted; once rlm_byod has reported it seen
# (counts_interval 1 s), the old certificate is refused.
. "$BYOD_SRC/tests/cli/lib.sh"
. "$BYOD_SRC/tests/portal/lib.sh"
. "$BYOD_SRC/tests/radius/lib.sh"
: "${BYOD_PORTAL:?BYOD_PORTAL must name the byod-portal binary}"
: "${BYOD_BROWSER_DIR:?BYOD_BROWSER_DIR must name a directory in the build tree}"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
here=$BYOD_SRC/tests/browser

for tool in node npm curl xmllint eapol_test freeradius; do
	command -v "$tool" >/dev/null ||
		{ echo "$tool is missing: run scripts/install-deps" >&2; exit 1; }
done
[ -x "$CHROMIUM" ] || { echo "$CHROMIUM is missing: run scripts/install-deps" >&2; exit 1; }

# the packages of the lock (the same directory and lock as the other
# browser tests: one install for all)
mkdir -p "$BYOD_BROWSER_DIR"
exec 9>"$BYOD_BROWSER_DIR/.npm.lock"
flock 9
if ! cmp -s "$here/package-lock.json" "$BYOD_BROWSER_DIR/package-lock.json" ||
	[ ! -d "$BYOD_BROWSER_DIR/node_modules/playwright-core" ] ||
	[ ! -d "$BYOD_BROWSER_DIR/node_modules/openid-client" ]; then
	cp "$here/package.json" "$here/package-lock.json" "$BYOD_BROWSER_DIR/"
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix "$BYOD_BROWSER_DIR" \
		--ignore-scripts --no-audit --no-fund --loglevel=error >"$T/npm.log" 2>&1 ||
		{ cat "$T/npm.log" >&2; echo "npm ci failed" >&2; exit 1; }
fi
flock -u 9
cp "$here/geteduroam.mjs" "$BYOD_BROWSER_DIR/geteduroam.mjs"
SHOTS=$BYOD_BROWSER_DIR/screenshots-geteduroam
rm -rf "$SHOTS"
mkdir -p "$SHOTS"

init_school
LOGIN=lea.martin
PASSWORD='Calanques-2026!'
printf '%s\n' "$PASSWORD" | "$BYODCTL" user add "$LOGIN" --role student --school 0131234W \
	--name "Léa Martin" --password-stdin >/dev/null || { echo "user add failed" >&2; exit 1; }
cat >"$T/policy.yaml" <<POLICY
segments:
  registration: { vlan: 10, subnet: 10.10.0.0/22 }
  pupils: { vlan: 20, subnet: 10.20.0.0/16 }
rules:
  - name: pupils
    match: { role: student }
    segment: pupils
default: registration
POLICY
"$BYODCTL" policy apply "$T/policy.yaml" >/dev/null || { echo "policy apply failed" >&2; exit 1; }

read -r HTTP_PORT _ <<<"$(free_ports 2)"
conf="$BYOD_HOME/byod.conf"
sed -i "s/^  http-port: .*/  http-port: $HTTP_PORT/; s/^  https-port: .*/  https-port: 0/" "$conf"
sed -i "s|^  public-url: .*|  public-url: \"http://127.0.0.1:$HTTP_PORT\"|" "$conf"
sed -i 's/^  ssid: .*/  ssid: "Collège-BYOD"/' "$conf"
# a school year that ends in 30 days: the renewal window (60 days) is open
sed -i "s/^  school-year-end: .*/  school-year-end: \"$(date -u -d '+30 days' +%m-%d)\"/" "$conf"
sed -i 's/^  min-validity-days: .*/  min-validity-days: 0/' "$conf"

radius_setup
sed -i 's/^\(\s*\)counts_interval = .*/\1counts_interval = 1/' "$RADDB/mods-enabled/byod"
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; radius_stop; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
radius_start
start_portal "$BYOD_HOME" "$HTTP_PORT"

if PORTAL_URL="http://127.0.0.1:$HTTP_PORT" LOGIN=$LOGIN PASSWORD=$PASSWORD SHOTS=$SHOTS \
	WORK=$T CHROMIUM=$CHROMIUM node "$BYOD_BROWSER_DIR/geteduroam.mjs" >"$T/node.out" 2>&1; then
	ok
else
	ko "openid-client's flow (screenshots in $SHOTS): $(tail -15 "$T/node.out")"
	tail -20 "$T/portal.log" >&2
fi

# eap_config FILE DIR: reads the eap-config as the apps do into DIR (ca.pem,
# client.p12, pass, server)
eap_config() {
	local f=$1 d=$2
	x() { xmllint --xpath "$1" "$f" 2>/dev/null; }
	el() { x "string(//*[local-name()='$1'])"; }
	mkdir -p "$d"
	el CA | base64 -d | openssl x509 -inform DER -out "$d/ca.pem" 2>/dev/null || return 1
	el ClientCertificate | base64 -d >"$d/client.p12" || return 1
	el Passphrase >"$d/pass"
	el ServerID >"$d/server"
	[ "$(x 'string(//AuthenticationMethod/EAPMethod/Type)')" = 13 ]
}
# eap_tls DIR: eapol_test with what the eap-config gave
eap_tls() {
	local d=$1
	{
		echo "network={"
		echo "	key_mgmt=IEEE8021X"
		echo "	eap=TLS"
		echo "	identity=\"$LOGIN\""
		echo "	ca_cert=\"$d/ca.pem\""
		echo "	private_key=\"$d/client.p12\""
		echo "	private_key_passwd=\"$(cat "$d/pass")\""
		echo "	domain_match=\"$(cat "$d/server")\""
		echo "	eapol_flags=0"
		echo "}"
	} >"$d/eapol.conf"
	eapol_test -c "$d/eapol.conf" -a 127.0.0.1 -p "$AUTH_PORT" -s "$SECRET" \
		-M 02:00:00:00:ab:01 -t 5 >"$d/eap.out" 2>&1
	tail -1 "$d/eap.out" | grep -q '^SUCCESS'
}
serial() { openssl pkcs12 -in "$1/client.p12" -passin "pass:$(cat "$1/pass")" -nokeys -clcerts 2>/dev/null |
	openssl x509 -noout -serial | cut -d= -f2; }

check "the eap-config came back" test -s "$T/eap-config-1.xml"
check "...read as the apps read it (CA, PKCS#12, passphrase, ServerID, EAP-TLS)" eap_config "$T/eap-config-1.xml" "$T/one"
check "...its ServerID is the RADIUS server's name" test "$(cat "$T/one/server")" = radius.byod.lan
check "...its CA is the school CA" cmp <(openssl x509 -in "$T/one/ca.pem" -outform DER) \
	<(openssl x509 -in "$BYOD_HOME/pki/ca.pem" -outform DER)
if eap_tls "$T/one"; then ok; else ko "eapol_test with the first eap-config: $(tail -3 "$T/one/eap.out")"; fi
"$BYODCTL" device list --owner "$LOGIN" --json >"$T/devs.json"
check "the device is lea's, named after the app" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(not any(x["name"] == "geteduroam (Linux)" and x["state"] == "active" for x in d))' "$T/devs.json"

# the renewal through the app's refresh token
check "the refreshed token renewed (200)" python3 -c '
import json, sys
sys.exit(json.load(open(sys.argv[1]))["status"] != 200)' "$T/renew.json"
check "...a second eap-config" eap_config "$T/eap-config-2.xml" "$T/two"
check "...with a new certificate" test -n "$(serial "$T/two")" -a "$(serial "$T/two")" != "$(serial "$T/one")"
if eap_tls "$T/two"; then ok; else ko "eapol_test with the renewed eap-config: $(tail -3 "$T/two/eap.out")"; fi
# rlm_byod reports the sighting within counts_interval; then the old one is revoked
sleep 3
refused_old() { ! eap_tls "$T/one"; }
check "the old certificate is refused once the new one was seen" wait_for 50 refused_old
"$BYODCTL" device list --owner "$LOGIN" --json >"$T/devs.json"
check "still one device (the same, renewed)" python3 -c '
import json, sys
d = [x for x in json.load(open(sys.argv[1])) if x["name"] == "geteduroam (Linux)"]
sys.exit(len(d) != 1)' "$T/devs.json"
finish
