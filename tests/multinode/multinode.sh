# SPDX-License-Identifier: GPL-2.0-or-later
# Several nodes on one PostgreSQL registry, as a département runs them: a
# throwaway PostgreSQL cluster of this test's own (scripts/pg-test-cluster,
# not the ctest fixture: this test stops and starts its server), the school
# made on SQLite by byodctl init and moved there by `byodctl registry copy
# --to`, then registry.url switched to it and the SQLite file deleted. On
# it: two FreeRADIUS nodes with rlm_byod (A and B, each its raddb and its
# accounting spool), two portals (A and B), one byod-gatewayd --school with
# its nftables table, all in a network namespace of the test's own with an
# access point on 127.0.0.1 that records the Disconnect-Requests it gets.
#
#  1. a pupil enrols on portal A (login, form, charter); the one-time link
#     is used on portal B, and is gone on A; eapol_test with the PKCS#12
#     on RADIUS node B: Access-Accept; accounting Start on node B;
#  2. the device declared lost on portal B: EAP-TLS refused by node A
#     within 1 s (polled every 50 ms, measured), and a MAB device of the
#     pupil lost on portal B refused by node A's MAB within 1 s; the
#     gateway sends the Disconnect of each open session to the NAS;
#  3. a login on portal A serves the next request on portal B (sessions and
#     form tokens are in the registry);
#  4. the database server stopped for 30 s under a steady MAB and
#     accounting load on both nodes (tests/multinode/radload.py): every
#     request answered, MAB from the index, accounting in each node's
#     journal (byodctl radius status: unreachable since, records spooled),
#     the portals' 503 page, the gateway's ruleset kept; once it is back,
#     every accounting session in the database once with the counters of
#     its last packet and one start and one stop event, the portals' pages,
#     the gateway acting on a change again;
#  5. the server crashed (pg_ctl stop -m immediate) and started again: the
#     first requests to each portal, node and the gateway served at once.
if [ -z "${BYOD_MN_NS:-}" ]; then
	exec unshare -n env BYOD_MN_NS=1 bash "$0" "$@"
fi
ip link set lo up
. "$BYOD_SRC/tests/cli/lib.sh"
. "$BYOD_SRC/tests/radius/lib.sh"
. "$BYOD_SRC/tests/portal/lib.sh"
: "${BYOD_PORTAL:?BYOD_PORTAL must name the byod-portal binary}"
: "${BYOD_GATEWAYD:?BYOD_GATEWAYD must name the byod-gatewayd binary}"
PGCTL="$BYOD_SRC/scripts/pg-test-cluster"
MN="$BYOD_SRC/tests/multinode"
UAI=0131234W

# the cluster's directory is reached by the unprivileged server user: not
# under $T (0700). A run killed before its cleanup (a ctest timeout) leaves
# its server running: those whose test is gone are removed first.
for d in "$base"/mn-pg.*; do
	[ -d "$d" ] || continue
	owner=$(cat "$d/owner" 2>/dev/null)
	if [ -z "$owner" ] || ! kill -0 "$owner" 2>/dev/null; then
		sh "$BYOD_SRC/scripts/pg-test-cluster" remove "$d" >/dev/null 2>&1
	fi
done
PGD=$(mktemp -d "$base/mn-pg.XXXXXX")
echo $$ >"$PGD/owner"
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	sh "$PGCTL" remove "$PGD" >/dev/null 2>&1
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

die() {
	echo "multinode: $*" >&2
	exit 1
}
now_ms() { date +%s%3N; }

# ---- the registry on PostgreSQL ------------------------------------------
sh "$PGCTL" start "$PGD" >"$T/pg-start.log" 2>&1 || die "the PostgreSQL cluster did not start: $(cat "$T/pg-start.log")"
URL=$(sh "$PGCTL" url "$PGD")
sql() { psql -X -q -A -t -F'|' -v ON_ERROR_STOP=1 "$URL"; }
# the throwaway cluster runs with synchronous_commit off (fast tests); a
# crash (section 5) would lose its last commits and their change-feed
# numbers, which a server as deployed keeps
echo "ALTER SYSTEM SET synchronous_commit = on; SELECT pg_reload_conf();" | sql >/dev/null ||
	die "cannot set synchronous_commit"

