# SPDX-License-Identifier: GPL-2.0-or-later
# EAP-TLS through the real FreeRADIUS: server CPU per authentication with
# rlm_byod (byodctl's raddb: the certificate check in check-eap-tls and the
# final decision in post-auth) against the same eap module without it, and
# per resumed authentication against a full one.
#
# Full: eapol_test runs one whole EAP-TLS authentication (P-256 device
# certificate from the school CA, TLS 1.2, a new TLS session), FULL times
# one after another. Resumed: eapol_test -r R runs one full authentication
# and R re-authentications that resume its TLS session (checked in its
# output); the resumed cost is (CPU of the run - one full) / R. The figure
# is FreeRADIUS's user+system CPU time (/proc/PID/stat) over the runs
# divided by the authentications; eapol_test's own CPU is not in it.
. "$BYOD_SRC/bench/lib.sh"
. "$BYOD_SRC/tests/radius/lib.sh"
bench_init eaptls "$@"
export BYOD_HOME="$T/home"

if [ "$SMOKE" = 1 ]; then
	FULL=3 RUNS=2 R=3
else
	FULL=300 RUNS=10 R=30
fi

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

# auth [eapol_test options]: one eapol_test run with lea's certificate
auth() {
	eap_tls lea "$CERT" "$KEY" 02:00:00:00:aa:01 "$@" ||
		{ echo "EAP-TLS failed:" >&2; tail -20 "$T/eap.out" >&2; exit 1; }
}

declare -A FULL_US RES_US
for cfg in plain byod; do
	fr_start "$T/raddb-$cfg"
	auth # warm up
	c0=$(proc_cpu_us "$FR_PID")
	for _ in $(seq "$FULL"); do auth; done
	c1=$(proc_cpu_us "$FR_PID")
	FULL_US[$cfg]=$(awk -v c=$((c1 - c0)) -v n="$FULL" 'BEGIN { printf "%.0f", c / n }')
	c0=$(proc_cpu_us "$FR_PID")
	for _ in $(seq "$RUNS"); do
		auth -r "$R"
		resumed=$(grep -c 'Handshake finished - resumed=1' "$T/eap.out")
		if [ "$resumed" -ne "$R" ]; then
			echo "$cfg: $resumed of $R re-authentications resumed the TLS session" >&2
			exit 1
		fi
	done
	c1=$(proc_cpu_us "$FR_PID")
	RES_US[$cfg]=$(awk -v c=$((c1 - c0)) -v n="$RUNS" -v r="$R" -v f="${FULL_US[$cfg]}" \
		'BEGIN { v = (c - n * f) / (n * r); if (v < 0) v = 0; printf "%.0f", v }')
	echo "$cfg: full ${FULL_US[$cfg]} µs, resumed ${RES_US[$cfg]} µs server CPU"
	stop_pid "$FR_PID"
done

figure eaptls_full_byod_us "${FULL_US[byod]}" "µs server CPU" "same eap, no rlm_byod" "${FULL_US[plain]}"
figure eaptls_resumed_byod_us "${RES_US[byod]}" "µs server CPU" "full authentication, rlm_byod" "${FULL_US[byod]}"
figure eaptls_resumed_plain_us "${RES_US[plain]}" "µs server CPU" "full authentication, no rlm_byod" "${FULL_US[plain]}"
note "$FULL full authentications one after another, then $RUNS eapol_test runs of 1 full + $R resumed; the registry holds 1,000 devices; server CPU time from /proc over each phase, divided by its authentications (the clock ticks at 10 ms, so the smoke run's figures are coarse)."
