#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# byodctl doctor and byodctl metrics over a registry whose state the test
# sets and reads back itself: a healthy one (OK lines, exit 0, the numbers
# those of the database), followers stale for 5 and 20 minutes (WARN, then
# FAIL with the sentence saying what to do), a schema newer than byodctl's
# (FAIL, exit 1), a registry that cannot be opened. The metrics are checked
# by Prometheus's own parser (promtool check metrics) and their values
# against the database (the feed's head is max(seq) of events).
#
# BYOD_DOCTOR_REGISTRY=pg runs the same on PostgreSQL: the school is copied
# into a throwaway cluster of the test's own (no standby: the replication
# line is the WARN "no standby streams"), registry.read-url set to it; then
# a streaming standby (pg-test-cluster standby): its line and lag,
# registry.read-url on it, its replay paused (WARN, the delay in the
# metrics), synchronous replication on, then without its standby (FAIL).
. "$(dirname "$0")/lib.sh"
: "${BYOD_SRC:?BYOD_SRC must name the source tree}"

PG_DIR= PG_URL= SB_DIR=
trap '[ -z "$SB_DIR" ] || sh "$BYOD_SRC/scripts/pg-test-cluster" remove "$SB_DIR" >/dev/null 2>&1
	[ -z "$PG_DIR" ] || sh "$BYOD_SRC/scripts/pg-test-cluster" remove "$PG_DIR" >/dev/null 2>&1
	rm -rf "$T"' EXIT

command -v promtool >/dev/null || { echo "promtool is missing: scripts/install-deps" >&2; exit 1; }

# the registry's checks only: those of the machine (FreeRADIUS, the gateway,
# the certificates) are cli_doctor_school's
REG_CHECKS=registry,schema,backend,primary,read-url,replication,synchronous,feed,followers

init_school
"$BYODCTL" user add a.martin --role student --school 0131234W >/dev/null &&
	"$BYODCTL" user add b.durand --role teacher --school 0131234W >/dev/null ||
	{ echo "user add failed" >&2; exit 1; }

case ${BYOD_DOCTOR_REGISTRY:-sqlite} in
sqlite) ;;
pg)
	chmod 0711 "$T" # the cluster's server runs as an unprivileged user
	PG_DIR="$T/pg"
	sh "$BYOD_SRC/scripts/pg-test-cluster" start "$PG_DIR" >"$T/pg.log" 2>&1 ||
		{ cat "$T/pg.log" >&2; echo "the PostgreSQL cluster did not start" >&2; exit 1; }
	PG_URL=$(sh "$BYOD_SRC/scripts/pg-test-cluster" url "$PG_DIR")
	"$BYODCTL" registry copy --to "$PG_URL" >"$T/copy.out" 2>&1 ||
		{ cat "$T/copy.out" >&2; echo "registry copy failed" >&2; exit 1; }
	sed -i -e "s|^  # url: \"\"$|  url: \"${PG_URL//&/\\&}\"|" \
		-e "s|^  # read-url: \"\"$|  read-url: \"${PG_URL//&/\\&}\"|" "$BYOD_HOME/byod.conf"
	grep -q "^  read-url: \"$PG_URL\"" "$BYOD_HOME/byod.conf" ||
		{ echo "registry.url not set" >&2; exit 1; }
	mv "$BYOD_HOME/registry.db" "$T/before-copy.db"
	;;
*) echo "BYOD_DOCTOR_REGISTRY must be sqlite or pg" >&2; exit 1 ;;
esac

sql() {
	if [ -n "$PG_URL" ]; then
		psql -X -q -At -v ON_ERROR_STOP=1 -d "$PG_URL" -c "$1"
	else
		sqlite3 "$BYOD_HOME/registry.db" "$1"
	fi
}
schema_version() {
	if [ -n "$PG_URL" ]; then sql "SELECT version FROM schema_version"; else sql "PRAGMA user_version"; fi
}
# heartbeat COMPONENT NODE SCHOOL AGE_S FEED_SEQ: as the follower writes it
heartbeat() {
	local seen=$(($(date +%s) - $4))
	sql "DELETE FROM heartbeats WHERE component = '$1' AND node = '$2' AND school = '$3';
	     INSERT INTO heartbeats (component, node, school, seen, feed_seq, detail)
	     VALUES ('$1', '$2', '$3', $seen, $5, '')"
}
# metric NAME [LABELS]: the value of one sample of $T/metrics ("" when none)
metric() {
	python3 - "$T/metrics" "$1" "${2:-}" <<'EOF'
import sys
path, name, labels = sys.argv[1:]
want = name + ("{" + labels + "}" if labels else "")
for line in open(path, encoding="utf-8"):
    if line.startswith("#"):
        continue
    key, _, value = line.rstrip("\n").rpartition(" ")
    if key == want:
        print(value)
EOF
}