init_school
conf="$BYOD_HOME/byod.conf"
"$BYODCTL" registry copy --to "$URL" >"$T/copy.out" 2>&1 || die "registry copy failed: $(cat "$T/copy.out")"
sed -i "s|^  # url: \"\"|  url: \"${URL//&/\\&}\"|" "$conf"
check "registry.url names the cluster" grep -qF "  url: \"$URL\"" "$conf"
rm -f "$BYOD_HOME"/registry.db*
check "the school is read from PostgreSQL" sh -c "[ \"\$(echo \"SELECT name FROM schools WHERE uai = '$UAI';\" | psql -X -A -t '$URL')\" = 'Collège des Calanques' ]"

cp "$BYOD_SRC/tests/radius/school-policy.yaml" "$T/policy.yaml"
"$BYODCTL" policy apply "$T/policy.yaml" >/dev/null || die "policy apply failed"
adduser() { # LOGIN PASSWORD
	printf '%s\n' "$2" | "$BYODCTL" user add "$1" --role student --school "$UAI" \
		--name "$1 (test)" --password-stdin >/dev/null || die "user add $1 failed"
}
adduser lea.martin 'Calanques-2026!'
adduser hugo 'autre-mot-de-passe'
sed -i "s/^  limit-student: .*/  limit-student: 10/; s/^  rate-per-day: .*/  rate-per-day: 0/" "$conf"
enrol_mac() { # LOGIN NAME MAC: a device enrolled by byodctl, its id
	"$BYODCTL" device enrol "$1" --name "$2" --kind other --mac "$3" --out "$T/dev-$2" \
		--json | json 'd["device"]'
}
console=$(enrol_mac lea.martin console-lea 02:00:00:00:aa:02) || die "enrol console-lea failed"
tablet=$(enrol_mac lea.martin tablette-lea 02:00:00:00:aa:03) || die "enrol tablette-lea failed"
LOAD_MAC=02:00:00:00:bb:01
hugo_dev=$(enrol_mac hugo phone-hugo "$LOAD_MAC") || die "enrol phone-hugo failed"
check "nothing was written to an SQLite registry" test ! -e "$BYOD_HOME/registry.db"

# ---- the access point and the gateway -------------------------------------
DAS_SECRET=multinode-das-secret-0123
python3 "$MN/nas.py" 127.0.0.1 "$DAS_SECRET" >"$T/nas.log" 2>&1 &
PIDS+=($!)
wait_for 50 grep -q listening "$T/nas.log" || die "the access point does not listen"
NAS_PORT=$(awk '/listening/ { print $2 }' "$T/nas.log")
sed -i "s/^  # secret: \"\"$/  secret: \"$DAS_SECRET\"/; s/^  nas: .*/  nas: \"127.0.0.1:$NAS_PORT\"/" "$conf"
sed -i "s/^  retries: .*/  retries: 1/" "$conf"
{ ip link add ap0 type veth peer name ap0p && ip link add reg0 type veth peer name reg0p; } ||
	die "ip link add failed"
for l in ap0 ap0p reg0 reg0p; do ip link set "$l" up; done
sed -i 's/^  mode: vlan/  mode: existing/' "$conf"
sed -i 's/^  links: .*/  links: "registration=reg0,pupils=ap0"/; s/^  admit-links: .*/  admit-links: "ap0"/' "$conf"
"$BYOD_GATEWAYD" --home "$BYOD_HOME" --school "$UAI" --verbose 2>"$T/gatewayd.log" &
GWD=$!
PIDS+=("$GWD")
check "byod-gatewayd --school $UAI applied the ruleset from PostgreSQL" wait_for 100 grep -q 'ruleset applied' "$T/gatewayd.log"
check "...and follows the change feed" wait_for 100 grep -q 'following the change feed' "$T/gatewayd.log"
ruleset() { nft list table inet byod | sed -E 's/counter packets [0-9]+ bytes [0-9]+//'; }

