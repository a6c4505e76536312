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
base=${BYOD_TEST_TMP:-/tmp}
mkdir -p "$base"
T=$(mktemp -d "$base/ldap.XXXXXX")
chmod 755 "$T"
# as root, slapd drops to openldap, which must reach its files: a build tree
# under a private home (/root is 0700) is out of its reach, /tmp is not
if [ "$(id -u)" = 0 ] &&
	! setpriv --reuid=openldap --regid=openldap --clear-groups test -x "$T" 2>/dev/null; then
	rmdir "$T"
	T=$(mktemp -d /tmp/byod-ldap.XXXXXX)
	chmod 755 "$T"
fi
PIDS=()

cleanup() {
	local p i
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || continue
		for i in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$T"
}
trap cleanup EXIT

free_ports() {
	python3 -c '
import socket, sys
s = [socket.socket() for _ in range(int(sys.argv[1]))]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))' "$1"
}

die() { echo "ldap.sh: $*" >&2; [ -f "$T/ldap/slapd.log" ] && tail -20 "$T/ldap/slapd.log" >&2; exit 1; }

# --- the test CA, slapd's certificate (127.0.0.1), and another CA's ---
P=$T/pki
# the machine's own name, when it is one of 127.0.0.0/8 (/etc/hosts): slapd
# by a name that is looked up (libldap checks "localhost" against the name
# the peer's address maps back to, so not that one)
SELF=$(hostname 2>/dev/null)
getent ahostsv4 "$SELF" 2>/dev/null | grep -q '^127\.0\.0\.1 ' || SELF=""
SAN="DNS:localhost,IP:127.0.0.1${SELF:+,DNS:$SELF}"
mkdir -p "$P"
(
	cd "$P" || exit 1
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=BYOD identity test CA" \
		-keyout ca.key -out ca.crt -addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign &&
	openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key \
		-out server.csr &&
	printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' "$SAN" >server.ext &&
	openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
		-extfile server.ext -out server.crt &&
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
		-keyout rogue.key -out rogue.crt -addext subjectAltName=DNS:localhost,IP:127.0.0.1
) >"$T/pki.log" 2>&1 || { cat "$T/pki.log" >&2; die "the test PKI could not be made"; }
chmod 644 "$P"/*.crt
chmod 640 "$P"/*.key

# --- slapd: as openldap when run as root, as ourselves otherwise ---
read -r LDAP_PORT LDAPS_PORT ROGUE_PORT SILENT_PORT SLOW_PORT <<<"$(free_ports 5)"
L=$T/ldap
mkdir -p "$L/db" "$L/run"
cp "$H/ent-test.schema" "$L/"
# passwords reach slappasswd and ldapadd through files, never argv
secret() { (umask 077; printf '%s' "$1" >"$T/secret"); slappasswd -h '{SSHA}' -T "$T/secret"; }
sed -e "s#@R@#$T#g" -e "s#@PKI@#$P#g" -e "s#@ROOTPW@#$(secret RootPass-1)#" \
	"$H/slapd.conf.in" >"$L/slapd.conf"
sed -e "s#@SVCPW@#$(secret SvcPass-1)#" \
	-e "s#@PW_ALICE@#$(secret Secret-alice.martin)#" \
	-e "s#@PW_BOB@#$(secret Secret-bob.durand)#" \
	-e "s#@PW_CLAIRE@#$(secret Secret-claire.petit)#" \
	-e "s#@PW_NOUAI@#$(secret Secret-noua.i)#" \
	-e "s#@PW_ODD@#$(secret Secret-odd.role)#" "$H/college.ldif.in" >"$L/college.ldif"
(umask 077; printf 'RootPass-1' >"$T/root.pw")
slaptest -u -f "$L/slapd.conf" >"$T/slaptest.log" 2>&1 || { cat "$T/slaptest.log" >&2; die "slaptest"; }
AS=()
if [ "$(id -u)" = 0 ]; then
	chown -R openldap: "$L"
	chgrp openldap "$P/server.key"
	AS=(-u openldap -g openldap)
fi
# -d 0: in the foreground, so that $! is slapd's own PID
/usr/sbin/slapd "${AS[@]}" -f "$L/slapd.conf" \
	-h "ldap://127.0.0.1:$LDAP_PORT/ ldaps://127.0.0.1:$LDAPS_PORT/" -d 0 >"$T/slapd.log" 2>&1 &
PIDS+=($!)
for i in $(seq 100); do
	ldapsearch -x -H "ldap://127.0.0.1:$LDAP_PORT/" -s base -b '' namingContexts >/dev/null 2>&1 &&
		break
	kill -0 "${PIDS[0]}" 2>/dev/null || die "slapd stopped: $(tail -5 "$T/slapd.log")"
	sleep 0.1
done
# online, so that the memberof overlay writes memberOf
LDAPTLS_CACERT=$P/ca.crt LDAPTLS_REQCERT=demand ldapadd -x -ZZ -H "ldap://127.0.0.1:$LDAP_PORT/" \
	-D cn=admin,dc=college,dc=test -y "$T/root.pw" -f "$L/college.ldif" >"$T/ldapadd.log" 2>&1 ||
	{ cat "$T/ldapadd.log" >&2; die "the directory could not be loaded"; }

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
