# SPDX-License-Identifier: GPL-2.0-or-later
# The primary lost under load: a département's registry on two PostgreSQL
# nodes under Patroni with three etcd members (scripts/ha-cluster, with
# synchronous_mode unless HA_SYNC=0), a school put on it by `byodctl registry
# copy --to`, registry.url its writers' multi-host URL and registry.read-url
# the one that prefers a standby. On it, in a network namespace of the
# test's own: two FreeRADIUS nodes with rlm_byod (A and B, each its spool),
# one portal, one byod-gatewayd --school with an access point that records
# its Disconnect-Requests (tests/multinode/nas.py).
#
# A steady load (tests/ha/haload.py: MAB and EAP-TLS on both nodes in turn,
# accounting sessions, enrolments at the portal, every request logged) runs
# HA_BEFORE seconds (20), then the primary is killed (SIGKILL of its Patroni
# and PostgreSQL: a machine lost), the load goes on through the failover and
# HA_AFTER seconds (20) past the first write the new primary accepts. Then:
#
#  - every RADIUS request was answered (MAB and EAP-TLS accepted, each
#    accounting packet acknowledged) throughout;
#  - the portal answered 503 only between the kill and the failover's end
#    (+ HA_MARGIN seconds, 3), never another error, and enrolled again after;
#  - once the nodes' accounting journals are empty: each acknowledged
#    accounting session in the database once, with its last acknowledged
#    packet's counters and state; every enrolment the load saw succeed has
#    its certificate valid in the database, no enrolment it saw refused has
#    one (the portal settles what it left unsettled on its pages after the
#    failover, which the load's last 20 s go through), and every serial
#    handed out is a row;
#  - the killed node started again joins as a standby (HA_REJOIN=0: not);
#  - a device revoked after the failover (byodctl device revoke) is refused
#    by EAP-TLS on both nodes within 1 s (polled every 50 ms, measured), and
#    the gateway disconnects its session; each node's index then at the
#    change feed's head.
#
# The figures are printed as name=value lines (and appended to the file
# HA_FIGURES when it is set): failover_seconds (kill -> first write
# accepted), portal_unavailable_seconds, radius_requests, radius_answered,
# accounting_sent/acked/rows, enrolments_ok/refused, revocation_ms_a/b.
# HA_CLUSTER names another command with ha-cluster's interface.
if [ -z "${BYOD_HA_NS:-}" ]; then
	exec unshare -n env BYOD_HA_NS=1 bash "$0" "$@"
fi
ip link set lo up
. "$BYOD_SRC/tests/cli/lib.sh"
. "$BYOD_SRC/tests/radius/lib.sh"
. "$BYOD_SRC/tests/portal/lib.sh"
: "${BYOD_PORTAL:?BYOD_PORTAL must name the byod-portal binary}"
: "${BYOD_GATEWAYD:?BYOD_GATEWAYD must name the byod-gatewayd binary}"
HAC=${HA_CLUSTER:-$BYOD_SRC/scripts/ha-cluster}
MN="$BYOD_SRC/tests/multinode"
HA="$BYOD_SRC/tests/ha"
UAI=0131234W
HA_SYNC=${HA_SYNC:-1}
HA_BEFORE=${HA_BEFORE:-20}
HA_AFTER=${HA_AFTER:-20}
HA_MARGIN=${HA_MARGIN:-3}

# the cluster's directory is reached by the unprivileged server user: not
# under $T (0700). A run killed before its cleanup (a ctest timeout) leaves
# its servers running: those whose test is gone are removed first.
for d in "$base"/ha-pg.*; do
	[ -d "$d" ] || continue
	owner=$(cat "$d/owner" 2>/dev/null)
	if [ -z "$owner" ] || ! kill -0 "$owner" 2>/dev/null; then
		"$HAC" remove "$d" >/dev/null 2>&1
	fi
done
HAD=$(mktemp -d "$base/ha-pg.XXXXXX")
echo $$ >"$HAD/owner"
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	if [ -n "${KEEP:-}" ]; then
		"$HAC" stop "$HAD" >/dev/null 2>&1
		echo "kept: $T and $HAD" >&2
	else
		"$HAC" remove "$HAD" >/dev/null 2>&1
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

die() {
	echo "failover: $*" >&2
	exit 1
}
now_ms() { date +%s%3N; }
figure() { # NAME VALUE
	echo "$1=$2"
	[ -z "${HA_FIGURES:-}" ] || echo "$1=$2" >>"$HA_FIGURES"
}