# ---- two RADIUS nodes ----------------------------------------------------
udp_ports() {
	python3 -c '
import socket
s = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(4)]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))'
}
read -r AUTH_A ACCT_A AUTH_B ACCT_B <<<"$(udp_ports)"
declare -A NODE_PID
node_config() { # NAME AUTH ACCT: a raddb of its own, its own spool
	local dir="$T/raddb-$1"
	"$BYODCTL" radius config --out "$dir" --auth-port "$2" --acct-port "$3" \
		--libdir "$RLM_BYOD_DIR:/usr/lib/freeradius" >/dev/null || die "radius config $1 failed"
	sed -i "s|^\t# spool_dir = .*|\tspool_dir = \"$T/spool-$1\"|" "$dir/mods-enabled/byod"
	grep -q "spool_dir = \"$T/spool-$1\"" "$dir/mods-enabled/byod" || die "spool_dir not set for $1"
}
node_start() { # NAME
	local dir="$T/raddb-$1"
	: >"$dir/log/radius.log"
	freeradius -f -d "$dir" -l "$dir/log/radius.log" &
	NODE_PID[$1]=$!
	PIDS+=($!)
	for _ in $(seq 150); do
		grep -q "Ready to process requests" "$dir/log/radius.log" && return 0
		kill -0 "${NODE_PID[$1]}" 2>/dev/null || die "freeradius $1 exited: $(cat "$dir/log/radius.log")"
		sleep 0.1
	done
	die "freeradius $1 did not get ready: $(cat "$dir/log/radius.log")"
}
# on NAME: the globals tests/radius/lib.sh's mab and eap_tls use
on() {
	RADDB="$T/raddb-$1"
	SECRET=$(cat "$RADDB/secret")
	if [ "$1" = a ]; then AUTH_PORT=$AUTH_A ACCT_PORT=$ACCT_A; else AUTH_PORT=$AUTH_B ACCT_PORT=$ACCT_B; fi
}
node_config a "$AUTH_A" "$ACCT_A"
node_config b "$AUTH_B" "$ACCT_B"
node_start a
node_start b
acct() { # NODE TYPE SESSION MAC OCTETS: one accounting packet, answered or not
	on "$1"
	printf 'Acct-Status-Type = %s\nAcct-Session-Id = "%s"\nNAS-IP-Address = 127.0.0.1\nNAS-Identifier = "ap-1"\nCalling-Station-Id = "%s"\nFramed-IP-Address = 10.20.0.7\nAcct-Input-Octets = %s\nAcct-Output-Octets = %s\n' \
		"$2" "$3" "$4" "$5" "$5" | radclient -x -r 1 -t 3 "127.0.0.1:$ACCT_PORT" acct "$SECRET" >"$T/acct.out" 2>&1
	grep -q "Accounting-Response" "$T/acct.out"
}
mab_answer() { # NODE MAC: the VLAN of the Access-Accept, "reject", or "none"
	on "$1"
	mab "$2"
	# (radclient also says "Expected Access-Accept got Access-Reject")
	if grep -q "^Received Access-Accept" "$T/mab.out"; then
		sed -n 's/.*Tunnel-Private-Group-Id:0 = "\([0-9]*\)".*/\1/p' "$T/mab.out" | head -1
	elif grep -q "^Received Access-Reject" "$T/mab.out"; then
		echo reject
	else
		echo none
	fi
}
# eap NODE: lea's downloaded certificate on NODE; "accept", "reject" or "none"
eap() {
	on "$1"
	if eap_tls lea.martin "$T/lea.pem" "$T/lea.key" 02:00:00:00:aa:01; then
		echo accept
	elif grep -q 'Access-Reject' "$T/eap.out"; then
		echo reject
	else
		echo none
	fi
}
spooled() { # NODE: records waiting in the node's journal
	"$BYODCTL" radius status --spool "$T/spool-$1" --json | json 'd["accounting-spooled"]'
}

