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
# portal's 4 threads), except that one machine plays every phone: the
# per-address connection limit is raised, and each account may hold 100
# devices (every phone logs in again with a fresh cookie jar, as a new
# phone would). The clients are threads of one Python process
# (http.client), each doing enrolments back to back.
. "$BYOD_SRC/bench/lib.sh"
bench_init enrol "$@"
export BYOD_HOME="$T/home"

if [ "$SMOKE" = 1 ]; then
	LEVELS="1:4 10:10 50:50" SPEED_S=1
else
	LEVELS="1:60 10:200 50:300" SPEED_S=3
fi
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
sed -i "s/^  limit-student: .*/  limit-student: 100/" "$conf"

portal_start "$PORT"

cat >"$T/drive.py" <<'PY'
# drive.py PORT CLIENTS COUNT ACCOUNTS OUT: COUNT enrolments by CLIENTS
# threads; one line per enrolment (ms) in OUT; prints the elapsed seconds
import http.client, re, sys, threading, time, urllib.parse
port, clients, count, accounts, out = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
login_only = len(sys.argv) > 6 and sys.argv[6] == "login"
UA = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36"
lock = threading.Lock()
todo = list(range(count))
times, errors = [], []

def enrol(conn, n):
    cookies = {}
    def req(method, path, form=None):
        h = {"Host": "portal.byod.lan", "User-Agent": UA, "Accept-Language": "fr-FR,fr;q=0.9"}
        if cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            h["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        data = r.read()
        for k, v in r.getheaders():
            if k.lower() == "set-cookie":
                name, _, rest = v.partition("=")
                cookies[name] = rest.split(";", 1)[0]
        return r.status, data
    def csrf(page):
        m = re.search(rb'name="csrf" value="([A-Za-z0-9_-]+)"', page)
        if not m:
            raise RuntimeError("no form token")
        return m.group(1).decode()
    a = n % accounts
    st, page = req("GET", "/")
    st, _ = req("POST", "/login", {"csrf": csrf(page), "login": f"eleve{a:02d}", "password": f"Calanques-{a:02d}!"})
    if st != 303:
        raise RuntimeError(f"login: {st}")
    if login_only:
        return
    st, page = req("GET", "/enrol")
    st, page = req("POST", "/enrol", {"csrf": csrf(page), "name": f"Pixel {n}", "kind": "phone", "charter": "yes"})
    if st != 200:
        raise RuntimeError(f"enrol: {st}")
    m = re.search(rb'id="download"[^>]*href="([^"]+)"', page)
    if not m:
        raise RuntimeError("no download link")
    st, p12 = req("GET", m.group(1).decode())
    if st != 200 or len(p12) < 500:
        raise RuntimeError(f"download: {st}, {len(p12)} bytes")

def client():
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    while True:
        with lock:
            if not todo or errors:
                return
            n = todo.pop()
        t = time.monotonic()
        try:
            enrol(conn, n)
        except Exception as e:
            with lock:
                errors.append(f"enrolment {n}: {e}")
            return
        ms = (time.monotonic() - t) * 1000
        with lock:
            times.append(ms)

t0 = time.monotonic()
threads = [threading.Thread(target=client) for _ in range(clients)]
for t in threads: t.start()
for t in threads: t.join()
elapsed = time.monotonic() - t0
if errors:
    sys.exit(errors[0])
with open(out, "w") as f:
    f.write("\n".join(f"{v:.2f}" for v in times) + "\n")
print(f"{elapsed:.3f}")
PY

# openssl's P-256 signatures per second on one core, in the same run
openssl speed -seconds "$SPEED_S" ecdsap256 >"$T/speed.out" 2>/dev/null ||
	{ echo "openssl speed failed" >&2; exit 1; }
SIGN_S=$(awk '/ecdsa \(nistp256\)/ { v = $(NF-1) } END { print v }' "$T/speed.out")
[ -n "$SIGN_S" ] || { echo "no ecdsap256 figure in openssl speed's output" >&2; cat "$T/speed.out" >&2; exit 1; }

# the login alone (start page and POST /login), one client: how much of
# an enrolment the password check is
"$BENCH_PY" "$T/drive.py" "$PORT" 1 "${LEVELS%%:*}" "$ACCOUNTS" "$T/lat-login" login >/dev/null ||
	{ echo "login failed; the portal's log:" >&2; tail -5 "$T/portal.log" >&2; exit 1; }
read -r LOGIN_P50 _ _ <<<"$(pct "$T/lat-login")"

pts_rate=() pts_50=() pts_99=()
best_rate=0 best_c=0
for level in $LEVELS; do
	c=${level%%:*} n=${level##*:}
	c0=$(proc_cpu_us "$PORTAL_PID")
	secs=$("$BENCH_PY" "$T/drive.py" "$PORT" "$c" "$n" "$ACCOUNTS" "$T/lat-$c") ||
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
done
figure enrol_per_s "$best_rate" "enrolments/s ($best_c clients)" "openssl speed ecdsap256, sign/s, one core" "$SIGN_S"
figure enrol_portal_cpu_ms "$best_cpu" "ms portal CPU per enrolment"
series "enrolments/s" "parallel clients" "enrolments/s" "${pts_rate[@]}"
series "enrolment latency p50" "parallel clients" "ms" "${pts_50[@]}"
series "enrolment latency p99" "parallel clients" "ms" "${pts_99[@]}"
note "One enrolment is five HTTP requests (start page, login, enrolment form, enrolment, PKCS#12 download); the password check (yescrypt, cost 5, memory-hard on purpose: its CPU and page faults are most of the portal's time) weighs more than the device key, the signature and the PKCS#12 (3DES, SHA-1 MAC for older phones): the ratio to openssl's signatures per second shows how far below the CA's own limit enrolment is. The login alone is the baseline of the one-client latency."
