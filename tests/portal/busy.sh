# SPDX-License-Identifier: GPL-2.0-or-later
# Logins beyond the login queue, the access log's file, and the stop. With
# one login worker, a queue of two and a yescrypt cost far above the default
# (7: tenths of a second a hash), twelve pupils log in at once: those the
# queue cannot take get a page in French asking them to try again in a
# moment, with Retry-After, and the others log in. The access lines go to
# portal.access-log-file, a batch at a time within a second, never to the
# portal's own log; after logrotate's rename and SIGHUP they go to a new
# file. A SIGTERM while logins are being checked: each still gets its whole
# answer before the portal exits.
. "$BYOD_SRC/tests/cli/lib.sh"
. "$BYOD_SRC/tests/portal/lib.sh"
: "${BYOD_PORTAL:?BYOD_PORTAL must name the byod-portal binary}"
init_school
N=12
conf="$BYOD_HOME/byod.conf"
sed -i 's/^  yescrypt-cost: .*/  yescrypt-cost: 7/' "$conf"
for i in $(seq $N); do
	printf '%s\n' "pupil-$i-Calanques" | "$BYODCTL" user add "pupil$i" --role student \
		--school 0131234W --password-stdin >/dev/null || { echo "user add $i failed" >&2; exit 1; }
done
read -r PORT <<<"$(free_ports 1)"
sed -i "s/^  http-port: .*/  http-port: $PORT/; s/^  https-port: .*/  https-port: 0/" "$conf"
sed -i "s/^  login-workers: .*/  login-workers: 1/; s/^  login-queue: .*/  login-queue: 2/" "$conf"
sed -i "s/^  access-log: no$/  access-log: yes/; s/^  access-log-file: .*/  access-log-file: \"access.log\"/" "$conf"
check "byod.conf has portal.login-queue 2 and an access log's file" \
	sh -c "grep -q '^  login-queue: 2$' '$conf' && grep -q '^  access-log-file: \"access.log\"$' '$conf'"
ALOG="$BYOD_HOME/access.log"

trap 'for p in "${PIDS[@]}" "${LOGINS[@]}"; do kill "$p" 2>/dev/null; done; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
start_portal "$BYOD_HOME" "$PORT"

# tokens: every pupil has the login page and its form token first
tokens() {
	for i in $(seq $N); do
		rm -f "$T/jar$i"
		curl -s -b "$T/jar$i" -c "$T/jar$i" -o "$T/page$i" "http://127.0.0.1:$PORT/" ||
			{ echo "no login page" >&2; exit 1; }
		sed -n 's/.*name="csrf" value="\([A-Za-z0-9_-]*\)".*/\1/p' "$T/page$i" | head -1 >"$T/csrf$i"
	done
}
# logins: the N logins at once, in the background (PIDs in LOGINS); each
# one's status, curl's exit status, headers and body in $T/login$i.*
logins() {
	LOGINS=()
	for i in $(seq $N); do
		(
			code=$(curl -s -b "$T/jar$i" -c "$T/jar$i" -D "$T/login$i.head" \
				-o "$T/login$i.body" -w '%{http_code}' \
				--data-urlencode "csrf=$(cat "$T/csrf$i")" \
				--data-urlencode "login=pupil$i" \
				--data-urlencode "password=pupil-$i-Calanques" \
				"http://127.0.0.1:$PORT/login")
			echo "$code $?" >"$T/login$i"
		) &
		LOGINS+=($!)
	done
}
wait_logins() {
	for p in "${LOGINS[@]}"; do wait "$p"; done
	LOGINS=()
}

# ---- the queue full: a page that says to try again ---------------------------
tokens
logins
wait_logins
ok=0 busy=0 busy_page=0
for i in $(seq $N); do
	read -r code _ <"$T/login$i"
	case $code in
	303) ok=$((ok + 1)) ;;
	503)
		busy=$((busy + 1))
		grep -qi '^Retry-After: 5' "$T/login$i.head" &&
			grep -q 'Beaucoup de connexions en même temps' "$T/login$i.body" &&
			grep -q 'Patientez quelques secondes, puis reconnectez-vous' "$T/login$i.body" &&
			grep -q '<html lang="fr"' "$T/login$i.body" &&
			! grep -q 'registre' "$T/login$i.body" &&
			busy_page=$((busy_page + 1))
		;;
	esac
