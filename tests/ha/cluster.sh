# SPDX-License-Identifier: GPL-2.0-or-later
# The test cluster of scripts/ha-cluster, which is the reference deployment
# (deploy/ha/etcd.conf.yml and patroni.yml filled in): three etcd members and
# two PostgreSQL nodes under Patroni, in a network namespace of the test's
# own (its loopback only).
#
#  1. asynchronous: the cluster starts (a second start on the same directory
#     is refused); a write through `ha-cluster url` lands on the leader;
#     `ha-cluster read-url` reaches the standby (pg_is_in_recovery() is t)
#     and sees that write;
#  2. kill-primary (SIGKILL of the leader's Patroni and PostgreSQL): the
#     other node is the primary within 30 s and the URL writes there; the
#     time from the kill to the first write through the URL is printed as
#     failover_seconds=...;
#  3. the killed node started again rejoins as a standby through pg_rewind,
#     and streams what was written after the failover; a switchover with
#     patronictl gives the primary back to it, and the URL follows;
#  4. stop leaves no process; `ha-cluster primary` then says there is none;
#  5. with --sync: synchronous_standby_names names the standby, whose
#     sync_state is 'sync'; a write acknowledged right before the primary is
#     killed is on the new primary.
if [ -z "${BYOD_HA_NS:-}" ]; then
	exec unshare -n env BYOD_HA_NS=1 bash "$0" "$@"
fi
ip link set lo up
. "$BYOD_SRC/tests/cli/lib.sh"
HA="$BYOD_SRC/scripts/ha-cluster"
PSQL=/usr/lib/postgresql/15/bin/psql
# the servers run as byodpg, which must enter the directory
chmod 0755 "$T"
C="$T/ha"
trap '"$HA" remove "$C" >/dev/null 2>&1; rm -rf "$T"' EXIT

# q URL SQL: one value, nothing on failure
q() { "$PSQL" -X -A -t -q -v ON_ERROR_STOP=1 "$1" -c "$2" 2>/dev/null; }
# pg_port NAME: the node's PostgreSQL port
pg_port() { sed -n "s/^$(echo "$1" | tr '[:lower:]' '[:upper:]')_PG=//p" "$C/cluster.env"; }
# node_q NAME SQL: on that node, database byod
node_q() { q "host=127.0.0.1 port=$(pg_port "$1") dbname=byod user=byod passfile=$C/pgpass" "$2"; }
other() { if [ "$1" = node1 ]; then echo node2; else echo node1; fi; }
bail() {
	ko "$*"
	"$HA" status "$C" >&2 || true
	finish
	exit 1
}

echo "== 1. asynchronous cluster: writers' and readers' URLs"
start=$SECONDS
"$HA" start "$C" || bail "ha-cluster start failed"
echo "started in $((SECONDS - start)) s"
"$HA" status "$C"
expect_fail "a second start on a running directory" "already runs" "$HA" start "$C"
leader=$("$HA" primary "$C") || bail "no primary after start"
standby=$(other "$leader")
URL=$("$HA" url "$C")
RURL=$("$HA" read-url "$C")
check "the writers' URL names both nodes and read-write" \
	grep -q "127.0.0.1:$(pg_port node1),127.0.0.1:$(pg_port node2)/byod?target_session_attrs=read-write" <<<"$URL"
check "the readers' URL prefers a standby" grep -q 'target_session_attrs=prefer-standby' <<<"$RURL"
# libpq's own parser (PQconninfoParse, through psycopg2's parse_dsn) on
# these URLs and on the reference deployment's byod.conf
parses() { /usr/bin/python3 -c 'import sys, psycopg2.extensions as e; e.parse_dsn(sys.argv[1])' "$1"; }
check "libpq parses the writers' URL" parses "$URL"
check "libpq parses the readers' URL" parses "$RURL"
for key in url read-url; do
	u=$(/usr/bin/python3 -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["registry"][sys.argv[2]])' \
		"$BYOD_SRC/deploy/ha/byod.conf" "$key")
	check "libpq parses deploy/ha/byod.conf's registry.$key" parses "$u"
	check "deploy/ha/byod.conf's registry.$key names two hosts" grep -Eq '^postgresql://[^@]+@[^,/]+,[^,/]+/byod[?]' <<<"$u"