# ---- the cluster and the school on it ---------------------------------------
sync_opt=--sync
[ "$HA_SYNC" = 0 ] && sync_opt=
# shellcheck disable=SC2086
"$HAC" start "$HAD" $sync_opt >"$T/ha-start.log" 2>&1 ||
	die "the HA cluster did not start: $(tail -20 "$T/ha-start.log")"
URL=$("$HAC" url "$HAD") || die "ha-cluster url failed"
READ_URL=$("$HAC" read-url "$HAD") || die "ha-cluster read-url failed"
first=$("$HAC" primary "$HAD") || die "no primary after start"
echo "cluster up, primary $first (synchronous_mode: $HA_SYNC)" >&2
sql() { PGCONNECT_TIMEOUT=3 psql -X -q -A -t -F'|' -v ON_ERROR_STOP=1 "$URL"; }

init_school
conf="$BYOD_HOME/byod.conf"
"$BYODCTL" registry copy --to "$URL" >"$T/copy.out" 2>&1 || die "registry copy failed: $(cat "$T/copy.out")"
sed -i "s|^  # url: \"\"|  url: \"${URL//&/\\&}\"|" "$conf"
check "registry.url names the cluster" grep -qF "  url: \"$URL\"" "$conf"
if grep -q '^  # read-url: ""' "$conf"; then
	sed -i "s|^  # read-url: \"\"|  read-url: \"${READ_URL//&/\\&}\"|" "$conf"
	check "registry.read-url names the cluster's standby first" grep -qF "  read-url: \"$READ_URL\"" "$conf"
else
	ko "this byodctl knows no registry.read-url: the RADIUS nodes read from the primary"
fi
rm -f "$BYOD_HOME"/registry.db*
check "the school is read from the cluster" test "$(echo "SELECT name FROM schools WHERE uai = '$UAI';" | sql)" = 'Collège des Calanques'

cp "$BYOD_SRC/tests/radius/school-policy.yaml" "$T/policy.yaml"
"$BYODCTL" policy apply "$T/policy.yaml" >/dev/null || die "policy apply failed"
adduser() { # LOGIN PASSWORD
	printf '%s\n' "$2" | "$BYODCTL" user add "$1" --role student --school "$UAI" \
		--name "$1 (test)" --password-stdin >/dev/null || die "user add $1 failed"
}
sed -i "s/^  limit-student: .*/  limit-student: 100/; s/^  rate-per-day: .*/  rate-per-day: 0/" "$conf"
ACCOUNTS=()
for i in 0 1 2 3; do
	adduser "eleve0$i" "Calanques-0$i!"
	ACCOUNTS+=(--account "eleve0$i:Calanques-0$i!")
done
# the second failover's enrolments (hundreds) on accounts of their own,
# below the limit of 100 devices each
ACCOUNTS2=()
for i in 0 1 2 3 4 5 6 7; do
	adduser "eleve1$i" "Calanques-1$i!"
	ACCOUNTS2+=(--account "eleve1$i:Calanques-1$i!")
done
# MAB devices (their MACs also carry the load's accounting) and EAP-TLS
# devices with their certificate and key, enrolled beforehand
MACS=()
for i in 1 2 3 4; do
	mac=02:00:00:00:bb:0$i
	"$BYODCTL" device enrol "eleve0$((i % 4))" --name "console-$i" --kind other --mac "$mac" \
		--out "$T/dev-mab-$i" --json >/dev/null || die "enrol console-$i failed"
	MACS+=(--mac "$mac")
