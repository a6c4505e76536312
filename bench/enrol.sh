# SPDX-License-Identifier: GPL-2.0-or-later
# Enrolment at the portal: the latency of one whole enrolment, as a pupil's
# phone does it (GET / for the session and the form token, POST /login,
# GET /enrol, POST /enrol with the charter accepted, which makes the key,
# signs the certificate and writes the registry, GET of the one-time
# PKCS#12 link), p50 and p99 with 1, 10 and 50 phones enrolling at once,
# and the certificates per second that makes, against `openssl speed
# ecdsap256` signing on the same machine in the same run (one core: the
# limit of the CA's signature alone).
#
# The school's shipped settings (yescrypt cost 5 for passwords, the
# portal's thread per core), except that one machine plays every phone: the
# per-address connection limit is raised, and each account may hold 100
# devices, with no daily enrolment rate (every phone logs in again with a
# fresh cookie jar, as a new phone would). The clients are threads of one
# Python process (bench/enrol_drive.py, http.client), each doing
# enrolments back to back. The 50-client level saturates the portal on the
# machine's two cores (its enrolments per second are the saturated rate).
# Then an open-loop phase: enrolments due at 20 a second whether or not the
# earlier ones have ended, as phones arriving at a school's start of year,
# each timed from when it was due (the p99 at an open-loop 20/s).
. "$BYOD_SRC/bench/lib.sh"
bench_init enrol "$@"
export BYOD_HOME="$T/home"

if [ "$SMOKE" = 1 ]; then
	LEVELS="1:4 10:10 50:50" SPEED_S=1 OPEN_N=10 SAT_RUNS=2
else
	LEVELS="1:60 10:200 50:300" SPEED_S=3 OPEN_N=300 SAT_RUNS=5
fi
OPEN_RATE=20
ACCOUNTS=50

"$BYODCTL" init --school 0131234W --name "Collège des Calanques" >/dev/null ||
	{ echo "byodctl init failed" >&2; exit 1; }
cat >"$T/policy.yaml" <<'POLICY'
segments:
  registration: { vlan: 10, subnet: 10.10.0.0/22 }
  pupils: { vlan: 20, subnet: 10.20.0.0/16 }
rules:
  - name: pupils
    match: { role: student }
    segment: pupils
default: registration
POLICY
"$BYODCTL" policy apply "$T/policy.yaml" >/dev/null || { echo "policy apply failed" >&2; exit 1; }
{
	echo "login,display_name,role,school,password"
	for i in $(seq 0 $((ACCOUNTS - 1))); do
		printf 'eleve%02d,Élève %d,student,0131234W,Calanques-%02d!\n' "$i" "$i" "$i"
	done
} >"$T/accounts.csv"
"$BYODCTL" user import "$T/accounts.csv" >/dev/null 2>"$T/import.err" ||
	{ echo "user import failed: $(cat "$T/import.err")" >&2; exit 1; }

PORT=$(tcp_ports 1)
conf="$BYOD_HOME/byod.conf"
sed -i "s/^  http-port: .*/  http-port: $PORT/; s/^  https-port: .*/  https-port: 0/" "$conf"
sed -i "s/^  per-ip-limit: .*/  per-ip-limit: 1024/" "$conf"
sed -i "s/^  limit-student: .*/  limit-student: 100/; s/^  rate-per-day: .*/  rate-per-day: 0/" "$conf"

portal_start "$PORT"

DRIVE=$BYOD_SRC/bench/enrol_drive.py

# openssl's P-256 signatures per second on one core, in the same run
openssl speed -seconds "$SPEED_S" ecdsap256 >"$T/speed.out" 2>/dev/null ||
	{ echo "openssl speed failed" >&2; exit 1; }
SIGN_S=$(awk '/ecdsa \(nistp256\)/ { v = $(NF-1) } END { print v }' "$T/speed.out")
[ -n "$SIGN_S" ] || { echo "no ecdsap256 figure in openssl speed's output" >&2; cat "$T/speed.out" >&2; exit 1; }

# the login alone (start page and POST /login), one client: how much of
# an enrolment the password check is
"$BENCH_PY" "$DRIVE" "$PORT" 1 "${LEVELS%%:*}" "$ACCOUNTS" "$T/lat-login" login >/dev/null ||
	{ echo "login failed; the portal's log:" >&2; tail -5 "$T/portal.log" >&2; exit 1; }
read -r LOGIN_P50 _ _ <<<"$(pct "$T/lat-login")"

