# SPDX-License-Identifier: GPL-2.0-or-later
# byod-admin in headless Chromium, 360 px wide, JavaScript off, in French:
# a département administrator's first login with the TOTP enrolment, every
# page of the navigation, a device's page, the English switch, an error
# page, the logout; axe-core on every page (admin.mjs says what it
# checks). playwright-core and axe-core come from the committed lock,
# installed into the build directory once (the source tree stays clean).
# Screenshots stay in $BYOD_BROWSER_DIR/admin-screenshots.
. "$BYOD_SRC/tests/cli/lib.sh"
. "$BYOD_SRC/tests/admin/lib.sh"
: "${BYOD_BROWSER_DIR:?BYOD_BROWSER_DIR must name a directory in the build tree}"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
here=$BYOD_SRC/tests/browser

for tool in node npm curl zbarimg; do
	command -v "$tool" >/dev/null ||
		{ echo "$tool is missing: run scripts/install-deps" >&2; exit 1; }
done
[ -x "$CHROMIUM" ] || { echo "$CHROMIUM is missing: run scripts/install-deps" >&2; exit 1; }

# the packages, pinned by the lock; reinstalled only when the lock changed
# (a lock of its own in the build tree: the portal's suite may run at once)
DIR=$BYOD_BROWSER_DIR/admin
mkdir -p "$DIR"
if ! cmp -s "$here/package-lock.json" "$DIR/package-lock.json" ||
	[ ! -d "$DIR/node_modules/axe-core" ]; then
	cp "$here/package.json" "$here/package-lock.json" "$DIR/"
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix "$DIR" \
		--ignore-scripts --no-audit --no-fund --loglevel=error >"$T/npm.log" 2>&1 ||
		{ cat "$T/npm.log" >&2; echo "npm ci failed" >&2; exit 1; }
fi
cp "$here/admin.mjs" "$DIR/admin.mjs"
SHOTS=$BYOD_BROWSER_DIR/admin-screenshots
rm -rf "$SHOTS"
mkdir -p "$SHOTS"

init_school
"$BYODCTL" user add a.pupil --role student --school 0131234W --name "Léa Martin" >/dev/null
# a running policy: the policy pages have a text, a listing and a history
"$BYODCTL" policy apply "$BYOD_SRC/examples/policy.yaml" --comment "exemple" >/dev/null ||
	{ echo "policy apply failed" >&2; exit 1; }
DEVICE=$("$BYODCTL" device enrol a.pupil --name "Phone a.pupil" --out "$T/dev" --json |
	json 'd["device"]') || { echo "enrol failed" >&2; exit 1; }
add_admin claire departement "" 'Claire-Secret-2026'
start_admin

if ADMIN_URL=$URL LOGIN=claire PASSWORD='Claire-Secret-2026' DEVICE=$DEVICE SHOTS=$SHOTS \
	CHROMIUM=$CHROMIUM node "$DIR/admin.mjs"; then
	ok
else
	ko "byod-admin in Chromium (screenshots in $SHOTS); its log:"
	tail -20 "$T/admin.log" >&2
fi
check "the device was suspended from the browser" \
	test "$(sqlite3 "$BYOD_HOME/registry.db" "SELECT state FROM devices WHERE id = '$DEVICE'")" = suspended
check "byod-admin stops on SIGTERM" stop_admin
finish
