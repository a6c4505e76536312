#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# byodctl doctor over a whole school on this machine, as an administrator
# runs it: byodctl init, a device enrolled, the example policy applied, the
# portal's certificate from a test root in a private trust store, the
# private raddb of byodctl radius config with a real FreeRADIUS running
# rlm_byod, byod-gatewayd in a network namespace of its own, an access
# point's accounting sent with radclient. Healthy: every line OK but the
# clock's, which a test machine without NTP may WARN of (said below). Then
# each fault alone, and the one sentence and exit status it gives: the CA
# key chmod 644, an expired CRL and one older than a revocation, the portal
# certificate expired and from the school's private CA, mods-enabled/byod
# missing, rlm_byod's status file stale, the gateway's ruleset no longer
# the policy's (firewall.* changed under it), an access point silent, the
# registry a schema behind (doctor does not migrate it; byodctl registry
# migrate does).
. "$(dirname "$0")/lib.sh"
: "${BYOD_SRC:?BYOD_SRC must name the source tree}"
BIN=$(dirname "$BYODCTL")
LIB=$(cd "$BIN/../lib" && pwd)
RADIUS_PID= GW_PID=
stop_all() {
	[ -z "$RADIUS_PID" ] || { kill "$RADIUS_PID" 2>/dev/null; wait "$RADIUS_PID" 2>/dev/null; }
	[ -z "$GW_PID" ] || { kill "$GW_PID" 2>/dev/null; wait "$GW_PID" 2>/dev/null; }
	RADIUS_PID= GW_PID=
}
trap 'stop_all; rm -rf "$T"' EXIT
for p in freeradius radclient openssl unshare sqlite3; do
	command -v $p >/dev/null || { echo "$p is missing: scripts/install-deps" >&2; exit 1; }
done
test -e "$LIB/rlm_byod.so" || { echo "rlm_byod.so is not built in $LIB" >&2; exit 1; }

# free_ports N: N free UDP ports on 127.0.0.1
free_ports() {
	python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}
# line CHECK: doctor's line for CHECK in $T/out
line() { grep -E "^(OK  |WARN|FAIL) $1: " "$T/out"; }
# healthy WHAT: exit 0, every line OK but the clock's (see below)
healthy() {
	"$BYODCTL" doctor >"$T/out" 2>"$T/err"
	local rc=$?
	if [ "$rc" != 0 ] || [ "$(grep -vE '^OK   ' "$T/out" | grep -cv '^WARN clock: ')" != 0 ]; then
		ko "$1: exit $rc: $(grep -v '^OK   ' "$T/out")"
	else
		ok
	fi
}
# doctor_says WHAT STATUS EXIT CHECK SENTENCE(regex): the line and the exit status
doctor_says() {
	"$BYODCTL" doctor >"$T/out" 2>"$T/err"
	local rc=$?
	if [ "$rc" != "$3" ]; then
		ko "$1: exit $rc, not $3: $(cat "$T/out" "$T/err")"
	elif ! grep -Eq "^$2 *$4: $5\$" "$T/out"; then
		ko "$1: no line '$2 $4: $5': $(line "$4")"
	elif [ "$(grep -cE '^(WARN|FAIL) ' "$T/out")" != "$(($(grep -cE '^(WARN|FAIL) clock: ' "$T/out") + 1))" ]; then
		ko "$1: another check is not OK: $(grep -E '^(WARN|FAIL) ' "$T/out" | grep -v "^.... $4: ")"
	else
		ok
	fi
}

init_school
conf=$BYOD_HOME/byod.conf
"$BYODCTL" user add lea.martin --role student --school 0131234W >/dev/null ||
	{ echo "user add failed" >&2; exit 1; }
MAC=02:00:00:00:aa:01
"$BYODCTL" device enrol lea.martin --name "Téléphone de Léa" --kind phone --mac $MAC \
	--out "$T/devices" >"$T/enrol.out" || { echo "enrol failed" >&2; exit 1; }
"$BYODCTL" policy apply "$BYOD_SRC/examples/policy.yaml" >/dev/null ||
	{ echo "policy apply failed" >&2; exit 1; }

# ---- the portal's certificate: a test root, phones' store holding only it ----
HOST=portal.byod.lan
mkdir -p "$T/pki" "$T/roots"
ossl() { openssl "$@" >/dev/null 2>&1; }
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/pki/root.key" \
	-out "$T/pki/root.pem" -days 3650 -subj "/CN=Test Root R1" \
	-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
