# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by the portal tests, sourced after tests/cli/lib.sh: free ports,
# a second portal node on the same registry, portals started and waited for.

# free_ports N: N TCP ports free on 127.0.0.1 now, space-separated
free_ports() {
	python3 -c '
import socket, sys
s = [socket.socket() for _ in range(int(sys.argv[1]))]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))' "$1"
}

# two_nodes PORT_A PORT_B: BYOD_HOME's portal on PORT_A, and a second
# portal node in HOME_B (set here) on PORT_B using BYOD_HOME's registry,
# as two nodes of one school would; both HTTP only
two_nodes() {
	local conf="$BYOD_HOME/byod.conf"
	HOME_B="$T/home-b"
	sed -i "s/^  https-port: .*/  https-port: 0/" "$conf"
	cp -a "$BYOD_HOME" "$HOME_B"
	rm -f "$HOME_B"/registry.db*
	sed -i "s/^  http-port: .*/  http-port: $1/" "$conf"
	sed -i "s/^  http-port: .*/  http-port: $2/; s|^  path: \"registry.db\"|  path: \"$BYOD_HOME/registry.db\"|" \
		"$HOME_B/byod.conf"
	grep -q "path: \"$BYOD_HOME/registry.db\"" "$HOME_B/byod.conf" ||
		{ echo "registry.path not set" >&2; exit 1; }
}

# start_portal HOME PORT: starts byod-portal (its PID appended to PIDS,
# its log to $T/portal.log) and waits until it answers
PIDS=()
start_portal() {
	"$BYOD_PORTAL" --home "$1" 2>>"$T/portal.log" &
	PIDS+=($!)
	for _ in $(seq 100); do
		curl -s -o /dev/null "http://127.0.0.1:$2/api/captive" && return 0
		kill -0 "${PIDS[-1]}" 2>/dev/null || { cat "$T/portal.log" >&2; exit 1; }
		sleep 0.1
	done
	echo "the portal did not start" >&2
	exit 1
}
