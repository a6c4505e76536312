# SPDX-License-Identifier: GPL-2.0-or-later
# The RADIUS module's index loaded from PostgreSQL beside SQLite: the same
# school of 1,000,000 enrolled devices (--smoke: 2,000; BENCH_DEVICES=N for
# another size) in both registries, bench_school's rows. Each load is a
# process of its own, as FreeRADIUS starting (bench_index --load-only:
# rad_index_open, which reads people, devices and certificates in one
# snapshot, PostgreSQL's by COPY (SELECT ...) TO STDOUT in binary): after one load of each to warm
# the caches, SQLite and PostgreSQL alternate, five loads each (smoke: two).
# Figures: load seconds and the process's peak resident memory, medians
# with their range, PostgreSQL's against SQLite's; the server's CPU per
# load. The cluster is a throwaway one (scripts/pg-test-cluster) on this
# machine's Unix socket, with fsync on.
. "$BYOD_SRC/bench/lib.sh"
bench_init index_pg "$@"
export BYOD_HOME="$T/home"

if [ "$SMOKE" = 1 ]; then
	N=2000 RUNS=2
else
	N=1000000 RUNS=5
fi
N=${BENCH_DEVICES:-$N}

pg_cluster_start
bench_school_init
"$BYODCTL" registry copy --to "$PG_URL" >"$T/copy.out" 2>&1 ||
	{ echo "registry copy failed:" >&2; cat "$T/copy.out" >&2; exit 1; }
t0=$(date +%s.%N)
bench_school_fill_sqlite "$N"
t1=$(date +%s.%N)
bench_school_fill_pg "$PG_URL" "$N"
t2=$(date +%s.%N)
pg_cluster_durable
pg_home "$T/home-pg"
sq_bytes=$(stat -c %s "$BYOD_HOME/registry.db")
pg_bytes=$(psql -X -A -t -c "SELECT pg_database_size('byod') - pg_database_size('template1')" \
	"$PG_URL") ||
	{ echo "cannot read the database's size" >&2; exit 1; }

# load BACKEND HOME [record]: one load in a process of its own
load() {
	local s0 s1
	[ "$1" = pg ] && s0=$(pg_server_cpu_us)
	"$BYOD_BIN/bench_index" --home "$2" --load-only >"$T/load.out" 2>&1 ||
		{ echo "bench_index --load-only ($1) failed:" >&2; cat "$T/load.out" >&2; exit 1; }
	[ "$1" = pg ] && { pg_settle || exit 1; s1=$(pg_server_cpu_us); }
	lv() { awk -F= -v k="$1" '$1 == k { print $2 }' "$T/load.out"; }
	if [ "$(lv devices)" != "$N" ] || [ "$(lv certificates)" != "$N" ]; then
		echo "the $1 index loaded $(lv devices) devices and $(lv certificates) certificates," \
			"not $N" >&2
		exit 1
	fi
	echo "$1: $(lv index_load_s) s, peak $(($(lv peak_rss_kb) / 1024)) MiB"
	[ -n "${3:-}" ] || return 0
	lv index_load_s >>"$T/$1.load"
	awk -v k="$(lv peak_rss_kb)" 'BEGIN { printf "%.1f\n", k / 1024 }' >>"$T/$1.peak"
	awk -v a="$(lv rss_after_kb)" -v b="$(lv rss_before_kb)" -v n="$N" \
		'BEGIN { printf "%.1f\n", (a - b) * 1024 / n }' >>"$T/$1.perdev"
	if [ "$1" = pg ]; then
		awk -v c=$((s1 - s0)) 'BEGIN { printf "%.3f\n", c / 1e6 }' >>"$T/pg.server"
	fi
}

load sqlite "$BYOD_HOME"
load pg "$T/home-pg"
for _ in $(seq "$RUNS"); do
	load sqlite "$BYOD_HOME" record
	load pg "$T/home-pg" record
done

figure index_pg_devices "$N" devices
figure_runs --config PostgreSQL index_pg_load_s s "$T/pg.load" "SQLite, same rows" "$T/sqlite.load"
figure_runs --config PostgreSQL index_pg_peak_rss_mb "MiB at the process's peak" "$T/pg.peak" "SQLite" "$T/sqlite.peak"
figure_runs --config PostgreSQL index_pg_bytes_per_device "bytes resident, per device" "$T/pg.perdev" "SQLite" \
	"$T/sqlite.perdev"
figure_runs --config PostgreSQL index_pg_server_cpu_s "s of PostgreSQL CPU per load" "$T/pg.server"
figure --config PostgreSQL index_pg_fill_s "$(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.1f", b - a }')" \
	"s (generate_series, one transaction)" "SQLite, same rows" \
	"$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')"
figure --config PostgreSQL index_pg_disk_bytes_per_device "$(awk -v b="$pg_bytes" -v n="$N" 'BEGIN { printf "%.1f", b / n }')" \
	"bytes (database, less an empty one)" "SQLite file" \
	"$(awk -v b="$sq_bytes" -v n="$N" 'BEGIN { printf "%.1f", b / n }')"
note "$N devices (two per account, each with one certificate) in both registries; each load is a new process (rad_index_open, one read-only snapshot; PostgreSQL by one COPY (SELECT ...) TO STDOUT in binary per table, over the cluster's Unix socket on the same two cores), SQLite and PostgreSQL alternated $RUNS times each after one load of each to warm the caches: medians, with the range of the runs and of the paired ratios. Peak memory is the process's VmHWM (libpq's result buffers included). The fill is bench_school's SQL on each side (on PostgreSQL generate_series in one transaction, foreign keys not checked row by row as the rows are consistent by construction, then VACUUM FREEZE ANALYZE)."
