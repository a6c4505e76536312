# SPDX-License-Identifier: GPL-2.0-or-later
# byod-admin's dashboard in headless Chromium (dashboard.mjs says what it
# checks): a school with pupils and devices, RADIUS decisions and an access
# point gone silent; the console on a free loopback port; playwright-core
# installed from the committed lock into the build directory as run.sh
# does. Screenshots stay in $BYOD_BROWSER_DIR/screenshots-dashboard.
. "$BYOD_SRC/tests/cli/lib.sh"
. "$BYOD_SRC/tests/admin/lib.sh"
: "${BYOD_BROWSER_DIR:?BYOD_BROWSER_DIR must name a directory in the build tree}"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
here=$BYOD_SRC/tests/browser

for tool in node npm curl sqlite3; do
	command -v "$tool" >/dev/null ||
		{ echo "$tool is missing: run scripts/install-deps" >&2; exit 1; }
done
[ -x "$CHROMIUM" ] || { echo "$CHROMIUM is missing: run scripts/install-deps" >&2; exit 1; }
mkdir -p "$BYOD_BROWSER_DIR"
if ! cmp -s "$here/package-lock.json" "$BYOD_BROWSER_DIR/package-lock.json" ||
	[ ! -d "$BYOD_BROWSER_DIR/node_modules/playwright-core" ]; then
	cp "$here/package.json" "$here/package-lock.json" "$BYOD_BROWSER_DIR/"
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix "$BYOD_BROWSER_DIR" \
		--ignore-scripts --no-audit --no-fund --loglevel=error >"$T/npm.log" 2>&1 ||
		{ cat "$T/npm.log" >&2; echo "npm ci failed" >&2; exit 1; }
fi
cp "$here/dashboard.mjs" "$BYOD_BROWSER_DIR/dashboard.mjs"
SHOTS=$BYOD_BROWSER_DIR/screenshots-dashboard
rm -rf "$SHOTS"
mkdir -p "$SHOTS"

init_school
"$BYODCTL" school add 0139999X --name "Collège du Port" >/dev/null
A=0131234W
DB="$BYOD_HOME/registry.db"
cp "$BYOD_SRC/examples/policy.yaml" "$T/policy.yaml"
"$BYODCTL" policy apply "$T/policy.yaml" >/dev/null || { echo "policy apply failed" >&2; exit 1; }
for who in lea tom; do
	"$BYODCTL" user add "$who" --role student --school $A >/dev/null
	"$BYODCTL" device enrol "$who" --name "Phone $who" --out "$T/dev" --json >"$T/enrol.$who" ||
		{ echo "enrol failed" >&2; exit 1; }
done
DEV=$(json 'd["device"]' <"$T/enrol.lea")
now=$(date +%s)
sqlite3 "$DB" <<SQL
INSERT INTO sessions (session_id, device, nas_ip, nas_id, started, updated, state)
	VALUES ('c1', '$DEV', '10.1.0.2', 'ap-cdi', $((now - 9000)), $((now - 5000)), 'open');
INSERT INTO decision_counts (school, minute, node, segment, reason, count) VALUES
	('$A', $(((now / 60) * 60 - 600)), 'rad-1', 'pupils', 'accept', 37),
	('$A', $(((now / 60) * 60 - 4200)), 'rad-1', '', 'cert-revoked', 4);
SQL
add_admin dep departement "" 'Dep-Secret-2026'
add_admin sch school $A 'Sch-Secret-2026'
start_admin

if ADMIN_URL=$URL SCHOOL=$A DEVICE=$DEV SHOTS=$SHOTS CHROMIUM=$CHROMIUM \
	DEP_PASSWORD='Dep-Secret-2026' SCH_PASSWORD='Sch-Secret-2026' \
	node "$BYOD_BROWSER_DIR/dashboard.mjs"; then
	ok
else
	ko "the dashboard in Chromium (screenshots in $SHOTS); the console's log:"
	tail -20 "$T/admin.log" >&2
fi
check "byod-admin stops on SIGTERM" stop_admin
finish
