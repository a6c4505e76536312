# SPDX-License-Identifier: GPL-2.0-or-later
# A pupil's whole enrolment in headless Chromium as an Android phone, in
# French, with JavaScript off (enrol.mjs says what it checks). This script
# makes a school and a pupil, starts byod-portal on free loopback ports,
# installs playwright-core from the committed lock into the build
# directory (once; the source tree stays clean) and runs enrol.mjs.
# Screenshots stay in $BYOD_BROWSER_DIR/screenshots as the test's artifacts.
. "$BYOD_SRC/tests/cli/lib.sh"
: "${BYOD_PORTAL:?BYOD_PORTAL must name the byod-portal binary}"
: "${BYOD_BROWSER_DIR:?BYOD_BROWSER_DIR must name a directory in the build tree}"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
here=$BYOD_SRC/tests/browser

for tool in node npm openssl curl; do
	command -v "$tool" >/dev/null ||
		{ echo "$tool is missing: run scripts/install-deps" >&2; exit 1; }
done
[ -x "$CHROMIUM" ] || { echo "$CHROMIUM is missing: run scripts/install-deps" >&2; exit 1; }

# playwright-core, pinned by the lock; reinstalled only when the lock changed
mkdir -p "$BYOD_BROWSER_DIR"
if ! cmp -s "$here/package-lock.json" "$BYOD_BROWSER_DIR/package-lock.json" ||
	[ ! -d "$BYOD_BROWSER_DIR/node_modules/playwright-core" ] ||
	[ ! -d "$BYOD_BROWSER_DIR/node_modules/axe-core" ]; then
	cp "$here/package.json" "$here/package-lock.json" "$BYOD_BROWSER_DIR/"
	# no browser download: we use Debian's chromium
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix "$BYOD_BROWSER_DIR" \
		--ignore-scripts --no-audit --no-fund --loglevel=error >"$T/npm.log" 2>&1 ||
		{ cat "$T/npm.log" >&2; echo "npm ci failed" >&2; exit 1; }
fi
# beside its node_modules, so that `import 'playwright-core'` finds them
cp "$here/enrol.mjs" "$BYOD_BROWSER_DIR/enrol.mjs"
SHOTS=$BYOD_BROWSER_DIR/screenshots
rm -rf "$SHOTS"
mkdir -p "$SHOTS"

init_school
LOGIN=lea.martin
PASSWORD='Calanques-2026!'
printf '%s\n' "$PASSWORD" | "$BYODCTL" user add "$LOGIN" --role student --school 0131234W \
	--name "Léa Martin" --password-stdin >/dev/null || { echo "user add failed" >&2; exit 1; }

read -r HTTP_PORT HTTPS_PORT <<<"$(python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))')"
sed -i "s/^  http-port: .*/  http-port: $HTTP_PORT/; s/^  https-port: .*/  https-port: $HTTPS_PORT/" \
	"$BYOD_HOME/byod.conf"

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

if PORTAL_URL="http://127.0.0.1:$HTTP_PORT" LOGIN=$LOGIN PASSWORD=$PASSWORD SHOTS=$SHOTS \
	WORK=$T CHROMIUM=$CHROMIUM node "$BYOD_BROWSER_DIR/enrol.mjs"; then
	ok
else
	ko "the enrolment in Chromium (screenshots in $SHOTS); the portal's log:"
	tail -20 "$T/portal.log" >&2
fi
check "the portal is still up afterwards" kill -0 "$PORTAL_PID"
# what the pupil did in the browser, as the registry has it
revoked() { # NAME: the one device so named is revoked
	"$BYODCTL" device list --json | python3 -c '
import json, sys
d = [x for x in json.load(sys.stdin) if x["name"] == sys.argv[1]]
sys.exit(not (len(d) == 1 and d[0]["state"] == "revoked"))' "$1"
}
check "the registry has the device, revoked (J’ai perdu cet appareil)" revoked "Mon téléphone Android"
kill -TERM "$PORTAL_PID"
wait "$PORTAL_PID"
check "the portal stops cleanly" test $? -eq 0
PORTAL_PID=
finish
