# SPDX-License-Identifier: GPL-2.0-or-later
# RADIUS MAC authentication at scale: a registry of 1,000,000 enrolled
# devices (--smoke: 2,000) and the real FreeRADIUS answering the same MAB
# requests in three configurations that differ only in their authorize
# section:
#   static unlang reply  a fixed reply with the RFC 3580 VLAN attributes:
#               the floor, what FreeRADIUS costs before anything is looked up;
#   rlm_sql + SQLite     what an admin builds without us: rlm_sql with its
#               SQLite driver and unlang looking the MAC up in a table of the
#               same rows (mac PRIMARY KEY, vlan);
#   rlm_byod    rlm_byod (in authorize and post-auth, as byodctl radius
#               config writes it), deciding from its in-memory index.
# Everything else is byodctl's raddb (threads, logging, eap first).
# The three servers run side by side, each on ports of its own, and every
# phase alternates runs against them (bench/lib.sh alternate: A B C, C B A,
# ...), so that each run's ratio is taken a moment after its baseline's.
# radload (bench/radload.c) sends requests from two threads; device MACs are
# drawn uniformly from the whole registry. Server CPU per request is
# measured at one offered rate for all three (open loop: at saturation the
# CPU per request depends on how many requests each wake-up finds), as the
# server's CPU time (user+system, all threads, /proc/PID/stat) over the run
# divided by the answers; requests per second are what the pair reached on
# 2 cores with a window of requests outstanding (closed loop).
# Throughput and latency against the window (load) are recorded for the plot.
. "$BYOD_SRC/bench/lib.sh"
. "$BYOD_SRC/tests/radius/lib.sh"
bench_init mab "$@"
RADLOAD=${RADLOAD:-$BYOD_BIN/radload}
export BYOD_HOME="$T/home"

# RUNS alternated runs of each phase; EQ_RATE requests/s offered to every
# configuration for EQ_SECS (the CPU per request); SECS closed-loop
# (requests/s); RATE_SECS at 500/s (p99)
if [ "$SMOKE" = 1 ]; then
	N=2000 RUNS=2 EQ_RATE=400 EQ_SECS=1 SECS=1 LEVEL_SECS=0.5 LEVELS="1 16" RATE_SECS=1
else
	N=1000000 RUNS=5 EQ_RATE=2000 EQ_SECS=8 SECS=5 LEVEL_SECS=3 LEVELS="1 4 16 64 128" RATE_SECS=5
fi
N=${BENCH_DEVICES:-$N} # another size: BENCH_DEVICES=100000 bash bench/mab.sh --smoke
CFGS=(static sql byod)
declare -A NAME=([static]="static unlang reply" [sql]="rlm_sql + SQLite" [byod]="rlm_byod")

t0=$(date +%s.%N)
bench_school "$N"
t1=$(date +%s.%N)
echo "registry of $N devices written in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"

radius_setup # byodctl radius config into $T/raddb; AUTH_PORT, SECRET
mkdir -p "$RADDB/log"

# the admin's table: one row per active device, the VLAN its owner's role
# gives (what the policy says), in a database of its own
sqlite3 "$T/mab.db" <<SQL || { echo "mab table failed" >&2; exit 1; }
ATTACH '$BYOD_HOME/registry.db' AS r;
CREATE TABLE mab (mac TEXT PRIMARY KEY NOT NULL, vlan INTEGER NOT NULL);
INSERT INTO mab SELECT d.mac, CASE p.role WHEN 'teacher' THEN 30 ELSE 20 END
FROM r.devices d JOIN r.people p ON p.id = d.owner WHERE d.state = 'active' AND d.mac IS NOT NULL;
SQL

raddb_variant "$RADDB" "$T/raddb-static" '		update control {
			Auth-Type := Accept
		}
		update reply {
			Tunnel-Type := VLAN
			Tunnel-Medium-Type := IEEE-802
			Tunnel-Private-Group-Id := "20"
		}
'
raddb_variant "$RADDB" "$T/raddb-sql" '		if ("%{sql:SELECT vlan FROM mab WHERE mac = '"'"'%{Calling-Station-Id}'"'"'}" =~ /^([0-9]+)$/) {
			update control {
				Auth-Type := Accept
			}
			update reply {
				Tunnel-Type := VLAN
				Tunnel-Medium-Type := IEEE-802
				Tunnel-Private-Group-Id := "%{1}"
			}
		}
		else {
			update control {
				Auth-Type := Reject
			}
		}
