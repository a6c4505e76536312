# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by the benchmark scripts. Sourced, not run.
#
#   bench_init NAME "$@"   parses --smoke (toy size) and --out DIR (where the
#                          figures go; default build/bench), makes $T (a
#                          temp dir removed at exit unless KEEP is set),
#                          sets $SMOKE (0/1) and $FIGS ($OUT/NAME.jsonl)
#   figure NAME VALUE UNIT [BASELINE_NAME BASELINE_VALUE [NOTE]]
#                          one measured figure; with a baseline, the ratio
#                          VALUE/BASELINE_VALUE is computed and printed too
#   note TEXT              one sentence for the table (method, bottleneck)
#   series NAME X_LABEL Y_LABEL "x y" ...   points for the plot
#   pct FILE               p50 p99 max of the numbers in FILE (one a line)
#   fr_start DIR / portal_start PORT   a daemon, stopped at exit
#   stop_pid PID           ends one of them before that
#   proc_cpu_us PID        user+system CPU time of PID (all its threads), µs
#   proc_threads_cpu_us PID   the same per thread: "TID µs" lines
#   proc_rss_kb PID        resident memory of PID, KiB
#   figure_runs [--config TEXT] NAME UNIT FILE [BASELINE_NAME BASELINE_FILE [NOTE]]
#                          a figure measured in several runs alternated with
#                          its baseline's (one number a line in each FILE, in
#                          run order): the median, the range, the ratio (the
#                          median of the ratios taken run by run) and their
#                          range; sets RATIO. --config names the figure's own
#                          configuration (figure takes it too)
#   alternate ROUNDS FN CFG...   FN CFG ROUND for every configuration, ROUNDS
#                          times, the order reversed every other round
#   profile LABEL PID CMD...     CMD; with BENCH_PROFILE=1, PID's call stacks
#                          recorded meanwhile (perf record -g) and its top
#                          frames written as a note
#   profile_cmd LABEL CMD...     the same for a command of its own (perf, or
#                          callgrind where the kernel forbids perf)
#   small_ratio            true when RATIO is within 10 % of 1 (a profile
#                          must say where the difference is), or always
#                          with BENCH_PROFILE=all
#   pg_cluster_start       a throwaway PostgreSQL cluster in $T/pg, as a
#                          server is run (fsync on), removed at exit; sets
#                          PG_URL and PG_DIR
#   pg_server_cpu_us       CPU time of that server, its processes and the
#                          ones that have ended, µs (pg_settle: those of
#                          clients that have ended are counted)
#   bench_school_fill_pg URL N   bench_school's rows in a PostgreSQL registry
#
# The figures are JSON lines that bench/report.py turns into BENCHMARKS.md
# and the plot; every figure is also printed as name=value for people.
set -uo pipefail

BENCH_PY=/usr/bin/python3 # Debian's, with matplotlib (scripts/install-deps)

bench_init() {
	BENCH_NAME=$1
	shift
	SMOKE=0
	OUT=${BENCH_OUT:-}
	while [ $# -gt 0 ]; do
		case $1 in
		--smoke) SMOKE=1 ;;
		--out) OUT=$2; shift ;;
		*) echo "usage: $0 [--smoke] [--out DIR]" >&2; exit 2 ;;
		esac
		shift
	done
	: "${OUT:=${BYOD_SRC:-.}/build/bench}"
	mkdir -p "$OUT"
	FIGS="$OUT/$BENCH_NAME.jsonl"
	: >"$FIGS"
	local base=${BYOD_TEST_TMP:-/tmp}
	mkdir -p "$base"
	T=$(mktemp -d "$base/bench-$BENCH_NAME.XXXXXX")
	trap 'bench_cleanup' EXIT
}

# At exit: the script's bench_stop if it has one, then every daemon
# fr_start and portal_start started.
BENCH_PIDS=()
bench_cleanup() {
	local p
	if declare -F bench_stop >/dev/null; then bench_stop; fi
	for p in "${BENCH_PIDS[@]}"; do stop_pid "$p"; done
	# the TLS session caches byodctl radius config put on tmpfs
	local v c
	for v in $(find "$T" -name byod-vars.conf 2>/dev/null); do
		c=$(sed -n 's/^byod_tls_cache = "\(.*\)"$/\1/p' "$v")
		[ -n "$c" ] && [ "$c" != "${c#/dev/shm/byod-tlscache-}" ] && rm -rf "$c"
	done
	if [ -n "${PG_DIR:-}" ]; then
		sh "$BYOD_SRC/scripts/pg-test-cluster" "$([ -n "${KEEP:-}" ] && echo stop || echo remove)" \
			"$PG_DIR"
	fi
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}

