# SPDX-License-Identifier: GPL-2.0-or-later
# RADIUS MAC authentication at scale: a registry of 1,000,000 enrolled
# devices (--smoke: 2,000) and the real FreeRADIUS answering the same MAB
# requests in three configurations that differ only in their authorize
# section:
#   (a) static  a fixed unlang reply with the RFC 3580 VLAN attributes: the
#               floor, what FreeRADIUS costs before anything is looked up;
#   (b) sql     what an admin builds without us: rlm_sql with its SQLite
#               driver and unlang looking the MAC up in a table of the same
#               rows (mac PRIMARY KEY, vlan);
#   (c) byod    rlm_byod (in authorize and post-auth, as byodctl radius
#               config writes it), deciding from its in-memory index.
# Everything else is byodctl's raddb (threads, logging, eap first).
# radload (bench/radload.c) keeps a window of requests outstanding from two
# threads; device MACs are drawn uniformly from the whole registry. The
# server's CPU time (user+system, all threads, /proc/PID/stat) over the run
# divided by the answers is the figure that does not depend on who was the
# bottleneck; requests per second are what the pair reached on 2 cores.
# Throughput and latency against the window (load) are recorded for the plot.
. "$BYOD_SRC/bench/lib.sh"
. "$BYOD_SRC/tests/radius/lib.sh"
bench_init mab "$@"
RADLOAD=${RADLOAD:-$BYOD_BIN/radload}
export BYOD_HOME="$T/home"

if [ "$SMOKE" = 1 ]; then
	N=2000 SECS=1 LEVEL_SECS=0.5 LEVELS="1 16" RATE_RUNS=1 RATE_SECS=1
else
	N=1000000 SECS=10 LEVEL_SECS=3 LEVELS="1 4 16 64 128" RATE_RUNS=3 RATE_SECS=6
fi

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

