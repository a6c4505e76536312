# SPDX-License-Identifier: GPL-2.0-or-later
# An enrolment at byod-portal whose COMMIT's answer is lost (the primary
# gone under it), on PostgreSQL through tests/lib/pgproxy.py: the pupil gets
# the 503 "momentanément indisponible" page and no PKCS#12; the server did
# write the certificate, and the next request settles it: the row revoked
# (cessationOfOperation, audit "enrol.unsettled" by "system"), the device
# retired, a CRL issued that lists it; the pupil's next enrolment works and
# counts one device. With the COMMIT itself lost: the same page, nothing in
# the registry, nothing revoked. byodctl's revocation whose COMMIT answer
# is lost is checked and reported done; one that cannot be confirmed says
# "it will be retried", and the portal's next page does it. An enrolment
# committed and answered, whose page the registry's loss kept from being
# made (503), is settled the same way: its certificate was never handed out. The noted entry
# (HOME/unsettled) survives a portal restart, which settles it at start.
. "$BYOD_SRC/tests/cli/lib.sh"
. "$BYOD_SRC/tests/portal/lib.sh"
: "${BYOD_PORTAL:?BYOD_PORTAL must name the byod-portal binary}"
init_school
printf '%s\n' 'Calanques-2026!' | "$BYODCTL" user add lea.martin --role student \
	--school 0131234W --password-stdin >/dev/null || { echo "user add failed" >&2; exit 1; }

