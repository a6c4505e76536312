# SPDX-License-Identifier: GPL-2.0-or-later
# The metrics, scraped as Prometheus would: byod-portal, byod-admin and
# byod-gatewayd (--dry-run) each answer /metrics on their
# *.metrics-listen, apart from their pages; promtool check metrics accepts
# every answer; what the test does is counted exactly (logins failed and
# ok, enrolments issued and refused at the limit, answers by class, a 503
# while the registry is locked, the console's failed login); the real
# freeradius with rlm_byod answers on SPOOL/stats.sock (0660), counting
# MAB decisions by segment and reason, and byodctl metrics appends it
# (promtool again); a metrics-listen that is not ADDR:PORT stops the start
# naming the key. Last, every metric the Grafana dashboard
# (deploy/grafana/byod-dashboard.json) charts is one the scrapes exposed.
. "$BYOD_SRC/tests/cli/lib.sh"
. "$BYOD_SRC/tests/radius/lib.sh"
. "$BYOD_SRC/tests/lib/metrics.sh"
: "${BYOD_PORTAL:?}" "${BYOD_ADMIN:?}" "${BYOD_GATEWAYD:?}"
command -v promtool >/dev/null || { echo "promtool is missing: scripts/install-deps" >&2; exit 1; }
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	radius_stop; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT

tcp_ports() { # N free TCP ports on loopback
	python3 - "$1" <<'PY'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}
setkey() { # SECTION KEY VALUE
	sed -i "/^$1:/,/^[a-z]/ s|^  $2: .*|  $2: $3|" "$BYOD_HOME/byod.conf"
	grep -q "^  $2: $3\$" "$BYOD_HOME/byod.conf" || { echo "cannot set $1.$2" >&2; exit 1; }
}

init_school
cat >"$T/policy.yaml" <<'POLICY'
segments:
  registration: { vlan: 10, subnet: 10.10.0.0/22 }
  pupils: { vlan: 20, subnet: 10.20.0.0/16 }
rules:
  - name: unknown devices register
    match: { state: unknown }
    segment: registration
  - name: pupils
    match: { role: student }
    segment: pupils
default: registration
POLICY
"$BYODCTL" policy apply "$T/policy.yaml" >/dev/null || { echo "policy apply failed" >&2; exit 1; }
printf '%s\n' 'Calanques-2026!' | "$BYODCTL" user add lea --role student --school 0131234W \
	--name "Léa" --password-stdin >/dev/null || { echo "user add failed" >&2; exit 1; }
printf '%s\n' 'Console-Admin-1!' | "$BYODCTL" admin add chef --role departement --name Chef \
	--password-stdin >/dev/null || { echo "admin add failed" >&2; exit 1; }

# ---- a listener that is not ADDR:PORT ----
cp "$BYOD_HOME/byod.conf" "$T/byod.conf.orig"
setkey portal metrics-listen '"localhost"'
if "$BYOD_PORTAL" --home "$BYOD_HOME" 2>"$T/bad.log"; then ko "the portal starts with metrics-listen: localhost"
else check "...refused, naming portal.metrics-listen" grep -q 'metrics-listen' "$T/bad.log"; fi
cp "$T/byod.conf.orig" "$BYOD_HOME/byod.conf"

read -r HTTP PM AP AM GM <<<"$(tcp_ports 5)"
setkey portal http-port "$HTTP"
setkey portal https-port 0
setkey portal metrics-listen "\"127.0.0.1:$PM\""
setkey admin port "$AP"
setkey admin metrics-listen "\"127.0.0.1:$AM\""
setkey gateway metrics-listen "\"127.0.0.1:$GM\""
setkey registry busy-timeout-ms 300
setkey firewall portal-address '"127.0.0.1"'
PORTAL="http://127.0.0.1:$HTTP"