# ---- two portals on the one registry --------------------------------------
read -r HTTP_A HTTP_B <<<"$(free_ports 2)"
sed -i "s/^  https-port: .*/  https-port: 0/; s/^  http-port: .*/  http-port: $HTTP_A/" "$conf"
HOME_B="$T/home-b"
cp -a "$BYOD_HOME" "$HOME_B"
sed -i "s/^  http-port: .*/  http-port: $HTTP_B/" "$HOME_B/byod.conf"
portal_start() { # NAME HOME PORT
	"$BYOD_PORTAL" --home "$2" 2>>"$T/portal-$1.log" &
	PIDS+=($!)
	for _ in $(seq 100); do
		curl -s -o /dev/null "http://127.0.0.1:$3/api/captive" && return 0
		kill -0 "${PIDS[-1]}" 2>/dev/null || die "portal $1 exited: $(cat "$T/portal-$1.log")"
		sleep 0.1
	done
	die "portal $1 did not start"
}
portal_start a "$BYOD_HOME" "$HTTP_A"
portal_start b "$HOME_B" "$HTTP_B"
declare -A PORT=([a]=$HTTP_A [b]=$HTTP_B)
JAR="$T/lea.jar"
# req PORTAL METHOD PATH [curl options]: with $JAR; status in $T/code,
# headers in $T/h, body in $T/b
req() {
	local p=$1 method=$2 path=$3
	shift 3
	curl -s -X "$method" -b "$JAR" -c "$JAR" -H 'Host: portal.byod.lan' \
		-H 'Accept-Language: fr-FR,fr;q=0.9' -D "$T/h" -o "$T/b" -w '%{http_code}' "$@" \
		"http://127.0.0.1:${PORT[$p]}$path" >"$T/code"
}
code() { cat "$T/code"; }
hdr() { grep -i "^$1:" "$T/h" | head -1 | cut -d' ' -f2- | tr -d '\r'; }
csrf() { sed -n 's/.*name="csrf" value="\([A-Za-z0-9_-]*\)".*/\1/p' "$T/b" | head -1; }
post() { # PORTAL PATH FORM...
	local p=$1 path=$2 args=()
	shift 2
	for f in "$@"; do args+=(--data-urlencode "$f"); done
	req "$p" POST "$path" "${args[@]}"
}
login() { # PORTAL LOGIN PASSWORD
	req "$1" GET /
	post "$1" /login "csrf=$(csrf)" "login=$2" "password=$3"
}

# ---- 1. enrol on portal A, authenticate on node B ------------------------
login a lea.martin 'Calanques-2026!'
check "lea logs in on portal A (303: $(code))" test "$(code)" = 303
req a GET /enrol
post a /enrol "csrf=$(csrf)" 'name=iPhone de Léa' kind=phone charter=yes
check "...and enrols a device there (200: $(code))" test "$(code)" = 200
pass=$(sed -n 's/.*<code id="passphrase">\([^<]*\)<.*/\1/p' "$T/b")
link=$(sed -n 's/.*id="download"[^>]*href="\([^"]*\)".*/\1/p' "$T/b")
check "...shown a passphrase and a one-time link ($link)" sh -c "[ -n '$pass' ] && echo '$link' | grep -Eq '^/download/[A-Za-z0-9_-]{43}$'"
req b GET "$link"
check "the one-time link works on portal B (200: $(code))" test "$(code)" = 200
check "...as PKCS#12 ($(hdr Content-Type))" test "$(hdr Content-Type)" = application/x-pkcs12
cp "$T/b" "$T/lea.p12"
req a GET "$link"
check "...and is used, on portal A too (410: $(code))" test "$(code)" = 410
openssl pkcs12 -in "$T/lea.p12" -passin "pass:$pass" -nokeys -clcerts -out "$T/lea.pem" 2>/dev/null
openssl pkcs12 -in "$T/lea.p12" -passin "pass:$pass" -nocerts -nodes -out "$T/lea.key" 2>/dev/null
check "the PKCS#12 opens with the passphrase shown" test -s "$T/lea.key"
lea_dev=$("$BYODCTL" device list --json | json '[x["id"] for x in d if x["name"] == "iPhone de Léa"][0]')
check "the device is in the registry" test -n "$lea_dev"
got=$(eap b)
check "EAP-TLS on RADIUS node B: Access-Accept ($got: $(tail -1 "$T/eap.out"))" test "$got" = accept
check "...in the pupils VLAN ($(eap_vlan))" test "$(eap_vlan)" = 20
got=$(eap a)
check "...and on node A too, before the loss ($got)" test "$got" = accept
check "accounting Start of lea's phone on node B" acct b Start mn-lea-1 02-00-00-00-AA-01 0
row=$(echo "SELECT device || ':' || state FROM sessions WHERE session_id = 'mn-lea-1';" | sql)
check "...an open session of that device in PostgreSQL ($row)" test "$row" = "$lea_dev:open"
got=$(mab_answer a 02:00:00:00:aa:02)
check "MAB of lea's console on node A: VLAN 20 ($got)" test "$got" = 20
check "accounting Start of the console on node A" acct a Start mn-console-1 02-00-00-00-AA-02 0
row=$(echo "SELECT device || ':' || state FROM sessions WHERE session_id = 'mn-console-1';" | sql)
check "...an open session of the console ($row)" test "$row" = "$console:open"
check "the gateway admitted the console's MAC" wait_for 50 sh -c \
	"nft list map inet byod admitted >'$T/map.txt' 2>&1; grep -q '02:00:00:00:aa:02 : jump seg_pupils' '$T/map.txt'"