# the cluster's server runs as an unprivileged user: it must reach $T/pg
chmod 0711 "$T"
PG_DIR="$T/pg"
CTL="$T/proxy"
PROXY_PID=
mkdir -p "$CTL"
trap 'for p in "${PIDS[@]}" $PROXY_PID; do kill "$p" 2>/dev/null; done
	sh "$BYOD_SRC/scripts/pg-test-cluster" remove "$PG_DIR" >/dev/null 2>&1
	[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
sh "$BYOD_SRC/scripts/pg-test-cluster" start "$PG_DIR" >"$T/pg-start.log" 2>&1 ||
	{ cat "$T/pg-start.log" >&2; echo "the PostgreSQL cluster did not start" >&2; exit 1; }
PG_URL=$(sh "$BYOD_SRC/scripts/pg-test-cluster" url "$PG_DIR")
"$BYODCTL" registry copy --to "$PG_URL" >"$T/copy.out" 2>&1 ||
	{ cat "$T/copy.out" >&2; echo "registry copy failed" >&2; exit 1; }
mv "$BYOD_HOME/registry.db" "$T/before-copy.db"

python3 "$BYOD_SRC/tests/lib/pgproxy.py" "$CTL" "$PG_DIR/.s.PGSQL.$(cat "$PG_DIR/port")" \
	2>"$T/proxy.log" &
PROXY_PID=$!
wait_for 100 test -s "$CTL/port" || { echo "the proxy did not start" >&2; exit 1; }
url="postgresql://byod@127.0.0.1:$(cat "$CTL/port")/byod?sslmode=disable"
conf="$BYOD_HOME/byod.conf"
sed -i "s|^  # url: \"\"$|  url: \"${url//&/\\&}\"|" "$conf"
grep -q "^  url: \"$url\"" "$conf" || { echo "registry.url not set" >&2; exit 1; }
read -r HTTP_PORT <<<"$(free_ports 1)"
sed -i "s/^  http-port: .*/  http-port: $HTTP_PORT/; s/^  https-port: .*/  https-port: 0/" "$conf"
start_portal "$BYOD_HOME" "$HTTP_PORT"

URL="http://127.0.0.1:$HTTP_PORT"
JAR="$T/jar"
req() { # METHOD PATH [curl options]: status in $T/code, headers in $T/h, body in $T/b
	local method=$1 path=$2
	shift 2
	curl -s -m 20 -X "$method" -b "$JAR" -c "$JAR" -H 'Accept-Language: fr-FR,fr;q=0.9' \
		-D "$T/h" -o "$T/b" -w '%{http_code}' "$@" "$URL$path" >"$T/code"
}
post() { # PATH FIELD=VALUE...: a form
	local path=$1 args=()
	shift
	for f in "$@"; do args+=(--data-urlencode "$f"); done
	req POST "$path" "${args[@]}"
}
code() { cat "$T/code"; }
csrf() { sed -n 's/.*name="csrf" value="\([A-Za-z0-9_-]*\)".*/\1/p' "$T/b" | head -1; }
has() { grep -qF -- "$1" "$T/b"; }
sql() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$PG_URL" -c "$1"; }
live() { sql "SELECT count(*) FROM devices d JOIN people p ON p.id = d.owner
  WHERE p.login = 'lea.martin' AND d.state IN ('active', 'suspended')"; }
enrol_form() { req GET /enrol && [ "$(code)" = 200 ]; }
enrol() { post /enrol "csrf=$(csrf)" "name=$1" kind=phone charter=yes; }

rm -f "$JAR"
req GET /
post /login "csrf=$(csrf)" login=lea.martin 'password=Calanques-2026!'
check "lea.martin logs in" test "$(code)" = 303

# ---- the COMMIT's answer lost: written, then settled -------------------------
check "the enrolment form" enrol_form
echo "INSERT INTO certificates" >"$CTL/arm-commit"
enrol "Téléphone de Léa"
check "the enrolment whose COMMIT answer is lost: 503" test "$(code)" = 503
check "...the 'momentanément indisponible' page" has 'Service momentanément indisponible'
check "...no passphrase, no download link" sh -c "! grep -q 'id=\"passphrase\"' '$T/b' && ! grep -q '/download/' '$T/b'"
check "...the proxy lost a COMMIT's answer" grep -qx after "$CTL/fired"
check "...the certificate was written all the same" test "$(sql 'SELECT count(*) FROM certificates')" = 1
serial=$(sql 'SELECT serial FROM certificates')
check "...and is noted in HOME/unsettled (0600)" sh -c \
	"grep -q ' $serial ' '$BYOD_HOME/unsettled' && [ \$(stat -c %a '$BYOD_HOME/unsettled') = 600 ]"
check "...the portal logged the refusal" grep -q 'will be revoked if it was written' "$T/portal.log"
crl_before=$(sql "SELECT coalesce(max(value), 0) FROM counters WHERE name = 'crl'")

req GET /devices
check "the registry answers again: Mes appareils (200)" test "$(code)" = 200
check "...the certificate is revoked" \
	test "$(sql "SELECT state || ' ' || reason FROM certificates WHERE serial = '$serial'")" = "revoked 5"
check "...the device retired" test "$(sql "SELECT state FROM devices")" = retired
check "...no live device counted" test "$(live)" = 0
check "...the note is gone" test ! -s "$BYOD_HOME/unsettled"
check "...an audit row enrol.unsettled by system, with the serial" test \
	"$(sql "SELECT count(*) FROM audit WHERE action = 'enrol.unsettled' AND actor = 'system' AND after_json LIKE '%$serial%'")" = 1
check "...a new CRL was issued" test "$(sql "SELECT coalesce(max(value), 0) FROM counters WHERE name = 'crl'")" -gt "$crl_before"
check "...that lists the certificate" sh -c "openssl crl -in '$BYOD_HOME/pki/crl.pem' -noout -text 2>/dev/null | tr 'a-f' 'A-F' | tr -d ' :' | grep -q \"$(echo "$serial" | tr 'a-f' 'A-F')\""
check "...the portal logged that the registry is back" grep -q 'the registry answers again' "$T/portal.log"

check "the enrolment form again" enrol_form
enrol "Téléphone de Léa"
check "the pupil's next enrolment succeeds (200)" test "$(code)" = 200
check "...with a passphrase" has 'id="passphrase"'
check "...one live device" test "$(live)" = 1

# ---- the COMMIT itself lost: nothing written -------------------------------
certs=$(sql 'SELECT count(*) FROM certificates')
devices=$(sql 'SELECT count(*) FROM devices')
check "the enrolment form (2)" enrol_form
echo "INSERT INTO certificates" >"$CTL/arm-commit-before"
enrol "Tablette de Léa"
check "the enrolment whose COMMIT is lost: 503" test "$(code)" = 503
check "...no passphrase" sh -c "! grep -q 'id=\"passphrase\"' '$T/b'"
check "...the proxy dropped the COMMIT" grep -qx before "$CTL/fired"
check "...nothing written" sh -c "[ \"\$(psql -X -q -At -d '$PG_URL' -c 'SELECT count(*) FROM certificates')\" = $certs ] && [ \"\$(psql -X -q -At -d '$PG_URL' -c 'SELECT count(*) FROM devices')\" = $devices ]"
req GET /devices
check "the next request (200) settles it" test "$(code)" = 200
check "...the note is gone" test ! -s "$BYOD_HOME/unsettled"
check "...nothing revoked: one live device, one valid certificate" sh -c \
	"[ \"\$(psql -X -q -At -d '$PG_URL' -c \"SELECT count(*) FROM certificates WHERE state = 'valid'\")\" = 1 ]"
check "...still one live device" test "$(live)" = 1
check "...one audit row enrol.unsettled in all" test \
	"$(sql "SELECT count(*) FROM audit WHERE action = 'enrol.unsettled'")" = 1
# ---- byodctl's revocation whose commit is lost ---------------------------------
dev=$(sql "SELECT id FROM devices WHERE state = 'active'")
echo "UPDATE certificates" >"$CTL/arm-commit"
expect_ok "byodctl device revoke whose COMMIT answer is lost: checked, done" \
	"$BYODCTL" device revoke "$dev"
check "...it says revoked" grep -q "^revoked $dev" "$T/out"
check "...the device is revoked" test "$(sql "SELECT state FROM devices WHERE id = '$dev'")" = revoked
check "...nothing noted" test ! -s "$BYOD_HOME/unsettled"
check "the pupil enrols another device (4)" enrol_form
enrol "Montre de Léa"
check "...200" test "$(code)" = 200
dev=$(sql "SELECT d.id FROM devices d WHERE d.name = 'Montre de Léa'")
echo "UPDATE certificates" >"$CTL/arm-commit-before"
touch "$CTL/down-after-fire" # and no new connection until it is removed
expect_fail "byodctl device revoke whose COMMIT is lost, the registry away: refused" \
	'may not be recorded yet; it will be retried' "$BYODCTL" device revoke "$dev"
check "...still active" test "$(sql "SELECT state FROM devices WHERE id = '$dev'")" = active
check "...noted" grep -q "^$dev - " "$BYOD_HOME/unsettled"
rm -f "$CTL/down"
req GET /devices
check "the portal's next page (200) runs it again" test "$(code)" = 200
check "...the device is revoked" test "$(sql "SELECT state FROM devices WHERE id = '$dev'")" = revoked
check "...the note is gone" test ! -s "$BYOD_HOME/unsettled"

# ---- committed and answered, then the registry gone before the page ----------
check "the enrolment form (5)" enrol_form
echo "INSERT INTO certificates" >"$CTL/arm-commit-cut"
touch "$CTL/down-after-fire"
enrol "Liseuse de Léa"
check "an enrolment committed, the registry gone before its page: 503" test "$(code)" = 503
check "...no passphrase, no download link" sh -c "! grep -q 'id=\"passphrase\"' '$T/b' && ! grep -q '/download/' '$T/b'"
check "...the proxy relayed the COMMIT's answer, then cut" grep -qx cut "$CTL/fired"
serial5=$(sql "SELECT c.serial FROM certificates c JOIN devices d ON d.id = c.device WHERE d.name = 'Liseuse de Léa'")
check "...the certificate is written" test -n "$serial5"
check "...and noted, since it was never handed out" grep -q " $serial5 " "$BYOD_HOME/unsettled"
check "...the portal logged why" grep -q 'the certificate was not handed out' "$T/portal.log"
rm -f "$CTL/down"
req GET /devices
check "the registry answers again: the next page (200) settles it" test "$(code)" = 200
check "...the certificate is revoked" \
	test "$(sql "SELECT state FROM certificates WHERE serial = '$serial5'")" = revoked
check "...the device retired" \
	test "$(sql "SELECT state FROM devices WHERE name = 'Liseuse de Léa'")" = retired
check "...the note is gone" test ! -s "$BYOD_HOME/unsettled"

# ---- a restart: the note is read back at start --------------------------------
check "the enrolment form (3)" enrol_form
echo "INSERT INTO certificates" >"$CTL/arm-commit"
enrol "Ordinateur de Léa"
check "a third enrolment whose COMMIT answer is lost: 503" test "$(code)" = 503
serial3=$(sql "SELECT c.serial FROM certificates c JOIN devices d ON d.id = c.device WHERE d.name = 'Ordinateur de Léa'")
check "...written" test -n "$serial3"
check "...noted" grep -q " $serial3 " "$BYOD_HOME/unsettled"
kill "${PIDS[-1]}" && wait "${PIDS[-1]}" 2>/dev/null
start_portal "$BYOD_HOME" "$HTTP_PORT"
check "the portal restarted settles it at start: revoked before any page" \
	test "$(sql "SELECT state FROM certificates WHERE serial = '$serial3'")" = revoked
check "...the note is gone" test ! -s "$BYOD_HOME/unsettled"
check "...no live device (all revoked above)" test "$(live)" = 0
finish