head=$(sql "SELECT max(seq) FROM events")
version=$(schema_version)
check "the registry has events" test "${head:-0}" -gt 0
heartbeat radius r1 "" 3 $((head - 2))

# ---- healthy ----
expect_ok "doctor on a healthy registry" "$BYODCTL" doctor --check "$REG_CHECKS"
cp "$T/out" "$T/doctor.txt"
check "every line is OK, WARN or FAIL with its check" \
	test "$(grep -cvE '^(OK  |WARN|FAIL) [a-z-]+: .+' "$T/doctor.txt")" = 0
check "no FAIL" test "$(grep -c '^FAIL' "$T/doctor.txt")" = 0
check "registry opened, time taken" grep -Eq '^OK   registry: opened .* in [0-9]+ ms$' "$T/doctor.txt"
check "schema migrated, the database's version" \
	grep -q "^OK   schema: migrated: schema version $version, the newest" "$T/doctor.txt"
check "feed head is max(seq)" grep -q "^OK   feed: the change feed's head is event $head\$" "$T/doctor.txt"
check "the follower 2 behind the head" \
	grep -Eq "^OK   followers: radius on node r1 at event $((head - 2)) of $head \(2 behind\), reported [0-9]+ s ago$" \
	"$T/doctor.txt"
if [ -n "$PG_URL" ]; then
	check "backend PostgreSQL" grep -q '^OK   backend: PostgreSQL server ' "$T/doctor.txt"
	check "the writers' server is the primary" \
		grep -Eq '^OK   primary: .+ is the primary \(not in recovery\)$' "$T/doctor.txt"
	check "no standby: WARN, no failover" \
		grep -q '^WARN replication: no standby streams: the registry has no failover$' "$T/doctor.txt"
	check "synchronous off stated" grep -q '^OK   synchronous: off: ' "$T/doctor.txt"
	check "read-url lands on the primary" \
		grep -Eq '^OK   read-url: lands on .+, the primary \([0-9]+ ms\)$' "$T/doctor.txt"
else
	check "backend SQLite, its file" \
		grep -q "^OK   backend: SQLite file $BYOD_HOME/registry.db\$" "$T/doctor.txt"
	check "SQLite: a single file" grep -q '^OK   replication: SQLite is a single file' "$T/doctor.txt"
	check "read-url not set" grep -q '^OK   read-url: registry.read-url is not set' "$T/doctor.txt"
fi

expect_ok "doctor --json" "$BYODCTL" doctor --check "$REG_CHECKS" --json
check "JSON: the same checks as the text" test "$(json 'len(d["checks"])' <"$T/out")" = \
	"$(wc -l <"$T/doctor.txt")"
check "JSON: feed_head is max(seq)" \
	test "$(json '[c for c in d["checks"] if c["name"]=="feed"][0]["feed_head"]' <"$T/out")" = "$head"
check "JSON: the follower's numbers" test "$(json '[(c["component"],c["node"],c["feed_seq"],c["behind"]) for c in d["checks"] if c["name"]=="followers"]' <"$T/out")" = \
	"[('radius', 'r1', $((head - 2)), 2)]"
check "JSON: overall status not FAIL" test "$(json 'd["status"]' <"$T/out")" != FAIL

# ---- metrics ----
# a node name with the characters the format escapes
heartbeat gatewayd 'g"1\x' 0131234W 10 "$head"
expect_ok "metrics" "$BYODCTL" metrics
cp "$T/out" "$T/metrics"
check "promtool accepts the metrics" sh -c "promtool check metrics <'$T/metrics'"
check "byod_registry_up 1" test "$(metric byod_registry_up)" = 1
check "schema version as in the database" test "$(metric byod_registry_schema_version)" = "$version"
check "feed head = max(seq)" test "$(metric byod_registry_feed_head)" = "$head"
check "the follower's feed_seq" \
	test "$(metric byod_follower_feed_seq 'component="radius",node="r1",school=""')" = $((head - 2))
check "the follower's events behind" \
	test "$(metric byod_follower_feed_behind 'component="radius",node="r1",school=""')" = 2
age=$(metric byod_follower_heartbeat_age_seconds 'component="radius",node="r1",school=""')
check "the follower's age (3 s, give or take the test's pace)" test "${age:-99}" -ge 3 -a "${age:-99}" -le 30
check "a label value escaped" \
	test "$(metric byod_follower_feed_behind 'component="gatewayd",node="g\"1\\x",school="0131234W"')" = 0