'
cat >"$T/raddb-sql/mods-enabled/sql" <<EOC
sql {
	dialect = "sqlite"
	driver = "rlm_sql_sqlite"
	sqlite {
		filename = "$T/mab.db"
		busy_timeout = 200
	}
	radius_db = "radius"
	read_clients = no
	pool {
		start = 4
		min = 4
		max = 32
		spare = 8
		uses = 0
		lifetime = 0
		idle_timeout = 0
	}
}
EOC
cp -r "$RADDB" "$T/raddb-byod"
sed -i "s|^raddbdir = .*|raddbdir = $T/raddb-byod|" "$T/raddb-byod/radiusd.conf"

# each server on ports of its own, so that the three run side by side
declare -A PORT PID
raddb_own_ports "${CFGS[@]}" || exit 1

# load CFG SECONDS THREADS WINDOW [radload options]: radload against CFG's
# server; its name=value lines in $T/load.out, the server's CPU µs in $CPU_US
load() {
	local cfg=$1 c0 c1 pid=${PID[$1]}
	shift
	proc_threads_cpu_us "$pid" >"$T/threads0"
	c0=$(proc_cpu_us "$pid")
	"$RADLOAD" --server "127.0.0.1:${PORT[$cfg]}" --secret "$SECRET" --devices "$N" \
		--seconds "$1" --threads "$2" --window "$3" "${@:4}" >"$T/load.out" ||
		{ echo "radload got no answer from $cfg:" >&2; cat "$T/load.out" >&2; exit 1; }
	c1=$(proc_cpu_us "$pid")
	proc_threads_cpu_us "$pid" >"$T/threads1"
	CPU_US=$((c1 - c0))
	# the busiest server thread's share of one core over the run
	BUSIEST=$(awk -v s="$(val seconds)" 'NR == FNR { a[$1] = $2; next }
		{ d = $2 - a[$1]; if (d > m) m = d } END { printf "%.2f", m / s / 1e6 }' \
		"$T/threads0" "$T/threads1")
	if [ "$(val rejects)" != 0 ]; then
		echo "$cfg: $(val rejects) rejects for enrolled devices" >&2
		tail -5 "$T/raddb-$cfg/log/radius.log" >&2
		exit 1
	fi
}
val() { awk -F= -v k="$1" '$1 == k { print $2 }' "$T/load.out"; }
# sval NAME: one of radstart.py's name=value lines (a name may hold spaces)
sval() { awk -v k="$1" 'index($0, k "=") == 1 { print substr($0, length(k) + 2) }' "$T/start.out"; }
per_request() { awk -v c="$CPU_US" -v n="$(($(val accepts) + $(val rejects)))" 'BEGIN { printf "%.2f\n", c / n }'; }

# FreeRADIUS's start with the registry of N devices: from launching it to
# its first answer (bench/radstart.py: a MAB request every 5 ms from the
# launch on), rlm_byod's server (its index loaded at instantiate) against
# the static floor's (FreeRADIUS's own start), alternated, each start a
# server of its own, stopped once it has answered; one start of each first
# warms the caches (the module's and the registry's pages). Before the
# servers measured below are up, so that nothing of ours runs meanwhile.
START_CFGS=(static byod)
# the module's line saying what its index holds, at the end of its instantiate
START_LINE='index=rlm_byod \(byod\): [0-9]+ devices, '
for f in answer ready cpu module; do
	for cfg in "${START_CFGS[@]}"; do : >"$T/start_$f.$cfg"; done
done
start_run() {
	local cfg=$1
	"$BENCH_PY" "$BYOD_SRC/bench/radstart.py" --line "$START_LINE" "$T/raddb-$cfg" \
		02:00:00:00:00:01 >"$T/start.out" || { echo "$cfg: freeradius did not start" >&2; exit 1; }
	if [ "$(sval answer)" != accept ]; then
		echo "$cfg: the first answer was an Access-$(sval answer)" >&2
		exit 1
	fi
	[ "$2" = warm ] && return 0
	sval answer_s >>"$T/start_answer.$cfg"
	sval ready_s >>"$T/start_ready.$cfg"
	sval cpu_s >>"$T/start_cpu.$cfg"
	if [ "$cfg" = byod ]; then
		if [ -z "$(sval line_gap_s.index)" ]; then
			echo "byod: no log line of rlm_byod's index" >&2
			exit 1
		fi
		sval line_gap_s.index >>"$T/start_module.$cfg"
		BEFORE_MODULE=$(sval line_before.index)
	fi
	echo "$cfg start, run $2: first answer after $(sval answer_s) s" \
		"(Ready line $(sval ready_s) s), $(sval cpu_s) s of CPU"
}
for cfg in "${START_CFGS[@]}"; do start_run "$cfg" warm; done
alternate "$RUNS" start_run "${START_CFGS[@]}"

for cfg in "${CFGS[@]}"; do
	fr_start "$T/raddb-$cfg"
	PID[$cfg]=$FR_PID
	echo "$cfg: ready in $READY_S s"
	load "$cfg" 1 2 32 # warm up: threads, pools, caches
	if [ "$(val accepts)" = 0 ]; then
		echo "$cfg: no accept in the warm-up:" >&2
		cat "$T/load.out" >&2
		exit 1
	fi
done
for cfg in "${CFGS[@]}"; do : >"$T/us.$cfg"; : >"$T/rps.$cfg"; : >"$T/p99.$cfg"; done

# the server's CPU per request at one offered rate for all
equal_rate() {
	load "$1" "$EQ_SECS" 2 200 --rate "$EQ_RATE"
	per_request >>"$T/us.$1"
	LOST[$1]=$((${LOST[$1]:-0} + $(val lost)))
	echo "$1 at $EQ_RATE requests/s, run $2: $(tail -1 "$T/us.$1") µs server CPU each, lost $(val lost)"
}
# what the pair reaches with 2 × 64 requests outstanding
saturated() {
	load "$1" "$SECS" 2 64
	val rps >>"$T/rps.$1"
	SRVCORES[$1]=$(awk -v c="$CPU_US" -v s="$(val seconds)" 'BEGIN { printf "%.2f", c / s / 1e6 }')
	CLIENT[$1]=$(awk -v c="$(val client_cpu_us)" -v s="$(val seconds)" 'BEGIN { printf "%.2f", c / s / 1e6 }')
	THREAD[$1]=$BUSIEST
	echo "$1 saturated, run $2: $(val rps) req/s, server ${SRVCORES[$1]} cores (busiest thread ${THREAD[$1]}), client ${CLIENT[$1]} cores, lost $(val lost)"
}
# the design's burst: a département re-authenticating at 500/s
burst() {
	load "$1" "$RATE_SECS" 1 200 --rate 500
	if [ "$(val lost)" != 0 ]; then
		echo "$1 at 500 requests/s: $(val lost) lost" >&2
		exit 1
	fi
	awk -v u="$(val latency_us_p99)" 'BEGIN { printf "%.3f\n", u / 1000 }' >>"$T/p99.$1"
}
declare -A LOST SRVCORES CLIENT THREAD RSS
alternate "$RUNS" equal_rate "${CFGS[@]}"
alternate "$RUNS" saturated "${CFGS[@]}"
alternate "$RUNS" burst "${CFGS[@]}"
for cfg in "${CFGS[@]}"; do
	echo "$cfg at 500 requests/s: p99 of each run $(tr '\n' ' ' <"$T/p99.$cfg")ms"
	RSS[$cfg]=$(proc_rss_kb "${PID[$cfg]}")
done

for cfg in static byod; do
	pts_rps=() pts_lat=()
	for w in $LEVELS; do
		load "$cfg" "$LEVEL_SECS" 1 "$w"
		pts_rps+=("$w $(val rps)")
		pts_lat+=("$w $(awk -v u="$(val latency_us_p50)" 'BEGIN { print u / 1000 }')")
	done
	series "MAB ${NAME[$cfg]}: requests/s" "requests outstanding" "requests/s" "${pts_rps[@]}"
	series "MAB ${NAME[$cfg]}: latency p50" "requests outstanding" "ms" "${pts_lat[@]}"
done

figure devices "$N" devices
eq="µs server CPU at $EQ_RATE req/s offered"
figure_runs --config "${NAME[static]}" mab_static_us_per_request "$eq" "$T/us.static"
figure_runs --config "${NAME[byod]}" mab_byod_us_per_request "$eq" "$T/us.byod" \
	"${NAME[static]}" "$T/us.static"
if small_ratio; then
	# where rlm_byod's difference is: both servers' stacks under the same load
	for cfg in byod static; do
		profile "MAB, ${NAME[$cfg]} at $EQ_RATE req/s" "${PID[$cfg]}" \
			load "$cfg" "$EQ_SECS" 2 200 --rate "$EQ_RATE"
	done
fi
figure_runs --config "${NAME[sql]}" mab_sql_us_per_request "$eq" "$T/us.sql" \
	"${NAME[byod]}" "$T/us.byod"
# the same runs against the static floor: as long as rlm_byod costs at
# least the floor, rlm_sql ÷ rlm_byod cannot exceed this ratio
figure_runs --config "${NAME[sql]}" mab_sql_us_vs_static "$eq" "$T/us.sql" \
	"${NAME[static]}" "$T/us.static"
figure_runs --config "${NAME[static]}" mab_static_rps "req/s (2 × 64 outstanding)" "$T/rps.static"
figure_runs --config "${NAME[sql]}" mab_sql_rps "req/s (2 × 64 outstanding)" "$T/rps.sql" \
	"${NAME[byod]}" "$T/rps.byod"
figure_runs --config "${NAME[byod]}" mab_byod_rps "req/s (2 × 64 outstanding)" "$T/rps.byod" \
	"${NAME[static]}" "$T/rps.static"
figure_runs --config "${NAME[byod]}" mab_byod_p99_ms_at_500 "ms (p99 at 500 req/s)" "$T/p99.byod" \
	"${NAME[static]}" "$T/p99.static"
figure_runs --config "${NAME[sql]}" mab_sql_p99_ms_at_500 "ms (p99 at 500 req/s)" "$T/p99.sql" \
	"${NAME[byod]}" "$T/p99.byod"
figure --config "${NAME[byod]}" freeradius_rss_byod_mb \
	"$(awk -v k="${RSS[byod]}" 'BEGIN { printf "%.1f", k / 1024 }')" MiB \
	"${NAME[static]}" "$(awk -v k="${RSS[static]}" 'BEGIN { printf "%.1f", k / 1024 }')"
st="s from launch to the first answer"
figure_runs --config "${NAME[static]}" freeradius_start_static_s "$st" "$T/start_answer.static"
figure_runs --config "${NAME[byod]}, $N devices" freeradius_start_byod_s "$st" \
	"$T/start_answer.byod" "${NAME[static]}" "$T/start_answer.static"
figure_runs --config "${NAME[byod]}, $N devices" freeradius_start_byod_ready_s \
	"s from launch to \"Ready to process requests\"" "$T/start_ready.byod" "${NAME[static]}" \
	"$T/start_ready.static"
figure_runs --config "${NAME[byod]}, $N devices" freeradius_start_byod_cpu_s \
	"s of server CPU from launch to the first answer" "$T/start_cpu.byod" "${NAME[static]}" \
	"$T/start_cpu.static"
# what rlm_byod adds to the start, run by run (a difference: it can be
# below 0 with a small registry, so a note rather than a figure)
added=$(paste "$T/start_answer.byod" "$T/start_answer.static" | "$BENCH_PY" -c '
import statistics, sys
d = [float(a) - float(b) for a, b in (l.split() for l in sys.stdin if l.strip())]
print(f"{statistics.median(d):.3f} s (run by run {min(d):.3f} to {max(d):.3f} s)")')
figure_runs --config "${NAME[byod]}, $N devices" freeradius_start_byod_module_s \
	"s of rlm_byod's instantiate, as its log shows" "$T/start_module.byod"
note "FreeRADIUS's start (bench/radstart.py): from launching freeradius -f to its first answer" \
	"(an Access-Accept; a MAB request is sent every 5 ms from the launch on), and to its log's" \
	"\"Ready to process requests\"; $RUNS starts of each alternated with the static unlang" \
	"reply's (FreeRADIUS's own start), after one of each that warms the caches, each start a" \
	"server of its own stopped once it has answered, before the servers of the other figures" \
	"were up. rlm_byod, its index of $N devices read at instantiate, added a median of $added" \
	"to the start. Its instantiate as the log shows it: from the line before the module's" \
	"(\"$BEFORE_MODULE\") to the module's own line on what its index holds, the log read every" \
	"5 ms (a module instantiated before rlm_byod would be in it too); the index's load alone" \
	"is index.sh's index_load_s. On a loaded machine the wall times stretch (every thread" \
	"waits for a core); the server's CPU time to the first answer does not."
# Who limited the rate: the client if radload used about one core per
# thread; the server if its busiest thread (FreeRADIUS 3 reads every
# request in one thread) used about one core; else the machine's two cores.
bottleneck="the machine's two cores, shared by both sides"
if awk -v t="${THREAD[byod]}" 'BEGIN { exit !(t >= 0.85) }'; then
	bottleneck="the server: its busiest thread used ${THREAD[byod]} of a core"
elif awk -v c="${CLIENT[byod]}" 'BEGIN { exit !(c >= 1.7) }'; then
	bottleneck="the client: radload used ${CLIENT[byod]} cores"
fi
note "The three servers run side by side and every phase alternates $RUNS runs against each (order reversed every other round); a ratio is the median of the ratios taken run by run, with their range. Server CPU per request is FreeRADIUS's user+system time over a ${EQ_SECS} s run at $EQ_RATE requests/s offered to each (open loop; ${LOST[static]} / ${LOST[sql]} / ${LOST[byod]} requests lost by the static / rlm_sql / rlm_byod servers over those runs) divided by the answers. In the last closed-loop run against rlm_byod the server used ${SRVCORES[byod]} cores (its busiest thread ${THREAD[byod]}) and radload ${CLIENT[byod]} (static: ${SRVCORES[static]} / ${CLIENT[static]}, rlm_sql: ${SRVCORES[sql]} / ${CLIENT[sql]}) of the machine's 2; the bottleneck was ${bottleneck}."