done
check "no password in the URLs" eval '! grep -q "$(cut -d: -f5 "$C/pgpass")" <<<"$URL$RURL"'
check "the password file is the invoker's only" test "$(stat -c %a "$C/pgpass")" = 600
check "no trust in pg_hba" eval '! grep -q trust "$C"/node1/data/pg_hba.conf'
expect_fail "a wrong password is refused" "password authentication failed" \
	"$PSQL" -X "host=127.0.0.1 port=$(pg_port "$leader") dbname=byod user=byod password=wrong" -c 'select 1'
out=$(q "$URL" "create table ha_probe (n int primary key, port int default inet_server_port());
	insert into ha_probe (n) values (1) returning port")
if [ "$out" = "$(pg_port "$leader")" ]; then ok; else ko "the write through the URL went to port '$out', not the leader $leader's $(pg_port "$leader")"; fi
out=$(q "$RURL" "select pg_is_in_recovery(), inet_server_port()")
if [ "$out" = "t|$(pg_port "$standby")" ]; then ok; else ko "the read URL reached '$out', not the standby $standby ($(pg_port "$standby"))"; fi
check "the standby has the write" wait_for 100 eval '[ "$(q "$RURL" "select count(*) from ha_probe")" = 1 ]'
check "the standby is read-only" eval '! q "$RURL" "insert into ha_probe (n) values (99)"'

echo "== 2. the primary killed"
t0=$EPOCHREALTIME
killed=$("$HA" kill-primary "$C") || bail "kill-primary failed"
if [ "$killed" = "$leader" ]; then ok; else ko "kill-primary killed '$killed', not the leader $leader"; fi
check "the killed node's Patroni is gone" eval '! kill -0 "$(cat "$C/$killed.pid")"'
check "none of the killed node's PostgreSQL is left" eval '! pgrep -f "postgres -D $C/$killed/data" >/dev/null'
t1=$EPOCHREALTIME
new=$("$HA" wait-primary "$C" 30) || bail "no primary within 30 s of the kill"
echo "wait-primary: $new after $(python3 -c "print(round($EPOCHREALTIME - $t1, 2))") s"
if [ "$new" = "$standby" ]; then ok; else ko "the new primary is '$new', not $standby"; fi
out=""
for _ in $(seq 300); do
	out=$(q "$URL" "insert into ha_probe (n) values (2) returning port") && break
	sleep 0.1
done
t2=$EPOCHREALTIME
failover=$(python3 -c "print(round($t2 - $t0, 2))")
echo "failover_seconds=$failover"
if [ "$out" = "$(pg_port "$standby")" ]; then ok; else ko "the write after the failover went to '$out', not $standby's port $(pg_port "$standby")"; fi
check "failover within 30 s ($failover s)" python3 -c "import sys; sys.exit(not $failover < 30)"
check "the write from before the kill is on the new primary" \
	eval '[ "$(node_q "$standby" "select count(*) from ha_probe where n = 1")" = 1 ]'
out=$(q "$RURL" "select pg_is_in_recovery()")
if [ "$out" = f ]; then ok; else ko "the read URL without a standby should reach the primary, got '$out'"; fi

echo "== 3. the old primary rejoins"
q "$URL" "insert into ha_probe (n) values (3)" >/dev/null || ko "a write before the rejoin"
start=$SECONDS
"$HA" start-node "$C" "$killed" || bail "start-node $killed failed"
echo "rejoined in $((SECONDS - start)) s"
"$HA" status "$C"
check "$killed rewound its timeline (pg_rewind)" grep -q 'pg_rewind exit code=0' "$C/$killed.log"
check "$killed is a standby" eval '[ "$(node_q "$killed" "select pg_is_in_recovery()")" = t ]'
check "$killed streams from $standby" eval '[ "$(node_q "$standby" "select count(*) from pg_stat_replication where application_name = '"'$killed'"' and state = '"'streaming'"'")" = 1 ]'
check "$killed has every write" \
	wait_for 100 eval '[ "$(node_q "$killed" "select string_agg(n::text, '"','"' order by n) from ha_probe")" = 1,2,3 ]'
out=$(q "$RURL" "select inet_server_port()")
if [ "$out" = "$(pg_port "$killed")" ]; then ok; else ko "the read URL should reach the standby $killed again, got port '$out'"; fi
check "no synchronous standby without --sync" eval '[ -z "$(q "$URL" "show synchronous_standby_names")" ]'

echo "== 3b. switchover back with patronictl (deploy/ha/README.md)"
patronictl -c "$C/node1/patroni.yml" switchover --leader "$standby" --candidate "$killed" --force ||
	ko "patronictl switchover to $killed"
new=$("$HA" wait-primary "$C" 30) || bail "no primary within 30 s of the switchover"
if [ "$new" = "$killed" ]; then ok; else ko "after the switchover the primary is '$new', not $killed"; fi
check "the URL writes on $killed after the switchover" \
	wait_for 100 eval '[ "$(q "$URL" "insert into ha_probe (n) values (4) returning port")" = "$(pg_port "$killed")" ]'
check "$standby streams from $killed after the switchover" \
	wait_for 300 eval '[ "$(node_q "$killed" "select count(*) from pg_stat_replication where application_name = '"'$standby'"' and state = '"'streaming'"'")" = 1 ]'

echo "== 4. stop"
pids=$(cat "$C"/*.pid)
"$HA" stop "$C" || ko "ha-cluster stop failed"
for p in $pids; do
	check "process $p stopped" eval '! kill -0 '"$p"
done
check "no process of the cluster left" eval '! pgrep -f "$C/" >/dev/null'
check "no primary once stopped" eval '! "$HA" primary "$C"'

echo "== 5. synchronous_mode"
"$HA" remove "$C"
check "remove deletes the directory" test ! -e "$C"
"$HA" start "$C" --sync || bail "ha-cluster start --sync failed"
"$HA" status "$C"
leader=$("$HA" primary "$C") || bail "no primary after start --sync"
standby=$(other "$leader")
URL=$("$HA" url "$C")
out=$(q "$URL" "show synchronous_standby_names")
if grep -q "$standby" <<<"$out"; then ok; else ko "synchronous_standby_names is '$out', not naming $standby"; fi
out=$(q "$URL" "select application_name || ' ' || sync_state from pg_stat_replication")
if [ "$out" = "$standby sync" ]; then ok; else ko "pg_stat_replication says '$out', not '$standby sync'"; fi
q "$URL" "create table ha_sync (n int)" >/dev/null || ko "create a table under synchronous_mode"
# acknowledged, then the primary lost at once
out=$(q "$URL" "insert into ha_sync values (42) returning n")
if [ "$out" = 42 ]; then ok; else ko "the write before the kill was not acknowledged"; fi
"$HA" kill-primary "$C" >/dev/null || bail "kill-primary under --sync failed"
new=$("$HA" wait-primary "$C" 30) || bail "no primary within 30 s of the kill under --sync"
if [ "$new" = "$standby" ]; then ok; else ko "the new primary is '$new', not $standby"; fi
check "the acknowledged write survived the primary's loss" \
	eval '[ "$(q "$URL" "select count(*) from ha_sync where n = 42")" = 1 ]'
check "the lone primary takes writes (synchronous_mode is not strict)" \
	wait_for 100 eval 'q "$URL" "insert into ha_sync values (43)" >/dev/null'
"$HA" stop "$C" || ko "ha-cluster stop failed"

finish
