# SPDX-License-Identifier: GPL-2.0-or-later
# byod-admin in headless Chromium, 360 px wide, JavaScript off, in French:
# a département administrator's first login with the TOTP enrolment, every
# page of the navigation, a device's page, the English switch, an error
# page, the logout; then a school administrator (their school's device, the
# other school's a 404) and an auditor (no button that changes anything);
# axe-core on every page (admin.mjs says what it
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
"$BYODCTL" school add 0139999X --name "Collège du Port" >/dev/null
"$BYODCTL" user add a.pupil --role student --school 0131234W --name "Léa Martin" >/dev/null
"$BYODCTL" user add b.pupil --role student --school 0139999X --name "Hugo Bernard" >/dev/null
# a running policy: the policy pages have a text, a listing and a history
"$BYODCTL" policy apply "$BYOD_SRC/examples/policy.yaml" --comment "exemple" >/dev/null ||
	{ echo "policy apply failed" >&2; exit 1; }
DEVICE=$("$BYODCTL" device enrol a.pupil --name "Phone a.pupil" --out "$T/dev" --json |
	json 'd["device"]') || { echo "enrol failed" >&2; exit 1; }
DEVICE_B=$("$BYODCTL" device enrol b.pupil --name "Phone b.pupil" --out "$T/dev" --json |
	json 'd["device"]') || { echo "enrol failed" >&2; exit 1; }
# one password for the three roles: the test is about what each one sees
# a directory administrators may sign in with: its button on the login
# page and its form (never reached here: the door is tests/admin/sources.sh's)
cat >>"$BYOD_HOME/byod.conf" <<'CONF'

identity:
  college:
    kind: ldap
    label: "l'annuaire du collège"
    url: "ldaps://127.0.0.1:9/"
    ca-file: /etc/ssl/certs/ca-certificates.crt
    user-dn: "uid=%s,ou=people,dc=college,dc=test"
    role-attribute: ENTPersonProfils
    roles: "National_ENS=teacher"
    school: "0131234W"
CONF
add_admin claire departement "" 'Claire-Secret-2026'
add_admin marc school 0131234W 'Claire-Secret-2026'
add_admin anne auditor "" 'Claire-Secret-2026'
start_admin

if ADMIN_URL=$URL LOGIN=claire PASSWORD='Claire-Secret-2026' DEVICE=$DEVICE DEVICE_B=$DEVICE_B \
	UAI=0131234W OTHER_UAI=0139999X PERSON=a.pupil OTHER_PERSON=b.pupil \
	SCHOOL_LOGIN=marc AUDITOR_LOGIN=anne SHOTS=$SHOTS CHROMIUM=$CHROMIUM \
	node "$DIR/admin.mjs"; then
	ok
else
	ko "byod-admin in Chromium (screenshots in $SHOTS); its log:"
	tail -20 "$T/admin.log" >&2
fi
check "the device was suspended from the browser" \
	test "$(sqlite3 "$BYOD_HOME/registry.db" "SELECT state FROM devices WHERE id = '$DEVICE'")" = suspended
# (twice: the page, and the same page again for axe-core)
q() { sqlite3 "$BYOD_HOME/registry.db" "$1"; }
denied() { # OBJECT: the school administrator's attempts at it are in the audit log
	test "$(q "SELECT count(*) FROM audit WHERE action = 'admin.denied' AND actor = 'admin:marc' AND object LIKE '%$1%'")" -ge 1
}
for object in "$DEVICE_B" b.pupil 0139999X; do
	check "the school administrator's attempts at $object are audited" denied "$object"
done
check "the other school's device, person and policy are as they were" \
	test "$(q "SELECT (SELECT state FROM devices WHERE id = '$DEVICE_B') || ' ' ||
		(SELECT state FROM people WHERE login = 'b.pupil') || ' ' ||
		(SELECT count(*) FROM policies WHERE school = '0139999X')")" = "active active 0"
check "the auditor changed nothing: the device still suspended, the pupil active, no policy" \
	test "$(q "SELECT (SELECT state FROM devices WHERE id = '$DEVICE') || ' ' ||
		(SELECT state FROM people WHERE login = 'a.pupil') || ' ' ||
		(SELECT count(*) FROM policies WHERE school = '0131234W')")" = "suspended active 0"
check "the auditor's attempts are audited" \
	test "$(q "SELECT count(*) FROM audit WHERE actor = 'admin:anne' AND action = 'admin.denied'")" -ge 5
check "no enrolment code was made by either" \
	test "$(q "SELECT count(*) FROM audit WHERE action LIKE 'enrol-code%' AND actor IN ('admin:marc', 'admin:anne')")" = 0
check "byod-admin stops on SIGTERM" stop_admin
finish
