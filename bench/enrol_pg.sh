# SPDX-License-Identifier: GPL-2.0-or-later
# Enrolment at 50 parallel clients on PostgreSQL beside SQLite: the same
# school (50 pupil accounts, the portal's shipped settings as in
# bench/enrol.sh: yescrypt cost 5, a thread per core; per-address limit raised,
# 100 devices an account, no daily rate) behind two portals, one on each
# registry: the SQLite file, and a throwaway PostgreSQL cluster on this
# machine (fsync on) holding the same school (`byodctl registry copy`).
# The same load (bench/enrol_drive.py: 50 phones, each doing whole
# enrolments back to back) runs against each portal in turn, alternated:
# three rounds of 300 enrolments on each (smoke: two of 50), after a
# warm-up of 20 on each. Figures: p50 and p99 over every enrolment of
# each, enrolments per second and CPU (portal, plus the PostgreSQL
# server's processes) per enrolment and in cores, per round with their
# range; and where the portal's threads were (sampled every 20 ms from
# /proc: running or ready to, asleep on a timer -- SQLite's busy handler -- or waiting
# on a socket -- the database server).
. "$BYOD_SRC/bench/lib.sh"
bench_init enrol_pg "$@"
export BYOD_HOME="$T/home"

if [ "$SMOKE" = 1 ]; then
	ROUNDS=2 COUNT=50 WARM=10
else
	ROUNDS=3 COUNT=300 WARM=20
fi
CLIENTS=50 ACCOUNTS=50
DRIVE=$BYOD_SRC/bench/enrol_drive.py

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
conf="$BYOD_HOME/byod.conf"
sed -i "s/^  https-port: .*/  https-port: 0/; s/^  per-ip-limit: .*/  per-ip-limit: 1024/" "$conf"
sed -i "s/^  limit-student: .*/  limit-student: 100/; s/^  rate-per-day: .*/  rate-per-day: 0/" "$conf"

pg_cluster_start
"$BYODCTL" registry copy --to "$PG_URL" >"$T/copy.out" 2>&1 ||
	{ echo "registry copy failed:" >&2; cat "$T/copy.out" >&2; exit 1; }
pg_cluster_durable
pg_home "$T/home-pg"

read -r PORT_SQ PORT_PG <<<"$(tcp_ports 2)"
sed -i "s/^  http-port: .*/  http-port: $PORT_SQ/" "$conf"
sed -i "s/^  http-port: .*/  http-port: $PORT_PG/" "$T/home-pg/byod.conf"
portal_start "$PORT_SQ"
PID_SQ=$PORTAL_PID
BYOD_HOME=$T/home-pg portal_start "$PORT_PG"
PID_PG=$PORTAL_PID

# threads.py PID OUT: where PID's threads are, every 20 ms until stdin
# closes; OUT gets the mean number of threads in each place
cat >"$T/threads.py" <<'PY'
import os, select, sys, time
pid, out = sys.argv[1], sys.argv[2]
places = {"running": 0, "timer": 0, "socket": 0, "disk": 0, "idle": 0, "other": 0}
others = {}
n = 0
def place(tid):
    with open(f"/proc/{pid}/task/{tid}/stat") as f:
        state = f.read().rsplit(")", 1)[1].split()[0]
    if state == "R":
        return "running"
    with open(f"/proc/{pid}/task/{tid}/wchan") as f:
        w = f.read().strip()
    if "nanosleep" in w:
        return "timer"   # SQLite's busy handler sleeps so
    if w == "ep_poll" or "futex" in w or "sigtimedwait" in w:
        return "idle"    # waiting for work (or for a lock of the portal's)
    if "poll" in w or "select" in w or "sk_wait" in w or "unix_stream" in w:
        return "socket"  # libpq waiting for the server (or a client's bytes)
    if "bio" in w or "folio" in w or "fsync" in w or "jbd2" in w or "writeback" in w:
        return "disk"    # the commit's fsync
    others[w] = others.get(w, 0) + 1
    return "other"
while not select.select([sys.stdin], [], [], 0.02)[0]:
    try:
        tids = os.listdir(f"/proc/{pid}/task")
        for t in tids:
            try:
                places[place(t)] += 1
            except OSError:
                pass
        n += 1
    except OSError:
        break
with open(out + ".tmp", "w") as f:
    for k, v in places.items():
        f.write(f"{k} {v / max(n, 1):.2f}\n")
with open(out + ".other", "w") as f:
    f.write(" ".join(f"{k}:{v / max(n, 1):.2f}" for k, v in sorted(others.items())) + "\n")
os.rename(out + ".tmp", out)
PY