# stop_pid PID: ends a daemon this script started, and waits for it
stop_pid() {
	if [ -n "$1" ] && kill "$1" 2>/dev/null; then
		wait "$1" 2>/dev/null
	fi
	return 0
}

# tcp_ports N: N free TCP ports on loopback, picked by the kernel
tcp_ports() {
	"$BENCH_PY" - "$1" <<'PY'
import socket, sys
s = [socket.socket() for _ in range(int(sys.argv[1]))]
for x in s:
    x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))
PY
}

# fr_start DIR: freeradius -f on the raddb DIR, its log in
# DIR/log/radius.log; sets FR_PID and READY_S (seconds until it was ready)
fr_start() {
	local dir=$1 a b
	mkdir -p "$dir/log"
	: >"$dir/log/radius.log"
	a=$(date +%s.%N)
	freeradius -f -d "$dir" -l "$dir/log/radius.log" &
	FR_PID=$!
	BENCH_PIDS+=("$FR_PID")
	for _ in $(seq 1200); do
		if grep -q "Ready to process requests" "$dir/log/radius.log" 2>/dev/null; then
			b=$(date +%s.%N)
			READY_S=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", b - a }')
			return 0
		fi
		kill -0 "$FR_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "freeradius ($dir) did not start; its log:" >&2
	tail -30 "$dir/log/radius.log" >&2
	exit 1
}

# portal_start PORT: byod-portal on $BYOD_HOME, its HTTP on PORT (the
# caller wrote it to byod.conf), its log in $T/portal.log; sets PORTAL_PID
portal_start() {
	"$BYOD_PORTAL" --home "$BYOD_HOME" 2>>"$T/portal.log" &
	PORTAL_PID=$!
	BENCH_PIDS+=("$PORTAL_PID")
	for _ in $(seq 100); do
		curl -s -o /dev/null "http://127.0.0.1:$1/api/captive" && return 0
		kill -0 "$PORTAL_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "byod-portal did not start; its log:" >&2
	tail -20 "$T/portal.log" >&2
	exit 1
}

figure() {
	local config=
	if [ "$1" = --config ]; then config=$2; shift 2; fi
	local name=$1 value=$2 unit=$3 bname=${4:-} bvalue=${5:-} note=${6:-}
	"$BENCH_PY" - "$FIGS" "$BENCH_NAME" "$name" "$value" "$unit" "$bname" "$bvalue" "$note" "$SMOKE" \
		"$config" <<'PY'
import json, sys
figs, bench, name, value, unit, bname, bvalue, note, smoke, config = sys.argv[1:]
rec = {"bench": bench, "name": name, "value": float(value), "unit": unit, "smoke": smoke == "1"}
if config:
    rec["config"] = config
line = f"{name}={float(value):g} {unit}"
if bname:
    rec["baseline"] = bname
    rec["baseline_value"] = float(bvalue)
    if float(bvalue) != 0:
        rec["ratio"] = float(value) / float(bvalue)
        line += f"  baseline {bname}={float(bvalue):g}  ratio={rec['ratio']:.3g}"
if note:
    rec["note"] = note
with open(figs, "a") as f:
    f.write(json.dumps(rec, ensure_ascii=False) + "\n")
print(line)
PY
}