cp "$T/pki/root.pem" "$T/roots/test-root.pem" && ossl rehash "$T/roots"
# libfaketime preloaded by hand, not through the faketime wrapper: the wrapper
# names a semaphore after its PID, and one left behind by a killed run makes
# a later wrapper with that PID fail ("sem_open: File exists")
FAKETIME_LIB=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -1)
[ -n "$FAKETIME_LIB" ] || { echo "libfaketime is missing: scripts/install-deps" >&2; exit 1; }
# leaf NAME DAYS [WHEN]: $T/pki/NAME.pem for $HOST, valid DAYS from now (or from WHEN, faketime)
leaf() {
	ossl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/pki/$1.key" \
		-out "$T/pki/$1.csr" -subj "/CN=$HOST"
	printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' \
		"$HOST" >"$T/pki/ext"
	${3:+env FAKETIME="@$3" LD_PRELOAD=$FAKETIME_LIB} \
		openssl x509 -req -in "$T/pki/$1.csr" -CA "$T/pki/root.pem" \
		-CAkey "$T/pki/root.key" -CAcreateserial -out "$T/pki/$1.pem" -extfile "$T/pki/ext" \
		-days "$2" >/dev/null 2>&1
}
leaf good 90
leaf old 30 "2021-01-01 00:00:00"
test -s "$T/pki/old.pem" || { echo "openssl cannot make an expired certificate" >&2; exit 1; }
setportal() { sed -i "/^portal:/,/^[a-z]/ s|^  $1: .*|  $1: \"$2\"|" "$conf"; }
setportal tls-cert "$T/pki/good.pem"
setportal tls-key "$T/pki/good.key"
setportal trust-store "$T/roots"

# ---- FreeRADIUS with rlm_byod on loopback, the private raddb ----
read -r AUTH_PORT ACCT_PORT <<<"$(free_ports 2)"
"$BYODCTL" radius config --out "$BYOD_HOME/raddb" --auth-port "$AUTH_PORT" --acct-port "$ACCT_PORT" \
	--libdir "$LIB:/usr/lib/freeradius" >/dev/null || { echo "radius config failed" >&2; exit 1; }
SECRET=$(cat "$BYOD_HOME/raddb/secret")
start_radius() {
	freeradius -f -d "$BYOD_HOME/raddb" -l "$T/radius.log" &
	RADIUS_PID=$!
	wait_for 300 test -s "$BYOD_HOME/radius-spool/status" ||
		{ cat "$T/radius.log" >&2; echo "FreeRADIUS did not start" >&2; exit 1; }
}
start_radius

# ---- byod-gatewayd in a network namespace of its own ----
gw_beat() {
	test "$(sqlite3 "$BYOD_HOME/registry.db" "SELECT count(*) FROM heartbeats WHERE component = 'gatewayd' AND detail LIKE 'ruleset %' AND seen >= $1")" = 1
}
start_gateway() {
	local since
	[ -z "$GW_PID" ] || { kill "$GW_PID"; wait "$GW_PID" 2>/dev/null; }
	since=$(date +%s)
	unshare -n "$BIN/byod-gatewayd" --home "$BYOD_HOME" 2>"$T/gatewayd.log" &
	GW_PID=$!
	wait_for 300 gw_beat "$since" ||
		{ cat "$T/gatewayd.log" >&2; echo "byod-gatewayd did not report" >&2; exit 1; }
}
start_gateway

# ---- an access point's accounting, through FreeRADIUS ----
acct() { # STATUS SESSION NAS-ID
	printf 'Acct-Status-Type = %s\nAcct-Session-Id = "%s"\nNAS-IP-Address = 127.0.0.1\nNAS-Identifier = "%s"\nCalling-Station-Id = "%s"\nFramed-IP-Address = 10.20.0.5\n' \
		"$1" "$2" "$3" "$(tr a-f: A-F- <<<"$MAC")" |
		radclient -r 2 -t 3 "127.0.0.1:$ACCT_PORT" acct "$SECRET" >"$T/acct.out" 2>&1
}
acct Start s1 ap-hall
check "the access point's accounting answered" grep -q "Accounting-Response" "$T/acct.out"
sleep 1 # rlm_byod's status file and the gateway's heartbeat after the session

# ---- healthy ----
"$BYODCTL" doctor >"$T/out" 2>"$T/err"
rc=$?
cp "$T/out" "$T/healthy.txt"
# a test machine has no NTP daemon disciplining its clock: the clock's WARN
# (adjtimex's STA_UNSYNC) is the one line not OK that it may show
check "healthy: exit 0 ($(cat "$T/out"))" test $rc = 0
check "healthy: every line OK but the clock's" \
	test "$(grep -vE '^OK   ' "$T/out" | grep -cv '^WARN clock: this machine.s clock is not synchronised')" = 0
for c in registry schema ca-key crl portal-cert freeradius radius-module gateway access-points; do
	check "healthy: $c OK" grep -q "^OK   $c: " "$T/out"
