# SPDX-License-Identifier: GPL-2.0-or-later
# EAP-TLS through the real FreeRADIUS: server CPU per authentication with
# rlm_byod (byodctl's raddb: the certificate check in check-eap-tls and the
# final decision in post-auth) against the same raddb without the module's
# decisions (raddb_variant: the same virtual servers, check-eap-tls still
# called, Auth-Type Accept where rlm_byod decided), and per resumed authentication
# against a full one. Both servers run side by side on ports of their own;
# the runs alternate between them ROUNDS times (order reversed every other
# round), and each ratio is the median of the ratios taken run by run.
#
# Full: eapol_test runs one whole EAP-TLS authentication (P-256 device
# certificate from the school CA, TLS 1.2, a new TLS session), FULL times
# one after another. Resumed: eapol_test -r R runs one full authentication
# and R re-authentications that resume its TLS session (checked in its
# output); the resumed cost is (CPU of the runs - their full ones, at the
# same round's cost) / their resumptions. The figure is FreeRADIUS's
# user+system CPU time (/proc/PID/stat) over the runs divided by the
# authentications; eapol_test's own CPU is not in it. Full authentications
# per second per core = 1 s / the CPU of one.
. "$BYOD_SRC/bench/lib.sh"
. "$BYOD_SRC/tests/radius/lib.sh"
bench_init eaptls "$@"
export BYOD_HOME="$T/home"

# each round: FULL full authentications, then RUNS eapol_test -r R, on each server
if [ "$SMOKE" = 1 ]; then
	ROUNDS=2 FULL=3 RUNS=1 R=3
else
	ROUNDS=5 FULL=60 RUNS=2 R=30
fi
CFGS=(plain byod)
declare -A NAME=([plain]="same virtual servers, no rlm_byod decision" [byod]="rlm_byod")

bench_school 1000
"$BYODCTL" user add lea --role student --school 0131234W >/dev/null
"$BYODCTL" device enrol lea --name phone-lea --kind phone --out "$T/dev" --json >"$T/lea.json" ||
	{ echo "enrol failed" >&2; exit 1; }
lea=$("$BENCH_PY" -c 'import json, sys; print(json.load(sys.stdin)["device"])' <"$T/lea.json")
CERT="$T/dev/$lea.pem" KEY="$T/dev/$lea.key"

radius_setup
mkdir -p "$RADDB/log"
cp -r "$RADDB" "$T/raddb-byod"
sed -i "s|^raddbdir = .*|raddbdir = $T/raddb-byod|" "$T/raddb-byod/radiusd.conf"
raddb_variant "$RADDB" "$T/raddb-plain" ''
declare -A PORT PID
raddb_own_ports "${CFGS[@]}" || exit 1

# auth CFG [eapol_test options]: one eapol_test run with lea's certificate
auth() {
	AUTH_PORT=${PORT[$1]}
	shift
	eap_tls lea "$CERT" "$KEY" 02:00:00:00:aa:01 "$@" ||
		{ echo "EAP-TLS failed:" >&2; tail -20 "$T/eap.out" >&2; exit 1; }
}
full_batch() {
	local cfg=$1
	for _ in $(seq "$FULL"); do auth "$cfg"; done
}

for cfg in "${CFGS[@]}"; do
	fr_start "$T/raddb-$cfg"
	PID[$cfg]=$FR_PID
	auth "$cfg" # warm up
	: >"$T/full.$cfg"; : >"$T/res.$cfg"; : >"$T/rate.$cfg"
done

# one round on CFG: FULL full authentications, then RUNS runs of 1 + R
round() {
	local cfg=$1 pid=${PID[$1]} c0 c1 full_us resumed
	c0=$(proc_cpu_us "$pid")
	full_batch "$cfg"
	c1=$(proc_cpu_us "$pid")
	full_us=$(awk -v c=$((c1 - c0)) -v n="$FULL" 'BEGIN { printf "%.0f", c / n }')
	echo "$full_us" >>"$T/full.$cfg"
	awk -v u="$full_us" 'BEGIN { printf "%.1f\n", (u > 0 ? 1e6 / u : 0) }' >>"$T/rate.$cfg"
	c0=$(proc_cpu_us "$pid")
	for _ in $(seq "$RUNS"); do
		auth "$cfg" -r "$R"
		resumed=$(grep -c 'Handshake finished - resumed=1' "$T/eap.out")
		if [ "$resumed" -ne "$R" ]; then
			echo "$cfg: $resumed of $R re-authentications resumed the TLS session" >&2
			exit 1
		fi
	done
	c1=$(proc_cpu_us "$pid")
	awk -v c=$((c1 - c0)) -v n="$RUNS" -v r="$R" -v f="$full_us" \
		'BEGIN { v = (c - n * f) / (n * r); if (v < 0) v = 0; printf "%.0f\n", v }' >>"$T/res.$cfg"
	echo "$cfg, round $2: full $full_us µs, resumed $(tail -1 "$T/res.$cfg") µs server CPU"
}
alternate "$ROUNDS" round "${CFGS[@]}"

figure_runs --config "${NAME[byod]}" eaptls_full_byod_us "µs server CPU per full authentication" \
	"$T/full.byod" "${NAME[plain]}" "$T/full.plain"
if small_ratio; then
	for cfg in byod plain; do
		profile "EAP-TLS full authentications, ${NAME[$cfg]}" "${PID[$cfg]}" full_batch "$cfg"
	done
fi
figure_runs --config "${NAME[byod]}" eaptls_full_auth_per_s_core \
	"full authentications/s per core of server CPU" "$T/rate.byod" "${NAME[plain]}" "$T/rate.plain"
figure_runs --config "${NAME[byod]}" eaptls_resumed_byod_us "µs server CPU per resumed authentication" \
	"$T/res.byod" "full authentication, rlm_byod" "$T/full.byod"
figure_runs --config "${NAME[plain]}" eaptls_resumed_plain_us \
	"µs server CPU per resumed authentication" "$T/res.plain" "full authentication, ${NAME[plain]}" \
	"$T/full.plain"
note "Both servers run side by side; $ROUNDS rounds alternate between them, each of $FULL full authentications one after another, then $RUNS eapol_test runs of 1 full + $R resumed; the registry holds 1,000 devices; server CPU time from /proc over each phase, divided by its authentications (the clock ticks at 10 ms, so the smoke run's figures are coarse). A ratio is the median of the rounds' ratios, with their range."
