# SPDX-License-Identifier: GPL-2.0-or-later
# What the portal's sign-in tests through LemonLDAP::NG share (portal_cas.sh,
# portal_saml.sh), sourced after tests/cli/lib.sh, tests/portal/lib.sh and
# tests/radius/lib.sh with ME set to the script's name: the tools they need,
# free TCP ports, the servers' directory $S (readable by slapd, nginx and
# LemonLDAP::NG's user), the PIDs they start and end, die with the servers' logs.
: "${ME:?ME must name the sourcing script}"
: "${BYOD_PORTAL:?BYOD_PORTAL must name the byod-portal binary}"
H=$BYOD_SRC/tests/identity
PY=/usr/bin/python3
for c in slapd llng-fastcgi-server nginx curl openssl eapol_test freeradius; do
	command -v "$c" >/dev/null 2>&1 || [ -x "/usr/sbin/$c" ] ||
		{ echo "$ME: $c is missing (scripts/install-deps)" >&2; exit 1; }
done
tcp_ports() {
	$PY -c '
import socket, sys
s = [socket.socket() for _ in range(int(sys.argv[1]))]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))' "$1"
}

# the servers' files: where slapd (openldap) and LemonLDAP::NG and nginx
# (www-data) may read them when the test runs as root
S=$(mktemp -d "/tmp/byod-${ME%.sh}.XXXXXX")
chmod 755 "$S"
ROOT=
[ "$(id -u)" = 0 ] && ROOT=1
PIDS=()
# the test PKI (idt_pki) and slapd (idt_slapd), their files in $S
SRV=$S
. "$H/slapd-lib.sh"
cleanup() {
	local p i
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || continue
		for i in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	radius_stop
	[ -n "${KEEP:-}" ] || rm -rf "$T" "$S" ${TLS_CACHE:+"$TLS_CACHE"}
}
trap cleanup EXIT
die() {
	echo "$ME: $*" >&2
	for f in "$S/slapd.log" "$S/llng/run/llng.log" "$S/nginx/error.log" "$T/portal.log"; do
		[ -s "$f" ] && { echo "--- $f" >&2; tail -20 "$f" >&2; }
	done
	exit 1
}