done
check "ca-key: its mode and owner" grep -q "^OK   ca-key: $BYOD_HOME/pki/ca.key is mode 0600, owned by " "$T/out"
check "portal-cert: trusted, the test root" \
	grep -q "^OK   portal-cert: $T/pki/good.pem is trusted for $HOST: chains to CN=Test Root R1" "$T/out"
check "freeradius: the private raddb" \
	grep -q "^OK   freeradius: $BYOD_HOME/raddb has rlm_byod in mods-enabled\$" "$T/out"
check "radius-module: FreeRADIUS's process" \
	grep -Eq "^OK   radius-module: rlm_byod \(process $RADIUS_PID\) wrote .* s ago: registry reachable, 1 devices\$" "$T/out"
check "gateway: the ruleset applied is the policy's" \
	grep -Eq '^OK   gateway: byod-gatewayd on node .+ applied ruleset [0-9a-f]{16}, the running policy.s$' "$T/out"
check "access-points: one heard" grep -q '^OK   access-points: 1 access point heard within 60 minutes$' "$T/out"
check "clock: said either way" grep -Eq '^(OK  |WARN) clock: ' "$T/out"

expect_ok "doctor --json" "$BYODCTL" doctor --json
check "JSON: the same checks as the text" \
	test "$(json 'len(d["checks"])' <"$T/out")" = "$(wc -l <"$T/healthy.txt")"
check "JSON: not FAIL" test "$(json 'd["status"]' <"$T/out")" != FAIL
check "JSON: the CA key's mode" \
	test "$(json '[c["mode"] for c in d["checks"] if c["name"]=="ca-key"][0]' <"$T/out")" = 384
check "JSON: the access point" \
	test "$(json '[a["nas_id"] for c in d["checks"] if c["name"]=="access-points" for a in c["access_points"]]' <"$T/out")" = "['ap-hall']"
check "JSON: the gateway's digests agree" \
	test "$(json '[c["applied"]==c["policy"] for c in d["checks"] if c["name"]=="gateway"]' <"$T/out")" = "[True]"
check "JSON: clock synchronised is a boolean" \
	test "$(json '[type(c["synchronised"]).__name__ for c in d["checks"] if c["name"]=="clock"]' <"$T/out")" = "['bool']"

# ---- the CA key readable by others ----
chmod 644 "$BYOD_HOME/pki/ca.key"
doctor_says "CA key 644" FAIL 1 ca-key \
	"$BYOD_HOME/pki/ca.key is mode 0644, readable by others than its owner: run chmod 600 $BYOD_HOME/pki/ca.key"
chmod 600 "$BYOD_HOME/pki/ca.key"

# ---- the CRL ----
cp "$BYOD_HOME/pki/crl.pem" "$T/crl.good"
# a CRL made a month ago (nextUpdate a week later), signed by the school's CA
# (ASan's runtime checks it is loaded first; faketime's preload comes before it)
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
	FAKETIME="-30d" LD_PRELOAD=$FAKETIME_LIB "$BYODCTL" ca crl --out "$T/old-crl.pem" >"$T/err" 2>&1 ||
	{ cat "$T/err" >&2; ko "a CRL made 30 days ago"; }
doctor_says "CRL expired" FAIL 1 crl \
	"$BYOD_HOME/pki/crl.pem expired at .*: FreeRADIUS refuses every certificate; run byodctl ca crl --out $BYOD_HOME/pki/crl.pem"
"$BYODCTL" ca crl --out "$T/crl.pem" >/dev/null
healthy "a CRL made now"
cp "$BYOD_HOME/pki/crl.pem" "$T/crl.before-revoke"
sleep 1
dev=$(awk '/^device:/ {print $2}' "$T/enrol.out")
"$BYODCTL" device revoke "$dev" >/dev/null 2>"$T/err" || { cat "$T/err" >&2; ko "device revoke"; }
cp "$T/crl.before-revoke" "$BYOD_HOME/pki/crl.pem"
doctor_says "CRL older than a revocation" FAIL 1 crl \
	"$BYOD_HOME/pki/crl.pem was made at .*, before the revocation of .*: the revoked device still connects; run byodctl ca crl --out $BYOD_HOME/pki/crl.pem"
"$BYODCTL" ca crl --out "$T/crl.pem" >/dev/null

# ---- the portal's certificate ----
setportal tls-cert "$T/pki/old.pem"
setportal tls-key "$T/pki/old.key"
doctor_says "portal certificate expired" FAIL 1 portal-cert \
	"$T/pki/old.pem is out of date \(valid until 2021-01-31T00:00:0[0-9]Z\): phones refuse it; renew it and reload byod-portal"
setportal tls-cert ""
setportal tls-key ""
doctor_says "portal certificate of the school's CA" WARN 0 portal-cert \
	"$BYOD_HOME/pki/portal.pem is signed by the school's private CA, which phones do not trust: they warn, and devices are sent to http://$HOST:8080/ in plain HTTP; install a certificate from a public CA \(portal.tls-cert\)"
