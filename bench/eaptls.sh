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
#
# Paced: the same full authentications offered at one rate to both servers
# (open loop: bench/eap_paced.py starts an eapol_test every 1/PACE_RATE s
# for PACE_SECS s, whether or not the earlier ones have ended), since the
# CPU per authentication depends on the rate (a busier server finds more
# work per wake-up); server CPU over the run divided by the authentications.
. "$BYOD_SRC/bench/lib.sh"
. "$BYOD_SRC/tests/radius/lib.sh"
bench_init eaptls "$@"
export BYOD_HOME="$T/home"

# each round: FULL full authentications, then RUNS eapol_test -r R, on each
# server; then rounds of full authentications at PACE_RATE a second for
# PACE_SECS, alternated
if [ "$SMOKE" = 1 ]; then
	ROUNDS=2 FULL=3 RUNS=1 R=3 PACE_RATE=5 PACE_SECS=1
else
	ROUNDS=5 FULL=60 RUNS=2 R=30 PACE_RATE=20 PACE_SECS=6
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

# requests: the Access-Requests eapol_test sent in its last run (each one
# RADIUS round trip: the NAS's packet, the server's answer)
requests() { grep -c 'RADIUS message: code=1 ' "$T/eap.out"; }

for cfg in "${CFGS[@]}"; do
	fr_start "$T/raddb-$cfg"
	PID[$cfg]=$FR_PID
	auth "$cfg" # warm up
	: >"$T/full.$cfg"; : >"$T/res.$cfg"; : >"$T/rate.$cfg"
done
# the round trips of one full authentication and of one resumed: what the
# server does per packet (wake-ups, the EAP state, the virtual servers) a
# resumption pays for each of its own, whatever its cryptography saves
auth byod
RT_FULL=$(requests)
auth byod -r 2
[ "$(grep -c 'Handshake finished - resumed=1' "$T/eap.out")" = 2 ] ||
	{ echo "the 2 re-authentications did not both resume the TLS session" >&2; exit 1; }
RT_RES=$((($(requests) - RT_FULL) / 2))

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

# paced CFG ROUND: full authentications offered at PACE_RATE a second
# (eap_paced.py; the same eapol_test as auth's, its outputs in $T/paced);
# ROUND "profile": one more, under perf, not counted
paced() {
	local cfg=$1 pid=${PID[$1]} c0 c1 ok
	rm -rf "$T/paced"
	mkdir -p "$T/paced"
	c0=$(proc_cpu_us "$pid")
	"$BENCH_PY" "$BYOD_SRC/bench/eap_paced.py" --rate "$PACE_RATE" --seconds "$PACE_SECS" \
		--out "$T/paced" -- eapol_test -c "$T/lea.conf" -a 127.0.0.1 -p "${PORT[$cfg]}" \
		-s "$SECRET" -M 02:00:00:00:aa:01 -t 5 >"$T/paced.out" ||
		{ echo "$cfg: a paced EAP-TLS authentication failed:" >&2; cat "$T/paced.out" >&2; exit 1; }
	c1=$(proc_cpu_us "$pid")
	[ "$2" = profile ] && return 0
	ok=$(sed -n 's/^succeeded=//p' "$T/paced.out")
	awk -v c=$((c1 - c0)) -v n="$ok" 'BEGIN { printf "%.0f\n", c / n }' >>"$T/paced.$cfg"
	LATE[$cfg]=$((${LATE[$cfg]:-0} + $(sed -n 's/^late=//p' "$T/paced.out")))
	STARTED[$cfg]=$((${STARTED[$cfg]:-0} + $(sed -n 's/^started=//p' "$T/paced.out")))
	P50[$cfg]=$(sed -n 's/^latency_ms_p50=//p' "$T/paced.out")
	echo "$cfg at $PACE_RATE full authentications/s, round $2: $(tail -1 "$T/paced.$cfg") µs" \
		"server CPU each, $ok authentications, eapol_test p50 ${P50[$cfg]} ms"
}
declare -A LATE STARTED P50
for cfg in "${CFGS[@]}"; do : >"$T/paced.$cfg"; done
alternate "$ROUNDS" paced "${CFGS[@]}"

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
figure eaptls_full_round_trips "$RT_FULL" "RADIUS round trips per full authentication (TLS 1.2)"
figure eaptls_resumed_round_trips "$RT_RES" "RADIUS round trips per resumed authentication" \
	"full authentication" "$RT_FULL"
# the server's CPU per round trip, without the module: the resumed's
# against the full's says what the resumption adds per packet (reading
# the TLS session back, d2i_SSL_SESSION) beyond their count
awk -v n="$RT_FULL" '{ printf "%.0f\n", $1 / n }' "$T/full.plain" >"$T/rtf.plain"
awk -v n="$RT_RES" '{ printf "%.0f\n", $1 / n }' "$T/res.plain" >"$T/rtr.plain"
figure_runs --config "${NAME[plain]}" eaptls_plain_us_per_round_trip_full \
	"µs server CPU per round trip of a full authentication" "$T/rtf.plain"
figure_runs --config "${NAME[plain]}" eaptls_plain_us_per_round_trip_resumed \
	"µs server CPU per round trip of a resumed authentication" "$T/rtr.plain" \
	"round trip of a full authentication, ${NAME[plain]}" "$T/rtf.plain"
figure_runs --config "${NAME[plain]}" eaptls_paced_full_plain_us \
	"µs server CPU per full authentication at $PACE_RATE/s offered" "$T/paced.plain"
figure_runs --config "${NAME[byod]}" eaptls_paced_full_byod_us \
	"µs server CPU per full authentication at $PACE_RATE/s offered" "$T/paced.byod" \
	"${NAME[plain]}" "$T/paced.plain"
if small_ratio; then
	for cfg in byod plain; do
		profile "EAP-TLS full authentications at $PACE_RATE/s, ${NAME[$cfg]}" "${PID[$cfg]}" \
			paced "$cfg" profile
	done
fi
note "Paced: $ROUNDS rounds alternated between the two servers, each offering $PACE_RATE full" \
	"authentications a second for $PACE_SECS s (bench/eap_paced.py starts an eapol_test every" \
	"1/$PACE_RATE s whether or not the earlier ones have ended: open loop, the same rate for" \
	"both), the server's CPU over the round divided by its authentications; starts more than" \
	"10 ms behind the schedule (the client's own limit): ${LATE[byod]} of ${STARTED[byod]} on" \
	"rlm_byod's server, ${LATE[plain]} of ${STARTED[plain]} on the other; eapol_test's own run," \
	"start to end, p50 ${P50[byod]} / ${P50[plain]} ms in the last round."
note "Both servers run side by side; $ROUNDS rounds alternate between them, each of $FULL full authentications one after another, then $RUNS eapol_test runs of 1 full + $R resumed; the registry holds 1,000 devices; server CPU time from /proc over each phase, divided by its authentications (the clock ticks at 10 ms, so the smoke run's figures are coarse). A ratio is the median of the rounds' ratios, with their range."