done
enrol_eap() { # LOGIN NAME: a device and its certificate in $T/dev-NAME; prints its id
	"$BYODCTL" device enrol "$1" --name "$2" --kind laptop --out "$T/dev-$2" --json >"$T/dev-$2.json" ||
		die "enrol $2 failed"
	cp "$T/dev-$2"/*.pem "$T/$2.all.pem"
	cp "$T/dev-$2/$(json 'd["device"]' <"$T/dev-$2.json").pem" "$T/$2.pem"
	cp "$T/dev-$2/$(json 'd["device"]' <"$T/dev-$2.json").key" "$T/$2.key"
	json 'd["device"]' <"$T/dev-$2.json"
}
EAPS=()
for i in 1 2 3; do
	enrol_eap "eleve0$i" "laptop-$i" >/dev/null
	EAPS+=(--eap "eleve0$i:$T/laptop-$i.pem:$T/laptop-$i.key:02:00:00:00:cc:0$i")
done
victim=$(enrol_eap eleve00 victim)
check "nothing was written to an SQLite registry" test ! -e "$BYOD_HOME/registry.db"

# ---- the access point and the gateway -------------------------------------
DAS_SECRET=failover-das-secret-0123
python3 "$MN/nas.py" 127.0.0.1 "$DAS_SECRET" >"$T/nas.log" 2>&1 &
PIDS+=($!)
wait_for 50 grep -q listening "$T/nas.log" || die "the access point does not listen"
NAS_PORT=$(awk '/listening/ { print $2 }' "$T/nas.log")
sed -i "s/^  # secret: \"\"$/  secret: \"$DAS_SECRET\"/; s/^  nas: .*/  nas: \"127.0.0.1:$NAS_PORT\"/" "$conf"
sed -i "s/^  retries: .*/  retries: 1/" "$conf"
{ ip link add ap0 type veth peer name ap0p && ip link add reg0 type veth peer name reg0p; } ||
	die "ip link add failed"
for l in ap0 ap0p reg0 reg0p; do ip link set "$l" up; done
sed -i 's/^  mode: vlan/  mode: existing/' "$conf"
sed -i 's/^  links: .*/  links: "registration=reg0,pupils=ap0"/; s/^  admit-links: .*/  admit-links: "ap0"/' "$conf"

# ---- two RADIUS nodes, one portal --------------------------------------------
udp_ports() {
	python3 -c '
import socket
s = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(4)]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))'
}
read -r AUTH_A ACCT_A AUTH_B ACCT_B <<<"$(udp_ports)"
read -r HTTP <<<"$(free_ports 1)"
sed -i "s/^  https-port: .*/  https-port: 0/; s/^  http-port: .*/  http-port: $HTTP/" "$conf"
declare -A NODE_PID
node_config() { # NAME AUTH ACCT: a raddb of its own, its own spool
	local dir="$T/raddb-$1"
	"$BYODCTL" radius config --out "$dir" --auth-port "$2" --acct-port "$3" \
		--libdir "$RLM_BYOD_DIR:/usr/lib/freeradius" >/dev/null || die "radius config $1 failed"
	sed -i "s|^\t# spool_dir = .*|\tspool_dir = \"$T/spool-$1\"|" "$dir/mods-enabled/byod"
	grep -q "spool_dir = \"$T/spool-$1\"" "$dir/mods-enabled/byod" || die "spool_dir not set for $1"
}
node_start() { # NAME
	local dir="$T/raddb-$1"
	: >"$dir/log/radius.log"
	freeradius -f -d "$dir" -l "$dir/log/radius.log" &
	NODE_PID[$1]=$!
	PIDS+=($!)
	for _ in $(seq 150); do
		grep -q "Ready to process requests" "$dir/log/radius.log" && return 0
		kill -0 "${NODE_PID[$1]}" 2>/dev/null || die "freeradius $1 exited: $(cat "$dir/log/radius.log")"
		sleep 0.1
	done
	die "freeradius $1 did not get ready: $(cat "$dir/log/radius.log")"
}
on() { # NODE: the globals tests/radius/lib.sh's mab and eap_tls use
	RADDB="$T/raddb-$1"
	SECRET=$(cat "$RADDB/secret")
	if [ "$1" = a ]; then AUTH_PORT=$AUTH_A ACCT_PORT=$ACCT_A; else AUTH_PORT=$AUTH_B ACCT_PORT=$ACCT_B; fi
}
node_config a "$AUTH_A" "$ACCT_A"
node_config b "$AUTH_B" "$ACCT_B"
node_start a
node_start b
"$BYOD_GATEWAYD" --home "$BYOD_HOME" --school "$UAI" --verbose 2>"$T/gatewayd.log" &
GWD=$!
PIDS+=("$GWD")
check "byod-gatewayd follows the change feed" wait_for 150 grep -q 'following the change feed' "$T/gatewayd.log"
"$BYOD_PORTAL" --home "$BYOD_HOME" 2>>"$T/portal.log" &
PORTAL=$!
PIDS+=("$PORTAL")
wait_for 100 curl -s -o /dev/null "http://127.0.0.1:$HTTP/api/captive" || die "the portal did not start: $(cat "$T/portal.log")"
for n in a b; do
	check "node $n: the registry reachable" wait_for 150 sh -c \
		"'$BYODCTL' radius status --spool '$T/spool-$n' | grep -q '^registry: reachable'"
