# SPDX-License-Identifier: GPL-2.0-or-later
# Revocation latency: from `byodctl device revoke` returning to (a) the
# first refused authentication of the revoked certificate and (b) the
# Disconnect-ACK that byod-gatewayd receives from the access point, over
# 100 trials (4 with --smoke): p50, p99, max.
#
# The lab is the one of tests/firewall/revoke.sh, in a network namespace of
# its own: FreeRADIUS with rlm_byod, hostapd (driver=wired, its RFC 5176
# DAS on loopback), byod-gatewayd following the change feed, and a client
# namespace whose wpa_supplicant -D wired does EAP-TLS through hostapd.
# Each trial: a device of its own (enrolled before the trials), a new MAC
# on the client's port (hostapd deauthenticates a disconnected station
# again 5 s later, whatever it did since, and wpa_supplicant is restarted
# rather than waiting out its hold-off), authentication through hostapd
# until the gateway has admitted the MAC (accounting Start reached the
# registry and the gateway), a random wait of 0 to 200 ms (the longer of
# the two poll periods: the revocation falls at any phase of the module's
# and the gateway's polls, not just after the gateway's, when admission is
# seen), then `byodctl device revoke`. The clock origin is the moment that
# command returns (bash's EPOCHREALTIME).
#  (a) eapol_test with the device's certificate, straight to FreeRADIUS,
#      again and again until an Access-Reject comes: the end of that
#      attempt. Baseline: one such attempt with a certificate revoked
#      before the trials (the duration of one refused authentication).
#  (b) the gateway's log line "… (MAC at NAS, …): Disconnect-ACK in N ms",
#      stamped with CLOCK_REALTIME to the millisecond when the ACK had
#      been read. Baseline: `byodctl session disconnect ID` on an open
#      session, timed from start to return, so the ratio says what the
#      change feed costs.
# Every daemon serves both the trials and the baselines, up side by side;
# ROUNDS rounds alternate a run of PER_ROUND trials with a run of the
# baselines (PER_ROUND refused authentications, DISC session disconnects),
# the order reversed every other round (lib.sh alternate), and each round's
# p50 is set against its baselines' p50 of the same round: the ratio is
# the median of those ratios, with their range (figure_runs).
# Both clocks are the same CLOCK_REALTIME; the log's milliseconds are
# truncated, so (b) reads up to 1 ms early. (a) is only as fine as one
# attempt (its baseline); (b) is measured while (a) keeps a core busy,
# as it would be with a revoked device retrying.
if [ -z "${BYOD_BENCH_NS:-}" ]; then
	exec unshare -n env BYOD_BENCH_NS=1 bash "$0" "$@"
fi
ip link set lo up
. "$BYOD_SRC/tests/cli/lib.sh"
. "$BYOD_SRC/tests/radius/lib.sh"
# cli/lib.sh made a temp dir of its own: the benchmark's is bench_init's
rm -rf "$T"
. "$BYOD_SRC/bench/lib.sh"
bench_init revoke "$@"
export BYOD_HOME="$T/home"
export LC_ALL=C
: "${BYOD_GATEWAYD:?BYOD_GATEWAYD must name the byod-gatewayd binary}"

# ROUNDS alternated rounds, each of PER_ROUND trials and, beside them,
# PER_ROUND refused authentications of a long-revoked certificate and DISC
# session disconnects (the baselines)
if [ "$SMOKE" = 1 ]; then
	ROUNDS=2 PER_ROUND=2 DISC=1
else
	ROUNDS=5 PER_ROUND=20 DISC=4
fi
TRIALS=$((ROUNDS * PER_ROUND))
REVOKED=$((TRIALS + 1)) # the device revoked before the trials: the refusals' baseline

