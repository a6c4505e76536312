#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout-s bounds an LDAP sign-in from the name's lookup on: in a mount
# namespace of its own whose /etc/resolv.conf names a nameserver on
# 127.0.0.0/8 that receives and never answers (glibc would wait 5 s, twice),
# `byodctl identity test` through a source named by a host name, timeout-s
# 1, is refused as a timeout (exit 4) in about a second. Root only (the
# namespace and port 53); skipped otherwise.
set -uo pipefail
if [ -z "${BYOD_DNS_INNER:-}" ]; then
	[ "$(id -u)" = 0 ] && command -v unshare >/dev/null || { echo "dns.sh: not root, skipped"; exit 77; }
	exec unshare --mount env BYOD_DNS_INNER=1 bash "$0"
fi
. "$BYOD_SRC/tests/cli/lib.sh"
ADDR=127.0.$((RANDOM % 200 + 20)).$((RANDOM % 200 + 20))
printf 'nameserver %s\noptions timeout:5 attempts:2\n' "$ADDR" >"$T/resolv.conf"
mount --bind "$T/resolv.conf" /etc/resolv.conf || { echo "dns.sh: no bind mount, skipped"; exit 77; }
python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((sys.argv[1], 53))
print("bound", flush=True)
while True: s.recvfrom(512)   # received, never answered
' "$ADDR" >"$T/dns.log" 2>&1 &
DNS=$!
trap 'kill "$DNS" 2>/dev/null; wait "$DNS" 2>/dev/null; rm -rf "$T"' EXIT
wait_for 50 grep -q bound "$T/dns.log" || { echo "dns.sh: the silent nameserver did not start" >&2; exit 1; }
"$BYODCTL" init --school 0123456A --name "Collège du test" >/dev/null || { echo "init failed" >&2; exit 1; }
printf 'x\n' >"$T/ca.pem"
cat >>"$BYOD_HOME/byod.conf" <<CONF

identity:
  by-name:
    url: "ldaps://ldap.college-test.lan/"
    ca-file: "$T/ca.pem"
    timeout-s: 1
    user-dn: "uid=%s,ou=people,dc=college,dc=test"
    roles: "National_ELV=student"
    role-attribute: ENTPersonProfils
    school-attribute: ENTPersonStructRattach
CONF
check "the resolver asks the silent nameserver" bash -c "! timeout 3 getent ahosts ldap.college-test.lan"
start=$(date +%s%N)
"$BYODCTL" identity test by-name alice.martin <<<"Secret-1" >"$T/out" 2>"$T/err"
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
check "refused as the source's failure (exit 4, got $rc)" [ "$rc" = 4 ]
check "said as a timeout: $(cat "$T/err")" grep -q "no answer" "$T/err"
check "within timeout-s, not the resolver's 10 s (took $ms ms)" [ "$ms" -lt 2500 ]
finish