# ---- 2. lost on portal B, refused by node A within 1 s --------------------
JAR="$T/lea-b.jar"
login b lea.martin 'Calanques-2026!'
check "lea logs in on portal B (303: $(code))" test "$(code)" = 303
# refused_within T0 CMD...: CMD prints the answer; polled every 50 ms
# from the moment the portal answered, until "reject" (at most 5 s);
# prints the milliseconds it took, or "never: LAST"
refused_within() {
	local t0=$1 got
	shift
	while [ $(($(now_ms) - t0)) -lt 5000 ]; do
		got=$("$@")
		[ "$got" = reject ] && { echo $(($(now_ms) - t0)); return; }
		sleep 0.05
	done
	echo "never: $got"
}
req b GET /devices
post b /device "csrf=$(csrf)" "id=$lea_dev" action=lost confirm=yes
t0=$(now_ms)
check "'J'ai perdu cet appareil' for the iPhone on portal B (303: $(code))" test "$(code)" = 303
ms=$(refused_within "$t0" eap a)
echo "EAP-TLS refused by node A $ms ms after portal B's answer" >&2
check "EAP-TLS refused by node A within 1 s (after $ms ms)" sh -c "[ '${ms%%:*}' != never ] && [ '$ms' -lt 1000 ]"
check "...because its certificate is revoked ($(grep -A1 'Reply-Message' "$T/eap.out" | tail -1))" \
	grep -Eq "Value: 'certificate [0-9a-f]+ is revoked'" "$T/eap.out"
check "...and by node B" test "$(eap b)" = reject
req b GET /devices
post b /device "csrf=$(csrf)" "id=$console" action=lost confirm=yes
t0=$(now_ms)
check "the console declared lost on portal B too (303: $(code))" test "$(code)" = 303
ms=$(refused_within "$t0" mab_answer a 02:00:00:00:aa:02)
echo "MAB refused by node A $ms ms after portal B's answer" >&2
check "MAB of the console refused by node A within 1 s (after $ms ms)" sh -c "[ '${ms%%:*}' != never ] && [ '$ms' -lt 1000 ]"
check "the access point got the gateway's Disconnect-Request for lea's phone's session" \
	wait_for 50 grep -q '^disconnect mn-lea-1 02-00-00-00-AA-01 authenticator=ok' "$T/nas.log"
check "...and for the console's" \
	wait_for 50 grep -q '^disconnect mn-console-1 02-00-00-00-AA-02 authenticator=ok' "$T/nas.log"
check "...each once ($(grep -c '^disconnect' "$T/nas.log"))" test "$(grep -c '^disconnect' "$T/nas.log")" = 2
check "the gateway logged the access point's Disconnect-ACK" wait_for 30 grep -q 'Disconnect-ACK in' "$T/gatewayd.log"
check "...and took the console's MAC out of the admitted map" wait_for 50 sh -c \
	"nft list map inet byod admitted >'$T/map.txt' 2>&1; ! grep -q '02:00:00:00:aa:02' '$T/map.txt'"

# ---- 3. one pupil's session on both portals -------------------------------
JAR="$T/shared.jar"
login a lea.martin 'Calanques-2026!'
check "a login on portal A (303: $(code))" test "$(code)" = 303
req b GET /devices
check "...and the next request on portal B is in the session (200: $(code))" test "$(code)" = 200
check "...Mes appareils, with lea's devices" sh -c "grep -q '<h1>Mes appareils</h1>' '$T/b' && grep -q 'iPhone de Léa' '$T/b'"
token=$(csrf)
post a /device "csrf=$token" "id=$tablet" action=rename 'name=Tablette de Léa'
check "a form of portal B's page posted to portal A (303: $(code))" test "$(code)" = 303
post b /device "csrf=$token" "id=$tablet" action=rename 'name=encore'
check "...its token then used, on portal B too (403: $(code))" test "$(code)" = 403
check "...the rename done once" test "$(echo "SELECT name FROM devices WHERE id = '$tablet';" | sql)" = 'Tablette de Léa'