# load SECONDS THREADS WINDOW [radload options]: radload against the running server; its
# name=value lines in $T/load.out, the server's CPU µs in $CPU_US
load() {
	local c0 c1
	proc_threads_cpu_us "$FR_PID" >"$T/threads0"
	c0=$(proc_cpu_us "$FR_PID")
	"$RADLOAD" --server "127.0.0.1:$AUTH_PORT" --secret "$SECRET" --devices "$N" \
		--seconds "$1" --threads "$2" --window "$3" "${@:4}" >"$T/load.out" ||
		{ echo "radload got no answer:" >&2; cat "$T/load.out" >&2; exit 1; }
	c1=$(proc_cpu_us "$FR_PID")
	proc_threads_cpu_us "$FR_PID" >"$T/threads1"
	CPU_US=$((c1 - c0))
	# the busiest server thread's share of one core over the run
	BUSIEST=$(awk -v s="$(val seconds)" 'NR == FNR { a[$1] = $2; next }
		{ d = $2 - a[$1]; if (d > m) m = d } END { printf "%.2f", m / s / 1e6 }' \
		"$T/threads0" "$T/threads1")
}
val() { awk -F= -v k="$1" '$1 == k { print $2 }' "$T/load.out"; }

declare -A US RPS RSS CLIENT SRVCORES THREAD P99
for cfg in static sql byod; do
	fr_start "$T/raddb-$cfg"
	echo "$cfg: ready in $READY_S s"
	[ "$cfg" = byod ] && BYOD_READY=$READY_S
	load 1 2 32 # warm up: threads, pools, caches
	if [ "$(val rejects)" != 0 ] || [ "$(val accepts)" = 0 ]; then
		echo "$cfg: the warm-up was not all accepts:" >&2
		cat "$T/load.out" >&2
		tail -5 "$T/raddb-$cfg/log/radius.log" >&2
		exit 1
	fi
	load "$SECS" 2 64
	answered=$(($(val accepts) + $(val rejects)))
	US[$cfg]=$(awk -v c="$CPU_US" -v n="$answered" 'BEGIN { printf "%.2f", c / n }')
	RPS[$cfg]=$(val rps)
	secs=$(val seconds)
	SRVCORES[$cfg]=$(awk -v c="$CPU_US" -v s="$secs" 'BEGIN { printf "%.2f", c / s / 1e6 }')
	CLIENT[$cfg]=$(awk -v c="$(val client_cpu_us)" -v s="$secs" 'BEGIN { printf "%.2f", c / s / 1e6 }')
	THREAD[$cfg]=$BUSIEST
	echo "$cfg: ${RPS[$cfg]} req/s, ${US[$cfg]} µs server CPU each, server ${SRVCORES[$cfg]} cores (busiest thread ${THREAD[$cfg]}), client ${CLIENT[$cfg]} cores, lost $(val lost)"
	# the design's burst: a département re-authenticating at 500/s; the
	# median of RATE_RUNS runs' p99 (one run's tail is at the mercy of
	# whatever else the shared machine does for a moment)
	: >"$T/p99"
	for _ in $(seq "$RATE_RUNS"); do
		load "$RATE_SECS" 1 200 --rate 500
		if [ "$(val lost)" != 0 ] || [ "$(val rejects)" != 0 ]; then
			echo "$cfg at 500 requests/s: $(val lost) lost, $(val rejects) rejects" >&2
			exit 1
		fi
		echo "$(val latency_us_p99)" >>"$T/p99"
	done
	P99[$cfg]=$(sort -n "$T/p99" | awk '{ v[NR] = $1 } END { printf "%.3f", v[int((NR + 1) / 2)] / 1000 }')
	echo "$cfg at 500 requests/s: p99 of each run $(tr '\n' ' ' <"$T/p99")µs"
	RSS[$cfg]=$(proc_rss_kb "$FR_PID")
	if [ "$cfg" != sql ]; then
		pts_rps=() pts_lat=()
		for w in $LEVELS; do
			load "$LEVEL_SECS" 1 "$w"
			pts_rps+=("$w $(val rps)")
			pts_lat+=("$w $(awk -v u="$(val latency_us_p50)" 'BEGIN { print u / 1000 }')")
		done
		series "MAB $cfg: requests/s" "requests outstanding" "requests/s" "${pts_rps[@]}"
		series "MAB $cfg: latency p50" "requests outstanding" "ms" "${pts_lat[@]}"
	fi
	stop_pid "$FR_PID"
done

figure devices "$N" devices
figure mab_static_us_per_request "${US[static]}" "µs server CPU"
figure mab_byod_us_per_request "${US[byod]}" "µs server CPU" "static unlang reply (a)" "${US[static]}"
figure mab_sql_us_per_request "${US[sql]}" "µs server CPU" "rlm_byod (c)" "${US[byod]}"
figure mab_static_rps "${RPS[static]}" "req/s"
figure mab_sql_rps "${RPS[sql]}" "req/s" "rlm_byod (c)" "${RPS[byod]}"
figure mab_byod_rps "${RPS[byod]}" "req/s" "static unlang reply (a)" "${RPS[static]}"
figure mab_byod_p99_ms_at_500 "${P99[byod]}" "ms (p99 at 500 req/s)" "static unlang reply (a)" "${P99[static]}"
figure mab_sql_p99_ms_at_500 "${P99[sql]}" "ms (p99 at 500 req/s)" "rlm_byod (c)" "${P99[byod]}"
figure freeradius_rss_byod_mb "$(awk -v k="${RSS[byod]}" 'BEGIN { printf "%.1f", k / 1024 }')" MiB \
	"static config (a)" "$(awk -v k="${RSS[static]}" 'BEGIN { printf "%.1f", k / 1024 }')"
figure freeradius_start_byod_s "$BYOD_READY" s
# Who limited the rate: the client if radload used about one core per
# thread; the server if its busiest thread (FreeRADIUS 3 reads every
# request in one thread) used about one core; else the machine's two cores.
bottleneck="the machine's two cores, shared by both sides"
if awk -v t="${THREAD[byod]}" 'BEGIN { exit !(t >= 0.85) }'; then
	bottleneck="the server: its busiest thread used ${THREAD[byod]} of a core"
elif awk -v c="${CLIENT[byod]}" 'BEGIN { exit !(c >= 1.7) }'; then
	bottleneck="the client: radload used ${CLIENT[byod]} cores"
fi
note "Server CPU per request is FreeRADIUS's user+system time over a ${SECS} s run divided by the answers. During the rlm_byod run the server used ${SRVCORES[byod]} cores (its busiest thread ${THREAD[byod]}) and radload ${CLIENT[byod]} (static: ${SRVCORES[static]} / ${CLIENT[static]}, sql: ${SRVCORES[sql]} / ${CLIENT[sql]}) of the machine's 2; the bottleneck was ${bottleneck}."
