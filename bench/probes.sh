# SPDX-License-Identifier: GPL-2.0-or-later
# Captive-portal probes: requests per second (and latency) that byod-portal
# answers on /generate_204 (Android, ChromeOS) and /hotspot-detect.html
# (Apple) for a device not yet enrolled, which is what every phone on the
# onboarding network fetches the moment it joins; measured with wrk against
# nginx answering the same status and redirect from the same machine (the
# floor: a static answer from a server built for nothing else).
#
# Both servers run side by side and wrk's runs alternate between them,
# ROUNDS times (order reversed every other round); a ratio is the median of
# the ratios taken run by run, with their range.
# Both use the machine's two cores: byod-portal its default of one
# libmicrohttpd thread per core (2), nginx `worker_processes auto` (2). wrk: 1 thread,
# 32 connections (the full run also 1, 8 and 128 for the plot), Host and
# User-Agent of an Android phone's probe. nginx answers with `return 302`,
# so its body is nginx's own short page where the portal sends one line of
# text; both bodies are under 200 bytes.
. "$BYOD_SRC/bench/lib.sh"
bench_init probes "$@"
export BYOD_HOME="$T/home"

if [ "$SMOKE" = 1 ]; then
	DUR=1s CONNS="" ROUNDS=2
else
	DUR=5s CONNS="1 8 32 128" ROUNDS=5
fi

"$BYODCTL" init --school 0131234W --name "Collège des Calanques" >/dev/null ||
	{ echo "byodctl init failed" >&2; exit 1; }
read -r PORT NGX_PORT <<<"$(tcp_ports 2)"
conf="$BYOD_HOME/byod.conf"
sed -i "s/^  http-port: .*/  http-port: $PORT/; s/^  https-port: .*/  https-port: 0/" "$conf"
# one machine plays every phone: libmicrohttpd's per-address limit (16)
# would refuse wrk's connections that come from the same address
sed -i "s/^  per-ip-limit: .*/  per-ip-limit: 1024/" "$conf"

portal_start "$PORT"

UA='Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8 Build/UQ1A.240205.004)'
# what the portal answers a probe: status and Location
curl -s -A "$UA" -H 'Host: connectivitycheck.gstatic.com' -D "$T/h" -o "$T/b" \
	"http://127.0.0.1:$PORT/generate_204" || { echo "no answer to a probe" >&2; exit 1; }
status=$(awk 'NR == 1 { print $2 }' "$T/h")
location=$(awk -F': ' 'tolower($1) == "location" { print $2 }' "$T/h" | tr -d '\r')
if [ "$status" != 302 ] || [ -z "$location" ]; then
	echo "the portal answered a probe with $status ${location:-and no Location}" >&2
	exit 1
fi

mkdir -p "$T/nginx/logs"
cat >"$T/nginx/nginx.conf" <<EOC
worker_processes auto;
pid $T/nginx/nginx.pid;
error_log $T/nginx/logs/error.log;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $T/nginx/tmp;
	proxy_temp_path $T/nginx/tmp;
	fastcgi_temp_path $T/nginx/tmp;
	uwsgi_temp_path $T/nginx/tmp;
	scgi_temp_path $T/nginx/tmp;
	server {
		listen 127.0.0.1:$NGX_PORT;
		location = /generate_204 { return 302 $location; }
		location = /hotspot-detect.html { return 302 $location; }
	}
}
EOC
nginx -p "$T/nginx" -c "$T/nginx/nginx.conf" -g 'daemon off;' &
NGX_PID=$!
BENCH_PIDS+=("$NGX_PID")
for _ in $(seq 100); do
	curl -s -o /dev/null "http://127.0.0.1:$NGX_PORT/generate_204" && break
	kill -0 "$NGX_PID" 2>/dev/null || { cat "$T/nginx/logs/error.log" >&2; exit 1; }
	sleep 0.1
done
ngx_loc=$(curl -s -D - -o /dev/null "http://127.0.0.1:$NGX_PORT/generate_204" |
	awk -F': ' 'tolower($1) == "location" { print $2 }' | tr -d '\r')
[ "$ngx_loc" = "$location" ] || { echo "nginx answers Location '$ngx_loc', not '$location'" >&2; exit 1; }