done
echo "logins: $ok logged in (303), $busy asked to try again (503), of $N"
check "some logins found the queue full (503)" test "$busy" -ge 1
check "...each with the French page to try again in a moment and Retry-After: 5" \
	test "$busy_page" = "$busy"
check "...the others logged in (303), none lost" test $((ok + busy)) = "$N" -a "$ok" -ge 3
check "...counted apart from the registry's 503" \
	sh -c "! grep -q 'registry is unavailable' '$T/portal.log'"

# ---- the access lines: in their file within a second, not in the log ---------
login_lines() { test "$(grep -c ' byod-portal: 127.0.0.1 POST 127.0.0.1/login -> [35]03$' "$ALOG")" = "$1"; }
check "the access log's file has every login's line, each whole, within a second" \
	wait_for 20 login_lines "$N"
check "...the 503s and the 303s" \
	sh -c "grep -q 'POST 127.0.0.1/login -> 503' '$ALOG' && grep -q 'POST 127.0.0.1/login -> 303' '$ALOG'"
check "...the file is 0640" test "$(stat -c %a "$ALOG")" = 640
check "...and the portal's own log has no access line" \
	sh -c "! grep -q -- '-> [0-9]' '$T/portal.log'"
check "...yet says the queue was full" grep -q 'slow queue full, 503' "$T/portal.log"
curl -s -o /dev/null "http://127.0.0.1:$PORT/?mark=before-rotation"
sleep 0.2 # not yet written, most likely: the reload writes it to the renamed file
mv "$ALOG" "$ALOG.1"
kill -HUP "${PIDS[0]}"
check "after logrotate's rename and SIGHUP, a new file" wait_for 50 test -f "$ALOG"
curl -s -o /dev/null "http://127.0.0.1:$PORT/after-rotation"
check "...the new lines go to it" wait_for 20 grep -q 'GET 127.0.0.1/after-rotation -> 404$' "$ALOG"
check "...the earlier ones stay in the renamed file" \
	sh -c "grep -q 'GET 127.0.0.1/ -> 200' '$ALOG.1' && ! grep -q 'after-rotation' '$ALOG.1'"
check "...which the portal no longer writes" sh -c "! grep -q 'GET 127.0.0.1/ -> 200' '$ALOG'"

# ---- SIGTERM with logins under way: every one answered whole -------------------
tokens
rm -f "$T"/login[0-9]*
logins
# the logins are in: the refused answered, at most three left (one in the
# worker, two queued); SIGTERM then, with those still being checked
answered() { ls "$T" | grep -c '^login[0-9]*$'; }
wait_for 300 sh -c "[ \$(ls '$T' | grep -c '^login[0-9]*$') -ge $((N - 3)) ]"
kill -TERM "${PIDS[0]}"
under_way=$((N - $(answered)))
wait_logins
wait "${PIDS[0]}"
rc=$?
PIDS=()
whole=0 ok=0
for i in $(seq $N); do
	read -r code curl_rc <"$T/login$i"
	# curl's 0: the answer came whole (its Content-Length), not cut by the stop
	case "$curl_rc $code" in "0 303" | "0 503") whole=$((whole + 1)) ;; esac
	[ "$code" = 303 ] && ok=$((ok + 1))
done
echo "at SIGTERM: $under_way logins under way; $ok logged in, $whole of $N answered whole"
[ "$whole" = "$N" ] || for i in $(seq $N); do echo "login $i: $(cat "$T/login$i")"; done
check "the portal stops cleanly (0)" test "$rc" = 0
check "every login under way at SIGTERM got its whole answer" test "$whole" = "$N"
check "...logins were under way at SIGTERM (else this proves nothing)" test "$under_way" -ge 1
check "...and logged in" test "$ok" -ge "$under_way"
check "...and their lines were written at the stop" login_lines "$N"
check "no sanitizer report in the portal's log" sh -c "! grep -Eq 'Sanitizer|runtime error' '$T/portal.log'"
finish