done
# eap NODE NAME [MAC]: NAME's certificate on NODE; "accept", "reject" or "none"
eap() {
	local cert="$T/$2.pem" key="$T/$2.key"
	on "$1"
	# each node's poller its own $T for eap_tls's files: two run at once
	local T="$T/eap-$1"
	if eap_tls "$2" "$cert" "$key" "${3:-02:00:00:00:dd:01}"; then
		echo accept
	elif grep -q 'Access-Reject' "$T/eap.out"; then
		echo reject
	else
		echo none
	fi
}
mkdir -p "$T/eap-a" "$T/eap-b"
for n in a b; do
	check "node $n: EAP-TLS of the victim's laptop accepted before the load" test "$(eap "$n" victim)" = accept
done

# ---- the load, the kill, the failover --------------------------------------
RUN=$(printf '%x' "$(date +%s)")
python3 "$HA/haload.py" --run "$RUN" \
	--node "a:$AUTH_A:$ACCT_A:$(cat "$T/raddb-a/secret")" \
	--node "b:$AUTH_B:$ACCT_B:$(cat "$T/raddb-b/secret")" \
	"${MACS[@]}" "${EAPS[@]}" --ca "$BYOD_HOME/pki/ca.pem" \
	--portal "$HTTP" "${ACCOUNTS[@]}" \
	--mab-rate "${HA_MAB_RATE:-20}" --eap-rate "${HA_EAP_RATE:-2}" \
	--acct-rate "${HA_ACCT_RATE:-2}" --enrol-rate "${HA_ENROL_RATE:-2}" \
	--duration 400 --stop "$T/load.stop" --log "$T/load.jsonl" --summary "$T/load.json" \
	>"$T/load.out" 2>"$T/load.err" &
LOAD=$!
PIDS+=("$LOAD")
wait_for 50 grep -qs running "$T/load.out" || die "the load did not start: $(cat "$T/load.err")"
sleep "$HA_BEFORE"
check "the load's accounting reaches the database before the kill" sh -c \
	"[ \"\$(echo \"SELECT COUNT(*) FROM sessions WHERE session_id LIKE 'ha-$RUN-%';\" | PGCONNECT_TIMEOUT=3 psql -X -A -t '$URL')\" -gt 4 ]"
t_kill=$(now_ms)
killed=$("$HAC" kill-primary "$HAD") || die "ha-cluster kill-primary failed"
echo "killed $killed at $t_kill" >&2
# the first write the cluster accepts through the writers' URL
t_write=
while [ $(($(now_ms) - t_kill)) -lt 120000 ]; do
	if PGCONNECT_TIMEOUT=1 psql -X -q -A -t -c 'SELECT txid_current()' "$URL" >/dev/null 2>&1; then
		t_write=$(now_ms)
		break
	fi
	sleep 0.1
done
[ -n "$t_write" ] || die "no primary accepted a write within 120 s of the kill"
new=$("$HAC" primary "$HAD") || die "ha-cluster primary: none after the failover"
echo "new primary $new, a write accepted $((t_write - t_kill)) ms after the kill" >&2
check "the new primary is the other node ($killed -> $new)" test "$new" != "$killed"
sleep "$HA_AFTER"
touch "$T/load.stop"
check "the load ends" wait_for 300 test -s "$T/load.json"
wait "$LOAD" 2>/dev/null
cat "$T/load.out" >&2

# ---- every RADIUS request answered --------------------------------------------
# s KIND FIELD: a count of the load's summary
s() { json "d.get('$1', {}).get('$2', 0)" <"$T/load.json"; }
for k in mab eap acct; do
	check "$k: requests sent ($(s "$k" sent))" test "$(s "$k" sent)" -gt 0
	check "$k: every request answered ($(s "$k" answered) of $(s "$k" sent))" test "$(s "$k" answered)" = "$(s "$k" sent)"
	check "$k: every answer an accept/acknowledgement ($(s "$k" accepted) of $(s "$k" sent))" \
		test "$(s "$k" accepted)" = "$(s "$k" sent)"
	check "$k: no tick skipped for want of an answer ($(s "$k" skipped))" test "$(s "$k" skipped)" = 0