# figure_runs [--config TEXT] NAME UNIT FILE [BASELINE_NAME BASELINE_FILE
# [NOTE]]: FILE has one number a line, one per run, the baseline's runs
# alternated with them in the same order (alternate): the figure is the
# median of the runs, with their range and count; the ratio is the median
# of the ratios taken run by run (run i against the baseline's run i: the
# two measured a moment apart, under the same load from the rest of the
# machine), ratio_range their lowest and highest. RATIO is set to it.
figure_runs() {
	local config=
	if [ "$1" = --config ]; then config=$2; shift 2; fi
	local name=$1 unit=$2 file=$3 bname=${4:-} bfile=${5:-} note=${6:-}
	RATIO=$("$BENCH_PY" - "$FIGS" "$BENCH_NAME" "$name" "$unit" "$file" "$bname" "$bfile" "$note" \
		"$SMOKE" "$config" <<'PY'
import json, statistics, sys
figs, bench, name, unit, file, bname, bfile, note, smoke, config = sys.argv[1:]
def runs(path):
    v = [float(l) for l in open(path) if l.strip()]
    if not v:
        sys.exit("no runs in " + path)
    return v
v = runs(file)
rec = {"bench": bench, "name": name, "value": statistics.median(v), "unit": unit,
       "smoke": smoke == "1", "runs": len(v), "range": [min(v), max(v)]}
if config:
    rec["config"] = config
line = f"{name}={rec['value']:g} {unit} ({min(v):g}-{max(v):g}, {len(v)} runs)"
if bname:
    b = runs(bfile)
    if len(b) != len(v):
        sys.exit(f"{name}: {len(v)} runs against {len(b)} of the baseline's: not paired")
    rec["baseline"] = bname
    rec["baseline_value"] = statistics.median(b)
    rec["baseline_range"] = [min(b), max(b)]
    pairs = [x / y for x, y in zip(v, b) if y != 0]
    if pairs:
        rec["ratio"] = statistics.median(pairs)
        rec["ratio_range"] = [min(pairs), max(pairs)]
        line += (f"  baseline {bname}={rec['baseline_value']:g}  ratio={rec['ratio']:.3g}"
                 f" ({min(pairs):.3g}-{max(pairs):.3g}, run by run)")
if note:
    rec["note"] = note
with open(figs, "a") as f:
    f.write(json.dumps(rec, ensure_ascii=False) + "\n")
print(line, file=sys.stderr)
print(rec.get("ratio", ""))
PY
	) || exit 1
}

# small_ratio: the last figure_runs' ratio is within 10 % of 1, where one
# run's noise can hide or make the difference: a profile must attribute it
# (BENCH_PROFILE=all: every comparison, whatever its ratio)
small_ratio() {
	[ "${BENCH_PROFILE:-0}" = all ] && return 0
	[ -n "${RATIO:-}" ] && awk -v r="$RATIO" 'BEGIN { exit !(r > 0.9 && r < 1.1) }'
}

# profiling: BENCH_PROFILE is 1 or all
profiling() { [ "${BENCH_PROFILE:-0}" = 1 ] || [ "${BENCH_PROFILE:-0}" = all ]; }

# alternate ROUNDS FN CFG...: FN CFG ROUND for each configuration, ROUNDS
# rounds, the order reversed every other round (A B, B A, A B...): a drift
# of the shared machine's load falls on every configuration alike, and each
# round's runs are a moment apart, so that their ratio is taken under the
# same conditions
alternate() {
	local rounds=$1 fn=$2 r c
	shift 2
	local fwd=("$@") rev=()
	for c in "$@"; do rev=("$c" "${rev[@]}"); done
	for r in $(seq "$rounds"); do
		if [ $((r % 2)) = 1 ]; then
			for c in "${fwd[@]}"; do "$fn" "$c" "$r"; done
		else
			for c in "${rev[@]}"; do "$fn" "$c" "$r"; done
		fi
	done
}

# perf_usable: perf exists and the kernel lets it record this user's
# processes with call stacks (kernel.perf_event_paranoid, containers)
perf_usable() {
	if [ -z "${PERF_USABLE:-}" ]; then
		PERF_USABLE=0
		command -v perf >/dev/null &&
			perf record -q -g -o "$T/perf-probe.data" -- true >/dev/null 2>&1 &&
			PERF_USABLE=1
		rm -f "$T/perf-probe.data"
	fi
	[ "$PERF_USABLE" = 1 ]
}

# perf_top DATA LABEL: the top frames of a perf recording (self time, by
# shared object and symbol), as one note
perf_top() {
	local top dsos
	top=$(perf report -i "$1" --stdio --no-children --sort dso,sym -g none --percent-limit 1.5 \
		2>/dev/null | awk '/^ *[0-9.]+%/ && n < 10 {
			pct = $1; dso = $2; $1 = $2 = $3 = ""; sub(/^ +/, "")
			printf "%s%s %s (%s)", (n ? "; " : ""), pct, $0, dso; n++ }')
	dsos=$(perf report -i "$1" --stdio --no-children --sort dso -g none --percent-limit 1 \
		2>/dev/null | awk '/^ *[0-9.]+%/ && n < 8 {
			printf "%s%s %s", (n ? ", " : ""), $1, $2; n++ }')
	note_profile "$2 (perf record -g, self time): by object ${dsos:-none above 1 %};" \
		"top frames ${top:-none above 1.5 %}."
}