# ---- 4. the database stopped for 30 s under load ------------------------
"$BYODCTL" radius status --spool "$T/spool-a" >"$T/status-a.txt" 2>&1
check "node A's status: the registry reachable ($(head -1 "$T/status-a.txt"))" \
	wait_for 120 sh -c "'$BYODCTL' radius status --spool '$T/spool-a' | grep -q '^registry: reachable'"
check "...node B's too" wait_for 120 sh -c "'$BYODCTL' radius status --spool '$T/spool-b' | grep -q '^registry: reachable'"
python3 "$MN/radload.py" --server "a:$AUTH_A:$ACCT_A:$(cat "$T/raddb-a/secret")" \
	--server "b:$AUTH_B:$ACCT_B:$(cat "$T/raddb-b/secret")" --mac "$LOAD_MAC" \
	--stop "$T/load.stop" --out "$T/load.json" >"$T/load.log" 2>&1 &
LOAD=$!
PIDS+=("$LOAD")
wait_for 50 grep -qs running "$T/load.log" || die "the load did not start: $(cat "$T/load.log")"
check "the load's accounting reaches PostgreSQL" wait_for 50 sh -c \
	"[ \"\$(echo \"SELECT COUNT(*) FROM sessions WHERE session_id LIKE 'load-%';\" | psql -X -A -t '$URL')\" -gt 4 ]"
sleep 2 # sessions begun before the outage
t_stop=$(date +%s)
sh "$PGCTL" stop "$PGD" >"$T/pg-stop.log" 2>&1 || die "pg_ctl stop failed: $(cat "$T/pg-stop.log")"
t_down=$(date +%s)
check "the database server is down" sh -c "! echo 'SELECT 1;' | psql -X -A -t '$URL' >/dev/null 2>&1"
for n in a b; do
	check "node $n: byodctl radius status says the registry unreachable since a time" wait_for 150 \
		sh -c "'$BYODCTL' radius status --spool '$T/spool-$n' | grep -Eq '^registry: unreachable since 20[0-9-]+T'"
	check "...and accounting records spooled since a time" wait_for 150 \
		sh -c "'$BYODCTL' radius status --spool '$T/spool-$n' | grep -Eq '^accounting: [1-9][0-9]* records spooled since 20[0-9-]+T'"
done
"$BYODCTL" radius status --spool "$T/spool-a" >"$T/status-a.txt" 2>&1
JAR="$T/shared.jar"
for p in a b; do
	req "$p" GET /devices
	check "portal $p during the outage: 503 ($(code))" test "$(code)" = 503
	check "...with Retry-After" grep -qi '^Retry-After: [0-9]' "$T/h"
	check "...the French page" sh -c "grep -q 'Service momentanément indisponible' '$T/b' && grep -q 'lang=\"fr\"' '$T/b'"
	cp "$T/b" "$T/outage-$p.html"
done
for p in a b; do
	check "portal $p logged the outage once ($(grep -c 'registry is unavailable' "$T/portal-$p.log"))" \
		test "$(grep -c 'registry is unavailable' "$T/portal-$p.log")" = 1
done
check "the gateway said it once ($(grep -c 'ruleset stays as it is' "$T/gatewayd.log"))" \
	wait_for 150 sh -c "[ \$(grep -c 'ruleset stays as it is' '$T/gatewayd.log') = 1 ]"
# (the load's sessions change the admitted map until the outage: the
# ruleset is taken once the gateway has said it is kept)
outage_rules=$(ruleset)
check "...its ruleset in place (the pupils' chain)" grep -q 'chain seg_pupils' <<<"$outage_rules"
left=$((t_down + 30 - $(date +%s)))
[ "$left" -gt 0 ] && sleep "$left"
check "...which it kept as it was throughout" test "$(ruleset)" = "$outage_rules"
check "still every node's status unreachable after 30 s" sh -c \
	"'$BYODCTL' radius status --spool '$T/spool-a' | grep -q '^registry: unreachable' && '$BYODCTL' radius status --spool '$T/spool-b' | grep -q '^registry: unreachable'"
