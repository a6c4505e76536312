# SPDX-License-Identifier: GPL-2.0-or-later
# Sign-in through LDAP identity sources against a real slapd started here:
# unprivileged, on 127.0.0.1 and free ports, with its own test CA (openssl),
# a small school directory (college.ldif.in), StartTLS and LDAPS; beside it
# a TLS server holding a certificate of another CA, and a port that never
# answers. test_identity_ldap ($BYOD_TEST_IDENTITY_LDAP) then signs people
# in through byod.conf's identity sources and checks the registry and the
# audit. Everything started here is stopped by its PID.
set -uo pipefail

: "${BYOD_TEST_IDENTITY_LDAP:?the test_identity_ldap binary}"
H=$(cd "$(dirname "$0")" && pwd)
. "$H/lib.sh"
idt_dir ldap openldap

die() { echo "ldap.sh: $*" >&2; [ -f "$T/ldap/slapd.log" ] && tail -20 "$T/ldap/slapd.log" >&2; exit 1; }

# --- the test CA, slapd's certificate (127.0.0.1), and another CA's ---
# the machine's own name, when it is one of 127.0.0.0/8 (/etc/hosts): slapd
# by a name that is looked up (libldap checks "localhost" against the name
# the peer's address maps back to, so not that one)
SELF=$(hostname 2>/dev/null)
getent ahostsv4 "$SELF" 2>/dev/null | grep -q '^127\.0\.0\.1 ' || SELF=""
idt_pki "BYOD identity test CA" "${SELF:+DNS:$SELF}"

# --- slapd: as openldap when run as root, as ourselves otherwise ---
read -r LDAP_PORT LDAPS_PORT ROGUE_PORT SILENT_PORT SLOW_PORT <<<"$(free_ports 5)"
idt_slapd "ldap://127.0.0.1:$LDAP_PORT/" "ldaps://127.0.0.1:$LDAPS_PORT/"

# --- a TLS server with another CA's certificate, and a port that never answers ---
openssl s_server -quiet -accept "127.0.0.1:$ROGUE_PORT" -cert "$P/rogue.crt" -key "$P/rogue.key" \
	</dev/null >"$T/rogue.log" 2>&1 &
PIDS+=($!)
python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)   # accepted, never answered
' "$SILENT_PORT" >"$T/silent.log" 2>&1 &
PIDS+=($!)
# a relay to slapd's LDAPS port that holds every chunk 0.4 s: each step of a
# sign-in answers within a second, the whole takes several
python3 -c '
import socket, sys, threading, time
def pipe(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d: break
            time.sleep(0.4); b.sendall(d)
    except OSError: pass
    for x in (a, b):
        try: x.shutdown(socket.SHUT_RDWR)
        except OSError: pass
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16)
while True:
    c, _ = s.accept()
    u = socket.create_connection(("127.0.0.1", int(sys.argv[2])))
    for a, b in ((c, u), (u, c)):
        threading.Thread(target=pipe, args=(a, b), daemon=True).start()
' "$SLOW_PORT" "$LDAPS_PORT" >"$T/slow.log" 2>&1 &
PIDS+=($!)
for i in $(seq 50); do
	(exec 3<>"/dev/tcp/127.0.0.1/$ROGUE_PORT") 2>/dev/null &&
		(exec 3<>"/dev/tcp/127.0.0.1/$SILENT_PORT") 2>/dev/null &&
		(exec 3<>"/dev/tcp/127.0.0.1/$SLOW_PORT") 2>/dev/null && break
	sleep 0.1
done

# --- the service account's password, readable by us only; and one left open ---
(umask 077; printf 'SvcPass-1\n' >"$T/svc.pw")
printf 'SvcPass-1\n' >"$T/svc-open.pw"
chmod 644 "$T/svc-open.pw"

export BYOD_LDAP_URL="ldap://127.0.0.1:$LDAP_PORT/" BYOD_LDAPS_URL="ldaps://127.0.0.1:$LDAPS_PORT/"
export BYOD_LDAP_ROGUE_URL="ldaps://127.0.0.1:$ROGUE_PORT/"
export BYOD_LDAP_SILENT_URL="ldaps://127.0.0.1:$SILENT_PORT/"
export BYOD_LDAP_SLOW_URL="ldaps://127.0.0.1:$SLOW_PORT/"
# the same server by name (/etc/hosts): the lookup's own path
export BYOD_LDAPS_NAME_URL="${SELF:+ldaps://$SELF:$LDAPS_PORT/}"
export BYOD_LDAP_CA="$P/ca.crt" BYOD_LDAP_OTHER_CA="$P/rogue.crt"
export BYOD_LDAP_SVC_PW="$T/svc.pw" BYOD_LDAP_SVC_PW_OPEN="$T/svc-open.pw"
export BYOD_LDAP_ROOT_PW="$T/root.pw"
# no ldap.conf or LDAPTLS_* may make the sources trust more than their ca-file
export LDAPTLS_REQCERT=never LDAPTLS_CACERT=$P/rogue.crt
"$BYOD_TEST_IDENTITY_LDAP"
rc=$?
kill -0 "${PIDS[0]}" 2>/dev/null || { echo "ldap.sh: slapd died during the test" >&2; rc=1; }
exit $rc
