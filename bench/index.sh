# SPDX-License-Identifier: GPL-2.0-or-later
# Policy and memory: nanoseconds per decision of a 200-rule policy
# (bench_policy, baseline: a one-rule policy), and the RADIUS module's index
# over a registry of 1,000,000 enrolled devices (--smoke: 2,000;
# bench_index): load time against reading the same rows, memory per device
# against the registry's bytes per device on disk, one MAB decision from
# memory against one device lookup by MAC in the registry. FreeRADIUS's
# resident memory with the index loaded is measured by mab.sh.
. "$BYOD_SRC/bench/lib.sh"
bench_init index "$@"
export BYOD_HOME="$T/home"

# RUNS runs of each program: each measures its figure and its baseline in
# turn within the run, and the ratio is the median of the runs' ratios
if [ "$SMOKE" = 1 ]; then
	N=2000 DECISIONS=20000 POLICY_IT=2000 RUNS=2
else
	N=1000000 DECISIONS=2000000 POLICY_IT=200000 RUNS=5
fi

# kv FILE KEY: the value of KEY in a program's key=value output
kv() { awk -F= -v k="$2" '$1 == k { print $2 }' "$1"; }
# runs_of KEY PREFIX: KEY's value in each run's output PREFIX.N, one a line
runs_of() {
	local r
	for r in $(seq "$RUNS"); do kv "$2.$r" "$1"; done
}

for r in $(seq "$RUNS"); do
	"$BYOD_BIN/bench_policy" --iterations "$POLICY_IT" >"$T/policy.out.$r" ||
		{ echo "bench_policy failed" >&2; cat "$T/policy.out.$r" >&2; exit 1; }
done
runs_of policy_decision_ns "$T/policy.out" >"$T/policy.big"
runs_of baseline_one_rule_ns "$T/policy.out" >"$T/policy.one"
figure_runs --config "200-rule policy" policy_decision_ns "ns (200 rules, none matching)" \
	"$T/policy.big" "one-rule policy" "$T/policy.one"
profile_cmd "bench_policy, 200 rules and one rule" "$BYOD_BIN/bench_policy" \
	--iterations "$POLICY_IT" >/dev/null

bench_school "$N"
for r in $(seq "$RUNS"); do
	"$BYOD_BIN/bench_index" --home "$BYOD_HOME" --decisions "$DECISIONS" >"$T/index.out.$r" ||
		{ echo "bench_index failed" >&2; cat "$T/index.out.$r" >&2; exit 1; }
	cat "$T/index.out.$r"
done
for k in index_load_s registry_read_s index_rss_bytes_per_device registry_disk_bytes_per_device \
	index_map_bytes_per_device idle_refresh_us decision_ns registry_lookup_ns; do
	runs_of "$k" "$T/index.out" >"$T/$k"
done
figure index_devices "$(kv "$T/index.out.1" devices)" devices
figure_runs --config "rlm_byod's index" index_load_s s "$T/index_load_s" \
	"reading the same rows" "$T/registry_read_s"
figure_runs --config "rlm_byod's index" index_bytes_per_device "bytes (resident)" \
	"$T/index_rss_bytes_per_device" "registry on disk, per device" "$T/registry_disk_bytes_per_device"
figure_runs --config "rlm_byod's index" index_map_bytes_per_device "bytes (maps)" \
	"$T/index_map_bytes_per_device"
figure_runs --config "rlm_byod's index" index_idle_refresh_us "µs (change feed read, nothing new)" \
	"$T/idle_refresh_us"
figure_runs --config "rlm_byod's index" index_mab_decision_ns ns "$T/decision_ns" \
	"registry lookup by MAC (SQLite)" "$T/registry_lookup_ns"
profile_cmd "bench_index, load and decisions" "$BYOD_BIN/bench_index" --home "$BYOD_HOME" \
	--decisions "$DECISIONS" >/dev/null
note "Each device has its owner (two devices per account) and one certificate in the index; memory is the process's resident growth over the load, per device. Decisions pick devices uniformly over the whole registry. $RUNS runs of bench_policy and of bench_index, each timing its figure and its baseline in turn; a ratio is the median of the runs' ratios, with their range."
