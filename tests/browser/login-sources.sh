# SPDX-License-Identifier: GPL-2.0-or-later
# The portal's login page with identity sources in byod.conf (an LDAP one, a
# CAS one and a SAML one), in headless Chromium with axe-core (login-sources.mjs says what
# it checks). The sources' servers are never asked: showing their buttons
# needs none (the CAS button's first step, the portal's redirect, is
# checked without following it).
. "$BYOD_SRC/tests/cli/lib.sh"
: "${BYOD_PORTAL:?BYOD_PORTAL must name the byod-portal binary}"
: "${BYOD_BROWSER_DIR:?BYOD_BROWSER_DIR must name a directory in the build tree}"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
here=$BYOD_SRC/tests/browser
for tool in node npm curl; do
	command -v "$tool" >/dev/null ||
		{ echo "$tool is missing: run scripts/install-deps" >&2; exit 1; }
done
[ -x "$CHROMIUM" ] || { echo "$CHROMIUM is missing: run scripts/install-deps" >&2; exit 1; }
mkdir -p "$BYOD_BROWSER_DIR"
if ! cmp -s "$here/package-lock.json" "$BYOD_BROWSER_DIR/package-lock.json" ||
	[ ! -d "$BYOD_BROWSER_DIR/node_modules/playwright-core" ] ||
	[ ! -d "$BYOD_BROWSER_DIR/node_modules/axe-core" ]; then
	cp "$here/package.json" "$here/package-lock.json" "$BYOD_BROWSER_DIR/"
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix "$BYOD_BROWSER_DIR" \
		--ignore-scripts --no-audit --no-fund --loglevel=error >"$T/npm.log" 2>&1 ||
		{ cat "$T/npm.log" >&2; echo "npm ci failed" >&2; exit 1; }
fi
cp "$here/login-sources.mjs" "$BYOD_BROWSER_DIR/login-sources.mjs"

init_school
read -r HTTP_PORT ENT_PORT <<<"$(python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))')"
sed -i "s/^  http-port: .*/  http-port: $HTTP_PORT/; s/^  https-port: .*/  https-port: 0/" \
	"$BYOD_HOME/byod.conf"
cat >>"$BYOD_HOME/byod.conf" <<CONF

identity:
  college:
    kind: ldap
    label: "l’annuaire du collège"
    url: "ldaps://127.0.0.1:1/"
    ca-file: "$BYOD_HOME/pki/ca.pem"
    user-dn: "uid=%s,ou=people,dc=college,dc=test"
    roles: "eleves=student"
    school: "0131234W"
  ent:
    kind: cas
    label: "l’ENT"
    server-url: "https://127.0.0.1:$ENT_PORT/cas/"
    service-url: "https://portal.byod.lan/cas/callback/ent"
    ca-file: "$BYOD_HOME/pki/ca.pem"
    roles: "National_ELV=student"
    school: "0131234W"
  educonnect:
    kind: saml
    label: "ÉduConnect"
    sp-entity-id: "https://portal.byod.lan/saml/metadata/educonnect"
    acs-url: "https://portal.byod.lan/saml/acs/educonnect"
    sp-key-file: "$BYOD_HOME/pki/ca.key"
    sp-cert-file: "$BYOD_HOME/pki/ca.pem"
    idp-metadata-file: "$T/never-read-idp.xml"
    roles: "National_ELV=student"
    school: "0131234W"
CONF
PORTAL_PID=
trap '[ -n "$PORTAL_PID" ] && kill "$PORTAL_PID" 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
"$BYOD_PORTAL" --home "$BYOD_HOME" 2>>"$T/portal.log" &
PORTAL_PID=$!
up=
for _ in $(seq 100); do
	curl -s -o /dev/null "http://127.0.0.1:$HTTP_PORT/api/captive" && { up=1; break; }
	kill -0 "$PORTAL_PID" 2>/dev/null || break
	sleep 0.1
done
[ -n "$up" ] || { echo "the portal did not start" >&2; cat "$T/portal.log" >&2; exit 1; }
if PORTAL_URL="http://127.0.0.1:$HTTP_PORT" ENT_URL="https://127.0.0.1:$ENT_PORT" CHROMIUM=$CHROMIUM \
	node "$BYOD_BROWSER_DIR/login-sources.mjs"; then ok; else
	ko "the login page with a source in Chromium; the portal's log:"
	tail -20 "$T/portal.log" >&2
fi
kill -TERM "$PORTAL_PID"
wait "$PORTAL_PID"
PORTAL_PID=
finish