# profile LABEL PID CMD...: runs CMD; with BENCH_PROFILE=1 (and perf
# usable), PID's call stacks are recorded while it runs and its top frames
# noted. Never around a measured run: recording costs the server CPU.
profile() {
	local label=$1 pid=$2 pp rc
	shift 2
	if ! profiling || ! perf_usable; then
		profiling && note_profile "$label: perf cannot record here."
		"$@"
		return
	fi
	perf record -q -g -p "$pid" -o "$T/profile.data" >/dev/null 2>"$T/profile.err" &
	pp=$!
	sleep 0.5 # attached to every thread
	"$@"
	rc=$?
	kill -INT "$pp" 2>/dev/null
	wait "$pp" 2>/dev/null
	perf_top "$T/profile.data" "$label"
	rm -f "$T/profile.data"
	return $rc
}

# profile_cmd LABEL CMD...: CMD under perf record -g, or callgrind where
# perf cannot record (its instruction counts: slower, exact); its output
# on stdout as without. Only with BENCH_PROFILE=1; else CMD alone.
profile_cmd() {
	local label=$1 rc top
	shift
	if ! profiling; then
		"$@"
		return
	fi
	if perf_usable; then
		perf record -q -g -o "$T/profile.data" -- "$@" 2>"$T/profile.err"
		rc=$?
		perf_top "$T/profile.data" "$label"
		rm -f "$T/profile.data"
		return $rc
	fi
	if ! command -v valgrind >/dev/null; then
		note_profile "$label: neither perf nor valgrind can record here."
		"$@"
		return
	fi
	valgrind -q --tool=callgrind --callgrind-out-file="$T/callgrind.out" "$@"
	rc=$?
	top=$(callgrind_annotate "$T/callgrind.out" 2>/dev/null | awk '
		/PROGRAM TOTALS/ { next }
		/^ *[0-9,]+ +\( *[0-9.]+%\) / && n < 10 {
			match($0, /\( *[0-9.]+%\)/); pct = substr($0, RSTART + 1, RLENGTH - 2)
			gsub(/ /, "", pct); fn = substr($0, RSTART + RLENGTH); sub(/^ +/, "", fn)
			sub(/ \[.*\]$/, "", fn); sub(/^.*\//, "", fn)
			printf "%s%s %s", (n ? "; " : ""), pct, fn; n++ }')
	note_profile "$label (callgrind, instructions, top functions): ${top:-none}."
	rm -f "$T/callgrind.out"
	return $rc
}

note() {
	"$BENCH_PY" - "$FIGS" "$BENCH_NAME" "$*" <<'PY'
import json, sys
figs, bench, text = sys.argv[1:]
with open(figs, "a") as f:
    f.write(json.dumps({"bench": bench, "note": text}, ensure_ascii=False) + "\n")
print("note:", text)
PY
}

# note_profile TEXT: a profile's top frames, which the report lists apart
note_profile() {
	"$BENCH_PY" - "$FIGS" "$BENCH_NAME" "$*" <<'PY'
import json, sys
figs, bench, text = sys.argv[1:]
with open(figs, "a") as f:
    f.write(json.dumps({"bench": bench, "note": text, "profile": True}, ensure_ascii=False) + "\n")
print("profile:", text)
PY
}

series() {
	local name=$1 xl=$2 yl=$3
	shift 3
	"$BENCH_PY" - "$FIGS" "$BENCH_NAME" "$name" "$xl" "$yl" "$@" <<'PY'
import json, sys
figs, bench, name, xl, yl = sys.argv[1:6]
pts = [[float(v) for v in p.split()] for p in sys.argv[6:]]
with open(figs, "a") as f:
    f.write(json.dumps({"bench": bench, "series": name, "x_label": xl, "y_label": yl,
                        "points": pts}, ensure_ascii=False) + "\n")
PY
}

pct() {
	"$BENCH_PY" - "$1" <<'PY'
import math, sys
v = sorted(float(l) for l in open(sys.argv[1]) if l.strip())
if not v:
    sys.exit("no samples in " + sys.argv[1])
def q(p):
    return v[min(len(v) - 1, max(0, math.ceil(p * len(v)) - 1))]
print(f"{q(0.50):g} {q(0.99):g} {v[-1]:g}")
PY
}

proc_cpu_us() {
	local stat rest tck
	stat=$(cat "/proc/$1/stat") || return 1
	rest=${stat##*) }
	tck=$(getconf CLK_TCK)
	# fields 14 and 15 (utime, stime); rest starts at field 3
	awk -v t="$tck" '{ printf "%.0f\n", ($12 + $13) * 1e6 / t }' <<<"$rest"
}

# proc_threads_cpu_us PID: "TID µs" for each thread of PID
proc_threads_cpu_us() {
	local f stat tck
	tck=$(getconf CLK_TCK)
	for f in /proc/"$1"/task/*/stat; do
		stat=$(cat "$f" 2>/dev/null) || continue
		awk -v t="$tck" -v tid="${stat%% *}" '{ printf "%s %.0f\n", tid, ($12 + $13) * 1e6 / t }' \
			<<<"${stat##*) }"
	done
}

proc_rss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

# bench_school N: a school in $BYOD_HOME with a segment policy and N
# enrolled devices (two per account, one account in ten a teacher's, each
# device with its MAC and a valid certificate), written straight into the
# registry's tables in one transaction: issuing a million certificates
# through byodctl would take hours and measure the CA, not what a benchmark
# asks. Device i has MAC 02:00:ii:ii:ii:ii (radload's scheme).
bench_school() {
	bench_school_init
	bench_school_fill_sqlite "$1"
}

# bench_school_init: the school and its policy, no device yet
bench_school_init() {
	"$BYODCTL" init --school 0131234W --name "Collège des Calanques" >/dev/null ||
		{ echo "byodctl init failed" >&2; exit 1; }
	cat >"$T/policy.yaml" <<'POLICY'
segments:
  registration: { vlan: 10, subnet: 10.10.0.0/22, allow: [portal, dns, dhcp] }
  pupils: { vlan: 20, subnet: 10.20.0.0/16, allow: [ent, dns, dhcp] }
  teachers: { vlan: 30, subnet: 10.30.0.0/20, allow: [ent, printers, dns, dhcp] }
services:
  portal: { to: [10.0.0.2], ports: [tcp/80, tcp/443] }
  ent: { to: [10.0.6.10], ports: [tcp/443] }
  printers: { to: [10.0.5.0/24], ports: [tcp/631] }
rules:
  - name: unknown devices register
    match: { state: unknown }
    segment: registration
  - name: teachers
    match: { role: teacher }
    segment: teachers
  - name: pupils
    match: { role: student }
    segment: pupils
default: registration
POLICY
	"$BYODCTL" policy apply "$T/policy.yaml" >/dev/null ||
		{ echo "policy apply failed" >&2; exit 1; }
}

# bench_school_fill_sqlite N: bench_school's people, devices and
# certificates in $BYOD_HOME's SQLite registry, one transaction
bench_school_fill_sqlite() {
	local n=$1 now
	now=$(date +%s)
	sqlite3 "$BYOD_HOME/registry.db" >/dev/null <<SQL || { echo "bulk insert failed" >&2; exit 1; }
BEGIN;
WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i + 1 < ($n + 1) / 2)
INSERT INTO people (id, login, display_name, role, school, password_hash, state, created)
SELECT 1000 + i, printf('p%07d', i), printf('Élève %d', i),
       CASE WHEN i % 10 = 0 THEN 'teacher' ELSE 'student' END, '0131234W', '', 'active', $now
FROM k;
WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i + 1 < $n)
INSERT INTO devices (id, owner, name, kind, mac, state, created, expires)
SELECT printf('%08x-0000-4000-8000-%012x', i, i), 1000 + i / 2, printf('phone %d', i), 'phone',
       printf('02:00:%02x:%02x:%02x:%02x', (i >> 24) & 255, (i >> 16) & 255, (i >> 8) & 255,
              i & 255),
       'active', $now, $now + 300 * 86400
FROM k;
WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i + 1 < $n)
INSERT INTO certificates (serial, device, not_before, not_after, state)
SELECT printf('%032x', i + 4096), printf('%08x-0000-4000-8000-%012x', i, i), $now - 60,
       $now + 300 * 86400, 'valid'
FROM k;
COMMIT;
SQL
}

# bench_school_fill_pg URL N: the same rows in the PostgreSQL registry at
# URL (made by `byodctl registry copy` of the school, without devices),
# generated by the server (generate_series) in one transaction: the copy
# command, a row at a time, would take an hour for a million. Foreign keys
# are not checked row by row (session_replication_role = replica: the rows
# are made consistent), then VACUUM (FREEZE, ANALYZE), as autovacuum would
# leave a registry, so that the first read does not set hint bits.
bench_school_fill_pg() {
	local url=$1 n=$2 now
	now=$(date +%s)
	psql -X -q -v ON_ERROR_STOP=1 -v n="$n" -v now="$now" "$url" >/dev/null <<'SQL' ||
SET session_replication_role = replica;
BEGIN;
INSERT INTO people (id, login, display_name, role, school, password_hash, state, created)
SELECT 1000 + i, 'p' || lpad(i::text, 7, '0'), 'Élève ' || i,
       CASE WHEN i % 10 = 0 THEN 'teacher' ELSE 'student' END, '0131234W', '', 'active', :now
FROM generate_series(0, (:n + 1) / 2 - 1) AS i;
INSERT INTO devices (id, owner, name, kind, mac, state, created, expires)
SELECT lpad(to_hex(i), 8, '0') || '-0000-4000-8000-' || lpad(to_hex(i), 12, '0'), 1000 + i / 2,
       'phone ' || i, 'phone',
       '02:00:' || lpad(to_hex((i >> 24) & 255), 2, '0') || ':' || lpad(to_hex((i >> 16) & 255), 2, '0')
       || ':' || lpad(to_hex((i >> 8) & 255), 2, '0') || ':' || lpad(to_hex(i & 255), 2, '0'),
       'active', :now, :now + 300 * 86400
FROM generate_series(0, :n - 1) AS i;
INSERT INTO certificates (serial, device, not_before, not_after, state)
SELECT lpad(to_hex(i + 4096), 32, '0'),
       lpad(to_hex(i), 8, '0') || '-0000-4000-8000-' || lpad(to_hex(i), 12, '0'),
       :now - 60, :now + 300 * 86400, 'valid'
FROM generate_series(0, :n - 1) AS i;
SELECT setval(pg_get_serial_sequence('people', 'id'), (SELECT max(id) FROM people));
COMMIT;
VACUUM (FREEZE, ANALYZE) people, devices, certificates;
SQL
		{ echo "bulk insert into PostgreSQL failed" >&2; exit 1; }
}

# pg_cluster_start: a throwaway PostgreSQL 15 cluster in $T/pg
# (scripts/pg-test-cluster: initdb as an unprivileged user, a Unix socket
# in the directory only), removed at exit; sets PG_DIR and PG_URL. It runs
# as the tests run it (fsync off) until pg_cluster_durable.
pg_cluster_start() {
	PG_DIR=$T/pg
	chmod 0755 "$T" # the server's user reaches its directory through it
	sh "$BYOD_SRC/scripts/pg-test-cluster" start "$PG_DIR" >"$T/pg-start.log" 2>&1 ||
		{ echo "the PostgreSQL cluster did not start:" >&2; cat "$T/pg-start.log" >&2; exit 1; }
	PG_URL=$(sh "$BYOD_SRC/scripts/pg-test-cluster" url "$PG_DIR")
}

# pg_cluster_durable: restarts the cluster as a registry's server is run,
# fsync and synchronous commit on (SQLite's WAL syncs every commit too),
# and PostgreSQL's default 128 MB of shared buffers
pg_cluster_durable() {
	cat >>"$PG_DIR/data/postgresql.conf" <<'CONF'
# bench/lib.sh pg_cluster_durable
fsync = on
synchronous_commit = on
full_page_writes = on
shared_buffers = 128MB
CONF
	{ sh "$BYOD_SRC/scripts/pg-test-cluster" stop "$PG_DIR" &&
		sh "$BYOD_SRC/scripts/pg-test-cluster" restart "$PG_DIR"; } >>"$T/pg-start.log" 2>&1 ||
		{ echo "the PostgreSQL cluster did not restart:" >&2; tail "$T/pg-start.log" >&2; exit 1; }
}

# pg_server_cpu_us: user+system CPU time of the cluster: the postmaster,
# the children it has reaped, and those alive (one backend a connection).
# A backend whose client has gone is counted once the postmaster has
# reaped it: pg_settle first.
pg_server_cpu_us() {
	local pm tck c
	pm=$(head -1 "$PG_DIR/data/postmaster.pid") || return 1
	tck=$(getconf CLK_TCK)
	{
		cat "/proc/$pm/stat"
		for c in $(ps -o pid= --ppid "$pm"); do cat "/proc/$c/stat" 2>/dev/null; done
	} | awk -v t="$tck" '{ sub(/^.*\) /, ""); s += $12 + $13 + $14 + $15 }
		END { printf "%.0f\n", s * 1e6 / t }'
}

# pg_settle: waits (up to 10 s) until no client's backend is left, those
# of the clients that have ended reaped by the postmaster
pg_settle() {
	local pm
	pm=$(head -1 "$PG_DIR/data/postmaster.pid") || return 1
	for _ in $(seq 200); do
		ps -o args= --ppid "$pm" | grep -q '\[local\]' || return 0
		sleep 0.05
	done
	echo "pg_settle: a client's backend is still there after 10 s" >&2
	return 1
}

# pg_home DIR: a copy of $BYOD_HOME (configuration, CA, charter) whose
# registry is PostgreSQL's, at $PG_URL: another node of the same school
pg_home() {
	local dst=$1
	cp -a "$BYOD_HOME" "$dst"
	rm -f "$dst"/registry.db*
	sed -i "s|^  # url: \"\"|  url: \"${PG_URL//&/\\&}\"|" "$dst/byod.conf"
	grep -q "^  url: \"postgresql://" "$dst/byod.conf" ||
		{ echo "pg_home: no registry.url line in $dst/byod.conf" >&2; exit 1; }
}

# raddb_variant SRC DST AUTHORIZE-BODY: a copy of byodctl's raddb SRC in
# DST without rlm_byod anywhere: the default server's MAC-authentication
# step (after eap) is AUTHORIZE-BODY, post-auth and accounting call nothing,
# and the check-eap-tls virtual server is still called by EAP-TLS once the
# chain has verified, accepting where rlm_byod decided: the same virtual
# servers and the same work, minus the module's decisions. Everything else
# (threads, logging, the eap module, its TLS cache) stays as byodctl writes it.
raddb_variant() {
	local src=$1 dir=$2 body=$3
	cp -r "$src" "$dir"
	rm -f "$dir/mods-enabled/byod"
	sed -i "s|^raddbdir = .*|raddbdir = $dir|" "$dir/radiusd.conf"
	BODY=$body "$BENCH_PY" - "$dir/sites-enabled/default" "$dir/sites-enabled/check-eap-tls" <<'PY'
import os, re, sys
site = open(sys.argv[1]).read()
site = site.replace("\t\t# no EAP: MAC authentication\n\t\tbyod\n", os.environ["BODY"])
site = re.sub(r"\n\t\t# the final decision[^\n]*\n\t\tbyod\n", "\n", site)
site = site.replace("\taccounting {\n\t\tbyod\n\t}", "\taccounting {\n\t}")
if re.search(r"^\s*byod\b", site, re.M):
    sys.exit("a byod call is left in " + sys.argv[1])
os.unlink(sys.argv[1])  # a link to the source raddb's file would write through to it
open(sys.argv[1], "w").write(site)
check = open(sys.argv[2]).read()
# the chain has verified: accepted, as rlm_byod accepts a valid certificate
check, n = re.subn(r"^(\s*)byod\s*(#.*)?$",
                   r"\1update control {\n\1\tAuth-Type := Accept\n\1}", check, flags=re.M)
if n == 0 or re.search(r"^\s*byod\b", check, re.M):
    sys.exit("no byod call to replace in " + sys.argv[2])
os.unlink(sys.argv[2])
open(sys.argv[2], "w").write(check)
PY
	[ $? -eq 0 ] || exit 1
}

# raddb_own_ports CFG...: each $T/raddb-CFG on free loopback ports of its
# own (byod-vars.conf), so that the configurations run side by side; the
# auth port in PORT[CFG] (an associative array the caller declared)
raddb_own_ports() {
	local cfg a b
	for cfg in "$@"; do
		read -r a b <<<"$(free_ports)"
		sed -i "s/^byod_auth_port = .*/byod_auth_port = $a/; s/^byod_acct_port = .*/byod_acct_port = $b/" \
			"$T/raddb-$cfg/byod-vars.conf"
		grep -q "^byod_auth_port = $a$" "$T/raddb-$cfg/byod-vars.conf" ||
			{ echo "no byod_auth_port in $T/raddb-$cfg/byod-vars.conf" >&2; return 1; }
		PORT[$cfg]=$a
	done
}