check "every family has HELP and TYPE" python3 - "$T/metrics" <<'EOF'
import sys
help, typ, seen = set(), set(), set()
for line in open(sys.argv[1]):
    if line.startswith("# HELP "): help.add(line.split()[2])
    elif line.startswith("# TYPE "): typ.add(line.split()[2])
    else: seen.add(line.split("{")[0].split(" ")[0])
sys.exit(0 if seen and seen <= help and seen <= typ else 1)
EOF
if [ -n "$PG_URL" ]; then
	check "no standby: byod_registry_standbys 0" test "$(metric byod_registry_standbys)" = 0
	check "not synchronous" test "$(metric byod_registry_synchronous)" = 0
	check "the primary not in recovery" grep -Eq '^byod_registry_in_recovery\{server=".+"\} 0$' "$T/metrics"
fi

(umask 077 && "$BYODCTL" metrics --out "$T/byod.prom") >"$T/out" 2>"$T/err"
check "metrics --out" test $? = 0 -a ! -s "$T/out"
check "--out: mode 0644 whatever the umask" test "$(stat -c %a "$T/byod.prom")" = 644
check "--out: no .tmp left" test ! -e "$T/byod.prom.tmp"
check "--out: the same families" test "$(grep -c '^# TYPE' "$T/byod.prom")" = "$(grep -c '^# TYPE' "$T/metrics")"
echo keep >"$T/target"
ln -s "$T/target" "$T/linked.prom.tmp"
expect_fail "--out never writes through a link at FILE.tmp" "cannot write" \
	"$BYODCTL" metrics --out "$T/linked.prom"
check "the link's target untouched" test "$(cat "$T/target")" = keep

# ---- stale followers ----
heartbeat gatewayd 'g"1\x' 0131234W 0 "$head"
heartbeat gatewayd g1 "" 300 "$head"
"$BYODCTL" doctor --check "$REG_CHECKS" >"$T/out" 2>"$T/err"
check "a follower silent 5 minutes: exit 0" test $? = 0
check "...WARN with what to do" grep -q \
	'^WARN followers: gatewayd on node g1 has not reported for 5 minutes: check that byod-gatewayd runs there$' \
	"$T/out"
heartbeat radius r2 0131234W 1200 "$head"
"$BYODCTL" doctor --check "$REG_CHECKS" >"$T/out" 2>"$T/err"
check "a follower silent 20 minutes: exit 1" test $? = 1
check "...FAIL with what to do" grep -q \
	'^FAIL followers: radius on node r2 for 0131234W has not reported for 20 minutes: check that FreeRADIUS runs there$' \
	"$T/out"
expect_ok "metrics still exit 0" "$BYODCTL" metrics
cp "$T/out" "$T/metrics"
age=$(metric byod_follower_heartbeat_age_seconds 'component="radius",node="r2",school="0131234W"')
check "the stale follower's age" test "${age:-0}" -ge 1200 -a "${age:-0}" -le 1230
heartbeat radius r3 "" 0 $((head + 5))
"$BYODCTL" doctor --check "$REG_CHECKS" >"$T/out" 2>"$T/err"
check "a follower past the head: WARN" \
	grep -q "^WARN followers: radius on node r3 has applied event $((head + 5)), past the head $head: " "$T/out"
sql "DELETE FROM heartbeats WHERE node IN ('g1', 'r2', 'r3')"
expect_ok "healthy again" "$BYODCTL" doctor --check "$REG_CHECKS"

# ---- a schema newer than this byodctl ----
if [ -n "$PG_URL" ]; then
	sql "UPDATE schema_version SET version = $((version + 1))"
else
	sql "PRAGMA user_version = $((version + 1))"
fi
"$BYODCTL" doctor --check "$REG_CHECKS" >"$T/out" 2>"$T/err"
check "newer schema: exit 1" test $? = 1
check "...FAIL: this byodctl is older than the registry" \
	grep -q '^FAIL schema: this byodctl is older than the registry: ' "$T/out"
check "...the versions named" grep -q "schema version $((version + 1)), newer than this program knows ($version)" "$T/out"
"$BYODCTL" doctor --check "$REG_CHECKS" --json >"$T/out" 2>"$T/err"
check "newer schema, JSON: FAIL" test "$(json 'd["status"]' <"$T/out")" = FAIL
if [ -n "$PG_URL" ]; then
	sql "UPDATE schema_version SET version = $version"
else
	sql "PRAGMA user_version = $version"
fi

# ---- a schema older than this byodctl: said, never migrated by doctor ----
if [ -n "$PG_URL" ]; then
	sql "UPDATE schema_version SET version = $((version - 1))"