done
# what was not answered or accepted, for whoever reads a failure
python3 - "$T/load.jsonl" <<'PY' >&2
import json, sys
bad = [r for r in map(json.loads, open(sys.argv[1])) if r["kind"] != "enrol" and r["outcome"] not in ("accept", "ack")]
for r in bad[:10]:
    print("not accepted:", json.dumps(r, sort_keys=True))
PY
mab_vlans=$(python3 -c '
import json, sys
print(" ".join(sorted({r.get("vlan", "-") for r in map(json.loads, open(sys.argv[1])) if r["kind"] == "mab"})))' "$T/load.jsonl")
check "MAB: every accept in the pupils VLAN ($mab_vlans)" test "$mab_vlans" = 20

# ---- the portal: 503 only during the failover, enrolling again after -------------
read -r n503 _ last503 bad503 errors ok_after <<<"$(python3 - "$T/load.jsonl" "$t_kill" "$t_write" "$HA_MARGIN" <<'PY'
import json, sys
recs = [r for r in map(json.loads, open(sys.argv[1])) if r["kind"] == "enrol"]
kill, write, margin = int(sys.argv[2]) / 1000, int(sys.argv[3]) / 1000, float(sys.argv[4])
u = [r["answered"] for r in recs if r["outcome"] == "unavailable"]
bad = [t for t in u if t < kill or t > write + margin]
err = [r for r in recs if r["outcome"] == "error"]
after = [r for r in recs if r["outcome"] == "ok" and r["sent"] > write]
for r in err[:5]:
    print("enrolment error:", json.dumps(r, sort_keys=True), file=sys.stderr)
print(len(u), "%.3f" % min(u) if u else "-", "%.3f" % max(u) if u else "-", len(bad), len(err), len(after))
PY
)"
check "the portal's 503 only between the kill and the failover's end + ${HA_MARGIN} s ($bad503 of $n503 outside)" test "$bad503" = 0
check "the portal answered no other error ($errors)" test "$errors" = 0
check "the portal enrolled again after the failover ($ok_after enrolments)" test "$ok_after" -gt 0
if [ "$n503" -gt 0 ]; then
	unavail=$(python3 -c "print('%.2f' % ($last503 - $t_kill / 1000))")
else
	unavail=0
fi

# ---- the database against what the load was told ---------------------------------
for n in a b; do
	check "node $n's accounting journal replayed" wait_for 1200 sh -c \
		"[ \"\$('$BYODCTL' radius status --spool '$T/spool-$n' --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"accounting-spooled\"])')\" = 0 ]"
done
# accounting: each session whose packets were acknowledged once, with the
# counters and state of its last acknowledged packet
python3 - "$T/load.jsonl" <<'PY' | sort >"$T/want-acct.txt"
import json, sys
last = {}
for r in map(json.loads, open(sys.argv[1])):
    if r["kind"] == "acct" and r["outcome"] == "ack":
        last[r["session"]] = r
for s, r in last.items():
    print("%s|1|%d|%d|%s" % (s, r["in"], r["out"], "closed" if r["status"] == "Stop" else "open"))
PY
echo "SELECT session_id, COUNT(*), MAX(in_octets), MAX(out_octets), MAX(state) FROM sessions WHERE session_id LIKE 'ha-$RUN-%' GROUP BY session_id;" |
	sql | sort >"$T/got-acct.txt"
acct_sessions=$(wc -l <"$T/want-acct.txt")
acct_rows=$(echo "SELECT COUNT(*) FROM sessions WHERE session_id LIKE 'ha-$RUN-%';" | sql)
check "every acknowledged accounting session in the database once, with its last acknowledged counters ($acct_sessions sessions, $acct_rows rows; diff: $(diff "$T/want-acct.txt" "$T/got-acct.txt" | head -5 | tr '\n' ' '))" \
	cmp -s "$T/want-acct.txt" "$T/got-acct.txt"