# run BACKEND PORT PID COUNT [record]: COUNT enrolments by 50 phones
run() {
	local b=$1 port=$2 pid=$3 n=$4 c0 c1 s0=0 s1=0 secs
	c0=$(proc_cpu_us "$pid")
	[ "$b" = pg ] && s0=$(pg_server_cpu_us)
	exec {tfd}> >("$BENCH_PY" "$T/threads.py" "$pid" "$T/threads.now")
	secs=$("$BENCH_PY" "$DRIVE" "$port" "$CLIENTS" "$n" "$ACCOUNTS" "$T/lat.now") ||
		{ echo "enrolment on $b failed; the portals' log:" >&2; tail -5 "$T/portal.log" >&2; exit 1; }
	exec {tfd}>&-
	c1=$(proc_cpu_us "$pid")
	[ "$b" = pg ] && s1=$(pg_server_cpu_us)
	for _ in $(seq 50); do [ -s "$T/threads.now" ] && break; sleep 0.1; done
	read -r p50 p99 max <<<"$(pct "$T/lat.now")"
	echo "$b: $n enrolments in $secs s, p50 $p50 ms, p99 $p99 ms, max $max ms;" \
		"portal CPU $(((c1 - c0) / 1000)) ms, server $(((s1 - s0) / 1000)) ms;" \
		"threads: $(paste -sd' ' "$T/threads.now") ($(cat "$T/threads.now.other"))"
	[ -n "${5:-}" ] || { rm -f "$T/threads.now"; return 0; }
	cat "$T/lat.now" >>"$T/$b.lat"
	awk -v n="$n" -v s="$secs" 'BEGIN { printf "%.2f\n", n / s }' >>"$T/$b.rate"
	awk -v c=$((c1 - c0 + s1 - s0)) -v n="$n" 'BEGIN { printf "%.2f\n", c / n / 1000 }' >>"$T/$b.cpu"
	awk -v c=$((c1 - c0 + s1 - s0)) -v s="$secs" 'BEGIN { printf "%.3f\n", c / s / 1e6 }' >>"$T/$b.cores"
	awk -v c=$((s1 - s0)) -v n="$n" 'BEGIN { printf "%.2f\n", c / n / 1000 }' >>"$T/$b.server"
	awk '{ print $2 >> (f "." $1) }' f="$T/$b.threads" "$T/threads.now"
	rm -f "$T/threads.now"
}

run sqlite "$PORT_SQ" "$PID_SQ" "$WARM"
run pg "$PORT_PG" "$PID_PG" "$WARM"
for _ in $(seq "$ROUNDS"); do
	run sqlite "$PORT_SQ" "$PID_SQ" "$COUNT" record
	run pg "$PORT_PG" "$PID_PG" "$COUNT" record
done

read -r sq50 sq99 _ <<<"$(pct "$T/sqlite.lat")"
read -r pg50 pg99 _ <<<"$(pct "$T/pg.lat")"
figure --config PostgreSQL enrol_pg_ms_p50_c50 "$pg50" ms "SQLite, p50" "$sq50"
figure --config PostgreSQL enrol_pg_ms_p99_c50 "$pg99" ms "SQLite, p99" "$sq99"
figure_runs --config PostgreSQL enrol_pg_per_s "enrolments/s at 50 clients" "$T/pg.rate" "SQLite" "$T/sqlite.rate"
figure_runs --config PostgreSQL enrol_pg_cpu_ms "ms CPU per enrolment, portal + PostgreSQL" "$T/pg.cpu" \
	"SQLite (portal)" "$T/sqlite.cpu"
figure_runs --config PostgreSQL enrol_pg_server_cpu_ms "ms PostgreSQL CPU per enrolment" "$T/pg.server"
figure_runs --config PostgreSQL enrol_pg_cores "cores, portal + PostgreSQL" "$T/pg.cores" "SQLite (portal)" \
	"$T/sqlite.cores"
figure_runs --config PostgreSQL enrol_pg_threads_running "portal threads running, mean" "$T/pg.threads.running" \
	"SQLite" "$T/sqlite.threads.running"
figure_runs --config SQLite enrol_sqlite_threads_timer "portal threads asleep on a timer, mean" \
	"$T/sqlite.threads.timer" "PostgreSQL" "$T/pg.threads.timer"
figure_runs --config PostgreSQL enrol_pg_threads_socket "portal threads waiting on a socket, mean" \
	"$T/pg.threads.socket" "SQLite" "$T/sqlite.threads.socket"
note "The same 50 phones (one Python process, threads doing whole enrolments back to back: start page, login, enrolment form, enrolment, PKCS#12) against a portal on SQLite, then one on PostgreSQL (a throwaway cluster on this machine, fsync on, over its Unix socket), $ROUNDS rounds of $COUNT enrolments each, alternated, after a warm-up of $WARM on each; both portals run throughout with the shipped thread per core. p50 and p99 over all the enrolments of each backend; rates, CPU and cores are medians of the rounds with their range. CPU is the portal's user+system time, plus on PostgreSQL the server's (its backends included); cores = that CPU / the round's wall time, of the machine's 2, which the phones share. Threads are sampled every 20 ms from /proc (state R: running, or ready and waiting for one of the 2 cores; wchan hrtimer_nanosleep: asleep on a timer, which is where SQLite's busy handler waits for the write lock; poll on a socket: waiting for the database server or a client; block I/O: the commit's fsync); the portal's other threads wait for work. Disk waits: $(paste -sd' ' "$T/sqlite.threads.disk") threads on SQLite, $(paste -sd' ' "$T/pg.threads.disk") on PostgreSQL (the server's own fsync is in its processes)."