else
	sql "PRAGMA user_version = $((version - 1))"
fi
"$BYODCTL" doctor --check "$REG_CHECKS" >"$T/out" 2>"$T/err"
check "older schema: exit 1" test $? = 1
check "...FAIL: the versions and the command" grep -qx \
	"FAIL schema: schema $((version - 1)), this program wants $version: run byodctl registry migrate (as the registry's owner), then restart the services" \
	"$T/out"
check "...doctor left it as it was" test "$(schema_version)" = $((version - 1))
if [ -n "$PG_URL" ]; then
	sql "UPDATE schema_version SET version = $version"
else
	sql "PRAGMA user_version = $version"
fi

# ---- the clocks: on PostgreSQL, the server's against this machine's ----
"$BYODCTL" doctor --check clock --json >"$T/out" 2>"$T/err"
check "clock: a line" test "$(json 'len(d["checks"])' <"$T/out")" = 1
if [ -n "$PG_URL" ]; then
	# the cluster runs on this machine: one clock, no skew beyond the round trip
	check "clock: the registry server's skew, none here" \
		python3 -c "import json,sys; c=json.load(open('$T/out'))['checks'][0]; sys.exit(not abs(c['registry_skew_s']) < 1)"
	"$BYODCTL" doctor --check clock >"$T/out" 2>"$T/err"
	check "clock: the server named" grep -Eq "^(OK  |WARN) clock: .*the registry server .+ is [0-9.]+ s (ahead|behind)" "$T/out"
fi