check "...no session doubled ($acct_rows rows for $acct_sessions sessions)" test "$acct_rows" = "$acct_sessions"
# enrol_compare LOG RUN: the enrolments of LOG against the certificates of
# the devices named ha-RUN-*: "ok refused missing wrong dangling
# refused-at-the-form enrol-ms-p50"
enrol_compare() {
	echo "SELECT d.name, c.serial, c.state, d.state FROM devices d JOIN certificates c ON c.device = d.id WHERE d.name LIKE 'ha-$2-%';" |
		sql >"$T/got-certs-$2.txt"
	python3 - "$1" "$T/got-certs-$2.txt" <<'PY'
import json, sys
recs = [r for r in map(json.loads, open(sys.argv[1])) if r["kind"] == "enrol"]
rows = {}
for line in open(sys.argv[2]):
    name, serial, state, dstate = line.rstrip("\n").split("|")
    rows[serial] = (name, state, dstate)
ok = [r for r in recs if r["outcome"] == "ok"]
# refused: the enrol form itself not answered 200 (a failure at the
# download comes after the enrolment was committed and shown)
refused = [r for r in recs if r["outcome"] != "ok" and r.get("step") in ("start", "login", "form", "enrol")]
missing = [r for r in ok if r["serial"] not in rows]
wrong = [r for r in ok if r["serial"] in rows and (rows[r["serial"]][0] != r["name"] or rows[r["serial"]][1:] != ("valid", "active"))]
names = {r["name"] for r in refused}
dangling = sorted(s for s, v in rows.items() if v[0] in names and v[1] == "valid")
for r in missing[:5]:
    print("handed out, no row:", json.dumps(r, sort_keys=True), file=sys.stderr)
for r in wrong[:5]:
    print("handed out, row not valid:", json.dumps(r, sort_keys=True), rows[r["serial"]], file=sys.stderr)
for s in dangling[:5]:
    print("refused, valid row:", s, rows[s], file=sys.stderr)
post = sorted(r["enrolled"] - r["form_sent"] for r in ok)
print(len(ok), len(refused), len(missing), len(wrong), len(dangling),
      len([r for r in refused if r["step"] == "enrol"]),
      "%.0f" % (post[len(post) // 2] * 1000) if post else "-")
PY
}
# enrolments: what the load was told against the certificates
read -r enrol_ok enrol_refused missing wrong dangling in_flight enrol_ms <<<"$(enrol_compare "$T/load.jsonl" "$RUN")"
check "every certificate handed out is a row ($missing of $enrol_ok missing)" test "$missing" = 0
check "...valid, of its active device ($wrong of $enrol_ok not)" test "$wrong" = 0
check "no valid certificate for an enrolment the portal refused ($dangling of $enrol_refused)" test "$dangling" = 0

# ---- the lost machine back, as a standby -------------------------------------------
if [ "${HA_REJOIN:-1}" = 1 ]; then
	t=$(now_ms)
	"$HAC" start-node "$HAD" "$killed" >"$T/rejoin.log" 2>&1
	rc=$?
	check "$killed started again ($(tail -1 "$T/rejoin.log"))" test "$rc" = 0
	check "...and streams from $new as a standby" wait_for 600 sh -c \
		"echo \"SELECT COUNT(*) FROM pg_stat_replication WHERE state = 'streaming';\" | PGCONNECT_TIMEOUT=3 psql -X -A -t '$URL' | grep -qx 1"
	rejoin_s=$(python3 -c "print('%.1f' % (($(now_ms) - $t) / 1000))")
	"$HAC" status "$HAD" >&2
fi

# ---- a revocation after the failover, on both nodes ---------------------------
for n in a b; do
	check "node $n: the victim's laptop accepted after the failover" test "$(eap "$n" victim)" = accept
done
# an open session of it, which the gateway must disconnect
on a
printf 'Acct-Status-Type = Start\nAcct-Session-Id = "ha-victim-1"\nNAS-IP-Address = 127.0.0.1\nNAS-Identifier = "ap-1"\nCalling-Station-Id = "02-00-00-00-DD-01"\nFramed-IP-Address = 10.20.0.7\n' |
	radclient -x -r 3 -t 2 "127.0.0.1:$ACCT_PORT" acct "$SECRET" >"$T/acct.out" 2>&1
check "accounting Start of the victim's laptop acknowledged" grep -q "Accounting-Response" "$T/acct.out"
check "...its session open in the database" wait_for 50 sh -c \
	"[ \"\$(echo \"SELECT state FROM sessions WHERE session_id = 'ha-victim-1';\" | PGCONNECT_TIMEOUT=3 psql -X -A -t '$URL')\" = open ]"
# refused_within T0 NODE: polls EAP-TLS every 50 ms from T0 until "reject"
# (at most 5 s); prints the milliseconds it took, or "never: LAST"
refused_within() {
	local t0=$1 got=
	while [ $(($(now_ms) - t0)) -lt 5000 ]; do
		got=$(eap "$2" victim)
		[ "$got" = reject ] && { echo $(($(now_ms) - t0)); return; }
		sleep 0.05
	done
	echo "never: $got"
}
"$BYODCTL" device revoke "$victim" --reason lost >"$T/revoke.out" 2>&1 || die "device revoke failed: $(cat "$T/revoke.out")"
t0=$(now_ms)
refused_within "$t0" a >"$T/revoked-a" &
pa=$!
refused_within "$t0" b >"$T/revoked-b" &
pb=$!
wait "$pa" "$pb"
declare -A REVOKED
for n in a b; do
	REVOKED[$n]=$(cat "$T/revoked-$n")
	ms=${REVOKED[$n]}
	check "EAP-TLS of the revoked laptop refused by node $n within 1 s (after $ms ms)" \
		sh -c "[ '${ms%%:*}' != never ] && [ '$ms' -lt 1000 ]"
done
check "...because its certificate is revoked" grep -Eq "Value: 'certificate [0-9a-f]+ is revoked'" "$T/eap-a/eap.out"
check "the gateway, following the new primary, sent the Disconnect-Request of its session" \
	wait_for 100 grep -q '^disconnect ha-victim-1 02-00-00-00-DD-01 authenticator=ok' "$T/nas.log"

# each node's index at the feed's head: nothing skipped across the failover
head=$(echo "SELECT MAX(seq) FROM events;" | sql)
declare -A LOADS RESUMES
for n in a b; do
	check "node $n's index at the change feed's head ($head)" wait_for 200 sh -c \
		"[ \"\$('$BYODCTL' radius status --spool '$T/spool-$n' --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"feed-seq\"])')\" = '$head' ]"
	"$BYODCTL" radius status --spool "$T/spool-$n" --json >"$T/status-$n.json"
	LOADS[$n]=$(json 'd.get("index-full-loads", "-")' <"$T/status-$n.json")
	RESUMES[$n]=$(json 'd.get("index-resumes", "-")' <"$T/status-$n.json")
done
# ---- a second failover under enrolments only ---------------------------------
# eight at a time, so that the kill falls inside enrolments (their commit
# among them): each either handed out with its row or refused without one
if [ "${HA_REJOIN:-1}" = 1 ]; then
	python3 "$HA/haload.py" --run "${RUN}e" --portal "$HTTP" "${ACCOUNTS2[@]}" \
		--enrol-rate 40 --inflight 8 --duration 200 --stop "$T/load2.stop" \
		--log "$T/load2.jsonl" --summary "$T/load2.json" >"$T/load2.out" 2>"$T/load2.err" &
	LOAD2=$!
	PIDS+=("$LOAD2")
	sleep 5
	t_kill2=$(now_ms)
	killed2=$("$HAC" kill-primary "$HAD") || die "ha-cluster kill-primary (second) failed"
	t_write2=
	while [ $(($(now_ms) - t_kill2)) -lt 120000 ]; do
		if PGCONNECT_TIMEOUT=1 psql -X -q -A -t -c 'SELECT txid_current()' "$URL" >/dev/null 2>&1; then
			t_write2=$(now_ms)
			break
		fi
		sleep 0.1
	done
	check "a second failover ($killed2 killed): a write accepted again" test -n "$t_write2"
	sleep 10
	touch "$T/load2.stop"
	check "the enrolment load ends" wait_for 600 test -s "$T/load2.json"
	wait "$LOAD2" 2>/dev/null
	cat "$T/load2.out" >&2
	read -r ok2 refused2 missing2 wrong2 dangling2 in_flight2 _ <<<"$(enrol_compare "$T/load2.jsonl" "${RUN}e")"
	errors2=$(json 'd.get("enrol", {}).get("error", 0)' <"$T/load2.json")
	check "second failover: every certificate handed out a valid row ($missing2 missing, $wrong2 not valid, of $ok2)" \
		test "$missing2$wrong2" = 00
	check "...none for an enrolment refused ($dangling2 of $refused2, $in_flight2 of them at the form)" test "$dangling2" = 0
	check "...the portal answered no other error than 503 ($errors2)" test "$errors2" = 0
	check "...and enrolled after it ($ok2 in all)" sh -c "[ '$ok2' -gt 0 ]"
	# the index read from the node killed this time: it connected again
	# and followed the new primary's feed to its head
	head2=$(echo "SELECT MAX(seq) FROM events;" | sql)
	declare -A LOADS2 RESUMES2
	for n in a b; do
		check "second failover: node $n's index at the change feed's head ($head2)" wait_for 300 sh -c \
			"[ \"\$('$BYODCTL' radius status --spool '$T/spool-$n' --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"feed-seq\"])')\" = '$head2' ]"
		"$BYODCTL" radius status --spool "$T/spool-$n" --json >"$T/status2-$n.json"
		LOADS2[$n]=$(json 'd.get("index-full-loads", "-")' <"$T/status2-$n.json")
		RESUMES2[$n]=$(json 'd.get("index-resumes", "-")' <"$T/status2-$n.json")
	done
	python3 - "$T/load2.jsonl" <<'PY' >&2
import json, sys
for r in [r for r in map(json.loads, open(sys.argv[1])) if r["outcome"] == "error"][:5]:
    print("enrolment error:", json.dumps(r, sort_keys=True))
PY
fi

for n in a b; do
	check "freeradius $n ran throughout" kill -0 "${NODE_PID[$n]}"
done
check "byod-gatewayd ran throughout" kill -0 "$GWD"
check "the portal ran throughout" kill -0 "$PORTAL"

# ---- the figures -----------------------------------------------------------------
radius_sent=$(($(s mab sent) + $(s eap sent) + $(s acct sent)))
radius_answered=$(($(s mab answered) + $(s eap answered) + $(s acct answered)))
figure ha_sync "$HA_SYNC"
figure failover_seconds "$(python3 -c "print('%.2f' % (($t_write - $t_kill) / 1000))")"
figure portal_unavailable_seconds "$unavail"
figure portal_503_answers "$n503"
figure radius_requests "$radius_sent"
figure radius_answered "$radius_answered"
figure mab_sent "$(s mab sent)"
figure eap_sent "$(s eap sent)"
figure accounting_sent "$(s acct sent)"
figure accounting_acked "$(s acct answered)"
figure accounting_sessions "$acct_sessions"
figure accounting_rows "$acct_rows"
figure mab_max_ms "$(s mab max_ms)"
figure eap_max_ms "$(s eap max_ms)"
figure accounting_max_ms "$(s acct max_ms)"
figure radius_retried "$(($(s mab retried) + $(s eap retried) + $(s acct retried)))"
figure enrolments_ok "$enrol_ok"
figure enrolments_refused "$enrol_refused"
figure enrolments_refused_at_the_form "$in_flight"
figure enrolment_ms_p50 "$enrol_ms"
figure accounting_journalled "$(cat "$T"/raddb-[ab]/log/radius.log | sed -n 's/.*accounting journal replayed into the registry (\([0-9]*\) records.*/\1/p' | awk '{ n += $1 } END { print n + 0 }')"
figure revocation_ms_a "${REVOKED[a]}"
figure revocation_ms_b "${REVOKED[b]}"
[ -z "${rejoin_s:-}" ] || figure rejoin_seconds "$rejoin_s"
if [ -n "${ok2:-}" ]; then
	figure failover2_seconds "$(python3 -c "print('%.2f' % ((${t_write2:-0} - $t_kill2) / 1000))")"
	figure failover2_enrolments_ok "$ok2"
	figure failover2_enrolments_refused "$refused2"
	figure failover2_enrolments_refused_at_the_form "$in_flight2"
fi
for n in a b; do
	figure "index_full_loads_$n" "${LOADS[$n]}"
	figure "index_resumes_$n" "${RESUMES[$n]}"
done
if [ -n "${ok2:-}" ]; then
	for n in a b; do
		figure "failover2_index_full_loads_$n" "${LOADS2[$n]}"
		figure "failover2_index_resumes_$n" "${RESUMES2[$n]}"
	done
fi

if [ "$failed" -ne 0 ]; then
	for f in gatewayd.log portal.log load.err ha-start.log; do
		echo "--- $f" >&2
		tail -20 "$T/$f" >&2
	done
	for n in a b; do
		echo "--- node $n" >&2
		grep -E 'rlm_byod|Error' "$T/raddb-$n/log/radius.log" | tail -20 >&2
	done
fi
finish
