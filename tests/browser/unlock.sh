# SPDX-License-Identifier: GPL-2.0-or-later
# "Ouvrir le Wi-Fi pour ma classe" in headless Chromium as a teacher's
# phone (360 px, French, JavaScript off; unlock.mjs says what it checks).
# This script makes a school with a teacher of 4B and 3A and a pupil,
# starts byod-portal on a free loopback port, installs playwright-core and
# axe-core from the committed lock into the build directory, as run.sh
# does, and runs unlock.mjs. Screenshots stay
# in $BYOD_BROWSER_DIR/screenshots-unlock as the test's artifacts.
. "$BYOD_SRC/tests/cli/lib.sh"
. "$BYOD_SRC/tests/portal/lib.sh"
: "${BYOD_PORTAL:?BYOD_PORTAL must name the byod-portal binary}"
: "${BYOD_BROWSER_DIR:?BYOD_BROWSER_DIR must name a directory in the build tree}"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
here=$BYOD_SRC/tests/browser

for tool in node npm curl; do
	command -v "$tool" >/dev/null ||
		{ echo "$tool is missing: run scripts/install-deps" >&2; exit 1; }
done
[ -x "$CHROMIUM" ] || { echo "$CHROMIUM is missing: run scripts/install-deps" >&2; exit 1; }

# the packages of the lock, reinstalled only when the lock changed (the
# same directory as run.sh's: one install for both; a lock, so that the
# two never install at once)
mkdir -p "$BYOD_BROWSER_DIR"
exec 9>"$BYOD_BROWSER_DIR/.npm.lock"
flock 9
if ! cmp -s "$here/package-lock.json" "$BYOD_BROWSER_DIR/package-lock.json" ||
	[ ! -d "$BYOD_BROWSER_DIR/node_modules/playwright-core" ] ||
	{ grep -q '"axe-core"' "$here/package.json" && [ ! -d "$BYOD_BROWSER_DIR/node_modules/axe-core" ]; }; then
	cp "$here/package.json" "$here/package-lock.json" "$BYOD_BROWSER_DIR/"
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix "$BYOD_BROWSER_DIR" \
		--ignore-scripts --no-audit --no-fund --loglevel=error >"$T/npm.log" 2>&1 ||
		{ cat "$T/npm.log" >&2; echo "npm ci failed" >&2; exit 1; }
fi
flock -u 9
cp "$here/unlock.mjs" "$BYOD_BROWSER_DIR/unlock.mjs"
SHOTS=$BYOD_BROWSER_DIR/screenshots-unlock
rm -rf "$SHOTS"
mkdir -p "$SHOTS"

init_school
adduser() { # LOGIN ROLE PASSWORD [options]
	local login=$1 role=$2 pw=$3
	shift 3
	printf '%s\n' "$pw" | "$BYODCTL" user add "$login" --role "$role" --school 0131234W \
		--password-stdin "$@" >/dev/null || { echo "user add $login failed" >&2; exit 1; }
}
adduser m.durand teacher 'Tableau-Noir-42' --name "Marie Durand" --group 4B --group 3A
adduser lea.martin student 'Calanques-2026!' --name "Léa Martin" --group 4B

read -r HTTP_PORT <<<"$(free_ports 1)"
sed -i "s/^  http-port: .*/  http-port: $HTTP_PORT/; s/^  https-port: .*/  https-port: 0/" \
	"$BYOD_HOME/byod.conf"
sed -i 's/^  unlock-minutes: .*/  unlock-minutes: "1 10 60 120"/' "$BYOD_HOME/byod.conf"
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
start_portal "$BYOD_HOME" "$HTTP_PORT"

# axe-core in the lock: the WCAG audit must run (a missing package fails)
AXE=optional
grep -q '"axe-core"' "$here/package.json" && AXE=required
if AXE=$AXE PORTAL_URL="http://127.0.0.1:$HTTP_PORT" TEACHER=m.durand TEACHER_PASSWORD='Tableau-Noir-42' \
	PUPIL=lea.martin PUPIL_PASSWORD='Calanques-2026!' SHOTS=$SHOTS CHROMIUM=$CHROMIUM \
	node "$BYOD_BROWSER_DIR/unlock.mjs"; then
	ok
else
	ko "the teacher's page in Chromium (screenshots in $SHOTS); the portal's log:"
	tail -20 "$T/portal.log" >&2
fi
# what the teacher did in the browser, as the audit log has it
audited() { # ACTION: the rows by teacher:m.durand
	"$BYODCTL" audit --limit 500 --json | python3 -c '
import json, sys
print(sum(1 for a in json.load(sys.stdin) if a["action"] == sys.argv[1] and a["actor"] == "teacher:m.durand"))' "$1"
}
check "the audit log has her opening (unlock.start by teacher:m.durand)" test "$(audited unlock.start)" = 1
check "...and her closing it (unlock.end)" test "$(audited unlock.end)" = 1
check "the portal is still up afterwards" kill -0 "${PIDS[0]}"
finish