# bench PORT PATH CONNS: wrk; RPS, P50_MS, P99_MS, NON2XX set
bench() {
	wrk -t1 -c"$3" -d"$DUR" --latency -H "User-Agent: $UA" -H 'Host: connectivitycheck.gstatic.com' \
		"http://127.0.0.1:$1$2" >"$T/wrk.out" 2>&1 || { cat "$T/wrk.out" >&2; exit 1; }
	RPS=$(awk '/^Requests\/sec:/ { print $2 }' "$T/wrk.out")
	P50_MS=$(awk '$1 == "50%" { print $2 }' "$T/wrk.out" | ms)
	P99_MS=$(awk '$1 == "99%" { print $2 }' "$T/wrk.out" | ms)
	ERRORS=$(awk '/Socket errors|Non-2xx/ { print }' "$T/wrk.out")
	if [ -z "$RPS" ]; then
		echo "wrk gave no figure:" >&2
		cat "$T/wrk.out" >&2
		exit 1
	fi
}
# wrk's durations (12.3us, 1.2ms, 2.0s) in ms
ms() { awk '{ v = $1 + 0; if ($1 ~ /us$/) v /= 1000; else if ($1 ~ /[^m]s$/) v *= 1000; print v }'; }

declare -A SRV_PORT=([portal]=$PORT [nginx]=$NGX_PORT)
declare -A NAME=([portal]="byod-portal" [nginx]="nginx, same answer")
# one run of wrk against SERVER at 32 connections on $path
probe_run() {
	bench "${SRV_PORT[$1]}" "$path" 32
	[ -n "$ERRORS" ] && echo "$1, $path: $ERRORS"
	echo "$RPS" >>"$T/$key.rps.$1"
	echo "$P99_MS" >>"$T/$key.p99.$1"
	echo "$path, $1, run $2: $RPS req/s, p50 $P50_MS ms, p99 $P99_MS ms"
}
for path in /generate_204 /hotspot-detect.html; do
	key=$(tr -c 'a-z0-9\n' '_' <<<"${path#/}" | sed 's/_html$//')
	for s in portal nginx; do : >"$T/$key.rps.$s"; : >"$T/$key.p99.$s"; done
	alternate "$ROUNDS" probe_run portal nginx
	figure_runs --config "${NAME[portal]}" "probe_${key}_rps" "req/s (32 connections)" \
		"$T/$key.rps.portal" "${NAME[nginx]}" "$T/$key.rps.nginx"
	if small_ratio && [ "$path" = /generate_204 ]; then
		profile "probes, byod-portal" "$PORTAL_PID" bench "$PORT" "$path" 32
		profile "probes, nginx's workers" "$(pgrep -d, -P "$NGX_PID")" bench "$NGX_PORT" "$path" 32
	fi
	figure_runs --config "${NAME[portal]}" "probe_${key}_p99_ms" "ms (p99, 32 connections)" \
		"$T/$key.p99.portal" "${NAME[nginx]}" "$T/$key.p99.nginx"
	[ "$path" = /generate_204 ] || continue
	pts_p=() pts_n=() lat_p=() lat_n=()
	for c in $CONNS; do
		bench "$PORT" "$path" "$c"
		pts_p+=("$c $RPS") lat_p+=("$c $P50_MS")
		bench "$NGX_PORT" "$path" "$c"
		pts_n+=("$c $RPS") lat_n+=("$c $P50_MS")
	done
	if [ -n "$CONNS" ]; then
		series "portal /generate_204: requests/s" "connections" "requests/s" "${pts_p[@]}"
		series "nginx /generate_204: requests/s" "connections" "requests/s" "${pts_n[@]}"
		series "portal /generate_204: latency p50" "connections" "ms" "${lat_p[@]}"
		series "nginx /generate_204: latency p50" "connections" "ms" "${lat_n[@]}"
	fi
done
note "Both answer 302 to $location, from the same machine, with wrk (1 thread, 32 connections, $DUR a run, $ROUNDS runs on each alternated) on the same two cores: the ratio is how close the portal comes to a static server; a school's probes come a few per second per joining device."