pts_rate=() pts_50=() pts_99=()
best_rate=0 best_c=0
for level in $LEVELS; do
	c=${level%%:*} n=${level##*:}
	c0=$(proc_cpu_us "$PORTAL_PID")
	secs=$("$BENCH_PY" "$DRIVE" "$PORT" "$c" "$n" "$ACCOUNTS" "$T/lat-$c") ||
		{ echo "enrolment with $c clients failed; the portal's log:" >&2; tail -5 "$T/portal.log" >&2; exit 1; }
	c1=$(proc_cpu_us "$PORTAL_PID")
	read -r p50 p99 max <<<"$(pct "$T/lat-$c")"
	rate=$(awk -v n="$n" -v s="$secs" 'BEGIN { printf "%.1f", n / s }')
	cpu_ms=$(awk -v c=$((c1 - c0)) -v n="$n" 'BEGIN { printf "%.1f", c / n / 1000 }')
	echo "$c clients: $n enrolments in $secs s ($rate/s), p50 $p50 ms, p99 $p99 ms, max $max ms, $cpu_ms ms portal CPU each"
	if [ "$c" = 1 ]; then
		figure "enrol_ms_p50_c$c" "$p50" ms "the login alone, p50" "$LOGIN_P50"
	else
		figure "enrol_ms_p50_c$c" "$p50" ms "one client, p50" "$(pct "$T/lat-1" | cut -d' ' -f1)"
	fi
	figure "enrol_ms_p99_c$c" "$p99" ms
	pts_rate+=("$c $rate") pts_50+=("$c $p50") pts_99+=("$c $p99")
	if awk -v r="$rate" -v b="$best_rate" 'BEGIN { exit !(r > b) }'; then
		best_rate=$rate best_c=$c best_cpu=$cpu_ms
	fi
	SAT_RATE=$rate SAT_C=$c SAT_N=$n # the last level, the most clients
done
figure enrol_per_s "$best_rate" "enrolments/s ($best_c clients)" "openssl speed ecdsap256, sign/s, one core" "$SIGN_S"
# the saturated rate again, SAT_RUNS runs of the last level in all: its
# median and range (one run moves by a tenth from the next)
echo "$SAT_RATE" >"$T/sat.rate"
for ((r = 2; r <= SAT_RUNS; r++)); do
	secs=$("$BENCH_PY" "$DRIVE" "$PORT" "$SAT_C" "$SAT_N" "$ACCOUNTS" "$T/lat-sat") ||
		{ echo "enrolment with $SAT_C clients failed; the portal's log:" >&2; tail -5 "$T/portal.log" >&2; exit 1; }
	rate=$(awk -v n="$SAT_N" -v s="$secs" 'BEGIN { printf "%.1f", n / s }')
	echo "$SAT_C clients, run $r: $SAT_N enrolments in $secs s ($rate/s)"
	echo "$rate" >>"$T/sat.rate"
done
figure_runs enrol_saturated_per_s "enrolments/s ($SAT_C clients, 2 cores)" "$T/sat.rate"

# open loop: OPEN_N enrolments due at OPEN_RATE a second, 64 phones at most
# in flight (more than the portal's threads and the rate times the p99)
secs=$("$BENCH_PY" "$DRIVE" "$PORT" 64 "$OPEN_N" "$ACCOUNTS" "$T/lat-open" open "$OPEN_RATE") ||
	{ echo "open-loop enrolment failed; the portal's log:" >&2; tail -5 "$T/portal.log" >&2; exit 1; }
read -r op50 op99 opmax <<<"$(pct "$T/lat-open")"
echo "open loop at $OPEN_RATE/s: $OPEN_N enrolments in $secs s, p50 $op50 ms, p99 $op99 ms, max $opmax ms"
figure enrol_open_p99_ms_at_20 "$op99" "ms (p99, open loop at $OPEN_RATE/s)" "one client, p99" \
	"$(pct "$T/lat-1" | cut -d' ' -f2)"
figure enrol_open_p50_ms_at_20 "$op50" "ms (p50, open loop at $OPEN_RATE/s)" "one client, p50" \
	"$(pct "$T/lat-1" | cut -d' ' -f1)"
figure enrol_portal_cpu_ms "$best_cpu" "ms portal CPU per enrolment"
series "enrolments/s" "parallel clients" "enrolments/s" "${pts_rate[@]}"
series "enrolment latency p50" "parallel clients" "ms" "${pts_50[@]}"
series "enrolment latency p99" "parallel clients" "ms" "${pts_99[@]}"
note "One enrolment is five HTTP requests (start page, login, enrolment form, enrolment, PKCS#12 download); the password check (yescrypt, cost 5, memory-hard on purpose: its CPU and page faults are most of the portal's time) weighs more than the device key, the signature and the PKCS#12 (3DES, SHA-1 MAC for older phones): the ratio to openssl's signatures per second shows how far below the CA's own limit enrolment is. The login alone is the baseline of the one-client latency. The saturated rate is the $SAT_C-client level's, the median of $SAT_RUNS runs with their range. The open-loop phase: $OPEN_N enrolments due at $OPEN_RATE a second (bench/enrol_drive.py open), each timed from when it was due."
