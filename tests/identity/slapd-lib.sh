# SPDX-License-Identifier: GPL-2.0-or-later
# The test PKI and the school directory's slapd, for the identity tests
# (through lib.sh: ldap.sh, cas.sh, saml.sh) and the portal's sign-in tests
# (through portal-lib.sh: portal_cas.sh, portal_saml.sh): sourced, not run.
# The sourcing script sets H (this folder), PIDS, LDAP_PORT before
# idt_slapd, and die MESSAGE; their files go to $SRV (the servers'
# directory, readable by the users they run as), $T when not set.
#   idt_pki CA_CN [SAN]       P: the test CA (ca.crt), the servers'
#                             certificate (server.crt: localhost, 127.0.0.1
#                             and SAN) and another CA's (rogue.crt)
#   idt_slapd URL...          L: slapd with the school directory
#                             (college.ldif.in), listening on the URLs, as
#                             openldap when run as root; loaded over
#                             StartTLS on $LDAP_PORT as cn=admin (root.pw, there)
idt_pki() {
	local san="DNS:localhost,IP:127.0.0.1${2:+,$2}" r=${SRV:-$T}
	P=$r/pki
	mkdir -p "$P"
	(
		cd "$P" || exit 1
		openssl req -x509 -newkey rsa:2048 -nodes -days 800 -subj "/CN=$1" \
			-keyout ca.key -out ca.crt -addext basicConstraints=critical,CA:TRUE \
			-addext keyUsage=critical,keyCertSign,cRLSign &&
		openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key \
			-out server.csr &&
		printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n' \
			"$san" >server.ext &&
		openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 400 \
			-extfile server.ext -out server.crt &&
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
			-keyout rogue.key -out rogue.crt \
			-addext subjectAltName=DNS:localhost,IP:127.0.0.1
	) >"$r/pki.log" 2>&1 || { cat "$r/pki.log" >&2; die "the test PKI could not be made"; }
	chmod 644 "$P"/*.crt
	chmod 640 "$P"/*.key
}

# passwords reach slappasswd and ldapadd through files, never argv
secret() {
	local r=${SRV:-$T}
	(umask 077; printf '%s' "$1" >"$r/secret")
	slappasswd -h '{SSHA}' -T "$r/secret"
}

idt_slapd() {
	local i r=${SRV:-$T}
	AS=()
	L=$r/ldap
	mkdir -p "$L/db" "$L/run"
	cp "$H/ent-test.schema" "$L/"
	sed -e "s#@R@#$r#g" -e "s#@PKI@#$P#g" -e "s#@ROOTPW@#$(secret RootPass-1)#" \
		"$H/slapd.conf.in" >"$L/slapd.conf"
	sed -e "s#@SVCPW@#$(secret SvcPass-1)#" \
		-e "s#@PW_ALICE@#$(secret Secret-alice.martin)#" \
		-e "s#@PW_BOB@#$(secret Secret-bob.durand)#" \
		-e "s#@PW_CLAIRE@#$(secret Secret-claire.petit)#" \
		-e "s#@PW_NOUAI@#$(secret Secret-noua.i)#" \
		-e "s#@PW_ODD@#$(secret Secret-odd.role)#" "$H/college.ldif.in" >"$L/college.ldif"
	(umask 077; printf 'RootPass-1' >"$r/root.pw")
	slaptest -u -f "$L/slapd.conf" >"$r/slaptest.log" 2>&1 ||
		{ cat "$r/slaptest.log" >&2; die "slaptest"; }
	if [ "$(id -u)" = 0 ]; then
		chown -R openldap: "$L"
		chgrp openldap "$P/server.key"
		AS=(-u openldap -g openldap)
	fi
	# -d 0: in the foreground, so that $! is slapd's own PID
	/usr/sbin/slapd "${AS[@]}" -f "$L/slapd.conf" -h "$*" -d 0 >"$r/slapd.log" 2>&1 &
	SLAPD_PID=$!
	PIDS+=($!)
	for i in $(seq 100); do
		ldapsearch -x -H "ldap://127.0.0.1:$LDAP_PORT/" -s base -b '' namingContexts \
			>/dev/null 2>&1 && break
		kill -0 "$SLAPD_PID" 2>/dev/null || die "slapd stopped: $(tail -5 "$r/slapd.log")"
		sleep 0.1
	done
	# online, so that the memberof overlay writes memberOf
	LDAPTLS_CACERT=$P/ca.crt LDAPTLS_REQCERT=demand ldapadd -x -ZZ \
		-H "ldap://127.0.0.1:$LDAP_PORT/" -D cn=admin,dc=college,dc=test -y "$r/root.pw" \
		-f "$L/college.ldif" >"$r/ldapadd.log" 2>&1 ||
		{ cat "$r/ldapadd.log" >&2; die "the directory could not be loaded"; }
}
