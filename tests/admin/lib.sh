# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by the byod-admin tests, sourced after tests/cli/lib.sh: a
# console on a free loopback port, administrators, a browser (curl with a
# cookie jar per name), form tokens read from the pages, and TOTP codes
# computed here from the secret (RFC 6238 with Python's hmac: another
# implementation than web/totp.c).
: "${BYOD_ADMIN:?BYOD_ADMIN must name the byod-admin binary}"

ADMIN_PID=
trap '[ -n "$ADMIN_PID" ] && kill "$ADMIN_PID" 2>/dev/null; wait; rm -rf "$T"' EXIT

# start_admin: byod-admin on a free port ($ADMIN_PORT, $URL), waited for
start_admin() {
	ADMIN_PORT=$(python3 -c '
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	sed -i "/^admin:/,/^[a-z]/ s/^  port: .*/  port: $ADMIN_PORT/" "$BYOD_HOME/byod.conf"
	URL="https://127.0.0.1:$ADMIN_PORT"
	"$BYOD_ADMIN" --home "$BYOD_HOME" 2>>"$T/admin.log" &
	ADMIN_PID=$!
	for _ in $(seq 100); do
		curl -sk -o /dev/null "$URL/login" && return 0
		kill -0 "$ADMIN_PID" 2>/dev/null || { cat "$T/admin.log" >&2; exit 1; }
		sleep 0.1
	done
	echo "byod-admin did not start" >&2
	exit 1
}

# stop_admin: SIGTERM; the process must end by itself, with status 0 (in
# a sanitizer build: no leak, no error), and its log hold no sanitizer report
stop_admin() {
	local rc
	kill -TERM "$ADMIN_PID"
	for _ in $(seq 50); do
		if ! kill -0 "$ADMIN_PID" 2>/dev/null; then
			wait "$ADMIN_PID"
			rc=$?
			ADMIN_PID=
			[ "$rc" -eq 0 ] || { echo "byod-admin exited with $rc" >&2; tail -30 "$T/admin.log" >&2; }
			! grep -Eq 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$T/admin.log" &&
				[ "$rc" -eq 0 ]
			return
		fi
		sleep 0.1
	done
	return 1
}

# add_admin LOGIN ROLE SCHOOL PASSWORD: an administrator account (byodctl admin add)
add_admin() {
	"$BYODCTL" admin add "$1" --role "$2" ${3:+--school "$3"} --name "Admin $1" \
		--password-stdin <<<"$4" >/dev/null 2>"$T/err" ||
		{ echo "byodctl admin add $1: $(cat "$T/err")" >&2; exit 1; }
}

# req NAME METHOD PATH [curl options]: a request from browser NAME (its own
# cookie jar); status in $T/code, headers in $T/h, body in $T/b
req() {
	local who=$1 method=$2 path=$3
	shift 3
	curl -sk -X "$method" -b "$T/jar.$who" -c "$T/jar.$who" -D "$T/h" -o "$T/b" \
		-w '%{http_code}' "$@" "$URL$path" >"$T/code"
}
code() { cat "$T/code"; }
hdr() { grep -i "^$1:" "$T/h" | head -1 | cut -d' ' -f2- | tr -d '\r'; }
# the form token of the page in $T/b
csrf() { sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' "$T/b" | head -1; }
# the TOTP secret shown on the enrolment page in $T/b (grouped by four)
secret_shown() { sed -n 's/.*<code class="secret">\([^<]*\)<.*/\1/p' "$T/b" | tr -d ' '; }

# totp SECRET [OFFSET_STEPS]: the RFC 6238 code of SECRET now (+ OFFSET steps)
totp() {
	python3 - "$1" "${2:-0}" <<'PY'
import base64, hashlib, hmac, struct, sys, time
key = base64.b32decode(sys.argv[1] + "=" * (-len(sys.argv[1]) % 8))
step = int(time.time()) // 30 + int(sys.argv[2])
mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
o = mac[-1] & 15
print("%06d" % ((struct.unpack(">I", mac[o:o + 4])[0] & 0x7fffffff) % 1000000))
PY
}

# wait_next_step: sleeps into the next 30-second TOTP step (a new code)
wait_next_step() {
	sleep $((30 - $(date +%s) % 30 + 1))
}

# login NAME LOGIN PASSWORD: the password step; leaves the TOTP page in $T/b
login_password() {
	req "$1" GET /login
	local t
	t=$(csrf)
	req "$1" POST /login --data-urlencode "csrf=$t" --data-urlencode "login=$2" \
		--data-urlencode "password=$3"
	[ "$(code)" = 303 ] && [ "$(hdr Location)" = /totp ] || return 1
	req "$1" GET /totp
}

# login NAME LOGIN PASSWORD SECRET: both steps (an enrolled administrator)
login() {
	login_password "$1" "$2" "$3" || return 1
	local t
	t=$(csrf)
	req "$1" POST /totp --data-urlencode "csrf=$t" --data-urlencode "code=$(totp "$4")"
	[ "$(code)" = 303 ] && [ "$(hdr Location)" = /dashboard ]
}
