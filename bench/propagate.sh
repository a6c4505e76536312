# SPDX-License-Identifier: GPL-2.0-or-later
# Change propagation from a commit on one node to the decision on another
# (bench_propagate): a writer process suspends and resumes devices through
# the registry API, a second process holds the RADIUS module's index and
# follows the change feed as rlm_byod does (poll_interval 200 ms, woken by
# reg_feed_wait), and each sample is the time from the writer's commit
# returning to the refresh after which rad_index_decide gives the new
# answer, from the start of the writer's call (the commit inside it) and
# from its return. On PostgreSQL (LISTEN/NOTIFY) against SQLite (PRAGMA data_version
# asked when an inotify watch sees a commit write the WAL), the same school of 100,000 devices (--smoke: 200) in
# both, alternated: five rounds of 100 changes on each (smoke: two of 10).
# p50, p99 and max over all the samples of each; the writer's own call.
. "$BYOD_SRC/bench/lib.sh"
bench_init propagate "$@"
export BYOD_HOME="$T/home"

if [ "$SMOKE" = 1 ]; then
	N=200 ROUNDS=2 SAMPLES=10 JITTER=30
else
	N=100000 ROUNDS=5 SAMPLES=100 JITTER=250
fi
N=${BENCH_DEVICES:-$N}
POLL=200 # rlm_byod's poll_interval

pg_cluster_start
bench_school_init
"$BYODCTL" registry copy --to "$PG_URL" >"$T/copy.out" 2>&1 ||
	{ echo "registry copy failed:" >&2; cat "$T/copy.out" >&2; exit 1; }
bench_school_fill_sqlite "$N"
bench_school_fill_pg "$PG_URL" "$N"
pg_cluster_durable
pg_home "$T/home-pg"

for r in $(seq "$ROUNDS"); do
	for b in sqlite pg; do
		home=$BYOD_HOME
		[ "$b" = pg ] && home=$T/home-pg
		rm -f "$T/round.lat" "$T/round.after" "$T/round.write"
		"$BYOD_BIN/bench_propagate" --home "$home" --devices "$N" --samples "$SAMPLES" \
			--jitter-ms "$JITTER" --poll-ms "$POLL" --seed "$r" --out "$T/round" \
			>"$T/round.out" 2>&1 ||
			{ echo "bench_propagate ($b, round $r) failed:" >&2; cat "$T/round.out" >&2; exit 1; }
		cat "$T/round.lat" >>"$T/$b.lat"
		cat "$T/round.after" >>"$T/$b.after"
		cat "$T/round.write" >>"$T/$b.write"
		awk -F= '$1 == "seen_before_commit_returned" { print $2 }' "$T/round.out" >>"$T/$b.early"
		read -r p50 p99 max <<<"$(pct "$T/round.lat")"
		echo "$p50" >>"$T/$b.p50"
		echo "round $r, $b: p50 $p50 ms, p99 $p99 ms, max $max ms"
	done
done

read -r sq50 sq99 sqmax <<<"$(pct "$T/sqlite.lat")"
read -r pg50 pg99 pgmax <<<"$(pct "$T/pg.lat")"
read -r sqa50 sqa99 _ <<<"$(pct "$T/sqlite.after")"
read -r pga50 pga99 _ <<<"$(pct "$T/pg.after")"
read -r sqw50 _ _ <<<"$(pct "$T/sqlite.write")"
read -r pgw50 _ _ <<<"$(pct "$T/pg.write")"
PG="PostgreSQL (LISTEN/NOTIFY)"
figure propagate_samples "$((ROUNDS * SAMPLES))" "changes on each backend"
figure --config "$PG" propagate_pg_ms_p50 "$pg50" "ms (from the commit's call)" \
	"SQLite (data_version when the WAL is written), p50" "$sq50"
figure_runs --config "$PG" propagate_pg_round_ms_p50 "ms (p50 of each round)" "$T/pg.p50" \
	"SQLite, p50 of each round" "$T/sqlite.p50"
figure --config "$PG" propagate_pg_ms_p99 "$pg99" "ms (from the commit's call)" "SQLite, p99" "$sq99"
figure --config "$PG" propagate_pg_ms_max "$pgmax" "ms (from the commit's call)" "SQLite, max" "$sqmax"
figure --config "$PG" propagate_pg_after_return_ms_p50 "$pga50" "ms (from its return)" "SQLite, p50" "$sqa50"
figure --config "$PG" propagate_pg_after_return_ms_p99 "$pga99" "ms (from its return)" "SQLite, p99" "$sqa99"
figure --config "$PG" propagate_pg_write_ms_p50 "$pgw50" "ms (the writer's reg_device_set_state)" \
	"SQLite" "$sqw50"
range() { sort -g "$1" | sed -n '1p;$p' | paste -sd- -; }
sum() { awk '{ s += $1 } END { print s + 0 }' "$1"; }
note "Each change is a writer's reg_device_set_state (one transaction: the device, its audit row, its change-feed event; fsync on for both backends) and ends at the follower's first rad_index_refresh after which rad_index_decide gives the new answer (refused when suspended, accepted when resumed). The commit is inside the writer's call: the figures count from the call's start (its round trips and its fsync included: an upper bound), the after-return ones from its return (a lower bound, a decision already changed then counting as 0 ms: $(sum "$T/sqlite.early") of the samples on SQLite, $(sum "$T/pg.early") on PostgreSQL, whose NOTIFY can wake the follower before the writer has its answer). The follower waits as rlm_byod's thread does (rad_index_wait up to poll_interval $POLL ms, then refresh), on the same machine, PostgreSQL over its Unix socket; a random 0-$JITTER ms pause before each change. $ROUNDS rounds of $SAMPLES changes on each backend, alternated, over $N devices; the rounds' p50 ranged $(range "$T/sqlite.p50") ms on SQLite and $(range "$T/pg.p50") ms on PostgreSQL."
