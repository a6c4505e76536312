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

if [ "$SMOKE" = 1 ]; then
	N=2000 DECISIONS=20000 POLICY_IT=2000
else
	N=1000000 DECISIONS=2000000 POLICY_IT=200000
fi

"$BYOD_BIN/bench_policy" --iterations "$POLICY_IT" >"$T/policy.out" ||
	{ echo "bench_policy failed" >&2; cat "$T/policy.out" >&2; exit 1; }
pv() { awk -F= -v k="$1" '$1 == k { print $2 }' "$T/policy.out"; }
figure policy_decision_ns "$(pv policy_decision_ns)" "ns (200 rules, none matching)" \
	"one-rule policy" "$(pv baseline_one_rule_ns)"

bench_school "$N"
"$BYOD_BIN/bench_index" --home "$BYOD_HOME" --decisions "$DECISIONS" >"$T/index.out" ||
	{ echo "bench_index failed" >&2; cat "$T/index.out" >&2; exit 1; }
cat "$T/index.out"
iv() { awk -F= -v k="$1" '$1 == k { print $2 }' "$T/index.out"; }
figure index_devices "$(iv devices)" devices
figure index_load_s "$(iv index_load_s)" s "reading the same rows" "$(iv registry_read_s)"
figure index_bytes_per_device "$(iv index_rss_bytes_per_device)" "bytes (resident)" \
	"registry on disk, per device" "$(iv registry_disk_bytes_per_device)"
figure index_map_bytes_per_device "$(iv index_map_bytes_per_device)" "bytes (maps)"
figure index_idle_refresh_us "$(iv idle_refresh_us)" "µs (change feed read, nothing new)"
figure index_mab_decision_ns "$(iv decision_ns)" ns "registry lookup by MAC" "$(iv registry_lookup_ns)"
note "Each device has its owner (two devices per account) and one certificate in the index; memory is the process's resident growth over the load, per device. Decisions pick devices uniformly over the whole registry."