spool_a=$(spooled a) spool_b=$(spooled b)
check "accounting waiting in both journals (A $spool_a, B $spool_b)" sh -c "[ '$spool_a' -gt 0 ] && [ '$spool_b' -gt 0 ]"
sh "$PGCTL" restart "$PGD" >"$T/pg-restart.log" 2>&1 || die "the cluster did not start again: $(cat "$T/pg-restart.log")"
t_up=$(date +%s)
echo "the database was down $((t_up - t_down)) s" >&2
for n in a b; do
	check "node $n's journal replayed by itself" wait_for 300 sh -c "[ \"\$('$BYODCTL' radius status --spool '$T/spool-$n' --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"accounting-spooled\"])')\" = 0 ]"
	check "...its journal file empty" test ! -s "$T/spool-$n/journal"
	check "...its status reachable again" wait_for 150 \
		sh -c "'$BYODCTL' radius status --spool '$T/spool-$n' | grep -q '^registry: reachable'"
done
sleep 2 # the load goes on straight into the registry
touch "$T/load.stop"
check "the load ends" wait_for 150 test -s "$T/load.json"
wait "$LOAD" 2>/dev/null

# every request answered
for n in a b; do
	r=$(json "'%d %d %d %d %s %d %s' % (d['$n']['mab-sent'], d['$n']['mab-answered'], d['$n']['acct-sent'], d['$n']['acct-answered'], d['$n']['mab'].get('20', 0), d['$n']['slowest-ms'], d['$n']['slowest'].replace(' ', '_'))" <"$T/load.json")
	read -r mab_sent mab_ans acct_sent acct_ans mab_20 slowest when <<<"$r"
	echo "node $n: MAB $mab_ans/$mab_sent answered ($mab_20 in VLAN 20), accounting $acct_ans/$acct_sent, slowest $slowest ms (${when//_/ }; outage $t_stop-$t_up)" >&2
	check "node $n: every MAB answered ($mab_ans of $mab_sent)" test "$mab_ans" = "$mab_sent"
	check "...each in VLAN 20, from the index during the outage ($mab_20 of $mab_sent)" test "$mab_20" = "$mab_sent"
	check "...every accounting packet answered ($acct_ans of $acct_sent)" test "$acct_ans" = "$acct_sent"
done
json "'\n'.join(d[n]['unanswered'][:5] and n + ': ' + ', '.join(d[n]['unanswered'][:5]) or '' for n in d)" \
	<"$T/load.json" | grep . >&2

# every accounting session in the database once, with its last counters
json "'\n'.join('%s|1|%d|%d|%s' % (s, v['in'], v['out'], 'closed' if v['packets'][-1] == 'Stop' else 'open') for n in sorted(d) for s, v in sorted(d[n]['sessions'].items()))" \
	<"$T/load.json" | sort >"$T/want.txt"
echo "SELECT session_id, COUNT(*), MAX(in_octets), MAX(out_octets), MAX(state) FROM sessions WHERE session_id LIKE 'load-%' GROUP BY session_id;" |
	sql | sort >"$T/got.txt"
n_sessions=$(wc -l <"$T/want.txt")
check "every load session in PostgreSQL once, with its last packet's counters ($n_sessions sessions; diff: $(diff "$T/want.txt" "$T/got.txt" | head -5 | tr '\n' ' '))" \
	cmp -s "$T/want.txt" "$T/got.txt"
span=$(echo "SELECT SUM(CASE WHEN started < $t_stop THEN 1 ELSE 0 END) || ' ' || SUM(CASE WHEN started > $t_down AND started < $t_up THEN 1 ELSE 0 END) || ' ' || SUM(CASE WHEN started > $t_up THEN 1 ELSE 0 END) FROM sessions WHERE session_id LIKE 'load-%';" | sql)
read -r s_before s_during s_after <<<"$span"
check "...sessions begun before ($s_before), during ($s_during) and after the outage ($s_after)" \
	sh -c "[ '${s_before:-0}' -gt 0 ] && [ '${s_during:-0}' -gt 20 ] && [ '${s_after:-0}' -gt 0 ]"
json "'\n'.join('%s|session.start,session.stop' % s for n in sorted(d) for s in sorted(d[n]['sessions']))" \
	<"$T/load.json" | sort >"$T/want-ev.txt"
echo "SELECT s.session_id, string_agg(e.kind, ',' ORDER BY e.seq) FROM events e JOIN sessions s ON CAST(s.id AS text) = e.object WHERE e.kind LIKE 'session.%' AND s.session_id LIKE 'load-%' GROUP BY s.session_id;" |
	sql | sort >"$T/got-ev.txt"
check "...each with one start and one stop event, in that order (diff: $(diff "$T/want-ev.txt" "$T/got-ev.txt" | head -5 | tr '\n' ' '))" \
	cmp -s "$T/want-ev.txt" "$T/got-ev.txt"
