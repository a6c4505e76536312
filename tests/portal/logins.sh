# SPDX-License-Identifier: GPL-2.0-or-later
# Logins never hold the pages up. With one thread for the pages, two login
# workers and a yescrypt cost far above the default (7: 64 MiB, tenths of a
# second a hash), eight pupils log in at once; while their logins are still
# being checked, a captive probe gets its redirect and the login form is
# served. Every login then succeeds. Nothing is timed tightly: the test
# asserts the order (the probe and the page answered before the last
# login), which an answer queued behind the logins cannot meet. By default
# the portal writes no line per answer: the probes leave nothing in its log.
. "$BYOD_SRC/tests/cli/lib.sh"
. "$BYOD_SRC/tests/portal/lib.sh"
: "${BYOD_PORTAL:?BYOD_PORTAL must name the byod-portal binary}"
init_school
N=8
conf="$BYOD_HOME/byod.conf"
sed -i 's/^  yescrypt-cost: .*/  yescrypt-cost: 7/' "$conf"
for i in $(seq $N); do
	printf '%s\n' "pupil-$i-Calanques" | "$BYODCTL" user add "pupil$i" --role student \
		--school 0131234W --password-stdin >/dev/null || { echo "user add $i failed" >&2; exit 1; }
done
read -r PORT <<<"$(free_ports 1)"
sed -i "s/^  http-port: .*/  http-port: $PORT/; s/^  https-port: .*/  https-port: 0/" "$conf"
sed -i "s/^  threads: .*/  threads: 1/" "$conf"
check "byod.conf has portal.login-workers, 2 by default" grep -q '^  login-workers: 2$' "$conf"
check "...and portal.access-log, no by default" grep -q '^  access-log: no$' "$conf"

trap 'for p in "${PIDS[@]}" "${LOGINS[@]}"; do kill "$p" 2>/dev/null; done; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
start_portal "$BYOD_HOME" "$PORT"

# every pupil has the login page and its form token first
for i in $(seq $N); do
	curl -s -b "$T/jar$i" -c "$T/jar$i" -o "$T/page$i" "http://127.0.0.1:$PORT/" ||
		{ echo "no login page" >&2; exit 1; }
	sed -n 's/.*name="csrf" value="\([A-Za-z0-9_-]*\)".*/\1/p' "$T/page$i" | head -1 >"$T/csrf$i"
done
now_ns() { date +%s%N; }
LOGINS=()
for i in $(seq $N); do
	(
		code=$(curl -s -b "$T/jar$i" -c "$T/jar$i" -o /dev/null -w '%{http_code}' \
			--data-urlencode "csrf=$(cat "$T/csrf$i")" --data-urlencode "login=pupil$i" \
			--data-urlencode "password=pupil-$i-Calanques" "http://127.0.0.1:$PORT/login")
		echo "$code $(now_ns)" >"$T/login$i.tmp" && mv "$T/login$i.tmp" "$T/login$i"
	) &
	LOGINS+=($!)
done
# the logins are on their way (their connections open) before the probe
sleep 0.3
probe=$(curl -s -o "$T/probe.body" -D "$T/probe.head" -w '%{http_code}' \
	-H 'Host: connectivitycheck.gstatic.com' "http://127.0.0.1:$PORT/generate_204")
probe_at=$(now_ns)
done_at_probe=$(ls "$T" | grep -c '^login[0-9]*$')
page=$(curl -s -o "$T/root.html" -w '%{http_code}' "http://127.0.0.1:$PORT/")
page_at=$(now_ns)
done_at_page=$(ls "$T" | grep -c '^login[0-9]*$')
for p in "${LOGINS[@]}"; do wait "$p"; done
LOGINS=()

check "the probe is redirected to the portal" \
	sh -c "[ '$probe' = 302 ] && grep -qi '^Location: http://.*:$PORT/' '$T/probe.head'"
check "the login page is served" sh -c "[ '$page' = 200 ] && grep -q 'action=\"/login\"' '$T/root.html'"
echo "logins done when the probe was answered: $done_at_probe of $N; when the page was: $done_at_page"
check "...the probe answered while logins were still being checked" test "$done_at_probe" -lt "$N"
check "...and the page too" test "$done_at_page" -lt "$N"
last=0
ok=0
for i in $(seq $N); do
	read -r code at <"$T/login$i"
	[ "$code" = 303 ] && ok=$((ok + 1))
	[ "$at" -gt "$last" ] && last=$at
done
check "every login succeeded (303)" test "$ok" = "$N"
check "the last login ended after the probe and the page" \
	test "$last" -gt "$probe_at" -a "$last" -gt "$page_at"
check "the probes left no line in the log (portal.access-log: no)" \
	sh -c "! grep -q -- '-> 302' '$T/portal.log'"
check "...nor the logins" sh -c "! grep -q 'POST .*/login -> ' '$T/portal.log'"
for p in "${PIDS[@]}"; do kill -TERM "$p"; wait "$p"; done
PIDS=()
finish
