# SPDX-License-Identifier: GPL-2.0-or-later
# What the identity test scripts share (ldap.sh, cas.sh): sourced, not run.
# The sourcing script sets H (this folder) and defines die MESSAGE. Gives:
#   idt_dir PREFIX [USER...]  T, a private directory (under $BYOD_TEST_TMP, or
#                             /tmp when one of the USERs a root run starts
#                             servers as cannot reach it); PIDS, every
#                             server started, stopped by its PID at exit
#   free_ports N              N free TCP ports of 127.0.0.1
#   idt_pki CA_CN [SAN]       P: the test CA (ca.crt), the servers'
#                             certificate (server.crt: localhost, 127.0.0.1
#                             and SAN) and another CA's (rogue.crt)
#   idt_slapd URL...          L: slapd with the school directory
#                             (college.ldif.in), listening on the URLs, as
#                             openldap when run as root; loaded over
#                             StartTLS on $LDAP_PORT as cn=admin ($T/root.pw)

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

idt_dir() {
	local prefix=$1 u
	shift
	base=${BYOD_TEST_TMP:-/tmp}
	mkdir -p "$base"
	T=$(mktemp -d "$base/$prefix.XXXXXX")
	chmod 755 "$T"
	# as root, the servers drop to their users, which must reach their
	# files: a build tree under a private home (/root is 0700) is out of
	# their reach, /tmp is not
	if [ "$(id -u)" = 0 ]; then
		for u in "$@"; do
			if ! setpriv --reuid="$u" --regid="$u" --clear-groups test -x "$T" \
				2>/dev/null; then
				rmdir "$T"
				T=$(mktemp -d "/tmp/byod-$prefix.XXXXXX")
				chmod 755 "$T"
				break
			fi
		done
	fi
	PIDS=()
	trap cleanup EXIT
}

free_ports() {
	python3 -c '
import socket, sys
s = [socket.socket() for _ in range(int(sys.argv[1]))]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))' "$1"
}

idt_pki() {
	local san="DNS:localhost,IP:127.0.0.1${2:+,$2}"
	P=$T/pki
	mkdir -p "$P"
	(
		cd "$P" || exit 1
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$1" \
			-keyout ca.key -out ca.crt -addext basicConstraints=critical,CA:TRUE \
			-addext keyUsage=critical,keyCertSign,cRLSign &&
		openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key \
			-out server.csr &&
		printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' \
			"$san" >server.ext &&
		openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
			-extfile server.ext -out server.crt &&
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
			-keyout rogue.key -out rogue.crt \
			-addext subjectAltName=DNS:localhost,IP:127.0.0.1
	) >"$T/pki.log" 2>&1 || { cat "$T/pki.log" >&2; die "the test PKI could not be made"; }
	chmod 644 "$P"/*.crt
	chmod 640 "$P"/*.key
}

# passwords reach slappasswd and ldapadd through files, never argv
secret() { (umask 077; printf '%s' "$1" >"$T/secret"); slappasswd -h '{SSHA}' -T "$T/secret"; }

idt_slapd() {
	local i
	AS=()
	L=$T/ldap
	mkdir -p "$L/db" "$L/run"
	cp "$H/ent-test.schema" "$L/"
	sed -e "s#@R@#$T#g" -e "s#@PKI@#$P#g" -e "s#@ROOTPW@#$(secret RootPass-1)#" \
		"$H/slapd.conf.in" >"$L/slapd.conf"
	sed -e "s#@SVCPW@#$(secret SvcPass-1)#" \
		-e "s#@PW_ALICE@#$(secret Secret-alice.martin)#" \
		-e "s#@PW_BOB@#$(secret Secret-bob.durand)#" \
		-e "s#@PW_CLAIRE@#$(secret Secret-claire.petit)#" \
		-e "s#@PW_NOUAI@#$(secret Secret-noua.i)#" \
		-e "s#@PW_ODD@#$(secret Secret-odd.role)#" "$H/college.ldif.in" >"$L/college.ldif"
	(umask 077; printf 'RootPass-1' >"$T/root.pw")
	slaptest -u -f "$L/slapd.conf" >"$T/slaptest.log" 2>&1 ||
		{ cat "$T/slaptest.log" >&2; die "slaptest"; }
	if [ "$(id -u)" = 0 ]; then
		chown -R openldap: "$L"
		chgrp openldap "$P/server.key"
		AS=(-u openldap -g openldap)
	fi
	# -d 0: in the foreground, so that $! is slapd's own PID
	/usr/sbin/slapd "${AS[@]}" -f "$L/slapd.conf" -h "$*" -d 0 >"$T/slapd.log" 2>&1 &
	SLAPD_PID=$!
	PIDS+=($!)
	for i in $(seq 100); do
		ldapsearch -x -H "ldap://127.0.0.1:$LDAP_PORT/" -s base -b '' namingContexts \
			>/dev/null 2>&1 && break
		kill -0 "$SLAPD_PID" 2>/dev/null || die "slapd stopped: $(tail -5 "$T/slapd.log")"
		sleep 0.1
	done
	# online, so that the memberof overlay writes memberOf
	LDAPTLS_CACERT=$P/ca.crt LDAPTLS_REQCERT=demand ldapadd -x -ZZ \
		-H "ldap://127.0.0.1:$LDAP_PORT/" -D cn=admin,dc=college,dc=test -y "$T/root.pw" \
		-f "$L/college.ldif" >"$T/ldapadd.log" 2>&1 ||
		{ cat "$T/ldapadd.log" >&2; die "the directory could not be loaded"; }
}
