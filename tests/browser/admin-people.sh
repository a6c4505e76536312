# SPDX-License-Identifier: GPL-2.0-or-later
# byod-admin's People section in headless Chromium (people.mjs says what it
# checks): a school administrator's search, a pupil's page, disable,
# enable, a new password, and the CSV import through the page's file
# input, its problems, its preview and its commit; axe-core on every page.
# Then the registry is read here: the account changes and the import are
# there, made by that administrator. Screenshots stay in
# $BYOD_BROWSER_DIR/people-screenshots.
. "$BYOD_SRC/tests/cli/lib.sh"
. "$BYOD_SRC/tests/admin/lib.sh"
: "${BYOD_BROWSER_DIR:?BYOD_BROWSER_DIR must name a directory in the build tree}"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
here=$BYOD_SRC/tests/browser

for tool in node npm curl; do
	command -v "$tool" >/dev/null ||
		{ echo "$tool is missing: run scripts/install-deps" >&2; exit 1; }
done
[ -x "$CHROMIUM" ] || { echo "$CHROMIUM is missing: run scripts/install-deps" >&2; exit 1; }

# the packages of the committed lock, in a directory of this suite's own
DIR=$BYOD_BROWSER_DIR/people
mkdir -p "$DIR"
if ! cmp -s "$here/package-lock.json" "$DIR/package-lock.json" ||
	[ ! -d "$DIR/node_modules/axe-core" ]; then
	cp "$here/package.json" "$here/package-lock.json" "$DIR/"
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix "$DIR" \
		--ignore-scripts --no-audit --no-fund --loglevel=error >"$T/npm.log" 2>&1 ||
		{ cat "$T/npm.log" >&2; echo "npm ci failed" >&2; exit 1; }
fi
cp "$here/people.mjs" "$DIR/people.mjs"
SHOTS=$BYOD_BROWSER_DIR/people-screenshots
rm -rf "$SHOTS"
mkdir -p "$SHOTS"

init_school
"$BYODCTL" school add 0139999X --name "Collège du Port" >/dev/null
"$BYODCTL" user add a.pupil --role student --school 0131234W --group 4B --name "Léa Martin" >/dev/null
add_admin sch school 0131234W 'Sch-Secret-2026'
start_admin
DB=$BYOD_HOME/registry.db

if ADMIN_URL=$URL LOGIN=sch PASSWORD='Sch-Secret-2026' PUPIL=a.pupil SHOTS=$SHOTS \
	CHROMIUM=$CHROMIUM node "$DIR/people.mjs" >"$T/node.out"; then
	ok
else
	ko "byod-admin's People in Chromium (screenshots in $SHOTS); its log:"
	tail -20 "$T/admin.log" >&2
fi
cat "$T/node.out"
NEW=$(sed -n 's/^NEW_PASSWORD=//p' "$T/node.out")
check "the password shown in the browser is the pupil's (libxcrypt through Python's crypt)" \
	python3 -W ignore -c "
import crypt, sqlite3, sys
h = sqlite3.connect('$DB').execute(\"SELECT password_hash FROM people WHERE login = 'a.pupil'\").fetchone()[0]
sys.exit(not sys.argv[1] or crypt.crypt(sys.argv[1], h) != h)" "$NEW"
check "disabled then enabled by the administrator" \
	test "$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE action = 'person.state' AND actor = 'admin:sch'")" = 2
check "the import added the account, its accents and password as the file had them" \
	python3 -W ignore -c "
import crypt, sqlite3, sys
r = sqlite3.connect('$DB').execute(\"SELECT display_name, groups, password_hash FROM people WHERE login = 'c.new'\").fetchone()
sys.exit(not r or r[0] != 'Chloé Nouvelle' or r[1] != '4C' or crypt.crypt('Pass-Chloé-2026', r[2]) != r[2])"
check "...changed the pupil's groups, not their name" \
	test "$(sqlite3 "$DB" "SELECT display_name || '/' || groups FROM people WHERE login = 'a.pupil'")" = "Léa Martin/4B latin"
check "...and nothing of the bad file" \
	test "$(sqlite3 "$DB" "SELECT count(*) FROM people WHERE login IN ('c.one', 'c.two')")" = 0
check "byod-admin stops on SIGTERM" stop_admin
finish