setportal tls-cert "$T/pki/good.pem"
setportal tls-key "$T/pki/good.key"

# ---- FreeRADIUS: the module's link, its status ----
mv "$BYOD_HOME/raddb/mods-enabled/byod" "$T/mod-byod"
doctor_says "mods-enabled/byod missing" FAIL 1 freeradius \
	"$BYOD_HOME/raddb/mods-enabled/byod is missing: FreeRADIUS does not load rlm_byod; link it \(ln -s ../mods-available/byod $BYOD_HOME/raddb/mods-enabled/byod\) and restart FreeRADIUS"
mv "$T/mod-byod" "$BYOD_HOME/raddb/mods-enabled/byod"
kill -STOP "$RADIUS_PID"
touch -d '-2 minutes' "$BYOD_HOME/radius-spool/status"
doctor_says "status file stale" FAIL 1 radius-module \
	"$BYOD_HOME/radius-spool/status was last written 1[0-9][0-9] s ago: FreeRADIUS or rlm_byod has stopped; restart FreeRADIUS and look at its log"
kill -CONT "$RADIUS_PID"
# rlm_byod rewrites it within 10 s
status_fresh() { test $(($(date +%s) - $(stat -c %Y "$BYOD_HOME/radius-spool/status"))) -lt 5; }
check "FreeRADIUS going on, the status file written again" wait_for 200 status_fresh
healthy "rlm_byod's status fresh again"

# ---- the gateway's ruleset no longer the policy's ----
sed -i 's|^  portal-address: .*|  portal-address: "10.99.0.1"|' "$conf"
doctor_says "ruleset differs from the policy's" FAIL 1 gateway \
	"byod-gatewayd on node .+ applied ruleset [0-9a-f]{16}, the running policy renders [0-9a-f]{16}: restart it \(systemctl restart byod-gatewayd\), which reads byod.conf again, and look at its log"
start_gateway
gw_applied() { "$BYODCTL" doctor --check gateway >/dev/null 2>&1; }
check "restarted, the gateway applies the new ruleset" wait_for 300 gw_applied
healthy "the gateway restarted"

# ---- an access point silent ----
sqlite3 "$BYOD_HOME/registry.db" "UPDATE sessions SET started = started - 7200, updated = updated - 7200 WHERE nas_id = 'ap-hall'"
doctor_says "an access point silent 2 hours" WARN 0 access-points \
	"1 of 1 access points silent for more than 60 minutes: ap-hall \(127.0.0.1\); check that they are on and send accounting here"
"$BYODCTL" doctor --ap-silent 180 >"$T/out" 2>&1
check "--ap-silent 180: heard within" grep -q '^OK   access-points: 1 access point heard within 180 minutes$' "$T/out"
acct Interim-Update s1 ap-hall
healthy "the access point heard again"

# ---- the registry a schema behind: a real schema 15 (16 adds the identity sources) ----
stop_all
version=$(sqlite3 "$BYOD_HOME/registry.db" "PRAGMA user_version")
sqlite3 "$BYOD_HOME/registry.db" "DROP TABLE once_keys; DROP INDEX people_source;
	ALTER TABLE people DROP COLUMN source; ALTER TABLE admins DROP COLUMN source;
	PRAGMA user_version = $((version - 1))"
"$BYODCTL" doctor >"$T/out" 2>"$T/err"
check "schema behind: exit 1" test $? = 1
check "...the sentence" grep -qx \
	"FAIL schema: schema $((version - 1)), this program wants $version: run byodctl registry migrate (as the registry's owner), then restart the services" \
	"$T/out"
check "...nothing read from the older tables" test "$(grep -cE '^(OK  |WARN|FAIL) (feed|followers|gateway|access-points): ' "$T/out")" = 0
check "...doctor did not migrate it" test "$(sqlite3 "$BYOD_HOME/registry.db" "PRAGMA user_version")" = $((version - 1))
"$BYODCTL" doctor --json >"$T/out" 2>"$T/err"
check "...JSON: FAIL, the versions" test "$(json '[(c["status"],c["schema_version"],c["schema_newest"]) for c in d["checks"] if c["name"]=="schema"]' <"$T/out")" = \
	"[('FAIL', $((version - 1)), $version)]"
expect_ok "registry migrate" "$BYODCTL" registry migrate
check "...says from which version to which" \
	grep -qx "the registry's schema migrated from version $((version - 1)) to $version" "$T/out"
"$BYODCTL" doctor --check schema >"$T/out" 2>&1
check "migrated: schema OK" grep -q "^OK   schema: migrated: schema version $version" "$T/out"
expect_ok "registry migrate again: nothing to do" "$BYODCTL" registry migrate
check "...said" grep -qx "the registry's schema is version $version, this program's: nothing to do" "$T/out"

finish
