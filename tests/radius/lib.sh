# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by the RADIUS integration tests: a school, a generated raddb, the
# real freeradius with rlm_byod on loopback ports nobody else uses, radclient
# and eapol_test helpers. Sourced after tests/cli/lib.sh.

: "${RLM_BYOD_DIR:?RLM_BYOD_DIR must name the directory of rlm_byod.so}"

# Two free UDP ports on loopback, picked by the kernel.
free_ports() {
	python3 - <<'PY'
import socket
socks = []
for _ in range(2):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    socks.append(s)
ports = [s.getsockname()[1] for s in socks]
print(" ".join(str(p) for p in ports))
PY
}

radius_setup() {
	read -r AUTH_PORT ACCT_PORT <<<"$(free_ports)"
	RADDB="$T/raddb"
	"$BYODCTL" radius config --out "$RADDB" --auth-port "$AUTH_PORT" --acct-port "$ACCT_PORT" \
		--libdir "$RLM_BYOD_DIR:/usr/lib/freeradius" >/dev/null ||
		{ echo "radius config failed" >&2; exit 1; }
	SECRET=$(cat "$RADDB/secret")
	# the eap module's TLS session cache, on tmpfs outside $T: removed at exit
	TLS_CACHE=$(sed -n 's/^byod_tls_cache = "\(.*\)"$/\1/p' "$RADDB/byod-vars.conf")
}

RADIUS_PID=
radius_start() {
	: >"$RADDB/log/radius.log"
	freeradius -f -d "$RADDB" -l "$RADDB/log/radius.log" &
	RADIUS_PID=$!
	for _ in $(seq 100); do
		if grep -q "Ready to process requests" "$RADDB/log/radius.log" 2>/dev/null; then
			return 0
		fi
		if ! kill -0 "$RADIUS_PID" 2>/dev/null; then
			echo "freeradius exited; its log:" >&2
			cat "$RADDB/log/radius.log" >&2
			RADIUS_PID=
			exit 1
		fi
		sleep 0.1
	done
	echo "freeradius did not get ready" >&2
	cat "$RADDB/log/radius.log" >&2
	exit 1
}

radius_stop() {
	if [ -n "$RADIUS_PID" ] && kill -0 "$RADIUS_PID" 2>/dev/null; then
		kill "$RADIUS_PID"
		wait "$RADIUS_PID" 2>/dev/null
	fi
	RADIUS_PID=
}
TLS_CACHE=
trap 'radius_stop; [ -n "${KEEP:-}" ] || rm -rf "$T" ${TLS_CACHE:+"$TLS_CACHE"}' EXIT

# mab MAC [extra radclient lines]: one MAC-authentication request, the
# answer in $T/mab.out
mab() {
	local mac=$1 bare
	bare=$(tr -d ':.-' <<<"$mac" | tr A-F a-f)
	printf 'User-Name = "%s"\nUser-Password = "%s"\nCalling-Station-Id = "%s"\nNAS-Port-Type = Ethernet\n%s\n' \
		"$bare" "$bare" "$mac" "${2:-Message-Authenticator = 0x00}" |
		radclient -x -r 1 -t 2 "127.0.0.1:$AUTH_PORT" auth "$SECRET" >"$T/mab.out" 2>&1
}

# eap_tls NAME CERT KEY [MAC] [extra eapol_test options]: EAP-TLS, output
# in $T/eap.out; exit status 0 on SUCCESS
eap_tls() {
	local name=$1 cert=$2 key=$3 mac=${4:-02:00:00:00:aa:01}
	shift 4 || shift $#
	cat >"$T/$name.conf" <<EOC
network={
	key_mgmt=IEEE8021X
	eap=TLS
	identity="$name"
	ca_cert="$BYOD_HOME/pki/ca.pem"
	client_cert="$cert"
	private_key="$key"
	domain_match="radius.byod.lan"
	eapol_flags=0
}
EOC
	eapol_test -c "$T/$name.conf" -a 127.0.0.1 -p "$AUTH_PORT" -s "$SECRET" -M "$mac" \
		-t 5 "$@" >"$T/eap.out" 2>&1
	tail -1 "$T/eap.out" | grep -q '^SUCCESS'
}

# The VLAN in the last eapol_test Access-Accept (Attribute 81, hex), as text.
eap_vlan() {
	awk '/Attribute 81 /{getline; print $2; exit}' "$T/eap.out" |
		python3 -c 'import sys; print(bytes.fromhex(sys.stdin.read().replace(" ", "").strip()).decode())'
}