P="br$$"
STA="$P-sta"
RADIUS_PID= HOSTAPD_PID= GWD_PID= WPA_PID=
bench_stop() {
	local p
	for p in $WPA_PID $GWD_PID $HOSTAPD_PID $RADIUS_PID; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	WPA_PID= GWD_PID= HOSTAPD_PID= RADIUS_PID=
	ip netns del "$STA" 2>/dev/null
}
trap 'exit 1' INT TERM
die() {
	echo "revoke: $*" >&2
	for f in gatewayd.log hostapd.log wpa.log; do
		[ -s "$T/$f" ] && { echo "--- $f" && tail -15 "$T/$f"; } >&2
	done
	exit 1
}
# now_us: CLOCK_REALTIME in microseconds, without a fork
now_us() { local t=$EPOCHREALTIME; echo $((10#${t/./})); }

init_school
cat >"$T/policy.yaml" <<'POLICY'
segments:
  registration: { vlan: 10, subnet: 10.10.0.0/22, allow: [portal, dns, dhcp] }
  pupils: { vlan: 20, subnet: 10.20.0.0/16, allow: [ent, dns, dhcp] }
services:
  portal: { to: [10.0.0.2], ports: [tcp/80, tcp/443] }
  ent: { to: [10.0.6.10], ports: [tcp/443] }
rules:
  - name: unknown devices register
    match: { state: unknown }
    segment: registration
  - name: pupils
    match: { role: student }
    segment: pupils
default: registration
POLICY
"$BYODCTL" policy apply "$T/policy.yaml" >/dev/null || die "policy apply failed"
"$BYODCTL" user add lea --role student --school 0131234W --group 4B >/dev/null ||
	die "user add failed"

# the devices: 0 for the baseline disconnects, 1..TRIALS revoked one a
# trial, REVOKED revoked now, for the baseline refusals
mkdir -p "$T/dev"
for i in $(seq 0 "$REVOKED"); do
	"$BYODCTL" device enrol lea --name "phone-$i" --kind phone --force --out "$T/dev" --json \
		>"$T/dev/$i.json" || die "enrol $i failed"
	# sed, not json: a python3 per device costs seconds (pyenv shims)
	DEV[i]=$(sed -n 's/^ *"device": "\([^"]*\)".*/\1/p' "$T/dev/$i.json")
	[ -n "${DEV[i]}" ] || die "enrol $i: no device in $(cat "$T/dev/$i.json")"
	cat >"$T/dev/$i.net" <<EOC
network={
	key_mgmt=IEEE8021X
	eap=TLS
	identity="lea"
	ca_cert="$BYOD_HOME/pki/ca.pem"
	client_cert="$T/dev/${DEV[i]}.pem"
	private_key="$T/dev/${DEV[i]}.key"
	domain_match="radius.byod.lan"
	eapol_flags=0
}
EOC
	printf 'ctrl_interface=%s\nap_scan=0\n' "$T/wctrl" | cat - "$T/dev/$i.net" >"$T/dev/$i.sta"
done

"$BYODCTL" device revoke "${DEV[REVOKED]}" --reason key-compromise >/dev/null ||
	die "device revoke ${DEV[REVOKED]} failed"

radius_setup
printf '%s\n' "$SECRET" >"$T/secret"
POLL_MS=$(awk '$1 == "poll_interval" { print $3 }' "$RADDB/mods-enabled/byod")
conf="$BYOD_HOME/byod.conf"
sed -i 's/^  mode: vlan/  mode: existing/' "$conf"
sed -i 's/^  links: .*/  links: "registration=reg0,pupils=ap0"/' "$conf"
sed -i 's/^  admit-links: .*/  admit-links: "ap0"/' "$conf"
sed -i "s/^  # secret: \"\"$/  secret: \"$SECRET\"/" "$conf"
grep -q "secret: \"$SECRET\"" "$conf" || die "das.secret not set in $conf"
GW_POLL_MS=$(awk '$1 == "poll-ms:" { print $2 }' "$conf")
JITTER_MS=$((${POLL_MS:-200} > ${GW_POLL_MS:-100} ? ${POLL_MS:-200} : ${GW_POLL_MS:-100}))

# the wired port (ap0) to the client namespace (sta0)
ip netns add "$STA" || die "ip netns add failed"
ip link add ap0 type veth peer name sta0 || die "ip link add failed"
ip link set sta0 netns "$STA"
ip link set ap0 up
ip -n "$STA" link set lo up
ip -n "$STA" link set sta0 up

: >"$RADDB/log/radius.log"
freeradius -f -d "$RADDB" -l "$RADDB/log/radius.log" &
RADIUS_PID=$!
"$BYODCTL" hostapd config --wired --interface ap0 --auth-port "$AUTH_PORT" \
	--acct-port "$ACCT_PORT" --secret-file "$T/secret" --out "$T/hostapd.conf" >/dev/null ||
	die "hostapd config failed"
sed -i "s|^ctrl_interface=.*|ctrl_interface=$T/hctrl|" "$T/hostapd.conf"
hostapd "$T/hostapd.conf" >"$T/hostapd.log" 2>&1 &
HOSTAPD_PID=$!
"$BYOD_GATEWAYD" --home "$BYOD_HOME" 2>"$T/gatewayd.log" &
GWD_PID=$!
radius_ready() { grep -q "Ready to process requests" "$RADDB/log/radius.log" 2>/dev/null; }
hostapd_ready() { [ "$(hostapd_cli -p "$T/hctrl" -i ap0 ping 2>/dev/null)" = PONG ]; }
gateway_ready() { grep -q 'following the change feed' "$T/gatewayd.log"; }
wait_for 100 radius_ready || die "freeradius did not get ready: $(tail -5 "$RADDB/log/radius.log")"
wait_for 50 hostapd_ready || die "hostapd did not start"
wait_for 50 gateway_ready || die "byod-gatewayd did not start"

# connect I MAC: wpa_supplicant with device I's certificate behind MAC,
# until the gateway has admitted the MAC (accounting Start went through
# FreeRADIUS and rlm_byod into the registry, the gateway followed it)
admitted() {
	nft list map inet byod admitted 2>/dev/null >"$T/map.txt"
	grep -q "$1 : jump seg_pupils" "$T/map.txt"
}
connect() {
	local i=$1 mac=$2
	if [ -n "$WPA_PID" ]; then
		kill "$WPA_PID" 2>/dev/null && wait "$WPA_PID" 2>/dev/null
		WPA_PID=
	fi
	ip -n "$STA" link set sta0 address "$mac" || return 1
	ip netns exec "$STA" wpa_supplicant -D wired -i sta0 -c "$T/dev/$i.sta" >"$T/wpa.log" 2>&1 &
	WPA_PID=$!
	# a wired supplicant waits 2 s for the authenticator before its
	# EAPOL-Start: once it listens, hostapd is told to start instead
	for _ in $(seq 200); do
		grep -q 'Associated with' "$T/wpa.log" && break
		sleep 0.01
	done
	hostapd_cli -p "$T/hctrl" -i ap0 new_sta "$mac" >/dev/null
	for _ in $(seq 500); do
		admitted "$mac" && return 0
		sleep 0.01
	done
	return 1
}
# refused I MAC: one eapol_test with device I's certificate; 0 on an
# Access-Reject (the EAP-Failure of a refused device)
refused() {
	eapol_test -c "$T/dev/$1.net" -a 127.0.0.1 -p "$AUTH_PORT" -s "$SECRET" -M "$2" -t 5 \
		>"$T/eap.out" 2>&1
	grep -q 'Access-Reject' "$T/eap.out"
}
# acked: the gateway logged the Disconnect-ACK for $mac
acked() { grep -q "($mac at .*): Disconnect-ACK in" "$T/gatewayd.log"; }
mac_of() { printf '02:00:00:%02x:%02x:%02x' $((($1 >> 16) & 255)) $((($1 >> 8) & 255)) $(($1 & 255)); }

for f in refused.us base_refused.us base_disconnect.us das.ms trials.tsv; do : >"$T/$f"; done
for f in refused base_refused base_disconnect; do : >"$T/round_$f.ms"; done
nmac=0
failures=0
# us_to_ms IN OUT: the numbers of IN (µs) in ms, one a line
us_to_ms() { awk '{ printf "%.3f\n", $1 / 1000 }' "$1" >"$2"; }
# round_p50 NAME ROUND: the p50 of ROUND's samples of NAME (ms) into
# round_NAME.ms, one line a round in the order of the rounds
round_p50() {
	[ -s "$T/$1.$2.us" ] || die "round $2: no sample of $1"
	us_to_ms "$T/$1.$2.us" "$T/$1.$2.ms"
	read -r p _ _ <<<"$(pct "$T/$1.$2.ms")"
	echo "$p" >>"$T/round_$1.ms"
	cat "$T/$1.$2.us" >>"$T/$1.us"
}

# base_run ROUND: the baselines, under the same daemons: DISC times
# byodctl session disconnect on an open session (device 0 behind a new
# MAC), and PER_ROUND refused authentications of the long-revoked certificate
base_run() {
	local r=$1 k mac sid t1 t2
	: >"$T/base_disconnect.$r.us"
	: >"$T/base_refused.$r.us"
	for k in $(seq "$DISC"); do
		nmac=$((nmac + 1))
		mac=$(mac_of $nmac)
		if ! connect 0 "$mac"; then
			echo "round $r, baseline $k: $mac not admitted within 5 s" >&2
			failures=$((failures + 1))
			continue
		fi
		"$BYODCTL" session list >"$T/sessions.txt"
		sid=$(awk -v m="$mac" '$2 == "open" && $3 == m { print $1 }' "$T/sessions.txt")
		t1=$(now_us)
		"$BYODCTL" session disconnect "$sid" >"$T/disc.out" 2>&1
		t2=$(now_us)
		if grep -q '^Disconnect-ACK' "$T/disc.out"; then
			echo $((t2 - t1)) >>"$T/base_disconnect.$r.us"
			sed -n 's/^Disconnect-ACK from .* in \([0-9]*\) ms.*/\1/p' "$T/disc.out" >>"$T/das.ms"
		else
			echo "round $r, baseline $k: $(cat "$T/disc.out")" >&2
			failures=$((failures + 1))
		fi
	done
	for k in $(seq "$PER_ROUND"); do
		t1=$(now_us)
		refused "$REVOKED" 02:00:01:00:00:00 ||
			die "the certificate revoked before the trials authenticated: $(tail -3 "$T/eap.out")"
		t2=$(now_us)
		echo $((t2 - t1)) >>"$T/base_refused.$r.us"
	done
	round_p50 base_disconnect "$r"
	round_p50 base_refused "$r"
	echo "round $r, baselines: one refused authentication" \
		"$(tail -1 "$T/round_base_refused.ms") ms, byodctl session disconnect" \
		"$(tail -1 "$T/round_base_disconnect.ms") ms (p50)"
}

# trial_run ROUND: PER_ROUND trials, each revoking a device of its own
trial_run() {
	local r=$1 k i mac ms t0 t_ref
	: >"$T/refused.$r.us"
	for k in $(seq "$PER_ROUND"); do
		i=$(((r - 1) * PER_ROUND + k))
		nmac=$((nmac + 1))
		mac=$(mac_of $nmac)
		if ! connect "$i" "$mac"; then
			echo "trial $i: $mac not admitted within 5 s" >&2
			failures=$((failures + 1))
			continue
		fi
		# admission is seen just after one of the gateway's polls: a random
		# wait unlocks the revocation from both pollers' phase
		ms=$((RANDOM % JITTER_MS))
		sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
		"$BYODCTL" device revoke "${DEV[i]}" --reason key-compromise >/dev/null 2>"$T/revoke.err" ||
			die "device revoke: $(cat "$T/revoke.err")"
		t0=$(now_us)
		# (a) until the first refused authentication (bounded: 5 s)
		t_ref=
		while [ $(($(now_us) - t0)) -lt 5000000 ]; do
			if refused "$i" "$mac"; then
				t_ref=$(($(now_us) - t0))
				break
			fi
		done
		if [ -z "$t_ref" ]; then
			echo "trial $i: the revoked certificate was not refused within 5 s" >&2
			failures=$((failures + 1))
			continue
		fi
		echo "$t_ref" >>"$T/refused.$r.us"
		# (b) the gateway's Disconnect-ACK, read from its log (bounded: 5 s)
		if ! wait_for 50 acked; then
			echo "trial $i: no Disconnect-ACK for $mac within 5 s" >&2
			failures=$((failures + 1))
			continue
		fi
		printf '%s\t%s\t%s\n' "$mac" "$t0" "$r" >>"$T/trials.tsv"
	done
	round_p50 refused "$r"
	echo "round $r, trials: refused after $(tail -1 "$T/round_refused.ms") ms (p50)"
}
run() { "$1_run" "$2"; }

t_start=$(now_us)
alternate "$ROUNDS" run trial base
t_end=$(now_us)
if [ -n "$WPA_PID" ]; then
	kill "$WPA_PID" 2>/dev/null && wait "$WPA_PID" 2>/dev/null
	WPA_PID=
fi

# the ACK times: the log line's CLOCK_REALTIME (ms) minus the trial's
# origin, every trial's in ack.ms, each round's p50 in round_ack.ms
"$BENCH_PY" - "$T/gatewayd.log" "$T/trials.tsv" "$T/round_ack.ms" >"$T/ack.ms" 2>"$T/early" <<'PY' || die "cannot read the gateway's log: $(cat "$T/early")"
import calendar, math, re, sys, time
log, trials, rounds_out = sys.argv[1:]
when = {}
pat = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{3})Z .*\((\S+) at [^)]*\): Disconnect-ACK in")
for line in open(log):
    m = pat.match(line)
    if m:
        t = calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S"))
        when.setdefault(m.group(3), t * 1000 + int(m.group(2)))
early = 0
rounds = {}
for line in open(trials):
    mac, t0, r = line.split()
    ms = when[mac] - int(t0) / 1000
    # the gateway may act before byodctl has even exited (a slow build, a
    # busy machine): the device was off the network when the admin got
    # the prompt back, 0 ms from that moment
    if ms < 0:
        early += 1
        ms = 0
    print(f"{ms:.3f}")
    rounds.setdefault(int(r), []).append(ms)
with open(rounds_out, "w") as f:
    for r in sorted(rounds):
        v = sorted(rounds[r])  # the p50 as lib.sh's pct takes it
        f.write(f"{v[max(0, math.ceil(0.5 * len(v)) - 1)]:.3f}\n")
print(early, file=sys.stderr)
PY
[ "$(wc -l <"$T/round_ack.ms")" = "$ROUNDS" ] || die "a round without any Disconnect-ACK"
us_to_ms "$T/refused.us" "$T/refused.ms"
us_to_ms "$T/base_refused.us" "$T/base_refused.ms"
us_to_ms "$T/base_disconnect.us" "$T/base_disconnect.ms"
n=$(wc -l <"$T/ack.ms")
for f in ack refused base_refused base_disconnect das; do
	[ -s "$T/$f.ms" ] || die "no sample of $f: no trial completed"
done

REFUSED="rlm_byod following the change feed (woken by the commit)"
BASE_REFUSED="one refused authentication, the certificate revoked before"
ACKED="byod-gatewayd following the change feed (every ${GW_POLL_MS:-?} ms)"
BASE_ACKED="byodctl session disconnect, start to return"
read -r r50 r99 rmax <<<"$(pct "$T/refused.ms")"
read -r a50 a99 amax <<<"$(pct "$T/ack.ms")"
read -r das50 _ _ <<<"$(pct "$T/das.ms")"
figure trials "$n" trials
figure --config "$REFUSED" revoke_to_refused_ms_p50 "$r50" ms
figure --config "$REFUSED" revoke_to_refused_ms_p99 "$r99" ms
figure --config "$REFUSED" revoke_to_refused_ms_max "$rmax" ms
figure_runs --config "$REFUSED" revoke_to_refused_round_ms_p50 "ms, p50 of a round" \
	"$T/round_refused.ms" "$BASE_REFUSED" "$T/round_base_refused.ms"
figure --config "$ACKED" revoke_to_disconnect_ack_ms_p50 "$a50" ms
figure --config "$ACKED" revoke_to_disconnect_ack_ms_p99 "$a99" ms
figure --config "$ACKED" revoke_to_disconnect_ack_ms_max "$amax" ms
figure_runs --config "$ACKED" revoke_to_disconnect_ack_round_ms_p50 "ms, p50 of a round" \
	"$T/round_ack.ms" "$BASE_ACKED" "$T/round_base_disconnect.ms"
note "Clock origin: byodctl device revoke returning; refused = end of the first eapol_test" \
	"(EAP-TLS straight to FreeRADIUS, rlm_byod's follower woken by the commit: SQLite's WAL file watched) that got an" \
	"Access-Reject, tried back to back; Disconnect-ACK = byod-gatewayd's CLOCK_REALTIME log" \
	"stamp (ms) of hostapd's (driver=wired, DAS on loopback) answer, change feed every" \
	"${GW_POLL_MS:-?} ms; a random 0-$JITTER_MS ms wait before each revoke;" \
	"$(cat "$T/early") of $n ACKs came before byodctl had returned (counted as 0 ms)." \
	"p50, p99 and max over all $n trials."
note "Baselines under the same daemons, up side by side with the trials: one eapol_test of a" \
	"certificate revoked before the trials ($(wc -l <"$T/base_refused.ms") times), and byodctl" \
	"session disconnect on an open session, start to return ($(wc -l <"$T/base_disconnect.ms")" \
	"times; the DAS round trip within it: ${das50} ms p50, as byodctl reports it). $ROUNDS" \
	"rounds alternate a run of $PER_ROUND trials with a run of $PER_ROUND refusals and $DISC session" \
	"disconnect(s) (order reversed every other round); a round's ratio is its trials' p50 against" \
	"its baselines' p50, and the ratio shown the median of the rounds' ratios, with their" \
	"range. $n trials in $(((t_end - t_start) / 1000000)) s."
if [ "$failures" -gt 0 ]; then
	echo "revoke: $failures trial(s) failed" >&2
	exit 1
fi