"$BYOD_PORTAL" --home "$BYOD_HOME" 2>>"$T/portal.log" &
PIDS+=($!)
"$BYOD_ADMIN" --home "$BYOD_HOME" 2>>"$T/admin.log" &
PIDS+=($!)
"$BYOD_GATEWAYD" --home "$BYOD_HOME" --dry-run 2>>"$T/gatewayd.log" &
PIDS+=($!)
for what in portal:$PM admin:$AM gatewayd:$GM; do
	check "${what%%:*}: /metrics answers on its management listener" \
		wait_for 100 scrape "http://127.0.0.1:${what#*:}/metrics" "$T/${what%%:*}.0"
	check "...accepted by promtool check metrics" sh -c "promtool check metrics <'$T/${what%%:*}.0'"
	check "...with byod_build_info and byod_registry_up 1" sh -c \
		"grep -q '^byod_build_info{program=\"byod-' '$T/${what%%:*}.0' && grep -qx 'byod_registry_up 1' '$T/${what%%:*}.0'"
	curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${what#*:}/other" >"$T/code"
	check "...and nothing else on it (404)" test "$(cat "$T/code")" = 404
done
curl -s -o /dev/null -w '%{http_code}' "$PORTAL/metrics" >"$T/code"
check "the portal's pages do not answer /metrics" test "$(cat "$T/code")" != 200

# ---- the portal: what a pupil does, counted exactly ----
preq() { # METHOD PATH [curl options]: status in $T/code, body in $T/b
	local m=$1 p=$2
	shift 2
	curl -s -m 10 -X "$m" -b "$T/jar" -c "$T/jar" -o "$T/b" -w '%{http_code}' "$@" "$PORTAL$p" >"$T/code"
}
csrf() { sed -n 's/.*name="csrf" value="\([A-Za-z0-9_-]*\)".*/\1/p' "$T/b" | head -1; }
pcode() { cat "$T/code"; }
scrape "http://127.0.0.1:$PM/metrics" "$T/p1"
preq GET /                                                                   # 200
preq POST /login --data-urlencode "csrf=$(csrf)" -d login=lea -d password=wrong # 401
check "a wrong password is refused (401)" test "$(pcode)" = 401
preq GET /                                                                   # 200
preq POST /login --data-urlencode "csrf=$(csrf)" -d login=lea --data-urlencode 'password=Calanques-2026!' # 303
check "the right one logs in (303)" test "$(pcode)" = 303
for n in 1 2 3; do
	preq GET /enrol                                                      # 200
	preq POST /enrol --data-urlencode "csrf=$(csrf)" -d "name=phone-$n" -d kind=phone -d charter=yes
done
check "the third device is refused at the limit (409)" test "$(pcode)" = 409
scrape "http://127.0.0.1:$PM/metrics" "$T/p2"
delta() { # FILE1 FILE2 NAME [LABEL=VALUE...]
	local a b f1=$1 f2=$2
	shift 2
	a=$(metric "$f1" "$@") b=$(metric "$f2" "$@")
	echo $((b - a))
}
check "portal: logins failed +1 ($(delta "$T/p1" "$T/p2" byod_portal_logins_total result=failed))" \
	test "$(delta "$T/p1" "$T/p2" byod_portal_logins_total result=failed)" = 1
check "portal: logins ok +1" test "$(delta "$T/p1" "$T/p2" byod_portal_logins_total result=ok)" = 1
check "portal: enrolments issued +2 ($(delta "$T/p1" "$T/p2" byod_portal_enrolments_issued_total))" \
	test "$(delta "$T/p1" "$T/p2" byod_portal_enrolments_issued_total)" = 2
check "portal: enrolments refused at-limit +1" \
	test "$(delta "$T/p1" "$T/p2" byod_portal_enrolments_refused_total reason=at-limit)" = 1
# GET / twice and /enrol three times, the two enrolments' pages: 200
check "portal: 2xx answers +7 ($(delta "$T/p1" "$T/p2" byod_portal_http_responses_total code=2xx))" \
	test "$(delta "$T/p1" "$T/p2" byod_portal_http_responses_total code=2xx)" = 7
check "portal: 4xx answers +2 (the 401 and the 409)" \
	test "$(delta "$T/p1" "$T/p2" byod_portal_http_responses_total code=4xx)" = 2
check "portal: 3xx answers +1 (the login's redirect)" \
	test "$(delta "$T/p1" "$T/p2" byod_portal_http_responses_total code=3xx)" = 1

# ---- the portal with its registry locked: a 503, counted; registry_up 0, then 1 ----
python3 -c 'import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN EXCLUSIVE")
open(sys.argv[2], "w").close()
time.sleep(3)' "$BYOD_HOME/registry.db" "$T/locked" &
LOCKER=$!
wait_for 50 test -e "$T/locked"
preq GET /devices
check "the registry locked: the portal answers 503 ($(pcode))" test "$(pcode)" = 503
scrape "http://127.0.0.1:$PM/metrics" "$T/p3"
check "portal: one 503 for the registry counted" \
	test "$(delta "$T/p2" "$T/p3" byod_portal_registry_unavailable_total)" = 1
check "portal: byod_registry_up 0 meanwhile" grep -qx 'byod_registry_up 0' "$T/p3"
wait "$LOCKER"
preq GET /devices
check "the registry free again: /devices answers (200)" test "$(pcode)" = 200
scrape "http://127.0.0.1:$PM/metrics" "$T/p4"
check "portal: byod_registry_up 1 again" grep -qx 'byod_registry_up 1' "$T/p4"

# ---- the console: a failed login ----
scrape "http://127.0.0.1:$AM/metrics" "$T/a1"
curl -sk -b "$T/ajar" -c "$T/ajar" -o "$T/b" "https://127.0.0.1:$AP/login"
curl -sk -b "$T/ajar" -c "$T/ajar" -o /dev/null -w '%{http_code}' --data-urlencode "csrf=$(csrf)" \
	-d login=chef -d password=wrong "https://127.0.0.1:$AP/login" >"$T/code"
check "console: a wrong password is refused (401)" test "$(pcode)" = 401
curl -sk -o /dev/null "https://127.0.0.1:$AP/api/devices"
scrape "http://127.0.0.1:$AM/metrics" "$T/a2"
check "console: logins failed +1" test "$(delta "$T/a1" "$T/a2" byod_admin_logins_total result=failed)" = 1
check "console: an API request without a token, a 4xx (+1)" \
	test "$(delta "$T/a1" "$T/a2" byod_admin_api_requests_total code=4xx)" = 1

# ---- the gateway: the feed followed ----
gw_caught_up() {
	scrape "http://127.0.0.1:$GM/metrics" "$T/g1" &&
		[ "$(metric "$T/g1" byod_gateway_feed_lag_events)" = 0 ] &&
		[ "$(metric "$T/g1" byod_gateway_feed_position)" = "$(metric "$T/g1" byod_gateway_feed_head)" ]
}
check "gateway: it follows the feed to its head (lag 0)" wait_for 50 gw_caught_up
check "...having handled events" test "$(metric "$T/g1" byod_gateway_events_total)" -gt 0

# ---- the RADIUS module's stats socket, and byodctl metrics ----
radius_setup
radius_start
SOCK="$BYOD_HOME/radius-spool/stats.sock"
check "rlm_byod made its stats socket" wait_for 50 test -S "$SOCK"
check "...mode 0660" test "$(stat -c %a "$SOCK")" = 660
"$BYODCTL" metrics --radius-spool "$BYOD_HOME/radius-spool" >"$T/r1" 2>"$T/err"
check "byodctl metrics appends the module's families (byod_radius_stats_up 1)" \
	grep -qx 'byod_radius_stats_up 1' "$T/r1"
for i in 1 2 3; do mab "02:00:00:00:cc:0$i"; done
check "...the unknown MACs are answered" grep -q 'Access-Accept' "$T/mab.out"
"$BYODCTL" metrics >"$T/r2" 2>"$T/err"
check "byodctl metrics finds HOME/radius-spool's socket by itself" grep -qx 'byod_radius_stats_up 1' "$T/r2"
check "...promtool accepts the whole file" sh -c "promtool check metrics <'$T/r2'"
check "radius: 3 decisions more into registration, accepted there ($(delta "$T/r1" "$T/r2" byod_radius_decisions_total segment=registration))" \
	test "$(delta "$T/r1" "$T/r2" byod_radius_decisions_total segment=registration reason=accept)" = 3
check "radius: the index holds the 2 devices" test "$(metric "$T/r2" byod_radius_index_devices)" = 2
check "radius: the registry is up, its follower not behind" sh -c \
	"grep -qx 'byod_radius_registry_up 1' '$T/r2' && grep -qx 'byod_radius_follower_lag_events 0' '$T/r2'"
radius_stop
check "the socket is gone with the server" test ! -e "$SOCK"
"$BYODCTL" metrics --radius-spool "$BYOD_HOME/radius-spool" >"$T/r3" 2>"$T/err"
check "a socket that does not answer: byod_radius_stats_up 0" grep -qx 'byod_radius_stats_up 0' "$T/r3"

# ---- the dashboard charts only what exists ----
metric_names "$T/p2" "$T/a2" "$T/g1" "$T/r2" >"$T/names"
if dashboard_check "$BYOD_SRC/deploy/grafana/byod-dashboard.json" "$T/names" >"$T/missing"; then ok
else ko "the dashboard names metrics no scrape exposed: $(tr '\n' ' ' <"$T/missing")"; fi
finish