for n in a b; do
	check "node $n said the outage once" test "$(grep -c 'cannot record accounting' "$T/raddb-$n/log/radius.log")" = 1
	check "...and the replay once" test "$(grep -c 'journal replayed' "$T/raddb-$n/log/radius.log")" = 1
done

# the portals and the gateway again
for p in a b; do
	req "$p" GET /devices
	check "portal $p after the outage: Mes appareils again, same session (200: $(code))" sh -c \
		"[ \"\$(cat '$T/code')\" = 200 ] && grep -q '<h1>Mes appareils</h1>' '$T/b'"
	check "...and logged the recovery once" test "$(grep -c 'registry answers again' "$T/portal-$p.log")" = 1
done
check "the gateway follows again by itself" wait_for 150 grep -q 'registry answers again' "$T/gatewayd.log"
check "...said once" test "$(grep -c 'registry answers again' "$T/gatewayd.log")" = 1
check "accounting Start of lea's tablet on node B, after the outage" acct b Start mn-after-1 02-00-00-00-AA-03 0
check "...recorded at once" test "$(echo "SELECT device || ':' || state FROM sessions WHERE session_id = 'mn-after-1';" | sql)" = "$tablet:open"
JAR="$T/shared.jar"
req a GET /devices
post a /device "csrf=$(csrf)" "id=$tablet" action=lost confirm=yes
check "the tablet declared lost on portal A (303: $(code))" test "$(code)" = 303
check "...the gateway follows: its Disconnect-Request sent" wait_for 50 \
	grep -q '^disconnect mn-after-1 02-00-00-00-AA-03 authenticator=ok' "$T/nas.log"

# ---- 5. the server crashes (stopped -m immediate) and comes back -----------
# the programs' connections died without a word of the server's: each must
# find it out before its next statement, not fail it
sh "$PGCTL" stop "$PGD" --immediate >"$T/pg-stop.log" 2>&1 || die "pg_ctl stop -m immediate failed: $(cat "$T/pg-stop.log")"
sleep 3
sh "$PGCTL" restart "$PGD" >"$T/pg-restart.log" 2>&1 || die "the cluster did not start again: $(cat "$T/pg-restart.log")"
for p in a b; do
	# as many requests at once as the portal has connections, and more
	codes=$(for _ in 1 2 3 4 5 6 7 8; do
		curl -s -o /dev/null -w '%{http_code}\n' -b "$JAR" -H 'Host: portal.byod.lan' \
			"http://127.0.0.1:${PORT[$p]}/devices" &
	done | sort | uniq -c | tr -s ' \n' ' ')
	check "portal $p right after the crash: every request served, none 503 (${codes})" \
		test "$codes" = " 8 200 "
done
for n in a b; do
	check "node $n: accounting right after the crash" acct "$n" Start "mn-crash-$n" 02-00-00-00-BB-01 0
	check "...recorded at once, not kept in the journal" \
		test "$(echo "SELECT state FROM sessions WHERE session_id = 'mn-crash-$n';" | sql)" = open
done
"$BYODCTL" device revoke "$hugo_dev" --reason lost >/dev/null || die "device revoke failed"
check "hugo's phone revoked: the gateway sends the Disconnect-Request of each session" wait_for 50 sh -c \
	"grep -q '^disconnect mn-crash-a 02-00-00-00-BB-01 authenticator=ok' '$T/nas.log' && grep -q '^disconnect mn-crash-b 02-00-00-00-BB-01 authenticator=ok' '$T/nas.log'"
ms=$(refused_within "$(now_ms)" mab_answer a "$LOAD_MAC")
check "...and node A refuses its MAB (after $ms ms)" test "${ms%%:*}" != never
for n in a b; do
	check "freeradius $n ran throughout" kill -0 "${NODE_PID[$n]}"
done
check "byod-gatewayd ran throughout" kill -0 "$GWD"
check "still no SQLite registry" test ! -e "$BYOD_HOME/registry.db"
if [ "$failed" -ne 0 ]; then
	for f in gatewayd.log portal-a.log portal-b.log load.log; do
		echo "--- $f" >&2
		tail -20 "$T/$f" >&2
	done
	for n in a b; do
		echo "--- node $n" >&2
		grep -E 'rlm_byod|Error' "$T/raddb-$n/log/radius.log" | tail -20 >&2
	done
fi
finish