# ---- PostgreSQL: a streaming standby of the test's cluster (pg-test-cluster standby) ----
if [ -n "$PG_URL" ]; then
	SB_DIR="$T/standby"
	sh "$BYOD_SRC/scripts/pg-test-cluster" standby "$SB_DIR" "$PG_DIR" >"$T/standby.log" 2>&1 ||
		{ cat "$T/standby.log" >&2; echo "the standby did not start" >&2; exit 1; }
	SB_URL=$(sh "$BYOD_SRC/scripts/pg-test-cluster" url "$SB_DIR")
	streaming() {
		test "$(sql "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")" = 1
	}
	check "the standby streams" wait_for 300 streaming
	sed -i "s|^  read-url: .*|  read-url: \"${SB_URL//&/\\&}\"|" "$BYOD_HOME/byod.conf"
	check "registry.read-url names the standby" grep -q "^  read-url: \"$SB_URL\"" "$BYOD_HOME/byod.conf"
	heartbeat radius r1 "" 0 "$head" # a commit for the standby to replay
	replayed() {
		test "$(psql -X -At -d "$SB_URL" -c "SELECT count(*) FROM heartbeats WHERE node = 'r1' AND feed_seq = $head")" = 1
	}
	check "the standby replayed the last commit" wait_for 100 replayed
	expect_ok "doctor with a standby" "$BYODCTL" doctor --check "$REG_CHECKS"
	cp "$T/out" "$T/doctor.txt"
	check "the standby streaming, its lag" grep -Eq \
		'^OK   replication: standby standby is streaming, async, [0-9]+ bytes behind, (replaying [0-9.]+ s behind|no replay lag measured)$' \
		"$T/doctor.txt"
	check "no WARN of no standby" test "$(grep -c 'no standby streams' "$T/doctor.txt")" = 0
	check "read-url lands on the standby, at the head" grep -Eq \
		"^OK   read-url: lands on $SB_DIR:5433, a standby, replaying [0-9.]+ s behind, feed at $head \([0-9]+ ms\)\$" \
		"$T/doctor.txt"
	expect_ok "metrics with a standby" "$BYODCTL" metrics
	cp "$T/out" "$T/metrics"
	check "promtool accepts them" sh -c "promtool check metrics <'$T/metrics'"
	check "byod_registry_standbys 1" test "$(metric byod_registry_standbys)" = 1
	lag=$(metric byod_registry_standby_lag_bytes 'standby="standby",sync_state="async"')
	check "the standby's lag in bytes" test "${lag:--1}" -ge 0
	check "the read server in recovery" \
		test "$(metric byod_registry_in_recovery "server=\"$SB_DIR:5433\"")" = 1
	check "the writers' server not" \
		test "$(metric byod_registry_in_recovery "server=\"$PG_DIR:$(cat "$PG_DIR/port")\"")" = 0

	# the standby's replay paused: what it received and did not apply ages
	psql -X -q -d "$SB_URL" -c "SELECT pg_wal_replay_pause()" >/dev/null
	heartbeat radius r1 "" 0 "$head"
	behind() {
		test "$(psql -X -At -d "$SB_URL" -c "SELECT pg_last_wal_receive_lsn() > pg_last_wal_replay_lsn()")" = t
	}
	check "the paused standby receives without replaying" wait_for 100 behind
	sleep 7
	expect_ok "doctor, the standby 7 s behind: not fatal" "$BYODCTL" doctor --check "$REG_CHECKS"
	check "...WARN, the delay and what to do" grep -Eq \
		"^WARN read-url: the standby $SB_DIR:5433 that the RADIUS index reads replays ([7-9]|[1-5][0-9]) s behind the primary: check its replication" \
		"$T/out"
	expect_ok "metrics, the standby behind" "$BYODCTL" metrics
	cp "$T/out" "$T/metrics"
	delay=$(metric byod_registry_replay_delay_seconds "server=\"$SB_DIR:5433\"")
	check "byod_registry_replay_delay_seconds of the read server ($delay)" \
		python3 -c "import sys; sys.exit(not 7 <= float('${delay:-0}') < 60)"
	psql -X -q -d "$SB_URL" -c "SELECT pg_wal_replay_resume()" >/dev/null
	check "replay resumed: caught up" wait_for 100 eval '! behind'
	expect_ok "doctor, caught up" "$BYODCTL" doctor --check "$REG_CHECKS"
	check "...the read URL OK again" grep -q "^OK   read-url: lands on $SB_DIR:5433, a standby" "$T/out"

	sql "ALTER SYSTEM SET synchronous_standby_names = 'standby'" && sql "SELECT pg_reload_conf()" >/dev/null
	sync_on() { test "$(sql "SELECT sync_state FROM pg_stat_replication")" = sync; }
	check "the standby becomes synchronous" wait_for 100 sync_on
	expect_ok "doctor, synchronous" "$BYODCTL" doctor --check "$REG_CHECKS"
	check "synchronous on, stated" grep -q \
		"^OK   synchronous: on (synchronous_standby_names 'standby'): a commit waits for 1 standby\$" "$T/out"
	expect_ok "metrics, synchronous" "$BYODCTL" metrics
	cp "$T/out" "$T/metrics"
	check "byod_registry_synchronous 1" test "$(metric byod_registry_synchronous)" = 1
	check "the standby's sync_state label" \
		test -n "$(metric byod_registry_standby_lag_bytes 'standby="standby",sync_state="sync"')"

	sh "$BYOD_SRC/scripts/pg-test-cluster" stop "$SB_DIR" >/dev/null
	gone() { test "$(sql "SELECT count(*) FROM pg_stat_replication")" = 0; }
	check "the standby stopped" wait_for 100 gone
	"$BYODCTL" doctor --check "$REG_CHECKS" >"$T/out" 2>"$T/err"
	check "synchronous without its standby: exit 1" test $? = 1
	check "...FAIL: commits wait" grep -q \
		"^FAIL synchronous: synchronous_standby_names is 'standby' but no standby is synchronous: commits wait; " \
		"$T/out"
	check "...the read URL unreachable: FAIL" grep -q '^FAIL read-url: .*: check registry.read-url in ' "$T/out"
	check "...no standby streams" grep -q '^WARN replication: no standby streams' "$T/out"
	sql "ALTER SYSTEM RESET synchronous_standby_names" && sql "SELECT pg_reload_conf()" >/dev/null
fi

# ---- a registry that cannot be opened ----
if [ -n "$PG_URL" ]; then
	sh "$BYOD_SRC/scripts/pg-test-cluster" stop "$PG_DIR" >/dev/null 2>&1
else
	mv "$BYOD_HOME/registry.db" "$T/registry.db"
	mkdir "$BYOD_HOME/registry.db"
fi
"$BYODCTL" doctor --check "$REG_CHECKS" >"$T/out" 2>"$T/err"
check "unreachable: exit 1" test $? = 1
if [ -n "$PG_URL" ]; then
	check "...FAIL registry, what to check" grep -q \
		"^FAIL registry: .*: check registry.url in $BYOD_HOME/byod.conf and that a primary runs (patronictl list)\$" \
		"$T/out"
else
	check "...FAIL registry, what to check" \
		grep -q "^FAIL registry: .*: check registry.path in $BYOD_HOME/byod.conf\$" "$T/out"
fi
check "...and nothing else said of it" test "$(wc -l <"$T/out")" = 1
expect_ok "metrics of an unreachable registry" "$BYODCTL" metrics
cp "$T/out" "$T/metrics"
check "byod_registry_up 0" test "$(metric byod_registry_up)" = 0
check "promtool accepts it" sh -c "promtool check metrics <'$T/metrics'"

finish
